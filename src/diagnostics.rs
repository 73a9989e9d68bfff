//! Findings: what every check produces, and how a person reads them.
//!
//! Checks push `Diagnostic`s into a list and keep going (never stop at the first problem); the
//! command sorts the list once and reports it. Positions stay byte offsets until rendering, when
//! `LineIndex` turns them into 1-based line and column (in characters) exactly once.

use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// Named exit codes (SPEC "Exit codes").
pub mod exit {
    /// No error-level finding.
    pub const OK: u8 = 0;
    /// At least one error-level finding.
    pub const FINDINGS: u8 = 1;
    /// The command could not do its job.
    pub const FAILURE: u8 = 2;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Error => "error",
            Level::Warning => "warning",
        })
    }
}

/// A configured level: a rule can also be switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Error,
    Warning,
    Off,
}

macro_rules! rules {
    ($( $variant:ident = $code:literal, $default:ident, $description:literal; )*) => {
        /// Every rule code in SPEC's table, with its default level.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule { $( $variant, )* }

        impl Rule {
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            pub fn code(self) -> &'static str {
                match self { $( Rule::$variant => $code, )* }
            }

            pub fn default_setting(self) -> Setting {
                match self { $( Rule::$variant => Setting::$default, )* }
            }

            pub fn description(self) -> &'static str {
                match self { $( Rule::$variant => $description, )* }
            }
        }
    };
}

rules! {
    FrontMatterSyntax = "front-matter-syntax", Error, "front matter is not valid YAML, or not a mapping";
    InvalidUtf8 = "invalid-utf8", Error, "a source file is not UTF-8";
    MissingOwner = "missing-owner", Error, "no owner, or a placeholder owner";
    MissingCadence = "missing-cadence", Error, "no review cadence";
    InvalidCadence = "invalid-cadence", Error, "a cadence entry that is neither an interval nor an event trigger";
    MissingAcceptanceChecks = "missing-acceptance-checks", Error, "no acceptance checks section or list, or it has no items";
    MissingSection = "missing-section", Error, "a section that the schema requires is absent";
    MissingField = "missing-field", Error, "a field that the schema requires is absent";
    InvalidField = "invalid-field", Error, "a field of the wrong type, an enum value not allowed, a bad date";
    UnknownField = "unknown-field", Warning, "a front-matter key the schema does not know";
    ConflictingField = "conflicting-field", Error, "front matter and body metadata disagree";
    BrokenLink = "broken-link", Error, "a relative link or image to a file or runbook that does not exist";
    BrokenAnchor = "broken-anchor", Error, "a #fragment that matches no heading of its target";
    UnknownRelated = "unknown-related", Error, "a related entry that names no runbook";
    UnresolvedReference = "unresolved-reference", Warning, "a related-operations item that names no existing runbook";
    OutputCollision = "output-collision", Error, "two sources would write the same output file";
    DuplicateTitle = "duplicate-title", Warning, "two runbooks share a title";
    Secret = "secret", Error, "a credential in the text or code blocks";
    Placeholder = "placeholder", Warning, "unfinished text outside code";
    MissingLastReviewed = "missing-last-reviewed", Warning, "an interval cadence but no last_reviewed";
    ReviewOverdue = "review-overdue", Warning, "the next review date is before today";
    EmptySection = "empty-section", Warning, "a heading with nothing under it";
    Orphan = "orphan", Off, "no other runbook or section page links to it";
    UnclosedFence = "unclosed-fence", Warning, "a code fence that runs to the end of the file";
    UnsafeHtml = "unsafe-html", Warning, "raw HTML that the sanitizer removed";
    UnsafeLink = "unsafe-link", Error, "a link whose scheme is not http, https, mailto, tel or relative";
    TooLarge = "too-large", Error, "a runbook over 2 MiB, or front matter too large or nested too deep";
    BadSymlink = "bad-symlink", Error, "a symlink that leaves the content root, or a symlink loop";
    BrokenRunbookUrl = "broken-runbook-url", Error, "an alert's runbook_url into this site that lands on no page";
    UnknownAlert = "unknown-alert", Warning, "a runbook's alerts entry that no rule defines";
    AlertWithoutRunbook = "alert-without-runbook", Warning, "an alert with no runbook_url and no runbook naming it";
    UnknownShortcode = "unknown-shortcode", Warning, "a Hugo shortcode other than ref/relref, left out of the page";
}

