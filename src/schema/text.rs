//! Rules over a runbook's text: secrets, placeholders, empty sections and unclosed fences.
//!
//! Precision matters more than count: a CI gate that cries wolf gets switched off. Secrets are
//! searched everywhere (prose, code and front matter) but only in shapes real credentials have,
//! never in variable names or stand-ins such as `$API_SECRET` or `<TOKEN>`; the secret itself is
//! never printed, not even in the source line of a finding. Placeholders are searched in prose
//! only: a template inside a code fence is meant to be copied, not finished.

use crate::diagnostics::{Diagnostic, Rule};
use crate::markdown::Doc;
use regex::Regex;
use std::sync::{LazyLock, OnceLock};

/// A pattern, and for one that ignores case (`(?i)` first) the same pattern without the flag,
/// to run over the lower-case copy of ASCII text: the same matches at the same offsets, found
/// faster, as its literals then make a prefilter (with `(?i)` the regex crate tries their case
/// variants, which common words such as "to be" keep setting off). Such a pattern's letters
/// are written in lower case and its classes hold both cases; a test checks both forms agree.
struct Pattern {
    source: &'static str,
    /// Compiled when first needed: for a pattern that ignores case, only non-ASCII text needs it.
    any_case: OnceLock<Regex>,
    lower: Option<Regex>,
}

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("text rule pattern compiles")
}

impl Pattern {
    fn new(source: &'static str) -> Pattern {
        let lower = source.strip_prefix("(?i)").map(compile);
        let any_case = OnceLock::new();
        if lower.is_none() {
            let _ = any_case.set(compile(source));
        }
        Pattern {
            source,
            any_case,
            lower,
        }
    }

    fn any_case(&self) -> &Regex {
        self.any_case.get_or_init(|| compile(self.source))
    }

    /// The regex to run and the text (the whole file's) to run it over.
    fn over<'t>(&self, text: &'t Text) -> (&Regex, &'t str) {
        match (&self.lower, &text.lower) {
            (Some(re), Some(lower)) => (re, lower),
            _ => (self.any_case(), text.text),
        }
    }
}

/// A file's text, and its lower-case copy when it is ASCII (most runbooks are), for the
/// patterns that ignore case.
pub struct Text<'a> {
    text: &'a str,
    lower: Option<String>,
}

