//! The search index, built from the in-memory site and written as small script files.
//!
//! Readers search in the browser with no server: the runtime loads index files with `<script>`
//! tags (not `fetch`, which file:// forbids). To stay small at any size, nothing a query needs is
//! proportional to the site: terms live in shards keyed by their first letters (a shard that grows
//! too big is split by one more letter), postings are delta-coded varints, and the display data
//! of each runbook is a file of its own (`display_file`), loaded only for the results shown. The
//! one file every query loads (`opsbook-search/meta.js`) holds the shard layout and which filters
//! exist; the filters' values (`facets.js`) and the words for misspellings (`v.js`) load only when
//! needed.
//!
//! Postings carry a 6-bit weight: 32 title or alert name, 16 heading, 8 owner/service/team/tag/
//! severity, 4 lead (the description, else the first paragraph), plus how often the word is in
//! the body (up to 3). A word of a large site's most runbooks keeps its text-only postings in a
//! file of their own (`split_postings`), which a one-word query rarely needs. The runtime
//! (`opsbook-search.js`) must tokenize exactly like `tokens` and `field_tokens` below.

use crate::markdown::Heading;
use crate::output::{Content, OutputFile};
use crate::site::Site;
use foldhash::fast::FixedState;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

/// Moves every runbook's words out of the site, for `build` to drop as it indexes them.
pub fn take_terms(site: &mut Site) -> Vec<Mutex<Terms>> {
    site.runbooks
        .iter_mut()
        .map(|r| Mutex::new(std::mem::take(&mut r.document.doc.terms)))
        .collect()
}

/// Runbooks per display file: one, so that a query downloads the display data of the results
/// it shows and nothing else (files of 32 made two thirds of a first query's bytes at 10,000
/// runbooks).
const DOCS_PER_SHARD: usize = 1;
/// Headings kept for result snippets, per runbook.
const MAX_SNIPPET_HEADINGS: usize = 40;
/// A term shard over this many bytes is split by one more letter.
const SHARD_LIMIT: usize = 16 * 1024;
/// Longest shard key.
const MAX_KEY: usize = 5;

const W_TITLE: u8 = 32;
const W_HEADING: u8 = 16;
const W_META: u8 = 8;
const W_LEAD: u8 = 4;
/// Bits of a posting that hold its weight.
const WEIGHT_BITS: u32 = 6;
const WEIGHT_MASK: u64 = (1 << WEIGHT_BITS) - 1;

/// Longer words are never stopwords, which spares most words the comparison.
const LONGEST_STOPWORD: usize = 5;

/// A word of up to 8 bytes as a number (little-endian, zero-padded).
const fn word_key(w: &[u8]) -> u64 {
    let mut k = 0u64;
    let mut i = 0;
    while i < w.len() {
        k |= (w[i] as u64) << (8 * i);
        i += 1;
    }
    k
}

const fn stop_slot(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 57) as usize
}

/// The stopwords' keys in a 128-slot open-addressing table (0 = free), for words scanned from
/// bodies: one or two probes instead of a comparison per stopword.
const STOP_TABLE: [u64; 128] = {
    let mut table = [0u64; 128];
    let mut n = 0;
    while n < STOPWORDS.len() {
        let key = word_key(STOPWORDS[n].as_bytes());
        let mut i = stop_slot(key);
        while table[i] != 0 {
            i = (i + 1) % 128;
        }
        table[i] = key;
        n += 1;
    }
    table
};

/// Whether a lower-case ASCII word of at most `LONGEST_STOPWORD` bytes is a stopword.
#[inline]
fn is_short_stopword(w: &[u8]) -> bool {
    let key = word_key(w);
    let mut i = stop_slot(key);
    loop {
        match STOP_TABLE[i] {
            0 => return false,
            k if k == key => return true,
            _ => i = (i + 1) % 128,
        }
    }
}

fn is_stopword(w: &str) -> bool {
    is_stopword_bytes(w.as_bytes())
}

/// Words left out of the index (the runtime, `opsbook-search.js`, has the same list).
const STOPWORDS: [&str; 50] = [
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "if", "in",
    "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "then", "there", "these",
    "this", "to", "was", "were", "when", "which", "will", "with", "you", "your", "can", "do",
    "not", "but", "all", "any", "so", "than", "them", "they", "we", "our", "us",
];

#[inline]
fn is_stopword_bytes(w: &[u8]) -> bool {
    w.len() <= LONGEST_STOPWORD && is_short_stopword(w)
}

/// Lower-case words of letters and digits, two characters or more, stopwords dropped. Words
/// already in lower case are borrowed, not copied.
pub fn tokens(text: &str) -> impl Iterator<Item = Cow<'_, str>> + '_ {
    let mut scratch = String::new();
    Words { text, pos: 0 }
        .map(cut)
        .filter_map(move |w| match normalize(w, &mut scratch)? {
            false => Some(Cow::Borrowed(w)),
            true => Some(Cow::Owned(scratch.clone())),
        })
}

/// A word cut to `MAX_WORD` characters, as the runtime cuts it.
fn cut(w: &str) -> &str {
    match w.char_indices().nth(MAX_WORD) {
        Some((end, _)) => &w[..end],
        None => w,
    }
}