impl Rule {
    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.code() == code)
    }

    /// Rules whose error-level findings make a built site wrong (SPEC "build").
    pub fn breaks_site(self) -> bool {
        matches!(
            self,
            Rule::FrontMatterSyntax
                | Rule::OutputCollision
                | Rule::BrokenLink
                | Rule::BrokenAnchor
                | Rule::Secret
        )
    }

    /// Schema rules: a runbook is complete when none of them fires at error level.
    pub fn is_schema(self) -> bool {
        matches!(
            self,
            Rule::MissingOwner
                | Rule::MissingCadence
                | Rule::MissingAcceptanceChecks
                | Rule::MissingSection
                | Rule::MissingField
                | Rule::InvalidCadence
                | Rule::InvalidField
                | Rule::ConflictingField
        )
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One finding. `path` is relative to the site root with `/` separators; `offset` is a byte
/// offset into that file's text (0 when the finding concerns the whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: Rule,
    pub level: Level,
    pub path: String,
    pub offset: usize,
    pub message: String,
    pub help: Option<String>,
    /// Bytes of the file that must never be printed (a secret); the source line shows them
    /// masked.
    pub redact: Option<std::ops::Range<usize>>,
}

impl Diagnostic {
    pub fn new(rule: Rule, path: &str, offset: usize, message: impl Into<String>) -> Self {
        let level = match rule.default_setting() {
            Setting::Warning => Level::Warning,
            _ => Level::Error,
        };
        Diagnostic {
            rule,
            level,
            path: path.to_string(),
            offset,
            message: message.into(),
            help: None,
            redact: None,
        }
    }

    pub fn redacting(mut self, range: std::ops::Range<usize>) -> Self {
        self.redact = Some(range);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Byte offset -> (line, column) for one file. Lines end at `\n`, so CRLF files number their
/// lines exactly like LF files; columns count characters, not bytes, and ignore a trailing `\r`.
///
/// An index may cover only the beginning of its file (`of_prefix`), when that is all of the
/// text that was kept: offsets beyond it are then known to lie beyond the kept text
/// (`line_end` is past it) but have no line until the file is read again.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<u32>,
    /// Length of the whole file.
    len: u32,
    /// How much of the file the index covers (`len`: all of it).
    covered: u32,
    /// Whether the covered text is all ASCII, so that columns are byte counts and need no text.
    ascii: bool,
}

/// 1-based line of `offset` in `text`, without an index (for the odd message that names a line).
pub fn line_of(text: &str, offset: usize) -> usize {
    let before = &text.as_bytes()[..offset.min(text.len())];
    1 + memchr::memchr_iter(b'\n', before).count()
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex::of_prefix(text, text.len())
    }

    /// An index of `text[..covered]`, for a file of which only that much is kept. A line that
    /// ends past `covered` counts as not kept (`line_end` is past it).
    pub fn of_prefix(text: &str, covered: usize) -> Self {
        let prefix = &text.as_bytes()[..covered];
        let mut starts = Vec::with_capacity(prefix.len() / 32 + 2);
        starts.push(0);
        starts.extend(
            memchr::memchr_iter(b'\n', prefix).map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        LineIndex {
            starts,
            len: u32::try_from(text.len()).unwrap_or(u32::MAX),
            covered: u32::try_from(covered).unwrap_or(u32::MAX),
            ascii: prefix.is_ascii(),
        }
    }

    /// Whether the index knows the line of `offset`.
    fn covers(&self, offset: usize) -> bool {
        self.covered == self.len || offset < self.covered as usize
    }

    /// 1-based line of `offset` (past a covered prefix: the line where the prefix ends).
    pub fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.len as usize);
        self.starts.partition_point(|&s| s as usize <= offset)
    }

    /// 1-based line and column of `offset` in `text`.
    pub fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s as usize <= offset) - 1;
        let start = self.starts[line] as usize;
        let column = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line + 1, column + 1)
    }

    /// Where the line holding `offset` ends: the start of the next line, or the end of the text.
    pub fn line_end(&self, offset: usize) -> usize {
        let line = self.line(offset);
        self.starts
            .get(line)
            .map_or(self.len as usize, |&s| s as usize)
    }

    /// Length of the text this index was made from.
    pub fn text_len(&self) -> usize {
        self.len as usize
    }

    /// The position of `offset` when the text is not at hand: known for ASCII texts only.
    pub fn position_without_text(&self, offset: usize) -> Option<(usize, usize)> {
        if !self.ascii || !self.covers(offset) {
            return None;
        }
        let offset = offset.min(self.len as usize);
        let line = self.line(offset);
        Some((line, offset - self.starts[line - 1] as usize + 1))
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let Some(&start) = self.starts.get(line - 1) else {
            return "";
        };
        let start = start as usize;
        let end = self.starts.get(line).map_or(text.len(), |&e| e as usize);
        text.get(start..end)
            .unwrap_or("")
            .trim_end_matches('\n')
            .trim_end_matches('\r')
    }
}

