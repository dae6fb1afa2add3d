//! `Idempotency-Key` on opening an incident and on dispatching: a retry gets the first answer
//! and runs nothing; a key is one account's, for one request; a server error is not kept.
use crate::helpers::{Backend, TestApp};
use crate::integrity::{approve_digest, composed, team};
use crate::races::{wait_for_waiters, waiters};
use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::{json, Value};
use tocsin::domain::Role;

const INCIDENTS: &str = "/api/v1/incidents";

/// An answer, and whether it was a stored one sent again.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Value,
    replayed: bool,
}

/// POSTs `body` with `Idempotency-Key: key` (the raw bytes).
async fn keyed(app: &TestApp, path: &str, token: &str, key: &[u8], body: &Value) -> Answer {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header(
            "idempotency-key",
            reqwest::header::HeaderValue::from_bytes(key).unwrap(),
        )
        .json(body)
        .send()
        .await
        .unwrap();
    answer(res).await
}

async fn answer(res: reqwest::Response) -> Answer {
    let replayed = match res.headers().get("idempotency-replayed") {
        None => false,
        Some(v) => {
            assert_eq!(v, "true");
            true
        }
    };
    let (status, body) = crate::helpers::json_of(res).await;
    Answer {
        status,
        body,
        replayed,
    }
}

fn incident(title: &str) -> Value {
    json!({
        "title": title,
        "summary": "A processor's storage bucket was readable.",
        "cause": "A configuration change made the bucket public.",
        "kind": "chat-translation-leak",
        "aware_at": "2026-11-24T09:00:00Z",
    })
}

fn dispatch_path(id: i64) -> String {
    format!("/api/v1/incidents/{id}/dispatch")
}

/// A repeat sends the first answer again, and the incident is opened once. Without a key,
/// each request runs and nothing is kept, as before.
async fn a_repeated_incident_with_the_same_key_gets_the_first_answer_and_opens_nothing_new(
    app: TestApp,
) {
    let token = app.token_for(Role::Responder).await;
    let body = incident("Exposed bucket");
    for _ in 0..2 {
        assert_eq!(app.post_json(INCIDENTS, &token, &body).await.0, 201);
    }
    assert_eq!(
        app.count("idempotency_keys").await,
        0,
        "nothing kept without a key"
    );
    let first = keyed(&app, INCIDENTS, &token, b"siem-4711", &body).await;
    assert_eq!(first.status, 201, "{first:?}");
    assert!(!first.replayed, "a first answer is not a replay");
    let again = keyed(&app, INCIDENTS, &token, b"siem-4711", &body).await;
    assert_eq!(again.status, 201, "{again:?}");
    assert!(again.replayed);
    assert_eq!(again.body, first.body, "the same answer, the same incident");
    assert_eq!(
        app.count("incidents").await,
        3,
        "two without a key, one with"
    );
}

/// A repeated dispatch sends the first answer (what was queued) and queues nothing new.
async fn a_repeated_dispatch_with_the_same_key_gets_the_first_answer_and_queues_nothing_new(
    app: TestApp,
) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let first = keyed(&app, &dispatch_path(id), &t.responder, b"d-1", &json!({})).await;
    assert_eq!((first.status, &first.body), (202, &json!({ "queued": 3 })));
    assert!(!first.replayed);
    let again = keyed(&app, &dispatch_path(id), &t.responder, b"d-1", &json!({})).await;
    assert_eq!((again.status, &again.body), (202, &json!({ "queued": 3 })));
    assert!(again.replayed);
    assert_eq!(app.count("deliveries").await, 3);
    assert_eq!(
        app.count("incident_events WHERE kind = 'dispatched'").await,
        1,
        "dispatched once"
    );
}

