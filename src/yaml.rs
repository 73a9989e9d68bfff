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
        match self {
            Value::String(s) | Value::Number(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
