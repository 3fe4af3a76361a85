//! Gates: pure functions from the plan, a step, both clusters' snapshots and the clock to a
//! verdict with its evidence. They fail closed: no data, old data, partial data or an unreachable
//! cluster never opens a gate. Hard checks cannot be overridden; warnings need acknowledging.

pub mod checks;
pub mod rules;
pub mod settle;
pub mod warnings;

use crate::clock::{self, Millis};
use crate::model::{Check, Counted, GroupState, Prerequisite, Settle, Snapshot, Verdict, Warning};
use crate::plan::{Batch, Plan, Side};
use crate::stage::Stage;
use crate::wizard::{BrokerRecord, BrokerState, Brokers};
pub use checks::Awaited;
use checks::{
    backlog_at_most, backlog_by_topics, broker_in_route, capacity, clock_agrees, fresh,
    nothing_pending, pending_read, reads_answered, servers, settled, step_done, task_topic,
};
pub use rules::{Move, Rule, TaskStep, rule};
pub use settle::{QuietWatch, Watches};
use std::collections::{BTreeMap, BTreeSet};

/// What the gates see: the latest snapshot of each cluster and the settle watches.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub source: Option<&'a Snapshot>,
    pub target: Option<&'a Snapshot>,
    pub watches: &'a Watches,
}

impl<'a> Seen<'a> {
    pub fn of(&self, side: Side) -> Option<&'a Snapshot> {
        match side {
            Side::Source => self.source,
            Side::Target => self.target,
        }
    }

    /// The batch's groups that consume in broadcasting mode, as their online consumers say on
    /// either cluster (none says clustering): once the last ones left the source, those on the
    /// target still tell.
    pub fn broadcasting(&self, batch: &Batch) -> BTreeSet<String> {
        batch
            .group_names()
            .filter(|g| {
                let said: Vec<Option<bool>> = [self.source, self.target]
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.groups.get(*g))
                    .map(GroupState::consumes_broadcasting)
                    .collect();
                said.contains(&Some(true)) && !said.contains(&Some(false))
            })
            .map(str::to_string)
            .collect()
    }

    /// The batch's groups whose drain on `side` is judged by their topics' offsets alone (the
    /// settle window): broadcasting groups, and on the target, groups whose backlog there is
    /// unknown. Moving first consumers back is the one move that drains the target, and a group
    /// that never committed there (the usual reason to roll back) has no backlog to read: if
    /// nothing was written to its topics for the window, it left nothing.
    pub fn judged_by_topics(&self, batch: &Batch, side: Side) -> BTreeSet<String> {
        let mut groups = self.broadcasting(batch);
        if side == Side::Target
            && let Some(target) = self.target
        {
            groups.extend(
                (batch.group_names())
                    .filter(|g| {
                        target
                            .groups
                            .get(*g)
                            .is_none_or(|s| s.backlog.known().is_none())
                    })
                    .map(str::to_string),
            );
        }
        groups
    }
}

/// How far the operator's confirmed moves have gone: what prerequisites and finish read.
#[derive(Debug, Clone, Copy)]
pub struct Reached<'a> {
    pub preflight: bool,
    pub metadata: bool,
    pub stages: &'a BTreeMap<String, Stage>,
    /// Every broker the journal remembers serving the plan's topics.
    pub brokers: &'a Brokers,
}

impl Reached<'_> {
    pub fn stage(&self, batch: &str) -> Stage {
        self.stages.get(batch).copied().unwrap_or(Stage::NotStarted)
    }

    fn done(&self, p: Prerequisite) -> bool {
        match p {
            Prerequisite::Preflight => self.preflight,
            Prerequisite::Metadata => self.metadata,
        }
    }
}

/// The brokers the journal remembers serving any of the batch's topics or retry topics on `side`.
fn remembered<'b>(
    brokers: &'b Brokers,
    side: Side,
    batch: &Batch,
) -> impl Iterator<Item = (&'b String, &'b BrokerRecord)> {
    let topics = batch.topics_and_retry_topics();
    brokers
        .iter()
        .filter(move |((s, _), r)| *s == side && r.topics.iter().any(|t| topics.contains(t)))
        .map(|((_, b), r)| (b, r))
}

/// What a move is evaluated for: one batch, or (wizard-wide steps) every batch of the plan.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Wizard,
    Batch(&'a Batch),
}

