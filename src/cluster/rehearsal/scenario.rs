//! The rehearsal scenario: the simulated applications, their rates and timings.

use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub timing: Timing,
    #[serde(default, rename = "topic")]
    pub topics: Vec<TopicSim>,
    #[serde(default, rename = "producer")]
    pub producers: Vec<ProducerSim>,
    #[serde(default, rename = "consumer")]
    pub consumers: Vec<ConsumerSim>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timing {
    /// How long an application instance takes to come back up on the other cluster.
    #[serde(with = "humantime_serde")]
    pub redeploy: Duration,
    /// Consumption pauses on a cluster this long after its group membership changes.
    #[serde(with = "humantime_serde")]
    pub rebalance: Duration,
    /// Consumers commit offsets this often, so reported backlog lags real consumption.
    #[serde(with = "humantime_serde")]
    pub offset_commit: Duration,
    /// A failed message comes back through the retry topic after this long.
    #[serde(with = "humantime_serde")]
    pub retry_delay: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            redeploy: Duration::from_secs(6),
            rebalance: Duration::from_secs(3),
            offset_commit: Duration::from_secs(5),
            retry_delay: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSim {
    pub name: String,
    #[serde(default = "default_queues")]
    pub queues: u32,
    #[serde(default)]
    pub order: bool,
    /// Whether the target already has the topic before any metadata sync.
    #[serde(default)]
    pub on_target: bool,
}

fn default_queues() -> u32 {
    8
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerSim {
    pub group: String,
    pub topics: Vec<String>,
    pub instances: u32,
    /// Messages per second, per instance and topic.
    pub rate: f64,
    /// The last instance is redeployed this much later than the others (a forgotten job).
    #[serde(default, with = "humantime_serde::option")]
    pub straggler_delay: Option<Duration>,
    #[serde(default = "default_version")]
    pub version: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSim {
    pub group: String,
    pub topics: Vec<String>,
    pub instances: u32,
    /// Messages per second one instance can consume.
    pub rate: f64,
    /// Fraction of first deliveries that fail and come back through the retry topic.
    #[serde(default)]
    pub retry_ratio: f64,
    /// Backlog on the source when the rehearsal starts.
    #[serde(default)]
    pub initial_backlog: u64,
    #[serde(default)]
    pub orderly: bool,
    #[serde(default)]
    pub on_target: bool,
    /// The first deployment on the target subscribes with this tag expression (a narrower
    /// filter than the source's `*`); redeployed after its first consumers were rolled back, it
    /// takes every tag.
    #[serde(default)]
    pub first_target_tags: Option<String>,
    #[serde(default = "default_version")]
    pub version: String,
}

fn default_version() -> String {
    "V4_9_4".into()
}

/// Durations written as "6s", "500ms".
mod humantime_serde {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map_err(serde::de::Error::custom)
    }

    pub mod option {
        use super::*;

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

impl Scenario {
    pub fn parse(name: &str, text: &str) -> Result<Scenario, String> {
        let s: Scenario =
            toml::from_str(text).map_err(|e| format!("rehearsal scenario {name}: {e}"))?;
        for c in &s.consumers {
            if !(0.0..1.0).contains(&c.retry_ratio) {
                return Err(format!(
                    "rehearsal scenario {name}: consumer {}: retry_ratio must be at least 0 and below 1",
                    c.group
                ));
            }
        }
        for t in s
            .producers
            .iter()
            .flat_map(|p| &p.topics)
            .chain(s.consumers.iter().flat_map(|c| &c.topics))
        {
            if !s.topics.iter().any(|x| &x.name == t) {
                return Err(format!(
                    "rehearsal scenario {name}: topic {t} is used but has no [[topic]] entry"
                ));
            }
        }
        Ok(s)
    }
}
