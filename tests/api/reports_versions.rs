//! Report versions: the initial, follow-up and final reports of a regime kept exactly as saved,
//! their submission recorded once (409 after), field-level diffs, on both databases.
use crate::helpers::TestApp;
use crate::obligations::{import, incident, people, scope};
use crate::reports::field;
use chrono::Duration;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tocsin::domain::Role;

async fn bytes(app: &TestApp, path: &str, token: &str) -> (u16, Vec<u8>) {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

async fn versions_are_kept_submitted_once_and_compared(app: TestApp) {
    import(&app, people("v", &[("DE", 3), ("BR", 2)], 0)).await;
    let (id, _) = incident(&app, Duration::hours(1), json!({})).await;
    scope(&app, id, json!({"selector": {"countries": ["DE", "BR"]}})).await;
    let base = format!("/api/v1/incidents/{id}/reports/EU-GDPR/versions");
    let admin = app.admin_token.clone();

    // The first report is the initial one; kinds are checked.
    for (body, field_name) in [
        (json!({"kind": "follow_up"}), "kind"),
        (json!({"kind": "interim"}), "kind"),
    ] {
        let (status, e) = app.post_json(&base, &admin, &body).await;
        assert_eq!(status, 422, "{e}");
        assert!(e.to_string().contains(field_name), "{e}");
    }
    let (status, e) = app.post_json(&base, &admin, &json!({})).await;
    assert!(status == 400 || status == 422, "{status} {e}");
    assert_eq!(app.count("report_versions").await, 0);

    let (status, v1) = app
        .post_json(&base, &admin, &json!({"kind": "initial"}))
        .await;
    assert_eq!(status, 201, "{v1}");
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["kind"], "initial");
    assert_eq!(v1["regime"], "EU-GDPR");
    assert!(v1["submitted_at"].is_null());
    assert!(v1["missing"].as_u64().unwrap() > 0);
    let (status, e) = app
        .post_json(&base, &admin, &json!({"kind": "initial"}))
        .await;
    assert_eq!(status, 422, "only one initial report: {e}");

    // A stored version comes back exactly: its JSON is the bytes hashed when it was saved.
    let (status, json1) = bytes(&app, &format!("{base}/1"), &admin).await;
    assert_eq!(status, 200);
    assert_eq!(hex::encode(Sha256::digest(&json1)), v1["sha256"]);
    let doc1: Value = serde_json::from_slice(&json1).unwrap();
    assert_eq!(
        field(&doc1, "report.report_type")["value"],
        "Initial report"
    );
    assert_eq!(
        field(&doc1, "report.case_reference")["value"],
        "Not applicable: initial report"
    );

    // The incident changes; the follow-up says so, version 1 does not.
    let (status, body) = app
        .patch_json(
            &format!("/api/v1/incidents/{id}"),
            &admin,
            &json!({"measures_taken": "Every password was reset; the bucket is private again."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, v2) = app
        .post_json(&base, &admin, &json!({"kind": "follow_up"}))
        .await;
    assert_eq!(status, 201, "{v2}");
    assert_eq!(v2["version"], 2);
    let (_, again) = bytes(&app, &format!("{base}/1?format=json"), &admin).await;
    assert_eq!(again, json1, "version 1 is rendered as saved, not rebuilt");
    let (status, csv1) = bytes(&app, &format!("{base}/1?format=csv"), &admin).await;
    assert_eq!(status, 200);
    let csv1 = String::from_utf8(csv1).unwrap();
    assert!(csv1.contains("We reset the passwords"), "{csv1}");
    assert!(!csv1.contains("the bucket is private again"));
    let (status, html2) = bytes(&app, &format!("{base}/2?format=html"), &admin).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(html2)
        .unwrap()
        .contains("the bucket is private again"));

    // The diff names the fields that changed, with before and after.
    let (status, d) = app.get(&format!("{base}/2/diff?against=1"), &admin).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        (d["version"].clone(), d["against"].clone()),
        (json!(2), json!(1))
    );
    let changes = d["changes"].as_array().unwrap();
    let change = |key: &str| {
        changes
            .iter()
            .find(|c| c["key"] == key)
            .unwrap_or_else(|| panic!("no change of {key} in {changes:?}"))
            .clone()
    };
    let m = change("measures.actions_taken");
    assert!(m["before"]
        .as_str()
        .unwrap()
        .starts_with("We reset the passwords"));
    assert_eq!(
        m["after"],
        "Every password was reset; the bucket is private again."
    );
    assert_eq!(change("report.report_type")["before"], "Initial report");
    assert_eq!(change("report.report_type")["after"], "Follow-up report");
    assert!(
        change("report.case_reference")["after"].is_null(),
        "now missing"
    );
    assert!(!changes.iter().any(|c| c["key"] == "document.generated_at"));
    assert!(!changes
        .iter()
        .any(|c| c["key"] == "what_happened.description"));
    // Against the previous version by default; a version against itself has no changes.
    let (_, d2) = app.get(&format!("{base}/2/diff"), &admin).await;
    assert_eq!(d2["changes"], d["changes"]);
    let (_, same) = app.get(&format!("{base}/1/diff?against=1"), &admin).await;
    assert_eq!(same["changes"], json!([]));

    // Submission: recorded once, by whom and how; a second time is a conflict.
    let approver = app.token_for(Role::Approver).await;
    let (status, e) = app
        .post_json(
            &format!("{base}/1/submission"),
            &approver,
            &json!({"how": " "}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    let (status, e) = app
        .post_json(
            &format!("{base}/1/submission"),
            &approver,
            &json!({"how": "x", "at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    // The submission may fulfil the regime's obligation towards the authority, in one act;
    // another regime's obligation is refused and nothing is recorded.
    let list = crate::obligations::obligations(&app, id).await;
    let gdpr = list
        .iter()
        .find(|o| o["key"].as_str().unwrap().starts_with("EU-GDPR/authority"))
        .unwrap_or_else(|| panic!("{list:?}"));
    let other = list
        .iter()
        .find(|o| o["jurisdiction"] != "EU-GDPR")
        .unwrap();
    let (status, e) = app
        .post_json(
            &format!("{base}/1/submission"),
            &approver,
            &json!({"how": "x", "obligation": other["id"]}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    assert!(e.to_string().contains("obligation"), "{e}");
    let (status, s) = app
        .post_json(
            &format!("{base}/1/submission"),
            &approver,
            &json!({"how": "BfDI online form, reference 2026-0042", "obligation": gdpr["id"]}),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    let list = crate::obligations::obligations(&app, id).await;
    let done = crate::obligations::by_key(&list, gdpr["key"].as_str().unwrap());
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(
        done["fulfilled"]["how"],
        "EU-GDPR report version 1 submitted: BfDI online form, reference 2026-0042"
    );
    assert_eq!(done["fulfilled"]["at"], s["submitted_at"]);
    assert_eq!(app.events(id, &["obligation_done"]).await.len(), 1);
    assert!(s["submitted_at"].is_string());
    assert_eq!(s["submitted_how"], "BfDI online form, reference 2026-0042");
    assert!(s["submitted_by"].is_i64());
    let (status, e) = app
        .post_json(
            &format!("{base}/1/submission"),
            &admin,
            &json!({"how": "again"}),
        )
        .await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"]["code"], "already_submitted");
    assert_eq!(e["error"]["details"]["submitted_at"], s["submitted_at"]);

    let (status, list) = app.get(&base, &admin).await;
    assert_eq!(status, 200, "{list}");
    let vs = list["versions"].as_array().unwrap();
    assert_eq!(vs.len(), 2);
    assert_eq!(
        vs[0]["submitted_how"],
        "BfDI online form, reference 2026-0042"
    );
    assert!(vs[1]["submitted_at"].is_null());

    // Saved and submitted: on the timeline and in the audit log.
    assert_eq!(app.events(id, &["report_version_saved"]).await.len(), 2);
    let sub = app.events(id, &["report_submitted"]).await;
    assert_eq!(sub.len(), 1);
    assert_eq!(sub[0]["details"]["sha256"], v1["sha256"]);
    let (_, audit) = app.get("/api/v1/audit", &admin).await;
    assert!(audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "incident.report_submitted"));

    // The command line lists them too.
    let out = app.cli(&[
        "report",
        "versions",
        "--incident",
        &id.to_string(),
        "--jurisdiction",
        "eu-gdpr",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("initial"), "{text}");
    assert!(text.contains("follow_up"), "{text}");
    assert!(
        text.contains("BfDI online form, reference 2026-0042"),
        "{text}"
    );
    assert!(
        text.contains(&v1["sha256"].as_str().unwrap()[..12]),
        "{text}"
    );

    // Saving and submitting from the command line, audited as the command line.
    let cli = |args: &[&str]| {
        let mut all = vec!["report"];
        all.extend_from_slice(args);
        app.cli(&all)
    };
    let ids = id.to_string();
    let out = cli(&[
        "save",
        "--incident",
        &ids,
        "--jurisdiction",
        "us-ca",
        "--kind",
        "initial",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("saved version 1 (initial) of the US-CA report"));
    let submit = [
        "submit",
        "--incident",
        &ids,
        "--jurisdiction",
        "US-CA",
        "--version",
        "1",
        "--how",
        "AG web form",
    ];
    let out = cli(&submit);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&submit);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already recorded as submitted"));
    let out = cli(&[
        "save",
        "--incident",
        &ids,
        "--jurisdiction",
        "US-CA",
        "--kind",
        "initial",
    ]);
    assert_eq!(out.status.code(), Some(2), "one initial report");
    let ca = app.events(id, &["report_submitted"]).await;
    assert_eq!(ca.len(), 2);
    assert_eq!(ca[1]["details"]["regime"], "US-CA");
    assert_eq!(ca[1]["details"]["how"], "AG web form");

    // With versions saved, the current report is a follow-up by default.
    let (_, now) = app
        .get(&format!("/api/v1/incidents/{id}/reports/EU-GDPR"), &admin)
        .await;
    assert_eq!(
        field(&now, "report.report_type")["value"],
        "Follow-up report"
    );

    // Brazil's form says when the ANPD was first told, from the submitted version.
    let br = format!("/api/v1/incidents/{id}/reports/BR-LGPD/versions");
    let (status, b1) = app
        .post_json(&br, &admin, &json!({"kind": "initial"}))
        .await;
    assert_eq!(status, 201, "{b1}");
    let (status, _) = app
        .post_json(
            &format!("{br}/1/submission"),
            &admin,
            &json!({"how": "ANPD form", "at": "2026-11-01T10:00:00Z"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, b2) = app.post_json(&br, &admin, &json!({"kind": "final"})).await;
    assert_eq!(status, 201, "{b2}");
    let (_, doc) = app.get(&format!("{br}/2"), &admin).await;
    assert_eq!(
        field(&doc, "timeliness.anpd_notified_at")["value"],
        "2026-11-01T10:00:00Z"
    );
    assert_eq!(
        field(&doc, "communication.type")["value"],
        "Complete / Completa"
    );
}

async fn version_requests_are_checked(app: TestApp) {
    let (id, _) = incident(&app, Duration::hours(1), json!({})).await;
    let base = format!("/api/v1/incidents/{id}/reports/US-CA/versions");
    let admin = app.admin_token.clone();
    let viewer = app.token_for(Role::Viewer).await;
    let (status, _) = app
        .post_json(&base, &viewer, &json!({"kind": "initial"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.get(&base, &viewer).await;
    assert_eq!(status, 403);
    let (status, e) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/reports/XX-NONE/versions"),
            &admin,
            &json!({"kind": "initial"}),
        )
        .await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["error"]["code"], "unknown_jurisdiction");
    let (status, e) = app
        .post_json(
            "/api/v1/incidents/999999/reports/US-CA/versions",
            &admin,
            &json!({"kind": "initial"}),
        )
        .await;
    assert_eq!(status, 404, "{e}");
    let (status, e) = app.get(&format!("{base}/1"), &admin).await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["error"]["code"], "not_found");
    let (status, v) = app
        .post_json(&base, &admin, &json!({"kind": "initial"}))
        .await;
    assert_eq!(status, 201, "{v}");
    let (status, e) = app.get(&format!("{base}/1?format=docx"), &admin).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["code"], "unknown_format");
    let (status, e) = app.get(&format!("{base}/1/diff?against=x"), &admin).await;
    assert_eq!(status, 422, "{e}");
    let (status, e) = app.get(&format!("{base}/1/diff?against=9"), &admin).await;
    assert_eq!(status, 404, "{e}");
    let (status, e) = app
        .post_json(
            &format!("{base}/9/submission"),
            &admin,
            &json!({"how": "x"}),
        )
        .await;
    assert_eq!(status, 404, "{e}");
    let (status, e) = app
        .post_json(
            &format!("{base}/1/submission"),
            &admin,
            &json!({"how": "x", "extra": 1}),
        )
        .await;
    assert!(status == 400 || status == 422, "{status} {e}");
    assert_eq!(
        app.count("report_versions WHERE submitted_at IS NOT NULL")
            .await,
        0
    );
    assert_eq!(app.count("report_versions").await, 1);
}

crate::on_both_databases!(
    versions_are_kept_submitted_once_and_compared,
    version_requests_are_checked,
);
