//! The Ed25519 key that signs checkpoints. It lives outside the database (an environment
//! variable or a file), so that write access to the database is not enough to forge them.
//!
//! One signer per process, installed at start-up (`Application::build`, the CLI commands that
//! write, the test harness): see the module doc of `crate::chain` for why.
use crate::config::{decode_seed, AuditKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A private key, able to sign checkpoints. Its `Debug` shows the key id only.
pub struct Signer {
    pair: Ed25519KeyPair,
    public: PublicKey,
}

/// The public half, which is all that verification needs.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    bytes: Vec<u8>,
    id: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer(key {})", self.public.id)
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "no audit signing key at {0}: set TOCSIN_AUDIT_KEY or TOCSIN_AUDIT_KEY_FILE to the key \
         the chains were signed with"
    )]
    Missing(PathBuf),
    #[error(
        "the audit key file {path} can be read by group or others (mode {mode:03o}); refusing it: \
         run `chmod 600 {path}` (and consider the key exposed)"
    )]
    Exposed { path: String, mode: u32 },
    #[error("the audit key file {0} does not hold the base64url of a 32-byte Ed25519 seed")]
    Malformed(PathBuf),
    #[error("cannot use the audit key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the audit key was rejected: {0}")]
    Rejected(String),
    #[error(
        "this process already signs with audit key {installed}; refusing a second key ({offered})"
    )]
    Different { installed: String, offered: String },
}

impl PublicKey {
    /// The first 16 hex digits of the SHA-256 of the public key: what checkpoints record.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether `signature` is this key's signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.bytes)
            .verify(message, signature)
            .is_ok()
    }

    /// The raw public key, base64url (for publishing beside exports).
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.bytes)
    }
}

impl Signer {
    pub fn from_seed(seed: &[u8; 32]) -> Result<Signer, KeyError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| KeyError::Rejected(e.to_string()))?;
        let bytes = pair.public_key().as_ref().to_vec();
        let id = hex::encode(Sha256::digest(&bytes))[..16].to_owned();
        Ok(Signer {
            pair,
            public: PublicKey { bytes, id },
        })
    }

    /// Loads the configured key. A missing key file is created (mode 0600, logged) when
    /// `create`, else an error: `tocsin audit verify` must not invent a key.
    pub fn load(key: &AuditKey, create: bool) -> Result<Signer, KeyError> {
        match key {
            AuditKey::Seed(seed) => Signer::from_seed(seed),
            AuditKey::File(path) => Signer::from_seed(&read_or_create(path, create)?),
        }
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

fn read_or_create(path: &Path, create: bool) -> Result<[u8; 32], KeyError> {
    match std::fs::metadata(path) {
        Ok(meta) => {
            refuse_exposed(path, &meta)?;
            let text = std::fs::read_to_string(path).map_err(io(path))?;
            decode_seed(&text).ok_or_else(|| KeyError::Malformed(path.to_owned()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => create_key(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(KeyError::Missing(path.to_owned()))
        }
        Err(e) => Err(io(path)(e)),
    }
}

#[cfg(unix)]
fn refuse_exposed(path: &Path, meta: &std::fs::Metadata) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Exposed {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_exposed(_: &Path, _: &std::fs::Metadata) -> Result<(), KeyError> {
    Ok(())
}

/// Writes a fresh seed to a private temporary file beside `path`, then links it into place
/// only if nothing is there yet: two processes starting at once end up with the same key.
fn create_key(path: &Path) -> Result<[u8; 32], KeyError> {
    let mut seed = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
        .map_err(|_| KeyError::Rejected("the system's random source failed".into()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile creates files readable by their owner only (0600).
    let mut tmp = tempfile::Builder::new()
        .prefix(".tocsin-key-")
        .tempfile_in(dir)
        .map_err(io(path))?;
    writeln!(tmp, "{}", URL_SAFE_NO_PAD.encode(seed)).map_err(io(path))?;
    tmp.as_file().sync_all().map_err(io(path))?;
    match tmp.persist_noclobber(path) {
        Ok(_) => {
            let signer = Signer::from_seed(&seed)?;
            tracing::warn!(
                path = %path.display(),
                key.id = %signer.public().id(),
                "created a new audit signing key {} (mode 0600, key id {}): keep a copy of it \
                 somewhere safe; without it the audit log's and the ledger's signatures cannot \
                 be checked",
                path.display(),
                signer.public().id()
            );
            Ok(seed)
        }
        // Another process created it first: use theirs.
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            read_or_create(path, false)
        }
        Err(e) => Err(io(path)(e.error)),
    }
}

static SIGNER: OnceLock<Signer> = OnceLock::new();

/// Makes `signer` the one this process signs with. Installing the same key again is a no-op;
/// a different one is refused (two keys in one process would sign one chain with both).
pub fn install(signer: Signer) -> Result<&'static Signer, KeyError> {
    let offered = signer.public().id().to_owned();
    let _ = SIGNER.set(signer);
    let installed = SIGNER
        .get()
        .ok_or_else(|| KeyError::Rejected("the signer could not be installed".into()))?;
    if installed.public().id() != offered {
        return Err(KeyError::Different {
            installed: installed.public().id().to_owned(),
            offered,
        });
    }
    Ok(installed)
}

/// Loads the configured key (creating a missing key file) and installs it.
pub fn install_from(key: &AuditKey) -> Result<&'static Signer, KeyError> {
    install(Signer::load(key, true)?)
}

/// The installed signer, if any.
pub fn installed() -> Option<&'static Signer> {
    SIGNER.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_under_its_own_key_only() {
        let a = Signer::from_seed(&[1; 32]).unwrap();
        let b = Signer::from_seed(&[2; 32]).unwrap();
        let sig = a.sign(b"head 7");
        assert!(a.public().verifies(b"head 7", &sig));
        assert!(!a.public().verifies(b"head 8", &sig));
        assert!(!b.public().verifies(b"head 7", &sig));
        assert_ne!(a.public().id(), b.public().id());
        assert_eq!(a.public().id().len(), 16);
        assert!(!format!("{a:?}").contains(&a.public().to_base64()));
    }

    #[cfg(unix)]
    #[test]
    fn a_missing_key_file_is_created_private_and_then_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tocsin.key");
        let key = AuditKey::File(path.clone());
        assert!(matches!(
            Signer::load(&key, false),
            Err(KeyError::Missing(_))
        ));
        let first = Signer::load(&key, true).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = Signer::load(&key, false).unwrap();
        assert_eq!(first.public(), again.public());
        // Nothing but the key is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused_and_a_bad_one_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        Signer::load(&AuditKey::File(path.clone()), true).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = Signer::load(&AuditKey::File(path.clone()), true).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
        assert!(err.to_string().contains("640"), "{err}");

        std::fs::write(&path, "not a key\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = Signer::load(&AuditKey::File(path), true).unwrap_err();
        assert!(matches!(err, KeyError::Malformed(_)), "{err}");
    }
}
