//! Text primitives every step shares: HTML escaping, URL schemes, percent-encoding, heading
//! slugs and ids.
//!
//! A leaf: it imports nothing of ours, so any step may use it. It is also where opsbook's
//! guarantees about emitted text live, in one place each: nothing written into HTML can carry
//! the control characters the Markdown pass uses as markers (`MARKERS`), every URL made from a
//! path is percent-encoded and relative in a form no browser reads as a scheme (`path_url`), and
//! a URL's scheme is read the way browsers read it (`scheme`).

use std::borrow::Cow;
use std::collections::HashMap;

/// The control characters the Markdown pass writes into HTML as markers (links to resolve,
/// related-operations items, the `[[_TOC_]]` place) and fills in later. No author text may carry
/// them past the Markdown pass: `scrub_markers` replaces them with U+FFFD. (`has_marker` knows
/// them as the bytes 1 to 4.)
pub const MARKERS: [char; 4] = ['\u{1}', '\u{2}', '\u{3}', '\u{4}'];

/// Whether `text` holds one of the `MARKERS` (they are ASCII: their bytes occur in UTF-8 only as
/// themselves).
pub fn has_marker(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr3(1, 2, 3, b).is_some() || memchr::memchr(4, b).is_some()
}

/// `text` with every marker character replaced by U+FFFD; `None` when it holds none.
pub fn scrub_markers(text: &str) -> Option<String> {
    has_marker(text).then(|| text.replace(MARKERS, "\u{fffd}"))
}

/// HTML-escapes text (`&`, `<`, `>`, `"`) for text and attribute values alike; marker characters
/// become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// `escape`, appended to `out`.
pub fn escape_into(out: &mut String, text: &str) {
    match scrub_markers(text) {
        Some(clean) => pulldown_cmark_escape::escape_html(&mut *out, &clean),
        None => pulldown_cmark_escape::escape_html(&mut *out, text),
    }
    .expect("writing to a String");
}

/// A URL as written, made safe for an `href`: characters a URL may not hold are
/// percent-encoded (controls, spaces, quotes, non-ASCII) and `&` is escaped; `%`, `/`, `?`, `#`
/// and the other reserved characters stay as they are.
pub fn escape_href(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    pulldown_cmark_escape::escape_href(&mut out, url).expect("writing to a String");
    out
}

/// The scheme of a URL (`javascript` in `JaVa\tScript:`), lower-cased; `None` when relative.
pub fn scheme(dest: &str) -> Option<Cow<'_, str>> {
    // Most links are relative: no colon, no scheme. Browsers ignore ASCII whitespace and
    // control characters inside a scheme (what is before the first colon).
    let before = &dest[..dest.find(':')?];
    let ignored = |c: char| c.is_ascii_whitespace() || c.is_ascii_control();
    let candidate: Cow<'_, str> = if before.contains(ignored) {
        before
            .chars()
            .filter(|&c| !ignored(c))
            .collect::<String>()
            .into()
    } else {
        before.into()
    };
    let mut chars = candidate.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)))
    {
        return None;
    }
    // Most schemes are written in lower case (`https`): returned as they are.
    if candidate.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(candidate.to_ascii_lowercase().into())
    } else {
        Some(candidate)
    }
}

/// Whether a URL is one opsbook keeps: no scheme (relative) or http, https, mailto or tel.
pub fn safe_url(url: &str) -> bool {
    scheme(url).is_none_or(|s| matches!(&*s, "http" | "https" | "mailto" | "tel"))
}

/// Decodes `%XX` escapes; `None` when one is malformed or the result is not UTF-8.
pub fn percent_decode_strict(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(s.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Decodes `%XX` escapes, keeping the text as written when it is not well-formed (`100%`).
pub fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return s.into();
    }
    percent_decode_strict(s).map_or(s.into(), Into::into)
}

/// The bytes kept as they are in an encoded path segment (1): RFC 3986's unreserved
/// characters. Everything else (`#`, `?`, `%`, `:`, spaces, quotes, non-ASCII) is
/// percent-encoded, so a file name can never end a path early, start a query or a fragment, or
/// turn into a scheme. `/` is marked apart (2). A table: links to every page are built on every page, so this is in
/// the hot path of rendering.
const KEEP: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            t[b] = 1;
        } else if c == b'/' {
            t[b] = 2;
        }
        b += 1;
    }
    t
};

