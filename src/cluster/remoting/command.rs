//! The remoting frame: `i32 length | i32 (serialize type << 24 | header length) | header | body`,
//! big-endian. We send JSON headers; servers answer in their own configured type, JSON or the
//! ROCKETMQ binary form, so both are decoded.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Java's default cap on a frame.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;
/// RocketMQ 5.3.3, the version we announce.
pub const VERSION: i32 = 479;

pub const FLAG_RESPONSE: i32 = 1;
pub const FLAG_ONEWAY: i32 = 2;

/// Request codes of the admin subset.
pub mod code {
    pub const QUERY_CONSUMER_OFFSET: i32 = 14;
    pub const UPDATE_AND_CREATE_TOPIC: i32 = 17;
    pub const GET_ALL_TOPIC_CONFIG: i32 = 21;
    pub const GET_BROKER_CONFIG: i32 = 26;
    pub const GET_BROKER_RUNTIME_INFO: i32 = 28;
    pub const GET_MAX_OFFSET: i32 = 30;
    pub const GET_MIN_OFFSET: i32 = 31;
    pub const GET_ALL_CONSUMER_OFFSET: i32 = 43;
    pub const GET_ALL_DELAY_OFFSET: i32 = 45;
    pub const GET_ROUTEINFO_BY_TOPIC: i32 = 105;
    pub const GET_BROKER_CLUSTER_INFO: i32 = 106;
    pub const UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: i32 = 200;
    pub const GET_ALL_SUBSCRIPTIONGROUP_CONFIG: i32 = 201;
    pub const GET_TOPIC_STATS_INFO: i32 = 202;
    pub const GET_CONSUMER_CONNECTION_LIST: i32 = 203;
    pub const GET_PRODUCER_CONNECTION_LIST: i32 = 204;
    pub const GET_ALL_TOPIC_LIST_FROM_NAMESERVER: i32 = 206;
    pub const GET_CONSUME_STATS: i32 = 208;
    pub const QUERY_TOPIC_CONSUME_BY_WHO: i32 = 300;
    pub const GET_ALL_PRODUCER_INFO: i32 = 328;
}

/// Response codes we act on.
pub mod status {
    pub const SUCCESS: i32 = 0;
    pub const SYSTEM_ERROR: i32 = 1;
    pub const SYSTEM_BUSY: i32 = 2;
    pub const REQUEST_CODE_NOT_SUPPORTED: i32 = 3;
    pub const NO_PERMISSION: i32 = 16;
    pub const TOPIC_NOT_EXIST: i32 = 17;
    pub const QUERY_NOT_FOUND: i32 = 22;
    pub const SUBSCRIPTION_GROUP_NOT_EXIST: i32 = 26;
    pub const INVALID_PARAMETER: i32 = 29;
    pub const CONSUMER_NOT_ONLINE: i32 = 206;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub code: i32,
    pub language: String,
    pub version: i32,
    pub opaque: i32,
    pub flag: i32,
    pub remark: Option<String>,
    pub ext: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Command {
    pub fn request(code: i32, ext: BTreeMap<String, String>, body: Vec<u8>) -> Command {
        Command {
            code,
            language: "RUST".into(),
            version: VERSION,
            opaque: 0,
            flag: 0,
            remark: None,
            ext,
            body,
        }
    }

    pub fn is_response(&self) -> bool {
        self.flag & FLAG_RESPONSE != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    TooLong {
        len: usize,
        max: usize,
    },
    /// The server answered with a TLS record (an alert or a handshake): it speaks TLS.
    Tls,
    Malformed(String),
    Io(String),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::TooLong { len, max } => write!(
                f,
                "a frame of {len} bytes is longer than the limit of {max}: not a RocketMQ server, or a corrupt stream"
            ),
            FrameError::Tls => write!(
                f,
                "the server answered in TLS: it speaks TLS on this port; set the cluster's `tls` in the plan"
            ),
            FrameError::Malformed(m) => write!(f, "malformed frame: {m}"),
            FrameError::Io(m) => write!(f, "{m}"),
        }
    }
}

#[derive(Serialize)]
struct JsonHeaderOut<'a> {
    code: i32,
    language: &'a str,
    version: i32,
    opaque: i32,
    flag: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    remark: Option<&'a str>,
    #[serde(rename = "extFields")]
    ext_fields: &'a BTreeMap<String, String>,
    #[serde(rename = "serializeTypeCurrentRPC")]
    serialize_type: &'static str,
}

#[derive(Deserialize)]
struct JsonHeaderIn {
    code: i32,
    #[serde(default)]
    language: serde_json::Value,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    opaque: i32,
    #[serde(default)]
    flag: i32,
    #[serde(default)]
    remark: Option<String>,
    #[serde(default, rename = "extFields")]
    ext_fields: Option<BTreeMap<String, serde_json::Value>>,
}

