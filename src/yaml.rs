//! Front-matter YAML, parsed into a small tree that keeps where every node sits.
//!
//! All YAML handling lives here so the rest of opsbook never sees the parser crate. We use
//! serde-saphyr (maintained, pure Rust) with a tight budget: front matter is small, so an alias
//! bomb or deep nesting is rejected quickly instead of stalling a build. Every node carries the
//! byte offset of where it starts *inside the YAML text*; the caller shifts it by where the front
//! matter sits in the file.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Spanned};
use std::fmt;

/// Deepest nesting accepted in front matter (SPEC "Output and limits").
pub const MAX_DEPTH: usize = 16;

/// A YAML value with the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub offset: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// Numbers keep their source spelling: front matter never needs arithmetic.
    Number(String),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The scalar as text (strings, numbers and booleans), for fields that accept any scalar.
    pub fn as_scalar_text(&self) -> Option<String> {
        self.scalar_str().map(std::borrow::Cow::into_owned)
    }

    /// The same, borrowed where it can be (to compare it, without a copy).
    pub fn scalar_str(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Value::String(s) | Value::Number(s) => Some(s.as_str().into()),
            Value::Bool(b) => Some(b.to_string().into()),
            _ => None,
        }
    }
}

/// A YAML error with the byte offset (in the YAML text) it points at, when known.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub offset: Option<usize>,
    /// The input broke a size limit (depth, aliases, volume) rather than YAML syntax.
    pub over_limit: bool,
}

/// Parses a front-matter block that starts at byte `base` of its file; every offset in the result
/// and in the error is a file offset. An empty block is an empty mapping; anything else must be a
/// mapping.
pub fn parse_front_matter(text: &str, base: usize) -> Result<Vec<(Node, Node)>, YamlError> {
    match parse_mapping(text) {
        Ok(mut entries) => {
            for (k, v) in &mut entries {
                shift(k, base);
                shift(v, base);
            }
            Ok(entries)
        }
        Err(mut err) => {
            err.offset = err.offset.map(|o| o + base);
            Err(err)
        }
    }
}

fn shift(node: &mut Node, by: usize) {
    node.offset += by;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift(n, by)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift(k, by);
            shift(v, by);
        }),
        _ => {}
    }
}

/// Parses a YAML mapping; offsets are relative to `text`.
pub fn parse_mapping(text: &str) -> Result<Vec<(Node, Node)>, YamlError> {
    parse_mapping_within(text, 1)
}

/// Parses a larger YAML file (alerting rules, OWNERS): the same shape limits, 20 times the
/// volume.
pub fn parse_file_mapping(text: &str) -> Result<Vec<(Node, Node)>, YamlError> {
    parse_mapping_within(text, 20)
}

fn parse_mapping_within(text: &str, scale: usize) -> Result<Vec<(Node, Node)>, YamlError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    if let Some(entries) = flat::mapping(text) {
        return Ok(entries);
    }
    parse_with_saphyr(text, scale)
}

fn parse_with_saphyr(text: &str, scale: usize) -> Result<Vec<(Node, Node)>, YamlError> {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_aliases: 64 * scale,
            max_anchors: 64 * scale,
            max_depth: MAX_DEPTH + 1,
            max_events: 100_000 * scale,
            max_nodes: 50_000 * scale,
            max_recorded_anchor_events: 10_000 * scale,
            max_documents: 1,
        },
        duplicate_keys: DuplicateKeyPolicy::Error,
    };
    let root: Spanned<Tree> = serde_saphyr::from_str_with_options(text, options)
        .map_err(|err| convert_error(text, &err))?;
    let root_offset = offset_of(text, &root);
    match root.value.0.value {
        Value::Map(entries) => Ok(entries),
        Value::Null => Ok(Vec::new()),
        other => Err(YamlError {
            message: format!(
                "expected a mapping of `key: value` lines, found {}",
                other.type_name()
            ),
            offset: Some(root_offset),
            over_limit: false,
        }),
    }
}

