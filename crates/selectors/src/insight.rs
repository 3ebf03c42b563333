//! Insights selectors (`InsightSelectors` of PutInsightSelectors on a trail) and the check that the
//! trail logs the events each Insights type analyses. Event-data-store Insights (the
//! `EventDataStore` / `InsightsDestination` parameters) are the control plane's business.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::TrailSelectors;
use crate::error::SelectorError;
use crate::json;

/// `ApiCallRateInsight` or `ApiErrorRateInsight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InsightType {
    /// Unusual rate of write management calls (or of any data calls).
    ApiCallRateInsight,
    /// Unusual rate of calls that returned an error.
    ApiErrorRateInsight,
}

impl InsightType {
    fn parse(text: &str) -> Result<Self, SelectorError> {
        match text {
            "ApiCallRateInsight" => Ok(InsightType::ApiCallRateInsight),
            "ApiErrorRateInsight" => Ok(InsightType::ApiErrorRateInsight),
            other => Err(invalid(format!(
                "Value {other} for InsightType is invalid. Valid values are ApiCallRateInsight and ApiErrorRateInsight."
            ))),
        }
    }
}

/// `Management` or `Data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InsightEventCategory {
    /// Management events (the default).
    Management,
    /// Data events.
    Data,
}

impl InsightEventCategory {
    fn parse(text: &str) -> Result<Self, SelectorError> {
        match text {
            "Management" => Ok(InsightEventCategory::Management),
            "Data" => Ok(InsightEventCategory::Data),
            other => Err(invalid(format!(
                "Value {other} for EventCategories is invalid. Valid values are Management and Data."
            ))),
        }
    }
}

/// One Insights selector as stored and rendered by GetInsightSelectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InsightSelector {
    /// Which kind of insight.
    pub insight_type: InsightType,
    /// Which events it watches; absent means management events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_categories: Option<Vec<InsightEventCategory>>,
}

impl InsightSelector {
    /// The categories it watches, with the default applied.
    pub fn effective_categories(&self) -> &[InsightEventCategory] {
        self.event_categories
            .as_deref()
            .unwrap_or(&[InsightEventCategory::Management])
    }
}

fn invalid(message: String) -> SelectorError {
    SelectorError::InvalidInsightSelectors(message)
}

/// Parses and validates the `InsightSelectors` member of PutInsightSelectors against the trail's
/// event selectors. An empty list is valid and turns Insights off.
pub fn parse_insight_selectors(
    value: &Value,
    trail: &TrailSelectors,
) -> Result<Vec<InsightSelector>, SelectorError> {
    let selectors = json::expect_array(value, "InsightSelectors")?
        .iter()
        .map(parse_insight_selector)
        .collect::<Result<Vec<_>, _>>()?;
    reject_duplicate_types(&selectors)?;
    for selector in &selectors {
        for category in selector.effective_categories() {
            check_trail_logs(trail, selector.insight_type, *category)?;
        }
    }
    Ok(selectors)
}