/// A gate being evaluated: the rules' checks add to it. A cluster's checks are only added when
/// its snapshot is fresh; otherwise the one freshness check says why not.
pub struct Gate<'a> {
    pub plan: &'a Plan,
    pub reached: Reached<'a>,
    seen: Seen<'a>,
    now: Millis,
    checks: Vec<Check>,
    warnings: Vec<Warning>,
    settle: Option<Settle>,
    /// The plan-wide checks made so far: a rule runs once per batch, these once per gate.
    plan_wide: BTreeSet<(PlanWide, Side)>,
    /// Each side's snapshot once judged fresh or not (its one freshness check is recorded).
    freshness: BTreeMap<Side, Option<&'a Snapshot>>,
}

/// Checks of the whole plan that a rule asks for from each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PlanWide {
    Capacity,
    CreateUntried,
    Tried,
}

impl<'a> Gate<'a> {
    /// The side's snapshot when fresh; the freshness check is recorded once either way.
    pub fn fresh(&mut self, side: Side) -> Option<&'a Snapshot> {
        if let Some(ok) = self.freshness.get(&side) {
            return *ok;
        }
        let (check, ok) = fresh(side, self.seen.of(side), &self.plan.gates, self.now);
        self.checks.push(check);
        self.freshness.insert(side, ok);
        ok
    }

    /// A check on one cluster, made only when its data is fresh.
    pub fn check(&mut self, side: Side, f: impl FnOnce(&'a Snapshot, Millis) -> Check) {
        if let Some(s) = self.fresh(side) {
            let c = f(s, self.now);
            self.checks.push(c);
        }
    }

    pub fn push(&mut self, check: Check) {
        self.checks.push(check);
    }

    /// A check the data decides, or the line to acknowledge where it cannot.
    pub fn check_or_warn(&mut self, decided: Result<Check, Warning>) {
        match decided {
            Ok(c) => self.push(c),
            Err(by_hand) => self.warn(vec![by_hand]),
        }
    }

    /// Room on `side` for every topic and group of the plan it lacks (where it has limits):
    /// once for the whole plan, however many batches the gate reads.
    pub fn capacity(&mut self, side: Side) {
        if !self.plan_wide.insert((PlanWide::Capacity, side)) {
            return;
        }
        let scope = self.plan.scope();
        let topics: Vec<&str> = scope.topics.iter().map(String::as_str).collect();
        let groups: Vec<&str> = scope.groups.iter().map(|g| g.name.as_str()).collect();
        for (of, names) in [(Counted::Topics, topics), (Counted::Groups, groups)] {
            if let Some(c) = self
                .fresh(side)
                .and_then(|s| capacity(s, of, &names, self.now))
            {
                self.push(c);
            }
        }
    }

    /// What preflight tries on `side` once for the whole plan: every read the gates need, what
    /// serves the cluster, and the local clock against its API where it has one.
    pub fn tried(&mut self, side: Side) {
        if !self.plan_wide.insert((PlanWide::Tried, side)) {
            return;
        }
        let Some(s) = self.fresh(side) else { return };
        let (reads, clock) = (reads_answered(s, self.now), clock_agrees(s, self.now));
        self.push(reads);
        self.check_or_warn(servers(s, self.now));
        if let Some(c) = clock {
            self.push(c);
        }
    }

    /// The line to acknowledge where the right to create on `side` cannot be tried.
    pub fn create_untried(&mut self, side: Side) {
        if !self.plan_wide.insert((PlanWide::CreateUntried, side)) {
            return;
        }
        if let Some(s) = self.fresh(side) {
            let untried = warnings::create_untried(self.plan, s);
            self.warn(untried);
        }
    }

    /// Adds warnings; one the gate already has (a wizard-wide one, read once per batch) is
    /// kept once.
    pub fn warn(&mut self, warnings: Vec<Warning>) {
        for w in warnings {
            if !self.warnings.iter().any(|x| x.kind == w.kind) {
                self.warnings.push(w);
            }
        }
    }

    /// Every group of the batch drained on `side`: its backlog within the limit or, for a
    /// group consuming in broadcasting mode (no broker sees its offsets), each instance
    /// attested by the operator.
    pub fn backlogs_drained(&mut self, side: Side, batch: &Batch) {
        let max = self.plan.gates.max_backlog;
        let broadcasting = self.seen.broadcasting(batch);
        let by_topics = self.seen.judged_by_topics(batch, side);
        for group in batch.group_names() {
            if broadcasting.contains(group) {
                if let Some(s) = self.fresh(side) {
                    self.warnings.extend(warnings::broadcast_drained(group, s));
                }
            } else if by_topics.contains(group) {
                self.check(side, |s, now| backlog_by_topics(s, group, now));
            } else {
                self.check(side, |s, now| backlog_at_most(s, group, max, now));
            }
        }
    }

    /// Every broker remembered serving the batch's topics on `side` still serves them.
    pub fn brokers_remembered(&mut self, side: Side, batch: &Batch) {
        let brokers = self.reached.brokers;
        for (broker, record) in remembered(brokers, side, batch) {
            self.check(side, |s, now| broker_in_route(s, broker, record, now));
        }
    }

    /// No broker of `side` that may hold the batch's messages has any still on its way to a
    /// topic (or, for `Awaited::Half`, unresolved transactional ones): every broker read, every
    /// broker serving the batch now, and every broker remembered serving it.
    pub fn nothing_on_its_way(&mut self, side: Side, batch: &Batch, awaited: Awaited) {
        let Some(snap) = self.fresh(side) else {
            return;
        };
        if let Some(unread) = pending_read(snap, self.now) {
            self.checks.push(unread);
            return;
        }
        let topics = batch.topics_and_retry_topics();
        let mut brokers: BTreeSet<String> = (snap.pending.known())
            .map(|p| p.brokers.keys().cloned().collect())
            .unwrap_or_default();
        brokers.extend(snap.brokers_serving(&topics).unwrap_or_default());
        brokers.extend(
            remembered(self.reached.brokers, side, batch)
                .filter(|(_, r)| r.state != BrokerState::Retired)
                .map(|(b, _)| b.clone()),
        );
        for b in brokers {
            let c = nothing_pending(snap, &b, awaited, self.now);
            self.checks.push(c);
        }
    }

    /// The batch has been quiet on `side` for the settle window (the window shows on screen).
    pub fn settled(&mut self, side: Side, batch: &Batch) {
        let needed = clock::ms(self.plan.gates.settle_window);
        let watch = self.seen.watches.get(&(batch.name.clone(), side));
        if let Some(s) = self.fresh(side) {
            self.checks.push(settled(
                s,
                &batch.name,
                &batch.topics,
                watch,
                needed,
                self.now,
            ));
            let window = Settle {
                side,
                since: watch.map(|w| w.since),
                held_ms: watch.map_or(0, QuietWatch::held_ms),
                needed_ms: needed,
            };
            // Finish reads one window per batch: the screen shows the one with most to go.
            if (self.settle).is_none_or(|shown| window.remaining_ms() > shown.remaining_ms()) {
                self.settle = Some(window);
            }
        }
    }
}

