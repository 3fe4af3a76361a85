//! Reading one field of an API answer. The API leaves fields out or sends `null`; these readers
//! never fail, and each caller decides what an absent field means.

use serde_json::Value;

/// A number field, whether the API sent it signed or unsigned.
pub fn num(v: &Value, k: &str) -> Option<i64> {
    v.get(k)
        .and_then(|x| x.as_i64().or_else(|| x.as_u64().map(|u| u as i64)))
}

/// A string field; absent or not a string reads as "".
pub fn text(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
