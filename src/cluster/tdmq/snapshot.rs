//! A TDMQ snapshot from the API's answers, without I/O: one function per kind of answer maps its
//! JSON to the model, and [`assemble`] builds the snapshot from every answer of a poll, deciding
//! what is unknown and why. The shell in `mod.rs` makes the calls.
//!
//! What the fields mean, as tencentcloud-sdk-go's `tencentcloud/tdmq/v20200217/models.go` (HEAD
//! 144f6c8d, blob e4a6c35e) and the tccli api.json (tests/fixtures/tdmq/FIELDS.md) document them:
//! - RocketMQGroup `ConsumerNum` (uint64): online consumers. `TotalAccumulative` (int64,
//!   deprecated): "total backlog" (总堆积数量), nothing said of the retry topic.
//!   `RetryPartitionNum` (nullable): the retry topic's partition count, a setting, not a backlog.
//!   No field of the answer counts the retry backlog, so a group's backlog "retry included" is
//!   unknown (see [`group_backlog`]).
//! - Times: no answer dates its figures. RocketMQGroup `UpdateTime` is when the group was last
//!   modified (ms); TopicStats `LastUpdateTimestamp` and RocketMQTopic `LastUpdateTime` (s) when
//!   a message was last written. None is the time ConsumerNum, TotalAccumulative or MaxOffset
//!   were measured, so ages count from the poll, as for every cluster kind.

use super::KIND;
use super::api::ApiError;
use super::field::{known_count, num, text};
use crate::clock::Millis;
use crate::model::*;
use crate::plan::{Scope, Side};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Every answer of one poll of a cluster that was found, as the API gave it.
pub struct Answers {
    /// DescribeRocketMQGroups of the namespace: `Groups`, every page.
    pub groups: Result<Vec<Value>, ApiError>,
    /// DescribeRocketMQTopics of the namespace: `Topics`, every page.
    pub topics: Result<Vec<Value>, ApiError>,
    /// DescribeRocketMQGroups with `FilterTopic` for each topic of the scope, in the order the
    /// answers came.
    pub subscribers: Vec<(String, Result<Vec<Value>, ApiError>)>,
    /// DescribeRocketMQConsumerConnections' `Connections` for each of [`online_groups`].
    pub connections: BTreeMap<String, Result<Vec<Value>, ApiError>>,
    /// DescribeRocketMQTopicStats for each of [`existing_topics`].
    pub topic_stats: BTreeMap<String, Result<Value, ApiError>>,
}

/// Whether DescribeRocketMQClusters lists the cluster; if not, why the cluster is unreachable.
pub fn cluster_found(answer: &Result<Value, ApiError>, cluster_id: &str) -> Result<(), String> {
    match answer {
        Err(e) => Err(e.to_string()),
        Ok(r)
            if r.get("ClusterList")
                .and_then(Value::as_array)
                .is_none_or(|l| l.is_empty()) =>
        {
            Err(format!(
                "cluster {cluster_id} is not in the cluster list of this region: check cluster_id and region"
            ))
        }
        Ok(_) => Ok(()),
    }
}

/// The addresses DescribeRocketMQClusters reports for the cluster (its first item's `Info`).
pub fn endpoints(clusters: &Value) -> Vec<Endpoint> {
    let info = &clusters["ClusterList"][0]["Info"];
    [("VPC", "VpcEndPoint"), ("PUBLIC", "PublicEndPoint")]
        .into_iter()
        .filter_map(|(network, key)| {
            let address = text(info, key);
            (!address.is_empty()).then(|| Endpoint {
                network: network.into(),
                address,
            })
        })
        .collect()
}

/// What serves the cluster, as DescribeRocketMQClusters' `Info` says: the product, exclusive
/// (`IsVip`) or shared. The API reports no server version.
pub fn servers(clusters: &Value) -> Servers {
    let kind = match clusters["ClusterList"][0]["Info"]["IsVip"].as_bool() {
        Some(true) => ", exclusive cluster",
        Some(false) => ", shared cluster",
        None => "",
    };
    Servers::Product(format!(
        "TDMQ for RocketMQ 4.x{kind} (the API reports no server version)"
    ))
}

/// The cluster's topic and group counts and limits, from DescribeRocketMQClusters' `Config`
/// (UsedTopicNum of MaxTopicNum, UsedGroupNum of MaxGroupNum).
pub fn capacity(clusters: &Value) -> Capacity {
    let config = &clusters["ClusterList"][0]["Config"];
    let of = "the cluster";
    Capacity {
        topics: known_count(config, "UsedTopicNum", of),
        topic_limit: known_count(config, "MaxTopicNum", of),
        groups: known_count(config, "UsedGroupNum", of),
        group_limit: known_count(config, "MaxGroupNum", of),
    }
}

/// The items of a list answer by `Name`; of two with one name, the later wins.
fn by_name(list: &[Value]) -> BTreeMap<String, &Value> {
    list.iter().map(|v| (text(v, "Name"), v)).collect()
}

