//! The shell around the pure wizard for one command: plan, journal, clusters, polls, and the
//! rule that an entry is on disk before the state (or the operator) sees it.

use crate::cli::{EXIT_BAD_INPUT, EXIT_JOURNAL, Exit};
use crate::clock;
use crate::cluster::{self, Clusters};
use crate::journal::{self, Entry, Holder, Journal};
use crate::plan::Plan;
use crate::poll;
use crate::stage::Transition;
use crate::wizard::{Command, Decision, Wizard};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub enum Mode<'a> {
    /// Takes the plan's lock and journals what happens.
    Drive(&'a str),
    /// Reads the journal; works while another wizard drives.
    ReadOnly,
}

pub struct Session {
    pub wizard: Wizard,
    pub journal: Option<Journal>,
    pub journal_path: PathBuf,
    pub clusters: Clusters,
}

/// The batch moves among journal entries: what a vendor migration task has to follow.
pub fn batch_moves(entries: &[Entry]) -> Vec<(String, Transition)> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::StageChanged {
                batch, from, to, ..
            } => Some((
                batch.clone(),
                Transition {
                    from: *from,
                    to: *to,
                },
            )),
            _ => None,
        })
        .collect()
}

/// The target's vendor migration task follows a journaled batch move. A failure becomes an
/// error entry to journal: the next gate then finds the task behind the batch and says so.
pub async fn follow_move(
    clusters: &Clusters,
    plan: &Plan,
    batch: &str,
    t: Transition,
) -> Result<Option<String>, Entry> {
    let topics = plan
        .batch(batch)
        .map(|b| b.topics.clone())
        .unwrap_or_default();
    clusters
        .follow_move(&topics, t)
        .await
        .map_err(|message| Entry::Error {
            context: format!("migration task, batch {batch}: {}", t.action()),
            message,
        })
}

pub fn load_plan(path: &Path) -> Result<Plan, Exit> {
    Plan::load(path).map_err(|e| Exit::new(EXIT_BAD_INPUT, e.to_string()))
}

impl Session {
    pub fn open(plan_path: &Path, mode: Mode) -> Result<Session, Exit> {
        let plan = load_plan(plan_path)?;
        let journal_path = journal::journal_path(plan_path);
        let (journal, replay) = match mode {
            Mode::Drive(command) => {
                let (j, r) = Journal::open(&journal_path, &Holder::current(command))
                    .map_err(Exit::journal)?;
                if let Some(prev) = &j.lock.stale_previous {
                    tracing::warn!(
                        "took over the lock left by {} (no longer running)",
                        prev.describe()
                    );
                }
                (Some(j), r)
            }
            Mode::ReadOnly => (None, journal::read(&journal_path).map_err(Exit::journal)?),
        };
        if let Some(t) = replay.torn_message(&journal_path) {
            tracing::warn!("{t}");
            eprintln!("warning: {t}");
        }
        let wizard = Wizard::new(plan, &replay.records)
            .map_err(|e| Exit::new(EXIT_JOURNAL, format!("{}: {e}", journal_path.display())))?;
        if let Some(prev) = replay.records.iter().rev().find_map(|r| match &r.entry {
            Entry::Opened { plan_digest, .. } => Some(plan_digest.clone()),
            _ => None,
        }) && prev != wizard.plan.digest
        {
            eprintln!("note: the plan file changed since the journal was last opened");
        }
        let clusters = cluster::connect(&wizard.plan)
            .map_err(|e| Exit::new(EXIT_BAD_INPUT, format!("{}: {e}", plan_path.display())))?;
        let mut s = Session {
            wizard,
            journal,
            journal_path,
            clusters,
        };
        if let Mode::Drive(command) = mode {
            let entry = Entry::Opened {
                tool_version: env!("CARGO_PKG_VERSION").into(),
                plan_digest: s.wizard.plan.digest.clone(),
                holder: Holder::current(command),
            };
            s.commit(vec![entry])?;
        }
        s.follow();
        Ok(s)
    }

    fn follow(&self) {
        self.clusters.follow(&self.wizard.progress.timeline);
    }

    /// Writes the entries (fsynced), then applies them. Read-only sessions write nothing.
    pub fn commit(&mut self, entries: Vec<Entry>) -> Result<(), Exit> {
        let Some(j) = self.journal.as_mut() else {
            return Ok(());
        };
        for e in entries {
            let rec = j.append(clock::now(), e).map_err(Exit::journal)?;
            self.wizard
                .apply(&rec)
                .map_err(|e| Exit::new(EXIT_JOURNAL, e))?;
        }
        self.follow();
        Ok(())
    }

    pub fn handle(&mut self, command: Command) -> Decision {
        self.wizard.handle(command, clock::now())
    }

    /// One poll of both clusters, fed to the wizard.
    pub async fn poll(&mut self) -> Result<(), Exit> {
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
            let d = self.handle(Command::Observe(snap));
            self.commit(d.entries)?;
        }
        Ok(())
    }
}
