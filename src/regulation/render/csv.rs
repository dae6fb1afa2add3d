//! CSV (RFC 4180: CRLF line ends, fields quoted where they hold a comma, a quote or a line
//! break): a header, then one row per answer as [`super::flatten`] reads the document —
//! `section,key,label,value,missing`, `missing` being `true` or `false`.
use crate::regulation::document::Document;

pub const HEADER: [&str; 5] = ["section", "key", "label", "value", "missing"];

pub fn render(doc: &Document) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    w.write_record(HEADER)?;
    for r in super::flatten(doc) {
        w.write_record([
            r.section.as_str(),
            r.key.as_str(),
            r.label.as_str(),
            r.value.as_deref().unwrap_or(""),
            if r.value.is_none() { "true" } else { "false" },
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