/// The scope's groups worth asking for consumer connections: those the groups answer says have
/// consumers online.
pub fn online_groups(scope: &Scope, groups: &Result<Vec<Value>, ApiError>) -> Vec<String> {
    let Ok(list) = groups else {
        return vec![];
    };
    let listed = by_name(list);
    scope
        .groups
        .iter()
        .map(|g| g.name.clone())
        .filter(|g| {
            listed
                .get(g)
                .is_some_and(|v| consumer_num(g, v).known().is_some_and(|n| *n > 0))
        })
        .collect()
}

/// The scope's topics worth asking for stats: those the topics answer lists.
pub fn existing_topics(scope: &Scope, topics: &Result<Vec<Value>, ApiError>) -> Vec<String> {
    let Ok(list) = topics else {
        return vec![];
    };
    let listed = by_name(list);
    scope
        .topics
        .iter()
        .filter(|t| listed.contains_key(*t))
        .cloned()
        .collect()
}

/// Which topics each group subscribes to, from the groups listed per topic, and the error of the
/// last failed answer: one missing topic leaves every group's subscriptions incomplete.
pub fn subscriptions(
    answers: &[(String, Result<Vec<Value>, ApiError>)],
) -> (BTreeMap<String, Subscriptions>, Option<String>) {
    let mut subscribed: BTreeMap<String, Subscriptions> = BTreeMap::new();
    let mut error = None;
    for (topic, r) in answers {
        match r {
            Ok(list) => {
                for g in list {
                    subscribed.entry(text(g, "Name")).or_default().insert(
                        topic.clone(),
                        Expressions::NotShown(
                            "the TDMQ 4.x API lists a group's topics, not its expressions".into(),
                        ),
                    );
                }
            }
            Err(e) => error = Some(e.to_string()),
        }
    }
    (subscribed, error)
}

/// The groups the API lists for a topic (DescribeRocketMQGroups with `FilterTopic`).
fn consumed_by(
    answers: &[(String, Result<Vec<Value>, ApiError>)],
    topic: &str,
) -> Known<BTreeSet<String>> {
    match answers.iter().find(|(t, _)| t == topic) {
        Some((_, Ok(list))) => Known::Known(list.iter().map(|g| text(g, "Name")).collect()),
        Some((_, Err(e))) => Known::unknown(e.to_string()),
        None => Known::unknown(format!("the groups of {topic} were not asked for")),
    }
}

/// How a listed group consumes, as the API tells it per group: `ConsumptionMode` (0 clustering,
/// 1 broadcasting, -1 unknown). `BroadcastEnabled` only allows broadcasting; unknown when the
/// answer leaves the mode out or does not know it.
pub fn message_model(group: &Value) -> Option<MessageModel> {
    match group.get("ConsumptionMode").and_then(Value::as_i64) {
        Some(0) => Some(MessageModel::Clustering),
        Some(1) => Some(MessageModel::Broadcasting),
        _ => None,
    }
}

/// The clients of a DescribeRocketMQConsumerConnections answer (its `Connections`).
pub fn clients(connections: &[Value], model: Option<MessageModel>) -> Vec<Client> {
    connections
        .iter()
        .map(|c| Client {
            client_id: text(c, "ClientId"),
            addr: text(c, "ClientAddr"),
            language: text(c, "Language"),
            version: Some(text(c, "Version")).filter(|s| !s.is_empty()),
            message_model: model,
        })
        .collect()
}

/// A listed group's online consumer count, from the groups answer.
pub fn consumer_num(name: &str, group: &Value) -> Known<u64> {
    known_count(group, "ConsumerNum", &format!("group {name}"))
}

/// A listed group's consumers: `ConsumerNum` says whether any is online, the connections answer
/// (asked only when some are) who they are.
pub fn group_consumers(
    name: &str,
    group: &Value,
    connections: Option<&Result<Vec<Value>, ApiError>>,
) -> Known<Vec<Client>> {
    match (consumer_num(name, group), connections) {
        (Known::Unknown(why), _) => Known::Unknown(why),
        (Known::Known(0), _) => Known::Known(vec![]),
        (Known::Known(_), Some(Ok(list))) => Known::Known(clients(list, message_model(group))),
        (Known::Known(_), Some(Err(e))) => Known::unknown(e.to_string()),
        (Known::Known(n), None) => Known::unknown(format!(
            "group {name} has {n} consumer(s) online but their connections were not read"
        )),
    }
}

/// A listed group's backlog, retry topic included, as the groups answer gives it: unknown in
/// every case, because `TotalAccumulative` is a total that is not said to include the retry
/// topic and no field gives the retry backlog (see the module's notes). The reason keeps the
/// figure the API gave, so an operator sees it without a gate counting it.
pub fn group_backlog(name: &str, group: &Value) -> Known<Backlog> {
    match known_count(group, "TotalAccumulative", &format!("group {name}")) {
        Known::Unknown(why) => Known::Unknown(why),
        Known::Known(total) => Known::unknown(format!(
            "the API gives no retry backlog for group {name}: its TotalAccumulative {total} is not said to include %RETRY%{name}"
        )),
    }
}

