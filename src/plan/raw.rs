//! The plan exactly as written, with the position of every value for error messages.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

pub type Text = Spanned<String>;
pub type TextList = Spanned<Vec<Text>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    pub source: Option<Spanned<RawCluster>>,
    pub target: Option<Spanned<RawCluster>>,
    #[serde(default)]
    pub batch: Vec<Spanned<RawBatch>>,
    pub gates: Option<RawGates>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    pub kind: Text,
    pub name: Option<Text>,
    // remoting
    pub namesrv: Option<TextList>,
    pub access_key: Option<Text>,
    // remoting and tdmq
    pub secret_key_env: Option<Text>,
    pub secret_key_file: Option<Text>,
    /// Only here to refuse it with a helpful message: secrets are never written in the plan.
    pub secret_key: Option<Spanned<toml::Value>>,
    pub namespace: Option<Text>,
    pub timeout: Option<Text>,
    /// remoting: registered broker address -> where to connect instead (a tunnel, a NAT).
    pub connect_via: Option<Spanned<BTreeMap<String, Text>>>,
    /// remoting: speak TLS to every NameServer and broker.
    pub tls: Option<Spanned<RawTls>>,
    // tdmq
    pub region: Option<Text>,
    pub cluster_id: Option<Text>,
    /// tdmq: the product line, 4 (a cluster with namespaces, the default) or 5 (an instance).
    pub version: Option<Spanned<toml::Value>>,
    /// tdmq version 5: the instance.
    pub instance_id: Option<Text>,
    pub secret_id: Option<Text>,
    pub endpoint: Option<Text>,
    pub migration_task_id: Option<Text>,
    // rehearsal
    pub scenario: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    /// PEM file of the CA(s) to trust; without it, the system's trust store.
    pub ca_file: Option<Text>,
    /// The name the servers' certificates carry, when it is not the host dialled (an IP).
    pub server_name: Option<Text>,
    /// Accept any certificate (a self-signed one): flagged, and acknowledged at preflight.
    pub accept_any_certificate: Option<Spanned<bool>>,
    /// A client certificate and its key (PEM), for servers that ask for one.
    pub client_cert_file: Option<Text>,
    pub client_key_file: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatch {
    pub name: Text,
    pub topics: TextList,
    pub consumer_groups: TextList,
    pub producer_groups: Option<TextList>,
    /// group -> the batch topics it consumes (default: all of them).
    pub subscriptions: Option<BTreeMap<String, TextList>>,
    /// group -> why it stays on the source though it consumes the batch's topics there.
    pub left_behind: Option<BTreeMap<String, Text>>,
    /// topic -> the kind of messages it carries (NORMAL, FIFO, DELAY, TRANSACTION), where the
    /// source does not show it and the target fixes it at creation (TDMQ 5.x).
    pub topic_types: Option<BTreeMap<String, Text>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGates {
    pub max_backlog: Option<Spanned<i64>>,
    pub settle_window: Option<Text>,
    pub stale_after: Option<Text>,
    pub poll_interval: Option<Text>,
}
