//! The typed form of `playbooks/jurisdictions/<ID>.yaml`: one regime per file. Every struct
//! refuses unknown fields, so a misspelt key stops start-up instead of silently meaning nothing;
//! what the parser cannot check (codes, ids, one-of fields) `check` does.
use super::super::OrgFlag;
use crate::domain::{RiskLevel, Severity};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How well a rule (or one part of it) was checked, as REGULATIONS.md §0 tags it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
pub enum Verification {
    /// The statutory or regulatory text itself was read.
    V1,
    /// A reputable secondary source (regulator guidance, law-firm alert).
    V2,
    /// Only an open-source dataset.
    DS,
    /// Unverified: every output that uses it says so.
    U,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::V1 => "V1",
            Verification::V2 => "V2",
            Verification::DS => "DS",
            Verification::U => "U",
        }
    }

    pub fn unverified(self) -> bool {
        self == Verification::U
    }
}

/// Who is told (API.md's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Authority,
    Individuals,
    Media,
    CreditBureaus,
    Public,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Authority => "authority",
            Audience::Individuals => "individuals",
            Audience::Media => "media",
            Audience::CreditBureaus => "credit_bureaus",
            Audience::Public => "public",
        }
    }
}

/// One regime: where it applies, what triggers it, and what it obliges.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The regime id as REGULATIONS.md names it; the file is named after it.
    pub id: String,
    pub name: String,
    /// Where the rule comes from (statute, and the sources it was checked in).
    pub source: String,
    /// The rule's tag; an obligation may carry its own.
    pub verification: Verification,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Where the affected people live for the rule to apply.
    pub residence: Residence,
    /// Flags the organisation must (or must not) declare.
    #[serde(default)]
    pub organisation: FlagCondition,
    #[serde(default)]
    pub trigger: Trigger,
    /// IANA time zone days are counted in (end of day, business days); UTC when unset.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The holiday calendar business days skip (`playbooks/holidays/<calendar>.yaml`).
    #[serde(default)]
    pub holidays: Option<String>,
    /// The rule does not apply before this day (a law not yet in force).
    #[serde(default)]
    pub in_force_from: Option<NaiveDate>,
    /// What notices to people resident here must NOT say (Massachusetts: the nature of the
    /// breach and the number of residents affected).
    #[serde(default)]
    pub prohibited_contents: Vec<String>,
    pub obligations: Vec<ObligationRule>,
}

/// Countries (ISO 3166-1 alpha-2) and regions (ISO 3166-2); `anywhere` for rules that follow the
/// organisation rather than where people live (HIPAA, SEC).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Residence {
    #[serde(default)]
    pub countries: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub anywhere: bool,
}

/// Organisation flags: all of `all` declared, none of `none`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlagCondition {
    #[serde(default)]
    pub all: Vec<OrgFlag>,
    #[serde(default)]
    pub none: Vec<OrgFlag>,
}

impl FlagCondition {
    pub fn is_empty(&self) -> bool {
        self.all.is_empty() && self.none.is_empty()
    }
}

/// What about the incident triggers a rule or an obligation; every condition given must hold.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The incident's base data categories include all of at least one of these sets
    /// ("name + government_id").
    #[serde(default)]
    pub data_any_of: Vec<Vec<String>>,
    /// The incident's risk assessment is at least this (not assessed: presumed).
    #[serde(default)]
    pub risk_at_least: Option<RiskLevel>,
    /// The incident's severity is at least this.
    #[serde(default)]
    pub severity_at_least: Option<Severity>,
}

/// Whose count a threshold is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Counted {
    /// The people living where the rule applies.
    Residents,
    /// Everyone affected, wherever they live.
    Everyone,
    /// The residents of each region of the rule, separately: one obligation per region
    /// ("more than 500 residents of a State").
    EachRegion,
}

/// A count of people compared as the statute words it: "more than N", "N or more", or
/// "fewer than N" (HIPAA's annual log of breaches under 500).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub of: Counted,
    #[serde(default)]
    pub more_than: Option<u64>,
    #[serde(default)]
    pub at_least: Option<u64>,
    #[serde(default)]
    pub fewer_than: Option<u64>,
}

impl Threshold {
    /// How many comparators are set (`check` wants exactly one).
    pub fn comparators(&self) -> usize {
        [self.more_than, self.at_least, self.fewer_than]
            .iter()
            .filter(|c| c.is_some())
            .count()
    }

    /// Whether `n` meets the threshold.
    pub fn met(&self, n: u64) -> bool {
        match (self.more_than, self.at_least, self.fewer_than) {
            (Some(m), _, _) => n > m,
            (None, Some(m), _) => n >= m,
            (None, None, Some(m)) => n < m,
            (None, None, None) => true,
        }
    }

    /// "more than 500" / "500 or more" / "fewer than 500".
    pub fn words(&self) -> String {
        match (self.more_than, self.at_least, self.fewer_than) {
            (Some(m), _, _) => format!("more than {m}"),
            (None, Some(m), _) => format!("{m} or more"),
            (None, None, Some(m)) => format!("fewer than {m}"),
            (None, None, None) => "any number of".into(),
        }
    }
}

/// One of several alternative conditions, any of which makes an obligation apply (Japan: special
/// care-required data, or data whose misuse may cause financial damage, or more than 1,000
/// people). Every condition an alternative gives must hold.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    /// The alternative in words, as the law puts it.
    pub label: String,
    #[serde(default)]
    pub data_any_of: Vec<Vec<String>>,
    #[serde(default)]
    pub risk_at_least: Option<RiskLevel>,
    #[serde(default)]
    pub threshold: Option<Threshold>,
}

