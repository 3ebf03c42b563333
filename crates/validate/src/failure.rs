//! How a step of the validation can fail, in the terms the aws CLI's Python code distinguishes:
//! a botocore `ClientError` (a service answered with an error code), a `DigestError` (a complete
//! `Digest file ... INVALID: ...` line), or any other exception (only its `str()` text matters).
//!
//! The CLI reacts differently to each at each place (report and continue, or abort with exit 255), so
//! the traversal keeps them apart. Nothing here does IO or formatting of whole reports.

use crate::source::SourceError;

/// A failed step, classified like the CLI's `except` clauses classify exceptions.
#[derive(Debug, Clone)]
pub enum Failure {
    /// An error from a data source: a `ClientError` when it is a service error, otherwise an
    /// ordinary exception with the source's text.
    Source(SourceError),
    /// A `DigestError`: the whole status line (`Digest file\ts3://...\tINVALID: ...`).
    Digest(String),
    /// Any other exception, by its `str()` text.
    Other(String),
}

impl Failure {
    /// The exception's `str()` text.
    pub fn text(&self) -> String {
        match self {
            Failure::Source(error) => error.to_string(),
            Failure::Digest(line) => line.clone(),
            Failure::Other(text) => text.clone(),
        }
    }

    /// True for a botocore `ClientError` (a service error response).
    pub fn is_client_error(&self) -> bool {
        matches!(self, Failure::Source(error) if error.is_client_error())
    }

    /// True for a `ClientError` whose code is `NoSuchKey`.
    pub fn is_no_such_key(&self) -> bool {
        matches!(self, Failure::Source(error) if error.is_no_such_key())
    }

    /// The command-ending form of this failure.
    pub fn into_fatal(self) -> FatalError {
        match self {
            Failure::Source(SourceError::NoCredentials) => FatalError {
                text: "Unable to locate credentials. You can configure credentials by running \"aws configure\"."
                    .to_owned(),
                leading_newline: false,
            },
            other => FatalError::exception(other.text()),
        }
    }
}

impl From<SourceError> for Failure {
    fn from(error: SourceError) -> Failure {
        Failure::Source(error)
    }
}

/// An error that ends the command with exit code 255, printed on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FatalError {
    /// The message.
    pub text: String,
    /// The CLI prints most errors as `\n<text>\n` and a few (no region, no credentials) as `<text>\n`.
    pub leading_newline: bool,
}

impl FatalError {
    /// An error printed the way the CLI prints an uncaught exception (`\n<text>\n`).
    pub fn exception(text: impl Into<String>) -> FatalError {
        FatalError {
            text: text.into(),
            leading_newline: true,
        }
    }

    /// The exact bytes the CLI writes to stderr.
    pub fn render(&self) -> String {
        if self.leading_newline {
            format!("\n{}\n", self.text)
        } else {
            format!("{}\n", self.text)
        }
    }
}
