//! E-mail out: over SMTP through our own connection pool (`super::smtp`), or as `.eml` files in
//! the outbox folder.
use super::channel::{Attempt, Outcome, Outgoing, Transport};
use crate::config::{Settings, SmtpSettings};
use crate::domain::Channel;
use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use std::path::PathBuf;

/// The e-mail transport: SMTP, or `.eml` files in the outbox folder.
pub struct Email {
    from: Mailbox,
    mailer: Mailer,
}

impl Email {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Email> {
        Ok(Email {
            from: settings.mail_from.clone(),
            mailer: Mailer::from_settings(settings)?,
        })
    }
}

#[async_trait::async_trait]
impl Transport for Email {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    /// `<tocsin.{incident}.{delivery}@{sender's domain}>`: a retry keeps its identity.
    fn identity(&self, out: &Outgoing) -> String {
        format!("<{}@{}>", out.idempotency_key, self.from.email.domain())
    }

    async fn send(&self, out: &Outgoing) -> Attempt {
        let Some(to) = out.notice.recipient.as_deref() else {
            return Outcome::Permanent("no e-mail address".into()).into();
        };
        let message = match build(&self.from, out, to, &self.identity(out)) {
            Ok(m) => m,
            Err(reason) => return Outcome::Permanent(reason).into(),
        };
        let file = format!("delivery-{}.eml", out.delivery_id);
        self.mailer.send(&file, message).await.into()
    }

    async fn shutdown(&self) {
        self.mailer.close().await;
    }
}

impl Email {
    /// A plain-text message to one address outside the notices (reminders to responders),
    /// through the same transport. `key` makes its Message-ID (a retry keeps it); `file`
    /// names the `.eml` when writing files.
    pub async fn send_text(
        &self,
        key: &str,
        file: &str,
        to: &str,
        subject: &str,
        text: &str,
    ) -> Outcome {
        let Ok(address) = to.parse() else {
            return Outcome::Permanent("the e-mail address is not accepted by the mailer".into());
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, address))
            .subject(subject)
            .message_id(Some(format!("<{key}@{}>", self.from.email.domain())))
            .date_now()
            .body(text.to_owned());
        match message {
            Ok(m) => self.mailer.send(file, m).await,
            Err(e) => Outcome::Permanent(format!("the message could not be built: {e}")),
        }
    }
}

enum Mailer {
    Smtp(Box<super::smtp::Pool>),
    Files(PathBuf),
}

impl Mailer {
    fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        match &settings.smtp {
            SmtpSettings::Files => Ok(Mailer::Files(settings.outbox_dir.join("email"))),
            SmtpSettings::Server { url, ca_file } => {
                let ca = match ca_file {
                    Some(path) => Some(
                        std::fs::read(path)
                            .with_context(|| format!("TOCSIN_SMTP_CA_FILE: {}", path.display()))?,
                    ),
                    None => None,
                };
                let endpoint = super::smtp::Endpoint::from_url(url, ca.as_deref())
                    .map_err(|m| anyhow::anyhow!("TOCSIN_SMTP_URL: {m}"))?;
                if let Some(warning) = settings.smtp.warning() {
                    static ONCE: std::sync::Once = std::sync::Once::new();
                    ONCE.call_once(|| tracing::warn!(smtp = ?endpoint, "{warning}"));
                }
                Ok(Mailer::Smtp(Box::new(super::smtp::Pool::new(
                    endpoint,
                    settings.send_concurrency,
                ))))
            }
        }
    }

    /// Sends `QUIT` on the SMTP connections.
    async fn close(&self) {
        if let Mailer::Smtp(pool) = self {
            pool.close().await;
        }
    }

    async fn send(&self, file: &str, message: Message) -> Outcome {
        match self {
            Mailer::Smtp(pool) => match pool.send(message.envelope(), &message.formatted()).await {
                Ok(res) => Outcome::Sent(res.to_string()),
                Err(e) if e.is_permanent() => Outcome::Permanent(format!("SMTP: {e}")),
                Err(e) => Outcome::transient(format!("SMTP: {e}")),
            },
            Mailer::Files(dir) => {
                match super::files::write_private(dir, file, message.formatted()).await {
                    Ok(path) => Outcome::Sent(path),
                    Err(e) => Outcome::transient(format!("outbox folder: {e:#}")),
                }
            }
        }
    }
}

fn build(from: &Mailbox, out: &Outgoing, to: &str, message_id: &str) -> Result<Message, String> {
    let n = &out.notice;
    let address = to
        .parse()
        .map_err(|_| "the e-mail address is not accepted by the mailer".to_string())?;
    let to = Mailbox::new(
        n.recipient_name.clone().filter(|n| !n.trim().is_empty()),
        address,
    );
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(n.subject_line.clone())
        .message_id(Some(message_id.to_owned()))
        .date_now();
    let built = match &n.body_html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            n.body_text.clone(),
            html.clone(),
        )),
        None => builder.body(n.body_text.clone()),
    };
    built.map_err(|e| format!("the message could not be built: {e}"))
}
