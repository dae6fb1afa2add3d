//! Web Push on the wire (`wire::webpush`): the payload encrypted to the browser's keys
//! (RFC 8291), a VAPID token for the push service's origin (RFC 8292), and only to endpoints the
//! allow-list admits: an imported subscription must not make this server call any URL it names.
use super::{client, now, retry_after, unanswered, TIME_TO_LIVE};
use crate::config::VapidProvider;
use crate::delivery::channel::{Device, Outgoing};
use crate::delivery::wire::webpush::{self, EndpointPolicy, Subscription, Vapid};
use crate::delivery::wire::ProviderOutcome;
use anyhow::Context;

pub(super) struct WebPush {
    client: reqwest::Client,
    vapid: Vapid,
    policy: EndpointPolicy,
}

impl WebPush {
    pub(super) fn new(provider: &VapidProvider, allow: &[String]) -> anyhow::Result<WebPush> {
        Ok(WebPush {
            client: client().build().context("the Web Push HTTP client")?,
            vapid: Vapid::new(&provider.key, &provider.subject).map_err(anyhow::Error::msg)?,
            policy: EndpointPolicy::new(allow)
                .map_err(|e| anyhow::anyhow!("TOCSIN_WEBPUSH_ALLOW: {e}"))?,
        })
    }

    /// Sends to one subscription. A subscription that cannot be used (unreadable, or an
    /// endpoint off the allow-list) fails permanently without a request; it is not dead, as
    /// no push service said so.
    pub(super) async fn send(&self, out: &Outgoing, device: &Device) -> ProviderOutcome {
        let subscription = match Subscription::parse(&device.token) {
            Ok(s) => s,
            Err(reason) => return ProviderOutcome::permanent(reason),
        };
        if let Err(reason) = self.policy.check(&subscription.endpoint) {
            return ProviderOutcome::permanent(reason);
        }
        let body = webpush::notification_payload(
            &out.notice.subject_line,
            &out.notice.body_text,
            out.link.as_deref().unwrap_or_default(),
        )
        .and_then(|plaintext| webpush::encrypt(&subscription, &plaintext));
        let body = match body {
            Ok(b) => b,
            Err(reason) => return ProviderOutcome::permanent(format!("web push: {reason}")),
        };
        let authorization = self.vapid.authorization(&subscription.endpoint, now());
        let mut request = self.client.post(subscription.endpoint.clone()).body(body);
        for (name, value) in webpush::headers(&authorization, TIME_TO_LIVE as u32) {
            request = request.header(name, value);
        }
        let res = match request.send().await {
            Ok(res) => res,
            Err(e) => return unanswered("web push", e),
        };
        let status = res.status().as_u16();
        let wait = retry_after(res.headers());
        let location = res
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        webpush::classify_send(status, location.as_deref(), wait)
    }
}
