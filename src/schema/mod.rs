//! Step 3: front matter + body metadata -> `Runbook`, and the schema rules.
//!
//! Front matter and the body's "Owner and cadence" section are equal sources of metadata (the
//! seeds keep theirs in the body); when both give a field and disagree, that is
//! `conflicting-field`. Field aliases from real collections (`owner_slack`, `review_cadence`, …)
//! are read as the built-in field. Each rule is one small function that pushes findings.

pub mod cadence;
pub mod json_schema;
pub mod text;

use crate::config::{FieldType, SchemaConfig};
use crate::diagnostics::{Diagnostic, Rule, line_of};
use crate::markdown::Doc;
use crate::yaml::{Node, Value};
use cadence::{Cadence, ReviewDate};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Built-in front-matter fields (SPEC "A runbook").
pub const BUILTIN_FIELDS: &[&str] = &[
    "title",
    "owner",
    "cadence",
    "last_reviewed",
    "acceptance_checks",
    "severity",
    "service",
    "team",
    "tags",
    "alerts",
    "related",
    "aliases",
    "description",
    "draft",
    "escalation",
    "chat",
    "variables",
];

/// Aliases every site gets without configuration: (alias, built-in field).
pub const BUILTIN_ALIASES: &[(&str, &str)] = &[
    ("owner_slack", "owner"),
    ("review_cadence", "cadence"),
    ("review_in", "cadence"),
    ("review_cycle", "cadence"),
    ("last_reviewed_on", "last_reviewed"),
    ("reviewed", "last_reviewed"),
    // GOV.UK tech-docs: the old URLs of a moved page.
    ("old_paths", "aliases"),
];

/// Where a metadata value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    FrontMatter,
    Body,
    /// A Kubernetes OWNERS file of the runbook's folder or one above.
    OwnersFile,
    /// The repository's CODEOWNERS.
    Codeowners,
    /// The site's `default_owner`.
    SiteDefault,
}

impl Origin {
    /// Where a value came from, as pages and reports say it.
    pub fn name(self) -> &'static str {
        match self {
            Origin::FrontMatter => "front matter",
            Origin::Body => "body",
            Origin::OwnersFile => "OWNERS file",
            Origin::Codeowners => "CODEOWNERS",
            Origin::SiteDefault => "site default",
        }
    }
}

/// A value with where it was written (file byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub offset: usize,
    pub origin: Origin,
}

/// One runbook, as the rest of the pipeline sees it.
#[derive(Debug, Clone, Default)]
pub struct Runbook {
    pub title: String,
    pub owner: Option<Sourced<String>>,
    /// The cadence as written (one string per front-matter entry or body line).
    pub cadence_text: Vec<String>,
    pub cadence: Cadence,
    pub last_reviewed: Option<Sourced<String>>,
    pub reviewed_on: Option<ReviewDate>,
    pub next_review: Option<NaiveDate>,
    pub acceptance_checks: Vec<String>,
    pub severity: Option<String>,
    pub service: Option<String>,
    pub team: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub alerts: Vec<Sourced<String>>,
    pub related: Vec<Sourced<String>>,
    pub aliases: Vec<Sourced<String>>,
    pub draft: bool,
    /// Site-defined fields (`[schema.fields]`) as display text.
    pub extra: BTreeMap<String, String>,
    /// Where the generator puts it among its section's pages (Hugo's and tech-docs' `weight`).
    pub weight: Option<i64>,
    /// Who to call when the owner does not answer: on-call schedule, escalation policy, pager
    /// (URLs or text), in order.
    pub escalation: Vec<String>,
    /// Where the owner talks: a channel name or URL.
    pub chat: Option<String>,
    /// The variables the page refers to (its own and the site's), in the order of first use.
    pub variables: Vec<crate::variables::Variable>,
}

/// What the schema needs to know about one source file.
pub struct Input<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub front_matter: &'a [(Node, Node)],
    pub doc: &'a Doc,
    /// File name without `.md`, the title of last resort.
    pub stem: &'a str,
    /// The owner to use when the runbook names none (`owners::Owners::of`).
    pub owner_fallback: Option<(String, Origin)>,
}

