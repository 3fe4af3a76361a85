//! A plan over real clusters whose journal already stands where a test wants `advance` asked
//! (journaled as the wizard writes it), the commands run against it, and the producers and
//! consumers of T_ORDER that set up what the brokers hold.
#![allow(dead_code)]

use super::servers::{App, MqCluster, plain_admin};
use super::text;
use rocketmq_migrate::journal::{Entry, Holder, Journal};
use rocketmq_migrate::model::Verdict;
use rocketmq_migrate::stage::Stage;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_rocketmq-migrate");

/// The batch most tests use: T_ORDER, consumed by G_BILLING, written by P_ORDER.
pub const ORDERS: &str = "name = \"orders\"\ntopics = [\"T_ORDER\"]\nconsumer_groups = [\"G_BILLING\"]\nproducer_groups = [\"P_ORDER\"]\n";

pub struct Staged {
    _dir: tempfile::TempDir,
    pub plan: PathBuf,
    source_namesrv: Vec<String>,
    target_namesrv: String,
}

impl Staged {
    /// A plan of one batch (`batch`: the keys under `[[batch]]`, its subtables after them), with
    /// short gates (settle window 2 s); nothing journaled yet: the next step is preflight.
    pub fn plan(source_namesrv: &[&str], target: &MqCluster, batch: &str) -> Staged {
        let dir = tempfile::tempdir().unwrap();
        let s = Staged {
            plan: dir.path().join("migration.toml"),
            _dir: dir,
            source_namesrv: source_namesrv.iter().map(|s| s.to_string()).collect(),
            target_namesrv: target.namesrv.clone(),
        };
        s.rewrite(batch);
        s
    }

    /// As `plan`, with preflight and metadata done and batch "orders" moved up to `stage`.
    pub fn at(source: &MqCluster, target: &MqCluster, batch: &str, stage: Stage) -> Staged {
        Self::over_at(&[&source.namesrv], target, batch, stage)
    }

    /// As `at`, the source reached through every NameServer of `source_namesrv`.
    pub fn over_at(
        source_namesrv: &[&str],
        target: &MqCluster,
        batch: &str,
        stage: Stage,
    ) -> Staged {
        let s = Self::plan(source_namesrv, target, batch);
        s.journal_stage(stage);
        s
    }

    /// Replaces the plan's batch, as an operator edits the plan between two commands.
    pub fn rewrite(&self, batch: &str) {
        std::fs::write(
            &self.plan,
            format!(
                "[source]\nkind = \"remoting\"\nname = \"old\"\nnamesrv = {:?}\n[target]\nkind = \"remoting\"\nname = \"new\"\nnamesrv = [\"{}\"]\n[gates]\nsettle_window = \"2s\"\nstale_after = \"10s\"\npoll_interval = \"500ms\"\n[[batch]]\n{batch}",
                self.source_namesrv, self.target_namesrv
            ),
        )
        .unwrap();
    }

    /// Journals preflight, metadata and the stage changes of batch "orders" up to `stage`, as
    /// the wizard writes them after confirmed moves.
    fn journal_stage(&self, stage: Stage) {
        let (mut j, _) = Journal::open(&self.journal(), &Holder::current("test")).unwrap();
        let verdict = |step: &str| Verdict {
            step: step.into(),
            action: "set up by the test".into(),
            evaluated_at: 0,
            checks: vec![],
            warnings: vec![],
            settle: None,
        };
        for step in ["preflight", "metadata"] {
            j.append(
                rocketmq_migrate::clock::now(),
                Entry::StepCompleted {
                    step: step.into(),
                    confirmation: "confirmed".into(),
                    verdict: verdict(step),
                },
            )
            .unwrap();
        }
        let mut from = Stage::NotStarted;
        while from != stage {
            let to = from.next().expect("a later stage");
            j.append(
                rocketmq_migrate::clock::now(),
                Entry::StageChanged {
                    batch: "orders".into(),
                    from,
                    to,
                    action: "set up by the test".into(),
                    confirmation: "confirmed".into(),
                    verdict: verdict("batch:orders"),
                },
            )
            .unwrap();
            from = to;
        }
    }

    pub fn journal(&self) -> PathBuf {
        rocketmq_migrate::journal::journal_path(&self.plan)
    }

    /// The journal's text: what the wizard recorded.
    pub fn journal_text(&self) -> String {
        std::fs::read_to_string(self.journal()).unwrap_or_default()
    }

