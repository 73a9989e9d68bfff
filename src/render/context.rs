//! Typed page contexts: what each template can use. README documents these names.

use crate::site::Site;
use crate::text::path_url;
use chrono::Datelike;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

// Context structs borrow the site's strings: Tera copies each into its own value anyway, so an
// owned field would be one more copy per string per page.

#[derive(Serialize)]
struct Link<'a> {
    title: Cow<'a, str>,
    url: String,
}

#[derive(Serialize)]
struct NavSection<'a> {
    title: Cow<'a, str>,
    url: String,
    count: usize,
    current: bool,
}

#[derive(Serialize)]
struct SiteCtx {
    /// The sidebar (`sidebar.html`) rendered for this folder: the same on every page there, so
    /// it is rendered once per folder rather than once per page.
    sidebar: String,
    title: String,
    /// Relative prefix to the site root, e.g. `../../`.
    root: String,
    home: String,
    assets: String,
    sections: Vec<NavSection<'static>>,
    /// Generated pages for browsing: owners, tags, alerts, review calendar, …
    browse: Vec<Link<'static>>,
}

#[derive(Serialize)]
struct TocEntry<'a> {
    level: u8,
    id: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct Finding<'a> {
    rule: &'static str,
    level: String,
    line: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct ExtraField<'a> {
    name: &'a str,
    value: &'a str,
}

/// An escalation or chat entry: a link when it is a web or mail URL, else text.
#[derive(Serialize)]
struct Contact<'a> {
    text: &'a str,
    url: Option<&'a str>,
}

impl<'a> Contact<'a> {
    /// Who to call for `meta` and where its owners talk (its own, else the site's).
    fn of(
        project: &'a crate::config::Project,
        meta: &'a crate::schema::Runbook,
    ) -> (Vec<Contact<'a>>, Option<Contact<'a>>) {
        let escalation = project
            .escalation(meta)
            .iter()
            .map(|e| Contact::new(e))
            .collect();
        (escalation, project.chat(meta).map(Contact::new))
    }

    fn new(text: &'a str) -> Self {
        let t = text.trim();
        let linkable = matches!(
            crate::text::scheme(t)
                .map(|s| s.to_ascii_lowercase())
                .as_deref(),
            Some("http" | "https" | "mailto")
        );
        Contact {
            text: t,
            url: linkable.then_some(t),
        }
    }
}

#[derive(Serialize)]
struct RunbookCtx<'a> {
    id: &'a str,
    title: &'a str,
    html: &'a str,
    toc: Vec<TocEntry<'a>>,
    owner: Option<&'a str>,
    owner_from: Option<&'static str>,
    escalation: Vec<Contact<'a>>,
    chat: Option<Contact<'a>>,
    cadence: &'a [String],
    last_reviewed: Option<Cow<'a, str>>,
    next_review: Option<String>,
    overdue: bool,
    /// The last commit that changed the text (`[site] git`).
    last_change: Option<ChangeCtx<'a>>,
    /// Why a reader should check the steps before relying on them: a review overdue, or a
    /// change since the last review.
    banner: Option<String>,
    complete: bool,
    severity: Option<&'a str>,
    service: Option<&'a str>,
    team: Option<&'a str>,
    tags: &'a [String],
    alerts: Vec<&'a str>,
    extra: Vec<ExtraField<'a>>,
    acceptance_checks: usize,
    tasks: usize,
    variables: &'a [crate::variables::Variable],
    findings: Vec<Finding<'a>>,
    edit_url: Option<String>,
    source_path: &'a str,
    related: Vec<Link<'a>>,
    backlinks: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct RunbookRow<'a> {
    title: &'a str,
    url: String,
    description: Option<&'a str>,
    owner: Option<&'a str>,
    next_review: Option<String>,
    overdue: bool,
    complete: bool,
    severity: Option<&'a str>,
}

#[derive(Serialize)]
struct SectionCtx<'a> {
    title: &'a str,
    html: &'a str,
    children: Vec<NavSection<'a>>,
    runbooks: Vec<RunbookRow<'a>>,
}

