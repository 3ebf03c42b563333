//! [`HttpSource`]: the calls of `validate-logs` against AWS-compatible endpoints over plain HTTP —
//! CloudTrail and Organizations JSON 1.1, S3 REST-XML path-style — signed with SigV4
//! (`opentrail-sigv4`), with endpoints, Region and credentials taken from flags and environment the way
//! the aws CLI takes them (reference §1.3, §6.5 step 1).
//!
//! One hyper-util legacy client (keep-alive pool) on a small private tokio runtime; the [`Source`]
//! methods are blocking so that plain worker threads can call them concurrently. Retries follow
//! botocore's legacy mode in count (4) but with short pauses. Not done: TLS (https endpoints are
//! refused), profiles and config files, session-token signing, virtual-hosted-style S3 addressing.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use opentrail_sigv4::{SigningParams, sha256_hex, sign_request, uri_encode};
use serde_json::{Value, json};

use crate::error::ValidateError;
use crate::s3_xml::{parse_error, parse_list_objects, parse_location};
use crate::source::{
    BucketInRegion, ObjectListing, ObjectReader, PublicKeyEntry, Source, SourceError, StoredObject,
    TrailDescription,
};

/// Retries after the first attempt, as botocore's legacy retry mode (5 attempts in all).
const MAX_RETRIES: u32 = 4;

/// botocore's default connect and read timeout.
const TIMEOUT: Duration = Duration::from_secs(60);

/// An `http://host[:port][/base]` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `host[:port]`.
    pub authority: String,
    /// Path prefix without a trailing `/` (usually empty).
    pub base_path: String,
}

impl Endpoint {
    /// Parses an endpoint URL as given to `--endpoint-url` or `AWS_ENDPOINT_URL*`.
    pub fn parse(url: &str) -> Result<Endpoint, ValidateError> {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(ValidateError::EndpointWithoutScheme(url.to_owned()));
        };
        if scheme.eq_ignore_ascii_case("https") {
            return Err(ValidateError::UnsupportedScheme(url.to_owned()));
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(ValidateError::InvalidEndpoint(url.to_owned()));
        }
        let (authority, path) = rest
            .split_once('/')
            .map_or((rest, ""), |(authority, path)| (authority, path));
        if authority.is_empty() || authority.contains(['@', '?', '#', ' ']) {
            return Err(ValidateError::InvalidEndpoint(url.to_owned()));
        }
        let base_path = path.trim_end_matches('/');
        Ok(Endpoint {
            authority: authority.to_owned(),
            base_path: if base_path.is_empty() {
                String::new()
            } else {
                format!("/{base_path}")
            },
        })
    }

    fn url(&self, path_and_query: &str) -> String {
        format!(
            "http://{}{}{}",
            self.authority, self.base_path, path_and_query
        )
    }
}

