//! Files for other programs: review dates as iCalendar feeds (`review-calendar.ics`, and one per
//! owner beside the owner's page) that owners subscribe to once, and `api/runbooks.json` for
//! reminder bots and portals.
//!
//! Both are made from the sources alone, so two builds of the same sources are byte-identical:
//! an event's `DTSTAMP` is the runbook's review date, not the time of the build.

use crate::diagnostics::Level;
use crate::site::{RunbookPage, Site};
use chrono::NaiveDate;

/// Where the site's review calendar feed goes.
pub const CALENDAR: &str = "review-calendar.ics";
/// Where the runbooks' data for other programs goes.
pub const API: &str = "api/runbooks.json";

/// The feed beside an owner's or a team's page: `owners/platform.html` -> `owners/platform.ics`.
pub fn feed_beside(page: &str) -> String {
    let stem = page
        .strip_suffix("/index.html")
        .or_else(|| page.strip_suffix(".html"))
        .unwrap_or(page);
    format!("{stem}.ics")
}

/// The site's address when `base_url` is absolute (`https://runbooks.example.com/`), for links
/// that leave the site (a calendar event's URL).
fn absolute_base(site: &Site) -> Option<String> {
    let base = site.project.config.site.base_url.trim();
    (base.starts_with("https://") || base.starts_with("http://")).then(|| {
        if base.ends_with('/') {
            base.to_string()
        } else {
            format!("{base}/")
        }
    })
}

/// A runbook's address: absolute under an absolute `base_url`, else from the site's root.
fn address(site: &Site, rb: &RunbookPage) -> String {
    let rel = crate::text::path_url(
        "index.html",
        &rb.document.output,
        site.project.pretty_urls(),
    );
    let rel = rel.trim_start_matches("./");
    match absolute_base(site) {
        Some(base) => format!("{base}{rel}"),
        None => rel.to_string(),
    }
}

/// TEXT as RFC 5545 writes it (3.3.11): backslash, semicolon, comma and newline escaped.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded after 75 octets (RFC 5545 3.1) at a character boundary, CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

fn date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// The review calendar of `runbooks`: every runbook with a next review date, as an all-day
/// event on that date.
pub fn calendar(site: &Site, name: &str, runbooks: &[usize]) -> String {
    let host = absolute_base(site)
        .and_then(|b| {
            b.split("://")
                .nth(1)
                .map(|h| h.split('/').next().unwrap_or("").to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "opsbook".to_string());
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//opsbook//Runbook reviews//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        line(&mut out, l);
    }
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    let mut dated: Vec<(NaiveDate, &str, &RunbookPage)> = runbooks
        .iter()
        .map(|&r| &site.runbooks[r])
        .filter_map(|rb| Some((rb.meta.next_review?, rb.id.as_str(), rb)))
        .collect();
    dated.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (due, id, rb) in dated {
        let url = address(site, rb);
        let reviewed = rb.meta.reviewed_on.map_or(due, |r| r.date);
        let mut about = Vec::new();
        if let Some(o) = &rb.meta.owner {
            about.push(format!("Owner: {}", o.value));
        }
        if !rb.meta.cadence_text.is_empty() {
            about.push(format!("Cadence: {}", rb.meta.cadence_text.join(", ")));
        }
        about.push(format!("Last reviewed: {reviewed}"));
        about.push(url.clone());
        line(&mut out, "BEGIN:VEVENT");
        // One event per runbook: a review moves it, it does not add another.
        let uid: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '.'
                }
            })
            .collect();
        line(&mut out, &format!("UID:review.{uid}@{host}"));
        line(&mut out, &format!("DTSTAMP:{}T000000Z", date(reviewed)));
        line(&mut out, &format!("DTSTART;VALUE=DATE:{}", date(due)));
        line(
            &mut out,
            &format!("DTEND;VALUE=DATE:{}", date(due.succ_opt().unwrap_or(due))),
        );
        line(
            &mut out,
            &format!(
                "SUMMARY:{}",
                text(&format!("Review runbook: {}", rb.document.title))
            ),
        );
        line(
            &mut out,
            &format!("DESCRIPTION:{}", text(&about.join("\n"))),
        );
        if url.starts_with("http") {
            line(&mut out, &format!("URL:{url}"));
        }
        line(&mut out, "CATEGORIES:Runbook review");
        line(&mut out, "TRANSP:TRANSPARENT");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// `api/runbooks.json`: each runbook's review state and completeness, for programs. Versioned
/// like the check report (`version: 1`).
pub fn api(site: &Site, findings: &crate::render::FindingsByPath) -> String {
    #[derive(serde::Serialize)]
    struct Change<'a> {
        date: String,
        author: &'a str,
        commit: &'a str,
    }
    #[derive(serde::Serialize)]
    struct Findings {
        errors: usize,
        warnings: usize,
    }
    #[derive(serde::Serialize)]
    struct Entry<'a> {
        id: &'a str,
        title: &'a str,
        url: String,
        path: &'a str,
        owner: Option<&'a str>,
        owner_from: Option<&'a str>,
        cadence: &'a [String],
        last_reviewed: Option<String>,
        next_review: Option<String>,
        overdue: bool,
        last_change: Option<Change<'a>>,
        complete: bool,
        findings: Findings,
    }
    #[derive(serde::Serialize)]
    struct Api<'a> {
        version: u32,
        today: String,
        runbooks: Vec<Entry<'a>>,
    }
    let mut runbooks: Vec<Entry> = site
        .runbooks
        .iter()
        .map(|rb| {
            let path = site.source_path(&rb.document);
            let mine = findings.get(path).map(Vec::as_slice).unwrap_or_default();
            let errors = mine.iter().filter(|f| f.level == Level::Error).count();
            Entry {
                id: &rb.id,
                title: &rb.document.title,
                url: address(site, rb),
                path,
                owner: rb.meta.owner.as_ref().map(|o| o.value.as_str()),
                owner_from: rb.meta.owner.as_ref().map(|o| o.origin.name()),
                cadence: &rb.meta.cadence_text,
                last_reviewed: rb.meta.reviewed_on.map(|r| r.date.to_string()),
                next_review: rb.meta.next_review.map(|d| d.to_string()),
                overdue: rb.meta.next_review.is_some_and(|d| d < site.today),
                last_change: site
                    .history
                    .as_ref()
                    .and_then(|h| h.last_change(path))
                    .map(|c| Change {
                        date: c.date.to_string(),
                        author: &c.author,
                        commit: &c.id,
                    }),
                complete: rb.complete,
                findings: Findings {
                    errors,
                    warnings: mine.len() - errors,
                },
            }
        })
        .collect();
    runbooks.sort_by(|a, b| a.id.cmp(b.id));
    let mut out = serde_json::to_string_pretty(&Api {
        version: 1,
        today: site.today.to_string(),
        runbooks,
    })
    .expect("api serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "é".repeat(50)));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{}\r\n", "é".repeat(50)));
        assert_eq!(text("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
        assert_eq!(feed_beside("owners/platform.html"), "owners/platform.ics");
        assert_eq!(
            feed_beside("owners/platform/index.html"),
            "owners/platform.ics"
        );
    }
}
