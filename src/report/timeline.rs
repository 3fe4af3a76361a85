//! The condensed timeline: every journal record in words, with the runs of a gate's verdict
//! flips folded into one line ("gate of batch orders flipped 12 times between ... and ...").
//! Pure: records in, lines out; the Markdown and HTML renderers only lay them out.

use crate::clock::{self, Millis};
use crate::journal::{Entry, Record};
use crate::model::{Fact, Status, Verdict};
use crate::stage::Step;
use std::collections::BTreeMap;

/// One item of the timeline: a record as it is, a run of one gate's verdict changes, or a run
/// of one command's starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<'r> {
    Record(&'r Record),
    Gate(GateRun<'r>),
    Opened(OpenRun<'r>),
}

/// Consecutive verdict changes of one gate: nothing came between them but other gates' verdict
/// changes and commands starting.
#[derive(Debug, Clone, PartialEq)]
pub struct GateRun<'r> {
    pub step: &'r str,
    pub action: &'r str,
    pub flips: usize,
    pub first: Millis,
    pub last: Millis,
    /// How many of the flips went to each status.
    pub tally: BTreeMap<Status, usize>,
    /// The last verdict of the run.
    pub verdict: &'r Verdict,
    pub status: Status,
}

/// Consecutive starts of one command by one operator (a script running `advance` in a loop, a
/// wizard restarted), under the same condition as a gate run.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenRun<'r> {
    pub command: &'r str,
    pub operator: Option<&'r str>,
    pub first: &'r Record,
    pub count: usize,
    pub last: Millis,
    pub pids: Vec<u32>,
}

/// Folds each gate's consecutive verdict changes into one run, and each command's consecutive
/// starts into another; every other record stays as it is, in order. Runs are listed where they
/// began, before the record that ended them.
pub fn condense(records: &[Record]) -> Vec<Item<'_>> {
    let mut out = vec![];
    let mut open: Vec<Item<'_>> = vec![];
    for r in records {
        match &r.entry {
            Entry::VerdictChanged {
                step,
                action,
                status,
                verdict,
                ..
            } => {
                let run = open.iter_mut().find_map(|i| match i {
                    Item::Gate(g) if g.step == step.as_str() && g.action == action.as_str() => {
                        Some(g)
                    }
                    _ => None,
                });
                match run {
                    Some(g) => {
                        g.flips += 1;
                        g.last = r.at;
                        *g.tally.entry(*status).or_default() += 1;
                        g.verdict = verdict;
                        g.status = *status;
                    }
                    None => open.push(Item::Gate(GateRun {
                        step,
                        action,
                        flips: 1,
                        first: r.at,
                        last: r.at,
                        tally: BTreeMap::from([(*status, 1)]),
                        verdict,
                        status: *status,
                    })),
                }
            }
            Entry::Opened { holder, .. } => {
                let operator = holder.operator_name();
                let run = open.iter_mut().find_map(|i| match i {
                    Item::Opened(o) if o.command == holder.command && o.operator == operator => {
                        Some(o)
                    }
                    _ => None,
                });
                match run {
                    Some(o) => {
                        o.count += 1;
                        o.last = r.at;
                        o.pids.push(holder.pid);
                    }
                    None => open.push(Item::Opened(OpenRun {
                        command: &holder.command,
                        operator,
                        first: r,
                        count: 1,
                        last: r.at,
                        pids: vec![holder.pid],
                    })),
                }
            }
            _ => {
                out.append(&mut open);
                out.push(Item::Record(r));
            }
        }
    }
    out.append(&mut open);
    out
}

/// A line of the timeline, ready to lay out: plain text, no markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub at: Millis,
    pub text: String,
    /// A move or a completed step: what the migration did.
    pub strong: bool,
    /// What it rests on: checks (depth 0) and their evidence (depth 1).
    pub details: Vec<(usize, String)>,
}

/// "batch:orders" -> "batch orders"; the other steps as they are.
pub fn step_words(step: &str) -> String {
    match Step::from_key(step) {
        Some(Step::Batch(b)) => format!("batch {b}"),
        _ => step.to_string(),
    }
}

/// A gate's status in words.
pub fn gate_words(s: Status) -> &'static str {
    match s {
        Status::Pass => "open",
        Status::Blocked => "blocked",
        Status::Unknown => "unknown",
    }
}

/// Every check of a verdict with its evidence in words, and its warnings.
fn verdict_details(v: &Verdict, failing_only: bool) -> Vec<(usize, String)> {
    let mut out = vec![];
    for c in (v.checks.iter()).filter(|c| !failing_only || c.status != Status::Pass) {
        out.push((0, format!("{} {}", c.status.symbol(), c.summary)));
        out.extend(c.evidence.iter().map(|e| (1, e.to_string())));
    }
    for w in (v.warnings.iter()).filter(|w| !failing_only || !w.acknowledged) {
        let state = if w.acknowledged {
            "acknowledged"
        } else {
            "open"
        };
        out.push((0, format!("warning {} ({state}): {}", w.id(), w.text)));
    }
    if failing_only && out.is_empty() {
        out.push((0, format!("every check passes ({})", v.checks.len())));
    }
    out
}

