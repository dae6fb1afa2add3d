//! A real headless browser for the console's tests: Debian's `chromium` driven through
//! `chromedriver` over WebDriver (fantoccini, plain HTTP on loopback). One browser at a time
//! (a lock held for the whole test; this machine has two cores), a fresh profile each.
//!
//! [`Browser::check`] is what every screen goes through: axe-core finds no serious or critical
//! WCAG 2.1 A/AA violation (in light and in dark), the browser's log holds no error (a CSP
//! violation is one), and screenshots at 320 and 1280 px, light and dark, are written to
//! `target/screenshots/` (or `TOCSIN_SCREENSHOTS`).
//!
//! Without `chromedriver` (or axe-core, which `tests/support/axe.sh` installs) the browser tests
//! are skipped with a message, except under `CI=true`, where they fail.
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The pinned axe-core `tests/support/axe.sh` installs.
const AXE_VERSION: &str = "4.14.1";

fn required() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

fn skip(why: &str) -> Option<Browser> {
    if required() {
        panic!("browser tests need {why} under CI=true");
    }
    eprintln!("SKIPPED (browser test: {why})");
    None
}

fn axe_path() -> PathBuf {
    std::env::var_os("TOCSIN_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(format!("target/axe-core-{AXE_VERSION}/package/axe.min.js"))
        })
}

fn shots_dir() -> PathBuf {
    std::env::var_os("TOCSIN_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"))
}

/// A WebDriver endpoint of the session that fantoccini has no method for (Chrome's CDP
/// bridge, the legacy log).
#[derive(Debug)]
struct Raw {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for Raw {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(self.body.to_string()))
    }
}

/// The browser's processes and profile; tests drive it through a [`Tab`] (see [`Browser::run`]).
pub struct Browser {
    tab: Tab,
    driver: Child,
    _profile: tempfile::TempDir,
    _lock: tokio::sync::MutexGuard<'static, ()>,
}

/// What a test drives: the WebDriver session and the app's base URL. Cheap to clone.
#[derive(Clone)]
pub struct Tab {
    pub client: Client,
    axe: std::sync::Arc<String>,
    /// The base of the app under test (`http://127.0.0.1:port`).
    pub base: String,
}

impl Browser {
    /// Starts chromedriver and a fresh Chromium for the app at `base`; `None` (skipped) when
    /// the tools are missing outside CI.
    pub async fn start(base: &str) -> Option<Browser> {
        let lock = ONE_AT_A_TIME.lock().await;
        let driver_bin = std::env::var("TOCSIN_CHROMEDRIVER").unwrap_or("chromedriver".into());
        let chromium = std::env::var("TOCSIN_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let axe = match std::fs::read_to_string(axe_path()) {
            Ok(a) => a,
            Err(_) => {
                return skip(&format!(
                    "axe-core at {} (run tests/support/axe.sh)",
                    axe_path().display()
                ))
            }
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut driver = match Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                return skip(&format!(
                    "{driver_bin} ({e}); apt-get install chromium-driver"
                ))
            }
        };
        // chromedriver says when it listens.
        let out = driver.stdout.take().unwrap();
        let ready = tokio::task::spawn_blocking(move || {
            let mut lines = std::io::BufReader::new(out).lines();
            let ok = lines.any(|l| l.is_ok_and(|l| l.contains("started successfully")));
            // Keep draining so chromedriver never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            ok
        })
        .await
        .unwrap();
        assert!(ready, "chromedriver did not start");
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "browserName": "chrome",
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    "--disable-features=Translate,OptimizationHints,MediaRouter",
                    "--lang=en-GB", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let caps = caps.as_object().unwrap().clone();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        let tab = Tab {
            client,
            axe: std::sync::Arc::new(axe),
            base: base.trim_end_matches('/').to_owned(),
        };
        tab.viewport(1280, 900).await;
        Some(Browser {
            tab,
            driver,
            _profile: profile,
            _lock: lock,
        })
    }

    /// Runs `test` in the browser, then ends the browser and chromedriver, even when the test
    /// panics (the panic goes on after).
    pub async fn run<F, Fut>(mut self, test: F)
    where
        F: FnOnce(Tab) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        use futures::FutureExt;
        let outcome = std::panic::AssertUnwindSafe(test(self.tab.clone()))
            .catch_unwind()
            .await;
        let _ = self.tab.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

