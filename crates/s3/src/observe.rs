//! Gathering the audit facts of one call: what the request looked like before s3s saw it, what the
//! handlers learned while serving it (the probe), and what the response said.
//!
//! Three sources because none is complete alone: s3s may reject a request before any of our code runs
//! (bad signature, unknown key), handlers know things the wire does not show (the bucket owner, a parsed
//! CreateBucketConfiguration), and only the final response has the status and error code. This module
//! also normalizes error bodies (AWS wording, our `RequestId`) so client and audit record agree.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body::Body as _;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use crate::aws_errors;
use crate::catalog::{self, OperationTraits, Target};
use crate::hosts::{Addressed, VirtualHostDomains, locate};
use crate::identity::Principal;

/// Request headers CloudTrail copies into S3 `requestParameters`.
const RECORDED_HEADERS: &[&str] = &[
    "x-amz-acl",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-server-side-encryption",
    "x-amz-storage-class",
];

/// Query parameters never recorded (they are credentials, not parameters).
const UNRECORDED_QUERY: &[&str] = &[
    "X-Amz-Signature",
    "X-Amz-Credential",
    "Signature",
    "X-Amz-Security-Token",
];

/// What the request showed before s3s parsed it.
#[derive(Debug, Clone)]
pub(crate) struct RequestFacts {
    pub(crate) method: Method,
    pub(crate) addressed: Addressed,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) host: Option<String>,
    pub(crate) access_key_id: Option<String>,
    pub(crate) signing_region: Option<String>,
    pub(crate) auth_method: Option<&'static str>,
    pub(crate) signature_version: Option<&'static str>,
    recorded_headers: Vec<(&'static str, String)>,
}

impl RequestFacts {
    /// Reads the facts off the request head.
    pub(crate) fn observe(parts: &Parts, domains: &VirtualHostDomains) -> Self {
        let host = header_text(&parts.headers, http::header::HOST).or_else(|| {
            parts
                .uri
                .authority()
                .map(|authority| authority.as_str().to_owned())
        });
        let query = parse_query(parts.uri.query().unwrap_or(""));
        let credential = Credential::find(&parts.headers, &query);
        let recorded_headers = RECORDED_HEADERS
            .iter()
            .filter_map(|name| header_text(&parts.headers, *name).map(|value| (*name, value)))
            .collect();
        Self {
            method: parts.method.clone(),
            addressed: locate(domains, host.as_deref(), parts.uri.path()),
            host,
            access_key_id: credential.access_key_id,
            signing_region: credential.region,
            auth_method: credential.auth_method,
            signature_version: credential.signature_version,
            query,
            recorded_headers,
        }
    }

    /// The operation s3s would have routed to, for requests it rejected before routing.
    pub(crate) fn guessed_operation(&self) -> OperationTraits {
        let has_copy_source = self
            .recorded_headers
            .iter()
            .any(|(name, _)| *name == "x-amz-copy-source");
        catalog::traits_of(catalog::classify(
            &self.method,
            self.addressed.target,
            &self.query,
            has_copy_source,
        ))
    }

    /// Whether the request addressed an object (for bare-status error codes).
    pub(crate) fn is_object(&self) -> bool {
        self.addressed.target == Target::Object
    }

    /// CloudTrail `requestParameters`: bucketName, key, Host, query parameters, recorded headers, then
    /// what the handlers added.
    pub(crate) fn request_parameters(&self, from_handlers: Map<String, Value>) -> Value {
        let mut parameters = Map::new();
        if let Some(bucket) = &self.addressed.bucket {
            parameters.insert("bucketName".into(), json!(bucket));
        }
        if let Some(key) = &self.addressed.key {
            parameters.insert("key".into(), json!(key));
        }
        if let Some(host) = &self.host {
            parameters.insert("Host".into(), json!(host));
        }
        for (name, value) in &self.query {
            if !UNRECORDED_QUERY.contains(&name.as_str()) {
                parameters.insert(name.clone(), json!(value));
            }
        }
        for (name, value) in &self.recorded_headers {
            parameters.insert((*name).to_owned(), json!(value));
        }
        parameters.extend(from_handlers);
        Value::Object(parameters)
    }
}

