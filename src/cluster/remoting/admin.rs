//! The admin calls a migration needs, over pooled multiplexed connections, signed when the
//! cluster has ACL. Each returns typed data or an error naming the server and what failed.

use super::acl;
use super::body::{self, BrokerData, ConsumeStats, ConsumerConnection};
use super::command::{Command, code, status};
use super::connection::Connection;
use super::error::RemotingError;
use super::paging;
use crate::model::{Client, GroupConfig, TopicConfig};
use crate::plan::Secret;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Settings {
    /// Deadline of one request.
    pub timeout: Duration,
    /// Requests in flight per connection.
    pub max_in_flight: usize,
    pub max_frame: usize,
    /// Where to connect instead of the address a server registered (a tunnel, a NAT, a proxy).
    pub connect_via: BTreeMap<String, String>,
    /// TLS to every server, when the plan asks for it.
    pub tls: Option<Arc<super::tls::Tls>>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            timeout: Duration::from_secs(3),
            max_in_flight: 256,
            max_frame: super::command::MAX_FRAME,
            connect_via: BTreeMap::new(),
            tls: None,
        }
    }
}

enum Slot {
    Up(Arc<Connection>),
    Down {
        at: Instant,
        attempts: u32,
        error: String,
    },
}

/// Longest wait between reconnect attempts: shorter than a poll interval, so the next poll retries.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

pub struct Admin {
    settings: Settings,
    acl: Option<(String, Secret)>,
    slots: tokio::sync::Mutex<HashMap<String, Slot>>,
}

