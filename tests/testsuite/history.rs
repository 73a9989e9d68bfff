//! The git history: who changed a runbook and when, and `changed-since-review`, on temporary
//! repositories with dated commits.

use crate::helpers::Site;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn git_at(dir: &Path, who: &str, date: &str, args: &[&str]) -> String {
    crate::helpers::git_as(dir, who, Some(date), args)
}

/// Two runbooks reviewed on 2026-10-01, committed on 2026-09-01.
fn repository() -> Site {
    let site = Site::fixture("rules/broken-anchor/clean");
    git_at(site.path(), "Ann Lee", "2026-09-01", &["init", "-q"]);
    git_at(site.path(), "Ann Lee", "2026-09-01", &["add", "-A"]);
    git_at(
        site.path(),
        "Ann Lee",
        "2026-09-01",
        &["commit", "-qm", "base"],
    );
    site
}

fn commit(site: &Site, who: &str, date: &str, message: &str) {
    git_at(site.path(), who, date, &["add", "-A"]);
    git_at(site.path(), who, date, &["commit", "-qm", message]);
}

fn edit(site: &Site, rel: &str, from: &str, to: &str) {
    let text = site.read(rel);
    assert!(text.contains(from), "{rel} lacks {from:?}");
    site.write(rel, text.replacen(from, to, 1));
}

fn report(site: &Site) -> Value {
    serde_json::from_str(&site.run(&["check", "--format", "json"]).stdout).unwrap()
}

