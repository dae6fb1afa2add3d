//! The formats a [`Document`](super::document::Document) renders to: JSON (the document as it
//! is), CSV (one row per field) and HTML (a standalone page). PDF is `regulation::pdf`.
//! [`flatten`] is the one row-per-answer reading that CSV and version diffs share.
pub mod csv;
pub mod html;

use super::document::{Document, Item};

/// The document as pretty JSON, with a final newline.
pub fn json(doc: &Document) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec_pretty(doc)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// One answer of a document: its section, key, label, and value in words (`None`: missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub section: String,
    pub key: String,
    pub label: String,
    pub value: Option<String>,
}

/// Every answer in order: the document's own facts under section `document` (regime, title,
/// legal basis, reference, generation time, addressee, notices), then each field; a table
/// gives one row per table row (key `table[n]`, value `column: cell; …`), a paragraph one row
/// with key `text[n]`.
pub fn flatten(doc: &Document) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut meta = |key: &str, label: &str, value: String| {
        rows.push(Row {
            section: "document".into(),
            key: key.into(),
            label: label.into(),
            value: Some(value),
        })
    };
    meta("regime", "Regime", doc.regime.clone());
    meta("title", "Title", doc.title.clone());
    meta("legal_basis", "Legal basis", doc.legal_basis.clone());
    meta("reference", "Incident reference", doc.reference.clone());
    meta(
        "generated_at",
        "Generated at",
        doc.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    );
    if let Some(a) = &doc.addressee {
        meta("addressee", "Addressee", a.name.clone());
        meta("addressee_routes", "Where to file", a.routes.join("; "));
    }
    for (n, notice) in doc.notices.iter().enumerate() {
        meta(&format!("notice[{n}]"), "Notice", notice.clone());
    }
    for s in &doc.sections {
        let mut texts = 0;
        for item in &s.items {
            match item {
                Item::Field(f) => rows.push(Row {
                    section: s.key.clone(),
                    key: f.key.clone(),
                    label: f.label.clone(),
                    value: f.value.display(),
                }),
                Item::Table(t) => {
                    for (n, row) in t.rows.iter().enumerate() {
                        let value: Vec<String> = t
                            .columns
                            .iter()
                            .zip(row)
                            .map(|(c, v)| format!("{c}: {v}"))
                            .collect();
                        rows.push(Row {
                            section: s.key.clone(),
                            key: format!("{}[{n}]", t.key),
                            label: t.caption.clone(),
                            value: Some(value.join("; ")),
                        });
                    }
                }
                Item::Text { text } => {
                    rows.push(Row {
                        section: s.key.clone(),
                        key: format!("text[{texts}]"),
                        label: String::new(),
                        value: Some(text.clone()),
                    });
                    texts += 1;
                }
            }
        }
    }
    rows
}
