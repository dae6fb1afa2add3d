//! Values that validate once, at the boundary. Past the boundary, code trusts them.
//!
//! Personal data (e-mail addresses, phone numbers, names) has a redacting `Debug` and no
//! `Display`: code that needs the value calls `expose()`, so it cannot end up in a log line
//! by accident.

mod categories;
mod contact;
mod geo;
mod locale;
pub mod phone_valid;
mod risk;
mod roles;
mod text_enum;

pub use categories::{DataCategory, BASE_CATEGORIES};
pub use contact::{BirthDate, Email, PersonName, Phone, PushPlatform};
pub use geo::{Country, Region};
pub use locale::Locale;
pub use risk::RiskLevel;
pub use roles::{Channel, Role, Severity};
pub(crate) use text_enum::text_enum;

/// Why a value was refused, in words a person can act on. Never contains the refused value
/// when that value may be personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

/// A value read back from the database that is not one Tocsin writes: the row is corrupt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("corrupt stored value: '{value}' is not a {what}")]
pub struct Corrupt {
    pub what: &'static str,
    pub value: String,
}

impl From<Corrupt> for sea_orm::DbErr {
    fn from(c: Corrupt) -> sea_orm::DbErr {
        sea_orm::DbErr::Type(c.to_string())
    }
}

impl Invalid {
    pub fn new(msg: impl Into<String>) -> Self {
        Invalid(msg.into())
    }
}

/// Shows only that a value exists: for `Debug` of personal data.
macro_rules! redacted_debug {
    ($t:ty) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($t), "(<redacted>)"))
            }
        }
    };
}
pub(crate) use redacted_debug;
