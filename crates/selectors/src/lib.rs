//! Event selectors for OpenTrail trails: which records a trail delivers, and the validation and
//! JSON rendering of the PutEventSelectors / GetEventSelectors / PutInsightSelectors members.
//!
//! Tour:
//! - [`TrailSelectors`] is a trail's selector set, basic ([`EventSelector`]) or advanced
//!   ([`AdvancedEventSelector`]); [`TrailSelectors::matches`] decides delivery for one event.
//! - [`EventFacts`] are the few record fields matching reads, borrowed from a record.
//! - [`parse_put_event_selectors`] and [`parse_insight_selectors`] turn request members into
//!   validated values or a [`SelectorError`] carrying the AWS exception name.
//! - `basic.rs`, `advanced.rs` (+ `advanced_rules.rs` for validation), `insight.rs`, `facts.rs`,
//!   `arn.rs` (ARN syntax), `json.rs` (request readers).
//!
//! The crate is pure: no IO, no clock, no state. Semantic choices where AWS is unclear are
//! recorded in docs/adr/0003-selector-semantics.md.

mod advanced;
mod advanced_rules;
mod arn;
mod basic;
mod error;
mod facts;
mod insight;
mod json;
#[cfg(test)]
mod testing;

pub use advanced::{AdvancedEventSelector, AdvancedFieldSelector, Operator, SelectorField};
pub use advanced_rules::MAX_ADVANCED_VALUES;
pub use basic::{
    DYNAMODB_TABLE, DataResource, EXCLUDABLE_MANAGEMENT_EVENT_SOURCES, EventSelector,
    LAMBDA_FUNCTION, MAX_DATA_RESOURCE_VALUES, MAX_EVENT_SELECTORS, ReadWriteType, S3_OBJECT,
};
pub use error::SelectorError;
pub use facts::{Category, EventFacts, ResourceFact};
pub use insight::{InsightEventCategory, InsightSelector, InsightType, parse_insight_selectors};

use serde_json::{Value, json};

/// The selectors of one trail: either basic or advanced, never both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailSelectors {
    /// `EventSelectors`.
    Basic(Vec<EventSelector>),
    /// `AdvancedEventSelectors`.
    Advanced(Vec<AdvancedEventSelector>),
}

impl Default for TrailSelectors {
    fn default() -> Self {
        TrailSelectors::default_for_new_trail()
    }
}

impl TrailSelectors {
    /// What a trail created through the API without selectors has: one basic selector taking all
    /// management events and no data events.
    pub fn default_for_new_trail() -> Self {
        TrailSelectors::Basic(vec![EventSelector::default()])
    }

    /// Whether the trail delivers this event (it matches any selector). Insights events never
    /// match: their delivery follows the Insights selectors instead.
    pub fn matches(&self, event: &EventFacts<'_>) -> bool {
        match self {
            TrailSelectors::Basic(list) => list.iter().any(|s| s.matches(event)),
            TrailSelectors::Advanced(list) => list.iter().any(|s| s.matches(event)),
        }
    }

    /// `HasCustomEventSelectors`: false only for exactly the default selector set.
    pub fn is_custom(&self) -> bool {
        *self != TrailSelectors::default_for_new_trail()
    }

    /// The selector member of a GetEventSelectors / PutEventSelectors response:
    /// `{"EventSelectors":[...]}` or `{"AdvancedEventSelectors":[...]}` (callers add `TrailARN`).
    pub fn to_json(&self) -> Value {
        match self {
            TrailSelectors::Basic(list) => json!({ "EventSelectors": list }),
            TrailSelectors::Advanced(list) => json!({ "AdvancedEventSelectors": list }),
        }
    }

    /// Reads back what [`TrailSelectors::to_json`] wrote (for persisted trail state).
    pub fn from_json(value: &Value) -> Result<Self, SelectorError> {
        parse_put_event_selectors(
            value.get("EventSelectors"),
            value.get("AdvancedEventSelectors"),
        )
    }

    /// Whether any management event (read or write) is logged.
    pub fn logs_management_events(&self) -> bool {
        self.logs_read_management_events() || self.logs_write_management_events()
    }

    /// Whether read-only management events are logged (by at least one selector).
    pub fn logs_read_management_events(&self) -> bool {
        match self {
            TrailSelectors::Basic(list) => list.iter().any(|s| s.logs_read_management_events()),
            TrailSelectors::Advanced(list) => {
                list.iter().any(|s| s.logs_management_events_with(true))
            }
        }
    }

    /// Whether write management events are logged (by at least one selector).
    pub fn logs_write_management_events(&self) -> bool {
        match self {
            TrailSelectors::Basic(list) => list.iter().any(|s| s.logs_write_management_events()),
            TrailSelectors::Advanced(list) => {
                list.iter().any(|s| s.logs_management_events_with(false))
            }
        }
    }

    /// Whether any data event can be logged (a data resource, or an advanced `Data` selector).
    pub fn logs_data_events(&self) -> bool {
        match self {
            TrailSelectors::Basic(list) => list.iter().any(EventSelector::logs_data_events),
            TrailSelectors::Advanced(list) => {
                list.iter().any(|s| s.event_category() == Some("Data"))
            }
        }
    }
}

/// Parses and validates the selector members of a PutEventSelectors request body: exactly one of
/// `EventSelectors` and `AdvancedEventSelectors` must be present (JSON `null` counts as absent).
/// Defaults are filled in as AWS does, so `to_json` of the result is what AWS answers.
pub fn parse_put_event_selectors(
    event_selectors: Option<&Value>,
    advanced: Option<&Value>,
) -> Result<TrailSelectors, SelectorError> {
    match (present(event_selectors), present(advanced)) {
        (Some(v), None) => basic::parse_event_selectors(v).map(TrailSelectors::Basic),
        (None, Some(v)) => {
            advanced_rules::parse_advanced_event_selectors(v).map(TrailSelectors::Advanced)
        }
        (Some(_), Some(_)) => Err(SelectorError::InvalidEventSelectors(
            "You can use either EventSelectors or AdvancedEventSelectors in a PutEventSelectors request, but not both.".to_string(),
        )),
        (None, None) => Err(SelectorError::InvalidEventSelectors(
            "Specify either EventSelectors or AdvancedEventSelectors.".to_string(),
        )),
    }
}

fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests;
