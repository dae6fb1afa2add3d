//! What an approval covers and what may change after it: approvals name the composition the
//! approver reviewed; anything changed since (content, clock start, population, templates)
//! makes the approval lapse; what is sent is what was composed.
use crate::helpers::{Backend, TestApp};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use tocsin::domain::Role;

pub const PEOPLE: &str = "\
external_id,name,email,country,region,locale
i-a,Ana Approved,ana@example.com,ES,,es
i-b,Ben Before,ben@example.com,GB,,en-GB
i-c,Cai Chen,cai@example.com,CN,,zh-CN
i-d,Dee Later,dee@example.com,US,US-CA,en-US
";

pub struct Team {
    pub responder: String,
    pub approver: String,
}

pub async fn team(app: &TestApp) -> Team {
    Team {
        responder: app.token_for(Role::Responder).await,
        approver: app.token_for(Role::Approver).await,
    }
}

/// An incident with people i-a, i-b and i-c in its population, its notices composed.
pub async fn composed(app: &TestApp, t: &Team) -> (i64, String) {
    let (status, _) = app
        .post_body("/api/v1/subjects/import", &t.responder, "text/csv", PEOPLE)
        .await;
    assert_eq!(status, 200);
    let (status, inc) = app
        .post_json(
            "/api/v1/incidents",
            &t.responder,
            &json!({
                "title": "Chat records exposed",
                "summary": "A processor's storage bucket was readable.",
                // China's PIPL Art. 57 notice states the cause (i-c lives in China).
                "cause": "A configuration change made the bucket public.",
                "kind": "chat-translation-leak",
                "aware_at": "2026-11-24T09:00:00Z",
                "channels": ["email"],
            }),
        )
        .await;
    assert_eq!(status, 201, "{inc}");
    let id = inc["id"].as_i64().unwrap();
    let (status, pop) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/population"),
            &t.responder,
            &json!({ "external_ids": ["i-a", "i-b", "i-c"] }),
        )
        .await;
    assert_eq!(status, 200, "{pop}");
    let (status, c) = app.act(id, "notices", &t.responder).await;
    assert_eq!(status, 200, "{c}");
    let digest = c["composition"].as_str().unwrap().to_owned();
    assert_eq!(digest.len(), 64, "a SHA-256 in hex: {c}");
    (id, digest)
}

pub async fn approve_digest(app: &TestApp, id: i64, token: &str, digest: &str) -> (u16, Value) {
    app.post_json(
        &format!("/api/v1/incidents/{id}/approval"),
        token,
        &json!({ "composition": digest }),
    )
    .await
}

async fn an_approval_covers_exactly_the_composition_reviewed(app: TestApp) {
    let t = team(&app).await;
    let (id, reviewed) = composed(&app, &t).await;
    // The approver previews: the preview names the composition it belongs to.
    let (status, p) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/preview?external_id=i-a&channel=email"),
            &t.approver,
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["composition"], reviewed.as_str());

    // Meanwhile the responder edits the text and composes again.
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &t.responder,
            &json!({ "summary": "Edited after the approver looked." }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, c) = app.act(id, "notices", &t.responder).await;
    assert_eq!(status, 200);
    let current = c["composition"].as_str().unwrap().to_owned();
    assert_ne!(current, reviewed, "other content, other composition");

    // Approving what was reviewed is refused: it is not what would be sent.
    let (status, e) = approve_digest(&app, id, &t.approver, &reviewed).await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"]["code"], "stale_composition");
    assert!(e["error"]["message"].as_str().unwrap().contains(&current));
    let (status, e) = approve_digest(&app, id, &t.approver, "").await;
    assert_eq!(status, 422, "the composition is required: {e}");
    assert_eq!(app.act(id, "dispatch", &t.responder).await.0, 409);

    // Approving the current one, after looking at it, works.
    let (_, p) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/preview?external_id=i-a"),
            &t.approver,
        )
        .await;
    assert!(p["text"].as_str().unwrap().contains("Edited after"));
    let (status, a) = approve_digest(&app, id, &t.approver, &current).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["notices"]["approved_composition"], current.as_str());
    let approved = app.events(id, &["notices_approved"]).await;
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["details"]["composition"], current.as_str());
}

async fn a_population_change_after_approval_stops_dispatch(app: TestApp) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let (status, _) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/population"),
            &t.responder,
            &json!({ "external_ids": ["i-d"] }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, e) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 409, "the approval did not cover i-d: {e}");
    assert_eq!(e["error"]["code"], "not_approved");
    let (status, e) = approve_digest(&app, id, &t.approver, &digest).await;
    assert_eq!(status, 409);
    assert_eq!(e["error"]["code"], "stale_notices");
    assert_eq!(app.count("deliveries").await, 0);
    assert!(!app.events(id, &["approval_withdrawn"]).await.is_empty());
}

async fn the_clock_start_is_content(app: TestApp) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let path = format!("/api/v1/incidents/{id}");
    let (status, e) = app
        .patch_json(
            &path,
            &t.responder,
            &json!({ "aware_at": "2999-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(
        status, 422,
        "a future clock start is refused on PATCH too: {e}"
    );
    assert!(e["error"]["details"]["aware_at"].is_string(), "{e}");
    let (status, inc) = app
        .patch_json(
            &path,
            &t.responder,
            &json!({ "aware_at": "2026-11-23T18:00:00Z" }),
        )
        .await;
    assert_eq!(status, 200, "{inc}");
    assert_eq!(inc["notices"]["approved"], false, "{inc}");
    assert_eq!(
        inc["content_version"], 3,
        "the population and the clock start each moved it"
    );
    let (status, e) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(app.events(id, &["approval_withdrawn"]).await.len(), 1);
    // Composed again, the notices say when the organisation became aware.
    let (_, c) = app.act(id, "notices", &t.responder).await;
    let (_, p) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/preview?external_id=i-b"),
            &t.approver,
        )
        .await;
    assert!(
        p["text"].as_str().unwrap().contains("23 November 2026"),
        "{p}"
    );
    assert_eq!(p["composition"], c["composition"]);
}

