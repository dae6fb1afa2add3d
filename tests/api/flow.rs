//! The whole flow over HTTP: incident → population → notices → approval → e-mail through a
//! real SMTP server → delivery counts → public announcement → regulator report.
use crate::helpers::{Backend, TestApp};
use crate::smtp::SmtpServer;
use serde_json::json;
use std::time::Duration;
use tocsin::domain::Role;

pub const PEOPLE: &str = "\
external_id,name,email,phone,country,region,locale
p-a,<script>alert(1)</script>,ann@example.com,,US,US-CA,en-US
p-b,Bruno Diaz,bruno@example.com,,FR,,fr
p-c,Chen Wei,,+8613812345678,CN,,zh-CN
p-d,Dora Rejected,dora@bounce.example.com,,DE,,de
p-e,Emil Later,emil@slow.example.com,,DE,,de
p-f,Not Affected,fred@example.com,,GB,,en-GB
";

pub struct Team {
    pub responder: String,
    pub approver: String,
    pub viewer: String,
}

pub async fn team(app: &TestApp) -> Team {
    Team {
        responder: app.token_for(Role::Responder).await,
        approver: app.token_for(Role::Approver).await,
        viewer: app.token_for(Role::Viewer).await,
    }
}

pub async fn open_incident(app: &TestApp, token: &str) -> i64 {
    let (status, body) = app
        .post_json(
            "/api/v1/incidents",
            token,
            &json!({
                "title": "Member passwords exposed in a leaked backup",
                "summary": "A database backup containing member sign-in details was left readable on a misconfigured storage server.",
                "kind": "credential-exposure",
                "severity": "high",
                "aware_at": "2026-11-24T09:00:00Z",
                "occurred_from": "2026-11-20T00:00:00Z",
                "occurred_to": "2026-11-23T00:00:00Z",
                "cause": "A storage bucket was made public by mistake during a migration.",
                "channels": ["email"],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "open");
    assert_eq!(
        body["data_categories"],
        json!(["member_credentials", "email_address", "name"]),
        "from the playbook"
    );
    body["id"].as_i64().unwrap()
}

pub async fn scoped_and_approved(app: &TestApp, t: &Team) -> i64 {
    let (status, _) = app
        .post_body("/api/v1/subjects/import", &t.responder, "text/csv", PEOPLE)
        .await;
    assert_eq!(status, 200);
    let id = open_incident(app, &t.responder).await;
    let ids = json!({ "external_ids": ["p-a", "p-b", "p-c", "p-d", "p-e", "ghost-1"] });
    let (status, dry) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/population?dry_run=true"),
            &t.responder,
            &ids,
        )
        .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["count"], 5);
    assert_eq!(dry["dry_run"], true);
    let (status, pop) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/population"),
            &t.responder,
            &ids,
        )
        .await;
    assert_eq!(status, 200, "{pop}");
    assert_eq!(pop["count"], 5);
    assert_eq!(
        pop["unknown"],
        json!(["ghost-1"]),
        "unknown ids are reported, not dropped"
    );
    assert_eq!(
        pop["unreachable"], 1,
        "Chen has no e-mail and the incident uses e-mail only"
    );
    assert_eq!(
        pop["by_jurisdiction"],
        json!({"US": 1, "US-CA": 1, "FR": 1, "CN": 1, "DE": 2})
    );

    let (status, c) = app.act(id, "notices", &t.responder).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["count"], 5);
    let (status, _) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 409, "dispatch before approval is refused");
    let (status, a) = app.act(id, "approval", &t.approver).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["notices"]["approved"], true);
    id
}

fn sections_present(text: &str) {
    for s in [
        "What happened",
        "What information was involved",
        "What we are doing",
        "What you can do",
        "How to contact us",
    ] {
        assert!(
            text.to_lowercase().contains(&s.to_lowercase()),
            "missing section '{s}' in:\n{text}"
        );
    }
}

