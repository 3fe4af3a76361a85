//! Settle windows: a drain (or quiet) condition counts only once it has held, in every snapshot
//! seen, for the whole window, with no new message in between.

use crate::clock::Millis;
use crate::model::Snapshot;
use crate::plan::{Batch, Gates, Side};
use serde::Serialize;
use std::collections::BTreeMap;

/// Since when a batch's topics on one cluster have been quiet: backlog at or under the threshold
/// and no offset moved. Offsets only grow, so equal offsets at both ends prove nothing was written
/// in between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuietWatch {
    pub since: Millis,
    pub last_seen: Millis,
    /// Topic (and retry topic) -> sum of max offsets when the window opened.
    pub baseline: BTreeMap<String, u64>,
}

impl QuietWatch {
    pub fn held_ms(&self) -> Millis {
        self.last_seen.saturating_sub(self.since)
    }
}

/// One watch per batch and cluster.
pub type Watches = BTreeMap<(String, Side), QuietWatch>;

/// The offsets that prove quiet, if the snapshot shows the batch quiet right now: every group's
/// backlog known and at or under `max_backlog`, every topic's max offset known, nothing partial.
pub fn quiet_offsets(
    batch: &Batch,
    snap: &Snapshot,
    max_backlog: u64,
) -> Option<BTreeMap<String, u64>> {
    if snap.unreachable.is_some() || snap.is_partial() {
        return None;
    }
    let mut offsets = BTreeMap::new();
    for t in &batch.topics {
        let max = *snap.topics.get(t)?.max_offset.known()?;
        offsets.insert(t.clone(), max);
    }
    for g in batch.group_names() {
        let backlog = snap.groups.get(g)?.backlog.known()?;
        if backlog.total > max_backlog {
            return None;
        }
        // Retry topics take messages later (redelivery): they must stay still too.
        for (topic, lag) in backlog
            .per_topic
            .iter()
            .filter(|(t, _)| t.starts_with("%RETRY%"))
        {
            offsets.insert(topic.clone(), lag.broker_offset);
        }
    }
    Some(offsets)
}

/// Folds one snapshot into the watch. A gap longer than the staleness limit restarts the window:
/// the condition was not observed in between.
pub fn observe(
    prev: Option<&QuietWatch>,
    batch: &Batch,
    snap: &Snapshot,
    gates: &Gates,
) -> Option<QuietWatch> {
    if let Some(p) = prev
        && snap.taken_at <= p.last_seen
    {
        return Some(p.clone());
    }
    let offsets = quiet_offsets(batch, snap, gates.max_backlog)?;
    let stale = gates.stale_after.as_millis() as Millis;
    match prev {
        Some(p) if p.baseline == offsets && snap.taken_at - p.last_seen <= stale => {
            Some(QuietWatch {
                since: p.since,
                last_seen: snap.taken_at,
                baseline: offsets,
            })
        }
        _ => Some(QuietWatch {
            since: snap.taken_at,
            last_seen: snap.taken_at,
            baseline: offsets,
        }),
    }
}
