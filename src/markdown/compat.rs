//! Sources written for other tools, rewritten into the Markdown opsbook renders.
//!
//! Real runbook collections come from MkDocs, Hugo and GitLab. Rather than leak their syntax onto
//! the page, a line-based pass (skipping fenced code) rewrites MkDocs `!!! note` admonitions into
//! GFM alerts, drops `{: .class}` attribute lists, turns Hugo `{{< ref "x.md" >}}` / `relref` into
//! the path they name (so the link checker sees them), removes other shortcodes with a warning,
//! and marks GitLab's `[[_TOC_]]` for the table of contents. It runs only when a body contains one
//! of these forms; an offset map keeps positions pointing into the original file.

use regex::Regex;
use std::sync::LazyLock;

/// Marker left where `[[_TOC_]]` stood; the renderer replaces it with the table of contents.
pub const TOC_MARK: &str = "\u{4}TOC\u{4}";

/// A rewritten body and how to map its offsets back to the original.
pub struct Rewritten {
    pub text: String,
    /// (offset in `text`, offset in the original) at the start of each copied stretch.
    map: Vec<(usize, usize)>,
    /// Shortcodes that were removed: (name, original offset).
    pub removed_shortcodes: Vec<(String, usize)>,
}

impl Rewritten {
    pub fn original_offset(&self, new: usize) -> usize {
        let i = self
            .map
            .partition_point(|(n, _)| *n <= new)
            .saturating_sub(1);
        match self.map.get(i) {
            Some(&(n, o)) => o + (new - n),
            None => new,
        }
    }
}

static ADMONITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(\s*)(?:!!!|\?\?\?\+?)\s+([A-Za-z][\w-]*)(?:\s+"([^"]*)")?\s*$"#)
        .expect("compiles")
});
static SHORTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\{\{[<%]\s*(/?)([\w.-]+)((?:\s+[^}]*?)?)\s*[>%]\}\}"#).expect("compiles")
});
static ATTR_LIST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*\{:[^}\n]*\}\s*$").expect("compiles"));

/// Whether the body has anything this pass rewrites (a cheap test first).
fn needed(body: &str) -> bool {
    // `!!!`, `???`, `{{`, `{:`, `[[_TOC_]]` or `[TOC]`: the first three bytes are rare in prose.
    let b = body.as_bytes();
    memchr::memchr3_iter(b'!', b'?', b'{', b).any(|i| match b[i] {
        b'!' => b[i..].starts_with(b"!!!"),
        b'?' => b[i..].starts_with(b"???"),
        _ => matches!(b.get(i + 1), Some(b'{' | b':')),
    }) || memchr::memmem::find(b, b"[[_TOC_]]").is_some()
        || memchr::memmem::find(b, b"[TOC]").is_some()
}

fn alert_kind(kind: &str) -> &'static str {
    match kind.to_ascii_lowercase().as_str() {
        "tip" | "hint" | "success" | "check" | "done" => "TIP",
        "warning" | "caution" | "attention" => "WARNING",
        "danger" | "error" | "failure" | "fail" | "missing" | "bug" => "CAUTION",
        "important" => "IMPORTANT",
        _ => "NOTE",
    }
}

struct Writer {
    text: String,
    map: Vec<(usize, usize)>,
}

impl Writer {
    /// Copies original text that starts at `original`.
    fn copy(&mut self, s: &str, original: usize) {
        self.map.push((self.text.len(), original));
        self.text.push_str(s);
    }
}

/// Put where a shortcode that cannot be expanded stood inside a link's destination: the link
/// pass reports such a link as `unverifiable-link`, never as broken.
pub const UNEXPANDED: &str = "__opsbook_unexpanded_shortcode__";

