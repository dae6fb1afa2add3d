//! The real binary: first start, graceful shutdown, configuration errors.
use crate::helpers::{Backend, TestDb};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn tocsin(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tocsin"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TOCSIN_DATABASE_URL", &db.url)
        .env("TOCSIN_LOG", "warn")
        .env(
            "TOCSIN_PLAYBOOKS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/playbooks"),
        )
        .env(
            "TOCSIN_TEMPLATES_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
        )
        .env("TOCSIN_OUTBOX_DIR", db.dir.path().join("outbox"))
        .current_dir(db.dir.path());
    cmd
}

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
    ] {
        let out = tocsin(&db).arg("serve").env(var, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("configuration error: {var}:")),
            "{err}"
        );
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
