//! Step 1 of the pipeline: find the site's files and read them.
//!
//! Discovery walks `content/` with walkdir (each top-level folder on its own thread) and sorts
//! what it finds, so that output never depends on the file system's listing order. It skips hidden files, editor backups, the output folder
//! and opsbook's own staging folders, and never follows a symlink out of the content root: such a
//! link, or a symlink loop, is a `bad-symlink` finding rather than a hang.

pub mod front_matter;

use crate::diagnostics::{Diagnostic, Rule, display_path};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// Files that are a folder's section page rather than a runbook, by stem (`source_stem`), in
/// order of precedence.
pub const SECTION_INDEX_NAMES: &[&str] = &["_index", "README", "index"];

/// Endings of Markdown sources, longest first: `*.md` everywhere; tech-docs (Middleman) sources
/// are `*.html.md` and `*.html.md.erb` too, their ERB never run.
const SOURCE_ENDINGS: &[&str] = &[".html.md.erb", ".md.erb", ".html.md", ".md"];

/// Whether `name` is a Markdown source in a site of `flavor`.
pub fn is_source(name: &str, flavor: crate::flavor::Flavor) -> bool {
    let ends = |ext: &str| {
        name.len() > ext.len()
            && name.as_bytes()[name.len() - ext.len()..].eq_ignore_ascii_case(ext.as_bytes())
    };
    ends(".md") || (flavor == crate::flavor::Flavor::TechDocs && ends(".md.erb"))
}

/// A source's path without its ending (`manual/deploy.html.md.erb` -> `manual/deploy`): its id,
/// and its page's path without `.html`.
pub fn source_stem(rel: &str) -> &str {
    for ext in SOURCE_ENDINGS {
        if rel.len() > ext.len()
            && rel.as_bytes()[rel.len() - ext.len()..].eq_ignore_ascii_case(ext.as_bytes())
        {
            return &rel[..rel.len() - ext.len()];
        }
    }
    rel
}

/// A discovered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the folder it was found in, with `/` separators.
    pub rel: String,
    pub abs: PathBuf,
}

#[derive(Debug, Default)]
pub struct Discovery {
    /// `*.md` files under content/.
    pub markdown: Vec<Entry>,
    /// Other files under content/ (images, attachments), copied next to the pages.
    pub assets: Vec<Entry>,
    /// Files under static/, copied verbatim to the output root.
    pub statics: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
    /// Problems that stop the command (unreadable folders).
    pub errors: Vec<String>,
    /// Files that look like documents in a format opsbook does not read (`*.markdown`,
    /// `*.html.md.erb`, `*.adoc`…), by kind: said in the summary, never skipped silently.
    pub skipped: Vec<(&'static str, usize)>,
}

/// What a content file that is not `*.md` but looks like a document is: its kind, as the
/// summary names it, or `None` for an attachment.
pub fn unread_document_kind(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    const KINDS: &[(&str, &str)] = &[
        (".md.erb", "*.md.erb (ERB templates)"),
        (".markdown", "*.markdown"),
        (".mdown", "*.mdown"),
        (".mkd", "*.mkd"),
        (".mkdn", "*.mkdn"),
        (".mdwn", "*.mdwn"),
        (".mdx", "*.mdx (MDX)"),
        (".erb", "*.erb (ERB templates)"),
        (".adoc", "*.adoc (AsciiDoc)"),
        (".asciidoc", "*.asciidoc (AsciiDoc)"),
        (".rst", "*.rst (reStructuredText)"),
    ];
    KINDS
        .iter()
        .find(|(ext, _)| lower.ends_with(ext))
        .map(|(_, kind)| *kind)
}

/// Whether a file name is something an editor or the OS left behind.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || [".swp", ".swo", ".swx", ".tmp", ".bak", ".orig", ".rej"]
            .iter()
            .any(|ext| name.ends_with(ext))
        || name == "4913" // vim's write test file
}

