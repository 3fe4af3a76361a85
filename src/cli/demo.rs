//! demo: the rehearsal on two simulated clusters, in the wizard. Without a terminal it prepares
//! the rehearsal and prints how to drive it with the headless commands.

use super::{EXIT_BAD_INPUT, EXIT_JOURNAL, EXIT_NOT_READY, Exit};
use crate::cluster::rehearsal::measured::{self, Measured};
use crate::cluster::rehearsal::{BUILTIN_PLAN, from_plan};
use crate::plan::Plan;
use crate::{cluster, journal, poll, series};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How far apart the two readings of `--measure` are: long enough for a rate.
const MEASURE_OVER: Duration = Duration::from_secs(10);

/// Reads the operator's source cluster twice for the applications' figures. Read-only: a
/// snapshot, as `status` takes.
async fn measure(own: &Path) -> Result<Measured, Exit> {
    let plan = load(own)?;
    let source = cluster::one(&plan, &plan.source)
        .map_err(|e| Exit::new(EXIT_BAD_INPUT, format!("{}: {e}", own.display())))?;
    let scope = plan.scope();
    let deadline = plan.gates.stale_after.min(Duration::from_secs(20));
    eprintln!(
        "reading {} twice, {} apart, for the applications' figures...",
        source.label(),
        humantime::format_duration(MEASURE_OVER)
    );
    let first = poll::snapshot_with_deadline(source.as_ref(), &scope, deadline).await;
    tokio::time::sleep(MEASURE_OVER).await;
    let second = poll::snapshot_with_deadline(source.as_ref(), &scope, deadline).await;
    if let Some(e) = second.unreachable.as_ref().or(first.unreachable.as_ref()) {
        return Err(Exit::new(
            EXIT_NOT_READY,
            format!(
                "cannot measure {}: {e}; run without --measure to invent the figures",
                source.label()
            ),
        ));
    }
    Ok(measured::measure(
        &plan,
        &first,
        &second,
        from_plan::writers,
    ))
}

fn load(own: &Path) -> Result<Plan, Exit> {
    Plan::load(own).map_err(|e| Exit::new(EXIT_BAD_INPUT, format!("{}: {e}", own.display())))
}

/// Writes the rehearsal plan (once; of the operator's own plan when given, with the measured
/// figures when read) and returns its path.
pub fn prepare(
    dir: &Path,
    reset: bool,
    own: Option<&Path>,
    measured: Option<&Measured>,
) -> Result<PathBuf, Exit> {
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
    match own {
        // A rehearsal under way keeps its plan: --reset starts it over from the operator's.
        Some(_) if under_way(dir, reset) => {}
        Some(own) => {
            let source = load(own)?;
            let (text, scenario) =
                from_plan::rehearsal_of(&source, &own.display().to_string(), measured);
            std::fs::write(&plan, text).map_err(io)?;
            std::fs::write(dir.join("scenario.toml"), scenario).map_err(io)?;
        }
        None if !plan.exists() => std::fs::write(&plan, BUILTIN_PLAN).map_err(io)?,
        None => {}
    }
    Ok(plan)
}

/// Whether the rehearsal in `dir` has a journal that `--reset` does not start over.
fn under_way(dir: &Path, reset: bool) -> bool {
    !reset && journal::journal_path(&dir.join("migration.toml")).exists()
}

pub async fn run(
    dir: &Path,
    reset: bool,
    own: Option<&Path>,
    measure_source: bool,
    log: &Path,
    operator: Option<&str>,
) -> Result<u8, Exit> {
    let measured = match own {
        Some(own) if measure_source && !under_way(dir, reset) => Some(measure(own).await?),
        Some(_) if measure_source => {
            eprintln!(
                "the rehearsal under way keeps its figures: add --reset to start it over with new ones"
            );
            None
        }
        _ => None,
    };
    let plan = prepare(dir, reset, own, measured.as_ref())?;
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
