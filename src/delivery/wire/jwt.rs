//! Compact JWS (RFC 7515) signed with RS256 or ES256, and the key files they are signed with.
//!
//! RS256 signs the Google service-account assertion (ring, PKCS#8 or PKCS#1 keys). ES256 signs
//! APNs provider tokens and VAPID tokens (p256: it also loads the bare 32-byte scalar that Web
//! Push tools hand out, which ring cannot). Errors say what is wrong with a key file, never a
//! byte of it; `Debug` on a key prints no secret either.
use super::{b64url, b64url_decode};
use p256::ecdsa::signature::Signer;
use p256::pkcs8::DecodePrivateKey;
use std::fmt;

/// What is wrong with a key (or, rarely, with signing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError(String);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

fn err(message: impl Into<String>) -> KeyError {
    KeyError(message.into())
}

/// One PEM block: its label and decoded bytes.
struct Pem {
    label: String,
    der: Vec<u8>,
}

/// Every `-----BEGIN X-----` … `-----END X-----` block, text around them ignored.
fn pem_blocks(text: &str) -> Result<Vec<Pem>, KeyError> {
    use base64::Engine;
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let label_end = after
            .find("-----")
            .ok_or_else(|| err("the key file has a PEM BEGIN line that is not closed"))?;
        let label = after[..label_end].trim().to_owned();
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let body_end = body_start
            .find(&end_marker)
            .ok_or_else(|| err(format!("the key file's '{label}' block has no END line")))?;
        let body = &body_start[..body_end];
        // Encrypted keys: PKCS#8 says so in the label, legacy PEM in a `Proc-Type` header.
        if body.contains("Proc-Type:") || label.contains("ENCRYPTED") {
            return Err(err(format!(
                "the key file's '{label}' block is encrypted: give the key without a passphrase"
            )));
        }
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| {
                err(format!(
                    "the key file's '{label}' block is not valid base64"
                ))
            })?;
        blocks.push(Pem { label, der });
        rest = &body_start[body_end + end_marker.len()..];
    }
    if blocks.is_empty() {
        return Err(err(
            "the key file holds no PEM block (expected a line like -----BEGIN PRIVATE KEY-----)",
        ));
    }
    Ok(blocks)
}

/// The first block with one of `labels`, or an error naming what was found instead.
fn pem_block(text: &str, labels: &[&str]) -> Result<Pem, KeyError> {
    let blocks = pem_blocks(text)?;
    let found: Vec<String> = blocks.iter().map(|b| format!("'{}'", b.label)).collect();
    blocks
        .into_iter()
        .find(|b| labels.contains(&b.label.as_str()))
        .ok_or_else(|| {
            err(format!(
                "the key file holds {} but no private key ({})",
                found.join(", "),
                labels
                    .iter()
                    .map(|l| format!("'{l}'"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))
        })
}

/// What kind of key a PKCS#8 document holds, for error messages.
fn pkcs8_kind(der: &[u8]) -> &'static str {
    const RSA: &str = "1.2.840.113549.1.1.1";
    const EC: &str = "1.2.840.10045.2.1";
    const P256: &str = "1.2.840.10045.3.1.7";
    match p256::pkcs8::PrivateKeyInfo::try_from(der) {
        Err(_) => "not a readable PKCS#8 key",
        Ok(info) => match info.algorithm.oid.to_string().as_str() {
            RSA => "an RSA key",
            EC => match info.algorithm.parameters_oid().map(|o| o.to_string()) {
                Ok(curve) if curve == P256 => "a P-256 EC key",
                _ => "an EC key on another curve than P-256",
            },
            "1.3.101.112" => "an Ed25519 key",
            _ => "a key of an unknown algorithm",
        },
    }
}

/// An RSA private key for RS256.
pub struct Rs256Key(ring::signature::RsaKeyPair);

impl fmt::Debug for Rs256Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Rs256Key(…)")
    }
}

impl Rs256Key {
    /// Loads a PEM `PRIVATE KEY` (PKCS#8, as in Google service-account files) or
    /// `RSA PRIVATE KEY` (PKCS#1).
    pub fn from_pem(text: &str) -> Result<Rs256Key, KeyError> {
        let pem = pem_block(text, &["PRIVATE KEY", "RSA PRIVATE KEY"])?;
        let loaded = if pem.label == "PRIVATE KEY" {
            ring::signature::RsaKeyPair::from_pkcs8(&pem.der).map_err(|e| {
                match pkcs8_kind(&pem.der) {
                    "an RSA key" => err(format!("the RSA key was rejected ({e})")),
                    kind => err(format!("the key is {kind}, but RS256 needs an RSA key")),
                }
            })
        } else {
            ring::signature::RsaKeyPair::from_der(&pem.der)
                .map_err(|e| err(format!("the RSA key was rejected ({e})")))
        };
        loaded.map(Rs256Key)
    }

