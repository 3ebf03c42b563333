//! Every opaque string this service hands out: GetLogEvents' `f/…/s` and `b/…/s` tokens,
//! FilterLogEvents' `nextToken` and `eventId`, the `nextToken` of the Describe operations and
//! PutLogEvents' sequence tokens.
//!
//! Event positions are printed as 56 decimal digits (20 for the timestamp, 36 for the event id),
//! the length AWS's own tokens and event ids have. Tokens carry a position, never a query: a
//! client that changes its parameters between pages simply continues from that position.

use crate::error::LogsApiError;
use crate::store::events::{Direction, EventPosition};

/// A GetLogEvents token: where to continue and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StreamToken {
    pub direction: Direction,
    pub position: EventPosition,
}

impl StreamToken {
    /// `f/<digits>/s` or `b/<digits>/s`.
    pub fn encode(self) -> String {
        let prefix = match self.direction {
            Direction::Forward => 'f',
            Direction::Backward => 'b',
        };
        format!("{prefix}/{}/s", position_digits(self.position))
    }

    /// Reads a token this service issued.
    pub fn parse(token: &str) -> Result<StreamToken, LogsApiError> {
        let direction = match token.get(..2) {
            Some("f/") => Direction::Forward,
            Some("b/") => Direction::Backward,
            _ => return Err(LogsApiError::invalid_next_token()),
        };
        let digits = token[2..]
            .strip_suffix("/s")
            .ok_or_else(LogsApiError::invalid_next_token)?;
        let position = parse_position(digits).ok_or_else(LogsApiError::invalid_next_token)?;
        Ok(StreamToken {
            direction,
            position,
        })
    }
}

/// A FilterLogEvents `nextToken`: the direction of the first request and the last position seen.
pub(crate) fn encode_filter_token(direction: Direction, position: EventPosition) -> String {
    let direction = match direction {
        Direction::Forward => "F",
        Direction::Backward => "B",
    };
    format!("ot1-{direction}{}", position_digits(position))
}

/// Reads a FilterLogEvents `nextToken`.
pub(crate) fn parse_filter_token(token: &str) -> Result<(Direction, EventPosition), LogsApiError> {
    let rest = token
        .strip_prefix("ot1-")
        .ok_or_else(LogsApiError::invalid_next_token)?;
    let direction = match rest.get(..1) {
        Some("F") => Direction::Forward,
        Some("B") => Direction::Backward,
        _ => return Err(LogsApiError::invalid_next_token()),
    };
    let position = parse_position(&rest[1..]).ok_or_else(LogsApiError::invalid_next_token)?;
    Ok((direction, position))
}

/// FilterLogEvents' `eventId`: the event's position as 56 digits, unique within a group.
pub(crate) fn event_id(position: EventPosition) -> String {
    position_digits(position)
}

/// A sequence token (PutLogEvents' `nextSequenceToken`, DescribeLogStreams' `uploadSequenceToken`).
pub(crate) fn sequence_token(upload_sequence: i64) -> String {
    format!("{upload_sequence:056}")
}

/// A Describe operation's `nextToken` for the last returned item's sort key.
pub(crate) fn encode_list_token(sort_key: &str) -> String {
    let mut token = String::with_capacity(4 + sort_key.len() * 2);
    token.push_str("ot1.");
    for byte in sort_key.bytes() {
        token.push_str(&format!("{byte:02x}"));
    }
    token
}

/// The sort key a Describe `nextToken` carries.
pub(crate) fn parse_list_token(token: &str) -> Result<String, LogsApiError> {
    let hex = token
        .strip_prefix("ot1.")
        .ok_or_else(LogsApiError::invalid_next_token)?;
    if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LogsApiError::invalid_next_token());
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).expect("checked hex digits"))
        .collect();
    String::from_utf8(bytes).map_err(|_| LogsApiError::invalid_next_token())
}

/// One page of an already sorted list: the items after the token's key (in list order) and the
/// token for the next page, present only when items remain.
pub(crate) fn page_of<T>(
    items: Vec<T>,
    sort_key: impl Fn(&T) -> String,
    descending: bool,
    token: Option<&str>,
    limit: usize,
) -> Result<(Vec<T>, Option<String>), LogsApiError> {
    let after = token.map(parse_list_token).transpose()?;
    let mut remaining = items.into_iter().filter(|item| match &after {
        None => true,
        Some(after) if descending => sort_key(item) < *after,
        Some(after) => sort_key(item) > *after,
    });
    let page: Vec<T> = remaining.by_ref().take(limit).collect();
    let next = match (remaining.next(), page.last()) {
        (Some(_), Some(last)) => Some(encode_list_token(&sort_key(last))),
        _ => None,
    };
    Ok((page, next))
}

fn position_digits(position: EventPosition) -> String {
    format!(
        "{:020}{:036}",
        position.timestamp.max(0),
        position.event_id.max(0)
    )
}

fn parse_position(digits: &str) -> Option<EventPosition> {
    if digits.len() != 56 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let timestamp = digits[..20].parse().ok()?;
    let event_id = digits[20..].parse().ok()?;
    Some(EventPosition {
        timestamp,
        event_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSITION: EventPosition = EventPosition {
        timestamp: 1_700_000_000_123,
        event_id: 42,
    };

    #[test]
    fn stream_tokens_round_trip_and_reject_foreign_text() {
        for direction in [Direction::Forward, Direction::Backward] {
            let token = StreamToken {
                direction,
                position: POSITION,
            };
            let text = token.encode();
            assert_eq!(text.len(), 2 + 56 + 2);
            assert_eq!(StreamToken::parse(&text), Ok(token));
        }
        for bad in [
            "invalid-token",
            "f/123/s",
            "x/00000000000000000000000000000000000000000000000000000000/s",
            "f/0000000000000000000000000000000000000000000000000000000a/s",
        ] {
            assert_eq!(
                StreamToken::parse(bad),
                Err(LogsApiError::invalid_next_token()),
                "{bad}"
            );
        }
    }

    #[test]
    fn filter_tokens_round_trip() {
        let text = encode_filter_token(Direction::Backward, POSITION);
        assert_eq!(
            parse_filter_token(&text),
            Ok((Direction::Backward, POSITION))
        );
        assert!(parse_filter_token("f/1/s").is_err());
        assert_eq!(event_id(POSITION).len(), 56);
    }

    #[test]
    fn list_pages_walk_both_orders() {
        let names = || vec!["a", "b", "c", "d", "e"];
        let key = |item: &&str| item.to_string();
        let (first, token) = page_of(names(), key, false, None, 2).unwrap();
        assert_eq!(first, ["a", "b"]);
        let (second, token) = page_of(names(), key, false, token.as_deref(), 2).unwrap();
        assert_eq!(second, ["c", "d"]);
        let (third, token) = page_of(names(), key, false, token.as_deref(), 2).unwrap();
        assert_eq!((third, token), (vec!["e"], None));
        let reversed = || vec!["e", "d", "c"];
        let (first, token) = page_of(reversed(), key, true, None, 2).unwrap();
        assert_eq!(first, ["e", "d"]);
        let (second, token) = page_of(reversed(), key, true, token.as_deref(), 2).unwrap();
        assert_eq!((second, token), (vec!["c"], None));
        assert!(page_of(names(), key, false, Some("zz"), 2).is_err());
        assert_eq!(
            parse_list_token(&encode_list_token("a/b#1")),
            Ok("a/b#1".to_owned())
        );
    }
}
