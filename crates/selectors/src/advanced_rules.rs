//! Parsing and validation of `AdvancedEventSelectors` in a PutEventSelectors request for a trail.
//! Rules: the API model's shape limits, the field/operator rules of the AdvancedFieldSelector
//! reference, the per-category field lists of the AdvancedEventSelector reference, and the
//! 500-values quota. Event-data-store-only fields and categories are rejected here.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::advanced::{AdvancedEventSelector, AdvancedFieldSelector, Operator, SelectorField};
use crate::arn;
use crate::basic::{
    DYNAMODB_TABLE, EXCLUDABLE_MANAGEMENT_EVENT_SOURCES, LAMBDA_FUNCTION, S3_OBJECT,
};
use crate::error::SelectorError;
use crate::json;

/// Most values across all conditions of all advanced selectors of a trail.
pub const MAX_ADVANCED_VALUES: usize = 500;
const MAX_NAME_CHARS: usize = 1000;
const MAX_FIELD_CHARS: usize = 1000;
const MAX_VALUE_CHARS: usize = 2048;
const VPCE_ACCESS_DENIED: &str = "VpceAccessDenied";

fn invalid(message: String) -> SelectorError {
    SelectorError::InvalidEventSelectors(message)
}

/// Parses and validates the `AdvancedEventSelectors` list of a PutEventSelectors request.
pub(crate) fn parse_advanced_event_selectors(
    value: &Value,
) -> Result<Vec<AdvancedEventSelector>, SelectorError> {
    let items = json::expect_array(value, "AdvancedEventSelectors")?;
    if items.is_empty() {
        return Err(invalid(
            "Specify at least one AdvancedEventSelector.".to_string(),
        ));
    }
    let selectors = items
        .iter()
        .map(parse_selector)
        .collect::<Result<Vec<_>, _>>()?;
    let total: usize = selectors.iter().map(count_values).sum();
    if total > MAX_ADVANCED_VALUES {
        return Err(invalid(format!(
            "Specify up to {MAX_ADVANCED_VALUES} values for all conditions in all AdvancedEventSelectors; {total} were given."
        )));
    }
    Ok(selectors)
}

fn count_values(selector: &AdvancedEventSelector) -> usize {
    selector
        .field_selectors
        .iter()
        .flat_map(|fs| fs.operators())
        .map(|(_, values)| values.len())
        .sum()
}

fn parse_selector(value: &Value) -> Result<AdvancedEventSelector, SelectorError> {
    let object = json::expect_object(value, "AdvancedEventSelector")?;
    let name = json::optional_string(object, "Name")?.map(str::to_string);
    if name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
    {
        return Err(invalid(format!(
            "AdvancedEventSelector Name must be at most {MAX_NAME_CHARS} characters."
        )));
    }
    let field_selectors = match json::member(object, "FieldSelectors") {
        Some(list) => json::expect_array(list, "FieldSelectors")?
            .iter()
            .map(parse_field_selector)
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let selector = AdvancedEventSelector {
        name,
        field_selectors,
    };
    validate_selector(&selector)?;
    Ok(selector)
}

fn parse_field_selector(value: &Value) -> Result<AdvancedFieldSelector, SelectorError> {
    let object = json::expect_object(value, "AdvancedFieldSelector")?;
    let field = json::optional_string(object, "Field")?.ok_or_else(|| {
        invalid("Field must be specified in each AdvancedFieldSelector.".to_string())
    })?;
    let mut selector = AdvancedFieldSelector {
        field: field.to_string(),
        ..AdvancedFieldSelector::default()
    };
    for operator in Operator::ALL {
        *selector.operator_values_mut(operator) = parse_operator(object, operator)?;
    }
    validate_field_shape(&selector)?;
    Ok(selector)
}

fn parse_operator(
    object: &Map<String, Value>,
    operator: Operator,
) -> Result<Option<Vec<String>>, SelectorError> {
    let values = json::optional_strings(object, operator.as_str())?;
    if let Some(values) = &values {
        if values.is_empty() {
            return Err(invalid(format!(
                "Operator {} must have at least one value.",
                operator.as_str()
            )));
        }
        if let Some(bad) = values
            .iter()
            .find(|v| v.is_empty() || v.chars().count() > MAX_VALUE_CHARS)
        {
            return Err(invalid(format!(
                "Value {bad} for {} is invalid: values must be 1 to {MAX_VALUE_CHARS} characters.",
                operator.as_str()
            )));
        }
    }
    Ok(values)
}

/// The checks that need only the field selector itself.
fn validate_field_shape(selector: &AdvancedFieldSelector) -> Result<(), SelectorError> {
    let field = &selector.field;
    let pattern_ok = field
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'|'));
    if field.is_empty() || field.len() > MAX_FIELD_CHARS || !pattern_ok {
        return Err(invalid(format!("Value {field} for Field is invalid.")));
    }
    let Some(known) = SelectorField::parse(field) else {
        return Err(invalid(format!(
            "Value {field} for Field is invalid. Field is not a supported field for trails."
        )));
    };
    if selector.operators().next().is_none() {
        return Err(invalid(format!(
            "Field selector for {field} must specify at least one operator."
        )));
    }
    let equals_only = matches!(
        known,
        SelectorField::EventCategory
            | SelectorField::ReadOnly
            | SelectorField::ResourcesType
            | SelectorField::ErrorCode
    );
    if equals_only && selector.operators().any(|(op, _)| op != Operator::Equals) {
        return Err(invalid(format!(
            "Field {field} supports only the Equals operator."
        )));
    }
    Ok(())
}

