//! Step 2a: who owns a runbook that does not say, from where teams keep owners.
//!
//! Read once per load, before any runbook is parsed, so that each file finds its owner by
//! itself: a Kubernetes `OWNERS` file's approvers for its folder (with `[schema] owners_files`),
//! the repository's `CODEOWNERS` (GitHub's and GitLab's, sections included), and the site's
//! `[schema] default_owner`, in that order. A runbook's own front matter or owner section
//! always wins; what is used instead is said on its page and in the JSON report.

use crate::config::Project;
use crate::schema::Origin;
use crate::source::Entry;
use crate::yaml;
use globset::{GlobBuilder, GlobMatcher};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where CODEOWNERS may be, relative to the repository root, the first found used (GitHub
/// and GitLab look in these places).
const CODEOWNERS_PLACES: &[&str] = &[
    ".github/CODEOWNERS",
    ".gitlab/CODEOWNERS",
    "CODEOWNERS",
    "docs/CODEOWNERS",
];

#[derive(Debug, Clone, Default)]
pub struct Owners {
    /// Approvers of Kubernetes OWNERS files, by content folder.
    owners_files: BTreeMap<String, String>,
    codeowners: Option<Codeowners>,
    default: Option<String>,
}

#[derive(Debug, Clone)]
struct Codeowners {
    /// The content folder relative to the repository root, with a trailing `/` (or empty):
    /// CODEOWNERS patterns are repository paths.
    content_prefix: String,
    rules: Vec<CodeownersRule>,
    /// Sections (GitLab): whether each is optional (`^[Section]`); index 0 is the unnamed one.
    optional: Vec<bool>,
}

#[derive(Debug, Clone)]
struct CodeownersRule {
    matchers: Vec<GlobMatcher>,
    owners: Vec<String>,
    section: usize,
}

impl Owners {
    /// Reads the site's sources of owners. Errors are problems that stop the command (a file
    /// that cannot be parsed), named with their file.
    pub fn load(project: &Project, assets: &[Entry]) -> (Owners, Vec<String>) {
        let schema = &project.config.schema;
        let mut errors = Vec::new();
        let owners_files = if schema.owners_files {
            read_owners_files(project, assets, &mut errors)
        } else {
            BTreeMap::new()
        };
        let codeowners = if schema.codeowners {
            read_codeowners(project)
        } else {
            None
        };
        // The site's own default, else the generator's (tech-docs `default_owner_slack`).
        let default = schema
            .default_owner
            .as_ref()
            .or(project.generator.default_owner.as_ref())
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty());
        (
            Owners {
                owners_files,
                codeowners,
                default,
            },
            errors,
        )
    }

    /// The owner of the runbook at content path `rel` when it names none itself.
    pub fn of(&self, rel: &str) -> Option<(String, Origin)> {
        let mut dir = crate::site::parent_dir(rel);
        if !self.owners_files.is_empty() {
            loop {
                if let Some(o) = self.owners_files.get(dir) {
                    return Some((o.clone(), Origin::OwnersFile));
                }
                if dir.is_empty() {
                    break;
                }
                dir = crate::site::parent_dir(dir);
            }
        }
        if let Some(owners) = self.codeowners.as_ref().and_then(|c| c.owners_of(rel)) {
            return Some((owners, Origin::Codeowners));
        }
        self.default
            .as_ref()
            .map(|o| (o.clone(), Origin::SiteDefault))
    }
}

