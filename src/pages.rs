//! The pages opsbook generates besides runbooks and sections: browsing by owner, team, tag,
//! service and severity; one page per alert name; the review calendar; the completeness report;
//! wanted runbooks; and redirects for `aliases`.
//!
//! Planned from the in-memory site after links are resolved, so nothing is read twice. Content
//! always wins a path: a generated page whose natural path is taken moves aside (`-index`), while
//! an alias that would overwrite a page is an `output-collision`.

use crate::diagnostics::{Diagnostic, Rule};
use crate::site::{Site, path_key};
use crate::text::slug;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A grouping of runbooks by one metadata field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Owner,
    Team,
    Tag,
    Service,
    Severity,
}

impl Facet {
    pub const ALL: [Facet; 5] = [
        Facet::Owner,
        Facet::Team,
        Facet::Tag,
        Facet::Service,
        Facet::Severity,
    ];

    pub fn folder(self) -> &'static str {
        match self {
            Facet::Owner => "owners",
            Facet::Team => "teams",
            Facet::Tag => "tags",
            Facet::Service => "services",
            Facet::Severity => "severities",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Facet::Owner => "Owners",
            Facet::Team => "Teams",
            Facet::Tag => "Tags",
            Facet::Service => "Services",
            Facet::Severity => "Severities",
        }
    }

    /// Owners and teams keep runbooks current: their pages have a feed of the review dates.
    pub fn has_review_feed(self) -> bool {
        matches!(self, Facet::Owner | Facet::Team)
    }

    pub fn singular(self) -> &'static str {
        match self {
            Facet::Owner => "Owner",
            Facet::Team => "Team",
            Facet::Tag => "Tag",
            Facet::Service => "Service",
            Facet::Severity => "Severity",
        }
    }

    /// A runbook's values for this facet, as written (trimmed, empty ones left out).
    pub fn values_of(self, m: &crate::schema::Runbook) -> Vec<&str> {
        fn one(v: &Option<String>) -> Vec<&str> {
            v.iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect()
        }
        match self {
            Facet::Owner => m
                .owner
                .iter()
                .map(|o| o.value.trim())
                .filter(|s| !s.is_empty())
                .collect(),
            Facet::Team => one(&m.team),
            Facet::Tag => m
                .tags
                .iter()
                .map(|t| t.trim())
                .filter(|s| !s.is_empty())
                .collect(),
            Facet::Service => one(&m.service),
            Facet::Severity => one(&m.severity),
        }
    }
}

/// One value of a facet and its runbooks.
#[derive(Debug, Clone)]
pub struct FacetValue {
    pub name: String,
    pub output: String,
    pub runbooks: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct FacetPages {
    pub facet: Facet,
    pub index: String,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone)]
pub struct AlertPage {
    pub name: String,
    /// `None` when a runbook already sits at `alerts/<name>.html`.
    pub output: Option<String>,
    pub runbooks: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Redirect {
    pub output: String,
    pub runbook: usize,
}

/// Whether an `aliases` entry may name a path among the browse pages (a facet's folder, or
/// `alerts/`), where it competes with them for paths; then which facet values and alert names
/// there are can change the alias's findings. Errs on the side of yes: any alias whose first
/// part is one of those folders' names.
pub fn alias_reaches_browse_pages(alias: &str) -> bool {
    let first = alias.trim().trim_start_matches('/').split('/').next();
    let first = path_key(first.unwrap_or_default());
    let first = first
        .strip_suffix(".md")
        .or_else(|| first.strip_suffix(".html"))
        .unwrap_or(&first);
    first == "alerts" || Facet::ALL.iter().any(|f| f.folder() == first)
}

/// Where every generated page goes.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub facets: Vec<FacetPages>,
    pub alerts_index: String,
    pub alerts: Vec<AlertPage>,
    pub calendar: String,
    pub completeness: String,
    pub wanted: String,
    pub redirects: Vec<Redirect>,
}

