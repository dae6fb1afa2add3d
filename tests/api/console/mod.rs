//! The console: sessions, cross-site refusals, headers, throttling and the hardened server
//! over plain HTTP (`http`, `hardening`); the token and account commands (`cli`); and the
//! screens in a real headless browser (`browser`, `screens`).
mod browser;
mod cli;
mod hardening;
mod http;
mod report_page;
mod screens;
mod tab_screens;
mod tabs;
mod tabs_failures;

use crate::helpers::TestApp;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use std::collections::HashMap;
use tocsin::audit::Actor;
use tocsin::domain::Role;

/// A password the tests give accounts after their one-time one.
pub const PASSWORD: &str = "correct horse battery staple";

/// A console client without a browser: keeps cookies by hand, follows no redirects, sends
/// `Origin` as a browser would for a same-origin form.
pub struct Client<'a> {
    pub app: &'a TestApp,
    http: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

/// A response as the tests look at it.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The page's form token.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"_csrf\" value=\"")
            .expect("a form token");
        let rest = &self.body[at + 20..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

impl<'a> Client<'a> {
    pub fn new(app: &'a TestApp) -> Client<'a> {
        Client {
            app,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for c in headers.get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let body = res.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .http
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(res).await
    }

    /// Posts a form as a same-origin browser page would (with the `Origin` it sends).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let origin = self.app.url("");
        self.post_with(path, fields, &[("origin", &origin)]).await
    }

    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut req = self
            .http
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .form(fields);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        self.keep(res).await
    }

    /// Signs in; returns the answer (a redirect when it worked).
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        self.post(
            "/login",
            &[("email", email), ("password", password), ("next", "/")],
        )
        .await
    }

    /// Signs in with a one-time password and sets [`PASSWORD`] on the way.
    pub async fn sign_in_first_time(&mut self, email: &str, one_time: &str) {
        let p = self.sign_in(email, one_time).await;
        assert_eq!(p.status, 303, "{}", p.body);
        assert_eq!(p.location(), "/account/password");
        let form = self.get("/account/password").await;
        let csrf = form.csrf();
        let p = self
            .post(
                "/account/password",
                &[
                    ("_csrf", &csrf),
                    ("current_password", one_time),
                    ("new_password", PASSWORD),
                    ("confirm_password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
}

/// A new account with `role`; returns its e-mail and one-time password.
pub async fn account(app: &TestApp, role: Role) -> (String, String) {
    let email = format!(
        "{}-{}@example.test",
        role.as_str(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let made = tocsin::auth::create_account(&app.db, &email, role, &Actor::System)
        .await
        .unwrap();
    (email, made.one_time_password)
}

/// A client signed in as a new account with `role`, its password already changed.
pub async fn signed_in(app: &TestApp, role: Role) -> (Client<'_>, String) {
    let (email, one_time) = account(app, role).await;
    let mut c = Client::new(app);
    c.sign_in_first_time(&email, &one_time).await;
    (c, email)
}

/// The body of a valid incident form (as the API's fields).
pub fn incident_form<'a>(csrf: &'a str, title: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("title", title),
        ("summary", "A backup was readable."),
        ("kind", "credential-exposure"),
        ("aware_at", "2026-11-24T09:00"),
        ("channels", "email"),
    ]
}
