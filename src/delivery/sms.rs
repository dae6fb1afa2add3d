//! SMS out: through a Twilio-compatible Messages API (`TOCSIN_SMS_URL`), or as JSON files in
//! the outbox folder (`sms/delivery-{id}.json`) when no provider is configured.
//!
//! The text sent is the notice's `body_text` as composed (and approved): it already names the
//! organisation and holds the person's link. Every message asks the provider to report its fate
//! to `POST /api/v1/delivery/sms/status` (`callbacks`), which moves the delivery to delivered or
//! undelivered. Answers are classified by `wire::twilio`; a fault of our own configuration (a
//! refused token, a suspended account) is retried like an outage, never held against the
//! person, and raised to the operator at error level once per burst.
use super::callbacks::SMS_STATUS_PATH;
use super::channel::{Attempt, Outcome, Outgoing, Transport};
use super::wire::sms_text::{self, Encoding};
use super::wire::twilio::{self, Sender};
use super::wire::{self, Fault, ProviderOutcome};
use crate::config::Settings;
use crate::domain::Channel;
use crate::links::Links;
use anyhow::Context;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

/// The most of a provider's answer that is read: Twilio's are a few hundred bytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The SMS transport.
pub struct Sms {
    route: Route,
}

enum Route {
    Twilio(Box<Twilio>),
    Files(PathBuf),
}

/// A Twilio-compatible Messages API. No `Debug`: it holds the auth token.
struct Twilio {
    /// One client for every message: its connections are kept alive and reused.
    client: reqwest::Client,
    messages_url: String,
    /// `Basic …` of the account SID and auth token, built once.
    authorization: String,
    sender: Sender,
    /// Where the provider reports delivery (the public URL of the status callback).
    status_callback: String,
    alarm: Alarm,
}

impl Sms {
    /// The provider of `settings.channels.sms`, or the outbox folder without one. `links`
    /// give the public URL of the status callback.
    pub fn from_settings(settings: &Settings, links: &Links) -> anyhow::Result<Sms> {
        let Some(p) = &settings.channels.sms else {
            return Ok(Sms {
                route: Route::Files(settings.outbox_dir.join("sms")),
            });
        };
        let messages_url = twilio::messages_url(p.url.as_str(), &p.account)
            .map_err(|e| anyhow::anyhow!(e))
            .context("TOCSIN_SMS_ACCOUNT")?;
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(settings.send_concurrency)
            .tcp_keepalive(Duration::from_secs(60))
            // A POST carrying credentials is never re-sent somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tocsin/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the SMS provider's HTTP client")?;
        Ok(Sms {
            route: Route::Twilio(Box::new(Twilio {
                client,
                messages_url,
                authorization: twilio::basic_authorization(&p.account, &p.token),
                sender: Sender::parse(&p.from),
                status_callback: links.to(SMS_STATUS_PATH),
                alarm: Alarm::default(),
            })),
        })
    }
}

#[async_trait::async_trait]
impl Transport for Sms {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    /// The delivery's idempotency key: the same for every attempt.
    fn identity(&self, out: &Outgoing) -> String {
        out.idempotency_key.clone()
    }

    async fn send(&self, out: &Outgoing) -> Attempt {
        let Some(to) = out.notice.recipient.as_deref().filter(|t| !t.is_empty()) else {
            return Outcome::Permanent("no phone number".into()).into();
        };
        match &self.route {
            Route::Twilio(t) => t.send(to, &out.notice.body_text).await.into(),
            Route::Files(dir) => write_file(dir, out, to).await.into(),
        }
    }
}

impl Twilio {
    async fn send(&self, to: &str, body: &str) -> Outcome {
        let form = twilio::message_form(to, &self.sender, body, Some(&self.status_callback));
        let sent = self
            .client
            .post(&self.messages_url)
            .header(AUTHORIZATION, &self.authorization)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(twilio::encode_form(&form))
            .send()
            .await;
        let res = match sent {
            Ok(res) => res,
            Err(e) => return Outcome::transient(network_reason(&e)),
        };
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| wire::parse_retry_after(v, SystemTime::now()));
        let answer = match read_capped(res).await {
            Ok(body) => body,
            Err(e) => return Outcome::transient(network_reason(&e)),
        };
        let classified = twilio::classify_send(status, &answer, retry_after);
        self.watch(&classified);
        outcome(classified)
    }

    /// Raises the alarm on the first fault of our own configuration since the provider last
    /// took a request; lowers it once the provider takes one again.
    fn watch(&self, classified: &ProviderOutcome) {
        match classified {
            ProviderOutcome::Transient {
                reason,
                fault: Fault::Configuration | Fault::Credentials,
                ..
            } => {
                if self.alarm.raise() {
                    // The reason is fixed wording and codes: never the token, never a number.
                    tracing::error!(
                        reason = %reason,
                        "the SMS provider refuses our account or configuration; SMS stay \
                         pending until an operator fixes TOCSIN_SMS_*"
                    );
                } else {
                    tracing::debug!(reason = %reason, "the SMS provider still refuses us");
                }
            }
            ProviderOutcome::Accepted { .. } | ProviderOutcome::Permanent { .. } => {
                self.alarm.lower()
            }
            ProviderOutcome::Transient { .. } => {}
        }
    }
}

