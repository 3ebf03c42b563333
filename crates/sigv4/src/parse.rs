//! Reading SigV4 parameters out of a request, before any secret is known.
//!
//! `parse_auth` finds the `Authorization` header or the presigned-URL query parameters, checks
//! that everything needed is present and well-formed, and returns the access key id and the
//! credential scope so the server can pick the API (by service) and the secret (by key).
//! It does not look at the clock, the body or the signature's validity: that is `verify`.
//! Checks run in the order AWS runs them, so the first error reported is the one AWS reports.

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Method, Uri};

use crate::canonical::percent_decode;
use crate::scope::parse_credential;
use crate::signing::ALGORITHM;
use crate::time::{format_amz_date, parse_amz_date, parse_http_date};
use crate::{AuthError, CredentialScope, IncompleteSignature, MissingPart, ScopeMismatch};

/// The longest lifetime a presigned URL may ask for: seven days, in seconds.
pub const MAX_PRESIGNED_EXPIRES_SECONDS: u64 = 604_800;

/// Where a request carries its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthLocation {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    Header,
    /// A presigned URL: `X-Amz-Algorithm`, `X-Amz-Credential`, ... in the query string.
    QueryString,
}

/// A request's SigV4 parameters, parsed but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    /// The access key id from the credential.
    pub access_key_id: String,
    /// Date, region and service the signature claims to be for.
    pub scope: CredentialScope,
    /// Lower-case signed header names, in the order the client listed them.
    pub signed_headers: Vec<String>,
    /// The signature as sent (normally 64 lower-case hex digits).
    pub signature: String,
    /// From `X-Amz-Date` (header or query) or the `Date` header.
    pub request_time: DateTime<Utc>,
    /// Header or presigned URL.
    pub location: AuthLocation,
    /// `X-Amz-Expires` of a presigned URL, in seconds (at most seven days).
    pub expires_in: Option<u64>,
}

impl ParsedAuth {
    /// The request time as it appears in the string to sign (`20240315T123456Z`).
    pub fn timestamp(&self) -> String {
        format_amz_date(self.request_time)
    }

    /// Checks the scope's region and service against what this endpoint serves, with AWS's
    /// texts (all failing parts in one message, as AWS does).
    pub fn check_scope(&self, region: &str, service: &str) -> Result<(), AuthError> {
        let mut detail = String::new();
        let mut s3_detail = String::new();
        if self.scope.region != region {
            let sent = &self.scope.region;
            detail.push_str(&format!(
                "Credential should be scoped to a valid region, not '{sent}'. "
            ));
            s3_detail = format!(
                "The authorization header is malformed; the region '{sent}' is wrong; expecting '{region}'"
            );
        }
        if self.scope.service != service {
            detail.push_str(&format!(
                "Credential should be scoped to correct service: '{service}'. "
            ));
            if s3_detail.is_empty() {
                s3_detail = format!(
                    "The authorization header is malformed; incorrect service \"{}\". This endpoint belongs to \"{service}\".",
                    self.scope.service
                );
            }
        }
        if detail.is_empty() {
            Ok(())
        } else {
            Err(AuthError::MalformedScope(ScopeMismatch {
                detail,
                s3_detail,
            }))
        }
    }
}

