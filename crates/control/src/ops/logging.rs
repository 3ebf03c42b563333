//! StartLogging, StopLogging and GetTrailStatus.
//!
//! Logging is a flag with the time it last changed; starting a trail that logs (or stopping one
//! that does not) succeeds and changes nothing, times included. The delivery members of
//! GetTrailStatus come from what consumers report through
//! [`crate::ControlPlane::record_delivery_status`] and stay absent until something was delivered.

use serde_json::{Value, json};

use super::lookup::{Access, resolve};
use crate::error::ApiError;
use crate::input::Input;
use crate::names::TrailRef;
use crate::{CallContext, ControlPlane};

impl ControlPlane {
    /// StartLogging.
    pub(crate) fn start_logging(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        self.set_logging(ctx, input, true)
    }

    /// StopLogging.
    pub(crate) fn stop_logging(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        self.set_logging(ctx, input, false)
    }

    fn set_logging(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
        logging: bool,
    ) -> Result<Value, ApiError> {
        let reference = TrailRef::parse(input.required_str("Name")?)?;
        let store = self.lock_store();
        let trails = store.account_trails(&ctx.account_id)?;
        let trail = resolve(&trails, ctx, &reference, Access::Write)?;
        if store.set_logging(&trail.arn, logging, ctx.now)? {
            self.bump_generation();
        }
        Ok(json!({}))
    }

    /// GetTrailStatus: a shadow trail's status needs its ARN.
    pub(crate) fn get_trail_status(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let reference = TrailRef::parse(input.required_str("Name")?)?;
        let store = self.lock_store();
        let trails = store.account_trails(&ctx.account_id)?;
        let trail = resolve(&trails, ctx, &reference, Access::ReadOwnByName)?;
        Ok(store.status(&trail.arn)?.to_status_response())
    }
}
