//! Gates: pure functions from the plan, a step, both clusters' snapshots and the clock to a
//! verdict with its evidence. They fail closed: no data, old data, partial data or an unreachable
//! cluster never opens a gate. Hard checks cannot be overridden; warnings need acknowledging.

pub mod checks;
pub mod settle;
pub mod warnings;

use crate::clock::{self, Millis};
use crate::model::{Check, Settle, Snapshot, Verdict};
use crate::plan::{Batch, Plan, Side};
use crate::stage::{Stage, Transition};
use checks::{
    Presence, backlog_at_most, consumers, fresh, group_exists, producers, settled, task_topic,
    topic_exists,
};
pub use settle::{QuietWatch, Watches};

/// What the gates see: the latest snapshot of each cluster and the settle watches.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub source: Option<&'a Snapshot>,
    pub target: Option<&'a Snapshot>,
    pub watches: &'a Watches,
}

/// Collects checks; a side's checks are only added when its snapshot is usable.
struct Builder<'a> {
    plan: &'a Plan,
    seen: Seen<'a>,
    now: Millis,
    checks: Vec<Check>,
}

impl<'a> Builder<'a> {
    fn new(plan: &'a Plan, seen: Seen<'a>, now: Millis) -> Self {
        Builder {
            plan,
            seen,
            now,
            checks: vec![],
        }
    }

    /// The side's snapshot when fresh; otherwise records why not (once) and returns `None`.
    fn side(&mut self, side: Side) -> Option<&'a Snapshot> {
        let snap = match side {
            Side::Source => self.seen.source,
            Side::Target => self.seen.target,
        };
        let (check, ok) = fresh(side, snap, &self.plan.gates, self.now);
        if !self.checks.iter().any(|c| c.id == check.id) {
            self.checks.push(check);
        }
        ok
    }

    fn verdict(self, step: String, action: &str, settle: Option<Settle>) -> Verdict {
        Verdict {
            step,
            action: action.to_string(),
            evaluated_at: self.now,
            checks: self.checks,
            warnings: vec![],
            settle,
        }
    }
}

fn settle_of(side: Side, watch: Option<&QuietWatch>, needed: Millis) -> Settle {
    Settle {
        side,
        since: watch.map(|w| w.since),
        held_ms: watch.map_or(0, QuietWatch::held_ms),
        needed_ms: needed,
    }
}

