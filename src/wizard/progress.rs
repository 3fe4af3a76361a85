//! The migration's progress, rebuilt by replaying the journal: nothing else changes it.

use crate::clock::Millis;
use crate::gate::{QuietWatch, Reached, Watches};
use crate::journal::{Entry, Record};
use crate::metadata::MetadataItem;
use crate::model::Status;
use crate::plan::{Plan, Side};
use crate::stage::Stage;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageChange {
    pub at: Millis,
    pub batch: String,
    pub from: Stage,
    pub to: Stage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Created {
    pub at: Millis,
    pub side: Side,
    pub item: MetadataItem,
}

/// What happened so far, as far as the operator's confirmed actions go. The rehearsal clusters
/// follow it: that is how simulated applications "move" when the operator says they did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Timeline {
    pub started_at: Option<Millis>,
    pub stage_changes: Vec<StageChange>,
    pub created: Vec<Created>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub preflight: Option<Millis>,
    pub metadata: Option<Millis>,
    pub finished: Option<Millis>,
    pub stages: BTreeMap<String, Stage>,
    /// (step key, warning id) pairs the operator acknowledged.
    pub acks: BTreeSet<(String, String)>,
    /// The last recorded verdict per gate ("step|action"): status and failing check ids.
    pub last_verdicts: BTreeMap<String, (Status, Vec<String>)>,
    pub timeline: Timeline,
    pub last_seq: u64,
    /// Settle windows as journaled: where each started and the offsets it holds.
    pub quiet: Watches,
    /// Every broker ever seen serving topics of the plan, per cluster.
    pub brokers: Brokers,
}

pub type Brokers = BTreeMap<(Side, String), BrokerRecord>;

/// A broker the journal remembers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokerRecord {
    /// The plan's topics (and retry topics) it served.
    pub topics: BTreeSet<String>,
    pub state: BrokerState,
    /// When it took this state.
    pub since: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum BrokerState {
    Serving,
    /// Gone from the route; what it held when last seen (per topic) and when that was.
    Left {
        holding: Option<BTreeMap<String, u64>>,
        last_seen: Option<Millis>,
    },
    /// The operator said its messages are accounted for.
    Retired,
}

impl Progress {
    pub fn stage(&self, batch: &str) -> Stage {
        self.reached().stage(batch)
    }

    /// What the gates read of the progress.
    pub fn reached(&self) -> Reached<'_> {
        Reached {
            preflight: self.preflight.is_some(),
            metadata: self.metadata.is_some(),
            stages: &self.stages,
            brokers: &self.brokers,
        }
    }

    pub fn replay(plan: &Plan, records: &[Record]) -> Result<Progress, String> {
        let mut p = Progress::default();
        for r in records {
            p.apply(plan, r)?;
        }
        Ok(p)
    }

    /// Applies one journaled record. Errors mean the journal does not fit the plan.
    pub fn apply(&mut self, plan: &Plan, r: &Record) -> Result<(), String> {
        self.timeline.started_at.get_or_insert(r.at);
        self.last_seq = r.seq;
        match &r.entry {
            Entry::StepCompleted { step, .. } => match step.as_str() {
                "preflight" => self.preflight = Some(r.at),
                "metadata" => self.metadata = Some(r.at),
                "finish" => self.finished = Some(r.at),
                other => {
                    return Err(format!(
                        "journal record {} completes an unknown step \"{other}\"",
                        r.seq
                    ));
                }
            },
            Entry::StageChanged {
                batch, from, to, ..
            } => {
                if plan.batch(batch).is_none() {
                    return Err(format!(
                        "journal record {} moves batch \"{batch}\", which the plan no longer has: restore the batch in the plan (renaming a batch mid-migration is not supported)",
                        r.seq
                    ));
                }
                let current = self.stage(batch);
                if current != *from {
                    return Err(format!(
                        "journal record {} moves batch \"{batch}\" from {from}, but it was at {current}",
                        r.seq
                    ));
                }
                self.stages.insert(batch.clone(), *to);
                self.timeline.stage_changes.push(StageChange {
                    at: r.at,
                    batch: batch.clone(),
                    from: *from,
                    to: *to,
                });
                if *to < Stage::Done {
                    self.finished = None;
                }
            }
            Entry::Acknowledged { step, warning, .. } => {
                self.acks.insert((step.clone(), warning.clone()));
            }
            Entry::VerdictChanged {
                step,
                action,
                status,
                failing,
                ..
            } => {
                self.last_verdicts
                    .insert(format!("{step}|{action}"), (*status, failing.clone()));
            }
            Entry::MetadataCreated { side, item } => {
                self.timeline.created.push(Created {
                    at: r.at,
                    side: *side,
                    item: item.clone(),
                });
            }
            Entry::QuietSince {
                batch,
                side,
                since,
                baseline,
            } => {
                self.quiet.insert(
                    (batch.clone(), *side),
                    QuietWatch::opened(*since, baseline.clone()),
                );
            }
            Entry::QuietEnded { batch, side } => {
                self.quiet.remove(&(batch.clone(), *side));
            }
            Entry::BrokerSeen {
                side,
                broker,
                topics,
            } => {
                let b = self
                    .brokers
                    .entry((*side, broker.clone()))
                    .or_insert(BrokerRecord {
                        topics: BTreeSet::new(),
                        state: BrokerState::Serving,
                        since: r.at,
                    });
                b.topics.extend(topics.iter().cloned());
                if b.state != BrokerState::Serving {
                    b.state = BrokerState::Serving;
                    b.since = r.at;
                }
            }
            Entry::BrokerLeft {
                side,
                broker,
                holding,
                last_seen,
            } => {
                if let Some(b) = self.brokers.get_mut(&(*side, broker.clone())) {
                    b.state = BrokerState::Left {
                        holding: holding.clone(),
                        last_seen: *last_seen,
                    };
                    b.since = r.at;
                }
            }
            Entry::BrokerRetired { side, broker, .. } => {
                if let Some(b) = self.brokers.get_mut(&(*side, broker.clone())) {
                    b.state = BrokerState::Retired;
                    b.since = r.at;
                }
            }
            Entry::Opened { .. } | Entry::Refused { .. } | Entry::Error { .. } => {}
        }
        Ok(())
    }
}
