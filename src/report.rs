//! Reports of `opsbook check` for machines and CI: JSON (a contract: see SPEC), SARIF 2.1.0 for
//! code scanning, GitHub workflow commands, JUnit XML for CI test views, GitLab Code Quality,
//! and a Markdown summary for people (a job summary or a review comment); plus baselines.

use crate::diagnostics::{Level, Located, Rule};
use crate::site::Site;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
    /// GitLab Code Quality (the `codequality` report of a job).
    Gitlab,
    /// A summary for people: totals, findings by rule and by owner, the first findings.
    Markdown,
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
    /// The last commit that changed the text, when the git history was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_change: Option<LastChange<'a>>,
    complete: bool,
}

#[derive(Serialize)]
struct LastChange<'a> {
    date: String,
    author: &'a str,
    commit: &'a str,
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
                last_change: site
                    .history
                    .as_ref()
                    .and_then(|h| h.last_change(site.source_path(&rb.document)))
                    .map(|c| LastChange {
                        date: c.date.to_string(),
                        author: &c.author,
                        commit: &c.id,
                    }),
                complete: rb.complete,
            })
            .collect(),
        diagnostics: located.iter().map(entry).collect(),
    };
    serde_json::to_string_pretty(&report).expect("report serializes") + "\n"
}

pub fn sarif(located: &[Located], prefix: &str) -> String {
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
                        "artifactLocation": {"uri": format!("{prefix}{}", d.path), "uriBaseId": "%SRCROOT%"},
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
pub fn github(located: &[Located], prefix: &str) -> String {
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
            escape_property(&format!("{prefix}{}", d.path)),
            d.line,
            d.column,
            escape_property(d.rule),
            escape_data(&message)
        );
    }
    out
}

/// Where the site's root is inside its git work tree (`docs/`), empty at its top or outside
/// one: CI systems place findings by their path from the repository's root.
pub fn repository_prefix(root: &Path) -> String {
    let root = crate::output::absolute(root);
    let repo = crate::owners::repository_root(&root);
    match root
        .strip_prefix(&repo)
        .map(crate::diagnostics::display_path)
    {
        Ok(rel) if !rel.is_empty() => format!("{rel}/"),
        _ => String::new(),
    }
}

/// GitLab Code Quality: a JSON array of findings. A finding's fingerprint is its rule, path and
/// message, numbered when one file has the same twice, never its line: editing elsewhere in a
/// file does not make it new to the merge request widget.
pub fn gitlab(located: &[Located], prefix: &str) -> String {
    #[derive(Serialize)]
    struct Lines {
        begin: usize,
    }
    #[derive(Serialize)]
    struct Location {
        path: String,
        lines: Lines,
    }
    #[derive(Serialize)]
    struct Issue<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        description: String,
        check_name: &'a str,
        fingerprint: String,
        severity: &'static str,
        categories: [&'static str; 1],
        location: Location,
    }
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let issues: Vec<Issue> = located
        .iter()
        .map(|d| {
            let n = seen.entry((d.rule, &d.path, &d.message)).or_insert(0);
            *n += 1;
            let path = format!("{prefix}{}", d.path);
            let key = format!("{}\0{path}\0{}\0{n}", d.rule, d.message);
            Issue {
                kind: "issue",
                description: match &d.help {
                    Some(h) => format!("{} (help: {h})", d.message),
                    None => d.message.clone(),
                },
                check_name: d.rule,
                fingerprint: fingerprint(&key),
                severity: match d.level {
                    Level::Error => "major",
                    Level::Warning => "minor",
                },
                categories: ["Style"],
                location: Location {
                    path,
                    lines: Lines { begin: d.line },
                },
            }
        })
        .collect();
    serde_json::to_string_pretty(&issues).expect("report serializes") + "\n"
}

/// 128 bits of FNV-1a (two 64-bit passes with different offsets) as hex: stable across opsbook
/// versions and platforms, which a `Hasher` is not promised to be.
pub(crate) fn fingerprint(key: &str) -> String {
    let pass = |offset: u64| {
        key.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        pass(0xcbf2_9ce4_8422_2325),
        pass(0x6c62_272e_07bb_0142)
    )
}

/// The smallest `--max-bytes` a summary can keep its totals and tables in.
pub const MIN_SUMMARY_BYTES: usize = 2048;

