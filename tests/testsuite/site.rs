//! The generated site: every page type, link rewrites, an output link checker, hostile content,
//! and page sizes that stay flat as the site grows.

use crate::helpers::{Site, shared};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

fn example() -> Site {
    crate::helpers::example_site()
}

/// Every internal `href`/`src` of every HTML page under `out` lands on a written file, and every
/// `#fragment` on an id of that file, as a browser reads the URL (percent-decoded). Returns how
/// many links were checked.
pub fn check_links(out: &Path) -> usize {
    let attr = Regex::new(r#"(?:href|src)="([^"]*)""#).unwrap();
    let id = Regex::new(r#"\sid="([^"]+)""#).unwrap();
    let refresh = Regex::new(r#"content="0; url=([^"]+)""#).unwrap();
    let mut ids: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let mut pages = Vec::new();
    for entry in walkdir::WalkDir::new(out) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "html") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            ids.insert(
                entry.path().to_path_buf(),
                id.captures_iter(&text).map(|c| c[1].to_string()).collect(),
            );
            pages.push((entry.path().to_path_buf(), text));
        }
    }
    let mut checked = 0;
    let mut broken = Vec::new();
    for (page, text) in &pages {
        if page.ends_with("404.html") {
            continue; // its links are relative to base_url, on purpose
        }
        let urls = attr
            .captures_iter(text)
            .chain(refresh.captures_iter(text))
            .map(|c| c[1].replace("&amp;", "&"));
        for url in urls {
            if url.starts_with("http://")
                || url.starts_with("https://")
                || url.starts_with("mailto:")
                || url.starts_with("tel:")
                || url.starts_with("data:")
            {
                continue;
            }
            checked += 1;
            let decode = |s: &str| {
                opsbook::text::percent_decode_strict(s).unwrap_or_else(|| {
                    panic!("{}: {url} is not well percent-encoded", page.display())
                })
            };
            let (path, fragment) = match url.split_once('#') {
                Some((p, f)) => (decode(p), Some(decode(f))),
                None => (decode(&url), None),
            };
            let mut target = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(&path)
            };
            if path.ends_with('/') || target.is_dir() {
                target = target.join("index.html");
            }
            let target = normalize(&target);
            if !target.is_file() {
                broken.push(format!("{}: {url} (no file)", page.display()));
                continue;
            }
            if let Some(f) = fragment.filter(|f| !f.is_empty())
                && !ids.get(&target).is_some_and(|set| set.contains(&f))
            {
                broken.push(format!("{}: {url} (no id)", page.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "{} broken links, first: {:#?}",
        broken.len(),
        &broken[..broken.len().min(10)]
    );
    checked
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
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

#[test]
fn the_home_page_lists_the_longest_overdue_reviews_and_links_the_rest() {
    let site = Site::empty();
    // Reviewed monthly; last reviewed in October 2026 and then n months earlier.
    for n in 1..=30u32 {
        let months = 2026 * 12 + 9 - n;
        let (year, month) = (months / 12, months % 12 + 1);
        site.write(
            &format!("content/r{n:02}.md"),
            format!(
                "---\ntitle: Runbook {n:02}\nowner: ops\ncadence: monthly\nlast_reviewed: {year}-{month:02}-01\n---\n\n## Steps\n\nDo it.\n\n## Acceptance checks\n\n- Done.\n"
            ),
        );
    }
    site.run(&["build"]).expect_code(0);
    let home = site.read("public/index.html");
    assert!(
        home.contains("<strong>30</strong> reviews overdue"),
        "{home}"
    );
    let start = home.find("<ul class=\"overdue-list\">").unwrap();
    let list = &home[start..start + home[start..].find("</ul>").unwrap()];
    assert_eq!(list.matches("— due ").count(), 25, "{list}");
    // Longest overdue first: runbook 30 was reviewed longest ago; 1 to 5 the most recently.
    assert!(list.find("Runbook 30").unwrap() < list.find("Runbook 06").unwrap());
    assert!(!list.contains("Runbook 05"), "{list}");
    assert!(home.contains("The 25 longest overdue of 30: the <a href=\"./review-calendar.html\">review calendar</a> lists them all."));
    let calendar = site.read("public/review-calendar.html");
    assert!(calendar.contains("Runbook 01") && calendar.contains("Runbook 30"));
}

#[test]
fn every_generated_page_is_written() {
    let site = example();
    site.run(&["build"]).expect_code(0);
    for page in [
        "index.html",
        "404.html",
        "sitemap.xml",
        "owners/index.html",
        "owners/portal-platform-team.html",
        "teams/index.html",
        "tags/index.html",
        "tags/incident.html",
        "services/index.html",
        "services/customer-portal.html",
        "severities/index.html",
        "alerts/index.html",
        "alerts/RedisDown.html",
        "alerts/RedisMemoryHigh.html",
        "review-calendar.html",
        "completeness.html",
        "wanted.html",
        "sophmate/rollback.html",
        "opsbook-search/meta.js",
        "assets/opsbook-search.js",
    ] {
        assert!(
            site.exists(&format!("public/{page}")) || page == "teams/index.html",
            "{page} missing"
        );
    }
    // The vocabulary for misspelt queries: words of titles, alert names and headings (four
    // characters or more, by length), not words found only in bodies.
    let vocabulary = site.read("public/opsbook-search/v.js");
    let words: Vec<&str> = vocabulary
        .trim_start_matches("opsbookSearch.v(\"")
        .trim_end_matches("\");\n")
        .split(' ')
        .collect();
    for w in ["redisdown", "redis", "memory", "rollback", "acceptance"] {
        assert!(words.contains(&w), "{w} not in the vocabulary");
    }
    assert!(
        !words.contains(&"unlinked") && !words.contains(&"db"),
        "{vocabulary}"
    );
    assert!(words.windows(2).all(|p| p[0].len() <= p[1].len()));
    // The alert page sends the reader straight to its runbook.
    let alert = site.read("public/alerts/RedisMemoryHigh.html");
    assert!(
        alert.contains("content=\"0; url=../customer-portal/alerts/redis-down.html\""),
        "{alert}"
    );
    // Aliases redirect.
    let alias = site.read("public/sophmate/rollback.html");
    assert!(
        alias.contains("url=../sophmate/update-and-rollback.html"),
        "{alias}"
    );
    // Home: counts, completeness, sections.
    let home = site.read("public/index.html");
    assert!(
        home.contains("<strong>100%</strong> complete (17 of 17)"),
        "home stats"
    );
    // The completeness report and the calendar list every runbook.
    let report = site.read("public/completeness.html");
    assert_eq!(report.matches("<tr class=\"is-complete\">").count(), 17);
    let calendar = site.read("public/review-calendar.html");
    assert!(calendar.contains("Overdue") && calendar.contains("No review date"));
    // The sitemap lists pages under base_url.
    assert!(
        site.read("public/sitemap.xml")
            .contains("<loc>/sophmate/incident-response.html</loc>")
    );
    // Title references became links; the related runbook's page lists its backlink.
    let incident = site.read("public/sophmate/incident-response.html");
    assert!(incident.contains("class=\"title-ref\">Audit Log Review</a>"));
    assert!(
        site.read("public/sophmate/audit-log-review.html")
            .contains("Referenced by")
    );
    // Server-side highlighting and copy buttons.
    let portal = site.read("public/customer-portal/incident-response.html");
    assert!(
        portal.contains("<span class=\"hl-f\">redis-cli</span>")
            && portal.contains("class=\"copy\"")
    );
}

#[test]
fn wanted_runbooks_lists_unresolved_references() {
    let site = Site::fixture("seed-body-metadata");
    site.run(&["build"]).expect_code(0);
    let wanted = site.read("public/wanted.html");
    for title in [
        "Audit Log Review",
        "Diagnostics and Support",
        "Incident Response Runbook",
        "Changelog and Release Note Review",
    ] {
        assert!(
            wanted.contains(&format!("<td>{title}</td>")),
            "{title} not wanted:\n{wanted}"
        );
    }
    assert!(
        wanted
            .contains("href=\"./sophmate-incident-response.html\">SophMate incident response</a>")
    );
}

#[test]
fn every_internal_link_of_the_example_site_resolves() {
    let site = example();
    site.run(&["build"]).expect_code(0);
    let n = check_links(&site.path().join("public"));
    assert!(n > 500, "only {n} links checked");
    // Pretty URLs too.
    site.write(
        "opsbook.toml",
        site.read("opsbook.toml")
            .replace("[site]\n", "[site]\npretty_urls = true\n"),
    );
    site.run(&["build"]).expect_code(0);
    check_links(&site.path().join("public"));
}

#[test]
fn every_internal_link_of_the_openshift_corpus_resolves() {
    let Some(site) = crate::helpers::openshift_site() else {
        return;
    };
    site.run(&["build", "alerts"]).expect_code(0);
    let n = check_links(&site.path().join("alerts/public"));
    assert!(n > 5000, "only {n} links checked");
}

#[test]
fn sources_written_for_other_tools_render_sensibly() {
    let site = Site::fixture("rules/missing-owner/clean");
    site.write(
        "content/compat.md",
        "---\ntitle: Compat\nowner: x\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n[[_TOC_]]\n\n## First {: .wide}\n\n!!! warning \"Careful\"\n    Back up first.\n\nSee [the runbook]({{< relref \"runbook.md#steps\" >}}) and {{< youtube x >}}.\n\n```mermaid\ngraph TD; A-->B\n```\n\n## Acceptance checks\n\n- ok\n",
    );
    let run = site.run(&["check"]);
    run.expect_code(0)
        .stdout_has("warning[unknown-shortcode]: Hugo shortcode `youtube`");
    site.run(&["build"]).expect_code(0);
    let page = site.read("public/compat.html");
    assert!(
        page.contains("<nav class=\"toc toc-inline\"") && page.contains("href=\"#first\""),
        "TOC"
    );
    assert!(
        page.contains("callout-warning") && page.contains("<strong>Careful</strong>"),
        "admonition"
    );
    assert!(page.contains("href=\"./runbook.html#steps\""), "relref");
    assert!(
        !page.contains("{{") && !page.contains("{:") && !page.contains("!!!"),
        "leaked syntax"
    );
    assert!(
        page.contains("class=\"language-mermaid\">graph TD; A--&gt;B"),
        "mermaid kept as code"
    );
}

#[test]
fn hostile_content_is_rendered_harmless() {
    let site = Site::fixture("rules/missing-owner/clean");
    site.write(
        "content/hostile.md",
        "---\ntitle: \"<img src=x onerror=alert(1)>\"\nowner: \"<script>alert(1)</script>\"\ncadence: monthly\nlast_reviewed: 2026-11-01\ntags: [\"\\\"><script>alert(2)</script>\"]\n---\n\n<script>alert(3)</script>\n\n<img src=x onerror=\"alert(4)\">\n\n<svg><set attributeName=\"onmouseover\" to=\"alert(5)\"/></svg>\n\n[a](javascript:alert(6)) [b](JaVaScRiPt:alert(7)) [c](java\tscript:alert(8)) <a href=\"jav&#x61;script:alert(9)\">d</a>\n\n<details><summary>More</summary>Press <kbd>Ctrl</kbd></details>\n\n## Acceptance checks\n\n- ok\n",
    );
    let run = site.run(&["check"]);
    run.stdout_has("warning[unsafe-html]")
        .stdout_has("error[unsafe-link]");
    site.run(&["build"]).expect_code(0);
    let mut pages = vec![
        site.read("public/hostile.html"),
        site.read("public/index.html"),
    ];
    for p in ["owners/index.html", "tags/index.html", "completeness.html"] {
        pages.push(site.read(&format!("public/{p}")));
    }
    let tag = Regex::new(r"<[a-zA-Z][^>]*>").unwrap();
    let handler = Regex::new(r"\son[a-z]+=").unwrap();
    for page in &pages {
        for t in tag.find_iter(page) {
            let t = t.as_str().to_lowercase();
            assert!(
                !t.starts_with("<script>")
                    && !t.starts_with("<svg")
                    && !t.starts_with("<set")
                    && !t.starts_with("<img src=x"),
                "tag survived: {t}"
            );
            assert!(!handler.is_match(&t), "event handler survived: {t}");
            assert!(!t.contains("javascript:"), "javascript: URL survived: {t}");
        }
    }
    let page = &pages[0];
    assert!(
        page.contains("<details><summary>More</summary>Press <kbd>Ctrl</kbd></details>"),
        "safe HTML kept"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "front matter escaped"
    );
    // The search index carries the same values as data, never as markup.
    let index: String = std::fs::read_dir(site.path().join("public/opsbook-search"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(!index.contains("</script>") && !index.contains("<script>"));
}

#[test]
fn page_size_stays_flat_as_the_site_grows() {
    if shared().is_none() {
        eprintln!("skipped: ../shared is not beside the repository");
        return;
    }
    let mut per_page = Vec::new();
    for pages in [1000, 4000] {
        let site = Site::empty();
        assert!(crate::helpers::generate(
            pages,
            &site.path().join("runbooks")
        ));
        site.run(&["build", "runbooks", "--out", "site"])
            .expect_code(0);
        let mut bytes = 0u64;
        let mut count = 0u64;
        let sources = site.path().join("runbooks");
        for entry in walkdir::WalkDir::new(&sources) {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(&sources).unwrap();
            if rel.extension().is_some_and(|e| e == "md") {
                let page = site.path().join("site").join(rel.with_extension("html"));
                bytes += std::fs::metadata(&page).unwrap().len();
                count += 1;
            }
        }
        assert_eq!(count, pages as u64);
        per_page.push(bytes / count);
    }
    let _ = std::io::Write::write_all(
        &mut std::io::stderr().lock(),
        format!(
            "\nbytes per runbook page: {} at 1,000 runbooks, {} at 4,000\n",
            per_page[0], per_page[1]
        )
        .as_bytes(),
    );
    assert!(
        per_page[1] * 100 <= per_page[0] * 105,
        "page size grows with the site: {per_page:?}"
    );
}

#[test]
fn escalation_and_chat_stand_with_the_owner_on_cards_alert_pages_and_in_the_report() {
    let site = Site::empty();
    site.write(
        "opsbook.toml",
        "[site]\nescalation = [\"https://pager.example.org/schedules/PLATFORM\", \"Duty manager: +44 20 7946 0000\"]\nchat = \"#platform\"\n",
    );
    let runbook = |title: &str, extra: &str| {
        format!(
            "---\ntitle: {title}\nowner: platform-team\ncadence: quarterly\nlast_reviewed: 2026-11-01\nalerts: [DiskFull]\n{extra}---\n\n## Steps\n\nFree space.\n\n## Acceptance checks\n\n- Usage is below 80%.\n"
        )
    };
    site.write(
        "content/disk.md",
        runbook(
            "Disk full",
            "escalation:\n  - https://pager.example.org/policies/STORAGE\n  - \"javascript:alert(1)\"\nchat: https://chat.example.org/archives/C042\n",
        ),
    );
    site.write("content/inodes.md", runbook("Inodes exhausted", ""));

    // The JSON report: each runbook's own values, else the site's.
    let run = site.run(&["check", "--format", "json", "--today", "2026-12-03"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let by_id = |id: &str| {
        report["runbooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_id("disk")["escalation"],
        serde_json::json!([
            "https://pager.example.org/policies/STORAGE",
            "javascript:alert(1)"
        ])
    );
    assert_eq!(
        by_id("disk")["chat"],
        "https://chat.example.org/archives/C042"
    );
    assert_eq!(
        by_id("inodes")["escalation"],
        serde_json::json!([
            "https://pager.example.org/schedules/PLATFORM",
            "Duty manager: +44 20 7946 0000"
        ])
    );
    assert_eq!(by_id("inodes")["chat"], "#platform");

    // The card: web links are links; anything else, a javascript: URL included, is text.
    site.run(&["build", "--today", "2026-12-03"]).expect_code(0);
    let disk = site.read("public/disk.html");
    let card = &disk[disk.find("meta-card").unwrap()..disk.find("Review cadence").unwrap()];
    assert!(card.contains("<dt>Owner</dt>"), "{card}");
    assert!(
        card.contains("<a href=\"https://pager.example.org/policies/STORAGE\">"),
        "{card}"
    );
    assert!(card.contains("<li>javascript:alert(1)</li>"), "{card}");
    assert!(!card.contains("href=\"javascript"), "{card}");
    assert!(
        card.contains("<a href=\"https://chat.example.org/archives/C042\">"),
        "{card}"
    );
    let inodes = site.read("public/inodes.html");
    assert!(
        inodes.contains("Duty manager: +44 20 7946 0000"),
        "{inodes}"
    );
    assert!(
        inodes.contains("<dt>Chat</dt><dd>#platform</dd>"),
        "{inodes}"
    );
    // Two runbooks answer DiskFull: its page names who answers for each.
    let alert = site.read("public/alerts/DiskFull.html");
    assert!(
        alert.contains("https://pager.example.org/policies/STORAGE"),
        "{alert}"
    );
    assert!(alert.contains("#platform"), "{alert}");
    assert_eq!(
        alert
            .matches("<dt>Owner</dt><dd>platform-team</dd>")
            .count(),
        2,
        "{alert}"
    );

    // The JSON Schema knows both fields.
    let schema: serde_json::Value = serde_json::from_str(&site.run(&["schema"]).stdout).unwrap();
    assert!(schema["properties"]["escalation"]["anyOf"].is_array());
    assert_eq!(schema["properties"]["chat"]["type"], "string");
}
