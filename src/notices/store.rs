//! The only module that reads and writes `notices`.
use crate::db::stmt;
use crate::domain::Channel;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value as DbValue};
use std::collections::HashMap;

/// One rendered notice for one person on one channel, as composed (and approved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub subject_id: i64,
    pub channel: Channel,
    pub locale: String,
    /// The address on this channel at compose time; `None` when the person has none.
    pub recipient: Option<String>,
    /// The name as composed: what is sent is what was approved.
    pub recipient_name: Option<String>,
    pub subject_line: String,
    pub body_text: String,
    pub body_html: Option<String>,
}

const COLUMNS: usize = 12;

/// Writes composed notices; a person's earlier notice on the channel is replaced in place
/// (never deleted, so nothing that refers to it is lost).
pub async fn upsert(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    content_version: i32,
    notices: &[Notice],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if notices.is_empty() {
        return Ok(());
    }
    let mut values: Vec<DbValue> = Vec::with_capacity(notices.len() * COLUMNS);
    for n in notices {
        values.extend([
            incident_id.into(),
            n.subject_id.into(),
            n.channel.into(),
            n.locale.clone().into(),
            n.recipient.clone().into(),
            n.recipient_name.clone().into(),
            n.subject_line.clone().into(),
            n.body_text.clone().into(),
            n.body_html.clone().into(),
            content_version.into(),
            crate::evidence::content_sha256(&n.subject_line, &n.body_text, n.body_html.as_deref())
                .as_str()
                .into(),
            now.into(),
        ]);
    }
    let row = format!("({})", ["?"; COLUMNS].join(","));
    let sql = format!(
        "INSERT INTO notices (incident_id, subject_id, channel, locale, recipient, recipient_name, \
         subject_line, body_text, body_html, content_version, content_sha256, created_at) VALUES {} \
         ON CONFLICT (incident_id, subject_id, channel) DO UPDATE SET locale = excluded.locale, \
         recipient = excluded.recipient, recipient_name = excluded.recipient_name, \
         subject_line = excluded.subject_line, body_text = excluded.body_text, \
         body_html = excluded.body_html, content_version = excluded.content_version, \
         content_sha256 = excluded.content_sha256, created_at = excluded.created_at",
        vec![row.as_str(); notices.len()].join(",")
    );
    txn.execute(stmt(txn.get_database_backend(), &sql, values))
        .await?;
    Ok(())
}

fn notice(r: &sea_orm::QueryResult) -> Result<Notice, DbErr> {
    let channel: String = r.try_get("", "channel")?;
    Ok(Notice {
        subject_id: r.try_get("", "subject_id")?,
        channel: Channel::from_stored(&channel)?,
        locale: r.try_get("", "locale")?,
        recipient: r.try_get("", "recipient")?,
        recipient_name: r.try_get("", "recipient_name")?,
        subject_line: r.try_get("", "subject_line")?,
        body_text: r.try_get("", "body_text")?,
        body_html: r.try_get("", "body_html")?,
    })
}

const SELECT: &str =
    "SELECT id, incident_id, subject_id, channel, locale, recipient, recipient_name, \
     subject_line, body_text, body_html, content_version FROM notices";

/// A person's composed notice on a channel, with the content version it was composed from.
pub async fn find(
    db: &impl ConnectionTrait,
    incident_id: i64,
    subject_id: i64,
    channel: Channel,
) -> Result<Option<(Notice, i32)>, DbErr> {
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            &format!("{SELECT} WHERE incident_id = ? AND subject_id = ? AND channel = ?"),
            [incident_id.into(), subject_id.into(), channel.into()],
        ))
        .await?;
    row.map(|r| Ok((notice(&r)?, r.try_get("", "content_version")?)))
        .transpose()
}

/// Notices by id, each with the code of its person's full-notice page (`/n/{code}`) when one
/// was made: what the dispatcher sends, in one query per batch.
pub async fn by_ids_with_links(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, (Notice, Option<String>)>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks = vec!["?"; ids.len()].join(",");
    let values: Vec<DbValue> = ids.iter().map(|&i| i.into()).collect();
    let rows = db
        .query_all(stmt(
            db.get_database_backend(),
            &format!(
                "SELECT n.id, n.subject_id, n.channel, n.locale, n.recipient, n.recipient_name, \
                 n.subject_line, n.body_text, n.body_html, l.code FROM notices n \
                 LEFT JOIN notice_links l ON l.incident_id = n.incident_id \
                 AND l.subject_id = n.subject_id WHERE n.id IN ({marks})"
            ),
            values,
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let id = r.try_get::<i64>("", "id")?;
            Ok((id, (notice(r)?, r.try_get("", "code")?)))
        })
        .collect()
}
