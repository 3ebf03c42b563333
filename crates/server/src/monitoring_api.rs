//! CloudWatch (`monitoring`) on the shared listener: authentication, the call into
//! `opentrail-monitoring` (which decodes and answers whichever of RPC v2 CBOR, awsJson1.0 and query
//! the client spoke), and the audit record.
//!
//! The record names the operation (from the CBOR path, the `X-Amz-Target` or the query `Action`), the
//! request parameters as the monitoring crate decoded them (in CloudTrail's lowerCamel naming), and the
//! error code the answer carries (`x-amzn-query-error`, or the query XML `<Code>`).

use axum::response::{IntoResponse, Response};

use crate::api_error::ApiFailure;
use crate::audit::{AuditedCall, record_members};
use crate::auth::authenticate_request;
use crate::context::CallContext;
use crate::{App, ReadBody};

/// Handles one CloudWatch request.
pub async fn handle(
    app: &App,
    context: CallContext,
    request: http::Request<axum::body::Body>,
) -> Response {
    let request_id = context.request_id.clone();
    let (parts, body) = match ReadBody::read(request, 16 << 20).await {
        Ok(pair) => pair,
        Err(failure) => return failure.into_json_response(&request_id),
    };
    let operation = operation_of(&parts, &body);
    let read_only = is_read_only(&operation);
    let (region, authenticated) = authenticate_request(
        &app.principals,
        &app.config.region,
        &parts,
        &body,
        context.received_at,
    );
    let principal = match authenticated {
        Ok(principal) => principal,
        Err(auth) => {
            let call = AuditedCall {
                error: Some((&auth.failure.code, &auth.failure.message)),
                ..AuditedCall::management(
                    auth.principal.as_ref().map(|p| &p.identity),
                    &region,
                    "monitoring.amazonaws.com",
                    &operation,
                    read_only,
                )
            };
            if app.auditor.record(&context, call).await.is_err() {
                return ApiFailure::internal().into_json_response(&request_id);
            }
            let is_query = parts
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
            return if is_query {
                crate::sts_api::query_auth_failure(auth.failure).into_query_response(&request_id)
            } else {
                auth.failure.into_json_response(&request_id)
            };
        }
    };
    let request_parameters = opentrail_monitoring::Monitoring::describe_request(&parts, &body)
        .map_or(serde_json::Value::Null, |(_, parameters)| {
            record_members(&parameters)
        });
    let request = http::Request::from_parts(parts, body);
    let answer = app
        .monitoring
        .handle(principal.account_id(), &region, request)
        .await;
    let error = error_of(&answer);
    let call = AuditedCall {
        request_parameters,
        error: error.as_ref().map(|code| (code.as_str(), "")),
        ..AuditedCall::management(
            Some(&principal.identity),
            &region,
            "monitoring.amazonaws.com",
            &operation,
            read_only,
        )
    };
    if app.auditor.record(&context, call).await.is_err() {
        return ApiFailure::internal().into_json_response(&request_id);
    }
    let (mut parts, body) = answer.into_parts();
    if let Ok(value) = http::HeaderValue::from_str(&request_id) {
        parts.headers.insert("x-amzn-RequestId", value);
    }
    (parts.status, parts.headers, body).into_response()
}

/// The operation a request names, in any of the three protocols.
fn operation_of(parts: &http::request::Parts, body: &[u8]) -> String {
    if let Some(operation) = parts.uri.path().rsplit_once("/operation/") {
        return operation.1.to_owned();
    }
    if let Some(target) = parts
        .headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        && let Some((_, operation)) = target.rsplit_once('.')
    {
        return operation.to_owned();
    }
    let form = std::str::from_utf8(body).unwrap_or("");
    let query = parts.uri.query().unwrap_or("");
    form.split('&')
        .chain(query.split('&'))
        .find_map(|pair| pair.strip_prefix("Action="))
        .map_or_else(|| "Unknown".to_owned(), str::to_owned)
}

fn is_read_only(operation: &str) -> bool {
    ["Describe", "Get", "List"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

/// The error code of an answer, if it is an error.
fn error_of(answer: &http::Response<bytes::Bytes>) -> Option<String> {
    if answer.status().is_success() {
        return None;
    }
    if let Some(code) = answer
        .headers()
        .get("x-amzn-query-error")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
    {
        return Some(code.to_owned());
    }
    let text = String::from_utf8_lossy(answer.body());
    let code = text
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.to_owned());
    Some(code.unwrap_or_else(|| answer.status().as_u16().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_read_from_every_protocol() {
        let check = |request: http::Request<()>, body: &str, expected: &str| {
            let (parts, ()) = request.into_parts();
            assert_eq!(operation_of(&parts, body.as_bytes()), expected);
        };
        check(
            http::Request::post("/service/GraniteServiceVersion20100801/operation/PutMetricAlarm")
                .body(())
                .unwrap(),
            "",
            "PutMetricAlarm",
        );
        check(
            http::Request::post("/")
                .header(
                    "x-amz-target",
                    "GraniteServiceVersion20100801.DescribeAlarms",
                )
                .body(())
                .unwrap(),
            "{}",
            "DescribeAlarms",
        );
        check(
            http::Request::post("/").body(()).unwrap(),
            "Action=SetAlarmState&Version=2010-08-01",
            "SetAlarmState",
        );
        assert!(is_read_only("DescribeAlarmHistory") && !is_read_only("PutMetricData"));
    }
}