/// The schema in force for one runbook (site schema with path overrides applied).
pub struct Schema<'a> {
    pub config: &'a SchemaConfig,
    pub required: Vec<String>,
    pub required_sections: Vec<String>,
    pub today: NaiveDate,
    /// Front-matter keys the site's generator defines (`flavor::Flavor::keys`): not unknown.
    pub generator_keys: &'static [&'static str],
    /// Without an opsbook.toml nobody declared the site's fields: an unknown key is reported
    /// only when it looks like a typo of a known field (it has a "did you mean").
    pub typos_only: bool,
}

/// The `[[schema.overrides]]` path globs, compiled once per build. `*` stays within one folder;
/// `**` crosses folders.
#[derive(Debug)]
pub struct Overrides {
    sets: Vec<globset::GlobSet>,
}

impl Overrides {
    pub fn new(config: &SchemaConfig) -> Overrides {
        let sets = config
            .overrides
            .iter()
            .map(|o| {
                let mut b = globset::GlobSetBuilder::new();
                for p in &o.paths {
                    // Patterns were validated when opsbook.toml was read.
                    if let Ok(g) = globset::GlobBuilder::new(p).literal_separator(true).build() {
                        b.add(g);
                    }
                }
                b.build().unwrap_or_else(|_| globset::GlobSet::empty())
            })
            .collect();
        Overrides { sets }
    }
}

impl<'a> Schema<'a> {
    /// The schema for the runbook with content path `rel` (e.g. `alerts/disk.md`).
    pub fn for_path(
        config: &'a SchemaConfig,
        overrides: &Overrides,
        rel: &str,
        today: NaiveDate,
    ) -> Schema<'a> {
        let mut required = config.required.clone();
        let mut required_sections = config.required_sections.clone();
        for (o, set) in config.overrides.iter().zip(&overrides.sets) {
            if set.is_match(rel) {
                if let Some(r) = &o.required {
                    required = r.clone();
                }
                required_sections.extend(o.required_sections.iter().cloned());
            }
        }
        Schema {
            config,
            required,
            required_sections,
            today,
            generator_keys: &[],
            typos_only: false,
        }
    }

    /// The same schema for a site written for `flavor`, with or without an opsbook.toml.
    pub fn for_generator(mut self, flavor: crate::flavor::Flavor, has_config_file: bool) -> Self {
        self.generator_keys = flavor.keys();
        self.typos_only = !has_config_file;
        self
    }

    fn requires(&self, field: &str) -> bool {
        self.required.iter().any(|r| r == field)
    }

    /// The built-in field a front-matter key stands for, if any.
    fn canonical<'k>(&'k self, key: &'k str) -> Option<&'k str> {
        if BUILTIN_FIELDS.contains(&key) {
            return Some(key);
        }
        if let Some((_, field)) = BUILTIN_ALIASES.iter().find(|(a, _)| *a == key) {
            return Some(field);
        }
        self.config
            .aliases
            .iter()
            .find(|(_, names)| names.iter().any(|n| n == key))
            .map(|(field, _)| field.as_str())
    }
}

/// Owners that mean "nobody yet".
pub fn is_placeholder_owner(owner: &str) -> bool {
    let t = owner.trim().to_ascii_lowercase();
    let t = t.trim_end_matches('.');
    t.is_empty()
        || matches!(
            t,
            "tbd"
                | "tbc"
                | "tba"
                | "todo"
                | "fixme"
                | "?"
                | "??"
                | "???"
                | "-"
                | "n/a"
                | "na"
                | "unknown"
                | "none"
                | "xxx"
                | "owner"
                | "team"
        )
        || (t.starts_with('<') && t.ends_with('>'))
        || (t.starts_with('[') && t.ends_with(']'))
}

/// Words joined by single spaces, without trailing `.;,`, in lower case: how headings and labels
/// are compared.
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.truncate(out.trim_end_matches(['.', ';', ',']).len());
    if out.is_ascii() {
        out.make_ascii_lowercase();
        out
    } else {
        out.to_lowercase()
    }
}

struct Reader<'a, 'b> {
    input: &'b Input<'a>,
    diags: Vec<Diagnostic>,
}

