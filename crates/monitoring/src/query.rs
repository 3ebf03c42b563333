//! The query protocol: `Action=<Op>&Version=2010-08-01` forms in, XML in the 2010-08-01
//! namespace out.
//!
//! Decoding rebuilds the nesting botocore's `QuerySerializer` flattens: `X.member.N` is item N of
//! list X (1-based), `X.entry.N.key`/`.value` an entry of map X, `A.B` member B of structure A,
//! and `X=` an empty list. Every leaf stays a string; `input` parses numbers, booleans and
//! ISO 8601 timestamps from it. Encoding writes `<OpResponse><OpResult>…</OpResult>
//! <ResponseMetadata><RequestId>` with lists as `<member>` items, maps as `<entry>` pairs,
//! timestamps in ISO 8601 with milliseconds, and errors as `<ErrorResponse><Error><Type>
//! <Code><Message>`.

use std::fmt::Write;

use crate::error::ApiError;
use crate::value::Value;

/// The XML namespace of every response.
pub const XML_NAMESPACE: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

/// How many parameters one request may carry (a full PutMetricData has about 40,000).
pub const MAX_PARAMETERS: usize = 100_000;

/// How deeply a parameter name may nest (`A.member.1.B.member.2.C` is six levels).
const MAX_PATH_SEGMENTS: usize = 16;

#[derive(Debug)]
enum Node {
    Leaf(String),
    Branch(Vec<(String, Node)>),
}

/// Decodes `key=value` pairs (form body and URL query merged) into a structure.
pub fn decode(pairs: &[(String, String)]) -> Result<Value, String> {
    if pairs.len() > MAX_PARAMETERS {
        return Err(format!("more than {MAX_PARAMETERS} parameters"));
    }
    let mut root = Node::Branch(Vec::new());
    for (key, value) in pairs {
        let segments: Vec<&str> = key.split('.').collect();
        if segments.len() > MAX_PATH_SEGMENTS || segments.iter().any(|s| s.is_empty()) {
            return Err(format!("malformed parameter name {key:?}"));
        }
        insert(&mut root, &segments, value);
    }
    Ok(to_value(root))
}

fn insert(node: &mut Node, segments: &[&str], value: &str) {
    let Some((first, rest)) = segments.split_first() else {
        *node = Node::Leaf(value.to_owned());
        return;
    };
    if let Node::Leaf(_) = node {
        *node = Node::Branch(Vec::new());
    }
    let Node::Branch(children) = node else {
        return;
    };
    let index = match children.iter().position(|(key, _)| key == first) {
        Some(index) => index,
        None => {
            children.push(((*first).to_owned(), Node::Branch(Vec::new())));
            children.len() - 1
        }
    };
    insert(&mut children[index].1, rest, value);
}

fn to_value(node: Node) -> Value {
    match node {
        Node::Leaf(text) => Value::String(text),
        Node::Branch(children) => branch_to_value(children),
    }
}

fn branch_to_value(mut children: Vec<(String, Node)>) -> Value {
    if children.len() == 1 && (children[0].0 == "member" || children[0].0 == "entry") {
        let (kind, node) = children.remove(0);
        if let Node::Branch(items) = node
            && items.iter().all(|(key, _)| key.parse::<usize>().is_ok())
        {
            let mut items: Vec<(usize, Node)> = items
                .into_iter()
                .map(|(key, node)| (key.parse::<usize>().unwrap_or(0), node))
                .collect();
            items.sort_by_key(|(index, _)| *index);
            return if kind == "member" {
                Value::List(items.into_iter().map(|(_, node)| to_value(node)).collect())
            } else {
                entries_to_map(items)
            };
        }
        return Value::Structure(Vec::new());
    }
    Value::Structure(
        children
            .into_iter()
            .map(|(key, node)| (key, to_value(node)))
            .collect(),
    )
}

fn entries_to_map(items: Vec<(usize, Node)>) -> Value {
    let mut entries = Vec::new();
    for (_, node) in items {
        if let Value::Structure(members) = to_value(node) {
            let key = members.iter().find(|(k, _)| k == "key");
            let value = members.iter().find(|(k, _)| k == "value");
            if let (Some((_, Value::String(key))), Some((_, value))) = (key, value) {
                entries.push((key.clone(), value.clone()));
            }
        }
    }
    Value::Map(entries)
}

/// The XML answer to a successful call; `result` is `None` for operations without output.
pub fn encode_response(operation: &str, request_id: &str, result: Option<&Value>) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(xml, "<{operation}Response xmlns=\"{XML_NAMESPACE}\">");
    if let Some(Value::Structure(members)) = result {
        let _ = write!(xml, "<{operation}Result>");
        write_members(&mut xml, members);
        let _ = write!(xml, "</{operation}Result>");
    }
    let _ = write!(
        xml,
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{operation}Response>",
        escape(request_id)
    );
    xml
}

/// The XML answer to a failed call.
pub fn encode_error(error: &ApiError, request_id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{XML_NAMESPACE}\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        error.code.fault_type(),
        error.code.as_str(),
        escape(&error.message),
        escape(request_id)
    )
}

