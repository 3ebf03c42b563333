//! The slice of STS (query protocol) that AWS tooling expects from any endpoint: `GetCallerIdentity`
//! (the aws CLI's `create-subscription` and many scripts use it to learn the account id).
//!
//! Other STS actions answer `InvalidAction`; OpenTrail issues no session credentials.

use axum::response::{IntoResponse, Response};

use crate::api_error::{ApiFailure, xml_escape};
use crate::audit::AuditedCall;
use crate::auth::authenticate_request;
use crate::context::CallContext;
use crate::{App, ReadBody};

/// Handles one STS request.
pub async fn handle(
    app: &App,
    context: CallContext,
    request: http::Request<axum::body::Body>,
) -> Response {
    let request_id = context.request_id.clone();
    let (parts, body) = match ReadBody::read(request, 64 << 10).await {
        Ok(pair) => pair,
        Err(failure) => return failure.into_query_response(&request_id),
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(&body)
        .chain(form_urlencoded::parse(
            parts.uri.query().unwrap_or("").as_bytes(),
        ))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let action = form
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
    let (principal, failure) = match authenticated {
        Ok(principal) if action == "GetCallerIdentity" => (Some(principal), None),
        Ok(principal) => {
            let failure = ApiFailure::new(
                "InvalidAction",
                format!("Could not find operation {action} for version 2011-06-15"),
            );
            (Some(principal), Some(failure))
        }
        Err(auth) => (
            auth.principal.map(|p| *p),
            Some(query_auth_failure(auth.failure)),
        ),
    };
    let call = AuditedCall {
        error: failure
            .as_ref()
            .map(|f| (f.code.as_str(), f.message.as_str())),
        ..AuditedCall::management(
            principal.as_ref().map(|p| &p.identity),
            &region,
            "sts.amazonaws.com",
            if action.is_empty() {
                "Unknown"
            } else {
                &action
            },
            true,
        )
    };
    if app.auditor.record(&context, call).await.is_err() {
        return ApiFailure::internal().into_query_response(&request_id);
    }
    match (principal, failure) {
        (_, Some(failure)) => failure.into_query_response(&request_id),
        (Some(principal), None) => caller_identity_response(&principal.identity, &request_id),
        (None, None) => ApiFailure::internal().into_query_response(&request_id),
    }
}

/// Query-protocol services (STS, SNS) name authentication errors differently from JSON services.
pub fn query_auth_failure(failure: ApiFailure) -> ApiFailure {
    let code = match failure.code.as_str() {
        "UnrecognizedClientException" => "InvalidClientTokenId",
        "InvalidSignatureException" => "SignatureDoesNotMatch",
        "MissingAuthenticationTokenException" => "MissingAuthenticationToken",
        "IncompleteSignatureException" => "IncompleteSignature",
        other => other,
    };
    ApiFailure::new(code, failure.message)
}

fn caller_identity_response(
    identity: &opentrail_record::PrincipalIdentity,
    request_id: &str,
) -> Response {
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        xml_escape(&identity.arn),
        xml_escape(&identity.principal_id),
        xml_escape(&identity.account_id)
    );
    let mut response = (http::StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/xml"),
    );
    response.headers_mut().insert(
        "x-amzn-RequestId",
        http::HeaderValue::from_str(request_id).expect("uuid is ascii"),
    );
    response
}
