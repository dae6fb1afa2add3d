//! Writing a [`Document`] field by field, in the form's order: a field whose answer is `None`
//! becomes [`Value::Missing`] and its key (`section.field`) goes to `missing`, so no builder can
//! forget to name what it could not fill.
use crate::regulation::document::{Addressee, Document, Field, Item, Section, Table, Value};
use chrono::{DateTime, Utc};

pub struct Draft {
    doc: Document,
}

impl Draft {
    pub fn new(regime: &str, title: &str, legal_basis: &str, incident_id: i64) -> Draft {
        Draft {
            doc: Document {
                regime: regime.to_owned(),
                title: title.to_owned(),
                legal_basis: legal_basis.to_owned(),
                addressee: None,
                incident_id,
                reference: format!("TOCSIN-{incident_id}"),
                generated_at: Utc::now(),
                language: "en".to_owned(),
                notices: Vec::new(),
                sections: Vec::new(),
                missing: Vec::new(),
            },
        }
    }

    /// The local language of a bilingual report (`ja`): its labels read `English / local`.
    pub fn language(&mut self, tag: &str) -> &mut Self {
        self.doc.language = tag.to_owned();
        self
    }

    pub fn generated_at(&mut self, at: DateTime<Utc>) -> &mut Self {
        self.doc.generated_at = at;
        self
    }

    /// Names the incident in the title: `<form title>: <incident title>`.
    pub fn about(&mut self, incident_title: &str) -> &mut Self {
        let t = incident_title.trim();
        if !t.is_empty() {
            self.doc.title = format!("{}: {t}", self.doc.title);
        }
        self
    }

    pub fn addressee(&mut self, a: Option<Addressee>) -> &mut Self {
        self.doc.addressee = a;
        self
    }

    pub fn notice(&mut self, text: impl Into<String>) -> &mut Self {
        let text = text.into();
        if !self.doc.notices.contains(&text) {
            self.doc.notices.push(text);
        }
        self
    }

    /// Starts a new section: the fields that follow belong to it.
    pub fn section(&mut self, key: &str, heading: &str) -> &mut Self {
        self.doc.sections.push(Section {
            key: key.to_owned(),
            heading: heading.to_owned(),
            items: Vec::new(),
        });
        self
    }

    fn current(&mut self) -> &mut Section {
        if self.doc.sections.is_empty() {
            self.section("report", "Report");
        }
        self.doc
            .sections
            .last_mut()
            .expect("a section was just added")
    }

    /// One question and its answer; `None`: not known, named in `missing`.
    pub fn field(&mut self, key: &str, label: &str, value: Option<Value>) -> &mut Self {
        let section = self.current();
        let full = format!("{}.{key}", section.key);
        debug_assert!(
            !section
                .items
                .iter()
                .any(|i| matches!(i, Item::Field(f) if f.key == key)),
            "field {full} twice"
        );
        let value = match value {
            Some(v) => v,
            None => {
                self.doc.missing.push(full);
                Value::Missing
            }
        };
        self.current().items.push(Item::Field(Field {
            key: key.to_owned(),
            label: label.to_owned(),
            value,
        }));
        self
    }

    pub fn table(&mut self, table: Table) -> &mut Self {
        self.current().items.push(Item::Table(table));
        self
    }

    pub fn text(&mut self, text: impl Into<String>) -> &mut Self {
        self.current().items.push(Item::Text { text: text.into() });
        self
    }

    pub fn finish(self) -> Document {
        self.doc
    }
}

/// A text answer; blank counts as not given.
pub fn text(s: &str) -> Option<Value> {
    let t = s.trim();
    (!t.is_empty()).then(|| Value::Text(t.to_owned()))
}

/// A fixed answer Tocsin always knows.
pub fn say(s: impl Into<String>) -> Option<Value> {
    Some(Value::Text(s.into()))
}

/// A list answer; empty counts as not given.
pub fn list<S: AsRef<str>>(items: &[S]) -> Option<Value> {
    let v: Vec<String> = items
        .iter()
        .map(|s| s.as_ref().trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    (!v.is_empty()).then_some(Value::List(v))
}

pub fn time(t: Option<DateTime<Utc>>) -> Option<Value> {
    t.map(Value::Time)
}

pub fn number(n: u64) -> Option<Value> {
    Some(Value::Number(i64::try_from(n).unwrap_or(i64::MAX)))
}

pub fn yes_no(b: bool) -> Option<Value> {
    Some(Value::Bool(b))
}

/// A label in English with its local-language form beside it: `Overview / 事態の概要`.
pub fn both(en: &str, local: &str) -> String {
    format!("{en} / {local}")
}
