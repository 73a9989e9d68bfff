//! `check --alert-rules`: alerting rules and runbooks must point at each other.
//!
//! Reads Prometheus rule files (`groups[].rules[]`, or a PrometheusRule resource's
//! `spec.groups`). An alert's `annotations.runbook_url` that points into this site must land on a
//! page (`broken-runbook-url`); a runbook's `alerts` entry must name a defined alert
//! (`unknown-alert`); an alert with neither a runbook_url nor a runbook naming it is
//! `alert-without-runbook`.

use crate::diagnostics::{Diagnostic, LineIndex, Rule};
use crate::site::{Site, SourceText};
use crate::yaml::{self, Node, Value};
use std::collections::{HashMap, HashSet};

#[derive(Debug)]
struct AlertRule {
    name: String,
    offset: usize,
    runbook_url: Option<(String, usize)>,
}

fn get<'a>(map: &'a [(Node, Node)], key: &str) -> Option<&'a Node> {
    map.iter()
        .find(|(k, _)| k.value.as_scalar_text().as_deref() == Some(key))
        .map(|(_, v)| v)
}

fn as_map(node: &Node) -> Option<&[(Node, Node)]> {
    match &node.value {
        Value::Map(m) => Some(m),
        _ => None,
    }
}

fn as_seq(node: &Node) -> &[Node] {
    match &node.value {
        Value::Seq(s) => s,
        _ => &[],
    }
}

fn alert_rules(root: &[(Node, Node)]) -> Vec<AlertRule> {
    let groups = get(root, "groups").or_else(|| {
        get(root, "spec")
            .and_then(as_map)
            .and_then(|s| get(s, "groups"))
    });
    let mut out = Vec::new();
    for group in groups.map(as_seq).unwrap_or(&[]) {
        let Some(group) = as_map(group) else { continue };
        for rule in get(group, "rules").map(as_seq).unwrap_or(&[]) {
            let Some(rule) = as_map(rule) else { continue };
            let Some(alert) = get(rule, "alert") else {
                continue;
            };
            let Some(name) = alert.value.as_scalar_text() else {
                continue;
            };
            let runbook_url = get(rule, "annotations")
                .and_then(as_map)
                .and_then(|a| get(a, "runbook_url"))
                .and_then(|u| u.value.as_scalar_text().map(|s| (s, u.offset)));
            out.push(AlertRule {
                name,
                offset: alert.offset,
                runbook_url,
            });
        }
    }
    out
}

/// The output file a runbook_url names, when it points into this site.
fn site_path(url: &str, base_url: &str, pretty: bool) -> Option<String> {
    let url = url.split(['#', '?']).next().unwrap_or("");
    let rest = if base_url.contains("://") && url.starts_with(base_url.trim_end_matches('/')) {
        url[base_url.trim_end_matches('/').len()..].to_string()
    } else if !url.contains("://") && !url.is_empty() {
        let base_path = base_url.trim_end_matches('/');
        url.strip_prefix(base_path).unwrap_or(url).to_string()
    } else {
        return None;
    };
    let mut path = rest.trim_start_matches('/').to_string();
    if path.is_empty() || path.ends_with('/') {
        path.push_str("index.html");
    } else if pretty && !path.rsplit('/').next().unwrap_or("").contains('.') {
        path.push_str("/index.html");
    }
    Some(crate::text::percent_decode(&path).into_owned())
}

