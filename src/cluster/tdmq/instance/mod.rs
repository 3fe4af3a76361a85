//! A TDMQ for RocketMQ 5.x instance (service `trocket`, 2023-03-08) as a cluster of the plan.
//! No namespace: clients use the names as they are. Unlike 4.x, the API lists producers (per
//! topic) and each client's subscription expression. This shell makes the calls; `snapshot`
//! decides what the answers mean.

pub mod snapshot;

use super::api::{Api, ApiError};
use super::{created, finish, other_product, task};
use crate::clock;
use crate::cluster::{Cluster, Outcome};
use crate::gate::Move;
use crate::metadata::MetadataItem;
use crate::model::{Known, Snapshot};
use crate::plan::{ClusterSpec, Scope, Secret, Side, TdmqSpec};
use async_trait::async_trait;
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::future::Future;

pub const KIND: &str = "tdmq 5.x";
pub const SERVICE: &str = "trocket";
pub const VERSION: &str = "2023-03-08";
/// Calls in flight at once: the API rate-limits per action.
const PARALLEL: usize = 8;
/// CreateTopic's QueueNum range ("取值范围3～16").
const QUEUES: std::ops::RangeInclusive<u32> = 3..=16;
/// CreateConsumerGroup's MaxRetryTimes range ("取值范围0～1000").
const RETRIES: std::ops::RangeInclusive<i32> = 0..=1000;
/// RocketMQ's own default, for a group whose source settings are not known.
const DEFAULT_RETRIES: i32 = 16;

pub struct InstanceCluster {
    side: Side,
    label: String,
    instance_id: String,
    task_id: Option<String>,
    api: Api,
}

/// Asks `call` for each name, a few at a time.
async fn each<F, Fut, T>(names: Vec<String>, call: F) -> BTreeMap<String, T>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = (String, T)>,
{
    futures::stream::iter(names.into_iter().map(call))
        .buffer_unordered(PARALLEL)
        .collect()
        .await
}

impl InstanceCluster {
    pub fn new(
        spec: &ClusterSpec,
        t: &TdmqSpec,
        instance_id: &str,
        secret: Secret,
    ) -> Result<InstanceCluster, String> {
        Ok(InstanceCluster {
            side: spec.side,
            label: spec.name.clone(),
            instance_id: instance_id.to_string(),
            task_id: t.migration_task_id.clone(),
            api: Api::new(t, spec.side, secret)?,
        })
    }

    fn params(&self, extra: Value) -> Value {
        let mut p = json!({ "InstanceId": self.instance_id });
        if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        p
    }

    async fn read(&self, action: &str, extra: Value) -> Result<Value, ApiError> {
        self.api
            .read(SERVICE, VERSION, action, &self.params(extra))
            .await
    }

    async fn list(
        &self,
        action: &str,
        extra: Value,
        list: &str,
        total: &str,
    ) -> Result<Vec<Value>, ApiError> {
        self.api
            .read_pages(SERVICE, VERSION, action, &self.params(extra), list, total)
            .await
    }

    /// One paged list per name, `extra(name)` its parameters, a few at a time: each name's
    /// answer.
    async fn list_each(
        &self,
        names: Vec<String>,
        action: &str,
        extra: impl Fn(&str) -> Value,
        list: &str,
        total: &str,
    ) -> BTreeMap<String, Result<Vec<Value>, ApiError>> {
        let extra = &extra;
        each(names, |n| async move {
            let r = self.list(action, extra(&n), list, total).await;
            (n, r)
        })
        .await
    }

