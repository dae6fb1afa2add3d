//! The tables the demo buyers are drawn from, as data: `data/*.yaml`, embedded in the binary and
//! parsed once. Data rather than code so that a new country, language or phone range is an edit
//! to a table that says what it is, not to a `match`.
//!
//! Parsing checks what the generator relies on (every reference resolves, every list it picks
//! from has something in it, every chance is a probability), so drawing never fails. Whether
//! the importer accepts what the tables produce is checked by the tests in `demo::data_tests`.
use super::values::{List, Name, Pattern, Template, Weighted};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Everything the generator draws from.
pub(super) struct Data {
    pub markets: Vec<Market>,
    pub names: Names,
    pub phones: BTreeMap<String, PhonePlan>,
    pub companies: Companies,
    pub buyers: BuyerTables,
}

/// The embedded tables. A malformed table fails here, on first use; `demo::data_tests` parses
/// them, so such a build never passes its tests.
pub(super) static DATA: LazyLock<Data> = LazyLock::new(|| match Data::parse() {
    Ok(data) => data,
    Err(e) => panic!("the embedded demo data is invalid: {e}"),
});

/// A country where buyers live (markets.yaml).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Market {
    pub country: String,
    pub weight: u32,
    /// `None`: the country records no regions. A region of `-` is "not known".
    #[serde(default)]
    pub regions: Option<Weighted>,
    pub locales: Weighted,
    #[serde(default)]
    pub locales_by_region: BTreeMap<String, Weighted>,
}

impl Market {
    /// The locales buyers in `region` speak.
    pub fn locales(&self, region: Option<&str>) -> &Weighted {
        region
            .and_then(|r| self.locales_by_region.get(r))
            .unwrap_or(&self.locales)
    }
}

/// Name sets and which buyers get which (names.yaml).
pub(super) struct Names {
    sets: Vec<NameSet>,
    /// (country, language, set): the first that matches decides.
    rules: Vec<(Option<String>, Option<String>, usize)>,
    /// The set of the last rule, which matches everyone.
    fallback: usize,
}

/// How people of one culture are named.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NameSet {
    pub order: Order,
    pub given: List<Name>,
    pub family: List<Name>,
}

/// How a full name is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(super) enum Order {
    /// "Anna Müller"
    #[serde(rename = "given family")]
    GivenFamily,
    /// "山田 太郎", "Tan Wei Ming"
    #[serde(rename = "family given")]
    FamilySpaceGiven,
    /// "王伟", "김민준"
    #[serde(rename = "familygiven")]
    FamilyGiven,
}

impl Names {
    /// Whose names a buyer in `country` speaking `locale` has: by the rules in names.yaml.
    pub fn for_buyer(&self, country: &str, locale: &str) -> &NameSet {
        let language = locale.split('-').next().unwrap_or(locale);
        let set = self
            .rules
            .iter()
            .find(|(c, l, _)| {
                c.as_deref().is_none_or(|c| c == country)
                    && l.as_deref().is_none_or(|l| l == language)
            })
            .map_or(self.fallback, |(_, _, set)| *set);
        &self.sets[set]
    }

    #[cfg(test)]
    pub fn fallback(&self) -> &NameSet {
        &self.sets[self.fallback]
    }

    #[cfg(test)]
    pub fn sets(&self) -> &[NameSet] {
        &self.sets
    }
}

/// How a country's phone numbers are made (phones.yaml).
#[derive(Debug)]
pub(super) struct PhonePlan {
    /// The country calling code, without `+`.
    pub code: String,
    pub kind: PlanKind,
}

#[derive(Debug)]
pub(super) enum PlanKind {
    /// A national significant number from `first`, or half the time from `second`.
    Mobile {
        trunk: String,
        first: Pattern,
        second: Option<Pattern>,
    },
    /// An area code (by region where `by_region` names it) and a two-part subscriber number.
    Area {
        area: Pattern,
        by_region: BTreeMap<String, Pattern>,
        exchange: Pattern,
        line: Pattern,
    },
}

/// Company names (companies.yaml).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Companies {
    pub trades: List<String>,
    forms: BTreeMap<String, List<Template>>,
    other_countries: List<Template>,
}

impl Companies {
    /// The legal forms of company names in `country`.
    pub fn forms(&self, country: &str) -> &List<Template> {
        self.forms.get(country).unwrap_or(&self.other_countries)
    }
}

/// Profile attributes, categories and the buyers placed by hand (buyers.yaml).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BuyerTables {
    pub segments: Weighted,
    pub company_types: Weighted,
    pub annual_volumes: Weighted,
    pub purchase_frequencies: Weighted,
    pub signup_channels: Weighted,
    pub products: List<String>,
    pub email_domains: Weighted,
    pub categories: Vec<Chance>,
    pub showcase: Showcase,
    pub awkward_homes: Vec<Home>,
}

/// A data category a buyer holds with the given chance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Chance {
    pub category: String,
    pub share: f64,
    /// The chance for buyers with a push token, where it differs.
    #[serde(default)]
    pub with_push: Option<f64>,
}

/// `demo-00001`, the buyer the README points at.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Showcase {
    pub name: String,
    pub country: String,
    #[serde(default)]
    pub region: Option<String>,
    pub locale: String,
    pub company: String,
    pub email: String,
    pub categories: Vec<String>,
}

/// Where a buyer with an awkward name lives, and the names their contact points are made of.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Home {
    pub name: String,
    pub country: String,
    #[serde(default)]
    pub region: Option<String>,
    pub locale: String,
    pub given: Name,
    pub family: Name,
}

// ---- Parsing -------------------------------------------------------------------------------

/// names.yaml as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamesFile {
    sets: BTreeMap<String, NameSet>,
    choose: Vec<NameRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameRule {
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    language: Option<String>,
    names: String,
}

