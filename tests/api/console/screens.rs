//! The console in a real browser: every screen checked (axe-core, the browser's log,
//! screenshots; see `browser`), driven as people use it.
use super::browser::{Browser, Tab};
use super::{account, Client, PASSWORD};
use crate::helpers::{Backend, TestApp};
use fantoccini::Locator;
use serde_json::json;
use tocsin::audit::Actor;
use tocsin::domain::Role;

pub(super) async fn start() -> Option<(TestApp, Browser)> {
    let app = TestApp::spawn(Backend::Sqlite).await?;
    let browser = Browser::start(&app.url("")).await?;
    Some((app, browser))
}

/// An account with `role` whose password is already [`PASSWORD`].
pub(super) async fn ready_account(app: &TestApp, role: Role) -> String {
    let (email, one_time) = account(app, role).await;
    let acct = tocsin::auth::find_account_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    tocsin::auth::change_password(
        &app.db,
        &acct,
        &one_time,
        PASSWORD,
        PASSWORD,
        None,
        &Actor::System,
    )
    .await
    .unwrap();
    email
}

pub(super) async fn sign_in(tab: &Tab, email: &str, password: &str) {
    tab.goto("/login").await;
    tab.fill("#f-email", email).await;
    tab.fill("#f-password", password).await;
    tab.submit("main form button[type=submit]").await;
}

pub(super) async fn wait_for_path(tab: &Tab, path: &str) {
    let url = url::Url::parse(&format!("{}{path}", tab.base)).unwrap();
    tab.client
        .wait()
        .for_url(&url)
        .await
        .unwrap_or_else(|e| panic!("never reached {path}: {e}"));
}

/// Sets a field's value as the browser's own picker would (date inputs take typing in the
/// browser's locale format; this does not depend on it).
async fn set_value(tab: &Tab, id: &str, value: &str) {
    tab.client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1]; return true;",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap();
}

