//! From the written plan to a checked `Plan`, collecting every problem with its place.

use super::error::{Locator, PlanError, PlanErrors};
use super::raw::{RawBatch, RawCluster, RawGates, RawPlan, RawTls, Text, TextList};
use super::*;
use crate::stage::RESERVED_STEP_NAMES;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ops::Range;

const EXAMPLE: &str = "see the commented example migration.toml in the repository";

pub fn parse(path: &Path, text: &str) -> Result<Plan, PlanErrors> {
    let loc = Locator {
        file: path.to_path_buf(),
        text,
    };
    let raw: RawPlan =
        toml::from_str(text).map_err(|e| PlanErrors(vec![syntax_error(&loc, &e)]))?;
    let mut v = Validator {
        loc: &loc,
        errors: vec![],
    };
    let plan = v.plan(path, text, raw);
    match plan {
        Some(plan) if v.errors.is_empty() => Ok(plan),
        _ => Err(PlanErrors(v.errors)),
    }
}

fn syntax_error(loc: &Locator, e: &toml::de::Error) -> PlanError {
    let message = e.message().trim().to_string();
    let span = e.span();
    let field = span
        .clone()
        .map(|s| loc.field_at(s.start))
        .unwrap_or_default();
    let fix = if message.starts_with("unknown field") {
        let allowed = message
            .split("expected")
            .nth(1)
            .map(|s| format!(": allowed here are{s}"))
            .unwrap_or_default();
        format!("remove the key or correct its spelling{allowed}")
    } else if message.starts_with("missing field") {
        let name = message.split('`').nth(1).unwrap_or("it");
        format!("add `{name}` to this table; {EXAMPLE}")
    } else if message.starts_with("invalid type") {
        format!("write the value in the expected form; {EXAMPLE}")
    } else {
        format!("correct the TOML syntax at this place; {EXAMPLE}")
    };
    let problem = if message.starts_with("unknown field") {
        message
            .split(", expected")
            .next()
            .unwrap_or(&message)
            .to_string()
    } else {
        message
    };
    loc.error(span, field, problem, fix)
}

struct Validator<'a> {
    loc: &'a Locator<'a>,
    errors: Vec<PlanError>,
}

fn span(t: &Text) -> Option<Range<usize>> {
    Some(t.span())
}

