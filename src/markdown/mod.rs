//! Step 2b: one pass of pulldown-cmark over a runbook body.
//!
//! The pass renders HTML and, at the same time, collects what later steps need: headings with
//! GitHub-compatible ids, every link and image with its position, list items by section (for
//! acceptance checks and body metadata), suppression comments, and metadata-looking prose lines
//! (for help hints). Link targets are not known yet (the whole site is needed), so links are
//! written as markers `\u{1}N\u{1}` and filled in by `links::resolve` with a single linear scan.

pub mod compat;

use crate::text::{HeadingIds, escape, escape_into, heading_slug};
use crate::variables::Variable;
use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html,
};

/// Marker that surrounds a link index in rendered HTML until links are resolved.
pub const LINK_MARK: char = crate::text::MARKERS[0];
/// Markers around the items of related-operations lists, where runbook titles become links.
pub const REF_OPEN: &str = "\u{2}";
pub const REF_CLOSE: &str = "\u{3}";

/// Headings of sections whose list items name related runbooks (SPEC "Related operations").
pub const RELATED_HEADINGS: &[&str] = &[
    "related operations",
    "related runbooks",
    "related documents",
    "see also",
];

/// Whether a heading's text names a "Related operations"-style section.
fn names_related_section(text: &str) -> bool {
    // Every such name starts with the word "related" or "see": most headings are told apart
    // without allocating.
    let first = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .find(|w| !w.is_empty());
    first.is_some_and(|w| w.eq_ignore_ascii_case("related") || w.eq_ignore_ascii_case("see"))
        && RELATED_HEADINGS.contains(&normalize_heading(text).as_str())
}

/// Whether a heading's text is only a template expression (`<%= … %>`, `{{ … }}`), which the
/// generator fills in and opsbook never runs.
pub fn is_template_expression(text: &str) -> bool {
    let t = text.trim();
    (t.starts_with("<%") && t.ends_with("%>")) || (t.starts_with("{{") && t.ends_with("}}"))
}

/// A heading's text as compared with known section names.
pub fn normalize_heading(s: &str) -> String {
    // Built in one buffer (runbook titles are keyed this way, one each); ASCII byte by byte.
    if s.is_ascii() {
        // Byte by byte: char::is_whitespace's ASCII members, ASCII letters and digits.
        let mut out: Vec<u8> = Vec::with_capacity(s.len());
        let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
        for word in s.as_bytes().split(is_space) {
            let Some(first) = word.iter().position(u8::is_ascii_alphanumeric) else {
                continue;
            };
            let last = word
                .iter()
                .rposition(u8::is_ascii_alphanumeric)
                .unwrap_or(first);
            if !out.is_empty() {
                out.push(b' ');
            }
            out.extend(word[first..=last].iter().map(u8::to_ascii_lowercase));
        }
        return String::from_utf8(out).expect("ASCII");
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word.to_lowercase());
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    pub id: String,
    /// Byte offset in the file.
    pub offset: usize,
    /// Whether anything but headings follows it before the next heading.
    pub content: bool,
    /// Whether it starts a "Related operations"-style section (`RELATED_HEADINGS`).
    pub related: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRef {
    pub dest: String,
    pub offset: usize,
    pub image: bool,
    /// An image's alternative text and title (only when rendering HTML): the link pass writes
    /// the whole `<img>`, or the text in its place when the image is missing. Boxed: most links
    /// are no image, and every link is kept until the site is written.
    pub image_text: Option<Box<ImageText>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageText {
    pub alt: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    /// Index into `Doc::headings` of the nearest heading above, if any.
    pub heading: Option<usize>,
    /// Plain text of the item (without nested lists).
    pub text: String,
    pub offset: usize,
    /// 1 for items of a top-level list.
    pub depth: usize,
    /// Whether the item contains a link.
    pub has_link: bool,
}

/// A rendered body and what was learnt while rendering it.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    /// Shared, so that serve's parse cache and the served site hold one copy.
    pub html: std::sync::Arc<String>,
    pub headings: Vec<Heading>,
    pub links: Vec<LinkRef>,
    pub items: Vec<ListItem>,
    /// `# Title` when it is the first block; it is not repeated in `html`.
    pub leading_h1: Option<(String, usize)>,
    /// Text of `<!-- opsbook-… -->` comments with their offsets.
    pub directives: Vec<(String, usize)>,
    /// Prose lines of the form `Label: value` outside code, with offsets (for help hints).
    pub labelled_lines: Vec<(String, usize)>,
    pub task_count: usize,
    /// File byte ranges of code (blocks and inline) and HTML comments: not prose.
    pub non_prose: Vec<std::ops::Range<usize>>,
    /// Code fences that are never closed: (offset, whether they run to the end of the file
    /// rather than to the end of their list item or quote).
    pub unclosed_fences: Vec<(usize, bool)>,
    /// Offsets of the code fences marked `destructive` (steps that change the system).
    pub destructive: Vec<usize>,
    /// Words of the body (prose and code) for the search index, only when rendering HTML.
    pub terms: crate::search::Terms,
    /// The first paragraph of prose (outside lists and quotes) with three words or more, cut
    /// to `LEAD_MAX` bytes: what search shows and ranks as the runbook's summary. Only when
    /// rendering HTML.
    pub lead: String,
    /// The variables referred to (indices into `RenderOptions::variables`), in order of first use.
    pub variables: Vec<usize>,
    /// Offsets of the related-operations items wrapped in `REF_OPEN`/`REF_CLOSE`, in order.
    pub related_items: Vec<usize>,
    /// Findings made while rendering (removed raw HTML, unknown shortcodes).
    pub findings: Vec<crate::diagnostics::Diagnostic>,
}

impl Doc {
    /// Whether heading `h` starts a "Related operations"-style section.
    pub fn is_related_heading(&self, h: usize) -> bool {
        self.headings[h].related
    }

    /// The headings that belong to the section started by heading `h` (itself included).
    pub fn section_range(&self, h: usize) -> std::ops::Range<usize> {
        let level = self.headings[h].level;
        let end = self.headings[h + 1..]
            .iter()
            .position(|x| x.level <= level)
            .map(|p| h + 1 + p)
            .unwrap_or(self.headings.len());
        h..end
    }

    /// Top-level list items under heading `h`, including its subsections.
    pub fn section_items(&self, h: usize) -> impl Iterator<Item = &ListItem> {
        let range = self.section_range(h);
        self.items
            .iter()
            .filter(move |i| i.depth == 1 && i.heading.is_some_and(|x| range.contains(&x)))
    }
}

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

fn level_number(level: HeadingLevel) -> u8 {
    level as u8
}

/// Appends a placeholder for link `n` that the link pass fills in once links are resolved:
/// `LINK_MARK`, the kind (`LINK_OPEN`, `LINK_CLOSE` or `IMAGE`), the number, `LINK_MARK`. A link
/// becomes `<a href=…>…</a>`, or marked text when its target is missing; an image becomes
/// `<img …>`, or its alternative text.
fn push_link_mark(out: &mut String, kind: char, n: usize) {
    out.push(LINK_MARK);
    out.push(kind);
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).expect("ASCII digits"));
    out.push(LINK_MARK);
}

