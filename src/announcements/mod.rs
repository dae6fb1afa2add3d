//! The public fallback: a page per incident, an index, an Atom feed and a JSON feed.
//!
//! An announcement is rendered once, when published, from the incident's approved notice
//! content, and stored; the public pages serve the stored text, so edits to the incident reach
//! the public only when someone publishes again after a second person approved them.
mod api;
mod feeds;
pub mod slug;

pub use api::{api_routes, public_routes};

use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::incidents::Incident;
use crate::links::Links;
use crate::notices::NoticeContent;
use crate::playbooks::Playbooks;
use crate::templates::Templates;
use chrono::{DateTime, Utc};
use entity::announcement;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::{json, Value};

/// The only locale published so far.
pub const DEFAULT_LOCALE: &str = "en";

/// How many announcements the index and the feeds list.
pub const LIST_LIMIT: u64 = 100;

/// The reference people quote when they contact the organisation (as in the notices).
pub fn reference(incident_id: i64) -> String {
    format!("TOCSIN-{incident_id}")
}

/// What a publication did.
#[derive(Debug, Clone)]
pub struct Published {
    pub announcement: announcement::Model,
    pub url: String,
    /// True on first publication, false on an update.
    pub created: bool,
}

/// The announcement as the API shows it.
pub fn view(links: &Links, a: &announcement::Model) -> Value {
    json!({
        "incident_id": a.incident_id,
        "slug": a.slug,
        "locale": a.locale,
        "title": a.title,
        "url": links.announcement(&a.slug),
        "published_at": a.published_at,
        "updated_at": a.updated_at,
    })
}

/// Free text split into paragraphs at blank lines, so templates can render each as one.
fn paragraphs(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What the body templates see: the notice content model, and its longer texts as paragraphs.
#[derive(Serialize)]
struct BodyData<'a> {
    content: &'a NoticeContent,
    what_happened: Vec<String>,
    cause: Vec<String>,
    likely_consequences: Vec<String>,
    what_we_are_doing: Vec<String>,
}

/// Renders the stored body (HTML and plain text) of an incident's announcement.
fn render_body(
    templates: &Templates,
    playbooks: &Playbooks,
    incident: &Incident,
    locale: &str,
    url: &str,
) -> AppResult<(String, String)> {
    let content = NoticeContent::build(incident, playbooks, Some(url.to_owned()));
    let data = BodyData {
        what_happened: paragraphs(&content.what_happened),
        cause: paragraphs(&content.cause),
        likely_consequences: paragraphs(&content.likely_consequences),
        what_we_are_doing: paragraphs(&content.what_we_are_doing),
        content: &content,
    };
    let t = templates;
    let html = t.render(&t.localized("announcements", locale, "body.html"), &data)?;
    let text = t.render(&t.localized("announcements", locale, "body.txt"), &data)?;
    Ok((html, text))
}

/// What publishing needs besides the database.
pub struct PublishInput<'a> {
    pub templates: &'a Templates,
    pub playbooks: &'a Playbooks,
    pub links: &'a Links,
}

