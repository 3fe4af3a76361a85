//! A Markdown account of the migration, from the journal alone: fit to paste into a change
//! ticket.

use crate::clock;
use crate::journal::{Entry, Record};
use crate::model::{Fact, Verdict};
use crate::plan::Plan;
use crate::wizard::Progress;

fn evidence_lines(v: &Verdict, out: &mut String) {
    for c in &v.checks {
        out.push_str(&format!("  - {} {}\n", c.status.word(), c.summary));
        for e in &c.evidence {
            out.push_str(&format!("    - {e}\n"));
        }
    }
    for w in &v.warnings {
        out.push_str(&format!(
            "  - warning `{}` ({}): {}\n",
            w.id(),
            if w.acknowledged {
                "acknowledged"
            } else {
                "open"
            },
            w.text
        ));
    }
}

pub fn markdown(plan: &Plan, records: &[Record], torn: Option<&str>) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "# RocketMQ migration report: {}\n\n",
        plan.path.display()
    ));
    o.push_str(&format!(
        "- source: {} ({})\n- target: {} ({})\n- plan digest: `{}`\n",
        plan.source.name,
        plan.source.kind.name(),
        plan.target.name,
        plan.target.kind.name(),
        &plan.digest[..16.min(plan.digest.len())]
    ));
    if let (Some(first), Some(last)) = (records.first(), records.last()) {
        o.push_str(&format!(
            "- journal: {} records, {} to {}\n",
            records.len(),
            clock::rfc3339(first.at),
            clock::rfc3339(last.at)
        ));
    }
    if let Some(t) = torn {
        o.push_str(&format!("- note: {t}\n"));
    }
    match Progress::replay(plan, records) {
        Ok(p) => {
            o.push_str("\n## Where it stands\n\n| batch | stage |\n|---|---|\n");
            for b in &plan.batches {
                let s = p.stage(&b.name);
                o.push_str(&format!(
                    "| {} | {} ({}) |\n",
                    b.name,
                    s.code(),
                    s.meaning()
                ));
            }
            o.push_str(&format!(
                "\nFinished: {}\n",
                p.finished.map_or("no".to_string(), clock::rfc3339)
            ));
        }
        Err(e) => o.push_str(&format!("\nThe journal does not fit the plan: {e}\n")),
    }
    o.push_str("\n## Timeline\n\n");
    for r in records {
        let at = clock::rfc3339(r.at);
        match &r.entry {
            Entry::Opened {
                holder,
                tool_version,
                ..
            } => {
                o.push_str(&format!(
                    "- {at} `{}` opened by {} (rocketmq-migrate {tool_version})\n",
                    holder.command,
                    holder.describe()
                ));
            }
            Entry::StepCompleted {
                step,
                confirmation,
                verdict,
            } => {
                o.push_str(&format!(
                    "- {at} **{step} completed** ({confirmation}); evidence:\n"
                ));
                evidence_lines(verdict, &mut o);
            }
            Entry::StageChanged {
                batch,
                from,
                to,
                action,
                confirmation,
                verdict,
            } => {
                o.push_str(&format!("- {at} **batch `{batch}`: {action}**, {from} -> {to} ({confirmation}); evidence:\n"));
                evidence_lines(verdict, &mut o);
            }
            Entry::VerdictChanged {
                step,
                action,
                status,
                ..
            } => {
                o.push_str(&format!(
                    "- {at} gate of {step} ({action}) is now {}\n",
                    status.word()
                ));
            }
            Entry::Refused {
                step,
                action,
                reasons,
            } => {
                o.push_str(&format!("- {at} refused: {action} for {step}\n"));
                for r in reasons {
                    o.push_str(&format!("  - {r}\n"));
                }
            }
            Entry::Acknowledged {
                step,
                warning,
                text,
            } => {
                o.push_str(&format!(
                    "- {at} acknowledged for {step}: `{warning}`: {text}\n"
                ));
            }
            Entry::MetadataCreated { side, item } => {
                o.push_str(&format!("- {at} created on {side}: {}\n", item.describe()));
            }
            Entry::QuietSince {
                batch,
                side,
                since,
                baseline,
            } => {
                let offsets: Vec<String> = baseline
                    .iter()
                    .map(|(t, o)| format!("{t} at {o}"))
                    .collect();
                o.push_str(&format!(
                    "- {at} batch `{batch}` quiet on {side} since {} ({})\n",
                    clock::rfc3339(*since),
                    offsets.join(", ")
                ));
            }
            Entry::QuietEnded { batch, side } => {
                o.push_str(&format!(
                    "- {at} batch `{batch}` no longer quiet on {side}\n"
                ));
            }
            Entry::BrokerSeen {
                side,
                broker,
                topics,
            } => {
                let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
                o.push_str(&format!(
                    "- {at} broker `{broker}` serves {} on {side}\n",
                    topics.join(", ")
                ));
            }
            Entry::BrokerLeft {
                side,
                broker,
                holding,
                ..
            } => {
                let held = holding
                    .as_ref()
                    .map_or("unknown".into(), |h| Fact::Messages(h.clone()).words());
                o.push_str(&format!(
                    "- {at} broker `{broker}` left the route on {side}, holding {held}\n"
                ));
            }
            Entry::BrokerRetired {
                side,
                broker,
                confirmation,
            } => {
                o.push_str(&format!(
                    "- {at} broker `{broker}` on {side} retired by the operator ({confirmation})\n"
                ));
            }
            Entry::Error { context, message } => {
                o.push_str(&format!("- {at} error in {context}: {message}\n"));
            }
        }
    }
    o
}
