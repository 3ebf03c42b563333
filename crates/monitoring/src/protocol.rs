//! The three wire protocols of `monitoring` 2010-08-01 around the operations: which one a
//! request speaks, how its operation and parameters are read, and how answers and errors are
//! written. Facts relied on (botocore 1.44 `serialize.py` / `parsers.py`):
//!
//! - **rpc-v2-cbor** (what aws CLI 1.46 and boto3 1.44 speak): `POST
//!   /service/GraniteServiceVersion20100801/operation/<Op>` with `smithy-protocol: rpc-v2-cbor`
//!   and a CBOR body (none when the input is empty). Answers carry `smithy-protocol: rpc-v2-cbor`;
//!   operations without output answer an empty body, the others a CBOR map with
//!   `Content-Type: application/cbor`.
//! - **awsJson1.0**: `X-Amz-Target: GraniteServiceVersion20100801.<Op>`,
//!   `Content-Type: application/x-amz-json-1.0`.
//! - **query**: a form `Action=<Op>&Version=2010-08-01&...` (body or URL query), answered in XML.
//! - Errors in CBOR and JSON are `{"__type": "com.amazonaws.cloudwatch#<Shape>", "message"}` plus
//!   the awsQueryCompatible header `x-amzn-query-error: <Code>;Sender`, from which botocore takes
//!   the error code (so `InvalidParameterValue`, not the shape name, reaches the caller). Query
//!   errors are `<ErrorResponse>` documents.
//! - PutMetricData bodies may come gzip-compressed (`Content-Encoding: gzip`, the model's
//!   `requestcompression`).
//!
//! It does not authenticate (the server crate verifies SigV4 before calling `handle`).

use std::io::Read;

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};

use crate::error::{ApiError, ErrorCode};
use crate::operations::Operation;
use crate::value::{StructureBuilder, Value};
use crate::{cbor, json, query};

/// The `targetPrefix` of the service model.
pub const TARGET_PREFIX: &str = "GraniteServiceVersion20100801";

/// The largest request body accepted after decompression.
pub const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// A wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Smithy RPC v2 CBOR.
    RpcV2Cbor,
    /// awsJson1.0.
    AwsJson,
    /// The query protocol.
    Query,
}

impl Protocol {
    /// Which protocol a request speaks, from its headers and path alone.
    pub fn detect(headers: &HeaderMap, path: &str) -> Protocol {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if header("smithy-protocol").is_some() || path.contains("/service/") {
            Protocol::RpcV2Cbor
        } else if header("x-amz-target").is_some() {
            Protocol::AwsJson
        } else {
            Protocol::Query
        }
    }
}

/// A decoded request: the operation and its parameters.
#[derive(Debug)]
pub struct DecodedRequest {
    /// The operation.
    pub operation: Operation,
    /// The parameters.
    pub params: Value,
}

/// Reads the operation and parameters of a request in `protocol`.
pub fn decode(
    protocol: Protocol,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<DecodedRequest, ApiError> {
    let body = decompressed(&parts.headers, body)?;
    let serialization = |message: String| ApiError::new(ErrorCode::SerializationException, message);
    match protocol {
        Protocol::RpcV2Cbor => {
            let operation = operation_from_path(parts.uri.path())?;
            let params = if body.is_empty() {
                Value::Structure(Vec::new())
            } else {
                cbor::decode(&body).map_err(serialization)?
            };
            Ok(DecodedRequest { operation, params })
        }
        Protocol::AwsJson => {
            let target = parts
                .headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let name = target
                .strip_prefix(TARGET_PREFIX)
                .and_then(|rest| rest.strip_prefix('.'))
                .unwrap_or(target);
            let operation = known_operation(name, ErrorCode::UnknownOperationException)?;
            let params = json::decode(&body).map_err(serialization)?;
            Ok(DecodedRequest { operation, params })
        }
        Protocol::Query => decode_query(parts, &body),
    }
}

fn known_operation(name: &str, code: ErrorCode) -> Result<Operation, ApiError> {
    Operation::from_name(name).ok_or_else(|| {
        let message = if code == ErrorCode::InvalidAction {
            format!("Could not find operation {name} for version 2010-08-01")
        } else {
            format!("The operation {name} is not supported by this service.")
        };
        ApiError::new(code, message)
    })
}

fn operation_from_path(path: &str) -> Result<Operation, ApiError> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match segments.as_slice() {
        [.., "service", service, "operation", name] if *service == TARGET_PREFIX => {
            known_operation(name, ErrorCode::UnknownOperationException)
        }
        _ => Err(ApiError::new(
            ErrorCode::UnknownOperationException,
            format!("The path {path} names no operation of {TARGET_PREFIX}."),
        )),
    }
}

