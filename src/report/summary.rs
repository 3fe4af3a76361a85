//! The summary at the head of the report: who moved what, when, how long each batch spent in
//! each stage, what was refused, acknowledged and attested, and what the source drained. A pure
//! function of the plan and the journal's records.

use crate::clock::Millis;
use crate::journal::{Entry, Record};
use crate::model::{CheckKind, Fact, Metric, Verdict, WarningKind};
use crate::plan::{Plan, Side};
use crate::stage::{Stage, Step};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The plan file, as given.
    pub plan: String,
    pub source: Cluster,
    pub target: Cluster,
    pub operator: Operator,
    /// The first and the last journal record.
    pub start: Option<Millis>,
    pub end: Option<Millis>,
    /// When finish completed (and no batch went back since).
    pub finished: Option<Millis>,
    pub batches: Vec<BatchSummary>,
    pub refusals: Refusals,
    pub acknowledgements: Vec<Acknowledgement>,
    pub attestations: Vec<Attestation>,
}

/// A cluster as the plan labels it: its name and kind, nothing else (no address, no account),
/// and what the last completed preflight found serving it (brokers and versions, or product).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    pub kind: String,
    pub runs: Option<String>,
}

impl Cluster {
    pub fn words(&self) -> String {
        let runs = (self.runs.as_deref())
            .unwrap_or("what serves it was not recorded by a completed preflight");
        format!("{} ({}): {runs}", self.name, self.kind)
    }
}