/// The sum of the queues' max offsets in a DescribeRocketMQTopicStats answer: unknown when the
/// list or any queue's `MaxOffset` is missing, since a queue left out would read as no message.
pub fn max_offset(topic: &str, stats: &Value) -> Known<u64> {
    let Some(queues) = stats.get("TopicStatsList").and_then(Value::as_array) else {
        return Known::unknown(format!("the API gives no TopicStatsList for topic {topic}"));
    };
    let mut sum = 0u64;
    for q in queues {
        let queue = num(q, "QueueId").map_or("?".to_string(), |i| i.to_string());
        let of = format!(
            "queue {queue} of broker {} of topic {topic}",
            text(q, "BrokerName")
        );
        match known_count(q, "MaxOffset", &of) {
            Known::Known(m) => sum = sum.saturating_add(m),
            Known::Unknown(why) => return Known::Unknown(why),
        }
    }
    Known::Known(sum)
}

/// A topic the topics answer lists. TDMQ has one partition count for reads and writes; without
/// one the config is not known.
pub fn listed_topic(v: &Value, max_offset: Known<u64>) -> TopicState {
    let kind = text(v, "Type");
    let order = matches!(kind.as_str(), "GlobalOrder" | "PartitionedOrder");
    let message_type = match kind.as_str() {
        "Normal" => Some(TopicMessageType::Normal),
        "GlobalOrder" | "PartitionedOrder" => Some(TopicMessageType::Fifo),
        "Transaction" => Some(TopicMessageType::Transaction),
        _ => None,
    };
    let config = setting(v, "PartitionNum").map(|q| TopicConfig {
        read_queues: q,
        write_queues: q,
        perm: 6,
        order,
        message_type,
    });
    TopicState {
        exists: Known::Known(true),
        consumed_by: Known::unknown("not read"),
        max_offset,
        config,
    }
}

/// A listed group's settings, only when the answer gives each of them (`RetryPartitionNum` and
/// `RetryMaxTimes` are nullable): a default would show a setting the cluster did not report.
pub fn group_config(v: &Value) -> Option<GroupConfig> {
    Some(GroupConfig {
        broadcast: v.get("BroadcastEnabled").and_then(Value::as_bool)?,
        orderly: false,
        retry_queues: Some(setting(v, "RetryPartitionNum")?),
        retry_max_times: i32::try_from(setting(v, "RetryMaxTimes")?).ok()?,
    })
}

/// A numeric setting (a partition or retry count): none when absent, null or out of range.
fn setting(v: &Value, k: &str) -> Option<u32> {
    num(v, k).and_then(|n| u32::try_from(n).ok())
}

/// A group the groups answer lists: its backlog, config and rate from that answer; consumers and
/// subscriptions come from other answers.
pub fn listed_group(
    name: &str,
    v: &Value,
    consumers: Known<Vec<Client>>,
    subscriptions: Known<Subscriptions>,
) -> GroupState {
    GroupState {
        exists: Known::Known(true),
        backlog: group_backlog(name, v),
        consumers,
        subscriptions,
        config: group_config(v),
        consume_tps: num(v, "TPS").map(|x| x as f64),
    }
}

/// The producer groups of the scope: the 4.x API lists no producer connections.
pub fn producers(scope: &Scope) -> Producers {
    Producers {
        via: ProducerSource::Unavailable,
        groups: scope
            .producer_groups
            .iter()
            .map(|p| {
                (
                    p.clone(),
                    Known::unknown("the TDMQ API does not list producer connections"),
                )
            })
            .collect(),
        topics: BTreeMap::new(),
    }
}

