//! Settings from the environment (`TOCSIN_*`). A bad value stops start-up with a message that
//! names the variable.
mod channels;
mod web;

pub use channels::{ApnsProvider, ChannelSettings, FcmProvider, SmsProvider, VapidProvider};
use std::net::SocketAddr;
use std::path::PathBuf;
pub use web::WebSettings;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tocsin.db?mode=rwc";

#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

/// Where e-mail goes: an SMTP server, or `.eml` files under the outbox folder.
#[derive(Clone)]
pub enum SmtpSettings {
    Files,
    /// `TOCSIN_SMTP_URL`; `TOCSIN_SMTP_CA_FILE`, a PEM certificate trusted besides the web PKI
    /// roots (a private relay's CA or self-signed certificate).
    Server {
        url: url::Url,
        ca_file: Option<PathBuf>,
    },
}

impl SmtpSettings {
    /// What start-up warns about: e-mail that may travel in clear text.
    pub fn warning(&self) -> Option<&'static str> {
        let SmtpSettings::Server { url, .. } = self else {
            return None;
        };
        match (url.scheme(), smtp_tls(url).as_deref()) {
            ("smtp", None) => Some(
                "TOCSIN_SMTP_URL is smtp:// without TLS: notices travel in clear text; \
                 use smtps://host:465 or smtp://host:587?tls=required",
            ),
            ("smtp", Some("opportunistic")) => Some(
                "TOCSIN_SMTP_URL has tls=opportunistic: notices travel in clear text when the \
                 server offers no STARTTLS; use tls=required",
            ),
            _ => None,
        }
    }
}

fn smtp_tls(url: &url::Url) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned())
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmtpSettings::Files => f.write_str("Files"),
            // Never print credentials.
            SmtpSettings::Server { url, .. } => write!(
                f,
                "Server({}://{}:{})",
                url.scheme(),
                url.host_str().unwrap_or(""),
                url.port().map(|p| p.to_string()).unwrap_or_default()
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub addr: SocketAddr,
    /// `TOCSIN_PUBLIC_URL` when set; otherwise links follow the address actually served (see
    /// `app::Application::build`).
    pub public_url: Option<url::Url>,
    pub smtp: SmtpSettings,
    pub mail_from: lettre::message::Mailbox,
    pub outbox_dir: PathBuf,
    pub log: String,
    /// E-mail of the first admin account, created on first start.
    pub admin_email: String,
    /// Where playbooks (incident kinds, inventory, jurisdiction rules) are read from; unset:
    /// `./playbooks` when present, else the built-in ones.
    pub playbooks_dir: Option<PathBuf>,
    /// Where handlebars templates are read from; unset: `./templates` when present, else the
    /// built-in ones.
    pub templates_dir: Option<PathBuf>,
    /// First retry delay after a temporary failure; doubles per attempt (with jitter, capped).
    pub retry_base: std::time::Duration,
    /// Attempts per delivery before it is given up as failed.
    pub max_attempts: i32,
    /// Deliveries sent at once by one dispatcher.
    pub send_concurrency: usize,
    /// How long a worker's claim holds without a heartbeat (`TOCSIN_LEASE_SECS`, 30): rows of
    /// a worker that died are taken over after it.
    pub lease: std::time::Duration,
    /// The largest subjects upload the API accepts (bytes); it is kept on disk while it
    /// arrives, so this bounds the disk an upload may take.
    pub import_max_bytes: u64,
    /// SMS and push providers, SMS segments and price, per-channel rates.
    pub channels: ChannelSettings,
    /// How long before each obligation's deadline its responders are reminded
    /// (`TOCSIN_REMINDERS`, default `24h,4h`; `off` for none). A missed deadline is always
    /// reminded of once.
    pub reminders: Vec<std::time::Duration>,
    /// The Ed25519 key that signs the audit log's and the ledger's checkpoints
    /// (`TOCSIN_AUDIT_KEY`, else the file `TOCSIN_AUDIT_KEY_FILE`, default `tocsin.key`). It
    /// lives outside the database so that write access to the database cannot forge them.
    pub audit_key: AuditKey,
    /// Timeouts, the concurrency limit, console sessions, the metrics token.
    pub web: WebSettings,
    /// The font PDF reports are set in first (`TOCSIN_PDF_FONT`: a .ttf, .otf, .ttc or .otc
    /// file); unset: the fonts found in the standard places (see `regulation::pdf::Fonts`).
    pub pdf_font: Option<PathBuf>,
}

