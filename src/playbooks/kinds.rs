//! `kinds/*.yaml`: incident kinds — what such an incident usually involves, what is done about
//! it, what people can do, and the channels to reach them in order of preference.
use super::Inventory;
use crate::domain::{Channel, Severity};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub severity: Severity,
    pub data_categories: Vec<String>,
    #[serde(default)]
    pub systems: Vec<String>,
    #[serde(default)]
    pub likely_consequences: String,
    #[serde(default)]
    pub measures_taken: String,
    #[serde(default)]
    pub mitigations: Vec<String>,
    /// In order of preference: the fallback order of an incident of this kind.
    pub channels: Vec<Channel>,
}

impl Kind {
    /// A kind with no defaults (to go on validating a request that names no known kind).
    pub fn unknown(id: &str) -> Kind {
        Kind {
            id: id.to_owned(),
            title: String::new(),
            description: String::new(),
            severity: Severity::Medium,
            data_categories: vec![],
            systems: vec![],
            likely_consequences: String::new(),
            measures_taken: String::new(),
            mitigations: vec![],
            channels: vec![Channel::Email],
        }
    }

    /// What the parser cannot check: categories known to the inventory, channels listed once.
    pub(super) fn check(&self, inventory: &Inventory) -> Result<(), String> {
        if let Some(bad) = self.data_categories.iter().find(|c| !inventory.is_known(c)) {
            return Err(format!(
                "data category '{bad}' is neither a base category nor in inventory.yaml"
            ));
        }
        if self.channels.is_empty() {
            return Err("channels: list at least one of email, sms, push".into());
        }
        for (i, c) in self.channels.iter().enumerate() {
            if self.channels[..i].contains(c) {
                return Err(format!("channels: '{c}' is listed twice"));
            }
        }
        Ok(())
    }
}
