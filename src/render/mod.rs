//! Step 5: render the site's pages through Tera.
//!
//! The built-in theme (`themes/default/`) is compiled into the binary; a site overrides it one
//! file at a time from `themes/<name>/templates/` and `themes/<name>/static/`. Templates are
//! parsed once per build. Each page gets a typed context (`context.rs`); every URL in it is
//! relative to the page, so the site works under any sub-path and from file://.

pub mod context;

use crate::diagnostics::Located;
use crate::output::{Content, OutputFile};
use crate::site::Site;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;
use tera::Tera;

/// Templates of the built-in theme: (name, text).
pub const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../themes/default/templates/base.html"),
    ),
    (
        "index.html",
        include_str!("../../themes/default/templates/index.html"),
    ),
    (
        "section.html",
        include_str!("../../themes/default/templates/section.html"),
    ),
    (
        "listing.html",
        include_str!("../../themes/default/templates/listing.html"),
    ),
    (
        "sidebar.html",
        include_str!("../../themes/default/templates/sidebar.html"),
    ),
    (
        "runbook-table.html",
        include_str!("../../themes/default/templates/runbook-table.html"),
    ),
    (
        "runbook.html",
        include_str!("../../themes/default/templates/runbook.html"),
    ),
    (
        "404.html",
        include_str!("../../themes/default/templates/404.html"),
    ),
    (
        "taxonomy.html",
        include_str!("../../themes/default/templates/taxonomy.html"),
    ),
    (
        "list.html",
        include_str!("../../themes/default/templates/list.html"),
    ),
    (
        "completeness.html",
        include_str!("../../themes/default/templates/completeness.html"),
    ),
    (
        "wanted.html",
        include_str!("../../themes/default/templates/wanted.html"),
    ),
    (
        "alert.html",
        include_str!("../../themes/default/templates/alert.html"),
    ),
    (
        "redirect.html",
        include_str!("../../themes/default/templates/redirect.html"),
    ),
];

/// Static files of the built-in theme: (output path, bytes).
pub const DEFAULT_STATIC: &[(&str, &[u8])] = &[
    (
        "assets/opsbook.css",
        include_bytes!("../../themes/default/static/assets/opsbook.css"),
    ),
    (
        "assets/opsbook.js",
        include_bytes!("../../themes/default/static/assets/opsbook.js"),
    ),
    (
        "assets/opsbook-search.js",
        include_bytes!("../../themes/default/static/assets/opsbook-search.js"),
    ),
];

/// A built-in script without its comment lines and indentation: a quarter fewer bytes for every
/// reader to download (opsbook-search.js: 8.0 to 5.9 KB gzip). Safe for our scripts, which have
/// no string or template literal spanning lines; a site's own theme files are copied as they are.
fn compact_script(source: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(source.len());
    for line in source.split(|&b| b == b'\n') {
        let start = line
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(line.len());
        let code = &line[start..];
        if code.is_empty() || code.starts_with(b"//") {
            continue;
        }
        out.extend_from_slice(code);
        out.push(b'\n');
    }
    out
}

pub struct Theme {
    tera: Tera,
    statics: BTreeMap<String, Content>,
}

fn read_dir_files(dir: &Path) -> Result<Vec<(String, std::path::PathBuf)>, String> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            let rel = crate::diagnostics::display_path(rel);
            if !crate::source::is_ignored_name(&entry.file_name().to_string_lossy()) {
                out.push((rel, entry.path().to_path_buf()));
            }
        }
    }
    Ok(out)
}

