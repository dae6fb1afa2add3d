//! Sessions, cross-site refusals, roles, headers and throttling, over plain HTTP.
use super::{account, incident_form, signed_in, Client, PASSWORD};
use crate::helpers::TestApp;
use sea_orm::{ConnectionTrait, EntityTrait};
use tocsin::domain::Role;

async fn a_session_is_a_hashed_strict_cookie_that_sign_out_ends(app: TestApp) {
    let (email, one_time) = account(&app, Role::Responder).await;
    let mut c = Client::new(&app);
    let p = c.sign_in(&email, &one_time).await;
    assert_eq!(p.status, 303);
    assert_eq!(
        p.location(),
        "/account/password",
        "the one-time password goes first"
    );
    let cookie = p
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("tocsin_session="))
        .expect("a session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http here: {cookie}");
    let secret = c.cookies["tocsin_session"].clone();
    let rows = entity::session::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].token_hash, secret, "only a hash is stored");
    assert_eq!(rows[0].token_hash, tocsin::auth::hash_token(&secret));

    // Every page waits for the new password.
    let p = c.get("/incidents").await;
    assert_eq!((p.status, p.location()), (303, "/account/password"));
    let form = c.get("/account/password").await;
    let short = c
        .post(
            "/account/password",
            &[
                ("_csrf", &form.csrf()),
                ("current_password", &one_time),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(
        short.body.contains("at least") || short.body.contains("12 to"),
        "{}",
        short.body
    );
    c.cookies.clear();
    c.sign_in_first_time(&email, &one_time).await;
    let p = c.get("/incidents").await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains("Your new password is set"),
        "the flash shows once"
    );
    let again = c.get("/incidents").await;
    assert!(!again.body.contains("Your new password is set"));

    // The one-time password no longer works; the new one does.
    let mut other = Client::new(&app);
    assert_eq!(other.sign_in(&email, &one_time).await.status, 401);
    assert_eq!(other.sign_in(&email, PASSWORD).await.location(), "/");

    // Sign-out ends this session: its cookie is cleared and, replayed, signs no one in.
    let kept = c.cookies.clone();
    let page = c.get("/").await;
    let out = c.post("/logout", &[("_csrf", &page.csrf())]).await;
    assert_eq!((out.status, out.location()), (303, "/login?signed_out=1"));
    assert!(!c.cookies.contains_key("tocsin_session"));
    c.cookies = kept;
    let p = c.get("/").await;
    assert_eq!((p.status, p.location()), (303, "/login"));
    assert_eq!(
        other.get("/").await.status,
        200,
        "the other session goes on"
    );
    let audit = app
        .count("audit_log WHERE action = 'session.sign_out'")
        .await;
    assert_eq!(audit, 1);
}

async fn sign_out_everywhere_ends_every_session_of_the_account(app: TestApp) {
    let (mut a, email) = signed_in(&app, Role::Viewer).await;
    let mut b = Client::new(&app);
    assert_eq!(b.sign_in(&email, PASSWORD).await.status, 303);
    let (mut someone_else, _) = signed_in(&app, Role::Viewer).await;
    assert_eq!(b.get("/").await.status, 200);
    let page = a.get("/").await;
    let p = a
        .post("/logout/everywhere", &[("_csrf", &page.csrf())])
        .await;
    assert_eq!(p.status, 303);
    for c in [&mut a, &mut b] {
        let p = c.get("/").await;
        assert_eq!((p.status, p.location()), (303, "/login"));
    }
    assert_eq!(someone_else.get("/").await.status, 200);
}

/// Sets `column` of every session to `at`, as if time had passed.
async fn set_on_sessions(app: &TestApp, column: &str, at: chrono::DateTime<chrono::Utc>) {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => format!("UPDATE sessions SET {column} = $1"),
        _ => format!("UPDATE sessions SET {column} = ?"),
    };
    app.db
        .execute(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [at.into()],
        ))
        .await
        .unwrap();
}

async fn an_idle_or_expired_session_is_refused(app: TestApp) {
    let (mut c, _) = signed_in(&app, Role::Viewer).await;
    assert_eq!(c.get("/").await.status, 200);
    let past = chrono::Utc::now() - chrono::Duration::hours(2);
    set_on_sessions(&app, "last_seen_at", past).await;
    let p = c.get("/").await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/login"),
        "idle past 30 minutes"
    );

    let (mut c, _) = signed_in(&app, Role::Viewer).await;
    set_on_sessions(&app, "expires_at", past).await;
    let p = c.get("/").await;
    assert_eq!(
        (p.status, p.location()),
        (303, "/login"),
        "past its absolute expiry"
    );
}

