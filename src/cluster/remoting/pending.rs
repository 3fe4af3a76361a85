//! What one master broker holds that no backlog shows yet (see `model::pending`): scheduled
//! messages per delay level, timer messages, transactional half messages. Read with admin
//! requests only: nothing is consumed, committed or changed on the broker.
//!
//! Every count is a progress offset subtracted from a max offset, and the progress offsets are
//! read first: a message that arrives or is delivered between the two reads is counted as still
//! pending, so a count never falls below what the broker held at any moment in between.

use super::admin::Admin;
use super::error::RemotingError;
use crate::model::{BrokerPending, Known, LevelPending};
use futures::future::join_all;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// Where the broker keeps delayed messages and retries until due; queue id = level - 1.
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// Where the broker keeps transactional messages until their producer commits or rolls back.
pub const HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// The broker's own group on the half topic: its offset there is how far the transaction check
/// service has passed (Java TransactionalMessageBridge.fetchConsumeOffset; rocketmq-rust alike).
pub const CHECK_GROUP: &str = "CID_RMQ_SYS_TRANS";
/// Java writes every half message to queue 0 of the half topic
/// (TransactionalMessageBridge.parseHalfMessageInner).
const HALF_QUEUE: i64 = 0;
/// The broker's `messageDelayLevel` when not configured (Java MessageStoreConfig, rocketmq-rust).
pub const DEFAULT_DELAY_LEVELS: &str = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
/// The levels of the default table.
const DEFAULT_LEVEL_COUNT: u32 = 18;

/// What one read of a master broker learnt: what it holds, and the version it runs (from the
/// same runtime info as its timer messages).
#[derive(Debug)]
pub struct BrokerRead {
    pub pending: Known<BrokerPending>,
    pub version: Known<String>,
}

/// Reads what broker `name` at `addr` holds and its version.
pub async fn read(admin: &Admin, name: &str, addr: &str) -> BrokerRead {
    let (config, runtime, delay, checked) = tokio::join!(
        admin.broker_config(addr),
        admin.runtime_info(addr),
        admin.delay_offsets(addr),
        admin.consumer_offset(addr, CHECK_GROUP, HALF_TOPIC, HALF_QUEUE)
    );
    let version = match &runtime {
        Ok(info) => match info
            .get("brokerVersionDesc")
            .filter(|v| !v.trim().is_empty())
        {
            Some(v) => Known::Known(v.trim().to_string()),
            None => Known::unknown(format!(
                "broker {name}: its runtime info (GET_BROKER_RUNTIME_INFO) has no brokerVersionDesc"
            )),
        },
        Err(e) => Known::unknown(format!(
            "broker {name}: runtime info (GET_BROKER_RUNTIME_INFO): {e}"
        )),
    };
    BrokerRead {
        pending: held(admin, name, addr, config, runtime, delay, checked).await,
        version,
    }
}

