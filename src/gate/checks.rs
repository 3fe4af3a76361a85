//! The building blocks of gates: each reads one fact from one snapshot and says pass, blocked or
//! unknown, with the evidence.

use crate::clock::{self, Millis};
use crate::model::{
    Check, CheckKind, Client, Counted, Evidence, Expressions, Fact, Filter, Freshness, Known,
    Metric, Prerequisite, Servers, Snapshot, Status, Warning, WarningKind, describe,
};
use crate::plan::{Batch, Gates, GroupPlan, Side};
use crate::stage::Stage;
use crate::wizard::{BrokerRecord, BrokerState};
use std::collections::{BTreeMap, BTreeSet};

use super::settle::QuietWatch;

pub fn evidence(
    snap: &Snapshot,
    now: Millis,
    subject: &str,
    metric: Metric,
    fact: Fact,
) -> Evidence {
    Evidence {
        side: snap.side,
        cluster: snap.cluster.clone(),
        subject: subject.to_string(),
        metric,
        fact,
        age_ms: snap.age(now),
    }
}

/// Why a value is not known: the snapshot's reason, or `missing` when the item is not in it.
fn why_unknown<T>(known: Option<&Known<T>>, missing: &str) -> String {
    known
        .and_then(|k| k.reason())
        .unwrap_or(missing)
        .to_string()
}

/// The snapshot cannot tell: the check is unknown (never a pass), with the reason as evidence.
fn unknown(
    snap: &Snapshot,
    now: Millis,
    kind: CheckKind,
    subject: &str,
    metric: Metric,
    what: String,
    why: String,
) -> Check {
    let ev = evidence(snap, now, subject, metric, Fact::Unknown(why.clone()));
    check(kind, Status::Unknown, format!("{what}: {why}"), vec![ev])
}

fn check(kind: CheckKind, status: Status, summary: String, evidence: Vec<Evidence>) -> Check {
    Check {
        kind,
        status,
        summary,
        evidence,
    }
}

/// The snapshot, if it is there, reachable, complete and fresh; the check says which.
pub fn fresh<'a>(
    side: Side,
    snap: Option<&'a Snapshot>,
    gates: &Gates,
    now: Millis,
) -> (Check, Option<&'a Snapshot>) {
    let kind = CheckKind::Fresh { side };
    let Some(s) = snap else {
        let summary = format!("no data from the {side} cluster yet");
        return (check(kind, Status::Unknown, summary, vec![]), None);
    };
    let freshness = s.freshness(now, clock::ms(gates.stale_after));
    let summary = match freshness {
        Freshness::Unreachable { error, .. } => {
            format!("the {side} cluster '{}' is unreachable: {error}", s.cluster)
        }
        Freshness::Stale { age_ms, limit_ms } => format!(
            "{side} data is stale: {} old, limit {}",
            clock::age(age_ms),
            clock::age(limit_ms)
        ),
        Freshness::Partial { errors, .. } => {
            let first: Vec<String> = errors
                .iter()
                .take(3)
                .map(|e| format!("{}: {}", e.item, e.error))
                .collect();
            let more = match errors.len().saturating_sub(3) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            format!("{side} data is partial: {}{more}", first.join("; "))
        }
        Freshness::Fresh { age_ms } => {
            format!("{side} data is fresh ({} old)", clock::age(age_ms))
        }
        Freshness::NoData => format!("no data from the {side} cluster yet"),
    };
    let ev = evidence(
        s,
        now,
        &format!("cluster '{}'", s.cluster),
        Metric::SnapshotAge,
        Fact::Snapshot {
            age_ms: s.age(now),
            state: freshness.state(),
        },
    );
    let ok = freshness.is_fresh();
    (
        check(kind, freshness.status(), summary, vec![ev]),
        ok.then_some(s),
    )
}

/// An earlier step the move needs. Only a missing one is listed: a completed step is not news.
pub fn step_done(step: Prerequisite, done: bool) -> Option<Check> {
    let summary = match step {
        Prerequisite::Preflight => "preflight is not complete: advance preflight first",
        Prerequisite::Metadata => "the metadata step is not complete: advance metadata first",
    };
    (!done).then(|| {
        check(
            CheckKind::StepDone { step },
            Status::Blocked,
            summary.into(),
            vec![],
        )
    })
}

/// Finish needs every batch done.
pub fn batch_done(batch: &str, stage: Stage) -> Check {
    check(
        CheckKind::BatchDone {
            batch: batch.to_string(),
        },
        if stage == Stage::Done {
            Status::Pass
        } else {
            Status::Blocked
        },
        format!("batch '{batch}' is at {stage} ({})", stage.meaning()),
        vec![],
    )
}

fn client_ids(clients: &[Client]) -> String {
    let ids: Vec<&str> = clients
        .iter()
        .take(3)
        .map(|c| c.client_id.as_str())
        .collect();
    let more = clients.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", ids.join(", "))
    } else {
        ids.join(", ")
    }
}

fn count(n: usize) -> Fact {
    Fact::Count(n as u64)
}

/// Who a client check counts: a consumer group's consumers, a producer group's producers, or
/// a topic's producers (where the cluster lists them per topic).
#[derive(Clone, Copy)]
enum Role {
    Consumer,
    Producer,
    TopicProducer,
}