#[derive(Serialize)]
struct Stats<'a> {
    runbooks: usize,
    complete: usize,
    percent_complete: usize,
    /// The most overdue reviews, longest overdue first: at most `HOME_OVERDUE`.
    overdue: Vec<RunbookRow<'a>>,
    /// How many reviews are overdue in all.
    overdue_count: usize,
    /// The review calendar, which lists them all.
    calendar: String,
    sections: usize,
}

/// How many overdue reviews the home page lists. The home page is where readers land, in an
/// incident too; a large site can have thousands overdue (the review calendar has them all).
const HOME_OVERDUE: usize = 25;

pub struct Builder<'a> {
    site: &'a Site,
    theme: &'a super::Theme,
    findings: &'a super::FindingsByPath<'a>,
    pretty: bool,
    order: &'a Order,
    /// The `site` value of pages, by the folder they are in and their top-level section: the
    /// same for every page that shares both (its URLs are relative to the folder).
    site_values: Mutex<HashMap<(String, Option<usize>), tera::Value, foldhash::fast::FixedState>>,
}

/// Orders of runbooks that many pages use, computed once per site.
pub struct Order {
    /// Runbook counts per section, subsections included.
    totals: Vec<usize>,
    /// Previous and next runbook in reading order, by runbook.
    prev_next: Vec<(Option<usize>, Option<usize>)>,
    /// Each runbook's place when all are sorted by title (case-insensitive), for lists.
    title_rank: Vec<u32>,
}

#[derive(Serialize)]
struct Group<'a> {
    title: Option<String>,
    note: Option<String>,
    runbooks: Vec<RunbookRow<'a>>,
}

/// The review date a page shows: `last_reviewed` as written, or the date of a later review
/// recorded in a commit trailer (the history moved it forward).
fn reviewed_text<'a>(site: &'a Site, rb: &'a crate::site::RunbookPage) -> Option<Cow<'a, str>> {
    let written = rb.meta.last_reviewed.as_ref().map(|l| l.value.as_str());
    let written_date = written.and_then(crate::schema::cadence::parse_review_date);
    match (rb.meta.reviewed_on, written_date) {
        (Some(r), Some(w)) if r.date > w.date => Some(Cow::Owned(r.date.to_string())),
        (Some(r), None) if site.history.is_some() => Some(Cow::Owned(r.date.to_string())),
        _ => written.map(Cow::Borrowed),
    }
}

/// A commit that changed a runbook, as pages show it.
#[derive(Serialize)]
pub struct ChangeCtx<'a> {
    date: String,
    author: &'a str,
    commit: &'a str,
}

impl<'a> ChangeCtx<'a> {
    fn of(commit: &'a crate::history::Commit) -> ChangeCtx<'a> {
        ChangeCtx {
            date: commit.date.to_string(),
            author: &commit.author,
            commit: crate::site::short(&commit.id),
        }
    }
}

#[derive(Serialize)]
struct CompletenessRow<'a> {
    title: &'a str,
    url: String,
    owner: Option<&'a str>,
    cadence: String,
    acceptance_checks: usize,
    last_reviewed: Option<Cow<'a, str>>,
    overdue: bool,
    last_change: Option<ChangeCtx<'a>>,
    complete: bool,
    findings: usize,
    errors: usize,
}

#[derive(Serialize)]
struct Report<'a> {
    runbooks: usize,
    complete: usize,
    percent_complete: usize,
    rows: Vec<CompletenessRow<'a>>,
    /// Whether the git history was read (the "Last changed" column).
    history: bool,
}

#[derive(Serialize)]
struct Listing<'a> {
    title: String,
    intro: Option<String>,
    groups: Vec<Group<'a>>,
    /// The iCalendar feed of these reviews, to subscribe to.
    feed: Option<String>,
}

