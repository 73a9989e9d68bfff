//! The whole site in memory: sources, runbooks, sections and their output paths.
//!
//! `Site::load` runs the pipeline up to checking: discover -> read -> parse -> validate -> link.
//! `check` stops here; `build` hands the site to `render` and `output`. Everything a later step
//! needs (headings, links, metadata, findings) is computed once here, so rendering and the
//! generated pages never re-read or re-parse a file.

use crate::config::Project;
use crate::diagnostics::{Diagnostic, Level, LineIndex, Rule, Sources, Suppressions, keep_finding};
use crate::markdown::{self, Doc};
use crate::schema::{self, Runbook, Schema};
use crate::source::{self, Entry, SECTION_INDEX_NAMES, front_matter};
use crate::variables;
use crate::yaml;
use chrono::NaiveDate;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use unicode_normalization::UnicodeNormalization;

/// A hash map with foldhash: the site's tables are keyed by paths it made itself.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A runbook over this size is not parsed (SPEC "Output and limits").
pub const MAX_RUNBOOK_BYTES: usize = 2 * 1024 * 1024;
/// Front matter over this size is not parsed.
pub const MAX_FRONT_MATTER_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub today: NaiveDate,
    pub drafts: bool,
    /// Folders discovery must never read (the output folder).
    pub exclude: Vec<PathBuf>,
    /// Prometheus rule files to check against the runbooks (`check --alert-rules`).
    pub alert_rules: Vec<PathBuf>,
    /// Whether pages will be rendered (`build`), or only checked.
    pub render_html: bool,
    /// How much of the sources' text is kept after parsing, for the lines findings show.
    pub keep: Keep,
    /// Parsed files from the previous build (`serve`), reused when unchanged.
    pub cache: Option<std::sync::Arc<ParseCache>>,
    /// Days ahead in which a review falling due is a finding (`check --due-within`).
    pub due_within: Option<u32>,
}

/// How much of each source's text a load keeps after parsing it. A finding whose line was not
/// kept has its file read again when it is shown (`Sources::reread`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The whole text (`serve`, which patches pages from it).
    Everything,
    /// What the findings known after parsing show, and the head of the file (front matter and
    /// a leading `# Title` line), where most findings made later point: the whole text only
    /// of files with a finding below their head (`check`). Most files need a few hundred
    /// bytes, not all of theirs.
    ForFindings,
    /// Only line indexes (`build`, which shows the lines of errors only).
    Nothing,
}

/// Parsed files kept between the rebuilds of `serve`: a file whose size and modification time
/// have not changed is not read or parsed again. Cleared whenever the settings that shape
/// parsing change.
#[derive(Default)]
pub struct ParseCache {
    files: std::sync::Mutex<HashMap<PathBuf, (FileStamp, std::sync::Arc<FileOutcome>)>>,
    settings: std::sync::Mutex<String>,
}

type FileStamp = (Option<std::time::SystemTime>, u64);

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParseCache")
    }
}

impl ParseCache {
    /// Forgets everything if the settings that shape parsing and checking differ from last
    /// time.
    fn check_settings(&self, ctx: &FileContext) {
        let mut index_files: Vec<_> = ctx.index_files.iter().collect();
        index_files.sort();
        let key = format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{}|{}|{:?}|{:?}",
            ctx.project.config.markdown,
            ctx.project.config.schema,
            ctx.project.config.rules,
            // Site-wide variables are marked in every body.
            ctx.project.config.site_variables,
            ctx.project.generator,
            ctx.render_html,
            ctx.keep,
            ctx.today,
            ctx.project.content_dir.display(),
            ctx.owners,
            index_files,
        );
        let mut settings = self.settings.lock().expect("cache lock");
        if *settings != key {
            self.files.lock().expect("cache lock").clear();
            *settings = key;
        }
    }

    fn parse(&self, ctx: &FileContext, entry: Entry) -> FileOutcome {
        let stamp: FileStamp = match std::fs::metadata(&entry.abs) {
            Ok(m) => (m.modified().ok(), m.len()),
            Err(_) => return parse_file(ctx, entry),
        };
        // Only the lookup holds the lock: the copy is made outside it, so that threads copy
        // cached files in parallel.
        let cached = self
            .files
            .lock()
            .expect("cache lock")
            .get(&entry.abs)
            .filter(|(s, outcome)| {
                *s == stamp && outcome.parsed.as_ref().is_none_or(|p| p.entry == entry)
            })
            .map(|(_, outcome)| std::sync::Arc::clone(outcome));
        if let Some(outcome) = cached {
            return FileOutcome::clone(&outcome);
        }
        let abs = entry.abs.clone();
        let outcome = parse_file(ctx, entry);
        self.files
            .lock()
            .expect("cache lock")
            .insert(abs, (stamp, std::sync::Arc::new(outcome.clone())));
        outcome
    }
}

/// A source file's text, kept for positions and snippets. `build` keeps only the line index
/// (`text` is empty) and reads a file again for the few findings that need its text.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub path: String,
    /// Shared, so that serve's parse cache and the served site hold one copy.
    pub text: std::sync::Arc<String>,
    pub index: LineIndex,
    /// Where to read the text again, when it was not kept.
    pub abs: Option<PathBuf>,
}

/// A rendered Markdown file: a runbook or a section page.
#[derive(Debug)]
pub struct Document {
    /// Content-relative path (`db/failover.md`).
    pub rel: String,
    /// Index into `Site::sources`.
    pub source: usize,
    pub doc: Doc,
    /// Final body HTML, after link resolution.
    pub html: String,
    /// Output path relative to the output root.
    pub output: String,
    pub title: String,
    pub description: Option<String>,
    /// Where the generator puts it among its section's pages (`weight`, MkDocs `nav`), if
    /// anywhere: those come first, in that order, then the rest by title.
    pub order: Option<i64>,
}

#[derive(Debug)]
pub struct RunbookPage {
    pub id: String,
    pub document: Document,
    pub meta: Runbook,
    pub section: usize,
    pub complete: bool,
    /// Runbooks named in `related`, resolved.
    pub related: Vec<usize>,
}

#[derive(Debug)]
pub struct Section {
    /// Content-relative folder, `""` for the root.
    pub dir: String,
    pub title: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub runbooks: Vec<usize>,
    /// The folder's `_index.md` (or README.md / index.md).
    pub index: Option<Document>,
    pub output: String,
}

/// A file copied as it is.
#[derive(Debug, Clone)]
pub struct Asset {
    pub output: String,
    pub source: PathBuf,
}