impl Reader<'_, '_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn invalid(&mut self, node: &Node, key: &str, expected: &str) {
        let d = Diagnostic::new(
            Rule::InvalidField,
            self.input.path,
            node.offset,
            format!(
                "`{key}` must be {expected}, found {}",
                node.value.type_name()
            ),
        );
        self.push(d);
    }

    fn scalar(&mut self, key: &str, node: &Node) -> Option<String> {
        match node.value.as_scalar_text() {
            Some(s) => Some(s),
            None if node.value == Value::Null => None,
            None => {
                self.invalid(node, key, "text");
                None
            }
        }
    }

    /// A list of strings; a single string is accepted as a one-item list.
    fn list(&mut self, key: &str, node: &Node) -> Vec<Sourced<String>> {
        let one = |value: String, offset| Sourced {
            value,
            offset,
            origin: Origin::FrontMatter,
        };
        match &node.value {
            Value::Null => Vec::new(),
            Value::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item.value.as_scalar_text() {
                        Some(s) => out.push(one(s, item.offset)),
                        None => self.invalid(item, key, "a list of text items"),
                    }
                }
                out
            }
            v => match v.as_scalar_text() {
                Some(s) => vec![one(s, node.offset)],
                None => {
                    self.invalid(node, key, "a list of text items");
                    Vec::new()
                }
            },
        }
    }
}

fn values(list: Vec<Sourced<String>>) -> Vec<String> {
    list.into_iter().map(|s| s.value).collect()
}

