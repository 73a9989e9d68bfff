//! Which toolchain a repository's runbooks were written for, from its own config files.
//!
//! Teams adopt opsbook on runbooks they already have: a Hugo site, an MkDocs site, a GOV.UK
//! tech-docs (Middleman) site, a Docusaurus site, or Markdown rendered by GitHub or GitLab. Each
//! puts its sources somewhere else, makes heading ids its own way, resolves links in its own
//! URL forms and knows its own front-matter keys. `detect` reads what opsbook needs from the
//! generator's config (never running it): `[site] flavor` in `opsbook.toml` chooses instead.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Flavor {
    /// Markdown as GitHub renders it (the default).
    #[default]
    Github,
    Gitlab,
    Mkdocs,
    Hugo,
    TechDocs,
    Docusaurus,
}

impl Flavor {
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Github => "github",
            Flavor::Gitlab => "gitlab",
            Flavor::Mkdocs => "mkdocs",
            Flavor::Hugo => "hugo",
            Flavor::TechDocs => "tech-docs",
            Flavor::Docusaurus => "docusaurus",
        }
    }

    /// How this flavor's renderer makes heading ids.
    pub fn ids(self) -> crate::text::IdStyle {
        use crate::text::IdStyle;
        match self {
            Flavor::Github | Flavor::Hugo | Flavor::Docusaurus => IdStyle::Github,
            Flavor::Gitlab => IdStyle::Gitlab,
            Flavor::Mkdocs => IdStyle::PythonMarkdown,
            Flavor::TechDocs => IdStyle::Redcarpet,
        }
    }

    /// Front-matter keys the generator itself defines: never `unknown-field`.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            // GitHub and GitLab render no front matter; Jekyll (GitHub Pages) and Just the Docs
            // keys are what such folders carry.
            Flavor::Github | Flavor::Gitlab => &[
                "layout",
                "permalink",
                "nav_order",
                "parent",
                "grand_parent",
                "has_children",
                "nav_exclude",
                "date",
                "categories",
                "category",
                "author",
                "authors",
                "published",
                "redirect_from",
                "redirect_to",
                "excerpt",
                "toc",
                "comments",
            ],
            Flavor::Hugo => &[
                "date",
                "lastmod",
                "publishDate",
                "expiryDate",
                "weight",
                "summary",
                "slug",
                "url",
                "categories",
                "keywords",
                "type",
                "layout",
                "menu",
                "toc",
                "images",
                "params",
                "linkTitle",
                "outputs",
                "cascade",
                "headless",
                "isCJKLanguage",
                "markup",
                "resources",
                "sitemap",
                "translationKey",
                "build",
                "author",
                "authors",
                "cover",
                "hero",
                "bookToc",
                "bookHidden",
                "bookCollapseSection",
                "bookFlatSection",
                "geekdocHidden",
                "showToc",
                "TocOpen",
                "series",
                "archetype",
                "icon",
                "featured",
                "image",
                "subtitle",
                "math",
                "audio",
                "videos",
                "no_list",
            ],
            Flavor::Mkdocs => &[
                "template",
                "hide",
                "icon",
                "status",
                "subtitle",
                "search",
                "comments",
                "date",
                "categories",
                "slug",
                "readtime",
                "links",
                "pin",
                "authors",
                "render_macros",
                "social",
                "nav_title",
            ],
            Flavor::TechDocs => &[
                "weight",
                "last_reviewed_on",
                "review_in",
                "owner_slack",
                "old_paths",
                "hide_in_navigation",
                "parent",
                "source_url",
                "layout",
                "section",
                "review_by",
                "show_review_banner",
                "prevent_indexing",
                "hide_in_search",
                "show_in_sidebar",
                "show_expiry",
                "content_owner",
            ],
            Flavor::Docusaurus => &[
                "id",
                "sidebar_label",
                "sidebar_position",
                "sidebar_class_name",
                "sidebar_custom_props",
                "hide_title",
                "hide_table_of_contents",
                "pagination_label",
                "pagination_next",
                "pagination_prev",
                "keywords",
                "image",
                "slug",
                "last_update",
                "custom_edit_url",
                "toc_min_heading_level",
                "toc_max_heading_level",
                "displayed_sidebar",
                "parse_number_prefixes",
                "unlisted",
            ],
        }
    }
}

