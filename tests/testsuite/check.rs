//! `opsbook check` as a reviewer uses it: the body-metadata style of the seeds, zero-config
//! folders, configuration errors and exit codes.

use crate::helpers::{Site, fixtures};

#[test]
fn seed_with_metadata_in_the_body_counts_as_complete() {
    let site = Site::fixture("seed-body-metadata");
    let run = site.run(&["check"]);
    run.expect_code(0)
        .stdout_has("1 runbook (1 complete): 0 errors");
}

#[test]
fn metadata_hints_point_at_the_line() {
    let site = Site::empty();
    site.write(
        "content/workopti.md",
        "# Incident Response\n\nOwner: Engineering\n\nLast reviewed: 2026-Q2\n",
    );
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("found 'Owner: Engineering' at line 3, move it into front matter");
}

#[test]
fn owner_in_a_table_or_code_block_is_not_metadata() {
    let site = Site::empty();
    site.write(
        "content/a.md",
        "# A\n\n| Action | Owner |\n|---|---|\n| Fix | ops |\n\n```\nOwner: name\n```\n\n## Owner and cadence\n\nNothing here.\n",
    );
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("content/a.md:1:1: error[missing-owner]: runbook has no owner");
}

#[test]
fn zero_config_folder_is_its_own_content() {
    let site = Site::empty();
    site.write("db/failover.md", "---\nowner: dba\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n# Failover\n\n## Acceptance checks\n\n- ok\n");
    site.write(
        "README.md",
        "# Runbooks\n\nSee [failover](db/failover.md).\n",
    );
    site.run(&["check"])
        .expect_code(0)
        .stdout_has("1 runbook (1 complete)");
    site.run(&["build"]).expect_code(0);
    assert!(site.exists("public/db/failover.html"));
    assert!(site.exists("public/index.html"));
    // Discovery never reads its own output back.
    site.run(&["check"])
        .expect_code(0)
        .stdout_has("1 runbook (1 complete)");
    site.run(&["build"]).expect_code(0);
}

#[test]
fn bad_configuration_is_exit_2_with_position() {
    let site = Site::fixture("rules/missing-owner/clean");
    site.write(
        "opsbook.toml",
        "[site]\ntitle = \"Ops\"\noutput_dri = \"out\"\n",
    );
    let run = site.run(&["check"]);
    run.expect_code(2)
        .stderr_has("opsbook.toml:3:1")
        .stderr_has("output_dri");
    site.write("opsbook.toml", "[markdown]\nhighlight = \"yes\"\n");
    site.run(&["check"])
        .expect_code(2)
        .stderr_has("opsbook.toml:2:");
}

#[test]
fn missing_root_is_exit_2() {
    let site = Site::empty();
    site.run(&["check", "does-not-exist"])
        .expect_code(2)
        .stderr_has("does-not-exist");
    site.run(&["check", "--today", "yesterday"]).expect_code(2);
}

#[test]
fn symlinks_out_of_the_root_and_loops_are_findings() {
    let site = Site::fixture("rules/missing-owner/clean");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.md"), "# Secret\n").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            outside.path().join("secret.md"),
            site.path().join("content/leak.md"),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            site.path().join("content"),
            site.path().join("content/loop"),
        )
        .unwrap();
        // Folders are walked each on its own: a link back to the root from below the top
        // folder, and one to its own parent further down, are loops too.
        std::fs::create_dir_all(site.path().join("content/sub/deep")).unwrap();
        std::os::unix::fs::symlink(
            site.path().join("content"),
            site.path().join("content/sub/back"),
        )
        .unwrap();
        std::os::unix::fs::symlink("../../sub", site.path().join("content/sub/deep/up")).unwrap();
        let run = site.run(&["check"]);
        run.expect_code(1)
            .stdout_has("content/leak.md:1:1: error[bad-symlink]")
            .stdout_has("error[bad-symlink]: symlink `loop` makes a loop")
            .stdout_has("content/sub/back:1:1: error[bad-symlink]: symlink `sub/back` makes a loop")
            .stdout_has("error[bad-symlink]: symlink `sub/deep/up` makes a loop");
    }
    let _ = fixtures();
}

#[test]
fn aliases_that_collide_or_leave_the_site_are_findings() {
    // check plans the generated pages only when some runbook has aliases: here they do.
    let site = Site::fixture("rules/missing-owner/clean");
    let runbook = site.read("content/runbook.md");
    site.write(
        "content/old.md",
        runbook
            .replacen("title: Restart the API", "title: Old restart", 1)
            .replacen("---\n", "---\naliases: [runbook, ../outside]\n", 1),
    );
    site.write(
        "content/_index.md",
        "# Runbooks\n\n- [Old](old.md)\n- [API](runbook.md)\n",
    );
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("error[output-collision]: alias `runbook` would overwrite runbook.html")
        .stdout_has(
            "error[invalid-field]: `aliases` entry `../outside` is not a path inside the site",
        );
}

