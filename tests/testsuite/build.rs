//! `opsbook build`: pages, links, staged output, refusals and determinism.

use crate::helpers::Site;

fn small_site() -> Site {
    let site = Site::fixture("rules/broken-anchor/clean");
    site.write("content/_index.md", "---\ntitle: Platform runbooks\n---\n\nStart with [restarting the API](runbook.md#steps).\n");
    site
}

#[test]
fn builds_pages_with_rewritten_links() {
    let site = small_site();
    site.run(&["build"])
        .expect_code(0)
        .stderr_has("built 2 runbooks");
    let page = site.read("public/runbook.html");
    assert!(page.contains("href=\"./drain.html#steps\""), "{page}");
    assert!(
        page.contains("<h2 id=\"acceptance-checks\">"),
        "heading ids"
    );
    assert!(
        page.contains("href=\"#acceptance-checks\""),
        "anchor links and table of contents"
    );
    assert!(page.contains("platform-team"), "metadata card");
    assert!(
        page.contains("rel=\"prev\" href=\"./drain.html\""),
        "previous/next"
    );
    let home = site.read("public/index.html");
    assert!(home.contains("href=\"./runbook.html#steps\""), "{home}");
    assert!(home.contains("Platform runbooks"));
    assert!(site.exists("public/404.html"));
    assert!(site.exists("public/assets/opsbook.css"));
    let drain = site.read("public/drain.html");
    assert!(drain.contains("Referenced by"), "backlinks");
}

#[test]
fn pretty_urls_write_folders() {
    let site = small_site();
    site.write("opsbook.toml", "[site]\npretty_urls = true\n");
    site.run(&["build"]).expect_code(0);
    let page = site.read("public/runbook/index.html");
    assert!(page.contains("href=\"../drain/#steps\""), "{page}");
}

#[test]
fn two_builds_give_identical_bytes() {
    let a = Site::fixture("rules/broken-anchor/clean");
    let b = Site::fixture("rules/broken-anchor/clean");
    a.run(&["build"]).expect_code(0);
    b.run(&["build"]).expect_code(0);
    Site::assert_same_tree(&a.snapshot("public"), &b.snapshot("public"));
    b.run(&["build"]).expect_code(0);
    Site::assert_same_tree(&a.snapshot("public"), &b.snapshot("public"));
}

#[test]
fn a_failed_build_leaves_the_previous_output_byte_identical() {
    let site = small_site();
    site.run(&["build"]).expect_code(0);
    let before = site.snapshot("public");
    // Two sources for one page: the site would be wrong, so nothing is written.
    site.write("content/Drain.md", site.read("content/drain.md"));
    site.run(&["build"])
        .expect_code(1)
        .stderr_has("error[output-collision]")
        .stderr_has("left untouched");
    Site::assert_same_tree(&before, &site.snapshot("public"));
    assert!(!site.exists(".public.opsbook-staging"));
    std::fs::remove_file(site.path().join("content/Drain.md")).unwrap();
    // A broken anchor or invalid YAML is published, unless the build is strict.
    let text = site
        .read("content/runbook.md")
        .replace("drain.md#steps", "drain.md#nowhere");
    site.write("content/runbook.md", text);
    site.run(&["build", "--strict"])
        .expect_code(1)
        .stderr_has("error[broken-anchor]")
        .stderr_has("left untouched");
    Site::assert_same_tree(&before, &site.snapshot("public"));
    site.write("content/drain.md", "---\nowner: [\n---\n");
    site.write("opsbook.toml", "[build]\nstrict = true\n");
    site.run(&["build"])
        .expect_code(1)
        .stderr_has("error[front-matter-syntax]");
    Site::assert_same_tree(&before, &site.snapshot("public"));
}

#[test]
fn build_publishes_with_broken_links_marked_and_no_dead_link() {
    let site = small_site();
    site.write(
        "content/runbook.md",
        site.read("content/runbook.md")
            .replace(
                "2. Restart the service.",
                "2. Restart the service ([runbook](gone.md), ![diagram](missing.png), [unsafe](javascript:alert(1))).\n3. See [the drain](drain.md#nowhere).",
            ),
    );
    site.write(
        "content/drain.md",
        "---\nowner: [\n---\n\n## Steps\n\nDrain it.\n",
    );
    let run = site.run(&["build"]);
    run.expect_code(0)
        .stderr_has("built 2 runbooks")
        .stderr_has("errors");
    let page = site.read("public/runbook.html");
    assert!(
        page.contains("<span class=\"broken-link\">runbook</span>"),
        "{page}"
    );
    assert!(page.contains("<span class=\"broken-link\">diagram</span>"));
    assert!(page.contains("<span class=\"broken-link\">unsafe</span>"));
    // A missing anchor still links to its page, at the top.
    assert!(
        page.contains("href=\"./drain.html\">the drain</a>"),
        "{page}"
    );
    // Each finding is on the page it belongs to.
    for rule in ["broken-link", "unsafe-link", "broken-anchor"] {
        assert!(page.contains(rule), "{rule} not on the page");
    }
    assert!(
        site.read("public/drain.html")
            .contains("front-matter-syntax")
    );
    // No dead internal link anywhere: what is broken is text.
    crate::site::check_links(&site.path().join("public"));
    // check remains the gate.
    site.run(&["check"]).expect_code(1);
}

