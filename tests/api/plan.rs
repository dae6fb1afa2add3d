//! The dispatch plan (`POST …/dispatch?dry_run=true`) says exactly what the dispatch then
//! queues: people per channel (each on the first channel of the incident's order they can be
//! reached on), SMS segments, the people no channel reaches; and after a dispatch, nothing
//! more (everyone is queued already). And the `queued` ledger entries a dispatch writes hash
//! what is then sent.
use crate::flow::Team;
use crate::helpers::TestApp;
use crate::providers::twilio::TwilioServer;
use crate::sms::{approved, rows};
use crate::smtp::SmtpServer;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use std::collections::BTreeMap;

async fn plan(app: &TestApp, t: &Team, id: i64) -> Value {
    let (status, plan) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/dispatch?dry_run=true"),
            &t.responder,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{plan}");
    plan
}

/// People per channel in the plan, channels with nobody left out.
fn planned(plan: &Value) -> BTreeMap<String, i64> {
    plan["channels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["people"].as_i64().unwrap() > 0)
        .map(|c| {
            (
                c["channel"].as_str().unwrap().to_owned(),
                c["people"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn sms_segments(plan: &Value) -> u64 {
    plan["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "sms")
        .unwrap()["segments"]
        .as_u64()
        .unwrap()
}

/// Deliveries per channel queued since `seen` rows.
async fn queued(app: &TestApp, id: i64, seen: usize) -> BTreeMap<String, i64> {
    let mut by = BTreeMap::new();
    for r in rows(app, id).await.into_iter().skip(seen) {
        *by.entry(r.channel).or_default() += 1;
    }
    by
}

async fn segments_of(app: &TestApp, t: &Team, id: i64, people: &[&str]) -> u64 {
    let mut sum = 0;
    for p in people {
        let (status, preview) = app
            .get(
                &format!("/api/v1/incidents/{id}/notices/preview?external_id={p}&channel=sms"),
                &t.responder,
            )
            .await;
        assert_eq!(status, 200, "{preview}");
        sum += preview["sms"]["segments"].as_u64().unwrap();
    }
    sum
}

async fn the_plan_is_what_the_dispatch_then_queues(
    app: TestApp,
    _twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    // Ana: phone and e-mail → SMS; Chen: phone only → SMS; Dana: e-mail only → e-mail.
    let (t, id) = approved(&app, &["sms", "email"], &["s-a", "s-c", "s-d"]).await;
    let first = plan(&app, &t, id).await;
    assert_eq!(
        planned(&first),
        BTreeMap::from([("email".into(), 1), ("sms".into(), 2)]),
        "{first}"
    );
    assert_eq!(
        (first["people"].as_i64(), first["unreachable"].as_i64()),
        (Some(3), Some(0))
    );
    assert_eq!(
        sms_segments(&first),
        segments_of(&app, &t, id, &["s-a", "s-c"]).await,
        "{first}"
    );
    assert_eq!(app.count("deliveries").await, 0, "a plan queues nothing");
    let (status, body) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(queued(&app, id, 0).await, planned(&first));

    // Planned again after the dispatch: everyone is queued already, nothing is left to queue.
    let again = plan(&app, &t, id).await;
    assert_eq!(planned(&again), BTreeMap::new(), "{again}");
    assert_eq!(sms_segments(&again), 0);
    assert_eq!(
        (again["people"].as_i64(), again["unreachable"].as_i64()),
        (Some(3), Some(0))
    );
    let (status, body) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        queued(&app, id, 3).await,
        planned(&again),
        "the second dispatch queues nothing"
    );
}

async fn people_no_channel_reaches_are_planned_as_unreachable(
    app: TestApp,
    _twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    // E-mail, then push: Chen has neither an address nor a device.
    let (t, id) = approved(&app, &["email", "push"], &["s-b", "s-c", "s-d"]).await;
    let p = plan(&app, &t, id).await;
    assert_eq!(planned(&p), BTreeMap::from([("email".into(), 2)]), "{p}");
    assert_eq!(
        (p["people"].as_i64(), p["unreachable"].as_i64()),
        (Some(3), Some(1))
    );
    let (status, body) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(queued(&app, id, 0).await, planned(&p));
}

/// The `queued` ledger entries carry the content hash kept at compose time; notices composed
/// before it was kept (no hash stored) are hashed from their text at dispatch. Either way the
/// queued hash is the hash of what each attempt then sent.
async fn queued_entries_hash_what_is_then_sent(
    app: TestApp,
    _twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    let (t, id) = approved(&app, &["email", "sms"], &["s-a", "s-c", "s-d"]).await;
    let kept = app.count("notices WHERE content_sha256 IS NOT NULL").await;
    assert_eq!(
        kept,
        app.count("notices").await,
        "every notice has its hash"
    );
    // Ana's notices as if composed before the hash was kept.
    app.db
        .execute_unprepared(&format!(
            "UPDATE notices SET content_sha256 = NULL WHERE incident_id = {id} AND subject_id = \
             (SELECT id FROM subjects WHERE external_id = 's-a')"
        ))
        .await
        .unwrap();
    let (status, body) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202, "{body}");
    app.drain().await;
    let (status, ledger) = app
        .get(&format!("/api/v1/incidents/{id}/ledger"), &app.admin_token)
        .await;
    assert_eq!(status, 200, "{ledger}");
    let entries = ledger["entries"].as_array().unwrap();
    let queued: Vec<&Value> = entries.iter().filter(|e| e["event"] == "queued").collect();
    assert_eq!(queued.len(), 3, "{ledger}");
    for q in queued {
        let attempt = entries
            .iter()
            .find(|e| e["event"] == "attempt" && e["delivery_id"] == q["delivery_id"])
            .unwrap_or_else(|| panic!("an attempt for {q}"));
        assert_eq!(q["content_sha256"].as_str().map(str::len), Some(64), "{q}");
        assert_eq!(
            q["content_sha256"], attempt["content_sha256"],
            "{q} {attempt}"
        );
    }
}

crate::with_sms_on_both_databases!(
    the_plan_is_what_the_dispatch_then_queues,
    people_no_channel_reaches_are_planned_as_unreachable,
    queued_entries_hash_what_is_then_sent,
);
