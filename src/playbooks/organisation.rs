//! `organisation.yaml`: who sends the notices and how affected people reach them.
use serde::{Deserialize, Serialize};

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
        }
    }
}