async fn an_incident(app: &TestApp, title: &str) -> i64 {
    let (status, body) = app
        .post_json(
            "/api/v1/incidents",
            &app.admin_token,
            &json!({ "title": title, "kind": "credential-exposure",
                     "summary": "A database backup with member sign-in details was readable.",
                     "aware_at": "2026-11-24T09:00:00Z" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_responder_changes_the_one_time_password_then_opens_an_incident_from_the_form() {
    let Some((app, browser)) = start().await else {
        return;
    };
    let (email, one_time) = account(&app, Role::Responder).await;
    browser
        .run(|tab| async move {
            tab.goto("/").await;
            assert_eq!(tab.path().await, "/login", "signed out: the sign-in page");
            tab.check("login", 200).await;
            sign_in(&tab, &email, &one_time).await;
            wait_for_path(&tab, "/account/password").await;
            assert!(tab.main_text().await.contains("one-time password"));
            tab.check("password", 200).await;
            tab.fill("#f-current_password", &one_time).await;
            tab.fill("#f-new_password", PASSWORD).await;
            tab.fill("#f-confirm_password", PASSWORD).await;
            tab.submit("main form button[type=submit]").await;
            wait_for_path(&tab, "/").await;
            assert!(tab.main_text().await.contains("Your new password is set"));
            tab.check("overview-empty", 200).await;

            tab.goto("/incidents/new").await;
            tab.check("incident-new", 200).await;
            // htmx: another kind shows what it fills in.
            let kind = tab.client.find(Locator::Css("#f-kind")).await.unwrap();
            kind.select_by_value("chat-translation-leak").await.unwrap();
            tab.client
                .wait()
                .for_element(Locator::XPath(
                    "//details[@id='kind-defaults']/summary[contains(., 'translat')]",
                ))
                .await
                .expect("the defaults of the chosen kind");
            kind.select_by_value("credential-exposure").await.unwrap();

            // A bad form: no title, a clock start in the future.
            tab.fill("#f-summary", "A backup of member accounts was readable.")
                .await;
            set_value(&tab, "f-aware_at", "2099-01-01T00:00").await;
            tab.submit("form.incident-form button[type=submit]").await;
            tab.client
                .wait()
                .for_element(Locator::Css("#error-summary"))
                .await
                .unwrap();
            let focused = tab
                .client
                .execute("return document.activeElement.id;", vec![])
                .await
                .unwrap();
            assert_eq!(focused, "error-summary", "focus moves to the summary");
            for link in ["#f-title", "#f-aware_at"] {
                assert!(
                    tab.has(&format!("#error-summary a[href='{link}']")).await,
                    "{link}"
                );
            }
            assert!(tab.has("#f-title[aria-invalid='true']").await);
            let kept = tab
                .client
                .find(Locator::Css("#f-summary"))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap();
            assert_eq!(
                kept.as_deref(),
                Some("A backup of member accounts was readable.")
            );
            tab.check("incident-new-errors", 422).await;
            assert_eq!(app.count("incidents").await, 0);

            // Fixed: it opens, with what the form said and the playbook's defaults for the rest.
            tab.fill("#f-title", "Member passwords in a leaked backup")
                .await;
            set_value(&tab, "f-aware_at", "2026-11-24T09:00").await;
            tab.click("input[name=data_categories][value=credentials]")
                .await;
            tab.click("input[name=data_categories][value=email_address]")
                .await;
            let first = tab.client.find(Locator::Css("#f-channels")).await.unwrap();
            first.select_by_value("email").await.unwrap();
            tab.submit("form.incident-form button[type=submit]").await;
            wait_for_path(&tab, "/incidents/1").await;
            let text = tab.main_text().await;
            assert!(text.contains("Incident #1 opened"), "{text}");
            assert!(text.contains("Member passwords in a leaked backup"));
            tab.check("incident", 200).await;
            let (_, inc) = app.get("/api/v1/incidents/1", &app.admin_token).await;
            assert_eq!(
                inc["data_categories"],
                json!(["email_address", "credentials"])
            );
            assert_eq!(inc["channels"], json!(["email"]));
            assert_eq!(inc["aware_at"], "2026-11-24T09:00:00Z");
            assert!(
                !inc["systems"].as_array().unwrap().is_empty(),
                "the playbook's"
            );

            // Only the allowed moves are offered; one is made.
            assert!(!tab.has("button[value=notifying]").await);
            tab.submit("button[name=status][value=investigating]").await;
            tab.client
                .wait()
                .for_element(Locator::XPath(
                    "//main//*[contains(., 'Status changed to investigating')]",
                ))
                .await
                .unwrap();
            tab.goto("/incidents").await;
            tab.check("incidents", 200).await;
            tab.goto("/incidents/1/notices").await;
            assert!(tab.main_text().await.contains("Nothing is composed yet"));
            tab.check("incident-notices-empty", 200).await;
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_incidents_but_is_offered_no_action() {
    let Some((app, browser)) = start().await else {
        return;
    };
    let id = an_incident(&app, "Chat logs shown to other users").await;
    let email = ready_account(&app, Role::Viewer).await;
    browser
        .run(|tab| async move {
            sign_in(&tab, &email, PASSWORD).await;
            wait_for_path(&tab, "/").await;
            assert!(!tab.has("a[href$='/incidents/new']").await);
            tab.goto(&format!("/incidents/{id}")).await;
            assert!(tab
                .main_text()
                .await
                .contains("Chat logs shown to other users"));
            assert!(!tab.has("button[name=status]").await, "no status moves");
            tab.check("incident-viewer", 200).await;
            tab.goto("/incidents/new").await;
            assert!(tab
                .main_text()
                .await
                .contains("Your role does not allow this"));
            tab.check("forbidden", 403).await;
        })
        .await;
    assert_eq!(app.count("incidents").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_from_another_site_is_refused() {
    let Some((app, browser)) = start().await else {
        return;
    };
    let email = ready_account(&app, Role::Responder).await;
    // Another origin on the same host (another port): same-site, so even the SameSite=Strict
    // cookie goes along; only the origin check stands in the way.
    let target = app.url("/incidents/new");
    let page = format!(
        "<!DOCTYPE html><html lang=en><title>Win a prize</title><link rel=icon href='data:,'><form method=post action='{target}'>\
         <input name=title value='Planted'><input name=kind value=credential-exposure>\
         <input name=aware_at value='2026-11-24T09:00'><button id=go>Claim</button></form></html>"
    );
    let evil = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let evil_url = format!("http://{}/", evil.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || async move { axum::response::Html(page) }),
        );
        axum::serve(evil, app).await.unwrap();
    });
    browser
        .run(|tab| async move {
            sign_in(&tab, &email, PASSWORD).await;
            wait_for_path(&tab, "/").await;
            tab.client.goto(&evil_url).await.unwrap();
            tab.submit("#go").await;
            tab.client
                .wait()
                .for_element(Locator::XPath(
                    "//main[contains(., 'came from another site')]",
                ))
                .await
                .expect("the refusal page");
            tab.check("cross-site-refused", 403).await;
        })
        .await;
    server.abort();
    assert_eq!(app.count("incidents").await, 0, "nothing was opened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_everywhere_ends_the_sessions_of_other_browsers() {
    let Some((app, browser)) = start().await else {
        return;
    };
    let email = ready_account(&app, Role::Approver).await;
    let mut elsewhere = Client::new(&app);
    assert_eq!(elsewhere.sign_in(&email, PASSWORD).await.status, 303);
    assert_eq!(elsewhere.get("/").await.status, 200);
    let tab_email = email.clone();
    browser
        .run(|tab| async move {
            sign_in(&tab, &tab_email, PASSWORD).await;
            wait_for_path(&tab, "/").await;
            tab.submit("form[action$='/logout/everywhere'] button")
                .await;
            wait_for_path(&tab, "/login?signed_out=1").await;
            assert!(tab.main_text().await.contains("You are signed out"));
            tab.check("signed-out", 200).await;
            tab.goto("/incidents").await;
            assert!(tab.path().await.starts_with("/login"));
        })
        .await;
    let p = elsewhere.get("/").await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/login"),
        "the other browser is out too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_sign_ins_are_throttled_and_say_when_to_try_again() {
    let Some((app, browser)) = start().await else {
        return;
    };
    let email = ready_account(&app, Role::Responder).await;
    browser
        .run(|tab| async move {
            for i in 0..tocsin::auth::throttle::ACCOUNT_FAILURES {
                sign_in(&tab, &email, "not the password").await;
                let text = tab.main_text().await;
                assert!(text.contains("not right"), "{text}");
                if i == 0 {
                    assert!(tab.has("#error-summary").await);
                    tab.check("login-failed", 401).await;
                } else {
                    tab.log_is_clean("login-failed", 401).await;
                }
            }
            sign_in(&tab, &email, PASSWORD).await;
            let text = tab.main_text().await;
            assert!(text.contains("Too many failed sign-ins"), "{text}");
            assert!(text.contains("15 minutes"), "{text}");
            tab.check("login-throttled", 429).await;
        })
        .await;
    assert!(
        app.count("audit_log WHERE action = 'session.sign_in_failed'")
            .await
            >= 5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_reads_the_overview_and_audit_log_and_manages_accounts_and_tokens() {
    let Some((app, browser)) = start().await else {
        return;
    };
    // An incident with people affected, so the overview has something to count.
    let id = an_incident(&app, "Member passwords exposed").await;
    let csv = "external_id,name,email,country\nb-1,Ana,ana@example.test,DE\nb-2,Bo,bo@example.test,FR\nb-3,Cy,cy@example.test,US\n";
    let (status, _) = app
        .post_body("/api/v1/subjects/import", &app.admin_token, "text/csv", csv)
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .post_json(
            &format!("/api/v1/incidents/{id}/population"),
            &app.admin_token,
            &json!({ "external_ids": ["b-1", "b-2", "b-3"] }),
        )
        .await;
    assert_eq!(status, 200);
    let email = ready_account(&app, Role::Admin).await;
    browser
        .run(|tab| async move {
            sign_in(&tab, &email, PASSWORD).await;
            wait_for_path(&tab, "/").await;
            let text = tab.main_text().await;
            assert!(text.contains("Member passwords exposed"), "{text}");
            assert!(text.contains("EU-GDPR"), "the deadline's rule: {text}");
            tab.check("overview", 200).await;

            tab.goto("/audit").await;
            assert!(tab.main_text().await.contains("session.sign_in"));
            tab.check("audit", 200).await;
            tab.submit("form[action$='/audit/verify'] button").await;
            tab.client
                .wait()
                .for_element(Locator::XPath(
                    "//h2[contains(., 'Both chains are intact')]",
                ))
                .await
                .unwrap();
            tab.check("audit-verified", 200).await;

            tab.goto("/admin/users").await;
            tab.fill("#f-email", "new.analyst@example.test").await;
            let role = tab.client.find(Locator::Css("#f-role")).await.unwrap();
            role.select_by_value("responder").await.unwrap();
            tab.submit("form[action$='/admin/users'] button").await;
            tab.client
                .wait()
                .for_element(Locator::Css(".secret-value"))
                .await
                .unwrap();
            tab.check("admin-users", 200).await;

            tab.goto("/admin/tokens").await;
            tab.fill("#f-name", "siem").await;
            tab.submit("form[action$='/admin/tokens'] button").await;
            let secret = tab
                .client
                .wait()
                .for_element(Locator::Css(".secret-value"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(secret.starts_with("tsn_"));
            tab.check("admin-tokens", 200).await;
        })
        .await;
}