/// Static credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN` (sent as `x-amz-security-token`, not signed).
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Endpoints, Region and credentials of an [`HttpSource`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSourceConfig {
    /// CloudTrail (DescribeTrails, ListPublicKeys).
    pub cloudtrail_endpoint: Option<Endpoint>,
    /// S3 (GetBucketLocation, ListObjects, GetObject).
    pub s3_endpoint: Option<Endpoint>,
    /// Organizations (DescribeOrganization).
    pub organizations_endpoint: Option<Endpoint>,
    /// The default Region (signing Region of CloudTrail and of location lookups).
    pub region: String,
    /// `None` makes every call fail with the CLI's "Unable to locate credentials".
    pub credentials: Option<Credentials>,
}

impl HttpSourceConfig {
    /// Resolves the configuration like the aws CLI: `--endpoint-url` reaches only CloudTrail;
    /// `AWS_ENDPOINT_URL_<SERVICE>` beats `AWS_ENDPOINT_URL`; `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`
    /// ignores both; the Region is `--region` else `AWS_DEFAULT_REGION` (`Ok(None)` when neither is
    /// set: the CLI then fails with "You must specify a region.").
    pub fn from_environment(
        endpoint_url: Option<&str>,
        region: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<HttpSourceConfig>, ValidateError> {
        let non_empty = |name: &str| env(name).filter(|value| !value.is_empty());
        let Some(region) = region
            .map(str::to_owned)
            .or_else(|| non_empty("AWS_DEFAULT_REGION"))
        else {
            return Ok(None);
        };
        let ignore_configured = non_empty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        let configured = |service: &str| -> Option<String> {
            if ignore_configured {
                return None;
            }
            non_empty(&format!("AWS_ENDPOINT_URL_{service}"))
                .or_else(|| non_empty("AWS_ENDPOINT_URL"))
        };
        let parse = |url: Option<String>| url.as_deref().map(Endpoint::parse).transpose();
        let cloudtrail = endpoint_url
            .map(str::to_owned)
            .or_else(|| configured("CLOUDTRAIL"));
        let credentials = match (
            non_empty("AWS_ACCESS_KEY_ID"),
            non_empty("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Some(access_key_id), Some(secret_access_key)) => Some(Credentials {
                access_key_id,
                secret_access_key,
                session_token: non_empty("AWS_SESSION_TOKEN"),
            }),
            _ => None,
        };
        Ok(Some(HttpSourceConfig {
            cloudtrail_endpoint: parse(cloudtrail)?,
            s3_endpoint: parse(configured("S3"))?,
            organizations_endpoint: parse(configured("ORGANIZATIONS"))?,
            region,
            credentials,
        }))
    }
}

/// Talks to AWS-compatible endpoints over HTTP.
pub struct HttpSource {
    config: HttpSourceConfig,
    runtime: tokio::runtime::Runtime,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl std::fmt::Debug for HttpSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HttpSource")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One request to make.
struct Call<'a> {
    service: &'static str,
    operation: &'static str,
    endpoint: &'a Endpoint,
    region: &'a str,
    method: Method,
    path_and_query: String,
    target: Option<&'static str>,
    body: Bytes,
}

/// How to read error bodies.
#[derive(Clone, Copy)]
enum Protocol {
    Json,
    Xml,
}

impl HttpSource {
    /// A source with its own runtime and connection pool.
    pub fn new(config: HttpSourceConfig) -> Result<HttpSource, ValidateError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("validate-http")
            .enable_all()
            .build()
            .map_err(|error| ValidateError::Runtime(error.to_string()))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(64)
            .build(connector);
        Ok(HttpSource {
            config,
            runtime,
            client,
        })
    }

    fn endpoint<'a>(
        &self,
        endpoint: &'a Option<Endpoint>,
        service: &str,
    ) -> Result<&'a Endpoint, SourceError> {
        endpoint.as_ref().ok_or_else(|| {
            SourceError::Other(format!(
                "no endpoint configured for {service}: set AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_{}); https AWS endpoints are not supported",
                service.to_ascii_uppercase()
            ))
        })
    }

    /// Sends with retries; returns the final response (any status).
    fn send(&self, call: &Call<'_>) -> Result<(Response<Incoming>, u32), SourceError> {
        let url = call.endpoint.url(&call.path_and_query);
        let mut attempt = 0;
        loop {
            let request = self.build_request(call, &url)?;
            let answer = self.runtime.block_on(async {
                tokio::time::timeout(TIMEOUT, self.client.request(request)).await
            });
            match answer {
                Ok(Ok(response))
                    if is_retryable_status(response.status()) && attempt < MAX_RETRIES =>
                {
                    let _ = self.runtime.block_on(response.into_body().collect());
                }
                Ok(Ok(response)) => return Ok((response, attempt)),
                _ if attempt < MAX_RETRIES => {}
                Ok(Err(_)) => return Err(SourceError::Connection { url }),
                Err(_) => return Err(SourceError::ReadTimeout { url }),
            }
            attempt += 1;
            std::thread::sleep(Duration::from_millis(25 << attempt));
        }
    }

    fn build_request(
        &self,
        call: &Call<'_>,
        url: &str,
    ) -> Result<Request<Full<Bytes>>, SourceError> {
        let credentials = self
            .config
            .credentials
            .as_ref()
            .ok_or(SourceError::NoCredentials)?;
        let mut builder = Request::builder()
            .method(call.method.clone())
            .uri(url)
            .header(http::header::HOST, &call.endpoint.authority);
        if let Some(target) = call.target {
            builder = builder
                .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.1")
                .header("x-amz-target", target);
        }
        if let Some(token) = &credentials.session_token {
            builder = builder.header("x-amz-security-token", token);
        }
        let (mut parts, ()) = builder
            .body(())
            .map_err(|error| SourceError::Other(format!("invalid request {url}: {error}")))?
            .into_parts();
        let params = SigningParams {
            access_key_id: &credentials.access_key_id,
            secret_access_key: &credentials.secret_access_key,
            region: call.region,
            service: call.service,
            time: Utc::now(),
        };
        sign_request(&mut parts, &sha256_hex(&call.body), &params)
            .map_err(|error| SourceError::Other(format!("cannot sign request: {error}")))?;
        Ok(Request::from_parts(parts, Full::new(call.body.clone())))
    }

    /// Sends and reads the whole body of a successful response.
    fn call_whole(
        &self,
        call: &Call<'_>,
        protocol: Protocol,
    ) -> Result<(HeaderMap, Bytes), SourceError> {
        let (response, retries) = self.send(call)?;
        let (parts, body) = response.into_parts();
        let collected = self
            .runtime
            .block_on(async { tokio::time::timeout(TIMEOUT, body.collect()).await });
        let bytes = match collected {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(error)) => {
                return Err(SourceError::Other(format!(
                    "error reading response: {error}"
                )));
            }
            Err(_) => {
                return Err(SourceError::ReadTimeout {
                    url: call.endpoint.url(&call.path_and_query),
                });
            }
        };
        if !parts.status.is_success() {
            return Err(service_error(
                call.operation,
                parts.status,
                &bytes,
                protocol,
                retries,
            ));
        }
        Ok((parts.headers, bytes))
    }

    fn json_call(&self, operation: &'static str, body: Value) -> Result<Value, SourceError> {
        let endpoint = self.endpoint(&self.config.cloudtrail_endpoint, "cloudtrail")?;
        let target = match operation {
            "DescribeTrails" => {
                "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails"
            }
            _ => "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys",
        };
        self.json_request("cloudtrail", operation, endpoint, target, body)
    }

    fn json_request(
        &self,
        service: &'static str,
        operation: &'static str,
        endpoint: &Endpoint,
        target: &'static str,
        body: Value,
    ) -> Result<Value, SourceError> {
        let call = Call {
            service,
            operation,
            endpoint,
            region: &self.config.region,
            method: Method::POST,
            path_and_query: "/".to_owned(),
            target: Some(target),
            body: Bytes::from(body.to_string()),
        };
        let (_, bytes) = self.call_whole(&call, Protocol::Json)?;
        if bytes.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(&bytes)
            .map_err(|error| SourceError::Other(format!("invalid {operation} response: {error}")))
    }

    fn s3_call<'a>(
        &self,
        operation: &'static str,
        endpoint: &'a Endpoint,
        region: &'a str,
        path_and_query: String,
    ) -> Call<'a> {
        Call {
            service: "s3",
            operation,
            endpoint,
            region,
            method: Method::GET,
            path_and_query,
            target: None,
            body: Bytes::new(),
        }
    }

    fn object_call<'a>(
        &self,
        endpoint: &'a Endpoint,
        bucket: &BucketInRegion<'a>,
        key: &str,
    ) -> Call<'a> {
        let path = format!(
            "/{}/{}",
            uri_encode(bucket.bucket.as_bytes(), false),
            uri_encode(key.as_bytes(), true)
        );
        self.s3_call("GetObject", endpoint, bucket.region, path)
    }
}

