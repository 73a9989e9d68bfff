//! The repository's history, read once per build: for each source file, the commits that changed
//! its content (newest first), renames followed, and the commits that reviewed it.
//!
//! One `git log --raw` over the content folder gives every commit with the files it touched and
//! their blobs; walking it from the newest, a file deleted and added with the same blob is a move
//! (the older name's history becomes the current name's) and an addition ends a file's history
//! (what was at that path before was another file). Whether an edit changed what a runbook says
//! is decided from the two blobs. What was read is kept in `.git/opsbook/` (see `Store`), so a
//! build asks git only about what is new. A shallow clone is not read: its oldest commit looks
//! as if it added every file, and dates from it would be wrong.

use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One commit of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub id: String,
    /// The author date (UTC), as change dates are usually shown.
    pub date: NaiveDate,
    pub author: String,
    /// A `Reviewed-by:` or `Runbook-reviewed:` trailer: the commit reviews the runbooks it touches.
    pub review: bool,
}

/// A commit's change to one file: where the file was after it, and before it (`None` when the
/// commit added the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub commit: usize,
    pub path: String,
    pub before: Option<String>,
    /// Only moved (a rename without edits): not a change of content.
    pub moved_only: bool,
    /// The blobs before and after (git's ids; zeros for none).
    pub blobs: (String, String),
}

/// Why there is no history to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// `[site] git = false`.
    Off,
    /// Not in a git work tree, or git is not installed: nothing to say.
    NoRepository,
    /// A shallow clone: its dates would be wrong.
    Shallow,
    /// git failed; the message says how.
    Failed(String),
}

impl Unknown {
    /// What to tell the user, if anything.
    pub fn note(&self) -> Option<String> {
        match self {
            Unknown::Off | Unknown::NoRepository => None,
            Unknown::Shallow => Some(
                "note: the git history is shallow: change dates are unknown and not shown; fetch the whole history (`git fetch --unshallow`, or `fetch-depth: 0` on actions/checkout)".into(),
            ),
            Unknown::Failed(why) => Some(format!("note: cannot read the git history: {why}")),
        }
    }
}

#[derive(Debug, Default)]
pub struct History {
    pub commits: Vec<Commit>,
    /// By path from the site root: the file's changes, newest first.
    files: HashMap<String, Vec<Change>>,
    /// The git work tree's root, and the site root's path in it (`docs/`).
    pub repository: std::path::PathBuf,
    prefix: String,
    store: Store,
}

impl History {
    /// Reads the history of the content folder of the site at `root`.
    pub fn read(root: &Path, content: &Path) -> Result<History, Unknown> {
        let git = |dir: &Path, args: &[&str]| git(dir, args).map_err(Unknown::Failed);
        let root = crate::output::absolute(root);
        let content = crate::output::absolute(content);
        let found = git(
            &content,
            &[
                "rev-parse",
                "--show-toplevel",
                "--git-common-dir",
                "--is-shallow-repository",
            ],
        )
        .map_err(|_| Unknown::NoRepository)?;
        let found = String::from_utf8_lossy(&found);
        let mut lines = found.lines();
        let (Some(top), Some(common), Some(shallow)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(Unknown::NoRepository);
        };
        if shallow == "true" {
            return Err(Unknown::Shallow);
        }
        let repository = crate::output::absolute(Path::new(top));
        // A repository with no commit yet has no history, and that is not an error.
        let Ok(head) = git(&repository, &["rev-parse", "--verify", "--quiet", "HEAD"]) else {
            return Ok(History::default());
        };
        let head = String::from_utf8_lossy(&head).trim().to_string();
        let relative = |p: &Path| {
            p.strip_prefix(&repository)
                .map(crate::diagnostics::display_path)
                .ok()
        };
        let Some(site_in_repo) = relative(&root) else {
            return Err(Unknown::NoRepository);
        };
        let store = Store {
            dir: Some(content.join(common).join("opsbook")),
        };
        let scope = relative(&content).unwrap_or_default();
        let log = store.log(&repository, &scope, &head)?;
        let prefix = if site_in_repo.is_empty() {
            String::new()
        } else {
            format!("{site_in_repo}/")
        };
        let mut history = History::parse(&log, &prefix);
        history.repository = repository;
        history.prefix = prefix;
        history.store = store;
        Ok(history)
    }

