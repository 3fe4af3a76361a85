//! Snapshot benchmark: one cluster with 2,000 consumer groups and 1,000 topics on loopback.
//! `cargo bench --bench snapshot` sets the cluster up, then measures, each in a fresh process
//! (so resident memory is the snapshot's own): the concurrent snapshot, the same through a proxy
//! adding 20 ms per round trip, the same work one request at a time, and, when installed,
//! `rocketmq-admin-cli consumer consumerProgress` on the same cluster. Results go to stdout as a
//! Markdown table (copied into BENCHMARKS.md).

mod common;
#[path = "../tests/support/proxy.rs"]
mod proxy;
#[path = "../tests/support/servers.rs"]
mod servers;

use common::{GROUPS, TOPICS, group, peak_rss_kb, populate, populate_on, topic};
use rocketmq_migrate::cluster::Cluster;
use rocketmq_migrate::cluster::remoting::RemotingCluster;
use rocketmq_migrate::cluster::remoting::admin::Settings;
use rocketmq_migrate::plan::{ClusterKind, ClusterSpec, GroupPlan, RemotingSpec, Scope, Side};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn scope() -> Scope {
    Scope {
        topics: (0..TOPICS).map(topic).collect(),
        groups: (0..GROUPS)
            .map(|i| GroupPlan {
                name: group(i),
                topics: vec![topic(i % TOPICS)],
            })
            .collect(),
        producer_groups: vec!["BENCH_PRODUCER".into()],
    }
}

/// One measurement: first snapshot ms, warm median ms, peak RSS KiB, errors in the last snapshot.
type Measured = (f64, f64, u64, usize);

/// Child mode: RUNS snapshots, printing "wall_ms_first wall_ms_median rss_kb requests_ok".
fn measure(namesrv: &str, in_flight: usize, via: &[(String, String)]) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let spec = RemotingSpec {
        namesrv: vec![namesrv.to_string()],
        acl: None,
        namespace: None,
        timeout: Duration::from_secs(10),
        connect_via: via.iter().cloned().collect(),
        tls: None,
    };
    let cs = ClusterSpec {
        side: Side::Source,
        name: "bench".into(),
        kind: ClusterKind::Remoting(spec.clone()),
    };
    let settings = Settings {
        timeout: Duration::from_secs(10),
        max_in_flight: in_flight,
        connect_via: spec.connect_via.clone(),
        ..Settings::default()
    };
    let cluster = RemotingCluster::new(&cs, &spec, None, settings);
    let scope = scope();
    let mut walls = vec![];
    let mut errors = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let s = rt.block_on(cluster.snapshot(&scope));
        walls.push(t.elapsed().as_secs_f64() * 1000.0);
        errors = s.errors.len() + usize::from(s.unreachable.is_some());
        assert_eq!(s.groups.len(), GROUPS);
        let unknown: Vec<&str> = (s.groups.values())
            .filter_map(|g| g.backlog.reason())
            .take(3)
            .collect();
        assert!(
            unknown.is_empty(),
            "every group's backlog is known: {unknown:?}"
        );
    }
    let first = walls[0];
    let mut warm = walls[1..].to_vec();
    warm.sort_by(f64::total_cmp);
    println!(
        "{first:.1} {:.1} {} {errors}",
        warm[warm.len() / 2],
        peak_rss_kb()
    );
}

fn run_child(args: &[String]) -> Measured {
    let exe = std::env::current_exe().unwrap();
    let o = Command::new(exe)
        .arg("--bench")
        .arg("measure")
        .args(args)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out.lines().last().unwrap_or_default().to_string();
    let v: Vec<&str> = line.split_whitespace().collect();
    assert!(
        v.len() == 4,
        "measure failed: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (
        v[0].parse().unwrap(),
        v[1].parse().unwrap(),
        v[2].parse().unwrap(),
        v[3].parse().unwrap(),
    )
}

fn admin_cli() -> Option<std::path::PathBuf> {
    let p = servers::bin_dir().join("rocketmq-admin-cli");
    p.exists().then_some(p)
}

/// `rocketmq-admin-cli consumer consumerProgress` on the cluster: wall ms and what it printed.
fn consumer_progress(cli: &std::path::Path, namesrv: &str) -> (f64, String) {
    let t = Instant::now();
    let o = Command::new(cli)
        .args(["consumer", "consumerProgress", "-n", namesrv])
        .output()
        .unwrap();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let out = String::from_utf8_lossy(&o.stdout);
    let lines = out
        .lines()
        .filter(|l| l.starts_with("BENCH_GROUP_"))
        .count();
    let outcome = format!("exit {:?}, {lines} groups listed", o.status.code());
    (ms, outcome)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("snapshot benchmark: run it with `cargo bench --bench snapshot`");
        return;
    }
    let rest: Vec<String> = args.iter().filter(|a| *a != "--bench").cloned().collect();
    if rest.first().map(String::as_str) == Some("measure") {
        let via: Vec<(String, String)> = rest
            .get(3)
            .map(|s| {
                s.split(',')
                    .filter_map(|p| p.split_once('=').map(|(a, b)| (a.into(), b.into())))
                    .collect()
            })
            .unwrap_or_default();
        measure(&rest[1], rest[2].parse().unwrap(), &via);
        return;
    }
    eprintln!("starting a cluster and creating {TOPICS} topics and {GROUPS} groups...");
    let c = servers::MqCluster::start("bench");
    let t = Instant::now();
    populate(&c, |i| i % TOPICS);
    eprintln!("populated in {:.1}s", t.elapsed().as_secs_f64());
    let proxy = proxy::DelayProxy::start(&c.broker_addr, Duration::from_millis(10));
    let ns_proxy = proxy::DelayProxy::start(&c.namesrv, Duration::from_millis(10));
    let via = format!(
        "{}={},{}={}",
        c.broker_addr, proxy.addr, ns_proxy.addr, ns_proxy.addr
    );
    let mut rows: Vec<(&str, Measured)> = vec![
        (
            "concurrent (256 in flight)",
            run_child(&[c.namesrv.clone(), "256".into()]),
        ),
        (
            "concurrent, +20 ms round trip",
            run_child(&[ns_proxy.addr.clone(), "256".into(), via.clone()]),
        ),
        (
            "one request in flight",
            run_child(&[c.namesrv.clone(), "1".into()]),
        ),
    ];
    let admin_cli_row = admin_cli().map(|cli| consumer_progress(&cli, &c.namesrv));
    // The same topics and groups on a second broker: every queue and offset is read twice.
    let mut c = c;
    let b = c.add_broker("b");
    populate_on(&c.extra[b].addr, |i| i % TOPICS);
    rows.push((
        "concurrent, two brokers (each with every topic and group)",
        run_child(&[c.namesrv.clone(), "256".into()]),
    ));
    let base = rows[0].1.1;
    println!(
        "\n| variant | first snapshot ms | median ms (warm) | peak RSS MB | errors | vs concurrent |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, (first, median, rss, errors)) in &rows {
        println!(
            "| {name} | {first:.1} | {median:.1} | {:.1} | {errors} | {:.1}x |",
            *rss as f64 / 1024.0,
            median / base
        );
    }
    if let Some((ms, outcome)) = admin_cli_row {
        println!(
            "| rocketmq-admin-cli consumer consumerProgress (one broker) | {ms:.1} | - | - | {outcome} | {:.1}x |",
            ms / base
        );
    } else {
        println!(
            "| rocketmq-admin-cli consumer consumerProgress | not installed: run scripts/install-rocketmq-admin-cli.sh | | | | |"
        );
    }
}
