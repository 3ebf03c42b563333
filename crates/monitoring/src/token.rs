//! Opaque pagination tokens: `NextToken` values are the hex of `<kind>:<cursor>`, so a token
//! issued by one operation is refused by another, and a caller cannot forge a cursor that reads
//! outside its own account (every query is scoped by account and region anyway).

/// Encodes a cursor for `kind` (`alarms`, `metrics`, `history`, `data`).
pub fn encode(kind: &str, cursor: &str) -> String {
    format!("{kind}:{cursor}")
        .bytes()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Decodes a token issued for `kind`; `None` for anything else.
pub fn decode(kind: &str, token: &str) -> Option<String> {
    if !token.len().is_multiple_of(2) || token.len() > 4096 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    text.strip_prefix(kind)?
        .strip_prefix(':')
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_only_for_their_kind() {
        let token = encode("alarms", "my alarm");
        assert_eq!(decode("alarms", &token), Some("my alarm".to_owned()));
        assert_eq!(decode("metrics", &token), None);
        assert_eq!(decode("alarms", "zz"), None);
        assert_eq!(decode("alarms", "abc"), None);
    }
}
