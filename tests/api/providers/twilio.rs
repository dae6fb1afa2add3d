//! A local Twilio for the tests: the Messages API as Twilio documents it, in-process on a
//! random loopback port, and Twilio's side of status callbacks.
//!
//! - `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: basic auth with [`ACCOUNT`] and
//!   [`TOKEN`] (else 401, error 20003), a form with `To`, `Body` and `From` or
//!   `MessagingServiceSid` (else 400, 21604 / 21602 / 21603); answers 201 with a message
//!   resource (`sid` "SM…", `status` "queued", …), or the documented error a test set for that
//!   destination ([`Answer`]). Every request is recorded, accepted or not.
//! - [`TwilioServer::report`] POSTs a status callback to the `StatusCallback` the app gave,
//!   signed the way Twilio signs (`X-Twilio-Signature`: base64 HMAC-SHA1 with the auth token
//!   over the URL and the form's names and values sorted by name), computed here
//!   independently of the app's code.
#![allow(dead_code)] // shared by the channels' tests; not each uses every helper

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const FROM: &str = "+15005550006";

/// What the server answers a destination, other than accepting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 400, error 21211: not a valid phone number.
    InvalidNumber,
    /// 400, error 21610: the recipient replied STOP.
    Unsubscribed,
    /// 400, error 21614: not a mobile number.
    NotMobile,
    /// 429, error 20429, with `Retry-After: secs`.
    TooManyRequests { retry_after_secs: u64 },
    /// 500, error 20500.
    ServerError,
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Request {
    /// The account in the path.
    pub account: String,
    /// The form as sent, in order.
    pub form: Vec<(String, String)>,
    /// The HTTP status answered.
    pub status: u16,
    /// The message SID given, when accepted.
    pub sid: Option<String>,
}

impl Request {
    /// The first value of a form field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn to(&self) -> &str {
        self.field("To").unwrap_or_default()
    }

    pub fn body(&self) -> &str {
        self.field("Body").unwrap_or_default()
    }
}

#[derive(Default)]
struct Shared {
    requests: Vec<Request>,
    answers: HashMap<String, Answer>,
}

type SharedState = Arc<Mutex<Shared>>;

fn lock(s: &SharedState) -> std::sync::MutexGuard<'_, Shared> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The server; serves until dropped.
pub struct TwilioServer {
    addr: SocketAddr,
    shared: SharedState,
    task: tokio::task::JoinHandle<()>,
    client: reqwest::Client,
}

impl TwilioServer {
    pub async fn start() -> TwilioServer {
        let shared = SharedState::default();
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create_message),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TwilioServer {
            addr,
            shared,
            task,
            client: reqwest::Client::new(),
        }
    }

    /// The app's `TOCSIN_SMS_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `TOCSIN_SMS_*` settings pointing the app here, sending from [`FROM`].
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TOCSIN_SMS_URL", self.url()),
            ("TOCSIN_SMS_ACCOUNT", ACCOUNT.into()),
            ("TOCSIN_SMS_TOKEN", TOKEN.into()),
            ("TOCSIN_SMS_FROM", FROM.into()),
        ]
    }

    /// From now on, answer messages to `to` with `answer`.
    pub fn answer(&self, to: &str, answer: Answer) {
        lock(&self.shared).answers.insert(to.to_owned(), answer);
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared).requests.clone()
    }

    /// The requests accepted (201), in order.
    pub fn accepted(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.status == 201)
            .collect()
    }

    /// Reports `status` (and `error_code`) for an accepted message to the `StatusCallback` it
    /// named, signed as Twilio signs. Returns the app's status and body.
    pub async fn report(
        &self,
        sent: &Request,
        status: &str,
        error_code: Option<u32>,
    ) -> (u16, String) {
        let url = sent.field("StatusCallback").expect("a StatusCallback");
        let params = callback_params(sent, status, error_code);
        let signature = sign(TOKEN, url, &params);
        self.post_callback(url, &params, Some(&signature)).await
    }

    /// POSTs a status callback form to `url` with the given signature header (if any).
    pub async fn post_callback(
        &self,
        url: &str,
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> (u16, String) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let mut req = self
            .client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(s) = signature {
            req = req.header("x-twilio-signature", s);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }
}

