//! Raw HTML in Markdown, through an allowlist.
//!
//! Safe tags (`details`, `kbd`, `br`, tables, …) keep their safe attributes; attribute values are
//! re-emitted escaped and URLs are checked after entity decoding (so `jav&#x61;script:` is caught).
//! Tags that can run code or restyle the page (`script`, `iframe`, `svg`, `math`, `style`, forms,
//! …) are removed, and so are event handlers and inline styles: each removal is reported. Tags
//! that are neither — `<namespace>` in "oc get pods -n <namespace>" — are shown as the text the
//! author typed, which is what they meant.

use crate::diagnostics::{Diagnostic, Rule};
use crate::text::{escape, safe_url};

const ALLOWED: &[&str] = &[
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

const ALLOWED_ATTRS: &[&str] = &[
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
/// are escaped.
fn escape_angles(s: &str) -> String {
    s.replace('<', "&lt;").replace('>', "&gt;")
}

struct Tag<'a> {
    name: String,
    closing: bool,
    self_closing: bool,
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
    let mut self_closing = false;
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
                self_closing = true;
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
            self_closing,
            attrs,
            raw: &s[..i],
        },
        i,
    ))
}

/// Sanitizes one raw-HTML chunk from the Markdown. `offset` is where it starts in the file.
pub fn clean(raw: &str, offset: usize, path: &str, out: &mut Vec<Diagnostic>) -> String {
    let mut html = String::with_capacity(raw.len());
    let mut rest = raw;
    let mut at = 0;
    let report = |what: String, pos: usize, rule: Rule, out: &mut Vec<Diagnostic>| {
        let help = match rule {
            Rule::UnsafeLink => "only http, https, mailto, tel and relative links are kept",
            _ => {
                "write it in Markdown, or set [markdown] unsafe_html = true if every author is trusted"
            }
        };
        out.push(Diagnostic::new(rule, path, offset + pos, what).with_help(help));
    };
    while let Some(lt) = rest.find('<') {
        html.push_str(&escape_angles(&rest[..lt]));
        at += lt;
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            let end = rest.find("-->").map(|e| e + 3).unwrap_or(rest.len());
            at += end;
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
                at,
                Rule::UnsafeHtml,
                out,
            );
            at += end;
            rest = &rest[end..];
            continue;
        }
        let Some((tag, len)) = parse_tag(rest) else {
            html.push_str("&lt;");
            at += 1;
            rest = &rest[1..];
            continue;
        };
        if DANGEROUS.contains(&tag.name.as_str()) {
            if !tag.closing {
                report(
                    format!("raw HTML `<{}>` was removed", tag.name),
                    at,
                    Rule::UnsafeHtml,
                    out,
                );
            }
        } else if !ALLOWED.contains(&tag.name.as_str()) {
            // Not HTML we render, and not harmful: show what the author typed.
            html.push_str(&escape(tag.raw));
        } else if tag.closing {
            html.push_str(&format!("</{}>", tag.name));
        } else {
            html.push('<');
            html.push_str(&tag.name);
            for (name, value) in &tag.attrs {
                let url_attr = matches!(
                    name.as_str(),
                    "href"
                        | "src"
                        | "cite"
                        | "srcset"
                        | "poster"
                        | "action"
                        | "formaction"
                        | "xlink:href"
                );
                let keep = ALLOWED_ATTRS.contains(&name.as_str())
                    || (name == "href" && tag.name == "a")
                    || (name == "src" && tag.name == "img")
                    || name.starts_with("aria-");
                if url_attr && (name == "href" || name == "src") && keep {
                    let v = value.clone().unwrap_or_default();
                    if safe_url(&v) {
                        html.push_str(&format!(" {name}=\"{}\"", escape(&v)));
                    } else {
                        report(
                            format!(
                                "`{name}` with an unsafe URL was removed from `<{}>`",
                                tag.name
                            ),
                            at,
                            Rule::UnsafeLink,
                            out,
                        );
                    }
                    continue;
                }
                if !keep || url_attr {
                    report(
                        format!("attribute `{name}` was removed from `<{}>`", tag.name),
                        at,
                        Rule::UnsafeHtml,
                        out,
                    );
                    continue;
                }
                match value {
                    Some(v) => html.push_str(&format!(" {name}=\"{}\"", escape(v))),
                    None => html.push_str(&format!(" {name}")),
                }
            }
            if tag.name == "a" {
                html.push_str(" rel=\"noopener\"");
            }
            html.push_str(if tag.self_closing { " />" } else { ">" });
        }
        at += len;
        rest = &rest[len..];
    }
    html.push_str(&escape_angles(rest));
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(raw: &str) -> (String, Vec<String>) {
        let mut out = Vec::new();
        let html = clean(raw, 0, "a.md", &mut out);
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
    fn unknown_tags_are_shown_as_typed() {
        let (html, found) = run("<namespace>");
        assert_eq!(html, "&lt;namespace&gt;");
        assert!(found.is_empty());
    }
}
