//! The crate's two error types: [`SnsError`] for failures of OpenTrail's own SNS storage and
//! delivery machinery (the one `thiserror` enum of the crate), and [`ApiError`], the SNS error a
//! query-protocol call answers with.
//!
//! Every SNS error code used here is spelled once, in the constructors of [`ApiError`], and
//! [`ApiError::http_status`] is the one place where a code becomes an HTTP status (taken from the
//! botocore 1.44 model of `sns` 2010-03-31). Messages are worded as SNS words them where that is
//! known (`Invalid parameter: TopicArn`, `Topic does not exist`, ...).

use std::path::PathBuf;

/// A failure of the SNS service itself, not of a caller's request.
#[derive(Debug, thiserror::Error)]
pub enum SnsError {
    /// The database file could not be opened or prepared.
    #[error("cannot open sns database {path:?}: {source}")]
    Open {
        /// The path given to [`crate::SnsService::open`].
        path: PathBuf,
        /// What SQLite reported.
        source: rusqlite::Error,
    },
    /// The database was written by a newer OpenTrail with a schema this binary does not know.
    #[error(
        "sns database {path:?} has schema version {found}, newer than the {supported} this binary knows"
    )]
    SchemaTooNew {
        /// The database path.
        path: PathBuf,
        /// Highest migration recorded in the database.
        found: i64,
        /// Highest migration this binary carries.
        supported: i64,
    },
    /// A statement failed after the database was open.
    #[error("sns database statement failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// [`crate::SnsService::publish_internal`] named a topic that does not exist.
    #[error("sns topic {0:?} does not exist")]
    TopicNotFound(String),
    /// [`crate::SnsService::publish_internal`] was given a message SNS would refuse.
    #[error("sns message refused: {0}")]
    InvalidMessage(String),
    /// A blocking storage task of the delivery loop panicked or was cancelled.
    #[error("sns storage task failed: {0}")]
    StorageTask(String),
    /// The HTTPS client could not be built (no usable TLS configuration).
    #[error("cannot build the https delivery client: {0}")]
    TlsSetup(String),
    /// A setting of [`crate::SmtpConfig`] cannot work.
    #[error("invalid sns smtp setting {setting}: {problem}")]
    SmtpConfig {
        /// The field (`host`, `from`, `username`, `password`).
        setting: &'static str,
        /// What is wrong, quoting the value (never a password).
        problem: String,
    },
    /// The SMTP client could not be built (no usable TLS configuration for STARTTLS).
    #[error("cannot build the smtp delivery client for {host:?}: {problem}")]
    SmtpSetup {
        /// The configured SMTP host.
        host: String,
        /// What lettre reported.
        problem: String,
    },
}

/// The SNS error a call failed with: the wire `Code` and its `Message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The wire error code, e.g. `NotFound` (not the botocore exception name).
    pub code: &'static str,
    /// Human-readable text, worded as SNS words it where that is known.
    pub message: String,
}

impl ApiError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// `InvalidParameter` with SNS's usual `Invalid parameter: <what>` wording.
    pub fn invalid_parameter(what: impl std::fmt::Display) -> Self {
        Self::new("InvalidParameter", format!("Invalid parameter: {what}"))
    }

    /// `InvalidParameter` with a message used verbatim.
    pub fn invalid_parameter_message(message: impl Into<String>) -> Self {
        Self::new("InvalidParameter", message)
    }

    /// `ParameterValueInvalid` (botocore's `InvalidParameterValueException`), used by SNS for
    /// message attribute problems.
    pub fn parameter_value_invalid(message: impl Into<String>) -> Self {
        Self::new("ParameterValueInvalid", message)
    }

    /// `NotFound` for a topic.
    pub fn topic_not_found() -> Self {
        Self::new("NotFound", "Topic does not exist")
    }

    /// `NotFound` for a subscription.
    pub fn subscription_not_found() -> Self {
        Self::new("NotFound", "Subscription does not exist")
    }

    /// `ResourceNotFound` (the tagging operations' not-found).
    pub fn resource_not_found() -> Self {
        Self::new("ResourceNotFound", "Resource does not exist")
    }

    /// `AuthorizationError`: the caller's account does not own the resource. SNS names the
    /// principal's ARN; OpenTrail knows only the account here and says so.
    pub fn authorization(caller_account: &str, action: &str, resource: &str) -> Self {
        Self::new(
            "AuthorizationError",
            format!(
                "User: {caller_account} is not authorized to perform: SNS:{action} on resource: {resource}"
            ),
        )
    }

    /// `TagLimitExceeded`.
    pub fn tag_limit_exceeded() -> Self {
        Self::new(
            "TagLimitExceeded",
            "Could not complete request: tag quota of per resource exceeded",
        )
    }

    /// `MissingAction`: no `Action` parameter at all.
    pub fn missing_action() -> Self {
        Self::new(
            "MissingAction",
            "The request must contain the parameter Action.",
        )
    }

    /// `InvalidAction`: an action SNS does not have, or one OpenTrail does not implement.
    pub fn invalid_action(action: &str, known: bool) -> Self {
        let message = if known {
            format!("The action {action} is not supported by this OpenTrail server.")
        } else {
            format!("Could not find operation {action} for version 2010-03-31")
        };
        Self::new("InvalidAction", message)
    }

    /// `InternalError` for a storage failure (the detail is logged, not returned).
    pub fn internal() -> Self {
        Self::new("InternalError", "Internal Error")
    }

    /// The HTTP status SNS answers this code with (botocore model `httpStatusCode`).
    pub fn http_status(&self) -> u16 {
        match self.code {
            "NotFound" | "ResourceNotFound" => 404,
            "AuthorizationError" => 403,
            "InternalError" => 500,
            _ => 400,
        }
    }

    /// `Sender` for client faults, `Receiver` for server faults (the XML `<Type>`).
    pub fn fault_type(&self) -> &'static str {
        if self.http_status() >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

impl From<SnsError> for ApiError {
    fn from(error: SnsError) -> Self {
        tracing::error!(%error, "sns storage failure");
        ApiError::internal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_botocore_model() {
        let check = |error: ApiError, status: u16, fault: &str| {
            assert_eq!(error.http_status(), status, "{error}");
            assert_eq!(error.fault_type(), fault, "{error}");
        };
        check(ApiError::topic_not_found(), 404, "Sender");
        check(ApiError::resource_not_found(), 404, "Sender");
        check(
            ApiError::authorization("1", "Publish", "arn"),
            403,
            "Sender",
        );
        check(ApiError::invalid_parameter("TopicArn"), 400, "Sender");
        check(ApiError::parameter_value_invalid("x"), 400, "Sender");
        check(ApiError::tag_limit_exceeded(), 400, "Sender");
        check(ApiError::invalid_action("Nope", false), 400, "Sender");
        check(ApiError::internal(), 500, "Receiver");
    }
}
