//! Jurisdiction rules as data: one regime per file in `playbooks/jurisdictions/<ID>.yaml`
//! (`schema`), the public holidays business days skip (`playbooks/holidays/<calendar>.yaml`,
//! `holidays`), and the arithmetic of deadlines in each jurisdiction's time zone (`clock`).
//! `evaluate` turns the rules, the organisation and the facts of one incident into the
//! obligations it creates: pure, so obligations, notices and the CLI share one reading.
//!
//! Loaded at start-up with the other playbooks; a file that does not parse, or that names a
//! code, authority, calendar or obligation that does not exist, stops start-up with the file,
//! the field and the reason.
pub mod clock;
mod conditions;
mod due;
pub mod evaluate;
pub mod holidays;
mod schema;
mod substitute;

pub use evaluate::{Clocks, Counts, Due, Finding, Situation};
pub use holidays::Calendar;
pub use schema::{
    Alternative, Audience, ClockStart, ConditionalContent, Counted, Deadline, FlagCondition,
    ObligationRule, Residence, Rule, Substitute, SubstituteWhen, Threshold, Trigger, Unit,
    Verification,
};

use super::authorities::Authorities;
use super::{read_yaml, PlaybookError};
use crate::assets::Assets;
use crate::domain::{Country, Region, BASE_CATEGORIES};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// Every regime's rule, the holiday calendars and the authority directory.
#[derive(Debug, Clone, Default)]
pub struct Jurisdictions {
    pub rules: BTreeMap<String, Rule>,
    pub calendars: BTreeMap<String, Calendar>,
    pub authorities: Authorities,
}

impl Rule {
    /// The time zone days are counted in.
    pub fn zone(&self) -> Tz {
        self.time_zone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or(Tz::UTC)
    }

    /// Whether someone living in `country` / `region` is in the rule's territory.
    pub fn covers(&self, country: Option<&str>, region: Option<&str>) -> bool {
        let r = &self.residence;
        r.anywhere
            || country.is_some_and(|c| r.countries.iter().any(|x| x == c))
            || region.is_some_and(|g| r.regions.iter().any(|x| x == g))
    }
}

impl Jurisdictions {
    pub fn load(assets: &Assets) -> Result<Jurisdictions, PlaybookError> {
        let origin = |e: std::io::Error| PlaybookError::new(assets.origin(), e.to_string());
        let authorities = match read_yaml::<Vec<super::Authority>>(assets, "authorities.yaml")? {
            None => Authorities::default(),
            Some(list) => Authorities::from_list(list)
                .map_err(|r| PlaybookError::new(assets.describe("authorities.yaml"), r))?,
        };
        let mut calendars = BTreeMap::new();
        for rel in yaml_files(assets.files("holidays").map_err(origin)?) {
            let fail = |reason: String| PlaybookError::new(assets.describe(&rel), reason);
            let file: holidays::HolidayFile =
                read_yaml(assets, &rel)?.ok_or_else(|| fail("the file went away".into()))?;
            if file.calendar != stem(&rel) {
                return Err(fail(format!(
                    "calendar: '{}' must be the file's name ('{}')",
                    file.calendar,
                    stem(&rel)
                )));
            }
            let cal = Calendar::from_file(file).map_err(fail)?;
            calendars.insert(cal.id.clone(), cal);
        }
        let mut rules = BTreeMap::new();
        for rel in yaml_files(assets.files("jurisdictions").map_err(origin)?) {
            let fail = |reason: String| PlaybookError::new(assets.describe(&rel), reason);
            let rule: Rule =
                read_yaml(assets, &rel)?.ok_or_else(|| fail("the file went away".into()))?;
            if rule.id != stem(&rel) {
                return Err(fail(format!(
                    "id: '{}' must be the file's name ('{}')",
                    rule.id,
                    stem(&rel)
                )));
            }
            check(&rule, &calendars, &authorities).map_err(fail)?;
            rules.insert(rule.id.clone(), (rel.clone(), rule));
        }
        // Clock starts that name another obligation must name one that exists.
        for (rel, rule) in rules.values() {
            for (i, o) in rule.obligations.iter().enumerate() {
                if let Some(after) = &o.deadline.after {
                    let found = after.split_once('/').is_some_and(|(regime, id)| {
                        rules
                            .get(regime)
                            .is_some_and(|(_, r)| r.obligations.iter().any(|x| x.id == id))
                    });
                    if !found {
                        return Err(PlaybookError::new(
                            assets.describe(rel),
                            format!("obligations[{i}].deadline.after: no obligation '{after}' (REGIME/id)"),
                        ));
                    }
                }
            }
        }
        Ok(Jurisdictions {
            rules: rules.into_iter().map(|(k, (_, r))| (k, r)).collect(),
            calendars,
            authorities,
        })
    }

