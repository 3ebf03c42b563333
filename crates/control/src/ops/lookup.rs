//! How a request finds its trail, and the region-wide rules: shadow trails, home regions, name
//! uniqueness and the 5-trails-per-region quota.
//!
//! A multi-Region trail lives in its home region and appears as a shadow trail in every other
//! region, so a region "has" its own trails plus every multi-Region trail of the account. Names
//! are unique among the trails a region has, and the quota counts them all, as AWS does.

use std::collections::BTreeSet;

use crate::CallContext;
use crate::error::ApiError;
use crate::model::TrailRecord;
use crate::names::{TrailArn, TrailName, TrailRef};

/// Trails per region per account, shadow trails included.
pub const MAX_TRAILS_PER_REGION: usize = 5;

/// What the caller intends to do with the trail it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read settings: a bare name finds the region's own trails and shadow trails; an ARN finds
    /// any trail of the account.
    Read,
    /// Read status: as `Read`, except that a bare name finds only the region's own trails
    /// (a shadow trail's status needs its ARN).
    ReadOwnByName,
    /// Change the trail: allowed only from its home region (`InvalidHomeRegionException`).
    Write,
}

/// Finds the trail `reference` denotes among the caller's `trails`.
pub fn resolve<'t>(
    trails: &'t [TrailRecord],
    ctx: &CallContext,
    reference: &TrailRef,
    access: Access,
) -> Result<&'t TrailRecord, ApiError> {
    let found = match reference {
        TrailRef::Name(name) => trails.iter().find(|t| {
            let reachable = match access {
                Access::ReadOwnByName => t.arn.home_region == ctx.region,
                Access::Read | Access::Write => t.is_visible_in(&ctx.region),
            };
            t.arn.name == *name && reachable
        }),
        TrailRef::Arn(arn) => trails
            .iter()
            .find(|t| t.arn == *arn && arn.account_id == ctx.account_id),
    };
    let Some(trail) = found else {
        let arn = reference.as_arn(&ctx.account_id, &ctx.region);
        return Err(ApiError::trail_not_found(&arn.to_string(), &ctx.account_id));
    };
    if access == Access::Write && trail.arn.home_region != ctx.region {
        return Err(ApiError::invalid_home_region(
            &trail.arn.to_string(),
            &trail.arn.home_region,
            &ctx.region,
        ));
    }
    Ok(trail)
}

/// `TrailAlreadyExistsException` unless `name` is free where a trail homed in the caller's region
/// (multi-Region or not, as `multi_region` says) would be seen. `replacing` is left out of the
/// comparison (UpdateTrail turning a trail multi-Region).
pub fn check_name_free(
    trails: &[TrailRecord],
    ctx: &CallContext,
    name: &TrailName,
    multi_region: bool,
    replacing: Option<&TrailArn>,
) -> Result<(), ApiError> {
    let clash = trails
        .iter()
        .filter(|t| Some(&t.arn) != replacing)
        .any(|t| t.arn.name == *name && (multi_region || t.is_visible_in(&ctx.region)));
    match clash {
        true => Err(ApiError::trail_already_exists(
            name.as_str(),
            &ctx.account_id,
        )),
        false => Ok(()),
    }
}

/// `MaximumNumberOfTrailsExceededException` unless one more trail homed in the caller's region
/// fits: in that region, and, for a multi-Region trail, in every region the account uses.
pub fn check_room(
    trails: &[TrailRecord],
    ctx: &CallContext,
    multi_region: bool,
    replacing: Option<&TrailArn>,
) -> Result<(), ApiError> {
    let others: Vec<&TrailRecord> = trails
        .iter()
        .filter(|t| Some(&t.arn) != replacing)
        .collect();
    let mut regions: BTreeSet<&str> = BTreeSet::from([ctx.region.as_str()]);
    if multi_region {
        regions.extend(others.iter().map(|t| t.arn.home_region.as_str()));
    }
    for region in regions {
        let count = others.iter().filter(|t| t.is_visible_in(region)).count();
        if count >= MAX_TRAILS_PER_REGION {
            return Err(ApiError::too_many_trails(
                &ctx.account_id,
                region,
                MAX_TRAILS_PER_REGION,
            ));
        }
    }
    Ok(())
}
