//! Push without a provider: each delivery becomes `delivery-{id}.json` in the outbox's `push/`
//! folder (owner-only: it names devices), holding what a provider would have been given.
use crate::delivery::channel::{Outcome, Outgoing};
use serde_json::json;
use std::path::Path;

pub(super) async fn write(dir: &Path, out: &Outgoing) -> Outcome {
    let devices: Vec<_> = out
        .devices
        .iter()
        .map(|d| json!({ "id": d.id, "platform": d.platform, "token": d.token }))
        .collect();
    let document = json!({
        "delivery_id": out.delivery_id,
        "incident_id": out.incident_id,
        "subject_id": out.subject_id,
        "idempotency_key": out.idempotency_key,
        "title": out.notice.subject_line,
        "body": out.notice.body_text,
        "link": out.link,
        "devices": devices,
    });
    let bytes = match serde_json::to_vec_pretty(&document) {
        Ok(b) => b,
        Err(e) => return Outcome::Permanent(format!("the push file could not be written: {e}")),
    };
    let name = format!("delivery-{}.json", out.delivery_id);
    match crate::delivery::files::write_private(dir, &name, bytes).await {
        Ok(path) => Outcome::Sent(path),
        Err(e) => Outcome::transient(format!("outbox folder: {e:#}")),
    }
}
