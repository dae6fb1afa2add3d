//! The real binary killed mid-dispatch loses nothing, and many workers on one PostgreSQL send
//! each notice once.
use crate::helpers::{tocsin, Backend, TestDb};
use crate::smtp::SmtpServer;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// A child process killed when dropped, so a failing test leaves nothing running.
struct Proc(Child);

impl Proc {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `tocsin serve` on a free port with the given settings; returns it and its base URL.
fn serve(db: &TestDb, env: &[(&str, &str)]) -> (Proc, String) {
    let mut cmd = tocsin(db);
    cmd.args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let base = lines
        .find_map(|l| l.strip_prefix("Tocsin listening on ").map(str::to_owned))
        .expect("serve started");
    // Keep reading, so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (Proc(child), base)
}

fn token(db: &TestDb, role: &str) -> String {
    let email = format!("{role}@example.test");
    let out = tocsin(db)
        .args(["user", "add", "--email", &email, "--role", role])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tocsin(db)
        .args(["token", "create", "--email", &email, "--name", "t"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

struct Api {
    base: String,
    c: reqwest::Client,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, token: &str, body: Value) -> Value {
        let res = self
            .c
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }
}

/// People `p0..p{n}` with e-mail addresses, scoped into an approved incident, dispatched.
async fn dispatched(api: &Api, responder: &str, approver: &str, n: usize) -> i64 {
    let mut csv = String::from("external_id,name,email\n");
    for i in 0..n {
        csv.push_str(&format!("p{i},Person {i},p{i}@example.com\n"));
    }
    let r = api
        .c
        .post(format!("{}/api/v1/subjects/import", api.base))
        .bearer_auth(responder)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let post = reqwest::Method::POST;
    let inc = api
        .call(
            post.clone(),
            "/api/v1/incidents",
            responder,
            json!({"title": "Backup exposed", "summary": "A backup was readable.", "kind": "credential-exposure", "aware_at": "2026-11-24T10:00:00Z", "channels": ["email"]}),
        )
        .await;
    let id = inc["id"].as_i64().unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    api.call(
        post.clone(),
        &format!("/api/v1/incidents/{id}/population"),
        responder,
        json!({ "external_ids": ids }),
    )
    .await;
    let c = api
        .call(
            post.clone(),
            &format!("/api/v1/incidents/{id}/notices"),
            responder,
            json!({}),
        )
        .await;
    api.call(
        post.clone(),
        &format!("/api/v1/incidents/{id}/approval"),
        approver,
        json!({ "composition": c["composition"] }),
    )
    .await;
    api.call(
        post,
        &format!("/api/v1/incidents/{id}/dispatch"),
        responder,
        json!({}),
    )
    .await;
    id
}

/// The addresses of the incident's deliveries claimed and not yet recorded.
async fn in_flight(db: &TestDb, incident: i64) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    let rows = conn
        .query_all(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!(
                "SELECT n.recipient FROM deliveries d JOIN notices n ON n.id = d.notice_id \
                 WHERE d.incident_id = {incident} AND d.status = 'sending'"
            ),
        ))
        .await
        .unwrap();
    let out = rows
        .iter()
        .map(|r| r.try_get::<String>("", "recipient").unwrap())
        .collect();
    let _ = conn.close().await;
    out
}

/// Messages per recipient.
fn per_recipient(smtp: &SmtpServer) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for m in smtp.received() {
        for to in m.to {
            *n.entry(to).or_default() += 1;
        }
    }
    n
}