/// What a repository's generator config says that opsbook uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Generator {
    pub flavor: Flavor,
    /// The config file it was read from, as shown in messages (`mkdocs.yml`); `None` when the
    /// flavor was set or defaulted.
    pub source: Option<String>,
    /// Where the sources are, relative to the site root (MkDocs `docs_dir`, Hugo `contentDir`,
    /// tech-docs `source/`), when the generator says.
    pub content_dir: Option<PathBuf>,
    /// The URL path the generator publishes under (`/manual/` for `site_url:
    /// https://x/manual/`), which root-absolute links start with.
    pub base_path: String,
    /// Pages are `x/index.html` (MkDocs `use_directory_urls`, Hugo's pretty URLs).
    pub directory_urls: bool,
    /// The site's own host (tech-docs `host`, MkDocs `site_url`, Hugo `baseURL`): absolute links
    /// to it are links into the site.
    pub host: Option<String>,
    /// The collection's owner (tech-docs `default_owner_slack`).
    pub default_owner: Option<String>,
    /// Old path -> new path (tech-docs `redirects`).
    pub redirects: Vec<(String, String)>,
    /// Hugo `params`, for `{{< param x >}}`.
    pub params: BTreeMap<String, String>,
    /// MkDocs `nav`: the content paths of the pages it lists, in its order.
    pub nav: Vec<String>,
    /// The site's name (MkDocs `site_name`, Hugo `title`, tech-docs `service_name`).
    pub title: Option<String>,
}

/// Reads the generator config at `root`: `flavor` when the site sets one, else the first
/// generator whose config file is there, else GitHub. A config file that cannot be read is an
/// error naming it.
pub fn detect(root: &Path, flavor: Option<Flavor>) -> Result<Generator, String> {
    let found = |names: &[&str]| names.iter().map(|n| root.join(n)).find(|p| p.is_file());
    let mkdocs = found(&["mkdocs.yml", "mkdocs.yaml"]);
    let hugo = found(&[
        "hugo.toml",
        "hugo.yaml",
        "hugo.yml",
        "hugo.json",
        "config/_default/hugo.toml",
        "config/_default/config.toml",
        "config/_default/hugo.yaml",
        "config/_default/config.yaml",
    ])
    .or_else(|| {
        // config.toml is Hugo's old name, and many tools' too: Hugo's only with Hugo's keys.
        found(&["config.toml", "config.yaml", "config.yml", "config.json"]).filter(|p| {
            std::fs::read_to_string(p).is_ok_and(|t| {
                let t = t.to_ascii_lowercase();
                t.contains("baseurl") || t.contains("contentdir") || t.contains("theme")
            })
        })
    });
    let tech_docs = found(&["config/tech-docs.yml", "config/tech-docs.yaml"]).or_else(|| {
        found(&["config.rb"]).filter(|p| {
            std::fs::read_to_string(p)
                .is_ok_and(|t| t.contains("tech_docs") || t.contains("TechDocs"))
        })
    });
    let docusaurus = found(&[
        "docusaurus.config.js",
        "docusaurus.config.ts",
        "docusaurus.config.mjs",
    ]);
    // GitLab's marks sit at the repository's root, which may be above the site's.
    let repository = crate::owners::repository_root(root);
    let gitlab_mark = [root, repository.as_path()]
        .into_iter()
        .flat_map(|dir| [".gitlab-ci.yml", ".gitlab"].map(|n| dir.join(n)))
        .find(|p| p.exists());
    let gitlab = gitlab_mark.is_some();
    let flavor = flavor.unwrap_or(if mkdocs.is_some() {
        Flavor::Mkdocs
    } else if tech_docs.is_some() {
        Flavor::TechDocs
    } else if hugo.is_some() {
        Flavor::Hugo
    } else if docusaurus.is_some() {
        Flavor::Docusaurus
    } else if gitlab {
        Flavor::Gitlab
    } else {
        Flavor::Github
    });
    let shown = |p: &Path| crate::diagnostics::display_path(p.strip_prefix(root).unwrap_or(p));
    let mut generator = Generator {
        flavor,
        ..Generator::default()
    };
    match flavor {
        Flavor::Mkdocs => {
            generator.content_dir = Some(PathBuf::from("docs"));
            generator.directory_urls = true;
            if let Some(path) = mkdocs {
                generator.source = Some(shown(&path));
                read_mkdocs(&path, &mut generator)?;
            }
        }
        Flavor::Hugo => {
            generator.content_dir = Some(PathBuf::from("content"));
            generator.directory_urls = true;
            if let Some(path) = hugo {
                generator.source = Some(shown(&path));
                read_hugo(&path, &mut generator)?;
                // A split config keeps params in a file of their own.
                let params = ["params.toml", "params.yaml", "params.yml", "params.json"]
                    .map(|n| root.join("config/_default").join(n))
                    .into_iter()
                    .find(|p| p.is_file());
                if let Some(params) = params {
                    let value = read_hugo_value(&params)?;
                    add_params(&value, &mut generator);
                }
            }
        }
        Flavor::TechDocs => {
            generator.content_dir = Some(PathBuf::from("source"));
            if let Some(path) = tech_docs {
                generator.source = Some(shown(&path));
                if path.extension().is_some_and(|e| e != "rb") {
                    read_tech_docs(&path, &mut generator)?;
                }
            }
        }
        Flavor::Docusaurus => {
            generator.content_dir = Some(PathBuf::from("docs"));
            generator.source = docusaurus.map(|p| shown(&p));
        }
        Flavor::Gitlab => {
            // Shown from the site root: `../.gitlab-ci.yml` when it is the repository's.
            generator.source = gitlab_mark.map(|p| {
                let (p, base) = (crate::output::absolute(&p), crate::output::absolute(root));
                let mut up = String::new();
                let mut dir = base.as_path();
                loop {
                    if let Ok(rel) = p.strip_prefix(dir) {
                        break format!("{up}{}", crate::diagnostics::display_path(rel));
                    }
                    match dir.parent() {
                        Some(parent) => {
                            dir = parent;
                            up.push_str("../");
                        }
                        None => break p.display().to_string(),
                    }
                }
            });
        }
        Flavor::Github => {}
    }
    Ok(generator)
}

