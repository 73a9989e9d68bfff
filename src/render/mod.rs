//! Step 5: render the site's pages through Tera.
//!
//! The built-in theme (`themes/default/`) is compiled into the binary; a site overrides it one
//! file at a time from `themes/<name>/templates/` and `themes/<name>/static/`. Templates are
//! parsed once per build. Each page gets a typed context (`context.rs`); every URL in it is
//! relative to the page, so the site works under any sub-path and from file://.

mod context;

use crate::diagnostics::Located;
use crate::output::{Content, OutputFile};
use crate::site::Site;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
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
        "runbook.html",
        include_str!("../../themes/default/templates/runbook.html"),
    ),
    (
        "404.html",
        include_str!("../../themes/default/templates/404.html"),
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
];

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
            .map(|(n, b)| (n.to_string(), Content::Bytes(b.to_vec())))
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
        tera.add_raw_templates(templates.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .map_err(|e| format!("in the theme's templates: {}", tera_message(&e)))?;
        Ok(Theme { tera, statics })
    }

    fn render(&self, template: &str, ctx: &tera::Context) -> Result<String, String> {
        self.tera.render(template, ctx).map_err(|e| {
            format!(
                "template `{template}` failed to render: {}",
                tera_message(&e)
            )
        })
    }
}

/// Tera's report (with the template line and a caret), without its own `error:` prefix.
fn tera_message(e: &tera::Error) -> String {
    let text = e.to_string();
    text.strip_prefix("error: ").unwrap_or(&text).to_string()
}

/// Renders every page and lists every file of the site.
pub fn render_site(
    site: &Site,
    theme: &Theme,
    findings: &[Located],
) -> Result<Vec<OutputFile>, String> {
    let mut by_path: HashMap<&str, Vec<&Located>> = HashMap::new();
    for f in findings {
        by_path.entry(f.path.as_str()).or_default().push(f);
    }
    let builder = context::Builder::new(site, &by_path);
    let mut files = Vec::new();
    for (i, rb) in site.runbooks.iter().enumerate() {
        let ctx = builder.runbook(i);
        let html = theme.render("runbook.html", &ctx)?;
        files.push(OutputFile {
            path: rb.document.output.clone(),
            content: Content::Bytes(html.into_bytes()),
        });
    }
    for (i, s) in site.sections.iter().enumerate() {
        let ctx = builder.section(i);
        let template = if s.dir.is_empty() {
            "index.html"
        } else {
            "section.html"
        };
        let html = theme.render(template, &ctx)?;
        files.push(OutputFile {
            path: s.output.clone(),
            content: Content::Bytes(html.into_bytes()),
        });
    }
    let html = theme.render("404.html", &builder.not_found())?;
    files.push(OutputFile {
        path: "404.html".into(),
        content: Content::Bytes(html.into_bytes()),
    });
    let written: std::collections::HashSet<String> =
        files.iter().map(|f| f.path.to_lowercase()).collect();
    for (path, content) in &theme.statics {
        if !written.contains(&path.to_lowercase()) {
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
    // A site's static/ file replaces a theme file of the same name.
    let mut seen = std::collections::HashSet::new();
    files.reverse();
    files.retain(|f| seen.insert(f.path.clone()));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
