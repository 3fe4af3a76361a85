//! A snapshot: one poll of one cluster, restricted to the plan's scope. Every item says whether
//! it is known; what failed says why. "Unknown" is never read as zero.

use super::{Pending, SnapshotState, Status, Subscriptions};
use crate::clock::Millis;
use crate::plan::Side;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A value a poll either saw or could not see (with the reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Known<T> {
    Known(T),
    Unknown(String),
}

impl<T> Known<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Known::Known(v) => Some(v),
            Known::Unknown(_) => None,
        }
    }

    pub fn unknown(why: impl Into<String>) -> Known<T> {
        Known::Unknown(why.into())
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Known::Known(_) => None,
            Known::Unknown(r) => Some(r),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub side: Side,
    /// The cluster's label from the plan.
    pub cluster: String,
    pub kind: String,
    /// When the poll started. Ages count from here: no number in the snapshot is older, however
    /// slowly the cluster answered.
    pub started_at: Millis,
    /// When the poll finished. Quiet windows start here: no number in it is newer.
    pub taken_at: Millis,
    /// `Some(error)` when the cluster could not be reached at all.
    pub unreachable: Option<String>,
    pub groups: BTreeMap<String, GroupState>,
    pub topics: BTreeMap<String, TopicState>,
    pub producers: Producers,
    /// Per-item failures: any makes the snapshot partial.
    pub errors: Vec<ItemError>,
    /// The brokers serving each topic of the plan (and each group's retry topic) now.
    #[serde(default)]
    pub routes: BTreeMap<String, Known<BTreeSet<String>>>,
    /// Messages on their way to the cluster's topics that no backlog shows yet (scheduled,
    /// timer, transactional half), per broker. Read failures stay here as unknown and do not
    /// make the snapshot partial: only the checks that need this data are undecided.
    #[serde(default = "pending_not_read")]
    pub pending: Known<Pending>,
    /// The vendor's smooth-migration task, when the plan names one (TDMQ target only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<Box<MigrationTask>>,
    /// The instance's counts and limits, where the cluster has them (TDMQ 5.x).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Box<Capacity>>,
    /// The addresses clients connect to, as the cluster reports them (TDMQ).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
    /// Seconds the local clock is ahead of the cluster's API (TDMQ: signatures older than 5
    /// minutes are refused); `None` where there is no API clock to compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_offset_s: Option<Known<i64>>,
    /// What serves the cluster, as it says itself (preflight shows it); `None` where not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Servers>,
}

/// An address clients use, and the network it is reached from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// "VPC", "PUBLIC", "INTERNAL", as the API names it.
    pub network: String,
    pub address: String,
}

/// A snapshot recorded before who consumes a topic was read says nothing about it.
fn consumers_not_read() -> Known<BTreeSet<String>> {
    Known::unknown("who consumes the topic was not read")
}

/// A snapshot recorded before pending messages were read says nothing about them.
fn pending_not_read() -> Known<Pending> {
    Known::unknown("this snapshot was taken without reading pending messages")
}

/// A vendor smooth-migration task (TDMQ trocket) as the target reports it: the stage and the
/// health check it holds for each topic of the plan. Its stages use the wizard's codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationTask {
    pub task_id: String,
    /// Unknown for every topic when the task could not be read; missing topics are not in it.
    pub topics: BTreeMap<String, Known<TaskTopic>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskTopic {
    /// `S_RW_D_NA`, `S_RW_D_R`, `S_RW_D_RW`, `S_R_D_RW` or `S_NA_D_RW`.
    pub stage: String,
    /// The task's own check before the next stage.
    pub health_passed: bool,
    /// What that check found, e.g. `SourceTopicHasUnconsumedMessages`.
    pub health_errors: Vec<String>,
}

