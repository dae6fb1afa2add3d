//! The SMS channel end to end: the app sends through a local Twilio (`providers::twilio`),
//! falls back between e-mail (the in-process SMTP server) and SMS, honours Twilio's errors and
//! `Retry-After`, and writes JSON files when no provider is configured.
use crate::flow::{team, Team};
use crate::helpers::{Backend, TestApp};
use crate::providers::twilio::{Answer, TwilioServer, ACCOUNT, FROM};
use crate::smtp::SmtpServer;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

pub const PEOPLE: &str = "\
external_id,name,email,phone,country,region,locale
s-a,Ana Lima,ana@example.com,+14155552671,US,US-CA,en
s-b,Ben Okafor,ben@bounce.example.com,+14155552672,US,US-CA,en
s-c,Chen Wei,,+8613812345678,CN,,zh-CN
s-d,Dana Noble,dana@example.com,,DE,,de
";
pub const ANA: &str = "+14155552671";
pub const BEN: &str = "+14155552672";
pub const CHEN: &str = "+8613812345678";

/// An app pointed at a local Twilio and a local SMTP server; retries come at once unless
/// `extra` says otherwise.
pub async fn with_sms(
    backend: Backend,
    extra: &[(&str, &str)],
    test: impl AsyncFnOnce(TestApp, TwilioServer, SmtpServer),
) {
    let twilio = TwilioServer::start().await;
    let smtp = SmtpServer::start();
    let sms_env = twilio.env();
    let smtp_url = smtp.url();
    let mut env: Vec<(&str, &str)> = sms_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("TOCSIN_SMTP_URL", &smtp_url));
    env.push(("TOCSIN_RETRY_BASE_MS", "0"));
    env.extend_from_slice(extra);
    let Some(app) = TestApp::spawn_with(backend, &env).await else {
        return;
    };
    test(app, twilio, smtp).await;
}

/// Each named `async fn(TestApp, TwilioServer, SmtpServer)` as a test on each database.
#[macro_export]
macro_rules! with_sms_on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::sms::with_sms($crate::helpers::Backend::Sqlite, &[], super::$name).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::sms::with_sms($crate::helpers::Backend::Postgres, &[], super::$name).await;
                }
            }
        )*
    };
}

/// Opens an incident on `channels` for `people` (of [`PEOPLE`]), composes, approves and
/// dispatches it.
pub async fn dispatched(app: &TestApp, channels: &[&str], people: &[&str]) -> (Team, i64) {
    let (t, id) = approved(app, channels, people).await;
    let (status, body) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202, "{body}");
    (t, id)
}

/// Opens an incident on `channels` for `people` (of [`PEOPLE`]), composes and approves it.
pub async fn approved(app: &TestApp, channels: &[&str], people: &[&str]) -> (Team, i64) {
    let t = team(app).await;
    let (status, _) = app
        .post_body("/api/v1/subjects/import", &t.responder, "text/csv", PEOPLE)
        .await;
    assert_eq!(status, 200);
    let id = open(
        app,
        &t,
        channels,
        "A backup with member sign-in details was exposed.",
    )
    .await;
    let (status, pop) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/population"),
            &t.responder,
            &json!({ "external_ids": people }),
        )
        .await;
    assert_eq!(status, 200, "{pop}");
    for (action, token) in [("notices", &t.responder), ("approval", &t.approver)] {
        let (status, body) = app.act(id, action, token).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    (t, id)
}

