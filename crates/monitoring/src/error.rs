//! The crate's two error types: [`MonitoringError`] for failures of OpenTrail's own machinery and
//! of the programmatic [`crate::Monitoring::put_metric_data`] path (the one `thiserror` enum of the
//! crate), and [`ApiError`], the CloudWatch error an API call answers with.
//!
//! Every CloudWatch error code is spelled once, in [`ErrorCode`], and [`ErrorCode::http_status`] is
//! the one place where a code becomes an HTTP status (taken from the botocore 1.44 model of
//! `monitoring` 2010-08-01; codes the model does not list, such as `ValidationError`, answer 400 as
//! CloudWatch does). How an error is put on the wire for each protocol lives in `protocol`.

use std::path::PathBuf;

/// A failure of the monitoring service itself, or a datum refused on the programmatic path.
#[derive(Debug, thiserror::Error)]
pub enum MonitoringError {
    /// The data directory could not be created.
    #[error("cannot create monitoring directory {path:?}: {source}")]
    CreateDirectory {
        /// The directory given to [`crate::Monitoring::open`].
        path: PathBuf,
        /// What the file system reported.
        source: std::io::Error,
    },
    /// The database file could not be opened or prepared.
    #[error("cannot open monitoring database {path:?}: {source}")]
    Open {
        /// The database path.
        path: PathBuf,
        /// What SQLite reported.
        source: rusqlite::Error,
    },
    /// The database was written by a newer OpenTrail with a schema this binary does not know.
    #[error(
        "monitoring database {path:?} has schema version {found}, newer than the {supported} this binary knows"
    )]
    SchemaTooNew {
        /// The database path.
        path: PathBuf,
        /// The schema version recorded in the database.
        found: i64,
        /// The highest schema version this binary knows.
        supported: i64,
    },
    /// A statement failed after the database was open.
    #[error("monitoring database statement failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row could not be read back (a corrupt or hand-edited database).
    #[error("monitoring database row is unreadable: {0}")]
    CorruptRow(String),
    /// [`crate::Monitoring::put_metric_data`] was given a datum CloudWatch would refuse.
    #[error("metric datum refused ({code}): {message}")]
    InvalidMetricDatum {
        /// The CloudWatch error code the API would answer with.
        code: &'static str,
        /// The CloudWatch message.
        message: String,
    },
    /// A blocking task of the service panicked or was cancelled.
    #[error("monitoring task failed: {0}")]
    Task(String),
}

/// The CloudWatch error codes this crate answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A parameter value is out of range or malformed.
    InvalidParameterValue,
    /// Parameters that may not be combined were given together (or a required one of a pair is missing).
    InvalidParameterCombination,
    /// A required parameter is missing.
    MissingParameter,
    /// A named alarm does not exist.
    ResourceNotFound,
    /// A quota (number of alarms) is exhausted.
    LimitExceeded,
    /// A JSON document parameter (`StateReasonData`) is not valid JSON.
    InvalidFormat,
    /// A `NextToken` was not issued by this service or no longer applies.
    InvalidNextToken,
    /// A member violates a model constraint (length, enum, range) or a CloudWatch rule.
    ValidationError,
    /// The request body could not be decoded.
    SerializationException,
    /// The JSON or CBOR request names an operation this service does not serve.
    UnknownOperationException,
    /// The query request names an action this service does not serve.
    InvalidAction,
    /// The query request has no `Action`.
    MissingAction,
    /// OpenTrail failed internally.
    InternalServiceError,
}

impl ErrorCode {
    /// The wire code (`Code` in XML, the first part of `x-amzn-query-error`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidParameterValue => "InvalidParameterValue",
            ErrorCode::InvalidParameterCombination => "InvalidParameterCombination",
            ErrorCode::MissingParameter => "MissingParameter",
            ErrorCode::ResourceNotFound => "ResourceNotFound",
            ErrorCode::LimitExceeded => "LimitExceeded",
            ErrorCode::InvalidFormat => "InvalidFormat",
            ErrorCode::InvalidNextToken => "InvalidNextToken",
            ErrorCode::ValidationError => "ValidationError",
            ErrorCode::SerializationException => "SerializationException",
            ErrorCode::UnknownOperationException => "UnknownOperationException",
            ErrorCode::InvalidAction => "InvalidAction",
            ErrorCode::MissingAction => "MissingAction",
            ErrorCode::InternalServiceError => "InternalServiceError",
        }
    }

    /// The model's shape name for the error, the `__type` of JSON and CBOR error bodies.
    pub fn shape_name(self) -> &'static str {
        match self {
            ErrorCode::InvalidParameterValue => "InvalidParameterValueException",
            ErrorCode::InvalidParameterCombination => "InvalidParameterCombinationException",
            ErrorCode::MissingParameter => "MissingRequiredParameterException",
            ErrorCode::LimitExceeded => "LimitExceededFault",
            ErrorCode::InvalidFormat => "InvalidFormatFault",
            ErrorCode::InternalServiceError => "InternalServiceFault",
            other => other.as_str(),
        }
    }

    /// The HTTP status CloudWatch answers with for this code: the one code-to-status mapping.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::ResourceNotFound => 404,
            ErrorCode::InternalServiceError => 500,
            _ => 400,
        }
    }

    /// `Sender` for the caller's faults, `Receiver` for the service's (query `Type`).
    pub fn fault_type(self) -> &'static str {
        if self.http_status() >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

