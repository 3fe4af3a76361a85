//! The rule table: every move the wizard makes, with its name, what it needs done before, the
//! clusters it reads, its checks, whether it can be undone and what the operator does once it is
//! recorded. One exhaustive match: a new move or stage does not compile without its rule.

use super::checks::{
    batch_done, consumers_subscribed, filters_cover, group_exists, no_consumers, no_producers,
    no_topic_producers, only_batch_topics, only_planned_consumers, producers_online, topic_exists,
    topic_producers_online,
};
use super::warnings;
use super::{Awaited, Gate};
use crate::model::{Prerequisite, ProducerSource};
use crate::plan::{Batch, Side};
use crate::stage::Stage;

/// A move: a wizard-wide step, or one batch going one stage forward or back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Move {
    CompletePreflight,
    ConfirmMetadata,
    ReleaseFirstConsumers,
    ReleaseProducers,
    DrainSource,
    ReleaseRemainingConsumers,
    Done,
    RollBackFirstConsumers,
    RollBackProducers,
    ReopenSource,
    ReturnConsumers,
    ReopenBatch,
    Finish,
}

/// What the target's vendor migration task (TDMQ trocket) does when a batch move is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStep {
    /// Stays where it is (wizard-wide steps, and "done", which is the wizard's own stage).
    Holds,
    /// Moves on to the next stage: its own health check must pass first.
    Advances,
    /// Goes one stage back.
    Rewinds,
}

pub struct Rule {
    /// The operator's name for the move.
    pub name: &'static str,
    /// The stages a batch moves between; `None` for the wizard-wide steps.
    pub stages: Option<(Stage, Stage)>,
    /// Steps that must be complete first.
    pub prerequisites: &'static [Prerequisite],
    /// The clusters whose fresh, complete data the gate needs, in this order.
    pub reads: &'static [Side],
    /// The checks, for the batch that moves (wizard-wide steps: for every batch of the plan).
    pub checks: fn(&mut Gate<'_>, &Batch),
    /// Whether the wizard can take it back; if not, the operator types the batch name.
    pub undoable: bool,
    pub task: TaskStep,
    /// What the operator does in the applications once a rewind is recorded, for the batch
    /// name; `None` where the runbook of the stage reached says it (every forward move).
    pub rewind_instruction: Option<fn(&str) -> String>,
}

impl Move {
    /// The move that takes a batch on from `stage`.
    pub fn forward(stage: Stage) -> Option<Move> {
        match stage {
            Stage::NotStarted => Some(Move::ReleaseFirstConsumers),
            Stage::DoubleRead => Some(Move::ReleaseProducers),
            Stage::DoubleWrite => Some(Move::DrainSource),
            Stage::Draining => Some(Move::ReleaseRemainingConsumers),
            Stage::TargetOnly => Some(Move::Done),
            Stage::Done => None,
        }
    }

    /// The move that takes a batch one stage back from `stage`.
    pub fn back(stage: Stage) -> Option<Move> {
        match stage {
            Stage::NotStarted => None,
            Stage::DoubleRead => Some(Move::RollBackFirstConsumers),
            Stage::DoubleWrite => Some(Move::RollBackProducers),
            Stage::Draining => Some(Move::ReopenSource),
            Stage::TargetOnly => Some(Move::ReturnConsumers),
            Stage::Done => Some(Move::ReopenBatch),
        }
    }

    /// The batch move between two stages, if the wizard makes one.
    pub fn between(from: Stage, to: Stage) -> Option<Move> {
        [Move::forward(from), Move::back(from)]
            .into_iter()
            .flatten()
            .find(|m| m.stages() == Some((from, to)))
    }

    pub fn rule(self) -> Rule {
        rule(self)
    }

    pub fn name(self) -> &'static str {
        rule(self).name
    }

    pub fn stages(self) -> Option<(Stage, Stage)> {
        rule(self).stages
    }

    /// What to do in the applications after this rewind of `batch`; `None` for a forward move.
    pub fn rewind_instruction(self, batch: &str) -> Option<String> {
        rule(self).rewind_instruction.map(|say| say(batch))
    }

