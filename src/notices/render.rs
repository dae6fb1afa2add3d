//! Rendering a notice for one person from the notice content, per channel and locale.
use super::content::NoticeContent;
use super::store::Notice;
use crate::domain::Channel;
use crate::population::store::Person;
use crate::templates::Templates;
use serde_json::json;

/// One rendered e-mail.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders the e-mail notice for one person. `name` is interpolated escaped in HTML.
pub fn email(
    templates: &Templates,
    locale: &str,
    content: &NoticeContent,
    name: Option<&str>,
) -> anyhow::Result<RenderedEmail> {
    let data = json!({ "content": content, "recipient_name": name });
    let subject = templates.render(
        &templates.localized("notices", locale, "email.subject"),
        &data,
    )?;
    Ok(RenderedEmail {
        // A subject is one line, whatever the template or the data did.
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        text: templates.render(&templates.localized("notices", locale, "email.txt"), &data)?,
        html: templates.render(&templates.localized("notices", locale, "email.html"), &data)?,
    })
}

/// The notice for `person` on `channel`, as composed.
pub fn notice(
    templates: &Templates,
    content: &NoticeContent,
    person: &Person,
    channel: Channel,
) -> anyhow::Result<Notice> {
    let locale = person.locale.clone().unwrap_or_else(|| "en".into());
    match channel {
        Channel::Email => {
            let r = email(templates, &locale, content, person.name.as_deref())?;
            Ok(Notice {
                subject_id: person.subject_id,
                channel,
                locale,
                recipient: person.email.clone(),
                recipient_name: person.name.clone(),
                subject_line: r.subject,
                body_text: r.text,
                body_html: Some(r.html),
            })
        }
        other => anyhow::bail!("{other} notices cannot be composed yet"),
    }
}