/// The path part of a site URL (`https://x/manual/` -> `/manual/`), ending in `/`.
fn url_path(url: &str) -> (Option<String>, String) {
    let (host, path) = match url.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(i) => (Some(rest[..i].to_string()), &rest[i..]),
            None => (Some(rest.to_string()), "/"),
        },
        None => (None, url),
    };
    let mut path = path.to_string();
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    (host.filter(|h| !h.is_empty()), path)
}

/// Top-level `key: value` lines of a YAML file, read line by line: MkDocs and tech-docs
/// configs carry tags (`!!python/name:…`, `!ENV`) a plain YAML reader refuses.
fn top_level_scalars(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t', '#', '-']) {
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            let value = value.split(" #").next().unwrap_or("").trim();
            let value = value.trim_matches(['"', '\'']);
            if !key.contains(' ') && !value.is_empty() {
                out.insert(key.trim().to_string(), value.to_string());
            }
        }
    }
    out
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The pages MkDocs' `nav:` lists, in order: the block read on its own (the rest of the file
/// may hold tags a plain YAML reader refuses), every `*.md` value in it.
fn mkdocs_nav(text: &str) -> Vec<String> {
    let mut block = String::new();
    let mut inside = false;
    for line in text.lines() {
        if !line.starts_with([' ', '\t', '-']) && !line.trim().is_empty() {
            inside = line.trim_end() == "nav:";
            continue;
        }
        if inside {
            block.push_str(line);
            block.push('\n');
        }
    }
    let mut pages = Vec::new();
    fn walk(node: &crate::yaml::Node, pages: &mut Vec<String>) {
        match &node.value {
            crate::yaml::Value::String(s) if s.ends_with(".md") => pages.push(s.clone()),
            crate::yaml::Value::Seq(items) => items.iter().for_each(|n| walk(n, pages)),
            crate::yaml::Value::Map(entries) => entries.iter().for_each(|(_, v)| walk(v, pages)),
            _ => {}
        }
    }
    // The block is a list: read as the value of a key.
    if let Ok(map) = crate::yaml::parse_file_mapping(&format!("nav:\n{block}")) {
        for (_, v) in &map {
            walk(v, &mut pages);
        }
    }
    pages
}

