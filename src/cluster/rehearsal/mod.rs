//! Rehearsal clusters: two simulated clusters sharing one simulated world of applications, so a
//! first-time operator can walk a whole migration with no servers. When the operator confirms
//! that consumers or producers were released, the simulated instances move, with a redeploy
//! delay and a rebalance pause.

pub mod from_plan;
pub mod measured;
mod scenario;
mod sim;

pub use scenario::Scenario;
pub use sim::{Place, Role, Sim};

use super::Cluster;
use crate::clock::{self, Millis};
use crate::metadata::MetadataItem;
use crate::model::{
    Backlog, BrokerPending, Client, Expressions, Filter, GroupConfig, GroupState, Known,
    MessageModel, Pending, ProducerSource, Producers, Servers, Snapshot, Subscriptions,
    TopicConfig, TopicLag, TopicState,
};
use crate::plan::{ClusterSpec, Plan, Scope, Side};
use crate::wizard::{Created, Timeline};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

pub const BUILTIN_SCENARIO: &str = include_str!("../../../assets/rehearsal/scenario.toml");
pub const BUILTIN_PLAN: &str = include_str!("../../../assets/rehearsal/migration.toml");

/// The world both rehearsal clusters look at.
#[derive(Clone)]
pub struct World(Arc<Mutex<Sim>>);

impl World {
    pub fn load(scenario: &str, plan: &Plan) -> Result<World, String> {
        let text = if scenario == "builtin" {
            BUILTIN_SCENARIO.to_string()
        } else {
            let path = plan.dir().join(scenario);
            std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "source.scenario: cannot read the rehearsal scenario {}: {e}",
                    path.display()
                )
            })?
        };
        let scenario = Scenario::parse(scenario, &text)?;
        let mut groups = HashMap::new();
        let mut producers = HashMap::new();
        for b in &plan.batches {
            for g in b.group_names() {
                groups.insert(g.to_string(), b.name.clone());
            }
            for p in &b.producer_groups {
                producers.insert(p.clone(), b.name.clone());
            }
        }
        Ok(World(Arc::new(Mutex::new(Sim::new(
            scenario,
            groups,
            producers,
            clock::now(),
        )))))
    }

    fn sim(&self) -> MutexGuard<'_, Sim> {
        // A panic while holding the lock leaves a consistent-enough simulation to keep going.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct RehearsalCluster {
    world: World,
    side: Side,
    label: String,
}

impl RehearsalCluster {
    pub fn new(world: World, spec: &ClusterSpec) -> RehearsalCluster {
        RehearsalCluster {
            world,
            side: spec.side,
            label: spec.name.clone(),
        }
    }

