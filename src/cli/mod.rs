//! The command line: headless commands sharing the core, the journal and the render model.

mod advance;
mod demo;
mod docs;
mod init;
mod inspect;
mod sync;

use crate::plan::Side;
use crate::session::SessionError;
use crate::ui::UiError;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit codes, documented in the README.
pub const EXIT_NOT_READY: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
pub const EXIT_REFUSED: u8 = 3;
pub const EXIT_JOURNAL: u8 = 4;
/// The terminal or the async runtime failed (the journal is intact).
pub const EXIT_TERMINAL: u8 = 5;

#[derive(Parser, Debug)]
#[command(name = "rocketmq-migrate", version, about = "Move the producers and consumers of a RocketMQ cluster to a new cluster without losing a message", long_about = None)]
pub struct Cli {
    /// The migration plan; its journal and log live beside it.
    #[arg(
        short = 'c',
        long = "config",
        global = true,
        default_value = "migration.toml"
    )]
    pub config: PathBuf,
    /// Log file (default: rocketmq-migrate.log beside the plan).
    #[arg(long, global = true)]
    pub log_file: Option<PathBuf>,
    /// Who drives the migration, journaled and named in the report (default: the environment's
    /// USER, else USERNAME).
    #[arg(long, global = true, value_name = "NAME")]
    pub operator: Option<String>,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// The wizard: stages, both clusters side by side, confirmations (needs a terminal).
    Run {
        /// Watch while another process drives the plan: read-only, follows its journal.
        #[arg(long)]
        watch: bool,
    },
    /// Rehearse a whole migration on two built-in simulated clusters, in the wizard.
    Demo {
        /// Folder for the rehearsal plan and its journal.
        #[arg(long, default_value = "rocketmq-migrate-demo")]
        dir: PathBuf,
        /// Start the rehearsal over (deletes its journal).
        #[arg(long)]
        reset: bool,
        /// Rehearse this plan's own batches, topics and groups (applications invented).
        #[arg(long = "plan", value_name = "PLAN")]
        own_plan: Option<PathBuf>,
        /// With --plan: take the applications' instances, rates, backlogs and client versions
        /// from two readings of the plan's source cluster, 10 s apart (read-only).
        #[arg(long, requires = "own_plan")]
        measure: bool,
    },
    /// Validate the plan, reach both clusters, compare metadata. Exit 0 when ready, 1 when not.
    Check,
    /// Stage of every batch, each gate's verdict with evidence, backlog and clients per group.
    Status {
        /// Machine-readable output (schema documented in the README).
        #[arg(long)]
        json: bool,
    },
    /// What a batch's applications need to reach the new cluster, ready to paste: address,
    /// names, which credentials (never a secret).
    ClientSettings { batch: String },
    /// Move a step forward: preflight, metadata, a batch name, or finish. Exit 3 when refused.
    Advance {
        step: String,
        /// Confirm without asking (for scripts; the gate still decides).
        #[arg(long)]
        yes: bool,
        /// Acknowledge a warning by its id (repeatable).
        #[arg(long = "ack", value_name = "WARNING_ID")]
        acks: Vec<String>,
        /// Refuse at once instead of waiting while a settle window runs.
        #[arg(long)]
        no_wait: bool,
    },
    /// Move a batch one stage back, if its mirror gate allows. Exit 3 when refused.
    Rollback {
        batch: String,
        #[arg(long)]
        yes: bool,
    },
    /// Retire a broker that left the route: its messages are accounted for (asks to type its name).
    RetireBroker {
        broker: String,
        /// The broker is the target cluster's (default: the source's).
        #[arg(long)]
        target: bool,
        #[arg(long)]
        yes: bool,
    },
    /// Create on the target the topics and groups of the plan it lacks, with the source's settings
    /// (lists them and asks first).
    SyncMetadata {
        /// Show what would be created, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Create without asking (for scripts; without a terminal it is required).
        #[arg(long)]
        yes: bool,
    },
    /// Write a starting plan from a live source cluster (to the -c path), for you to edit.
    Init {
        /// The source NameServer(s), "host:port[;host:port]".
        #[arg(long = "from", value_name = "NAMESRV")]
        from: String,
        /// One batch for everything, instead of one per application-looking group prefix.
        #[arg(long)]
        single_batch: bool,
        /// Overwrite an existing plan file.
        #[arg(long)]
        force: bool,
        /// ACL AccessKey of the source, if it has ACL.
        #[arg(long)]
        access_key: Option<String>,
        /// Environment variable holding the source's SecretKey.
        #[arg(long)]
        secret_key_env: Option<String>,
    },
    /// An account of the migration for a change ticket: a summary, then the timeline (Markdown).
    Report {
        /// Write the Markdown to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Write one self-contained HTML page (with charts of the backlog series) to this file;
        /// the Markdown is then written only if -o asks for it.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Shell completions on standard output (e.g. `completions bash > /etc/bash_completion.d/rocketmq-migrate`).
    Completions { shell: clap_complete::Shell },
    /// The manual page (roff) on standard output: `man > rocketmq-migrate.1`.
    Man,
}

