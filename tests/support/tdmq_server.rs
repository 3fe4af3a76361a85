//! A local stand-in for the Tencent Cloud API 3.0: TDMQ for RocketMQ 4.x (service tdmq,
//! 2020-02-17), the trocket smooth-migration task and a TDMQ for RocketMQ 5.x instance (service
//! trocket, 2023-03-08, chosen by the X-TC-Version header). It checks every request's
//! TC3-HMAC-SHA256 signature with the test credentials (a bad one gets Tencent's documented error
//! shape) and answers with bodies built from the API spec's own example responses
//! (tests/fixtures/tdmq and tests/fixtures/trocket, see SOURCES.md there), paginated with
//! Limit <= 100.
//!
//! One server serves both products: `Server::start` a 4.x cluster (no 5.x instance),
//! `Server::start_instance` a 5.x instance (no 4.x cluster), `Server::start_with` any `State`,
//! e.g. both. An empty `cluster_id` / `instance.instance_id` means that product is not served.
#![allow(dead_code)]

use rocketmq_migrate::cluster::tdmq::sign;
use rocketmq_migrate::plan::Secret;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub const SECRET_ID: &str = "AKIDtestEXAMPLEid";
pub const SECRET_KEY: &str = "test-SecretKey-never-printed";

pub fn spec_example(action: &str) -> Value {
    let path = format!("tests/fixtures/tdmq/{action}.response.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The first item of a list in a spec example: the template new items are made from.
fn template(action: &str, list: &str) -> Value {
    spec_example(action)["Response"][list][0].clone()
}

/// A trocket 2023-03-08 (5.x) example response (tests/fixtures/trocket).
pub fn trocket_example(action: &str) -> Value {
    let path = format!("tests/fixtures/trocket/{action}.response.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// An item built from the SDK model where the example's list is empty
/// (tests/fixtures/trocket/models, see SOURCES.md there).
pub fn trocket_model(name: &str) -> Value {
    let path = format!("tests/fixtures/trocket/models/{name}.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn trocket_template(action: &str, list: &str) -> Value {
    trocket_example(action)["Response"][list][0].clone()
}

/// A TDMQ for RocketMQ 5.x instance, as the trocket 2023-03-08 actions show it.
#[derive(Default)]
pub struct Instance {
    /// Empty: no 5.x instance is served.
    pub instance_id: String,
    /// DescribeInstance TopicNumLimit: CreateTopic past it is LimitExceeded.TopicNum.
    pub topic_num_limit: i64,
    /// DescribeInstance GroupNumLimit (reported only: trocket has no error code for it).
    pub group_num_limit: i64,
    /// DescribeInstance InstanceType. DescribeTopicStats is documented for PLATINUM instances
    /// only: any other type gets UnsupportedOperation.
    pub instance_type: String,
    /// TopicItem: Topic, TopicType, QueueNum set.
    pub topics: BTreeMap<String, Value>,
    /// Per topic: total BrokerOffset (DescribeTopicStats splits it across the queues).
    pub max_offsets: BTreeMap<String, i64>,
    /// ConsumeGroupItem: ConsumerGroup, ConsumeMessageOrderly, MaxRetryTimes, ConsumeEnable set.
    pub groups: BTreeMap<String, Value>,
    /// group -> "CLUSTERING" | "BROADCASTING"
    pub message_models: BTreeMap<String, String>,
    /// (group, topic) -> (SubString, ConsumerLag)
    pub subscriptions: BTreeMap<(String, String), (String, i64)>,
    /// group -> ConsumerClient items
    pub clients: BTreeMap<String, Vec<Value>>,
    /// topic -> ProducerInfo items
    pub producers: BTreeMap<String, Vec<Value>>,
    /// (ClientId, topic) -> that client's own SubString where it differs from the group's:
    /// DescribeTopic then shows the subscription with Consistency 1.
    pub client_substrings: BTreeMap<(String, String), String>,
    /// DescribeTopic lists ClientSubscriptionInfos (one per client) for consistent
    /// subscriptions too. Off by default: the spec documents the field as "the clients whose
    /// subscription is inconsistent" (订阅不一致的客户端列表), so a consistent one lists none.
    pub list_consistent_clients: bool,
}

impl Instance {
    /// An instance with the given id, limits 1000/1000, type PLATINUM.
    pub fn new(instance_id: &str) -> Instance {
        Instance {
            instance_id: instance_id.into(),
            topic_num_limit: 1000,
            group_num_limit: 1000,
            instance_type: "PLATINUM".into(),
            ..Instance::default()
        }
    }

    /// The (topic, SubString, ConsumerLag) a group subscribes.
    fn group_subscriptions(&self, group: &str) -> Vec<(String, String, i64)> {
        self.subscriptions
            .iter()
            .filter(|((g, _), _)| g == group)
            .map(|((_, t), (sub, lag))| (t.clone(), sub.clone(), *lag))
            .collect()
    }

    fn message_model(&self, group: &str) -> String {
        self.message_models
            .get(group)
            .cloned()
            .unwrap_or_else(|| "CLUSTERING".into())
    }
}

#[derive(Default)]
pub struct State {
    pub cluster_id: String,
    pub namespace: String,
    /// DescribeRocketMQClusters' Config MaxTopicNum, when a test sets it (else the example's).
    pub max_topic_num: Option<i64>,
    pub topics: BTreeMap<String, Value>,
    pub groups: BTreeMap<String, Value>,
    /// group -> subscribed topics
    pub subscriptions: BTreeMap<String, Vec<String>>,
    pub connections: BTreeMap<String, Vec<Value>>,
    pub max_offsets: BTreeMap<String, i64>,
    /// (action, params) of every request with a valid signature.
    pub calls: Vec<(String, Value)>,
    /// Seconds added to the Date header (a skewed clock).
    pub date_skew: i64,
    /// Answer this many calls with RequestLimitExceeded first.
    pub rate_limited: usize,
    /// Answer this many calls as a failing gateway does first: HTTP 502, an HTML page.
    pub gateway_errors: usize,
    pub bad_signatures: usize,
    /// The trocket smooth-migration task: its id and, per topic, its DescribeMigratingTopicList
    /// item.
    pub task_id: String,
    pub task_topics: BTreeMap<String, Value>,
    /// ChangeMigratingTopicToNextStage answers Success: false.
    pub refuse_next_stage: bool,
    /// The TDMQ 5.x instance (trocket 2023-03-08); `instance_id` empty = none served.
    pub instance: Instance,
}

/// The task's stages in order.
const TASK_STAGES: [&str; 5] = [
    "S_RW_D_NA",
    "S_RW_D_R",
    "S_RW_D_RW",
    "S_R_D_RW",
    "S_NA_D_RW",
];

fn step_stage(stage: &str, by: i64) -> String {
    let i = TASK_STAGES.iter().position(|s| *s == stage).unwrap_or(0) as i64;
    TASK_STAGES[(i + by).clamp(0, 4) as usize].to_string()
}

impl State {
    /// A 5.x topic: TopicItem with Topic, TopicType, QueueNum; `max_offset` is the total of its
    /// queues' BrokerOffset. Replaces a topic of that name.
    pub fn add_instance_topic(
        &mut self,
        name: &str,
        topic_type: &str,
        queue_num: i64,
        max_offset: i64,
    ) {
        let i = &mut self.instance;
        let mut t = trocket_template("DescribeTopicList", "Data");
        t["InstanceId"] = i.instance_id.clone().into();
        t["Topic"] = name.into();
        t["TopicType"] = topic_type.into();
        t["QueueNum"] = queue_num.into();
        i.topics.insert(name.into(), t);
        i.max_offsets.insert(name.into(), max_offset);
    }

    /// A 5.x group subscribing `topics` (topic, SubString, ConsumerLag) with `consumers` online
    /// clients (ClientId "10.8.0.{i}@{i}#{name}", ClientAddr "10.8.0.{i}:{50000 + i}", each with
    /// an even share of the group's lag). Concurrent delivery, MaxRetryTimes 16, consumption
    /// enabled, message model CLUSTERING unless `message_models` says otherwise. Replaces a
    /// group of that name, its subscriptions and its clients.
    pub fn add_instance_group(
        &mut self,
        name: &str,
        topics: &[(&str, &str, i64)],
        consumers: usize,
    ) {
        let i = &mut self.instance;
        let mut g = trocket_template("DescribeConsumerGroupList", "Data");
        g["InstanceId"] = i.instance_id.clone().into();
        g["ConsumerGroup"] = name.into();
        // The example's group is orderly; a group added here is concurrent unless set otherwise.
        g["ConsumeMessageOrderly"] = false.into();
        g["MaxRetryTimes"] = 16.into();
        g["ConsumeEnable"] = true.into();
        i.groups.insert(name.into(), g);
        i.message_models
            .entry(name.into())
            .or_insert_with(|| "CLUSTERING".into());
        i.subscriptions.retain(|(g, _), _| g != name);
        for (topic, sub, lag) in topics {
            i.subscriptions
                .insert((name.into(), topic.to_string()), (sub.to_string(), *lag));
        }
        let lag: i64 = topics.iter().map(|(_, _, l)| l).sum();
        let c = trocket_model("ConsumerClient");
        i.clients.insert(
            name.into(),
            (0..consumers)
                .map(|n| {
                    let mut c = c.clone();
                    c["ClientId"] = format!("10.8.0.{n}@{n}#{name}").into();
                    c["ClientAddr"] = format!("10.8.0.{n}:{}", 50000 + n).into();
                    c["ConsumerLag"] = share(lag, consumers, n).into();
                    c
                })
                .collect(),
        );
    }

    /// Client `client` (its index in the group) of `group` subscribes `topic` with its own
    /// `sub_string`: the subscription is then inconsistent.
    pub fn set_client_substring(
        &mut self,
        group: &str,
        client: usize,
        topic: &str,
        sub_string: &str,
    ) {
        let i = &mut self.instance;
        let id = i.clients[group][client]["ClientId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        i.client_substrings
            .insert((id, topic.into()), sub_string.into());
    }

    /// Sets the online producers of a topic to `n` clients (ClientId "10.7.0.{i}@{i}#{topic}",
    /// ClientIp "/10.7.0.{i}:{40000 + i}"; the rest from the example's ProducerInfo).
    pub fn set_producers(&mut self, topic: &str, n: usize) {
        let p = trocket_template("DescribeProducerList", "ProducerList");
        self.instance.producers.insert(
            topic.into(),
            (0..n)
                .map(|i| {
                    let mut p = p.clone();
                    p["ClientId"] = format!("10.7.0.{i}@{i}#{topic}").into();
                    p["ClientIp"] = format!("/10.7.0.{i}:{}", 40000 + i).into();
                    p
                })
                .collect(),
        );
    }

    pub fn add_task_topic(&mut self, topic: &str, stage: &str, health_errors: &[&str]) {
        let mut t = template("DescribeMigratingTopicList", "MigrateTopics");
        t["TopicName"] = topic.into();
        t["MigrationStatus"] = stage.into();
        t["HealthCheckPassed"] = health_errors.is_empty().into();
        t["HealthCheckError"] = health_errors.first().copied().unwrap_or("").into();
        t["HealthCheckErrorList"] = health_errors.into();
        self.task_topics.insert(topic.into(), t);
    }

    pub fn task_stage(&self, topic: &str) -> String {
        self.task_topics[topic]["MigrationStatus"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn add_topic(&mut self, name: &str, partitions: i64, max_offset: i64) {
        let mut t = template("DescribeRocketMQTopics", "Topics");
        t["Name"] = name.into();
        t["PartitionNum"] = partitions.into();
        t["Namespace"] = self.namespace.clone().into();
        t["InstanceId"] = self.cluster_id.clone().into();
        self.topics.insert(name.into(), t);
        self.max_offsets.insert(name.into(), max_offset);
    }

    pub fn add_group(&mut self, name: &str, backlog: i64, topics: &[&str], consumers: usize) {
        let mut g = template("DescribeRocketMQGroups", "Groups");
        g["Name"] = name.into();
        g["TotalAccumulative"] = backlog.into();
        g["ConsumerNum"] = consumers.into();
        g["Namespace"] = self.namespace.clone().into();
        g["InstanceId"] = self.cluster_id.clone().into();
        self.groups.insert(name.into(), g);
        self.subscriptions
            .insert(name.into(), topics.iter().map(|t| t.to_string()).collect());
        let c = template("DescribeRocketMQConsumerConnections", "Connections");
        self.connections.insert(
            name.into(),
            (0..consumers)
                .map(|i| {
                    let mut c = c.clone();
                    c["ClientId"] = format!("10.9.0.{i}@{i}#{name}").into();
                    c["ClientAddr"] = format!("10.9.0.{i}").into();
                    c
                })
                .collect(),
        );
    }
}

pub struct Server {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

fn http_date(skew: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + skew;
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(now as u64);
    let iso = humantime::format_rfc3339_seconds(t).to_string();
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m: usize = iso[5..7].parse().unwrap();
    format!(
        "{}, {} {} {} {} GMT",
        DAYS[(now / 86400 % 7) as usize],
        &iso[8..10],
        MONTHS[m - 1],
        &iso[0..4],
        &iso[11..19]
    )
}

fn error(code: &str, message: &str) -> Value {
    json!({ "Response": { "Error": { "Code": code, "Message": message }, "RequestId": "local-test-request" } })
}

/// The page of `items` that Offset (default 0) and Limit (default 20, at most 100) ask for,
/// and the total.
fn paged(items: Vec<Value>, params: &Value) -> Result<(Vec<Value>, usize), Value> {
    let offset = params["Offset"].as_u64().unwrap_or(0) as usize;
    let limit = params["Limit"].as_u64().unwrap_or(20) as usize;
    if limit > 100 {
        return Err(error("InvalidParameterValue", "Limit must be at most 100"));
    }
    let total = items.len();
    Ok((items.into_iter().skip(offset).take(limit).collect(), total))
}

fn page(items: Vec<Value>, params: &Value, list: &str) -> Result<Value, Value> {
    let (slice, total) = paged(items, params)?;
    Ok(
        json!({ "Response": { list: slice, "TotalCount": total, "RequestId": "local-test-request" } }),
    )
}

/// The trocket 2023-03-08 actions of a 5.x instance this server answers.
pub const INSTANCE_ACTIONS: [&str; 11] = [
    "DescribeInstance",
    "DescribeTopicList",
    "DescribeTopic",
    "DescribeConsumerGroupList",
    "DescribeConsumerGroup",
    "DescribeConsumerClientList",
    "DescribeProducerList",
    "DescribeTopicStats",
    "CreateTopic",
    "CreateConsumerGroup",
    "DescribeFusionInstanceList",
];

/// `n`'s share `i` of `total` split evenly: the shares sum to `total`.
fn share(total: i64, n: usize, i: usize) -> i64 {
    let n = n.max(1) as i64;
    total / n + i64::from((i as i64) < total % n)
}

/// The Values of the request's Filters entry `name` ([{"Name": .., "Values": [..]}]).
fn filter(p: &Value, name: &str) -> Option<Vec<String>> {
    let f = p["Filters"]
        .as_array()?
        .iter()
        .find(|f| f["Name"] == name)?;
    Some(
        f["Values"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

fn missing(name: &str) -> Value {
    error(
        "MissingParameter",
        &format!("The request is missing a required parameter `{name}`."),
    )
}

/// A trocket example's `Response` (the wire shape: without the examples' top-level
/// `"Error": null, "RequestId": null`), its RequestId the server's.
fn trocket_response(action: &str) -> Value {
    let mut r = trocket_example(action)["Response"].clone();
    r["RequestId"] = "local-test-request".into();
    r
}

fn respond(r: Value) -> Value {
    json!({ "Response": r })
}

fn list_answer(items: Vec<Value>, p: &Value, list: &str, total_name: &str) -> Result<Value, Value> {
    let (slice, total) = paged(items, p)?;
    Ok(json!({ "Response": { list: slice, total_name: total, "RequestId": "local-test-request" } }))
}

fn answer_instance(st: &mut State, action: &str, p: &Value) -> Value {
    let ok = |r: Result<Value, Value>| r.unwrap_or_else(|e| e);
    if action == "DescribeFusionInstanceList" {
        return ok(fusion_instances(st, p));
    }
    let i = &st.instance;
    match p.get("InstanceId").and_then(Value::as_str) {
        None => return missing("InstanceId"),
        Some(id) if i.instance_id.is_empty() || id != i.instance_id => {
            return error("ResourceNotFound.Instance", "The instance does not exist.");
        }
        Some(_) => {}
    }
    let str_param = |name: &str| p.get(name).and_then(Value::as_str).map(String::from);
    match action {
        "DescribeInstance" => {
            let mut r = trocket_response(action);
            r["InstanceId"] = i.instance_id.clone().into();
            r["InstanceType"] = i.instance_type.clone().into();
            r["TopicNum"] = i.topics.len().into();
            r["TopicNumLimit"] = i.topic_num_limit.into();
            r["GroupNum"] = i.groups.len().into();
            r["GroupNumLimit"] = i.group_num_limit.into();
            respond(r)
        }
        "DescribeTopicList" => {
            // TopicName is a fuzzy (substring) match, TopicType a multiple choice (api.json).
            let names = filter(p, "TopicName");
            let types = filter(p, "TopicType");
            let from_group = str_param("FromGroup");
            let items = i
                .topics
                .iter()
                .filter(|(name, t)| {
                    names
                        .as_ref()
                        .is_none_or(|v| v.iter().any(|n| name.contains(n.as_str())))
                        && types
                            .as_ref()
                            .is_none_or(|v| v.iter().any(|ty| t["TopicType"] == ty.as_str()))
                        && from_group.as_ref().is_none_or(|g| {
                            i.subscriptions.contains_key(&(g.clone(), name.to_string()))
                        })
                })
                .map(|(_, t)| t.clone())
                .collect();
            ok(page(items, p, "Data"))
        }
        "DescribeTopic" => {
            let Some(topic) = str_param("Topic") else {
                return missing("Topic");
            };
            let Some(t) = i.topics.get(&topic) else {
                return error("ResourceNotFound.Topic", "The topic does not exist.");
            };
            let groups = filter(p, "ConsumerGroup");
            let model = trocket_model("SubscriptionData");
            let info = trocket_model("ClientSubscriptionInfo");
            let data: Vec<Value> = i
                .subscriptions
                .iter()
                .filter(|((g, tp), _)| {
                    *tp == topic && groups.as_ref().is_none_or(|v| v.contains(g))
                })
                .map(|((g, _), (sub, lag))| {
                    let clients = i.clients.get(g).cloned().unwrap_or_default();
                    let infos: Vec<Value> = clients
                        .iter()
                        .map(|c| {
                            let id = c["ClientId"].as_str().unwrap_or_default().to_string();
                            let mut x = info.clone();
                            x["ClientId"] = id.clone().into();
                            x["ClientAddr"] = c["ClientAddr"].clone();
                            x["Topic"] = topic.clone().into();
                            x["SubString"] = i
                                .client_substrings
                                .get(&(id, topic.clone()))
                                .unwrap_or(sub)
                                .clone()
                                .into();
                            x["ExpressionType"] = "TAG".into();
                            x
                        })
                        .collect();
                    let consistent = infos.iter().all(|x| x["SubString"] == sub.as_str());
                    let item = &i.groups[g];
                    let mut s = model.clone();
                    s["InstanceId"] = i.instance_id.clone().into();
                    s["Topic"] = topic.clone().into();
                    s["TopicType"] = t["TopicType"].clone();
                    s["TopicQueueNum"] = t["QueueNum"].clone();
                    s["ConsumerGroup"] = g.clone().into();
                    s["IsOnline"] = (!clients.is_empty()).into();
                    s["ConsumeType"] = "PUSH".into();
                    s["SubString"] = sub.clone().into();
                    s["ExpressionType"] = "TAG".into();
                    s["Consistency"] = i64::from(!consistent).into();
                    s["ConsumerLag"] = (*lag).into();
                    s["MaxRetryTimes"] = item["MaxRetryTimes"].clone();
                    s["ConsumeMessageOrderly"] = item["ConsumeMessageOrderly"].clone();
                    s["MessageModel"] = i.message_model(g).into();
                    s["ClientSubscriptionInfos"] = if consistent && !i.list_consistent_clients {
                        json!([])
                    } else {
                        infos.into()
                    };
                    s
                })
                .collect();
            let (slice, total) = match paged(data, p) {
                Ok(x) => x,
                Err(e) => return e,
            };
            let mut r = trocket_response(action);
            r["InstanceId"] = i.instance_id.clone().into();
            r["Topic"] = topic.clone().into();
            r["TopicType"] = t["TopicType"].clone();
            r["Remark"] = t["Remark"].clone();
            r["SubscriptionCount"] = total.into();
            r["SubscriptionData"] = slice.into();
            respond(r)
        }
        "DescribeConsumerGroupList" => {
            // ConsumerGroupName is a fuzzy (substring) match (api.json).
            let names = filter(p, "ConsumerGroupName");
            let from_topic = str_param("FromTopic");
            let items = i
                .groups
                .iter()
                .filter(|(name, _)| {
                    names
                        .as_ref()
                        .is_none_or(|v| v.iter().any(|n| name.contains(n.as_str())))
                        && from_topic.as_ref().is_none_or(|t| {
                            i.subscriptions.contains_key(&(name.to_string(), t.clone()))
                        })
                })
                .map(|(_, g)| g.clone())
                .collect();
            ok(page(items, p, "Data"))
        }
        "DescribeConsumerGroup" => {
            let Some(g) = str_param("ConsumerGroup").and_then(|g| i.groups.get(&g).map(|x| (g, x)))
            else {
                return error("ResourceNotFound.Group", "The group does not exist.");
            };
            let (name, item) = g;
            let mut r = trocket_response(action);
            r["ConsumerNum"] = i.clients.get(&name).map_or(0, Vec::len).into();
            r["ConsumerLag"] = i
                .group_subscriptions(&name)
                .iter()
                .map(|(_, _, lag)| lag)
                .sum::<i64>()
                .into();
            r["ConsumeType"] = "PUSH".into();
            r["MessageModel"] = i.message_model(&name).into();
            for f in [
                "ConsumeMessageOrderly",
                "MaxRetryTimes",
                "ConsumeEnable",
                "Remark",
            ] {
                r[f] = item[f].clone();
            }
            respond(r)
        }
        "DescribeConsumerClientList" => {
            let g = str_param("ConsumerGroup").unwrap_or_default();
            match i.clients.get(&g) {
                Some(c) if i.groups.contains_key(&g) => ok(page(c.clone(), p, "Data")),
                _ => error("ResourceNotFound.Group", "The group does not exist."),
            }
        }
        "DescribeProducerList" => {
            let Some(topic) = str_param("Topic") else {
                return missing("Topic");
            };
            if !i.topics.contains_key(&topic) {
                return error("ResourceNotFound.Topic", "The topic does not exist.");
            }
            let ips = filter(p, "ClientIP");
            let ids = filter(p, "ClientID");
            let items = i
                .producers
                .get(&topic)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|x| {
                    let ip = x["ClientIp"].as_str().unwrap_or_default();
                    ips.as_ref()
                        .is_none_or(|v| v.iter().any(|w| ip.contains(w.as_str())))
                        && ids
                            .as_ref()
                            .is_none_or(|v| v.iter().any(|w| x["ClientId"] == w.as_str()))
                })
                .collect();
            ok(list_answer(items, p, "ProducerList", "TotalCount"))
        }
        "DescribeTopicStats" => {
            let Some(topic) = str_param("Topic") else {
                return missing("Topic");
            };
            let Some(group) = str_param("GroupId") else {
                return missing("GroupId");
            };
            if i.instance_type != "PLATINUM" {
                return error(
                    "UnsupportedOperation",
                    "DescribeTopicStats is available for PLATINUM instances only.",
                );
            }
            let Some(t) = i.topics.get(&topic) else {
                return error("ResourceNotFound.Topic", "The topic does not exist.");
            };
            if !i.groups.contains_key(&group) {
                return error("ResourceNotFound.Group", "The group does not exist.");
            }
            let queues = t["QueueNum"].as_i64().unwrap_or(0).max(0) as usize;
            let max = i.max_offsets.get(&topic).copied().unwrap_or(0);
            // A group that does not subscribe the topic has committed nothing.
            let lag = i
                .subscriptions
                .get(&(group, topic))
                .map_or(max, |(_, lag)| *lag);
            let tpl = trocket_template(action, "Data");
            let items = (0..queues)
                .map(|q| {
                    let broker = share(max, queues, q);
                    let commit = (broker - share(lag, queues, q)).max(0);
                    let mut d = tpl.clone();
                    d["QueueId"] = q.into();
                    d["BrokerOffset"] = broker.into();
                    d["CommitOffset"] = commit.into();
                    d["MessageCount"] = (broker - commit).into();
                    d
                })
                .collect();
            ok(page(items, p, "Data"))
        }
        "CreateTopic" => {
            let Some(name) = str_param("Topic") else {
                return missing("Topic");
            };
            let Some(topic_type) = str_param("TopicType") else {
                return missing("TopicType");
            };
            if !["NORMAL", "FIFO", "DELAY", "TRANSACTION", "LITE"].contains(&topic_type.as_str()) {
                return error(
                    "InvalidParameterValue",
                    &format!(
                        "TopicType {topic_type} is not one of NORMAL, FIFO, DELAY, TRANSACTION, LITE"
                    ),
                );
            }
            let queue_num = p.get("QueueNum").map_or(Some(3), Value::as_i64);
            let Some(queue_num) = queue_num.filter(|n| (3..=16).contains(n)) else {
                return error("InvalidParameterValue", "QueueNum must be between 3 and 16");
            };
            if i.topics.contains_key(&name) {
                return error(
                    "UnsupportedOperation.ResourceAlreadyExists",
                    "The topic already exists.",
                );
            }
            if i.topics.len() as i64 >= i.topic_num_limit {
                return error(
                    "LimitExceeded.TopicNum",
                    "The instance has reached its topic limit.",
                );
            }
            let remark = str_param("Remark").unwrap_or_default();
            st.add_instance_topic(&name, &topic_type, queue_num, 0);
            st.instance.topics.get_mut(&name).unwrap()["Remark"] = remark.into();
            let mut r = trocket_response(action);
            r["InstanceId"] = st.instance.instance_id.clone().into();
            r["Topic"] = name.into();
            respond(r)
        }
        "CreateConsumerGroup" => {
            let Some(name) = str_param("ConsumerGroup") else {
                return missing("ConsumerGroup");
            };
            let mut fields = vec![];
            for f in ["MaxRetryTimes", "ConsumeEnable", "ConsumeMessageOrderly"] {
                match p.get(f) {
                    Some(v) if !v.is_null() => fields.push(v.clone()),
                    _ => return missing(f),
                }
            }
            if fields[0].as_i64().is_none_or(|n| !(0..=1000).contains(&n)) {
                return error(
                    "InvalidParameterValue",
                    "MaxRetryTimes must be between 0 and 1000",
                );
            }
            if i.groups.contains_key(&name) {
                return error(
                    "UnsupportedOperation.ResourceAlreadyExists",
                    "The group already exists.",
                );
            }
            let remark = str_param("Remark").unwrap_or_default();
            st.add_instance_group(&name, &[], 0);
            let g = st.instance.groups.get_mut(&name).unwrap();
            g["MaxRetryTimes"] = fields[0].clone();
            g["ConsumeEnable"] = fields[1].clone();
            g["ConsumeMessageOrderly"] = fields[2].clone();
            g["Remark"] = remark.into();
            let mut r = trocket_response(action);
            r["InstanceId"] = st.instance.instance_id.clone().into();
            r["ConsumerGroup"] = name.into();
            respond(r)
        }
        other => error("InvalidAction", &format!("{other} is not served here")),
    }
}

/// DescribeFusionInstanceList: the 5.x instance (the example's 5.x item) and the 4.x cluster
/// (the example's 4.x item), whichever are served. Filters InstanceId (exact) and Version
/// ("4" / "5") are honoured.
fn fusion_instances(st: &State, p: &Value) -> Result<Value, Value> {
    let example = trocket_example("DescribeFusionInstanceList");
    let mut items = vec![];
    let i = &st.instance;
    if !i.instance_id.is_empty() {
        let mut x = example["Response"]["Data"][0].clone();
        x["InstanceId"] = i.instance_id.clone().into();
        x["InstanceType"] = i.instance_type.clone().into();
        x["TopicNum"] = i.topics.len().into();
        x["TopicNumLimit"] = i.topic_num_limit.into();
        x["GroupNum"] = i.groups.len().into();
        x["GroupNumLimit"] = i.group_num_limit.into();
        items.push(x);
    }
    if !st.cluster_id.is_empty() {
        let mut x = example["Response"]["Data"][1].clone();
        x["InstanceId"] = st.cluster_id.clone().into();
        x["TopicNum"] = st.topics.len().into();
        x["GroupNum"] = st.groups.len().into();
        items.push(x);
    }
    let ids = filter(p, "InstanceId");
    let versions = filter(p, "Version");
    items.retain(|x| {
        ids.as_ref()
            .is_none_or(|v| v.iter().any(|id| x["InstanceId"] == id.as_str()))
            && versions.as_ref().is_none_or(|v| {
                let have = x["Version"].as_str().unwrap_or_default();
                v.iter().any(|w| have.split('.').next() == Some(w.as_str()))
            })
    });
    page(items, p, "Data")
}

fn answer(st: &mut State, service: &str, action: &str, p: &Value) -> Value {
    if service == "trocket" && INSTANCE_ACTIONS.contains(&action) {
        return answer_instance(st, action, p);
    }
    if st.cluster_id.is_empty() && action == "DescribeRocketMQClusters" {
        // No 4.x cluster served: whatever id is asked for, none is listed.
        return json!({ "Response": { "ClusterList": [], "TotalCount": 0, "RequestId": "local-test-request" } });
    }
    let cluster_ok = p
        .get("ClusterId")
        .is_none_or(|c| c == st.cluster_id.as_str());
    let in_list = p
        .get("ClusterIdList")
        .and_then(Value::as_array)
        .is_none_or(|l| l.iter().any(|c| c == st.cluster_id.as_str()));
    if !cluster_ok || !in_list {
        return error("ResourceNotFound.Cluster", "The cluster does not exist.");
    }
    let ok = |r: Result<Value, Value>| r.unwrap_or_else(|e| e);
    match action {
        "DescribeRocketMQClusters" => {
            let mut r = spec_example(action);
            r["Response"]["ClusterList"][0]["Info"]["ClusterId"] = st.cluster_id.clone().into();
            // The cluster's counts are what it holds; its limit the example's unless set.
            let config = &mut r["Response"]["ClusterList"][0]["Config"];
            config["UsedTopicNum"] = st.topics.len().into();
            config["UsedGroupNum"] = st.groups.len().into();
            if let Some(max) = st.max_topic_num {
                config["MaxTopicNum"] = max.into();
            }
            r
        }
        "DescribeRocketMQGroups" => {
            let items: Vec<Value> = st
                .groups
                .iter()
                .filter(|(name, _)| {
                    p.get("FilterTopic")
                        .and_then(Value::as_str)
                        .is_none_or(|t| {
                            st.subscriptions
                                .get(*name)
                                .is_some_and(|s| s.iter().any(|x| x == t))
                        })
                })
                .map(|(_, g)| g.clone())
                .collect();
            ok(page(items, p, "Groups"))
        }
        "DescribeRocketMQTopics" => ok(page(st.topics.values().cloned().collect(), p, "Topics")),
        "DescribeRocketMQConsumerConnections" => {
            let g = p["GroupId"].as_str().unwrap_or_default();
            match st.connections.get(g) {
                Some(c) => ok(page(c.clone(), p, "Connections")),
                None => error("ResourceNotFound.Group", "The group does not exist."),
            }
        }
        "DescribeRocketMQTopicStats" => {
            let t = p["TopicName"].as_str().unwrap_or_default();
            let Some(max) = st.max_offsets.get(t) else {
                return error("ResourceNotFound.Topic", "The topic does not exist.");
            };
            let mut r = spec_example(action);
            r["Response"]["TopicStatsList"][0]["MaxOffset"] = (*max).into();
            r
        }
        "CreateRocketMQTopic" => {
            let name = p["Topic"].as_str().unwrap_or_default().to_string();
            if st.topics.contains_key(&name) {
                return error("ResourceInUse", "The topic already exists.");
            }
            let n = p["PartitionNum"].as_i64().unwrap_or(3);
            st.add_topic(&name, n, 0);
            spec_example(action)
        }
        "CreateRocketMQGroup" => {
            let name = p["GroupId"].as_str().unwrap_or_default().to_string();
            st.add_group(&name, 0, &[], 0);
            spec_example(action)
        }
        "DescribeMigratingTopicList"
        | "ChangeMigratingTopicToNextStage"
        | "RollbackMigratingTopicStage"
            if p["TaskId"] != st.task_id.as_str() =>
        {
            error(
                "ResourceNotFound.MigrationTask",
                "The migration task does not exist.",
            )
        }
        "DescribeMigratingTopicList" => ok(page(
            st.task_topics.values().cloned().collect(),
            p,
            "MigrateTopics",
        )),
        "ChangeMigratingTopicToNextStage" => {
            let mut results = vec![];
            for name in p["TopicNameList"].as_array().cloned().unwrap_or_default() {
                let name = name.as_str().unwrap_or_default().to_string();
                let success = !st.refuse_next_stage && st.task_topics.contains_key(&name);
                if success {
                    let next = step_stage(&st.task_stage(&name), 1);
                    st.task_topics.get_mut(&name).unwrap()["MigrationStatus"] = next.into();
                }
                let mut r = template("ChangeMigratingTopicToNextStage", "Results");
                r["TopicName"] = name.into();
                r["Success"] = success.into();
                results.push(r);
            }
            json!({ "Response": { "Results": results, "RequestId": "local-test-request" } })
        }
        "RollbackMigratingTopicStage" => {
            let name = p["TopicName"].as_str().unwrap_or_default().to_string();
            if !st.task_topics.contains_key(&name) {
                return error("ResourceNotFound.Topic", "The topic is not in the task.");
            }
            let back = step_stage(&st.task_stage(&name), -1);
            st.task_topics.get_mut(&name).unwrap()["MigrationStatus"] = back.into();
            spec_example("RollbackMigratingTopicStage")
        }
        other => error("InvalidAction", &format!("{other} is not served here")),
    }
}

impl Server {
    /// A server of one TDMQ 4.x cluster (and no 5.x instance).
    pub fn start(cluster_id: &str, namespace: &str) -> Server {
        Server::start_with(State {
            cluster_id: cluster_id.into(),
            namespace: namespace.into(),
            ..State::default()
        })
    }

    /// A server of one TDMQ 5.x instance (`Instance::new`: limits 1000/1000, type PLATINUM) and
    /// no 4.x cluster.
    pub fn start_instance(instance_id: &str) -> Server {
        Server::start_with(State {
            instance: Instance::new(instance_id),
            ..State::default()
        })
    }

    /// A server of whatever `state` holds: a 4.x cluster, a 5.x instance, or both.
    pub fn start_with(state: State) -> Server {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let state = Arc::new(Mutex::new(state));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in l.incoming().map_while(Result::ok) {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut headers = BTreeMap::new();
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                        }
                    }
                    let len: usize = headers
                        .get("content-length")
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; len];
                    let _ = reader.read_exact(&mut body);
                    let get = |k: &str| headers.get(k).cloned().unwrap_or_default();
                    let action = get("x-tc-action");
                    let ts: i64 = get("x-tc-timestamp").parse().unwrap_or(0);
                    let host = get("host");
                    let ct = get("content-type");
                    // TDMQ 4.x actions, or the smooth-migration ones of the newer product API.
                    let (service, version) = if get("x-tc-version") == "2023-03-08" {
                        ("trocket", "2023-03-08")
                    } else {
                        ("tdmq", "2020-02-17")
                    };
                    let expected = sign::sign(
                        &sign::Request {
                            service,
                            host: &host,
                            action: &action,
                            content_type: &ct,
                            timestamp: ts,
                            body: &body,
                            sign_action: false,
                        },
                        &Secret::new(SECRET_KEY),
                    );
                    let auth = get("authorization");
                    let mut st = state.lock().unwrap();
                    let valid = auth == sign::authorization(SECRET_ID, service, &expected)
                        && get("x-tc-version") == version;
                    let reply = if !valid {
                        st.bad_signatures += 1;
                        error(
                            "AuthFailure.SignatureFailure",
                            "The provided credentials could not be validated. Please check your signature is correct.",
                        )
                    } else if st.rate_limited > 0 {
                        st.rate_limited -= 1;
                        error(
                            "RequestLimitExceeded",
                            "Your current request times equals to `20` in a second, which exceeds the frequency limit `20` for a second. Please reduce the frequency of calls.",
                        )
                    } else {
                        let params: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        st.calls.push((action.clone(), params.clone()));
                        answer(&mut st, service, &action, &params)
                    };
                    let text = reply.to_string();
                    let date = http_date(st.date_skew);
                    let gateway = st.gateway_errors > 0;
                    st.gateway_errors = st.gateway_errors.saturating_sub(1);
                    drop(st);
                    let mut s = stream;
                    if gateway {
                        let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
                        let _ = write!(
                            s,
                            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                            page.len()
                        );
                        return;
                    }
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: {date}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                        text.len()
                    );
                });
            }
        });
        Server { url, state }
    }
}
