//! A dispatch writes its outbox a chunk of people at a time, each chunk committed with its
//! `queued` ledger entries, so the dispatcher sends the first chunk while the rest is written.
//! Everyone is still queued exactly once with one ledger entry; a dispatch whose writer died
//! is finished by a dispatcher (never while its writer is alive); one that may no longer go on
//! (cancelled) stops and says so.
use crate::helpers::TestApp;
use crate::providers::twilio::TwilioServer;
use crate::sms::{approved, delivery, rows};
use crate::smtp::SmtpServer;
use sea_orm::ConnectionTrait;
use serde_json::json;
use tocsin::audit::Actor;
use tocsin::delivery::dispatch::{self, Options};

const PEOPLE: [&str; 4] = ["s-a", "s-b", "s-c", "s-d"];

async fn query(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    let stmt = sea_orm::Statement::from_string(app.db.get_database_backend(), sql.to_owned());
    app.db.query_all(stmt).await.unwrap()
}

/// The open dispatch's mark: (channels per person, last moved), both NULL when none is open.
async fn mark(app: &TestApp, id: i64) -> (Option<i32>, bool) {
    let r = query(
        app,
        &format!("SELECT dispatching_at_once, dispatching_touched FROM incidents WHERE id = {id}"),
    )
    .await;
    let at_once: Option<i32> = r[0].try_get("", "dispatching_at_once").unwrap();
    let touched: Option<chrono::DateTime<chrono::Utc>> =
        r[0].try_get("", "dispatching_touched").unwrap();
    (at_once, touched.is_some())
}

/// Makes the open dispatch look as if its writer stopped an hour ago.
async fn writer_died(app: &TestApp, id: i64) {
    let an_hour_ago = app.state.clock.now() - chrono::TimeDelta::hours(1);
    let stmt = sea_orm::Statement::from_sql_and_values(
        app.db.get_database_backend(),
        if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            "UPDATE incidents SET dispatching_touched = $1 WHERE id = $2"
        } else {
            "UPDATE incidents SET dispatching_touched = ? WHERE id = ?"
        },
        [an_hour_ago.into(), id.into()],
    );
    app.db.execute(stmt).await.unwrap();
}

/// Each delivery of the incident and its `queued` ledger entries: (delivery, entries).
async fn queued_entries(app: &TestApp, id: i64) -> Vec<(i64, i64)> {
    query(
        app,
        &format!(
            "SELECT d.id, (SELECT COUNT(*) FROM ledger_entries l WHERE l.delivery_id = d.id \
             AND l.event = 'queued') AS n FROM deliveries d WHERE d.incident_id = {id} ORDER BY d.id"
        ),
    )
    .await
    .iter()
    .map(|r| (r.try_get("", "id").unwrap(), r.try_get("", "n").unwrap()))
    .collect()
}

/// Opens a dispatch of one notice row a chunk, queues its first `chunks` chunks and leaves it
/// open, as a writer that died would. Returns how many deliveries it queued.
async fn cut_short(app: &TestApp, id: i64, chunks: usize) -> u64 {
    let fp = templates(app);
    let clock = &app.state.clock;
    let options = Options::default();
    let at_once = dispatch::open(&app.db, &fp, &Actor::System, id, options, clock.now())
        .await
        .unwrap();
    let max = app.state.settings.max_attempts;
    dispatch::write_part(&app.db, &fp, max, id, at_once, clock, chunks, 1)
        .await
        .unwrap()
}

fn templates(app: &TestApp) -> String {
    app.state.templates.fingerprint().to_owned()
}

async fn audit_holds(app: &TestApp) {
    let out = app.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn a_dispatch_in_chunks_queues_everyone_once_with_one_ledger_entry_each(
    app: TestApp,
    _twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    // SMS first, then e-mail: a person has up to two notices; a chunk of one notice row is one
    // person, so this dispatch is four chunks.
    let (_, id) = approved(&app, &["sms", "email"], &PEOPLE).await;
    let queued = dispatch::dispatch(
        &app.db,
        &templates(&app),
        app.state.settings.max_attempts,
        &Actor::System,
        id,
        Options {
            chunk: Some(1),
            ..Options::default()
        },
        &app.state.clock,
        &app.state.dispatch_wakeup,
    )
    .await
    .unwrap();
    assert_eq!(queued, 4);
    let by: Vec<(String, String)> = rows(&app, id)
        .await
        .into_iter()
        .map(|r| (r.person, r.channel))
        .collect();
    assert_eq!(
        by,
        [
            ("s-a", "sms"),
            ("s-b", "sms"),
            ("s-c", "sms"),
            ("s-d", "email")
        ]
        .map(|(p, c)| (p.to_owned(), c.to_owned()))
    );
    let entries = queued_entries(&app, id).await;
    assert!(entries.iter().all(|(_, n)| *n == 1), "{entries:?}");
    assert_eq!(mark(&app, id).await, (None, false), "the mark is cleared");
    let ev = app.events(id, &["dispatched", "dispatch_resumed"]).await;
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["kind"], "dispatched");
    assert_eq!(ev[0]["details"]["queued"], 4);
    assert_eq!(app.drain().await, 4);
    audit_holds(&app).await;
}

