//! A log event's message parsed as JSON into a flat, borrowed node table ("tape") that compiled
//! selectors walk without allocating: one `Vec` per event, every string a slice of the message.
//!
//! Strings are kept undecoded; [`JsonDocument::string`] decodes escapes only when a string has
//! any. The parser is strict RFC 8259 (what serde_json accepts), with a nesting limit; a message
//! that fails to parse simply has no document. It does not build maps, keep numbers as floats,
//! or support writing JSON back.

use std::borrow::Cow;

/// Deeper documents are treated as not JSON (serde_json's default limit is the same order).
const MAX_DEPTH: usize = 128;

/// The JSON type of one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonKind {
    Null,
    True,
    False,
    Number,
    String,
    Array,
    Object,
}

#[derive(Debug, Clone, Copy)]
struct Node<'a> {
    /// The member name (undecoded) when the node is an object member, else "".
    key: &'a str,
    /// String: the content between the quotes; number: its text; others: the whole value text.
    raw: &'a str,
    /// Index of the first node after this node's subtree.
    end: u32,
    kind: JsonKind,
    key_escaped: bool,
    raw_escaped: bool,
}

/// A parsed JSON message; node 0 is the root, children follow their parent in document order.
#[derive(Debug)]
pub(crate) struct JsonDocument<'a> {
    nodes: Vec<Node<'a>>,
}

/// The direct children of an object (its member values) or array (its elements).
#[derive(Debug, Clone)]
pub(crate) struct Children<'d, 'a> {
    nodes: &'d [Node<'a>],
    next: usize,
    end: usize,
}

impl Iterator for Children<'_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let child = self.next;
        self.next = self.nodes[child].end as usize;
        Some(child)
    }
}

impl<'a> JsonDocument<'a> {
    /// Parses `text`, or returns `None` when it is not exactly one JSON value.
    pub(crate) fn parse(text: &'a str) -> Option<Self> {
        let mut parser = Parser {
            text,
            bytes: text.as_bytes(),
            position: 0,
            nodes: Vec::with_capacity(text.len() / 16 + 4),
        };
        parser.skip_whitespace();
        parser.value("", false, 0)?;
        parser.skip_whitespace();
        (parser.position == text.len()).then_some(JsonDocument {
            nodes: parser.nodes,
        })
    }

    pub(crate) const ROOT: usize = 0;

    pub(crate) fn kind(&self, node: usize) -> JsonKind {
        self.nodes[node].kind
    }

