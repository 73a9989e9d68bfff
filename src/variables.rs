//! Variables (SPEC "The runbook mid-incident"): the values a runbook's commands need, which the
//! reader types once. A runbook declares them in front matter (`variables:`), a site in
//! opsbook.toml (`[variables]`); `<name>` in code and in link URLs refers to one. This module
//! reads and checks declarations and finds references; the Markdown pass marks the references
//! and the theme's script fills them in.

use crate::diagnostics::{Diagnostic, Rule};
use crate::yaml::{Node, Value};
use serde::Deserialize;
use std::borrow::Cow;

/// One declared variable.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Variable {
    pub name: String,
    pub description: String,
    pub default: Option<String>,
    pub pattern: Option<String>,
    /// Never stored, never read from or put in a URL, fills code only.
    pub secret: bool,
    /// Where the runbook declares it (a byte offset into its file); `None` for the site's.
    #[serde(skip)]
    pub offset: Option<usize>,
}

/// A declaration in opsbook.toml: `cluster = "Kubernetes context"` or a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Declaration {
    Short(String),
    Full(FullDeclaration),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FullDeclaration {
    pub description: String,
    pub default: Option<String>,
    pub pattern: Option<String>,
    pub secret: bool,
}

impl Declaration {
    pub fn into_variable(self, name: &str) -> Variable {
        let full = match self {
            Declaration::Short(description) => FullDeclaration {
                description,
                ..FullDeclaration::default()
            },
            Declaration::Full(full) => full,
        };
        Variable {
            name: name.to_string(),
            description: full.description.trim().to_string(),
            default: full.default,
            pattern: full.pattern,
            secret: full.secret,
            offset: None,
        }
    }
}

const KEYS: &str = "description, default, pattern and secret";

/// Why `name` cannot name a variable: it must be usable as `<name>` and as a URL query key.
pub fn name_problem(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    match chars.next() {
        None => Some("the name is empty"),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            Some("a name starts with a letter or `_`")
        }
        _ if name.len() > 64 => Some("a name is at most 64 characters"),
        _ if !chars.all(is_name_char) => {
            Some("a name holds only letters, digits, `_` and `-` (no spaces or dots)")
        }
        _ => None,
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

const NAME_HELP: &str = "name it like `cluster` or `pod_name`: it is written `<cluster>` in commands and `?cluster=` in links";
const PATTERN_HELP: &str = "write the pattern in the syntax that browsers' (JavaScript) and Rust regular expressions share";

/// What is wrong with a declaration's name, pattern or default, if anything, and what to do.
/// The page checks values with the browser's regular expressions, so a pattern must mean the
/// same there: constructs only one side knows are refused.
pub fn problem(v: &Variable) -> Option<(String, &'static str)> {
    let name = &v.name;
    if let Some(why) = name_problem(name) {
        return Some((
            format!("variable `{name}` has a bad name: {why}"),
            NAME_HELP,
        ));
    }
    let Some(pattern) = &v.pattern else {
        return None;
    };
    const BROWSER_ONLY: [(&str, &str); 8] = [
        ("(?i", "inline flags such as `(?i)`"),
        ("(?m", "inline flags such as `(?m)`"),
        ("(?s", "inline flags such as `(?s)`"),
        ("(?x", "inline flags such as `(?x)`"),
        ("(?P<", "`(?P<name>…)` (write `(?<name>…)`)"),
        ("[[:", "POSIX classes such as `[[:alpha:]]`"),
        ("\\A", "`\\A` (write `^`)"),
        ("\\z", "`\\z` (write `$`)"),
    ];
    if let Some((_, what)) = BROWSER_ONLY.iter().find(|(s, _)| pattern.contains(s)) {
        return Some((
            format!(
                "variable `{name}`: pattern `{pattern}` uses {what}, which browsers do not understand"
            ),
            PATTERN_HELP,
        ));
    }
    if pattern.contains("\\p") || pattern.contains("\\P") {
        return Some((
            format!(
                "variable `{name}`: pattern `{pattern}` uses a Unicode class (`\\p{{…}}`), which the page cannot check"
            ),
            PATTERN_HELP,
        ));
    }
    let re = match regex::Regex::new(pattern) {
        Ok(re) => re,
        Err(e) => {
            let e = e.to_string();
            let why = e
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .trim_start_matches("error: ");
            return Some((
                format!(
                    "variable `{name}`: pattern `{pattern}` is not a regular expression: {why}"
                ),
                PATTERN_HELP,
            ));
        }
    };
    match &v.default {
        Some(d) if !re.is_match(d) => Some((
            format!("variable `{name}`: default `{d}` does not match its pattern `{pattern}`"),
            "change the default to a value the pattern accepts, or widen the pattern",
        )),
        _ => None,
    }
}

/// The variables a runbook's front matter declares (`node` is the value of `variables:`), valid
/// ones only; a declaration that cannot be used is an `invalid-variable` finding, one per
/// variable.
pub fn from_front_matter(node: &Node, path: &str, found: &mut Vec<Diagnostic>) -> Vec<Variable> {
    let entries = match &node.value {
        Value::Map(entries) => entries,
        Value::Null => return Vec::new(),
        other => {
            found.push(
                Diagnostic::new(
                    Rule::InvalidField,
                    path,
                    node.offset,
                    format!(
                        "`variables` must be a mapping of names to descriptions, found {}",
                        other.type_name()
                    ),
                )
                .with_help("write one `name: description` line per variable under `variables:`"),
            );
            return Vec::new();
        }
    };
    let mut out: Vec<Variable> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let name = key.value.scalar_str().unwrap_or_default().into_owned();
        let mut invalid = |offset: usize, message: String, help: &str| {
            found.push(
                Diagnostic::new(Rule::InvalidVariable, path, offset, message).with_help(help),
            );
        };
        let mut v = Variable {
            name,
            offset: Some(key.offset),
            ..Variable::default()
        };
        let shape =
            "write `name: description`, or a mapping with description, default, pattern and secret";
        match &value.value {
            Value::Null => {}
            Value::Map(fields) => {
                let mut bad = None;
                for (k, field) in fields {
                    let k = k.value.scalar_str().unwrap_or_default();
                    let text = field.value.as_scalar_text();
                    match (k.as_ref(), &field.value) {
                        ("secret", Value::Bool(b)) => v.secret = *b,
                        ("description" | "default" | "pattern", Value::Null) => {}
                        ("description", _) if text.is_some() => {
                            v.description = text.unwrap_or_default().trim().to_string()
                        }
                        ("default", _) if text.is_some() => v.default = text,
                        ("pattern", _) if text.is_some() => v.pattern = text,
                        ("description" | "default" | "pattern" | "secret", other) => {
                            let want = if k == "secret" {
                                "true or false"
                            } else {
                                "text"
                            };
                            bad = Some((
                                field.offset,
                                format!(
                                    "variable `{}`: `{k}` must be {want}, found {}",
                                    v.name,
                                    other.type_name()
                                ),
                            ));
                        }
                        _ => {
                            bad = Some((
                                field.offset,
                                format!("variable `{}` has an unknown key `{k}`", v.name),
                            ))
                        }
                    }
                    if bad.is_some() {
                        break;
                    }
                }
                if let Some((offset, message)) = bad {
                    invalid(offset, message, &format!("a variable takes {KEYS}"));
                    continue;
                }
            }
            other => match other.as_scalar_text() {
                Some(d) => v.description = d.trim().to_string(),
                None => {
                    invalid(
                        value.offset,
                        format!(
                            "variable `{}` must be a description or a mapping, found {}",
                            v.name,
                            other.type_name()
                        ),
                        shape,
                    );
                    continue;
                }
            },
        }
        if let Some((message, help)) = problem(&v) {
            invalid(key.offset, message, help);
            continue;
        }
        // A repeated name is a YAML duplicate key, already refused by the parser.
        out.push(v);
    }
    out
}