/// A key first used for one request refuses another body, path or method, and runs nothing.
async fn the_same_key_for_another_request_is_refused_and_runs_nothing(app: TestApp) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let first = keyed(&app, INCIDENTS, &t.responder, b"k", &incident("One")).await;
    assert_eq!(first.status, 201, "{first:?}");
    let other_body = keyed(&app, INCIDENTS, &t.responder, b"k", &incident("Two")).await;
    assert_eq!(other_body.status, 422, "{other_body:?}");
    assert_eq!(other_body.body["error"]["code"], "idempotency_key_reused");
    assert!(!other_body.replayed);
    let other_path = keyed(&app, &dispatch_path(id), &t.responder, b"k", &json!({})).await;
    assert_eq!(other_path.status, 422, "{other_path:?}");
    assert_eq!(other_path.body["error"]["code"], "idempotency_key_reused");
    assert_eq!(app.count("incidents").await, 2, "composed's and the first");
    assert_eq!(app.count("deliveries").await, 0, "nothing dispatched");
}

/// A 5xx is our failure, not the answer: the key is released and a retry runs.
async fn a_server_error_is_not_kept_and_the_key_may_be_retried(app: TestApp) {
    let token = app.token_for(Role::Responder).await;
    let body = incident("Retried");
    let db = &app.db;
    let rename = |from: &str, to: &str| {
        Statement::from_string(
            db.get_database_backend(),
            format!("ALTER TABLE {from} RENAME TO {to}"),
        )
    };
    db.execute(rename("incident_events", "incident_events_away"))
        .await
        .unwrap();
    let failed = keyed(&app, INCIDENTS, &token, b"retry-me", &body).await;
    db.execute(rename("incident_events_away", "incident_events"))
        .await
        .unwrap();
    assert_eq!(failed.status, 500, "{failed:?}");
    assert_eq!(app.count("idempotency_keys").await, 0, "nothing kept");
    let retried = keyed(&app, INCIDENTS, &token, b"retry-me", &body).await;
    assert_eq!(retried.status, 201, "{retried:?}");
    assert!(!retried.replayed, "the retry ran");
    let again = keyed(&app, INCIDENTS, &token, b"retry-me", &body).await;
    assert!(again.replayed);
    assert_eq!((again.status, &again.body), (201, &retried.body));
    assert_eq!(app.count("incidents").await, 1);
}

/// A 4xx is the answer: a repeat gets it again, even if the state that caused it has changed.
async fn a_client_error_is_the_answer_and_is_sent_again(app: TestApp) {
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    let early = keyed(&app, &dispatch_path(id), &t.responder, b"early", &json!({})).await;
    assert_eq!(early.status, 409, "not approved yet: {early:?}");
    assert_eq!(early.body["error"]["code"], "not_approved");
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let again = keyed(&app, &dispatch_path(id), &t.responder, b"early", &json!({})).await;
    assert!(again.replayed);
    assert_eq!((again.status, &again.body), (409, &early.body));
    assert_eq!(app.count("deliveries").await, 0);
    let fresh = keyed(&app, &dispatch_path(id), &t.responder, b"later", &json!({})).await;
    assert_eq!(fresh.status, 202, "a new key runs: {fresh:?}");
}

/// Two accounts may use the same key; each gets its own first answer back.
async fn keys_belong_to_one_account(app: TestApp) {
    let one = app.token_for(Role::Responder).await;
    let two = app.token_for(Role::Responder).await;
    let body = incident("Shared key");
    let a = keyed(&app, INCIDENTS, &one, b"nightly", &body).await;
    let b = keyed(&app, INCIDENTS, &two, b"nightly", &body).await;
    assert_eq!((a.status, b.status), (201, 201));
    assert!(!b.replayed, "another account's key is its own");
    assert_ne!(a.body["id"], b.body["id"]);
    let a2 = keyed(&app, INCIDENTS, &one, b"nightly", &body).await;
    let b2 = keyed(&app, INCIDENTS, &two, b"nightly", &body).await;
    assert!(a2.replayed && b2.replayed);
    assert_eq!(a2.body["id"], a.body["id"]);
    assert_eq!(b2.body["id"], b.body["id"]);
    assert_eq!(app.count("incidents").await, 2);
}

