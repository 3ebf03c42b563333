//! Advanced event selectors (`AdvancedEventSelectors`): the wire types and matching. Validation of
//! a PutEventSelectors request lives in `advanced_rules.rs`.
//!
//! Matching: the field selectors of one advanced selector are ANDed; inside a field selector every
//! present operator must hold; a positive operator (`Equals`, `StartsWith`, `EndsWith`) holds when
//! any of its values matches, a negative one (`NotEquals`, ...) when none does. A field the record
//! lacks fails positive operators and passes negative ones. `resources.type` and `resources.ARN`
//! are tested against one resource at a time: the event matches if some resource of the record
//! satisfies both.

use serde::{Deserialize, Serialize};

use crate::facts::{EventFacts, ResourceFact};

/// One condition on one record field; every present operator must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdvancedFieldSelector {
    /// The record field, e.g. `eventCategory`, `resources.ARN`.
    pub field: String,
    /// The field equals one of these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Vec<String>>,
    /// The field starts with one of these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_with: Option<Vec<String>>,
    /// The field ends with one of these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_with: Option<Vec<String>>,
    /// The field equals none of these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_equals: Option<Vec<String>>,
    /// The field starts with none of these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_starts_with: Option<Vec<String>>,
    /// The field ends with none of these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_ends_with: Option<Vec<String>>,
}

/// An advanced event selector: its field selectors are ANDed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdvancedEventSelector {
    /// Optional descriptive name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// At least one field selector.
    pub field_selectors: Vec<AdvancedFieldSelector>,
}

/// The record fields advanced selectors on trails can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectorField {
    /// `eventCategory`.
    EventCategory,
    /// `eventSource`.
    EventSource,
    /// `eventName`.
    EventName,
    /// `eventType`.
    EventType,
    /// `readOnly` (`"true"` / `"false"`; a record without it counts as `"false"`).
    ReadOnly,
    /// `resources.type`.
    ResourcesType,
    /// `resources.ARN`.
    ResourcesArn,
    /// `userIdentity.arn`.
    UserIdentityArn,
    /// `sessionCredentialFromConsole` (`"true"` / `"false"`; absent counts as `"false"`).
    SessionCredentialFromConsole,
    /// `vpcEndpointId`.
    VpcEndpointId,
    /// `errorCode`.
    ErrorCode,
}

impl SelectorField {
    /// Every field, for lookups and tests.
    pub const ALL: [SelectorField; 11] = [
        SelectorField::EventCategory,
        SelectorField::EventSource,
        SelectorField::EventName,
        SelectorField::EventType,
        SelectorField::ReadOnly,
        SelectorField::ResourcesType,
        SelectorField::ResourcesArn,
        SelectorField::UserIdentityArn,
        SelectorField::SessionCredentialFromConsole,
        SelectorField::VpcEndpointId,
        SelectorField::ErrorCode,
    ];

    /// The `Field` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SelectorField::EventCategory => "eventCategory",
            SelectorField::EventSource => "eventSource",
            SelectorField::EventName => "eventName",
            SelectorField::EventType => "eventType",
            SelectorField::ReadOnly => "readOnly",
            SelectorField::ResourcesType => "resources.type",
            SelectorField::ResourcesArn => "resources.ARN",
            SelectorField::UserIdentityArn => "userIdentity.arn",
            SelectorField::SessionCredentialFromConsole => "sessionCredentialFromConsole",
            SelectorField::VpcEndpointId => "vpcEndpointId",
            SelectorField::ErrorCode => "errorCode",
        }
    }

    /// Parses a `Field` value (case-sensitive, as AWS).
    pub fn parse(text: &str) -> Option<Self> {
        SelectorField::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// The value of a single-valued field in the event (`None` for the `resources.*` fields).
    fn scalar<'a>(self, event: &EventFacts<'a>) -> Option<&'a str> {
        let non_empty = |s: &'a str| (!s.is_empty()).then_some(s);
        match self {
            SelectorField::EventCategory => non_empty(event.category().as_str()),
            SelectorField::EventSource => non_empty(event.event_source),
            SelectorField::EventName => non_empty(event.event_name),
            SelectorField::EventType => non_empty(event.event_type),
            SelectorField::ReadOnly => Some(bool_text(event.read_only)),
            SelectorField::SessionCredentialFromConsole => {
                Some(bool_text(event.session_credential_from_console))
            }
            SelectorField::UserIdentityArn => event.user_identity_arn,
            SelectorField::VpcEndpointId => event.vpc_endpoint_id,
            SelectorField::ErrorCode => event.error_code,
            SelectorField::ResourcesType | SelectorField::ResourcesArn => None,
        }
    }
}

fn bool_text(value: Option<bool>) -> &'static str {
    if value == Some(true) { "true" } else { "false" }
}

/// One comparison operator of a field selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `Equals`.
    Equals,
    /// `StartsWith`.
    StartsWith,
    /// `EndsWith`.
    EndsWith,
    /// `NotEquals`.
    NotEquals,
    /// `NotStartsWith`.
    NotStartsWith,
    /// `NotEndsWith`.
    NotEndsWith,
}