/// Reads a runbook's metadata and applies the schema rules to it.
pub fn read(input: &Input, schema: &Schema) -> (Runbook, Vec<Diagnostic>) {
    let mut r = Reader {
        input,
        diags: Vec::new(),
    };
    let mut rb = Runbook::default();
    let mut title: Option<String> = None;
    let mut cadence_fm: Vec<Sourced<String>> = Vec::new();
    let mut checks_fm: Option<(Vec<String>, usize)> = None;
    // Built-in fields seen so far, and those the front matter names directly (not by alias):
    // a dozen at most, compared in place.
    let mut seen: Vec<&str> = Vec::new();
    let direct: Vec<&str> = input
        .front_matter
        .iter()
        .filter_map(|(k, _)| {
            let key = k.value.scalar_str()?;
            BUILTIN_FIELDS.iter().copied().find(|f| *f == key)
        })
        .collect();

    for (key_node, node) in input.front_matter {
        let Some(key) = key_node.value.scalar_str() else {
            r.invalid(key_node, "a key", "text");
            continue;
        };
        if key == "weight" {
            rb.weight = node.value.scalar_str().and_then(|w| w.trim().parse().ok());
        }
        let Some(field) = schema.canonical(&key) else {
            if let Some(spec) = schema.config.fields.get(key.as_ref()) {
                if let Some(text) = extra_field(&mut r, &key, node, spec) {
                    rb.extra.insert(key.to_string(), text);
                }
            } else if !schema.config.allow_unknown_fields
                && !schema.generator_keys.contains(&key.as_ref())
            {
                let near = nearest_field(&key, schema);
                if near.is_some() || !schema.typos_only {
                    let mut d = Diagnostic::new(
                        Rule::UnknownField,
                        input.path,
                        key_node.offset,
                        format!("unknown front-matter field `{key}`"),
                    );
                    d = match near {
                        Some(near) => d.with_help(format!("did you mean `{near}`?")),
                        None => d.with_help(
                            "declare it under [schema.fields] in opsbook.toml, or set [schema] allow_unknown_fields = true",
                        ),
                    };
                    r.push(d);
                }
            }
            continue;
        };
        // An alias counts only when the built-in field itself is absent (and the first alias
        // wins when there are several).
        let Some(field) = BUILTIN_FIELDS.iter().copied().find(|f| *f == field) else {
            continue;
        };
        let is_alias = key != field;
        if (is_alias && direct.contains(&field)) || seen.contains(&field) {
            continue;
        }
        seen.push(field);
        // A site may type a built-in field too (e.g. severity as an enum).
        if let Some(spec) = schema.config.fields.get(field) {
            extra_field(&mut r, &key, node, spec);
        }
        match field {
            "title" => title = r.scalar(&key, node),
            "owner" => {
                rb.owner = r.scalar(&key, node).map(|value| Sourced {
                    value: value.trim().to_string(),
                    offset: node.offset,
                    origin: Origin::FrontMatter,
                })
            }
            "cadence" => cadence_fm = r.list(&key, node),
            "last_reviewed" => {
                rb.last_reviewed = r.scalar(&key, node).map(|value| Sourced {
                    value,
                    offset: node.offset,
                    origin: Origin::FrontMatter,
                })
            }
            "acceptance_checks" => {
                let items = values(r.list(&key, node));
                checks_fm = Some((items, node.offset));
            }
            "severity" => rb.severity = r.scalar(&key, node),
            "service" => rb.service = r.scalar(&key, node),
            "team" => rb.team = r.scalar(&key, node),
            "escalation" => rb.escalation = values(r.list(&key, node)),
            "chat" => rb.chat = r.scalar(&key, node),
            "description" => rb.description = r.scalar(&key, node),
            "tags" => rb.tags = values(r.list(&key, node)),
            "alerts" => {
                // Each alert gets a page named after it: a name that cannot be one is refused.
                let mut alerts = r.list(&key, node);
                alerts.retain(|a| {
                    let name = a.value.trim();
                    let problem = crate::text::name_problem(name).filter(|_| !name.is_empty());
                    if let Some(why) = problem {
                        r.push(
                            Diagnostic::new(
                                Rule::InvalidField,
                                input.path,
                                a.offset,
                                format!("`{key}` entry `{name}` cannot name an alert page: {why}"),
                            )
                            .with_help("write the alert's name as the alerting rule has it, such as `KubePodCrashLooping`"),
                        );
                    }
                    problem.is_none()
                });
                rb.alerts = alerts;
            }
            "related" => rb.related = r.list(&key, node),
            "aliases" => rb.aliases = r.list(&key, node),
            "draft" => match &node.value {
                Value::Bool(b) => rb.draft = *b,
                Value::Null => {}
                _ => r.invalid(node, &key, "true or false"),
            },
            _ => {}
        }
    }

    rb.title = title
        .filter(|t| !t.trim().is_empty())
        .or_else(|| {
            input
                .doc
                .leading_h1
                .as_ref()
                .filter(|(t, _)| !crate::markdown::is_template_expression(t))
                .map(|(t, _)| t.clone())
        })
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| input.stem.to_string());

    // Each heading's name as sections are looked up by: made once, compared several times.
    let names: Vec<String> = input
        .doc
        .headings
        .iter()
        .map(|h| normalize(&h.text))
        .collect();
    let body = body_metadata(input.doc, &names);
    merge_body(&mut r, &mut rb, &mut cadence_fm, &body);
    if rb.owner.is_none()
        && let Some((owner, origin)) = &input.owner_fallback
    {
        rb.owner = Some(Sourced {
            value: owner.clone(),
            offset: 0,
            origin: *origin,
        });
    }

    rb.cadence_text = cadence_fm.iter().map(|s| s.value.clone()).collect();
    rb.cadence = Cadence::parse_all(rb.cadence_text.iter().map(String::as_str));

    // Acceptance checks: the section's items and the front-matter list.
    let headings = acceptance_headings(input.doc, &names, schema.config);
    let mut checks: Vec<String> = checks_fm
        .as_ref()
        .map(|(c, _)| c.clone())
        .unwrap_or_default();
    for &h in &headings {
        checks.extend(input.doc.section_items(h).map(|i| i.text.clone()));
    }
    checks.retain(|c| !c.trim().is_empty());
    rb.acceptance_checks = checks;

    check_owner(&mut r, &rb, schema);
    check_cadence(&mut r, &rb, &cadence_fm, schema);
    check_reviews(&mut r, &mut rb, schema);
    if schema.requires("acceptance_checks") && rb.acceptance_checks.is_empty() {
        let (offset, message) = match (headings.first(), &checks_fm) {
            (Some(&h), _) => (
                input.doc.headings[h].offset,
                format!(
                    "section \"{}\" has no list items",
                    input.doc.headings[h].text
                ),
            ),
            (None, Some((_, offset))) => (*offset, "`acceptance_checks` is empty".to_string()),
            (None, None) => (0, "runbook has no acceptance checks".to_string()),
        };
        r.push(
            Diagnostic::new(Rule::MissingAcceptanceChecks, input.path, offset, message).with_help(
                "add a \"## Acceptance checks\" section with a list of checks that prove the procedure worked",
            ),
        );
    }
    check_required_fields(&mut r, &rb, schema);
    check_required_sections(&mut r, &names, schema);
    (rb, r.diags)
}