/// A country in phones.yaml as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    code: String,
    #[serde(default)]
    trunk: String,
    #[serde(default)]
    mobile: Vec<Pattern>,
    #[serde(default)]
    area: Option<Pattern>,
    #[serde(default)]
    area_by_region: BTreeMap<String, Pattern>,
    #[serde(default)]
    subscriber: Vec<Pattern>,
}

impl Data {
    /// The embedded tables.
    pub(super) fn parse() -> Result<Data, String> {
        Data::from_yaml(
            include_str!("data/markets.yaml"),
            include_str!("data/names.yaml"),
            include_str!("data/phones.yaml"),
            include_str!("data/companies.yaml"),
            include_str!("data/buyers.yaml"),
        )
    }

    /// The tables from the texts of markets.yaml, names.yaml, phones.yaml, companies.yaml and
    /// buyers.yaml; the error names the file and what is wrong.
    pub(super) fn from_yaml(
        markets: &str,
        names: &str,
        phones: &str,
        companies: &str,
        buyers: &str,
    ) -> Result<Data, String> {
        let names: NamesFile = yaml("names.yaml", names)?;
        let phones: BTreeMap<String, PlanFile> = yaml("phones.yaml", phones)?;
        let data = Data {
            markets: yaml("markets.yaml", markets)?,
            names: names_from(names).map_err(|e| format!("names.yaml: {e}"))?,
            phones: phones
                .into_iter()
                .map(|(country, p)| {
                    let plan = plan_from(p).map_err(|e| format!("phones.yaml: {country}: {e}"))?;
                    Ok((country, plan))
                })
                .collect::<Result<_, String>>()?,
            companies: yaml("companies.yaml", companies)?,
            buyers: yaml("buyers.yaml", buyers)?,
        };
        data.check()?;
        Ok(data)
    }

    /// What no single file can check: references between them, and what the generator needs.
    fn check(&self) -> Result<(), String> {
        if self.markets.is_empty() {
            return Err("markets.yaml: no markets".into());
        }
        let mut total: u32 = 0;
        for m in &self.markets {
            let at = format!("markets.yaml: {}", m.country);
            if m.weight == 0 {
                return Err(format!("{at}: weight 0: weights are positive"));
            }
            total = total
                .checked_add(m.weight)
                .ok_or_else(|| format!("{at}: the weights add up to too much"))?;
            self.check_country(&at, &m.country)?;
        }
        let b = &self.buyers;
        self.check_country("buyers.yaml: showcase", &b.showcase.country)?;
        for (i, h) in b.awkward_homes.iter().enumerate() {
            self.check_country(&format!("buyers.yaml: awkward_homes[{i}]"), &h.country)?;
        }
        if !b
            .segments
            .values()
            .any(|s| s == super::generate::INDIVIDUAL)
        {
            return Err("buyers.yaml: segments: no \"individual\" segment".into());
        }
        if b.products.distinct() < super::generate::MAX_PRODUCTS {
            return Err(format!(
                "buyers.yaml: products: fewer than {} different products",
                super::generate::MAX_PRODUCTS
            ));
        }
        for c in &b.categories {
            let mut shares = std::iter::once(c.share).chain(c.with_push);
            if shares.any(|p| !(0.0..=1.0).contains(&p)) {
                return Err(format!(
                    "buyers.yaml: {}: a share is a chance from 0 to 1",
                    c.category
                ));
            }
        }
        Ok(())
    }

    /// Buyers in `country` need a phone plan.
    fn check_country(&self, at: &str, country: &str) -> Result<(), String> {
        if self.phones.contains_key(country) {
            Ok(())
        } else {
            Err(format!("{at}: no phone plan for {country} in phones.yaml"))
        }
    }
}

fn yaml<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, String> {
    serde_yaml_ng::from_str(text).map_err(|e| format!("{file}: {e}"))
}

fn names_from(file: NamesFile) -> Result<Names, String> {
    let keys: Vec<String> = file.sets.keys().cloned().collect();
    let mut rules = Vec::with_capacity(file.choose.len());
    for r in file.choose {
        let set = keys
            .iter()
            .position(|k| *k == r.names)
            .ok_or_else(|| format!("choose: no set named '{}'", r.names))?;
        rules.push((r.country, r.language, set));
    }
    let fallback = match rules.last() {
        Some((None, None, set)) => *set,
        _ => return Err("choose: the last rule must match everyone (names only)".into()),
    };
    Ok(Names {
        sets: file.sets.into_values().collect(),
        rules,
        fallback,
    })
}

fn plan_from(p: PlanFile) -> Result<PhonePlan, String> {
    let kind = match (p.mobile.len(), p.area, p.subscriber.len()) {
        (1 | 2, None, 0) if p.area_by_region.is_empty() => {
            let mut patterns = p.mobile.into_iter();
            PlanKind::Mobile {
                trunk: p.trunk,
                first: patterns.next().ok_or("no mobile pattern")?,
                second: patterns.next(),
            }
        }
        (0, Some(area), 2) if p.trunk.is_empty() => {
            let mut parts = p.subscriber.into_iter();
            PlanKind::Area {
                area,
                by_region: p.area_by_region,
                exchange: parts.next().ok_or("no subscriber pattern")?,
                line: parts.next().ok_or("no subscriber pattern")?,
            }
        }
        _ => {
            return Err(
                "give one or two `mobile` patterns (and a `trunk`), or an `area` and two \
                        `subscriber` patterns"
                    .into(),
            )
        }
    };
    if p.code.is_empty() || !p.code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("code '{}' is not a country calling code", p.code));
    }
    Ok(PhonePlan { code: p.code, kind })
}