/// A finding with its position resolved, ready to print or serialise.
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    pub rule: &'static str,
    pub level: Level,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
    #[serde(skip)]
    pub source_line: Option<String>,
}

/// Source texts by path, for resolving offsets into lines. Implemented by the site model.
pub trait Sources {
    /// The file's text and line index. The text may be only its beginning, or empty, when the
    /// rest was not kept (`build` keeps only line indexes, `check` what its findings need);
    /// `reread` then reads it again.
    fn text(&self, path: &str) -> Option<(&str, &LineIndex)>;

    /// Whether every finding shows its source line (`check`), or only errors do (`build`, which
    /// prints only errors): a warning in a file whose text was not kept then gets its line and
    /// column from the index alone.
    fn shows_every_line(&self) -> bool {
        true
    }

    fn reread(&self, _path: &str) -> Option<String> {
        None
    }
}

fn located_at(d: Diagnostic, line: usize, column: usize, source_line: Option<String>) -> Located {
    Located {
        rule: d.rule.code(),
        level: d.level,
        path: d.path,
        line,
        column,
        message: d.message,
        help: d.help,
        source_line,
    }
}

/// Resolve every diagnostic's position and sort them by path, line, column and rule. Takes the
/// diagnostics, as their strings move into the located findings.
pub fn locate(diagnostics: Vec<Diagnostic>, sources: &(dyn Sources + Sync)) -> Vec<Located> {
    use rayon::prelude::*;
    // Whether a finding's line is beyond the text that was kept of its file (`build` keeps only
    // line indexes) and needs it: columns of ASCII files need no text, and in `build` only
    // errors (what it prints) show their line.
    let every_line = sources.shows_every_line();
    let needs_text = |d: &Diagnostic, index: &LineIndex| {
        every_line || d.level == Level::Error || index.position_without_text(d.offset).is_none()
    };
    let needs_reread = |d: &Diagnostic| {
        sources.text(&d.path).is_some_and(|(text, index)| {
            index.line_end(d.offset) > text.len() && needs_text(d, index)
        })
    };
    let mut to_read: Vec<&str> = diagnostics
        .par_iter()
        .filter(|d| needs_reread(d))
        .map(|d| d.path.as_str())
        .collect();
    to_read.sort_unstable();
    to_read.dedup();
    // A file read again gets a full index: the one kept may cover only what was kept.
    let reread: HashMap<String, Option<(String, LineIndex)>> = to_read
        .into_par_iter()
        .map(|p| {
            let text = sources.reread(p).map(|t| {
                let index = LineIndex::new(&t);
                (t, index)
            });
            (p.to_string(), text)
        })
        .collect();
    let mut located: Vec<Located> = diagnostics
        .into_par_iter()
        .map(|d| {
            let Some((mut text, mut index)) = sources.text(&d.path) else {
                return located_at(d, 1, 1, None);
            };
            if index.line_end(d.offset) > text.len() {
                if !needs_text(&d, index)
                    && let Some((line, column)) = index.position_without_text(d.offset)
                {
                    return located_at(d, line, column, None);
                }
                match reread.get(d.path.as_str()) {
                    Some(Some((t, full))) if t.len() == index.text_len() => {
                        text = t.as_str();
                        index = full;
                    }
                    _ => {
                        let line = index.line(d.offset);
                        return located_at(d, line, 1, None);
                    }
                }
            }
            let (line, column) = index.position(text, d.offset);
            let shown = match &d.redact {
                Some(r) => masked_line(text, index, line, r.clone()),
                None => index.line_text(text, line).to_string(),
            };
            located_at(d, line, column, Some(shown))
        })
        .collect();
    located.par_sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule, &a.message)
            .cmp(&(&b.path, b.line, b.column, b.rule, &b.message))
    });
    located.dedup_by(|a, b| {
        a.path == b.path
            && a.line == b.line
            && a.column == b.column
            && a.rule == b.rule
            && a.message == b.message
    });
    located
}