/// The CloudWatch error a call failed with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ApiError {
    /// The error code.
    pub code: ErrorCode,
    /// The message, worded as CloudWatch words it where that is known.
    pub message: String,
}

impl ApiError {
    /// An error with a message used verbatim.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// `InvalidParameterValue`: `The value X for parameter Y is invalid.`
    pub fn invalid_value(parameter: &str, value: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::InvalidParameterValue,
            format!("The value {value} for parameter {parameter} is invalid."),
        )
    }

    /// `MissingParameter`: `The parameter X is required.`
    pub fn missing(parameter: &str) -> Self {
        Self::new(
            ErrorCode::MissingParameter,
            format!("The parameter {parameter} is required."),
        )
    }

    /// `ValidationError` worded as the service framework words a model constraint:
    /// `1 validation error detected: Value 'v' at 'member' failed to satisfy constraint: ...`.
    pub fn constraint(member: &str, value: impl std::fmt::Display, constraint: &str) -> Self {
        Self::new(
            ErrorCode::ValidationError,
            format!(
                "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
                lower_camel(member)
            ),
        )
    }

    /// `ValidationError` with a message used verbatim.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationError, message)
    }

    /// `InternalServiceError` for a failure of OpenTrail itself (details go to the log, not the caller).
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalServiceError,
            "The service encountered an internal error. Try again later.",
        )
    }
}

impl From<MonitoringError> for ApiError {
    fn from(error: MonitoringError) -> Self {
        match error {
            MonitoringError::InvalidMetricDatum { code, message } => {
                let code = match code {
                    "InvalidParameterCombination" => ErrorCode::InvalidParameterCombination,
                    "MissingParameter" => ErrorCode::MissingParameter,
                    "ValidationError" => ErrorCode::ValidationError,
                    _ => ErrorCode::InvalidParameterValue,
                };
                ApiError::new(code, message)
            }
            other => {
                tracing::error!(error = %other, "monitoring request failed");
                ApiError::internal()
            }
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        ApiError::from(MonitoringError::Sqlite(error))
    }
}

/// `AlarmName` -> `alarmName`, as validation messages name members.
fn lower_camel(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_statuses_and_shapes() {
        let check = |code: ErrorCode, status: u16, shape: &str, fault: &str| {
            assert_eq!(code.http_status(), status, "{code:?}");
            assert_eq!(code.shape_name(), shape, "{code:?}");
            assert_eq!(code.fault_type(), fault, "{code:?}");
        };
        check(
            ErrorCode::InvalidParameterValue,
            400,
            "InvalidParameterValueException",
            "Sender",
        );
        check(
            ErrorCode::MissingParameter,
            400,
            "MissingRequiredParameterException",
            "Sender",
        );
        check(
            ErrorCode::ResourceNotFound,
            404,
            "ResourceNotFound",
            "Sender",
        );
        check(
            ErrorCode::LimitExceeded,
            400,
            "LimitExceededFault",
            "Sender",
        );
        check(
            ErrorCode::InternalServiceError,
            500,
            "InternalServiceFault",
            "Receiver",
        );
        check(ErrorCode::ValidationError, 400, "ValidationError", "Sender");
    }

    #[test]
    fn constraint_messages_name_members_in_lower_camel_case() {
        let error = ApiError::constraint(
            "ComparisonOperator",
            "Bigger",
            "Member must satisfy enum value set: [A, B]",
        );
        assert_eq!(
            error.message,
            "1 validation error detected: Value 'Bigger' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [A, B]"
        );
    }
}
