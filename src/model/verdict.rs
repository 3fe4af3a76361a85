//! A gate's verdict: pass or blocked, and always the evidence it was drawn from.

use crate::clock::{self, Millis};
use crate::plan::Side;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    /// The data needed is missing, stale, partial or unreachable: treated as blocked.
    Unknown,
    Blocked,
}

impl Status {
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Pass => "[ok]",
            Status::Unknown => "[??]",
            Status::Blocked => "[no]",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Unknown => "unknown",
            Status::Blocked => "blocked",
        }
    }
}

/// One number (or fact) a check used, with where it came from and how old it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub side: Side,
    pub cluster: String,
    /// The group, topic or cluster the value is about.
    pub subject: String,
    /// What was measured, e.g. "backlog", "consumers online", "max offset".
    pub metric: String,
    /// The value as read; `None` when unknown.
    pub value: Option<i64>,
    /// Why the value is unknown, or a textual value.
    pub note: Option<String>,
    /// Age of the snapshot at evaluation time.
    pub age_ms: Millis,
}

impl Evidence {
    pub fn render(&self) -> String {
        let value = match (self.value, &self.note) {
            (Some(v), Some(n)) => format!("{v} ({n})"),
            (Some(v), None) => v.to_string(),
            (None, Some(n)) => format!("unknown: {n}"),
            (None, None) => "unknown".into(),
        };
        format!(
            "{} {} = {} on {} '{}', {} old",
            self.subject,
            self.metric,
            value,
            self.side,
            self.cluster,
            clock::age(self.age_ms)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Stable id, e.g. `target-consumers:GID_ORDER`, used in the journal and by tests.
    pub id: String,
    pub status: Status,
    /// One sentence for the operator: what holds, or what is missing.
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// A soft warning: does not block once the operator has acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable id, e.g. `ordered-topic:ORDER_PAID`: what the operator acknowledges.
    pub id: String,
    pub text: String,
    pub acknowledged: bool,
}

/// How far a settle window has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settle {
    pub side: Side,
    /// Since when the condition has held, if it holds now.
    pub since: Option<Millis>,
    pub held_ms: Millis,
    pub needed_ms: Millis,
}

impl Settle {
    pub fn remaining_ms(&self) -> Millis {
        self.needed_ms.saturating_sub(self.held_ms)
    }

    /// "settle window on source: 12s of 1m00s, 48s to go".
    pub fn describe(&self) -> String {
        format!(
            "settle window on {}: {} of {}, {} to go",
            self.side,
            clock::age(self.held_ms),
            clock::age(self.needed_ms),
            clock::age(self.remaining_ms())
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// What the verdict is about: "batch:orders", "preflight", ...
    pub step: String,
    /// The action, in the operator's words.
    pub action: String,
    pub evaluated_at: Millis,
    pub checks: Vec<Check>,
    pub warnings: Vec<Warning>,
    pub settle: Option<Settle>,
}

impl Verdict {
    /// Blocked beats unknown beats pass: any check not passing keeps the gate closed.
    pub fn status(&self) -> Status {
        self.checks
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Unknown)
    }

    /// Hard checks pass and every warning is acknowledged.
    pub fn opens(&self) -> bool {
        self.status() == Status::Pass && self.warnings.iter().all(|w| w.acknowledged)
    }

    pub fn failing(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status != Status::Pass)
    }

    pub fn unacknowledged(&self) -> impl Iterator<Item = &Warning> {
        self.warnings.iter().filter(|w| !w.acknowledged)
    }

    /// Sentences saying why the gate is closed, each with its evidence.
    pub fn reasons(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .failing()
            .map(|c| {
                let ev: Vec<String> = c.evidence.iter().map(Evidence::render).collect();
                if ev.is_empty() {
                    format!("{} {}", c.status.symbol(), c.summary)
                } else {
                    format!("{} {} ({})", c.status.symbol(), c.summary, ev.join("; "))
                }
            })
            .collect();
        out.extend(self.unacknowledged().map(|w| {
            format!(
                "[!!] warning not acknowledged: {} (acknowledge with --ack {})",
                w.text, w.id
            )
        }));
        out
    }

    /// What identifies a verdict for change detection: the status and which checks fail.
    pub fn fingerprint(&self) -> (Status, Vec<String>) {
        let mut ids: Vec<String> = self.failing().map(|c| c.id.clone()).collect();
        ids.extend(self.unacknowledged().map(|w| format!("warning:{}", w.id)));
        (self.status(), ids)
    }
}
