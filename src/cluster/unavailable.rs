//! A cluster kind this build cannot reach: every snapshot says so, so every gate stays closed.

use super::Cluster;
use crate::clock;
use crate::metadata::MetadataItem;
use crate::model::Snapshot;
use crate::plan::{ClusterSpec, Scope, Side};
use async_trait::async_trait;

pub struct Unavailable {
    side: Side,
    label: String,
    kind: &'static str,
    why: String,
}

impl Unavailable {
    pub fn new(spec: &ClusterSpec, why: &str) -> Unavailable {
        Unavailable {
            side: spec.side,
            label: spec.name.clone(),
            kind: spec.kind.name(),
            why: why.to_string(),
        }
    }
}

#[async_trait]
impl Cluster for Unavailable {
    fn side(&self) -> Side {
        self.side
    }
    fn label(&self) -> &str {
        &self.label
    }
    fn kind(&self) -> &'static str {
        self.kind
    }
    async fn snapshot(&self, _scope: &Scope) -> Snapshot {
        Snapshot::unreachable(self.side, &self.label, self.kind, clock::now(), &self.why)
    }
    async fn create(&self, item: &MetadataItem) -> Result<(), String> {
        Err(format!("cannot create {}: {}", item.describe(), self.why))
    }
}
