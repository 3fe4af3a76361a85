//! Backlog history per group and cluster: the sparklines, and an estimate of the time to drain.

use crate::clock::Millis;
use crate::model::Snapshot;
use crate::plan::Side;
use std::collections::{HashMap, VecDeque};

/// Samples kept per series: minutes of history at the usual poll intervals.
const KEEP: usize = 120;

#[derive(Debug, Default, Clone)]
pub struct History {
    series: HashMap<(String, Side), VecDeque<(Millis, u64)>>,
}

impl History {
    pub fn record(&mut self, snap: &Snapshot) {
        if snap.unreachable.is_some() {
            return;
        }
        for (group, state) in &snap.groups {
            if let Some(b) = state.backlog.known() {
                let s = self.series.entry((group.clone(), snap.side)).or_default();
                if s.back().is_some_and(|(t, _)| *t >= snap.taken_at) {
                    continue;
                }
                s.push_back((snap.taken_at, b.total));
                while s.len() > KEEP {
                    s.pop_front();
                }
            }
        }
    }

    pub fn values(&self, group: &str, side: Side) -> Vec<u64> {
        self.series
            .get(&(group.to_string(), side))
            .map(|s| s.iter().map(|(_, v)| *v).collect())
            .unwrap_or_default()
    }

    /// Time to drain at the rate the backlog fell over the recorded window; `None` when it is
    /// not falling (or there is too little history to say).
    pub fn eta_ms(&self, group: &str, side: Side) -> Option<Millis> {
        let s = self.series.get(&(group.to_string(), side))?;
        let (t0, v0) = *s.iter().rev().nth(5.min(s.len().saturating_sub(1)))?;
        let (t1, v1) = *s.back()?;
        let rising_now = s.iter().rev().nth(1).is_some_and(|(_, prev)| v1 > *prev);
        if v1 == 0 || v1 >= v0 || t1 <= t0 || rising_now {
            return None;
        }
        let rate = (v0 - v1) as f64 / (t1 - t0) as f64;
        Some((v1 as f64 / rate) as Millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Backlog, GroupState, Known};

    fn snap(at: Millis, backlog: u64) -> Snapshot {
        let mut s = Snapshot::unreachable(Side::Source, "s", "t", at, "");
        s.unreachable = None;
        s.groups.insert(
            "G".into(),
            GroupState {
                exists: Known::Known(true),
                backlog: Known::Known(Backlog {
                    total: backlog,
                    per_topic: Default::default(),
                }),
                consumers: Known::Known(vec![]),
                subscriptions: Known::Known(Default::default()),
                config: None,
                consume_tps: None,
            },
        );
        s
    }

    #[test]
    fn a_falling_backlog_gets_an_eta() {
        let mut h = History::default();
        for (i, b) in [100, 90, 80, 70, 60, 50].iter().enumerate() {
            h.record(&snap(1000 * i as u64, *b));
        }
        assert_eq!(h.values("G", Side::Source), [100, 90, 80, 70, 60, 50]);
        assert_eq!(h.eta_ms("G", Side::Source), Some(5000));
        h.record(&snap(9000, 70));
        assert_eq!(h.eta_ms("G", Side::Source), None, "rising: no estimate");
    }
}
