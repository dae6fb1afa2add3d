//! Regulator reports: `GET /api/v1/incidents/{id}/reports/{jurisdiction}?format=json|csv|html`
//! — the document model, the exact bytes hashed and recorded, missing fields named, bad
//! requests. CSV, HTML and the command line: `reports_formats`.
use crate::helpers::TestApp;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use entity::{account, incident_population, report, subject};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tocsin::domain::Role;

pub const PEOPLE: &str = "\
external_id,email,country,region
de-1,de1@example.de,DE,
de-2,de2@example.de,DE,
de-3,de3@example.de,DE,
fr-1,fr1@example.fr,FR,
fr-2,fr2@example.fr,FR,
us-1,us1@example.com,US,US-CA
us-2,us2@example.com,US,US-NY
gb-1,gb1@example.co.uk,GB,
jp-1,jp1@example.jp,JP,
xx-1,xx1@example.com,,
";

pub const EVERYONE: &[&str] = &[
    "de-1", "de-2", "de-3", "fr-1", "fr-2", "us-1", "us-2", "gb-1", "jp-1", "xx-1",
];

pub async fn import_people(app: &TestApp) {
    let (status, body) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "text/csv",
            PEOPLE,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 10, "{body}");
}

/// Opens a credential-exposure incident (the playbook fills in the rest) that the organisation
/// became aware of `ago` before now, to the second.
pub async fn open_incident(app: &TestApp, ago: Duration, title: &str) -> (i64, DateTime<Utc>) {
    let aware_at = Utc::now() - ago;
    let aware_at =
        DateTime::parse_from_rfc3339(&aware_at.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap()
            .with_timezone(&Utc);
    let (status, body) = app
        .post_json(
            "/api/v1/incidents",
            &app.admin_token,
            &json!({
                "title": title,
                "summary": "A database backup with member sign-in details was readable from the internet.",
                "kind": "credential-exposure",
                "aware_at": aware_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_i64().unwrap(), aware_at)
}

pub const TITLE: &str = "Member passwords exposed in a leaked backup";

/// Snapshots the named subjects into `incident_population` directly, with their country and
/// region as they are now.
pub async fn scope(app: &TestApp, incident_id: i64, external_ids: &[&str]) {
    let subjects = subject::Entity::find()
        .filter(subject::Column::ExternalId.is_in(external_ids.iter().copied()))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(subjects.len(), external_ids.len(), "every id is a subject");
    let now = Utc::now();
    incident_population::Entity::insert_many(subjects.into_iter().map(|s| {
        incident_population::ActiveModel {
            incident_id: Set(incident_id),
            subject_id: Set(s.id),
            external_id: Set(s.external_id),
            country: Set(s.country),
            region: Set(s.region),
            has_email: Set(s.email.is_some()),
            has_phone: Set(s.phone.is_some()),
            has_push: Set(false),
            reason: Set("listed by the test".into()),
            added_at: Set(now),
            ..Default::default()
        }
    }))
    .exec(&app.db)
    .await
    .unwrap();
}

pub fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not an instant: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

/// Every field of a document as (`section.key`, value object), in order.
pub fn fields(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for s in doc["sections"].as_array().expect("sections") {
        for item in s["items"].as_array().expect("items") {
            if item["type"] == "field" {
                out.push((
                    format!(
                        "{}.{}",
                        s["key"].as_str().unwrap(),
                        item["key"].as_str().unwrap()
                    ),
                    item["value"].clone(),
                ));
            }
        }
    }
    out
}

/// The value object of one field (`{"kind": …, "value": …}`).
pub fn field(doc: &Value, key: &str) -> Value {
    fields(doc)
        .into_iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no field {key} in {}", doc["regime"]))
        .1
}

/// Fields whose value is missing are exactly the ones `missing` names.
pub fn assert_missing_consistent(doc: &Value) {
    let missing: Vec<String> = doc["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let blank: Vec<String> = fields(doc)
        .into_iter()
        .filter(|(_, v)| v["kind"] == "missing")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(missing, blank, "{}", doc["regime"]);
}

async fn gdpr_report_counts_maps_and_times(app: TestApp) {
    import_people(&app).await;
    let (id, aware_at) = open_incident(&app, Duration::hours(2), TITLE).await;
    scope(&app, id, EVERYONE).await;

    // The jurisdiction is matched case-insensitively; json is the default format.
    let (status, r) = app
        .get(
            &format!("/api/v1/incidents/{id}/reports/eu-gdpr"),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["regime"], "EU-GDPR");
    assert_eq!(r["incident_id"], id);
    assert_eq!(r["reference"], format!("TOCSIN-{id}"));
    assert!(
        r["title"].as_str().unwrap().ends_with(TITLE),
        "{}",
        r["title"]
    );
    assert_eq!(r["language"], "en");
    assert_eq!(
        field(&r, "reporter.organisation_name"),
        json!({"kind": "text", "value": "Example Sourcing Marketplace"})
    );
    assert_eq!(
        field(&r, "reporter.contact_point")["value"],
        "Data Protection Officer, privacy@example-sourcing.com"
    );
    assert_eq!(
        field(&r, "reporter.contact_phone")["value"],
        "+86 571 0000 0000"
    );
    assert!(field(&r, "what_happened.description")["value"]
        .as_str()
        .unwrap()
        .contains("database backup"));
    assert_eq!(field(&r, "what_happened.cause")["kind"], "missing");
    assert_eq!(
        instant(&field(&r, "what_happened.discovered_at")["value"]),
        aware_at
    );
    assert_eq!(
        field(&r, "personal_data.categories")["value"],
        json!([
            "Identification data (e.g. usernames, passwords)",
            "Basic personal identifiers (e.g. name, contact details)",
        ])
    );
    assert_eq!(
        field(&r, "personal_data.categories_in_detail")["value"],
        json!([
            "member account name with its password",
            "your e-mail address",
            "your name"
        ])
    );
    // Ten people in all; DE 3 and FR 2 in the EEA.
    assert_eq!(field(&r, "personal_data.subjects")["value"], 10);
    assert_eq!(field(&r, "personal_data.subjects_in_territory")["value"], 5);
    assert_eq!(field(&r, "personal_data.records")["kind"], "missing");
    assert_eq!(
        field(&r, "personal_data.subject_categories")["value"],
        json!(["buyers (business customers and their staff)"])
    );
    assert!(field(&r, "personal_data.likely_consequences")["value"]
        .as_str()
        .unwrap()
        .contains("phishing"));
    assert!(field(&r, "measures.actions_taken")["value"]
        .as_str()
        .unwrap()
        .starts_with("We reset the passwords"));
    assert_eq!(
        field(&r, "measures.advice_to_subjects")["value"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        field(&r, "what_happened.reasons_for_delay")["value"],
        "Not applicable: reported within 72 hours of awareness"
    );
    // The table of people per place.
    let table = r["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["items"].as_array().unwrap())
        .find(|i| i["type"] == "table")
        .expect("a table of counts");
    assert!(table["rows"]
        .as_array()
        .unwrap()
        .contains(&json!(["DE", "3"])));
    assert!(table["rows"]
        .as_array()
        .unwrap()
        .contains(&json!(["unknown", "1"])));
    // Due 72 hours after awareness, to the German authority (the only EEA country with… two:
    // DE and FR, so the report names the first and the other in a notice).
    assert_eq!(
        instant(&field(&r, "filing.due")["value"]),
        aware_at + Duration::hours(72)
    );
    assert!(
        r["addressee"]["name"].is_string(),
        "{}",
        serde_json::to_string_pretty(&r).unwrap()
    );
    assert!(
        r["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("also due to")),
        "{}",
        r["notices"]
    );
    assert!(instant(&r["generated_at"]) >= aware_at);
    assert_missing_consistent(&r);
    for key in [
        "personal_data.records",
        "reporter.reporter_name",
        "what_happened.cyber_incident",
        "what_happened.cause",
    ] {
        assert!(
            r["missing"].as_array().unwrap().contains(&json!(key)),
            "{key}"
        );
    }
}

async fn the_exact_bytes_are_hashed_recorded_and_on_the_timeline(app: TestApp) {
    import_people(&app).await;
    let (id, _) = open_incident(&app, Duration::hours(1), TITLE).await;
    scope(&app, id, &["de-1", "us-1"]).await;

    let res = app
        .client
        .get(app.url(&format!(
            "/api/v1/incidents/{id}/reports/EU-gdpr?format=json"
        )))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let bytes = res.bytes().await.unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        field(&body, "personal_data.subjects_in_territory")["value"],
        1
    );

    let admin = account::Entity::find()
        .filter(account::Column::Email.eq("admin@example.test"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let rows = report::Entity::find()
        .filter(report::Column::IncidentId.eq(id))
        .order_by_asc(report::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        row.jurisdiction, "EU-GDPR",
        "stored under the regime's own id"
    );
    assert_eq!(row.format, "json");
    assert_eq!(row.content_sha256, sha);
    assert_eq!(row.generated_by, Some(admin.id));
    assert_eq!(row.generated_at, instant(&body["generated_at"]));
    assert!(row.submitted_at.is_none());

    let events = app.events(id, &["report_generated"]).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let d = &events[0]["details"];
    assert_eq!(d["jurisdiction"], "EU-GDPR");
    assert_eq!(d["format"], "json");
    assert_eq!(d["sha256"], sha);
    assert_eq!(d["report_id"], row.id);

    let (_, audit) = app.get("/api/v1/audit", &app.admin_token).await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "incident.report_generated" && e["details"]["sha256"] == sha),
        "{audit}"
    );

    // Every generation is recorded, each with the hash of what it returned, in any format.
    for (format, ctype) in [
        ("csv", "text/csv; charset=utf-8"),
        ("HTML", "text/html; charset=utf-8"),
    ] {
        let res = app
            .client
            .get(app.url(&format!(
                "/api/v1/incidents/{id}/reports/EU-GDPR?format={format}"
            )))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], ctype);
        let bytes = res.bytes().await.unwrap();
        let sha = hex::encode(Sha256::digest(&bytes));
        let events = app.events(id, &["report_generated"]).await;
        assert_eq!(events.last().unwrap()["details"]["sha256"], sha);
        assert_eq!(
            events.last().unwrap()["details"]["format"],
            format.to_lowercase()
        );
    }
    assert_eq!(app.count("reports").await, 3);
}

async fn missing_names_exactly_what_is_not_known(app: TestApp) {
    // Aware four days ago, nobody scoped, and the likely consequences cleared.
    let (id, _) = open_incident(&app, Duration::days(4), TITLE).await;
    let (status, body) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &app.admin_token,
            &json!({ "likely_consequences": "" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, r) = app
        .get(
            &format!("/api/v1/incidents/{id}/reports/EU-GDPR"),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_missing_consistent(&r);
    let missing = r["missing"].as_array().unwrap();
    for key in [
        "personal_data.subjects",
        "personal_data.subjects_in_territory",
        "personal_data.likely_consequences",
    ] {
        assert!(missing.contains(&json!(key)), "{key} in {missing:?}");
    }
    // No one in the EEA: the rules require no report, and the document says so.
    assert!(r["notices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("do not require")));
    assert_eq!(
        field(&r, "filing.due")["value"],
        "not required by the rules"
    );
}

async fn bad_requests_are_refused_and_record_nothing(app: TestApp) {
    let (id, _) = open_incident(&app, Duration::hours(1), TITLE).await;
    let path = |j: &str, q: &str| format!("/api/v1/incidents/{id}/reports/{j}{q}");

    for j in ["nowhere", "EU-GDPRX", ""] {
        let (status, e) = app.get(&path(j, ""), &app.admin_token).await;
        if j.is_empty() {
            assert_eq!(status, 404, "{e}");
            continue;
        }
        assert_eq!(status, 404, "{e}");
        assert_eq!(e["error"]["code"], "unknown_jurisdiction", "{e}");
        let supported = e["error"]["details"]["supported"].as_array().unwrap();
        for r in [
            "EU-GDPR", "UK-GDPR", "US-HIPAA", "US-CA", "CN-PIPL", "SG-PDPA", "US-NY",
        ] {
            assert!(supported.contains(&json!(r)), "{r} in {supported:?}");
        }
        assert!(
            e["error"]["message"].as_str().unwrap().contains("EU-GDPR"),
            "{e}"
        );
    }
    let (status, e) = app
        .get(&path("EU-GDPR", "?format=xml"), &app.admin_token)
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["code"], "unknown_format");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("csv"),
        "{e}"
    );

    let viewer = app.token_for(Role::Viewer).await;
    let (status, e) = app.get(&path("EU-GDPR", ""), &viewer).await;
    assert_eq!(status, 403, "{e}");
    assert_eq!(e["error"]["code"], "forbidden");
    let (status, _) = app.get(&path("EU-GDPR", ""), "not-a-token").await;
    assert_eq!(status, 401);
    let (status, e) = app
        .get("/api/v1/incidents/999999/reports/EU-GDPR", &app.admin_token)
        .await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["error"]["code"], "not_found");

    assert_eq!(app.count("reports").await, 0);
    assert!(app.events(id, &["report_generated"]).await.is_empty());

    // The approver (legal / DPO) may pull reports; names are not case-sensitive.
    let approver = app.token_for(Role::Approver).await;
    let (status, r) = app.get(&path("uk-gdpr", "?format=JSON"), &approver).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["regime"], "UK-GDPR");
    assert_eq!(app.count("reports").await, 1);
}

crate::on_both_databases!(
    gdpr_report_counts_maps_and_times,
    the_exact_bytes_are_hashed_recorded_and_on_the_timeline,
    missing_names_exactly_what_is_not_known,
    bad_requests_are_refused_and_record_nothing,
);
