//! Browser behaviour in real headless Chromium: search (from a server and from file://),
//! checklists, copy buttons, keyboard access, no outside requests, no console errors, axe-core,
//! and what a first search downloads at 10,000 runbooks. The checks themselves are in
//! `tests/browser/run.mjs` (playwright-core driving Debian's Chromium).
//!
//! Without Chromium, Node.js or `npm ci --prefix tests/browser`, the test is skipped and says
//! why on the terminal; with `OPSBOOK_REQUIRE_BROWSER=1` (set by `.ci/run`) it fails instead.

use crate::helpers::{Site, copy_dir, repo, shared};

#[path = "../browser/vectors.rs"]
mod vectors;
use std::io::Write;
use std::path::Path;
use std::process::Command;

fn unavailable() -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!(
            "no Chromium at {chromium} (apt-get install chromium)"
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no Node.js on PATH".into());
    }
    if !repo()
        .join("tests/browser/node_modules/playwright-core")
        .is_dir()
    {
        return Some("tests/browser has no node_modules (npm ci --prefix tests/browser)".into());
    }
    None
}

/// Whether the browser tests can run; says why not (or fails, when they are required).
fn browser_available() -> bool {
    let Some(reason) = unavailable() else {
        return true;
    };
    if std::env::var_os("OPSBOOK_REQUIRE_BROWSER").is_some() {
        panic!("browser tests are required but cannot run: {reason}");
    }
    // Written past the test harness's capture, so a skip is never silent.
    let _ = writeln!(
        std::io::stderr().lock(),
        "\nSKIPPED browser tests: {reason}\n"
    );
    false
}

