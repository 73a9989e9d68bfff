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