    /// The step a verdict of this move is about when evaluated wizard-wide.
    pub fn step_key(self) -> &'static str {
        match self {
            Move::CompletePreflight => "preflight",
            Move::ConfirmMetadata => "metadata",
            Move::Finish => "finish",
            Move::ReleaseFirstConsumers
            | Move::ReleaseProducers
            | Move::DrainSource
            | Move::ReleaseRemainingConsumers
            | Move::Done
            | Move::RollBackFirstConsumers
            | Move::RollBackProducers
            | Move::ReopenSource
            | Move::ReturnConsumers
            | Move::ReopenBatch => "every batch",
        }
    }
}

/// The table.
pub fn rule(m: Move) -> Rule {
    use Prerequisite as P;
    use Stage::*;
    const BOTH: &[Side] = &[Side::Source, Side::Target];
    const SOURCE: &[Side] = &[Side::Source];
    const TARGET: &[Side] = &[Side::Target];
    match m {
        Move::CompletePreflight => Rule {
            name: "complete preflight",
            stages: None,
            prerequisites: &[],
            reads: BOTH,
            checks: |g, b| {
                // The plan names what the source has, and nobody it forgot reads the topics.
                for t in &b.topics {
                    g.check(Side::Source, |s, now| topic_exists(s, t, now));
                    g.check(Side::Source, |s, now| only_planned_consumers(s, b, t, now));
                }
                for group in b.group_names() {
                    g.check(Side::Source, |s, now| group_exists(s, group, now));
                }
                let unverified = warnings::tls_unverified(g.plan);
                g.warn(unverified);
                g.capacity(Side::Target);
                g.create_untried(Side::Target);
                g.tried(Side::Source);
                g.tried(Side::Target);
            },
            undoable: true,
            task: TaskStep::Holds,
            rewind_instruction: None,
        },
        Move::ConfirmMetadata => Rule {
            name: "confirm metadata",
            stages: None,
            prerequisites: &[P::Preflight],
            reads: TARGET,
            checks: metadata_on_target,
            undoable: true,
            task: TaskStep::Holds,
            rewind_instruction: None,
        },
        Move::ReleaseFirstConsumers => Rule {
            name: "release first consumers",
            stages: Some((NotStarted, DoubleRead)),
            prerequisites: &[P::Preflight, P::Metadata],
            reads: BOTH,
            checks: |g, b| {
                metadata_on_target(g, b);
                if let Some(src) = g.fresh(Side::Source) {
                    g.warn(warnings::before_first_consumers(b, src));
                }
            },
            undoable: true,
            task: TaskStep::Advances,
            rewind_instruction: None,
        },
        Move::ReleaseProducers => Rule {
            name: "release producers",
            stages: Some((DoubleRead, DoubleWrite)),
            prerequisites: &[],
            reads: BOTH,
            checks: |g, b| {
                for group in &b.groups {
                    g.check(Side::Target, |s, now| consumers_subscribed(s, group, now));
                    g.check(Side::Source, |s, now| consumers_subscribed(s, group, now));
                }
                for t in &b.topics {
                    for side in [Side::Source, Side::Target] {
                        g.check(side, |s, now| only_planned_consumers(s, b, t, now));
                    }
                }
                if let (Some(s), Some(d)) = (g.fresh(Side::Source), g.fresh(Side::Target)) {
                    for group in &b.groups {
                        for topic in &group.topics {
                            if let Some(decided) = filters_cover(s, d, &group.name, topic, g.now) {
                                g.check_or_warn(decided);
                            }
                        }
                    }
                    g.warn(warnings::before_producers(b, s, d));
                }
            },
            undoable: true,
            task: TaskStep::Advances,
            rewind_instruction: None,
        },
        Move::DrainSource => Rule {
            name: "drain source",
            stages: Some((DoubleWrite, Draining)),
            prerequisites: &[],
            reads: BOTH,
            checks: |g, b| {
                consumers_on(g, b, Side::Target);
                // Confirms the producers arrived, where the target can list them (the TDMQ 4.x
                // API cannot); the safety condition is the source side, checked below.
                match g.fresh(Side::Target).map(|d| &d.producers.via) {
                    Some(ProducerSource::Unavailable) if !b.producer_groups.is_empty() => {
                        g.warn(vec![warnings::producers_unverified(
                            b,
                            Side::Target,
                            "the target cluster cannot list producers (the TDMQ 4.x API does not)",
                        )]);
                    }
                    Some(ProducerSource::PerTopic) => {
                        if let Some(d) = g.fresh(Side::Target) {
                            for t in &b.topics {
                                g.check_or_warn(topic_producers_online(d, &b.name, t, g.now));
                            }
                        }
                    }
                    Some(_) => {
                        for p in &b.producer_groups {
                            g.check(Side::Target, |s, now| producers_online(s, p, now));
                        }
                    }
                    None => {}
                }
                // Transactional messages are checked back with a producer of their group on
                // the source: the last one leaves only once they resolved.
                g.nothing_on_its_way(Side::Source, b, Awaited::Half);
                no_producers_on_source(g, b);
            },
            undoable: true,
            task: TaskStep::Advances,
            rewind_instruction: None,
        },
        Move::ReleaseRemainingConsumers => Rule {
            name: "release remaining consumers",
            stages: Some((Draining, TargetOnly)),
            prerequisites: &[],
            reads: BOTH,
            checks: |g, b| {
                drained(g, b, Side::Source);
                g.nothing_on_its_way(Side::Source, b, Awaited::Everything);
                no_producers_on_source(g, b);
                consumers_on(g, b, Side::Target);
                if let Some(s) = g.fresh(Side::Source) {
                    for group in b.group_names() {
                        g.check_or_warn(only_batch_topics(s, b, group, g.now));
                    }
                }
            },
            undoable: false,
            task: TaskStep::Advances,
            rewind_instruction: None,
        },
        Move::Done => Rule {
            name: "done",
            stages: Some((TargetOnly, Done)),
            prerequisites: &[],
            reads: SOURCE,
            // What arrived on the source after the remaining consumers left would be stranded:
            // look again, held for the settle window.
            checks: |g, b| {
                no_consumers_on_source(g, b);
                drained(g, b, Side::Source);
                g.nothing_on_its_way(Side::Source, b, Awaited::Everything);
                no_producers_on_source(g, b);
            },
            undoable: false,
            task: TaskStep::Holds,
            rewind_instruction: None,
        },
        // Rollbacks mirror the rules: never leave messages where nobody reads them.
        Move::RollBackFirstConsumers => Rule {
            name: "roll back first consumers",
            stages: Some((DoubleRead, NotStarted)),
            prerequisites: &[],
            reads: BOTH,
            checks: |g, b| {
                drained(g, b, Side::Target);
                consumers_on(g, b, Side::Source);
            },
            undoable: true,
            task: TaskStep::Rewinds,
            rewind_instruction: Some(|b| {
                format!(
                    "Move the first consumers of batch '{b}' back to the source cluster, stopping each gracefully (not kill -9)."
                )
            }),
        },
        Move::RollBackProducers => Rule {
            name: "roll back producers",
            stages: Some((DoubleWrite, DoubleRead)),
            prerequisites: &[],
            reads: SOURCE,
            checks: |g, b| consumers_on(g, b, Side::Source),
            undoable: true,
            task: TaskStep::Rewinds,
            rewind_instruction: Some(producers_back),
        },
        Move::ReopenSource => Rule {
            name: "reopen source for producers",
            stages: Some((Draining, DoubleWrite)),
            prerequisites: &[],
            reads: SOURCE,
            checks: |g, b| consumers_on(g, b, Side::Source),
            undoable: true,
            task: TaskStep::Rewinds,
            rewind_instruction: Some(producers_back),
        },
        Move::ReturnConsumers => Rule {
            name: "return consumers to source",
            stages: Some((TargetOnly, Draining)),
            prerequisites: &[],
            reads: TARGET,
            checks: |g, b| consumers_on(g, b, Side::Target),
            undoable: true,
            task: TaskStep::Rewinds,
            rewind_instruction: Some(|b| {
                format!(
                    "Move some consumers of batch '{b}' back to the source cluster, stopping each gracefully (not kill -9)."
                )
            }),
        },
        Move::ReopenBatch => Rule {
            name: "reopen batch",
            stages: Some((Done, TargetOnly)),
            prerequisites: &[],
            reads: TARGET,
            checks: |g, b| consumers_on(g, b, Side::Target),
            undoable: true,
            task: TaskStep::Holds,
            rewind_instruction: None,
        },
        Move::Finish => Rule {
            name: "finish migration",
            stages: None,
            prerequisites: &[],
            reads: SOURCE,
            checks: |g, b| {
                g.push(batch_done(&b.name, g.reached.stage(&b.name)));
                no_consumers_on_source(g, b);
                drained(g, b, Side::Source);
                g.nothing_on_its_way(Side::Source, b, Awaited::Everything);
                no_producers_on_source(g, b);
            },
            undoable: true,
            task: TaskStep::Holds,
            rewind_instruction: None,
        },
    }
}

