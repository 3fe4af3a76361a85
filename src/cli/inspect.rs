//! Read-only commands: check, status, client-settings, report. They work while another wizard
//! drives the plan.

use super::{EXIT_JOURNAL, EXIT_NOT_READY, Exit};
use crate::clock;
use crate::journal;
use crate::metadata;
use crate::model::{Check, CheckKind, SnapshotState, Status};
use crate::report::{Charts, Recorded, Report};
use crate::runbook;
use crate::series;
use crate::session::{Mode, Session, load_plan};
use crate::stage::Step;
use crate::view::StatusView;
use std::path::Path;

pub async fn check(plan: &Path) -> Result<u8, Exit> {
    let mut s = Session::open(plan, Mode::ReadOnly)?;
    println!(
        "plan {}: valid ({} batch(es))",
        plan.display(),
        s.wizard.plan.batches.len()
    );
    s.poll().await?;
    let now = clock::now();
    let view = StatusView::build(&s.wizard, &s.journal_path.display().to_string(), now);
    let mut ready = true;
    for c in &view.clusters {
        let detail = c
            .error
            .as_ref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        println!(
            "{} cluster '{}' [{}]: {}{detail}",
            c.side,
            c.name,
            c.kind,
            c.state.word()
        );
        for e in &c.errors {
            println!("  ! {}: {}", e.item, e.error);
        }
        ready &= c.state == SnapshotState::Fresh;
    }
    if let (Some(src), Some(dst)) = (&s.wizard.source, &s.wizard.target) {
        let d = metadata::diff(&s.wizard.plan, src, dst);
        for m in &d.missing {
            println!("missing on target: {}", m.describe());
        }
        for m in &d.differing {
            println!("differs: {m}");
        }
        for m in &d.unknown {
            println!("unknown: {m}");
        }
        if d.missing.is_empty() && d.unknown.is_empty() {
            println!("metadata: every topic and group of the plan exists on the target");
        } else if !d.missing.is_empty() {
            println!(
                "metadata: run `rocketmq-migrate -c {} sync-metadata` to create what is missing",
                plan.display()
            );
        }
        ready &= d.is_clean();
    }
    // What preflight checks: the plan names what the source has, and nobody it forgot reads
    // the batches' topics there. What serves each cluster is shown whatever it is.
    if let Some(v) = s.wizard.preflight_verdict(now) {
        let shown =
            |c: &&Check| c.status != Status::Pass || matches!(c.kind, CheckKind::Servers { .. });
        for c in v.checks.iter().filter(shown) {
            println!("{} {}", c.status.symbol(), c.summary);
        }
        for w in &v.warnings {
            println!("[!!] {}", w.text);
        }
        ready &= v.status() == Status::Pass;
    }
    println!("{}", if ready { "READY" } else { "NOT READY" });
    Ok(if ready { 0 } else { EXIT_NOT_READY })
}

pub async fn status(plan: &Path, json: bool) -> Result<u8, Exit> {
    let mut s = Session::open(plan, Mode::ReadOnly)?;
    s.poll().await?;
    let view = StatusView::build(
        &s.wizard,
        &s.journal_path.display().to_string(),
        clock::now(),
    );
    if json {
        let text = serde_json::to_string_pretty(&view)
            .map_err(|e| Exit::new(EXIT_JOURNAL, format!("cannot encode status: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", view.render_text());
    }
    Ok(0)
}

/// The `p` popup of the wizard at the command line: TDMQ's endpoints are read from its API.
pub async fn client_settings(plan: &Path, batch: &str) -> Result<u8, Exit> {
    let mut s = Session::open(plan, Mode::ReadOnly)?;
    super::advance::known_step(&s, &Step::Batch(batch.to_string()))?;
    s.poll().await?;
    let w = &s.wizard;
    if let Some(b) = w.plan.batch(batch) {
        print!(
            "{}",
            runbook::client_settings(&w.plan, w.target.as_ref(), b)
        );
    }
    Ok(0)
}

pub fn report(
    plan: &Path,
    output: Option<&Path>,
    html: Option<&Path>,
    operator: Option<&str>,
) -> Result<u8, Exit> {
    let p = load_plan(plan)?;
    let jpath = journal::journal_path(plan);
    let replay = journal::read(&jpath)?;
    let torn = replay.torn_message(&jpath);
    let report = Report::build(&p, &replay.records, torn.as_deref(), operator);
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|e| {
            Exit::new(
                EXIT_JOURNAL,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
        eprintln!("report written to {}", path.display());
        Ok::<(), Exit>(())
    };
    if let Some(path) = html {
        let mut recorded = Recorded::new(&p);
        let charts = match series::each_point(&series::series_path(plan), |pt| recorded.add(&pt)) {
            Ok(None) => Charts::NotRecorded,
            Ok(Some(skipped)) => {
                recorded.skipped = skipped;
                Charts::Recorded(recorded)
            }
            Err(e) => Charts::Unreadable(e.to_string()),
        };
        write(path, report.html(&charts))?;
    }
    match (output, html) {
        (Some(path), _) => write(path, report.markdown())?,
        (None, None) => print!("{}", report.markdown()),
        (None, Some(_)) => {}
    }
    Ok(0)
}
