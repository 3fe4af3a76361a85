//! Evidence: one fact a check used, typed, with where it came from and how old it was. Rendered
//! to words in one place ("exists: no", never "= 0").

use super::Filter;
use crate::clock::{self, Millis};
use crate::plan::Side;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What was measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Metric {
    SnapshotAge,
    ConsumersOnline,
    Subscriptions,
    SubscribedTopics,
    ProducersOnline,
    TopicExists,
    GroupExists,
    TaskStage,
    Backlog,
    MaxOffsets,
    QuietFor,
    InRoute,
    HeldWhenLastSeen,
    NotYetOnTopics,
    ConsumedBy,
    Capacity,
    ClockOffset,
    BrokersRead,
    /// What serves a cluster: its brokers' versions, or the product.
    Servers,
    /// A metric recorded by a version of the wizard that this one does not know.
    Recorded(String),
}

impl Metric {
    const KNOWN: [Metric; 19] = [
        Metric::SnapshotAge,
        Metric::ConsumersOnline,
        Metric::Subscriptions,
        Metric::SubscribedTopics,
        Metric::ProducersOnline,
        Metric::TopicExists,
        Metric::GroupExists,
        Metric::TaskStage,
        Metric::Backlog,
        Metric::MaxOffsets,
        Metric::QuietFor,
        Metric::InRoute,
        Metric::HeldWhenLastSeen,
        Metric::NotYetOnTopics,
        Metric::ConsumedBy,
        Metric::Capacity,
        Metric::ClockOffset,
        Metric::BrokersRead,
        Metric::Servers,
    ];

    /// The words shown and kept in the journal and JSON (`metric`).
    pub fn words(&self) -> &str {
        match self {
            Metric::SnapshotAge => "data",
            Metric::ConsumersOnline => "consumers online",
            Metric::Subscriptions => "subscriptions",
            Metric::SubscribedTopics => "subscribed topics",
            Metric::ProducersOnline => "producers online",
            Metric::TopicExists => "topic exists",
            Metric::GroupExists => "group exists",
            Metric::TaskStage => "stage",
            Metric::Backlog => "backlog",
            Metric::MaxOffsets => "max offsets",
            Metric::QuietFor => "quiet for",
            Metric::InRoute => "in the route",
            Metric::HeldWhenLastSeen => "held when last seen",
            Metric::NotYetOnTopics => "messages not yet on their topics",
            Metric::ConsumedBy => "consumed by",
            Metric::Capacity => "capacity",
            Metric::ClockOffset => "local clock offset",
            Metric::BrokersRead => "brokers that answered every read",
            Metric::Servers => "runs",
            Metric::Recorded(w) => w,
        }
    }

    /// The name in the journal and in `status --json` (schema 1 named two by their unit).
    fn written(&self) -> &str {
        match self {
            Metric::SnapshotAge => "snapshot age ms",
            Metric::QuietFor => "quiet for ms",
            other => other.words(),
        }
    }

    /// A metric whose value is yes or no (written as 1 or 0 before facts were typed).
    fn yes_no(&self) -> bool {
        matches!(
            self,
            Metric::TopicExists | Metric::GroupExists | Metric::InRoute
        )
    }

    fn from_written(w: &str) -> Metric {
        Metric::KNOWN
            .into_iter()
            .find(|m| m.written() == w)
            .unwrap_or_else(|| Metric::Recorded(w.to_string()))
    }
}

/// How usable a cluster's data was (see `Freshness`), in the words `status` and evidence use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotState {
    Fresh,
    Stale,
    Partial,
    Unreachable,
    #[serde(rename = "no data")]
    NoData,
}

impl SnapshotState {
    pub fn word(self) -> &'static str {
        match self {
            SnapshotState::Fresh => "fresh",
            SnapshotState::Stale => "stale",
            SnapshotState::Partial => "partial",
            SnapshotState::Unreachable => "unreachable",
            SnapshotState::NoData => "no data",
        }
    }
}

