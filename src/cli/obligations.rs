//! `tocsin obligations --incident ID`: the incident's deadline clocks on a terminal (or as JSON),
//! recomputed as the API recomputes them.
use super::{open, out, Fail};
use crate::config::Settings;
use crate::regulation::obligations::{
    obligations as list_obligations, Obligation, ObligationError, Status,
};
use chrono::{DateTime, Utc};

pub(super) async fn show(settings: &Settings, incident: i64, json: bool) -> Result<(), Fail> {
    let playbooks = crate::app::load_playbooks(settings)?;
    let db = open(settings).await?;
    let now = Utc::now();
    let inc = crate::incidents::find(&db, incident)
        .await
        .map_err(|e| match e {
            crate::incidents::IncidentError::NotFound(_) => Fail::usage(e.to_string()),
            other => Fail::runtime(other.to_string()),
        })?;
    let list = list_obligations(&db, &playbooks, incident, now)
        .await
        .map_err(|e: ObligationError| Fail::runtime(e.to_string()))?;
    if json {
        let text = serde_json::to_string_pretty(&list).map_err(|e| Fail::runtime(e.to_string()))?;
        out!("{text}");
        return Ok(());
    }
    out!(
        "Incident {} — {} (aware {}, now {})",
        inc.id,
        inc.title,
        inc.aware_at.format("%Y-%m-%d %H:%M UTC"),
        now.format("%Y-%m-%d %H:%M UTC")
    );
    if list.is_empty() {
        out!("No obligations: nobody affected lives where a rule applies (or no population yet).");
        return Ok(());
    }
    out!("{}", table(&list, now));
    let unverified = list
        .iter()
        .filter(|o| o.unverified && o.status != Status::NotRequired)
        .count();
    if unverified > 0 {
        out!("! {unverified} obligation(s) come from rules marked unverified (U): check them before relying on them.");
    }
    Ok(())
}

/// "in 2d 3h", "overdue 5h 10m", "—".
pub(crate) fn left(due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(due) = due else { return "—".into() };
    let secs = (due - now).num_seconds();
    let a = secs.unsigned_abs();
    let (d, h, m) = (a / 86_400, (a % 86_400) / 3600, (a % 3600) / 60);
    let span = if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m")
    };
    if secs >= 0 {
        format!("in {span}")
    } else {
        format!("overdue {span}")
    }
}

/// One line per obligation, by due time: what a terminal shows.
pub(crate) fn table(list: &[Obligation], now: DateTime<Utc>) -> String {
    let rows: Vec<[String; 6]> = list
        .iter()
        .map(|o| {
            let mark = if o.unverified { "!U " } else { "" };
            let who = o.authority.clone().unwrap_or_default();
            let what = if o.status == Status::NotRequired {
                format!("not required: {}", o.reason)
            } else if let Some(w) = &o.details.waiting_for {
                format!("{} (waiting: {w})", o.details.title)
            } else {
                o.details.title.clone()
            };
            [
                o.due_at
                    .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "no fixed time".into()),
                match o.status {
                    Status::Due | Status::Overdue => left(o.due_at, now),
                    _ => String::new(),
                },
                o.status.to_string(),
                format!("{mark}{}", o.key),
                if who.is_empty() {
                    o.audience.clone()
                } else {
                    format!("{}: {who}", o.audience)
                },
                what,
            ]
        })
        .collect();
    let head = ["DUE (UTC)", "LEFT", "STATUS", "OBLIGATION", "WHO", "WHAT"];
    let mut widths = head.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()).take(5) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i < 5 {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            } else {
                s.push_str(c);
            }
        }
        s.trim_end().to_owned()
    };
    let mut out = vec![line(head)];
    for r in &rows {
        out.push(line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
    }
    out.join("\n")
}