impl Role {
    fn noun(self) -> &'static str {
        match self {
            Role::Consumer => "consumer",
            Role::Producer | Role::TopicProducer => "producer",
        }
    }

    fn metric(self) -> Metric {
        match self {
            Role::Consumer => Metric::ConsumersOnline,
            Role::Producer | Role::TopicProducer => Metric::ProducersOnline,
        }
    }

    /// What the clients belong to: "consumer group G", "topic T".
    fn subject(self, name: &str) -> String {
        match self {
            Role::TopicProducer => format!("topic {name}"),
            _ => format!("{} group {name}", self.noun()),
        }
    }
}

/// The group's online clients, or the unknown check saying why they cannot be counted.
fn clients<'s>(
    snap: &'s Snapshot,
    role: Role,
    kind: &CheckKind,
    group: &str,
    now: Millis,
) -> Result<&'s [Client], Check> {
    let (seen, missing) = match role {
        Role::Consumer => (
            snap.groups.get(group).map(|s| &s.consumers),
            "the group was not in the snapshot",
        ),
        Role::Producer => (
            snap.producers.groups.get(group),
            "this cluster did not report producers",
        ),
        Role::TopicProducer => (
            snap.producers.topics.get(group),
            "this cluster did not report producers by topic",
        ),
    };
    match seen {
        Some(Known::Known(c)) => Ok(c),
        other => Err(unknown(
            snap,
            now,
            kind.clone(),
            group,
            role.metric(),
            format!("{}s of {group} on {} are unknown", role.noun(), snap.side),
            why_unknown(other, missing),
        )),
    }
}

/// The clients counted; with none online, the blocked check saying so.
fn online<'s>(
    snap: &'s Snapshot,
    role: Role,
    kind: &CheckKind,
    group: &str,
    now: Millis,
) -> Result<(&'s [Client], Evidence), Check> {
    let c = clients(snap, role, kind, group, now)?;
    let ev = evidence(snap, now, group, role.metric(), count(c.len()));
    if c.is_empty() {
        let (noun, side) = (role.noun(), snap.side);
        let summary = format!("{} has no {noun} online on {side}", role.subject(group));
        return Err(check(kind.clone(), Status::Blocked, summary, vec![ev]));
    }
    Ok((c, ev))
}

/// No client of the group left on the cluster.
fn none_left(snap: &Snapshot, role: Role, kind: CheckKind, group: &str, now: Millis) -> Check {
    let c = match clients(snap, role, &kind, group, now) {
        Ok(c) => c,
        Err(unknown) => return unknown,
    };
    let (n, noun, side) = (c.len(), role.noun(), snap.side);
    let ev = vec![evidence(snap, now, group, role.metric(), count(n))];
    if n == 0 {
        let summary = format!("no {noun} of {group} left on {side}");
        check(kind, Status::Pass, summary, ev)
    } else {
        let summary = format!(
            "{n} {noun}(s) of {group} still connected to {side}: {}",
            client_ids(c)
        );
        check(kind, Status::Blocked, summary, ev)
    }
}

/// At least one consumer of the group online, subscribed to each of the group's topics.
pub fn consumers_subscribed(snap: &Snapshot, group: &GroupPlan, now: Millis) -> Check {
    let side = snap.side;
    let g = &group.name;
    let kind = CheckKind::ConsumersSubscribed {
        side,
        group: g.clone(),
    };
    let (n, mut ev) = match online(snap, Role::Consumer, &kind, g, now) {
        Ok((c, ev)) => (c.len(), vec![ev]),
        Err(closed) => return closed,
    };
    let subs = match snap.groups.get(g).map(|s| &s.subscriptions) {
        Some(Known::Known(s)) => s,
        other => {
            let why = why_unknown(other, "not reported");
            ev.push(evidence(
                snap,
                now,
                g,
                Metric::Subscriptions,
                Fact::Unknown(why.clone()),
            ));
            let summary = format!("subscriptions of {g} on {side} are unknown: {why}");
            return check(kind, Status::Unknown, summary, ev);
        }
    };
    let missing: Vec<&str> = group
        .topics
        .iter()
        .filter(|t| !subs.contains_key(*t))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        let summary = format!(
            "{n} consumer(s) of {g} online on {side}, subscribed to {}",
            group.topics.join(", ")
        );
        check(kind, Status::Pass, summary, ev)
    } else {
        ev.push(evidence(
            snap,
            now,
            g,
            Metric::SubscribedTopics,
            Fact::Topics(subs.keys().cloned().collect()),
        ));
        let summary = format!(
            "consumers of {g} on {side} do not subscribe to {}",
            missing.join(", ")
        );
        check(kind, Status::Blocked, summary, ev)
    }
}

