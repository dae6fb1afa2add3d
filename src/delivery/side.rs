//! The dispatcher's database side: where its claimer and finaliser run, and which database
//! errors are worth a transaction's second try.

/// Where the claimer and the finaliser run: a runtime with a thread of its own, so their
/// statements are never queued behind the sends on the main runtime's workers. Each statement
/// of a transaction is a round trip to the database (on SQLite, to its one connection's
/// thread, which every claim and every batch of results waits for), and on a busy runtime
/// each one's continuation waits for the sends ahead of it. Falls back to the current runtime
/// if the thread cannot be started.
pub(super) fn database_side() -> tokio::runtime::Handle {
    static SIDE: std::sync::OnceLock<Option<tokio::runtime::Runtime>> = std::sync::OnceLock::new();
    let side = SIDE.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tocsin-db")
            .enable_all()
            .build()
            .inspect_err(
                |e| tracing::warn!(error = %e, "no thread for the dispatcher's database side"),
            )
            .ok()
    });
    match side {
        Some(rt) => rt.handle().clone(),
        None => tokio::runtime::Handle::current(),
    }
}

/// Attempts at one finaliser transaction that the database aborted.
pub(super) const FINALISE_TRIES: u32 = 5;

/// Whether the database gave up on the transaction itself (try it again) rather than on what
/// it said.
pub(super) fn retryable(e: &anyhow::Error) -> bool {
    let text = format!("{e:#}");
    [
        "deadlock detected",
        "could not serialize",
        "database is locked",
    ]
    .iter()
    .any(|m| text.contains(m))
}
