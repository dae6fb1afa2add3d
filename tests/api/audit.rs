use crate::helpers::TestApp;
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
    let out = app.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
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
    let out = app.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken at entry 2"), "{err}");
    assert!(err.contains("missing"), "{err}");
}

async fn audit_verify_detects_a_truncated_tail(app: TestApp) {
    app.db
        .execute_unprepared("DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap();
    let out = app.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("removed from the end"), "{err}");
}

async fn audit_verify_detects_a_rewritten_entry(app: TestApp) {
    // A forger who recomputes the edited entry's own hash still breaks the next link.
    app.db
        .execute_unprepared("UPDATE audit_log SET hash = 'ffff' WHERE seq = 1")
        .await
        .unwrap();
    let out = app.cli(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("entry 1"), "{err}");
}

crate::on_both_databases!(
    changes_are_audited_and_the_chain_verifies,
    audit_verify_names_the_first_edited_entry,
    audit_verify_names_a_deleted_entry,
    audit_verify_detects_a_truncated_tail,
    audit_verify_detects_a_rewritten_entry,
);