/// The snapshot of the scope from a poll's answers. Each failed answer is an item error and
/// makes what it would have told unknown, never zero. `taken_at` is `started`: the shell stamps
/// the end of the poll.
pub fn assemble(
    side: Side,
    label: &str,
    started: Millis,
    scope: &Scope,
    answers: Answers,
) -> Snapshot {
    let mut errors = vec![];
    let groups = answers
        .groups
        .as_ref()
        .map(|l| by_name(l))
        .map_err(|e| e.to_string());
    let topics = answers
        .topics
        .as_ref()
        .map(|l| by_name(l))
        .map_err(|e| e.to_string());
    if let Err(e) = &groups {
        errors.push(ItemError {
            item: "consumer groups".into(),
            error: e.clone(),
        });
    }
    if let Err(e) = &topics {
        errors.push(ItemError {
            item: "topics".into(),
            error: e.clone(),
        });
    }
    for (topic, r) in &answers.subscribers {
        if let Err(e) = r {
            errors.push(ItemError {
                item: format!("subscribers of {topic}"),
                error: e.to_string(),
            });
        }
    }
    let (subscribed, subs_error) = subscriptions(&answers.subscribers);

    // An empty snapshot of a reachable cluster, filled below.
    let mut snap = Snapshot::unreachable(side, label, KIND, started, String::new());
    snap.unreachable = None;
    snap.pending = Known::unknown("the TDMQ API does not show scheduled or half messages");
    for t in &scope.topics {
        let state = match &topics {
            Err(e) => TopicState::unknown(e),
            Ok(m) => match m.get(t) {
                None => TopicState::absent(),
                Some(v) => {
                    let max = match answers.topic_stats.get(t) {
                        Some(Ok(s)) => max_offset(t, s),
                        Some(Err(e)) => {
                            errors.push(ItemError {
                                item: format!("topic {t} offsets"),
                                error: e.to_string(),
                            });
                            Known::unknown(e.to_string())
                        }
                        None => Known::unknown("not read"),
                    };
                    TopicState {
                        consumed_by: consumed_by(&answers.subscribers, t),
                        ..listed_topic(v, max)
                    }
                }
            },
        };
        snap.topics.insert(t.clone(), state);
    }
    for g in &scope.groups {
        let state = match &groups {
            Err(e) => GroupState::unknown(e),
            Ok(m) => match m.get(&g.name) {
                None => GroupState::absent(),
                Some(v) => {
                    let connections = answers.connections.get(&g.name);
                    if let Some(Err(e)) = connections {
                        errors.push(ItemError {
                            item: format!("group {} consumers", g.name),
                            error: e.to_string(),
                        });
                    }
                    let consumers = group_consumers(&g.name, v, connections);
                    let subscriptions = match &subs_error {
                        Some(e) => Known::unknown(e.clone()),
                        None => Known::Known(subscribed.get(&g.name).cloned().unwrap_or_default()),
                    };
                    listed_group(&g.name, v, consumers, subscriptions)
                }
            },
        };
        snap.groups.insert(g.name.clone(), state);
    }
    snap.producers = producers(scope);
    snap.errors = errors;
    snap
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::GroupPlan;
    use serde_json::json;

    const CLUSTERS: &str =
        include_str!("../../../tests/fixtures/tdmq/DescribeRocketMQClusters.response.json");
    const GROUPS: &str =
        include_str!("../../../tests/fixtures/tdmq/DescribeRocketMQGroups.response.json");
    const TOPICS: &str =
        include_str!("../../../tests/fixtures/tdmq/DescribeRocketMQTopics.response.json");
    const STATS: &str =
        include_str!("../../../tests/fixtures/tdmq/DescribeRocketMQTopicStats.response.json");
    const CONNECTIONS: &str = include_str!(
        "../../../tests/fixtures/tdmq/DescribeRocketMQConsumerConnections.response.json"
    );

    /// A fixture's `Response`, as `Api::read` hands it over.
    fn response(body: &str) -> Value {
        serde_json::from_str::<Value>(body).unwrap()["Response"].clone()
    }

    /// A fixture's list, as `Api::read_all` hands it over.
    fn list(body: &str, key: &str) -> Vec<Value> {
        response(body)[key].as_array().unwrap().clone()
    }

    fn scope(topics: &[&str], groups: &[&str], producers: &[&str]) -> Scope {
        Scope {
            topics: topics.iter().map(|t| t.to_string()).collect(),
            groups: groups
                .iter()
                .map(|g| GroupPlan {
                    name: g.to_string(),
                    topics: vec![],
                })
                .collect(),
            producer_groups: producers.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn no_answer(action: &str) -> ApiError {
        ApiError::Transport {
            action: action.into(),
            error: "connection refused".into(),
        }
    }

    fn refused(action: &str) -> ApiError {
        ApiError::Service {
            action: action.into(),
            code: "FailedOperation".into(),
            message: "busy".into(),
            request_id: "r-1".into(),
            hint: String::new(),
        }
    }

    /// The API's examples: test_topic and test_group exist, T_NEW and G_NEW do not.
    fn examples() -> Answers {
        Answers {
            groups: Ok(list(GROUPS, "Groups")),
            topics: Ok(list(TOPICS, "Topics")),
            subscribers: vec![
                ("test_topic".into(), Ok(list(GROUPS, "Groups"))),
                ("T_NEW".into(), Ok(vec![])),
            ],
            connections: BTreeMap::from([(
                "test_group".into(),
                Ok(list(CONNECTIONS, "Connections")),
            )]),
            topic_stats: BTreeMap::from([("test_topic".into(), Ok(response(STATS)))]),
        }
    }

    /// What the example group's backlog is: the API's total is not said to include retries.
    const NO_RETRY: &str = "the API gives no retry backlog for group test_group: its TotalAccumulative 380 is not said to include %RETRY%test_group";

    fn plan_scope() -> Scope {
        scope(
            &["test_topic", "T_NEW"],
            &["test_group", "G_NEW"],
            &["P_ORDERS"],
        )
    }

    fn absent_group() -> GroupState {
        GroupState {
            exists: Known::Known(false),
            backlog: Known::unknown("the group does not exist on this cluster"),
            consumers: Known::Known(vec![]),
            subscriptions: Known::Known(Subscriptions::new()),
            config: None,
            consume_tps: None,
        }
    }

    fn absent_topic() -> TopicState {
        TopicState {
            exists: Known::Known(false),
            consumed_by: Known::Known(BTreeSet::new()),
            max_offset: Known::Known(0),
            config: None,
        }
    }

    #[test]
    fn servers_say_the_product_and_whether_exclusive() {
        assert_eq!(
            servers(&response(CLUSTERS)),
            Servers::Product(
                "TDMQ for RocketMQ 4.x, exclusive cluster (the API reports no server version)"
                    .into()
            )
        );
        let shared = json!({ "ClusterList": [{ "Info": { "IsVip": false } }] });
        assert_eq!(
            servers(&shared),
            Servers::Product(
                "TDMQ for RocketMQ 4.x, shared cluster (the API reports no server version)".into()
            )
        );
    }

    #[test]
    fn the_cluster_list_decides_whether_the_cluster_is_reachable() {
        let id = "rocketmq-a52qova7x97b";
        assert_eq!(cluster_found(&Ok(response(CLUSTERS)), id), Ok(()));
        let not_listed = Err(format!(
            "cluster {id} is not in the cluster list of this region: check cluster_id and region"
        ));
        assert_eq!(
            cluster_found(&Ok(json!({ "ClusterList": [], "TotalCount": 0 })), id),
            not_listed
        );
        assert_eq!(
            cluster_found(&Ok(json!({ "RequestId": "r" })), id),
            not_listed
        );
        assert_eq!(
            cluster_found(&Err(no_answer("DescribeRocketMQClusters")), id),
            Err(
                "DescribeRocketMQClusters: no answer from the Tencent Cloud API: connection refused"
                    .into()
            )
        );
    }

    #[test]
    fn only_listed_groups_with_consumers_online_and_listed_topics_are_asked_further() {
        let s = plan_scope();
        let e = examples();
        // The example group counts ConsumerNum 1.
        assert_eq!(online_groups(&s, &e.groups), vec!["test_group".to_string()]);
        assert_eq!(
            existing_topics(&s, &e.topics),
            vec!["test_topic".to_string()]
        );

        let idle = Ok(vec![json!({ "Name": "test_group", "ConsumerNum": 0 })]);
        assert_eq!(online_groups(&s, &idle), Vec::<String>::new());
        let uncounted = Ok(vec![json!({ "Name": "test_group" })]);
        assert_eq!(online_groups(&s, &uncounted), Vec::<String>::new());
        let failed = Err(no_answer("DescribeRocketMQGroups"));
        assert_eq!(online_groups(&s, &failed), Vec::<String>::new());
        assert_eq!(existing_topics(&s, &failed), Vec::<String>::new());
    }

    #[test]
    fn the_examples_make_a_complete_snapshot() {
        let snap = assemble(Side::Target, "tdmq-prod", 1_000, &plan_scope(), examples());

        assert_eq!(snap.side, Side::Target);
        assert_eq!(snap.cluster, "tdmq-prod");
        assert_eq!(snap.kind, "tdmq");
        assert_eq!((snap.started_at, snap.taken_at), (1_000, 1_000));
        assert_eq!(snap.unreachable, None);
        assert_eq!(snap.errors, vec![]);
        assert_eq!(snap.migration, None);
        assert_eq!(
            snap.topics,
            BTreeMap::from([
                (
                    "test_topic".to_string(),
                    TopicState {
                        exists: Known::Known(true),
                        consumed_by: Known::Known(BTreeSet::from(["test_group".to_string()])),
                        // The one queue of DescribeRocketMQTopicStats' example.
                        max_offset: Known::Known(100),
                        config: Some(TopicConfig {
                            read_queues: 3,
                            write_queues: 3,
                            perm: 6,
                            order: false,
                            message_type: Some(TopicMessageType::Normal),
                        }),
                    }
                ),
                ("T_NEW".to_string(), absent_topic()),
            ])
        );
        assert_eq!(
            snap.groups,
            BTreeMap::from([
                (
                    "test_group".to_string(),
                    GroupState {
                        exists: Known::Known(true),
                        // TotalAccumulative of the groups list (not of the connections answer,
                        // 300), kept in the reason: no retry figure, so no backlog.
                        backlog: Known::unknown(NO_RETRY),
                        consumers: Known::Known(vec![Client {
                            client_id: "9.43.174.90@18834#7187709773375173".into(),
                            addr: "9.43.174.90".into(),
                            language: "JAVA".into(),
                            version: Some("V4.9.7".into()),
                            // The example says ConsumptionMode -1: not known.
                            message_model: None,
                        }]),
                        subscriptions: Known::Known(Subscriptions::from([(
                            "test_topic".to_string(),
                            Expressions::NotShown(
                                "the TDMQ 4.x API lists a group's topics, not its expressions"
                                    .into(),
                            ),
                        )])),
                        config: Some(GroupConfig {
                            broadcast: false,
                            orderly: false,
                            retry_queues: Some(1),
                            retry_max_times: 10,
                        }),
                        consume_tps: Some(20.0),
                    }
                ),
                ("G_NEW".to_string(), absent_group()),
            ])
        );
        assert_eq!(
            snap.producers,
            Producers {
                via: ProducerSource::Unavailable,
                groups: BTreeMap::from([(
                    "P_ORDERS".to_string(),
                    Known::unknown("the TDMQ API does not list producer connections"),
                )]),
                topics: BTreeMap::new(),
            }
        );
    }

    #[test]
    fn failed_lists_make_every_item_unknown_with_the_reason() {
        let groups_down =
            "DescribeRocketMQGroups: no answer from the Tencent Cloud API: connection refused";
        let topics_refused =
            "DescribeRocketMQTopics failed with FailedOperation: busy (RequestId r-1)";
        let answers = Answers {
            groups: Err(no_answer("DescribeRocketMQGroups")),
            topics: Err(refused("DescribeRocketMQTopics")),
            ..examples()
        };
        let snap = assemble(Side::Target, "t", 0, &plan_scope(), answers);

        assert_eq!(snap.unreachable, None);
        assert_eq!(
            snap.errors,
            vec![
                ItemError {
                    item: "consumer groups".into(),
                    error: groups_down.into(),
                },
                ItemError {
                    item: "topics".into(),
                    error: topics_refused.into(),
                },
            ]
        );
        for t in ["test_topic", "T_NEW"] {
            assert_eq!(
                snap.topics[t],
                TopicState {
                    exists: Known::unknown(topics_refused),
                    consumed_by: Known::unknown(topics_refused),
                    max_offset: Known::unknown(topics_refused),
                    config: None,
                },
                "{t}"
            );
        }
        for g in ["test_group", "G_NEW"] {
            assert_eq!(
                snap.groups[g],
                GroupState {
                    exists: Known::unknown(groups_down),
                    backlog: Known::unknown(groups_down),
                    consumers: Known::unknown(groups_down),
                    subscriptions: Known::unknown(groups_down),
                    config: None,
                    consume_tps: None,
                },
                "{g}"
            );
        }
    }

    #[test]
    fn a_failed_item_answer_makes_that_item_unknown_never_zero() {
        let stats_down =
            "DescribeRocketMQTopicStats: no answer from the Tencent Cloud API: connection refused";
        let conns_refused =
            "DescribeRocketMQConsumerConnections failed with FailedOperation: busy (RequestId r-1)";
        let subs_down =
            "DescribeRocketMQGroups: no answer from the Tencent Cloud API: connection refused";
        let answers = Answers {
            subscribers: vec![
                ("test_topic".into(), Ok(list(GROUPS, "Groups"))),
                ("T_NEW".into(), Err(no_answer("DescribeRocketMQGroups"))),
            ],
            connections: BTreeMap::from([(
                "test_group".into(),
                Err(refused("DescribeRocketMQConsumerConnections")),
            )]),
            topic_stats: BTreeMap::from([(
                "test_topic".into(),
                Err(no_answer("DescribeRocketMQTopicStats")),
            )]),
            ..examples()
        };
        let snap = assemble(Side::Target, "t", 0, &plan_scope(), answers);

        assert_eq!(
            snap.errors,
            vec![
                ItemError {
                    item: "subscribers of T_NEW".into(),
                    error: subs_down.into(),
                },
                ItemError {
                    item: "topic test_topic offsets".into(),
                    error: stats_down.into(),
                },
                ItemError {
                    item: "group test_group consumers".into(),
                    error: conns_refused.into(),
                },
            ]
        );
        let topic = &snap.topics["test_topic"];
        assert_eq!(topic.exists, Known::Known(true));
        assert_eq!(topic.max_offset, Known::unknown(stats_down));
        let group = &snap.groups["test_group"];
        assert_eq!(group.exists, Known::Known(true));
        assert_eq!(group.backlog, Known::unknown(NO_RETRY));
        assert_eq!(group.consumers, Known::unknown(conns_refused));
        // One topic's subscribers missing leaves every listed group's subscriptions incomplete.
        assert_eq!(group.subscriptions, Known::unknown(subs_down));
        // A group that does not exist subscribes to nothing, whatever failed.
        assert_eq!(snap.groups["G_NEW"], absent_group());
    }

    #[test]
    fn the_last_failed_subscribers_answer_is_the_reason() {
        let answers = [
            ("A".to_string(), Err(no_answer("first"))),
            ("B".to_string(), Ok(vec![json!({ "Name": "G1" })])),
            ("C".to_string(), Err(no_answer("second"))),
        ];
        let (by_group, error) = subscriptions(&answers);
        assert_eq!(
            (by_group.iter())
                .map(|(g, subs)| (g.as_str(), subs.keys().cloned().collect::<Vec<_>>()))
                .collect::<Vec<_>>(),
            [("G1", vec!["B".to_string()])]
        );
        assert_eq!(
            error.as_deref(),
            Some("second: no answer from the Tencent Cloud API: connection refused")
        );
    }

    #[test]
    fn a_group_without_a_backlog_has_an_unknown_backlog_not_zero() {
        let consumers = Known::Known(vec![]);
        let subs = Known::Known(Subscriptions::new());
        let bare = listed_group(
            "G",
            &json!({ "Name": "G" }),
            consumers.clone(),
            subs.clone(),
        );
        assert_eq!(
            bare,
            GroupState {
                exists: Known::Known(true),
                backlog: Known::unknown("the API gives no TotalAccumulative for group G"),
                consumers: consumers.clone(),
                subscriptions: subs.clone(),
                // No setting the answer left out is filled in with a default.
                config: None,
                consume_tps: None,
            }
        );
        let negative = listed_group(
            "G",
            &json!({ "Name": "G", "TotalAccumulative": -1 }),
            consumers.clone(),
            subs.clone(),
        );
        assert_eq!(
            negative.backlog,
            Known::unknown("the API gives TotalAccumulative -1 for group G, not a count")
        );
        let null = listed_group(
            "G",
            &json!({ "Name": "G", "TotalAccumulative": null }),
            consumers,
            subs,
        );
        assert_eq!(
            null.backlog,
            Known::unknown("the API gives no TotalAccumulative for group G")
        );
    }

    #[test]
    fn a_total_without_a_retry_figure_is_no_backlog_and_no_zero_retry() {
        // Before: Known(Backlog { total: 0, per_topic: {} }), whose retry() read as 0.
        let drained = json!({ "Name": "G", "TotalAccumulative": 0, "RetryPartitionNum": 1 });
        let b = group_backlog("G", &drained);
        assert_eq!(b.known(), None);
        assert_eq!(
            b.reason(),
            Some(
                "the API gives no retry backlog for group G: its TotalAccumulative 0 is not said to include %RETRY%G"
            )
        );
        let snap = assemble(Side::Target, "t", 0, &plan_scope(), examples());
        let g = &snap.groups["test_group"];
        assert_eq!(g.backlog, Known::unknown(NO_RETRY));
        // Nothing unknown about the poll itself: the snapshot is complete, the number is not.
        assert_eq!(snap.errors, vec![]);
    }

    #[test]
    fn settings_are_read_only_when_the_answer_gives_them() {
        let full = json!({ "BroadcastEnabled": true, "RetryPartitionNum": 2, "RetryMaxTimes": 3 });
        assert_eq!(
            group_config(&full),
            Some(GroupConfig {
                broadcast: true,
                orderly: false,
                retry_queues: Some(2),
                retry_max_times: 3,
            })
        );
        for missing in ["BroadcastEnabled", "RetryPartitionNum", "RetryMaxTimes"] {
            let mut v = full.clone();
            v[missing] = Value::Null;
            assert_eq!(group_config(&v), None, "{missing} null");
            if let Some(o) = v.as_object_mut() {
                o.remove(missing);
            }
            assert_eq!(group_config(&v), None, "{missing} absent");
        }
    }

    #[test]
    fn a_broadcast_group_gives_its_clients_the_broadcasting_model() {
        let group = json!({ "Name": "G", "ConsumptionMode": 1, "BroadcastEnabled": true, "TotalAccumulative": 0, "RetryPartitionNum": 2, "RetryMaxTimes": 3, "TPS": 1.5 });
        let model = message_model(&group);
        assert_eq!(model, Some(MessageModel::Broadcasting));
        // Broadcasting allowed (on by default) says nothing of how it consumes.
        assert_eq!(
            message_model(&json!({ "ConsumptionMode": 0, "BroadcastEnabled": true })),
            Some(MessageModel::Clustering)
        );
        // Not said, or -1: not assumed clustering.
        assert_eq!(message_model(&json!({ "BroadcastEnabled": false })), None);
        assert_eq!(message_model(&json!({ "ConsumptionMode": -1 })), None);
        let conns = [
            json!({ "ClientId": "c1", "ClientAddr": "10.0.0.1", "Language": "JAVA", "Version": "" }),
        ];
        assert_eq!(
            clients(&conns, model),
            vec![Client {
                client_id: "c1".into(),
                addr: "10.0.0.1".into(),
                language: "JAVA".into(),
                version: None,
                message_model: Some(MessageModel::Broadcasting),
            }]
        );
        let state = listed_group(
            "G",
            &group,
            Known::Known(vec![]),
            Known::Known(Subscriptions::new()),
        );
        assert_eq!(
            state.config,
            Some(GroupConfig {
                broadcast: true,
                orderly: false,
                retry_queues: Some(2),
                retry_max_times: 3,
            })
        );
        // TPS is read only as an integer.
        assert_eq!(state.consume_tps, None);
    }

    #[test]
    fn max_offsets_add_up_over_queues_and_a_missing_one_is_unknown() {
        let stats = json!({ "TopicStatsList": [
            { "QueueId": 0, "MaxOffset": 100 },
            { "QueueId": 1, "MaxOffset": 25 },
        ]});
        assert_eq!(max_offset("T", &stats), Known::Known(125));
        assert_eq!(
            max_offset("test_topic", &response(STATS)),
            Known::Known(100)
        );
        // Before: an answer without the list read as no message (0).
        assert_eq!(
            max_offset("T", &json!({ "RequestId": "r" })),
            Known::unknown("the API gives no TopicStatsList for topic T")
        );
        assert_eq!(
            max_offset("T", &json!({ "TopicStatsList": null })),
            Known::unknown("the API gives no TopicStatsList for topic T")
        );
        // Before: a queue without MaxOffset was left out of the sum, a negative one read as 0.
        let gap = json!({ "TopicStatsList": [
            { "QueueId": 0, "MaxOffset": 100 },
            { "BrokerName": "b-1", "QueueId": 3 },
        ]});
        assert_eq!(
            max_offset("T", &gap),
            Known::unknown("the API gives no MaxOffset for queue 3 of broker b-1 of topic T")
        );
        let negative =
            json!({ "TopicStatsList": [{ "BrokerName": "b-1", "QueueId": 2, "MaxOffset": -5 }] });
        assert_eq!(
            max_offset("T", &negative),
            Known::unknown(
                "the API gives MaxOffset -5 for queue 2 of broker b-1 of topic T, not a count"
            )
        );
        // A list the API gave empty holds no message.
        assert_eq!(
            max_offset("T", &json!({ "TopicStatsList": [] })),
            Known::Known(0)
        );
    }

    #[test]
    fn topic_types_and_partitions_make_the_config() {
        use TopicMessageType::*;
        for (kind, order, message_type) in [
            ("Normal", false, Some(Normal)),
            ("GlobalOrder", true, Some(Fifo)),
            ("PartitionedOrder", true, Some(Fifo)),
            ("Transaction", false, Some(Transaction)),
            ("Retry", false, None),
        ] {
            let t = listed_topic(
                &json!({ "Name": "T", "Type": kind, "PartitionNum": 4 }),
                Known::Known(7),
            );
            assert_eq!(
                t,
                TopicState {
                    exists: Known::Known(true),
                    consumed_by: Known::unknown("not read"),
                    max_offset: Known::Known(7),
                    config: Some(TopicConfig {
                        read_queues: 4,
                        write_queues: 4,
                        perm: 6,
                        order,
                        message_type,
                    }),
                },
                "{kind}"
            );
        }
        // Before: 0 queues, a number the cluster did not give.
        let bare = listed_topic(&json!({ "Name": "T" }), Known::unknown("x"));
        assert_eq!(bare.config, None);
        assert_eq!(bare.exists, Known::Known(true));
        let negative = listed_topic(&json!({ "Name": "T", "PartitionNum": -1 }), Known::Known(0));
        assert_eq!(negative.config, None);
    }

    #[test]
    fn a_listed_topic_whose_stats_were_not_asked_is_not_read() {
        let answers = Answers {
            topic_stats: BTreeMap::new(),
            ..examples()
        };
        let snap = assemble(Side::Source, "s", 0, &plan_scope(), answers);
        assert_eq!(
            snap.topics["test_topic"].max_offset,
            Known::unknown("not read")
        );
        assert_eq!(snap.errors, vec![]);
    }

    #[test]
    fn a_group_the_api_counts_no_consumer_for_has_none() {
        let answers = Answers {
            groups: Ok(vec![
                json!({ "Name": "test_group", "ConsumerNum": 0, "TotalAccumulative": 0 }),
            ]),
            connections: BTreeMap::new(),
            ..examples()
        };
        let snap = assemble(Side::Target, "t", 0, &plan_scope(), answers);
        assert_eq!(snap.groups["test_group"].consumers, Known::Known(vec![]));
    }

    #[test]
    fn a_group_without_consumer_num_has_unknown_consumers_not_none() {
        let s = plan_scope();
        for group in [
            json!({ "Name": "test_group", "TotalAccumulative": 0 }),
            json!({ "Name": "test_group", "ConsumerNum": null, "TotalAccumulative": 0 }),
        ] {
            let answers = Answers {
                groups: Ok(vec![group.clone()]),
                connections: BTreeMap::new(),
                ..examples()
            };
            // Not asked for connections, and not taken for a group without consumers.
            assert_eq!(online_groups(&s, &answers.groups), Vec::<String>::new());
            let snap = assemble(Side::Target, "t", 0, &s, answers);
            let g = &snap.groups["test_group"];
            assert_eq!(
                g.consumers,
                Known::unknown("the API gives no ConsumerNum for group test_group"),
                "{group}"
            );
            assert_eq!(g.exists, Known::Known(true));
        }
    }

    #[test]
    fn consumers_come_from_the_count_and_the_connections() {
        let conns = list(CONNECTIONS, "Connections");
        let online = json!({ "Name": "G", "ConsumerNum": 2, "BroadcastEnabled": false });
        let known = group_consumers("G", &online, Some(&Ok(conns.clone())));
        assert_eq!(
            known.known().map(|c| c.len()),
            Some(1),
            "the connections answer lists who is there"
        );
        // Consumers online but their connections failed or were not read: unknown, not empty.
        assert_eq!(
            group_consumers(
                "G",
                &online,
                Some(&Err(no_answer("DescribeRocketMQConsumerConnections")))
            ),
            Known::unknown(
                "DescribeRocketMQConsumerConnections: no answer from the Tencent Cloud API: connection refused"
            )
        );
        assert_eq!(
            group_consumers("G", &online, None),
            Known::unknown("group G has 2 consumer(s) online but their connections were not read")
        );
        // A 0 the API gave is a real 0, whatever else was read.
        let idle = json!({ "Name": "G", "ConsumerNum": 0 });
        assert_eq!(group_consumers("G", &idle, None), Known::Known(vec![]));
        assert_eq!(
            group_consumers("G", &json!({ "Name": "G", "ConsumerNum": -2 }), None),
            Known::unknown("the API gives ConsumerNum -2 for group G, not a count")
        );
    }

    #[test]
    fn the_4x_api_lists_no_producers() {
        let snap = assemble(Side::Target, "t", 0, &plan_scope(), examples());
        assert_eq!(snap.producers.via, ProducerSource::Unavailable);
        assert_eq!(
            snap.producers.groups["P_ORDERS"],
            Known::unknown("the TDMQ API does not list producer connections")
        );
    }
}
