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
    ChangedSinceReview = "changed-since-review", Warning, "the runbook's text changed in a commit after its last review";
    ReviewDueSoon = "review-due-soon", Off, "the next review falls due within the coming days (`check --due-within DAYS`; 30 days when turned on in [rules])";
    EmptySection = "empty-section", Warning, "a heading with nothing under it";
    InvalidVariable = "invalid-variable", Error, "a declared variable with a bad name, an invalid pattern, or a default that fails its pattern";
    UnusedVariable = "unused-variable", Warning, "a declared variable that no code block, inline code or link URL references";
    MissingRollback = "missing-rollback", Warning, "a destructive step but no Rollback, Revert, Undo or Back out section";
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
    UnverifiableLink = "unverifiable-link", Off, "a link to a page the generator makes from data (a taxonomy, a search page) or through a shortcode opsbook cannot expand";
}

impl Rule {
    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.code() == code)
    }

    /// Rules whose error-level findings stop `build`: the site it would write would be wrong
    /// (two sources for one page). Everything else is published, shown on its page (SPEC
    /// "build publishes").
    pub fn fails_build(self) -> bool {
        self == Rule::OutputCollision
    }

    /// Rules whose error-level findings readers of the site would hit (a link marked broken, a
    /// runbook without its metadata, a masked secret): `serve` shows them over the page.
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
                | Rule::InvalidVariable
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
    /// What else the finding is about (see `Subject`).
    pub subject: Option<Subject>,
}

/// What a finding is about besides its own file: what a link, a reference or a shared title
/// points at. `check FILE...` reports a finding of another file when its subject is one of the
/// files given, or what one was before the change (a link to a runbook that was deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A path under the content folder (`database/failover.md`), as a link resolved it.
    Content(String),
    /// A source file, by its path from the site root (`content/database/failover.md`).
    Source(String),
    /// A runbook named by its title or id, as written (a `related` entry, a reference).
    Name(String),
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
            subject: None,
        }
    }

    pub fn about(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
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

/// Byte offset -> (line, column) for one file. Lines end at `\n`, `\r\n` or a lone `\r`, as in
/// CommonMark, so CRLF and CR-only files number their lines like LF files; columns count
/// characters, not bytes.
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
    1 + line_starts(before).count()
}

/// Where each line after the first starts in `bytes`: after every `\n`, and after every `\r`
/// that no `\n` follows.
fn line_starts(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'))
        .map(|i| i + 1)
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
        // A `\r` at the very end of the prefix may be the first half of a `\r\n`: decided with
        // the byte after it.
        let bytes = text.as_bytes();
        starts.extend(
            memchr::memchr2_iter(b'\n', b'\r', prefix)
                .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'))
                .map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)),
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
        let column = if self.ascii && offset <= self.covered as usize {
            offset - start
        } else {
            text.get(start..offset)
                .map(|s| s.chars().count())
                .unwrap_or(0)
        };
        (line + 1, column + 1)
    }

    /// Byte range of the 1-based `line` in `text`, without its line ending.
    fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let Some(&start) = self.starts.get(line - 1) else {
            return text.len()..text.len();
        };
        let start = (start as usize).min(text.len());
        let end = self
            .starts
            .get(line)
            .map_or(text.len(), |&e| e as usize)
            .min(text.len());
        let line_text = &text.as_bytes()[start..end];
        let trimmed = line_text.strip_suffix(b"\n").unwrap_or(line_text);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        start..start + trimmed.len()
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
        text.get(self.line_range(text, line)).unwrap_or("")
    }
}

/// The part of a finding's source line that a person is shown: the whole line when it is short,
/// else about 100 characters around the finding, rustc-style, with `…` where it was cut.
/// Cutting works from the finding outwards, so it costs the same on a 1 MB line as on a short
/// one: findings stay linear in a file's size, however many share one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub text: String,
    /// 1-based column of the finding in `text`, in characters.
    pub caret: usize,
}

/// Characters shown of a long line: a third of them before the finding.
const EXCERPT_WIDTH: usize = 100;

