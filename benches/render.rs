//! Rendering benchmark: one frame of the full dashboard with 2,000 consumer groups (release
//! build), and the wizard's CPU use while nothing changes (the rehearsal demo, idle, in tmux).
//! `cargo bench --bench render`; results in BENCHMARKS.md.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rocketmq_migrate::model::*;
use rocketmq_migrate::plan::{Plan, Side};
use rocketmq_migrate::ui::app::{App, Event};
use rocketmq_migrate::ui::render;
use rocketmq_migrate::wizard::Wizard;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const GROUPS: usize = 2000;
const BATCHES: usize = 20;

fn plan() -> Plan {
    let mut text = String::from("[source]\nkind = \"rehearsal\"\n[target]\nkind = \"rehearsal\"\n");
    for b in 0..BATCHES {
        let per = GROUPS / BATCHES;
        let groups: Vec<String> = (0..per)
            .map(|i| format!("\"GID_APP{b:02}_{i:03}\""))
            .collect();
        text.push_str(&format!("[[batch]]\nname = \"app{b:02}\"\ntopics = [\"TOPIC_{b:02}\"]\nconsumer_groups = [{}]\nproducer_groups = [\"PID_APP{b:02}\"]\n", groups.join(", ")));
    }
    Plan::parse(Path::new("bench.toml"), &text).unwrap()
}

fn snapshot(plan: &Plan, side: Side, at: u64) -> Snapshot {
    let mut s = Snapshot::unreachable(side, side.name(), "bench", at, "");
    s.unreachable = None;
    for (bi, b) in plan.batches.iter().enumerate() {
        s.topics.insert(
            b.topics[0].clone(),
            TopicState {
                exists: Known::Known(true),
                consumed_by: Known::Known(Default::default()),
                max_offset: Known::Known(1_000_000 + bi as u64),
                config: None,
            },
        );
        for (gi, g) in b.groups.iter().enumerate() {
            let backlog = ((bi * 31 + gi * 17) % 5000) as u64;
            let clients = (0..(gi % 3))
                .map(|i| Client {
                    client_id: format!("10.0.{bi}.{i}@{gi}"),
                    addr: format!("10.0.{bi}.{i}:5000"),
                    language: "JAVA".into(),
                    version: Some("V4_9_4".into()),
                    message_model: Some(MessageModel::Clustering),
                })
                .collect();
            s.groups.insert(
                g.name.clone(),
                GroupState {
                    exists: Known::Known(true),
                    backlog: Known::Known(Backlog {
                        total: backlog,
                        per_topic: BTreeMap::from([(
                            b.topics[0].clone(),
                            TopicLag {
                                backlog,
                                broker_offset: 1_000_000,
                                ..Default::default()
                            },
                        )]),
                    }),
                    consumers: Known::Known(clients),
                    subscriptions: Known::Known(Subscriptions::from([(
                        b.topics[0].clone(),
                        Expressions::Seen([Filter::all()].into()),
                    )])),
                    config: None,
                    consume_tps: Some(12.0),
                },
            );
        }
        s.producers
            .groups
            .insert(b.producer_groups[0].clone(), Known::Known(vec![]));
    }
    s
}

fn frame_times() -> (f64, f64, f64) {
    let plan = plan();
    let now = 1_700_000_000_000;
    let mut app = App::new(
        Wizard::new(plan.clone(), &[]).unwrap(),
        "j".into(),
        "l".into(),
    );
    for k in 0..30 {
        let at = now - (30 - k) * 2000;
        app.handle(
            Event::Observed(Box::new(snapshot(&plan, Side::Source, at))),
            at,
        );
        app.handle(
            Event::Observed(Box::new(snapshot(&plan, Side::Target, at))),
            at,
        );
    }
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let mut times = vec![];
    for i in 0..600 {
        app.ui.scroll = (i * 7) % GROUPS;
        let t = Instant::now();
        // A frame as the wizard makes one: the clock event recomputes the screen, then it is drawn.
        app.handle(Event::Tick, now);
        term.draw(|f| render::draw(f, &app)).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let times = &mut times[100..];
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    (mean, times[times.len() / 2], times[times.len() * 99 / 100])
}

fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// CPU share of the idle wizard over `secs`, in percent of one core.
fn idle_cpu(secs: u64) -> Option<f64> {
    let dir = tempfile::tempdir().ok()?;
    let socket = format!("rmq-bench-{}", std::process::id());
    let bin = env!("CARGO_BIN_EXE_rocketmq-migrate");
    let cmd = format!(
        "cd {} && exec {bin} demo --dir {}",
        dir.path().display(),
        dir.path().display()
    );
    Command::new("tmux")
        .args([
            "-L",
            &socket,
            "new-session",
            "-d",
            "-s",
            "idle",
            "-x",
            "160",
            "-y",
            "48",
            &cmd,
        ])
        .status()
        .ok()?;
    std::thread::sleep(Duration::from_secs(3));
    let pid = String::from_utf8(
        Command::new("tmux")
            .args([
                "-L",
                &socket,
                "list-panes",
                "-t",
                "idle",
                "-F",
                "#{pane_pid}",
            ])
            .output()
            .ok()?
            .stdout,
    )
    .ok()?
    .trim()
    .to_string();
    let before = cpu_ticks(&pid)?;
    std::thread::sleep(Duration::from_secs(secs));
    let after = cpu_ticks(&pid)?;
    let _ = Command::new("tmux")
        .args(["-L", &socket, "kill-server"])
        .status();
    let hz = 100.0;
    Some((after - before) as f64 / hz / secs as f64 * 100.0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("render benchmark: run it with `cargo bench --bench render`");
        return;
    }
    let (mean, median, p99) = frame_times();
    println!(
        "| full dashboard, {GROUPS} groups, 160x48, one frame | mean {mean:.3} ms | median {median:.3} ms | p99 {p99:.3} ms |"
    );
    match idle_cpu(30) {
        Some(cpu) => println!(
            "| idle wizard (rehearsal demo, polls every 2 s, clock redraw every 1 s), 30 s | {cpu:.2} % of one core | | |"
        ),
        None => println!("| idle wizard | could not be measured (tmux missing?) | | |"),
    }
}