/// Rewrites `body`; `params` are the Hugo site's `params` (lower-case keys), which
/// `{{< param "x" >}}` stands for.
pub fn rewrite(
    body: &str,
    params: &std::collections::BTreeMap<String, String>,
) -> Option<Rewritten> {
    if !needed(body) {
        return None;
    }
    let mut w = Writer {
        text: String::with_capacity(body.len() + 64),
        map: Vec::new(),
    };
    let mut removed = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    // Open admonition: the indentation of its body, in spaces.
    let mut admonition: Option<usize> = None;
    let mut pos = 0;
    for line in body.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        // Inside an admonition: indented (or blank) lines belong to it.
        if let Some(indent) = admonition {
            let leading = content.len() - trimmed.len();
            if trimmed.is_empty() {
                w.copy(">\n", start);
                continue;
            }
            if leading >= indent + 4 || (leading >= 4 && indent == 0) {
                let cut = (indent + 4).min(leading);
                w.text.push_str("> ");
                w.copy(&line[cut..], start + cut);
                if !line.ends_with('\n') {
                    w.text.push('\n');
                }
                continue;
            }
            admonition = None;
            w.text.push('\n');
        }
        // Fenced code is copied untouched.
        let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        if let Some(c) = fence_char {
            let width = trimmed.chars().take_while(|x| *x == c).count();
            if width >= 3 {
                match fence {
                    None => fence = Some((c, width)),
                    Some((fc, fw)) if fc == c && width >= fw && trimmed.chars().all(|x| x == c) => {
                        fence = None
                    }
                    _ => {}
                }
                w.copy(line, start);
                continue;
            }
        }
        if fence.is_some() {
            w.copy(line, start);
            continue;
        }
        if let Some(caps) = ADMONITION.captures(content) {
            let indent = caps[1].len();
            let kind = alert_kind(&caps[2]);
            w.map.push((w.text.len(), start));
            w.text.push_str(&format!("{}> [!{kind}]\n", &caps[1]));
            if let Some(title) = caps.get(3).filter(|t| !t.as_str().is_empty()) {
                w.text
                    .push_str(&format!("{}> **{}**\n", &caps[1], title.as_str()));
            }
            admonition = Some(indent);
            continue;
        }
        if trimmed == "[[_TOC_]]" || trimmed == "[TOC]" {
            w.map.push((w.text.len(), start));
            w.text.push_str(&format!("\n{TOC_MARK}\n\n"));
            continue;
        }
        // Attribute lists: a line of its own, or trailing a line.
        let mut line_text = line;
        let attr_stripped;
        if let Some(m) = ATTR_LIST.find(content) {
            attr_stripped = format!("{}{}", &content[..m.start()], &line[content.len()..]);
            line_text = &attr_stripped;
            if content[..m.start()].trim().is_empty() {
                continue;
            }
        }
        if !line_text.contains("{{") {
            w.copy(line_text, start);
            continue;
        }
        // Shortcodes.
        let mut last = 0;
        for caps in SHORTCODE.captures_iter(line_text) {
            let m = caps.get(0).expect("match");
            w.copy(&line_text[last..m.start()], start + last);
            let closing = !caps[1].is_empty();
            let name = caps[2].to_string();
            let arg = caps[3].trim().trim_matches(['"', '\'']).to_string();
            let before = line_text[..m.start()].trim_end_matches('<');
            let in_link = before.ends_with("](") || before.ends_with("href=\"");
            let param = (name == "param" || name == "Param")
                .then(|| params.get(&arg.to_ascii_lowercase()))
                .flatten();
            match (closing, param) {
                (true, _) => {}
                _ if name == "ref" || name == "relref" => w.copy(&arg, start + m.start()),
                (false, Some(value)) => w.copy(value, start + m.start()),
                _ if in_link => w.copy(UNEXPANDED, start + m.start()),
                _ => removed.push((name, start + m.start())),
            }
            last = m.end();
        }
        w.copy(&line_text[last..], start + last);
    }
    Some(Rewritten {
        text: w.text,
        map: w.map,
        removed_shortcodes: removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite_plain(body: &str) -> Option<Rewritten> {
        rewrite(body, &Default::default())
    }

    #[test]
    fn hugo_params_are_filled_in_and_other_shortcodes_in_links_are_unexpanded() {
        let params = [(
            "grafana".to_string(),
            "https://grafana.example.org".to_string(),
        )]
        .into_iter()
        .collect();
        let r = rewrite(
            "See [dashboards]({{< param \"grafana\" >}}/d/api), [logs]({{< param logs >}}/x) and {{< param \"Grafana\" >}}.\n",
            &params,
        )
        .unwrap();
        assert_eq!(
            r.text,
            format!(
                "See [dashboards](https://grafana.example.org/d/api), [logs]({UNEXPANDED}/x) and https://grafana.example.org.\n"
            )
        );
        assert!(r.removed_shortcodes.is_empty());
    }

    #[test]
    fn mkdocs_admonitions_become_alerts() {
        let r = rewrite_plain(
            "Text\n\n!!! warning \"Data loss\"\n    Back up first.\n\n    Then run it.\n\nAfter.\n",
        )
        .unwrap();
        assert_eq!(
            r.text,
            "Text\n\n> [!WARNING]\n> **Data loss**\n> Back up first.\n>\n> Then run it.\n>\n\nAfter.\n"
        );
    }

    #[test]
    fn hugo_refs_become_paths_and_other_shortcodes_are_removed() {
        let r = rewrite_plain(
            "See [failover]({{< ref \"db/failover.md#steps\" >}}) {{< youtube abc >}}.\n",
        )
        .unwrap();
        assert_eq!(r.text, "See [failover](db/failover.md#steps) .\n");
        assert_eq!(r.removed_shortcodes[0].0, "youtube");
        assert_eq!(r.original_offset(r.text.find("db/").unwrap()), 15);
    }

    #[test]
    fn code_fences_are_left_alone() {
        let src = "```\n!!! note\n{{< ref \"x\" >}}\n```\n[[_TOC_]]\n## A {: .wide}\n";
        let r = rewrite_plain(src).unwrap();
        assert!(
            r.text
                .starts_with("```\n!!! note\n{{< ref \"x\" >}}\n```\n")
        );
        assert!(r.text.contains(TOC_MARK));
        assert!(r.text.ends_with("## A\n"));
    }

    #[test]
    fn both_gitlab_toc_markers_are_found_on_their_own() {
        for marker in ["[[_TOC_]]", "[TOC]"] {
            let r = rewrite_plain(&format!("# A\n\n{marker}\n\n## B\n")).unwrap();
            assert!(r.text.contains(TOC_MARK), "{marker}");
            assert!(!r.text.contains(marker), "{marker}");
        }
        // In a sentence it is text.
        assert!(rewrite_plain("See [TOC] below.\n").is_none_or(|r| !r.text.contains(TOC_MARK)));
    }

    #[test]
    fn nothing_to_do_is_free() {
        assert!(rewrite_plain("# Plain\n\ntext\n").is_none());
    }
}
