//! awsJson1.1 services (`cloudtrail`, `logs`): target parsing, authentication, the call, self-audit and
//! the wire response, in that order.
//!
//! Both `X-Amz-Target` forms are accepted (`com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.Op`
//! from botocore and `CloudTrail_20131101.Op` from other SDKs): the operation is the text after the
//! last `.`. The semantics of each operation live in the control plane, not here.

use axum::response::Response;
use serde_json::Value;

use crate::api_error::{ApiFailure, json_success};
use crate::audit::{AuditedCall, record_members};
use crate::auth::authenticate_request;
use crate::context::CallContext;
use crate::{App, ReadBody};

/// The JSON services OpenTrail speaks, by the target prefix their SDKs send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonService {
    /// CloudTrail, API version 2013-11-01.
    CloudTrail,
    /// CloudWatch Logs, API version 2014-03-28.
    Logs,
}

impl JsonService {
    /// Recognises a service from an `X-Amz-Target` prefix.
    pub fn from_target(target: &str) -> Option<(Self, &str)> {
        let (prefix, operation) = target.rsplit_once('.')?;
        let service = prefix.rsplit('.').next()?;
        match service {
            "CloudTrail_20131101" => Some((Self::CloudTrail, operation)),
            "Logs_20140328" => Some((Self::Logs, operation)),
            _ => None,
        }
    }

    /// The record's `eventSource`.
    pub fn event_source(self) -> &'static str {
        match self {
            Self::CloudTrail => "cloudtrail.amazonaws.com",
            Self::Logs => "logs.amazonaws.com",
        }
    }

    /// The metrics label.
    pub fn api_label(self) -> &'static str {
        match self {
            Self::CloudTrail => "cloudtrail",
            Self::Logs => "logs",
        }
    }
}

/// Handles one JSON-protocol request end to end.
pub async fn handle(
    app: &App,
    context: CallContext,
    request: http::Request<axum::body::Body>,
) -> Response {
    let request_id = context.request_id.clone();
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let Some((service, operation)) = JsonService::from_target(&target) else {
        let failure = ApiFailure::new(
            "UnknownOperationException",
            format!("Unknown operation {target}"),
        );
        return failure.into_json_response(&request_id);
    };
    let operation = operation.to_owned();
    let (parts, body) = match ReadBody::read(request, 1 << 20).await {
        Ok(pair) => pair,
        Err(failure) => return failure.into_json_response(&request_id),
    };
    let (region, authenticated) = authenticate_request(
        &app.principals,
        &app.config.region,
        &parts,
        &body,
        context.received_at,
    );
    let principal = match authenticated {
        Ok(principal) => principal,
        Err(auth_failure) => {
            let call = AuditedCall {
                error: Some((&auth_failure.failure.code, &auth_failure.failure.message)),
                ..AuditedCall::management(
                    auth_failure.principal.as_ref().map(|p| &p.identity),
                    &region,
                    service.event_source(),
                    &operation,
                    read_only(app, service, &operation),
                )
            };
            if app.auditor.record(&context, call).await.is_err() {
                return ApiFailure::internal().into_json_response(&request_id);
            }
            return auth_failure.failure.into_json_response(&request_id);
        }
    };
    let parsed_input = parse_body(&body);
    let input = parsed_input.clone().unwrap_or(Value::Null);
    let outcome = match parsed_input {
        Ok(input) => match service {
            JsonService::CloudTrail => {
                app.call_control(&principal, &region, &operation, input, context.received_at)
                    .await
            }
            JsonService::Logs => {
                call_logs(app, principal.account_id(), &region, &operation, input).await
            }
        },
        Err(failure) => Err(failure),
    };
    let read_only = read_only(app, service, &operation);
    let response_elements = match (&outcome, read_only) {
        (Ok(output), false) => record_members(output),
        _ => Value::Null,
    };
    let error = outcome.as_ref().err();
    let call = AuditedCall {
        request_parameters: record_members(&input),
        response_elements,
        error: error.map(|failure| (failure.code.as_str(), failure.message.as_str())),
        ..AuditedCall::management(
            Some(&principal.identity),
            &region,
            service.event_source(),
            &operation,
            read_only,
        )
    };
    if app.auditor.record(&context, call).await.is_err() {
        return ApiFailure::internal().into_json_response(&request_id);
    }
    match outcome {
        Ok(output) => json_success(&request_id, &output),
        Err(failure) => failure.into_json_response(&request_id),
    }
}

/// Whether the operation only reads.
fn read_only(app: &App, service: JsonService, operation: &str) -> bool {
    match service {
        JsonService::CloudTrail => app.control_read_only(operation),
        JsonService::Logs => ["Describe", "Get", "Filter", "Test", "List"]
            .iter()
            .any(|prefix| operation.starts_with(prefix)),
    }
}

/// One CloudWatch Logs call, off the async threads (it writes SQLite and runs metric filters).
async fn call_logs(
    app: &App,
    account_id: &str,
    region: &str,
    operation: &str,
    input: Value,
) -> Result<Value, ApiFailure> {
    let (logs, account_id, region, operation) = (
        app.logs.clone(),
        account_id.to_owned(),
        region.to_owned(),
        operation.to_owned(),
    );
    let answer =
        tokio::task::spawn_blocking(move || logs.call(&account_id, &region, &operation, &input))
            .await
            .map_err(|_| ApiFailure::internal())?;
    answer.map_err(|error| ApiFailure::new(error.code, error.message))
}

fn parse_body(body: &[u8]) -> Result<Value, ApiFailure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(ApiFailure::new(
            "SerializationException",
            "Start of structure or map found where not expected.",
        )),
        Err(error) => Err(ApiFailure::new(
            "SerializationException",
            format!("request body is not valid JSON: {error}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_target_forms_dispatch_to_the_operation() {
        for target in [
            "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrail",
            "CloudTrail_20131101.GetTrail",
        ] {
            assert_eq!(
                JsonService::from_target(target),
                Some((JsonService::CloudTrail, "GetTrail"))
            );
        }
        assert_eq!(
            JsonService::from_target("Logs_20140328.GetLogEvents"),
            Some((JsonService::Logs, "GetLogEvents"))
        );
        assert_eq!(JsonService::from_target("Unknown_20990101.GetThing"), None);
        assert_eq!(JsonService::from_target("GetTrail"), None);
    }

    #[test]
    fn empty_bodies_are_empty_objects_and_non_objects_are_refused() {
        assert_eq!(parse_body(b"").unwrap(), serde_json::json!({}));
        assert_eq!(
            parse_body(b"[]").unwrap_err().code,
            "SerializationException"
        );
        assert_eq!(parse_body(b"{").unwrap_err().code, "SerializationException");
    }
}
