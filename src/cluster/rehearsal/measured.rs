//! What two readings of the operator's source cluster, taken a while apart, measured of its
//! applications, for a rehearsal of their own plan (`demo --plan PLAN --measure`): instances,
//! rates, backlogs and client versions per group. A producer group's rate is its topics'
//! growth between the readings; every other figure is the later reading's. A figure a reading
//! did not know stays invented, and the scenario says which. Pure.

use crate::clock::{self, Millis};
use crate::model::{Client, Known, Snapshot};
use crate::plan::{Batch, Plan};
use std::collections::BTreeMap;

/// The two readings of the source cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub cluster: String,
    pub from: Millis,
    pub to: Millis,
    pub consumers: BTreeMap<String, ConsumerFigures>,
    /// Per producer group; a batch naming none is measured under its simulated producer.
    pub producers: BTreeMap<String, ProducerFigures>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsumerFigures {
    pub instances: Option<u32>,
    /// Messages per second each instance consumed.
    pub rate: Option<f64>,
    pub backlog: Option<u64>,
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProducerFigures {
    pub instances: Option<u32>,
    /// Messages per second each instance wrote to each topic of its batch: the batch's topics'
    /// growth, shared evenly among the instances of its producer groups.
    pub rate: Option<f64>,
    pub version: Option<String>,
}

/// What `first` and `second` (the later) show of the plan's groups. `writers` names the
/// producer groups of a batch (the simulated one where the plan names none).
pub fn measure(
    plan: &Plan,
    first: &Snapshot,
    second: &Snapshot,
    writers: impl Fn(&Batch) -> Vec<String>,
) -> Measured {
    let secs = second.taken_at.saturating_sub(first.taken_at) as f64 / 1000.0;
    let mut out = Measured {
        cluster: second.cluster.clone(),
        from: first.taken_at,
        to: second.taken_at,
        consumers: BTreeMap::new(),
        producers: BTreeMap::new(),
    };
    for b in &plan.batches {
        for g in &b.groups {
            let Some(state) = second.groups.get(&g.name) else {
                continue;
            };
            let clients = state.consumers.known();
            let instances = clients.map(|c| c.len() as u32);
            let rate = match (state.consume_tps, instances) {
                (Some(tps), Some(n)) if n > 0 => Some(tps / f64::from(n)),
                _ => None,
            };
            out.consumers.insert(
                g.name.clone(),
                ConsumerFigures {
                    instances,
                    rate,
                    backlog: state.backlog.known().map(|b| b.total),
                    version: clients.and_then(|c| usual_version(c)),
                },
            );
        }
        let groups = writers(b);
        let online: Vec<Option<&Vec<Client>>> = (groups.iter())
            .map(|p| second.producers.groups.get(p).and_then(Known::known))
            .collect();
        let total: Option<u32> = online.iter().map(|c| c.map(|c| c.len() as u32)).sum();
        let rate = match (written(b, first, second), total) {
            (Some(messages), Some(n)) if n > 0 && secs > 0.0 => {
                Some(messages as f64 / secs / b.topics.len() as f64 / f64::from(n))
            }
            _ => None,
        };
        for (p, clients) in groups.into_iter().zip(online) {
            let figures = ProducerFigures {
                instances: clients.map(|c| c.len() as u32),
                rate,
                version: clients.and_then(|c| usual_version(c)),
            };
            out.producers.insert(p, figures);
        }
    }
    out
}

/// Messages written to the batch's topics between the readings; unknown if any topic's offset
/// was unknown in either.
fn written(b: &Batch, first: &Snapshot, second: &Snapshot) -> Option<u64> {
    let max = |s: &Snapshot, t: &str| s.topics.get(t).and_then(|t| t.max_offset.known().copied());
    (b.topics.iter())
        .map(|t| Some(max(second, t)?.saturating_sub(max(first, t)?)))
        .sum()
}

/// The version most of the clients run.
fn usual_version(clients: &[Client]) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in clients.iter().filter_map(|c| c.version.as_deref()) {
        *counts.entry(v).or_default() += 1;
    }
    let most = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|(_, n)| *n == most)
        .map(|(v, _)| v.to_string())
}