#[derive(Debug)]
pub struct Site {
    pub project: Project,
    pub today: NaiveDate,
    pub sources: Vec<SourceText>,
    pub runbooks: Vec<RunbookPage>,
    pub sections: Vec<Section>,
    pub assets: Vec<Asset>,
    pub diagnostics: Vec<Diagnostic>,
    /// Problems that stop the command (exit 2).
    pub errors: Vec<String>,
    /// Where the generated pages go.
    pub pages: crate::pages::Plan,
    /// Runbooks named by title in related-operations lists.
    pub title_refs: Vec<crate::links::TitleRef>,
    /// Titles that related-operations lists name but no runbook has.
    pub wanted: Vec<crate::links::Wanted>,
    /// Content paths of drafts left out of this build.
    pub drafts: std::collections::HashSet<String>,
    /// Documents in formats opsbook does not read, by kind (`source::Discovery::skipped`).
    pub skipped: Vec<(&'static str, usize)>,
    /// For each runbook, the runbooks that link to it.
    pub backlinks: Vec<Vec<usize>>,
    /// The git history of the content folder, when there is one to read (`history`).
    pub history: Option<crate::history::History>,
    /// Why there is none, when the user should know (a shallow clone).
    pub history_note: Option<String>,
    /// Days ahead in which a review falling due is a finding (`review-due-soon`), when asked for:
    /// `check --due-within`, else 30 when the rule is on.
    review_window: Option<u32>,
    source_by_path: FastMap<String, usize>,
    /// Whether Markdown is rendered to HTML (false for `check`).
    pub render_html: bool,
    /// How much of their text `sources` keep (see `LoadOptions::keep`).
    keep: Keep,
    /// Section pages (content path -> folder) and OWNERS entries of this load: what parsing a
    /// file needs besides the file, kept so that `serve` can re-read one file alone.
    index_files: FastMap<String, String>,
    owners: crate::owners::Owners,
    overrides: schema::Overrides,
}

impl Sources for Site {
    fn text(&self, path: &str) -> Option<(&str, &LineIndex)> {
        let s = &self.sources[*self.source_by_path.get(path)?];
        Some((s.text.as_str(), &s.index))
    }

    fn shows_every_line(&self) -> bool {
        self.keep != Keep::Nothing
    }

    fn reread(&self, path: &str) -> Option<String> {
        let s = &self.sources[*self.source_by_path.get(path)?];
        let bytes = std::fs::read(s.abs.as_ref()?).ok()?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// What a section page says of its section.
#[derive(Debug, Clone)]
struct SectionPage {
    dir: String,
    title: Option<String>,
    description: Option<String>,
    weight: Option<i64>,
}

/// A parsed and checked Markdown file before it is sorted into runbooks and sections.
#[derive(Clone)]
struct Parsed {
    entry: Entry,
    source: usize,
    doc: Doc,
    ok: bool,
    /// A section page: its folder, title and description.
    section: Option<SectionPage>,
    /// A runbook: its metadata and the schema's findings.
    runbook: Option<(Runbook, Vec<Diagnostic>)>,
}

/// What parsing and checking one file needs to know about the rest of the site. Everything in
/// it is known before any file is parsed, so that files are parsed and checked in parallel.
struct FileContext<'a> {
    project: &'a Project,
    render_html: bool,
    keep: Keep,
    today: NaiveDate,
    /// Section pages: content path -> folder.
    index_files: &'a FastMap<String, String>,
    owners: &'a crate::owners::Owners,
    overrides: &'a schema::Overrides,
}

/// Stage timings on stderr when `OPSBOOK_TIMINGS` is set: profile before optimising.
pub struct Timer {
    on: bool,
    last: std::cell::Cell<std::time::Instant>,
}

impl Timer {
    pub fn new() -> Timer {
        Timer {
            on: std::env::var_os("OPSBOOK_TIMINGS").is_some(),
            last: std::cell::Cell::new(std::time::Instant::now()),
        }
    }

    pub fn lap(&self, stage: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!(
                "timing: {stage:<22} {:>7.1} ms {}",
                (now - self.last.get()).as_secs_f64() * 1000.0,
                memory_status()
            );
            self.last.set(now);
        }
    }
}

/// Resident and peak memory, from /proc (Linux), for the timing lines.
fn memory_status() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).map(|v| {
            v.trim()
                .trim_end_matches(" kB")
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
                / 1024
        })
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(peak)) => format!("(rss {rss} MiB, peak {peak} MiB)"),
        _ => String::new(),
    }
}

impl Default for Timer {
    fn default() -> Self {
        Timer::new()
    }
}

/// What reading one file produced.
#[derive(Default, Clone)]
pub struct FileOutcome {
    source: Option<SourceText>,
    parsed: Option<Box<Parsed>>,
    diagnostics: Vec<Diagnostic>,
    error: Option<String>,
}

