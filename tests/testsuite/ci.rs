//! What a reviewer sets up in CI: the GitHub Action's check script with the environment GitHub
//! sets, the GitLab CI template's script, and the pre-commit hook's entry, each run the way its
//! host runs it, on a temporary git repository with a base branch.

use crate::helpers::{Site, git};
use serde_json::Value;
use std::process::{Command, Output};

fn yaml(rel: &str) -> Value {
    let text = std::fs::read_to_string(crate::helpers::repo().join(rel)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A PATH on which `opsbook` is this build.
fn path_with_opsbook() -> String {
    let bin = crate::helpers::binary();
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `main` has a runbook with a finding of its own (legacy.md, no owner); branch `change` adds
/// new.md, which has one too.
fn repository() -> Site {
    let site = Site::fixture("rules/broken-anchor/clean");
    site.write(
        "content/legacy.md",
        "---\ntitle: Legacy\ncadence: quarterly\nlast_reviewed: 2026-10-01\n---\n\n## Acceptance checks\n\n- Works.\n",
    );
    git(site.path(), &["init", "-q"]);
    git(site.path(), &["add", "-A"]);
    git(site.path(), &["commit", "-qm", "base"]);
    git(site.path(), &["checkout", "-qb", "change"]);
    site.write("content/new.md", "# New\n\nNo owner yet.\n");
    git(site.path(), &["add", "-A"]);
    git(site.path(), &["commit", "-qm", "add a runbook"]);
    site
}

fn run(site: &Site, program: &str, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(site.path())
        .env("PATH", path_with_opsbook())
        .env("OPSBOOK_TODAY", crate::helpers::TODAY)
        .env("NO_COLOR", "1");
    for var in [
        "GITHUB_STEP_SUMMARY",
        "GITHUB_BASE_REF",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    cmd.output().expect("run the script")
}

#[test]
fn the_github_action_annotates_what_the_pull_request_changed() {
    // The action's inputs are the ones its script reads, and its steps run files that exist.
    let action = yaml("action.yml");
    let inputs: Vec<&str> = action["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(inputs, ["root", "args", "version", "sarif", "changed-only"]);
    let steps = action["runs"]["steps"].as_array().unwrap();
    for step in steps.iter().filter_map(|s| s["run"].as_str()) {
        let script = step.split('/').next_back().unwrap().trim_end_matches('"');
        assert!(
            crate::helpers::repo()
                .join("ci/github")
                .join(script)
                .exists(),
            "{step}"
        );
    }
    let check = steps.iter().find(|s| s["id"] == "check").unwrap();
    for (var, input) in check["env"].as_object().unwrap() {
        let input = input.as_str().unwrap();
        assert!(input.contains("inputs."), "{var}: {input}");
    }

    let site = repository();
    let script = crate::helpers::repo().join("ci/github/check.sh");
    let script = script.to_str().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let output = temp.path().join("output");
    let summary = temp.path().join("summary.md");
    let env = |changed_only: &str, base: &str| {
        vec![
            ("INPUT_ROOT", ".".to_string()),
            ("INPUT_ARGS", "--deny-warnings".to_string()),
            ("INPUT_SARIF", "true".to_string()),
            ("INPUT_CHANGED_ONLY", changed_only.to_string()),
            ("GITHUB_ACTIONS", "true".to_string()),
            ("GITHUB_BASE_REF", base.to_string()),
            ("GITHUB_OUTPUT", output.display().to_string()),
            ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
            ("RUNNER_TEMP", temp.path().display().to_string()),
        ]
    };
    // A pull request into main, changed files only.
    let out = run(&site, "bash", &[script], &env("true", "main"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("::error file=content/new.md,line=1,col=1,title=missing-owner::"),
        "{stdout}"
    );
    assert!(!stdout.contains("legacy.md"), "{stdout}");
    let said = std::fs::read_to_string(&output).unwrap();
    let sarif_path = temp.path().join("opsbook.sarif");
    assert!(
        said.contains(&format!("sarif-file={}", sarif_path.display())),
        "{said}"
    );
    assert!(said.contains("exit-code=1"), "{said}");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "content/new.md"
    ));
    let page = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        page.matches("## ❌ opsbook check").count(),
        1,
        "one summary per run:\n{page}"
    );
    assert!(page.contains("`content/new.md:1`"), "{page}");

    // A push (no pull request): every runbook, said as such.
    std::fs::remove_file(&output).unwrap();
    let out = run(&site, "bash", &[script], &env("true", ""));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("::notice title=opsbook::changed-only applies to pull requests"));
    assert!(stdout.contains("file=content/legacy.md"), "{stdout}");
}

#[test]
fn the_gitlab_template_reports_code_quality_and_tests_for_the_merge_request() {
    let template = yaml("ci/gitlab/opsbook.yml");
    let job = &template["opsbook"];
    assert_eq!(
        job["artifacts"]["reports"]["codequality"],
        "gl-code-quality-report.json"
    );
    assert_eq!(job["artifacts"]["reports"]["junit"], "opsbook-junit.xml");
    assert_eq!(job["artifacts"]["when"], "always");
    assert_eq!(job["variables"]["GIT_DEPTH"], "0");
    let script: Vec<&str> = job["script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();

    let site = repository();
    let base = git(site.path(), &["rev-parse", "main"]);
    let env = vec![
        ("OPSBOOK_ROOT", ".".to_string()),
        ("OPSBOOK_ARGS", String::new()),
        ("OPSBOOK_CHANGED_ONLY", "true".to_string()),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base),
        ("CI_PROJECT_DIR", site.path().display().to_string()),
    ];
    let out = run(&site, "sh", &["-ec", &script.join("\n")], &env);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Vec<Value> =
        serde_json::from_str(&site.read("gl-code-quality-report.json")).unwrap();
    assert!(!report.is_empty());
    assert!(
        report
            .iter()
            .all(|i| i["location"]["path"] == "content/new.md"),
        "{report:?}"
    );
    assert!(site.read("opsbook-junit.xml").contains("content/new.md"));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("content/new.md:1:1: error[missing-owner]")
    );
}

#[test]
fn the_pre_commit_hook_checks_the_staged_runbooks() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hook = &hooks[0];
    assert_eq!(hook["id"], "opsbook-check");
    assert_eq!(hook["language"], "rust");
    assert_eq!(hook["pass_filenames"], true);
    let files = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
    let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(entry[0], "opsbook");

    let site = repository();
    // Two runbooks staged, one with a finding, and a file the hook does not take.
    site.write(
        "content/drain.md",
        site.read("content/drain.md") + "\nMore.\n",
    );
    site.write("content/other.md", "# Other\n\nNo owner either.\n");
    site.write("notes.txt", "x");
    git(
        site.path(),
        &["add", "content/drain.md", "content/other.md", "notes.txt"],
    );
    // As pre-commit does: the staged files its `files` pattern matches, after the entry.
    let staged = git(site.path(), &["diff", "--cached", "--name-only"]);
    let names: Vec<&str> = staged.lines().filter(|f| files.is_match(f)).collect();
    assert_eq!(names, ["content/drain.md", "content/other.md"]);
    let args: Vec<&str> = entry[1..].iter().copied().chain(names).collect();
    let out = run(&site, "opsbook", &args, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("content/other.md:1:1: error[missing-owner]"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("new.md") && !stdout.contains("legacy.md"),
        "{stdout}"
    );
    // Only clean runbooks staged: the commit goes through.
    let out = run(
        &site,
        "opsbook",
        &[&entry[1..], &["content/drain.md", "content/runbook.md"]].concat(),
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
