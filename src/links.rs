//! Step 4: resolve and check every link and image, then write the final body HTML.
//!
//! Relative links are resolved against the linking file, like on a Git host: `../db/failover.md`
//! becomes the failover page's URL, `#anchors` preserved and checked against the target's heading
//! ids. Every URL in the output is relative, so the site works under any sub-path and from
//! file://. Links with a scheme other than http, https, mailto and tel are dropped (`unsafe-link`).

use crate::diagnostics::{Diagnostic, Rule, Subject};
use crate::markdown::{
    Doc, IMAGE, ImageText, LINK_CLOSE, LINK_MARK, LINK_OPEN, LinkRef, REF_CLOSE, REF_OPEN,
    normalize_heading,
};
use crate::site::{Document, Site};
use crate::text::{escape_href, escape_into, path_url, percent_decode, scheme};
use rayon::prelude::*;
use std::collections::HashMap;

/// What a content path leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Runbook(usize),
    Section(usize),
    Asset(usize),
}

/// Maps with a fixed hasher: fast, and the same iteration order on every run.
type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// The lookup tables links are resolved against.
pub struct Targets {
    by_path: Map<String, Target>,
    by_dir: Map<String, usize>,
    /// Runbooks by lower-case id, as `related` entries name them (the last of ids that differ
    /// only in case).
    by_id: Map<String, usize>,
    /// Lower-cased content path -> the path (the first of those that differ only in case).
    by_lower_path: std::sync::OnceLock<Map<String, String>>,
    /// Runbooks by id (their path without the source ending): how page URLs name them
    /// (`db/failover.html`, `db/failover/`, `manual/deploy.html` for `deploy.html.md.erb`).
    by_stem: Map<String, usize>,
    /// What a link outside the content folder is checked against.
    outside: Outside,
}

/// The site's place in its repository and on its host, for links that are not plain content
/// paths: root-absolute ones (`/manual/x.html`, `/docs/runbooks/x.md`), and ones to files of
/// the repository outside the content folder.
struct Outside {
    flavor: crate::flavor::Flavor,
    /// Pages are served as folders (`x/`): relative URLs count from there.
    directory_urls: bool,
    /// URL path prefixes a root-absolute link into the site may start with (the generator's
    /// base path, `base_url`'s path, the content folder's path in the repository).
    prefixes: Vec<String>,
    /// Absolute paths of the content folder and of the repository (the git work tree, else the
    /// site root) it sits in.
    content: std::path::PathBuf,
    repository: std::path::PathBuf,
    /// `[site] repo_url`, ending in `/`.
    repo_url: Option<String>,
}

impl Targets {
    pub fn new(site: &Site) -> Targets {
        let mut by_path = Map::default();
        let mut by_dir = Map::default();
        by_path.reserve(site.runbooks.len() + site.sections.len() + site.assets.len());
        for (i, rb) in site.runbooks.iter().enumerate() {
            by_path.insert(rb.document.rel.clone(), Target::Runbook(i));
        }
        for (i, s) in site.sections.iter().enumerate() {
            by_dir.insert(s.dir.clone(), i);
            if let Some(d) = &s.index {
                by_path.insert(d.rel.clone(), Target::Section(i));
            }
        }
        for (i, a) in site.assets.iter().enumerate() {
            by_path.entry(a.output.clone()).or_insert(Target::Asset(i));
        }
        let mut by_id = Map::default();
        let mut by_stem = Map::default();
        by_id.reserve(site.runbooks.len());
        by_stem.reserve(site.runbooks.len());
        for (i, rb) in site.runbooks.iter().enumerate() {
            by_id.insert(rb.id.to_lowercase(), i);
            by_stem.insert(rb.id.clone(), i);
        }
        Targets {
            by_path,
            by_dir,
            by_id,
            by_lower_path: std::sync::OnceLock::new(),
            by_stem,
            outside: Outside::new(&site.project),
        }
    }

    /// Finds what a normalised content path names: a file, a folder, a runbook id, or a page
    /// URL in any of the forms generators give (`x.html`, `x/`, `x/index.html`, `x`).
    pub fn lookup(&self, path: &str) -> Option<Target> {
        let path = path.trim_end_matches('/');
        if let Some(t) = self.by_path.get(path) {
            return Some(*t);
        }
        if let Some(s) = self.by_dir.get(path) {
            return Some(Target::Section(*s));
        }
        if let Some(t) = self.by_path.get(&format!("{path}.md")) {
            return Some(*t);
        }
        let page = path.strip_suffix(".html").unwrap_or(path);
        if let Some(&i) = self.by_stem.get(page) {
            return Some(Target::Runbook(i));
        }
        let dir = page
            .strip_suffix("/index")
            .or_else(|| (page == "index").then_some(""))?;
        self.by_dir.get(dir).map(|&s| Target::Section(s))
    }

    /// The same lookup ignoring case, for a "did you mean" hint. Its table is made when a
    /// broken link first needs it, once for the site.
    fn lookup_ignoring_case(&self, path: &str) -> Option<&str> {
        let table = self.by_lower_path.get_or_init(|| {
            let mut table = Map::default();
            for k in self.by_path.keys() {
                table.entry(k.to_lowercase()).or_insert_with(|| k.clone());
            }
            table
        });
        table.get(&path.to_lowercase()).map(String::as_str)
    }
}

/// Where a link that is no plain content path of this site leads (`Targets::elsewhere`).
enum Elsewhere {
    Target(Target),
    /// A file of the repository outside the content folder: its repository path.
    RepositoryFile(String),
    /// A page the generator makes from data (a taxonomy, a search page): it cannot be checked.
    Generated,
}

