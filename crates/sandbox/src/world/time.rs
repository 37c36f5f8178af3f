//! Timestamps as NetBird writes them: RFC 3339 in UTC. [`Ts::zero`] is Go's zero time
//! (`0001-01-01T00:00:00Z`), which NetBird answers for "never" (a setup key's `last_used`, an
//! expiry that is not set).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// A point in time, serialized as an RFC 3339 string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(OffsetDateTime);

impl Ts {
    /// The current time.
    pub fn now() -> Ts {
        Ts(OffsetDateTime::now_utc())
    }

    /// Go's zero time, `0001-01-01T00:00:00Z`.
    pub fn zero() -> Ts {
        Ts(time::macros::datetime!(0001-01-01 0:00 UTC))
    }

    /// Whether this is [`Ts::zero`].
    pub fn is_zero(self) -> bool {
        self == Ts::zero()
    }

    /// This time plus `secs` seconds (saturating).
    pub fn plus_secs(self, secs: i64) -> Ts {
        Ts(self.0.saturating_add(Duration::seconds(secs)))
    }

    /// The RFC 3339 text.
    pub fn text(self) -> String {
        self.0.format(&Rfc3339).unwrap_or_default()
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Ts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ts, D::Error> {
        let text = String::deserialize(d)?;
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(Ts)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_go_zero_time() {
        assert_eq!(Ts::zero().text(), "0001-01-01T00:00:00Z");
        let back: Ts = serde_json::from_str("\"0001-01-01T00:00:00Z\"").unwrap();
        assert!(back.is_zero());
    }

    #[test]
    fn plus_secs_moves_forward() {
        let t = Ts::now();
        assert!(t.plus_secs(86_400) > t);
    }
}
