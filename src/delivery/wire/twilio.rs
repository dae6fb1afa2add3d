//! SMS through a Twilio-compatible Messages API.
//!
//! Send: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, basic auth (account SID, auth
//! token), form fields `To`, `From` (or `MessagingServiceSid` when the configured sender starts
//! with `MG`), `Body`, `StatusCallback`. A 201 carries `{"sid", "status", …}`; an error carries
//! `{"code", "message", "more_info", "status"}`, whose `message` may quote the number and is
//! therefore never kept. Later, status callbacks report delivery (`MessageStatus`, `ErrorCode`),
//! signed with `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, URL + sorted name+value)).
//!
//! How answers are classified (error codes from the send response and from callbacks alike):
//!
//! | code / status | meaning (Twilio's docs) | outcome |
//! |---|---|---|
//! | 201 | message queued | accepted, `sid` |
//! | 21211 | invalid `To` number | permanent, dead number |
//! | 21610 | recipient replied STOP to this sender | permanent, dead number (only they can undo it) |
//! | 21614 | `To` is not a mobile number | permanent, dead number |
//! | 21612 | `To` cannot be reached from this sender | permanent |
//! | 21602, 21617 | body missing or too long | permanent (our message, not the number) |
//! | 21408, 21606, 21608 | region not enabled, `From` cannot send SMS, trial account | transient, configuration |
//! | 20003, HTTP 401 / 403 | credentials refused | transient, configuration: a wrong token must not mark people unreachable |
//! | 20404 | account or resource not found | transient, configuration |
//! | 30002 | account suspended | transient, configuration |
//! | 20429, HTTP 429 | too many requests | transient, after `Retry-After` |
//! | 30001 | queue overflow | transient |
//! | 30003 | handset unreachable (off, no signal); Twilio: may be temporary, retry | transient |
//! | 30004 | message blocked (by the recipient or their carrier) | permanent |
//! | 30005 | unknown destination handset: number no longer in service | permanent, dead number |
//! | 30006 | landline or unreachable carrier: cannot receive SMS | permanent, dead number |
//! | 30007 | filtered as spam by the carrier | permanent (the content or sender, not the number) |
//! | 30008 | unknown error; Twilio: try again | transient |
//! | other code, HTTP 5xx | | by HTTP status: 5xx transient, other 4xx permanent |
use super::{code_text, ProviderOutcome};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::time::Duration;

/// Who a message comes from: a phone number (or alphanumeric id), or a messaging service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    From(String),
    MessagingService(String),
}

impl Sender {
    /// Reads `TOCSIN_SMS_FROM`: a messaging service SID starts with `MG`.
    pub fn parse(configured: &str) -> Sender {
        let value = configured.trim();
        if value.starts_with("MG") {
            Sender::MessagingService(value.to_owned())
        } else {
            Sender::From(value.to_owned())
        }
    }
}

/// The Messages resource of an account. The SID goes into the path, so it is checked to be a
/// plain identifier.
pub fn messages_url(base: &str, account_sid: &str) -> Result<String, String> {
    if account_sid.is_empty() || !account_sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("TOCSIN_SMS_ACCOUNT must be an account SID (letters and digits)".into());
    }
    Ok(format!(
        "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
        base.trim_end_matches('/')
    ))
}