/// Units of a deadline (REGULATIONS.md §0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Hours,
    CalendarDays,
    BusinessDays,
    Month,
}

impl Unit {
    pub fn words(self, n: u32) -> String {
        let (one, many) = match self {
            Unit::Hours => ("hour", "hours"),
            Unit::CalendarDays => ("calendar day", "calendar days"),
            Unit::BusinessDays => ("business day", "business days"),
            Unit::Month => ("month", "months"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

/// When a deadline's clock starts (REGULATIONS.md §0), plus `obligation_done`: when another
/// obligation of the incident was fulfilled (NIS2's final report a month after the incident
/// notification; New York's copy five business days after notifying HHS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    Awareness,
    Discovery,
    Determination,
    NotifiableAssessment,
    IndividualNoticeSent,
    MaterialityDetermination,
    HandlingEnd,
    ObligationDone,
    /// The end of the calendar year in which the breach was discovered (HIPAA's annual notice
    /// of breaches affecting fewer than 500 people).
    EndOfDiscoveryYear,
}

impl ClockStart {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockStart::Awareness => "awareness",
            ClockStart::Discovery => "discovery",
            ClockStart::Determination => "determination",
            ClockStart::NotifiableAssessment => "notifiable_assessment",
            ClockStart::IndividualNoticeSent => "individual_notice_sent",
            ClockStart::MaterialityDetermination => "materiality_determination",
            ClockStart::HandlingEnd => "handling_end",
            ClockStart::ObligationDone => "obligation_done",
            ClockStart::EndOfDiscoveryYear => "end_of_discovery_year",
        }
    }
}

/// By when. A number is the limit even where the law words it "without undue delay and not
/// later than"; without one there is no fixed time (`due_at: null`), and `qualifier` says what
/// the law says instead ("immediately", "as soon as practicable").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    #[serde(default)]
    pub value: Option<u32>,
    #[serde(default)]
    pub unit: Option<Unit>,
    pub from: ClockStart,
    /// With `from: obligation_done`: the obligation (`REGIME/id`) whose fulfilment starts it.
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub qualifier: Option<String>,
    /// The deadline is doubled for organisations with this flag (LGPD small agents).
    #[serde(default)]
    pub doubled_for: Option<OrgFlag>,
}

impl Deadline {
    /// The fixed limit, if the law gives one.
    pub fn limit(&self) -> Option<(u32, Unit)> {
        self.value.zip(self.unit)
    }
}

/// An element the notice must hold only when the incident involves certain data (California:
/// the credit bureaus' numbers when a social security or ID number was exposed).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionalContent {
    pub element: String,
    pub data_any: Vec<String>,
}

/// How many people the organisation cannot reach, and at what cost: when a substitute (public)
/// notice may or must replace individual notice. Any one condition given is enough.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubstituteWhen {
    /// Notifying everyone individually would cost more than this (USD; organisation.yaml's
    /// `notice_cost_per_person_usd` × people).
    #[serde(default)]
    pub cost_more_than_usd: Option<f64>,
    /// More than this many people would have to be notified.
    #[serde(default)]
    pub people_more_than: Option<u64>,
    /// Whose count `people_more_than` is about (residents unless said).
    #[serde(default)]
    pub people_of: Option<Counted>,
    /// At least this many people cannot be reached (no contact point before dispatch, no
    /// channel reached them after).
    #[serde(default)]
    pub unreachable_at_least: Option<u64>,
}

/// A substitute notice: the public announcement (and media) the law accepts, or requires, when
/// individual notice fails or costs too much.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Substitute {
    pub when: SubstituteWhen,
    /// What it consists of: `email`, `website`, `media`, `statewide_media`, `toll_free_number`,
    /// `public_communication`, …
    pub methods: Vec<String>,
    /// How long the website posting must stay up (days).
    #[serde(default)]
    pub keep_days: Option<u32>,
    pub source: String,
    #[serde(default)]
    pub verification: Option<Verification>,
    #[serde(default)]
    pub notes: Vec<String>,
}

/// One thing the regime obliges: tell this audience, by then, with this.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ObligationRule {
    /// Unique within the rule: the obligation's key is `REGIME/id`.
    pub id: String,
    pub audience: Audience,
    /// What to do, in a few words ("Notify the Attorney General").
    pub title: String,
    /// Authorities from the directory: one obligation each.
    #[serde(default)]
    pub authorities: Vec<String>,
    /// The authority of each country of residence (one obligation per country), unless
    /// organisation.yaml names a lead authority for the regime.
    #[serde(default)]
    pub authority_by_residence: bool,
    /// Who, in words, where the directory has no entry ("the national CSIRT").
    #[serde(default)]
    pub authority_note: Option<String>,
    #[serde(default)]
    pub organisation: FlagCondition,
    #[serde(default)]
    pub trigger: Trigger,
    #[serde(default)]
    pub threshold: Option<Threshold>,
    /// Alternatives, at least one of which must hold (besides `trigger` and `threshold`).
    #[serde(default)]
    pub any_of: Vec<Alternative>,
    pub deadline: Deadline,
    /// What the notice or report must contain (an element vocabulary: see notices'
    /// completeness check for the ones Tocsin fills from the incident).
    #[serde(default)]
    pub contents: Vec<String>,
    /// Elements the law asks for "where possible" or "if determinable".
    #[serde(default)]
    pub optional_contents: Vec<String>,
    #[serde(default)]
    pub contents_when: Vec<ConditionalContent>,
    #[serde(default)]
    pub substitute: Option<Substitute>,
    pub source: String,
    #[serde(default)]
    pub verification: Option<Verification>,
    #[serde(default)]
    pub notes: Vec<String>,
}