/// The gate of one batch move, forward or back.
pub fn batch_gate(plan: &Plan, batch: &Batch, t: Transition, seen: Seen, now: Millis) -> Verdict {
    use Stage::*;
    let mut b = Builder::new(plan, seen, now);
    let needed = clock::ms(plan.gates.settle_window);
    let max = plan.gates.max_backlog;
    let mut warnings = vec![];
    let mut settle = None;
    let watch = |side: Side| seen.watches.get(&(batch.name.clone(), side));
    match (t.from, t.to) {
        (NotStarted, DoubleRead) => {
            let src = b.side(Side::Source);
            if let Some(dst) = b.side(Side::Target) {
                for topic in &batch.topics {
                    b.checks.push(topic_exists(dst, topic, now));
                }
                for g in batch.group_names() {
                    b.checks.push(group_exists(dst, g, now));
                }
            }
            if let Some(src) = src {
                warnings = warnings::before_first_consumers(batch, src);
            }
        }
        (DoubleRead, DoubleWrite) => {
            let src = b.side(Side::Source);
            let dst = b.side(Side::Target);
            for g in &batch.groups {
                if let Some(d) = dst {
                    b.checks.push(consumers(d, g, Presence::AtLeastOne, now));
                }
                if let Some(s) = src {
                    b.checks.push(consumers(s, g, Presence::AtLeastOne, now));
                }
            }
            if let (Some(s), Some(d)) = (src, dst) {
                warnings = warnings::before_producers(batch, s, d);
            }
        }
        (DoubleWrite, Draining) => {
            let src = b.side(Side::Source);
            let dst = b.side(Side::Target);
            if let Some(d) = dst {
                for g in &batch.groups {
                    b.checks.push(consumers(d, g, Presence::AtLeastOne, now));
                }
                // Confirms the producers arrived, where the target can list them (the TDMQ API
                // cannot); the safety condition is the source side, checked below.
                if d.producers.via != crate::model::ProducerSource::Unavailable {
                    for p in &batch.producer_groups {
                        b.checks.push(producers(d, p, Presence::AtLeastOne, now));
                    }
                }
            }
            if let Some(s) = src {
                for p in &batch.producer_groups {
                    b.checks.push(producers(s, p, Presence::None, now));
                }
            }
        }
        (Draining, TargetOnly) => {
            let src = b.side(Side::Source);
            let dst = b.side(Side::Target);
            if let Some(s) = src {
                for g in batch.group_names() {
                    b.checks.push(backlog_at_most(s, g, max, now));
                }
                for p in &batch.producer_groups {
                    b.checks.push(producers(s, p, Presence::None, now));
                }
                b.checks.push(settled(
                    s,
                    &batch.name,
                    &batch.topics,
                    watch(Side::Source),
                    needed,
                    now,
                ));
                settle = Some(settle_of(Side::Source, watch(Side::Source), needed));
            }
            if let Some(d) = dst {
                for g in &batch.groups {
                    b.checks.push(consumers(d, g, Presence::AtLeastOne, now));
                }
            }
        }
        (TargetOnly, Done) => {
            if let Some(s) = b.side(Side::Source) {
                for g in &batch.groups {
                    b.checks.push(consumers(s, g, Presence::None, now));
                    b.checks.push(backlog_at_most(s, &g.name, max, now));
                }
                for p in &batch.producer_groups {
                    b.checks.push(producers(s, p, Presence::None, now));
                }
            }
        }
        // Rollbacks mirror the rules: never leave messages where nobody reads them.
        (DoubleRead, NotStarted) => {
            let src = b.side(Side::Source);
            if let Some(d) = b.side(Side::Target) {
                for g in batch.group_names() {
                    b.checks.push(backlog_at_most(d, g, max, now));
                }
                b.checks.push(settled(
                    d,
                    &batch.name,
                    &batch.topics,
                    watch(Side::Target),
                    needed,
                    now,
                ));
                settle = Some(settle_of(Side::Target, watch(Side::Target), needed));
            }
            if let Some(s) = src {
                for g in &batch.groups {
                    b.checks.push(consumers(s, g, Presence::AtLeastOne, now));
                }
            }
        }
        (DoubleWrite, DoubleRead) | (Draining, DoubleWrite) => {
            if let Some(s) = b.side(Side::Source) {
                for g in &batch.groups {
                    b.checks.push(consumers(s, g, Presence::AtLeastOne, now));
                }
            }
        }
        (TargetOnly, Draining) | (Done, TargetOnly) => {
            if let Some(d) = b.side(Side::Target) {
                for g in &batch.groups {
                    b.checks.push(consumers(d, g, Presence::AtLeastOne, now));
                }
            }
        }
        _ => b.checks.push(Check {
            id: "unsupported-move".into(),
            status: crate::model::Status::Blocked,
            summary: format!(
                "{} -> {} is not a move the wizard makes: one stage at a time",
                t.from, t.to
            ),
            evidence: vec![],
        }),
    }
    // A vendor migration task (TDMQ trocket) moves with the batch: it must hold each topic at
    // the batch's stage, and its own health check must pass before it is moved on.
    if let Some(task) = plan.target.migration_task_id()
        && let Some(dst) = b.side(Side::Target)
    {
        let health = t.is_forward() && t.moves_task();
        for topic in &batch.topics {
            b.checks
                .push(task_topic(dst, task, topic, t.from, health, now));
        }
    }
    let mut v = b.verdict(format!("batch:{}", batch.name), t.action(), settle);
    v.warnings = warnings;
    v
}

/// Preflight: both clusters answer with complete, fresh data.
pub fn preflight_gate(plan: &Plan, seen: Seen, now: Millis) -> Verdict {
    let mut b = Builder::new(plan, seen, now);
    b.side(Side::Source);
    b.side(Side::Target);
    b.verdict("preflight".into(), "complete preflight", None)
}

/// Metadata: every topic and group of the plan exists on the target.
pub fn metadata_gate(plan: &Plan, seen: Seen, now: Millis) -> Verdict {
    let mut b = Builder::new(plan, seen, now);
    if let Some(dst) = b.side(Side::Target) {
        for batch in &plan.batches {
            for t in &batch.topics {
                b.checks.push(topic_exists(dst, t, now));
            }
            for g in batch.group_names() {
                b.checks.push(group_exists(dst, g, now));
            }
        }
    }
    b.verdict("metadata".into(), "confirm metadata", None)
}

/// Finish: every batch done, and nothing of the plan still connected to the source.
pub fn finish_gate(
    plan: &Plan,
    stage_of: &dyn Fn(&str) -> Stage,
    seen: Seen,
    now: Millis,
) -> Verdict {
    let mut b = Builder::new(plan, seen, now);
    for batch in &plan.batches {
        let stage = stage_of(&batch.name);
        b.checks.push(Check {
            id: format!("batch-done:{}", batch.name),
            status: if stage == Stage::Done {
                crate::model::Status::Pass
            } else {
                crate::model::Status::Blocked
            },
            summary: format!(
                "batch '{}' is at {} ({})",
                batch.name,
                stage,
                stage.meaning()
            ),
            evidence: vec![],
        });
    }
    if let Some(s) = b.side(Side::Source) {
        for batch in &plan.batches {
            for g in &batch.groups {
                b.checks.push(consumers(s, g, Presence::None, now));
            }
            for p in &batch.producer_groups {
                b.checks.push(producers(s, p, Presence::None, now));
            }
        }
    }
    b.verdict("finish".into(), "finish migration", None)
}
