//! `/incidents/{id}/notices` in the console: compose, preview (each channel for one person of
//! each locale, side by side, or for one person asked for), the composition digest, what each
//! jurisdiction requires and the notices lack, and approval (an approver approves the digest
//! they looked at; the composer cannot) and its withdrawal. Every action goes through the same
//! use cases as `api.rs`: `compose`, `preview`, `completeness`, `approval::{approve, withdraw}`.
use super::approval;
use super::compose::{compose, ComposeInput};
use super::preview::{preview, PreviewInput};
use super::NoticeError;
use crate::app::AppState;
use crate::auth::Action;
use crate::domain::Channel;
use crate::error::AppError;
use crate::incidents::{self, Incident, Status};
use crate::playbooks::jurisdictions::Counts;
use crate::web::console::{tabs, Console, Flash, FormData, PageError, PageResult};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents/{id}/notices", get(show).post(compose_notices))
        .route("/incidents/{id}/approval", post(approve))
        .route("/incidents/{id}/approval/withdraw", post(withdraw))
}

/// How many locales the previews show side by side.
const LOCALES_SHOWN: i64 = 4;

/// The channels composed: e-mail always (it is the full notice), then the incident's.
fn channels(i: &Incident) -> Vec<Channel> {
    let mut out = vec![Channel::Email];
    out.extend(i.channels.iter().copied().filter(|c| *c != Channel::Email));
    out
}

async fn announcement_url(state: &AppState, id: i64) -> Result<Option<String>, PageError> {
    Ok(crate::announcements::url_for_incident(&state.db, &state.links, id).await?)
}

/// A message for the page from a use case's refusal.
fn refusal(e: NoticeError) -> Result<String, PageError> {
    Ok(match e {
        NoticeError::NoPopulation => {
            "The incident has no affected people yet: add them on the People affected tab first."
                .into()
        }
        NoticeError::Incomplete(missing) => format!(
            "the notices lack what {} require{}: see the list below, complete them, or tick \
             “approve although incomplete”.",
            {
                let mut j: Vec<&str> = missing.iter().map(|m| m.jurisdiction.as_str()).collect();
                j.dedup();
                j.join(", ")
            },
            if missing.len() == 1 { "s" } else { "" }
        ),
        e @ (NoticeError::Incident(_)
        | NoticeError::Render(_)
        | NoticeError::Db(_)
        | NoticeError::SubjectNotFound(_)) => return Err(AppError::from(e).into()),
        other => other.to_string(),
    })
}

#[derive(Deserialize)]
struct PreviewQuery {
    external_id: Option<String>,
}

/// Who the previews are for: the person asked for, or the first of each locale.
async fn people(state: &AppState, id: i64, asked: Option<&str>) -> Result<Vec<String>, PageError> {
    if let Some(one) = asked {
        return Ok(vec![one.to_owned()]);
    }
    Ok(
        crate::population::store::samples_by_locale(&state.db, id, LOCALES_SHOWN)
            .await?
            .into_iter()
            .map(|(external_id, _)| external_id)
            .collect(),
    )
}

/// One preview cell: the notice, or why there is none for this person on this channel.
async fn cell(
    state: &AppState,
    cx: &Console,
    id: i64,
    announcement: &Option<String>,
    external_id: &str,
    channel: Channel,
    counts: &Counts,
) -> Result<Value, PageError> {
    let input = PreviewInput {
        templates: &state.templates,
        playbooks: &state.playbooks,
        links: &state.links,
        sms_max_segments: state.settings.channels.sms_max_segments,
        announcement_url: announcement.clone(),
        counts: Some(counts.clone()),
    };
    // Every key present, so the strict template can ask for any.
    let none = |why: &str| {
        json!({
            "external_id": external_id, "none": why, "locale": null, "recipient": null,
            "subject": null, "text": "", "html": null, "composed": false, "sms": null,
        })
    };
    Ok(
        match preview(&state.db, input, id, external_id, channel).await {
            Ok(p) => json!({
                "external_id": p.external_id,
                "locale": p.locale,
                "recipient": p.recipient,
                "subject": p.subject,
                "text": p.text,
                "html": p.html,
                "composed": p.composed,
                "sms": p.sms.map(|s| json!({
                    "segments": cx.locale.number(s.segments as i64),
                    "encoding": s.encoding,
                    "characters": cx.locale.number(s.characters as i64),
                })),
                "none": Value::Null,
            }),
            Err(NoticeError::Invalid { reason, .. }) => none(&reason),
            Err(NoticeError::SubjectNotFound(_)) => {
                none("no one in the registry has this external id")
            }
            Err(e) => return Err(AppError::from(e).into()),
        },
    )
}

