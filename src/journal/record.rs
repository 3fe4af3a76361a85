//! What one journal line holds. Plain data: replaying the records rebuilds the wizard's state.

use crate::clock::Millis;
use crate::metadata::MetadataItem;
use crate::model::{Status, Verdict};
use crate::plan::Side;
use crate::stage::Stage;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::Holder;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// 1, 2, 3, ... with no gap: a missing or repeated number is detected on replay.
    pub seq: u64,
    pub at: Millis,
    #[serde(flatten)]
    pub entry: Entry,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    /// A wizard (or command) started driving the plan.
    Opened {
        tool_version: String,
        plan_digest: String,
        holder: Holder,
    },
    /// Preflight, metadata or finish completed.
    StepCompleted {
        step: String,
        confirmation: String,
        verdict: Verdict,
    },
    StageChanged {
        batch: String,
        from: Stage,
        to: Stage,
        action: String,
        confirmation: String,
        verdict: Verdict,
    },
    /// A gate's outcome changed since the last recorded one.
    VerdictChanged {
        step: String,
        action: String,
        status: Status,
        failing: Vec<String>,
        verdict: Verdict,
    },
    /// An advance the gate refused.
    Refused {
        step: String,
        action: String,
        reasons: Vec<String>,
    },
    Acknowledged {
        step: String,
        warning: String,
        text: String,
    },
    MetadataCreated {
        side: Side,
        item: MetadataItem,
    },
    /// A batch has been quiet on a cluster since `since` (confirmed by a second poll): these
    /// max offsets must stay as they are for its settle window to go on.
    QuietSince {
        batch: String,
        side: Side,
        since: Millis,
        baseline: BTreeMap<String, u64>,
    },
    /// The journaled settle window ended: an offset moved, or the batch is not quiet any more.
    QuietEnded {
        batch: String,
        side: Side,
    },
    /// A broker serves topics of the plan (first seen, or back): it stays part of the truth.
    BrokerSeen {
        side: Side,
        broker: String,
        topics: BTreeSet<String>,
    },
    /// A remembered broker left the route; what it held when last seen, per topic, if known.
    BrokerLeft {
        side: Side,
        broker: String,
        holding: Option<BTreeMap<String, u64>>,
        last_seen: Option<Millis>,
    },
    /// The operator retired a broker that left: its messages are accounted for elsewhere.
    BrokerRetired {
        side: Side,
        broker: String,
        confirmation: String,
    },
    Error {
        context: String,
        message: String,
    },
}

impl Entry {
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Opened { .. } => "opened",
            Entry::StepCompleted { .. } => "step_completed",
            Entry::StageChanged { .. } => "stage_changed",
            Entry::VerdictChanged { .. } => "verdict_changed",
            Entry::Refused { .. } => "refused",
            Entry::Acknowledged { .. } => "acknowledged",
            Entry::MetadataCreated { .. } => "metadata_created",
            Entry::QuietSince { .. } => "quiet_since",
            Entry::QuietEnded { .. } => "quiet_ended",
            Entry::BrokerSeen { .. } => "broker_seen",
            Entry::BrokerLeft { .. } => "broker_left",
            Entry::BrokerRetired { .. } => "broker_retired",
            Entry::Error { .. } => "error",
        }
    }
}
