//! `opsbook schema`: the effective front-matter schema as JSON Schema (draft 2020-12), so that
//! editors (yaml-language-server and friends) validate runbooks as people type.

use super::{BUILTIN_ALIASES, BUILTIN_FIELDS};
use crate::config::{FieldType, SchemaConfig};
use serde_json::{Value, json};

fn builtin(field: &str) -> Value {
    let text = |d: &str| json!({"type": "string", "description": d});
    let list = |d: &str| json!({"type": "array", "items": {"type": "string"}, "description": d});
    let text_or_list = |d: &str| json!({"description": d, "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]});
    match field {
        "title" => text("Page title; else the first `# ` heading, else the file name."),
        "owner" => {
            json!({"type": "string", "minLength": 1, "description": "The team or person who keeps this runbook current.", "not": {"enum": ["TBD", "TODO", "?", "tbd", "todo"]}})
        }
        "cadence" => text_or_list(
            "When the runbook is reviewed: intervals (monthly, quarterly, \"every 2 weeks\", P3M) and event triggers (\"after incidents\").",
        ),
        "last_reviewed" => {
            json!({"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])(-[0-9]{2})?$|^[0-9]{4}-[Qq][1-4]$", "description": "YYYY-MM-DD, YYYY-MM or YYYY-Qn."})
        }
        "acceptance_checks" => {
            json!({"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "description": "Checks that prove the procedure worked."})
        }
        "severity" => text("Severity of the situation this runbook answers."),
        "service" => text("The service this runbook is about."),
        "team" => text("The team this runbook belongs to."),
        "escalation" => text_or_list(
            "Who to call when the owner does not answer, in order: on-call schedule, escalation policy, pager (URLs or text). Default: `[site] escalation`.",
        ),
        "chat" => text(
            "Where the owner talks: a channel name (#payments-oncall) or URL. Default: `[site] chat`.",
        ),
        "description" => text("One sentence shown in listings and search results."),
        "tags" => list("Labels for browsing and search."),
        "alerts" => list("Alert names this runbook answers."),
        "related" => list("Runbook ids (`database/failover`) or relative paths."),
        "aliases" => list("Old paths that must keep working (each gets a redirect page)."),
        "draft" => {
            json!({"type": "boolean", "description": "Left out of the site unless `build --drafts`."})
        }
        "variables" => json!({
            "type": "object",
            "description": "Values the reader types once for this runbook's commands, referred to as `<name>` in code blocks, inline code and link URLs. `name: description`, or a mapping.",
            "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_-]{0,63}$"},
            "additionalProperties": {"anyOf": [
                {"type": ["string", "null"]},
                {"type": "object", "additionalProperties": false, "properties": {
                    "description": {"type": "string"},
                    "default": {"type": ["string", "number", "boolean"], "description": "The value until the reader types another; must match `pattern`."},
                    "pattern": {"type": "string", "format": "regex", "description": "A regular expression a value must match to be used."},
                    "secret": {"type": "boolean", "description": "Never stored, never taken from or put in a URL, fills code only."}
                }}
            ]}
        }),
        _ => json!({}),
    }
}

fn custom(spec: &crate::config::FieldSpec) -> Value {
    match spec.kind {
        FieldType::String => json!({"type": "string"}),
        FieldType::Bool => json!({"type": "boolean"}),
        FieldType::List => json!({"type": "array", "items": {"type": "string"}}),
        FieldType::Enum => json!({"enum": spec.values}),
        FieldType::Date => builtin("last_reviewed"),
    }
}

pub fn json_schema(config: &SchemaConfig) -> Value {
    let mut properties = serde_json::Map::new();
    for field in BUILTIN_FIELDS {
        properties.insert(field.to_string(), builtin(field));
    }
    for (alias, field) in BUILTIN_ALIASES {
        let mut p = builtin(field);
        p["description"] = json!(format!(
            "Alias of `{field}` (used when `{field}` is absent)."
        ));
        properties.insert(alias.to_string(), p);
    }
    for (field, aliases) in &config.aliases {
        for alias in aliases {
            let mut p = builtin(field);
            p["description"] = json!(format!("Alias of `{field}` (opsbook.toml)."));
            properties.insert(alias.clone(), p);
        }
    }
    for (name, spec) in &config.fields {
        properties.insert(name.clone(), custom(spec));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "opsbook-front-matter",
        "title": "opsbook runbook front matter",
        "description": format!(
            "Required for a complete runbook (in front matter or the body's \"Owner and cadence\" section): {}.",
            config.required.join(", ")
        ),
        "type": "object",
        "properties": properties,
        "additionalProperties": config.allow_unknown_fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_site_fields_and_refuses_unknown_keys() {
        let config: crate::config::Config = crate::config::Config::parse(
            "[schema.fields.runbook_type]\ntype = \"enum\"\nvalues = [\"alert\", \"incident\"]\n",
            std::path::Path::new("opsbook.toml"),
        )
        .unwrap();
        let s = json_schema(&config.schema);
        assert_eq!(s["properties"]["runbook_type"]["enum"][1], "incident");
        assert_eq!(s["additionalProperties"], false);
        assert!(s["properties"]["owner_slack"].is_object());
        let variables = &s["properties"]["variables"];
        assert_eq!(variables["type"], "object");
        assert_eq!(
            variables["additionalProperties"]["anyOf"][1]["properties"]["secret"]["type"],
            "boolean"
        );
    }
}
