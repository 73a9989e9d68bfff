//! opsbook's sanitizer against ammonia 4 (html5ever), on the same inputs: what each costs, and
//! pages of each one's output for the browser check. The measurement behind keeping our own
//! (README "Security").
//!
//! cargo run --release --example sanitizer -- RUNBOOKS_DIR [OUT_DIR]
//!
//! RUNBOOKS_DIR is a folder of runbooks (`bench/gen_corpus.py` writes one). Both pipelines
//! render every runbook with the Markdown pass: ours sanitizes raw HTML as it goes; the other
//! passes raw HTML through and runs ammonia, configured with the same elements, attributes and
//! URL schemes, over each page's HTML (the way a generator uses it). Then the same on a page
//! heavy with raw HTML (tables, details, kbd, links, images), and on the vector corpus.
//!
//! With OUT_DIR, writes `OUT_DIR/ammonia/vNNN.html` (each vector through ammonia, in a page
//! with no CSP) and `OUT_DIR/labels.json`: `node tests/browser/xss.mjs OUT_DIR/ammonia
//! OUT_DIR/labels.json` checks them in Chromium as the test checks ours.

use opsbook::markdown::{RenderOptions, analyze};

#[path = "../tests/browser/vectors.rs"]
mod vectors;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn ammonia_builder() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::empty();
    b.tags(opsbook::sanitize::ALLOWED.iter().copied().collect())
        .generic_attributes(opsbook::sanitize::ALLOWED_ATTRS.iter().copied().collect())
        .add_tag_attributes("a", ["href"])
        .add_tag_attributes("img", ["src"])
        .generic_attribute_prefixes(HashSet::from(["aria-"]))
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener"));
    // What the Markdown pass itself writes around raw HTML: headings' anchors, task boxes,
    // code blocks' copy buttons, callouts.
    b.add_tags(["input", "button", "nav"])
        .add_tag_attributes("input", ["type", "checked", "data-task"])
        .add_tag_attributes("button", ["type", "hidden"])
        .add_generic_attributes(["role", "loading"]);
    b
}

fn render(text: &str, unsafe_html: bool) -> String {
    let opts = RenderOptions {
        unsafe_html,
        highlight: false,
        ..RenderOptions::default()
    };
    analyze(text, 0, &opts).html.to_string()
}

/// Best of `runs` timings of `f`.
fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(args.get(1).expect("a folder of runbooks"));
    let out = args.get(2).map(PathBuf::from);
    let texts: Vec<String> = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let cleaner = ammonia_builder();

    let ours = best(5, || {
        for t in &texts {
            std::hint::black_box(render(t, false));
        }
    });
    let theirs = best(5, || {
        for t in &texts {
            std::hint::black_box(cleaner.clean(&render(t, true)).to_string());
        }
    });
    println!(
        "{} runbooks, {:.1} MB: render with ours {:.0} ms; render + ammonia {:.0} ms (+{:.0}%)",
        texts.len(),
        bytes as f64 / 1e6,
        ours.as_secs_f64() * 1e3,
        theirs.as_secs_f64() * 1e3,
        (theirs.as_secs_f64() / ours.as_secs_f64() - 1.0) * 100.0
    );

    let heavy = "<details><summary>More <b>detail</b></summary>\n\n<table><tr><td><kbd>Ctrl</kbd>+<kbd>C</kbd></td><td><a href=\"https://x.example/a?b=1&amp;c=2\" title=\"t\">link</a> <img src=\"x.png\" alt=\"y\" width=\"20\"></td></tr></table>\n\nText with <code>code</code>, <em>emphasis</em> and a <br> break.\n\n</details>\n\n".repeat(1000);
    let ours = best(5, || {
        std::hint::black_box(render(&heavy, false));
    });
    let theirs = best(5, || {
        std::hint::black_box(cleaner.clean(&render(&heavy, true)).to_string());
    });
    println!(
        "raw-HTML-heavy page, {} KB: render with ours {:.1} ms; render + ammonia {:.1} ms ({:.1}x)",
        heavy.len() / 1024,
        ours.as_secs_f64() * 1e3,
        theirs.as_secs_f64() * 1e3,
        theirs.as_secs_f64() / ours.as_secs_f64()
    );

    let vectors = vectors::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    let ours = best(20, || {
        for (_, v) in &vectors {
            std::hint::black_box(render(v, false));
        }
    });
    let theirs = best(20, || {
        for (_, v) in &vectors {
            std::hint::black_box(cleaner.clean(&render(v, true)).to_string());
        }
    });
    println!(
        "{} vectors: render with ours {:.2} ms; render + ammonia {:.2} ms",
        vectors.len(),
        ours.as_secs_f64() * 1e3,
        theirs.as_secs_f64() * 1e3
    );
    if let Some(out) = out {
        let pages = out.join("ammonia");
        std::fs::create_dir_all(&pages).unwrap();
        let mut labels = serde_json::Map::new();
        for (i, (label, v)) in vectors.iter().enumerate() {
            let html = cleaner.clean(&render(v, true)).to_string();
            std::fs::write(
                pages.join(format!("v{i:03}.html")),
                format!("<!doctype html><html><head><meta charset=\"utf-8\"><title>v{i:03}</title></head><body>{html}</body></html>\n"),
            )
            .unwrap();
            labels.insert(format!("v{i:03}.html"), label.clone().into());
        }
        std::fs::write(
            out.join("labels.json"),
            serde_json::to_string(&labels).unwrap(),
        )
        .unwrap();
        println!("wrote {} pages into {}", vectors.len(), pages.display());
    }
}