/// What the last completed preflight found serving `side`, in words.
fn runs(records: &[Record], side: Side) -> Option<String> {
    records.iter().rev().find_map(|r| match &r.entry {
        Entry::StepCompleted { step, verdict, .. } if step == "preflight" => (verdict.checks)
            .iter()
            .find(|c| c.kind == CheckKind::Servers { side })
            .and_then(|c| c.evidence.first())
            .map(|e| e.fact.words()),
        _ => None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    /// The operators the journal names (`--operator`, else the account of the environment),
    /// in the order they first drove the plan.
    Journaled(Vec<String>),
    /// The journal names none; `report --operator` did.
    GivenToReport(String),
    /// Nobody is named.
    Unknown,
}

impl Operator {
    pub fn words(&self) -> String {
        match self {
            Operator::Journaled(names) => names.join(", "),
            Operator::GivenToReport(name) => {
                format!("{name} (named to the report; the journal names nobody)")
            }
            Operator::Unknown => "unknown (set --operator)".into(),
        }
    }

    /// The report's `--operator` names the operator where the journal does not.
    pub fn or_given(self, given: Option<&str>) -> Operator {
        match (self, given.map(str::trim).filter(|g| !g.is_empty())) {
            (Operator::Unknown, Some(g)) => Operator::GivenToReport(g.to_string()),
            (o, _) => o,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatchSummary {
    pub name: String,
    /// Where it is now.
    pub stage: Stage,
    /// Time spent in each stage it was in, in stage order.
    pub stages: Vec<StageTime>,
    /// Per consumer group of the batch, what its source drained.
    pub drained: Vec<GroupDrain>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageTime {
    pub stage: Stage,
    /// Time in the stage, every visit added up; the first stage counts from the journal's
    /// first record, the one the batch is still in to its last.
    pub ms: Millis,
    /// How many times the batch entered it (more than once after a rollback).
    pub visits: usize,
    /// The batch is still in it.
    pub still: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDrain {
    pub group: String,
    pub drained: Drained,
}

/// What the journal's evidence says a group's source backlog did. The journal records a verdict
/// when it changes, not every poll: the largest backlog it shows is the largest recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// The backlog went to zero (first at `zero_at`); `largest` is the largest recorded.
    ToZero { largest: u64, zero_at: Millis },
    /// Recorded, but never at zero after its largest value.
    NotToZero { largest: u64, last: u64, at: Millis },
    /// No evidence of the group's source backlog in the batch's verdicts.
    NotRecorded,
}

impl Drained {
    pub fn words(&self) -> String {
        match self {
            Drained::ToZero { largest, zero_at } => format!(
                "{largest} (largest source backlog recorded; at 0 since {})",
                crate::clock::rfc3339(*zero_at)
            ),
            Drained::NotToZero { largest, last, at } => format!(
                "not drained to 0 in the journal: largest recorded {largest}, last {last} at {}",
                crate::clock::rfc3339(*at)
            ),
            Drained::NotRecorded => {
                "not recorded (no verdict of the batch in the journal shows its source backlog)"
                    .into()
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refusals {
    pub count: usize,
    /// Per step and action, in the order first refused.
    pub per_step: Vec<StepRefusals>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRefusals {
    /// "batch:orders", "preflight", ...
    pub step: String,
    pub action: String,
    pub count: usize,
    /// The distinct reasons, without the evidence's changing numbers and ages.
    pub reasons: Vec<String>,
}

/// Who said something, and when, as journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub at: Millis,
    /// The operator of the command that journaled it, if known.
    pub by: Option<String>,
}

impl Said {
    pub fn words(&self) -> String {
        format!(
            "{} by {}",
            crate::clock::rfc3339(self.at),
            self.by.as_deref().unwrap_or("an unnamed operator")
        )
    }
}

/// A warning the operator read and accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    pub said: Said,
    pub step: String,
    /// The warning's id (`ordered-topic:T_STOCK`).
    pub warning: String,
    pub text: String,
}

/// What the operator vouched for where no cluster can show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attestation {
    /// An instance of a broadcasting group consumed everything (its offsets live in the client).
    Drained(Acknowledgement),
    /// A broker that left the route holds nothing the migration still needs.
    BrokerRetired {
        said: Said,
        side: Side,
        broker: String,
        confirmation: String,
    },
}

/// The summary of the journal `records` of `plan`.
pub fn summarize(plan: &Plan, records: &[Record]) -> Summary {
    let start = records.first().map(|r| r.at);
    let end = records.last().map(|r| r.at);
    let mut operators: Vec<String> = vec![];
    let mut by: Option<String> = None;
    let mut finished = None;
    let mut refusals = Refusals::default();
    let mut acknowledgements = vec![];
    let mut attestations = vec![];
    for r in records {
        match &r.entry {
            Entry::Opened { holder, .. } => {
                by = holder.operator_name().map(str::to_string);
                if let Some(name) = &by
                    && !operators.contains(name)
                {
                    operators.push(name.clone());
                }
            }
            Entry::StepCompleted { step, .. } if step == "finish" => finished = Some(r.at),
            Entry::StageChanged { to, .. } if *to < Stage::Done => finished = None,
            Entry::Refused {
                step,
                action,
                reasons,
            } => {
                refusals.count += 1;
                let i = match (refusals.per_step.iter())
                    .position(|s| s.step == *step && s.action == *action)
                {
                    Some(i) => i,
                    None => {
                        refusals.per_step.push(StepRefusals {
                            step: step.clone(),
                            action: action.clone(),
                            count: 0,
                            reasons: vec![],
                        });
                        refusals.per_step.len() - 1
                    }
                };
                let s = &mut refusals.per_step[i];
                s.count += 1;
                for reason in reasons {
                    let g = gist(reason);
                    if !s.reasons.iter().any(|known| known == g) {
                        s.reasons.push(g.to_string());
                    }
                }
            }
            Entry::Acknowledged {
                step,
                warning,
                text,
            } => {
                let ack = Acknowledgement {
                    said: Said {
                        at: r.at,
                        by: by.clone(),
                    },
                    step: step.clone(),
                    warning: warning.clone(),
                    text: text.clone(),
                };
                match WarningKind::parse(warning) {
                    Some(WarningKind::BroadcastDrained { .. }) => {
                        attestations.push(Attestation::Drained(ack))
                    }
                    _ => acknowledgements.push(ack),
                }
            }
            Entry::BrokerRetired {
                side,
                broker,
                confirmation,
            } => attestations.push(Attestation::BrokerRetired {
                said: Said {
                    at: r.at,
                    by: by.clone(),
                },
                side: *side,
                broker: broker.clone(),
                confirmation: confirmation.clone(),
            }),
            _ => {}
        }
    }
    let evidence = backlog_evidence(records);
    Summary {
        plan: plan.path.display().to_string(),
        source: Cluster {
            name: plan.source.name.clone(),
            kind: plan.source.kind.name().to_string(),
            runs: runs(records, Side::Source),
        },
        target: Cluster {
            name: plan.target.name.clone(),
            kind: plan.target.kind.name().to_string(),
            runs: runs(records, Side::Target),
        },
        operator: if operators.is_empty() {
            Operator::Unknown
        } else {
            Operator::Journaled(operators)
        },
        start,
        end,
        finished,
        batches: (plan.batches.iter())
            .map(|b| {
                let (stage, stages) = stage_times(&b.name, records);
                let step = Step::Batch(b.name.clone()).key();
                BatchSummary {
                    name: b.name.clone(),
                    stage,
                    stages,
                    drained: b
                        .group_names()
                        .map(|g| GroupDrain {
                            group: g.to_string(),
                            drained: drained(
                                (evidence.get(&(step.as_str(), g))).map_or(&[][..], Vec::as_slice),
                            ),
                        })
                        .collect(),
                }
            })
            .collect(),
        refusals,
        acknowledgements,
        attestations,
    }
}

/// Where a batch is, and its time in each stage, from its StageChanged records.
fn stage_times(batch: &str, records: &[Record]) -> (Stage, Vec<StageTime>) {
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return (Stage::NotStarted, vec![]);
    };
    let mut times: BTreeMap<Stage, (Millis, usize)> = BTreeMap::new();
    let (mut stage, mut since) = (Stage::NotStarted, first.at);
    times.insert(stage, (0, 1));
    for r in records {
        if let Entry::StageChanged { batch: b, to, .. } = &r.entry
            && b == batch
        {
            times.entry(stage).or_default().0 += r.at.saturating_sub(since);
            let t = times.entry(*to).or_default();
            t.1 += 1;
            (stage, since) = (*to, r.at);
        }
    }
    times.entry(stage).or_default().0 += last.at.saturating_sub(since);
    let list = times
        .into_iter()
        .map(|(s, (ms, visits))| StageTime {
            stage: s,
            ms,
            visits,
            still: s == stage,
        })
        .collect();
    (stage, list)
}

/// Every source backlog the journaled verdicts of a batch's own step show, per (step, group),
/// in journal order: one pass over the records, however many groups.
fn backlog_evidence(records: &[Record]) -> BTreeMap<(&str, &str), Vec<(Millis, u64)>> {
    let mut out: BTreeMap<(&str, &str), Vec<(Millis, u64)>> = BTreeMap::new();
    for r in records {
        let verdict: &Verdict = match &r.entry {
            Entry::VerdictChanged { verdict, .. } | Entry::StageChanged { verdict, .. } => verdict,
            _ => continue,
        };
        for c in &verdict.checks {
            let CheckKind::BacklogAtMost {
                side: Side::Source,
                group,
            } = &c.kind
            else {
                continue;
            };
            let values = (c.evidence.iter())
                .filter(|e| e.side == Side::Source && e.metric == Metric::Backlog)
                .filter_map(|e| backlog(&e.fact));
            out.entry((verdict.step.as_str(), group.as_str()))
                .or_default()
                .extend(values.map(|n| (r.at, n)));
        }
    }
    out
}

/// What a group's recorded source backlogs say of its drain.
fn drained(values: &[(Millis, u64)]) -> Drained {
    let mut largest: Option<(u64, Millis)> = None;
    let mut zero_at: Option<Millis> = None;
    for &(at, n) in values {
        if largest.is_none_or(|(l, _)| n > l) {
            largest = Some((n, at));
        }
        // The first 0 after the largest value.
        if n == 0 && zero_at.is_none_or(|z| largest.is_some_and(|(_, l_at)| z < l_at)) {
            zero_at = Some(at);
        }
    }
    match (largest, zero_at, values.last()) {
        (Some((largest, largest_at)), Some(zero_at), _) if zero_at >= largest_at => {
            Drained::ToZero { largest, zero_at }
        }
        (Some((largest, _)), _, Some(&(at, last))) => Drained::NotToZero { largest, last, at },
        _ => Drained::NotRecorded,
    }
}

/// A backlog the evidence measured; an unknown one is no number.
fn backlog(fact: &Fact) -> Option<u64> {
    match fact {
        Fact::Backlog { total, .. } => Some(*total),
        Fact::Recorded { value: Some(v), .. } => u64::try_from(*v).ok(),
        _ => None,
    }
}

/// A refusal's reason without its evidence: `Verdict::reasons` writes "[no] summary (evidence;
/// evidence)", each evidence ending in its age ("..., 2s old"), which differs at every refusal.
/// Anything else is kept whole.
pub fn gist(reason: &str) -> &str {
    let Some(inner_end) = reason.strip_suffix(')') else {
        return reason;
    };
    // The parenthesis that opens the last group, nested ones skipped.
    let mut depth = 0usize;
    for (i, ch) in inner_end.char_indices().rev() {
        match ch {
            ')' => depth += 1,
            '(' if depth > 0 => depth -= 1,
            '(' => {
                let inner = &inner_end[i + 1..];
                return match reason[..i].strip_suffix(' ') {
                    Some(head) if inner.ends_with(" old") => head,
                    _ => reason,
                };
            }
            _ => {}
        }
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Holder;
    use crate::model::{Check, Evidence, Status};
    use std::path::Path;

    fn plan() -> Plan {
        let text = "[source]\nkind = \"rehearsal\"\nname = \"idc\"\n[target]\nkind = \"rehearsal\"\nname = \"cloud\"\n[[batch]]\nname = \"orders\"\ntopics = [\"T\"]\nconsumer_groups = [\"G\", \"H\"]\n[[batch]]\nname = \"stock\"\ntopics = [\"S\"]\nconsumer_groups = [\"K\"]\n";
        Plan::parse(Path::new("plans/p.toml"), text).unwrap()
    }

    fn rec(seq: u64, at: Millis, entry: Entry) -> Record {
        Record { seq, at, entry }
    }

    fn opened(operator: Option<&str>, user: &str) -> Entry {
        let holder = Holder {
            pid: 7,
            host: "h".into(),
            user: user.into(),
            since: 0,
            command: "advance".into(),
            operator: None,
        }
        .operated_by(operator);
        Entry::Opened {
            tool_version: "0".into(),
            plan_digest: "d".into(),
            holder,
        }
    }

    fn backlog_check(group: &str, fact: Fact) -> Check {
        Check {
            kind: CheckKind::BacklogAtMost {
                side: Side::Source,
                group: group.into(),
            },
            status: Status::Blocked,
            summary: format!("{group} backlog"),
            evidence: vec![Evidence {
                side: Side::Source,
                cluster: "idc".into(),
                subject: group.into(),
                metric: Metric::Backlog,
                fact,
                age_ms: 1_000,
            }],
        }
    }

    fn verdict(step: &str, checks: Vec<Check>) -> Verdict {
        Verdict {
            step: step.into(),
            action: "release remaining consumers".into(),
            evaluated_at: 0,
            checks,
            warnings: vec![],
            settle: None,
        }
    }

    fn moved(batch: &str, from: Stage, to: Stage, v: Verdict) -> Entry {
        Entry::StageChanged {
            batch: batch.into(),
            from,
            to,
            action: "move".into(),
            confirmation: "confirmed".into(),
            verdict: v,
        }
    }

    fn flip(v: Verdict) -> Entry {
        Entry::VerdictChanged {
            step: v.step.clone(),
            action: v.action.clone(),
            status: v.status(),
            failing: vec![],
            verdict: v,
        }
    }

    fn total(n: u64) -> Fact {
        Fact::Backlog {
            total: n,
            retry: 0,
            brokers: Default::default(),
        }
    }

    #[test]
    fn a_whole_journal_summarized() {
        let b = "batch:orders";
        let records = vec![
            rec(1, 1_000, opened(Some("alice"), "root")),
            rec(
                2,
                2_000,
                moved("orders", Stage::NotStarted, Stage::DoubleRead, verdict(b, vec![])),
            ),
            rec(
                3,
                3_000,
                Entry::Refused {
                    step: b.into(),
                    action: "release producers".into(),
                    reasons: vec![
                        "[no] G has no consumer online on target (G consumers online: 0 on target 'cloud', 2s old)".into(),
                        "[??] target data is stale (12s old, limit 10s)".into(),
                    ],
                },
            ),
            rec(4, 3_500, opened(None, "bob")),
            rec(
                5,
                4_000,
                Entry::Refused {
                    step: b.into(),
                    action: "release producers".into(),
                    reasons: vec![
                        "[no] G has no consumer online on target (G consumers online: 0 on target 'cloud', 5s old)".into(),
                    ],
                },
            ),
            rec(
                6,
                5_000,
                Entry::Acknowledged {
                    step: "batch:stock".into(),
                    warning: "ordered-topic:S".into(),
                    text: "S is ordered".into(),
                },
            ),
            rec(
                7,
                6_000,
                moved("orders", Stage::DoubleRead, Stage::DoubleWrite, verdict(b, vec![])),
            ),
            rec(
                8,
                7_000,
                moved("orders", Stage::DoubleWrite, Stage::Draining, verdict(b, vec![])),
            ),
            rec(
                9,
                8_000,
                flip(verdict(
                    b,
                    vec![
                        backlog_check("G", total(40)),
                        backlog_check("H", Fact::Unknown("broker-a did not answer".into())),
                    ],
                )),
            ),
            rec(10, 8_500, flip(verdict(b, vec![backlog_check("G", total(12))]))),
            rec(
                11,
                9_000,
                Entry::Acknowledged {
                    step: b.into(),
                    warning: "broadcast-drained:G/10.0.0.1@DEFAULT".into(),
                    text: "attest".into(),
                },
            ),
            rec(
                12,
                10_000,
                moved(
                    "orders",
                    Stage::Draining,
                    Stage::TargetOnly,
                    verdict(b, vec![backlog_check("G", total(0))]),
                ),
            ),
            rec(
                13,
                11_000,
                Entry::BrokerRetired {
                    side: Side::Source,
                    broker: "broker-b".into(),
                    confirmation: "typed \"broker-b\"".into(),
                },
            ),
            rec(14, 12_000, opened(None, "unknown-user")),
        ];
        let s = summarize(&plan(), &records);
        assert_eq!(s.plan, "plans/p.toml");
        assert_eq!(
            (s.source.name.as_str(), s.source.kind.as_str()),
            ("idc", "rehearsal")
        );
        assert_eq!(s.target.name, "cloud");
        // --operator first, else the account; an unknown one is left out.
        assert_eq!(
            s.operator,
            Operator::Journaled(vec!["alice".into(), "bob".into()])
        );
        assert_eq!(
            (s.start, s.end, s.finished),
            (Some(1_000), Some(12_000), None)
        );

        let orders = &s.batches[0];
        assert_eq!(orders.stage, Stage::TargetOnly);
        let times: Vec<(Stage, Millis, bool)> = orders
            .stages
            .iter()
            .map(|t| (t.stage, t.ms, t.still))
            .collect();
        assert_eq!(
            times,
            [
                (Stage::NotStarted, 1_000, false),
                (Stage::DoubleRead, 4_000, false),
                (Stage::DoubleWrite, 1_000, false),
                (Stage::Draining, 3_000, false),
                (Stage::TargetOnly, 2_000, true),
            ]
        );
        // A batch that never moved is still in its first stage, since the journal's start.
        assert_eq!(
            s.batches[1].stages,
            [StageTime {
                stage: Stage::NotStarted,
                ms: 11_000,
                visits: 1,
                still: true
            }]
        );
        assert_eq!(
            orders.drained,
            [
                GroupDrain {
                    group: "G".into(),
                    drained: Drained::ToZero {
                        largest: 40,
                        zero_at: 10_000
                    }
                },
                // Only an unknown backlog was recorded: no number.
                GroupDrain {
                    group: "H".into(),
                    drained: Drained::NotRecorded
                },
            ]
        );
        assert_eq!(s.batches[1].drained[0].drained, Drained::NotRecorded);
        assert!(Drained::NotRecorded.words().starts_with("not recorded"));

        assert_eq!(s.refusals.count, 2);
        assert_eq!(
            s.refusals.per_step,
            [StepRefusals {
                step: b.into(),
                action: "release producers".into(),
                count: 2,
                reasons: vec![
                    "[no] G has no consumer online on target".into(),
                    "[??] target data is stale (12s old, limit 10s)".into(),
                ],
            }]
        );
        assert_eq!(s.acknowledgements.len(), 1);
        assert_eq!(s.acknowledgements[0].warning, "ordered-topic:S");
        assert_eq!(
            s.acknowledgements[0].said,
            Said {
                at: 5_000,
                by: Some("bob".into())
            }
        );
        assert_eq!(s.attestations.len(), 2);
        assert!(
            matches!(&s.attestations[0], Attestation::Drained(a) if a.said.by.as_deref() == Some("bob"))
        );
        assert!(
            matches!(&s.attestations[1], Attestation::BrokerRetired { broker, .. } if broker == "broker-b")
        );
    }

    #[test]
    fn the_clusters_say_what_the_last_completed_preflight_found_serving_them() {
        let mut servers = backlog_check(
            "idc",
            Fact::Versions([("broker-a".to_string(), "V5_3_1".to_string())].into()),
        );
        servers.kind = CheckKind::Servers { side: Side::Source };
        servers.evidence[0].metric = Metric::Servers;
        let completed = Entry::StepCompleted {
            step: "preflight".into(),
            confirmation: "confirmed".into(),
            verdict: verdict("preflight", vec![servers]),
        };
        let s = summarize(&plan(), &[rec(1, 1, completed)]);
        assert_eq!(s.source.words(), "idc (rehearsal): broker-a V5_3_1");
        assert_eq!(
            s.target.words(),
            "cloud (rehearsal): what serves it was not recorded by a completed preflight"
        );
    }

    #[test]
    fn nobody_named_is_unknown_and_the_report_may_name_them() {
        let s = summarize(&plan(), &[rec(1, 1, opened(None, "unknown-user"))]);
        assert_eq!(s.operator, Operator::Unknown);
        assert_eq!(s.operator.words(), "unknown (set --operator)");
        assert_eq!(
            s.operator.clone().or_given(Some("carol")),
            Operator::GivenToReport("carol".into())
        );
        let empty = summarize(&plan(), &[]);
        assert_eq!((empty.start, empty.end), (None, None));
        assert!(empty.batches[0].stages.is_empty());
    }

    #[test]
    fn a_backlog_that_never_reached_zero_says_so() {
        let b = "batch:orders";
        let records = vec![
            rec(1, 1, flip(verdict(b, vec![backlog_check("G", total(0))]))),
            rec(2, 2, flip(verdict(b, vec![backlog_check("G", total(9))]))),
            rec(3, 3, flip(verdict(b, vec![backlog_check("G", total(4))]))),
            // Another batch's verdict is not this batch's drain evidence.
            rec(
                4,
                4,
                flip(verdict("batch:stock", vec![backlog_check("G", total(0))])),
            ),
        ];
        let s = summarize(&plan(), &records);
        assert_eq!(
            s.batches[0].drained[0].drained,
            Drained::NotToZero {
                largest: 9,
                last: 4,
                at: 3
            }
        );
    }

    #[test]
    fn the_gist_of_a_reason_leaves_out_the_evidence_only() {
        let v = verdict(b_orders(), vec![backlog_check("G", total(3))]);
        let reasons = v.reasons();
        assert_eq!(gist(&reasons[0]), "[no] G backlog");
        assert_eq!(gist("[no] a (b) (c; d, 2s old)"), "[no] a (b)");
        assert_eq!(
            gist("[??] x (12s old, limit 10s)"),
            "[??] x (12s old, limit 10s)"
        );
        assert_eq!(
            gist("[!!] warning not acknowledged: t (acknowledge with --ack x)"),
            "[!!] warning not acknowledged: t (acknowledge with --ack x)"
        );
        assert_eq!(gist("unbalanced old)"), "unbalanced old)");
    }

    fn b_orders() -> &'static str {
        "batch:orders"
    }
}