/// Kinds of link placeholders (see `push_link_mark`).
pub const LINK_OPEN: char = '<';
pub const LINK_CLOSE: char = '>';
pub const IMAGE: char = '!';

/// Appends the parts to a string of the size they make. The HTML that the body's events are
/// written into is built piece by piece here, many times per runbook: `format!` would parse
/// its template each time and grow the string as it goes.
fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 16);
    for p in parts {
        out.push_str(p);
    }
    out
}

/// A heading being collected: (index in the event list of its placeholder, level, text, offset,
/// custom id, classes).
type OpenHeading = (usize, u8, String, usize, Option<String>, Vec<String>);

struct OpenItem {
    text: String,
    offset: usize,
    depth: usize,
    capturing: bool,
    has_link: bool,
    /// Wrapped in `REF_OPEN`/`REF_CLOSE` so a runbook title in it can become a link.
    marked: bool,
}

/// Whether a fenced code block's source (opening fence to end of block) has a closing fence.
fn fence_is_closed(block: &str) -> bool {
    let mut lines = block.lines();
    let Some(open) = lines.next() else {
        return true;
    };
    let open = open.trim_start();
    let Some(mark) = open.chars().next().filter(|c| *c == '`' || *c == '~') else {
        return true;
    };
    let width = open.chars().take_while(|c| *c == mark).count();
    // From the end: a closed block's last line is its closing fence. Inside a block quote
    // its lines carry the quote's `>` marks, which are not part of the fence.
    lines.rev().any(|l| {
        let t = l.trim_start().trim_start_matches(['>', ' ', '\t']).trim();
        t.chars().take_while(|c| *c == mark).count() >= width && t.chars().all(|c| c == mark)
    })
}

/// Renders a Markdown body. `base` is the body's byte offset in the file; `title` is the
/// front-matter title, if any (a leading `# Heading` that differs from it stays in the body).
pub fn render(body: &str, base: usize, title: Option<&str>) -> Doc {
    analyze(
        body,
        base,
        &RenderOptions {
            title,
            ..RenderOptions::default()
        },
    )
}

/// How to render one body.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions<'a> {
    /// The front-matter title, if any (a leading `# Heading` that differs from it stays).
    pub title: Option<&'a str>,
    /// Produce HTML (`build`), or only collect what `check` needs.
    pub html: bool,
    /// `[markdown] unsafe_html`: pass raw HTML through unsanitized.
    pub unsafe_html: bool,
    /// `[markdown] highlight`: highlight fenced code on the server.
    pub highlight: bool,
    /// The file's path as shown in findings.
    pub path: &'a str,
    /// How heading ids are made (the site's flavor's renderer).
    pub ids: crate::text::IdStyle,
    /// Hugo `params`, which `{{< param x >}}` stands for.
    pub params: Option<&'a std::collections::BTreeMap<String, String>>,
    /// The variables the page may refer to as `<name>` (its own, then the site's).
    pub variables: &'a [Variable],
}

static NO_PARAMS: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();

impl Default for RenderOptions<'_> {
    fn default() -> Self {
        RenderOptions {
            title: None,
            html: true,
            unsafe_html: false,
            highlight: true,
            path: "",
            ids: crate::text::IdStyle::Github,
            params: None,
            variables: &[],
        }
    }
}

