//! `opsbook.toml` -> `Config`, and where a site's folders are.
//!
//! Every key is optional and has a default. Keys opsbook does not know are errors that name the
//! file, line and column: a typo in configuration must never be silently ignored. The root
//! detection rules (SPEC "Commands") live here too, because they decide whether a config is read.

use crate::diagnostics::{LineIndex, Rule, Setting};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "opsbook.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub site: SiteConfig,
    pub schema: SchemaConfig,
    pub markdown: MarkdownConfig,
    pub build: BuildConfig,
    pub rules: BTreeMap<String, RuleSetting>,
    /// Site-wide variables (`[variables]`), as declared; checked into `site_variables`.
    pub variables: BTreeMap<String, crate::variables::Declaration>,
    /// The same, checked: every runbook may refer to them.
    #[serde(skip)]
    pub site_variables: Vec<crate::variables::Variable>,
    /// `[rules.secret] allow`, compiled.
    #[serde(skip)]
    pub secret_allow: Vec<regex::Regex>,
}

/// A rule's entry in `[rules]`: its level (`orphan = "warning"`), or a table with the level and
/// what the rule takes besides (`[rules.secret] level = "error"`, `allow = ["regex", …]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RuleSetting {
    Level(LevelName),
    Table(RuleTable),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleTable {
    pub level: Option<LevelName>,
    /// `secret` only: patterns of values that are not secrets (matched against the value, and
    /// against the whole text the rule matched, such as `https://u:p@host`).
    #[serde(default)]
    pub allow: Vec<String>,
}

