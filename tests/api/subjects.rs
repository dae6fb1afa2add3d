use crate::helpers::{TestApp, Upload};
use serde_json::json;

const CSV: &str = "\
external_id,name,email,phone,locale,country,region,birth_date,push_platform,push_token,data_categories,company,segment
b-1,Ann Lee,Ann@Example.COM,(415) 555-2671,en_us,US,US-CA,1980-02-29,fcm,tokA1,email_address;credentials,Acme Ltd,wholesale
b-2,Jürgen Müller,jm@example.de,0151 23456789,de,DE,,,,,,Müller GmbH,retail
b-3,,not-an-email,,,,,,,,,,
b-4,\"Lee, Ann\",,+44 7911 123456,en-GB,GB,,,apns,tokB4,,,
b-5,Zoë,z@example.fr,,fr,ZZ,,,,,,,
b-6,山田 太郎,yamada@example.jp,090-1234-5678,ja,JP,,,,,chat_records,,
";

async fn csv_import_validates_normalises_and_reports_line_numbers(app: TestApp) {
    let (status, body) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", CSV)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 4, "{body}");
    assert_eq!(body["updated"], 0);
    let rejected = body["rejected"].as_array().unwrap();
    let lines: Vec<u64> = rejected
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [4, 6], "{body}");
    assert!(rejected[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("email:"));
    assert!(rejected[1]["reason"]
        .as_str()
        .unwrap()
        .contains("country: 'ZZ'"));
    let (_, s) = app.get("/api/v1/subjects/b-6", &app.admin_token).await;
    assert_eq!(
        s["data_categories"],
        json!(["chat_records"]),
        "an inventory category is accepted"
    );
    // Personal data is not echoed back in reasons.
    assert!(!rejected[0]["reason"]
        .as_str()
        .unwrap()
        .contains("not-an-email"));

    let (status, s) = app.get("/api/v1/subjects/b-1", &app.admin_token).await;
    assert_eq!(status, 200);
    assert_eq!(s["email"], "Ann@example.com");
    assert_eq!(s["phone"], "+14155552671");
    assert_eq!(s["locale"], "en-US");
    assert_eq!(s["region"], "US-CA");
    assert_eq!(
        s["data_categories"],
        json!(["email_address", "credentials"])
    );
    assert_eq!(
        s["attributes"],
        json!({"company": "Acme Ltd", "segment": "wholesale"})
    );
    assert_eq!(
        s["push_devices"],
        json!([{"platform": "fcm", "token": "tokA1"}])
    );
    let (_, s) = app.get("/api/v1/subjects/b-2", &app.admin_token).await;
    assert_eq!(s["phone"], "+4915123456789");
    assert_eq!(s["name"], "Jürgen Müller");
    let (_, s) = app.get("/api/v1/subjects/b-4", &app.admin_token).await;
    assert_eq!(s["name"], "Lee, Ann");
    let (status, _) = app.get("/api/v1/subjects/b-3", &app.admin_token).await;
    assert_eq!(status, 404);
}

async fn reimport_updates_by_external_id_and_leaves_absent_columns_alone(app: TestApp) {
    app.post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", CSV)
        .await;
    let update =
        "external_id,email,company\nb-1,new@example.com,Acme Holdings\nb-9,nine@example.com,\n";
    let (status, body) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "text/csv",
            update,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["imported"].as_u64(), body["updated"].as_u64()),
        (Some(1), Some(1))
    );
    let (_, s) = app.get("/api/v1/subjects/b-1", &app.admin_token).await;
    assert_eq!(s["email"], "new@example.com");
    assert_eq!(
        s["phone"], "+14155552671",
        "phone was not in the file: unchanged"
    );
    assert_eq!(s["attributes"], json!({"company": "Acme Holdings"}));
    assert_eq!(app.count("subjects").await, 5);
}

