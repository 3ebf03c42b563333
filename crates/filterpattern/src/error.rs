//! The crate's one error type, [`PatternError`], and the byte-offset form the parsers use
//! internally before positions are turned into character offsets for the caller.
//!
//! It deliberately carries no AWS exception name: every rejection here is AWS's
//! `InvalidParameterException`, and the caller (the API layer) owns that mapping.

/// Why a filter pattern, a metric value or a dimension reference was rejected, and where.
///
/// `position` is a 0-based character offset into the text that was rejected (the pattern for
/// [`crate::FilterPattern::compile`], the metric value for [`crate::MetricValue::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct PatternError {
    /// 0-based character offset of the problem in the rejected text.
    pub position: usize,
    /// Lower-case description quoting the offending text.
    pub message: String,
}

/// A parse failure located by byte offset; converted to a [`PatternError`] at the API boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl SyntaxError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        SyntaxError {
            offset,
            message: message.into(),
        }
    }

    /// Locates the error in `text` by characters rather than bytes.
    pub(crate) fn into_pattern_error(self, text: &str) -> PatternError {
        let offset = self.offset.min(text.len());
        let position = text
            .char_indices()
            .take_while(|(byte, _)| *byte < offset)
            .count();
        PatternError {
            position,
            message: self.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let error = SyntaxError::new(3, "bad").into_pattern_error("é!x");
        assert_eq!(error.position, 2);
        assert_eq!(error.to_string(), "bad at position 2");
    }
}
