//! Step 6: write the site into a staging folder beside the output, then swap it in.
//!
//! A failed build therefore leaves the previous output byte-identical. opsbook records what it
//! wrote in a manifest inside the output folder and only ever deletes files listed there: an
//! output folder that holds anything else, that is the site root (or above it), or that holds the
//! content, is refused before anything is written.

use rayon::prelude::*;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

pub const MANIFEST: &str = ".opsbook-manifest.json";
const STAGING_MARKER: &str = ".opsbook-staging";

#[derive(Debug, Clone)]
pub enum Content {
    Bytes(Vec<u8>),
    Copy(PathBuf),
}

#[derive(Debug, Clone)]
pub struct OutputFile {
    /// Output-relative path with `/` separators.
    pub path: String,
    pub content: Content,
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0}")]
    Refused(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> OutputError {
    let context = context.into();
    move |source| OutputError::Io { context, source }
}

/// An absolute, `..`-free version of `p` (resolving symlinks where the path exists).
pub fn absolute(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    // Canonicalize the longest existing prefix, then append the rest.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for part in rest.into_iter().rev() {
        out.push(part);
    }
    let mut clean = PathBuf::new();
    for c in out.components() {
        match c {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    clean
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    generator: String,
    version: u32,
    files: Vec<String>,
}

fn read_manifest(out: &Path) -> Option<Vec<String>> {
    let text = fs::read_to_string(out.join(MANIFEST)).ok()?;
    let m: Manifest = serde_json::from_str(&text).ok()?;
    (m.generator == "opsbook").then_some(m.files)
}

/// Every file below `dir`, relative, with `/` separators (symlinks are listed, not followed).
fn list_files(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        if !entry.file_type().is_dir() {
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            out.push(crate::diagnostics::display_path(rel));
        }
    }
    Ok(out)
}

/// Refuses an output folder that is the site root, a folder above it, or holds the content:
/// opsbook never writes or cleans there.
fn refuse_location(
    out: &Path,
    root: &Path,
    content: &Path,
    doing: &str,
) -> Result<(), OutputError> {
    let (out_abs, root_abs, content_abs) = (absolute(out), absolute(root), absolute(content));
    let shown = out.display();
    if root_abs.starts_with(&out_abs) {
        return Err(OutputError::Refused(format!(
            "refusing to {doing} {shown}: it is the site root or a folder above it; choose an output folder such as `public`"
        )));
    }
    if content_abs.starts_with(&out_abs) {
        return Err(OutputError::Refused(format!(
            "refusing to {doing} {shown}: it holds the content folder"
        )));
    }
    Ok(())
}

/// The symlinks below `dir`, relative (never followed).
fn symlinks(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        if entry.path_is_symlink() {
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            out.push(crate::diagnostics::display_path(rel));
        }
    }
    Ok(out)
}

/// Refuses output folders opsbook must not write to (SPEC "Output and limits").
pub fn check_output_dir(out: &Path, root: &Path, content: &Path) -> Result<(), OutputError> {
    refuse_location(out, root, content, "write the site into")?;
    let out_abs = absolute(out);
    let shown = out.display();
    if out_abs.exists() && !out_abs.is_dir() {
        return Err(OutputError::Refused(format!(
            "refusing to write the site into {shown}: it is a file, not a folder"
        )));
    }
    if out_abs.is_dir() {
        let present = list_files(&out_abs).map_err(io_err(format!("cannot list {shown}")))?;
        if present.is_empty() {
            return Ok(());
        }
        // opsbook never writes a symlink: one in the output folder was put there by someone
        // else, and replacing the folder would delete it (or what a forged manifest lists
        // through it).
        let links = symlinks(&out_abs).map_err(io_err(format!("cannot list {shown}")))?;
        if !links.is_empty() {
            return Err(OutputError::Refused(format!(
                "refusing to replace {shown}: it holds {} symlink(s) opsbook did not write ({}{}); remove them, or choose another folder with --out",
                links.len(),
                links.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
                if links.len() > 5 { ", …" } else { "" }
            )));
        }
        let Some(ours) = read_manifest(&out_abs) else {
            return Err(OutputError::Refused(format!(
                "refusing to write the site into {shown}: it is not empty and opsbook did not create it (no {MANIFEST}); empty it, or choose another folder with --out"
            )));
        };
        let ours: BTreeSet<&str> = ours.iter().map(String::as_str).collect();
        let foreign: Vec<&String> = present
            .iter()
            .filter(|p| p.as_str() != MANIFEST && !ours.contains(p.as_str()))
            .collect();
        if !foreign.is_empty() {
            let list: Vec<&str> = foreign.iter().take(5).map(|s| s.as_str()).collect();
            return Err(OutputError::Refused(format!(
                "refusing to replace {shown}: it holds {} file(s) opsbook did not write ({}{}); move them out, or choose another folder with --out",
                foreign.len(),
                list.join(", "),
                if foreign.len() > 5 { ", …" } else { "" }
            )));
        }
    }
    Ok(())
}

fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    out.with_file_name(format!(".{name}.{suffix}"))
}

/// A build being written beside the output folder; `finish` swaps it in. Files may be written
/// from many threads at once, as they are rendered, so the whole site never sits in memory.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    dirs: std::sync::Mutex<BTreeSet<PathBuf>>,
    names: std::sync::Mutex<Vec<String>>,
    done: bool,
}

impl Staging {
    /// Starts a build for `out`. Call `check_output_dir` first.
    pub fn begin(out: &Path) -> Result<Staging, OutputError> {
        let out = absolute(out);
        let dir = sibling(&out, "opsbook-staging");
        if let Ok(meta) = fs::symlink_metadata(&dir) {
            // Left over from an interrupted build: ours only if it is a real folder that carries
            // our marker. Removing it follows no symlink (std's `remove_dir_all` does not).
            if meta.file_type().is_dir()
                && fs::symlink_metadata(dir.join(STAGING_MARKER)).is_ok_and(|m| m.is_file())
            {
                fs::remove_dir_all(&dir)
                    .map_err(io_err(format!("cannot remove {}", dir.display())))?;
            } else {
                return Err(OutputError::Refused(format!(
                    "{} exists and was not made by opsbook; remove it and build again",
                    dir.display()
                )));
            }
        }
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent)
                .map_err(io_err(format!("cannot create {}", parent.display())))?;
        }
        fs::create_dir(&dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
        fs::write(dir.join(STAGING_MARKER), b"").map_err(io_err("cannot write staging marker"))?;
        Ok(Staging {
            out,
            dir,
            dirs: Default::default(),
            names: Default::default(),
            done: false,
        })
    }

    /// Writes one file of the new site. Its path must be a plain relative path (no `..`, `.`,
    /// empty or absolute parts): the last guard that keeps every write inside the output folder,
    /// whatever planned the path.
    pub fn write(&self, f: &OutputFile) -> Result<(), OutputError> {
        let plain = !f.path.is_empty()
            && !f.path.contains('\0')
            && f.path.split('/').all(|p| !matches!(p, "" | "." | ".."));
        if !plain {
            return Err(OutputError::Refused(format!(
                "refusing to write `{}`: it is not a path inside the output folder",
                f.path
            )));
        }
        let mut to = self.dir.clone();
        to.extend(f.path.split('/'));
        if let Some(parent) = to.parent() {
            // Create under the lock: another thread must not write into a folder that is
            // recorded but not made yet.
            let mut dirs = self.dirs.lock().expect("dirs lock");
            if !dirs.contains(parent) {
                fs::create_dir_all(parent)
                    .map_err(io_err(format!("cannot create {}", parent.display())))?;
                dirs.insert(parent.to_path_buf());
            }
        }
        match &f.content {
            Content::Bytes(bytes) => fs::write(&to, bytes),
            Content::Copy(src) => fs::copy(src, &to).map(|_| ()),
        }
        .map_err(io_err(format!("cannot write {}", f.path)))?;
        self.names.lock().expect("names lock").push(f.path.clone());
        Ok(())
    }

    /// Writes the manifest and swaps the new site in. Returns the entries of the previous
    /// output's manifest that were not removed (see `remove_owned`).
    pub fn finish(mut self) -> Result<Vec<Skipped>, OutputError> {
        let mut names = std::mem::take(&mut *self.names.lock().expect("names lock"));
        // Names are unique: an unstable sort gives the one order, and in parallel.
        names.par_sort_unstable();
        let manifest = Manifest {
            generator: "opsbook".into(),
            version: 1,
            files: names,
        };
        let json = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
        fs::write(self.dir.join(MANIFEST), json + "\n")
            .map_err(io_err("cannot write the manifest"))?;
        fs::remove_file(self.dir.join(STAGING_MARKER))
            .map_err(io_err("cannot remove staging marker"))?;
        let result = swap(&self.dir, &self.out);
        self.done = result.is_ok();
        result
    }

    /// How many files were written.
    pub fn count(&self) -> usize {
        self.names.lock().expect("names lock").len()
    }
}

