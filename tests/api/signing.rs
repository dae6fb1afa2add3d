//! Signed checkpoints: what someone who can write to the database, but has not the key, can
//! no longer do unseen; and the key itself (the file, its mode, the wrong key).
use crate::helpers::{tocsin, Backend, TestApp, TestDb};
use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, TransactionTrait};
use tocsin::domain::Channel;
use tocsin::evidence::{content_sha256, Entry, Event, Outcome};

/// Another key than the tests' (base64url of 32 bytes of 9).
const OTHER_KEY: &str = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk";

/// Runs `tocsin audit verify` with extra settings; expects exit 1 and returns its stderr.
fn verify_fails(app: &TestApp, env: &[(&str, &str)]) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"));
    cmd.arg("audit").arg("verify").env_clear();
    for (k, v) in &app.env {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.current_dir(app.test_db.dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    stderr
}

async fn exec(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) {
    let backend = app.db.get_database_backend();
    app.db
        .execute(tocsin::db::stmt(backend, sql, values))
        .await
        .unwrap();
}

/// Appends two ledger batches for an incident: entries 1–3 (checkpoint at 3), then 4–5.
async fn two_batches(app: &TestApp) {
    let incident = crate::flow::open_incident(app, &app.admin_token).await;
    let attempt = |delivery: i64, outcome: Outcome| {
        Entry::new(
            incident,
            delivery,
            delivery,
            Channel::Email,
            Event::Attempt(outcome),
            Utc::now(),
        )
        .content(content_sha256("s", "t", None), "tpl")
    };
    for batch in [
        vec![
            Entry::new(incident, 1, 1, Channel::Email, Event::Queued, Utc::now()),
            attempt(1, Outcome::PermanentFailure),
            Entry::new(
                incident,
                1,
                1,
                Channel::Email,
                Event::FellBack { to: Channel::Sms },
                Utc::now(),
            ),
        ],
        vec![attempt(2, Outcome::Sent), attempt(3, Outcome::Sent)],
    ] {
        let txn = app.db.begin().await.unwrap();
        tocsin::evidence::append_batch(&txn, &batch).await.unwrap();
        txn.commit().await.unwrap();
    }
}

/// Rewrites audit entry `seq`'s details and recomputes its hash, every later hash and the head,
/// as someone with only the database can.
async fn rewrite_audit(app: &TestApp, seq: i64, details: &str) {
    let rows = entity::audit_log::Entity::find()
        .order_by_asc(entity::audit_log::Column::Seq)
        .all(&app.db)
        .await
        .unwrap();
    let mut prev = tocsin::chain::GENESIS.to_string();
    for mut r in rows {
        if r.seq == seq {
            r.details = details.to_owned();
        }
        r.prev_hash = prev;
        r.hash = tocsin::audit::entry_hash(
            r.seq,
            &r.at,
            &r.actor,
            &r.action,
            &r.target_type,
            &r.target_id,
            &r.details,
            &r.prev_hash,
        );
        exec(
            app,
            "UPDATE audit_log SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            vec![
                r.details.into(),
                r.prev_hash.into(),
                r.hash.clone().into(),
                r.seq.into(),
            ],
        )
        .await;
        prev = r.hash;
    }
    exec(
        app,
        "UPDATE audit_head SET hash = ? WHERE id = 1",
        vec![prev.into()],
    )
    .await;
}

/// Rewrites ledger entry `seq`'s status the same way.
async fn rewrite_ledger(app: &TestApp, seq: i64, status: &str) {
    let rows = entity::ledger_entry::Entity::find()
        .order_by_asc(entity::ledger_entry::Column::Seq)
        .all(&app.db)
        .await
        .unwrap();
    let mut prev = tocsin::chain::GENESIS.to_string();
    for mut r in rows {
        if r.seq == seq {
            r.status = status.to_owned();
        }
        r.prev_hash = prev;
        r.hash = tocsin::evidence::entry_hash(&r);
        exec(
            app,
            "UPDATE ledger_entries SET status = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            vec![
                r.status.into(),
                r.prev_hash.into(),
                r.hash.clone().into(),
                r.seq.into(),
            ],
        )
        .await;
        prev = r.hash;
    }
    exec(
        app,
        "UPDATE ledger_head SET hash = ? WHERE id = 1",
        vec![prev.into()],
    )
    .await;
}

