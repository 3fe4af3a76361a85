//! The data everything shares: what a poll saw of a cluster, and what a gate concluded from it.
//! No I/O here.

mod check;
mod evidence;
mod filter;
mod pending;
mod snapshot;
mod verdict;

pub use check::*;
pub use evidence::*;
pub use filter::*;
pub use pending::*;
pub use snapshot::*;
pub use verdict::*;
