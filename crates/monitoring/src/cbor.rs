//! CBOR bodies of the Smithy RPC v2 CBOR protocol, to and from [`Value`].
//!
//! Decoding follows what botocore's `RpcV2CBORSerializer` writes and what its parser accepts:
//! definite and indefinite strings, arrays and maps; unsigned and negative integers; half, single
//! and double floats; tag 1 (epoch seconds, integer or float) for timestamps; null and undefined as
//! absent. Other tags, byte strings we have no member for, and nesting deeper than
//! [`MAX_DEPTH`] are refused. Encoding writes doubles as 64-bit floats and timestamps as tag 1 over
//! a double, as the service does. `minicbor` provides the tokens; this module decides what they
//! mean.

use chrono::{DateTime, Utc};
use minicbor::data::{Tag, Type};
use minicbor::{Decoder, Encoder};

use crate::value::Value;

/// How deeply containers may nest in a request (the deepest real request nests five levels).
pub const MAX_DEPTH: usize = 32;

/// Decodes one CBOR data item; the body must contain nothing after it.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let mut decoder = Decoder::new(body);
    let value = decode_item(&mut decoder, 0)?;
    if decoder.position() != body.len() {
        return Err(format!(
            "{} trailing bytes after the CBOR data item",
            body.len() - decoder.position()
        ));
    }
    Ok(value)
}

fn decode_item(decoder: &mut Decoder<'_>, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("CBOR nesting deeper than {MAX_DEPTH}"));
    }
    let kind = decoder.datatype().map_err(describe)?;
    match kind {
        Type::Null => decoder.null().map(|_| Value::Null).map_err(describe),
        Type::Undefined => decoder.undefined().map(|_| Value::Null).map_err(describe),
        Type::Bool => decoder.bool().map(Value::Bool).map_err(describe),
        Type::U8 | Type::U16 | Type::U32 | Type::U64 | Type::I8 | Type::I16 | Type::I32 => {
            decode_integer(decoder)
        }
        Type::I64 | Type::Int => decode_integer(decoder),
        Type::F16 => decode_half(decoder).map(|n| Value::Double(f64::from(n))),
        Type::F32 => decoder
            .f32()
            .map(|n| Value::Double(f64::from(n)))
            .map_err(describe),
        Type::F64 => decoder.f64().map(Value::Double).map_err(describe),
        Type::String | Type::StringIndef => decode_text(decoder).map(Value::String),
        Type::Array | Type::ArrayIndef => decode_array(decoder, depth),
        Type::Map | Type::MapIndef => decode_map(decoder, depth),
        Type::Tag => decode_tag(decoder, depth),
        other => Err(format!("unsupported CBOR item {other}")),
    }
}

fn decode_integer(decoder: &mut Decoder<'_>) -> Result<Value, String> {
    let int = decoder.int().map_err(describe)?;
    i64::try_from(int)
        .map(Value::Integer)
        .map_err(|_| "CBOR integer out of range".to_owned())
}

/// Reads a half-precision float (botocore writes NaN and the infinities this way).
fn decode_half(decoder: &mut Decoder<'_>) -> Result<f32, String> {
    let position = decoder.position();
    let bytes = decoder
        .input()
        .get(position + 1..position + 3)
        .ok_or("truncated CBOR half float")?;
    decoder.set_position(position + 3);
    Ok(half_to_f32(u16::from_be_bytes([bytes[0], bytes[1]])))
}

fn half_to_f32(bits: u16) -> f32 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let fraction = f32::from(bits & 0x03ff);
    match exponent {
        0 => sign * fraction * 2f32.powi(-24),
        31 if fraction == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        _ => sign * (1.0 + fraction / 1024.0) * 2f32.powi(exponent - 15),
    }
}

fn decode_text(decoder: &mut Decoder<'_>) -> Result<String, String> {
    let mut text = String::new();
    for chunk in decoder.str_iter().map_err(describe)? {
        text.push_str(chunk.map_err(describe)?);
    }
    Ok(text)
}

fn decode_array(decoder: &mut Decoder<'_>, depth: usize) -> Result<Value, String> {
    let mut items = Vec::new();
    match decoder.array().map_err(describe)? {
        Some(length) => {
            for _ in 0..length {
                items.push(decode_item(decoder, depth + 1)?);
            }
        }
        None => {
            while decoder.datatype().map_err(describe)? != Type::Break {
                items.push(decode_item(decoder, depth + 1)?);
            }
            decoder.skip().map_err(describe)?;
        }
    }
    Ok(Value::List(items))
}

fn decode_map(decoder: &mut Decoder<'_>, depth: usize) -> Result<Value, String> {
    let mut members = Vec::new();
    match decoder.map().map_err(describe)? {
        Some(length) => {
            for _ in 0..length {
                members.push(decode_entry(decoder, depth)?);
            }
        }
        None => {
            while decoder.datatype().map_err(describe)? != Type::Break {
                members.push(decode_entry(decoder, depth)?);
            }
            decoder.skip().map_err(describe)?;
        }
    }
    Ok(Value::Structure(members))
}

fn decode_entry(decoder: &mut Decoder<'_>, depth: usize) -> Result<(String, Value), String> {
    let key = match decoder.datatype().map_err(describe)? {
        Type::String | Type::StringIndef => decode_text(decoder)?,
        other => return Err(format!("CBOR map key of type {other}, expected text")),
    };
    let value = decode_item(decoder, depth + 1)?;
    Ok((key, value))
}