fn parse_insight_selector(value: &Value) -> Result<InsightSelector, SelectorError> {
    let object = json::expect_object(value, "InsightSelector")?;
    let insight_type = json::optional_string(object, "InsightType")?
        .ok_or_else(|| invalid("InsightType must be specified in each InsightSelector.".into()))
        .and_then(InsightType::parse)?;
    let event_categories = json::optional_strings(object, "EventCategories")?
        .map(|names| {
            names
                .iter()
                .map(|name| InsightEventCategory::parse(name))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    if event_categories.as_ref().is_some_and(Vec::is_empty) {
        return Err(invalid(
            "EventCategories must contain Management, Data or both.".to_string(),
        ));
    }
    Ok(InsightSelector {
        insight_type,
        event_categories,
    })
}

fn reject_duplicate_types(selectors: &[InsightSelector]) -> Result<(), SelectorError> {
    for (index, selector) in selectors.iter().enumerate() {
        if selectors[..index]
            .iter()
            .any(|earlier| earlier.insight_type == selector.insight_type)
        {
            return Err(invalid(format!(
                "InsightType {:?} is specified more than once.",
                selector.insight_type
            )));
        }
    }
    Ok(())
}

fn check_trail_logs(
    trail: &TrailSelectors,
    insight_type: InsightType,
    category: InsightEventCategory,
) -> Result<(), SelectorError> {
    let (logged, needed) = match (insight_type, category) {
        (InsightType::ApiCallRateInsight, InsightEventCategory::Management) => (
            trail.logs_write_management_events(),
            "write management events",
        ),
        (InsightType::ApiErrorRateInsight, InsightEventCategory::Management) => {
            (trail.logs_management_events(), "management events")
        }
        (_, InsightEventCategory::Data) => (trail.logs_data_events(), "data events"),
    };
    if logged {
        return Ok(());
    }
    Err(invalid(format!(
        "{insight_type:?} on {category:?} events requires the trail to log {needed}. Update the trail's event selectors first."
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::parse_put_event_selectors;

    fn trail(event_selectors: Value) -> TrailSelectors {
        parse_put_event_selectors(Some(&event_selectors), None).unwrap()
    }

    /// `Ok(())` when accepted (and rendered back unchanged), else the error code and message.
    fn check(insights: Value, trail: &TrailSelectors, expected: Result<(), (&str, &str)>) {
        match (parse_insight_selectors(&insights, trail), expected) {
            (Ok(parsed), Ok(())) => {
                assert_eq!(serde_json::to_value(&parsed).unwrap(), insights);
            }
            (Err(error), Err((code, message))) => {
                assert_eq!(error.code(), code, "{insights}");
                assert!(error.message().contains(message), "{insights}: {error}");
            }
            (got, want) => panic!("{insights}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn insight_selectors_need_the_events_they_analyse() {
        const INVALID: &str = "InvalidInsightSelectorsException";
        let default = TrailSelectors::default_for_new_trail();
        let read_only = trail(json!([{"ReadWriteType":"ReadOnly"}]));
        let data_only = trail(json!([{"IncludeManagementEvents":false,
            "DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]));
        let call_rate = json!([{"InsightType":"ApiCallRateInsight"}]);
        let error_rate = json!([{"InsightType":"ApiErrorRateInsight"}]);
        let on_data = json!([{"InsightType":"ApiCallRateInsight","EventCategories":["Data"]}]);
        let cases = [
            (json!([]), &default, Ok(())),
            (call_rate.clone(), &default, Ok(())),
            (
                json!([{"InsightType":"ApiCallRateInsight","EventCategories":["Management"]},
                {"InsightType":"ApiErrorRateInsight"}]),
                &default,
                Ok(()),
            ),
            (
                call_rate.clone(),
                &read_only,
                Err((INVALID, "requires the trail to log write management events")),
            ),
            (error_rate.clone(), &read_only, Ok(())),
            (
                error_rate.clone(),
                &data_only,
                Err((INVALID, "requires the trail to log management events")),
            ),
            (
                on_data.clone(),
                &default,
                Err((INVALID, "requires the trail to log data events")),
            ),
            (on_data.clone(), &data_only, Ok(())),
            (
                json!([{"InsightType":"ApiCallRateInsight","EventCategories":["Management","Data"]}]),
                &data_only,
                Err((INVALID, "write management events")),
            ),
            (
                json!([{"InsightType":"ApiCallRate"}]),
                &default,
                Err((INVALID, "Value ApiCallRate for InsightType is invalid.")),
            ),
            (
                json!([{}]),
                &default,
                Err((INVALID, "InsightType must be specified")),
            ),
            (
                json!([{"InsightType":"ApiCallRateInsight","EventCategories":[]}]),
                &default,
                Err((INVALID, "EventCategories must contain")),
            ),
            (
                json!([{"InsightType":"ApiCallRateInsight","EventCategories":["Insight"]}]),
                &default,
                Err((INVALID, "Value Insight for EventCategories is invalid.")),
            ),
            (
                json!([{"InsightType":"ApiCallRateInsight"},{"InsightType":"ApiCallRateInsight"}]),
                &default,
                Err((INVALID, "more than once")),
            ),
            (
                json!({"InsightType":"ApiCallRateInsight"}),
                &default,
                Err(("SerializationException", "InsightSelectors")),
            ),
        ];
        for (insights, trail, expected) in cases {
            check(insights, trail, expected);
        }
    }
}
