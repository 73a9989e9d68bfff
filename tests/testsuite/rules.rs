//! Each rule of the first `check` fires on a minimal fixture, at the right place, and stays
//! silent on its clean twin (`tests/fixtures/rules/<rule>/{bad,clean}`).

use crate::helpers::Site;

/// (rule, where the finding must point)
const CASES: &[(&str, &str)] = &[
    ("front-matter-syntax", "content/runbook.md:5:14"),
    ("invalid-utf8", "content/runbook.md:8:25"),
    ("missing-owner", "content/runbook.md:1:1"),
    ("missing-cadence", "content/runbook.md:1:1"),
    ("invalid-cadence", "content/runbook.md:4:10"),
    ("missing-acceptance-checks", "content/runbook.md:15:1"),
    ("conflicting-field", "content/runbook.md:21:1"),
    ("broken-link", "content/runbook.md:12:20"),
    ("broken-anchor", "content/runbook.md:12:20"),
    ("output-collision", "content/api.md:1:1"),
    ("secret", "content/runbook.md:15:24"),
    ("unsafe-link", "content/runbook.md:12:20"),
    ("missing-section", "content/runbook.md:1:1"),
    ("missing-field", "content/runbook.md:1:1"),
    ("invalid-field", "content/runbook.md:4:11"),
    ("unknown-related", "content/runbook.md:4:11"),
    ("too-large", "content/runbook.md:4:24"),
    ("invalid-variable", "content/runbook.md:7:3"),
];

/// Rules whose default level is warning: (rule, position).
const WARNING_CASES: &[(&str, &str)] = &[
    ("placeholder", "content/runbook.md:8:61"),
    ("empty-section", "content/runbook.md:15:1"),
    ("unclosed-fence", "content/runbook.md:21:1"),
    ("unresolved-reference", "content/runbook.md:21:1"),
    ("orphan", "content/drain.md:1:1"),
    ("unknown-field", "content/runbook.md:4:1"),
    ("duplicate-title", "content/runbook.md:1:1"),
    ("missing-last-reviewed", "content/runbook.md:1:1"),
    ("review-overdue", "content/runbook.md:5:16"),
    ("missing-rollback", "content/runbook.md:12:1"),
    ("unused-variable", "content/runbook.md:8:3"),
];

#[test]
fn each_warning_rule_fires_on_its_fixture_and_not_on_its_twin() {
    for (rule, position) in WARNING_CASES {
        let site = Site::fixture(&format!("rules/{rule}/bad"));
        let run = site.run(&["check"]);
        run.expect_code(0)
            .stdout_has(&format!("{position}: warning[{rule}]"));
        site.run(&["check", "--deny-warnings"]).expect_code(1);
        let clean = Site::fixture(&format!("rules/{rule}/clean"));
        let run = clean.run(&["check", "--deny-warnings"]);
        run.expect_code(0);
        assert!(
            !run.stdout.contains(&format!("[{rule}]")),
            "{rule} fired on the clean twin:\n{}",
            run.stdout
        );
    }
}

#[test]
fn secrets_are_never_printed() {
    let secret = "ghp_R2d2C3poBb8Lk9Qw7Er5Ty3Ui1Op0AsDfGhJ";
    let site = Site::fixture("rules/secret/bad");
    for format in ["human", "json", "sarif", "github", "junit"] {
        let run = site.run(&["check", "--format", format]);
        assert!(
            !run.stdout.contains(secret) && !run.stdout.contains(&secret[4..]),
            "{format} printed the secret:\n{}",
            run.stdout
        );
    }
    site.run(&["check"]).stdout_has("ghp_****");
    // A build publishes the page with the secret masked: in no file it writes, and in no
    // report of a strict build either.
    site.run(&["build"]).expect_code(0);
    assert!(site.read("public/runbook.html").contains("ghp_****"));
    for (name, bytes) in site.snapshot("public") {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&secret[4..12]),
            "public/{name} holds the secret"
        );
    }
    let strict = site.run(&["build", "--strict"]);
    strict.expect_code(1).stderr_has("error[secret]");
    assert!(!strict.stderr.contains(&secret[4..]), "{}", strict.stderr);
}

