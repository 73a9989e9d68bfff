//! The commands around check and build: init, new, completions, help.

use crate::helpers::Site;

#[test]
fn init_then_build_gives_a_working_site() {
    let dir = Site::empty();
    dir.run(&["init", "my-runbooks"]).expect_code(0);
    let site_root = dir.path().join("my-runbooks");
    let site = Site {
        dir: tempfile::tempdir().unwrap(),
    };
    crate::helpers::copy_dir(&site_root, site.path());
    site.run(&["check"])
        .expect_code(0)
        .stdout_has("2 runbooks (2 complete)");
    site.run(&["build"]).expect_code(0);
    assert!(site.exists("public/database/failover.html"));
    // init never overwrites a site.
    dir.run(&["init", "my-runbooks"])
        .expect_code(2)
        .stderr_has("already has");
}

#[test]
fn new_adds_a_runbook_with_every_section_the_schema_asks_for() {
    let site = Site::empty();
    site.run(&["init"]).expect_code(0);
    site.write(
        "opsbook.toml",
        "[[schema.overrides]]\npaths = [\"storage/**\"]\nrequired_sections = [\"Rollback\"]\n",
    );
    site.run(&["new", "storage/failover-drill", "--title", "Failover drill"])
        .expect_code(0);
    let text = site.read("content/storage/failover-drill.md");
    assert!(text.contains("title: \"Failover drill\""));
    assert!(text.contains("## Acceptance checks"));
    assert!(text.contains("## Rollback"));
    assert!(text.contains("## Diagnosis"));
    // The new runbook is flagged until someone owns it.
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("content/storage/failover-drill.md:3:8: error[missing-owner]");
    let text = text.replace("owner: TBD", "owner: database-team");
    site.write("content/storage/failover-drill.md", text);
    site.run(&["check"]).expect_code(0);
    // Never overwrites.
    site.run(&["new", "storage/failover-drill"])
        .expect_code(2)
        .stderr_has("already exists");
    site.run(&["new", "alerts/disk-full", "--template", "alert"])
        .expect_code(0);
    assert!(
        site.read("content/alerts/disk-full.md")
            .contains("## Meaning")
    );
    site.run(&["new", "../escape"]).expect_code(2);
}

#[test]
fn completions_print_a_script() {
    let site = Site::empty();
    let run = site.run(&["completions", "bash"]);
    run.expect_code(0).stdout_has("_opsbook()");
    site.run(&["completions", "zsh"])
        .expect_code(0)
        .stdout_has("#compdef opsbook");
}

#[test]
fn bad_arguments_are_exit_2() {
    let site = Site::empty();
    site.run(&["build", "--no-such-flag"]).expect_code(2);
    site.run(&["frobnicate"]).expect_code(2);
}

#[test]
fn every_command_has_an_example_and_a_manual_page() {
    let site = Site::empty();
    let commands = [
        "init",
        "new",
        "check",
        "build",
        "schema",
        "serve",
        "clean",
        "completions",
        "man",
    ];
    for command in commands {
        site.run(&[command, "--help"])
            .expect_code(0)
            .stdout_has("Example");
        let page = site.run(&["man", command]);
        page.expect_code(0)
            .stdout_has(&format!(".TH opsbook-{command} 1"))
            .stdout_has(".SH SYNOPSIS");
    }
    site.run(&["man"])
        .expect_code(0)
        .stdout_has(".TH opsbook 1")
        .stdout_has("opsbook\\-check(1)");
    site.run(&["man", "check"])
        .stdout_has("\\-\\-changed\\-since")
        .stdout_has("GITHUB_BASE_REF");
    site.run(&["man", "nope"])
        .expect_code(2)
        .stderr_has("opsbook has no command `nope`");
}
