//! `check FILE...` and `check --changed-since REF`: the findings of the files a change touched,
//! and the findings it caused elsewhere, on a temporary git repository with a base branch.

use crate::helpers::{Run, Site};

fn git(site: &Site, args: &[&str]) {
    crate::helpers::git(site.path(), args);
}

const LINKER: &str = "---
title: Restart the API
owner: platform-team
cadence: quarterly
last_reviewed: 2026-10-01
---

Restart the API servers one at a time.

## Steps

1. Drain the node ([how](drain.md#steps)).
2. Restart the service.

## Acceptance checks

- The API answers on `/health`.

## Related operations

- Start with Drain a node.
";

/// A site on branch `main` (three clean runbooks and one with a finding of its own), then a
/// branch `change` checked out.
fn repository() -> Site {
    let site = Site::fixture("rules/broken-anchor/clean");
    site.write("content/runbook.md", LINKER);
    site.write(
        "content/legacy.md",
        "---\ntitle: Legacy\ncadence: quarterly\nlast_reviewed: 2026-10-01\n---\n\n## Acceptance checks\n\n- Works.\n",
    );
    git(&site, &["init", "-q"]);
    git(&site, &["add", "-A"]);
    git(&site, &["commit", "-qm", "base"]);
    git(&site, &["checkout", "-qb", "change"]);
    site
}

fn changed(site: &Site) -> Run {
    site.run(&["check", "--changed-since", "main"])
}

#[test]
fn an_unchanged_branch_reports_nothing_and_passes() {
    let site = repository();
    // The full check fails on legacy.md (no owner); the branch changed nothing.
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("missing-owner");
    let run = changed(&site);
    run.expect_code(0)
        .stderr_has("reporting on 0 of 3 runbooks (changed since main)");
    assert!(!run.stdout.contains("missing-owner"), "{}", run.stdout);
}

#[test]
fn an_edit_reports_its_file_and_the_anchors_it_broke_elsewhere() {
    let site = repository();
    site.write(
        "content/drain.md",
        site.read("content/drain.md")
            .replace("## Steps", "## Procedure")
            + "\nTODO: more\n",
    );
    git(&site, &["commit", "-qam", "rename the section"]);
    let run = changed(&site);
    run.expect_code(1)
        .stdout_has("content/runbook.md:12:20: error[broken-anchor]")
        .stdout_has("content/drain.md")
        .stderr_has("reporting on 1 of 3 runbooks");
    assert!(!run.stdout.contains("legacy.md"), "{}", run.stdout);
}

#[test]
fn a_rename_or_delete_reports_the_links_and_references_it_broke() {
    let site = repository();
    git(&site, &["mv", "content/drain.md", "content/drain-node.md"]);
    git(&site, &["commit", "-qm", "rename"]);
    let run = changed(&site);
    run.expect_code(1).stdout_has(
        "content/runbook.md:12:20: error[broken-link]: link target `drain.md` does not exist",
    );
    assert!(!run.stdout.contains("legacy.md"), "{}", run.stdout);

    // A title changed: the reference to the old title no longer resolves.
    site.write(
        "content/drain-node.md",
        site.read("content/drain-node.md")
            .replace("title: Drain a node", "title: Drain nodes"),
    );
    git(&site, &["commit", "-qam", "retitle"]);
    changed(&site)
        .expect_code(1)
        .stdout_has("warning[unresolved-reference]: \"Start with Drain a node.\" names no runbook");

    // Deleted, in the work tree only (not committed): still a change.
    std::fs::remove_file(site.path().join("content/drain-node.md")).unwrap();
    let run = changed(&site);
    run.expect_code(1).stdout_has("error[broken-link]");
    assert!(!run.stdout.contains("legacy.md"), "{}", run.stdout);
}

#[test]
fn uncommitted_and_new_files_count_as_changed() {
    let site = repository();
    site.write("content/new.md", "# New\n\nNo owner yet.\n");
    changed(&site)
        .expect_code(1)
        .stdout_has("content/new.md:1:1: error[missing-owner]");
    std::fs::remove_file(site.path().join("content/new.md")).unwrap();
    site.write(
        "content/legacy.md",
        site.read("content/legacy.md") + "\nEdited.\n",
    );
    changed(&site)
        .expect_code(1)
        .stdout_has("content/legacy.md:1:1: error[missing-owner]");
}

#[test]
fn named_files_report_their_findings_and_what_they_break() {
    let site = repository();
    site.run(&["check", "content/drain.md"])
        .expect_code(0)
        .stderr_has("reporting on 1 of 3 runbooks");
    site.run(&[
        "check",
        "content/drain.md",
        "content/legacy.md",
        "../elsewhere.md",
    ])
    .expect_code(1)
    .stdout_has("content/legacy.md:1:1: error[missing-owner]")
    .stderr_has("1 of the files named is not in the site");
    // A file named but gone: links to it are its findings.
    std::fs::remove_file(site.path().join("content/drain.md")).unwrap();
    site.run(&["check", "content/drain.md"])
        .expect_code(1)
        .stdout_has("error[broken-link]");
    // A site in a folder: --root, files as the repository names them.
    let repo = Site::empty();
    crate::helpers::copy_dir(site.path(), &repo.path().join("docs"));
    std::fs::remove_dir_all(repo.path().join("docs/.git")).unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let run = repo.run(&[
        "check",
        "--root",
        "docs",
        "docs/content/legacy.md",
        "--format",
        "github",
    ]);
    run.expect_code(1)
        .stdout_has("::error file=docs/content/legacy.md,line=1,col=1,title=missing-owner::");
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
}

#[test]
fn changed_since_says_what_is_wrong_with_exit_2() {
    let site = repository();
    site.run(&["check", "--changed-since", "no-such-branch"])
        .expect_code(2)
        .stderr_has("git knows no commit `no-such-branch`");
    site.run(&["check", "--changed-since", "auto"])
        .expect_code(2)
        .stderr_has("GITHUB_BASE_REF");
    // On GitHub Actions, the pull request's base branch.
    site.write("content/new.md", "# New\n");
    site.run_with(
        &["check", "--changed-since", "auto"],
        &[("GITHUB_BASE_REF", "main")],
    )
    .expect_code(1)
    .stdout_has("content/new.md");
    let plain = Site::fixture("rules/broken-anchor/clean");
    plain
        .run(&["check", "--changed-since", "main"])
        .expect_code(2)
        .stderr_has("is not in a git repository");
}
