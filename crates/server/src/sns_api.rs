//! SNS (query protocol) on the shared listener: authentication, the call into `opentrail-sns`, the
//! audit record, and the XML answer. Also the two unauthenticated links SNS puts in its messages
//! (`SubscribeURL`, `UnsubscribeURL`), which real SNS serves to anyone holding them and does not record.

use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::api_error::ApiFailure;
use crate::audit::AuditedCall;
use crate::auth::authenticate_request;
use crate::context::CallContext;
use crate::{App, ReadBody};

/// Whether a request is one of SNS's unauthenticated confirmation links.
pub fn is_unauthenticated_link(request: &http::Request<axum::body::Body>) -> bool {
    let query = request.uri().query().unwrap_or("");
    request.method() == http::Method::GET
        && request.uri().path() == "/"
        && (query.contains("Action=ConfirmSubscription") || query.contains("Action=Unsubscribe"))
        && !request.headers().contains_key(http::header::AUTHORIZATION)
        && !query.contains("X-Amz-Signature")
}

/// Handles one SNS request.
pub async fn handle(
    app: &App,
    context: CallContext,
    request: http::Request<axum::body::Body>,
) -> Response {
    if is_unauthenticated_link(&request) {
        return handle_link(app, request).await;
    }
    let request_id = context.request_id.clone();
    let (parts, body) = match ReadBody::read(request, 512 << 10).await {
        Ok(pair) => pair,
        Err(failure) => return failure.into_query_response(&request_id),
    };
    let params = form_params(&body, parts.uri.query());
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
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
            let failure = crate::sts_api::query_auth_failure(auth.failure);
            let call = AuditedCall {
                error: Some((&failure.code, &failure.message)),
                ..AuditedCall::management(
                    auth.principal.as_ref().map(|p| &p.identity),
                    &region,
                    "sns.amazonaws.com",
                    if action.is_empty() {
                        "Unknown"
                    } else {
                        &action
                    },
                    opentrail_sns::SnsService::is_read_only(&action).unwrap_or(false),
                )
            };
            if app.auditor.record(&context, call).await.is_err() {
                return ApiFailure::internal().into_query_response(&request_id);
            }
            return failure.into_query_response(&request_id);
        }
    };
    let caller = opentrail_sns::SnsCaller {
        account_id: principal.account_id().to_owned(),
        region: region.clone(),
        request_id: request_id.clone(),
        endpoint_base_url: base_url(app, &context),
    };
    let sns = app.sns.clone();
    let Ok(response) = tokio::task::spawn_blocking(move || sns.handle(&caller, &params)).await
    else {
        return ApiFailure::internal().into_query_response(&request_id);
    };
    let error = response
        .error_code
        .as_deref()
        .map(|code| (code, response.error_message.as_deref().unwrap_or("")));
    let call = AuditedCall {
        request_parameters: response.request_parameters.clone(),
        response_elements: if response.read_only {
            Value::Null
        } else {
            response.response_elements.clone()
        },
        error,
        management_event: response.management_event,
        ..AuditedCall::management(
            Some(&principal.identity),
            &region,
            "sns.amazonaws.com",
            &response.action,
            response.read_only,
        )
    };
    if app.auditor.record(&context, call).await.is_err() {
        return ApiFailure::internal().into_query_response(&request_id);
    }
    xml_response(response.status, response.body, &response.request_id)
}

async fn handle_link(app: &App, request: http::Request<axum::body::Body>) -> Response {
    let params = form_params(b"", request.uri().query());
    let value = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let sns = app.sns.clone();
    let (action, topic, token, subscription) = (
        value("Action"),
        value("TopicArn"),
        value("Token"),
        value("SubscriptionArn"),
    );
    let outcome = tokio::task::spawn_blocking(move || match action.as_str() {
        "ConfirmSubscription" => sns.confirm_by_token_unauthenticated(&topic, &token),
        _ => sns.unsubscribe_unauthenticated(&subscription),
    })
    .await;
    match outcome {
        Ok(response) => xml_response(response.status, response.body, &response.request_id),
        Err(_) => ApiFailure::internal().into_query_response("link"),
    }
}

fn form_params(body: &[u8], query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .chain(form_urlencoded::parse(query.unwrap_or("").as_bytes()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn base_url(app: &App, context: &CallContext) -> String {
    let scheme = if app.config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let host = context
        .host
        .clone()
        .unwrap_or_else(|| app.config.listen.to_string());
    format!("{scheme}://{host}")
}

fn xml_response(status: u16, body: String, request_id: &str) -> Response {
    let status =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/xml"),
    );
    crate::api_error::set_request_id(&mut response, request_id);
    response
}