impl Order {
    pub fn new(site: &Site) -> Order {
        let mut totals = vec![0; site.sections.len()];
        for rb in &site.runbooks {
            let mut s = Some(rb.section);
            while let Some(i) = s {
                totals[i] += 1;
                s = site.sections[i].parent;
            }
        }
        // Reading order: depth-first through sections, runbooks before subsections.
        let mut order = Vec::with_capacity(site.runbooks.len());
        fn walk(site: &Site, s: usize, order: &mut Vec<usize>) {
            order.extend(site.sections[s].runbooks.iter().copied());
            for &c in &site.sections[s].children {
                walk(site, c, order);
            }
        }
        if !site.sections.is_empty() {
            walk(site, 0, &mut order);
        }
        let mut prev_next = vec![(None, None); site.runbooks.len()];
        for (k, &i) in order.iter().enumerate() {
            let prev = k.checked_sub(1).map(|p| order[p]);
            let next = order.get(k + 1).copied();
            prev_next[i] = (prev, next);
        }
        let mut by_title: Vec<usize> = (0..site.runbooks.len()).collect();
        by_title.sort_by_cached_key(|&r| (site.runbooks[r].document.title.to_lowercase(), r));
        let mut title_rank = vec![0; site.runbooks.len()];
        for (rank, &r) in by_title.iter().enumerate() {
            title_rank[r] = rank as u32;
        }
        Order {
            totals,
            prev_next,
            title_rank,
        }
    }
}