fn read_mkdocs(path: &Path, g: &mut Generator) -> Result<(), String> {
    let text = read(path)?;
    g.nav = mkdocs_nav(&text);
    let keys = top_level_scalars(&text);
    if let Some(dir) = keys.get("docs_dir") {
        g.content_dir = Some(PathBuf::from(dir.trim_end_matches('/')));
    }
    if let Some(v) = keys.get("use_directory_urls") {
        g.directory_urls = !matches!(v.to_ascii_lowercase().as_str(), "false" | "no" | "off");
    }
    if let Some(url) = keys.get("site_url") {
        let (host, base) = url_path(url);
        g.host = host;
        g.base_path = base;
    }
    g.title = keys.get("site_name").cloned();
    Ok(())
}

/// A Hugo config file as JSON, whatever its format.
fn read_hugo_value(path: &Path) -> Result<serde_json::Value, String> {
    let text = read(path)?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    Ok(match ext {
        "toml" => toml::from_str::<toml::Value>(&text)
            .map_err(|e| format!("{}: {}", path.display(), e.message()))
            .and_then(|v| serde_json::to_value(v).map_err(|e| e.to_string()))?,
        "json" => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?,
        // YAML: read whole; what opsbook's reader refuses, it reads a key per line of.
        _ => match crate::yaml::parse_file_mapping(&text) {
            Ok(map) => yaml_to_json(&crate::yaml::Value::Map(map)),
            Err(_) => serde_json::to_value(top_level_scalars(&text)).unwrap_or_default(),
        },
    })
}

