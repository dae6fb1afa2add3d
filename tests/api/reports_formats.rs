//! Report formats: CSV that parses back to the same answers, HTML that escapes what the
//! incident says, the command line writing each format.
use crate::helpers::TestApp;
use crate::reports::{fields, import_people, instant, open_incident, scope, EVERYONE, TITLE};
use chrono::Duration;
use sha2::{Digest, Sha256};

async fn csv_parses_back_to_the_same_answers(app: TestApp) {
    import_people(&app).await;
    let hostile = "Backup \"leak\", part 1\nsecond line; =cmd";
    let (id, _) = open_incident(&app, Duration::hours(1), hostile).await;
    scope(&app, id, EVERYONE).await;
    let (_, doc) = app
        .get(
            &format!("/api/v1/incidents/{id}/reports/US-CA"),
            &app.admin_token,
        )
        .await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/incidents/{id}/reports/US-CA?format=csv")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        text.starts_with("section,key,label,value,missing\r\n"),
        "{text}"
    );
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let get = |section: &str, key: &str| {
        rows.iter()
            .find(|r| &r[0] == section && &r[1] == key)
            .unwrap_or_else(|| panic!("no row {section}.{key}"))
            .clone()
    };
    // The title with its quote, comma and line break comes back whole.
    assert!(get("document", "title")[3].ends_with(hostile));
    // Every field is a row, in order, with the same value in words.
    let csv_fields: Vec<(String, String, String)> = rows
        .iter()
        .filter(|r| &r[0] != "document" && !r[1].contains('[') && !r[1].starts_with("text"))
        .map(|r| {
            (
                format!("{}.{}", &r[0], &r[1]),
                r[3].to_owned(),
                r[4].to_owned(),
            )
        })
        .collect();
    let json_fields = fields(&doc);
    assert_eq!(csv_fields.len(), json_fields.len());
    for ((ck, cv, cm), (jk, jv)) in csv_fields.iter().zip(&json_fields) {
        assert_eq!(ck, jk);
        let expect = match jv["kind"].as_str().unwrap() {
            "missing" => String::new(),
            "list" => jv["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("; "),
            "number" => jv["value"].to_string(),
            "bool" => if jv["value"] == true { "Yes" } else { "No" }.to_owned(),
            "time" => instant(&jv["value"])
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
            _ => jv["value"].as_str().unwrap().to_owned(),
        };
        assert_eq!(cv, &expect, "{ck}");
        assert_eq!(cm == "true", jv["kind"] == "missing", "{ck}");
    }
    assert_eq!(get("doj", "california_residents")[3], *"1");
    // The sample notice, several lines long, is one value.
    let sample = get("sample_notice", "sample_notice");
    assert!(
        sample[3].contains("Example Sourcing Marketplace"),
        "{}",
        &sample[3]
    );
    assert!(sample[3].contains('\n'));
}

async fn html_is_standalone_accessible_and_escaped(app: TestApp) {
    import_people(&app).await;
    let hostile = "<script>alert('x')</script> & <img src=https://evil.example/x onerror=alert(1)>";
    let (id, _) = open_incident(&app, Duration::hours(1), hostile).await;
    scope(&app, id, EVERYONE).await;
    for regime in ["EU-GDPR", "JP-APPI"] {
        let res = app
            .client
            .get(app.url(&format!(
                "/api/v1/incidents/{id}/reports/{regime}?format=html"
            )))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<html lang=\"en\">"));
        assert!(!html.contains("<script"), "no script at all");
        assert!(!html.contains("<img"), "the title's markup is text");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;img"));
        for remote in ["<link", "<iframe", "url(", "@import", "<object"] {
            assert!(!html.contains(remote), "no remote content: {remote}");
        }
        assert!(html.contains("<h1>") && html.contains("<h2 id=\"s0\">"));
        assert!(html.contains("<th scope=\"row\">"));
        assert!(html.contains("<strong>Missing</strong>"));
        if regime == "EU-GDPR" {
            assert!(html.contains("<th scope=\"col\">Country or region</th>"));
        } else {
            assert!(
                html.contains("<span lang=\"ja\">事態の概要</span>"),
                "bilingual labels, the local half marked with its language"
            );
        }
    }
}

async fn the_command_line_writes_each_format(app: TestApp) {
    import_people(&app).await;
    let (id, _) = open_incident(&app, Duration::hours(1), TITLE).await;
    scope(&app, id, EVERYONE).await;
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "csv", "html"] {
        let file = dir.path().join(format!("r.{format}"));
        let out = app.cli(&[
            "report",
            "export",
            "--incident",
            &id.to_string(),
            "--jurisdiction",
            "us-ca",
            "--format",
            format,
            "--out",
            file.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&file).unwrap();
        let sha = hex::encode(Sha256::digest(&bytes));
        assert!(String::from_utf8_lossy(&out.stderr).contains(&sha));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("Example Sourcing Marketplace"), "{format}");
    }
    let out = app.cli(&[
        "report",
        "export",
        "--incident",
        &id.to_string(),
        "--jurisdiction",
        "XX-NONE",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("US-CA"));
}

crate::on_both_databases!(
    csv_parses_back_to_the_same_answers,
    html_is_standalone_accessible_and_escaped,
    the_command_line_writes_each_format,
);
