//! `opsbook serve`: the real binary on a free port, driven over plain HTTP. Every wait is on an
//! event (a response that changed), bounded by a timeout; none is a fixed sleep.

use crate::helpers::Site;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn start(site: &Site, extra: &[&str]) -> Server {
        let mut child = Command::new(crate::helpers::binary())
            .arg("serve")
            .args(["--port", "0"])
            .args(extra)
            .current_dir(site.path())
            .env("OPSBOOK_TODAY", crate::helpers::TODAY)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start opsbook serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let port = line
            .rsplit_once("127.0.0.1:")
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        Server { child, port }
    }

    /// The body of the response to `path`.
    pub fn body(&self, path: &str) -> String {
        self.get(path).1
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.request(path, &[("Host", &format!("127.0.0.1:{}", self.port))])
    }

    pub fn request(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let response = self.raw(path, headers);
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// The whole response, headers included.
    pub fn raw(&self, path: &str, headers: &[(&str, &str)]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut req = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    }

    /// Waits (at most 10 s) until `check` holds for the response to `path`.
    #[track_caller]
    pub fn wait_for(&self, path: &str, what: &str, check: impl Fn(u16, &str) -> bool) -> Duration {
        let started = Instant::now();
        loop {
            let (status, body) = self.get(path);
            if check(status, &body) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what}: {status} {body:.300}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn site() -> Site {
    Site::fixture("rules/broken-anchor/clean")
}

#[test]
fn serves_pages_and_picks_up_edits() {
    let site = site();
    let server = Server::start(&site, &[]);
    let (status, body) = server.get("/runbook.html");
    assert_eq!(status, 200);
    assert!(
        body.contains("Restart the API") && body.contains("/__opsbook/live.js"),
        "reload script injected"
    );
    assert_eq!(server.get("/").0, 200);
    assert_eq!(server.get("/no-such-page.html").0, 404);
    // Browsers revalidate everything (no-cache); what did not change is a 304.
    let host = format!("127.0.0.1:{}", server.port);
    let raw = server.raw("/assets/opsbook.css", &[("Host", &host)]);
    assert!(raw.contains("cache-control: no-cache"), "{raw:.400}");
    let etag = raw
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .expect("an ETag")
        .to_string();
    let again = [("Host", host.as_str()), ("If-None-Match", etag.as_str())];
    assert_eq!(server.request("/assets/opsbook.css", &again).0, 304);
    let other = [("Host", host.as_str()), ("If-None-Match", "\"0\"")];
    assert_eq!(server.request("/assets/opsbook.css", &other).0, 200);
    // An editor writing in place.
    site.write(
        "content/drain.md",
        site.read("content/drain.md")
            .replace("Drain it.", "Drain it with kubectl drain."),
    );
    server.wait_for("/drain.html", "the edit", |s, b| {
        s == 200 && b.contains("kubectl drain")
    });
    // vim: write a new file and rename it over the old one.
    let text = site
        .read("content/drain.md")
        .replace("kubectl drain", "kubectl cordon first");
    site.write("content/.drain.md.swp", "x");
    site.write("content/drain.md.tmp~", &text);
    std::fs::rename(
        site.path().join("content/drain.md.tmp~"),
        site.path().join("content/drain.md"),
    )
    .unwrap();
    server.wait_for("/drain.html", "the atomic save", |_, b| {
        b.contains("kubectl cordon first")
    });
    // serve never writes the output folder.
    assert!(!site.exists("public"));
}

#[test]
fn a_bad_edit_shows_an_overlay_and_the_fix_clears_it() {
    let site = site();
    let server = Server::start(&site, &[]);
    let good = site.read("content/drain.md");
    site.write("content/drain.md", "---\nowner: [\n---\n# Drain\n");
    server.wait_for("/__opsbook/status", "the overlay", |_, b| {
        b.contains("front-matter-syntax") && b.contains("content/drain.md")
    });
    // The rest of the site still serves.
    assert_eq!(server.get("/runbook.html").0, 200);
    site.write("content/drain.md", &good);
    server.wait_for("/__opsbook/status", "the overlay to clear", |_, b| {
        b.contains("\"problems\":[]")
    });
    // A template error keeps the last good pages and says where it is. The template arrives
    // whole (written aside, then renamed), as an editor saves it: written in place, a rebuild
    // could read it empty between create and write, and an empty template is a good one.
    site.write(
        "themes/default/templates/.runbook.html.partial",
        "{% extends \"base.html\" %}{% block content %}{{ nope( }}{% endblock content %}",
    );
    std::fs::rename(
        site.path()
            .join("themes/default/templates/.runbook.html.partial"),
        site.path().join("themes/default/templates/runbook.html"),
    )
    .unwrap();
    server.wait_for("/__opsbook/status", "the template error", |_, b| {
        b.contains("runbook.html")
    });
    assert!(server.body("/runbook.html").contains("Restart the API"));
    std::fs::remove_file(site.path().join("themes/default/templates/runbook.html")).unwrap();
    server.wait_for("/__opsbook/status", "recovery", |_, b| {
        b.contains("\"problems\":[]")
    });
}

#[test]
fn renames_deletes_and_config_changes_rebuild() {
    let site = site();
    let server = Server::start(&site, &[]);
    std::fs::rename(
        site.path().join("content/drain.md"),
        site.path().join("content/drain-node.md"),
    )
    .unwrap();
    server.wait_for("/drain-node.html", "the renamed page", |s, _| s == 200);
    assert_eq!(server.get("/drain.html").0, 404);
    std::fs::remove_file(site.path().join("content/drain-node.md")).unwrap();
    server.wait_for("/drain-node.html", "the deleted page to go", |s, _| {
        s == 404
    });
    site.write("opsbook.toml", "[site]\ntitle = \"Platform on-call\"\n");
    server.wait_for("/", "the new title", |_, b| b.contains("Platform on-call"));
    site.write("static/contacts.txt", "call 555");
    server.wait_for("/contacts.txt", "the static file", |s, b| {
        s == 200 && b.contains("555")
    });
}

#[test]
fn reload_events_arrive_after_a_change() {
    let site = site();
    let server = Server::start(&site, &[]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /__opsbook/reload HTTP/1.1\r\nHost: localhost:{}\r\nAccept: text/event-stream\r\n\r\n",
        server.port
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut seen = String::new();
    let mut line = String::new();
    while !seen.contains("event: problems") {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "stream closed");
        seen.push_str(&line);
    }
    site.write(
        "content/drain.md",
        site.read("content/drain.md")
            .replace("Drain it.", "Drain it again."),
    );
    let mut read_until = |wanted: &str| {
        while !seen.contains(wanted) {
            line.clear();
            assert!(
                reader.read_line(&mut line).unwrap() > 0,
                "stream closed before {wanted:?}"
            );
            seen.push_str(&line);
        }
    };
    // A runbook's text: the tab may swap the new page in.
    read_until("event: reload\ndata: page\n");
    // A stylesheet: only loading the page again applies it.
    site.write(
        "themes/default/static/assets/opsbook.css",
        "body { color: red }",
    );
    read_until("event: reload\ndata: full\n");
}

#[test]
fn hostile_requests_are_refused() {
    let site = site();
    let server = Server::start(&site, &[]);
    let host = format!("127.0.0.1:{}", server.port);
    assert_eq!(
        server
            .request("/runbook.html", &[("Host", "evil.example")])
            .0,
        403,
        "DNS rebinding"
    );
    assert_eq!(
        server
            .request(
                "/runbook.html",
                &[("Host", &format!("localhost:{}", server.port))]
            )
            .0,
        200
    );
    for path in [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/a/..%2f..%2fetc/passwd",
        "/..%5c..%5cwindows",
        "/C:/Windows/win.ini",
    ] {
        let (status, body) = server.request(path, &[("Host", &host)]);
        assert!((400..500).contains(&status), "{path}: {status}");
        assert!(!body.contains("root:"), "{path} leaked a file");
    }
    assert_eq!(
        server
            .request(
                "/__opsbook/reload",
                &[("Host", &host), ("Origin", "https://evil.example")]
            )
            .0,
        403
    );
    assert_eq!(
        server
            .request("/__opsbook/status", &[("Host", &host), ("Origin", "null")])
            .0,
        403
    );
    let (_, body) = server.get("/runbook.html");
    assert!(!body.to_lowercase().contains("access-control-allow-origin"));
}

#[test]
fn a_taken_port_is_exit_2_naming_the_flag() {
    let site = site();
    let server = Server::start(&site, &[]);
    let port = server.port.to_string();
    let run = site.run(&["serve", "--port", &port]);
    run.expect_code(2).stderr_has(&format!("--port {port}"));
}

#[test]
fn polling_picks_up_edits_too() {
    let site = site();
    let server = Server::start(&site, &["--poll"]);
    // The poller takes its first snapshot of the files in the background; an edit made before
    // that is part of the snapshot. Edit until one is seen (bounded), as a person would save again.
    let original = site.read("content/drain.md");
    let started = Instant::now();
    for attempt in 0.. {
        let marker = format!("Drain it, polled {attempt}.");
        site.write("content/drain.md", original.replace("Drain it.", &marker));
        let deadline = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < deadline {
            if server.body("/drain.html").contains(&marker) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "polling never saw an edit"
        );
    }
}

/// What `server` serves at `pages` is what a server started afresh on the site serves (for the
/// status endpoint: the same problems; its version and update differ by design).
#[track_caller]
fn same_as_a_fresh_server(site: &Site, server: &Server, pages: &[&str]) {
    let fresh = Server::start(site, &[]);
    for page in pages {
        let (ours, theirs) = (server.get(page), fresh.get(page));
        if page.ends_with("/status") {
            let problems = |b: &str| b[b.find("\"problems\"").unwrap()..].to_string();
            assert_eq!(problems(&ours.1), problems(&theirs.1));
        } else {
            assert_eq!(ours, theirs, "{page}");
        }
    }
}

/// The status endpoint says how the version being served was made.
fn update(server: &Server) -> String {
    let (_, body) = server.get("/__opsbook/status");
    let json: serde_json::Value = serde_json::from_str(&body).expect("status is JSON");
    json["update"].as_str().unwrap_or_default().to_string()
}

/// Gives drain.md a `related` entry that names nothing (an `unknown-related` finding on line 6);
/// returns its text.
fn name_no_runbook_in_related(site: &Site) -> String {
    let text = site.read("content/drain.md").replace(
        "last_reviewed: 2026-10-01\n",
        "last_reviewed: 2026-10-01\nrelated: [no-such-runbook]\n",
    );
    site.write("content/drain.md", &text);
    text
}

#[test]
fn a_review_falling_due_soon_stays_on_a_patched_page() {
    let site = site();
    site.write("opsbook.toml", "[rules]\nreview-due-soon = \"warning\"\n");
    // Quarterly from 2026-09-15: due 2026-12-15, within 30 days of 2026-11-23.
    let text = site
        .read("content/drain.md")
        .replace("last_reviewed: 2026-10-01", "last_reviewed: 2026-09-15");
    site.write("content/drain.md", &text);
    let server = Server::start(&site, &[]);
    let due = "review falls due on 2026-12-15, in 22 days";
    assert!(server.body("/drain.html").contains(due));
    site.write(
        "content/drain.md",
        text.replace("Drain it.", "Drain it slowly."),
    );
    server.wait_for("/drain.html", "the edit", |_, b| b.contains("slowly"));
    assert_eq!(update(&server), "patch");
    assert!(server.body("/drain.html").contains(due));
    same_as_a_fresh_server(&site, &server, &["/drain.html", "/__opsbook/status"]);
}

#[test]
fn related_entries_are_patched() {
    let site = site();
    let original = name_no_runbook_in_related(&site);
    let server = Server::start(&site, &[]);
    assert!(server.body("/drain.html").contains("unknown-related"));
    // The entry now names a runbook: the finding goes, the page lists it, and the runbook it
    // names is referenced by this one.
    site.write(
        "content/drain.md",
        original.replace("related: [no-such-runbook]", "related: [runbook]"),
    );
    server.wait_for("/drain.html", "the finding to go", |_, b| {
        !b.contains("unknown-related")
    });
    assert_eq!(update(&server), "patch");
    assert!(server.body("/drain.html").contains("<h2>Related</h2>"));
    same_as_a_fresh_server(
        &site,
        &server,
        &[
            "/drain.html",
            "/runbook.html",
            "/completeness.html",
            "/__opsbook/status",
        ],
    );
}

#[test]
fn related_operations_items_are_patched_unless_what_they_want_changes() {
    let site = site();
    site.write("opsbook.toml", "[rules]\norphan = \"warning\"\n");
    site.write(
        "content/lonely.md",
        "---\ntitle: Rotate the keys\nowner: platform-team\ncadence: quarterly\nlast_reviewed: 2026-10-01\n---\n\n## Steps\n\nRotate them.\n\n## Acceptance checks\n\n- Old keys are refused.\n",
    );
    let server = Server::start(&site, &[]);
    assert!(server.body("/lonely.html").contains("orphan"));
    // An item naming a runbook by its title: that runbook is referenced, no orphan any more.
    // (runbook.md: nothing links into its headings, so a new section there is a patch.)
    let runbook = site.read("content/runbook.md");
    site.write(
        "content/runbook.md",
        format!("{runbook}\n## Related operations\n\n- Rotate the keys\n"),
    );
    server.wait_for("/lonely.html", "the reference", |_, b| {
        !b.contains("orphan")
    });
    assert_eq!(update(&server), "patch");
    same_as_a_fresh_server(
        &site,
        &server,
        &[
            "/lonely.html",
            "/drain.html",
            "/wanted.html",
            "/__opsbook/status",
        ],
    );
    // An item naming no runbook: a wanted title, which takes loading the site.
    site.write(
        "content/runbook.md",
        format!("{runbook}\n## Related operations\n\n- Rotate the keys\n- Replace the disk\n"),
    );
    server.wait_for("/runbook.html", "the unresolved reference", |_, b| {
        b.contains("unresolved-reference")
    });
    assert_eq!(update(&server), "build");
    same_as_a_fresh_server(&site, &server, &["/wanted.html", "/runbook.html"]);
}

#[test]
fn heading_edits_are_patched_unless_a_link_points_into_them() {
    let site = site();
    let server = Server::start(&site, &[]);
    // Nothing links into runbook.md's headings: a new one is a patch.
    site.write(
        "content/runbook.md",
        site.read("content/runbook.md").replace(
            "## Acceptance checks",
            "## Verify\n\nWatch the error rate.\n\n## Acceptance checks",
        ),
    );
    server.wait_for("/runbook.html", "the new heading", |_, b| {
        b.contains("id=\"verify\"")
    });
    assert_eq!(update(&server), "patch");
    same_as_a_fresh_server(
        &site,
        &server,
        &["/runbook.html", "/drain.html", "/__opsbook/status"],
    );
    // runbook.md links to drain.md#steps: renaming that heading breaks the link, which only
    // loading the whole site finds.
    site.write(
        "content/drain.md",
        site.read("content/drain.md")
            .replace("## Steps", "## Procedure"),
    );
    server.wait_for("/__opsbook/status", "the broken anchor", |_, b| {
        b.contains("broken-anchor") && b.contains("content/runbook.md")
    });
}

#[test]
fn owner_and_tag_edits_are_patched_and_the_facet_pages_follow() {
    let site = site();
    // A `related` entry that names nothing: a site-wide finding, below the lines edited.
    let original = name_no_runbook_in_related(&site);
    let server = Server::start(&site, &[]);
    assert_eq!(server.get("/owners/platform-team.html").0, 200);
    assert_eq!(server.get("/tags/nodes.html").0, 404);
    assert!(server.body("/drain.html").contains("line 6: related entry"));

    // A new owner and a first tag: the runbook's page, the owners and tags pages change, and
    // the finding moves down a line with its entry.
    site.write(
        "content/drain.md",
        original.replace("owner: platform-team", "owner: storage-team\ntags: [nodes]"),
    );
    server.wait_for("/drain.html", "the new owner", |_, b| {
        b.contains("storage-team")
    });
    assert_eq!(update(&server), "patch");
    assert!(server.body("/drain.html").contains("line 7: related entry"));
    let (status, tag_page) = server.get("/tags/nodes.html");
    assert_eq!(status, 200);
    assert!(tag_page.contains("Drain a node"), "{tag_page:.600}");
    assert!(
        server
            .body("/owners/storage-team.html")
            .contains("Drain a node")
    );
    // What the patch made is what loading the site afresh makes.
    same_as_a_fresh_server(
        &site,
        &server,
        &[
            "/drain.html",
            "/runbook.html",
            "/index.html",
            "/owners/index.html",
            "/owners/platform-team.html",
            "/owners/storage-team.html",
            "/tags/index.html",
            "/tags/nodes.html",
            "/completeness.html",
            "/opsbook-search/meta.js",
        ],
    );

    // The tag goes again: so does its page.
    site.write(
        "content/drain.md",
        original.replace("owner: platform-team", "owner: storage-team"),
    );
    server.wait_for("/tags/nodes.html", "the tag page to go", |status, _| {
        status == 404
    });
    assert_eq!(update(&server), "patch");

    // An alert name: its stable page appears, and the alerts index lists it.
    site.write(
        "content/drain.md",
        original.replace(
            "owner: platform-team",
            "owner: storage-team\nalerts: [NodeNotReady]",
        ),
    );
    server.wait_for(
        "/alerts/NodeNotReady.html",
        "the alert page",
        |status, _| status == 200,
    );
    assert_eq!(update(&server), "patch");
    same_as_a_fresh_server(
        &site,
        &server,
        &[
            "/alerts/index.html",
            "/alerts/NodeNotReady.html",
            "/drain.html",
            "/index.html",
        ],
    );

    // An alias in a facet's folder competes with the facet pages for paths: a new owner then
    // loads the whole site again, which finds the alias now collides with the owner's page.
    site.write(
        "content/runbook.md",
        site.read("content/runbook.md")
            .replacen("---\n", "---\naliases: [owners/ops]\n", 1),
    );
    server.wait_for("/owners/ops.html", "the alias", |status, _| status == 200);
    assert!(
        !server
            .body("/__opsbook/status")
            .contains("output-collision")
    );
    site.write(
        "content/drain.md",
        original.replace("owner: platform-team", "owner: ops"),
    );
    server.wait_for("/__opsbook/status", "the collision", |_, b| {
        b.contains("output-collision") && b.contains("content/runbook.md")
    });
    assert!(server.body("/drain.html").contains(">ops<"));
}

#[test]
fn body_edits_are_patched_in_place_and_wider_edits_rebuild() {
    let site = site();
    site.write(
        "content/_index.md",
        "---\ntitle: Platform runbooks\n---\n\nStart with [restarting the API](runbook.md#steps).\n",
    );
    let lonely = "---\ntitle: Rotate the keys\nowner: platform-team\ncadence: quarterly\nlast_reviewed: 2026-10-01\n---\n\n## Steps\n\nRotate them.\n\n## Acceptance checks\n\n- Old keys are refused.\n";
    site.write("content/lonely.md", lonely);
    site.write("opsbook.toml", "[rules]\norphan = \"warning\"\n");
    let server = Server::start(&site, &[]);
    assert_eq!(update(&server), "build");

    // Text of the body: only that page changes.
    site.write(
        "content/drain.md",
        site.read("content/drain.md")
            .replace("Drain it.", "Drain it gently."),
    );
    server.wait_for("/drain.html", "the edit", |_, b| b.contains("gently"));
    assert_eq!(update(&server), "patch");

    // A broken link in the body: the overlay shows it, the fix clears it, both patched.
    let good = site.read("content/drain.md");
    site.write(
        "content/drain.md",
        good.replace(
            "Drain it gently.",
            "Drain it as [the guide](missing.md) says.",
        ),
    );
    server.wait_for("/__opsbook/status", "the broken link", |_, b| {
        b.contains("broken-link") && b.contains("content/drain.md")
    });
    assert_eq!(update(&server), "patch");
    site.write("content/drain.md", &good);
    server.wait_for("/__opsbook/status", "the fix", |_, b| {
        b.contains("\"problems\":[]")
    });
    assert_eq!(update(&server), "patch");

    // Findings that come from the whole site stay: nothing links to lonely.md.
    site.write(
        "content/lonely.md",
        lonely.replace("Rotate them.", "Rotate them thoroughly."),
    );
    server.wait_for("/lonely.html", "the edit", |_, b| b.contains("thoroughly"));
    assert_eq!(update(&server), "patch");
    assert!(server.body("/lonely.html").contains("orphan"));

    // A review date in the front matter: the page, the calendar and the completeness report
    // are rendered from the site on request, so this is a patch too.
    site.write(
        "content/lonely.md",
        site.read("content/lonely.md")
            .replace("last_reviewed: 2026-10-01", "last_reviewed: 2024-01-15"),
    );
    server.wait_for("/lonely.html", "the new review date", |_, b| {
        b.contains("2024-01-15")
    });
    assert_eq!(update(&server), "patch");
    assert!(
        server
            .body("/review-calendar.html")
            .contains("Rotate the keys")
    );
    // What the patches made is what loading the site afresh makes.
    let fresh = Server::start(&site, &[]);
    for page in [
        "/lonely.html",
        "/drain.html",
        "/runbook.html",
        "/index.html",
        "/completeness.html",
        "/review-calendar.html",
        "/opsbook-search/meta.js",
        "/opsbook-search/d-0.js",
        "/opsbook-search/t-7468.js",
    ] {
        let (status, body) = server.get(page);
        assert_eq!(status, 200, "{page}");
        assert_eq!((status, body), fresh.get(page), "{page}");
    }
    assert!(
        server
            .body("/opsbook-search/t-7468.js")
            .contains("thoroughly")
    );
    drop(fresh);

    // A new link reaches another page: its backlinks, and lonely.md is no orphan any more.
    assert!(!server.body("/runbook.html").contains("Referenced by"));
    let linking = good.replace(
        "Drain it gently.",
        "Drain it, then [restart](runbook.md) and [rotate](lonely.md).",
    );
    site.write("content/drain.md", &linking);
    server.wait_for("/runbook.html", "the backlink", |_, b| {
        b.contains("Referenced by")
    });
    assert_eq!(update(&server), "patch");
    assert!(!server.body("/lonely.html").contains("orphan"));
    same_as_a_fresh_server(
        &site,
        &server,
        &[
            "/lonely.html",
            "/drain.html",
            "/runbook.html",
            "/__opsbook/status",
        ],
    );
    // Dropping a link that was not a runbook's last: a patch. lonely.md links to runbook.md
    // too, then drain.md stops.
    site.write(
        "content/lonely.md",
        site.read("content/lonely.md").replace(
            "Rotate them thoroughly.",
            "Rotate them, then [restart](runbook.md).",
        ),
    );
    let referenced_by = |page: &str| -> String {
        let from = page.find("Referenced by").unwrap_or(page.len());
        let to = page[from..]
            .find("</aside>")
            .map_or(page.len(), |e| from + e);
        page[from..to].to_string()
    };
    server.wait_for("/runbook.html", "the second backlink", |_, b| {
        referenced_by(b).contains("Rotate the keys")
    });
    let unlinked = linking.replace("[restart](runbook.md)", "restart");
    site.write("content/drain.md", &unlinked);
    server.wait_for("/runbook.html", "the backlink to go", |_, b| {
        !referenced_by(b).contains("Drain a node")
    });
    assert!(referenced_by(&server.body("/runbook.html")).contains("Rotate the keys"));
    assert_eq!(update(&server), "patch");
    same_as_a_fresh_server(
        &site,
        &server,
        &["/lonely.html", "/drain.html", "/runbook.html"],
    );
    // lonely.md's only backlink: whether it is an orphan again takes loading the site (a
    // section page could link to it), which finds that it is.
    site.write(
        "content/drain.md",
        unlinked.replace(" and [rotate](lonely.md)", ""),
    );
    server.wait_for("/lonely.html", "the orphan finding", |_, b| {
        b.contains("orphan")
    });
}

#[test]
fn title_edits_are_patched_unless_another_runbook_or_reference_meets_them() {
    let site = site();
    let server = Server::start(&site, &[]);
    // A new title: the home page lists it, and it moves in its section (after "Restart the
    // API" now), which changes previous and next.
    site.write(
        "content/drain.md",
        site.read("content/drain.md")
            .replace("title: Drain a node", "title: Take a node out"),
    );
    server.wait_for("/index.html", "the new title", |_, b| {
        b.contains("Take a node out")
    });
    assert_eq!(update(&server), "patch");
    same_as_a_fresh_server(
        &site,
        &server,
        &[
            "/index.html",
            "/drain.html",
            "/runbook.html",
            "/review-calendar.html",
            "/completeness.html",
            "/owners/platform-team.html",
            "/opsbook-search/meta.js",
            "/opsbook-search/d-0.js",
        ],
    );

    // Another runbook's title: both get a duplicate-title finding, which only loading the
    // whole site finds.
    site.write(
        "content/drain.md",
        site.read("content/drain.md")
            .replace("title: Take a node out", "title: Restart the API"),
    );
    server.wait_for("/runbook.html", "the duplicate", |_, b| {
        b.contains("duplicate-title")
    });

    // A title that a related-operations item names: the item now refers to it.
    site.write(
        "content/runbook.md",
        site.read("content/runbook.md").replace(
            "## Acceptance checks",
            "## Related operations\n\n- Cordon the node first\n\n## Acceptance checks",
        ),
    );
    server.wait_for("/runbook.html", "the unresolved reference", |_, b| {
        b.contains("unresolved-reference")
    });
    site.write(
        "content/drain.md",
        site.read("content/drain.md")
            .replace("title: Restart the API", "title: Cordon the node"),
    );
    server.wait_for("/runbook.html", "the reference", |_, b| {
        !b.contains("unresolved-reference")
    });
    same_as_a_fresh_server(
        &site,
        &server,
        &["/runbook.html", "/drain.html", "/wanted.html"],
    );
}

#[test]
fn repositories_of_other_generators_are_served_and_patched() {
    // tech-docs: an edit to a `.html.md.erb` source is patched like any runbook.
    let site = Site::fixture("flavors/tech-docs");
    let server = Server::start(&site, &[]);
    let rel = "source/manual/deploy.html.md.erb";
    site.write(
        rel,
        site.read(rel).replace(
            "The health check is green.",
            "The health check is green again.",
        ),
    );
    server.wait_for("/manual/deploy.html", "the edit", |_, b| {
        b.contains("green again")
    });
    assert_eq!(update(&server), "patch");
    same_as_a_fresh_server(&site, &server, &["/manual/deploy.html", "/index.html"]);
    drop(server);

    // GitLab: owners follow an edit to .gitlab/CODEOWNERS, hidden folder and all.
    let site = Site::fixture("flavors/gitlab");
    std::fs::create_dir_all(site.path().join(".git")).unwrap();
    let server = Server::start(&site, &[]);
    let page = "/runbooks/kubernetes/pod-pending.html";
    assert!(server.body(page).contains("@acme/k8s"));
    site.write(
        ".gitlab/CODEOWNERS",
        site.read(".gitlab/CODEOWNERS")
            .replace("@acme/k8s", "@acme/kubernetes"),
    );
    server.wait_for(page, "the new owner", |_, b| b.contains("@acme/kubernetes"));
    same_as_a_fresh_server(&site, &server, &[page]);
}

/// A site-wide variable declared while serving marks the references already on the page (the
/// parse cache is keyed on `[variables]` too).
#[test]
fn a_site_variable_declared_while_serving_reaches_the_pages() {
    let site = site();
    site.write(
        "content/scale.md",
        "---\ntitle: Scale the API\nowner: platform-team\ncadence: quarterly\nlast_reviewed: 2026-10-01\n---\n\n## Steps\n\n```sh\nkubectl --context <cluster> scale deploy/api --replicas=6\n```\n\n## Acceptance checks\n\n- Six replicas run.\n",
    );
    let server = Server::start(&site, &[]);
    assert!(!server.body("/scale.html").contains("data-var=\"cluster\""));
    site.write(
        "opsbook.toml",
        "[variables]\ncluster = \"Kubernetes context\"\n",
    );
    server.wait_for("/scale.html", "the variable's form", |_, b| {
        b.contains("<span class=\"var\" data-var=\"cluster\">") && b.contains("id=\"var-cluster\"")
    });
    site.write("opsbook.toml", "");
    server.wait_for("/scale.html", "the variable gone", |_, b| {
        !b.contains("data-var=\"cluster\"")
    });
}
