//! PutEventSelectors, GetEventSelectors, PutInsightSelectors and GetInsightSelectors on trails.
//!
//! Parsing and validation of the selectors themselves belong to the selectors crate; this module
//! resolves the trail, enforces the home region, stores what the crate accepted and renders it.
//! The event-data-store form of the Insights operations is not served (Lake is not part of the
//! control plane): it answers `UnsupportedOperationException`.

use opentrail_selectors::{SelectorError, parse_insight_selectors, parse_put_event_selectors};
use serde_json::{Value, json};

use super::lookup::{Access, resolve};
use crate::error::ApiError;
use crate::input::Input;
use crate::model::TrailRecord;
use crate::names::TrailRef;
use crate::{CallContext, ControlPlane};

fn selector_error(error: SelectorError) -> ApiError {
    ApiError::new(error.code(), error.to_string())
}

/// `{"TrailARN": .., "EventSelectors"|"AdvancedEventSelectors": [..]}`.
fn event_selectors_response(trail: &TrailRecord) -> Value {
    let mut out = trail.selectors.to_json();
    out["TrailARN"] = json!(trail.arn.to_string());
    out
}

/// `{"TrailARN": .., "InsightSelectors": [..]}`.
fn insight_selectors_response(trail: &TrailRecord) -> Value {
    json!({ "TrailARN": trail.arn.to_string(), "InsightSelectors": trail.insight_selectors })
}

/// The trail an Insights request names: `TrailName` alone (the event-data-store members are
/// exclusive with it and not served here).
fn insights_trail_reference(input: &Input<'_>, eds_members: &[&str]) -> Result<TrailRef, ApiError> {
    let trail_name = input.optional_str("TrailName")?;
    let eds_given = eds_members.iter().any(|m| input.raw(m).is_some());
    match (trail_name, eds_given) {
        (Some(_), true) => Err(ApiError::invalid_parameter_combination(
            "TrailName cannot be combined with EventDataStore or InsightsDestination.",
        )),
        (Some(name), false) => TrailRef::parse(name),
        (None, true) => Err(ApiError::unsupported_operation(
            "Insights on event data stores are not supported by this OpenTrail server; use TrailName.",
        )),
        (None, false) => Err(ApiError::invalid_parameter_combination(
            "You must specify TrailName or EventDataStore.",
        )),
    }
}

impl ControlPlane {
    /// PutEventSelectors: replaces the trail's basic or advanced selectors.
    pub(crate) fn put_event_selectors(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let reference = TrailRef::parse(input.required_str("TrailName")?)?;
        let store = self.lock_store();
        let trails = store.account_trails(&ctx.account_id)?;
        let mut trail = resolve(&trails, ctx, &reference, Access::Write)?.clone();
        trail.selectors = parse_put_event_selectors(
            input.raw("EventSelectors"),
            input.raw("AdvancedEventSelectors"),
        )
        .map_err(selector_error)?;
        store.update_trail(&trail)?;
        self.bump_generation();
        Ok(event_selectors_response(&trail))
    }

    /// GetEventSelectors.
    pub(crate) fn get_event_selectors(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let reference = TrailRef::parse(input.required_str("TrailName")?)?;
        let trails = self.lock_store().account_trails(&ctx.account_id)?;
        let trail = resolve(&trails, ctx, &reference, Access::Read)?;
        Ok(event_selectors_response(trail))
    }

    /// PutInsightSelectors: sets the trail's Insights types; an empty list turns Insights off.
    pub(crate) fn put_insight_selectors(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let selectors = input.required_list("InsightSelectors")?;
        let reference =
            insights_trail_reference(input, &["EventDataStore", "InsightsDestination"])?;
        let store = self.lock_store();
        let trails = store.account_trails(&ctx.account_id)?;
        let mut trail = resolve(&trails, ctx, &reference, Access::Write)?.clone();
        let selectors = Value::Array(selectors.clone());
        trail.insight_selectors =
            parse_insight_selectors(&selectors, &trail.selectors).map_err(selector_error)?;
        if !trail.insight_selectors.is_empty() {
            self.check_bucket(ctx, &trail)?;
        }
        store.update_trail(&trail)?;
        self.bump_generation();
        Ok(insight_selectors_response(&trail))
    }

    /// GetInsightSelectors: `InsightNotEnabledException` when the trail has none.
    pub(crate) fn get_insight_selectors(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let reference = insights_trail_reference(input, &["EventDataStore"])?;
        let trails = self.lock_store().account_trails(&ctx.account_id)?;
        let trail = resolve(&trails, ctx, &reference, Access::Read)?;
        if trail.insight_selectors.is_empty() {
            return Err(ApiError::insight_not_enabled(&trail.arn.to_string()));
        }
        Ok(insight_selectors_response(trail))
    }
}
