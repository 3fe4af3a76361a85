//! rocketmq-migrate: a wizard that moves the producers and consumers of a RocketMQ cluster onto a
//! new cluster ("double read, double write, batch release") and refuses every step whose
//! preconditions it cannot see satisfied in fresh data.
//!
//! The core (`plan`, `model`, `stage`, `gate`, `wizard`, `journal::record`) is plain data and pure
//! functions; `cluster`, `poll`, `journal::store` and `cli` are the thin shells doing I/O.

pub mod cli;
pub mod clock;
pub mod cluster;
pub mod gate;
pub mod journal;
pub mod metadata;
pub mod model;
pub mod plan;
pub mod poll;
pub mod report;
pub mod runbook;
pub mod series;
pub mod session;
pub mod stage;
pub mod ui;
pub mod view;
pub mod wizard;