fn extra_field(
    r: &mut Reader,
    key: &str,
    node: &Node,
    spec: &crate::config::FieldSpec,
) -> Option<String> {
    match spec.kind {
        FieldType::String => r.scalar(key, node),
        FieldType::Bool => match node.value {
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                r.invalid(node, key, "true or false");
                None
            }
        },
        FieldType::List => Some(values(r.list(key, node)).join(", ")),
        FieldType::Date => {
            let text = r.scalar(key, node)?;
            if cadence::parse_review_date(&text).is_none() {
                r.push(
                    Diagnostic::new(
                        Rule::InvalidField,
                        r.input.path,
                        node.offset,
                        format!("`{key}` is not a date: `{text}`"),
                    )
                    .with_help("write YYYY-MM-DD, YYYY-MM or YYYY-Qn"),
                );
            }
            Some(text)
        }
        FieldType::Enum => {
            let text = r.scalar(key, node)?;
            if !spec.values.contains(&text) {
                r.push(
                    Diagnostic::new(
                        Rule::InvalidField,
                        r.input.path,
                        node.offset,
                        format!("`{key}` has a value that is not allowed: `{text}`"),
                    )
                    .with_help(format!("use one of: {}", spec.values.join(", "))),
                );
            }
            Some(text)
        }
    }
}

/// Metadata found in an "Owner and cadence" / "Ownership" section.
#[derive(Debug, Default)]
struct BodyMetadata {
    owner: Option<(String, usize)>,
    cadence: Option<(String, usize)>,
    last_reviewed: Option<(String, usize)>,
}

fn body_metadata(doc: &Doc, names: &[String]) -> BodyMetadata {
    let mut meta = BodyMetadata::default();
    for (h, name) in names.iter().enumerate() {
        if !matches!(
            name.as_str(),
            "owner and cadence"
                | "ownership"
                | "owners and cadence"
                | "owner & cadence"
                | "owners & cadence"
        ) {
            continue;
        }
        for item in doc.section_items(h) {
            let Some((label, value)) = item.text.split_once(':') else {
                continue;
            };
            let value = value.trim().trim_end_matches('.').trim().to_string();
            if value.is_empty() {
                continue;
            }
            let slot = match normalize(label).as_str() {
                "primary owner" | "owner" => &mut meta.owner,
                "review cadence" | "cadence" => &mut meta.cadence,
                "last reviewed" => &mut meta.last_reviewed,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some((value, item.offset));
            }
        }
    }
    meta
}

