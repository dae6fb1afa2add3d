//! `organisation.yaml`: who sends the notices, how affected people reach them, and what the
//! jurisdiction rules need to know about the organisation (its flags, its lead authorities, the
//! statements its notices carry where a law requires them).
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the organisation is, where a rule depends on it. A rule that names a flag applies only
/// when the organisation declares it (or, for `none`, only when it does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgFlag {
    /// A HIPAA covered entity (health plan, provider, clearinghouse): US-HIPAA.
    HipaaCoveredEntity,
    /// An SEC registrant (listed company): Form 8-K Item 1.05.
    ListedCompany,
    /// An essential or important entity under NIS2.
    Nis2Entity,
    /// A critical information infrastructure operator in the PRC (CAC 2025 Measures: 1 hour).
    CiiOperator,
    /// A central or state organ unit in the PRC (CAC 2025 Measures: 2 hours).
    StateOrgan,
    /// A provider of public electronic communications services (ePrivacy, PECR: 24 hours).
    PublicEcommsProvider,
    /// A small processing agent under Brazil's LGPD (ANPD deadlines doubled).
    SmallAgent,
    /// A covered entity under 23 NYCRR 500 (New York DFS is notified too).
    NyDfsCoveredEntity,
    /// A small business outside Australia's Privacy Act (turnover ≤ AU$3M, not otherwise
    /// covered): no notifiable data breach scheme.
    AuSmallBusiness,
}

impl OrgFlag {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgFlag::HipaaCoveredEntity => "hipaa_covered_entity",
            OrgFlag::ListedCompany => "listed_company",
            OrgFlag::Nis2Entity => "nis2_entity",
            OrgFlag::CiiOperator => "cii_operator",
            OrgFlag::StateOrgan => "state_organ",
            OrgFlag::PublicEcommsProvider => "public_ecomms_provider",
            OrgFlag::SmallAgent => "small_agent",
            OrgFlag::NyDfsCoveredEntity => "ny_dfs_covered_entity",
            OrgFlag::AuSmallBusiness => "au_small_business",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    #[serde(default)]
    pub website: String,
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub dpo: String,
    #[serde(default)]
    pub response_time: String,
    /// The kinds of people whose data the organisation holds (customers, staff, …), named in
    /// regulator reports (GDPR Art. 33(3)(a) "categories of data subjects").
    #[serde(default)]
    pub data_subject_categories: Vec<String>,
    /// What the organisation is, for rules that depend on it.
    #[serde(default)]
    pub flags: Vec<OrgFlag>,
    /// Regime → authority id (playbooks/authorities.yaml): the one authority to notify where the
    /// rule would otherwise name one per country of residence (the GDPR's lead supervisory
    /// authority under the one-stop shop).
    #[serde(default)]
    pub lead_authorities: BTreeMap<String, String>,
    /// Element → text: statements a jurisdiction requires in notices that Tocsin cannot write
    /// from the incident (how to get a security freeze, the credit bureaus' numbers, …). Each
    /// person's notice carries the ones their jurisdiction requires.
    #[serde(default)]
    pub notice_statements: BTreeMap<String, String>,
    /// What notifying one person individually costs (USD), for the substitute-notice cost
    /// thresholds of US states; unknown when unset.
    #[serde(default)]
    pub notice_cost_per_person_usd: Option<f64>,
}

impl Organisation {
    /// How people reach the organisation: its e-mail, and its phone when it has one.
    pub fn contact_line(&self) -> String {
        if self.contact_phone.is_empty() {
            self.contact_email.clone()
        } else {
            format!("{} or {}", self.contact_email, self.contact_phone)
        }
    }

    pub fn has(&self, flag: OrgFlag) -> bool {
        self.flags.contains(&flag)
    }

    /// The statement the organisation wrote for `element`, if any (blank counts as none).
    pub fn statement(&self, element: &str) -> Option<&str> {
        self.notice_statements
            .get(element)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

impl Default for Organisation {
    fn default() -> Self {
        Organisation {
            name: "Our organisation".into(),
            website: String::new(),
            contact_email: "security@localhost".into(),
            contact_phone: String::new(),
            dpo: String::new(),
            response_time: String::new(),
            data_subject_categories: Vec::new(),
            flags: Vec::new(),
            lead_authorities: BTreeMap::new(),
            notice_statements: BTreeMap::new(),
            notice_cost_per_person_usd: None,
        }
    }
}
