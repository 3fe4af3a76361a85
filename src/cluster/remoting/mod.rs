//! The `remoting` cluster kind: a RocketMQ cluster read through its NameServers and brokers with
//! a lean client of the remoting protocol's admin subset (frames, multiplexed connections, ACL
//! signing, lenient bodies), written here to own its deadlines, concurrency and error messages.

pub mod acl;
pub mod admin;
pub mod backlog;
pub mod body;
pub mod command;
pub mod connection;
pub mod error;
pub mod fastjson;

use super::Cluster;
use crate::clock;
use crate::metadata::MetadataItem;
use crate::model::*;
use crate::plan::{ClusterSpec, RemotingSpec, Scope, Secret, Side};
use admin::{Admin, Settings};
use async_trait::async_trait;
use futures::future::join_all;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

pub struct RemotingCluster {
    side: Side,
    label: String,
    namesrv: Vec<String>,
    namespace: Option<String>,
    admin: Admin,
    /// Masters (broker name, address) as of the last poll: where metadata is created.
    masters: Mutex<Vec<(String, String)>>,
}

/// What each master said about the cluster-wide tables.
struct BrokerTables {
    name: String,
    topics: Result<BTreeMap<String, TopicConfig>, String>,
    groups: Result<BTreeMap<String, GroupConfig>, String>,
    producers: Result<Option<BTreeMap<String, Vec<Client>>>, String>,
}

impl RemotingCluster {
    pub fn new(
        spec: &ClusterSpec,
        r: &RemotingSpec,
        secret: Option<Secret>,
        settings: Settings,
    ) -> RemotingCluster {
        let acl = r
            .acl
            .as_ref()
            .zip(secret)
            .map(|(a, s)| (a.access_key.clone(), s));
        RemotingCluster {
            side: spec.side,
            label: spec.name.clone(),
            namesrv: r.namesrv.clone(),
            namespace: r.namespace.clone(),
            admin: Admin::new(settings, acl),
            masters: Mutex::new(vec![]),
        }
    }

    pub fn admin(&self) -> &Admin {
        &self.admin
    }

    /// The name on the wire: namespaced clusters prefix `namespace%`.
    fn wire(&self, name: &str) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}%{name}"),
            None => name.to_string(),
        }
    }

    fn unwire(&self, name: &str) -> String {
        match &self.namespace {
            Some(ns) => {
                let retry = name.strip_prefix("%RETRY%");
                let bare = retry.unwrap_or(name);
                let bare = bare.strip_prefix(&format!("{ns}%")).unwrap_or(bare);
                if retry.is_some() {
                    format!("%RETRY%{bare}")
                } else {
                    bare.to_string()
                }
            }
            None => name.to_string(),
        }
    }

    async fn discover(&self) -> Result<Vec<(String, String)>, String> {
        let brokers = self
            .admin
            .cluster_info(&self.namesrv)
            .await
            .map_err(|e| format!("NameServer {}: {e}", self.namesrv.join(", ")))?;
        let masters: Vec<(String, String)> = brokers
            .values()
            .filter_map(|b| b.master().map(|a| (b.name.clone(), a.to_string())))
            .collect();
        if masters.is_empty() {
            return Err(format!(
                "no master broker is registered with the NameServer {}",
                self.namesrv.join(", ")
            ));
        }
        *self.masters.lock().unwrap_or_else(|p| p.into_inner()) = masters.clone();
        Ok(masters)
    }

    async fn tables(&self, name: &str, addr: &str) -> BrokerTables {
        let (topics, groups, producers) = tokio::join!(
            self.admin.topic_configs(addr),
            self.admin.subscription_groups(addr),
            self.admin.all_producer_info(addr)
        );
        BrokerTables {
            name: name.to_string(),
            topics: topics.map_err(|e| e.to_string()),
            groups: groups.map_err(|e| e.to_string()),
            producers: producers.map_err(|e| e.to_string()),
        }
    }
}

/// Whether a name is in a table on any broker: known when some broker has it or all answered.
fn exists_somewhere<T>(tables: &[&Result<BTreeMap<String, T>, String>], name: &str) -> Known<bool> {
    if tables
        .iter()
        .any(|t| t.as_ref().is_ok_and(|m| m.contains_key(name)))
    {
        return Known::Known(true);
    }
    match tables.iter().find_map(|t| t.as_ref().err()) {
        Some(e) => Known::unknown(e.clone()),
        None => Known::Known(false),
    }
}

