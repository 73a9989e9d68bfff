//! Machine-readable reports of `opsbook check`: JSON (a contract: see SPEC), SARIF 2.1.0 for
//! code scanning, GitHub workflow commands, and JUnit XML for CI test views; plus baselines.

use crate::diagnostics::{Level, Located, Rule};
use crate::site::Site;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
}

#[derive(Serialize)]
struct Summary {
    runbooks: usize,
    complete: usize,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct RunbookEntry<'a> {
    id: &'a str,
    path: &'a str,
    title: &'a str,
    owner: Option<&'a str>,
    /// Where the owner came from: front matter, body, OWNERS file, CODEOWNERS, site default.
    owner_from: Option<&'a str>,
    /// Who to call when the owner does not answer (the runbook's, else the site's).
    escalation: &'a [String],
    chat: Option<&'a str>,
    cadence: Vec<&'a str>,
    last_reviewed: Option<&'a str>,
    next_review: Option<String>,
    complete: bool,
}

#[derive(Serialize, Deserialize)]
struct DiagnosticEntry {
    rule: String,
    level: String,
    path: String,
    line: usize,
    column: usize,
    message: String,
    help: Option<String>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    summary: Summary,
    runbooks: Vec<RunbookEntry<'a>>,
    diagnostics: Vec<DiagnosticEntry>,
}

fn entry(d: &Located) -> DiagnosticEntry {
    DiagnosticEntry {
        rule: d.rule.to_string(),
        level: d.level.to_string(),
        path: d.path.clone(),
        line: d.line,
        column: d.column,
        message: d.message.clone(),
        help: d.help.clone(),
    }
}

pub fn json(site: &Site, located: &[Located]) -> String {
    let counts = crate::diagnostics::count(located);
    let report = JsonReport {
        version: 1,
        summary: Summary {
            runbooks: site.runbooks.len(),
            complete: site.runbooks.iter().filter(|r| r.complete).count(),
            errors: counts.errors,
            warnings: counts.warnings,
        },
        runbooks: site
            .runbooks
            .iter()
            .map(|rb| RunbookEntry {
                id: &rb.id,
                path: site.source_path(&rb.document),
                title: &rb.document.title,
                owner: rb.meta.owner.as_ref().map(|o| o.value.as_str()),
                owner_from: rb.meta.owner.as_ref().map(|o| o.origin.name()),
                escalation: site.project.escalation(&rb.meta),
                chat: site.project.chat(&rb.meta),
                cadence: rb.meta.cadence.entries.iter().map(|e| e.text()).collect(),
                last_reviewed: rb.meta.last_reviewed.as_ref().map(|l| l.value.as_str()),
                next_review: rb.meta.next_review.map(|d| d.to_string()),
                complete: rb.complete,
            })
            .collect(),
        diagnostics: located.iter().map(entry).collect(),
    };
    serde_json::to_string_pretty(&report).expect("report serializes") + "\n"
}

