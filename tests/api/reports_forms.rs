//! Every field of every regulator form, in the form's order (REGULATIONS.md §3 and the rule
//! contents of §2), present or named in `missing`; counts from a realistic population.
use crate::helpers::TestApp;
use crate::obligations::{import, incident, people, scope};
use crate::reports::{assert_missing_consistent, field, fields};
use crate::reports_fields::*;
use chrono::Duration;
use serde_json::{json, Value};

async fn report(app: &TestApp, id: i64, regime: &str) -> Value {
    let (status, r) = app
        .get(
            &format!("/api/v1/incidents/{id}/reports/{regime}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, 200, "{regime}: {r}");
    r
}

/// The document has exactly the form's fields in its order, then the filing section; every
/// missing one is named.
fn assert_form(doc: &Value, expected: &[&str]) {
    let keys: Vec<String> = fields(doc).into_iter().map(|(k, _)| k).collect();
    let want: Vec<String> = expected
        .iter()
        .chain(FILING)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(keys, want, "{}", doc["regime"]);
    assert_missing_consistent(doc);
}

fn value(doc: &Value, key: &str) -> Value {
    field(doc, key)["value"].clone()
}

fn is_missing(doc: &Value, key: &str) -> bool {
    doc["missing"].as_array().unwrap().contains(&json!(key))
}

/// 600 Californians, 300 Germans, 1,200 Koreans and 10 Texans, with a few people in the UK,
/// Australia, Brazil, Japan, China and Canada, affected by a credential leak assessed high risk:
/// the incident's id, when it became known, and how many people in all.
async fn setup(app: &TestApp) -> (i64, chrono::DateTime<chrono::Utc>, u64) {
    let places = [
        ("US-CA", 600),
        ("DE", 300),
        ("KR", 1200),
        ("US-TX", 10),
        ("GB", 5),
        ("AU", 7),
        ("BR", 8),
        ("JP", 9),
        ("CN", 11),
        ("CA", 4),
    ];
    import(app, people("f", &places, 0)).await;
    let (id, aware) = incident(
        app,
        Duration::hours(1),
        json!({"risk_assessment": "high_risk"}),
    )
    .await;
    scope(
        app,
        id,
        json!({"selector": {"countries": ["DE", "KR", "GB", "AU", "BR", "JP", "CN", "CA"]}}),
    )
    .await;
    scope(
        app,
        id,
        json!({"selector": {"regions": ["US-CA", "US-TX"]}}),
    )
    .await;
    (id, aware, 600 + 300 + 1200 + 10 + 5 + 7 + 8 + 9 + 11 + 4)
}

async fn eu_gdpr_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let eu = report(&app, id, "EU-GDPR").await;
    assert_form(&eu, ICO);
    assert_eq!(value(&eu, "personal_data.subjects"), total);
    assert_eq!(value(&eu, "personal_data.subjects_in_territory"), 300);
    assert_eq!(
        value(&eu, "personal_data.likelihood_of_significant_consequences"),
        "A high risk to data subjects"
    );
    assert!(is_missing(&eu, "personal_data.records"));
    assert!(is_missing(&eu, "reporter.reporter_name"));
    // The other authorities the rules name, with their due times.
    let others = value(&eu, "others.other_organisations");
    let others: Vec<&str> = others
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(others.iter().any(|o| o.contains("(KR-PIPA)")), "{others:?}");
    assert!(others.iter().any(|o| o.contains("(UK-GDPR)")), "{others:?}");
}

async fn uk_gdpr_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let uk = report(&app, id, "UK-GDPR").await;
    assert_form(&uk, ICO);
    assert_eq!(value(&uk, "personal_data.subjects_in_territory"), 5);
    assert!(uk["addressee"]["name"]
        .as_str()
        .unwrap()
        .contains("Information Commissioner"));
    assert_eq!(
        super::reports::instant(&value(&uk, "filing.due")),
        aware + Duration::hours(72)
    );
}