async fn what_is_sent_is_the_name_that_was_composed(app: TestApp) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    // The registry changes after approval: the name on the envelope must not.
    let (status, _) = app
        .post_body(
            "/api/v1/subjects/import",
            &t.responder,
            "text/csv",
            "external_id,name\ni-a,Somebody Else\n",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.act(id, "dispatch", &t.responder).await.0, 202);
    app.drain().await;
    let dir = app.test_db.dir.path().join("outbox/email");
    let all: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(all.contains("\"Ana Approved\" <ana@example.com>"), "{all}");
    assert!(!all.contains("Somebody Else"));
}

async fn a_corrupt_stored_value_is_an_error_not_a_default(app: TestApp) {
    let t = team(&app).await;
    let (id, _) = composed(&app, &t).await;
    // The database itself refuses a word Tocsin does not write …
    let bad = app
        .db
        .execute_unprepared(&format!(
            "UPDATE incidents SET status = 'bogus' WHERE id = {id}"
        ))
        .await;
    assert!(bad.is_err(), "the status column is checked");
    let bad = app
        .db
        .execute_unprepared(&format!(
            "UPDATE notices SET channel = 'fax' WHERE incident_id = {id}"
        ))
        .await;
    assert!(bad.is_err(), "the channel column is checked");
    // … and when the check is gone (a hand edit, an old backup), reading fails loudly.
    let drop = match app.backend {
        Backend::Sqlite => "DROP TRIGGER ck_incidents_status_upd",
        Backend::Postgres => "ALTER TABLE incidents DROP CONSTRAINT ck_incidents_status",
    };
    app.db.execute_unprepared(drop).await.unwrap();
    app.db
        .execute_unprepared(&format!(
            "UPDATE incidents SET status = 'bogus' WHERE id = {id}"
        ))
        .await
        .unwrap();
    let (status, body) = app
        .get(&format!("/api/v1/incidents/{id}"), &t.responder)
        .await;
    assert_eq!(status, 500, "never shown as 'open': {body}");
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &t.responder,
            &json!({ "status": "investigating" }),
        )
        .await;
    assert_eq!(status, 500, "no move from an unknown status");
}

async fn links_keep_the_path_of_the_public_url(app: TestApp) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let (status, a) = app.act(id, "announcement", &t.responder).await;
    assert_eq!(status, 201, "{a}");
    let slug = a["slug"].as_str().unwrap();
    let url = format!("https://x.example/security/announcements/{slug}");
    assert_eq!(a["url"], url.as_str());
    // Notices composed now link to the announcement, under the same path.
    let (_, c) = app.act(id, "notices", &t.responder).await;
    assert!(c["composition"].is_string());
    let (_, p) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/preview?external_id=i-c"),
            &t.approver,
        )
        .await;
    assert!(p["text"].as_str().unwrap().contains(&url), "{p}");
    let res = app
        .client
        .get(app.url("/announcements.json"))
        .send()
        .await
        .unwrap();
    let feed: Value = res.json().await.unwrap();
    assert_eq!(
        feed["feed_url"],
        "https://x.example/security/announcements.json"
    );
}

crate::on_both_databases!(
    an_approval_covers_exactly_the_composition_reviewed,
    a_population_change_after_approval_stops_dispatch,
    the_clock_start_is_content,
    what_is_sent_is_the_name_that_was_composed,
    a_corrupt_stored_value_is_an_error_not_a_default,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_keep_the_path_sqlite() {
    if let Some(app) = TestApp::spawn_with(
        Backend::Sqlite,
        &[("TOCSIN_PUBLIC_URL", "https://x.example/security")],
    )
    .await
    {
        links_keep_the_path_of_the_public_url(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_keep_the_path_postgres() {
    if let Some(app) = TestApp::spawn_with(
        Backend::Postgres,
        &[("TOCSIN_PUBLIC_URL", "https://x.example/security/")],
    )
    .await
    {
        links_keep_the_path_of_the_public_url(app).await;
    }
}

/// Templates changed between composing and sending (a restart with other templates): the
/// approval does not cover what the new templates would say.
async fn changed_templates_make_the_composition_stale(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
        &templates,
    );
    let Some(app) = TestApp::spawn_with(
        backend,
        &[("TOCSIN_TEMPLATES_DIR", templates.to_str().unwrap())],
    )
    .await
    else {
        return;
    };
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let subject = templates.join("notices/en/email.subject.hbs");
    let mut text = std::fs::read_to_string(&subject).unwrap();
    text.push_str(" (updated)");
    std::fs::write(&subject, text).unwrap();
    let other = app.restarted().await;
    let (status, e) = other.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 409, "{e}");
    let (status, e) = approve_digest(&other, id, &t.approver, &digest).await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"]["code"], "stale_notices");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("templates"));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_templates_sqlite() {
    changed_templates_make_the_composition_stale(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_templates_postgres() {
    changed_templates_make_the_composition_stale(Backend::Postgres).await;
}