fn merge_body(
    r: &mut Reader,
    rb: &mut Runbook,
    cadence_fm: &mut Vec<Sourced<String>>,
    body: &BodyMetadata,
) {
    let conflict =
        |r: &mut Reader, field: &str, fm: &str, fm_offset: usize, body: &str, offset: usize| {
            let line = line_of(r.input.text, fm_offset);
            r.push(
                Diagnostic::new(
                    Rule::ConflictingField,
                    r.input.path,
                    offset,
                    format!("the body gives {field} \"{body}\" but the front matter says \"{fm}\""),
                )
                .with_help(format!(
                    "front matter line {line} sets `{field}`; keep one source or make them agree"
                )),
            );
        };
    if let Some((value, offset)) = &body.owner {
        match &rb.owner {
            Some(fm) if normalize(&fm.value) != normalize(value) => {
                conflict(r, "owner", &fm.value, fm.offset, value, *offset)
            }
            Some(_) => {}
            None => {
                rb.owner = Some(Sourced {
                    value: value.clone(),
                    offset: *offset,
                    origin: Origin::Body,
                })
            }
        }
    }
    if let Some((value, offset)) = &body.cadence {
        if cadence_fm.is_empty() {
            cadence_fm.push(Sourced {
                value: value.clone(),
                offset: *offset,
                origin: Origin::Body,
            });
        } else {
            let fm_entries = Cadence::parse_all(cadence_fm.iter().map(|s| s.value.as_str()));
            let body_entries = Cadence::parse_all([value.as_str()]);
            let key = |c: &Cadence| {
                let mut v: Vec<String> = c
                    .entries
                    .iter()
                    .map(|e| normalize(e.text()))
                    .chain(c.invalid.iter().map(|s| normalize(s)))
                    .collect();
                v.sort();
                v
            };
            if key(&fm_entries) != key(&body_entries) {
                let fm_text = cadence_fm
                    .iter()
                    .map(|s| s.value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                conflict(r, "cadence", &fm_text, cadence_fm[0].offset, value, *offset);
            }
        }
    }
    if let Some((value, offset)) = &body.last_reviewed {
        match &rb.last_reviewed {
            Some(fm) if normalize(&fm.value) != normalize(value) => {
                conflict(r, "last_reviewed", &fm.value, fm.offset, value, *offset)
            }
            Some(_) => {}
            None => {
                rb.last_reviewed = Some(Sourced {
                    value: value.clone(),
                    offset: *offset,
                    origin: Origin::Body,
                })
            }
        }
    }
}

/// Headings, as `normalize` leaves them, under which runbooks list their acceptance checks:
/// the names teams use for "how to confirm it worked" (SPEC "Acceptance checks"); a site adds
/// its own with `[schema] acceptance_headings`.
const ACCEPTANCE_HEADINGS: &[&str] = &[
    "acceptance checks",
    "acceptance check",
    "acceptance criteria",
    "verification",
    "verification steps",
    "verify",
    "verify it worked",
    "validation",
    "validation steps",
    "validate",
    "post-checks",
    "post-check",
    "post checks",
    "post check",
    "postchecks",
    "post-change checks",
    "post-incident checks",
    "checks",
    "success criteria",
    "how to confirm it worked",
    "how to verify",
    "how to verify it worked",
    "how to check it worked",
    "check it worked",
    "check that it worked",
    "confirm it worked",
    "confirmation",
];

fn acceptance_headings(doc: &Doc, names: &[String], config: &SchemaConfig) -> Vec<usize> {
    let configured: Vec<String> = config
        .acceptance_headings
        .iter()
        .map(|a| normalize(a))
        .collect();
    // "5. Verification:" names the section "Verification".
    let bare = |name: &str| -> String {
        let name = name.trim_end_matches(':').trim_end();
        let unnumbered =
            name.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ')');
        if unnumbered.len() < name.len() && unnumbered.starts_with(' ') {
            unnumbered.trim_start().to_string()
        } else {
            name.to_string()
        }
    };
    doc.headings
        .iter()
        .zip(names)
        .enumerate()
        .filter(|(_, (h, name))| {
            let name = bare(name);
            h.level >= 2
                && (ACCEPTANCE_HEADINGS.contains(&name.as_str()) || configured.contains(&name))
        })
        .map(|(i, _)| i)
        .collect()
}

/// A prose line such as "Owner: Engineering" elsewhere in the file, for help hints.
fn hint(input: &Input, labels: &[&str]) -> Option<String> {
    let prose = input
        .doc
        .labelled_lines
        .iter()
        .map(|(l, o)| (l.as_str(), *o));
    let items = input.doc.items.iter().map(|i| (i.text.as_str(), i.offset));
    prose.chain(items).find_map(|(line, offset)| {
        let (label, _) = line.split_once(':')?;
        let label = normalize(label.trim_start_matches(['-', '*', ' ']));
        labels.contains(&label.as_str()).then(|| {
            let l = line_of(input.text, offset);
            let shown = crate::diagnostics::shorten(line, 60);
            format!("found '{shown}' at line {l}, move it into front matter (or under an \"Owner and cadence\" heading)")
        })
    })
}

