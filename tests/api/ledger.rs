//! The delivery evidence ledger, called directly as the dispatcher will call it, and its
//! exports over HTTP and the command line.
use crate::flow::open_incident;
use crate::helpers::TestApp;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{json, Value};
use std::ops::Range;
use tocsin::domain::{Channel, Role};
use tocsin::evidence::{
    append, append_batch, content_sha256, Entry, Event, LedgerError, Outcome, ProviderStatus,
};

fn at() -> DateTime<Utc> {
    "2026-12-01T10:00:00.123456Z".parse().unwrap()
}

/// An attempt of `delivery` (subject = delivery id + 1000) with its content and reference.
fn attempt(incident: i64, delivery: i64, channel: Channel, outcome: Outcome) -> Entry {
    Entry::new(
        incident,
        delivery,
        delivery + 1000,
        channel,
        Event::Attempt(outcome),
        at(),
    )
    .content(
        content_sha256(
            "Your account",
            &format!("notice {delivery}"),
            Some("<p>notice</p>"),
        ),
        "templates-v1",
    )
    .provider_ref(format!("<{delivery}@tocsin.test>"))
}

fn event(incident: i64, delivery: i64, channel: Channel, event: Event) -> Entry {
    Entry::new(incident, delivery, delivery + 1000, channel, event, at())
}