impl Drop for Staging {
    /// An abandoned build (an error, a panic) leaves the previous output untouched.
    fn drop(&mut self) {
        if !self.done && self.dir.exists() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn swap(staging: &Path, out: &Path) -> Result<Vec<Skipped>, OutputError> {
    if fs::symlink_metadata(out).is_err() {
        return fs::rename(staging, out)
            .map(|()| Vec::new())
            .map_err(io_err(format!(
                "cannot move the new site into {}",
                out.display()
            )));
    }
    let old = sibling(out, "opsbook-old");
    if fs::symlink_metadata(&old).is_ok() {
        // Left by a build that could not finish removing it.
        remove_owned(&old)?;
        if fs::symlink_metadata(&old).is_ok() {
            return Err(OutputError::Refused(format!(
                "{} is in the way and holds files opsbook did not write; move them out and build again",
                old.display()
            )));
        }
    }
    fs::rename(out, &old).map_err(io_err(format!("cannot move {} aside", out.display())))?;
    if let Err(e) = fs::rename(staging, out) {
        // Put the previous site back.
        let _ = fs::rename(&old, out);
        return Err(io_err(format!(
            "cannot move the new site into {}",
            out.display()
        ))(e));
    }
    remove_owned(&old)
}

/// A manifest entry that was not removed, and why.
pub type Skipped = (String, &'static str);

/// Deletes a previous output: only the files its manifest lists, then the folders left empty.
///
/// The manifest is only a list of names, and anyone can write one (a checked-in `public/` is
/// enough), so every entry is proven before anything is deleted: a plain relative path (no
/// `..`, `.`, empty or absolute parts) whose folders are real folders inside `dir` (never a
/// symlink) and which is itself a regular file. Entries that fail are left alone and returned,
/// so the caller can say so. Folders are removed only when empty; nothing is followed.
pub fn remove_owned(dir: &Path) -> Result<Vec<Skipped>, OutputError> {
    let shown = dir.display();
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_dir() => {}
        Ok(_) => {
            return Err(OutputError::Refused(format!(
                "refusing to remove files from {shown}: it is not a folder (a symlink or a file)"
            )));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(format!("cannot read {shown}"))(e)),
    }
    let files = read_manifest(dir).unwrap_or_default();
    let mut skipped: Vec<Skipped> = files
        .par_iter()
        .map(|f| remove_entry(dir, f).map(|why| why.map(|why| (f.clone(), why))))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    skipped.sort();
    if let Some(why) = remove_entry(dir, MANIFEST)? {
        skipped.push((MANIFEST.to_string(), why));
    }
    // Remove empty folders, deepest first (walkdir does not follow symlinks).
    let mut folders: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.path().to_path_buf())
        .collect();
    folders.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for f in folders {
        let _ = fs::remove_dir(&f); // fails, harmlessly, when something else is inside
    }
    Ok(skipped)
}

/// Removes one manifest entry if it is a regular file inside `dir` reached through real
/// folders only; otherwise says why it was left (`None`: removed, or already gone).
fn remove_entry(dir: &Path, entry: &str) -> Result<Option<&'static str>, OutputError> {
    let parts: Vec<&str> = entry.split('/').collect();
    if entry.contains('\0') || parts.iter().any(|p| matches!(*p, "" | "." | "..")) {
        return Ok(Some("it is not a path inside the output folder"));
    }
    let mut path = dir.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let last = i + 1 == parts.len();
        let kind = match fs::symlink_metadata(&path) {
            Ok(m) => m.file_type(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(format!("cannot read {}", path.display()))(e)),
        };
        if kind.is_symlink() {
            return Ok(Some(if last {
                "it is a symlink, and opsbook never writes one"
            } else {
                "it is reached through a symlink"
            }));
        }
        match (last, kind.is_dir(), kind.is_file()) {
            (false, true, _) => {}
            (false, false, _) => return Ok(Some("a part of its path is not a folder")),
            (true, _, false) => return Ok(Some("it is not a regular file")),
            (true, _, true) => {}
        }
    }
    match fs::remove_file(&path) {
        Ok(()) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(format!("cannot remove {}", path.display()))(e)),
    }
}

/// How skipped manifest entries are told to the user.
pub fn describe_skipped(skipped: &[Skipped]) -> String {
    let shown: Vec<String> = skipped
        .iter()
        .take(5)
        .map(|(f, why)| format!("{f} ({why})"))
        .collect();
    format!(
        "left {} manifest entr{} alone that opsbook cannot have written: {}{}",
        skipped.len(),
        if skipped.len() == 1 { "y" } else { "ies" },
        shown.join(", "),
        if skipped.len() > 5 { ", …" } else { "" }
    )
}

/// Whether `dir` is an output folder opsbook wrote.
pub fn is_ours(dir: &Path) -> bool {
    read_manifest(dir).is_some()
}

/// What `opsbook clean` left: files it did not write, and manifest entries it refused.
#[derive(Debug, Default)]
pub struct Cleaned {
    pub left: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// `opsbook clean`: removes what the manifest lists, in an output folder that is not the site
/// root, above it, or the content's.
pub fn clean(dir: &Path, root: &Path, content: &Path) -> Result<Cleaned, OutputError> {
    if !dir.exists() {
        return Ok(Cleaned::default());
    }
    refuse_location(dir, root, content, "clean")?;
    let dir = &absolute(dir);
    let shown = dir.display();
    if !is_ours(dir) {
        let present = list_files(dir).map_err(io_err(format!("cannot list {shown}")))?;
        if present.is_empty() {
            return Ok(Cleaned::default());
        }
        return Err(OutputError::Refused(format!(
            "refusing to clean {shown}: opsbook did not write it (no {MANIFEST})"
        )));
    }
    let skipped = remove_owned(dir)?;
    let left = if dir.exists() {
        list_files(dir).map_err(io_err(format!("cannot list {shown}")))?
    } else {
        Vec::new()
    };
    Ok(Cleaned { left, skipped })
}
