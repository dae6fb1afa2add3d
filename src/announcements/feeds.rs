//! The Atom 1.0 feed (RFC 4287) and the JSON Feed 1.1 of the announcements.
use super::{excerpt, DEFAULT_LOCALE};
use crate::app::AppState;
use crate::error::AppResult;
use anyhow::Context;
use atom_syndication::{Content, Entry, Feed, Generator, Link, Person, Text};
use chrono::{DateTime, Utc};
use entity::announcement;
use serde_json::{json, Value};

/// Length of the plain-text summary of each entry.
const SUMMARY_LEN: usize = 300;

/// XML 1.0 cannot carry most control characters, not even escaped: drop them. (The writer
/// escapes `<`, `>`, `&`, quotes in everything else.)
fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

fn feed_title(state: &AppState) -> String {
    format!(
        "{}: security incident announcements",
        state.playbooks.organisation.name
    )
}

fn author(state: &AppState) -> Person {
    let org = &state.playbooks.organisation;
    Person {
        name: xml_safe(&org.name),
        uri: (!org.website.is_empty()).then(|| xml_safe(&org.website)),
        ..Default::default()
    }
}

fn link(href: String, rel: &str, mime: &str) -> Link {
    Link {
        href: xml_safe(&href),
        rel: rel.into(),
        mime_type: Some(mime.into()),
        ..Default::default()
    }
}

/// The Atom document. Entry ids are the page URLs: stable, since slugs never change.
pub fn atom(state: &AppState, rows: &[announcement::Model]) -> AppResult<String> {
    let links = &state.links;
    let updated: DateTime<Utc> = rows
        .iter()
        .map(|a| a.updated_at)
        .max()
        .unwrap_or_else(crate::audit::now);
    let entries: Vec<Entry> = rows
        .iter()
        .map(|a| {
            let url = links.announcement(&a.slug);
            let mut alternate = link(url.clone(), "alternate", "text/html");
            alternate.hreflang = Some(xml_safe(&a.locale));
            Entry {
                title: Text::plain(xml_safe(&a.title)),
                id: xml_safe(&url),
                updated: a.updated_at.fixed_offset(),
                published: Some(a.published_at.fixed_offset()),
                links: vec![alternate],
                summary: Some(Text::plain(xml_safe(&excerpt(&a.body_text, SUMMARY_LEN)))),
                content: Some(Content {
                    content_type: Some("html".into()),
                    value: Some(xml_safe(&a.body_html)),
                    lang: Some(xml_safe(&a.locale)),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = Feed {
        title: Text::plain(xml_safe(&feed_title(state))),
        id: xml_safe(&links.to("/announcements")),
        updated: updated.fixed_offset(),
        authors: vec![author(state)],
        links: vec![
            link(
                links.to("/announcements.atom"),
                "self",
                "application/atom+xml",
            ),
            link(links.to("/announcements"), "alternate", "text/html"),
        ],
        generator: Some(Generator {
            value: "Tocsin".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        lang: Some(DEFAULT_LOCALE.into()),
        entries,
        ..Default::default()
    };
    let bytes = feed.write_to(Vec::new()).context("writing the Atom feed")?;
    Ok(String::from_utf8(bytes).context("the Atom feed is not UTF-8")?)
}

/// The JSON Feed 1.1 document (https://jsonfeed.org/version/1.1).
pub fn json_feed(state: &AppState, rows: &[announcement::Model]) -> Value {
    let links = &state.links;
    let org = &state.playbooks.organisation;
    let mut author = json!({ "name": org.name });
    if !org.website.is_empty() {
        author["url"] = json!(org.website);
    }
    let items: Vec<Value> = rows
        .iter()
        .map(|a| {
            let url = links.announcement(&a.slug);
            json!({
                "id": url,
                "url": url,
                "title": a.title,
                "content_html": a.body_html,
                "content_text": a.body_text,
                "summary": excerpt(&a.body_text, SUMMARY_LEN),
                "date_published": a.published_at,
                "date_modified": a.updated_at,
                "language": a.locale,
            })
        })
        .collect();
    json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed_title(state),
        "home_page_url": links.to("/announcements"),
        "feed_url": links.to("/announcements.json"),
        "description": format!(
            "Public announcements by {} about security incidents that involve personal information.",
            org.name
        ),
        "language": DEFAULT_LOCALE,
        "authors": [author],
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::xml_safe;

    #[test]
    fn control_characters_are_dropped_for_xml() {
        assert_eq!(xml_safe("a\u{0}b\u{1b}c\td\ne"), "abc\td\ne");
        assert_eq!(xml_safe("<&>\"'"), "<&>\"'", "escaping is the writer's job");
    }
}
