//! Reading what a broker holds that no backlog shows yet, on the bodies brokers write: the Java
//! broker's fastjson forms (bare numeric keys, object keys), rocketmq-rust's captured answers,
//! and malformed ones (a clear error, never a panic, never a zero for what could not be read).

use rocketmq_migrate::cluster::remoting::{body, pending};
use rocketmq_migrate::model::LevelPending;
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(Path::new("tests/fixtures/bodies").join(name)).unwrap()
}

fn fixture(name: &str) -> Value {
    body::parse(&bytes(name), name).unwrap_or_else(|e| panic!("{e}"))
}

fn json(text: &str) -> Value {
    body::parse(text.as_bytes(), "inline").unwrap()
}

/// Level -> the schedule queue's offsets, from a GET_TOPIC_STATS_INFO body.
fn schedule_ranges(v: &Value) -> BTreeMap<u32, Range<i64>> {
    body::topic_stats(v)
        .unwrap()
        .into_iter()
        .map(|(q, r)| {
            assert_eq!(q.topic, pending::SCHEDULE_TOPIC);
            (q.queue_id as u32 + 1, r)
        })
        .collect()
}

fn level(levels: &[LevelPending], n: u32) -> LevelPending {
    *levels.iter().find(|l| l.level == n).unwrap()
}

#[test]
fn delay_offsets_with_bare_numeric_keys_and_quoted_keys() {
    let java = body::delay_offsets(&fixture("delay_offset.java.json")).unwrap();
    assert_eq!(
        java,
        BTreeMap::from([(1, 120), (2, 0), (3, 57), (4, 9), (18, 4)])
    );
    let rust = body::delay_offsets(&fixture("delay_offset.rust.json")).unwrap();
    assert_eq!(rust, BTreeMap::from([(2, 1), (4, 0)]));
    // A broker that never delivered a delayed message: no level at all, which is not an error.
    let empty = body::delay_offsets(&json(
        r#"{"dataVersion":{"counter":0,"timestamp":1},"offsetTable":{}}"#,
    ))
    .unwrap();
    assert!(empty.is_empty());
}

