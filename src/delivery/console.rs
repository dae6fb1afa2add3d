//! `/incidents/{id}/delivery` in the console: before sending, the plan (`dispatch::plan`: people
//! per channel, SMS segments and cost, how long at the configured rates, the deadline warning)
//! and the Dispatch button; after, live progress per channel (a fragment htmx polls every few
//! seconds until nothing is pending) as a bar chart with a text alternative and a data table,
//! failures by reason, and pause, resume and cancel where the delivery's state allows. Each
//! action goes through the same use cases as `api.rs` (`dispatch`, `control`).
use super::dispatch::{control, dispatch, plan, DispatchError, Options};
use super::progress::{self, Counts, Progress};
use crate::app::AppState;
use crate::auth::Action;
use crate::domain::Severity;
use crate::error::AppError;
use crate::incidents::{self, DeliveryState, Incident};
use crate::web::console::{tabs, Console, Flash, FormData, Locale, PageError, PageResult};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents/{id}/delivery", get(show))
        .route("/incidents/{id}/delivery/progress", get(fragment))
        .route("/incidents/{id}/dispatch", post(start))
        .route("/incidents/{id}/delivery/{action}", post(set_state))
}

/// Seconds between two polls of the progress fragment.
const POLL_SECONDS: u32 = 3;
/// Failure groups shown.
const REASONS_SHOWN: i64 = 20;

/// The buckets of a bar, in the order they are drawn, with their words.
const BUCKETS: &[(&str, &str)] = &[
    ("sent", "sent"),
    ("pending", "on their way"),
    ("failed", "failed"),
    ("unreachable", "unreachable"),
    ("cancelled", "cancelled"),
];

fn bucket(c: &Counts, name: &str) -> i64 {
    match name {
        "sent" => c.sent,
        "pending" => c.pending,
        "failed" => c.failed,
        "unreachable" => c.unreachable,
        _ => c.cancelled,
    }
}

/// One channel's (or everyone's) bar: segments in a 0–1000 wide SVG, the same in words.
fn bar(label: &str, c: &Counts, l: &Locale) -> Value {
    let total = c.total.max(1) as f64;
    let mut x = 0.0;
    let mut segments = Vec::new();
    let mut words = Vec::new();
    for (name, word) in BUCKETS {
        let n = bucket(c, name);
        if n > 0 {
            let w = n as f64 / total * 1000.0;
            segments.push(
                json!({ "bucket": name, "x": format!("{x:.1}"), "width": format!("{w:.1}") }),
            );
            x += w;
        }
        words.push(format!("{} {word}", l.number(n)));
    }
    json!({
        "label": label,
        "segments": segments,
        "alt": format!("{label}: {} of {}", words.join(", "), l.number(c.total)),
        "cells": BUCKETS.iter().map(|(n, _)| l.number(bucket(c, n))).collect::<Vec<_>>(),
        "total": l.number(c.total),
        "delivered": c.delivered.map(|n| l.number(n)),
        "undelivered": c.undelivered.map(|n| l.number(n)),
        "done": format!("{:.0}", c.done() * 100.0),
    })
}

/// The live part of the page (also served alone for polling).
async fn progress_view(state: &AppState, cx: &Console, i: &Incident) -> Result<Value, PageError> {
    let p: Progress = progress::progress(&state.db, i.id).await?;
    let l = &cx.locale;
    let channels: Vec<Value> = p
        .by_channel
        .iter()
        .filter(|(ch, c)| c.total > 0 || i.channels.contains(ch))
        .map(|(ch, c)| bar(ch.as_str(), c, l))
        .collect();
    let detail = cx.can(Action::SubjectsRead);
    let reasons: Vec<Value> = super::store::failure_reasons(&state.db, i.id, REASONS_SHOWN)
        .await?
        .into_iter()
        .map(|(channel, status, error, n)| {
            json!({
                "channel": channel,
                "status": status,
                // The provider's words may name a person's address: for roles that see personal data.
                "reason": if detail { error.unwrap_or_else(|| "no reason given".into()) } else { String::new() },
                "people": l.number(n),
            })
        })
        .collect();
    let finished = p.finished() || p.state == DeliveryState::Cancelled;
    let live = !finished && p.state == DeliveryState::Running;
    Ok(json!({
        "state": p.state.to_string(),
        "finished": finished,
        "queuing": p.queuing,
        "poll": live.then(|| cx.path(&format!("/incidents/{}/delivery/progress", i.id))),
        "every": POLL_SECONDS,
        "people": bar("people", &p.people, l),
        "channels": channels,
        "buckets": BUCKETS.iter().map(|(n, w)| json!({ "name": n, "word": w })).collect::<Vec<_>>(),
        "reasons": reasons,
        "detail": detail,
    }))
}

