//! Reading one field of an API answer. The API leaves fields out or sends `null`; these readers
//! never fail, and each caller decides what an absent field means.

use crate::model::Known;
use serde_json::Value;

/// A number field, whether the API sent it signed or unsigned.
pub fn num(v: &Value, k: &str) -> Option<i64> {
    v.get(k)
        .and_then(|x| x.as_i64().or_else(|| x.as_u64().map(|u| u as i64)))
}

/// A count the answer should carry for `of` (e.g. "group G"). Absent, `null`, negative or not an
/// integer, it is unknown with a reason naming the field: never read as 0.
pub fn known_count(v: &Value, k: &str, of: &str) -> Known<u64> {
    match v.get(k) {
        None | Some(Value::Null) => Known::unknown(format!("the API gives no {k} for {of}")),
        Some(x) => match x.as_u64() {
            Some(n) => Known::Known(n),
            None => Known::unknown(format!("the API gives {k} {x} for {of}, not a count")),
        },
    }
}

/// A string field; absent or not a string reads as "".
pub fn text(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_count_is_known_only_when_the_answer_gives_one() {
        let v = json!({ "N": 3, "Zero": 0, "Null": null, "Neg": -1, "Frac": 1.5, "Str": "4" });
        assert_eq!(known_count(&v, "N", "group G"), Known::Known(3));
        // A 0 the API gave is a real 0.
        assert_eq!(known_count(&v, "Zero", "group G"), Known::Known(0));
        assert_eq!(
            known_count(&v, "Missing", "group G"),
            Known::unknown("the API gives no Missing for group G")
        );
        assert_eq!(
            known_count(&v, "Null", "group G"),
            Known::unknown("the API gives no Null for group G")
        );
        assert_eq!(
            known_count(&v, "Neg", "group G"),
            Known::unknown("the API gives Neg -1 for group G, not a count")
        );
        assert_eq!(
            known_count(&v, "Frac", "group G"),
            Known::unknown("the API gives Frac 1.5 for group G, not a count")
        );
        assert_eq!(
            known_count(&v, "Str", "group G"),
            Known::unknown("the API gives Str \"4\" for group G, not a count")
        );
    }
}
