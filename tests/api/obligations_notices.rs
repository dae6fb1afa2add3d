//! Jurisdiction rules reaching the notices, on both databases: what each jurisdiction requires
//! is checked before approval; Massachusetts residents get a notice without the nature of the
//! breach; a substitute notice becomes an obligation that the public announcement fulfils for
//! the days it must stay up.
use crate::helpers::{Backend, TestApp};
use crate::obligations::{
    by_key, import, incident, instant, obligations, people, playbooks_with, scope,
};
use chrono::Duration;
use serde_json::{json, Value};
use tocsin::domain::Role;

async fn approve(app: &TestApp, id: i64, token: &str, accept: bool) -> (u16, Value) {
    let body = json!({ "composition": app.composition(id).await, "accept_incomplete": accept });
    app.post_json(&format!("/api/v1/incidents/{id}/approval"), token, &body)
        .await
}

/// China's PIPL wants the cause stated; without it the approval is refused, listing it.
async fn approval_refuses_what_a_jurisdiction_requires_unless_accepted(app: TestApp) {
    import(&app, people("c", &[("CN", 2), ("US-NY", 2)], 0)).await;
    let (id, _) = incident(&app, Duration::hours(1), json!({"cause": ""})).await;
    // A selector's countries and regions must both match: two requests, one population.
    scope(&app, id, json!({"selector": {"countries": ["CN"]}})).await;
    scope(&app, id, json!({"selector": {"regions": ["US-NY"]}})).await;
    let approver = app.token_for(Role::Approver).await;
    let (status, c) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/completeness"),
            &approver,
        )
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["complete"], false);
    assert_eq!(
        c["missing"],
        json!([{
            "jurisdiction": "CN-PIPL", "element": "cause",
            "fix": "fill in the incident's cause", "unverified": false,
        }]),
        "New York's statement is in the shipped organisation.yaml: {c}"
    );
    assert!(
        c["checked"].as_array().unwrap().contains(&json!("US-NY")),
        "{c}"
    );
    assert_eq!(app.act(id, "notices", &app.admin_token).await.0, 200);
    let (status, e) = approve(&app, id, &approver, false).await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"]["code"], "incomplete_notices");
    assert_eq!(e["error"]["details"]["missing"], c["missing"]);
    assert!(e["error"]["message"].as_str().unwrap().contains("CN-PIPL"));
    assert!(
        app.events(id, &["notices_approved"]).await.is_empty(),
        "nothing approved"
    );
    let (status, inc) = approve(&app, id, &approver, true).await;
    assert_eq!(
        (status, inc["notices"]["approved"].as_bool()),
        (200, Some(true)),
        "{inc}"
    );
    let approved = app.events(id, &["notices_approved"]).await;
    assert_eq!(
        approved[0]["details"]["accepted_incomplete"], c["missing"],
        "the timeline records it"
    );
    // Stating the cause completes them: the next approval needs no acceptance.
    let path = format!("/api/v1/incidents/{id}");
    let body = json!({"cause": "A storage bucket was made public by mistake."});
    assert_eq!(app.patch_json(&path, &app.admin_token, &body).await.0, 200);
    let (_, c) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/completeness"),
            &approver,
        )
        .await;
    assert_eq!(
        (
            c["complete"].as_bool(),
            c["missing"].as_array().map(Vec::len)
        ),
        (Some(true), Some(0))
    );
    assert_eq!(app.act(id, "notices", &app.admin_token).await.0, 200);
    assert_eq!(approve(&app, id, &approver, false).await.0, 200);
    assert!(app.events(id, &["notices_approved"]).await[1]["details"]
        .get("accepted_incomplete")
        .is_none());
}

async fn preview(app: &TestApp, id: i64, who: &str) -> Value {
    let path = format!("/api/v1/incidents/{id}/notices/preview?external_id={who}&channel=email");
    let (status, p) = app.get(&path, &app.admin_token).await;
    assert_eq!(status, 200, "{p}");
    p
}

/// Massachusetts residents' notices leave out what happened and its cause and carry the
/// statements Massachusetts requires; a Californian's notice says what happened.
async fn massachusetts_residents_get_a_notice_without_the_nature_of_the_breach(app: TestApp) {
    import(&app, people("v", &[("US-MA", 1), ("US-CA", 1)], 0)).await;
    let (id, _) = incident(
        &app,
        Duration::hours(1),
        json!({
            "summary": "NATURE-MARKER: a backup was readable.",
            "cause": "CAUSE-MARKER: a bucket was public.",
            "data_categories": ["name", "government_id"],
        }),
    )
    .await;
    scope(
        &app,
        id,
        json!({"selector": {"regions": ["US-MA", "US-CA"]}}),
    )
    .await;
    // Before composing and as composed, the same variant.
    for composed in [false, true] {
        if composed {
            assert_eq!(app.act(id, "notices", &app.admin_token).await.0, 200);
        }
        let ma = preview(&app, id, "v-US-MA-0").await;
        let ca = preview(&app, id, "v-US-CA-0").await;
        assert_eq!(ma["composed"], composed);
        for part in ["text", "html"] {
            let m = ma[part].as_str().unwrap();
            assert!(
                !m.contains("NATURE-MARKER") && !m.contains("CAUSE-MARKER"),
                "{part}: {m}"
            );
            assert!(
                m.contains("no charge to place, lift or remove a security freeze"),
                "{part}: {m}"
            );
            let c = ca[part].as_str().unwrap();
            assert!(
                c.contains("NATURE-MARKER") && c.contains("CAUSE-MARKER"),
                "{part}: {c}"
            );
            assert!(!c.contains("security freeze"), "{part}: {c}");
        }
        assert!(ma["text"]
            .as_str()
            .unwrap()
            .contains("security incident that involves information about you"));
    }
    let (_, c) = app
        .get(
            &format!("/api/v1/incidents/{id}/notices/completeness"),
            &app.admin_token,
        )
        .await;
    assert_eq!(
        c["variants"],
        json!([{
            "jurisdiction": "US-MA", "omits": ["nature_of_breach", "number_affected"], "people": 1,
        }])
    );
}

