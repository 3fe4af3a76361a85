//! The shell around the pure wizard for one command: plan, journal, clusters, polls, and the
//! rule that an entry is on disk before the state (or the operator) sees it.

use crate::clock;
use crate::cluster::{self, Clusters};
use crate::gate::Move;
use crate::journal::{self, Entry, Holder, Journal, JournalError, Record};
use crate::model::Snapshot;
use crate::plan::Plan;
use crate::poll;
use crate::series::{self, Recorder};
use crate::wizard::{Command, Decision, Timeline, Wizard};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a session could not be opened or kept: the command line turns each into an exit code.
#[derive(Debug)]
pub enum SessionError {
    /// The plan file cannot be read or is not valid (the message names file, line and field).
    Plan(String),
    /// A cluster of the plan cannot be set up (a secret that cannot be read, a bad address).
    Clusters(String),
    /// The journal cannot be opened, read or written, or is locked by another wizard.
    Journal(JournalError),
    /// The journal does not fit the plan.
    Replay(String),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Plan(m) | SessionError::Clusters(m) | SessionError::Replay(m) => {
                f.write_str(m)
            }
            SessionError::Journal(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SessionError {}

impl From<JournalError> for SessionError {
    fn from(e: JournalError) -> SessionError {
        SessionError::Journal(e)
    }
}

pub enum Mode<'a> {
    /// Takes the plan's lock and journals what happens (and records the backlog series), as
    /// `command`, for the operator `--operator` named, if it did.
    Drive {
        command: &'a str,
        operator: Option<&'a str>,
    },
    /// Reads the journal; works while another wizard drives.
    ReadOnly,
}

pub struct Session {
    pub wizard: Wizard,
    pub journal: Option<Journal>,
    pub journal_path: PathBuf,
    pub clusters: Clusters,
    /// The backlog series, appended while driving (`None` when read-only, or when its file
    /// cannot be opened: the migration goes on without it).
    pub series: Option<Recorder>,
}

/// What a journaled record is applied to: the wizard, or the screen that holds it.
pub trait Applies {
    fn apply(&mut self, record: &Record) -> Result<(), String>;
    fn timeline(&self) -> &Timeline;
}

impl Applies for Wizard {
    fn apply(&mut self, record: &Record) -> Result<(), String> {
        Wizard::apply(self, record)
    }
    fn timeline(&self) -> &Timeline {
        &self.progress.timeline
    }
}

/// A batch move a vendor migration task has to follow once it is journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    pub batch: String,
    pub made: Move,
}

/// The one commit path: writes the entries (each fsynced) and only then applies them, tells the
/// clusters what the operator confirmed, and returns the moves the target's task must follow.
pub fn record(
    journal: &mut Journal,
    state: &mut impl Applies,
    clusters: &Clusters,
    entries: Vec<Entry>,
) -> Result<Vec<Follow>, SessionError> {
    let mut follow = vec![];
    for e in entries {
        if let Entry::StageChanged {
            batch, from, to, ..
        } = &e
            && let Some(made) = Move::between(*from, *to)
        {
            follow.push(Follow {
                batch: batch.clone(),
                made,
            });
        }
        let rec = journal.append(clock::now(), e)?;
        state.apply(&rec).map_err(SessionError::Replay)?;
    }
    clusters.follow(state.timeline());
    Ok(follow)
}

/// The target's vendor migration task follows a journaled batch move. A failure becomes an
/// error entry to journal: the next gate then finds the task behind the batch and says so.
pub async fn follow_move(
    clusters: &Clusters,
    plan: &Plan,
    f: &Follow,
) -> Result<Option<String>, Entry> {
    let topics = plan
        .batch(&f.batch)
        .map(|b| b.topics.clone())
        .unwrap_or_default();
    clusters
        .follow_move(&topics, f.made)
        .await
        .map_err(|message| Entry::Error {
            context: format!("migration task, batch {}: {}", f.batch, f.made.name()),
            message,
        })
}

/// Opens the backlog series beside the plan; a file that cannot be opened is logged and the
/// migration goes on without its charts.
pub fn open_series(plan_path: &Path) -> Option<Recorder> {
    let path = series::series_path(plan_path);
    Recorder::open(&path)
        .inspect_err(|e| tracing::warn!("{e}: the report will have no charts"))
        .ok()
}

