//! Server-side highlighting of fenced code, for the languages runbooks are written in.
//!
//! Runbooks hold shell sessions, YAML, JSON, PromQL, SQL and Python. A small hand-written scanner
//! per language family covers them at a few hundred nanoseconds a line — general grammar engines
//! (syntect) cost ~15 µs a line, which at 10,000 runbooks dominated the build. Tokens become
//! `<span class="hl-…">`; the theme colours them for light and dark. Unknown languages are
//! escaped and left plain, never guessed.

/// Token classes (CSS `hl-<class>`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Comment,
    String,
    Number,
    Keyword,
    Builtin,
    Variable,
    Command,
    Flag,
    Key,
    Prompt,
    Output,
    Function,
    Operator,
}

impl Class {
    fn css(self) -> &'static str {
        match self {
            Class::Comment => "hl-c",
            Class::String => "hl-s",
            Class::Number => "hl-n",
            Class::Keyword => "hl-k",
            Class::Builtin => "hl-b",
            Class::Variable => "hl-v",
            Class::Command => "hl-f",
            Class::Flag => "hl-o",
            Class::Key => "hl-a",
            Class::Prompt => "hl-p",
            Class::Output => "hl-g",
            Class::Function => "hl-f",
            Class::Operator => "hl-o",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Shell,
    Console,
    Yaml,
    Json,
    PromQl,
    Sql,
    Python,
}

/// The language a fence's info string names, when we highlight it.
fn language(info: &str) -> Option<Lang> {
    let name = info
        .split([' ', ',', '{'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    Some(match name.as_str() {
        "bash" | "sh" | "shell" | "zsh" | "ksh" | "fish" => Lang::Shell,
        "console" | "shell-session" | "shellsession" | "terminal" | "session" => Lang::Console,
        "yaml" | "yml" => Lang::Yaml,
        "json" | "jsonc" | "json5" | "ndjson" => Lang::Json,
        "promql" | "prometheus" | "metricsql" => Lang::PromQl,
        "sql" | "postgres" | "postgresql" | "psql" | "mysql" | "pgsql" | "plpgsql" => Lang::Sql,
        "python" | "py" | "python3" => Lang::Python,
        _ => return None,
    })
}

const SHELL_KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "in", "function", "select", "time", "return", "local", "export", "readonly", "declare", "set",
    "unset",
];
const SHELL_BUILTINS: &[&str] = &[
    "echo", "cd", "exit", "source", "eval", "exec", "true", "false", "test", "read", "printf",
    "sudo",
];
const SQL_KEYWORDS: &[&str] = &[
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "as",
    "on",
    "join",
    "left",
    "right",
    "inner",
    "outer",
    "full",
    "cross",
    "group",
    "by",
    "order",
    "having",
    "limit",
    "offset",
    "insert",
    "into",
    "values",
    "update",
    "set",
    "delete",
    "create",
    "table",
    "index",
    "drop",
    "alter",
    "add",
    "column",
    "primary",
    "key",
    "foreign",
    "references",
    "distinct",
    "union",
    "all",
    "case",
    "when",
    "then",
    "else",
    "end",
    "begin",
    "commit",
    "rollback",
    "transaction",
    "with",
    "exists",
    "between",
    "like",
    "ilike",
    "asc",
    "desc",
    "default",
    "vacuum",
    "analyze",
    "explain",
    "grant",
    "revoke",
    "truncate",
    "returning",
    "true",
    "false",
    "interval",
    "cascade",
    "show",
];
const PROMQL_KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "and",
    "or",
    "unless",
    "atan2",
];
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "match", "case",
];
const PYTHON_BUILTINS: &[&str] = &[
    "print",
    "len",
    "range",
    "open",
    "str",
    "int",
    "float",
    "dict",
    "list",
    "set",
    "tuple",
    "bool",
    "enumerate",
    "zip",
    "isinstance",
    "sorted",
    "sum",
    "min",
    "max",
    "self",
    "super",
];
const YAML_CONSTANTS: &[&str] = &["true", "false", "yes", "no", "on", "off", "null", "~"];

struct Out {
    html: String,
}

impl Out {
    fn text(&mut self, s: &str) {
        pulldown_cmark_escape::escape_html(&mut self.html, s).expect("writing to a String");
    }

