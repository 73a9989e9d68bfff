//! The machine-readable reports: their shapes are contracts that CI systems parse.

use crate::helpers::Site;
use serde_json::Value;

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn json_report_has_the_spec_shape() {
    let site = Site::fixture("rules/missing-owner/bad");
    let run = site.run(&["check", "--format", "json"]);
    run.expect_code(1);
    let report: Value = serde_json::from_str(&run.stdout).expect("one JSON document on stdout");
    // Key order is part of the contract (SPEC "check --format json").
    assert_eq!(
        keys(&report),
        ["version", "summary", "runbooks", "diagnostics"]
    );
    assert_eq!(report["version"], 1);
    assert_eq!(
        keys(&report["summary"]),
        ["runbooks", "complete", "errors", "warnings"]
    );
    assert_eq!(
        keys(&report["runbooks"][0]),
        [
            "id",
            "path",
            "title",
            "owner",
            "owner_from",
            "escalation",
            "chat",
            "cadence",
            "last_reviewed",
            "next_review",
            "complete"
        ]
    );
    assert_eq!(
        keys(&report["diagnostics"][0]),
        ["rule", "level", "path", "line", "column", "message", "help"]
    );
    let runbook = &report["runbooks"][0];
    assert_eq!(runbook["id"], "runbook");
    assert_eq!(runbook["path"], "content/runbook.md");
    assert_eq!(runbook["owner"], Value::Null);
    assert_eq!(runbook["cadence"], serde_json::json!(["quarterly"]));
    assert_eq!(runbook["last_reviewed"], "2026-10-01");
    assert_eq!(runbook["next_review"], "2027-01-01");
    assert_eq!(runbook["complete"], false);
    let d = &report["diagnostics"][0];
    assert_eq!(d["rule"], "missing-owner");
    assert_eq!(d["level"], "error");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(report["summary"]["errors"], 1);
}

#[test]
fn sarif_is_code_scanning_shaped() {
    let site = Site::fixture("rules/broken-anchor/bad");
    let run = site.run(&["check", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "opsbook");
    let rules = driver["rules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .all(|r| r["id"].is_string() && r["shortDescription"]["text"].is_string())
    );
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "broken-anchor");
    assert_eq!(
        rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "broken-anchor"
    );
    assert_eq!(result["level"], "error");
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "content/runbook.md");
    assert_eq!(loc["region"]["startLine"], 12);
    assert_eq!(loc["region"]["startColumn"], 20);
}

#[test]
fn github_annotations_are_escaped() {
    let site = Site::fixture("rules/missing-owner/bad");
    site.write("content/50%, a: b.md", "# Odd name\n");
    let run = site.run(&["check", "--format", "github"]);
    run.stdout_has("::error file=content/runbook.md,line=1,col=1,title=missing-owner::runbook has no owner%0Ahelp: add `owner: <team>` to the front matter")
        .stdout_has("file=content/50%25%2C a%3A b.md,");
    assert!(
        run.stdout.lines().all(|l| l.starts_with("::")),
        "{}",
        run.stdout
    );
}

#[test]
fn junit_names_carry_the_line() {
    let site = Site::fixture("rules/broken-anchor/bad");
    site.write(
        "content/drain.md",
        site.read("content/drain.md") + "\n## Empty\n",
    );
    let run = site.run(&["check", "--format", "junit"]);
    run.stdout_has("<testsuite name=\"content/runbook.md\" tests=\"1\" failures=\"1\"")
        .stdout_has("<testcase name=\"broken-anchor @12:20\" classname=\"content/runbook.md\"><failure message=")
        .stdout_has("<testcase name=\"empty-section @16:1\" classname=\"content/drain.md\"><system-out>");
}

#[test]
fn output_writes_the_report_to_a_file() {
    let site = Site::fixture("rules/missing-owner/bad");
    let run = site.run(&["check", "--format", "json", "--output", "report.json"]);
    run.expect_code(1).stderr_has("checked 1 runbook");
    assert!(run.stdout.is_empty());
    let report: Value = serde_json::from_str(&site.read("report.json")).unwrap();
    assert_eq!(report["summary"]["errors"], 1);
}

#[test]
fn baseline_reports_only_new_findings() {
    let site = Site::fixture("rules/missing-owner/bad");
    site.run(&["check", "--format", "json", "--output", "baseline.json"])
        .expect_code(1);
    let run = site.run(&["check", "--baseline", "baseline.json"]);
    run.expect_code(0)
        .stderr_has("1 finding(s) already in the baseline");
    // A new finding still fails, even in a file that is in the baseline.
    let text = site
        .read("content/runbook.md")
        .replace("cadence: quarterly", "cadence: sometimes");
    site.write("content/runbook.md", text);
    site.run(&["check", "--baseline", "baseline.json"])
        .expect_code(1)
        .stdout_has("invalid-cadence");
    // A file that is not a report is refused.
    site.write("not-a-report.json", "{\"hello\": 1}");
    site.run(&["check", "--baseline", "not-a-report.json"])
        .expect_code(2)
        .stderr_has("is not an opsbook JSON report");
    site.run(&["check", "--baseline", "missing.json"])
        .expect_code(2);
}