/// Every topic and group of the batch exists on the target.
fn metadata_on_target(g: &mut Gate<'_>, b: &Batch) {
    for topic in &b.topics {
        g.check(Side::Target, |s, now| topic_exists(s, topic, now));
    }
    for group in b.group_names() {
        g.check(Side::Target, |s, now| group_exists(s, group, now));
    }
}

/// Every group of the batch has a consumer on `side`, subscribed to each of its topics.
fn consumers_on(g: &mut Gate<'_>, b: &Batch, side: Side) {
    for group in &b.groups {
        g.check(side, |s, now| consumers_subscribed(s, group, now));
    }
}

fn no_consumers_on_source(g: &mut Gate<'_>, b: &Batch) {
    for group in &b.groups {
        g.check(Side::Source, |s, now| no_consumers(s, &group.name, now));
    }
}

fn no_producers_on_source(g: &mut Gate<'_>, b: &Batch) {
    // A source that lists producers per topic (TDMQ 5.x) shows every one, named or not.
    if g.fresh(Side::Source).map(|s| &s.producers.via) == Some(&ProducerSource::PerTopic) {
        for t in &b.topics {
            g.check(Side::Source, |s, now| no_topic_producers(s, t, now));
        }
        return;
    }
    if b.producer_groups.is_empty() {
        g.warn(vec![warnings::producers_unverified(
            b,
            Side::Source,
            "the plan names no producer groups",
        )]);
    }
    for p in &b.producer_groups {
        g.check(Side::Source, |s, now| no_producers(s, p, now));
    }
}