impl Measured {
    /// The scenario header's account of the readings.
    pub fn header(&self) -> String {
        format!(
            "Measured on {} between {} and {}, where the readings knew it",
            self.cluster,
            clock::rfc3339(self.from),
            clock::rfc3339(self.to)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Backlog, GroupState, Producers, TopicState};
    use crate::plan::Side;
    use std::path::Path;

    const PLAN: &str = "[source]\nkind = \"remoting\"\nnamesrv = [\"10.0.0.1:9876\"]\n[target]\nkind = \"remoting\"\nnamesrv = [\"10.9.0.1:9876\"]\n[[batch]]\nname = \"orders\"\ntopics = [\"T_ORDER\", \"T_PAY\"]\nconsumer_groups = [\"G_A\", \"G_B\"]\nproducer_groups = [\"P_ORDER\", \"P_PAY\"]\n[[batch]]\nname = \"stock\"\ntopics = [\"T_STOCK\"]\nconsumer_groups = [\"G_S\"]\n";

    fn client(version: &str) -> Client {
        Client {
            client_id: "c".into(),
            addr: "10.0.0.5:1".into(),
            language: "JAVA".into(),
            version: Some(version.into()),
            message_model: None,
        }
    }

    fn reading(at: Millis, offsets: [u64; 3]) -> Snapshot {
        let mut s = Snapshot::unreachable(Side::Source, "old", "remoting", at, "");
        s.unreachable = None;
        for (t, o) in ["T_ORDER", "T_PAY", "T_STOCK"].into_iter().zip(offsets) {
            let mut state = TopicState::absent();
            state.exists = Known::Known(true);
            state.max_offset = Known::Known(o);
            s.topics.insert(t.into(), state);
        }
        let mut a = GroupState::absent();
        a.consumers = Known::Known(vec![client("V4_9_4"), client("V5_3_1"), client("V5_3_1")]);
        a.consume_tps = Some(30.0);
        a.backlog = Known::Known(Backlog {
            total: 42,
            per_topic: BTreeMap::new(),
        });
        s.groups.insert("G_A".into(), a);
        let mut b = GroupState::absent();
        b.consumers = Known::unknown("broker-a did not answer");
        s.groups.insert("G_B".into(), b);
        s.producers = Producers {
            groups: BTreeMap::from([
                ("P_ORDER".into(), Known::Known(vec![client("V5_3_1")])),
                ("P_PAY".into(), Known::Known(vec![client("V5_3_1")])),
            ]),
            ..s.producers
        };
        s
    }

    #[test]
    fn figures_come_from_what_both_readings_knew() {
        let plan = Plan::parse(Path::new("migration.toml"), PLAN).unwrap();
        let (first, mut second) = (reading(0, [100, 50, 7]), reading(10_000, [500, 250, 7]));
        second.topics.get_mut("T_STOCK").unwrap().max_offset = Known::unknown("no route");
        let m = measure(
            &plan,
            &first,
            &second,
            crate::cluster::rehearsal::from_plan::writers,
        );
        // 3 instances sharing 30 msg/s; the backlog; the version most of them run.
        assert_eq!(
            m.consumers["G_A"],
            ConsumerFigures {
                instances: Some(3),
                rate: Some(10.0),
                backlog: Some(42),
                version: Some("V5_3_1".into()),
            }
        );
        // Consumers not known: nothing measured (the backlog of an absent group is unknown).
        assert_eq!(m.consumers["G_B"], ConsumerFigures::default());
        // 600 messages in 10 s over 2 topics, by 2 instances: 15 msg/s each per topic.
        let p = &m.producers["P_ORDER"];
        assert_eq!((p.instances, p.rate), (Some(1), Some(15.0)));
        assert_eq!(m.producers["P_PAY"].rate, Some(15.0));
        // The stock batch's simulated producer is not on the source; its topic's offset is
        // unknown in the second reading: nothing measured, never a rate of 0.
        assert_eq!(
            m.producers["PID_REHEARSAL_STOCK"],
            ProducerFigures::default()
        );
        assert!(
            m.header()
                .starts_with("Measured on old between 1970-01-01T00:00:00")
        );
    }
}
