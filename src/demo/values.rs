//! The small notations the demo's data files are written in — weighted lists, lists, names in two
//! scripts, number patterns and company-name forms — and drawing from them.
//!
//! Every draw here takes the same random numbers, in the same order, as the code the tables
//! replaced: the generated buyers are pinned by a digest (see `demo::tests`), and changing how a
//! draw uses the generator changes every buyer after it.
use rand::rngs::StdRng;
use rand::Rng;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// A weighted pick: the index of the chosen weight. Weights are small positive integers.
pub(super) fn pick_index(rng: &mut StdRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut n = rng.gen_range(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if n < *w {
            return i;
        }
        n -= w;
    }
    weights.len().saturating_sub(1)
}

/// A uniform pick from a list that is not empty.
pub(super) fn pick_uniform<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// Values with weights, `{value: weight, …}`, in the order written; never empty, every weight
/// positive.
#[derive(Debug, Default)]
pub(super) struct Weighted {
    values: Vec<String>,
    weights: Vec<u32>,
}

impl Weighted {
    pub fn pick(&self, rng: &mut StdRng) -> &str {
        &self.values[pick_index(rng, &self.weights)]
    }

    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(String::as_str)
    }
}

impl<'de> Deserialize<'de> for Weighted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Weighted, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Weighted;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of values to positive weights, {value: weight, …}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Weighted, A::Error> {
                let mut w = Weighted::default();
                let mut total: u32 = 0;
                while let Some((value, weight)) = map.next_entry::<String, u32>()? {
                    if weight == 0 {
                        return Err(de::Error::custom(format!(
                            "'{value}' has weight 0: weights are positive"
                        )));
                    }
                    if w.values.contains(&value) {
                        return Err(de::Error::custom(format!("'{value}' is listed twice")));
                    }
                    total = total
                        .checked_add(weight)
                        .ok_or_else(|| de::Error::custom("the weights add up to too much"))?;
                    w.values.push(value);
                    w.weights.push(weight);
                }
                if w.values.is_empty() {
                    return Err(de::Error::custom("an empty list of weighted values"));
                }
                Ok(w)
            }
        }
        d.deserialize_map(InOrder)
    }
}

/// A list that is not empty, picked from uniformly.
#[derive(Debug)]
pub(super) struct List<T>(Vec<T>);

impl<T> List<T> {
    pub fn pick(&self, rng: &mut StdRng) -> &T {
        pick_uniform(rng, &self.0)
    }

    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
}

impl<T: PartialEq> List<T> {
    /// How many different items it holds.
    pub fn distinct(&self) -> usize {
        let mut seen: Vec<&T> = Vec::with_capacity(self.0.len());
        for item in &self.0 {
            if !seen.contains(&item) {
                seen.push(item);
            }
        }
        seen.len()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<List<T>, D::Error> {
        let items = Vec::<T>::deserialize(d)?;
        if items.is_empty() {
            return Err(de::Error::custom("an empty list"));
        }
        Ok(List(items))
    }
}

/// A name as written, and in Latin letters for e-mail addresses: `native|romanised` in the files
/// where the script is not Latin; a Latin-script name is its own romanisation.
#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct Name {
    pub native: String,
    pub latin: String,
}

impl TryFrom<String> for Name {
    type Error = String;
    fn try_from(s: String) -> Result<Name, String> {
        let (native, latin) = s.split_once('|').unwrap_or((&s, &s));
        if native.is_empty() || latin.is_empty() || latin.contains('|') {
            return Err(format!("'{s}' is not a name, nor `native|romanised`"));
        }
        Ok(Name {
            native: native.to_owned(),
            latin: latin.to_owned(),
        })
    }
}

/// A pattern for digits (phones.yaml): digits stand for themselves, `#` is any digit, `[2-9]` a
/// digit in the range, `{38,39,50}` one of the groups.
#[derive(Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct Pattern(Vec<Part>);

#[derive(Debug)]
enum Part {
    Digits(String),
    AnyDigit,
    /// A digit from `lo` up to, not including, `hi`.
    Range(i32, i32),
    OneOf(Vec<String>),
}