async fn cross_site_posts_are_refused_and_the_api_is_exempt(app: TestApp) {
    let (mut c, _) = signed_in(&app, Role::Responder).await;
    let csrf = c.get("/incidents/new").await.csrf();
    let form = incident_form(&csrf, "Refused");
    for headers in [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        // Another port of this host is same-site but not same-origin.
        vec![
            ("sec-fetch-site", "same-site"),
            ("origin", "http://127.0.0.1:1"),
        ],
    ] {
        let p = c.post_with("/incidents/new", &form, &headers).await;
        assert_eq!(p.status, 403, "{headers:?}");
        assert!(p.body.contains("came from another site"), "{}", p.body);
    }
    // The form token is needed too, whatever the headers say.
    let mut no_token = form.clone();
    no_token.retain(|(k, _)| *k != "_csrf");
    assert_eq!(c.post("/incidents/new", &no_token).await.status, 403);
    let mut forged = form.clone();
    forged[0] = ("_csrf", "0000");
    assert_eq!(c.post("/incidents/new", &forged).await.status, 403);
    assert_eq!(
        app.count("incidents").await,
        0,
        "nothing refused was opened"
    );

    let ok = c.post("/incidents/new", &form).await;
    assert_eq!((ok.status, ok.location()), (303, "/incidents/1"));
    // A session's token is not another session's.
    let (mut other, _) = signed_in(&app, Role::Responder).await;
    assert_eq!(other.post("/incidents/new", &form).await.status, 403);

    // The JSON API takes bearer tokens, never cookies: no cross-site guard.
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&app.admin_token)
        .header("origin", "http://evil.example")
        .json(&serde_json::json!({
            "title": "From the SIEM", "kind": "credential-exposure", "aware_at": "2026-11-24T09:00:00Z"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // And a session cookie is no API credential.
    let res = app
        .client
        .get(app.url("/api/v1/incidents"))
        .header(
            "cookie",
            format!("tocsin_session={}", c.cookies["tocsin_session"]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

async fn a_viewer_sees_incidents_but_is_offered_no_action_and_refused_any(app: TestApp) {
    let (mut r, _) = signed_in(&app, Role::Responder).await;
    let csrf = r.get("/incidents/new").await.csrf();
    assert_eq!(
        r.post("/incidents/new", &incident_form(&csrf, "Seen"))
            .await
            .status,
        303
    );
    let (mut v, _) = signed_in(&app, Role::Viewer).await;
    let page = v.get("/incidents/1").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Seen"));
    assert!(
        !page.body.contains("Move the incident on"),
        "no status moves offered"
    );
    let overview = v.get("/").await;
    assert!(!overview.body.contains("Open an incident"));
    assert!(!overview.body.contains("/admin/users"), "no admin links");
    let csrf = page.csrf();
    let p = v
        .post(
            "/incidents/1",
            &[("_csrf", &csrf), ("status", "investigating")],
        )
        .await;
    assert_eq!(p.status, 403);
    assert!(p.body.contains("Your role does not allow this"));
    for path in ["/incidents/new", "/admin/users", "/admin/tokens", "/audit"] {
        assert_eq!(v.get(path).await.status, 403, "{path}");
    }
    let status = app.get("/api/v1/incidents/1", &app.admin_token).await.1["status"].clone();
    assert_eq!(status, "open");
    // The responder moves it, only along the lifecycle.
    let page = r.get("/incidents/1").await;
    assert!(page.body.contains("value=\"investigating\""));
    assert!(
        !page.body.contains("value=\"notifying\""),
        "not allowed from open"
    );
    let p = r
        .post(
            "/incidents/1",
            &[("_csrf", &page.csrf()), ("status", "notifying")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(r
        .get("/incidents/1")
        .await
        .body
        .contains("cannot move from open to notifying"));
    let p = r
        .post(
            "/incidents/1",
            &[("_csrf", &page.csrf()), ("status", "investigating")],
        )
        .await;
    assert_eq!(p.status, 303);
    let (_, inc) = app.get("/api/v1/incidents/1", &app.admin_token).await;
    assert_eq!(inc["status"], "investigating");
}

async fn every_response_carries_the_security_headers_and_a_request_id(app: TestApp) {
    let (mut c, _) = signed_in(&app, Role::Admin).await;
    let home = c.get("/").await;
    let css = {
        let end = home.body.find("/console.css").unwrap() + "/console.css".len();
        let start = home.body[..end].rfind("\"").unwrap() + 1;
        home.body[start..end].to_owned()
    };
    for path in [
        "/login",
        "/",
        "/incidents",
        "/audit",
        "/admin/tokens",
        "/nope",
        "/healthz",
    ] {
        let p = c.get(path).await;
        let h = &p.headers;
        let csp = h["content-security-policy"].to_str().unwrap();
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        let id = h["x-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 16, "{path}");
        if path == "/nope" {
            assert_eq!(p.status, 404);
            assert!(p.body.contains(id), "the error page names the request id");
        }
    }
    let asset = c.get(&css).await;
    assert_eq!(asset.status, 200);
    assert_eq!(
        asset.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(asset.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let stale = css.replace("/static/", "/static/000000000000x");
    assert_eq!(c.get(&stale).await.status, 404);
    // Pages with their own needs keep their own policy (notices style themselves inline).
    let verify = c.get("/verify").await;
    assert!(verify.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("style-src 'unsafe-inline'"));
}

async fn failed_sign_ins_are_throttled_per_account_and_per_address_and_audited(app: TestApp) {
    let (email, one_time) = account(&app, Role::Responder).await;
    let mut c = Client::new(&app);
    for _ in 0..tocsin::auth::throttle::ACCOUNT_FAILURES {
        let p = c.sign_in(&email, "wrong password 123").await;
        assert_eq!(p.status, 401);
        assert!(p.body.contains("not right"));
    }
    // Past the limit, even the right password waits.
    let p = c.sign_in(&email, &one_time).await;
    assert_eq!(p.status, 429);
    let wait: u64 = p.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 15 * 60, "{wait}");
    assert!(p.body.contains("Too many failed sign-ins"));
    // Failures are audited with the account as target and nothing typed in clear.
    let rows = entity::audit_log::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    let failed: Vec<_> = rows
        .iter()
        .filter(|r| r.action == "session.sign_in_failed")
        .collect();
    assert_eq!(
        failed.len() as u32,
        tocsin::auth::throttle::ACCOUNT_FAILURES
    );
    for r in &failed {
        assert_eq!(r.target_type, "account");
        assert!(!r.details.contains("wrong password"), "{}", r.details);
        assert!(!r.details.contains(&email), "{}", r.details);
        assert!(!r.actor.contains(&email));
    }
    // Another account from the same address is not held up by this one...
    let (other, other_pw) = account(&app, Role::Viewer).await;
    assert_eq!(
        Client::new(&app).sign_in(&other, &other_pw).await.status,
        303
    );
    // ...until the address itself has failed too often, over any accounts.
    let left = tocsin::auth::throttle::ADDRESS_FAILURES - tocsin::auth::throttle::ACCOUNT_FAILURES;
    for i in 0..left {
        let p = c
            .sign_in(&format!("nobody{i}@example.test"), "guess guess guess")
            .await;
        assert_eq!(p.status, 401, "failure {i}");
    }
    let p = Client::new(&app).sign_in(&other, PASSWORD).await;
    assert_eq!(p.status, 429, "the address is throttled now");
}

crate::on_both_databases!(
    a_session_is_a_hashed_strict_cookie_that_sign_out_ends,
    sign_out_everywhere_ends_every_session_of_the_account,
    an_idle_or_expired_session_is_refused,
    cross_site_posts_are_refused_and_the_api_is_exempt,
    a_viewer_sees_incidents_but_is_offered_no_action_and_refused_any,
    every_response_carries_the_security_headers_and_a_request_id,
    failed_sign_ins_are_throttled_per_account_and_per_address_and_audited,
);

/// Behind an https public URL the cookies are `Secure` with the `__Host-` prefix, and HSTS is
/// sent (the proxy in front speaks https; this test speaks to Tocsin directly).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_cookies_are_secure_and_host_bound() {
    let Some(app) = TestApp::spawn_with(
        crate::helpers::Backend::Sqlite,
        &[("TOCSIN_PUBLIC_URL", "https://console.example.test")],
    )
    .await
    else {
        return;
    };
    let (email, one_time) = account(&app, Role::Viewer).await;
    let mut c = Client::new(&app);
    let p = c.sign_in(&email, &one_time).await;
    assert_eq!(p.status, 303);
    let cookie = p.set_cookies().join("\n");
    assert!(cookie.starts_with("__Host-tocsin_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert_eq!(p.headers["strict-transport-security"], "max-age=31536000");
    // A form from the public origin passes the guard; another origin does not.
    let form = c.get("/account/password").await;
    let fields = [
        ("_csrf", form.csrf()),
        ("current_password", one_time.clone()),
        ("new_password", PASSWORD.to_owned()),
        ("confirm_password", PASSWORD.to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = c
        .post_with(
            "/account/password",
            &fields,
            &[("origin", "https://elsewhere.example.test")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let done = c
        .post_with(
            "/account/password",
            &fields,
            &[
                ("origin", "https://console.example.test"),
                ("sec-fetch-site", "same-origin"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
}
