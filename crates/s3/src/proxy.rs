//! Proxy mode: OpenTrail in front of an upstream S3-compatible server (MinIO, Ceph, Garage,
//! SeaweedFS, s3s-fs, AWS itself), recording every call as a CloudTrail data or management event.
//!
//! A proxied request goes through five steps: it is authenticated with the caller's OpenTrail
//! credentials (SigV4 header or presigned URL, verified here, never forwarded); the caller must belong
//! to the account the upstream's buckets are configured for; the request is re-signed with the
//! upstream's own credentials and forwarded path-style, its body streamed through without buffering
//! (aws-chunked bodies with chunk signatures are verified and decoded on the way, because their chunk
//! signatures are bound to the caller's key); the upstream's answer streams back with OpenTrail's
//! request id; and the record, with the upstream's real status, error and byte counts, is durable
//! before the response head leaves.
//!
//! What it deliberately does not do: evaluate bucket policies (the upstream owns its buckets and
//! enforces its own), cache, retry, or rewrite response bodies other than error documents (which get
//! OpenTrail's request id, as embedded buckets' errors do).

use std::future::Future as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use chrono::Utc;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use http_body::Frame;
use http_body_util::BodyExt as _;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use opentrail_sigv4::{AuthError, AwsChunkedDecoder, DeclaredPayload, SigningParams};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::audit::{RequestContext, S3AuditSink, S3CallRecord};
use crate::error::S3Error;
use crate::hosts::VirtualHostDomains;
use crate::identity::{CredentialStore, Principal};
use crate::observe::{RequestFacts, error_of, error_xml, stamp_request_id, xml_element};
use crate::sigv2;

/// Where and how to reach the upstream server, and whose buckets it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// e.g. `http://127.0.0.1:9000`; requests are forwarded path-style under it.
    pub endpoint: String,
    /// The region to sign for, and the `awsRegion` of the records.
    pub region: String,
    /// The upstream's access key.
    pub access_key_id: String,
    /// The upstream's secret.
    pub secret_access_key: String,
    /// The account that owns the upstream's buckets: only its principals may use them, and its id is
    /// the bucket owner in the records.
    pub owner_account_id: String,
    /// Base domains for virtual-hosted-style requests (as for embedded buckets).
    pub virtual_host_domains: Vec<String>,
}

/// Error bodies larger than this are not read for their code (they are not S3 error documents).
const MAX_ERROR_BODY: usize = 64 * 1024;
/// CreateMultipartUpload answers are read whole to record the upload id; they are tiny.
const MAX_SMALL_BODY: usize = 64 * 1024;
/// Query parameters of presigned URLs (SigV4 and SigV2): the caller's signature, never forwarded.
const PRESIGN_QUERY: &[&str] = &[
    "AWSAccessKeyId",
    "Expires",
    "Signature",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];
/// Request headers that describe the client's hop or signature, not the request.
const UNFORWARDED_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "expect",
    "host",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "x-amz-content-sha256",
    "x-amz-date",
    "x-amz-security-token",
];

type UpstreamClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, ForwardBody>;

/// The S3 API of an upstream server, audited.
#[derive(Clone)]
pub struct S3Proxy {
    inner: Arc<ProxyInner>,
}

struct ProxyInner {
    config: ProxyConfig,
    base: Uri,
    client: UpstreamClient,
    credentials: Arc<dyn CredentialStore>,
    audit: Arc<dyn S3AuditSink>,
    domains: VirtualHostDomains,
}

impl std::fmt::Debug for S3Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Proxy")
            .field("endpoint", &self.inner.config.endpoint)
            .field("owner_account_id", &self.inner.config.owner_account_id)
            .finish_non_exhaustive()
    }
}