async fn jsonl_import_takes_the_same_keys(app: TestApp) {
    let body = concat!(
        r#"{"external_id":"j-1","email":"j1@example.com","country":"br","phone":"11 91234-5678","data_categories":["email_address"],"tier":3}"#,
        "\n\n",
        r#"{"external_id":"j-2","email":42}"#,
        "\n",
        "not json\n",
        r#"{"external_id":"j-1","locale":"pt-br"}"#,
        "\n"
    );
    let (status, r) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "application/x-ndjson",
            body,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["imported"], 1, "{r}");
    assert_eq!(
        r["updated"], 1,
        "a repeated external_id counts as an update"
    );
    let lines: Vec<u64> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4]);
    let (_, s) = app.get("/api/v1/subjects/j-1", &app.admin_token).await;
    assert_eq!(s["phone"], "+5511912345678");
    assert_eq!(s["locale"], "pt-BR");
    assert_eq!(
        s["email"], "j1@example.com",
        "the second line had no email key: kept"
    );
    assert_eq!(s["attributes"], json!({"tier": 3}));
}

/// Files that are not what they claim change nothing, even after good lines.
async fn bad_files_are_refused_whole_and_change_nothing(app: TestApp) {
    app.post_body(
        "/api/v1/subjects/import",
        &app.admin_token,
        "text/csv",
        "external_id,email\nkeep,keep@example.com\n",
    )
    .await;
    let before = app.count("subjects").await;
    let audit_before = app.count("audit_log").await;

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "text/csv",
            b"email,name\na@example.com,A\n".to_vec(),
            "missing_external_id",
        ),
        (
            "text/csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
            "not_tabular",
        ),
        (
            "application/x-ndjson",
            b"external_id,email\nx,y\n".to_vec(),
            "not_tabular",
        ),
        ("text/csv", b"".to_vec(), "not_tabular"),
        (
            "text/csv",
            {
                let mut v =
                    b"external_id,email\nnew1,n1@example.com\nnew2,n2@example.com\n".to_vec();
                v.extend(std::iter::repeat_n(b'x', 70_000));
                v.push(b'\n');
                v
            },
            "line_too_long",
        ),
    ];
    for (ctype, body, code) in cases {
        let (status, r) = app
            .post_body("/api/v1/subjects/import", &app.admin_token, ctype, body)
            .await;
        assert_eq!(status, 400, "{r}");
        assert_eq!(r["error"]["code"], code, "{r}");
    }
    assert_eq!(app.count("subjects").await, before);
    assert_eq!(
        app.count("audit_log").await,
        audit_before,
        "a refused import leaves no audit entry"
    );
    let (status, _) = app.get("/api/v1/subjects/new1", &app.admin_token).await;
    assert_eq!(status, 404);
}

/// A fatal error after many batches have been written (and an existing subject updated)
/// takes all of them back.
async fn a_fatal_error_after_many_batches_rolls_every_row_back(app: TestApp) {
    app.post_body(
        "/api/v1/subjects/import",
        &app.admin_token,
        "text/csv",
        "external_id,email\nkeep,keep@example.com\n",
    )
    .await;
    let audit_before = app.count("audit_log").await;
    let mut csv = String::from("external_id,email,push_platform,push_token\n");
    csv.push_str("keep,changed@example.com,fcm,tok-keep\n");
    for i in 0..3_000 {
        csv.push_str(&format!("r{i},r{i}@example.com,fcm,tok-{i}\n"));
    }
    csv.push_str(&"x".repeat(70_000));
    csv.push('\n');
    let (status, r) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(r["error"]["code"], "line_too_long", "{r}");
    assert_eq!(app.count("subjects").await, 1);
    assert_eq!(app.count("subject_devices").await, 0);
    assert_eq!(app.count("audit_log").await, audit_before);
    let (_, keep) = app.get("/api/v1/subjects/keep", &app.admin_token).await;
    assert_eq!(keep["email"], "keep@example.com");
}

/// The database refusing a row midway (here a trigger; in life a full disk) fails the import
/// with a server error, promptly, and leaves nothing of it behind.
async fn a_database_failure_midway_changes_nothing(app: TestApp) {
    use sea_orm::ConnectionTrait;
    let backend = app.db.get_database_backend();
    let ddl: &[&str] = if backend == sea_orm::DbBackend::Sqlite {
        &[
            "CREATE TRIGGER boom BEFORE INSERT ON subjects WHEN NEW.external_id = 'boom' \
           BEGIN SELECT RAISE(ABORT, 'boom'); END",
        ]
    } else {
        &[
            "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN \
             IF NEW.external_id = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER boom BEFORE INSERT ON subjects FOR EACH ROW EXECUTE FUNCTION boom()",
        ]
    };
    for sql in ddl {
        app.db
            .execute(sea_orm::Statement::from_string(backend, sql.to_string()))
            .await
            .unwrap();
    }
    let audit_before = app.count("audit_log").await;
    let mut csv = String::from("external_id,email\n");
    for i in 0..3_000 {
        let id = if i == 1_500 {
            "boom".to_string()
        } else {
            format!("b{i}")
        };
        csv.push_str(&format!("{id},{id}@example.com\n"));
    }
    let (status, r) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 500, "{r}");
    assert_eq!(app.count("subjects").await, 0);
    assert_eq!(app.count("audit_log").await, audit_before);
}