#[test]
fn hidden_files_and_editor_leftovers_are_ignored() {
    let site = Site::fixture("rules/missing-owner/clean");
    for name in [
        ".draft.md",
        "runbook.md~",
        "#runbook.md#",
        ".runbook.md.swp",
        "runbook.md.orig",
        ".git/notes.md",
    ] {
        site.write(&format!("content/{name}"), "# not a runbook\n");
    }
    site.run(&["check"])
        .expect_code(0)
        .stdout_has("checked 1 runbook (1 complete)");
    site.run(&["build"]).expect_code(0);
    assert!(!site.exists("public/runbook.md~"));
}

#[test]
fn field_aliases_from_real_collections_are_read() {
    let site = Site::empty();
    site.write(
        "content/a.md",
        "---\nowner_slack: \"#team-db\"\nreview_cadence: quarterly\nreviewed: 2026-10-01\n---\n# A\n\n## Acceptance checks\n\n- ok\n",
    );
    site.run(&["check"])
        .expect_code(0)
        .stdout_has("1 runbook (1 complete)");
    // The built-in field wins over its alias.
    site.write(
        "content/a.md",
        "---\nowner_slack: TBD\nowner: db-team\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n# A\n\n## Acceptance checks\n\n- ok\n",
    );
    site.run(&["check"]).expect_code(0);
    // A site adds its own.
    site.write(
        "content/a.md",
        "---\nmaintainer: db-team\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n# A\n\n## Acceptance checks\n\n- ok\n",
    );
    site.write(
        "opsbook.toml",
        "[schema.aliases]\nowner = [\"maintainer\"]\n",
    );
    site.run(&["check"]).expect_code(0);
}

#[test]
fn review_dates_follow_the_cadence() {
    let site = Site::empty();
    site.write(
        "content/a.md",
        "---\nowner: db\ncadence: quarterly\nlast_reviewed: 2026-Q1\n---\n# A\n\n## Acceptance checks\n\n- ok\n",
    );
    // Q1 counts as 2026-03-31; quarterly makes it due 2026-06-30.
    site.run(&["check"])
        .expect_code(0)
        .stdout_has("content/a.md:4:16: warning[review-overdue]: review was due on 2026-06-30");
    site.run(&["check", "--today", "2026-06-30"])
        .expect_code(0)
        .stdout_has("0 warnings");
}

#[test]
fn reviews_falling_due_soon_are_reported_when_asked_for() {
    // Reviewed 2026-10-01, quarterly: due 2027-01-01.
    let site = Site::fixture("rules/broken-anchor/clean");
    let due = "content/drain.md:5:16: warning[review-due-soon]: review falls due on 2027-01-01";
    // Off unless asked for.
    let run = site.run(&["check", "--today", "2026-12-03"]);
    run.expect_code(0).stdout_has("0 warnings");
    // 29 days ahead: inside a window of 29, not of 28; a warning, so the exit code stays 0.
    site.run(&["check", "--today", "2026-12-03", "--due-within", "29"])
        .expect_code(0)
        .stdout_has(&format!("{due}, in 29 days (last reviewed 2026-10-01)"))
        .stdout_has("2 warnings");
    site.run(&["check", "--today", "2026-12-03", "--due-within", "28"])
        .expect_code(0)
        .stdout_has("0 warnings");
    site.run(&["check", "--today", "2027-01-01", "--due-within", "7"])
        .stdout_has(&format!("{due}, today (last reviewed 2026-10-01)"));
    site.run(&["check", "--today", "2026-12-31", "--due-within", "7"])
        .stdout_has(&format!("{due}, tomorrow"));
    // Once overdue it is review-overdue, not both.
    let late = site.run(&["check", "--today", "2027-01-02", "--due-within", "7"]);
    assert!(!late.stdout.contains("review-due-soon"), "{}", late.stdout);
    late.stdout_has("warning[review-overdue]");
    // Turned on in the configuration: 30 days, at the level it says.
    site.write("opsbook.toml", "[rules]\nreview-due-soon = \"error\"\n");
    site.run(&["check", "--today", "2026-12-03"])
        .expect_code(1)
        .stdout_has("content/drain.md:5:16: error[review-due-soon]");
    // Turned off there, asked for on the command line: the command line wins.
    site.write("opsbook.toml", "[rules]\nreview-due-soon = \"off\"\n");
    site.run(&["check", "--today", "2026-12-03", "--due-within", "30"])
        .stdout_has(due);
    // For scheduled reminders: the summary's by-owner table says whose reviews are due.
    let summary = site.run(&[
        "check",
        "--today",
        "2026-12-03",
        "--due-within",
        "30",
        "--format",
        "markdown",
    ]);
    summary.stdout_has("| `review-due-soon` | 0 | 2 |");
    summary.stdout_has("| platform-team | 2 | 0 | 2 |");
}

#[test]
fn colour_is_on_request_and_never_when_piped() {
    let site = Site::fixture("rules/missing-owner/bad");
    let plain = site.run(&["check"]);
    assert!(!plain.stdout.contains('\x1b'), "colour when piped");
    let coloured = site.run(&["check", "--color", "always"]);
    assert!(
        coloured.stdout.contains("\x1b[1;31merror[missing-owner]"),
        "{}",
        coloured.stdout
    );
    assert!(
        !site
            .run(&["check", "--color", "never"])
            .stdout
            .contains('\x1b')
    );
}