#[async_trait]
impl Cluster for RemotingCluster {
    fn side(&self) -> Side {
        self.side
    }
    fn label(&self) -> &str {
        &self.label
    }
    fn kind(&self) -> &'static str {
        "remoting"
    }

    async fn snapshot(&self, scope: &Scope) -> Snapshot {
        let started = clock::now();
        let masters = match self.discover().await {
            Ok(m) => m,
            Err(e) => return Snapshot::unreachable(self.side, &self.label, "remoting", started, e),
        };
        let tables = join_all(masters.iter().map(|(n, a)| self.tables(n, a))).await;
        let mut errors = vec![];
        for t in &tables {
            for (what, r) in [
                ("topic configs", t.topics.as_ref().err()),
                ("subscription groups", t.groups.as_ref().err()),
                ("producers", t.producers.as_ref().err()),
            ] {
                if let Some(e) = r {
                    errors.push(ItemError {
                        item: format!("broker {} {what}", t.name),
                        error: e.clone(),
                    });
                }
            }
        }
        let topic_tables: Vec<_> = tables.iter().map(|t| &t.topics).collect();
        let group_tables: Vec<_> = tables.iter().map(|t| &t.groups).collect();

        // Topics: existence, settings, and max offsets on every master.
        let topic_futs = scope.topics.iter().map(|topic| {
            let wire = self.wire(topic);
            let exists = exists_somewhere(&topic_tables, &wire);
            let config = tables
                .iter()
                .find_map(|t| t.topics.as_ref().ok().and_then(|m| m.get(&wire).cloned()));
            let masters = &masters;
            async move {
                let answers = join_all(
                    masters
                        .iter()
                        .map(|(_, a)| self.admin.topic_max_offset(a, &wire)),
                )
                .await;
                let mut sum = 0u64;
                let mut err = None;
                for (r, (n, _)) in answers.into_iter().zip(masters) {
                    match r {
                        Ok(Some(m)) => sum += m,
                        Ok(None) => {}
                        Err(e) => err = Some(format!("broker {n}: {e}")),
                    }
                }
                let max_offset = match &err {
                    Some(e) => Known::unknown(e.clone()),
                    None => Known::Known(sum),
                };
                (
                    topic.clone(),
                    TopicState {
                        exists,
                        max_offset,
                        config,
                    },
                    err,
                )
            }
        });
        // Groups: existence, settings, backlog and consumers on every master.
        let group_futs = scope.groups.iter().map(|g| {
            let wire = self.wire(&g.name);
            let exists = exists_somewhere(&group_tables, &wire);
            let config = tables.iter().find_map(|t| t.groups.as_ref().ok().and_then(|m| m.get(&wire).cloned()));
            let masters = &masters;
            async move {
                let stats = join_all(masters.iter().map(|(_, a)| self.admin.consume_stats(a, &wire)));
                let conns = join_all(masters.iter().map(|(_, a)| self.admin.consumer_connection(a, &wire)));
                let (stats, conns) = tokio::join!(stats, conns);
                let mut errs = vec![];
                let mut per_topic: BTreeMap<String, TopicLag> = BTreeMap::new();
                let mut tps = 0.0;
                let mut any_stats = false;
                for (r, (n, _)) in stats.into_iter().zip(masters) {
                    match r {
                        Ok(Some(s)) => {
                            tps += s.consume_tps;
                            for (q, o) in s.queues {
                                any_stats = true;
                                let lag = per_topic.entry(self.unwire(&q.topic)).or_default();
                                lag.backlog += (o.broker_offset - o.consumer_offset.max(0)).max(0) as u64;
                                lag.broker_offset += o.broker_offset.max(0) as u64;
                            }
                        }
                        Ok(None) => {}
                        Err(e) => errs.push(format!("broker {n}: {e}")),
                    }
                }
                // Consume stats list a retry topic only once the group committed an offset on
                // it, yet clients read a retry topic from its first message: what it holds then
                // is backlog, and leaving it out would show a drained group that is not.
                let retry = format!("%RETRY%{}", g.name);
                if any_stats && errs.is_empty() && !per_topic.contains_key(&retry) {
                    let wire_retry = format!("%RETRY%{wire}");
                    let held = join_all(masters.iter().map(|(_, a)| self.admin.topic_offsets(a, &wire_retry))).await;
                    for (r, (n, _)) in held.into_iter().zip(masters) {
                        match r {
                            Ok(Some(queues)) => {
                                let count: i64 = queues.iter().map(|(_, q)| (q.end - q.start).max(0)).sum();
                                if count > 0 {
                                    let lag = per_topic.entry(retry.clone()).or_default();
                                    lag.backlog += count as u64;
                                    lag.broker_offset += queues.iter().map(|(_, q)| q.end.max(0) as u64).sum::<u64>();
                                }
                            }
                            Ok(None) => {}
                            Err(e) => errs.push(format!("broker {n}: retry topic: {e}")),
                        }
                    }
                }
                let backlog = if let Some(e) = errs.first() {
                    Known::unknown(format!("consume stats: {e}"))
                } else if !any_stats {
                    // rocketmq-admin-cli prints 0 here; an operator would then move consumers too early.
                    Known::unknown("no consume offsets on any broker: the group has not consumed on this cluster")
                } else {
                    Known::Known(Backlog { total: per_topic.values().map(|l| l.backlog).sum(), per_topic })
                };
                let mut clients: BTreeMap<String, Client> = BTreeMap::new();
                let mut topics = BTreeSet::new();
                let mut answered = false;
                let mut conn_err = None;
                for (r, (n, _)) in conns.into_iter().zip(masters) {
                    match r {
                        Ok(c) => {
                            answered = true;
                            topics.extend(c.topics.iter().map(|t| self.unwire(t)));
                            for cl in c.clients {
                                clients.entry(cl.client_id.clone()).or_insert(cl);
                            }
                        }
                        Err(e) => {
                            let e = format!("broker {n}: {e}");
                            errs.push(e.clone());
                            conn_err = Some(e);
                        }
                    }
                }
                let (consumers, subscriptions) = if answered {
                    (Known::Known(clients.into_values().collect()), Known::Known(topics))
                } else {
                    let e = conn_err.unwrap_or_else(|| "no broker answered".into());
                    (Known::unknown(e.clone()), Known::unknown(e))
                };
                let state = GroupState { exists, backlog, consumers, subscriptions, config, consume_tps: Some(tps) };
                (g.name.clone(), state, errs)
            }
        });
        let producers_fut = self.producers(scope, &masters, &tables);
        let (topics, groups, (producers, perrs)) =
            tokio::join!(join_all(topic_futs), join_all(group_futs), producers_fut);
        let mut snap = Snapshot::unreachable(self.side, &self.label, "remoting", started, "");
        snap.unreachable = None;
        for (name, state, err) in topics {
            if let Some(e) = err {
                errors.push(ItemError {
                    item: format!("topic {name} offsets"),
                    error: e,
                });
            }
            snap.topics.insert(name, state);
        }
        for (name, state, errs) in groups {
            errors.extend(errs.into_iter().map(|e| ItemError {
                item: format!("group {name}"),
                error: e,
            }));
            snap.groups.insert(name, state);
        }
        errors.extend(perrs);
        snap.producers = producers;
        snap.errors = errors;
        snap.taken_at = clock::now();
        snap
    }

    async fn create(&self, item: &MetadataItem) -> Result<(), String> {
        let mut masters = self
            .masters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if masters.is_empty() {
            masters = self.discover().await?;
        }
        for (name, addr) in &masters {
            let r = match item {
                MetadataItem::Topic { name: t, config } => {
                    let c = config.clone().unwrap_or(TopicConfig {
                        read_queues: 8,
                        write_queues: 8,
                        perm: 6,
                        order: false,
                    });
                    self.admin.create_topic(addr, &self.wire(t), &c).await
                }
                MetadataItem::Group { name: g, config } => {
                    let c = config.clone().unwrap_or(GroupConfig {
                        broadcast: false,
                        orderly: false,
                        retry_queues: 1,
                        retry_max_times: 16,
                    });
                    self.admin.create_group(addr, &self.wire(g), &c).await
                }
            };
            r.map_err(|e| format!("broker {name}: {e}"))?;
        }
        Ok(())
    }
}

