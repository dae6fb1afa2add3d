//! Obligations over HTTP and the command line, on both databases: who must be told, by when,
//! for realistic populations; exact thresholds; marking done; the incident's obligation facts;
//! unverified marks; a malformed rule file at start-up.
use crate::helpers::{tocsin, Backend, TestApp, TestDb};
use chrono::{DateTime, Duration, SubsecRound, Timelike, Utc};
use serde_json::{json, Value};
use tocsin::domain::Role;

/// `n` subjects per place (`US-CA` is a region of US, `DE` a country), ids `{prefix}-{place}-{i}`,
/// every one with an e-mail address unless `no_email` of them at the end of each place.
pub fn people(prefix: &str, places: &[(&str, usize)], no_email: usize) -> String {
    let mut csv = String::from("external_id,name,email,country,region\n");
    for (place, n) in places {
        let (country, region) = match place.split_once('-') {
            Some((c, _)) => (c, *place),
            None => (*place, ""),
        };
        for i in 0..*n {
            let email = if i + no_email >= *n {
                String::new()
            } else {
                format!("{prefix}.{place}.{i}@example.com").to_lowercase()
            };
            csv.push_str(&format!(
                "{prefix}-{place}-{i},Person {i},{email},{country},{region}\n"
            ));
        }
    }
    csv
}

pub async fn import(app: &TestApp, csv: String) {
    let (status, body) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rejected"], json!([]), "{body}");
}

/// An incident that became known `ago` (to the second), with `extra` fields; its id and
/// aware_at.
pub async fn incident(app: &TestApp, ago: Duration, extra: Value) -> (i64, DateTime<Utc>) {
    let aware = (Utc::now() - ago).trunc_subsecs(0);
    let mut body = json!({
        "title": "Member passwords exposed in a leaked backup",
        "summary": "A database backup with member sign-in details was readable on a misconfigured server.",
        "cause": "A storage bucket was made public by mistake.",
        "kind": "credential-exposure",
        "aware_at": aware.to_rfc3339(),
        "channels": ["email"],
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, inc) = app
        .post_json("/api/v1/incidents", &app.admin_token, &body)
        .await;
    assert_eq!(status, 201, "{inc}");
    (inc["id"].as_i64().unwrap(), aware)
}

pub async fn scope(app: &TestApp, id: i64, body: Value) {
    let (status, s) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/population"),
            &app.admin_token,
            &body,
        )
        .await;
    assert_eq!(status, 200, "{s}");
}

pub async fn obligations(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, list) = app
        .get(
            &format!("/api/v1/incidents/{id}/obligations"),
            &app.admin_token,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .expect("an array, as API.md shows it")
        .clone()
}

pub fn by_key<'a>(list: &'a [Value], key: &str) -> &'a Value {
    list.iter().find(|o| o["key"] == key).unwrap_or_else(|| {
        let keys: Vec<&Value> = list.iter().map(|o| &o["key"]).collect();
        panic!("no {key} in {keys:?}")
    })
}

pub fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not an instant: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