/// Walks `content_dir` (and `static_dir`), leaving out every path in `exclude` (the output
/// folder and friends). `display_prefix` is how content paths are shown to the user (the content
/// folder relative to the site root, or empty).
pub fn discover(
    content_dir: &Path,
    static_dir: Option<&Path>,
    exclude: &[PathBuf],
    display_prefix: &str,
    flavor: crate::flavor::Flavor,
) -> Discovery {
    let mut found = Discovery::default();
    // static/ (and themes/, which the caller passes in `exclude`) may sit inside the content
    // folder in zero-config sites; they are never content.
    let mut content_exclude = exclude.to_vec();
    content_exclude.extend(static_dir.map(Path::to_path_buf));
    let files = walk(content_dir, &content_exclude, display_prefix, &mut found);
    for entry in files {
        if is_source(&entry.rel, flavor) {
            found.markdown.push(entry);
        } else {
            if let Some(kind) = unread_document_kind(&entry.rel) {
                match found.skipped.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, n)) => *n += 1,
                    None => found.skipped.push((kind, 1)),
                }
            }
            found.assets.push(entry);
        }
    }
    // Most first, then by name: the same order whatever the walk's.
    found
        .skipped
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    if let Some(dir) = static_dir {
        let prefix = join_display(display_prefix_parent(display_prefix), "static");
        found.statics = walk(dir, exclude, &prefix, &mut found);
    }
    found
}

fn display_prefix_parent(prefix: &str) -> &str {
    match prefix.rfind('/') {
        Some(i) => &prefix[..i],
        None => "",
    }
}

fn join_display(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() {
        rel.to_string()
    } else {
        format!("{prefix}/{rel}")
    }
}

fn walk(
    root: &Path,
    exclude: &[PathBuf],
    display_prefix: &str,
    found: &mut Discovery,
) -> Vec<Entry> {
    use rayon::prelude::*;
    let canonical_root = match root.canonicalize() {
        Ok(p) => p,
        Err(e) => {
            found
                .errors
                .push(format!("cannot read {}: {e}", root.display()));
            return Vec::new();
        }
    };
    let tree = Tree {
        root,
        canonical_root: &canonical_root,
        excludes: exclude.iter().map(|p| crate::output::absolute(p)).collect(),
        display_prefix,
    };
    // The top folder first, then each folder in it on its own thread (the walk is mostly the
    // kernel listing folders, one at a time per thread).
    let mut top = tree.walk(root, Some(1));
    let below: Vec<Walked> = std::mem::take(&mut top.folders)
        .into_par_iter()
        .map(|folder| tree.walk(&folder, None))
        .collect();
    let (first_finding, first_error) = (found.diagnostics.len(), found.errors.len());
    let mut out = Vec::new();
    for part in std::iter::once(top).chain(below) {
        out.extend(part.files);
        found.diagnostics.extend(part.diagnostics);
        found.errors.extend(part.errors);
    }
    // Folder by folder, names in byte order. What the walk reported is put in an order that
    // does not depend on the file system's either.
    // Compared as keys made once (`/` lowered below every byte), not part by part each time.
    out.par_sort_by_cached_key(|e| order_key(&e.rel));
    found.diagnostics[first_finding..].sort_by(|a, b| a.path.cmp(&b.path));
    found.errors[first_error..].sort();
    out
}

/// One walk of the content (or static) folder: where it is and what it leaves out.
struct Tree<'a> {
    root: &'a Path,
    canonical_root: &'a Path,
    excludes: Vec<PathBuf>,
    display_prefix: &'a str,
}

/// What walking part of a tree found.
#[derive(Default)]
struct Walked {
    files: Vec<Entry>,
    /// Folders at the walk's last depth, not entered (the top-level walk's subfolders).
    folders: Vec<PathBuf>,
    diagnostics: Vec<Diagnostic>,
    errors: Vec<String>,
}

