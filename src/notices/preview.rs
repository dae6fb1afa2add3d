//! Previewing one person's notice: as composed (with the composition it belongs to), or, before
//! anything is composed, as it would read now.
use super::content::NoticeContent;
use super::{render, store, NoticeError};
use crate::domain::Channel;
use crate::incidents;
use crate::playbooks::Playbooks;
use crate::population;
use crate::templates::Templates;
use sea_orm::DatabaseConnection;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Preview {
    pub external_id: String,
    pub channel: Channel,
    /// Whether this is the composed notice (else: what it would say now).
    pub composed: bool,
    /// The composition this notice belongs to: what an approver approves.
    pub composition: Option<String>,
    pub content_version: i32,
    pub locale: String,
    pub recipient: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

pub async fn preview(
    db: &DatabaseConnection,
    templates: &Templates,
    playbooks: &Playbooks,
    announcement_url: Option<String>,
    incident_id: i64,
    external_id: &str,
    channel: Channel,
) -> Result<Preview, NoticeError> {
    if channel != Channel::Email {
        return Err(NoticeError::Invalid {
            field: "channel",
            reason: "only e-mail notices exist so far".into(),
        });
    }
    let inc = incidents::find(db, incident_id).await?;
    let person = population::store::subject_by_external_id(db, external_id)
        .await?
        .ok_or_else(|| NoticeError::SubjectNotFound(external_id.chars().take(64).collect()))?;
    let stored = store::find(db, incident_id, person.subject_id, channel).await?;
    let (notice, composed, composition, version) = match stored {
        Some((n, version)) => (n, true, inc.notices.composition.clone(), version),
        None => {
            let content = NoticeContent::build(&inc, playbooks, announcement_url);
            let n = render::notice(templates, &content, &person, channel)
                .map_err(NoticeError::Render)?;
            (n, false, None, inc.content_version)
        }
    };
    Ok(Preview {
        external_id: external_id.to_owned(),
        channel,
        composed,
        composition,
        content_version: version,
        locale: notice.locale,
        recipient: notice.recipient,
        subject: notice.subject_line,
        text: notice.body_text,
        html: notice.body_html,
    })
}