async fn us_hipaa_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let hhs = report(&app, id, "US-HIPAA").await;
    assert_form(&hhs, HHS);
    assert_eq!(
        value(&hhs, "general.breach_affecting"),
        "500 or more individuals"
    );
    assert_eq!(value(&hhs, "breach.individuals_affected"), total);
    assert_eq!(
        value(&hhs, "breach.type_of_phi"),
        json!(["Demographic", "Other"])
    );
    assert!(is_missing(&hhs, "covered_entity.entity_type"));
    // The organisation is no HIPAA covered entity: the report says it is not required.
    assert!(hhs["notices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("do not require")));
}

async fn us_ca_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let ca = report(&app, id, "US-CA").await;
    assert_form(&ca, CA_AG);
    assert_eq!(value(&ca, "doj.california_residents"), 600);
    let sample = value(&ca, "sample_notice.sample_notice");
    let sample = sample.as_str().unwrap();
    assert!(
        sample.contains("WHAT HAPPENED\nA database backup"),
        "{sample}"
    );
    assert!(sample.contains("privacy@example-sourcing.com"), "{sample}");
    assert!(
        !sample.contains("Person 0"),
        "no personal information in the sample"
    );
    assert!(ca["addressee"]["id"] == "US-CA-AG", "{}", ca["addressee"]);
    // The AG's clock starts when consumers are notified.
    assert!(value(&ca, "filing.due")
        .as_str()
        .unwrap()
        .starts_with("waiting for"));
}

async fn us_tx_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let tx = report(&app, id, "US-TX").await;
    assert_form(&tx, TX_AG);
    assert_eq!(value(&tx, "breach.texans_affected"), 10);
    assert_eq!(value(&tx, "breach.texans_notified"), 0);
    assert_eq!(value(&tx, "breach.notice_method"), "Not yet notified");
}

async fn au_ndb_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let au = report(&app, id, "AU-NDB").await;
    assert_form(&au, OAIC);
    assert_eq!(value(&au, "details.individuals"), total);
    assert_eq!(value(&au, "details.individuals_in_australia"), 7);
    assert!(value(&au, "details.template_notice")
        .as_str()
        .unwrap()
        .contains("Example Sourcing Marketplace"));
}

async fn br_lgpd_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let br = report(&app, id, "BR-LGPD").await;
    assert_form(&br, ANPD);
    assert_eq!(value(&br, "impact.subjects_in_brazil"), 8);
    assert_eq!(value(&br, "risk.assessment"), "Yes / Sim");
    assert_eq!(value(&br, "subjects_communication.how_many"), 0);
    assert!(is_missing(&br, "controller.cnpj"));
}

async fn jp_appi_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let jp = report(&app, id, "JP-APPI").await;
    assert_form(&jp, PPC);
    assert_eq!(value(&jp, "items.subjects_in_japan"), 9);
    assert_eq!(
        value(&jp, "report.report_type"),
        "Preliminary report / 速報"
    );
    assert!(field(&jp, "items.cause")["value"]
        .as_str()
        .unwrap()
        .contains("storage bucket"));
    assert!(jp["title"]
        .as_str()
        .unwrap()
        .contains("個人データの漏えい等の報告"));
}

async fn kr_pipa_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let kr = report(&app, id, "KR-PIPA").await;
    assert_form(&kr, PIPC);
    assert_eq!(value(&kr, "leak.subjects_in_korea"), 1200);
    assert_eq!(
        super::reports::instant(&value(&kr, "filing.due")),
        aware + Duration::hours(72)
    );
}

async fn cn_pipl_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let cn = report(&app, id, "CN-PIPL").await;
    assert_form(&cn, CAC);
    assert_eq!(value(&cn, "incident.subjects_in_china"), 11);
    assert!(cn["sections"][0]["heading"]
        .as_str()
        .unwrap()
        .contains("个人信息处理者"));
    // "Immediately": no fixed time.
    assert_eq!(value(&cn, "filing.due"), "no fixed time");
}

async fn us_sec_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let sec = report(&app, id, "US-SEC").await;
    assert_form(&sec, SEC);
    assert!(is_missing(&sec, "item_1_05.material_impact"));
    assert!(
        is_missing(&sec, "cover.date_of_event"),
        "no materiality determined"
    );
}

