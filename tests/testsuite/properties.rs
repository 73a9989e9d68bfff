//! Property tests over hostile front matter and Markdown (proptest), run in-process through the
//! library: loading, checking and rendering a runbook never panics, and every file a build
//! would write has a plain path inside the output folder. Runbooks are assembled from fragments
//! that have broken opsbook or tools like it: multi-byte and control characters, marker
//! characters and entities, CR-only line ends, unclosed fences, raw HTML, traversal paths in
//! every field that names a page. The seed is fixed, so a run is reproducible.

use opsbook::config::Project;
use opsbook::site::{Keep, LoadOptions, Site};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Pieces of text that have broken parsers, slicers and sanitizers.
const PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    "42",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    ":",
    ": ",
    "#",
    " #",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    "\"",
    "\\",
    "&",
    "*",
    "!",
    "|",
    ">",
    "%",
    "@",
    "`",
    "/",
    "..",
    "../",
    "\\..\\",
    "é",
    "aé",
    "日本",
    "🚀",
    "\u{feff}",
    "\u{fffe}",
    "\u{ffff}",
    "\u{85}",
    "\u{2028}",
    "\u{200b}",
    "\u{0}",
    "\u{1}",
    "\u{2}",
    "\u{3}",
    "\u{4}",
    "\u{7}",
    "\u{1b}",
    "\u{7f}",
    "\u{9f}",
    "&#1;",
    "&#x2;",
    "&#0;",
    "&amp;",
    "&lt;",
    "TODO",
    "TBD",
    "monthly",
    "quarterly",
    "after incidents",
    "P3M",
    "2026-10-01",
    "2026-Q3",
    "2026-13-45",
    "yes",
    "null",
    "~",
    "0x1F",
    "1e3",
    "javascript:",
    "JaVa\tScRiPt:alert(1)",
    "data:text/html,x",
    "CON",
    "nul.txt",
    "<script>",
    "<img src=x onerror=alert(1)>",
    "AKIAIOSFODNN7EXAMPLE",
    "https://u:p@host",
    "$SECRET",
    "<your team>",
];

/// Keys besides the built-in fields: aliases of them, a Hugo key, an unknown one.
const MORE_KEYS: &[&str] = &["owner_slack", "review_cadence", "weight", "x"];

fn piece() -> impl Strategy<Value = String> {
    prop::sample::select(PIECES).prop_map(str::to_string)
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..max).prop_map(|p| p.concat())
}

/// One YAML value: plain, quoted either way, a flow list or a block list.
fn yaml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        text(6),
        text(6).prop_map(|t| format!("'{}'", t.replace('\'', "''"))),
        text(6).prop_map(|t| format!("\"{t}\"")),
        prop::collection::vec(text(4), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
        prop::collection::vec(text(4), 1..4).prop_map(|v| format!(
            "\n{}",
            v.iter().map(|i| format!("  - {i}\n")).collect::<String>()
        )),
    ]
}

fn front_matter() -> impl Strategy<Value = String> {
    let keys: Vec<&str> = opsbook::schema::BUILTIN_FIELDS
        .iter()
        .chain(MORE_KEYS)
        .copied()
        .collect();
    prop::collection::vec((prop::sample::select(keys), yaml_value()), 0..10).prop_map(|entries| {
        entries
            .into_iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect()
    })
}

