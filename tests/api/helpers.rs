//! The test harness: a real Tocsin app on a random port, on a fresh SQLite file or a fresh
#![allow(dead_code)] // shared by every test file; not each uses every helper
//! PostgreSQL database (created per test, dropped after).
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use tocsin::app::{AppState, Application};
use tocsin::audit::Actor;
use tocsin::config::Settings;
use tocsin::domain::Role;
use tokio_util::sync::CancellationToken;

pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The audit signing key of every app the tests start (base64url of 32 bytes of 7), and of
/// their CLI runs: one process signs with one key.
pub const TEST_AUDIT_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database for one test. PostgreSQL databases are dropped when this is dropped.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    pub dir: std::sync::Arc<tempfile::TempDir>,
}

impl TestDb {
    /// `None` when PostgreSQL is not running here and this is not CI (then the test is skipped,
    /// loudly). Under `CI=true` a missing PostgreSQL fails the test.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        let dir = std::sync::Arc::new(tempfile::tempdir().expect("temp dir"));
        match backend {
            Backend::Sqlite => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("tocsin.db").display()
                );
                Some(TestDb {
                    url,
                    pg_name: None,
                    dir,
                })
            }
            Backend::Postgres => {
                let admin = match Database::connect(PG_ADMIN_URL).await {
                    Ok(db) => db,
                    Err(e) => {
                        if std::env::var("CI").as_deref() == Ok("true") {
                            panic!("PostgreSQL is required under CI=true but unreachable at {PG_ADMIN_URL}: {e}");
                        }
                        eprintln!("SKIPPED (PostgreSQL unreachable at {PG_ADMIN_URL}: {e})");
                        return None;
                    }
                };
                let name = format!("tocsin_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                let _ = admin.close().await;
                let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
                Some(TestDb {
                    url,
                    pg_name: Some(name),
                    dir,
                })
            }
        }
    }
}

impl TestDb {
    /// The same database, for a second app: dropping it leaves the database alone.
    pub fn shared(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            pg_name: None,
            dir: self.dir.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee: use a small one of our own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(admin) = Database::connect(PG_ADMIN_URL).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            })
        })
        .join();
    }
}

