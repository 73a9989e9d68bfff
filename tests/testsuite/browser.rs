//! Browser behaviour in real headless Chromium: search (from a server and from file://),
//! checklists, copy buttons, keyboard access, no outside requests, no console errors, axe-core,
//! and what a first search downloads at 10,000 runbooks. The checks themselves are in
//! `tests/browser/run.mjs` (playwright-core driving Debian's Chromium).
//!
//! Without Chromium, Node.js or `npm ci --prefix tests/browser`, the test is skipped and says
//! why on the terminal; with `OPSBOOK_REQUIRE_BROWSER=1` (set by `.ci/run`) it fails instead.

use crate::helpers::{Site, copy_dir, repo, shared};
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

#[test]
fn site_works_in_a_real_browser() {
    if let Some(reason) = unavailable() {
        if std::env::var_os("OPSBOOK_REQUIRE_BROWSER").is_some() {
            panic!("browser tests are required but cannot run: {reason}");
        }
        // Written past the test harness's capture, so a skip is never silent.
        let _ = writeln!(
            std::io::stderr().lock(),
            "\nSKIPPED browser tests: {reason}\n"
        );
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
    // Live reload against the real server: the example site and 1,000 generated runbooks.
    let live = Site::empty();
    copy_dir(&repo().join("content"), &live.path().join("content"));
    std::fs::copy(
        repo().join("opsbook.toml"),
        live.path().join("opsbook.toml"),
    )
    .unwrap();
    let example_server = crate::serve::Server::start(&live, &[]);
    let mut node = Command::new("node");
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
    let out = node.args(&args).output().expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let _ = writeln!(std::io::stderr().lock(), "{stdout}");
    assert!(
        out.status.success(),
        "browser tests failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}