    /// The snapshot at `now`: pure given the world, so tests can call it with any time.
    pub fn snapshot_at(&self, scope: &Scope, now: Millis) -> Snapshot {
        let mut guard = self.world.sim();
        guard.advance_to(now);
        let sim: &Sim = &guard;
        let side = self.side;
        let c = match side {
            Side::Source => &sim.clusters[0],
            Side::Target => &sim.clusters[1],
        };
        let host = match side {
            Side::Source => 1,
            Side::Target => 2,
        };
        let mut snap = Snapshot::unreachable(side, &self.label, "rehearsal", now, "");
        snap.unreachable = None;
        for topic in &scope.topics {
            let sc = sim.scenario.topics.iter().find(|x| &x.name == topic);
            let exists = sim.topic_exists(side, topic, now);
            snap.topics.insert(
                topic.clone(),
                TopicState {
                    exists: Known::Known(exists),
                    // The scenario's groups that consume it and exist here.
                    consumed_by: Known::Known(
                        (sim.scenario.consumers.iter())
                            .filter(|c| c.topics.contains(topic))
                            .filter(|c| sim.group_exists(side, &c.group, now))
                            .map(|c| c.group.clone())
                            .collect(),
                    ),
                    max_offset: Known::Known(if exists {
                        c.max.get(topic).copied().unwrap_or(0.0).floor() as u64
                    } else {
                        0
                    }),
                    config: exists.then(|| TopicConfig {
                        read_queues: sc.map_or(8, |s| s.queues),
                        write_queues: sc.map_or(8, |s| s.queues),
                        perm: 6,
                        order: sc.is_some_and(|s| s.order),
                        message_type: None,
                    }),
                },
            );
        }
        for g in &scope.groups {
            let sc = sim
                .scenario
                .consumers
                .iter()
                .enumerate()
                .find(|(_, c)| c.group == g.name);
            let exists = sim.group_exists(side, &g.name, now);
            let Some((gi, sc)) = sc else {
                let why = format!("group {} is not in the rehearsal scenario", g.name);
                snap.groups.insert(
                    g.name.clone(),
                    GroupState {
                        exists: Known::Known(exists),
                        backlog: Known::unknown(&why),
                        consumers: Known::Known(vec![]),
                        subscriptions: Known::Known(Subscriptions::new()),
                        config: None,
                        consume_tps: None,
                    },
                );
                continue;
            };
            let mut backlog = Backlog::default();
            for topic in &sc.topics {
                let max = c.max.get(topic).copied().unwrap_or(0.0).floor() as u64;
                let committed = c
                    .committed
                    .get(&(g.name.clone(), topic.clone()))
                    .copied()
                    .unwrap_or(0.0)
                    .floor() as u64;
                backlog.per_topic.insert(
                    topic.clone(),
                    TopicLag {
                        backlog: max.saturating_sub(committed),
                        broker_offset: max,
                        ..Default::default()
                    },
                );
            }
            let rmax = c.retry_max.get(&g.name).copied().unwrap_or(0.0).floor() as u64;
            let rcommitted = c
                .retry_committed
                .get(&g.name)
                .copied()
                .unwrap_or(0.0)
                .floor() as u64;
            backlog.per_topic.insert(
                format!("%RETRY%{}", g.name),
                TopicLag {
                    backlog: rmax.saturating_sub(rcommitted),
                    broker_offset: rmax,
                    ..Default::default()
                },
            );
            backlog.total = backlog.per_topic.values().map(|l| l.backlog).sum();
            let consumers: Vec<Client> = (0..sc.instances)
                .filter(|i| {
                    sim.place(Role::Consumer, &g.name, *i, sc.instances, now) == Place::On(side)
                })
                .map(|i| Client {
                    client_id: format!("10.{host}.{gi}.{}@{}", 10 + i, 4000 + host * 1000 + i),
                    addr: format!("10.{host}.{gi}.{}:{}", 10 + i, 52000 + i),
                    language: "JAVA".into(),
                    version: Some(sc.version.clone()),
                    message_model: Some(MessageModel::Clustering),
                })
                .collect();
            let filter = match &sc.first_target_tags {
                Some(tags)
                    if side == Side::Target && !sim.first_consumers_rolled_back(&g.name, now) =>
                {
                    Filter::parse(Some("TAG"), Some(tags))
                }
                _ => Filter::all(),
            };
            let subscriptions = if consumers.is_empty() {
                Subscriptions::new()
            } else {
                (sc.topics.iter())
                    .map(|t| (t.clone(), Expressions::Seen([filter.clone()].into())))
                    .collect()
            };
            snap.groups.insert(
                g.name.clone(),
                GroupState {
                    exists: Known::Known(exists),
                    backlog: if exists {
                        Known::Known(backlog)
                    } else {
                        Known::Known(Backlog::default())
                    },
                    consumers: Known::Known(consumers),
                    subscriptions: Known::Known(subscriptions),
                    config: exists.then_some(GroupConfig {
                        broadcast: false,
                        orderly: sc.orderly,
                        retry_queues: Some(1),
                        retry_max_times: 16,
                    }),
                    consume_tps: c.tps.get(&g.name).copied(),
                },
            );
        }
        let mut groups = BTreeMap::new();
        for p in &scope.producer_groups {
            let online: Vec<Client> = sim
                .scenario
                .producers
                .iter()
                .enumerate()
                .filter(|(_, x)| &x.group == p)
                .flat_map(|(pi, x)| {
                    (0..x.instances)
                        .filter(move |i| {
                            sim.place(Role::Producer, p, *i, x.instances, now) == Place::On(side)
                        })
                        .map(move |i| Client {
                            client_id: format!(
                                "10.{host}.{}.{}@{}",
                                100 + pi,
                                10 + i,
                                7000 + host * 1000 + i
                            ),
                            addr: format!("10.{host}.{}.{}:{}", 100 + pi, 10 + i, 53000 + i),
                            language: "JAVA".into(),
                            version: Some(x.version.clone()),
                            message_model: None,
                        })
                })
                .collect();
            groups.insert(p.clone(), Known::Known(online));
        }
        snap.producers = Producers {
            via: ProducerSource::AllProducerInfo,
            groups,
            topics: BTreeMap::new(),
        };
        // The rehearsal sends no delayed, timer or transactional message: its one broker holds
        // none, which a real cluster has to show.
        snap.pending = Known::Known(Pending {
            brokers: BTreeMap::from([(
                format!("{}-broker-a", self.label),
                Known::Known(BrokerPending::nothing()),
            )]),
        });
        snap.servers = Some(Servers::Product(
            "a rehearsal cluster, simulated in this process".into(),
        ));
        snap
    }

    fn record_created(&self, item: &MetadataItem) {
        let mut sim = self.world.sim();
        let mut timeline = sim.timeline.clone();
        timeline.created.push(Created {
            at: clock::now(),
            side: self.side,
            item: item.clone(),
        });
        sim.follow(&timeline);
    }
}

#[async_trait]
impl Cluster for RehearsalCluster {
    fn side(&self) -> Side {
        self.side
    }
    fn label(&self) -> &str {
        &self.label
    }
    fn kind(&self) -> &'static str {
        "rehearsal"
    }
    async fn snapshot(&self, scope: &Scope) -> Snapshot {
        let started = clock::now();
        let mut s = self.snapshot_at(scope, started);
        s.started_at = started;
        s
    }
    async fn create(&self, item: &MetadataItem) -> Result<super::Outcome, String> {
        self.record_created(item);
        Ok(super::Outcome::New)
    }
    fn follow(&self, timeline: &Timeline) {
        self.world.sim().follow(timeline);
    }
}
