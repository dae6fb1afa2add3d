//! Each person's full notice has an address of its own, `/n/{code}`, carried in their SMS, push
//! and e-mail. The code is random (80 bits), made once per person and incident and kept, so a
//! composition made again links to the same place. `notice_links` is written here alone.
use crate::db::stmt;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DbErr, Value as DbValue};
use std::collections::HashMap;

/// Letters and digits that cannot be mistaken for one another (no 0/o, 1/l).
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// Characters of a code: 16 × 5 bits.
pub const CODE_LEN: usize = 16;

pub fn new_code() -> String {
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    (0..CODE_LEN)
        .map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char)
        .collect()
}

/// Whether `s` could be a code at all (checked before any lookup).
pub fn is_code(s: &str) -> bool {
    s.len() == CODE_LEN && s.bytes().all(|b| ALPHABET.contains(&b))
}

/// The codes of these people in this incident, made for those who have none yet.
pub async fn codes(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    subject_ids: &[i64],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<HashMap<i64, String>, DbErr> {
    if subject_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = txn.get_database_backend();
    let mut values: Vec<DbValue> = Vec::with_capacity(subject_ids.len() * 4);
    for &s in subject_ids {
        values.extend([incident_id.into(), s.into(), new_code().into(), now.into()]);
    }
    let rows = vec!["(?,?,?,?)"; subject_ids.len()].join(",");
    txn.execute(stmt(
        backend,
        &format!(
            "INSERT INTO notice_links (incident_id, subject_id, code, created_at) VALUES {rows} \
             ON CONFLICT (incident_id, subject_id) DO NOTHING"
        ),
        values,
    ))
    .await?;
    let marks = vec!["?"; subject_ids.len()].join(",");
    let mut params: Vec<DbValue> = vec![incident_id.into()];
    params.extend(subject_ids.iter().map(|&s| DbValue::from(s)));
    let found = txn
        .query_all(stmt(
            backend,
            &format!(
                "SELECT subject_id, code FROM notice_links WHERE incident_id = ? AND subject_id IN ({marks})"
            ),
            params,
        ))
        .await?;
    found
        .into_iter()
        .map(|r| Ok((r.try_get("", "subject_id")?, r.try_get("", "code")?)))
        .collect()
}

/// Whose notice a code opens: `(incident_id, subject_id)`.
pub async fn find(db: &impl ConnectionTrait, code: &str) -> Result<Option<(i64, i64)>, DbErr> {
    if !is_code(code) {
        return Ok(None);
    }
    let row = db
        .query_one(stmt(
            db.get_database_backend(),
            "SELECT incident_id, subject_id FROM notice_links WHERE code = ?",
            [code.into()],
        ))
        .await?;
    row.map(|r| Ok((r.try_get("", "incident_id")?, r.try_get("", "subject_id")?)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_well_formed_and_differ() {
        let a = new_code();
        let b = new_code();
        assert!(is_code(&a) && is_code(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(!is_code("short"));
        assert!(!is_code("abcdefghijklmnop"), "l is not in the alphabet");
    }
}