pub async fn open(app: &TestApp, t: &Team, channels: &[&str], summary: &str) -> i64 {
    let (status, body) = app
        .post_json(
            "/api/v1/incidents",
            &t.responder,
            &json!({
                "title": "Member passwords exposed in a leaked backup",
                "summary": summary,
                // China's PIPL Art. 57 notice states the cause (s-c lives in China).
                "cause": "A storage bucket was made public by mistake.",
                "kind": "credential-exposure",
                "severity": "high",
                "aware_at": "2026-11-24T09:00:00Z",
                "channels": channels,
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

/// One delivery as stored.
#[derive(Debug)]
pub struct Row {
    pub person: String,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub provider_ref: Option<String>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
}

pub async fn rows(app: &TestApp, incident: i64) -> Vec<Row> {
    let sql = format!(
        "SELECT s.external_id, d.channel, d.status, d.attempts, d.provider_ref, d.last_error, \
         d.next_attempt_at FROM deliveries d JOIN subjects s ON s.id = d.subject_id \
         WHERE d.incident_id = {incident} ORDER BY d.id"
    );
    let stmt = sea_orm::Statement::from_string(app.db.get_database_backend(), sql);
    let found = app.db.query_all(stmt).await.unwrap();
    found
        .iter()
        .map(|r| Row {
            person: r.try_get("", "external_id").unwrap(),
            channel: r.try_get("", "channel").unwrap(),
            status: r.try_get("", "status").unwrap(),
            attempts: r.try_get("", "attempts").unwrap(),
            provider_ref: r.try_get("", "provider_ref").unwrap(),
            last_error: r.try_get("", "last_error").unwrap(),
            next_attempt_at: r.try_get("", "next_attempt_at").unwrap(),
        })
        .collect()
}

pub async fn delivery(app: &TestApp, t: &Team, id: i64) -> serde_json::Value {
    let (status, del) = app
        .get(&format!("/api/v1/incidents/{id}/delivery"), &t.viewer)
        .await;
    assert_eq!(status, 200, "{del}");
    del
}

/// The `/n/{code}` link at the end of an SMS.
fn link_in(body: &str) -> &str {
    let start = body.find("http://").expect("a link");
    body[start..].split_whitespace().next().unwrap()
}

async fn an_sms_incident_texts_everyone_with_a_phone_a_link_to_their_notice(
    app: TestApp,
    twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    let (t, id) = dispatched(&app, &["sms"], &["s-a", "s-b", "s-c", "s-d"]).await;
    app.drain().await;
    let sent = twilio.requests();
    let mut to: Vec<&str> = sent.iter().map(|r| r.to()).collect();
    to.sort();
    assert_eq!(to, [ANA, BEN, CHEN], "one SMS to each person with a phone");
    let callback = app.url("/api/v1/delivery/sms/status");
    for r in &sent {
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.account, ACCOUNT);
        assert_eq!(r.field("From"), Some(FROM));
        assert_eq!(r.field("MessagingServiceSid"), None);
        assert_eq!(r.field("StatusCallback"), Some(callback.as_str()));
        assert!(
            r.body().starts_with("Example Sourcing Marketplace: "),
            "names the organisation: {}",
            r.body()
        );
        let link = link_in(r.body());
        assert!(link.starts_with(&app.url("/n/")), "{link}");
        let page = app.client.get(link).send().await.unwrap();
        assert_eq!(page.status(), 200, "{link}");
        let html = page.text().await.unwrap();
        let name = match r.to() {
            ANA => "Ana Lima",
            BEN => "Ben Okafor",
            _ => "Chen Wei",
        };
        assert!(html.contains(&format!("Dear {name},")), "their own notice");
        assert!(html.contains("What you can do"), "the full notice");
    }
    let mut sids: Vec<String> = sent.iter().map(|r| r.sid.clone().unwrap()).collect();
    let mut refs: Vec<String> = rows(&app, id)
        .await
        .into_iter()
        .filter_map(|r| r.provider_ref)
        .collect();
    sids.sort();
    refs.sort();
    assert_eq!(refs, sids, "each delivery keeps its message SID");
    let del = delivery(&app, &t, id).await;
    assert_eq!(del["sent"], 3, "{del}");
    assert_eq!(del["unreachable"], 1, "Dana has no phone: {del}");
    assert_eq!(del["by_channel"]["sms"]["sent"], 3, "{del}");
}

async fn an_email_that_bounces_is_followed_by_an_sms_at_once(
    app: TestApp,
    twilio: TwilioServer,
    smtp: SmtpServer,
) {
    smtp.reject("ben@bounce.example.com", 550);
    let (t, id) = dispatched(&app, &["email", "sms"], &["s-a", "s-b"]).await;
    app.drain().await;
    let texts = twilio.requests();
    assert_eq!(texts.len(), 1, "only Ben, whose e-mail bounced: {texts:?}");
    assert_eq!(texts[0].to(), BEN);
    assert_eq!(smtp.received().len(), 1, "Ana's e-mail");
    let del = delivery(&app, &t, id).await;
    assert_eq!(del["total"], 2, "{del}");
    assert_eq!(del["sent"], 2, "each person counted once: {del}");
    let email = &del["by_channel"]["email"];
    assert_eq!(
        (email["sent"].clone(), email["unreachable"].clone()),
        (json!(1), json!(1)),
        "{del}"
    );
    let sms = &del["by_channel"]["sms"];
    assert_eq!(
        (sms["total"].clone(), sms["sent"].clone()),
        (json!(1), json!(1)),
        "{del}"
    );

    // The ledger proves each step: queued, each attempt with what was sent, the fallback.
    let (status, ledger) = app
        .get(&format!("/api/v1/incidents/{id}/ledger"), &app.admin_token)
        .await;
    assert_eq!(status, 200, "{ledger}");
    let entries = ledger["entries"].as_array().unwrap();
    let story = |delivery: &Value| -> Vec<(String, String, Option<String>)> {
        entries
            .iter()
            .filter(|e| e["delivery_id"] == *delivery)
            .map(|e| {
                (
                    e["event"].as_str().unwrap().to_owned(),
                    e["status"].as_str().unwrap().to_owned(),
                    e["next_channel"].as_str().map(str::to_owned),
                )
            })
            .collect()
    };
    let step = |event: &str, status: &str, next: Option<&str>| {
        (event.to_owned(), status.to_owned(), next.map(str::to_owned))
    };
    let first = |channel: &str, status: &str| {
        entries
            .iter()
            .find(|e| e["channel"] == channel && e["status"] == status)
            .unwrap_or_else(|| panic!("a {channel} {status} entry in {ledger}"))
    };
    let bounced = first("email", "permanent_failure");
    assert_eq!(
        story(&bounced["delivery_id"]),
        [
            step("queued", "queued", None),
            step("attempt", "permanent_failure", None),
            step("fallback", "fell_back", Some("sms")),
        ],
        "{ledger}"
    );
    let queued = entries
        .iter()
        .find(|e| e["delivery_id"] == bounced["delivery_id"] && e["event"] == "queued")
        .unwrap();
    assert_eq!(
        bounced["content_sha256"], queued["content_sha256"],
        "what was sent is what was queued"
    );
    assert!(bounced["templates"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(bounced["details"]["attempt"], 1, "{bounced}");
    assert!(
        !bounced.to_string().contains("bounce.example.com"),
        "no address in the ledger: {bounced}"
    );
    let mailed = first("email", "sent");
    assert_eq!(
        story(&mailed["delivery_id"]),
        [
            step("queued", "queued", None),
            step("attempt", "sent", None)
        ]
    );
    assert!(
        mailed["provider_ref"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{mailed}"
    );
    let texted = first("sms", "sent");
    assert_eq!(
        story(&texted["delivery_id"]),
        [step("attempt", "sent", None)],
        "a fallback delivery is queued by the fallback entry of the one before"
    );
    let sid = rows(&app, id)
        .await
        .into_iter()
        .find(|r| r.channel == "sms")
        .and_then(|r| r.provider_ref)
        .unwrap();
    assert_eq!(texted["provider_ref"], sid.as_str(), "the message SID");
    tocsin::evidence::verify(&app.db, &app.audit_key())
        .await
        .expect("the ledger verifies");
}

async fn refused_numbers_are_unreachable_on_sms_and_the_next_channel_is_tried(
    app: TestApp,
    twilio: TwilioServer,
    smtp: SmtpServer,
) {
    twilio.answer(ANA, Answer::InvalidNumber);
    twilio.answer(BEN, Answer::Unsubscribed);
    twilio.answer(CHEN, Answer::NotMobile);
    let (t, id) = dispatched(&app, &["sms", "email"], &["s-a", "s-b", "s-c"]).await;
    app.drain().await;
    assert_eq!(
        twilio.requests().len(),
        3,
        "each number tried once, never retried"
    );
    let rows = rows(&app, id).await;
    for (person, code, number) in [
        ("s-a", "21211", ANA),
        ("s-b", "21610", BEN),
        ("s-c", "21614", CHEN),
    ] {
        let sms = rows
            .iter()
            .find(|r| r.person == person && r.channel == "sms")
            .unwrap();
        assert_eq!(sms.status, "unreachable", "{sms:?}");
        let reason = sms.last_error.as_deref().unwrap();
        assert!(reason.contains(code), "{reason}");
        assert!(
            !reason.contains(&number[2..]),
            "no phone number in reasons: {reason}"
        );
    }
    let mut mailed: Vec<String> = smtp.received().iter().flat_map(|m| m.to.clone()).collect();
    mailed.sort();
    assert_eq!(
        mailed,
        ["ana@example.com", "ben@bounce.example.com"],
        "then e-mail"
    );
    let del = delivery(&app, &t, id).await;
    assert_eq!(del["sent"], 2, "{del}");
    assert_eq!(del["unreachable"], 1, "Chen has no e-mail: {del}");
    assert_eq!(del["by_channel"]["sms"]["unreachable"], 3, "{del}");
}

async fn too_many_requests_is_retried_no_sooner_than_retry_after(
    app: TestApp,
    twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    twilio.answer(
        ANA,
        Answer::TooManyRequests {
            retry_after_secs: 600,
        },
    );
    let (_, id) = dispatched(&app, &["sms", "email"], &["s-a"]).await;
    let asked = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    app.dispatcher().run_until_idle().await.unwrap();
    let rows = rows(&app, id).await;
    assert_eq!(rows.len(), 1, "no fallback for a rate limit: {rows:?}");
    let r = &rows[0];
    assert_eq!((r.status.as_str(), r.attempts), ("pending", 1), "{r:?}");
    assert!(r.last_error.as_deref().unwrap().contains("20429"), "{r:?}");
    assert!(
        r.next_attempt_at >= asked + chrono::Duration::seconds(600),
        "retry at {} is sooner than Retry-After allows (asked at {asked})",
        r.next_attempt_at
    );
    app.dispatcher().run_until_idle().await.unwrap();
    assert_eq!(twilio.requests().len(), 1, "not tried again before then");
}

async fn provider_errors_are_retried_then_fail_over_to_the_next_channel(
    app: TestApp,
    twilio: TwilioServer,
    smtp: SmtpServer,
) {
    twilio.answer(ANA, Answer::ServerError);
    let (_, id) = dispatched(&app, &["sms", "email"], &["s-a"]).await;
    app.drain().await;
    assert_eq!(twilio.requests().len(), 3, "TOCSIN_MAX_ATTEMPTS=3 attempts");
    let rows = rows(&app, id).await;
    let sms = rows.iter().find(|r| r.channel == "sms").unwrap();
    assert_eq!(sms.status, "failed", "{sms:?}");
    assert_eq!(smtp.received().len(), 1, "then e-mail");
}

async fn a_refused_token_keeps_people_pending_not_unreachable(
    app: TestApp,
    twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    let (_, id) = dispatched(&app, &["sms", "email"], &["s-a"]).await;
    app.dispatcher().run_until_idle().await.unwrap();
    assert_eq!(twilio.requests()[0].status, 401);
    let rows = rows(&app, id).await;
    assert_eq!(
        rows.len(),
        1,
        "no fallback for our own misconfiguration: {rows:?}"
    );
    assert_eq!(rows[0].status, "pending", "{rows:?}");
    let reason = rows[0].last_error.as_deref().unwrap();
    assert!(reason.contains("20003"), "{reason}");
    assert!(!reason.contains("wrong-token"), "never the token: {reason}");
}

async fn a_messaging_service_sends_in_place_of_a_number(
    app: TestApp,
    twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    dispatched(&app, &["sms"], &["s-a"]).await;
    app.drain().await;
    let r = &twilio.accepted()[0];
    assert_eq!(r.field("MessagingServiceSid"), Some(SERVICE));
    assert_eq!(r.field("From"), None);
}

const SERVICE: &str = "MG0123456789abcdef0123456789abcdef";

crate::with_sms_on_both_databases!(
    an_sms_incident_texts_everyone_with_a_phone_a_link_to_their_notice,
    an_email_that_bounces_is_followed_by_an_sms_at_once,
    refused_numbers_are_unreachable_on_sms_and_the_next_channel_is_tried,
    too_many_requests_is_retried_no_sooner_than_retry_after,
);

macro_rules! with_sms_settings {
    ($name:ident, $extra:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let b = $crate::helpers::Backend::Sqlite;
                $crate::sms::with_sms(b, $extra, super::$name).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let b = $crate::helpers::Backend::Postgres;
                $crate::sms::with_sms(b, $extra, super::$name).await;
            }
        }
    };
}

with_sms_settings!(
    provider_errors_are_retried_then_fail_over_to_the_next_channel,
    &[("TOCSIN_MAX_ATTEMPTS", "3")]
);
with_sms_settings!(
    a_refused_token_keeps_people_pending_not_unreachable,
    &[
        ("TOCSIN_SMS_TOKEN", "wrong-token"),
        ("TOCSIN_RETRY_BASE_MS", "60000")
    ]
);
with_sms_settings!(
    a_messaging_service_sends_in_place_of_a_number,
    &[("TOCSIN_SMS_FROM", super::SERVICE)]
);
