//! [`LogEvent`]: one log event's message with the two views patterns need, each computed at most
//! once and only when a pattern asks for it: the JSON parse and the space-delimited field split.
//!
//! A `LogEvent` is meant to be built once per event and matched against every filter of a log
//! group. It is not `Sync` (the views are filled lazily through `OnceCell`); share the compiled
//! patterns across threads instead.

use std::cell::OnceCell;

use crate::cursor::is_blank;
use crate::json_document::JsonDocument;

/// One log event as filter patterns see it: its message text.
#[derive(Debug)]
pub struct LogEvent<'a> {
    message: &'a str,
    json: OnceCell<Option<JsonDocument<'a>>>,
    fields: OnceCell<Vec<Field<'a>>>,
}

impl<'a> LogEvent<'a> {
    /// Wraps a message; nothing is parsed until a pattern needs it.
    pub fn new(message: &'a str) -> Self {
        LogEvent {
            message,
            json: OnceCell::new(),
            fields: OnceCell::new(),
        }
    }

    /// The message text.
    pub fn message(&self) -> &'a str {
        self.message
    }

    /// Whether the message is one JSON value (parses it now if no pattern has yet).
    pub fn is_json(&self) -> bool {
        self.json().is_some()
    }

    pub(crate) fn json(&self) -> Option<&JsonDocument<'a>> {
        self.json
            .get_or_init(|| JsonDocument::parse(self.message))
            .as_ref()
    }

    pub(crate) fn fields(&self) -> &[Field<'a>] {
        self.fields.get_or_init(|| split_fields(self.message))
    }
}

/// One field of a space-delimited message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    /// The field's value, without its enclosing `"…"` or `[…]`.
    pub value: &'a str,
    /// Byte offset where the field (including an opening quote or bracket) starts.
    pub start: usize,
}

/// Splits a message into fields: runs of blanks separate fields, and text between `"` and `"` or
/// `[` and `]` is one field (the delimiters are dropped). A quote or bracket that opens a field
/// but never closes is an ordinary character; a closing one ends its field even when no blank
/// follows. (AWS documents neither case; both are our choice.)
pub(crate) fn split_fields(message: &str) -> Vec<Field<'_>> {
    let mut fields = Vec::new();
    let mut rest_start = 0;
    loop {
        let rest = &message[rest_start..];
        let Some(skip) = rest.find(|c: char| !is_blank(c)) else {
            return fields;
        };
        let start = rest_start + skip;
        let (value, next) = field_at(message, start);
        fields.push(Field { value, start });
        rest_start = next;
    }
}

/// The field starting at byte `start` and the byte offset just after it.
fn field_at(message: &str, start: usize) -> (&str, usize) {
    let closing = match message.as_bytes()[start] {
        b'"' => Some('"'),
        b'[' => Some(']'),
        _ => None,
    };
    if let Some(closing) = closing
        && let Some(length) = message[start + 1..].find(closing)
    {
        let end = start + 1 + length;
        return (&message[start + 1..end], end + 1);
    }
    let length = message[start..]
        .find(is_blank)
        .unwrap_or(message.len() - start);
    (&message[start..start + length], start + length)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(message: &str, expected: &[&str]) {
        let values: Vec<&str> = split_fields(message).iter().map(|f| f.value).collect();
        assert_eq!(values, expected, "split_fields({message:?})");
    }

    #[test]
    fn splits_on_blanks_quotes_and_brackets() {
        check(
            r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534"#,
            &[
                "127.0.0.1",
                "-",
                "frank",
                "10/Oct/2000:13:25:15 -0700",
                "GET /apache_pb.gif HTTP/1.0",
                "200",
                "1534",
            ],
        );
        check("  a \t b  ", &["a", "b"]);
        check("", &[]);
        check(r#""unclosed quote"#, &["\"unclosed", "quote"]);
        check(r#""x"y z"#, &["x", "y", "z"]);
        check(r#"[] "" end"#, &["", "", "end"]);
    }

    #[test]
    fn views_are_computed_lazily_and_once() {
        let event = LogEvent::new(r#"{"a": 1}"#);
        assert!(event.json.get().is_none());
        assert!(event.is_json());
        assert!(std::ptr::eq(event.json().unwrap(), event.json().unwrap()));
        assert!(!LogEvent::new("plain text").is_json());
        assert_eq!(event.fields().len(), 2);
    }
}
