//! `tocsin token list/revoke/create --expires-in` and `tocsin user disable`: effective at the
//! next request, audited.
use super::{signed_in, Client, PASSWORD};
use crate::helpers::TestApp;
use tocsin::domain::Role;

/// The secret a page shows once.
fn secret_on(body: &str) -> String {
    let marker = "class=\"secret-value\">";
    let at = body.find(marker).expect("a secret shown once");
    body[at + marker.len()..]
        .split('<')
        .next()
        .unwrap()
        .to_owned()
}

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn tokens_are_listed_without_secrets_expire_and_are_revoked_at_once(app: TestApp) {
    let out = app.cli(&[
        "user",
        "add",
        "--email",
        "siem@example.test",
        "--role",
        "responder",
    ]);
    assert!(out.status.success());
    let out = app.cli(&[
        "token",
        "create",
        "--email",
        "siem@example.test",
        "--name",
        "siem",
        "--expires-in",
        "90d",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let secret = stdout.trim().to_owned();
    assert!(stderr.contains("expires "), "{stderr}");
    assert_eq!(app.get("/api/v1/incidents", &secret).await.0, 200);

    let out = app.cli(&["token", "list", "--email", "siem@example.test"]);
    let (list, _) = text(&out);
    assert!(out.status.success());
    assert!(
        list.contains("siem@example.test") && list.contains("active"),
        "{list}"
    );
    assert!(!list.contains(&secret), "never the secret: {list}");
    assert!(list.contains(&secret[..12]), "its prefix: {list}");
    let in_90_days = (chrono::Utc::now() + chrono::Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    assert!(list.contains(&in_90_days), "{list}");
    let all = text(&app.cli(&["token", "list"])).0;
    assert!(all.contains("admin@example.test"), "every account's: {all}");
    let id = list
        .lines()
        .find(|l| l.contains("siem@example.test"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();

    let out = app.cli(&["token", "revoke", &id]);
    assert!(out.status.success(), "{}", text(&out).1);
    assert_eq!(
        app.get("/api/v1/incidents", &secret).await.0,
        401,
        "at once"
    );
    assert!(text(&app.cli(&["token", "list"])).0.contains("revoked"));
    assert_eq!(
        app.count("audit_log WHERE action = 'token.revoke'").await,
        1
    );
    let again = app.cli(&["token", "revoke", &id]);
    assert!(again.status.success());
    assert!(text(&again).0.contains("already revoked"));
    assert_eq!(
        app.cli(&["token", "revoke", "99999"]).status.code(),
        Some(2)
    );

    for bad in ["90", "1y", "0d", "soon"] {
        let out = app.cli(&[
            "token",
            "create",
            "--email",
            "siem@example.test",
            "--name",
            "x",
            "--expires-in",
            bad,
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(text(&out).1.contains("--expires-in"), "{bad}");
    }

    // An expired token is refused.
    let out = app.cli(&[
        "token",
        "create",
        "--email",
        "siem@example.test",
        "--name",
        "short",
    ]);
    let short = text(&out).0.trim().to_owned();
    assert_eq!(app.get("/api/v1/incidents", &short).await.0, 200);
    let backend = app.db.get_database_backend();
    use sea_orm::ConnectionTrait;
    app.db
        .execute(sea_orm::Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "UPDATE api_tokens SET expires_at = $1 WHERE name = 'short'"
                }
                _ => "UPDATE api_tokens SET expires_at = ? WHERE name = 'short'",
            },
            [(chrono::Utc::now() - chrono::Duration::minutes(1)).into()],
        ))
        .await
        .unwrap();
    assert_eq!(app.get("/api/v1/incidents", &short).await.0, 401);
    assert!(text(&app.cli(&["token", "list"])).0.contains("expired"));
}

async fn a_disabled_account_loses_its_sessions_and_tokens_at_once(app: TestApp) {
    let (mut c, email) = signed_in(&app, Role::Responder).await;
    assert_eq!(c.get("/").await.status, 200);
    let out = app.cli(&["token", "create", "--email", &email, "--name", "laptop"]);
    let token = text(&out).0.trim().to_owned();
    assert_eq!(app.get("/api/v1/incidents", &token).await.0, 200);

    let out = app.cli(&["user", "disable", "--email", &email]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("1 console sessions ended, 1 API tokens revoked"),
        "{stdout}"
    );
    let p = c.get("/").await;
    assert_eq!((p.status, p.location()), (303, "/login"));
    assert_eq!(app.get("/api/v1/incidents", &token).await.0, 401);
    let p = Client::new(&app).sign_in(&email, PASSWORD).await;
    assert_eq!(p.status, 401, "a disabled account cannot sign in");
    assert_eq!(
        app.count("audit_log WHERE action = 'account.disable'")
            .await,
        1
    );
    assert!(text(&app.cli(&["token", "list", "--email", &email]))
        .0
        .contains("revoked"));

    assert_eq!(
        app.cli(&["user", "disable", "--email", "ghost@example.test"])
            .status
            .code(),
        Some(2)
    );
    // The last enabled admin stays.
    let out = app.cli(&["user", "disable", "--email", "admin@example.test"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("last enabled admin"));
}

async fn admins_manage_accounts_and_tokens_from_the_console(app: TestApp) {
    let (mut admin, _) = signed_in(&app, Role::Admin).await;
    let page = admin.get("/admin/users").await;
    let p = admin
        .post(
            "/admin/users",
            &[
                ("_csrf", &page.csrf()),
                ("email", "New.Person@Example.test"),
                ("role", "approver"),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("new.person@example.test"));
    let one_time = secret_on(&p.body);
    assert_eq!(one_time.len(), 20);
    assert!(
        !admin.get("/admin/users").await.body.contains(&one_time),
        "shown once"
    );
    let mut newcomer = Client::new(&app);
    newcomer
        .sign_in_first_time("new.person@example.test", &one_time)
        .await;

    // A token for the newcomer, with an expiry; then revoked.
    let page = admin.get("/admin/tokens").await;
    let id = {
        let at = page.body.find("new.person@example.test").unwrap();
        let before = &page.body[..at];
        let v = before.rfind("value=\"").unwrap();
        before[v + 7..].split('"').next().unwrap().to_owned()
    };
    let p = admin
        .post(
            "/admin/tokens",
            &[
                ("_csrf", &page.csrf()),
                ("account_id", &id),
                ("name", "ci"),
                ("expires_in", "30d"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let secret = secret_on(&p.body);
    assert!(secret.starts_with("tsn_"));
    assert_eq!(app.get("/api/v1/incidents", &secret).await.0, 200);
    let bad = admin
        .post(
            "/admin/tokens",
            &[("_csrf", &page.csrf()), ("account_id", &id), ("name", "")],
        )
        .await;
    assert_eq!(bad.status, 422);
    let list = admin.get("/admin/tokens").await;
    assert!(!list.body.contains(&secret));
    let token_id = entity::api_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "ci")
        .unwrap()
        .id;
    use sea_orm::EntityTrait;
    let p = admin
        .post(
            &format!("/admin/tokens/{token_id}/revoke"),
            &[("_csrf", &list.csrf())],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(app.get("/api/v1/incidents", &secret).await.0, 401);

    // Disabling from the console ends the newcomer's session at once.
    let acct = tocsin::auth::find_account_by_email(&app.db, "new.person@example.test")
        .await
        .unwrap()
        .unwrap();
    let p = admin
        .post(
            &format!("/admin/users/{}/disable", acct.id),
            &[("_csrf", &list.csrf())],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(admin
        .get("/admin/users")
        .await
        .body
        .contains("sessions ended"));
    assert_eq!(newcomer.get("/").await.location(), "/login");
}

crate::on_both_databases!(
    tokens_are_listed_without_secrets_expire_and_are_revoked_at_once,
    a_disabled_account_loses_its_sessions_and_tokens_at_once,
    admins_manage_accounts_and_tokens_from_the_console,
);
