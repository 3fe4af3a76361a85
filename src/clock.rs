//! Wall-clock time as plain numbers, so the pure core can be driven by tests with any `now`.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = u64;

/// The wall clock read once, then moved on by the monotonic clock: within one process time never
/// goes back or leaps when the system clock is stepped, so a settle window cannot be held open
/// (or closed early) by a clock change.
pub fn now() -> Millis {
    static ANCHOR: OnceLock<(Millis, Instant)> = OnceLock::new();
    let (wall, at) = ANCHOR.get_or_init(|| {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0);
        (wall, Instant::now())
    });
    wall + at.elapsed().as_millis() as Millis
}

pub fn ms(d: Duration) -> Millis {
    d.as_millis() as Millis
}

/// A short human age: "800ms", "12s", "4m05s", "2h03m".
pub fn age(ms: Millis) -> String {
    let s = ms / 1000;
    if ms < 1000 {
        format!("{ms}ms")
    } else if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

/// RFC 3339 UTC timestamp, second precision, for reports and journals read by people.
pub fn rfc3339(at: Millis) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(at)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(800), "800ms");
        assert_eq!(age(12_400), "12s");
        assert_eq!(age(245_000), "4m05s");
        assert_eq!(age(7_380_000), "2h03m");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