/// Why the caller was turned away before anything was forwarded.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refusal {
    fn access_denied() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "AccessDenied",
            message: "Access Denied".to_owned(),
        }
    }

    fn unknown_key() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "InvalidAccessKeyId",
            message: "The AWS Access Key Id you provided does not exist in our records.".to_owned(),
        }
    }

    fn from_auth(error: &AuthError) -> Self {
        let (status, code) = match error {
            AuthError::Missing(_) => (StatusCode::BAD_REQUEST, "InvalidRequest"),
            AuthError::Incomplete(_)
            | AuthError::MalformedScope(_)
            | AuthError::UnsupportedAlgorithm(_) => {
                (StatusCode::BAD_REQUEST, "AuthorizationHeaderMalformed")
            }
            AuthError::AmbiguousAuth => (StatusCode::BAD_REQUEST, "InvalidArgument"),
            AuthError::HostNotSigned { .. }
            | AuthError::SignatureMismatch { .. }
            | AuthError::ChunkSignatureMismatch { .. } => {
                (StatusCode::FORBIDDEN, "SignatureDoesNotMatch")
            }
            AuthError::TimeSkewed { .. } => (StatusCode::FORBIDDEN, "RequestTimeTooSkewed"),
            AuthError::PresignedExpired { .. } => (StatusCode::FORBIDDEN, "AccessDenied"),
            AuthError::InvalidContentSha256 { .. } => (StatusCode::BAD_REQUEST, "InvalidArgument"),
            AuthError::ContentSha256Mismatch { .. } => {
                (StatusCode::BAD_REQUEST, "XAmzContentSHA256Mismatch")
            }
            AuthError::MalformedChunk { .. } => (StatusCode::BAD_REQUEST, "IncompleteBody"),
        };
        Self {
            status,
            code,
            message: error.s3_message(),
        }
    }
}

/// A caller whose signature verified.
struct Authenticated {
    principal: Principal,
    declared: DeclaredPayload,
    decoder: Option<AwsChunkedDecoder>,
}

impl S3Proxy {
    /// A proxy to `config.endpoint`, authenticating callers with `credentials` and recording through
    /// `audit`.
    pub fn new(
        config: ProxyConfig,
        credentials: Arc<dyn CredentialStore>,
        audit: Arc<dyn S3AuditSink>,
    ) -> Result<Self, S3Error> {
        let base: Uri = config.endpoint.parse().map_err(|_| {
            S3Error::InvalidConfig(format!(
                "upstream endpoint {:?} is not a URL",
                config.endpoint
            ))
        })?;
        if base.scheme().is_none() || base.authority().is_none() {
            return Err(S3Error::InvalidConfig(format!(
                "upstream endpoint {:?} needs a scheme and a host",
                config.endpoint
            )));
        }
        let domains = VirtualHostDomains::new(&config.virtual_host_domains)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .map_err(|error| S3Error::InvalidConfig(format!("tls setup failed: {error}")))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(64)
            .build(connector);
        Ok(Self {
            inner: Arc::new(ProxyInner {
                config,
                base,
                client,
                credentials,
                audit,
                domains,
            }),
        })
    }

    /// The bucket a request addresses (virtual-hosted or path style), for routing.
    pub fn addressed_bucket(&self, request: &http::request::Parts) -> Option<String> {
        RequestFacts::observe(request, &self.inner.domains)
            .addressed
            .bucket
    }

    /// Forwards one request and records it before the response head leaves. Runs on its own task
    /// so a client that disconnects cannot cancel between the upstream's effect and its record.
    pub async fn handle<B>(&self, request: http::Request<B>) -> http::Response<axum::body::Body>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        let inner = Arc::clone(&self.inner);
        let request = request.map(axum::body::Body::new);
        let request_id = request
            .extensions()
            .get::<RequestContext>()
            .map(|context| context.request_id.clone())
            .unwrap_or_default();
        match tokio::spawn(async move { inner.serve(request).await }).await {
            Ok(response) => response,
            Err(error) => {
                tracing::error!(%error, "s3 proxy task failed");
                error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                    &request_id,
                )
            }
        }
    }
}