/// A reason of the migration task's health check in words, with what to do; an unknown code is
/// shown as it is.
pub fn health_reason(code: &str) -> String {
    let words = match code {
        "NotChecked" => {
            "not checked yet: run the task's health check (DoHealthCheckOnMigratingTopic, or the console)"
        }
        "Unknown" => "the check could not decide",
        "TopicNotImported" => "the topic is not imported into the task: import it in the console",
        "TopicNotExistsInSourceCluster" => "the topic does not exist on the source cluster",
        "TopicNotExistsInTargetCluster" => {
            "the topic does not exist on the target: run sync-metadata"
        }
        "ConsumerConnectedOnTarget" => "a consumer is already connected on the target",
        "SourceTopicHasNewMessagesIn5Minutes" => {
            "the source topic got new messages in the last 5 minutes: a producer still writes there"
        }
        "TargetTopicHasNewMessagesIn5Minutes" => {
            "the target topic got new messages in the last 5 minutes"
        }
        "SourceTopicHasNoMessagesIn5Minutes" => {
            "the source topic got no message in the last 5 minutes"
        }
        "TargetTopicHasNoMessagesIn5Minutes" => {
            "the target topic got no message in the last 5 minutes: no producer writes there yet"
        }
        "ConsumerGroupCountNotMatch" => "the topic's consumer groups differ between the clusters",
        "SourceTopicHasUnconsumedMessages" => "the source topic still has unconsumed messages",
        other => return other.to_string(),
    };
    format!("{words} ({code})")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemError {
    /// What could not be read, e.g. "group GID_X backlog" or "broker broker-a".
    pub item: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    /// Whether the subscription group exists on this cluster (metadata).
    pub exists: Known<bool>,
    /// Backlog including the retry topic. Unknown when no broker holding the group could be found.
    pub backlog: Known<Backlog>,
    pub consumers: Known<Vec<Client>>,
    /// Topics the group's online consumers subscribe to (retry topic left out), each with the
    /// expressions they subscribe with.
    pub subscriptions: Known<Subscriptions>,
    pub config: Option<GroupConfig>,
    /// Messages consumed per second, where the cluster reports it.
    pub consume_tps: Option<f64>,
}

impl GroupState {
    /// A group the cluster says it does not have: nobody consumes there, nothing is held.
    pub fn absent() -> GroupState {
        GroupState {
            exists: Known::Known(false),
            backlog: Known::unknown("the group does not exist on this cluster"),
            consumers: Known::Known(vec![]),
            subscriptions: Known::Known(Subscriptions::new()),
            config: None,
            consume_tps: None,
        }
    }

    /// A group nothing could be read of, and why.
    pub fn unknown(why: &str) -> GroupState {
        GroupState {
            exists: Known::unknown(why),
            backlog: Known::unknown(why),
            consumers: Known::unknown(why),
            subscriptions: Known::unknown(why),
            config: None,
            consume_tps: None,
        }
    }

    /// How the group's online consumers say they consume (their `messageModel`): `Some(true)`
    /// when every one says broadcasting, `Some(false)` when any says clustering, `None` when
    /// none is online or none says. The group's `consumeBroadcastEnable` setting only allows
    /// broadcasting (and is on by default): it says nothing about how the group consumes.
    pub fn consumes_broadcasting(&self) -> Option<bool> {
        let clients = self.consumers.known()?;
        let models: Vec<MessageModel> = clients.iter().filter_map(|c| c.message_model).collect();
        if models.contains(&MessageModel::Clustering) {
            Some(false)
        } else if !models.is_empty() && models.len() == clients.len() {
            Some(true)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backlog {
    /// Sum over every topic, the retry topic included.
    pub total: u64,
    pub per_topic: BTreeMap<String, TopicLag>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicLag {
    /// Sum over queues of brokerOffset - consumerOffset.
    pub backlog: u64,
    /// Sum over queues of brokerOffset: grows whenever a message arrives.
    pub broker_offset: u64,
    /// The backlog on each broker, where the cluster says which broker holds it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_broker: BTreeMap<String, u64>,
}

impl Backlog {
    /// The backlog on each broker, over every topic (where the cluster says which holds it).
    pub fn per_broker(&self) -> BTreeMap<String, u64> {
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for lag in self.per_topic.values() {
            for (b, n) in &lag.per_broker {
                *out.entry(b.clone()).or_default() += n;
            }
        }
        out
    }

    pub fn retry(&self) -> u64 {
        self.per_topic
            .iter()
            .filter(|(t, _)| t.starts_with("%RETRY%"))
            .map(|(_, l)| l.backlog)
            .sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageModel {
    Clustering,
    Broadcasting,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupConfig {
    /// `consumeBroadcastEnable`: broadcasting is allowed (the default), not that it is used.
    pub broadcast: bool,
    pub orderly: bool,
    /// Retry queues, where the cluster has the setting (TDMQ 5.x has none).
    pub retry_queues: Option<u32>,
    pub retry_max_times: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub addr: String,
    pub language: String,
    /// As the client reports it, e.g. "V4_9_4".
    pub version: Option<String>,
    pub message_model: Option<MessageModel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicState {
    pub exists: Known<bool>,
    /// The consumer groups that consume the topic on this cluster, planned or not (system
    /// groups left out).
    #[serde(default = "consumers_not_read")]
    pub consumed_by: Known<BTreeSet<String>>,
    /// Sum of max offsets over the topic's queues: unchanged over a window means nothing was written.
    pub max_offset: Known<u64>,
    pub config: Option<TopicConfig>,
}

impl TopicState {
    /// A topic the cluster says it does not have: no message, nobody consuming it.
    pub fn absent() -> TopicState {
        TopicState {
            exists: Known::Known(false),
            consumed_by: Known::Known(BTreeSet::new()),
            max_offset: Known::Known(0),
            config: None,
        }
    }

    /// A topic nothing could be read of, and why.
    pub fn unknown(why: &str) -> TopicState {
        TopicState {
            exists: Known::unknown(why),
            consumed_by: Known::unknown(why),
            max_offset: Known::unknown(why),
            config: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicConfig {
    pub read_queues: u32,
    pub write_queues: u32,
    pub perm: u32,
    pub order: bool,
    /// The kind of messages the topic is declared for, where the cluster shows it (a 5.x
    /// broker's `message.type` attribute, a TDMQ topic type). `None`: not shown, so not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<TopicMessageType>,
}

/// What a topic is declared to carry: TDMQ 5.x fixes it at creation (its `TopicType`) and
/// refuses messages of another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TopicMessageType {
    Normal,
    Fifo,
    Delay,
    Transaction,
    /// A 5.x broker's topic that takes every kind; no TDMQ 5.x type does.
    Mixed,
}

impl TopicMessageType {
    /// The name the broker and the API use: `NORMAL`, `FIFO`, `DELAY`, `TRANSACTION`, `MIXED`.
    pub fn name(self) -> &'static str {
        match self {
            TopicMessageType::Normal => "NORMAL",
            TopicMessageType::Fifo => "FIFO",
            TopicMessageType::Delay => "DELAY",
            TopicMessageType::Transaction => "TRANSACTION",
            TopicMessageType::Mixed => "MIXED",
        }
    }

    /// Reads a name back, in any case.
    pub fn named(s: &str) -> Option<TopicMessageType> {
        [
            TopicMessageType::Normal,
            TopicMessageType::Fifo,
            TopicMessageType::Delay,
            TopicMessageType::Transaction,
            TopicMessageType::Mixed,
        ]
        .into_iter()
        .find(|t| t.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// How producers were seen, which decides how much a gate can trust their absence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProducerSource {
    /// GET_ALL_PRODUCER_INFO (or the cloud equivalent): every producer group on every broker.
    AllProducerInfo,
    /// Asked per producer group named in the plan.
    NamedGroups,
    /// Per topic of the plan, not per group (TDMQ 5.x): see [`Producers::topics`].
    PerTopic,
    /// The cluster cannot list producers.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Producers {
    pub via: ProducerSource,
    /// Per producer group of the plan.
    pub groups: BTreeMap<String, Known<Vec<Client>>>,
    /// Per topic of the plan, where the cluster lists producers by topic.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub topics: BTreeMap<String, Known<Vec<Client>>>,
}

/// What serves a cluster: a self-built one's brokers with their versions, or a cloud product
/// and its edition (whose API reports no server version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Servers {
    /// Each master broker's version as its runtime info says it (`brokerVersionDesc`).
    Brokers(BTreeMap<String, Known<String>>),
    Product(String),
}

/// How many topics and groups an instance holds and may hold (TDMQ 5.x).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    pub topics: Known<u64>,
    pub topic_limit: Known<u64>,
    pub groups: Known<u64>,
    pub group_limit: Known<u64>,
}

impl Snapshot {
    /// An empty snapshot of a cluster that could not be reached.
    pub fn unreachable(
        side: Side,
        cluster: &str,
        kind: &str,
        at: Millis,
        error: impl Into<String>,
    ) -> Snapshot {
        Snapshot {
            side,
            cluster: cluster.to_string(),
            kind: kind.to_string(),
            started_at: at,
            taken_at: at,
            unreachable: Some(error.into()),
            groups: BTreeMap::new(),
            topics: BTreeMap::new(),
            producers: Producers {
                via: ProducerSource::Unavailable,
                groups: BTreeMap::new(),
                topics: BTreeMap::new(),
            },
            errors: vec![],
            routes: BTreeMap::new(),
            pending: Known::unknown("the cluster is unreachable"),
            migration: None,
            capacity: None,
            endpoints: vec![],
            clock_offset_s: None,
            servers: None,
        }
    }

    /// The brokers serving any of these topics now; `None` when a route could not be read.
    pub fn brokers_serving<'t>(
        &self,
        topics: impl IntoIterator<Item = &'t String>,
    ) -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for t in topics {
            match self.routes.get(t) {
                Some(Known::Known(b)) => out.extend(b.iter().cloned()),
                Some(Known::Unknown(_)) => return None,
                None => {}
            }
        }
        Some(out)
    }

    /// Per topic, the most messages any of these groups has not consumed on `broker`.
    pub fn held_on<'g>(
        &self,
        broker: &str,
        groups: impl IntoIterator<Item = &'g str>,
    ) -> BTreeMap<String, u64> {
        let mut held: BTreeMap<String, u64> = BTreeMap::new();
        for g in groups {
            let Some(Known::Known(b)) = self.groups.get(g).map(|s| &s.backlog) else {
                continue;
            };
            for (topic, lag) in &b.per_topic {
                if let Some(n) = lag.per_broker.get(broker) {
                    let e = held.entry(topic.clone()).or_default();
                    *e = (*e).max(*n);
                }
            }
        }
        held
    }

    pub fn is_partial(&self) -> bool {
        !self.errors.is_empty()
    }

    /// How usable the snapshot is at `now`: the one classification gates and screens share.
    pub fn freshness(&self, now: Millis, stale_after: Millis) -> Freshness<'_> {
        let age_ms = self.age(now);
        if let Some(error) = &self.unreachable {
            Freshness::Unreachable { error, age_ms }
        } else if age_ms > stale_after {
            Freshness::Stale {
                age_ms,
                limit_ms: stale_after,
            }
        } else if self.is_partial() {
            Freshness::Partial {
                age_ms,
                errors: &self.errors,
            }
        } else {
            Freshness::Fresh { age_ms }
        }
    }

    pub fn age(&self, now: Millis) -> Millis {
        now.saturating_sub(self.started_at)
    }
}

/// Whether a cluster's latest snapshot can be used: only `Fresh` opens a gate; everything else
/// makes the cluster's numbers unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness<'a> {
    NoData,
    Unreachable {
        error: &'a str,
        age_ms: Millis,
    },
    Stale {
        age_ms: Millis,
        limit_ms: Millis,
    },
    Partial {
        age_ms: Millis,
        errors: &'a [ItemError],
    },
    Fresh {
        age_ms: Millis,
    },
}

impl Freshness<'_> {
    /// The classification of a snapshot that may not have arrived yet.
    pub fn of(snap: Option<&Snapshot>, now: Millis, stale_after: Millis) -> Freshness<'_> {
        snap.map_or(Freshness::NoData, |s| s.freshness(now, stale_after))
    }

    pub fn is_fresh(&self) -> bool {
        matches!(self, Freshness::Fresh { .. })
    }

    /// "fresh", "stale", "partial", "unreachable" or "no data" (`status --json` `state`).
    pub fn word(&self) -> &'static str {
        self.state().word()
    }

    pub fn state(&self) -> SnapshotState {
        match self {
            Freshness::NoData => SnapshotState::NoData,
            Freshness::Unreachable { .. } => SnapshotState::Unreachable,
            Freshness::Stale { .. } => SnapshotState::Stale,
            Freshness::Partial { .. } => SnapshotState::Partial,
            Freshness::Fresh { .. } => SnapshotState::Fresh,
        }
    }

    pub fn age_ms(&self) -> Option<Millis> {
        match *self {
            Freshness::NoData => None,
            Freshness::Unreachable { age_ms, .. }
            | Freshness::Stale { age_ms, .. }
            | Freshness::Partial { age_ms, .. }
            | Freshness::Fresh { age_ms } => Some(age_ms),
        }
    }

    /// Pass only when fresh: anything else is unknown, never a pass and never "blocked".
    pub fn status(&self) -> Status {
        if self.is_fresh() {
            Status::Pass
        } else {
            Status::Unknown
        }
    }
}
