//! The base vocabulary of data categories (../shared/API.md).
use super::Invalid;

pub const BASE_CATEGORIES: &[&str] = &[
    "name",
    "date_of_birth",
    "government_id",
    "email_address",
    "phone_number",
    "postal_address",
    "credentials",
    "financial_account",
    "payment_card",
    "health",
    "biometric",
    "genetic",
    "racial_or_ethnic_origin",
    "political_opinions",
    "religious_beliefs",
    "trade_union_membership",
    "sex_life_or_orientation",
    "criminal_records",
    "location",
    "device_identifiers",
    "online_identifiers",
    "usage_logs",
    "communications_content",
    "images_audio_video",
];

/// A data category: a base one, or one of the organisation's own (snake_case) that its
/// inventory maps onto base ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct DataCategory(String);

impl DataCategory {
    /// Accepts any base category, or a name in `extra` (the organisation's inventory).
    pub fn parse(input: &str, extra: &[String]) -> Result<DataCategory, Invalid> {
        let s = input.trim();
        if BASE_CATEGORIES.contains(&s) || extra.iter().any(|e| e == s) {
            Ok(DataCategory(s.to_owned()))
        } else {
            Err(Invalid(format!(
                "'{s}' is not a known data category (see the base vocabulary in the README)"
            )))
        }
    }

    pub fn is_base(&self) -> bool {
        BASE_CATEGORIES.contains(&self.0.as_str())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_and_inventory_categories() {
        assert!(DataCategory::parse("credentials", &[]).unwrap().is_base());
        let extra = vec!["chat_records".to_string()];
        assert!(!DataCategory::parse("chat_records", &extra)
            .unwrap()
            .is_base());
        assert!(DataCategory::parse("chat_records", &[]).is_err());
        assert!(DataCategory::parse("Credentials", &[]).is_err());
    }
}
