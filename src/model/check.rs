//! What a check or a warning is about, as types. Code matches on these, never on their text; the
//! string ids the journal, `--ack` and `status --json` use are derived from them (and parsed back
//! when a journal is replayed).

use crate::plan::Side;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An earlier step of the wizard that a move needs completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prerequisite {
    Preflight,
    Metadata,
}

impl Prerequisite {
    pub fn name(self) -> &'static str {
        match self {
            Prerequisite::Preflight => "preflight",
            Prerequisite::Metadata => "metadata",
        }
    }
}

/// One condition of a gate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum CheckKind {
    /// The side's snapshot is there, reachable, complete and fresh.
    Fresh {
        side: Side,
    },
    /// An earlier wizard step is complete.
    StepDone {
        step: Prerequisite,
    },
    /// A batch has reached `DONE` (finish needs every batch there).
    BatchDone {
        batch: String,
    },
    TopicExists {
        side: Side,
        topic: String,
    },
    GroupExists {
        side: Side,
        group: String,
    },
    /// At least one consumer of the group online, subscribed to each of the group's topics.
    ConsumersSubscribed {
        side: Side,
        group: String,
    },
    /// No consumer of the group left.
    NoConsumers {
        side: Side,
        group: String,
    },
    /// At least one producer of the group online.
    ProducersOnline {
        side: Side,
        group: String,
    },
    /// No producer of the group left.
    NoProducers {
        side: Side,
        group: String,
    },
    /// At least one producer of the topic online (a cluster that lists producers per topic).
    TopicProducersOnline {
        side: Side,
        topic: String,
    },
    /// No producer of the topic left.
    NoTopicProducers {
        side: Side,
        topic: String,
    },
    /// The group's backlog, retry topic included, at or under the plan's limit.
    BacklogAtMost {
        side: Side,
        group: String,
    },
    /// The batch quiet (no new message, backlog within the limit) for the settle window.
    Settled {
        side: Side,
        batch: String,
    },
    /// A broker once seen serving the batch's topics still serves them (or was retired by the
    /// operator): one that left may hold messages nobody can see.
    BrokerInRoute {
        side: Side,
        broker: String,
    },
    /// A broker holds no message still on its way to a topic (scheduled, timer, transactional
    /// half): any of them may be the batch's.
    NothingPending {
        side: Side,
        broker: String,
    },
    /// A broker holds no unresolved transactional half message: the broker checks back with a
    /// producer of its group, which must still be connected there.
    HalfResolved {
        side: Side,
        broker: String,
    },
    /// The cluster's pending messages could be read at all.
    PendingRead {
        side: Side,
    },
    /// Only the batch's groups (and groups the plan leaves behind) consume the topic.
    OnlyPlannedConsumers {
        side: Side,
        topic: String,
    },
    /// The group consumes no topic outside its batch.
    OnlyBatchTopics {
        side: Side,
        group: String,
    },
    /// The group's target consumers receive at least what its source consumers receive of
    /// the topic (their subscription expressions).
    FiltersCover {
        group: String,
        topic: String,
    },
    /// Every read the gates need was answered by the cluster, on every broker (the account's
    /// rights tried before the night needs them).
    ReadsAnswered {
        side: Side,
    },
    /// The local clock agrees with the cluster's API (TDMQ refuses signatures 5 minutes off).
    ClockAgrees {
        side: Side,
    },
    /// What serves the cluster is known: its brokers and their versions, or its product.
    Servers {
        side: Side,
    },
    /// The cluster has room for the topics or groups the plan creates there.
    Capacity {
        side: Side,
        of: Counted,
    },
    /// The vendor's migration task holds the topic at the batch's stage (and its health check
    /// passed, before it is moved on).
    TaskStage {
        topic: String,
    },
}

/// What a capacity counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counted {
    Topics,
    Groups,
}

impl Counted {
    pub fn name(self) -> &'static str {
        match self {
            Counted::Topics => "topics",
            Counted::Groups => "groups",
        }
    }
}

impl CheckKind {
    /// The stable id: `fresh:source`, `target-consumers:G_A`, ... (journal and JSON).
    pub fn id(&self) -> String {
        use CheckKind::*;
        match self {
            Fresh { side } => format!("fresh:{side}"),
            StepDone { step } => format!("{}-done", step.name()),
            BatchDone { batch } => format!("batch-done:{batch}"),
            TopicExists { side, topic } => format!("{side}-topic-exists:{topic}"),
            GroupExists { side, group } => format!("{side}-group-exists:{group}"),
            ConsumersSubscribed { side, group } | NoConsumers { side, group } => {
                format!("{side}-consumers:{group}")
            }
            ProducersOnline { side, group } | NoProducers { side, group } => {
                format!("{side}-producers:{group}")
            }
            TopicProducersOnline { side, topic } | NoTopicProducers { side, topic } => {
                format!("{side}-topic-producers:{topic}")
            }
            BacklogAtMost { side, group } => format!("{side}-backlog:{group}"),
            Settled { side, batch } => format!("{side}-settled:{batch}"),
            BrokerInRoute { side, broker } => format!("{side}-broker:{broker}"),
            NothingPending { side, broker } => format!("{side}-pending:{broker}"),
            HalfResolved { side, broker } => format!("{side}-half:{broker}"),
            PendingRead { side } => format!("{side}-pending"),
            TaskStage { topic } => format!("task-stage:{topic}"),
            Capacity { side, of } => format!("{side}-capacity:{}", of.name()),
            ClockAgrees { side } => format!("{side}-clock"),
            ReadsAnswered { side } => format!("{side}-reads"),
            Servers { side } => format!("{side}-servers"),
            FiltersCover { group, topic } => format!("target-filter:{group}/{topic}"),
            OnlyPlannedConsumers { side, topic } => format!("{side}-consumed-by:{topic}"),
            OnlyBatchTopics { side, group } => format!("{side}-other-topics:{group}"),
        }
    }