/// Keys are 1–255 printable ASCII characters, one per request; the error names the header.
/// A caller who is not authenticated learns nothing about keys.
async fn a_malformed_key_is_refused_naming_the_header(app: TestApp) {
    let token = app.token_for(Role::Responder).await;
    let body = incident("Malformed");
    let long = "k".repeat(256);
    for key in [long.as_bytes(), "clé".as_bytes(), b"", b"tab\tinside"] {
        let a = keyed(&app, INCIDENTS, &token, key, &body).await;
        assert_eq!(a.status, 400, "{a:?}");
        assert_eq!(a.body["error"]["code"], "invalid_idempotency_key");
        assert_eq!(a.body["error"]["details"]["header"], "Idempotency-Key");
        let message = a.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("Idempotency-Key"), "{message}");
    }
    let twice = app
        .client
        .post(app.url(INCIDENTS))
        .bearer_auth(&token)
        .header("idempotency-key", "one")
        .header("idempotency-key", "two")
        .json(&body)
        .send()
        .await
        .unwrap();
    let twice = answer(twice).await;
    assert_eq!(twice.status, 400, "{twice:?}");
    let anonymous = keyed(&app, INCIDENTS, "not-a-token", long.as_bytes(), &body).await;
    assert_eq!(anonymous.status, 401, "{anonymous:?}");
    assert_eq!(app.count("incidents").await, 0);
    assert_eq!(app.count("idempotency_keys").await, 0);
    let longest = keyed(&app, INCIDENTS, &token, "k".repeat(255).as_bytes(), &body).await;
    assert_eq!(longest.status, 201, "{longest:?}");
}

/// Sets `created_at` of the keys matching `filter` to `at`.
async fn age_keys(app: &TestApp, filter: &str, at: chrono::DateTime<Utc>) {
    app.db
        .execute(tocsin::db::stmt(
            app.db.get_database_backend(),
            &format!("UPDATE idempotency_keys SET created_at = ? WHERE {filter}"),
            [at.into()],
        ))
        .await
        .unwrap();
}

/// A key older than a day counts as new; each new key deletes a bounded batch of expired ones.
async fn an_expired_key_counts_as_new_and_old_keys_are_deleted_in_batches(app: TestApp) {
    // More keys than one batch, another account's, answered (and kept) with a 400.
    let other = app.token_for(Role::Responder).await;
    let batch = tocsin::web::idempotency::CLEANUP_BATCH as i64;
    for i in 0..batch + 4 {
        let key = format!("old-{i}");
        let a = keyed(&app, INCIDENTS, &other, key.as_bytes(), &json!({})).await;
        assert_eq!(a.status, 400, "{a:?}");
    }
    let token = app.token_for(Role::Responder).await;
    let body = incident("Yesterday");
    let first = keyed(&app, INCIDENTS, &token, b"daily", &body).await;
    assert_eq!(first.status, 201);
    assert_eq!(app.count("idempotency_keys").await, batch + 5);
    let expired = Utc::now() - tocsin::web::idempotency::KEEP - Duration::minutes(1);
    age_keys(&app, "1 = 1", expired).await;

    let today = keyed(&app, INCIDENTS, &token, b"daily", &body).await;
    assert_eq!(today.status, 201, "{today:?}");
    assert!(!today.replayed, "an expired key is new");
    assert_ne!(today.body["id"], first.body["id"]);
    assert_eq!(app.count("incidents").await, 2);
    assert_eq!(
        app.count("idempotency_keys").await,
        5,
        "one batch of the expired deleted, the new key kept"
    );
    let next = keyed(&app, INCIDENTS, &token, b"another", &body).await;
    assert_eq!(next.status, 201);
    assert_eq!(app.count("idempotency_keys").await, 2, "the rest deleted");
}

crate::on_both_databases!(
    a_repeated_incident_with_the_same_key_gets_the_first_answer_and_opens_nothing_new,
    a_repeated_dispatch_with_the_same_key_gets_the_first_answer_and_queues_nothing_new,
    the_same_key_for_another_request_is_refused_and_runs_nothing,
    a_server_error_is_not_kept_and_the_key_may_be_retried,
    a_client_error_is_the_answer_and_is_sent_again,
    keys_belong_to_one_account,
    a_malformed_key_is_refused_naming_the_header,
    an_expired_key_counts_as_new_and_old_keys_are_deleted_in_batches,
);

