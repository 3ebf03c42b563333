//! Basic event selectors (`EventSelectors`): the wire types, their validation, and matching.
//!
//! A basic selector takes management events (filtered by `ReadWriteType` and
//! `ExcludeManagementEventSources`) and data events of the resources listed in `DataResources`.
//! It never takes Insights or network activity events.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::arn;
use crate::error::SelectorError;
use crate::facts::{Category, EventFacts, ResourceFact};
use crate::json;

/// Most selectors a trail may have.
pub const MAX_EVENT_SELECTORS: usize = 5;
/// Most `DataResources.Values` across all selectors of a trail ("all of a type" values are free).
pub const MAX_DATA_RESOURCE_VALUES: usize = 250;
/// The only values `ExcludeManagementEventSources` accepts.
pub const EXCLUDABLE_MANAGEMENT_EVENT_SOURCES: [&str; 2] =
    ["kms.amazonaws.com", "rdsdata.amazonaws.com"];

/// `DataResources.Type` for S3 objects.
pub const S3_OBJECT: &str = "AWS::S3::Object";
/// `DataResources.Type` for Lambda functions.
pub const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";
/// `DataResources.Type` for DynamoDB tables.
pub const DYNAMODB_TABLE: &str = "AWS::DynamoDB::Table";

/// Which events a basic selector takes by their `readOnly` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReadWriteType {
    /// Only events with `readOnly: true`.
    ReadOnly,
    /// Only write events (`readOnly: false`, or no `readOnly` member).
    WriteOnly,
    /// Both.
    #[default]
    All,
}

impl ReadWriteType {
    fn parse(text: &str) -> Result<Self, SelectorError> {
        match text {
            "ReadOnly" => Ok(ReadWriteType::ReadOnly),
            "WriteOnly" => Ok(ReadWriteType::WriteOnly),
            "All" => Ok(ReadWriteType::All),
            other => Err(invalid_value(other, "ReadWriteType")),
        }
    }

    /// Whether read-only events pass.
    pub fn takes_reads(self) -> bool {
        self != ReadWriteType::WriteOnly
    }

    /// Whether write events pass.
    pub fn takes_writes(self) -> bool {
        self != ReadWriteType::ReadOnly
    }

    /// Whether an event with this `readOnly` passes; an event without the member is a write.
    pub fn takes(self, read_only: Option<bool>) -> bool {
        if read_only == Some(true) {
            self.takes_reads()
        } else {
            self.takes_writes()
        }
    }
}

/// One `DataResources` entry: a resource type and the ARNs (or ARN prefixes) to log data events for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataResource {
    /// `AWS::S3::Object`, `AWS::Lambda::Function` or `AWS::DynamoDB::Table`.
    #[serde(rename = "Type")]
    pub resource_type: String,
    /// ARNs or ARN prefixes, see [`DataResource::matches_resource`].
    #[serde(rename = "Values", default)]
    pub values: Vec<String>,
}

/// A CloudTrail basic event selector, with AWS's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventSelector {
    /// Defaults to `All`.
    #[serde(default)]
    pub read_write_type: ReadWriteType,
    /// Defaults to `true`.
    #[serde(default = "default_true")]
    pub include_management_events: bool,
    /// Defaults to empty.
    #[serde(default)]
    pub data_resources: Vec<DataResource>,
    /// Defaults to empty; only `kms.amazonaws.com` and `rdsdata.amazonaws.com` are allowed.
    #[serde(default)]
    pub exclude_management_event_sources: Vec<String>,
}

fn default_true() -> bool {
    true
}

impl Default for EventSelector {
    fn default() -> Self {
        EventSelector {
            read_write_type: ReadWriteType::All,
            include_management_events: true,
            data_resources: Vec::new(),
            exclude_management_event_sources: Vec::new(),
        }
    }
}

impl EventSelector {
    /// Whether this selector takes the event.
    pub fn matches(&self, event: &EventFacts<'_>) -> bool {
        match event.category() {
            Category::Management => self.matches_management(event),
            Category::Data => {
                self.read_write_type.takes(event.read_only)
                    && self
                        .data_resources
                        .iter()
                        .any(|data_resource| data_resource.matches_any(event.resources))
            }
            Category::Insight | Category::NetworkActivity | Category::Other => false,
        }
    }

    fn matches_management(&self, event: &EventFacts<'_>) -> bool {
        self.include_management_events
            && self.read_write_type.takes(event.read_only)
            && !self
                .exclude_management_event_sources
                .iter()
                .any(|source| source == event.event_source)
    }

    /// Whether this selector takes read-only management events.
    pub fn logs_read_management_events(&self) -> bool {
        self.include_management_events && self.read_write_type.takes_reads()
    }

    /// Whether this selector takes write management events.
    pub fn logs_write_management_events(&self) -> bool {
        self.include_management_events && self.read_write_type.takes_writes()
    }

    /// Whether this selector takes any data event.
    pub fn logs_data_events(&self) -> bool {
        self.data_resources.iter().any(|r| !r.values.is_empty())
    }
}