    /// The cluster the check reads, if it reads one.
    pub fn side(&self) -> Option<Side> {
        use CheckKind::*;
        match self {
            Fresh { side }
            | TopicExists { side, .. }
            | GroupExists { side, .. }
            | ConsumersSubscribed { side, .. }
            | NoConsumers { side, .. }
            | ProducersOnline { side, .. }
            | NoProducers { side, .. }
            | TopicProducersOnline { side, .. }
            | NoTopicProducers { side, .. }
            | BacklogAtMost { side, .. }
            | Settled { side, .. }
            | BrokerInRoute { side, .. }
            | NothingPending { side, .. }
            | HalfResolved { side, .. }
            | PendingRead { side }
            | OnlyPlannedConsumers { side, .. }
            | OnlyBatchTopics { side, .. }
            | Capacity { side, .. }
            | ClockAgrees { side }
            | Servers { side }
            | ReadsAnswered { side } => Some(*side),
            TaskStage { .. } | FiltersCover { .. } => Some(Side::Target),
            StepDone { .. } | BatchDone { .. } => None,
        }
    }

    /// Reads an id back, for journals written before checks recorded their kind. Those ids do
    /// not say whether consumers or producers were wanted or not: they read as "online".
    pub fn parse(id: &str) -> Option<CheckKind> {
        use CheckKind::*;
        let (head, name) = match id.split_once(':') {
            Some((h, n)) => (h, n.to_string()),
            None => {
                return match id {
                    "preflight-done" => Some(StepDone {
                        step: Prerequisite::Preflight,
                    }),
                    "metadata-done" => Some(StepDone {
                        step: Prerequisite::Metadata,
                    }),
                    _ => None,
                };
            }
        };
        match head {
            "fresh" => Side::named(&name).map(|side| Fresh { side }),
            "batch-done" => Some(BatchDone { batch: name }),
            "task-stage" => Some(TaskStage { topic: name }),
            _ => {
                let (side, what) = head.split_once('-')?;
                let side = Side::named(side)?;
                Some(match what {
                    "topic-exists" => TopicExists { side, topic: name },
                    "group-exists" => GroupExists { side, group: name },
                    "consumers" => ConsumersSubscribed { side, group: name },
                    "producers" => ProducersOnline { side, group: name },
                    "topic-producers" => TopicProducersOnline { side, topic: name },
                    "backlog" => BacklogAtMost { side, group: name },
                    "settled" => Settled { side, batch: name },
                    "capacity" => Capacity {
                        side,
                        of: [Counted::Topics, Counted::Groups]
                            .into_iter()
                            .find(|c| c.name() == name)?,
                    },
                    _ => return None,
                })
            }
        }
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// A hazard that does not lose messages by itself but that the operator must have read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WarningKind {
    OrderedTopic {
        topic: String,
    },
    OrderlyGroup {
        group: String,
    },
    BroadcastGroup {
        group: String,
    },
    OldClient {
        group: String,
    },
    SubscriptionDiff {
        group: String,
    },
    /// The operator attests that an instance of a broadcasting group (`*`: every instance, when
    /// none is online) consumed everything.
    BroadcastDrained {
        group: String,
        client: String,
    },
    /// A cluster does not show a group's subscription expression for a topic: the operator
    /// compares them by hand.
    FilterUnchecked {
        group: String,
        topic: String,
    },
    /// The plan accepts any TLS certificate from the cluster.
    TlsUnverified {
        side: Side,
    },
    /// A cluster's producers of a batch cannot be checked (no producer groups named, or a
    /// cluster that cannot list producers).
    ProducersUnverified {
        side: Side,
        batch: String,
    },
    /// No consumer of the group online to show which topics outside its batch it consumes.
    OtherTopicsUnchecked {
        side: Side,
        group: String,
    },
    /// A cluster that lists producers per topic shows none writing the topic.
    TopicWithoutProducer {
        side: Side,
        topic: String,
    },
    /// Consumers of one group on one cluster subscribe a topic with different expressions.
    ClientsDisagree {
        side: Side,
        group: String,
        topic: String,
    },
    /// The account's right to create the plan's topics and groups on the cluster cannot be
    /// tried without creating them: the metadata step is the first to use it.
    CreateUntried {
        side: Side,
    },
    /// What serves the cluster (brokers and versions) could not be read.
    ServersUnknown {
        side: Side,
    },
}

impl WarningKind {
    /// The id the operator acknowledges (`--ack ordered-topic:ORDER_PAID`).
    pub fn id(&self) -> String {
        use WarningKind::*;
        match self {
            OrderedTopic { topic } => format!("ordered-topic:{topic}"),
            OrderlyGroup { group } => format!("orderly-group:{group}"),
            BroadcastGroup { group } => format!("broadcast-group:{group}"),
            OldClient { group } => format!("old-client:{group}"),
            SubscriptionDiff { group } => format!("subscription-diff:{group}"),
            ClientsDisagree { side, group, topic } => {
                format!("clients-disagree:{side}/{group}/{topic}")
            }
            BroadcastDrained { group, client } => format!("broadcast-drained:{group}/{client}"),
            FilterUnchecked { group, topic } => format!("filter-unchecked:{group}/{topic}"),
            OtherTopicsUnchecked { side, group } => {
                format!("other-topics-unchecked:{side}/{group}")
            }
            ProducersUnverified { side, batch } => format!("producers-unverified:{side}/{batch}"),
            TlsUnverified { side } => format!("tls-unverified:{side}"),
            CreateUntried { side } => format!("create-untried:{side}"),
            ServersUnknown { side } => format!("servers-unknown:{side}"),
            TopicWithoutProducer { side, topic } => {
                format!("topic-without-producer:{side}/{topic}")
            }
        }
    }