/// The `Authorization` header for basic auth with the account SID and auth token.
pub fn basic_authorization(account_sid: &str, auth_token: &str) -> String {
    use base64::Engine;
    let pair = format!("{account_sid}:{auth_token}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The form fields of one message, in the order sent.
pub fn message_form(
    to: &str,
    sender: &Sender,
    body: &str,
    status_callback: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut form = vec![("To", to.to_owned())];
    match sender {
        Sender::From(from) => form.push(("From", from.clone())),
        Sender::MessagingService(sid) => form.push(("MessagingServiceSid", sid.clone())),
    }
    form.push(("Body", body.to_owned()));
    if let Some(url) = status_callback {
        form.push(("StatusCallback", url.to_owned()));
    }
    form
}

/// `application/x-www-form-urlencoded` of a form.
pub fn encode_form(form: &[(&str, String)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in form {
        out.append_pair(name, value);
    }
    out.finish()
}

#[derive(serde::Deserialize)]
struct Created {
    sid: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(serde::Deserialize)]
struct ApiError {
    code: Option<u32>,
}

/// Classifies the answer to a send. `retry_after` is the parsed `Retry-After` header, if any.
pub fn classify_send(status: u16, body: &[u8], retry_after: Option<Duration>) -> ProviderOutcome {
    if (200..300).contains(&status) {
        return match serde_json::from_slice::<Created>(body) {
            Ok(created) if is_sid(&created.sid) => match created.status.as_deref() {
                // Rare on create, but possible: the message is already dead.
                Some("failed") | Some("undelivered") | Some("canceled") => {
                    ProviderOutcome::permanent(format!(
                        "twilio: message {} was {} on creation",
                        created.sid,
                        code_text(created.status.as_deref().unwrap_or_default())
                    ))
                }
                _ => ProviderOutcome::accepted(created.sid),
            },
            _ => ProviderOutcome::transient(
                format!("twilio: HTTP {status} without a message SID in the answer"),
                None,
            ),
        };
    }
    let code = serde_json::from_slice::<ApiError>(body)
        .ok()
        .and_then(|e| e.code);
    match code.and_then(|code| classify_code(code, retry_after)) {
        Some(outcome) => outcome,
        // Basic auth has no short-lived credential to renew: a refusal is configuration.
        None if status == 401 || status == 403 => ProviderOutcome::configuration(format!(
            "twilio: HTTP {status}, account SID or auth token refused"
        )),
        None => {
            let mut outcome = ProviderOutcome::from_status("twilio", status, retry_after);
            if let (Some(code), ProviderOutcome::Permanent { reason, .. }) = (code, &mut outcome) {
                reason.push_str(&format!(" (error {code})"));
            }
            outcome
        }
    }
}

/// The outcome a Twilio error code stands for, when the table above names it.
pub fn classify_code(code: u32, retry_after: Option<Duration>) -> Option<ProviderOutcome> {
    let reason = |text: &str| format!("twilio {code}: {text}");
    Some(match code {
        21211 => ProviderOutcome::dead_token(reason("not a valid phone number")),
        21610 => ProviderOutcome::dead_token(reason("the recipient unsubscribed (STOP)")),
        21614 => ProviderOutcome::dead_token(reason("not a mobile number")),
        21612 => ProviderOutcome::permanent(reason("number not reachable from this sender")),
        21602 => ProviderOutcome::permanent(reason("message body missing")),
        21617 => ProviderOutcome::permanent(reason("message body too long")),
        21408 => ProviderOutcome::configuration(reason("sending to this region is not enabled")),
        21606 => ProviderOutcome::configuration(reason("the sender cannot send SMS")),
        21608 => ProviderOutcome::configuration(reason("trial account: number not verified")),
        20003 => ProviderOutcome::configuration(reason("authentication failed")),
        20404 => ProviderOutcome::configuration(reason("account or resource not found")),
        30002 => ProviderOutcome::configuration(reason("account suspended")),
        20429 => ProviderOutcome::transient(reason("too many requests"), retry_after),
        30001 => ProviderOutcome::transient(reason("queue overflow"), retry_after),
        30003 => ProviderOutcome::transient(reason("handset unreachable"), None),
        30004 => ProviderOutcome::permanent(reason("message blocked")),
        30005 => ProviderOutcome::dead_token(reason("unknown destination handset")),
        30006 => ProviderOutcome::dead_token(reason("landline or unreachable carrier")),
        30007 => ProviderOutcome::permanent(reason("filtered by the carrier")),
        30008 => ProviderOutcome::transient(reason("unknown delivery error"), None),
        _ => return None,
    })
}

/// A message SID: `SM`/`MM` and hex digits. Anything else in a 201 is not Twilio's answer.
fn is_sid(sid: &str) -> bool {
    sid.len() >= 10 && sid.len() <= 64 && sid.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Where a message is, as a status callback reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageStatus {
    Accepted,
    Scheduled,
    Queued,
    Sending,
    Sent,
    Delivered,
    Read,
    Undelivered,
    Failed,
    Canceled,
    /// A status this code does not know (kept as a safe identifier).
    Other(String),
}

impl MessageStatus {
    pub fn parse(value: &str) -> MessageStatus {
        match value {
            "accepted" => MessageStatus::Accepted,
            "scheduled" => MessageStatus::Scheduled,
            "queued" => MessageStatus::Queued,
            "sending" => MessageStatus::Sending,
            "sent" => MessageStatus::Sent,
            "delivered" => MessageStatus::Delivered,
            "read" => MessageStatus::Read,
            "undelivered" => MessageStatus::Undelivered,
            "failed" => MessageStatus::Failed,
            "canceled" => MessageStatus::Canceled,
            other => MessageStatus::Other(code_text(other)),
        }
    }

    /// No further callback changes the outcome.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            MessageStatus::Delivered
                | MessageStatus::Read
                | MessageStatus::Undelivered
                | MessageStatus::Failed
                | MessageStatus::Canceled
        )
    }
}

/// One status callback, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    pub message_sid: String,
    pub account_sid: Option<String>,
    pub status: MessageStatus,
    pub error_code: Option<u32>,
}

impl StatusCallback {
    /// Reads the callback's form fields (`MessageSid`, `MessageStatus`, `ErrorCode`,
    /// `AccountSid`; older callbacks say `SmsSid` / `SmsStatus`). Other fields are ignored.
    pub fn parse(params: &[(String, String)]) -> Result<StatusCallback, String> {
        let field = |names: &[&str]| {
            names.iter().find_map(|name| {
                params
                    .iter()
                    .find(|(n, v)| n == name && !v.is_empty())
                    .map(|(_, v)| v.as_str())
            })
        };
        let message_sid = field(&["MessageSid", "SmsSid"])
            .filter(|sid| is_sid(sid))
            .ok_or("status callback without a valid MessageSid")?;
        let status = field(&["MessageStatus", "SmsStatus"])
            .map(MessageStatus::parse)
            .ok_or("status callback without MessageStatus")?;
        let error_code = match field(&["ErrorCode"]) {
            None => None,
            Some(code) => Some(
                code.parse::<u32>()
                    .map_err(|_| "status callback with an ErrorCode that is not a number")?,
            ),
        };
        Ok(StatusCallback {
            message_sid: message_sid.to_owned(),
            account_sid: field(&["AccountSid"]).map(str::to_owned),
            status,
            error_code,
        })
    }

    /// What the callback means for the delivery: accepted when delivered (or read), a
    /// classified failure when undelivered or failed, `None` while the message is on its way.
    pub fn outcome(&self) -> Option<ProviderOutcome> {
        match &self.status {
            MessageStatus::Delivered | MessageStatus::Read => {
                Some(ProviderOutcome::accepted(self.message_sid.clone()))
            }
            MessageStatus::Undelivered | MessageStatus::Failed | MessageStatus::Canceled => {
                let known = self.error_code.and_then(|code| classify_code(code, None));
                Some(known.unwrap_or_else(|| {
                    let code = self.error_code.map(|c| format!(" (error {c})"));
                    ProviderOutcome::permanent(format!(
                        "twilio: message {}{}",
                        match self.status {
                            MessageStatus::Failed => "failed",
                            MessageStatus::Canceled => "canceled",
                            _ => "undelivered",
                        },
                        code.unwrap_or_default()
                    ))
                }))
            }
            _ => None,
        }
    }
}

type HmacSha1 = Hmac<Sha1>;

fn signing_mac(auth_token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The `X-Twilio-Signature` Twilio computes for a POST to `url` with these form parameters.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    use base64::Engine;
    let digest = signing_mac(auth_token, url, params).finalize().into_bytes();
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// Whether `header` is Twilio's signature of this request, compared in constant time. The URL
/// is the full URL Twilio was given (with its query string); like Twilio's own helpers, the
/// check also accepts it with the default port added or removed, which proxies change.
pub fn verify_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: &str,
) -> bool {
    use base64::Engine;
    let Ok(claimed) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
        return false;
    };
    if auth_token.is_empty() || claimed.len() != 20 {
        return false;
    }
    url_variants(url).iter().any(|candidate| {
        signing_mac(auth_token, candidate, params)
            .verify_slice(&claimed)
            .is_ok()
    })
}

/// The URL as given, plus the same URL with its default port written out (when it has none)
/// or left out (when it names the default one).
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    let Ok(parsed) = url::Url::parse(url) else {
        return variants;
    };
    let (Some(default_port), Some(scheme_end)) = (parsed.port_or_known_default(), url.find("://"))
    else {
        return variants;
    };
    let start = scheme_end + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let host_start = url[start..end].rfind('@').map_or(start, |i| start + i + 1);
    let host_port = &url[host_start..end];
    let port_colon = if host_port.starts_with('[') {
        host_port.find("]:").map(|i| i + 1)
    } else {
        host_port.rfind(':')
    };
    let (head, tail) = (&url[..host_start], &url[end..]);
    match port_colon {
        None => variants.push(format!("{head}{host_port}:{default_port}{tail}")),
        Some(colon) if parsed.port().is_none() => {
            variants.push(format!("{head}{}{tail}", &host_port[..colon]));
        }
        Some(_) => {}
    }
    variants
}

#[cfg(test)]
#[path = "twilio_tests.rs"]
mod tests;