/// The whole frame, length prefix included, with a JSON header.
pub fn encode(cmd: &Command) -> Vec<u8> {
    let header = serde_json::to_vec(&JsonHeaderOut {
        code: cmd.code,
        language: &cmd.language,
        version: cmd.version,
        opaque: cmd.opaque,
        flag: cmd.flag,
        remark: cmd.remark.as_deref(),
        ext_fields: &cmd.ext,
        serialize_type: "JSON",
    })
    .unwrap_or_default();
    let mut out = Vec::with_capacity(8 + header.len() + cmd.body.len());
    out.extend_from_slice(&((4 + header.len() + cmd.body.len()) as i32).to_be_bytes());
    out.extend_from_slice(&(header.len() as i32 & 0x00FF_FFFF).to_be_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&cmd.body);
    out
}

const LANGUAGES: [&str; 14] = [
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP",
    "OMS", "RUST", "NODE_JS",
];

fn value_text(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn decode_json_header(h: &[u8]) -> Result<Command, FrameError> {
    let j: JsonHeaderIn = serde_json::from_slice(h)
        .map_err(|e| FrameError::Malformed(format!("JSON header: {e}")))?;
    let language = match j.language {
        serde_json::Value::Number(n) => n
            .as_u64()
            .and_then(|i| LANGUAGES.get(i as usize))
            .unwrap_or(&"OTHER")
            .to_string(),
        other => value_text(other),
    };
    Ok(Command {
        code: j.code,
        language,
        version: j.version,
        opaque: j.opaque,
        flag: j.flag,
        remark: j.remark,
        ext: j
            .ext_fields
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, value_text(v)))
            .collect(),
        body: vec![],
    })
}

/// A cursor over the binary header that never reads past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        if self.0.len() < n {
            return Err(FrameError::Malformed(format!(
                "binary header ends early: need {n} more bytes, {} left",
                self.0.len()
            )));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn i16(&mut self) -> Result<i16, FrameError> {
        Ok(i16::from_be_bytes([self.take(1)?[0], self.take(1)?[0]]))
    }
    fn i32(&mut self) -> Result<i32, FrameError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn len(&mut self) -> Result<usize, FrameError> {
        let n = self.i32()?;
        usize::try_from(n)
            .map_err(|_| FrameError::Malformed(format!("negative length {n} in binary header")))
    }
    fn text(&mut self, n: usize) -> Result<String, FrameError> {
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
}

fn decode_binary_header(h: &[u8]) -> Result<Command, FrameError> {
    let mut r = Reader(h);
    let code = r.i16()? as i32;
    let language = LANGUAGES
        .get(r.take(1)?[0] as usize)
        .unwrap_or(&"OTHER")
        .to_string();
    let version = r.i16()? as i32;
    let opaque = r.i32()?;
    let flag = r.i32()?;
    let remark_len = r.len()?;
    let remark = (remark_len > 0).then(|| r.text(remark_len)).transpose()?;
    let ext_len = r.len()?;
    let mut ext_bytes = Reader(r.take(ext_len)?);
    let mut ext = BTreeMap::new();
    while !ext_bytes.0.is_empty() {
        let k = ext_bytes.i16()?;
        let k =
            usize::try_from(k).map_err(|_| FrameError::Malformed("negative key length".into()))?;
        let key = ext_bytes.text(k)?;
        let v = ext_bytes.len()?;
        let val = ext_bytes.text(v)?;
        ext.insert(key, val);
    }
    Ok(Command {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext,
        body: vec![],
    })
}

/// Decodes a frame without its length prefix.
pub fn decode(frame: &[u8]) -> Result<Command, FrameError> {
    if frame.len() < 4 {
        return Err(FrameError::Malformed(format!(
            "{} bytes, shorter than the header length field",
            frame.len()
        )));
    }
    let word = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
    let kind = (word >> 24) as u8;
    let header_len = (word & 0x00FF_FFFF) as usize;
    if kind > 1 {
        return Err(FrameError::Malformed(format!(
            "unknown serialize type {kind}: not a RocketMQ server, or a corrupt stream"
        )));
    }
    let rest = &frame[4..];
    if header_len > rest.len() {
        return Err(FrameError::Malformed(format!(
            "header length {header_len} exceeds the frame's {} bytes",
            rest.len()
        )));
    }
    let (header, body) = rest.split_at(header_len);
    let mut cmd = match kind {
        0 => decode_json_header(header)?,
        _ => decode_binary_header(header)?,
    };
    cmd.body = body.to_vec();
    Ok(cmd)
}