/// Where the audit signing key comes from; its `Debug` never shows the seed.
#[derive(Clone, PartialEq, Eq)]
pub enum AuditKey {
    /// The 32-byte Ed25519 seed itself (`TOCSIN_AUDIT_KEY`).
    Seed([u8; 32]),
    /// A file holding the seed as base64url; created (mode 0600) on first start when missing.
    File(PathBuf),
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditKey::Seed(_) => f.write_str("Seed(***)"),
            AuditKey::File(p) => write!(f, "File({p:?})"),
        }
    }
}

/// The seed in `text`: base64url (padded or not) of exactly 32 bytes.
pub fn decode_seed(text: &str) -> Option<[u8; 32]> {
    use base64::Engine as _;
    let t = text.trim().trim_end_matches('=');
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .ok()?
        .try_into()
        .ok()
}

/// A database URL; its `Debug` hides any password.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<DatabaseUrl, String> {
        if s.starts_with("sqlite:") {
            Ok(DatabaseUrl(s.to_owned()))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            url::Url::parse(s).map_err(|e| format!("not a valid URL ({e})"))?;
            Ok(DatabaseUrl(s.to_owned()))
        } else {
            Err("must start with sqlite:// or postgres://".into())
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                write!(f, "{u}")
            }
            _ => f.write_str(&self.0),
        }
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`, so tests can pass their own environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let var = |name: &'static str, default: &str| -> (&'static str, String) {
            (
                name,
                get(name)
                    .filter(|v| !v.trim().is_empty())
                    .unwrap_or_else(|| default.into()),
            )
        };
        let fail = |var: &'static str, message: String| ConfigError { var, message };

        let (n, v) = var("TOCSIN_DATABASE_URL", DEFAULT_DATABASE_URL);
        let database_url = DatabaseUrl::parse(&v).map_err(|m| fail(n, m))?;

        let (n, v) = var("TOCSIN_ADDR", "127.0.0.1:8080");
        let addr = v
            .parse::<SocketAddr>()
            .map_err(|_| fail(n, format!("'{v}' is not an address such as 127.0.0.1:8080")))?;

        let public_url = match get("TOCSIN_PUBLIC_URL").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(v) => Some(
                url::Url::parse(v.trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                    .ok_or_else(|| {
                        fail("TOCSIN_PUBLIC_URL", format!("'{v}' is not an http(s) URL"))
                    })?,
            ),
        };

        let folder = |name: &str| {
            get(name)
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from)
        };
        let smtp = match get("TOCSIN_SMTP_URL").filter(|v| !v.trim().is_empty()) {
            None => SmtpSettings::Files,
            Some(v) => {
                let url = url::Url::parse(&v)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some())
                    .ok_or_else(|| {
                        fail(
                            "TOCSIN_SMTP_URL",
                            "is not smtp://host:port, smtps://host:port or smtp://host:port?tls=required"
                                .into(),
                        )
                    })?;
                let tls = smtp_tls(&url);
                if !matches!(tls.as_deref(), None | Some("required" | "opportunistic")) {
                    return Err(fail(
                        "TOCSIN_SMTP_URL",
                        "has a tls= other than required or opportunistic".into(),
                    ));
                }
                let credentials = !url.username().is_empty() || url.password().is_some();
                if credentials && url.scheme() == "smtp" && tls.as_deref() != Some("required") {
                    // Never show the URL: it holds the password.
                    return Err(fail(
                        "TOCSIN_SMTP_URL",
                        "carries a user and password but is smtp:// without required TLS, so \
                         they could go over the network in clear text: use \
                         smtps://user:password@host:465 or \
                         smtp://user:password@host:587?tls=required (or drop the credentials \
                         for a relay that needs none)"
                            .into(),
                    ));
                }
                SmtpSettings::Server {
                    url,
                    ca_file: folder("TOCSIN_SMTP_CA_FILE"),
                }
            }
        };

        let (n, v) = var("TOCSIN_MAIL_FROM", "security@localhost");
        let mail_from = v
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| fail(n, format!("'{v}' is not a mailbox ({e})")))?;

        let (_, v) = var("TOCSIN_OUTBOX_DIR", "./outbox");
        let outbox_dir = PathBuf::from(v);

        let (n, log) = var("TOCSIN_LOG", "info");
        tracing_subscriber::EnvFilter::try_new(&log)
            .map_err(|e| fail(n, format!("'{log}' is not a tracing filter ({e})")))?;

        let (n, admin_email) = var("TOCSIN_ADMIN_EMAIL", "admin@localhost");
        if !admin_email.contains('@') {
            return Err(fail(n, format!("'{admin_email}' is not an e-mail address")));
        }

        let playbooks_dir = folder("TOCSIN_PLAYBOOKS_DIR");
        let templates_dir = folder("TOCSIN_TEMPLATES_DIR");

        let number =
            |name: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
                let (n, v) = var(name, &default.to_string());
                v.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|x| (min..=max).contains(x))
                    .ok_or_else(|| {
                        fail(
                            n,
                            format!("'{v}' is not a whole number from {min} to {max}"),
                        )
                    })
            };
        let retry_base = std::time::Duration::from_millis(number(
            "TOCSIN_RETRY_BASE_MS",
            30_000,
            0,
            86_400_000,
        )?);
        let max_attempts = number("TOCSIN_MAX_ATTEMPTS", 8, 1, 100)? as i32;
        let send_concurrency = number("TOCSIN_SEND_CONCURRENCY", 16, 1, 1024)? as usize;
        let lease = std::time::Duration::from_secs(number("TOCSIN_LEASE_SECS", 30, 3, 3600)?);
        let import_max_bytes = number("TOCSIN_IMPORT_MAX_BYTES", 2 << 30, 1, 1 << 50)?;

        let (n, v) = var("TOCSIN_REMINDERS", "24h,4h");
        let reminders = parse_reminders(&v).map_err(|m| fail(n, m))?;

        let audit_key = match (
            get("TOCSIN_AUDIT_KEY").filter(|v| !v.trim().is_empty()),
            folder("TOCSIN_AUDIT_KEY_FILE"),
        ) {
            (Some(_), Some(_)) => {
                return Err(fail(
                    "TOCSIN_AUDIT_KEY",
                    "set TOCSIN_AUDIT_KEY or TOCSIN_AUDIT_KEY_FILE, not both".into(),
                ))
            }
            // The value is a secret: the message never shows it.
            (Some(v), None) => AuditKey::Seed(decode_seed(&v).ok_or_else(|| {
                fail(
                    "TOCSIN_AUDIT_KEY",
                    "is not the base64url of a 32-byte Ed25519 seed".into(),
                )
            })?),
            (None, Some(path)) => AuditKey::File(path),
            (None, None) => AuditKey::File(PathBuf::from("tocsin.key")),
        };

        let pdf_font = match folder("TOCSIN_PDF_FONT") {
            None => None,
            Some(p) => Some(check_font_path(&p).map_err(|m| fail("TOCSIN_PDF_FONT", m))?),
        };

        Ok(Settings {
            database_url,
            addr,
            public_url,
            smtp,
            mail_from,
            outbox_dir,
            log,
            admin_email,
            playbooks_dir,
            templates_dir,
            retry_base,
            max_attempts,
            send_concurrency,
            lease,
            import_max_bytes,
            channels: ChannelSettings::from_lookup(&get)?,
            reminders,
            audit_key,
            web: WebSettings::from_lookup(&get)?,
            pdf_font,
        })
    }
}

/// A font file that exists, by its extension TrueType or OpenType (the file itself is read
/// by `regulation::pdf::Fonts::discover`).
fn check_font_path(p: &std::path::Path) -> Result<PathBuf, String> {
    let ext = p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("ttf" | "otf" | "ttc" | "otc")) {
        return Err(format!(
            "'{}' is not a TrueType/OpenType font file (.ttf, .otf, .ttc or .otc)",
            p.display()
        ));
    }
    if !p.is_file() {
        return Err(format!("'{}' is not a readable file", p.display()));
    }
    Ok(p.to_owned())
}

/// `24h,4h`, `2d,30m`, or `off`: the offsets before a deadline, longest first, once each.
fn parse_reminders(v: &str) -> Result<Vec<std::time::Duration>, String> {
    if v.trim().eq_ignore_ascii_case("off") {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (num, unit) = part.split_at(part.len().saturating_sub(1));
        let secs = match unit {
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => 0,
        };
        let n: u64 = num
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .unwrap_or(0);
        if secs == 0 || n == 0 {
            return Err(format!(
                "'{part}' is not a time before the deadline such as 24h, 30m or 2d (or set off)"
            ));
        }
        out.push(std::time::Duration::from_secs(n * secs));
    }
    if out.is_empty() {
        return Err("list times before the deadline such as 24h,4h, or set off".into());
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_embedded_sqlite_and_files() {
        let s = with(&[]).unwrap();
        assert_eq!(s.database_url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(s.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.public_url, None, "links follow the address served");
        assert_eq!(s.templates_dir, None, "./templates or the built-in ones");
        assert!(matches!(s.smtp, SmtpSettings::Files));
        assert_eq!(s.import_max_bytes, 2 * 1024 * 1024 * 1024);
        assert_eq!(s.audit_key, AuditKey::File("tocsin.key".into()));
    }

    #[test]
    fn the_audit_key_is_a_32_byte_seed_and_is_never_printed() {
        use base64::Engine as _;
        let seed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 32]);
        let s = with(&[("TOCSIN_AUDIT_KEY", &seed)]).unwrap();
        assert!(matches!(s.audit_key, AuditKey::Seed(_)));
        assert!(!format!("{s:?}").contains(&seed), "{s:?}");
        let padded = with(&[("TOCSIN_AUDIT_KEY", &format!("{seed}="))]).unwrap();
        assert_eq!(padded.audit_key, s.audit_key);
        let long = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 33]);
        for bad in ["c2hvcnQ", "not base64!", &long] {
            let err = with(&[("TOCSIN_AUDIT_KEY", bad)]).unwrap_err();
            assert_eq!(err.var, "TOCSIN_AUDIT_KEY");
            assert!(!err.to_string().contains(bad), "{err}");
        }
        let err = with(&[("TOCSIN_AUDIT_KEY", &seed), ("TOCSIN_AUDIT_KEY_FILE", "k")]).unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
        let file = with(&[("TOCSIN_AUDIT_KEY_FILE", "/etc/tocsin/audit.key")]).unwrap();
        assert_eq!(
            file.audit_key,
            AuditKey::File("/etc/tocsin/audit.key".into())
        );
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (k, v) in [
            ("TOCSIN_DATABASE_URL", "mysql://x"),
            ("TOCSIN_ADDR", "localhost"),
            ("TOCSIN_PUBLIC_URL", "ftp://x"),
            ("TOCSIN_SMTP_URL", "http://mail"),
            ("TOCSIN_MAIL_FROM", "not a mailbox"),
            ("TOCSIN_LOG", "[[["),
            ("TOCSIN_IMPORT_MAX_BYTES", "2G"),
            ("TOCSIN_IMPORT_MAX_BYTES", "0"),
        ] {
            let err = with(&[(k, v)]).unwrap_err();
            assert_eq!(err.var, k);
            assert!(err.to_string().starts_with(k), "{err}");
        }
    }

    #[test]
    fn reminders_default_to_24_and_4_hours_and_can_be_set_or_turned_off() {
        let h = |n: u64| std::time::Duration::from_secs(n * 3600);
        assert_eq!(with(&[]).unwrap().reminders, [h(24), h(4)]);
        let s = with(&[("TOCSIN_REMINDERS", "30m, 2d,4h,4h")]).unwrap();
        assert_eq!(
            s.reminders,
            [h(48), h(4), std::time::Duration::from_secs(1800)]
        );
        assert!(with(&[("TOCSIN_REMINDERS", "off")])
            .unwrap()
            .reminders
            .is_empty());
        for bad in ["4", "4x", "0h", ",", "-1h"] {
            let e = with(&[("TOCSIN_REMINDERS", bad)]).unwrap_err();
            assert_eq!(e.var, "TOCSIN_REMINDERS", "{bad}");
        }
    }

    #[test]
    fn smtp_credentials_without_tls_are_refused_naming_the_variable() {
        for url in [
            "smtp://user:s3cret@mail.example.com:587",
            "smtp://user:s3cret@mail.example.com:587?tls=opportunistic",
            "smtp://user@mail.example.com",
        ] {
            let err = with(&[("TOCSIN_SMTP_URL", url)]).unwrap_err();
            assert_eq!(err.var, "TOCSIN_SMTP_URL", "{url}");
            let text = err.to_string();
            assert!(
                text.contains("tls=required") && text.contains("smtps://"),
                "{text}"
            );
            assert!(!text.contains("s3cret"), "{text}");
        }
        for url in [
            "smtps://user:s3cret@mail.example.com",
            "smtp://user:s3cret@mail.example.com:587?tls=required",
        ] {
            let s = with(&[("TOCSIN_SMTP_URL", url)]).unwrap();
            assert_eq!(s.smtp.warning(), None, "{url}");
            assert!(!format!("{s:?}").contains("s3cret"));
        }
        let err = with(&[("TOCSIN_SMTP_URL", "smtp://mail.example.com?tls=yes")]).unwrap_err();
        assert_eq!(err.var, "TOCSIN_SMTP_URL");
    }

    #[test]
    fn smtp_without_tls_is_warned_about() {
        let plain = with(&[("TOCSIN_SMTP_URL", "smtp://127.0.0.1:2525")]).unwrap();
        assert!(plain.smtp.warning().unwrap().contains("clear text"));
        let opportunistic = with(&[(
            "TOCSIN_SMTP_URL",
            "smtp://mail.example.com?tls=opportunistic",
        )])
        .unwrap();
        assert!(opportunistic
            .smtp
            .warning()
            .unwrap()
            .contains("tls=required"));
        assert_eq!(with(&[]).unwrap().smtp.warning(), None, "files");
        let ca = with(&[
            ("TOCSIN_SMTP_URL", "smtps://mail.example.com"),
            ("TOCSIN_SMTP_CA_FILE", "/etc/tocsin/relay-ca.pem"),
        ])
        .unwrap();
        assert!(matches!(
            ca.smtp,
            SmtpSettings::Server { ca_file: Some(ref p), .. } if p.to_str() == Some("/etc/tocsin/relay-ca.pem")
        ));
    }

    #[test]
    fn the_pdf_font_must_be_an_existing_font_file() {
        assert_eq!(with(&[]).unwrap().pdf_font, None);
        let dir = tempfile::tempdir().unwrap();
        let font = dir.path().join("Font.OTF");
        std::fs::write(&font, b"x").unwrap();
        let s = with(&[("TOCSIN_PDF_FONT", font.to_str().unwrap())]).unwrap();
        assert_eq!(s.pdf_font, Some(font));
        let missing = dir.path().join("absent.ttf");
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, b"x").unwrap();
        for bad in [&missing, &text, &dir.path().to_path_buf()] {
            let e = with(&[("TOCSIN_PDF_FONT", bad.to_str().unwrap())]).unwrap_err();
            assert_eq!(e.var, "TOCSIN_PDF_FONT");
            assert!(e.to_string().contains(bad.to_str().unwrap()), "{e}");
        }
    }

    #[test]
    fn database_password_is_not_printed() {
        let u = DatabaseUrl::parse("postgres://tocsin:s3cret@db/tocsin").unwrap();
        assert!(!format!("{u:?}").contains("s3cret"));
    }
}