    /// Builds the history from `git log -z --raw --no-renames` output in the format `read` asks for;
    /// paths are kept when under `prefix` (the site root in the repository), without it.
    fn parse(log: &[u8], prefix: &str) -> History {
        let mut history = History::default();
        // A path in older history -> the path of that file now.
        let mut alias: HashMap<String, String> = HashMap::new();
        // Files whose history has ended (added at a commit already walked).
        let mut born: HashSet<String> = HashSet::new();
        for record in log.split(|&b| b == 1).filter(|r| !r.is_empty()) {
            let mut fields = record.split(|&b| b == 0);
            let header = String::from_utf8_lossy(fields.next().unwrap_or_default());
            let mut head = header.split('\u{2}');
            let (Some(id), Some(time), Some(author)) = (head.next(), head.next(), head.next())
            else {
                continue;
            };
            let review = head.next().is_some_and(|t| !t.trim().is_empty());
            let Some(date) = time
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|d| d.date_naive())
            else {
                continue;
            };
            let commit = history.commits.len();
            history.commits.push(Commit {
                id: id.to_string(),
                date,
                author: author.to_string(),
                review,
            });
            for (kind, mut change) in raw_entries(fields) {
                let current = alias
                    .get(&change.path)
                    .cloned()
                    .unwrap_or_else(|| change.path.clone());
                if kind == 'D' || born.contains(&current) {
                    continue;
                }
                match kind {
                    'A' | 'C' => {
                        born.insert(current.clone());
                    }
                    'R' => {
                        if let Some(old) = &change.before {
                            alias.insert(old.clone(), current.clone());
                        }
                    }
                    _ => {}
                }
                if let Some(rel) = current.strip_prefix(prefix) {
                    change.commit = commit;
                    history
                        .files
                        .entry(rel.to_string())
                        .or_default()
                        .push(change);
                }
            }
        }
        history
    }

    /// The file's changes, newest first (`path` from the site root).
    pub fn changes(&self, path: &str) -> &[Change] {
        self.files.get(path).map_or(&[], Vec::as_slice)
    }

    /// The file's last change of content: its commit.
    pub fn last_change(&self, path: &str) -> Option<&Commit> {
        self.changes(path)
            .iter()
            .find(|c| !c.moved_only)
            .map(|c| &self.commits[c.commit])
    }

    /// The newest commit that reviewed the file (a review trailer).
    pub fn last_review(&self, path: &str) -> Option<&Commit> {
        self.changes(path)
            .iter()
            .map(|c| &self.commits[c.commit])
            .find(|c| c.review)
    }

    /// The path from the repository's root of a path from the site root.
    pub fn repository_path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// For each (file, review date), the newest commit after the review that changed what the
    /// file says: not one that only re-flows whitespace or touches the front matter, nor the
    /// one that added the file or carries a review trailer; and none when a commit before it
    /// changed the review date (that commit was the review). Each commit's blobs before and after
    /// are compared once ever (the store keeps the answer); what is new is read with one
    /// `git cat-file --batch` per round, newest candidates first, at most 8 rounds.
    pub fn changed_after_review(&self, reviews: &[(&str, NaiveDate)]) -> Vec<Option<&Commit>> {
        let mut found = vec![None; reviews.len()];
        let mut pending: Vec<(usize, Vec<&Change>)> = reviews
            .iter()
            .enumerate()
            .map(|(i, (path, reviewed))| {
                let after = self
                    .changes(path)
                    .iter()
                    .filter(|c| {
                        let commit = &self.commits[c.commit];
                        !c.moved_only
                            && c.before.is_some()
                            && !commit.review
                            && commit.date > *reviewed
                    })
                    .collect();
                (i, after)
            })
            .collect();
        let mut known = self.store.edits();
        let mut learnt = Vec::new();
        const ROUNDS: usize = 8;
        for round in 0..ROUNDS {
            pending.retain(|(_, after)| after.len() > round);
            if pending.is_empty() {
                break;
            }
            let blobs_of = |after: &[&Change]| after[round].blobs.clone();
            let asked: Vec<(String, String)> = pending
                .iter()
                .map(|(_, after)| blobs_of(after))
                .filter(|pair| !known.contains_key(pair))
                .collect();
            let specs: Vec<String> = asked
                .iter()
                .flat_map(|(old, new)| [old.clone(), new.clone()])
                .collect();
            // Each pair compared as soon as both texts are in: one pair in memory at a time.
            let (mut old, mut n) = (None, 0);
            each_blob(&self.repository, &specs, |text| {
                let pair = &asked[n / 2];
                n += 1;
                if n % 2 == 1 {
                    old = text;
                } else if let (Some(old), Some(new)) = (old.take(), text) {
                    let decided = edit(
                        &String::from_utf8_lossy(&old),
                        &String::from_utf8_lossy(&new),
                    );
                    learnt.push((pair.clone(), decided));
                    known.insert(pair.clone(), decided);
                }
            });
            pending.retain(|(i, after)| match known.get(&blobs_of(after)) {
                Some(Edit::Cosmetic) => true,
                Some(Edit::Content) => {
                    found[*i] = Some(&self.commits[after[round].commit]);
                    false
                }
                // A review, or blobs git does not have.
                _ => false,
            });
        }
        self.store.learn_edits(&learnt);
        found
    }
}