fn convert_error(text: &str, err: &serde_saphyr::Error) -> YamlError {
    let inner = err.without_snippet();
    let offset = inner.location().and_then(|loc| location_offset(text, loc));
    let mut message = inner.to_string();
    // The crate appends " at line L column C"; we print positions ourselves.
    if let Some(idx) = message.find(" at line ") {
        message.truncate(idx);
    }
    if let Some(idx) = message.find(", set DuplicateKeyPolicy") {
        message.truncate(idx);
    }
    let over_limit = message.contains("budget breached") || message.contains("recursion limit");
    if over_limit {
        let lower = message.to_lowercase();
        message = if lower.contains("depth") || lower.contains("recursion") {
            format!("nested deeper than {MAX_DEPTH} levels")
        } else if lower.contains("alias") || lower.contains("anchor") || lower.contains("replay") {
            "uses more YAML aliases than allowed (an alias bomb?)".to_string()
        } else {
            format!("is larger than opsbook reads ({message})")
        };
    }
    YamlError {
        message,
        offset,
        over_limit,
    }
}

fn location_offset(text: &str, loc: serde_saphyr::Location) -> Option<usize> {
    if let Some(byte) = loc.span().byte_offset() {
        return Some(byte as usize);
    }
    let (line, column) = (loc.line() as usize, loc.column() as usize);
    if line == 0 {
        return None;
    }
    let line_start = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum::<usize>();
    let rest = text.get(line_start..)?;
    let col_bytes = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    Some((line_start + col_bytes).min(text.len()))
}

fn offset_of<T>(text: &str, spanned: &Spanned<T>) -> usize {
    location_offset(text, spanned.referenced).unwrap_or(0)
}

/// Deserialization target that records offsets through `Spanned` at every level.
struct Tree(Node);

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor).map(Tree)
    }
}

struct TreeVisitor;