async fn show(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> PageResult {
    cx.require(Action::IncidentsRead)?;
    let i = incidents::find(&state.db, id).await?;
    let l = &cx.locale;
    let n = &i.notices;
    let fingerprint = state.templates.fingerprint();
    let approved = approval::is_approved(&i, fingerprint);
    let stale = n.composition.is_some()
        && (!i.composition_is_current() || n.composed_templates.as_deref() != Some(fingerprint));
    let open = i.status != Status::Closed && n.dispatched_at.is_none();
    let me = Some(cx.auth.account_id);
    // Who composed, for the roles that read the notices (an approver wants to know).
    let composer = match n.composed_by.filter(|_| cx.can(Action::NoticesRead)) {
        Some(a) => {
            use sea_orm::EntityTrait;
            entity::account::Entity::find_by_id(a)
                .one(&state.db)
                .await?
                .map(|a| a.email)
        }
        None => None,
    };
    let mut data = tabs::head(&cx, &i, "/notices");
    data.insert(
        "state".into(),
        json!({
            "composed": n.composition.is_some(),
            "composition": n.composition,
            "composed_at": l.time(n.composed_at),
            "composed_by_me": n.composed_by.is_some() && n.composed_by == me,
            "composed_by": composer,
            "stale": stale,
            "approved": approved,
            "approved_at": l.time(n.approved_at.filter(|_| approved)),
            "dispatched_at": l.time(n.dispatched_at),
        }),
    );
    data.insert(
        "can_compose".into(),
        json!(open && cx.can(Action::NoticesCompose)),
    );
    // The approve form: for approvers, when there is a current composition to approve; the
    // composer is told why not.
    let approvable = open && n.composition.is_some() && !stale && !approved;
    let approver = cx.can(Action::NoticesApprove);
    let why_not = if !approvable {
        None
    } else if !approver {
        Some("Only an approver can approve the notices; a second person must look at them.")
    } else if n.composed_by.is_some() && n.composed_by == me {
        Some(
            "You composed these notices, so you cannot approve them: a second approver must \
             (four eyes).",
        )
    } else {
        None
    };
    data.insert(
        "can_approve".into(),
        json!(approvable && approver && why_not.is_none()),
    );
    data.insert("why_not".into(), json!(why_not));
    data.insert(
        "can_withdraw".into(),
        json!(approver && n.dispatched_at.is_none() && n.approved_composition.is_some()),
    );
    let readable = cx.can(Action::NoticesRead);
    data.insert("readable".into(), json!(readable));
    // The population's counts, read once for the check and every preview.
    let counts = crate::population::PopulationFacts::load(&state.db, id)
        .await?
        .counts();
    let check =
        super::completeness::completeness_of(&state.playbooks, &i, &counts, state.clock.now());
    data.insert(
        "completeness".into(),
        json!({
            "complete": check.complete,
            "checked": check.checked,
            "missing": check.missing.iter().map(|m| json!({
                "jurisdiction": m.jurisdiction,
                "element": m.element.replace('_', " "),
                "fix": m.fix,
                "unverified": m.unverified,
            })).collect::<Vec<_>>(),
            "variants": check.variants.iter().map(|v| json!({
                "jurisdiction": v.jurisdiction,
                "omits": v.omits.iter().map(|o| o.replace('_', " ")).collect::<Vec<_>>(),
                "people": l.number(v.people as i64),
            })).collect::<Vec<_>>(),
        }),
    );
    let asked = q
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut previews = Vec::new();
    if readable {
        let who = people(&state, id, asked).await?;
        let announcement = announcement_url(&state, id).await?;
        for channel in channels(&i) {
            let mut cells = Vec::new();
            for p in &who {
                cells.push(cell(&state, &cx, id, &announcement, p, channel, &counts).await?);
            }
            previews.push(json!({
                "channel": channel.as_str(),
                "email": channel == Channel::Email,
                "sms": channel == Channel::Sms,
                "cells": cells,
            }));
        }
    }
    data.insert("previews".into(), json!(previews));
    data.insert("asked".into(), json!(asked.unwrap_or_default()));
    cx.page(
        "console/incidents/notices.html",
        &format!("Notices · Incident #{id}"),
        "incidents",
        Value::Object(data),
    )
}

async fn compose_notices(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    form: FormData,
) -> PageResult {
    let actor = cx.require(Action::NoticesCompose)?;
    cx.check_csrf(&form)?;
    let input = ComposeInput {
        templates: &state.templates,
        playbooks: &state.playbooks,
        links: &state.links,
        sms_max_segments: state.settings.channels.sms_max_segments,
        announcement_url: announcement_url(&state, id).await?,
    };
    let here = format!("/incidents/{id}/notices");
    Ok(
        match compose(&state.db, input, &actor, id, state.clock.now()).await {
            Ok(c) => cx.redirect(
                &here,
                Flash::ok(format!(
                    "{} notices composed (composition {}). An approver must approve them now.",
                    cx.locale.number(c.count as i64),
                    &c.composition[..12]
                )),
            ),
            Err(e) => cx.redirect(&here, Flash::error(refusal(e)?)),
        },
    )
}

async fn approve(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    form: FormData,
) -> PageResult {
    let actor = cx.require(Action::NoticesApprove)?;
    cx.check_csrf(&form)?;
    let here = format!("/incidents/{id}/notices");
    let r = approval::approve(
        &state.db,
        state.templates.fingerprint(),
        &state.playbooks,
        &actor,
        id,
        form.get("composition").unwrap_or_default(),
        form.get("accept_incomplete") == Some("true"),
        state.clock.now(),
    )
    .await;
    Ok(match r {
        Ok(_) => cx.redirect(
            &here,
            Flash::ok("Notices approved. They can be dispatched on the Delivery tab."),
        ),
        Err(e) => cx.redirect(&here, Flash::error(refusal(e)?)),
    })
}

async fn withdraw(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<i64>,
    form: FormData,
) -> PageResult {
    let actor = cx.require(Action::NoticesApprove)?;
    cx.check_csrf(&form)?;
    let reason: String = form
        .text("reason")
        .unwrap_or_default()
        .chars()
        .take(500)
        .collect();
    let reason = if reason.is_empty() {
        "withdrawn by an approver".to_owned()
    } else {
        reason
    };
    let here = format!("/incidents/{id}/notices");
    Ok(
        match approval::withdraw(&state.db, &actor, id, &reason, state.clock.now()).await {
            Ok(_) => cx.redirect(&here, Flash::ok("Approval withdrawn.")),
            Err(e) => cx.redirect(&here, Flash::error(refusal(e)?)),
        },
    )
}