/// Sends `body` with key `key` in a task of its own.
fn spawn_keyed(
    app: &TestApp,
    path: String,
    token: &str,
    key: &'static str,
    body: Value,
) -> tokio::task::JoinHandle<Answer> {
    let (client, url, token) = (app.client.clone(), app.url(&path), token.to_owned());
    tokio::spawn(async move {
        let res = client
            .post(url)
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await
            .unwrap();
        answer(res).await
    })
}

/// Two requests with one key at once on PostgreSQL: the test holds a row lock the first one
/// needs (`lock_sql`), so it is caught running; the second, sent then, must not run. Returns
/// the first's answer, the second's, and a third sent after the first finished.
async fn hold_first_and_repeat(
    app: &TestApp,
    path: String,
    token: &str,
    body: Value,
    lock_sql: &str,
) -> (Answer, Answer, Answer) {
    let blocker = app.db.begin().await.unwrap();
    blocker
        .execute(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            lock_sql.to_owned(),
        ))
        .await
        .unwrap();
    let first = spawn_keyed(app, path.clone(), token, "held", body.clone());
    wait_for_waiters(app, 1).await;
    let second = spawn_keyed(app, path.clone(), token, "held", body.clone());
    // The second answers at once, or (without idempotency) waits behind the same lock.
    while !second.is_finished() && waiters(app).await < 2 {
        tokio::task::yield_now().await;
    }
    blocker.commit().await.unwrap();
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    let third = spawn_keyed(app, path, token, "held", body).await.unwrap();
    (first, second, third)
}

fn assert_in_progress(a: &Answer) {
    assert_eq!(a.status, 409, "{a:?}");
    assert_eq!(a.body["error"]["code"], "idempotency_in_progress");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_incident_repeated_while_the_first_runs_is_opened_once() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let token = app.token_for(Role::Responder).await;
    let (first, second, third) = hold_first_and_repeat(
        &app,
        INCIDENTS.into(),
        &token,
        incident("Held"),
        "SELECT id FROM audit_head WHERE id = 1 FOR UPDATE",
    )
    .await;
    assert_eq!(first.status, 201, "{first:?}");
    assert_in_progress(&second);
    assert!(third.replayed);
    assert_eq!((third.status, &third.body), (201, &first.body));
    assert_eq!(app.count("incidents").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dispatch_repeated_while_the_first_runs_queues_once() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let t = team(&app).await;
    let (id, digest) = composed(&app, &t).await;
    assert_eq!(approve_digest(&app, id, &t.approver, &digest).await.0, 200);
    let (first, second, third) = hold_first_and_repeat(
        &app,
        dispatch_path(id),
        &t.responder,
        json!({}),
        &format!("SELECT id FROM incidents WHERE id = {id} FOR UPDATE"),
    )
    .await;
    assert_eq!((first.status, &first.body), (202, &json!({ "queued": 3 })));
    assert_in_progress(&second);
    assert!(third.replayed);
    assert_eq!((third.status, &third.body), (202, &first.body));
    assert_eq!(app.count("deliveries").await, 3);
}

/// The same, without holding anything: two requests with one key sent together, a few times.
/// Whichever order they meet in, one runs and the other is a replay or told to wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_incidents_sent_at_once_with_one_key_open_one() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let token = app.token_for(Role::Responder).await;
    for round in 0..4 {
        let key = format!("together-{round}");
        let body = incident("Together");
        let (a, b) = tokio::join!(
            keyed(&app, INCIDENTS, &token, key.as_bytes(), &body),
            keyed(&app, INCIDENTS, &token, key.as_bytes(), &body)
        );
        let (ran, other) = if a.status == 201 && !a.replayed {
            (a, b)
        } else {
            (b, a)
        };
        assert_eq!(ran.status, 201, "one runs: {ran:?} {other:?}");
        assert!(!ran.replayed);
        if other.status == 409 {
            assert_in_progress(&other);
        } else {
            assert!(other.replayed, "the other does not run: {other:?}");
            assert_eq!((other.status, &other.body), (201, &ran.body));
        }
        assert_eq!(app.count("incidents").await, round + 1);
    }
}