/// What broker `name` holds, from its first answers. A part that cannot be read makes that part
/// unknown (scheduled messages: the whole broker, since its levels are not wrapped one by one),
/// naming the broker and the request; it never fails the rest of the snapshot.
async fn held(
    admin: &Admin,
    name: &str,
    addr: &str,
    config: Result<Option<BTreeMap<String, String>>, RemotingError>,
    runtime: Result<BTreeMap<String, String>, RemotingError>,
    delay: Result<BTreeMap<u32, i64>, RemotingError>,
    checked: Result<Option<i64>, RemotingError>,
) -> Known<BrokerPending> {
    let progress = match delay {
        Ok(p) => p,
        Err(e) => {
            return Known::unknown(format!(
                "broker {name}: delay offsets (GET_ALL_DELAY_OFFSET): {e}"
            ));
        }
    };
    let table = match config {
        Ok(Some(props)) => match props.get("messageDelayLevel") {
            Some(text) => delay_levels(text).ok(),
            None => delay_levels(DEFAULT_DELAY_LEVELS).ok(),
        },
        // A broker without GET_BROKER_CONFIG runs its default table.
        Ok(None) => delay_levels(DEFAULT_DELAY_LEVELS).ok(),
        // Only the delays are missing then: the counts do not depend on them.
        Err(e) => {
            tracing::debug!("broker {name}: no delay level table: {e}");
            None
        }
    };
    // Which schedule queues to read when the broker-wide read does not list them: every level
    // with progress, and the levels of the table (the default one when it could not be read).
    let mut levels: BTreeSet<u32> = progress.keys().copied().collect();
    match &table {
        Some(t) => levels.extend(t.keys().copied()),
        None => levels.extend(1..=DEFAULT_LEVEL_COUNT),
    }
    let (ranges, half_range) = tokio::join!(
        schedule_queues(admin, addr, &levels),
        admin.queue_offsets(addr, HALF_TOPIC, HALF_QUEUE)
    );
    let scheduled = match ranges.and_then(|r| scheduled(table.as_ref(), &progress, &r)) {
        Ok(s) => s,
        Err(e) => return Known::unknown(format!("broker {name}: {e}")),
    };
    let timer = match runtime {
        Ok(info) => match timer(&info) {
            Ok(n) => Known::Known(n),
            Err(why) => Known::unknown(format!("broker {name}: {why}")),
        },
        Err(e) => Known::unknown(format!(
            "broker {name}: timer messages (GET_BROKER_RUNTIME_INFO): {e}"
        )),
    };
    let half = match (checked, half_range) {
        (Ok(passed), Ok(range)) => Known::Known(half(passed, range)),
        (Err(e), _) => Known::unknown(format!(
            "broker {name}: half messages, check progress (QUERY_CONSUMER_OFFSET {CHECK_GROUP}): {e}"
        )),
        (_, Err(e)) => Known::unknown(format!(
            "broker {name}: half messages, {HALF_TOPIC} offsets (GET_MIN_OFFSET/GET_MAX_OFFSET): {e}"
        )),
    };
    Known::Known(BrokerPending {
        scheduled,
        timer,
        half,
    })
}

/// The min..max offsets of the schedule queues: one broker-wide read, then a read per queue for
/// any wanted level it does not list. Brokers before 4.7.1 keep no config for the schedule topic
/// (the broker-wide read answers "no such topic"), and a table of more than 18 levels outgrows
/// the topic's 18 queues, yet the store holds those queues all the same.
async fn schedule_queues(
    admin: &Admin,
    addr: &str,
    wanted: &BTreeSet<u32>,
) -> Result<BTreeMap<u32, Range<i64>>, String> {
    let rows = admin
        .topic_offsets(addr, SCHEDULE_TOPIC)
        .await
        .map_err(|e| format!("schedule queues (GET_TOPIC_STATS_INFO {SCHEDULE_TOPIC}): {e}"))?;
    let mut ranges: BTreeMap<u32, Range<i64>> = rows
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(q, r)| level_of(q.queue_id).map(|l| (l, r)))
        .collect();
    let missing: Vec<u32> = wanted
        .iter()
        .copied()
        .filter(|l| !ranges.contains_key(l))
        .collect();
    let answers = join_all(
        missing
            .iter()
            .map(|l| admin.queue_offsets(addr, SCHEDULE_TOPIC, i64::from(*l) - 1)),
    )
    .await;
    for (level, r) in missing.into_iter().zip(answers) {
        let r = r.map_err(|e| {
            format!("schedule queue of level {level} (GET_MIN_OFFSET/GET_MAX_OFFSET): {e}")
        })?;
        ranges.insert(level, r);
    }
    Ok(ranges)
}

fn level_of(queue_id: i64) -> Option<u32> {
    u32::try_from(queue_id).ok()?.checked_add(1)
}

