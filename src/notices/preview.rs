//! Previewing one person's notice: as composed (with the composition it belongs to), or, before
//! anything is composed, as it would read now.
use super::content::NoticeContent;
use super::{render, store, NoticeError};
use crate::domain::Channel;
use crate::incidents;
use crate::links::Links;
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
    /// SMS: how many segments it takes and in which encoding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsCost>,
}

#[derive(Debug, Serialize)]
pub struct SmsCost {
    pub segments: usize,
    pub encoding: &'static str,
    pub characters: usize,
}

/// What a preview needs besides the database.
pub struct PreviewInput<'a> {
    pub templates: &'a Templates,
    pub playbooks: &'a Playbooks,
    pub links: &'a Links,
    pub sms_max_segments: usize,
    pub announcement_url: Option<String>,
    /// The population's counts per jurisdiction when the caller has read them already (a page
    /// of previews reads them once); read here otherwise.
    pub counts: Option<crate::playbooks::jurisdictions::Counts>,
}

pub async fn preview(
    db: &DatabaseConnection,
    input: PreviewInput<'_>,
    incident_id: i64,
    external_id: &str,
    channel: Channel,
) -> Result<Preview, NoticeError> {
    let inc = incidents::find(db, incident_id).await?;
    let person = population::store::subject_by_external_id(db, external_id)
        .await?
        .ok_or_else(|| NoticeError::SubjectNotFound(external_id.chars().take(64).collect()))?;
    let stored = store::find(db, incident_id, person.subject_id, channel).await?;
    let (notice, composed, composition, version) = match stored {
        Some((n, version)) => (n, true, inc.notices.composition.clone(), version),
        None => {
            // Not composed yet: what it would say now, with a stand-in for the person's link,
            // in the variant where they live.
            let base = NoticeContent::build(&inc, input.playbooks, input.announcement_url);
            let counts = match input.counts {
                Some(counts) => counts,
                None => population::PopulationFacts::load(db, incident_id)
                    .await?
                    .counts(),
            };
            let found =
                super::completeness::findings(input.playbooks, &inc, &counts, chrono::Utc::now());
            let mut per_person = super::completeness::PerPerson::new(input.playbooks, base, found);
            let content = per_person
                .content(person.country.as_deref(), person.region.as_deref())
                .clone();
            let link = input.links.to("/n/xxxxxxxxxxxxxxxx");
            let verify_url = input.links.to("/verify");
            let ctx = render::Context {
                templates: input.templates,
                content: &content,
                link: Some(&link),
                code: Some("xxxxxxxxxxxxxxxx"),
                verify_url: &verify_url,
                sms_max_segments: input.sms_max_segments,
            };
            let devices = population::store::live_devices(db, &[person.subject_id]).await?;
            let devices = devices.get(&person.subject_id).cloned().unwrap_or_default();
            let n = ctx
                .notice(&person, &devices, channel)
                .map_err(NoticeError::Render)?
                .ok_or_else(|| NoticeError::Invalid {
                    field: "channel",
                    reason: format!("this person has no contact point on {channel}"),
                })?;
            (n, false, None, inc.content_version)
        }
    };
    let sms = (channel == Channel::Sms).then(|| {
        let c = crate::delivery::wire::sms_text::count(&notice.body_text);
        SmsCost {
            segments: c.segments,
            encoding: match c.encoding {
                crate::delivery::wire::sms_text::Encoding::Gsm7 => "GSM-7",
                crate::delivery::wire::sms_text::Encoding::Ucs2 => "UCS-2",
            },
            characters: notice.body_text.chars().count(),
        }
    });
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
        sms,
    })
}
