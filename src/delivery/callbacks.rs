//! Providers' later word on messages already sent. `POST /api/v1/delivery/sms/status` is
//! Twilio's status callback: no bearer token (Twilio has none of ours), so it is believed only
//! with a valid `X-Twilio-Signature` (HMAC-SHA1 with our auth token over the full public URL
//! and the sorted form parameters) and for our account SID; anything else is 403 and changes
//! nothing.
//!
//! `delivered` (or `read`) moves the delivery to delivered; `undelivered`, `failed` or
//! `canceled` to undelivered, and the person is then tried on their next channel through the
//! dispatcher's one fallback path, in the same transaction. Statuses on the way (`queued`,
//! `sent`, …) change nothing. The answer is an empty TwiML `<Response/>`.
use super::dispatcher::fall_back;
use super::status::DeliveryStatus;
use super::store;
use super::wire::twilio::{self, StatusCallback};
use super::wire::ProviderOutcome;
use crate::app::AppState;
use crate::domain::Channel;
use crate::error::{AppError, AppResult};
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use sea_orm::TransactionTrait;
use std::collections::HashMap;

/// Where Twilio reports the fate of each SMS (the `StatusCallback` of every message).
pub const SMS_STATUS_PATH: &str = "/api/v1/delivery/sms/status";

pub fn routes() -> Router<AppState> {
    Router::new().route(SMS_STATUS_PATH, post(sms_status))
}

const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

async fn sms_status(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let Some(provider) = &state.settings.channels.sms else {
        return Err(AppError::Forbidden(
            "no SMS provider is configured, so no status callback is expected".into(),
        ));
    };
    let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    // Twilio signs the URL it was given: ours, under the public base, with any query string.
    let mut url = state.links.to(SMS_STATUS_PATH);
    if let Some(q) = uri.query() {
        url.push('?');
        url.push_str(q);
    }
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !twilio::verify_signature(&provider.token, &url, &params, signature) {
        tracing::warn!("SMS status callback refused: missing or invalid X-Twilio-Signature");
        return Err(AppError::Forbidden(
            "missing or invalid X-Twilio-Signature".into(),
        ));
    }
    let cb =
        StatusCallback::parse(&params).map_err(|e| AppError::bad_request("invalid_callback", e))?;
    if cb.account_sid.as_deref() != Some(provider.account.as_str()) {
        tracing::warn!("SMS status callback refused: not for our account");
        return Err(AppError::Forbidden(
            "the callback is not for this account".into(),
        ));
    }
    apply(&state, &cb).await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        EMPTY_TWIML,
    )
        .into_response())
}

/// Records a final status (and falls back on undelivered) in one transaction.
async fn apply(state: &AppState, cb: &StatusCallback) -> anyhow::Result<()> {
    let Some(outcome) = cb.outcome() else {
        return Ok(()); // still on its way
    };
    let (status, reason) = match &outcome {
        ProviderOutcome::Accepted { .. } => (DeliveryStatus::Delivered, None),
        other => (DeliveryStatus::Undelivered, Some(other.reason())),
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let changed =
        store::provider_status(&txn, Channel::Sms, &cb.message_sid, status, reason, now).await?;
    let next = match &changed {
        Some(c) if status == DeliveryStatus::Undelivered => {
            fall_back(
                &txn,
                &mut HashMap::new(),
                c,
                state.settings.max_attempts,
                now,
            )
            .await?
        }
        _ => None,
    };
    if let Some(c) = &changed {
        let mut entries = vec![crate::evidence::Entry::new(
            c.incident_id,
            c.id,
            c.subject_id,
            Channel::Sms,
            crate::evidence::Event::ProviderStatus(match status {
                DeliveryStatus::Delivered => crate::evidence::ProviderStatus::Delivered,
                _ => crate::evidence::ProviderStatus::Undelivered,
            }),
            now,
        )
        .provider_ref(cb.message_sid.clone())];
        if let Some(to) = next {
            entries.push(crate::evidence::Entry::new(
                c.incident_id,
                c.id,
                c.subject_id,
                Channel::Sms,
                crate::evidence::Event::FellBack { to },
                now,
            ));
        }
        crate::evidence::append_batch(&txn, &entries).await?;
    }
    txn.commit().await?;
    tracing::debug!(
        delivery.id = changed.as_ref().map(|c| c.id),
        status = status.as_str(),
        next = next.map_or("none", |c| c.as_str()),
        "SMS status callback"
    );
    if next.is_some() {
        state.dispatch_wakeup.notify_one();
    }
    Ok(())
}