fn header_text(headers: &HeaderMap, name: impl http::header::AsHeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
            (decode(name), decode(value))
        })
        .collect()
}

/// The credential a request claims, read from its Authorization header or presigned query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Credential {
    access_key_id: Option<String>,
    region: Option<String>,
    auth_method: Option<&'static str>,
    signature_version: Option<&'static str>,
}

impl Credential {
    fn find(headers: &HeaderMap, query: &[(String, String)]) -> Self {
        if let Some(authorization) = header_text(headers, http::header::AUTHORIZATION) {
            return Self::from_authorization(&authorization);
        }
        let query_value = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        if let Some(scope) = query_value("X-Amz-Credential") {
            return Self::from_v4_scope(scope, "QueryString");
        }
        if let Some(access_key_id) = query_value("AWSAccessKeyId") {
            return Self {
                access_key_id: Some(access_key_id.to_owned()),
                region: None,
                auth_method: Some("QueryString"),
                signature_version: Some("SigV2"),
            };
        }
        Self::default()
    }

    fn from_authorization(authorization: &str) -> Self {
        if let Some(v4) = authorization.strip_prefix("AWS4-HMAC-SHA256") {
            let scope = v4
                .split(',')
                .find_map(|item| item.trim().strip_prefix("Credential="))
                .unwrap_or("");
            return Self::from_v4_scope(scope, "AuthHeader");
        }
        let v2_key = authorization
            .strip_prefix("AWS ")
            .and_then(|rest| rest.split_once(':'))
            .map(|(key, _)| key.to_owned());
        Self {
            auth_method: Some("AuthHeader"),
            signature_version: v2_key.as_ref().map(|_| "SigV2"),
            access_key_id: v2_key,
            region: None,
        }
    }

    fn from_v4_scope(scope: &str, auth_method: &'static str) -> Self {
        let mut fields = scope.split('/');
        let access_key_id = fields
            .next()
            .filter(|key| !key.is_empty())
            .map(str::to_owned);
        let region = fields
            .nth(1)
            .filter(|region| !region.is_empty())
            .map(str::to_owned);
        Self {
            access_key_id,
            region,
            auth_method: Some(auth_method),
            signature_version: Some("SigV4"),
        }
    }
}

/// What the access gate and the handlers learned while serving the request.
#[derive(Debug, Default)]
pub(crate) struct ProbeState {
    /// The operation s3s routed to.
    pub(crate) operation: Option<OperationTraits>,
    /// The authenticated caller.
    pub(crate) principal: Option<Principal>,
    pub(crate) bucket_owner_account_id: Option<String>,
    pub(crate) bucket_region: Option<String>,
    /// Body-derived request parameters (CreateBucketConfiguration, bucketPolicy, ...).
    pub(crate) request_parameters: Map<String, Value>,
    pub(crate) response_elements: Option<Value>,
}

/// A shared slot in the request's extensions that the gate and handlers fill in.
#[derive(Debug, Default)]
pub(crate) struct CallProbe {
    state: Mutex<ProbeState>,
}

