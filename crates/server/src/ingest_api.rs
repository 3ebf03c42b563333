//! The ingest endpoint: `POST /ingest`, signed with SigV4 for the service name `opentrail`, whose body
//! is a CloudTrail log file (`{"Records":[...]}`, gzipped or not), a bare JSON array of records, or
//! JSON lines.
//!
//! Good records are appended to the event log for the caller's account (whatever their own
//! `recipientAccountId` says), with their original bytes; bad ones are reported one by one. The
//! response is JSON: `{"accepted": N, "rejected": [{"index", "eventId"?, "reason"}]}`.

use axum::response::Response;
use opentrail_record::{Envelope, RecordSource};
use serde_json::{Value, json};

use crate::api_error::{ApiFailure, json_success};
use crate::audit::AuditedCall;
use crate::auth::authenticate_request;
use crate::context::CallContext;
use crate::{App, ReadBody};

/// Records appended per event-log append call.
const APPEND_CHUNK: usize = 1000;

/// Handles one ingest request.
pub async fn handle(
    app: &App,
    context: CallContext,
    request: http::Request<axum::body::Body>,
) -> Response {
    let request_id = context.request_id.clone();
    if request.method() != http::Method::POST || request.uri().path() != "/ingest" {
        return ApiFailure::new(
            "UnknownOperationException",
            "OpenTrail's own API has only POST /ingest",
        )
        .into_json_response(&request_id);
    }
    let (parts, body) = match ReadBody::read(request, app.config.max_ingest_bytes).await {
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
        Err(auth) => {
            let call = ingest_call(
                auth.principal.as_ref().map(|p| &p.identity),
                &region,
                Value::Null,
            );
            let call = AuditedCall {
                error: Some((&auth.failure.code, &auth.failure.message)),
                ..call
            };
            if app.auditor.record(&context, call).await.is_err() {
                return ApiFailure::internal().into_json_response(&request_id);
            }
            return auth.failure.into_json_response(&request_id);
        }
    };
    let max = app.config.max_ingest_bytes;
    let outcome = match tokio::task::spawn_blocking(move || {
        opentrail_record::split_records(&body, max)
    })
    .await
    {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => {
            return ApiFailure::new("InvalidParameterException", error.to_string())
                .into_json_response(&request_id);
        }
        Err(_) => return ApiFailure::internal().into_json_response(&request_id),
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let payloads: Vec<_> = outcome
        .accepted
        .iter()
        .map(|record| {
            Envelope {
                account_id: principal.account_id().to_owned(),
                source: RecordSource::Ingest,
                ingest_time_ms: now_ms,
                record: record.bytes.clone(),
            }
            .encode()
        })
        .collect();
    for chunk in payloads.chunks(APPEND_CHUNK) {
        if app.auditor.append(chunk.to_vec()).await.is_err() {
            return ApiFailure::internal().into_json_response(&request_id);
        }
    }
    let summary = json!({"accepted": outcome.accepted.len(), "rejected": outcome.rejected});
    let parameters = json!({"recordCount": outcome.accepted.len() + outcome.rejected.len()});
    let call = ingest_call(Some(&principal.identity), &region, parameters);
    let response_elements =
        json!({"accepted": outcome.accepted.len(), "rejected": outcome.rejected.len()});
    if app
        .auditor
        .record(
            &context,
            AuditedCall {
                response_elements,
                ..call
            },
        )
        .await
        .is_err()
    {
        return ApiFailure::internal().into_json_response(&request_id);
    }
    json_success(&request_id, &summary)
}

fn ingest_call<'a>(
    identity: Option<&'a opentrail_record::PrincipalIdentity>,
    region: &'a str,
    request_parameters: Value,
) -> AuditedCall<'a> {
    AuditedCall {
        request_parameters,
        ..AuditedCall::management(
            identity,
            region,
            "opentrail.amazonaws.com",
            "IngestRecords",
            false,
        )
    }
}
