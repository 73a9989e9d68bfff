//! `opsbook serve`: build in memory, serve on localhost, rebuild on every change, reload tabs.
//!
//! The site is rebuilt in full in memory after each change (Zola went back to full rebuilds for
//! correctness; ours is fast enough), swapped in whole, and only then are open tabs told to
//! reload. A change that breaks the site keeps the server running: the finding is printed and
//! shown as an overlay in every open tab until the next good build clears it. Nothing is ever
//! written to the output folder.

mod http;
mod watch;

use crate::cli::ServeArgs;
use crate::cli::{fail, today_or_now};
use crate::config::Project;
use crate::diagnostics::{self, Level, Located, exit};
use crate::output::Content;
use crate::render::{self, Theme};
use crate::site::{LoadOptions, Site};
use serde::Serialize;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;
use tokio::sync::broadcast;

/// One build, ready to serve. Pages are rendered when they are asked for (and kept), so a
/// rebuild costs reading and checking the site, not rendering pages nobody looks at.
pub struct Snapshot {
    pub version: u64,
    /// How this version came about: `build` (the whole site loaded) or `patch` (edited
    /// runbooks re-read into the previous version).
    pub update: &'static str,
    /// What the overlay shows: empty when the site is fine.
    pub problems: Vec<Problem>,
    /// The site to serve: this build's, or the last good one when this build failed.
    pub rendered: Option<Arc<Rendered>>,
}

/// A site that can be rendered.
pub struct Rendered {
    /// The site and its findings; replaced in part when one runbook is patched.
    state: RwLock<State>,
    theme: Theme,
    files: HashMap<String, Content>,
    /// Rendered pages, cleared whenever `state` changes.
    cache: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    search: Mutex<Option<Arc<HashMap<String, Content>>>>,
}

struct State {
    site: Site,
    findings: Vec<Located>,
    /// The pages of the site by path; planned again when a patch changes facet values or alert names.
    pages: HashMap<String, render::Job>,
    /// Made again when a patch changes a title; patches keep sections and files as they are.
    order: render::context::Order,
    targets: crate::links::Targets,
    titles: crate::links::TitleIndex,
}

impl Rendered {
    /// The bytes of a file of the site, rendering it if needed.
    pub fn get(&self, path: &str) -> Option<Result<Arc<Vec<u8>>, String>> {
        if let Some(hit) = self.cache.lock().expect("cache lock").get(path) {
            return Some(Ok(hit.clone()));
        }
        // Held until the page is cached, so a patch cannot slip in between and leave a page of
        // the old site in the cache.
        let state = self.state.read().expect("state lock");
        let bytes = if let Some(&job) = state.pages.get(path) {
            let by_path = render::findings_by_path(&state.findings);
            let builder =
                render::context::Builder::new(&state.site, &self.theme, &by_path, &state.order);
            match render::render_job(&state.site, &self.theme, &builder, job) {
                Ok(Some(file)) => content_bytes(&file.content),
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            }
        } else if let Some(content) = self.files.get(path) {
            content_bytes(content)
        } else if path.starts_with("opsbook-search/") {
            let index = {
                let mut search = self.search.lock().expect("search lock");
                search
                    .get_or_insert_with(|| {
                        let mut files = HashMap::new();
                        let order = crate::search::doc_order(&state.site);
                        let _ = crate::search::build(&state.site, &order, None, &mut |f| {
                            files.insert(f.path, f.content);
                            Ok(())
                        });
                        for (d, &i) in order.iter().enumerate() {
                            let f = crate::search::display_file(&state.site, i, d);
                            files.insert(f.path, f.content);
                        }
                        Arc::new(files)
                    })
                    .clone()
            };
            content_bytes(index.get(path)?)
        } else {
            return None;
        };
        let bytes = match bytes {
            Ok(b) => Arc::new(b),
            Err(e) => return Some(Err(e)),
        };
        self.cache
            .lock()
            .expect("cache lock")
            .insert(path.to_string(), bytes.clone());
        drop(state);
        Some(Ok(bytes))
    }

    pub fn has_dir_index(&self, path: &str) -> bool {
        let index = format!("{path}/index.html");
        let state = self.state.read().expect("state lock");
        state.pages.contains_key(&index) || self.files.contains_key(&index)
    }