impl Operator {
    /// Every operator in the order AWS documents them.
    pub const ALL: [Operator; 6] = [
        Operator::Equals,
        Operator::StartsWith,
        Operator::EndsWith,
        Operator::NotEquals,
        Operator::NotStartsWith,
        Operator::NotEndsWith,
    ];

    /// The member name in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "Equals",
            Operator::StartsWith => "StartsWith",
            Operator::EndsWith => "EndsWith",
            Operator::NotEquals => "NotEquals",
            Operator::NotStartsWith => "NotStartsWith",
            Operator::NotEndsWith => "NotEndsWith",
        }
    }

    /// True for the `Not...` operators.
    pub fn is_negative(self) -> bool {
        matches!(
            self,
            Operator::NotEquals | Operator::NotStartsWith | Operator::NotEndsWith
        )
    }

    fn compares(self, field_value: &str, operand: &str) -> bool {
        match self {
            Operator::Equals | Operator::NotEquals => field_value == operand,
            Operator::StartsWith | Operator::NotStartsWith => field_value.starts_with(operand),
            Operator::EndsWith | Operator::NotEndsWith => field_value.ends_with(operand),
        }
    }
}

impl AdvancedFieldSelector {
    /// The values of one operator, if present.
    pub fn operator_values(&self, operator: Operator) -> Option<&[String]> {
        let values = match operator {
            Operator::Equals => &self.equals,
            Operator::StartsWith => &self.starts_with,
            Operator::EndsWith => &self.ends_with,
            Operator::NotEquals => &self.not_equals,
            Operator::NotStartsWith => &self.not_starts_with,
            Operator::NotEndsWith => &self.not_ends_with,
        };
        values.as_deref()
    }

    pub(crate) fn operator_values_mut(&mut self, operator: Operator) -> &mut Option<Vec<String>> {
        match operator {
            Operator::Equals => &mut self.equals,
            Operator::StartsWith => &mut self.starts_with,
            Operator::EndsWith => &mut self.ends_with,
            Operator::NotEquals => &mut self.not_equals,
            Operator::NotStartsWith => &mut self.not_starts_with,
            Operator::NotEndsWith => &mut self.not_ends_with,
        }
    }

    /// The present operators with their values.
    pub fn operators(&self) -> impl Iterator<Item = (Operator, &[String])> {
        Operator::ALL
            .into_iter()
            .filter_map(|op| self.operator_values(op).map(|values| (op, values)))
    }

    /// Whether every present operator holds for a field value (`None` = the record lacks it).
    pub fn holds(&self, field_value: Option<&str>) -> bool {
        self.operators().all(|(operator, operands)| {
            let any_matches = field_value
                .is_some_and(|v| operands.iter().any(|operand| operator.compares(v, operand)));
            any_matches != operator.is_negative()
        })
    }
}

impl AdvancedEventSelector {
    /// Whether every field selector holds for the event.
    pub fn matches(&self, event: &EventFacts<'_>) -> bool {
        let mut type_condition = None;
        let mut arn_condition = None;
        for field_selector in &self.field_selectors {
            match SelectorField::parse(&field_selector.field) {
                Some(SelectorField::ResourcesType) => type_condition = Some(field_selector),
                Some(SelectorField::ResourcesArn) => arn_condition = Some(field_selector),
                Some(field) if !field_selector.holds(field.scalar(event)) => return false,
                Some(_) => {}
                None => return false,
            }
        }
        resources_hold(type_condition, arn_condition, event.resources)
    }

    /// The single `eventCategory` value, if the selector has one.
    pub fn event_category(&self) -> Option<&str> {
        self.field(SelectorField::EventCategory)?
            .equals
            .as_deref()?
            .first()
            .map(String::as_str)
    }

    /// The field selector for one field (validated selectors have at most one per field).
    pub fn field(&self, field: SelectorField) -> Option<&AdvancedFieldSelector> {
        self.field_selectors
            .iter()
            .find(|fs| fs.field == field.as_str())
    }

    /// Whether this selector takes management events with this `readOnly` value.
    pub(crate) fn logs_management_events_with(&self, read_only: bool) -> bool {
        self.event_category() == Some("Management")
            && self
                .field(SelectorField::ReadOnly)
                .is_none_or(|fs| fs.holds(Some(bool_text(Some(read_only)))))
    }
}

fn resources_hold(
    type_condition: Option<&AdvancedFieldSelector>,
    arn_condition: Option<&AdvancedFieldSelector>,
    resources: &[ResourceFact<'_>],
) -> bool {
    if type_condition.is_none() && arn_condition.is_none() {
        return true;
    }
    resources.iter().any(|resource| {
        type_condition.is_none_or(|c| c.holds(Some(resource.resource_type)))
            && arn_condition.is_none_or(|c| c.holds(Some(resource.arn)))
    })
}

#[cfg(test)]
mod tests;
