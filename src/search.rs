//! The search index, built from the in-memory site and written as small script files.
//!
//! Readers search in the browser with no server: the runtime loads index files with `<script>`
//! tags (not `fetch`, which file:// forbids). To stay small at any size, nothing a query needs is
//! proportional to the site: terms live in shards keyed by their first letters (a shard that grows
//! too big is split by one more letter), postings are delta-coded varints, and the display data
//! of runbooks lives in shards of a few dozen, loaded only for the results shown. The one file
//! every query loads (`opsbook-search/meta.js`) holds the shard layout and the filter values, not
//! per-runbook data.
//!
//! Postings carry a 5-bit weight: 16 title or alert name, 8 heading, 4 owner/service/team/tag/
//! severity, plus how often the word is in the body (up to 3). The runtime (`opsbook-search.js`)
//! must tokenize exactly like `tokens` below.

use crate::output::{Content, OutputFile};
use crate::site::Site;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// Runbooks per display shard.
pub const DOCS_PER_SHARD: usize = 32;
/// A term shard over this many bytes is split by one more letter.
const SHARD_LIMIT: usize = 16 * 1024;
/// Longest shard key.
const MAX_KEY: usize = 5;

const W_TITLE: u8 = 16;
const W_HEADING: u8 = 8;
const W_META: u8 = 4;

const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "if", "in",
    "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "then", "there", "these",
    "this", "to", "was", "were", "when", "which", "will", "with", "you", "your", "can", "do",
    "not", "but", "all", "any", "so", "than", "them", "they", "we", "our", "us",
];

/// Lower-case words of letters and digits, two characters or more, stopwords dropped.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2 && w.len() <= 40)
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
}

/// An alert name as typed (`KubeAPIDown`) and its camel-case parts (`kube`, `api`, `down`).
fn alert_tokens(name: &str) -> Vec<String> {
    let mut out: Vec<String> = tokens(name).collect();
    let mut part = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = c.is_uppercase()
            && i > 0
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if boundary || !c.is_alphanumeric() {
            if part.chars().count() >= 2 {
                out.push(part.to_lowercase());
            }
            part.clear();
        }
        if c.is_alphanumeric() {
            part.push(c);
        }
    }
    if part.chars().count() >= 2 {
        out.push(part.to_lowercase());
    }
    out.sort();
    out.dedup();
    out
}

const FINAL: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
const MORE: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ@#$%&*";

/// Base-32 varint, most significant digit first: continuation digits from `MORE`, the last from
/// `FINAL`.
fn push_varint(out: &mut String, mut v: u64) {
    let mut digits = [0u8; 13];
    let mut n = 0;
    loop {
        digits[n] = (v & 31) as u8;
        n += 1;
        v >>= 5;
        if v == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        let table = if i == 0 { FINAL } else { MORE };
        out.push(table[digits[i] as usize] as char);
    }
}

fn encode_postings(postings: &[(u32, u8)]) -> String {
    let mut out = String::with_capacity(postings.len() * 2);
    let mut last = 0u32;
    for &(doc, w) in postings {
        push_varint(
            &mut out,
            (u64::from(doc - last) << 5) | u64::from(w.min(31)),
        );
        last = doc;
    }
    out
}

fn encode_docs(docs: &[u32]) -> String {
    let mut out = String::new();
    let mut last = 0u32;
    for &d in docs {
        push_varint(&mut out, u64::from(d - last));
        last = d;
    }
    out
}

fn js_string(s: &str) -> String {
    // JSON strings are JavaScript strings; escape `<` so no `</script>` can appear.
    serde_json::to_string(s)
        .expect("string serializes")
        .replace('<', "\\u003c")
}

fn key_of(term: &str, len: usize) -> String {
    term.chars().take(len).collect()
}