/// Appends `part` percent-encoded (UTF-8), keeping `/` when `keep_slash`.
fn encode_into(out: &mut String, part: &str, keep_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let keep = |b: u8| KEEP[usize::from(b)] == 1 || (keep_slash && KEEP[usize::from(b)] == 2);
    let bytes = part.as_bytes();
    let mut start = 0;
    while let Some(n) = bytes[start..].iter().position(|&b| !keep(b)) {
        let i = start + n;
        // What lies between two encoded bytes is kept ASCII (so both ends are boundaries).
        if i > start {
            out.push_str(&part[start..i]);
        }
        let b = bytes[i];
        out.push('%');
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
        start = i + 1;
    }
    // `start` is 0 or follows an encoded byte; what follows is kept ASCII, so a boundary.
    out.push_str(&part[start..]);
}

/// An output path (`/` separators) as a URL path: each segment percent-encoded.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    encode_into(&mut out, path, true);
    out
}

/// The relative URL from the page written at `from` to the output file `to` (both
/// output-relative, `/` separators). With pretty URLs, `x/index.html` is linked as `x/`.
///
/// It always starts with `./` or `../` and its segments are percent-encoded: a folder named
/// `javascript:alert(1)` is linked as `./javascript%3Aalert(1)/…`, which no browser reads as a
/// scheme, and a page named `x#y.md` is reached instead of `x` with a fragment.
pub fn path_url(from: &str, to: &str, pretty: bool) -> String {
    let depth = from.bytes().filter(|&b| b == b'/').count();
    let to = if pretty {
        match to.strip_suffix("index.html") {
            Some(dir) if dir.is_empty() || dir.ends_with('/') => dir,
            _ => to,
        }
    } else {
        to
    };
    let mut url = String::with_capacity(3 * depth.max(1) + to.len() + 8);
    if depth == 0 {
        url.push_str("./");
    }
    for _ in 0..depth {
        url.push_str("../");
    }
    encode_into(&mut url, to, true);
    url
}

/// Why `name` cannot be one part (a file or folder name) of a path opsbook writes, or `None`
/// when it can. Values from front matter (alert names, aliases) become such names: one that
/// could climb out of the output folder, split into folders, fail to be written or break a
/// checkout on Windows is refused with a finding instead.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name == "." || name == ".." {
        return Some("`.` and `..` name folders, not pages");
    }
    if name.contains(['/', '\\']) {
        return Some("it holds a path separator");
    }
    if name.chars().any(char::is_control) {
        return Some("it holds a control character");
    }
    if name.len() > 200 {
        return Some("it is longer than 200 bytes, more than file systems take with an extension");
    }
    // Windows refuses these as file names, whatever the extension.
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    let reserved = matches!(
        stem.to_ascii_uppercase().as_str(),
        "CON" | "PRN" | "AUX" | "NUL"
    ) || (stem.len() == 4
        && stem
            .get(..3)
            .is_some_and(|p| p.eq_ignore_ascii_case("COM") || p.eq_ignore_ascii_case("LPT"))
        && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        return Some("it is a reserved file name on Windows");
    }
    None
}

/// Why `path` (`/` separators) cannot be a path opsbook writes inside its output folder, naming
/// the offending part; `None` when every part is a name `name_problem` accepts.
pub fn path_problem(path: &str) -> Option<String> {
    if path.starts_with('/') {
        return Some("it is an absolute path".into());
    }
    path.split('/').find_map(|part| {
        name_problem(part).map(|why| {
            if part.is_empty() {
                "it has an empty part (`//`, or a `/` at either end)".to_string()
            } else {
                format!("its part `{part}` cannot be written: {why}")
            }
        })
    })
}

/// `text` if it fits in `max` bytes, else its words up to there and an ellipsis.
pub fn cut_at_word(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    let head = head.rfind(' ').map_or(head, |space| &head[..space]);
    Cow::Owned(format!(
        "{}…",
        head.trim_end_matches(|c: char| !c.is_alphanumeric())
    ))
}

