//! A group's backlog counted from what the brokers hold, not from consume-stats rows: for each
//! topic the group consumes in the plan and for its retry topic, over every queue of every broker
//! in the topic's route, max offset minus committed offset. Consume-stats rows exist only where
//! the group committed, so a queue (or a whole broker) where it never did would count as
//! nothing there. Pure: the shell reads the brokers, this decides what the numbers say.

use super::body::QueueKey;
use crate::model::{Backlog, Known, TopicLag};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// The brokers in a topic's route, merged over every NameServer: name -> master address, `None`
/// when no NameServer knows a master (id 0) for it.
pub type Route = BTreeMap<String, Option<String>>;

/// Committed offsets of a broker (GET_ALL_CONSUMER_OFFSET): (topic, group) -> queue -> offset.
pub type CommittedOffsets = BTreeMap<(String, String), BTreeMap<i64, i64>>;

/// A topic's queues on one broker, each with the offsets it holds (`min..max`).
pub type Queues = Vec<(QueueKey, Range<i64>)>;

/// What one broker answered.
#[derive(Debug, Clone, Default)]
pub struct BrokerReads {
    pub committed: Option<Result<CommittedOffsets, String>>,
    /// Topic -> its queues; `Ok(None)` when the broker lacks the topic.
    pub queues: BTreeMap<String, Result<Option<Queues>, String>>,
}

/// One queue of a topic's route.
pub struct RoutedQueue<'r> {
    pub broker: &'r str,
    pub queue: &'r QueueKey,
    pub range: Range<i64>,
}

/// A topic of the group, as the plan names it and as the brokers know it (namespace applied).
pub struct Consumed<'a> {
    pub shown: &'a str,
    pub wire: &'a str,
    /// A retry topic is read from its first message: a queue with no committed offset counts
    /// from its min offset even when the group committed nowhere on it.
    pub retry: bool,
}

/// The queues of `topic` on every broker of its route; an error names the broker.
pub fn queues_of<'r>(
    topic: &str,
    route: &'r Known<Route>,
    reads: &'r BTreeMap<String, BrokerReads>,
) -> Result<Vec<RoutedQueue<'r>>, String> {
    let route = match route {
        Known::Known(r) => r,
        Known::Unknown(why) => return Err(format!("the route of {topic}: {why}")),
    };
    let mut out = vec![];
    for (broker, master) in route {
        if master.is_none() {
            return Err(format!(
                "broker {broker} serves {topic} but no NameServer knows its master (id 0): its queues cannot be read"
            ));
        }
        let answer = reads
            .get(broker)
            .and_then(|r| r.queues.get(topic))
            .ok_or_else(|| format!("broker {broker}: the offsets of {topic} were not read"))?;
        match answer {
            Ok(Some(queues)) => out.extend(queues.iter().map(|(queue, range)| RoutedQueue {
                broker,
                queue,
                range: range.clone(),
            })),
            Ok(None) => {}
            Err(e) => return Err(format!("broker {broker}: {e}")),
        }
    }
    Ok(out)
}

/// The sum of a topic's max offsets over every queue of its route: unchanged over a window
/// means nothing was written.
pub fn max_offset(
    topic: &str,
    route: &Known<Route>,
    reads: &BTreeMap<String, BrokerReads>,
) -> Known<u64> {
    match queues_of(topic, route, reads) {
        Ok(queues) => Known::Known(queues.iter().map(|q| q.range.end.max(0) as u64).sum()),
        Err(e) => Known::unknown(e),
    }
}