#[test]
fn schema_gaps_do_not_fail_the_build_unless_strict() {
    let site = Site::fixture("rules/missing-owner/bad");
    site.run(&["build"]).expect_code(0).stderr_has("0 complete");
    let page = site.read("public/runbook.html");
    assert!(
        page.contains("Incomplete") && page.contains("missing-owner"),
        "gaps shown on the page"
    );
    site.run(&["build", "--strict"]).expect_code(1);
}

#[test]
fn output_in_the_site_root_is_refused() {
    let site = small_site();
    site.run(&["build", "--out", "."])
        .expect_code(2)
        .stderr_has("site root");
    site.run(&["build", "--out", ".."]).expect_code(2);
    site.run(&["build", "--out", "content"])
        .expect_code(2)
        .stderr_has("holds the content");
    assert!(!site.exists("index.html"));
}

#[test]
fn an_output_folder_opsbook_did_not_write_is_refused() {
    let site = small_site();
    site.write("public/keep-me.txt", "mine");
    site.run(&["build"])
        .expect_code(2)
        .stderr_has("opsbook did not create it");
    assert_eq!(site.read("public/keep-me.txt"), "mine");
    // A foreign file dropped into an output opsbook did write is refused too.
    let site = small_site();
    site.run(&["build"]).expect_code(0);
    site.write("public/notes.txt", "mine");
    site.run(&["build"]).expect_code(2).stderr_has("notes.txt");
    assert_eq!(site.read("public/notes.txt"), "mine");
    // An empty folder is fine.
    let site = small_site();
    std::fs::create_dir(site.path().join("public")).unwrap();
    site.run(&["build"]).expect_code(0);
}

#[test]
fn out_flag_writes_elsewhere() {
    let site = small_site();
    site.run(&["build", "--out", "site-out"]).expect_code(0);
    assert!(site.exists("site-out/runbook.html"));
    assert!(!site.exists("public"));
}

#[test]
fn clean_removes_only_what_opsbook_wrote() {
    let site = small_site();
    site.run(&["build"]).expect_code(0);
    site.run(&["clean"]).expect_code(0);
    assert!(!site.exists("public"));
    // Foreign files survive a clean.
    site.run(&["build"]).expect_code(0);
    site.write("public/CNAME", "runbooks.example.com");
    site.run(&["clean"]).expect_code(0).stderr_has("CNAME");
    assert_eq!(site.read("public/CNAME"), "runbooks.example.com");
    assert!(!site.exists("public/runbook.html"));
    // A folder without a manifest is refused.
    site.run(&["clean"]).expect_code(2);
}

#[test]
fn static_files_and_content_attachments_are_copied() {
    let site = small_site();
    site.write("static/logo.svg", "<svg/>");
    site.write("content/diagram.png", [137u8, 80, 78, 71]);
    let text = site.read("content/runbook.md").replace(
        "Restart the API servers one at a time.",
        "![Topology](diagram.png)",
    );
    site.write("content/runbook.md", text);
    site.run(&["build"]).expect_code(0);
    assert_eq!(site.read("public/logo.svg"), "<svg/>");
    assert!(site.exists("public/diagram.png"));
    assert!(
        site.read("public/runbook.html")
            .contains("src=\"./diagram.png\"")
    );
}

#[test]
fn theme_templates_are_overridable_one_file_at_a_time() {
    let site = small_site();
    site.write("opsbook.toml", "[site]\ntitle = \"Ops\"\n");
    site.write(
        "themes/default/templates/404.html",
        "{% extends \"base.html\" %}{% block content %}<p>Lost? {{ site.title }}</p>{% endblock content %}",
    );
    site.write("themes/default/static/assets/opsbook.css", "body{}");
    site.run(&["build"]).expect_code(0);
    assert!(site.read("public/404.html").contains("Lost? Ops"));
    assert_eq!(site.read("public/assets/opsbook.css"), "body{}");
    assert!(
        site.read("public/runbook.html").contains("meta-card"),
        "other templates stay built-in"
    );
    // A template error is exit 2 with the template's name and line.
    site.write(
        "themes/default/templates/404.html",
        "{% extends \"base.html\" %}\n{% block content %}{{ nope( }}{% endblock content %}",
    );
    let run = site.run(&["build"]);
    run.expect_code(2).stderr_has("404.html");
}