/// Levenshtein distance between `a` and `b`, in characters: for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// GitHub's heading slug: lower-case, drop everything but letters, numbers, `_`, `-` and spaces,
/// then spaces become `-`.
pub fn slug(text: &str) -> String {
    if text.is_ascii() {
        // Most headings: one pass, one allocation, the same result.
        let mut slug = String::with_capacity(text.len());
        for b in text.bytes() {
            match b {
                b' ' => slug.push('-'),
                b'-' | b'_' => slug.push(char::from(b)),
                b if b.is_ascii_alphanumeric() => slug.push(char::from(b.to_ascii_lowercase())),
                _ => {}
            }
        }
        return slug;
    }
    slug_of_any(text)
}

/// The slug of any text, character by character.
fn slug_of_any(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// How a renderer makes heading ids: the anchors a page's links were written against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdStyle {
    /// GitHub (and Hugo's and Docusaurus's, which copy it): see `slug`; repeats get `-1`, `-2`.
    #[default]
    Github,
    /// GitLab: as GitHub, but runs of hyphens become one.
    Gitlab,
    /// Python-Markdown's `toc` (MkDocs): accents dropped to ASCII, anything but word
    /// characters, spaces and hyphens removed, runs of spaces and hyphens one `-`; repeats get
    /// `_1`, `_2`.
    PythonMarkdown,
    /// Redcarpet's `with_toc_data` (GOV.UK tech-docs): ASCII letters, digits and `_` kept
    /// (lower-cased), every run of anything else one `-`, none at either end; repeats keep
    /// their id.
    Redcarpet,
}

/// The id a heading's text gets in `style`, before repeats are told apart.
pub fn heading_slug(style: IdStyle, text: &str) -> String {
    match style {
        IdStyle::Github => slug(text),
        IdStyle::Gitlab => {
            let mut out = String::with_capacity(text.len());
            for c in slug(text).chars() {
                if !(c == '-' && out.ends_with('-')) {
                    out.push(c);
                }
            }
            out
        }
        IdStyle::PythonMarkdown => {
            use unicode_normalization::UnicodeNormalization;
            let ascii: String = text.nfkd().filter(char::is_ascii).collect();
            let kept: String = ascii
                .chars()
                .filter(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '_' | '-') || c.is_whitespace()
                })
                .collect();
            let mut out = String::with_capacity(kept.len());
            let mut gap = false;
            for c in kept.trim().chars() {
                if c == '-' || c.is_whitespace() {
                    gap = true;
                } else {
                    if gap && !out.is_empty() {
                        out.push('-');
                    }
                    gap = false;
                    out.push(c.to_ascii_lowercase());
                }
            }
            if gap {
                out.push('-');
            }
            out
        }
        IdStyle::Redcarpet => {
            let mut out = String::with_capacity(text.len());
            let mut gap = false;
            for c in text.chars() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    if gap && !out.is_empty() {
                        out.push('-');
                    }
                    gap = false;
                    out.push(c.to_ascii_lowercase());
                } else {
                    gap = true;
                }
            }
            out
        }
    }
}

/// Gives each heading of a page a unique id the way its renderer does: GitHub's
/// (github-slugger) and GitLab's give a repeated slug `-1`, `-2`, … , counting per slug and
/// skipping ids already taken; Python-Markdown's `_1`, `_2`, … counting on from a `_N` the
/// slug already ends in; Redcarpet's none.
///
/// Each slug's counter only grows, and a number is skipped only when an id took it, so a page
/// of n headings costs O(n) claims in all, whatever their names (`a-1`…`a-K` then `a` K times).
#[derive(Default)]
pub struct HeadingIds {
    style: IdStyle,
    /// Ids given, and for each the last suffix tried for it as a base.
    taken: HashMap<String, usize, foldhash::fast::RandomState>,
    /// Candidates tried in all (what the cost is counted in).
    tried: usize,
}

impl HeadingIds {
    pub fn new(style: IdStyle) -> HeadingIds {
        HeadingIds {
            style,
            ..HeadingIds::default()
        }
    }

    pub fn claim(&mut self, base: String) -> String {
        match self.style {
            IdStyle::Github | IdStyle::Gitlab => self.claim_counting(base),
            IdStyle::PythonMarkdown => self.claim_python(base),
            IdStyle::Redcarpet => base,
        }
    }

