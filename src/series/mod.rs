//! The backlog series: what the driving process saw of each batch group's backlog and consumers
//! over time, kept beside the journal (`<plan stem>.series.jsonl`) for the report's charts.
//!
//! Unlike the journal it is not the record of the migration: a point lost to a crash costs a
//! dot on a chart, so lines are appended without fsync, and a damaged line is skipped on read.
//! `sample` decides which observations become points (pure); `file` reads and appends them.

mod file;
mod sample;

pub use file::{Recorder, SeriesError, each_point};
pub use sample::{MAX_POINTS_PER_GROUP, SAMPLE_EVERY_MS, Sampler, Thinning};

use crate::clock::Millis;
use crate::plan::Side;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One observation of one group on one cluster. A value the poll could not read is absent
/// (`None`), never 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    /// When the poll started (no number in it is older).
    pub at: Millis,
    pub side: Side,
    pub group: String,
    /// The group's backlog, retry topic included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog: Option<u64>,
    /// Consumers of the group online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumers: Option<u64>,
}

/// `migration.toml` -> `migration.series.jsonl`, beside it (and the journal).
pub fn series_path(plan: &Path) -> PathBuf {
    let stem = plan
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("migration");
    plan.with_file_name(format!("{stem}.series.jsonl"))
}