impl<'a> Builder<'a> {
    pub fn new(
        site: &'a Site,
        theme: &'a super::Theme,
        findings: &'a super::FindingsByPath<'a>,
        order: &'a Order,
    ) -> Builder<'a> {
        Builder {
            site,
            theme,
            findings,
            pretty: site.project.pretty_urls(),
            order,
            site_values: Mutex::default(),
        }
    }

    /// `site_ctx` for a page at `from`, as a value shared by the pages of its folder.
    fn site_value(&self, from: &str, current_top: Option<usize>) -> Result<tera::Value, String> {
        let dir = from.rfind('/').map_or("", |i| &from[..i]);
        let key = (dir.to_string(), current_top);
        if let Some(v) = self.site_values.lock().expect("site values").get(&key) {
            return Ok(v.clone());
        }
        let value = self.site_ctx(from, current_top, None)?;
        self.site_values
            .lock()
            .expect("site values")
            .insert(key, value.clone());
        Ok(value)
    }

    fn url(&self, from: &str, to: &str) -> String {
        path_url(from, to, self.pretty)
    }

    /// The note above a runbook whose review is overdue or whose text changed since its review:
    /// measured, since the reader may be mid-incident and the steps are probably still right.
    fn banner(&self, rb: &crate::site::RunbookPage, path: &str) -> Option<String> {
        let changed = self.findings.get(path).and_then(|list| {
            list.iter()
                .find(|f| f.rule == crate::diagnostics::Rule::ChangedSinceReview.code())
        });
        let check = "check the steps before relying on them.";
        if let Some(f) = changed {
            let what = f.message.split(" (commit ").next().unwrap_or(&f.message);
            let since = rb
                .meta
                .reviewed_on
                .map(|r| r.date.to_string())
                .unwrap_or_default();
            return Some(format!(
                "This runbook {}, after its last review on {since}: {check}",
                what.replacen("changed on", "was changed on", 1)
            ));
        }
        let due = rb.meta.next_review.filter(|d| *d < self.site.today)?;
        Some(format!("Review due since {due}: {check}"))
    }

    /// The last commit that changed a runbook's text, when the history was read.
    fn last_change(&self, rb: &crate::site::RunbookPage) -> Option<ChangeCtx<'a>> {
        let history = self.site.history.as_ref()?;
        history
            .last_change(self.site.source_path(&rb.document))
            .map(ChangeCtx::of)
    }

    /// The URL of `output` under an absolute `root` (the 404 page's links start at `base_url`).
    fn url_under(&self, root: &str, output: &str) -> String {
        let url = self.url("index.html", output);
        format!("{root}{}", url.strip_prefix("./").unwrap_or(&url))
    }

    /// The `site` value of a page at `from`, its sidebar rendered.
    fn site_ctx(
        &self,
        from: &str,
        current_top: Option<usize>,
        root_override: Option<&str>,
    ) -> Result<tera::Value, String> {
        let root = match root_override {
            Some(r) => r.to_string(),
            None => "../".repeat(from.matches('/').count()),
        };
        let home = if root_override.is_some() || self.pretty {
            if root.is_empty() {
                "./".to_string()
            } else {
                root.clone()
            }
        } else {
            format!("{root}index.html")
        };
        let sections = match self.site.sections.first() {
            Some(top) => top
                .children
                .iter()
                .map(|&c| {
                    let s = &self.site.sections[c];
                    let url = match root_override {
                        Some(r) => self.url_under(r, &s.output),
                        None => self.url(from, &s.output),
                    };
                    NavSection {
                        title: Cow::Owned(s.title.clone()),
                        url,
                        count: self.order.totals[c],
                        current: current_top == Some(c),
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let plan = &self.site.pages;
        let target = |output: &str| match root_override {
            Some(r) => self.url_under(r, output),
            None => self.url(from, output),
        };
        let mut browse: Vec<Link> = plan
            .facets
            .iter()
            .filter(|f| !f.values.is_empty())
            .map(|f| Link {
                title: Cow::Borrowed(f.facet.title()),
                url: target(&f.index),
            })
            .collect();
        let alerts = (!plan.alerts.is_empty()).then_some(("Alerts", &plan.alerts_index));
        let pages = [
            ("Review calendar", &plan.calendar),
            ("Completeness", &plan.completeness),
            ("Wanted runbooks", &plan.wanted),
        ];
        browse.extend(alerts.into_iter().chain(pages).map(|(title, output)| Link {
            title: title.into(),
            url: target(output),
        }));
        let mut ctx = SiteCtx {
            sidebar: String::new(),
            title: self.site.project.title().to_string(),
            assets: format!("{root}assets/"),
            home,
            root,
            sections,
            browse,
        };
        let mut page = tera::Context::new();
        page.insert("site", &ctx);
        let sidebar = self.theme.render("sidebar.html", &page, 4096)?;
        ctx.sidebar = String::from_utf8(sidebar).map_err(|e| e.to_string())?;
        Ok(tera::Value::from_serializable(&ctx))
    }

    /// The top-level section that contains section `s`.
    fn top_of(&self, mut s: usize) -> Option<usize> {
        loop {
            let parent = self.site.sections[s].parent?;
            if parent == 0 {
                return Some(s);
            }
            s = parent;
        }
    }

    fn breadcrumbs(&self, from: &str, section: usize, include_self: bool) -> Vec<Link<'a>> {
        let mut chain = Vec::new();
        let mut s = Some(section);
        while let Some(i) = s {
            chain.push(i);
            s = self.site.sections[i].parent;
        }
        chain.reverse();
        if !include_self {
            chain.pop();
        }
        chain
            .into_iter()
            .map(|i| {
                let sec = &self.site.sections[i];
                let title = if i == 0 {
                    Cow::Borrowed("Home")
                } else {
                    Cow::Borrowed(sec.title.as_str())
                };
                Link {
                    title,
                    url: self.url(from, &sec.output),
                }
            })
            .collect()
    }

    fn row(&self, from: &str, i: usize) -> RunbookRow<'a> {
        let rb = &self.site.runbooks[i];
        RunbookRow {
            title: &rb.document.title,
            url: self.url(from, &rb.document.output),
            description: rb.meta.description.as_deref(),
            owner: rb.meta.owner.as_ref().map(|o| o.value.as_str()),
            next_review: rb.meta.next_review.map(|d| d.to_string()),
            overdue: rb.meta.next_review.is_some_and(|d| d < self.site.today),
            complete: rb.complete,
            severity: rb.meta.severity.as_deref(),
        }
    }

    fn link_to(&self, from: &str, i: usize) -> Link<'a> {
        let rb = &self.site.runbooks[i];
        Link {
            title: Cow::Borrowed(&rb.document.title),
            url: self.url(from, &rb.document.output),
        }
    }

    /// The context of runbook `i`'s page, with `body` its rendered Markdown.
    pub fn runbook(&self, i: usize, body: &str) -> Result<tera::Context, String> {
        let rb = &self.site.runbooks[i];
        let from = rb.document.output.as_str();
        let path = self.site.source_path(&rb.document);
        let findings = self
            .findings
            .get(path)
            .map(|list| {
                list.iter()
                    .map(|f| Finding {
                        rule: f.rule,
                        level: f.level.to_string(),
                        line: f.line,
                        message: &f.message,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let edit_url = self
            .site
            .project
            .config
            .site
            .edit_url
            .as_ref()
            .map(|t| t.replace("{path}", &crate::text::encode_path(path)));
        let (prev, next) = self.order.prev_next[i];
        let related = rb.related.iter().map(|&t| self.link_to(from, t)).collect();
        let meta = &rb.meta;
        let (escalation, chat) = Contact::of(&self.site.project, meta);
        let ctx = RunbookCtx {
            id: &rb.id,
            title: &rb.document.title,
            html: body,
            toc: rb
                .document
                .doc
                .headings
                .iter()
                .filter(|h| (2..=3).contains(&h.level))
                .map(|h| TocEntry {
                    level: h.level,
                    id: &h.id,
                    text: &h.text,
                })
                .collect(),
            owner: meta.owner.as_ref().map(|o| o.value.as_str()),
            owner_from: meta.owner.as_ref().map(|o| o.origin.name()),
            escalation,
            chat,
            cadence: &meta.cadence_text,
            last_reviewed: reviewed_text(self.site, rb),
            next_review: meta.next_review.map(|d| d.to_string()),
            overdue: meta.next_review.is_some_and(|d| d < self.site.today),
            last_change: self.last_change(rb),
            banner: self.banner(rb, path),
            complete: rb.complete,
            severity: meta.severity.as_deref(),
            service: meta.service.as_deref(),
            team: meta.team.as_deref(),
            tags: &meta.tags,
            alerts: meta.alerts.iter().map(|a| a.value.as_str()).collect(),
            extra: meta
                .extra
                .iter()
                .map(|(k, v)| ExtraField { name: k, value: v })
                .collect(),
            acceptance_checks: meta.acceptance_checks.len(),
            tasks: rb.document.doc.task_count,
            variables: &meta.variables,
            findings,
            edit_url,
            source_path: path,
            related,
            backlinks: self
                .site
                .backlinks
                .get(i)
                .map(|b| b.iter().map(|&j| self.link_to(from, j)).collect())
                .unwrap_or_default(),
        };
        let mut c = tera::Context::new();
        c.insert("kind", "runbook");
        c.insert("page_title", &ctx.title);
        c.insert("description", &meta.description);
        c.insert_value("site", self.site_value(from, self.top_of(rb.section))?);
        c.insert("breadcrumbs", &self.breadcrumbs(from, rb.section, true));
        c.insert("prev", &prev.map(|p| self.link_to(from, p)));
        c.insert("next", &next.map(|n| self.link_to(from, n)));
        c.insert("runbook", &ctx);
        Ok(c)
    }

    pub fn section(&self, i: usize) -> Result<tera::Context, String> {
        let s = &self.site.sections[i];
        let from = s.output.as_str();
        let ctx = SectionCtx {
            title: &s.title,
            html: s.index.as_ref().map_or("", |d| d.html.as_str()),
            children: s
                .children
                .iter()
                .map(|&c| {
                    let child = &self.site.sections[c];
                    NavSection {
                        title: Cow::Borrowed(&child.title),
                        url: self.url(from, &child.output),
                        count: self.order.totals[c],
                        current: false,
                    }
                })
                .collect(),
            runbooks: s.runbooks.iter().map(|&r| self.row(from, r)).collect(),
        };
        let mut c = tera::Context::new();
        c.insert("kind", if i == 0 { "home" } else { "section" });
        c.insert("page_title", &ctx.title);
        c.insert(
            "description",
            &s.index.as_ref().and_then(|d| d.description.clone()),
        );
        c.insert_value(
            "site",
            self.site_value(from, if i == 0 { None } else { self.top_of(i) })?,
        );
        c.insert("breadcrumbs", &self.breadcrumbs(from, i, false));
        if i == 0 {
            let complete = self.site.runbooks.iter().filter(|r| r.complete).count();
            let total = self.site.runbooks.len();
            let mut overdue: Vec<usize> = (0..total)
                .filter(|&r| {
                    self.site.runbooks[r]
                        .meta
                        .next_review
                        .is_some_and(|d| d < self.site.today)
                })
                .collect();
            overdue.sort_by_key(|&r| (self.site.runbooks[r].meta.next_review, r));
            let stats = Stats {
                runbooks: total,
                complete,
                percent_complete: (complete * 100).checked_div(total).unwrap_or(100),
                overdue_count: overdue.len(),
                overdue: overdue
                    .into_iter()
                    .take(HOME_OVERDUE)
                    .map(|r| self.row(from, r))
                    .collect(),
                calendar: self.url(from, &self.site.pages.calendar),
                sections: self.site.sections.len().saturating_sub(1),
            };
            c.insert("stats", &stats);
        }
        c.insert("section", &ctx);
        Ok(c)
    }

    pub fn not_found(&self) -> Result<tera::Context, String> {
        let base = self.site.project.config.site.base_url.clone();
        let base = if base.ends_with('/') {
            base
        } else {
            format!("{base}/")
        };
        let mut c = tera::Context::new();
        c.insert("kind", "not-found");
        c.insert("page_title", "Page not found");
        c.insert("description", &None::<String>);
        c.insert_value("site", self.site_ctx("404.html", None, Some(&base))?);
        c.insert("breadcrumbs", &Vec::<Link>::new());
        Ok(c)
    }

    fn base(&self, kind: &str, title: &str, from: &str) -> Result<tera::Context, String> {
        let mut c = tera::Context::new();
        c.insert("kind", kind);
        c.insert("page_title", title);
        c.insert("description", &None::<String>);
        c.insert_value("site", self.site_value(from, None)?);
        c.insert(
            "breadcrumbs",
            &[Link {
                title: Cow::Borrowed("Home"),
                url: self.url(from, "index.html"),
            }],
        );
        Ok(c)
    }

    fn rows(&self, from: &str, runbooks: &[usize]) -> Vec<RunbookRow<'a>> {
        let mut list: Vec<usize> = runbooks.to_vec();
        list.sort_unstable_by_key(|&r| self.order.title_rank[r]);
        list.into_iter().map(|r| self.row(from, r)).collect()
    }

    /// The list of values of one facet (owners, tags, …).
    pub fn taxonomy(&self, f: usize) -> Result<(String, tera::Context), String> {
        let pages = &self.site.pages.facets[f];
        let from = pages.index.as_str();
        let mut c = self.base("taxonomy", pages.facet.title(), from)?;
        let values: Vec<NavSection> = pages
            .values
            .iter()
            .map(|v| NavSection {
                title: Cow::Borrowed(&v.name),
                url: self.url(from, &v.output),
                count: v.runbooks.len(),
                current: false,
            })
            .collect();
        c.insert(
            "taxonomy",
            &serde_json::json!({ "title": pages.facet.title(), "values": values }),
        );
        Ok((pages.index.clone(), c))
    }

    /// The runbooks with one value of a facet.
    pub fn facet_value(&self, f: usize, v: usize) -> Result<(String, tera::Context), String> {
        let pages = &self.site.pages.facets[f];
        let value = &pages.values[v];
        let from = value.output.as_str();
        let title = format!("{}: {}", pages.facet.singular(), value.name);
        let mut c = self.base("listing", &title, from)?;
        c.insert(
            "breadcrumbs",
            &[
                Link {
                    title: Cow::Borrowed("Home"),
                    url: self.url(from, "index.html"),
                },
                Link {
                    title: Cow::Borrowed(pages.facet.title()),
                    url: self.url(from, &pages.index),
                },
            ],
        );
        c.insert(
            "listing",
            &Listing {
                groups: vec![Group {
                    title: None,
                    note: None,
                    runbooks: self.rows(from, &value.runbooks),
                }],
                title,
                intro: None,
                feed: pages
                    .facet
                    .has_review_feed()
                    .then(|| self.url(from, &crate::feeds::feed_beside(&value.output))),
            },
        );
        Ok((value.output.clone(), c))
    }

    pub fn alerts_index(&self) -> Result<(String, tera::Context), String> {
        let plan = &self.site.pages;
        let from = plan.alerts_index.as_str();
        let mut c = self.base("taxonomy", "Alerts", from)?;
        let values: Vec<serde_json::Value> = plan
            .alerts
            .iter()
            .map(|a| {
                let url = match &a.output {
                    Some(o) => self.url(from, o),
                    None => self.url(from, &format!("alerts/{}.html", a.name)),
                };
                let runbooks: Vec<Link> = a.runbooks.iter().map(|&r| self.link_to(from, r)).collect();
                serde_json::json!({ "title": a.name, "url": url, "count": a.runbooks.len(), "runbooks": runbooks })
            })
            .collect();
        c.insert("taxonomy", &serde_json::json!({
            "title": "Alerts",
            "intro": "Each alert has a stable page at alerts/<AlertName>.html: point your alerting rules' runbook_url there.",
            "values": values,
        }));
        Ok((plan.alerts_index.clone(), c))
    }

    /// The stable page of one alert: straight to its runbook when there is exactly one.
    pub fn alert(&self, a: usize) -> Result<Option<(String, tera::Context)>, String> {
        let alert = &self.site.pages.alerts[a];
        let Some(output) = alert.output.clone() else {
            return Ok(None);
        };
        let from = output.as_str();
        let title = format!("Alert {}", alert.name);
        let mut c = self.base("alert", &title, from)?;
        let runbooks: Vec<Link> = alert
            .runbooks
            .iter()
            .map(|&r| self.link_to(from, r))
            .collect();
        c.insert(
            "redirect",
            &(runbooks.len() == 1).then(|| runbooks[0].url.clone()),
        );
        // Who answers for each: owner, escalation and chat, as on the runbook's card.
        let entries: Vec<serde_json::Value> = alert
            .runbooks
            .iter()
            .zip(&runbooks)
            .map(|(&r, link)| {
                let meta = &self.site.runbooks[r].meta;
                let (escalation, chat) = Contact::of(&self.site.project, meta);
                serde_json::json!({
                    "title": link.title,
                    "url": link.url,
                    "owner": meta.owner.as_ref().map(|o| o.value.as_str()),
                    "escalation": escalation,
                    "chat": chat,
                })
            })
            .collect();
        c.insert(
            "alert",
            &serde_json::json!({ "name": alert.name, "runbooks": entries }),
        );
        Ok(Some((output, c)))
    }

    pub fn calendar(&self) -> Result<(String, tera::Context), String> {
        let from = self.site.pages.calendar.as_str();
        let mut c = self.base("calendar", "Review calendar", from)?;
        let today = self.site.today;
        let mut dated: Vec<usize> = (0..self.site.runbooks.len())
            .filter(|&r| self.site.runbooks[r].meta.next_review.is_some())
            .collect();
        dated.sort_unstable_by_key(|&r| {
            (
                self.site.runbooks[r].meta.next_review,
                self.order.title_rank[r],
            )
        });
        let (overdue, upcoming): (Vec<usize>, Vec<usize>) = dated.into_iter().partition(|&r| {
            self.site.runbooks[r]
                .meta
                .next_review
                .is_some_and(|d| d < today)
        });
        let mut groups = vec![Group {
            title: Some("Overdue".into()),
            note: None,
            runbooks: overdue.iter().map(|&r| self.row(from, r)).collect(),
        }];
        // Dates come sorted: a new group starts where the month changes.
        let mut month = None;
        for r in upcoming {
            let Some(due) = self.site.runbooks[r].meta.next_review else {
                continue;
            };
            let this = Some((due.year(), due.month()));
            if month != this {
                month = this;
                groups.push(Group {
                    title: Some(due.format("%B %Y").to_string()),
                    note: None,
                    runbooks: Vec::new(),
                });
            }
            if let Some(g) = groups.last_mut() {
                g.runbooks.push(self.row(from, r));
            }
        }
        let undated: Vec<usize> = (0..self.site.runbooks.len())
            .filter(|&r| self.site.runbooks[r].meta.next_review.is_none())
            .collect();
        groups.push(Group {
            title: Some("No review date".into()),
            note: Some(
                "Reviewed on events only, or missing last_reviewed: these have no due date.".into(),
            ),
            runbooks: self.rows(from, &undated),
        });
        c.insert(
            "listing",
            &Listing {
                title: "Review calendar".into(),
                intro: Some(format!("Next review dates as of {today}, overdue first.")),
                groups,
                feed: Some(self.url(from, crate::feeds::CALENDAR)),
            },
        );
        Ok((from.to_string(), c))
    }

    pub fn completeness(&self) -> Result<(String, tera::Context), String> {
        let from = self.site.pages.completeness.as_str();
        let mut c = self.base("completeness", "Completeness", from)?;
        let mut rows: Vec<CompletenessRow> = Vec::with_capacity(self.site.runbooks.len());
        let mut order: Vec<usize> = (0..self.site.runbooks.len()).collect();
        let runbooks = &self.site.runbooks;
        order.sort_by(|&a, &b| {
            (runbooks[a].complete, &runbooks[a].id).cmp(&(runbooks[b].complete, &runbooks[b].id))
        });
        for r in order {
            let rb = &runbooks[r];
            let path = self.site.source_path(&rb.document);
            let mine = self.findings.get(path);
            rows.push(CompletenessRow {
                title: &rb.document.title,
                url: self.url(from, &rb.document.output),
                owner: rb.meta.owner.as_ref().map(|o| o.value.as_str()),
                cadence: rb.meta.cadence_text.join(", "),
                acceptance_checks: rb.meta.acceptance_checks.len(),
                last_reviewed: reviewed_text(self.site, rb),
                overdue: rb.meta.next_review.is_some_and(|d| d < self.site.today),
                last_change: self.last_change(rb),
                complete: rb.complete,
                findings: mine.map_or(0, |f| f.len()),
                errors: mine.map_or(0, |f| {
                    f.iter()
                        .filter(|d| d.level == crate::diagnostics::Level::Error)
                        .count()
                }),
            });
        }
        let total = runbooks.len();
        let complete = runbooks.iter().filter(|r| r.complete).count();
        c.insert(
            "report",
            &Report {
                runbooks: total,
                complete,
                percent_complete: (complete * 100).checked_div(total).unwrap_or(100),
                rows,
                history: self.site.history.is_some(),
            },
        );
        Ok((from.to_string(), c))
    }

    pub fn wanted(&self) -> Result<(String, tera::Context), String> {
        let from = self.site.pages.wanted.as_str();
        let mut c = self.base("wanted", "Wanted runbooks", from)?;
        let mut by_title: BTreeMap<String, (String, Vec<Link>)> = BTreeMap::new();
        for w in &self.site.wanted {
            let entry = by_title
                .entry(w.title.to_lowercase())
                .or_insert_with(|| (w.title.clone(), Vec::new()));
            let link = Link {
                title: Cow::Borrowed(&w.from_title),
                url: self.url(from, &w.output),
            };
            if !entry.1.iter().any(|l| l.url == link.url) {
                entry.1.push(link);
            }
        }
        let wanted: Vec<serde_json::Value> = by_title
            .into_values()
            .map(|(title, refs)| serde_json::json!({ "title": title, "referenced_by": refs }))
            .collect();
        c.insert("wanted", &wanted);
        Ok((from.to_string(), c))
    }

    /// A page that sends readers of an old path to the runbook's current page.
    pub fn redirect(&self, output: &str, runbook: usize) -> Result<tera::Context, String> {
        let rb = &self.site.runbooks[runbook];
        let mut c = self.base("redirect", &rb.document.title, output)?;
        c.insert("redirect", &Some(self.url(output, &rb.document.output)));
        Ok(c)
    }
}