/// Reads one frame; refuses lengths over `max` before allocating.
pub async fn read<R: AsyncRead + Unpin>(r: &mut R, max: usize) -> Result<Command, FrameError> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            FrameError::Io("the server closed the connection".into())
        }
        _ => FrameError::Io(e.to_string()),
    };
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await.map_err(io)?;
    // A TLS record starts with its type (21 alert, 22 handshake) and version 3.x: read as a
    // length that is hundreds of megabytes, which no RocketMQ frame is.
    if matches!(len, [21 | 22, 3, 0..=4, _]) {
        return Err(FrameError::Tls);
    }
    let len = i32::from_be_bytes(len);
    let len = usize::try_from(len)
        .map_err(|_| FrameError::Malformed(format!("negative frame length {len}")))?;
    if len > max {
        return Err(FrameError::TooLong { len, max });
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf).await.map_err(io)?;
    decode(&buf)
}

/// Encodes with the ROCKETMQ binary header: what some servers answer with. Used by tests and
/// fuzzing to check the decoder against the encoder.
pub fn encode_binary(cmd: &Command) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&(cmd.code as i16).to_be_bytes());
    h.push(
        LANGUAGES
            .iter()
            .position(|l| *l == cmd.language)
            .unwrap_or(7) as u8,
    );
    h.extend_from_slice(&(cmd.version as i16).to_be_bytes());
    h.extend_from_slice(&cmd.opaque.to_be_bytes());
    h.extend_from_slice(&cmd.flag.to_be_bytes());
    let remark = cmd.remark.as_deref().unwrap_or("");
    h.extend_from_slice(&(remark.len() as i32).to_be_bytes());
    h.extend_from_slice(remark.as_bytes());
    let mut ext = Vec::new();
    for (k, v) in &cmd.ext {
        ext.extend_from_slice(&(k.len() as i16).to_be_bytes());
        ext.extend_from_slice(k.as_bytes());
        ext.extend_from_slice(&(v.len() as i32).to_be_bytes());
        ext.extend_from_slice(v.as_bytes());
    }
    h.extend_from_slice(&(ext.len() as i32).to_be_bytes());
    h.extend_from_slice(&ext);
    let mut out = Vec::new();
    out.extend_from_slice(&((4 + h.len() + cmd.body.len()) as i32).to_be_bytes());
    out.extend_from_slice(&((1u32 << 24) | h.len() as u32).to_be_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(&cmd.body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_tls_answer_is_named_not_read_as_a_huge_frame() {
        // A TLS 1.2 alert record (handshake failure), as a TLS-only port answers plain bytes.
        let alert: &[u8] = &[21, 3, 3, 0, 2, 2, 40];
        let e = read(&mut &alert[..], MAX_FRAME).await.unwrap_err();
        assert_eq!(e, FrameError::Tls);
        assert!(e.to_string().contains("it speaks TLS on this port"));
    }

    fn sample() -> Command {
        let mut ext = BTreeMap::new();
        ext.insert("consumerGroup".to_string(), "GID_A".to_string());
        ext.insert("topic".to_string(), "T".to_string());
        Command {
            code: 208,
            language: "JAVA".into(),
            version: 401,
            opaque: 42,
            flag: 1,
            remark: Some("ok".into()),
            ext,
            body: b"{\"x\":1}".to_vec(),
        }
    }

    #[test]
    fn json_frames_round_trip_and_carry_the_serialize_type() {
        let c = sample();
        let bytes = encode(&c);
        let header = std::str::from_utf8(&bytes[8..bytes.len() - c.body.len()]).unwrap();
        assert!(
            header.contains("\"serializeTypeCurrentRPC\":\"JSON\""),
            "{header}"
        );
        assert_eq!(decode(&bytes[4..]).unwrap(), c);
    }

    #[test]
    fn binary_frames_decode() {
        let c = sample();
        assert_eq!(decode(&encode_binary(&c)[4..]).unwrap(), c);
    }

    #[test]
    fn a_java_style_header_with_numeric_ext_values_decodes() {
        let header = br#"{"code":0,"extFields":{"queueId":3,"topic":"T"},"flag":1,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":401}"#;
        let mut frame = ((header.len() as u32) & 0xFFFFFF).to_be_bytes().to_vec();
        frame.extend_from_slice(header);
        let c = decode(&frame).unwrap();
        assert_eq!(c.ext["queueId"], "3");
        assert_eq!(c.opaque, 7);
        assert!(c.is_response());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[0, 0, 0, 9, b'{']).is_err());
        assert!(decode(&[7, 0, 0, 0]).is_err());
        assert!(decode(&[1, 0, 0, 3, 0, 1, 2]).is_err());
    }

    #[tokio::test]
    async fn an_overlong_frame_is_refused_before_reading_it() {
        let mut data: &[u8] = &[0x7f, 0xff, 0xff, 0xff, 0, 0];
        match read(&mut data, MAX_FRAME).await {
            Err(FrameError::TooLong { len, .. }) => assert_eq!(len, 0x7fff_ffff),
            other => panic!("{other:?}"),
        }
    }
}
