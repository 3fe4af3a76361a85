//! The stage vocabulary: per batch, the five `MigrationStatus` values of the seamless-migration
//! scheme plus `Done`; around the batches, the wizard-level steps.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where one batch's clients are. Read `S_<source>_D_<destination>`: RW read+write, R read, NA none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stage {
    #[serde(rename = "S_RW_D_NA")]
    NotStarted,
    #[serde(rename = "S_RW_D_R")]
    DoubleRead,
    #[serde(rename = "S_RW_D_RW")]
    DoubleWrite,
    #[serde(rename = "S_R_D_RW")]
    Draining,
    #[serde(rename = "S_NA_D_RW")]
    TargetOnly,
    /// Verified: nothing of the batch is connected to the source any more.
    #[serde(rename = "DONE")]
    Done,
}

pub const STAGES: [Stage; 6] = [
    Stage::NotStarted,
    Stage::DoubleRead,
    Stage::DoubleWrite,
    Stage::Draining,
    Stage::TargetOnly,
    Stage::Done,
];

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::NotStarted => "S_RW_D_NA",
            Stage::DoubleRead => "S_RW_D_R",
            Stage::DoubleWrite => "S_RW_D_RW",
            Stage::Draining => "S_R_D_RW",
            Stage::TargetOnly => "S_NA_D_RW",
            Stage::Done => "DONE",
        }
    }

    /// The stage a vendor migration task (TDMQ trocket) holds for the batch's topics: the same
    /// codes, its last stage standing for "done" too.
    pub fn task_code(self) -> &'static str {
        match self {
            Stage::Done => Stage::TargetOnly.code(),
            s => s.code(),
        }
    }

    /// What the stage means, in the operator's words.
    pub fn meaning(self) -> &'static str {
        match self {
            Stage::NotStarted => "not started: everything on the source",
            Stage::DoubleRead => "double read: first consumers on the target",
            Stage::DoubleWrite => "double write: producers moving to the target",
            Stage::Draining => "draining: all producers on the target, source being drained",
            Stage::TargetOnly => "target only: all consumers on the target",
            Stage::Done => "done: nothing of the batch left on the source",
        }
    }

    fn index(self) -> usize {
        STAGES.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn next(self) -> Option<Stage> {
        STAGES.get(self.index() + 1).copied()
    }

    pub fn prev(self) -> Option<Stage> {
        self.index().checked_sub(1).map(|i| STAGES[i])
    }

    pub fn parse(code: &str) -> Option<Stage> {
        STAGES
            .iter()
            .copied()
            .find(|s| s.code().eq_ignore_ascii_case(code))
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A step of the wizard as a whole: before, around and after the batches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "step", content = "batch", rename_all = "snake_case")]
pub enum Step {
    /// Plan valid, both clusters reachable with fresh data.
    Preflight,
    /// Every topic and group of the plan exists on the target.
    Metadata,
    Batch(String),
    /// Nothing of the plan still connected to the source.
    Finish,
}

pub const RESERVED_STEP_NAMES: [&str; 3] = ["preflight", "metadata", "finish"];

impl Step {
    /// Parses a command-line step: a reserved word or a batch name.
    pub fn parse(s: &str) -> Step {
        match s {
            "preflight" => Step::Preflight,
            "metadata" => Step::Metadata,
            "finish" => Step::Finish,
            batch => Step::Batch(batch.to_string()),
        }
    }

    /// The step as the journal keeps it: a batch's name is prefixed, so no batch reads as a
    /// wizard-wide step.
    pub fn key(&self) -> String {
        match self {
            Step::Batch(b) => format!("batch:{b}"),
            other => other.arg().to_string(),
        }
    }

    /// The step as the command line names it (what [`Step::parse`] reads).
    pub fn arg(&self) -> &str {
        match self {
            Step::Preflight => "preflight",
            Step::Metadata => "metadata",
            Step::Finish => "finish",
            Step::Batch(b) => b,
        }
    }

    /// Reads a [`Step::key`] back (as the journal keeps it); `None` for anything else.
    pub fn from_key(key: &str) -> Option<Step> {
        match key.strip_prefix("batch:") {
            Some(b) => Some(Step::Batch(b.to_string())),
            None => Some(Step::parse(key)).filter(|s| !matches!(s, Step::Batch(_))),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Batch(b) => write!(f, "batch '{b}'"),
            other => f.write_str(&other.key()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_key_reads_back_as_its_step() {
        for step in [
            Step::Preflight,
            Step::Metadata,
            Step::Finish,
            Step::Batch("orders".into()),
            Step::Batch("finish".into()),
        ] {
            assert_eq!(Step::from_key(&step.key()), Some(step));
        }
        assert_eq!(Step::from_key("orders"), None, "not a key");
    }

    #[test]
    fn stages_read_and_write_as_their_codes() {
        assert_eq!(Stage::NotStarted.prev(), None);
        assert_eq!(Stage::Done.next(), None);
        assert_eq!(Stage::NotStarted.next(), Some(Stage::DoubleRead));
        assert_eq!(Stage::parse("s_r_d_rw"), Some(Stage::Draining));
        assert_eq!(
            serde_json::to_string(&Stage::DoubleWrite).unwrap(),
            "\"S_RW_D_RW\""
        );
    }
}