/// How a command ends: an exit code and what to tell the operator.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl Exit {
    pub fn new(code: u8, message: impl Into<String>) -> Exit {
        Exit {
            code,
            message: message.into(),
        }
    }
}

impl From<SessionError> for Exit {
    fn from(e: SessionError) -> Exit {
        let code = match e {
            SessionError::Plan(_) | SessionError::Clusters(_) => EXIT_BAD_INPUT,
            SessionError::Journal(_) | SessionError::Replay(_) => EXIT_JOURNAL,
        };
        Exit::new(code, e.to_string())
    }
}

impl From<crate::journal::JournalError> for Exit {
    fn from(e: crate::journal::JournalError) -> Exit {
        Exit::from(SessionError::Journal(e))
    }
}

impl From<UiError> for Exit {
    fn from(e: UiError) -> Exit {
        match e {
            UiError::Session(e) => Exit::from(e),
            UiError::NotATerminal => Exit::new(EXIT_BAD_INPUT, e.to_string()),
            UiError::Terminal(_) => Exit::new(EXIT_TERMINAL, e.to_string()),
        }
    }
}

/// Asks on the terminal; `None` when there is no terminal to ask on.
fn ask(question: &str) -> Option<String> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return None;
    }
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim().to_string())
}

/// A yes to a [y/N] question.
fn is_yes(answer: &str) -> bool {
    answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes")
}

/// Logs go to a file only: stdout and stderr belong to the operator. `RMQ_MIGRATE_LOG` takes a
/// tracing filter such as `debug`.
fn init_logging(path: &Path) {
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RMQ_MIGRATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}

pub fn main() -> ExitCode {
    let _ = color_eyre::install();
    let cli = Cli::parse();
    let log = cli.log_file.clone().unwrap_or_else(|| {
        let dir = match &cli.command {
            Cmd::Demo { dir, .. } => dir.clone(),
            _ => cli
                .config
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        };
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        dir.join("rocketmq-migrate.log")
    });
    // Completions and the manual page come from the definition alone: no log beside a plan.
    if !matches!(cli.command, Cmd::Completions { .. } | Cmd::Man) {
        if let Some(parent) = log.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        init_logging(&log);
        tracing::info!(command = ?cli.command, plan = %cli.config.display(), "start");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_TERMINAL);
        }
    };
    let result = runtime.block_on(run(cli, &log));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(exit) => {
            tracing::error!(code = exit.code, "{}", exit.message);
            eprintln!("error: {}", exit.message.trim_end());
            ExitCode::from(exit.code)
        }
    }
}

async fn run(cli: Cli, log: &Path) -> Result<u8, Exit> {
    let plan = cli.config.as_path();
    let operator = cli.operator.as_deref();
    match cli.command {
        Cmd::Run { watch } => Ok(crate::ui::run(plan, log, watch, operator).await?),
        Cmd::Demo {
            dir,
            reset,
            own_plan,
            measure,
        } => demo::run(&dir, reset, own_plan.as_deref(), measure, log, operator).await,
        Cmd::Check => inspect::check(plan).await,
        Cmd::Status { json } => inspect::status(plan, json).await,
        Cmd::ClientSettings { batch } => inspect::client_settings(plan, &batch).await,
        Cmd::Report { output, html } => {
            inspect::report(plan, output.as_deref(), html.as_deref(), operator)
        }
        Cmd::Advance {
            step,
            yes,
            acks,
            no_wait,
        } => advance::advance(plan, &step, yes, acks, no_wait, operator).await,
        Cmd::Rollback { batch, yes } => advance::rollback(plan, &batch, yes, operator).await,
        Cmd::RetireBroker {
            broker,
            target,
            yes,
        } => {
            let side = if target { Side::Target } else { Side::Source };
            advance::retire_broker(plan, &broker, side, yes, operator).await
        }
        Cmd::SyncMetadata { dry_run, yes } => sync::run(plan, dry_run, yes, operator).await,
        Cmd::Completions { shell } => docs::completions(shell),
        Cmd::Man => docs::man(),
        Cmd::Init {
            from,
            single_batch,
            force,
            access_key,
            secret_key_env,
        } => {
            let args = init::InitArgs {
                namesrv: &from,
                single_batch,
                force,
                access_key: access_key.as_deref(),
                secret_key_env: secret_key_env.as_deref(),
            };
            init::run(plan, args).await
        }
    }
}