/// The text of `line` with the bytes of `secret` replaced by `*` (character for character, so
/// the caret still lines up).
fn masked_line(
    text: &str,
    index: &LineIndex,
    line: usize,
    secret: std::ops::Range<usize>,
) -> String {
    let shown = index.line_text(text, line);
    let line_start = shown.as_ptr() as usize - text.as_ptr() as usize;
    let mut out = String::with_capacity(shown.len());
    for (i, c) in shown.char_indices() {
        let at = line_start + i;
        if secret.contains(&at) && (at - secret.start) >= 4 {
            out.push('*');
        } else {
            out.push(c);
        }
    }
    out
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
}

pub fn count(located: &[Located]) -> Counts {
    let errors = located.iter().filter(|d| d.level == Level::Error).count();
    Counts {
        errors,
        warnings: located.len() - errors,
    }
}

/// Whether human output should use ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    /// Appends `text`, in ANSI colour `code` when colour is on.
    fn put(&self, out: &mut Vec<u8>, code: &str, text: impl std::fmt::Display) {
        if self.on {
            let _ = write!(out, "\x1b[{code}m{text}\x1b[0m");
        } else {
            let _ = write!(out, "{text}");
        }
    }
}

/// rustc-style rendering: `path:line:col: level[rule]: message`, the source line with a caret,
/// and the help line.
pub fn write_human(out: &mut dyn Write, located: &[Located], color: bool) -> io::Result<()> {
    for chunk in human_chunks(located, color) {
        out.write_all(&chunk)?;
    }
    Ok(())
}

/// The human report in pieces to write one after the other: formatted in parallel chunks (a
/// large site has tens of thousands of findings), not copied into one buffer.
pub fn human_chunks(located: &[Located], color: bool) -> Vec<Vec<u8>> {
    use rayon::prelude::*;
    let paint = Paint { on: color };
    located
        .par_chunks(256)
        .map(|chunk| {
            let mut buf = Vec::with_capacity(chunk.len() * 256);
            for d in chunk {
                write_one(&mut buf, d, &paint);
            }
            buf
        })
        .collect()
}

