//! The content of a notice, built from the incident and the organisation: what happened, what
//! information was involved, what we are doing, what you can do, how to reach us. Notices,
//! announcements and reports all render this one model.
use crate::incidents::Incident;
use crate::playbooks::Playbooks;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct NoticeContent {
    pub organisation: String,
    pub website: String,
    pub reference: String,
    pub incident_title: String,
    /// What happened: the incident's summary.
    pub what_happened: String,
    pub cause: String,
    /// When it happened, in words ("between 1 November 2026 and 3 November 2026"), if known.
    pub occurred: Option<String>,
    /// The day the organisation became aware.
    pub discovered: String,
    /// What information was involved, in plain words.
    pub information_involved: Vec<String>,
    pub likely_consequences: String,
    /// What we are doing.
    pub what_we_are_doing: String,
    /// What you can do.
    pub what_you_can_do: Vec<String>,
    /// How to reach us.
    pub contact: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub response_time: String,
    /// Link to the public announcement, once one is published.
    pub announcement_url: Option<String>,
    /// The variant for people whose jurisdiction forbids stating the nature of the breach (and
    /// the number affected): what happened and its cause are left out.
    pub omit_nature: bool,
    /// Statements the person's jurisdictions require (organisation.yaml `notice_statements`).
    pub other_information: Vec<String>,
}

/// Plain-language names of the base categories (English).
fn base_label(category: &str) -> Option<&'static str> {
    Some(match category {
        "name" => "your name",
        "date_of_birth" => "your date of birth",
        "government_id" => {
            "government identification numbers (such as passport or national ID numbers)"
        }
        "email_address" => "your e-mail address",
        "phone_number" => "your phone number",
        "postal_address" => "your postal address",
        "credentials" => "your account sign-in details (user name and password)",
        "financial_account" => "financial account details",
        "payment_card" => "payment card details",
        "health" => "health information",
        "biometric" => "biometric data",
        "genetic" => "genetic data",
        "racial_or_ethnic_origin" => "information about racial or ethnic origin",
        "political_opinions" => "political opinions",
        "religious_beliefs" => "religious or philosophical beliefs",
        "trade_union_membership" => "trade union membership",
        "sex_life_or_orientation" => "information about sex life or sexual orientation",
        "criminal_records" => "criminal records",
        "location" => "location data",
        "device_identifiers" => "identifiers of your devices",
        "online_identifiers" => "online identifiers (such as account IDs, IP addresses or cookies)",
        "usage_logs" => "records of how you used our services",
        "communications_content" => "the content of your messages",
        "images_audio_video" => "images, audio or video recordings",
        _ => return None,
    })
}

/// A category in plain words: base categories from the table, the organisation's own from the
/// inventory's description.
pub fn category_label(playbooks: &Playbooks, category: &str) -> String {
    if let Some(l) = base_label(category) {
        return l.to_owned();
    }
    match playbooks.inventory.categories.get(category) {
        Some(own) if !own.description.is_empty() => {
            let d = own.description.trim_end_matches('.');
            let mut c = d.chars();
            match c.next() {
                Some(first) => first.to_lowercase().collect::<String>() + c.as_str(),
                None => category.replace('_', " "),
            }
        }
        _ => category.replace('_', " "),
    }
}

fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %B %Y").to_string()
}

impl NoticeContent {
    pub fn build(
        i: &Incident,
        playbooks: &Playbooks,
        announcement_url: Option<String>,
    ) -> NoticeContent {
        let org = &playbooks.organisation;
        let occurred = match (i.occurred_from, i.occurred_to) {
            (Some(a), Some(b)) if day(a) == day(b) => Some(format!("on {}", day(a))),
            (Some(a), Some(b)) => Some(format!("between {} and {}", day(a), day(b))),
            (Some(a), None) => Some(format!("from {}", day(a))),
            (None, Some(b)) => Some(format!("until {}", day(b))),
            (None, None) => None,
        };
        let mut info: Vec<String> = i
            .data_categories
            .iter()
            .map(|c| category_label(playbooks, c))
            .collect();
        info.dedup();
        NoticeContent {
            organisation: org.name.clone(),
            website: org.website.clone(),
            reference: format!("TOCSIN-{}", i.id),
            incident_title: i.title.clone(),
            what_happened: i.summary.clone(),
            cause: i.cause.clone(),
            occurred,
            discovered: day(i.aware_at),
            information_involved: info,
            likely_consequences: i.likely_consequences.clone(),
            what_we_are_doing: i.measures_taken.clone(),
            what_you_can_do: i.mitigations.clone(),
            contact: i.contact.clone(),
            contact_email: org.contact_email.clone(),
            contact_phone: org.contact_phone.clone(),
            response_time: org.response_time.clone(),
            announcement_url,
            omit_nature: false,
            other_information: Vec::new(),
        }
    }

    /// The variant without the nature of the breach (Massachusetts residents): what happened and
    /// its cause are blanked, so no template can show them.
    pub fn omit_nature(&mut self) {
        self.omit_nature = true;
        self.what_happened.clear();
        self.cause.clear();
    }
}
