//! The render model: what `status` (text and JSON) and the screens show, computed from the
//! wizard's state. Plain data; the JSON form is a stable, documented interface (`schema`).

use crate::clock::{self, Millis};
use crate::model::{ItemError, Known, Snapshot, SnapshotState, Verdict};
use crate::plan::Side;
use crate::runbook::Reader;
use crate::stage::{Stage, Step};
use crate::wizard::Wizard;
use serde::Serialize;

pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    pub schema: u32,
    pub plan: String,
    pub journal: String,
    pub evaluated_at: Millis,
    pub clusters: Vec<ClusterView>,
    pub preflight_done: bool,
    pub metadata_done: bool,
    pub finished: bool,
    /// Verdicts of the steps the wizard waits on next (preflight, metadata, batches, finish).
    pub next: Vec<Verdict>,
    pub batches: Vec<BatchView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterView {
    pub side: Side,
    pub name: String,
    pub kind: String,
    /// "fresh", "stale", "partial", "unreachable" or "no data".
    pub state: SnapshotState,
    pub age_ms: Option<Millis>,
    pub error: Option<String>,
    pub errors: Vec<ItemError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BatchView {
    pub name: String,
    pub stage: Stage,
    pub meaning: String,
    /// The next forward action, if any.
    pub next_action: Option<String>,
    pub groups: Vec<GroupRow>,
    pub producers: Vec<ProducerRow>,
    /// What to do now in the applications for this batch, and what the wizard waits for.
    pub now: crate::runbook::Now,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    pub group: String,
    pub source: SideCounts,
    pub target: SideCounts,
}

/// Counts on one cluster; `None` means unknown, and `unknown` says why. Never zero for unknown.
#[derive(Debug, Clone, Serialize)]
pub struct SideCounts {
    pub backlog: Option<u64>,
    pub retry_backlog: Option<u64>,
    pub consumers: Option<u64>,
    pub consume_tps: Option<f64>,
    pub unknown: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProducerRow {
    pub group: String,
    pub source: Option<u64>,
    pub target: Option<u64>,
}

fn cluster_view(
    side: Side,
    spec_name: &str,
    kind: &str,
    snap: Option<&Snapshot>,
    stale_ms: Millis,
    now: Millis,
) -> ClusterView {
    let Some(s) = snap else {
        return ClusterView {
            side,
            name: spec_name.into(),
            kind: kind.into(),
            state: SnapshotState::NoData,
            age_ms: None,
            error: None,
            errors: vec![],
        };
    };
    let freshness = s.freshness(now, stale_ms);
    ClusterView {
        side,
        name: s.cluster.clone(),
        kind: s.kind.clone(),
        state: freshness.state(),
        age_ms: freshness.age_ms(),
        error: s.unreachable.clone(),
        errors: s.errors.clone(),
    }
}

fn counts(snap: Option<&Snapshot>, group: &str) -> SideCounts {
    let none = |why: &str| SideCounts {
        backlog: None,
        retry_backlog: None,
        consumers: None,
        consume_tps: None,
        unknown: Some(why.into()),
    };
    let Some(s) = snap else {
        return none("no data");
    };
    if let Some(e) = &s.unreachable {
        return none(&format!("unreachable: {e}"));
    }
    let Some(g) = s.groups.get(group) else {
        return none("not in the snapshot");
    };
    let mut why = vec![];
    let (backlog, retry) = match &g.backlog {
        Known::Known(b) => (Some(b.total), Some(b.retry())),
        Known::Unknown(r) => {
            why.push(format!("backlog: {r}"));
            (None, None)
        }
    };
    let consumers = match &g.consumers {
        Known::Known(c) => Some(c.len() as u64),
        Known::Unknown(r) => {
            why.push(format!("consumers: {r}"));
            None
        }
    };
    SideCounts {
        backlog,
        retry_backlog: retry,
        consumers,
        consume_tps: g.consume_tps,
        unknown: (!why.is_empty()).then(|| why.join("; ")),
    }
}

fn producer_count(snap: Option<&Snapshot>, group: &str) -> Option<u64> {
    let s = snap?;
    if s.unreachable.is_some() {
        return None;
    }
    s.producers
        .groups
        .get(group)?
        .known()
        .map(|c| c.len() as u64)
}

impl StatusView {
    pub fn build(w: &Wizard, journal: &str, now: Millis) -> StatusView {
        let stale = clock::ms(w.plan.gates.stale_after);
        let clusters = vec![
            cluster_view(
                Side::Source,
                &w.plan.source.name,
                w.plan.source.kind.name(),
                w.source.as_ref(),
                stale,
                now,
            ),
            cluster_view(
                Side::Target,
                &w.plan.target.name,
                w.plan.target.kind.name(),
                w.target.as_ref(),
                stale,
                now,
            ),
        ];
        let next = w
            .pending_steps()
            .iter()
            .filter_map(|s| w.forward_verdict(s, now).map(|(_, v)| v))
            .collect();
        let batches = w
            .plan
            .batches
            .iter()
            .map(|b| {
                let stage = w.progress.stage(&b.name);
                let step = Step::Batch(b.name.clone());
                let verdict = w.forward_verdict(&step, now).map(|(_, v)| v);
                BatchView {
                    name: b.name.clone(),
                    stage,
                    meaning: stage.meaning().into(),
                    now: crate::runbook::now(w, &step, verdict.as_ref(), Reader::Command),
                    next_action: verdict.map(|v| v.action),
                    groups: b
                        .groups
                        .iter()
                        .map(|g| GroupRow {
                            group: g.name.clone(),
                            source: counts(w.source.as_ref(), &g.name),
                            target: counts(w.target.as_ref(), &g.name),
                        })
                        .collect(),
                    producers: b
                        .producer_groups
                        .iter()
                        .map(|p| ProducerRow {
                            group: p.clone(),
                            source: producer_count(w.source.as_ref(), p),
                            target: producer_count(w.target.as_ref(), p),
                        })
                        .collect(),
                }
            })
            .collect();
        StatusView {
            schema: SCHEMA,
            plan: w.plan.path.display().to_string(),
            journal: journal.to_string(),
            evaluated_at: now,
            clusters,
            preflight_done: w.progress.preflight.is_some(),
            metadata_done: w.progress.metadata.is_some(),
            finished: w.progress.finished.is_some(),
            next,
            batches,
        }
    }

    /// The same information as plain text for a terminal or a log.
    pub fn render_text(&self) -> String {
        let mut o = String::new();
        let opt = |v: Option<u64>| v.map_or("?".to_string(), |n| n.to_string());
        o.push_str(&format!(
            "plan {}   journal {}\n\n",
            self.plan, self.journal
        ));
        for c in &self.clusters {
            let age = c
                .age_ms
                .map(|a| format!(", {} old", clock::age(a)))
                .unwrap_or_default();
            let err = c
                .error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            o.push_str(&format!(
                "{:<6} {} [{}] {}{age}{err}\n",
                c.side.name(),
                c.name,
                c.kind,
                c.state.word().to_uppercase()
            ));
            for e in c.errors.iter().take(5) {
                o.push_str(&format!("         ! {}: {}\n", e.item, e.error));
            }
        }
        let tick = |b: bool| if b { "[x]" } else { "[ ]" };
        o.push_str(&format!(
            "\n{} preflight   {} metadata\n",
            tick(self.preflight_done),
            tick(self.metadata_done)
        ));
        for b in &self.batches {
            o.push_str(&format!(
                "\nbatch {} : {} ({}){}\n",
                b.name,
                b.stage,
                b.meaning,
                b.next_action
                    .as_ref()
                    .map(|a| format!("; next: {a}"))
                    .unwrap_or_default()
            ));
            o.push_str(&format!(
                "  {:<28} {:>12} {:>9} {:>12} {:>9}\n",
                "consumer group", "src backlog", "src cons", "dst backlog", "dst cons"
            ));
            for g in &b.groups {
                let bl = |c: &SideCounts| match (c.backlog, c.retry_backlog) {
                    (Some(b), Some(r)) if r > 0 => format!("{b} ({r} retry)"),
                    (b, _) => opt(b),
                };
                o.push_str(&format!(
                    "  {:<28} {:>12} {:>9} {:>12} {:>9}\n",
                    g.group,
                    bl(&g.source),
                    opt(g.source.consumers),
                    bl(&g.target),
                    opt(g.target.consumers)
                ));
            }
            for p in &b.producers {
                o.push_str(&format!(
                    "  producer group {:<17} source {:>3}   target {:>3}\n",
                    p.group,
                    opt(p.source),
                    opt(p.target)
                ));
            }
            if b.stage != Stage::Done {
                o.push_str(&b.now.text("  "));
            }
        }
        o.push_str(&format!("\n{} finish\n", tick(self.finished)));
        for v in &self.next {
            o.push_str(&format!(
                "\nnext: {} ({}) - {}\n",
                v.action,
                v.step,
                v.status().word().to_uppercase()
            ));
            for c in &v.checks {
                o.push_str(&format!("  {} {}\n", c.status.symbol(), c.summary));
            }
            for w in &v.warnings {
                o.push_str(&format!(
                    "  {} warning {}: {}\n",
                    if w.acknowledged { "[ack]" } else { "[!!]" },
                    w.id(),
                    w.text
                ));
            }
            if let Some(s) = v.settle
                && s.remaining_ms() > 0
            {
                o.push_str(&format!("  {}\n", s.describe()));
            }
        }
        o
    }
}