fn check_owner(r: &mut Reader, rb: &Runbook, schema: &Schema) {
    if !schema.requires("owner") {
        return;
    }
    let path = r.input.path;
    match &rb.owner {
        Some(o) if !is_placeholder_owner(&o.value) => {}
        Some(o) => r.push(
            Diagnostic::new(
                Rule::MissingOwner,
                path,
                o.offset,
                format!("owner \"{}\" is a placeholder", o.value),
            )
            .with_help("name the team or person who keeps this runbook current"),
        ),
        None => {
            let help = hint(r.input, &["owner", "primary owner", "owners"])
                .unwrap_or_else(|| "add `owner: <team>` to the front matter".to_string());
            r.push(
                Diagnostic::new(Rule::MissingOwner, path, 0, "runbook has no owner")
                    .with_help(help),
            );
        }
    }
}

fn check_cadence(r: &mut Reader, rb: &Runbook, sources: &[Sourced<String>], schema: &Schema) {
    let path = r.input.path;
    if rb.cadence.is_empty() {
        if schema.requires("cadence") {
            let help = hint(r.input, &["cadence", "review cadence"]).unwrap_or_else(|| {
                "add `cadence: quarterly` (an interval such as monthly or \"every 6 months\", or a trigger such as \"after incidents\")".to_string()
            });
            r.push(
                Diagnostic::new(
                    Rule::MissingCadence,
                    path,
                    0,
                    "runbook has no review cadence",
                )
                .with_help(help),
            );
        }
        return;
    }
    for bad in &rb.cadence.invalid {
        let offset = sources
            .iter()
            .find(|s| s.value.contains(bad.as_str()))
            .or(sources.first())
            .map(|s| {
                let at = r.input.text[s.offset..]
                    .find(bad.as_str())
                    .filter(|i| *i < s.value.len() + 64);
                s.offset + at.unwrap_or(0)
            })
            .unwrap_or(0);
        r.push(
            Diagnostic::new(
                Rule::InvalidCadence,
                path,
                offset,
                format!("cadence entry \"{bad}\" is neither an interval nor an event trigger"),
            )
            .with_help("use an interval (daily, weekly, monthly, quarterly, \"every 6 months\", P3M) or a trigger starting with after, before, when, on or during"),
        );
    }
}

fn check_reviews(r: &mut Reader, rb: &mut Runbook, schema: &Schema) {
    let path = r.input.path;
    if let Some(lr) = &rb.last_reviewed {
        match cadence::parse_review_date(&lr.value) {
            Some(date) => rb.reviewed_on = Some(date),
            None => r.push(
                Diagnostic::new(
                    Rule::InvalidField,
                    path,
                    lr.offset,
                    format!("last_reviewed \"{}\" is not a date", lr.value),
                )
                .with_help("write YYYY-MM-DD, YYYY-MM or YYYY-Qn"),
            ),
        }
    }
    let Some(interval) = rb.cadence.shortest_interval() else {
        return;
    };
    match rb.reviewed_on {
        Some(reviewed) => {
            rb.next_review = interval.after(reviewed.date);
            if let Some(due) = rb.next_review.filter(|due| *due < schema.today) {
                let offset = rb.last_reviewed.as_ref().map(|l| l.offset).unwrap_or(0);
                r.push(
                    Diagnostic::new(
                        Rule::ReviewOverdue,
                        path,
                        offset,
                        format!(
                            "review was due on {due} (last reviewed {}, cadence {})",
                            reviewed.date,
                            interval_text(&rb.cadence)
                        ),
                    )
                    .with_help("review the runbook, then update last_reviewed"),
                );
            }
        }
        None if rb.last_reviewed.is_none() => r.push(
            Diagnostic::new(
                Rule::MissingLastReviewed,
                path,
                0,
                "the cadence has an interval but the runbook has no last_reviewed date",
            )
            .with_help("add `last_reviewed: YYYY-MM-DD` so the next review date can be computed"),
        ),
        None => {}
    }
}

/// The text of the shortest interval entry, as the author wrote it.
fn interval_text(c: &Cadence) -> String {
    let shortest = c.shortest_interval();
    c.entries
        .iter()
        .find_map(|e| match e {
            cadence::Entry::Interval { text, interval } if Some(*interval) == shortest => {
                Some(text.clone())
            }
            _ => None,
        })
        .unwrap_or_default()
}