/// SIGKILL while three messages wait for the server's final reply: after a restart every
/// person is reached, and only messages in flight when the process died (those three among
/// them) arrive twice.
async fn a_killed_server_loses_nothing(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let smtp = SmtpServer::start();
    for held in ["p3@example.com", "p17@example.com", "p29@example.com"] {
        smtp.hold(held);
    }
    let url = smtp.url();
    let env = [
        ("TOCSIN_SMTP_URL", url.as_str()),
        ("TOCSIN_LEASE_SECS", "3"),
        ("TOCSIN_SEND_CONCURRENCY", "4"),
    ];
    let (responder, approver) = (token(&db, "responder"), token(&db, "approver"));
    let (mut first, base) = serve(&db, &env);
    let api = Api {
        base,
        c: reqwest::Client::new(),
    };
    // More people than the crash window, so its bound could fail.
    const PEOPLE: usize = 120;
    const WINDOW: usize = tocsin::delivery::dispatcher::CRASH_WINDOW_ROUNDS * 4;
    const { assert!(WINDOW < PEOPLE) };
    let id = dispatched(&api, &responder, &approver, PEOPLE).await;
    smtp.wait_for_held(3, WAIT).await;
    // Each held connection may also hold the next message, whose envelope went out with the
    // held message's data (src/delivery/smtp/pool.rs): all but those six at least arrive.
    smtp.wait_for_async(PEOPLE - 6, WAIT).await;
    first.kill(); // SIGKILL: no draining, no finalising
                  // What the dead process had claimed and not recorded: the in-flight window.
    let in_flight = in_flight(&db, id).await;
    assert!(
        in_flight.len() <= WINDOW,
        "at most {WINDOW} (the crash window × TOCSIN_SEND_CONCURRENCY): {in_flight:?}"
    );
    smtp.release();

    let (mut second, base) = serve(&db, &env);
    let api = Api { base, ..api };
    smtp.wait_for_async(PEOPLE + 3, WAIT).await;
    let done = loop {
        let d = api
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/incidents/{id}/delivery"),
                &responder,
                Value::Null,
            )
            .await;
        if d["sent"] == PEOPLE {
            break d;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(done["pending"], 0, "{done}");
    let got = per_recipient(&smtp);
    assert_eq!(got.len(), PEOPLE, "every person reached");
    let twice: Vec<&String> = got
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(a, _)| a)
        .collect();
    for held in ["p3@example.com", "p17@example.com", "p29@example.com"] {
        assert!(
            twice.iter().any(|t| *t == held),
            "{held} was in flight: {twice:?}"
        );
    }
    for t in &twice {
        assert!(
            in_flight.contains(*t),
            "only messages in flight when the process died arrive twice: {t} was not ({in_flight:?})"
        );
    }
    assert!(got.values().all(|n| *n <= 2));
    let mut ids: Vec<String> = smtp
        .received()
        .iter()
        .filter(|m| m.to == ["p3@example.com"])
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 1, "the resend keeps its Message-ID: {ids:?}");
    second.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_sqlite() {
    a_killed_server_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_postgres() {
    a_killed_server_loses_nothing(Backend::Postgres).await;
}

/// Three `tocsin worker` processes and the server's own dispatcher share one PostgreSQL outbox:
/// each notice is sent exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_send_each_notice_once() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let env = [
        ("TOCSIN_SMTP_URL", url.as_str()),
        ("TOCSIN_SEND_CONCURRENCY", "4"),
    ];
    let (responder, approver) = (token(&db, "responder"), token(&db, "approver"));
    let (mut server, base) = serve(&db, &env);
    let _workers: Vec<Proc> = (0..3)
        .map(|_| {
            let mut cmd = tocsin(&db);
            cmd.arg("worker").stdout(Stdio::null());
            for (k, v) in &env {
                cmd.env(k, v);
            }
            Proc(cmd.spawn().unwrap())
        })
        .collect();
    let api = Api {
        base,
        c: reqwest::Client::new(),
    };
    let n = 300;
    let id = dispatched(&api, &responder, &approver, n).await;
    smtp.wait_for_async(n, WAIT).await;
    // Every delivery final: nothing more can come.
    loop {
        let d = api
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/incidents/{id}/delivery"),
                &responder,
                Value::Null,
            )
            .await;
        if d["pending"] == 0 && d["by_channel"]["email"]["pending"] == 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    let got = smtp.received();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for m in &got {
        *by_id.entry(m.header("Message-ID").unwrap()).or_default() += 1;
    }
    assert_eq!(by_id.len(), n, "every notice sent");
    assert!(by_id.values().all(|c| *c == 1), "none sent twice");
    assert_eq!(per_recipient(&smtp).len(), n);
    server.kill();
}