/// The groups that committed offsets on `topic` on any broker of its route: who consumes it, as
/// QUERY_TOPIC_CONSUME_BY_WHO would say (the Java broker answers that from the same offsets plus
/// the groups online), read from the broker-wide offsets already asked for, with no request per
/// topic. A group online that has not committed yet (its first seconds) is not among them.
pub fn consumed_by(
    topic: &str,
    route: &Known<Route>,
    reads: &BTreeMap<String, BrokerReads>,
) -> Known<BTreeSet<String>> {
    let route = match route {
        Known::Known(r) => r,
        Known::Unknown(why) => return Known::unknown(why.clone()),
    };
    let mut groups = BTreeSet::new();
    for (broker, master) in route {
        if master.is_none() {
            return Known::unknown(format!(
                "broker {broker} serves {topic} but no NameServer knows its master (id 0)"
            ));
        }
        let table = match reads.get(broker).and_then(|r| r.committed.as_ref()) {
            Some(Ok(t)) => t,
            Some(Err(e)) => return Known::unknown(format!("broker {broker}: {e}")),
            None => {
                return Known::unknown(format!(
                    "broker {broker}: the committed offsets were not read"
                ));
            }
        };
        groups.extend(
            (table.keys())
                .filter(|(t, _)| t == topic)
                .map(|(_, g)| g.clone()),
        );
    }
    Known::Known(groups)
}

/// The group's committed offset on a queue, if any broker in the route reported one.
fn committed_on(
    reads: &BTreeMap<String, BrokerReads>,
    broker: &str,
    topic: &str,
    group: &str,
    queue: i64,
) -> Result<Option<i64>, String> {
    let table = reads
        .get(broker)
        .and_then(|r| r.committed.as_ref())
        .ok_or_else(|| format!("broker {broker}: the committed offsets were not read"))?
        .as_ref()
        .map_err(|e| format!("broker {broker}: {e}"))?;
    Ok(table
        .get(&(topic.to_string(), group.to_string()))
        .and_then(|q| q.get(&queue))
        .copied())
}

/// Whether the group committed an offset on `topic` on any broker (it has consumed it).
fn consumed_anywhere(reads: &BTreeMap<String, BrokerReads>, topic: &str, group: &str) -> bool {
    let key = (topic.to_string(), group.to_string());
    reads
        .values()
        .any(|r| matches!(&r.committed, Some(Ok(t)) if t.get(&key).is_some_and(|q| !q.is_empty())))
}

