//! The wizard's state machine: `handle(command) -> decision`, no I/O. A decision lists the journal
//! entries to write; the shell writes them (fsynced) and only then applies them, so the state on
//! screen never runs ahead of the journal, and a replay after a crash lands in the same place.

mod progress;

pub use progress::{Created, Progress, StageChange, Timeline};

use crate::clock::Millis;
use crate::gate::{self, Seen, Watches};
use crate::journal::{Entry, Record};
use crate::model::{Check, Snapshot, Status, Verdict};
use crate::plan::{Plan, Side};
use crate::stage::{Stage, Step, Transition};

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
    Observe(Snapshot),
    Advance {
        step: Step,
        confirmation: Confirmation,
        acks: Vec<String>,
    },
    Rollback {
        batch: String,
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
    Moved {
        step: Step,
        transition: Option<Transition>,
        instruction: String,
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
}

#[derive(Debug, Clone)]
pub struct Wizard {
    pub plan: Plan,
    pub progress: Progress,
    pub source: Option<Snapshot>,
    pub target: Option<Snapshot>,
    pub watches: Watches,
}

impl Wizard {
    pub fn new(plan: Plan, records: &[Record]) -> Result<Wizard, String> {
        let progress = Progress::replay(&plan, records)?;
        Ok(Wizard {
            plan,
            progress,
            source: None,
            target: None,
            watches: Watches::new(),
        })
    }

    /// Applies a record that has been written to the journal.
    pub fn apply(&mut self, record: &Record) -> Result<(), String> {
        self.progress.apply(&self.plan, record)
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

    fn blocked(id: &str, summary: String) -> Check {
        Check {
            id: id.to_string(),
            status: Status::Blocked,
            summary,
            evidence: vec![],
        }
    }

    /// The verdict of the step's next forward move; `None` when there is none (done).
    pub fn forward_verdict(
        &self,
        step: &Step,
        now: Millis,
    ) -> Option<(Option<Transition>, Verdict)> {
        let seen = self.seen();
        let (transition, mut v) = match step {
            Step::Preflight => (None, gate::preflight_gate(&self.plan, seen, now)),
            Step::Metadata => {
                let mut v = gate::metadata_gate(&self.plan, seen, now);
                if self.progress.preflight.is_none() {
                    v.checks.insert(
                        0,
                        Self::blocked(
                            "preflight-done",
                            "preflight is not complete: advance preflight first".into(),
                        ),
                    );
                }
                (None, v)
            }
            Step::Finish => {
                let v = gate::finish_gate(&self.plan, &|b| self.progress.stage(b), seen, now);
                (None, v)
            }
            Step::Batch(name) => {
                let batch = self.plan.batch(name)?;
                let t = Transition::forward(self.progress.stage(name))?;
                let mut v = gate::batch_gate(&self.plan, batch, t, seen, now);
                if t.from == Stage::NotStarted {
                    if self.progress.metadata.is_none() {
                        v.checks.insert(
                            0,
                            Self::blocked(
                                "metadata-done",
                                "the metadata step is not complete: advance metadata first".into(),
                            ),
                        );
                    }
                    if self.progress.preflight.is_none() {
                        v.checks.insert(
                            0,
                            Self::blocked(
                                "preflight-done",
                                "preflight is not complete: advance preflight first".into(),
                            ),
                        );
                    }
                }
                (Some(t), v)
            }
        };
        self.mark_acks(step, &mut v);
        Some((transition, v))
    }

    pub fn rollback_verdict(&self, batch: &str, now: Millis) -> Option<(Transition, Verdict)> {
        let b = self.plan.batch(batch)?;
        let t = Transition::back(self.progress.stage(batch))?;
        Some((t, gate::batch_gate(&self.plan, b, t, self.seen(), now)))
    }

    fn mark_acks(&self, step: &Step, v: &mut Verdict) {
        for w in &mut v.warnings {
            w.acknowledged = self.progress.acks.contains(&(step.key(), w.id.clone()));
        }
    }

    pub fn handle(&mut self, command: Command, now: Millis) -> Decision {
        match command {
            Command::Observe(snap) => self.observe(snap, now),
            Command::Advance {
                step,
                confirmation,
                acks,
            } => self.advance(step, confirmation, acks, now),
            Command::Rollback {
                batch,
                confirmation,
            } => self.rollback(batch, confirmation, now),
            Command::Fail { context, message } => Decision {
                entries: vec![Entry::Error { context, message }],
                outcome: Outcome::Observed,
            },
        }
    }

    /// Takes in a snapshot, moves the settle watches, and records verdicts that changed.
    fn observe(&mut self, snap: Snapshot, now: Millis) -> Decision {
        for batch in &self.plan.batches {
            let key = (batch.name.clone(), snap.side);
            match gate::settle::observe(self.watches.get(&key), batch, &snap, &self.plan.gates) {
                Some(w) => self.watches.insert(key, w),
                None => self.watches.remove(&key),
            };
        }
        match snap.side {
            Side::Source => self.source = Some(snap),
            Side::Target => self.target = Some(snap),
        }
        let mut entries = vec![];
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

    fn confirmation_needed(t: Option<Transition>, step: &Step) -> Option<String> {
        match (t, step) {
            (Some(t), Step::Batch(name)) if t.is_irreversible() => Some(name.clone()),
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
        let done = match &step {
            Step::Preflight => self.progress.preflight.is_some(),
            Step::Metadata => self.progress.metadata.is_some(),
            Step::Finish => self.progress.finished.is_some(),
            Step::Batch(b) => self.progress.stage(b) == Stage::Done,
        };
        if done {
            return Decision::only(Outcome::Nothing(format!("{step} is already complete")));
        }
        let Some((transition, mut verdict)) = self.forward_verdict(&step, now) else {
            return Decision::only(Outcome::Nothing(format!("{step} has no next move")));
        };
        let action = verdict.action.clone();
        // Acknowledge the warnings named now; unknown ids are refused, not silently ignored.
        let mut entries = vec![];
        for id in &acks {
            match verdict.warnings.iter_mut().find(|w| &w.id == id) {
                Some(w) if !w.acknowledged => {
                    w.acknowledged = true;
                    entries.push(Entry::Acknowledged {
                        step: step.key(),
                        warning: w.id.clone(),
                        text: w.text.clone(),
                    });
                }
                Some(_) => {}
                None => {
                    let known: Vec<&str> = verdict.warnings.iter().map(|w| w.id.as_str()).collect();
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
        let type_name = Self::confirmation_needed(transition, &step);
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
        let how = confirmation.describe();
        let instruction = match (&step, transition) {
            (Step::Batch(b), Some(t)) => {
                entries.push(Entry::StageChanged {
                    batch: b.clone(),
                    from: t.from,
                    to: t.to,
                    action: action.clone(),
                    confirmation: how,
                    verdict,
                });
                t.instruction(b)
            }
            (Step::Preflight, _) => {
                entries.push(Entry::StepCompleted {
                    step: "preflight".into(),
                    confirmation: how,
                    verdict,
                });
                "Preflight complete: both clusters answer. Next: the metadata step (every topic and group on the target).".into()
            }
            (Step::Metadata, _) => {
                entries.push(Entry::StepCompleted {
                    step: "metadata".into(),
                    confirmation: how,
                    verdict,
                });
                "Metadata complete. Next: release the first consumers of a batch.".into()
            }
            (Step::Finish, _) => {
                entries.push(Entry::StepCompleted {
                    step: "finish".into(),
                    confirmation: how,
                    verdict,
                });
                "Migration finished: nothing of the plan is connected to the source any more."
                    .into()
            }
            (Step::Batch(_), None) => String::new(),
        };
        Decision {
            entries,
            outcome: Outcome::Moved {
                step,
                transition,
                instruction,
            },
        }
    }

    fn rollback(&mut self, batch: String, confirmation: Confirmation, now: Millis) -> Decision {
        let step = Step::Batch(batch.clone());
        let Some((t, verdict)) = self.rollback_verdict(&batch, now) else {
            let why = if self.plan.batch(&batch).is_none() {
                format!("the plan has no batch \"{batch}\"")
            } else {
                format!("batch '{batch}' has not started: nothing to roll back")
            };
            return Decision::only(Outcome::Nothing(why));
        };
        let action = t.action().to_string();
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
        Decision {
            entries: vec![Entry::StageChanged {
                batch: batch.clone(),
                from: t.from,
                to: t.to,
                action,
                confirmation: confirmation.describe(),
                verdict,
            }],
            outcome: Outcome::Moved {
                step,
                transition: Some(t),
                instruction: t.instruction(&batch),
            },
        }
    }
}
