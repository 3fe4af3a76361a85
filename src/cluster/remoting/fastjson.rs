//! A lenient JSON reader for bodies as RocketMQ servers write them. Java brokers use fastjson,
//! which writes non-string map keys raw: bare numbers (`{0:"addr"}`) and whole objects
//! (`{{"topic":"T","brokerName":"b","queueId":0}:{...}}`). Such keys become strings here (the
//! object in compact JSON), the same form some servers send on purpose (`"{\"topic\":...}"`), so
//! one typed parser serves all three.

use serde_json::{Map, Number, Value};

const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub offset: usize,
    pub problem: String,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.problem, self.offset)
    }
}

pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut p = Parser { b: bytes, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("trailing characters after the JSON value"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, problem: &str) -> JsonError {
        JsonError {
            offset: self.i,
            problem: problem.to_string(),
        }
    }

    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected '{}'", c as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(c) if c == b'-' || c.is_ascii_digit() => self.number().map(Value::Number),
            Some(_) => Err(self.err("unexpected character")),
            None => Err(self.err("unexpected end of input")),
        }
    }

    fn word(&mut self, w: &str, v: Value) -> Result<Value, JsonError> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.i;
        while self.i < self.b.len()
            && matches!(
                self.b[self.i],
                b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
            )
        {
            self.i += 1;
        }
        let text =
            std::str::from_utf8(&self.b[start..self.i]).map_err(|_| self.err("invalid number"))?;
        serde_json::from_str::<Number>(text).map_err(|_| JsonError {
            offset: start,
            problem: format!("invalid number {text:?}"),
        })
    }

    fn string(&mut self) -> Result<String, JsonError> {
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return serde_json::from_slice::<String>(&self.b[start..self.i]).map_err(|e| {
                        JsonError {
                            offset: start,
                            problem: format!("invalid string ({e})"),
                        }
                    });
                }
                _ => self.i += 1,
            }
        }
        Err(JsonError {
            offset: start,
            problem: "unterminated string".into(),
        })
    }

    fn key(&mut self, depth: usize) -> Result<String, JsonError> {
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'{') | Some(b'[') => {
                let v = self.value(depth + 1)?;
                Ok(v.to_string())
            }
            Some(c) if c == b'-' || c.is_ascii_digit() => Ok(self.number()?.to_string()),
            // fastjson can also write unquoted identifiers as keys.
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                while self.i < self.b.len()
                    && (self.b[self.i].is_ascii_alphanumeric() || self.b[self.i] == b'_')
                {
                    self.i += 1;
                }
                Ok(String::from_utf8_lossy(&self.b[start..self.i]).into_owned())
            }
            _ => Err(self.err("expected an object key")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.expect(b'{')?;
        let mut map = Map::new();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(map));
        }
        loop {
            let k = self.key(depth)?;
            self.expect(b':')?;
            let v = self.value(depth + 1)?;
            map.insert(k, v);
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.err("expected ',' or '}' in object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.expect(b'[')?;
        let mut items = vec![];
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.err("expected ',' or ']' in array")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_json_parses_as_serde_json_does() {
        let text = r#"{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"d\u00e9\n"}}"#;
        assert_eq!(
            parse(text.as_bytes()).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
    }

    #[test]
    fn bare_numeric_and_object_keys_become_strings() {
        let v = parse(br#"{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"}}"#).unwrap();
        assert_eq!(v["brokerAddrs"]["0"], "127.0.0.1:10911");
        let v = parse(br#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":10,"consumerOffset":4}}}"#).unwrap();
        let (k, val) = v["offsetTable"].as_object().unwrap().iter().next().unwrap();
        let key: Value = serde_json::from_str(k).unwrap();
        assert_eq!(key["topic"], "T");
        assert_eq!(val["brokerOffset"], 10);
    }

    #[test]
    fn malformed_input_is_an_error() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"a\"}",
            b"[1,",
            b"{\"a\":1}x",
            b"\"abc",
            b"{:1}",
            b"tru",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = "[".repeat(10_000);
        assert!(parse(deep.as_bytes()).is_err());
    }
}