/// The variables a runbook may refer to: its own declarations first (so their indices stay
/// theirs), then the site's that it does not declare again.
pub fn in_scope<'a>(declared: &'a [Variable], site: &'a [Variable]) -> Cow<'a, [Variable]> {
    if site.is_empty() {
        return Cow::Borrowed(declared);
    }
    if declared.is_empty() {
        return Cow::Borrowed(site);
    }
    let mut all = declared.to_vec();
    all.extend(
        site.iter()
            .filter(|s| !declared.iter().any(|d| d.name == s.name))
            .cloned(),
    );
    Cow::Owned(all)
}

/// `unused-variable` for each of the runbook's own declarations that the page never refers to
/// (`used`: indices into `in_scope`). The site's are for every runbook, and no finding here.
pub fn unused(declared: &[Variable], used: &[usize], path: &str, found: &mut Vec<Diagnostic>) {
    for (i, v) in declared.iter().enumerate() {
        let Some(offset) = v.offset.filter(|_| !used.contains(&i)) else {
            continue;
        };
        found.push(
            Diagnostic::new(
                Rule::UnusedVariable,
                path,
                offset,
                format!("variable `{}` is declared but never used", v.name),
            )
            .with_help(format!(
                "write `<{}>` where its value goes in a code block, inline code or a link's path or query, or remove it",
                v.name
            )),
        );
    }
}

/// Calls `f(range, index)` for every `<name>` in `text` whose name is one of `vars`.
pub fn references(text: &str, vars: &[Variable], mut f: impl FnMut(std::ops::Range<usize>, usize)) {
    // Most pages declare none: nothing to look for.
    if vars.is_empty() {
        return;
    }
    let bytes = text.as_bytes();
    for open in memchr::memchr_iter(b'<', bytes) {
        let rest = &text[open + 1..];
        let len = rest
            .bytes()
            .take_while(|&b| is_name_char(b as char))
            .count();
        if len == 0 || rest.as_bytes().get(len) != Some(&b'>') {
            continue;
        }
        let name = &rest[..len];
        if let Some(i) = vars.iter().position(|v| v.name == name) {
            f(open..open + len + 2, i);
        }
    }
}