/// Runs a Node script, shows its output past the test harness's capture, and fails saying
/// `what` when the script fails; returns its output.
fn node_passes(node: &mut Command, what: &str) -> String {
    let out = node.output().expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let _ = writeln!(std::io::stderr().lock(), "{stdout}");
    assert!(
        out.status.success(),
        "{what}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A YAML double-quoted scalar holding `s` (JSON's string syntax is YAML's).
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// The vector corpus as a site: one runbook per vector, the vector as a block, inline in a
/// sentence, in a heading, a list item, a table cell, the title and the description; a page
/// with a vector in every front-matter field; pages whose file and folder names are vectors;
/// and a vector as the site title. Returns the site and a map of page -> vector label.
pub fn vector_site() -> (Site, serde_json::Map<String, serde_json::Value>) {
    let site = Site::empty();
    let mut labels = serde_json::Map::new();
    let vectors = vectors::read(&repo());
    assert!(vectors.len() >= 150, "{} vectors", vectors.len());
    for (i, (label, vector)) in vectors.iter().enumerate() {
        let inline = vector.replace(['\n', '\r'], " ");
        let page = format!("v/v{i:03}");
        site.write(
            &format!("content/{page}.md"),
            format!(
                "---\ntitle: {}\ndescription: {}\nowner: ops\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n\
                 {vector}\n\n\
                 Before {inline} after.\n\n\
                 ## Step {inline}\n\n\
                 - item {inline}\n\n\
                 | a | b |\n|---|---|\n| {} | x |\n\n\
                 ## Acceptance checks\n\n- Done.\n",
                yaml_string(&format!("v{i:03} {}", inline.chars().take(80).collect::<String>())),
                yaml_string(&inline),
                inline.replace('|', "\\|"),
            ),
        );
        labels.insert(format!("{page}.html"), label.clone().into());
    }
    // Every front-matter field a page shows, each holding a vector.
    let v = |i: usize| yaml_string(&vectors[i % vectors.len()].1.replace('\n', " "));
    site.write(
        "content/fields.md",
        format!(
            "---\ntitle: {}\nowner: {}\nteam: {}\nservice: {}\nseverity: {}\ndescription: {}\n\
             cadence: {}\nlast_reviewed: {}\ntags: [{}, {}]\nalerts: [{}, {}]\nrelated: [{}]\n\
             aliases: [{}]\nacceptance_checks: [{}]\nx_note: {}\nrunbook_type: {}\n\
             escalation: [{}, {}]\nchat: {}\nvariables:\n  one: {{description: {}, default: {}}}\n  two: {}\n\
             ---\n\n[[_TOC_]]\n\n## {}\n\ntext `<one>` and [a link](https://example.com/?a=<one>&b=<two>)\n\n\
             ```sh\necho \"<two>\" <one>\n```\n",
            v(1), v(2), v(3), v(4), v(5), v(6), v(7), v(8), v(9), v(10), v(11), v(12), v(13),
            v(14), v(15), v(16), v(17), v(19), v(20), v(21), v(22), v(23), v(24), v(18)
        ),
    );
    labels.insert("fields.html".into(), "every front-matter field".into());
    // File and folder names.
    for (i, name) in [
        "\"><img src=x onerror=alert(1)>",
        "' onmouseover='alert(1)",
        "javascript:alert(1)",
        "<script>alert(1)<\\script>",
        "x#y?z=%41",
    ]
    .iter()
    .enumerate()
    {
        site.write(
            &format!("content/names/{name}.md"),
            "---\nowner: ops\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n## Acceptance checks\n\n- Done.\n",
        );
        site.write(
            &format!("content/{name}/page{i}.md"),
            "---\ntitle: In a folder\nowner: ops\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n## Acceptance checks\n\n- Done.\n",
        );
    }
    site.write(
        "content/index.md",
        "# Vectors\n\n[names](names/index.md) [v](v/index.md) [fields](fields.md)\n",
    );
    // The site title, the edit link, a field type of the site's own; links and anchors that
    // vectors break, and secrets they look like, are not what this site is for.
    site.write(
        "opsbook.toml",
        format!(
            "[site]\ntitle = {}\nedit_url = \"https://git.example/edit/{{path}}\"\n\
             [schema.fields.runbook_type]\ntype = \"string\"\n\
             [rules]\nbroken-link = \"warning\"\nbroken-anchor = \"warning\"\nsecret = \"warning\"\n\
             output-collision = \"warning\"\nunknown-related = \"warning\"\n",
            serde_json::to_string("</title><script>alert(1)</script><img src=x onerror=alert(1)>")
                .unwrap()
        ),
    );
    (site, labels)
}

#[test]
fn no_vector_runs_script_in_a_real_browser_without_the_csp() {
    if !browser_available() {
        return;
    }
    let (site, labels) = vector_site();
    site.run(&["build"]).expect_code(0);
    // The page of fields has its variables' form and references (vectors in their values).
    let fields = site.read("public/fields.html");
    assert!(
        fields.contains("<form class=\"variables\"") && fields.contains("data-var=\"two\""),
        "no variables on the fields page"
    );
    let labels_file = site.path().join("labels.json");
    std::fs::write(&labels_file, serde_json::to_string(&labels).unwrap()).unwrap();
    let mut node = Command::new("node");
    node.arg(repo().join("tests/browser/xss.mjs"))
        .arg(site.path().join("public"))
        .arg(&labels_file);
    let stdout = node_passes(&mut node, "vectors ran in the browser");
    assert!(stdout.contains("ok   no vector ran script"), "{stdout}");
}

#[test]
fn site_works_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let example = Site::empty();
    copy_dir(&repo().join("content"), &example.path().join("content"));
    std::fs::copy(
        repo().join("opsbook.toml"),
        example.path().join("opsbook.toml"),
    )
    .unwrap();
    example.run(&["build"]).expect_code(0);
    let mut args = vec![
        repo().join("tests/browser/run.mjs").display().to_string(),
        example.path().join("public").display().to_string(),
    ];
    let large = Site::empty();
    if let Some(shared) = shared() {
        let generated = Command::new("python3")
            .arg(shared.join("bench/gen_corpus.py"))
            .args(["--pages", "10000", "--flavor", "plain", "--out"])
            .arg(large.path().join("runbooks"))
            .output()
            .expect("run gen_corpus.py");
        assert!(
            generated.status.success(),
            "{}",
            String::from_utf8_lossy(&generated.stderr)
        );
        large
            .run(&["build", "runbooks", "--out", "site"])
            .expect_code(0);
        args.push(large.path().join("site").display().to_string());
    }
    // Phone layout on a real collection: the shared corpus, built as it is.
    let corpus = Site::empty();
    let mut node = Command::new("node");
    if let Some(shared) = shared() {
        copy_dir(&shared.join("corpus/openshift-runbooks"), corpus.path());
        corpus.run(&["build", "--out", "site"]).expect_code(0);
        node.env("CORPUS_SITE", corpus.path().join("site"));
    }
    // Variables, on a site made to attack them.
    let variables = Site::empty();
    copy_dir(&repo().join("tests/fixtures/variables"), variables.path());
    variables.run(&["build", "--out", "site"]).expect_code(0);
    node.env("VARIABLES_SITE", variables.path().join("site"));
    // Live reload against the real server: the example site and 1,000 generated runbooks.
    let live = Site::empty();
    copy_dir(&repo().join("content"), &live.path().join("content"));
    std::fs::copy(
        repo().join("opsbook.toml"),
        live.path().join("opsbook.toml"),
    )
    .unwrap();
    let example_server = crate::serve::Server::start(&live, &[]);
    node.env(
        "SERVE_EXAMPLE",
        format!(
            "http://127.0.0.1:{}/|{}|sophmate/backup-and-staging.html",
            example_server.port,
            live.path()
                .join("content/sophmate/backup-and-staging.md")
                .display()
        ),
    );
    let thousand = Site::empty();
    let _large_server = crate::helpers::generate(1000, thousand.path()).then(|| {
        let server = crate::serve::Server::start(&thousand, &[]);
        let first = walkdir::WalkDir::new(thousand.path())
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .find(|e| e.path().extension().is_some_and(|x| x == "md"))
            .unwrap();
        let rel = first
            .path()
            .strip_prefix(thousand.path())
            .unwrap()
            .with_extension("html");
        node.env(
            "SERVE_LARGE",
            format!(
                "http://127.0.0.1:{}/|{}|{}",
                server.port,
                first.path().display(),
                rel.display()
            ),
        );
        server
    });
    let stdout = node_passes(node.args(&args), "browser tests failed");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

/// The runtime groups a query's words exactly as the index splits fields
/// (`opsbook::search::field_tokens`): the compound first, then its parts. Checked on
/// hand-picked names and on every title of the shared corpus.
#[test]
fn the_runtime_tokenizes_queries_as_the_index_splits_fields() {
    if Command::new("node").arg("--version").output().is_err() {
        if std::env::var_os("OPSBOOK_REQUIRE_BROWSER").is_some() {
            panic!("node is required");
        }
        return;
    }
    let mut texts: Vec<String> = [
        "KubeAPIDown",
        "CPUThrottlingHigh",
        "etcdDatabaseQuotaLowSpace",
        "Restart kube-state-metrics, then etcd_disk2.",
        "The pod is NOT ready",
        "x-ray a-b IPv6 HTTP2Errors 5xxRate k8s",
        "ACMUWLMetricsCollectorForwardRemoteWriteError",
        "ÉtéÉTÉ straße Σίσυφος 日本語テスト node.kubernetes.io/role",
    ]
    .map(String::from)
    .to_vec();
    if let Some(shared) = shared() {
        for e in walkdir::WalkDir::new(shared.join("corpus"))
            .into_iter()
            .flatten()
        {
            if e.path().extension().is_some_and(|x| x == "md") {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                texts.extend(
                    text.lines()
                        .filter(|l| l.starts_with('#'))
                        .map(String::from),
                );
            }
        }
    }
    assert!(texts.len() > 100 || shared().is_none());
    let expected: Vec<Vec<String>> = texts
        .iter()
        .map(|t| {
            let mut out = Vec::new();
            opsbook::search::field_tokens(t, &mut |w| out.push(w.to_string()));
            out
        })
        .collect();
    let script = r#"
const s = require("fs").readFileSync(process.argv[1], "utf8");
const STOP = {};
const list = s.slice(s.indexOf("var STOP = {};")).split(".split(")[0].split('"').filter((_, i) => i % 2).join("");
list.split(" ").forEach((w) => { if (w) STOP[w] = 1; });
const tokens = new Function("STOP", s.slice(s.indexOf("  var AN ="), s.indexOf("  // Every word of the groups")) + "; return tokens;")(STOP);
const texts = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(texts.map((t) => tokens(t).flatMap((g) => (g.w ? [g.w] : []).concat(g.parts)))));
"#;
    let mut child = Command::new("node")
        .args(["-e", script])
        .arg(repo().join("themes/default/static/assets/opsbook-search.js"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&texts).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    for ((text, want), got) in texts.iter().zip(&expected).zip(&got) {
        assert_eq!(got, want, "{text}");
    }
}

/// Search quality on the OpenShift corpus (`bench/search-quality.mjs`, in Chromium through the
/// site's own runtime): issue 18's targets for alert names as typed, split into words and
/// misspelt, and for queries that find nothing. Symptom words are held at today's level until
/// ranking reaches the target (88%).
#[test]
fn search_finds_the_runbook_first_on_the_openshift_corpus() {
    let Some(shared) = shared() else {
        return;
    };
    if !browser_available() {
        return;
    }
    let mut node = Command::new("node");
    node.arg(repo().join("bench/search-quality.mjs"))
        .arg(shared.join("corpus/openshift-runbooks"))
        .arg("--opsbook")
        .arg(crate::helpers::binary())
        .args([
            "--min",
            "exact=0.98",
            "--min",
            "split=0.95",
            "--min",
            "typo=0.80",
        ])
        .args(["--min", "title=0.98", "--min", "symptom=0.72"])
        .args(["--min", "no-result=0.02"]);
    node_passes(&mut node, "search quality below target");
}
