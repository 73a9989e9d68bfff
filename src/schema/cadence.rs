//! Review cadence and review dates (SPEC "Cadence", "last_reviewed").
//!
//! A cadence is a list of entries; each is an interval ("monthly", "every 2 weeks", `P3M`) or an
//! event trigger ("after incidents"). Authors write cadences as sentences, so a string is split at
//! commas, semicolons and "and" — but "and" only splits when what follows starts a new entry, so
//! "after deploys and migrations" stays one trigger.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

/// A review interval, in months and days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Interval {
    pub months: u32,
    pub days: u32,
}

impl Interval {
    /// Rough length in days, to pick the shortest of several intervals.
    fn approx_days(self) -> u64 {
        u64::from(self.months) * 3044 / 100 + u64::from(self.days)
    }

    pub fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        date.checked_add_months(Months::new(self.months))?
            .checked_add_days(chrono::Days::new(u64::from(self.days)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Interval { text: String, interval: Interval },
    Trigger(String),
}

impl Entry {
    pub fn text(&self) -> &str {
        match self {
            Entry::Interval { text, .. } | Entry::Trigger(text) => text,
        }
    }
}

/// A parsed cadence: valid entries, and the text of entries that are neither form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cadence {
    pub entries: Vec<Entry>,
    pub invalid: Vec<String>,
}

impl Cadence {
    pub fn parse_all<'a>(sources: impl IntoIterator<Item = &'a str>) -> Cadence {
        let mut cadence = Cadence::default();
        for source in sources {
            for piece in split_entries(source) {
                match parse_entry(&piece) {
                    Some(entry) => cadence.entries.push(entry),
                    None => cadence.invalid.push(piece),
                }
            }
        }
        cadence
    }

    pub fn shortest_interval(&self) -> Option<Interval> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Interval { interval, .. } => Some(*interval),
                Entry::Trigger(_) => None,
            })
            .min_by_key(|i| i.approx_days())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.invalid.is_empty()
    }
}

const TRIGGER_WORDS: &[&str] = &["after", "before", "when", "on", "during"];

fn strip_trailing(s: &str) -> &str {
    s.trim().trim_end_matches(['.', '!', ';', ':', ',']).trim()
}

fn strip_conjunction(s: &str) -> &str {
    let t = s.trim();
    for word in ["and ", "or ", "& ", "and/or "] {
        // `get`: the cut may fall inside a character (`aé`).
        if t.len() > word.len()
            && t.get(..word.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(word))
        {
            return t[word.len()..].trim();
        }
    }
    t
}

/// Splits a cadence sentence into entry texts.
pub fn split_entries(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in source.split([',', ';', '\n']) {
        let part = strip_trailing(strip_conjunction(strip_trailing(part)));
        if part.is_empty() {
            continue;
        }
        // Split at " and " only where the right-hand side starts a valid entry.
        let mut rest = part;
        loop {
            let lower = rest.to_ascii_lowercase();
            let split_at = lower.match_indices(" and ").map(|(i, _)| i).find(|&i| {
                let right = &rest[i + 5..];
                starts_entry(right) && parse_entry(strip_trailing(&rest[..i])).is_some()
            });
            match split_at {
                Some(i) => {
                    out.push(strip_trailing(&rest[..i]).to_string());
                    rest = rest[i + 5..].trim();
                }
                None => {
                    out.push(strip_trailing(rest).to_string());
                    break;
                }
            }
        }
    }
    out
}

fn starts_entry(s: &str) -> bool {
    let first = s
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    TRIGGER_WORDS.contains(&first.as_str()) || parse_entry(s).is_some()
}

/// Parses one entry, or `None` when it is neither an interval nor a trigger.
pub fn parse_entry(text: &str) -> Option<Entry> {
    let text = strip_trailing(text);
    if text.is_empty() {
        return None;
    }
    if let Some(interval) = parse_interval(text) {
        return Some(Entry::Interval {
            text: text.to_string(),
            interval,
        });
    }
    let mut words = text.split_whitespace();
    let first = words.next()?.to_ascii_lowercase();
    if TRIGGER_WORDS.contains(&first.as_str()) && words.next().is_some() {
        return Some(Entry::Trigger(text.to_string()));
    }
    None
}

