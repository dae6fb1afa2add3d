use crate::helpers::TestApp;

/// Runs `tocsin audit verify`, expects it to fail (exit 1), and returns what it said.
fn verify_fails(app: &TestApp) -> String {
    let out = app.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8_lossy(&out.stderr).into_owned()
}
use sea_orm::ConnectionTrait;

async fn changes_are_audited_and_the_chain_verifies(app: TestApp) {
    let (status, _) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "text/csv",
            "external_id,email\nb1,b1@example.com\n",
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.get("/api/v1/audit?limit=10", &app.admin_token).await;
    assert_eq!(status, 200);
    let entries = body["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // Newest first: the import, then the token and account the harness created.
    assert_eq!(
        actions,
        ["subjects.import", "token.create", "account.create"]
    );
    assert_eq!(entries[0]["details"]["imported"], 1);
    assert!(entries[0]["actor"]
        .as_str()
        .unwrap()
        .contains("admin@example.test"));

    let out = app.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact: 3 entries"));
}

async fn audit_verify_names_the_first_edited_entry(app: TestApp) {
    app.db
        .execute_unprepared(
            "UPDATE audit_log SET details = '{\"email\":\"mallory@example.test\"}' WHERE seq = 1",
        )
        .await
        .unwrap();
    let err = verify_fails(&app);
    assert!(err.contains("broken at entry 1"), "{err}");
    assert!(err.contains("edited"), "{err}");
}

async fn audit_verify_names_a_deleted_entry(app: TestApp) {
    let (status, _) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "text/csv",
            "external_id\nb1\n",
        )
        .await;
    assert_eq!(status, 200);
    app.db
        .execute_unprepared("DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap();
    let err = verify_fails(&app);
    assert!(err.contains("broken at entry 2"), "{err}");
    assert!(err.contains("missing"), "{err}");
}

async fn audit_verify_detects_a_truncated_tail(app: TestApp) {
    app.db
        .execute_unprepared("DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap();
    let err = verify_fails(&app);
    assert!(err.contains("removed from the end"), "{err}");
}

async fn audit_verify_detects_a_rewritten_entry(app: TestApp) {
    use sea_orm::EntityTrait;
    // A forger who edits entry 1 and recomputes its own hash is caught by the checkpoint signed
    // at entry 1, and, where no checkpoint covers it, by the link from entry 2.
    let e = entity::audit_log::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let details = r#"{"email":"mallory@example.test","role":"admin"}"#;
    let forged = tocsin::audit::entry_hash(
        e.seq,
        &e.at,
        &e.actor,
        &e.action,
        &e.target_type,
        &e.target_id,
        details,
        &e.prev_hash,
    );
    app.db
        .execute(sea_orm::Statement::from_sql_and_values(
            app.db.get_database_backend(),
            match app.db.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    "UPDATE audit_log SET details = $1, hash = $2 WHERE seq = 1"
                }
                _ => "UPDATE audit_log SET details = ?, hash = ? WHERE seq = 1",
            },
            [details.into(), forged.into()],
        ))
        .await
        .unwrap();
    let err = verify_fails(&app);
    assert!(err.contains("audit chain broken at entry 1"), "{err}");
    assert!(
        err.contains("entry 1 was rewritten after it was signed"),
        "{err}"
    );

    app.db
        .execute_unprepared("DELETE FROM chain_checkpoints WHERE chain = 'audit'")
        .await
        .unwrap();
    let err = verify_fails(&app);
    assert!(err.contains("audit chain broken at entry 1"), "{err}");
    assert!(err.contains("changed or replaced"), "{err}");
}

/// Pages of the audit log chain by `next_before` until the oldest entry, without gaps or
/// repeats; a short last page has no `next_before`.
async fn the_audit_log_pages_newest_first(app: TestApp) {
    for i in 0..3 {
        app.post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "text/csv",
            format!("external_id\np{i}\n"),
        )
        .await;
    }
    // 3 imports + the harness's account and token.
    let mut seqs: Vec<i64> = Vec::new();
    let mut path = "/api/v1/audit?limit=2".to_string();
    loop {
        let (status, body) = app.get(&path, &app.admin_token).await;
        assert_eq!(status, 200, "{body}");
        let page: Vec<i64> = body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect();
        assert!(page.len() <= 2);
        seqs.extend(&page);
        match body["next_before"].as_i64() {
            Some(next) => {
                assert_eq!(Some(&next), page.last());
                path = format!("/api/v1/audit?limit=2&before={next}");
            }
            None => break,
        }
    }
    let expected: Vec<i64> = (1..=seqs.len() as i64).rev().collect();
    assert_eq!(seqs, expected);
    assert_eq!(seqs.len(), 5);
}

crate::on_both_databases!(
    changes_are_audited_and_the_chain_verifies,
    the_audit_log_pages_newest_first,
    audit_verify_names_the_first_edited_entry,
    audit_verify_names_a_deleted_entry,
    audit_verify_detects_a_truncated_tail,
    audit_verify_detects_a_rewritten_entry,
);
