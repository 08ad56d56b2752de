//! RFC 3339 timestamps normalized to the form SPDX 2.3 requires
//! (`YYYY-MM-DDThh:mm:ssZ`: UTC, whole seconds).

use jiff::{RoundMode, Timestamp, TimestampRound, Unit};

/// `s` (RFC 3339: `2024-05-01T12:30:00.123456789+02:00`, `...Z`, a space
/// or lowercase `t` instead of `T`) in UTC without fractional seconds, or
/// None if it is not such a timestamp (or falls outside years 0000-9999
/// once in UTC).
pub(crate) fn normalize_rfc3339(s: &str) -> Option<String> {
    let t: Timestamp = s.trim().parse().ok()?;
    // Down to the second, as dropping the digits of the fraction does.
    let t = t
        .round(
            TimestampRound::new()
                .smallest(Unit::Second)
                .mode(RoundMode::Floor),
        )
        .ok()?;
    if t < Timestamp::from_second(-62_167_219_200).ok()? {
        // Before 0000-01-01T00:00:00Z: no four-digit year.
        return None;
    }
    Some(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::normalize_rfc3339 as n;

    #[test]
    fn already_normal() {
        assert_eq!(
            n("2024-05-01T12:30:00Z").as_deref(),
            Some("2024-05-01T12:30:00Z")
        );
        assert_eq!(
            n("1970-01-01T00:00:00Z").as_deref(),
            Some("1970-01-01T00:00:00Z")
        );
    }

    #[test]
    fn fraction_and_offsets() {
        assert_eq!(
            n("2024-05-01T12:30:00.123456789Z").as_deref(),
            Some("2024-05-01T12:30:00Z")
        );
        assert_eq!(
            n("2024-05-01T01:30:00+02:00").as_deref(),
            Some("2024-04-30T23:30:00Z")
        );
        assert_eq!(
            n("2023-12-31t23:59:59.5-01:30").as_deref(),
            Some("2024-01-01T01:29:59Z")
        );
        assert_eq!(
            n("2024-02-28 23:00:00-01:00").as_deref(),
            Some("2024-02-29T00:00:00Z")
        );
        assert_eq!(
            n("1969-12-31T23:59:59.999Z").as_deref(),
            Some("1969-12-31T23:59:59Z")
        );
        assert_eq!(
            n("0000-01-01T00:00:00Z").as_deref(),
            Some("0000-01-01T00:00:00Z")
        );
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "yesterday",
            "2024-05-01",
            "2024-05-01T12:30:00",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:30:00.Z",
            "2024-05-01T12:30:00+2:00",
            "0000-01-01T00:00:00+00:01",
            "2024-05-01T12:30:00ZZ",
            "２０２４-05-01T12:30:00Z",
        ] {
            assert_eq!(n(bad), None, "{bad:?}");
        }
    }
}