fn months(n: u32) -> Interval {
    Interval { months: n, days: 0 }
}

fn days(n: u32) -> Interval {
    Interval { months: 0, days: n }
}

fn parse_interval(text: &str) -> Option<Interval> {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let single = match words.as_slice() {
        [w] => Some(*w),
        _ => None,
    };
    if let Some(w) = single {
        let named = match w {
            "daily" => Some(days(1)),
            "weekly" => Some(days(7)),
            "fortnightly" | "biweekly" | "bi-weekly" => Some(days(14)),
            "monthly" => Some(months(1)),
            "quarterly" => Some(months(3)),
            "semiannually" | "semi-annually" | "half-yearly" | "semiannual" | "semi-annual" => {
                Some(months(6))
            }
            "annually" | "yearly" | "annual" => Some(months(12)),
            _ => None,
        };
        if named.is_some() {
            return named;
        }
        if let Some(iso) = parse_iso_duration(&text.trim().to_ascii_uppercase()) {
            return Some(iso);
        }
    }
    // "once a month", "twice a year"
    if let [times @ ("once" | "twice"), "a" | "per" | "every", unit] = words.as_slice() {
        let base = match unit.trim_end_matches('s') {
            "week" => days(7),
            "month" => months(1),
            "quarter" => months(3),
            "year" => months(12),
            _ => return None,
        };
        return Some(if *times == "once" {
            base
        } else if base.months > 0 && base.months % 2 == 0 {
            months(base.months / 2)
        } else if base.months > 0 {
            days(base.months * 30 / 2)
        } else {
            days(base.days / 2)
        });
    }
    let rest: &[&str] = match words.as_slice() {
        ["every", rest @ ..] => rest,
        rest => rest,
    };
    let (count, unit) = match rest {
        [unit] if words.first() == Some(&"every") => (1, *unit),
        ["other", unit] if words.first() == Some(&"every") => (2, *unit),
        [n, unit] => (number(n)?, *unit),
        _ => return None,
    };
    if count == 0 {
        return None;
    }
    let unit = unit.trim_end_matches('s');
    match unit {
        "day" => Some(days(count)),
        "week" => Some(days(count.checked_mul(7)?)),
        "month" => Some(months(count)),
        "quarter" => Some(months(count.checked_mul(3)?)),
        "year" => Some(months(count.checked_mul(12)?)),
        _ => None,
    }
}

fn number(word: &str) -> Option<u32> {
    const WORDS: &[&str] = &[
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve",
    ];
    word.parse::<u32>()
        .ok()
        .or_else(|| WORDS.iter().position(|w| *w == word).map(|i| i as u32 + 1))
}

/// ISO 8601 date durations: `P3M`, `P1Y6M`, `P2W`, `P10D`.
fn parse_iso_duration(text: &str) -> Option<Interval> {
    let body = text.strip_prefix('P')?;
    if body.is_empty() {
        return None;
    }
    let mut interval = Interval { months: 0, days: 0 };
    let mut digits = String::new();
    for c in body.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u32 = digits.parse().ok()?;
        digits.clear();
        match c {
            'Y' => interval.months = interval.months.checked_add(n.checked_mul(12)?)?,
            'M' => interval.months = interval.months.checked_add(n)?,
            'W' => interval.days = interval.days.checked_add(n.checked_mul(7)?)?,
            'D' => interval.days = interval.days.checked_add(n)?,
            _ => return None,
        }
    }
    if !digits.is_empty() || (interval.months == 0 && interval.days == 0) {
        return None;
    }
    Some(interval)
}

/// A `last_reviewed` value: a day, a month or a quarter. Months and quarters count as their
/// last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewDate {
    pub date: NaiveDate,
}