impl<'a> Text<'a> {
    pub fn new(text: &'a str) -> Text<'a> {
        Text {
            text,
            lower: text.is_ascii().then(|| text.to_ascii_lowercase()),
        }
    }

    /// The lower-case copy, to use again for the same text (`with_lower`).
    pub fn into_lower(self) -> Option<String> {
        self.lower
    }

    /// `text` with the lower-case copy made of it earlier.
    pub fn with_lower(text: &'a str, lower: Option<String>) -> Text<'a> {
        debug_assert!(lower.as_ref().is_none_or(|l| l.len() == text.len()));
        Text { text, lower }
    }
}

/// `text` with each secret the findings name (their `redact` ranges) masked as reports show it:
/// its first four characters kept, every other byte a `*` (line ends kept), so that offsets and
/// lines are those of the file. What is rendered, indexed and kept of a file is made from this.
pub fn mask_secrets(text: &str, findings: &[Diagnostic]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for range in findings.iter().filter_map(|d| d.redact.clone()) {
        let start = text[range.start..]
            .char_indices()
            .nth(4)
            .map_or(range.end, |(i, _)| range.start + i);
        for b in &mut bytes[start.min(range.end)..range.end.min(text.len())] {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    String::from_utf8(bytes).expect("whole characters replaced by ASCII")
}

/// What a secret pattern finds: decides how a stand-in of it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A token with a fixed prefix and a random rest (AWS, GitHub, GitLab, Slack, bearer).
    Token,
    /// A JSON Web Token: header, payload and signature.
    Jwt,
    /// The password part of `scheme://user:password@host`.
    UrlPassword,
}

struct SecretShape {
    what: &'static str,
    kind: Kind,
    pattern: Pattern,
}

fn shape(what: &'static str, kind: Kind, pattern: &'static str) -> SecretShape {
    SecretShape {
        what,
        kind,
        pattern: Pattern::new(pattern),
    }
}

/// Each pattern's first capture group is the secret.
static SECRETS: LazyLock<Vec<SecretShape>> = LazyLock::new(|| {
    vec![
        shape(
            "an AWS access key",
            Kind::Token,
            r"\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16})\b",
        ),
        shape(
            "an AWS secret access key",
            Kind::Token,
            r#"(?i)aws_secret_access_key["']?\s*[=:]\s*["']?([A-Za-z0-9/+=]{40})\b"#,
        ),
        shape(
            "a GitHub token",
            Kind::Token,
            r"\b(gh[pousr]_[A-Za-z0-9]{36,255})\b",
        ),
        shape(
            "a GitHub token",
            Kind::Token,
            r"\b(github_pat_[A-Za-z0-9_]{22,255})\b",
        ),
        shape(
            "a GitLab token",
            Kind::Token,
            r"\b(glpat-[A-Za-z0-9_\-]{20,})",
        ),
        shape(
            "a Slack token",
            Kind::Token,
            r"\b(xox[abposr]-[A-Za-z0-9\-]{10,})",
        ),
        shape(
            "a Slack webhook URL",
            Kind::Token,
            r"hooks\.slack\.com/services/(T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,})",
        ),
        shape(
            "a JSON Web Token",
            Kind::Jwt,
            r"\b(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
        ),
        shape(
            "a password in a URL",
            Kind::UrlPassword,
            r#"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@'"<>()\[\]]+:([^\s/@'"<>()\[\]]+)@[A-Za-z0-9\[]"#,
        ),
        shape(
            "a bearer token",
            Kind::Token,
            r#"(?i)authorization:\s*bearer\s+([A-Za-z0-9._~+/\-]{20,}=*)"#,
        ),
    ]
});

static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----").expect("compiles")
});

/// Prefixes that name a token's kind; what follows them is the random part.
const TOKEN_PREFIXES: &[&str] = &[
    "AKIA",
    "ASIA",
    "AGPA",
    "AIDA",
    "AROA",
    "ANPA",
    "ANVA",
    "AIPA",
    "github_pat_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "glpat-",
    "xoxa-",
    "xoxb-",
    "xoxp-",
    "xoxo-",
    "xoxs-",
    "xoxr-",
];

/// Words documentation puts in a stand-in password; people do not choose passwords so.
const PASSWORD_WORDS: &[&str] = &[
    "example",
    "sample",
    "placeholder",
    "redacted",
    "dummy",
    "changeme",
    "change_me",
    "password",
    "passwd",
    "secret",
    "your",
    "fake",
];

/// Besides those, words no token holds: tokens are random, so no real one holds a word.
const TOKEN_WORDS: &[&str] = &["test", "token", "xxxx"];

/// Whole passwords documentation uses.
const STAND_IN_PASSWORDS: &[&str] = &[
    "pass", "pw", "pwd", "admin", "root", "guest", "user", "foo", "bar", "baz", "qwerty",
];

/// Host names of documentation examples.
fn example_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let host = host.split([':', '/', '?', '#']).next().unwrap_or("");
    matches!(
        host,
        "host" | "hostname" | "server" | "domain" | "your-host"
    ) || [
        "example.com",
        "example.org",
        "example.net",
        "example",
        "invalid",
    ]
    .iter()
    .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// Whether a value is made of a pattern rather than chance: at most two distinct characters
/// (`XXXX`, `0000`, `abab`), a short unit repeated (`abc123abc123`), or at most two runs of
/// consecutive characters, ignoring case and wrapping 9 to 0 (`abc123`, `1234567890`,
/// `AbCdEfGhIj`).
fn patterned(part: &str) -> bool {
    let chars: Vec<char> = part.chars().map(|c| c.to_ascii_lowercase()).collect();
    let n = chars.len();
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= 2 {
        return true;
    }
    if (1..=4).any(|u| n >= 2 * u && (u..n).all(|i| chars[i] == chars[i - u])) {
        return true;
    }
    let next = |a: char, b: char| {
        (a as u32 + 1 == b as u32) || (a == '9' && b == '0') || (a as u32 == b as u32 + 1)
    };
    let runs = 1 + chars.windows(2).filter(|w| !next(w[0], w[1])).count();
    runs <= 2
}

/// Shannon entropy of `s` in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut n = 0u32;
    for b in s.bytes().filter(u8::is_ascii) {
        counts[usize::from(b)] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / f64::from(n);
            -p * p.log2()
        })
        .sum()
}