/// Importing the same rows again changes nothing: they count as updated (their subjects were
/// known) but are not rewritten, so updated_at stays; a changed row is written.
async fn reimporting_identical_rows_rewrites_nothing(app: TestApp) {
    let csv = "external_id,email,country,company\nu-1,u1@example.com,FR,Acme\nu-2,u2@example.com,DE,Beta\n";
    app.post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    let (_, u1) = app.get("/api/v1/subjects/u-1", &app.admin_token).await;
    let (_, u2) = app.get("/api/v1/subjects/u-2", &app.admin_token).await;

    let (status, r) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["imported"].as_u64(), r["updated"].as_u64()),
        (Some(0), Some(2))
    );
    let (_, again) = app.get("/api/v1/subjects/u-1", &app.admin_token).await;
    assert_eq!(again, u1, "an identical row is left as it was");

    let changed = "external_id,email,country,company\nu-1,u1@example.com,FR,Acme\nu-2,u2@example.com,DE,Gamma\n";
    app.post_body(
        "/api/v1/subjects/import",
        &app.admin_token,
        "text/csv",
        changed,
    )
    .await;
    let (_, again) = app.get("/api/v1/subjects/u-1", &app.admin_token).await;
    assert_eq!(again["updated_at"], u1["updated_at"]);
    let (_, u2_now) = app.get("/api/v1/subjects/u-2", &app.admin_token).await;
    assert_eq!(u2_now["attributes"]["company"], "Gamma");
    assert_ne!(
        u2_now["updated_at"], u2["updated_at"],
        "a changed row is written"
    );
    assert_eq!(u2_now["created_at"], u2["created_at"]);
}