    /// Whether every one of `paths` is a source of the site served, with the same bytes, on the
    /// day it was built for: then there is nothing to do (an editor saving without a change, or
    /// one save seen twice).
    fn unchanged(&self, today: chrono::NaiveDate, paths: &[PathBuf]) -> bool {
        use crate::diagnostics::Sources;
        let state = self.state.read().expect("state lock");
        let site = &state.site;
        let content = crate::output::absolute(&site.project.content_dir);
        site.today == today
            && !paths.is_empty()
            && paths.iter().all(|path| {
                let abs = crate::output::absolute(path);
                let Ok(rel) = abs.strip_prefix(&content) else {
                    return false;
                };
                let shown = site.project.display_path(&diagnostics::display_path(rel));
                match (site.text(&shown), std::fs::read(path)) {
                    (Some((text, _)), Ok(bytes)) => !text.is_empty() && text.as_bytes() == bytes,
                    _ => false,
                }
            })
    }

    /// Re-reads changed runbooks and puts them in place, when the change stays within their own
    /// pages (see `Site::patch`). Returns the site's breaking findings afterwards, or `None`
    /// when nothing was changed and the site must be loaded again.
    fn patch(
        &self,
        cache: &crate::site::ParseCache,
        today: chrono::NaiveDate,
        paths: &[PathBuf],
    ) -> Option<(Vec<String>, Vec<Located>)> {
        let (rels, patches) = {
            let state = self.state.read().expect("state lock");
            // A new day changes review dates across the site: load it all again.
            if state.site.today != today {
                return None;
            }
            // Sources of the served site's content folder only (`*.md`, and tech-docs'
            // `*.html.md.erb`).
            let content = crate::output::absolute(&state.site.project.content_dir);
            let flavor = state.site.project.generator.flavor;
            let rels = paths
                .iter()
                .map(|path| {
                    let rel = crate::output::absolute(path);
                    let rel = diagnostics::display_path(rel.strip_prefix(&content).ok()?);
                    crate::source::is_source(&rel, flavor).then_some(rel)
                })
                .collect::<Option<Vec<_>>>()?;
            let patches = rels
                .iter()
                .map(|rel| {
                    let site = &state.site;
                    site.patch(Some(cache), &state.targets, &state.titles, rel)
                })
                .collect::<Option<Vec<_>>>()?;
            // Each was checked against the site without the others: two new titles could
            // meet, and two files dropping links could leave a runbook with no backlink.
            if patches.iter().filter(|p| p.title_changed).count() > 1
                || (patches.len() > 1 && patches.iter().any(|p| p.reaches_other_runbooks()))
            {
                return None;
            }
            (rels, patches)
        };
        let mut state = self.state.write().expect("state lock");
        let State {
            site,
            findings,
            pages,
            order,
            titles,
            ..
        } = &mut *state;
        let replan = patches.iter().any(|p| p.browse_changed);
        let retitled = patches.iter().any(|p| p.title_changed);
        let mut sources = Vec::new();
        for patch in patches {
            sources.extend(site.apply(patch));
        }
        sources.sort_unstable();
        sources.dedup();
        if replan {
            site.replan();
            *pages = page_paths(site);
        }
        if retitled {
            *order = render::context::Order::new(site);
            *titles = crate::links::TitleIndex::new(site);
        }
        for path in sources {
            let mine: Vec<_> = site
                .diagnostics
                .iter()
                .filter(|d| d.path == path)
                .cloned()
                .collect();
            let located = diagnostics::locate(mine, &*site);
            let start = findings.partition_point(|f| f.path < path);
            let end = findings.partition_point(|f| f.path <= path);
            findings.splice(start..end, located);
        }
        self.cache.lock().expect("cache lock").clear();
        *self.search.lock().expect("search lock") = None;
        Some((rels, breaking(findings)))
    }
}

/// Every page of the site by its path, rendered when asked for.
fn page_paths(site: &Site) -> HashMap<String, render::Job> {
    render::jobs(site)
        .into_iter()
        .map(|j| (render::job_path(site, j), j))
        .collect()
}

/// The findings that make the site wrong: shown as an overlay.
fn breaking(findings: &[Located]) -> Vec<Located> {
    findings
        .iter()
        .filter(|d| {
            d.level == Level::Error
                && diagnostics::Rule::from_code(d.rule).is_some_and(|r| r.breaks_site())
        })
        .cloned()
        .collect()
}