/// Makes every checkpoint of `chain` name its entry's current hash (the signature is left).
async fn rehash_checkpoints(app: &TestApp, chain: &str, table: &str) {
    let sql = format!(
        "UPDATE chain_checkpoints SET hash = (SELECT t.hash FROM {table} t \
         WHERE t.seq = chain_checkpoints.seq) WHERE chain = ?"
    );
    exec(app, &sql, vec![chain.into()]).await;
}

async fn every_append_is_signed_and_verify_checks_both_chains(app: TestApp) {
    let (status, _) = app
        .post_body(
            "/api/v1/subjects/import",
            &app.admin_token,
            "text/csv",
            "external_id\nb1\n",
        )
        .await;
    assert_eq!(status, 200);
    two_batches(&app).await;
    // The harness's account and token, the import (through SQLite's own writer on SQLite),
    // the incident: one checkpoint per audit entry; one per ledger batch.
    let seqs = |chain: &'static str| {
        let app = &app;
        async move {
            let rows = app
                .db
                .query_all(tocsin::db::stmt(
                    app.db.get_database_backend(),
                    "SELECT seq FROM chain_checkpoints WHERE chain = ? ORDER BY seq",
                    [chain.into()],
                ))
                .await
                .unwrap();
            rows.iter()
                .map(|r| r.try_get_by_index::<i64>(0).unwrap())
                .collect::<Vec<_>>()
        }
    };
    let audit_entries = app.count("audit_log").await;
    assert_eq!(seqs("audit").await, (1..=audit_entries).collect::<Vec<_>>());
    assert_eq!(seqs("ledger").await, vec![3, 5]);

    let out = app.cli(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = app.audit_key();
    assert!(
        stdout.contains(&format!(
            "audit chain intact: {audit_entries} entries, {audit_entries} checkpoints signed by key {}",
            key.id()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("ledger chain intact: 5 entries, 2 checkpoints"),
        "{stdout}"
    );
}

/// Someone with the database alone rewrites an entry and recomputes every hash and the head:
/// the chain checks out, the signed checkpoints do not, in either chain.
async fn a_forger_with_only_the_database_is_caught_by_the_signatures(app: TestApp) {
    two_batches(&app).await;
    rewrite_audit(
        &app,
        1,
        r#"{"email":"mallory@example.test","role":"admin"}"#,
    )
    .await;
    rewrite_ledger(&app, 2, "sent").await;
    let err = verify_fails(&app, &[]);
    assert!(
        err.contains("audit chain broken at entry 1: the checkpoint at entry 1 does not match the chain: entry 1 was rewritten"),
        "{err}"
    );
    assert!(
        err.contains("ledger chain broken at entry 3: the checkpoint at entry 3 does not match the chain: one of entries 1 to 3 was rewritten"),
        "{err}"
    );

    // Making the checkpoints name the new hashes does not help: they are signed.
    rehash_checkpoints(&app, "audit", "audit_log").await;
    rehash_checkpoints(&app, "ledger", "ledger_entries").await;
    let err = verify_fails(&app, &[]);
    assert!(
        err.contains("audit chain broken at entry 1: the checkpoint at entry 1: its signature does not match"),
        "{err}"
    );
    assert!(
        err.contains("ledger chain broken at entry 3: the checkpoint at entry 3: its signature does not match"),
        "{err}"
    );
}

/// Checkpoints signed with one key do not verify under another, in the CLI or in the library.
async fn a_different_key_is_refused(app: TestApp) {
    two_batches(&app).await;
    let err = verify_fails(&app, &[("TOCSIN_AUDIT_KEY", OTHER_KEY)]);
    let ours = app.audit_key();
    let seed = tocsin::config::decode_seed(OTHER_KEY).unwrap();
    let other = tocsin::chain::Signer::from_seed(&seed).unwrap();
    let other = other.public();
    // The first checkpoint of each: the audit log's first entry, the ledger's first batch.
    for (chain, at) in [("audit", 1), ("ledger", 3)] {
        let line = format!(
            "{chain} chain broken at entry {at}: the checkpoint at entry {at} was signed by key \
             {}, not by the configured key {}",
            ours.id(),
            other.id()
        );
        assert!(err.contains(&line), "{line}\n{err}");
    }
    let v = tocsin::evidence::verify(&app.db, other).await.unwrap();
    assert_eq!((v.entries, v.checkpoints), (0, 0), "nothing is vouched for");
    let v = tocsin::evidence::verify(&app.db, &ours).await.unwrap();
    assert_eq!((v.entries, v.checkpoints, v.broken), (5, 2, None));
}

/// Entries appended without the key (hashes and head kept right) are an unsigned tail; ledger
/// entries removed from the end with the head moved back leave a checkpoint past the end.
async fn unsigned_entries_and_a_cut_end_are_named(app: TestApp) {
    two_batches(&app).await;
    let last = app.count("audit_log").await;
    let head = entity::audit_head::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let at = tocsin::audit::now();
    let details = r#"{"email":"mallory@example.test","role":"admin"}"#;
    let hash = tocsin::audit::entry_hash(
        last + 1,
        &at,
        "cli",
        "account.create",
        "account",
        "99",
        details,
        &head.hash,
    );
    exec(
        &app,
        "INSERT INTO audit_log (seq, at, actor, action, target_type, target_id, details, \
         prev_hash, hash) VALUES (?, ?, 'cli', 'account.create', 'account', '99', ?, ?, ?)",
        vec![
            (last + 1).into(),
            at.into(),
            details.into(),
            head.hash.into(),
            hash.clone().into(),
        ],
    )
    .await;
    exec(
        &app,
        "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
        vec![(last + 1).into(), hash.into()],
    )
    .await;

    let fourth = entity::ledger_entry::Entity::find_by_id(4)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    exec(&app, "DELETE FROM ledger_entries WHERE seq >= 4", vec![]).await;
    exec(
        &app,
        "UPDATE ledger_head SET seq = 3, hash = ? WHERE id = 1",
        vec![fourth.prev_hash.into()],
    )
    .await;

    let err = verify_fails(&app, &[]);
    let n = last + 1;
    assert!(
        err.contains(&format!("audit chain broken at entry {n}: unsigned tail: entries {n} to {n} are covered by no signed checkpoint")),
        "{err}"
    );
    assert!(
        err.contains("ledger chain broken at entry 5: a checkpoint names entry 5 but the chain ends at entry 3"),
        "{err}"
    );
}

crate::on_both_databases!(
    every_append_is_signed_and_verify_checks_both_chains,
    a_forger_with_only_the_database_is_caught_by_the_signatures,
    a_different_key_is_refused,
    unsigned_entries_and_a_cut_end_are_named,
);

/// With no key configured, the first command that writes creates `tocsin.key` in the working
/// directory, readable by its owner only, and says so once; verify then uses it.
#[cfg(unix)]
#[tokio::test]
async fn the_first_write_creates_a_private_key_file_and_says_so() {
    use std::os::unix::fs::PermissionsExt;
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let key = db.dir.path().join("tocsin.key");
    let add = |email: &str| {
        tocsin(&db)
            .args(["user", "add", "--email", email, "--role", "viewer"])
            .output()
            .unwrap()
    };
    let first = add("v1@example.test");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    assert!(
        stderr.contains("created a new audit signing key"),
        "{stderr}"
    );
    assert!(!stderr.contains(&std::fs::read_to_string(&key).unwrap().trim().to_string()));
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let second = add("v2@example.test");
    assert!(second.status.success());
    assert!(!String::from_utf8_lossy(&second.stderr).contains("created a new"));
    let out = tocsin(&db).args(["audit", "verify"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("audit chain intact: 2 entries, 2 checkpoints"),
        "{stdout}"
    );
}

/// A key file others can read is refused before anything is written; verify never invents a
/// missing key.
#[cfg(unix)]
#[tokio::test]
async fn a_key_file_others_can_read_is_refused_and_a_missing_one_is_not_invented() {
    use std::os::unix::fs::PermissionsExt;
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let out = tocsin(&db).args(["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no audit signing key at tocsin.key"),
        "{stderr}"
    );
    assert!(!db.dir.path().join("tocsin.key").exists());

    let key = db.dir.path().join("tocsin.key");
    std::fs::write(&key, format!("{OTHER_KEY}\n")).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = tocsin(&db)
        .args([
            "user",
            "add",
            "--email",
            "v@example.test",
            "--role",
            "viewer",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("can be read by group or others (mode 644)"),
        "{stderr}"
    );
    assert!(stderr.contains("chmod 600"), "{stderr}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = tocsin(&db)
        .args([
            "user",
            "add",
            "--email",
            "v@example.test",
            "--role",
            "viewer",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tocsin(&db).args(["audit", "verify"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("audit chain intact: 1 entries, 1 checkpoints"));
}
