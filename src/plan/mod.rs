//! The migration plan (`migration.toml`): which clusters, which batches, which gate thresholds.
//! Parsing and validation are pure: text in, a `Plan` or every problem found out.

pub mod draft;
mod error;
mod raw;
mod secret;
mod validate;

pub use error::{PlanError, PlanErrors};
pub use secret::{Secret, SecretRef};

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The plan file; the journal lives beside it.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, recorded in the journal to notice edits mid-migration.
    pub digest: String,
    pub source: ClusterSpec,
    pub target: ClusterSpec,
    pub batches: Vec<Batch>,
    pub gates: Gates,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Source,
    Target,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Source => "source",
            Side::Target => "target",
        }
    }

    /// The side `name` gives back, as ids and plan keys write it.
    pub fn named(name: &str) -> Option<Side> {
        [Side::Source, Side::Target]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterSpec {
    pub side: Side,
    /// The operator's label, e.g. "self-built" or "tdmq-prod".
    pub name: String,
    pub kind: ClusterKind,
}

impl ClusterSpec {
    /// The vendor smooth-migration task that follows the batches, if the plan names one.
    pub fn migration_task_id(&self) -> Option<&str> {
        match &self.kind {
            ClusterKind::Tdmq(t) => t.migration_task_id.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClusterKind {
    Remoting(RemotingSpec),
    Tdmq(TdmqSpec),
    Rehearsal(RehearsalSpec),
}

impl ClusterKind {
    pub fn name(&self) -> &'static str {
        match self {
            ClusterKind::Remoting(_) => "remoting",
            ClusterKind::Tdmq(_) => "tdmq",
            ClusterKind::Rehearsal(_) => "rehearsal",
        }
    }

    /// The namespace clients name the cluster's topics and groups in, if it has one.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            ClusterKind::Remoting(r) => r.namespace.as_deref(),
            ClusterKind::Tdmq(t) => match &t.product {
                TdmqProduct::V4 { namespace, .. } => Some(namespace),
                TdmqProduct::V5 { .. } => None,
            },
            ClusterKind::Rehearsal(_) => None,
        }
    }
}

/// The name clients (and the wire) use for a topic or group: `namespace%name` in a namespace.
pub fn client_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}%{name}"),
        None => name.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemotingSpec {
    pub namesrv: Vec<String>,
    pub acl: Option<AclSpec>,
    pub namespace: Option<String>,
    #[serde(with = "humantime_serde_ms")]
    pub timeout: Duration,
    /// Registered server address -> the address to dial instead.
    pub connect_via: std::collections::BTreeMap<String, String>,
    /// TLS to every server of the cluster, when set.
    pub tls: Option<TlsSpec>,
}

