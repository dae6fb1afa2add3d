use crate::helpers::TestApp;
use tocsin::auth::{Action, PERMISSIONS};
use tocsin::domain::Role;

async fn requests_without_a_valid_token_are_refused(app: TestApp) {
    let res = app
        .client
        .get(app.url("/api/v1/audit"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let (status, body) = app.get("/api/v1/audit", "tsn_not-a-real-token").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = app.get("/api/v1/audit", &app.admin_token).await;
    assert_eq!(status, 200);
}

async fn tokens_are_stored_hashed_and_passwords_with_argon2id(app: TestApp) {
    use sea_orm::EntityTrait;
    let tokens = entity::api_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(!tokens.is_empty());
    for t in &tokens {
        assert_ne!(t.token_hash, app.admin_token);
        assert!(!t.token_hash.starts_with("tsn_"));
        assert_eq!(t.token_hash.len(), 64);
    }
    let accounts = entity::account::Entity::find().all(&app.db).await.unwrap();
    assert!(accounts
        .iter()
        .all(|a| a.password_hash.starts_with("$argon2id$")));
}

/// Every role against one route per action: the permission table is what the API enforces.
async fn roles_are_enforced_on_every_route(app: TestApp) {
    let mut tokens = Vec::new();
    for role in Role::ALL {
        tokens.push((*role, app.token_for(*role).await));
    }
    // (action, method, path, body content type, body)
    let routes: &[(Action, &str, &str)] = &[
        (Action::AuditRead, "GET", "/api/v1/audit"),
        (Action::SubjectsImport, "POST", "/api/v1/subjects/import"),
        (Action::SubjectsRead, "GET", "/api/v1/subjects/nobody"),
    ];
    for (action, method, path) in routes {
        let roles = PERMISSIONS.iter().find(|(a, _)| a == action).unwrap().1;
        for (role, token) in &tokens {
            let req = match *method {
                "GET" => app.client.get(app.url(path)),
                _ => app
                    .client
                    .post(app.url(path))
                    .header("content-type", "text/csv")
                    .body("external_id\n"),
            };
            let status = req
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            if roles.contains(role) {
                assert_ne!(status, 403, "{role:?} should be allowed {method} {path}");
                assert_ne!(status, 401);
            } else {
                assert_eq!(status, 403, "{role:?} must be refused {method} {path}");
            }
        }
    }
}

async fn cli_creates_accounts_and_tokens_that_the_api_accepts(app: TestApp) {
    let out = app.cli(&[
        "user",
        "add",
        "--email",
        "Dana@Example.test",
        "--role",
        "approver",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("dana@example.test (approver)"), "{stdout}");
    assert!(stdout.contains("one-time password: "));

    let out = app.cli(&[
        "token",
        "create",
        "--email",
        "dana@example.test",
        "--name",
        "laptop",
    ]);
    assert!(out.status.success());
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.starts_with("tsn_"));
    let (status, _) = app.get("/api/v1/audit", &token).await;
    assert_eq!(status, 200, "an approver may read the audit log");

    let out = app.cli(&[
        "user",
        "add",
        "--email",
        "dana@example.test",
        "--role",
        "viewer",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = app.cli(&["user", "add", "--email", "x@example.test", "--role", "root"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--role"));
    let out = app.cli(&[
        "token",
        "create",
        "--email",
        "ghost@example.test",
        "--name",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no account"));
}

crate::on_both_databases!(
    requests_without_a_valid_token_are_refused,
    tokens_are_stored_hashed_and_passwords_with_argon2id,
    roles_are_enforced_on_every_route,
    cli_creates_accounts_and_tokens_that_the_api_accepts,
);