impl ProxyInner {
    async fn serve(
        &self,
        request: http::Request<axum::body::Body>,
    ) -> http::Response<axum::body::Body> {
        let (parts, body) = request.into_parts();
        let context = parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| crate::front::fallback_context(&parts));
        let facts = RequestFacts::observe(&parts, &self.domains);
        let mut call = Call::new(&facts);
        let authenticated = match self.authenticate(&parts, &facts) {
            Ok(authenticated) => authenticated,
            Err(refusal) => {
                call.key_owner = facts
                    .access_key_id
                    .as_deref()
                    .and_then(|key| self.credentials.lookup(key))
                    .map(|(owner, _)| owner);
                return self.refuse(call, refusal, &facts, &context).await;
            }
        };
        call.principal = Some(authenticated.principal.clone());
        if authenticated.principal.account_id != self.config.owner_account_id {
            return self
                .refuse(call, Refusal::access_denied(), &facts, &context)
                .await;
        }
        let failure = Arc::new(Mutex::new(None));
        let upstream_request = match self.upstream_request(
            &parts,
            &facts,
            body,
            authenticated,
            Arc::clone(&call.bytes_in),
            Arc::clone(&failure),
        ) {
            Ok(request) => request,
            Err(refusal) => return self.refuse(call, refusal, &facts, &context).await,
        };
        let response = match self.client.request(upstream_request).await {
            Ok(response) => response,
            Err(error) => {
                let auth_failure = failure
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .take();
                let refusal = match auth_failure {
                    Some(auth_error) => Refusal::from_auth(&auth_error),
                    None => {
                        tracing::warn!(%error, endpoint = %self.config.endpoint, "upstream s3 request failed");
                        Refusal {
                            status: StatusCode::SERVICE_UNAVAILABLE,
                            code: "ServiceUnavailable",
                            message: "The upstream S3 server could not be reached.".to_owned(),
                        }
                    }
                };
                return self.refuse(call, refusal, &facts, &context).await;
            }
        };
        self.answer(call, response, &facts, &context).await
    }

    /// Verifies the caller's signature (not yet the body: that is checked while it streams).
    fn authenticate(
        &self,
        parts: &http::request::Parts,
        facts: &RequestFacts,
    ) -> Result<Authenticated, Refusal> {
        if let Some(claim) = sigv2::claim(&parts.headers, &facts.query) {
            return self.authenticate_v2(parts, facts, &claim);
        }
        let parsed = opentrail_sigv4::parse_auth(&parts.method, &parts.uri, &parts.headers)
            .map_err(|error| Refusal::from_auth(&error))?
            .ok_or_else(Refusal::access_denied)?;
        let (principal, secret) = self
            .credentials
            .lookup(&parsed.access_key_id)
            .ok_or_else(Refusal::unknown_key)?;
        let declared = DeclaredPayload::from_request(&parsed, &parts.headers)
            .map_err(|error| Refusal::from_auth(&error))?;
        let payload_line = declared
            .canonical_value()
            .unwrap_or(opentrail_sigv4::UNSIGNED_PAYLOAD);
        let verified = opentrail_sigv4::verify(
            &parsed,
            &parts.method,
            &parts.uri,
            &parts.headers,
            payload_line,
            &secret,
            Utc::now(),
        )
        .map_err(|error| Refusal::from_auth(&error))?;
        let decoder = match declared {
            DeclaredPayload::StreamingSigned => Some(AwsChunkedDecoder::signed(&verified)),
            DeclaredPayload::StreamingSignedTrailer => {
                Some(AwsChunkedDecoder::signed_with_trailer(&verified))
            }
            _ => None,
        };
        Ok(Authenticated {
            principal,
            declared,
            decoder,
        })
    }

    fn authenticate_v2(
        &self,
        parts: &http::request::Parts,
        facts: &RequestFacts,
        claim: &sigv2::SigV2Claim,
    ) -> Result<Authenticated, Refusal> {
        let (principal, secret) = self
            .credentials
            .lookup(&claim.access_key_id)
            .ok_or_else(Refusal::unknown_key)?;
        sigv2::verify(
            claim,
            &parts.method,
            &parts.headers,
            &self.forwarded_path(parts, facts),
            &facts.query,
            &secret,
            Utc::now().timestamp(),
        )
        .map_err(|error| match error {
            sigv2::SigV2Error::Expired => Refusal {
                status: StatusCode::FORBIDDEN,
                code: "AccessDenied",
                message: "Request has expired".to_owned(),
            },
            sigv2::SigV2Error::Mismatch => Refusal {
                status: StatusCode::FORBIDDEN,
                code: "SignatureDoesNotMatch",
                message: opentrail_sigv4::S3_SIGNATURE_MISMATCH_MESSAGE.to_owned(),
            },
        })?;
        Ok(Authenticated {
            principal,
            declared: DeclaredPayload::Unsigned,
            decoder: None,
        })
    }

    /// `/<bucket>/<key>` as the caller encoded it, path-style.
    fn forwarded_path(&self, parts: &http::request::Parts, facts: &RequestFacts) -> String {
        let raw_path = parts.uri.path();
        match facts
            .host
            .as_deref()
            .and_then(|host| self.domains.bucket_of(host))
        {
            Some(bucket) => format!("/{bucket}{raw_path}"),
            None => raw_path.to_owned(),
        }
    }

    /// The request to send upstream: path-style URI under the endpoint, the caller's headers minus
    /// its signature and hop headers, the body (decoded if its chunks were signed), signed with the
    /// upstream's key.
    fn upstream_request(
        &self,
        parts: &http::request::Parts,
        facts: &RequestFacts,
        body: axum::body::Body,
        authenticated: Authenticated,
        counted: Arc<AtomicU64>,
        failure: Arc<Mutex<Option<AuthError>>>,
    ) -> Result<http::Request<ForwardBody>, Refusal> {
        let uri = self.upstream_uri(parts, facts)?;
        let mut headers = HeaderMap::with_capacity(parts.headers.len() + 4);
        for (name, value) in &parts.headers {
            if !UNFORWARDED_HEADERS.contains(&name.as_str()) {
                headers.append(name.clone(), value.clone());
            }
        }
        let (mode, payload_hash) = match (authenticated.decoder, &authenticated.declared) {
            (Some(decoder), _) => {
                let decoded_length = strip_aws_chunked(&mut headers)?;
                (
                    ForwardMode::Decode {
                        decoder: Box::new(decoder.with_decoded_length(decoded_length)),
                        scratch: Vec::new(),
                    },
                    opentrail_sigv4::UNSIGNED_PAYLOAD.to_owned(),
                )
            }
            (None, DeclaredPayload::Sha256(claimed)) => (
                ForwardMode::Hash {
                    hasher: Sha256::new(),
                    claimed: claimed.to_ascii_lowercase(),
                },
                claimed.clone(),
            ),
            (None, declared) => (
                ForwardMode::Pass,
                declared
                    .canonical_value()
                    .unwrap_or(opentrail_sigv4::UNSIGNED_PAYLOAD)
                    .to_owned(),
            ),
        };
        let forward = ForwardBody {
            inner: body,
            mode,
            counted,
            failure,
            finished: false,
        };
        let mut request = http::Request::builder()
            .method(parts.method.clone())
            .uri(uri)
            .body(forward)
            .map_err(|_| Refusal::access_denied())?;
        *request.headers_mut() = headers;
        let authority = self
            .base
            .authority()
            .map(|authority| authority.as_str().to_owned())
            .unwrap_or_default();
        let (mut request_parts, forward) = request.into_parts();
        request_parts.headers.insert(
            http::header::HOST,
            HeaderValue::from_str(&authority).map_err(|_| Refusal::access_denied())?,
        );
        opentrail_sigv4::sign_request(
            &mut request_parts,
            &payload_hash,
            &SigningParams {
                access_key_id: &self.config.access_key_id,
                secret_access_key: &self.config.secret_access_key,
                region: &self.config.region,
                service: "s3",
                time: Utc::now(),
            },
        )
        .map_err(|error| Refusal::from_auth(&error))?;
        Ok(http::Request::from_parts(request_parts, forward))
    }

    /// `<endpoint>/<bucket>/<key>?<query without presign parameters>`, keeping the caller's encoding.
    fn upstream_uri(
        &self,
        parts: &http::request::Parts,
        facts: &RequestFacts,
    ) -> Result<Uri, Refusal> {
        let path = self.forwarded_path(parts, facts);
        let query: Vec<&str> = parts
            .uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|pair| {
                let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
                !pair.is_empty() && !PRESIGN_QUERY.contains(&name)
            })
            .collect();
        let prefix = self.base.path().trim_end_matches('/');
        let mut text = format!(
            "{}://{}{prefix}{path}",
            self.base.scheme_str().unwrap_or("http"),
            self.base.authority().map(|a| a.as_str()).unwrap_or("")
        );
        if !query.is_empty() {
            text.push('?');
            text.push_str(&query.join("&"));
        }
        text.parse().map_err(|_| Refusal::access_denied())
    }

    /// Reads the upstream's answer: error documents and CreateMultipartUpload answers are read whole
    /// (they are small), anything else streams through.
    async fn answer(
        &self,
        mut call: Call,
        response: http::Response<hyper::body::Incoming>,
        facts: &RequestFacts,
        context: &RequestContext,
    ) -> http::Response<axum::body::Body> {
        let (mut parts, body) = response.into_parts();
        for name in [
            "connection",
            "keep-alive",
            "transfer-encoding",
            "trailer",
            "upgrade",
        ] {
            parts.headers.remove(name);
        }
        stamp_request_id(&mut parts.headers, &context.request_id);
        call.status = parts.status;
        let is_error = parts.status.is_client_error() || parts.status.is_server_error();
        let wants_upload_id = call.traits.event_name == "CreateMultipartUpload" && !is_error;
        let body = if is_error || wants_upload_id {
            let limit = if is_error {
                MAX_ERROR_BODY
            } else {
                MAX_SMALL_BODY
            };
            let bytes = match http_body_util::Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) => {
                    tracing::warn!(%error, "upstream answer could not be read");
                    Bytes::new()
                }
            };
            let bytes = if is_error {
                let (code, message) = error_of(&bytes, parts.status, facts.is_object());
                let document = error_xml(&code, message.as_deref(), &context.request_id);
                call.error = Some((code, message));
                parts.headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/xml"),
                );
                Bytes::from(document)
            } else {
                let text = String::from_utf8_lossy(&bytes);
                call.response_elements = Some(json!({
                    "bucket": facts.addressed.bucket,
                    "key": facts.addressed.key,
                    "uploadId": xml_element(&text, "UploadId"),
                }));
                bytes
            };
            if facts.method != Method::HEAD {
                parts
                    .headers
                    .insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
                call.bytes_out = bytes.len() as u64;
            }
            axum::body::Body::from(bytes)
        } else {
            if facts.method != Method::HEAD {
                call.bytes_out = content_length(&parts.headers).unwrap_or(0);
            }
            if call.bytes_out > 0 {
                // The body is the acknowledgment: it streams while the record becomes durable, and
                // its last bytes wait for that.
                let record = self.call_record(call, facts, context);
                let (durable, gate) = tokio::sync::oneshot::channel();
                let audit = Arc::clone(&self.audit);
                let context = context.clone();
                tokio::spawn(async move {
                    let outcome = audit.record(record, &context).await;
                    if let Err(error) = &outcome {
                        tracing::error!(%error, request_id = %context.request_id, "s3 proxy audit record could not be written; the answer is cut short");
                    }
                    let _ = durable.send(outcome.is_ok());
                });
                let gated = GatedBody {
                    inner: body,
                    held: None,
                    gate: Some(gate),
                    inner_done: false,
                };
                return http::Response::from_parts(parts, axum::body::Body::new(gated));
            }
            axum::body::Body::new(body)
        };
        if let Err(error) = self.record(call, facts, context).await {
            tracing::error!(%error, request_id = %context.request_id, "s3 proxy audit record could not be written");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
                &context.request_id,
            );
        }
        http::Response::from_parts(parts, body)
    }

    async fn refuse(
        &self,
        mut call: Call,
        refusal: Refusal,
        facts: &RequestFacts,
        context: &RequestContext,
    ) -> http::Response<axum::body::Body> {
        let response = error_response(
            refusal.status,
            refusal.code,
            &refusal.message,
            &context.request_id,
        );
        call.status = refusal.status;
        call.error = Some((refusal.code.to_owned(), Some(refusal.message)));
        if facts.method != Method::HEAD {
            call.bytes_out = content_length(response.headers()).unwrap_or(0);
        }
        if let Err(error) = self.record(call, facts, context).await {
            tracing::error!(%error, request_id = %context.request_id, "s3 proxy audit record could not be written");
        }
        response
    }

    async fn record(
        &self,
        call: Call,
        facts: &RequestFacts,
        context: &RequestContext,
    ) -> Result<(), String> {
        let record = self.call_record(call, facts, context);
        self.audit.record(record, context).await
    }

    fn call_record(
        &self,
        call: Call,
        facts: &RequestFacts,
        context: &RequestContext,
    ) -> S3CallRecord {
        let bucket_owner = facts
            .addressed
            .bucket
            .as_ref()
            .map(|_| self.config.owner_account_id.clone());
        let (error_code, error_message) = match call.error {
            Some((code, message)) => (Some(code), message),
            None => (None, None),
        };
        S3CallRecord {
            operation: call.traits.event_name,
            category: call.traits.category,
            read_only: call.traits.read_only,
            principal: call.principal,
            key_owner: call.key_owner,
            access_key_id: facts.access_key_id.clone(),
            bucket: facts.addressed.bucket.clone(),
            key: facts.addressed.key.clone(),
            bucket_owner_account_id: bucket_owner,
            aws_region: self.config.region.clone(),
            http_status: call.status.as_u16(),
            error_code,
            error_message,
            request_id: context.request_id.clone(),
            host_id: context.request_id.clone(),
            host_header: facts.host.clone(),
            request_parameters: facts.request_parameters(serde_json::Map::new()),
            response_elements: call.response_elements,
            bytes_in: call.bytes_in.load(Ordering::Relaxed),
            bytes_out: call.bytes_out,
            auth_method: facts.auth_method,
            signature_version: facts.signature_version,
            event_time: Utc::now(),
        }
    }
}

