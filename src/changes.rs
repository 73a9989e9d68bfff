//! `check FILE...` and `check --changed-since REF`: the findings a change answers for.
//!
//! The whole site is always checked (a link is broken or not against every other file); the
//! report keeps the findings of the files given, and the findings of other files whose subject
//! (`diagnostics::Subject`: what a link, a reference or a shared title points at) is one of them,
//! as it is now or as it was before the change. A runbook deleted or renamed leaves links to
//! its old path broken; a title changed leaves references to the old title unresolved.

use crate::diagnostics::{Located, Subject, display_path};
use crate::history::git;
use crate::output::absolute;
use crate::site::Site;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Files of a change, from `git` or from the command line.
#[derive(Debug, Default)]
pub struct Changes {
    /// Files as they are now (edited, added, renamed to), absolute.
    pub present: Vec<PathBuf>,
    /// Files that are no longer there (deleted, renamed from), absolute.
    pub gone: Vec<PathBuf>,
    /// The titles changed runbooks had before the change: what others may still name them by.
    pub old_titles: Vec<String>,
}

impl Changes {
    /// The files given on the command line: those that exist are changed, the others gone.
    pub fn of_files(files: &[PathBuf]) -> Changes {
        let mut changes = Changes::default();
        for f in files {
            let abs = absolute(f);
            if abs.exists() {
                changes.present.push(abs);
            } else {
                changes.gone.push(abs);
            }
        }
        changes
    }
}

/// Which findings to report.
pub struct Selection {
    /// Paths from the site root of the files to report on, and of folders to report on.
    files: HashSet<String>,
    folders: Vec<String>,
    /// Paths from the site root of the changed files, now and before.
    sources: HashSet<String>,
    /// Their paths under the content folder (with and without `.md`), runbook ids and titles,
    /// lower case: what a link or a reference names them by.
    names: HashSet<String>,
    /// Files given that are not in the site, as given: left out, and said so.
    pub outside: Vec<String>,
}

impl Selection {
    pub fn new(site: &Site, changes: &Changes) -> Selection {
        let root = absolute(&site.project.root);
        let content = absolute(&site.project.content_dir);
        let mut selection = Selection {
            files: HashSet::new(),
            folders: Vec::new(),
            sources: HashSet::new(),
            names: HashSet::new(),
            outside: Vec::new(),
        };
        let name = |abs: &Path, selection: &mut Selection| {
            if let Ok(rel) = abs.strip_prefix(&content) {
                let rel = display_path(rel);
                let stem = rel.strip_suffix(".md").unwrap_or(&rel).to_lowercase();
                selection.names.insert(rel.to_lowercase());
                selection.names.insert(stem);
            }
        };
        for abs in &changes.present {
            match abs.strip_prefix(&root) {
                Ok(rel) => {
                    let rel = display_path(rel);
                    if abs.is_dir() {
                        selection.folders.push(rel);
                        continue;
                    }
                    selection.sources.insert(rel.clone());
                    name(abs, &mut selection);
                    selection.files.insert(rel);
                }
                Err(_) => selection.outside.push(abs.display().to_string()),
            }
        }
        for abs in &changes.gone {
            match abs.strip_prefix(&root) {
                Ok(rel) => {
                    selection.sources.insert(display_path(rel));
                    name(abs, &mut selection);
                }
                Err(_) => selection.outside.push(abs.display().to_string()),
            }
        }
        for title in &changes.old_titles {
            selection.names.insert(title.to_lowercase());
        }
        for rb in &site.runbooks {
            if selection.sources.contains(site.source_path(&rb.document)) {
                selection.names.insert(rb.id.to_lowercase());
                selection.names.insert(rb.document.title.to_lowercase());
            }
        }
        selection
    }

    /// Whether a path from the site root is one of the files given, or under a folder given.
    pub fn has(&self, path: &str) -> bool {
        self.files.contains(path)
            || self.folders.iter().any(|f| {
                f.is_empty()
                    || (path.len() > f.len()
                        && path.starts_with(f.as_str())
                        && path.as_bytes()[f.len()] == b'/')
            })
    }