async fn cli_import_prints_rejections_and_counts(app: TestApp) {
    let path = app.test_db.dir.path().join("buyers.csv");
    std::fs::write(&path, CSV).unwrap();
    let out = app.cli(&["subjects", "import", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("buyers.csv:4: rejected: email:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("buyers.csv:6: rejected: country:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("imported 4, updated 0, rejected 2"),
        "{stdout}"
    );
    assert_eq!(app.count("subjects").await, 4);

    let bad = app.test_db.dir.path().join("buyers.xlsx");
    std::fs::write(&bad, b"PK\x03\x04").unwrap();
    let out = app.cli(&["subjects", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown extension"));

    let nokey = app.test_db.dir.path().join("nokey.csv");
    std::fs::write(&nokey, "email\na@example.com\n").unwrap();
    let out = app.cli(&["subjects", "import", nokey.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("external_id") && err.contains("nothing was imported"),
        "{err}"
    );
    assert_eq!(app.count("subjects").await, 4);
}

/// Many batches: the streaming path, and counts that add up across batch boundaries.
async fn a_large_import_streams_in_batches(app: TestApp) {
    let mut csv = String::from("external_id,email,country\n");
    for i in 0..5_500 {
        csv.push_str(&format!("s{i},p{i}@example.com,FR\n"));
        if i % 1000 == 999 {
            csv.push_str("s0,again@example.com,FR\n"); // a duplicate in a later batch
        }
    }
    let (status, r) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 200);
    assert_eq!(r["imported"], 5_500);
    assert_eq!(r["updated"], 5);
    assert_eq!(app.count("subjects").await, 5_500);
}

/// An unterminated quote makes the rest of the file one quoted field: it is refused at the
/// 64 KiB mark, naming the line the record starts on, and nothing is imported.
async fn an_unterminated_quote_is_refused_at_the_record_limit(app: TestApp) {
    let mut csv = String::from("external_id,name\ng1,Ann\ng2,Bob\ng3,\"Cy\n");
    for _ in 0..100_000 {
        csv.push_str("ab\n");
    }
    let (status, r) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 400, "{r}");
    let code = r["error"]["code"].as_str().unwrap_or_default();
    assert!(matches!(code, "line_too_long" | "record_too_long"), "{r}");
    let message = r["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("line 4"), "{message}");
    assert!(message.contains("quote"), "{message}");
    assert_eq!(app.count("subjects").await, 0);
}

/// Editors number CRLF lines, lines inside quoted fields and blank lines; so do rejections.
async fn rejected_lines_are_numbered_as_an_editor_numbers_them(app: TestApp) {
    let cases = [
        // CRLF (spreadsheets, Python's csv): the bad row is on line 3.
        (
            "external_id,email\r\na,a@example.com\r\nb,bad\r\nc,c@example.com\r\n",
            3,
        ),
        // A quoted field with a CRLF line break on lines 2–3: the bad row is on line 4.
        (
            "external_id,note,email\r\nd,\"two\r\nlines\",d@example.com\r\ne,one,bad\r\n",
            4,
        ),
        // A blank line before the bad row (LF): line 4.
        ("external_id,email\nf,f@example.com\n\ng,bad\n", 4),
        // Old Mac line ends (CR alone): line 3.
        ("external_id,email\rh,h@example.com\ri,bad\r", 3),
    ];
    for (csv, line) in cases {
        let (status, r) = app
            .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
            .await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["rejected"][0]["line"], line, "{csv:?}: {r}");
        assert_eq!(r["rejected_count"], 1, "{csv:?}: {r}");
    }
}

/// Values are never echoed when they could be personal data; codes are, clipped.
async fn rejection_reasons_clip_codes_and_never_echo_personal_data(app: TestApp) {
    let long_code = "Q".repeat(60_000);
    let csv = format!(
        "external_id,name,email,phone,country,locale,birth_date,push_platform,push_token,data_categories\n\
         a,Ann,ann.lee@example.com,+1 415 555 2671,ann.lee@example.com,Ann Lee,1980-02-29,ann.lee@example.com,t,ann.lee@example.com\n\
         b,Bob,,,{long_code},,,,,\n"
    );
    let (status, r) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 200, "{r}");
    let reasons: Vec<&str> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{r}");
    for field in ["country:", "locale:", "push_platform:", "data_categories:"] {
        assert!(reasons[0].contains(field), "{field} {}", reasons[0]);
    }
    assert!(!reasons[0].contains("ann.lee"), "{}", reasons[0]);
    assert!(!reasons[0].contains("Ann Lee"), "{}", reasons[0]);
    assert!(reasons[1].contains("country: 'QQQQ"), "{}", reasons[1]);
    assert!(
        reasons[1].len() < 200,
        "clipped: {} bytes",
        reasons[1].len()
    );
}

/// A row naming more data categories than the cap is rejected, naming the field.
async fn a_row_with_too_many_data_categories_is_rejected(app: TestApp) {
    let many = vec!["email_address"; 65].join(";");
    let enough = vec!["email_address"; 64].join(";");
    let csv = format!("external_id,data_categories\nm1,{many}\nm2,{enough}\n");
    let (status, r) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["imported"], 1, "{r}");
    assert_eq!(r["rejected"][0]["line"], 2, "{r}");
    let reason = r["rejected"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("data_categories:"), "{reason}");
    assert!(reason.contains("64"), "{reason}");
    let jsonl = format!(
        "{{\"external_id\":\"m3\",\"data_categories\":{}}}\n",
        serde_json::to_string(&vec!["email_address"; 65]).unwrap()
    );
    let (_, r) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "application/x-ndjson",
            jsonl,
        )
        .await;
    assert_eq!(r["rejected_count"], 1, "{r}");
}

/// The report keeps at most 1 MiB of rejections; the count goes on.
async fn the_report_keeps_a_bounded_amount_of_rejections(app: TestApp) {
    let mut csv = String::from(
        "external_id,email,phone,birth_date,locale,push_platform,push_token,data_categories\n",
    );
    let rows = 3_000;
    for i in 0..rows {
        csv.push_str(&format!(
            "r{i},nope,555,someday,xx-yyyyyyyyy-zzzzzzzzz,pager,t,unknown_category_one;unknown_category_two;unknown_category_three\n"
        ));
    }
    let (status, r) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 200);
    assert_eq!(r["rejected_count"], rows, "every rejection is counted");
    assert_eq!(r["rejected_truncated"], true);
    let kept = r["rejected"].as_array().unwrap();
    let bytes: usize = kept
        .iter()
        .map(|x| x["reason"].as_str().unwrap().len())
        .sum();
    assert!(bytes <= 1024 * 1024, "{bytes} bytes of reasons kept");
    assert!(kept.len() < rows, "{} kept", kept.len());
    assert!(
        bytes > 1000 * 1024,
        "the report is filled up to its cap: {bytes}"
    );
}

