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
use std::sync::LazyLock;

struct SecretShape {
    what: &'static str,
    pattern: Regex,
}

fn shape(what: &'static str, pattern: &str) -> SecretShape {
    SecretShape {
        what,
        pattern: Regex::new(pattern).expect("secret pattern compiles"),
    }
}

/// Each pattern's first capture group is the secret.
static SECRETS: LazyLock<Vec<SecretShape>> = LazyLock::new(|| {
    vec![
        shape(
            "an AWS access key",
            r"\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16})\b",
        ),
        shape(
            "an AWS secret access key",
            r#"(?i)aws_secret_access_key["']?\s*[=:]\s*["']?([A-Za-z0-9/+=]{40})\b"#,
        ),
        shape("a GitHub token", r"\b(gh[pousr]_[A-Za-z0-9]{36,255})\b"),
        shape("a GitHub token", r"\b(github_pat_[A-Za-z0-9_]{22,255})\b"),
        shape("a GitLab token", r"\b(glpat-[A-Za-z0-9_\-]{20,})"),
        shape("a Slack token", r"\b(xox[abposr]-[A-Za-z0-9\-]{10,})"),
        shape(
            "a Slack webhook URL",
            r"hooks\.slack\.com/services/(T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,})",
        ),
        shape(
            "a JSON Web Token",
            r"\b(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
        ),
        shape(
            "a password in a URL",
            r#"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s/:@'"<>()\[\]]+:([^\s/@'"<>()\[\]]+)@[A-Za-z0-9\[]"#,
        ),
        shape(
            "a bearer token",
            r#"(?i)authorization:\s*bearer\s+([A-Za-z0-9._~+/\-]{20,}=*)"#,
        ),
    ]
});

static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----").expect("compiles")
});

/// Whether a matched value is a stand-in rather than a credential.
fn is_stand_in(value: &str) -> bool {
    let v = value.trim_matches(['"', '\'']);
    v.starts_with(['$', '%', '{', '<', '*'])
        || v.contains("${")
        || v.contains("{{")
        || v.to_ascii_uppercase().contains("EXAMPLE")
        || v.chars()
            .all(|c| c == 'x' || c == 'X' || c == '*' || c == '.')
}

/// `AKIA****************`: enough to find it, not enough to use it.
pub fn redact(secret: &str) -> String {
    let keep: String = secret.chars().take(4).collect();
    let rest = secret.chars().count().saturating_sub(4);
    format!("{keep}{}", "*".repeat(rest.min(16)))
}

pub fn secrets(path: &str, text: &str, out: &mut Vec<Diagnostic>) {
    for s in SECRETS.iter() {
        // Most files have no match: `find_iter` scans without allocating capture slots per
        // search, and only a match is searched again (from where it starts, so the same match)
        // for its group.
        for whole in s.pattern.find_iter(text) {
            let Some(caps) = s.pattern.captures_at(text, whole.start()) else {
                continue;
            };
            let Some(m) = caps.get(1) else { continue };
            if is_stand_in(m.as_str()) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Rule::Secret,
                    path,
                    m.start(),
                    format!("{} is in the text: `{}`", s.what, redact(m.as_str())),
                )
                .with_help("remove it, rotate it (it is in the repository history now), and refer to where it is stored instead, e.g. `$API_TOKEN`")
                .redacting(m.range()),
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

static PLACEHOLDERS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"\b(TODO|TBD|FIXME)\b",
        // [Slack/PagerDuty], [Phone], [Insert contact]
        r"\[(?:[A-Z][\w .&\-]*/)+[A-Z][\w .&\-]*\]",
        r"\[(?:Insert|Your|Add|Enter|Replace|Name|Phone|Email|E-mail|Contact|Date|Time|Link|URL|Team|Owner)\b[^\]\n]{0,50}\]",
        r"(?i)<(?:your|insert|add|enter|replace|fill in)\b[^>\n]{0,60}>",
        r"(?i)\bupdate this section\b",
        r"(?i)\b(?:lorem ipsum|coming soon|to be written|to be completed)\b",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("placeholder pattern compiles"))
    .collect()
});

/// Unfinished text in prose (never in code, comments or front matter).
pub fn placeholders(
    path: &str,
    text: &str,
    body_offset: usize,
    doc: &Doc,
    out: &mut Vec<Diagnostic>,
) {
    let body = &text[body_offset..];
    let mut seen = Vec::new();
    for pattern in PLACEHOLDERS.iter() {
        for m in pattern.find_iter(body) {
            let (start, end) = (body_offset + m.start(), body_offset + m.end());
            if doc.non_prose.iter().any(|r| r.start < end && start < r.end) {
                continue;
            }
            // `[Text](url)`, `[Text][ref]` and `[Text]: url` are links, not stand-ins.
            if m.as_str().starts_with('[')
                && (text[end..].starts_with(['(', '[', ':'])
                    || doc.links.iter().any(|l| l.offset == start))
            {
                continue;
            }
            if seen.iter().any(|&(s, e)| s < end && start < e) {
                continue;
            }
            seen.push((start, end));
            out.push(
                Diagnostic::new(
                    Rule::Placeholder,
                    path,
                    start,
                    format!("placeholder `{}` is still in the text", m.as_str()),
                )
                .with_help("replace it with the real value before the on-call engineer needs it"),
            );
        }
    }
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

    fn secret_messages(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        secrets("a.md", text, &mut out);
        out.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn real_credential_shapes_are_found_and_redacted() {
        let token = format!("ghp_{}", "a1B2".repeat(9));
        let cases = [
            format!("export AWS_ACCESS_KEY_ID=AKIA{}", "Q7ZK3LMN5PRT2VWX"),
            format!("token: {token}"),
            format!("curl -H 'PRIVATE-TOKEN: glpat-{}'", "xY9aB3cD7eF1gH5iJ2kL"),
            format!("SLACK=xoxb-{}", "2048-1234567890-AbCdEfGhIjKl"),
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U".to_string(),
            "psql postgres://admin:hunter2@db.internal:5432/app".to_string(),
            "curl -H \"Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789\" https://api".to_string(),
        ];
        for case in &cases {
            let found = secret_messages(case);
            assert_eq!(found.len(), 1, "{case}: {found:?}");
        }
        let found = secret_messages(&cases[1]);
        assert!(
            !found[0].contains(&token) && found[0].contains("ghp_"),
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
        secrets("a.md", key, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].message.contains("OPENSSH PRIVATE KEY"));
    }

    fn placeholder_texts(md: &str) -> Vec<String> {
        let doc = render(md, 0, None);
        let mut out = Vec::new();
        placeholders("a.md", md, 0, &doc, &mut out);
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
    fn links_and_tasks_are_not_placeholders() {
        let md = "- [ ] step\n- [x] done\n\nSee [Runbook Index](index.md) and [Team Page][t].\n\n[t]: https://example.com\n\nTodo lists are fine; so is \"tbd\" in lower case.\n";
        assert!(
            placeholder_texts(md).is_empty(),
            "{:?}",
            placeholder_texts(md)
        );
    }
}