#[test]
fn each_rule_fires_on_its_fixture_at_the_right_position() {
    for (rule, position) in CASES {
        let site = Site::fixture(&format!("rules/{rule}/bad"));
        let run = site.run(&["check"]);
        run.expect_code(1)
            .stdout_has(&format!("{position}: error[{rule}]"));
        // rustc-style: the source line and a caret follow the heading line.
        let after = run.stdout.split(&format!("error[{rule}]")).nth(1).unwrap();
        assert!(
            after.contains(" | ") && after.contains('^'),
            "{rule}: no snippet\n{}",
            run.stdout
        );
    }
}

#[test]
fn each_rule_is_silent_on_its_clean_twin() {
    for (rule, _) in CASES {
        let site = Site::fixture(&format!("rules/{rule}/clean"));
        let run = site.run(&["check"]);
        run.expect_code(0);
        assert!(
            !run.stdout.contains(&format!("[{rule}]")),
            "{rule} fired on the clean twin:\n{}",
            run.stdout
        );
    }
}

#[test]
fn a_finding_names_what_to_do() {
    let site = Site::fixture("rules/missing-owner/bad");
    site.run(&["check"])
        .stdout_has("= help: add `owner: <team>` to the front matter");
    let site = Site::fixture("rules/broken-anchor/bad");
    site.run(&["check"])
        .stdout_has("= help: headings there: #steps, #acceptance-checks");
}

#[test]
fn placeholder_owner_is_missing() {
    let site = Site::fixture("rules/missing-owner/clean");
    let text = site
        .read("content/runbook.md")
        .replace("owner: platform-team", "owner: TBD");
    site.write("content/runbook.md", text);
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("content/runbook.md:3:8: error[missing-owner]: owner \"TBD\" is a placeholder");
}

#[test]
fn invalid_yaml_is_reported_at_the_file_line() {
    let site = Site::empty();
    site.write(
        "content/a.md",
        "---\ntitle: A\nowner: x\ntags: [a, b\ncadence: monthly\n---\nbody\n",
    );
    let run = site.run(&["check"]);
    run.expect_code(1);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("[front-matter-syntax]"))
        .unwrap();
    // The YAML error is on line 5 of the file (line 4 of the YAML block + the opening `---`).
    assert!(line.starts_with("content/a.md:5:"), "{line}");
}

#[test]
fn duplicate_yaml_keys_are_front_matter_errors() {
    let site = Site::empty();
    site.write(
        "content/a.md",
        "---\nowner: a\ncadence: monthly\nowner: b\n---\n# A\n",
    );
    site.run(&["check"]).expect_code(1).stdout_has(
        "content/a.md:4:1: error[front-matter-syntax]: front matter: duplicate mapping key: owner",
    );
}

