//! The wizard's state machine: `handle(command) -> decision`, no I/O. A decision lists the journal
//! entries to write; the shell writes them (fsynced) and only then applies them, so the state on
//! screen never runs ahead of the journal, and a replay after a crash lands in the same place.

mod progress;

pub use progress::{BrokerRecord, BrokerState, Brokers, Created, Progress, StageChange, Timeline};

use crate::clock::Millis;
use crate::gate::{self, Move, Seen, Subject, Watches};
use crate::journal::{Entry, Record};
use crate::model::{Known, Snapshot, Verdict, WarningKind};
use crate::plan::{Batch, Plan, Side};
use crate::stage::{Stage, Step};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Not confirmed yet: the decision says what confirmation is needed.
    None,
    /// Confirmed explicitly (Enter in a dialog, `--yes` on the command line).
    Yes,
    /// The operator typed this text (an irreversible step wants the batch name).
    Typed(String),
}

impl Confirmation {
    fn describe(&self) -> String {
        match self {
            Confirmation::None => "none".into(),
            Confirmation::Yes => "confirmed".into(),
            Confirmation::Typed(t) => format!("typed \"{t}\""),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Command {
    Observe(Box<Snapshot>),
    Advance {
        step: Step,
        confirmation: Confirmation,
        acks: Vec<String>,
    },
    Rollback {
        batch: String,
        confirmation: Confirmation,
    },
    /// The operator says a broker that left holds nothing the migration still needs.
    RetireBroker {
        side: Side,
        broker: String,
        confirmation: Confirmation,
    },
    Fail {
        context: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Observed,
    /// Taken: the runbook says what follows (`runbook::after_move`).
    Moved {
        step: Step,
        made: Move,
    },
    /// The gate is open; the operator must confirm (typing `type_name` if set).
    NeedsConfirmation {
        step: Step,
        action: String,
        type_name: Option<String>,
        verdict: Verdict,
    },
    Refused {
        step: Step,
        action: String,
        reasons: Vec<String>,
        verdict: Option<Verdict>,
    },
    Nothing(String),
    /// The command names something the plan or the journal does not hold (the text says what
    /// there is): nothing changes, and a script is told its input was wrong.
    NoSuch(String),
    /// Done: the entries record it; the text says what it means.
    Recorded(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub entries: Vec<Entry>,
    pub outcome: Outcome,
}

impl Decision {
    fn only(outcome: Outcome) -> Decision {
        Decision {
            entries: vec![],
            outcome,
        }
    }

    fn with(mut self, entry: Entry) -> Decision {
        self.entries.push(entry);
        self
    }
}

#[derive(Debug, Clone)]
pub struct Wizard {
    pub plan: Plan,
    pub progress: Progress,
    pub source: Option<Snapshot>,
    pub target: Option<Snapshot>,
    pub watches: Watches,
    /// Per broker, when it was last seen serving the plan's topics and what it held then.
    pub last_held: BTreeMap<(Side, String), (Millis, BTreeMap<String, u64>)>,
}

impl Wizard {
    pub fn new(plan: Plan, records: &[Record]) -> Result<Wizard, String> {
        let progress = Progress::replay(&plan, records)?;
        // Settle windows go on from where the journal left them.
        let watches = progress.quiet.clone();
        Ok(Wizard {
            plan,
            progress,
            source: None,
            target: None,
            watches,
            last_held: BTreeMap::new(),
        })
    }

    /// Applies a record that has been written to the journal.
    pub fn apply(&mut self, record: &Record) -> Result<(), String> {
        self.progress.apply(&self.plan, record)
    }

    /// The last snapshot taken in of `side`.
    fn snapshot(&self, side: Side) -> Option<&Snapshot> {
        match side {
            Side::Source => self.source.as_ref(),
            Side::Target => self.target.as_ref(),
        }
    }

    fn seen(&self) -> Seen<'_> {
        Seen {
            source: self.source.as_ref(),
            target: self.target.as_ref(),
            watches: &self.watches,
        }
    }

    /// The next step the wizard waits on, in order: preflight, metadata, batches, finish.
    pub fn pending_steps(&self) -> Vec<Step> {
        if self.progress.preflight.is_none() {
            return vec![Step::Preflight];
        }
        if self.progress.metadata.is_none() {
            return vec![Step::Metadata];
        }
        let open: Vec<Step> = self
            .plan
            .batches
            .iter()
            .filter(|b| self.progress.stage(&b.name) != Stage::Done)
            .map(|b| Step::Batch(b.name.clone()))
            .collect();
        if !open.is_empty() {
            open
        } else if self.progress.finished.is_none() {
            vec![Step::Finish]
        } else {
            vec![]
        }
    }

    /// The move that takes a step forward; `None` when the step is complete.
    pub fn forward_move(&self, step: &Step) -> Option<Move> {
        let p = &self.progress;
        match step {
            Step::Preflight => p.preflight.is_none().then_some(Move::CompletePreflight),
            Step::Metadata => p.metadata.is_none().then_some(Move::ConfirmMetadata),
            Step::Finish => p.finished.is_none().then_some(Move::Finish),
            Step::Batch(name) => Move::forward(p.stage(name)),
        }
    }

    fn verdict(&self, step: &Step, m: Move, now: Millis) -> Option<Verdict> {
        let subject = match step {
            Step::Batch(name) => Subject::Batch(self.plan.batch(name)?),
            _ => Subject::Wizard,
        };
        let mut v = gate::evaluate(
            &self.plan,
            subject,
            m,
            self.seen(),
            self.progress.reached(),
            now,
        );
        self.mark_acks(step, &mut v);
        Some(v)
    }

    /// What preflight checks now, whether or not it is done: `check` shows it.
    pub fn preflight_verdict(&self, now: Millis) -> Option<Verdict> {
        self.verdict(&Step::Preflight, Move::CompletePreflight, now)
    }

    /// The verdict of the step's next forward move; `None` when there is none (done).
    pub fn forward_verdict(&self, step: &Step, now: Millis) -> Option<(Move, Verdict)> {
        let m = self.forward_move(step)?;
        Some((m, self.verdict(step, m, now)?))
    }

    pub fn rollback_verdict(&self, batch: &str, now: Millis) -> Option<(Move, Verdict)> {
        let m = Move::back(self.progress.stage(batch))?;
        let step = Step::Batch(batch.to_string());
        Some((m, self.verdict(&step, m, now)?))
    }

    fn mark_acks(&self, step: &Step, v: &mut Verdict) {
        for w in &mut v.warnings {
            w.acknowledged = self.progress.acks.contains(&(step.key(), w.id()));
        }
    }

    pub fn handle(&mut self, command: Command, now: Millis) -> Decision {
        match command {
            Command::Observe(snap) => self.observe(*snap, now),
            Command::Advance {
                step,
                confirmation,
                acks,
            } => self.advance(step, confirmation, acks, now),
            Command::Rollback {
                batch,
                confirmation,
            } => self.rollback(batch, confirmation, now),
            Command::RetireBroker {
                side,
                broker,
                confirmation,
            } => self.retire_broker(side, broker, confirmation),
            Command::Fail { context, message } => Decision {
                entries: vec![Entry::Error { context, message }],
                outcome: Outcome::Observed,
            },
        }
    }

    /// The clusters whose settle window a move of this batch waits for now: the rules say (the
    /// gates of its next and previous move; once it is done, finish, whose side is given).
    fn windows_waited_on(&self, batch: &Batch, finish: Option<Side>, now: Millis) -> Vec<Side> {
        let stage = self.progress.stage(&batch.name);
        let step = Step::Batch(batch.name.clone());
        let mut sides: Vec<Side> = [Move::forward(stage), Move::back(stage)]
            .into_iter()
            .flatten()
            .filter_map(|m| self.verdict(&step, m, now)?.settle.map(|s| s.side))
            .collect();
        if stage == Stage::Done {
            sides.extend(finish);
        }
        sides
    }

    /// Takes in a snapshot, moves the settle watches, and records verdicts that changed.
    fn observe(&mut self, mut snap: Snapshot, now: Millis) -> Decision {
        let side = snap.side;
        let earlier = self.snapshot(side).and_then(|e| e.pending.known());
        let started = snap.started_at;
        if let Known::Known(p) = &mut snap.pending {
            p.date(started, earlier);
        }
        match side {
            Side::Source => self.source = Some(snap),
            Side::Target => self.target = Some(snap),
        }
        // Finish reads every batch: evaluated once, not once per batch.
        let finish = self
            .forward_verdict(&Step::Finish, now)
            .and_then(|(_, v)| v.settle.map(|s| s.side));
        let waited_on: Vec<bool> = (self.plan.batches.iter())
            .map(|b| self.windows_waited_on(b, finish, now).contains(&side))
            .collect();
        // Field borrows, not `self.snapshot`: the watches change below.
        let snap = match side {
            Side::Source => self.source.as_ref(),
            Side::Target => self.target.as_ref(),
        };
        let mut entries = vec![];
        for (batch, waited_on) in self.plan.batches.iter().zip(waited_on) {
            let Some(snap) = snap else { break };
            let key = (batch.name.clone(), side);
            let by_topics = self.seen().judged_by_topics(batch, side);
            let next = gate::settle::observe(
                self.watches.get(&key),
                batch,
                snap,
                &self.plan.gates,
                &by_topics,
            );
            // The windows a move waits for are journaled as soon as they open, so that any
            // command, or the wizard after a restart, judges them from their start; the others
            // live in memory only (a topic that keeps moving must not flood the journal).
            let journaled = self
                .progress
                .quiet
                .get(&key)
                .map(|j| (j.since, &j.baseline));
            let entry = match &next {
                n if n.as_ref().map(|w| (w.since, &w.baseline)) == journaled => None,
                Some(w) if waited_on => Some(Entry::QuietSince {
                    batch: batch.name.clone(),
                    side,
                    since: w.since,
                    baseline: w.baseline.clone(),
                }),
                _ => journaled.map(|_| Entry::QuietEnded {
                    batch: batch.name.clone(),
                    side,
                }),
            };
            entries.extend(entry);
            match next {
                Some(w) => self.watches.insert(key, w),
                None => self.watches.remove(&key),
            };
        }
        entries.extend(self.track_brokers(side));
        for step in self.pending_steps() {
            let Some((_, v)) = self.forward_verdict(&step, now) else {
                continue;
            };
            let (status, failing) = v.fingerprint();
            let key = format!("{}|{}", v.step, v.action);
            if self.progress.last_verdicts.get(&key) != Some(&(status, failing.clone())) {
                entries.push(Entry::VerdictChanged {
                    step: v.step.clone(),
                    action: v.action.clone(),
                    status,
                    failing,
                    verdict: v,
                });
            }
        }
        Decision {
            entries,
            outcome: Outcome::Observed,
        }
    }

    /// Brokers serving the plan's topics on `side`: a new one (or one back) is remembered; a
    /// remembered one missing from routes that were read is recorded as gone, with what it
    /// held when last seen. A route that could not be read says nothing either way.
    fn track_brokers(&mut self, side: Side) -> Vec<Entry> {
        let snap = match side {
            Side::Source => self.source.as_ref(),
            Side::Target => self.target.as_ref(),
        };
        let Some(snap) = snap.filter(|s| s.unreachable.is_none()) else {
            return vec![];
        };
        let mut serving: BTreeMap<&String, BTreeSet<String>> = BTreeMap::new();
        for (topic, brokers) in &snap.routes {
            for b in brokers.known().into_iter().flatten() {
                serving.entry(b).or_default().insert(topic.clone());
            }
        }
        let groups: Vec<&str> = self
            .plan
            .batches
            .iter()
            .flat_map(|b| b.group_names())
            .collect();
        let mut entries = vec![];
        for (broker, topics) in &serving {
            let key = (side, (*broker).clone());
            self.last_held.insert(
                key.clone(),
                (
                    snap.started_at,
                    snap.held_on(broker, groups.iter().copied()),
                ),
            );
            let known =
                self.progress.brokers.get(&key).is_some_and(|r| {
                    r.state == BrokerState::Serving && topics.is_subset(&r.topics)
                });
            if !known {
                entries.push(Entry::BrokerSeen {
                    side,
                    broker: (*broker).clone(),
                    topics: topics.clone(),
                });
            }
        }
        for ((s, broker), record) in &self.progress.brokers {
            let routes_read = record
                .topics
                .iter()
                .all(|t| matches!(snap.routes.get(t), Some(Known::Known(_))));
            if *s == side
                && record.state == BrokerState::Serving
                && routes_read
                && !serving.contains_key(broker)
            {
                let last = self.last_held.get(&(side, broker.clone()));
                entries.push(Entry::BrokerLeft {
                    side,
                    broker: broker.clone(),
                    holding: last.map(|(_, h)| h.clone()),
                    last_seen: last.map(|(at, _)| *at),
                });
            }
        }
        entries
    }

    fn retire_broker(
        &mut self,
        side: Side,
        broker: String,
        confirmation: Confirmation,
    ) -> Decision {
        let remembered: Vec<String> = (self.progress.brokers.keys())
            .filter(|(s, _)| *s == side)
            .map(|(_, b)| b.clone())
            .collect();
        let Some(record) = self.progress.brokers.get(&(side, broker.clone())) else {
            return Decision::only(Outcome::NoSuch(format!(
                "no broker \"{broker}\" is remembered on the {side} cluster (remembered: {})",
                if remembered.is_empty() {
                    "none".into()
                } else {
                    remembered.join(", ")
                }
            )));
        };
        let step = Step::Finish;
        let action = format!("retire broker {broker}");
        if record.state == BrokerState::Serving {
            return Decision::only(Outcome::Nothing(format!(
                "broker {broker} still serves the plan's topics on the {side} cluster: only a broker that left can be retired"
            )));
        }
        if !Self::confirmed(&confirmation, &Some(broker.clone())) {
            return Decision::only(Outcome::NeedsConfirmation {
                step,
                action,
                type_name: Some(broker),
                verdict: Verdict {
                    step: "brokers".into(),
                    action: "retire broker".into(),
                    evaluated_at: record.since,
                    checks: vec![],
                    warnings: vec![],
                    settle: None,
                },
            });
        }
        let said = format!(
            "broker {broker} on the {side} cluster is retired: the gates no longer wait for it"
        );
        Decision::only(Outcome::Recorded(said)).with(Entry::BrokerRetired {
            side,
            broker,
            confirmation: confirmation.describe(),
        })
    }

    /// A move the wizard cannot take back is confirmed by typing the batch name.
    fn confirmation_needed(m: Move, step: &Step) -> Option<String> {
        match step {
            Step::Batch(name) if !m.rule().undoable => Some(name.clone()),
            _ => None,
        }
    }

    fn confirmed(c: &Confirmation, type_name: &Option<String>) -> bool {
        match (c, type_name) {
            (Confirmation::None, _) => false,
            (Confirmation::Yes, _) => true,
            (Confirmation::Typed(t), Some(name)) => t.trim() == name,
            (Confirmation::Typed(_), None) => true,
        }
    }

    fn advance(
        &mut self,
        step: Step,
        confirmation: Confirmation,
        acks: Vec<String>,
        now: Millis,
    ) -> Decision {
        if let Step::Batch(name) = &step
            && self.plan.batch(name).is_none()
        {
            let names: Vec<&str> = self.plan.batches.iter().map(|b| b.name.as_str()).collect();
            return Decision::only(Outcome::Nothing(format!(
                "the plan has no batch \"{name}\": its batches are {}; the other steps are preflight, metadata and finish",
                names.join(", ")
            )));
        }
        let Some((made, mut verdict)) = self.forward_verdict(&step, now) else {
            return Decision::only(Outcome::Nothing(format!("{step} is already complete")));
        };
        let action = verdict.action.clone();
        // Acknowledge the warnings named now; unknown ids are refused, not silently ignored.
        let mut entries = vec![];
        for id in &acks {
            let kind = WarningKind::parse(id);
            match verdict
                .warnings
                .iter_mut()
                .find(|w| Some(&w.kind) == kind.as_ref())
            {
                Some(w) if !w.acknowledged => {
                    w.acknowledged = true;
                    entries.push(Entry::Acknowledged {
                        step: step.key(),
                        warning: w.id(),
                        text: w.text.clone(),
                    });
                }
                Some(_) => {}
                None => {
                    let known: Vec<String> = verdict.warnings.iter().map(|w| w.id()).collect();
                    return Decision::only(Outcome::Refused {
                        step,
                        action,
                        reasons: vec![format!(
                            "there is no warning \"{id}\" to acknowledge for this step (current warnings: {})",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        )],
                        verdict: Some(verdict),
                    });
                }
            }
        }
        if !verdict.opens() {
            let reasons = verdict.reasons();
            entries.push(Entry::Refused {
                step: step.key(),
                action: action.clone(),
                reasons: reasons.clone(),
            });
            return Decision {
                entries,
                outcome: Outcome::Refused {
                    step,
                    action,
                    reasons,
                    verdict: Some(verdict),
                },
            };
        }
        let type_name = Self::confirmation_needed(made, &step);
        if !Self::confirmed(&confirmation, &type_name) {
            return Decision {
                entries,
                outcome: Outcome::NeedsConfirmation {
                    step,
                    action,
                    type_name,
                    verdict,
                },
            };
        }
        let confirmation = confirmation.describe();
        entries.push(match (&step, made.stages()) {
            (Step::Batch(b), Some((from, to))) => Entry::StageChanged {
                batch: b.clone(),
                from,
                to,
                action,
                confirmation,
                verdict,
            },
            _ => Entry::StepCompleted {
                step: step.key(),
                confirmation,
                verdict,
            },
        });
        Decision {
            entries,
            outcome: Outcome::Moved { step, made },
        }
    }

    fn rollback(&mut self, batch: String, confirmation: Confirmation, now: Millis) -> Decision {
        let step = Step::Batch(batch.clone());
        let Some((made, verdict)) = self.rollback_verdict(&batch, now) else {
            let why = if self.plan.batch(&batch).is_none() {
                format!("the plan has no batch \"{batch}\"")
            } else {
                format!("batch '{batch}' has not started: nothing to roll back")
            };
            return Decision::only(Outcome::Nothing(why));
        };
        let action = made.name().to_string();
        if !verdict.opens() {
            let reasons = verdict.reasons();
            return Decision {
                entries: vec![Entry::Refused {
                    step: step.key(),
                    action: action.clone(),
                    reasons: reasons.clone(),
                }],
                outcome: Outcome::Refused {
                    step,
                    action,
                    reasons,
                    verdict: Some(verdict),
                },
            };
        }
        if !Self::confirmed(&confirmation, &None) {
            return Decision::only(Outcome::NeedsConfirmation {
                step,
                action,
                type_name: None,
                verdict,
            });
        }
        let Some((from, to)) = made.stages() else {
            return Decision::only(Outcome::Nothing(format!(
                "{step} has no stage to go back to"
            )));
        };
        Decision {
            entries: vec![Entry::StageChanged {
                batch: batch.clone(),
                from,
                to,
                action,
                confirmation: confirmation.describe(),
                verdict,
            }],
            outcome: Outcome::Moved { step, made },
        }
    }
}
