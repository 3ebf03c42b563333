//! The one error enum of the selectors crate. Each variant maps to exactly one AWS exception name
//! through [`SelectorError::code`]; the HTTP status mapping lives in the server crate, not here.
//!
//! Messages are the text AWS puts in the error body (AWS's exact wording where it is known, see
//! docs/adr/0003-selector-semantics.md), which is why they are not lower-case like other crates'.

/// Why a PutEventSelectors or PutInsightSelectors request body was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// Any rule about the content of `EventSelectors` / `AdvancedEventSelectors` was broken.
    #[error("{0}")]
    InvalidEventSelectors(String),
    /// A combination of request parameters is not valid. PutEventSelectors itself never returns
    /// it (its model does not list it); kept for callers validating other parameter pairs.
    #[error("{0}")]
    InvalidParameterCombination(String),
    /// Any rule about `InsightSelectors` was broken.
    #[error("{0}")]
    InvalidInsightSelectors(String),
    /// A member had the wrong JSON type (a protocol error, not a selector rule).
    #[error("{0}")]
    Serialization(String),
}

impl SelectorError {
    /// The AWS exception name (the `__type` of the JSON error body).
    pub fn code(&self) -> &'static str {
        match self {
            SelectorError::InvalidEventSelectors(_) => "InvalidEventSelectorsException",
            SelectorError::InvalidParameterCombination(_) => "InvalidParameterCombinationException",
            SelectorError::InvalidInsightSelectors(_) => "InvalidInsightSelectorsException",
            SelectorError::Serialization(_) => "SerializationException",
        }
    }

    /// The human-readable message (what AWS puts in `message`).
    pub fn message(&self) -> &str {
        match self {
            SelectorError::InvalidEventSelectors(m)
            | SelectorError::InvalidParameterCombination(m)
            | SelectorError::InvalidInsightSelectors(m)
            | SelectorError::Serialization(m) => m,
        }
    }
}