/// Adds what the sampler keeps of a snapshot to the series. A write that fails is logged and
/// the series closed: the charts stop there, the migration does not.
pub fn observe_series(series: &mut Option<Recorder>, plan: &Plan, snap: &Snapshot) {
    if let Some(r) = series.as_mut()
        && let Err(e) = r.observe(plan, snap)
    {
        tracing::warn!("{e}: no more points are recorded");
        *series = None;
    }
}

pub fn load_plan(path: &Path) -> Result<Plan, SessionError> {
    Plan::load(path).map_err(|e| SessionError::Plan(e.to_string()))
}

impl Session {
    pub fn open(plan_path: &Path, mode: Mode) -> Result<Session, SessionError> {
        let plan = load_plan(plan_path)?;
        let journal_path = journal::journal_path(plan_path);
        // Driving: the holder of the lock is the one the journal says opened it.
        let (journal, replay, holder) = match mode {
            Mode::Drive { command, operator } => {
                let holder = Holder::current(command).operated_by(operator);
                let (j, r) = Journal::open(&journal_path, &holder)?;
                if let Some(prev) = &j.lock.stale_previous {
                    tracing::warn!(
                        "took over the lock left by {} (no longer running)",
                        prev.describe()
                    );
                }
                (Some(j), r, Some(holder))
            }
            Mode::ReadOnly => (None, journal::read(&journal_path)?, None),
        };
        if let Some(t) = replay.torn_message(&journal_path) {
            tracing::warn!("{t}");
            eprintln!("warning: {t}");
        }
        let wizard = Wizard::new(plan, &replay.records)
            .map_err(|e| SessionError::Replay(format!("{}: {e}", journal_path.display())))?;
        if let Some(prev) = replay.records.iter().rev().find_map(|r| match &r.entry {
            Entry::Opened { plan_digest, .. } => Some(plan_digest.clone()),
            _ => None,
        }) && prev != wizard.plan.digest
        {
            eprintln!("note: the plan file changed since the journal was last opened");
        }
        let clusters = cluster::connect(&wizard.plan)
            .map_err(|e| SessionError::Clusters(format!("{}: {e}", plan_path.display())))?;
        let series = holder.is_some().then(|| open_series(plan_path)).flatten();
        let mut s = Session {
            wizard,
            journal,
            journal_path,
            clusters,
            series,
        };
        if let Some(holder) = holder {
            let entry = Entry::Opened {
                tool_version: env!("CARGO_PKG_VERSION").into(),
                plan_digest: s.wizard.plan.digest.clone(),
                holder,
            };
            s.commit(vec![entry])?;
        }
        s.clusters.follow(&s.wizard.progress.timeline);
        Ok(s)
    }

    /// Journals the entries, then applies them (see [`record`]); returns the moves the target's
    /// migration task must follow. Read-only sessions write nothing.
    pub fn commit(&mut self, entries: Vec<Entry>) -> Result<Vec<Follow>, SessionError> {
        match self.journal.as_mut() {
            Some(j) => record(j, &mut self.wizard, &self.clusters, entries),
            None => Ok(vec![]),
        }
    }

    pub fn handle(&mut self, command: Command) -> Decision {
        self.wizard.handle(command, clock::now())
    }

    /// One poll of both clusters, fed to the wizard.
    pub async fn poll(&mut self) -> Result<(), SessionError> {
        let deadline = self
            .wizard
            .plan
            .gates
            .stale_after
            .min(Duration::from_secs(20));
        let (src, dst) =
            poll::snapshot_both(&self.clusters, &self.wizard.plan.scope(), deadline).await;
        for snap in [src, dst] {
            if let Some(e) = &snap.unreachable {
                tracing::warn!("{} cluster '{}' unreachable: {e}", snap.side, snap.cluster);
            }
            observe_series(&mut self.series, &self.wizard.plan, &snap);
            let d = self.handle(Command::Observe(Box::new(snap)));
            self.commit(d.entries)?;
        }
        Ok(())
    }
}