/// Parses a request's SigV4 parameters. `Ok(None)`: the request carries no authentication
/// at all (no `Authorization` header, no `X-Amz-Algorithm`/`X-Amz-Credential`/`X-Amz-Signature`
/// query parameter); whether that is acceptable is the caller's decision.
/// The method does not affect parsing; it is taken so every SigV4 entry point reads the same.
pub fn parse_auth(
    _method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Option<ParsedAuth>, AuthError> {
    let query = uri.query().unwrap_or("");
    let query_auth = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"]
        .iter()
        .any(|name| query_param(query, name).is_some());
    match (headers.get(http::header::AUTHORIZATION), query_auth) {
        (Some(_), true) => Err(AuthError::AmbiguousAuth),
        (Some(header), false) => parse_header_auth(header, headers).map(Some),
        (None, true) => parse_query_auth(query).map(Some),
        (None, false) => Ok(None),
    }
}

fn parse_header_auth(header: &HeaderValue, headers: &HeaderMap) -> Result<ParsedAuth, AuthError> {
    let text = String::from_utf8_lossy(header.as_bytes());
    let authorization = text.trim();
    if !authorization.starts_with("AWS4-") {
        return Err(AuthError::Missing(MissingPart::AuthenticationToken));
    }
    let (algorithm, fields_text) = authorization
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((authorization, ""));
    let fields = parse_header_fields(fields_text, authorization)?;
    let date_header = headers
        .get("x-amz-date")
        .map(|value| (value, true))
        .or_else(|| headers.get(http::header::DATE).map(|value| (value, false)));
    check_header_fields_present(&fields, date_header.is_some(), authorization)?;
    let (date_value, is_amz_date) = date_header.expect("presence checked above");
    let date_text = String::from_utf8_lossy(date_value.as_bytes());
    let parsed_time = if is_amz_date {
        parse_amz_date(&date_text)
    } else {
        parse_http_date(&date_text)
    };
    let request_time = parsed_time.ok_or_else(|| bad_date(&date_text, AuthLocation::Header))?;
    if algorithm != ALGORITHM {
        return Err(AuthError::UnsupportedAlgorithm(algorithm.to_owned()));
    }
    let (access_key_id, scope) =
        parse_credential(field(&fields, "Credential"), AuthLocation::Header)?;
    Ok(ParsedAuth {
        access_key_id,
        scope,
        signed_headers: split_signed_headers(field(&fields, "SignedHeaders")),
        signature: field(&fields, "Signature").to_owned(),
        request_time,
        location: AuthLocation::Header,
        expires_in: None,
    })
}

/// `Credential=..., SignedHeaders=..., Signature=...` into (key, value) pairs.
fn parse_header_fields<'a>(
    fields_text: &'a str,
    authorization: &str,
) -> Result<Vec<(&'a str, &'a str)>, AuthError> {
    let mut fields = Vec::new();
    for part in fields_text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let Some((key, value)) = part.split_once('=') else {
            return Err(AuthError::Incomplete(IncompleteSignature {
                location: AuthLocation::Header,
                detail: format!(
                    "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."
                ),
                s3_detail: format!(
                    "The authorization header is malformed; the authorization component \"{part}\" is malformed."
                ),
            }));
        };
        fields.push((key.trim(), value.trim()));
    }
    Ok(fields)
}

fn field<'a>(fields: &[(&str, &'a str)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| *value)
        .unwrap_or("")
}

fn check_header_fields_present(
    fields: &[(&str, &str)],
    has_date: bool,
    authorization: &str,
) -> Result<(), AuthError> {
    let mut detail = String::new();
    for name in ["Credential", "Signature"] {
        if field(fields, name).is_empty() {
            detail.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    // An empty SignedHeaders is allowed here; it fails later as "'Host' must be signed".
    if !fields.iter().any(|(key, _)| *key == "SignedHeaders") {
        detail.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    let components_missing = !detail.is_empty();
    if !has_date {
        detail.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    if detail.is_empty() {
        return Ok(());
    }
    detail.push_str(&format!("Authorization={authorization}"));
    let s3_detail = if components_missing {
        "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."
    } else {
        "AWS authentication requires a valid Date or x-amz-date header"
    };
    Err(AuthError::Incomplete(IncompleteSignature {
        location: AuthLocation::Header,
        detail,
        s3_detail: s3_detail.to_owned(),
    }))
}

fn bad_date(text: &str, location: AuthLocation) -> AuthError {
    AuthError::Incomplete(IncompleteSignature {
        location,
        detail: format!(
            "Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ),
        s3_detail: match location {
            AuthLocation::Header => {
                "AWS authentication requires a valid Date or x-amz-date header".to_owned()
            }
            AuthLocation::QueryString => {
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".to_owned()
            }
        },
    })
}

fn split_signed_headers(text: &str) -> Vec<String> {
    text.split(';')
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect()
}

/// The decoded value of the first query parameter named exactly `name`.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|piece| {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        (percent_decode(key) == name.as_bytes())
            .then(|| String::from_utf8_lossy(&percent_decode(value)).into_owned())
    })
}

const QUERY_AUTH_S3_DETAIL: &str = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";

fn parse_query_auth(query: &str) -> Result<ParsedAuth, AuthError> {
    let required = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ];
    let values: Vec<String> = required
        .iter()
        .map(|name| query_param(query, name).unwrap_or_default())
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .zip(&values)
        .filter(|(_, value)| value.is_empty())
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(missing_query_params(&missing));
    }
    let [algorithm, credential, signature, signed_headers, date] = &values[..] else {
        unreachable!("five required parameters");
    };
    let request_time =
        parse_amz_date(date).ok_or_else(|| bad_date(date, AuthLocation::QueryString))?;
    if algorithm != ALGORITHM {
        return Err(AuthError::UnsupportedAlgorithm(algorithm.clone()));
    }
    let (access_key_id, scope) = parse_credential(credential, AuthLocation::QueryString)?;
    let expires_in = parse_expires(query_param(query, "X-Amz-Expires"), scope.is_s3())?;
    Ok(ParsedAuth {
        access_key_id,
        scope,
        signed_headers: split_signed_headers(signed_headers),
        signature: signature.clone(),
        request_time,
        location: AuthLocation::QueryString,
        expires_in,
    })
}