impl Pattern {
    pub fn draw(&self, rng: &mut StdRng) -> String {
        const DIGITS: &[u8] = b"0123456789";
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Digits(d) => out.push_str(d),
                Part::AnyDigit => out.push(DIGITS[rng.gen_range(0..DIGITS.len())] as char),
                Part::Range(lo, hi) => out.push_str(&rng.gen_range(*lo..*hi).to_string()),
                Part::OneOf(groups) => out.push_str(pick_uniform::<String>(rng, groups)),
            }
        }
        out
    }
}

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(s: String) -> Result<Pattern, String> {
        let bad = |why: &str| format!("pattern '{s}': {why}");
        let mut parts = Vec::new();
        let mut rest = s.as_str();
        while let Some(c) = rest.chars().next() {
            let (part, len) = match c {
                '0'..='9' => {
                    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
                    (Part::Digits(rest[..n].to_owned()), n)
                }
                '#' => (Part::AnyDigit, 1),
                '[' => match rest.as_bytes() {
                    [b'[', lo @ b'0'..=b'9', b'-', hi @ b'0'..=b'9', b']', ..] if lo <= hi => {
                        let (lo, hi) = (i32::from(lo - b'0'), i32::from(hi - b'0'));
                        (Part::Range(lo, hi + 1), 5)
                    }
                    _ => {
                        return Err(bad(
                            "a range is a digit, '-' and a digit in brackets: [2-9]",
                        ))
                    }
                },
                '{' => {
                    let end = rest.find('}').ok_or_else(|| bad("'{' is not closed"))?;
                    let groups: Vec<String> = rest[1..end]
                        .split(',')
                        .map(|g| g.trim().to_owned())
                        .collect();
                    if groups
                        .iter()
                        .any(|g| g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()))
                    {
                        return Err(bad("a choice lists groups of digits: {38,39,50}"));
                    }
                    (Part::OneOf(groups), end + 1)
                }
                other => return Err(bad(&format!("'{other}' is not a digit, '#', '[' or '{{'"))),
            };
            parts.push(part);
            rest = &rest[len..];
        }
        if parts.is_empty() {
            return Err(bad("empty"));
        }
        Ok(Pattern(parts))
    }
}

/// A company-name form (companies.yaml): text with `{family}`, `{family_latin}` and `{trade}`.
#[derive(Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct Template(Vec<Piece>);

#[derive(Debug)]
enum Piece {
    Text(String),
    Family,
    FamilyLatin,
    Trade,
}

impl Template {
    pub fn fill(&self, family: &str, family_latin: &str, trade: &str) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Family => family,
                Piece::FamilyLatin => family_latin,
                Piece::Trade => trade,
            })
            .collect()
    }
}

impl TryFrom<String> for Template {
    type Error = String;
    fn try_from(s: String) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = s.as_str();
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_owned()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("form '{s}': '{{' is not closed"))?;
            pieces.push(match &rest[open + 1..open + close] {
                "family" => Piece::Family,
                "family_latin" => Piece::FamilyLatin,
                "trade" => Piece::Trade,
                other => {
                    return Err(format!(
                        "form '{s}': {{{other}}} is not {{family}}, {{family_latin}} or {{trade}}"
                    ))
                }
            });
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Template(pieces))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn patterns_draw_what_they_say() {
        let p = Pattern::try_from("7911{0,2,8}[1-3]##".to_owned()).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            let n = p.draw(&mut rng);
            assert_eq!(n.len(), 8, "{n}");
            assert!(n.starts_with("7911"), "{n}");
            assert!("028".contains(&n[4..5]), "{n}");
            assert!("123".contains(&n[5..6]), "{n}");
            assert!(n.bytes().all(|b| b.is_ascii_digit()), "{n}");
        }
    }

    #[test]
    fn malformed_patterns_templates_and_lists_are_refused_with_the_reason() {
        for (bad, why) in [
            ("7x", "'x' is not a digit"),
            ("[9-2]", "a range is"),
            ("{1,,2}", "a choice lists"),
            ("{12", "not closed"),
            ("", "empty"),
        ] {
            let e = Pattern::try_from(bad.to_owned()).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let e = Template::try_from("{family} {shop}".to_owned()).unwrap_err();
        assert!(e.contains("{shop} is not"), "{e}");
        let e = serde_yaml_ng::from_str::<Weighted>("{a: 1, b: 0}").unwrap_err();
        assert!(e.to_string().contains("'b' has weight 0"), "{e}");
        let e = serde_yaml_ng::from_str::<Weighted>("{a: 1, a: 2}").unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        assert!(serde_yaml_ng::from_str::<List<String>>("[]").is_err());
        assert!(Name::try_from("山田|".to_owned()).is_err());
    }

    #[test]
    fn templates_fill_every_placeholder() {
        let t =
            Template::try_from("株式会社{family}商事 {family_latin}/{trade}.".to_owned()).unwrap();
        assert_eq!(
            t.fill("山田", "Yamada", "Trading"),
            "株式会社山田商事 Yamada/Trading."
        );
    }
}