fn decode_query(parts: &http::request::Parts, body: &[u8]) -> Result<DecodedRequest, ApiError> {
    let mut pairs: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    pairs.extend(form_urlencoded::parse(body).into_owned());
    let action = pairs
        .iter()
        .rev()
        .find(|(key, _)| key == "Action")
        .map(|(_, value)| value.clone())
        .ok_or_else(|| ApiError::new(ErrorCode::MissingAction, "Missing Action"))?;
    let operation = known_operation(&action, ErrorCode::InvalidAction)?;
    pairs.retain(|(key, _)| key != "Action" && key != "Version");
    let params = query::decode(&pairs)
        .map_err(|message| ApiError::new(ErrorCode::SerializationException, message))?;
    Ok(DecodedRequest { operation, params })
}

/// The body, gunzipped when `Content-Encoding` says gzip, within [`MAX_BODY_BYTES`].
fn decompressed(headers: &HeaderMap, body: &Bytes) -> Result<Bytes, ApiError> {
    let gzip = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().eq_ignore_ascii_case("gzip")));
    if !gzip {
        return Ok(body.clone());
    }
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut decoded)
        .map_err(|e| {
            ApiError::new(
                ErrorCode::SerializationException,
                format!("The gzip request body could not be decompressed: {e}"),
            )
        })?;
    if decoded.len() as u64 > MAX_BODY_BYTES {
        return Err(ApiError::new(
            ErrorCode::SerializationException,
            format!("The decompressed request body exceeds {MAX_BODY_BYTES} bytes."),
        ));
    }
    Ok(Bytes::from(decoded))
}

/// The answer to a successful call.
pub fn encode_success(
    protocol: Protocol,
    operation: Operation,
    request_id: &str,
    output: Option<&Value>,
) -> Response<Bytes> {
    let empty = StructureBuilder::new().build();
    let output = if operation.has_output() {
        Some(output.unwrap_or(&empty))
    } else {
        None
    };
    let (content_type, body) = match protocol {
        Protocol::RpcV2Cbor => match output {
            Some(output) => (Some("application/cbor"), cbor::encode(output)),
            None => (None, Vec::new()),
        },
        Protocol::AwsJson => (
            Some("application/x-amz-json-1.0"),
            json::encode(output.unwrap_or(&empty)),
        ),
        Protocol::Query => (
            Some("text/xml"),
            query::encode_response(operation.name(), request_id, output).into_bytes(),
        ),
    };
    build(
        protocol,
        StatusCode::OK,
        request_id,
        content_type,
        body,
        None,
    )
}

/// The answer to a failed call.
pub fn encode_error(protocol: Protocol, request_id: &str, error: &ApiError) -> Response<Bytes> {
    let status = StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let query_error = format!("{};{}", error.code.as_str(), error.code.fault_type());
    let document = StructureBuilder::new()
        .field(
            "__type",
            format!("com.amazonaws.cloudwatch#{}", error.code.shape_name()),
        )
        .field("message", &error.message)
        .build();
    let (content_type, body) = match protocol {
        Protocol::RpcV2Cbor => ("application/cbor", cbor::encode(&document)),
        Protocol::AwsJson => ("application/x-amz-json-1.0", json::encode(&document)),
        Protocol::Query => (
            "text/xml",
            query::encode_error(error, request_id).into_bytes(),
        ),
    };
    let query_error = (protocol != Protocol::Query).then_some(query_error);
    build(
        protocol,
        status,
        request_id,
        Some(content_type),
        body,
        query_error,
    )
}