impl Outside {
    fn new(project: &crate::config::Project) -> Outside {
        let repository = crate::owners::repository_root(&project.root);
        let content = crate::output::absolute(&project.content_dir);
        let mut prefixes = Vec::new();
        let mut add = |p: String| {
            let p = if p.ends_with('/') { p } else { format!("{p}/") };
            if p != "/" && !prefixes.contains(&p) {
                prefixes.push(p);
            }
        };
        add(project.generator.base_path.clone());
        let base_url = &project.config.site.base_url;
        let base_path = match base_url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => base_url.as_str(),
        };
        add(base_path.to_string());
        if let Ok(rel) = content.strip_prefix(&repository) {
            let rel = crate::diagnostics::display_path(rel);
            if !rel.is_empty() {
                add(format!("/{rel}"));
            }
        }
        let repo_url = project.config.site.repo_url.as_ref().map(|u| {
            if u.ends_with('/') {
                u.clone()
            } else {
                format!("{u}/")
            }
        });
        Outside {
            flavor: project.generator.flavor,
            directory_urls: project.generator.directory_urls,
            prefixes,
            content,
            repository,
            repo_url,
        }
    }

    /// Whether the generator makes the page at site path `path` from data rather than from a
    /// source: taxonomy and search pages, and GitLab's own routes (`-/issues/1`).
    fn generated(&self, path: &str) -> bool {
        use crate::flavor::Flavor;
        let first = path.split('/').next().unwrap_or("").to_ascii_lowercase();
        let first = first.trim_end_matches(".html");
        match self.flavor {
            Flavor::Hugo => matches!(
                first,
                "tags"
                    | "categories"
                    | "series"
                    | "authors"
                    | "page"
                    | "search"
                    | "index.xml"
                    | "sitemap.xml"
            ),
            Flavor::Mkdocs => matches!(first, "search" | "tags" | "sitemap.xml" | "404"),
            Flavor::TechDocs => matches!(first, "search" | "api" | "sitemap.xml" | "404"),
            Flavor::Docusaurus => matches!(first, "blog" | "tags" | "search" | "404"),
            Flavor::Gitlab => path.split('/').any(|p| p == "-"),
            Flavor::Github => false,
        }
    }
}

/// `path` with its `.` and `..` parts resolved, without touching the disk.
fn normalize(path: &std::path::Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

impl Targets {
    /// Where a link (its percent-decoded path) from a file in content folder `base_dir` leads,
    /// when it names no content path as written: a page by the site's URL (root-absolute,
    /// after the site's own prefix), a path that leaves the content folder and comes back, a
    /// file of the repository, or a page the generator makes. `None`: nothing, it is broken.
    fn elsewhere(&self, rel: &str, decoded: &str) -> Option<Elsewhere> {
        let o = &self.outside;
        let base_dir = crate::site::parent_dir(rel);
        // With directory URLs (MkDocs, Hugo) a page is served as a folder: a relative URL
        // that is not a source path counts from there (`../node-down/` from `disk-full/`).
        if o.directory_urls && !decoded.starts_with('/') && !decoded.ends_with(".md") {
            let stem = crate::source::source_stem(rel);
            let name = stem.rsplit('/').next().unwrap_or(stem);
            let page_dir = if crate::source::SECTION_INDEX_NAMES
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name))
            {
                base_dir
            } else {
                stem
            };
            if let Some(t) = join(page_dir, decoded).and_then(|j| self.lookup(&j)) {
                return Some(Elsewhere::Target(t));
            }
        }
        if let Some(rooted) = decoded.strip_prefix('/') {
            for prefix in &o.prefixes {
                let Some(rest) = decoded.strip_prefix(prefix.as_str()) else {
                    continue;
                };
                if let Some(joined) = join("", rest) {
                    if let Some(t) = self.lookup(&joined) {
                        return Some(Elsewhere::Target(t));
                    }
                    if o.generated(&joined) {
                        return Some(Elsewhere::Generated);
                    }
                }
            }
            if o.generated(rooted) {
                return Some(Elsewhere::Generated);
            }
        } else if join(base_dir, decoded).is_some_and(|j| o.generated(&j)) {
            return Some(Elsewhere::Generated);
        } else if o.flavor == crate::flavor::Flavor::Hugo
            && let Some(t) = join("", decoded).and_then(|j| self.lookup(&j))
        {
            // Hugo's `ref` looks beside the page first, then from the content root.
            return Some(Elsewhere::Target(t));
        }
        // On disk: root-absolute is the repository's root on GitHub and GitLab, the site's
        // elsewhere.
        let start = match decoded.strip_prefix('/') {
            Some(_)
                if matches!(
                    o.flavor,
                    crate::flavor::Flavor::Github | crate::flavor::Flavor::Gitlab
                ) =>
            {
                o.repository.clone()
            }
            Some(_) => o.content.clone(),
            None => o.content.join(base_dir),
        };
        let abs = normalize(&start.join(decoded.trim_start_matches('/')));
        if let Ok(rel) = abs.strip_prefix(&o.content) {
            let rel = crate::diagnostics::display_path(rel);
            return self.lookup(&rel).map(Elsewhere::Target);
        }
        let rel = crate::diagnostics::display_path(abs.strip_prefix(&o.repository).ok()?);
        if o.generated(&rel) {
            return Some(Elsewhere::Generated);
        }
        abs.exists().then_some(Elsewhere::RepositoryFile(rel))
    }
}

/// Joins a relative link onto the linking file's folder; `None` when it climbs out of the root.
pub fn join(base_dir: &str, link: &str) -> Option<String> {
    // Built as a string: `..` drops what follows the last `/`, which is the last part.
    let mut out = String::with_capacity(base_dir.len() + link.len() + 1);
    if !link.starts_with('/') {
        out.push_str(base_dir);
    }
    for part in link.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.is_empty() {
                    return None;
                }
                let cut = out.rfind('/').unwrap_or(0);
                out.truncate(cut);
            }
            p => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(p);
            }
        }
    }
    Some(out)
}

/// One document to resolve: where it is and who it is.
struct Linker<'a> {
    site: &'a Site,
    targets: &'a Targets,
    path: &'a str,
    rel: &'a str,
    output: &'a str,
    doc: &'a Doc,
}

/// What a link becomes on the page (see `fill`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filled {
    /// A link to this URL (escaped for an attribute).
    Href(String),
    /// Marked text: its target is missing, or its scheme unsafe.
    Broken,
    /// Plain text: a file of the repository with no `repo_url` to link it to, or a page only
    /// the generator makes.
    Text,
}