pub fn sarif(located: &[Located]) -> String {
    let rules: Vec<serde_json::Value> = Rule::ALL
        .iter()
        .map(|r| {
            let level = match r.default_setting() {
                crate::diagnostics::Setting::Error => "error",
                crate::diagnostics::Setting::Warning => "warning",
                crate::diagnostics::Setting::Off => "none",
            };
            serde_json::json!({
                "id": r.code(),
                "name": r.code(),
                "shortDescription": {"text": r.description()},
                "fullDescription": {"text": r.description()},
                "defaultConfiguration": {"level": level},
                "help": {"text": format!("opsbook rule {}: {}", r.code(), r.description())},
            })
        })
        .collect();
    let index: HashMap<&str, usize> = Rule::ALL
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code(), i))
        .collect();
    let results: Vec<serde_json::Value> = located
        .iter()
        .map(|d| {
            let text = match &d.help {
                Some(h) => format!("{} ({h})", d.message),
                None => d.message.clone(),
            };
            serde_json::json!({
                "ruleId": d.rule,
                "ruleIndex": index.get(d.rule).copied().unwrap_or(0),
                "level": d.level.to_string(),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": d.path, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": d.line, "startColumn": d.column}
                    }
                }],
                "partialFingerprints": {
                    "opsbook/v1": format!("{}:{}:{}", d.rule, d.path, d.message)
                }
            })
        })
        .collect();
    let report = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "opsbook",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&report).expect("sarif serializes") + "\n"
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands, one per finding.
pub fn github(located: &[Located]) -> String {
    let mut out = String::new();
    for d in located {
        let kind = match d.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let message = match &d.help {
            Some(h) => format!("{}\nhelp: {h}", d.message),
            None => d.message.clone(),
        };
        let _ = writeln!(
            out,
            "::{kind} file={},line={},col={},title={}::{}",
            escape_property(&d.path),
            d.line,
            d.column,
            escape_property(d.rule),
            escape_data(&message)
        );
    }
    out
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test suite per source file, one test case per finding (named with its line so
/// GitLab keeps each), a failure for each error.
pub fn junit(site: &Site, located: &[Located]) -> String {
    let mut by_path: std::collections::BTreeMap<&str, Vec<&Located>> =
        std::collections::BTreeMap::new();
    for rb in &site.runbooks {
        by_path.entry(site.source_path(&rb.document)).or_default();
    }
    for d in located {
        by_path.entry(d.path.as_str()).or_default().push(d);
    }
    let failures = located.iter().filter(|d| d.level == Level::Error).count();
    let tests: usize = by_path.values().map(|v| v.len().max(1)).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"opsbook check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    for (path, findings) in &by_path {
        let f = findings.iter().filter(|d| d.level == Level::Error).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"0\">",
            xml(path),
            findings.len().max(1)
        );
        if findings.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase name=\"opsbook check\" classname=\"{}\"/>",
                xml(path)
            );
        }
        for d in findings {
            let name = format!("{} @{}:{}", d.rule, d.line, d.column);
            let detail = format!(
                "{}:{}:{}: {}[{}]: {}{}",
                d.path,
                d.line,
                d.column,
                d.level,
                d.rule,
                d.message,
                d.help
                    .as_ref()
                    .map(|h| format!("\nhelp: {h}"))
                    .unwrap_or_default()
            );
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\">",
                xml(&name),
                xml(path)
            );
            match d.level {
                Level::Error => {
                    let _ = write!(
                        out,
                        "<failure message=\"{}\" type=\"{}\">{}</failure>",
                        xml(&d.message),
                        xml(d.rule),
                        xml(&detail)
                    );
                }
                Level::Warning => {
                    let _ = write!(out, "<system-out>{}</system-out>", xml(&detail));
                }
            }
            let _ = writeln!(out, "</testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

#[derive(Deserialize)]
struct BaselineFile {
    version: u32,
    diagnostics: Vec<DiagnosticEntry>,
}

/// Findings of an earlier JSON report, matched by rule, path and message (not by line, so
/// editing elsewhere in a file does not resurface old findings).
pub struct Baseline {
    counts: HashMap<(String, String, String), usize>,
}

impl Baseline {
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| {
            format!("is not an opsbook JSON report (make one with `opsbook check --format json --output FILE`): {e}")
        })?;
        if file.version != 1 {
            return Err(format!(
                "is a version {} report; this opsbook reads version 1",
                file.version
            ));
        }
        let mut counts = HashMap::new();
        for d in file.diagnostics {
            *counts.entry((d.rule, d.path, d.message)).or_insert(0) += 1;
        }
        Ok(Baseline { counts })
    }

    /// Removes findings already in the baseline; returns how many were removed.
    pub fn filter(&mut self, located: &mut Vec<Located>) -> usize {
        let before = located.len();
        located.retain(|d| {
            let key = (d.rule.to_string(), d.path.clone(), d.message.clone());
            match self.counts.get_mut(&key) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
        before - located.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn xml_escapes() {
        assert_eq!(
            xml("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
    }
}