    /// Python-Markdown's `unique()`: while the id is taken (or empty), `x_N` becomes
    /// `x_{N+1}` and anything else `x_1`. What is known to be taken below each stem's counter
    /// is not tried again.
    fn claim_python(&mut self, base: String) -> String {
        if !base.is_empty() && !self.taken.contains_key(&base) {
            self.taken.insert(base.clone(), 0);
            return base;
        }
        let (stem, first) = match base.rsplit_once('_') {
            Some((stem, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                (stem.to_string(), n.parse::<usize>().map_or(1, |n| n + 1))
            }
            _ => (base.clone(), 1),
        };
        // A stem's entry: every `stem_k` for 1 <= k < it is taken.
        let key = format!("{stem}_");
        let known = self.taken.get(&key).copied().unwrap_or(1);
        let mut n = if first <= known { known } else { first };
        let id = loop {
            self.tried += 1;
            let candidate = format!("{stem}_{n}");
            if !self.taken.contains_key(&candidate) {
                break candidate;
            }
            n += 1;
        };
        if first <= known {
            self.taken.insert(key, n + 1);
        }
        self.taken.insert(id.clone(), 0);
        id
    }

    fn claim_counting(&mut self, base: String) -> String {
        let Some(&last) = self.taken.get(&base) else {
            self.taken.insert(base.clone(), 0);
            return base;
        };
        let mut n = last;
        let id = loop {
            n += 1;
            self.tried += 1;
            let candidate = format!("{base}-{n}");
            if !self.taken.contains_key(&candidate) {
                break candidate;
            }
        };
        self.taken.insert(base, n);
        self.taken.insert(id.clone(), 0);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_between_words() {
        assert_eq!(cut_at_word("short text", 20), "short text");
        assert_eq!(
            cut_at_word("the pods restart, again", 19),
            "the pods restart…"
        );
        assert_eq!(cut_at_word("ünïcödé wörds här", 12), "ünïcödé…");
        assert_eq!(cut_at_word("oneverylongword", 5), "oneve…");
    }

    #[test]
    fn escaping_never_lets_a_marker_through() {
        assert_eq!(
            escape("a<\"&>\u{1}0\u{1}"),
            "a&lt;&quot;&amp;&gt;\u{fffd}0\u{fffd}"
        );
        assert_eq!(
            scrub_markers("x\u{2}y\u{3}\u{4}"),
            Some("x\u{fffd}y\u{fffd}\u{fffd}".into())
        );
        assert_eq!(scrub_markers("plain é"), None);
    }

    #[test]
    fn schemes_are_read_as_browsers_read_them() {
        assert_eq!(scheme("JaVa\tScript:x").as_deref(), Some("javascript"));
        assert_eq!(scheme("https://x").as_deref(), Some("https"));
        assert_eq!(scheme("a/b:c"), None);
        assert_eq!(scheme("./javascript:x"), None);
        assert!(safe_url("mailto:a@b") && !safe_url("data:text/html,x"));
    }

    #[test]
    fn path_urls_are_encoded_and_never_a_scheme() {
        assert_eq!(
            path_url("index.html", "db/failover.html", false),
            "./db/failover.html"
        );
        assert_eq!(
            path_url("a/b/c.html", "index.html", false),
            "../../index.html"
        );
        assert_eq!(path_url("a/b.html", "a/index.html", true), "../a/");
        assert_eq!(path_url("index.html", "index.html", true), "./");
        assert_eq!(
            path_url("index.html", "javascript:alert(1)/x.html", false),
            "./javascript%3Aalert%281%29/x.html"
        );
        assert_eq!(path_url("index.html", "x#y.html", false), "./x%23y.html");
        assert_eq!(path_url("index.html", "a?b.html", false), "./a%3Fb.html");
        assert_eq!(
            path_url("index.html", "100%41.html", false),
            "./100%2541.html"
        );
        assert_eq!(
            path_url("index.html", "ü b.html", false),
            "./%C3%BC%20b.html"
        );
        assert_eq!(path_url("index.html", "aé/€", false), "./a%C3%A9/%E2%82%AC");
        for to in ["javascript:x.html", "x#y.html", "a b/c\"d.html"] {
            let url = path_url("index.html", to, false);
            assert_eq!(scheme(&url), None);
            assert_eq!(percent_decode_strict(&url).unwrap(), format!("./{to}"));
        }
    }

    #[test]
    fn names_that_cannot_be_written_are_told_apart() {
        for good in [
            "KubePodCrashLooping",
            "a.b",
            "..a",
            "é",
            "a日",
            "con-x",
            "COM",
            "LPT10",
        ] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in [
            "", ".", "..", "a/b", "a\\b", "x\0", "a\u{1}", "CON", "nul.txt", "Com1", "lpt9.x",
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(name_problem(&"x".repeat(201)).is_some());
        assert_eq!(path_problem("db/old-failover"), None);
        for bad in [
            "/etc/x",
            "../x",
            "a/../../x",
            "a//b",
            "a/",
            "a/./b",
            "a/b\\..\\c",
        ] {
            assert!(path_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn each_renderer_makes_its_own_ids() {
        let cases = [
            (
                "Symptoms & causes",
                [
                    "symptoms--causes",
                    "symptoms-causes",
                    "symptoms-causes",
                    "symptoms-causes",
                ],
            ),
            (
                "What's up? (v2.0)",
                [
                    "whats-up-v20",
                    "whats-up-v20",
                    "whats-up-v20",
                    "what-s-up-v2-0",
                ],
            ),
            (
                "Café au lait",
                [
                    "café-au-lait",
                    "café-au-lait",
                    "cafe-au-lait",
                    "caf-au-lait",
                ],
            ),
            ("a -- b_c", ["a----b_c", "a-b_c", "a-b_c", "a-b_c"]),
            (
                " Trailing! ",
                ["trailing", "trailing", "trailing", "trailing"],
            ),
        ];
        let styles = [
            IdStyle::Github,
            IdStyle::Gitlab,
            IdStyle::PythonMarkdown,
            IdStyle::Redcarpet,
        ];
        for (text, want) in cases {
            for (style, id) in styles.iter().zip(want) {
                assert_eq!(heading_slug(*style, text.trim()), id, "{style:?} {text:?}");
            }
        }
        let claim_all = |style: IdStyle, names: &[&str]| -> Vec<String> {
            let mut ids = HeadingIds::new(style);
            names.iter().map(|n| ids.claim(n.to_string())).collect()
        };
        assert_eq!(
            claim_all(
                IdStyle::PythonMarkdown,
                &["a", "a", "a_1", "a", "", "b_3", "b_3"]
            ),
            ["a", "a_1", "a_2", "a_3", "_1", "b_3", "b_4"]
        );
        assert_eq!(claim_all(IdStyle::Redcarpet, &["a", "a"]), ["a", "a"]);
        // Linear for Python-Markdown too.
        let mut ids = HeadingIds::new(IdStyle::PythonMarkdown);
        let k = 2000;
        for i in 1..=k {
            ids.claim(format!("a_{i}"));
        }
        for _ in 0..k {
            ids.claim("a".into());
        }
        assert!(ids.tried <= 2 * k + 1, "{}", ids.tried);
    }

    #[test]
    fn github_slugs() {
        assert_eq!(slug("Owner and cadence"), "owner-and-cadence");
        assert_eq!(slug("What's up? (v2.0)"), "whats-up-v20");
        assert_eq!(slug("snake_case  two"), "snake_case--two");
        assert_eq!(slug("Ünïcode Überall"), "ünïcode-überall");
        // The ASCII path gives what the general one gives.
        for t in ["A-b_C  d!", "X.Y/z 9", "--__", "", "Tab\there", "x\u{b}y"] {
            assert_eq!(slug(t), slug_of_any(t), "{t:?}");
        }
    }

    #[test]
    fn heading_ids_follow_github_slugger() {
        let mut ids = HeadingIds::default();
        let got: Vec<String> = ["a", "a", "a-1", "a", "b", "a-3", "a"]
            .iter()
            .map(|s| ids.claim(s.to_string()))
            .collect();
        // github-slugger: a, a-1, a-1-1 (a-1 is taken), a-2, b, a-3, a-4.
        assert_eq!(got, ["a", "a-1", "a-1-1", "a-2", "b", "a-3", "a-4"]);
        let mut ids = HeadingIds::default();
        let k = 2000;
        for i in 1..=k {
            ids.claim(format!("a-{i}"));
        }
        let repeats: Vec<String> = (0..k).map(|_| ids.claim("a".into())).collect();
        assert_eq!(repeats[0], "a");
        assert_eq!(repeats[1], format!("a-{}", k + 1));
        assert_eq!(repeats[k - 1], format!("a-{}", 2 * k - 1));
        // Linear: every number is tried once (the allocator this replaced tried k²/2).
        assert!(
            ids.tried <= 2 * k,
            "{} candidates for {} headings",
            ids.tried,
            2 * k
        );
    }
}