/// A running app and a client for it.
pub struct TestApp {
    pub backend: Backend,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    pub db: DatabaseConnection,
    /// Token of the first admin account.
    pub admin_token: String,
    pub env: HashMap<String, String>,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub test_db: TestDb,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, &[]).await
    }

    /// Starts the app with extra `TOCSIN_*` settings.
    pub async fn spawn_with(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
        let test_db = TestDb::create(backend).await?;
        Some(TestApp::spawn_on(backend, test_db, extra).await)
    }

    /// A second app on this app's database and settings, started afresh (templates and
    /// playbooks read again), as after a restart.
    pub async fn restarted(&self) -> TestApp {
        let extra: Vec<(&str, &str)> = self
            .env
            .iter()
            .filter(|(k, _)| k.as_str() != "TOCSIN_PUBLIC_URL")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut other = TestApp::spawn_on(self.backend, self.test_db.shared(), &extra).await;
        other.admin_token = self.admin_token.clone();
        other
    }

    async fn spawn_on(backend: Backend, test_db: TestDb, extra: &[(&str, &str)]) -> TestApp {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert("TOCSIN_DATABASE_URL".into(), test_db.url.clone());
        env.insert(
            "TOCSIN_OUTBOX_DIR".into(),
            test_db.dir.path().join("outbox").display().to_string(),
        );
        env.insert("TOCSIN_PLAYBOOKS_DIR".into(), format!("{root}/playbooks"));
        env.insert("TOCSIN_TEMPLATES_DIR".into(), format!("{root}/templates"));
        env.insert("TOCSIN_LOG".into(), "warn".into());
        env.insert("TOCSIN_ADDR".into(), "127.0.0.1:0".into());
        env.insert("TOCSIN_AUDIT_KEY".into(), TEST_AUDIT_KEY.into());
        for (k, v) in extra {
            env.insert(k.to_string(), v.to_string());
        }
        let settings = Settings::from_lookup(|k| env.get(k).cloned()).expect("test settings");
        // Tests drain the outbox themselves (`drain`), so what they see does not race a
        // background dispatcher.
        let application = Application::build(settings)
            .await
            .expect("application")
            .without_dispatcher();
        let addr = application.addr();
        let state = application.state().clone();
        // CLI runs of this app link to where it serves, as the server does.
        env.entry("TOCSIN_PUBLIC_URL".into())
            .or_insert_with(|| format!("http://{addr}"));
        // A fresh database gets its first admin; a restarted app finds it there.
        let admin_token = match tocsin::auth::ensure_first_admin(&state.db, "admin@example.test")
            .await
            .expect("first admin")
        {
            Some(admin) => {
                tocsin::auth::create_token(&state.db, &admin.account, "tests", &Actor::System)
                    .await
                    .expect("admin token")
                    .secret
            }
            None => String::new(),
        };
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(application.run_until(shutdown.clone()));
        TestApp {
            backend,
            addr,
            client: reqwest::Client::new(),
            db: state.db.clone(),
            state,
            admin_token,
            env,
            shutdown,
            server: Some(server),
            test_db,
        }
    }

    /// The public key checkpoints are signed with.
    pub fn audit_key(&self) -> tocsin::chain::PublicKey {
        tocsin::chain::signer::installed()
            .expect("Application::build installs the signer")
            .public()
            .clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Creates an account with `role` and returns an API token for it.
    pub async fn token_for(&self, role: Role) -> String {
        let email = format!(
            "{}-{}@example.test",
            role.as_str(),
            uuid::Uuid::new_v4().simple()
        );
        let acct = tocsin::auth::create_account(&self.db, &email, role, &Actor::System)
            .await
            .expect("account");
        tocsin::auth::create_token(&self.db, &acct.account, "tests", &Actor::System)
            .await
            .expect("token")
            .secret
    }

    /// Sends a request with the token (and a JSON body, if any); the status and the JSON back.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(body);
        }
        json_of(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn patch_json(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, token, Some(body))
            .await
    }

    /// POSTs an incident action (`notices`, `approval`, `dispatch`, `announcement`). An
    /// approval approves the incident's current composition, as an approver who previewed it
    /// would; the others send an empty body.
    pub async fn act(&self, incident: i64, action: &str, token: &str) -> (u16, Value) {
        let path = format!("/api/v1/incidents/{incident}/{action}");
        let body = if action == "approval" {
            serde_json::json!({ "composition": self.composition(incident).await })
        } else {
            Value::Object(Default::default())
        };
        self.post_json(&path, token, &body).await
    }

    /// The incident's current composition digest ("" when nothing is composed).
    pub async fn composition(&self, incident: i64) -> String {
        let (_, inc) = self
            .get(&format!("/api/v1/incidents/{incident}"), &self.admin_token)
            .await;
        inc["notices"]["composition"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The incident's timeline events of these kinds, in order (as the admin sees them).
    pub async fn events(&self, incident: i64, kinds: &[&str]) -> Vec<Value> {
        let (status, tl) = self
            .get(
                &format!("/api/v1/incidents/{incident}/timeline"),
                &self.admin_token,
            )
            .await;
        assert_eq!(status, 200, "{tl}");
        tl["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| kinds.contains(&e["kind"].as_str().unwrap_or_default()))
            .cloned()
            .collect()
    }

    /// A dispatcher of this app (tests run it by hand).
    pub fn dispatcher(&self) -> tocsin::delivery::Dispatcher {
        tocsin::delivery::Dispatcher::for_app(&self.state).expect("dispatcher")
    }

    /// Runs the dispatcher until nothing is due, then checks that the outbox is drained: no
    /// delivery left `pending` or `sending` (none is due later either). Returns the attempts made.
    pub async fn drain(&self) -> u64 {
        let n = self
            .dispatcher()
            .run_until_idle()
            .await
            .expect("dispatcher");
        let left = self
            .count("deliveries WHERE status IN ('pending', 'sending')")
            .await;
        assert_eq!(left, 0, "the outbox is drained");
        n
    }

    pub async fn post_body(
        &self,
        path: &str,
        token: &str,
        ctype: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        json_of(res).await
    }

    /// Runs the `tocsin` binary against this app's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.current_dir(self.test_db.dir.path());
        cmd.output().expect("run tocsin")
    }

    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(s) = self.server.take() {
            s.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Runs `test` against a fresh app on `backend` (skipped only outside CI without PostgreSQL).
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(app) = TestApp::spawn(backend).await {
        test(app).await;
    }
}

/// Declares each named `async fn(TestApp)` as two tests: `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::helpers::run($crate::helpers::Backend::Sqlite, super::$name).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::helpers::run($crate::helpers::Backend::Postgres, super::$name).await;
                }
            }
        )*
    };
}