fn last_change(report: &Value, path: &str) -> Option<(String, String)> {
    let rb = report["runbooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path)?;
    let c = rb.get("last_change")?;
    Some((
        c["date"].as_str()?.to_string(),
        c["author"].as_str()?.to_string(),
    ))
}

fn findings(site: &Site, rule: &str) -> Vec<String> {
    report(site)["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == rule)
        .map(|d| {
            format!(
                "{}: {}",
                d["path"].as_str().unwrap(),
                d["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_content_change_after_the_review_is_a_finding_and_cosmetic_ones_are_not() {
    let site = repository();
    assert!(findings(&site, "changed-since-review").is_empty());
    // Whitespace only, and front matter only: not changes of what the runbook says.
    edit(&site, "content/drain.md", "Drain it.", "Drain  it.\n\n");
    commit(&site, "Bob", "2026-10-05", "reflow");
    edit(
        &site,
        "content/drain.md",
        "owner: platform-team",
        "owner: infra-team",
    );
    commit(&site, "Bob", "2026-10-06", "new owner");
    assert!(findings(&site, "changed-since-review").is_empty());
    assert_eq!(
        last_change(&report(&site), "content/drain.md").unwrap(),
        ("2026-10-06".into(), "Bob".into())
    );
    // A change of the steps.
    edit(
        &site,
        "content/runbook.md",
        "Restart the service.",
        "Restart the service and its sidecar.",
    );
    commit(&site, "Cy Park", "2026-11-02", "sidecar");
    let found = findings(&site, "changed-since-review");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("content/runbook.md: changed on 2026-11-02 by Cy Park (commit "),
        "{found:?}"
    );
    assert!(
        found[0].ends_with(") after its last review on 2026-10-01"),
        "{found:?}"
    );
    // The page says so, calmly, above the steps.
    site.run(&["build"]);
    let page = site.read("public/runbook.html");
    assert!(page.contains("<p class=\"review-banner\" role=\"note\">This runbook was changed on 2026-11-02 by Cy Park, after its last review on 2026-10-01: check the steps before relying on them.</p>"), "{page}");
    assert!(!site.read("public/drain.html").contains("review-banner"));
    // The review: last_reviewed moved in the same commit as more edits.
    edit(
        &site,
        "content/runbook.md",
        "last_reviewed: 2026-10-01",
        "last_reviewed: 2026-11-20",
    );
    edit(&site, "content/runbook.md", "one at a time", "one by one");
    commit(&site, "Cy Park", "2026-11-21", "reviewed");
    assert!(findings(&site, "changed-since-review").is_empty());
}

#[test]
fn a_review_trailer_moves_the_review_date_forward() {
    let site = repository();
    edit(
        &site,
        "content/runbook.md",
        "Restart the service.",
        "Restart the service twice.",
    );
    commit(&site, "Cy", "2026-11-02", "twice");
    assert_eq!(findings(&site, "changed-since-review").len(), 1);
    // Reviewed in a commit: its date is the review date.
    edit(&site, "content/runbook.md", "twice.", "twice, then check.");
    git_at(
        site.path(),
        "Dee",
        "2026-11-25",
        &[
            "commit",
            "-qam",
            "Check after restarting",
            "-m",
            "Runbook-reviewed: Dee <dee@example.com>",
        ],
    );
    assert!(findings(&site, "changed-since-review").is_empty());
    // Quarterly from 2026-11-25, not from 2026-10-01.
    let r = report(&site);
    let rb = r["runbooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "content/runbook.md")
        .unwrap();
    assert_eq!(rb["next_review"], "2027-02-25");
    // Reminders count from the review the commit recorded.
    site.run(&["check", "--today", "2027-02-20", "--due-within", "7"]).stdout_has(
        "warning[review-due-soon]: review falls due on 2027-02-25, in 5 days (last reviewed 2026-11-25)",
    );
    // With a date today passes, the overdue review says where the review was recorded.
    let run = site.run(&["check", "--today", "2027-03-10"]);
    run.stdout_has("review was due on 2027-02-25 (last reviewed 2026-11-25 in commit ");
    assert_eq!(
        run.stdout
            .matches("content/runbook.md:1:1: warning[review-overdue]")
            .count(),
        1,
        "{}",
        run.stdout
    );
    site.run(&["build", "--today", "2027-03-10"]);
    assert!(site.read("public/runbook.html").contains("<p class=\"review-banner\" role=\"note\">Review due since 2027-02-25: check the steps before relying on them.</p>"));
    // The front matter's own finding (due 2027-01-01 from 2026-10-01) is replaced.
    assert!(
        !run.stdout
            .contains("content/runbook.md:5:16: warning[review-overdue]"),
        "{}",
        run.stdout
    );
}

#[test]
fn renames_deletions_and_merges_are_followed() {
    let site = repository();
    edit(&site, "content/drain.md", "Drain it.", "Drain it gently.");
    commit(&site, "Bob", "2026-09-10", "gently");
    git_at(
        site.path(),
        "Eve",
        "2026-09-20",
        &["mv", "content/drain.md", "content/drain-node.md"],
    );
    git_at(
        site.path(),
        "Eve",
        "2026-09-20",
        &["commit", "-qm", "rename"],
    );
    edit(
        &site,
        "content/runbook.md",
        "drain.md#steps",
        "drain-node.md#steps",
    );
    commit(&site, "Eve", "2026-09-20", "fix link");
    let r = report(&site);
    // A move is not a change of content: the last change is the edit before it.
    assert_eq!(
        last_change(&r, "content/drain-node.md").unwrap(),
        ("2026-09-10".into(), "Bob".into())
    );

    // Deleted, then written again: the old file's history is not the new one's.
    std::fs::remove_file(site.path().join("content/drain-node.md")).unwrap();
    commit(&site, "Eve", "2026-09-25", "remove");
    site.write("content/drain-node.md", "---\ntitle: Drain a node\nowner: platform-team\ncadence: quarterly\nlast_reviewed: 2026-09-30\n---\n\n## Steps\n\nCordon, then drain.\n\n## Acceptance checks\n\n- No pods.\n");
    commit(&site, "Fay", "2026-09-30", "rewrite");
    assert_eq!(
        last_change(&report(&site), "content/drain-node.md").unwrap(),
        ("2026-09-30".into(), "Fay".into())
    );
    assert!(findings(&site, "changed-since-review").is_empty());

    // A change made on a branch and merged: dated when it was made.
    git_at(
        site.path(),
        "Gus",
        "2026-10-10",
        &["checkout", "-qb", "topic"],
    );
    edit(
        &site,
        "content/drain-node.md",
        "Cordon, then drain.",
        "Cordon, wait, then drain.",
    );
    commit(&site, "Gus", "2026-10-10", "wait");
    git_at(
        site.path(),
        "Gus",
        "2026-10-12",
        &["checkout", "-q", "main"],
    );
    git_at(
        site.path(),
        "Hal",
        "2026-10-15",
        &["merge", "-q", "--no-ff", "-m", "merge topic", "topic"],
    );
    assert_eq!(
        last_change(&report(&site), "content/drain-node.md").unwrap(),
        ("2026-10-10".into(), "Gus".into())
    );
    let found = findings(&site, "changed-since-review");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("changed on 2026-10-10 by Gus"),
        "{found:?}"
    );
}

#[test]
fn no_repository_a_shallow_clone_or_git_off_show_no_dates() {
    // No repository: nothing shown, nothing said.
    let plain = Site::fixture("rules/broken-anchor/clean");
    let run = plain.run(&["check", "--format", "json"]);
    assert!(
        !run.stdout.contains("last_change") && !run.stderr.contains("history"),
        "{}",
        run.stderr
    );

    let site = repository();
    edit(&site, "content/drain.md", "Drain it.", "Drain it gently.");
    commit(&site, "Bob", "2026-11-10", "gently");
    // A shallow clone would date every file at its one commit: said, not shown.
    let shallow = Site::empty();
    let url = format!("file://{}", site.path().display());
    git_at(
        shallow.path(),
        "x",
        "2026-12-01",
        &["clone", "-q", "--depth", "1", &url, "s"],
    );
    let run = Command::new(crate::helpers::binary())
        .args(["check", "s", "--format", "json"])
        .current_dir(shallow.path())
        .env("OPSBOOK_TODAY", crate::helpers::TODAY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        !stdout.contains("last_change") && !stdout.contains("changed-since-review"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&run.stderr)
            .contains("the git history is shallow: change dates are unknown")
    );
    // [site] git = false: not read.
    site.write("opsbook.toml", "[site]\ngit = false\n");
    let run = site.run(&["check", "--format", "json"]);
    assert!(
        !run.stdout.contains("last_change") && !run.stdout.contains("changed-since-review"),
        "{}",
        run.stdout
    );
}

#[test]
fn pages_show_the_last_change() {
    let site = repository();
    edit(&site, "content/drain.md", "Drain it.", "Drain it <gently>.");
    commit(&site, "Bob & Co", "2026-11-10", "gently");
    site.run(&["build"]).expect_code(0);
    let page = site.read("public/drain.html");
    assert!(
        page.contains("<dt>Last changed</dt><dd>2026-11-10 by Bob &amp; Co "),
        "{page}"
    );
    let table = site.read("public/completeness.html");
    assert!(table.contains("<th scope=\"col\">Last changed</th>"));
    assert!(
        table.contains("2026-11-10 <small>Bob &amp; Co</small>"),
        "{table}"
    );
    // Two builds of the same history are byte-identical.
    let first = site.snapshot("public");
    site.run(&["build"]).expect_code(0);
    Site::assert_same_tree(&first, &site.snapshot("public"));
}

/// Review dates as iCalendar feeds owners subscribe to, and runbook data for programs.
#[test]
fn review_feeds_parse_as_icalendar_and_the_api_lists_every_runbook() {
    use icalendar::Component;
    let site = repository();
    site.write(
        "content/drain.md",
        site.read("content/drain.md").replace(
            "title: Drain a node",
            "title: \"Drain a node; carefully, please\"\nteam: SRE Europe",
        ),
    );
    commit(&site, "Bob", "2026-10-05", "title");
    site.write(
        "opsbook.toml",
        "[site]\nbase_url = \"https://runbooks.example.com/ops/\"\n",
    );
    site.run(&["build"]).expect_code(0);
    let text = site.read("public/review-calendar.ics");
    assert!(
        text.lines().all(|l| l.len() <= 76),
        "lines fold at 75 octets"
    );
    assert!(
        text.split("\r\n").all(|l| !l.contains('\n')),
        "CRLF line ends"
    );
    let unfolded = icalendar::parser::unfold(&text);
    let calendar: icalendar::Calendar = icalendar::parser::read_calendar(&unfolded)
        .expect("RFC 5545")
        .into();
    let events: Vec<_> = calendar.events().collect();
    assert_eq!(events.len(), 2);
    for e in &events {
        assert!(
            e.property_value("UID")
                .unwrap()
                .ends_with("@runbooks.example.com")
        );
        assert!(e.property_value("DTSTAMP").unwrap().ends_with("T000000Z"));
        assert!(e.get_start().is_some() && e.get_end().is_some());
    }
    let drain = events
        .iter()
        .find(|e| e.property_value("UID") == Some("review.drain@runbooks.example.com"))
        .unwrap();
    assert_eq!(drain.property_value("DTSTART"), Some("20270101"));
    // Escaped in the file (`\\;`, `\\,`), read back as written.
    assert_eq!(
        drain.property_value("SUMMARY"),
        Some("Review runbook: Drain a node; carefully, please")
    );
    assert!(text.contains("SUMMARY:Review runbook: Drain a node\\; carefully\\, please"));
    assert_eq!(
        drain.property_value("URL"),
        Some("https://runbooks.example.com/ops/drain.html")
    );
    // One per owner, beside the owner's page, which links it; the calendar page links the whole.
    let owner = site.read("public/owners/platform-team.ics");
    assert_eq!(owner.matches("BEGIN:VEVENT").count(), 2);
    assert!(site.read("public/owners/platform-team.html").contains("<a href=\"../owners/platform-team.ics\" type=\"text/calendar\">Subscribe to these review dates</a>"));
    // And one per team, for the runbooks it looks after.
    let team = site.read("public/teams/sre-europe.ics");
    assert_eq!(team.matches("BEGIN:VEVENT").count(), 1);
    assert!(team.contains("UID:review.drain@runbooks.example.com"));
    assert!(team.contains("X-WR-CALNAME:"), "{team}");
    assert!(team.contains("reviews for SRE Europe"), "{team}");
    assert!(site.read("public/teams/sre-europe.html").contains("<a href=\"../teams/sre-europe.ics\" type=\"text/calendar\">Subscribe to these review dates</a>"));
    assert!(
        site.read("public/review-calendar.html")
            .contains("<a href=\"./review-calendar.ics\" type=\"text/calendar\">")
    );
    // For programs: each runbook's review state, last change and findings.
    let api: Value = serde_json::from_str(&site.read("public/api/runbooks.json")).unwrap();
    assert_eq!(api["version"], 1);
    let runbooks = api["runbooks"].as_array().unwrap();
    assert_eq!(runbooks.len(), 2);
    let d = runbooks.iter().find(|r| r["id"] == "drain").unwrap();
    assert_eq!(d["url"], "https://runbooks.example.com/ops/drain.html");
    assert_eq!(d["owner"], "platform-team");
    assert_eq!(d["next_review"], "2027-01-01");
    assert_eq!(d["last_change"]["author"], "Bob");
    assert_eq!(d["complete"], true);
    assert_eq!(d["findings"]["errors"], 0);
    // The same sources give the same bytes.
    let first = site.snapshot("public");
    site.run(&["build"]).expect_code(0);
    Site::assert_same_tree(&first, &site.snapshot("public"));
}

/// `serve` re-reads an edited runbook alone; what the history gave it stays.
#[test]
fn serve_keeps_the_history_of_an_edited_runbook() {
    let site = repository();
    edit(
        &site,
        "content/runbook.md",
        "Restart the service.",
        "Restart the service twice.",
    );
    commit(&site, "Cy", "2026-11-02", "twice");
    let server = crate::serve::Server::start(&site, &[]);
    let banner =
        "This runbook was changed on 2026-11-02 by Cy, after its last review on 2026-10-01";
    server.wait_for("/runbook.html", "the banner", |_, b| b.contains(banner));
    edit(&site, "content/runbook.md", "twice.", "twice, then check.");
    server.wait_for("/runbook.html", "the edit", |_, b| {
        b.contains("twice, then check.")
    });
    assert!(server.body("/runbook.html").contains(banner));
}

/// The report on what earlier builds kept in `.git/opsbook/`, checked against one read afresh
/// (the store moved aside, then put back as it was).
fn report_kept_and_afresh(site: &Site) -> Value {
    let kept = report(site);
    let store = site.path().join(".git/opsbook");
    let aside = site.path().join(".git/opsbook-aside");
    std::fs::rename(&store, &aside).expect("the build kept what it read");
    let afresh = report(site);
    std::fs::remove_dir_all(&store).unwrap();
    std::fs::rename(&aside, &store).unwrap();
    assert_eq!(kept, afresh);
    kept
}

fn last_change_of(r: &Value, path: &str) -> (String, String) {
    last_change(r, path).unwrap_or_else(|| panic!("no last change for {path}"))
}

#[test]
fn a_build_reads_only_new_commits_and_gets_what_a_fresh_read_gets() {
    let site = repository();
    report_kept_and_afresh(&site);
    let store = site.path().join(".git/opsbook");
    let kept: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(kept.iter().any(|n| n.starts_with("log-")), "{kept:?}");

    // Branches whose commits interleave in time, merged.
    git_at(
        site.path(),
        "Gus",
        "2026-10-03",
        &["checkout", "-qb", "topic"],
    );
    edit(&site, "content/drain.md", "Drain it.", "Drain it slowly.");
    commit(&site, "Gus", "2026-10-03", "slowly");
    git_at(
        site.path(),
        "Gus",
        "2026-10-03",
        &["checkout", "-q", "main"],
    );
    edit(
        &site,
        "content/runbook.md",
        "Restart the service.",
        "Restart the service twice.",
    );
    commit(&site, "Bob", "2026-10-02", "twice");
    report_kept_and_afresh(&site);
    edit(&site, "content/runbook.md", "twice.", "twice, then wait.");
    commit(&site, "Bob", "2026-10-06", "wait");
    git_at(
        site.path(),
        "Hal",
        "2026-10-07",
        &["merge", "-q", "--no-ff", "-m", "merge topic", "topic"],
    );
    let r = report_kept_and_afresh(&site);
    assert_eq!(
        last_change_of(&r, "content/drain.md"),
        ("2026-10-03".into(), "Gus".into())
    );
    assert_eq!(
        findings(&site, "changed-since-review").len(),
        2,
        "{:?}",
        findings(&site, "changed-since-review")
    );
    // The comparisons of blobs were kept too.
    assert!(
        std::fs::read_to_string(store.join("edits-1"))
            .unwrap()
            .lines()
            .any(|l| l.ends_with(" content"))
    );

    // A rename, and a review in a trailer.
    git_at(
        site.path(),
        "Eve",
        "2026-10-08",
        &["mv", "content/drain.md", "content/drain-node.md"],
    );
    edit(
        &site,
        "content/runbook.md",
        "drain.md#steps",
        "drain-node.md#steps",
    );
    git_at(
        site.path(),
        "Eve",
        "2026-10-08",
        &["commit", "-qam", "rename", "-m", "Reviewed-by: Eve <e@x>"],
    );
    let r = report_kept_and_afresh(&site);
    assert_eq!(
        last_change_of(&r, "content/drain-node.md"),
        ("2026-10-03".into(), "Gus".into())
    );

    // History rewritten: what was kept for commits no longer in it is not used.
    git_at(
        site.path(),
        "Eve",
        "2026-10-09",
        &["reset", "-q", "--hard", "HEAD~1"],
    );
    let r = report_kept_and_afresh(&site);
    assert!(last_change(&r, "content/drain-node.md").is_none());
    assert_eq!(
        last_change_of(&r, "content/drain.md"),
        ("2026-10-03".into(), "Gus".into())
    );

    // A .mailmap in the work tree renames authors at once.
    site.write(
        ".mailmap",
        "Gus Grant <dev@example.com> Gus <dev@example.com>\n",
    );
    let r = report_kept_and_afresh(&site);
    assert_eq!(
        last_change_of(&r, "content/drain.md"),
        ("2026-10-03".into(), "Gus Grant".into())
    );

    // A store that is not ours to read is read afresh over, never trusted.
    for entry in std::fs::read_dir(&store).unwrap() {
        std::fs::write(entry.unwrap().path(), "not a store\n\u{1}junk\0").unwrap();
    }
    assert_eq!(report(&site), r);
    // Nothing of it is in the work tree.
    assert_eq!(
        crate::helpers::git(site.path(), &["status", "--porcelain", "--ignored"]),
        "?? .mailmap"
    );
}
