//! Due times through the whole application, on both databases: clocks that cross a weekend, a
//! public holiday and a daylight-saving change, each read from a stored incident.
use crate::helpers::{Backend, TestApp};
use crate::obligations::{by_key, import, instant, obligations, people, playbooks_with, scope};
use serde_json::{json, Value};

async fn incident_at(app: &TestApp, aware_at: &str, extra: Value) -> i64 {
    let mut body = json!({
        "title": "Member passwords exposed in a leaked backup",
        "summary": "A database backup was readable.",
        "kind": "credential-exposure",
        "aware_at": aware_at,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, inc) = app
        .post_json("/api/v1/incidents", &app.admin_token, &body)
        .await;
    assert_eq!(status, 201, "{inc}");
    inc["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_times_cross_weekends_holidays_and_daylight_saving() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let dir = tempfile::tempdir().unwrap();
        let org = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/playbooks/organisation.yaml"
        ))
        .unwrap()
        .replace("flags: []", "flags: [listed_company]");
        let root = playbooks_with(dir.path(), "organisation.yaml", &org);
        let Some(app) =
            TestApp::spawn_with(backend, &[("TOCSIN_PLAYBOOKS_DIR", root.to_str().unwrap())]).await
        else {
            continue;
        };
        import(&app, people("k", &[("BR", 2), ("US-CA", 2), ("DE", 2)], 0)).await;
        // Each row: aware_at, extra incident fields, who is affected, obligation, due (UTC).
        let rows: &[(&str, Value, Value, &str, &str)] = &[
            // 3 business days in São Paulo: Friday 20 November is a holiday, then the weekend.
            (
                "2026-11-19T15:00:00Z",
                json!({}),
                json!({"countries": ["BR"]}),
                "BR-LGPD/authority",
                "2026-11-26T02:59:59Z",
            ),
            // 30 calendar days in Los Angeles across the end of daylight saving time.
            (
                "2026-10-10T18:00:00Z",
                json!({}),
                json!({"regions": ["US-CA"]}),
                "US-CA/individuals",
                "2026-11-10T07:59:59Z",
            ),
            // 72 hours are 72 hours across Berlin's change of clocks.
            (
                "2026-10-24T10:00:00Z",
                json!({}),
                json!({"countries": ["DE"]}),
                "EU-GDPR/authority/DE",
                "2026-10-27T10:00:00Z",
            ),
            // 4 business days in New York from a Friday: the weekend and the DST change.
            (
                "2026-10-29T09:00:00Z",
                json!({"materiality_determined_at": "2026-10-30T20:00:00Z"}),
                json!({"countries": ["DE"]}),
                "US-SEC/form_8k",
                "2026-11-06T04:59:59Z",
            ),
            // 4 business days from a Thursday: the weekend and Veterans Day.
            (
                "2026-11-04T09:00:00Z",
                json!({"materiality_determined_at": "2026-11-05T15:00:00Z"}),
                json!({"countries": ["DE"]}),
                "US-SEC/form_8k",
                "2026-11-13T04:59:59Z",
            ),
        ];
        for (aware, extra, selector, key, due) in rows {
            let id = incident_at(&app, aware, extra.clone()).await;
            scope(&app, id, json!({ "selector": selector })).await;
            let list = obligations(&app, id).await;
            let o = by_key(&list, key);
            assert_eq!(
                instant(&o["due_at"]),
                instant(&json!(due)),
                "{backend:?} {key}: {o}"
            );
            assert_eq!(o["status"], "overdue", "{key}: these dates are past");
        }
    }
}