/// The plan of a dispatch as the page shows it, or why there can be none now.
async fn plan_view(state: &AppState, i: &Incident, l: &Locale) -> Result<Value, PageError> {
    let r = plan(
        &state.db,
        &state.playbooks,
        state.templates.fingerprint(),
        &state.settings,
        i.id,
        Options::default(),
        state.clock.now(),
    )
    .await;
    let p = match r {
        Ok(p) => p,
        Err(e) => return Ok(json!({ "ready": false, "why": refusal(e)? })),
    };
    let now = state.clock.now();
    Ok(json!({
        "ready": true,
        "why": null,
        "people": l.number(p.people),
        "unreachable": l.number(p.unreachable),
        "channels": p.channels.iter().map(|c| json!({
            "channel": c.channel.as_str(),
            "people": l.number(c.people),
            "segments": c.segments.map(|n| l.number(n as i64)),
            "cost": c.cost.map(|v| format!("{v:.2}")),
            "rate": c.rate_per_second.map(|r| l.number(i64::from(r))),
            "time": c.seconds.map(|s| tabs::span(chrono::Duration::seconds(s.ceil() as i64))),
        })).collect::<Vec<_>>(),
        "finishes_at": l.time(p.finishes_at),
        "takes": p.finishes_at.map(|f| tabs::span(f - now)),
        "deadline": l.time(p.earliest_deadline),
        "deadline_passed": p.earliest_deadline.filter(|d| *d < now).map(|d| tabs::span(now - d)),
        "deadline_rule": p.deadline_rule,
        "warnings": p.warnings,
        "at_once": i.severity >= Severity::High,
    }))
}

/// A message for the page from a use case's refusal.
fn refusal(e: DispatchError) -> Result<String, PageError> {
    use crate::notices::NoticeError as N;
    Ok(match e {
        DispatchError::Notice(N::NotComposed) => {
            "nothing is composed yet: compose the notices on the Notices tab".into()
        }
        DispatchError::Notice(N::NotApproved) => {
            "the notices are not approved as they stand: an approver approves them on the \
             Notices tab"
                .into()
        }
        DispatchError::Notice(n @ (N::Closed | N::AlreadyDispatched | N::Stale(_))) => {
            n.to_string()
        }
        DispatchError::State(s) => s,
        DispatchError::Invalid { field, reason } => format!("{field}: {reason}"),
        other => return Err(AppError::from(other).into()),
    })
}

async fn show(State(state): State<AppState>, cx: Console, Path(id): Path<i64>) -> PageResult {
    cx.require(Action::DeliveryRead)?;
    let i = incidents::find(&state.db, id).await?;
    let l = cx.locale;
    let mut data = tabs::head(&cx, &i, "/delivery");
    let dispatched = i.notices.dispatched_at.is_some();
    let can = cx.can(Action::Dispatch);
    data.insert(
        "plan".into(),
        if !dispatched && can {
            plan_view(&state, &i, &l).await?
        } else {
            Value::Null
        },
    );
    data.insert(
        "progress".into(),
        if dispatched {
            progress_view(&state, &cx, &i).await?
        } else {
            Value::Null
        },
    );
    let st = i.delivery_state;
    data.insert(
        "controls".into(),
        json!({
            "pause": can && dispatched && st == DeliveryState::Running,
            "resume": can && dispatched && st == DeliveryState::Paused,
            "cancel": can && dispatched && st != DeliveryState::Cancelled,
        }),
    );
    data.insert("dispatched_at".into(), l.time(i.notices.dispatched_at));
    cx.page(
        "console/incidents/delivery.html",
        &format!("Delivery · Incident #{id}"),
        "incidents",
        Value::Object(data),
    )
}