/// Reads one file, runs the front-matter and Markdown passes over it and checks it against the
/// schema. A free function of its inputs so that files are parsed in parallel.
fn parse_file(ctx: &FileContext, entry: Entry) -> FileOutcome {
    let project = ctx.project;
    let render_html = ctx.render_html;
    let mut out = FileOutcome::default();
    let path = project.display_path(&entry.rel);
    let bytes = match read_file(&entry.abs) {
        Ok(b) => b,
        Err(e) => {
            out.error = Some(format!("cannot read {path}: {e}"));
            return out;
        }
    };
    if bytes.len() > MAX_RUNBOOK_BYTES {
        out.diagnostics.push(
            Diagnostic::new(
                Rule::TooLarge,
                &path,
                0,
                format!(
                    "file is {:.1} MiB; runbooks over 2 MiB are not rendered",
                    bytes.len() as f64 / (1024.0 * 1024.0)
                ),
            )
            .with_help("split it into several runbooks, or move large data into an attachment"),
        );
        return out;
    }
    let (text, utf8_ok) = match String::from_utf8(bytes) {
        Ok(t) => (t, true),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            out.diagnostics.push(
                Diagnostic::new(Rule::InvalidUtf8, &path, at, "file is not valid UTF-8").with_help(
                    "save the file as UTF-8 (most editors offer this under \"encoding\")",
                ),
            );
            (text, false)
        }
    };
    // Secrets first: a file that holds one is read, rendered and kept with it masked, so that
    // no page, search index or report shows it (the finding still points at it).
    let mut found = Vec::new();
    let lower = {
        let file = schema::text::Text::new(&text);
        schema::text::secrets(&path, &file, &project.config.secret_allow, &mut found);
        file.into_lower()
    };
    let (text, lower, has_secret) = if found.is_empty() {
        (text, lower, false)
    } else {
        let masked = schema::text::mask_secrets(&text, &found);
        let lower = lower.map(|_| masked.to_ascii_lowercase());
        (masked, lower, true)
    };
    let split = front_matter::split(&text);
    let mut ok = utf8_ok;
    let mut fm = Vec::new();
    if split.unclosed {
        ok = false;
        out.diagnostics.push(
            Diagnostic::new(
                Rule::FrontMatterSyntax,
                &path,
                split.body_offset,
                "front matter starts here but is never closed",
            )
            .with_help("end the front matter with a line containing only `---`"),
        );
    }
    if let Some((yaml_text, yaml_offset)) = split.yaml {
        if yaml_text.len() > MAX_FRONT_MATTER_BYTES {
            ok = false;
            out.diagnostics.push(
                Diagnostic::new(
                    Rule::TooLarge,
                    &path,
                    yaml_offset,
                    "front matter is over 64 KiB",
                )
                .with_help("keep front matter to metadata; move long text into the body"),
            );
        } else {
            match yaml::parse_front_matter(yaml_text, yaml_offset) {
                Ok(entries) => fm = entries,
                Err(err) => {
                    ok = false;
                    let too_deep = err.over_limit;
                    let rule = if too_deep {
                        Rule::TooLarge
                    } else {
                        Rule::FrontMatterSyntax
                    };
                    out.diagnostics.push(
                        Diagnostic::new(
                            rule,
                            &path,
                            err.offset.unwrap_or(yaml_offset),
                            format!("front matter: {}", err.message),
                        )
                        .with_help(if too_deep {
                            "keep front matter to flat metadata: at most 16 levels deep and a few YAML aliases"
                        } else {
                            "front matter must be a YAML mapping of `field: value` lines between `---` lines"
                        }),
                    );
                }
            }
        }
    }
    let title = fm
        .iter()
        .find(|(k, _)| k.value.scalar_str().as_deref() == Some("title"))
        .and_then(|(_, v)| v.value.as_scalar_text());
    // Variables first: the body's references to them are marked as it is rendered. A section
    // page has none (the form belongs to runbooks).
    let is_section = ctx.index_files.contains_key(&entry.rel);
    let declared = match fm
        .iter()
        .find(|(k, _)| k.value.scalar_str().as_deref() == Some("variables"))
    {
        Some((_, node)) if !is_section => variables::from_front_matter(node, &path, &mut found),
        _ => Vec::new(),
    };
    let in_scope = if is_section {
        Cow::Borrowed(&[][..])
    } else {
        variables::in_scope(&declared, &project.config.site_variables)
    };
    let markdown_config = &project.config.markdown;
    let mut doc = markdown::analyze(
        split.body,
        split.body_offset,
        &markdown::RenderOptions {
            title: title.as_deref(),
            html: render_html,
            unsafe_html: markdown_config.unsafe_html,
            highlight: markdown_config.highlight,
            path: &path,
            ids: project.generator.flavor.ids(),
            params: Some(&project.generator.params),
            variables: &in_scope,
        },
    );
    variables::unused(&declared, &doc.variables, &path, &mut found);
    found.append(&mut doc.findings);
    let file = schema::text::Text::with_lower(&text, lower);
    schema::text::placeholders(&path, &file, split.body_offset, &doc, &mut found);
    drop(file);
    schema::text::empty_sections(&path, &doc, &mut found);
    schema::text::unclosed_fences(&path, &doc, &mut found);
    schema::text::missing_rollback(&path, &doc, &mut found);
    out.diagnostics.extend(found);
    let mut section = None;
    let mut runbook = None;
    if let Some(dir) = ctx.index_files.get(&entry.rel) {
        let (title, description, weight) = section_front_matter(&fm);
        section = Some(SectionPage {
            dir: dir.clone(),
            title,
            description,
            weight,
        });
    } else {
        let rel = &entry.rel;
        let stem = file_name(source::source_stem(rel));
        let config = &project.config.schema;
        let schema = Schema::for_path(config, ctx.overrides, rel, ctx.today)
            .for_generator(project.generator.flavor, project.has_config_file);
        let owner_fallback = ctx.owners.of(rel);
        let input = schema::Input {
            path: &path,
            text: &text,
            front_matter: &fm,
            doc: &doc,
            stem,
            owner_fallback,
        };
        let (mut meta, diagnostics) = schema::read(&input, &schema);
        meta.variables = doc.variables.iter().map(|&i| in_scope[i].clone()).collect();
        runbook = Some((meta, diagnostics));
    }
    {
        // The file is checked: what later steps need is in `doc`, and its list items matter
        // only where they may name related runbooks by title (top-level items of related
        // sections, without a link: `links::naming_items`).
        let mut keep = vec![false; doc.headings.len()];
        for h in 0..doc.headings.len() {
            if doc.is_related_heading(h) {
                keep[doc.section_range(h)].fill(true);
            }
        }
        doc.items.retain(|i| {
            i.depth == 1
                && i.heading.is_some_and(|h| keep[h])
                && !i.has_link
                && !i.text.trim().is_empty()
        });
        doc.items.shrink_to_fit();
        // Kept to the end of the run: without the slack of their growth.
        doc.headings.shrink_to_fit();
        doc.labelled_lines = Vec::new();
        doc.non_prose = Vec::new();
    }
    out.parsed = Some(Box::new(Parsed {
        entry,
        source: usize::MAX,
        doc,
        ok,
        section,
        runbook,
    }));
    let parsed = out.parsed.as_deref().expect("parsed");
    let kept = match ctx.keep {
        // A file read again would show its secret: one that holds one is kept, masked.
        Keep::Everything => text.len(),
        _ if has_secret => text.len(),
        Keep::Nothing => 0,
        Keep::ForFindings => {
            let head = head_end(&text, split.body_offset, &parsed.doc);
            let schema = parsed.runbook.iter().flat_map(|(_, d)| d);
            let mut findings = out.diagnostics.iter().chain(schema);
            if findings.any(|d| d.offset >= head) {
                text.len()
            } else {
                head
            }
        }
    };
    // `build` shows warnings from the index alone, and suppression comments compare the lines
    // of findings made later: those files are indexed whole. Otherwise the index covers what is
    // kept; a finding further down has its file read again, and indexed then.
    let index = if ctx.keep == Keep::ForFindings && parsed.doc.directives.is_empty() {
        LineIndex::of_prefix(&text, kept)
    } else {
        LineIndex::new(&text)
    };
    let (text, abs) = if kept < text.len() {
        (text[..kept].to_string(), Some(parsed.entry.abs.clone()))
    } else {
        // Read into a buffer with room to spare: kept, it gives the room back.
        let mut text = text;
        text.shrink_to_fit();
        (text, None)
    };
    out.source = Some(SourceText {
        path,
        text: text.into(),
        index,
        abs,
    });
    out
}

/// Claims `output` for `who`; false (and an `output-collision` finding) when another source
/// has it.
fn claim<'a>(
    claims: &mut FastMap<String, std::borrow::Cow<'a, str>>,
    site_diags: &mut Vec<Diagnostic>,
    output: &str,
    who: std::borrow::Cow<'a, str>,
) -> bool {
    let key = path_key(output);
    match claims.get(&key) {
        Some(first) if *first != who => {
            site_diags.push(
                Diagnostic::new(
                    Rule::OutputCollision,
                    &who,
                    0,
                    format!("`{who}` and `{first}` would both write {output}"),
                )
                .with_help("rename one of them (paths that differ only in case or Unicode form collide on many file systems)"),
            );
            false
        }
        Some(_) => true,
        None => {
            claims.insert(key, who);
            true
        }
    }
}