async fn ca_pipeda_form(app: TestApp) {
    let (id, aware, total) = setup(&app).await;
    let _ = (aware, total);
    let pipeda = report(&app, id, "ca-pipeda").await;
    assert_eq!(pipeda["regime"], "CA-PIPEDA");
    assert_form(&pipeda, PIPEDA);
    assert_eq!(
        value(&pipeda, "authority.number_of_individuals_affected"),
        format!("4 in the jurisdiction ({total} affected in all)")
    );
    assert!(value(&pipeda, "authority.circumstances_and_cause")
        .as_str()
        .unwrap()
        .contains("storage bucket"));
    assert!(is_missing(&pipeda, "authority.date_or_period"));
    // The rule's report obligation is V2; its optional items are unverified in the file, and
    // the directory entry's age is checked.
    assert!(
        pipeda["addressee"]["id"] == "CA-OPC",
        "{}",
        pipeda["addressee"]
    );
}

/// A regime without a form of its own gets the generic report; its rule tagged unverified and
/// its never-verified directory entry are said at the top.
async fn unverified_rules_and_stale_routes_are_flagged(app: TestApp) {
    import(&app, people("u", &[("US-CT", 3)], 0)).await;
    let (id, _) = incident(&app, Duration::hours(1), json!({})).await;
    scope(&app, id, json!({"selector": {"regions": ["US-CT"]}})).await;
    let ct = report(&app, id, "us-ct").await;
    assert_eq!(ct["regime"], "US-CT");
    // The rule's contents for the Attorney General, as the rule names them.
    assert_form(
        &ct,
        &[
            "reporter.name",
            "reporter.contact",
            "reporter.discovered_at",
            "authority.description_and_dates",
            "authority.number_of_connecticut_residents",
            "authority.pi_categories",
            "authority.notice_dates",
            "authority.template_copy",
            "authority.contacts",
        ],
    );
    assert_eq!(
        value(&ct, "authority.number_of_connecticut_residents"),
        "3 in the jurisdiction (3 affected in all)"
    );
    assert!(
        is_missing(&ct, "authority.notice_dates"),
        "not notified yet"
    );
    assert!(value(&ct, "authority.template_copy")
        .as_str()
        .unwrap()
        .contains("Example Sourcing Marketplace"));
    assert_eq!(ct["addressee"]["id"], "US-CT-AG");
    let notices: Vec<String> = ct["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    for word in ["tagged unverified (U)", "never verified", "route of"] {
        assert!(
            notices.iter().any(|n| n.contains(word)),
            "{word}: {notices:?}"
        );
    }
    // The same warnings reach the HTML and the CSV.
    let res = app
        .client
        .get(app.url(&format!("/api/v1/incidents/{id}/reports/US-CT?format=html")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("never verified"));
}

crate::on_both_databases!(
    eu_gdpr_form,
    uk_gdpr_form,
    us_hipaa_form,
    us_ca_form,
    us_tx_form,
    au_ndb_form,
    br_lgpd_form,
    jp_appi_form,
    kr_pipa_form,
    cn_pipl_form,
    us_sec_form,
    ca_pipeda_form,
    unverified_rules_and_stale_routes_are_flagged,
);

/// Figures for the README: size and time of each format for the mixed population (run with
/// `cargo test --test api reports_forms::figures -- --ignored --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn figures() {
    let Some(app) = TestApp::spawn(crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let places = [("US-CA", 600), ("DE", 300), ("KR", 1200), ("US-TX", 10)];
    import(&app, people("g", &places, 0)).await;
    let (id, _) = incident(&app, Duration::hours(1), json!({})).await;
    scope(&app, id, json!({"selector": {"countries": ["DE", "KR"]}})).await;
    scope(
        &app,
        id,
        json!({"selector": {"regions": ["US-CA", "US-TX"]}}),
    )
    .await;
    for regime in ["EU-GDPR", "US-CA", "KR-PIPA", "JP-APPI"] {
        for format in ["json", "csv", "html", "pdf"] {
            let mut times = Vec::new();
            let mut size = 0;
            for _ in 0..5 {
                let t = std::time::Instant::now();
                let res = app
                    .client
                    .get(app.url(&format!(
                        "/api/v1/incidents/{id}/reports/{regime}?format={format}"
                    )))
                    .bearer_auth(&app.admin_token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                size = res.bytes().await.unwrap().len();
                times.push(t.elapsed().as_millis());
            }
            times.sort();
            eprintln!(
                "{regime} {format}: {size} bytes, {}-{} ms (fastest, median of 5)",
                times[0], times[2]
            );
        }
    }
}
