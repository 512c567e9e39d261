//! `validFrom` and `validUntil`: XML Schema `dateTimeStamp`s, which realdid reads and writes
//! as RFC 3339 (a date, a time and a mandatory offset), converted to unix seconds.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::VcJwtError;

/// Parses an RFC 3339 date-time into unix seconds (fractions are dropped).
pub fn parse_datetime(name: &str, text: &str) -> Result<i64, VcJwtError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|e| VcJwtError::InvalidClaim {
            name: name.into(),
            reason: format!("not an RFC 3339 date-time: {e}"),
        })
}

/// Formats unix seconds as RFC 3339 in UTC, `2025-06-15T08:26:40Z`.
pub fn format_datetime(unix: i64) -> Result<String, VcJwtError> {
    let invalid = |reason: String| VcJwtError::InvalidClaim {
        name: "date-time".into(),
        reason,
    };
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|e| invalid(e.to_string()))?
        .format(&Rfc3339)
        .map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use super::*;

    #[test]
    fn round_trip_and_offsets() {
        assert_eq!(
            format_datetime(1_750_000_000).unwrap(),
            "2025-06-15T15:06:40Z"
        );
        assert_eq!(
            parse_datetime("v", "2025-06-15T15:06:40Z").unwrap(),
            1_750_000_000
        );
        assert_eq!(
            parse_datetime("v", "2025-06-15T23:06:40.5+08:00").unwrap(),
            1_750_000_000
        );
        assert!(parse_datetime("v", "2025-06-15T15:06:40").is_err()); // no offset
        assert!(parse_datetime("v", "2025-06-15").is_err());
    }
}
