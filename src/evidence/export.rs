//! An incident's entries, in order, with their hashes, as JSON or CSV, streamed a page at a
//! time (an incident of a million deliveries has millions of entries). Shared by the API and
//! `tocsin ledger export`.
//!
//! Values are written as stored, so each entry's hash can be recomputed from what is exported
//! (`evidence::entry_hash` says how; in JSON, `details` is the stored object, whose compact
//! serialisation is what was hashed). The entries of one incident are a subsequence of the
//! ledger: their `prev_hash` links to the entry before them in the whole ledger, which
//! `tocsin audit verify` checks.
use super::store::page;
use entity::ledger_entry;
use futures::Stream;
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

/// Entries per page read (and per chunk written).
const PAGE: u64 = 1000;

const CSV_HEADER: [&str; 15] = [
    "seq",
    "at",
    "incident_id",
    "delivery_id",
    "subject_id",
    "channel",
    "event",
    "status",
    "next_channel",
    "content_sha256",
    "templates",
    "provider_ref",
    "details",
    "prev_hash",
    "hash",
];

enum State {
    Start,
    After { seq: i64, first: bool },
    Done,
}

/// The export as a stream of chunks: the opening, a chunk per page, the end. A database error
/// ends the stream with that error (an HTTP client sees the body cut short, never a
/// well-formed but partial document).
pub fn stream(
    db: DatabaseConnection,
    incident_id: i64,
    format: Format,
) -> impl Stream<Item = Result<Vec<u8>, DbErr>> + Send + 'static {
    futures::stream::unfold(State::Start, move |state| {
        let db = db.clone();
        async move {
            match state {
                State::Start => Some((
                    Ok(opening(format, incident_id)),
                    State::After {
                        seq: 0,
                        first: true,
                    },
                )),
                State::After { seq, first } => match page(&db, incident_id, seq, PAGE).await {
                    Err(e) => Some((Err(e), State::Done)),
                    Ok(rows) => {
                        let mut chunk = render(format, &rows, first);
                        match rows.last() {
                            Some(last) if rows.len() as u64 == PAGE => {
                                let next = State::After {
                                    seq: last.seq,
                                    first: false,
                                };
                                Some((chunk, next))
                            }
                            _ => {
                                if let Ok(c) = &mut chunk {
                                    c.extend_from_slice(closing(format));
                                }
                                Some((chunk, State::Done))
                            }
                        }
                    }
                },
                State::Done => None,
            }
        }
    })
}

fn opening(format: Format, incident_id: i64) -> Vec<u8> {
    match format {
        Format::Json => {
            format!("{{\"incident_id\":{incident_id},\"chain\":\"ledger\",\"entries\":[")
                .into_bytes()
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(CSV_HEADER);
            w.into_inner().unwrap_or_default()
        }
    }
}

fn closing(format: Format) -> &'static [u8] {
    match format {
        Format::Json => b"\n]}\n",
        Format::Csv => b"",
    }
}

fn render(format: Format, rows: &[ledger_entry::Model], first: bool) -> Result<Vec<u8>, DbErr> {
    let mut out = Vec::with_capacity(rows.len() * 512);
    match format {
        Format::Json => {
            for (i, r) in rows.iter().enumerate() {
                if !(first && i == 0) {
                    out.push(b',');
                }
                out.push(b'\n');
                let v = to_json(r)?;
                serde_json::to_writer(&mut out, &v).map_err(|e| DbErr::Custom(e.to_string()))?;
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            for r in rows {
                let seq = r.seq.to_string();
                let at = crate::chain::stamp(&r.at);
                let ids = [
                    r.incident_id.to_string(),
                    r.delivery_id.to_string(),
                    r.subject_id.to_string(),
                ];
                let opt = |v: &Option<String>| v.clone().unwrap_or_default();
                w.write_record([
                    seq.as_str(),
                    &at,
                    &ids[0],
                    &ids[1],
                    &ids[2],
                    &r.channel,
                    &r.event,
                    &r.status,
                    &opt(&r.next_channel),
                    &opt(&r.content_sha256),
                    &opt(&r.templates),
                    &opt(&r.provider_ref),
                    &r.details,
                    &r.prev_hash,
                    &r.hash,
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            out = w.into_inner().map_err(|e| DbErr::Custom(e.to_string()))?;
        }
    }
    Ok(out)
}

fn to_json(r: &ledger_entry::Model) -> Result<Value, DbErr> {
    // A details text that is not JSON is a row Tocsin did not write: an error, not a guess.
    let details: Value = serde_json::from_str(&r.details).map_err(|_| {
        DbErr::from(crate::domain::Corrupt {
            what: "ledger details object",
            value: format!("entry {}", r.seq),
        })
    })?;
    Ok(json!({
        "seq": r.seq,
        "at": crate::chain::stamp(&r.at),
        "incident_id": r.incident_id,
        "delivery_id": r.delivery_id,
        "subject_id": r.subject_id,
        "channel": r.channel,
        "event": r.event,
        "status": r.status,
        "next_channel": r.next_channel,
        "content_sha256": r.content_sha256,
        "templates": r.templates,
        "provider_ref": r.provider_ref,
        "details": details,
        "prev_hash": r.prev_hash,
        "hash": r.hash,
    }))
}