/// Whether a run of letters and digits is a search word, and if so whether its lower-case form
/// had to be written into `scratch` (true) or is the run itself (false).
fn normalize(w: &str, scratch: &mut String) -> Option<bool> {
    if w.len() < 2 {
        return None;
    }
    let (mut ascii, mut upper) = (true, false);
    for &b in w.as_bytes() {
        if b >= 0x80 {
            ascii = false;
            break;
        }
        upper |= b.is_ascii_uppercase();
    }
    let in_scratch = if ascii {
        if upper {
            scratch.clear();
            scratch.extend(w.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        }
        upper
    } else {
        // At least two characters.
        w.chars().nth(1)?;
        scratch.clear();
        scratch.push_str(&w.to_lowercase());
        true
    };
    let word = if in_scratch { scratch.as_str() } else { w };
    (!is_stopword(word)).then_some(in_scratch)
}

/// The runs of letters and digits of a text (what `split(|c| !c.is_alphanumeric())` gives,
/// without the empty pieces), stepping over ASCII a byte at a time.
struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl Words<'_> {
    /// Whether the character at byte `i` is a letter or digit, and its length.
    #[inline(always)]
    fn at(&self, i: usize) -> (bool, usize) {
        let b = self.text.as_bytes()[i];
        if b < 0x80 {
            (b.is_ascii_alphanumeric(), 1)
        } else {
            self.at_non_ascii(i)
        }
    }

    #[cold]
    fn at_non_ascii(&self, i: usize) -> (bool, usize) {
        let c = self.text[i..]
            .chars()
            .next()
            .expect("a character at a boundary");
        (c.is_alphanumeric(), c.len_utf8())
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let len = self.text.len();
        let mut i = self.pos;
        while i < len {
            let (word, n) = self.at(i);
            if word {
                break;
            }
            i += n;
        }
        if i >= len {
            self.pos = len;
            return None;
        }
        let start = i;
        while i < len {
            let (word, n) = self.at(i);
            if !word {
                break;
            }
            i += n;
        }
        self.pos = i;
        Some(&self.text[start..i])
    }
}

/// The distinct words of a runbook's body with how often each occurs (up to 3), counted from
/// its plain text, which is not kept. The index adds the words of its title, headings and
/// metadata (`field_words`). Stored as one string: each word followed by its count byte, in an
/// order that depends only on the runbook.
#[derive(Debug, Clone, Default)]
pub struct Terms(Box<str>);

/// `ASCII_WORD[b]`: the lower-case form of an ASCII letter or digit, 0 for any other ASCII
/// byte, and `NON_ASCII` for bytes of longer characters.
const NON_ASCII: u8 = 0x80;
const ASCII_WORD: [u8; 256] = {
    let mut t = [NON_ASCII; 256];
    let mut b = 0;
    while b < 0x80 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            0
        };
        b += 1;
    }
    t
};

impl Terms {
    /// The words of a text, each counted (up to 3).
    pub fn from_text(text: &str) -> Terms {
        let mut table = CountTable::new(text.len());
        table.add_text(text);
        table.finish()
    }

    /// (word, weight) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u8)> + '_ {
        let mut rest: &str = &self.0;
        std::iter::from_fn(move || {
            // Words are letters and digits: a byte under 32 is a weight.
            let end = rest.bytes().position(|b| b < 32)?;
            let word = &rest[..end];
            let count = rest.as_bytes()[end];
            rest = &rest[end + 1..];
            Some((word, count))
        })
    }
}

/// The words of a runbook's title, alert names, metadata, headings and lead, each with its
/// weight, handed to `add`. The index merges them into the runbook's body words.
fn field_words(fields: &Fields, add: &mut dyn FnMut(&str, u8)) {
    let Fields {
        meta,
        headings,
        lead,
    } = fields;
    field_tokens(&meta.title, &mut |t| add(t, W_TITLE));
    for a in &meta.alerts {
        field_tokens(&a.value, &mut |t| add(t, W_TITLE));
    }
    let fields = [&meta.service, &meta.team, &meta.severity]
        .into_iter()
        .flatten()
        .chain(meta.owner.as_ref().map(|o| &o.value))
        .chain(meta.tags.iter());
    for field in fields {
        field_tokens(field, &mut |t| add(t, W_META));
    }
    for h in *headings {
        field_tokens(&h.text, &mut |t| add(t, W_HEADING));
    }
    // Prose: the body's words (the lead is part of the body), marked as the lead's.
    for t in tokens(lead) {
        add(&t, W_LEAD);
    }
}

/// What a runbook's field words come from.
struct Fields<'a> {
    meta: &'a crate::schema::Runbook,
    headings: &'a [Heading],
    lead: &'a str,
}

/// What search shows and ranks as a runbook's summary: its description, else the first
/// paragraph of its body.
fn lead<'a>(meta: &'a crate::schema::Runbook, doc: &'a crate::markdown::Doc) -> &'a str {
    match meta.description.as_deref().map(str::trim) {
        Some(d) if !d.is_empty() => d,
        _ => &doc.lead,
    }
}

/// Distinct words with a weight byte each, in order of first sight: words go straight into the
/// output followed by their weight, which later sightings raise in place (`merge_weight`). A
/// small open-addressing table finds a word's entry without allocating.
struct CountTable {
    out: Vec<u8>,
    /// (start, length, hash) of each word in `out`.
    entries: Vec<(u32, u32, u32)>,
    /// Index + 1 into `entries`, 0 when free.
    slots: Vec<u32>,
}

impl CountTable {
    fn new(text_len: usize) -> CountTable {
        // Sized from the text so that it never grows and rarely probes twice: a body of 5 KiB
        // has ~300 distinct words in 2,048 slots (tokenizer 3.2 -> 2.3 ns per byte; 512 slots
        // doubled as needed cost the rehashing and twice the probes).
        CountTable {
            out: Vec::with_capacity(text_len / 3),
            entries: Vec::with_capacity(text_len / 16),
            slots: vec![0; (text_len / 4).next_power_of_two().max(512)],
        }
    }