/// The group's target consumers receive at least what its source consumers receive of
/// `topic`: a narrower expression on the target makes its broker skip the other messages and
/// advance the offset past them, a loss no backlog shows. Every expression seen on the target
/// must cover every one seen on the source (clients that disagree each get their own share).
/// A cluster that does not show expressions gives a warning to acknowledge instead: the
/// operator compares them by hand. Nothing to compare (`None`) while either cluster has no
/// consumer of the group subscribed to the topic, or cannot tell: `consumers_subscribed` holds
/// the gate then.
pub fn filters_cover(
    source: &Snapshot,
    target: &Snapshot,
    group: &str,
    topic: &str,
    now: Millis,
) -> Option<Result<Check, Warning>> {
    let kind = CheckKind::FiltersCover {
        group: group.to_string(),
        topic: topic.to_string(),
    };
    let (src, dst) = (
        expressions(source, group, topic)?,
        expressions(target, group, topic)?,
    );
    for (snap, e) in [(source, src), (target, dst)] {
        if let Expressions::NotShown(why) = e {
            let side = snap.side;
            return Some(Err(Warning {
                kind: WarningKind::FilterUnchecked {
                    group: group.to_string(),
                    topic: topic.to_string(),
                },
                text: format!(
                    "the {side} cluster does not show the expression {group} subscribes {topic} with ({why}): check by hand that the target's consumers receive at least what the source's do (same expression, or `*`)"
                ),
                acknowledged: false,
            }));
        }
    }
    let (Expressions::Seen(src), Expressions::Seen(dst)) = (src, dst) else {
        return None;
    };
    let subject = format!("{group} on {topic}");
    let ev = |snap: &Snapshot, f: &BTreeSet<Filter>| {
        let fact = Fact::Expressions(f.clone());
        evidence(snap, now, &subject, Metric::Subscriptions, fact)
    };
    let evidence = vec![ev(source, src), ev(target, dst)];
    let covered = dst
        .iter()
        .all(|d| src.iter().all(|s| d.receives_at_least(s)));
    if covered {
        let summary = format!(
            "{group}'s target consumers receive all its source consumers do of {topic} ({})",
            describe(dst)
        );
        return Some(Ok(check(kind, Status::Pass, summary, evidence)));
    }
    let summary = format!(
        "{group} subscribes {topic} with {} on the target but {} on the source: once producers write to the target its broker skips the other messages for {group} and moves its offset past them; subscribe the target consumers with {} (or `*`)",
        describe(dst),
        describe(src),
        describe(src)
    );
    Some(Ok(check(kind, Status::Blocked, summary, evidence)))
}

/// How the group's consumers on the cluster subscribe `topic`, if they are known to.
fn expressions<'a>(snap: &'a Snapshot, group: &str, topic: &str) -> Option<&'a Expressions> {
    match snap.groups.get(group).map(|g| &g.subscriptions) {
        Some(Known::Known(subs)) => subs.get(topic),
        _ => None,
    }
}

/// Nobody outside the batch consumes `topic` on the cluster, unless the plan leaves the group
/// behind with a reason: a group that reads the topic on the source starves once producers write
/// to the target, and joining the target later it may start at the last offset.
pub fn only_planned_consumers(snap: &Snapshot, batch: &Batch, topic: &str, now: Millis) -> Check {
    let side = snap.side;
    let kind = CheckKind::OnlyPlannedConsumers {
        side,
        topic: topic.to_string(),
    };
    let consumed_by = match snap.topics.get(topic).map(|t| &t.consumed_by) {
        Some(Known::Known(g)) => g,
        other => {
            return unknown(
                snap,
                now,
                kind,
                topic,
                Metric::ConsumedBy,
                format!("who else consumes {topic} on {side} is unknown"),
                why_unknown(other, "not in the snapshot"),
            );
        }
    };
    let others: BTreeSet<String> = (consumed_by.iter())
        .filter(|g| !batch.group_names().any(|b| b == g.as_str()))
        .cloned()
        .collect();
    let ev = vec![evidence(
        snap,
        now,
        topic,
        Metric::ConsumedBy,
        Fact::Groups(consumed_by.clone()),
    )];
    let (behind, unplanned): (Vec<&String>, Vec<&String>) = others
        .iter()
        .partition(|g| batch.left_behind.contains_key(*g));
    if !unplanned.is_empty() {
        let names: Vec<&str> = unplanned.iter().map(|g| g.as_str()).collect();
        let (consumes, is, they, them) = match names.len() {
            1 => ("consumes", "is", "it", "it"),
            _ => ("consume", "are", "they", "them"),
        };
        let summary = format!(
            "{} {consumes} {topic} on {side} but {is} not in batch '{}': once producers write to the target {they} would starve; add {them} to the batch's consumer_groups, or list {them} under `left_behind` in the plan with the reason",
            names.join(", "),
            batch.name,
        );
        return check(kind, Status::Blocked, summary, ev);
    }
    let mut summary = format!("only batch '{}' consumes {topic} on {side}", batch.name);
    if !behind.is_empty() {
        let said: Vec<String> = (behind.iter())
            .map(|g| format!("{g} stays behind ({})", batch.left_behind[*g]))
            .collect();
        summary = format!("{summary}; as the plan says, {}", said.join("; "));
    }
    check(kind, Status::Pass, summary, ev)
}