/// What earlier builds learnt from the history, kept in the repository's git folder
/// (`.git/opsbook/`, never published, gone with the clone): the log record of every commit walked
/// and how each pair of blobs compares. Both are facts about objects that never change, so a
/// build asks git only about commits made since the last one, and a build of an unchanged
/// repository reads the history from one file. A store that cannot be read or written costs
/// time, never a different result.
#[derive(Debug, Default)]
struct Store {
    dir: Option<PathBuf>,
}

/// The log format the records are kept in: changing it must change the file they are kept in.
const LOG_FORMAT: &str = "--format=%x01%H%x02%at%x02%aN%x02%(trailers:key=Reviewed-by,key=Runbook-reviewed,valueonly,separator=%x03)";

/// Bumped whenever `edit` decides differently: the edits kept under another version are not read.
const EDITS_VERSION: u32 = 1;

impl Store {
    fn file(&self, name: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(name))
    }

    /// The `git log -z --raw` records of the commits that touched `scope` (the content folder
    /// in the repository, empty for all of it), newest first: kept for `head`, or made from the
    /// kept records and those of the commits git lists as new.
    fn log(&self, repository: &Path, scope: &str, head: &str) -> Result<Vec<u8>, Unknown> {
        // Raw entries carry blob ids, which pair a deletion and an addition of the same content
        // into a move: git's own rename detection (-M) costs a third more at 20,000 commits. A
        // pathspec of the whole repository costs more than reading every path (2.8 s against
        // 1.3 s there): the content folder is named only when it is a folder of the repository.
        let args = |extra: &[&'static str]| {
            let mut args: Vec<&str> = vec![
                "-c",
                "core.quotePath=false",
                "log",
                "-z",
                "--raw",
                "--no-renames",
                "--no-abbrev",
                "--no-color",
                LOG_FORMAT,
            ];
            args.extend(extra);
            if extra.is_empty() {
                args.push(head);
            }
            if !scope.is_empty() {
                args.extend(["--", scope]);
            }
            args
        };
        let git = |args: &[&str], input: &[u8]| {
            git_with_input(repository, args, input).map_err(Unknown::Failed)
        };
        // Author names go through the work tree's .mailmap: records read with another are not
        // kept under the same name.
        let mailmap = std::fs::read(repository.join(".mailmap")).unwrap_or_default();
        let file = self.file(&format!(
            "log-{}",
            &crate::report::fingerprint(&format!(
                "{LOG_FORMAT}\0{scope}\0{}",
                String::from_utf8_lossy(&mailmap)
            ))[..16]
        ));
        let kept = file
            .as_ref()
            .and_then(|f| std::fs::read(f).ok())
            .unwrap_or_default();
        let (kept_head, kept) = match kept.iter().position(|&b| b == b'\n') {
            Some(n) => (&kept[..n], &kept[n + 1..]),
            None => (&[][..], &[][..]),
        };
        if kept_head == head.as_bytes() {
            return Ok(kept.to_vec());
        }
        let log = if kept.is_empty() {
            git(&args(&[]), b"")?
        } else {
            let mut rev_list = vec!["rev-list", head];
            if !scope.is_empty() {
                rev_list.extend(["--", scope]);
            }
            let order = git(&rev_list, b"")?;
            let kept = records(kept);
            let missing: Vec<u8> = order
                .split(|&b| b == b'\n')
                .filter(|id| !id.is_empty() && !kept.contains_key(id))
                .flat_map(|id| id.iter().chain(b"\n"))
                .copied()
                .collect();
            let fresh = if missing.is_empty() {
                Vec::new()
            } else {
                git(&args(&["--no-walk=unsorted", "--stdin"]), &missing)?
            };
            let fresh = records(&fresh);
            let mut log = Vec::with_capacity(kept.values().map(|r| r.len()).sum());
            for id in order.split(|&b| b == b'\n').filter(|id| !id.is_empty()) {
                match kept.get(id).or_else(|| fresh.get(id)) {
                    Some(record) => log.extend_from_slice(record),
                    // Not expected: git listed a commit it then did not show.
                    None => return git(&args(&[]), b""),
                }
            }
            log
        };
        if let Some(file) = file {
            let mut text = Vec::with_capacity(head.len() + 1 + log.len());
            text.extend(head.as_bytes());
            text.push(b'\n');
            text.extend(&log);
            keep(&file, &text);
        }
        Ok(log)
    }

    /// The pairs of blobs (before, after) compared by earlier builds.
    fn edits(&self) -> HashMap<(String, String), Edit> {
        let Some(text) = self
            .file(&format!("edits-{EDITS_VERSION}"))
            .and_then(|f| std::fs::read_to_string(f).ok())
        else {
            return HashMap::new();
        };
        text.lines()
            .filter_map(|line| {
                let mut f = line.split(' ');
                let (old, new, edit) = (f.next()?, f.next()?, f.next()?);
                let edit = match edit {
                    "review" => Edit::Review,
                    "content" => Edit::Content,
                    "cosmetic" => Edit::Cosmetic,
                    _ => return None,
                };
                Some(((old.to_string(), new.to_string()), edit))
            })
            .collect()
    }

    /// Adds pairs of blobs compared in this build to those kept.
    fn learn_edits(&self, learnt: &[((String, String), Edit)]) {
        let Some(file) = self.file(&format!("edits-{EDITS_VERSION}")) else {
            return;
        };
        if learnt.is_empty() {
            return;
        }
        let mut text = std::fs::read(&file).unwrap_or_default();
        if !text.is_empty() && !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        for ((old, new), edit) in learnt {
            let edit = match edit {
                Edit::Review => "review",
                Edit::Content => "content",
                Edit::Cosmetic => "cosmetic",
            };
            text.extend(format!("{old} {new} {edit}\n").bytes());
        }
        keep(&file, &text);
    }
}