/// Publishes, or updates, the public announcement of an incident from its approved notice
/// content. Refused (409) unless the notices are approved as they stand. The slug and the
/// first publication time never change; the change goes on the timeline and in the audit log
/// in the same transaction, which holds the incident's row lock (approval cannot lapse, nor a
/// second publication interleave, between the check and the commit).
pub async fn publish(
    db: &DatabaseConnection,
    input: PublishInput<'_>,
    actor: &Actor,
    incident_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Published> {
    let locale = DEFAULT_LOCALE;
    let txn = db.begin().await?;
    let incident = crate::incidents::store::lock(&txn, incident_id).await?;
    if crate::notices::approval::require_approved(&incident, input.templates.fingerprint()).is_err()
    {
        return Err(AppError::conflict(
            "not_approved",
            format!(
                "the notices of incident {incident_id} (content version {}) are not approved as \
                 they stand: nothing is published before a second person (an approver) approves \
                 the current composition",
                incident.content_version
            ),
        ));
    }
    let existing = announcement::Entity::find()
        .filter(announcement::Column::IncidentId.eq(incident_id))
        .filter(announcement::Column::Locale.eq(locale))
        .one(&txn)
        .await?;
    let slug = match &existing {
        Some(a) => a.slug.clone(),
        None => slug::announcement_slug(now, &incident.title, incident_id),
    };
    let url = input.links.announcement(&slug);
    let (body_html, body_text) =
        render_body(input.templates, input.playbooks, &incident, locale, &url)?;
    let created = existing.is_none();
    let model = match existing {
        Some(a) => {
            let mut m = a.into_active_model();
            m.title = Set(incident.title.clone());
            m.body_html = Set(body_html);
            m.body_text = Set(body_text);
            m.updated_at = Set(now);
            m.update(&txn).await?
        }
        None => {
            announcement::ActiveModel {
                incident_id: Set(incident_id),
                slug: Set(slug.clone()),
                locale: Set(locale.to_owned()),
                title: Set(incident.title.clone()),
                body_text: Set(body_text),
                body_html: Set(body_html),
                published_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    crate::incidents::record_event(
        &txn,
        incident_id,
        actor,
        "announcement_published",
        json!({
            "slug": model.slug,
            "url": url,
            "locale": model.locale,
            "content_version": incident.content_version,
            "first_publication": created,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(Published {
        announcement: model,
        url,
        created,
    })
}

/// The incident's announcement in `locale`, if published.
pub async fn find_for_incident(
    db: &impl ConnectionTrait,
    incident_id: i64,
    locale: &str,
) -> Result<Option<announcement::Model>, sea_orm::DbErr> {
    announcement::Entity::find()
        .filter(announcement::Column::IncidentId.eq(incident_id))
        .filter(announcement::Column::Locale.eq(locale))
        .one(db)
        .await
}

/// The address of the incident's announcement (default locale), if published.
pub async fn url_for_incident(
    db: &impl ConnectionTrait,
    links: &Links,
    incident_id: i64,
) -> Result<Option<String>, sea_orm::DbErr> {
    Ok(find_for_incident(db, incident_id, DEFAULT_LOCALE)
        .await?
        .map(|a| links.announcement(&a.slug)))
}

/// One announcement by slug.
pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<announcement::Model>, sea_orm::DbErr> {
    announcement::Entity::find()
        .filter(announcement::Column::Slug.eq(slug))
        .one(db)
        .await
}

/// The newest announcements first, at most [`LIST_LIMIT`].
pub async fn latest(db: &impl ConnectionTrait) -> Result<Vec<announcement::Model>, sea_orm::DbErr> {
    announcement::Entity::find()
        .order_by_desc(announcement::Column::PublishedAt)
        .order_by_desc(announcement::Column::Id)
        .limit(LIST_LIMIT)
        .all(db)
        .await
}

/// "25 November 2026".
fn day(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y").to_string()
}

/// "25 November 2026, 14:03 UTC".
fn day_and_time(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// A short plain-text summary for feeds: the first paragraph of the body that is not a
/// heading, cut at a word boundary.
fn excerpt(body_text: &str, max: usize) -> String {
    let is_heading =
        |l: &str| l.chars().any(char::is_alphabetic) && !l.chars().any(char::is_lowercase);
    let mut words: Vec<&str> = Vec::new();
    let mut started = false;
    for line in body_text.lines().map(str::trim) {
        if line.is_empty() {
            if started {
                break;
            }
            continue;
        }
        if !started && is_heading(line) {
            continue;
        }
        started = true;
        words.extend(line.split_whitespace());
    }
    let mut out = String::new();
    for w in words {
        if out.chars().count() + w.chars().count() + 1 > max {
            out.push('…');
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_split_at_blank_lines() {
        assert_eq!(
            paragraphs("one\r\n\r\n two\nlines \n\n\n\nthree"),
            ["one", "two\nlines", "three"]
        );
        assert!(paragraphs("  ").is_empty());
    }

    #[test]
    fn the_excerpt_skips_headings_and_stops_at_the_first_paragraph() {
        let body = "WHAT HAPPENED\nSomeone read our chat logs.\nIt was bad.\n\nMore.\n";
        assert_eq!(
            excerpt(body, 300),
            "Someone read our chat logs. It was bad."
        );
        assert_eq!(excerpt(body, 20), "Someone read our…");
        assert_eq!(excerpt("", 20), "");
    }
}
