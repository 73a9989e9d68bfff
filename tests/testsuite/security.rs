//! Hostile runbooks, file names, output folders and configuration: one regression test per
//! defect found by the attack on the landed code (issue "Security hardening"), named after it.
//! The vector corpus in a real browser is `browser.rs`; property tests are next to the code.

use crate::helpers::Site;

const HEAD: &str =
    "---\ntitle: T\nowner: ops\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n";
const TAIL: &str = "\n\n## Acceptance checks\n\n- Done.\n";

fn runbook(body: &str) -> String {
    format!("{HEAD}{body}{TAIL}")
}

/// The opening tags of an HTML page, each up to its `>` (opsbook writes every attribute value
/// escaped, so no `>` sits inside one).
fn tags(html: &str) -> Vec<&str> {
    html.match_indices('<')
        .filter_map(|(i, _)| html[i..].find('>').map(|e| &html[i..=i + e]))
        .collect()
}

#[test]
fn marker_characters_in_raw_html_cannot_shift_attribute_boundaries() {
    let site = Site::empty();
    site.write(
        "content/database/failover.md",
        "---\ntitle: Database failover\nowner: ops\ncadence: monthly\n---\n\nx\n",
    );
    // Forged link markers (`&#1;` decoded inside an attribute, a literal one in text), forged
    // related-operations markers, and the table-of-contents marker.
    site.write(
        "content/a.md",
        runbook(
            "<img src=x alt=\"&#1;\">\u{1}\" onerror=alert(1) x=\"<b>bold</b>\n\n\
             [[_TOC_]]\n\n\
             ## Related operations\n\n\
             - <img alt=\"&#2;Database failover&#3;\" title=\"&#2;\" src=\"x\">\u{3}\" onerror=alert(2) \"\n\
             - [link](database/failover.md \"&#1;0&#1;\") \u{4}TOC\u{4} &#2;Database failover&#3;\n\
             - <a href=\"&#1;0&#1;\">forged link</a>\n",
        ),
    );
    site.run(&["build"]).expect_code(0);
    let page = site.read("public/a.html");
    for c in ['\u{1}', '\u{2}', '\u{3}'] {
        assert!(!page.contains(c), "a marker reached the page: {c:?}");
    }
    for tag in tags(&page) {
        let lower = tag.to_ascii_lowercase();
        assert!(!lower.contains("onerror"), "event handler in {tag}");
    }
    // The forged link mark did not become the URL of the page's first link.
    assert!(page.contains("<a href=\"\u{fffd}0\u{fffd}\""), "{page}");
    assert_eq!(
        page.matches("toc-inline").count(),
        1,
        "one table of contents"
    );
}

#[test]
fn a_folder_named_like_a_url_scheme_is_linked_as_a_path() {
    let site = Site::empty();
    site.write(
        "content/javascript:alert(1)/x.md",
        runbook("[home](../index.md)\n"),
    );
    site.write(
        "content/index.md",
        "# Home\n\n[x](./javascript:alert(1)/x.md)\n",
    );
    site.run(&["build"]).expect_code(0);
    for page in [
        "index.html",
        "javascript:alert(1)/index.html",
        "completeness.html",
        "review-calendar.html",
        "wanted.html",
        "owners/ops.html",
    ] {
        let html = site.read(&format!("public/{page}"));
        for tag in tags(&html) {
            for attr in ["href=\"", "src=\""] {
                if let Some(at) = tag.find(attr) {
                    let url = &tag[at + attr.len()..];
                    assert!(
                        !url.to_ascii_lowercase().starts_with("javascript"),
                        "{page}: {tag}"
                    );
                }
            }
        }
    }
    assert!(
        site.read("public/index.html")
            .contains("href=\"./javascript%3Aalert%281%29/x.html\"")
    );
    crate::site::check_links(&site.path().join("public"));
}