impl RuleSetting {
    fn level(&self) -> Option<LevelName> {
        match self {
            RuleSetting::Level(l) => Some(*l),
            RuleSetting::Table(t) => t.level,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BuildConfig {
    /// Fail the build on any error-level finding, as `build --strict` does.
    pub strict: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// Unset, the generator's name for the site, else "Runbooks" (see `Project::title`).
    pub title: Option<String>,
    pub base_url: String,
    pub output_dir: String,
    pub theme: String,
    pub edit_url: Option<String>,
    /// `NAME/index.html` pages linked as `NAME/`; unset, the generator's own layout (see
    /// `Project::pretty_urls`).
    pub pretty_urls: Option<bool>,
    /// The toolchain the runbooks were written for; detected from its config when not set.
    pub flavor: Option<crate::flavor::Flavor>,
    /// Where the repository is browsed (`https://github.com/acme/ops/blob/main/`): links to
    /// files outside the content folder point there.
    pub repo_url: Option<String>,
    /// Who to call when a runbook's owner does not answer, for runbooks that do not say.
    pub escalation: TextOrList,
    /// The owners' chat channel, for runbooks that do not say.
    pub chat: Option<String>,
    /// Read the git history: who changed each runbook and when, and whether it changed after its
    /// review (`changed-since-review`).
    pub git: bool,
}

/// A setting written as one text or a list of them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "TextOrListRepr")]
pub struct TextOrList(pub Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum TextOrListRepr {
    One(String),
    Many(Vec<String>),
}

impl From<TextOrListRepr> for TextOrList {
    fn from(r: TextOrListRepr) -> Self {
        TextOrList(match r {
            TextOrListRepr::One(s) => vec![s],
            TextOrListRepr::Many(v) => v,
        })
    }
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            title: None,
            base_url: "/".to_string(),
            output_dir: "public".to_string(),
            theme: "default".to_string(),
            edit_url: None,
            pretty_urls: None,
            flavor: None,
            repo_url: None,
            escalation: TextOrList::default(),
            chat: None,
            git: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchemaConfig {
    pub required: Vec<String>,
    pub allow_unknown_fields: bool,
    pub fields: BTreeMap<String, FieldSpec>,
    pub overrides: Vec<SchemaOverride>,
    pub aliases: BTreeMap<String, Vec<String>>,
    pub acceptance_headings: Vec<String>,
    pub required_sections: Vec<String>,
    pub owners_files: bool,
    /// The repository's CODEOWNERS gives the owner of a runbook that names none.
    pub codeowners: bool,
    /// The owner of a runbook that names none and has none from OWNERS or CODEOWNERS.
    pub default_owner: Option<String>,
}

impl Default for SchemaConfig {
    fn default() -> Self {
        SchemaConfig {
            required: vec![
                "owner".to_string(),
                "cadence".to_string(),
                "acceptance_checks".to_string(),
            ],
            allow_unknown_fields: false,
            fields: BTreeMap::new(),
            overrides: Vec::new(),
            aliases: BTreeMap::new(),
            acceptance_headings: Vec::new(),
            required_sections: Vec::new(),
            owners_files: false,
            codeowners: true,
            default_owner: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Enum,
    Date,
    List,
    Bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaOverride {
    pub paths: Vec<String>,
    pub required: Option<Vec<String>>,
    #[serde(default)]
    pub required_sections: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarkdownConfig {
    pub highlight: bool,
    pub unsafe_html: bool,
}

impl Default for MarkdownConfig {
    fn default() -> Self {
        MarkdownConfig {
            highlight: true,
            unsafe_html: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelName {
    Error,
    Warning,
    Off,
}

/// A configuration error, positioned in the file when possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: invalid configuration: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Parses opsbook.toml text. `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let index = LineIndex::new(text);
        let at = |offset: usize, message: String| {
            let (line, column) = index.position(text, offset);
            ConfigError {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let mut config: Config = toml::from_str(text).map_err(|err| {
            let offset = err.span().map(|s| s.start).unwrap_or(0);
            at(offset, err.message().trim().to_string())
        })?;
        // Checks serde cannot express: rule names, enum values, glob syntax.
        for name in config.rules.keys() {
            if Rule::from_code(name).is_none() {
                let offset = find_key(text, "rules", name).unwrap_or(0);
                return Err(at(
                    offset,
                    format!(
                        "unknown rule `{name}` in [rules]; rule codes are listed in `opsbook check --help`"
                    ),
                ));
            }
        }
        let site_urls = [
            ("base_url", Some(&config.site.base_url)),
            ("edit_url", config.site.edit_url.as_ref()),
            ("repo_url", config.site.repo_url.as_ref()),
        ];
        for (key, url) in site_urls {
            if let Some(why) = url.and_then(|u| url_problem(u)) {
                let offset = find_key(text, "site", key).unwrap_or(0);
                return Err(at(offset, format!("`{key}` {why}")));
            }
        }
        for (name, setting) in &config.rules {
            let RuleSetting::Table(table) = setting else {
                continue;
            };
            if !table.allow.is_empty() && name != "secret" {
                let offset = find_key(text, &format!("rules.{name}"), "allow").unwrap_or(0);
                return Err(at(
                    offset,
                    format!("`allow` is for [rules.secret] only, not [rules.{name}]"),
                ));
            }
            for pattern in &table.allow {
                match regex::Regex::new(pattern) {
                    Ok(re) => config.secret_allow.push(re),
                    Err(e) => {
                        let offset = text
                            .find(pattern.as_str())
                            .or_else(|| find_key(text, "rules.secret", "allow"))
                            .unwrap_or(0);
                        return Err(at(
                            offset,
                            format!(
                                "[rules.secret] allow: `{pattern}` is not a regular expression: {e}"
                            ),
                        ));
                    }
                }
            }
        }
        for (name, declaration) in &config.variables {
            let v = declaration.clone().into_variable(name);
            if let Some((why, _)) = crate::variables::problem(&v) {
                let offset = find_key(text, "variables", name)
                    .or_else(|| text.find(&format!("variables.{name}")))
                    .unwrap_or(0);
                return Err(at(offset, format!("[variables] {why}")));
            }
            config.site_variables.push(v);
        }
        for (name, spec) in &config.schema.fields {
            if spec.kind == FieldType::Enum && spec.values.is_empty() {
                let offset = find_key(text, &format!("schema.fields.{name}"), "type").unwrap_or(0);
                return Err(at(
                    offset,
                    format!("field `{name}` is an enum but lists no `values`"),
                ));
            }
        }
        for (i, o) in config.schema.overrides.iter().enumerate() {
            for pattern in &o.paths {
                if let Err(err) = globset::GlobBuilder::new(pattern)
                    .literal_separator(true)
                    .build()
                {
                    let offset = text.find(&format!("\"{pattern}\"")).unwrap_or(0);
                    return Err(at(
                        offset,
                        format!(
                            "[[schema.overrides]] #{}: bad glob `{pattern}`: {}",
                            i + 1,
                            err.kind()
                        ),
                    ));
                }
            }
        }
        Ok(config)
    }

    /// The level a rule runs at on this site.
    pub fn setting(&self, rule: Rule) -> Setting {
        match self.rules.get(rule.code()).and_then(RuleSetting::level) {
            Some(LevelName::Error) => Setting::Error,
            Some(LevelName::Warning) => Setting::Warning,
            Some(LevelName::Off) => Setting::Off,
            None => rule.default_setting(),
        }
    }
}

/// Why a URL the configuration gives (`base_url`, `edit_url`) cannot go into pages, checked as
/// links are: it must be a path or an http(s) URL, so no setting can put `javascript:` into an
/// `href`.
pub fn url_problem(url: &str) -> Option<String> {
    if url.chars().any(char::is_control) {
        return Some("holds a control character".into());
    }
    match crate::text::scheme(url) {
        Some(s) if !matches!(&*s, "http" | "https") => Some(format!(
            "has the scheme `{s}:`; write a path such as `/runbooks/` or an http(s) URL"
        )),
        _ => None,
    }
}

/// Best-effort position of `key` inside table `table`, for errors found after parsing.
fn find_key(text: &str, table: &str, key: &str) -> Option<usize> {
    let header = format!("[{table}]");
    let start = text.find(&header).map(|i| i + header.len()).unwrap_or(0);
    let rest = &text[start..];
    let mut offset = start;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let bare = trimmed.trim_start_matches('"');
        if bare.starts_with(key)
            && bare[key.len()..]
                .trim_start_matches('"')
                .trim_start()
                .starts_with('=')
        {
            return Some(offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    None
}

/// Where a site's parts are, after root detection.
#[derive(Debug, Clone)]
pub struct Project {
    /// The ROOT given on the command line (or the current directory).
    pub root: PathBuf,
    /// The folder holding the runbooks.
    pub content_dir: PathBuf,
    /// `static/`, copied verbatim (absent in zero-config mode).
    pub static_dir: Option<PathBuf>,
    /// `themes/`, holding overrides of the built-in theme.
    pub themes_dir: Option<PathBuf>,
    pub config: Config,
    /// Whether opsbook.toml was found.
    pub has_config_file: bool,
    /// The toolchain the runbooks were written for, and what its config says.
    pub generator: crate::flavor::Generator,
}

#[derive(Debug)]
pub enum ProjectError {
    Root(String),
    Config(ConfigError),
}

impl fmt::Display for ProjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProjectError::Root(m) => f.write_str(m),
            ProjectError::Config(e) => e.fmt(f),
        }
    }
}

impl Project {
    /// SPEC root detection: a ROOT with opsbook.toml uses its settings and `content/`; without
    /// it but with `content/`, uses `content/`; with neither, ROOT itself is the content folder.
    pub fn detect(root: &Path) -> Result<Project, ProjectError> {
        let meta = std::fs::metadata(root).map_err(|e| {
            ProjectError::Root(format!("cannot read site root {}: {e}", root.display()))
        })?;
        if !meta.is_dir() {
            return Err(ProjectError::Root(format!(
                "site root {} is not a folder; pass the folder that holds opsbook.toml or the runbooks",
                root.display()
            )));
        }
        let config_path = root.join(CONFIG_FILE);
        let (config, has_config_file) = if config_path.is_file() {
            let text = std::fs::read_to_string(&config_path).map_err(|e| {
                ProjectError::Root(format!("cannot read {}: {e}", config_path.display()))
            })?;
            let shown = Path::new(CONFIG_FILE);
            (
                Config::parse(&text, shown).map_err(ProjectError::Config)?,
                true,
            )
        } else {
            (Config::default(), false)
        };
        let generator =
            crate::flavor::detect(root, config.site.flavor).map_err(ProjectError::Root)?;
        // The generator's source folder (MkDocs `docs_dir`, Hugo `contentDir`, tech-docs
        // `source/`); else `content/`; else the folder itself, which with opsbook.toml keeps its
        // settings (so an existing repository of runbooks can add one without moving files).
        let from_generator = generator
            .content_dir
            .as_ref()
            .map(|d| root.join(d))
            .filter(|d| d.is_dir());
        let content = root.join("content");
        let root_is_content = from_generator.is_none() && !content.is_dir();
        let content_dir = match from_generator {
            Some(dir) => dir,
            None if root_is_content => root.to_path_buf(),
            None => content,
        };
        // static/ and themes/ are opsbook's only in a site of its own: a Hugo site's themes/ are
        // Hugo's (its static/ is served at the site root, as opsbook serves it).
        let own = has_config_file
            || matches!(
                generator.flavor,
                crate::flavor::Flavor::Github | crate::flavor::Flavor::Gitlab
            );
        let existing = |name: &str, ok: bool| {
            let p = root.join(name);
            (ok && (has_config_file || !root_is_content) && p.is_dir()).then_some(p)
        };
        Ok(Project {
            root: root.to_path_buf(),
            static_dir: existing(
                "static",
                own || generator.flavor == crate::flavor::Flavor::Hugo,
            ),
            themes_dir: existing("themes", own),
            content_dir,
            config,
            has_config_file,
            generator,
        })
    }

    /// The site's name: `[site] title`, else the name it had under its generator (MkDocs
    /// `site_name`, Hugo `title`, tech-docs `service_name`), else "Runbooks".
    pub fn title(&self) -> &str {
        self.config
            .site
            .title
            .as_deref()
            .or(self.generator.title.as_deref())
            .unwrap_or("Runbooks")
    }

    /// Whether pages are `NAME/index.html`, linked as `NAME/`: `[site] pretty_urls`, else what
    /// the repository's generator does (MkDocs `use_directory_urls`, Hugo unless `uglyURLs`), so
    /// a site moved to opsbook keeps the addresses its readers bookmarked.
    pub fn pretty_urls(&self) -> bool {
        self.config
            .site
            .pretty_urls
            .unwrap_or(self.generator.directory_urls)
    }

    /// Who to call for `rb`: its own `escalation`, else the site's.
    pub fn escalation<'a>(&'a self, rb: &'a crate::schema::Runbook) -> &'a [String] {
        if rb.escalation.is_empty() {
            &self.config.site.escalation.0
        } else {
            &rb.escalation
        }
    }

    /// Where `rb`'s owners talk: its own `chat`, else the site's.
    pub fn chat<'a>(&'a self, rb: &'a crate::schema::Runbook) -> Option<&'a str> {
        rb.chat.as_deref().or(self.config.site.chat.as_deref())
    }

    /// The output folder: `--out` if given (relative to the current directory), else
    /// `[site] output_dir` under ROOT.
    pub fn output_dir(&self, out: Option<&Path>) -> PathBuf {
        match out {
            Some(p) => p.to_path_buf(),
            None => self.root.join(&self.config.site.output_dir),
        }
    }

    /// Path of a content file relative to ROOT, with `/` separators, as shown in findings.
    pub fn display_path(&self, content_relative: &str) -> String {
        let prefix = self
            .content_dir
            .strip_prefix(&self.root)
            .map(crate::diagnostics::display_path)
            .unwrap_or_default();
        if prefix.is_empty() {
            content_relative.to_string()
        } else {
            format!("{prefix}/{content_relative}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        let c = Config::parse("", Path::new("opsbook.toml")).unwrap();
        assert_eq!(c.site.output_dir, "public");
        assert_eq!(c.schema.required, ["owner", "cadence", "acceptance_checks"]);
        assert!(c.markdown.highlight);
    }

    #[test]
    fn unknown_key_is_an_error_with_position() {
        let text = "[site]\ntitle = \"x\"\ntitel = \"y\"\n";
        let err = Config::parse(text, Path::new("opsbook.toml")).unwrap_err();
        assert_eq!((err.line, err.column), (3, 1), "{err}");
        assert!(err.message.contains("titel"), "{err}");
    }

    #[test]
    fn site_variables_are_checked_with_position() {
        let ok = "[variables]\ncluster = \"Kubernetes context\"\n[variables.ns]\ndescription = \"Namespace\"\ndefault = \"db\"\npattern = \"^[a-z]+$\"\n";
        let c = Config::parse(ok, Path::new("opsbook.toml")).unwrap();
        let names: Vec<_> = c.site_variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["cluster", "ns"]);
        assert_eq!(c.site_variables[1].default.as_deref(), Some("db"));
        for (text, line, says) in [
            (
                "[site]\n\n[variables]\nns = { pattern = \"[a-z\" }\n",
                4,
                "not a regular expression",
            ),
            (
                "[variables]\nns = { default = \"DB\", pattern = \"^[a-z]+$\" }\n",
                2,
                "does not match",
            ),
            ("[variables]\n\"my ns\" = \"x\"\n", 2, "bad name"),
        ] {
            let err = Config::parse(text, Path::new("opsbook.toml")).unwrap_err();
            assert_eq!(err.line, line, "{err}");
            assert!(err.message.contains(says), "{err}");
        }
        let err = Config::parse(
            "[variables]\nns = { desc = \"x\" }\n",
            Path::new("opsbook.toml"),
        )
        .unwrap_err();
        assert_eq!(err.line, 2, "{err}");
    }

    #[test]
    fn wrong_type_is_an_error_with_position() {
        let text = "[site]\npretty_urls = \"yes\"\n";
        let err = Config::parse(text, Path::new("opsbook.toml")).unwrap_err();
        assert_eq!(err.line, 2, "{err}");
    }

    #[test]
    fn unknown_rule_is_an_error() {
        let text = "[rules]\norphan = \"warning\"\norphans = \"off\"\n";
        let err = Config::parse(text, Path::new("opsbook.toml")).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn rule_levels_apply() {
        let c = Config::parse("[rules]\norphan = \"error\"\n", Path::new("x")).unwrap();
        assert_eq!(c.setting(Rule::Orphan), Setting::Error);
        assert_eq!(c.setting(Rule::Secret), Setting::Error);
    }
}
