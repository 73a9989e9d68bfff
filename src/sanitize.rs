//! Raw HTML in Markdown, through an allowlist.
//!
//! Safe tags (`details`, `kbd`, `br`, tables, …) keep their safe attributes; attribute values are
//! re-emitted escaped and URLs are checked after entity decoding (so `jav&#x61;script:` is caught).
//! Tags that can run code or restyle the page (`script`, `iframe`, `svg`, `math`, `style`, forms,
//! …) are removed, and so are event handlers and inline styles: each removal is reported. Tags
//! that are neither — `<namespace>` in "oc get pods -n <namespace>" — are shown as the text the
//! author typed, which is what they meant.

use crate::diagnostics::{Diagnostic, Rule};
use crate::text::{escape_into, safe_url};

/// The elements raw HTML may keep.
pub const ALLOWED: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "picture",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
];

/// Removed with a finding: they can run code, load things, take input or restyle the page.
const DANGEROUS: &[&str] = &[
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "link",
    "meta",
    "base",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "option",
    "template",
    "noscript",
    "xmp",
    "plaintext",
    "video",
    "audio",
    "source",
    "track",
    "canvas",
    "portal",
    "dialog",
    "marquee",
    "set",
    "animate",
    "foreignobject",
    "use",
    "image",
    "xml",
    "import",
];

/// The attributes they may keep (`href` on `a`, `src` on `img` and `aria-*` besides).
pub const ALLOWED_ATTRS: &[&str] = &[
    "title", "lang", "dir", "class", "id", "align", "valign", "colspan", "rowspan", "span", "alt",
    "width", "height", "open", "start", "reversed", "type", "datetime", "cite", "abbr", "scope",
    "headers", "name",
];

