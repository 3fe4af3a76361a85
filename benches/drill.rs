//! Drill benchmark: the wizard, in a real terminal, on two real clusters of 2,000 consumer groups
//! and 1,000 topics each, while applications produce and consume. Measures
//! 1. the time from a consumer connecting on the target (its client started and registered) to
//!    the wizard's gate panel showing it, with the default poll interval;
//! 2. the snapshot of both clusters, as the wizard polls them, while all of that runs.
//!
//! `cargo build --release --examples && cargo bench --bench drill` (needs the servers of
//! scripts/install-rocketmq-servers.sh and tmux). Results go to stdout as Markdown.

mod common;
#[path = "../tests/support/servers.rs"]
mod servers;
#[path = "../tests/support/tmux.rs"]
mod tmux;

use common::{GROUPS, TOPICS, group, peak_rss_kb, populate, topic};
use rocketmq_migrate::plan::Plan;
use rocketmq_migrate::{cluster, poll};
use servers::{App, MqCluster};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rocketmq-migrate");
const SAMPLES: usize = 20;
const SNAPSHOTS: usize = 20;
/// Groups 2i and 2i+1 consume topic i; a batch is 100 groups and their 50 topics.
const GROUPS_PER_BATCH: usize = 100;

fn topic_of(g: usize) -> usize {
    g / 2
}

