//! `tocsin serve` and `tocsin worker`.
use super::{err, out, Fail};
use crate::app::{shutdown_on_signals, Application};
use crate::auth;
use crate::config::Settings;
use crate::delivery::Dispatcher;
use std::sync::Arc;

pub(super) async fn serve(settings: Settings, demo: bool, dispatch: bool) -> Result<(), Fail> {
    super::install_key(&settings)?;
    let admin_email = settings.admin_email.clone();
    let mut app = Application::build(settings).await?;
    if !dispatch {
        app = app.without_dispatcher();
    }
    let state = app.state().clone();
    if let Some(first) = auth::ensure_first_admin(&state.db, &admin_email)
        .await
        .map_err(|e| Fail::runtime(e.to_string()))?
    {
        out!(
            "First start: created the admin account {email}\n  one-time password: {pw} (shown \
             once; store it)\n  sign in to the console at {login} with it; you will choose a \
             new password there\n  API token for this account: tocsin token create --email \
             {email} --name <a name> [--expires-in 90d]",
            email = first.account.email,
            pw = first.one_time_password,
            login = state.links.to("/login"),
        );
    }
    if demo {
        let d = crate::demo::load(&state)
            .await
            .map_err(|e| Fail::runtime(format!("loading the demo data failed: {e:#}")))?;
        if d.rejected > 0 {
            err!(
                "tocsin: warning: the importer rejected {} demo buyers (see the log)",
                d.rejected
            );
        }
        let again = if d.already_loaded {
            " already loaded"
        } else {
            ""
        };
        out!(
            "Demo data{again}: {} buyers, incident #{} with {} affected people",
            d.subjects,
            d.incident_id,
            d.population
        );
    }
    let shutdown = shutdown_on_signals()
        .map_err(|e| Fail::runtime(format!("cannot install signal handlers: {e}")))?;
    out!("Tocsin listening on http://{}", app.addr());
    out!(
        "  console: {}  API: {}  public announcements: {}",
        state.links.to("/login"),
        state.links.to("/api/v1"),
        state.links.to("/announcements")
    );
    tracing::info!(addr = %app.addr(), "listening");
    app.run_until(shutdown).await?;
    out!("Tocsin stopped");
    Ok(())
}

/// A dispatcher only: a database connection and the channels, and the deadline reminders
/// (which read the playbooks' jurisdiction rules).
pub(super) async fn worker(settings: Settings) -> Result<(), Fail> {
    let playbooks = crate::app::load_playbooks(&settings)?;
    let db = super::open(&settings).await?;
    let dispatcher = Dispatcher::build(
        db.clone(),
        &settings,
        Arc::new(crate::metrics::Metrics::new()),
        Arc::new(tokio::sync::Notify::new()),
    )?;
    let links = crate::links::Links::new(&settings.public_url.clone().unwrap_or_else(|| {
        url::Url::parse(&format!("http://{}", settings.addr)).expect("an address is a URL")
    }));
    let reminders = crate::regulation::obligations::reminders::Reminders::build(
        db,
        &settings,
        Arc::new(playbooks),
        links,
    )?;
    let shutdown = shutdown_on_signals()
        .map_err(|e| Fail::runtime(format!("cannot install signal handlers: {e}")))?;
    out!("Tocsin worker dispatching");
    let reminding = tokio::spawn(reminders.run(shutdown.clone()));
    dispatcher.run(shutdown).await;
    let _ = reminding.await;
    out!("Tocsin worker stopped");
    Ok(())
}
