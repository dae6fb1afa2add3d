//! The incident tabs in a real browser (see `browser`: axe-core, the browser's log and
//! screenshots on every screen): a responder scoping people, composing and previewing, an
//! approver approving; dispatching and watching the progress refresh; marking an obligation
//! done and downloading a report.
use super::browser::Tab;
use super::screens::{ready_account, sign_in, start, wait_for_path};
use super::PASSWORD;
use crate::flow::{open_incident, PEOPLE};
use crate::helpers::TestApp;
use fantoccini::Locator;
use tocsin::domain::Role;

/// Waits until the main landmark says `text` (a flash, a refreshed fragment).
async fn wait_for_text(tab: &Tab, text: &str) {
    tab.client
        .wait()
        .for_element(Locator::XPath(&format!("//main[contains(., \"{text}\")]")))
        .await
        .unwrap_or_else(|e| panic!("never said {text:?}: {e}"));
}

/// The value of a field once a script has set it (the file is read asynchronously): polled
/// until it is not empty, for at most 30 s.
async fn value_once_set(tab: &Tab, css: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let field = tab.client.find(Locator::Css(css)).await.unwrap();
        let v = field.prop("value").await.unwrap().unwrap_or_default();
        if !v.is_empty() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "{css} stayed empty");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Confirmation dialogs say yes (the test is the person who clicked).
async fn confirm_yes(tab: &Tab) {
    tab.client
        .execute(
            "window.confirm = function () { return true; }; return true;",
            vec![],
        )
        .await
        .unwrap();
}