/// Writes a store file whole (written aside, then renamed, so that a build reading it beside
/// another never sees half of it); a failure only means the next build reads git again.
fn keep(file: &Path, text: &[u8]) {
    let Some(dir) = file.parent() else {
        return;
    };
    let aside = dir.join(format!(
        ".{}.{}",
        std::process::id(),
        file.file_name()
            .map_or("store".into(), |n| n.to_string_lossy())
    ));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&aside, text))
        .and_then(|()| std::fs::rename(&aside, file));
    if written.is_err() {
        let _ = std::fs::remove_file(&aside);
    }
}

/// The records of `git log` output in `read`'s format, by commit id.
fn records(log: &[u8]) -> HashMap<&[u8], &[u8]> {
    let mut starts: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == 1)
        .map(|(i, _)| i)
        .collect();
    starts.push(log.len());
    starts
        .windows(2)
        .filter_map(|w| {
            let record = &log[w[0]..w[1]];
            let id = record[1..].split(|&b| b == 2).next()?;
            Some((id, record))
        })
        .collect()
}

/// Runs git in `dir`; its output, or what it said when it failed.
pub fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    git_with_input(dir, args, b"")
}

/// Runs git in `dir` with `input` on its standard input.
fn git_with_input(dir: &Path, args: &[&str], input: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git ({e})"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    // Written beside the reading: git answers as it reads, and a full pipe would block both.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child
        .wait_with_output()
        .map_err(|e| format!("cannot run git ({e})"))?;
    let _ = writer.join();
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The contents of objects (`<commit>:<path>`, `<commit>^:<path>`, or a blob's id), from one
/// `git cat-file --batch`; `None` for what git does not have.
pub fn blobs(repository: &Path, specs: &[String]) -> Vec<Option<Vec<u8>>> {
    let mut blobs = Vec::with_capacity(specs.len());
    each_blob(repository, specs, |blob| blobs.push(blob));
    blobs
}

/// Gives `each` the contents of each object in turn, as `git cat-file --batch` reads them (one
/// at a time in memory); `None` for what git does not have.
fn each_blob(repository: &Path, specs: &[String], mut each: impl FnMut(Option<Vec<u8>>)) {
    use std::io::{BufRead, Read, Write};
    let child = Command::new("git")
        .arg("-C")
        .arg(repository)
        .args(["cat-file", "--batch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(child) if !specs.is_empty() => child,
        _ => return specs.iter().for_each(|_| each(None)),
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    let requests: String = specs
        .iter()
        .filter(|s| !s.contains('\n'))
        .map(|s| format!("{s}\n"))
        .collect();
    // Written beside the reading: git answers as it reads, and a full pipe would block both.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(requests.as_bytes());
    });
    let mut out = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut header = String::new();
    for spec in specs {
        header.clear();
        if spec.contains('\n') || out.read_line(&mut header).unwrap_or(0) == 0 {
            each(None);
            continue;
        }
        let size = header
            .trim_end()
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|_| !header.trim_end().ends_with("missing"));
        let Some(size) = size else {
            each(None);
            continue;
        };
        let mut blob = vec![0; size + 1];
        if out.read_exact(&mut blob).is_err() {
            each(None);
            continue;
        }
        blob.pop();
        each(Some(blob));
    }
    let _ = writer.join();
    let _ = child.wait();
}

/// A commit's entries from `--raw -z` output (`:100644 100644 <old blob> <new blob> M`, then
/// the path): each one's status (`A`, `C`, `D`, `M`, `R`...) and the change (its commit left to
/// the caller). A file deleted and one added with the same blob are a move (`R`); a move with
/// edits is a deletion and an addition.
fn raw_entries<'a>(fields: impl Iterator<Item = &'a [u8]>) -> Vec<(char, Change)> {
    let mut raw: Vec<(char, String, String, String)> = Vec::new();
    let mut fields = fields.map(|f| {
        String::from_utf8_lossy(f)
            .trim_start_matches('\n')
            .to_string()
    });
    while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
        let parts: Vec<&str> = meta.split(' ').collect();
        let [_, _, old_blob, new_blob, status] = parts[..] else {
            continue;
        };
        let kind = status.chars().next().unwrap_or('M');
        raw.push((kind, old_blob.to_string(), new_blob.to_string(), path));
    }
    let mut moves: Vec<(String, String)> = Vec::new();
    for (kind, _, new_blob, path) in &raw {
        if *kind != 'A' {
            continue;
        }
        let gone = raw.iter().find(|(k, old_blob, _, p)| {
            *k == 'D' && old_blob == new_blob && !moves.iter().any(|(o, _)| o == p)
        });
        if let Some((_, _, _, from)) = gone {
            moves.push((from.clone(), path.clone()));
        }
    }
    raw.into_iter()
        .filter(|(kind, _, _, path)| !(*kind == 'D' && moves.iter().any(|(o, _)| o == path)))
        .map(|(kind, old, new, path)| {
            let moved_from = moves.iter().find(|(_, n)| *n == path).map(|(o, _)| o);
            let (kind, before) = match (kind, moved_from) {
                (_, Some(from)) => ('R', Some(from.clone())),
                ('A' | 'C', None) => (kind, None),
                _ => (kind, Some(path.clone())),
            };
            let change = Change {
                commit: 0,
                path,
                before,
                moved_only: kind == 'R',
                blobs: if kind == 'R' {
                    (new.clone(), new)
                } else {
                    (old, new)
                },
            };
            (kind, change)
        })
        .collect()
}

