//! What the push tests share: an app configured against the local providers, importing
//! devices, running an incident through, and reading what the database recorded.
use crate::helpers::{Backend, TestApp};
use crate::providers::apns::{self, ApnsServer};
use crate::providers::fcm::FcmServer;
use crate::providers::webpush::WebPushServer;
use sea_orm::ConnectionTrait;
use serde_json::json;
use tocsin::domain::Role;

/// The three providers, and the files the app is configured with.
pub struct Providers {
    pub fcm: FcmServer,
    pub apns: ApnsServer,
    pub webpush: WebPushServer,
    _dir: tempfile::TempDir,
}

/// An app with FCM, APNs and Web Push configured against local servers.
pub async fn start(backend: Backend) -> Option<(TestApp, Providers)> {
    let dir = tempfile::tempdir().unwrap();
    let p = Providers {
        fcm: FcmServer::start(dir.path()).await,
        apns: ApnsServer::start(dir.path()).await,
        webpush: WebPushServer::start().await,
        _dir: dir,
    };
    let vapid = b64url(&p256::SecretKey::random(&mut rand::rngs::OsRng).to_bytes());
    let env = [
        ("TOCSIN_FCM_URL", p.fcm.url()),
        ("TOCSIN_FCM_CREDENTIALS", path(&p.fcm.credentials)),
        ("TOCSIN_APNS_URL", p.apns.url()),
        ("TOCSIN_APNS_KEY", path(&p.apns.key_file)),
        ("TOCSIN_APNS_KEY_ID", apns::KEY_ID.into()),
        ("TOCSIN_APNS_TEAM_ID", apns::TEAM_ID.into()),
        ("TOCSIN_APNS_TOPIC", apns::TOPIC.into()),
        ("TOCSIN_APNS_CA", path(&p.apns.ca_file)),
        ("TOCSIN_VAPID_KEY", vapid),
        ("TOCSIN_VAPID_SUBJECT", "mailto:security@example.com".into()),
        ("TOCSIN_WEBPUSH_ALLOW", p.webpush.origin()),
        ("TOCSIN_RETRY_BASE_MS", "0".into()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = TestApp::spawn_with(backend, &env).await?;
    Some((app, p))
}

pub fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// A 64-digit hexadecimal APNs device token.
pub fn apns_token(n: u32) -> String {
    format!("{n:064x}")
}

/// Imports people's push devices: one row per `(external_id, platform, token)`.
pub async fn import(app: &TestApp, devices: &[(&str, &str, &str)]) {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut csv = String::from("external_id,email,push_platform,push_token\n");
    for (id, platform, token) in devices {
        csv.push_str(&format!(
            "{id},{id}@example.com,{platform},{}\n",
            quote(token)
        ));
    }
    let (status, report) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["rejected_count"], 0, "{report}");
}

/// Opens an incident on `channels` for `people`, composes and approves its notices.
pub async fn compose(app: &TestApp, channels: &[&str], people: &[&str]) -> i64 {
    let responder = app.token_for(Role::Responder).await;
    let (status, body) = app
        .post_json(
            "/api/v1/incidents",
            &responder,
            &json!({
                "title": "Member passwords exposed in a leaked backup",
                "summary": "A database backup with member sign-in details was left readable.",
                "kind": "credential-exposure",
                "severity": "high",
                "aware_at": "2026-11-24T09:00:00Z",
                "cause": "A storage bucket was made public by mistake.",
                "channels": channels,
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let path = format!("/api/v1/incidents/{id}/population");
    let (status, pop) = app
        .post_json(&path, &responder, &json!({ "external_ids": people }))
        .await;
    assert_eq!(status, 200, "{pop}");
    let (status, body) = app.act(id, "notices", &responder).await;
    assert!(status < 300, "notices: {status} {body}");
    let approver = app.token_for(Role::Approver).await;
    let (status, body) = app.act(id, "approval", &approver).await;
    assert!(status < 300, "approval: {status} {body}");
    id
}

/// Dispatches a composed incident (queues its deliveries).
pub async fn dispatch(app: &TestApp, id: i64) {
    let responder = app.token_for(Role::Responder).await;
    let (status, body) = app.act(id, "dispatch", &responder).await;
    assert!(status < 300, "dispatch: {status} {body}");
}

/// Composes, dispatches and sends an incident until the outbox is drained.
pub async fn notify(app: &TestApp, channels: &[&str], people: &[&str]) -> i64 {
    let id = compose(app, channels, people).await;
    dispatch(app, id).await;
    app.drain().await;
    id
}

#[derive(Debug)]
pub struct Delivery {
    pub person: String,
    pub channel: String,
    pub status: String,
    pub reference: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
}

pub async fn deliveries(app: &TestApp, incident: i64) -> Vec<Delivery> {
    let sql = format!(
        "SELECT s.external_id, d.channel, d.status, d.provider_ref, d.last_error, d.attempts \
         FROM deliveries d JOIN subjects s ON s.id = d.subject_id \
         WHERE d.incident_id = {incident} ORDER BY d.id"
    );
    let rows = app.db.query_all(stmt(app, &sql)).await.unwrap();
    rows.iter()
        .map(|r| Delivery {
            person: r.try_get("", "external_id").unwrap(),
            channel: r.try_get("", "channel").unwrap(),
            status: r.try_get("", "status").unwrap(),
            reference: r.try_get("", "provider_ref").unwrap(),
            error: r.try_get("", "last_error").unwrap(),
            attempts: r.try_get("", "attempts").unwrap(),
        })
        .collect()
}

/// One text column of one row.
pub async fn text(app: &TestApp, sql: &str, column: &str) -> Option<String> {
    let row = app.db.query_one(stmt(app, sql)).await.unwrap()?;
    row.try_get("", column).unwrap()
}

pub fn stmt(app: &TestApp, sql: &str) -> sea_orm::Statement {
    sea_orm::Statement::from_string(app.db.get_database_backend(), sql.to_owned())
}

/// The tokens of the devices marked dead, sorted.
pub async fn dead_tokens(app: &TestApp) -> Vec<String> {
    let sql = "SELECT token FROM subject_devices WHERE dead_at IS NOT NULL";
    let rows = app.db.query_all(stmt(app, sql)).await.unwrap();
    let mut tokens: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("", "token").unwrap())
        .collect();
    tokens.sort();
    tokens
}

pub async fn device_id(app: &TestApp, token: &str) -> String {
    let sql = format!("SELECT CAST(id AS TEXT) AS id FROM subject_devices WHERE token = '{token}'");
    text(app, &sql, "id").await.unwrap()
}

/// The person's composed push notice: (device ids, title, body).
pub async fn push_notice(app: &TestApp, incident: i64, person: &str) -> (String, String, String) {
    let sql = format!(
        "SELECT n.recipient, n.subject_line, n.body_text FROM notices n \
         JOIN subjects s ON s.id = n.subject_id \
         WHERE n.incident_id = {incident} AND n.channel = 'push' AND s.external_id = '{person}'"
    );
    let get = |c: &'static str| text(app, &sql, c);
    (
        get("recipient").await.unwrap(),
        get("subject_line").await.unwrap(),
        get("body_text").await.unwrap(),
    )
}

/// The link to the person's full notice, as the app serves it.
pub async fn link(app: &TestApp, incident: i64, person: &str) -> String {
    let sql = format!(
        "SELECT l.code FROM notice_links l JOIN subjects s ON s.id = l.subject_id \
         WHERE l.incident_id = {incident} AND s.external_id = '{person}'"
    );
    app.url(&format!("/n/{}", text(app, &sql, "code").await.unwrap()))
}

pub fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64url(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}