pub fn parse_review_date(text: &str) -> Option<ReviewDate> {
    let t = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return (t.len() == 10).then_some(ReviewDate { date });
    }
    let (year, rest) = t.split_once('-')?;
    if year.len() != 4 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let last_month = if let Some(q) = rest.strip_prefix(['Q', 'q']) {
        let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
        q * 3
    } else {
        if rest.len() != 2 {
            return None;
        }
        rest.parse().ok().filter(|m| (1..=12).contains(m))?
    };
    let first = NaiveDate::from_ymd_opt(year, last_month, 1)?;
    let date = first.checked_add_months(Months::new(1))?.pred_opt()?;
    debug_assert_eq!(date.month(), last_month);
    Some(ReviewDate { date })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_byte_text_is_never_cut_inside_a_character() {
        // `aé` once panicked: "& " is two bytes, and the second is inside `é`.
        for text in [
            "aé",
            "aé, bé",
            "日本",
            "a日",
            "and日",
            "or é",
            "&é",
            "été and 日",
            "é and monthly",
        ] {
            let c = Cadence::parse_all([text]);
            assert!(!c.is_empty(), "{text}");
        }
    }

    fn texts(c: &Cadence) -> Vec<&str> {
        c.entries.iter().map(Entry::text).collect()
    }

    #[test]
    fn seed_cadences_parse() {
        let c = Cadence::parse_all(["monthly, after incidents, and before client reporting."]);
        assert_eq!(
            texts(&c),
            ["monthly", "after incidents", "before client reporting"]
        );
        assert!(c.invalid.is_empty());
        assert_eq!(c.shortest_interval(), Some(months(1)));
        let c = Cadence::parse_all([
            "monthly, after incidents, after staff changes, and before client or stakeholder reporting.",
        ]);
        assert_eq!(c.entries.len(), 4);
        let c = Cadence::parse_all([
            "when an issue is reported, before support contact, and after recovery to improve the runbook.",
        ]);
        assert_eq!(c.entries.len(), 3);
        assert!(c.shortest_interval().is_none());
    }

    #[test]
    fn and_splits_only_between_entries() {
        let c = Cadence::parse_all(["after deploys and migrations"]);
        assert_eq!(texts(&c), ["after deploys and migrations"]);
        let c = Cadence::parse_all(["quarterly and after incidents"]);
        assert_eq!(texts(&c), ["quarterly", "after incidents"]);
    }

    #[test]
    fn intervals() {
        for (text, want) in [
            ("daily", days(1)),
            ("weekly", days(7)),
            ("fortnightly", days(14)),
            ("quarterly", months(3)),
            ("semiannually", months(6)),
            ("yearly", months(12)),
            ("6 months", months(6)),
            ("every 2 weeks", days(14)),
            ("every month", months(1)),
            ("P3M", months(3)),
            ("P1Y6M", months(18)),
            ("P2W", days(14)),
            ("twice a year", months(6)),
            ("once a quarter", months(3)),
            ("twice a month", days(15)),
            ("every other week", days(14)),
        ] {
            assert_eq!(parse_interval(text), Some(want), "{text}");
        }
    }

    #[test]
    fn invalid_entries() {
        for text in [
            "sometimes",
            "as needed",
            "P",
            "PT5H",
            "0 days",
            "on",
            "regularly",
        ] {
            assert!(parse_entry(text).is_none(), "{text}");
        }
        let c = Cadence::parse_all(["sometimes"]);
        assert_eq!(c.invalid, ["sometimes"]);
    }

    #[test]
    fn review_dates() {
        let d = |s| parse_review_date(s).map(|r| r.date.to_string());
        assert_eq!(d("2026-03-14").as_deref(), Some("2026-03-14"));
        assert_eq!(d("2026-02").as_deref(), Some("2026-02-28"));
        assert_eq!(d("2026-Q2").as_deref(), Some("2026-06-30"));
        assert_eq!(d("2026-Q4").as_deref(), Some("2026-12-31"));
        assert_eq!(d("2026-Q5"), None);
        assert_eq!(d("2026-13"), None);
        assert_eq!(d("yesterday"), None);
    }

    #[test]
    fn next_review() {
        let r = parse_review_date("2026-01-31").unwrap();
        assert_eq!(months(1).after(r.date).unwrap().to_string(), "2026-02-28");
    }
}