/// The excerpt of `text[line]` around byte `offset` (inside it), with the bytes of `secret`
/// masked (all but the first four, character for character, so the caret still lines up).
fn excerpt(
    text: &str,
    line: std::ops::Range<usize>,
    offset: usize,
    secret: Option<&std::ops::Range<usize>>,
) -> Excerpt {
    // Back to a character boundary (an offset is one, but a clamp need not be).
    let mut offset = offset.clamp(line.start, line.end);
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[line.start..offset];
    let after = &text[offset..line.end];
    // Up to WIDTH/3 characters before the finding, then what fills the width after it; cut
    // only when the whole line is longer than WIDTH characters.
    let back: Vec<usize> = before
        .char_indices()
        .rev()
        .take(EXCERPT_WIDTH / 3)
        .map(|(i, _)| line.start + i)
        .collect();
    let cut_start = back.last().is_some_and(|&s| s > line.start)
        && text[line.clone()].chars().take(EXCERPT_WIDTH + 1).count() > EXCERPT_WIDTH;
    let (start, shown_before) = if cut_start {
        (back[back.len() - 1], back.len())
    } else {
        (line.start, before.chars().count())
    };
    let room = EXCERPT_WIDTH - shown_before.min(EXCERPT_WIDTH);
    let end = after
        .char_indices()
        .take(room)
        .last()
        .map_or(offset, |(i, c)| offset + i + c.len_utf8());
    let cut_end = end < line.end;
    let mut shown = String::with_capacity(end - start + 8);
    if cut_start {
        shown.push('…');
    }
    for (i, c) in text[start..end].char_indices() {
        let at = start + i;
        match secret {
            Some(r) if r.contains(&at) && at - r.start >= 4 => shown.push('*'),
            _ => shown.push(c),
        }
    }
    if cut_end {
        shown.push('…');
    }
    Excerpt {
        text: shown,
        caret: shown_before + 1 + usize::from(cut_start),
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
    /// The source line, or the part of a long one around the finding (see `Excerpt`).
    #[serde(skip)]
    pub source: Option<Excerpt>,
    #[serde(skip)]
    pub subject: Option<Subject>,
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

fn located_at(d: Diagnostic, line: usize, column: usize, source: Option<Excerpt>) -> Located {
    Located {
        rule: d.rule.code(),
        level: d.level,
        path: d.path,
        line,
        column,
        message: d.message,
        help: d.help,
        source,
        subject: d.subject,
    }
}

/// Columns of findings in one file, in offset order: counted on from the previous finding when
/// it is on the same line, so that many findings on one long line cost one pass over it.
#[derive(Default)]
struct ColumnCursor {
    /// (line start, offset, column in characters) of the previous finding.
    at: Option<(usize, usize, usize)>,
}

impl ColumnCursor {
    fn position(&mut self, index: &LineIndex, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = index.line(offset);
        let line_start = index.starts[line - 1] as usize;
        let column = match self.at {
            Some((start, at, column)) if start == line_start && at <= offset => {
                column + text.get(at..offset).map_or(0, |s| s.chars().count())
            }
            _ => index.position(text, offset).1 - 1,
        };
        self.at = Some((line_start, offset, column));
        (line, column + 1)
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
    // Grouped by file and in offset order, so that each file's columns are counted in one pass.
    let mut diagnostics = diagnostics;
    diagnostics.par_sort_unstable_by(|a, b| (&a.path, a.offset).cmp(&(&b.path, b.offset)));
    let mut groups: Vec<Vec<Diagnostic>> = Vec::new();
    for d in diagnostics {
        match groups.last_mut() {
            Some(g) if g[0].path == d.path => g.push(d),
            _ => groups.push(vec![d]),
        }
    }
    let locate_file = |group: Vec<Diagnostic>| -> Vec<Located> {
        let mut cursor = ColumnCursor::default();
        group
            .into_iter()
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
                let (line, column) = cursor.position(index, text, d.offset);
                let shown = excerpt(
                    text,
                    index.line_range(text, line),
                    d.offset,
                    d.redact.as_ref(),
                );
                located_at(d, line, column, Some(shown))
            })
            .collect()
    };
    let mut located: Vec<Located> = groups.into_par_iter().flat_map_iter(locate_file).collect();
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

/// One file's suppression comments, indexed: rules off in the whole file, and rules off on each
/// line (the line after an `opsbook-disable-next-line` comment). A file of thousands of such
/// comments and findings costs one lookup per finding.
pub struct Suppressions<'a> {
    /// Rule codes off in the whole file; `all` switches every rule off.
    file: Vec<&'a str>,
    /// 1-based line -> rule codes off on it (empty: every rule).
    lines: HashMap<usize, Vec<&'a str>>,
    index: Option<&'a LineIndex>,
}

impl<'a> Suppressions<'a> {
    pub fn new(
        directives: &'a [(String, usize)],
        index: Option<&'a LineIndex>,
    ) -> Suppressions<'a> {
        let mut out = Suppressions {
            file: Vec::new(),
            lines: HashMap::new(),
            index,
        };
        for (text, offset) in directives {
            let mut words = text.split_whitespace();
            let kind = words.next().unwrap_or("");
            let mut names: Vec<&str> = words.collect();
            if names.is_empty() {
                names.push("all");
            }
            match kind {
                "opsbook-disable" => out.file.extend(names),
                "opsbook-disable-next-line" => {
                    let line = out.line_of(*offset) + 1;
                    out.lines.entry(line).or_default().extend(names);
                }
                _ => {}
            }
        }
        out
    }

    fn line_of(&self, offset: usize) -> usize {
        self.index.map(|i| i.line(offset)).unwrap_or(1)
    }

    fn suppresses(&self, d: &Diagnostic) -> bool {
        let named = |names: &[&str]| names.iter().any(|n| *n == "all" || *n == d.rule.code());
        named(&self.file)
            || (!self.lines.is_empty()
                && self
                    .lines
                    .get(&self.line_of(d.offset))
                    .is_some_and(|names| named(names)))
    }
}