    /// The rule of a regime, its id matched case-insensitively (`us-ca`).
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        let id = id.trim();
        self.rules
            .get(id)
            .or_else(|| self.rules.values().find(|r| r.id.eq_ignore_ascii_case(id)))
    }

    pub fn calendar(&self, rule: &Rule) -> Option<&Calendar> {
        rule.holidays.as_deref().and_then(|c| self.calendars.get(c))
    }
}

fn yaml_files(files: Vec<String>) -> Vec<String> {
    files
        .into_iter()
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
        .collect()
}

fn stem(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.trim_end_matches(".yaml").trim_end_matches(".yml")
}

fn word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// What the parser cannot check; the error names the field.
fn check(
    rule: &Rule,
    calendars: &BTreeMap<String, Calendar>,
    authorities: &Authorities,
) -> Result<(), String> {
    let res = &rule.residence;
    if res.anywhere != (res.countries.is_empty() && res.regions.is_empty()) {
        return Err(
            "residence: name countries or regions, or set anywhere: true (not both)".into(),
        );
    }
    for c in &res.countries {
        if Country::parse(c).map(|p| p.as_str() != c).unwrap_or(true) {
            return Err(format!(
                "residence.countries: '{c}' is not an ISO 3166-1 code in capitals"
            ));
        }
    }
    for r in &res.regions {
        if Region::parse(r).map(|p| p.as_str() != r).unwrap_or(true) {
            return Err(format!(
                "residence.regions: '{r}' is not an ISO 3166-2 code in capitals"
            ));
        }
        if res
            .countries
            .iter()
            .any(|c| r.starts_with(&format!("{c}-")))
        {
            return Err(format!(
                "residence.regions: '{r}' is inside a country already listed (people would count twice)"
            ));
        }
    }
    if let Some(z) = &rule.time_zone {
        z.parse::<Tz>()
            .map_err(|_| format!("time_zone: '{z}' is not an IANA time zone"))?;
    }
    if let Some(c) = &rule.holidays {
        if !calendars.contains_key(c) {
            return Err(format!("holidays: no calendar '{c}' in playbooks/holidays"));
        }
    }
    check_trigger("trigger", &rule.trigger)?;
    for e in &rule.prohibited_contents {
        if !word(e) {
            return Err(format!(
                "prohibited_contents: '{e}' is not a snake_case element"
            ));
        }
    }
    if rule.obligations.is_empty() {
        return Err("obligations: list at least one".into());
    }
    for (i, o) in rule.obligations.iter().enumerate() {
        let at = |field: &str| format!("obligations[{i}] ({}).{field}", o.id);
        if !word(&o.id) {
            return Err(format!(
                "{}: must be a lower-case word such as authority",
                at("id")
            ));
        }
        if rule.obligations[..i].iter().any(|x| x.id == o.id) {
            return Err(format!("{}: '{}' is used twice", at("id"), o.id));
        }
        for a in &o.authorities {
            if authorities.authority(a).is_none() {
                return Err(format!(
                    "{}: '{a}' is not in authorities.yaml",
                    at("authorities")
                ));
            }
        }
        if o.authority_by_residence && !o.authorities.is_empty() {
            return Err(format!(
                "{}: give authorities or authority_by_residence, not both",
                at("authorities")
            ));
        }
        if o.audience == Audience::Authority
            && o.authorities.is_empty()
            && !o.authority_by_residence
            && o.authority_note.is_none()
        {
            return Err(format!(
                "{}: an authority audience needs authorities, authority_by_residence or authority_note",
                at("authorities")
            ));
        }
        check_trigger(&at("trigger"), &o.trigger)?;
        if let Some(t) = &o.threshold {
            if t.comparators() != 1 {
                return Err(format!(
                    "{}: give exactly one of more_than, at_least, fewer_than",
                    at("threshold")
                ));
            }
            if t.of == Counted::EachRegion && res.regions.is_empty() && res.countries.is_empty() {
                return Err(format!(
                    "{}: each_region needs countries or regions in residence",
                    at("threshold.of")
                ));
            }
        }
        for (k, alt) in o.any_of.iter().enumerate() {
            let here = at(&format!("any_of[{k}]"));
            check_trigger(
                &here,
                &Trigger {
                    data_any_of: alt.data_any_of.clone(),
                    ..Trigger::default()
                },
            )?;
            if alt.threshold.as_ref().is_some_and(|t| t.comparators() != 1) {
                return Err(format!("{here}.threshold: give exactly one comparator"));
            }
            if alt.data_any_of.is_empty() && alt.risk_at_least.is_none() && alt.threshold.is_none()
            {
                return Err(format!("{here}: give a condition"));
            }
        }
        let d = &o.deadline;
        if d.value.is_some() != d.unit.is_some() {
            return Err(format!(
                "{}: give value and unit together, or neither (no fixed time)",
                at("deadline")
            ));
        }
        if d.value == Some(0) {
            return Err(format!("{}: must be at least 1", at("deadline.value")));
        }
        if (d.from == ClockStart::ObligationDone) != d.after.is_some() {
            return Err(format!(
                "{}: after names the obligation exactly when from is obligation_done",
                at("deadline.after")
            ));
        }
        if d.unit == Some(Unit::BusinessDays) && rule.holidays.is_none() {
            return Err(format!(
                "{}: business days need the rule's holidays calendar",
                at("deadline.unit")
            ));
        }
        for e in o.contents.iter().chain(&o.optional_contents) {
            if !word(e) {
                return Err(format!(
                    "{}: '{e}' is not a snake_case element",
                    at("contents")
                ));
            }
        }
        for c in &o.contents_when {
            if !word(&c.element) {
                return Err(format!(
                    "{}: '{}' is not a snake_case element",
                    at("contents_when"),
                    c.element
                ));
            }
            check_categories(&at("contents_when.data_any"), &c.data_any)?;
        }
        if let Some(s) = &o.substitute {
            let w = &s.when;
            if w.cost_more_than_usd.is_none()
                && w.people_more_than.is_none()
                && w.unreachable_at_least.is_none()
            {
                return Err(format!(
                    "{}: name at least one condition",
                    at("substitute.when")
                ));
            }
            if s.methods.is_empty() || s.methods.iter().any(|m| !word(m)) {
                return Err(format!(
                    "{}: list snake_case methods such as website",
                    at("substitute.methods")
                ));
            }
        }
    }
    Ok(())
}

fn check_categories(at: &str, cats: &[String]) -> Result<(), String> {
    match cats.iter().find(|c| !BASE_CATEGORIES.contains(&c.as_str())) {
        Some(bad) => Err(format!("{at}: '{bad}' is not a base data category")),
        None if cats.is_empty() => Err(format!("{at}: list at least one category")),
        None => Ok(()),
    }
}

fn check_trigger(at: &str, t: &Trigger) -> Result<(), String> {
    for set in &t.data_any_of {
        check_categories(&format!("{at}.data_any_of"), set)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
