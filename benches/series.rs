//! Series benchmark: the backlog series file at its bound (every group of a large plan holding
//! `MAX_POINTS_PER_GROUP` points on each cluster), as the driving process opens it at start and
//! as the report reads it. Each variant runs in a fresh process, so the peak resident memory is
//! its own. `cargo bench --bench series`; results in BENCHMARKS.md.

#[allow(dead_code)]
mod common;
#[path = "../tests/support/servers.rs"]
mod servers;

use common::peak_rss_kb;
use rocketmq_migrate::model::Snapshot;
use rocketmq_migrate::plan::{Plan, Side};
use rocketmq_migrate::report::Recorded;
use rocketmq_migrate::series::{self, MAX_POINTS_PER_GROUP, Point, Recorder};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const GROUPS: usize = 200;
const RUNS: usize = 5;

/// Writes the file a night's recording leaves at the bound: points interleaved in time, as the
/// polls append them.
fn write_file(path: &Path) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..MAX_POINTS_PER_GROUP as u64 {
        for side in [Side::Source, Side::Target] {
            for g in 0..GROUPS {
                let p = Point {
                    at: 1_700_000_000_000 + i * 10_000,
                    side,
                    group: format!("GID_APPLICATION_{g:04}"),
                    backlog: Some((i * 7 + g as u64) % 100_000),
                    consumers: Some((g % 4) as u64),
                };
                serde_json::to_writer(&mut out, &p).unwrap();
                out.write_all(b"\n").unwrap();
            }
        }
    }
    out.flush().unwrap();
}

/// A plan whose one batch holds the file's groups.
fn plan() -> Plan {
    let groups: Vec<String> = (0..GROUPS)
        .map(|g| format!("\"GID_APPLICATION_{g:04}\""))
        .collect();
    let text = format!(
        "[source]\nkind = \"rehearsal\"\n[target]\nkind = \"rehearsal\"\n[[batch]]\nname = \"all\"\ntopics = [\"T\"]\nconsumer_groups = [{}]\n",
        groups.join(", ")
    );
    Plan::parse(Path::new("migration.toml"), &text).unwrap()
}

fn measure(what: &str, path: &Path) {
    let t = Instant::now();
    let n = match what {
        "open" => {
            let r = Recorder::open(path).unwrap();
            drop(r);
            0
        }
        "compact" => {
            // One more poll puts every source group over the bound: the file is thinned.
            let mut r = Recorder::open(path).unwrap();
            let after = 1_700_000_000_000 + MAX_POINTS_PER_GROUP as u64 * 10_000;
            let poll = Snapshot::unreachable(Side::Source, "old", "rehearsal", after, "bench");
            r.observe(&plan(), &poll).unwrap()
        }
        _ => {
            // As `report --html` takes it in: a chart's lines for every group of the plan.
            let mut charts = Recorded::new(&plan());
            let mut n = 0;
            series::each_point(path, |p| {
                charts.add(&p);
                n += 1;
            })
            .unwrap();
            n
        }
    };
    println!(
        "{} {} {n}",
        t.elapsed().as_secs_f64() * 1000.0,
        peak_rss_kb()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("series benchmark: run it with `cargo bench --bench series`");
        return;
    }
    let rest: Vec<&String> = args.iter().filter(|a| *a != "--bench").collect();
    if let [cmd, what, path] = rest.as_slice()
        && cmd.as_str() == "measure"
    {
        measure(what, Path::new(path.as_str()));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("migration.series.jsonl");
    write_file(&path);
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "| file | {GROUPS} groups x 2 clusters x {MAX_POINTS_PER_GROUP} points, {:.1} MB |",
        size as f64 / 1e6
    );
    println!("| variant | median ms | peak RSS MB |\n|---|---|---|");
    let me = std::env::current_exe().unwrap();
    for (what, label) in [
        (
            "open",
            "the driving process opens it (pace and bound taken in)",
        ),
        (
            "compact",
            "the driving process thins it (a poll puts every source group over the bound)",
        ),
        ("read", "the report takes in every point"),
    ] {
        let copy = dir.path().join("thinned.series.jsonl");
        let mut runs: Vec<(f64, f64)> = (0..RUNS)
            .map(|_| {
                // Thinning rewrites the file: each run gets the file at its bound.
                let file = if what == "compact" {
                    std::fs::copy(&path, &copy).unwrap();
                    &copy
                } else {
                    &path
                };
                let o = Command::new(&me)
                    .args(["--bench", "measure", what])
                    .arg(file)
                    .output()
                    .unwrap();
                let line = String::from_utf8_lossy(&o.stdout).to_string();
                let f: Vec<f64> = line
                    .split_whitespace()
                    .map(|x| x.parse().unwrap())
                    .collect();
                (f[0], f[1] / 1024.0)
            })
            .collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (ms, rss) = runs[RUNS / 2];
        println!("| {label} | {ms:.0} | {rss:.1} |");
    }
}