#[test]
fn pages_named_with_url_characters_are_reached() {
    let site = Site::empty();
    let names = ["x#y", "a?b", "100%41", "sp ace", "quo\"te", "l<t>", "ünï"];
    let mut index = String::from("# Home\n\n");
    for name in names {
        site.write(&format!("content/{name}.md"), runbook("## Steps\n\nDo.\n"));
        let encoded = opsbook::text::encode_path(&format!("{name}.md"));
        index.push_str(&format!("- [{name}](<{encoded}#steps>)\n"));
    }
    site.write("content/index.md", &index);
    site.run(&["check"]).expect_code(0);
    site.run(&["build"]).expect_code(0);
    let checked = crate::site::check_links(&site.path().join("public"));
    assert!(checked > 50, "{checked}");
    let home = site.read("public/index.html");
    assert!(home.contains("href=\"./x%23y.html#steps\""), "{home}");
    assert!(home.contains("href=\"./100%2541.html\""), "{home}");
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| !e.file_type().is_dir())
        .map(|e| e.path().strip_prefix(dir).unwrap().display().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn front_matter_values_cannot_write_outside_the_output_folder() {
    let outer = Site::empty();
    let root = outer.path().join("a/b/site");
    let traversal = "\"../../../PWNED\"";
    outer.write(
        "a/b/site/content/r.md",
        format!(
            "---\ntitle: T\nowner: {traversal}\nteam: \"../../team\"\nservice: \"/etc/x\"\nseverity: \"..\"\n\
             cadence: monthly\nlast_reviewed: 2026-11-01\n\
             tags: [{traversal}, \"..\\\\..\\\\t\"]\n\
             alerts: [{traversal}, \"a/b\", \"..\", \"CON\", \"x\\u0000y\", KubeOk]\n\
             aliases: [{traversal}, \"a\\\\..\\\\b\", \"/abs/../x\", \"a//b\", \"./x\", \"nul\", old/path]\n---\n\n\
             ## Acceptance checks\n\n- Done.\n"
        ),
    );
    let before = files_under(outer.path());
    let run = std::process::Command::new(crate::helpers::binary())
        .args(["build", "--today", crate::helpers::TODAY])
        .current_dir(&root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let after: Vec<String> = files_under(outer.path())
        .into_iter()
        .filter(|f| !f.starts_with("a/b/site/public/"))
        .collect();
    assert_eq!(
        before, after,
        "files appeared outside the output folder\n{stderr}"
    );
    let check = std::process::Command::new(crate::helpers::binary())
        .args(["check", "--today", crate::helpers::TODAY])
        .current_dir(&root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&check.stdout);
    for entry in ["../../../PWNED", "a/b", "..", "CON", "x\0y"] {
        assert!(
            report.contains(&format!(
                "`alerts` entry `{entry}` cannot name an alert page"
            )),
            "{entry}:\n{report}"
        );
    }
    for entry in [
        "../../../PWNED",
        "a\\..\\b",
        "/abs/../x",
        "a//b",
        "./x",
        "nul",
    ] {
        assert!(
            report.contains(&format!(
                "`aliases` entry `{entry}` is not a path inside the site"
            )),
            "{entry}:\n{report}"
        );
    }
    let public = root.join("public");
    assert!(public.join("alerts/KubeOk.html").is_file());
    assert!(public.join("old/path.html").is_file());
    // Facet values become slugs: the owner `../../../PWNED` has a page inside owners/.
    assert!(
        public.join("owners/pwned.html").is_file(),
        "{:?}",
        files_under(&public)
    );
}

/// A forged manifest: `.opsbook-manifest.json` listing `files`, as a checked-in `public/` may
/// carry.
fn forge_manifest(site: &Site, folder: &str, files: &[&str]) {
    let list: Vec<String> = files.iter().map(|f| format!("{f:?}")).collect();
    site.write(
        &format!("{folder}/.opsbook-manifest.json"),
        format!(
            "{{\"generator\": \"opsbook\", \"version\": 1, \"files\": [{}]}}\n",
            list.join(", ")
        ),
    );
}

fn victim(site: &Site) -> std::path::PathBuf {
    site.write("victim/keep.txt", "precious");
    site.write("victim.txt", "precious");
    site.path().join("victim")
}

fn assert_victim_intact(site: &Site) {
    assert_eq!(site.read("victim/keep.txt"), "precious");
    assert_eq!(site.read("victim.txt"), "precious");
}

#[test]
fn a_forged_manifest_cannot_make_build_or_clean_delete_through_a_symlink() {
    let site = Site::empty();
    site.write("content/r.md", runbook("Do.\n"));
    let victim = victim(&site);
    site.write("public/index.html", "old");
    std::os::unix::fs::symlink(&victim, site.path().join("public/link")).unwrap();
    forge_manifest(&site, "public", &["index.html", "link", "link/keep.txt"]);
    site.run(&["build"])
        .expect_code(2)
        .stderr_has("symlink(s) opsbook did not write (link)");
    assert_victim_intact(&site);
    assert_eq!(site.read("public/index.html"), "old", "nothing replaced");
    let clean = site.run(&["clean"]);
    clean
        .expect_code(0)
        .stderr_has("link/keep.txt (it is reached through a symlink)");
    clean.stderr_has("link (it is a symlink, and opsbook never writes one)");
    assert_victim_intact(&site);
    assert!(
        !site.exists("public/index.html"),
        "its own files are removed"
    );
    assert!(
        std::fs::symlink_metadata(site.path().join("public/link")).is_ok(),
        "the symlink itself is left"
    );
}

#[test]
fn a_forged_manifest_cannot_name_paths_outside_the_output_folder() {
    let site = Site::empty();
    site.write("content/r.md", runbook("Do.\n"));
    victim(&site);
    let abs = site.path().join("victim.txt").display().to_string();
    site.write("public/index.html", "old");
    forge_manifest(
        &site,
        "public",
        &[
            "index.html",
            "../victim.txt",
            "x/../../victim.txt",
            &abs,
            "./../victim/keep.txt",
            "",
        ],
    );
    site.run(&["clean"])
        .expect_code(0)
        .stderr_has("it is not a path inside the output folder");
    assert_victim_intact(&site);
    assert!(!site.exists("public"));
    // The same entries in the output a build replaces.
    site.write("public/index.html", "old");
    forge_manifest(&site, "public", &["index.html", "../victim.txt", &abs]);
    site.run(&["build"])
        .expect_code(0)
        .stderr_has("left 2 manifest entries alone");
    assert_victim_intact(&site);
}

#[test]
fn a_planted_previous_output_folder_is_not_emptied_through_a_symlink() {
    let site = Site::empty();
    site.write("content/r.md", runbook("Do.\n"));
    let victim = victim(&site);
    forge_manifest(&site, "victim", &["keep.txt"]);
    site.run(&["build"]).expect_code(0);
    std::os::unix::fs::symlink(&victim, site.path().join(".public.opsbook-old")).unwrap();
    site.run(&["build"])
        .expect_code(2)
        .stderr_has("not a folder");
    assert_eq!(site.read("victim/keep.txt"), "precious");
    assert!(site.exists("public/r.html"), "the previous output stays");
}

#[test]
fn clean_refuses_the_site_root_as_output_folder() {
    let site = Site::empty();
    site.write("content/r.md", runbook("Do.\n"));
    site.write("opsbook.toml", "[site]\noutput_dir = \".\"\n");
    site.write("precious.txt", "precious");
    forge_manifest(&site, ".", &["precious.txt"]);
    site.run(&["clean"])
        .expect_code(2)
        .stderr_has("it is the site root or a folder above it");
    assert_eq!(site.read("precious.txt"), "precious");
}

#[test]
fn a_two_character_cadence_is_a_finding_not_a_panic() {
    let site = Site::empty();
    site.write(
        "content/r.md",
        "---\ntitle: T\nowner: ops\ncadence: aé\n---\n\n## Acceptance checks\n\n- Done.\n",
    );
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("error[invalid-cadence]");
    site.run(&["build"]).expect_code(0);
    assert!(site.read("public/r.html").contains("aé"));
}

#[test]
fn a_control_character_in_a_quoted_title_is_read_as_the_full_parser_reads_it() {
    let site = Site::empty();
    site.write(
        "content/r.md",
        "---\ntitle: \"Disk\u{1}full\"\nowner: ops\ncadence: monthly\n---\n\n## Acceptance checks\n\n- Done.\n",
    );
    // serde-saphyr refuses the control character; the fast path used to take it as text.
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("error[front-matter-syntax]");
}

#[test]
fn config_urls_are_checked_like_link_urls() {
    for (key, value) in [
        ("base_url", "javascript:alert(1)//"),
        ("edit_url", "javascript:alert(1)//{path}"),
        ("edit_url", "JaVaScRiPt:alert(1)"),
        ("base_url", "data:text/html,x"),
        ("edit_url", "vbscript:x"),
    ] {
        let site = Site::empty();
        site.write("content/r.md", runbook("Do.\n"));
        site.write("opsbook.toml", format!("[site]\n{key} = \"{value}\"\n"));
        site.run(&["build"]).expect_code(2).stderr_has(&format!(
            "opsbook.toml:2:1: invalid configuration: `{key}` has the scheme"
        ));
        assert!(!site.exists("public"));
    }
    let site = Site::empty();
    site.write("content/r.md", runbook("Do.\n"));
    site.write("opsbook.toml", "[site]\nedit_url = \"java\\tscript:x\"\n");
    site.run(&["build"])
        .expect_code(2)
        .stderr_has("`edit_url` holds a control character");
    site.write("opsbook.toml", "");
    site.run(&["build", "--base-url", "javascript:alert(1)//"])
        .expect_code(2)
        .stderr_has("--base-url has the scheme `javascript:`");
    site.write(
        "opsbook.toml",
        "[site]\nbase_url = \"https://runbooks.example/ops/\"\nedit_url = \"https://git.example/-/edit/main/{path}\"\n",
    );
    site.write("content/a b#c.md", runbook("Do.\n"));
    site.run(&["build"]).expect_code(0);
    assert!(
        site.read("public/a b#c.html")
            .contains("href=\"https://git.example/-/edit/main/content/a%20b%23c.md\"")
    );
}

#[test]
fn serve_reads_host_and_origin_exactly() {
    let site = Site::empty();
    site.write("content/r.md", runbook("Do.\n"));
    let server = crate::serve::Server::start(&site, &[]);
    let port = server.port;
    let status = |headers: &[(&str, &str)]| server.request("/r.html", headers).0;
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(status(&[("Host", &host)]), 200, "{host}");
    }
    for host in [
        "localhost:evil".to_string(),
        format!("127.0.0.1:{port}@evil.example"),
        "127.0.0.1:P@evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("localhost:{}", port.wrapping_add(1)),
        "localhost".to_string(),
        format!("127.0.0.1:{port}:{port}"),
        format!("[::1]evil:{port}"),
        String::new(),
    ] {
        assert_eq!(status(&[("Host", &host)]), 403, "{host:?}");
    }
    let host = format!("127.0.0.1:{port}");
    assert_eq!(
        status(&[("Host", &host), ("Host", "evil.example")]),
        400,
        "two Host headers"
    );
    let reload = |origin: &str| {
        server
            .request("/__opsbook/status", &[("Host", &host), ("Origin", origin)])
            .0
    };
    assert_eq!(reload(&format!("http://127.0.0.1:{port}")), 200);
    assert_eq!(reload(&format!("http://localhost:{port}")), 200);
    for origin in [
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        "http://127.0.0.1".to_string(),
        format!("https://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}.evil.example"),
        format!("http://evil.example:{port}"),
        format!("http://127.0.0.1:{port}/path"),
        "null".to_string(),
        format!("127.0.0.1:{port}"),
    ] {
        assert_eq!(reload(&origin), 403, "{origin}");
    }
    assert_eq!(
        server
            .request(
                "/__opsbook/status",
                &[
                    ("Host", &host),
                    ("Origin", &format!("http://127.0.0.1:{port}")),
                    ("Origin", "http://evil.example")
                ]
            )
            .0,
        400,
        "two Origin headers"
    );
}
