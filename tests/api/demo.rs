//! The demo data set (`tocsin serve --demo`): a populated system, loaded once, through the real
//! importer, with awkward names kept verbatim.
use crate::helpers::{Backend, TestApp, TestDb};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use tocsin::demo::{self, DemoSummary};

async fn load(app: &TestApp) -> DemoSummary {
    demo::load(&app.state).await.expect("the demo loads")
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let row = app
        .db
        .query_one(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn demo_loads_a_populated_system_once(app: TestApp) {
    let d = load(&app).await;
    assert!(!d.already_loaded, "{d:?}");
    assert_eq!(d.rejected, 0, "the importer accepts every demo line: {d:?}");
    assert_eq!(d.subjects, demo::BUYERS as u64);
    assert_eq!(app.count("subjects").await, demo::BUYERS as i64);

    let token = &app.admin_token;
    let (status, inc) = app
        .get(&format!("/api/v1/incidents/{}", d.incident_id), token)
        .await;
    assert_eq!(status, 200, "{inc}");
    assert_eq!(inc["kind"], "chat-translation-leak");
    assert_eq!(inc["title"], demo::INCIDENT_TITLE);
    assert_eq!(inc["systems"], json!(["instant_messaging"]));
    assert_eq!(inc["status"], "open");
    assert!(inc["summary"].as_str().unwrap().contains("translation"));
    let instant = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let (aware, from, to) = (
        instant(&inc["aware_at"]),
        instant(&inc["occurred_from"]),
        instant(&inc["occurred_to"]),
    );
    let now = chrono::Utc::now();
    assert!(
        aware < now && aware > now - chrono::Duration::days(1),
        "{inc}"
    );
    assert!(from < to && to < aware, "{inc}");

    // The population, as the API reports it (a dry run adding someone already in it).
    let (status, p) = app
        .post_json(
            &format!(
                "/api/v1/incidents/{}/population?dry_run=true",
                d.incident_id
            ),
            token,
            &json!({"external_ids": ["demo-00001"]}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["count"], d.population, "{p}");
    assert_eq!(p["added"], 0, "demo-00001 is already affected: {p}");
    let share = d.population as f64 / demo::BUYERS as f64;
    assert!((0.5..0.75).contains(&share), "{} affected", d.population);
    let by = p["by_jurisdiction"].as_object().unwrap();
    let countries: HashSet<&str> = by
        .keys()
        .map(String::as_str)
        .filter(|k| k.len() == 2)
        .collect();
    for c in [
        "US", "CA", "GB", "IE", "DE", "FR", "ES", "IT", "NL", "PL", "JP", "CN", "KR", "BR", "AU",
        "SG", "IN",
    ] {
        assert!(countries.contains(c), "{c} missing from {p}");
    }
    for r in [
        "US-CA", "US-NY", "US-TX", "US-WA", "CA-QC", "CA-ON", "AU-NSW",
    ] {
        assert!(
            by.get(r).and_then(Value::as_i64).unwrap_or(0) > 0,
            "{r}: {p}"
        );
    }
    let unreachable = p["unreachable"].as_i64().unwrap();
    assert!(
        unreachable > 0 && unreachable < d.population / 5,
        "some affected people have no contact point: {p}"
    );
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM incident_population WHERE incident_id = {}",
                d.incident_id
            )
        )
        .await,
        d.population,
        "the dry run changed nothing"
    );

    let v = tocsin::audit::verify(&app.db, &app.audit_key())
        .await
        .unwrap();
    assert!(v.broken.is_none(), "the audit chain stays intact");

    // A second load is a no-op that says so.
    let audit_before = app.count("audit_log").await;
    let again = load(&app).await;
    assert_eq!(
        again,
        DemoSummary {
            already_loaded: true,
            ..d.clone()
        }
    );
    assert_eq!(app.count("subjects").await, demo::BUYERS as i64);
    assert_eq!(app.count("incidents").await, 1);
    assert_eq!(app.count("audit_log").await, audit_before);
}