/// The same pass; with `html` false it only collects (what `check` needs), which is faster.
pub fn analyze(original: &str, base: usize, opts: &RenderOptions) -> Doc {
    let title = opts.title;
    let want_html = opts.html;
    let vars = opts.variables;
    let rewritten = compat::rewrite(original, opts.params.unwrap_or(&NO_PARAMS));
    let body = rewritten
        .as_ref()
        .map(|r| r.text.as_str())
        .unwrap_or(original);
    let at = |i: usize| base + rewritten.as_ref().map_or(i, |r| r.original_offset(i));
    let mut doc = Doc::default();
    // Author text never carries a marker character past this point: each event's text is
    // scrubbed as it comes (after pulldown-cmark decoded its entities, so `&#1;` is caught).
    // Only a body that holds a marker byte or a numeric character reference can give one;
    // most hold neither, and skip the scrub.
    let keep_toc = rewritten.is_some() && body.contains(compat::TOC_MARK);
    let may_forge = keep_toc
        || crate::text::has_marker(body)
        || memchr::memmem::find(body.as_bytes(), b"&#").is_some();
    let parser = Parser::new_ext(body, options()).into_offset_iter();
    let mut events = Events {
        on: want_html,
        list: Vec::with_capacity(if want_html { body.len() / 12 } else { 0 }),
    };
    let mut ids = HeadingIds::new(opts.ids);
    let mut sanitizer = crate::sanitize::Sanitizer::default();
    // The HTML block being gathered, line by line.
    let mut html_block: Option<RawHtml> = None;

    // Heading being collected: (index in `events` of its placeholder, level, text, offset,
    // custom id, classes).
    let mut heading: Option<OpenHeading> = None;
    let mut image: Option<(usize, String, String)> = None; // (link index, alt, title)
    // Links open in the HTML (an image may sit inside one), innermost last.
    let mut open_links: Vec<usize> = Vec::new();
    let mut in_code = 0usize;
    // Level of the "Related operations"-style heading we are under, if any.
    let mut related_level: Option<u8> = None;
    // The fenced block being collected: (info string, code).
    let mut code: Option<(String, String)> = None;
    let mut list_depth = 0usize;
    let mut items: Vec<OpenItem> = Vec::new();
    let mut quote_kinds: Vec<Option<BlockQuoteKind>> = Vec::new();
    let mut first_block = true;
    let mut skip_heading = false;
    // Plain text of the body for the search index.
    let mut text_buf = String::new();
    let mut lead = Lead::default();

    for (event, range) in parser {
        let event = if may_forge {
            scrub(event, keep_toc)
        } else {
            event
        };
        let offset = at(range.start);
        let is_heading_event = matches!(
            event,
            Event::Start(Tag::Heading { .. }) | Event::End(TagEnd::Heading(_))
        );
        let is_comment =
            matches!(&event, Event::InlineHtml(raw) if raw.trim_start().starts_with("<!--"));
        // An HTML block is content only if it holds more than comments: decided at its end.
        let in_html_block = matches!(
            event,
            Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) | Event::Html(_)
        );
        if heading.is_none()
            && !is_heading_event
            && !is_comment
            && !in_html_block
            && let Some(h) = doc.headings.last_mut()
        {
            h.content = true;
        }
        if want_html {
            lead.see(&event, items.is_empty() && quote_kinds.is_empty());
        }
        match event {
            Event::Start(Tag::Heading {
                level, id, classes, ..
            }) => {
                let lvl = level_number(level);
                skip_heading = first_block && lvl == 1;
                first_block = false;
                events.push(Event::Html(CowStr::Borrowed("")));
                heading = Some((
                    events.len().saturating_sub(1),
                    lvl,
                    String::new(),
                    offset,
                    id.map(|s| s.to_string()),
                    classes.iter().map(|c| c.to_string()).collect(),
                ));
            }
            Event::End(TagEnd::Heading(level)) => {
                let Some((at, lvl, text, h_offset, custom, classes)) = heading.take() else {
                    continue;
                };
                // Most headings need no trimming: their text is kept as collected.
                let text = if text.trim().len() == text.len() {
                    text
                } else {
                    text.trim().to_string()
                };
                let id = ids.claim(custom.unwrap_or_else(|| heading_slug(opts.ids, &text)));
                if skip_heading {
                    doc.leading_h1 = Some((text.clone(), h_offset));
                    skip_heading = false;
                }
                let related = names_related_section(&text);
                related_level = match related_level {
                    _ if related => Some(lvl),
                    Some(l) if lvl > l => Some(l),
                    _ => None,
                };
                // A leading `# <%= current_page.data.title %>` (tech-docs) is the title too: the
                // template would have put the front matter's there.
                let is_title = doc.leading_h1.as_ref().is_some_and(|(_, o)| *o == h_offset)
                    && (title.is_none_or(|t| t.trim().eq_ignore_ascii_case(&text))
                        || is_template_expression(&text));
                if is_title {
                    // The leading `# Title` is the page title (the template shows it); drop what
                    // was rendered of it so it does not appear twice.
                    events.truncate(at);
                } else if want_html {
                    let id_attr = escape(&id);
                    let n = ["", "1", "2", "3", "4", "5", "6"][usize::from(level_number(level))];
                    let mut open = concat(&["<h", n, " id=\"", &id_attr, "\""]);
                    if !classes.is_empty() {
                        open.push_str(" class=\"");
                        escape_into(&mut open, &classes.join(" "));
                        open.push('"');
                    }
                    open.push('>');
                    events.set(at, Event::Html(CowStr::from(open)));
                    events.push(Event::Html(CowStr::from(concat(&[
                        "<a class=\"anchor\" href=\"#",
                        &id_attr,
                        "\" aria-label=\"Link to this section\">#</a></h",
                        n,
                        ">\n",
                    ]))));
                }
                doc.headings.push(Heading {
                    level: lvl,
                    text,
                    id,
                    offset: h_offset,
                    content: false,
                    related,
                });
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                ..
            }) => {
                let n = doc.links.len();
                // `<ops@example.com>` is a mail link.
                let dest = if link_type == pulldown_cmark::LinkType::Email
                    && crate::text::scheme(&dest_url).is_none()
                {
                    format!("mailto:{dest_url}")
                } else {
                    dest_url.to_string()
                };
                crate::variables::url_references(&dest, vars, |i| {
                    note_variable(&mut doc.variables, i)
                });
                doc.links.push(LinkRef {
                    dest,
                    offset,
                    image: false,
                    image_text: None,
                });
                if let Some(item) = items.last_mut().filter(|i| i.capturing) {
                    item.has_link = true;
                }
                if want_html {
                    open_links.push(n);
                    let mut a = String::with_capacity(16 + title.len());
                    push_link_mark(&mut a, LINK_OPEN, n);
                    if !title.is_empty() {
                        a.push_str(" title=\"");
                        escape_into(&mut a, &title);
                        a.push('"');
                    }
                    a.push('>');
                    events.push(Event::InlineHtml(CowStr::from(a)));
                }
            }
            Event::End(TagEnd::Link) => {
                if let Some(n) = open_links.pop() {
                    let mut close = String::with_capacity(8);
                    push_link_mark(&mut close, LINK_CLOSE, n);
                    events.push(Event::InlineHtml(CowStr::from(close)));
                }
            }
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                let n = doc.links.len();
                doc.links.push(LinkRef {
                    dest: dest_url.to_string(),
                    offset,
                    image: true,
                    image_text: None,
                });
                image = Some((n, String::new(), title.to_string()));
            }
            Event::End(TagEnd::Image) => {
                if let Some((n, alt, title)) = image.take().filter(|_| want_html) {
                    if let Some(link) = doc.links.get_mut(n) {
                        link.image_text = Some(Box::new(ImageText { alt, title }));
                    }
                    let mut img = String::with_capacity(8);
                    push_link_mark(&mut img, IMAGE, n);
                    events.push(Event::InlineHtml(CowStr::from(img)));
                }
            }
            Event::Text(text) | Event::Code(text) if image.is_some() => {
                if let Some((_, alt, _)) = image.as_mut() {
                    alt.push_str(&text);
                }
            }
            Event::Start(Tag::BlockQuote(kind)) => {
                first_block = false;
                quote_kinds.push(kind);
                match kind {
                    Some(kind) if want_html => {
                        let (class, label) = callout(kind);
                        events.push(Event::Html(CowStr::from(format!(
                            "<div class=\"callout callout-{class}\" role=\"note\"><p class=\"callout-title\">{label}</p>\n"
                        ))));
                    }
                    Some(_) => {}
                    None => events.push(Event::Start(Tag::BlockQuote(None))),
                }
            }
            Event::End(TagEnd::BlockQuote(_)) => match quote_kinds.pop().flatten() {
                Some(_) => events.push(Event::Html(CowStr::Borrowed("</div>\n"))),
                None => events.push(Event::End(TagEnd::BlockQuote(None))),
            },
            Event::TaskListMarker(checked) => {
                let n = doc.task_count;
                doc.task_count += 1;
                events.push_with(|| {
                    Event::InlineHtml(CowStr::from(format!(
                        "<input type=\"checkbox\" class=\"task\" data-task=\"{n}\"{}> ",
                        if checked { " checked" } else { "" }
                    )))
                });
            }
            Event::Start(Tag::HtmlBlock) => {
                if items.is_empty() {
                    first_block = false;
                }
                html_block = Some(RawHtml::default());
                events.push(Event::Start(Tag::HtmlBlock));
            }
            // An HTML block comes line by line: gathered, so that a tag or a comment that spans
            // lines is read whole.
            Event::Html(raw) if html_block.is_some() => {
                if let Some(block) = html_block.as_mut() {
                    block.push(&raw, offset);
                }
            }
            Event::End(TagEnd::HtmlBlock) => {
                if let Some(block) = html_block.take() {
                    let content = raw_html(&mut doc, &mut sanitizer, &mut events, opts, &block);
                    if content
                        && heading.is_none()
                        && let Some(h) = doc.headings.last_mut()
                    {
                        h.content = true;
                    }
                }
                events.push(Event::End(TagEnd::HtmlBlock));
            }
            Event::Html(raw) | Event::InlineHtml(raw) => {
                let mut one = RawHtml::default();
                one.push(&raw, offset);
                raw_html(&mut doc, &mut sanitizer, &mut events, opts, &one);
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                first_block = false;
                in_code += 1;
                doc.non_prose.push(offset..at(range.end));
                if let CodeBlockKind::Fenced(info) = &kind
                    && is_destructive(info)
                {
                    doc.destructive.push(offset);
                }
                if matches!(kind, CodeBlockKind::Fenced(_))
                    && !fence_is_closed(&body[range.clone()])
                {
                    doc.unclosed_fences
                        .push((offset, range.end >= body.trim_end().len()));
                }
                // The info string matters only to the HTML.
                let info = match &kind {
                    CodeBlockKind::Fenced(info) if want_html => info.to_string(),
                    _ => String::new(),
                };
                code = Some((info, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = in_code.saturating_sub(1);
                if let Some((info, text)) = code.take()
                    && want_html
                {
                    events.push(Event::Html(CowStr::from(code_block(
                        &info,
                        &text,
                        opts.highlight,
                        vars,
                        &mut doc.variables,
                    ))));
                }
            }
            Event::Start(Tag::List(start)) => {
                first_block = false;
                list_depth += 1;
                if let Some(item) = items.last_mut() {
                    item.capturing = false;
                    if item.marked {
                        item.marked = false;
                        events.push(Event::InlineHtml(CowStr::Borrowed(REF_CLOSE)));
                    }
                }
                events.push(Event::Start(Tag::List(start)));
            }
            Event::End(TagEnd::List(ordered)) => {
                list_depth = list_depth.saturating_sub(1);
                events.push(Event::End(TagEnd::List(ordered)));
            }
            Event::Start(Tag::Item) => {
                let marked = want_html && list_depth == 1 && related_level.is_some();
                items.push(OpenItem {
                    // Its text is gathered from several events: room for it at once (the item's
                    // source, nested lists included, is an upper bound).
                    text: String::with_capacity(range.len().min(256)),
                    offset,
                    depth: list_depth,
                    capturing: true,
                    has_link: false,
                    marked,
                });
                events.push(Event::Start(Tag::Item));
                if marked {
                    doc.related_items.push(offset);
                    events.push(Event::InlineHtml(CowStr::Borrowed(REF_OPEN)));
                }
            }
            Event::End(TagEnd::Item) => {
                if items.last().is_some_and(|i| i.marked) {
                    events.push(Event::InlineHtml(CowStr::Borrowed(REF_CLOSE)));
                }
                if let Some(item) = items.pop() {
                    doc.items.push(ListItem {
                        heading: doc.headings.len().checked_sub(1),
                        text: collapse_whitespace(item.text),
                        offset: item.offset,
                        depth: item.depth,
                        has_link: item.has_link,
                    });
                }
                events.push(Event::End(TagEnd::Item));
            }
            Event::Text(text) if code.is_some() => {
                // `check` counts the references here; `build` when it marks them (`code_block`).
                if !want_html {
                    note_references(&text, vars, &mut doc.variables);
                }
                if want_html {
                    if let Some((_, buf)) = code.as_mut() {
                        buf.push_str(&text);
                    }
                    text_buf.push_str(&text);
                    text_buf.push(' ');
                }
            }
            Event::Text(text) => {
                if let Some(h) = heading.as_mut() {
                    h.2.push_str(&text);
                }
                if in_code == 0 {
                    if let Some(item) = items.last_mut().filter(|i| i.capturing) {
                        item.text.push_str(&text);
                    } else if heading.is_none() {
                        note_labelled_line(&mut doc, &text, offset);
                    }
                }
                if want_html && heading.is_none() {
                    text_buf.push_str(&text);
                    text_buf.push(' ');
                }
                events.push(Event::Text(text));
            }
            Event::Code(text) => {
                doc.non_prose.push(offset..at(range.end));
                if let Some(h) = heading.as_mut() {
                    h.2.push_str(&text);
                }
                if let Some(item) = items.last_mut().filter(|i| i.capturing) {
                    item.text.push_str(&text);
                }
                if want_html && heading.is_none() {
                    text_buf.push_str(&text);
                    text_buf.push(' ');
                }
                let marked = if want_html {
                    mark_variables(&text, vars, &mut doc.variables, |t, out| {
                        escape_into(out, t)
                    })
                } else {
                    note_references(&text, vars, &mut doc.variables);
                    None
                };
                match marked {
                    Some(html) => events.push(Event::InlineHtml(CowStr::from(concat(&[
                        "<code>", &html, "</code>",
                    ])))),
                    None => events.push(Event::Code(text)),
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(item) = items.last_mut().filter(|i| i.capturing) {
                    item.text.push(' ');
                }
                events.push(event);
            }
            Event::Start(tag) => {
                if matches!(tag, Tag::Paragraph | Tag::Table(_) | Tag::HtmlBlock)
                    && items.is_empty()
                {
                    first_block = false;
                }
                events.push(Event::Start(tag));
            }
            other => {
                if matches!(other, Event::Rule) {
                    first_block = false;
                }
                events.push(other);
            }
        }
    }
    doc.items.sort_by_key(|i| i.offset);
    if let Some(r) = &rewritten {
        for (name, offset) in &r.removed_shortcodes {
            doc.findings.push(
                crate::diagnostics::Diagnostic::new(
                    crate::diagnostics::Rule::UnknownShortcode,
                    opts.path,
                    base + offset,
                    format!("Hugo shortcode `{name}` is not supported and was left out"),
                )
                .with_help("write it as Markdown; only ref and relref are understood"),
            );
        }
    }
    // What raw HTML left open is closed inside the body, never by the page around it.
    let closers = sanitizer.finish();
    if !closers.is_empty() {
        events.push(Event::Html(CowStr::from(closers)));
    }
    if want_html {
        doc.terms = crate::search::Terms::from_text(&text_buf);
        drop(text_buf);
        doc.lead = lead.found;
        let mut out = String::with_capacity(body.len() + body.len() / 2);
        html::push_html(&mut out, events.list.into_iter());
        if keep_toc {
            let toc = toc_html(&doc.headings);
            out = out.replace(&format!("<p>{}</p>", compat::TOC_MARK), &toc);
        }
        doc.html = std::sync::Arc::new(out);
    }
    doc
}