struct Resolved {
    /// What each link becomes, in order (none when not rendering HTML).
    urls: Vec<Filled>,
    diagnostics: Vec<Diagnostic>,
    /// Runbooks this document links to.
    links_to: Vec<usize>,
}

/// The heading ids of one page, for checking `#fragments`: looked up by hash, so a page of
/// thousands of headings and links to them costs linear time, not quadratic.
struct Anchors<'a> {
    ids: Vec<&'a str>,
    exact: std::collections::HashSet<&'a str, foldhash::fast::FixedState>,
}

impl<'a> Anchors<'a> {
    fn of(doc: &'a Doc) -> Anchors<'a> {
        let ids: Vec<&str> = doc.headings.iter().map(|h| h.id.as_str()).collect();
        let exact = ids.iter().copied().collect();
        Anchors { ids, exact }
    }
}

/// Past this many headings, a broken anchor's finding names no near heading: looking for one
/// would cost a scan of them all for every broken link.
const NEAR_SEARCH_LIMIT: usize = 100;

impl Linker<'_> {
    /// The document whose headings a link into `target` may name (`None`: this page).
    fn anchor_doc(&self, target: Option<Target>) -> Option<&Doc> {
        match target {
            None => Some(self.doc),
            Some(Target::Runbook(i)) => Some(&self.site.runbooks[i].document.doc),
            Some(Target::Section(i)) => Some(&self.site.sections[i].index.as_ref()?.doc),
            Some(Target::Asset(_)) => None,
        }
    }

    fn output_of(&self, target: Target) -> &str {
        match target {
            Target::Runbook(i) => &self.site.runbooks[i].document.output,
            Target::Section(i) => &self.site.sections[i].output,
            Target::Asset(i) => &self.site.assets[i].output,
        }
    }