impl CallProbe {
    /// Changes the state.
    pub(crate) fn update(&self, change: impl FnOnce(&mut ProbeState)) {
        change(
            &mut self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
    }

    /// Takes the state out.
    pub(crate) fn take(&self) -> ProbeState {
        std::mem::take(
            &mut self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

/// Updates the probe in `extensions`, if any.
pub(crate) fn probe(extensions: &http::Extensions, change: impl FnOnce(&mut ProbeState)) {
    if let Some(probe) = extensions.get::<Arc<CallProbe>>() {
        probe.update(change);
    }
}

/// A request body that counts the bytes read through it, keeping the inner body's size hint (which
/// s3s needs to accept bodiless signed requests).
pub(crate) struct CountingBody<B> {
    inner: Pin<Box<B>>,
    counted: Arc<AtomicU64>,
}

impl<B> CountingBody<B> {
    /// Wraps `inner`, adding every data frame's length to `counted`.
    pub(crate) fn new(inner: B, counted: Arc<AtomicU64>) -> Self {
        Self {
            inner: Box::pin(inner),
            counted,
        }
    }
}

impl<B: http_body::Body> http_body::Body for CountingBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = self.inner.as_mut().poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            use bytes::Buf as _;
            self.counted
                .fetch_add(data.remaining() as u64, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// What the response said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResponseOutcome {
    pub(crate) status: u16,
    pub(crate) error_code: Option<String>,
    pub(crate) error_message: Option<String>,
    pub(crate) bytes_out: u64,
}

/// Reads status and error of a response, rewrites error bodies into AWS's shape with our request id,
/// and stamps `x-amz-request-id` / `x-amz-id-2`.
pub(crate) fn settle_response(
    response: &mut http::Response<s3s::Body>,
    request_id: &str,
    facts: &RequestFacts,
) -> ResponseOutcome {
    let status = response.status();
    let mut outcome = ResponseOutcome {
        status: status.as_u16(),
        error_code: None,
        error_message: None,
        bytes_out: 0,
    };
    if status.is_client_error() || status.is_server_error() {
        let (code, message) = read_error(response.body(), status, facts.is_object());
        let body = error_xml(&code, message.as_deref(), request_id);
        set_body(response, body);
        outcome.error_code = Some(code);
        outcome.error_message = message;
    }
    if facts.method != Method::HEAD {
        outcome.bytes_out = body_length(response);
    }
    stamp_request_id(response.headers_mut(), request_id);
    outcome
}

/// Sets `x-amz-request-id` and `x-amz-id-2`.
pub(crate) fn stamp_request_id(headers: &mut HeaderMap, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amz-request-id", value.clone());
        headers.insert("x-amz-id-2", value);
    }
}

/// Code and message of an error response; from its XML body when there is one.
fn read_error(body: &s3s::Body, status: StatusCode, is_object: bool) -> (String, Option<String>) {
    let bytes = body.bytes().unwrap_or_default();
    error_of(&bytes, status, is_object)
}

/// Code and message of an error answer with body `bytes` (S3's XML error document, or nothing).
pub(crate) fn error_of(
    bytes: &[u8],
    status: StatusCode,
    is_object: bool,
) -> (String, Option<String>) {
    let text = String::from_utf8_lossy(bytes);
    let code = xml_element(&text, "Code")
        .unwrap_or_else(|| aws_errors::code_for_bare_status(status, is_object).to_owned());
    let message = xml_element(&text, "Message")
        .or_else(|| aws_errors::default_message(&code).map(str::to_owned));
    (code, message)
}

/// The unescaped text of the first `<name>` element of a small XML document.
pub(crate) fn xml_element(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(xml_unescape(&xml[start..end]))
}

fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// AWS's error document.
pub(crate) fn error_xml(code: &str, message: Option<&str>, request_id: &str) -> String {
    let message = message
        .map(|message| format!("<Message>{}</Message>", xml_escape(message)))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code>{message}<RequestId>{}</RequestId><HostId>{}</HostId></Error>",
        xml_escape(code),
        xml_escape(request_id),
        xml_escape(request_id)
    )
}

fn set_body(response: &mut http::Response<s3s::Body>, body: String) {
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.remove(http::header::TRANSFER_ENCODING);
    *response.body_mut() = s3s::Body::from(body);
}

fn body_length(response: &http::Response<s3s::Body>) -> u64 {
    response.body().size_hint().exact().unwrap_or_else(|| {
        response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(method: Method, uri: &str, headers: &[(&str, &str)]) -> RequestFacts {
        let mut request = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (parts, ()) = request.body(()).unwrap().into_parts();
        RequestFacts::observe(
            &parts,
            &VirtualHostDomains::new(&["s3.test".into()]).unwrap(),
        )
    }

    #[test]
    fn credentials_are_read_from_header_and_query() {
        let check = |facts: RequestFacts,
                     key: Option<&str>,
                     method: Option<&str>,
                     version: Option<&str>,
                     region: Option<&str>| {
            assert_eq!(facts.access_key_id.as_deref(), key);
            assert_eq!(facts.auth_method, method);
            assert_eq!(facts.signature_version, version);
            assert_eq!(facts.signing_region.as_deref(), region);
        };
        let v4 = "AWS4-HMAC-SHA256 Credential=AKIDV4/20240101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=ab";
        check(
            facts(Method::GET, "/b", &[("authorization", v4)]),
            Some("AKIDV4"),
            Some("AuthHeader"),
            Some("SigV4"),
            Some("eu-west-1"),
        );
        check(
            facts(
                Method::GET,
                "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDQ%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x",
                &[],
            ),
            Some("AKIDQ"),
            Some("QueryString"),
            Some("SigV4"),
            Some("us-east-1"),
        );
        check(
            facts(Method::GET, "/b", &[("authorization", "AWS AKIDV2:sig")]),
            Some("AKIDV2"),
            Some("AuthHeader"),
            Some("SigV2"),
            None,
        );
        check(facts(Method::GET, "/b", &[]), None, None, None, None);
    }

    #[test]
    fn request_parameters_follow_cloudtrail() {
        let facts = facts(
            Method::GET,
            "/?policy&X-Amz-Signature=secret",
            &[("host", "b1.s3.test:4580"), ("x-amz-acl", "private")],
        );
        let extra = Map::from_iter([("bucketPolicy".to_owned(), json!({"Version": "2012-10-17"}))]);
        assert_eq!(
            facts.request_parameters(extra),
            json!({"bucketName": "b1", "Host": "b1.s3.test:4580", "policy": "", "x-amz-acl": "private",
                   "bucketPolicy": {"Version": "2012-10-17"}})
        );
        assert_eq!(facts.guessed_operation().event_name, "GetBucketPolicy");
    }

    #[test]
    fn error_bodies_are_normalized() {
        let facts = facts(Method::GET, "/b/k", &[]);
        let mut response = http::Response::builder()
            .status(403)
            .body(s3s::Body::from(
                "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code></Error>"
                    .to_owned(),
            ))
            .unwrap();
        let outcome = settle_response(&mut response, "REQ1", &facts);
        assert_eq!(outcome.error_code.as_deref(), Some("SignatureDoesNotMatch"));
        assert!(
            outcome
                .error_message
                .as_deref()
                .unwrap()
                .starts_with("The request signature we calculated")
        );
        let body = String::from_utf8(response.body().bytes().unwrap().to_vec()).unwrap();
        assert!(body.contains("<RequestId>REQ1</RequestId>"), "{body}");
        assert_eq!(outcome.bytes_out, body.len() as u64);
        assert_eq!(response.headers()["x-amz-request-id"], "REQ1");

        let head = RequestFacts {
            method: Method::HEAD,
            ..facts
        };
        let mut response = http::Response::builder()
            .status(404)
            .body(s3s::Body::empty())
            .unwrap();
        let outcome = settle_response(&mut response, "REQ2", &head);
        assert_eq!(
            (outcome.error_code.as_deref(), outcome.bytes_out),
            (Some("NoSuchKey"), 0)
        );
    }

    #[test]
    fn xml_text_round_trips() {
        let xml = error_xml("C", Some("a <b> & \"c\""), "r");
        assert_eq!(
            xml_element(&xml, "Message").as_deref(),
            Some("a <b> & \"c\"")
        );
        assert_eq!(xml_element(&xml, "Nope"), None);
    }
}