impl Source for HttpSource {
    fn describe_trails(&self) -> Result<Vec<TrailDescription>, SourceError> {
        let response = self.json_call("DescribeTrails", json!({}))?;
        let Some(Value::Array(trails)) = response.get("trailList") else {
            return Err(SourceError::Other("'trailList'".to_owned()));
        };
        Ok(trails.iter().map(trail_description).collect())
    }

    fn describe_organization_id(&self) -> Result<String, SourceError> {
        let endpoint = self.endpoint(&self.config.organizations_endpoint, "organizations")?;
        let response = self.json_request(
            "organizations",
            "DescribeOrganization",
            endpoint,
            "AWSOrganizationsV20161128.DescribeOrganization",
            json!({}),
        )?;
        response
            .pointer("/Organization/Id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| SourceError::Other("'Organization'".to_owned()))
    }

    fn bucket_location(
        &self,
        bucket: &str,
        client_region: Option<&str>,
    ) -> Result<Option<String>, SourceError> {
        let endpoint = self.endpoint(&self.config.s3_endpoint, "s3")?;
        let region = client_region.unwrap_or(&self.config.region);
        let path = format!("/{}?location", uri_encode(bucket.as_bytes(), false));
        let call = self.s3_call("GetBucketLocation", endpoint, region, path);
        let (_, bytes) = self.call_whole(&call, Protocol::Xml)?;
        Ok(parse_location(&String::from_utf8_lossy(&bytes)))
    }

    fn list_objects(
        &self,
        bucket: BucketInRegion<'_>,
        prefix: &str,
        marker: &str,
    ) -> Result<ObjectListing, SourceError> {
        let endpoint = self.endpoint(&self.config.s3_endpoint, "s3")?;
        let path = format!(
            "/{}?marker={}&prefix={}&encoding-type=url",
            uri_encode(bucket.bucket.as_bytes(), false),
            uri_encode(marker.as_bytes(), false),
            uri_encode(prefix.as_bytes(), false)
        );
        let call = self.s3_call("ListObjects", endpoint, bucket.region, path);
        let (_, bytes) = self.call_whole(&call, Protocol::Xml)?;
        Ok(parse_list_objects(&String::from_utf8_lossy(&bytes)))
    }

    fn get_object(
        &self,
        bucket: BucketInRegion<'_>,
        key: &str,
    ) -> Result<StoredObject, SourceError> {
        let endpoint = self.endpoint(&self.config.s3_endpoint, "s3")?;
        let call = self.object_call(endpoint, &bucket, key);
        let (headers, body) = self.call_whole(&call, Protocol::Xml)?;
        Ok(StoredObject {
            body: body.to_vec(),
            metadata: user_metadata(&headers),
        })
    }

    fn open_object(
        &self,
        bucket: BucketInRegion<'_>,
        key: &str,
    ) -> Result<ObjectReader, SourceError> {
        let endpoint = self.endpoint(&self.config.s3_endpoint, "s3")?;
        let call = self.object_call(endpoint, &bucket, key);
        let (response, retries) = self.send(&call)?;
        let (parts, body) = response.into_parts();
        if !parts.status.is_success() {
            let bytes = self
                .runtime
                .block_on(body.collect())
                .map(|collected| collected.to_bytes())
                .unwrap_or_default();
            return Err(service_error(
                "GetObject",
                parts.status,
                &bytes,
                Protocol::Xml,
                retries,
            ));
        }
        Ok(Box::new(BodyReader {
            runtime: self.runtime.handle().clone(),
            body,
            pending: Bytes::new(),
            finished: false,
        }))
    }

    fn list_public_keys(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Option<Vec<PublicKeyEntry>>, SourceError> {
        let body = json!({"StartTime": start.timestamp(), "EndTime": end.timestamp()});
        let response = self.json_call("ListPublicKeys", body)?;
        let Some(list) = response.get("PublicKeyList") else {
            return Ok(None);
        };
        let entries = list.as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(Some(entries.iter().map(public_key_entry).collect()))
    }
}

fn trail_description(trail: &Value) -> TrailDescription {
    let text = |name: &str| trail.get(name).and_then(Value::as_str).map(str::to_owned);
    TrailDescription {
        trail_arn: text("TrailARN"),
        s3_bucket_name: text("S3BucketName"),
        s3_key_prefix: text("S3KeyPrefix"),
        is_organization_trail: trail
            .get("IsOrganizationTrail")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

fn public_key_entry(entry: &Value) -> PublicKeyEntry {
    let text = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
    let time = |name: &str| {
        entry
            .get(name)
            .and_then(Value::as_f64)
            .and_then(|seconds| DateTime::from_timestamp_micros((seconds * 1e6).round() as i64))
    };
    PublicKeyEntry {
        fingerprint: text("Fingerprint"),
        value: text("Value"),
        validity_start: time("ValidityStartTime"),
        validity_end: time("ValidityEndTime"),
    }
}

/// `x-amz-meta-*` headers as botocore's `Metadata` (lower-case names without the prefix).
fn user_metadata(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str().strip_prefix("x-amz-meta-")?;
            Some((
                name.to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ))
        })
        .collect()
}

fn is_retryable_status(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// botocore's error parsing: code and message from the body, else the HTTP status and reason.
fn service_error(
    operation: &str,
    status: StatusCode,
    body: &[u8],
    protocol: Protocol,
    retries: u32,
) -> SourceError {
    let reason = status.canonical_reason().unwrap_or("Unknown").to_owned();
    let parsed = match protocol {
        Protocol::Xml => parse_error(&String::from_utf8_lossy(body)),
        Protocol::Json => json_error(body),
    };
    let (code, message) = match parsed {
        Some((code, message)) => (code, message.unwrap_or_default()),
        None => (status.as_u16().to_string(), reason),
    };
    SourceError::Service {
        operation: operation.to_owned(),
        code,
        message,
        retries: if is_retryable_status(status) {
            retries
        } else {
            0
        },
    }
}

fn json_error(body: &[u8]) -> Option<(String, Option<String>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let raw = value.get("__type")?.as_str()?;
    let code = raw.rsplit('#').next().unwrap_or(raw);
    let code = code.split(':').next().unwrap_or(code).to_owned();
    let message = value
        .get("message")
        .or_else(|| value.get("Message"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((code, message))
}

/// A response body read frame by frame from worker threads.
struct BodyReader {
    runtime: tokio::runtime::Handle,
    body: Incoming,
    pending: Bytes,
    finished: bool,
}

impl Read for BodyReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            if !self.pending.is_empty() {
                let count = buffer.len().min(self.pending.len());
                buffer[..count].copy_from_slice(&self.pending.split_to(count));
                return Ok(count);
            }
            if self.finished || buffer.is_empty() {
                return Ok(0);
            }
            let frame = self
                .runtime
                .block_on(async { tokio::time::timeout(TIMEOUT, self.body.frame()).await });
            match frame {
                Err(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "read timeout")),
                Ok(None) => self.finished = true,
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.pending = data;
                    }
                }
                Ok(Some(Err(error))) => return Err(io::Error::other(error)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_endpoints_like_the_cli() {
        let env = |name: &str| -> Option<String> {
            match name {
                "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:1".to_owned()),
                "AWS_ENDPOINT_URL_S3" => Some("http://127.0.0.1:2/".to_owned()),
                "AWS_DEFAULT_REGION" => Some("eu-west-1".to_owned()),
                _ => None,
            }
        };
        let config =
            HttpSourceConfig::from_environment(Some("http://localhost:3/base/"), None, &env)
                .unwrap()
                .unwrap();
        assert_eq!(
            config.cloudtrail_endpoint.as_ref().unwrap().authority,
            "localhost:3"
        );
        assert_eq!(
            config.cloudtrail_endpoint.as_ref().unwrap().base_path,
            "/base"
        );
        assert_eq!(
            config.s3_endpoint.as_ref().unwrap().authority,
            "127.0.0.1:2"
        );
        assert_eq!(
            config.organizations_endpoint.as_ref().unwrap().authority,
            "127.0.0.1:1"
        );
        assert_eq!(config.region, "eu-west-1");
        assert!(config.credentials.is_none());
        let none = |_: &str| -> Option<String> { None };
        assert!(
            HttpSourceConfig::from_environment(None, None, &none)
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            Endpoint::parse("foo"),
            Err(ValidateError::EndpointWithoutScheme(_))
        ));
        assert!(matches!(
            Endpoint::parse("https://x"),
            Err(ValidateError::UnsupportedScheme(_))
        ));
    }

    #[test]
    fn parses_errors_like_botocore() {
        let xml = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
        let error = service_error("GetObject", StatusCode::FORBIDDEN, xml, Protocol::Xml, 0);
        assert_eq!(
            error.to_string(),
            "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
        );
        let empty = service_error("GetObject", StatusCode::NOT_FOUND, b"", Protocol::Xml, 0);
        assert_eq!(
            empty.to_string(),
            "An error occurred (404) when calling the GetObject operation: Not Found"
        );
        let json = br#"{"__type": "com.amazonaws.cloudtrail.v20131101#TrailNotFoundException:http://x", "message": "nope"}"#;
        let error = service_error(
            "DescribeTrails",
            StatusCode::BAD_REQUEST,
            json,
            Protocol::Json,
            0,
        );
        assert_eq!(
            error.to_string(),
            "An error occurred (TrailNotFoundException) when calling the DescribeTrails operation: nope"
        );
        let retried = service_error(
            "ListObjects",
            StatusCode::SERVICE_UNAVAILABLE,
            b"<Error><Code>SlowDown</Code><Message>m</Message></Error>",
            Protocol::Xml,
            4,
        );
        assert_eq!(
            retried.to_string(),
            "An error occurred (SlowDown) when calling the ListObjects operation (reached max retries: 4): m"
        );
    }
}
