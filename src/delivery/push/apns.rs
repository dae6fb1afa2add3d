//! APNs on the wire (`wire::apns`): HTTP/2 over TLS (rustls; `TOCSIN_APNS_CA` adds a root for
//! a test server), one ES256 provider token reused for up to 50 minutes, and an `apns-id` made
//! from the delivery and the device, so a retry is the same notification to Apple.
use super::{client, now, retry_after, unanswered, TIME_TO_LIVE};
use crate::config::ApnsProvider;
use crate::delivery::channel::{Device, Outgoing};
use crate::delivery::wire::apns::{self, ProviderTokenCache, ProviderTokenSigner};
use crate::delivery::wire::{Fault, ProviderOutcome};
use anyhow::Context;
use std::sync::Mutex;

pub(super) struct Apns {
    client: reqwest::Client,
    base: String,
    topic: String,
    signer: ProviderTokenSigner,
    token: Mutex<ProviderTokenCache>,
}

impl Apns {
    pub(super) fn new(provider: &ApnsProvider) -> anyhow::Result<Apns> {
        let key = std::fs::read_to_string(&provider.key)
            .with_context(|| format!("TOCSIN_APNS_KEY: reading {}", provider.key.display()))?;
        let signer = ProviderTokenSigner::new(&key, &provider.key_id, &provider.team_id)
            .map_err(anyhow::Error::msg)?;
        // APNs speaks HTTP/2 only: no HTTP/1.1 offered in ALPN.
        let mut builder = client().http2_prior_knowledge();
        if let Some(ca) = &provider.ca {
            let pem = std::fs::read(ca)
                .with_context(|| format!("TOCSIN_APNS_CA: reading {}", ca.display()))?;
            let certificate = reqwest::Certificate::from_pem(&pem)
                .context("TOCSIN_APNS_CA: not a PEM certificate")?;
            builder = builder.add_root_certificate(certificate);
        }
        Ok(Apns {
            client: builder.build().context("the APNs HTTP client")?,
            base: provider.url.as_str().trim_end_matches('/').to_owned(),
            topic: provider.topic.clone(),
            signer,
            token: Mutex::new(ProviderTokenCache::default()),
        })
    }

    /// Sends to one device; a provider token refused mid-life is replaced once.
    pub(super) async fn send(&self, out: &Outgoing, device: &Device) -> ProviderOutcome {
        let url = match apns::request_url(&self.base, &device.token) {
            Ok(url) => url,
            Err(reason) => return ProviderOutcome::permanent(format!("apns: {reason}")),
        };
        let payload = match apns::payload(
            &out.notice.subject_line,
            &out.notice.body_text,
            out.link.as_deref().unwrap_or_default(),
        ) {
            Ok(p) => p,
            Err(reason) => return ProviderOutcome::permanent(format!("apns: {reason}")),
        };
        let id = apns_id(out, device);
        let token = self.provider_token();
        let outcome = self.post(&url, &token, &id, &payload).await;
        if !matches!(
            outcome,
            ProviderOutcome::Transient {
                fault: Fault::Credentials,
                ..
            }
        ) {
            return outcome;
        }
        self.forget(&token);
        let token = self.provider_token();
        self.post(&url, &token, &id, &payload).await
    }

    async fn post(&self, url: &str, token: &str, id: &str, payload: &[u8]) -> ProviderOutcome {
        let mut request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload.to_vec());
        for (name, value) in apns::headers(token, &self.topic, id, now() + TIME_TO_LIVE) {
            request = request.header(name, value);
        }
        let res = match request.send().await {
            Ok(res) => res,
            Err(e) => return unanswered("apns", e),
        };
        let status = res.status().as_u16();
        let wait = retry_after(res.headers());
        let answered_id = res
            .headers()
            .get("apns-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match res.bytes().await {
            Ok(body) => {
                // Apple echoes the id it was given; keep ours if it says none.
                let id = answered_id.as_deref().unwrap_or(id);
                apns::classify_send(status, Some(id), &body, wait)
            }
            Err(e) => unanswered("apns", e),
        }
    }

    fn provider_token(&self) -> String {
        let mut cache = self.token.lock().unwrap_or_else(|e| e.into_inner());
        cache.current(&self.signer, now()).to_owned()
    }

    /// Drops `refused` from the cache, unless another send has already replaced it.
    fn forget(&self, refused: &str) {
        let mut cache = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if cache.get(now()) == Some(refused) {
            cache.invalidate();
        }
    }
}

/// The same for every attempt of this delivery to this device, different for another device.
fn apns_id(out: &Outgoing, device: &Device) -> String {
    apns::apns_id(&format!("{}.device.{}", out.idempotency_key, device.id))
}