impl Validator<'_> {
    fn err(
        &mut self,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let e = self.loc.error(span, field, problem, fix);
        self.errors.push(e);
    }

    fn plan(&mut self, path: &Path, text: &str, raw: RawPlan) -> Option<Plan> {
        let source = match raw.source {
            Some(c) => self.cluster(Side::Source, c.into_inner()),
            None => {
                self.err(
                    None,
                    "source",
                    "the plan has no [source] table",
                    format!(
                        "add a [source] table describing the cluster you migrate from; {EXAMPLE}"
                    ),
                );
                None
            }
        };
        let target = match raw.target {
            Some(c) => self.cluster(Side::Target, c.into_inner()),
            None => {
                self.err(
                    None,
                    "target",
                    "the plan has no [target] table",
                    format!(
                        "add a [target] table describing the cluster you migrate to; {EXAMPLE}"
                    ),
                );
                None
            }
        };
        let gates = self.gates(raw.gates);
        let batches = self.batches(raw.batch);
        let (source, target) = (source?, target?);
        self.clusters_agree(&source, &target);
        Some(Plan {
            path: path.to_path_buf(),
            digest: hex(&Sha256::digest(text.as_bytes())),
            source,
            target,
            batches,
            gates,
        })
    }

    fn cluster(&mut self, side: Side, c: RawCluster) -> Option<ClusterSpec> {
        let s = side.name();
        if let Some(v) = &c.secret_key {
            self.err(
                Some(v.span()),
                format!("{s}.secret_key"),
                "a secret is written in the plan; plans get copied, committed and pasted into tickets, so they never hold secrets",
                format!("delete the line and name where the secret is read from instead: `secret_key_env = \"{}_SK\"` (an environment variable) or `secret_key_file = \"path/to/file\"`", s.to_ascii_uppercase()),
            );
        }
        let name = c
            .name
            .as_ref()
            .map(|n| n.get_ref().trim().to_string())
            .unwrap_or_else(|| s.to_string());
        let kind = match c.kind.get_ref().as_str() {
            "remoting" => self.remoting(side, &c).map(ClusterKind::Remoting),
            "tdmq" => self.tdmq(side, &c).map(ClusterKind::Tdmq),
            "rehearsal" => self.rehearsal(side, &c).map(ClusterKind::Rehearsal),
            other => {
                self.err(span(&c.kind), format!("{s}.kind"), format!("unknown cluster kind \"{other}\""), "use \"remoting\" (a RocketMQ cluster reached through its NameServers), \"tdmq\" (TDMQ for RocketMQ through the Tencent Cloud API) or \"rehearsal\" (the built-in simulation)");
                None
            }
        }?;
        Some(ClusterSpec { side, name, kind })
    }

    /// Keys that belong to other kinds are errors: they were surely meant for something.
    fn only_keys(&mut self, side: Side, kind: &str, c: &RawCluster, allowed: &[&str]) {
        let present: [(&str, Option<Range<usize>>); 16] = [
            ("namesrv", c.namesrv.as_ref().map(|v| v.span())),
            ("access_key", c.access_key.as_ref().map(|v| v.span())),
            (
                "secret_key_env",
                c.secret_key_env.as_ref().map(|v| v.span()),
            ),
            (
                "secret_key_file",
                c.secret_key_file.as_ref().map(|v| v.span()),
            ),
            ("namespace", c.namespace.as_ref().map(|v| v.span())),
            ("timeout", c.timeout.as_ref().map(|v| v.span())),
            ("connect_via", c.connect_via.as_ref().map(|v| v.span())),
            ("tls", c.tls.as_ref().map(|v| v.span())),
            ("region", c.region.as_ref().map(|v| v.span())),
            ("cluster_id", c.cluster_id.as_ref().map(|v| v.span())),
            ("version", c.version.as_ref().map(|v| v.span())),
            ("instance_id", c.instance_id.as_ref().map(|v| v.span())),
            ("secret_id", c.secret_id.as_ref().map(|v| v.span())),
            ("endpoint", c.endpoint.as_ref().map(|v| v.span())),
            (
                "migration_task_id",
                c.migration_task_id.as_ref().map(|v| v.span()),
            ),
            ("scenario", c.scenario.as_ref().map(|v| v.span())),
        ];
        for (key, sp) in present {
            if let Some(sp) = sp
                && !allowed.contains(&key)
            {
                self.err(
                    Some(sp),
                    format!("{}.{key}", side.name()),
                    format!("`{key}` does not apply to a cluster of kind \"{kind}\""),
                    format!(
                        "remove it, or change `kind`; keys of a {kind} cluster: kind, name, {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    fn required<'t>(
        &mut self,
        side: Side,
        kind: &str,
        key: &str,
        v: &'t Option<Text>,
        what: &str,
    ) -> Option<&'t Text> {
        match v {
            Some(t) if !t.get_ref().trim().is_empty() => Some(t),
            Some(t) => {
                self.err(
                    span(t),
                    format!("{}.{key}", side.name()),
                    format!("`{key}` is empty"),
                    format!("set it to {what}"),
                );
                None
            }
            None => {
                self.err(
                    None,
                    format!("{}.{key}", side.name()),
                    format!("a {kind} cluster needs `{key}`"),
                    format!("add `{key} = ...` to [{}]: {what}", side.name()),
                );
                None
            }
        }
    }

    fn secret_ref(&mut self, side: Side, c: &RawCluster, required: bool) -> Option<SecretRef> {
        let s = side.name();
        match (&c.secret_key_env, &c.secret_key_file) {
            (Some(_), Some(f)) => {
                self.err(
                    span(f),
                    format!("{s}.secret_key_file"),
                    "both secret_key_env and secret_key_file are set",
                    "keep one of them, so it is clear which secret is used",
                );
                None
            }
            (Some(e), None) => {
                let var = e.get_ref().trim();
                if var.is_empty()
                    || !var
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                {
                    self.err(span(e), format!("{s}.secret_key_env"), format!("\"{}\" is not an environment variable name", if var.len() > 40 { "<long value>" } else { var }), "give the NAME of the variable holding the SecretKey (letters, digits, _), e.g. \"TARGET_SK\", never the secret itself");
                    None
                } else {
                    Some(SecretRef::Env(var.to_string()))
                }
            }
            (None, Some(f)) if !f.get_ref().trim().is_empty() => {
                Some(SecretRef::File(f.get_ref().trim().into()))
            }
            (None, Some(f)) => {
                self.err(
                    span(f),
                    format!("{s}.secret_key_file"),
                    "`secret_key_file` is empty",
                    "name the file that holds the SecretKey",
                );
                None
            }
            (None, None) => {
                if required {
                    self.err(None, format!("{s}.secret_key_env"), "no SecretKey is referenced", format!("add `secret_key_env = \"{}_SK\"` (an environment variable) or `secret_key_file = \"...\"` to [{s}]", s.to_ascii_uppercase()));
                }
                None
            }
        }
    }

    fn timeout(&mut self, side: Side, c: &RawCluster) -> Duration {
        self.duration(
            c.timeout.as_ref(),
            &format!("{}.timeout", side.name()),
            Duration::from_secs(3),
        )
    }

    fn remoting(&mut self, side: Side, c: &RawCluster) -> Option<RemotingSpec> {
        self.only_keys(
            side,
            "remoting",
            c,
            &[
                "namesrv",
                "access_key",
                "secret_key_env",
                "secret_key_file",
                "namespace",
                "timeout",
                "connect_via",
                "tls",
            ],
        );
        let s = side.name();
        let mut namesrv = vec![];
        match &c.namesrv {
            None => self.err(None, format!("{s}.namesrv"), "a remoting cluster needs `namesrv`", format!("add `namesrv = [\"10.0.0.1:9876\", \"10.0.0.2:9876\"]` to [{s}]: the NameServer addresses")),
            Some(list) if list.get_ref().is_empty() => self.err(Some(list.span()), format!("{s}.namesrv"), "the NameServer list is empty", "list at least one address as \"host:port\""),
            Some(list) => {
                for a in list.get_ref() {
                    match check_addr(a.get_ref()) {
                        Ok(addr) => namesrv.push(addr),
                        Err(why) => self.err(span(a), format!("{s}.namesrv"), format!("\"{}\" is not a NameServer address: {why}", a.get_ref()), "write each address as \"host:port\", e.g. \"10.0.0.1:9876\""),
                    }
                }
            }
        }
        let secret = self.secret_ref(side, c, false);
        let acl = match (&c.access_key, secret) {
            (Some(ak), Some(sk)) if !ak.get_ref().trim().is_empty() => Some(AclSpec {
                access_key: ak.get_ref().trim().to_string(),
                secret_key: sk,
            }),
            (Some(ak), None) => {
                if c.secret_key_env.is_none() && c.secret_key_file.is_none() {
                    self.err(
                        span(ak),
                        format!("{s}.access_key"),
                        "an AccessKey is given without its SecretKey",
                        format!(
                            "add `secret_key_env = \"{}_SK\"` or `secret_key_file = \"...\"`",
                            s.to_ascii_uppercase()
                        ),
                    );
                }
                None
            }
            (Some(ak), Some(_)) => {
                self.err(span(ak), format!("{s}.access_key"), "`access_key` is empty", "set the ACL AccessKey, or remove access_key and the secret reference for a cluster without ACL");
                None
            }
            (None, Some(_)) => {
                let sp = c
                    .secret_key_env
                    .as_ref()
                    .or(c.secret_key_file.as_ref())
                    .map(|t| t.span());
                self.err(
                    sp,
                    format!("{s}.access_key"),
                    "a SecretKey is referenced without an AccessKey",
                    "add `access_key = \"...\"` (the ACL account), or remove the secret reference",
                );
                None
            }
            (None, None) => None,
        };
        let namespace = c
            .namespace
            .as_ref()
            .map(|n| n.get_ref().trim().to_string())
            .filter(|n| !n.is_empty());
        let timeout = self.timeout(side, c);
        let mut connect_via = std::collections::BTreeMap::new();
        for (from, to) in c.connect_via.iter().flat_map(|m| m.get_ref().iter()) {
            match (check_addr(from), check_addr(to.get_ref())) {
                (Ok(f), Ok(t)) => {
                    connect_via.insert(f, t);
                }
                _ => self.err(span(to), format!("{s}.connect_via"), format!("\"{from}\" = \"{}\" is not a pair of addresses", to.get_ref()), "map the address a broker registers to the address to dial, both \"host:port\", e.g. \"10.0.0.5:10911\" = \"127.0.0.1:20911\""),
            }
        }
        let tls = c.tls.as_ref().and_then(|t| self.tls(side, t));
        Some(RemotingSpec {
            namesrv,
            acl,
            namespace,
            timeout,
            connect_via,
            tls,
        })
    }

    fn tls(&mut self, side: Side, t: &toml::Spanned<RawTls>) -> Option<TlsSpec> {
        let s = side.name();
        let raw = t.get_ref();
        let file = |f: &Option<Text>| {
            f.as_ref()
                .map(|p| p.get_ref().trim())
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
        };
        let (ca_file, cert, key) = (
            file(&raw.ca_file),
            file(&raw.client_cert_file),
            file(&raw.client_key_file),
        );
        let accept_any = raw
            .accept_any_certificate
            .as_ref()
            .is_some_and(|a| *a.get_ref());
        if accept_any && ca_file.is_some() {
            self.err(
                Some(t.span()),
                format!("{s}.tls"),
                "`ca_file` and `accept_any_certificate = true` contradict each other",
                "trust the CA file (recommended), or accept any certificate, not both",
            );
            return None;
        }
        let client_auth = match (cert, key) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => {
                self.err(
                    Some(t.span()),
                    format!("{s}.tls"),
                    "a client certificate needs both `client_cert_file` and `client_key_file`",
                    "give both PEM files, or neither",
                );
                return None;
            }
        };
        Some(TlsSpec {
            ca_file,
            server_name: raw
                .server_name
                .as_ref()
                .map(|n| n.get_ref().trim().to_string())
                .filter(|n| !n.is_empty()),
            accept_any_certificate: accept_any,
            client_auth,
        })
    }

    fn tdmq(&mut self, side: Side, c: &RawCluster) -> Option<TdmqSpec> {
        let s = side.name();
        let common = [
            "region",
            "version",
            "secret_id",
            "secret_key_env",
            "secret_key_file",
            "endpoint",
            "migration_task_id",
            "timeout",
        ];
        let version = match &c.version {
            None => Some(4),
            Some(v) => match v.get_ref() {
                toml::Value::Integer(n @ (4 | 5)) => Some(*n),
                toml::Value::String(t) if matches!(t.trim(), "4" | "5" | "4.x" | "5.x") => {
                    t.trim()[..1].parse().ok()
                }
                other => {
                    self.err(Some(v.span()), format!("{s}.version"), format!("version {other} is not a TDMQ for RocketMQ product line"), "write `version = 4` for a 4.x cluster (cluster_id and namespace) or `version = 5` for a 5.x instance (instance_id)");
                    None
                }
            },
        };
        let product = match version {
            Some(5) => {
                self.only_keys(
                    side,
                    "tdmq version 5",
                    c,
                    &[&common[..], &["instance_id"]].concat(),
                );
                self.required(
                    side,
                    "tdmq",
                    "instance_id",
                    &c.instance_id,
                    "the TDMQ 5.x instance id, e.g. \"rmq-abcd1234\"",
                )
                .map(|t| TdmqProduct::V5 {
                    instance_id: t.get_ref().trim().to_string(),
                })
            }
            Some(_) => {
                if let Some(i) = &c.instance_id
                    && c.version.is_none()
                {
                    self.err(span(i), format!("{s}.instance_id"), "`instance_id` names a TDMQ 5.x instance, but the plan does not say `version = 5`", "add `version = 5` (and remove cluster_id and namespace), or name a 4.x cluster with cluster_id and namespace");
                    return None;
                }
                self.only_keys(
                    side,
                    "tdmq version 4",
                    c,
                    &[&common[..], &["cluster_id", "namespace"]].concat(),
                );
                let cluster_id = self
                    .required(
                        side,
                        "tdmq",
                        "cluster_id",
                        &c.cluster_id,
                        "the TDMQ 4.x cluster id, e.g. \"rocketmq-abcd1234\"",
                    )
                    .map(|t| t.get_ref().trim().to_string());
                let namespace = self
                    .required(
                        side,
                        "tdmq",
                        "namespace",
                        &c.namespace,
                        "the namespace topics and groups are created in",
                    )
                    .map(|t| t.get_ref().trim().to_string());
                cluster_id
                    .zip(namespace)
                    .map(|(cluster_id, namespace)| TdmqProduct::V4 {
                        cluster_id,
                        namespace,
                    })
            }
            None => None,
        };
        let region = self
            .required(
                side,
                "tdmq",
                "region",
                &c.region,
                "the cluster's region, e.g. \"ap-guangzhou\"",
            )
            .map(|t| t.get_ref().trim().to_string());
        let secret_id = self
            .required(
                side,
                "tdmq",
                "secret_id",
                &c.secret_id,
                "the Tencent Cloud API SecretId (AKID...)",
            )
            .map(|t| t.get_ref().trim().to_string());
        let secret_key = self.secret_ref(side, c, true);
        if let Some(ep) = &c.endpoint
            && !(ep.get_ref().starts_with("https://") || ep.get_ref().starts_with("http://"))
        {
            self.err(span(ep), format!("{}.endpoint", side.name()), "the endpoint is not a URL", "write it as \"https://tdmq.tencentcloudapi.com\", or remove it to use the public endpoint");
        }
        let timeout = self.timeout(side, c);
        Some(TdmqSpec {
            region: region?,
            product: product?,
            secret_id: secret_id?,
            secret_key: secret_key?,
            endpoint: c.endpoint.as_ref().map(|e| e.get_ref().trim().to_string()),
            migration_task_id: c
                .migration_task_id
                .as_ref()
                .map(|e| e.get_ref().trim().to_string())
                .filter(|s| !s.is_empty()),
            timeout,
        })
    }

    fn rehearsal(&mut self, side: Side, c: &RawCluster) -> Option<RehearsalSpec> {
        self.only_keys(side, "rehearsal", c, &["scenario"]);
        let scenario = c
            .scenario
            .as_ref()
            .map(|s| s.get_ref().trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "builtin".into());
        Some(RehearsalSpec { scenario })
    }

    fn clusters_agree(&mut self, source: &ClusterSpec, target: &ClusterSpec) {
        match (&source.kind, &target.kind) {
            (ClusterKind::Rehearsal(a), ClusterKind::Rehearsal(b)) if a.scenario != b.scenario => self.err(None, "target.scenario", format!("the source rehearses scenario \"{}\" and the target \"{}\"", a.scenario, b.scenario), "both sides of a rehearsal share one simulated world: give them the same `scenario`"),
            (ClusterKind::Rehearsal(_), _) | (_, ClusterKind::Rehearsal(_)) if source.kind.name() != target.kind.name() => self.err(None, "target.kind", "only one side is a rehearsal cluster", "a rehearsal simulates both clusters: set kind = \"rehearsal\" on both sides, or on neither"),
            (ClusterKind::Remoting(a), ClusterKind::Remoting(b)) => {
                if let Some(same) = a.namesrv.iter().find(|x| b.namesrv.contains(x)) {
                    self.err(None, "target.namesrv", format!("source and target share the NameServer {same}"), "the target must be a different cluster: check the addresses");
                }
            }
            _ => {}
        }
    }

    fn duration(&mut self, v: Option<&Text>, field: &str, default: Duration) -> Duration {
        let Some(t) = v else { return default };
        match humantime::parse_duration(t.get_ref().trim()) {
            Ok(d) if d.is_zero() => {
                self.err(
                    span(t),
                    field,
                    "the duration is zero",
                    "give a positive duration such as \"30s\" or \"2m\"",
                );
                default
            }
            Ok(d) => d,
            Err(e) => {
                self.err(
                    span(t),
                    field,
                    format!("\"{}\" is not a duration ({e})", t.get_ref()),
                    "write a duration with its unit, such as \"500ms\", \"30s\", \"2m\"",
                );
                default
            }
        }
    }

    fn gates(&mut self, raw: Option<RawGates>) -> Gates {
        let d = Gates::default();
        let Some(raw) = raw else { return d };
        let max_backlog = match raw.max_backlog {
            Some(n) if *n.get_ref() < 0 => {
                self.err(Some(n.span()), "gates.max_backlog", format!("{} is negative", n.get_ref()), "use 0 (the safe default: drained means nothing left) or a small positive count");
                0
            }
            Some(n) => *n.get_ref() as u64,
            None => d.max_backlog,
        };
        let settle_window = self.duration(
            raw.settle_window.as_ref(),
            "gates.settle_window",
            d.settle_window,
        );
        let stale_after =
            self.duration(raw.stale_after.as_ref(), "gates.stale_after", d.stale_after);
        let poll_interval = self.duration(
            raw.poll_interval.as_ref(),
            "gates.poll_interval",
            d.poll_interval,
        );
        if stale_after <= poll_interval {
            let sp = raw
                .stale_after
                .as_ref()
                .or(raw.poll_interval.as_ref())
                .map(|t| t.span());
            self.err(sp, "gates.stale_after", format!("stale_after ({}) is not longer than poll_interval ({}): every snapshot would be stale before the next arrives", humantime::format_duration(stale_after), humantime::format_duration(poll_interval)), "make stale_after at least twice poll_interval, e.g. poll_interval = \"1s\", stale_after = \"10s\"");
        }
        Gates {
            max_backlog,
            settle_window,
            stale_after,
            poll_interval,
        }
    }

    fn names(&mut self, list: &TextList, field: &str, what: &str, max_len: usize) -> Vec<String> {
        let mut out = vec![];
        if list.get_ref().is_empty() {
            self.err(
                Some(list.span()),
                field,
                format!("no {what}s are listed"),
                format!("list at least one {what}"),
            );
        }
        for t in list.get_ref() {
            let n = t.get_ref().trim();
            if let Err(why) = check_name(n, max_len) {
                self.err(span(t), field, format!("{what} \"{n}\" {why}"), format!("use the {what}'s name as the source cluster shows it (letters, digits, _ - % |); retry topics are followed automatically"));
            } else if out.iter().any(|o| o == n) {
                self.err(
                    span(t),
                    field,
                    format!("{what} \"{n}\" is listed twice"),
                    "list it once",
                );
            } else {
                out.push(n.to_string());
            }
        }
        out
    }

    /// Records which batch owns each name; a name in two batches is an error.
    fn claim(
        &mut self,
        owners: &mut BTreeMap<String, String>,
        names: &[String],
        list: &TextList,
        batch: &str,
        field: &str,
        what: &str,
    ) {
        for n in names {
            match owners.get(n) {
                Some(other) => {
                    let sp = list
                        .get_ref()
                        .iter()
                        .find(|x| x.get_ref().trim() == n)
                        .map(|x| x.span());
                    self.err(
                        sp,
                        field,
                        format!("{what} \"{n}\" is already in batch \"{other}\""),
                        format!(
                            "a {what} moves with exactly one batch: remove it from one of them"
                        ),
                    );
                }
                None => {
                    owners.insert(n.clone(), batch.to_string());
                }
            }
        }
    }

    fn batches(&mut self, raw: Vec<toml::Spanned<RawBatch>>) -> Vec<Batch> {
        if raw.is_empty() {
            self.err(None, "batch", "the plan has no [[batch]]", format!("add at least one [[batch]] with a name, its topics and consumer groups; {EXAMPLE}"));
        }
        let mut batches: Vec<Batch> = vec![];
        let mut owner_topic: BTreeMap<String, String> = BTreeMap::new();
        let mut owner_group: BTreeMap<String, String> = BTreeMap::new();
        for (i, rb) in raw.into_iter().enumerate() {
            let rb = rb.into_inner();
            let f = format!("batch[{}]", i + 1);
            let name = rb.name.get_ref().trim().to_string();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                self.err(span(&rb.name), format!("{f}.name"), format!("batch name \"{name}\" is empty or has characters other than letters, digits, . _ -"), "use a short name an operator can type to confirm, e.g. \"orders\"");
            } else if RESERVED_STEP_NAMES.contains(&name.as_str()) {
                self.err(
                    span(&rb.name),
                    format!("{f}.name"),
                    format!("\"{name}\" is the name of a wizard step"),
                    "choose another batch name",
                );
            } else if batches.iter().any(|b| b.name == name) {
                self.err(
                    span(&rb.name),
                    format!("{f}.name"),
                    format!("batch name \"{name}\" is used twice"),
                    "give each batch a unique name",
                );
            }
            let topics = self.names(&rb.topics, &format!("{f}.topics"), "topic", 127);
            let group_names = self.names(
                &rb.consumer_groups,
                &format!("{f}.consumer_groups"),
                "consumer group",
                255,
            );
            let producer_groups = match &rb.producer_groups {
                Some(p) if p.get_ref().is_empty() => vec![],
                Some(p) => self.names(p, &format!("{f}.producer_groups"), "producer group", 255),
                None => vec![],
            };
            self.claim(
                &mut owner_topic,
                &topics,
                &rb.topics,
                &name,
                &format!("{f}.topics"),
                "topic",
            );
            self.claim(
                &mut owner_group,
                &group_names,
                &rb.consumer_groups,
                &name,
                &format!("{f}.consumer_groups"),
                "consumer group",
            );
            let mut subs: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (group, list) in rb.subscriptions.iter().flatten() {
                if !group_names.contains(group) {
                    self.err(
                        Some(list.span()),
                        format!("{f}.subscriptions.{group}"),
                        format!("\"{group}\" is not one of this batch's consumer_groups"),
                        "add it to consumer_groups, or correct the name",
                    );
                    continue;
                }
                let mut ts = vec![];
                for t in list.get_ref() {
                    let tn = t.get_ref().trim().to_string();
                    if !topics.contains(&tn) {
                        self.err(span(t), format!("{f}.subscriptions.{group}"), format!("topic \"{tn}\" is not one of this batch's topics"), "a group's subscriptions are a subset of the batch's topics: add the topic to `topics` or correct the name");
                    } else {
                        ts.push(tn);
                    }
                }
                if list.get_ref().is_empty() {
                    self.err(Some(list.span()), format!("{f}.subscriptions.{group}"), "the subscription list is empty", "list the batch topics the group consumes, or remove the entry to mean all of them");
                }
                subs.insert(group.clone(), ts);
            }
            let mut left_behind = BTreeMap::new();
            for (group, why) in rb.left_behind.iter().flatten() {
                let field = format!("{f}.left_behind.{group}");
                let reason = why.get_ref().trim();
                if group_names.contains(group) {
                    self.err(span(why), field, format!("\"{group}\" is one of this batch's consumer_groups: it moves with the batch"), "remove it from consumer_groups, or from left_behind");
                } else if let Err(problem) = check_name(group, 255) {
                    self.err(
                        span(why),
                        field,
                        format!("consumer group \"{group}\" {problem}"),
                        "use the group's name as the source cluster shows it",
                    );
                } else if reason.is_empty() {
                    self.err(span(why), field, "the reason is empty", "say why the group stays on the source (it is journaled with the step that leaves it behind)");
                } else {
                    left_behind.insert(group.clone(), reason.to_string());
                }
            }
            let mut topic_types = BTreeMap::new();
            for (topic, kind) in rb.topic_types.iter().flatten() {
                let field = format!("{f}.topic_types.{topic}");
                let named = crate::model::TopicMessageType::named(kind.get_ref())
                    .filter(|t| *t != crate::model::TopicMessageType::Mixed);
                if !topics.contains(topic) {
                    self.err(
                        span(kind),
                        field,
                        format!("topic \"{topic}\" is not one of this batch's topics"),
                        "add it to `topics`, or correct the name",
                    );
                } else if let Some(t) = named {
                    topic_types.insert(topic.clone(), t);
                } else {
                    self.err(span(kind), field, format!("\"{}\" is not a topic type", kind.get_ref()), "write NORMAL, FIFO (ordered), DELAY (scheduled or delayed messages) or TRANSACTION");
                }
            }
            let groups = group_names
                .iter()
                .map(|g| GroupPlan {
                    name: g.clone(),
                    topics: subs.remove(g).unwrap_or_else(|| topics.clone()),
                })
                .collect();
            batches.push(Batch {
                name,
                topics,
                groups,
                producer_groups,
                left_behind,
                topic_types,
            });
        }
        batches
    }
}

fn check_addr(a: &str) -> Result<String, &'static str> {
    let a = a.trim();
    let (host, port) = a.rsplit_once(':').ok_or("the port is missing")?;
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err("the host is missing");
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(a.to_string()),
        _ => Err("the port is not a number from 1 to 65535"),
    }
}

fn check_name(n: &str, max_len: usize) -> Result<(), String> {
    if n.is_empty() {
        return Err("is empty".into());
    }
    if n.len() > max_len {
        return Err(format!("is longer than {max_len} characters"));
    }
    if n.starts_with("%RETRY%") || n.starts_with("%DLQ%") {
        return Err("is a retry or dead-letter topic".into());
    }
    if let Some(c) = n
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_-%|".contains(*c)))
    {
        return Err(format!(
            "contains '{c}', which RocketMQ does not allow in names"
        ));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
