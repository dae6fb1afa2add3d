//! What a ledger entry says, checked before anything is written, and how it is hashed.
use crate::chain;
use crate::domain::{text_enum, Channel};
use chrono::{DateTime, SubsecRound, Utc};
use entity::ledger_entry;
use serde_json::Value;
use sha2::{Digest, Sha256};

text_enum! {
    /// How one sending attempt ended.
    pub enum Outcome ("an attempt outcome") {
        /// The channel (SMTP server, SMS or push provider) accepted the message.
        Sent = "sent",
        /// Refused for now (4xx, timeout, rate limit): it will be retried.
        TransientFailure = "transient_failure",
        /// Refused for good (5xx, invalid number, unregistered device).
        PermanentFailure = "permanent_failure",
    }
}

text_enum! {
    /// What a provider later reported about a message it accepted (SMS status callbacks).
    pub enum ProviderStatus ("a provider status") {
        Delivered = "delivered",
        Undelivered = "undelivered",
        Failed = "failed",
    }
}

/// What happened to a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Written to the outbox.
    Queued,
    /// One try on the entry's channel, and how it ended.
    Attempt(Outcome),
    /// The entry's channel was given up; `to` is tried next.
    FellBack { to: Channel },
    /// The provider's later word on a message it accepted.
    ProviderStatus(ProviderStatus),
}

impl Event {
    /// The `event` column.
    pub fn kind(self) -> &'static str {
        match self {
            Event::Queued => "queued",
            Event::Attempt(_) => "attempt",
            Event::FellBack { .. } => "fallback",
            Event::ProviderStatus(_) => "provider_status",
        }
    }

    /// The `status` column.
    pub fn status(self) -> &'static str {
        match self {
            Event::Queued => "queued",
            Event::Attempt(o) => o.as_str(),
            Event::FellBack { .. } => "fell_back",
            Event::ProviderStatus(s) => s.as_str(),
        }
    }

    /// The `next_channel` column: set for a fallback only.
    pub fn next_channel(self) -> Option<Channel> {
        match self {
            Event::FellBack { to } => Some(to),
            _ => None,
        }
    }
}

/// The SHA-256 (hex) of the exact content sent: see [`content_sha256`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentHash(String);

