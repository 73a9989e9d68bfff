//! Drop-in adoption: repositories written for Hugo, MkDocs, GOV.UK tech-docs and GitLab
//! (`tests/fixtures/flavors/`), checked and built zero-config from their root. Each test names
//! every finding the repository should give, at its line and column, and nothing else: what the
//! generator itself defines (its front-matter keys, heading ids, URL forms, shortcodes, owners)
//! is never a finding.

use crate::helpers::Site;
use std::collections::BTreeSet;

/// Every finding of `check --format json`: (rule, path, line, column).
fn findings(site: &Site, args: &[&str]) -> BTreeSet<(String, String, u64, u64)> {
    let mut argv = vec!["check", "--format", "json"];
    argv.extend(args);
    let run = site.run(&argv);
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn expect(list: &[(&str, &str, u64, u64)]) -> BTreeSet<(String, String, u64, u64)> {
    list.iter()
        .map(|(r, p, l, c)| (r.to_string(), p.to_string(), *l, *c))
        .collect()
}

/// Every runbook's (id, owner, where the owner came from).
fn owners(site: &Site, args: &[&str]) -> Vec<(String, String, String)> {
    let mut argv = vec!["check", "--format", "json"];
    argv.extend(args);
    let report: serde_json::Value = serde_json::from_str(&site.run(&argv).stdout).unwrap();
    report["runbooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
            (s("id"), s("owner"), s("owner_from"))
        })
        .collect()
}

fn built(site: &Site) -> String {
    let run = site.run(&["build"]);
    run.expect_code(0);
    crate::site::check_links(&site.path().join("public"));
    run.stderr
}

#[test]
fn a_hugo_site_with_shortcodes_and_weights() {
    let site = Site::fixture("flavors/hugo");
    assert_eq!(
        findings(&site, &[]),
        expect(&[
            // A typo of a known field is still caught.
            ("unknown-field", "content/database/failover.md", 8, 1),
            ("broken-link", "content/database/failover.md", 25, 35),
        ])
    );
    site.run(&["check"])
        .stdout_has("flavor hugo (from hugo.toml), runbooks in ./content");
    built(&site);
    // Hugo's pretty URLs are kept, so readers' bookmarks still work.
    assert!(!site.exists("public/database/failover.html"));
    let page = site.read("public/database/failover/index.html");
    // {{< param >}} is filled in; a link through an unknown param is text, not broken.
    assert!(
        page.contains("href=\"https://grafana.example.org/d/postgres\""),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"link-text\">logs</span>"),
        "{page}"
    );
    // ref, relref and root-absolute page URLs lead to the page; duplicate headings get -1.
    assert!(
        page.contains("href=\"../../database/replication/\""),
        "{page}"
    );
    assert!(
        page.contains("href=\"../../database/replication/#steps\""),
        "{page}"
    );
    assert!(page.contains("href=\"#steps-1\""), "{page}");
    // Pages in the order of their weights, not their titles.
    let section = site.read("public/database/index.html");
    assert!(
        section.find("Replication lag").unwrap() < section.find("Database failover").unwrap(),
        "{section}"
    );
    // Hugo's static/ is served at the root; its themes/ are not opsbook's.
    assert!(site.exists("public/images/topology.png"));
    assert!(
        page.contains("<div class=\"body\">"),
        "the built-in theme: {page}"
    );
    // The generated tag page cannot be checked: with the rule on, it says so.
    site.write("opsbook.toml", "[rules]\nunverifiable-link = \"warning\"\n");
    let with_rule = findings(&site, &[]);
    assert!(
        with_rule.contains(&(
            "unverifiable-link".to_string(),
            "content/database/failover.md".to_string(),
            19,
            35
        )),
        "{with_rule:?}"
    );
    // With an opsbook.toml, fields the schema does not declare are reported as before.
    assert!(
        with_rule.iter().any(|f| f.0 == "unknown-field" && f.2 == 8),
        "{with_rule:?}"
    );
    // The site's own pretty_urls wins over the generator's layout; the site keeps the
    // generator's title until opsbook.toml names one.
    site.write("opsbook.toml", "[site]\npretty_urls = false\n");
    built(&site);
    assert!(site.exists("public/database/failover.html"));
    assert!(!site.exists("public/database/failover/index.html"));
    assert!(
        site.read("public/index.html")
            .contains("<title>Platform runbooks")
    );
    site.write("opsbook.toml", "[site]\ntitle = \"Our runbooks\"\n");
    built(&site);
    assert!(
        site.read("public/index.html")
            .contains("<title>Our runbooks")
    );
}