/// The category an advanced selector on a trail can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrailCategory {
    Management,
    Data,
    NetworkActivity,
}

fn validate_selector(selector: &AdvancedEventSelector) -> Result<(), SelectorError> {
    if selector.field_selectors.is_empty() {
        return Err(invalid(
            "Each AdvancedEventSelector must contain at least one AdvancedFieldSelector."
                .to_string(),
        ));
    }
    let mut seen = HashSet::new();
    if let Some(dup) = selector
        .field_selectors
        .iter()
        .find(|fs| !seen.insert(fs.field.as_str()))
    {
        return Err(invalid(format!(
            "Field {} is specified more than once in an AdvancedEventSelector.",
            dup.field
        )));
    }
    let category = selector_category(selector)?;
    for field_selector in &selector.field_selectors {
        validate_field_for_category(selector, field_selector, category)?;
    }
    require_fields(selector, category)
}

fn selector_category(selector: &AdvancedEventSelector) -> Result<TrailCategory, SelectorError> {
    let values = selector
        .field(SelectorField::EventCategory)
        .and_then(|fs| fs.equals.as_deref())
        .ok_or_else(|| {
            invalid("eventCategory is required in each AdvancedEventSelector.".to_string())
        })?;
    match values {
        [one] => match one.as_str() {
            "Management" => Ok(TrailCategory::Management),
            "Data" => Ok(TrailCategory::Data),
            "NetworkActivity" => Ok(TrailCategory::NetworkActivity),
            other => Err(invalid(format!(
                "Value {other} for eventCategory is invalid. Valid values for trails are Management, Data and NetworkActivity."
            ))),
        },
        _ => Err(invalid(
            "eventCategory must have exactly one value in each AdvancedEventSelector.".to_string(),
        )),
    }
}

fn allowed_fields(category: TrailCategory) -> &'static [SelectorField] {
    use SelectorField as F;
    match category {
        TrailCategory::Management => &[F::EventCategory, F::EventSource, F::ReadOnly],
        TrailCategory::Data => &[
            F::EventCategory,
            F::EventName,
            F::EventSource,
            F::EventType,
            F::ReadOnly,
            F::ResourcesType,
            F::ResourcesArn,
            F::SessionCredentialFromConsole,
            F::UserIdentityArn,
        ],
        TrailCategory::NetworkActivity => &[
            F::EventCategory,
            F::EventSource,
            F::EventName,
            F::ErrorCode,
            F::VpcEndpointId,
            F::UserIdentityArn,
        ],
    }
}

fn category_name(category: TrailCategory) -> &'static str {
    match category {
        TrailCategory::Management => "Management",
        TrailCategory::Data => "Data",
        TrailCategory::NetworkActivity => "NetworkActivity",
    }
}

fn validate_field_for_category(
    selector: &AdvancedEventSelector,
    field_selector: &AdvancedFieldSelector,
    category: TrailCategory,
) -> Result<(), SelectorError> {
    let field = SelectorField::parse(&field_selector.field).expect("validated field name");
    if !allowed_fields(category).contains(&field) {
        return Err(invalid(format!(
            "Field {} is not supported for {} events on a trail.",
            field.as_str(),
            category_name(category)
        )));
    }
    match (field, category) {
        (SelectorField::ReadOnly, _) => check_boolean_values(field_selector, true),
        (SelectorField::SessionCredentialFromConsole, _) => {
            check_boolean_values(field_selector, false)
        }
        (SelectorField::ResourcesType, _) => check_resource_type(field_selector),
        (SelectorField::ResourcesArn, _) => check_resource_arns(selector, field_selector),
        (SelectorField::ErrorCode, _) => check_error_code(field_selector),
        (SelectorField::EventSource, TrailCategory::Management) => {
            check_management_event_source(field_selector)
        }
        _ => Ok(()),
    }
}