/// `check` keeps of most files only their head (front matter, title line): findings made after
/// parsing show their source line all the same, read again from the file when it is below.
#[test]
fn findings_made_after_parsing_show_their_line() {
    let site = Site::empty();
    let runbook = |title: &str, body: &str| {
        format!(
            "---\ntitle: {title}\nowner: ops\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n## Steps\n\n{body}\n\n## Acceptance checks\n\n- it works\n"
        )
    };
    // A link into nowhere (found after parsing, in the body) in a file with no other finding.
    site.write(
        "content/a.md",
        runbook(
            "Drain",
            "1. Drain the nœud ([how](nowhere.md)), then [b](b.md).",
        ),
    );
    // The same title (found after parsing, in the head), and a placeholder below the head.
    site.write(
        "content/b.md",
        runbook(
            "Drain",
            "Call TODO, then see [a](a.md) and [c](c.md#nowhere).",
        ),
    );
    site.write(
        "content/c.md",
        runbook("Restart", "See [a](a.md) and [b](b.md)."),
    );
    let run = site.run(&["check"]);
    run.expect_code(1)
        .stdout_has("content/a.md:10:20: error[broken-link]")
        .stdout_has("10 | 1. Drain the nœud ([how](nowhere.md)), then [b](b.md).")
        .stdout_has("content/b.md:1:1: warning[duplicate-title]")
        .stdout_has("1 | ---")
        .stdout_has("content/b.md:10:6: warning[placeholder]")
        .stdout_has("content/b.md:10:35: error[broken-anchor]")
        .stdout_has("10 | Call TODO, then see [a](a.md) and [c](c.md#nowhere).");
}

#[test]
fn files_that_are_not_read_are_named_and_no_runbooks_is_never_silent() {
    let site = Site::empty();
    for i in 1..=3 {
        site.write(
            &format!("source/manual/page{i}.html.md.erb"),
            "# <%= title %>\n",
        );
    }
    site.write("source/manual/notes.markdown", "# Notes\n");
    site.write("source/manual/diagram.png", "png");
    let run = site.run(&["check"]);
    run.expect_code(0)
        .stdout_has("checked 0 runbooks")
        .stderr_has("4 files in . look like documents but are not Markdown that opsbook reads")
        .stderr_has("3 *.md.erb (ERB templates), 1 *.markdown");
    assert!(!run.stderr.contains("png"), "{}", run.stderr);
    let empty = Site::empty();
    empty.write("notes.txt", "x");
    empty
        .run(&["build"])
        .expect_code(0)
        .stderr_has("note: no runbook found in .: opsbook reads *.md files");
}

#[test]
fn owners_come_from_codeowners_and_the_site_default_and_say_so() {
    let site = Site::empty();
    std::fs::create_dir_all(site.path().join(".git")).unwrap();
    site.write(
        ".github/CODEOWNERS",
        "* @acme/everyone\n/docs/runbooks/db/ @acme/dba\n/docs/runbooks/net/legacy.md\n",
    );
    let runbook = |owner: &str| {
        format!(
            "---\ntitle: T\n{owner}cadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n## Verification\n\n- It works.\n"
        )
    };
    site.write("docs/runbooks/db/failover.md", runbook(""));
    site.write("docs/runbooks/db/own.md", runbook("owner: ana\n"));
    site.write("docs/runbooks/net/dns.md", runbook(""));
    // CODEOWNERS leaves this one unowned: the site's default applies.
    site.write("docs/runbooks/net/legacy.md", runbook(""));
    site.write(
        "docs/runbooks/opsbook.toml",
        "[schema]\ndefault_owner = \"sre-oncall\"\n",
    );
    let run = std::process::Command::new(crate::helpers::binary())
        .args([
            "check",
            "docs/runbooks",
            "--format",
            "json",
            "--today",
            crate::helpers::TODAY,
        ])
        .current_dir(site.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let owner = |id: &str| {
        let rb = report["runbooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {report}"));
        (
            rb["owner"].as_str().unwrap_or("").to_string(),
            rb["owner_from"].as_str().unwrap_or("").to_string(),
        )
    };
    assert_eq!(
        owner("db/failover"),
        ("@acme/dba".into(), "CODEOWNERS".into())
    );
    assert_eq!(owner("db/own"), ("ana".into(), "front matter".into()));
    assert_eq!(
        owner("net/dns"),
        ("@acme/everyone".into(), "CODEOWNERS".into())
    );
    assert_eq!(
        owner("net/legacy"),
        ("sre-oncall".into(), "site default".into())
    );
    assert_eq!(run.status.code(), Some(0), "{report}");
    // Turned off, the owners are missing again.
    site.write(
        "docs/runbooks/opsbook.toml",
        "[schema]\ncodeowners = false\n",
    );
    let run = std::process::Command::new(crate::helpers::binary())
        .args(["check", "docs/runbooks", "--today", crate::helpers::TODAY])
        .current_dir(site.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&run.stdout).contains("error[missing-owner]"));
}