/// The base64url-decoded bytes of a JWT segment (`None` when it is not base64url).
fn base64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Whether what a secret pattern matched is a stand-in for a credential rather than one:
/// a variable or template (`$TOKEN`, `${X}`, `<token>`, `{{ x }}`), a documentation word
/// (`EXAMPLE`, `your`, `password`), a pattern (`XXXX`, `0000`, `abc123`), too little entropy
/// for its kind (gitleaks' model: 3 bits per character for a random part of 16 or more), the
/// jwt.io example token, a URL password equal to its user name or on an example host, or
/// what `[rules.secret] allow` names. `secret` is the value, `whole` what the pattern matched.
fn is_stand_in(kind: Kind, secret: &str, whole: &str, allow: &[Regex]) -> bool {
    let v = secret.trim_matches(['"', '\'']);
    if v.starts_with(['$', '%', '{', '<', '*'])
        || v.contains("${")
        || v.contains("{{")
        || allow.iter().any(|re| re.is_match(v) || re.is_match(whole))
    {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    match kind {
        Kind::UrlPassword => {
            let user = whole
                .split_once("://")
                .and_then(|(_, rest)| rest.split_once(':'))
                .map_or("", |(user, _)| user);
            let host = whole.rsplit_once('@').map_or("", |(_, host)| host);
            return STAND_IN_PASSWORDS.contains(&lower.as_str())
                || PASSWORD_WORDS.iter().any(|w| lower.contains(w))
                || user.eq_ignore_ascii_case(v)
                || example_host(host)
                || (v.chars().count() >= 6 && patterned(v));
        }
        Kind::Jwt => {
            // The token of jwt.io's debugger, in countless tutorials.
            let payload = v.split('.').nth(1).and_then(base64url).unwrap_or_default();
            let payload = String::from_utf8_lossy(&payload);
            if payload.contains("\"John Doe\"") || payload.contains("\"1234567890\"") {
                return true;
            }
        }
        Kind::Token => {}
    }
    if PASSWORD_WORDS
        .iter()
        .chain(TOKEN_WORDS)
        .any(|w| lower.contains(w))
    {
        return true;
    }
    let payload = TOKEN_PREFIXES
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .unwrap_or(v);
    let parts: Vec<&str> = payload
        .split(['-', '/', '_', '.', '+', '='])
        .filter(|p| p.chars().count() >= 4)
        .collect();
    if !parts.is_empty() && parts.iter().all(|p| patterned(p)) {
        return true;
    }
    let random: String = payload
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let needed = match random.len() {
        n if n >= 16 => 3.0,
        n if n >= 8 => 2.5,
        _ => 0.0,
    };
    entropy(&random) < needed
}

/// `AKIA****************`: enough to find it, not enough to use it.
pub fn redact(secret: &str) -> String {
    let keep: String = secret.chars().take(4).collect();
    let rest = secret.chars().count().saturating_sub(4);
    format!("{keep}{}", "*".repeat(rest.min(16)))
}

pub fn secrets(path: &str, file: &Text, allow: &[Regex], out: &mut Vec<Diagnostic>) {
    let text = file.text;
    for s in SECRETS.iter() {
        let (pattern, haystack) = s.pattern.over(file);
        // Most files have no match: `find_iter` scans without allocating capture slots per
        // search, and only a match is searched again (from where it starts, so the same match)
        // for its group.
        for whole in pattern.find_iter(haystack) {
            let Some(caps) = pattern.captures_at(haystack, whole.start()) else {
                continue;
            };
            let Some(range) = caps.get(1).map(|m| m.range()) else {
                continue;
            };
            let secret = &text[range.clone()];
            // A URL's match ends just past its `@`: what is judged runs on to its host's end.
            let mut end = whole.end();
            if s.kind == Kind::UrlPassword {
                end += text[end..]
                    .find(|c: char| c.is_whitespace() || "/?#'\"<>()[]`|".contains(c))
                    .unwrap_or(text.len() - end);
            }
            if is_stand_in(s.kind, secret, &text[whole.start()..end], allow) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Rule::Secret,
                    path,
                    range.start,
                    format!("{} is in the text: `{}`", s.what, redact(secret)),
                )
                .with_help("remove it, rotate it (it is in the repository history now), and refer to where it is stored instead, e.g. `$API_TOKEN`")
                .redacting(range),
            );
        }
    }
    for whole in PRIVATE_KEY.find_iter(text) {
        // A real key block continues with base64 (or PEM headers), not "..." or "<key>".
        let after = &text[whole.end()..];
        let next = after
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
        let looks_real = next.starts_with("Proc-Type:")
            || (next.len() >= 20
                && next
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c)));
        if looks_real {
            let body_end = after
                .find("-----END")
                .map(|i| whole.end() + i)
                .unwrap_or(text.len());
            out.push(
                Diagnostic::new(
                    Rule::Secret,
                    path,
                    whole.start(),
                    format!(
                        "a private key block ({}) is in the text",
                        private_key_kind(whole.as_str())
                    ),
                )
                .with_help("remove the key, rotate it, and point readers at the secret store that holds it")
                .redacting(whole.end()..body_end),
            );
        }
    }
}