    /// The public key as PKCS#1 `RSAPublicKey` DER, for checking signatures.
    pub fn public_key_der(&self) -> Vec<u8> {
        use ring::signature::KeyPair;
        self.0.public_key().as_ref().to_vec()
    }

    /// A compact JWS with header `{"alg":"RS256","typ":"JWT"}` (plus `kid` when given).
    pub fn sign_jwt(
        &self,
        kid: Option<&str>,
        claims: &serde_json::Value,
    ) -> Result<String, KeyError> {
        let input = signing_input("RS256", kid, claims);
        let rng = ring::rand::SystemRandom::new();
        let mut signature = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &rng,
                input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| err("RSA signing failed"))?;
        Ok(format!("{input}.{}", b64url(&signature)))
    }
}

/// A P-256 private key for ES256.
#[derive(Clone)]
pub struct Es256Key(p256::SecretKey);

impl fmt::Debug for Es256Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Es256Key(…)")
    }
}

impl Es256Key {
    /// A fresh random key (tests, and the ephemeral keys of Web Push).
    pub fn generate() -> Es256Key {
        Es256Key(p256::SecretKey::random(&mut rand::rngs::OsRng))
    }

    /// Loads a PEM `PRIVATE KEY` (PKCS#8, as in APNs `.p8` files) or `EC PRIVATE KEY` (SEC1).
    pub fn from_pem(text: &str) -> Result<Es256Key, KeyError> {
        let pem = pem_block(text, &["PRIVATE KEY", "EC PRIVATE KEY"])?;
        Self::from_der(&pem.der, &pem.label)
    }

    fn from_der(der: &[u8], label: &str) -> Result<Es256Key, KeyError> {
        if label == "PRIVATE KEY" {
            p256::SecretKey::from_pkcs8_der(der)
                .map(Es256Key)
                .map_err(|_| match pkcs8_kind(der) {
                    "a P-256 EC key" => err("the P-256 key could not be read"),
                    kind => err(format!("the key is {kind}, but ES256 needs a P-256 EC key")),
                })
        } else {
            p256::SecretKey::from_sec1_der(der)
                .map(Es256Key)
                .map_err(|_| err("the EC key is not a readable P-256 (prime256v1) key"))
        }
    }

    /// The bare 32-byte private scalar.
    pub fn from_scalar(bytes: &[u8]) -> Result<Es256Key, KeyError> {
        if bytes.len() != 32 {
            return Err(err(format!(
                "a raw P-256 private key is 32 bytes, this one is {}",
                bytes.len()
            )));
        }
        p256::SecretKey::from_slice(bytes)
            .map(Es256Key)
            .map_err(|_| err("the 32 bytes are not a valid P-256 private key"))
    }

    /// Reads a key given either as PEM or as base64url: the 32-byte scalar most Web Push tools
    /// print, or a DER document (PKCS#8 or SEC1).
    pub fn parse(text: &str) -> Result<Es256Key, KeyError> {
        if text.contains("-----BEGIN") {
            return Self::from_pem(text);
        }
        let bytes = b64url_decode(text).ok_or_else(|| {
            err("the key is neither PEM nor base64url (expected a P-256 private key)")
        })?;
        if bytes.len() == 32 {
            return Self::from_scalar(&bytes);
        }
        Self::from_der(&bytes, "PRIVATE KEY")
            .or_else(|_| Self::from_der(&bytes, "EC PRIVATE KEY"))
            .map_err(|_| {
                err(format!(
                    "the base64url key is {} bytes: neither a 32-byte P-256 scalar nor a P-256 key document",
                    bytes.len()
                ))
            })
    }

    /// The public key, uncompressed (65 bytes, `0x04 ‖ x ‖ y`), as VAPID's `k=` carries it.
    pub fn public_key_uncompressed(&self) -> Vec<u8> {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        self.0
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    pub(crate) fn secret(&self) -> &p256::SecretKey {
        &self.0
    }

    /// The raw `r ‖ s` signature (64 bytes) JWS uses for ES256.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let key = p256::ecdsa::SigningKey::from(&self.0);
        let signature: p256::ecdsa::Signature = key.sign(message);
        signature.to_bytes().to_vec()
    }

    /// A compact JWS with header `{"alg":"ES256","typ":"JWT"}` (plus `kid` when given).
    pub fn sign_jwt(&self, kid: Option<&str>, claims: &serde_json::Value) -> String {
        let input = signing_input("ES256", kid, claims);
        let signature = self.sign(input.as_bytes());
        format!("{input}.{}", b64url(&signature))
    }
}

fn signing_input(alg: &str, kid: Option<&str>, claims: &serde_json::Value) -> String {
    let mut header = serde_json::json!({ "alg": alg, "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = serde_json::Value::from(kid);
    }
    format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    )
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
