//! A TDMQ 5.x snapshot from the trocket API's answers, without I/O: one function per kind of
//! answer, and [`assemble`] building the snapshot of a poll and deciding what is unknown and why.
//!
//! What the fields mean, as tencentcloud-sdk-go's `tencentcloud/trocket/v20230308/models.go`
//! (HEAD 144f6c8d, blob 27f083bc) and the tccli api.json document them
//! (tests/fixtures/trocket/SOURCES.md):
//! - TopicItem `TopicType`: UNSPECIFIED, NORMAL, FIFO, DELAY, TRANSACTION; `QueueNum`.
//! - DescribeTopic `SubscriptionData[]`: per subscribing group `ConsumerGroup`, `IsOnline`,
//!   `ConsumerLag`, `SubString` + `ExpressionType` (the group's expression), `MessageModel`,
//!   and `ClientSubscriptionInfos[]` (ClientId, ClientAddr, SubString per client), all nullable.
//! - DescribeConsumerGroup: `ConsumerNum`, `ConsumerLag` ("堆积"), `MessageModel`
//!   (CLUSTERING, BROADCASTING), `ConsumeMessageOrderly`, `MaxRetryTimes`. Neither lag is said to
//!   include the group's retry messages, and no field counts them: a backlog "retry included" is
//!   unknown (see [`group_backlog`]).
//! - DescribeProducerList: producers per TOPIC (ClientId, ClientIp, Language, Version); 5.x does
//!   not group them by producer group.
//! - DescribeTopicStats `Data[]`: per queue `BrokerOffset` (the produce offset). It needs a
//!   `GroupId` (the offsets are read through a group that subscribes the topic) and is
//!   documented for some editions only (`UnsupportedOperation` elsewhere).
//! - `ClientSubscriptionInfos` lists the clients whose subscription is inconsistent (with
//!   `Consistency` 1), not every client.
//! - No answer dates its figures: ages count from the poll, as for every cluster kind.

use super::super::api::ApiError;
use super::super::field::{known_count, num, text};
use super::super::snapshot::clients as listed_clients;
use super::KIND;
use crate::clock::Millis;
use crate::model::*;
use crate::plan::{Scope, Side};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Every answer of one poll of an instance that was found, as the API gave it.
#[derive(Default)]
pub struct Answers {
    /// DescribeTopicList's `Data`, every page.
    pub topics: Option<Result<Vec<Value>, ApiError>>,
    /// DescribeConsumerGroupList's `Data`, every page.
    pub groups: Option<Result<Vec<Value>, ApiError>>,
    /// DescribeTopic's `SubscriptionData` for each of [`existing`] topics.
    pub subscriptions: BTreeMap<String, Result<Vec<Value>, ApiError>>,
    /// DescribeConsumerGroup for each of [`existing`] groups.
    pub group_details: BTreeMap<String, Result<Value, ApiError>>,
    /// DescribeConsumerClientList's `Data` for each of [`online_groups`].
    pub clients: BTreeMap<String, Result<Vec<Value>, ApiError>>,
    /// DescribeProducerList's `ProducerList` for each existing topic.
    pub producers: BTreeMap<String, Result<Vec<Value>, ApiError>>,
    /// DescribeTopicStats' `Data` for each topic of [`offset_readers`].
    pub stats: BTreeMap<String, Result<Vec<Value>, ApiError>>,
}

/// The instance's counts and limits from DescribeInstance, for preflight.
pub fn capacity(instance: &Value) -> Capacity {
    let of = "the instance";
    Capacity {
        topics: known_count(instance, "TopicNum", of),
        topic_limit: known_count(instance, "TopicNumLimit", of),
        groups: known_count(instance, "GroupNum", of),
        group_limit: known_count(instance, "GroupNumLimit", of),
    }
}

/// The addresses DescribeInstance reports (`EndpointList`), open ones only.
pub fn endpoints(instance: &Value) -> Vec<Endpoint> {
    (instance.get("EndpointList").and_then(Value::as_array))
        .into_iter()
        .flatten()
        .filter(|e| matches!(text(e, "Status").as_str(), "" | "OPEN"))
        .filter_map(|e| {
            let address = text(e, "EndpointUrl");
            (!address.is_empty()).then(|| Endpoint {
                network: text(e, "Type"),
                address,
            })
        })
        .collect()
}