fn node(value: Value) -> Node {
    Node { offset: 0, value }
}

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(node(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(node(Value::Number(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(node(Value::Number(v.to_string())))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(node(Value::Number(v.to_string())))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(node(Value::Number(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(node(Value::Number(v.to_string())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(node(Value::String(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(node(Value::String(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Tree::deserialize(d).map(|t| t.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Tree>>()? {
            items.push(located(item));
        }
        Ok(node(Value::Seq(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Tree>>()? {
            let value = map.next_value::<Spanned<Tree>>()?;
            entries.push((located(key), located(value)));
        }
        Ok(node(Value::Map(entries)))
    }
}

/// Takes the node out of its `Spanned` wrapper, keeping where it starts. String input always
/// carries byte offsets in serde-saphyr.
fn located(spanned: Spanned<Tree>) -> Node {
    let mut n = spanned.value.0;
    n.offset = spanned.referenced.span().byte_offset().unwrap_or(0) as usize;
    n
}

/// A fast path for the front matter almost every runbook has: `key: value` lines whose values
/// are plain or simply quoted scalars, flow lists of them or block lists of them. It gives exactly
/// what serde-saphyr gives (values and offsets; a test compares the two on every corpus) and
/// declines (`None`) anything else: nesting, comments after values, escapes, multi-line scalars,
/// duplicate keys, and any scalar whose type is not certain (numbers other than plain integers,
/// YAML 1.1 booleans such as `yes`). The full parser then handles it, errors included.
mod flat {
    use super::{Node, Value};

    pub fn mapping(text: &str) -> Option<Vec<(Node, Node)>> {
        if !plain_characters(text) {
            return None;
        }
        let mut entries: Vec<(Node, Node)> = Vec::with_capacity(12);
        let mut lines = Lines { text, pos: 0 }.peekable();
        while let Some((start, line)) = lines.next() {
            if line.trim_start_matches(' ').is_empty() || line.starts_with('#') {
                continue;
            }
            let colon = memchr::memchr(b':', line.as_bytes())?;
            let key = &line[..colon];
            // Duplicates are errors, left to the full parser; past a few dozen keys, checking
            // for them here would cost more than it saves.
            let duplicate = entries
                .iter()
                .any(|(k, _)| matches!(&k.value, Value::String(s) if s == key));
            if !is_plain_key(key) || duplicate || entries.len() >= 64 {
                return None;
            }
            let after = &line[colon + 1..];
            if !after.is_empty() && !after.starts_with(' ') {
                return None;
            }
            let lead = after.len() - after.trim_start_matches(' ').len();
            let raw = after.trim_matches(' ');
            let at = start + colon + 1 + lead;
            let value = if raw.is_empty() {
                // A block list on the lines below, or null (placed at the colon).
                let mut items = Vec::new();
                let mut indent = None;
                let first_dash = lines.peek().map_or(0, |&(s, _)| s);
                while let Some(&(item_start, next)) = lines.peek() {
                    let content = next.trim_start_matches(' ');
                    if content.is_empty() || !next.starts_with([' ', '-']) {
                        break;
                    }
                    let this = next.len() - content.len();
                    if *indent.get_or_insert(this) != this {
                        return None;
                    }
                    let item = content.strip_prefix("- ")?;
                    let skip = item.len() - item.trim_start_matches(' ').len();
                    let offset = item_start + this + 2 + skip;
                    items.push(scalar(item.trim_matches(' '), offset, false)?);
                    lines.next();
                }
                // serde-saphyr places an indented list at its first dash, a list at the key's
                // indentation at its first item.
                let list_offset = match (indent, items.first()) {
                    (Some(n), Some(_)) if n > 0 => first_dash + n,
                    (_, Some(first)) => first.offset,
                    _ => 0,
                };
                match items.first() {
                    Some(_) => Node {
                        offset: list_offset,
                        value: Value::Seq(items),
                    },
                    None => Node {
                        offset: start + colon,
                        value: Value::Null,
                    },
                }
            } else if let Some(inner) = raw.strip_prefix('[') {
                let inner = inner.strip_suffix(']')?;
                let mut items = Vec::new();
                if !inner.trim_matches(' ').is_empty() {
                    let mut pos = at + 1;
                    for part in inner.split(',') {
                        let skip = part.len() - part.trim_start_matches(' ').len();
                        items.push(scalar(part.trim_matches(' '), pos + skip, true)?);
                        pos += part.len() + 1;
                    }
                }
                Node {
                    offset: at,
                    value: Value::Seq(items),
                }
            } else {
                scalar(raw, at, false)?
            };
            let key = Node {
                offset: start,
                value: Value::String(key.to_string()),
            };
            entries.push((key, value));
        }
        Some(entries)
    }

    /// Whether `text` holds only characters this path reads exactly as serde-saphyr does: no
    /// control character but `\n` (C0, DEL, C1: YAML refuses most of them, escapes others, and
    /// reads `\r` and NEL as line breaks), no tab, no byte-order mark anywhere and no U+FFFE or
    /// U+FFFF (not YAML characters). Anything else goes to the full parser.
    fn plain_characters(text: &str) -> bool {
        let b = text.as_bytes();
        // ASCII controls and DEL, one pass; the multi-byte cases start with 0xC2 (C1 controls)
        // or 0xEF (U+FEFF, U+FFFE, U+FFFF), which ordinary text seldom has.
        // Without an early exit, so that it is vectorized: front matter is short.
        let controls = b.iter().fold(false, |seen, &c| {
            seen | ((c < 0x20) & (c != b'\n')) | (c == 0x7f)
        });
        if controls {
            return false;
        }
        !memchr::memchr2_iter(0xc2, 0xef, b).any(|i| match b[i] {
            0xc2 => b.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)),
            _ => matches!(
                b.get(i + 1..i + 3),
                Some([0xbb, 0xbf] | [0xbf, 0xbe] | [0xbf, 0xbf])
            ),
        })
    }

    /// Lines with the byte offset where each starts, without their `\n`.
    struct Lines<'a> {
        text: &'a str,
        pos: usize,
    }

    impl<'a> Iterator for Lines<'a> {
        type Item = (usize, &'a str);
        fn next(&mut self) -> Option<(usize, &'a str)> {
            if self.pos >= self.text.len() {
                return None;
            }
            let start = self.pos;
            let rest = &self.text[start..];
            let end = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
            self.pos = start + end + 1;
            Some((start, &rest[..end]))
        }
    }

    fn is_plain_key(key: &str) -> bool {
        let mut bytes = key.bytes();
        bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && !resolves_as_keyword(key)
    }

    /// Plain words that YAML (1.1 and 1.2, in any case) may read as null, a boolean or a float.
    fn resolves_as_keyword(s: &str) -> bool {
        const WORDS: &[&str] = &[
            "null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf", "infinity",
        ];
        WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
    }

    /// A scalar, if its value is certain: quoted without escapes, or plain and clearly a
    /// string, `~`/`null`, or a small integer.
    fn scalar(raw: &str, offset: usize, in_flow: bool) -> Option<Node> {
        let value = if let Some(inner) = raw.strip_prefix('"') {
            let inner = inner.strip_suffix('"')?;
            if memchr::memchr2(b'"', b'\\', inner.as_bytes()).is_some() {
                return None;
            }
            Value::String(inner.to_string())
        } else if let Some(inner) = raw.strip_prefix('\'') {
            let inner = inner.strip_suffix('\'')?;
            if memchr::memchr(b'\'', inner.as_bytes()).is_some() {
                return None;
            }
            Value::String(inner.to_string())
        } else {
            plain(raw, in_flow)?
        };
        Some(Node { offset, value })
    }

    fn plain(raw: &str, in_flow: bool) -> Option<Value> {
        let first = *raw.as_bytes().first()?;
        let b = raw.as_bytes();
        // `: ` or ` #` anywhere (a nested key or a comment), or a trailing colon.
        let colon_space = memchr::memchr_iter(b':', b).any(|i| b.get(i + 1) == Some(&b' '));
        let space_hash = memchr::memchr_iter(b'#', b).any(|i| i > 0 && b[i - 1] == b' ');
        if colon_space || space_hash || raw.ends_with(':') {
            return None;
        }
        if in_flow && raw.contains(['[', ']', '{', '}', ',', ':']) {
            return None;
        }
        if raw == "~" || raw == "null" {
            return Some(Value::Null);
        }
        if first.is_ascii_digit() {
            let is_date = b.len() == 10
                && b.iter().enumerate().all(|(i, c)| match i {
                    4 | 7 => *c == b'-',
                    _ => c.is_ascii_digit(),
                });
            if is_date {
                return Some(Value::String(raw.to_string()));
            }
            if b.iter().all(u8::is_ascii_digit) && b.len() <= 18 && (first != b'0' || b.len() == 1)
            {
                return Some(Value::Number(raw.to_string()));
            }
            // A character no number can have makes it a string (`2026-Q2`, `90 days`).
            let not_numeric = |c: &u8| !(c.is_ascii_hexdigit() || b"xXoObB._+-:".contains(c));
            return b
                .iter()
                .any(not_numeric)
                .then(|| Value::String(raw.to_string()));
        }
        if !(first.is_ascii_alphabetic() || first >= 0x80) || resolves_as_keyword(raw) {
            return None;
        }
        Some(Value::String(raw.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of front matter: what the fast path takes, and what it must decline.
    const PIECES: &[&str] = &[
        "a",
        "Title",
        "x_y",
        "0",
        "12",
        "007",
        "1.5",
        "1e3",
        "0x1F",
        "-",
        "+",
        " ",
        "  ",
        ":",
        ": ",
        "#",
        " #",
        "'",
        "''",
        "\"",
        "\\",
        "\\n",
        "[",
        "]",
        ",",
        "{",
        "}",
        "&",
        "*",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "?",
        "~",
        "null",
        "yes",
        "No",
        "on",
        "true",
        "2026-01-05",
        "2026-Q3",
        "é",
        "日本",
        "🚀",
        "\u{0}",
        "\u{1}",
        "\u{7}",
        "\u{b}",
        "\u{c}",
        "\u{1b}",
        "\u{7f}",
        "\u{80}",
        "\u{85}",
        "\u{9f}",
        "\u{a0}",
        "\u{2028}",
        "\u{feff}",
        "\u{fffe}",
        "\u{ffff}",
        "\t",
        "\r",
        "\n",
        "\n  - ",
        "\n- ",
    ];

    fn fragment() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..6).prop_map(|p| p.concat())
    }

    fn front_matter() -> impl Strategy<Value = String> {
        let value = prop_oneof![
            fragment(),
            fragment().prop_map(|f| format!("\"{f}\"")),
            fragment().prop_map(|f| format!("'{f}'")),
            prop::collection::vec(fragment(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(fragment(), 1..4)
                .prop_map(|v| v.iter().map(|i| format!("\n  - {i}")).collect()),
        ];
        let key = prop::sample::select(&["title", "owner", "tags", "a-b", "x_1", "k"][..]);
        prop::collection::vec((key, value), 0..6).prop_map(|entries| {
            entries
                .into_iter()
                .map(|(k, v)| format!("{k}: {v}\n"))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 4000,
            rng_seed: proptest::test_runner::RngSeed::Fixed(6),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Whenever the fast path answers, it answers what serde-saphyr does.
        #[test]
        fn the_fast_path_agrees_with_serde_saphyr_whenever_it_answers(text in front_matter()) {
            if let Some(fast) = flat::mapping(&text) {
                prop_assert_eq!(Ok(fast), parse_with_saphyr(&text, 1), "front matter {:?}", text);
            }
        }
    }

    #[test]
    fn the_fast_path_declines_control_characters_and_byte_order_marks() {
        for value in [
            "\"Disk\u{1}full\"",
            "Disk\u{1}full",
            "'a\u{7f}b'",
            "a\u{85}b",
            "a\u{9f}",
            "a\u{feff}b",
            "a\u{fffe}",
            "\"\u{ffff}\"",
            "a\u{c}b",
        ] {
            let text = format!("title: {value}\nowner: o\n");
            assert_eq!(flat::mapping(&text), None, "{value:?}");
        }
        // Ordinary non-ASCII text still takes it.
        assert!(flat::mapping("title: Été 日本 🚀 \u{a0}x\n").is_some());
    }

    #[test]
    fn keeps_offsets_of_keys_and_values() {
        let text = "title: Failover\nowner: dba\ntags: [a, b]\n";
        let map = parse_mapping(text).unwrap();
        assert_eq!(map.len(), 3);
        assert_eq!(map[1].0.offset, text.find("owner").unwrap());
        assert_eq!(map[1].1.offset, text.find("dba").unwrap());
        assert_eq!(map[1].1.value, Value::String("dba".into()));
        let Value::Seq(tags) = &map[2].1.value else {
            panic!()
        };
        assert_eq!(tags[1].offset, text.find("b]").unwrap());
    }

    #[test]
    fn duplicate_keys_are_errors_with_position() {
        let text = "owner: a\nowner: b\n";
        let err = parse_mapping(text).unwrap_err();
        assert!(
            err.message.to_lowercase().contains("duplicate"),
            "{}",
            err.message
        );
        assert_eq!(err.offset, Some(9));
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse_mapping("title: [unclosed\nowner: x\n").unwrap_err();
        assert!(err.offset.is_some(), "{err:?}");
    }

    #[test]
    fn scalar_root_is_refused() {
        let err = parse_mapping("just text").unwrap_err();
        assert!(err.message.contains("mapping"), "{}", err.message);
    }

    #[test]
    fn limits_are_named() {
        let deep = format!("a: {}{}", "[".repeat(40), "]".repeat(40));
        let err = parse_mapping(&deep).unwrap_err();
        assert!(err.over_limit && err.message.contains("deeper"), "{err:?}");
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                p = if i == 1 {
                    String::new()
                } else {
                    (i - 1).to_string()
                }
            ));
        }
        assert!(parse_mapping(&text).is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("a: {}{}", "[".repeat(20_000), "]".repeat(20_000));
        assert!(parse_mapping(&text).is_err());
    }

    /// The fast path gives what serde-saphyr gives, on every front matter of the example site,
    /// the test fixtures, the seeds and the corpora, and on tricky values; and it is taken for
    /// ordinary runbooks (or it would save nothing).
    #[test]
    fn flat_fast_path_agrees_with_the_full_parser() {
        fn agree(text: &str) -> bool {
            let Some(fast) = flat::mapping(text) else {
                return false;
            };
            let full = parse_with_saphyr(text, 1);
            assert_eq!(Ok(fast), full, "front matter:\n{text}");
            true
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = 0;
        let mut fast = 0;
        for dir in [
            "content",
            "tests/fixtures",
            "../shared/seeds",
            "../shared/corpus",
        ] {
            for entry in walkdir::WalkDir::new(root.join(dir)).into_iter().flatten() {
                if entry.path().extension().is_none_or(|e| e != "md") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                if let Some((yaml, _)) = crate::source::front_matter::split(&text).yaml {
                    files += 1;
                    fast += usize::from(agree(yaml));
                }
            }
        }
        assert!(
            files > 20 && fast * 2 > files,
            "{fast} of {files} took the fast path"
        );
        for entry in walkdir::WalkDir::new(root.join("content"))
            .into_iter()
            .flatten()
        {
            if entry.path().extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                // Variable declarations are nested mappings: the full parser's work.
                if let Some((yaml, _)) = crate::source::front_matter::split(&text).yaml
                    && !yaml.contains("\nvariables:")
                {
                    assert!(agree(yaml), "{}", entry.path().display());
                }
            }
        }

        let values = [
            "x",
            "x  ",
            "Fix [prod] now",
            "a-b",
            "x:y",
            "a#b",
            "it's",
            "\"quoted\"",
            "'single'",
            "\"\"",
            "''",
            "'it''s'",
            "\"esc\\n\"",
            "\"a #b\"",
            "~",
            "null",
            "Null",
            "NULL",
            "nulls",
            "true",
            "True",
            "tRue",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "nan",
            "inf",
            "12",
            "0",
            "007",
            "1.50",
            "1e3",
            "0x1F",
            "0o17",
            "+7",
            "-7",
            "-x",
            "1_000",
            ".5",
            "12:30",
            "2026-01-05",
            "2026-1-5",
            "2026-01-05T10:00:00Z",
            "123456789012345678",
            "9223372036854775808",
            "99999999999999999999",
            "été",
            "日本",
            "a: b",
            "x # c",
            "&anchor x",
            "*alias",
            "!tag x",
            "|",
            ">",
            "[a, b]",
            "[ a , 'b', \"c\" ]",
            "[]",
            "[ ]",
            "[a, [b]]",
            "[a, b,]",
            "[a, yes]",
            "[1, 2]",
            "[a:b]",
            "{a: b}",
            "%x",
            "@x",
            "`x`",
            "?x",
            "- x",
            "x,y",
            "2026-Q2",
            "90d",
            "90 days",
            "1.5h",
            "24x7",
            "3:4:5",
            "1e",
            "0b101",
            "12 ",
            "12abc:",
            "2026-01-05 x",
        ];
        let mut taken = 0;
        for v in values {
            for text in [
                format!("title: T\nk: {v}\nowner: o\n"),
                format!("k:\n  - {v}\n  - second\nz: 1\n"),
                format!("k:\n- first\n- {v}\n"),
                format!("k: {v}"),
            ] {
                taken += usize::from(agree(&text));
            }
        }
        assert!(taken > 100, "{taken}");
        for text in [
            "a:\nb: 1\n",
            "a:   \nb:\n",
            "# comment\ntitle: x\n\n\nowner: y\n",
            "a: x\n  continued\n",
            "a:\n  b: c\n",
            "a:\n  - x\n    - y\n",
            "a:\n  - x\n\n  - y\n",
            "a: 1\na: 2\n",
            "a:x\n",
            "a : x\n",
            "1: x\n",
            "yes: x\n",
            "a-b_c: x\n",
            "a: [x]\r\n",
            "a:\n  - x\n  # c\n  - y\n",
            "a:\n -  x\n",
            "a:\n  -\n",
            "a:\n-   x\n-  y\n",
            "a:\n    -   x\n    - y\nb: [x]\n",
        ] {
            agree(text);
        }
    }
}