fn yaml_to_json(value: &crate::yaml::Value) -> serde_json::Value {
    use crate::yaml::Value;
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::from_str(n).unwrap_or(serde_json::Value::String(n.clone())),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Seq(items) => items.iter().map(|n| yaml_to_json(&n.value)).collect(),
        Value::Map(entries) => entries
            .iter()
            .filter_map(|(k, v)| Some((k.value.as_scalar_text()?, yaml_to_json(&v.value))))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

/// Hugo's `params` (keys are case-insensitive in Hugo), from a config or a params file.
fn add_params(params: &serde_json::Value, g: &mut Generator) {
    let Some(params) = params.as_object() else {
        return;
    };
    for (k, v) in params {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        g.params.insert(k.to_ascii_lowercase(), text);
    }
}

fn read_hugo(path: &Path, g: &mut Generator) -> Result<(), String> {
    let value = read_hugo_value(path)?;
    let get = |name: &str| {
        value
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    if let Some(dir) = get("contentDir").and_then(|v| v.as_str().map(str::to_string)) {
        g.content_dir = Some(PathBuf::from(dir.trim_end_matches('/')));
    }
    if let Some(url) = get("baseURL").and_then(|v| v.as_str().map(str::to_string)) {
        let (host, base) = url_path(&url);
        g.host = host;
        g.base_path = base;
    }
    if get("uglyURLs").and_then(|v| v.as_bool()) == Some(true) {
        g.directory_urls = false;
    }
    g.title = get("title").and_then(|v| v.as_str().map(str::to_string));
    if let Some(params) = get("params") {
        add_params(&params, g);
    }
    Ok(())
}

fn read_tech_docs(path: &Path, g: &mut Generator) -> Result<(), String> {
    let text = read(path)?;
    let keys = top_level_scalars(&text);
    if let Some(host) = keys.get("host") {
        let (h, base) = url_path(host);
        g.host = h;
        g.base_path = base;
    }
    g.default_owner = keys.get("default_owner_slack").cloned();
    g.title = keys.get("service_name").cloned();
    // `redirects:` followed by indented `old: new` lines.
    let mut in_redirects = false;
    for line in text.lines() {
        if !line.starts_with([' ', '\t']) {
            in_redirects = line.trim_end() == "redirects:";
            continue;
        }
        if in_redirects && let Some((old, new)) = line.trim().split_once(": ") {
            let clean = |s: &str| s.trim().trim_matches(['"', '\'']).to_string();
            g.redirects.push((clean(old), clean(new)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn generators_are_known_by_their_config_files() {
        let mk = site(&[(
            "mkdocs.yml",
            "site_name: Ops\nsite_url: https://ops.example.org/runbooks/\ndocs_dir: pages\nuse_directory_urls: false\nmarkdown_extensions:\n  - toc:\n      permalink: true\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n",
        )]);
        let g = detect(mk.path(), None).unwrap();
        assert_eq!(g.flavor, Flavor::Mkdocs);
        assert_eq!(g.content_dir, Some(PathBuf::from("pages")));
        assert!(!g.directory_urls);
        assert_eq!(g.title.as_deref(), Some("Ops"));
        assert_eq!(g.base_path, "/runbooks/");
        assert_eq!(g.host.as_deref(), Some("ops.example.org"));
        assert!(g.nav.is_empty());
        let with_nav = site(&[(
            "mkdocs.yml",
            "site_name: x\nnav:\n  - Home: index.md\n  - Runbooks:\n      - runbooks/b.md\n      - Disk: runbooks/a.md\n  - External: https://example.org\ntheme: material\n",
        )]);
        assert_eq!(
            detect(with_nav.path(), None).unwrap().nav,
            ["index.md", "runbooks/b.md", "runbooks/a.md"]
        );

        let hugo = site(&[(
            "hugo.toml",
            "baseURL = 'https://example.org/docs/'\ncontentDir = 'runbooks'\n[params]\nGrafana = 'https://grafana.example.org'\n",
        )]);
        let g = detect(hugo.path(), None).unwrap();
        assert_eq!(g.flavor, Flavor::Hugo);
        assert_eq!(g.content_dir, Some(PathBuf::from("runbooks")));
        assert_eq!(
            g.params.get("grafana").map(String::as_str),
            Some("https://grafana.example.org")
        );
        // A YAML config is read whole (nested params included), and a split config's
        // params file too.
        let yaml = site(&[
            (
                "config.yaml",
                "baseURL: \"https://runbooks.example.org/\"\ntitle: \"Alert runbooks\"\ntheme: book\nparams:\n  BookRepo: \"https://github.com/acme/runbooks\"\n  BookSearch: true\n",
            ),
            (
                "config/_default/params.toml",
                "grafana = 'https://grafana.example.org'\n",
            ),
        ]);
        let g = detect(yaml.path(), None).unwrap();
        assert_eq!(g.flavor, Flavor::Hugo);
        assert_eq!(g.title.as_deref(), Some("Alert runbooks"));
        assert_eq!(
            g.params.get("bookrepo").map(String::as_str),
            Some("https://github.com/acme/runbooks")
        );
        assert_eq!(g.params.get("booksearch").map(String::as_str), Some("true"));
        assert_eq!(
            g.params.get("grafana").map(String::as_str),
            Some("https://grafana.example.org")
        );

        let td = site(&[(
            "config/tech-docs.yml",
            "host: https://docs.example.service.gov.uk\nservice_name: Ops manual\ndefault_owner_slack: '#team-ops'\nredirects:\n  /old.html: /manual/new.html\n",
        )]);
        let g = detect(td.path(), None).unwrap();
        assert_eq!(g.flavor, Flavor::TechDocs);
        assert_eq!(g.content_dir, Some(PathBuf::from("source")));
        assert_eq!(g.default_owner.as_deref(), Some("#team-ops"));
        assert_eq!(g.title.as_deref(), Some("Ops manual"));
        assert_eq!(
            g.redirects,
            [("/old.html".into(), "/manual/new.html".into())]
        );

        let gl = site(&[(".gitlab-ci.yml", "test:\n  script: [true]\n")]);
        assert_eq!(detect(gl.path(), None).unwrap().flavor, Flavor::Gitlab);
        let plain = site(&[("README.md", "# x\n")]);
        assert_eq!(detect(plain.path(), None).unwrap().flavor, Flavor::Github);
        // What the site says wins.
        assert_eq!(
            detect(mk.path(), Some(Flavor::Gitlab)).unwrap().flavor,
            Flavor::Gitlab
        );
        // config.toml is Hugo's only with Hugo's keys.
        let other = site(&[("config.toml", "[tool]\nname = 'x'\n")]);
        assert_eq!(detect(other.path(), None).unwrap().flavor, Flavor::Github);
    }
}
