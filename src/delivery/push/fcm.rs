//! FCM HTTP v1 on the wire (`wire::fcm`): the service account's OAuth2 access token, fetched
//! once and shared by every concurrent send until shortly before it expires, then
//! `messages:send` per device.
use super::{client, now, retry_after, unanswered};
use crate::config::FcmProvider;
use crate::delivery::channel::{Device, Outgoing};
use crate::delivery::wire::fcm::{self, ServiceAccount, TokenCache};
use crate::delivery::wire::{Fault, ProviderOutcome};
use anyhow::Context;

/// After a failed token request, sends within this many seconds get the same answer instead
/// of asking again: one outage is one request, not one per waiting send.
const FAILURE_MEMO: u64 = 5;

pub(super) struct Fcm {
    client: reqwest::Client,
    account: ServiceAccount,
    send_url: String,
    /// Held while a token is fetched, so concurrent sends wait for that one fetch.
    token: tokio::sync::Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    cache: TokenCache,
    failed: Option<(u64, ProviderOutcome)>,
}

impl Fcm {
    pub(super) fn new(provider: &FcmProvider) -> anyhow::Result<Fcm> {
        let text = std::fs::read_to_string(&provider.credentials).with_context(|| {
            format!(
                "TOCSIN_FCM_CREDENTIALS: reading {}",
                provider.credentials.display()
            )
        })?;
        let account = ServiceAccount::from_json(&text)
            .map_err(|e| anyhow::anyhow!("TOCSIN_FCM_CREDENTIALS: {e}"))?;
        Ok(Fcm {
            client: client().build().context("the FCM HTTP client")?,
            send_url: account.send_url(provider.url.as_str()),
            account,
            token: Default::default(),
        })
    }

    /// Sends to one device; an access token refused mid-life is replaced once.
    pub(super) async fn send(&self, out: &Outgoing, device: &Device) -> ProviderOutcome {
        let token = match self.access_token().await {
            Ok(t) => t,
            Err(outcome) => return outcome,
        };
        let outcome = self.send_with(&token, out, device).await;
        if !matches!(
            outcome,
            ProviderOutcome::Transient {
                fault: Fault::Credentials,
                ..
            }
        ) {
            return outcome;
        }
        self.forget(&token).await;
        match self.access_token().await {
            Ok(token) => self.send_with(&token, out, device).await,
            Err(outcome) => outcome,
        }
    }

    async fn send_with(&self, token: &str, out: &Outgoing, device: &Device) -> ProviderOutcome {
        let body = fcm::send_body(
            &device.token,
            &out.notice.subject_line,
            &out.notice.body_text,
            out.link.as_deref().unwrap_or_default(),
        );
        let res = match self
            .client
            .post(&self.send_url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
        {
            Ok(res) => res,
            Err(e) => return unanswered("fcm", e),
        };
        let status = res.status().as_u16();
        let wait = retry_after(res.headers());
        match res.bytes().await {
            Ok(bytes) => fcm::classify_send(status, &bytes, wait),
            Err(e) => unanswered("fcm", e),
        }
    }

    /// The access token to use: the cached one, or one fetched now (the lock is held during
    /// the fetch, so there is one fetch however many sends wait).
    async fn access_token(&self) -> Result<String, ProviderOutcome> {
        let mut held = self.token.lock().await;
        let now = now();
        if let Some(token) = held.cache.get(now) {
            return Ok(token.to_owned());
        }
        if let Some((at, outcome)) = &held.failed {
            if now < at + FAILURE_MEMO {
                return Err(outcome.clone());
            }
        }
        match self.fetch(now).await {
            Ok(token) => {
                held.failed = None;
                let text = token.token.clone();
                held.cache.store(token);
                Ok(text)
            }
            Err(outcome) => {
                held.failed = Some((now, outcome.clone()));
                Err(outcome)
            }
        }
    }

    async fn fetch(&self, now: u64) -> Result<fcm::AccessToken, ProviderOutcome> {
        let form = self.account.token_request_form(now).map_err(|e| {
            ProviderOutcome::configuration(format!("fcm oauth: signing the assertion failed: {e}"))
        })?;
        let res = self
            .client
            .post(&self.account.token_uri)
            .form(&form)
            .send()
            .await
            .map_err(|e| unanswered("fcm oauth", e))?;
        let status = res.status().as_u16();
        let wait = retry_after(res.headers());
        let body = res.bytes().await.map_err(|e| unanswered("fcm oauth", e))?;
        fcm::parse_token_response(status, &body, now, wait)
    }

    /// Drops `refused` from the cache, unless another send has already replaced it.
    async fn forget(&self, refused: &str) {
        let mut held = self.token.lock().await;
        if held.cache.get(now()) == Some(refused) {
            held.cache.invalidate();
        }
    }
}
