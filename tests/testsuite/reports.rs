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