/// The group consumes on the cluster only topics of its batch: moving its last consumers would
/// strand what arrives on any other. Its online consumers tell what they subscribe to; with none
/// online, the operator checks by hand (a warning).
pub fn only_batch_topics(
    snap: &Snapshot,
    batch: &Batch,
    group: &str,
    now: Millis,
) -> Result<Check, Warning> {
    let side = snap.side;
    let kind = CheckKind::OnlyBatchTopics {
        side,
        group: group.to_string(),
    };
    let state = snap.groups.get(group);
    let online = state.and_then(|g| g.consumers.known()).map(Vec::len);
    let subs = match state.map(|g| &g.subscriptions) {
        Some(Known::Known(s)) if online.is_some_and(|n| n > 0) => s,
        Some(Known::Known(_)) => {
            return Err(Warning {
                kind: WarningKind::OtherTopicsUnchecked {
                    side,
                    group: group.to_string(),
                },
                text: format!(
                    "no consumer of {group} is online on {side} to show what else it consumes there: check by hand that it reads no topic outside batch '{}'",
                    batch.name
                ),
                acknowledged: false,
            });
        }
        other => {
            return Ok(unknown(
                snap,
                now,
                kind,
                group,
                Metric::SubscribedTopics,
                format!("what else {group} consumes on {side} is unknown"),
                why_unknown(other, "not in the snapshot"),
            ));
        }
    };
    let outside: Vec<&str> = (subs.keys())
        .filter(|t| !batch.topics.contains(t))
        .map(String::as_str)
        .collect();
    let ev = vec![evidence(
        snap,
        now,
        group,
        Metric::SubscribedTopics,
        Fact::Topics(subs.keys().cloned().collect()),
    )];
    if outside.is_empty() {
        let summary = format!(
            "{group} consumes only batch '{}' topics on {side}",
            batch.name
        );
        return Ok(check(kind, Status::Pass, summary, ev));
    }
    let summary = format!(
        "{group} also consumes {} on {side}, outside batch '{}': moving its last consumers strands what arrives there; move {} with this batch or an earlier one",
        outside.join(", "),
        batch.name,
        outside.join(", ")
    );
    Ok(check(kind, Status::Blocked, summary, ev))
}

/// No consumer of the group left on the cluster.
pub fn no_consumers(snap: &Snapshot, group: &str, now: Millis) -> Check {
    let kind = CheckKind::NoConsumers {
        side: snap.side,
        group: group.to_string(),
    };
    none_left(snap, Role::Consumer, kind, group, now)
}

/// At least one producer of the group online.
pub fn producers_online(snap: &Snapshot, group: &str, now: Millis) -> Check {
    let kind = CheckKind::ProducersOnline {
        side: snap.side,
        group: group.to_string(),
    };
    match online(snap, Role::Producer, &kind, group, now) {
        Ok((c, ev)) => {
            let summary = format!("{} producer(s) of {group} online on {}", c.len(), snap.side);
            check(kind, Status::Pass, summary, vec![ev])
        }
        Err(closed) => closed,
    }
}

/// No producer of the group left on the cluster.
pub fn no_producers(snap: &Snapshot, group: &str, now: Millis) -> Check {
    let kind = CheckKind::NoProducers {
        side: snap.side,
        group: group.to_string(),
    };
    none_left(snap, Role::Producer, kind, group, now)
}

/// No producer of the topic left on the cluster (one that lists producers per topic).
pub fn no_topic_producers(snap: &Snapshot, topic: &str, now: Millis) -> Check {
    let kind = CheckKind::NoTopicProducers {
        side: snap.side,
        topic: topic.to_string(),
    };
    none_left(snap, Role::TopicProducer, kind, topic, now)
}

/// At least one producer of the topic online, where the cluster lists producers per topic. A
/// topic that has none now is a line to acknowledge, not a refusal: its producers may write
/// only at times (a nightly job), and whether any still writes to the source is checked there.
pub fn topic_producers_online(
    snap: &Snapshot,
    batch: &str,
    topic: &str,
    now: Millis,
) -> Result<Check, Warning> {
    let kind = CheckKind::TopicProducersOnline {
        side: snap.side,
        topic: topic.to_string(),
    };
    match clients(snap, Role::TopicProducer, &kind, topic, now) {
        Err(unknown) => Ok(unknown),
        Ok([]) => Err(Warning {
            kind: WarningKind::TopicWithoutProducer {
                side: snap.side,
                topic: topic.to_string(),
            },
            text: format!(
                "no producer writes {topic} on {} now: acknowledge if its producers run only at times; otherwise they are not yet moved (batch '{batch}')",
                snap.side
            ),
            acknowledged: false,
        }),
        Ok(c) => {
            let ev = evidence(snap, now, topic, Metric::ProducersOnline, count(c.len()));
            let summary = format!(
                "{} producer(s) of topic {topic} online on {}",
                c.len(),
                snap.side
            );
            Ok(check(kind, Status::Pass, summary, vec![ev]))
        }
    }
}

pub fn topic_exists(snap: &Snapshot, topic: &str, now: Millis) -> Check {
    let kind = CheckKind::TopicExists {
        side: snap.side,
        topic: topic.to_string(),
    };
    let seen = snap.topics.get(topic).map(|t| &t.exists);
    exists(
        snap,
        kind,
        "topic",
        "topic",
        topic,
        Metric::TopicExists,
        seen,
        now,
    )
}

pub fn group_exists(snap: &Snapshot, group: &str, now: Millis) -> Check {
    let kind = CheckKind::GroupExists {
        side: snap.side,
        group: group.to_string(),
    };
    let seen = snap.groups.get(group).map(|g| &g.exists);
    exists(
        snap,
        kind,
        "group",
        "consumer group",
        group,
        Metric::GroupExists,
        seen,
        now,
    )
}