/// A plan with default gates: the "latency" batch the measurement moves, then the 2,000 groups.
fn write_plan(dir: &Path, old: &MqCluster, new: &MqCluster) -> std::path::PathBuf {
    let mut p = format!(
        "[source]\nname = \"old\"\nkind = \"remoting\"\nnamesrv = [\"{}\"]\n\
         [target]\nname = \"new\"\nkind = \"remoting\"\nnamesrv = [\"{}\"]\n\
         [[batch]]\nname = \"latency\"\ntopics = [\"T_LATENCY\"]\nconsumer_groups = [\"G_LATENCY\"]\nproducer_groups = [\"P_LATENCY\"]\n",
        old.namesrv, new.namesrv
    );
    for b in 0..GROUPS / GROUPS_PER_BATCH {
        let groups: Vec<usize> = (b * GROUPS_PER_BATCH..(b + 1) * GROUPS_PER_BATCH).collect();
        let quoted = |v: Vec<String>| {
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut topics: Vec<usize> = groups.iter().map(|g| topic_of(*g)).collect();
        topics.dedup();
        p.push_str(&format!(
            "[[batch]]\nname = \"bulk{b:02}\"\ntopics = [{}]\nconsumer_groups = [{}]\n[batch.subscriptions]\n",
            quoted(topics.into_iter().map(topic).collect()),
            quoted(groups.iter().map(|g| group(*g)).collect()),
        ));
        for g in groups {
            p.push_str(&format!("{} = [\"{}\"]\n", group(g), topic(topic_of(g))));
        }
    }
    let path = dir.join("migration.toml");
    std::fs::write(&path, p).unwrap();
    path
}

fn wizard(plan: &Path, args: &[&str]) {
    let o = Command::new(BIN)
        .arg("-c")
        .arg(plan)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "min {:.0}, median {:.0}, p90 {:.0}, max {:.0}",
        v[0],
        percentile(&v, 0.5),
        percentile(&v, 0.9),
        v[v.len() - 1]
    )
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("drill benchmark: run it with `cargo bench --bench drill`");
        return;
    }
    eprintln!("starting two clusters of {GROUPS} groups and {TOPICS} topics...");
    let old = MqCluster::start("old");
    let new = MqCluster::start("new");
    for c in [&old, &new] {
        populate(c, topic_of);
        c.create(&["T_LATENCY"], &["G_LATENCY"]);
    }
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(dir.path(), &old, &new);
    let defaults = Plan::load(&plan).unwrap().gates;
    eprintln!("poll interval {:?}", defaults.poll_interval);

    // The drill's traffic: a producer and two consumers on the source, one more consumer of a
    // bulk group on each cluster.
    let _apps = [
        App::start(
            &old.namesrv,
            &[
                "produce",
                "--group",
                "P_LATENCY",
                "--topic",
                "T_LATENCY",
                "--rate",
                "50",
                "--prefix",
                "bench",
            ],
        ),
        App::consumer(&old.namesrv, "G_LATENCY", "T_LATENCY"),
        App::consumer(&old.namesrv, "G_LATENCY", "T_LATENCY"),
        App::consumer(&old.namesrv, &group(0), &topic(topic_of(0))),
        App::consumer(&new.namesrv, &group(0), &topic(topic_of(0))),
    ];
    std::thread::sleep(Duration::from_secs(6));
    wizard(&plan, &["advance", "preflight", "--yes"]);
    wizard(&plan, &["advance", "metadata", "--yes"]);
    wizard(&plan, &["advance", "latency", "--yes"]);

    // The wizard in a terminal, on the gate of the next move: release producers, which needs a
    // G_LATENCY consumer on the target.
    let t = tmux::Tmux::new();
    t.start("w", &format!("{BIN} -c {} run", plan.display()));
    let shown = "of G_LATENCY online on target";
    let absent = "G_LATENCY has no consumer online on target";
    t.wait_for("w", absent, Duration::from_secs(60));
    let mut latencies = vec![];
    for i in 0..SAMPLES {
        let c = App::consumer(&new.namesrv, "G_LATENCY", "T_LATENCY");
        let connected = *c.ready_at.get().unwrap();
        loop {
            if t.screen("w").contains(shown) {
                break;
            }
            assert!(connected.elapsed() < Duration::from_secs(30), "never shown");
            std::thread::sleep(Duration::from_millis(10));
        }
        let ms = connected.elapsed().as_secs_f64() * 1000.0;
        eprintln!("sample {i}: {ms:.0} ms");
        latencies.push(ms);
        c.stop();
        t.wait_for("w", absent, Duration::from_secs(60));
        // Start the next sample at another point of the poll cycle.
        std::thread::sleep(Duration::from_millis(137 * (i as u64 % 7)));
    }

    // Both clusters as the wizard polls them: while the wizard itself keeps polling them too,
    // then with the wizard closed (the applications still running).
    let p = Plan::load(&plan).unwrap();
    let clusters = cluster::connect(&p).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let snapshots = |label: &str| {
        let mut walls = vec![];
        let mut errors = 0;
        for _ in 0..SNAPSHOTS {
            let start = Instant::now();
            let (s, d) = rt.block_on(poll::snapshot_both(
                &clusters,
                &p.scope(),
                Duration::from_secs(20),
            ));
            walls.push(start.elapsed().as_secs_f64() * 1000.0);
            for snap in [&s, &d] {
                assert_eq!(snap.groups.len(), GROUPS + 1);
                errors += snap.errors.len() + usize::from(snap.unreachable.is_some());
            }
            std::thread::sleep(defaults.poll_interval);
        }
        format!(
            "| snapshot of both clusters ({} groups, {} topics each) {label}, ms | {} ({SNAPSHOTS} snapshots, {errors} errors) | under 1,000 |",
            GROUPS + 1,
            TOPICS + 1,
            summary(walls)
        )
    };
    let with_wizard = snapshots("while the wizard polls them too");
    t.key("w", "q");
    t.key("w", "y");
    t.wait_for("w", "EXITED 0", Duration::from_secs(10));
    let alone = snapshots("with the wizard closed");

    println!("\n| measure | result | target |");
    println!("|---|---|---|");
    println!(
        "| consumer connected on the target -> shown on the wizard's gate panel, poll interval {}, ms | {} ({SAMPLES} samples) | under 2,000 |",
        humantime::format_duration(defaults.poll_interval),
        summary(latencies)
    );
    println!("{with_wizard}");
    println!("{alone}");
    println!(
        "\npeak RSS of the benchmark process (its snapshots): {:.1} MB",
        peak_rss_kb() as f64 / 1024.0
    );
}
