//! demo: the rehearsal on two simulated clusters, in the wizard. Without a terminal it prepares
//! the rehearsal and prints how to drive it with the headless commands.

use super::{EXIT_BAD_INPUT, EXIT_JOURNAL, Exit};
use crate::cluster::rehearsal::{BUILTIN_PLAN, from_plan};
use crate::journal;
use crate::plan::Plan;
use crate::series;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Writes the rehearsal plan (once; of the operator's own plan when given) and returns its path.
pub fn prepare(dir: &Path, reset: bool, own: Option<&Path>) -> Result<PathBuf, Exit> {
    let io = |e: std::io::Error| {
        Exit::new(
            EXIT_JOURNAL,
            format!("cannot prepare the rehearsal in {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let plan = dir.join("migration.toml");
    if reset {
        for f in [journal::journal_path(&plan), series::series_path(&plan)] {
            if f.exists() {
                std::fs::remove_file(&f).map_err(io)?;
            }
        }
    }
    let started = journal::journal_path(&plan).exists();
    match own {
        // A rehearsal under way keeps its plan: --reset starts it over from the operator's.
        Some(_) if started => {}
        Some(own) => {
            let source = Plan::load(own)
                .map_err(|e| Exit::new(EXIT_BAD_INPUT, format!("{}: {e}", own.display())))?;
            let (text, scenario) = from_plan::rehearsal_of(&source, &own.display().to_string());
            std::fs::write(&plan, text).map_err(io)?;
            std::fs::write(dir.join("scenario.toml"), scenario).map_err(io)?;
        }
        None if !plan.exists() => std::fs::write(&plan, BUILTIN_PLAN).map_err(io)?,
        None => {}
    }
    Ok(plan)
}

pub async fn run(
    dir: &Path,
    reset: bool,
    own: Option<&Path>,
    log: &Path,
    operator: Option<&str>,
) -> Result<u8, Exit> {
    let plan = prepare(dir, reset, own)?;
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return Ok(crate::ui::run(&plan, log, false, operator).await?);
    }
    let p = plan.display();
    println!("rehearsal plan: {p}");
    println!(
        "open the wizard in a terminal with `rocketmq-migrate demo`, or drive it with:\n  rocketmq-migrate -c {p} status\n  rocketmq-migrate -c {p} advance preflight\n  rocketmq-migrate -c {p} sync-metadata\n  rocketmq-migrate -c {p} advance metadata\n  rocketmq-migrate -c {p} advance orders\n  rocketmq-migrate -c {p} report"
    );
    Ok(0)
}
