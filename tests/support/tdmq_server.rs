//! A local stand-in for the Tencent Cloud API 3.0 (TDMQ for RocketMQ 4.x): it checks every
//! request's TC3-HMAC-SHA256 signature with the test credentials (a bad one gets Tencent's
//! documented error shape) and answers with bodies built from the API spec's own example
//! responses (tests/fixtures/tdmq, see SOURCES.md there), paginated with Limit <= 100.
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

#[derive(Default)]
pub struct State {
    pub cluster_id: String,
    pub namespace: String,
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

fn page(items: Vec<Value>, params: &Value, list: &str) -> Result<Value, Value> {
    let offset = params["Offset"].as_u64().unwrap_or(0) as usize;
    let limit = params["Limit"].as_u64().unwrap_or(20) as usize;
    if limit > 100 {
        return Err(error("InvalidParameterValue", "Limit must be at most 100"));
    }
    let total = items.len();
    let slice: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    Ok(
        json!({ "Response": { list: slice, "TotalCount": total, "RequestId": "local-test-request" } }),
    )
}

fn answer(st: &mut State, action: &str, p: &Value) -> Value {
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
    pub fn start(cluster_id: &str, namespace: &str) -> Server {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            cluster_id: cluster_id.into(),
            namespace: namespace.into(),
            ..State::default()
        }));
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
                        answer(&mut st, &action, &params)
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