    /// Counts the words of `text` (weight 1 per occurrence). ASCII words are lower-cased while
    /// they are scanned; a word with other characters goes through `normalize` like the
    /// runtime's tokenizer.
    fn add_text(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let n = bytes.len();
        let mut word = [0u8; MAX_WORD];
        let mut scratch = String::new();
        let mut i = 0;
        while i < n {
            if ASCII_WORD[bytes[i] as usize] == 0 {
                i += 1;
                continue;
            }
            let start = i;
            // Most words are already lower-case ASCII: find their end and take them in place.
            let mut end = i;
            while end < n && bytes[end] < 0x80 && ASCII_WORD[bytes[end] as usize] == bytes[end] {
                end += 1;
            }
            if end == n || ASCII_WORD[bytes[end] as usize] == 0 {
                let w = &bytes[start..end.min(start + MAX_WORD)];
                if w.len() >= 2 && !is_stopword_bytes(w) {
                    self.add(w, 1);
                }
                i = end;
                continue;
            }
            let mut len = 0;
            let mut ascii = true;
            while i < n {
                let c = ASCII_WORD[bytes[i] as usize];
                if c == 0 {
                    break;
                }
                if c != NON_ASCII {
                    if len < word.len() {
                        word[len] = c;
                    }
                    len += 1;
                    i += 1;
                } else {
                    let ch = text[i..].chars().next().expect("a character at a boundary");
                    if !ch.is_alphanumeric() {
                        break;
                    }
                    ascii = false;
                    i += ch.len_utf8();
                }
            }
            if i == start {
                // A non-ASCII character that is not a letter or digit.
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            if ascii {
                let w = &word[..len.min(MAX_WORD)];
                if w.len() >= 2 && !is_stopword_bytes(w) {
                    self.add(w, 1);
                }
            } else {
                let cut_word = cut(&text[start..i]);
                if let Some(in_scratch) = normalize(cut_word, &mut scratch) {
                    let w = if in_scratch {
                        scratch.as_bytes()
                    } else {
                        cut_word.as_bytes()
                    };
                    self.add(w, 1);
                }
            }
        }
    }

    fn add(&mut self, word: &[u8], w: u8) {
        let hash = word_hash(word);
        let tag = (hash >> 32) as u32;
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i] as usize;
            if slot == 0 {
                self.entries
                    .push((self.out.len() as u32, word.len() as u32, tag));
                self.out.extend_from_slice(word);
                self.out.push(merge_weight(0, w));
                self.slots[i] = self.entries.len() as u32;
                if self.entries.len() * 2 > self.slots.len() {
                    self.grow();
                }
                return;
            }
            let (start, len, t) = self.entries[slot - 1];
            if t == tag && len as usize == word.len() {
                let (start, end) = (start as usize, (start + len) as usize);
                if same_bytes(&self.out[start..end], word) {
                    self.out[end] = merge_weight(self.out[end], w);
                    return;
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Doubles the slots and places every entry again.
    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        self.slots = vec![0; size];
        let mask = size - 1;
        for (n, &(start, len, _)) in self.entries.iter().enumerate() {
            let key = &self.out[start as usize..(start + len) as usize];
            let mut j = word_hash(key) as usize & mask;
            while self.slots[j] != 0 {
                j = (j + 1) & mask;
            }
            self.slots[j] = n as u32 + 1;
        }
    }

    fn finish(self) -> Terms {
        // A copy of exactly the right size: shrinking in place (`into_boxed_str`) may keep the
        // whole grown buffer, and a site holds these until its index is built.
        Terms(Box::from(
            std::str::from_utf8(&self.out).expect("words and weight bytes are UTF-8"),
        ))
    }
}

/// The first 8 (or 4) and last 8 (or 4) bytes of a word of at least 4 bytes, as numbers; the
/// two overlap or meet, so for up to 16 bytes they hold the whole word.
#[inline(always)]
fn ends(w: &[u8]) -> (u64, u64) {
    let n = w.len();
    if n >= 8 {
        let head = u64::from_le_bytes(w[..8].try_into().expect("8 bytes"));
        let tail = u64::from_le_bytes(w[n - 8..].try_into().expect("8 bytes"));
        (head, tail)
    } else {
        let head = u32::from_le_bytes(w[..4].try_into().expect("4 bytes"));
        let tail = u32::from_le_bytes(w[n - 4..].try_into().expect("4 bytes"));
        (u64::from(head), u64::from(tail))
    }
}

/// A hash of a word for `CountTable`: most words are short, so one folded multiplication of
/// whole-word loads (as foldhash does) rather than a general-purpose hasher.
#[inline]
fn word_hash(w: &[u8]) -> u64 {
    #[inline(always)]
    fn fold(a: u64, b: u64) -> u64 {
        let p = u128::from(a) * u128::from(b);
        (p as u64) ^ ((p >> 64) as u64)
    }
    const K: [u64; 3] = [
        0x243F_6A88_85A3_08D3,
        0x1319_8A2E_0370_7344,
        0xA409_3822_299F_31D0,
    ];
    let (head, tail) = if w.len() >= 4 {
        ends(w)
    } else {
        (word_key(w), 0)
    };
    let mut h = fold(head ^ K[0], tail ^ K[1] ^ w.len() as u64);
    if w.len() > 16 {
        for chunk in w[8..w.len() - 8].chunks(8) {
            h = fold(h ^ word_key(chunk), K[2]);
        }
    }
    h
}

/// Whether two words of the same length are equal.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() >= 4 && a.len() <= 16 {
        ends(a) == ends(b)
    } else {
        a == b
    }
}