/// The value a check read, as its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    Count(u64),
    Yes(bool),
    /// A migration stage code as the cluster reported it.
    Stage(String),
    /// A backlog, the part of it in the retry topic, and where it is (per broker, when known).
    Backlog {
        total: u64,
        retry: u64,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        brokers: BTreeMap<String, u64>,
    },
    /// Max offsets per topic.
    Offsets(BTreeMap<String, u64>),
    /// How long a condition has held, and since when.
    Held {
        ms: Millis,
        since: Millis,
    },
    /// A snapshot's age and state.
    Snapshot {
        age_ms: Millis,
        state: SnapshotState,
    },
    Topics(BTreeSet<String>),
    /// Messages per topic (not yet consumed, or waiting).
    Messages(BTreeMap<String, u64>),
    /// Messages a broker holds that are not on their topics yet: scheduled (due within the
    /// longest delay of their levels, at most), timer, and unresolved transactional halves.
    Pending {
        scheduled: u64,
        due_within_ms: Option<Millis>,
        timer: u64,
        half: u64,
    },
    /// Consumer groups.
    Groups(BTreeSet<String>),
    /// The subscription expressions of a group for a topic (several when its clients disagree).
    Expressions(BTreeSet<Filter>),
    /// How many items a cluster holds and may hold, and how many the plan adds.
    Room {
        used: u64,
        limit: u64,
        adding: u64,
    },
    /// A signed number of seconds (a clock offset).
    Seconds(i64),
    /// Each master broker's version.
    Versions(BTreeMap<String, String>),
    /// A cloud product and its edition, in words.
    Product(String),
    /// Not known, and why: never a number.
    Unknown(String),
    /// A value recorded by an earlier version, kept as it was written.
    Recorded {
        value: Option<i64>,
        note: Option<String>,
    },
}