/// A file's bytes. `std::fs::read` (and `File::read_to_end`) ask for the file's size first, a
/// `statx` a file; runbooks are small, so they are read into room for 16 KiB, which grows for
/// the odd larger one. (`Take` reads to the end without asking.)
fn read_file(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(16 * 1024);
    file.take(u64::MAX).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Adds a source and finds it by its path.
fn index_source(
    sources: &mut Vec<SourceText>,
    by_path: &mut FastMap<String, usize>,
    source: SourceText,
) {
    by_path.insert(source.path.clone(), sources.len());
    sources.push(source);
}

/// Where the head of a file ends: after its front matter, and after its first line when that is
/// the `# Title` (site-wide findings such as duplicate titles point there), at a line end.
fn head_end(text: &str, body_offset: usize, doc: &Doc) -> usize {
    let end = match &doc.leading_h1 {
        Some((_, offset)) => {
            let rest = text.as_bytes().get(*offset..).unwrap_or_default();
            memchr::memchr(b'\n', rest).map_or(text.len(), |i| offset + i + 1)
        }
        None => body_offset,
    };
    end.min(text.len())
}

/// `database-ops` -> `Database ops`: a title from a file or folder name.
pub(crate) fn humanize(name: &str) -> String {
    let words = name.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// How output paths are compared for collisions: Unicode-normalized (NFC) and case-folded, as
/// case-insensitive file systems (macOS, Windows) would see them.
pub(crate) fn path_key(path: &str) -> String {
    if path.is_ascii() {
        return path.to_ascii_lowercase();
    }
    path.nfc().collect::<String>().to_lowercase()
}

/// The folder part of a content-relative path (`""` at the top).
pub(crate) fn parent_dir(rel: &str) -> &str {
    rel.rfind('/').map(|i| &rel[..i]).unwrap_or("")
}

fn file_name(rel: &str) -> &str {
    rel.rfind('/').map(|i| &rel[i + 1..]).unwrap_or(rel)
}

impl Site {
    pub fn load(project: Project, options: &LoadOptions) -> Site {
        let display_prefix = project
            .content_dir
            .strip_prefix(&project.root)
            .map(crate::diagnostics::display_path)
            .unwrap_or_default();
        let timer = Timer::new();
        // The history is read beside the files (git walks it while we parse).
        let history = project.config.site.git.then(|| {
            let (root, content) = (project.root.clone(), project.content_dir.clone());
            std::thread::spawn(move || crate::history::History::read(&root, &content))
        });
        let mut exclude = options.exclude.clone();
        exclude.extend(project.themes_dir.clone());
        let found = source::discover(
            &project.content_dir,
            project.static_dir.as_deref(),
            &exclude,
            &display_prefix,
            project.generator.flavor,
        );
        let mut site = Site {
            today: options.today,
            sources: Vec::new(),
            runbooks: Vec::new(),
            sections: Vec::new(),
            assets: Vec::new(),
            diagnostics: found.diagnostics,
            errors: found.errors,
            skipped: found.skipped,
            backlinks: Vec::new(),
            history: None,
            history_note: None,
            review_window: None,
            drafts: Default::default(),
            title_refs: Vec::new(),
            pages: Default::default(),
            wanted: Vec::new(),
            source_by_path: FastMap::default(),
            render_html: options.render_html,
            keep: options.keep,
            index_files: FastMap::default(),
            owners: Default::default(),
            overrides: schema::Overrides::new(&project.config.schema),
            project,
        };

        timer.lap("discover");
        // Which file is each folder's section page: known from the names alone.
        let mut index_of: BTreeMap<String, (usize, &str)> = BTreeMap::new(); // dir -> (rank, rel)
        for entry in &found.markdown {
            let name = file_name(source::source_stem(&entry.rel));
            if let Some(rank) = SECTION_INDEX_NAMES
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name))
            {
                let dir = parent_dir(&entry.rel).to_string();
                if index_of.get(&dir).is_none_or(|(r, _)| rank < *r) {
                    index_of.insert(dir, (rank, &entry.rel));
                }
            }
        }
        let index_files: FastMap<String, String> = index_of
            .into_iter()
            .map(|(dir, (_, rel))| (rel.to_string(), dir))
            .collect();
        let (owners, owner_errors) = crate::owners::Owners::load(&site.project, &found.assets);
        site.errors.extend(owner_errors);

        // Read, parse and check every Markdown file, in parallel; then collect in discovery
        // order.
        let ctx = FileContext {
            project: &site.project,
            render_html: options.render_html,
            keep: options.keep,
            today: options.today,
            index_files: &index_files,
            owners: &owners,
            overrides: &site.overrides,
        };
        if let Some(cache) = &options.cache {
            cache.check_settings(&ctx);
        }
        // Small pieces: left to itself, rayon splits 10,000 files into four runs of 2,500 and
        // a thread that finishes first has nothing left to take from the other's run.
        //
        // Each outcome is split as it is made: what every file gives (its text, findings and
        // errors) and what a parsed one gives (a runbook or section page), placed below by
        // two threads at once. Whether a file has a text says which source index it gets.
        type FileParts = (Option<SourceText>, Vec<Diagnostic>, Option<String>);
        type ParsedPart = (bool, Option<Box<Parsed>>);
        let (files, parsed): (Vec<FileParts>, Vec<ParsedPart>) = found
            .markdown
            .into_par_iter()
            .with_max_len(16)
            .map(|entry| {
                let o = match &options.cache {
                    Some(cache) => cache.parse(&ctx, entry),
                    None => parse_file(&ctx, entry),
                };
                let has_source = o.source.is_some();
                ((o.source, o.diagnostics, o.error), (has_source, o.parsed))
            })
            .unzip();
        timer.lap("read, parse, check");
        site.index_files = index_files;
        site.owners = owners;

        // Each part goes straight to its place (one move of these large values, not three);
        // schema findings follow all file findings, as they always have.
        let Site {
            diagnostics,
            errors,
            sources,
            source_by_path,
            runbooks,
            drafts,
            project,
            ..
        } = &mut site;
        let site_title = project.title();
        // MkDocs `nav`: a page's place in it orders it before any weight.
        let nav: FastMap<&str, i64> = project
            .generator
            .nav
            .iter()
            .enumerate()
            .map(|(i, rel)| (rel.as_str(), i as i64))
            .collect();
        let nav_position = |rel: &str| nav.get(rel).copied();
        let (_, (section_docs, schema_diagnostics)) = rayon::join(
            || {
                diagnostics.reserve(files.iter().map(|(_, d, _)| d.len()).sum());
                sources.reserve_exact(files.len());
                source_by_path.reserve(files.len());
                for (source, file_diagnostics, error) in files {
                    diagnostics.extend(file_diagnostics);
                    errors.extend(error);
                    if let Some(source) = source {
                        index_source(sources, source_by_path, source);
                    }
                }
            },
            || {
                let mut section_docs: BTreeMap<String, Document> = BTreeMap::new();
                let mut schema_diagnostics = Vec::new();
                runbooks.reserve_exact(parsed.len());
                let mut next_source = 0;
                for (has_source, p) in parsed {
                    let source = next_source;
                    next_source += usize::from(has_source);
                    let Some(mut p) = p.map(|p| *p) else {
                        continue;
                    };
                    p.source = source;
                    if let Some(SectionPage {
                        dir,
                        title,
                        description,
                        weight,
                    }) = p.section
                    {
                        let title = title
                            .or_else(|| p.doc.leading_h1.as_ref().map(|(t, _)| t.clone()))
                            .unwrap_or_else(|| {
                                if dir.is_empty() {
                                    site_title.to_string()
                                } else {
                                    humanize(file_name(&dir))
                                }
                            });
                        section_docs.insert(
                            dir,
                            Document {
                                rel: p.entry.rel,
                                source: p.source,
                                doc: p.doc,
                                html: String::new(),
                                output: String::new(),
                                title,
                                description,
                                order: weight,
                            },
                        );
                        continue;
                    }
                    let Some((meta, diags)) = p.runbook else {
                        continue;
                    };
                    let rel = p.entry.rel;
                    if meta.draft && !options.drafts {
                        drafts.insert(rel);
                        continue;
                    }
                    if p.ok {
                        schema_diagnostics.extend(diags);
                    }
                    runbooks.push(RunbookPage {
                        id: source::source_stem(&rel).to_string(),
                        document: Document {
                            order: nav_position(&rel).or(meta.weight),
                            rel,
                            source: p.source,
                            title: meta.title.clone(),
                            description: meta.description.clone(),
                            doc: p.doc,
                            html: String::new(),
                            output: String::new(),
                        },
                        meta,
                        section: 0,
                        complete: false,
                        related: Vec::new(),
                    });
                }
                (section_docs, schema_diagnostics)
            },
        );
        site.diagnostics.extend(schema_diagnostics);

        timer.lap("runbooks and sections");
        site.build_sections(section_docs);
        site.assign_outputs(found.assets, found.statics);
        timer.lap("sections and outputs");
        crate::links::resolve(&mut site);
        timer.lap("links");
        if let Some(reading) = history {
            let read = reading.join().expect("history thread");
            timer.lap("history: git");
            site.apply_history(read);
            timer.lap("history: reviews");
        }
        // After the history, which can move a review forward.
        site.review_window = options.due_within.or_else(|| {
            (site.project.config.setting(Rule::ReviewDueSoon) != crate::diagnostics::Setting::Off)
                .then_some(30)
        });
        let due: Vec<Diagnostic> = site
            .runbooks
            .iter()
            .filter_map(|rb| site.due_soon(rb))
            .collect();
        site.diagnostics.extend(due);
        // Independent: the pages' places and the duplicate titles. Without HTML (`check`) the
        // plan matters only for the aliases' findings and the alert rules' page check.
        let plan_needed = options.render_html
            || !options.alert_rules.is_empty()
            || site.runbooks.iter().any(|rb| !rb.meta.aliases.is_empty());
        let (planned, duplicates) = rayon::join(
            || plan_needed.then(|| crate::pages::plan(&site)),
            || site.duplicate_titles(),
        );
        if let Some((pages, page_findings)) = planned {
            site.pages = pages;
            site.diagnostics.extend(page_findings);
        }
        if !options.alert_rules.is_empty() {
            crate::alerts::check(&mut site, &options.alert_rules);
        }
        site.diagnostics.extend(duplicates);
        site.finish_diagnostics();
        timer.lap("pages and findings");
        site
    }

    /// Takes in the git history: a review in a commit trailer moves a runbook's review date
    /// forward (and its next review with it), and a runbook whose text changed in a commit after
    /// its last review gets `changed-since-review`.
    fn apply_history(&mut self, read: Result<crate::history::History, crate::history::Unknown>) {
        let history = match read {
            Ok(h) => h,
            Err(why) => {
                self.history_note = why.note();
                return;
            }
        };
        let today = self.today;
        // Reviews recorded in commits replace what the front matter's date gave.
        let mut moved: std::collections::HashSet<String> = Default::default();
        let mut found = Vec::new();
        for rb in &mut self.runbooks {
            let path = &self.sources[rb.document.source].path;
            let Some(review) = history.last_review(path) else {
                continue;
            };
            if rb.meta.reviewed_on.is_some_and(|r| r.date >= review.date) {
                continue;
            }
            rb.meta.reviewed_on = Some(schema::cadence::ReviewDate { date: review.date });
            rb.meta.next_review = rb
                .meta
                .cadence
                .shortest_interval()
                .and_then(|i| i.after(review.date));
            moved.insert(path.clone());
            if let Some(due) = rb.meta.next_review.filter(|due| *due < today) {
                found.push(
                    Diagnostic::new(
                        Rule::ReviewOverdue,
                        path,
                        0,
                        format!(
                            "review was due on {due} (last reviewed {} in commit {})",
                            review.date,
                            short(&review.id)
                        ),
                    )
                    .with_help("review the runbook, then update last_reviewed or commit with a `Runbook-reviewed:` trailer"),
                );
            }
        }
        if !moved.is_empty() {
            self.diagnostics.retain(|d| {
                !(matches!(d.rule, Rule::ReviewOverdue | Rule::MissingLastReviewed)
                    && moved.contains(&d.path))
            });
        }
        // Changes of the text after the review.
        let reviewed: Vec<(usize, &str, NaiveDate)> = self
            .runbooks
            .iter()
            .enumerate()
            .filter_map(|(i, rb)| {
                let date = rb.meta.reviewed_on?.date;
                Some((i, self.sources[rb.document.source].path.as_str(), date))
            })
            .collect();
        let asked: Vec<(&str, NaiveDate)> = reviewed.iter().map(|&(_, p, d)| (p, d)).collect();
        let changes = history.changed_after_review(&asked);
        for (&(i, path, date), commit) in reviewed.iter().zip(changes) {
            let Some(commit) = commit else {
                continue;
            };
            let offset = self.runbooks[i]
                .meta
                .last_reviewed
                .as_ref()
                .map_or(0, |l| l.offset);
            found.push(
                Diagnostic::new(
                    Rule::ChangedSinceReview,
                    path,
                    offset,
                    format!(
                        "changed on {} by {} (commit {}) after its last review on {date}",
                        commit.date,
                        commit.author,
                        short(&commit.id)
                    ),
                )
                .with_help("check the runbook still holds, then update last_reviewed (or commit with a `Runbook-reviewed:` trailer)"),
            );
        }
        self.diagnostics.extend(found);
        self.history = Some(history);
    }

    /// `review-due-soon` for a runbook whose next review falls due from today to
    /// `review_window` days ahead, so its owner hears of it before it is overdue.
    fn due_soon(&self, rb: &RunbookPage) -> Option<Diagnostic> {
        let today = self.today;
        let until = today
            .checked_add_days(chrono::Days::new(u64::from(self.review_window?)))
            .unwrap_or(NaiveDate::MAX);
        let due = rb
            .meta
            .next_review
            .filter(|d| (today..=until).contains(d))?;
        let when = match (due - today).num_days() {
            0 => "today".to_string(),
            1 => "tomorrow".to_string(),
            n => format!("in {n} days"),
        };
        let last = rb
            .meta
            .reviewed_on
            .map(|r| format!(" (last reviewed {})", r.date))
            .unwrap_or_default();
        let offset = rb.meta.last_reviewed.as_ref().map_or(0, |l| l.offset);
        Some(
            Diagnostic::new(
                Rule::ReviewDueSoon,
                &self.sources[rb.document.source].path,
                offset,
                format!("review falls due on {due}, {when}{last}"),
            )
            .with_help("review the runbook before then, and update last_reviewed (or commit with a `Runbook-reviewed:` trailer)"),
        )
    }

    fn build_sections(&mut self, mut docs: BTreeMap<String, Document>) {
        // Every folder on the way to a runbook or a section page is a section.
        let mut dirs: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        dirs.insert(String::new());
        let mut add_ancestors = |dir: &str| {
            let mut d = dir;
            // Folders already seen have their ancestors in too.
            while !dirs.contains(d) {
                dirs.insert(d.to_string());
                if d.is_empty() {
                    break;
                }
                d = parent_dir(d);
            }
        };
        for rb in &self.runbooks {
            add_ancestors(parent_dir(&rb.document.rel));
        }
        for dir in docs.keys() {
            add_ancestors(dir);
        }
        let site_title = self.project.title().to_string();
        let mut by_dir: FastMap<String, usize> = FastMap::default();
        for dir in &dirs {
            let index = docs.remove(dir);
            let title = match &index {
                Some(d) => d.title.clone(),
                None if dir.is_empty() => site_title.clone(),
                None => humanize(file_name(dir)),
            };
            let parent = if dir.is_empty() {
                None
            } else {
                by_dir.get(parent_dir(dir)).copied()
            };
            let i = self.sections.len();
            self.sections.push(Section {
                dir: dir.clone(),
                title,
                parent,
                children: Vec::new(),
                runbooks: Vec::new(),
                index,
                output: String::new(),
            });
            if let Some(p) = parent {
                self.sections[p].children.push(i);
            }
            by_dir.insert(dir.clone(), i);
        }
        for (i, rb) in self.runbooks.iter_mut().enumerate() {
            let s = by_dir[parent_dir(&rb.document.rel)];
            rb.section = s;
            self.sections[s].runbooks.push(i);
        }
        let runbooks = &self.runbooks;
        // A section's place: its section page's weight, else its first runbook's, then its
        // title.
        let sections_snapshot: Vec<(i64, String)> = self
            .sections
            .iter()
            .map(|s| {
                let order = s
                    .index
                    .as_ref()
                    .and_then(|d| d.order)
                    .or_else(|| {
                        s.runbooks
                            .iter()
                            .filter_map(|&r| runbooks[r].document.order)
                            .min()
                    })
                    .unwrap_or(i64::MAX);
                (order, s.title.to_lowercase())
            })
            .collect();
        for s in &mut self.sections {
            s.runbooks
                .sort_by_cached_key(|&r| section_order(&runbooks[r]));
            s.children.sort_by_key(|&c| (&sections_snapshot[c], c));
        }
    }

    /// Output paths for every page and file, and `output-collision` where two sources meet.
    fn assign_outputs(&mut self, assets: Vec<Entry>, statics: Vec<Entry>) {
        let pretty = self.project.pretty_urls();
        // Files opsbook itself writes; a source that would write one of them collides. (The
        // theme's assets are not here: a site's static/ may replace them on purpose.)
        // Who claimed each output: mostly source paths, borrowed.
        let mut claims: FastMap<String, std::borrow::Cow<'_, str>> =
            ["404.html", "sitemap.xml", "opsbook-search/meta.js"]
                .into_iter()
                .map(|p| (p.to_string(), format!("opsbook's own {p}").into()))
                .collect();
        let mut diags = Vec::new();
        // A source's display path is in `sources` already.
        let sources = &self.sources;
        for s in &mut self.sections {
            s.output = if s.dir.is_empty() {
                "index.html".to_string()
            } else {
                format!("{}/index.html", s.dir)
            };
            let who = match &s.index {
                Some(d) => sources[d.source].path.as_str().into(),
                None => self.project.display_path(&format!("{}/", s.dir)).into(),
            };
            claim(&mut claims, &mut diags, &s.output, who);
            if let Some(d) = s.index.as_mut() {
                d.output = s.output.clone();
            }
        }
        for rb in &mut self.runbooks {
            let suffix = if pretty { "/index.html" } else { ".html" };
            let mut output = String::with_capacity(rb.id.len() + suffix.len());
            output.push_str(&rb.id);
            output.push_str(suffix);
            rb.document.output = output;
            claim(
                &mut claims,
                &mut diags,
                &rb.document.output,
                sources[rb.document.source].path.as_str().into(),
            );
        }
        for a in assets {
            let who = self.project.display_path(&a.rel);
            if claim(&mut claims, &mut diags, &a.rel, who.into()) {
                self.assets.push(Asset {
                    output: a.rel,
                    source: a.abs,
                });
            }
        }
        for a in statics {
            let who = format!("static/{}", a.rel);
            if claim(&mut claims, &mut diags, &a.rel, who.into()) {
                self.assets.push(Asset {
                    output: a.rel,
                    source: a.abs,
                });
            }
        }
        self.diagnostics.extend(diags);
    }

    /// `duplicate-title` findings.
    fn duplicate_titles(&self) -> Vec<Diagnostic> {
        let keys: Vec<String> = self
            .runbooks
            .par_iter()
            .with_max_len(256)
            .map(|rb| rb.document.title.trim().to_lowercase())
            .collect();
        let mut found = Vec::new();
        let mut first: HashMap<&str, usize, foldhash::fast::FixedState> = HashMap::default();
        first.reserve(keys.len());
        for (i, (rb, key)) in self.runbooks.iter().zip(&keys).enumerate() {
            match first.get(key.as_str()) {
                Some(&j) => {
                    let other = self.source_path(&self.runbooks[j].document);
                    let d = Diagnostic::new(
                        Rule::DuplicateTitle,
                        self.source_path(&rb.document),
                        rb.meta_title_offset(),
                        format!("title \"{}\" is also used by {other}", rb.document.title),
                    )
                    .about(crate::diagnostics::Subject::Source(other.to_string()))
                    .with_help("give each runbook a distinct title so readers and references can tell them apart");
                    found.push(d);
                }
                None => {
                    first.insert(key, i);
                }
            }
        }
        found
    }

    /// Applies rule levels and suppressions, then decides which runbooks are complete.
    fn finish_diagnostics(&mut self) {
        let config = &self.project.config;
        // Only the documents that have suppression comments (few files, if any).
        let mut suppressions: FastMap<&str, Suppressions> = FastMap::default();
        let documents = self.runbooks.iter().map(|rb| &rb.document);
        for d in documents.chain(self.sections.iter().filter_map(|s| s.index.as_ref())) {
            if !d.doc.directives.is_empty() {
                let path = self.sources[d.source].path.as_str();
                let index = self
                    .source_by_path
                    .get(path)
                    .map(|&i| &self.sources[i].index);
                suppressions.insert(path, Suppressions::new(&d.doc.directives, index));
            }
        }
        self.diagnostics.retain_mut(|d| {
            let file = if suppressions.is_empty() {
                None
            } else {
                suppressions.get(d.path.as_str())
            };
            keep_finding(config.setting(d.rule), file, d)
        });
        let sources = &self.sources;
        let incomplete: std::collections::HashSet<&str, foldhash::fast::RandomState> = self
            .diagnostics
            .iter()
            .filter(|d| makes_incomplete(d))
            .map(|d| d.path.as_str())
            .collect();
        for rb in &mut self.runbooks {
            rb.complete = !incomplete.contains(sources[rb.document.source].path.as_str());
        }
    }

    /// Registers a file findings may point into (e.g. an alert rules file).
    pub fn add_source(&mut self, source: SourceText) {
        index_source(&mut self.sources, &mut self.source_by_path, source);
    }

    pub fn source_path(&self, document: &Document) -> &str {
        &self.sources[document.source].path
    }
}