fn check_required_fields(r: &mut Reader, rb: &Runbook, schema: &Schema) {
    for field in &schema.required {
        let present = match field.as_str() {
            "owner" | "cadence" | "acceptance_checks" => continue,
            "title" => true,
            "last_reviewed" => rb.last_reviewed.is_some(),
            "severity" => rb.severity.is_some(),
            "service" => rb.service.is_some(),
            "team" => rb.team.is_some(),
            "escalation" => !rb.escalation.is_empty(),
            "chat" => rb.chat.is_some(),
            "description" => rb.description.is_some(),
            "tags" => !rb.tags.is_empty(),
            "alerts" => !rb.alerts.is_empty(),
            "related" => !rb.related.is_empty(),
            "aliases" => !rb.aliases.is_empty(),
            // Declared variables are read before the body is rendered (`variables`).
            "draft" | "variables" => true,
            other => rb.extra.contains_key(other),
        };
        if !present {
            r.push(
                Diagnostic::new(
                    Rule::MissingField,
                    r.input.path,
                    0,
                    format!("required field `{field}` is missing"),
                )
                .with_help(format!("add `{field}:` to the front matter")),
            );
        }
    }
}

fn check_required_sections(r: &mut Reader, names: &[String], schema: &Schema) {
    for section in &schema.required_sections {
        let want = normalize(section);
        if !names.contains(&want) {
            r.push(
                Diagnostic::new(
                    Rule::MissingSection,
                    r.input.path,
                    0,
                    format!("required section \"{section}\" is missing"),
                )
                .with_help(format!("add a \"## {section}\" heading with its content")),
            );
        }
    }
}

/// The closest known field name to a typo, by edit distance.
fn nearest_field(key: &str, schema: &Schema) -> Option<String> {
    let candidates = BUILTIN_FIELDS
        .iter()
        .map(|s| s.to_string())
        .chain(schema.config.fields.keys().cloned());
    candidates
        .map(|c| (crate::text::edit_distance(key, &c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_joins_words_trims_and_lowers() {
        let old = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .trim_end_matches(['.', ';', ','])
                .to_lowercase()
        };
        for s in [
            "",
            "  ",
            "Acceptance  Checks",
            " Owner and cadence. ",
            "Steps;,.",
            "Ünïcode\tÜBERALL ,",
            "İstanbul",
            "a . ,",
        ] {
            assert_eq!(normalize(s), old(s), "{s:?}");
        }
    }

    #[test]
    fn acceptance_checks_live_under_the_headings_teams_use() {
        let config = SchemaConfig {
            acceptance_headings: vec!["Smoke tests".into()],
            ..SchemaConfig::default()
        };
        for (heading, found) in [
            ("Acceptance checks", true),
            ("Verification", true),
            ("Verify", true),
            ("Validation", true),
            ("Post-checks", true),
            ("Post checks", true),
            ("5. Post-checks:", true),
            ("Checks", true),
            ("How to confirm it worked", true),
            ("Smoke tests", true),
            ("Verify the alert", false),
            ("Pre-checks", false),
            ("Diagnosis", false),
        ] {
            let body = format!("## {heading}\n\n- It answers.\n");
            let doc = crate::markdown::analyze(&body, 0, &Default::default());
            let names: Vec<String> = doc.headings.iter().map(|h| normalize(&h.text)).collect();
            let found_here = !acceptance_headings(&doc, &names, &config).is_empty();
            assert_eq!(found_here, found, "{heading:?}");
        }
    }

    #[test]
    fn owner_sections_are_known_by_any_of_their_names() {
        for (heading, found) in [
            ("Owner and cadence", true),
            ("Owner & Cadence", true),
            ("OWNERS  and cadence.", true),
            ("Owners & cadence", true),
            ("Ownership", true),
            ("Owner or cadence", false),
            ("Owner&cadence", false),
        ] {
            let body = format!("## {heading}\n\n- Owner: dba\n");
            let doc = crate::markdown::analyze(&body, 0, &Default::default());
            let names: Vec<String> = doc.headings.iter().map(|h| normalize(&h.text)).collect();
            let meta = body_metadata(&doc, &names);
            assert_eq!(meta.owner.is_some(), found, "{heading:?}");
        }
    }
}