async fn a_dispatch_whose_writer_died_is_finished_by_the_dispatcher(
    app: TestApp,
    _twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    let (t, id) = approved(&app, &["sms", "email"], &PEOPLE).await;
    // The writer queued two people, then died.
    let part = cut_short(&app, id, 2).await;
    assert_eq!(part, 2);
    assert_eq!(mark(&app, id).await, (Some(1), true));
    // The delivery view says more people are yet to be queued.
    let d = delivery(&app, &t, id).await;
    assert_eq!(d["queuing"], true, "{d}");
    // So does the console's delivery tab.
    let (mut viewer, _) = crate::console::signed_in(&app, tocsin::domain::Role::Viewer).await;
    let progress = format!("/incidents/{id}/delivery/progress");
    let frag = viewer.get(&progress).await;
    assert!(
        frag.body.contains("More people are still being queued"),
        "{}",
        frag.body
    );

    // While its writer may still be at it, nobody else touches it: a dispatcher leaves it
    // alone and another dispatch is refused.
    app.drain().await;
    assert_eq!(rows(&app, id).await.len(), 2);
    let (status, body) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("still being queued"),
        "{body}"
    );

    // Once it has not moved for long enough, the dispatcher finishes it: the other two are
    // queued and sent, nobody twice, each with one ledger entry.
    writer_died(&app, id).await;
    assert_eq!(app.drain().await, 2);
    let people: Vec<String> = rows(&app, id).await.into_iter().map(|r| r.person).collect();
    assert_eq!(people, PEOPLE);
    assert!(rows(&app, id).await.iter().all(|r| r.status == "sent"));
    let entries = queued_entries(&app, id).await;
    assert!(entries.iter().all(|(_, n)| *n == 1), "{entries:?}");
    assert_eq!(mark(&app, id).await, (None, false));
    let d = delivery(&app, &t, id).await;
    assert_eq!(
        (d["queuing"].clone(), d["sent"].clone()),
        (json!(false), json!(4)),
        "{d}"
    );
    let frag = viewer.get(&progress).await;
    assert!(!frag.body.contains("still being queued"), "{}", frag.body);
    assert!(
        frag.body.contains("nothing more is on its way"),
        "{}",
        frag.body
    );
    let ev = app.events(id, &["dispatched", "dispatch_resumed"]).await;
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["kind"], "dispatch_resumed");
    assert_eq!(ev[0]["details"]["queued"], 2);
    audit_holds(&app).await;
}

async fn a_new_dispatch_takes_over_one_whose_writer_died(
    app: TestApp,
    _twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    let (t, id) = approved(&app, &["sms", "email"], &PEOPLE).await;
    cut_short(&app, id, 0).await;
    writer_died(&app, id).await;
    let (status, body) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["queued"], 4);
    assert_eq!(mark(&app, id).await, (None, false));
    assert_eq!(app.drain().await, 4);
}

async fn a_dispatch_being_written_stops_when_its_delivery_is_cancelled(
    app: TestApp,
    _twilio: TwilioServer,
    _smtp: SmtpServer,
) {
    let (t, id) = approved(&app, &["sms", "email"], &PEOPLE).await;
    cut_short(&app, id, 1).await;
    let (status, body) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/delivery/cancel"),
            &t.responder,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    writer_died(&app, id).await;
    app.drain().await;
    // Nobody more was queued; the one queued before was cancelled; the timeline says why.
    let r = rows(&app, id).await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].status, "cancelled");
    assert_eq!(mark(&app, id).await, (None, false));
    let ev = app.events(id, &["dispatch_stopped"]).await;
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        ev[0]["details"]["reason"]
            .as_str()
            .unwrap()
            .contains("cancelled"),
        "{ev:?}"
    );
    audit_holds(&app).await;
}

crate::with_sms_on_both_databases!(
    a_dispatch_in_chunks_queues_everyone_once_with_one_ledger_entry_each,
    a_dispatch_whose_writer_died_is_finished_by_the_dispatcher,
    a_new_dispatch_takes_over_one_whose_writer_died,
    a_dispatch_being_written_stops_when_its_delivery_is_cancelled,
);
