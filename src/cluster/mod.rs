//! The one interface every cluster kind implements: take a snapshot of the plan's scope, create
//! missing metadata. The wizard cannot tell the kinds apart.

pub mod rehearsal;
pub mod remoting;
pub mod tdmq;

use crate::clock::Millis;
use crate::metadata::{self, MetadataItem, Proposal};
use crate::model::Snapshot;
use crate::plan::{ClusterKind, ClusterSpec, Plan, Scope, Side, TdmqProduct};
use crate::wizard::{Timeline, Wizard};
use async_trait::async_trait;
use std::sync::Arc;

#[async_trait]
pub trait Cluster: Send + Sync {
    fn side(&self) -> Side;
    /// The operator's label for the cluster.
    fn label(&self) -> &str;
    fn kind(&self) -> &'static str;
    /// Never fails as a whole: what could not be read is recorded in the snapshot.
    async fn snapshot(&self, scope: &Scope) -> Snapshot;
    /// Creates one topic or group with the given settings; never changes an existing one.
    /// Called only through [`Clusters::create_on_target`], which keeps the source unchanged.
    async fn create(&self, item: &MetadataItem) -> Result<Outcome, String>;
    /// The operator's confirmed actions so far. Real clusters ignore it (people move real
    /// applications); the rehearsal moves its simulated applications accordingly.
    fn follow(&self, _timeline: &Timeline) {}
    /// A batch of these topics moved: a vendor migration task on this cluster follows (TDMQ
    /// trocket). Says what it did, if anything. Called only through [`Clusters::follow_move`].
    async fn follow_move(
        &self,
        _topics: &[String],
        _made: crate::gate::Move,
    ) -> Result<Option<String>, String> {
        Ok(None)
    }
    /// How creating an item on this cluster is done (the call and its settings), or why it
    /// cannot be: what `sync-metadata` and the wizard list before asking (see
    /// [`crate::metadata::Planned::line`]).
    fn how_to_create(&self, item: &MetadataItem) -> Result<String, String> {
        Ok(item.describe())
    }
}

/// What creating an item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    New,
    /// It was there already (created meanwhile, or by someone else): nothing changed.
    AlreadyThere,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::New => "created",
            Outcome::AlreadyThere => "already there",
        }
    }
}

/// The plan's two clusters. Every write goes through here, to the target only: the wizard
/// never changes the source.
#[derive(Clone)]
pub struct Clusters {
    pub source: Arc<dyn Cluster>,
    pub target: Arc<dyn Cluster>,
}

impl Clusters {
    pub fn both(&self) -> [&Arc<dyn Cluster>; 2] {
        [&self.source, &self.target]
    }

    /// What creating the target's missing metadata would do, from the wizard's latest
    /// snapshots: the list the operator confirms (`sync-metadata`, the wizard's `s`).
    pub fn propose_sync(&self, wizard: &Wizard, now: Millis) -> Proposal {
        metadata::propose(
            &wizard.plan,
            wizard.source.as_ref(),
            wizard.target.as_ref(),
            now,
            |item| self.target.how_to_create(item),
        )
    }

    /// Creates a topic or group on the target.
    pub async fn create_on_target(&self, item: &MetadataItem) -> Result<Outcome, String> {
        self.target.create(item).await
    }

    /// The target's vendor migration task (if any) follows a batch move.
    pub async fn follow_move(
        &self,
        topics: &[String],
        made: crate::gate::Move,
    ) -> Result<Option<String>, String> {
        self.target.follow_move(topics, made).await
    }

    /// Both clusters learn the operator's confirmed actions (the rehearsal acts on them).
    pub fn follow(&self, timeline: &Timeline) {
        self.source.follow(timeline);
        self.target.follow(timeline);
    }
}

/// Builds both clusters of the plan. Secrets are resolved here; an error names the plan field.
pub fn connect(plan: &Plan) -> Result<Clusters, String> {
    if let (ClusterKind::Rehearsal(r), ClusterKind::Rehearsal(_)) =
        (&plan.source.kind, &plan.target.kind)
    {
        let world = rehearsal::World::load(&r.scenario, plan)?;
        return Ok(Clusters {
            source: Arc::new(rehearsal::RehearsalCluster::new(
                world.clone(),
                &plan.source,
            )),
            target: Arc::new(rehearsal::RehearsalCluster::new(world, &plan.target)),
        });
    }
    Ok(Clusters {
        source: one(plan, &plan.source)?,
        target: one(plan, &plan.target)?,
    })
}

/// Builds one cluster of the plan (not a rehearsal one, which needs both).
pub fn one(plan: &Plan, spec: &ClusterSpec) -> Result<Arc<dyn Cluster>, String> {
    let side = spec.side.name();
    match &spec.kind {
        ClusterKind::Remoting(r) => {
            let secret = match &r.acl {
                Some(acl) => Some(
                    acl.secret_key
                        .resolve(&acl.secret_key.field(side), plan.dir())?,
                ),
                None => None,
            };
            let tls = match &r.tls {
                Some(t) => Some(Arc::new(remoting::tls::Tls::new(t, plan.dir(), side)?)),
                None => None,
            };
            let settings = remoting::admin::Settings {
                timeout: r.timeout,
                connect_via: r.connect_via.clone(),
                tls,
                ..Default::default()
            };
            Ok(Arc::new(remoting::RemotingCluster::new(
                spec, r, secret, settings,
            )))
        }
        ClusterKind::Tdmq(t) => {
            let secret = t
                .secret_key
                .resolve(&t.secret_key.field(side), plan.dir())?;
            Ok(match &t.product {
                TdmqProduct::V4 {
                    cluster_id,
                    namespace,
                } => Arc::new(tdmq::TdmqCluster::new(
                    spec, t, cluster_id, namespace, secret,
                )?),
                TdmqProduct::V5 { instance_id } => Arc::new(tdmq::instance::InstanceCluster::new(
                    spec,
                    t,
                    instance_id,
                    secret,
                )?),
            })
        }
        ClusterKind::Rehearsal(_) => Err(format!(
            "{side}: a rehearsal cluster needs the other side to be a rehearsal too"
        )),
    }
}
