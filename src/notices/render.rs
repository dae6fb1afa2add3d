//! Rendering a notice for one person from the notice content, per channel and locale: the full
//! notice (e-mail, and the person's page at `/n/{code}`), an SMS fitted into its segment budget
//! that names the organisation and links to the full notice, and a push title and body within
//! the platforms' limits.
use super::content::NoticeContent;
use super::store::Notice;
use crate::delivery::wire::sms_text;
use crate::domain::Channel;
use crate::population::store::Person;
use crate::templates::Templates;
use serde_json::json;

/// Longest push title and body kept (characters): what lock screens show without cutting.
pub const PUSH_TITLE_MAX: usize = 60;
pub const PUSH_BODY_MAX: usize = 178;

/// What every rendering of one person's notice shares.
pub struct Context<'a> {
    pub templates: &'a Templates,
    pub content: &'a NoticeContent,
    /// The person's full notice online (`/n/{code}`), and its code.
    pub link: Option<&'a str>,
    pub code: Option<&'a str>,
    /// Where anyone can check a code (`/verify`).
    pub verify_url: &'a str,
    pub sms_max_segments: usize,
}

/// One rendered e-mail.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts `s` to at most `max` characters, after a word where one ends nearby, with `…`.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > cut.len() * 2 / 3 => cut[..i].trim_end().to_owned(),
        _ => cut,
    };
    format!("{cut}…")
}

impl Context<'_> {
    fn data(&self, name: Option<&str>) -> serde_json::Value {
        json!({
            "content": self.content,
            "recipient_name": name,
            "link": self.link,
            "code": self.code,
            "verify_url": self.verify_url,
        })
    }

    fn render(&self, locale: &str, file: &str, name: Option<&str>) -> anyhow::Result<String> {
        let t = self.templates;
        t.render(&t.localized("notices", locale, file), &self.data(name))
    }

    /// The full notice as an e-mail. `name` is interpolated escaped in HTML.
    pub fn email(&self, locale: &str, name: Option<&str>) -> anyhow::Result<RenderedEmail> {
        Ok(RenderedEmail {
            // A subject is one line, whatever the template or the data did.
            subject: one_line(&self.render(locale, "email.subject", name)?),
            text: self.render(locale, "email.txt", name)?,
            html: self.render(locale, "email.html", name)?,
        })
    }

    /// The SMS: `<organisation>: <summary…> <link>`, the summary shortened to fit the budget.
    pub fn sms(&self, locale: &str) -> anyhow::Result<sms_text::Fitted> {
        let body = one_line(&self.render(locale, "sms.txt", None)?);
        let prefix = format!("{}: ", self.content.organisation);
        let suffix = self.link.map(|l| format!(" {l}")).unwrap_or_default();
        sms_text::fit(&prefix, &body, &suffix, self.sms_max_segments)
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The push title and body.
    pub fn push(&self, locale: &str) -> anyhow::Result<(String, String)> {
        let title = one_line(&self.render(locale, "push.title", None)?);
        let body = one_line(&self.render(locale, "push.body", None)?);
        Ok((clip(&title, PUSH_TITLE_MAX), clip(&body, PUSH_BODY_MAX)))
    }

    /// The notice for `person` on `channel`, as composed; `None` when the person has no
    /// contact point on that channel (e-mail is always composed: it is the full notice).
    pub fn notice(
        &self,
        person: &Person,
        devices: &[i64],
        channel: Channel,
    ) -> anyhow::Result<Option<Notice>> {
        let locale = person.locale.clone().unwrap_or_else(|| "en".into());
        let notice = |recipient: Option<String>, subject: String, text: String, html| Notice {
            subject_id: person.subject_id,
            channel,
            locale: locale.clone(),
            recipient,
            recipient_name: person.name.clone(),
            subject_line: subject,
            body_text: text,
            body_html: html,
        };
        Ok(match channel {
            Channel::Email => {
                let r = self.email(&locale, person.name.as_deref())?;
                Some(notice(
                    person.email.clone(),
                    r.subject,
                    r.text,
                    Some(r.html),
                ))
            }
            Channel::Sms => match &person.phone {
                None => None,
                Some(phone) => {
                    let f = self.sms(&locale)?;
                    Some(notice(Some(phone.clone()), String::new(), f.text, None))
                }
            },
            Channel::Push if devices.is_empty() => None,
            Channel::Push => {
                let (title, body) = self.push(&locale)?;
                let ids: Vec<String> = devices.iter().map(i64::to_string).collect();
                Some(notice(Some(ids.join(",")), title, body, None))
            }
        })
    }
}

/// Renders the e-mail notice for one person without a link (previews before composing).
pub fn email(
    templates: &Templates,
    locale: &str,
    content: &NoticeContent,
    name: Option<&str>,
) -> anyhow::Result<RenderedEmail> {
    Context {
        templates,
        content,
        link: None,
        code: None,
        verify_url: "",
        sms_max_segments: 3,
    }
    .email(locale, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_cuts_after_a_word_and_marks_it() {
        assert_eq!(clip("short", 10), "short");
        let c = clip("a security incident involved your information", 30);
        assert!(c.chars().count() <= 30, "{c}");
        assert!(c.ends_with('…'));
        assert!(c.starts_with("a security incident"));
    }
}
