//! E-mail out: over SMTP with lettre's pooled transport, or as `.eml` files in the outbox folder.
use crate::config::{Settings, SmtpSettings};
use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

/// What a channel says about one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; the provider's reference (SMTP reply, file path).
    Sent(String),
    /// Will never work (SMTP 5xx, no or invalid address): the person is unreachable here.
    Permanent(String),
    /// May work later (SMTP 4xx, connection trouble).
    Transient(String),
}

/// One e-mail ready to go. The address is personal data: it is only read to build the message.
pub struct OutgoingEmail {
    pub delivery_id: i64,
    pub message_id: String,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        match &settings.smtp {
            SmtpSettings::Files => Ok(Mailer::Files(settings.outbox_dir.join("email"))),
            SmtpSettings::Server { url } => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str())
                    .context("TOCSIN_SMTP_URL")?
                    .pool_config(PoolConfig::new().max_size(settings.send_concurrency as u32))
                    .timeout(Some(Duration::from_secs(30)))
                    .build();
                Ok(Mailer::Smtp(transport))
            }
        }
    }

    pub async fn send(&self, from: &Mailbox, mail: &OutgoingEmail) -> Outcome {
        let message = match build(from, mail) {
            Ok(m) => m,
            Err(reason) => return Outcome::Permanent(reason),
        };
        match self {
            Mailer::Smtp(t) => match t.send(message).await {
                Ok(res) => Outcome::Sent(format!(
                    "{} {}",
                    res.code(),
                    res.message().collect::<Vec<_>>().join(" ")
                )),
                Err(e) if e.is_permanent() => Outcome::Permanent(format!("SMTP: {e}")),
                Err(e) => Outcome::Transient(format!("SMTP: {e}")),
            },
            Mailer::Files(dir) => {
                match write_file(dir, mail.delivery_id, &message.formatted()).await {
                    Ok(path) => Outcome::Sent(path),
                    Err(e) => Outcome::Transient(format!("outbox folder: {e:#}")),
                }
            }
        }
    }
}

fn build(from: &Mailbox, mail: &OutgoingEmail) -> Result<Message, String> {
    let address = mail
        .to_address
        .parse()
        .map_err(|_| "the e-mail address is not accepted by the mailer".to_string())?;
    let to = Mailbox::new(
        mail.to_name.clone().filter(|n| !n.trim().is_empty()),
        address,
    );
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(mail.message_id.clone()))
        .date_now();
    let built = match &mail.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            html.clone(),
        )),
        None => builder.body(mail.text.clone()),
    };
    built.map_err(|e| format!("the message could not be built: {e}"))
}

/// Writes `<dir>/delivery-<id>.eml` atomically (temporary file, then rename), so a retry
/// overwrites rather than duplicates.
async fn write_file(dir: &std::path::Path, id: i64, bytes: &[u8]) -> anyhow::Result<String> {
    tokio::fs::create_dir_all(dir)
        .await
        .with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("delivery-{id}.eml"));
    let tmp = dir.join(format!(".delivery-{id}.eml.tmp"));
    tokio::fs::write(&tmp, bytes)
        .await
        .with_context(|| format!("writing {}", tmp.display()))?;
    tokio::fs::rename(&tmp, &path).await?;
    Ok(path.display().to_string())
}

/// A stable Message-ID for a delivery: a retry keeps its identity.
pub fn message_id(delivery_id: i64, incident_id: i64, from: &Mailbox) -> String {
    format!(
        "<tocsin.{incident_id}.{delivery_id}@{}>",
        from.email.domain()
    )
}