/// Longest search word, in characters: a longer word is cut to this on both sides (index and
/// query), so a long alert name still finds itself.
const MAX_WORD: usize = 40;

/// The search words of a field (title, alert name, heading, metadata), the way the runtime
/// tokenizes a query: each run of letters and digits joined by `_`, `-` or `.` as one compound
/// (`KubePodCrashLooping` -> `kubepodcrashlooping`, `etcd_disk` -> `etcddisk`), and, when it has
/// several, its parts: split at those marks, at case changes (camelCase, PascalCase and acronym
/// runs: `CPUThrottlingHigh` -> cpu, throttling, high) and between letters and digits. Words
/// are lower case, two characters or more, cut to `MAX_WORD` characters; stopwords are dropped.
pub fn field_tokens(text: &str, add: &mut dyn FnMut(&str)) {
    let chars: Vec<char> = text.chars().collect();
    let joiner = |i: usize| {
        matches!(chars[i], '_' | '-' | '.')
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())
    };
    let mut i = 0;
    let mut word = String::new();
    while i < chars.len() {
        if !chars[i].is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || joiner(i)) {
            i += 1;
        }
        let run = &chars[start..i];
        // Part boundaries: the marks, case changes, letters against digits.
        let mut parts: Vec<&[char]> = Vec::new();
        let mut from = 0;
        for k in 0..=run.len() {
            let cut = k == run.len()
                || !run[k].is_alphanumeric()
                || k > from && {
                    let (p, c) = (run[k - 1], run[k]);
                    p.is_alphanumeric()
                        && ((c.is_uppercase() && (p.is_lowercase() || p.is_numeric()))
                            || (c.is_uppercase()
                                && p.is_uppercase()
                                && run.get(k + 1).is_some_and(|n| n.is_lowercase()))
                            || (c.is_numeric() != p.is_numeric()))
                };
            if cut {
                if k > from {
                    parts.push(&run[from..k]);
                }
                from = if k < run.len() && !run[k].is_alphanumeric() {
                    k + 1
                } else {
                    k
                };
            }
        }
        let mut emit = |piece: &mut dyn Iterator<Item = &char>| {
            word.clear();
            word.extend(piece.flat_map(|c| c.to_lowercase()).take(MAX_WORD));
            if word.chars().nth(1).is_some() && !is_stopword(&word) {
                add(&word);
            }
        };
        emit(&mut parts.iter().flat_map(|p| p.iter()));
        if parts.len() > 1 {
            for part in &parts {
                emit(&mut part.iter());
            }
        }
    }
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

/// Appends one posting (a document and its weight) to a term's list: the document as the gap
/// from the previous one, with the weight in the low `WEIGHT_BITS` bits.
fn push_posting(out: &mut String, last: &mut u32, doc: u32, w: u8) {
    push_varint(
        out,
        (u64::from(doc - *last) << WEIGHT_BITS) | (u64::from(w) & WEIGHT_MASK),
    );
    *last = doc;
}

/// Adds document `d`'s postings: its body words, then its title, alert, metadata and heading
/// words, whose weights add to the body's.
fn index_document(
    term_ids: &mut HashMap<Box<str>, u32, FixedState>,
    postings: &mut Vec<(String, u32)>,
    vocabulary: &mut HashSet<u32, FixedState>,
    d: u32,
    terms: &Terms,
    fields: Fields,
) {
    for (t, w) in terms.iter() {
        let (list, last) = postings_of(term_ids, postings, t);
        push_posting(list, last, d, w);
    }
    field_words(&fields, &mut |t, w| {
        let id = term_id(term_ids, postings, t);
        if w >= W_META && t.len() >= MIN_FUZZY {
            vocabulary.insert(id);
        }
        let (list, last) = &mut postings[id as usize];
        add_posting(list, last, d, w);
    });
}

/// Shortest word (in bytes) that a misspelling may find (issue 18: a word of four characters or
/// more matches terms one edit away).
const MIN_FUZZY: usize = 4;

/// A term's postings (encoded list, last document), a new term getting the next id.
fn postings_of<'p>(
    term_ids: &mut HashMap<Box<str>, u32, FixedState>,
    postings: &'p mut Vec<(String, u32)>,
    term: &str,
) -> &'p mut (String, u32) {
    let id = term_id(term_ids, postings, term);
    &mut postings[id as usize]
}

/// A term's id, a new term getting the next one.
fn term_id(
    term_ids: &mut HashMap<Box<str>, u32, FixedState>,
    postings: &mut Vec<(String, u32)>,
    term: &str,
) -> u32 {
    match term_ids.get(term) {
        Some(&id) => id,
        None => {
            let id = postings.len() as u32;
            term_ids.insert(term.into(), id);
            postings.push((String::new(), 0));
            id
        }
    }
}