/// What serves the instance, as DescribeInstance says: its edition (`InstanceType`), the
/// specification (`SkuCode`) and how many nodes. The API reports no server version.
pub fn servers(instance: &Value) -> Servers {
    let edition = match text(instance, "InstanceType").as_str() {
        "" => String::new(),
        "EXPERIMENT" => ", trial edition".into(),
        "BASIC" => ", basic edition".into(),
        "PRO" => ", professional edition".into(),
        "PLATINUM" => ", platinum edition".into(),
        other => format!(", {other} edition"),
    };
    let sku = text(instance, "SkuCode");
    let sku = if sku.is_empty() {
        sku
    } else {
        format!(" {sku}")
    };
    let nodes = match num(instance, "NodeCount") {
        Some(n) if n > 0 => format!(", {n} node(s)"),
        _ => String::new(),
    };
    Servers::Product(format!(
        "TDMQ for RocketMQ 5.x{edition}{sku}{nodes} (the API reports no server version)"
    ))
}

/// The names a list answer holds, under `key`.
fn names<'v>(list: &'v [Value], key: &str) -> BTreeMap<String, &'v Value> {
    list.iter().map(|v| (text(v, key), v)).collect()
}

/// Which of these names the list answer holds; none when it failed.
pub fn existing<'n>(
    wanted: impl IntoIterator<Item = &'n String>,
    list: &Result<Vec<Value>, ApiError>,
    key: &str,
) -> Vec<String> {
    let Ok(list) = list else { return vec![] };
    let listed = names(list, key);
    wanted
        .into_iter()
        .filter(|n| listed.contains_key(*n))
        .cloned()
        .collect()
}

/// For each topic whose subscriptions were read, a group that subscribes it: DescribeTopicStats
/// reads a topic's offsets only through a group (its `GroupId` is required).
pub fn offset_readers(
    subscriptions: &BTreeMap<String, Result<Vec<Value>, ApiError>>,
) -> BTreeMap<String, String> {
    subscriptions
        .iter()
        .filter_map(|(t, r)| {
            let subs = r.as_ref().ok()?;
            let group = subs
                .iter()
                .map(|s| text(s, "ConsumerGroup"))
                .find(|g| !g.is_empty())?;
            Some((t.clone(), group))
        })
        .collect()
}

/// The groups whose details count consumers online: their clients are worth listing.
pub fn online_groups(details: &BTreeMap<String, Result<Value, ApiError>>) -> Vec<String> {
    details
        .iter()
        .filter(|(g, d)| {
            d.as_ref()
                .is_ok_and(|d| consumer_num(g, d).known().is_some_and(|n| *n > 0))
        })
        .map(|(g, _)| g.clone())
        .collect()
}

fn consumer_num(group: &str, detail: &Value) -> Known<u64> {
    known_count(detail, "ConsumerNum", &format!("group {group}"))
}

/// A topic type the API names; UNSPECIFIED or anything else is not known.
pub fn topic_type(v: &Value) -> Option<TopicMessageType> {
    TopicMessageType::named(&text(v, "TopicType")).filter(|t| *t != TopicMessageType::Mixed)
}

/// A listed topic's settings: one queue count for reads and writes, the type it was created
/// with. Without a queue count the config is not known.
pub fn topic_config(v: &Value) -> Option<TopicConfig> {
    let queues = num(v, "QueueNum").and_then(|q| u32::try_from(q).ok())?;
    let message_type = topic_type(v);
    Some(TopicConfig {
        read_queues: queues,
        write_queues: queues,
        perm: 6,
        order: message_type == Some(TopicMessageType::Fifo),
        message_type,
    })
}

/// The sum of the queues' produce offsets (`BrokerOffset`): unknown when any is missing, since a
/// queue left out would read as no message.
pub fn max_offset(topic: &str, queues: &[Value]) -> Known<u64> {
    let mut sum = 0u64;
    for q in queues {
        let queue = num(q, "QueueId").map_or("?".to_string(), |i| i.to_string());
        let of = format!("queue {queue} of topic {topic}");
        match known_count(q, "BrokerOffset", &of) {
            Known::Known(m) => sum = sum.saturating_add(m),
            Known::Unknown(why) => return Known::Unknown(why),
        }
    }
    Known::Known(sum)
}

