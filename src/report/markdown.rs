//! The report as Markdown, fit to paste into a change ticket.

use super::{Report, acknowledgement_words, attestation_words, overview, stage_cell};
use crate::clock;
use crate::stage::STAGES;
use std::fmt::Write;

/// A table cell: a `|` would end it.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

pub fn render(r: &Report<'_>) -> String {
    let s = &r.summary;
    let mut o = String::new();
    let _ = writeln!(o, "# RocketMQ migration report: {}\n", s.plan);
    o.push_str("## Summary\n\n| | |\n|---|---|\n");
    for (label, value) in overview(r) {
        let _ = writeln!(o, "| {label} | {} |", cell(&value));
    }
    for n in &r.notes {
        let _ = writeln!(o, "\nNote: {n}");
    }

    o.push_str("\n### Time in each stage\n\n| batch | now |");
    for st in STAGES {
        let _ = write!(o, " {} |", st.code());
    }
    o.push_str("\n|---|---|");
    o.push_str(&"---|".repeat(STAGES.len()));
    o.push('\n');
    for b in &s.batches {
        let _ = write!(o, "| {} | {} |", cell(&b.name), b.stage.code());
        for st in STAGES {
            let _ = write!(o, " {} |", stage_cell(b, st));
        }
        o.push('\n');
    }
    o.push_str(
        "\nA first stage counts from the journal's first record; \"still\" counts to its last.\n",
    );

    o.push_str(
        "\n### Messages drained from the source\n\n| batch | group | drained |\n|---|---|---|\n",
    );
    for b in &s.batches {
        for g in &b.drained {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                cell(&b.name),
                cell(&g.group),
                cell(&g.drained.words())
            );
        }
    }

    let _ = writeln!(o, "\n### Refusals: {}\n", s.refusals.count);
    for step in &s.refusals.per_step {
        let _ = writeln!(
            o,
            "- {}: {}, refused {} time(s):",
            super::timeline::step_words(&step.step),
            step.action,
            step.count
        );
        for reason in &step.reasons {
            let _ = writeln!(o, "  - {reason}");
        }
    }

    let _ = writeln!(o, "\n### Acknowledgements: {}\n", s.acknowledgements.len());
    for a in &s.acknowledgements {
        let _ = writeln!(o, "- {}", acknowledgement_words(a));
    }
    let _ = writeln!(o, "\n### Attestations: {}\n", s.attestations.len());
    for a in &s.attestations {
        let _ = writeln!(o, "- {}", attestation_words(a));
    }

    o.push_str("\n## Timeline\n\n");
    for l in &r.timeline {
        let at = clock::rfc3339(l.at);
        if l.strong {
            let _ = writeln!(o, "- {at} **{}**", l.text);
        } else {
            let _ = writeln!(o, "- {at} {}", l.text);
        }
        for (depth, d) in &l.details {
            let _ = writeln!(o, "{}- {d}", "  ".repeat(depth + 1));
        }
    }
    o
}