#[test]
fn malformed_delay_offsets_are_errors_naming_the_problem() {
    for (text, says) in [
        (r#"{}"#, "no `offsetTable`"),
        (r#"{"dataVersion":{"counter":1}}"#, "no `offsetTable`"),
        (r#"{"offsetTable":[1,2]}"#, "not an object"),
        (r#"{"offsetTable":{abc:1}}"#, "level \"abc\""),
        (r#"{"offsetTable":{0:5}}"#, "level \"0\""),
        (r#"{"offsetTable":{-2:5}}"#, "level \"-2\""),
        (r#"{"offsetTable":{3:-1}}"#, "level 3"),
        (r#"{"offsetTable":{3:"many"}}"#, "level 3"),
        (r#"{"offsetTable":{3:1.5}}"#, "level 3"),
        (r#"{"offsetTable":{3:null}}"#, "level 3"),
    ] {
        let e = body::delay_offsets(&json(text)).unwrap_err();
        assert!(e.contains(says), "{text}: {e}");
        assert!(e.starts_with("delay offsets"), "{e}");
    }
    // A cut body does not parse at all.
    let cut = &bytes("delay_offset.java.json")[..60];
    assert!(body::parse(cut, "delay offsets").is_err());
}

#[test]
fn broker_config_in_java_and_rust_forms() {
    let java = body::properties(&bytes("broker_config.java.properties"));
    assert_eq!(
        java["messageDelayLevel"],
        "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
    );
    // The key ends at the first separator: a colon in the value stays.
    assert_eq!(java["namesrvAddr"], "10.0.0.9:9876;10.0.0.10:9876");
    assert_eq!(java["transactionTimeOut"], "6000");
    let rust = body::properties(&bytes("broker_config.rust.properties"));
    assert_eq!(rust["messageDelayLevel"], java["messageDelayLevel"]);
    assert_eq!(rust["autoCreateTopicEnable"], "false");
    // As java.util.Properties reads a line.
    let p = body::properties(
        b"# comment\n! comment\n\n  a = 1\nb:2\nc 3\nd=x=y\ne\nmessageDelayLevel = 1s 2s \r\n",
    );
    assert_eq!(
        p,
        BTreeMap::from(
            [
                ("a", "1"),
                ("b", "2"),
                ("c", "3"),
                ("d", "x=y"),
                ("e", ""),
                ("messageDelayLevel", "1s 2s"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        )
    );
}

#[test]
fn runtime_info_tables() {
    let java = body::runtime_info(&fixture("runtime_info.java.json")).unwrap();
    assert_eq!(java["timerCongestNum"], "3");
    let rust = body::runtime_info(&fixture("runtime_info.rust.json")).unwrap();
    assert_eq!(rust["brokerVersionDesc"], "V5_3_1_SNAPSHOT");
    let mixed = body::runtime_info(&json(r#"{"table":{"a":7,"b":true,"c":null}}"#)).unwrap();
    assert_eq!(mixed["a"], "7");
    assert_eq!(mixed["b"], "true");
    assert!(!mixed.contains_key("c"));
    for bad in [r#"{}"#, r#"{"table":"x"}"#, r#"{"tabel":{}}"#] {
        let e = body::runtime_info(&json(bad)).unwrap_err();
        assert!(e.starts_with("runtime info"), "{bad}: {e}");
    }
}

#[test]
fn delay_level_tables() {
    let t = pending::delay_levels(pending::DEFAULT_DELAY_LEVELS).unwrap();
    assert_eq!(t.len(), 18);
    assert_eq!(t[&1], 1_000);
    assert_eq!(t[&3], 10_000);
    assert_eq!(t[&6], 120_000);
    assert_eq!(t[&18], 7_200_000);
    let custom = pending::delay_levels("1s  2m 3h 1d").unwrap();
    assert_eq!(
        custom,
        BTreeMap::from([(1, 1_000), (2, 120_000), (3, 10_800_000), (4, 86_400_000)])
    );
    for bad in ["", "  ", "5x", "s", "-1s", "1.5s", "1s 5"] {
        assert!(pending::delay_levels(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn scheduled_per_level_on_a_java_broker() {
    let table = pending::delay_levels(
        &body::properties(&bytes("broker_config.java.properties"))["messageDelayLevel"],
    )
    .unwrap();
    let progress = body::delay_offsets(&fixture("delay_offset.java.json")).unwrap();
    let ranges = schedule_ranges(&fixture("schedule_stats.java.json"));
    let levels = pending::scheduled(Some(&table), &progress, &ranges).unwrap();
    assert_eq!(levels.len(), 18);
    // Delivered up to the end.
    assert_eq!(
        level(&levels, 1),
        LevelPending {
            level: 1,
            delay_ms: Some(1_000),
            pending: 0,
            max_offset: 120,
            progress: 120,
            stored_by: None
        }
    );
    // 57 of 60 delivered.
    assert_eq!(
        level(&levels, 3),
        LevelPending {
            level: 3,
            delay_ms: Some(10_000),
            pending: 3,
            max_offset: 60,
            progress: 57,
            stored_by: None
        }
    );
    // Progress 9 below the min offset 10: what is below was deleted, 2 remain.
    assert_eq!(level(&levels, 4).progress, 10);
    assert_eq!(level(&levels, 4).pending, 2);
    // No progress for level 6 yet: the service starts from 0, all 7 wait.
    assert_eq!(level(&levels, 6).progress, 0);
    assert_eq!(level(&levels, 6).pending, 7);
    assert_eq!(level(&levels, 6).delay_ms, Some(120_000));
    assert_eq!(level(&levels, 18).pending, 0);
    assert_eq!(levels.iter().map(|l| l.pending).sum::<u64>(), 12);
}

#[test]
fn scheduled_on_the_captured_rust_broker() {
    let progress = body::delay_offsets(&fixture("delay_offset.rust.json")).unwrap();
    let ranges = schedule_ranges(&fixture("schedule_stats.rust.json"));
    let table = pending::delay_levels(
        &body::properties(&bytes("broker_config.rust.properties"))["messageDelayLevel"],
    )
    .unwrap();
    let levels = pending::scheduled(Some(&table), &progress, &ranges).unwrap();
    assert_eq!(levels.len(), 18);
    assert_eq!(
        level(&levels, 4),
        LevelPending {
            level: 4,
            delay_ms: Some(30_000),
            pending: 1,
            max_offset: 1,
            progress: 0,
            stored_by: None
        }
    );
    assert_eq!(level(&levels, 2).pending, 0, "delivered");
    assert_eq!(level(&levels, 2).progress, 1);
    assert_eq!(levels.iter().map(|l| l.pending).sum::<u64>(), 1);
}

#[test]
fn scheduled_levels_beyond_the_table_or_without_offsets() {
    let ranges = BTreeMap::from([(1, 0..5), (2, 0..3)]);
    // A level with progress but no queue offsets cannot be counted: an error, not a zero.
    let progress = BTreeMap::from([(1, 5), (3, 2)]);
    let e = pending::scheduled(None, &progress, &ranges).unwrap_err();
    assert!(e.contains("level 3"), "{e}");
    // Nor a level of the table without offsets.
    let table = BTreeMap::from([(1, 1_000), (2, 5_000), (3, 10_000)]);
    let e = pending::scheduled(Some(&table), &BTreeMap::new(), &ranges).unwrap_err();
    assert!(e.contains("level 3"), "{e}");
    // Without a table the delays are unknown, the counts are not.
    let levels = pending::scheduled(None, &BTreeMap::from([(1, 5)]), &ranges).unwrap();
    assert_eq!(
        levels,
        vec![
            LevelPending {
                level: 1,
                delay_ms: None,
                pending: 0,
                max_offset: 5,
                progress: 5,
                stored_by: None
            },
            LevelPending {
                level: 2,
                delay_ms: None,
                pending: 3,
                max_offset: 3,
                progress: 0,
                stored_by: None
            },
        ]
    );
    // Progress past the max (a store cut back) counts nothing there, as the broker resets it.
    let levels = pending::scheduled(None, &BTreeMap::from([(2, 9)]), &ranges).unwrap();
    assert_eq!(level(&levels, 2).pending, 0);
}

#[test]
fn timer_messages_from_runtime_info() {
    let java = body::runtime_info(&fixture("runtime_info.java.json")).unwrap();
    assert_eq!(
        pending::timer(&java),
        Ok(5),
        "3 in the wheel, 2 not yet in it"
    );
    let rust = body::runtime_info(&fixture("runtime_info.rust.json")).unwrap();
    assert_eq!(pending::timer(&rust), Ok(1));
    // A 4.x broker has no timer wheel.
    let v4 = body::runtime_info(&fixture("runtime_info.java4.json")).unwrap();
    assert_eq!(pending::timer(&v4), Ok(0));
    // A 5.x broker without the figures, or with unreadable ones: unknown, never 0.
    let mut no_figures = java.clone();
    no_figures.remove("timerCongestNum");
    let e = pending::timer(&no_figures).unwrap_err();
    assert!(e.contains("timerCongestNum"), "{e}");
    let mut garbled = java.clone();
    garbled.insert("timerOffsetBehind".into(), "lots".into());
    assert!(pending::timer(&garbled).is_err());
    assert!(
        pending::timer(&BTreeMap::new()).is_err(),
        "no version either"
    );
    let mut negative = java;
    negative.insert("timerOffsetBehind".into(), "-4".into());
    assert_eq!(pending::timer(&negative), Ok(3));
}

#[test]
fn half_messages_from_the_check_progress() {
    // The check service passed 7 of 10.
    assert_eq!(pending::half(Some(7), 0..10), 3);
    // No offset yet: it starts at the queue's min offset.
    assert_eq!(pending::half(None, 4..10), 6);
    assert_eq!(pending::half(None, 0..0), 0);
    // An offset below the min offset (deleted files) starts at the min offset.
    assert_eq!(pending::half(Some(1), 4..10), 6);
    assert_eq!(pending::half(Some(10), 0..10), 0);
    assert_eq!(pending::half(Some(12), 0..10), 0);
}

#[test]
fn a_snapshot_recorded_without_pending_reads_it_as_unknown() {
    use rocketmq_migrate::model::{BrokerPending, Known, Pending, Snapshot};
    use rocketmq_migrate::plan::Side;
    let mut snap = Snapshot::unreachable(Side::Source, "old", "remoting", 1_000, "");
    assert_eq!(
        snap.pending.reason(),
        Some("the cluster is unreachable"),
        "an unreachable cluster holds nothing known"
    );
    snap.pending = Known::Known(Pending {
        brokers: BTreeMap::from([(
            "broker-a".to_string(),
            Known::Known(BrokerPending::nothing()),
        )]),
    });
    let mut v = serde_json::to_value(&snap).unwrap();
    let back: Snapshot = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, snap);
    v.as_object_mut().unwrap().remove("pending");
    let old: Snapshot = serde_json::from_value(v).unwrap();
    assert!(
        old.pending
            .reason()
            .is_some_and(|r| r.contains("without reading pending")),
        "{:?}",
        old.pending
    );
}