async fn the_whole_flow_reaches_people_by_email(app: TestApp, smtp: SmtpServer) {
    smtp.reject("dora@bounce.example.com", 550);
    smtp.defer("emil@slow.example.com", 1);
    let t = team(&app).await;
    let id = scoped_and_approved(&app, &t).await;

    // Preview: the hostile name is escaped in HTML.
    let (status, p) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/preview?external_id=p-a&channel=email"),
            &t.approver,
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["composed"], true);
    let html = p["html"].as_str().unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
    sections_present(p["text"].as_str().unwrap());
    let (status, _) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/preview?external_id=p-a"),
            &t.viewer,
        )
        .await;
    assert_eq!(status, 403, "viewers do not see personal data");

    let (status, d) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202, "{d}");
    assert_eq!(
        d["queued"], 4,
        "Chen has no e-mail, the incident's only channel: not queued"
    );
    let (_, inc) = app.get(&format!("/api/v1/incidents/{id}"), &t.viewer).await;
    assert_eq!(inc["status"], "notifying");

    app.drain().await;

    let got = smtp.wait_for(3, Duration::from_secs(30));
    assert_eq!(got.len(), 3, "one message per reachable person, no more");
    let mut rcpts: Vec<String> = got.iter().flat_map(|m| m.to.clone()).collect();
    rcpts.sort();
    assert_eq!(
        rcpts,
        [
            "ann@example.com",
            "bruno@example.com",
            "emil@slow.example.com"
        ]
    );
    assert!(
        smtp.rejections()
            .iter()
            .any(|(a, c)| a == "emil@slow.example.com" && *c == 451),
        "the 451 was retried"
    );
    for m in &got {
        assert!(
            m.header("Message-ID").unwrap().starts_with("<tocsin."),
            "{:?}",
            m.header("Message-ID")
        );
        assert!(m.header("Date").is_some());
        assert!(
            m.content_type().starts_with("multipart/alternative"),
            "{}",
            m.content_type()
        );
        sections_present(&m.text());
        sections_present(&m.html());
    }
    let ann = got.iter().find(|m| m.to == ["ann@example.com"]).unwrap();
    assert!(ann.html().contains("&lt;script&gt;"), "{}", ann.html());
    assert!(!ann.html().contains("<script>"));

    let (status, del) = app
        .get(&format!("/api/v1/incidents/{id}/delivery"), &t.viewer)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            del["total"].as_i64(),
            del["sent"].as_i64(),
            del["unreachable"].as_i64(),
            del["pending"].as_i64(),
            del["failed"].as_i64()
        ),
        (Some(5), Some(3), Some(2), Some(0), Some(0)),
        "{del}"
    );
    assert_eq!(
        del["by_channel"]["email"]["unreachable"], 1,
        "attempts per channel: Dora bounced; Chen, with no e-mail, was never attempted"
    );
    assert_eq!(del["by_channel"]["sms"]["total"], 0);

    // Dispatching again queues nothing and sends nothing twice.
    let (status, d) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202);
    assert_eq!(d["queued"], 0);
    let attempts = app.drain().await;
    assert_eq!(attempts, 0);
    assert_eq!(smtp.received().len(), 3);

    // The public fallback, readable without login.
    let (status, ann) = app.act(id, "announcement", &t.responder).await;
    assert!(status == 201 || status == 200, "{ann}");
    let url = ann["url"].as_str().unwrap().to_string();
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status(), 200);
    sections_present(&page.text().await.unwrap());

    // The regulator report.
    let (status, report) = app
        .get(
            &format!("/api/v1/incidents/{id}/reports/EU-GDPR?format=json"),
            &t.approver,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    let out_file = app.test_db.dir.path().join("art33.json");
    let out = app.cli(&[
        "report",
        "export",
        "--incident",
        &id.to_string(),
        "--jurisdiction",
        "eu-gdpr",
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    let subjects = crate::reports::field(&report, "personal_data.subjects");
    assert_eq!(subjects["kind"], "number", "{report}");
    assert_eq!(
        crate::reports::field(&exported, "personal_data.subjects"),
        subjects
    );
    let out = app.cli(&[
        "report",
        "export",
        "--incident",
        &id.to_string(),
        "--jurisdiction",
        "XX-NOPE",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("supported: ") && err.contains("EU-GDPR"),
        "{err}"
    );

    // Every step is on the timeline, and the audit chain holds.
    let (_, tl) = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), &t.viewer)
        .await;
    let kinds: Vec<&str> = tl["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "created",
        "population_changed",
        "notices_composed",
        "notices_approved",
        "dispatched",
        "status_changed",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let out = app.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn a_content_change_after_approval_withdraws_it(app: TestApp) {
    let t = team(&app).await;
    let id = scoped_and_approved(&app, &t).await;
    let (status, inc) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &t.responder,
            &json!({ "summary": "Updated: the backup also held phone numbers." }),
        )
        .await;
    assert_eq!(status, 200, "{inc}");
    assert_eq!(inc["notices"]["approved"], false);
    let (status, e) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 409);
    assert_eq!(e["error"]["code"], "not_approved");
    let (status, e) = app.act(id, "approval", &t.approver).await;
    assert_eq!(status, 409, "stale notices cannot be approved: {e}");
    assert_eq!(e["error"]["code"], "stale_notices");
    let (status, _) = app.act(id, "notices", &t.responder).await;
    assert_eq!(status, 200);
    let (status, _) = app.act(id, "approval", &t.approver).await;
    assert_eq!(status, 200);
    let (status, _) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202);
    let (_, tl) = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), &t.viewer)
        .await;
    assert!(tl["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "approval_withdrawn"));
}

async fn only_approvers_approve(app: TestApp) {
    let t = team(&app).await;
    app.post_body("/api/v1/subjects/import", &t.responder, "text/csv", PEOPLE)
        .await;
    let id = open_incident(&app, &t.responder).await;
    app.post_json(
        &format!("/api/v1/incidents/{id}/population"),
        &t.responder,
        &json!({"external_ids": ["p-a"]}),
    )
    .await;
    let (status, _) = app.act(id, "approval", &t.approver).await;
    assert_eq!(status, 409, "nothing composed yet");
    app.act(id, "notices", &t.responder).await;
    for token in [&t.responder, &app.admin_token, &t.viewer] {
        let (status, _) = app.act(id, "approval", token).await;
        assert_eq!(status, 403);
    }
}

async fn without_smtp_mail_lands_in_the_outbox_folder(app: TestApp) {
    let t = team(&app).await;
    let id = scoped_and_approved(&app, &t).await;
    app.act(id, "dispatch", &t.responder).await;
    app.drain().await;
    let dir = app.test_db.dir.path().join("outbox/email");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "four people have an e-mail address");
    for f in &files {
        assert!(f.contains("Message-ID: <tocsin."), "{f}");
        assert!(f.contains("multipart/alternative"));
    }
    let (_, del) = app
        .get(&format!("/api/v1/incidents/{id}/delivery"), &t.viewer)
        .await;
    assert_eq!(del["sent"], 4);
    assert_eq!(del["unreachable"], 1);
}

