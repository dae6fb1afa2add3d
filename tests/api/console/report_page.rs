//! A regulator report's HTML page in a real browser (see `browser`): axe-core finds no serious
//! or critical WCAG 2.1 A/AA violation, the browser logs no error, screenshots at 320 and
//! 1280 px — for the GDPR report and the bilingual Japanese and Korean ones, opened as the
//! standalone files they are.
use super::browser::Browser;
use crate::helpers::TestApp;
use crate::obligations::{import, incident, people, scope};
use chrono::Duration;
use fantoccini::Locator;
use serde_json::json;

async fn report_pages_are_accessible_standalone_files(app: TestApp) {
    import(&app, people("h", &[("DE", 3), ("JP", 2), ("KR", 4)], 0)).await;
    let hostile = "<script>alert(1)</script> Backup & \"logs\"";
    let (id, _) = incident(&app, Duration::hours(1), json!({"title": hostile})).await;
    scope(
        &app,
        id,
        json!({"selector": {"countries": ["DE", "JP", "KR"]}}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for regime in ["EU-GDPR", "JP-APPI", "KR-PIPA"] {
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
        let path = dir.path().join(format!("{regime}.html"));
        std::fs::write(&path, res.bytes().await.unwrap()).unwrap();
        files.push((regime, path));
    }
    let Some(browser) = Browser::start("file://localhost").await else {
        return;
    };
    browser
        .run(|tab| async move {
            for (regime, path) in &files {
                tab.goto(path.to_str().unwrap()).await;
                // The hostile title is text, not markup: no script ran, no element was made.
                let h1 = tab.client.find(Locator::Css("h1")).await.unwrap();
                assert!(h1
                    .text()
                    .await
                    .unwrap()
                    .contains("<script>alert(1)</script>"));
                assert!(!tab.has("main script").await);
                tab.check(&format!("report-{regime}"), 200).await;
            }
        })
        .await;
}

crate::on_both_databases!(report_pages_are_accessible_standalone_files);
