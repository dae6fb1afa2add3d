//! The `tocsin` command line. Exit codes: 0 success, 1 runtime failure, 2 bad usage or input.
//!
//! This module parses the command line and runs one command; each command lives in a file of
//! its own (`serve`, `accounts`, `import`, `report`, `obligations`, `audit`, `ledger`).
mod accounts;
mod audit;
mod delivery;
mod import;
mod ledger;
mod obligations;
mod report;
mod serve;

use crate::config::Settings;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// `println!` that does not panic when stdout is closed (`tocsin … | head`).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}
use out;

/// `eprintln!` that does not panic when stderr is closed.
macro_rules! err {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}
use err;

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
        /// Serve the API and console only; `tocsin worker` processes send.
        #[arg(long)]
        no_dispatcher: bool,
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
    /// An incident's obligations: who must be told, by when, with the time left on each clock.
    Obligations {
        /// The incident id.
        #[arg(long)]
        incident: i64,
        /// Print JSON (the API's shape) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Regulator reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// The audit log and the ledger's signed hash chains.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The delivery evidence ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// An incident's delivery.
    Delivery {
        #[command(subcommand)]
        command: DeliveryCommand,
    },
}

#[derive(Subcommand)]
enum DeliveryCommand {
    /// Where an incident's delivery stands: people reached, pending, failed, unreachable, per
    /// channel.
    Status {
        /// The incident id.
        #[arg(long)]
        incident: i64,
        /// Follow it until nothing is pending (progress bars on a terminal).
        #[arg(long)]
        watch: bool,
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
    /// Disable an account at once: its console sessions end and its API tokens are revoked.
    Disable {
        #[arg(long)]
        email: String,
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
        /// Refuse the token after this long: 90d, 12h, 2w, 30m (default: never).
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// List API tokens (never their secrets), newest first.
    List {
        /// Only this account's tokens.
        #[arg(long)]
        email: Option<String>,
    },
    /// Revoke a token at once (its id as `token list` shows it).
    Revoke { id: i64 },
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
        /// json, csv or html (pdf when this build has it).
        #[arg(long, default_value = "json")]
        format: String,
        /// Write to this file instead of stdout.
        #[arg(short = 'o', long = "output", alias = "out")]
        output: Option<PathBuf>,
    },
    /// List the saved versions of an incident's report under one regime, with their submission.
    Versions {
        /// The incident id.
        #[arg(long)]
        incident: i64,
        /// A regime id such as EU-GDPR (case-insensitive).
        #[arg(long)]
        jurisdiction: String,
    },
    /// Save the report as it stands as the next version (initial, follow_up or final).
    Save {
        #[arg(long)]
        incident: i64,
        #[arg(long)]
        jurisdiction: String,
        /// initial (the first), follow_up or final.
        #[arg(long)]
        kind: String,
    },
    /// Record that a saved version was submitted to the authority (once).
    Submit {
        #[arg(long)]
        incident: i64,
        #[arg(long)]
        jurisdiction: String,
        /// The version number.
        #[arg(long)]
        version: i32,
        /// How: the route and any reference ("ICO online form, case IC-123").
        #[arg(long)]
        how: String,
        /// When (RFC 3339); now when left out.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit log's and the ledger's hash chains and their signed checkpoints
    /// (against TOCSIN_AUDIT_KEY or the key file); exits 1 naming the first broken entry or
    /// checkpoint of each chain.
    Verify,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Write an incident's delivery evidence, in order, with its hashes (to stdout, or to a
    /// file with -o).
    Export {
        /// The incident id.
        #[arg(long)]
        incident: i64,
        #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
        format: String,
        /// Write to this file instead of stdout.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
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

    fn runtime(m: impl Into<String>) -> Fail {
        Fail {
            code: 1,
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
        Command::Serve {
            addr,
            demo,
            no_dispatcher,
        } => {
            if let Some(a) = addr {
                settings.addr = a;
            }
            serve::serve(settings, demo, !no_dispatcher).await
        }
        Command::Worker => serve::worker(settings).await,
        Command::Migrate => {
            let db = crate::db::connect(&settings.database_url).await?;
            crate::db::migrate(&db).await?;
            out!("migrations applied");
            Ok(())
        }
        Command::User {
            command: UserCommand::Add { email, role },
        } => accounts::add_user(&settings, &email, &role).await,
        Command::Delivery {
            command: DeliveryCommand::Status { incident, watch },
        } => delivery::status(&settings, incident, watch).await,
        Command::User {
            command: UserCommand::Disable { email },
        } => accounts::disable_user(&settings, &email).await,
        Command::Token {
            command:
                TokenCommand::Create {
                    email,
                    name,
                    expires_in,
                },
        } => accounts::create_token(&settings, &email, &name, expires_in.as_deref()).await,
        Command::Token {
            command: TokenCommand::List { email },
        } => accounts::list_tokens(&settings, email.as_deref()).await,
        Command::Token {
            command: TokenCommand::Revoke { id },
        } => accounts::revoke_token(&settings, id).await,
        Command::Subjects {
            command: SubjectsCommand::Import { file, format },
        } => import::import_file(&settings, file, format).await,
        Command::Obligations { incident, json } => {
            obligations::show(&settings, incident, json).await
        }
        Command::Report {
            command:
                ReportCommand::Export {
                    incident,
                    jurisdiction,
                    format,
                    output,
                },
        } => report::export_report(&settings, incident, &jurisdiction, &format, output).await,
        Command::Report {
            command:
                ReportCommand::Versions {
                    incident,
                    jurisdiction,
                },
        } => report::versions(&settings, incident, &jurisdiction).await,
        Command::Report {
            command:
                ReportCommand::Save {
                    incident,
                    jurisdiction,
                    kind,
                },
        } => report::save(&settings, incident, &jurisdiction, kind).await,
        Command::Report {
            command:
                ReportCommand::Submit {
                    incident,
                    jurisdiction,
                    version,
                    how,
                    at,
                },
        } => report::submit(&settings, incident, &jurisdiction, version, how, at).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit::verify(&settings).await,
        Command::Ledger {
            command:
                LedgerCommand::Export {
                    incident,
                    format,
                    output,
                },
        } => ledger::export(&settings, incident, &format, output).await,
    }
}

/// Installs the audit signing key (creating a missing key file), connects and migrates: for
/// commands that write (commands other than `serve` may be the first thing run).
async fn open(settings: &Settings) -> Result<sea_orm::DatabaseConnection, Fail> {
    install_key(settings)?;
    connect(settings).await
}

/// Connects and migrates, without the signing key: for commands that only read.
async fn connect(settings: &Settings) -> Result<sea_orm::DatabaseConnection, Fail> {
    let db = crate::db::connect(&settings.database_url).await?;
    crate::db::migrate(&db).await?;
    Ok(db)
}

/// A key that cannot be used is bad input (exit 2), like any other configuration error.
fn install_key(settings: &Settings) -> Result<(), Fail> {
    crate::chain::signer::install_from(&settings.audit_key)
        .map(|_| ())
        .map_err(|e| Fail::usage(e.to_string()))
}