    /// `rocketmq-migrate -c PLAN args...`.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("-c")
            .arg(&self.plan)
            .args(args)
            .output()
            .unwrap()
    }

    /// `advance STEP --yes --no-wait` with `--ack` for each of `acks`: exit code and output.
    pub fn advance(&self, step: &str, acks: &[&str]) -> (Option<i32>, String) {
        let mut args = vec!["advance", step, "--yes", "--no-wait"];
        for a in acks {
            args.extend(["--ack", *a]);
        }
        let o = self.run(&args);
        (o.status.code(), text(&o))
    }

    /// `advance orders`, expected refused (exit 3), with the gate's reasons.
    pub fn refusal(&self) -> String {
        self.refused("orders")
    }

    /// `advance STEP`, expected refused (exit 3), with the gate's reasons.
    pub fn refused(&self, step: &str) -> String {
        let (code, out) = self.advance(step, &[]);
        assert_eq!(code, Some(3), "expected a refusal: {out}");
        out
    }

    /// Asks `advance orders` until the refusal says `what`.
    pub fn until(&self, what: &str, within: Duration) -> String {
        self.until_on("orders", what, within)
    }

    /// Asks `advance STEP` until the refusal says `what`.
    pub fn until_on(&self, step: &str, what: &str, within: Duration) -> String {
        poll(within, || {
            let out = self.refused(step);
            out.contains(what).then_some(out.clone()).ok_or(out)
        })
    }
}

/// Calls `f` every 0.5 s until it gives `Ok`, failing with its last `Err` after `within`.
pub fn poll<T>(within: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match f() {
            Ok(t) => return t,
            Err(last) => assert!(
                start.elapsed() < within,
                "not within {within:?}; last:\n{last}"
            ),
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Sends `n` messages of T_ORDER (bodies `prefix-i`) through the NameServer `namesrv` and waits
/// until all were sent.
pub fn send(namesrv: &str, prefix: &str, n: u64) {
    send_to(namesrv, "T_ORDER", prefix, n);
}

/// Waits until the NameServer `namesrv` routes `topic` to `broker` as writable: a topic just
/// created reaches the NameServer with the broker's next registration, and a producer started
/// before that fails its sends.
pub fn wait_route(namesrv: &str, topic: &str, broker: &str) {
    let (rt, admin) = plain_admin();
    let start = Instant::now();
    loop {
        let route = rt.block_on(admin.route(namesrv, topic));
        if let Ok(Some(brokers)) = &route
            && brokers.iter().any(|b| b.name == broker)
        {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{namesrv} never routed {topic} to {broker}: {route:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// As `send`, to `topic`.
pub fn send_to(namesrv: &str, topic: &str, prefix: &str, n: u64) {
    let p = App::producer(namesrv, "P_ORDER", topic, n, 100.0, prefix);
    p.wait_for("DONE", Duration::from_secs(30));
    assert_eq!(p.count("SENT"), n as usize);
    p.stop();
}

/// What `group` committed on `topic`, summed over the cluster's brokers.
pub fn committed_by(cluster: &MqCluster, topic: &str, group: &str) -> i64 {
    let (rt, admin) = plain_admin();
    let brokers = std::iter::once(cluster.broker_addr.clone())
        .chain(cluster.extra.iter().map(|b| b.addr.clone()));
    let key = (topic.to_string(), group.to_string());
    brokers
        .map(|b| {
            let offsets = rt.block_on(admin.consumer_offsets(&b)).unwrap_or_default();
            offsets.get(&key).map_or(0, |q| q.values().sum())
        })
        .sum()
}

/// What G_BILLING committed on T_ORDER.
pub fn committed(cluster: &MqCluster) -> i64 {
    committed_by(cluster, "T_ORDER", "G_BILLING")
}

/// A consumer of `group` on T_ORDER that receives `n` messages and, once the brokers hold its
/// committed offsets (clients commit with their next pull, or every few seconds), stops
/// consuming but stays connected: a group whose consumers all left loses its offsets on the
/// rocketmq-rust broker (a Java broker keeps them), and a clean stop of this client sometimes
/// wrote back older offsets (12 or 14 of 15 messages read as backlog where 10 were).
pub fn consume_as(cluster: &MqCluster, namesrv: &str, group: &str, n: usize) -> App {
    let c = App::consumer(namesrv, group, "T_ORDER");
    c.wait_count("RECV", n, Duration::from_secs(40));
    poll(Duration::from_secs(60), || {
        let got = committed_by(cluster, "T_ORDER", group);
        (got >= n as i64)
            .then_some(())
            .ok_or(format!("{group} committed {got} of {n}"))
    });
    c.freeze();
    c
}

/// As `consume_as`, for G_BILLING.
pub fn consume(cluster: &MqCluster, namesrv: &str, n: usize) -> App {
    consume_as(cluster, namesrv, "G_BILLING", n)
}