/// The group's backlog over its topics and retry topic; unknown (naming the broker, topic and
/// queue) wherever a number cannot be known, never 0 for it.
pub fn group_backlog(
    group_wire: &str,
    topics: &[Consumed],
    routes: &BTreeMap<String, Known<Route>>,
    reads: &BTreeMap<String, BrokerReads>,
) -> Known<Backlog> {
    let mut per_topic: BTreeMap<String, TopicLag> = BTreeMap::new();
    for t in topics {
        let no_route = Known::Known(Route::new());
        let route = routes.get(t.wire).unwrap_or(&no_route);
        let queues = match queues_of(t.wire, route, reads) {
            Ok(q) => q,
            Err(e) => return Known::unknown(e),
        };
        let consumed = t.retry || consumed_anywhere(reads, t.wire, group_wire);
        for RoutedQueue {
            broker,
            queue: q,
            range,
        } in queues
        {
            let held = (range.end - range.start).max(0);
            let lag = match committed_on(reads, broker, t.wire, group_wire, q.queue_id) {
                Err(e) => return Known::unknown(e),
                Ok(Some(c)) => range.end - c.max(range.start),
                Ok(None) if held == 0 || consumed => held,
                Ok(None) => {
                    return Known::unknown(format!(
                        "{group_wire} has never consumed {} and broker {broker} holds {held} message(s) in its queue {}: where the group would start is unknown",
                        t.shown, q.queue_id
                    ));
                }
            }
            .max(0) as u64;
            let entry = per_topic.entry(t.shown.to_string()).or_default();
            entry.backlog += lag;
            entry.broker_offset += range.end.max(0) as u64;
            *entry.per_broker.entry(broker.to_string()).or_default() += lag;
        }
    }
    Known::Known(Backlog {
        total: per_topic.values().map(|l| l.backlog).sum(),
        per_topic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(topic: &str, broker: &str, id: i64) -> QueueKey {
        QueueKey {
            topic: topic.into(),
            broker: broker.into(),
            queue_id: id,
        }
    }

    /// broker-a and broker-b both serve T; G committed on broker-a only.
    fn two_brokers(
        b_holds: i64,
    ) -> (
        BTreeMap<String, Known<Route>>,
        BTreeMap<String, BrokerReads>,
    ) {
        let route: Route = [
            ("broker-a".to_string(), Some("a:10911".to_string())),
            ("broker-b".to_string(), Some("b:10911".to_string())),
        ]
        .into();
        let routes = BTreeMap::from([
            ("T".to_string(), Known::Known(route)),
            ("%RETRY%G".to_string(), Known::Known(Route::new())),
        ]);
        let a = BrokerReads {
            committed: Some(Ok(BTreeMap::from([(
                ("T".to_string(), "G".to_string()),
                BTreeMap::from([(0, 40), (1, 50)]),
            )]))),
            queues: BTreeMap::from([(
                "T".to_string(),
                Ok(Some(vec![
                    (q("T", "broker-a", 0), 0..50),
                    (q("T", "broker-a", 1), 0..50),
                ])),
            )]),
        };
        let b = BrokerReads {
            committed: Some(Ok(BTreeMap::new())),
            queues: BTreeMap::from([(
                "T".to_string(),
                Ok(Some(vec![(q("T", "broker-b", 0), 0..b_holds)])),
            )]),
        };
        let reads = BTreeMap::from([("broker-a".to_string(), a), ("broker-b".to_string(), b)]);
        (routes, reads)
    }

    fn topics() -> Vec<Consumed<'static>> {
        vec![
            Consumed {
                shown: "T",
                wire: "T",
                retry: false,
            },
            Consumed {
                shown: "%RETRY%G",
                wire: "%RETRY%G",
                retry: true,
            },
        ]
    }

    #[test]
    fn a_queue_where_the_group_never_committed_counts_from_its_min_offset() {
        let (routes, reads) = two_brokers(10);
        let b = group_backlog("G", &topics(), &routes, &reads);
        let b = b.known().expect("known");
        // 10 on broker-a (queue 0: 50 - 40), 10 on broker-b (never committed there).
        assert_eq!(b.total, 20);
        let t = &b.per_topic["T"];
        assert_eq!(t.per_broker["broker-a"], 10);
        assert_eq!(t.per_broker["broker-b"], 10);
        assert_eq!(t.broker_offset, 110);
    }

    #[test]
    fn a_group_that_never_consumed_a_topic_holding_messages_is_unknown() {
        let (routes, mut reads) = two_brokers(10);
        for r in reads.values_mut() {
            r.committed = Some(Ok(BTreeMap::new()));
        }
        let b = group_backlog("G", &topics(), &routes, &reads);
        let why = b.reason().expect("unknown, never 0");
        assert!(why.contains("never consumed T"), "{why}");
        // Empty queues hold nothing, whoever consumed them.
        let (routes, mut reads) = two_brokers(0);
        reads.remove("broker-a");
        let mut routes = routes;
        routes.insert(
            "T".into(),
            Known::Known([("broker-b".to_string(), Some("b:1".to_string()))].into()),
        );
        let b = group_backlog("G", &topics(), &routes, &reads);
        assert_eq!(b.known().map(|b| b.total), Some(0));
    }

    #[test]
    fn a_broker_without_a_master_or_an_answer_makes_the_backlog_unknown() {
        let (mut routes, reads) = two_brokers(10);
        if let Some(Known::Known(r)) = routes.get_mut("T") {
            r.insert("broker-c".into(), None);
        }
        let b = group_backlog("G", &topics(), &routes, &reads);
        assert!(b.reason().unwrap().contains("broker-c"), "{b:?}");

        let (routes, mut reads) = two_brokers(10);
        reads.get_mut("broker-b").unwrap().committed = Some(Err("timed out".into()));
        let b = group_backlog("G", &topics(), &routes, &reads);
        assert_eq!(b.reason(), Some("broker broker-b: timed out"));
        assert_eq!(
            max_offset("T", &routes["T"], &reads),
            Known::Known(110),
            "max offsets need no committed offsets"
        );
    }
}
