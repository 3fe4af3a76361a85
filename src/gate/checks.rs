//! The building blocks of gates: each reads one fact from one snapshot and says pass, blocked or
//! unknown, with the evidence.

use crate::clock::{self, Millis};
use crate::model::{Check, Client, Evidence, Known, Snapshot, Status};
use crate::plan::{Gates, GroupPlan, Side};
use crate::stage::Stage;

use super::settle::QuietWatch;

pub fn evidence(
    snap: &Snapshot,
    now: Millis,
    subject: &str,
    metric: &str,
    value: Option<i64>,
    note: Option<String>,
) -> Evidence {
    Evidence {
        side: snap.side,
        cluster: snap.cluster.clone(),
        subject: subject.to_string(),
        metric: metric.to_string(),
        value,
        note,
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
    id: String,
    subject: &str,
    metric: &str,
    what: String,
    why: String,
) -> Check {
    check(
        id,
        Status::Unknown,
        format!("{what}: {why}"),
        vec![evidence(snap, now, subject, metric, None, Some(why))],
    )
}

fn check(id: String, status: Status, summary: String, evidence: Vec<Evidence>) -> Check {
    Check {
        id,
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
    let id = format!("fresh:{side}");
    let Some(s) = snap else {
        return (
            check(
                id,
                Status::Unknown,
                format!("no data from the {side} cluster yet"),
                vec![],
            ),
            None,
        );
    };
    let age = s.age(now);
    let stale = clock::ms(gates.stale_after);
    let (status, summary, note) = if let Some(e) = &s.unreachable {
        (
            Status::Unknown,
            format!("the {side} cluster '{}' is unreachable: {e}", s.cluster),
            Some("unreachable".to_string()),
        )
    } else if age > stale {
        (
            Status::Unknown,
            format!(
                "{side} data is stale: {} old, limit {}",
                clock::age(age),
                clock::age(stale)
            ),
            Some("stale".to_string()),
        )
    } else if s.is_partial() {
        let first: Vec<String> = s
            .errors
            .iter()
            .take(3)
            .map(|e| format!("{}: {}", e.item, e.error))
            .collect();
        let more = s.errors.len().saturating_sub(3);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        (
            Status::Unknown,
            format!("{side} data is partial: {}{more}", first.join("; ")),
            Some("partial".to_string()),
        )
    } else {
        (
            Status::Pass,
            format!("{side} data is fresh ({} old)", clock::age(age)),
            None,
        )
    };
    let ev = evidence(
        s,
        now,
        &format!("cluster '{}'", s.cluster),
        "snapshot age ms",
        Some(age as i64),
        note,
    );
    let ok = status == Status::Pass;
    (check(id, status, summary, vec![ev]), ok.then_some(s))
}

/// What a check on clients asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// At least one online (and, for consumers, subscribed to each of the group's topics).
    AtLeastOne,
    /// None left.
    None,
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

pub fn consumers(snap: &Snapshot, group: &GroupPlan, want: Presence, now: Millis) -> Check {
    let side = snap.side;
    let g = &group.name;
    let id = format!("{side}-consumers:{g}");
    let state = snap.groups.get(g);
    let clients = match state.map(|s| &s.consumers) {
        Some(Known::Known(c)) => c,
        other => {
            return unknown(
                snap,
                now,
                id,
                g,
                "consumers online",
                format!("consumers of {g} on {side} are unknown"),
                why_unknown(other, "the group was not in the snapshot"),
            );
        }
    };
    let n = clients.len() as i64;
    let mut ev = vec![evidence(snap, now, g, "consumers online", Some(n), None)];
    match want {
        Presence::None if n == 0 => check(
            id,
            Status::Pass,
            format!("no consumer of {g} left on {side}"),
            ev,
        ),
        Presence::None => check(
            id,
            Status::Blocked,
            format!(
                "{n} consumer(s) of {g} still connected to {side}: {}",
                client_ids(clients)
            ),
            ev,
        ),
        Presence::AtLeastOne if n == 0 => check(
            id,
            Status::Blocked,
            format!("consumer group {g} has no consumer online on {side}"),
            ev,
        ),
        Presence::AtLeastOne => {
            let subs = match state.map(|s| &s.subscriptions) {
                Some(Known::Known(s)) => s,
                other => {
                    let why = why_unknown(other, "not reported");
                    ev.push(evidence(
                        snap,
                        now,
                        g,
                        "subscriptions",
                        None,
                        Some(why.clone()),
                    ));
                    return check(
                        id,
                        Status::Unknown,
                        format!("subscriptions of {g} on {side} are unknown: {why}"),
                        ev,
                    );
                }
            };
            let missing: Vec<&str> = group
                .topics
                .iter()
                .filter(|t| !subs.contains(*t))
                .map(String::as_str)
                .collect();
            if missing.is_empty() {
                check(
                    id,
                    Status::Pass,
                    format!(
                        "{n} consumer(s) of {g} online on {side}, subscribed to {}",
                        group.topics.join(", ")
                    ),
                    ev,
                )
            } else {
                ev.push(evidence(
                    snap,
                    now,
                    g,
                    "subscribed topics",
                    Some(subs.len() as i64),
                    Some(subs.iter().cloned().collect::<Vec<_>>().join(",")),
                ));
                check(
                    id,
                    Status::Blocked,
                    format!(
                        "consumers of {g} on {side} do not subscribe to {}",
                        missing.join(", ")
                    ),
                    ev,
                )
            }
        }
    }
}

pub fn producers(snap: &Snapshot, group: &str, want: Presence, now: Millis) -> Check {
    let side = snap.side;
    let id = format!("{side}-producers:{group}");
    let clients = match snap.producers.groups.get(group) {
        Some(Known::Known(c)) => c,
        other => {
            return unknown(
                snap,
                now,
                id,
                group,
                "producers online",
                format!("producers of {group} on {side} are unknown"),
                why_unknown(other, "this cluster did not report producers"),
            );
        }
    };
    let n = clients.len() as i64;
    let ev = vec![evidence(
        snap,
        now,
        group,
        "producers online",
        Some(n),
        None,
    )];
    match want {
        Presence::None if n == 0 => check(
            id,
            Status::Pass,
            format!("no producer of {group} left on {side}"),
            ev,
        ),
        Presence::None => check(
            id,
            Status::Blocked,
            format!(
                "{n} producer(s) of {group} still connected to {side}: {}",
                client_ids(clients)
            ),
            ev,
        ),
        Presence::AtLeastOne if n == 0 => check(
            id,
            Status::Blocked,
            format!("producer group {group} has no producer online on {side}"),
            ev,
        ),
        Presence::AtLeastOne => check(
            id,
            Status::Pass,
            format!("{n} producer(s) of {group} online on {side}"),
            ev,
        ),
    }
}

pub fn topic_exists(snap: &Snapshot, topic: &str, now: Millis) -> Check {
    exists(
        snap,
        "topic",
        topic,
        snap.topics.get(topic).map(|t| &t.exists),
        now,
    )
}

pub fn group_exists(snap: &Snapshot, group: &str, now: Millis) -> Check {
    exists(
        snap,
        "group",
        group,
        snap.groups.get(group).map(|g| &g.exists),
        now,
    )
}

/// Whether a topic or group (`kind`) exists on the snapshot's cluster.
fn exists(
    snap: &Snapshot,
    kind: &str,
    name: &str,
    seen: Option<&Known<bool>>,
    now: Millis,
) -> Check {
    let side = snap.side;
    let id = format!("{side}-{kind}-exists:{name}");
    let metric = format!("{kind} exists");
    let noun = if kind == "group" {
        "consumer group"
    } else {
        kind
    };
    match seen {
        Some(Known::Known(true)) => check(
            id,
            Status::Pass,
            format!("{kind} {name} exists on {side}"),
            vec![evidence(snap, now, name, &metric, Some(1), None)],
        ),
        Some(Known::Known(false)) => check(
            id,
            Status::Blocked,
            format!(
                "{noun} {name} does not exist on {side}: create it with sync-metadata (s in the wizard)"
            ),
            vec![evidence(snap, now, name, &metric, Some(0), None)],
        ),
        other => unknown(
            snap,
            now,
            id,
            name,
            &metric,
            format!("whether {kind} {name} exists on {side} is unknown"),
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
    let id = format!("task-stage:{topic}");
    let subject = format!("migration task {task_id} topic {topic}");
    let entry = snap.migration.as_ref().and_then(|m| m.topics.get(topic));
    let Some(Known::Known(t)) = entry else {
        return unknown(
            snap,
            now,
            id,
            &subject,
            "stage",
            format!("the stage of {topic} in migration task {task_id} is unknown"),
            why_unknown(entry, "the target did not report the migration task"),
        );
    };
    let index = Stage::parse(&t.stage).map(|s| s as i64);
    let ev = vec![evidence(
        snap,
        now,
        &subject,
        "stage",
        index,
        Some(t.stage.clone()),
    )];
    let want = stage.task_code();
    if t.stage != want {
        check(
            id,
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
            t.health_errors.join(", ")
        };
        check(
            id,
            Status::Blocked,
            format!("migration task {task_id}: the health check of {topic} did not pass ({found})"),
            ev,
        )
    } else {
        check(
            id,
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
    let id = format!("{side}-backlog:{group}");
    match snap.groups.get(group).map(|g| &g.backlog) {
        Some(Known::Known(b)) => {
            let retry = b.retry();
            let ev = vec![evidence(
                snap,
                now,
                group,
                "backlog",
                Some(b.total as i64),
                Some(format!("retry topic {retry}")),
            )];
            if b.total <= max {
                check(
                    id,
                    Status::Pass,
                    format!("backlog of {group} on {side} is {} (limit {max})", b.total),
                    ev,
                )
            } else if retry == b.total {
                check(
                    id,
                    Status::Blocked,
                    format!(
                        "{group} still has {retry} message(s) in its retry topic on {side} (limit {max})"
                    ),
                    ev,
                )
            } else {
                check(
                    id,
                    Status::Blocked,
                    format!(
                        "{group} still has a backlog of {} on {side} ({retry} in retry; limit {max})",
                        b.total
                    ),
                    ev,
                )
            }
        }
        other => unknown(
            snap,
            now,
            id,
            group,
            "backlog",
            format!("backlog of {group} on {side} is unknown (not zero)"),
            why_unknown(other, "not in the snapshot"),
        ),
    }
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
    let id = format!("{side}-settled:{batch}");
    let subject = format!("batch {batch} topics");
    match watch {
        None => {
            let offsets: Vec<(&String, u64)> = topics
                .iter()
                .filter_map(|t| {
                    snap.topics
                        .get(t)
                        .and_then(|s| s.max_offset.known())
                        .map(|o| (t, *o))
                })
                .collect();
            let total: u64 = offsets.iter().map(|(_, o)| o).sum();
            let moving = offsets
                .iter()
                .map(|(t, o)| format!("{t}={o}"))
                .collect::<Vec<_>>()
                .join(", ");
            check(
                id,
                Status::Blocked,
                format!(
                    "{side} is not quiet: a backlog above the limit or new messages arriving on {}",
                    topics.join(", ")
                ),
                vec![evidence(
                    snap,
                    now,
                    &subject,
                    "max offsets",
                    Some(total as i64),
                    Some(moving),
                )],
            )
        }
        Some(w) if w.held_ms() >= needed => check(
            id,
            Status::Pass,
            format!(
                "no new message and backlog within the limit on {side} for {} (window {})",
                clock::age(w.held_ms()),
                clock::age(needed)
            ),
            vec![evidence(
                snap,
                now,
                &subject,
                "quiet for ms",
                Some(w.held_ms() as i64),
                Some(format!("since {}", clock::rfc3339(w.since))),
            )],
        ),
        Some(w) => check(
            id,
            Status::Blocked,
            format!(
                "{side} quiet for {} of the {} settle window: {} to go",
                clock::age(w.held_ms()),
                clock::age(needed),
                clock::age(needed - w.held_ms())
            ),
            vec![evidence(
                snap,
                now,
                &subject,
                "quiet for ms",
                Some(w.held_ms() as i64),
                Some(format!("since {}", clock::rfc3339(w.since))),
            )],
        ),
    }
}
