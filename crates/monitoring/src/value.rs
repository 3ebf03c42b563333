//! The protocol-neutral value tree between the three wire codecs and the operations.
//!
//! Decoders (`cbor`, `json`, `query`) turn a request body into a [`Value`] without knowing the
//! operation's shapes; operations read it through the lenient accessors of `input`, which accept
//! every spelling the three protocols use for the same member (`60`, `60.0` or `"60"`). Operations
//! build their output as a [`Value`] whose variants carry what the encoders need to know about the
//! shape: a [`Value::Timestamp`] is epoch seconds in CBOR (tag 1) and JSON but ISO 8601 in XML, a
//! [`Value::List`] wraps its items in `<member>` in XML, a [`Value::Map`] is `<entry>` pairs. So the
//! shape table the encoders need is the output tree itself; nothing here knows an operation.

use chrono::{DateTime, Utc};

/// One value of a request or response.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An explicit null (CBOR null or undefined, JSON null); accessors treat it as absent.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Integer(i64),
    /// A double (`Threshold`, datapoint values).
    Double(f64),
    /// A string (every leaf of a query request is one).
    String(String),
    /// A point in time, millisecond precision.
    Timestamp(DateTime<Utc>),
    /// A list.
    List(Vec<Value>),
    /// A structure: members in output order.
    Structure(Vec<(String, Value)>),
    /// A string-keyed map (a model `map`, e.g. `ExtendedStatistics` of a datapoint).
    Map(Vec<(String, Value)>),
}

impl Value {
    #[cfg(test)]
    /// The member `name` of a structure (or map); `None` for other values or absent members.
    pub fn member(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Structure(members) | Value::Map(members) => members
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::String(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::String(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Self {
        Value::String(value.clone())
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Integer(value)
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Self {
        Value::Integer(i64::from(value))
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Value::Double(value)
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(value: DateTime<Utc>) -> Self {
        Value::Timestamp(value)
    }
}

impl From<Vec<Value>> for Value {
    fn from(value: Vec<Value>) -> Self {
        Value::List(value)
    }
}

/// Builds a [`Value::Structure`] member by member, skipping absent optional members.
#[derive(Debug, Default)]
pub struct StructureBuilder {
    members: Vec<(String, Value)>,
}

impl StructureBuilder {
    /// An empty structure.
    pub fn new() -> Self {
        StructureBuilder::default()
    }

    /// Adds a member.
    pub fn field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.members.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a member when `value` is present.
    pub fn optional<V: Into<Value>>(self, name: &str, value: Option<V>) -> Self {
        match value {
            Some(value) => self.field(name, value),
            None => self,
        }
    }

    /// The structure.
    pub fn build(self) -> Value {
        Value::Structure(self.members)
    }
}

/// A list of strings.
pub fn string_list<S: AsRef<str>>(items: &[S]) -> Value {
    Value::List(
        items
            .iter()
            .map(|item| Value::String(item.as_ref().to_owned()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_skips_absent_members_and_keeps_order() {
        let value = StructureBuilder::new()
            .field("B", 1i64)
            .optional::<&str>("Skipped", None)
            .optional("A", Some("x"))
            .build();
        assert_eq!(
            value,
            Value::Structure(vec![
                ("B".into(), Value::Integer(1)),
                ("A".into(), Value::String("x".into()))
            ])
        );
        assert_eq!(value.member("A"), Some(&Value::String("x".into())));
        assert_eq!(value.member("Skipped"), None);
    }
}