/// Raw HTML as pulldown-cmark gives it (a whole HTML block, or one inline tag), with the file
/// offset of each piece.
#[derive(Default)]
struct RawHtml {
    text: String,
    /// (offset in `text`, file offset) where each piece starts.
    pieces: Vec<(usize, usize)>,
}

impl RawHtml {
    fn push(&mut self, piece: &str, file_offset: usize) {
        self.pieces.push((self.text.len(), file_offset));
        self.text.push_str(piece);
    }

    /// The file offset of byte `i` of the text.
    fn file_offset(&self, i: usize) -> usize {
        let k = self
            .pieces
            .partition_point(|&(start, _)| start <= i)
            .saturating_sub(1);
        self.pieces
            .get(k)
            .map_or(i, |&(start, file)| file + (i - start))
    }
}

/// Renders one chunk of raw HTML into `events`: through the sanitizer (unless `[markdown]
/// unsafe_html`), its comments recorded as not prose and `<!-- opsbook-… -->` comments as
/// suppression directives. A chunk that was only comments leaves nothing on the page; returns
/// whether it held anything else (a section of only a comment is empty).
#[inline(never)]
fn raw_html(
    doc: &mut Doc,
    sanitizer: &mut crate::sanitize::Sanitizer,
    events: &mut Events<'_>,
    opts: &RenderOptions,
    raw: &RawHtml,
) -> bool {
    let at = |i: usize| raw.file_offset(i);
    let (html, comments) = if opts.unsafe_html {
        (raw.text.clone(), crate::sanitize::comments(&raw.text))
    } else {
        let cleaned = sanitizer.clean(&raw.text, &at, opts.path, &mut doc.findings);
        (cleaned.html, cleaned.comments)
    };
    for c in &comments {
        doc.non_prose.push(at(c.start)..at(c.end));
        let inner = raw.text[c.clone()]
            .trim_start_matches("<!--")
            .trim_end_matches('>')
            .trim_end_matches(['-', '!'])
            .trim();
        if inner.starts_with("opsbook-") {
            doc.directives.push((inner.to_string(), at(c.start)));
        }
    }
    let mut besides_comments = false;
    let mut from = 0;
    for c in comments
        .iter()
        .chain(std::iter::once(&(raw.text.len()..raw.text.len())))
    {
        besides_comments |= !raw.text[from..c.start].trim().is_empty();
        from = c.end;
    }
    if comments.is_empty() || !html.trim().is_empty() {
        events.push(Event::InlineHtml(CowStr::from(html)));
    }
    besides_comments
}