/// Two Californians have no e-mail address: California's substitute notice (e-mail, website
/// for 30 days, statewide media) becomes an obligation; publishing the announcement fulfils
/// the website part, which must then stay up 30 days.
async fn a_substitute_notice_is_an_obligation_the_announcement_fulfils(app: TestApp) {
    import(&app, people("s", &[("US-CA", 12)], 2)).await;
    let (id, _) = incident(&app, Duration::hours(1), json!({})).await;
    scope(&app, id, json!({"selector": {"regions": ["US-CA"]}})).await;
    let list = obligations(&app, id).await;
    let public = by_key(&list, "US-CA/individuals/substitute").clone();
    assert_eq!(
        (
            public["audience"].as_str(),
            public["status"].as_str(),
            public["keep_days"].as_i64()
        ),
        (Some("public"), Some("due"), Some(30)),
        "{public}"
    );
    assert_eq!(
        public["due_at"],
        by_key(&list, "US-CA/individuals")["due_at"]
    );
    assert!(
        public["reason"]
            .as_str()
            .unwrap()
            .contains("2 of them cannot be reached"),
        "{public}"
    );
    assert_eq!(
        by_key(&list, "US-CA/individuals/substitute-media")["audience"],
        "media"
    );
    let approver = app.token_for(Role::Approver).await;
    assert_eq!(app.act(id, "notices", &app.admin_token).await.0, 200);
    assert_eq!(approve(&app, id, &approver, false).await.0, 200);
    let (status, a) = app.act(id, "announcement", &app.admin_token).await;
    assert_eq!(status, 201, "{a}");
    let list = obligations(&app, id).await;
    let public = by_key(&list, "US-CA/individuals/substitute");
    assert_eq!(public["status"], "ongoing", "{public}");
    let published = instant(&public["fulfilled"]["at"]);
    assert_eq!(
        instant(&public["keep_until"]),
        published + Duration::days(30)
    );
    assert!(
        public["fulfilled"]["by"].is_null(),
        "Tocsin saw it done: {public}"
    );
    assert_eq!(
        by_key(&list, "US-CA/individuals/substitute-media")["status"],
        "due"
    );
    let done = app.events(id, &["obligation_done"]).await;
    assert_eq!(done.len(), 1, "recorded once, however often it is read");
    obligations(&app, id).await;
    assert_eq!(app.events(id, &["obligation_done"]).await.len(), 1);
    assert_eq!(done[0]["actor"], "system");
}

/// Without the statements in organisation.yaml, New York's required element is named with
/// where to add it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_statement_is_named_with_where_to_add_it() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let dir = tempfile::tempdir().unwrap();
        let org = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/playbooks/organisation.yaml"
        ))
        .unwrap();
        let cut = org.split("notice_statements:").next().unwrap().to_owned();
        let root = playbooks_with(dir.path(), "organisation.yaml", &cut);
        let Some(app) =
            TestApp::spawn_with(backend, &[("TOCSIN_PLAYBOOKS_DIR", root.to_str().unwrap())]).await
        else {
            continue;
        };
        import(&app, people("n", &[("US-NY", 1)], 0)).await;
        let (id, _) = incident(&app, Duration::hours(1), json!({})).await;
        scope(&app, id, json!({"selector": {"regions": ["US-NY"]}})).await;
        let (_, c) = app
            .get(
                &format!("/api/v1/incidents/{id}/notices/completeness"),
                &app.admin_token,
            )
            .await;
        assert_eq!(
            c["missing"],
            json!([{
                "jurisdiction": "US-NY", "element": "government_agency_contacts",
                "fix": "add notice_statements.government_agency_contacts to organisation.yaml",
                "unverified": false,
            }]),
            "{c}"
        );
    }
}

crate::on_both_databases!(
    approval_refuses_what_a_jurisdiction_requires_unless_accepted,
    massachusetts_residents_get_a_notice_without_the_nature_of_the_breach,
    a_substitute_notice_is_an_obligation_the_announcement_fulfils,
);
