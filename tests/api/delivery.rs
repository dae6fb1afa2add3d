//! A dispatch from plan to finish: the person's own notice page and `/verify`, pause, resume and
//! cancel, the plan before sending, and progress as Server-Sent Events.
use crate::helpers::{Backend, TestApp};
use crate::integrity::{approve_digest, composed, team};
use serde_json::{json, Value};

/// The code in a composed e-mail's text: what the person's `/n/{code}` link carries.
fn code_in(text: &str) -> String {
    let at = text
        .find("/n/")
        .expect("the notice links to the person's page")
        + 3;
    text[at..].chars().take(16).collect()
}

async fn each_person_has_a_page_and_codes_can_be_checked(app: TestApp) {
    let t = team(&app).await;
    let (id, _) = composed(&app, &t).await;
    let (_, p) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/preview?external_id=i-a"),
            &t.approver,
        )
        .await;
    let text = p["text"].as_str().unwrap();
    let code = code_in(text);
    assert!(text.contains(&format!("{}/verify", app.url(""))), "{text}");
    let page = app
        .client
        .get(app.url(&format!("/n/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Ana Approved"), "the person's own notice");
    let (_, other) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/preview?external_id=i-b"),
            &t.approver,
        )
        .await;
    assert_ne!(
        code_in(other["text"].as_str().unwrap()),
        code,
        "a code per person"
    );

    let wrong = "abcdefghijkmnpqr";
    let res = app
        .client
        .get(app.url(&format!("/n/{wrong}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let check = |c: String| {
        let client = app.client.clone();
        let url = app.url(&format!("/verify?code={c}"));
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let genuine = check(code.to_uppercase()).await;
    assert!(genuine.contains("Genuine"), "{genuine}");
    assert!(genuine.contains(&format!("TOCSIN-{id}")));
    assert!(!genuine.contains("Ana"), "no personal data on /verify");
    let fake = check(wrong.into()).await;
    assert!(fake.contains("Not one of our notices"), "{fake}");
}

/// Lookups by code are limited per client address: guessing codes gets 429 quickly.
async fn code_lookups_are_rate_limited(app: TestApp) {
    let mut last = 0;
    for i in 0..=tocsin::app::PUBLIC_LOOKUPS_PER_MINUTE {
        let res = app
            .client
            .get(app.url(&format!("/verify?code=guess{i:011}")))
            .send()
            .await
            .unwrap();
        last = res.status().as_u16();
        if last == 429 {
            assert!(res.headers().contains_key("retry-after"));
            break;
        }
    }
    assert_eq!(
        last,
        429,
        "the {}th lookup in a minute is refused",
        tocsin::app::PUBLIC_LOOKUPS_PER_MINUTE + 1
    );
    let res = app
        .client
        .get(app.url("/n/abcdefghijkmnpqr"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429, "the limit covers /n/ too");
}

async fn delivery(app: &TestApp, id: i64, token: &str) -> Value {
    app.get(&format!("/api/v1/incidents/{id}/delivery"), token)
        .await
        .1
}

async fn a_dispatch_can_be_paused_resumed_and_cancelled(app: TestApp) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let path = |a: &str| format!("/api/v1/incidents/{id}/delivery/{a}");
    let (status, e) = app
        .post_json(&path("resume"), &t.responder, &json!({}))
        .await;
    assert_eq!(status, 409, "nothing to resume: {e}");
    assert_eq!(app.act(id, "dispatch", &t.responder).await.0, 202);
    let (status, d) = app
        .post_json(&path("pause"), &t.responder, &json!({}))
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["state"], "paused");
    assert_eq!(
        app.dispatcher().run_until_idle().await.unwrap(),
        0,
        "paused: nothing goes"
    );
    assert_eq!(delivery(&app, id, &t.responder).await["pending"], 3);
    let (status, _) = app
        .post_json(&path("resume"), &t.responder, &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.drain().await, 3);
    assert_eq!(delivery(&app, id, &t.responder).await["sent"], 3);
    // The same view on the command line; --watch ends once nothing is pending.
    let id_text = id.to_string();
    for args in [
        vec!["delivery", "status", "--incident", id_text.as_str()],
        vec![
            "delivery",
            "status",
            "--incident",
            id_text.as_str(),
            "--watch",
        ],
    ] {
        let out = app.cli(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("people") && text.contains("3 sent"), "{text}");
    }
    let (status, d) = app
        .post_json(&path("cancel"), &t.responder, &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(d["state"], "cancelled");
    let (status, _) = app
        .post_json(&path("resume"), &t.responder, &json!({}))
        .await;
    assert_eq!(status, 409, "a cancelled delivery stays cancelled");
}

async fn cancelling_stops_what_has_not_gone_out(app: TestApp) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    assert_eq!(app.act(id, "dispatch", &t.responder).await.0, 202);
    let (status, d) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/delivery/cancel"),
            &t.responder,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["cancelled"], 3, "{d}");
    assert_eq!(app.drain().await, 0, "nothing is sent after a cancel");
    let (status, e) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"]["code"], "delivery_state");
    let (_, tl) = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), &t.responder)
        .await;
    assert!(tl["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "delivery_cancelled"));
}

async fn the_plan_counts_channels_and_warns_about_the_deadline(app: TestApp) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let (status, plan) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/dispatch?dry_run=true"),
            &t.responder,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["people"], 3);
    assert_eq!(plan["channels"][0]["channel"], "email");
    assert_eq!(plan["channels"][0]["people"], 3);
    assert_eq!(plan["channels"][0]["rate_per_second"], 1);
    assert_eq!(plan["channels"][0]["seconds"], 3.0);
    // Ana lives in Spain: GDPR's 72 hours from 24 November have long passed.
    // From the obligations engine: the earliest open obligation with a due time.
    let rule = plan["deadline_rule"].as_str().unwrap();
    assert!(rule.starts_with("EU-GDPR: notify "), "{plan}");
    assert_eq!(plan["earliest_deadline"], "2026-11-27T09:00:00Z");
    let (status, obligations) = app
        .get(&format!("/api/v1/incidents/{id}/obligations"), &t.responder)
        .await;
    assert_eq!(status, 200, "{obligations}");
    let first_due = obligations
        .as_array()
        .or_else(|| obligations["obligations"].as_array())
        .unwrap()
        .iter()
        .find(|o| o["due_at"].is_string() && (o["status"] == "due" || o["status"] == "overdue"))
        .unwrap()
        .clone();
    assert_eq!(
        plan["earliest_deadline"], first_due["due_at"],
        "{obligations}"
    );
    assert!(
        plan["warnings"][0].as_str().unwrap().contains("deadline"),
        "{plan}"
    );
    assert_eq!(app.count("deliveries").await, 0, "a plan queues nothing");
    let (status, e) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/dispatch?dry_run=true"),
            &t.responder,
            &json!({ "at_once": 2 }),
        )
        .await;
    assert_eq!(
        status, 422,
        "two channels at once is for high severity: {e}"
    );
}