/// The expressions a subscription shows: the group's, and those of the clients it lists. The
/// spec lists in `ClientSubscriptionInfos` the clients whose subscription is inconsistent
/// (订阅不一致的客户端列表), so both are kept: a narrower one must not hide behind the group's.
fn expressions(sub: &Value) -> Expressions {
    let filter = |v: &Value| {
        v.get("SubString")
            .and_then(Value::as_str)
            .map(|s| Filter::parse(v.get("ExpressionType").and_then(Value::as_str), Some(s)))
    };
    let seen: BTreeSet<Filter> = filter(sub)
        .into_iter()
        .chain(
            (sub.get("ClientSubscriptionInfos").and_then(Value::as_array))
                .into_iter()
                .flatten()
                .filter_map(filter),
        )
        .collect();
    if seen.is_empty() {
        return Expressions::NotShown(format!(
            "the API gives no SubString for group {} on topic {}",
            text(sub, "ConsumerGroup"),
            text(sub, "Topic")
        ));
    }
    Expressions::Seen(seen)
}

/// Per group, the topics it subscribes and with what, from every topic's subscriptions; and the
/// last failed answer, which leaves every group's subscriptions incomplete.
pub fn subscriptions(
    answers: &BTreeMap<String, Result<Vec<Value>, ApiError>>,
) -> (BTreeMap<String, Subscriptions>, Option<String>) {
    let mut out: BTreeMap<String, Subscriptions> = BTreeMap::new();
    let mut error = None;
    for (topic, r) in answers {
        match r {
            Ok(subs) => {
                for s in subs {
                    let mut s = s.clone();
                    if text(&s, "Topic").is_empty() {
                        s["Topic"] = topic.as_str().into();
                    }
                    out.entry(text(&s, "ConsumerGroup"))
                        .or_default()
                        .insert(topic.clone(), expressions(&s));
                }
            }
            Err(e) => error = Some(e.to_string()),
        }
    }
    (out, error)
}

/// The lag of `group` on each topic whose subscriptions were read, as their `ConsumerLag` says.
fn lags(
    group: &str,
    answers: &BTreeMap<String, Result<Vec<Value>, ApiError>>,
) -> Vec<(String, Known<u64>)> {
    let mut out = vec![];
    for (topic, r) in answers {
        if let Ok(subs) = r
            && let Some(s) = subs.iter().find(|s| text(s, "ConsumerGroup") == group)
        {
            let of = format!("group {group} on topic {topic}");
            out.push((topic.clone(), known_count(s, "ConsumerLag", &of)));
        }
    }
    out
}

/// A group's backlog, retry messages included: unknown in every case, because no answer counts
/// the retry messages (see the module's notes). The reason keeps the figures the API gave, so
/// an operator sees them without a gate counting them.
pub fn group_backlog(
    group: &str,
    detail: &Value,
    answers: &BTreeMap<String, Result<Vec<Value>, ApiError>>,
) -> Known<Backlog> {
    let total = match known_count(detail, "ConsumerLag", &format!("group {group}")) {
        Known::Known(n) => format!("its ConsumerLag is {n}"),
        Known::Unknown(why) => why,
    };
    let per_topic: Vec<String> = lags(group, answers)
        .into_iter()
        .filter_map(|(t, l)| l.known().map(|n| format!("{n} on {t}")))
        .collect();
    let topics = if per_topic.is_empty() {
        String::new()
    } else {
        format!(" ({})", per_topic.join(", "))
    };
    Known::unknown(format!(
        "the API gives no retry backlog for group {group}: {total}{topics}, not said to include its retry messages"
    ))
}

/// How the group's clients consume, as the group's details say: `CLUSTERING` or `BROADCASTING`.
pub fn message_model(detail: &Value) -> Option<MessageModel> {
    match text(detail, "MessageModel").as_str() {
        "CLUSTERING" => Some(MessageModel::Clustering),
        "BROADCASTING" => Some(MessageModel::Broadcasting),
        _ => None,
    }
}

/// The producers of a DescribeProducerList answer.
pub fn producers(list: &[Value]) -> Vec<Client> {
    list.iter()
        .map(|p| Client {
            client_id: text(p, "ClientId"),
            // The API writes it as a socket address does: "/10.0.0.1:5000".
            addr: text(p, "ClientIp").trim_start_matches('/').to_string(),
            language: text(p, "Language"),
            version: Some(text(p, "Version")).filter(|s| !s.is_empty()),
            message_model: None,
        })
        .collect()
}