#[test]
fn alert_rules_and_runbooks_point_at_each_other() {
    let site = Site::fixture("rules/missing-owner/clean");
    site.write(
        "opsbook.toml",
        "[site]\nbase_url = \"https://runbooks.example.com/ops/\"\n",
    );
    let text = site.read("content/runbook.md").replace(
        "owner: platform-team\n",
        "owner: platform-team\nalerts: [ApiDown, ApiGone]\n",
    );
    site.write("content/runbook.md", text);
    site.write(
        "rules.yaml",
        "groups:\n- name: api\n  rules:\n  - alert: ApiDown\n    expr: up == 0\n    annotations:\n      runbook_url: https://runbooks.example.com/ops/runbook.html\n  - alert: ApiSlow\n    expr: latency > 1\n    annotations:\n      runbook_url: https://runbooks.example.com/ops/slow.html\n  - alert: DiskFull\n    expr: disk > 0.9\n  - alert: ApiDownViaAlertPage\n    annotations:\n      runbook_url: https://runbooks.example.com/ops/alerts/ApiDown.html\n",
    );
    let run = site.run(&["check", "--alert-rules", "rules.yaml"]);
    run.expect_code(1)
        .stdout_has("rules.yaml:11:20: error[broken-runbook-url]: alert `ApiSlow` links to https://runbooks.example.com/ops/slow.html")
        .stdout_has("rules.yaml:12:12: warning[alert-without-runbook]: alert `DiskFull` has no runbook")
        .stdout_has("content/runbook.md:4:19: warning[unknown-alert]: alert `ApiGone` is not defined");
    assert!(!run.stdout.contains("`ApiDown`"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("ApiDownViaAlertPage"),
        "{}",
        run.stdout
    );
    site.write("bad.yaml", "groups: [\n");
    site.run(&["check", "--alert-rules", "bad.yaml"])
        .expect_code(2)
        .stderr_has("bad.yaml:");
}

#[test]
fn schema_prints_json_schema_with_site_fields() {
    let site = Site::fixture("rules/invalid-field/bad");
    let run = site.run(&["schema"]);
    run.expect_code(0);
    let schema: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["properties"]["severity"]["enum"],
        serde_json::json!(["SEV1", "SEV2", "SEV3"])
    );
    assert_eq!(schema["additionalProperties"], false);
}

/// GitLab Code Quality: the fields GitLab documents, a fingerprint that an edit elsewhere in
/// the file does not change, and paths from the repository's root.
#[test]
fn gitlab_code_quality_has_the_documented_fields() {
    let site = Site::fixture("rules/broken-anchor/bad");
    let report = |site: &Site| -> Vec<Value> {
        let run = site.run(&["check", "--format", "gitlab"]);
        run.expect_code(1);
        serde_json::from_str(&run.stdout).expect("a JSON array")
    };
    let before = report(&site);
    assert!(!before.is_empty());
    for issue in &before {
        assert_eq!(issue["type"], "issue");
        assert!(!issue["description"].as_str().unwrap().is_empty());
        assert!(issue["check_name"].as_str().unwrap().contains('-'));
        let fp = issue["fingerprint"].as_str().unwrap();
        assert!(
            fp.len() == 32 && fp.bytes().all(|b| b.is_ascii_hexdigit()),
            "{fp}"
        );
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap())
        );
        assert!(
            issue["location"]["path"]
                .as_str()
                .unwrap()
                .starts_with("content/")
        );
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    let fingerprints = |r: &[Value]| {
        let mut f: Vec<String> = r
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap().to_string())
            .collect();
        f.sort();
        f
    };
    let mut unique = fingerprints(&before);
    unique.dedup();
    assert_eq!(unique.len(), before.len(), "fingerprints are unique");
    // Lines added at the top move every finding down a line; no fingerprint changes.
    let text = site.read("content/runbook.md");
    let (front, body) = text.split_at(text.find("\n#").expect("a heading") + 1);
    site.write(
        "content/runbook.md",
        format!("{front}\nAn added paragraph.\n\n{body}"),
    );
    let after = report(&site);
    assert_eq!(fingerprints(&after), fingerprints(&before));
    let line = |r: &[Value]| {
        r.iter()
            .find(|i| i["check_name"] == "broken-anchor")
            .unwrap()["location"]["lines"]["begin"]
            .as_u64()
            .unwrap()
    };
    assert!(line(&after) > line(&before));

    // A site in a folder of a repository: paths start from the repository's root, as CI
    // systems place them (GitLab, GitHub annotations, SARIF).
    let repo = Site::empty();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    crate::helpers::copy_dir(site.path(), &repo.path().join("docs/ops"));
    let run = repo.run(&["check", "docs/ops", "--format", "gitlab"]);
    let issues: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert!(issues.iter().all(|i| {
        i["location"]["path"]
            .as_str()
            .unwrap()
            .starts_with("docs/ops/content/")
    }));
    repo.run(&["check", "docs/ops", "--format", "github"])
        .stdout_has("file=docs/ops/content/runbook.md,");
    repo.run(&["check", "docs/ops", "--format", "sarif"])
        .stdout_has("\"uri\": \"docs/ops/content/runbook.md\"");
}