/// A `messageDelayLevel` value ("1s 5s 10s ... 2h"): level (from 1) -> delay in ms, as the
/// broker's ScheduleMessageService reads it (units s, m, h, d).
pub fn delay_levels(text: &str) -> Result<BTreeMap<u32, u64>, String> {
    let mut out = BTreeMap::new();
    for (i, item) in text.split_whitespace().enumerate() {
        let bad = || format!("delay level table: {item:?} is not a number and a unit (s, m, h, d)");
        let unit_ms = match item.chars().last() {
            Some('s') => 1_000,
            Some('m') => 60_000,
            Some('h') => 3_600_000,
            Some('d') => 86_400_000,
            _ => return Err(bad()),
        };
        let n: u64 = item[..item.len() - 1].parse().map_err(|_| bad())?;
        let level = u32::try_from(i + 1).map_err(|_| bad())?;
        out.insert(level, n.checked_mul(unit_ms).ok_or_else(bad)?);
    }
    if out.is_empty() {
        return Err("delay level table is empty".into());
    }
    Ok(out)
}

/// Pending per level: every level the broker has a schedule queue, progress or delay for.
/// `progress` is the schedule service's next offset per level; a level without one has not been
/// moved yet and starts from 0 (ScheduleMessageService.start), and below the queue's min offset
/// nothing is left to deliver. Each level must have its queue's offsets in `ranges`.
pub fn scheduled(
    table: Option<&BTreeMap<u32, u64>>,
    progress: &BTreeMap<u32, i64>,
    ranges: &BTreeMap<u32, Range<i64>>,
) -> Result<Vec<LevelPending>, String> {
    let mut levels: BTreeSet<u32> = ranges.keys().copied().collect();
    levels.extend(progress.keys().copied());
    levels.extend(table.iter().flat_map(|t| t.keys().copied()));
    levels
        .into_iter()
        .map(|level| {
            let range = ranges
                .get(&level)
                .ok_or_else(|| format!("no offsets for the schedule queue of level {level}"))?;
            let max = range.end.max(0);
            // Past the max (a store cut back) the broker resets its progress to the max.
            let next = progress.get(&level).copied().unwrap_or(0);
            let next = next.max(range.start).clamp(0, max);
            Ok(LevelPending {
                level,
                delay_ms: table.and_then(|t| t.get(&level).copied()),
                pending: (max - next) as u64,
                max_offset: max as u64,
                progress: next as u64,
                stored_by: None,
            })
        })
        .collect()
}

/// Timer messages still held, from the runtime info: `timerCongestNum` (messages in the timer
/// wheel from its read time on) plus `timerOffsetBehind` (messages in the timer's queue not yet
/// taken into the wheel), both what Java 5.x and rocketmq-rust report. Messages in the moment's
/// hand-over between the two (milliseconds) are in neither. A 4.x broker has no timer wheel
/// (timer messages came with 5.0): it holds none.
pub fn timer(info: &BTreeMap<String, String>) -> Result<u64, String> {
    let figure = |k: &str| {
        info.get(k)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(|v| v.max(0) as u64)
    };
    match (figure("timerCongestNum"), figure("timerOffsetBehind")) {
        (Some(wheel), Some(queue)) => Ok(wheel.saturating_add(queue)),
        _ if info
            .get("brokerVersionDesc")
            .and_then(|v| major_version(v))
            .is_some_and(|major| major < 5) =>
        {
            Ok(0)
        }
        _ => Err(
            "timer messages: the runtime info (GET_BROKER_RUNTIME_INFO) has no timerCongestNum and timerOffsetBehind"
                .into(),
        ),
    }
}

/// `V4_9_4` -> 4.
fn major_version(desc: &str) -> Option<u32> {
    desc.strip_prefix('V')?.split('_').next()?.parse().ok()
}

/// Half messages the check service has not passed: from its offset (or, without one, the queue's
/// min offset, where the service starts) to the queue's max offset.
pub fn half(passed: Option<i64>, range: Range<i64>) -> u64 {
    let from = passed.unwrap_or(range.start).max(range.start).max(0);
    (range.end.max(0) - from).max(0) as u64
}
