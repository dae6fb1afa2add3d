//! `tocsin audit verify`: both signed hash chains, the audit log and the delivery ledger.
use super::{connect, err, out, Fail};
use crate::chain::{Signer, Verification};
use crate::config::Settings;

pub(super) async fn verify(settings: &Settings) -> Result<(), Fail> {
    // Verifying needs the key the chains were signed with: a missing key file is not created.
    let key = Signer::load(&settings.audit_key, false).map_err(|e| Fail::usage(e.to_string()))?;
    let key = key.public();
    let db = connect(settings).await?;
    let chains = [
        ("audit", crate::audit::verify(&db, key).await?),
        ("ledger", crate::evidence::verify(&db, key).await?),
    ];
    let mut broken = 0;
    for (name, v) in &chains {
        match &v.broken {
            None => out!(
                "{name} chain intact: {} entries, {} checkpoints signed by key {}",
                v.entries,
                v.checkpoints,
                key.id()
            ),
            Some(b) => {
                broken += 1;
                err!("tocsin: {}", broken_line(name, v, b.seq, &b.reason));
            }
        }
    }
    if broken > 0 {
        return Err(Fail::runtime(format!(
            "verification failed: {broken} of {} chains broken",
            chains.len()
        )));
    }
    Ok(())
}

fn broken_line(name: &str, v: &Verification, seq: i64, reason: &str) -> String {
    format!(
        "{name} chain broken at entry {seq}: {reason} ({} entries before it verified)",
        v.entries
    )
}