/// What is learned about one proxied call on its way through.
struct Call {
    traits: crate::catalog::OperationTraits,
    principal: Option<Principal>,
    key_owner: Option<Principal>,
    status: StatusCode,
    error: Option<(String, Option<String>)>,
    response_elements: Option<serde_json::Value>,
    bytes_in: Arc<AtomicU64>,
    bytes_out: u64,
}

impl Call {
    fn new(facts: &RequestFacts) -> Self {
        Self {
            traits: facts.guessed_operation(),
            principal: None,
            key_owner: None,
            status: StatusCode::OK,
            error: None,
            response_elements: None,
            bytes_in: Arc::new(AtomicU64::new(0)),
            bytes_out: 0,
        }
    }
}

/// Removes the aws-chunked framing headers of a body that will be forwarded decoded, and announces
/// the decoded length instead; returns that length.
fn strip_aws_chunked(headers: &mut HeaderMap) -> Result<u64, Refusal> {
    let decoded_length = headers
        .get("x-amz-decoded-content-length")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
        .ok_or_else(|| Refusal {
            status: StatusCode::LENGTH_REQUIRED,
            code: "MissingContentLength",
            message: "You must provide the Content-Length HTTP header.".to_owned(),
        })?;
    headers.remove("x-amz-decoded-content-length");
    headers.remove("x-amz-trailer");
    let encodings: Vec<String> = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|encoding| !encoding.is_empty() && !encoding.eq_ignore_ascii_case("aws-chunked"))
        .map(str::to_owned)
        .collect();
    headers.remove(http::header::CONTENT_ENCODING);
    if !encodings.is_empty()
        && let Ok(value) = HeaderValue::from_str(&encodings.join(","))
    {
        headers.insert(http::header::CONTENT_ENCODING, value);
    }
    headers.insert(
        http::header::CONTENT_LENGTH,
        HeaderValue::from(decoded_length),
    );
    Ok(decoded_length)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
}