/// Whether a topic or group exists on the snapshot's cluster; `what` and `noun` name it.
#[allow(clippy::too_many_arguments)]
fn exists(
    snap: &Snapshot,
    kind: CheckKind,
    what: &str,
    noun: &str,
    name: &str,
    metric: Metric,
    seen: Option<&Known<bool>>,
    now: Millis,
) -> Check {
    let side = snap.side;
    match seen {
        Some(Known::Known(true)) => check(
            kind,
            Status::Pass,
            format!("{what} {name} exists on {side}"),
            vec![evidence(snap, now, name, metric, Fact::Yes(true))],
        ),
        Some(Known::Known(false)) => check(
            kind,
            Status::Blocked,
            match side {
                Side::Target => format!(
                    "{noun} {name} does not exist on {side}: create it with sync-metadata (s in the wizard)"
                ),
                Side::Source => format!(
                    "{noun} {name} does not exist on {side}: the plan names something the source lacks; check its spelling in the plan"
                ),
            },
            vec![evidence(snap, now, name, metric, Fact::Yes(false))],
        ),
        other => unknown(
            snap,
            now,
            kind,
            name,
            metric,
            format!("whether {what} {name} exists on {side} is unknown"),
            why_unknown(other, "not in the snapshot"),
        ),
    }
}

/// The vendor's migration task holds `topic` at the batch's stage (it follows every move) and,
/// when it is about to be moved on, its own health check passed.
pub fn task_topic(
    snap: &Snapshot,
    task_id: &str,
    topic: &str,
    stage: Stage,
    health: bool,
    now: Millis,
) -> Check {
    let kind = CheckKind::TaskStage {
        topic: topic.to_string(),
    };
    let subject = format!("migration task {task_id} topic {topic}");
    let entry = snap.migration.as_ref().and_then(|m| m.topics.get(topic));
    let Some(Known::Known(t)) = entry else {
        return unknown(
            snap,
            now,
            kind,
            &subject,
            Metric::TaskStage,
            format!("the stage of {topic} in migration task {task_id} is unknown"),
            why_unknown(entry, "the target did not report the migration task"),
        );
    };
    let ev = vec![evidence(
        snap,
        now,
        &subject,
        Metric::TaskStage,
        Fact::Stage(t.stage.clone()),
    )];
    let want = stage.task_code();
    if t.stage != want {
        check(
            kind,
            Status::Blocked,
            format!(
                "migration task {task_id} holds {topic} at {}, the batch is at {want}: bring the task to {want} in the TDMQ console first",
                t.stage
            ),
            ev,
        )
    } else if health && !t.health_passed {
        let found = if t.health_errors.is_empty() {
            "no reason given".to_string()
        } else {
            (t.health_errors.iter())
                .map(|c| crate::model::health_reason(c))
                .collect::<Vec<_>>()
                .join("; ")
        };
        check(
            kind,
            Status::Blocked,
            format!("migration task {task_id}: the health check of {topic} did not pass ({found})"),
            ev,
        )
    } else {
        check(
            kind,
            Status::Pass,
            format!(
                "migration task {task_id} holds {topic} at {want}{}",
                if health { ", health check passed" } else { "" }
            ),
            ev,
        )
    }
}

/// The group's backlog, retry topic included, is at or under the threshold now.
pub fn backlog_at_most(snap: &Snapshot, group: &str, max: u64, now: Millis) -> Check {
    let side = snap.side;
    let kind = CheckKind::BacklogAtMost {
        side,
        group: group.to_string(),
    };
    match snap.groups.get(group).map(|g| &g.backlog) {
        Some(Known::Known(b)) => {
            let retry = b.retry();
            let ev = vec![evidence(
                snap,
                now,
                group,
                Metric::Backlog,
                Fact::Backlog {
                    total: b.total,
                    retry,
                    brokers: b.per_broker(),
                },
            )];
            if b.total <= max {
                let summary = format!("backlog of {group} on {side} is {} (limit {max})", b.total);
                check(kind, Status::Pass, summary, ev)
            } else if retry == b.total {
                let summary = format!(
                    "{group} still has {retry} message(s) in its retry topic on {side} (limit {max})"
                );
                check(kind, Status::Blocked, summary, ev)
            } else {
                let summary = format!(
                    "{group} still has a backlog of {} on {side} ({retry} in retry; limit {max})",
                    b.total
                );
                check(kind, Status::Blocked, summary, ev)
            }
        }
        other => unknown(
            snap,
            now,
            kind,
            group,
            Metric::Backlog,
            format!("backlog of {group} on {side} is unknown (not zero)"),
            why_unknown(other, "not in the snapshot"),
        ),
    }
}

/// A group whose backlog on the cluster is unknown (it never committed there) is judged by its
/// topics instead: the settle window, which this gate also needs, proves nothing was written to
/// them, so it left nothing there. The unknown backlog stays in the evidence.
pub fn backlog_by_topics(snap: &Snapshot, group: &str, now: Millis) -> Check {
    let side = snap.side;
    let kind = CheckKind::BacklogAtMost {
        side,
        group: group.to_string(),
    };
    let why = why_unknown(
        snap.groups.get(group).map(|g| &g.backlog),
        "not in the snapshot",
    );
    let summary = format!(
        "backlog of {group} on {side} is unknown ({why}): judged by its topics instead, nothing written to them for the settle window"
    );
    let ev = vec![evidence(
        snap,
        now,
        group,
        Metric::Backlog,
        Fact::Unknown(why),
    )];
    check(kind, Status::Pass, summary, ev)
}