fn read_owners_files(
    project: &Project,
    assets: &[Entry],
    errors: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut owners = BTreeMap::new();
    for a in assets
        .iter()
        .filter(|a| a.rel.rsplit('/').next() == Some("OWNERS"))
    {
        let Ok(text) = std::fs::read_to_string(&a.abs) else {
            continue;
        };
        match yaml::parse_mapping(&text) {
            Ok(map) => {
                let approvers = map
                    .iter()
                    .find(|(k, _)| k.value.as_scalar_text().as_deref() == Some("approvers"));
                if let Some((
                    _,
                    yaml::Node {
                        value: yaml::Value::Seq(items),
                        ..
                    },
                )) = approvers
                {
                    let names: Vec<String> = items
                        .iter()
                        .filter_map(|n| n.value.as_scalar_text())
                        .collect();
                    if !names.is_empty() {
                        owners.insert(
                            crate::site::parent_dir(&a.rel).to_string(),
                            names.join(", "),
                        );
                    }
                }
            }
            Err(err) => errors.push(format!(
                "{}: OWNERS file is not valid YAML: {}",
                project.display_path(&a.rel),
                err.message
            )),
        }
    }
    owners
}

/// The root of the git work tree holding `dir` (the nearest folder above it with a `.git`),
/// else `dir` itself.
pub fn repository_root(dir: &Path) -> PathBuf {
    let dir = crate::output::absolute(dir);
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map_or(dir.clone(), Path::to_path_buf)
}

fn read_codeowners(project: &Project) -> Option<Codeowners> {
    let repo = repository_root(&project.root);
    let text = CODEOWNERS_PLACES
        .iter()
        .find_map(|place| std::fs::read_to_string(repo.join(place)).ok())?;
    let content = crate::output::absolute(&project.content_dir);
    let prefix = content
        .strip_prefix(&repo)
        .map(crate::diagnostics::display_path)
        .unwrap_or_default();
    let content_prefix = if prefix.is_empty() {
        prefix
    } else {
        format!("{prefix}/")
    };
    Some(parse_codeowners(&text, content_prefix))
}

/// CODEOWNERS as GitHub and GitLab read it: `pattern owner…` lines (gitignore-style patterns,
/// `#` comments), the last matching line wins; GitLab's `[Section]` and optional `^[Section]`
/// headers (optionally with default owners) start sections, each with its own last match.
fn parse_codeowners(text: &str, content_prefix: String) -> Codeowners {
    let mut rules = Vec::new();
    let mut optional = vec![false];
    let mut section_names: Vec<String> = vec![String::new()];
    let mut section_defaults: Vec<Vec<String>> = vec![Vec::new()];
    let mut section = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (is_optional, header) = match line.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        if let Some(rest) = header.strip_prefix('[')
            && let Some(close) = rest.find(']')
        {
            let name = rest[..close].trim().to_lowercase();
            // `[Section][2] @owner`: an approval count, then default owners.
            let mut after = &rest[close + 1..];
            if let Some(count) = after.strip_prefix('[') {
                after = count.split_once(']').map_or("", |(_, a)| a);
            }
            let defaults = owners_in(after);
            section = match section_names.iter().position(|n| *n == name) {
                Some(i) => i,
                None => {
                    section_names.push(name);
                    optional.push(is_optional);
                    section_defaults.push(Vec::new());
                    section_names.len() - 1
                }
            };
            if !defaults.is_empty() {
                section_defaults[section] = defaults;
            }
            continue;
        }
        // A pattern ends at the first unescaped whitespace.
        let mut end = line.len();
        let mut escaped = false;
        for (i, c) in line.char_indices() {
            if c.is_whitespace() && !escaped {
                end = i;
                break;
            }
            escaped = c == '\\' && !escaped;
        }
        let pattern = line[..end].replace("\\ ", " ").replace("\\#", "#");
        let mut owners = owners_in(&line[end..]);
        if owners.is_empty() {
            owners = section_defaults[section].clone();
        }
        // `*` stays within a folder, as in gitignore; a pattern that is no glob matches nothing.
        let matchers = globs_of(&pattern)
            .iter()
            .filter_map(|g| {
                GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()
                    .ok()
                    .map(|g| g.compile_matcher())
            })
            .collect();
        rules.push(CodeownersRule {
            matchers,
            owners,
            section,
        });
    }
    Codeowners {
        content_prefix,
        rules,
        optional,
    }
}