/// The timeline in words.
pub fn lines(items: &[Item<'_>]) -> Vec<Line> {
    items.iter().map(line).collect()
}

fn line(item: &Item<'_>) -> Line {
    let r = match item {
        Item::Gate(g) => return gate_line(g),
        Item::Opened(o) if o.count > 1 => return open_line(o),
        Item::Opened(o) => o.first,
        Item::Record(r) => r,
    };
    let plain = |text: String| Line {
        at: r.at,
        text,
        strong: false,
        details: vec![],
    };
    match &r.entry {
        Entry::Opened {
            holder,
            tool_version,
            ..
        } => plain(format!(
            "{} opened by {} (pid {} on {}, rocketmq-migrate {tool_version})",
            holder.command,
            holder.operator_name().unwrap_or("an unnamed operator"),
            holder.pid,
            holder.host
        )),
        Entry::StepCompleted {
            step,
            confirmation,
            verdict,
        } => Line {
            at: r.at,
            text: format!("{} completed ({confirmation})", step_words(step)),
            strong: true,
            details: verdict_details(verdict, false),
        },
        Entry::StageChanged {
            batch,
            from,
            to,
            action,
            confirmation,
            verdict,
        } => Line {
            at: r.at,
            text: format!("batch {batch}: {action}, {from} -> {to} ({confirmation})"),
            strong: true,
            details: verdict_details(verdict, false),
        },
        // Folded into gate runs by `condense`; a lone one reads the same.
        Entry::VerdictChanged {
            step,
            action,
            status,
            verdict,
            ..
        } => gate_line(&GateRun {
            step,
            action,
            flips: 1,
            first: r.at,
            last: r.at,
            tally: BTreeMap::from([(*status, 1)]),
            verdict,
            status: *status,
        }),
        Entry::Refused {
            step,
            action,
            reasons,
        } => Line {
            details: reasons.iter().map(|r| (0, r.clone())).collect(),
            ..plain(format!("refused: {action} for {}", step_words(step)))
        },
        Entry::Acknowledged {
            step,
            warning,
            text,
        } => plain(format!(
            "acknowledged for {}: {warning}: {text}",
            step_words(step)
        )),
        Entry::MetadataCreated { side, item } => {
            plain(format!("created on {side}: {}", item.describe()))
        }
        Entry::QuietSince {
            batch,
            side,
            since,
            baseline,
        } => plain(format!(
            "batch {batch} quiet on {side} since {} (max offsets {})",
            clock::rfc3339(*since),
            Fact::Offsets(baseline.clone()).words()
        )),
        Entry::QuietEnded { batch, side } => {
            plain(format!("batch {batch} no longer quiet on {side}"))
        }
        Entry::BrokerSeen {
            side,
            broker,
            topics,
        } => plain(format!(
            "broker {broker} serves {} on {side}",
            Fact::Topics(topics.clone()).words()
        )),
        Entry::BrokerLeft {
            side,
            broker,
            holding,
            last_seen,
        } => {
            let held = match (holding, last_seen) {
                (Some(h), Some(at)) => format!(
                    "{} when last seen at {}",
                    Fact::Messages(h.clone()).words(),
                    clock::rfc3339(*at)
                ),
                (Some(h), None) => Fact::Messages(h.clone()).words(),
                (None, _) => {
                    Fact::Unknown("the command that saw it leave had not seen it serving".into())
                        .words()
                }
            };
            plain(format!(
                "broker {broker} left the route on {side}, holding {held}"
            ))
        }
        Entry::BrokerRetired {
            side,
            broker,
            confirmation,
        } => plain(format!(
            "broker {broker} on {side} retired by the operator ({confirmation}): its messages are accounted for"
        )),
        Entry::Error { context, message } => plain(format!("error in {context}: {message}")),
    }
}

/// "between A and B", or "at A" when both read the same to the second.
fn span(first: Millis, last: Millis) -> String {
    let (a, b) = (clock::rfc3339(first), clock::rfc3339(last));
    if a == b {
        format!("at {a}")
    } else {
        format!("between {a} and {b}")
    }
}

fn open_line(o: &OpenRun<'_>) -> Line {
    let pids: Vec<String> = o.pids.iter().map(u32::to_string).collect();
    Line {
        at: o.first.at,
        text: format!(
            "{} opened {} times by {} {} (pids {})",
            o.command,
            o.count,
            o.operator.unwrap_or("an unnamed operator"),
            span(o.first.at, o.last),
            pids.join(", ")
        ),
        strong: false,
        details: vec![],
    }
}

fn gate_line(g: &GateRun<'_>) -> Line {
    let gate = format!("gate of {} ({})", step_words(g.step), g.action);
    let text = if g.flips == 1 {
        format!("{gate} is now {}", gate_words(g.status))
    } else {
        let tally: Vec<String> = (g.tally.iter())
            .map(|(s, n)| format!("{} {n}", gate_words(*s)))
            .collect();
        format!(
            "{gate} flipped {} times {} ({}); now {}",
            g.flips,
            span(g.first, g.last),
            tally.join(", "),
            gate_words(g.status)
        )
    };
    Line {
        at: g.first,
        text,
        strong: false,
        details: verdict_details(g.verdict, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Holder;
    use crate::model::{Check, CheckKind, Evidence, Metric};
    use crate::plan::Side;

    fn verdict(step: &str, exists: Option<bool>) -> Verdict {
        let (status, fact) = match exists {
            Some(true) => (Status::Pass, Fact::Yes(true)),
            Some(false) => (Status::Blocked, Fact::Yes(false)),
            None => (
                Status::Unknown,
                Fact::Unknown("broker-a did not answer".into()),
            ),
        };
        Verdict {
            step: step.into(),
            action: "release first consumers".into(),
            evaluated_at: 0,
            checks: vec![Check {
                kind: CheckKind::TopicExists {
                    side: Side::Target,
                    topic: "T".into(),
                },
                status,
                summary: "topic T on target".into(),
                evidence: vec![Evidence {
                    side: Side::Target,
                    cluster: "new".into(),
                    subject: "T".into(),
                    metric: Metric::TopicExists,
                    fact,
                    age_ms: 2_000,
                }],
            }],
            warnings: vec![],
            settle: None,
        }
    }

    fn flip(seq: u64, at: Millis, step: &str, exists: Option<bool>) -> Record {
        let v = verdict(step, exists);
        Record {
            seq,
            at,
            entry: Entry::VerdictChanged {
                step: step.into(),
                action: v.action.clone(),
                status: v.status(),
                failing: vec![],
                verdict: v,
            },
        }
    }

    #[test]
    fn consecutive_flips_of_a_gate_fold_into_one_line_in_words() {
        let mut records = vec![];
        for i in 0..12u64 {
            let exists = [Some(false), Some(true), None][(i % 3) as usize];
            records.push(flip(i + 1, 3_720_000 + i * 60_000, "batch:orders", exists));
            // Another gate's flips in between do not break the run.
            if i == 4 {
                records.push(flip(100, 4_000_000, "batch:stock", Some(false)));
            }
            // Nor does a command starting again, and again: its starts fold too.
            if i == 4 || i == 7 {
                let holder = Holder {
                    pid: i as u32,
                    host: "h".into(),
                    user: "root".into(),
                    since: 0,
                    command: "run".into(),
                    operator: None,
                }
                .operated_by(Some("alice"));
                records.push(Record {
                    seq: 150 + i,
                    at: 4_100_000 + i,
                    entry: Entry::Opened {
                        tool_version: "0".into(),
                        plan_digest: "d".into(),
                        holder,
                    },
                });
            }
        }
        records.push(Record {
            seq: 200,
            at: 5_000_000,
            entry: Entry::Error {
                context: "c".into(),
                message: "m".into(),
            },
        });
        records.push(flip(201, 5_100_000, "batch:orders", Some(true)));
        let items = condense(&records);
        assert_eq!(items.len(), 5);
        let l = lines(&items);
        assert_eq!(
            l[0].text,
            "gate of batch orders (release first consumers) flipped 12 times between 1970-01-01T01:02:00Z and 1970-01-01T01:13:00Z (open 4, unknown 4, blocked 4); now unknown"
        );
        // The last verdict's failing check, its evidence in words with its reason.
        assert_eq!(
            l[0].details,
            [
                (0, "[??] topic T on target".to_string()),
                (
                    1,
                    "T topic exists: unknown (broker-a did not answer) on target 'new', 2s old"
                        .to_string()
                ),
            ]
        );
        assert_eq!(
            l[1].text,
            "gate of batch stock (release first consumers) is now blocked"
        );
        assert_eq!(
            l[1].details[1].1,
            "T topic exists: no on target 'new', 2s old"
        );
        assert_eq!(
            l[2].text,
            "run opened 2 times by alice at 1970-01-01T01:08:20Z (pids 4, 7)"
        );
        assert_eq!(l[3].text, "error in c: m");
        assert_eq!(l[4].details, [(0, "every check passes (1)".to_string())]);
        let all: String = l
            .iter()
            .flat_map(|l| l.details.iter().map(|d| &d.1))
            .cloned()
            .collect();
        assert!(!all.contains("= 0") && !all.contains("= 1"), "{all}");
    }
}