/// 600 Californians, 300 Germans, 1,200 Koreans and 10 Texans whose sign-in details leaked.
async fn a_mixed_population_gets_its_obligations_by_due_time(app: TestApp) {
    let places = [("US-CA", 600), ("DE", 300), ("KR", 1200), ("US-TX", 10)];
    import(&app, people("m", &places, 0)).await;
    let (id, aware) = incident(&app, Duration::hours(1), json!({})).await;
    // A selector's countries and regions must both match: two requests, one population.
    scope(&app, id, json!({"selector": {"countries": ["DE", "KR"]}})).await;
    scope(
        &app,
        id,
        json!({"selector": {"regions": ["US-CA", "US-TX"]}}),
    )
    .await;
    let list = obligations(&app, id).await;
    // Sorted by due time, those without one last.
    let dues: Vec<Option<DateTime<Utc>>> = list
        .iter()
        .map(|o| o["due_at"].as_str().map(|_| instant(&o["due_at"])))
        .collect();
    let mut sorted = dues.clone();
    sorted.sort_by_key(|d| (d.is_none(), *d));
    assert_eq!(dues, sorted);
    for o in &list {
        for field in [
            "jurisdiction",
            "authority",
            "audience",
            "due_at",
            "status",
            "reason",
            "unverified",
        ] {
            assert!(o.get(field).is_some(), "{field} in {o}");
        }
    }
    // Each row: key, status, due (hours after awareness; None: no fixed time).
    let rows: &[(&str, &str, Option<i64>)] = &[
        ("EU-GDPR/authority/DE", "due", Some(72)),
        ("EU-GDPR/individuals", "due", None),
        ("KR-PIPA/individuals", "due", Some(72)),
        ("KR-PIPA/authority", "due", Some(72)),
        ("US-CA/authority", "waiting", None),
        ("US-TX/individuals", "not_required", None),
        ("US-TX/authority", "not_required", None),
    ];
    for (key, status, hours) in rows {
        let o = by_key(&list, key);
        assert_eq!(o["status"], *status, "{key}: {o}");
        match hours {
            Some(h) => assert_eq!(instant(&o["due_at"]), aware + Duration::hours(*h), "{key}"),
            None => assert!(o["due_at"].is_null(), "{key}: {o}"),
        }
    }
    assert_eq!(
        by_key(&list, "KR-PIPA/authority")["authority"],
        "Personal Information Protection Commission"
    );
    assert!(by_key(&list, "US-TX/individuals")["reason"]
        .as_str()
        .unwrap()
        .contains("none of"));
    assert!(by_key(&list, "US-CA/authority")["waiting_for"]
        .as_str()
        .unwrap()
        .contains("notified"));
    let gdpr = by_key(&list, "EU-GDPR/individuals");
    assert!(
        gdpr["notes"]
            .to_string()
            .contains("no risk assessment recorded"),
        "{gdpr}"
    );
    // California: 30 calendar days, ending at 23:59:59 in Los Angeles.
    let ca = instant(&by_key(&list, "US-CA/individuals")["due_at"]);
    let la: chrono_tz::Tz = "America/Los_Angeles".parse().unwrap();
    let local = ca.with_timezone(&la);
    assert_eq!((local.hour(), local.minute(), local.second()), (23, 59, 59));
    assert_eq!(
        local.date_naive(),
        aware.with_timezone(&la).date_naive() + Duration::days(30)
    );

    // Awareness four days ago: the 72 hours are over.
    let four_days = (Utc::now() - Duration::days(4))
        .trunc_subsecs(0)
        .to_rfc3339();
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &app.admin_token,
            &json!({"aware_at": four_days}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        by_key(&obligations(&app, id).await, "EU-GDPR/authority/DE")["status"],
        "overdue"
    );
    // Assessed unlikely to result in a risk: no notification to the authority.
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &app.admin_token,
            &json!({"risk_assessment": "unlikely"}),
        )
        .await;
    assert_eq!(status, 200);
    let o = by_key(&obligations(&app, id).await, "EU-GDPR/authority/DE").clone();
    assert_eq!(o["status"], "not_required");
    assert!(o["reason"].as_str().unwrap().contains("unlikely"), "{o}");
}

async fn exactly_500_californians_need_no_attorney_general_notice_and_501_do(app: TestApp) {
    import(&app, people("t", &[("US-CA", 501)], 0)).await;
    let (id, _) = incident(&app, Duration::hours(1), json!({})).await;
    let first: Vec<String> = (0..500).map(|i| format!("t-US-CA-{i}")).collect();
    scope(&app, id, json!({ "external_ids": first })).await;
    let ag = by_key(&obligations(&app, id).await, "US-CA/authority").clone();
    assert_eq!(ag["status"], "not_required", "{ag}");
    assert!(
        ag["reason"].as_str().unwrap().contains("500 people"),
        "{ag}"
    );
    assert!(
        ag["reason"].as_str().unwrap().contains("more than 500"),
        "{ag}"
    );
    scope(&app, id, json!({ "external_ids": ["t-US-CA-500"] })).await;
    let ag = by_key(&obligations(&app, id).await, "US-CA/authority").clone();
    assert_eq!(
        ag["status"], "waiting",
        "501: required, counted from the individual notice: {ag}"
    );
    assert_eq!(ag["authority_id"], "US-CA-AG");
}