/// The `tocsin` binary with a clean environment pointed at `db`.
pub fn tocsin(db: &TestDb) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"));
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

/// An HTTP upload written by hand, so that a test decides when each part of the body goes
/// out. It asks `Expect: 100-continue`: the server answers `100 Continue` when it starts
/// reading the body, or refuses at once.
pub struct Upload {
    socket: tokio::net::TcpStream,
    chunks: bool,
}

impl Upload {
    /// Sends the headers (a Content-Length of `length`, else chunked); waits for `100
    /// Continue`, or returns the server's answer if it refuses at once.
    pub async fn start(
        app: &TestApp,
        path: &str,
        ctype: &str,
        length: Option<usize>,
    ) -> Result<Upload, (u16, Value)> {
        use tokio::io::AsyncWriteExt;
        let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let framing = match length {
            Some(n) => format!("Content-Length: {n}"),
            None => "Transfer-Encoding: chunked".to_string(),
        };
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: {ctype}\r\n{framing}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
            app.addr, app.admin_token
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        let interim = read_head(&mut socket).await;
        if interim.starts_with("HTTP/1.1 100") {
            Ok(Upload {
                socket,
                chunks: false,
            })
        } else {
            Err(response(&interim, &mut socket).await)
        }
    }

    /// Sends `data` as one chunk, in one write; with `last`, the end of the body with it.
    /// (A chunk's closing CRLF goes out with the next, so that what the server has read when
    /// it answers is everything sent: no reset loses the answer.)
    pub async fn chunk(&mut self, data: &[u8], last: bool) {
        use tokio::io::AsyncWriteExt;
        let mut out = if self.chunks {
            b"\r\n".to_vec()
        } else {
            Vec::new()
        };
        self.chunks = true;
        out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        if last {
            out.extend_from_slice(b"\r\n0\r\n\r\n");
        }
        self.socket.write_all(&out).await.unwrap();
    }

    /// Sends a body of the announced length, whole.
    pub async fn body(&mut self, data: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.socket.write_all(data).await.unwrap();
    }

    /// The server's answer.
    pub async fn answer(mut self) -> (u16, Value) {
        let head = read_head(&mut self.socket).await;
        response(&head, &mut self.socket).await
    }
}

/// Reads a response head, byte by byte, up to its blank line.
async fn read_head(s: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        if s.read(&mut b).await.unwrap() == 0 {
            break;
        }
        head.push(b[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The status of `head` and the JSON body after it (read to the end: `Connection: close`).
async fn response(head: &str, s: &mut tokio::net::TcpStream) -> (u16, Value) {
    use tokio::io::AsyncReadExt;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut body = Vec::new();
    let _ = s.read_to_end(&mut body).await;
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    (status, body)
}
