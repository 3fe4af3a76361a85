//! The Tencent Cloud API 3.0 client: signed POSTs with a deadline, retries of idempotent reads
//! on rate limits and transient failures, and errors an operator can act on. The SecretKey is
//! only ever handed to the signer.

use super::sign::{self, Request};
use crate::model::Known;
use crate::plan::{Secret, Side, TdmqSpec};
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No answer: connection failure or deadline.
    Transport {
        action: String,
        error: String,
    },
    /// The API answered with an error code.
    Service {
        action: String,
        code: String,
        message: String,
        request_id: String,
        hint: String,
    },
    Body {
        action: String,
        error: String,
    },
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Transport { action, error } => {
                write!(f, "{action}: no answer from the Tencent Cloud API: {error}")
            }
            ApiError::Service {
                action,
                code,
                message,
                request_id,
                hint,
            } => {
                write!(f, "{action} failed with {code}: {message}")?;
                if !hint.is_empty() {
                    write!(f, ". {hint}")?;
                }
                write!(f, " (RequestId {request_id})")
            }
            ApiError::Body { action, error } => write!(f, "{action}: unreadable answer: {error}"),
        }
    }
}

/// An error with every cause it wraps: reqwest's own text ("error sending request") hides the
/// one that tells the operator what to do (an untrusted certificate, a refused connection).
fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let c = cause.to_string();
        if !out.contains(&c) {
            out = format!("{out}: {c}");
        }
        next = cause.source();
    }
    out
}

impl ApiError {
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    fn retryable(&self) -> bool {
        match self {
            ApiError::Transport { .. } => true,
            ApiError::Service { code, .. } => {
                code.starts_with("RequestLimitExceeded")
                    || code == "InternalError"
                    || code.starts_with("ResourceUnavailable")
            }
            ApiError::Body { .. } => false,
        }
    }
}

pub struct Api {
    /// Where requests go: the public endpoint of each service, or one override (a private
    /// endpoint, or a local test server).
    endpoint: Option<String>,
    region: String,
    secret_id: String,
    secret: Secret,
    /// How the plan names what is read ("cluster_id rocketmq-x"), and its side, for hints.
    names: String,
    side: String,
    http: reqwest::Client,
    timeout: Duration,
    /// Attempts for idempotent reads.
    attempts: u32,
    /// The last answer's clock offset: `None` before any answer, `Some(None)` when it had no
    /// Date header.
    clock: std::sync::Mutex<Option<Option<i64>>>,
}