impl ContentHash {
    /// A hash computed elsewhere (64 hex digits, any case).
    pub fn parse(hex: &str) -> Result<ContentHash, crate::domain::Invalid> {
        let h = hex.trim().to_ascii_lowercase();
        if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(ContentHash(h))
        } else {
            Err(crate::domain::Invalid(
                "a content hash is 64 hexadecimal digits (SHA-256)".into(),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The hash of a notice as sent: SHA-256 over the compact JSON array `[subject, text, html]`
/// (`html` null when the channel has none, `subject` "" when it has no subject line), so no
/// part can bleed into the next. Hash exactly the strings handed to the channel.
pub fn content_sha256(subject: &str, text: &str, html: Option<&str>) -> ContentHash {
    // The JSON is written straight into the hash: no copy of a notice's text, no string.
    struct Into<'a>(&'a mut Sha256);
    impl std::io::Write for Into<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hasher = Sha256::new();
    serde_json::to_writer(Into(&mut hasher), &(subject, text, html))
        .expect("strings serialise into a hash");
    ContentHash(hex::encode(hasher.finalize()))
}

/// One event of one delivery, as the dispatcher reports it. `details` is free JSON for what
/// the columns do not say (an SMTP reply code, a provider's error code, an attempt number):
/// an object, and never personal data (no addresses, numbers, names, tokens); the subject is
/// named by its registry id only.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub incident_id: i64,
    pub delivery_id: i64,
    pub subject_id: i64,
    pub channel: Channel,
    pub event: Event,
    /// The content sent (required for attempts).
    pub content: Option<ContentHash>,
    /// The templates fingerprint the notice was composed with (required for attempts).
    pub templates: Option<String>,
    /// The provider's message id or reference (SMTP `Message-ID`, an SMS provider's SID).
    pub provider_ref: Option<String>,
    pub at: DateTime<Utc>,
    pub details: Value,
}

impl Entry {
    /// An entry with nothing optional set (`details` `{}`).
    pub fn new(
        incident_id: i64,
        delivery_id: i64,
        subject_id: i64,
        channel: Channel,
        event: Event,
        at: DateTime<Utc>,
    ) -> Entry {
        Entry {
            incident_id,
            delivery_id,
            subject_id,
            channel,
            event,
            content: None,
            templates: None,
            provider_ref: None,
            at,
            details: Value::Object(Default::default()),
        }
    }

    /// With the content sent and the templates fingerprint it was composed with.
    pub fn content(mut self, content: ContentHash, templates: impl Into<String>) -> Entry {
        self.content = Some(content);
        self.templates = Some(templates.into());
        self
    }

    pub fn provider_ref(mut self, reference: impl Into<String>) -> Entry {
        self.provider_ref = Some(reference.into());
        self
    }

    pub fn details(mut self, details: Value) -> Entry {
        self.details = details;
        self
    }

    /// Why this entry cannot be recorded, if it cannot.
    pub(super) fn problem(&self) -> Option<String> {
        if self.incident_id < 1 || self.delivery_id < 1 || self.subject_id < 1 {
            return Some("incident, delivery and subject ids are positive".into());
        }
        if let Event::Attempt(_) = self.event {
            if self.content.is_none() || self.templates.is_none() {
                return Some(
                    "an attempt names the content sent and the templates fingerprint".into(),
                );
            }
        }
        if self.event.next_channel() == Some(self.channel) {
            return Some(format!("a fallback from {} to itself", self.channel));
        }
        for (name, value, max) in [
            ("templates", &self.templates, MAX_TEMPLATES),
            ("provider_ref", &self.provider_ref, MAX_PROVIDER_REF),
        ] {
            if let Some(v) = value {
                if v.is_empty() || v.len() > max || v.chars().any(char::is_control) {
                    return Some(format!(
                        "{name} is 1 to {max} bytes of printable text when given"
                    ));
                }
            }
        }
        match &self.details {
            Value::Object(_) | Value::Null => {}
            _ => return Some("details is a JSON object".into()),
        }
        if self.details.to_string().len() > MAX_DETAILS {
            return Some(format!("details is at most {MAX_DETAILS} bytes of JSON"));
        }
        None
    }

    /// The row for place `seq` after `prev_hash`, hashed.
    pub(super) fn seal(&self, seq: i64, prev_hash: String) -> ledger_entry::Model {
        let details = match &self.details {
            Value::Null => "{}".to_owned(),
            d => d.to_string(),
        };
        let mut row = ledger_entry::Model {
            seq,
            at: self.at.trunc_subsecs(6),
            incident_id: self.incident_id,
            delivery_id: self.delivery_id,
            subject_id: self.subject_id,
            channel: self.channel.as_str().to_owned(),
            event: self.event.kind().to_owned(),
            status: self.event.status().to_owned(),
            next_channel: self.event.next_channel().map(|c| c.as_str().to_owned()),
            content_sha256: self.content.as_ref().map(|c| c.0.clone()),
            templates: self.templates.clone(),
            provider_ref: self.provider_ref.clone(),
            details,
            prev_hash,
            hash: String::new(),
        };
        row.hash = entry_hash(&row);
        row
    }
}

const MAX_TEMPLATES: usize = 256;
const MAX_PROVIDER_REF: usize = 512;
const MAX_DETAILS: usize = 16 * 1024;

/// The hash of a stored entry (its `hash` field aside): hex SHA-256 over the compact JSON of
/// `[seq, at, incident_id, delivery_id, subject_id, channel, event, status, next_channel,
/// content_sha256, templates, provider_ref, details, prev_hash]`, `at` as
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, absent values `null`, `details` the stored JSON text. Public
/// so that exports can be checked by anyone, and tests can forge a rewrite.
pub fn entry_hash(e: &ledger_entry::Model) -> String {
    chain::digest(&(
        e.seq,
        chain::stamp(&e.at),
        e.incident_id,
        e.delivery_id,
        e.subject_id,
        &e.channel,
        &e.event,
        &e.status,
        &e.next_channel,
        &e.content_sha256,
        &e.templates,
        &e.provider_ref,
        &e.details,
        &e.prev_hash,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_hash_is_sha256_of_the_compact_json_array() {
        let cases = [
            (
                "Subject",
                "Dear Ana,\n\"quoted\" \u{7} ü 个人 \u{1F600}\r\n",
                Some("<p>a</p>"),
            ),
            ("", "text only", None),
        ];
        for (subject, text, html) in cases {
            let canonical = serde_json::json!([subject, text, html]).to_string();
            let expected = hex::encode(Sha256::digest(canonical.as_bytes()));
            assert_eq!(content_sha256(subject, text, html).as_str(), expected);
        }
    }

    #[test]
    fn the_entry_hash_is_sha256_of_the_documented_json_array() {
        let queued = Entry::new(1, 2, 3, Channel::Sms, Event::Queued, at());
        let fell_back = Entry::new(
            1,
            2,
            3,
            Channel::Email,
            Event::FellBack { to: Channel::Sms },
            at(),
        );
        for row in [
            sent().seal(7, "p".repeat(64)),
            queued.seal(1, String::new()),
            fell_back.seal(2, "x\"y".into()),
        ] {
            let canonical = serde_json::json!([
                row.seq,
                chain::stamp(&row.at),
                row.incident_id,
                row.delivery_id,
                row.subject_id,
                row.channel,
                row.event,
                row.status,
                row.next_channel,
                row.content_sha256,
                row.templates,
                row.provider_ref,
                row.details,
                row.prev_hash
            ])
            .to_string();
            assert_eq!(row.hash, hex::encode(Sha256::digest(canonical.as_bytes())));
        }
    }

    /// `cargo test --release --lib content_hash_speed -- --ignored --nocapture`: the content
    /// hash of a rendered e-mail notice's text and HTML (~4.2 KB), per notice.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn content_hash_speed() {
        let line =
            "We are writing to tell you about a security incident that involved your data.\n";
        let (text, html) = (line.repeat(24), format!("<p>{}</p>", line.repeat(28)));
        let rounds = 20_000;
        let t = std::time::Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(content_sha256("Security notice", &text, Some(&html)));
        }
        let bytes = text.len() + html.len();
        println!("{bytes} bytes: {:?} a notice", t.elapsed() / rounds);
    }

    fn at() -> DateTime<Utc> {
        "2026-12-01T10:00:00.123456789Z".parse().unwrap()
    }

    fn sent() -> Entry {
        Entry::new(1, 2, 3, Channel::Email, Event::Attempt(Outcome::Sent), at())
            .content(content_sha256("s", "t", Some("<p>t</p>")), "tpl-1")
    }

    #[test]
    fn content_hashes_keep_their_parts_apart() {
        let a = content_sha256("ab", "c", None);
        assert_ne!(a, content_sha256("a", "bc", None));
        assert_ne!(a, content_sha256("ab", "c", Some("")));
        assert_eq!(a, content_sha256("ab", "c", None));
        assert_eq!(ContentHash::parse(&a.as_str().to_uppercase()).unwrap(), a);
        assert!(ContentHash::parse("abc").is_err());
    }

    #[test]
    fn the_hash_covers_every_field_and_the_link() {
        let base = sent().seal(5, chain::GENESIS.into());
        assert_eq!(base.at.timestamp_subsec_nanos(), 123_456_000);
        let variants = [
            Entry {
                subject_id: 4,
                ..sent()
            },
            Entry {
                channel: Channel::Sms,
                ..sent()
            },
            Entry {
                event: Event::Attempt(Outcome::TransientFailure),
                ..sent()
            },
            sent().provider_ref("<1@x>"),
            sent().details(serde_json::json!({"smtp": 250})),
            sent().content(content_sha256("s", "t", None), "tpl-1"),
            sent().content(content_sha256("s", "t", Some("<p>t</p>")), "tpl-2"),
            Entry {
                at: at() + chrono::Duration::microseconds(1),
                ..sent()
            },
        ];
        for v in variants {
            assert_ne!(v.seal(5, chain::GENESIS.into()).hash, base.hash, "{v:?}");
        }
        assert_ne!(sent().seal(6, chain::GENESIS.into()).hash, base.hash);
        assert_ne!(sent().seal(5, "1".repeat(64)).hash, base.hash);
        assert_eq!(entry_hash(&base), base.hash);
    }

    #[test]
    fn entries_that_prove_nothing_are_refused() {
        assert_eq!(sent().problem(), None);
        let bare = Entry::new(1, 2, 3, Channel::Sms, Event::Attempt(Outcome::Sent), at());
        assert!(bare.problem().unwrap().contains("content"));
        let fb = Entry::new(
            1,
            2,
            3,
            Channel::Sms,
            Event::FellBack { to: Channel::Sms },
            at(),
        );
        assert!(fb.problem().is_some());
        let fb = Entry::new(
            1,
            2,
            3,
            Channel::Email,
            Event::FellBack { to: Channel::Sms },
            at(),
        );
        assert_eq!(fb.problem(), None);
        assert!(sent().details(serde_json::json!([1])).problem().is_some());
        assert!(sent().provider_ref("a\nb").problem().is_some());
        assert!(sent().provider_ref("").problem().is_some());
        assert!(Entry {
            subject_id: 0,
            ..sent()
        }
        .problem()
        .is_some());
        let big = serde_json::json!({ "x": "y".repeat(MAX_DETAILS) });
        assert!(sent().details(big).problem().is_some());
    }

    #[test]
    fn the_stored_words_say_what_happened() {
        let fb = Event::FellBack { to: Channel::Sms };
        assert_eq!(
            (fb.kind(), fb.status(), fb.next_channel()),
            ("fallback", "fell_back", Some(Channel::Sms))
        );
        let st = Event::ProviderStatus(ProviderStatus::Undelivered);
        assert_eq!(
            (st.kind(), st.status(), st.next_channel()),
            ("provider_status", "undelivered", None)
        );
        let row = sent().seal(1, chain::GENESIS.into());
        assert_eq!(
            (row.event.as_str(), row.status.as_str()),
            ("attempt", "sent")
        );
        assert_eq!(row.details, "{}");
    }
}