/// Text for a Markdown table cell or list item: no line breaks, and nothing a runbook's text
/// could turn into markup (HTML, links, emphasis, a cell break).
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '[' | ']' | '*' | '_' | '\\' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A summary for people, in GitHub-flavoured Markdown: totals and completeness, findings by
/// rule and by owner, then findings one per line, linked to `[site] repo_url` when set, until
/// `max_bytes` would be passed ("… and 240 more"). GitHub takes 1 MiB per job summary and
/// 65,536 characters per comment; the summary never passes `max_bytes` (at least
/// `MIN_SUMMARY_BYTES`).
pub fn markdown(site: &Site, located: &[Located], max_bytes: usize, prefix: &str) -> String {
    let counts = crate::diagnostics::count(located);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let runbooks = site.runbooks.len();
    let complete = site.runbooks.iter().filter(|r| r.complete).count();
    let mut out = String::new();
    let verdict = if counts.errors > 0 {
        "❌"
    } else if counts.warnings > 0 {
        "⚠️"
    } else {
        "✅"
    };
    let _ = writeln!(
        out,
        "## {verdict} opsbook check: {}, {}\n",
        plural(counts.errors, "error"),
        plural(counts.warnings, "warning")
    );
    let percent = if runbooks == 0 {
        0.0
    } else {
        complete as f64 * 100.0 / runbooks as f64
    };
    let _ = writeln!(
        out,
        "{} checked: {complete} complete ({percent:.0}%).\n",
        plural(runbooks, "runbook")
    );

    // By rule, most errors first.
    let mut by_rule: Vec<(&str, usize, usize)> = Vec::new();
    for d in located {
        let at = match by_rule.iter().position(|r| r.0 == d.rule) {
            Some(i) => i,
            None => {
                by_rule.push((d.rule, 0, 0));
                by_rule.len() - 1
            }
        };
        match d.level {
            Level::Error => by_rule[at].1 += 1,
            Level::Warning => by_rule[at].2 += 1,
        }
    }
    by_rule.sort_by(|a, b| (b.1, b.2).cmp(&(a.1, a.2)).then(a.0.cmp(b.0)));
    if !by_rule.is_empty() {
        out.push_str("| Rule | Errors | Warnings |\n|:--|--:|--:|\n");
        for (rule, e, w) in &by_rule {
            let _ = writeln!(out, "| `{rule}` | {e} | {w} |");
        }
        out.push('\n');
    }

    // By owner: whose runbooks have findings, most errors first; the top owners only.
    let owner_of: HashMap<&str, &str> = site
        .runbooks
        .iter()
        .map(|rb| {
            (
                site.source_path(&rb.document),
                rb.meta.owner.as_ref().map_or("", |o| o.value.as_str()),
            )
        })
        .collect();
    let mut by_owner: HashMap<&str, (usize, usize, std::collections::HashSet<&str>)> =
        HashMap::new();
    for d in located {
        let Some(&owner) = owner_of.get(d.path.as_str()) else {
            continue;
        };
        let entry = by_owner.entry(owner).or_default();
        match d.level {
            Level::Error => entry.0 += 1,
            Level::Warning => entry.1 += 1,
        }
        entry.2.insert(&d.path);
    }
    let mut owners: Vec<(&str, usize, usize, usize)> = by_owner
        .into_iter()
        .map(|(o, (e, w, files))| (o, files.len(), e, w))
        .collect();
    owners.sort_by(|a, b| (b.2, b.3, b.1).cmp(&(a.2, a.3, a.1)).then(a.0.cmp(b.0)));
    const OWNER_ROWS: usize = 20;
    if !owners.is_empty() {
        out.push_str("| Owner | Runbooks with findings | Errors | Warnings |\n|:--|--:|--:|--:|\n");
        for (owner, files, e, w) in owners.iter().take(OWNER_ROWS) {
            let name = if owner.is_empty() {
                "(no owner)".to_string()
            } else {
                md(owner)
            };
            let _ = writeln!(out, "| {name} | {files} | {e} | {w} |");
        }
        if owners.len() > OWNER_ROWS {
            let _ = writeln!(out, "\n… and {} more owners.", owners.len() - OWNER_ROWS);
        }
        out.push('\n');
    }

    // The findings, errors first, as many as fit.
    let link_base = site
        .project
        .config
        .site
        .repo_url
        .as_ref()
        .map(|u| format!("{}/", u.trim_end_matches('/')));
    let mut order: Vec<&Located> = located.iter().collect();
    order.sort_by_key(|d| d.level != Level::Error);
    let footer_room = 160;
    let mut shown = 0;
    if !order.is_empty() {
        out.push_str("### Findings\n\n");
    }
    for d in &order {
        let path = format!("{prefix}{}", d.path);
        let place = match &link_base {
            Some(base) => format!(
                "[{}:{}]({base}{}#L{})",
                md(&path),
                d.line,
                crate::text::encode_path(&path),
                d.line
            ),
            None => format!("`{path}:{}`", d.line),
        };
        let icon = match d.level {
            Level::Error => "❌",
            Level::Warning => "⚠️",
        };
        let line = format!("- {icon} {place} `{}`: {}\n", d.rule, md(&d.message));
        if out.len() + line.len() + footer_room > max_bytes {
            break;
        }
        out.push_str(&line);
        shown += 1;
    }
    if shown < order.len() {
        let _ = writeln!(
            out,
            "\n… and {} more: run `opsbook check` for all of them.",
            order.len() - shown
        );
    }
    // Totals and tables of a huge report could pass the limit themselves: cut at a line.
    if out.len() > max_bytes {
        let mut cut = out[..max_bytes.saturating_sub(40)].rfind('\n').unwrap_or(0);
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n\n… (summary cut at --max-bytes)\n");
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
