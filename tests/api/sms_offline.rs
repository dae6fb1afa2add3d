//! SMS without a provider: JSON files in the outbox, for the owner only; and the SMS preview,
//! which shows the text as fitted and what it costs.
use crate::flow::team;
use crate::helpers::{Backend, TestApp};
use crate::sms::{dispatched, open, ANA, BEN, CHEN, PEOPLE};
use serde_json::Value;

async fn without_a_provider_sms_are_json_files_for_the_owner_only(app: TestApp) {
    let (_, id) = dispatched(&app, &["sms"], &["s-a", "s-b", "s-c", "s-d"]).await;
    app.drain().await;
    let dir = app.test_db.dir.path().join("outbox/sms");
    let mut to = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let delivery: i64 = name
            .strip_prefix("delivery-")
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected file {name}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
        let sms: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut keys: Vec<&str> = sms
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort();
        let expected = [
            "body",
            "encoding",
            "from",
            "idempotency_key",
            "segments",
            "to",
        ];
        assert_eq!(keys, expected);
        assert_eq!(sms["from"], Value::Null, "no sender without a provider");
        assert_eq!(sms["idempotency_key"], format!("tocsin.{id}.{delivery}"));
        let body = sms["body"].as_str().unwrap();
        assert!(body.starts_with("Example Sourcing Marketplace: "), "{body}");
        assert!(body.contains(&app.url("/n/")), "{body}");
        assert_eq!(sms["encoding"], "GSM-7", "a Latin text");
        let segments = sms["segments"].as_u64().unwrap();
        assert!((1..=3).contains(&segments), "{segments}");
        to.push(sms["to"].as_str().unwrap().to_owned());
    }
    to.sort();
    assert_eq!(to, [ANA, BEN, CHEN], "one file per person with a phone");
    let (status, _) = app
        .client
        .post(app.url("/api/v1/delivery/sms/status"))
        .header("x-twilio-signature", "AAAA")
        .body("MessageSid=SM0123456789&MessageStatus=delivered")
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 403, "no provider, no callbacks");
}

/// Cancelled before the dispatcher ran: nothing is written, and the counts say why.
async fn sms_cancelled_before_they_go_out_are_counted_as_cancelled(app: TestApp) {
    let (t, id) = dispatched(&app, &["sms"], &["s-a", "s-b", "s-c"]).await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/delivery/cancel"),
            &t.responder,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let del = crate::sms::delivery(&app, &t, id).await;
    assert_eq!(del["cancelled"], 3, "{del}");
    assert_eq!(del["by_channel"]["sms"]["cancelled"], 3, "{del}");
    assert_eq!(del["by_channel"]["sms"]["sent"], 0, "{del}");
    assert_eq!(app.drain().await, 0, "nothing left to send");
    assert!(!app.test_db.dir.path().join("outbox/sms").exists());
}

crate::on_both_databases!(
    without_a_provider_sms_are_json_files_for_the_owner_only,
    sms_cancelled_before_they_go_out_are_counted_as_cancelled
);

/// The built-in templates, but an SMS that carries the incident's summary.
fn templates_with_summary_in_sms(into: &std::path::Path) -> String {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    let dir = into.join("templates");
    copy(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/templates")),
        &dir,
    );
    std::fs::write(
        dir.join("notices/en/sms.txt.hbs"),
        "{{content.what_happened}} Details:",
    )
    .unwrap();
    dir.display().to_string()
}

const LATIN: &str = "A database backup containing member sign-in details was left readable on a \
misconfigured storage server for three days before our monitoring noticed it and closed it; \
we have reset every affected password and are contacting each member whose details it held.";
const CHINESE: &str = "一个包含会员登录信息的数据库备份因存储服务器配置错误而可以被公开读取，\
持续了三天，直到我们的监控发现并关闭了访问。我们已经重置了所有受影响的密码，\
并正在逐一联系备份中涉及的每一位会员，说明发生了什么以及他们可以采取的措施。";

async fn the_sms_preview_shows_the_fitted_text_its_segments_and_encoding(backend: Backend) {
    let root = tempfile::tempdir().unwrap();
    let templates = templates_with_summary_in_sms(root.path());
    let extra = [
        ("TOCSIN_TEMPLATES_DIR", templates.as_str()),
        ("TOCSIN_SMS_MAX_SEGMENTS", "2"),
    ];
    let Some(app) = TestApp::spawn_with(backend, &extra).await else {
        return;
    };
    let t = team(&app).await;
    let (status, _) = app
        .post_body("/api/v1/subjects/import", &t.responder, "text/csv", PEOPLE)
        .await;
    assert_eq!(status, 200);
    for (summary, encoding, start) in [
        (LATIN, "GSM-7", "A database backup"),
        (CHINESE, "UCS-2", "一个包含会员"),
    ] {
        let id = open(&app, &t, &["sms"], summary).await;
        let (status, p) = app
            .get(
                &format!("/api/v1/incidents/{id}/notices/preview?external_id=s-a&channel=sms"),
                &t.responder,
            )
            .await;
        assert_eq!(status, 200, "{p}");
        let text = p["text"].as_str().unwrap();
        assert!(
            text.starts_with(&format!("Example Sourcing Marketplace: {start}")),
            "{text}"
        );
        assert!(
            text.ends_with("/n/xxxxxxxxxxxxxxxx"),
            "the link stays whole: {text}"
        );
        let marked = text.contains("...") || text.contains('…');
        assert!(
            marked && !text.contains(summary),
            "shortened to fit: {text}"
        );
        let sms = &p["sms"];
        assert_eq!(sms["encoding"], encoding, "{p}");
        assert_eq!(sms["segments"], 2, "within TOCSIN_SMS_MAX_SEGMENTS=2: {p}");
        assert_eq!(sms["characters"], text.chars().count(), "{p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_preview_sqlite() {
    the_sms_preview_shows_the_fitted_text_its_segments_and_encoding(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_preview_postgres() {
    the_sms_preview_shows_the_fitted_text_its_segments_and_encoding(Backend::Postgres).await;
}