/// Whether findings of this rule make a runbook incomplete.
fn makes_incomplete(d: &Diagnostic) -> bool {
    d.level == Level::Error
        && (d.rule.is_schema()
            || matches!(
                d.rule,
                Rule::FrontMatterSyntax | Rule::InvalidUtf8 | Rule::TooLarge
            ))
}

/// A commit's short name, as git shows it.
pub fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

/// Rules whose findings about a file come from looking across the whole site, not from the
/// file alone: a patch keeps them as they are.
fn site_wide(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::Orphan | Rule::DuplicateTitle | Rule::OutputCollision | Rule::UnknownRelated
    )
}

/// One runbook file re-read by `serve`, ready to replace the old one in place.
pub struct Patch {
    index: usize,
    page: RunbookPage,
    source: SourceText,
    /// Every finding about the file, as the full pipeline would give them.
    diagnostics: Vec<Diagnostic>,
    refs: Vec<crate::links::TitleRef>,
    /// Its facet values (owner, team, service, severity, tags) or alert names changed: see
    /// `Site::replan`.
    pub browse_changed: bool,
    /// Its title changed: its section is sorted again here; orders and the title index built
    /// from the site must be made again.
    pub title_changed: bool,
    /// Runbooks it now leads to and no longer leads to (by link, reference or `related`).
    links_added: Vec<usize>,
    links_removed: Vec<usize>,
}

