//! The account of a migration for a change ticket, from the journal (and, for the HTML page's
//! charts, the backlog series beside it): a summary first, then the condensed timeline. Pure:
//! the command reads the files and writes the output.

mod chart;
mod html;
mod markdown;
pub mod summary;
pub mod timeline;

pub use chart::{Measure, Recorded};
pub use summary::{Summary, summarize};

use crate::journal::Record;
use crate::plan::Plan;
use crate::wizard::Progress;

/// The series the HTML page charts, as the command found it.
#[derive(Debug, Clone, PartialEq)]
pub enum Charts {
    /// No series file: no process recorded one.
    NotRecorded,
    /// The file is there but could not be read, and why.
    Unreadable(String),
    Recorded(Recorded),
}

/// What both renderings say.
#[derive(Debug, Clone)]
pub struct Report<'p> {
    pub plan: &'p Plan,
    pub summary: Summary,
    pub timeline: Vec<timeline::Line>,
    /// Records in the journal.
    pub records: usize,
    /// What the reader must know about the journal itself (a torn last line, a plan it does
    /// not fit).
    pub notes: Vec<String>,
}

impl<'p> Report<'p> {
    /// `torn` says what was skipped of the journal; `operator` is the report's `--operator`,
    /// which names the operator only where the journal names nobody.
    pub fn build(
        plan: &'p Plan,
        records: &[Record],
        torn: Option<&str>,
        operator: Option<&str>,
    ) -> Report<'p> {
        let mut summary = summarize(plan, records);
        summary.operator = summary.operator.or_given(operator);
        let mut notes: Vec<String> = torn.map(str::to_string).into_iter().collect();
        if let Err(e) = Progress::replay(plan, records) {
            notes.push(format!("the journal does not fit the plan: {e}"));
        }
        Report {
            plan,
            summary,
            timeline: timeline::lines(&timeline::condense(records)),
            records: records.len(),
            notes,
        }
    }

    pub fn markdown(&self) -> String {
        markdown::render(self)
    }

    /// One self-contained page: inline CSS and SVG, nothing fetched.
    pub fn html(&self, charts: &Charts) -> String {
        html::render(self, charts)
    }
}

/// The head of the summary as (label, value) rows, in words: both renderings lay them out.
fn overview(r: &Report<'_>) -> Vec<(&'static str, String)> {
    use crate::clock::rfc3339;
    let s = &r.summary;
    let when = |at: Option<u64>| at.map_or("no journal record yet".to_string(), rfc3339);
    vec![
        (
            "plan",
            format!(
                "{} (digest {})",
                s.plan,
                r.plan.digest.get(..16).unwrap_or(&r.plan.digest)
            ),
        ),
        ("source", s.source.words()),
        ("target", s.target.words()),
        ("operator", s.operator.words()),
        ("start", when(s.start)),
        ("end", when(s.end)),
        ("journal", format!("{} records", r.records)),
        (
            "finished",
            s.finished.map_or("not yet".to_string(), |at| {
                format!("yes, at {}", rfc3339(at))
            }),
        ),
    ]
}

/// A batch's time in one stage, as a table cell: "-" for a stage it was never in.
fn stage_cell(b: &summary::BatchSummary, stage: crate::stage::Stage) -> String {
    match b.stages.iter().find(|t| t.stage == stage) {
        None => "-".into(),
        Some(t) => {
            let mut cell = crate::clock::age(t.ms);
            if t.visits > 1 {
                cell.push_str(&format!(" ({} visits)", t.visits));
            }
            if t.still {
                cell.push_str(" (still)");
            }
            cell
        }
    }
}

/// An acknowledgement in words.
fn acknowledgement_words(a: &summary::Acknowledgement) -> String {
    format!(
        "{}, for {}: {}: {}",
        a.said.words(),
        timeline::step_words(&a.step),
        a.warning,
        a.text
    )
}

fn attestation_words(a: &summary::Attestation) -> String {
    match a {
        summary::Attestation::Drained(a) => acknowledgement_words(a),
        summary::Attestation::BrokerRetired {
            said,
            side,
            broker,
            confirmation,
        } => format!(
            "{}: broker {broker} on {side} retired, its messages accounted for ({confirmation})",
            said.words()
        ),
    }
}