    /// Checks `#fragment` against the target's ids, case-sensitively as browsers match them;
    /// returns the fragment to link, or `None` when it names no heading (`broken-anchor`).
    fn fragment(
        &self,
        fragment: &str,
        anchors: &Anchors,
        offset: usize,
        target: Option<Target>,
        target_name: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        let wanted = percent_decode(fragment);
        if wanted.is_empty() || anchors.exact.contains(&*wanted) {
            return Some(fragment.to_string());
        }
        let ids: &[&str] = &anchors.ids;
        let mut d = Diagnostic::new(
            Rule::BrokenAnchor,
            self.path,
            offset,
            format!("`#{wanted}` matches no heading in {target_name}"),
        );
        let source = match target {
            Some(Target::Runbook(i)) => Some(&self.site.runbooks[i].document),
            Some(Target::Section(i)) => self.site.sections[i].index.as_ref(),
            _ => None,
        };
        if let Some(doc) = source {
            d = d.about(Subject::Source(self.site.source_path(doc).to_string()));
        }
        // The nearest heading id: the fewest edits away (a case, a hyphen, a renderer's
        // rule), else one that contains the other.
        let lower = wanted.to_lowercase();
        let near = (ids.len() <= NEAR_SEARCH_LIMIT)
            .then(|| {
                ids.iter()
                    .map(|id| (crate::text::edit_distance(&wanted, id), *id))
                    .filter(|(d, id)| *d <= 2.max(id.len() / 4))
                    .min()
                    .map(|(_, id)| id)
                    .or_else(|| {
                        ids.iter()
                            .copied()
                            .find(|id| id.contains(lower.as_str()) || lower.contains(*id))
                    })
            })
            .flatten();
        d = match near {
            Some(id) => d.with_help(format!("did you mean `#{id}`?")),
            None if ids.is_empty() => d.with_help("the target has no headings"),
            None => d.with_help(format!(
                "headings there: {}",
                ids.iter()
                    .take(6)
                    .map(|i| format!("#{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        out.push(d);
        None
    }

    fn run(&self) -> Resolved {
        let pretty = self.site.project.pretty_urls();
        let base_dir = crate::site::parent_dir(self.rel);
        let mut res = Resolved {
            urls: Vec::with_capacity(self.doc.links.len()),
            diagnostics: Vec::new(),
            links_to: Vec::new(),
        };
        // URLs only go into HTML: `check` resolves links for their findings alone.
        let want_urls = self.site.render_html;
        let push_url = |urls: &mut Vec<Filled>, url: &dyn Fn() -> String| {
            if want_urls {
                urls.push(Filled::Href(url()));
            }
        };
        // Each target's anchors, made when a link first names one of them.
        let mut anchors: HashMap<Option<Target>, Option<Anchors>> = HashMap::new();
        for link in &self.doc.links {
            let dest = link.dest.trim();
            let what = if link.image { "image" } else { "link" };
            if dest.contains(crate::markdown::compat::UNEXPANDED) {
                // Built by a shortcode opsbook cannot expand: its URL is not known.
                res.diagnostics.push(
                    Diagnostic::new(
                        Rule::UnverifiableLink,
                        self.path,
                        link.offset,
                        format!("{what} target is made by a shortcode opsbook cannot expand"),
                    )
                    .with_help(
                        "declare the value under params in the Hugo config, or link to a path",
                    ),
                );
                if want_urls {
                    res.urls.push(Filled::Text);
                }
                continue;
            }
            if let Some(scheme) = scheme(dest) {
                if matches!(&*scheme, "http" | "https" | "mailto" | "tel") {
                    push_url(&mut res.urls, &|| escape_href(dest));
                } else {
                    res.diagnostics.push(
                        Diagnostic::new(
                            Rule::UnsafeLink,
                            self.path,
                            link.offset,
                            format!("{what} with scheme `{scheme}:` was removed"),
                        )
                        .with_help("only http, https, mailto, tel and relative links are kept"),
                    );
                    if want_urls {
                        res.urls.push(Filled::Broken);
                    }
                }
                continue;
            }
            if dest.starts_with("//") || dest.is_empty() {
                push_url(&mut res.urls, &|| escape_href(dest));
                continue;
            }
            let (path_part, fragment) = local_parts(dest);
            if path_part.is_empty() {
                // Same-page anchor.
                let fragment = fragment.unwrap_or("");
                let here = anchors
                    .entry(None)
                    .or_insert_with(|| Some(Anchors::of(self.doc)))
                    .as_ref()
                    .expect("this page has anchors");
                let id = self.fragment(
                    fragment,
                    here,
                    link.offset,
                    None,
                    "this page",
                    &mut res.diagnostics,
                );
                // A section of this page that is not there: marked text.
                match id {
                    Some(id) => push_url(&mut res.urls, &|| format!("#{}", escape_href(&id))),
                    None if want_urls => res.urls.push(Filled::Broken),
                    None => {}
                }
                continue;
            }
            let decoded = percent_decode(path_part);
            let joined = join(base_dir, &decoded);
            let mut target = joined.as_deref().and_then(|j| self.targets.lookup(j));
            if target.is_none() {
                match self.targets.elsewhere(self.rel, &decoded) {
                    Some(Elsewhere::Target(t)) => target = Some(t),
                    Some(Elsewhere::RepositoryFile(rel)) => {
                        // Valid: a file of the repository, linked where the repository is
                        // browsed, or shown as text.
                        if want_urls {
                            res.urls.push(match &self.targets.outside.repo_url {
                                Some(repo) => {
                                    let mut url =
                                        format!("{repo}{}", crate::text::encode_path(&rel));
                                    if let Some(f) = fragment {
                                        url.push('#');
                                        url.push_str(f);
                                    }
                                    Filled::Href(escape_href(&url))
                                }
                                None => Filled::Text,
                            });
                        }
                        continue;
                    }
                    Some(Elsewhere::Generated) => {
                        res.diagnostics.push(
                            Diagnostic::new(
                                Rule::UnverifiableLink,
                                self.path,
                                link.offset,
                                format!(
                                    "{what} target `{path_part}` is a page the generator makes; opsbook cannot check it"
                                ),
                            )
                            .with_help(
                                "link to a runbook or a file instead, or leave the rule off (its default)",
                            ),
                        );
                        // This site has no such page: the link is text here.
                        if want_urls {
                            res.urls.push(Filled::Text);
                        }
                        continue;
                    }
                    None => {}
                }
            }
            let Some(target) = target else {
                let shown = joined.clone().unwrap_or_else(|| decoded.to_string());
                let mut d = Diagnostic::new(
                    Rule::BrokenLink,
                    self.path,
                    link.offset,
                    format!("{what} target `{path_part}` does not exist"),
                );
                if let Some(j) = &joined {
                    d = d.about(Subject::Content(j.clone()));
                }
                let draft = joined.as_deref().filter(|j| {
                    self.site.drafts.contains(*j) || self.site.drafts.contains(&format!("{j}.md"))
                });
                d = match joined
                    .as_deref()
                    .and_then(|j| self.targets.lookup_ignoring_case(j))
                {
                    _ if draft.is_some() => d.with_help(
                        "the target is a draft, left out of this build; publish it (remove `draft: true`) or build with --drafts",
                    ),
                    Some(found) => {
                        d.with_help(format!("did you mean `{found}`? (letter case differs)"))
                    }
                    None if joined.is_none() => {
                        d.with_help("the path climbs out of the content folder")
                    }
                    None => d.with_help(format!("no file at content path `{shown}`")),
                };
                res.diagnostics.push(d);
                if want_urls {
                    res.urls.push(Filled::Broken);
                }
                continue;
            };
            if let Target::Runbook(i) = target {
                res.links_to.push(i);
            }
            let fragment = fragment.map(|fragment| {
                let there = anchors
                    .entry(Some(target))
                    .or_insert_with(|| self.anchor_doc(Some(target)).map(Anchors::of));
                match there {
                    // A missing section of another page: the link goes to the page.
                    Some(there) => {
                        let name = format!("`{path_part}`");
                        self.fragment(
                            fragment,
                            there,
                            link.offset,
                            Some(target),
                            &name,
                            &mut res.diagnostics,
                        )
                    }
                    None => Some(fragment.to_string()),
                }
            });
            push_url(&mut res.urls, &|| {
                let mut url = path_url(self.output, self.output_of(target), pretty);
                if let Some(Some(fixed)) = &fragment {
                    url.push('#');
                    url.push_str(fixed);
                }
                escape_href(&url)
            });
        }
        res
    }
}

/// A local link's path (without `?query`) and `#fragment`.
fn local_parts(dest: &str) -> (&str, Option<&str>) {
    let (path_part, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (dest, None),
    };
    (path_part.split('?').next().unwrap_or(""), fragment)
}

/// Whether any of `documents` links to runbook `i` with a `#fragment`: then the fragments are
/// checked against `i`'s headings, and changing those changes their findings.
pub fn links_into_headings<'a>(
    targets: &Targets,
    documents: impl Iterator<Item = &'a crate::site::Document>,
    i: usize,
) -> bool {
    documents.into_iter().any(|document| {
        let base_dir = crate::site::parent_dir(&document.rel);
        document.doc.links.iter().any(|link| {
            let dest = link.dest.trim();
            let (path_part, fragment) = local_parts(dest);
            if fragment.is_none()
                || path_part.is_empty()
                || dest.starts_with("//")
                || scheme(dest).is_some()
            {
                return false;
            }
            join(base_dir, &percent_decode(path_part)).and_then(|j| targets.lookup(&j))
                == Some(Target::Runbook(i))
        })
    })
}

/// Replaces the link placeholders in `html` (see `markdown::push_link_mark`): a link with a URL
/// becomes `<a href=…>…</a>`, one without (its target is missing, or its scheme unsafe) marked
/// text, `<span class="broken-link">…</span>`, so the site never links to a page it does not
/// have; an image becomes `<img …>`, or its alternative text, marked, when it is missing.
pub fn fill(html: &str, links: &[LinkRef], urls: &[Filled]) -> String {
    let extra: usize = urls
        .iter()
        .map(|u| match u {
            Filled::Href(url) => url.len() + 16,
            _ => 32,
        })
        .sum();
    let mut out = String::with_capacity(html.len() + extra);
    let mut rest = html;
    // LINK_MARK is ASCII, so its byte occurs in UTF-8 only as itself.
    const MARK: u8 = LINK_MARK as u8;
    let mark = |s: &str| memchr::memchr(MARK, s.as_bytes());
    while let Some(start) = mark(rest) {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = mark(after) else {
            rest = after;
            continue;
        };
        let body = &after[..end];
        rest = &after[end + 1..];
        let mut chars = body.chars();
        let kind = chars.next();
        let n: Option<usize> = chars.as_str().parse().ok();
        let found = n.and_then(|n| Some((links.get(n)?, urls.get(n)?)));
        match (kind, found) {
            (Some(LINK_OPEN), Some((_, Filled::Href(url)))) => {
                out.push_str("<a href=\"");
                out.push_str(url);
                out.push('"');
            }
            (Some(LINK_OPEN), Some((_, Filled::Broken))) => {
                out.push_str("<span class=\"broken-link\"")
            }
            (Some(LINK_OPEN), Some((_, Filled::Text))) => out.push_str("<span class=\"link-text\""),
            (Some(LINK_CLOSE), Some((_, Filled::Href(_)))) => out.push_str("</a>"),
            (Some(LINK_CLOSE), Some(_)) => out.push_str("</span>"),
            (Some(IMAGE), Some((link, url))) => {
                static NONE: ImageText = ImageText {
                    alt: String::new(),
                    title: String::new(),
                };
                let link = link.image_text.as_deref().unwrap_or(&NONE);
                match url {
                    Filled::Href(url) => {
                        out.push_str("<img src=\"");
                        out.push_str(url);
                        out.push_str("\" alt=\"");
                        escape_into(&mut out, &link.alt);
                        out.push('"');
                        if !link.title.is_empty() {
                            out.push_str(" title=\"");
                            escape_into(&mut out, &link.title);
                            out.push('"');
                        }
                        out.push_str(" loading=\"lazy\">");
                    }
                    other => {
                        out.push_str(if *other == Filled::Broken {
                            "<span class=\"broken-link\">"
                        } else {
                            "<span class=\"link-text\">"
                        });
                        escape_into(&mut out, &link.alt);
                        out.push_str("</span>");
                    }
                }
            }
            _ => out.push('\u{fffd}'),
        }
    }
    out.push_str(rest);
    out
}

/// What resolving one document's links gives.
#[derive(Default)]
pub struct DocumentLinks {
    /// Final body HTML (empty when not rendering).
    pub html: String,
    pub diagnostics: Vec<Diagnostic>,
    /// Runbooks it links to, by link or by title.
    pub links_to: Vec<usize>,
    pub refs: Vec<TitleRef>,
    pub wanted: Vec<Wanted>,
}

/// Resolves the links and title references of one document (which need not be in `site` yet:
/// `serve` resolves a re-read file against the site it replaces it in). `unresolved` is its
/// HTML with link marks (`document.doc.html`, unless the caller has taken it out).
pub fn resolve_document(
    site: &Site,
    targets: &Targets,
    titles: &TitleIndex,
    from: From,
    document: &Document,
    unresolved: &str,
) -> DocumentLinks {
    let mut out = DocumentLinks::default();
    title_references(site, titles, from, document, &mut out);
    let linker = Linker {
        site,
        targets,
        path: site.source_path(document),
        rel: &document.rel,
        output: &document.output,
        doc: &document.doc,
    };
    let resolved = linker.run();
    if site.render_html {
        let pretty = site.project.pretty_urls();
        let filled = fill(unresolved, &document.doc.links, &resolved.urls);
        out.html = link_titles(filled, &document.doc.related_items, &out.refs, |to| {
            path_url(&document.output, &site.runbooks[to].document.output, pretty)
        });
    }
    out.diagnostics.extend(resolved.diagnostics);
    out.links_to = resolved.links_to;
    out
}

/// Resolves links in every runbook and section page, records backlinks, and writes final HTML.
pub fn resolve(site: &mut Site) {
    let (targets, titles) = rayon::join(|| Targets::new(site), || TitleIndex::new(site));
    let keys: Vec<(bool, usize)> = (0..site.runbooks.len())
        .map(|i| (true, i))
        .chain(
            (0..site.sections.len())
                .filter(|&i| site.sections[i].index.is_some())
                .map(|i| (false, i)),
        )
        .collect();
    let mut backlinks: Vec<Vec<usize>> = vec![Vec::new(); site.runbooks.len()];
    let mut linked_from_sections = vec![false; site.runbooks.len()];
    let mut refs: Vec<TitleRef> = Vec::new();
    let mut wanted: Vec<Wanted> = Vec::new();
    // Each document's unresolved HTML is taken out of the site, so that all resolve in one
    // parallel pass (the site is only read), and each is dropped as soon as its resolved HTML
    // exists: the site's HTML is never held twice.
    let mut unresolved: Vec<Option<std::sync::Arc<String>>> = keys
        .iter()
        .map(|&(is_runbook, i)| {
            let document = if is_runbook {
                &mut site.runbooks[i].document
            } else {
                site.sections[i]
                    .index
                    .as_mut()
                    .expect("section with an index")
            };
            Some(std::mem::take(&mut document.doc.html))
        })
        .collect();
    let site_ref: &Site = site;
    // A runbook's `related` entries are resolved in the same pass as its links.
    let (results, related): (Vec<DocumentLinks>, Vec<RelatedOf>) = keys
        .par_iter()
        .zip(unresolved.par_iter_mut())
        .with_max_len(16)
        .map(|(&(is_runbook, i), html)| {
            let site = site_ref;
            let (from, document) = if is_runbook {
                (From::Runbook(i), &site.runbooks[i].document)
            } else {
                let index = site.sections[i].index.as_ref();
                (From::Section(i), index.expect("section with an index"))
            };
            let unresolved = html.take().unwrap_or_default();
            let links = resolve_document(site, &targets, &titles, from, document, &unresolved);
            let related = is_runbook.then(|| related_of(site, &site.runbooks[i], &targets));
            (links, related)
        })
        .unzip();
    drop(unresolved);
    for (&(is_runbook, i), links) in keys.iter().zip(results) {
        site.diagnostics.extend(links.diagnostics);
        refs.extend(links.refs);
        wanted.extend(links.wanted);
        if is_runbook {
            for &t in &links.links_to {
                if t != i {
                    backlinks[t].push(i);
                }
            }
            site.runbooks[i].document.html = links.html;
        } else {
            for &t in &links.links_to {
                linked_from_sections[t] = true;
            }
            if let Some(d) = site.sections[i].index.as_mut() {
                d.html = links.html;
            }
        }
    }
    site.wanted = wanted;
    // Runbooks come first in `keys`, in order.
    for (rb, (list, diagnostics)) in site.runbooks.iter_mut().zip(related.into_iter().flatten()) {
        rb.related = list;
        site.diagnostics.extend(diagnostics);
    }
    // Freeing the tables' tens of thousands of keys takes ~2 ms: an idle worker does it while
    // this thread goes on.
    rayon::spawn(move || drop((targets, titles)));
    for (i, rb) in site.runbooks.iter().enumerate() {
        for &t in &rb.related {
            if t != i {
                backlinks[t].push(i);
            }
        }
    }
    for r in &refs {
        match r.from {
            From::Runbook(from) if from != r.to => backlinks[r.to].push(from),
            From::Section(_) => linked_from_sections[r.to] = true,
            _ => {}
        }
    }
    site.title_refs = refs;
    for list in &mut backlinks {
        list.sort_unstable();
        list.dedup();
    }
    for (i, rb) in site.runbooks.iter().enumerate() {
        if backlinks[i].is_empty() && !linked_from_sections[i] {
            site.diagnostics.push(
                Diagnostic::new(
                    Rule::Orphan,
                    site.source_path(&rb.document),
                    0,
                    format!("no other runbook or section page links to `{}`", rb.id),
                )
                .with_help("link it from its section's _index.md or from a related runbook, so readers can find it without search"),
            );
        }
    }
    site.backlinks = backlinks;
}

/// Turns runbook titles named in related-operations items into links, and drops the item
/// markers. `items` are the offsets of the marked items in order; `refs` the resolved titles.
fn link_titles(
    html: String,
    items: &[usize],
    refs: &[TitleRef],
    url: impl Fn(usize) -> String,
) -> String {
    if items.is_empty() {
        return html;
    }
    let mut out = String::with_capacity(html.len() + refs.len() * 40);
    let mut rest = html.as_str();
    let mut k = 0;
    // The first reference of each item, looked up by the item's offset.
    let mut by_item: HashMap<usize, &TitleRef> = HashMap::with_capacity(refs.len());
    for r in refs {
        by_item.entry(r.item).or_insert(r);
    }
    // The marks are single ASCII bytes: memchr finds them (a one-byte `&str` pattern does not).
    const OPEN: u8 = REF_OPEN.as_bytes()[0];
    const CLOSE: u8 = REF_CLOSE.as_bytes()[0];
    const _: () = assert!(REF_OPEN.len() == 1 && REF_CLOSE.len() == 1);
    while let Some(open) = memchr::memchr(OPEN, rest.as_bytes()) {
        out.push_str(&rest[..open]);
        let after = &rest[open + REF_OPEN.len()..];
        let close = memchr::memchr(CLOSE, after.as_bytes()).unwrap_or(after.len());
        let segment = &after[..close];
        let found = items.get(k).and_then(|offset| by_item.get(offset).copied());
        match found.and_then(|r| find_words(segment, &r.text).map(|span| (r, span))) {
            Some((r, (start, end))) => {
                out.push_str(&segment[..start]);
                out.push_str(&format!(
                    "<a href=\"{}\" class=\"title-ref\">",
                    escape_href(&url(r.to))
                ));
                out.push_str(&segment[start..end]);
                out.push_str("</a>");
                out.push_str(&segment[end..]);
            }
            None => out.push_str(segment),
        }
        k += 1;
        rest = after.get(close + REF_CLOSE.len()..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Byte span in `html` (outside tags) of consecutive words equal, ignoring case, to the
/// space-separated lower-case `words`.
fn find_words(html: &str, words: &str) -> Option<(usize, usize)> {
    let wanted: Vec<&str> = words.split(' ').collect();
    // (start, end, lower-case word) of each word of text, and whether a tag sits before it.
    let mut found: Vec<(usize, usize, String, bool)> = Vec::new();
    let mut in_tag = false;
    let mut tag_since = false;
    let mut start: Option<usize> = None;
    for (i, c) in html.char_indices() {
        if in_tag {
            in_tag = c != '>';
            continue;
        }
        if c.is_alphanumeric() {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            found.push((s, i, html[s..i].to_lowercase(), tag_since));
            tag_since = false;
        }
        if c == '<' {
            in_tag = true;
            tag_since = true;
        }
        if c == '&' {
            // An entity is not a word character.
            start = None;
        }
    }
    if let Some(s) = start {
        found.push((s, html.len(), html[s..].to_lowercase(), tag_since));
    }
    found.windows(wanted.len()).find_map(|w| {
        let matches =
            w.iter().zip(&wanted).all(|(f, want)| f.2 == *want) && w.iter().skip(1).all(|f| !f.3);
        matches.then(|| (w[0].0, w[w.len() - 1].1))
    })
}

/// The document a related-operations list is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    Runbook(usize),
    Section(usize),
}

/// A runbook named by its title in a related-operations list.
#[derive(Debug, Clone)]
pub struct TitleRef {
    pub from: From,
    /// Offset of the list item.
    pub item: usize,
    pub to: usize,
    /// The title's words as matched (lower case, single spaces).
    pub text: String,
}

/// A title that a related-operations item names but no runbook has.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub title: String,
    /// Source path and output page of the document that asked for it.
    pub path: String,
    pub output: String,
    pub from_title: String,
}

fn title_key(s: &str) -> String {
    normalize_heading(s)
}

/// Lower-case words with surrounding punctuation removed.
fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The likeliest runbook title in a sentence: the longest run of capitalised words (small words
/// such as "and" or "of" may join them), without a sentence-initial verb ("Use …", "Start …").
pub fn likely_title(sentence: &str) -> String {
    const JOINERS: &[&str] = &[
        "and", "of", "the", "for", "to", "in", "on", "&", "a", "with",
    ];
    const VERBS: &[&str] = &[
        "use",
        "start",
        "escalate",
        "coordinate",
        "review",
        "see",
        "follow",
        "run",
        "check",
        "read",
        "open",
        "call",
        "contact",
        "pair",
        "consult",
        "apply",
        "then",
        "after",
        "before",
        "if",
    ];
    let tokens: Vec<&str> = sentence.split_whitespace().collect();
    let capital = |w: &str| {
        w.trim_start_matches(|c: char| !c.is_alphanumeric())
            .starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit())
    };
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < tokens.len() {
        if !capital(tokens[i]) {
            i += 1;
            continue;
        }
        let mut start = i;
        let mut end = i + 1;
        while end < tokens.len() {
            if capital(tokens[end]) {
                end += 1;
            } else if JOINERS.contains(&tokens[end].to_lowercase().as_str())
                && tokens.get(end + 1).is_some_and(|t| capital(t))
            {
                end += 2;
            } else {
                break;
            }
        }
        i = end;
        if start == 0 && VERBS.contains(&tokens[0].to_lowercase().as_str()) {
            start = 1;
            while start < end && !capital(tokens[start]) {
                start += 1;
            }
        }
        if end > start && best.is_none_or(|(s, e)| end - start > e - s) {
            best = Some((start, end));
        }
    }
    match best {
        Some((s, e)) => tokens[s..e]
            .join(" ")
            .trim_end_matches(|c: char| !c.is_alphanumeric())
            .to_string(),
        None => sentence.trim().trim_end_matches('.').to_string(),
    }
}

/// Runbook titles as related-operations items name them.
pub struct TitleIndex {
    titles: Map<String, usize>,
    /// Most words in a title.
    longest: usize,
}

impl TitleIndex {
    /// Whether some runbook has this title, as title references match titles.
    pub fn has(&self, title: &str) -> bool {
        self.titles.contains_key(&title_key(title))
    }

    pub fn new(site: &Site) -> TitleIndex {
        let mut titles: Map<String, usize> = Map::default();
        titles.reserve(site.runbooks.len());
        let mut longest = 1;
        for (i, rb) in site.runbooks.iter().enumerate() {
            let key = title_key(&rb.document.title);
            longest = longest.max(key.split(' ').count());
            titles.entry(key).or_insert(i);
        }
        TitleIndex { titles, longest }
    }
}

/// Related-operations items that name a runbook by title: in related sections, without a
/// link, not empty.
fn naming_items(doc: &Doc) -> impl Iterator<Item = &crate::markdown::ListItem> {
    (0..doc.headings.len())
        .filter(|&h| doc.is_related_heading(h))
        .flat_map(|h| doc.section_items(h))
        .filter(|item| !item.has_link && !item.text.trim().is_empty())
}

/// In "Related operations"-style sections, every list item must link to or name an existing
/// runbook by title; items that do neither are `unresolved-reference` and feed "Wanted runbooks".
fn title_references(
    site: &Site,
    index: &TitleIndex,
    from: From,
    document: &Document,
    out: &mut DocumentLinks,
) {
    let path = site.source_path(document);
    for item in naming_items(&document.doc) {
        let tokens = words(&item.text);
        let found = (1..=index.longest.min(tokens.len())).rev().find_map(|n| {
            tokens
                .windows(n)
                .find_map(|w| index.titles.get(&w.join(" ")).map(|&t| (t, w.join(" "))))
        });
        match found {
            Some((to, text)) => out.refs.push(TitleRef {
                from,
                item: item.offset,
                to,
                text,
            }),
            None => {
                let title = likely_title(&item.text);
                out.diagnostics.push(
                        Diagnostic::new(
                            Rule::UnresolvedReference,
                            path,
                            item.offset,
                            format!("\"{}\" names no runbook: no runbook is titled \"{title}\"", crate::diagnostics::shorten(&item.text, 80)),
                        )
                        .about(Subject::Name(title.clone()))
                        .with_help("write that runbook, link the item to an existing one, or correct the title"),
                    );
                out.wanted.push(Wanted {
                    title,
                    path: path.to_string(),
                    output: document.output.clone(),
                    from_title: document.title.clone(),
                });
            }
        }
    }
}

/// Whether a related-operations item of any of `documents` (one without a link) has `title`
/// among its words: then giving a runbook that title can change what the item names.
pub fn named_in_related_items<'a>(
    documents: impl Iterator<Item = &'a Document>,
    title: &str,
) -> bool {
    let key = title_key(title);
    let n = key.split(' ').count();
    documents.into_iter().any(|document| {
        naming_items(&document.doc)
            .any(|item| words(&item.text).windows(n).any(|w| w.join(" ") == key))
    })
}

/// The runbooks `rb`'s `related` entries name in `site`, and its `unknown-related` findings
/// (`serve` resolves a re-read runbook this way).
pub fn related_in(
    site: &Site,
    targets: &Targets,
    rb: &crate::site::RunbookPage,
) -> (Vec<usize>, Vec<Diagnostic>) {
    related_of(site, rb, targets)
}

/// The runbooks a runbook's `related` entries name, and its `unknown-related` findings.
type RelatedOf = Option<(Vec<usize>, Vec<Diagnostic>)>;

/// The runbooks one runbook's `related` entries name (by id, `db/failover`, or by path
/// relative to the runbook), and a finding for each entry that names none.
fn related_of(
    site: &Site,
    rb: &crate::site::RunbookPage,
    targets: &Targets,
) -> (Vec<usize>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let base_dir = crate::site::parent_dir(&rb.document.rel);
    let mut list = Vec::new();
    for entry in &rb.meta.related {
        let wanted = entry.value.trim();
        let bare = wanted.trim_end_matches(".md").trim_start_matches('/');
        // Ids are keyed in lower case; most entries are written so.
        let lower = if bare.is_ascii() && !bare.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Borrowed(bare)
        } else {
            bare.to_lowercase().into()
        };
        let hit = targets.by_id.get(lower.as_ref()).copied().or_else(|| {
            match join(base_dir, wanted).and_then(|j| targets.lookup(&j)) {
                Some(Target::Runbook(i)) => Some(i),
                _ => None,
            }
        });
        match hit {
            Some(i) => {
                if !list.contains(&i) {
                    list.push(i);
                }
            }
            None => diagnostics.push(
                Diagnostic::new(
                    Rule::UnknownRelated,
                    site.source_path(&rb.document),
                    entry.offset,
                    format!("related entry `{wanted}` names no runbook"),
                )
                .about(Subject::Name(wanted.to_string()))
                .with_help(
                    "use a runbook id such as `database/failover` or a relative path to its .md file",
                ),
            ),
        }
    }
    (list, diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_in_items_become_links() {
        assert_eq!(
            find_words(
                "Start review with Audit <em>Log</em> Review.",
                "audit log review"
            ),
            None
        );
        assert_eq!(
            find_words(
                "Use Post-Incident Review and Prevention before",
                "post incident review and prevention"
            ),
            Some((4, 39))
        );
        let r = TitleRef {
            from: From::Runbook(0),
            item: 7,
            to: 1,
            text: "audit log review".into(),
        };
        let html = "<li>\u{2}Start with Audit Log Review.\u{3}</li><li>\u{2}Other\u{3}</li>";
        let out = link_titles(html.to_string(), &[7, 9], &[r], |_| {
            "audit.html".to_string()
        });
        assert_eq!(
            out,
            "<li>Start with <a href=\"audit.html\" class=\"title-ref\">Audit Log Review</a>.</li><li>Other</li>"
        );
    }

    #[test]
    fn likely_titles() {
        assert_eq!(
            likely_title("Start evidence review with Audit Log Review."),
            "Audit Log Review"
        );
        assert_eq!(
            likely_title("Use Incident Response Runbook when production behavior is affected."),
            "Incident Response Runbook"
        );
        assert_eq!(
            likely_title("Escalate with Diagnostics and Support."),
            "Diagnostics and Support"
        );
        assert_eq!(
            likely_title(
                "Use Post-Incident Review and Prevention before returning paused work to normal scope."
            ),
            "Post-Incident Review and Prevention"
        );
        assert_eq!(
            likely_title("Coordinate releases with Update and Rollback."),
            "Update and Rollback"
        );
        assert_eq!(likely_title("see the wiki"), "see the wiki");
    }

    #[test]
    fn joins() {
        // What joining part by part gives, for paths of every shape.
        fn by_parts(base_dir: &str, link: &str) -> Option<String> {
            let mut parts: Vec<&str> = if link.starts_with('/') || base_dir.is_empty() {
                Vec::new()
            } else {
                base_dir.split('/').collect()
            };
            for part in link.split('/') {
                match part {
                    "" | "." => {}
                    ".." => {
                        parts.pop()?;
                    }
                    p => parts.push(p),
                }
            }
            Some(parts.join("/"))
        }
        for base in ["", "db", "db/deep", "a/b/c"] {
            for link in [
                "x.md",
                "./x.md",
                "../x.md",
                "../../x.md",
                "../../../x.md",
                "/x.md",
                "/../x.md",
                "a//b/./c/../d.md",
                "..",
                "../",
                ".",
                "",
                "deep/",
                "../db/../x.md",
                "...",
                "..x/y",
            ] {
                assert_eq!(join(base, link), by_parts(base, link), "{base} + {link}");
            }
        }
        assert_eq!(join("db", "../net/dns.md").as_deref(), Some("net/dns.md"));
        assert_eq!(join("db", "./x.md").as_deref(), Some("db/x.md"));
        assert_eq!(join("", "../x.md"), None);
        assert_eq!(join("db/deep", "/top.md").as_deref(), Some("top.md"));
    }

    #[test]
    fn schemes() {
        assert_eq!(scheme("javascript:alert(1)").as_deref(), Some("javascript"));
        assert_eq!(
            scheme("JaVa\tScRiPt:alert(1)").as_deref(),
            Some("javascript")
        );
        assert_eq!(scheme("../a.md"), None);
        assert_eq!(scheme("a.md#x:y"), None);
        assert_eq!(scheme("HTTPS://x").as_deref(), Some("https"));
        assert_eq!(scheme("https://x").as_deref(), Some("https"));
    }

    #[test]
    fn fills_markers() {
        let link = |image: bool, alt: &str| LinkRef {
            dest: String::new(),
            offset: 0,
            image,
            image_text: image.then(|| {
                Box::new(ImageText {
                    alt: alt.into(),
                    title: String::new(),
                })
            }),
        };
        let links = [
            link(false, ""),
            link(true, "a <b>"),
            link(false, ""),
            link(true, "gone"),
        ];
        let html = "\u{1}<0\u{1} title=\"t\">x\u{1}>0\u{1} \u{1}!1\u{1} \u{1}<2\u{1}>y\u{1}>2\u{1} \u{1}!3\u{1} \u{1}<9\u{1}";
        let urls = [
            Filled::Href("./a.html".to_string()),
            Filled::Href("./b.png".to_string()),
            Filled::Broken,
            Filled::Broken,
        ];
        assert_eq!(
            fill(html, &links, &urls),
            "<a href=\"./a.html\" title=\"t\">x</a> \
             <img src=\"./b.png\" alt=\"a &lt;b&gt;\" loading=\"lazy\"> \
             <span class=\"broken-link\">y</span> <span class=\"broken-link\">gone</span> \u{fffd}"
        );
    }

    #[test]
    fn decodes_percent() {
        assert_eq!(percent_decode("a%20b.md"), "a b.md");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