    pub fn parse(id: &str) -> Option<WarningKind> {
        use WarningKind::*;
        let (head, name) = id.split_once(':')?;
        let name = name.to_string();
        Some(match head {
            "ordered-topic" => OrderedTopic { topic: name },
            "orderly-group" => OrderlyGroup { group: name },
            "broadcast-group" => BroadcastGroup { group: name },
            "old-client" => OldClient { group: name },
            "subscription-diff" => SubscriptionDiff { group: name },
            "broadcast-drained" => {
                let (group, client) = name.split_once('/')?;
                BroadcastDrained {
                    group: group.to_string(),
                    client: client.to_string(),
                }
            }
            "tls-unverified" => TlsUnverified {
                side: Side::named(&name)?,
            },
            "create-untried" => CreateUntried {
                side: Side::named(&name)?,
            },
            "servers-unknown" => ServersUnknown {
                side: Side::named(&name)?,
            },
            "other-topics-unchecked" | "producers-unverified" | "topic-without-producer" => {
                let (side, name) = name.split_once('/')?;
                let side = Side::named(side)?;
                let name = name.to_string();
                match head {
                    "other-topics-unchecked" => OtherTopicsUnchecked { side, group: name },
                    "topic-without-producer" => TopicWithoutProducer { side, topic: name },
                    _ => ProducersUnverified { side, batch: name },
                }
            }
            "filter-unchecked" => {
                let (group, topic) = name.split_once('/')?;
                FilterUnchecked {
                    group: group.to_string(),
                    topic: topic.to_string(),
                }
            }
            "clients-disagree" => {
                let mut parts = name.splitn(3, '/');
                let side = Side::named(parts.next()?)?;
                ClientsDisagree {
                    side,
                    group: parts.next()?.to_string(),
                    topic: parts.next()?.to_string(),
                }
            }
            _ => return None,
        })
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_as_the_same_kind() {
        let kinds = [
            CheckKind::Fresh { side: Side::Source },
            CheckKind::StepDone {
                step: Prerequisite::Metadata,
            },
            CheckKind::BatchDone {
                batch: "orders".into(),
            },
            CheckKind::TopicExists {
                side: Side::Target,
                topic: "T:X".into(),
            },
            CheckKind::GroupExists {
                side: Side::Target,
                group: "G".into(),
            },
            CheckKind::ConsumersSubscribed {
                side: Side::Target,
                group: "G".into(),
            },
            CheckKind::ProducersOnline {
                side: Side::Source,
                group: "P".into(),
            },
            CheckKind::BacklogAtMost {
                side: Side::Source,
                group: "G".into(),
            },
            CheckKind::Settled {
                side: Side::Target,
                batch: "b".into(),
            },
            CheckKind::TaskStage { topic: "T".into() },
            CheckKind::TopicProducersOnline {
                side: Side::Target,
                topic: "T".into(),
            },
            CheckKind::Capacity {
                side: Side::Target,
                of: Counted::Groups,
            },
        ];
        for k in kinds {
            assert_eq!(CheckKind::parse(&k.id()), Some(k.clone()), "{k}");
        }
        assert_eq!(
            CheckKind::NoConsumers {
                side: Side::Source,
                group: "G".into()
            }
            .id(),
            "source-consumers:G"
        );
        assert_eq!(CheckKind::parse("unsupported-move"), None);
        for w in [
            WarningKind::OldClient { group: "G".into() },
            WarningKind::TopicWithoutProducer {
                side: Side::Target,
                topic: "T".into(),
            },
        ] {
            assert_eq!(WarningKind::parse(&w.id()), Some(w.clone()), "{w}");
        }
        assert_eq!(WarningKind::parse("nonsense"), None);
    }
}
