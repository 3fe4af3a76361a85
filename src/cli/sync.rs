//! sync-metadata: create on the target what it lacks, with the source's settings. It lists
//! exactly what it will create and asks first (`--yes` for scripts). Idempotent; never changes
//! or deletes what exists (differences are reported).

use super::{EXIT_BAD_INPUT, EXIT_NOT_READY, Exit, ask, is_yes};
use crate::clock;
use crate::journal::Entry;
use crate::metadata;
use crate::plan::Side;
use crate::session::{Mode, Session};
use std::io::IsTerminal;
use std::path::Path;

pub async fn run(
    plan: &Path,
    dry_run: bool,
    yes: bool,
    operator: Option<&str>,
) -> Result<u8, Exit> {
    let can_ask = std::io::stdin().is_terminal();
    // Without a way to confirm, nothing is written: not even the journal.
    let writes = !dry_run && (yes || can_ask);
    let mut s = Session::open(
        plan,
        if writes {
            Mode::Drive {
                command: "sync-metadata",
                operator,
            }
        } else {
            Mode::ReadOnly
        },
    )?;
    s.poll().await?;
    let p = s.clusters.propose_sync(&s.wizard, clock::now());
    for u in &p.unknown {
        println!("unknown: {u}");
    }
    if !p.unknown.is_empty() {
        println!("cannot compare metadata while part of it is unknown: nothing created");
        return Ok(EXIT_NOT_READY);
    }
    for d in &p.differing {
        println!("differs (left as it is): {d}");
    }
    if p.create.is_empty() && p.cannot.is_empty() {
        println!("the target has every topic and group of the plan: nothing to create");
        return Ok(0);
    }
    let n = p.create.len();
    let verb = if dry_run { "would create" } else { "to create" };
    for (i, planned) in p.create.iter().enumerate() {
        println!("[{}/{n}] {verb} {}", i + 1, planned.line());
    }
    for planned in &p.cannot {
        println!("cannot create {}", planned.line());
    }
    if dry_run {
        println!("dry run: nothing was changed");
        return Ok(0);
    }
    let name = s.wizard.plan.target.name.clone();
    if n > 0 && !yes {
        match ask(&format!("{} [y/N] ", p.question(&name))) {
            None => {
                return Err(Exit::new(
                    EXIT_BAD_INPUT,
                    format!(
                        "sync-metadata would create {} on the target '{name}' and there is no terminal to ask: pass --yes to create them, or --dry-run to look without changing anything",
                        metadata::these_items(n)
                    ),
                ));
            }
            Some(a) if is_yes(&a) => {}
            Some(_) => {
                println!("not confirmed: nothing created");
                return Ok(0);
            }
        }
    }
    let mut failed = 0;
    for (i, planned) in p.create.iter().enumerate() {
        let item = &planned.item;
        match s.clusters.create_on_target(item).await {
            Ok(done) => {
                s.commit(vec![Entry::MetadataCreated {
                    side: Side::Target,
                    item: item.clone(),
                }])?;
                println!("[{}/{n}] {} {}", i + 1, done.word(), item.describe());
            }
            Err(e) => {
                failed += 1;
                s.commit(vec![Entry::Error {
                    context: format!("sync-metadata {}", item.name()),
                    message: e.clone(),
                }])?;
                println!("[{}/{n}] FAILED {}: {e}", i + 1, item.describe());
            }
        }
    }
    // What cannot be created is not tried; the journal keeps why, like a failure.
    for planned in &p.cannot {
        if let Err(why) = &planned.how {
            failed += 1;
            s.commit(vec![Entry::Error {
                context: format!("sync-metadata {}", planned.item.name()),
                message: format!("cannot be created: {why}"),
            }])?;
            println!("NOT CREATED {}: {why}", planned.item.describe());
        }
    }
    Ok(if failed > 0 { EXIT_NOT_READY } else { 0 })
}
