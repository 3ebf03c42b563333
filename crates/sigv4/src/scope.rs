//! The credential: `AKID/YYYYMMDD/region/service/aws4_request`.
//!
//! The server dispatches on `service`, so the scope is parsed (and exposed) before any secret
//! is looked up. Checking the region and service against what the server expects is the
//! server's call (`ParsedAuth::check_scope`); this module only checks the shape.

use crate::{AuthError, AuthLocation, IncompleteSignature, ScopeMismatch};

/// The last element of every SigV4 credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";

/// The date/region/service a signature is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CredentialScope {
    /// `YYYYMMDD`, exactly as sent (it must equal the request date to verify).
    pub date: String,
    /// e.g. `us-east-1`.
    pub region: String,
    /// The signing name, e.g. `cloudtrail`, `logs`, `cloudtrail-data`, `sns`, `monitoring`, `s3`.
    pub service: String,
}

impl CredentialScope {
    /// Whether this scope signs for S3, whose canonical URI and payload rules differ.
    pub fn is_s3(&self) -> bool {
        self.service == "s3"
    }
}

impl std::fmt::Display for CredentialScope {
    /// The scope line of the string to sign: `date/region/service/aws4_request`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/{SCOPE_TERMINATOR}",
            self.date, self.region, self.service
        )
    }
}

/// Splits a `Credential` value into the access key id and the scope.
pub fn parse_credential(
    credential: &str,
    location: AuthLocation,
) -> Result<(String, CredentialScope), AuthError> {
    // AWS ignores trailing slashes when counting elements.
    let elements: Vec<&str> = credential.trim_end_matches('/').split('/').collect();
    let [access_key_id, date, region, service, terminator] = elements[..] else {
        return Err(wrong_element_count(credential, location));
    };
    if terminator != SCOPE_TERMINATOR {
        return Err(AuthError::MalformedScope(ScopeMismatch {
            detail: format!(
                "Credential should be scoped with a valid terminator: '{SCOPE_TERMINATOR}', not '{terminator}'. "
            ),
            s3_detail: format!(
                "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/{SCOPE_TERMINATOR}\"."
            ),
        }));
    }
    let scope = CredentialScope {
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    };
    Ok((access_key_id.to_owned(), scope))
}

fn wrong_element_count(credential: &str, location: AuthLocation) -> AuthError {
    AuthError::Incomplete(IncompleteSignature {
        location,
        detail: format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        ),
        s3_detail: format!(
            "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/{SCOPE_TERMINATOR}\"."
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(credential: &str, expected: Result<(&str, &str), &str>) {
        let parsed = parse_credential(credential, AuthLocation::Header);
        match (parsed, expected) {
            (Ok((key, scope)), Ok((want_key, want_scope))) => {
                assert_eq!(
                    (key.as_str(), scope.to_string().as_str()),
                    (want_key, want_scope)
                );
            }
            (Err(error), Err(want_message)) => assert_eq!(error.message(), want_message),
            (got, want) => panic!("credential {credential:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parses_credentials() {
        check(
            "AKIDEXAMPLE/20240315/us-east-1/cloudtrail/aws4_request",
            Ok(("AKIDEXAMPLE", "20240315/us-east-1/cloudtrail/aws4_request")),
        );
        check(
            "AKIDEXAMPLE/20240315/us-east-1/s3/aws4_request//",
            Ok(("AKIDEXAMPLE", "20240315/us-east-1/s3/aws4_request")),
        );
        check(
            "a/b/c/d",
            Err(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'",
            ),
        );
        check(
            "a/b/c/d/e/f",
            Err(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d/e/f'",
            ),
        );
        check(
            "AKID/20240315/us-east-1/logs/aws5_request",
            Err(
                "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
            ),
        );
    }
}