impl Theme {
    /// The built-in theme with the site's overrides applied.
    pub fn load(themes_dir: Option<&Path>, name: &str) -> Result<Theme, String> {
        let mut templates: BTreeMap<String, String> = DEFAULT_TEMPLATES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let mut statics: BTreeMap<String, Content> = DEFAULT_STATIC
            .iter()
            .map(|(n, b)| {
                let bytes = if n.ends_with(".js") {
                    compact_script(b)
                } else {
                    b.to_vec()
                };
                (n.to_string(), Content::Bytes(bytes))
            })
            .collect();
        let theme_dir = themes_dir.map(|d| d.join(name));
        match &theme_dir {
            Some(dir) if dir.is_dir() => {
                for (rel, path) in read_dir_files(&dir.join("templates"))? {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read template {}: {e}", path.display()))?;
                    templates.insert(rel, text);
                }
                for (rel, path) in read_dir_files(&dir.join("static"))? {
                    statics.insert(rel, Content::Copy(path));
                }
            }
            _ if name != "default" => {
                return Err(format!(
                    "theme `{name}` not found: expected a folder themes/{name}/ next to opsbook.toml"
                ));
            }
            _ => {}
        }
        let mut tera = Tera::new();
        tera.autoescape_on(vec![".html", ".xml"]);
        tera.set_escape_fn(escape_html);
        tera.add_raw_templates(templates.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .map_err(|e| format!("in the theme's templates: {}", tera_message(&e)))?;
        Ok(Theme { tera, statics })
    }

    /// Renders into a buffer of `capacity` bytes (it grows if the page is longer).
    pub(crate) fn render(
        &self,
        template: &str,
        ctx: &tera::Context,
        capacity: usize,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(capacity);
        self.tera.render_to(template, ctx, &mut out).map_err(|e| {
            format!(
                "template `{template}` failed to render: {}",
                tera_message(&e)
            )
        })?;
        Ok(out)
    }
}

/// Tera's HTML escaping (`&<>"'` and nothing else), writing the runs between those characters
/// whole: Tera's own writes one byte at a time through `dyn Write` (4.5% of a 10,000-runbook
/// build).
fn escape_html(input: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let bytes = input.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let entity: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#39;",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(entity)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// Tera's report (with the template line and a caret), without its own `error:` prefix.
fn tera_message(e: &tera::Error) -> String {
    let text = e.to_string();
    text.strip_prefix("error: ").unwrap_or(&text).to_string()
}

/// sitemap.xml: every runbook and section page, under `base_url`.
fn sitemap(site: &Site) -> String {
    let base = &site.project.config.site.base_url;
    let base = if base.ends_with('/') {
        base.clone()
    } else {
        format!("{base}/")
    };
    let pretty = site.project.pretty_urls();
    let mut outputs: Vec<&str> = site.sections.iter().map(|s| s.output.as_str()).collect();
    outputs.extend(site.runbooks.iter().map(|r| r.document.output.as_str()));
    outputs.sort_unstable();
    let mut out = String::with_capacity(outputs.len() * (base.len() + 64));
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let push_escaped = |out: &mut String, text: &str| {
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                c => out.push(c),
            }
        }
    };
    for o in outputs {
        let rel = crate::text::path_url("index.html", o, pretty);
        out.push_str("  <url><loc>");
        push_escaped(&mut out, &base);
        push_escaped(&mut out, rel.trim_start_matches("./"));
        out.push_str("</loc></url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// Renders every page and lists every file of the site.
/// One page to render.
#[derive(Debug, Clone, Copy)]
pub enum Job {
    Runbook(usize),
    Section(usize),
    NotFound,
    Taxonomy(usize),
    FacetValue(usize, usize),
    AlertsIndex,
    Alert(usize),
    Calendar,
    Completeness,
    Wanted,
    Redirect(usize),
}

/// Where rendered files go as soon as they exist: the staging folder, or memory for `serve`.
pub type Sink<'a> = dyn Fn(OutputFile) -> Result<(), String> + Sync + 'a;

/// Findings grouped by the file they are about, as page contexts want them.
pub type FindingsByPath<'a> = HashMap<&'a str, Vec<&'a Located>, foldhash::fast::FixedState>;

/// Groups findings by the file they are about.
pub fn findings_by_path(findings: &[Located]) -> FindingsByPath<'_> {
    let mut by_path = FindingsByPath::default();
    for f in findings {
        by_path.entry(f.path.as_str()).or_default().push(f);
    }
    by_path
}

/// Every page of the site.
pub fn jobs(site: &Site) -> Vec<Job> {
    let plan = &site.pages;
    let mut jobs: Vec<Job> = (0..site.runbooks.len()).map(Job::Runbook).collect();
    jobs.extend((0..site.sections.len()).map(Job::Section));
    jobs.push(Job::NotFound);
    for (f, facet) in plan.facets.iter().enumerate() {
        if !facet.values.is_empty() {
            jobs.push(Job::Taxonomy(f));
            jobs.extend((0..facet.values.len()).map(|v| Job::FacetValue(f, v)));
        }
    }
    if !plan.alerts.is_empty() {
        jobs.push(Job::AlertsIndex);
    }
    jobs.extend(
        (0..plan.alerts.len())
            .filter(|&a| plan.alerts[a].output.is_some())
            .map(Job::Alert),
    );
    jobs.extend([Job::Calendar, Job::Completeness, Job::Wanted]);
    jobs.extend((0..plan.redirects.len()).map(Job::Redirect));
    jobs
}

/// The output path of a page.
pub fn job_path(site: &Site, job: Job) -> String {
    let plan = &site.pages;
    match job {
        Job::Runbook(i) => site.runbooks[i].document.output.clone(),
        Job::Section(i) => site.sections[i].output.clone(),
        Job::NotFound => "404.html".into(),
        Job::Taxonomy(f) => plan.facets[f].index.clone(),
        Job::FacetValue(f, v) => plan.facets[f].values[v].output.clone(),
        Job::AlertsIndex => plan.alerts_index.clone(),
        Job::Alert(a) => plan.alerts[a].output.clone().unwrap_or_default(),
        Job::Calendar => plan.calendar.clone(),
        Job::Completeness => plan.completeness.clone(),
        Job::Wanted => plan.wanted.clone(),
        Job::Redirect(r) => plan.redirects[r].output.clone(),
    }
}

/// About how many runbooks a page lists (its rendering time grows with it).
fn listed(site: &Site, job: Job) -> usize {
    let plan = &site.pages;
    match job {
        Job::Runbook(_) | Job::NotFound | Job::Redirect(_) => 0,
        Job::Section(0) | Job::Calendar | Job::Completeness => site.runbooks.len(),
        Job::Section(i) => site.sections[i].runbooks.len(),
        Job::Taxonomy(f) => plan.facets[f].values.len(),
        Job::FacetValue(f, v) => plan.facets[f].values[v].runbooks.len(),
        Job::AlertsIndex => plan.alerts.len(),
        Job::Alert(a) => plan.alerts[a].runbooks.len(),
        Job::Wanted => site.wanted.len(),
    }
}

/// Renders one page.
pub fn render_job(
    site: &Site,
    theme: &Theme,
    builder: &context::Builder,
    job: Job,
) -> Result<Option<OutputFile>, String> {
    render_page(site, theme, builder, job, None)
}

/// Renders one page; a runbook page takes its body from `bodies` when given (see `Taken`).
fn render_page(
    site: &Site,
    theme: &Theme,
    builder: &context::Builder,
    job: Job,
    bodies: Option<&[Mutex<String>]>,
) -> Result<Option<OutputFile>, String> {
    let plan = &site.pages;
    // Pages outside the body are a few KiB (the sidebar lists every section).
    let mut capacity = 8 * 1024;
    let (template, (path, ctx)) = match job {
        Job::Runbook(i) => {
            let taken = bodies.map(|b| std::mem::take(&mut *b[i].lock().expect("body lock")));
            let body = taken.as_deref().unwrap_or(&site.runbooks[i].document.html);
            capacity += body.len();
            (
                "runbook.html",
                (
                    site.runbooks[i].document.output.clone(),
                    builder.runbook(i, body)?,
                ),
            )
        }
        Job::Section(i) => {
            let template = if site.sections[i].dir.is_empty() {
                "index.html"
            } else {
                "section.html"
            };
            (
                template,
                (site.sections[i].output.clone(), builder.section(i)?),
            )
        }
        Job::NotFound => ("404.html", ("404.html".to_string(), builder.not_found()?)),
        Job::Taxonomy(f) => ("taxonomy.html", builder.taxonomy(f)?),
        Job::FacetValue(f, v) => ("list.html", builder.facet_value(f, v)?),
        Job::AlertsIndex => ("taxonomy.html", builder.alerts_index()?),
        Job::Alert(a) => match builder.alert(a)? {
            Some(p) => ("alert.html", p),
            None => return Ok(None),
        },
        Job::Calendar => ("list.html", builder.calendar()?),
        Job::Completeness => ("completeness.html", builder.completeness()?),
        Job::Wanted => ("wanted.html", builder.wanted()?),
        Job::Redirect(r) => {
            let r = &plan.redirects[r];
            (
                "redirect.html",
                (r.output.clone(), builder.redirect(&r.output, r.runbook)?),
            )
        }
    };
    let html = theme.render(template, &ctx, capacity)?;
    Ok(Some(OutputFile {
        path,
        content: Content::Bytes(html),
    }))
}

/// The files that are not pages, except the search index: sitemap, theme assets, the site's
/// static files and attachments.
pub fn other_files(site: &Site, theme: &Theme, findings: &FindingsByPath) -> Vec<OutputFile> {
    let mut files = vec![OutputFile {
        path: "sitemap.xml".into(),
        content: Content::Bytes(sitemap(site).into_bytes()),
    }];
    // A site's static/ file replaces a theme file (or a feed) of the same name.
    let assets: std::collections::HashSet<String> = site
        .assets
        .iter()
        .map(|a| a.output.to_lowercase())
        .collect();
    let title = site.project.title();
    let mut feeds = vec![
        (
            crate::feeds::CALENDAR.to_string(),
            crate::feeds::calendar(
                site,
                &format!("{title}: runbook reviews"),
                &(0..site.runbooks.len()).collect::<Vec<_>>(),
            ),
        ),
        (
            crate::feeds::API.to_string(),
            crate::feeds::api(site, findings),
        ),
    ];
    for pages in &site.pages.facets {
        if !pages.facet.has_review_feed() {
            continue;
        }
        for value in &pages.values {
            feeds.push((
                crate::feeds::feed_beside(&value.output),
                crate::feeds::calendar(
                    site,
                    &format!("{title}: reviews for {}", value.name),
                    &value.runbooks,
                ),
            ));
        }
    }
    for (path, text) in feeds {
        if !assets.contains(&path.to_lowercase()) {
            files.push(OutputFile {
                path,
                content: Content::Bytes(text.into_bytes()),
            });
        }
    }
    for (path, content) in &theme.statics {
        if !assets.contains(&path.to_lowercase()) {
            files.push(OutputFile {
                path: path.clone(),
                content: content.clone(),
            });
        }
    }
    for a in &site.assets {
        files.push(OutputFile {
            path: a.output.clone(),
            content: Content::Copy(a.source.clone()),
        });
    }
    files
}

/// What a one-off build moves out of the site so that it can drop each piece once used: every
/// runbook's rendered body (only its own page needs it) and its words (only the search index
/// needs them). A build then never holds all of them and many finished pages at once.
pub struct Taken {
    bodies: Vec<Mutex<String>>,
    terms: Vec<Mutex<crate::search::Terms>>,
}

impl Taken {
    /// Also drops what only checking and linking needed, once findings are located: line
    /// indexes, links and list items. Rendering then reuses that memory instead of adding to it.
    pub fn from(site: &mut Site) -> Taken {
        // Hundreds of thousands of small frees: in parallel.
        site.sources
            .par_iter_mut()
            .for_each(|source| source.index = Default::default());
        let forget = |document: &mut crate::site::Document| {
            document.doc.links = Vec::new();
            document.doc.items = Vec::new();
        };
        site.runbooks
            .par_iter_mut()
            .with_max_len(64)
            .for_each(|r| forget(&mut r.document));
        site.sections
            .iter_mut()
            .filter_map(|s| s.index.as_mut())
            .for_each(forget);
        let bodies = site
            .runbooks
            .iter_mut()
            .map(|r| Mutex::new(std::mem::take(&mut r.document.html)))
            .collect();
        let terms = crate::search::take_terms(site);
        Taken { bodies, terms }
    }
}

/// Renders every page and hands every file of the site to `sink`, in parallel. Returns how many
/// files there were. Runbook bodies and words come from `taken` when given.
pub fn render_site(
    site: &Site,
    theme: &Theme,
    findings: &[Located],
    taken: Option<&Taken>,
    sink: &Sink,
) -> Result<usize, String> {
    let bodies = taken.map(|t| t.bodies.as_slice());
    let terms = taken.map(|t| t.terms.as_slice());
    let by_path = findings_by_path(findings);
    let order = context::Order::new(site);
    let builder = context::Builder::new(site, theme, &by_path, &order);
    let render = |jobs: &[Job]| {
        // Small pieces, so that no thread is left with a long run of pages at the end.
        jobs.par_iter()
            .with_max_len(8)
            .map(
                |&job| match render_page(site, theme, &builder, job, bodies)? {
                    Some(file) => sink(file).map(|()| 1),
                    None => Ok(0),
                },
            )
            .try_reduce(|| 0, |a, b| Ok(a + b))
    };
    // Pages render in parallel and are written as they come. The search index (one thread) and
    // the pages that list runbooks go first: rayon's idle thread takes the oldest pending work
    // (the index, then the lists, longest first), so a long list neither runs alone at the end
    // nor starts while every body is still held.
    let (runbook_jobs, mut list_jobs): (Vec<Job>, Vec<Job>) = jobs(site)
        .into_iter()
        .partition(|job| matches!(job, Job::Runbook(_)));
    list_jobs.sort_by_key(|&job| std::cmp::Reverse(listed(site, job)));
    // The sitemap and the copied files go on the index's thread too, not after everything.
    let ((runbooks, lists), (search, others)) = rayon::join(
        || rayon::join(|| render(&runbook_jobs), || render(&list_jobs)),
        || {
            let order = crate::search::doc_order(site);
            let (search, display) = rayon::join(
                || crate::search::build(site, &order, terms, &mut |f| sink(f)),
                || {
                    order
                        .par_iter()
                        .enumerate()
                        .with_max_len(64)
                        .try_for_each(|(d, &i)| sink(crate::search::display_file(site, i, d)))
                        .map(|()| order.len())
                },
            );
            let search = search.and_then(|n| display.map(|m| n + m));
            let files = other_files(site, theme, &by_path);
            let count = files.len();
            (
                search,
                files.into_par_iter().try_for_each(sink).map(|()| count),
            )
        },
    );
    Ok(runbooks? + lists? + search? + others?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages are escaped exactly as Tera escapes them.
    #[test]
    fn escaping_matches_tera() {
        for input in [
            "",
            "plain",
            "<b>\"Tom\" & 'Jerry'</b>",
            "&&&",
            "ends with <",
            "> starts",
            "ünïcödé → <ok>",
        ] {
            let mut ours = Vec::new();
            escape_html(input, &mut ours).unwrap();
            let mut theirs = Vec::new();
            tera::escape_html(input, &mut theirs).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap()
            );
        }
    }

    #[test]
    fn built_in_scripts_lose_comment_lines_and_indentation_only() {
        let source = b"// about\n(function () {\n  // why\n  var url = \"http://x\"; // kept\n\n  run();\n})();\n";
        assert_eq!(
            String::from_utf8(compact_script(source)).unwrap(),
            "(function () {\nvar url = \"http://x\"; // kept\nrun();\n})();\n"
        );
        // No built-in script has a literal that could span lines: no template literal (a
        // backtick outside a double-quoted string or the regex /`/), no line continuation.
        for (name, bytes) in DEFAULT_STATIC.iter().filter(|(n, _)| n.ends_with(".js")) {
            let text = std::str::from_utf8(bytes).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                let (mut quoted, mut escaped, mut outside) = (false, false, String::new());
                for c in code.replace("/`/", "").chars() {
                    match (quoted, escaped, c) {
                        (true, false, '\\') => escaped = true,
                        (true, true, _) => escaped = false,
                        (_, _, '"') => quoted = !quoted,
                        (false, _, c) => outside.push(c),
                        _ => {}
                    }
                }
                let at = format!("{name}:{}", n + 1);
                assert!(!outside.contains('`'), "{at}: a template literal");
                assert!(!code.ends_with('\\'), "{at}: a line continuation");
            }
        }
    }

    /// Every file of the built-in theme is compiled in (a new template must be listed above).
    #[test]
    fn the_whole_default_theme_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        let mut templates: Vec<String> = read_dir_files(&dir.join("templates"))
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let mut embedded: Vec<String> = DEFAULT_TEMPLATES
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        templates.sort();
        embedded.sort();
        assert_eq!(templates, embedded);
        let statics: Vec<String> = read_dir_files(&dir.join("static"))
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(statics.len(), DEFAULT_STATIC.len());
        assert!(Theme::load(None, "default").is_ok());
    }
}