fn missing_query_params(missing: &[&str]) -> AuthError {
    let mut detail: String = missing
        .iter()
        .map(|name| format!("AWS query-string parameters must include '{name}'. "))
        .collect();
    detail.push_str("Re-examine the query-string parameters.");
    AuthError::Incomplete(IncompleteSignature {
        location: AuthLocation::QueryString,
        detail,
        s3_detail: QUERY_AUTH_S3_DETAIL.to_owned(),
    })
}

/// `X-Amz-Expires`: optional except for S3, a whole number of seconds, at most seven days.
fn parse_expires(value: Option<String>, required: bool) -> Result<Option<u64>, AuthError> {
    let invalid = |text: &str| {
        AuthError::Incomplete(IncompleteSignature {
            location: AuthLocation::QueryString,
            detail: text.to_owned(),
            s3_detail: text.to_owned(),
        })
    };
    let Some(text) = value else {
        return if required {
            Err(missing_query_params(&["X-Amz-Expires"]))
        } else {
            Ok(None)
        };
    };
    if text.starts_with('-')
        && text[1..].bytes().all(|byte| byte.is_ascii_digit())
        && text.len() > 1
    {
        return Err(invalid("X-Amz-Expires must be non-negative"));
    }
    let seconds: u64 = text
        .parse()
        .map_err(|_| invalid("X-Amz-Expires should be a number"))?;
    if seconds > MAX_PRESIGNED_EXPIRES_SECONDS {
        return Err(invalid(
            "X-Amz-Expires must be less than a week (in seconds) that is 7 days",
        ));
    }
    Ok(Some(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().expect("header value"));
        }
        map
    }

    fn parse(
        target: &str,
        pairs: &[(&'static str, &str)],
    ) -> Result<Option<ParsedAuth>, AuthError> {
        parse_auth(&Method::GET, &target.parse().expect("uri"), &headers(pairs))
    }

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKID/20240315/us-east-1/logs/aws4_request, SignedHeaders=Host;X-Amz-Date, Signature=abc";

    #[test]
    fn parses_an_authorization_header() {
        let parsed = parse(
            "/",
            &[("authorization", GOOD), ("x-amz-date", "20240315T123456Z")],
        )
        .expect("parses")
        .expect("has auth");
        assert_eq!(parsed.access_key_id, "AKID");
        assert_eq!(
            parsed.scope.to_string(),
            "20240315/us-east-1/logs/aws4_request"
        );
        assert_eq!(parsed.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(parsed.signature, "abc");
        assert_eq!(parsed.timestamp(), "20240315T123456Z");
        assert_eq!(parsed.location, AuthLocation::Header);
        assert_eq!(parsed.expires_in, None);
    }

    #[test]
    fn no_auth_at_all_is_none() {
        assert_eq!(
            parse("/?Action=ListTopics", &[("x-amz-date", "20240315T123456Z")]),
            Ok(None)
        );
    }

    fn check_error(target: &str, pairs: &[(&'static str, &str)], expected_message: &str) {
        let error = parse(target, pairs).expect_err("should fail");
        assert_eq!(
            error.message(),
            expected_message,
            "target {target:?} headers {pairs:?}"
        );
    }

    #[test]
    fn header_errors_carry_aws_texts() {
        let date = ("x-amz-date", "20240315T123456Z");
        check_error(
            "/",
            &[
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request",
                ),
                date,
            ],
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request",
        );
        check_error(
            "/",
            &[("authorization", "AWS4-HMAC-SHA256 ")],
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256",
        );
        check_error(
            "/",
            &[
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=x, SignedHeaders, Signature=y",
                ),
                date,
            ],
            "'SignedHeaders' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential=x, SignedHeaders, Signature=y'.",
        );
        check_error(
            "/",
            &[
                ("authorization", GOOD),
                ("x-amz-date", "2024-03-15T12:34:56Z"),
            ],
            "Date must be in ISO-8601 'basic format'. Got '2024-03-15T12:34:56Z'. See http://en.wikipedia.org/wiki/ISO_8601",
        );
        check_error(
            "/",
            &[
                (
                    "authorization",
                    &GOOD.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
                ),
                date,
            ],
            "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ",
        );
        check_error(
            "/",
            &[("authorization", &GOOD.replace("AKID/", "")), date],
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '20240315/us-east-1/logs/aws4_request'",
        );
        check_error(
            "/",
            &[("authorization", "AWS AKID:c2lnbmF0dXJl"), date],
            "Request is missing Authentication Token",
        );
        check_error(
            "/?X-Amz-Algorithm=AWS4-HMAC-SHA256",
            &[("authorization", GOOD), date],
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
        );
    }

    #[test]
    fn date_header_is_accepted_when_x_amz_date_is_absent() {
        let parsed = parse(
            "/",
            &[
                ("authorization", GOOD),
                ("date", "Fri, 15 Mar 2024 12:34:56 GMT"),
            ],
        )
        .expect("parses")
        .expect("has auth");
        assert_eq!(parsed.timestamp(), "20240315T123456Z");
    }

    const PRESIGNED: &str = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240315%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240315T123456Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=abc";

    #[test]
    fn parses_a_presigned_url() {
        let parsed = parse(PRESIGNED, &[]).expect("parses").expect("has auth");
        assert_eq!(parsed.access_key_id, "AKID");
        assert_eq!(parsed.scope.service, "s3");
        assert_eq!(parsed.signed_headers, ["host"]);
        assert_eq!(parsed.location, AuthLocation::QueryString);
        assert_eq!(parsed.expires_in, Some(3600));
    }

    #[test]
    fn presigned_errors_carry_aws_texts() {
        check_error(
            "/?X-Amz-Signature=abc&X-Amz-Date=20240315T123456Z",
            &[],
            "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
        );
        check_error(
            &PRESIGNED.replace("X-Amz-Expires=3600", "X-Amz-Expires=604801"),
            &[],
            "X-Amz-Expires must be less than a week (in seconds) that is 7 days",
        );
        check_error(
            &PRESIGNED.replace("X-Amz-Expires=3600", "X-Amz-Expires=-1"),
            &[],
            "X-Amz-Expires must be non-negative",
        );
        check_error(
            &PRESIGNED.replace("X-Amz-Expires=3600", "X-Amz-Expires=soon"),
            &[],
            "X-Amz-Expires should be a number",
        );
        check_error(
            &PRESIGNED.replace("X-Amz-Expires=3600&", ""),
            &[],
            "AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters.",
        );
        let error = parse(&PRESIGNED.replace("X-Amz-Expires=3600&", ""), &[])
            .expect_err("s3 needs expires");
        assert_eq!(error.s3_message(), QUERY_AUTH_S3_DETAIL);
        let non_s3 = PRESIGNED
            .replace("X-Amz-Expires=3600&", "")
            .replace("%2Fs3%2F", "%2Fsns%2F");
        assert_eq!(
            parse(&non_s3, &[])
                .expect("parses")
                .expect("has auth")
                .expires_in,
            None
        );
    }

    #[test]
    fn scope_is_checked_against_the_endpoint() {
        let parsed = parse(PRESIGNED, &[]).expect("parses").expect("has auth");
        assert_eq!(parsed.check_scope("us-east-1", "s3"), Ok(()));
        let error = parsed
            .check_scope("eu-west-1", "cloudtrail")
            .expect_err("wrong scope");
        assert_eq!(
            error.message(),
            "Credential should be scoped to a valid region, not 'us-east-1'. Credential should be scoped to correct service: 'cloudtrail'. "
        );
        assert_eq!(
            error.s3_message(),
            "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"
        );
    }
}