#[test]
fn an_mkdocs_site_with_docs_dir_and_python_markdown_ids() {
    let site = Site::fixture("flavors/mkdocs");
    // Anchors follow Python-Markdown's toc: the one written GitHub's way is the only finding.
    assert_eq!(
        findings(&site, &[]),
        expect(&[("broken-anchor", "docs/runbooks/node-down.md", 17, 78)])
    );
    site.run(&["check"])
        .stdout_has("flavor mkdocs (from mkdocs.yml), runbooks in ./docs");
    built(&site);
    assert!(
        site.read("public/index.html")
            .contains("<title>SRE runbooks")
    );
    // use_directory_urls: the addresses MkDocs gave are kept.
    let page = site.read("public/runbooks/disk-full/index.html");
    assert!(page.contains("id=\"disk-full-what-fills-it\""), "{page}");
    // Pages in nav's order, not their titles'.
    let section = site.read("public/runbooks/index.html");
    assert!(
        section.find("Node down").unwrap() < section.find("Disk full").unwrap(),
        "{section}"
    );
    assert!(page.contains("id=\"symptoms\""));
    assert!(page.contains("id=\"cafe-notes\""));
    assert!(
        site.read("public/runbooks/node-down/index.html")
            .contains("id=\"symptoms_1\"")
    );
}

#[test]
fn a_tech_docs_site_with_erb_sources_redirects_and_a_default_owner() {
    let site = Site::fixture("flavors/tech-docs");
    assert_eq!(
        findings(&site, &[]),
        expect(&[
            // Redcarpet gives repeated headings the same id: -1 is not there.
            ("broken-anchor", "source/manual/deploy.html.md.erb", 18, 44),
            ("broken-link", "source/manual/deploy.html.md.erb", 23, 27),
        ])
    );
    assert_eq!(
        owners(&site, &[]),
        [
            (
                "manual/deploy".to_string(),
                "#team-platform".to_string(),
                "site default".to_string()
            ),
            (
                "manual/rollback".to_string(),
                "#team-deploys".to_string(),
                "front matter".to_string()
            ),
        ]
    );
    let stderr = built(&site);
    assert!(!stderr.contains("look like documents"), "{stderr}");
    assert!(
        site.read("public/index.html")
            .contains("<title>Platform operations manual")
    );
    let page = site.read("public/manual/deploy.html");
    // The H1 made by ERB gives way to the front matter's title; ERB is never run.
    assert!(page.contains("<h1>Deploy the application"), "{page}");
    assert!(!page.contains("current_page"), "{page}");
    assert!(page.contains("&lt;%= warning_text"), "{page}");
    assert!(page.contains("href=\"../manual/rollback.html\""), "{page}");
    // old_paths and the config's redirects become redirect pages.
    assert!(
        site.read("public/manual/deploying.html")
            .contains("url=../manual/deploy.html")
    );
    assert!(
        site.read("public/old-deploy.html")
            .contains("url=./manual/deploy.html")
    );
    assert!(!site.exists("public/elsewhere.html"));
}

#[test]
fn a_gitlab_repository_with_codeowners_and_links_into_the_repository() {
    let site = Site::fixture("flavors/gitlab");
    std::fs::create_dir_all(site.path().join(".git")).unwrap();
    let expected = |prefix: &str| {
        expect(&[
            // Only a comment under it: the section is empty, and the TODO in it is no finding.
            (
                "empty-section",
                &format!("{prefix}kubernetes/pod-pending.md"),
                12,
                1,
            ),
            (
                "broken-link",
                &format!("{prefix}kubernetes/pod-pending.md"),
                25,
                5,
            ),
        ])
    };
    // From the repository root, and with the runbooks folder as the site: GitLab's heading ids
    // (runs of hyphens collapse), its own routes (/-/issues), a fence closed inside a quote,
    // and the repository's scripts (outside the content folder in the second case) are fine.
    assert_eq!(findings(&site, &[]), expected("runbooks/"));
    assert_eq!(findings(&site, &["runbooks"]), expected(""));
    site.run(&["check", "runbooks"])
        .stdout_has("flavor gitlab (from ../.gitlab-ci.yml), runbooks in runbooks");
    let owners = owners(&site, &[]);
    assert_eq!(
        owners[1],
        (
            "runbooks/kubernetes/pod-pending".to_string(),
            "@acme/sre, @acme/k8s, @ana".to_string(),
            "CODEOWNERS".to_string()
        ),
        "{owners:?}"
    );
    // A file of the repository outside the content folder: text without repo_url, a link
    // to the repository with it.
    let run = site.run(&["build", "runbooks", "--out", "site"]);
    run.expect_code(0);
    let page = site.read("site/kubernetes/pod-pending.html");
    assert!(
        page.contains("<span class=\"link-text\">the script</span>"),
        "{page}"
    );
    site.write(
        "runbooks/opsbook.toml",
        "[site]\nrepo_url = \"https://gitlab.example.com/acme/ops/-/blob/main\"\n",
    );
    site.run(&["build", "runbooks", "--out", "site"])
        .expect_code(0);
    assert!(
        site.read("site/kubernetes/pod-pending.html")
            .contains("href=\"https://gitlab.example.com/acme/ops/-/blob/main/scripts/drain.sh\"")
    );
}
