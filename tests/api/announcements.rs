//! The public announcement: publishing after approval, the public pages and feeds, escaping.
use crate::helpers::TestApp;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::{json, Value};
use std::str::FromStr;
use tocsin::domain::Role;

const SUMMARY: &str =
    "An attacker used a leaked backup to read member account names and password hashes.";

async fn create_incident(app: &TestApp, title: &str, summary: &str) -> i64 {
    let (status, body) = app
        .post_json(
            "/api/v1/incidents",
            &app.admin_token,
            &json!({
                "title": title,
                "summary": summary,
                "kind": "credential-exposure",
                "aware_at": "2026-11-20T09:00:00Z",
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

/// Stands in for composing and approving (these tests have no population to compose for):
/// marks a composition of the incident's current content approved, directly in the database.
async fn approve(app: &TestApp, id: i64) {
    let i = entity::incident::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let version = i.content_version;
    let mut m = i.into_active_model();
    let digest = format!("stand-in-{version}");
    m.composed_at = Set(Some(tocsin::audit::now()));
    m.composed_version = Set(version);
    m.composition = Set(Some(digest.clone()));
    m.composed_templates = Set(Some(app.state.templates.fingerprint().to_owned()));
    m.approved_at = Set(Some(tocsin::audit::now()));
    m.approved_by = Set(None);
    m.approved_version = Set(version);
    m.approved_composition = Set(Some(digest));
    m.update(&app.db).await.unwrap();
}

async fn publish(app: &TestApp, id: i64) -> (u16, Value) {
    app.act(id, "announcement", &app.admin_token).await
}

/// A GET without credentials: status, content type, body.
async fn public_get(app: &TestApp, path: &str) -> (u16, String, String) {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ctype, res.text().await.unwrap())
}

const SECTIONS: [&str; 5] = [
    "What happened",
    "What information was involved",
    "What we are doing",
    "What you can do",
    "How to contact us",
];

async fn publishing_needs_approval_then_keeps_its_slug(app: TestApp) {
    let id = create_incident(&app, "Leak of member passwords", SUMMARY).await;
    let (status, body) = publish(&app, id).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "not_approved", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("second person"), "{message}");
    assert_eq!(app.count("announcements").await, 0);

    approve(&app, id).await;
    let (status, first) = publish(&app, id).await;
    assert_eq!(status, 201, "{first}");
    let slug = first["slug"].as_str().unwrap().to_owned();
    let today = tocsin::audit::now().format("%Y-%m-%d").to_string();
    assert_eq!(slug, format!("{today}-leak-of-member-passwords-{id}"));
    assert_eq!(first["url"], app.url(&format!("/announcements/{slug}")));
    assert_eq!(first["published_at"], first["updated_at"]);

    let (status, second) = publish(&app, id).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["slug"], first["slug"]);
    assert_eq!(second["url"], first["url"]);
    assert_eq!(second["published_at"], first["published_at"]);
    assert_ne!(second["updated_at"], first["updated_at"]);
    assert_eq!(app.count("announcements").await, 1);

    let (status, shown) = app
        .get(
            &format!("/api/v1/incidents/{id}/announcement"),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(shown["updated_at"], second["updated_at"]);

    let (_, timeline) = app
        .get(
            &format!("/api/v1/incidents/{id}/timeline"),
            &app.admin_token,
        )
        .await;
    let published: Vec<&Value> = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "announcement_published")
        .collect();
    assert_eq!(published.len(), 2, "{timeline}");
    assert_eq!(published[0]["details"]["slug"], first["slug"]);
    assert_eq!(published[0]["details"]["url"], first["url"]);
    assert_eq!(published[0]["details"]["first_publication"], true);
    assert_eq!(published[1]["details"]["first_publication"], false);

    let (_, audit) = app.get("/api/v1/audit", &app.admin_token).await;
    assert!(
        audit
            .to_string()
            .contains("incident.announcement_published"),
        "{audit}"
    );
}

async fn public_pages_and_feeds_need_no_login(app: TestApp) {
    let id = create_incident(&app, "Leak of member passwords", SUMMARY).await;
    approve(&app, id).await;
    let (_, p) = publish(&app, id).await;
    let slug = p["slug"].as_str().unwrap();
    let url = p["url"].as_str().unwrap();

    let (status, ctype, page) = public_get(&app, &format!("/announcements/{slug}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(page.contains(r#"<html lang="en">"#), "{page}");
    assert!(page.contains("<h1>Leak of member passwords</h1>"), "{page}");
    assert!(page.contains("Example Sourcing Marketplace"), "{page}");
    assert!(page.contains(SUMMARY), "{page}");
    for s in SECTIONS {
        assert!(
            page.contains(&format!("<h2>{s}</h2>")),
            "{s} missing: {page}"
        );
    }
    assert!(page.contains(&format!("TOCSIN-{id}")), "{page}");
    assert!(page.contains("Last updated"), "{page}");
    assert!(page.contains("Turn on two-step verification"), "{page}");
    assert!(!page.contains("<script"), "no script");
    assert!(!page.contains("src=\"http"), "no external resources");

    let (status, ctype, index) = public_get(&app, "/announcements").await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"));
    assert!(index.contains("Leak of member passwords"), "{index}");
    assert!(index.contains(&format!(r#"href="{url}""#)), "{index}");

    let (status, ctype, atom) = public_get(&app, "/announcements.atom").await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "application/atom+xml");
    let feed = atom_syndication::Feed::from_str(&atom).expect("the Atom feed parses");
    assert_eq!(feed.entries().len(), 1, "{atom}");
    let e = &feed.entries()[0];
    assert_eq!(e.title().as_str(), "Leak of member passwords");
    assert_eq!(e.id(), url, "the entry id is the stable page URL");
    let alternate = e.links().iter().find(|l| l.rel() == "alternate").unwrap();
    assert_eq!(alternate.href(), url);
    assert_eq!(e.updated().to_rfc3339(), rfc3339(&p["updated_at"]));
    assert_eq!(
        e.published().unwrap().to_rfc3339(),
        rfc3339(&p["published_at"])
    );
    let content = e.content().unwrap();
    assert_eq!(content.content_type(), Some("html"));
    assert!(content
        .value()
        .unwrap()
        .contains("<h2>What you can do</h2>"));
    assert!(e.summary().unwrap().as_str().contains("leaked backup"));
    assert!(feed
        .links()
        .iter()
        .any(|l| l.rel() == "self" && l.href() == app.url("/announcements.atom")));

    let (status, ctype, json) = public_get(&app, "/announcements.json").await;
    assert_eq!(status, 200);
    assert!(ctype.contains("json"), "{ctype}");
    let feed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["home_page_url"], app.url("/announcements"));
    assert_eq!(feed["feed_url"], app.url("/announcements.json"));
    let item = &feed["items"][0];
    assert_eq!(item["id"], url);
    assert_eq!(item["url"], url);
    assert_eq!(item["title"], "Leak of member passwords");
    assert_eq!(item["date_published"], p["published_at"]);
    assert_eq!(item["date_modified"], p["updated_at"]);
    assert!(item["content_html"]
        .as_str()
        .unwrap()
        .contains("<h2>What happened</h2>"));
    let text = item["content_text"].as_str().unwrap();
    assert!(text.contains("WHAT YOU CAN DO"), "{text}");
    assert!(text.contains(SUMMARY), "{text}");
}

/// The same instant as the API's RFC 3339 text, in chrono's spelling.
fn rfc3339(v: &Value) -> String {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .to_rfc3339()
}

async fn empty_index_and_feeds_are_valid(app: TestApp) {
    let (status, _, index) = public_get(&app, "/announcements").await;
    assert_eq!(status, 200);
    assert!(index.contains("There are no announcements"), "{index}");
    let (_, _, atom) = public_get(&app, "/announcements.atom").await;
    let feed = atom_syndication::Feed::from_str(&atom).expect("the Atom feed parses");
    assert!(feed.entries().is_empty());
    let (_, _, json) = public_get(&app, "/announcements.json").await;
    let feed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(feed["items"], json!([]));
}

async fn hostile_text_is_escaped_everywhere(app: TestApp) {
    let title = r#"<script>alert(1)</script> & "Co" <b>"#;
    let summary = r#"See <img src=x onerror=alert(2)> & ]]> here"#;
    let id = create_incident(&app, title, summary).await;
    approve(&app, id).await;
    let (status, p) = publish(&app, id).await;
    assert_eq!(status, 201, "{p}");
    let slug = p["slug"].as_str().unwrap();
    assert!(
        slug.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "{slug}"
    );

    for path in [format!("/announcements/{slug}"), "/announcements".into()] {
        let (status, _, page) = public_get(&app, &path).await;
        assert_eq!(status, 200);
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot; &lt;b&gt;"),
            "{path}: {page}"
        );
        assert!(!page.contains("<script"), "{path}: {page}");
        assert!(!page.contains("<b>"), "{path}: {page}");
        assert!(!page.contains("<img"), "{path}: {page}");
    }
    let (_, _, page) = public_get(&app, &format!("/announcements/{slug}")).await;
    assert!(
        page.contains("See &lt;img src&#x3D;x onerror&#x3D;alert(2)&gt; &amp; ]]&gt; here"),
        "{page}"
    );

    let (_, _, atom) = public_get(&app, "/announcements.atom").await;
    assert!(!atom.contains("<script"), "{atom}");
    assert!(!atom.contains("<img"), "{atom}");
    let feed = atom_syndication::Feed::from_str(&atom).expect("the Atom feed parses");
    let e = &feed.entries()[0];
    assert_eq!(
        e.title().as_str(),
        title,
        "the title round-trips through XML"
    );
    let html = e.content().unwrap().value().unwrap();
    assert!(html.contains("&lt;img src&#x3D;x"), "{html}");
    assert!(!html.contains("<img"), "{html}");

    let (_, _, json) = public_get(&app, "/announcements.json").await;
    let feed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(feed["items"][0]["title"], title);
    let html = feed["items"][0]["content_html"].as_str().unwrap();
    assert!(!html.contains("<img"), "{html}");
    assert!(feed["items"][0]["content_text"]
        .as_str()
        .unwrap()
        .contains("<img src=x onerror=alert(2)>"));
}

async fn unknown_slugs_and_incidents_are_not_found(app: TestApp) {
    let (status, ctype, page) = public_get(&app, "/announcements/2026-01-01-nothing-999").await;
    assert_eq!(status, 404);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(page.contains("Announcement not found"), "{page}");
    let (status, _, page) = public_get(&app, "/announcements/%3Cscript%3E").await;
    assert_eq!(status, 404);
    assert!(!page.contains("<script"));

    let (status, body) = publish(&app, 999_999).await;
    assert_eq!(status, 404, "{body}");
    let id = create_incident(&app, "Not yet published", SUMMARY).await;
    let (status, _) = app
        .get(
            &format!("/api/v1/incidents/{id}/announcement"),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, 404);
}

async fn only_responders_and_admins_publish(app: TestApp) {
    let id = create_incident(&app, "Leak of member passwords", SUMMARY).await;
    approve(&app, id).await;
    let path = format!("/api/v1/incidents/{id}/announcement");
    for role in [Role::Viewer, Role::Approver] {
        let token = app.token_for(role).await;
        let (status, body) = app.post_json(&path, &token, &json!({})).await;
        assert_eq!(status, 403, "{role:?}: {body}");
    }
    let res = app.client.post(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(app.count("announcements").await, 0);

    let token = app.token_for(Role::Responder).await;
    let (status, body) = app.post_json(&path, &token, &json!({})).await;
    assert_eq!(status, 201, "{body}");
}

async fn a_change_reaches_the_page_only_after_a_new_approval(app: TestApp) {
    let id = create_incident(&app, "Leak of member passwords", SUMMARY).await;
    approve(&app, id).await;
    let (_, first) = publish(&app, id).await;
    let path = format!("/announcements/{}", first["slug"].as_str().unwrap());

    let new_summary = "Update: the backup also held the e-mail addresses of members.";
    let (status, body) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &app.admin_token,
            &json!({ "summary": new_summary }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = publish(&app, id).await;
    assert_eq!(status, 409, "the change is not approved yet: {body}");
    let (_, _, page) = public_get(&app, &path).await;
    assert!(page.contains(SUMMARY), "the approved text stays up");
    assert!(!page.contains(new_summary));

    approve(&app, id).await;
    let (status, second) = publish(&app, id).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["slug"], first["slug"]);
    assert_eq!(second["published_at"], first["published_at"]);
    let (_, _, page) = public_get(&app, &path).await;
    assert!(page.contains(new_summary), "{page}");
    assert!(!page.contains(SUMMARY), "{page}");
    let (_, _, json) = public_get(&app, "/announcements.json").await;
    let feed: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(feed["items"][0]["date_modified"], second["updated_at"]);
    assert_eq!(feed["items"][0]["date_published"], first["published_at"]);
}

async fn a_closed_incident_may_still_be_announced(app: TestApp) {
    let id = create_incident(&app, "Leak of member passwords", SUMMARY).await;
    let (status, body) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &app.admin_token,
            &json!({ "status": "closed" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    approve(&app, id).await;
    let (status, body) = publish(&app, id).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = publish(&app, id).await;
    assert_eq!(status, 200, "{body}");
}

async fn the_index_lists_the_newest_first(app: TestApp) {
    let mut ids = Vec::new();
    for title in ["First incident", "Second incident", "Third incident"] {
        let id = create_incident(&app, title, SUMMARY).await;
        approve(&app, id).await;
        let (status, _) = publish(&app, id).await;
        assert_eq!(status, 201);
        ids.push(id);
    }
    // Updating the oldest does not move it: the order is by first publication.
    publish(&app, ids[0]).await;
    let (_, _, index) = public_get(&app, "/announcements").await;
    let pos = |t: &str| index.find(t).unwrap_or_else(|| panic!("{t}: {index}"));
    assert!(pos("Third incident") < pos("Second incident"));
    assert!(pos("Second incident") < pos("First incident"));
    let (_, _, json) = public_get(&app, "/announcements.json").await;
    let feed: Value = serde_json::from_str(&json).unwrap();
    let titles: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Third incident", "Second incident", "First incident"]
    );
}

crate::on_both_databases!(
    publishing_needs_approval_then_keeps_its_slug,
    public_pages_and_feeds_need_no_login,
    empty_index_and_feeds_are_valid,
    hostile_text_is_escaped_everywhere,
    unknown_slugs_and_incidents_are_not_found,
    only_responders_and_admins_publish,
    a_change_reaches_the_page_only_after_a_new_approval,
    a_closed_incident_may_still_be_announced,
    the_index_lists_the_newest_first,
);