fn error_response(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> http::Response<axum::body::Body> {
    let document = error_xml(code, Some(message), request_id);
    let mut response = http::Response::new(axum::body::Body::from(document.clone()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    headers.insert(
        http::header::CONTENT_LENGTH,
        HeaderValue::from(document.len()),
    );
    stamp_request_id(headers, request_id);
    response
}

/// How the caller's body is passed on.
enum ForwardMode {
    /// As is (unsigned payloads, and aws-chunked bodies whose chunks are not signed).
    Pass,
    /// As is, hashing it: a body that does not match its declared SHA-256 is cut off before its end,
    /// so the upstream never completes the write.
    Hash { hasher: Sha256, claimed: String },
    /// Decoded from aws-chunked, every chunk signature verified.
    Decode {
        decoder: Box<AwsChunkedDecoder>,
        scratch: Vec<u8>,
    },
}

/// The caller's body on its way upstream, counted (`bytesTransferredIn`) and checked.
pub(crate) struct ForwardBody {
    inner: axum::body::Body,
    mode: ForwardMode,
    counted: Arc<AtomicU64>,
    failure: Arc<Mutex<Option<AuthError>>>,
    finished: bool,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl ForwardBody {
    fn fail(&mut self, error: AuthError) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let text = error.to_string();
        *self
            .failure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error);
        self.finished = true;
        Poll::Ready(Some(Err(text.into())))
    }

    fn finish(&mut self) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.finished = true;
        let outcome = match &mut self.mode {
            ForwardMode::Pass => Ok(()),
            ForwardMode::Hash { hasher, claimed } => {
                let computed = hex::encode(std::mem::take(hasher).finalize());
                if &computed == claimed {
                    Ok(())
                } else {
                    Err(AuthError::ContentSha256Mismatch {
                        claimed: claimed.clone(),
                        computed,
                    })
                }
            }
            ForwardMode::Decode { decoder, .. } => decoder.finish().map(|_| ()),
        };
        match outcome {
            Ok(()) => Poll::Ready(None),
            Err(error) => self.fail(error),
        }
    }
}

impl http_body::Body for ForwardBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        loop {
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return this.finish(),
                Poll::Ready(Some(Err(error))) => {
                    this.finished = true;
                    return Poll::Ready(Some(Err(Box::new(error))));
                }
                Poll::Ready(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let forwarded = match &mut this.mode {
                ForwardMode::Pass => data,
                ForwardMode::Hash { hasher, .. } => {
                    hasher.update(&data);
                    data
                }
                ForwardMode::Decode { decoder, scratch } => {
                    scratch.clear();
                    if let Err(error) = decoder.feed(&data, scratch) {
                        return this.fail(error);
                    }
                    if scratch.is_empty() {
                        continue;
                    }
                    Bytes::copy_from_slice(scratch)
                }
            };
            this.counted
                .fetch_add(forwarded.len() as u64, Ordering::Relaxed);
            return Poll::Ready(Some(Ok(Frame::data(forwarded))));
        }
    }

    fn is_end_stream(&self) -> bool {
        self.finished
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.mode {
            // the decoded length is announced in Content-Length
            ForwardMode::Decode { .. } => http_body::SizeHint::default(),
            _ => self.inner.size_hint(),
        }
    }
}

/// An upstream answer's body that holds its last frame back until the call's record is durable, so
/// a client never receives a complete answer whose record could still be lost; if the record fails,
/// the body ends in an error (the client sees a cut-short answer).
struct GatedBody {
    inner: hyper::body::Incoming,
    held: Option<Bytes>,
    gate: Option<tokio::sync::oneshot::Receiver<bool>>,
    inner_done: bool,
}

impl http_body::Body for GatedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            if this.inner_done {
                let Some(gate) = this.gate.as_mut() else {
                    return Poll::Ready(this.held.take().map(|last| Ok(Frame::data(last))));
                };
                let durable = match Pin::new(gate).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(outcome) => outcome.unwrap_or(false),
                };
                this.gate = None;
                if !durable {
                    this.held = None;
                    return Poll::Ready(Some(Err("the audit record could not be written".into())));
                }
                continue;
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => this.inner_done = true,
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(Box::new(error)))),
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data()
                        && let Some(previous) = this.held.replace(data)
                    {
                        return Poll::Ready(Some(Ok(Frame::data(previous))));
                    }
                }
            }
        }
    }
}