/// What a provider's classified answer means for the delivery.
fn outcome(p: ProviderOutcome) -> Outcome {
    match p {
        ProviderOutcome::Accepted { provider_id } => Outcome::Sent(provider_id),
        ProviderOutcome::Permanent { reason, .. } => Outcome::Permanent(reason),
        ProviderOutcome::Transient {
            reason,
            retry_after,
            ..
        } => Outcome::Transient {
            reason,
            retry_after,
        },
    }
}

/// Fixed wording: a transport error's text would name the URL and may grow more.
fn network_reason(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    format!("SMS provider: {what}")
}

async fn read_capped(mut res: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        let room = MAX_ANSWER_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_ANSWER_BYTES {
            break;
        }
    }
    Ok(body)
}

/// One SMS as the file transport writes it.
#[derive(serde::Serialize)]
struct SmsFile<'a> {
    to: &'a str,
    /// No sender without a provider.
    from: Option<&'a str>,
    body: &'a str,
    segments: usize,
    encoding: &'static str,
    idempotency_key: &'a str,
}

/// The name of an encoding as previews show it.
fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Gsm7 => "GSM-7",
        Encoding::Ucs2 => "UCS-2",
    }
}

async fn write_file(dir: &std::path::Path, out: &Outgoing, to: &str) -> Outcome {
    let body = &out.notice.body_text;
    let count = sms_text::count(body);
    let file = SmsFile {
        to,
        from: None,
        body,
        segments: count.segments,
        encoding: encoding_name(count.encoding),
        idempotency_key: &out.idempotency_key,
    };
    let bytes = match serde_json::to_vec_pretty(&file) {
        Ok(b) => b,
        Err(e) => return Outcome::transient(format!("SMS file: {e}")),
    };
    let name = format!("delivery-{}.json", out.delivery_id);
    match super::files::write_private(dir, &name, bytes).await {
        Ok(path) => Outcome::Sent(path),
        Err(e) => Outcome::transient(format!("outbox folder: {e:#}")),
    }
}

/// Whether an operator alarm is up: raised by the first fault of a burst, lowered when the
/// provider takes a request again, so a long outage logs one error, not one per message.
#[derive(Default)]
struct Alarm(AtomicBool);

impl Alarm {
    /// Raises the alarm; true when it was down (this is the first fault of a burst).
    fn raise(&self) -> bool {
        !self.0.swap(true, Ordering::Relaxed)
    }

    fn lower(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alarm_is_raised_once_per_burst_of_faults() {
        let alarm = Alarm::default();
        assert!(alarm.raise(), "the first fault raises it");
        assert!(!alarm.raise(), "the next ones of the burst do not");
        alarm.lower();
        assert!(alarm.raise(), "a fault after a success starts a new burst");
    }

    #[test]
    fn provider_answers_become_outcomes_the_dispatcher_knows() {
        assert_eq!(
            outcome(ProviderOutcome::accepted("SM0123456789")),
            Outcome::Sent("SM0123456789".into())
        );
        assert_eq!(
            outcome(ProviderOutcome::dead_token("twilio 21211: x")),
            Outcome::Permanent("twilio 21211: x".into())
        );
        assert_eq!(
            outcome(ProviderOutcome::configuration("twilio 20003: y")),
            Outcome::transient("twilio 20003: y"),
            "our configuration's fault never makes a person unreachable"
        );
        assert_eq!(
            outcome(ProviderOutcome::transient(
                "twilio 20429: z",
                Some(Duration::from_secs(9))
            )),
            Outcome::Transient {
                reason: "twilio 20429: z".into(),
                retry_after: Some(Duration::from_secs(9))
            }
        );
    }
}