fn require_fields(
    selector: &AdvancedEventSelector,
    category: TrailCategory,
) -> Result<(), SelectorError> {
    let required = match category {
        TrailCategory::Management => return Ok(()),
        TrailCategory::Data => SelectorField::ResourcesType,
        TrailCategory::NetworkActivity => SelectorField::EventSource,
    };
    if selector.field(required).is_none() {
        return Err(invalid(format!(
            "Field {} is required for {} events.",
            required.as_str(),
            category_name(category)
        )));
    }
    Ok(())
}

/// `readOnly` (Equals only, one value) and `sessionCredentialFromConsole` (Equals or NotEquals):
/// the values must be `true` or `false`.
fn check_boolean_values(
    field_selector: &AdvancedFieldSelector,
    single_value: bool,
) -> Result<(), SelectorError> {
    let field = &field_selector.field;
    for (operator, values) in field_selector.operators() {
        if !matches!(operator, Operator::Equals | Operator::NotEquals) {
            return Err(invalid(format!(
                "Field {field} supports only the Equals and NotEquals operators."
            )));
        }
        if single_value && values.len() != 1 {
            return Err(invalid(format!(
                "Field {field} must have exactly one value."
            )));
        }
        if let Some(bad) = values
            .iter()
            .find(|v| !matches!(v.as_str(), "true" | "false"))
        {
            return Err(invalid(format!(
                "Value {bad} for {field} is invalid. Valid values are true and false."
            )));
        }
    }
    Ok(())
}

fn check_resource_type(field_selector: &AdvancedFieldSelector) -> Result<(), SelectorError> {
    match field_selector.equals.as_deref() {
        Some([one]) if is_resource_type(one) => Ok(()),
        Some([one]) => Err(invalid(format!(
            "Value {one} for resources.type is invalid."
        ))),
        _ => Err(invalid(
            "resources.type must have exactly one value; use another selector for another resource type."
                .to_string(),
        )),
    }
}

/// `AWS::<Service>::<Resource>`.
fn is_resource_type(text: &str) -> bool {
    let mut parts = text.split("::");
    let all_alnum = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    parts.next() == Some("AWS")
        && parts.next().is_some_and(all_alnum)
        && parts.next().is_some_and(all_alnum)
        && parts.next().is_none()
}

/// With `Equals` / `NotEquals` the value must be a full ARN of the selected resource type.
fn check_resource_arns(
    selector: &AdvancedEventSelector,
    field_selector: &AdvancedFieldSelector,
) -> Result<(), SelectorError> {
    let resource_type = selector
        .field(SelectorField::ResourcesType)
        .and_then(|fs| fs.equals.as_deref())
        .and_then(|values| values.first())
        .map_or("", String::as_str);
    let exact = [Operator::Equals, Operator::NotEquals];
    let bad = exact
        .into_iter()
        .filter_map(|op| field_selector.operator_values(op))
        .flatten()
        .find(|value| !is_full_arn_of(resource_type, value));
    match bad {
        Some(value) => Err(invalid(format!(
            "Value {value} for resources.ARN is invalid for resources.type {resource_type}."
        ))),
        None => Ok(()),
    }
}

fn is_full_arn_of(resource_type: &str, value: &str) -> bool {
    match resource_type {
        S3_OBJECT => {
            arn::after_service(value, "s3")
                .and_then(|rest| rest.strip_prefix(":::"))
                .is_some_and(|path| path.contains('/'))
                && arn::is_s3_object_value(value)
        }
        LAMBDA_FUNCTION => {
            arn::is_lambda_function_value(value) && !arn::is_all_resources_value(value, "lambda")
        }
        DYNAMODB_TABLE => {
            arn::is_dynamodb_table_value(value) && !arn::is_all_resources_value(value, "dynamodb")
        }
        _ => arn::looks_like_arn(value),
    }
}

fn check_error_code(field_selector: &AdvancedFieldSelector) -> Result<(), SelectorError> {
    match field_selector.equals.as_deref() {
        Some([one]) if one == VPCE_ACCESS_DENIED => Ok(()),
        _ => Err(invalid(format!(
            "Field errorCode supports only Equals {VPCE_ACCESS_DENIED}."
        ))),
    }
}

fn check_management_event_source(
    field_selector: &AdvancedFieldSelector,
) -> Result<(), SelectorError> {
    let only_not_equals = field_selector
        .operators()
        .all(|(op, _)| op == Operator::NotEquals);
    let values_ok = field_selector.not_equals.as_deref().is_some_and(|values| {
        values
            .iter()
            .all(|v| EXCLUDABLE_MANAGEMENT_EVENT_SOURCES.contains(&v.as_str()))
    });
    if only_not_equals && values_ok {
        return Ok(());
    }
    Err(invalid(
        "For management events, eventSource supports only NotEquals kms.amazonaws.com or rdsdata.amazonaws.com."
            .to_string(),
    ))
}