async fn marking_done_records_when_how_and_who_and_starts_the_next_clock(app: TestApp) {
    import(&app, people("d", &[("BR", 3), ("US-TX", 2)], 0)).await;
    let (id, _) = incident(&app, Duration::hours(2), json!({})).await;
    // A selector's countries and regions must both match: two requests, one population.
    scope(&app, id, json!({"selector": {"countries": ["BR"]}})).await;
    scope(&app, id, json!({"selector": {"regions": ["US-TX"]}})).await;
    let list = obligations(&app, id).await;
    let anpd = by_key(&list, "BR-LGPD/authority").clone();
    assert_eq!(anpd["status"], "due");
    assert_eq!(by_key(&list, "BR-LGPD/supplement")["status"], "waiting");
    let responder = app.token_for(Role::Responder).await;
    let viewer = app.token_for(Role::Viewer).await;
    let done = |oid: &Value| format!("/api/v1/incidents/{id}/obligations/{oid}/done");
    let how = json!({"how": "ANPD form on SUPER.BR, protocol 00261.000123/2026-11"});
    assert_eq!(
        app.post_json(&done(&anpd["id"]), &viewer, &how).await.0,
        403
    );
    let (status, e) = app
        .post_json(&done(&anpd["id"]), &responder, &json!({"how": " "}))
        .await;
    assert_eq!(
        (status, e["error"]["details"]["how"].is_string()),
        (422, true),
        "{e}"
    );
    let (status, e) = app
        .post_json(
            &done(&anpd["id"]),
            &responder,
            &json!({"how": "x", "at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (status, e["error"]["details"]["at"].is_string()),
        (422, true),
        "{e}"
    );
    let (status, o) = app.post_json(&done(&anpd["id"]), &responder, &how).await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(o["status"], "done");
    assert_eq!(o["fulfilled"]["how"], how["how"]);
    assert!(o["fulfilled"]["by"].is_i64());
    let (status, e) = app.post_json(&done(&anpd["id"]), &responder, &how).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (409, Some("already_done"))
    );
    // The supplement's clock starts at the first communication: 20 business days.
    let list = obligations(&app, id).await;
    let supplement = by_key(&list, "BR-LGPD/supplement");
    assert_eq!(supplement["status"], "due", "{supplement}");
    assert!(instant(&supplement["due_at"]) > instant(&o["fulfilled"]["at"]) + Duration::days(20));
    let texas = by_key(&list, "US-TX/individuals");
    let (status, e) = app.post_json(&done(&texas["id"]), &responder, &how).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (409, Some("not_required"))
    );
    assert_eq!(
        app.post_json(&done(&json!(999_999)), &responder, &how)
            .await
            .0,
        404
    );
    // On the timeline and in the audit log.
    let (_, tl) = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), &viewer)
        .await;
    let ev: Vec<&Value> = tl["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "obligation_done")
        .collect();
    assert_eq!(ev.len(), 1, "{tl}");
    assert_eq!(ev[0]["details"]["key"], "BR-LGPD/authority");
    let (_, audit) = app.get("/api/v1/audit", &app.admin_token).await;
    assert!(audit.to_string().contains("incident.obligation_done"));
}