impl RemotingCluster {
    /// Producers of the plan's producer groups: from GET_ALL_PRODUCER_INFO where every master
    /// supports it, else asked per named group.
    async fn producers(
        &self,
        scope: &Scope,
        masters: &[(String, String)],
        tables: &[BrokerTables],
    ) -> (Producers, Vec<ItemError>) {
        let mut errors = vec![];
        let all_supported = tables.iter().all(|t| matches!(t.producers, Ok(Some(_))));
        let mut groups = BTreeMap::new();
        if all_supported {
            for p in &scope.producer_groups {
                let wire = self.wire(p);
                let mut clients: BTreeMap<String, Client> = BTreeMap::new();
                for t in tables {
                    if let Ok(Some(m)) = &t.producers {
                        for c in m.get(&wire).into_iter().flatten() {
                            clients
                                .entry(c.client_id.clone())
                                .or_insert_with(|| c.clone());
                        }
                    }
                }
                groups.insert(p.clone(), Known::Known(clients.into_values().collect()));
            }
            return (
                Producers {
                    via: ProducerSource::AllProducerInfo,
                    groups,
                },
                errors,
            );
        }
        let answers = join_all(scope.producer_groups.iter().map(|p| {
            let wire = self.wire(p);
            async move {
                (
                    p.clone(),
                    join_all(
                        masters
                            .iter()
                            .map(|(_, a)| self.admin.producer_connection(a, &wire)),
                    )
                    .await,
                )
            }
        }))
        .await;
        for (p, per_broker) in answers {
            let mut clients: BTreeMap<String, Client> = BTreeMap::new();
            let mut err = None;
            for (r, (n, _)) in per_broker.into_iter().zip(masters) {
                match r {
                    Ok(list) => {
                        for c in list {
                            clients.entry(c.client_id.clone()).or_insert(c);
                        }
                    }
                    Err(e) => err = Some(format!("broker {n}: {e}")),
                }
            }
            let state = match err {
                Some(e) => {
                    errors.push(ItemError {
                        item: format!("producer group {p}"),
                        error: e.clone(),
                    });
                    Known::unknown(e)
                }
                None => Known::Known(clients.into_values().collect()),
            };
            groups.insert(p, state);
        }
        (
            Producers {
                via: ProducerSource::NamedGroups,
                groups,
            },
            errors,
        )
    }
}