async fn awkward_names_survive_verbatim(app: TestApp) {
    let d = load(&app).await;
    let token = &app.admin_token;
    for (id, name) in demo::awkward_buyers() {
        let (status, s) = app.get(&format!("/api/v1/subjects/{id}"), token).await;
        assert_eq!(status, 200, "{id}: {s}");
        assert_eq!(s["name"], name, "{id}");
        let home = match name {
            "山田 太郎" => "JP",
            "O'Brien" => "IE",
            "Nguyễn Văn A" => "VN",
            _ => continue,
        };
        assert_eq!(s["country"], home, "{id}: {s}");
    }
    let (company_holder, _) = &demo::awkward_buyers()[1];
    let (_, s) = app
        .get(&format!("/api/v1/subjects/{company_holder}"), token)
        .await;
    assert_eq!(s["attributes"]["company"], demo::AWKWARD_COMPANY, "{s}");

    // A notice shows the name escaped in HTML, verbatim in text, and never as a template.
    let (script_holder, script) = &demo::awkward_buyers()[0];
    let (status, n) = app
        .get(
            &format!(
                "/api/v1/incidents/{}/notices/preview?external_id={script_holder}&channel=email",
                d.incident_id
            ),
            token,
        )
        .await;
    assert_eq!(status, 200, "{n}");
    let html = n["html"].as_str().unwrap();
    assert!(!html.contains(script), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(n["text"].as_str().unwrap().contains(script), "{n}");
    let (template_holder, template) = &demo::awkward_buyers()[2];
    let (status, n) = app
        .get(
            &format!(
                "/api/v1/incidents/{}/notices/preview?external_id={template_holder}&channel=email",
                d.incident_id
            ),
            token,
        )
        .await;
    assert_eq!(status, 200, "{n}");
    assert!(n["text"].as_str().unwrap().contains(template), "{n}");
}

/// Contact data is uneven, as PLATFORM.md says; languages follow countries.
async fn the_mix_is_shaped_like_the_platform(app: TestApp) {
    load(&app).await;
    let total = demo::BUYERS as f64;
    let share = |n: i64| n as f64 / total;
    let email = share(
        scalar(
            &app,
            "SELECT COUNT(*) AS n FROM subjects WHERE email IS NOT NULL",
        )
        .await,
    );
    let phone = share(
        scalar(
            &app,
            "SELECT COUNT(*) AS n FROM subjects WHERE phone IS NOT NULL",
        )
        .await,
    );
    let push = share(
        scalar(
            &app,
            "SELECT COUNT(DISTINCT subject_id) AS n FROM subject_devices",
        )
        .await,
    );
    let none = share(
        scalar(
            &app,
            "SELECT COUNT(*) AS n FROM subjects s WHERE s.email IS NULL AND s.phone IS NULL \
             AND NOT EXISTS (SELECT 1 FROM subject_devices d WHERE d.subject_id = s.id)",
        )
        .await,
    );
    assert!((0.65..0.75).contains(&email), "email {email}");
    assert!((0.50..0.60).contains(&phone), "phone {phone}");
    assert!((0.20..0.30).contains(&push), "push {push}");
    assert!((0.04..0.08).contains(&none), "no contact point {none}");
    // Every phone went through libphonenumber's rules and is stored in E.164.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) AS n FROM subjects WHERE phone IS NOT NULL AND phone NOT LIKE '+%'"
        )
        .await,
        0
    );
    assert!(scalar(&app, "SELECT COUNT(DISTINCT country) AS n FROM subjects").await >= 20);
    assert!(
        scalar(
            &app,
            "SELECT COUNT(DISTINCT region) AS n FROM subjects WHERE region LIKE 'US-%'"
        )
        .await
            >= 15
    );
    for (country, allowed) in [
        ("JP", "'ja','en'"),
        ("CN", "'zh-CN','en'"),
        ("KR", "'ko','en'"),
        ("BR", "'pt-BR','en'"),
        ("DE", "'de','de-DE','en'"),
    ] {
        let odd = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM subjects WHERE country = '{country}' \
                 AND locale IS NOT NULL AND locale NOT IN ({allowed})"
            ),
        )
        .await;
        assert_eq!(odd, 0, "{country}");
    }
    let quebec_fr = scalar(
        &app,
        "SELECT COUNT(*) AS n FROM subjects WHERE region = 'CA-QC' AND locale = 'fr-CA'",
    )
    .await;
    assert!(quebec_fr > 0);

    let (_, s) = app
        .get("/api/v1/subjects/demo-00001", &app.admin_token)
        .await;
    assert_eq!(s["country"], "US");
    assert_eq!(s["region"], "US-CA");
    assert!(s["phone"].as_str().unwrap().starts_with("+1"), "{s}");
    assert_eq!(s["push_devices"].as_array().unwrap().len(), 1, "{s}");
    let cats = s["data_categories"].as_array().unwrap();
    assert!(cats.contains(&json!("chat_records")), "{s}");
    for attr in ["company", "company_type", "annual_volume", "segment"] {
        assert!(s["attributes"][attr].is_string(), "{attr}: {s}");
    }
}

crate::on_both_databases!(
    demo_loads_a_populated_system_once,
    awkward_names_survive_verbatim,
    the_mix_is_shaped_like_the_platform,
);

/// Runs `tocsin serve --demo` until it listens; returns what it printed, then stops it.
fn serve_demo(db: &TestDb) -> Vec<String> {
    let mut child = crate::helpers::tocsin(db)
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let listening = line.starts_with("Tocsin listening on ");
        seen.push(line);
        if listening {
            break;
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    // Read on until it exits, so its last lines do not meet a closed pipe.
    seen.extend(lines.map_while(Result::ok));
    let status = child.wait().unwrap();
    assert!(
        seen.iter().any(|l| l.starts_with("Tocsin listening on ")),
        "serve --demo stopped before listening ({status}): {seen:?}"
    );
    seen
}

async fn serve_demo_prints_what_it_loaded(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let first = serve_demo(&db);
    let line = first
        .iter()
        .find(|l| l.starts_with("Demo data"))
        .unwrap_or_else(|| panic!("{first:?}"));
    assert!(
        line.starts_with("Demo data: 3000 buyers, incident #1 with ")
            && line.ends_with(" affected people"),
        "{line}"
    );
    let second = serve_demo(&db);
    assert!(
        second
            .iter()
            .any(|l| l.starts_with("Demo data already loaded: 3000 buyers, incident #1 with ")),
        "{second:?}"
    );
}

#[tokio::test]
async fn serve_demo_sqlite() {
    serve_demo_prints_what_it_loaded(Backend::Sqlite).await;
}

#[tokio::test]
async fn serve_demo_postgres() {
    serve_demo_prints_what_it_loaded(Backend::Postgres).await;
}
