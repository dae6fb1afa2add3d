//! The delivery tab's failures by reason, with a real SMTP server that bounces one address.
use super::signed_in;
use crate::flow::team;
use crate::helpers::TestApp;
use tocsin::domain::Role;

/// A bounce over real SMTP shows under failures by reason: the provider's words to a
/// responder, the status alone to a viewer (the words may name an address).
async fn failures_are_listed_by_reason(app: TestApp, smtp: crate::smtp::SmtpServer) {
    smtp.reject("dora@bounce.example.com", 550);
    let t = team(&app).await;
    let id = crate::flow::scoped_and_approved(&app, &t).await;
    let (status, _) = app.act(id, "dispatch", &t.responder).await;
    assert_eq!(status, 202);
    app.drain().await;
    let tab = format!("/incidents/{id}/delivery");
    let (mut r, _) = signed_in(&app, Role::Responder).await;
    let p = r.get(&tab).await;
    let reasons = &p.body[p.body.find("Failures by reason").expect("the section")..];
    assert!(
        reasons.contains("<td data-label=\"Status\">unreachable</td>"),
        "{reasons}"
    );
    assert!(reasons.contains("550"), "the provider's words: {reasons}");
    let (mut v, _) = signed_in(&app, Role::Viewer).await;
    let seen = v.get(&tab).await;
    let reasons = &seen.body[seen.body.find("Failures by reason").unwrap()..];
    assert!(reasons.contains(">unreachable</td>"));
    assert!(
        !reasons.contains("550") && !reasons.contains("dora@"),
        "{reasons}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_listed_by_reason_sqlite() {
    crate::flow::with_smtp(
        crate::helpers::Backend::Sqlite,
        failures_are_listed_by_reason,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_listed_by_reason_postgres() {
    crate::flow::with_smtp(
        crate::helpers::Backend::Postgres,
        failures_are_listed_by_reason,
    )
    .await;
}
