//! E-mail out: over SMTP through our own connection pool (`super::smtp`), or as `.eml` files in
//! the outbox folder.
use super::channel::{Attempt, Outcome, Outgoing, Transport};
use crate::config::{Settings, SmtpSettings};
use crate::domain::Channel;
use anyhow::Context;
use lettre::message::header::ContentTransferEncoding;
use lettre::message::{Body, Mailbox, MultiPart};
use lettre::Message;
use std::path::PathBuf;

/// Messages outstanding on SMTP, in rounds of `TOCSIN_SEND_CONCURRENCY` (the pool's
/// connections): one being sent on each connection, and the next waiting to ride along with
/// its final dot (`super::smtp::pool`). One round would leave nothing waiting, so no message
/// would ever ride along.
pub const SMTP_IN_FLIGHT_ROUNDS: usize = 2;

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

    fn in_flight(&self, concurrency: usize) -> usize {
        match self.mailer {
            Mailer::Smtp(_) => SMTP_IN_FLIGHT_ROUNDS * concurrency,
            Mailer::Files(_) => concurrency,
        }
    }

    async fn send(&self, out: &Outgoing) -> Attempt {
        let Some(to) = out.notice.recipient.as_deref() else {
            return Outcome::Permanent("no e-mail address".into()).into();
        };
        let message = match build(
            &self.from,
            out,
            to,
            &self.identity(out),
            self.mailer.eight_bit(),
        ) {
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

    /// Whether message text may go as it is (8bit) instead of quoted-printable: the SMTP server
    /// said it takes 8-bit text (8BITMIME).
    fn eight_bit(&self) -> bool {
        matches!(self, Mailer::Smtp(pool) if pool.offers_8bitmime())
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

/// A body part: as it is (8bit, or 7bit when ASCII) when the server takes 8-bit text and the
/// text allows it, else what lettre chooses (quoted-printable or base64). lettre's own choice
/// never picks 8bit for lines of 76 octets or more, which every rendered notice has; RFC 2045
/// allows 998.
fn body(text: &str, eight_bit: bool) -> Body {
    if eight_bit {
        if let Some(buf) = as_8bit(text) {
            let encoding = if text.is_ascii() {
                ContentTransferEncoding::SevenBit
            } else {
                ContentTransferEncoding::EightBit
            };
            return Body::dangerous_pre_encoded(buf, encoding);
        }
    }
    Body::new(text.to_owned())
}

/// `text` with CRLF line ends, when it can go as 8bit data (RFC 2045 §2.8): no NUL, no CR
/// but before LF, lines of at most 998 octets.
fn as_8bit(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    // A CR is allowed only as part of a CRLF line end: when there is none (almost always),
    // the lines need no closer look (memchr's scans run over whole words at a time).
    let crs = memchr::memchr(b'\r', bytes).is_some();
    if memchr::memchr(0, bytes).is_some() {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32 + 2);
    let mut start = 0;
    loop {
        let end = memchr::memchr(b'\n', &bytes[start..]).map(|i| start + i);
        let mut line = &bytes[start..end.unwrap_or(bytes.len())];
        if crs {
            // A CR belongs to the line end only before an LF.
            if end.is_some() {
                line = line.strip_suffix(b"\r").unwrap_or(line);
            }
            if memchr::memchr(b'\r', line).is_some() {
                return None;
            }
        }
        if line.len() > 998 {
            return None;
        }
        out.extend_from_slice(line);
        match end {
            Some(end) => {
                out.extend_from_slice(b"\r\n");
                start = end + 1;
            }
            None => return Some(out),
        }
    }
}

fn build(
    from: &Mailbox,
    out: &Outgoing,
    to: &str,
    message_id: &str,
    eight_bit: bool,
) -> Result<Message, String> {
    let n = &out.notice;
    let address: lettre::Address = to
        .parse()
        .map_err(|_| "the e-mail address is not accepted by the mailer".to_string())?;
    // The envelope given rather than derived: lettre derives it by parsing the From and To
    // headers it has just written (2–3 % of the CPU of sending e-mail in a profile).
    let envelope = lettre::address::Envelope::new(Some(from.email.clone()), vec![address.clone()])
        .map_err(|e| format!("the message could not be built: {e}"))?;
    let to = Mailbox::new(
        n.recipient_name.clone().filter(|n| !n.trim().is_empty()),
        address,
    );
    let builder = Message::builder()
        .envelope(envelope)
        .from(from.clone())
        .to(to)
        .subject(n.subject_line.clone())
        .message_id(Some(message_id.to_owned()))
        .date_now();
    let built = match &n.body_html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            body(&n.body_text, eight_bit),
            body(html, eight_bit),
        )),
        None => builder.body(body(&n.body_text, eight_bit)),
    };
    built.map_err(|e| format!("the message could not be built: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notices::store::Notice;

    fn outgoing(text: &str, html: Option<&str>) -> Outgoing {
        Outgoing {
            delivery_id: 7,
            incident_id: 3,
            subject_id: 1,
            idempotency_key: Outgoing::key(3, 7),
            notice: Notice {
                subject_id: 1,
                channel: Channel::Email,
                locale: "de".into(),
                recipient: Some("dana@example.com".into()),
                recipient_name: Some("Dana Noble".into()),
                subject_line: "Sicherheitsvorfall".into(),
                body_text: text.into(),
                body_html: html.map(str::to_owned),
            },
            link: None,
            devices: Vec::new(),
        }
    }

    fn wire(out: &Outgoing, eight_bit: bool) -> String {
        let from: Mailbox = "Tocsin <alerts@tocsin.test>".parse().unwrap();
        let m = build(&from, out, "dana@example.com", "<m@tocsin.test>", eight_bit).unwrap();
        String::from_utf8(m.formatted()).unwrap()
    }

    #[test]
    fn the_envelope_given_is_the_one_lettre_would_derive() {
        let from: Mailbox = "Tocsin <alerts@tocsin.test>".parse().unwrap();
        for html in [None, Some("<p>x</p>")] {
            let m = build(
                &from,
                &outgoing("x\n", html),
                "dana@example.com",
                "<m@t>",
                true,
            )
            .unwrap();
            let derived = lettre::address::Envelope::try_from(m.headers()).unwrap();
            assert_eq!(m.envelope(), &derived);
            assert_eq!(
                m.envelope().to(),
                ["dana@example.com".parse::<lettre::Address>().unwrap()]
            );
        }
    }

    #[test]
    fn text_goes_as_8bit_only_where_the_server_takes_it_and_lines_allow() {
        let out = outgoing("Grüße — Ihre Daten\n", Some("<p>Grüße — Ihre Daten</p>"));
        let eight = wire(&out, true);
        assert_eq!(
            eight.matches("Content-Transfer-Encoding: 8bit").count(),
            2,
            "{eight}"
        );
        assert!(eight.contains("Grüße — Ihre Daten"), "{eight}");
        let qp = wire(&out, false);
        assert!(
            !qp.contains("8bit") && qp.contains("quoted-printable"),
            "{qp}"
        );
        // Lines of up to 998 octets go as they are; a longer one cannot: lettre's choice.
        let line = format!("{}\n", "ü".repeat(499));
        let w = wire(&outgoing(&line, None), true);
        assert!(
            w.contains("Content-Transfer-Encoding: 8bit") && w.contains(line.trim()),
            "{w}"
        );
        let long = outgoing(&format!("{}\n", "ü".repeat(500)), None);
        let w = wire(&long, true);
        assert!(!w.contains("Content-Transfer-Encoding: 8bit"), "{w}");
        // ASCII text with long lines is 7bit data, not quoted-printable.
        let ascii = wire(&outgoing(&format!("{}\n", "a".repeat(300)), None), true);
        assert!(ascii.contains("Content-Transfer-Encoding: 7bit"), "{ascii}");
        assert_eq!(as_8bit("a\r\nb\nc"), Some(b"a\r\nb\r\nc".to_vec()));
        assert_eq!(as_8bit("bare\rcr"), None);
        assert_eq!(as_8bit("ends with cr\r"), None);
        assert_eq!(as_8bit("nul\0"), None);
    }
}