    /// The API call that creates an item, as `sync-metadata --dry-run` shows it; an error when
    /// the item cannot be created as it should be (a topic whose type is not known).
    pub fn create_call(&self, item: &MetadataItem) -> Result<(&'static str, Value), String> {
        match item {
            MetadataItem::Topic {
                name,
                config,
                message_type,
            } => {
                let kind = match message_type {
                    Known::Known(t) => t.name(),
                    Known::Unknown(why) => return Err(why.clone()),
                };
                let wanted = config.as_ref().map_or(*QUEUES.start(), |c| c.write_queues);
                let queues = wanted.clamp(*QUEUES.start(), *QUEUES.end());
                Ok((
                    "CreateTopic",
                    self.params(json!({
                        "Topic": name,
                        "TopicType": kind,
                        "QueueNum": queues,
                        "Remark": "created by rocketmq-migrate",
                    })),
                ))
            }
            MetadataItem::Group { name, config } => {
                let (orderly, retries) = config
                    .as_ref()
                    .map_or((false, DEFAULT_RETRIES), |c| (c.orderly, c.retry_max_times));
                Ok((
                    "CreateConsumerGroup",
                    self.params(json!({
                        "ConsumerGroup": name,
                        "ConsumeEnable": true,
                        "ConsumeMessageOrderly": orderly,
                        "MaxRetryTimes": retries.clamp(*RETRIES.start(), *RETRIES.end()),
                        "Remark": "created by rocketmq-migrate",
                    })),
                ))
            }
        }
    }
}

#[async_trait]
impl Cluster for InstanceCluster {
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
        let instance = match self.read("DescribeInstance", json!({})).await {
            Ok(v) => v,
            Err(e) => {
                let why = match e.code() {
                    Some(c) if c.starts_with("ResourceNotFound") => {
                        other_product(&self.api, &self.instance_id, true)
                            .await
                            .unwrap_or_else(|| e.to_string())
                    }
                    _ => e.to_string(),
                };
                return Snapshot::unreachable(self.side, &self.label, KIND, started, why);
            }
        };
        let (topics, groups) = tokio::join!(
            self.list("DescribeTopicList", json!({}), "Data", "TotalCount"),
            self.list("DescribeConsumerGroupList", json!({}), "Data", "TotalCount"),
        );
        let topic_names = snapshot::existing(&scope.topics, &topics, "Topic");
        let group_names = snapshot::existing(
            scope.groups.iter().map(|g| &g.name),
            &groups,
            "ConsumerGroup",
        );

        let (subscriptions, producers, group_details) = tokio::join!(
            self.list_each(
                topic_names.clone(),
                "DescribeTopic",
                |t| json!({ "Topic": t }),
                "SubscriptionData",
                "SubscriptionCount",
            ),
            self.list_each(
                topic_names,
                "DescribeProducerList",
                |t| json!({ "Topic": t }),
                "ProducerList",
                "TotalCount",
            ),
            each(group_names, |g| async move {
                let r = self
                    .read("DescribeConsumerGroup", json!({ "ConsumerGroup": g }))
                    .await;
                (g, r)
            }),
        );
        // Offsets are read through a group (GroupId is required); the produce offsets are the
        // topic's whichever group asks.
        let readers = snapshot::offset_readers(&subscriptions);
        let (stats, clients) = tokio::join!(
            self.list_each(
                readers.keys().cloned().collect(),
                "DescribeTopicStats",
                |t| json!({ "Topic": t, "GroupId": readers.get(t).cloned().unwrap_or_default() }),
                "Data",
                "TotalCount",
            ),
            self.list_each(
                snapshot::online_groups(&group_details),
                "DescribeConsumerClientList",
                |g| json!({ "ConsumerGroup": g }),
                "Data",
                "TotalCount",
            ),
        );