fn content_bytes(content: &Content) -> Result<Vec<u8>, String> {
    match content {
        Content::Bytes(b) => Ok(b.clone()),
        Content::Copy(p) => {
            std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub rule: String,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    fn from_finding(d: &Located) -> Problem {
        Problem {
            path: d.path.clone(),
            line: d.line,
            column: d.column,
            rule: d.rule.to_string(),
            message: d.message.clone(),
            help: d.help.clone(),
        }
    }

    fn failure(message: String) -> Problem {
        Problem {
            path: String::new(),
            line: 0,
            column: 0,
            rule: "build".into(),
            message,
            help: None,
        }
    }
}

/// Messages to open tabs.
#[derive(Debug, Clone)]
pub enum Notice {
    /// The site changed. `full`: load the page again, since more than pages may have changed
    /// (a stylesheet, a script); otherwise the tab may swap the new page in place.
    Reload {
        full: bool,
    },
    Problems(String),
}

pub struct Shared {
    pub snapshot: RwLock<Arc<Snapshot>>,
    pub notices: broadcast::Sender<Notice>,
    /// Host header values (without port) this server answers to.
    pub hosts: Vec<String>,
    pub port: u16,
}

pub struct BuildSettings {
    pub root: PathBuf,
    pub today: Option<chrono::NaiveDate>,
    pub drafts: bool,
    /// Files parsed by the previous rebuild.
    pub cache: Arc<crate::site::ParseCache>,
}

/// Loads and checks the site; pages render on request. A site that cannot be loaded or whose
/// theme does not compile gives problems and nothing to render, so the previous build keeps
/// being served.
pub fn build(settings: &BuildSettings, version: u64) -> (Snapshot, Vec<Located>, String) {
    let started = Instant::now();
    let failed = |message: String| {
        let problems = vec![Problem::failure(message.clone())];
        (
            Snapshot {
                version,
                update: "build",
                problems,
                rendered: None,
            },
            Vec::new(),
            message,
        )
    };
    let project = match Project::detect(&settings.root) {
        Ok(p) => p,
        Err(e) => return failed(e.to_string()),
    };
    let out = project.output_dir(None);
    let options = LoadOptions {
        today: today_or_now(settings.today),
        drafts: settings.drafts,
        exclude: vec![out],
        alert_rules: Vec::new(),
        render_html: true,
        keep: crate::site::Keep::Everything,
        cache: Some(settings.cache.clone()),
        due_within: None,
    };
    let site = Site::load(project, &options);
    if let Some(e) = site.errors.first() {
        return failed(e.clone());
    }
    let timer = crate::site::Timer::new();
    let located = diagnostics::locate(site.diagnostics.clone(), &site);
    let breaking = breaking(&located);
    timer.lap("locate findings");
    let theme = match Theme::load(
        site.project.themes_dir.as_deref(),
        &site.project.config.site.theme,
    ) {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    timer.lap("theme");
    // Render the home page now: a template error in a page shows at once, not on first visit.
    let pages = page_paths(&site);
    let files = render::other_files(&site, &theme, &render::findings_by_path(&located))
        .into_iter()
        .map(|f| (f.path, f.content))
        .collect();
    timer.lap("pages and files");
    let counts = diagnostics::count(&located);
    let runbooks = site.runbooks.len();
    let problems = breaking.iter().map(Problem::from_finding).collect();
    let first_runbook = site.runbooks.first().map(|rb| rb.document.output.clone());
    let rendered = Arc::new(Rendered {
        state: RwLock::new(State {
            order: render::context::Order::new(&site),
            targets: crate::links::Targets::new(&site),
            titles: crate::links::TitleIndex::new(&site),
            site,
            findings: located,
            pages,
        }),
        theme,
        files,
        cache: Mutex::new(HashMap::new()),
        search: Mutex::new(None),
    });
    timer.lap("orders and indexes");
    let snapshot = Snapshot {
        version,
        update: "build",
        problems,
        rendered: Some(rendered),
    };
    // A page template that fails is a broken site too: try the pages people open first.
    for probe in ["index.html", "404.html"] {
        if let Some(Err(e)) = snapshot.rendered.as_ref().and_then(|r| r.get(probe)) {
            return failed(e);
        }
    }
    if let Some(r) = &snapshot.rendered
        && let Some(first) = first_runbook
        && let Some(Err(e)) = r.get(&first)
    {
        return failed(e);
    }
    timer.lap("first pages");
    let summary = format!(
        "built {runbooks} runbooks in {} ms: {} errors, {} warnings",
        started.elapsed().as_millis(),
        counts.errors,
        counts.warnings
    );
    (snapshot, breaking, summary)
}

/// Tells open tabs about the new build: its problems, and to reload when it has pages (`full`:
/// by loading the page again).
fn notify(shared: &Shared, problems: &[Problem], reload: bool, full: bool) {
    let _ = shared.notices.send(Notice::Problems(
        serde_json::to_string(problems).unwrap_or_default(),
    ));
    if reload {
        let _ = shared.notices.send(Notice::Reload { full });
    }
}

/// The fast path for the commonest change, editing the text of runbooks: re-read just those
/// files into the site being served; files whose bytes are what is served already need nothing,
/// and open tabs are left alone. False when the change needs a full rebuild (anything but
/// existing runbooks changed, the last build failed, or the edit reaches other pages).
fn patch(settings: &BuildSettings, shared: &Shared, paths: &[PathBuf]) -> bool {
    let started = Instant::now();
    let snapshot = shared.snapshot.read().expect("snapshot lock").clone();
    let Some(rendered) = snapshot.rendered.clone() else {
        return false;
    };
    // After a failed build the pages served are an older site's.
    if snapshot.problems.iter().any(|p| p.rule == "build") {
        return false;
    }
    if rendered.unchanged(today_or_now(settings.today), paths) {
        return true;
    }
    let Some((rels, breaking)) =
        rendered.patch(&settings.cache, today_or_now(settings.today), paths)
    else {
        return false;
    };
    let problems: Vec<Problem> = breaking.iter().map(Problem::from_finding).collect();
    let version = snapshot.version + 1;
    *shared.snapshot.write().expect("snapshot lock") = Arc::new(Snapshot {
        version,
        update: "patch",
        problems: problems.clone(),
        rendered: Some(rendered),
    });
    notify(shared, &problems, true, false);
    report(
        &breaking,
        &format!(
            "updated {} in {} ms",
            rels.join(", "),
            started.elapsed().as_millis()
        ),
    );
    true
}

fn report(breaking: &[Located], summary: &str) {
    let stderr = std::io::stderr();
    let color = crate::diagnostics::ColorChoice::Auto.enabled(stderr.is_terminal());
    let _ = diagnostics::write_human(&mut stderr.lock(), breaking, color);
    eprintln!("{summary}");
}

fn is_loopback(ip: IpAddr) -> bool {
    ip.is_loopback()
}

/// Binds the port: the default moves to the next free one; a port given with --port must be free.
fn bind(ip: IpAddr, port: Option<u16>) -> Result<TcpListener, String> {
    let explicit = port.is_some();
    let first = port.unwrap_or(3000);
    let tries = if explicit { 1 } else { 50 };
    let mut last = None;
    for p in first..first.saturating_add(tries) {
        match TcpListener::bind(SocketAddr::new(ip, p)) {
            Ok(l) => {
                if p != first {
                    eprintln!("port {first} is taken; using {p} instead");
                }
                return Ok(l);
            }
            Err(e) => last = Some(e),
        }
    }
    let e = last.map(|e| e.to_string()).unwrap_or_default();
    Err(if explicit {
        format!(
            "cannot listen on {ip}:{first} (--port {first}): {e}; choose another port with --port"
        )
    } else {
        format!(
            "cannot listen on {ip}:{first} or the {} ports after it: {e}",
            tries - 1
        )
    })
}

pub fn run(args: &ServeArgs) -> u8 {
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    if let Err(e) = Project::detect(&root) {
        return fail(e);
    }
    let ip: IpAddr = match args.bind.parse() {
        Ok(ip) => ip,
        Err(_) => {
            return fail(format!(
                "--bind {} is not an IP address (for example 127.0.0.1)",
                args.bind
            ));
        }
    };
    let listener = match bind(ip, args.port) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    if !is_loopback(ip) {
        eprintln!(
            "warning: serving on {ip}, which other machines can reach; the live-reload server is meant for your own machine"
        );
    }
    let settings = BuildSettings {
        root: root.clone(),
        today: args.today,
        drafts: args.drafts,
        cache: Arc::default(),
    };
    let (snapshot, breaking, summary) = build(&settings, 1);
    report(&breaking, &summary);
    let mut hosts = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "[::1]".to_string(),
    ];
    let shown = match ip {
        IpAddr::V6(v6) => format!("[{v6}]"),
        IpAddr::V4(v4) => v4.to_string(),
    };
    if !hosts.contains(&shown) {
        hosts.push(shown.clone());
    }
    let (notices, _) = broadcast::channel(16);
    let shared = Arc::new(Shared {
        snapshot: RwLock::new(Arc::new(snapshot)),
        notices,
        hosts,
        port,
    });
    let watcher = match watch::start(&root, args.poll, {
        let shared = shared.clone();
        move |changed: Option<Vec<PathBuf>>| {
            // Anything but Markdown (a template, a stylesheet, a script, the config) may
            // change more than what a page's HTML shows: open tabs load the page again.
            let full = changed.as_ref().is_none_or(|paths| {
                paths
                    .iter()
                    .any(|p| p.extension().is_none_or(|e| !e.eq_ignore_ascii_case("md")))
            });
            if let Some(paths) = changed
                && patch(&settings, &shared, &paths)
            {
                return;
            }
            let version = shared.snapshot.read().map(|s| s.version + 1).unwrap_or(1);
            let (snapshot, breaking, summary) = build(&settings, version);
            report(&breaking, &summary);
            let problems = snapshot.problems.clone();
            let rendered = snapshot.rendered.is_some();
            {
                let mut current = shared.snapshot.write().expect("snapshot lock");
                let next = if rendered {
                    Arc::new(snapshot)
                } else {
                    // Nothing could be rendered: keep serving the last good pages.
                    let previous = current.rendered.clone();
                    Arc::new(Snapshot {
                        version,
                        update: "build",
                        problems: problems.clone(),
                        rendered: previous,
                    })
                };
                *current = next;
            }
            notify(&shared, &problems, rendered, full);
        }
    }) {
        Ok(w) => w,
        Err(e) => return fail(e),
    };
    // Say where we are only once changes are being watched, so nothing is missed.
    let host = if ip.is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        shown
    };
    let url = format!("http://{host}:{port}/");
    println!("Serving {} at {url} (Ctrl-C to stop)", root.display());
    if args.open {
        open_browser(&url);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the server: {e}")),
    };
    let result = runtime.block_on(http::serve(listener, shared));
    drop(watcher);
    match result {
        Ok(()) => exit::OK,
        Err(e) => fail(e),
    }
}

fn open_browser(url: &str) {
    let candidates: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["explorer"]
    } else {
        &["xdg-open", "sensible-browser", "x-www-browser"]
    };
    for c in candidates {
        if std::process::Command::new(c)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
        {
            return;
        }
    }
    eprintln!("could not open a browser; open {url} yourself");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_saved_as_it_is_needs_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let runbook = dir.path().join("content/a.md");
        std::fs::create_dir_all(runbook.parent().unwrap()).unwrap();
        let text = "---\ntitle: A\nowner: ops\n---\n\n## Steps\n\nDo it.\n";
        std::fs::write(&runbook, text).unwrap();
        std::fs::write(dir.path().join("opsbook.toml"), "").unwrap();
        let settings = BuildSettings {
            root: dir.path().to_path_buf(),
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 23),
            drafts: false,
            cache: Arc::default(),
        };
        let (snapshot, _, _) = build(&settings, 1);
        let rendered = snapshot.rendered.expect("a site");
        let today = settings.today.unwrap();
        assert!(rendered.unchanged(today, std::slice::from_ref(&runbook)));
        // On another day the review dates move: the site is loaded again.
        assert!(!rendered.unchanged(today.succ_opt().unwrap(), std::slice::from_ref(&runbook)));
        // Another file, a new one, a changed one: each needs work.
        let toml = dir.path().join("opsbook.toml");
        assert!(!rendered.unchanged(today, &[runbook.clone(), toml]));
        assert!(!rendered.unchanged(today, &[dir.path().join("content/b.md")]));
        std::fs::write(&runbook, text.replace("Do it.", "Do it now.")).unwrap();
        assert!(!rendered.unchanged(today, std::slice::from_ref(&runbook)));
        assert!(!rendered.unchanged(today, &[]));
    }
}
