//! Real RocketMQ servers on loopback for the integration tests: a NameServer and a broker per
//! cluster (the rocketmq-rust 1.0.0 binaries that scripts/install-rocketmq-servers.sh caches),
//! each with its own ports and store folder, killed and removed when dropped, even on a failed
//! assertion.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Sends a signal ("-9", "-STOP", "-CONT") with the shell's own `kill`.
pub fn send_signal(pid: u32, signal: &str) {
    let ok = Command::new("sh")
        .args(["-c", &format!("kill {signal} {pid}")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill {signal} {pid}");
}

pub fn bin_dir() -> PathBuf {
    if let Ok(d) = std::env::var("ROCKETMQ_SERVERS_BIN") {
        return PathBuf::from(d);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    PathBuf::from(home).join(".cache/rocketmq-migrate/rocketmq-rust-1.0.0/bin")
}

fn binary(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(
        p.exists(),
        "{} is missing: run scripts/install-rocketmq-servers.sh (scripts/test.sh does)",
        p.display()
    );
    p
}

fn port_free(p: u16) -> bool {
    TcpListener::bind(("127.0.0.1", p)).is_ok()
}

/// The folders of the test clusters (stores and logs) begin so: `scripts/test.sh` removes any a
/// killed test left in `/dev/shm`.
const STORE_PREFIX: &str = "rocketmq-migrate-test-";

/// Where the test clusters keep their stores. A rocketmq-rust broker does not start when its
/// store's disk is over 90% used, counting blocks that other users of a shared disk hold and
/// the reserve (its readiness check `store_writable`), as a CI machine's disk can be while this
/// project has gigabytes to spare; RAM-backed `/dev/shm` is a disk of its own. The first of
/// `/dev/shm` and the temporary folder with room (4 GiB: two drills at a time hold 2 GB) is taken.
fn store_parent() -> PathBuf {
    static PARENT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let parent = PARENT.get_or_init(|| {
        let candidates = [PathBuf::from("/dev/shm"), std::env::temp_dir()];
        let seen: Vec<(PathBuf, Option<(u64, u64)>)> =
            (candidates.into_iter()).map(|p| (p.clone(), disk_room(&p))).collect();
        let roomy = |(size, avail): (u64, u64)| avail >= 4 << 30 && avail * 100 / size >= 15;
        match seen.iter().find(|(_, room)| room.is_some_and(roomy)) {
            Some((p, _)) => p.clone(),
            None => panic!(
                "no folder for the test brokers' stores has 4 GiB free and 15% of its disk (a broker does not start on a disk over 90% used): {seen:?}"
            ),
        }
    });
    parent.clone()
}

/// (size, available) in bytes of the disk holding `path`, as `df` reads them.
fn disk_room(path: &std::path::Path) -> Option<(u64, u64)> {
    let o = Command::new("df")
        .args(["-B1", "--output=size,avail"])
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&o.stdout);
    let mut numbers = text.lines().nth(1)?.split_whitespace();
    let size: u64 = numbers.next()?.parse().ok()?;
    let avail: u64 = numbers.next()?.parse().ok()?;
    (o.status.success() && size > 0).then_some((size, avail))
}

/// A base port such that base-2 .. base+2 are all free, below Linux's ephemeral range
/// (32768-60999): a port there can be taken by any outgoing connection between this check and
/// the server's bind, and a broker that cannot bind its HA port does not start. Tests run in
/// threads of one process, so the ports handed out are kept: another thread's check would find
/// them free until their server binds.
fn free_ports() -> u16 {
    const LOW: u64 = 20_000;
    const HIGH: u64 = 32_700;
    static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let seed = (std::process::id() as u64 * 7919 + rand_ish()) % (HIGH - LOW);
    let mut base = (LOW + seed) as u16;
    loop {
        let ports = base - 2..=base + 2;
        if ports
            .clone()
            .all(|p| !handed_out.contains(&p) && port_free(p))
        {
            handed_out.extend(ports);
            return base;
        }
        base = if u64::from(base) > HIGH {
            LOW as u16
        } else {
            base + 7
        };
    }
}

fn rand_ish() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}

pub struct Account {
    pub access_key: &'static str,
    pub secret_key: &'static str,
    pub admin: bool,
}

/// An ACL broker's accounts in the tests: an admin, and a reader without admin rights.
pub const ADMIN_AND_READER: [Account; 2] = [
    Account {
        access_key: "migrate-admin",
        secret_key: "s3cret-admin-key",
        admin: true,
    },
    Account {
        access_key: "reader",
        secret_key: "reader-key-123",
        admin: false,
    },
];

pub struct MqCluster {
    pub name: String,
    pub namesrv: String,
    pub broker_addr: String,
    pub dir: tempfile::TempDir,
    broker_port: u16,
    ns: Option<Child>,
    /// More NameServers, started with `add_namesrv`.
    more_ns: Vec<Child>,
    broker: Option<Child>,
    /// More brokers of the cluster, started with `add_broker`.
    pub extra: Vec<Broker>,
}

/// A further broker of a cluster: its own name, port and store, the first broker's settings.
pub struct Broker {
    pub name: String,
    pub addr: String,
    port: u16,
    props: PathBuf,
    child: Option<Child>,
}

/// Sets `key` in a properties text, replacing a line that sets it.
fn set_property(props: &mut String, key: &str, value: &str) {
    let line = format!("{key}={value}\n");
    let prefix = format!("{key}=");
    match props
        .find(&prefix)
        .filter(|i| *i == 0 || props[..*i].ends_with('\n'))
    {
        Some(i) => {
            let end = props[i..].find('\n').map_or(props.len(), |e| i + e + 1);
            props.replace_range(i..end, &line);
        }
        None => props.push_str(&line),
    }
}

impl MqCluster {
    pub fn start(name: &str) -> MqCluster {
        Self::start_with(name, &[])
    }

    /// With ACL accounts, the broker requires signed requests.
    pub fn start_with(name: &str, accounts: &[Account]) -> MqCluster {
        Self::start_configured(name, accounts, &[])
    }

    /// As a production cluster runs: topics and groups exist only where operators created them.
    pub fn start_production(name: &str, settings: &[(&str, &str)]) -> MqCluster {
        let mut all = vec![
            ("autoCreateTopicEnable", "false"),
            ("autoCreateSubscriptionGroup", "false"),
        ];
        all.extend_from_slice(settings);
        Self::start_configured(name, &[], &all)
    }

    /// `settings` are broker properties that replace the harness's or add to them.
    pub fn start_configured(
        name: &str,
        accounts: &[Account],
        settings: &[(&str, &str)],
    ) -> MqCluster {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{STORE_PREFIX}{name}-"))
            .tempdir_in(store_parent())
            .unwrap();
        let (ns, namesrv) = start_namesrv(dir.path(), "namesrv");
        let broker_port = loop {
            let p = free_ports();
            if p.abs_diff(namesrv_port(&namesrv)) > 5 {
                break p;
            }
        };
        // A commit log file of 64 MiB, not the 1 GiB production default: a broker refuses to
        // start without room for one, the stores may be in RAM (`store_parent`), and a test
        // writes a few kilobytes.
        let mut props = format!(
            "brokerClusterName={name}\nbrokerName={name}-broker-a\nbrokerId=0\nlistenPort={broker_port}\nhaListenPort={}\nnamesrvAddr={namesrv}\nstorePathRootDir={store}\nstorePathCommitLog={store}/commitlog\nmappedFileSizeCommitLog=67108864\nbrokerIP1=127.0.0.1\nautoCreateTopicEnable=true\nautoCreateSubscriptionGroup=true\n",
            broker_port + 1,
            store = dir.path().join("store").display()
        );
        for (key, value) in settings {
            set_property(&mut props, key, value);
        }
        if !accounts.is_empty() {
            let acl_dir = dir.path().join("acl");
            std::fs::create_dir_all(&acl_dir).unwrap();
            let mut yml = String::from("globalWhiteRemoteAddresses: []\naccounts:\n");
            for a in accounts {
                yml.push_str(&format!(
                    "  - accessKey: {}\n    secretKey: {}\n    whiteRemoteAddress:\n    admin: {}\n    defaultTopicPerm: PUB|SUB\n    defaultGroupPerm: SUB\n",
                    a.access_key, a.secret_key, a.admin
                ));
            }
            std::fs::write(acl_dir.join("plain_acl.yml"), yml).unwrap();
            props.push_str(&format!(
                "authConfigPath={}\naclFile={}\nauthenticationEnabled=true\nauthorizationEnabled=true\n",
                acl_dir.display(),
                acl_dir.join("plain_acl.yml").display()
            ));
        }
        std::fs::write(dir.path().join("broker.properties"), props).unwrap();
        let mut c = MqCluster {
            name: name.into(),
            namesrv,
            broker_addr: format!("127.0.0.1:{broker_port}"),
            dir,
            broker_port,
            ns: Some(ns),
            more_ns: vec![],
            broker: None,
            extra: vec![],
        };
        c.start_broker();
        c
    }

    pub fn start_broker(&mut self) {
        let props = self.dir.path().join("broker.properties");
        self.broker = Some(spawn_broker(&props, self.broker_port));
    }

    /// Starts another broker of the cluster (`{name}-broker-{suffix}`) and returns its index
    /// in `extra`.
    pub fn add_broker(&mut self, suffix: &str) -> usize {
        self.add_broker_with(suffix, &[])
    }

    /// As `add_broker`, with `settings` replacing the first broker's properties.
    pub fn add_broker_with(&mut self, suffix: &str, settings: &[(&str, &str)]) -> usize {
        let mut props = std::fs::read_to_string(self.dir.path().join("broker.properties")).unwrap();
        let port = loop {
            let p = free_ports();
            if p.abs_diff(self.broker_port) > 5 {
                break p;
            }
        };
        let name = format!("{}-broker-{suffix}", self.name);
        let store = self.dir.path().join(format!("store-{suffix}"));
        let store = store.display().to_string();
        set_property(&mut props, "brokerName", &name);
        set_property(&mut props, "listenPort", &port.to_string());
        set_property(&mut props, "haListenPort", &(port + 1).to_string());
        set_property(&mut props, "storePathRootDir", &store);
        set_property(
            &mut props,
            "storePathCommitLog",
            &format!("{store}/commitlog"),
        );
        for (key, value) in settings {
            set_property(&mut props, key, value);
        }
        let path = self.dir.path().join(format!("broker-{suffix}.properties"));
        std::fs::write(&path, props).unwrap();
        self.extra.push(Broker {
            name,
            addr: format!("127.0.0.1:{port}"),
            port,
            props: path,
            child: None,
        });
        let i = self.extra.len() - 1;
        self.start_extra(i);
        i
    }

    pub fn start_extra(&mut self, i: usize) {
        let b = &mut self.extra[i];
        b.child = Some(spawn_broker(&b.props, b.port));
    }

    /// Restarts an added broker (killed before) with `settings` changed, on the same store.
    pub fn restart_extra_with(&mut self, i: usize, settings: &[(&str, &str)]) {
        let mut props = std::fs::read_to_string(&self.extra[i].props).unwrap();
        for (key, value) in settings {
            set_property(&mut props, key, value);
        }
        std::fs::write(&self.extra[i].props, props).unwrap();
        self.start_extra(i);
    }

    /// Starts a further NameServer (none of the brokers registers with it unless told) and
    /// returns its address.
    pub fn add_namesrv(&mut self) -> String {
        let (child, addr) = start_namesrv(
            self.dir.path(),
            &format!("namesrv-{}", self.more_ns.len() + 2),
        );
        self.more_ns.push(child);
        addr
    }

    /// kill -9 of an added broker.
    pub fn kill_extra(&mut self, i: usize) {
        if let Some(mut c) = self.extra[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// kill -9 of the broker.
    pub fn kill_broker(&mut self) {
        if let Some(mut b) = self.broker.take() {
            let _ = b.kill();
            let _ = b.wait();
        }
    }

    /// Creates topics (4 queues, read-write) and clustering groups on the broker, as the
    /// cluster's operators did before the migration.
    pub fn create(&self, topics: &[&str], groups: &[&str]) {
        create_on(&self.broker_addr, topics, groups, 6);
    }
}

/// Creates topics (4 queues, with permission `perm`: 6 read-write, 4 read-only) and clustering
/// groups on one broker.
pub fn create_on(broker: &str, topics: &[&str], groups: &[&str], perm: u32) {
    create_configured(broker, topics, groups, perm, false);
}

impl MqCluster {
    /// Creates groups that allow broadcasting (`consumeBroadcastEnable`), which a production
    /// broker needs before it serves clients consuming in broadcasting mode.
    pub fn create_broadcast_groups(&self, groups: &[&str]) {
        create_configured(&self.broker_addr, &[], groups, 6, true);
    }
}

fn create_configured(broker: &str, topics: &[&str], groups: &[&str], perm: u32, broadcast: bool) {
    use rocketmq_migrate::model::{GroupConfig, TopicConfig};
    let (rt, a) = plain_admin();
    let topic = TopicConfig {
        read_queues: 4,
        write_queues: 4,
        perm,
        order: false,
        message_type: None,
    };
    let group = GroupConfig {
        broadcast,
        orderly: false,
        retry_queues: Some(1),
        retry_max_times: 16,
    };
    rt.block_on(async {
        for t in topics {
            a.create_topic(broker, t, &topic).await.unwrap();
        }
        for g in groups {
            a.create_group(broker, g, &group).await.unwrap();
        }
    });
}

impl MqCluster {
    /// SIGSTOP: the broker keeps its connections open and answers nothing.
    pub fn freeze_broker(&self) {
        self.signal_broker("-STOP");
    }

    pub fn thaw_broker(&self) {
        self.signal_broker("-CONT");
    }

    fn signal_broker(&self, signal: &str) {
        let b = self.broker.as_ref().expect("the broker runs");
        send_signal(b.id(), signal);
    }

    /// kill -9 of the NameServer.
    pub fn kill_namesrv(&mut self) {
        if let Some(mut n) = self.ns.take() {
            let _ = n.kill();
            let _ = n.wait();
        }
    }
}

/// Starts a broker from its properties file, both its output streams in the log beside it
/// (`broker.log` beside `broker.properties`), and waits until it has started and its
/// NameServer lists it.
fn spawn_broker(props: &std::path::Path, port: u16) -> Child {
    let home = props.parent().expect("a properties file in a folder");
    let log_path = props.with_extension("log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .unwrap();
    // A restarted broker appends to the log of its earlier run.
    let earlier = log.metadata().map_or(0, |m| m.len() as usize);
    let mut child = Command::new(binary("rocketmq-broker-rust"))
        .arg("-c")
        .arg(props)
        .env("ROCKETMQ_HOME", home)
        .current_dir(home)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    // Its port opens before its readiness checks (a writable store among them), and a broker
    // failing one rolls its start back and closes the port again: only its log says it started.
    let started = |child: &mut Child| {
        let log = std::fs::read(&log_path).unwrap_or_default();
        let log = String::from_utf8_lossy(log.get(earlier..).unwrap_or_default());
        if log.contains("started successfully") {
            Some(Ok(()))
        } else if log.contains("Rolling back broker startup") {
            Some(Err("it rolled its start back"))
        } else if child.try_wait().ok().flatten().is_some() {
            Some(Err("it exited"))
        } else {
            None
        }
    };
    let start = Instant::now();
    let why = loop {
        match started(&mut child) {
            Some(Ok(())) => break None,
            Some(Err(why)) => break Some(why),
            None if start.elapsed() > Duration::from_secs(60) => {
                break Some("it did not say it started within 60s");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    if let Some(why) = why {
        let _ = child.kill();
        let _ = child.wait();
        // What the broker said and the room left on its disk (see `store_parent`), so a
        // loaded or full machine can be told from a bug.
        let store = property(props, "storePathRootDir").map_or(home.to_path_buf(), PathBuf::from);
        let disk = match disk_room(&store) {
            Some((size, avail)) => format!(
                "{} MiB free of {} MiB ({}% used)",
                avail >> 20,
                size >> 20,
                100 - avail * 100 / size
            ),
            None => "unknown".into(),
        };
        panic!(
            "the broker on 127.0.0.1:{port} did not start: {why}; the disk of its store {}: {disk}; the last warnings and errors of its log:\n{}",
            store.display(),
            warnings_of(&log_path)
        );
    }
    wait_registered(props, port);
    // What the broker runs beside its requests (its timer wheel, the dispatch to its queues)
    // had a second and more before tests used it when the harness only waited a while after the
    // port opened; a timer message sent at once failed once on a loaded machine, so it keeps it.
    std::thread::sleep(Duration::from_secs(1));
    child
}

/// The admin client without ACL or TLS, and a runtime for a test's thread to drive it with.
pub fn plain_admin() -> (
    tokio::runtime::Runtime,
    rocketmq_migrate::cluster::remoting::admin::Admin,
) {
    use rocketmq_migrate::cluster::remoting::admin::{Admin, Settings};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (rt, Admin::new(Settings::default(), None))
}

/// Waits until the NameServer the broker's properties name lists it, which a client needs
/// before it can route to the broker's topics.
fn wait_registered(props: &std::path::Path, port: u16) {
    let namesrv: Vec<String> = property(props, "namesrvAddr")
        .map(|a| a.split(';').map(str::to_string).collect())
        .expect("namesrvAddr in the broker's properties");
    let addr = format!("127.0.0.1:{port}");
    let (rt, admin) = plain_admin();
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < Duration::from_secs(30) {
        match rt.block_on(admin.cluster_info(&namesrv)) {
            Ok(brokers)
                if brokers
                    .values()
                    .any(|b| b.addrs.values().any(|a| *a == addr)) =>
            {
                return;
            }
            Ok(brokers) => last = format!("it lists {:?}", brokers.keys().collect::<Vec<_>>()),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the NameServer {namesrv:?} does not list the broker {addr} after 30s: {last}");
}

/// The last warnings and errors of a broker's log (the cause of a failure is among them,
/// before the shutdown it logs), one per line.
fn warnings_of(log_path: &std::path::Path) -> String {
    let log = without_colours(&std::fs::read_to_string(log_path).unwrap_or_default());
    let said: Vec<&str> = (log.lines())
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR ") || l.starts_with("ERROR"))
        // What every broker says at its start.
        .filter(|l| {
            ![
                "file not exist",
                "load bak config file",
                "security bootstrap is disabled",
            ]
            .iter()
            .any(|said| l.contains(said))
        })
        .collect();
    said[said.len().saturating_sub(20)..].join("\n")
}

/// The value a properties file gives `key`.
fn property(props: &std::path::Path, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(props).ok()?;
    let prefix = format!("{key}=");
    (text.lines()).find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
}

/// The text of a log the broker coloured with terminal escapes (`ESC [ ... m`).
fn without_colours(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| *c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

/// A NameServer on a free loopback port, logging to `{log}.log` in `home`.
fn start_namesrv(home: &std::path::Path, log: &str) -> (Child, String) {
    let port = free_ports();
    let child = Command::new(binary("rocketmq-namesrv-rust"))
        .args([
            "--listenPort",
            &port.to_string(),
            "--bindAddress",
            "127.0.0.1",
            "--rocketmqHome",
        ])
        .arg(home)
        .stdout(std::fs::File::create(home.join(format!("{log}.log"))).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_port(port, Duration::from_secs(30));
    (child, format!("127.0.0.1:{port}"))
}

fn namesrv_port(addr: &str) -> u16 {
    addr.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}

fn wait_port(port: u16, within: Duration) {
    assert!(
        listening(port, within),
        "nothing listens on 127.0.0.1:{port} after {within:?}"
    );
}

/// Whether something accepts connections on the port within `within`.
fn listening(port: u16, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

impl Drop for MqCluster {
    fn drop(&mut self) {
        // A failing test shows what its brokers said, which CI keeps nowhere else.
        if std::thread::panicking() {
            let logs = std::fs::read_dir(self.dir.path())
                .into_iter()
                .flatten()
                .flatten();
            for log in logs.map(|e| e.path()).filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                name.starts_with("broker") && name.ends_with(".log")
            }) {
                eprintln!(
                    "--- {} warnings and errors:\n{}",
                    log.display(),
                    warnings_of(&log)
                );
            }
        }
        self.kill_broker();
        for i in 0..self.extra.len() {
            self.kill_extra(i);
        }
        for mut n in self.ns.take().into_iter().chain(self.more_ns.drain(..)) {
            let _ = n.kill();
            let _ = n.wait();
        }
    }
}

/// The stand-in application (examples/mq_app.rs), one process per instance.
pub struct App {
    child: Child,
    pub lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// When the app printed READY: its client had started and registered with the brokers.
    pub ready_at: std::sync::Arc<std::sync::OnceLock<Instant>>,
}

pub fn app_binary() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_rocketmq-migrate"));
    let p = exe.parent().unwrap().join("examples").join("mq_app");
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build --examples` (cargo test builds it)",
        p.display()
    );
    p
}

impl App {
    pub fn start(namesrv: &str, args: &[&str]) -> App {
        let mut child = Command::new(app_binary())
            .args(["--namesrv", namesrv])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // With MQ_APP_LOG set the client's log shows; otherwise it would only be noise.
            .stderr(if std::env::var_os("MQ_APP_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let ready_at = std::sync::Arc::new(std::sync::OnceLock::new());
        let (sink, ready) = (lines.clone(), ready_at.clone());
        std::thread::spawn(move || {
            use std::io::BufRead;
            for l in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if l == "READY" {
                    let _ = ready.set(Instant::now());
                }
                sink.lock().unwrap().push(l);
            }
        });
        let app = App {
            child,
            lines,
            ready_at,
        };
        app.wait_for("READY", Duration::from_secs(30));
        app
    }

    pub fn producer(
        namesrv: &str,
        group: &str,
        topic: &str,
        count: u64,
        rate: f64,
        prefix: &str,
    ) -> App {
        App::start(
            namesrv,
            &[
                "produce",
                "--group",
                group,
                "--topic",
                topic,
                "--count",
                &count.to_string(),
                "--rate",
                &rate.to_string(),
                "--prefix",
                prefix,
            ],
        )
    }

    pub fn consumer(namesrv: &str, group: &str, topic: &str) -> App {
        App::start(namesrv, &["consume", "--group", group, "--topic", topic])
    }

    pub fn count(&self, prefix: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with(prefix))
            .count()
    }

    pub fn wait_for(&self, line_prefix: &str, within: Duration) {
        let start = Instant::now();
        while start.elapsed() < within {
            if self.count(line_prefix) > 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "the app did not print {line_prefix:?} within {within:?}: {:?}",
            self.lines.lock().unwrap()
        );
    }

    pub fn wait_count(&self, line_prefix: &str, n: usize, within: Duration) {
        let start = Instant::now();
        while start.elapsed() < within && self.count(line_prefix) < n {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            self.count(line_prefix) >= n,
            "{} {line_prefix} lines of {n} within {within:?}",
            self.count(line_prefix)
        );
    }

    /// The process id, part of the client id the brokers list (`ip@pid#nanos`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGSTOP: the app stays connected (a consumer stays registered) but does nothing.
    pub fn freeze(&self) {
        send_signal(self.child.id(), "-STOP");
    }

    /// Closes stdin: the app shuts down cleanly (unregisters from the brokers).
    pub fn stop(mut self) -> Vec<String> {
        drop(self.child.stdin.take());
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