#[test]
fn the_sidebar_is_a_template_of_its_own() {
    let site = small_site();
    site.write(
        "themes/default/templates/sidebar.html",
        "<nav class=\"mine\">{% for s in site.sections %}[{{ s.title }}]{% endfor %}{{ site.home }}</nav>\n",
    );
    let drain = site.read("content/drain.md");
    site.write(
        "content/nodes/cordon.md",
        drain.replace("title: Drain a node", "title: Cordon a node"),
    );
    site.run(&["build"]).expect_code(0);
    let page = site.read("public/runbook.html");
    assert!(page.contains("<nav class=\"mine\">"), "{page:.2000}");
    assert!(!page.contains("class=\"sidebar\""));
    // Rendered once per folder, with that folder's URLs.
    assert!(page.contains("[Nodes]index.html</nav>"), "{page:.2000}");
    assert!(
        site.read("public/nodes/cordon.html")
            .contains("[Nodes]../index.html</nav>")
    );
    // An error while rendering it fails the build and names it; the last output stays.
    site.write(
        "themes/default/templates/sidebar.html",
        "<nav>{{ site.title | round }}</nav>\n",
    );
    let run = site.run(&["build"]);
    run.expect_code(2).stderr_has("sidebar.html");
    assert_eq!(site.read("public/runbook.html"), page);
}

#[test]
fn front_matter_values_are_escaped() {
    let site = Site::fixture("rules/missing-owner/clean");
    let text = site.read("content/runbook.md").replace(
        "owner: platform-team",
        "owner: \"<script>alert(1)</script>\"",
    );
    site.write("content/runbook.md", text);
    site.run(&["build"]).expect_code(0);
    let page = site.read("public/runbook.html");
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("&lt;script&gt;"));
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = small_site();
    let text = site
        .read("content/drain.md")
        .replace("title: Drain a node", "title: Drain a node\ndraft: true");
    site.write("content/drain.md", text);
    // A published page linking to a draft: the link is marked text, its finding on the page.
    site.run(&["build"]).expect_code(0);
    assert!(!site.exists("public/drain.html"));
    assert!(
        site.read("public/runbook.html")
            .contains("<span class=\"broken-link\">how</span>")
    );
    assert!(site.read("public/runbook.html").contains("broken-link"));
    site.run(&["build", "--drafts"]).expect_code(0);
    assert!(site.exists("public/drain.html"));
}

/// `build` keeps only line indexes of the sources, not their text: findings must still be
/// placed (and errors quoted) exactly as `check` places them, non-ASCII lines included.
#[test]
fn build_places_findings_like_check() {
    let site = small_site();
    let text = site.read("content/runbook.md").replace(
        "1. Drain the node ([how](drain.md#steps)).",
        "1. Überprüfe — café ☕ — drain the node ([how](drain.md#nowhere)).",
    );
    site.write("content/runbook.md", text);
    // A warning in a non-ASCII file, shown on its page with its line.
    site.write(
        "content/drain.md",
        site.read("content/drain.md")
            .replace("last_reviewed: 2026-10-01", "last_reviewed: 2020-01-01")
            .replace("---\n\n", "---\n\nÄrger vermeiden.\n\n"),
    );
    let check = site.run(&["check", "--today", "2026-11-23"]);
    // `content/runbook.md:12:41: error[broken-anchor]: …` -> `content/runbook.md:12:41`
    let at = |out: &str, rule: &str| -> String {
        let line = out
            .lines()
            .find(|l| l.contains(&format!("[{rule}]")))
            .unwrap_or_else(|| panic!("no {rule} in {out}"));
        line.split(": ").next().unwrap().to_string()
    };
    let anchor = at(&check.stdout, "broken-anchor");
    assert_eq!(anchor, "content/runbook.md:12:41", "{}", check.stdout);
    let build = site.run(&["build", "--strict", "--today", "2026-11-23"]);
    build.expect_code(1);
    assert_eq!(
        at(&build.stderr, "broken-anchor"),
        anchor,
        "{}",
        build.stderr
    );
    build.stderr_has("Überprüfe — café ☕ — drain the node");

    // Without the error the build succeeds; the warning's line is on the page.
    let overdue = at(&check.stdout, "review-overdue");
    let line = overdue.split(':').nth(1).unwrap().to_string();
    site.write(
        "content/runbook.md",
        site.read("content/runbook.md")
            .replace("#nowhere", "#steps"),
    );
    site.run(&["build", "--today", "2026-11-23"]).expect_code(0);
    let page = site.read("public/drain.html");
    assert!(page.contains("review-overdue"), "{page}");
    assert!(
        page.contains(&format!("line {line}")),
        "line {line}: {page}"
    );
}