/// One finding, appended piece by piece (a report can hold tens of thousands).
fn write_one(out: &mut Vec<u8>, d: &Located, paint: &Paint) {
    let level_code = match d.level {
        Level::Error => "1;31",
        Level::Warning => "1;33",
    };
    paint.put(out, "1", format_args!("{}:{}:{}", d.path, d.line, d.column));
    out.extend_from_slice(b": ");
    paint.put(out, level_code, format_args!("{}[{}]", d.level, d.rule));
    paint.put(out, "1", ':');
    out.push(b' ');
    paint.put(out, "1", &d.message);
    out.push(b'\n');
    if let Some(full) = &d.source_line {
        let (source, column) = window(full, d.column);
        let gutter_width = d.line.checked_ilog10().unwrap_or(0) as usize + 1;
        let pad = |out: &mut Vec<u8>, n: usize| out.extend(std::iter::repeat_n(b' ', n));
        pad(out, gutter_width + 1);
        paint.put(out, "1;34", '|');
        out.push(b'\n');
        paint.put(out, "1;34", d.line);
        out.push(b' ');
        paint.put(out, "1;34", '|');
        out.push(b' ');
        // Tabs as four spaces, so that the caret lines up in any terminal.
        for (i, part) in source.split('\t').enumerate() {
            if i > 0 {
                out.extend_from_slice(b"    ");
            }
            out.extend_from_slice(part.as_bytes());
        }
        out.push(b'\n');
        let caret_col: usize = source
            .chars()
            .take(column.saturating_sub(1))
            .map(|c| if c == '\t' { 4 } else { 1 })
            .sum();
        pad(out, gutter_width + 1);
        paint.put(out, "1;34", '|');
        pad(out, caret_col + 1);
        paint.put(out, level_code, '^');
        out.push(b'\n');
    }
    if let Some(help) = &d.help {
        out.extend_from_slice(b"  = ");
        paint.put(out, "1", "help");
        out.extend_from_slice(b": ");
        out.extend_from_slice(help.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
}

/// At most `max` characters of `s`, with `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The part of a long source line around `column` (1-based, in characters), and the column of
/// the caret within it: rustc-style, so a minified or flattened file does not flood the report.
fn window(line: &str, column: usize) -> (std::borrow::Cow<'_, str>, usize) {
    const WIDTH: usize = 100;
    // A line of at most WIDTH bytes has at most WIDTH characters.
    if line.len() <= WIDTH {
        return (line.into(), column);
    }
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= WIDTH {
        return (line.into(), column);
    }
    let at = column.saturating_sub(1).min(chars.len());
    let start = at.saturating_sub(WIDTH / 3);
    let end = (start + WIDTH).min(chars.len());
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown.into(), at - start + 1 + usize::from(start > 0))
}

/// Relative path with `/` separators, for messages and reports.
pub fn display_path(path: &Path) -> String {
    // Most paths (every discovered file) are already what the components would give: taken
    // as they are, with no list of parts to join.
    #[cfg(unix)]
    if let Some(s) = path.to_str()
        && !s.starts_with('/')
        && !s.ends_with(['/', '.'])
        && !s.contains("//")
        && !s.contains("/./")
    {
        return s.to_string();
    }
    by_components(path)
}

/// A path's components joined with `/`.
fn by_components(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_the_paths_components() {
        let cases = [
            "",
            ".",
            "a",
            "a/b.md",
            "./a",
            "a//b",
            "a/./b",
            "a/",
            "a/.",
            "/a/b",
            "a/..",
            "../a",
            "a.b/c.d",
            "a/.hidden",
            "é/ü.md",
        ];
        for case in cases {
            let path = Path::new(case);
            assert_eq!(display_path(path), by_components(path), "{case:?}");
        }
    }

    #[test]
    fn crlf_and_lf_give_the_same_positions() {
        let lf = "a\nbé c\n";
        let crlf = "a\r\nbé c\r\n";
        let (il, ic) = (LineIndex::new(lf), LineIndex::new(crlf));
        assert_eq!(il.position(lf, lf.find('c').unwrap()), (2, 4));
        assert_eq!(ic.position(crlf, crlf.find('c').unwrap()), (2, 4));
        assert_eq!(ic.line_text(crlf, 2), "bé c");
    }

    #[test]
    fn an_index_of_a_prefix_knows_only_the_lines_it_covers() {
        let text = "---\ntitle: é\n---\n# Drain\nbody line\nlast";
        let head = text.find("body").unwrap();
        let (full, prefix) = (LineIndex::new(text), LineIndex::of_prefix(text, head));
        for offset in 0..head {
            assert_eq!(prefix.line(offset), full.line(offset), "{offset}");
            assert_eq!(prefix.line_end(offset), full.line_end(offset), "{offset}");
            assert_eq!(
                prefix.position(&text[..head], offset),
                full.position(text, offset)
            );
        }
        // Past the prefix: beyond the kept text, with no line until the file is read again.
        for offset in head..=text.len() {
            assert!(prefix.line_end(offset) > head, "{offset}");
            assert_eq!(prefix.position_without_text(offset), None);
        }
        assert_eq!(prefix.text_len(), text.len());
        // A prefix that ends inside a line: that line counts as not kept.
        let inside = LineIndex::of_prefix(text, head + 3);
        assert!(inside.line_end(head + 1) > head + 3);
        // Columns without the text only where the covered text is ASCII.
        let ascii = "a\nbb\nccc\n";
        let index = LineIndex::of_prefix(ascii, 2);
        assert_eq!(index.position_without_text(1), Some((1, 2)));
        assert_eq!(index.position_without_text(3), None);
        assert_eq!(LineIndex::new(ascii).position_without_text(3), Some((2, 2)));
        assert_eq!(line_of(text, head), 5);
    }

    #[test]
    fn every_rule_code_round_trips() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_code(rule.code()), Some(*rule));
        }
        assert_eq!(Rule::ALL.len(), 32);
    }
}