async fn commit(app: &TestApp, entries: &[Entry]) -> Range<i64> {
    let txn = app.db.begin().await.unwrap();
    let seqs = append_batch(&txn, entries).await.unwrap();
    txn.commit().await.unwrap();
    seqs
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .query_one(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// GETs the export as text.
async fn export(app: &TestApp, incident: i64, query: &str, token: &str) -> (u16, String) {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/incidents/{incident}/ledger{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The stored row an exported JSON entry stands for, to recompute its hash.
fn row_of(e: &Value) -> entity::ledger_entry::Model {
    let s = |k: &str| e[k].as_str().map(str::to_owned);
    entity::ledger_entry::Model {
        seq: e["seq"].as_i64().unwrap(),
        at: e["at"].as_str().unwrap().parse().unwrap(),
        incident_id: e["incident_id"].as_i64().unwrap(),
        delivery_id: e["delivery_id"].as_i64().unwrap(),
        subject_id: e["subject_id"].as_i64().unwrap(),
        channel: s("channel").unwrap(),
        event: s("event").unwrap(),
        status: s("status").unwrap(),
        next_channel: s("next_channel"),
        content_sha256: s("content_sha256"),
        templates: s("templates"),
        provider_ref: s("provider_ref"),
        details: e["details"].to_string(),
        prev_hash: s("prev_hash").unwrap(),
        hash: s("hash").unwrap(),
    }
}

/// A delivery's story across batches: chained in order, one checkpoint per call, exported for
/// its incident only with hashes anyone can recompute, the same over HTTP and the CLI.
async fn a_delivery_s_story_is_chained_signed_per_batch_and_exported(app: TestApp) {
    let a = open_incident(&app, &app.admin_token).await;
    let b = open_incident(&app, &app.admin_token).await;
    let queued = commit(
        &app,
        &[
            event(a, 1, Channel::Email, Event::Queued),
            event(a, 2, Channel::Email, Event::Queued),
            event(b, 3, Channel::Sms, Event::Queued),
        ],
    )
    .await;
    assert_eq!(queued, 1..4);
    let txn = app.db.begin().await.unwrap();
    let one = append(
        &txn,
        &attempt(a, 1, Channel::Email, Outcome::TransientFailure),
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(one, 4);
    let later = commit(
        &app,
        &[
            attempt(a, 1, Channel::Email, Outcome::PermanentFailure)
                .details(json!({"smtp": 550, "attempt": 2})),
            event(a, 1, Channel::Email, Event::FellBack { to: Channel::Sms }),
            attempt(a, 1, Channel::Sms, Outcome::Sent),
            event(
                a,
                1,
                Channel::Sms,
                Event::ProviderStatus(ProviderStatus::Delivered),
            )
            .provider_ref("<1@tocsin.test>"),
            attempt(a, 2, Channel::Email, Outcome::Sent),
        ],
    )
    .await;
    assert_eq!(later, 5..10);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM chain_checkpoints WHERE chain = 'ledger'"
        )
        .await,
        3,
        "one checkpoint per call, not per entry"
    );

    let (status, body) = export(&app, a, "", &app.admin_token).await;
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["incident_id"], a);
    let entries = doc["entries"].as_array().unwrap();
    let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        [1, 2, 4, 5, 6, 7, 8, 9],
        "incident a's entries, in order"
    );
    for e in entries {
        assert_eq!(tocsin::evidence::entry_hash(&row_of(e)), e["hash"], "{e}");
    }
    assert_eq!(entries[0]["prev_hash"], tocsin::chain::GENESIS);
    assert_eq!(entries[1]["prev_hash"], entries[0]["hash"]);
    let failed = &entries[3];
    assert_eq!(
        (
            &failed["event"],
            &failed["status"],
            &failed["details"]["smtp"]
        ),
        (&json!("attempt"), &json!("permanent_failure"), &json!(550))
    );
    assert_eq!(
        failed["content_sha256"],
        content_sha256("Your account", "notice 1", Some("<p>notice</p>")).as_str()
    );
    assert_eq!(
        (&failed["templates"], &failed["subject_id"], &failed["at"]),
        (
            &json!("templates-v1"),
            &json!(1001),
            &json!("2026-12-01T10:00:00.123456Z")
        )
    );
    assert_eq!(
        (&entries[4]["status"], &entries[4]["next_channel"]),
        (&json!("fell_back"), &json!("sms"))
    );
    assert_eq!(entries[6]["status"], "delivered");

    let (status, csv_body) = export(&app, a, "?format=csv", &app.admin_token).await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv_body.as_bytes());
    assert_eq!(reader.headers().unwrap().get(14), Some("hash"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let csv_hashes: Vec<&str> = rows.iter().map(|r| r.get(14).unwrap()).collect();
    let json_hashes: Vec<&str> = entries
        .iter()
        .map(|e| e["hash"].as_str().unwrap())
        .collect();
    assert_eq!(csv_hashes, json_hashes);
    assert_eq!(
        &rows[3][12], r#"{"attempt":2,"smtp":550}"#,
        "details as stored"
    );

    let file = app.test_db.dir.path().join("a.csv");
    let id = a.to_string();
    let out = app.cli(&[
        "ledger",
        "export",
        "--incident",
        &id,
        "--format",
        "csv",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv_body);
    let out = app.cli(&["ledger", "export", "--incident", &id]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), body);

    let out = app.cli(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("ledger chain intact: 9 entries, 3 checkpoints"),
        "{stdout}"
    );
}

/// One bad entry refuses its batch before anything is written; a batch whose transaction is
/// rolled back leaves no trace, and the next one starts where the chain is.
async fn a_bad_entry_or_a_rollback_leaves_the_ledger_as_it_was(app: TestApp) {
    let a = open_incident(&app, &app.admin_token).await;
    let mut batch: Vec<Entry> = (1..=5)
        .map(|d| attempt(a, d, Channel::Email, Outcome::Sent))
        .collect();
    batch[3].content = None;
    let txn = app.db.begin().await.unwrap();
    let err = append_batch(&txn, &batch).await.unwrap_err();
    txn.commit().await.unwrap();
    assert!(
        matches!(&err, LedgerError::Invalid { index: 3, reason } if reason.contains("content")),
        "{err}"
    );
    batch[3] = attempt(a, 4, Channel::Email, Outcome::Sent);

    let txn = app.db.begin().await.unwrap();
    assert_eq!(append_batch(&txn, &batch).await.unwrap(), 1..6);
    txn.rollback().await.unwrap();
    assert_eq!(app.count("ledger_entries").await, 0);
    assert_eq!(scalar(&app, "SELECT seq FROM ledger_head").await, 0);
    assert_eq!(
        app.count("chain_checkpoints WHERE chain = 'ledger'").await,
        0
    );

    assert_eq!(
        commit(&app, &[]).await,
        0..0,
        "an empty batch writes nothing"
    );
    assert_eq!(
        app.count("chain_checkpoints WHERE chain = 'ledger'").await,
        0
    );
    assert_eq!(commit(&app, &batch).await, 1..6);
    let v = tocsin::evidence::verify(&app.db, &app.audit_key())
        .await
        .unwrap();
    assert_eq!((v.entries, v.checkpoints, v.broken), (5, 1, None));
}

/// 10,000 entries in one call: one lock, multi-row inserts, one checkpoint. The time taken is
/// printed (run with --nocapture), not asserted.
async fn ten_thousand_entries_append_in_one_call(app: TestApp) {
    let a = open_incident(&app, &app.admin_token).await;
    let batch: Vec<Entry> = (1..=10_000)
        .map(|d| {
            attempt(a, d, Channel::Email, Outcome::Sent).details(json!({"attempt": 1, "smtp": 250}))
        })
        .collect();
    let started = std::time::Instant::now();
    let txn = app.db.begin().await.unwrap();
    let seqs = append_batch(&txn, &batch).await.unwrap();
    let appended = started.elapsed();
    txn.commit().await.unwrap();
    let committed = started.elapsed();
    eprintln!(
        "ledger on {:?}: 10,000 entries appended in {:.1} ms, committed at {:.1} ms",
        app.backend,
        appended.as_secs_f64() * 1e3,
        committed.as_secs_f64() * 1e3
    );
    assert_eq!(seqs, 1..10_001);
    assert_eq!(app.count("ledger_entries").await, 10_000);
    assert_eq!(
        app.count("chain_checkpoints WHERE chain = 'ledger'").await,
        1
    );
    let v = tocsin::evidence::verify(&app.db, &app.audit_key())
        .await
        .unwrap();
    assert_eq!((v.entries, v.checkpoints, v.broken), (10_000, 1, None));

    // Ten full pages of 1,000, then an empty one: the document still closes.
    let (status, body) = export(&app, a, "?format=json", &app.admin_token).await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 10_000);
    assert_eq!(entries[9_999]["seq"], 10_000);
}

/// Two batches committed at once (two connections on PostgreSQL) each take the head's lock in
/// turn: one linear chain, no place taken twice.
async fn concurrent_batches_keep_one_linear_chain(app: TestApp) {
    let a = open_incident(&app, &app.admin_token).await;
    let batch = |from: i64| -> Vec<Entry> {
        (from..from + 300)
            .map(|d| attempt(a, d, Channel::Email, Outcome::Sent))
            .collect()
    };
    let (first, second) = (batch(1), batch(1001));
    let (x, y) = tokio::join!(commit(&app, &first), commit(&app, &second));
    let mut ranges = [x, y];
    ranges.sort_by_key(|r| r.start);
    assert_eq!(ranges, [1..301, 301..601]);
    let v = tocsin::evidence::verify(&app.db, &app.audit_key())
        .await
        .unwrap();
    assert_eq!((v.entries, v.checkpoints, v.broken), (600, 2, None));
}

/// Reading evidence is for admins, responders and approvers; an unknown incident is a 404 and
/// an unknown format a 400, before anything is streamed.
async fn the_ledger_export_is_for_those_who_may_read_it(app: TestApp) {
    let a = open_incident(&app, &app.admin_token).await;
    commit(&app, &[event(a, 1, Channel::Email, Event::Queued)]).await;
    for (role, expected) in [
        (Role::Viewer, 403),
        (Role::Responder, 200),
        (Role::Approver, 200),
    ] {
        let token = app.token_for(role).await;
        let (status, body) = export(&app, a, "", &token).await;
        assert_eq!(status, expected, "{role:?}: {body}");
    }
    assert_eq!(export(&app, a, "", "nope").await.0, 401);
    let (status, body) = export(&app, 999_999, "", &app.admin_token).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = export(&app, a, "?format=xml", &app.admin_token).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("json or csv"), "{body}");

    let out = app.cli(&["ledger", "export", "--incident", "999999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("incident 999999 not found"));
    let file = app.test_db.dir.path().join("never.json");
    let out = app.cli(&[
        "ledger",
        "export",
        "--incident",
        "999999",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!file.exists());
}

crate::on_both_databases!(
    a_delivery_s_story_is_chained_signed_per_batch_and_exported,
    a_bad_entry_or_a_rollback_leaves_the_ledger_as_it_was,
    ten_thousand_entries_append_in_one_call,
    concurrent_batches_keep_one_linear_chain,
    the_ledger_export_is_for_those_who_may_read_it,
);
