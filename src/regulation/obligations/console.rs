//! `/incidents/{id}/obligations` in the console: every clock of the incident by due time (regime,
//! authority, audience, due time in the reader's locale and the time left, the status in words,
//! unverified rules marked), and a "mark done" form (how, when) for roles that may. Reads and
//! marks through the same use cases as `api.rs` (`obligations`, `mark_done`).
use super::refresh::{mark_done, obligations, Done, ObligationError};
use super::{Obligation, Status};
use crate::app::AppState;
use crate::auth::Action;
use crate::error::AppError;
use crate::incidents;
use crate::web::console::{instant, tabs, Console, Flash, FormData, PageError, PageResult};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents/{id}/obligations", get(show))
        .route("/incidents/{id}/obligations/{oid}/done", post(done))
}

/// An obligation's status in words.
fn words(o: &Obligation, cx: &Console) -> String {
    match o.status {
        Status::Due => "due".into(),
        Status::Overdue => "overdue".into(),
        Status::Done => "done".into(),
        Status::NotRequired => "not required".into(),
        Status::Waiting => match &o.details.waiting_for {
            Some(w) => format!("waiting for {w}"),
            None => "waiting".into(),
        },
        Status::Ongoing => match o.keep_until {
            Some(t) => format!("ongoing: keep it up until {}", cx.locale.datetime(t)),
            None => "ongoing".into(),
        },
    }
}

/// The time left (or past) until the due time, in words.
fn left(o: &Obligation, now: DateTime<Utc>) -> Option<String> {
    let due = o.due_at?;
    if matches!(o.status, Status::Done | Status::NotRequired) {
        return None;
    }
    Some(if due >= now {
        format!("{} left", tabs::span(due - now))
    } else {
        format!("{} late", tabs::span(now - due))
    })
}

fn row(o: &Obligation, cx: &Console, now: DateTime<Utc>, can_mark: bool) -> Value {
    json!({
        "id": o.id,
        "key": o.key,
        "regime": o.jurisdiction,
        "regime_name": o.details.regime_name,
        "title": o.details.title,
        "authority": o.authority,
        "audience": o.audience.replace('_', " "),
        "due": cx.locale.time(o.due_at),
        "deadline": o.details.deadline,
        "left": left(o, now),
        "status": o.status.as_str(),
        "words": words(o, cx),
        "reason": o.reason,
        "unverified": o.unverified,
        "fulfilled": o.fulfilled.as_ref().map(|f| json!({
            "at": cx.locale.time(Some(f.at)),
            "how": f.how,
            "by_tocsin": f.by.is_none(),
        })),
        "markable": can_mark && matches!(o.status, Status::Due | Status::Overdue | Status::Waiting),
        "action": cx.path(&format!("/incidents/{}/obligations/{}/done", o.incident_id, o.id)),
    })
}

/// A mark-done form that came back: the obligation, what was typed, what is wrong.
struct Failed<'a> {
    oid: i64,
    form: &'a FormData,
    bad: Vec<(String, String)>,
}

async fn page(state: &AppState, cx: &Console, id: i64, failed: Option<Failed<'_>>) -> PageResult {
    let i = incidents::find(&state.db, id).await?;
    let now = state.clock.now();
    let list = obligations(&state.db, &state.playbooks, id, now)
        .await
        .map_err(|e| PageError::from(AppError::from(e)))?;
    let can_mark = cx.can(Action::ObligationsWrite);
    let (open, not_required): (Vec<&Obligation>, Vec<&Obligation>) =
        list.iter().partition(|o| o.status != Status::NotRequired);
    let mut data = tabs::head(cx, &i, "/obligations");
    data.insert(
        "obligations".into(),
        json!(open
            .iter()
            .map(|o| row(o, cx, now, can_mark))
            .collect::<Vec<_>>()),
    );
    data.insert(
        "not_required".into(),
        json!(not_required
            .iter()
            .map(|o| row(o, cx, now, false))
            .collect::<Vec<_>>()),
    );
    data.insert(
        "not_required_count".into(),
        json!(cx.locale.number(not_required.len() as i64)),
    );
    data.insert(
        "unverified".into(),
        json!(list.iter().any(|o| o.unverified)),
    );
    data.insert("now".into(), cx.locale.time(Some(now)));
    let status = match &failed {
        Some(Failed { oid, form: f, bad }) if !bad.is_empty() => {
            let (how, at) = (format!("how-{oid}"), format!("at-{oid}"));
            let fields = [
                ("how", how.as_str(), "How it was done"),
                ("at", at.as_str(), "When"),
            ];
            data.insert("errors".into(), tabs::summary(bad, &fields));
            data.insert(
                "failed".into(),
                json!({ "id": oid, "how": f.get("how").unwrap_or_default(), "at": f.get("at").unwrap_or_default() }),
            );
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => {
            data.insert("failed".into(), json!({ "id": null, "how": "", "at": "" }));
            StatusCode::OK
        }
    };
    cx.page_with(
        status,
        "console/incidents/obligations.html",
        &format!("Obligations · Incident #{id}"),
        "incidents",
        Value::Object(data),
    )
}

async fn show(State(state): State<AppState>, cx: Console, Path(id): Path<i64>) -> PageResult {
    cx.require(Action::ObligationsRead)?;
    page(&state, &cx, id, None).await
}

async fn done(
    State(state): State<AppState>,
    cx: Console,
    Path((id, oid)): Path<(i64, i64)>,
    form: FormData,
) -> PageResult {
    let actor = cx.require(Action::ObligationsWrite)?;
    cx.check_csrf(&form)?;
    let req = Done {
        how: form.get("how").unwrap_or_default().to_owned(),
        at: form.text("at").map(|v| instant(&v)),
    };
    let here = format!("/incidents/{id}/obligations");
    let r = mark_done(
        &state.db,
        &state.playbooks,
        &actor,
        id,
        oid,
        req,
        state.clock.now(),
    )
    .await;
    match r {
        Ok(o) => Ok(cx.redirect(
            &here,
            Flash::ok(format!(
                "Marked done: {} ({}).",
                o.details.title, o.jurisdiction
            )),
        )),
        Err(ObligationError::Invalid(bad)) => {
            let failed = Failed {
                oid,
                form: &form,
                bad,
            };
            page(&state, &cx, id, Some(failed)).await
        }
        Err(e @ (ObligationError::NotRequired(_) | ObligationError::AlreadyDone(_))) => {
            Ok(cx.redirect(&here, Flash::error(e.to_string())))
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}
