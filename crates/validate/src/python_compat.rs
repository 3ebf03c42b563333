//! The few Python behaviours whose text reaches the aws CLI's output: `str()` of JSON values,
//! `base64.b64decode` and `binascii.unhexlify` with their error messages, `KeyError`/`TypeError`
//! texts, negative string slicing and `urllib.parse.unquote_plus`.
//!
//! Only what `validate-logs` can print is covered; this is not a general Python emulation.

use serde_json::Value;

/// Python's type name of a decoded JSON value (`json.loads` maps objects to `dict`, etc.).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `str(value)` for a value decoded by `json.loads`.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => py_repr(other),
    }
}

/// `repr(value)` for a value decoded by `json.loads`.
pub fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() => float_repr(float),
            _ => number.to_string(),
        },
        Value::String(text) => string_repr(text),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(key, item)| format!("{}: {}", string_repr(key), py_repr(item)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form outside 1e-4..1e16.
fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..16).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let plain = format!("{value}");
    if plain.contains('.') {
        plain
    } else {
        format!("{plain}.0")
    }
}

/// Python's `repr(str)` for the common case (single quotes unless the text holds one).
fn string_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for character in text.chars() {
        match character {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            other if other == quote => {
                out.push('\\');
                out.push(other);
            }
            other if (other as u32) < 0x20 || other as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", other as u32));
            }
            other => out.push(other),
        }
    }
    out.push(quote);
    out
}

/// The text of `KeyError(name)`: the key's repr.
pub fn key_error(name: &str) -> String {
    string_repr(name)
}

/// The `TypeError` text of `value['name']` on a non-dict value.
pub fn subscript_error(value: &Value) -> String {
    match value {
        Value::String(_) => "string indices must be integers, not 'str'".to_owned(),
        Value::Array(_) => "list indices must be integers or slices, not str".to_owned(),
        other => format!("'{}' object is not subscriptable", type_name(other)),
    }
}

/// The `TypeError` text of `value['name'] = ...` on a non-dict value.
pub fn item_assignment_error(value: &Value) -> String {
    match value {
        Value::Array(_) => "list indices must be integers or slices, not str".to_owned(),
        other => format!(
            "'{}' object does not support item assignment",
            type_name(other)
        ),
    }
}

/// Python's `text[start:end]` with negative indices, by characters.
pub fn slice_from_end(text: &str, from_end_start: usize, from_end_stop: usize) -> String {
    let characters: Vec<char> = text.chars().collect();
    let length = characters.len();
    let start = length.saturating_sub(from_end_start);
    let stop = length.saturating_sub(from_end_stop);
    if start >= stop {
        return String::new();
    }
    characters[start..stop].iter().collect()
}

