//! init: a starting plan from a live source cluster, for the operator to edit.

use super::{EXIT_BAD_INPUT, EXIT_NOT_READY, Exit};
use crate::cluster::remoting::admin::{Admin, Settings};
use crate::plan::SecretRef;
use crate::plan::draft::{self, is_system_name};
use futures::future::join_all;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub struct InitArgs<'a> {
    pub namesrv: &'a str,
    pub single_batch: bool,
    pub force: bool,
    pub access_key: Option<&'a str>,
    pub secret_key_env: Option<&'a str>,
}

pub async fn run(plan: &Path, a: InitArgs<'_>) -> Result<u8, Exit> {
    if plan.exists() && !a.force {
        return Err(Exit::new(
            EXIT_BAD_INPUT,
            format!(
                "{} exists: pass --force to overwrite it, or -c to write elsewhere",
                plan.display()
            ),
        ));
    }
    let namesrv: Vec<String> = a
        .namesrv
        .split([',', ';'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let acl = match (a.access_key, a.secret_key_env) {
        (Some(ak), Some(var)) => Some((
            ak.to_string(),
            SecretRef::Env(var.to_string())
                .resolve("--secret-key-env", Path::new("."))
                .map_err(|e| Exit::new(EXIT_BAD_INPUT, e))?,
        )),
        (None, None) => None,
        _ => {
            return Err(Exit::new(
                EXIT_BAD_INPUT,
                "--access-key and --secret-key-env go together",
            ));
        }
    };
    let admin = Admin::new(Settings::default(), acl);
    let brokers = admin
        .cluster_info(&namesrv)
        .await
        .map_err(|e| Exit::new(EXIT_NOT_READY, format!("NameServer {}: {e}", a.namesrv)))?;
    let masters: Vec<String> = brokers
        .values()
        .filter_map(|b| b.master().map(str::to_string))
        .collect();
    if masters.is_empty() {
        return Err(Exit::new(
            EXIT_NOT_READY,
            format!("no master broker is registered with {}", a.namesrv),
        ));
    }
    let mut topics = BTreeSet::new();
    let mut groups = BTreeSet::new();
    for m in &masters {
        let t = admin
            .topic_configs(m)
            .await
            .map_err(|e| Exit::new(EXIT_NOT_READY, e.to_string()))?;
        topics.extend(
            t.into_keys()
                .filter(|t| !is_system_name(t) && !brokers.contains_key(t)),
        );
        let g = admin
            .subscription_groups(m)
            .await
            .map_err(|e| Exit::new(EXIT_NOT_READY, e.to_string()))?;
        groups.extend(g.into_keys().filter(|g| !is_system_name(g)));
    }
    eprintln!(
        "found {} topics and {} consumer groups on {} broker(s); reading who consumes what...",
        topics.len(),
        groups.len(),
        masters.len()
    );
    let admin = &admin;
    let masters = &masters;
    let consumption: BTreeMap<String, BTreeSet<String>> =
        join_all(groups.iter().map(|g| async move {
            let mut consumed = BTreeSet::new();
            for m in masters {
                if let Ok(c) = admin.consumer_connection(m, g).await {
                    consumed.extend(c.subscriptions.into_keys());
                }
                if let Ok(Some(s)) = admin.consume_stats(m, g).await {
                    consumed.extend(s.queues.into_iter().map(|(q, _)| q.topic));
                }
            }
            (
                g.clone(),
                consumed
                    .into_iter()
                    .filter(|t| !is_system_name(t))
                    .collect(),
            )
        }))
        .await
        .into_iter()
        .collect();
    let batches = draft::draft(&consumption, a.single_batch);
    let consumed: BTreeSet<String> = batches
        .iter()
        .flat_map(|b| b.topics.iter().cloned())
        .collect();
    let unconsumed: BTreeSet<String> = topics.difference(&consumed).cloned().collect();
    let text = draft::render(&namesrv, &batches, &unconsumed);
    std::fs::write(plan, text).map_err(|e| {
        Exit::new(
            EXIT_BAD_INPUT,
            format!("cannot write {}: {e}", plan.display()),
        )
    })?;
    println!(
        "wrote {} with {} batch(es); fill in [target] and review the batches, then run `rocketmq-migrate -c {} check`",
        plan.display(),
        batches.len(),
        plan.display()
    );
    Ok(0)
}
