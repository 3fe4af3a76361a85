//! A gate's verdict: pass or blocked, and always the evidence it was drawn from.

use super::{CheckKind, Evidence, WarningKind};
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

/// One condition of a gate, its outcome and the evidence it was drawn from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "CheckForm", try_from = "CheckForm")]
pub struct Check {
    pub kind: CheckKind,
    pub status: Status,
    /// One sentence for the operator: what holds, or what is missing.
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

impl Check {
    /// The stable id (`target-consumers:GID_ORDER`), derived from the kind.
    pub fn id(&self) -> String {
        self.kind.id()
    }
}

/// The written form: schema 1's string `id`, and the typed `kind` beside it.
#[derive(Serialize, Deserialize)]
struct CheckForm {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<CheckKind>,
    status: Status,
    summary: String,
    evidence: Vec<Evidence>,
}

impl From<Check> for CheckForm {
    fn from(c: Check) -> CheckForm {
        CheckForm {
            id: c.kind.id(),
            kind: Some(c.kind),
            status: c.status,
            summary: c.summary,
            evidence: c.evidence,
        }
    }
}

impl TryFrom<CheckForm> for Check {
    type Error = String;
    fn try_from(f: CheckForm) -> Result<Check, String> {
        let kind = match f.kind {
            Some(k) => k,
            None => CheckKind::parse(&f.id).ok_or_else(|| format!("unknown check \"{}\"", f.id))?,
        };
        Ok(Check {
            kind,
            status: f.status,
            summary: f.summary,
            evidence: f.evidence,
        })
    }
}

/// A soft warning: does not block once the operator has acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "WarningForm", try_from = "WarningForm")]
pub struct Warning {
    pub kind: WarningKind,
    pub text: String,
    pub acknowledged: bool,
}

impl Warning {
    /// What the operator acknowledges: `ordered-topic:ORDER_PAID`.
    pub fn id(&self) -> String {
        self.kind.id()
    }
}

#[derive(Serialize, Deserialize)]
struct WarningForm {
    id: String,
    text: String,
    acknowledged: bool,
}

impl From<Warning> for WarningForm {
    fn from(w: Warning) -> WarningForm {
        WarningForm {
            id: w.kind.id(),
            text: w.text,
            acknowledged: w.acknowledged,
        }
    }
}

impl TryFrom<WarningForm> for Warning {
    type Error = String;
    fn try_from(f: WarningForm) -> Result<Warning, String> {
        Ok(Warning {
            kind: WarningKind::parse(&f.id)
                .ok_or_else(|| format!("unknown warning \"{}\"", f.id))?,
            text: f.text,
            acknowledged: f.acknowledged,
        })
    }
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
                let ev: Vec<String> = c.evidence.iter().map(Evidence::to_string).collect();
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
                w.text,
                w.id()
            )
        }));
        out
    }

    /// Only a running settle window stands in the way: worth waiting for.
    pub fn only_settling(&self) -> bool {
        let mut failing = self.failing().peekable();
        failing.peek().is_some()
            && failing.all(|c| matches!(c.kind, CheckKind::Settled { .. }))
            && self.unacknowledged().next().is_none()
            && self.settle.is_some_and(|s| s.since.is_some())
    }

    /// What identifies a verdict for change detection: the status and which checks fail.
    pub fn fingerprint(&self) -> (Status, Vec<String>) {
        let mut ids: Vec<String> = self.failing().map(Check::id).collect();
        ids.extend(self.unacknowledged().map(|w| format!("warning:{}", w.id())));
        (self.status(), ids)
    }
}
