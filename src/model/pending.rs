//! What a cluster still holds that no backlog shows yet: messages on their way to the plan's
//! topics but not visible there. A delayed message (and every consumer retry) waits in the
//! broker's schedule topic, a timer message in its timer wheel, a transactional message half
//! written until its producer resolves it; only then does it reach the real topic, where a
//! backlog appears. A drained backlog with any of these still waiting is not drained.

use super::Known;
use crate::clock::Millis;
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
    /// Every message at this level was stored by then: the start of the earliest poll that saw
    /// the level's max offset as it is now (see `Pending::date`). `None` until dated.
    #[serde(default)]
    pub stored_by: Option<Millis>,
}

impl LevelPending {
    /// How long until the last message at this level is due, at most: its delay counted from
    /// when it was stored by (from `now` when not dated). `None` when the delay is not known.
    pub fn due_in(&self, now: Millis) -> Option<Millis> {
        let d = self.delay_ms?;
        Some((self.stored_by.unwrap_or(now) + d).saturating_sub(now))
    }
}

impl Pending {
    /// Dates each level's messages: a level whose max offset is as an `earlier` reading saw it
    /// holds no message stored since, so it keeps that reading's date; any other level was
    /// stored by `polled_at` (the start of the poll that read it). A countdown to the last due
    /// message follows, across polls.
    pub fn date(&mut self, polled_at: Millis, earlier: Option<&Pending>) {
        for (broker, held) in &mut self.brokers {
            let Known::Known(held) = held else { continue };
            let before = earlier
                .and_then(|e| e.brokers.get(broker))
                .and_then(Known::known);
            for l in &mut held.scheduled {
                let kept = before
                    .and_then(|b| b.scheduled.iter().find(|e| e.level == l.level))
                    .filter(|e| e.max_offset == l.max_offset)
                    .and_then(|e| e.stored_by);
                l.stored_by = Some(kept.unwrap_or(polled_at));
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one(level: u32, delay_ms: u64, max_offset: u64, progress: u64) -> Pending {
        Pending {
            brokers: [(
                "broker-a".to_string(),
                Known::Known(BrokerPending {
                    scheduled: vec![LevelPending {
                        level,
                        delay_ms: Some(delay_ms),
                        pending: max_offset - progress,
                        max_offset,
                        progress,
                        stored_by: None,
                    }],
                    ..BrokerPending::nothing()
                }),
            )]
            .into(),
        }
    }

    fn level(p: &Pending) -> LevelPending {
        p.brokers["broker-a"].known().unwrap().scheduled[0]
    }

    #[test]
    fn the_last_due_message_counts_down_until_another_is_stored() {
        let mut first = one(4, 30_000, 1, 0);
        first.date(1_000, None);
        assert_eq!(level(&first).due_in(1_000), Some(30_000));
        // The same max offset 12 s later: nothing stored since, 18 s to go.
        let mut again = one(4, 30_000, 1, 0);
        again.date(13_000, Some(&first));
        assert_eq!(level(&again).due_in(13_000), Some(18_000));
        assert_eq!(level(&again).due_in(40_000), Some(0), "overdue is due now");
        // One more stored: a whole delay from the poll that saw it.
        let mut more = one(4, 30_000, 2, 0);
        more.date(20_000, Some(&again));
        assert_eq!(level(&more).due_in(20_000), Some(30_000));
        // Not dated, or no delay known.
        assert_eq!(level(&one(4, 30_000, 1, 0)).due_in(5), Some(30_000));
        let mut no_delay = one(4, 30_000, 1, 0);
        if let Known::Known(b) = no_delay.brokers.get_mut("broker-a").unwrap() {
            b.scheduled[0].delay_ms = None;
        }
        assert_eq!(level(&no_delay).due_in(5), None);
    }
}
