//! The one document model every regulator report is built into, whatever its regime; each
//! format (JSON, CSV, HTML, PDF) renders a [`Document`] and nothing else. A regime's module
//! fills sections of labelled fields in its form's order; a field it cannot fill is
//! [`Value::Missing`] and its key is listed in [`Document::missing`], never invented.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A report, ready to render. Saved report versions keep it as JSON and read it back: a field
/// added later needs `#[serde(default)]` so that older versions still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// REGULATIONS.md's id of the regime (`EU-GDPR`, `US-HIPAA`, …).
    pub regime: String,
    /// The document's title, e.g. "Personal data breach report (GDPR Art. 33)".
    pub title: String,
    /// The legal basis in one line, e.g. "Regulation (EU) 2016/679, Art. 33".
    pub legal_basis: String,
    /// Who receives it, from the authority directory when known.
    pub addressee: Option<Addressee>,
    pub incident_id: i64,
    /// The incident's reference as people see it (`TOCSIN-12`).
    pub reference: String,
    pub generated_at: DateTime<Utc>,
    /// BCP 47 tag of the text the document is written in (`en`, `ja`, `zh-Hans`, …).
    pub language: String,
    /// Warnings shown at the top of every rendering: rules tagged unverified, a stale
    /// authority entry, a draft that must be reviewed before filing.
    pub notices: Vec<String>,
    pub sections: Vec<Section>,
    /// The keys (`section.field`) of every field that could not be filled.
    pub missing: Vec<String>,
}

/// The authority a report goes to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Addressee {
    pub id: String,
    pub name: String,
    pub local_name: Option<String>,
    /// Where the report is filed: a portal or form address, an e-mail, a postal address.
    pub routes: Vec<String>,
    /// When the directory entry was last verified (`YYYY-MM-DD`).
    pub verified_on: Option<String>,
}

/// A part of the form, with its own heading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Stable key, e.g. `nature`.
    pub key: String,
    pub heading: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    Field(Field),
    Table(Table),
    /// A paragraph of prose (a sample notice, an explanation).
    Text {
        text: String,
    },
}

/// One question of the form and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Stable key, unique in its section, e.g. `subjects_affected`.
    pub key: String,
    /// The question as the form asks it.
    pub label: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Value {
    Text(String),
    Number(i64),
    Bool(bool),
    Time(DateTime<Utc>),
    List(Vec<String>),
    /// Not known to Tocsin; the key is in [`Document::missing`].
    Missing,
}

impl Value {
    /// The value as one line of plain text; `None` when missing.
    pub fn display(&self) -> Option<String> {
        match self {
            Value::Text(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "Yes" } else { "No" }.to_owned()),
            Value::Time(t) => Some(t.format("%Y-%m-%d %H:%M UTC").to_string()),
            Value::List(items) => Some(items.join("; ")),
            Value::Missing => None,
        }
    }
}

/// A table (counts per country, a timeline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub key: String,
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}