async fn progress_streams_as_server_sent_events(app: TestApp) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    assert_eq!(app.act(id, "dispatch", &t.responder).await.0, 202);
    app.drain().await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/incidents/{id}/delivery/stream")))
        .bearer_auth(&t.responder)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    // Everything is sent, so the stream gives the final view and ends.
    let body = res.text().await.unwrap();
    let data = body
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("an event");
    let v: Value = serde_json::from_str(data).unwrap();
    assert_eq!(v, delivery(&app, id, &t.responder).await);
    assert!(body.contains("event: delivery"));
}

crate::on_both_databases!(
    each_person_has_a_page_and_codes_can_be_checked,
    code_lookups_are_rate_limited,
    a_dispatch_can_be_paused_resumed_and_cancelled,
    cancelling_stops_what_has_not_gone_out,
    progress_streams_as_server_sent_events,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_sqlite() {
    if let Some(app) = TestApp::spawn_with(Backend::Sqlite, &[("TOCSIN_RATE_EMAIL", "1")]).await {
        the_plan_counts_channels_and_warns_about_the_deadline(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_postgres() {
    if let Some(app) = TestApp::spawn_with(Backend::Postgres, &[("TOCSIN_RATE_EMAIL", "1")]).await {
        the_plan_counts_channels_and_warns_about_the_deadline(app).await;
    }
}