impl Api {
    pub fn new(t: &TdmqSpec, side: Side, secret: Secret) -> Result<Api, String> {
        let http = reqwest::Client::builder()
            .timeout(t.timeout)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Api {
            endpoint: t.endpoint.clone(),
            region: t.region.clone(),
            secret_id: t.secret_id.clone(),
            secret,
            names: t.product.named(),
            side: side.name().to_string(),
            http,
            timeout: t.timeout,
            attempts: 4,
            clock: std::sync::Mutex::new(None),
        })
    }

    fn url(&self, service: &str) -> String {
        self.endpoint
            .clone()
            .unwrap_or_else(|| format!("https://{service}.tencentcloudapi.com"))
    }

    /// One signed call; `Response` without its `Error`, or the error.
    async fn once(
        &self,
        service: &str,
        version: &str,
        action: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        let url = self.url(service);
        let host = reqwest::Url::parse(&url)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_string(),
                })
            })
            .ok_or_else(|| ApiError::Transport {
                action: action.into(),
                error: format!("{url} is not a URL"),
            })?;
        let timestamp = crate::clock::now() as i64 / 1000;
        let content_type = "application/json; charset=utf-8";
        let signed = sign::sign(
            &Request {
                service,
                host: &host,
                action,
                content_type,
                timestamp,
                body,
                sign_action: false,
            },
            &self.secret,
        );
        let answer = self
            .http
            .post(&url)
            .header(
                "Authorization",
                sign::authorization(&self.secret_id, service, &signed),
            )
            .header("Content-Type", content_type)
            .header("Host", &host)
            .header("X-TC-Action", action)
            .header("X-TC-Version", version)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header("X-TC-Region", &self.region)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| ApiError::Transport {
                action: action.into(),
                error: if e.is_timeout() {
                    format!(
                        "no answer within {}",
                        humantime::format_duration(self.timeout)
                    )
                } else {
                    causes(&e)
                },
            })?;
        let status = answer.status();
        let date = answer
            .headers()
            .get("date")
            .and_then(|d| d.to_str().ok())
            .map(str::to_string);
        // Every answer dates the API's clock: preflight compares the local one with it.
        if let Ok(mut seen) = self.clock.lock() {
            *seen = Some(date.as_deref().and_then(clock_offset));
        }
        let text = answer.bytes().await.map_err(|e| ApiError::Transport {
            action: action.into(),
            error: e.to_string(),
        })?;
        let v: Value = match serde_json::from_slice(&text) {
            Ok(v) => v,
            // A gateway's error page: the status says what happened; 5xx may pass.
            Err(_) if status.is_server_error() => {
                return Err(ApiError::Transport {
                    action: action.into(),
                    error: format!("HTTP {status} with a body that is not the API's JSON"),
                });
            }
            Err(e) => {
                return Err(ApiError::Body {
                    action: action.into(),
                    error: format!("HTTP {status}: {e}"),
                });
            }
        };
        let Some(resp) = v.get("Response").cloned() else {
            return Err(ApiError::Body {
                action: action.into(),
                error: "no `Response` object".into(),
            });
        };
        if let Some(err) = resp.get("Error").filter(|e| !e.is_null()) {
            let code = err
                .get("Code")
                .and_then(Value::as_str)
                .unwrap_or("Unknown")
                .to_string();
            let message = err
                .get("Message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let request_id = resp
                .get("RequestId")
                .and_then(Value::as_str)
                .unwrap_or("-")
                .to_string();
            let hint = self.hint(action, &code, date.as_deref());
            return Err(ApiError::Service {
                action: action.into(),
                code,
                message,
                request_id,
                hint,
            });
        }
        Ok(resp)
    }

    /// What the operator should check, for the codes that have a usual cause.
    fn hint(&self, action: &str, code: &str, date: Option<&str>) -> String {
        let offset = date.and_then(clock_offset);
        let clock = match offset {
            Some(o) => format!("the local clock is {o:+} s from the API's (Date header)"),
            None => "the API sent no Date header to compare the clock with".into(),
        };
        match code {
            "AuthFailure.SignatureFailure" | "AuthFailure.SignatureExpire" => match offset {
                Some(o) if o.abs() > 300 => format!(
                    "{clock}: more than 5 minutes, so signatures are refused; set the clock right (NTP)"
                ),
                _ => format!(
                    "the SecretKey does not belong to SecretId {}: check {}.secret_key_env / secret_key_file ({clock})",
                    self.secret_id, self.side
                ),
            },
            "AuthFailure.SecretIdNotFound" | "AuthFailure.InvalidSecretId" => format!(
                "SecretId {} is not known: check {}.secret_id",
                self.secret_id, self.side
            ),
            "AuthFailure.UnauthorizedOperation" => {
                "the SecretId's CAM policy does not allow this action on TDMQ".into()
            }
            c if c.starts_with("ResourceNotFound") && action.contains("Migrat") => format!(
                "check migration_task_id in the plan: the task must exist in region {}",
                self.region
            ),
            c if c.starts_with("ResourceNotFound") => format!(
                "check {} and region {} in the plan",
                self.names, self.region
            ),
            c if c.starts_with("RequestLimitExceeded") => "rate limited by the API".into(),
            _ => String::new(),
        }
    }

    /// The local clock against the API's, from the last answer, as a preflight line reads it.
    pub fn clock(&self) -> Option<Known<i64>> {
        let seen = *self.clock.lock().ok()?;
        Some(match seen? {
            Some(offset) => Known::Known(offset),
            None => Known::unknown("the API's answers carry no Date header to compare clocks with"),
        })
    }

    /// An idempotent read: retried with backoff on rate limits and transient failures.
    pub async fn read(
        &self,
        service: &str,
        version: &str,
        action: &str,
        params: &Value,
    ) -> Result<Value, ApiError> {
        let body = params.to_string().into_bytes();
        let mut wait = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            match self.once(service, version, action, &body).await {
                Err(e) if e.retryable() && attempt < self.attempts => {
                    tracing::info!(
                        "{action}: attempt {attempt} failed ({e}); retrying in {}",
                        humantime::format_duration(wait)
                    );
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A call that changes something: sent once.
    pub async fn write(
        &self,
        service: &str,
        version: &str,
        action: &str,
        params: &Value,
    ) -> Result<Value, ApiError> {
        self.once(service, version, action, &params.to_string().into_bytes())
            .await
    }

    /// Every page of a list (Limit at most 100), concatenated.
    pub async fn read_all(
        &self,
        service: &str,
        version: &str,
        action: &str,
        params: &Value,
        list: &str,
    ) -> Result<Vec<Value>, ApiError> {
        self.read_pages(service, version, action, params, list, "TotalCount")
            .await
    }

    /// Every page of a list whose total is counted in `total` (most say `TotalCount`).
    pub async fn read_pages(
        &self,
        service: &str,
        version: &str,
        action: &str,
        params: &Value,
        list: &str,
        total: &str,
    ) -> Result<Vec<Value>, ApiError> {
        const LIMIT: u64 = 100;
        let mut out = vec![];
        let mut offset = 0u64;
        loop {
            let mut p = params.clone();
            p["Offset"] = offset.into();
            p["Limit"] = LIMIT.into();
            let page = self.read(service, version, action, &p).await?;
            let (items, count) = page_items(action, list, total, &page)?;
            let n = items.len() as u64;
            out.extend(items);
            offset += n;
            if n < LIMIT || count.is_some_and(|t| offset >= t) || n == 0 {
                return Ok(out);
            }
        }
    }
}

/// The items of one page and its count (`total`, usually `TotalCount`). The spec marks some
/// lists nullable ("may return null: no valid value"): a page without its list holds no items
/// only when it counts none; otherwise reading it as empty would make every item absent.
fn page_items(
    action: &str,
    list: &str,
    total: &str,
    page: &Value,
) -> Result<(Vec<Value>, Option<u64>), ApiError> {
    let count = page.get(total).and_then(Value::as_u64);
    match page.get(list) {
        Some(Value::Array(items)) => Ok((items.clone(), count)),
        _ if count == Some(0) => Ok((vec![], count)),
        _ => Err(ApiError::Body {
            action: action.into(),
            error: format!("no `{list}` list and no {total} of 0"),
        }),
    }
}

/// Seconds the local clock is ahead of the one that wrote `date` (an HTTP or RFC 3339 date).
fn clock_offset(date: &str) -> Option<i64> {
    let server = humantime::parse_rfc3339_weak(date)
        .ok()
        .or_else(|| httpdate(date))?;
    Some(match std::time::SystemTime::now().duration_since(server) {
        Ok(ahead) => ahead.as_secs() as i64,
        Err(behind) => -(behind.duration().as_secs() as i64),
    })
}

/// An HTTP date ("Wed, 25 Nov 2026 07:00:00 GMT").
fn httpdate(d: &str) -> Option<std::time::SystemTime> {
    let parts: Vec<&str> = d.split_whitespace().collect();
    let [_, day, month, year, time, _] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x == month)? + 1;
    humantime::parse_rfc3339(&format!(
        "{year}-{m:02}-{:02}T{time}Z",
        day.parse::<u32>().ok()?
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse() {
        let t = httpdate("Mon, 25 Feb 2019 16:44:25 GMT").unwrap();
        assert_eq!(
            t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
            1551113065
        );
        assert!(httpdate("garbage").is_none());
    }

    #[test]
    fn a_page_without_its_list_is_empty_only_when_it_counts_none() {
        let g = serde_json::json!({ "Name": "G" });
        let page = serde_json::json!({ "Groups": [g], "TotalCount": 1 });
        assert_eq!(
            page_items("A", "Groups", "TotalCount", &page),
            Ok((vec![g], Some(1)))
        );
        for empty in [
            serde_json::json!({ "Groups": null, "TotalCount": 0 }),
            serde_json::json!({ "TotalCount": 0 }),
        ] {
            assert_eq!(
                page_items("A", "Groups", "TotalCount", &empty),
                Ok((vec![], Some(0)))
            );
        }
        let missing = Err(ApiError::Body {
            action: "A".into(),
            error: "no `Groups` list and no TotalCount of 0".into(),
        });
        for bad in [
            serde_json::json!({ "RequestId": "r" }),
            serde_json::json!({ "Groups": null, "TotalCount": 3 }),
            serde_json::json!({ "Groups": {}, "TotalCount": 3 }),
        ] {
            assert_eq!(
                page_items("A", "Groups", "TotalCount", &bad),
                missing,
                "{bad}"
            );
        }
    }
}