async fn registry_and_incident(app: &TestApp) -> i64 {
    let (status, _) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "text/csv",
            PEOPLE,
        )
        .await;
    assert_eq!(status, 200);
    open_incident(app, &app.admin_token).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_responder_scopes_people_and_composes_then_an_approver_approves() {
    let Some((app, browser)) = start().await else {
        return;
    };
    let id = registry_and_incident(&app).await;
    let responder = ready_account(&app, Role::Responder).await;
    let approver = ready_account(&app, Role::Approver).await;
    let app = &app;
    browser
        .run(|tab| async move {
            sign_in(&tab, &responder, PASSWORD).await;
            wait_for_path(&tab, "/").await;
            let people = format!("/incidents/{id}/population");
            tab.goto(&people).await;
            assert!(tab.main_text().await.contains("No one is in this incident"));
            tab.check("population-empty", 200).await;

            // Check counts by country first: shown, not saved.
            tab.fill("#f-countries", "DE, FR").await;
            tab.submit("form:has(#f-countries) button[name=dry_run]")
                .await;
            wait_for_text(&tab, "nothing saved yet").await;
            assert_eq!(
                app.count(&format!("incident_population WHERE incident_id = {id}"))
                    .await,
                0
            );
            tab.check("population-checked", 200).await;

            // A bad code: the error summary takes the focus and links to the field.
            tab.fill("#f-countries", "DE, XX").await;
            tab.submit("form:has(#f-countries) button.primary").await;
            tab.client
                .wait()
                .for_element(Locator::Css("#error-summary a[href='#f-countries']"))
                .await
                .unwrap();
            tab.check("population-error", 422).await;

            // Then by ids, read from a file (the first column; the header skipped).
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("ids.csv");
            std::fs::write(&file, "external_id,note\np-a,x\np-b,y\r\n\np-d\nghost-1\n").unwrap();
            let picker = tab.client.find(Locator::Css("#f-ids_file")).await.unwrap();
            picker.send_keys(&file.display().to_string()).await.unwrap();
            let ids = value_once_set(&tab, "#f-external_ids").await;
            assert_eq!(ids, "p-a\np-b\np-d\nghost-1");
            tab.submit("form:has(#f-external_ids) button.primary").await;
            wait_for_text(&tab, "3 people added; 3 in all.").await;
            assert!(tab.main_text().await.contains("ghost-1"));
            tab.check("population", 200).await;

            let notices = format!("/incidents/{id}/notices");
            tab.goto(&notices).await;
            tab.check("notices-before-compose", 200).await;
            tab.submit("form[action$='/notices'] button.primary").await;
            wait_for_text(&tab, "notices composed").await;
            let digest = app.composition(id).await;
            assert!(tab.main_text().await.contains(&digest));
            assert!(
                tab.has("article.preview [lang='fr']").await,
                "French beside English"
            );
            assert!(tab
                .main_text()
                .await
                .contains("Only an approver can approve"));
            tab.check("notices-composed", 200).await;

            tab.submit("form[action$='/logout'] button").await;
            sign_in(&tab, &approver, PASSWORD).await;
            wait_for_path(&tab, "/").await;
            tab.goto(&notices).await;
            assert!(
                tab.has(&format!("input[name=composition][value='{digest}']"))
                    .await
            );
            tab.check("notices-to-approve", 200).await;
            if tab.has("#f-accept_incomplete").await {
                tab.click("#f-accept_incomplete").await;
            }
            tab.submit("form[action$='/approval'] button").await;
            wait_for_text(&tab, "Notices approved").await;
            tab.check("notices-approved", 200).await;
        })
        .await;
    let (_, inc) = app
        .get(&format!("/api/v1/incidents/{id}"), &app.admin_token)
        .await;
    assert_eq!(inc["notices"]["approved"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_responder_dispatches_and_watches_the_progress_refresh() {
    let Some((app, browser)) = start().await else {
        return;
    };
    let t = crate::flow::team(&app).await;
    let id = crate::flow::scoped_and_approved(&app, &t).await;
    let responder = ready_account(&app, Role::Responder).await;
    let viewer = ready_account(&app, Role::Viewer).await;
    let app = &app;
    browser
        .run(|tab| async move {
            sign_in(&tab, &responder, PASSWORD).await;
            wait_for_path(&tab, "/").await;
            tab.goto(&format!("/incidents/{id}/delivery")).await;
            assert!(tab.main_text().await.contains("Before sending: the plan"));
            tab.check("delivery-plan", 200).await;
            confirm_yes(&tab).await;
            tab.submit("form[action$='/dispatch'] button").await;
            wait_for_text(&tab, "notices queued").await;
            assert!(
                tab.has("#progress[hx-trigger]").await,
                "polled while pending"
            );
            tab.check("delivery-progress", 200).await;

            // The dispatcher sends; the page refreshes its progress by itself.
            app.drain().await;
            wait_for_text(&tab, "nothing more is on its way").await;
            assert!(!tab.has("#progress[hx-trigger]").await, "polling stops");
            tab.check("delivery-done", 200).await;

            tab.submit("form[action$='/delivery/pause'] button").await;
            wait_for_text(&tab, "Delivery paused").await;
            assert!(tab.has("form[action$='/delivery/resume']").await);
            tab.check("delivery-paused", 200).await;

            // A viewer watches the same page and is offered nothing to press.
            tab.submit("form[action$='/logout'] button").await;
            sign_in(&tab, &viewer, PASSWORD).await;
            wait_for_path(&tab, "/").await;
            tab.goto(&format!("/incidents/{id}/delivery")).await;
            assert!(tab.main_text().await.contains("Delivery is paused"));
            assert!(
                !tab.has("main form[method=post]").await,
                "no action offered"
            );
            tab.check("delivery-viewer", 200).await;
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_responder_marks_an_obligation_done_and_downloads_a_report() {
    let Some((app, browser)) = start().await else {
        return;
    };
    let id = registry_and_incident(&app).await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/population"),
            &app.admin_token,
            &serde_json::json!({ "external_ids": ["p-a", "p-b", "p-d"] }),
        )
        .await;
    assert_eq!(status, 200);
    let responder = ready_account(&app, Role::Responder).await;
    let app = &app;
    browser
        .run(|tab| async move {
            sign_in(&tab, &responder, PASSWORD).await;
            wait_for_path(&tab, "/").await;
            tab.goto(&format!("/incidents/{id}/obligations")).await;
            assert!(tab.main_text().await.contains("EU-GDPR"));
            tab.check("obligations", 200).await;
            let first = tab
                .client
                .find(Locator::Css("li.obligation details.mark-done"))
                .await
                .unwrap();
            first
                .find(Locator::Css("summary"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            let how = first.find(Locator::Css("input[name=how]")).await.unwrap();
            how.send_keys("Regulator's online form, case 4711")
                .await
                .unwrap();
            tab.submit("li.obligation details[open] button[type=submit]")
                .await;
            wait_for_text(&tab, "Marked done:").await;
            assert!(tab.main_text().await.contains("case 4711"));
            tab.check("obligations-done", 200).await;

            tab.goto(&format!("/incidents/{id}/reports")).await;
            assert!(tab.has("a[href$='/reports/EU-GDPR.json']").await);
            tab.check("reports", 200).await;
        })
        .await;
    let done = app
        .count(&format!(
            "obligations WHERE incident_id = {id} AND fulfilled_how LIKE '%4711%'"
        ))
        .await;
    assert_eq!(done, 1);
}