const IMPORT: &str = "/api/v1/subjects/import";

/// Rows `from..to` of a CSV body.
fn rows(from: usize, to: usize) -> String {
    (from..to)
        .map(|i| format!("up{i},up{i}@example.com\n"))
        .collect()
}

/// While an upload is still coming in, other writes go ahead: the upload is kept aside until
/// it is complete, and only then written to the database.
async fn a_slow_upload_does_not_hold_up_other_writes(app: TestApp) {
    let mut upload = Upload::start(&app, IMPORT, "text/csv", None)
        .await
        .expect("100 Continue");
    let head = format!("external_id,email\n{}", rows(0, 300));
    upload.chunk(head.as_bytes(), false).await;
    let (status, r) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "text/csv",
            "external_id,email\nother,other@example.com\n",
        )
        .await;
    assert_eq!(status, 200, "another import, meanwhile: {r}");
    assert_eq!(app.count("subjects").await, 1);
    upload.chunk(rows(300, 600).as_bytes(), true).await;
    let (status, r) = upload.answer().await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["imported"], 600, "{r}");
    assert_eq!(app.count("subjects").await, 601);
}

/// Uploads over TOCSIN_IMPORT_MAX_BYTES are refused with 413, whether their size is
/// announced or only found while they arrive; nothing is imported.
async fn an_upload_over_the_size_cap_is_refused(app: TestApp) {
    let Some(app) = TestApp::spawn_with(app.backend, &[("TOCSIN_IMPORT_MAX_BYTES", "4096")]).await
    else {
        return;
    };
    let audit_before = app.count("audit_log").await;
    let body = format!("external_id,email\n{}", rows(0, 200));
    assert!((4096..8192).contains(&body.len()), "{}", body.len());

    // Announced: refused before the body is sent.
    let answer = match Upload::start(&app, IMPORT, "text/csv", Some(body.len())).await {
        Err(answer) => answer,
        Ok(mut upload) => {
            upload.body(body.as_bytes()).await;
            upload.answer().await
        }
    };
    let (status, r) = answer;
    assert_eq!(status, 413, "{r}");
    assert_eq!(r["error"]["code"], "too_large", "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("TOCSIN_IMPORT_MAX_BYTES"),
        "{r}"
    );

    // Chunked: refused when the count passes the cap.
    let mut upload = Upload::start(&app, IMPORT, "text/csv", None)
        .await
        .expect("100 Continue");
    upload.chunk(&body.as_bytes()[..3000], false).await;
    upload.chunk(&body.as_bytes()[3000..], true).await;
    let (status, r) = upload.answer().await;
    assert_eq!(status, 413, "{r}");
    assert_eq!(r["error"]["code"], "too_large", "{r}");

    // Under the cap: fine.
    let (status, r) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "text/csv",
            "external_id\nsmall\n",
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(app.count("subjects").await, 1);
    assert_eq!(app.count("audit_log").await, audit_before + 1);
}

crate::on_both_databases!(
    a_fatal_error_after_many_batches_rolls_every_row_back,
    a_database_failure_midway_changes_nothing,
    reimporting_identical_rows_rewrites_nothing,
    csv_import_validates_normalises_and_reports_line_numbers,
    reimport_updates_by_external_id_and_leaves_absent_columns_alone,
    jsonl_import_takes_the_same_keys,
    bad_files_are_refused_whole_and_change_nothing,
    cli_import_prints_rejections_and_counts,
    a_large_import_streams_in_batches,
    an_unterminated_quote_is_refused_at_the_record_limit,
    rejected_lines_are_numbered_as_an_editor_numbers_them,
    rejection_reasons_clip_codes_and_never_echo_personal_data,
    a_row_with_too_many_data_categories_is_rejected,
    the_report_keeps_a_bounded_amount_of_rejections,
    a_slow_upload_does_not_hold_up_other_writes,
    an_upload_over_the_size_cap_is_refused,
);
