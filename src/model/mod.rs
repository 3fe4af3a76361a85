//! The data everything shares: what a poll saw of a cluster, and what a gate concluded from it.
//! No I/O here.

mod snapshot;
mod verdict;

pub use snapshot::*;
pub use verdict::*;
