//! The `tdmq` cluster kind: TDMQ for RocketMQ (4.x) seen through the Tencent Cloud API 3.0. Its
//! clients speak the RocketMQ protocol, but backlog, consumer connections and metadata are read
//! and created through the API, in the plan's namespace.

pub mod api;
pub mod sign;

use super::Cluster;
use crate::clock;
use crate::metadata::MetadataItem;
use crate::model::*;
use crate::plan::{ClusterSpec, Scope, Secret, Side, TdmqSpec};
use api::{Api, ApiError};
use async_trait::async_trait;
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const SERVICE: &str = "tdmq";
const VERSION: &str = "2020-02-17";
/// The smooth-migration tasks live in the newer product API.
const TASK_SERVICE: &str = "trocket";
const TASK_VERSION: &str = "2023-03-08";
/// Calls in flight at once: the API rate-limits per action.
const PARALLEL: usize = 8;

pub struct TdmqCluster {
    side: Side,
    label: String,
    cluster_id: String,
    namespace: String,
    /// A trocket smooth-migration task that follows the batches' moves.
    task_id: Option<String>,
    api: Api,
}

fn num(v: &Value, k: &str) -> Option<i64> {
    v.get(k)
        .and_then(|x| x.as_i64().or_else(|| x.as_u64().map(|u| u as i64)))
}

/// What a task's health check found: the list, or the single error of older answers.
fn health_errors(v: &Value) -> Vec<String> {
    let list: Vec<String> = v
        .get("HealthCheckErrorList")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let single = text(v, "HealthCheckError");
    if list.is_empty() && !single.is_empty() {
        vec![single]
    } else {
        list
    }
}

