//! TC3-HMAC-SHA256, the Tencent Cloud API 3.0 request signature: a canonical request of the
//! POST, its signed headers and the SHA-256 of the body; a string to sign with the timestamp and
//! the UTC date; a key derived from the SecretKey, the date, the service and "tc3_request".

use crate::plan::Secret;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The UTC date (YYYY-MM-DD) of a unix timestamp.
pub fn utc_date(timestamp: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(timestamp.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()[..10].to_string()
}

/// What one signature covers.
pub struct Request<'a> {
    pub service: &'a str,
    pub host: &'a str,
    pub action: &'a str,
    pub content_type: &'a str,
    pub timestamp: i64,
    pub body: &'a [u8],
    /// Also sign the `x-tc-action` header (the value lower-cased).
    pub sign_action: bool,
}

/// The pieces, exposed for tests and for a server that checks signatures.
pub struct Signed {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
    pub signed_headers: String,
    pub date: String,
}

pub fn sign(r: &Request, secret: &Secret) -> Signed {
    let mut headers = vec![
        ("content-type", r.content_type.trim().to_string()),
        ("host", r.host.trim().to_string()),
    ];
    if r.sign_action {
        headers.push(("x-tc-action", r.action.to_lowercase()));
    }
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(";");
    let payload_hash = hex(&Sha256::digest(r.body));
    let canonical_request =
        format!("POST\n/\n\n{canonical_headers}\n{signed_headers}\n{payload_hash}");
    let date = utc_date(r.timestamp);
    let scope = format!("{date}/{}/tc3_request", r.service);
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        r.timestamp,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac(format!("TC3{}", secret.expose()).as_bytes(), &date);
    let k_service = hmac(&k_date, r.service);
    let k_signing = hmac(&k_service, "tc3_request");
    let signature = hex(&hmac(&k_signing, &string_to_sign));
    Signed {
        canonical_request,
        string_to_sign,
        signature,
        signed_headers,
        date,
    }
}

/// The Authorization header value.
pub fn authorization(secret_id: &str, service: &str, s: &Signed) -> String {
    format!(
        "{ALGORITHM} Credential={secret_id}/{}/{service}/tc3_request, SignedHeaders={}, Signature={}",
        s.date, s.signed_headers, s.signature
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;

    fn request(sign_action: bool) -> Request<'static> {
        Request {
            service: "cvm",
            host: "cvm.tencentcloudapi.com",
            action: "DescribeInstances",
            content_type: "application/json; charset=utf-8",
            timestamp: 1551113065,
            body: BODY.as_bytes(),
            sign_action,
        }
    }

    #[test]
    fn published_vector_with_content_type_and_host() {
        assert_eq!(
            hex(&Sha256::digest(BODY.as_bytes())),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let s = sign(
            &request(false),
            &Secret::new("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"),
        );
        assert_eq!(
            hex(&Sha256::digest(s.canonical_request.as_bytes())),
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            s.signature,
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        assert_eq!(s.date, "2019-02-25");
        assert_eq!(
            authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "cvm", &s),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn published_vector_with_the_action_header() {
        let s = sign(
            &request(true),
            &Secret::new("********************************"),
        );
        assert_eq!(s.signed_headers, "content-type;host;x-tc-action");
        assert_eq!(
            hex(&Sha256::digest(s.canonical_request.as_bytes())),
            "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
        );
        assert_eq!(
            s.signature,
            "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
        );
    }

    #[test]
    fn the_date_is_utc() {
        assert_eq!(utc_date(1551113065), "2019-02-25");
        assert_eq!(utc_date(1551139199), "2019-02-25");
        assert_eq!(utc_date(1551139200), "2019-02-26");
    }
}