/// The batch has been quiet on `side` for the whole settle window.
pub fn settled(
    snap: &Snapshot,
    batch: &str,
    topics: &[String],
    watch: Option<&QuietWatch>,
    needed: Millis,
    now: Millis,
) -> Check {
    let side = snap.side;
    let kind = CheckKind::Settled {
        side,
        batch: batch.to_string(),
    };
    let subject = format!("batch {batch} topics");
    let Some(w) = watch else {
        let offsets: BTreeMap<String, u64> = topics
            .iter()
            .filter_map(|t| {
                let max = snap.topics.get(t)?.max_offset.known()?;
                Some((t.clone(), *max))
            })
            .collect();
        return check(
            kind,
            Status::Blocked,
            format!(
                "{side} is not quiet: a backlog above the limit or new messages arriving on {}",
                topics.join(", ")
            ),
            vec![evidence(
                snap,
                now,
                &subject,
                Metric::MaxOffsets,
                Fact::Offsets(offsets),
            )],
        );
    };
    let held = w.held_ms();
    let ev = vec![evidence(
        snap,
        now,
        &subject,
        Metric::QuietFor,
        Fact::Held {
            ms: held,
            since: w.since,
        },
    )];
    if held >= needed {
        let summary = format!(
            "no new message and backlog within the limit on {side} for {} (window {})",
            clock::age(held),
            clock::age(needed)
        );
        check(kind, Status::Pass, summary, ev)
    } else {
        let summary = format!(
            "{side} quiet for {} of the {} settle window: {} to go",
            clock::age(held),
            clock::age(needed),
            clock::age(needed - held)
        );
        check(kind, Status::Blocked, summary, ev)
    }
}

/// A broker remembered serving the batch's topics: still in their route, or retired by the
/// operator. One that left (or is missing now) may hold messages no backlog shows any more.
pub fn broker_in_route(snap: &Snapshot, broker: &str, record: &BrokerRecord, now: Millis) -> Check {
    let side = snap.side;
    let kind = CheckKind::BrokerInRoute {
        side,
        broker: broker.to_string(),
    };
    let serving = snap.brokers_serving(&record.topics);
    let in_route = |yes| vec![evidence(snap, now, broker, Metric::InRoute, Fact::Yes(yes))];
    let (holding, last_seen) = match &record.state {
        BrokerState::Retired => {
            let summary = format!(
                "broker {broker} on {side} was retired by the operator at {}",
                clock::rfc3339(record.since)
            );
            return check(kind, Status::Pass, summary, in_route(false));
        }
        BrokerState::Serving => match serving {
            Some(now_serving) if now_serving.contains(broker) => {
                let summary = format!("broker {broker} still serves the batch on {side}");
                return check(kind, Status::Pass, summary, in_route(true));
            }
            None => {
                return unknown(
                    snap,
                    now,
                    kind,
                    broker,
                    Metric::InRoute,
                    format!("whether broker {broker} still serves the batch on {side} is unknown"),
                    "a route could not be read".into(),
                );
            }
            Some(_) => (None, None),
        },
        BrokerState::Left { holding, last_seen } => (holding.clone(), *last_seen),
    };
    let held = holding.clone().map_or(
        Fact::Unknown("not seen by the run that found it gone".into()),
        Fact::Messages,
    );
    let what = match (&held, last_seen) {
        (Fact::Messages(_), Some(t)) => format!(
            " holding {}, last seen {} ago",
            held.words(),
            clock::age(now.saturating_sub(t))
        ),
        (Fact::Messages(_), None) => format!(" holding {}", held.words()),
        _ => "; what it still holds is unknown (the run that found it gone had not seen it)".into(),
    };
    let summary = format!(
        "broker {broker} left the route on {side}{what}: bring it back, or, once its messages are accounted for, retire it (R in the wizard, or `rocketmq-migrate retire-broker {broker}`)"
    );
    let mut ev = in_route(false);
    ev.push(evidence(snap, now, broker, Metric::HeldWhenLastSeen, held));
    check(kind, Status::Unknown, summary, ev)
}

/// What a pending check asks of a broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaited {
    /// Nothing on its way: scheduled, timer or half.
    Everything,
    /// No unresolved transactional half message.
    Half,
}

/// Whether the cluster's pending messages were read; `None` when they were (no line needed).
pub fn pending_read(snap: &Snapshot, now: Millis) -> Option<Check> {
    let why = snap.pending.reason()?;
    let side = snap.side;
    Some(unknown(
        snap,
        now,
        CheckKind::PendingRead { side },
        &format!("cluster '{}'", snap.cluster),
        Metric::NotYetOnTopics,
        format!(
            "messages still on their way on {side} (scheduled, timer, transactional) are unknown"
        ),
        why.to_string(),
    ))
}