/// Applies the site's level for the finding's rule (`setting`) and the file's suppression
/// comments; false when the finding is switched off or suppressed.
pub fn keep_finding(
    setting: Setting,
    suppressions: Option<&Suppressions>,
    d: &mut Diagnostic,
) -> bool {
    match setting {
        Setting::Off => return false,
        Setting::Warning => d.level = Level::Warning,
        Setting::Error => d.level = Level::Error,
    }
    suppressions.is_none_or(|s| !s.suppresses(d))
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
    if let Some(Excerpt {
        text: source,
        caret: column,
    }) = &d.source
    {
        let column = *column;
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
    fn cr_only_files_are_split_into_lines() {
        let text = "a\rbé c\r\rd\r\ne";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, text.find('c').unwrap()), (2, 4));
        assert_eq!(index.line_text(text, 2), "bé c");
        assert_eq!(index.line_text(text, 3), "");
        assert_eq!(index.line_text(text, 4), "d");
        assert_eq!(index.position(text, text.find('e').unwrap()), (5, 1));
        assert_eq!(line_of(text, text.find('e').unwrap()), 5);
        // A prefix that ends between `\r` and `\n` counts one line break, not two.
        let prefix = LineIndex::of_prefix(text, text.find('\n').unwrap());
        assert_eq!(prefix.line(text.find('d').unwrap()), 4);
    }

    #[test]
    fn a_finding_on_a_long_line_keeps_only_an_excerpt() {
        // 8,000 findings on one 128 KB line: each keeps about 100 characters of it, and the
        // caret points where the finding is.
        let line: String = (0..8000).map(|i| format!("[é](x{i:04}.md) ")).collect();
        let text = format!("---\ntitle: t\n---\n{line}\nnext");
        let index = LineIndex::new(&text);
        let mut cursor = ColumnCursor::default();
        for i in (0..8000).step_by(997) {
            let offset = text.find(&format!("(x{i:04}")).unwrap();
            let (l, column) = cursor.position(&index, &text, offset);
            assert_eq!((l, column), index.position(&text, offset));
            let shown = excerpt(&text, index.line_range(&text, l), offset, None);
            assert!(
                shown.text.chars().count() <= EXCERPT_WIDTH + 2,
                "{}",
                shown.text
            );
            let at: String = shown.text.chars().skip(shown.caret - 1).take(6).collect();
            assert_eq!(at, format!("(x{i:04}"));
        }
        // A short line is shown whole; a secret is masked after its first four characters.
        let text = "token: ghp_abcdefghijklmnop end";
        let index = LineIndex::new(text);
        let secret = 7..27;
        let shown = excerpt(text, index.line_range(text, 1), 7, Some(&secret));
        assert_eq!(shown.text, "token: ghp_**************** end");
        assert_eq!(shown.caret, 8);
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
        assert_eq!(Rule::ALL.len(), 38);
    }
}