#[test]
fn crlf_files_give_the_same_line_numbers() {
    for rule in [
        "front-matter-syntax",
        "invalid-cadence",
        "broken-anchor",
        "conflicting-field",
    ] {
        let lf = Site::fixture(&format!("rules/{rule}/bad"));
        let crlf = Site::fixture(&format!("rules/{rule}/bad"));
        let text = crlf.read("content/runbook.md").replace('\n', "\r\n");
        crlf.write("content/runbook.md", text);
        let (a, b) = (lf.run(&["check"]), crlf.run(&["check"]));
        let heads = |s: &str| {
            s.lines()
                .filter(|l| l.starts_with("content/"))
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert_eq!(heads(&a.stdout), heads(&b.stdout), "{rule}");
        assert!(
            !b.stdout.contains('\r'),
            "{rule}: CR leaked into the snippet"
        );
    }
}

#[test]
fn unusual_files_never_panic() {
    let site = Site::empty();
    site.write("content/empty.md", "");
    site.write("content/only-front-matter.md", "---\ntitle: Only metadata\nowner: x\ncadence: monthly\nlast_reviewed: 2026-11-01\nacceptance_checks: [works]\n---\n");
    site.write("content/binary.md", [0u8, 159, 146, 150, 255, 0, 1, 2]);
    site.write("content/unclosed.md", "---\ntitle: x\n# never closed\n");
    site.write("content/scalar.md", "---\njust a string\n---\n# Title\n");
    let run = site.run(&["check"]);
    run.expect_code(1);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run.stdout_has("content/binary.md:1:2: error[invalid-utf8]")
        .stdout_has("content/empty.md:1:1: error[missing-owner]")
        .stdout_has("content/unclosed.md:1:1: error[front-matter-syntax]: front matter starts here but is never closed")
        .stdout_has("content/scalar.md:2:1: error[front-matter-syntax]: front matter: expected a mapping of `key: value` lines");
    assert!(
        !run.stdout.contains("only-front-matter.md"),
        "{}",
        run.stdout
    );
    // And build renders what it can.
    site.run(&["build"]).expect_code(0);
    assert!(site.exists("public/scalar.html"));
}

#[test]
fn cadence_sentences_parse_and_nonsense_does_not() {
    let site = Site::fixture("rules/invalid-cadence/clean");
    let run = site.run(&["check"]);
    run.expect_code(0);
    assert!(!run.stdout.contains("invalid-cadence"));
    let site = Site::fixture("rules/invalid-cadence/bad");
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("cadence entry \"sometimes\"");
}

#[test]
fn output_collisions_ignore_letter_case() {
    let site = Site::empty();
    site.write("content/Failover.md", "# Failover\n");
    site.write("content/failover.md", "# failover\n");
    let probe = site.path().join("content");
    // On a case-insensitive file system the second write replaced the first: nothing to test.
    if std::fs::read_dir(&probe).unwrap().count() < 2 {
        eprintln!("skipped: the temporary folder's file system ignores letter case");
        return;
    }
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("error[output-collision]");
}

#[test]
fn suppression_comments_silence_one_rule() {
    let site = Site::fixture("rules/broken-link/bad");
    let text = site.read("content/runbook.md");
    let text = text.replace(
        "1. Drain the node",
        "<!-- opsbook-disable-next-line broken-link -->\n1. Drain the node",
    );
    site.write("content/runbook.md", text);
    site.run(&["check"]).expect_code(0);
    let site = Site::fixture("rules/missing-owner/bad");
    let text = site.read("content/runbook.md") + "\n<!-- opsbook-disable missing-owner -->\n";
    site.write("content/runbook.md", text);
    site.run(&["check"]).expect_code(0);
}

#[test]
fn rule_levels_come_from_opsbook_toml() {
    let site = Site::fixture("rules/missing-owner/bad");
    site.write("opsbook.toml", "[rules]\nmissing-owner = \"warning\"\n");
    let run = site.run(&["check"]);
    run.expect_code(0).stdout_has("warning[missing-owner]");
    site.run(&["check", "--deny-warnings"]).expect_code(1);
    site.write("opsbook.toml", "[rules]\nmissing-owner = \"off\"\n");
    let run = site.run(&["check"]);
    assert!(!run.stdout.contains("missing-owner"));
}

#[test]
fn related_operations_name_runbooks_by_title() {
    let site = Site::fixture("seed-body-metadata");
    let run = site.run(&["check"]);
    run.expect_code(0)
        .stdout_has("warning[unresolved-reference]: \"Start evidence review with Audit Log Review.\" names no runbook: no runbook is titled \"Audit Log Review\"");
    // Once a runbook has that title, the reference resolves.
    site.write(
        "content/audit-log-review.md",
        "---\ntitle: Audit Log Review\nowner: support\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n## Acceptance checks\n\n- done\n",
    );
    let run = site.run(&["check"]);
    assert!(
        !run.stdout.contains("titled \"Audit Log Review\""),
        "{}",
        run.stdout
    );
}

#[test]
fn hostile_sizes_are_findings_not_stalls() {
    let site = Site::fixture("rules/missing-owner/clean");
    // 10 MB runbook.
    let big = format!(
        "# Big\n\n{}",
        "All work and no play. ".repeat(10 * 1024 * 1024 / 22)
    );
    site.write("content/big.md", big);
    // 20,000 nested brackets in the body and in front matter.
    site.write(
        "content/brackets.md",
        format!(
            "# Brackets\n\n{}x{}\n",
            "[".repeat(20_000),
            "]".repeat(20_000)
        ),
    );
    site.write(
        "content/deep.md",
        format!(
            "---\nowner: {}x{}\n---\n# Deep\n",
            "[".repeat(20_000),
            "]".repeat(20_000)
        ),
    );
    let started = std::time::Instant::now();
    let run = site.run(&["check"]);
    run.expect_code(1)
        .stdout_has("content/big.md:1:1: error[too-large]")
        .stdout_has("content/deep.md:2:")
        .stdout_has("error[too-large]: front matter: nested deeper than 16 levels");
    assert!(!run.stderr.contains("panicked"));
    // Not a timing assertion on the code: a generous bound that only a hang would break.
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn yaml_alias_bomb_is_a_finding() {
    let site = Site::fixture("rules/missing-owner/clean");
    let mut fm = String::from("---\nowner: x\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        fm.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    site.write("content/bomb.md", fm + "---\n# Bomb\n");
    site.run(&["check"])
        .expect_code(1)
        .stdout_has("error[too-large]: front matter: uses more YAML aliases than allowed");
}

#[test]
fn typed_fields_and_overrides_from_opsbook_toml() {
    let site = Site::fixture("rules/missing-owner/clean");
    site.write(
        "opsbook.toml",
        r#"[schema.fields.runbook_type]
type = "enum"
values = ["alert", "incident"]
[schema.fields.retired_on]
type = "date"
[schema.fields.platforms]
type = "list"
[schema.fields.customer_facing]
type = "bool"
[schema.fields.pager]
type = "string"

[[schema.overrides]]
paths = ["alerts/**"]
required = ["owner", "cadence", "acceptance_checks", "alerts"]
required_sections = ["Meaning"]
"#,
    );
    let text = site.read("content/runbook.md").replace(
        "owner: platform-team\n",
        "owner: platform-team\nrunbook_type: playbook\nretired_on: someday\nplatforms: [linux]\ncustomer_facing: maybe\npager: [1, 2]\n",
    );
    site.write("content/runbook.md", text.clone());
    site.write(
        "content/alerts/disk.md",
        site.read("content/runbook.md")
            .replace("runbook_type: playbook", "runbook_type: alert"),
    );
    let run = site.run(&["check"]);
    run.expect_code(1)
        .stdout_has("content/runbook.md:4:15: error[invalid-field]: `runbook_type` has a value that is not allowed: `playbook`")
        .stdout_has("content/runbook.md:5:13: error[invalid-field]: `retired_on` is not a date")
        .stdout_has("content/runbook.md:7:18: error[invalid-field]: `customer_facing` must be true or false")
        .stdout_has("content/runbook.md:8:8: error[invalid-field]: `pager` must be text, found a list")
        .stdout_has("content/alerts/disk.md:1:1: error[missing-field]: required field `alerts` is missing")
        .stdout_has("content/alerts/disk.md:1:1: error[missing-section]: required section \"Meaning\" is missing");
    assert!(
        !run.stdout.contains("runbook.md:1:1: error[missing-field]"),
        "the override applies to alerts/ only"
    );
    assert!(!run.stdout.contains("platforms"), "{}", run.stdout);
    // A mistake in the configuration is an error at its position.
    site.write("opsbook.toml", "[schema.fields.tier]\ntype = \"number\"\n");
    site.run(&["check"])
        .expect_code(2)
        .stderr_has("opsbook.toml:2:8");
}

/// A deterministic stream of characters for planted credentials (xorshift).
struct Random(u64);

impl Random {
    fn pick(&mut self, alphabet: &str, n: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..n)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                chars[(self.0 % chars.len() as u64) as usize]
            })
            .collect()
    }
}