fn file_key(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The words of one runbook with their 5-bit weights.
fn weights(rb: &crate::site::RunbookPage) -> HashMap<String, u8> {
    let meta = &rb.meta;
    let mut weights: HashMap<String, u8> = HashMap::new();
    let mut add = |t: String, w: u8| {
        let e = weights.entry(t).or_insert(0);
        if w >= W_META {
            *e |= w;
        } else {
            *e = (*e & !3) | ((*e & 3) + w).min(3);
        }
    };
    for t in tokens(&rb.document.title) {
        add(t, W_TITLE);
    }
    for a in &meta.alerts {
        for t in alert_tokens(&a.value) {
            add(t, W_TITLE);
        }
    }
    let meta_text = [&meta.service, &meta.team, &meta.severity]
        .into_iter()
        .flatten()
        .chain(meta.owner.as_ref().map(|o| &o.value))
        .chain(meta.tags.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    for t in tokens(&meta_text) {
        add(t, W_META);
    }
    for h in &rb.document.doc.headings {
        for t in tokens(&h.text) {
            add(t, W_HEADING);
        }
    }
    for t in tokens(&rb.document.doc.text).chain(meta.description.iter().flat_map(|s| tokens(s))) {
        add(t, 1);
    }
    weights
}

/// Builds the index files for a site: `opsbook-search/meta.js`, `opsbook-search/t-*.js`, `d-*.js`,
/// `f-*.js`.
pub fn build(site: &Site) -> Vec<OutputFile> {
    let pretty = site.project.config.site.pretty_urls;
    // Documents in the order the section tree lists them, so ties rank in reading order.
    let mut order: Vec<usize> = (0..site.runbooks.len()).collect();
    order.sort_by_key(|&i| {
        (
            site.runbooks[i].document.title.to_lowercase(),
            site.runbooks[i].id.clone(),
        )
    });

    let mut postings: HashMap<String, Vec<(u32, u8)>> = HashMap::new();
    let mut docs: Vec<serde_json::Value> = Vec::with_capacity(order.len());
    let mut facets: BTreeMap<&'static str, BTreeMap<String, Vec<u32>>> = BTreeMap::new();
    // Words and weights per runbook, in parallel chunks (tokenizing is the expensive part; the
    // chunks keep memory bounded).
    let mut weighed: Vec<HashMap<String, u8>> = Vec::new();
    for (d, &i) in order.iter().enumerate() {
        if d % 256 == 0 {
            let end = (d + 256).min(order.len());
            weighed = order[d..end]
                .par_iter()
                .rev()
                .map(|&j| weights(&site.runbooks[j]))
                .collect();
        }
        let weights = weighed.pop().unwrap_or_default();
        let rb = &site.runbooks[i];
        let d = d as u32;
        let meta = &rb.meta;
        for (t, w) in weights {
            postings.entry(t).or_default().push((d, w));
        }
        let section = &site.sections[rb.section];
        let url = crate::links::relative_url("index.html", &rb.document.output, pretty);
        docs.push(serde_json::json!([
            rb.document.title,
            url,
            if rb.section == 0 {
                String::new()
            } else {
                section.title.clone()
            },
            meta.owner
                .as_ref()
                .map(|o| o.value.clone())
                .unwrap_or_default(),
            meta.service.clone().unwrap_or_default(),
            meta.severity.clone().unwrap_or_default(),
            meta.tags.join(", "),
            meta.alerts
                .iter()
                .map(|a| a.value.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            meta.description.clone().unwrap_or_default(),
        ]));
        for (facet, values) in [
            (
                "owner",
                meta.owner
                    .iter()
                    .map(|o| o.value.trim().to_string())
                    .collect::<Vec<_>>(),
            ),
            ("service", meta.service.iter().cloned().collect()),
            ("severity", meta.severity.iter().cloned().collect()),
            ("tag", meta.tags.clone()),
        ] {
            for v in values.into_iter().filter(|v| !v.trim().is_empty()) {
                let list = facets.entry(facet).or_default().entry(v).or_default();
                if list.last() != Some(&d) {
                    list.push(d);
                }
            }
        }
    }

    // Term shards: group by two letters, split groups that are too big by one more letter.
    let mut encoded: BTreeMap<String, String> = postings
        .into_iter()
        .map(|(t, mut p)| {
            p.sort_unstable();
            let e = encode_postings(&p);
            (t, e)
        })
        .collect();
    let mut shards: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut splits: Vec<String> = Vec::new();
    let mut pending: Vec<(String, usize, Vec<String>)> = Vec::new();
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for term in encoded.keys() {
        groups
            .entry(key_of(term, 2))
            .or_default()
            .push(term.clone());
    }
    for (k, terms) in groups {
        pending.push((k, 2, terms));
    }
    while let Some((key, len, terms)) = pending.pop() {
        let size: usize = terms.iter().map(|t| t.len() + encoded[t].len() + 6).sum();
        let splittable = len < MAX_KEY && terms.iter().any(|t| t.chars().count() > len);
        if size > SHARD_LIMIT && splittable {
            splits.push(key.clone());
            let mut sub: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for t in terms {
                sub.entry(key_of(&t, len + 1)).or_default().push(t);
            }
            for (k, ts) in sub {
                pending.push((k, len + 1, ts));
            }
        } else {
            let shard = shards.entry(key).or_default();
            for t in terms {
                let e = encoded.remove(&t).expect("term encoded once");
                shard.insert(t, e);
            }
        }
    }
    splits.sort();

    let mut files = Vec::new();
    let mut file = |path: String, text: String| {
        files.push(OutputFile {
            path,
            content: Content::Bytes(text.into_bytes()),
        })
    };
    for (key, terms) in &shards {
        let mut body = String::with_capacity(terms.values().map(|v| v.len() + 16).sum());
        body.push_str("opsbookSearch.t(");
        body.push_str(&js_string(key));
        body.push_str(",{");
        for (n, (t, e)) in terms.iter().enumerate() {
            if n > 0 {
                body.push(',');
            }
            body.push_str(&js_string(t));
            body.push(':');
            body.push_str(&js_string(e));
        }
        body.push_str("});\n");
        file(format!("opsbook-search/t-{}.js", file_key(key)), body);
    }
    for (n, chunk) in docs.chunks(DOCS_PER_SHARD).enumerate() {
        let json = serde_json::to_string(chunk)
            .expect("docs serialize")
            .replace('<', "\\u003c");
        file(
            format!("opsbook-search/d-{n}.js"),
            format!("opsbookSearch.d({n},{json});\n"),
        );
    }
    let mut facet_meta = serde_json::Map::new();
    for (facet, values) in &facets {
        let mut list = Vec::new();
        for (k, (value, ids)) in values.iter().enumerate() {
            let key = format!("{facet}-{k}");
            file(
                format!("opsbook-search/f-{key}.js"),
                format!(
                    "opsbookSearch.f({},{});\n",
                    js_string(&key),
                    js_string(&encode_docs(ids))
                ),
            );
            list.push(serde_json::json!([value, ids.len(), key]));
        }
        facet_meta.insert(facet.to_string(), serde_json::Value::Array(list));
    }
    let meta = serde_json::json!({
        "version": 1,
        "docs": docs.len(),
        "per": DOCS_PER_SHARD,
        "splits": splits,
        "shards": shards.keys().collect::<Vec<_>>(),
        "facets": facet_meta,
    });
    let meta = serde_json::to_string(&meta)
        .expect("meta serializes")
        .replace('<', "\\u003c");
    file(
        "opsbook-search/meta.js".into(),
        format!("opsbookSearch.meta({meta});\n"),
    );
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_like_the_runtime() {
        let t: Vec<String> = tokens("Restart the API: kubectl rollout-restart (5xx) é").collect();
        assert_eq!(
            t,
            ["restart", "api", "kubectl", "rollout", "restart", "5xx"]
        );
    }

    #[test]
    fn alert_names_split_on_case() {
        assert_eq!(
            alert_tokens("KubeAPIDown"),
            ["api", "down", "kube", "kubeapidown"]
        );
        assert_eq!(
            alert_tokens("etcdDatabaseQuotaLowSpace"),
            [
                "database",
                "etcd",
                "etcddatabasequotalowspace",
                "low",
                "quota",
                "space"
            ]
        );
    }

    #[test]
    fn varints_round_trip_in_the_documented_alphabet() {
        let mut s = String::new();
        push_varint(&mut s, 5);
        push_varint(&mut s, 32);
        push_varint(&mut s, 1000);
        assert_eq!(s, "5B0*8");
        assert_eq!(encode_postings(&[(0, 16), (1, 1)]), "gB1");
    }
}