fn text(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl TdmqCluster {
    pub fn new(spec: &ClusterSpec, t: &TdmqSpec, secret: Secret) -> Result<TdmqCluster, String> {
        let api = Api::new(
            t.endpoint.clone(),
            &t.region,
            &t.cluster_id,
            &t.secret_id,
            secret,
            t.timeout,
        )?;
        Ok(TdmqCluster {
            side: spec.side,
            label: spec.name.clone(),
            cluster_id: t.cluster_id.clone(),
            namespace: t.namespace.clone(),
            task_id: t.migration_task_id.clone(),
            api,
        })
    }

    /// The name clients use for a topic or group of this namespace.
    pub fn client_name(&self, name: &str) -> String {
        format!("{}%{name}", self.namespace)
    }

    fn base(&self) -> Value {
        json!({ "ClusterId": self.cluster_id, "NamespaceId": self.namespace })
    }

    /// The API call that creates an item, as `sync-metadata --dry-run` shows it.
    pub fn create_call(&self, item: &MetadataItem) -> (&'static str, Value) {
        match item {
            MetadataItem::Topic { name, config } => {
                let kind = if config.as_ref().is_some_and(|c| c.order) {
                    "PartitionedOrder"
                } else {
                    "Normal"
                };
                let partitions = config.as_ref().map_or(8, |c| c.write_queues.max(1));
                (
                    "CreateRocketMQTopic",
                    json!({ "Topic": name, "Namespaces": [self.namespace], "Type": kind, "ClusterId": self.cluster_id, "PartitionNum": partitions, "Remark": "created by rocketmq-migrate" }),
                )
            }
            MetadataItem::Group { name, config } => {
                let broadcast = config.as_ref().is_some_and(|c| c.broadcast);
                let mut p = json!({ "GroupId": name, "Namespaces": [self.namespace], "ReadEnable": true, "BroadcastEnable": broadcast, "ClusterId": self.cluster_id, "Remark": "created by rocketmq-migrate" });
                if let Some(c) = config {
                    p["RetryMaxTimes"] = c.retry_max_times.into();
                }
                ("CreateRocketMQGroup", p)
            }
        }
    }

    async fn subscribers(&self, topic: String) -> (String, Result<Vec<Value>, ApiError>) {
        let r = self.groups(json!({ "FilterTopic": topic })).await;
        (topic, r)
    }

    async fn connections(&self, group: String) -> (String, Result<Vec<Value>, ApiError>) {
        let mut p = self.base();
        p["GroupId"] = group.as_str().into();
        let r = self
            .api
            .read_all(
                SERVICE,
                VERSION,
                "DescribeRocketMQConsumerConnections",
                &p,
                "Connections",
            )
            .await;
        (group, r)
    }

    async fn topic_stats(&self, topic: String) -> (String, Result<Value, ApiError>) {
        let mut p = self.base();
        p["TopicName"] = topic.as_str().into();
        let r = self
            .api
            .read(SERVICE, VERSION, "DescribeRocketMQTopicStats", &p)
            .await;
        (topic, r)
    }

    /// The task's stage and health check for each topic of the plan.
    async fn migration_task(&self, task_id: &str, scope: &Scope) -> MigrationTask {
        let listed = self
            .api
            .read_all(
                TASK_SERVICE,
                TASK_VERSION,
                "DescribeMigratingTopicList",
                &json!({ "TaskId": task_id }),
                "MigrateTopics",
            )
            .await;
        let topics = scope.topics.iter().map(|t| {
            let state = match &listed {
                Err(e) => Known::unknown(format!("migration task {task_id}: {e}")),
                Ok(list) => match list.iter().find(|v| text(v, "TopicName") == *t) {
                    None => Known::unknown(format!("topic {t} is not in migration task {task_id}")),
                    Some(v) => Known::Known(TaskTopic {
                        stage: text(v, "MigrationStatus"),
                        health_passed: v.get("HealthCheckPassed").and_then(Value::as_bool)
                            == Some(true),
                        health_errors: health_errors(v),
                    }),
                },
            };
            (t.clone(), state)
        });
        MigrationTask {
            task_id: task_id.to_string(),
            topics: topics.collect(),
        }
    }

    async fn groups(&self, extra: Value) -> Result<Vec<Value>, ApiError> {
        let mut p = self.base();
        if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.api
            .read_all(SERVICE, VERSION, "DescribeRocketMQGroups", &p, "Groups")
            .await
    }
}

#[async_trait]
impl Cluster for TdmqCluster {
    fn side(&self) -> Side {
        self.side
    }
    fn label(&self) -> &str {
        &self.label
    }
    fn kind(&self) -> &'static str {
        "tdmq"
    }

    async fn snapshot(&self, scope: &Scope) -> Snapshot {
        let started = clock::now();
        let unreachable =
            |e: String| Snapshot::unreachable(self.side, &self.label, "tdmq", started, e);
        match self
            .api
            .read(
                SERVICE,
                VERSION,
                "DescribeRocketMQClusters",
                &json!({ "Offset": 0, "Limit": 10, "ClusterIdList": [self.cluster_id] }),
            )
            .await
        {
            Err(e) => return unreachable(e.to_string()),
            Ok(r)
                if r.get("ClusterList")
                    .and_then(Value::as_array)
                    .is_none_or(|l| l.is_empty()) =>
            {
                return unreachable(format!(
                    "cluster {} is not in the cluster list of this region: check cluster_id and region",
                    self.cluster_id
                ));
            }
            Ok(_) => {}
        }
        let mut errors = vec![];
        let base = self.base();
        let (groups, topics) = tokio::join!(
            self.groups(json!({})),
            self.api
                .read_all(SERVICE, VERSION, "DescribeRocketMQTopics", &base, "Topics")
        );
        let groups: Result<BTreeMap<String, Value>, String> = groups
            .map(|g| g.into_iter().map(|v| (text(&v, "Name"), v)).collect())
            .map_err(|e| e.to_string());
        let topics: Result<BTreeMap<String, Value>, String> = topics
            .map(|t| t.into_iter().map(|v| (text(&v, "Name"), v)).collect())
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

        // Who subscribes to each topic of the plan (the API filters groups by topic).
        let futs: Vec<_> = scope
            .topics
            .iter()
            .cloned()
            .map(|t| self.subscribers(t))
            .collect();
        let subs: Vec<(String, Result<Vec<Value>, ApiError>)> = futures::stream::iter(futs)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        let mut subscribed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut subs_error = None;
        for (topic, r) in subs {
            match r {
                Ok(list) => {
                    for g in list {
                        subscribed
                            .entry(text(&g, "Name"))
                            .or_default()
                            .insert(topic.clone());
                    }
                }
                Err(e) => {
                    errors.push(ItemError {
                        item: format!("subscribers of {topic}"),
                        error: e.to_string(),
                    });
                    subs_error = Some(e.to_string());
                }
            }
        }

        // Consumers of the plan's groups that have any online.
        let futs: Vec<_> = scope
            .groups
            .iter()
            .map(|g| g.name.clone())
            .filter(|g| {
                groups
                    .as_ref()
                    .ok()
                    .and_then(|m| m.get(g))
                    .and_then(|v| num(v, "ConsumerNum"))
                    .is_some_and(|n| n > 0)
            })
            .map(|g| self.connections(g))
            .collect();
        let conns: BTreeMap<String, Result<Vec<Value>, ApiError>> = futures::stream::iter(futs)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;

        // Max offsets of the plan's topics that exist.
        let futs: Vec<_> = scope
            .topics
            .iter()
            .filter(|t| topics.as_ref().is_ok_and(|m| m.contains_key(*t)))
            .cloned()
            .map(|t| self.topic_stats(t))
            .collect();
        let stats: BTreeMap<String, Result<Value, ApiError>> = futures::stream::iter(futs)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;

        let mut snap = unreachable(String::new());
        snap.unreachable = None;
        for t in &scope.topics {
            let state = match &topics {
                Err(e) => TopicState {
                    exists: Known::unknown(e.clone()),
                    max_offset: Known::unknown(e.clone()),
                    config: None,
                },
                Ok(m) => match m.get(t) {
                    None => TopicState {
                        exists: Known::Known(false),
                        max_offset: Known::Known(0),
                        config: None,
                    },
                    Some(v) => {
                        let q = num(v, "PartitionNum").unwrap_or(0).max(0) as u32;
                        let order =
                            matches!(text(v, "Type").as_str(), "GlobalOrder" | "PartitionedOrder");
                        let max_offset = match stats.get(t) {
                            Some(Ok(s)) => Known::Known(
                                s.get("TopicStatsList")
                                    .and_then(Value::as_array)
                                    .map_or(0, |l| {
                                        l.iter()
                                            .filter_map(|q| num(q, "MaxOffset"))
                                            .map(|m| m.max(0) as u64)
                                            .sum()
                                    }),
                            ),
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
                            exists: Known::Known(true),
                            max_offset,
                            config: Some(TopicConfig {
                                read_queues: q,
                                write_queues: q,
                                perm: 6,
                                order,
                            }),
                        }
                    }
                },
            };
            snap.topics.insert(t.clone(), state);
        }
        for g in &scope.groups {
            let state = match &groups {
                Err(e) => GroupState {
                    exists: Known::unknown(e.clone()),
                    backlog: Known::unknown(e.clone()),
                    consumers: Known::unknown(e.clone()),
                    subscriptions: Known::unknown(e.clone()),
                    config: None,
                    consume_tps: None,
                },
                Ok(m) => match m.get(&g.name) {
                    None => GroupState {
                        exists: Known::Known(false),
                        backlog: Known::unknown("the group does not exist on this cluster"),
                        consumers: Known::Known(vec![]),
                        subscriptions: Known::Known(BTreeSet::new()),
                        config: None,
                        consume_tps: None,
                    },
                    Some(v) => {
                        let backlog = match num(v, "TotalAccumulative") {
                            Some(n) if n >= 0 => Known::Known(Backlog {
                                total: n as u64,
                                per_topic: BTreeMap::new(),
                            }),
                            _ => Known::unknown(format!(
                                "TDMQ did not report the backlog of {}",
                                g.name
                            )),
                        };
                        let consumers = match conns.get(&g.name) {
                            None => Known::Known(vec![]),
                            Some(Ok(list)) => Known::Known(
                                list.iter()
                                    .map(|c| Client {
                                        client_id: text(c, "ClientId"),
                                        addr: text(c, "ClientAddr"),
                                        language: text(c, "Language"),
                                        version: Some(text(c, "Version")).filter(|s| !s.is_empty()),
                                        message_model: Some(
                                            if v.get("BroadcastEnabled").and_then(Value::as_bool)
                                                == Some(true)
                                            {
                                                MessageModel::Broadcasting
                                            } else {
                                                MessageModel::Clustering
                                            },
                                        ),
                                    })
                                    .collect(),
                            ),
                            Some(Err(e)) => {
                                errors.push(ItemError {
                                    item: format!("group {} consumers", g.name),
                                    error: e.to_string(),
                                });
                                Known::unknown(e.to_string())
                            }
                        };
                        let subscriptions = match &subs_error {
                            Some(e) => Known::unknown(e.clone()),
                            None => {
                                Known::Known(subscribed.get(&g.name).cloned().unwrap_or_default())
                            }
                        };
                        let config = GroupConfig {
                            broadcast: v
                                .get("BroadcastEnabled")
                                .and_then(Value::as_bool)
                                .unwrap_or(false),
                            orderly: false,
                            retry_queues: num(v, "RetryPartitionNum").unwrap_or(1).max(0) as u32,
                            retry_max_times: num(v, "RetryMaxTimes").unwrap_or(16) as i32,
                        };
                        GroupState {
                            exists: Known::Known(true),
                            backlog,
                            consumers,
                            subscriptions,
                            config: Some(config),
                            consume_tps: num(v, "TPS").map(|x| x as f64),
                        }
                    }
                },
            };
            snap.groups.insert(g.name.clone(), state);
        }
        // The 4.x API lists no producer connections.
        snap.producers = Producers {
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
        };
        snap.errors = errors;
        if let Some(task) = &self.task_id {
            snap.migration = Some(Box::new(self.migration_task(task, scope).await));
        }
        snap.taken_at = clock::now();
        snap
    }

    async fn follow_move(
        &self,
        topics: &[String],
        t: crate::stage::Transition,
    ) -> Result<Option<String>, String> {
        let Some(task) = &self.task_id else {
            return Ok(None);
        };
        if !t.moves_task() {
            return Ok(None);
        }
        if t.is_forward() {
            let r = self
                .api
                .write(
                    TASK_SERVICE,
                    TASK_VERSION,
                    "ChangeMigratingTopicToNextStage",
                    &json!({ "TaskId": task, "TopicNameList": topics, "NamespaceList": [] }),
                )
                .await
                .map_err(|e| e.to_string())?;
            let failed: Vec<String> = r
                .get("Results")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|x| x.get("Success").and_then(Value::as_bool) != Some(true))
                .map(|x| text(x, "TopicName"))
                .collect();
            if !failed.is_empty() {
                return Err(format!(
                    "migration task {task} did not move {} to {}",
                    failed.join(", "),
                    t.to.task_code()
                ));
            }
        } else {
            for topic in topics {
                self.api
                    .write(
                        TASK_SERVICE,
                        TASK_VERSION,
                        "RollbackMigratingTopicStage",
                        &json!({ "TaskId": task, "TopicName": topic, "Namespace": "" }),
                    )
                    .await
                    .map_err(|e| format!("{topic}: {e}"))?;
            }
        }
        Ok(Some(format!(
            "migration task {task}: {} now at {}",
            topics.join(", "),
            t.to.task_code()
        )))
    }

    async fn create(&self, item: &MetadataItem) -> Result<(), String> {
        let (action, params) = self.create_call(item);
        self.api
            .write(SERVICE, VERSION, action, &params)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn describe_create(&self, item: &MetadataItem) -> String {
        let (action, params) = self.create_call(item);
        format!(
            "{action} {params} (clients use {})",
            self.client_name(item.name())
        )
    }
}