fn write_members(xml: &mut String, members: &[(String, Value)]) {
    for (name, value) in members {
        write_element(xml, name, value);
    }
}

fn write_element(xml: &mut String, name: &str, value: &Value) {
    if matches!(value, Value::Null) {
        return;
    }
    let _ = write!(xml, "<{name}>");
    match value {
        Value::Structure(members) => write_members(xml, members),
        Value::List(items) => {
            for item in items {
                write_element(xml, "member", item);
            }
        }
        Value::Map(entries) => {
            for (key, item) in entries {
                let _ = write!(xml, "<entry><key>{}</key>", escape(key));
                write_element(xml, "value", item);
                xml.push_str("</entry>");
            }
        }
        scalar => xml.push_str(&escape(&scalar_text(scalar))),
    }
    let _ = write!(xml, "</{name}>");
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Bool(flag) => flag.to_string(),
        Value::Integer(number) => number.to_string(),
        Value::Double(number) => xml_double(*number),
        Value::String(text) => text.clone(),
        Value::Timestamp(time) => time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        _ => String::new(),
    }
}

/// A double as the service writes it in XML (`1.0`, `0.25`, `NaN`, `Infinity`).
fn xml_double(number: f64) -> String {
    if number.is_nan() {
        "NaN".to_owned()
    } else if number.is_infinite() {
        if number > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned()
    } else if number.fract() == 0.0 && number.abs() < 1.0e16 {
        format!("{number:.1}")
    } else {
        number.to_string()
    }
}

/// Escapes text for element content.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\r' => escaped.push_str("&#xD;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use chrono::{TimeZone, Utc};

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn string(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    #[test]
    fn rebuilds_lists_structures_and_maps() {
        let value = decode(&pairs(&[
            ("Action", "PutMetricData"),
            ("MetricData.member.2.MetricName", "b"),
            ("MetricData.member.1.MetricName", "a"),
            ("MetricData.member.1.Dimensions.member.1.Name", "D"),
            ("MetricData.member.1.Dimensions.member.1.Value", "v"),
            ("AlarmNames", ""),
            ("Attrs.entry.1.key", "k"),
            ("Attrs.entry.1.value", "x"),
        ]))
        .unwrap();
        let metric_data = value.member("MetricData").unwrap();
        let Value::List(items) = metric_data else {
            panic!("{metric_data:?}")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].member("MetricName"), Some(&string("a")));
        assert_eq!(items[1].member("MetricName"), Some(&string("b")));
        assert_eq!(
            items[0].member("Dimensions"),
            Some(&Value::List(vec![Value::Structure(vec![
                ("Name".into(), string("D")),
                ("Value".into(), string("v")),
            ])]))
        );
        assert_eq!(value.member("AlarmNames"), Some(&string("")));
        assert_eq!(
            value.member("Attrs"),
            Some(&Value::Map(vec![("k".into(), string("x"))]))
        );
    }

    #[test]
    fn refuses_malformed_names() {
        assert!(decode(&pairs(&[("A..B", "x")])).is_err());
        let deep = vec!["a"; 20].join(".");
        assert!(decode(&pairs(&[(deep.as_str(), "x")])).is_err());
    }

    #[test]
    fn writes_results_lists_maps_and_metadata() {
        let time = Utc.timestamp_millis_opt(1_700_000_000_500).unwrap();
        let result = Value::Structure(vec![
            ("Names".into(), Value::List(vec![string("a<b")])),
            ("Empty".into(), Value::List(vec![])),
            ("When".into(), Value::Timestamp(time)),
            ("Threshold".into(), Value::Double(1.0)),
            (
                "Ext".into(),
                Value::Map(vec![("p99".into(), Value::Double(2.5))]),
            ),
            ("Skipped".into(), Value::Null),
        ]);
        let xml = encode_response("DescribeAlarms", "r-1", Some(&result));
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><DescribeAlarmsResult><Names><member>a&lt;b</member></Names><Empty></Empty><When>2023-11-14T22:13:20.500Z</When><Threshold>1.0</Threshold><Ext><entry><key>p99</key><value>2.5</value></entry></Ext></DescribeAlarmsResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeAlarmsResponse>"
        );
        let empty = encode_response("DeleteAlarms", "r-2", None);
        assert!(empty.ends_with("<DeleteAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></DeleteAlarmsResponse>"));
    }

    #[test]
    fn writes_errors_with_sender_or_receiver() {
        let xml = encode_error(&ApiError::new(ErrorCode::ResourceNotFound, "gone"), "r-3");
        assert!(xml.contains("<Error><Type>Sender</Type><Code>ResourceNotFound</Code><Message>gone</Message></Error><RequestId>r-3</RequestId>"));
        let xml = encode_error(&ApiError::internal(), "r-4");
        assert!(xml.contains("<Type>Receiver</Type><Code>InternalServiceError</Code>"));
    }
}
