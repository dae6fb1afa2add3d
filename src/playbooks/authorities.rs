//! `authorities.yaml`: the directory of authorities a breach is reported to — who they are, the
//! regimes they take reports under, where and how (start page, form, other channels), in which
//! languages, and when the route was last checked. Obligations and regulator reports name their
//! authority from here (`Authorities::authority`).
use super::jurisdictions::Verification;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One authority.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    /// `CC-ACRONYM`, or `CC-REGION-ACRONYM` for sub-national ones (AUTHORITIES.md's scheme).
    pub id: String,
    /// In English.
    pub name: String,
    /// In the authority's own language(s), when different.
    #[serde(default)]
    pub local_name: Option<String>,
    /// The regimes (REGULATIONS.md ids) it takes breach reports under.
    #[serde(default)]
    pub regimes: Vec<String>,
    /// Why `regimes` is empty or partial.
    #[serde(default)]
    pub regimes_note: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// ISO 3166-2, for sub-national authorities.
    #[serde(default)]
    pub region: Option<String>,
    /// Whom it supervises, when that is narrower than its territory ("public sector").
    #[serde(default)]
    pub scope: Option<String>,
    /// The official page that describes or links the reporting route.
    #[serde(default)]
    pub start_page: Option<String>,
    #[serde(default)]
    pub start_page_note: Option<String>,
    /// Where the report is actually submitted.
    #[serde(default)]
    pub form: Form,
    /// E-mail, phone, post, e-government mailboxes, as published.
    #[serde(default)]
    pub other_channels: Option<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    /// The languages a report is accepted in.
    #[serde(default)]
    pub languages: Option<String>,
    /// How well the route was checked (REGULATIONS.md §0 tags).
    pub verification: Verification,
    /// When the route was last checked; never checked when unset.
    #[serde(default)]
    pub verified_on: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Where this entry comes from.
    pub source: String,
}

/// The report form or portal: its address when known (`url: null` when the form exists but its
/// address was not confirmed, or there is none), and what is known about it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub verification: Option<Verification>,
    #[serde(default)]
    pub note: Option<String>,
}

impl Authority {
    /// Whether the route should be checked again: last verified more than a year before
    /// `today`, or never.
    pub fn is_stale(&self, today: NaiveDate) -> bool {
        match self.verified_on {
            None => true,
            Some(d) => d
                .checked_add_months(Months::new(12))
                .is_none_or(|y| y < today),
        }
    }

    /// Whether the route itself is unverified (tag `U`).
    pub fn unverified(&self) -> bool {
        self.verification.unverified()
    }

    /// Whether it takes reports under `regime` for the whole of `country` (not one region, not a
    /// narrower scope): the authority of that country's residents.
    pub fn is_national_for(&self, regime: &str, country: &str) -> bool {
        self.country == country
            && self.region.is_none()
            && self.scope.is_none()
            && self.regimes.iter().any(|r| r == regime)
    }

    /// What the obligations and the CLI show of it: flags in words.
    pub fn flags(&self, today: NaiveDate) -> Vec<String> {
        let mut out = Vec::new();
        if self.unverified() {
            out.push("unverified route".to_owned());
        }
        if self.is_stale(today) {
            out.push(match self.verified_on {
                None => "route never verified".to_owned(),
                Some(d) => format!("route last verified {d}, over a year ago"),
            });
        }
        out
    }
}

/// The directory, by id.
#[derive(Debug, Clone, Default)]
pub struct Authorities(BTreeMap<String, Authority>);

impl Authorities {
    pub(super) fn from_list(list: Vec<Authority>) -> Result<Authorities, String> {
        let mut map = BTreeMap::new();
        for a in list {
            check(&a)?;
            if map.contains_key(&a.id) {
                return Err(format!("authority '{}' is listed twice", a.id));
            }
            map.insert(a.id.clone(), a);
        }
        Ok(Authorities(map))
    }

    /// The authority with this id (exact, as AUTHORITIES.md spells it).
    pub fn authority(&self, id: &str) -> Option<&Authority> {
        self.0.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Authority> {
        self.0.values()
    }

    /// The authority taking `regime` reports for the whole of `country`, if exactly one does.
    pub fn national(&self, regime: &str, country: &str) -> Option<&Authority> {
        let mut found = self.iter().filter(|a| a.is_national_for(regime, country));
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn check(a: &Authority) -> Result<(), String> {
    let at = |field: &str, why: String| Err(format!("authority '{}': {field}: {why}", a.id));
    if a.id.trim().is_empty() || a.id.contains(char::is_whitespace) {
        return at("id", "must be one word such as FR-CNIL".into());
    }
    if crate::domain::Country::parse(&a.country).is_err() {
        return at(
            "country",
            format!("'{}' is not an ISO 3166-1 code", a.country),
        );
    }
    if let Some(r) = &a.region {
        if !r.starts_with(&format!("{}-", a.country)) {
            return at("region", format!("'{r}' is not a region of {}", a.country));
        }
    }
    for url in a.start_page.iter().chain(a.form.url.iter()) {
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return at(
                "start_page/form.url",
                format!("'{url}' is not an http(s) address"),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(verified_on: Option<&str>, verification: Verification) -> Authority {
        Authority {
            id: "XX-TEST".into(),
            name: "Test".into(),
            local_name: None,
            regimes: vec!["EU-GDPR".into()],
            regimes_note: None,
            country: "FR".into(),
            region: None,
            scope: None,
            start_page: None,
            start_page_note: None,
            form: Form::default(),
            other_channels: None,
            emails: vec![],
            languages: None,
            verification,
            verified_on: verified_on.map(|d| d.parse().unwrap()),
            notes: None,
            source: "test".into(),
        }
    }

    #[test]
    fn an_entry_checked_over_a_year_ago_or_never_is_flagged() {
        let today: NaiveDate = "2027-12-01".parse().unwrap();
        assert!(
            !one(Some("2026-12-01"), Verification::V1).is_stale(today),
            "exactly a year"
        );
        assert!(one(Some("2026-11-30"), Verification::V1).is_stale(today));
        assert!(one(None, Verification::V1).is_stale(today));
        let flags = one(Some("2026-11-30"), Verification::U).flags(today);
        assert_eq!(flags.len(), 2, "{flags:?}");
        assert!(flags[1].contains("2026-11-30"), "{flags:?}");
    }
}