/// `RSA PRIVATE KEY` in `-----BEGIN RSA PRIVATE KEY-----`.
fn private_key_kind(begin_line: &str) -> &str {
    begin_line
        .trim_start_matches("-----BEGIN ")
        .trim_end_matches('-')
}

/// Placeholder patterns. In one with a capture group, the group is the placeholder.
static PLACEHOLDERS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    [
        // TODO, FIXME, TBD and TBC as markers, not as words of a sentence ("identify any TODO
        // items"): at the start of a line, list item or task; in parentheses or brackets;
        // before a colon or dash (`TODO: …`, `TODO(ana): …`); before punctuation; or as the
        // whole value after a colon or the whole table cell (`Owner: TBD`, `| TBD |`).
        r"(?m)(?:^[ \t]*(?:>[ \t]*)*(?:(?:[-*+]|[0-9]+[.)])[ \t]+)?(?:\[[ xX]\][ \t]+)?(?:\*\*|__|\*|_)?|[(\[][ \t]*)(TODO|FIXME|TBD|TBC)\b",
        r"\b(TODO|FIXME|TBD|TBC)(?:\([^)\n]{0,40}\))?[ \t]*(?::|-[ \t]|–|—)",
        // Standing for a value mid-sentence: followed by punctuation ("call TODO, then").
        r"(?m)\b(TODO|FIXME|TBD|TBC)[ \t]*(?:[,.;!?)\]]|$)",
        r"(?m)[:|][ \t]*(?:\*\*|__|\*|_)?(TODO|FIXME|TBD|TBC)(?:\*\*|__|\*|_)?[ \t]*[.!]?[ \t]*(?:$|\|)",
        // [Slack/PagerDuty], [Phone], [Insert contact]
        r"\[(?:[A-Z][\w .&\-]*/)+[A-Z][\w .&\-]*\]",
        r"\[(?:Insert|Your|Add|Enter|Replace|Name|Phone|Email|E-mail|Contact|Date|Time|Link|URL|Team|Owner)\b[^\]\n]{0,50}\]",
        r"(?i)<(?:your|insert|add|enter|replace|fill in)\b[^>\n]{0,60}>",
        r"(?i)\bupdate this section\b",
        r"(?i)\blorem ipsum\b",
    ]
    .iter()
    .map(|p| Pattern::new(p))
    .collect()
});

