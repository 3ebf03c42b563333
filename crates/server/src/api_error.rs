//! The one place where an AWS error code becomes an HTTP status and a wire body.
//!
//! Every JSON-protocol failure (modelled exceptions of CloudTrail, authentication failures, protocol
//! errors) is an [`ApiFailure`]; S3 errors are rendered by the S3 front in REST-XML, and query-protocol
//! services render theirs in XML (see [`ApiFailure::into_query_response`]).

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

/// One failed call: the AWS error code (the exception name) and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// e.g. `TrailNotFoundException`.
    pub code: String,
    /// Human-readable text, as AWS words it where known.
    pub message: String,
}

impl ApiFailure {
    /// A failure with a code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    /// An unexpected internal error; the detail goes to the log, not to the caller.
    pub fn internal() -> Self {
        Self::new(
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }

    /// The HTTP status AWS uses for this code.
    pub fn status(&self) -> StatusCode {
        match self.code.as_str() {
            "InternalFailure" | "InternalError" => StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceUnavailable" | "ServiceUnavailableException" => StatusCode::SERVICE_UNAVAILABLE,
            "AccessDenied"
            | "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "MissingAuthenticationToken" => StatusCode::FORBIDDEN,
            "RequestEntityTooLarge" => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Renders the failure for an awsJson1.1 service: `{"__type", "message"}` plus `x-amzn-ErrorType`.
    pub fn into_json_response(self, request_id: &str) -> Response {
        let body = serde_json::json!({"__type": self.code, "message": self.message});
        let mut response = (self.status(), body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        if let Ok(value) = HeaderValue::from_str(&self.code) {
            headers.insert("x-amzn-ErrorType", value);
        }
        set_request_id(&mut response, request_id);
        response
    }

    /// Renders the failure for a query-protocol service (STS, SNS): an `ErrorResponse` XML document.
    pub fn into_query_response(self, request_id: &str) -> Response {
        let error_type = if self.status().is_server_error() {
            "Receiver"
        } else {
            "Sender"
        };
        let body = format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>{error_type}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            xml_escape(&self.code),
            xml_escape(&self.message)
        );
        let mut response = (self.status(), body).into_response();
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml"),
        );
        set_request_id(&mut response, request_id);
        response
    }
}

/// Renders a successful awsJson1.1 response.
pub fn json_success(request_id: &str, body: &serde_json::Value) -> Response {
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    set_request_id(&mut response, request_id);
    response
}

/// Sets `x-amzn-RequestId` on a response.
pub fn set_request_id(response: &mut Response, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-RequestId", value);
    }
}

/// Escapes text for an XML element.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_carry_type_header_and_request_id() {
        let response =
            ApiFailure::new("TrailNotFoundException", "Unknown trail").into_json_response("req-1");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()["x-amzn-ErrorType"],
            "TrailNotFoundException"
        );
        assert_eq!(response.headers()["x-amzn-RequestId"], "req-1");
        assert_eq!(
            ApiFailure::internal().status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