#[test]
fn markdown_summary_counts_by_rule_and_owner_and_links_findings() {
    let site = Site::fixture("rules/missing-owner/bad");
    site.write(
        "content/other.md",
        "---\nowner: team-db\nreview_cadence: quarterly\n---\n# Other | <b>odd</b>\n\nSee [x](missing.md).\n",
    );
    let run = site.run(&["check", "--format", "markdown"]);
    run.expect_code(1)
        .stdout_has("opsbook check: ")
        .stdout_has("| Rule | Errors | Warnings |")
        .stdout_has("| `missing-owner` | 1 | 0 |")
        .stdout_has("| Owner | Runbooks with findings | Errors | Warnings |")
        .stdout_has("| (no owner) | 1 |")
        .stdout_has("| team-db | 1 |")
        .stdout_has("- ❌ `content/runbook.md:1` `missing-owner`: runbook has no owner");
    assert!(
        !run.stdout.contains("<b>"),
        "runbook text never becomes markup:\n{}",
        run.stdout
    );
    // With the repository's address, each finding links to its line.
    assert!(!site.exists("opsbook.toml"));
    site.write(
        "opsbook.toml",
        "[site]\nrepo_url = \"https://github.com/acme/ops/blob/main\"\n",
    );
    site.run(&["check", "--format", "markdown"]).stdout_has(
        "[content/runbook.md:1](https://github.com/acme/ops/blob/main/content/runbook.md#L1)",
    );
    // Too small a summary is refused, clearly.
    site.run(&["check", "--format", "markdown", "--max-bytes", "100"])
        .expect_code(2)
        .stderr_has("2048 bytes at least");
}

/// In GitHub Actions the summary is appended to `$GITHUB_STEP_SUMMARY`, whatever the format;
/// `--no-summary` leaves it alone.
#[test]
fn github_step_summary_is_appended() {
    let site = Site::fixture("rules/missing-owner/bad");
    site.write("summary.md", "earlier step\n");
    let file = site.path().join("summary.md");
    let env = [("GITHUB_STEP_SUMMARY", file.to_str().unwrap())];
    let run = site.run_with(&["check", "--format", "json"], &env);
    run.expect_code(1);
    serde_json::from_str::<Value>(&run.stdout).expect("stdout is the JSON report alone");
    let summary = site.read("summary.md");
    assert!(
        summary.starts_with("earlier step\n## ❌ opsbook check: "),
        "{summary}"
    );
    assert!(summary.contains("`missing-owner`"));
    site.write("summary.md", "earlier step\n");
    site.run_with(&["check", "--no-summary"], &env)
        .expect_code(1);
    assert_eq!(site.read("summary.md"), "earlier step\n");
}

/// A 10,000-runbook report fits GitHub's comment limit by default, and any `--max-bytes`.
#[test]
fn markdown_summary_of_a_large_site_stays_within_its_limit() {
    let site = Site::empty();
    if !crate::helpers::generate(10_000, &site.path().join("content")) {
        return;
    }
    // Findings in every runbook: none has acceptance checks in its front matter.
    for max in ["65536", "4096"] {
        let run = site.run(&["check", "--format", "markdown", "--max-bytes", max]);
        let limit: usize = max.parse().unwrap();
        assert!(
            run.stdout.len() <= limit,
            "{} bytes over {max}",
            run.stdout.len()
        );
        assert!(
            run.stdout.contains("runbooks checked"),
            "{}",
            &run.stdout[..500]
        );
        assert!(
            run.stdout
                .contains(" more: run `opsbook check` for all of them.")
        );
        assert!(run.stdout.lines().last().unwrap().ends_with('.'));
    }
}
