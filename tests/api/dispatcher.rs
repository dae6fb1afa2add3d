//! The dispatcher over a real SMTP server: retries, leases, several dispatchers sharing one
//! outbox.
use crate::flow::{open_incident, scoped_and_approved, team, with_smtp, with_smtp_opts};
use crate::helpers::{Backend, TestApp};
use crate::smtp::SmtpServer;
use serde_json::json;

/// A temporary failure is retried until the attempts run out; the delivery is then `failed`,
/// and a delivery left `sending` by a crashed dispatcher is taken up again once its lease ends.
async fn retries_end_in_failed_and_expired_leases_are_reclaimed(app: TestApp, smtp: SmtpServer) {
    use sea_orm::ConnectionTrait;
    smtp.defer("emil@slow.example.com", 100);
    let t = team(&app).await;
    let id = scoped_and_approved(&app, &t).await;
    app.act(id, "dispatch", &t.responder).await;
    let dispatcher = app.dispatcher();
    dispatcher.run_until_idle().await.unwrap();
    let (_, del) = app
        .get(&format!("/api/v1/incidents/{id}/delivery"), &t.viewer)
        .await;
    assert_eq!(del["failed"], 1, "{del}");
    assert_eq!(del["sent"], 3, "{del}");
    let tries = smtp
        .rejections()
        .iter()
        .filter(|(a, _)| a == "emil@slow.example.com")
        .count();
    assert_eq!(tries, 3, "TOCSIN_MAX_ATTEMPTS=3 attempts, no more");

    // A crash mid-send: the row is `sending` with a lease that has run out.
    app.db
        .execute_unprepared(&format!(
            "UPDATE deliveries SET status = 'sending', lease_until = '2000-01-01T00:00:00Z', attempts = 1 \
             WHERE incident_id = {id} AND status = 'sent' AND id = (SELECT MIN(id) FROM deliveries WHERE incident_id = {id} AND status = 'sent')"
        ))
        .await
        .unwrap();
    let before = smtp.received().len();
    let attempts = dispatcher.run_until_idle().await.unwrap();
    assert_eq!(attempts, 1, "the expired lease is reclaimed once");
    let after = smtp.received();
    assert_eq!(after.len(), before + 1);
    let resent = after.last().unwrap();
    let first = after[..before].iter().find(|m| m.to == resent.to).unwrap();
    assert_eq!(
        first.header("Message-ID"),
        resent.header("Message-ID"),
        "a retry keeps its identity"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_and_leases_sqlite() {
    with_smtp_opts(
        Backend::Sqlite,
        &[("TOCSIN_MAX_ATTEMPTS", "3")],
        retries_end_in_failed_and_expired_leases_are_reclaimed,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_and_leases_postgres() {
    with_smtp_opts(
        Backend::Postgres,
        &[("TOCSIN_MAX_ATTEMPTS", "3")],
        retries_end_in_failed_and_expired_leases_are_reclaimed,
    )
    .await;
}

/// Two dispatchers (two connection pools, as two processes would have) share one outbox and
/// send each notice exactly once.
async fn two_dispatchers_send_each_notice_once(app: TestApp, smtp: SmtpServer) {
    let t = team(&app).await;
    let mut csv = String::from("external_id,email\n");
    let ids: Vec<String> = (0..60).map(|i| format!("w-{i}")).collect();
    for id in &ids {
        csv.push_str(&format!("{id},{id}@example.com\n"));
    }
    app.post_body("/api/v1/subjects/import", &t.responder, "text/csv", csv)
        .await;
    let id = open_incident(&app, &t.responder).await;
    app.post_json(
        &format!("/api/v1/incidents/{id}/population"),
        &t.responder,
        &json!({ "external_ids": ids }),
    )
    .await;
    app.act(id, "notices", &t.responder).await;
    app.act(id, "approval", &t.approver).await;
    app.act(id, "dispatch", &t.responder).await;

    // A second dispatcher with a connection pool of its own, as another process would have.
    let settings = tocsin::config::Settings::from_lookup(|k| app.env.get(k).cloned()).unwrap();
    let db = tocsin::db::connect(&settings.database_url).await.unwrap();
    let a = app.dispatcher();
    let b = tocsin::delivery::Dispatcher::build(
        db,
        &settings,
        std::sync::Arc::new(tocsin::metrics::Metrics::new()),
        std::sync::Arc::new(tokio::sync::Notify::new()),
    )
    .unwrap();
    let (ra, rb) = tokio::join!(a.run_until_idle(), b.run_until_idle());
    assert_eq!(
        ra.unwrap() + rb.unwrap(),
        60,
        "sixty attempts between them, none repeated"
    );
    let got = smtp.received();
    let mut to: Vec<String> = got.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(got.len(), 60);
    assert_eq!(to.len(), 60, "every person exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dispatchers_sqlite() {
    with_smtp(Backend::Sqlite, two_dispatchers_send_each_notice_once).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dispatchers_postgres() {
    with_smtp(Backend::Postgres, two_dispatchers_send_each_notice_once).await;
}