/// A broker holds nothing still on its way to a topic (or, for `Awaited::Half`, no unresolved
/// transactional half message). Nothing tells which topic a pending message is for without
/// reading it, so every one may be the batch's.
pub fn nothing_pending(snap: &Snapshot, broker: &str, awaited: Awaited, now: Millis) -> Check {
    let side = snap.side;
    let kind = match awaited {
        Awaited::Everything => CheckKind::NothingPending {
            side,
            broker: broker.to_string(),
        },
        Awaited::Half => CheckKind::HalfResolved {
            side,
            broker: broker.to_string(),
        },
    };
    let metric = Metric::NotYetOnTopics;
    let held = snap.pending.known().and_then(|p| p.brokers.get(broker));
    let (p, timer, half) = match held {
        Some(Known::Known(p)) => match (&p.timer, &p.half, awaited) {
            (Known::Known(t), Known::Known(h), _) => (p, *t, *h),
            (_, Known::Known(h), Awaited::Half) => (p, 0, *h),
            (Known::Unknown(why), _, Awaited::Everything) | (_, Known::Unknown(why), _) => {
                let what = format!("messages on their way on broker {broker} ({side}) are unknown");
                return unknown(snap, now, kind, broker, metric, what, why.clone());
            }
        },
        other => {
            let why = match other {
                Some(Known::Unknown(why)) => why.clone(),
                _ => format!("broker {broker} was not read"),
            };
            let what = format!("messages on their way on broker {broker} ({side}) are unknown");
            return unknown(snap, now, kind, broker, metric, what, why);
        }
    };
    let (scheduled, timer) = match awaited {
        Awaited::Everything => (p.scheduled_total(), timer),
        Awaited::Half => (0, 0),
    };
    // The last scheduled message is due at the latest when the latest level's delay, counted
    // from when its messages were stored by, runs out.
    let due_within_ms = (p.scheduled.iter())
        .filter(|l| l.pending > 0 && awaited == Awaited::Everything)
        .map(|l| l.due_in(now))
        .try_fold(0, |max, d| d.map(|d| max.max(d)));
    let fact = Fact::Pending {
        scheduled,
        due_within_ms,
        timer,
        half,
    };
    let ev = vec![evidence(snap, now, broker, metric, fact)];
    if scheduled + timer + half == 0 {
        let summary = match awaited {
            Awaited::Everything => {
                format!("broker {broker} on {side} holds no message still on its way to a topic")
            }
            Awaited::Half => {
                format!("broker {broker} on {side} holds no unresolved transactional message")
            }
        };
        return check(kind, Status::Pass, summary, ev);
    }
    let summary = match awaited {
        Awaited::Everything => format!(
            "broker {broker} on {side} still holds {} not yet on their topics: they may be the batch's; wait until they land and are consumed",
            ev[0].fact.words()
        ),
        Awaited::Half => format!(
            "broker {broker} on {side} holds {half} unresolved transactional message(s): keep a producer of their group connected to the source until they resolve"
        ),
    };
    check(kind, Status::Blocked, summary, ev)
}

/// Room on the cluster for the plan's `names` of one kind that it lacks: how many it holds
/// plus those to create, within its limit. Nothing to check (`None`) on a cluster without
/// limits to report.
pub fn capacity(snap: &Snapshot, of: Counted, names: &[&str], now: Millis) -> Option<Check> {
    let cap = snap.capacity.as_deref()?;
    let side = snap.side;
    let kind = CheckKind::Capacity { side, of };
    let (used, limit) = match of {
        Counted::Topics => (&cap.topics, &cap.topic_limit),
        Counted::Groups => (&cap.groups, &cap.group_limit),
    };
    let what = of.name();
    let subject = format!("{what} of {}", snap.cluster);
    let undecided = |why: String| {
        let question = format!("whether {side} has room for the plan's {what} is unknown");
        let kind = kind.clone();
        Some(unknown(
            snap,
            now,
            kind,
            &subject,
            Metric::Capacity,
            question,
            why,
        ))
    };
    let mut adding = 0u64;
    for n in names {
        let exists = match of {
            Counted::Topics => snap.topics.get(*n).map(|t| &t.exists),
            Counted::Groups => snap.groups.get(*n).map(|g| &g.exists),
        };
        match exists {
            Some(Known::Known(true)) => {}
            Some(Known::Known(false)) => adding += 1,
            other => return undecided(why_unknown(other, "not in the snapshot")),
        }
    }
    let (used, limit) = match (used, limit) {
        (Known::Known(u), Known::Known(l)) => (*u, *l),
        (u, l) => return undecided(u.reason().or(l.reason()).unwrap_or_default().to_string()),
    };
    let ev = vec![evidence(
        snap,
        now,
        &subject,
        Metric::Capacity,
        Fact::Room {
            used,
            limit,
            adding,
        },
    )];
    let cluster = &snap.cluster;
    Some(if used.saturating_add(adding) <= limit {
        check(
            kind,
            Status::Pass,
            format!(
                "{cluster} has room for the plan's {what}: {used} of {limit} used, {adding} to create"
            ),
            ev,
        )
    } else {
        check(
            kind,
            Status::Blocked,
            format!(
                "{cluster} holds {used} of at most {limit} {what} and the plan creates {adding} more: raise the instance's limit (its specification) or move fewer {what}"
            ),
            ev,
        )
    })
}

/// How far the local clock may be from the API's: the API refuses signatures 5 minutes off, and
/// a drifting clock gets there during a night.
const CLOCK_SLACK_S: i64 = 60;