/// How many of `PLACEHOLDERS` (the first) look for the marker words.
const MARKER_PATTERNS: usize = 4;

/// The marker words alone: most runbooks have none, and then the marker patterns (whose
/// matches start at a line start or a punctuation mark, which no literal prefilter finds fast)
/// are not run at all.
static MARKER_WORDS: LazyLock<Regex> = LazyLock::new(|| compile("TODO|FIXME|TBD|TBC"));

/// Unfinished text in prose (never in code, comments or front matter).
pub fn placeholders(
    path: &str,
    file: &Text,
    body_offset: usize,
    doc: &Doc,
    out: &mut Vec<Diagnostic>,
) {
    let text = file.text;
    // Every lookup below is a search in a sorted list, not a scan: a file of 100,000 `TODO`
    // lines, inline code spans or links costs n log n, not n².
    let mut code: Vec<std::ops::Range<usize>> = doc.non_prose.clone();
    code.sort_unstable_by_key(|r| (r.start, r.end));
    // Merged, so that the ranges are disjoint and sorted by their ends too.
    let mut non_prose: Vec<std::ops::Range<usize>> = Vec::with_capacity(code.len());
    for r in code {
        match non_prose.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => non_prose.push(r),
        }
    }
    let in_code = |start: usize, end: usize| {
        let i = non_prose.partition_point(|r| r.end <= start);
        non_prose.get(i).is_some_and(|r| r.start < end)
    };
    let mut link_offsets: Option<Vec<usize>> = None;
    // Spans already reported (disjoint): start -> end.
    let mut seen: std::collections::BTreeMap<usize, usize> = Default::default();
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    let has_markers = MARKER_WORDS.is_match(&text[body_offset..]);
    let patterns = &PLACEHOLDERS[if has_markers { 0 } else { MARKER_PATTERNS }..];
    for pattern in patterns {
        let (pattern, haystack) = pattern.over(file);
        let grouped = pattern.captures_len() > 1;
        for m in pattern.find_iter(&haystack[body_offset..]) {
            let span = if grouped {
                let Some(group) = pattern
                    .captures_at(&haystack[body_offset..], m.start())
                    .and_then(|c| c.iter().skip(1).flatten().next())
                else {
                    continue;
                };
                group.range()
            } else {
                m.range()
            };
            candidates.push((body_offset + span.start, body_offset + span.end));
        }
    }
    candidates.extend(unfinished_sections(text, body_offset, doc));
    for (start, end) in candidates {
        let found = &text[start..end];
        if in_code(start, end) {
            continue;
        }
        // `[Text](url)`, `[Text][ref]` and `[Text]: url` are links, not stand-ins.
        if found.starts_with('[') {
            let links = link_offsets.get_or_insert_with(|| {
                let mut o: Vec<usize> = doc.links.iter().map(|l| l.offset).collect();
                o.sort_unstable();
                o
            });
            if text[end..].starts_with(['(', '[', ':']) || links.binary_search(&start).is_ok() {
                continue;
            }
        }
        if seen
            .range(..end)
            .next_back()
            .is_some_and(|(_, &e)| e > start)
        {
            continue;
        }
        seen.insert(start, end);
        out.push(
            Diagnostic::new(
                Rule::Placeholder,
                path,
                start,
                format!("placeholder `{found}` is still in the text"),
            )
            .with_help("replace it with the real value before the on-call engineer needs it"),
        );
    }
}

/// What a section says when nobody wrote it yet, as its whole text.
static UNFINISHED: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?i)^(?:\*\*|__|\*|_)?(?:to be (?:added|written|completed|confirmed|determined|defined|documented|done)|coming soon|wip|work in progress|placeholder)(?:\*\*|__|\*|_)?[.!…]*$",
    )
});