    /// Whether the report keeps this finding: it is in a file given, or about one.
    pub fn keeps(&self, d: &Located) -> bool {
        if self.has(&d.path) {
            return true;
        }
        match &d.subject {
            Some(Subject::Source(p)) => self.sources.contains(p),
            Some(Subject::Content(p)) => {
                let p = p.trim_start_matches('/').to_lowercase();
                let stem = p.strip_suffix(".md").unwrap_or(&p);
                self.names.contains(&p) || self.names.contains(stem)
            }
            Some(Subject::Name(n)) => {
                let n = n.trim().trim_start_matches('/').to_lowercase();
                self.names.contains(n.strip_suffix(".md").unwrap_or(&n))
            }
            None => false,
        }
    }
}

/// Narrows the report to a change: the findings it answers for, and the runbooks it touched
/// (the rest of the site was read, not reported on). Returns the files named that are not in
/// the site.
pub fn narrow(site: &mut Site, located: &mut Vec<Located>, changes: &Changes) -> Vec<String> {
    let selection = Selection::new(site, changes);
    let (keep, unreported): (Vec<_>, Vec<_>) = std::mem::take(located)
        .into_iter()
        .partition(|d| selection.keeps(d));
    *located = keep;
    let kept: Vec<bool> = site
        .runbooks
        .iter()
        .map(|rb| selection.has(site.source_path(&rb.document)))
        .collect();
    let (shown, unshown): (Vec<_>, Vec<_>) = std::mem::take(&mut site.runbooks)
        .into_iter()
        .zip(kept)
        .partition(|(_, keep)| *keep);
    site.runbooks = shown.into_iter().map(|(rb, _)| rb).collect();
    // Freeing ten thousand runbooks and their findings one by one would cost more than the
    // check, and the process ends soon (as `commands::check` does).
    std::mem::forget((unreported, unshown));
    selection.outside
}

/// A runbook's title from its text: front matter `title:`, else its first `# ` heading.
fn title_of(text: &str) -> Option<String> {
    let parts = crate::source::front_matter::split(text);
    let front = parts
        .yaml
        .and_then(|(yaml, _)| yaml.lines().find_map(|l| l.strip_prefix("title:")))
        .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'').trim());
    let heading = || {
        parts
            .body
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(|t| t.trim().trim_end_matches('#').trim())
    };
    front
        .filter(|t| !t.is_empty())
        .or_else(heading)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The base `--changed-since auto` compares with: the pull request's base branch on GitHub
/// Actions (`GITHUB_BASE_REF`, as `origin/<branch>` when that was fetched), the merge
/// request's base commit on GitLab CI (`CI_MERGE_REQUEST_DIFF_BASE_SHA`).
fn auto_base(repo: &Path) -> Result<String, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(branch) = var("GITHUB_BASE_REF") {
        let remote = format!("origin/{branch}");
        return Ok(if commit_exists(repo, &remote) {
            remote
        } else {
            branch
        });
    }
    if let Some(sha) = var("CI_MERGE_REQUEST_DIFF_BASE_SHA") {
        return Ok(sha);
    }
    Err("`--changed-since auto` needs GITHUB_BASE_REF (a GitHub pull request) or CI_MERGE_REQUEST_DIFF_BASE_SHA (a GitLab merge request); elsewhere name the base: `--changed-since origin/main`".into())
}

fn commit_exists(repo: &Path, reference: &str) -> bool {
    git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
    )
    .is_ok()
}

