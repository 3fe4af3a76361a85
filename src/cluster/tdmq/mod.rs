//! The `tdmq` cluster kind: TDMQ for RocketMQ seen through the Tencent Cloud API 3.0. Its
//! clients speak the RocketMQ protocol, but backlog, consumer connections and metadata are read
//! and created through the API. This module serves 4.x clusters (service `tdmq`, names in the
//! plan's namespace); `instance` serves 5.x instances (service `trocket`). Shells make the
//! calls; what the answers mean is decided in `snapshot`, `instance::snapshot` and `task`,
//! without I/O.

pub mod api;
mod field;
pub mod instance;
pub mod sign;
mod snapshot;
mod task;

use super::{Cluster, Outcome};
use crate::clock;
use crate::gate::Move;
use crate::metadata::MetadataItem;
use crate::model::Snapshot;
use crate::plan::{ClusterSpec, Scope, Secret, Side, TdmqSpec};
use api::{Api, ApiError};
use async_trait::async_trait;
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const KIND: &str = "tdmq";
const SERVICE: &str = "tdmq";
const VERSION: &str = "2020-02-17";
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

impl TdmqCluster {
    pub fn new(
        spec: &ClusterSpec,
        t: &TdmqSpec,
        cluster_id: &str,
        namespace: &str,
        secret: Secret,
    ) -> Result<TdmqCluster, String> {
        let api = Api::new(t, spec.side, secret)?;
        Ok(TdmqCluster {
            side: spec.side,
            label: spec.name.clone(),
            cluster_id: cluster_id.to_string(),
            namespace: namespace.to_string(),
            task_id: t.migration_task_id.clone(),
            api,
        })
    }

    /// The name clients use for a topic or group of this namespace.
    pub fn client_name(&self, name: &str) -> String {
        crate::plan::client_name(Some(&self.namespace), name)
    }

    fn base(&self) -> Value {
        json!({ "ClusterId": self.cluster_id, "NamespaceId": self.namespace })
    }

    /// The API call that creates an item, as `sync-metadata --dry-run` shows it.
    pub fn create_call(&self, item: &MetadataItem) -> (&'static str, Value) {
        match item {
            MetadataItem::Topic { name, config, .. } => {
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
        KIND
    }

    async fn snapshot(&self, scope: &Scope) -> Snapshot {
        let started = clock::now();
        let clusters = self
            .api
            .read(
                SERVICE,
                VERSION,
                "DescribeRocketMQClusters",
                &json!({ "Offset": 0, "Limit": 10, "ClusterIdList": [self.cluster_id] }),
            )
            .await;
        if let Err(why) = snapshot::cluster_found(&clusters, &self.cluster_id) {
            // Not found (an empty list, or an error saying so): perhaps the other product's id.
            let not_found = match &clusters {
                Ok(_) => true,
                Err(e) => e.code().is_some_and(|c| c.starts_with("ResourceNotFound")),
            };
            let why = if not_found {
                other_product(&self.api, &self.cluster_id, false)
                    .await
                    .unwrap_or(why)
            } else {
                why
            };
            return Snapshot::unreachable(self.side, &self.label, KIND, started, why);
        }
        let base = self.base();
        let (groups, topics) = tokio::join!(
            self.groups(json!({})),
            self.api
                .read_all(SERVICE, VERSION, "DescribeRocketMQTopics", &base, "Topics")
        );

        // Who subscribes to each topic of the plan (the API filters groups by topic).
        let futs: Vec<_> = scope
            .topics
            .iter()
            .cloned()
            .map(|t| self.subscribers(t))
            .collect();
        let subscribers: Vec<_> = futures::stream::iter(futs)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;

        let futs: Vec<_> = snapshot::online_groups(scope, &groups)
            .into_iter()
            .map(|g| self.connections(g))
            .collect();
        let connections: BTreeMap<_, _> = futures::stream::iter(futs)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;

        let futs: Vec<_> = snapshot::existing_topics(scope, &topics)
            .into_iter()
            .map(|t| self.topic_stats(t))
            .collect();
        let topic_stats: BTreeMap<_, _> = futures::stream::iter(futs)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;

        let answers = snapshot::Answers {
            groups,
            topics,
            subscribers,
            connections,
            topic_stats,
        };
        let mut snap = snapshot::assemble(self.side, &self.label, started, scope, answers);
        if let Ok(c) = &clusters {
            snap.endpoints = snapshot::endpoints(c);
            snap.capacity = Some(Box::new(snapshot::capacity(c)));
            snap.servers = Some(snapshot::servers(c));
        }
        finish(&self.api, self.task_id.as_deref(), scope, snap).await
    }

    async fn follow_move(&self, topics: &[String], made: Move) -> Result<Option<String>, String> {
        task::follow(&self.api, self.task_id.as_deref(), topics, made).await
    }

    async fn create(&self, item: &MetadataItem) -> Result<Outcome, String> {
        let (action, params) = self.create_call(item);
        created(self.api.write(SERVICE, VERSION, action, &params).await)
    }

    fn how_to_create(&self, item: &MetadataItem) -> Result<String, String> {
        let (action, params) = self.create_call(item);
        Ok(format!(
            "{action} {params} (clients use {})",
            self.client_name(item.name())
        ))
    }
}

/// What a snapshot of either product ends with: the migration task the plan names, the clock
/// the API's answers showed, and when the poll finished.
async fn finish(api: &Api, task_id: Option<&str>, scope: &Scope, mut snap: Snapshot) -> Snapshot {
    if let Some(task_id) = task_id {
        snap.migration = Some(Box::new(task::read(api, task_id, &scope.topics).await));
    }
    snap.clock_offset_s = api.clock();
    snap.taken_at = clock::now();
    snap
}

/// A create call's answer: an item that exists already is no error (it was created meanwhile,
/// or by someone else), whatever the product calls it.
fn created(answer: Result<Value, ApiError>) -> Result<Outcome, String> {
    match answer {
        Ok(_) => Ok(Outcome::New),
        Err(e)
            if matches!(
                e.code(),
                Some("ResourceInUse" | "UnsupportedOperation.ResourceAlreadyExists")
            ) =>
        {
            Ok(Outcome::AlreadyThere)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// When the plan's id is not found as the product it names, whether the other product line
/// knows it: the operator then needs `version` changed, not the id.
async fn other_product(api: &Api, id: &str, plan_says_v5: bool) -> Option<String> {
    if plan_says_v5 {
        let answer = api
            .read(
                SERVICE,
                VERSION,
                "DescribeRocketMQClusters",
                &json!({ "Offset": 0, "Limit": 10, "ClusterIdList": [id] }),
            )
            .await;
        snapshot::cluster_found(&answer, id).ok().map(|()| {
            format!(
                "{id} is a TDMQ 4.x cluster, not a 5.x instance: in the plan write `version = 4`, `cluster_id = \"{id}\"` and its `namespace` instead of `instance_id`"
            )
        })
    } else {
        let answer = api
            .read(
                instance::SERVICE,
                instance::VERSION,
                "DescribeInstance",
                &json!({ "InstanceId": id }),
            )
            .await;
        answer.ok().map(|_| {
            format!(
                "{id} is a TDMQ 5.x instance, not a 4.x cluster: in the plan write `version = 5` and `instance_id = \"{id}\"` instead of cluster_id and namespace"
            )
        })
    }
}
