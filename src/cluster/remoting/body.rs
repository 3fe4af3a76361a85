//! Typed views of the response bodies the admin subset reads, from any of the forms servers
//! write: standard JSON, fastjson's raw keys, JSON-in-a-string keys, camelCase or snake_case.

use super::fastjson;
use crate::model::{Client, Filter, GroupConfig, MessageModel, TopicConfig, TopicMessageType};
use serde_json::Value;
use std::collections::BTreeMap;

pub type BodyResult<T> = Result<T, String>;

pub fn parse(body: &[u8], what: &str) -> BodyResult<Value> {
    fastjson::parse(body).map_err(|e| format!("{what}: unreadable body ({e})"))
}

/// The first field present under any of the names.
fn field<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| v.get(*n))
        .filter(|x| !x.is_null())
}

fn int(v: &Value, names: &[&str]) -> Option<i64> {
    match field(v, names)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn float(v: &Value, names: &[&str]) -> Option<f64> {
    match field(v, names)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: &Value, names: &[&str]) -> Option<String> {
    match field(v, names)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn boolean(v: &Value, names: &[&str]) -> Option<bool> {
    match field(v, names)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn object<'a>(
    v: &'a Value,
    names: &[&str],
    what: &str,
) -> BodyResult<&'a serde_json::Map<String, Value>> {
    match field(v, names) {
        None => Ok(EMPTY.get_or_init(serde_json::Map::new)),
        Some(_) => required_object(v, names, what),
    }
}

static EMPTY: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerData {
    pub cluster: String,
    pub name: String,
    /// brokerId -> address; id 0 is the master.
    pub addrs: BTreeMap<u64, String>,
}

impl BrokerData {
    pub fn master(&self) -> Option<&str> {
        self.addrs.get(&0).map(String::as_str)
    }
}

/// GET_BROKER_CLUSTER_INFO: brokers by name.
pub fn cluster_info(v: &Value) -> BodyResult<BTreeMap<String, BrokerData>> {
    let table = object(v, &["brokerAddrTable", "broker_addr_table"], "cluster info")?;
    let mut out = BTreeMap::new();
    for (name, b) in table {
        let mut addrs = BTreeMap::new();
        for (id, addr) in object(b, &["brokerAddrs", "broker_addrs"], "cluster info")? {
            let id: u64 = id
                .trim()
                .parse()
                .map_err(|_| format!("cluster info: broker id {id:?} of {name} is not a number"))?;
            if let Some(a) = addr.as_str() {
                addrs.insert(id, a.to_string());
            }
        }
        let cluster = text(b, &["cluster"]).unwrap_or_default();
        out.insert(
            name.clone(),
            BrokerData {
                cluster,
                name: text(b, &["brokerName", "broker_name"]).unwrap_or_else(|| name.clone()),
                addrs,
            },
        );
    }
    Ok(out)
}

/// GET_ROUTEINFO_BY_TOPIC: the brokers that host a topic.
pub fn route(v: &Value) -> BodyResult<Vec<BrokerData>> {
    let list = match field(v, &["brokerDatas", "broker_datas"]) {
        Some(Value::Array(a)) => a,
        _ => return Ok(vec![]),
    };
    let mut out = vec![];
    for b in list {
        let mut addrs = BTreeMap::new();
        for (id, addr) in object(b, &["brokerAddrs", "broker_addrs"], "route")? {
            if let (Ok(id), Some(a)) = (id.trim().parse::<u64>(), addr.as_str()) {
                addrs.insert(id, a.to_string());
            }
        }
        out.push(BrokerData {
            cluster: text(b, &["cluster"]).unwrap_or_default(),
            name: text(b, &["brokerName", "broker_name"]).unwrap_or_default(),
            addrs,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueKey {
    pub topic: String,
    pub broker: String,
    pub queue_id: i64,
}

/// A MessageQueue map key: an object already turned to JSON text by the lenient reader, or a
/// string holding JSON.
fn queue_key(k: &str) -> BodyResult<QueueKey> {
    let v = fastjson::parse(k.as_bytes()).map_err(|e| format!("message queue key {k:?}: {e}"))?;
    let v = match v {
        Value::String(inner) => fastjson::parse(inner.as_bytes())
            .map_err(|e| format!("message queue key {inner:?}: {e}"))?,
        other => other,
    };
    Ok(QueueKey {
        topic: text(&v, &["topic"])
            .ok_or_else(|| format!("message queue key {k:?} has no topic"))?,
        broker: text(&v, &["brokerName", "broker_name"]).unwrap_or_default(),
        queue_id: int(&v, &["queueId", "queue_id"]).unwrap_or(0),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueOffsets {
    pub broker_offset: i64,
    pub consumer_offset: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConsumeStats {
    pub queues: Vec<(QueueKey, QueueOffsets)>,
    pub consume_tps: f64,
}

/// GET_CONSUME_STATS.
pub fn consume_stats(v: &Value) -> BodyResult<ConsumeStats> {
    let mut queues = vec![];
    for (k, o) in object(v, &["offsetTable", "offset_table"], "consume stats")? {
        let broker_offset = int(o, &["brokerOffset", "broker_offset"])
            .ok_or_else(|| format!("consume stats: queue {k} has no brokerOffset"))?;
        let consumer_offset = int(o, &["consumerOffset", "consumer_offset"])
            .ok_or_else(|| format!("consume stats: queue {k} has no consumerOffset"))?;
        queues.push((
            queue_key(k)?,
            QueueOffsets {
                broker_offset,
                consumer_offset,
            },
        ));
    }
    queues.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(ConsumeStats {
        queues,
        consume_tps: float(v, &["consumeTps", "consume_tps"]).unwrap_or(0.0),
    })
}

/// GET_TOPIC_STATS_INFO: the offsets each queue holds, `min..max` (min 0 when absent).
pub fn topic_stats(v: &Value) -> BodyResult<Vec<(QueueKey, std::ops::Range<i64>)>> {
    let mut out = vec![];
    for (k, o) in object(v, &["offsetTable", "offset_table"], "topic stats")? {
        let max = int(o, &["maxOffset", "max_offset"])
            .ok_or_else(|| format!("topic stats: queue {k} has no maxOffset"))?;
        let min = int(o, &["minOffset", "min_offset"]).unwrap_or(0);
        out.push((queue_key(k)?, min..max));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// GET_ALL_CONSUMER_OFFSET: the broker's committed offsets, `"topic@group" -> {queueId: offset}`.
pub fn consumer_offsets(v: &Value) -> BodyResult<super::backlog::CommittedOffsets> {
    let mut out = BTreeMap::new();
    for (key, queues) in object(v, &["offsetTable", "offset_table"], "consumer offsets")? {
        let (topic, group) = key
            .split_once('@')
            .ok_or_else(|| format!("consumer offsets: key {key:?} is not topic@group"))?;
        let Value::Object(queues) = queues else {
            return Err(format!(
                "consumer offsets: {key:?} is not a table of queues"
            ));
        };
        let mut offsets = BTreeMap::new();
        for (id, offset) in queues {
            let id: i64 = id.trim().parse().map_err(|_| {
                format!("consumer offsets: queue id {id:?} of {key} is not a number")
            })?;
            let offset = offset.as_i64().ok_or_else(|| {
                format!("consumer offsets: the offset of {key} queue {id} is not a number")
            })?;
            offsets.insert(id, offset);
        }
        out.insert((topic.to_string(), group.to_string()), offsets);
    }
    Ok(out)
}

fn client(c: &Value, model: Option<MessageModel>) -> Client {
    let version = match field(c, &["version"]) {
        Some(Value::Number(n)) => n.as_i64().map(version_name),
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Client {
        client_id: text(c, &["clientId", "client_id"]).unwrap_or_default(),
        addr: text(c, &["clientAddr", "client_addr", "remoteIP", "remote_ip"]).unwrap_or_default(),
        language: text(c, &["language"]).unwrap_or_default(),
        version,
        message_model: model,
    }
}

/// A RocketMQ version ordinal (MQVersion.Version) as its name, e.g. 401 -> `V4_9_4`. From
/// V4_0_0 on, the enum lists `X_Y_Z_SNAPSHOT, X_Y_Z` for every X.Y.Z up to 5.9.9.
pub fn version_name(v: i64) -> String {
    const V4_0_0_SNAPSHOT: i64 = 212;
    const HIGHER_VERSION: i64 = 612;
    if v >= HIGHER_VERSION {
        return "HIGHER_VERSION".into();
    }
    if v < V4_0_0_SNAPSHOT {
        return format!("V3_x (ordinal {v})");
    }
    let k = v - V4_0_0_SNAPSHOT;
    let n = k / 2;
    let name = format!("V{}_{}_{}", 4 + n / 100, (n / 10) % 10, n % 10);
    if k % 2 == 0 {
        format!("{name}_SNAPSHOT")
    } else {
        name
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerConnection {
    pub clients: Vec<Client>,
    /// Subscribed topics with their expressions, retry topics left out.
    pub subscriptions: BTreeMap<String, Filter>,
    pub message_model: Option<MessageModel>,
}

/// GET_CONSUMER_CONNECTION_LIST.
pub fn consumer_connection(v: &Value) -> BodyResult<ConsumerConnection> {
    let model = match text(v, &["messageModel", "message_model"]).as_deref() {
        Some("BROADCASTING") => Some(MessageModel::Broadcasting),
        Some("CLUSTERING") => Some(MessageModel::Clustering),
        _ => None,
    };
    let clients = match field(v, &["connectionSet", "connection_set"]) {
        Some(Value::Array(a)) => a.iter().map(|c| client(c, model)).collect(),
        _ => vec![],
    };
    let subscriptions = object(
        v,
        &["subscriptionTable", "subscription_table"],
        "consumer connection",
    )?
    .iter()
    .filter(|(t, _)| !t.starts_with("%RETRY%"))
    .map(|(t, sub)| {
        let kind = text(sub, &["expressionType", "expression_type"]);
        let expression = text(sub, &["subString", "sub_string"]);
        (
            t.clone(),
            Filter::parse(kind.as_deref(), expression.as_deref()),
        )
    })
    .collect();
    Ok(ConsumerConnection {
        clients,
        subscriptions,
        message_model: model,
    })
}

/// GET_PRODUCER_CONNECTION_LIST.
pub fn producer_connection(v: &Value) -> Vec<Client> {
    match field(v, &["connectionSet", "connection_set"]) {
        Some(Value::Array(a)) => a.iter().map(|c| client(c, None)).collect(),
        _ => vec![],
    }
}

/// Groups every client registers under; not applications' producers.
pub const INTERNAL_PRODUCER_GROUPS: [&str; 3] = [
    "CLIENT_INNER_PRODUCER",
    "TOOLS_CONSUMER",
    "__MONITOR_PRODUCER",
];

/// GET_ALL_PRODUCER_INFO: producers by group.
pub fn all_producer_info(v: &Value) -> BodyResult<BTreeMap<String, Vec<Client>>> {
    let mut out = BTreeMap::new();
    for (group, list) in object(v, &["data"], "producer info")? {
        if INTERNAL_PRODUCER_GROUPS.contains(&group.as_str()) {
            continue;
        }
        let clients = match list {
            Value::Array(a) => a.iter().map(|c| client(c, None)).collect(),
            _ => vec![],
        };
        out.insert(group.clone(), clients);
    }
    Ok(out)
}

/// GET_ALL_TOPIC_CONFIG.
pub fn topic_configs(v: &Value) -> BodyResult<BTreeMap<String, TopicConfig>> {
    let mut out = BTreeMap::new();
    for (name, c) in object(
        v,
        &["topicConfigTable", "topic_config_table"],
        "topic config",
    )? {
        out.insert(
            name.clone(),
            TopicConfig {
                read_queues: int(c, &["readQueueNums", "read_queue_nums"]).unwrap_or(0) as u32,
                write_queues: int(c, &["writeQueueNums", "write_queue_nums"]).unwrap_or(0) as u32,
                perm: int(c, &["perm"]).unwrap_or(6) as u32,
                order: boolean(c, &["order"]).unwrap_or(false),
                // A 5.x broker keeps it as `message.type` (TopicAttributes); older ones have none.
                message_type: field(c, &["attributes"])
                    .and_then(|a| a.get("message.type"))
                    .and_then(Value::as_str)
                    .and_then(TopicMessageType::named),
            },
        );
    }
    Ok(out)
}

/// A metadata table's `dataVersion`, which a paged read sends back to ask for the same table.
pub fn data_version(v: &Value) -> Option<Value> {
    field(v, &["dataVersion", "data_version"]).cloned()
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG.
pub fn subscription_groups(v: &Value) -> BodyResult<BTreeMap<String, GroupConfig>> {
    let mut out = BTreeMap::new();
    for (name, c) in object(
        v,
        &["subscriptionGroupTable", "subscription_group_table"],
        "subscription groups",
    )? {
        out.insert(
            name.clone(),
            GroupConfig {
                broadcast: boolean(c, &["consumeBroadcastEnable", "consume_broadcast_enable"])
                    .unwrap_or(false),
                orderly: boolean(c, &["consumeMessageOrderly", "consume_message_orderly"])
                    .unwrap_or(false),
                retry_queues: Some(
                    int(c, &["retryQueueNums", "retry_queue_nums"]).unwrap_or(1) as u32
                ),
                retry_max_times: int(c, &["retryMaxTimes", "retry_max_times"]).unwrap_or(16) as i32,
            },
        );
    }
    Ok(out)
}

/// A whole number written as a JSON number or a string; fractions are not offsets.
fn whole(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An object field that must be there: a body without it is not the answer asked for.
fn required_object<'a>(
    v: &'a Value,
    names: &[&str],
    what: &str,
) -> BodyResult<&'a serde_json::Map<String, Value>> {
    match field(v, names) {
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(format!("{what}: `{}` is not an object", names[0])),
        None => Err(format!("{what}: no `{}` in the answer", names[0])),
    }
}

/// GET_ALL_DELAY_OFFSET (the broker's `delayOffset.json`): the schedule service's next offset to
/// deliver, per delay level. Levels are map keys: bare numbers from fastjson (`{1:123}`), quoted
/// from other servers. A level the service never moved has no entry.
pub fn delay_offsets(v: &Value) -> BodyResult<BTreeMap<u32, i64>> {
    let mut out = BTreeMap::new();
    for (level, offset) in required_object(v, &["offsetTable", "offset_table"], "delay offsets")? {
        let n: u32 = level
            .trim()
            .parse()
            .ok()
            .filter(|l| *l > 0)
            .ok_or_else(|| format!("delay offsets: level {level:?} is not a positive number"))?;
        let offset = whole(offset).filter(|o| *o >= 0).ok_or_else(|| {
            format!("delay offsets: the offset of level {n} is not a whole number >= 0 ({offset})")
        })?;
        out.insert(n, offset);
    }
    Ok(out)
}

/// GET_BROKER_RUNTIME_INFO: the broker's figures by name (`{"table":{"k":"v"}}`), as text.
pub fn runtime_info(v: &Value) -> BodyResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (k, val) in required_object(v, &["table"], "runtime info")? {
        let text = match val {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => val.to_string(),
            _ => continue,
        };
        out.insert(k.clone(), text);
    }
    Ok(out)
}

/// GET_BROKER_CONFIG answers text, not JSON: the broker's properties one a line, `key=value`
/// from Java (MixAll.properties2String) and `key:value` from rocketmq-rust. Read as
/// java.util.Properties reads a line: the key ends at the first `=`, `:` or blank, and one
/// separator with blanks around it follows. Blank lines and `#`/`!` comments are skipped.
pub fn properties(body: &[u8]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in String::from_utf8_lossy(body).lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let end = line
            .find(|c: char| c == '=' || c == ':' || c.is_whitespace())
            .unwrap_or(line.len());
        let (key, rest) = line.split_at(end);
        let rest = rest.trim_start();
        let rest = rest
            .strip_prefix('=')
            .or_else(|| rest.strip_prefix(':'))
            .unwrap_or(rest);
        out.insert(key.to_string(), rest.trim().to_string());
    }
    out
}

/// GET_ALL_TOPIC_LIST_FROM_NAMESERVER.
pub fn topic_list(v: &Value) -> Vec<String> {
    match field(v, &["topicList", "topic_list"]) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ordinals_name_the_release() {
        assert_eq!(version_name(401), "V4_9_4");
        assert_eq!(version_name(413), "V5_0_0");
        assert_eq!(version_name(479), "V5_3_3");
        assert_eq!(version_name(273), "V4_3_0");
        assert_eq!(version_name(293), "V4_4_0");
        assert_eq!(version_name(292), "V4_4_0_SNAPSHOT");
        assert_eq!(version_name(100), "V3_x (ordinal 100)");
        assert_eq!(version_name(9999), "HIGHER_VERSION");
    }
}
