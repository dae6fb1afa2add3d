//! The incident tabs over plain HTTP: people affected, notices, delivery, obligations and
//! reports render, their forms act through the same use cases as the API (PRG with a flash,
//! recorded), a viewer sees and is refused, and a form from another site is refused.
use super::signed_in;
use crate::flow::{open_incident, team, PEOPLE};
use crate::helpers::TestApp;
use serde_json::json;
use tocsin::domain::Role;

/// The registry of `flow::PEOPLE` and an incident (e-mail only) with nobody in it yet.
async fn incident(app: &TestApp) -> i64 {
    let (status, _) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "text/csv",
            PEOPLE,
        )
        .await;
    assert_eq!(status, 200);
    open_incident(app, &app.admin_token).await
}

/// Adds people over the API.
async fn scope(app: &TestApp, id: i64, ids: &[&str]) {
    let (status, body) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/population"),
            &app.admin_token,
            &json!({ "external_ids": ids }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn population_rows(app: &TestApp, id: i64) -> i64 {
    app.count(&format!("incident_population WHERE incident_id = {id}"))
        .await
}

async fn people_are_counted_checked_and_added_from_the_population_tab(app: TestApp) {
    let id = incident(&app).await;
    let tab = format!("/incidents/{id}/population");
    let (mut c, _) = signed_in(&app, Role::Responder).await;
    let p = c.get(&tab).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("No one is in this incident"), "{}", p.body);
    assert!(!p.body.contains("(coming)"), "no placeholder tab left");
    let csrf = p.csrf();

    // Check counts: shown per jurisdiction, nothing saved.
    let dry = c
        .post(
            &tab,
            &[
                ("_csrf", &csrf),
                ("selector.countries", "DE, FR"),
                ("selector.regions", ""),
                ("reason", "their backups"),
                ("dry_run", "true"),
            ],
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert!(dry.body.contains("nothing saved yet"));
    assert!(
        dry.body.contains("<strong>3</strong> would be added"),
        "{}",
        dry.body
    );
    assert!(
        dry.body.contains(">DE</th><td class=\"num\">2</td>"),
        "{}",
        dry.body
    );
    assert_eq!(
        population_rows(&app, id).await,
        0,
        "a dry run saves nothing"
    );

    // A bad code: the error summary links to the field; nothing saved.
    let bad = c
        .post(
            &tab,
            &[
                ("_csrf", &csrf),
                ("selector.countries", "DE, XX"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"error-summary\""));
    assert!(bad.body.contains("href=\"#f-countries\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"DE, XX\""), "the value is kept");
    assert_eq!(population_rows(&app, id).await, 0);
    let empty = c
        .post(
            &tab,
            &[("_csrf", &csrf), ("external_ids", " \r\n"), ("reason", "")],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(
        empty.body.contains("href=\"#f-external_ids\""),
        "{}",
        empty.body
    );

    // Added by ids: PRG with a flash naming the unknown id, recorded on the timeline.
    let done = c
        .post(
            &tab,
            &[
                ("_csrf", &csrf),
                ("external_ids", "p-a\r\np-c\r\nghost-1\r\n"),
                ("reason", "in the backup"),
            ],
        )
        .await;
    assert_eq!((done.status, done.location()), (303, tab.as_str()));
    let p = c.get(&tab).await;
    assert!(p.body.contains("2 people added; 2 in all."), "{}", p.body);
    assert!(p.body.contains("ghost-1"));
    assert!(p.body.contains(">US-CA</th>"), "{}", p.body);
    assert!(p.body.contains("id=\"people-total\">2<"));
    assert!(
        p.body
            .contains("With a contact point on email: <strong>1</strong>."),
        "Chen has no e-mail: {}",
        p.body
    );
    assert_eq!(population_rows(&app, id).await, 2);
    assert_eq!(
        app.count(&format!(
            "incident_events WHERE incident_id = {id} AND kind = 'population_changed'"
        ))
        .await,
        1
    );

    // A viewer sees the counts, no form, and is refused a post.
    let (mut v, _) = signed_in(&app, Role::Viewer).await;
    let seen = v.get(&tab).await;
    assert_eq!(seen.status, 200);
    assert!(seen.body.contains("id=\"people-total\">2<"));
    assert!(!seen.body.contains("Add these people"));
    let csrf_v = seen.csrf();
    let refused = v
        .post(&tab, &[("_csrf", &csrf_v), ("external_ids", "p-b")])
        .await;
    assert_eq!(refused.status, 403);

    // Another site's form is refused before the handler.
    let forged = c
        .post_with(
            &tab,
            &[("_csrf", &csrf), ("external_ids", "p-b")],
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(population_rows(&app, id).await, 2);
}

async fn notices_are_composed_previewed_side_by_side_and_approved_by_an_approver(app: TestApp) {
    let id = incident(&app).await;
    scope(&app, id, &["p-a", "p-b", "p-d"]).await;
    let tab = format!("/incidents/{id}/notices");
    let (mut r, composer) = signed_in(&app, Role::Responder).await;
    let before = r.get(&tab).await;
    assert_eq!(before.status, 200);
    assert!(before.body.contains("Nothing is composed yet"));
    assert!(
        before
            .body
            .contains("Not composed yet: this is what it would say now"),
        "previews before composing"
    );
    let csrf = before.csrf();
    let composed = r.post(&tab, &[("_csrf", &csrf)]).await;
    assert_eq!((composed.status, composed.location()), (303, tab.as_str()));
    let digest = app.composition(id).await;
    assert_eq!(digest.len(), 64);
    let p = r.get(&tab).await;
    assert!(p.body.contains("notices composed"), "{}", p.body);
    assert!(p.body.contains(&digest), "the digest is shown");
    // One person per language, side by side; the hostile name is escaped.
    for lang in ["lang=\"en", "lang=\"fr", "lang=\"de"] {
        assert!(p.body.contains(lang), "{lang}: {}", p.body);
    }
    assert!(!p.body.contains("<script>alert(1)"), "escaped");
    assert!(p.body.contains("HTML source"));
    assert!(
        p.body.contains("Only an approver can approve"),
        "the responder is told why there is no approve button"
    );
    assert!(!p.body.contains("name=\"composition\""));

    // Completeness as the API says it.
    let (_, check) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/completeness"),
            &app.admin_token,
        )
        .await;
    for m in check["missing"].as_array().unwrap() {
        assert!(p.body.contains(m["jurisdiction"].as_str().unwrap()));
    }

    // The approver approves what they saw; a stale digest is refused with the reason.
    let (mut a, _) = signed_in(&app, Role::Approver).await;
    let page = a.get(&tab).await;
    assert!(
        page.body.contains(&format!("by {composer}")),
        "who composed"
    );
    assert!(page
        .body
        .contains(&format!("name=\"composition\" value=\"{digest}\"")));
    let csrf_a = page.csrf();
    let approval = format!("/incidents/{id}/approval");
    let stale = a
        .post(
            &approval,
            &[
                ("_csrf", &csrf_a),
                ("composition", &"0".repeat(64)),
                ("accept_incomplete", "true"),
            ],
        )
        .await;
    assert_eq!(stale.status, 303);
    let p = a.get(&tab).await;
    assert!(p.body.contains("is not the current one"), "{}", p.body);
    let ok = a
        .post(
            &approval,
            &[
                ("_csrf", &csrf_a),
                ("composition", &digest),
                ("accept_incomplete", "true"),
            ],
        )
        .await;
    assert_eq!((ok.status, ok.location()), (303, tab.as_str()));
    let (_, inc) = app
        .get(&format!("/api/v1/incidents/{id}"), &app.admin_token)
        .await;
    assert_eq!(inc["notices"]["approved"], true, "{inc}");
    let p = a.get(&tab).await;
    assert!(p.body.contains("Notices approved"));
    assert!(p.body.contains("Withdraw approval"));

    // The responder cannot approve, even by posting.
    let refused = r
        .post(&approval, &[("_csrf", &csrf), ("composition", &digest)])
        .await;
    assert_eq!(refused.status, 403);

    // Withdrawn by the approver; recorded.
    let w = a
        .post(
            &format!("/incidents/{id}/approval/withdraw"),
            &[("_csrf", &csrf_a), ("reason", "wrong date")],
        )
        .await;
    assert_eq!(w.status, 303);
    let (_, inc) = app
        .get(&format!("/api/v1/incidents/{id}"), &app.admin_token)
        .await;
    assert_eq!(inc["notices"]["approved"], false);
    assert_eq!(
        app.count(&format!(
            "incident_events WHERE incident_id = {id} AND kind = 'approval_withdrawn'"
        ))
        .await,
        1
    );

    // A viewer sees where the notices stand, not their text, and cannot compose.
    let (mut v, _) = signed_in(&app, Role::Viewer).await;
    let seen = v.get(&tab).await;
    assert_eq!(seen.status, 200);
    assert!(seen.body.contains("cannot read the notices"));
    assert!(!seen.body.contains("Compose again"));
    assert!(!seen.body.contains("ann@example.com"));
    let csrf_v = seen.csrf();
    assert_eq!(v.post(&tab, &[("_csrf", &csrf_v)]).await.status, 403);
    let forged = r
        .post_with(
            &tab,
            &[("_csrf", &csrf)],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.composition(id).await, digest, "nothing was recomposed");
}

async fn delivery_is_planned_dispatched_watched_and_controlled(app: TestApp) {
    let t = team(&app).await;
    let id = crate::flow::scoped_and_approved(&app, &t).await;
    let tab = format!("/incidents/{id}/delivery");
    let (mut r, _) = signed_in(&app, Role::Responder).await;
    let p = r.get(&tab).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Before sending: the plan"));
    assert!(
        p.body.contains("<strong>5</strong> people affected"),
        "{}",
        p.body
    );
    assert!(p.body.contains("Dispatch the notices"));
    assert!(
        p.body.contains("EU-GDPR") && p.body.contains(" ago</strong>"),
        "{}",
        p.body
    );
    assert_eq!(app.count("deliveries").await, 0, "planning queues nothing");

    // A viewer sees the page but no button, and is refused.
    let (mut v, _) = signed_in(&app, Role::Viewer).await;
    let seen = v.get(&tab).await;
    assert!(!seen.body.contains("Dispatch the notices"));
    let csrf_v = seen.csrf();
    let dispatch = format!("/incidents/{id}/dispatch");
    assert_eq!(v.post(&dispatch, &[("_csrf", &csrf_v)]).await.status, 403);
    assert_eq!(app.count("deliveries").await, 0);

    let csrf = p.csrf();
    let sent = r.post(&dispatch, &[("_csrf", &csrf)]).await;
    assert_eq!((sent.status, sent.location()), (303, tab.as_str()));
    let p = r.get(&tab).await;
    assert!(p.body.contains("notices queued"), "{}", p.body);
    assert!(
        p.body.contains("hx-trigger=\"every 3s\""),
        "polled while pending"
    );
    assert!(
        p.body.contains("role=\"img\" aria-label=\"people: "),
        "{}",
        p.body
    );
    assert!(p.body.contains("Pause"));

    // The fragment alone, then after the dispatcher ran: finished, no more polling.
    let frag = r.get(&format!("/incidents/{id}/delivery/progress")).await;
    assert_eq!(frag.status, 200);
    assert!(
        frag.body.starts_with("<div id=\"progress\""),
        "{}",
        frag.body
    );
    app.drain().await;
    let frag = r.get(&format!("/incidents/{id}/delivery/progress")).await;
    assert!(!frag.body.contains("hx-trigger"), "{}", frag.body);
    assert!(frag.body.contains("nothing more is on its way"));
    assert!(frag.body.contains("<strong>100%</strong>"), "{}", frag.body);
    let ended = super::Client::new(&app)
        .get(&format!("/incidents/{id}/delivery/progress"))
        .await;
    assert_eq!(
        (ended.status, ended.headers["hx-redirect"].to_str().unwrap()),
        (
            204,
            format!("/login?next=%2Fincidents%2F{id}%2Fdelivery").as_str()
        ),
        "signed out: the whole page goes to sign in, and back"
    );

    // Pause, resume, cancel: each recorded; a forged post is refused.
    let pause = format!("/incidents/{id}/delivery/pause");
    let forged = r
        .post_with(
            &pause,
            &[("_csrf", &csrf)],
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(r.post(&pause, &[("_csrf", &csrf)]).await.status, 303);
    let p = r.get(&tab).await;
    assert!(p.body.contains("Delivery paused"), "{}", p.body);
    assert!(p.body.contains(">Resume</button>"));
    assert_eq!(
        v.post(
            &format!("/incidents/{id}/delivery/resume"),
            &[("_csrf", &csrf_v)]
        )
        .await
        .status,
        403
    );
    let resume = format!("/incidents/{id}/delivery/resume");
    assert_eq!(r.post(&resume, &[("_csrf", &csrf)]).await.status, 303);
    let cancel = format!("/incidents/{id}/delivery/cancel");
    assert_eq!(r.post(&cancel, &[("_csrf", &csrf)]).await.status, 303);
    let again = r.post(&resume, &[("_csrf", &csrf)]).await;
    assert_eq!(again.status, 303);
    let p = r.get(&tab).await;
    assert!(p.body.contains("it cannot be made running"), "{}", p.body);
    for kind in ["delivery_paused", "delivery_resumed", "delivery_cancelled"] {
        assert_eq!(
            app.count(&format!(
                "incident_events WHERE incident_id = {id} AND kind = '{kind}'"
            ))
            .await,
            1,
            "{kind}"
        );
    }
}

async fn obligations_are_listed_by_due_time_and_marked_done(app: TestApp) {
    let id = incident(&app).await;
    scope(&app, id, &["p-a", "p-b", "p-d"]).await;
    let (_, list) = app
        .get(
            &format!("/api/v1/incidents/{id}/obligations"),
            &app.admin_token,
        )
        .await;
    let open: Vec<&serde_json::Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| (o["status"] == "due" || o["status"] == "overdue") && o["due_at"].is_string())
        .collect();
    assert!(open.len() >= 2, "{list}");
    let tab = format!("/incidents/{id}/obligations");
    let (mut r, _) = signed_in(&app, Role::Responder).await;
    let p = r.get(&tab).await;
    assert_eq!(p.status, 200, "{}", p.body);
    // In the engine's order (by due time).
    let at = |o: &serde_json::Value| {
        p.body
            .find(&format!("id=\"o-{}\"", o["id"]))
            .unwrap_or_else(|| panic!("{o}"))
    };
    assert!(at(open[0]) < at(open[1]));
    assert!(p.body.contains(" late</strong>") || p.body.contains(" left</strong>"));
    assert!(p.body.contains("EU-GDPR"));
    let oid = open[0]["id"].as_i64().unwrap();
    let action = format!("/incidents/{id}/obligations/{oid}/done");
    let csrf = p.csrf();

    // No "how": the error summary, the details open with what was typed.
    let bad = r
        .post(&action, &[("_csrf", &csrf), ("how", " "), ("at", "")])
        .await;
    assert_eq!(bad.status, 422);
    let inline = format!("id=\"e-how-{oid}\"");
    assert!(bad.body.contains(&format!("href=\"#f-how-{oid}\"")) && bad.body.contains(&inline));
    let ok = r
        .post(
            &action,
            &[
                ("_csrf", &csrf),
                ("how", "Online form, case 12345"),
                ("at", "2026-11-25T10:00"),
            ],
        )
        .await;
    assert_eq!((ok.status, ok.location()), (303, tab.as_str()));
    let p = r.get(&tab).await;
    assert!(p.body.contains("Marked done:"), "{}", p.body);
    assert!(p.body.contains("Online form, case 12345"));
    let (_, list) = app
        .get(
            &format!("/api/v1/incidents/{id}/obligations"),
            &app.admin_token,
        )
        .await;
    let o = list
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == oid)
        .unwrap();
    assert_eq!(o["status"], "done");
    assert_eq!(o["fulfilled"]["at"], "2026-11-25T10:00:00Z");

    // A viewer sees the clocks, no form, and is refused.
    let (mut v, _) = signed_in(&app, Role::Viewer).await;
    let seen = v.get(&tab).await;
    assert_eq!(seen.status, 200);
    assert!(!seen.body.contains("<summary>Mark done</summary>"));
    let other = open[1]["id"].as_i64().unwrap();
    let refused = v
        .post(
            &format!("/incidents/{id}/obligations/{other}/done"),
            &[("_csrf", &seen.csrf()), ("how", "no")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let forged = r
        .post_with(
            &format!("/incidents/{id}/obligations/{other}/done"),
            &[("_csrf", &csrf), ("how", "forged")],
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(forged.status, 403);

    // The overview's next deadline is the engine's earliest open one.
    let next = format!("datetime=\"{}\"", open[1]["due_at"].as_str().unwrap());
    for page in ["/", "/incidents"] {
        let p = r.get(page).await;
        assert!(p.body.contains(&next), "{page} {next}: {}", p.body);
    }
}

async fn reports_are_downloaded_for_each_applying_regime_and_recorded(app: TestApp) {
    let id = incident(&app).await;
    scope(&app, id, &["p-b", "p-d"]).await;
    let tab = format!("/incidents/{id}/reports");
    let (mut r, email) = signed_in(&app, Role::Responder).await;
    let p = r.get(&tab).await;
    assert_eq!(p.status, 200, "{}", p.body);
    for f in tocsin::regulation::Format::AVAILABLE {
        let href = format!("/incidents/{id}/reports/EU-GDPR.{}", f.as_str());
        assert!(p.body.contains(&href), "{href}: {}", p.body);
    }
    let d = r
        .get(&format!("/incidents/{id}/reports/EU-GDPR.json"))
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    assert_eq!(
        d.headers["content-disposition"],
        format!("attachment; filename=\"TOCSIN-{id}-EU-GDPR.json\"")
    );
    assert_eq!(d.headers["cache-control"], "no-store");
    let doc: serde_json::Value = serde_json::from_str(&d.body).unwrap();
    assert!(doc.is_object());
    assert_eq!(app.count("reports").await, 1);
    let p = r.get(&tab).await;
    assert!(p.body.contains(&email), "who generated it: {}", p.body);
    let unknown = r
        .get(&format!("/incidents/{id}/reports/EU-GDPR.docx"))
        .await;
    assert_eq!(unknown.status, 400);
    let nowhere = r
        .get(&format!("/incidents/{id}/reports/XX-NONE.json"))
        .await;
    assert_eq!(nowhere.status, 404);

    let (mut v, _) = signed_in(&app, Role::Viewer).await;
    let seen = v.get(&tab).await;
    assert_eq!(seen.status, 200);
    assert!(seen.body.contains("cannot download"));
    assert_eq!(
        v.get(&format!("/incidents/{id}/reports/EU-GDPR.json"))
            .await
            .status,
        403
    );
    assert_eq!(app.count("reports").await, 1);
}

crate::on_both_databases!(
    people_are_counted_checked_and_added_from_the_population_tab,
    notices_are_composed_previewed_side_by_side_and_approved_by_an_approver,
    delivery_is_planned_dispatched_watched_and_controlled,
    obligations_are_listed_by_due_time_and_marked_done,
    reports_are_downloaded_for_each_applying_regime_and_recorded,
);