/// Adds weight `w` of document `doc` to a term's postings: merged into `doc`'s posting when it
/// has one (it is the last: documents come in order), a new posting otherwise.
fn add_posting(out: &mut String, last: &mut u32, doc: u32, w: u8) {
    if *last == doc && !out.is_empty() {
        // The last posting starts after the final digit before it (the list is ASCII).
        let start = out.as_bytes()[..out.len() - 1]
            .iter()
            .rposition(|b| FINAL.contains(b))
            .map_or(0, |p| p + 1);
        let v = out[start..].bytes().fold(0u64, |v, b| {
            let digit = MORE.iter().chain(FINAL).position(|&m| m == b);
            v * 32 + (digit.expect("a base-32 digit") % 32) as u64
        });
        out.truncate(start);
        let old = (v & WEIGHT_MASK) as u8;
        push_varint(
            out,
            (v & !WEIGHT_MASK) | (u64::from(merge_weight(old, w)) & WEIGHT_MASK),
        );
    } else {
        push_posting(out, last, doc, w);
    }
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

/// A value as a JavaScript literal: JSON, with `<` escaped so that no `</script>` can appear.
fn js_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value)
        .expect("index data serializes")
        .replace('<', "\\u003c")
}

fn key_of(term: &str, len: usize) -> String {
    term.chars().take(len).collect()
}

