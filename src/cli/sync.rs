//! sync-metadata: create on the target what it lacks, with the source's settings. Idempotent;
//! never changes or deletes what exists (differences are reported).

use super::{EXIT_NOT_READY, Exit};
use crate::journal::Entry;
use crate::metadata;
use crate::plan::Side;
use crate::session::{Mode, Session};
use std::path::Path;

pub async fn run(plan: &Path, dry_run: bool, operator: Option<&str>) -> Result<u8, Exit> {
    let mut s = Session::open(
        plan,
        if dry_run {
            Mode::ReadOnly
        } else {
            Mode::Drive {
                command: "sync-metadata",
                operator,
            }
        },
    )?;
    s.poll().await?;
    let (Some(src), Some(dst)) = (&s.wizard.source, &s.wizard.target) else {
        return Err(Exit::new(EXIT_NOT_READY, "no snapshot of both clusters"));
    };
    let diff = metadata::diff(&s.wizard.plan, src, dst);
    for u in &diff.unknown {
        println!("unknown: {u}");
    }
    if !diff.unknown.is_empty() {
        println!("cannot compare metadata while part of it is unknown: nothing created");
        return Ok(EXIT_NOT_READY);
    }
    for d in &diff.differing {
        println!("differs (left as it is): {d}");
    }
    if diff.missing.is_empty() {
        println!("the target has every topic and group of the plan: nothing to create");
        return Ok(0);
    }
    let n = diff.missing.len();
    let mut failed = 0;
    for (i, item) in diff.missing.iter().enumerate() {
        if dry_run {
            println!(
                "[{}/{n}] would create {}: {}",
                i + 1,
                item.describe(),
                s.clusters.target.describe_create(item)
            );
            continue;
        }
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
    if dry_run {
        println!("dry run: nothing was changed");
    }
    Ok(if failed > 0 { EXIT_NOT_READY } else { 0 })
}