/// The verdict of one move: its rule's prerequisites, freshness of the clusters it reads, its
/// checks and, for a batch move with a vendor migration task, the task's stage.
pub fn evaluate(
    plan: &Plan,
    subject: Subject,
    m: Move,
    seen: Seen,
    reached: Reached,
    now: Millis,
) -> Verdict {
    let rule = m.rule();
    let mut g = Gate {
        plan,
        reached,
        seen,
        now,
        checks: vec![],
        warnings: vec![],
        settle: None,
        plan_wide: BTreeSet::new(),
        freshness: BTreeMap::new(),
    };
    for p in rule.prerequisites {
        if let Some(missing) = step_done(*p, reached.done(*p)) {
            g.push(missing);
        }
    }
    for side in rule.reads {
        g.fresh(*side);
    }
    let batches: Vec<&Batch> = match subject {
        Subject::Wizard => plan.batches.iter().collect(),
        Subject::Batch(b) => vec![b],
    };
    for b in &batches {
        (rule.checks)(&mut g, b);
    }
    // A vendor migration task (TDMQ trocket) moves with the batch: it must hold each topic at
    // the batch's stage, and its own health check must pass before it is moved on.
    if let (Some((from, _)), Some(task), Subject::Batch(b)) =
        (rule.stages, plan.target.migration_task_id(), subject)
    {
        let health = rule.task == TaskStep::Advances;
        for topic in &b.topics {
            g.check(Side::Target, |s, now| {
                task_topic(s, task, topic, from, health, now)
            });
        }
    }
    Verdict {
        step: match subject {
            Subject::Wizard => m.step_key().to_string(),
            Subject::Batch(b) => format!("batch:{}", b.name),
        },
        action: rule.name.to_string(),
        evaluated_at: now,
        checks: g.checks,
        warnings: g.warnings,
        settle: g.settle,
    }
}
