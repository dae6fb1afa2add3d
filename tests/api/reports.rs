//! Regulator reports: `GET /api/v1/incidents/{id}/reports/{jurisdiction}?format=json`.
use crate::helpers::TestApp;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use entity::{account, incident_population, report, subject};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tocsin::domain::Role;

const PEOPLE: &str = "\
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

const EVERYONE: &[&str] = &[
    "de-1", "de-2", "de-3", "fr-1", "fr-2", "us-1", "us-2", "gb-1", "jp-1", "xx-1",
];

async fn import_people(app: &TestApp) {
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
async fn open_incident(app: &TestApp, ago: Duration) -> (i64, DateTime<Utc>) {
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
                "title": "Member passwords exposed in a leaked backup",
                "summary": "A database backup with member sign-in details was readable from the internet.",
                "kind": "credential-exposure",
                "aware_at": aware_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_i64().unwrap(), aware_at)
}

/// Stands in for the population API (`POST /api/v1/incidents/{id}/population`, being written
/// concurrently): snapshots the named subjects into `incident_population` directly, with their
/// country and region as they are now.
async fn scope(app: &TestApp, incident_id: i64, external_ids: &[&str]) {
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

fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not an instant: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

async fn report_events(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, tl) = app
        .get(
            &format!("/api/v1/incidents/{id}/timeline"),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, 200, "{tl}");
    tl["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "report_generated")
        .cloned()
        .collect()
}

async fn gdpr_report_counts_maps_and_times(app: TestApp) {
    import_people(&app).await;
    let (id, aware_at) = open_incident(&app, Duration::hours(2)).await;
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
    assert_eq!(
        r["authority"],
        "competent supervisory authority (lead SA under Art. 56)"
    );
    assert_eq!(r["incident"]["id"], id);
    assert_eq!(
        r["controller"],
        json!({"name": "Example Sourcing Marketplace", "website": "https://www.example-sourcing.com"})
    );
    let nature = &r["nature_of_breach"];
    assert_eq!(
        nature["title"],
        "Member passwords exposed in a leaked backup"
    );
    assert_eq!(nature["kind"], "credential-exposure");
    assert_eq!(nature["kind_title"], "Account credential exposure");
    assert_eq!(nature["systems"], json!(["member_accounts"]));
    assert!(nature["cause"].is_null(), "no cause was given: {nature}");
    assert_eq!(
        r["categories_of_data_subjects"],
        json!(["buyers (business customers and their staff)"])
    );
    // DE 3, FR 2 in the EEA; US 2, GB 1, JP 1 outside; one of unknown country.
    assert_eq!(
        r["approximate_number_of_data_subjects"],
        json!({"total": 10, "in_eea": 5, "by_country": {"DE": 3, "FR": 2}, "country_unknown": 1})
    );
    assert_eq!(
        r["categories_of_personal_data"],
        json!([
            {"category": "member_credentials", "label": "member account name with its password",
             "base": ["credentials", "online_identifiers"]},
            {"category": "email_address", "label": "your e-mail address", "base": ["email_address"]},
            {"category": "name", "label": "your name", "base": ["name"]},
        ])
    );
    assert!(r["approximate_number_of_records"].is_null());
    assert_eq!(
        r["dpo_or_contact_point"],
        json!({
            "dpo": "Data Protection Officer, privacy@example-sourcing.com",
            "email": "privacy@example-sourcing.com",
            "phone": "+86 571 0000 0000",
        })
    );
    assert!(r["likely_consequences"]
        .as_str()
        .unwrap()
        .contains("phishing"));
    let measures = &r["measures_taken_or_proposed"];
    assert!(measures["measures_taken"]
        .as_str()
        .unwrap()
        .starts_with("We reset the passwords"));
    assert_eq!(
        measures["mitigations_recommended_to_individuals"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let tl = &r["timeline"];
    assert_eq!(instant(&tl["aware_at"]), aware_at);
    assert_eq!(instant(&tl["deadline_at"]), aware_at + Duration::hours(72));
    assert_eq!(tl["late"], false);
    assert!(tl["individuals_notified_at"].is_null());
    assert!(tl["authority_notified_at"].is_null());
    assert!(r["reasons_for_delay"].is_null());
    assert!(instant(&r["generated_at"]) >= aware_at);
    assert_eq!(
        r["missing"],
        json!(["approximate_number_of_records"]),
        "a complete incident lacks only what Tocsin cannot know"
    );
}

async fn the_exact_bytes_are_hashed_recorded_and_on_the_timeline(app: TestApp) {
    import_people(&app).await;
    let (id, _) = open_incident(&app, Duration::hours(1)).await;
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
    assert_eq!(body["approximate_number_of_data_subjects"]["in_eea"], 1);

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

    let events = report_events(&app, id).await;
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

    // Every generation is recorded, each with the hash of what it returned.
    let (status, _) = app
        .get(
            &format!("/api/v1/incidents/{id}/reports/EU-GDPR"),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.count("reports").await, 2);
    assert_eq!(report_events(&app, id).await.len(), 2);
}

async fn missing_names_exactly_what_is_not_known(app: TestApp) {
    // Aware four days ago, nobody scoped, and the likely consequences cleared.
    let (id, aware_at) = open_incident(&app, Duration::days(4)).await;
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
    assert_eq!(
        r["missing"],
        json!([
            "approximate_number_of_data_subjects",
            "approximate_number_of_records",
            "likely_consequences",
            "reasons_for_delay",
        ]),
        "{r}"
    );
    assert!(r["approximate_number_of_data_subjects"].is_null());
    assert!(r["likely_consequences"].is_null());
    assert!(r["reasons_for_delay"].is_null());
    assert_eq!(r["timeline"]["late"], true);
    assert_eq!(
        instant(&r["timeline"]["deadline_at"]),
        aware_at + Duration::hours(72)
    );
}

async fn bad_requests_are_refused_and_record_nothing(app: TestApp) {
    let (id, _) = open_incident(&app, Duration::hours(1)).await;
    let path = |j: &str, q: &str| format!("/api/v1/incidents/{id}/reports/{j}{q}");

    for j in ["UK-GDPR", "nowhere"] {
        let (status, e) = app.get(&path(j, ""), &app.admin_token).await;
        assert_eq!(status, 404, "{e}");
        assert_eq!(e["error"]["code"], "unknown_jurisdiction", "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("EU-GDPR"),
            "the message lists what is supported: {e}"
        );
        assert_eq!(e["error"]["details"]["supported"], json!(["EU-GDPR"]));
    }
    for f in ["pdf", "csv", "html"] {
        let (status, e) = app
            .get(&path("EU-GDPR", &format!("?format={f}")), &app.admin_token)
            .await;
        assert_eq!(status, 400, "{e}");
        assert_eq!(e["error"]["code"], "format_unavailable", "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("json"),
            "{e}"
        );
    }
    let (status, e) = app
        .get(&path("EU-GDPR", "?format=xml"), &app.admin_token)
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["code"], "unknown_format");

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
    assert!(report_events(&app, id).await.is_empty());

    // The approver (legal / DPO) may pull reports; the format name is not case-sensitive.
    let approver = app.token_for(Role::Approver).await;
    let (status, r) = app.get(&path("Eu-Gdpr", "?format=JSON"), &approver).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(app.count("reports").await, 1);
}

crate::on_both_databases!(
    gdpr_report_counts_maps_and_times,
    the_exact_bytes_are_hashed_recorded_and_on_the_timeline,
    missing_names_exactly_what_is_not_known,
    bad_requests_are_refused_and_record_nothing,
);