/// The progress alone, for htmx to swap in. When the session has ended meanwhile, htmx is told
/// to load the sign-in page as a whole page (`HX-Redirect`) rather than swap it into this part.
async fn fragment(
    State(state): State<AppState>,
    cx: Result<Console, PageError>,
    Path(id): Path<i64>,
) -> PageResult {
    let cx = match cx {
        Ok(cx) => cx,
        Err(PageError::Redirect(to)) => {
            // Back to the delivery page after signing in, not to this fragment.
            let to = to.replace("%2Fdelivery%2Fprogress", "%2Fdelivery");
            let mut res = StatusCode::NO_CONTENT.into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&to) {
                res.headers_mut().insert("hx-redirect", v);
            }
            return Ok(res);
        }
        Err(e) => return Err(e),
    };
    cx.require(Action::DeliveryRead)?;
    let i = incidents::find(&state.db, id).await?;
    let ctx =
        json!({ "base": cx.base, "page": { "progress": progress_view(&state, &cx, &i).await? } });
    crate::web::console::html(
        &state,
        StatusCode::OK,
        "console/incidents/_progress.html",
        &ctx,
    )
}

async fn start(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    form: FormData,
) -> PageResult {
    let actor = cx.require(Action::Dispatch)?;
    cx.check_csrf(&form)?;
    let here = format!("/incidents/{id}/delivery");
    let at_once = match form.text("at_once").map(|v| v.parse::<usize>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return Ok(cx.redirect(&here, Flash::error("at_once: must be 1, 2 or 3")));
        }
    };
    let s = &state.settings;
    let r = dispatch(
        &state.db,
        state.templates.fingerprint(),
        s.max_attempts,
        &actor,
        id,
        Options {
            at_once,
            ..Options::default()
        },
        &state.clock,
        &state.dispatch_wakeup,
    )
    .await;
    Ok(match r {
        Ok(queued) => cx.redirect(
            &here,
            Flash::ok(format!(
                "Dispatched: {} notices queued. Progress shows below.",
                cx.locale.number(queued as i64)
            )),
        ),
        Err(e) => cx.redirect(&here, Flash::error(refusal(e)?)),
    })
}

async fn set_state(
    State(state): State<AppState>,
    cx: Console,
    Path((id, action)): Path<(i64, String)>,
    form: FormData,
) -> PageResult {
    let to = match action.as_str() {
        "pause" => DeliveryState::Paused,
        "resume" => DeliveryState::Running,
        "cancel" => DeliveryState::Cancelled,
        _ => return Err(PageError::not_found("page")),
    };
    let actor = cx.require(Action::Dispatch)?;
    cx.check_csrf(&form)?;
    let here = format!("/incidents/{id}/delivery");
    Ok(
        match control(&state.db, &actor, id, to, state.clock.now()).await {
            Ok(_) => {
                state.dispatch_wakeup.notify_waiters();
                let done = match to {
                    DeliveryState::Paused => {
                        "Delivery paused: nothing more goes out until you resume it."
                    }
                    DeliveryState::Running => "Delivery resumed.",
                    DeliveryState::Cancelled => "Delivery cancelled: nothing more goes out.",
                };
                cx.redirect(&here, Flash::ok(done))
            }
            Err(e) => cx.redirect(&here, Flash::error(refusal(e)?)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_says_in_words_what_it_draws() {
        let c = Counts {
            total: 4,
            pending: 1,
            sent: 2,
            failed: 1,
            ..Default::default()
        };
        let b = bar("email", &c, &Locale::default());
        assert_eq!(
            b["alt"],
            "email: 2 sent, 1 on their way, 1 failed, 0 unreachable, 0 cancelled of 4"
        );
        let s = b["segments"].as_array().unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0]["width"], "500.0");
        assert_eq!(s[2]["x"], "750.0");
        assert_eq!(b["done"], "75");
    }
}