/// A group's settings, only when the answer gives each one that has a meaning on 5.x. 5.x has no
/// broadcast switch (the client chooses) and no retry queue count.
pub fn group_config(v: &Value) -> Option<GroupConfig> {
    Some(GroupConfig {
        broadcast: true,
        orderly: v.get("ConsumeMessageOrderly").and_then(Value::as_bool)?,
        retry_queues: None,
        retry_max_times: i32::try_from(num(v, "MaxRetryTimes")?).ok()?,
    })
}

/// A listed group's consumers: the details say whether any is online, the clients answer (asked
/// only when some are) who they are.
fn group_consumers(
    group: &str,
    detail: &Value,
    clients: Option<&Result<Vec<Value>, ApiError>>,
) -> Known<Vec<Client>> {
    match (consumer_num(group, detail), clients) {
        (Known::Unknown(why), _) => Known::Unknown(why),
        (Known::Known(0), _) => Known::Known(vec![]),
        // ConsumerClient has the fields of a 4.x connection (ClientId, ClientAddr, ...).
        (Known::Known(_), Some(Ok(list))) => {
            Known::Known(listed_clients(list, message_model(detail)))
        }
        (Known::Known(_), Some(Err(e))) => Known::unknown(e.to_string()),
        (Known::Known(n), None) => Known::unknown(format!(
            "group {group} has {n} consumer(s) online but their clients were not read"
        )),
    }
}

/// An item's answer, recording its failure as an item error.
fn item<'a, T>(
    errors: &mut Vec<ItemError>,
    what: String,
    answer: Option<&'a Result<T, ApiError>>,
) -> Option<&'a Result<T, ApiError>> {
    if let Some(Err(e)) = answer {
        errors.push(ItemError {
            item: what,
            error: e.to_string(),
        });
    }
    answer
}

/// The call is not served for this instance (DescribeTopicStats is for some editions only).
fn unsupported(e: &ApiError) -> bool {
    e.code()
        .is_some_and(|c| c.starts_with("UnsupportedOperation"))
}

/// What a missing or failed answer leaves an item's value at.
fn or_unknown<T>(answer: Option<&Result<T, ApiError>>) -> Result<&T, String> {
    match answer {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("not read".into()),
    }
}

