//! The `tocsin` command line. Exit codes: 0 success, 1 runtime failure, 2 bad usage or input.
use crate::audit::{self, Actor};
use crate::auth;
use crate::config::Settings;
use crate::domain::Role;
use crate::population::{import_subjects, Format, ImportError, ImportTarget};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// `println!` that does not panic when stdout is closed (`tocsin … | head`).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `eprintln!` that does not panic when stderr is closed.
macro_rules! err {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "tocsin",
    version,
    about = "Security-incident notification and breach response"
)]
#[command(after_help = "Configuration comes from TOCSIN_* environment variables; see the README.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, then serve the console, API and public pages, and run the dispatcher.
    Serve {
        /// Listen address (overrides TOCSIN_ADDR).
        #[arg(long)]
        addr: Option<std::net::SocketAddr>,
        /// Load a demo data set (synthetic buyers and an example incident) on start.
        #[arg(long)]
        demo: bool,
    },
    /// Run a dispatcher only (more workers share the outbox; use PostgreSQL for several).
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage console accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The subjects registry.
    Subjects {
        #[command(subcommand)]
        command: SubjectsCommand,
    },
    /// Regulator reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; prints its one-time password.
    Add {
        #[arg(long)]
        email: String,
        /// admin, responder, approver or viewer
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for an account; prints it once.
    Create {
        /// The account's e-mail.
        #[arg(long)]
        email: String,
        /// A name to recognise the token by (e.g. "siem").
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum SubjectsCommand {
    /// Import subjects from a CSV or JSONL file (chosen by extension: .csv, .jsonl, .ndjson).
    /// Prints every rejected line with its reason, then the counts.
    Import {
        file: PathBuf,
        /// Override the format the extension implies.
        #[arg(long, value_parser = ["csv", "jsonl"])]
        format: Option<String>,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Write a regulator report for an incident (to stdout, or to a file with -o).
    Export {
        /// The incident id.
        #[arg(long)]
        incident: i64,
        /// A regime id such as EU-GDPR (case-insensitive).
        #[arg(long)]
        jurisdiction: String,
        /// json (csv, html and pdf come later).
        #[arg(long, default_value = "json")]
        format: String,
        /// Write to this file instead of stdout.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exits 1 naming the first broken entry.
    Verify,
}

/// A failure and its exit code.
struct Fail {
    code: u8,
    message: String,
}

impl Fail {
    fn usage(m: impl Into<String>) -> Fail {
        Fail {
            code: 2,
            message: m.into(),
        }
    }
}

impl From<anyhow::Error> for Fail {
    fn from(e: anyhow::Error) -> Fail {
        Fail {
            code: 1,
            message: format!("{e:#}"),
        }
    }
}

impl From<sea_orm::DbErr> for Fail {
    fn from(e: sea_orm::DbErr) -> Fail {
        Fail {
            code: 1,
            message: format!("database error: {e}"),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            err!("tocsin: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&settings.log);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            err!("tocsin: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            err!("tocsin: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn init_tracing(filter: &str) {
    // Migration chatter and PostgreSQL notices are noise unless asked for by name.
    let filter = if filter.contains("sea_orm") || filter.contains("sqlx") {
        filter.to_owned()
    } else {
        format!("{filter},sea_orm_migration=warn,sqlx=warn")
    };
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(command: Command, mut settings: Settings) -> Result<(), Fail> {
    match command {
        Command::Serve { addr, demo } => {
            if let Some(a) = addr {
                settings.addr = a;
            }
            serve(settings, demo).await
        }
        Command::Worker => worker(settings).await,
        Command::Migrate => {
            let db = crate::db::connect(&settings.database_url).await?;
            crate::db::migrate(&db).await?;
            out!("migrations applied");
            Ok(())
        }
        Command::User {
            command: UserCommand::Add { email, role },
        } => {
            let role = Role::parse(&role).map_err(|e| Fail::usage(format!("--role: {e}")))?;
            let db = open(&settings).await?;
            let created = auth::create_account(&db, &email, role, &Actor::Cli)
                .await
                .map_err(|e| match e {
                    auth_err @ (crate::auth::AccountError::BadEmail(_)
                    | crate::auth::AccountError::Exists(_)) => Fail::usage(auth_err.to_string()),
                    other => Fail {
                        code: 1,
                        message: other.to_string(),
                    },
                })?;
            out!(
                "created {} ({})\none-time password: {}\n(shown once: sign in with it and choose a new one)",
                created.account.email, created.account.role, created.one_time_password
            );
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { email, name },
        } => {
            if name.trim().is_empty() {
                return Err(Fail::usage("--name must not be empty"));
            }
            let db = open(&settings).await?;
            let owner = auth::find_account_by_email(&db, &email)
                .await?
                .ok_or_else(|| {
                    Fail::usage(format!(
                        "no account with e-mail {email}: create it with `tocsin user add`"
                    ))
                })?;
            let t = auth::create_token(&db, &owner, &name, &Actor::Cli).await?;
            out!("{}", t.secret);
            err!(
                "API token '{}' for {} (shown once; store it now)",
                t.token.name,
                owner.email
            );
            Ok(())
        }
        Command::Subjects {
            command: SubjectsCommand::Import { file, format },
        } => import_file(&settings, file, format).await,
        Command::Report {
            command:
                ReportCommand::Export {
                    incident,
                    jurisdiction,
                    format,
                    output,
                },
        } => export_report(&settings, incident, &jurisdiction, &format, output).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = open(&settings).await?;
            let v = audit::verify(&db).await?;
            match v.broken {
                None => {
                    out!("audit chain intact: {} entries", v.entries);
                    Ok(())
                }
                Some(b) => Err(Fail {
                    code: 1,
                    message: format!(
                        "audit chain broken at entry {}: {} ({} entries before it verified)",
                        b.seq, b.reason, v.entries
                    ),
                }),
            }
        }
    }
}

async fn export_report(
    settings: &Settings,
    incident: i64,
    jurisdiction: &str,
    format: &str,
    output: Option<PathBuf>,
) -> Result<(), Fail> {
    use crate::regulation::ReportError;
    let playbooks =
        crate::incidents::playbooks::Playbooks::load(&settings.playbooks_dir).map_err(|e| {
            Fail {
                code: 1,
                message: format!("playbook error: {e}"),
            }
        })?;
    let db = open(settings).await?;
    let generated =
        crate::regulation::generate(&db, &playbooks, incident, jurisdiction, format, &Actor::Cli)
            .await
            .map_err(|e| match e {
                ReportError::App(crate::error::AppError::NotFound(what)) => {
                    Fail::usage(format!("{what} not found"))
                }
                ReportError::App(other) => Fail {
                    code: 1,
                    message: other.to_string(),
                },
                usage => Fail::usage(usage.to_string()),
            })?;
    match output {
        Some(path) => {
            std::fs::write(&path, &generated.bytes).map_err(|e| Fail {
                code: 1,
                message: format!("cannot write {}: {e}", path.display()),
            })?;
            err!(
                "wrote {} ({} bytes, sha256 {})",
                path.display(),
                generated.bytes.len(),
                generated.sha256
            );
        }
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout();
            let _ = stdout
                .write_all(&generated.bytes)
                .and_then(|_| stdout.flush());
        }
    }
    Ok(())
}

/// Connects and migrates (commands other than `serve` may be the first thing run).
async fn open(settings: &Settings) -> Result<sea_orm::DatabaseConnection, Fail> {
    let db = crate::db::connect(&settings.database_url).await?;
    crate::db::migrate(&db).await?;
    Ok(db)
}

async fn serve(settings: Settings, demo: bool) -> Result<(), Fail> {
    let addr = settings.addr;
    let admin_email = settings.admin_email.clone();
    let state = crate::app::build_state(settings).await?;
    if let Some(first) = auth::ensure_first_admin(&state.db, &admin_email)
        .await
        .map_err(|e| Fail {
            code: 1,
            message: e.to_string(),
        })?
    {
        out!(
            "First start: created the admin account {}\n  one-time password: {}\n  (shown once; sign in and change it)",
            first.account.email, first.one_time_password
        );
    }
    if demo {
        let d = crate::demo::load(&state).await.map_err(|e| Fail {
            code: 1,
            message: format!("loading the demo data failed: {e:#}"),
        })?;
        if d.rejected > 0 {
            err!(
                "tocsin: warning: the importer rejected {} demo buyers (see the log)",
                d.rejected
            );
        }
        if d.already_loaded {
            out!(
                "Demo data already loaded: {} buyers, incident #{} with {} affected people",
                d.subjects,
                d.incident_id,
                d.population
            );
        } else {
            out!(
                "Demo data: {} buyers, incident #{} with {} affected people",
                d.subjects,
                d.incident_id,
                d.population
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Fail {
            code: 1,
            message: format!("cannot listen on {addr}: {e} (set TOCSIN_ADDR or --addr)"),
        })?;
    let local = listener.local_addr().map_err(|e| Fail {
        code: 1,
        message: e.to_string(),
    })?;
    let shutdown = watch_signals()?;
    out!("Tocsin listening on http://{local}");
    tracing::info!(addr = %local, "listening");
    let dispatcher = crate::delivery::Dispatcher::new(state.clone())?;
    let dispatching = tokio::spawn(dispatcher.run(shutdown.clone()));
    let served = crate::app::serve(state, listener, shutdown.clone()).await;
    shutdown.cancel();
    let _ = dispatching.await;
    served?;
    out!("Tocsin stopped");
    Ok(())
}

/// A token cancelled on SIGTERM or Ctrl-C; the handlers are in place when this returns.
fn watch_signals() -> Result<tokio_util::sync::CancellationToken, Fail> {
    let signal = crate::app::shutdown_signal().map_err(|e| Fail {
        code: 1,
        message: format!("cannot install signal handlers: {e}"),
    })?;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let token = shutdown.clone();
    tokio::spawn(async move {
        signal.await;
        tracing::info!("shutdown signal received; draining");
        token.cancel();
    });
    Ok(shutdown)
}

async fn worker(settings: Settings) -> Result<(), Fail> {
    let state = crate::app::build_state(settings).await?;
    let dispatcher = crate::delivery::Dispatcher::new(state)?;
    let shutdown = watch_signals()?;
    out!("Tocsin worker dispatching");
    dispatcher.run(shutdown).await;
    out!("Tocsin worker stopped");
    Ok(())
}

async fn import_file(
    settings: &Settings,
    file: PathBuf,
    format: Option<String>,
) -> Result<(), Fail> {
    let format = match format.as_deref() {
        Some("csv") => Format::Csv,
        Some("jsonl") => Format::Jsonl,
        _ => Format::from_path(&file).ok_or_else(|| {
            Fail::usage(format!(
                "{}: unknown extension; use .csv, .jsonl or .ndjson, or pass --format",
                file.display()
            ))
        })?,
    };
    let handle = std::fs::File::open(&file)
        .map_err(|e| Fail::usage(format!("cannot open {}: {e}", file.display())))?;
    let size = handle.metadata().map(|m| m.len()).unwrap_or(0);
    let inventory = crate::population::inventory::Inventory::load(&settings.playbooks_dir)
        .map_err(|e| Fail {
            code: 1,
            message: format!("playbook error: {e}"),
        })?;
    let db = open(settings).await?;
    let target = match crate::population::database_file(&db).await {
        // Nothing else in this process needs the database meanwhile: closing the pool lets
        // the import have the file to itself when no other process has it open.
        Ok(Some(path)) => {
            let _ = db.close().await;
            ImportTarget::SqliteFile(path)
        }
        _ => ImportTarget::Database(db),
    };
    let read = Arc::new(AtomicU64::new(0));
    let bar = progress_bar(size, read.clone());
    let file_name = file.display().to_string();
    let result = import_subjects(
        &target,
        handle,
        format,
        Arc::new(inventory.own_names()),
        &Actor::Cli,
        read,
        |r| {
            let line = format!("{file_name}:{}: rejected: {}", r.line, r.reason);
            match &bar {
                Some(b) => b.0.println(line),
                None => out!("{line}"),
            }
        },
    )
    .await;
    if let Some(b) = bar {
        b.finish();
    }
    match result {
        Ok(r) => {
            out!(
                "imported {}, updated {}, rejected {}",
                r.imported,
                r.updated,
                r.rejected_count
            );
            Ok(())
        }
        Err(e @ ImportError::Db(_)) => Err(Fail {
            code: 1,
            message: format!("{e}; nothing was imported"),
        }),
        Err(e) => Err(Fail::usage(format!(
            "{file_name}: {e}; nothing was imported"
        ))),
    }
}

struct Progress(indicatif::ProgressBar, tokio::task::JoinHandle<()>);

impl Progress {
    fn finish(self) {
        self.1.abort();
        self.0.finish_and_clear();
    }
}

/// A byte-progress bar on a terminal; nothing when stderr is not one.
fn progress_bar(size: u64, read: Arc<AtomicU64>) -> Option<Progress> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let b = bar.clone();
    let ticker = tokio::spawn(async move {
        loop {
            b.set_position(read.load(Ordering::Relaxed));
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    Some(Progress(bar, ticker))
}