fn file_key(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Text-only postings a word needs before its list is split (`split_postings`): about 2 KB of
/// index, so that only the words of a large site's most runbooks are.
const SPLIT_TEXT_ONLY: usize = 1024;

/// A common word's postings in two: those where it is in a title, alert name, heading, metadata
/// or summary, kept in the word's shard with how many others there are, and those where it is
/// only in the text (body count alone), in the shard's `b-` file. Every text-only posting ranks
/// below any other of the word, so a one-word query whose best results are all of the first kind
/// needs only those: a first query for "restart" at 10,000 runbooks reads the runbooks that have
/// it in a title or heading, not the nine thousand that mention it. None when the word has fewer
/// than `SPLIT_TEXT_ONLY` text-only postings.
fn split_postings(list: &str) -> Option<(String, String, usize)> {
    // A posting takes a digit at least: most words are done with at once.
    if list.len() < SPLIT_TEXT_ONLY {
        return None;
    }
    let mut postings = Vec::new();
    let (mut doc, mut v) = (0u64, 0u64);
    for c in list.bytes() {
        if let Some(k) = MORE.iter().position(|&m| m == c) {
            v = v * 32 + k as u64;
            continue;
        }
        v = v * 32 + FINAL.iter().position(|&f| f == c)? as u64;
        doc += v >> WEIGHT_BITS;
        postings.push((doc as u32, (v & WEIGHT_MASK) as u8));
        v = 0;
    }
    let text_only = postings.iter().filter(|p| p.1 < W_LEAD).count();
    if text_only < SPLIT_TEXT_ONLY {
        return None;
    }
    let (mut fields, mut text) = (String::new(), String::new());
    let (mut last_field, mut last_text) = (0, 0);
    for (d, w) in postings {
        if w < W_LEAD {
            push_posting(&mut text, &mut last_text, d, w);
        } else {
            push_posting(&mut fields, &mut last_field, d, w);
        }
    }
    Some((fields, text, text_only))
}

/// Merges a word's weight into what it has so far: field weights are bits, body counts add up
/// to 3.
fn merge_weight(into: u8, w: u8) -> u8 {
    if w >= W_LEAD {
        into | w
    } else {
        (into & !3) | ((into & 3) + w).min(3)
    }
}

/// A heading in a runbook's display data: its text alone when its anchor is what the runtime
/// makes of it (ASCII, lower case, spaces as `-`, only letters, digits, `-` and `_` kept), else
/// with its anchor. Most headings are the first kind, which keeps a result's data small.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum SnippetHeading<'a> {
    Text(&'a str),
    WithId(&'a str, &'a str),
}

impl<'a> SnippetHeading<'a> {
    fn of(h: &'a Heading) -> SnippetHeading<'a> {
        if h.text.is_ascii() && crate::text::slug(&h.text) == h.id {
            SnippetHeading::Text(&h.text)
        } else {
            SnippetHeading::WithId(&h.text, &h.id)
        }
    }
}

/// Runbooks in the order the index numbers them: as the section tree lists them (by title), so
/// that ties rank in reading order.
pub fn doc_order(site: &Site) -> Vec<usize> {
    let mut order: Vec<usize> = (0..site.runbooks.len()).collect();
    order.sort_by_cached_key(|&i| {
        (
            site.runbooks[i].document.title.to_lowercase(),
            site.runbooks[i].id.as_str(),
        )
    });
    order
}

/// The display data of runbook `i`, number `d` in `doc_order` (`opsbook-search/d-<d>.js`): what a
/// result shows (title, address, section, owner, service, severity, alert names, summary and
/// headings for the snippet). One file per runbook, so that a query downloads the data of the
/// results it shows and nothing else; they are independent of the index, made in parallel.
pub fn display_file(site: &Site, i: usize, d: usize) -> OutputFile {
    let rb = &site.runbooks[i];
    let meta = &rb.meta;
    let section = &site.sections[rb.section];
    let url = crate::text::path_url(
        "index.html",
        &rb.document.output,
        site.project.pretty_urls(),
    );
    let alerts: Vec<&str> = meta.alerts.iter().map(|a| a.value.as_str()).collect();
    // A tuple of strings is written as a JSON array, with no intermediate value.
    let row = (
        &rb.document.title,
        &url,
        if rb.section == 0 {
            ""
        } else {
            section.title.as_str()
        },
        meta.owner.as_ref().map_or("", |o| o.value.as_str()),
        meta.service.as_deref().unwrap_or_default(),
        meta.severity.as_deref().unwrap_or_default(),
        alerts.join(", "),
        crate::text::cut_at_word(lead(meta, &rb.document.doc), crate::markdown::LEAD_MAX),
        rb.document
            .doc
            .headings
            .iter()
            .take(MAX_SNIPPET_HEADINGS)
            .map(SnippetHeading::of)
            .collect::<Vec<_>>(),
    );
    OutputFile {
        path: format!("opsbook-search/d-{d}.js"),
        content: Content::Bytes(
            format!("opsbookSearch.d({d},[{}]);\n", js_json(&row)).into_bytes(),
        ),
    }
}

/// Builds the index files for a site (`opsbook-search/meta.js`, `opsbook-search/t-*.js`,
/// `f-*.js`, `v.js`, `facets.js`; the `d-*.js` files come from `display_file`) and hands each to
/// `emit` as soon as it is made; returns how many there were.
///
/// With `taken` (from `take_terms`), each runbook's words are dropped as soon as they are in the
/// index, so that a build does not hold them all to the end.
pub fn build(
    site: &Site,
    order: &[usize],
    taken: Option<&[Mutex<Terms>]>,
    emit: &mut dyn FnMut(OutputFile) -> Result<(), String>,
) -> Result<usize, String> {
    // Terms get ids as they are first seen; documents come in order, so each term's postings
    // are encoded as they come: (encoded list, last document).
    let mut term_ids: HashMap<Box<str>, u32, FixedState> = HashMap::default();
    let mut postings: Vec<(String, u32)> = Vec::new();
    // Words of titles, alert names, headings and metadata (by term id): what a misspelt query
    // word is matched against.
    let mut vocabulary: HashSet<u32, FixedState> = HashSet::default();
    let mut count = 0;
    let mut failed: Result<(), String> = Ok(());
    let mut file = |path: String, text: String| {
        if failed.is_ok() {
            count += 1;
            failed = emit(OutputFile {
                path,
                content: Content::Bytes(text.into_bytes()),
            });
        }
    };
    let docs = order.len();
    let mut facets: BTreeMap<&'static str, BTreeMap<String, Vec<u32>>> = BTreeMap::new();
    for (d, &i) in order.iter().enumerate() {
        let rb = &site.runbooks[i];
        let d = d as u32;
        let meta = &rb.meta;
        let taken_terms = taken.map(|t| std::mem::take(&mut *t[i].lock().expect("terms lock")));
        let terms = taken_terms.as_ref().unwrap_or(&rb.document.doc.terms);
        let headings = &rb.document.doc.headings;
        index_document(
            &mut term_ids,
            &mut postings,
            &mut vocabulary,
            d,
            terms,
            Fields {
                meta,
                headings,
                lead: lead(meta, &rb.document.doc),
            },
        );
        drop(taken_terms);
        let owner = meta.owner.as_ref().map(|o| o.value.trim());
        let fields: [(&'static str, Vec<&str>); 4] = [
            ("owner", owner.into_iter().collect()),
            ("service", meta.service.as_deref().into_iter().collect()),
            ("severity", meta.severity.as_deref().into_iter().collect()),
            ("tag", meta.tags.iter().map(String::as_str).collect()),
        ];
        for (facet, values) in fields {
            for v in values.into_iter().filter(|v| !v.trim().is_empty()) {
                let by_value = facets.entry(facet).or_default();
                if !by_value.contains_key(v) {
                    by_value.insert(v.to_string(), Vec::new());
                }
                let list = by_value.get_mut(v).expect("inserted above");
                if list.last() != Some(&d) {
                    list.push(d);
                }
            }
        }
    }

    // The vocabulary for misspellings, one file loaded only when a query word is not in the
    // index: words by length, then alphabetically.
    let mut words: Vec<&str> = term_ids
        .iter()
        .filter(|(_, id)| vocabulary.contains(id))
        .map(|(t, _)| &**t)
        .collect();
    words.sort_unstable_by_key(|w| (w.chars().count(), *w));
    file(
        "opsbook-search/v.js".to_string(),
        format!("opsbookSearch.v({});\n", js_json(&words.join(" "))),
    );
    drop(words);
    drop(vocabulary);

    // Term shards: group by two letters, split groups that are too big by one more letter.
    let mut encoded: BTreeMap<String, String> = term_ids
        .into_iter()
        .map(|(t, id)| {
            (
                t.into_string(),
                std::mem::take(&mut postings[id as usize].0),
            )
        })
        .collect();
    drop(postings);
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

    for (key, terms) in &shards {
        let mut body = String::with_capacity(terms.values().map(|v| v.len() + 16).sum());
        let mut rest = String::new();
        body.push_str("opsbookSearch.t(");
        body.push_str(&js_json(key));
        body.push_str(",{");
        for (n, (t, e)) in terms.iter().enumerate() {
            if n > 0 {
                body.push(',');
            }
            body.push_str(&js_json(t));
            body.push(':');
            match split_postings(e) {
                Some((fields, text, count)) => {
                    body.push_str(&js_json(&(fields, count)));
                    rest.push_str(if rest.is_empty() { "" } else { "," });
                    rest.push_str(&js_json(t));
                    rest.push(':');
                    rest.push_str(&js_json(&text));
                }
                None => body.push_str(&js_json(e)),
            }
        }
        body.push_str("});\n");
        file(format!("opsbook-search/t-{}.js", file_key(key)), body);
        if !rest.is_empty() {
            file(
                format!("opsbook-search/b-{}.js", file_key(key)),
                format!("opsbookSearch.b({},{{{rest}}});\n", js_json(key)),
            );
        }
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
                    js_json(&key),
                    js_json(&encode_docs(ids))
                ),
            );
            list.push(serde_json::json!([value, ids.len(), key]));
        }
        facet_meta.insert(facet.to_string(), serde_json::Value::Array(list));
    }
    // The filters' values, loaded when the reader opens the filters: every owner of a large
    // site is more than a first query should download.
    let filters: Vec<String> = facet_meta.keys().cloned().collect();
    file(
        "opsbook-search/facets.js".into(),
        format!("opsbookSearch.facetsLoaded({});\n", js_json(&facet_meta)),
    );
    // Shard keys are letters and digits: space-separated, they take fewer bytes than a list.
    let shard_keys: Vec<&str> = shards.keys().map(String::as_str).collect();
    let meta = serde_json::json!({
        "version": 1,
        "docs": docs,
        "per": DOCS_PER_SHARD,
        "splits": splits.join(" "),
        "shards": shard_keys.join(" "),
        "filters": filters,
    });
    file(
        "opsbook-search/meta.js".into(),
        format!("opsbookSearch.meta({});\n", js_json(&meta)),
    );
    failed.map(|()| count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_like_the_runtime() {
        let t: Vec<Cow<str>> = tokens("Restart the API: kubectl rollout-restart (5xx) é").collect();
        assert_eq!(
            t,
            ["restart", "api", "kubectl", "rollout", "restart", "5xx"]
        );
    }

    /// The runtime drops the same stopwords (its list is in opsbook-search.js).
    #[test]
    fn stopwords_match_the_runtime() {
        let js = include_str!("../themes/default/static/assets/opsbook-search.js");
        let start = js.find("var STOP = {};").unwrap();
        let list: String = js[start..]
            .split(".split(")
            .next()
            .unwrap()
            .split('"')
            .skip(1)
            .step_by(2)
            .collect();
        let words: Vec<&str> = list.split_whitespace().collect();
        assert_eq!(words.len(), 50);
        for w in &words {
            assert!(is_stopword(w), "{w} is a stopword in the runtime only");
            assert!(
                w.len() <= LONGEST_STOPWORD,
                "{w} is longer than LONGEST_STOPWORD"
            );
        }
        assert_eq!(tokens(&words.join(" ")).count(), 0);
        assert!(!is_stopword("restart") && !is_stopword("db"));
    }

    #[test]
    fn words_split_like_the_standard_library() {
        let text = "a-b  ÄÖü_x1 9.5 naïve—日本語,  ‿tail x²\u{300}y ";
        let ours: Vec<&str> = Words { text, pos: 0 }.collect();
        let std: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(ours, std);
    }

    /// The words and counts of `Terms` are those of the plain definition: std's split on
    /// non-alphanumerics, two characters or more, cut to 40 characters, lower-cased, no
    /// stopwords.
    #[test]
    fn terms_follow_the_plain_definition() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        let mut texts: Vec<String> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        texts.push("ÉTÉ été Été ΣΊΣΥΦΟΣ straße STRASSE x² İstanbul 日本語 ab AB Ab aB".into());
        texts.push("a".repeat(41) + " " + &"b".repeat(40) + " The THE the Über");
        assert!(texts.len() > 10);
        for text in &texts {
            let mut expected: Vec<(String, u8)> = Vec::new();
            for w in text.split(|c: char| !c.is_alphanumeric()) {
                if w.chars().count() < 2 {
                    continue;
                }
                let w = w.chars().take(MAX_WORD).collect::<String>().to_lowercase();
                if is_stopword(&w) {
                    continue;
                }
                match expected.iter_mut().find(|(x, _)| *x == w) {
                    Some((_, n)) => *n = (*n + 1).min(3),
                    None => expected.push((w, 1)),
                }
            }
            let terms = Terms::from_text(text);
            let got: Vec<(String, u8)> = terms.iter().map(|(w, n)| (w.to_string(), n)).collect();
            assert_eq!(got, expected);
            let toks: Vec<String> = tokens(text).map(Cow::into_owned).collect();
            let plain: Vec<String> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() >= 2)
                .map(|w| w.chars().take(MAX_WORD).collect::<String>().to_lowercase())
                .filter(|w| !is_stopword(w))
                .collect();
            assert_eq!(toks, plain);
        }
    }

    #[test]
    fn body_terms_count_up_to_three() {
        let t = Terms::from_text("Restart restart RESTART restart the DB; db é Ünïcode");
        let mut v: Vec<(&str, u8)> = t.iter().collect();
        v.sort();
        assert_eq!(v, [("db", 2), ("restart", 3), ("ünïcode", 1)]);
    }

    /// Each term's weight in document `d` of an index of `docs`, decoded from its postings.
    fn weights(docs: &[(&str, crate::schema::Runbook, Vec<Heading>)], d: u32) -> Vec<(String, u8)> {
        let mut term_ids = HashMap::default();
        let mut postings = Vec::new();
        for (n, (body, meta, headings)) in docs.iter().enumerate() {
            let terms = Terms::from_text(body);
            index_document(
                &mut term_ids,
                &mut postings,
                &mut HashSet::default(),
                n as u32,
                &terms,
                Fields {
                    meta,
                    headings,
                    lead: meta.description.as_deref().unwrap_or_default(),
                },
            );
        }
        let mut out: Vec<(String, u8)> = term_ids
            .into_iter()
            .filter_map(|(t, id)| {
                let list = &postings[id as usize].0;
                let mut doc = 0;
                let mut v = 0u64;
                for c in list.bytes() {
                    if let Some(k) = MORE.iter().position(|&m| m == c) {
                        v = v * 32 + k as u64;
                        continue;
                    }
                    v = v * 32 + FINAL.iter().position(|&f| f == c).unwrap() as u64;
                    doc += (v >> WEIGHT_BITS) as u32;
                    if doc == d {
                        return Some((t.to_string(), (v & WEIGHT_MASK) as u8));
                    }
                    v = 0;
                }
                None
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn field_words_add_their_weight_bits_to_body_counts() {
        let body = "Drain the node. Drain it again, then drain it once more.";
        let meta = crate::schema::Runbook {
            title: "Drain a Kubernetes node".into(),
            team: Some("platform".into()),
            tags: vec!["kubernetes".into()],
            description: Some("Drain and cordon".into()),
            ..Default::default()
        };
        let heading = Heading {
            level: 2,
            text: "Node drain".into(),
            id: "node-drain".into(),
            offset: 0,
            content: true,
            related: false,
        };
        let expected = [
            ("again", 1),
            ("cordon", W_LEAD),
            ("drain", W_TITLE | W_HEADING | W_LEAD | 3),
            ("kubernetes", W_TITLE | W_META),
            ("more", 1),
            ("node", W_TITLE | W_HEADING | 1),
            ("once", 1),
            ("platform", W_META),
        ]
        .map(|(t, w)| (t.to_string(), w));
        let plain = ("Drain once.", crate::schema::Runbook::default(), Vec::new());
        let this = (body, meta, vec![heading]);
        // Alone, and after another document with some of the same words: weights stay per
        // document.
        assert_eq!(weights(std::slice::from_ref(&this), 0), expected);
        assert_eq!(weights(&[plain.clone(), this], 1), expected);
        assert_eq!(
            weights(&[plain], 0),
            [("drain".to_string(), 1), ("once".to_string(), 1)]
        );
    }

    fn field(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        field_tokens(text, &mut |t| out.push(t.to_string()));
        out
    }

    #[test]
    fn field_words_are_compounds_and_their_parts() {
        assert_eq!(field("KubeAPIDown"), ["kubeapidown", "kube", "api", "down"]);
        assert_eq!(
            field("CPUThrottlingHigh"),
            ["cputhrottlinghigh", "cpu", "throttling", "high"]
        );
        assert_eq!(
            field("etcdDatabaseQuotaLowSpace"),
            [
                "etcddatabasequotalowspace",
                "etcd",
                "database",
                "quota",
                "low",
                "space"
            ]
        );
        assert_eq!(
            field("Restart kube-state-metrics, then etcd_disk2."),
            [
                "restart",
                "kubestatemetrics",
                "kube",
                "state",
                "metrics",
                "etcddisk2",
                "etcd",
                "disk"
            ]
        );
        // Plain words stay whole; stopwords and single characters go.
        assert_eq!(field("The pod is not ready"), ["pod", "ready"]);
        assert_eq!(field("x-ray a-b"), ["xray", "ray", "ab"]);
        // Long names are cut, not dropped.
        let long = field("ACMUWLMetricsCollectorForwardRemoteWriteError");
        assert_eq!(long[0], "acmuwlmetricscollectorforwardremotewrite");
        assert_eq!(
            long[1..],
            [
                "acmuwl",
                "metrics",
                "collector",
                "forward",
                "remote",
                "write",
                "error"
            ]
        );
    }

    #[test]
    fn common_words_keep_text_only_postings_apart() {
        let (mut list, mut last) = (String::new(), 0);
        let mut expect_fields = (String::new(), 0);
        let mut expect_text = (String::new(), 0);
        for d in 0..(2 * SPLIT_TEXT_ONLY as u32) {
            let w = if d % 7 == 0 { W_HEADING | 1 } else { 2 };
            push_posting(&mut list, &mut last, d, w);
            let (out, at) = if w < W_LEAD {
                (&mut expect_text.0, &mut expect_text.1)
            } else {
                (&mut expect_fields.0, &mut expect_fields.1)
            };
            push_posting(out, at, d, w);
        }
        let (fields, text, count) = split_postings(&list).expect("a common word");
        assert_eq!(fields, expect_fields.0);
        assert_eq!(text, expect_text.0);
        assert_eq!(
            count,
            2 * SPLIT_TEXT_ONLY - (2 * SPLIT_TEXT_ONLY).div_ceil(7)
        );
        // A word with fewer text-only postings stays whole.
        let (mut short, mut last) = (String::new(), 0);
        for d in 0..SPLIT_TEXT_ONLY as u32 - 1 {
            push_posting(&mut short, &mut last, d * 3, 1);
        }
        push_posting(&mut short, &mut last, 5000, W_TITLE);
        assert_eq!(split_postings(&short), None);
    }

    #[test]
    fn varints_round_trip_in_the_documented_alphabet() {
        let mut s = String::new();
        push_varint(&mut s, 5);
        push_varint(&mut s, 32);
        push_varint(&mut s, 1000);
        assert_eq!(s, "5B0*8");
        // (gap << 6) | weight: 16 = "g", then 64 + 1 = "C1"; then gap 40 with weight 1 and the
        // title bit merged in: 2560 + 33 = 2·1024 + 17·32 + 1 = "CR1".
        let (mut list, mut last) = (String::new(), 0);
        push_posting(&mut list, &mut last, 0, 16);
        push_posting(&mut list, &mut last, 1, 1);
        assert_eq!(list, "gC1");
        // A field weight merged into a posting of several digits re-encodes it whole.
        push_posting(&mut list, &mut last, 41, 1);
        add_posting(&mut list, &mut last, 41, W_TITLE);
        assert_eq!(list, "gC1CR1");
        add_posting(&mut list, &mut last, 41, W_HEADING);
        assert_eq!(list, "gC1CRh");
    }
}
