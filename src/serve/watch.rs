//! Watching the site for changes, with a debouncer that pairs renames (so editors' atomic saves
//! look like one change) and a polling fallback for file systems without events.

use crate::config::Project;
use notify_debouncer_full::notify::{self, PollWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, FileIdMap, new_debouncer, new_debouncer_opt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Quiet time before a batch of events counts as one change: long enough to pair the steps of
/// an editor's save (write a temporary file, rename it over the old one), short enough not to be
/// felt.
const DEBOUNCE: Duration = Duration::from_millis(10);
const POLL_EVERY: Duration = Duration::from_millis(250);

/// Names editors write and delete around a save; a change to only these is no change.
fn is_editor_noise(name: &str) -> bool {
    crate::source::is_ignored_name(name)
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name.ends_with(".crswap")
        || name.starts_with(".goutputstream")
}

/// Whether a changed path can change the site: anything under the root except the output
/// folder, opsbook's staging folders, hidden folders (`.git`) and editor temporaries; in hidden
/// folders, only the CODEOWNERS files owners are read from.
pub fn is_relevant(path: &Path, root: &Path, output: &Path) -> bool {
    if path.starts_with(output) {
        return false;
    }
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    if rel == Path::new(".github/CODEOWNERS") || rel == Path::new(".gitlab/CODEOWNERS") {
        return true;
    }
    let mut parts = rel.components().peekable();
    while let Some(part) = parts.next() {
        let name = part.as_os_str().to_string_lossy();
        let last = parts.peek().is_none();
        if name.starts_with('.') || (last && is_editor_noise(&name)) {
            return false;
        }
    }
    true
}

pub struct Watching {
    _watcher: Box<dyn std::any::Any + Send>,
}

fn absolute(p: &Path) -> PathBuf {
    crate::output::absolute(p)
}

/// Watches `root` and calls `rebuild` (on a thread of its own) after each relevant change, with
/// the paths that changed (`None` when the watcher lost track and anything may have changed).
pub fn start(
    root: &Path,
    poll: bool,
    rebuild: impl Fn(Option<Vec<PathBuf>>) + Send + 'static,
) -> Result<Watching, String> {
    let root = absolute(root);
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let watcher: Box<dyn std::any::Any + Send> = if poll {
        Box::new(poll_watcher(&root, tx)?)
    } else {
        match native_watcher(&root, tx.clone()) {
            Ok(w) => Box::new(w),
            Err(e) => {
                eprintln!(
                    "{e}; watching by polling every {} ms instead",
                    POLL_EVERY.as_millis()
                );
                Box::new(poll_watcher(&root, tx)?)
            }
        }
    };
    std::thread::spawn(move || {
        while let Ok(first) = rx.recv() {
            let mut batches = vec![first];
            // Coalesce everything that arrived meanwhile into one rebuild.
            while let Ok(more) = rx.try_recv() {
                batches.push(more);
            }
            // Reading files is not a change, and must not lead to reading any: every rebuild (and
            // the project lookup below) reads files, which reports access events, which would
            // come back here as a batch, and so on forever.
            let only_reads = batches.iter().all(|b| {
                b.as_ref().is_ok_and(|events| {
                    events
                        .iter()
                        .all(|e| matches!(e.kind, notify::EventKind::Access(_)))
                })
            });
            if only_reads {
                continue;
            }
            let output = Project::detect(&root)
                .map(|p| absolute(&p.output_dir(None)))
                .unwrap_or_else(|_| root.join("public"));
            let mut changed: Option<Vec<PathBuf>> = Some(Vec::new());
            for batch in &batches {
                match (batch, changed.as_mut()) {
                    (Ok(events), Some(list)) => {
                        // Reading files (our own build does) is not a change.
                        let paths = events
                            .iter()
                            .filter(|e| !matches!(e.kind, notify::EventKind::Access(_)))
                            .flat_map(|e| e.paths.iter())
                            .filter(|p| is_relevant(p, &root, &output));
                        for p in paths {
                            if !list.contains(p) {
                                list.push(p.clone());
                            }
                        }
                    }
                    (Err(_), _) => changed = None,
                    (Ok(_), None) => {}
                }
            }
            if changed.as_ref().is_none_or(|list| !list.is_empty()) {
                rebuild(changed);
            }
        }
    });
    Ok(Watching { _watcher: watcher })
}

fn native_watcher(
    root: &Path,
    tx: mpsc::Sender<DebounceEventResult>,
) -> Result<
    notify_debouncer_full::Debouncer<
        notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
    String,
> {
    let mut d = new_debouncer(DEBOUNCE, None, tx).map_err(explain)?;
    d.watch(root, RecursiveMode::Recursive).map_err(explain)?;
    Ok(d)
}

fn poll_watcher(
    root: &Path,
    tx: mpsc::Sender<DebounceEventResult>,
) -> Result<notify_debouncer_full::Debouncer<PollWatcher, FileIdMap>, String> {
    let config = notify::Config::default().with_poll_interval(POLL_EVERY);
    let mut d = new_debouncer_opt::<_, PollWatcher, FileIdMap>(
        DEBOUNCE,
        None,
        tx,
        FileIdMap::new(),
        config,
    )
    .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    d.watch(root, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    Ok(d)
}

fn explain(e: notify::Error) -> String {
    let limit = matches!(e.kind, notify::ErrorKind::MaxFilesWatch)
        || matches!(&e.kind, notify::ErrorKind::Io(io) if io.raw_os_error() == Some(28));
    if limit {
        "the file watcher hit the inotify watch limit (raise it with `sudo sysctl fs.inotify.max_user_watches=524288`, or use --poll)".to_string()
    } else {
        format!("the native file watcher failed: {e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_changes() {
        let root = Path::new("/site");
        let out = Path::new("/site/public");
        assert!(is_relevant(
            Path::new("/site/content/db/failover.md"),
            root,
            out
        ));
        assert!(is_relevant(Path::new("/site/opsbook.toml"), root, out));
        assert!(is_relevant(
            Path::new("/site/.github/CODEOWNERS"),
            root,
            out
        ));
        assert!(is_relevant(
            Path::new("/site/.gitlab/CODEOWNERS"),
            root,
            out
        ));
        assert!(!is_relevant(
            Path::new("/site/.github/workflows/ci.yml"),
            root,
            out
        ));
        assert!(is_relevant(
            Path::new("/site/themes/default/templates/base.html"),
            root,
            out
        ));
        assert!(!is_relevant(
            Path::new("/site/public/index.html"),
            root,
            out
        ));
        assert!(!is_relevant(Path::new("/site/.git/index"), root, out));
        assert!(!is_relevant(
            Path::new("/site/content/.failover.md.swp"),
            root,
            out
        ));
        assert!(!is_relevant(
            Path::new("/site/content/failover.md~"),
            root,
            out
        ));
        assert!(!is_relevant(Path::new("/site/content/4913"), root, out));
        assert!(!is_relevant(
            Path::new("/site/content/failover.md___jb_tmp___"),
            root,
            out
        ));
        assert!(!is_relevant(
            Path::new("/site/.public.opsbook-staging/x.html"),
            root,
            out
        ));
        assert!(!is_relevant(Path::new("/elsewhere/x.md"), root, out));
    }
}