/// The snapshot of the scope from a poll's answers. Each failed answer is an item error and makes
/// what it would have told unknown, never zero. `taken_at` is `started`: the shell stamps the end.
pub fn assemble(
    side: Side,
    label: &str,
    started: Millis,
    scope: &Scope,
    answers: Answers,
) -> Snapshot {
    let mut errors = vec![];
    let mut snap = Snapshot::unreachable(side, label, KIND, started, String::new());
    snap.unreachable = None;
    snap.pending = Known::unknown("the TDMQ 5.x API does not show scheduled or half messages");

    let topics = item(&mut errors, "topics".into(), answers.topics.as_ref());
    let groups = item(
        &mut errors,
        "consumer groups".into(),
        answers.groups.as_ref(),
    );
    let (subscribed, subs_error) = subscriptions(&answers.subscriptions);

    for t in &scope.topics {
        let state = match or_unknown(topics) {
            Err(e) => TopicState::unknown(&e),
            Ok(list) => match names(list, "Topic").get(t) {
                None => TopicState::absent(),
                Some(v) => {
                    let subs = item(
                        &mut errors,
                        format!("subscriptions of topic {t}"),
                        answers.subscriptions.get(t),
                    );
                    // Editions without the call leave the offsets unknown; the rest is complete.
                    let stats = match answers.stats.get(t) {
                        Some(Err(e)) if unsupported(e) => None,
                        other => item(&mut errors, format!("topic {t} offsets"), other),
                    };
                    TopicState {
                        exists: Known::Known(true),
                        consumed_by: match or_unknown(subs) {
                            Ok(list) => Known::Known(
                                list.iter().map(|s| text(s, "ConsumerGroup")).collect(),
                            ),
                            Err(e) => Known::Unknown(e),
                        },
                        max_offset: match (or_unknown(stats), answers.stats.get(t)) {
                            (Ok(queues), _) => max_offset(t, queues),
                            (Err(_), Some(Err(e))) if unsupported(e) => Known::unknown(format!(
                                "this instance's edition gives no topic offsets: {e}"
                            )),
                            (Err(_), None) if subs.is_some_and(|r| r.is_ok()) => {
                                Known::unknown(format!(
                                    "no group subscribes {t} on this instance, and the API reads a topic's offsets through a group"
                                ))
                            }
                            (Err(e), _) => Known::Unknown(e),
                        },
                        config: topic_config(v),
                    }
                }
            },
        };
        snap.topics.insert(t.clone(), state);
    }

    for g in &scope.groups {
        let state = match or_unknown(groups) {
            Err(e) => GroupState::unknown(&e),
            Ok(list) => match names(list, "ConsumerGroup").get(&g.name) {
                None => GroupState::absent(),
                Some(listed) => {
                    let detail = item(
                        &mut errors,
                        format!("group {}", g.name),
                        answers.group_details.get(&g.name),
                    );
                    let clients = item(
                        &mut errors,
                        format!("group {} consumers", g.name),
                        answers.clients.get(&g.name),
                    );
                    let subscriptions = match &subs_error {
                        Some(e) => Known::unknown(e.clone()),
                        None => Known::Known(subscribed.get(&g.name).cloned().unwrap_or_default()),
                    };
                    match or_unknown(detail) {
                        Err(e) => GroupState {
                            exists: Known::Known(true),
                            subscriptions,
                            config: group_config(listed),
                            ..GroupState::unknown(&e)
                        },
                        Ok(d) => GroupState {
                            exists: Known::Known(true),
                            backlog: group_backlog(&g.name, d, &answers.subscriptions),
                            consumers: group_consumers(&g.name, d, clients),
                            subscriptions,
                            config: group_config(d).or_else(|| group_config(listed)),
                            consume_tps: num(d, "Tps").map(|x| x as f64),
                        },
                    }
                }
            },
        };
        snap.groups.insert(g.name.clone(), state);
    }

    // 5.x lists producers per topic: every topic of the scope that exists is asked.
    snap.producers = Producers {
        via: ProducerSource::PerTopic,
        groups: BTreeMap::new(),
        topics: scope
            .topics
            .iter()
            .map(|t| {
                let listed = item(
                    &mut errors,
                    format!("producers of topic {t}"),
                    answers.producers.get(t),
                );
                let seen = match (snap.topics.get(t).map(|s| &s.exists), or_unknown(listed)) {
                    (Some(Known::Known(false)), _) => Known::Known(vec![]),
                    (_, Ok(list)) => Known::Known(producers(list)),
                    (_, Err(e)) => Known::Unknown(e),
                };
                (t.clone(), seen)
            })
            .collect(),
    };
    snap.errors = errors;
    snap
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::GroupPlan;
    use serde_json::json;

    fn scope(topics: &[&str], groups: &[&str]) -> Scope {
        Scope {
            topics: topics.iter().map(|t| t.to_string()).collect(),
            groups: groups
                .iter()
                .map(|g| GroupPlan {
                    name: g.to_string(),
                    topics: vec![],
                })
                .collect(),
            producer_groups: vec![],
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

    /// T_ORDER (FIFO, 4 queues) read by G_BILLING with tag TagA on two clients, one producer.
    fn answers() -> Answers {
        Answers {
            topics: Some(Ok(vec![
                json!({ "Topic": "T_ORDER", "TopicType": "FIFO", "QueueNum": 4 }),
            ])),
            groups: Some(Ok(vec![
                json!({ "ConsumerGroup": "G_BILLING", "ConsumeMessageOrderly": true, "MaxRetryTimes": 16 }),
            ])),
            subscriptions: BTreeMap::from([(
                "T_ORDER".into(),
                Ok(vec![json!({
                    "ConsumerGroup": "G_BILLING", "IsOnline": true, "ConsumerLag": 7,
                    "SubString": "TagA", "ExpressionType": "TAG",
                    "Consistency": 1,
                    "ClientSubscriptionInfos": [
                        { "ClientId": "c2", "ClientAddr": "10.0.0.2", "Topic": "T_ORDER", "SubString": "TagA || TagB", "ExpressionType": "TAG" },
                    ],
                })]),
            )]),
            group_details: BTreeMap::from([(
                "G_BILLING".into(),
                Ok(
                    json!({ "ConsumerNum": 2, "ConsumerLag": 7, "MessageModel": "CLUSTERING", "ConsumeMessageOrderly": true, "MaxRetryTimes": 16, "Tps": 3 }),
                ),
            )]),
            clients: BTreeMap::from([(
                "G_BILLING".into(),
                Ok(vec![
                    json!({ "ClientId": "c1", "ClientAddr": "10.0.0.1:5000", "Language": "JAVA", "Version": "5.0.7" }),
                    json!({ "ClientId": "c2", "ClientAddr": "10.0.0.2:5000", "Language": "JAVA", "Version": "" }),
                ]),
            )]),
            producers: BTreeMap::from([(
                "T_ORDER".into(),
                Ok(vec![
                    json!({ "ClientId": "p1", "ClientIp": "10.0.1.1", "Language": "JAVA", "Version": "5.0.7" }),
                ]),
            )]),
            stats: BTreeMap::from([(
                "T_ORDER".into(),
                Ok(vec![
                    json!({ "QueueId": 0, "BrokerOffset": 40 }),
                    json!({ "QueueId": 1, "BrokerOffset": 2 }),
                ]),
            )]),
        }
    }

    #[test]
    fn an_instance_reads_types_subscriptions_clients_and_producers_per_topic() {
        let s = scope(&["T_ORDER", "T_NEW"], &["G_BILLING", "G_NEW"]);
        let snap = assemble(Side::Target, "t5", 0, &s, answers());
        assert_eq!(snap.errors, vec![]);
        let t = &snap.topics["T_ORDER"];
        assert_eq!(t.exists, Known::Known(true));
        assert_eq!(t.max_offset, Known::Known(42));
        assert_eq!(
            t.consumed_by,
            Known::Known(BTreeSet::from(["G_BILLING".to_string()]))
        );
        assert_eq!(
            t.config,
            Some(TopicConfig {
                read_queues: 4,
                write_queues: 4,
                perm: 6,
                order: true,
                message_type: Some(TopicMessageType::Fifo),
            })
        );
        assert_eq!(snap.topics["T_NEW"].exists, Known::Known(false));

        let g = &snap.groups["G_BILLING"];
        let clients = g.consumers.known().unwrap();
        assert_eq!(clients.len(), 2);
        assert_eq!(clients[0].version.as_deref(), Some("5.0.7"));
        assert_eq!(clients[1].version, None);
        assert_eq!(g.consumes_broadcasting(), Some(false));
        // The group's expression and the inconsistent client's, so clients that disagree show.
        let subs = g.subscriptions.known().unwrap();
        assert_eq!(
            subs["T_ORDER"],
            Expressions::Seen(BTreeSet::from([
                Filter::parse(Some("TAG"), Some("TagA")),
                Filter::parse(Some("TAG"), Some("TagA || TagB")),
            ]))
        );
        assert_eq!(
            g.backlog,
            Known::unknown(
                "the API gives no retry backlog for group G_BILLING: its ConsumerLag is 7 (7 on T_ORDER), not said to include its retry messages"
            )
        );
        assert_eq!(
            g.config,
            Some(GroupConfig {
                broadcast: true,
                orderly: true,
                retry_queues: None,
                retry_max_times: 16,
            })
        );
        assert_eq!(snap.groups["G_NEW"].exists, Known::Known(false));

        assert_eq!(snap.producers.via, ProducerSource::PerTopic);
        let p = snap.producers.topics["T_ORDER"].known().unwrap();
        assert_eq!((p.len(), p[0].addr.as_str()), (1, "10.0.1.1"));
        // A topic that does not exist has no producer there.
        assert_eq!(snap.producers.topics["T_NEW"], Known::Known(vec![]));
    }

    #[test]
    fn a_failed_answer_makes_its_items_unknown_never_zero() {
        let mut a = answers();
        a.subscriptions
            .insert("T_ORDER".into(), Err(refused("DescribeTopic")));
        a.stats
            .insert("T_ORDER".into(), Err(refused("DescribeTopicStats")));
        a.producers
            .insert("T_ORDER".into(), Err(refused("DescribeProducerList")));
        a.clients.clear();
        let s = scope(&["T_ORDER"], &["G_BILLING"]);
        // An edition without offsets leaves them unknown without making the snapshot partial.
        let mut edition = answers();
        edition.stats.insert(
            "T_ORDER".into(),
            Err(ApiError::Service {
                action: "DescribeTopicStats".into(),
                code: "UnsupportedOperation".into(),
                message: "not supported".into(),
                request_id: "r".into(),
                hint: String::new(),
            }),
        );
        let snap = assemble(Side::Target, "t5", 0, &s, edition);
        assert_eq!(snap.errors, vec![]);
        assert!(
            snap.topics["T_ORDER"]
                .max_offset
                .reason()
                .is_some_and(|r| r.starts_with("this instance's edition gives no topic offsets"))
        );
        let snap = assemble(Side::Target, "t5", 0, &s, a);
        let items: Vec<&str> = snap.errors.iter().map(|e| e.item.as_str()).collect();
        assert_eq!(
            items,
            [
                "subscriptions of topic T_ORDER",
                "topic T_ORDER offsets",
                "producers of topic T_ORDER"
            ]
        );
        let t = &snap.topics["T_ORDER"];
        assert!(t.max_offset.known().is_none() && t.consumed_by.known().is_none());
        let g = &snap.groups["G_BILLING"];
        assert!(g.subscriptions.known().is_none());
        assert_eq!(
            g.consumers,
            Known::unknown(
                "group G_BILLING has 2 consumer(s) online but their clients were not read"
            )
        );
        assert!(snap.producers.topics["T_ORDER"].known().is_none());

        // The lists themselves failing: nothing is known to exist or not.
        let down = Answers {
            topics: Some(Err(refused("DescribeTopicList"))),
            groups: Some(Err(refused("DescribeConsumerGroupList"))),
            ..Answers::default()
        };
        let snap = assemble(Side::Target, "t5", 0, &s, down);
        assert_eq!(snap.errors.len(), 2, "{:?}", snap.errors);
        assert!(snap.topics["T_ORDER"].exists.known().is_none());
        assert!(snap.groups["G_BILLING"].exists.known().is_none());
        assert!(snap.producers.topics["T_ORDER"].known().is_none());
    }

    #[test]
    fn missing_fields_are_unknown_not_defaults() {
        assert_eq!(
            topic_config(&json!({ "Topic": "T", "TopicType": "NORMAL" })),
            None
        );
        assert_eq!(topic_type(&json!({ "TopicType": "UNSPECIFIED" })), None);
        assert_eq!(
            topic_type(&json!({ "TopicType": "DELAY" })),
            Some(TopicMessageType::Delay)
        );
        assert_eq!(
            group_config(&json!({ "ConsumeMessageOrderly": false })),
            None
        );
        assert_eq!(message_model(&json!({})), None);
        assert_eq!(
            max_offset("T", &[json!({ "QueueId": 3 })]),
            Known::unknown("the API gives no BrokerOffset for queue 3 of topic T")
        );
        let sub = json!({ "ConsumerGroup": "G", "Topic": "T" });
        assert_eq!(
            expressions(&sub),
            Expressions::NotShown("the API gives no SubString for group G on topic T".into())
        );
        let detail = json!({ "ConsumerNum": null });
        assert_eq!(
            group_consumers("G", &detail, None),
            Known::unknown("the API gives no ConsumerNum for group G")
        );
    }

    #[test]
    fn servers_say_the_edition_specification_and_nodes() {
        let instance =
            include_str!("../../../../tests/fixtures/trocket/DescribeInstance.response.json");
        let instance = serde_json::from_str::<Value>(instance).unwrap()["Response"].clone();
        assert_eq!(
            servers(&instance),
            Servers::Product(
                "TDMQ for RocketMQ 5.x, trial edition experiment_500 (the API reports no server version)"
                    .into()
            )
        );
        assert_eq!(
            servers(&json!({ "InstanceType": "PRO", "SkuCode": "pro_4k", "NodeCount": 2 })),
            Servers::Product(
                "TDMQ for RocketMQ 5.x, professional edition pro_4k, 2 node(s) (the API reports no server version)"
                    .into()
            )
        );
    }

    #[test]
    fn capacity_reads_counts_and_limits() {
        let c = capacity(&json!({ "TopicNum": 3, "TopicNumLimit": 10, "GroupNum": 1 }));
        assert_eq!(c.topics, Known::Known(3));
        assert_eq!(c.topic_limit, Known::Known(10));
        assert_eq!(
            c.group_limit,
            Known::unknown("the API gives no GroupNumLimit for the instance")
        );
    }
}
