//! The real binary: first start, graceful shutdown, configuration errors.
use crate::helpers::{tocsin, Backend, TestDb};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Callers wait for the child after terminating it.
#[allow(clippy::zombie_processes)]
/// Starts `tocsin serve` on a free port; returns the child, its address, and stdout so far.
fn start(
    db: &TestDb,
) -> (
    std::process::Child,
    String,
    Vec<String>,
    std::sync::mpsc::Receiver<String>,
) {
    let mut child = tocsin(db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    loop {
        let line = rx.recv().expect("serve exited before listening");
        seen.push(line.clone());
        if let Some(addr) = line.strip_prefix("Tocsin listening on ") {
            return (child, addr.to_string(), seen, rx);
        }
    }
}

fn terminate(child: &mut std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn serve_creates_the_first_admin_once_and_stops_on_sigterm(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let (mut child, addr, seen, rx) = start(&db);
    let out = seen.join("\n");
    assert!(
        out.contains("created the admin account admin@localhost"),
        "{out}"
    );
    assert!(out.contains("one-time password: "), "{out}");
    assert!(
        out.contains(&format!("sign in to the console at {addr}/login")),
        "the first start points at the console's sign-in: {out}"
    );
    let res = reqwest::get(format!("{addr}/healthz")).await.unwrap();
    assert_eq!(res.status(), 200);
    let res = reqwest::get(format!("{addr}/readyz")).await.unwrap();
    assert_eq!(res.status(), 200);
    terminate(&mut child);
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    let rest: Vec<String> = rx.iter().collect();
    assert!(rest.iter().any(|l| l == "Tocsin stopped"), "{rest:?}");

    // Second start: accounts exist, no new password.
    let (mut child, _addr, seen, _rx) = start(&db);
    assert!(!seen.join("\n").contains("one-time password"), "{seen:?}");
    terminate(&mut child);
    assert!(child.wait().unwrap().success());
}

#[tokio::test]
async fn serve_first_start_and_sigterm_sqlite() {
    serve_creates_the_first_admin_once_and_stops_on_sigterm(Backend::Sqlite).await;
}

#[tokio::test]
async fn serve_first_start_and_sigterm_postgres() {
    serve_creates_the_first_admin_once_and_stops_on_sigterm(Backend::Postgres).await;
}

#[tokio::test]
async fn a_bad_setting_stops_start_up_naming_the_variable() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    for (var, value) in [
        ("TOCSIN_DATABASE_URL", "mysql://localhost/x"),
        ("TOCSIN_ADDR", "not-an-address"),
        ("TOCSIN_SMTP_URL", "http://mail.example.com"),
        // Credentials that smtp:// without required TLS would send in clear text.
        (
            "TOCSIN_SMTP_URL",
            "smtp://relay:s3cret@mail.example.com:587",
        ),
        ("TOCSIN_PDF_FONT", "/nonexistent/NotoSans.ttf"),
    ] {
        let out = tocsin(&db).arg("serve").env(var, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("configuration error: {var}:")),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "never the password: {err}");
    }
}

