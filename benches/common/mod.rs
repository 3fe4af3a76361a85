//! What the benchmarks share: a cluster populated with thousands of topics and groups.

use rocketmq_migrate::cluster::remoting::admin::{Admin, Settings, ext};
use rocketmq_migrate::model::{GroupConfig, TopicConfig};
use std::time::Duration;

pub const TOPICS: usize = 1000;
pub const GROUPS: usize = 2000;
const UPDATE_CONSUMER_OFFSET: i32 = 15;

pub fn topic(i: usize) -> String {
    format!("BENCH_TOPIC_{i:04}")
}

pub fn group(i: usize) -> String {
    format!("BENCH_GROUP_{i:04}")
}

pub fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// A read-write topic of `queues` queues.
pub fn topic_config(queues: u32) -> TopicConfig {
    TopicConfig {
        read_queues: queues,
        write_queues: queues,
        perm: 6,
        order: false,
        message_type: None,
    }
}

/// A clustering group with the broker's default retry settings.
pub fn group_config() -> GroupConfig {
    GroupConfig {
        broadcast: false,
        orderly: false,
        retry_queues: Some(1),
        retry_max_times: 16,
    }
}

/// Creates `TOPICS` topics and `GROUPS` groups, each group with its retry topic and a committed
/// offset on the 4 queues of topic `topic_of(i)`, as a group that has consumed.
pub fn populate(c: &super::servers::MqCluster, topic_of: fn(usize) -> usize) {
    populate_on(&c.broker_addr, topic_of);
}

/// `populate` on one broker of a cluster.
pub fn populate_on(b: &str, topic_of: fn(usize) -> usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let admin = Admin::new(
        Settings {
            timeout: Duration::from_secs(30),
            max_in_flight: 64,
            ..Settings::default()
        },
        None,
    );
    let admin = &admin;
    rt.block_on(async {
        let cfg = topic_config(4);
        futures::future::join_all((0..TOPICS).map(|i| {
            let cfg = cfg.clone();
            async move { admin.create_topic(b, &topic(i), &cfg).await.unwrap() }
        }))
        .await;
        let g = group_config();
        futures::future::join_all((0..GROUPS).map(|i| {
            let g = g.clone();
            async move { admin.create_group(b, &group(i), &g).await.unwrap() }
        }))
        .await;
        // A group that consumed has its retry topic (mqadmin-style tools find groups by it).
        let retry = topic_config(1);
        futures::future::join_all((0..GROUPS).map(|i| {
            let retry = retry.clone();
            async move {
                admin
                    .create_topic(b, &format!("%RETRY%{}", group(i)), &retry)
                    .await
                    .unwrap()
            }
        }))
        .await;
        // Give every group a committed offset, as a group that consumed has.
        futures::future::join_all((0..GROUPS).map(|i| async move {
            let (gname, tname) = (group(i), topic(topic_of(i)));
            for q in 0..4 {
                let q = q.to_string();
                let fields = ext(&[
                    ("consumerGroup", &gname),
                    ("topic", &tname),
                    ("queueId", &q),
                    ("commitOffset", "0"),
                ]);
                let r = admin
                    .call(b, UPDATE_CONSUMER_OFFSET, fields, vec![])
                    .await
                    .unwrap();
                assert_eq!(r.code, 0, "commit offset: {:?}", r.remark);
            }
        }))
        .await;
    });
}