    /// The node's text: string content (undecoded), number text, or the whole value's JSON.
    pub(crate) fn raw(&self, node: usize) -> &'a str {
        self.nodes[node].raw
    }

    pub(crate) fn children(&self, node: usize) -> Children<'_, 'a> {
        Children {
            nodes: &self.nodes,
            next: node + 1,
            end: self.nodes[node].end as usize,
        }
    }

    /// The value of member `key` of an object node (the first one if the key repeats).
    pub(crate) fn member(&self, node: usize, key: &str) -> Option<usize> {
        if self.nodes[node].kind != JsonKind::Object {
            return None;
        }
        self.children(node).find(|&child| {
            let member = &self.nodes[child];
            if member.key_escaped {
                decode(member.key) == key
            } else {
                member.key == key
            }
        })
    }

    /// Element `index` (0-based) of an array node.
    pub(crate) fn element(&self, node: usize, index: usize) -> Option<usize> {
        if self.nodes[node].kind != JsonKind::Array {
            return None;
        }
        self.children(node).nth(index)
    }

    /// A string node's decoded content.
    pub(crate) fn string(&self, node: usize) -> Option<Cow<'a, str>> {
        let found = &self.nodes[node];
        match (found.kind, found.raw_escaped) {
            (JsonKind::String, false) => Some(Cow::Borrowed(found.raw)),
            (JsonKind::String, true) => Some(Cow::Owned(decode(found.raw))),
            _ => None,
        }
    }

    /// The value as text: decoded string content, or the JSON text of anything else.
    pub(crate) fn text(&self, node: usize) -> Cow<'a, str> {
        self.string(node)
            .unwrap_or(Cow::Borrowed(self.nodes[node].raw))
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    position: usize,
    nodes: Vec<Node<'a>>,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.position += 1;
        }
    }

    fn push(&mut self, kind: JsonKind, key: (&'a str, bool), raw: (&'a str, bool)) {
        let end = self.nodes.len() as u32 + 1;
        self.nodes.push(Node {
            key: key.0,
            raw: raw.0,
            end,
            kind,
            key_escaped: key.1,
            raw_escaped: raw.1,
        });
    }

    fn value(&mut self, key: &'a str, key_escaped: bool, depth: usize) -> Option<()> {
        let key = (key, key_escaped);
        match self.peek()? {
            b'{' => self.container(key, depth, b'}'),
            b'[' => self.container(key, depth, b']'),
            b'"' => {
                let raw = self.string()?;
                self.push(JsonKind::String, key, raw);
                Some(())
            }
            b't' => self.keyword(key, "true", JsonKind::True),
            b'f' => self.keyword(key, "false", JsonKind::False),
            b'n' => self.keyword(key, "null", JsonKind::Null),
            b'-' | b'0'..=b'9' => self.number(key),
            _ => None,
        }
    }

    fn keyword(&mut self, key: (&'a str, bool), word: &'a str, kind: JsonKind) -> Option<()> {
        if !self.bytes[self.position..].starts_with(word.as_bytes()) {
            return None;
        }
        self.position += word.len();
        self.push(kind, key, (word, false));
        Some(())
    }

    /// An object (`close` = `}`) or an array (`close` = `]`), opening bracket at `position`.
    fn container(&mut self, key: (&'a str, bool), depth: usize, close: u8) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let is_object = close == b'}';
        let kind = if is_object {
            JsonKind::Object
        } else {
            JsonKind::Array
        };
        let index = self.nodes.len();
        let start = self.position;
        self.push(kind, key, ("", false));
        self.position += 1;
        self.skip_whitespace();
        if self.peek()? == close {
            self.position += 1;
        } else {
            self.items(is_object, depth, close)?;
        }
        let end = self.nodes.len() as u32;
        let node = &mut self.nodes[index];
        node.end = end;
        node.raw = &self.text[start..self.position];
        Some(())
    }

    fn items(&mut self, is_object: bool, depth: usize, close: u8) -> Option<()> {
        loop {
            let (key, key_escaped) = if is_object {
                self.member_name()?
            } else {
                ("", false)
            };
            self.value(key, key_escaped, depth + 1)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.position += 1;
                    self.skip_whitespace();
                }
                found if found == close => {
                    self.position += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn member_name(&mut self) -> Option<(&'a str, bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        let name = self.string()?;
        self.skip_whitespace();
        if self.peek()? != b':' {
            return None;
        }
        self.position += 1;
        self.skip_whitespace();
        Some(name)
    }

    /// A string at its opening quote: the content slice and whether it has escapes.
    fn string(&mut self) -> Option<(&'a str, bool)> {
        let start = self.position + 1;
        let mut at = start;
        let mut escaped = false;
        loop {
            at += memchr::memchr2(b'"', b'\\', &self.bytes[at..])?;
            if self.bytes[at] == b'"' {
                break;
            }
            escaped = true;
            at += escape_length(&self.bytes[at..])?;
        }
        if self.bytes[start..at].iter().any(|&byte| byte < 0x20) {
            return None;
        }
        self.position = at + 1;
        Some((&self.text[start..at], escaped))
    }

    fn number(&mut self, key: (&'a str, bool)) -> Option<()> {
        let start = self.position;
        if self.peek() == Some(b'-') {
            self.position += 1;
        }
        match self.peek()? {
            b'0' => self.position += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.position += 1;
            self.required_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.position += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.position += 1;
            }
            self.required_digits()?;
        }
        self.push(
            JsonKind::Number,
            key,
            (&self.text[start..self.position], false),
        );
        Some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.position += 1;
        }
    }

    fn required_digits(&mut self) -> Option<()> {
        let before = self.position;
        self.digits();
        (self.position > before).then_some(())
    }
}

/// Length of the escape sequence at the start of `bytes` (which starts with `\`).
fn escape_length(bytes: &[u8]) -> Option<usize> {
    match bytes.get(1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(2),
        b'u' => {
            let hex = bytes.get(2..6)?;
            hex.iter().all(u8::is_ascii_hexdigit).then_some(6)
        }
        _ => None,
    }
}

/// Decodes the escapes of a validated JSON string body. A lone surrogate becomes U+FFFD.
fn decode(raw: &str) -> String {
    let mut decoded = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('\\') {
        decoded.push_str(&rest[..at]);
        let escape = &rest[at + 1..];
        let (character, used) = decode_escape(escape);
        decoded.push(character);
        rest = &escape[used..];
    }
    decoded.push_str(rest);
    decoded
}

/// One escape after its backslash: the character and how many bytes of `escape` it used.
fn decode_escape(escape: &str) -> (char, usize) {
    let simple = match escape.as_bytes()[0] {
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return decode_unicode_escape(escape),
        other => other as char,
    };
    (simple, 1)
}

fn decode_unicode_escape(escape: &str) -> (char, usize) {
    let unit = |text: &str| u32::from_str_radix(text, 16).unwrap_or(0xFFFD);
    let first = unit(&escape[1..5]);
    if (0xD800..0xDC00).contains(&first) && escape[5..].starts_with("\\u") && escape.len() >= 11 {
        let second = unit(&escape[7..11]);
        if (0xDC00..0xE000).contains(&second) {
            let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            return (char::from_u32(combined).unwrap_or('\u{FFFD}'), 11);
        }
    }
    (char::from_u32(first).unwrap_or('\u{FFFD}'), 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_valid(text: &str, valid: bool) {
        assert_eq!(
            JsonDocument::parse(text).is_some(),
            valid,
            "parse({text:?})"
        );
        let serde = serde_json::from_str::<serde_json::Value>(text).is_ok();
        assert_eq!(serde, valid, "serde_json disagrees on {text:?}");
    }

    #[test]
    fn accepts_exactly_what_serde_json_accepts() {
        for (text, valid) in [
            (r#"{"a":1}"#, true),
            (" [1, -2.5e+3, true, false, null, \"x\"] ", true),
            (r#"{"a":{"b":[{"c":"\u00e9\n"}]}}"#, true),
            ("1.688560107857E9", true),
            ("{}", true),
            ("", false),
            ("{", false),
            (r#"{"a":1,}"#, false),
            (r#"{"a" 1}"#, false),
            ("[1 2]", false),
            ("01", false),
            ("1.", false),
            ("-", false),
            ("tru", false),
            (r#""bad \x escape""#, false),
            ("\"tab\tinside\"", false),
            ("{} {}", false),
            ("ERROR something", false),
        ] {
            check_valid(text, valid);
        }
    }

    #[test]
    fn members_elements_and_decoding() {
        let document =
            JsonDocument::parse(r#"{"a\"b":1,"list":[10,"x\u00e9\ud83d\ude00",{"k":null}],"a":2}"#)
                .unwrap();
        let root = JsonDocument::ROOT;
        assert_eq!(document.raw(document.member(root, "a\"b").unwrap()), "1");
        assert_eq!(document.raw(document.member(root, "a").unwrap()), "2");
        let list = document.member(root, "list").unwrap();
        assert_eq!(document.children(list).count(), 3);
        let second = document.element(list, 1).unwrap();
        assert_eq!(document.string(second).unwrap(), "xé😀");
        let third = document.element(list, 2).unwrap();
        assert_eq!(document.text(third), r#"{"k":null}"#);
        assert_eq!(
            document.kind(document.member(third, "k").unwrap()),
            JsonKind::Null
        );
        assert!(document.element(list, 3).is_none());
        assert!(document.member(list, "a").is_none());
    }

    #[test]
    fn every_proper_prefix_of_a_document_is_not_json() {
        let text = r#"{"a":[1,-2.5e3,"x\"y\u00e9",{"b":null,"c":true}],"d":false}"#;
        assert!(JsonDocument::parse(text).is_some());
        for end in 0..text.len() {
            assert!(
                JsonDocument::parse(&text[..end]).is_none(),
                "{:?}",
                &text[..end]
            );
        }
    }

    #[test]
    fn nesting_beyond_the_limit_is_not_json() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(JsonDocument::parse(&deep).is_none());
        let fine = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(JsonDocument::parse(&fine).is_some());
    }
}