/// Reads the rule files and adds their findings to the site.
pub fn check(site: &mut Site, files: &[std::path::PathBuf]) {
    let mut defined: HashSet<String> = HashSet::new();
    let mut rules: Vec<(String, AlertRule)> = Vec::new();
    for file in files {
        let shown = file
            .strip_prefix(&site.project.root)
            .map(crate::diagnostics::display_path)
            .unwrap_or_else(|_| crate::diagnostics::display_path(file));
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                site.errors
                    .push(format!("cannot read alert rules {}: {e}", file.display()));
                continue;
            }
        };
        let parsed = yaml::parse_file_mapping(&text);
        let index = LineIndex::new(&text);
        let root = match parsed {
            Ok(r) => r,
            Err(err) => {
                let (line, col) = index.position(&text, err.offset.unwrap_or(0));
                site.errors.push(format!(
                    "{shown}:{line}:{col}: alert rules are not valid YAML: {}",
                    err.message
                ));
                continue;
            }
        };
        let found = alert_rules(&root);
        if found.is_empty() {
            site.errors.push(format!(
                "{shown}: no alerting rules found (expected `groups: [{{name, rules: [{{alert, annotations: {{runbook_url}}}}]}}]`)"
            ));
        }
        site.add_source(SourceText {
            path: shown.clone(),
            text: text.into(),
            index,
            abs: None,
        });
        for rule in found {
            defined.insert(rule.name.clone());
            rules.push((shown.clone(), rule));
        }
    }
    let pretty = site.project.pretty_urls();
    let base_url = site.project.config.site.base_url.clone();
    let mut pages: HashSet<String> = HashSet::new();
    let mut named: HashMap<&str, usize> = HashMap::new();
    for (i, rb) in site.runbooks.iter().enumerate() {
        pages.insert(rb.document.output.clone());
        for a in &rb.meta.alerts {
            named.entry(a.value.as_str()).or_insert(i);
            pages.insert(format!("alerts/{}.html", a.value));
        }
    }
    for s in &site.sections {
        pages.insert(s.output.clone());
    }
    pages.extend(site.pages.alerts.iter().filter_map(|a| a.output.clone()));
    pages.extend(site.pages.redirects.iter().map(|r| r.output.clone()));
    let mut diagnostics = Vec::new();
    for (path, rule) in &rules {
        match &rule.runbook_url {
            Some((url, offset)) => {
                if let Some(target) = site_path(url, &base_url, pretty)
                    && !pages.contains(&target)
                {
                    diagnostics.push(
                        Diagnostic::new(
                            Rule::BrokenRunbookUrl,
                            path,
                            *offset,
                            format!("alert `{}` links to {url}, which is no page of this site", rule.name),
                        )
                        .with_help(format!(
                            "point it at a runbook page, or at alerts/{}.html after adding `alerts: [{}]` to the runbook",
                            rule.name, rule.name
                        )),
                    );
                }
            }
            None if !named.contains_key(rule.name.as_str()) => diagnostics.push(
                Diagnostic::new(
                    Rule::AlertWithoutRunbook,
                    path,
                    rule.offset,
                    format!("alert `{}` has no runbook", rule.name),
                )
                .with_help("add `annotations.runbook_url`, or list the alert under `alerts:` in the runbook that answers it"),
            ),
            None => {}
        }
    }
    for rb in &site.runbooks {
        for a in &rb.meta.alerts {
            if !defined.contains(&a.value) {
                diagnostics.push(
                    Diagnostic::new(
                        Rule::UnknownAlert,
                        site.source_path(&rb.document),
                        a.offset,
                        format!("alert `{}` is not defined in the alerting rules", a.value),
                    )
                    .with_help("fix the name, or remove it if the alert was deleted"),
                );
            }
        }
    }
    site.diagnostics.extend(diagnostics);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_paths() {
        let base = "https://runbooks.acme.internal/ops/";
        assert_eq!(
            site_path(
                "https://runbooks.acme.internal/ops/db/failover.html",
                base,
                false
            )
            .as_deref(),
            Some("db/failover.html")
        );
        assert_eq!(
            site_path(
                "https://runbooks.acme.internal/ops/alerts/X.html#steps",
                base,
                false
            )
            .as_deref(),
            Some("alerts/X.html")
        );
        assert_eq!(
            site_path("https://runbooks.acme.internal/ops/db/failover", base, true).as_deref(),
            Some("db/failover/index.html")
        );
        assert_eq!(
            site_path("https://elsewhere.example/x.html", base, false),
            None
        );
        assert_eq!(
            site_path("/db/failover.html", "/", false).as_deref(),
            Some("db/failover.html")
        );
    }

    #[test]
    fn reads_groups_and_prometheusrule_resources() {
        let text = "spec:\n  groups:\n  - name: g\n    rules:\n    - alert: A\n      annotations:\n        runbook_url: https://x/a.html\n    - record: r\n    - alert: B\n";
        let root = yaml::parse_file_mapping(text).unwrap();
        let rules = alert_rules(&root);
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].runbook_url.as_ref().unwrap().0, "https://x/a.html");
        assert!(rules[1].runbook_url.is_none());
    }
}
