//! Settle windows: a drain (or quiet) condition counts only once it has held for the whole window
//! with no new message in between. Offsets only grow, so equal max offsets at two observations
//! prove that nothing was written in between, however far apart they are: the window's start
//! and its offsets are journaled, and any command (or a restarted wizard) judges it from there.

use crate::clock::Millis;
use crate::model::Snapshot;
use crate::plan::{Batch, Gates, Side};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Since when a batch's topics on one cluster have been quiet: backlog at or under the threshold
/// and no offset moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuietWatch {
    /// When the poll that first saw the baseline ended: its offsets were read by then.
    pub since: Millis,
    /// When the latest poll that saw the same offsets started: they were read after that.
    pub last_seen: Millis,
    /// Topic (and retry topic) -> sum of max offsets when the window opened.
    pub baseline: BTreeMap<String, u64>,
}

impl QuietWatch {
    /// A window read back from the journal: it holds from `since`, proven up to `since` only
    /// until a new poll sees the same offsets.
    pub fn opened(since: Millis, baseline: BTreeMap<String, u64>) -> QuietWatch {
        QuietWatch {
            since,
            last_seen: since,
            baseline,
        }
    }

    pub fn held_ms(&self) -> Millis {
        self.last_seen.saturating_sub(self.since)
    }
}

/// One watch per batch and cluster.
pub type Watches = BTreeMap<(String, Side), QuietWatch>;

/// The offsets that prove quiet, if the snapshot shows the batch quiet right now: every group's
/// backlog known and at or under `max_backlog`, every topic's max offset known, nothing partial.
/// Groups `by_topics` (broadcasting ones, whose backlog no broker shows, or groups that never
/// committed on the target) are judged by their topics' offsets alone.
pub fn quiet_offsets(
    batch: &Batch,
    snap: &Snapshot,
    max_backlog: u64,
    by_topics: &BTreeSet<String>,
) -> Option<BTreeMap<String, u64>> {
    if snap.unreachable.is_some() || snap.is_partial() {
        return None;
    }
    let mut offsets = BTreeMap::new();
    for t in &batch.topics {
        let max = *snap.topics.get(t)?.max_offset.known()?;
        offsets.insert(t.clone(), max);
    }
    for g in batch.group_names().filter(|g| !by_topics.contains(*g)) {
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

/// Folds one snapshot into the watch. The window goes on while every offset is where it was
/// (however long since the last poll); any offset that moved, up or down, starts it again.
pub fn observe(
    prev: Option<&QuietWatch>,
    batch: &Batch,
    snap: &Snapshot,
    gates: &Gates,
    by_topics: &BTreeSet<String>,
) -> Option<QuietWatch> {
    if let Some(p) = prev
        && snap.started_at <= p.last_seen
    {
        return Some(p.clone());
    }
    let offsets = quiet_offsets(batch, snap, gates.max_backlog, by_topics)?;
    match prev {
        Some(p) if p.baseline == offsets && snap.started_at >= p.since => Some(QuietWatch {
            since: p.since,
            last_seen: snap.started_at,
            baseline: offsets,
        }),
        _ => Some(QuietWatch::opened(snap.taken_at, offsets)),
    }
}