/// Sections whose whole text is "To be added.", "Coming soon" and the like: (start, end) of
/// that text. Said in a sentence ("to be completed prior to the change"), it is no placeholder.
fn unfinished_sections(text: &str, body_offset: usize, doc: &Doc) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, h) in doc.headings.iter().enumerate() {
        let from = h.offset.max(body_offset).min(text.len());
        let Some(line_end) = text[from..].find('\n').map(|e| from + e + 1) else {
            continue;
        };
        let to = doc
            .headings
            .get(i + 1)
            .map_or(text.len(), |n| n.offset.min(text.len()))
            .max(line_end);
        let Some(section) = text.get(line_end..to) else {
            continue;
        };
        let said = section.trim();
        if !said.is_empty() && said.len() <= 40 && UNFINISHED.is_match(said) {
            let start = line_end + (section.len() - section.trim_start().len());
            out.push((start, start + said.len()));
        }
    }
    out
}

pub fn empty_sections(path: &str, doc: &Doc, out: &mut Vec<Diagnostic>) {
    for (i, h) in doc.headings.iter().enumerate() {
        if h.content {
            continue;
        }
        let followed_by_subsection = doc.headings.get(i + 1).is_some_and(|n| n.level > h.level);
        if !followed_by_subsection {
            out.push(
                Diagnostic::new(
                    Rule::EmptySection,
                    path,
                    h.offset,
                    format!(
                        "section \"{}\" is empty",
                        crate::diagnostics::shorten(&h.text, 60)
                    ),
                )
                .with_help("write what belongs here, or remove the heading"),
            );
        }
    }
}

/// A runbook with a step that changes the system (a `destructive` fence) and no section saying
/// how to undo it: `missing-rollback` at its first such step.
pub fn missing_rollback(path: &str, doc: &Doc, out: &mut Vec<Diagnostic>) {
    let Some(&first) = doc.destructive.first() else {
        return;
    };
    let undoes = |text: &str| {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        words.iter().enumerate().any(|(i, w)| {
            let next = words.get(i + 1).map(String::as_str);
            matches!(
                w.as_str(),
                "rollback" | "revert" | "reverting" | "undo" | "backout"
            ) || (matches!(w.as_str(), "roll" | "rolling" | "rolled") && next == Some("back"))
                || (w == "back" && next == Some("out"))
        })
    };
    if doc.headings.iter().any(|h| undoes(&h.text)) {
        return;
    }
    out.push(
        Diagnostic::new(
            Rule::MissingRollback,
            path,
            first,
            "this step changes the system, and the runbook does not say how to undo it",
        )
        .with_help("add a \"## Rollback\" section (or Revert, Undo, Back out) with the steps that put things back"),
    );
}

