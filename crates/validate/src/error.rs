//! The crate's error type, for what can go wrong before a validation starts (arguments, endpoints,
//! files). Failures *during* a validation are not errors of this kind: they become report lines or the
//! CLI's fatal messages (see `failure`), whose wording must match the aws CLI byte for byte.

/// Setup errors of `opentrail validate-logs`.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// A date/time argument dateutil would not parse either.
    #[error("unable to parse date value {0:?}")]
    UnparsableDate(String),
    /// An endpoint URL without `http://`/`https://`.
    #[error("endpoint url {0:?} has no scheme")]
    EndpointWithoutScheme(String),
    /// An `https://` endpoint (only plain http is implemented, for loopback servers).
    #[error(
        "endpoint url {0:?} uses https, which opentrail validate-logs does not support; use http"
    )]
    UnsupportedScheme(String),
    /// An endpoint URL that is not `http://host[:port][/]`.
    #[error("endpoint url {0:?} is not of the form http://host[:port]")]
    InvalidEndpoint(String),
    /// No endpoint is configured for a service that has to be called.
    #[error(
        "no endpoint for {0:?}: set --endpoint-url, AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE>"
    )]
    NoEndpoint(String),
    /// `--local-dir` is not a directory.
    #[error("local bucket copy {0:?} is not a directory")]
    NotADirectory(String),
    /// The `--public-keys` file could not be used.
    #[error("public keys file {path:?}: {reason}")]
    PublicKeysFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP runtime could not start.
    #[error("cannot start the http client runtime: {0}")]
    Runtime(String),
}
