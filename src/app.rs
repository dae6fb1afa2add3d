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

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