impl Drop for TwilioServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The form of a status callback as Twilio sends it for an SMS.
pub fn callback_params(
    sent: &Request,
    status: &str,
    error_code: Option<u32>,
) -> Vec<(String, String)> {
    let sid = sent.sid.clone().expect("an accepted message");
    let mut p = vec![
        ("AccountSid", ACCOUNT.to_owned()),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("From", sent.field("From").unwrap_or(FROM).to_owned()),
        ("MessageSid", sid.clone()),
        ("MessageStatus", status.to_owned()),
        ("SmsSid", sid),
        ("SmsStatus", status.to_owned()),
        ("To", sent.to().to_owned()),
    ];
    if let Some(code) = error_code {
        p.push(("ErrorCode", code.to_string()));
    }
    p.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Twilio's request signature: base64(HMAC-SHA1(token, url + each name and value, sorted by
/// name)).
pub fn sign(token: &str, url: &str, params: &[(String, String)]) -> String {
    use base64::Engine;
    use hmac::Mac;
    let mut sorted = params.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut data = url.to_owned();
    for (k, v) in &sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (status, axum::Json(body)).into_response()
}

fn authorised(headers: &HeaderMap) -> bool {
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"))
    );
    headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == expected.as_bytes())
}

async fn create_message(
    State(shared): State<SharedState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let mut request = Request {
        account: account.clone(),
        form,
        status: 0,
        sid: None,
    };
    let to = request.to().to_owned();
    let answer = lock(&shared).answers.get(&to).copied();
    let res = respond(&headers, &account, &mut request, answer);
    request.status = res.status().as_u16();
    lock(&shared).requests.push(request);
    res
}

fn respond(
    headers: &HeaderMap,
    account: &str,
    r: &mut Request,
    answer: Option<Answer>,
) -> Response {
    if !authorised(headers) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    if account != ACCOUNT {
        return error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        );
    }
    let form_ok = headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    if !form_ok || r.to().is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' phone number is required.",
        );
    }
    if r.field("From").is_none() && r.field("MessagingServiceSid").is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            21603,
            "A 'From' phone number is required.",
        );
    }
    if r.body().is_empty() {
        return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    }
    match answer {
        Some(Answer::InvalidNumber) => {
            let m = format!("The 'To' number {} is not a valid phone number.", r.to());
            return error(StatusCode::BAD_REQUEST, 21211, &m);
        }
        Some(Answer::Unsubscribed) => {
            let m = "Attempt to send to unsubscribed recipient";
            return error(StatusCode::BAD_REQUEST, 21610, m);
        }
        Some(Answer::NotMobile) => {
            let m = "'To' number is not a valid mobile number";
            return error(StatusCode::BAD_REQUEST, 21614, m);
        }
        Some(Answer::TooManyRequests { retry_after_secs }) => {
            let mut res = error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests");
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after_secs.into());
            return res;
        }
        Some(Answer::ServerError) => {
            let m = "Internal Server Error";
            return error(StatusCode::INTERNAL_SERVER_ERROR, 20500, m);
        }
        None => {}
    }
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    r.sid = Some(sid.clone());
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let segments = tocsin::delivery::wire::sms_text::count(r.body()).segments;
    let body: Value = json!({
        "account_sid": ACCOUNT,
        "api_version": "2010-04-01",
        "body": r.body(),
        "date_created": date,
        "date_sent": null,
        "date_updated": date,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": r.field("From"),
        "messaging_service_sid": r.field("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": segments.to_string(),
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {
            "media": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}/Media.json")
        },
        "to": r.to(),
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json"),
    });
    (StatusCode::CREATED, axum::Json(body)).into_response()
}