/// The same for a link's URL, as written: only http(s) URLs, only after the host (a value never
/// changes where a link goes), and never a secret.
pub fn url_references(dest: &str, vars: &[Variable], mut f: impl FnMut(usize)) {
    if vars.is_empty() {
        return;
    }
    let lower = dest.get(..8).unwrap_or(dest).to_ascii_lowercase();
    let Some(after_scheme) = ["https://", "http://"]
        .iter()
        .find(|s| lower.starts_with(*s))
        .map(|s| s.len())
    else {
        return;
    };
    let path_start = dest[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(dest.len(), |i| after_scheme + i);
    references(&dest[path_start..], vars, |_, i| {
        if !vars[i].secret {
            f(i)
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str) -> Variable {
        Variable {
            name: name.into(),
            ..Variable::default()
        }
    }

    fn front_matter(yaml: &str) -> (Vec<Variable>, Vec<Diagnostic>) {
        let fm = crate::yaml::parse_front_matter(yaml, 0).unwrap();
        let mut found = Vec::new();
        let vars = from_front_matter(&fm[0].1, "a.md", &mut found);
        (vars, found)
    }

    #[test]
    fn names() {
        for good in ["cluster", "pod_name", "pod-name", "_x", "ns2", "A"] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in ["", "2nd", "my cluster", "a.b", "-x", "ä", &"x".repeat(65)] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn declarations_short_and_full() {
        let (vars, found) = front_matter(
            "variables:\n  cluster: Kubernetes context\n  namespace: {description: Namespace, default: monitoring, pattern: \"^[a-z0-9-]{1,63}$\"}\n  api_token: {description: Token, secret: true}\n  bare:\n",
        );
        assert!(found.is_empty(), "{found:?}");
        let names: Vec<_> = vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["cluster", "namespace", "api_token", "bare"]);
        assert_eq!(vars[0].description, "Kubernetes context");
        assert_eq!(vars[1].default.as_deref(), Some("monitoring"));
        assert!(vars[2].secret && !vars[1].secret);
        assert_eq!(vars[0].offset, Some(13));
    }

    #[test]
    fn one_finding_per_bad_variable() {
        let (vars, found) = front_matter(
            "variables:\n  my cluster: x\n  ns: {pattern: \"[a-z\"}\n  zone: {pattern: \"^[a-z]+$\", default: EU1}\n  flags: {pattern: \"(?i)^x$\"}\n  typo: {desc: x, pattern: \"[\"}\n  list: [a, b]\n  ok: fine\n",
        );
        assert_eq!(vars.len(), 1, "{vars:?}");
        assert_eq!(vars[0].name, "ok");
        let messages: Vec<_> = found.iter().map(|d| (d.rule, d.message.as_str())).collect();
        assert_eq!(messages.len(), 6, "{messages:#?}");
        assert!(found.iter().all(|d| d.rule == Rule::InvalidVariable));
        assert!(messages[0].1.contains("bad name"), "{messages:?}");
        assert!(messages[1].1.contains("not a regular expression"));
        assert!(messages[2].1.contains("default `EU1` does not match"));
        assert!(messages[3].1.contains("browsers do not understand"));
        assert!(messages[4].1.contains("unknown key `desc`"));
        assert!(messages[5].1.contains("found a list"));
    }

    #[test]
    fn variables_must_be_a_mapping() {
        let (vars, found) = front_matter("variables: [cluster]\n");
        assert!(vars.is_empty());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, Rule::InvalidField);
    }

    #[test]
    fn references_in_text_and_urls() {
        let vars = [
            var("cluster"),
            var("ns"),
            Variable {
                secret: true,
                ..var("token")
            },
        ];
        let mut seen = Vec::new();
        references(
            "kubectl --context <cluster> -n <ns> <other> <ns <token>",
            &vars,
            |r, i| seen.push((r, i)),
        );
        assert_eq!(seen, [(18..27, 0), (31..35, 1), (48..55, 2)]);
        let urls = |u: &str| {
            let mut v = Vec::new();
            url_references(u, &vars, |i| v.push(i));
            v
        };
        assert_eq!(urls("https://grafana/d/x?var-c=<cluster>&ns=<ns>"), [0, 1]);
        assert_eq!(urls("HTTP://host/<cluster>"), [0]);
        // Never the scheme or host, never a secret, never a relative link.
        assert!(urls("https://<cluster>.example.com").is_empty());
        assert!(urls("https://<cluster>.example.com/x").is_empty());
        assert!(urls("https://h/?t=<token>").is_empty());
        assert!(urls("../x/<cluster>.md").is_empty());
    }
}
