//! Turning clusters into snapshots with a deadline: a cluster that does not answer in time is
//! reported unreachable, never waited on forever.

use crate::clock;
use crate::cluster::{Cluster, Clusters};
use crate::model::Snapshot;
use crate::plan::Scope;
use std::time::Duration;

pub async fn snapshot_with_deadline(
    cluster: &dyn Cluster,
    scope: &Scope,
    deadline: Duration,
) -> Snapshot {
    let started = clock::now();
    match tokio::time::timeout(deadline, cluster.snapshot(scope)).await {
        Ok(s) => s,
        Err(_) => Snapshot::unreachable(
            cluster.side(),
            cluster.label(),
            cluster.kind(),
            started,
            format!(
                "no complete answer within {}",
                humantime::format_duration(deadline)
            ),
        ),
    }
}

/// Both clusters, polled concurrently.
pub async fn snapshot_both(
    clusters: &Clusters,
    scope: &Scope,
    deadline: Duration,
) -> (Snapshot, Snapshot) {
    tokio::join!(
        snapshot_with_deadline(clusters.source.as_ref(), scope, deadline),
        snapshot_with_deadline(clusters.target.as_ref(), scope, deadline)
    )
}
