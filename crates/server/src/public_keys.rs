//! `ListPublicKeys`: the public halves of the region's digest-signing keys whose validity overlaps
//! the requested range (reference §6.4), as `aws cloudtrail validate-logs` fetches them.
//!
//! `Value` is the DER of a PKCS#1 `RSAPublicKey`, base64 once on the wire; times are epoch seconds.
//! Keys belong to a region, not to an account, as on AWS.

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use crate::api_error::ApiFailure;

/// Answers one ListPublicKeys call for `region` at `now`.
pub fn list_public_keys(
    keys: &opentrail_integrity::KeyStore,
    region: &str,
    input: &Value,
    now: DateTime<Utc>,
) -> Result<Value, ApiFailure> {
    let start = time_member(input, "StartTime")?.unwrap_or(now);
    let end = time_member(input, "EndTime")?.unwrap_or(now);
    if start > end {
        return Err(ApiFailure::new(
            "InvalidTimeRangeException",
            "Start time must be earlier than or equal to end time.",
        ));
    }
    if input.get("NextToken").is_some_and(|token| !token.is_null()) {
        return Err(ApiFailure::new(
            "InvalidTokenException",
            "Reserved for future use.",
        ));
    }
    keys.current(region, now).map_err(|error| {
        tracing::error!(%error, region, "no signing key");
        ApiFailure::internal()
    })?;
    let list: Vec<Value> = keys
        .public_keys(region, start, end)
        .into_iter()
        .map(|key| {
            json!({
                "Value": base64::engine::general_purpose::STANDARD.encode(&key.der),
                "ValidityStartTime": epoch(key.validity_start),
                "ValidityEndTime": epoch(key.validity_end),
                "Fingerprint": key.fingerprint,
            })
        })
        .collect();
    Ok(json!({ "PublicKeyList": list }))
}

fn time_member(input: &Value, name: &str) -> Result<Option<DateTime<Utc>>, ApiFailure> {
    let Some(value) = input.get(name).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let seconds = value.as_f64().ok_or_else(|| {
        ApiFailure::new(
            "SerializationException",
            format!("{name} must be a timestamp"),
        )
    })?;
    Utc.timestamp_millis_opt((seconds * 1000.0) as i64)
        .single()
        .map(Some)
        .ok_or_else(|| {
            ApiFailure::new(
                "InvalidTimeRangeException",
                format!("{name} is out of range"),
            )
        })
}

fn epoch(time: DateTime<Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}