async fn incidents_validate_and_move_only_forward(app: TestApp) {
    let t = team(&app).await;
    let (status, e) = app
        .post_json("/api/v1/incidents", &t.responder, &json!({"title": "", "kind": "nope", "aware_at": "yesterday", "severity": "apocalyptic"}))
        .await;
    assert_eq!(status, 422, "{e}");
    for field in ["title", "kind", "aware_at", "severity"] {
        assert!(
            e["error"]["details"][field].is_string(),
            "{field} not named in {e}"
        );
    }
    let (status, e) = app
        .post_json("/api/v1/incidents", &t.responder, &json!({"title": "x"}))
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("kind"),
        "{e}"
    );
    let id = open_incident(&app, &t.responder).await;
    let (status, e) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &t.responder,
            &json!({"status": "notifying"}),
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("from open it can move to: investigating, closed"),
        "{e}"
    );
    let (status, inc) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &t.responder,
            &json!({"status": "investigating"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(inc["status"], "investigating");
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &t.viewer,
            &json!({"status": "contained"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, list) = app
        .get("/api/v1/incidents?status=investigating", &t.viewer)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["incidents"].as_array().unwrap().len(), 1);
    // The status filter and the pages go together.
    let newer = open_incident(&app, &t.responder).await;
    let newest = open_incident(&app, &t.responder).await;
    let (_, first) = app
        .get("/api/v1/incidents?status=open&limit=1", &t.viewer)
        .await;
    assert_eq!(first["incidents"][0]["id"], newest, "{first}");
    assert_eq!(first["next_before"], newest);
    let (_, second) = app
        .get(
            &format!("/api/v1/incidents?status=open&limit=1&before={newest}"),
            &t.viewer,
        )
        .await;
    assert_eq!(second["incidents"][0]["id"], newer, "{second}");
    let (status, e) = app.get("/api/v1/incidents?status=bogus", &t.viewer).await;
    assert_eq!(status, 422, "{e}");
    let (status, pb) = app.get("/api/v1/playbooks", &t.viewer).await;
    assert_eq!(status, 200);
    assert!(pb["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["id"] == "chat-translation-leak"));
}

pub async fn with_smtp_opts(
    backend: Backend,
    extra: &[(&str, &str)],
    test: impl AsyncFnOnce(TestApp, SmtpServer),
) {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let mut env = vec![
        ("TOCSIN_SMTP_URL", url.as_str()),
        ("TOCSIN_RETRY_BASE_MS", "0"),
    ];
    env.extend_from_slice(extra);
    let Some(app) = TestApp::spawn_with(backend, &env).await else {
        return;
    };
    test(app, smtp).await;
}

pub async fn with_smtp(backend: Backend, test: impl AsyncFnOnce(TestApp, SmtpServer)) {
    with_smtp_opts(backend, &[], test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_flow_sqlite() {
    with_smtp(Backend::Sqlite, the_whole_flow_reaches_people_by_email).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_flow_postgres() {
    with_smtp(Backend::Postgres, the_whole_flow_reaches_people_by_email).await;
}

/// Selecting by country and region: a bad entry is named and nothing is added; good ones
/// select exactly their people.
async fn selectors_name_bad_codes_and_select_by_country_and_region(app: TestApp) {
    let t = team(&app).await;
    let (status, _) = app
        .post_body("/api/v1/subjects/import", &t.responder, "text/csv", PEOPLE)
        .await;
    assert_eq!(status, 200);
    let id = open_incident(&app, &t.responder).await;
    let path = format!("/api/v1/incidents/{id}/population");
    let (status, e) = app
        .post_json(
            &path,
            &t.responder,
            &json!({"selector": {"countries": ["DE", "ZZ"], "regions": ["US-XX9"]}}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert!(
        e["error"]["details"]["selector.countries"].is_string(),
        "{e}"
    );
    assert!(e["error"]["details"]["selector.regions"].is_string(), "{e}");
    assert_eq!(app.count("incident_population").await, 0);

    let (status, pop) = app
        .post_json(
            &path,
            &t.responder,
            &json!({"selector": {"regions": ["us-ca"]}}),
        )
        .await;
    assert_eq!(status, 200, "{pop}");
    assert_eq!(pop["by_jurisdiction"], json!({"US": 1, "US-CA": 1}));
    let (status, pop) = app
        .post_json(
            &path,
            &t.responder,
            &json!({"selector": {"countries": ["de", "FR"]}}),
        )
        .await;
    assert_eq!(status, 200, "{pop}");
    assert_eq!(pop["count"], 4, "{pop}");
}

crate::on_both_databases!(
    selectors_name_bad_codes_and_select_by_country_and_region,
    a_content_change_after_approval_withdraws_it,
    only_approvers_approve,
    without_smtp_mail_lands_in_the_outbox_folder,
    incidents_validate_and_move_only_forward,
);