/// How a commit changed a runbook, from its text before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The commit changed the review date: it is a review.
    Review,
    /// The text outside the front matter changed beyond whitespace.
    Content,
    /// Only whitespace, or only the front matter.
    Cosmetic,
}

pub fn edit(before: &str, after: &str) -> Edit {
    fn split(t: &str) -> (Vec<String>, Vec<&str>) {
        let s = crate::source::front_matter::split(t);
        let reviews: Vec<String> = s
            .yaml
            .map(|(y, _)| y)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.to_ascii_lowercase().contains("review"))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let body: Vec<&str> = s.body.split_whitespace().collect();
        (reviews, body)
    }
    let (old_reviews, old_body) = split(before);
    let (new_reviews, new_body) = split(after);
    if old_reviews != new_reviews {
        Edit::Review
    } else if old_body != new_body {
        Edit::Content
    } else {
        Edit::Cosmetic
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(commits: &[(&str, i64, &str, &str, &[&str])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (id, time, author, trailers, entries) in commits {
            out.extend(format!("\u{1}{id}\u{2}{time}\u{2}{author}\u{2}{trailers}\0\n").bytes());
            // (status, path) pairs; `R` gives old and new paths: written as git does, a
            // deletion and an addition of the same blob.
            let mut i = 0;
            while i < entries.len() {
                let (meta, path) = match entries[i] {
                    "R100" => {
                        let (old, new) = (entries[i + 1], entries[i + 2]);
                        out.extend(
                            format!(
                                ":100644 000000 {} {} D\0{old}\0",
                                "b".repeat(40),
                                "0".repeat(40)
                            )
                            .bytes(),
                        );
                        i += 3;
                        (
                            format!(":000000 100644 {} {} A", "0".repeat(40), "b".repeat(40)),
                            new,
                        )
                    }
                    status => {
                        i += 2;
                        (
                            format!(
                                ":100644 100644 {} {} {status}",
                                "1".repeat(40),
                                "2".repeat(40)
                            ),
                            entries[i - 1],
                        )
                    }
                };
                out.extend(meta.bytes());
                out.push(0);
                out.extend(path.bytes());
                out.push(0);
            }
        }
        out
    }

    const DAY: i64 = 86_400;

    #[test]
    fn edits_are_reviews_content_or_cosmetic() {
        let old = "---\nowner: a\nlast_reviewed: 2026-01-01\n---\n# T\n\nStep one.\n";
        assert_eq!(
            edit(old, &old.replace("Step one.", "Step  one.\n\n")),
            Edit::Cosmetic
        );
        assert_eq!(
            edit(old, &old.replace("owner: a", "owner: b")),
            Edit::Cosmetic
        );
        assert_eq!(edit(old, &old.replace("one", "two")), Edit::Content);
        assert_eq!(
            edit(
                old,
                &old.replace("2026-01-01", "2026-03-01")
                    .replace("one", "two")
            ),
            Edit::Review
        );
    }

    #[test]
    fn renames_are_followed_and_an_addition_ends_a_history() {
        // Newest first, as git log gives them.
        let text = log(&[
            ("e", 20_000 * DAY, "Eve", "", &["M", "docs/content/b.md"]),
            (
                "d",
                19_990 * DAY,
                "Dan",
                "Carol <c@x>",
                &["R100", "docs/content/a.md", "docs/content/b.md"],
            ),
            ("c", 19_980 * DAY, "Cy", "", &["A", "docs/content/a.md"]),
            ("b", 19_970 * DAY, "Bo", "", &["D", "docs/content/a.md"]),
            (
                "a",
                19_960 * DAY,
                "Al",
                "",
                &["M", "docs/content/a.md", "M", "other/x.md"],
            ),
        ]);
        let h = History::parse(&text, "docs/");
        let b: Vec<&str> = h
            .changes("content/b.md")
            .iter()
            .map(|c| h.commits[c.commit].id.as_str())
            .collect();
        // The a.md deleted at b and edited at a was another file.
        assert_eq!(b, ["e", "d", "c"]);
        assert_eq!(h.last_change("content/b.md").unwrap().author, "Eve");
        assert_eq!(h.last_review("content/b.md").unwrap().id, "d");
        assert!(h.changes("content/b.md")[1].moved_only);
        assert_eq!(
            h.changes("content/b.md")[1].before.as_deref(),
            Some("docs/content/a.md")
        );
        assert_eq!(h.changes("content/b.md")[2].before, None);
        assert!(h.changes("content/a.md").is_empty());
        assert!(h.changes("../other/x.md").is_empty());
        assert_eq!(
            h.commits[0].date,
            NaiveDate::from_ymd_opt(2024, 10, 4).unwrap()
        );
    }
}
