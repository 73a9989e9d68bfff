//! The example site in `content/` and real-world corpora build and check clean.

use crate::helpers::Site;

fn example() -> Site {
    crate::helpers::example_site()
}

#[test]
fn example_site_checks_clean() {
    let site = example();
    let run = site.run(&["check"]);
    run.expect_code(0).stdout_has("0 errors, 0 warnings");
    assert!(run.stdout.contains("runbooks (") && !run.stdout.contains("(0 complete)"));
}

#[test]
fn example_site_builds() {
    let site = example();
    site.run(&["build"]).expect_code(0);
    for page in [
        "index.html",
        "sophmate/index.html",
        "sophmate/incident-response.html",
        "customer-portal/alerts/redis-down.html",
        "workopti/incident-response.html",
        "support-tickets/operations-runbook.html",
    ] {
        assert!(site.exists(&format!("public/{page}")), "{page}");
    }
    // The seed that keeps its owner in the body shows it on the metadata card.
    let page = site.read("public/sophmate/incident-response.html");
    assert!(page.contains("support lead or site administrator"));
}

#[test]
fn openshift_corpus_builds_with_zero_configuration() {
    let Some(site) = crate::helpers::openshift_site() else {
        return;
    };
    let run = site.run(&["build", "alerts"]);
    run.expect_code(0);
    assert!(site.exists("alerts/public/index.html"));
    assert!(site.exists("alerts/public/cluster-etcd-operator/etcdDatabaseQuotaLowSpace.html"));
    // Relative links between runbooks (with anchors) resolve: none is broken.
    let run = site.run(&["check", "alerts"]);
    assert!(
        !run.stdout.contains("[broken-link]") && !run.stdout.contains("[broken-anchor]"),
        "{}",
        run.stdout
    );
    // A second build reads nothing from its own output.
    let before = site.snapshot("alerts/public");
    site.run(&["build", "alerts"]).expect_code(0);
    Site::assert_same_tree(&before, &site.snapshot("alerts/public"));
}
