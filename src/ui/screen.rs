//! The screen model: everything the wizard shows that takes deciding (the freshness of each
//! cluster, the gate of the selected step, what to do now), computed once per event from the
//! app's state. Drawing only reads it.

use crate::clock::{self, Millis};
use crate::model::{Freshness, Status, Verdict};
use crate::plan::Side;
use crate::runbook::{self, Now, Reader};
use crate::stage::Step;
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
    /// What the operator does now in the applications, and what the wizard waits to observe.
    pub now: Now,
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
        Screen {
            at: now,
            source: cluster_line(wizard, Side::Source, now),
            target: cluster_line(wizard, Side::Target, now),
            now: runbook::now(
                wizard,
                selected,
                verdict.as_ref(),
                if watching {
                    Reader::Watcher
                } else {
                    Reader::Driver
                },
            ),
            verdict,
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