const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const BASE62: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// 55 credentials in real formats (5 of each of the 11 kinds the rule knows) planted in prose,
/// code, tables and URLs are all found; 50 documented example forms are not.
#[test]
fn real_credentials_are_found_and_documented_examples_are_not() {
    let mut r = Random(0x9e37_79b9_7f4a_7c15);
    let b64 = format!("{BASE62}+/");
    let b64url = format!("{BASE62}-_");
    let digits = "0123456789";
    let mut planted = Vec::new();
    for _ in 0..5 {
        planted.push(format!("AKIA{}", r.pick(UPPER_DIGITS, 16)));
        planted.push(format!("aws_secret_access_key = {}", r.pick(&b64, 40)));
        planted.push(format!("ghp_{}", r.pick(BASE62, 36)));
        planted.push(format!(
            "github_pat_{}_{}",
            r.pick(BASE62, 22),
            r.pick(BASE62, 59)
        ));
        planted.push(format!("glpat-{}", r.pick(&b64url, 20)));
        planted.push(format!(
            "xoxb-{}-{}-{}",
            r.pick(digits, 12),
            r.pick(digits, 13),
            r.pick(BASE62, 24)
        ));
        planted.push(format!(
            "https://hooks.slack.com/services/T{}/B{}/{}",
            r.pick(UPPER_DIGITS, 8),
            r.pick(UPPER_DIGITS, 10),
            r.pick(BASE62, 24)
        ));
        planted.push(format!(
            "eyJ{}.eyJ{}.{}",
            r.pick(&b64url, 30),
            r.pick(&b64url, 40),
            r.pick(&b64url, 43)
        ));
        planted.push(format!(
            "https://deploy:{}@registry.acme.internal/v2",
            r.pick(BASE62, 16)
        ));
        planted.push(format!("Authorization: Bearer {}", r.pick(BASE62, 40)));
        planted.push(format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----",
            r.pick(&b64, 64),
            r.pick(&b64, 64)
        ));
    }
    let mut body = String::new();
    for (i, credential) in planted.iter().enumerate() {
        let one_line = !credential.contains('\n');
        match i % 4 {
            0 => body.push_str(&format!("Use {credential} for the deploy.\n\n")),
            1 => body.push_str(&format!("```sh\nexport VALUE='{credential}'\n```\n\n")),
            2 if one_line => body.push_str(&format!(
                "| key | value |\n|---|---|\n| prod | `{credential}` |\n\n"
            )),
            3 if one_line => body.push_str(&format!(
                "[dashboard](<https://grafana.acme.internal/d?x={credential}>)\n\n"
            )),
            _ => body.push_str(&format!("```\n{credential}\n```\n\n")),
        }
    }
    let site = Site::empty();
    site.write(
        "content/planted.md",
        format!("---\ntitle: Planted\nowner: ops\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n{body}## Acceptance checks\n\n- Done.\n"),
    );
    let examples = [
        "AKIAIOSFODNN7EXAMPLE",
        "AKIAXXXXXXXXXXXXXXXX",
        "AKIA0000000000000000",
        "AKIAABCDEFGHIJKLMNOP",
        "ASIATESTACCESSKEY123",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "ghp_123456789012345678901234567890123456",
        "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "ghp_000000000000000000000000000000000000",
        "ghp_YourPersonalAccessTokenGoesHere12345",
        "github_pat_11AAAAAAA0xxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "glpat-xxxxxxxxxxxxxxxxxxxx",
        "glpat-XXXXXXXXXXXXXXXXXXXX",
        "glpat-1234567890abcdefghij",
        "glpat-<your-access-token>",
        "glpat-exampleexampleexample",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxb-xxxxxxxxxx-xxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx",
        "xoxp-your-slack-token",
        "xoxb-0000000000-0000000000000-000000000000000000000000",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "https://hooks.slack.com/services/T12345678/B12345678/abcdefghijklmnopqrstuvwx",
        "https://hooks.slack.com/services/TXXXXXXXX/BXXXXXXXX/xxxxxxxxxxxxxxxxxxxxxxxx",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.xxxxxxxxxxxxxxxxxxxxxxxx",
        "eyJxxxxxxxxxxxxx.eyJxxxxxxxxxxxxx.xxxxxxxxxxxxxxxx",
        "https://abc123:abc123@host",
        "https://user:a-secret-password@host",
        "postgres://postgres:postgres@localhost:5432/app",
        "https://user:pass@example.com/path",
        "mysql://root:root@127.0.0.1:3306/db",
        "amqp://guest:guest@rabbitmq:5672/",
        "redis://:password@redis:6379/0",
        "https://admin:changeme@jenkins.acme.internal",
        "https://deploy:YOUR_PASSWORD@registry.acme.internal",
        "postgres://app:${DB_PASSWORD}@db/app",
        "https://bob:s3cr3t@example.org",
        "smtp://mailer:xxxxxxxx@smtp.acme.internal",
        "Authorization: Bearer <token>",
        "Authorization: Bearer $TOKEN",
        "Authorization: Bearer ${ACCESS_TOKEN}",
        "Authorization: Bearer xxxxxxxxxxxxxxxxxxxxxxxx",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345",
        "Authorization: Bearer YOUR_API_TOKEN_GOES_HERE",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\n<your private key here>\n-----END PRIVATE KEY-----",
    ];
    assert_eq!(examples.len(), 50);
    let mut body = String::new();
    for (i, example) in examples.iter().enumerate() {
        if i % 2 == 0 || example.contains('\n') {
            body.push_str(&format!("```\n{example}\n```\n\n"));
        } else {
            body.push_str(&format!("Set it like `{example}` in the file.\n\n"));
        }
    }
    site.write(
        "content/examples.md",
        format!("---\ntitle: Examples\nowner: ops\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n{body}## Acceptance checks\n\n- Done.\n"),
    );
    let run = site.run(&["check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let secrets: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "secret")
        .collect();
    let in_file = |file: &str| {
        secrets
            .iter()
            .filter(|d| d["path"].as_str().unwrap().ends_with(file))
            .map(|d| d["message"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let found = in_file("planted.md");
    assert_eq!(found.len(), planted.len(), "{found:#?}");
    let false_alarms = in_file("examples.md");
    assert!(false_alarms.is_empty(), "{false_alarms:#?}");
}

#[test]
fn secret_allow_patterns_and_level_are_configured_in_a_rules_table() {
    let site = Site::fixture("rules/secret/bad");
    site.write("opsbook.toml", "[rules.secret]\nallow = [\"^ghp_R2d2\"]\n");
    site.run(&["check"]).expect_code(0);
    site.write("opsbook.toml", "[rules.secret]\nlevel = \"warning\"\n");
    site.run(&["check"])
        .expect_code(0)
        .stdout_has("warning[secret]");
    site.write("opsbook.toml", "[rules.secret]\nallow = [\"(unclosed\"]\n");
    site.run(&["check"])
        .expect_code(2)
        .stderr_has("opsbook.toml:2:")
        .stderr_has("is not a regular expression");
    site.write("opsbook.toml", "[rules.placeholder]\nallow = [\"x\"]\n");
    site.run(&["check"])
        .expect_code(2)
        .stderr_has("`allow` is for [rules.secret] only");
}
