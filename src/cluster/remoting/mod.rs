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
pub mod paging;
pub mod pending;
pub mod tls;

use super::Cluster;
use crate::clock;
use crate::metadata::MetadataItem;
use crate::model::*;
use crate::plan::draft::is_system_name;
use crate::plan::{ClusterSpec, RemotingSpec, Scope, Secret, Side};
use admin::{Admin, Settings};
use async_trait::async_trait;
use futures::future::join_all;
use std::collections::BTreeMap;
use std::sync::Mutex;

pub struct RemotingCluster {
    side: Side,
    label: String,
    namesrv: Vec<String>,
    namespace: Option<String>,
    admin: Admin,
    /// Masters (broker name, address) as of the last poll: where metadata is created.
    masters: Mutex<Vec<(String, String)>>,
    /// Per group, when it was last read and how far it had consumed: rates need two polls.
    consumed: Mutex<BTreeMap<String, (clock::Millis, u64)>>,
}

/// What each master said about the cluster-wide tables.
struct BrokerTables {
    name: String,
    addr: String,
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
            consumed: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn admin(&self) -> &Admin {
        &self.admin
    }

    /// The name on the wire: namespaced clusters prefix `namespace%`.
    fn wire(&self, name: &str) -> String {
        crate::plan::client_name(self.namespace.as_deref(), name)
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

    /// The cluster's brokers as every NameServer knows them, merged (they can disagree for
    /// minutes after a broker stops): the masters, and the names no NameServer knows a master
    /// (id 0) for.
    async fn discover(&self) -> Result<(Vec<(String, String)>, Vec<String>), String> {
        let answers = join_all(
            (self.namesrv.iter()).map(|ns| self.admin.cluster_info(std::slice::from_ref(ns))),
        )
        .await;
        let mut brokers = backlog::Route::new();
        let mut failed = vec![];
        for (ns, a) in self.namesrv.iter().zip(answers) {
            match a {
                Ok(table) => table.values().for_each(|b| merge_broker(&mut brokers, b)),
                Err(e) => failed.push(format!("NameServer {ns}: {e}")),
            }
        }
        if failed.len() == self.namesrv.len() {
            return Err(failed.join("; "));
        }
        let masters: Vec<(String, String)> = (brokers.iter())
            .filter_map(|(n, m)| m.as_ref().map(|a| (n.clone(), a.clone())))
            .collect();
        let masterless = (brokers.iter())
            .filter(|(_, m)| m.is_none())
            .map(|(n, _)| n.clone())
            .collect();
        if masters.is_empty() {
            return Err(format!(
                "no master broker is registered with the NameServer {}",
                self.namesrv.join(", ")
            ));
        }
        *self.masters.lock().unwrap_or_else(|p| p.into_inner()) = masters.clone();
        Ok((masters, masterless))
    }

    async fn tables(&self, name: &str, addr: &str) -> BrokerTables {
        let (topics, groups, producers) = tokio::join!(
            self.admin.topic_configs(addr),
            self.admin.subscription_groups(addr),
            self.admin.all_producer_info(addr)
        );
        BrokerTables {
            name: name.to_string(),
            addr: addr.to_string(),
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
        let (masters, masterless) = match self.discover().await {
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

        // Which brokers serve the plan's topics and retry topics, and what each of them holds:
        // the backlog is counted from there, queue by queue.
        let routes = self.routes(scope, &tables, &masterless).await;
        let (reads, read_errors) = self.broker_reads(&routes).await;
        errors.extend(read_errors);

        let topic_states = scope.topics.iter().map(|topic| {
            let wire = self.wire(topic);
            let no_route = Known::unknown("no route was read");
            let route = routes.get(&wire).unwrap_or(&no_route);
            let consumed_by = match backlog::consumed_by(&wire, route, &reads) {
                Known::Known(groups) => Known::Known(
                    (groups.iter())
                        .filter(|g| !is_system_name(g))
                        .map(|g| self.unwire(g))
                        .collect(),
                ),
                Known::Unknown(why) => Known::Unknown(why),
            };
            let state = TopicState {
                exists: exists_somewhere(&topic_tables, &wire),
                consumed_by,
                max_offset: backlog::max_offset(&wire, route, &reads),
                config: tables
                    .iter()
                    .find_map(|t| t.topics.as_ref().ok().and_then(|m| m.get(&wire).cloned())),
            };
            (topic.clone(), state)
        });
        let topic_states: Vec<_> = topic_states.collect();
        // Groups: existence, settings, backlog, and consumers on every master.
        let group_futs = scope.groups.iter().map(|g| {
            let wire = self.wire(&g.name);
            let exists = exists_somewhere(&group_tables, &wire);
            let config = tables
                .iter()
                .find_map(|t| t.groups.as_ref().ok().and_then(|m| m.get(&wire).cloned()));
            let (routes, reads, masters) = (&routes, &reads, &masters);
            async move {
                let conns = join_all(
                    masters
                        .iter()
                        .map(|(_, a)| self.admin.consumer_connection(a, &wire)),
                )
                .await;
                let mut errs = vec![];
                let wires: Vec<String> = g.topics.iter().map(|t| self.wire(t)).collect();
                let retry = format!("%RETRY%{}", g.name);
                let retry_wire = format!("%RETRY%{wire}");
                let mut consumed: Vec<backlog::Consumed> = g
                    .topics
                    .iter()
                    .zip(&wires)
                    .map(|(shown, wire)| backlog::Consumed {
                        shown,
                        wire,
                        retry: false,
                    })
                    .collect();
                consumed.push(backlog::Consumed {
                    shown: &retry,
                    wire: &retry_wire,
                    retry: true,
                });
                let backlog = backlog::group_backlog(&wire, &consumed, routes, reads);
                let consume_tps = self.consume_rate(&g.name, &backlog);
                let mut clients: BTreeMap<String, Vec<Client>> = BTreeMap::new();
                let mut subscriptions = Subscriptions::new();
                let mut answered = false;
                let mut conn_err = None;
                for (r, (n, _)) in conns.into_iter().zip(masters) {
                    match r {
                        Ok(c) => {
                            answered = true;
                            // A broker keeps one expression per group and topic (the newest
                            // client's): brokers that disagree mean clients that do.
                            for (t, f) in c.subscriptions {
                                subscribe(&mut subscriptions, self.unwire(&t), f);
                            }
                            merge_clients(&mut clients, c.clients);
                        }
                        Err(e) => {
                            let e = format!("broker {n}: {e}");
                            errs.push(e.clone());
                            conn_err = Some(e);
                        }
                    }
                }
                let (consumers, subscriptions) = if answered {
                    (
                        Known::Known(clients.into_values().flatten().collect()),
                        Known::Known(subscriptions),
                    )
                } else {
                    let e = conn_err.unwrap_or_else(|| "no broker answered".into());
                    (Known::unknown(e.clone()), Known::unknown(e))
                };
                let state = GroupState {
                    exists,
                    backlog,
                    consumers,
                    subscriptions,
                    config,
                    consume_tps,
                };
                (g.name.clone(), state, errs)
            }
        });
        let producers_fut = self.producers(scope, &masters, &tables);
        let (groups, (producers, perrs), (pending, servers)) =
            tokio::join!(join_all(group_futs), producers_fut, self.pending(&masters));
        let mut snap = Snapshot::unreachable(self.side, &self.label, "remoting", started, "");
        snap.unreachable = None;
        snap.topics.extend(topic_states);
        snap.routes = routes
            .iter()
            .map(|(wire, route)| {
                let brokers = match route {
                    Known::Known(r) => Known::Known(r.keys().cloned().collect()),
                    Known::Unknown(why) => Known::unknown(why.clone()),
                };
                (self.unwire(wire), brokers)
            })
            .collect();
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
        snap.pending = pending;
        snap.servers = Some(servers);
        snap.taken_at = clock::now();
        snap
    }

    async fn create(&self, item: &MetadataItem) -> Result<super::Outcome, String> {
        let mut masters = self
            .masters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if masters.is_empty() {
            masters = self.discover().await?.0;
        }
        for (name, addr) in &masters {
            let r = match item {
                MetadataItem::Topic {
                    name: t, config, ..
                } => {
                    let c = config.clone().unwrap_or(TopicConfig {
                        read_queues: 8,
                        write_queues: 8,
                        perm: 6,
                        order: false,
                        message_type: None,
                    });
                    self.admin.create_topic(addr, &self.wire(t), &c).await
                }
                MetadataItem::Group { name: g, config } => {
                    let c = config.clone().unwrap_or(GroupConfig {
                        broadcast: false,
                        orderly: false,
                        retry_queues: Some(1),
                        retry_max_times: 16,
                    });
                    self.admin.create_group(addr, &self.wire(g), &c).await
                }
            };
            r.map_err(|e| format!("broker {name}: {e}"))?;
        }
        Ok(super::Outcome::New)
    }
}

/// Adds one broker's consumer connections to those of the brokers before. A client connects to
/// every master, so the same client id on two brokers is one instance; on one broker, two
/// connections with the same id are two instances (clients consuming in broadcasting mode keep
/// the instance name `DEFAULT`, so those on one host share `ip@DEFAULT`). Per id, the most
/// connections any one broker lists.
fn merge_clients(seen: &mut BTreeMap<String, Vec<Client>>, answer: Vec<Client>) {
    let mut here: BTreeMap<String, Vec<Client>> = BTreeMap::new();
    for c in answer {
        here.entry(c.client_id.clone()).or_default().push(c);
    }
    for (id, conns) in here {
        let kept = seen.entry(id).or_default();
        if conns.len() > kept.len() {
            *kept = conns;
        }
    }
}

/// A topic's route from the masters' topic tables: the masters that hold it.
fn route_from_tables(topic: &str, tables: &[BrokerTables]) -> Known<backlog::Route> {
    let mut route = backlog::Route::new();
    for t in tables {
        match &t.topics {
            Ok(m) if m.contains_key(topic) => {
                route.insert(t.name.clone(), Some(t.addr.clone()));
            }
            Ok(_) => {}
            Err(e) => return Known::unknown(format!("broker {}: {e}", t.name)),
        }
    }
    Known::Known(route)
}

/// Adds a broker as one NameServer knows it: its master, if this or another one knows it.
fn merge_broker(brokers: &mut backlog::Route, b: &body::BrokerData) {
    let master = brokers.entry(b.name.clone()).or_insert(None);
    if master.is_none() {
        *master = b.master().map(str::to_string);
    }
}

/// One topic's route as the NameServers answered it, merged: a broker any of them lists is in
/// it (they can disagree for minutes after a broker stops), with a master if any knows one.
fn merge_routes(
    namesrv: &[String],
    answers: Vec<Result<Option<Vec<body::BrokerData>>, error::RemotingError>>,
) -> Known<backlog::Route> {
    let mut route = backlog::Route::new();
    let mut answered = false;
    let mut failed = vec![];
    for (ns, a) in namesrv.iter().zip(answers) {
        match a {
            Ok(brokers) => {
                answered = true;
                brokers
                    .iter()
                    .flatten()
                    .for_each(|b| merge_broker(&mut route, b));
            }
            Err(e) => failed.push(format!("NameServer {ns}: {e}")),
        }
    }
    if answered {
        Known::Known(route)
    } else {
        Known::unknown(failed.join("; "))
    }
}

impl RemotingCluster {
    /// What every master holds that no backlog shows yet. A broker that cannot be read is
    /// unknown here and nowhere else: the snapshot is not partial for it, since only the checks
    /// that need pending messages are undecided (they treat unknown as closed on their own),
    /// while backlog and clients stay usable. Each master's version comes with the same read.
    async fn pending(&self, masters: &[(String, String)]) -> (Known<Pending>, Servers) {
        let reads = join_all(masters.iter().map(|(name, addr)| async move {
            (name.clone(), pending::read(&self.admin, name, addr).await)
        }))
        .await;
        let mut held = Pending::default();
        let mut versions = BTreeMap::new();
        for (name, read) in reads {
            held.brokers.insert(name.clone(), read.pending);
            versions.insert(name, read.version);
        }
        (Known::Known(held), Servers::Brokers(versions))
    }

    /// The route of every topic the plan's backlog is made of. A broker registers every topic
    /// of its table with the NameServers, so the masters' tables (read anyway) give the routes;
    /// only a broker without a master, whose table cannot be read, sends the plan's topics to
    /// every NameServer's route (merged) to learn whether it serves them.
    async fn routes(
        &self,
        scope: &Scope,
        tables: &[BrokerTables],
        masterless: &[String],
    ) -> BTreeMap<String, Known<backlog::Route>> {
        let mut routes = BTreeMap::new();
        if masterless.is_empty() {
            for t in &scope.topics {
                let wire = self.wire(t);
                let route = route_from_tables(&wire, tables);
                routes.insert(wire, route);
            }
        } else {
            let asked = scope.topics.iter().map(|t| {
                let wire = self.wire(t);
                async move {
                    let answers =
                        join_all(self.namesrv.iter().map(|ns| self.admin.route(ns, &wire))).await;
                    (wire, merge_routes(&self.namesrv, answers))
                }
            });
            routes.extend(join_all(asked).await);
        }
        for g in &scope.groups {
            let retry = format!("%RETRY%{}", self.wire(&g.name));
            let route = route_from_tables(&retry, tables);
            routes.insert(retry, route);
        }
        routes
    }

    /// What every broker in the routes holds: its committed offsets (one request for all
    /// groups) and the queues of each routed topic it serves.
    async fn broker_reads(
        &self,
        routes: &BTreeMap<String, Known<backlog::Route>>,
    ) -> (BTreeMap<String, backlog::BrokerReads>, Vec<ItemError>) {
        let mut served: BTreeMap<(&String, &String), Vec<&String>> = BTreeMap::new();
        for (topic, route) in routes {
            for (broker, master) in route.known().into_iter().flatten() {
                if let Some(addr) = master {
                    served.entry((broker, addr)).or_default().push(topic);
                }
            }
        }
        let reads = served
            .into_iter()
            .map(|((broker, addr), topics)| async move {
                let queues = join_all(topics.iter().map(|t| async move {
                    let q = self.admin.topic_offsets(addr, t).await;
                    ((*t).clone(), q.map_err(|e| e.to_string()))
                }));
                let (committed, queues) = tokio::join!(self.admin.consumer_offsets(addr), queues);
                let reads = backlog::BrokerReads {
                    committed: Some(committed.map_err(|e| e.to_string())),
                    queues: queues.into_iter().collect(),
                };
                (broker.clone(), reads)
            });
        let reads: BTreeMap<_, _> = join_all(reads).await.into_iter().collect();
        let mut errors = vec![];
        for (broker, r) in &reads {
            if let Some(Err(e)) = &r.committed {
                errors.push(ItemError {
                    item: format!("broker {broker} committed offsets"),
                    error: e.clone(),
                });
            }
            for (topic, q) in &r.queues {
                if let Err(e) = q {
                    errors.push(ItemError {
                        item: format!("broker {broker} offsets of {}", self.unwire(topic)),
                        error: e.clone(),
                    });
                }
            }
        }
        (reads, errors)
    }

    /// Messages consumed per second since the previous poll, from how far the group got.
    fn consume_rate(&self, group: &str, backlog: &Known<Backlog>) -> Option<f64> {
        let b = backlog.known()?;
        let consumed: u64 = (b.per_topic.values())
            .map(|l| l.broker_offset.saturating_sub(l.backlog))
            .sum();
        let now = clock::now();
        let mut last = self.consumed.lock().unwrap_or_else(|p| p.into_inner());
        let before = last.insert(group.to_string(), (now, consumed))?;
        let secs = now.saturating_sub(before.0) as f64 / 1000.0;
        (secs > 0.0 && consumed >= before.1).then(|| (consumed - before.1) as f64 / secs)
    }

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
                    topics: BTreeMap::new(),
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
                topics: BTreeMap::new(),
            },
            errors,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(id: &str, addr: &str) -> Client {
        Client {
            client_id: id.into(),
            addr: addr.into(),
            language: "JAVA".into(),
            version: None,
            message_model: Some(MessageModel::Broadcasting),
        }
    }

    #[test]
    fn one_client_on_two_brokers_is_one_and_two_sharing_an_id_on_one_broker_are_two() {
        let mut seen = BTreeMap::new();
        // Broker a: two broadcasting instances on one host, and a clustering one.
        merge_clients(
            &mut seen,
            vec![
                conn("10.0.0.5@DEFAULT", "10.0.0.5:50001"),
                conn("10.0.0.5@DEFAULT", "10.0.0.5:50002"),
                conn("10.0.0.6@4711#1", "10.0.0.6:50003"),
            ],
        );
        // Broker b: the same three, seen from their connections to it.
        merge_clients(
            &mut seen,
            vec![
                conn("10.0.0.5@DEFAULT", "10.0.0.5:50011"),
                conn("10.0.0.6@4711#1", "10.0.0.6:50013"),
                conn("10.0.0.5@DEFAULT", "10.0.0.5:50012"),
            ],
        );
        let all: Vec<Client> = seen.into_values().flatten().collect();
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(
            all.iter()
                .filter(|c| c.client_id == "10.0.0.5@DEFAULT")
                .count(),
            2
        );
    }
}