fn decode_tag(decoder: &mut Decoder<'_>, depth: usize) -> Result<Value, String> {
    let tag = decoder.tag().map_err(describe)?;
    if tag.as_u64() != 1 {
        return Err(format!("unsupported CBOR tag {}", tag.as_u64()));
    }
    let seconds = match decode_item(decoder, depth + 1)? {
        Value::Integer(seconds) => seconds as f64,
        Value::Double(seconds) => seconds,
        _ => return Err("CBOR tag 1 must wrap a number of epoch seconds".to_owned()),
    };
    if !seconds.is_finite() || seconds.abs() > 1.0e13 {
        return Err("CBOR timestamp out of range".to_owned());
    }
    DateTime::from_timestamp_millis((seconds * 1000.0).round() as i64)
        .map(Value::Timestamp)
        .ok_or_else(|| "CBOR timestamp out of range".to_owned())
}

fn describe(error: minicbor::decode::Error) -> String {
    format!("malformed CBOR: {error}")
}

/// Encodes a value as one CBOR data item.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut encoder = Encoder::new(Vec::new());
    encode_item(&mut encoder, value);
    encoder.into_writer()
}

fn encode_item(encoder: &mut Encoder<Vec<u8>>, value: &Value) {
    // Writing into a Vec cannot fail; the results carry `Infallible`.
    let _ = match value {
        Value::Null => encoder.null().map(|_| ()),
        Value::Bool(flag) => encoder.bool(*flag).map(|_| ()),
        Value::Integer(number) => encoder.i64(*number).map(|_| ()),
        Value::Double(number) => encoder.f64(*number).map(|_| ()),
        Value::String(text) => encoder.str(text).map(|_| ()),
        Value::Timestamp(time) => encoder
            .tag(Tag::new(1))
            .and_then(|e| e.f64(epoch_seconds(time)))
            .map(|_| ()),
        Value::List(items) => {
            let _ = encoder.array(items.len() as u64);
            for item in items {
                encode_item(encoder, item);
            }
            Ok(())
        }
        Value::Structure(members) | Value::Map(members) => {
            let _ = encoder.map(members.len() as u64);
            for (key, item) in members {
                let _ = encoder.str(key);
                encode_item(encoder, item);
            }
            Ok(())
        }
    };
}

fn epoch_seconds(time: &DateTime<Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn decodes_the_items_botocore_writes() {
        let check = |bytes: &str, expected: Value| {
            assert_eq!(decode(&hex(bytes)).unwrap(), expected, "{bytes}");
        };
        check("17", Value::Integer(23));
        check("1903e8", Value::Integer(1000));
        check("3863", Value::Integer(-100));
        check("fb3ff8000000000000", Value::Double(1.5));
        check("fa3fc00000", Value::Double(1.5));
        check("f93e00", Value::Double(1.5));
        check("f97c00", Value::Double(f64::INFINITY));
        check("f5", Value::Bool(true));
        check("f6", Value::Null);
        check("6161", Value::String("a".into()));
        check("7f61616162ff", Value::String("ab".into()));
        check(
            "9f0102ff",
            Value::List(vec![Value::Integer(1), Value::Integer(2)]),
        );
        check(
            "bf6161f5ff",
            Value::Structure(vec![("a".into(), Value::Bool(true))]),
        );
        let time = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        check("c11a65920080", Value::Timestamp(time));
        check("c1fb41d9648020000000", Value::Timestamp(time));
    }

    #[test]
    fn half_float_nan_decodes_as_nan() {
        match decode(&hex("f97e00")).unwrap() {
            Value::Double(number) => assert!(number.is_nan()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_what_no_request_contains() {
        let check = |bytes: Vec<u8>, expected: &str| {
            let error = decode(&bytes).unwrap_err();
            assert!(error.contains(expected), "{error}");
        };
        check(hex("c26161"), "unsupported CBOR tag 2");
        check(hex("a1016161"), "map key");
        check(hex("6261"), "malformed");
        check(hex("0101"), "trailing");
        check(vec![0x81; 100], "nesting");
        check(hex("c16161"), "tag 1 must wrap");
    }

    #[test]
    fn encoded_values_decode_to_themselves() {
        let time = Utc.timestamp_millis_opt(1_700_000_000_123).unwrap();
        let value = Value::Structure(vec![
            ("Name".into(), Value::String("x".into())),
            ("Count".into(), Value::Integer(-5)),
            ("Threshold".into(), Value::Double(0.25)),
            ("When".into(), Value::Timestamp(time)),
            ("Flag".into(), Value::Bool(false)),
            (
                "List".into(),
                Value::List(vec![Value::Map(vec![("p99".into(), Value::Double(1.0))])]),
            ),
        ]);
        let round_trip = match decode(&encode(&value)).unwrap() {
            Value::Structure(members) => members,
            other => panic!("{other:?}"),
        };
        let expected = match value {
            Value::Structure(mut members) => {
                // Maps come back as structures: CBOR does not tell them apart.
                members[5].1 = Value::List(vec![Value::Structure(vec![(
                    "p99".into(),
                    Value::Double(1.0),
                )])]);
                members
            }
            _ => unreachable!(),
        };
        assert_eq!(round_trip, expected);
    }

    #[test]
    fn doubles_are_written_as_64_bit_floats_and_timestamps_as_tag_1() {
        assert_eq!(encode(&Value::Double(1.0)), hex("fb3ff0000000000000"));
        let time = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(encode(&Value::Timestamp(time)), hex("c1fb41d9648020000000"));
    }
}