impl Tree<'_> {
    /// Walks `start` (the root or a folder in it, already vetted), to `max_depth` below it.
    fn walk(&self, start: &Path, max_depth: Option<usize>) -> Walked {
        let (root, canonical_root) = (self.root, self.canonical_root);
        let mut walked = Walked::default();
        let mut escaped: Vec<Diagnostic> = Vec::new();
        let mut loops: Vec<String> = Vec::new();
        let mut root_links: Vec<String> = Vec::new();
        // Unsorted: the entries are sorted once at the end, which is cheaper than walkdir
        // sorting every folder by names it parses out of each path on every comparison.
        let mut walker = WalkDir::new(start).follow_links(true);
        if let Some(depth) = max_depth {
            walker = walker.max_depth(depth);
        }
        let walker = walker.into_iter().filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            if is_ignored_name(&name) {
                return false;
            }
            // A plain file is inside its folder, which passed the checks below; what is
            // excluded (the output folder, staging, static/, themes/) is always a folder.
            if !e.path_is_symlink() && !e.file_type().is_dir() {
                return true;
            }
            let lexical = canonical_root.join(e.path().strip_prefix(root).unwrap_or(e.path()));
            let real = if e.path_is_symlink() {
                match e.path().canonicalize() {
                    Ok(p) => p,
                    Err(_) => return true, // dangling: reported below as an error entry
                }
            } else {
                lexical.clone()
            };
            if self
                .excludes
                .iter()
                .any(|x| real.starts_with(x) || lexical.starts_with(x))
            {
                return false;
            }
            if e.path_is_symlink() && !real.starts_with(canonical_root) {
                let rel = rel_path(root, e.path());
                escaped.push(
                    Diagnostic::new(
                        Rule::BadSymlink,
                        &join_display(self.display_prefix, &rel),
                        0,
                        format!("symlink `{rel}` points outside the content folder"),
                    )
                    .with_help(format!(
                        "it resolves to {}; copy the file into the content folder instead",
                        real.display()
                    )),
                );
                return false;
            }
            // A walk below the root does not have the root among the folders it came
            // through, where walkdir looks for loops: a link back to the root is one.
            if e.path_is_symlink() && start != root && real == canonical_root {
                root_links.push(rel_path(root, e.path()));
                return false;
            }
            true
        });
        for item in walker {
            match item {
                Ok(e) if e.file_type().is_file() => {
                    let rel = rel_path(root, e.path());
                    walked.files.push(Entry {
                        rel,
                        abs: e.into_path(),
                    });
                }
                Ok(e) if max_depth == Some(e.depth()) && e.file_type().is_dir() => {
                    walked.folders.push(e.into_path());
                }
                Ok(_) => {}
                Err(err) if err.loop_ancestor().is_some() => {
                    let path = err.path().map(|p| rel_path(root, p)).unwrap_or_default();
                    loops.push(path);
                }
                Err(err) => {
                    let path = err.path().map(|p| rel_path(root, p)).unwrap_or_default();
                    if err.path().is_some_and(|p| p.is_symlink()) {
                        walked.diagnostics.push(
                            Diagnostic::new(
                                Rule::BadSymlink,
                                &join_display(self.display_prefix, &path),
                                0,
                                format!("symlink `{path}` points to nothing"),
                            )
                            .with_help("fix the link target or remove the link"),
                        );
                    } else {
                        walked.errors.push(format!(
                            "cannot read {}: {err}",
                            display_path(Path::new(&path))
                        ));
                    }
                }
            }
        }
        for path in loops.into_iter().chain(root_links) {
            walked.diagnostics.push(
                Diagnostic::new(
                    Rule::BadSymlink,
                    &join_display(self.display_prefix, &path),
                    0,
                    format!("symlink `{path}` makes a loop"),
                )
                .with_help("point the link at a file, or remove it"),
            );
        }
        walked.diagnostics.extend(escaped);
        walked
    }
}

/// The order of a sorted depth-first walk: paths compared part by part, names byte by byte.
/// That is the byte order of the paths with `/` below every other byte: at the first byte where
/// two paths differ, a `/` means that one's part ended first. This is a path's key in that
/// order: its bytes with `/` as 0 (no name holds a 0 byte).
fn order_key(path: &str) -> Vec<u8> {
    path.bytes()
        .map(|c| if c == b'/' { 0 } else { c })
        .collect()
}

fn rel_path(root: &Path, path: &Path) -> String {
    // The walk joins names onto `root`: most paths are `root`, a separator and the rest, which
    // a byte comparison finds without parsing either path into components.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let (r, p) = (root.as_os_str().as_bytes(), path.as_os_str().as_bytes());
        if p.len() > r.len() + 1 && p.starts_with(r) && p[r.len()] == b'/' && !r.ends_with(b"/") {
            return display_path(Path::new(std::ffi::OsStr::from_bytes(&p[r.len() + 1..])));
        }
    }
    display_path(path.strip_prefix(root).unwrap_or(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_part_by_part() {
        let mut paths = vec![
            "a-b/x.md", "a/y.md", "ab.md", "a/x/z.md", "a.md", "a/x.md", "b.md",
        ];
        paths.sort_by_cached_key(|p| order_key(p));
        let mut by_parts = paths.clone();
        by_parts.sort_by(|a, b| a.split('/').cmp(b.split('/')));
        assert_eq!(paths, by_parts);
        assert_eq!(
            paths,
            [
                "a/x/z.md", "a/x.md", "a/y.md", "a-b/x.md", "a.md", "ab.md", "b.md"
            ]
        );
    }
}