/// Markdown blocks and inlines.
fn block() -> impl Strategy<Value = String> {
    let inline = prop_oneof![
        text(8),
        text(4).prop_map(|t| format!("`{t}`")),
        (text(3), text(4)).prop_map(|(a, b)| format!("[{a}]({b})")),
        (text(3), text(4)).prop_map(|(a, b)| format!("![{a}]({b} \"{a}\")")),
        text(4).prop_map(|t| format!("<{t}>")),
        text(4).prop_map(|t| format!("<a href=\"{t}\" title='{t}'>{t}</a>")),
        text(4).prop_map(|t| format!("<img alt=\"{t}\" src={t}>")),
        Just("<details><summary>x</summary>".to_string()),
        Just("</details></div></table>".to_string()),
        Just("<!-- opsbook-disable-next-line placeholder -->".to_string()),
        Just("{{< ref \"x.md\" >}}".to_string()),
        Just("{{< unknown >}}".to_string()),
    ];
    let inlines = prop::collection::vec(inline, 1..6).prop_map(|v| v.concat());
    prop_oneof![
        (1..7usize, inlines.clone(), text(3))
            .prop_map(|(n, t, id)| format!("{} {t} {{#{id}}}", "#".repeat(n))),
        (1..7usize, inlines.clone()).prop_map(|(n, t)| format!("{} {t}", "#".repeat(n))),
        inlines.clone(),
        inlines.clone().prop_map(|t| format!("- [ ] {t}")),
        inlines.clone().prop_map(|t| format!("1. {t}\n   - {t}")),
        inlines.clone().prop_map(|t| format!("> [!WARNING]\n> {t}")),
        inlines
            .clone()
            .prop_map(|t| format!("!!! note \"{t}\"\n    {t}")),
        (text(3), text(6)).prop_map(|(info, code)| format!("```{info}\n{code}\n```")),
        text(6).prop_map(|code| format!("~~~\n{code}")),
        inlines
            .clone()
            .prop_map(|t| format!("| a | {t} |\n|---|:-:|\n| {t} | b |")),
        Just("[[_TOC_]]".to_string()),
        Just("## Acceptance checks\n\n- Done.".to_string()),
        Just("## Related operations\n\n- Database failover".to_string()),
        inlines.prop_map(|t| format!("{t}\r{t}\r")),
    ]
}

fn runbook() -> impl Strategy<Value = String> {
    (
        front_matter(),
        prop::collection::vec(block(), 0..12),
        any::<bool>(),
    )
        .prop_map(|(fm, blocks, cr)| {
            let body = blocks.join("\n\n");
            let text = format!("---\n{fm}---\n\n{body}\n");
            if cr { text.replace('\n', "\r\n") } else { text }
        })
}

/// `cases` cases from a fixed seed; `PROPTEST_CASES` and `PROPTEST_SEED` explore further.
fn config(cases: u32) -> Config {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    Config {
        cases: env("PROPTEST_CASES").map_or(cases, |n| n as u32),
        rng_seed: RngSeed::Fixed(env("PROPTEST_SEED").unwrap_or(21)),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Loads the site in `dir`, checks it (the report, as `check` prints it) and renders it into
/// memory; returns the paths of every file a build would write.
fn load_check_render(dir: &std::path::Path) -> Vec<String> {
    let project = Project::detect(dir).expect("a site");
    let options = |render_html, keep| LoadOptions {
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        drafts: true,
        exclude: Vec::new(),
        alert_rules: Vec::new(),
        render_html,
        keep,
        cache: None,
        due_within: None,
    };
    let checked = Site::load(project.clone(), &options(false, Keep::ForFindings));
    let located = opsbook::diagnostics::locate(checked.diagnostics.clone(), &checked);
    let mut report = Vec::new();
    opsbook::diagnostics::write_human(&mut report, &located, false).unwrap();
    report.extend(opsbook::report::json(&checked, &located).into_bytes());
    report.extend(opsbook::report::sarif(&located, "").into_bytes());

    let site = Site::load(project, &options(true, Keep::Nothing));
    let located = opsbook::diagnostics::locate(site.diagnostics.clone(), &site);
    let theme = opsbook::render::Theme::load(None, "default").unwrap();
    let paths = std::sync::Mutex::new(Vec::new());
    let sink = |f: opsbook::output::OutputFile| {
        paths.lock().unwrap().push(f.path);
        Ok(())
    };
    opsbook::render::render_site(&site, &theme, &located, None, &sink).expect("renders");
    paths.into_inner().unwrap()
}

proptest! {
    #![proptest_config(config(160))]

    #[test]
    fn hostile_runbooks_never_panic_and_never_leave_the_output_folder(
        pages in prop::collection::vec((text(3), runbook()), 1..4)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        for (i, (name, text)) in pages.iter().enumerate() {
            // File names from the same pieces, kept to what a file system takes.
            let name: String = name.chars().filter(|c| !matches!(c, '/' | '\0')).collect();
            let name = if name.is_empty() || name == "." || name == ".." { "x".into() } else { name };
            let sub = content.join(format!("s{i}"));
            std::fs::create_dir_all(&sub).unwrap();
            if std::fs::write(sub.join(format!("{name}.md")), text).is_err() {
                std::fs::write(sub.join("x.md"), text).unwrap();
            }
        }
        for path in load_check_render(dir.path()) {
            let plain = !path.is_empty()
                && !path.contains('\0')
                && path.split('/').all(|p| !matches!(p, "" | "." | ".."));
            prop_assert!(plain, "output path {path:?}");
        }
    }
}
