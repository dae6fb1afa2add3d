//! Numbers and dates as the reader's language writes them, chosen from `Accept-Language`.
//! The console's words are English; only the numbers and dates follow the reader. Times are
//! shown in UTC, and `static/console.js` adds the reader's own zone beside each `<time>`.
use chrono::{DateTime, Utc};

/// How one language writes numbers and dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    /// The language tag used (`en-US`, `de`, …).
    pub tag: &'static str,
    group: &'static str,
    /// Group digits from this many digits up (Spanish leaves 4-digit numbers alone).
    group_from: usize,
    date: DateStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateStyle {
    /// Nov 25, 2026, 9:00 AM
    Us,
    /// 25 Nov 2026, 09:00
    English,
    /// 25.11.2026, 09:00
    Dots,
    /// 25/11/2026 09:00
    Slashes,
    /// 25-11-2026 09:00
    Dashes,
    /// 2026/11/25 09:00
    YearFirst,
}

const NNBSP: &str = "\u{202f}";

const LOCALES: &[(&str, Locale)] = &[
    (
        "en-us",
        Locale {
            tag: "en-US",
            group: ",",
            group_from: 4,
            date: DateStyle::Us,
        },
    ),
    (
        "en",
        Locale {
            tag: "en",
            group: ",",
            group_from: 4,
            date: DateStyle::English,
        },
    ),
    (
        "de",
        Locale {
            tag: "de",
            group: ".",
            group_from: 4,
            date: DateStyle::Dots,
        },
    ),
    (
        "fr",
        Locale {
            tag: "fr",
            group: NNBSP,
            group_from: 4,
            date: DateStyle::Slashes,
        },
    ),
    (
        "es",
        Locale {
            tag: "es",
            group: ".",
            group_from: 5,
            date: DateStyle::Slashes,
        },
    ),
    (
        "it",
        Locale {
            tag: "it",
            group: ".",
            group_from: 4,
            date: DateStyle::Slashes,
        },
    ),
    (
        "pt",
        Locale {
            tag: "pt",
            group: ".",
            group_from: 4,
            date: DateStyle::Slashes,
        },
    ),
    (
        "nl",
        Locale {
            tag: "nl",
            group: ".",
            group_from: 4,
            date: DateStyle::Dashes,
        },
    ),
    (
        "ja",
        Locale {
            tag: "ja",
            group: ",",
            group_from: 4,
            date: DateStyle::YearFirst,
        },
    ),
    (
        "zh",
        Locale {
            tag: "zh",
            group: ",",
            group_from: 4,
            date: DateStyle::YearFirst,
        },
    ),
];

impl Default for Locale {
    fn default() -> Self {
        LOCALES[1].1
    }
}

impl Locale {
    /// The best match for an `Accept-Language` header (by quality, then order); English when
    /// nothing matches.
    pub fn from_accept_language(header: Option<&str>) -> Locale {
        let mut wanted: Vec<(f32, usize, String)> = header
            .unwrap_or_default()
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut bits = part.split(';');
                let tag = bits.next()?.trim().to_ascii_lowercase();
                let q = bits
                    .find_map(|b| b.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (!tag.is_empty() && q > 0.0).then_some((q, i, tag))
            })
            .collect();
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, _, tag) in wanted {
            let lang = tag.split('-').next().unwrap_or(&tag);
            for candidate in [tag.as_str(), lang] {
                if let Some((_, l)) = LOCALES.iter().find(|(k, _)| *k == candidate) {
                    return *l;
                }
            }
        }
        Locale::default()
    }

    /// A whole number with the language's digit grouping.
    pub fn number(&self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        if digits.len() >= self.group_from {
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    out.push_str(self.group);
                }
                out.push(c);
            }
        } else {
            out = digits;
        }
        if n < 0 {
            out.insert(0, '-');
        }
        out
    }

    /// An instant in UTC, written the language's way, ending in "UTC".
    pub fn datetime(&self, t: DateTime<Utc>) -> String {
        let f = match self.date {
            DateStyle::Us => "%b %-d, %Y, %-I:%M %p",
            DateStyle::English => "%-d %b %Y, %H:%M",
            DateStyle::Dots => "%d.%m.%Y, %H:%M",
            DateStyle::Slashes => "%d/%m/%Y %H:%M",
            DateStyle::Dashes => "%d-%m-%Y %H:%M",
            DateStyle::YearFirst => "%Y/%m/%d %H:%M",
        };
        format!("{} UTC", t.format(f))
    }

    /// `{text, iso}` for a `<time datetime="iso">text</time>`; null for none.
    pub fn time(&self, t: Option<DateTime<Utc>>) -> serde_json::Value {
        match t {
            Some(t) => serde_json::json!({
                "text": self.datetime(t),
                "iso": t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
            None => serde_json::Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_follow_the_preferred_language() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T09:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let de = Locale::from_accept_language(Some("fr;q=0.5, de-AT, en;q=0.8"));
        assert_eq!(de.tag, "de");
        assert_eq!(de.number(1234567), "1.234.567");
        assert_eq!(de.datetime(t), "25.11.2026, 09:05 UTC");
        let us = Locale::from_accept_language(Some("en-US,en;q=0.9"));
        assert_eq!(us.number(-12345), "-12,345");
        assert_eq!(us.datetime(t), "Nov 25, 2026, 9:05 AM UTC");
        assert_eq!(
            Locale::from_accept_language(Some("es")).number(1234),
            "1234"
        );
        assert_eq!(
            Locale::from_accept_language(Some("es")).number(12345),
            "12.345"
        );
        assert_eq!(
            Locale::from_accept_language(Some("fr")).number(1000),
            "1\u{202f}000"
        );
        let ja = Locale::from_accept_language(Some("ja-JP"));
        assert_eq!(ja.datetime(t), "2026/11/25 09:05 UTC");
        for fallback in [None, Some(""), Some("xx, *"), Some("de;q=0")] {
            assert_eq!(Locale::from_accept_language(fallback).tag, "en");
        }
    }
}
