//! Start-up: settings → database → state → server (and dispatcher), until a shutdown signal.
use crate::config::Settings;
use crate::incidents::playbooks::Playbooks;
use crate::web::{self, AppState, Metrics};
use anyhow::Context;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Connects, migrates and builds the shared state.
pub async fn build_state(settings: Settings) -> anyhow::Result<AppState> {
    let playbooks = Playbooks::load(&settings.playbooks_dir)
        .map_err(|e| anyhow::anyhow!("playbook error: {e}"))?;
    let templates = crate::notices::templates::load(&settings.templates_dir)?;
    let db = crate::db::connect(&settings.database_url).await?;
    crate::db::migrate(&db).await?;
    Ok(AppState {
        db,
        settings: Arc::new(settings),
        metrics: Arc::new(Metrics::new()),
        categories: Arc::new(playbooks.inventory.own_names()),
        playbooks: Arc::new(playbooks),
        templates: Arc::new(templates),
        dispatch_wakeup: Arc::new(tokio::sync::Notify::new()),
    })
}

/// Serves HTTP on `listener` until `shutdown` is cancelled, then drains in-flight requests.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let app = web::router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .context("HTTP server failed")
}

/// Registers SIGTERM and Ctrl-C handlers now (so a signal that comes right after start-up is
/// not lost) and returns a future that resolves on either.
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}