fn build(
    protocol: Protocol,
    status: StatusCode,
    request_id: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
    query_error: Option<String>,
) -> Response<Bytes> {
    let mut builder = Response::builder()
        .status(status)
        .header("x-amzn-RequestId", request_id);
    if protocol == Protocol::RpcV2Cbor {
        builder = builder.header("smithy-protocol", "rpc-v2-cbor");
    }
    if let Some(content_type) = content_type {
        builder = builder.header(http::header::CONTENT_TYPE, content_type);
    }
    if let Some(query_error) = query_error {
        builder = builder.header("x-amzn-query-error", query_error);
    }
    builder
        .header(http::header::CONTENT_LENGTH, body.len())
        .body(Bytes::from(body))
        .unwrap_or_else(|_| {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn detects_each_protocol() {
        let check = |uri: &str, headers: &[(&str, &str)], expected: Protocol| {
            let p = parts("POST", uri, headers);
            assert_eq!(
                Protocol::detect(&p.headers, p.uri.path()),
                expected,
                "{uri}"
            );
        };
        check(
            "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
            &[("smithy-protocol", "rpc-v2-cbor")],
            Protocol::RpcV2Cbor,
        );
        check(
            "/",
            &[(
                "x-amz-target",
                "GraniteServiceVersion20100801.DescribeAlarms",
            )],
            Protocol::AwsJson,
        );
        check("/", &[], Protocol::Query);
    }

    #[test]
    fn reads_operations_from_path_target_and_action() {
        let p = parts(
            "POST",
            "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
            &[("smithy-protocol", "rpc-v2-cbor")],
        );
        let decoded = decode(Protocol::RpcV2Cbor, &p, &Bytes::new()).unwrap();
        assert_eq!(decoded.operation, Operation::DescribeAlarms);
        let p = parts(
            "POST",
            "/",
            &[("x-amz-target", "GraniteServiceVersion20100801.PutDashboard")],
        );
        let error = decode(Protocol::AwsJson, &p, &Bytes::from_static(b"{}")).unwrap_err();
        assert_eq!(error.code, ErrorCode::UnknownOperationException);
        let p = parts(
            "GET",
            "/?Action=ListMetrics&Version=2010-08-01&Namespace=N",
            &[],
        );
        let decoded = decode(Protocol::Query, &p, &Bytes::new()).unwrap();
        assert_eq!(decoded.operation, Operation::ListMetrics);
        assert_eq!(
            decoded.params,
            Value::Structure(vec![("Namespace".into(), Value::String("N".into()))])
        );
        let p = parts("POST", "/", &[]);
        let error = decode(Protocol::Query, &p, &Bytes::from_static(b"Action=Nope")).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidAction);
        let error = decode(Protocol::Query, &p, &Bytes::from_static(b"Version=1")).unwrap_err();
        assert_eq!(error.code, ErrorCode::MissingAction);
    }

    #[test]
    fn gzip_bodies_are_decompressed() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(b"Action=ListMetrics&Namespace=N")
            .unwrap();
        let body = Bytes::from(encoder.finish().unwrap());
        let p = parts("POST", "/", &[("content-encoding", "gzip")]);
        let decoded = decode(Protocol::Query, &p, &body).unwrap();
        assert_eq!(decoded.operation, Operation::ListMetrics);
        let error = decode(Protocol::Query, &p, &Bytes::from_static(b"not gzip")).unwrap_err();
        assert_eq!(error.code, ErrorCode::SerializationException);
    }

    #[test]
    fn errors_carry_the_query_compatible_header() {
        let error = ApiError::new(ErrorCode::ResourceNotFound, "Alarm x not found");
        let response = encode_error(Protocol::RpcV2Cbor, "r-1", &error);
        assert_eq!(response.status(), 404);
        assert_eq!(
            response.headers()["x-amzn-query-error"],
            "ResourceNotFound;Sender"
        );
        assert_eq!(response.headers()["smithy-protocol"], "rpc-v2-cbor");
        assert_eq!(
            cbor::decode(response.body()).unwrap(),
            Value::Structure(vec![
                (
                    "__type".into(),
                    Value::String("com.amazonaws.cloudwatch#ResourceNotFound".into())
                ),
                ("message".into(), Value::String("Alarm x not found".into())),
            ])
        );
        let response = encode_error(Protocol::Query, "r-1", &error);
        assert!(response.headers().get("x-amzn-query-error").is_none());
    }

    #[test]
    fn operations_without_output_answer_an_empty_cbor_body() {
        let response = encode_success(Protocol::RpcV2Cbor, Operation::PutMetricAlarm, "r", None);
        assert_eq!(response.status(), 200);
        assert!(response.body().is_empty());
        assert!(response.headers().get("content-type").is_none());
        let response = encode_success(Protocol::AwsJson, Operation::DeleteAlarms, "r", None);
        assert_eq!(&response.body()[..], b"{}");
        let response = encode_success(Protocol::RpcV2Cbor, Operation::DescribeAlarms, "r", None);
        assert_eq!(&response.body()[..], &[0xa0]);
    }
}