impl Tab {
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Raw {
                path: "goog/cdp/execute",
                body: json!({ "cmd": cmd, "params": params }),
            })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
    }

    /// The viewport, exactly (`mobile` below 600 px).
    pub async fn viewport(&self, width: u32, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600 }),
        )
        .await;
    }

    /// `prefers-color-scheme`.
    pub async fn scheme(&self, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }),
        )
        .await;
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// The path of the page shown.
    pub async fn path(&self) -> String {
        let u = self.client.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Clicks what sends a form (or follows a link) and waits until the next page has loaded.
    pub async fn submit(&self, css: &str) {
        self.client
            .execute(
                "document.documentElement.setAttribute('data-stale', '1'); return true;",
                vec![],
            )
            .await
            .unwrap();
        self.click(css).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let loaded = self
                .client
                .execute(
                    "return document.readyState === 'complete' \
                     && !document.documentElement.hasAttribute('data-stale');",
                    vec![],
                )
                .await;
            // While the document is being replaced the script may fail: not loaded yet.
            if loaded.is_ok_and(|v| v == json!(true)) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{css}: no new page came"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// The visible text of the page's main landmark.
    pub async fn main_text(&self) -> String {
        self.client
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    /// axe-core's serious and critical WCAG 2.1 A/AA violations on the page.
    async fn axe(&self) -> Vec<Value> {
        self.client
            .execute(&format!("{}\nreturn true;", self.axe), vec![])
            .await
            .expect("inject axe-core");
        let r = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag',
                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                  nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))
                   .catch(e => done([{ id: 'axe-error', help: String(e) }]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        r.as_array().cloned().unwrap_or_default()
    }

    /// Browser log entries since the last call.
    async fn log(&self) -> Vec<Value> {
        let r = self
            .client
            .issue_cmd(Raw {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await
            .expect("the browser's log");
        r.as_array().cloned().unwrap_or_default()
    }

    /// Reads the browser's log so far and fails on any error in it but the "failed to load"
    /// line of a page whose error `status` the test asked for.
    pub async fn log_is_clean(&self, name: &str, status: u16) {
        let errors: Vec<Value> = self
            .log()
            .await
            .into_iter()
            .filter(|e| e["level"] == "SEVERE")
            .filter(|e| {
                let m = e["message"].as_str().unwrap_or_default();
                !(status >= 400 && m.contains(&format!("status of {status}")))
            })
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: the browser logged errors: {errors:#?}"
        );
    }

    /// The checks every screen passes (see the module documentation); `status` is the
    /// page's own HTTP status, whose "failed to load" line in the log is expected when it is
    /// an error status the test asked for.
    pub async fn check(&self, name: &str, status: u16) {
        self.log_is_clean(name, status).await;
        let dir = shots_dir();
        std::fs::create_dir_all(&dir).unwrap();
        for dark in [false, true] {
            self.scheme(dark).await;
            self.viewport(1280, 900).await;
            let bad = self.axe().await;
            let scheme = if dark { "dark" } else { "light" };
            assert!(bad.is_empty(), "{name} ({scheme}): axe-core found {bad:#?}");
            for width in [320, 1280] {
                self.viewport(width, 900).await;
                let h = self
                    .client
                    .execute("return document.documentElement.scrollHeight;", vec![])
                    .await
                    .unwrap()
                    .as_u64()
                    .unwrap_or(900)
                    .clamp(400, 6000) as u32;
                self.viewport(width, h).await;
                let png = self.client.screenshot().await.unwrap();
                std::fs::write(dir.join(format!("{name}-{width}-{scheme}.png")), png).unwrap();
            }
        }
        self.scheme(false).await;
        self.viewport(1280, 900).await;
        // Nothing the checks did may log an error either (axe, resizing, the dark scheme).
        let late: Vec<Value> = self
            .log()
            .await
            .into_iter()
            .filter(|e| e["level"] == "SEVERE")
            .collect();
        assert!(late.is_empty(), "{name}: {late:#?}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A test that panicked: do not leave chromedriver running.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