impl Patch {
    /// Whether it changes what other runbooks show (their backlinks, an orphan finding).
    pub fn reaches_other_runbooks(&self) -> bool {
        !self.links_added.is_empty() || !self.links_removed.is_empty()
    }
}

impl Site {
    /// Re-reads one changed runbook (`rel`, content-relative) and resolves it against the rest
    /// of the site. `None` when the change reaches beyond what is rendered on request, the
    /// browse pages and the backlinks of the runbooks it leads to (its aliases or suppressions
    /// changed; a title or heading anchor another file depends on changed; the titles its
    /// related-operations items want changed; it no longer leads to a runbook nothing else
    /// links to; or it is not a runbook of this site): then the whole site must be loaded
    /// again.
    /// `targets` and `titles` are this site's (a patch does not change them).
    pub fn patch(
        &self,
        cache: Option<&ParseCache>,
        targets: &crate::links::Targets,
        titles: &crate::links::TitleIndex,
        rel: &str,
    ) -> Option<Patch> {
        if self.keep != Keep::Everything || !self.render_html {
            return None;
        }
        let i = self.runbooks.iter().position(|r| r.document.rel == rel)?;
        let old = &self.runbooks[i];
        let ctx = FileContext {
            project: &self.project,
            render_html: true,
            keep: Keep::Everything,
            today: self.today,
            index_files: &self.index_files,
            owners: &self.owners,
            overrides: &self.overrides,
        };
        let entry = Entry {
            rel: rel.to_string(),
            abs: self.project.content_dir.join(rel),
        };
        let outcome = match cache {
            Some(cache) => cache.parse(&ctx, entry),
            None => parse_file(&ctx, entry),
        };
        let (Some(source), Some(parsed), None) = (outcome.source, outcome.parsed, outcome.error)
        else {
            return None;
        };
        let (meta, schema_findings) = parsed.runbook?;
        if !parsed.ok || meta.draft {
            return None;
        }
        let old_source = &self.sources[old.document.source];
        if source.path != old_source.path {
            return None;
        }
        // What the git history gave it (a review in a commit, a change after its review) is
        // worked out for the whole site: a full rebuild keeps it.
        if let Some(history) = &self.history
            && (history.last_review(&source.path).is_some()
                || self
                    .diagnostics
                    .iter()
                    .any(|d| d.rule == Rule::ChangedSinceReview && d.path == source.path))
        {
            return None;
        }
        let page = RunbookPage {
            id: old.id.clone(),
            document: Document {
                rel: old.document.rel.clone(),
                source: old.document.source,
                order: old.document.order,
                title: meta.title.clone(),
                description: meta.description.clone(),
                doc: parsed.doc,
                html: String::new(),
                output: old.document.output.clone(),
            },
            meta,
            section: old.section,
            complete: false,
            related: Vec::new(),
        };
        if site_identity(old) != site_identity(&page) {
            return None;
        }
        // Its title: it names the runbook in lists and links rendered on request, orders its
        // section, and is matched by related-operations items and by other runbooks' titles.
        let title_changed = old.document.title != page.document.title;
        if title_changed && !self.retitle_stays_local(titles, i, &page) {
            return None;
        }
        // Its headings' anchors: they matter elsewhere only to links into them (its own
        // `file.md#...` links included, which resolve through the site).
        let ids = |rb: &RunbookPage| -> Vec<String> {
            let doc = &rb.document.doc;
            doc.headings.iter().map(|h| h.id.clone()).collect()
        };
        if ids(old) != ids(&page)
            && crate::links::links_into_headings(targets, self.documents_with(i, &page), i)
        {
            return None;
        }
        // Its owner, team, service, severity, tags or alerts: the browse pages are planned again
        // (`replan`), unless an alias of some runbook competes with them for a path.
        let browse_changed = browse_identity(old) != browse_identity(&page);
        if browse_changed
            && self.runbooks.iter().any(|rb| {
                rb.meta
                    .aliases
                    .iter()
                    .any(|a| crate::pages::alias_reaches_browse_pages(&a.value))
            })
        {
            return None;
        }
        // Its `related` entries, against the site as it is (its own id does not change).
        let mut page = page;
        let (related, related_findings) = crate::links::related_in(self, targets, &page);
        page.related = related;
        let from = crate::links::From::Runbook(i);
        let unresolved = &page.document.doc.html;
        let links =
            crate::links::resolve_document(self, targets, titles, from, &page.document, unresolved);
        // Resolved against the old titles: an item of its own naming its old title would not
        // name it any more.
        if title_changed && links.refs.iter().any(|r| r.to == i) {
            return None;
        }
        // Its related-operations items: the runbooks they name get backlinks (below); titles
        // they name that no runbook has are "wanted" across the site, and a change to those
        // takes a full load (the wanted page keeps them in the order files load in).
        let wanted_before = self.wanted.iter().filter(|w| w.path == source.path);
        if wanted_before.clone().count() != links.wanted.len()
            || wanted_before
                .zip(&links.wanted)
                .any(|(a, b)| a.title != b.title || a.output != b.output)
        {
            return None;
        }
        // The runbooks it leads to: each new one gets a backlink (and is no orphan any more);
        // one it no longer leads to loses its backlink, unless that was its last: whether a
        // section page links to it, which decides if it is an orphan now, only a full load
        // finds out.
        let mut before: Vec<usize> = (0..self.runbooks.len())
            .filter(|&t| self.backlinks[t].contains(&i))
            .collect();
        let mut after: Vec<usize> = links
            .links_to
            .iter()
            .chain(links.refs.iter().map(|r| &r.to))
            .chain(page.related.iter())
            .copied()
            .filter(|&t| t != i)
            .collect();
        before.sort_unstable();
        after.sort_unstable();
        after.dedup();
        let links_added: Vec<usize> = after
            .iter()
            .filter(|t| before.binary_search(t).is_err())
            .copied()
            .collect();
        let links_removed: Vec<usize> = before
            .iter()
            .filter(|t| after.binary_search(t).is_err())
            .copied()
            .collect();
        if links_removed.iter().any(|&t| self.backlinks[t].len() <= 1) {
            return None;
        }
        // The site-wide findings stay, at the same places in the edited file; one that points
        // elsewhere cannot be placed, and the site is loaded again.
        let (was, now) = (site_wide_offsets(old), site_wide_offsets(&page));
        let mut diagnostics = Vec::new();
        for d in &self.diagnostics {
            if d.path == source.path && site_wide(d.rule) && d.rule != Rule::UnknownRelated {
                let at = was.iter().position(|&o| o == d.offset)?;
                let mut d = d.clone();
                d.offset = now[at];
                diagnostics.push(d);
            }
        }
        let suppressions = Suppressions::new(&page.document.doc.directives, Some(&source.index));
        let mut local: Vec<Diagnostic> = outcome.diagnostics;
        local.extend(schema_findings);
        local.extend(self.due_soon(&page));
        local.extend(links.diagnostics);
        local.extend(related_findings);
        local.retain_mut(|d| {
            keep_finding(self.project.config.setting(d.rule), Some(&suppressions), d)
        });
        // Invalid fields come from the schema and from alias checks across the site: too
        // tangled to patch.
        let invalid = |d: &Diagnostic| d.path == source.path && d.rule == Rule::InvalidField;
        if local.iter().any(invalid) || self.diagnostics.iter().any(invalid) {
            return None;
        }
        diagnostics.extend(local);
        page.complete = !diagnostics.iter().any(makes_incomplete);
        page.document.html = links.html;
        page.document.doc.html = Default::default();
        Some(Patch {
            index: i,
            page,
            source,
            diagnostics,
            refs: links.refs,
            browse_changed,
            title_changed,
            links_added,
            links_removed,
        })
    }

