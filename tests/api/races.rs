//! Two calls of each step of an incident at once, on PostgreSQL (a pool of connections, so the
//! calls really run side by side): each pair leaves one consistent result. SQLite runs one
//! writer at a time by construction.
use crate::helpers::{Backend, TestApp};
use crate::integrity::{approve_digest, composed, team, Team};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::{json, Value};

const ROUNDS: usize = 4;

async fn postgres() -> Option<(TestApp, Team)> {
    let app = TestApp::spawn(Backend::Postgres).await?;
    let t = team(&app).await;
    Some((app, t))
}

async fn event_count(app: &TestApp, id: i64, kind: &str) -> usize {
    let (_, tl) = app
        .get(
            &format!("/api/v1/incidents/{id}/timeline"),
            &app.admin_token,
        )
        .await;
    tl["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .count()
}

async fn incident(app: &TestApp, id: i64) -> Value {
    app.get(&format!("/api/v1/incidents/{id}"), &app.admin_token)
        .await
        .1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_edits_at_once_both_count() {
    let Some((app, t)) = postgres().await else {
        return;
    };
    let (id, _) = composed(&app, &t).await;
    let path = format!("/api/v1/incidents/{id}");
    let before = incident(&app, id).await["content_version"]
        .as_i64()
        .unwrap();
    for round in 0..ROUNDS {
        let a = json!({ "summary": format!("Edit A{round}") });
        let b = json!({ "cause": format!("Edit B{round}") });
        let ((sa, _), (sb, _)) = tokio::join!(
            app.patch_json(&path, &t.responder, &a),
            app.patch_json(&path, &t.responder, &b)
        );
        assert_eq!((sa, sb), (200, 200));
    }
    let inc = incident(&app, id).await;
    assert_eq!(
        inc["content_version"].as_i64().unwrap(),
        before + 2 * ROUNDS as i64,
        "no edit lost its version"
    );
    assert_eq!(inc["summary"], format!("Edit A{}", ROUNDS - 1));
    assert_eq!(
        inc["cause"],
        format!("Edit B{}", ROUNDS - 1),
        "no edit undid the other"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_identical_status_moves_make_one_move() {
    let Some((app, t)) = postgres().await else {
        return;
    };
    for _ in 0..ROUNDS {
        let (id, _) = composed(&app, &t).await;
        let path = format!("/api/v1/incidents/{id}");
        let body = json!({ "status": "investigating" });
        let ((sa, _), (sb, _)) = tokio::join!(
            app.patch_json(&path, &t.responder, &body),
            app.patch_json(&path, &t.responder, &body)
        );
        assert_eq!((sa, sb), (200, 200), "the second finds it already there");
        assert_eq!(event_count(&app, id, "status_changed").await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_approvals_at_once_make_one_approval() {
    let Some((app, t)) = postgres().await else {
        return;
    };
    let second = app.token_for(tocsin::domain::Role::Approver).await;
    for _ in 0..ROUNDS {
        let (id, digest) = composed(&app, &t).await;
        let ((sa, _), (sb, _)) = tokio::join!(
            approve_digest(&app, id, &t.approver, &digest),
            approve_digest(&app, id, &second, &digest)
        );
        let mut got = [sa, sb];
        got.sort();
        assert_eq!(got, [200, 409], "one approves, the other finds it approved");
        assert_eq!(event_count(&app, id, "notices_approved").await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_approval_and_an_edit_at_once_never_leave_edited_content_approved() {
    let Some((app, t)) = postgres().await else {
        return;
    };
    for round in 0..ROUNDS {
        let (id, digest) = composed(&app, &t).await;
        let edit = json!({ "summary": format!("Changed while approving {round}") });
        let path = format!("/api/v1/incidents/{id}");
        let ((sa, _), (se, _)) = tokio::join!(
            approve_digest(&app, id, &t.approver, &digest),
            app.patch_json(&path, &t.responder, &edit)
        );
        assert_eq!(se, 200);
        assert!(sa == 200 || sa == 409, "{sa}");
        let inc = incident(&app, id).await;
        assert_eq!(inc["notices"]["approved"], false, "{inc}");
        let (status, _) = app.act(id, "dispatch", &t.responder).await;
        assert_eq!(status, 409, "nothing edited after review goes out");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_compositions_at_once_leave_one_whole_composition() {
    let Some((app, t)) = postgres().await else {
        return;
    };
    let (id, _) = composed(&app, &t).await;
    for _ in 0..ROUNDS {
        let ((sa, a), (sb, b)) = tokio::join!(
            app.act(id, "notices", &t.responder),
            app.act(id, "notices", &t.responder)
        );
        assert_eq!((sa, sb), (200, 200));
        assert_eq!(
            a["composition"], b["composition"],
            "the same content composes alike"
        );
        let inc = incident(&app, id).await;
        assert_eq!(inc["notices"]["composition"], a["composition"]);
        assert_eq!(app.count("notices").await, 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatches_at_once_queue_each_notice_once() {
    let Some((app, t)) = postgres().await else {
        return;
    };
    for _ in 0..ROUNDS {
        let (id, digest) = composed(&app, &t).await;
        assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
        let ((sa, a), (sb, b)) = tokio::join!(
            app.act(id, "dispatch", &t.responder),
            app.act(id, "dispatch", &t.responder)
        );
        // Both are accepted, or the second is told the first is still queuing (409); either
        // way each notice is queued once.
        let answers = [(sa, &a), (sb, &b)];
        assert!(
            answers.iter().all(|(s, _)| *s == 202 || *s == 409),
            "{answers:?}"
        );
        assert!(answers.iter().any(|(s, _)| *s == 202), "{answers:?}");
        for (s, body) in answers {
            if s == 409 {
                let message = body["error"]["message"].as_str().unwrap_or_default();
                assert!(message.contains("still being queued"), "{body}");
            }
        }
        let queued: i64 = answers
            .iter()
            .filter(|(s, _)| *s == 202)
            .map(|(_, b)| b["queued"].as_i64().unwrap())
            .sum();
        assert_eq!(queued, 3);
        assert_eq!(
            event_count(&app, id, "status_changed").await,
            1,
            "one move to notifying"
        );
        let (_, d) = app
            .get(&format!("/api/v1/incidents/{id}/delivery"), &t.responder)
            .await;
        assert_eq!(d["total"], 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_population_changes_at_once_add_each_person_once() {
    let Some((app, t)) = postgres().await else {
        return;
    };
    let (id, _) = composed(&app, &t).await;
    let path = format!("/api/v1/incidents/{id}/population");
    let before = incident(&app, id).await["content_version"]
        .as_i64()
        .unwrap();
    let body = json!({ "external_ids": ["i-c", "i-d"] });
    let ((sa, a), (sb, b)) = tokio::join!(
        app.post_json(&path, &t.responder, &body),
        app.post_json(&path, &t.responder, &body)
    );
    assert_eq!((sa, sb), (200, 200));
    assert_eq!(
        a["added"].as_i64().unwrap() + b["added"].as_i64().unwrap(),
        1
    );
    assert_eq!(a["count"].as_i64().max(b["count"].as_i64()), Some(4));
    let inc = incident(&app, id).await;
    assert_eq!(inc["content_version"].as_i64().unwrap(), before + 1);
}

/// Composing again while a dispatch queues the notices never deletes a queued delivery. The
/// test holds the notices' rows so that the compose is caught half-way, lets the dispatch run,
/// then releases: whatever order the two end in, every delivery the dispatch reported is
/// still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn recomposing_during_a_dispatch_never_deletes_deliveries() {
    let Some((app, t)) = postgres().await else {
        return;
    };
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let blocker = app.db.begin().await.unwrap();
    blocker
        .execute(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT id FROM notices WHERE incident_id = {id} FOR NO KEY UPDATE"),
        ))
        .await
        .unwrap();
    let compose = tokio::spawn({
        let (client, url, token) = (app.client.clone(), app.url(""), t.responder.clone());
        async move {
            client
                .post(format!("{url}/api/v1/incidents/{id}/notices"))
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    wait_for_waiters(&app, 1).await;
    let dispatch = tokio::spawn({
        let (client, url, token) = (app.client.clone(), app.url(""), t.responder.clone());
        async move {
            let r = client
                .post(format!("{url}/api/v1/incidents/{id}/dispatch"))
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    });
    // The dispatch either finishes (it did not wait for the compose) or waits behind it.
    loop {
        if dispatch.is_finished() || waiters(&app).await >= 2 {
            break;
        }
        tokio::task::yield_now().await;
    }
    blocker.commit().await.unwrap();
    let composed_status = compose.await.unwrap();
    let (dispatch_status, d) = dispatch.await.unwrap();
    assert_eq!(composed_status, 200);
    let queued = d["queued"].as_i64().unwrap_or(0);
    assert!(dispatch_status == 202 || dispatch_status == 409, "{d}");
    assert_eq!(
        app.count("deliveries").await,
        queued,
        "every delivery the dispatch queued is still there"
    );
}

/// Backends of this test's database waiting for a lock.
pub async fn waiters(app: &TestApp) -> i64 {
    let row = app
        .db
        .query_one(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

pub async fn wait_for_waiters(app: &TestApp, n: i64) {
    while waiters(app).await < n {
        tokio::task::yield_now().await;
    }
}
