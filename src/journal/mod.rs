//! The journal: a JSON-lines file beside the plan recording every confirmation, stage change,
//! changed verdict, acknowledgement and error. The wizard's state is rebuilt from it on start.

mod lock;
mod record;
mod store;

pub use lock::{Holder, Lock, LockError, holder_of};
pub use record::{Entry, Record};
pub use store::{Follower, Journal, JournalError, Replay, TornLine, driver, journal_path, read};