    /// Whether runbook `i` can take `page`'s title without changing any other finding or
    /// reference: no item refers to it by its old title (`patch` checks the edited file's own
    /// items too), no runbook has the new title (or the old one: a `duplicate-title` finding
    /// would change), and no related-operations item (its own included) has the new title
    /// among its words.
    fn retitle_stays_local(
        &self,
        titles: &crate::links::TitleIndex,
        i: usize,
        page: &RunbookPage,
    ) -> bool {
        let old = &self.runbooks[i];
        if self.title_refs.iter().any(|r| r.to == i) {
            return false;
        }
        let new_title = &page.document.title;
        if titles.has(new_title) {
            return false;
        }
        let key = |t: &str| t.trim().to_lowercase();
        let (was, now) = (key(&old.document.title), key(new_title));
        let duplicate = self
            .runbooks
            .iter()
            .enumerate()
            .any(|(j, rb)| j != i && [&was, &now].contains(&&key(&rb.document.title)));
        if duplicate {
            return false;
        }
        !crate::links::named_in_related_items(self.documents_with(i, page), new_title)
    }

    /// Every runbook and section page, with `page` in place of runbook `i`.
    fn documents_with<'a>(
        &'a self,
        i: usize,
        page: &'a RunbookPage,
    ) -> impl Iterator<Item = &'a Document> {
        self.runbooks
            .iter()
            .enumerate()
            .map(move |(j, rb)| if j == i { &page.document } else { &rb.document })
            .chain(self.sections.iter().filter_map(|s| s.index.as_ref()))
    }

    /// Plans the generated pages again, after patches that changed facet values or alert names.
    /// Their findings are the same as before: only aliases get findings from the plan, and such
    /// a patch is refused while an alias could reach a browse page's path.
    pub fn replan(&mut self) {
        self.pages = crate::pages::plan(self).0;
    }

    /// Puts a patched runbook in place of the old one; returns the source paths whose findings
    /// changed (its own first).
    pub fn apply(&mut self, patch: Patch) -> Vec<String> {
        let source = self.runbooks[patch.index].document.source;
        let path = self.sources[source].path.clone();
        self.sources[source] = patch.source;
        self.runbooks[patch.index] = patch.page;
        self.diagnostics.retain(|d| d.path != path);
        self.diagnostics.extend(patch.diagnostics);
        let i = patch.index;
        self.title_refs
            .retain(|r| r.from != crate::links::From::Runbook(i));
        self.title_refs.extend(patch.refs);
        if patch.title_changed {
            let title = &self.runbooks[i].document.title;
            for w in self.wanted.iter_mut().filter(|w| w.path == path) {
                w.from_title.clone_from(title);
            }
            let runbooks = &self.runbooks;
            let section = &mut self.sections[runbooks[i].section];
            section
                .runbooks
                .sort_by_cached_key(|&r| section_order(&runbooks[r]));
        }
        let mut changed = vec![path];
        for &t in &patch.links_removed {
            self.backlinks[t].retain(|&from| from != i);
        }
        for &t in &patch.links_added {
            if let Err(at) = self.backlinks[t].binary_search(&i) {
                self.backlinks[t].insert(at, i);
            }
            let target = self.source_path(&self.runbooks[t].document).to_string();
            let before = self.diagnostics.len();
            self.diagnostics
                .retain(|d| !(d.rule == Rule::Orphan && d.path == target));
            if self.diagnostics.len() != before {
                changed.push(target);
            }
        }
        changed
    }
}