impl DataResource {
    fn matches_any(&self, resources: &[ResourceFact<'_>]) -> bool {
        resources
            .iter()
            .any(|resource| self.matches_resource(resource))
    }

    /// Whether one record resource is selected. S3 values are key prefixes (a record's `ARNPrefix`
    /// for bucket-level data events such as ListObjects is tested the same way); Lambda function
    /// and DynamoDB table values are exact ARNs, a function ARN also covering its qualified forms;
    /// `arn:<partition>:<service>` selects every resource of the type.
    pub fn matches_resource(&self, resource: &ResourceFact<'_>) -> bool {
        if resource.resource_type != self.resource_type {
            return false;
        }
        let service = service_of(&self.resource_type);
        self.values.iter().any(|value| {
            let selected = match self.resource_type.as_str() {
                S3_OBJECT => resource.arn.starts_with(value.as_str()),
                LAMBDA_FUNCTION => is_same_function(resource.arn, value),
                _ => resource.arn == value,
            };
            selected || arn::is_all_resources_value(value, service)
        })
    }

    /// How many values count towards the 250 limit (values selecting all resources are free).
    fn counted_values(&self) -> usize {
        let service = service_of(&self.resource_type);
        self.values
            .iter()
            .filter(|value| !arn::is_all_resources_value(value, service))
            .count()
    }
}

fn is_same_function(resource_arn: &str, selected: &str) -> bool {
    resource_arn
        .strip_prefix(selected)
        .is_some_and(|rest| rest.is_empty() || (rest.starts_with(':') && rest.len() > 1))
}

fn service_of(resource_type: &str) -> &'static str {
    match resource_type {
        S3_OBJECT => "s3",
        LAMBDA_FUNCTION => "lambda",
        DYNAMODB_TABLE => "dynamodb",
        _ => "",
    }
}

fn invalid_value(value: &str, member: &str) -> SelectorError {
    SelectorError::InvalidEventSelectors(format!("Value {value} for {member} is invalid."))
}

/// Parses and validates the `EventSelectors` list of a PutEventSelectors request.
pub(crate) fn parse_event_selectors(value: &Value) -> Result<Vec<EventSelector>, SelectorError> {
    let items = json::expect_array(value, "EventSelectors")?;
    if items.is_empty() || items.len() > MAX_EVENT_SELECTORS {
        return Err(SelectorError::InvalidEventSelectors(format!(
            "Specify a valid number of EventSelectors (1 to {MAX_EVENT_SELECTORS}) for your trail."
        )));
    }
    let selectors = items
        .iter()
        .map(parse_event_selector)
        .collect::<Result<Vec<_>, _>>()?;
    let counted: usize = selectors
        .iter()
        .flat_map(|s| &s.data_resources)
        .map(DataResource::counted_values)
        .sum();
    if counted > MAX_DATA_RESOURCE_VALUES {
        return Err(SelectorError::InvalidEventSelectors(format!(
            "Specify a valid number of DataResources.Values (0 to {MAX_DATA_RESOURCE_VALUES}) for all your selectors"
        )));
    }
    Ok(selectors)
}

fn parse_event_selector(value: &Value) -> Result<EventSelector, SelectorError> {
    let object = json::expect_object(value, "EventSelector")?;
    let read_write_type = match json::optional_string(object, "ReadWriteType")? {
        Some(text) => ReadWriteType::parse(text)?,
        None => ReadWriteType::All,
    };
    let selector = EventSelector {
        read_write_type,
        include_management_events: json::optional_bool(object, "IncludeManagementEvents")?
            .unwrap_or(true),
        data_resources: parse_data_resources(object)?,
        exclude_management_event_sources: json::optional_strings(
            object,
            "ExcludeManagementEventSources",
        )?
        .unwrap_or_default(),
    };
    validate_combination(&selector)?;
    Ok(selector)
}

fn parse_data_resources(object: &Map<String, Value>) -> Result<Vec<DataResource>, SelectorError> {
    let Some(list) = json::member(object, "DataResources") else {
        return Ok(Vec::new());
    };
    json::expect_array(list, "DataResources")?
        .iter()
        .map(parse_data_resource)
        .collect()
}

fn parse_data_resource(value: &Value) -> Result<DataResource, SelectorError> {
    let object = json::expect_object(value, "DataResource")?;
    let resource_type = json::optional_string(object, "Type")?.ok_or_else(|| {
        SelectorError::InvalidEventSelectors("DataResources.Type must be specified.".to_string())
    })?;
    let check: fn(&str) -> bool = match resource_type {
        S3_OBJECT => arn::is_s3_object_value,
        LAMBDA_FUNCTION => arn::is_lambda_function_value,
        DYNAMODB_TABLE => arn::is_dynamodb_table_value,
        other => return Err(invalid_value(other, "DataResources.Type")),
    };
    let values = json::optional_strings(object, "Values")?.unwrap_or_default();
    if values.is_empty() {
        return Err(SelectorError::InvalidEventSelectors(format!(
            "Specify at least one value in DataResources.Values for type {resource_type}."
        )));
    }
    if let Some(bad) = values.iter().find(|value| !check(value)) {
        return Err(invalid_value(bad, "DataResources.Values"));
    }
    Ok(DataResource {
        resource_type: resource_type.to_string(),
        values,
    })
}

fn validate_combination(selector: &EventSelector) -> Result<(), SelectorError> {
    if let Some(bad) = selector
        .exclude_management_event_sources
        .iter()
        .find(|source| !EXCLUDABLE_MANAGEMENT_EVENT_SOURCES.contains(&source.as_str()))
    {
        return Err(invalid_value(bad, "ExcludeManagementEventSources"));
    }
    if selector.include_management_events {
        return Ok(());
    }
    if selector.data_resources.is_empty() {
        return Err(SelectorError::InvalidEventSelectors(
            "Invalid combination of parameters in EventSelectors. When includeManagementEvents is false, DataResources must not be empty.".to_string(),
        ));
    }
    if !selector.exclude_management_event_sources.is_empty() {
        return Err(SelectorError::InvalidEventSelectors(
            "Invalid combination of parameters in EventSelectors. When includeManagementEvents is false, ExcludeManagementEventSources must be empty.".to_string(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
