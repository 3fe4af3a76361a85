//! The screen model: everything the wizard shows that takes deciding (the freshness of each
//! cluster, the gate of the selected step, what to do now), computed once per event from the
//! app's state. Drawing only reads it.

use crate::clock::{self, Millis};
use crate::gate::Move;
use crate::model::{Freshness, Status, Verdict};
use crate::plan::Side;
use crate::stage::{Stage, Step};
use crate::wizard::Wizard;

#[derive(Debug, Clone)]
pub struct Screen {
    /// The clock the model was computed at: ages on screen count to here.
    pub at: Millis,
    /// Per side: "FRESH 2s", "STALE 45s", "UNREACHABLE 3s", "PARTIAL 1s" or "NO DATA".
    pub source: ClusterLine,
    pub target: ClusterLine,
    /// The gate of the selected step's next move; `None` when the step is complete.
    pub verdict: Option<Verdict>,
    /// What the operator does now, in one sentence.
    pub instruction: String,
    /// What the wizard waits for before the step can be taken.
    pub waiting: String,
}

#[derive(Debug, Clone)]
pub struct ClusterLine {
    pub word: String,
    pub status: Status,
}

impl Screen {
    /// `watching`: another process drives, so the gate is the driver's to take.
    pub fn build(wizard: &Wizard, selected: &Step, now: Millis, watching: bool) -> Screen {
        let verdict = wizard.forward_verdict(selected, now).map(|(_, v)| v);
        let waiting = match &verdict {
            None => "nothing: this step is complete".to_string(),
            Some(v) if v.opens() && watching => format!("gate open: the driver can {}", v.action),
            Some(v) if v.opens() => format!("gate open: press Enter to {}", v.action),
            Some(v) => v
                .failing()
                .next()
                .map(|c| c.summary.clone())
                .or_else(|| {
                    v.unacknowledged()
                        .next()
                        .map(|w| format!("acknowledgement of: {}", w.text))
                })
                .unwrap_or_default(),
        };
        Screen {
            at: now,
            source: cluster_line(wizard, Side::Source, now),
            target: cluster_line(wizard, Side::Target, now),
            instruction: instruction(wizard, selected, watching),
            verdict,
            waiting,
        }
    }

    pub fn cluster(&self, side: Side) -> &ClusterLine {
        match side {
            Side::Source => &self.source,
            Side::Target => &self.target,
        }
    }
}

fn cluster_line(wizard: &Wizard, side: Side, now: Millis) -> ClusterLine {
    let snap = match side {
        Side::Source => wizard.source.as_ref(),
        Side::Target => wizard.target.as_ref(),
    };
    let f = Freshness::of(snap, now, clock::ms(wizard.plan.gates.stale_after));
    let word = match f.age_ms() {
        Some(age) => format!("{} {}", f.word().to_uppercase(), clock::age(age)),
        None => f.word().to_uppercase(),
    };
    ClusterLine {
        word,
        status: f.status(),
    }
}

/// One sentence: what the operator must do now for the selected step (watching: what the
/// driver does next).
fn instruction(wizard: &Wizard, step: &Step, watching: bool) -> String {
    let p = &wizard.progress;
    let then = if watching {
        "Then the driver advances."
    } else {
        "Then press Enter."
    };
    match step {
        Step::Preflight if p.preflight.is_some() => "Preflight is complete.".into(),
        Step::Preflight if watching => "The driver checks that both clusters answer with fresh data, then completes preflight.".into(),
        Step::Preflight => "Check that both clusters answer with fresh data, then press Enter to complete preflight.".into(),
        Step::Metadata if p.metadata.is_some() => "Metadata is complete.".into(),
        Step::Metadata if watching => "The driver creates the plan's topics and groups on the target, then confirms metadata.".into(),
        Step::Metadata => "Create the plan's topics and groups on the target (press s), then press Enter to confirm metadata.".into(),
        Step::Finish if p.finished.is_some() => "The migration is finished.".into(),
        Step::Finish if watching => "When every batch is done, the driver finishes the migration.".into(),
        Step::Finish => "When every batch is done, press Enter to finish the migration.".into(),
        Step::Batch(b) => match p.stage(b) {
            Stage::NotStarted if watching => format!("Next, the driver releases the first consumers of batch '{b}'."),
            Stage::NotStarted => format!("Press Enter to release the first consumers of batch '{b}'."),
            Stage::Done => format!("Batch '{b}' is complete."),
            // What the move that brought the batch here asked for, until the next one.
            s => match s.prev().and_then(Move::forward) {
                Some(made) => format!("{} {then}", made.instruction(b)),
                None => format!("Batch '{b}' is at {s}."),
            },
        },
    }
}
