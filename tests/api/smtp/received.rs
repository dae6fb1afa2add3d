//! A message the test SMTP server accepted, and what tests read from it (headers, parts).
use mailparse::{DispositionType, MailHeaderMap, ParsedMail};

/// One message the server accepted (after the final `.` of DATA got its 250).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The MAIL FROM reverse-path, without angle brackets.
    pub from: String,
    /// The accepted RCPT TO forward-paths, in order, as the client spelled them.
    pub to: Vec<String>,
    /// The message as transmitted (headers and body, CRLF line endings, dot-unstuffed; bytes
    /// that are not UTF-8 are replaced with U+FFFD).
    pub raw: String,
    /// Whether it came over TLS (STARTTLS or implicit).
    pub tls: bool,
}

impl Received {
    /// The message parsed by `mailparse`; panics (showing the raw text) if it does not parse.
    pub fn parsed(&self) -> ParsedMail<'_> {
        mailparse::parse_mail(self.raw.as_bytes())
            .unwrap_or_else(|e| panic!("unparseable message ({e}):\n{}", self.raw))
    }

    /// The first top-level header of that name (case-insensitive), RFC 2047 encoded words
    /// decoded (so a non-ASCII Subject reads as written).
    pub fn header(&self, name: &str) -> Option<String> {
        self.parsed().headers.get_first_value(name)
    }

    /// Every top-level header of that name, decoded, in order.
    pub fn headers(&self, name: &str) -> Vec<String> {
        self.parsed().headers.get_all_values(name)
    }

    /// The MIME type of the top part, lower-case, without parameters: `"multipart/alternative"`,
    /// `"text/plain"`...
    pub fn content_type(&self) -> String {
        self.parsed().ctype.mimetype.to_ascii_lowercase()
    }

    /// The MIME types of every part, depth-first, the top one first.
    pub fn part_types(&self) -> Vec<String> {
        self.parsed()
            .parts()
            .map(|p| p.ctype.mimetype.to_ascii_lowercase())
            .collect()
    }

    /// The body of the first non-attachment part of that MIME type (depth-first), with its
    /// transfer encoding (quoted-printable, base64) and charset decoded, CRLF turned into `\n`
    /// and trailing newlines removed (lettre ends a single-part message with an extra empty
    /// line, a multipart one's parts without). `None` when there is no such part.
    pub fn part(&self, mimetype: &str) -> Option<String> {
        let parsed = self.parsed();
        let part = parsed.parts().find(|p| {
            p.ctype.mimetype.eq_ignore_ascii_case(mimetype)
                && p.get_content_disposition().disposition != DispositionType::Attachment
        })?;
        let body = part
            .get_body()
            .unwrap_or_else(|e| panic!("cannot decode {mimetype} part ({e}):\n{}", self.raw));
        Some(
            body.replace("\r\n", "\n")
                .trim_end_matches('\n')
                .to_string(),
        )
    }

    /// The decoded text/plain part (see [`Received::part`]); panics if there is none.
    pub fn text(&self) -> String {
        self.part("text/plain")
            .unwrap_or_else(|| self.missing("text/plain"))
    }

    /// The decoded text/html part (see [`Received::part`]); panics if there is none.
    pub fn html(&self) -> String {
        self.part("text/html")
            .unwrap_or_else(|| self.missing("text/html"))
    }

    fn missing(&self, mimetype: &str) -> ! {
        panic!(
            "no {mimetype} part; parts are {:?}; message:\n{}",
            self.part_types(),
            self.raw
        )
    }

    /// One line for failure messages: envelope and subject.
    pub fn summary(&self) -> String {
        let subject = mailparse::parse_mail(self.raw.as_bytes())
            .ok()
            .and_then(|m| m.headers.get_first_value("Subject"))
            .unwrap_or_default();
        format!("from <{}> to {:?} subject {subject:?}", self.from, self.to)
    }
}