/// The files changed between the merge base of `reference` and HEAD (renames followed), and
/// since HEAD in the work tree (staged, unstaged, and new files git does not ignore).
pub fn changed_since(root: &Path, reference: &str) -> Result<Changes, String> {
    let root = absolute(root);
    let top = git(&root, &["rev-parse", "--show-toplevel"]).map_err(|_| {
        format!(
            "{} is not in a git repository: --changed-since compares with a git commit (or name the files: `opsbook check FILE...`)",
            root.display()
        )
    })?;
    let repo = absolute(Path::new(String::from_utf8_lossy(&top).trim()));
    let reference = if reference == "auto" {
        auto_base(&repo)?
    } else {
        reference.to_string()
    };
    if !commit_exists(&repo, &reference) {
        return Err(format!(
            "git knows no commit `{reference}`: fetch it first (on GitHub Actions, `actions/checkout` with `fetch-depth: 0`)"
        ));
    }
    // Path -> whether it is there now, in the order: committed on the branch, then the work tree.
    let mut state: BTreeMap<String, bool> = BTreeMap::new();
    let range = format!("{reference}...HEAD");
    let committed = git(
        &repo,
        &["diff", "--name-status", "-z", "-M", "--no-ext-diff", &range],
    )
    .map_err(|e| {
        format!("cannot compare with `{reference}`: {e} (a shallow clone lacks the merge base: fetch with `fetch-depth: 0`)")
    })?;
    apply(&mut state, &committed);
    let uncommitted = git(
        &repo,
        &["diff", "--name-status", "-z", "-M", "--no-ext-diff", "HEAD"],
    )?;
    apply(&mut state, &uncommitted);
    let untracked = git(&repo, &["ls-files", "-z", "--others", "--exclude-standard"])?;
    for path in untracked.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        state.insert(String::from_utf8_lossy(path).into_owned(), true);
    }
    // What the Markdown files were before, read at once: their old titles may be what others
    // still name them by.
    let before: Vec<String> = state
        .keys()
        .filter(|p| p.ends_with(".md"))
        .map(|p| format!("{reference}:{p}"))
        .collect();
    let mut changes = Changes {
        old_titles: crate::history::blobs(&repo, &before)
            .into_iter()
            .flatten()
            .filter_map(|text| title_of(&String::from_utf8_lossy(&text)))
            .collect(),
        ..Changes::default()
    };
    for (path, there) in state {
        let abs = repo.join(&path);
        if there {
            changes.present.push(abs);
        } else {
            changes.gone.push(abs);
        }
    }
    Ok(changes)
}

/// Applies `git diff --name-status -z` output: `M\0path\0`, `R100\0old\0new\0`, ...
fn apply(state: &mut BTreeMap<String, bool>, out: &[u8]) {
    let mut fields = out
        .split(|&b| b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    while let Some(status) = fields.next() {
        let Some(kind) = status.chars().next() else {
            continue;
        };
        match kind {
            'R' | 'C' => {
                let (Some(old), Some(new)) = (fields.next(), fields.next()) else {
                    break;
                };
                if kind == 'R' {
                    state.insert(old, false);
                }
                state.insert(new, true);
            }
            'D' => {
                if let Some(p) = fields.next() {
                    state.insert(p, false);
                }
            }
            _ => {
                if let Some(p) = fields.next() {
                    state.insert(p, true);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_status_output_is_parsed_with_renames() {
        let mut state = BTreeMap::new();
        apply(
            &mut state,
            b"M\0content/a.md\0R087\0content/old.md\0content/new.md\0D\0content/gone.md\0A\0x y.md\0",
        );
        let got: Vec<(&str, bool)> = state.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            got,
            [
                ("content/a.md", true),
                ("content/gone.md", false),
                ("content/new.md", true),
                ("content/old.md", false),
                ("x y.md", true)
            ]
        );
        // The work tree comes after the branch: a file deleted since is gone.
        apply(&mut state, b"D\0content/a.md\0");
        assert!(!state["content/a.md"]);
    }

    #[test]
    fn titles_come_from_front_matter_else_the_first_heading() {
        assert_eq!(
            title_of("---\nowner: x\ntitle: \"Drain a node\"\n---\n# Other\n").as_deref(),
            Some("Drain a node")
        );
        assert_eq!(
            title_of("---\nowner: x\n---\n\nText\n# Fail over #\n").as_deref(),
            Some("Fail over")
        );
        assert_eq!(title_of("no heading"), None);
    }
}
