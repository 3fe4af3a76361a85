//! TLS on the remoting connection, against real rocketmq-rust servers run as production runs
//! them. The 1.0.0 servers have no TLS of their own, so each sits behind a TLS-terminating proxy
//! the test starts (real rustls, a CA and a certificate the test makes): the wizard dials the
//! proxies, the NameServer's through `namesrv`, the broker's through `connect_via`.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::servers::MqCluster;
use support::text;
use support::tls_proxy::{TestCa, TlsProxy};

const BIN: &str = env!("CARGO_BIN_EXE_rocketmq-migrate");

/// A cluster reachable only through TLS, and the plain one beside it as the target.
struct TlsOnly {
    mq: MqCluster,
    target: MqCluster,
    ca: TestCa,
    namesrv: TlsProxy,
    broker: TlsProxy,
    dir: tempfile::TempDir,
}

impl TlsOnly {
    fn start() -> TlsOnly {
        let mq = MqCluster::start_production("tls", &[]);
        mq.create(&["T_ORDER"], &["G_BILLING"]);
        let target = MqCluster::start_production("plain", &[]);
        target.create(&["T_ORDER"], &["G_BILLING"]);
        let ca = TestCa::new(&["localhost"]);
        let namesrv = TlsProxy::start(&mq.namesrv, &ca);
        let broker = TlsProxy::start(&mq.broker_addr, &ca);
        TlsOnly {
            mq,
            target,
            ca,
            namesrv,
            broker,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A plan whose source is dialled at `namesrv` (and its broker at `broker`), with `tls`
    /// as the source's `[source.tls]` table (none when empty).
    fn plan(&self, namesrv: &str, broker: &str, tls: &str) -> PathBuf {
        let tls = if tls.is_empty() {
            String::new()
        } else {
            format!("[source.tls]\n{tls}\n")
        };
        let text = format!(
            "[source]\nkind = \"remoting\"\nname = \"old\"\nnamesrv = [\"{namesrv}\"]\ntimeout = \"2s\"\n[source.connect_via]\n\"{}\" = \"{broker}\"\n{tls}[target]\nkind = \"remoting\"\nname = \"new\"\nnamesrv = [\"{}\"]\n[[batch]]\nname = \"orders\"\ntopics = [\"T_ORDER\"]\nconsumer_groups = [\"G_BILLING\"]\n",
            self.mq.broker_addr, self.target.namesrv
        );
        let path = self.dir.path().join("migration.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn through_tls(&self, tls: &str) -> PathBuf {
        self.plan(&self.namesrv.addr, &self.broker.addr, tls)
    }
}

fn run(plan: &Path, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let o = Command::new(BIN)
        .arg("-c")
        .arg(plan)
        .args(args)
        .output()
        .unwrap();
    (o, start.elapsed())
}

fn source_of(o: &Output) -> Value {
    let s: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)));
    s["clusters"][0].clone()
}

#[test]
fn a_tls_only_cluster_is_read_through_the_plans_ca() {
    let c = TlsOnly::start();
    c.ca.write_ca(&c.dir.path().join("ca.pem"));
    let plan = c.through_tls("ca_file = \"ca.pem\"\nserver_name = \"localhost\"");
    let (o, _) = run(&plan, &["status", "--json"]);
    let source = source_of(&o);
    assert_eq!(source["state"], "fresh", "{source}");
    let (o, _) = run(&plan, &["check"]);
    let out = text(&o);
    assert!(
        out.contains("source cluster 'old' [remoting]: fresh"),
        "{out}"
    );
}

#[test]
fn a_certificate_from_another_ca_is_refused_in_words() {
    let c = TlsOnly::start();
    TestCa::new(&["localhost"]).write_ca(&c.dir.path().join("other-ca.pem"));
    let plan = c.through_tls("ca_file = \"other-ca.pem\"\nserver_name = \"localhost\"");
    let (o, took) = run(&plan, &["check"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "not ready: {out}");
    assert!(
        out.contains("the server's TLS certificate is not signed by a CA this wizard trusts"),
        "{out}"
    );
    assert!(out.contains("source.tls.ca_file"), "names the key: {out}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    // A name the certificate does not carry is refused too, in its own words.
    c.ca.write_ca(&c.dir.path().join("ca.pem"));
    let plan = c.through_tls("ca_file = \"ca.pem\"\nserver_name = \"broker.example\"");
    let out = text(&run(&plan, &["check"]).0);
    assert!(out.contains("is not issued for the name dialled"), "{out}");
}

#[test]
fn plain_to_a_tls_port_and_tls_to_a_plain_port_fail_clearly_without_hanging() {
    let c = TlsOnly::start();
    // The plan forgot [source.tls]: the proxy hangs up on a RocketMQ frame.
    let plain = c.through_tls("");
    let (o, took) = run(&plain, &["check"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("the server answered in TLS: it speaks TLS on this port"),
        "says what is wrong: {out}"
    );
    assert!(took < Duration::from_secs(20), "no hang: {took:?}");
    // TLS to the servers' plain ports.
    c.ca.write_ca(&c.dir.path().join("ca.pem"));
    let to_plain = c.plan(
        &c.mq.namesrv,
        &c.mq.broker_addr,
        "ca_file = \"ca.pem\"\nserver_name = \"localhost\"",
    );
    let (o, took) = run(&to_plain, &["check"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("not speak TLS"), "{out}");
    assert!(out.contains("remove source.tls"), "{out}");
    assert!(took < Duration::from_secs(20), "no hang: {took:?}");
}

#[test]
fn accepting_any_certificate_works_and_is_a_line_to_acknowledge() {
    let c = TlsOnly::start();
    let plan = c.through_tls("accept_any_certificate = true");
    let (o, _) = run(&plan, &["status", "--json"]);
    assert_eq!(source_of(&o)["state"], "fresh");
    let (o, _) = run(&plan, &["advance", "preflight", "--yes"]);
    let out = text(&o);
    assert!(
        out.contains("TLS certificates are not checked (source.tls.accept_any_certificate)"),
        "{out}"
    );
    assert!(out.contains("--ack tls-unverified:source"), "{out}");
    let (o, _) = run(
        &plan,
        &[
            "advance",
            "preflight",
            "--yes",
            "--ack",
            "tls-unverified:source",
        ],
    );
    assert!(text(&o).contains("Preflight complete"), "{}", text(&o));
}