/// The local clock against the cluster's API, where it has one (TDMQ). `None`: nothing to check.
pub fn clock_agrees(snap: &Snapshot, now: Millis) -> Option<Check> {
    let seen = snap.clock_offset_s.as_ref()?;
    let side = snap.side;
    let kind = CheckKind::ClockAgrees { side };
    let subject = format!("{}'s API", snap.cluster);
    let offset = match seen {
        Known::Known(o) => *o,
        Known::Unknown(why) => {
            let what = format!("whether the local clock agrees with {subject} is unknown");
            return Some(unknown(
                snap,
                now,
                kind,
                &subject,
                Metric::ClockOffset,
                what,
                why.clone(),
            ));
        }
    };
    let ev = vec![evidence(
        snap,
        now,
        &subject,
        Metric::ClockOffset,
        Fact::Seconds(offset),
    )];
    Some(if offset.abs() <= CLOCK_SLACK_S {
        check(
            kind,
            Status::Pass,
            format!("the local clock is {offset:+} s from {subject}"),
            ev,
        )
    } else {
        check(
            kind,
            Status::Blocked,
            format!(
                "the local clock is {offset:+} s from {subject}: signed requests fail once it is 5 minutes off; set it right (NTP) first"
            ),
            ev,
        )
    })
}

/// Every read the gates will need answered on `snap`'s cluster: the tables, clients, offsets
/// and stats (a failure makes the snapshot partial) and, per broker, what it holds for later
/// (a failure there stays out of freshness and would only show at the drain). Preflight tries
/// the account's rights here rather than at 3 a.m.
pub fn reads_answered(snap: &Snapshot, now: Millis) -> Check {
    let side = snap.side;
    let kind = CheckKind::ReadsAnswered { side };
    let cluster = &snap.cluster;
    if let Some(e) = snap.errors.first() {
        let why = format!(
            "{}: {} ({} read(s) failed)",
            e.item,
            e.error,
            snap.errors.len()
        );
        let what = format!("not every read the gates need was answered by {cluster}");
        return unknown(snap, now, kind, cluster, Metric::BrokersRead, what, why);
    }
    let brokers = match &snap.pending {
        Known::Known(p) => {
            if let Some((b, why)) = (p.brokers.iter()).find_map(|(b, k)| Some((b, k.reason()?))) {
                let what =
                    format!("broker {b} of {cluster} did not answer every read the drain needs");
                return unknown(
                    snap,
                    now,
                    kind,
                    cluster,
                    Metric::BrokersRead,
                    what,
                    why.to_string(),
                );
            }
            p.brokers.keys().cloned().collect::<Vec<_>>()
        }
        // A product that does not show them (TDMQ): the drain says so where it matters.
        Known::Unknown(_) => vec![],
    };
    let ev = vec![evidence(
        snap,
        now,
        cluster,
        Metric::BrokersRead,
        count(brokers.len()),
    )];
    let on = if brokers.is_empty() {
        String::new()
    } else {
        format!(" on every broker ({})", brokers.join(", "))
    };
    check(
        kind,
        Status::Pass,
        format!("{cluster} answered every read the gates need{on}"),
        ev,
    )
}

/// What serves `snap`'s cluster, for the change ticket and for the operator to compare with
/// what they expect: each master broker's version, or the cloud product. Where it cannot be
/// read the operator checks it by hand: no gate depends on it.
pub fn servers(snap: &Snapshot, now: Millis) -> Result<Check, Warning> {
    let side = snap.side;
    let kind = CheckKind::Servers { side };
    let cluster = &snap.cluster;
    let by_hand = |what: String, why: &str| Warning {
        kind: WarningKind::ServersUnknown { side },
        text: format!("{what} ({why}): check by hand what it runs before you go on"),
        acknowledged: false,
    };
    let versions = match &snap.servers {
        None => {
            return Err(by_hand(
                format!("what serves {cluster} is unknown"),
                "not read",
            ));
        }
        Some(Servers::Product(p)) => {
            let fact = Fact::Product(p.clone());
            let ev = vec![evidence(snap, now, cluster, Metric::Servers, fact)];
            return Ok(check(kind, Status::Pass, format!("{cluster} is {p}"), ev));
        }
        Some(Servers::Brokers(b)) => b,
    };
    if versions.is_empty() {
        let what = format!("what serves {cluster} is unknown");
        return Err(by_hand(what, "no master broker was found"));
    }
    if let Some((b, why)) = versions.iter().find_map(|(b, v)| Some((b, v.reason()?))) {
        let what = format!("the version of broker {b} of {cluster} is unknown");
        return Err(by_hand(what, why));
    }
    let known: BTreeMap<String, String> = (versions.iter())
        .filter_map(|(b, v)| Some((b.clone(), v.known()?.clone())))
        .collect();
    let mixed = known.values().collect::<BTreeSet<_>>().len() > 1;
    let fact = Fact::Versions(known);
    let brokers = match versions.len() {
        1 => "1 master broker".to_string(),
        n => format!("{n} master brokers"),
    };
    let summary = format!(
        "{cluster} runs {brokers}: {}{}",
        fact.words(),
        if mixed {
            " (not all the same version)"
        } else {
            ""
        }
    );
    let ev = vec![evidence(snap, now, cluster, Metric::Servers, fact)];
    Ok(check(kind, Status::Pass, summary, ev))
}