/// Decodes the HTML entities browsers decode in attribute values.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|e| e + 1);
        let (name, consumed) = match end {
            Some(e) => (
                &rest[1..e],
                if rest[e..].starts_with(';') { e + 1 } else { e },
            ),
            None => (&rest[1..], rest.len()),
        };
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let value = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse().ok(),
            };
            value.and_then(char::from_u32)
        } else {
            match name.to_ascii_lowercase().as_str() {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "colon" => Some(':'),
                "tab" => Some('\t'),
                "newline" => Some('\n'),
                "nbsp" => Some('\u{a0}'),
                _ => None,
            }
        };
        match decoded {
            Some(c) if !name.is_empty() => {
                out.push(c);
                rest = &rest[consumed..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Text between tags in raw HTML: its entities (`&amp;`) stay as written, stray angle brackets
/// are escaped, marker characters replaced (`text::MARKERS`).
fn escape_angles_into(out: &mut String, s: &str) {
    let scrubbed = crate::text::scrub_markers(s);
    let s = scrubbed.as_deref().unwrap_or(s);
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

struct Tag<'a> {
    name: String,
    closing: bool,
    attrs: Vec<(String, Option<String>)>,
    raw: &'a str,
}

/// Parses the tag at the start of `s` (which begins with `<`); returns it and its length.
fn parse_tag(s: &str) -> Option<(Tag<'_>, usize)> {
    let bytes = s.as_bytes();
    let mut i = 1;
    let closing = bytes.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-' || bytes[i] == b':')
    {
        i += 1;
    }
    if i == name_start || !bytes[name_start].is_ascii_alphabetic() {
        return None;
    }
    let name = s[name_start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => return None,
            Some(b'>') => {
                i += 1;
                break;
            }
            Some(b'/') if bytes.get(i + 1) == Some(&b'>') => {
                i += 2;
                break;
            }
            Some(b'/') => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let start = i;
        while i < bytes.len()
            && !bytes[i].is_ascii_whitespace()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
        {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        let attr = s[start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = None;
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = s[i + 1..].find(q as char)? + i + 1;
                    value = Some(decode_entities(&s[i + 1..end]));
                    i = end + 1;
                }
                Some(_) => {
                    let start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = Some(decode_entities(&s[start..i]));
                }
                None => return None,
            }
        }
        attrs.push((attr, value));
    }
    Some((
        Tag {
            name,
            closing,
            attrs,
            raw: &s[..i],
        },
        i,
    ))
}

/// Elements that have no end tag.
const VOID: &[&str] = &["br", "col", "hr", "img", "wbr"];

/// What one chunk of raw HTML became.
#[derive(Debug, Default)]
pub struct Cleaned {
    pub html: String,
    /// Byte ranges of the chunk that were HTML comments (not prose, never shown).
    pub comments: Vec<std::ops::Range<usize>>,
}

/// Sanitizes the raw HTML of one document, chunk by chunk (each HTML block, each inline tag),
/// keeping the elements it lets through balanced across the whole document: an end tag closes
/// only an element raw HTML opened (a stray `</div>` would otherwise close the page's own
/// layout), and what is still open at the end is closed by `finish`.
#[derive(Debug, Default)]
pub struct Sanitizer {
    open: Vec<&'static str>,
}

impl Sanitizer {
    /// Sanitizes one chunk. `at` maps a byte offset in `raw` to the file offset findings name.
    pub fn clean(
        &mut self,
        raw: &str,
        at: &dyn Fn(usize) -> usize,
        path: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Cleaned {
        let mut html = String::with_capacity(raw.len());
        let mut comments = Vec::new();
        let mut rest = raw;
        let mut pos = 0;
        let report = |what: String, pos: usize, rule: Rule, out: &mut Vec<Diagnostic>| {
            let help = match rule {
                Rule::UnsafeLink => "only http, https, mailto, tel and relative links are kept",
                _ => {
                    "write it in Markdown, or set [markdown] unsafe_html = true if every author is trusted"
                }
            };
            out.push(Diagnostic::new(rule, path, at(pos), what).with_help(help));
        };
        while let Some(lt) = rest.find('<') {
            escape_angles_into(&mut html, &rest[..lt]);
            pos += lt;
            rest = &rest[lt..];
            if rest.starts_with("<!--") {
                let end = comment_len(rest);
                comments.push(pos..pos + end);
                pos += end;
                rest = &rest[end..];
                continue;
            }
            if rest.starts_with("<!") || rest.starts_with("<?") {
                let end = rest.find('>').map(|e| e + 1).unwrap_or(rest.len());
                report(
                    format!(
                        "raw HTML `{}` was removed",
                        crate::diagnostics::shorten(&rest[..end], 40)
                    ),
                    pos,
                    Rule::UnsafeHtml,
                    out,
                );
                pos += end;
                rest = &rest[end..];
                continue;
            }
            let Some((tag, len)) = parse_tag(rest) else {
                html.push_str("&lt;");
                pos += 1;
                rest = &rest[1..];
                continue;
            };
            if DANGEROUS.contains(&tag.name.as_str()) {
                if !tag.closing {
                    report(
                        format!("raw HTML `<{}>` was removed", tag.name),
                        pos,
                        Rule::UnsafeHtml,
                        out,
                    );
                }
            } else if let Some(name) = ALLOWED.iter().copied().find(|n| *n == tag.name) {
                if tag.closing {
                    self.close(name, &mut html);
                } else {
                    self.open_tag(name, &tag, pos, &mut html, &mut |what, pos, rule| {
                        report(what, pos, rule, out)
                    });
                }
            } else {
                // Not HTML we render, and not harmful: show what the author typed.
                escape_into(&mut html, tag.raw);
            }
            pos += len;
            rest = &rest[len..];
        }
        escape_angles_into(&mut html, rest);
        Cleaned { html, comments }
    }

    /// Writes an allowed start tag with its safe attributes, and remembers it as open.
    fn open_tag(
        &mut self,
        name: &'static str,
        tag: &Tag,
        pos: usize,
        html: &mut String,
        report: &mut dyn FnMut(String, usize, Rule),
    ) {
        html.push('<');
        html.push_str(name);
        for (attr, value) in &tag.attrs {
            let url_attr = matches!(
                attr.as_str(),
                "href"
                    | "src"
                    | "cite"
                    | "srcset"
                    | "poster"
                    | "action"
                    | "formaction"
                    | "xlink:href"
            );
            let keep = (ALLOWED_ATTRS.contains(&attr.as_str()) && (attr != "name" || name == "a"))
                || (attr == "href" && name == "a")
                || (attr == "src" && name == "img")
                || (attr.starts_with("aria-")
                    && attr.len() > 5
                    && attr.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            if url_attr && (attr == "href" || attr == "src") && keep {
                let v = value.as_deref().unwrap_or_default();
                if safe_url(v) {
                    html.push(' ');
                    html.push_str(attr);
                    html.push_str("=\"");
                    escape_into(html, v);
                    html.push('"');
                } else {
                    report(
                        format!("`{attr}` with an unsafe URL was removed from `<{name}>`"),
                        pos,
                        Rule::UnsafeLink,
                    );
                }
                continue;
            }
            if !keep || url_attr {
                report(
                    format!("attribute `{attr}` was removed from `<{name}>`"),
                    pos,
                    Rule::UnsafeHtml,
                );
                continue;
            }
            html.push(' ');
            html.push_str(attr);
            if let Some(v) = value {
                html.push_str("=\"");
                escape_into(html, v);
                html.push('"');
            }
        }
        if name == "a" {
            html.push_str(" rel=\"noopener\"");
        }
        // `<div/>` opens a div, as browsers read it: only void elements end at once.
        html.push('>');
        if !VOID.contains(&name) {
            self.open.push(name);
        }
    }

    /// Writes the end tag of `name` if raw HTML opened one (closing what was opened inside it
    /// too); an end tag with nothing to close is dropped.
    fn close(&mut self, name: &'static str, html: &mut String) {
        let Some(i) = self.open.iter().rposition(|n| *n == name) else {
            return;
        };
        for open in self.open.drain(i..).rev() {
            html.push_str("</");
            html.push_str(open);
            html.push('>');
        }
    }

    /// End tags for what raw HTML left open, innermost first.
    pub fn finish(&mut self) -> String {
        let mut html = String::new();
        for open in self.open.drain(..).rev() {
            html.push_str("</");
            html.push_str(open);
            html.push('>');
        }
        html
    }
}

/// The length of the comment at the start of `s` (which starts with `<!--`): up to `-->`, or
/// `--!>` as browsers also end one; `<!-->` and `<!--->` are empty comments; an unclosed one
/// runs to the end.
fn comment_len(s: &str) -> usize {
    let body = &s[4..];
    if body.starts_with('>') {
        5
    } else if body.starts_with("->") {
        6
    } else {
        [
            body.find("-->").map(|e| e + 3),
            body.find("--!>").map(|e| e + 4),
        ]
        .into_iter()
        .flatten()
        .min()
        .map_or(s.len(), |e| e + 4)
    }
}

/// The byte ranges of the comments in raw HTML that is not sanitized (`unsafe_html`).
pub fn comments(raw: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = raw[from..].find("<!--") {
        let start = from + i;
        let end = start + comment_len(&raw[start..]);
        out.push(start..end);
        from = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One chunk on its own, balanced within it.
    fn run(raw: &str) -> (String, Vec<String>) {
        let mut out = Vec::new();
        let mut sanitizer = Sanitizer::default();
        let mut html = sanitizer.clean(raw, &|p| p, "a.md", &mut out).html;
        html.push_str(&sanitizer.finish());
        (
            html,
            out.into_iter()
                .map(|d| format!("{}: {}", d.rule, d.message))
                .collect(),
        )
    }

    #[test]
    fn safe_tags_survive() {
        let (html, found) =
            run("<details open><summary>More</summary>Press <kbd>Ctrl</kbd><br></details>");
        assert_eq!(
            html,
            "<details open><summary>More</summary>Press <kbd>Ctrl</kbd><br></details>"
        );
        assert!(found.is_empty());
    }

    #[test]
    fn scripts_handlers_and_svg_tricks_are_removed() {
        for raw in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<svg><set attributeName=onload to=alert(1)></set></svg>",
            "<IMG SRC=\"x\" ONERROR=\"alert(1)\">",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<math><mtext><script>alert(1)</script></mtext></math>",
        ] {
            let (html, found) = run(raw);
            let lower = html.to_lowercase();
            assert!(
                !lower.contains("<script")
                    && !lower.contains("onerror")
                    && !lower.contains("<svg")
                    && !lower.contains("<set")
                    && !lower.contains("<iframe"),
                "{raw} -> {html}"
            );
            assert!(!found.is_empty(), "{raw}: no finding");
        }
    }

    #[test]
    fn javascript_urls_are_caught_through_entities_and_tabs() {
        for raw in [
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<a href=\"java\tscript:alert(1)\">x</a>",
            "<a href=\"jav&#x61;script:alert(1)\">x</a>",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "<a href=\"javascript&colon;alert(1)\">x</a>",
            "<img src=\"data:text/html,<script>alert(1)</script>\">",
        ] {
            let (html, found) = run(raw);
            assert!(
                !html.to_lowercase().contains("script:") && !html.contains("data:"),
                "{raw} -> {html}"
            );
            assert!(
                found.iter().any(|f| f.starts_with("unsafe-link")),
                "{raw}: {found:?}"
            );
        }
        let (html, found) = run("<a href=\"https://example.com/a?b=1&amp;c=2\">ok</a>");
        assert_eq!(
            html,
            "<a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener\">ok</a>"
        );
        assert!(found.is_empty());
    }

    #[test]
    fn end_tags_close_only_what_raw_html_opened() {
        let mut out = Vec::new();
        let mut s = Sanitizer::default();
        let mut html = String::new();
        for chunk in [
            "</div></div>",
            "<details><div>",
            "text",
            "</details>",
            "<b>x",
            "</p>",
        ] {
            html.push_str(&s.clean(chunk, &|p| p, "a.md", &mut out).html);
        }
        html.push_str(&s.finish());
        assert_eq!(html, "<details><div>text</div></details><b>x</b>");
        // `<div/>` opens a div, as in a browser; void elements stay void.
        let (html, _) = run("<div/>a<br/><img src=\"x.png\"/>");
        assert_eq!(html, "<div>a<br><img src=\"x.png\"></div>");
    }

    #[test]
    fn names_that_clobber_the_document_are_removed() {
        // `<img name=getElementById>` would replace document.getElementById for the page's
        // scripts; a named anchor is harmless and kept.
        let (html, found) = run("<img name=\"getElementById\" src=\"x.png\"><a name=\"top\"></a>");
        assert_eq!(
            html,
            "<img src=\"x.png\"><a name=\"top\" rel=\"noopener\"></a>"
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let (html, _) = run("<span aria-label=\"x\" aria-x\"y=\"1\">t</span>");
        assert_eq!(html, "<span aria-label=\"x\">t</span>");
    }

    #[test]
    fn comments_end_where_browsers_end_them() {
        for (raw, shown) in [
            ("a<!-- x -->b", "ab"),
            (
                "a<!-- x --!><img src=x onerror=alert(1)>b",
                "a<img src=\"x\">b",
            ),
            ("a<!-->b", "ab"),
            ("a<!--->b", "ab"),
            ("a<!--\nsecret\n-->b", "ab"),
            ("a<!-- never closed <script>", "a"),
        ] {
            assert_eq!(run(raw).0, shown, "{raw}");
        }
    }

    #[test]
    fn unknown_tags_are_shown_as_typed() {
        let (html, found) = run("<namespace>");
        assert_eq!(html, "&lt;namespace&gt;");
        assert!(found.is_empty());
    }
}