/// TLS settings of a remoting cluster. Relative file paths are read from the plan's folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlsSpec {
    pub ca_file: Option<PathBuf>,
    pub server_name: Option<String>,
    /// No certificate is verified: anyone between can read and change the traffic.
    pub accept_any_certificate: bool,
    /// Client certificate and key, together or not at all.
    pub client_auth: Option<(PathBuf, PathBuf)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AclSpec {
    pub access_key: String,
    pub secret_key: SecretRef,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TdmqSpec {
    pub region: String,
    pub product: TdmqProduct,
    pub secret_id: String,
    pub secret_key: SecretRef,
    /// API endpoint override (a private endpoint or a local test server).
    pub endpoint: Option<String>,
    pub migration_task_id: Option<String>,
    #[serde(with = "humantime_serde_ms")]
    pub timeout: Duration,
}

/// Which TDMQ for RocketMQ product the plan names: they are read through different APIs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "version")]
pub enum TdmqProduct {
    /// A 4.x cluster (service `tdmq`): topics and groups live in a namespace, and clients name
    /// them `namespace%name`.
    #[serde(rename = "4")]
    V4 {
        cluster_id: String,
        namespace: String,
    },
    /// A 5.x instance (service `trocket`): no namespace.
    #[serde(rename = "5")]
    V5 { instance_id: String },
}

impl TdmqProduct {
    /// How the plan names the cluster or instance, for messages: "cluster_id rocketmq-x".
    pub fn named(&self) -> String {
        match self {
            TdmqProduct::V4 { cluster_id, .. } => format!("cluster_id {cluster_id}"),
            TdmqProduct::V5 { instance_id } => format!("instance_id {instance_id}"),
        }
    }

    /// The id the API knows it by.
    pub fn id(&self) -> &str {
        match self {
            TdmqProduct::V4 { cluster_id, .. } => cluster_id,
            TdmqProduct::V5 { instance_id } => instance_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RehearsalSpec {
    /// `builtin` or a scenario file relative to the plan.
    pub scenario: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Batch {
    pub name: String,
    pub topics: Vec<String>,
    pub groups: Vec<GroupPlan>,
    /// Producer groups, where known; without them producer checks rely on topic offsets.
    pub producer_groups: Vec<String>,
    /// Groups that consume the batch's topics but stay behind on purpose: group -> why.
    pub left_behind: BTreeMap<String, String>,
    /// Topic -> the kind of messages it carries, as the operator says: for a target that fixes
    /// it at creation, where the source does not show it.
    pub topic_types: BTreeMap<String, crate::model::TopicMessageType>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupPlan {
    pub name: String,
    /// The batch topics this group consumes.
    pub topics: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gates {
    /// A group's source backlog at or under this is drained.
    pub max_backlog: u64,
    /// How long a drain or quiet condition must hold before it counts.
    #[serde(with = "humantime_serde_ms")]
    pub settle_window: Duration,
    /// A snapshot older than this is stale and opens no gate.
    #[serde(with = "humantime_serde_ms")]
    pub stale_after: Duration,
    #[serde(with = "humantime_serde_ms")]
    pub poll_interval: Duration,
}

impl Default for Gates {
    fn default() -> Gates {
        Gates {
            max_backlog: 0,
            settle_window: Duration::from_secs(60),
            stale_after: Duration::from_secs(10),
            // Short enough that a consumer appearing on the target shows at the gate within 2 s.
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// What a cluster is asked about: the plan's topics, groups and producer groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub topics: Vec<String>,
    pub groups: Vec<GroupPlan>,
    pub producer_groups: Vec<String>,
}

impl Plan {
    pub fn load(path: &Path) -> Result<Plan, PlanErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            PlanErrors(vec![PlanError {
                file: path.to_path_buf(),
                line: None,
                column: None,
                field: String::new(),
                problem: format!("cannot read the plan: {e}"),
                fix: "pass the plan with -c/--config, or run `rocketmq-migrate demo` to rehearse with a built-in one".into(),
                snippet: None,
            }])
        })?;
        Plan::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Plan, PlanErrors> {
        validate::parse(path, text)
    }

    pub fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    pub fn batch(&self, name: &str) -> Option<&Batch> {
        self.batches.iter().find(|b| b.name == name)
    }

    pub fn cluster(&self, side: Side) -> &ClusterSpec {
        match side {
            Side::Source => &self.source,
            Side::Target => &self.target,
        }
    }

    pub fn scope(&self) -> Scope {
        let mut scope = Scope::default();
        for b in &self.batches {
            scope.topics.extend(b.topics.iter().cloned());
            scope.groups.extend(b.groups.iter().cloned());
            scope
                .producer_groups
                .extend(b.producer_groups.iter().cloned());
        }
        scope
    }
}

impl Batch {
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().map(|g| g.name.as_str())
    }

    /// The batch's topics and its groups' retry topics: everything its backlog is made of.
    pub fn topics_and_retry_topics(&self) -> std::collections::BTreeSet<String> {
        let retry = self.group_names().map(|g| format!("%RETRY%{g}"));
        self.topics.iter().cloned().chain(retry).collect()
    }
}

/// Durations in JSON as integer milliseconds: stable and unambiguous.
mod humantime_serde_ms {
    use serde::Serializer;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
}
