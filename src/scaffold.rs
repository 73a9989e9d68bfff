//! `opsbook init` and `opsbook new`: files for people to fill in.
//!
//! Both only ever create files; an existing file is never overwritten.

use crate::cli::{NewArgs, TemplateKind};
use crate::cli::{fail, today_or_now};
use crate::config::{CONFIG_FILE, Project};
use crate::diagnostics::exit;
use crate::schema::Schema;
use std::fs;
use std::path::{Path, PathBuf};

fn create(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

fn yaml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn init(dir: &Path) -> u8 {
    if dir.join(CONFIG_FILE).exists() {
        return fail(format!(
            "{} already has an {CONFIG_FILE}; opsbook init never overwrites a site",
            dir.display()
        ));
    }
    let content = dir.join("content");
    if content.is_dir()
        && fs::read_dir(&content)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    {
        return fail(format!(
            "{} already exists and is not empty; add an {CONFIG_FILE} by hand, or init into a new folder",
            content.display()
        ));
    }
    let name = crate::output::absolute(dir)
        .file_name()
        .map(|n| n.to_string_lossy().replace(['-', '_'], " "))
        .unwrap_or_else(|| "Runbooks".into());
    let today = today_or_now(None);
    let files: Vec<(PathBuf, String)> = vec![
        (dir.join(CONFIG_FILE), config_text(&name)),
        (content.join("_index.md"), HOME.to_string()),
        (
            content.join("database/_index.md"),
            DATABASE_INDEX.to_string(),
        ),
        (
            content.join("database/failover.md"),
            FAILOVER.replace("{today}", &today.to_string()),
        ),
        (
            content.join("database/replication-lag.md"),
            REPLICATION_LAG.replace("{today}", &today.to_string()),
        ),
    ];
    for (path, text) in &files {
        if let Err(e) = create(path, text) {
            return fail(e);
        }
    }
    let gitignore = dir.join(".gitignore");
    if !gitignore.exists() {
        let _ = create(&gitignore, "/public\n");
    }
    eprintln!("created a runbook site in {}", dir.display());
    eprintln!(
        "next: cd {} && opsbook check && opsbook build",
        dir.display()
    );
    exit::OK
}

fn config_text(name: &str) -> String {
    format!(
        r#"# opsbook site configuration. Every key is optional; see README for all of them.
[site]
title = {title}
output_dir = "public"
# edit_url = "https://git.example.com/ops/runbooks/-/edit/main/{{path}}"

[schema]
required = ["owner", "cadence", "acceptance_checks"]

[rules]
# review-overdue = "error"
"#,
        title = yaml_string(&format!("{name} runbooks"))
    )
}

const HOME: &str = "---\ntitle: Operations runbooks\n---\n\nStart here during an incident: find the runbook for the alert or symptom, follow it top to bottom, and tick the checklist as you go.\n";

const DATABASE_INDEX: &str =
    "---\ntitle: Database\n---\n\nRunbooks for the primary PostgreSQL cluster.\n";

const FAILOVER: &str = r#"---
title: Database failover
owner: database-team
cadence: quarterly, after incidents
last_reviewed: {today}
severity: SEV2
service: postgres
tags: [database, failover]
alerts: [PostgresPrimaryDown]
---

Promote the standby when the primary is down and will not come back quickly.

## When to use this runbook

- `PostgresPrimaryDown` has fired for more than 5 minutes.
- Replication lag on the standby is under 30 seconds (see [Replication lag](replication-lag.md)).

## Steps

- [ ] Announce the failover in the incident channel.
- [ ] Promote the standby:

  ```bash
  pg_ctl promote -D /var/lib/postgresql/data
  ```

- [ ] Point the application at the new primary and restart it.

## Acceptance checks

- Writes succeed on the new primary.
- The application error rate is back to normal.
"#;

const REPLICATION_LAG: &str = r#"---
title: Replication lag
owner: database-team
cadence: monthly
last_reviewed: {today}
service: postgres
tags: [database]
---

## Diagnosis

```sql
SELECT now() - pg_last_xact_replay_timestamp() AS lag;
```

## Mitigation

- Find long-running queries on the standby and cancel them.
- If lag keeps growing, follow [Database failover](failover.md#steps) only after talking to the database team.

## Acceptance checks

- Lag is under 30 seconds for 15 minutes.
"#;

fn sections_for(kind: TemplateKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        TemplateKind::Incident => &[
            (
                "Symptoms",
                "What the on-call engineer sees: alerts, dashboards, customer reports.",
            ),
            (
                "Triage",
                "- [ ] Confirm impact and assign a severity.\n- [ ] Open an incident channel and name an incident commander.",
            ),
            (
                "Diagnosis",
                "```bash\n# commands that show what is wrong\n```",
            ),
            (
                "Mitigation",
                "1. The fastest safe way to stop the impact.\n2. How to roll back.",
            ),
            (
                "Escalation",
                "Who to call when the steps above do not work, and when.",
            ),
            ("Communication", "Where status updates go and how often."),
        ],
        TemplateKind::Maintenance => &[
            (
                "Preparation",
                "- [ ] Announce the maintenance window.\n- [ ] Take a backup and note where it is.",
            ),
            ("Procedure", "1. First step.\n2. Second step."),
            (
                "Rollback",
                "How to return to the previous state if a step fails.",
            ),
        ],
        TemplateKind::Alert => &[
            ("Meaning", "What the alert measures and why it fires."),
            ("Impact", "What users notice while it fires."),
            (
                "Diagnosis",
                "```bash\n# commands that confirm the cause\n```",
            ),
            ("Mitigation", "1. The fix for the common cause."),
        ],
    }
}

pub fn new_runbook(args: &NewArgs) -> u8 {
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let project = match Project::detect(&root) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let mut rel = args.path.trim().trim_start_matches("./").replace('\\', "/");
    if project.content_dir != project.root
        && let Some(stripped) = rel.strip_prefix("content/")
    {
        rel = stripped.to_string();
    }
    if rel.is_empty() || rel.split('/').any(|p| p == ".." || p.is_empty()) {
        return fail(format!(
            "`{}` is not a runbook path; write it like `database/failover`",
            args.path
        ));
    }
    if !rel.ends_with(".md") {
        rel.push_str(".md");
    }
    let mut path = project.content_dir.clone();
    path.extend(rel.split('/'));
    if path.exists() {
        return fail(format!(
            "{} already exists; opsbook new never overwrites a runbook",
            path.display()
        ));
    }
    let stem = rel
        .rsplit('/')
        .next()
        .unwrap_or(&rel)
        .trim_end_matches(".md");
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| match crate::site::humanize(stem) {
            t if t.is_empty() => "New runbook".to_string(),
            t => t,
        });
    let today = today_or_now(args.today);
    let overrides = crate::schema::Overrides::new(&project.config.schema);
    let schema = Schema::for_path(&project.config.schema, &overrides, &rel, today);

    let mut text = format!(
        "---\ntitle: {}\nowner: TBD\ncadence: quarterly, after incidents\nlast_reviewed: {today}\n",
        yaml_string(&title)
    );
    for field in &schema.required {
        if ![
            "title",
            "owner",
            "cadence",
            "last_reviewed",
            "acceptance_checks",
        ]
        .contains(&field.as_str())
        {
            let value = match field.as_str() {
                "tags" | "alerts" | "related" | "aliases" => "[]".to_string(),
                other => match project.config.schema.fields.get(other) {
                    Some(spec) if !spec.values.is_empty() => spec.values[0].clone(),
                    _ => "TBD".to_string(),
                },
            };
            text.push_str(&format!("{field}: {value}\n"));
        }
    }
    text.push_str("---\n\nOne or two sentences: when to use this runbook and what it achieves.\n");
    let mut written: Vec<String> = Vec::new();
    for (heading, body) in sections_for(args.template) {
        text.push_str(&format!("\n## {heading}\n\n{body}\n"));
        written.push(heading.to_lowercase());
    }
    for section in &schema.required_sections {
        if !written.contains(&section.to_lowercase()) {
            text.push_str(&format!(
                "\n## {section}\n\nDescribe the {} here.\n",
                section.to_lowercase()
            ));
            written.push(section.to_lowercase());
        }
    }
    text.push_str(
        "\n## Acceptance checks\n\n- The symptom that triggered this runbook is gone.\n- Dashboards and alerts are back to normal for 15 minutes.\n",
    );
    if let Err(e) = create(&path, &text) {
        return fail(e);
    }
    eprintln!(
        "created {}: set its owner (it says TBD), fill in each section, then run `opsbook check`",
        crate::diagnostics::display_path(path.strip_prefix(&project.root).unwrap_or(&path))
    );
    exit::OK
}
