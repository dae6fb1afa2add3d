//! The application: its state (database, templates, playbooks, settings, clock) and the
//! start-up of server, dispatcher and signal handling, shared by `tocsin serve`,
//! `tocsin worker` and the tests.
use crate::assets::Assets;
use crate::config::Settings;
use crate::delivery::Dispatcher;
use crate::links::Links;
use crate::metrics::Metrics;
use crate::playbooks::Playbooks;
use crate::templates::Templates;
use anyhow::Context;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::DatabaseConnection;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Code lookups (`/n/{code}`, `/verify`) a client address may make per minute.
pub const PUBLIC_LOOKUPS_PER_MINUTE: u32 = 30;

/// What the use cases and handlers can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    /// Links under the public base URL (notices, announcements).
    pub links: Links,
    /// Incident kinds, the organisation, the data inventory.
    pub playbooks: Arc<Playbooks>,
    /// Handlebars templates (notices, announcements), loaded at start-up.
    pub templates: Arc<Templates>,
    /// The fonts PDF reports are set in (TOCSIN_PDF_FONT and the standard places), found at
    /// start-up; cheap to clone.
    pub pdf_fonts: crate::regulation::pdf::Fonts,
    pub metrics: Arc<Metrics>,
    pub clock: Clock,
    /// Wakes the dispatcher when deliveries are queued.
    pub dispatch_wakeup: Arc<tokio::sync::Notify>,
    /// Requests per client address on the public pages that look up codes.
    pub public_limit: Arc<crate::web::limit::RateLimiter>,
    /// Failed console sign-ins per account and per client address.
    pub sign_in_throttle: Arc<crate::auth::SignInThrottle>,
}

/// The time as the application sees it: the system clock, or a fixed one in tests.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that shows `at` until `set` moves it.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock(Some(Arc::new(Mutex::new(at))))
    }

    /// Now, to the microsecond (what both databases store).
    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            None => Utc::now().trunc_subsecs(6),
            Some(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Moves a fixed clock; a system clock ignores it.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(t) = &self.0 {
            *t.lock().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }
}

/// The server and the dispatcher of one process, ready to run.
pub struct Application {
    state: AppState,
    listener: TcpListener,
    addr: SocketAddr,
    dispatcher: bool,
}

impl Application {
    /// Installs the audit signing key, loads playbooks and templates, binds `settings.addr`
    /// (port 0 picks a free port), connects and migrates. Links follow the address actually
    /// bound unless `TOCSIN_PUBLIC_URL` says otherwise.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        crate::chain::signer::install_from(&settings.audit_key)?;
        let playbooks = load_playbooks(&settings)?;
        let templates = load_templates(&settings)?;
        let pdf_fonts = crate::regulation::pdf::Fonts::discover(settings.pdf_font.as_deref())?;
        let listener = TcpListener::bind(settings.addr).await.with_context(|| {
            format!(
                "cannot listen on {} (set TOCSIN_ADDR or --addr)",
                settings.addr
            )
        })?;
        let addr = listener.local_addr()?;
        let public = match &settings.public_url {
            Some(u) => u.clone(),
            None => url::Url::parse(&format!("http://{addr}"))?,
        };
        let db = crate::db::connect(&settings.database_url).await?;
        crate::db::migrate(&db).await?;
        let state = AppState {
            db,
            links: Links::new(&public),
            settings: Arc::new(settings),
            playbooks: Arc::new(playbooks),
            templates: Arc::new(templates),
            pdf_fonts,
            metrics: Arc::new(Metrics::new()),
            clock: Clock::system(),
            dispatch_wakeup: Arc::new(tokio::sync::Notify::new()),
            public_limit: Arc::new(crate::web::limit::RateLimiter::new(
                PUBLIC_LOOKUPS_PER_MINUTE,
                std::time::Duration::from_secs(60),
            )),
            sign_in_throttle: Arc::new(crate::auth::SignInThrottle::new()),
        };
        Ok(Application {
            state,
            listener,
            addr,
            dispatcher: true,
        })
    }

    /// Without the background dispatcher (tests that drain the outbox themselves).
    pub fn without_dispatcher(mut self) -> Application {
        self.dispatcher = false;
        self
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves HTTP and dispatches until `shutdown` is cancelled, then drains in-flight requests
    /// and lets the dispatcher finish the sends it started.
    pub async fn run_until(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        // The dispatcher's process also reminds responders of deadlines, on a timer.
        let dispatching = if self.dispatcher {
            let d = Dispatcher::for_app(&self.state)?;
            let r = crate::regulation::obligations::reminders::Reminders::for_app(&self.state)?;
            Some((
                tokio::spawn(d.run(shutdown.clone())),
                tokio::spawn(r.run(shutdown.clone())),
            ))
        } else {
            None
        };
        let web = self.state.settings.web.clone();
        let app = crate::web::router(self.state);
        let served = serve(self.listener, app, &web, shutdown.clone())
            .await
            .context("HTTP server failed");
        shutdown.cancel();
        if let Some((d, r)) = dispatching {
            let _ = d.await;
            let _ = r.await;
        }
        served
    }
}

/// Accepts connections until `shutdown`, then lets the requests in flight finish (for at most
/// the request timeout and a little more). Unlike `axum::serve`, each connection has a
/// header-read timeout: a client that does not finish a request's head in time (or leaves a
/// keep-alive connection idle that long) is dropped. Slow bodies are the body timeout's
/// (`web::router`).
async fn serve(
    listener: TcpListener,
    app: axum::Router,
    web: &crate::config::WebSettings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Service as _;
    let mut make = app.into_make_service_with_connect_info::<SocketAddr>();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(web.header_timeout);
    loop {
        let (socket, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(svc) = make.call(peer).await;
        let svc = hyper_util::service::TowerToHyperService::new(svc);
        let conn = graceful.watch(http.serve_connection(TokioIo::new(socket), svc));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    let drain = web.request_timeout + std::time::Duration::from_secs(5);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the drain period were dropped");
    }
    Ok(())
}

/// The playbooks the settings name (see `assets`).
pub fn load_playbooks(settings: &Settings) -> anyhow::Result<Playbooks> {
    let assets = Assets::playbooks(settings.playbooks_dir.as_deref());
    let p = Playbooks::load(&assets).map_err(|e| anyhow::anyhow!("playbook error: {e}"))?;
    tracing::debug!(from = %assets.origin(), "playbooks loaded");
    Ok(p)
}

/// The templates the settings name (see `assets`).
pub fn load_templates(settings: &Settings) -> anyhow::Result<Templates> {
    let assets = Assets::templates(settings.templates_dir.as_deref());
    let t = crate::templates::load(&assets)?;
    tracing::debug!(from = %assets.origin(), "templates loaded");
    Ok(t)
}

/// A token cancelled on SIGTERM or Ctrl-C; the handlers are in place when this returns, so a
/// signal that comes right after start-up is not lost.
pub fn shutdown_on_signals() -> std::io::Result<CancellationToken> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received; draining");
        token.cancel();
    });
    Ok(shutdown)
}