#[tokio::test]
async fn migrate_is_idempotent_on_both_databases() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::create(backend).await else {
            continue;
        };
        for _ in 0..2 {
            let out = tocsin(&db).arg("migrate").output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn help_lists_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "migrate", "user", "token", "subjects", "audit"] {
        assert!(text.contains(cmd), "{text}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The dispatcher inside `tocsin serve` sends what an HTTP client dispatched, without anyone
/// driving it: the path a real deployment takes.
async fn serve_dispatches_in_the_background(backend: Backend) {
    use serde_json::json;
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let smtp = crate::smtp::SmtpServer::start();
    let token = |role: &str| {
        let email = format!("{role}@example.test");
        let out = tocsin(&db)
            .args(["user", "add", "--email", &email, "--role", role])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = tocsin(&db)
            .args(["token", "create", "--email", &email, "--name", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let responder = token("responder");
    let approver = token("approver");
    let mut child = tocsin(&db)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("TOCSIN_SMTP_URL", smtp.url())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let base = lines
        .find_map(|l| l.strip_prefix("Tocsin listening on ").map(str::to_string))
        .unwrap();
    let c = reqwest::Client::new();
    let post = |path: String, token: &str, body: serde_json::Value| {
        c.post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let r = c
        .post(format!("{base}/api/v1/subjects/import"))
        .bearer_auth(&responder)
        .header("content-type", "text/csv")
        .body("external_id,email\nq1,q1@example.com\nq2,q2@example.com\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let inc: serde_json::Value = post(
        "/api/v1/incidents".into(),
        &responder,
        json!({"title": "Chats exposed", "summary": "Chat records were exposed.", "kind": "chat-translation-leak", "aware_at": "2026-11-24T10:00:00Z"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = inc["id"].as_i64().unwrap();
    let r = post(
        format!("/api/v1/incidents/{id}/population"),
        &responder,
        json!({"external_ids": ["q1", "q2"]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let composed = post(
        format!("/api/v1/incidents/{id}/notices"),
        &responder,
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(composed.status(), 200);
    let composed: serde_json::Value = composed.json().await.unwrap();
    assert_eq!(
        post(
            format!("/api/v1/incidents/{id}/approval"),
            &approver,
            json!({ "composition": composed["composition"] })
        )
        .await
        .unwrap()
        .status(),
        200
    );
    assert_eq!(
        post(
            format!("/api/v1/incidents/{id}/dispatch"),
            &responder,
            json!({})
        )
        .await
        .unwrap()
        .status(),
        202
    );
    let got = smtp.wait_for(2, std::time::Duration::from_secs(60));
    let mut to: Vec<String> = got.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["q1@example.com", "q2@example.com"]);
    terminate(&mut child);
    assert!(child.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_dispatches_in_the_background_sqlite() {
    serve_dispatches_in_the_background(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_dispatches_in_the_background_postgres() {
    serve_dispatches_in_the_background(Backend::Postgres).await;
}

#[tokio::test]
async fn a_broken_playbook_stops_start_up_with_file_line_and_reason() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let dir = db.dir.path().join("playbooks");
    std::fs::create_dir_all(dir.join("kinds")).unwrap();
    std::fs::write(
        dir.join("kinds/broken.yaml"),
        "id: broken\ntitle: Broken\nseverity: catastrophic\ndata_categories: [name]\nchannels: [email]\n",
    )
    .unwrap();
    let out = tocsin(&db)
        .arg("serve")
        .env("TOCSIN_PLAYBOOKS_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.yaml:3:"), "{err}");
    assert!(err.contains("catastrophic"), "{err}");
}

/// A command-line import with nothing else holding the database (on SQLite it takes the file
/// for itself, with a rollback journal, and hands it back in WAL mode): applied whole, or not
/// at all when the file turns out bad after thousands of good rows.
#[tokio::test]
async fn cli_import_alone_applies_whole_or_nothing() {
    use sea_orm::{ConnectionTrait, Statement};
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::create(backend).await else {
            continue;
        };
        assert!(tocsin(&db).arg("migrate").status().unwrap().success());
        let import = |name: &str, csv: &str| {
            let path = db.dir.path().join(name);
            std::fs::write(&path, csv).unwrap();
            tocsin(&db)
                .env("TOCSIN_LOG", "info")
                .args(["subjects", "import", path.to_str().unwrap()])
                .output()
                .unwrap()
        };
        let mut good = String::from("external_id,email,push_platform,push_token\n");
        for i in 0..2_000 {
            good.push_str(&format!("g{i},g{i}@example.com,fcm,tok-{i}\n"));
        }
        let out = import("good.csv", &good);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("imported 2000, updated 0, rejected 0"),
            "{stdout}"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.contains("writing it directly"),
            backend == Backend::Sqlite,
            "on SQLite, with nothing else holding the file, the import writes it directly: {stderr}"
        );

        let mut bad = String::from("external_id,email\ng0,changed@example.com\n");
        for i in 0..2_000 {
            bad.push_str(&format!("n{i},n{i}@example.com\n"));
        }
        bad.push_str(&"x".repeat(70_000));
        bad.push('\n');
        let out = import("bad.csv", &bad);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("line 2003"), "{stderr}");

        let conn = sea_orm::Database::connect(&db.url).await.unwrap();
        let scalar = |sql: &str| {
            let conn = &conn;
            let sql = sql.to_string();
            async move {
                let row = conn
                    .query_one(Statement::from_string(conn.get_database_backend(), sql))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get_by_index::<String>(0)
                    .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                    .unwrap()
            }
        };
        assert_eq!(scalar("SELECT COUNT(*) FROM subjects").await, "2000");
        assert_eq!(scalar("SELECT COUNT(*) FROM subject_devices").await, "2000");
        assert_eq!(
            scalar("SELECT email FROM subjects WHERE external_id = 'g0'").await,
            "g0@example.com"
        );
        if backend == Backend::Sqlite {
            assert_eq!(scalar("PRAGMA journal_mode").await, "wal");
        }
        conn.close().await.unwrap();
        let out = tocsin(&db).args(["audit", "verify"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// From a directory with no templates or playbooks, `serve` runs on the ones built into the
/// binary; `--addr` wins over `TOCSIN_ADDR`, and links follow the address actually served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_from_any_directory_and_links_to_where_it_listens() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let empty = tempfile::tempdir().unwrap();
    let mut child = tocsin(&db)
        .env_remove("TOCSIN_PLAYBOOKS_DIR")
        .env_remove("TOCSIN_TEMPLATES_DIR")
        .env("TOCSIN_ADDR", "127.0.0.1:9")
        .current_dir(empty.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let mut seen = Vec::new();
    let base = loop {
        let line = lines.next().expect("serve exited before listening");
        seen.push(line.clone());
        if let Some(a) = line.strip_prefix("Tocsin listening on ") {
            break a.to_string();
        }
    };
    let first_start = seen.join("\n");
    assert_ne!(base, "http://127.0.0.1:9");
    // The first start points at the console's sign-in, where it actually listens.
    assert!(
        first_start.contains(&format!("sign in to the console at {base}/login")),
        "{first_start}"
    );
    assert!(first_start.contains("tocsin token create"), "{first_start}");
    let api_line = lines.next().unwrap();
    assert!(api_line.contains(&format!("{base}/api/v1")), "{api_line}");
    assert!(
        api_line.contains(&format!("console: {base}/login")),
        "{api_line}"
    );

    let token = tocsin(&db)
        .current_dir(empty.path())
        .args([
            "token",
            "create",
            "--email",
            "admin@localhost",
            "--name",
            "t",
        ])
        .output()
        .unwrap();
    assert!(token.status.success());
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let c = reqwest::Client::new();
    let kinds: serde_json::Value = c
        .get(format!("{base}/api/v1/playbooks"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(kinds["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["id"] == "credential-exposure"));
    let feed: serde_json::Value = c
        .get(format!("{base}/announcements.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(feed["feed_url"], format!("{base}/announcements.json"));
    terminate(&mut child);
    assert!(child.wait().unwrap().success());
}