/// Nothing left for the batch's groups on `side` (retry topics included), and nothing new
/// written there, for the settle window.
fn drained(g: &mut Gate<'_>, b: &Batch, side: Side) {
    g.brokers_remembered(side, b);
    g.backlogs_drained(side, b);
    g.settled(side, b);
}

fn producers_back(b: &str) -> String {
    format!("Move producers of batch '{b}' back to the source cluster as needed.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::STAGES;

    #[test]
    fn batch_moves_walk_the_stages_one_at_a_time_both_ways() {
        for s in STAGES {
            if let Some(m) = Move::forward(s) {
                assert_eq!(m.stages(), Some((s, s.next().unwrap())), "{m:?}");
                assert_eq!(Move::between(s, s.next().unwrap()), Some(m));
            }
            if let Some(m) = Move::back(s) {
                assert_eq!(m.stages(), Some((s, s.prev().unwrap())), "{m:?}");
                assert_eq!(Move::back(s).map(|m| m.rule().undoable), Some(true));
            }
        }
        let names: Vec<&str> = STAGES
            .into_iter()
            .filter_map(Move::forward)
            .map(Move::name)
            .collect();
        assert_eq!(
            names,
            [
                "release first consumers",
                "release producers",
                "drain source",
                "release remaining consumers",
                "done"
            ]
        );
        assert_eq!(Move::between(Stage::NotStarted, Stage::Draining), None);
        let irreversible: Vec<Move> = STAGES
            .into_iter()
            .filter_map(Move::forward)
            .filter(|m| !m.rule().undoable)
            .collect();
        assert_eq!(irreversible, [Move::ReleaseRemainingConsumers, Move::Done]);
    }
}