async fn obligation_facts_are_kept_checked_and_leave_approvals_standing(app: TestApp) {
    import(&app, people("f", &[("US-TX", 300)], 0)).await;
    let (id, aware) = incident(
        &app,
        Duration::hours(6),
        json!({"data_categories": ["name", "government_id"], "risk_assessment": "high_risk"}),
    )
    .await;
    scope(&app, id, json!({"selector": {"regions": ["US-TX"]}})).await;
    let path = format!("/api/v1/incidents/{id}");
    let (_, inc) = app.get(&path, &app.admin_token).await;
    assert_eq!(inc["risk_assessment"], "high_risk");
    assert!(inc["determined_at"].is_null());
    let ag = by_key(&obligations(&app, id).await, "US-TX/authority").clone();
    assert_eq!(
        instant(&ag["clock_started_at"]),
        aware,
        "no determination: counted from awareness"
    );
    assert!(ag["notes"].to_string().contains("determined_at"));
    let (status, _) = app.act(id, "notices", &app.admin_token).await;
    assert_eq!(status, 200);
    let composition = app.composition(id).await;
    let determined = (aware + Duration::hours(3)).to_rfc3339();
    let (status, inc) = app
        .patch_json(
            &path,
            &app.admin_token,
            &json!({"determined_at": determined}),
        )
        .await;
    assert_eq!(status, 200, "{inc}");
    assert_eq!(instant(&inc["determined_at"]), aware + Duration::hours(3));
    assert_eq!(
        app.composition(id).await,
        composition,
        "not content: the composition stands"
    );
    assert_eq!(inc["notices"]["current"], true);
    let ag = by_key(&obligations(&app, id).await, "US-TX/authority").clone();
    assert_eq!(instant(&ag["clock_started_at"]), aware + Duration::hours(3));
    let (status, e) = app
        .patch_json(
            &path,
            &app.admin_token,
            &json!({"risk_assessment": "severe", "assessed_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert!(e["error"]["details"]["risk_assessment"]
        .as_str()
        .unwrap()
        .contains("high_risk"));
    assert!(e["error"]["details"]["assessed_at"].is_string());
    let (status, inc) = app
        .patch_json(&path, &app.admin_token, &json!({"determined_at": ""}))
        .await;
    assert_eq!(
        (status, inc["determined_at"].is_null()),
        (200, true),
        "\"\" clears it"
    );
}

async fn unverified_rules_are_marked_in_the_api_and_on_the_terminal(app: TestApp) {
    import(&app, people("u", &[("US-NY", 40)], 0)).await;
    let (id, _) = incident(
        &app,
        Duration::hours(1),
        json!({"data_categories": ["name", "government_id"]}),
    )
    .await;
    scope(&app, id, json!({"selector": {"regions": ["US-NY"]}})).await;
    let list = obligations(&app, id).await;
    let ag = by_key(&list, "US-NY/regulators/US-NY-AG");
    assert_eq!(
        (ag["unverified"].as_bool(), ag["verification"].as_str()),
        (Some(true), Some("U"))
    );
    assert_eq!(by_key(&list, "US-NY/individuals")["unverified"], false);
    let out = app.cli(&["obligations", "--incident", &id.to_string()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("!U US-NY/regulators/US-NY-AG"), "{text}");
    assert!(text.contains("unverified (U)"), "{text}");
    // 30 calendar days, to the end of the day in New York.
    assert!(text.contains("in 30d") || text.contains("in 29d"), "{text}");
    let out = app.cli(&["obligations", "--incident", &id.to_string(), "--json"]);
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json.as_array().unwrap().len(), list.len());
    let out = app.cli(&["obligations", "--incident", "999999"]);
    assert_eq!(out.status.code(), Some(2));
}

crate::on_both_databases!(
    a_mixed_population_gets_its_obligations_by_due_time,
    exactly_500_californians_need_no_attorney_general_notice_and_501_do,
    marking_done_records_when_how_and_who_and_starts_the_next_clock,
    obligation_facts_are_kept_checked_and_leave_approvals_standing,
    unverified_rules_are_marked_in_the_api_and_on_the_terminal,
);

/// A copy of the shipped playbooks with `rel` written as `text`.
pub fn playbooks_with(dir: &std::path::Path, rel: &str, text: &str) -> std::path::PathBuf {
    let root = dir.join("playbooks");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks");
    let mut stack = vec![src.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let to = root.join(p.strip_prefix(&src).unwrap());
            if p.is_dir() {
                stack.push(p);
            } else {
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(&p, &to).unwrap();
            }
        }
    }
    std::fs::write(root.join(rel), text).unwrap();
    root
}

#[tokio::test]
async fn a_malformed_rule_file_stops_start_up_naming_file_field_and_reason() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/playbooks/jurisdictions/US-CA.yaml"
    ))
    .unwrap();
    let broken = shipped.replacen(
        "threshold: {of: residents, more_than: 500}",
        "threshold: {of: residents, more_than: 500, at_least: 501}",
        1,
    );
    assert_ne!(broken, shipped);
    let dir = playbooks_with(db.dir.path(), "jurisdictions/US-CA.yaml", &broken);
    let out = tocsin(&db)
        .arg("serve")
        .env("TOCSIN_PLAYBOOKS_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("US-CA.yaml"), "{err}");
    assert!(
        err.contains("obligations[1] (authority).threshold"),
        "{err}"
    );
    assert!(
        err.contains("exactly one of more_than, at_least, fewer_than"),
        "{err}"
    );
    // A misspelt key is refused too, with its line.
    let misspelt = shipped.replacen("time_zone:", "timezone:", 1);
    let dir = playbooks_with(db.dir.path(), "jurisdictions/US-CA.yaml", &misspelt);
    let out = tocsin(&db)
        .arg("serve")
        .env("TOCSIN_PLAYBOOKS_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("US-CA.yaml:") && err.contains("timezone"),
        "{err}"
    );
}