        let answers = snapshot::Answers {
            topics: Some(topics),
            groups: Some(groups),
            subscriptions,
            group_details,
            clients,
            producers,
            stats,
        };
        let mut snap = snapshot::assemble(self.side, &self.label, started, scope, answers);
        snap.capacity = Some(Box::new(snapshot::capacity(&instance)));
        snap.endpoints = snapshot::endpoints(&instance);
        snap.servers = Some(snapshot::servers(&instance));
        finish(&self.api, self.task_id.as_deref(), scope, snap).await
    }

    async fn follow_move(&self, topics: &[String], made: Move) -> Result<Option<String>, String> {
        task::follow(&self.api, self.task_id.as_deref(), topics, made).await
    }

    async fn create(&self, item: &MetadataItem) -> Result<Outcome, String> {
        let (action, params) = self.create_call(item)?;
        created(self.api.write(SERVICE, VERSION, action, &params).await)
    }

    fn how_to_create(&self, item: &MetadataItem) -> Result<String, String> {
        let (action, params) = self.create_call(item)?;
        Ok(format!("{action} {params}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GroupConfig, TopicConfig, TopicMessageType};
    use crate::plan::{ClusterKind, SecretRef, TdmqProduct};
    use std::time::Duration;

    fn instance() -> InstanceCluster {
        let spec = TdmqSpec {
            region: "ap-guangzhou".into(),
            product: TdmqProduct::V5 {
                instance_id: "rmq-1".into(),
            },
            secret_id: "AKID".into(),
            secret_key: SecretRef::Env("X".into()),
            endpoint: None,
            migration_task_id: None,
            timeout: Duration::from_secs(1),
        };
        let cluster = ClusterSpec {
            side: Side::Target,
            name: "t".into(),
            kind: ClusterKind::Tdmq(spec.clone()),
        };
        InstanceCluster::new(&cluster, &spec, "rmq-1", Secret::new("k")).unwrap()
    }

    fn topic(queues: u32, message_type: Known<TopicMessageType>) -> MetadataItem {
        MetadataItem::Topic {
            name: "T".into(),
            config: Some(TopicConfig {
                read_queues: queues,
                write_queues: queues,
                perm: 6,
                order: false,
                message_type: None,
            }),
            message_type,
        }
    }

    #[test]
    fn topics_are_created_with_their_type_and_queues_within_the_range() {
        let i = instance();
        let (action, p) = i
            .create_call(&topic(32, Known::Known(TopicMessageType::Delay)))
            .unwrap();
        assert_eq!(action, "CreateTopic");
        assert_eq!(
            (
                p["InstanceId"].as_str(),
                p["TopicType"].as_str(),
                p["QueueNum"].as_u64()
            ),
            (Some("rmq-1"), Some("DELAY"), Some(16))
        );
        let (_, p) = i
            .create_call(&topic(1, Known::Known(TopicMessageType::Fifo)))
            .unwrap();
        assert_eq!(p["QueueNum"].as_u64(), Some(3));
        // A type nobody said is not guessed: nothing is created, and the reason says what to write.
        let unknown = topic(8, Known::unknown("say it in topic_types"));
        assert_eq!(i.create_call(&unknown), Err("say it in topic_types".into()));
        assert_eq!(
            i.how_to_create(&unknown),
            Err("say it in topic_types".into())
        );
    }

    #[test]
    fn groups_keep_the_source_order_and_retries() {
        let i = instance();
        let g = MetadataItem::Group {
            name: "G".into(),
            config: Some(GroupConfig {
                broadcast: true,
                orderly: true,
                retry_queues: Some(1),
                retry_max_times: 5000,
            }),
        };
        let (action, p) = i.create_call(&g).unwrap();
        assert_eq!(action, "CreateConsumerGroup");
        assert_eq!(p["ConsumeMessageOrderly"], true);
        assert_eq!(p["MaxRetryTimes"], 1000);
        assert_eq!(p["ConsumeEnable"], true);
    }

    #[test]
    fn an_item_that_exists_is_already_there_not_an_error() {
        let exists = Err(ApiError::Service {
            action: "CreateTopic".into(),
            code: "UnsupportedOperation.ResourceAlreadyExists".into(),
            message: "exists".into(),
            request_id: "r".into(),
            hint: String::new(),
        });
        assert_eq!(created(exists), Ok(Outcome::AlreadyThere));
        assert_eq!(created(Ok(json!({}))), Ok(Outcome::New));
        let limit = Err(ApiError::Service {
            action: "CreateTopic".into(),
            code: "LimitExceeded.TopicNum".into(),
            message: "too many".into(),
            request_id: "r".into(),
            hint: String::new(),
        });
        assert!(created(limit).is_err());
    }
}
