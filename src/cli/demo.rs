//! demo: the rehearsal on two simulated clusters. In a terminal it walks the operator through
//! every step; otherwise it prepares the rehearsal and prints how to drive it.

use super::advance::{ask, drive};
use super::session::{Mode, Session};
use super::{EXIT_JOURNAL, Exit};
use crate::clock;
use crate::cluster::rehearsal::BUILTIN_PLAN;
use crate::journal;
use crate::stage::Step;
use crate::view::StatusView;
use std::io::IsTerminal;
use std::path::Path;

/// Writes the rehearsal plan (once) and returns its path.
pub fn prepare(dir: &Path, reset: bool) -> Result<std::path::PathBuf, Exit> {
    let io = |e: std::io::Error| {
        Exit::new(
            EXIT_JOURNAL,
            format!("cannot prepare the rehearsal in {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let plan = dir.join("migration.toml");
    if reset {
        let j = journal::journal_path(&plan);
        if j.exists() {
            std::fs::remove_file(&j).map_err(io)?;
        }
    }
    if !plan.exists() {
        std::fs::write(&plan, BUILTIN_PLAN).map_err(io)?;
    }
    Ok(plan)
}

pub async fn run(dir: &Path, reset: bool) -> Result<u8, Exit> {
    let plan = prepare(dir, reset)?;
    let p = plan.display();
    if !std::io::stdin().is_terminal() {
        println!("rehearsal plan: {p}");
        println!(
            "drive it with:\n  rocketmq-migrate -c {p} status\n  rocketmq-migrate -c {p} advance preflight\n  rocketmq-migrate -c {p} sync-metadata\n  rocketmq-migrate -c {p} advance metadata\n  rocketmq-migrate -c {p} advance orders\n  rocketmq-migrate -c {p} report"
        );
        return Ok(0);
    }
    let mut s = Session::open(&plan, Mode::Drive("demo"))?;
    println!(
        "Rehearsal: two simulated clusters, nothing real is touched. The journal is {}.",
        s.journal_path.display()
    );
    loop {
        s.poll().await?;
        let view = StatusView::build(
            &s.wizard,
            &s.journal_path.display().to_string(),
            clock::now(),
        );
        println!("\n{}", view.render_text());
        let Some(step) = s.wizard.pending_steps().into_iter().next() else {
            println!(
                "The rehearsal migration is complete. `rocketmq-migrate -c {p} report` tells its story."
            );
            return Ok(0);
        };
        let action = s
            .wizard
            .forward_verdict(&step, clock::now())
            .map(|(_, v)| v.action)
            .unwrap_or_default();
        let Some(answer) = ask(&format!(
            "Next: {action} ({step}). [Enter] try it  [s] create missing metadata  [r] refresh  [b] roll back a batch  [q] quit > "
        )) else {
            return Ok(0);
        };
        match answer.as_str() {
            "q" => {
                println!(
                    "Stopped. The journal keeps the state: run the demo again to continue where you left off."
                );
                return Ok(0);
            }
            "r" => continue,
            "s" => {
                drop(s);
                super::sync::run(&plan, false).await?;
                s = Session::open(&plan, Mode::Drive("demo"))?;
            }
            "b" => {
                if let Some(name) = ask("Roll back which batch? ") {
                    drive(&mut s, Step::Batch(name), false, false, vec![], true).await?;
                }
            }
            _ => {
                let acks = match s.wizard.forward_verdict(&step, clock::now()) {
                    Some((_, v))
                        if v.status() == crate::model::Status::Pass
                            && v.unacknowledged().next().is_some() =>
                    {
                        let mut acks = vec![];
                        for w in v.unacknowledged() {
                            if ask(&format!("Warning: {}\nAcknowledge? [y/N] ", w.text))
                                .is_some_and(|a| a.eq_ignore_ascii_case("y"))
                            {
                                acks.push(w.id.clone());
                            }
                        }
                        acks
                    }
                    _ => vec![],
                };
                drive(&mut s, step, true, false, acks, true).await?;
            }
        }
    }
}