    fn span(&mut self, class: Class, s: &str) {
        if s.is_empty() {
            return;
        }
        self.html.push_str("<span class=\"");
        self.html.push_str(class.css());
        self.html.push_str("\">");
        self.text(s);
        self.html.push_str("</span>");
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Length of a quoted string starting at `s[0]` (a quote), up to and including the closing quote
/// (or the end of the line for unterminated strings, except Python triple quotes).
fn string_len(s: &str, escapes: bool) -> usize {
    let b = s.as_bytes();
    let q = b[0];
    if b.len() >= 6 && b[1] == q && b[2] == q {
        let close = [q, q, q];
        return s.as_bytes()[3..]
            .windows(3)
            .position(|w| w == close)
            .map(|p| p + 6)
            .unwrap_or(s.len());
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' if escapes && q != b'\'' => i += 2,
            b'\n' if q != b'\'' && q != b'"' => return i,
            c if c == q => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
        i += 1;
    }
    i
}

/// Highlights `code` written in the fence's language; `None` when we do not know it.
pub fn highlight(info: &str, code: &str) -> Option<String> {
    let lang = language(info)?;
    let mut out = Out {
        html: String::with_capacity(code.len() * 2),
    };
    match lang {
        Lang::Console => console(code, &mut out),
        Lang::Shell => shell(code, &mut out),
        Lang::Yaml => {
            for line in code.split_inclusive('\n') {
                yaml_line(line, &mut out);
            }
        }
        _ => generic(lang, code, &mut out),
    }
    Some(out.html)
}

fn console(code: &str, out: &mut Out) {
    let mut continued = false;
    for line in code.split_inclusive('\n') {
        let prompt = ["$ ", "# ", "% ", "> "]
            .iter()
            .find(|p| line.starts_with(**p));
        match prompt {
            Some(p) => {
                out.span(Class::Prompt, &p[..1]);
                out.text(" ");
                shell(&line[2..], out);
            }
            _ if continued => shell(line, out),
            _ => {
                let body = line.trim_end_matches('\n');
                out.span(Class::Output, body);
                out.text(&line[body.len()..]);
            }
        }
        continued = line.trim_end().ends_with('\\');
    }
}

fn shell(code: &str, out: &mut Out) {
    let b = code.as_bytes();
    let mut i = 0;
    let mut command_position = true;
    while i < b.len() {
        let rest = &code[i..];
        let c = b[i];
        match c {
            b'#' if i == 0 || b[i - 1].is_ascii_whitespace() => {
                let end = rest.find('\n').unwrap_or(rest.len());
                out.span(Class::Comment, &rest[..end]);
                i += end;
            }
            b'\'' | b'"' => {
                let n = string_len(rest, true);
                out.span(Class::String, &rest[..n]);
                i += n;
                command_position = false;
            }
            b'$' => {
                let n = if rest.starts_with("${") {
                    rest.find('}').map(|e| e + 1).unwrap_or(rest.len())
                } else if rest.starts_with("$(") {
                    out.span(Class::Variable, "$(");
                    i += 2;
                    command_position = true;
                    continue;
                } else {
                    1 + rest[1..]
                        .bytes()
                        .take_while(|x| is_word(*x) || matches!(x, b'?' | b'@' | b'#' | b'*'))
                        .count()
                };
                out.span(Class::Variable, &rest[..n]);
                i += n;
                command_position = false;
            }
            b'\n' | b';' | b'|' | b'&' | b'(' | b'`' => {
                out.text(&rest[..1]);
                i += 1;
                if c != b'\n' || !code[..i - 1].trim_end().ends_with('\\') {
                    command_position = true;
                }
            }
            b'-' if i > 0 && b[i - 1].is_ascii_whitespace() && !command_position => {
                let n = rest
                    .bytes()
                    .take_while(|x| !x.is_ascii_whitespace() && !matches!(x, b'=' | b';' | b'|'))
                    .count();
                out.span(Class::Flag, &rest[..n]);
                i += n;
            }
            c if c.is_ascii_whitespace() => {
                out.text(&rest[..1]);
                i += 1;
            }
            _ => {
                let n = rest
                    .bytes()
                    .take_while(|x| {
                        !x.is_ascii_whitespace()
                            && !matches!(
                                x,
                                b';' | b'|' | b'&' | b'\'' | b'"' | b'$' | b'(' | b')' | b'`'
                            )
                    })
                    .count()
                    .max(1);
                let word = &rest[..n];
                if command_position && word.contains('=') && !word.starts_with('=') {
                    // VAR=value prefix: still in command position afterwards.
                    let eq = word.find('=').unwrap_or(0);
                    out.span(Class::Variable, &word[..eq]);
                    out.text(&word[eq..]);
                } else if command_position {
                    let class = if SHELL_KEYWORDS.contains(&word) {
                        Class::Keyword
                    } else if SHELL_BUILTINS.contains(&word) {
                        Class::Builtin
                    } else {
                        Class::Command
                    };
                    out.span(class, word);
                    command_position =
                        SHELL_KEYWORDS.contains(&word) || word == "sudo" || word == "time";
                } else if word.bytes().all(|x| x.is_ascii_digit()) {
                    out.span(Class::Number, word);
                } else {
                    out.text(word);
                }
                i += n;
            }
        }
    }
}

fn yaml_line(line: &str, out: &mut Out) {
    let body = line.trim_end_matches(['\n', '\r']);
    let indent = body.len() - body.trim_start().len();
    out.text(&body[..indent]);
    let mut rest = &body[indent..];
    if rest.starts_with('#') {
        out.span(Class::Comment, rest);
        out.text(&line[body.len()..]);
        return;
    }
    while let Some(r) = rest.strip_prefix("- ") {
        out.span(Class::Operator, "-");
        out.text(" ");
        rest = r;
    }
    // key: value
    let key_end = if rest.starts_with(['"', '\'']) {
        let n = string_len(rest, true);
        rest[n..].starts_with(':').then_some(n)
    } else {
        rest.find(": ")
            .or_else(|| rest.ends_with(':').then(|| rest.len() - 1))
            .filter(|k| !rest[..*k].contains(['{', '[', '#']))
    };
    if let Some(k) = key_end {
        out.span(Class::Key, &rest[..k]);
        out.text(":");
        rest = &rest[k + 1..];
    }
    // value
    let trimmed = rest.trim_start();
    out.text(&rest[..rest.len() - trimmed.len()]);
    let (value, comment) = match trimmed.find(" #") {
        Some(i) if !trimmed.starts_with(['"', '\'']) => (&trimmed[..i], &trimmed[i..]),
        _ => (trimmed, ""),
    };
    if value.starts_with(['"', '\'']) {
        out.span(Class::String, value);
    } else if YAML_CONSTANTS.contains(&value.to_ascii_lowercase().as_str()) {
        out.span(Class::Builtin, value);
    } else if !value.is_empty() && value.parse::<f64>().is_ok() {
        out.span(Class::Number, value);
    } else if value.starts_with(['&', '*', '!', '|', '>']) {
        out.span(Class::Keyword, value);
    } else {
        out.text(value);
    }
    if !comment.is_empty() {
        out.text(" ");
        out.span(Class::Comment, &comment[1..]);
    }
    out.text(&line[body.len()..]);
}

fn generic(lang: Lang, code: &str, out: &mut Out) {
    let b = code.as_bytes();
    let mut i = 0;
    let mut in_braces = false;
    while i < b.len() {
        let rest = &code[i..];
        let c = b[i];
        let line_comment = match lang {
            Lang::Sql => rest.starts_with("--"),
            Lang::Python | Lang::PromQl => c == b'#',
            Lang::Json => rest.starts_with("//"),
            _ => false,
        };
        if line_comment {
            let end = rest.find('\n').unwrap_or(rest.len());
            out.span(Class::Comment, &rest[..end]);
            i += end;
            continue;
        }
        if lang == Lang::Sql && rest.starts_with("/*") {
            let end = rest.find("*/").map(|e| e + 2).unwrap_or(rest.len());
            out.span(Class::Comment, &rest[..end]);
            i += end;
            continue;
        }
        if c == b'"' || c == b'\'' || (c == b'`' && lang == Lang::PromQl) {
            let n = string_len(rest, true);
            let s = &rest[..n];
            let is_key = lang == Lang::Json && rest[n..].trim_start().starts_with(':');
            out.span(if is_key { Class::Key } else { Class::String }, s);
            i += n;
            continue;
        }
        if c.is_ascii_digit() && (i == 0 || !is_word(b[i - 1])) {
            let n = number_len(rest);
            out.span(Class::Number, &rest[..n]);
            i += n;
            continue;
        }
        if is_word(c) || (lang == Lang::PromQl && c == b':') {
            let n = rest
                .bytes()
                .take_while(|x| is_word(*x) || (lang == Lang::PromQl && *x == b':'))
                .count();
            let word = &rest[..n];
            let next = rest[n..].trim_start();
            let class = match lang {
                Lang::Sql if SQL_KEYWORDS.contains(&word.to_ascii_lowercase().as_str()) => {
                    Some(Class::Keyword)
                }
                Lang::Sql if next.starts_with('(') => Some(Class::Function),
                Lang::Python if PYTHON_KEYWORDS.contains(&word) => Some(Class::Keyword),
                Lang::Python if PYTHON_BUILTINS.contains(&word) => Some(Class::Builtin),
                Lang::Python if next.starts_with('(') => Some(Class::Function),
                Lang::Json if matches!(word, "true" | "false" | "null") => Some(Class::Builtin),
                Lang::PromQl if PROMQL_KEYWORDS.contains(&word) => Some(Class::Keyword),
                Lang::PromQl if next.starts_with('(') => Some(Class::Function),
                Lang::PromQl if in_braces => Some(Class::Key),
                Lang::PromQl => Some(Class::Variable),
                _ => None,
            };
            match class {
                Some(cl) => out.span(cl, word),
                None => out.text(word),
            }
            i += n;
            continue;
        }
        if lang == Lang::PromQl {
            match c {
                b'{' => in_braces = true,
                b'}' => in_braces = false,
                b'[' => {
                    let end = rest.find(']').map(|e| e + 1).unwrap_or(1);
                    out.text("[");
                    out.span(Class::Number, &rest[1..end.saturating_sub(1).max(1)]);
                    out.text(&rest[end.saturating_sub(1).max(1)..end]);
                    i += end;
                    continue;
                }
                _ => {}
            }
        }
        if lang == Lang::Python && c == b'@' {
            let n = 1 + rest[1..]
                .bytes()
                .take_while(|x| is_word(*x) || *x == b'.')
                .count();
            out.span(Class::Function, &rest[..n]);
            i += n;
            continue;
        }
        // One character (or a whole UTF-8 sequence) of anything else.
        let n = rest.chars().next().map(char::len_utf8).unwrap_or(1);
        if matches!(
            c,
            b'=' | b'!' | b'<' | b'>' | b'+' | b'*' | b'/' | b'%' | b'^' | b'~'
        ) {
            out.span(Class::Operator, &rest[..n]);
        } else {
            out.text(&rest[..n]);
        }
        i += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_commands_flags_variables_strings_comments() {
        let html = highlight(
            "bash",
            "# restart\nkubectl -n \"$NS\" rollout restart deploy/api | tee log\n",
        )
        .unwrap();
        assert!(
            html.contains("<span class=\"hl-c\"># restart</span>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"hl-f\">kubectl</span>"));
        assert!(html.contains("<span class=\"hl-o\">-n</span>"));
        assert!(html.contains("<span class=\"hl-s\">&quot;$NS&quot;</span>"));
        assert!(html.contains("<span class=\"hl-f\">tee</span>"));
    }

    #[test]
    fn console_prompts_and_output() {
        let html = highlight("console", "$ redis-cli ping\nPONG\n").unwrap();
        assert!(
            html.starts_with("<span class=\"hl-p\">$</span> <span class=\"hl-f\">redis-cli</span>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"hl-g\">PONG</span>"));
    }

    #[test]
    fn yaml_json_promql_sql_python() {
        let y = highlight("yaml", "owner: db # team\nreplicas: 3\n- name: \"x\"\n").unwrap();
        assert!(
            y.contains("<span class=\"hl-a\">owner</span>:")
                && y.contains("<span class=\"hl-n\">3</span>"),
            "{y}"
        );
        let j = highlight("json", "{\"ok\": true, \"n\": 1}").unwrap();
        assert!(
            j.contains("<span class=\"hl-a\">&quot;ok&quot;</span>")
                && j.contains("<span class=\"hl-b\">true</span>"),
            "{j}"
        );
        let p = highlight(
            "promql",
            "sum by (job) (rate(http_requests_total{status=~\"5..\"}[5m]))",
        )
        .unwrap();
        assert!(
            p.contains("<span class=\"hl-f\">rate</span>")
                && p.contains("<span class=\"hl-a\">status</span>")
                && p.contains("<span class=\"hl-n\">5m</span>"),
            "{p}"
        );
        let s = highlight("sql", "SELECT count(*) FROM pg_stat_activity -- now\n").unwrap();
        assert!(
            s.contains("<span class=\"hl-k\">SELECT</span>")
                && s.contains("<span class=\"hl-c\">-- now</span>"),
            "{s}"
        );
        let py = highlight("python", "def f(x):\n    return len(x)  # n\n").unwrap();
        assert!(
            py.contains("<span class=\"hl-k\">def</span>")
                && py.contains("<span class=\"hl-b\">len</span>"),
            "{py}"
        );
    }

    #[test]
    fn unknown_languages_are_not_guessed_and_html_is_escaped() {
        assert!(highlight("mermaid", "graph TD; A-->B").is_none());
        let html = highlight("bash", "echo '<script>'").unwrap();
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
    }
}
