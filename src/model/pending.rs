//! What a cluster still holds that no backlog shows yet: messages on their way to the plan's
//! topics but not visible there. A delayed message (and every consumer retry) waits in the
//! broker's schedule topic, a timer message in its timer wheel, a transactional message half
//! written until its producer resolves it; only then does it reach the real topic, where a
//! backlog appears. A drained backlog with any of these still waiting is not drained.

use super::Known;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Per master broker, because each broker holds its own schedule topic, timer wheel and half
/// topic: a broker that could not be read is `Unknown` (naming the broker and the request) and
/// says nothing about the others.
///
/// No part attributes pending messages to their real topic (the `REAL_TOPIC` property): a broker
/// shows a message's properties only when it is read, and reading one by queue offset
/// (PULL_MESSAGE) needs a consumer group and records that group's pull offset on the broker.
/// These counts are for the whole broker: every topic, every group's retries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// Broker name -> what it holds.
    pub brokers: BTreeMap<String, Known<BrokerPending>>,
}

/// What one broker holds that is due later or waits for a producer's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrokerPending {
    /// Messages sent with a delay level and consumer retries (which wait at level 3 + reconsume
    /// times), one entry per level the broker has a schedule queue or progress for, by level.
    pub scheduled: Vec<LevelPending>,
    /// Timer messages (5.x, any delivery time) still in the broker's timer: in its wheel or not
    /// yet taken into it. A 4.x broker has no timer and holds none.
    pub timer: Known<u64>,
    /// Transactional half messages the broker's check service has not passed yet. An upper
    /// bound: a half message committed or rolled back stays counted until the next check round
    /// (every 30 s in 5.x, 60 s in 4.x by default) passes it; zero means none is unresolved.
    pub half: Known<u64>,
}

/// One delay level of the schedule topic (`SCHEDULE_TOPIC_XXXX`, queue id = level - 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelPending {
    /// 1-based, as producers set it.
    pub level: u32,
    /// The level's delay from the broker's `messageDelayLevel`; when the broker does not show
    /// it, from the default table (1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h);
    /// `None` when the broker's table could not be read or has no such level.
    pub delay_ms: Option<u64>,
    /// Messages stored at this level and not yet delivered: `max_offset - progress`.
    pub pending: u64,
    /// The schedule queue's max offset.
    pub max_offset: u64,
    /// The schedule service's next offset to deliver (never below the queue's min offset: what
    /// is below was deleted and will not be delivered).
    pub progress: u64,
}

impl BrokerPending {
    /// A broker that holds nothing: no scheduled, timer or half message.
    pub fn nothing() -> BrokerPending {
        BrokerPending {
            scheduled: vec![],
            timer: Known::Known(0),
            half: Known::Known(0),
        }
    }

    /// Scheduled messages over every level.
    pub fn scheduled_total(&self) -> u64 {
        self.scheduled.iter().map(|l| l.pending).sum()
    }
}