/// `base64.b64decode(text)` (non-strict `binascii.a2b_base64`): characters outside the alphabet are
/// skipped, a complete pad sequence ends the input.
pub fn b64decode(text: &str) -> Result<Vec<u8>, String> {
    if !text.is_ascii() {
        return Err("string argument should contain only ASCII characters".to_owned());
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut quad_position, mut left, mut pads) = (0u8, 0u8, 0u8);
    for byte in text.bytes() {
        if byte == b'=' {
            if quad_position >= 2 {
                pads += 1;
                if quad_position + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let Some(sextet) = base64_value(byte) else {
            continue;
        };
        pads = 0;
        match quad_position {
            0 => left = sextet,
            1 => {
                out.push((left << 2) | (sextet >> 4));
                left = sextet & 0x0f;
            }
            2 => {
                out.push((left << 4) | (sextet >> 2));
                left = sextet & 0x03;
            }
            _ => out.push((left << 6) | sextet),
        }
        quad_position = (quad_position + 1) % 4;
    }
    match quad_position {
        0 => Ok(out),
        1 => Err(format!(
            "Invalid base64-encoded string: number of data characters ({}) cannot be 1 more than a multiple of 4",
            out.len() / 3 * 4 + 1
        )),
        _ => Err("Incorrect padding".to_owned()),
    }
}

fn base64_value(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `binascii.unhexlify(text)` with its error texts.
pub fn unhexlify(text: &str) -> Result<Vec<u8>, String> {
    if !text.is_ascii() {
        return Err("string argument should contain only ASCII characters".to_owned());
    }
    if text.len() % 2 == 1 {
        return Err("Odd-length string".to_owned());
    }
    hex::decode(text).map_err(|_| "Non-hexadecimal digit found".to_owned())
}

/// `urllib.parse.unquote_plus`: `+` is a space, `%XX` a byte, invalid UTF-8 becomes U+FFFD.
pub fn unquote_plus(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => match bytes
                .get(index + 1..index + 3)
                .and_then(|pair| hex_pair(pair[0], pair[1]))
            {
                Some(decoded) => {
                    out.push(decoded);
                    index += 2;
                }
                None => out.push(b'%'),
            },
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |byte: u8| (byte as char).to_digit(16);
    Some((digit(high)? * 16 + digit(low)?) as u8)
}

/// Base64 (standard alphabet, padded) for the few places that have to write it.
pub fn b64encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = chunk.iter().enumerate().fold(0u32, |word, (index, byte)| {
            word | (u32::from(*byte) << (16 - 8 * index))
        });
        for position in 0..4 {
            if position <= chunk.len() {
                out.push(ALPHABET[((word >> (18 - 6 * position)) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn b64decode_matches_python() {
        // Expected values from Python 3.11 `base64.b64decode`.
        let table: &[(&str, Result<&[u8], &str>)] = &[
            ("QUJD", Ok(b"ABC")),
            ("QUJ", Err("Incorrect padding")),
            ("QU", Err("Incorrect padding")),
            (
                "Q",
                Err(
                    "Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4",
                ),
            ),
            ("QUJD=", Ok(b"ABC")),
            ("QU=JD", Ok(b"ABC")),
            ("QUJDRA==", Ok(b"ABCD")),
            ("QUJDRA=", Err("Incorrect padding")),
            ("Q!UJD", Ok(b"ABC")),
            (
                "QUJDR",
                Err(
                    "Invalid base64-encoded string: number of data characters (5) cannot be 1 more than a multiple of 4",
                ),
            ),
            (
                "\u{e9}",
                Err("string argument should contain only ASCII characters"),
            ),
            ("", Ok(b"")),
            ("QU==JD", Ok(b"A")),
            ("QUJ=D", Ok(b"AB")),
        ];
        for (input, expected) in table {
            let expected = expected.map(<[u8]>::to_vec).map_err(str::to_owned);
            assert_eq!(b64decode(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn b64_round_trip() {
        for length in 0..10 {
            let bytes: Vec<u8> = (0..length)
                .map(|index: u8| index.wrapping_mul(37).wrapping_add(1))
                .collect();
            assert_eq!(b64decode(&b64encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(b64encode(b"ABCD"), "QUJDRA==");
    }

    #[test]
    fn unhexlify_matches_python() {
        let table: &[(&str, Result<&[u8], &str>)] = &[
            ("abc", Err("Odd-length string")),
            ("zz", Err("Non-hexadecimal digit found")),
            ("ab", Ok(b"\xab")),
            ("AB", Ok(b"\xab")),
            ("", Ok(b"")),
            (
                "\u{e9}1",
                Err("string argument should contain only ASCII characters"),
            ),
        ];
        for (input, expected) in table {
            let expected = expected.map(<[u8]>::to_vec).map_err(str::to_owned);
            assert_eq!(unhexlify(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn str_of_json_values_matches_python() {
        let table = [
            (json!(null), "None"),
            (json!(true), "True"),
            (json!(12), "12"),
            (json!(1.0), "1.0"),
            (json!(1.5e-5), "1.5e-05"),
            (json!(1e16), "1e+16"),
            (json!(123.25), "123.25"),
            (json!("text"), "text"),
            (json!(["a", 1]), "['a', 1]"),
            (json!({"k": "it's"}), "{'k': \"it's\"}"),
        ];
        for (value, expected) in table {
            assert_eq!(py_str(&value), expected, "value {value}");
        }
    }

    #[test]
    fn error_texts_match_python() {
        assert_eq!(key_error("logFiles"), "'logFiles'");
        assert_eq!(
            subscript_error(&json!("x")),
            "string indices must be integers, not 'str'"
        );
        assert_eq!(
            subscript_error(&json!(3)),
            "'int' object is not subscriptable"
        );
        assert_eq!(
            item_assignment_error(&json!(null)),
            "'NoneType' object does not support item assignment"
        );
        assert_eq!(
            item_assignment_error(&json!([])),
            "list indices must be integers or slices, not str"
        );
    }

    #[test]
    fn slicing_and_unquoting() {
        assert_eq!(slice_from_end("abcdefghij", 4, 2), "gh");
        assert_eq!(slice_from_end("abc", 24, 8), "");
        assert_eq!(unquote_plus("a+b%2Fc%zz%e2%82%ac"), "a b/c%zz\u{20ac}");
    }
}