/// Where a runbook stands in its section: readers browse by title; ties keep the path order.
/// How a section's runbooks are listed: by the generator's order where it gives one, then by
/// title.
fn section_order(rb: &RunbookPage) -> (i64, String, &str) {
    (
        rb.document.order.unwrap_or(i64::MAX),
        rb.document.title.to_lowercase(),
        &rb.id,
    )
}

/// What of a runbook no patch can follow: whether it is a draft, its aliases (redirect pages
/// and their collisions) and its suppression comments (they decide which site-wide findings
/// about it show). Everything else `patch` checks or carries over: its title, headings, links,
/// related entries and items, facet values and alerts. Values only: an edit that moves them (a
/// longer owner above the aliases) moves the site-wide findings with them
/// (`site_wide_offsets`).
fn site_identity(rb: &RunbookPage) -> String {
    let aliases: Vec<&str> = rb.meta.aliases.iter().map(|a| a.value.as_str()).collect();
    format!(
        "{:?}",
        (rb.meta.draft, aliases, &rb.document.doc.directives)
    )
}

/// Where the site-wide findings kept across a patch can point: the file, its title and its
/// aliases (`unknown-related` findings are made again). Two runbooks with the same
/// `site_identity` have as many aliases, so the places pair up in order when an edit moves them.
fn site_wide_offsets(rb: &RunbookPage) -> Vec<usize> {
    let mut offsets = vec![0, rb.meta_title_offset()];
    offsets.extend(rb.meta.aliases.iter().map(|s| s.offset));
    offsets
}

/// The values a runbook gives the browse pages: owners, teams, services, severities, tags and
/// alert names.
fn browse_identity(rb: &RunbookPage) -> Vec<Vec<&str>> {
    let alerts = rb.meta.alerts.iter().map(|a| a.value.trim()).collect();
    crate::pages::Facet::ALL
        .iter()
        .map(|f| f.values_of(&rb.meta))
        .chain([alerts])
        .collect()
}

impl RunbookPage {
    fn meta_title_offset(&self) -> usize {
        self.document
            .doc
            .leading_h1
            .as_ref()
            .map(|(_, o)| *o)
            .unwrap_or(0)
    }
}

/// A section page's title, description and weight.
fn section_front_matter(
    fm: &[(yaml::Node, yaml::Node)],
) -> (Option<String>, Option<String>, Option<i64>) {
    let get = |name: &str| {
        fm.iter()
            .find(|(k, _)| k.value.as_scalar_text().as_deref() == Some(name))
            .and_then(|(_, v)| v.value.as_scalar_text())
    };
    let weight = get("weight").and_then(|w| w.trim().parse().ok());
    (get("title"), get("description"), weight)
}
