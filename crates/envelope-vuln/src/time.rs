//! Times in the database: RFC 3339 parsed and printed with jiff, and a
//! readable length of time for messages.

/// `modified` times: RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`,
/// `t` or a space allowed for `T`); `None` otherwise.
pub fn parse_rfc3339(s: &str) -> Option<jiff::Timestamp> {
    s.parse().ok()
}

/// Whole seconds since the Unix epoch, rounded down (a time before 1970
/// with a fraction belongs to the second that starts before it).
pub fn unix_seconds(t: jiff::Timestamp) -> i64 {
    t.as_second() - i64::from(t.subsec_nanosecond() < 0)
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`; outside the
/// years -9999 to 9999, the number itself.
pub fn format_unix(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).map_or_else(|_| format!("@{secs}"), |t| t.to_string())
}

/// A rough, readable length of time: `3 days`, `5 hours`, `1 minute`.
pub fn human_duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    let (n, unit) = if s >= 2 * 86_400 {
        (s / 86_400, "day")
    } else if s >= 2 * 3600 {
        (s / 3600, "hour")
    } else if s >= 60 {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let t = |s: &str| parse_rfc3339(s).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(unix_seconds(t("1970-01-01T00:00:00Z")), 0);
        assert_eq!(unix_seconds(t("2000-03-01T00:00:00Z")), 951_868_800);
        assert_eq!(
            unix_seconds(t("2026-08-21T13:38:00-07:00")),
            unix_seconds(t("2026-08-21T20:38:00Z"))
        );
        assert_eq!(t("2024-01-01T00:00:00.5Z").subsec_nanosecond(), 500_000_000);
        assert_eq!(unix_seconds(t("1969-12-31T23:59:59.5Z")), -1);
        assert_eq!(t("2024-01-01t00:00:00z"), t("2024-01-01 00:00:00Z"));
        assert!(t("0001-01-01T00:00:00Z") < t("2023-01-01T00:00:00Z"));
        assert!(t("2023-01-01T00:00:00+01:00") < t("2023-01-01T00:00:00Z"));
        for s in [
            "1970-01-01T00:00:00Z",
            "2026-08-21T20:38:00Z",
            "2000-02-29T23:59:59Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(format_unix(unix_seconds(t(s))), s);
        }
        assert_eq!(format_unix(i64::MAX), format!("@{}", i64::MAX));
        assert_eq!(
            human_duration(std::time::Duration::from_secs(3 * 86_400 + 5)),
            "3 days"
        );
        assert_eq!(
            human_duration(std::time::Duration::from_secs(61)),
            "1 minute"
        );
        for bad in [
            "",
            "2023-01-01",
            "2023-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2023-01-01T00:00:00",
            "2023-01-01T00:00:00+1:00",
            "2023-01-01T00:00:00.Z",
            "2023-01-01T24:00:00Z",
            "２０２3-01-01T00:00:00Z",
        ] {
            assert!(parse_rfc3339(bad).is_none(), "{bad:?}");
        }
    }
}