impl Fact {
    /// The value in words.
    pub fn words(&self) -> String {
        match self {
            Fact::Count(n) => n.to_string(),
            Fact::Yes(true) => "yes".into(),
            Fact::Yes(false) => "no".into(),
            Fact::Stage(code) => code.clone(),
            Fact::Backlog {
                total,
                retry,
                brokers,
            } => {
                let on: Vec<String> = (brokers.iter())
                    .filter(|(_, n)| **n > 0)
                    .map(|(b, n)| format!("{n} on {b}"))
                    .collect();
                let on = if on.is_empty() {
                    String::new()
                } else {
                    format!("; {}", on.join(", "))
                };
                format!("{total} ({retry} in the retry topic{on})")
            }
            Fact::Offsets(o) if o.is_empty() => "none known".into(),
            Fact::Offsets(o) => o
                .iter()
                .map(|(t, v)| format!("{t} at {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            Fact::Held { ms, since } => {
                format!("{} (since {})", clock::age(*ms), clock::rfc3339(*since))
            }
            // The evidence's own age says how old it is.
            Fact::Snapshot { state, .. } => state.word().into(),
            Fact::Topics(t) if t.is_empty() => "none".into(),
            Fact::Topics(t) => t.iter().cloned().collect::<Vec<_>>().join(", "),
            Fact::Messages(m) if m.values().all(|n| *n == 0) => "none".into(),
            Fact::Messages(m) => m
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(t, n)| format!("{n} for {t}"))
                .collect::<Vec<_>>()
                .join(", "),
            Fact::Pending {
                scheduled,
                due_within_ms,
                timer,
                half,
            } => {
                let mut parts = vec![];
                if *scheduled > 0 {
                    // Rounded up: an upper bound stays one.
                    let due = match due_within_ms {
                        None => String::new(),
                        Some(0) => " (due now)".into(),
                        Some(d) => format!(
                            " (due within {} at most)",
                            clock::age(d.div_ceil(1000) * 1000)
                        ),
                    };
                    parts.push(format!("{scheduled} scheduled{due}"));
                }
                if *timer > 0 {
                    parts.push(format!("{timer} timer"));
                }
                if *half > 0 {
                    parts.push(format!("{half} transactional half"));
                }
                if parts.is_empty() {
                    "none".into()
                } else {
                    parts.join(", ")
                }
            }
            Fact::Room {
                used,
                limit,
                adding,
            } => format!("{used} of {limit} used, {adding} to create"),
            Fact::Seconds(s) => format!("{s:+} s"),
            Fact::Versions(v) => v
                .iter()
                .map(|(b, v)| format!("{b} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            Fact::Product(p) => p.clone(),
            Fact::Groups(g) if g.is_empty() => "none".into(),
            Fact::Groups(g) => g.iter().cloned().collect::<Vec<_>>().join(", "),
            Fact::Expressions(f) if f.is_empty() => "none".into(),
            Fact::Expressions(f) => super::describe(f),
            Fact::Unknown(why) => format!("unknown ({why})"),
            Fact::Recorded { value, note } => match (value, note) {
                (Some(v), Some(n)) => format!("{v} ({n})"),
                (Some(v), None) => v.to_string(),
                (None, Some(n)) => format!("unknown ({n})"),
                (None, None) => "unknown".into(),
            },
        }
    }

    /// The number and note of `status --json` schema 1 (`value`, `note`), derived.
    fn legacy(&self) -> (Option<i64>, Option<String>) {
        let n = |v: u64| Some(i64::try_from(v).unwrap_or(i64::MAX));
        match self {
            Fact::Count(c) => (n(*c), None),
            Fact::Yes(b) => (Some(i64::from(*b)), None),
            Fact::Stage(code) => (
                crate::stage::Stage::parse(code).map(|s| s as i64),
                Some(code.clone()),
            ),
            Fact::Backlog { total, retry, .. } => (n(*total), Some(format!("retry topic {retry}"))),
            Fact::Offsets(o) => (
                n(o.values().sum()),
                Some(
                    o.iter()
                        .map(|(t, v)| format!("{t}={v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ),
            Fact::Held { ms, since } => (n(*ms), Some(format!("since {}", clock::rfc3339(*since)))),
            Fact::Snapshot { age_ms, state } => (
                n(*age_ms),
                (*state != SnapshotState::Fresh).then(|| state.word().to_string()),
            ),
            Fact::Topics(t) => (
                n(t.len() as u64),
                Some(t.iter().cloned().collect::<Vec<_>>().join(",")),
            ),
            Fact::Messages(m) => (n(m.values().sum()), Some(Fact::Messages(m.clone()).words())),
            Fact::Pending {
                scheduled,
                timer,
                half,
                ..
            } => (n(scheduled + timer + half), Some(self.words())),
            Fact::Expressions(f) => (n(f.len() as u64), Some(self.words())),
            Fact::Groups(g) => (n(g.len() as u64), Some(self.words())),
            Fact::Room { adding, .. } => (n(*adding), Some(self.words())),
            Fact::Seconds(s) => (Some(*s), Some(self.words())),
            Fact::Versions(_) | Fact::Product(_) => (None, Some(self.words())),
            Fact::Unknown(why) => (None, Some(why.clone())),
            Fact::Recorded { value, note } => (*value, note.clone()),
        }
    }
}

/// One fact a check used, with where it came from and how old it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "EvidenceForm", from = "EvidenceForm")]
pub struct Evidence {
    pub side: Side,
    pub cluster: String,
    /// The group, topic or cluster the value is about.
    pub subject: String,
    pub metric: Metric,
    pub fact: Fact,
    /// Age of the snapshot at evaluation time.
    pub age_ms: Millis,
}

impl fmt::Display for Evidence {
    /// "G_B consumers online: 0 on target 'new', 2s old".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {} on {} '{}', {} old",
            self.subject,
            self.metric.words(),
            self.fact.words(),
            self.side,
            self.cluster,
            clock::age(self.age_ms)
        )
    }
}

/// The written form: schema 1's `metric`, `value` and `note`, and the typed `fact` beside them.
#[derive(Serialize, Deserialize)]
struct EvidenceForm {
    side: Side,
    cluster: String,
    subject: String,
    metric: String,
    value: Option<i64>,
    note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fact: Option<Fact>,
    age_ms: Millis,
}

impl From<Evidence> for EvidenceForm {
    fn from(e: Evidence) -> EvidenceForm {
        let (value, note) = e.fact.legacy();
        EvidenceForm {
            side: e.side,
            cluster: e.cluster,
            subject: e.subject,
            metric: e.metric.written().to_string(),
            value,
            note,
            fact: Some(e.fact),
            age_ms: e.age_ms,
        }
    }
}

impl From<EvidenceForm> for Evidence {
    fn from(f: EvidenceForm) -> Evidence {
        let metric = Metric::from_written(&f.metric);
        // Written before facts were typed: a yes or no read back as one, never as "0" or "1".
        let fact = match (f.fact, f.value) {
            (Some(fact), _) => fact,
            (None, Some(v @ (0 | 1))) if metric.yes_no() => Fact::Yes(v == 1),
            (None, value) => Fact::Recorded {
                value,
                note: f.note,
            },
        };
        Evidence {
            side: f.side,
            cluster: f.cluster,
            subject: f.subject,
            metric,
            fact,
            age_ms: f.age_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(metric: Metric, fact: Fact) -> Evidence {
        Evidence {
            side: Side::Target,
            cluster: "new".into(),
            subject: "T_PAY".into(),
            metric,
            fact,
            age_ms: 2000,
        }
    }

    #[test]
    fn facts_read_in_words_never_as_numbers_for_yes_or_unknown() {
        let e = ev(Metric::TopicExists, Fact::Yes(false));
        assert_eq!(
            e.to_string(),
            "T_PAY topic exists: no on target 'new', 2s old"
        );
        let e = ev(Metric::Backlog, Fact::Unknown("broker-b timed out".into()));
        assert_eq!(
            e.to_string(),
            "T_PAY backlog: unknown (broker-b timed out) on target 'new', 2s old"
        );
    }

    #[test]
    fn the_written_form_keeps_schema_1_and_reads_back_typed() {
        let brokers = [("broker-b".to_string(), 7)].into();
        let e = ev(
            Metric::Backlog,
            Fact::Backlog {
                total: 7,
                retry: 2,
                brokers,
            },
        );
        assert_eq!(
            e.to_string(),
            "T_PAY backlog: 7 (2 in the retry topic; 7 on broker-b) on target 'new', 2s old"
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["metric"], "backlog");
        assert_eq!(json["value"], 7);
        assert_eq!(json["note"], "retry topic 2");
        let back: Evidence = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        // A record of an earlier version: no `fact`.
        let old = serde_json::json!({"side": "source", "cluster": "old", "subject": "cluster 'old'",
            "metric": "snapshot age ms", "value": 120, "note": null, "age_ms": 120});
        let back: Evidence = serde_json::from_value(old).unwrap();
        assert_eq!(back.metric, Metric::SnapshotAge);
        assert_eq!(
            back.fact,
            Fact::Recorded {
                value: Some(120),
                note: None
            }
        );
        // An earlier version's yes or no reads back as one: "topic exists: no", never "0".
        let old = serde_json::json!({"side": "target", "cluster": "new", "subject": "T",
            "metric": "topic exists", "value": 0, "note": null, "age_ms": 5});
        let back: Evidence = serde_json::from_value(old).unwrap();
        assert_eq!(back.fact, Fact::Yes(false));
        assert_eq!(
            back.to_string(),
            "T topic exists: no on target 'new', 5ms old"
        );
    }
}