/// The owners on a CODEOWNERS line after its pattern: `@user`, `@org/team`, `name@example.com`.
fn owners_in(rest: &str) -> Vec<String> {
    rest.split('#')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .filter(|w| w.contains('@'))
        .map(str::to_string)
        .collect()
}

/// A gitignore-style pattern as globs over repository paths: one with a `/` before its end is
/// anchored at the root, one without matches at any depth; a trailing `/` matches a folder's
/// contents only, otherwise a file or a folder.
fn globs_of(pattern: &str) -> Vec<String> {
    let dir_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.starts_with('/') || trimmed.contains('/');
    let bare = trimmed.trim_start_matches('/');
    if bare.is_empty() {
        return vec!["**".into()];
    }
    let base = if anchored || bare.starts_with("**") {
        bare.to_string()
    } else {
        format!("**/{bare}")
    };
    if dir_only {
        vec![format!("{base}/**")]
    } else {
        vec![base.clone(), format!("{base}/**")]
    }
}

impl Codeowners {
    /// The owners of content path `rel`: the last matching line of each section; the
    /// required sections' owners together, else the optional ones'.
    fn owners_of(&self, rel: &str) -> Option<String> {
        let path = format!("{}{rel}", self.content_prefix);
        let mut last: Vec<Option<&CodeownersRule>> = vec![None; self.optional.len()];
        for rule in &self.rules {
            if rule.matchers.iter().any(|m| m.is_match(&path)) {
                last[rule.section] = Some(rule);
            }
        }
        let pick = |optional: bool| -> Vec<&str> {
            let mut out: Vec<&str> = Vec::new();
            for (i, rule) in last.iter().enumerate() {
                if self.optional[i] != optional {
                    continue;
                }
                for o in rule.iter().flat_map(|r| &r.owners) {
                    if !out.contains(&o.as_str()) {
                        out.push(o);
                    }
                }
            }
            out
        };
        let required = pick(false);
        let owners = if required.is_empty() {
            pick(true)
        } else {
            required
        };
        (!owners.is_empty()).then(|| owners.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(text: &str, path: &str) -> Option<String> {
        parse_codeowners(text, String::new()).owners_of(path)
    }

    #[test]
    fn the_last_matching_line_wins() {
        let text = "# Owners\n* @acme/platform\n*.md @acme/docs\n/runbooks/db/ @acme/dba @ana\nrunbooks/net/*.md @acme/net\nlegacy/ \n";
        assert_eq!(owner(text, "README.md").as_deref(), Some("@acme/docs"));
        assert_eq!(owner(text, "main.rs").as_deref(), Some("@acme/platform"));
        assert_eq!(
            owner(text, "runbooks/db/failover.md").as_deref(),
            Some("@acme/dba, @ana")
        );
        assert_eq!(
            owner(text, "runbooks/net/dns.md").as_deref(),
            Some("@acme/net")
        );
        // `runbooks/net/*.md` is anchored and does not reach below net/.
        assert_eq!(
            owner(text, "runbooks/net/deep/x.md").as_deref(),
            Some("@acme/docs")
        );
        // A line without owners leaves what it matches unowned.
        assert_eq!(owner(text, "a/legacy/x.md"), None);
    }

    #[test]
    fn gitlab_sections_each_have_their_last_match() {
        let text = "[Docs] @acme/docs\n*.md\n\n[Database]\ndb/ @acme/dba\n\n^[Optional]\n* @acme/reviewers\n";
        assert_eq!(
            owner(text, "db/failover.md").as_deref(),
            Some("@acme/docs, @acme/dba")
        );
        assert_eq!(owner(text, "net/dns.md").as_deref(), Some("@acme/docs"));
        // Only an optional section matches: its owners.
        assert_eq!(owner(text, "src/x.rs").as_deref(), Some("@acme/reviewers"));
    }

    #[test]
    fn repository_paths_include_the_content_folder() {
        let c = parse_codeowners("/docs/runbooks/ @acme/sre\n", "docs/runbooks/".into());
        assert_eq!(c.owners_of("db/x.md").as_deref(), Some("@acme/sre"));
    }
}