pub fn unclosed_fences(path: &str, doc: &Doc, out: &mut Vec<Diagnostic>) {
    for &(offset, to_end) in &doc.unclosed_fences {
        let message = if to_end {
            "this code fence is never closed: the rest of the file is code"
        } else {
            "this code fence is never closed: everything up to the end of its list item or quote is code"
        };
        out.push(
            Diagnostic::new(Rule::UnclosedFence, path, offset, message).with_help(
                "close it with a line of the same fence characters (``` or ~~~), at least as many",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::render;

    #[test]
    fn a_destructive_step_wants_a_way_back() {
        let findings = |md: &str| {
            let doc = render(md, 0, None);
            let mut out = Vec::new();
            missing_rollback("r.md", &doc, &mut out);
            out.len()
        };
        let step = "## Steps\n\n```sh destructive\nkubectl delete ns old\n```\n\n";
        assert_eq!(findings(step), 1);
        for heading in [
            "Rollback",
            "Roll back",
            "Rolling back the change",
            "Revert",
            "Undo",
            "Back out",
            "If it goes wrong: backout",
        ] {
            assert_eq!(
                findings(&format!("{step}## {heading}\n\nRecreate it.\n")),
                0,
                "{heading}"
            );
        }
        // Words that only look alike, and fences that are not destructive.
        assert_eq!(findings(&format!("{step}## Background\n\nText.\n")), 1);
        assert_eq!(findings("```sh\nrm -rf /tmp/x\n```\n"), 0);
        assert_eq!(
            findings("```destructive\nrm x\n```\n"),
            0,
            "the word is the language"
        );
        assert!(crate::markdown::is_destructive("bash {destructive}"));
        assert!(crate::markdown::is_destructive("sh destructive title=x"));
        assert!(!crate::markdown::is_destructive("sh non-destructive"));
    }

    fn secret_messages(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        secrets("a.md", &Text::new(text), &[], &mut out);
        out.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn real_credential_shapes_are_found_and_redacted() {
        let token = "ghp_R2d2C3poBb8Lk9Qw7Er5Ty3Ui1Op0AsDfGhJ";
        let cases = [
            format!("export AWS_ACCESS_KEY_ID=AKIA{}", "Q7ZK3LMN5PRT2VWX"),
            format!("token: {token}"),
            format!("curl -H 'PRIVATE-TOKEN: glpat-{}'", "xY9aB3cD7eF1gH5iJ2kL"),
            format!("SLACK=xoxb-{}", "2048731956-4821379064-Qm7vT2xLp9RkW4nZ"),
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMtYm90In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U".to_string(),
            "psql postgres://admin:hunter2@db.internal:5432/app".to_string(),
            "curl -H \"Authorization: Bearer Qm7vT2xLp9RkW4nZb8Hs3YjD6cFa1GeU\" https://api".to_string(),
        ];
        for case in &cases {
            let found = secret_messages(case);
            assert_eq!(found.len(), 1, "{case}: {found:?}");
        }
        let found = secret_messages(&cases[1]);
        assert!(
            !found[0].contains(token) && found[0].contains("ghp_"),
            "{found:?}"
        );
    }

    #[test]
    fn stand_ins_are_not_secrets() {
        for case in [
            "Check `WHMCS_API_SECRET` and $WHMCS_API_SECRET",
            "curl -H \"Authorization: Bearer ${TOKEN}\" https://api",
            "curl -H \"Authorization: Bearer $TOKEN\"",
            "Authorization: Bearer <TOKEN>",
            "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE",
            "postgres://user:${DB_PASSWORD}@db/app",
            "psql $DATABASE_URL -c \"SELECT 1\"",
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
            "https://example.com/path?a=b",
        ] {
            assert!(secret_messages(case).is_empty(), "{case}");
        }
    }

    #[test]
    fn private_key_blocks_are_found() {
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";
        let mut out = Vec::new();
        secrets("a.md", &Text::new(key), &[], &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].message.contains("OPENSSH PRIVATE KEY"));
    }

    #[test]
    fn patterns_that_ignore_case_find_the_same_in_the_lower_case_copy() {
        let samples = [
            "export AWS_SECRET_ACCESS_KEY=\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Rk2Lm9Q\" now",
            "aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Rk2Lm9Q",
            "curl -H 'Authorization: Bearer AbCdEfGhIjKlMnOpQrStUvWxYz012345==' https://x",
            "Ask <Your team lead> or <FILL IN the name>; <insert\nno>",
            "Update this section. UPDATE THIS SECTION! update this sections",
            "Lorem ipsum. Coming Soon: it is to be written, or TO BE COMPLETED; to bee written",
        ];
        // Upper case, as written, lower case and alternating: the flag and the copy agree.
        let variants = |s: &str| {
            let alternating: String = s
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            [
                s.to_string(),
                s.to_uppercase(),
                s.to_lowercase(),
                alternating,
            ]
        };
        let patterns = SECRETS
            .iter()
            .map(|s| &s.pattern)
            .chain(PLACEHOLDERS.iter());
        let mut folded = 0;
        for p in patterns {
            let Some(lower) = &p.lower else { continue };
            folded += 1;
            let mut found = 0;
            for sample in samples {
                for text in variants(sample) {
                    let copy = text.to_ascii_lowercase();
                    let any: Vec<_> = p.any_case().captures_iter(&text).collect();
                    let low: Vec<_> = lower.captures_iter(&copy).collect();
                    let ranges =
                        |caps: &[regex::Captures]| -> Vec<Vec<Option<std::ops::Range<usize>>>> {
                            caps.iter()
                                .map(|c| c.iter().map(|m| m.map(|m| m.range())).collect())
                                .collect()
                        };
                    assert_eq!(ranges(&any), ranges(&low), "{} in {text:?}", p.source);
                    found += any.len();
                }
            }
            assert!(found > 0, "no sample matches {}", p.source);
        }
        assert_eq!(folded, 5);
    }

    fn placeholder_texts(md: &str) -> Vec<String> {
        let doc = render(md, 0, None);
        let mut out = Vec::new();
        placeholders("a.md", &Text::new(md), 0, &doc, &mut out);
        out.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn placeholders_in_prose_only() {
        let md = "| Role | Contact |\n|---|---|\n| Primary | [Slack/PagerDuty] |\n\nTODO: write this.\n\n```\nINCIDENT UPDATE - [P1/P2/P3/P4] - TODO\n```\n\nAsk <your team lead>. Run `echo TODO`.\n\n> **Note**: Update this section with actual contact information.\n";
        let found = placeholder_texts(md);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found.iter().any(|m| m.contains("[Slack/PagerDuty]")));
        assert!(!found.iter().any(|m| m.contains("P1/P2")));
    }

    #[test]
    fn non_ascii_text_is_searched_ignoring_case_too() {
        let found = placeholder_texts("Café notes: Lorem Ipsum, UPDATE THIS SECTION.\n");
        assert_eq!(
            found,
            [
                "placeholder `UPDATE THIS SECTION` is still in the text",
                "placeholder `Lorem Ipsum` is still in the text",
            ]
        );
        let mut out = Vec::new();
        let text = "Café: Authorization: BEARER Qm7vT2xLp9RkW4nZb8Hs3YjD6cFa1GeU";
        secrets("a.md", &Text::new(text), &[], &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(&text[out[0].offset..out[0].offset + 4], "Qm7v");
    }

    #[test]
    fn markers_are_placeholders_and_words_in_sentences_are_not() {
        for (md, marker) in [
            ("TODO: write the steps.\n", "TODO"),
            ("- TBD\n", "TBD"),
            ("1. **FIXME** check this\n", "FIXME"),
            ("- [ ] TODO\n", "TODO"),
            ("Page the owner (TBD).\n", "TBD"),
            ("Escalate to [TBC] when it fails.\n", "TBC"),
            ("Owner: TBD\n", "TBD"),
            ("| Role | Who |\n|---|---|\n| Primary | TBD |\n", "TBD"),
            ("Run it. TODO(ana): explain why.\n", "TODO"),
            ("> TODO - add the dashboard link\n", "TODO"),
            ("Call TODO, then page the lead.\n", "TODO"),
            ("The owner is TBD.\n", "TBD"),
            ("## Rollback\n\nTo be added.\n", "To be added."),
            (
                "## Rollback\n\n*Coming soon*\n\n## Next\n\nText.\n",
                "*Coming soon*",
            ),
        ] {
            let found = placeholder_texts(md);
            assert_eq!(
                found,
                [format!("placeholder `{marker}` is still in the text")],
                "{md:?}"
            );
        }
        for md in [
            "Identify any TODO items in the service backlog.\n",
            "Tasks are to be completed prior to the change window.\n",
            "Support for the new region is coming soon to all clusters.\n",
            "The TBD column lists open questions.\n",
            "## Rollback\n\nTo be added to the change ticket, with its approver.\n",
        ] {
            assert!(
                placeholder_texts(md).is_empty(),
                "{md:?}: {:?}",
                placeholder_texts(md)
            );
        }
    }

    #[test]
    fn links_and_tasks_are_not_placeholders() {
        let md = "- [ ] step\n- [x] done\n\nSee [Runbook Index](index.md) and [Team Page][t].\n\n[t]: https://example.com\n\nTodo lists are fine; so is \"tbd\" in lower case.\n";
        assert!(
            placeholder_texts(md).is_empty(),
            "{:?}",
            placeholder_texts(md)
        );
    }
}