/// The events to render; pushing is a no-op when only checking (no HTML is wanted).
struct Events<'a> {
    on: bool,
    list: Vec<Event<'a>>,
}

impl<'a> Events<'a> {
    fn push(&mut self, event: Event<'a>) {
        if self.on {
            self.list.push(event);
        }
    }

    /// Pushes an event that costs something to make, only when rendering.
    fn push_with(&mut self, event: impl FnOnce() -> Event<'a>) {
        if self.on {
            self.list.push(event());
        }
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn truncate(&mut self, len: usize) {
        self.list.truncate(len);
    }

    fn set(&mut self, at: usize, event: Event<'a>) {
        if let Some(slot) = self.list.get_mut(at) {
            *slot = event;
        }
    }
}

/// Whether a fence's info string marks a step that changes the system: the word `destructive`
/// after the language (```` ```sh destructive ````, ```` ```bash {destructive} ````).
pub fn is_destructive(info: &str) -> bool {
    info.split([' ', '\t', ',', '{', '}', '.'])
        .skip(1)
        .any(|w| w.eq_ignore_ascii_case("destructive"))
}

/// A code block: highlighted when we know its language, with a copy button (the theme's script
/// copies the code; without JavaScript the button stays hidden). The block scrolls sideways in
/// its own box, which takes keyboard focus so it can be scrolled without a pointer. A
/// destructive step is framed and labelled, and its copy button asks for a second tap.
fn code_block(
    info: &str,
    code: &str,
    highlight: bool,
    vars: &[Variable],
    used: &mut Vec<usize>,
) -> String {
    let lang = info.split([' ', ',', '{']).next().unwrap_or("").trim();
    let render = |code: &str, out: &mut String| match highlight
        .then(|| crate::highlight::highlight(lang, code))
        .flatten()
    {
        Some(html) => out.push_str(&html),
        None => escape_into(out, code),
    };
    let body = mark_variables(code, vars, used, render).unwrap_or_else(|| {
        let mut out = String::new();
        render(code, &mut out);
        out
    });
    let mut out = String::with_capacity(body.len() + lang.len() + 192);
    if is_destructive(info) {
        out.push_str(
            "<div class=\"code destructive\" role=\"group\" aria-label=\"Step that changes the system\"><p class=\"destructive-label\">Changes the system: check before you run it</p>",
        );
    } else {
        out.push_str("<div class=\"code\">");
    }
    out.push_str(
        "<button type=\"button\" class=\"copy\" hidden>Copy</button><pre tabindex=\"0\"><code",
    );
    if !lang.is_empty() {
        out.push_str(" class=\"language-");
        escape_into(&mut out, lang);
        out.push('"');
    }
    out.push('>');
    out.push_str(&body);
    out.push_str("</code></pre></div>\n");
    out
}

/// Records that variable `i` is used (the first use decides its place in the form).
fn note_variable(used: &mut Vec<usize>, i: usize) {
    if !used.contains(&i) {
        used.push(i);
    }
}

/// Records the variables that `text` (code) refers to.
fn note_references(text: &str, vars: &[Variable], used: &mut Vec<usize>) {
    crate::variables::references(text, vars, |_, i| note_variable(used, i));
}

/// First of the private-use code points that stand for variable references while code is
/// highlighted: one character each, so no token boundary can fall inside a reference.
const VAR_CHAR: u32 = 0xF0000;

/// `code` rendered by `render` (highlighting or escaping) with every reference to one of `vars`
/// wrapped as `<span class="var" data-var="name">&lt;name&gt;</span>`, which the theme's script
/// fills in, and recorded in `used`; `None` when there is no reference (or the code already
/// holds the stand-ins).
fn mark_variables(
    code: &str,
    vars: &[Variable],
    used: &mut Vec<usize>,
    render: impl Fn(&str, &mut String),
) -> Option<String> {
    if vars.is_empty() || !code.contains('<') {
        return None;
    }
    let mut standin = String::with_capacity(code.len());
    let mut last = 0;
    crate::variables::references(code, vars, |r, i| {
        note_variable(used, i);
        standin.push_str(&code[last..r.start]);
        standin.push(char::from_u32(VAR_CHAR + i as u32).unwrap_or('\u{fffd}'));
        last = r.end;
    });
    if last == 0
        || code
            .chars()
            .any(|c| (VAR_CHAR..VAR_CHAR + vars.len() as u32).contains(&(c as u32)))
    {
        return None;
    }
    standin.push_str(&code[last..]);
    let mut html = String::with_capacity(standin.len() * 2);
    render(&standin, &mut html);
    let mut out = String::with_capacity(html.len() + 64);
    for c in html.chars() {
        match (c as u32)
            .checked_sub(VAR_CHAR)
            .map(|i| vars.get(i as usize))
        {
            Some(Some(v)) => {
                out.push_str("<span class=\"var\" data-var=\"");
                out.push_str(&v.name);
                out.push_str("\">&lt;");
                out.push_str(&v.name);
                out.push_str("&gt;</span>");
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

/// The table of contents for `[[_TOC_]]`: level 2 and 3 headings.
fn toc_html(headings: &[Heading]) -> String {
    let mut out = String::from("<nav class=\"toc toc-inline\" aria-label=\"Contents\"><ol>");
    for h in headings.iter().filter(|h| (2..=3).contains(&h.level)) {
        out.push_str(&format!(
            "<li class=\"toc-{}\"><a href=\"#{}\">{}</a></li>",
            h.level,
            escape(&h.id),
            escape(&h.text)
        ));
    }
    out.push_str("</ol></nav>\n");
    out
}

/// `event` with every marker character in its author text replaced by U+FFFD
/// (`text::MARKERS`): text, code, raw HTML, link and image destinations and titles, heading ids,
/// classes and attributes, code-block info strings and footnote labels. The marker that
/// `compat` leaves for `[[_TOC_]]` stays when `keep_toc`.
#[inline(never)]
fn scrub(event: Event<'_>, keep_toc: bool) -> Event<'_> {
    fn s(text: CowStr<'_>) -> CowStr<'_> {
        match crate::text::scrub_markers(&text) {
            Some(clean) => CowStr::from(clean),
            None => text,
        }
    }
    match event {
        Event::Text(t) if keep_toc && &*t == compat::TOC_MARK => Event::Text(t),
        Event::Text(t) => Event::Text(s(t)),
        Event::Code(t) => Event::Code(s(t)),
        Event::Html(t) => Event::Html(s(t)),
        Event::InlineHtml(t) => Event::InlineHtml(s(t)),
        Event::InlineMath(t) => Event::InlineMath(s(t)),
        Event::DisplayMath(t) => Event::DisplayMath(s(t)),
        Event::FootnoteReference(t) => Event::FootnoteReference(s(t)),
        Event::Start(tag) => Event::Start(match tag {
            Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            } => Tag::Link {
                link_type,
                dest_url: s(dest_url),
                title: s(title),
                id: s(id),
            },
            Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            } => Tag::Image {
                link_type,
                dest_url: s(dest_url),
                title: s(title),
                id: s(id),
            },
            Tag::Heading {
                level,
                id,
                classes,
                attrs,
            } => Tag::Heading {
                level,
                id: id.map(s),
                classes: classes.into_iter().map(s).collect(),
                attrs: attrs.into_iter().map(|(k, v)| (s(k), v.map(s))).collect(),
            },
            Tag::CodeBlock(CodeBlockKind::Fenced(info)) => {
                Tag::CodeBlock(CodeBlockKind::Fenced(s(info)))
            }
            Tag::FootnoteDefinition(label) => Tag::FootnoteDefinition(s(label)),
            other => other,
        }),
        other => other,
    }
}

/// Longest lead kept, in bytes (cut at a word, with an ellipsis).
pub const LEAD_MAX: usize = 200;

/// Finds a runbook's lead (`Doc::lead`) as the events go by.
#[derive(Default)]
struct Lead {
    /// The text of the paragraph being read, when it may be the lead.
    reading: Option<String>,
    found: String,
}

impl Lead {
    /// Takes in one event; `top` says whether it is outside lists and block quotes.
    fn see(&mut self, event: &Event, top: bool) {
        if !self.found.is_empty() {
            return;
        }
        match (event, self.reading.as_mut()) {
            (Event::Start(Tag::Paragraph), None) if top => self.reading = Some(String::new()),
            (Event::Text(t) | Event::Code(t), Some(text)) => text.push_str(t),
            (Event::SoftBreak | Event::HardBreak, Some(text)) => text.push(' '),
            (Event::End(TagEnd::Paragraph), Some(_)) => {
                let text = collapse_whitespace(self.reading.take().unwrap_or_default());
                let words = text
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .count();
                if words >= 3 {
                    self.found = crate::text::cut_at_word(&text, LEAD_MAX).into_owned();
                }
            }
            _ => {}
        }
    }
}

/// The words of `text` separated by single spaces (what `split_whitespace` then `join(" ")`
/// gives), reusing the string when it already is so.
fn collapse_whitespace(text: String) -> String {
    // ASCII with no control characters, single spaces and none at either end: one pass.
    let mut after_space = true;
    let tidy = text.bytes().all(|c| {
        let ok = (b' '..0x80).contains(&c) && !(c == b' ' && after_space);
        after_space = c == b' ';
        ok
    }) && (!after_space || text.is_empty());
    if tidy {
        return text;
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn note_labelled_line(doc: &mut Doc, text: &str, offset: usize) {
    let t = text.trim();
    // A label is at most 24 bytes: its colon, the first, is among the first 25.
    let head = &t.as_bytes()[..t.len().min(25)];
    if let Some(colon) = memchr::memchr(b':', head)
        && colon > 0
        && !t[colon + 1..].trim().is_empty()
    {
        doc.labelled_lines.push((t.to_string(), offset));
    }
}

fn callout(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lead_is_the_first_paragraph_of_prose_with_three_words() {
        let lead = |body: &str| render(body, 0, Some("T")).lead;
        // Lists, quotes, code, headings and short paragraphs are passed over.
        let body = "# T\n\n- a list item with words\n\n> a quote with words\n\n```\ncode with words\n```\n\n## Meaning\n\nSee below.\n\nThe `redis` cache\nis *down* for [everyone](x.md).\n\nLater paragraph.\n";
        assert_eq!(lead(body), "The redis cache is down for everyone.");
        assert_eq!(lead("Only two\n\n- list words here\n"), "");
        let long = format!("{} end", "word ".repeat(60));
        let cut = lead(&long);
        assert!(
            cut.len() <= LEAD_MAX + '…'.len_utf8() && cut.ends_with("word…"),
            "{cut}"
        );
        // `check` renders no HTML and needs no lead.
        let opts = RenderOptions {
            html: false,
            ..RenderOptions::default()
        };
        assert_eq!(analyze(body, 0, &opts).lead, "");
    }

    #[test]
    fn collapsed_whitespace_is_split_then_joined() {
        for t in [
            "",
            " ",
            "a",
            "a b",
            " a",
            "a ",
            "a  b",
            "a\tb",
            "a\nb",
            "a\u{b}b",
            "a\u{a0}b",
            "é è",
            "x\u{7f}y",
            "  lead and trail  ",
            "a\r\nb",
        ] {
            let expected = t.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(collapse_whitespace(t.to_string()), expected, "{t:?}");
        }
    }

    #[test]
    fn heading_names_are_lower_case_words() {
        for text in [
            "Related operations",
            "  **Related** runbooks:",
            "Fail over the DB — (primary)",
            "ÜBER  Straße!",
            "İstanbul DNS",
            "",
            " - ",
            "a\u{b}b\u{c}c\r\nd\te",
            "x\u{1f}y --z-- ..",
        ] {
            let by_words = text
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|c: char| !c.is_alphanumeric())
                        .to_lowercase()
                })
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(normalize_heading(text), by_words, "{text:?}");
        }
    }

    #[test]
    fn related_sections_are_known_by_name() {
        for text in [
            "Related operations",
            "  **Related** runbooks:",
            "SEE ALSO",
            "See-also",
            "see  also.",
            "Related",
            "Resolution",
            "Steps",
            "",
            "RELATED OPERATIONS (internal)",
            "1. Related documents",
            "Related — documents",
        ] {
            let by_name = RELATED_HEADINGS.contains(&normalize_heading(text).as_str());
            assert_eq!(names_related_section(text), by_name, "{text:?}");
        }
        assert!(names_related_section("  **Related** runbooks:"));
    }

    #[test]
    fn repeated_headings_get_suffixes() {
        let doc = render("## Steps\n\n## Steps\n\n## Steps-1\n\n## Steps\n", 0, None);
        let ids: Vec<_> = doc.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["steps", "steps-1", "steps-1-1", "steps-2"]);
    }

    #[test]
    fn custom_heading_ids() {
        let doc = render("## Failover {#fail}\n", 0, None);
        assert_eq!(doc.headings[0].id, "fail");
        assert!(doc.html.contains("<h2 id=\"fail\">"));
    }

    #[test]
    fn leading_h1_is_the_title_not_body() {
        let doc = render("# Database failover\n\nText\n", 10, None);
        assert_eq!(doc.leading_h1, Some(("Database failover".to_string(), 10)));
        assert!(!doc.html.contains("<h1"));
    }

    #[test]
    fn leading_h1_that_differs_from_the_title_stays() {
        let doc = render(
            "# Failover procedure\n\nText\n",
            0,
            Some("Database failover"),
        );
        assert!(doc.html.contains("<h1 id=\"failover-procedure\">"));
        let doc = render("# Database Failover\n", 0, Some("Database failover"));
        assert!(!doc.html.contains("<h1"));
    }

    #[test]
    fn empty_sections_and_unclosed_fences() {
        let doc = render(
            "## Empty\n\n## Parent\n\n### Child\n\ntext\n\n## Last\n",
            0,
            None,
        );
        let content: Vec<bool> = doc.headings.iter().map(|h| h.content).collect();
        assert_eq!(content, [false, false, true, false]);
        let doc = render(
            "## A\n\n```bash\nls\n```\n\n~~~~\nnever closed\n~~~\n",
            0,
            None,
        );
        assert_eq!(doc.unclosed_fences, [(22, true)]);
        assert_eq!(doc.non_prose.len(), 2);
        // A fence closed inside a block quote or a list item is closed.
        let doc = render(
            "> Run:\n>\n> ```sh\n> ls\n> ```\n\n- step\n\n  ```\n  ls\n  ```\n",
            0,
            None,
        );
        assert!(doc.unclosed_fences.is_empty(), "{:?}", doc.unclosed_fences);
        // A section that holds only a comment is empty; one with HTML besides is not.
        let doc = render(
            "## Comment\n\n<!-- to do -->\n\n## Long comment\n\n<!--\nlater\n-->\n\n## Details\n\n<details>x</details>\n",
            0,
            None,
        );
        let content: Vec<bool> = doc.headings.iter().map(|h| h.content).collect();
        assert_eq!(content, [false, false, true]);
    }

    #[test]
    fn links_become_markers() {
        let doc = render("See [x](a.md#b) and ![i](img.png).\n", 0, None);
        assert_eq!(doc.links.len(), 2);
        assert_eq!(doc.links[0].dest, "a.md#b");
        assert!(doc.links[1].image);
        assert!(
            doc.html
                .contains("See \u{1}<0\u{1}>x\u{1}>0\u{1} and \u{1}!1\u{1}.")
        );
        assert_eq!(doc.links[1].image_text.as_ref().unwrap().alt, "i");
    }

    #[test]
    fn items_know_their_section() {
        let doc = render(
            "## Acceptance checks\n\n- one\n- two\n  - nested\n\n## Next\n\n- three\n",
            0,
            None,
        );
        let items: Vec<_> = doc.section_items(0).map(|i| i.text.as_str()).collect();
        assert_eq!(items, ["one", "two"]);
    }

    #[test]
    fn variable_references_are_marked_in_code_and_counted_in_links() {
        let vars = ["cluster", "ns", "unused"].map(|name| Variable {
            name: name.into(),
            ..Variable::default()
        });
        let body = "Run `kubectl --context <cluster>` on <ns>.\n\n```sh\nkubectl -n \"<ns>\" get pods <other> # <cluster>\n```\n\n[logs](https://<unused>.example.com/?ns=<ns>)\n";
        let opts = RenderOptions {
            variables: &vars,
            ..RenderOptions::default()
        };
        let doc = analyze(body, 0, &opts);
        let span = |n: &str| format!("<span class=\"var\" data-var=\"{n}\">&lt;{n}&gt;</span>");
        let has = |html: String| assert!(doc.html.contains(&html), "no {html} in {}", doc.html);
        has(format!(
            "<code>kubectl --context {}</code>",
            span("cluster")
        ));
        // Prose is not a reference; highlighting stays around the references.
        has("on &lt;ns&gt;.".into());
        has(format!(
            "<span class=\"hl-s\">&quot;{}&quot;</span>",
            span("ns")
        ));
        has(format!("<span class=\"hl-c\"># {}</span>", span("cluster")));
        has("get pods &lt;other&gt;".into());
        // First use decides the order; a reference in a link's host is none.
        assert_eq!(doc.variables, [0, 1]);
        // `check` counts the same references without rendering.
        let checked = analyze(
            body,
            0,
            &RenderOptions {
                html: false,
                ..opts
            },
        );
        assert_eq!(checked.variables, [0, 1]);
        // Without declarations nothing is marked.
        assert!(!render(body, 0, None).html.contains("class=\"var\""));
    }

    #[test]
    fn task_lists_and_alerts() {
        let doc = render("- [ ] a\n- [x] b\n\n> [!WARNING]\n> Careful\n", 0, None);
        assert_eq!(doc.task_count, 2);
        assert!(doc.html.contains("data-task=\"1\" checked"));
        assert!(doc.html.contains("callout-warning"));
    }

    #[test]
    fn raw_html_is_sanitized_and_directives_collected() {
        let doc = render(
            "<!-- opsbook-disable placeholder -->\n\nRun <script>x</script> now\n",
            0,
            None,
        );
        assert_eq!(doc.directives[0].0, "opsbook-disable placeholder");
        assert!(!doc.html.contains("<script>"));
    }

    #[test]
    fn an_html_block_is_sanitized_whole_and_balanced() {
        // A comment over several lines stays hidden (its lines came one event each), and a
        // stray end tag cannot close the page's own layout.
        let doc = render(
            "<!--\nnote to self TODO\n-->\n\n<div>\n\nText\n\n</div>\n</div></div>\n\n<details>\n\nOpen\n",
            0,
            None,
        );
        assert!(!doc.html.contains("note to self"), "{}", doc.html);
        assert_eq!(
            doc.html.matches("<div").count(),
            doc.html.matches("</div>").count()
        );
        assert!(doc.html.trim_end().ends_with("</details>"), "{}", doc.html);
        assert_eq!(doc.non_prose.len(), 1);
    }
}