struct Claims {
    taken: HashSet<String, foldhash::fast::FixedState>,
}

impl Claims {
    /// `wanted` if free, else the first free `<stem>-index.html`, `<stem>-index-2.html`, …
    fn generated(&mut self, wanted: &str) -> String {
        let mut candidate = wanted.to_string();
        let stem = wanted.trim_end_matches(".html").trim_end_matches("/index");
        let mut n = 1;
        while self.taken.contains(&path_key(&candidate)) {
            candidate = if n == 1 {
                format!("{stem}-index.html")
            } else {
                format!("{stem}-index-{n}.html")
            };
            n += 1;
        }
        self.taken.insert(path_key(&candidate));
        candidate
    }

    fn try_take(&mut self, path: &str) -> bool {
        self.taken.insert(path_key(path))
    }

    fn contains(&self, path: &str) -> bool {
        self.taken.contains(&path_key(path))
    }
}

/// Where every generated page goes (facet pages, alerts, calendar, completeness, wanted,
/// redirects for aliases), and the `output-collision` findings of aliases.
pub fn plan(site: &Site) -> (Plan, Vec<Diagnostic>) {
    let pretty = site.project.pretty_urls();
    let page = |stem: &str| {
        if pretty {
            format!("{stem}/index.html")
        } else {
            format!("{stem}.html")
        }
    };
    let mut claims = Claims {
        taken: HashSet::default(),
    };
    claims
        .taken
        .reserve(site.runbooks.len() + site.sections.len() + site.assets.len());
    for rb in &site.runbooks {
        claims.try_take(&rb.document.output);
    }
    for s in &site.sections {
        claims.try_take(&s.output);
    }
    for a in &site.assets {
        claims.try_take(&a.output);
    }
    claims.try_take("404.html");
    claims.try_take("sitemap.xml");

    let mut plan = Plan::default();
    for facet in Facet::ALL {
        // (lower-cased value, value as first written, runbooks). Values repeat across
        // thousands of runbooks: each distinct spelling is looked up once by hash.
        type Fast = foldhash::fast::FixedState;
        let mut by_value: Vec<(String, String, Vec<usize>)> = Vec::new();
        let mut by_key: HashMap<String, usize, Fast> = HashMap::default();
        let mut by_spelling: HashMap<&str, usize, Fast> = HashMap::default();
        for i in 0..site.runbooks.len() {
            for v in facet.values_of(&site.runbooks[i].meta) {
                let at = match by_spelling.get(v) {
                    Some(&at) => at,
                    None => {
                        let key = v.to_lowercase();
                        let at = *by_key.entry(key.clone()).or_insert_with(|| {
                            by_value.push((key, v.to_string(), Vec::new()));
                            by_value.len() - 1
                        });
                        by_spelling.insert(v, at);
                        at
                    }
                };
                let runbooks = &mut by_value[at].2;
                // Runbooks come in order, so a repeat can only be the last one.
                if runbooks.last() != Some(&i) {
                    runbooks.push(i);
                }
            }
        }
        by_value.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let index = claims.generated(&format!("{}/index.html", facet.folder()));
        let mut used_slugs: HashMap<String, usize> = HashMap::new();
        let values = by_value
            .into_iter()
            .map(|(_, name, runbooks)| {
                let mut s: String = slug(&name).chars().take(60).collect();
                s = s.trim_end_matches('-').to_string();
                if s.is_empty() {
                    s = "value".into();
                } else if crate::text::name_problem(&s).is_some() {
                    // `con`, `nul`: names Windows will not take.
                    s.push_str("-value");
                }
                let n = used_slugs.entry(s.clone()).or_insert(0);
                *n += 1;
                if *n > 1 {
                    s = format!("{s}-{n}");
                }
                let output = claims.generated(&page(&format!("{}/{s}", facet.folder())));
                FacetValue {
                    name,
                    output,
                    runbooks,
                }
            })
            .collect();
        plan.facets.push(FacetPages {
            facet,
            index,
            values,
        });
    }

    let mut alerts: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, rb) in site.runbooks.iter().enumerate() {
        for a in &rb.meta.alerts {
            let name = a.value.trim();
            if !name.is_empty() {
                alerts.entry(name.to_string()).or_default().push(i);
            }
        }
    }
    plan.alerts_index = claims.generated("alerts/index.html");
    for (name, runbooks) in alerts {
        let wanted = format!("alerts/{name}.html");
        // A runbook already at alerts/<name>.html is the alert's page.
        let output = if claims.contains(&wanted) {
            None
        } else {
            Some(claims.generated(&wanted))
        };
        plan.alerts.push(AlertPage {
            name,
            output,
            runbooks,
        });
    }
    plan.calendar = claims.generated(&page("review-calendar"));
    plan.completeness = claims.generated(&page("completeness"));
    plan.wanted = claims.generated(&page("wanted"));

    let mut diagnostics = Vec::new();
    for (i, rb) in site.runbooks.iter().enumerate() {
        for alias in &rb.meta.aliases {
            let bare = alias
                .value
                .trim()
                .trim_start_matches('/')
                .trim_end_matches('/');
            let bare = bare
                .strip_suffix(".md")
                .or_else(|| bare.strip_suffix(".html"))
                .unwrap_or(bare);
            let problem = crate::text::path_problem(bare).filter(|_| !bare.is_empty());
            if bare.is_empty() || problem.is_some() {
                let why = problem.unwrap_or_else(|| "it is empty".into());
                diagnostics.push(
                    Diagnostic::new(
                        Rule::InvalidField,
                        site.source_path(&rb.document),
                        alias.offset,
                        format!(
                            "`aliases` entry `{}` is not a path inside the site: {why}",
                            alias.value
                        ),
                    )
                    .with_help(
                        "write the old path without the extension, such as `database/old-failover`",
                    ),
                );
                continue;
            }
            let output = page(bare);
            if claims.try_take(&output) {
                plan.redirects.push(Redirect { output, runbook: i });
            } else {
                diagnostics.push(
                    Diagnostic::new(
                        Rule::OutputCollision,
                        site.source_path(&rb.document),
                        alias.offset,
                        format!(
                            "alias `{}` would overwrite {output}, which another page writes",
                            alias.value
                        ),
                    )
                    .with_help("remove the alias, or move the page that now lives at that path"),
                );
            }
        }
    }
    // The generator's own redirects (tech-docs `redirects:`), to pages this site has.
    let redirects = &site.project.generator.redirects;
    if !redirects.is_empty() {
        let by_id: HashMap<&str, usize> = site
            .runbooks
            .iter()
            .enumerate()
            .map(|(i, rb)| (rb.id.as_str(), i))
            .collect();
        let bare = |p: &str| -> String {
            let p = p.split(['#', '?']).next().unwrap_or("");
            let p = p.trim_start_matches('/').trim_end_matches('/');
            p.strip_suffix(".html").unwrap_or(p).to_string()
        };
        for (old, new) in redirects {
            let (old, new) = (bare(old), bare(new));
            let Some(&runbook) = by_id.get(new.as_str()) else {
                continue;
            };
            if old.is_empty() || crate::text::path_problem(&old).is_some() {
                continue;
            }
            let output = page(&old);
            if claims.try_take(&output) {
                plan.redirects.push(Redirect { output, runbook });
            }
        }
    }
    (plan, diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_in_browse_folders_are_recognised() {
        for alias in [
            "owners/ops",
            "/Tags/x",
            "alerts/DiskFull",
            "alerts.md",
            "teams",
            "severities/",
        ] {
            assert!(alias_reaches_browse_pages(alias), "{alias}");
        }
        for alias in ["db/failover", "ownersx/y", "docs/owners/x", "old-alerts"] {
            assert!(!alias_reaches_browse_pages(alias), "{alias}");
        }
    }
}