impl Admin {
    pub fn new(settings: Settings, acl: Option<(String, Secret)>) -> Admin {
        Admin {
            settings,
            acl,
            slots: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The connection to `addr`, reconnecting with backoff after a failure.
    async fn connection(&self, addr: &str) -> Result<Arc<Connection>, RemotingError> {
        let mut slots = self.slots.lock().await;
        let attempts = match slots.get(addr) {
            Some(Slot::Up(c)) if !c.is_closed() => return Ok(c.clone()),
            Some(Slot::Up(_)) | None => 0,
            Some(Slot::Down {
                at,
                attempts,
                error,
            }) => {
                let wait = (Duration::from_millis(100) * 2u32.saturating_pow((*attempts).min(10)))
                    .min(MAX_BACKOFF);
                let since = at.elapsed();
                if since < wait {
                    return Err(RemotingError::Backoff {
                        addr: addr.to_string(),
                        retry_in: wait - since,
                        last: error.clone(),
                    });
                }
                *attempts
            }
        };
        let dial = self
            .settings
            .connect_via
            .get(addr)
            .map_or(addr, String::as_str);
        match Connection::connect(
            dial,
            self.settings.timeout,
            self.settings.max_in_flight,
            self.settings.max_frame,
            self.settings.tls.as_deref(),
        )
        .await
        {
            Ok(c) => {
                let c = Arc::new(c);
                slots.insert(addr.to_string(), Slot::Up(c.clone()));
                Ok(c)
            }
            Err(e) => {
                slots.insert(
                    addr.to_string(),
                    Slot::Down {
                        at: Instant::now(),
                        attempts: attempts + 1,
                        error: e.to_string(),
                    },
                );
                Err(e)
            }
        }
    }

    /// Sends a request; the answer's code is checked by the caller.
    pub async fn call(
        &self,
        addr: &str,
        code: i32,
        mut ext: BTreeMap<String, String>,
        body: Vec<u8>,
    ) -> Result<Command, RemotingError> {
        if let Some((ak, sk)) = &self.acl {
            acl::sign(&mut ext, &body, ak, sk);
        }
        let conn = self.connection(addr).await?;
        conn.request(Command::request(code, ext, body), self.settings.timeout)
            .await
    }

    /// A call that must succeed, its body read leniently and then as `T`.
    async fn typed<T>(
        &self,
        addr: &str,
        code: i32,
        ext: BTreeMap<String, String>,
        what: &str,
        read: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Result<T, RemotingError> {
        let answer = self.call(addr, code, ext, vec![]).await?;
        read_body(addr, &answer, what, read)
    }

    pub async fn cluster_info(
        &self,
        namesrv: &[String],
    ) -> Result<BTreeMap<String, BrokerData>, RemotingError> {
        let mut last = None;
        for addr in namesrv {
            match self
                .typed(
                    addr,
                    code::GET_BROKER_CLUSTER_INFO,
                    BTreeMap::new(),
                    "read the cluster's brokers",
                    body::cluster_info,
                )
                .await
            {
                Ok(brokers) => return Ok(brokers),
                Err(e) => {
                    tracing::warn!("NameServer {addr}: {e}");
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or(RemotingError::Connect {
            addr: "-".into(),
            error: "no NameServer address".into(),
        }))
    }

    pub async fn topic_list(&self, namesrv: &str) -> Result<Vec<String>, RemotingError> {
        self.typed(
            namesrv,
            code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
            BTreeMap::new(),
            "list topics",
            |v| Ok(body::topic_list(v)),
        )
        .await
    }

    pub async fn route(
        &self,
        namesrv: &str,
        topic: &str,
    ) -> Result<Option<Vec<BrokerData>>, RemotingError> {
        self.about_topic(
            namesrv,
            code::GET_ROUTEINFO_BY_TOPIC,
            topic,
            "read the route of",
            body::route,
        )
        .await
    }

    /// A question about one topic; `None` when the server does not know the topic.
    async fn about_topic<T>(
        &self,
        addr: &str,
        code: i32,
        topic: &str,
        what: &str,
        read: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Result<Option<T>, RemotingError> {
        let answer = self
            .call(addr, code, ext(&[("topic", topic)]), vec![])
            .await?;
        if answer.code == status::TOPIC_NOT_EXIST {
            return Ok(None);
        }
        read_body(addr, &answer, &format!("{what} {topic}"), read).map(Some)
    }

    pub async fn topic_configs(
        &self,
        broker: &str,
    ) -> Result<BTreeMap<String, TopicConfig>, RemotingError> {
        self.paged(
            broker,
            code::GET_ALL_TOPIC_CONFIG,
            paging::TOPICS,
            "read topic configs",
            body::topic_configs,
        )
        .await
    }

    pub async fn subscription_groups(
        &self,
        broker: &str,
    ) -> Result<BTreeMap<String, GroupConfig>, RemotingError> {
        self.paged(
            broker,
            code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
            paging::GROUPS,
            "read subscription groups",
            body::subscription_groups,
        )
        .await
    }

    /// A metadata table, page by page where the broker pages it (see `paging`).
    async fn paged<T>(
        &self,
        broker: &str,
        code: i32,
        fields: paging::Fields,
        what: &str,
        read: impl Fn(&Value) -> Result<BTreeMap<String, T>, String>,
    ) -> Result<BTreeMap<String, T>, RemotingError> {
        let mut pager = paging::Pager::new(fields);
        loop {
            let answer = self.call(broker, code, pager.request(), vec![]).await?;
            let (items, version) = read_body(broker, &answer, what, |v| {
                Ok((read(v)?, body::data_version(v)))
            })?;
            let next =
                pager
                    .take(items, version, &answer.ext)
                    .map_err(|error| RemotingError::Body {
                        addr: broker.to_string(),
                        error: format!("{what}: {error}"),
                    })?;
            if next == paging::Next::Done {
                return Ok(pager.table);
            }
        }
    }

    /// `None` when the broker does not know the group.
    pub async fn consume_stats(
        &self,
        broker: &str,
        group: &str,
    ) -> Result<Option<ConsumeStats>, RemotingError> {
        let answer = self
            .call(
                broker,
                code::GET_CONSUME_STATS,
                ext(&[("consumerGroup", group)]),
                vec![],
            )
            .await?;
        if answer.code == status::SUBSCRIPTION_GROUP_NOT_EXIST {
            return Ok(None);
        }
        read_body(
            broker,
            &answer,
            &format!("read the consume stats of {group}"),
            body::consume_stats,
        )
        .map(Some)
    }

    /// No consumer online is an empty connection, not an error.
    pub async fn consumer_connection(
        &self,
        broker: &str,
        group: &str,
    ) -> Result<ConsumerConnection, RemotingError> {
        let answer = self
            .call(
                broker,
                code::GET_CONSUMER_CONNECTION_LIST,
                ext(&[("consumerGroup", group)]),
                vec![],
            )
            .await?;
        if answer.code == status::CONSUMER_NOT_ONLINE
            || answer.code == status::SUBSCRIPTION_GROUP_NOT_EXIST
        {
            return Ok(ConsumerConnection {
                clients: vec![],
                subscriptions: Default::default(),
                message_model: None,
            });
        }
        read_body(
            broker,
            &answer,
            &format!("list the consumers of {group}"),
            body::consumer_connection,
        )
    }

    /// A group without producers answers SYSTEM_ERROR ("not exist"): an empty list.
    pub async fn producer_connection(
        &self,
        broker: &str,
        group: &str,
    ) -> Result<Vec<Client>, RemotingError> {
        let answer = self
            .call(
                broker,
                code::GET_PRODUCER_CONNECTION_LIST,
                ext(&[("producerGroup", group)]),
                vec![],
            )
            .await?;
        if answer.code == status::SYSTEM_ERROR
            && answer
                .remark
                .as_deref()
                .is_none_or(|r| r.contains("not exist") || r.contains("no producer"))
        {
            return Ok(vec![]);
        }
        read_body(
            broker,
            &answer,
            &format!("list the producers of {group}"),
            |v| Ok(body::producer_connection(v)),
        )
    }

    /// `None` when the broker predates GET_ALL_PRODUCER_INFO.
    pub async fn all_producer_info(
        &self,
        broker: &str,
    ) -> Result<Option<BTreeMap<String, Vec<Client>>>, RemotingError> {
        let answer = self
            .call(broker, code::GET_ALL_PRODUCER_INFO, BTreeMap::new(), vec![])
            .await?;
        if answer.code == status::REQUEST_CODE_NOT_SUPPORTED {
            return Ok(None);
        }
        read_body(
            broker,
            &answer,
            "list all producers",
            body::all_producer_info,
        )
        .map(Some)
    }

    /// Every offset committed on this broker, by topic and group (one request for all groups).
    pub async fn consumer_offsets(
        &self,
        broker: &str,
    ) -> Result<super::backlog::CommittedOffsets, RemotingError> {
        self.typed(
            broker,
            code::GET_ALL_CONSUMER_OFFSET,
            BTreeMap::new(),
            "read committed offsets",
            body::consumer_offsets,
        )
        .await
    }

    /// The offsets each of the topic's queues holds on this broker; `None` if it lacks the topic.
    pub async fn topic_offsets(
        &self,
        broker: &str,
        topic: &str,
    ) -> Result<Option<Vec<(body::QueueKey, std::ops::Range<i64>)>>, RemotingError> {
        self.about_topic(
            broker,
            code::GET_TOPIC_STATS_INFO,
            topic,
            "read the offsets of",
            body::topic_stats,
        )
        .await
    }

    /// GET_ALL_DELAY_OFFSET: the schedule service's next offset to deliver, per delay level.
    pub async fn delay_offsets(&self, broker: &str) -> Result<BTreeMap<u32, i64>, RemotingError> {
        self.typed(
            broker,
            code::GET_ALL_DELAY_OFFSET,
            BTreeMap::new(),
            "read the delay offsets",
            body::delay_offsets,
        )
        .await
    }

    /// GET_BROKER_RUNTIME_INFO: the broker's figures by name.
    pub async fn runtime_info(
        &self,
        broker: &str,
    ) -> Result<BTreeMap<String, String>, RemotingError> {
        self.typed(
            broker,
            code::GET_BROKER_RUNTIME_INFO,
            BTreeMap::new(),
            "read the runtime info",
            body::runtime_info,
        )
        .await
    }

    /// GET_BROKER_CONFIG: the broker's properties; `None` when the broker does not serve them.
    pub async fn broker_config(
        &self,
        broker: &str,
    ) -> Result<Option<BTreeMap<String, String>>, RemotingError> {
        let answer = self
            .call(broker, code::GET_BROKER_CONFIG, BTreeMap::new(), vec![])
            .await?;
        if answer.code == status::REQUEST_CODE_NOT_SUPPORTED {
            return Ok(None);
        }
        ok(broker, &answer, "read the broker config")?;
        Ok(Some(body::properties(&answer.body)))
    }

    /// QUERY_CONSUMER_OFFSET: the offset a group committed on one queue; `None` when it has none.
    pub async fn consumer_offset(
        &self,
        broker: &str,
        group: &str,
        topic: &str,
        queue_id: i64,
    ) -> Result<Option<i64>, RemotingError> {
        let queue = queue_id.to_string();
        let fields = ext(&[
            ("consumerGroup", group),
            ("topic", topic),
            ("queueId", &queue),
            // 5.x would otherwise answer 0 for a group without an offset on an unread queue.
            ("setZeroIfNotFound", "false"),
        ]);
        let what = format!("read the offset of {group} on {topic} queue {queue_id}");
        let answer = self
            .call(broker, code::QUERY_CONSUMER_OFFSET, fields, vec![])
            .await?;
        if answer.code == status::QUERY_NOT_FOUND {
            return Ok(None);
        }
        header_offset(broker, &answer, &what).map(Some)
    }

    /// GET_MIN_OFFSET and GET_MAX_OFFSET of one queue: they read the store, so they answer for a
    /// queue whose topic the broker has no config for.
    pub async fn queue_offsets(
        &self,
        broker: &str,
        topic: &str,
        queue_id: i64,
    ) -> Result<std::ops::Range<i64>, RemotingError> {
        let queue = queue_id.to_string();
        let fields = ext(&[("topic", topic), ("queueId", &queue)]);
        let (min, max) = tokio::join!(
            self.call(broker, code::GET_MIN_OFFSET, fields.clone(), vec![]),
            self.call(broker, code::GET_MAX_OFFSET, fields, vec![])
        );
        let what = |end| format!("read the {end} offset of {topic} queue {queue_id}");
        let min = header_offset(broker, &min?, &what("min"))?;
        let max = header_offset(broker, &max?, &what("max"))?;
        Ok(min.max(0)..max.max(0))
    }

    pub async fn create_topic(
        &self,
        broker: &str,
        topic: &str,
        c: &TopicConfig,
    ) -> Result<(), RemotingError> {
        let (r, w, perm) = (
            c.read_queues.to_string(),
            c.write_queues.to_string(),
            c.perm.to_string(),
        );
        let fields = ext(&[
            ("topic", topic),
            ("defaultTopic", "TBW102"),
            ("readQueueNums", &r),
            ("writeQueueNums", &w),
            ("perm", &perm),
            ("topicFilterType", "SINGLE_TAG"),
            ("topicSysFlag", "0"),
            ("order", if c.order { "true" } else { "false" }),
        ]);
        let answer = self
            .call(broker, code::UPDATE_AND_CREATE_TOPIC, fields, vec![])
            .await?;
        ok(broker, &answer, &format!("create topic {topic}"))
    }

    pub async fn create_group(
        &self,
        broker: &str,
        group: &str,
        c: &GroupConfig,
    ) -> Result<(), RemotingError> {
        let body = serde_json::json!({
            "groupName": group,
            "consumeEnable": true,
            "consumeFromMinEnable": true,
            "consumeBroadcastEnable": c.broadcast,
            "consumeMessageOrderly": c.orderly,
            // Where the source has no such setting, the broker's own default.
            "retryQueueNums": c.retry_queues.unwrap_or(1),
            "retryMaxTimes": c.retry_max_times,
            "brokerId": 0,
            "whichBrokerWhenConsumeSlowly": 1,
            "notifyConsumerIdsChangedEnable": true
        });
        let answer = self
            .call(
                broker,
                code::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
                BTreeMap::new(),
                body.to_string().into_bytes(),
            )
            .await?;
        ok(broker, &answer, &format!("create consumer group {group}"))
    }
}

pub fn ext(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The answer's body, read leniently and then as `T`, or an error naming the server.
fn read_body<T>(
    addr: &str,
    answer: &Command,
    what: &str,
    read: impl FnOnce(&Value) -> Result<T, String>,
) -> Result<T, RemotingError> {
    ok(addr, answer, what)?;
    let body_error = |error| RemotingError::Body {
        addr: addr.to_string(),
        error,
    };
    let v = body::parse(&answer.body, what).map_err(body_error)?;
    read(&v).map_err(body_error)
}

/// The `offset` field of a successful answer's header (offset queries answer no body).
fn header_offset(addr: &str, answer: &Command, what: &str) -> Result<i64, RemotingError> {
    ok(addr, answer, what)?;
    answer
        .ext
        .get("offset")
        .and_then(|o| o.trim().parse().ok())
        .ok_or_else(|| RemotingError::Body {
            addr: addr.to_string(),
            error: format!(
                "{what}: no numeric `offset` in the answer ({:?})",
                answer.ext.get("offset")
            ),
        })
}

fn ok(addr: &str, answer: &Command, what: &str) -> Result<(), RemotingError> {
    if answer.code == status::SUCCESS {
        Ok(())
    } else {
        Err(RemotingError::Response {
            addr: addr.to_string(),
            code: answer.code,
            remark: answer.remark.clone().unwrap_or_default(),
            what: what.to_string(),
        })
    }
}
