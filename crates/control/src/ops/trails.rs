//! CreateTrail, GetTrail, DescribeTrails, ListTrails, UpdateTrail and DeleteTrail.
//!
//! Create and Update share [`SettingsChange`]: the validated trail members of the request, where
//! an empty string removes an optional setting (prefix, topic, CloudWatch Logs, KMS key), as
//! UpdateTrail does on AWS. Checks run in this order: member shapes, organization, name clash and
//! quota, then the destinations (bucket, topic), so a bad request never touches storage.

use serde_json::{Value, json};

use super::lookup::{Access, check_name_free, check_room, resolve};
use super::tags::{check_tag_count, parse_tag_list};
use crate::error::ApiError;
use crate::input::Input;
use crate::model::TrailRecord;
use crate::names::{TrailArn, TrailName, TrailRef};
use crate::validate::{self, SnsTopic};
use crate::{CallContext, ControlPlane};

/// Trails per ListTrails page.
const LIST_TRAILS_PAGE_SIZE: usize = 50;

/// The trail members of a CreateTrail / UpdateTrail request, validated. `None` = not in the
/// request; `Some(None)` = remove the setting.
#[derive(Debug, Default)]
struct SettingsChange {
    s3_bucket_name: Option<String>,
    s3_key_prefix: Option<Option<String>>,
    sns_topic: Option<Option<SnsTopic>>,
    include_global_service_events: Option<bool>,
    is_multi_region_trail: Option<bool>,
    enable_log_file_validation: Option<bool>,
    cloudwatch_logs: Option<Option<(String, String)>>,
    kms_key_id: Option<Option<String>>,
    is_organization_trail: Option<bool>,
    recursive_logging: Option<bool>,
}

impl SettingsChange {
    fn parse(input: &Input<'_>, ctx: &CallContext) -> Result<SettingsChange, ApiError> {
        let bucket = input.optional_str("S3BucketName")?;
        if let Some(bucket) = bucket {
            validate::s3_bucket_name(bucket)?;
        }
        let prefix = input.optional_str("S3KeyPrefix")?;
        if let Some(prefix) = prefix {
            validate::s3_key_prefix(prefix)?;
        }
        let sns_topic = match input.optional_str("SnsTopicName")? {
            None => None,
            Some("") => Some(None),
            Some(topic) => Some(Some(validate::sns_topic(
                topic,
                &ctx.account_id,
                &ctx.region,
            )?)),
        };
        let change = SettingsChange {
            s3_bucket_name: bucket.map(str::to_string),
            s3_key_prefix: prefix.map(non_empty),
            sns_topic,
            include_global_service_events: input.optional_bool("IncludeGlobalServiceEvents")?,
            is_multi_region_trail: input.optional_bool("IsMultiRegionTrail")?,
            enable_log_file_validation: input.optional_bool("EnableLogFileValidation")?,
            cloudwatch_logs: cloudwatch_logs_change(input)?,
            kms_key_id: kms_key_change(input, ctx)?,
            is_organization_trail: input.optional_bool("IsOrganizationTrail")?,
            recursive_logging: input.optional_bool("RecursiveLogging")?,
        };
        if change.is_organization_trail == Some(true) {
            return Err(ApiError::organizations_not_in_use(&ctx.account_id));
        }
        Ok(change)
    }

    /// Whether the change affects what the bucket policy must allow.
    fn touches_bucket(&self) -> bool {
        self.s3_bucket_name.is_some() || self.s3_key_prefix.is_some() || self.kms_key_id.is_some()
    }

    fn apply(self, trail: &mut TrailRecord) {
        if let Some(bucket) = self.s3_bucket_name {
            trail.s3_bucket_name = bucket;
        }
        set_if_present(&mut trail.s3_key_prefix, self.s3_key_prefix);
        set_if_present(
            &mut trail.sns_topic_arn,
            self.sns_topic.map(|t| t.map(|t| t.arn)),
        );
        set_flag(
            &mut trail.include_global_service_events,
            self.include_global_service_events,
        );
        set_flag(&mut trail.is_multi_region_trail, self.is_multi_region_trail);
        set_flag(
            &mut trail.log_file_validation_enabled,
            self.enable_log_file_validation,
        );
        set_flag(&mut trail.is_organization_trail, self.is_organization_trail);
        set_flag(&mut trail.recursive_logging, self.recursive_logging);
        if let Some(pair) = self.cloudwatch_logs {
            trail.cloudwatch_logs_log_group_arn = pair.as_ref().map(|(group, _)| group.clone());
            trail.cloudwatch_logs_role_arn = pair.map(|(_, role)| role);
        }
        set_if_present(&mut trail.kms_key_id, self.kms_key_id);
    }
}

fn non_empty(text: &str) -> Option<String> {
    Some(text.to_string()).filter(|t| !t.is_empty())
}

fn set_if_present(field: &mut Option<String>, change: Option<Option<String>>) {
    if let Some(value) = change {
        *field = value;
    }
}

fn set_flag(field: &mut bool, change: Option<bool>) {
    if let Some(value) = change {
        *field = value;
    }
}

/// The CloudWatch Logs pair: a log group needs a role (`InvalidCloudWatchLogsRoleArnException`),
/// a role needs a log group (`InvalidParameterCombinationException`); empty strings remove both.
fn cloudwatch_logs_change(input: &Input<'_>) -> Result<Option<Option<(String, String)>>, ApiError> {
    let group = input.optional_str("CloudWatchLogsLogGroupArn")?;
    let role = input.optional_str("CloudWatchLogsRoleArn")?;
    match (
        group.filter(|g| !g.is_empty()),
        role.filter(|r| !r.is_empty()),
    ) {
        (Some(group), Some(role)) => {
            validate::log_group_arn(group)?;
            validate::role_arn(role)?;
            Ok(Some(Some((group.to_string(), role.to_string()))))
        }
        (Some(group), None) => {
            validate::log_group_arn(group)?;
            Err(ApiError::role_required_with_log_group())
        }
        (None, Some(_)) => Err(ApiError::invalid_parameter_combination(
            "You must specify a log group ARN (CloudWatchLogsLogGroupArn) when you specify a role ARN (CloudWatchLogsRoleArn).",
        )),
        (None, None) if group.is_some() || role.is_some() => Ok(Some(None)),
        (None, None) => Ok(None),
    }
}

fn kms_key_change(
    input: &Input<'_>,
    ctx: &CallContext,
) -> Result<Option<Option<String>>, ApiError> {
    match input.optional_str("KmsKeyId")? {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(key) => Ok(Some(Some(validate::kms_key_arn(
            key,
            &ctx.account_id,
            &ctx.region,
        )?))),
    }
}

impl ControlPlane {
    /// CreateTrail.
    pub(crate) fn create_trail(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let name = TrailName::parse(input.required_str("Name")?)?;
        let bucket = input.required_str("S3BucketName")?;
        let change = SettingsChange::parse(input, ctx)?;
        let tags = parse_tag_list(
            input
                .optional_list("TagsList")?
                .map_or(&[][..], Vec::as_slice),
        )?;
        let mut trail = new_trail(ctx, name, bucket);
        check_tag_count(&trail.arn.to_string(), &[], &tags)?;
        change.apply(&mut trail);
        let mut store = self.lock_store();
        let trails = store.account_trails(&ctx.account_id)?;
        check_name_free(
            &trails,
            ctx,
            &trail.arn.name,
            trail.is_multi_region_trail,
            None,
        )?;
        check_room(&trails, ctx, trail.is_multi_region_trail, None)?;
        self.check_bucket(ctx, &trail)?;
        self.check_topic(&trail)?;
        self.check_log_group(&trail)?;
        store.insert_trail(&trail, &tags)?;
        self.bump_generation();
        Ok(trail.to_write_response())
    }

    /// GetTrail.
    pub(crate) fn get_trail(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let reference = TrailRef::parse(input.required_str("Name")?)?;
        let trails = self.lock_store().account_trails(&ctx.account_id)?;
        let trail = resolve(&trails, ctx, &reference, Access::Read)?;
        Ok(json!({ "Trail": trail.to_trail_shape() }))
    }

    /// DescribeTrails: named trails (bare names find the region's own trails, ARNs any trail of
    /// the account; unknown ones are left out), or every trail the region has.
    pub(crate) fn describe_trails(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let names = input
            .optional_string_list("trailNameList")?
            .unwrap_or_default();
        let include_shadows = input.optional_bool("includeShadowTrails")?.unwrap_or(true);
        let references = names
            .iter()
            .map(|n| TrailRef::parse(n))
            .collect::<Result<Vec<_>, _>>()?;
        let trails = self.lock_store().account_trails(&ctx.account_id)?;
        let shown = |t: &TrailRecord| {
            t.arn.home_region == ctx.region || (include_shadows && t.is_multi_region_trail)
        };
        let selected: Vec<&TrailRecord> = if references.is_empty() {
            trails.iter().filter(|t| shown(t)).collect()
        } else {
            let mut selected: Vec<&TrailRecord> = Vec::new();
            for found in references
                .iter()
                .filter_map(|r| describe_one(&trails, ctx, r, include_shadows))
            {
                if !selected.iter().any(|t| t.arn == found.arn) {
                    selected.push(found);
                }
            }
            selected
        };
        Ok(json!({ "trailList": selected.iter().map(|t| t.to_trail_shape()).collect::<Vec<_>>() }))
    }

    /// ListTrails: every trail of the account in every region, ordered by ARN (region, then name).
    pub(crate) fn list_trails(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let token = input.optional_str("NextToken")?;
        let mut trails = self.lock_store().account_trails(&ctx.account_id)?;
        trails.sort_by_cached_key(|t| t.arn.to_string());
        let (page, next) = page_after(&trails, token, LIST_TRAILS_PAGE_SIZE)?;
        let mut out =
            json!({ "Trails": page.iter().map(TrailRecord::to_trail_info).collect::<Vec<_>>() });
        if let Some(next) = next {
            out["NextToken"] = json!(next);
        }
        Ok(out)
    }

    /// UpdateTrail: only the members present change; only from the home region.
    pub(crate) fn update_trail(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let reference = TrailRef::parse(input.required_str("Name")?)?;
        let change = SettingsChange::parse(input, ctx)?;
        let store = self.lock_store();
        let trails = store.account_trails(&ctx.account_id)?;
        let mut trail = resolve(&trails, ctx, &reference, Access::Write)?.clone();
        let becomes_multi_region =
            !trail.is_multi_region_trail && change.is_multi_region_trail == Some(true);
        let touches_bucket = change.touches_bucket();
        let touches_topic = matches!(change.sns_topic, Some(Some(_)));
        let touches_log_group = matches!(change.cloudwatch_logs, Some(Some(_)));
        change.apply(&mut trail);
        if becomes_multi_region {
            check_name_free(&trails, ctx, &trail.arn.name, true, Some(&trail.arn))?;
            check_room(&trails, ctx, true, Some(&trail.arn))?;
        }
        if touches_bucket {
            self.check_bucket(ctx, &trail)?;
        }
        if touches_topic {
            self.check_topic(&trail)?;
        }
        if touches_log_group {
            self.check_log_group(&trail)?;
        }
        store.update_trail(&trail)?;
        self.bump_generation();
        Ok(trail.to_write_response())
    }

    /// DeleteTrail: the trail, its tags and status go; objects already delivered stay.
    pub(crate) fn delete_trail(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let reference = TrailRef::parse(input.required_str("Name")?)?;
        let store = self.lock_store();
        let trails = store.account_trails(&ctx.account_id)?;
        let trail = resolve(&trails, ctx, &reference, Access::Write)?;
        store.delete_trail(&trail.arn)?;
        self.bump_generation();
        Ok(json!({}))
    }
}

/// A trail with CreateTrail's defaults: global service events on, single region, no validation,
/// recursive logging on, the default event selectors, not logging.
fn new_trail(ctx: &CallContext, name: TrailName, bucket: &str) -> TrailRecord {
    TrailRecord::with_defaults(
        TrailArn::new(&ctx.account_id, &ctx.region, name),
        bucket,
        ctx.now,
    )
}

/// One DescribeTrails entry: a bare name finds the region's own trail; an ARN finds the account's
/// trail, unless it is another region's multi-Region trail and shadows are excluded.
fn describe_one<'t>(
    trails: &'t [TrailRecord],
    ctx: &CallContext,
    reference: &TrailRef,
    include_shadows: bool,
) -> Option<&'t TrailRecord> {
    match reference {
        TrailRef::Name(name) => trails
            .iter()
            .find(|t| t.arn.name == *name && t.arn.home_region == ctx.region),
        TrailRef::Arn(arn) => trails.iter().find(|t| {
            let is_shadow_here = t.arn.home_region != ctx.region && t.is_multi_region_trail;
            t.arn == *arn
                && arn.account_id == ctx.account_id
                && (include_shadows || !is_shadow_here)
        }),
    }
}

/// The page of `sorted` trails after the one `token` names, and the token of the next page.
/// Tokens are the hex of the last trail's ARN, so a trail deleted between pages does not shift them.
fn page_after<'t>(
    sorted: &'t [TrailRecord],
    token: Option<&str>,
    page_size: usize,
) -> Result<(&'t [TrailRecord], Option<String>), ApiError> {
    let start = match token {
        None => 0,
        Some(token) => {
            let bytes = hex::decode(token).map_err(|_| ApiError::invalid_next_token())?;
            let after = String::from_utf8(bytes).map_err(|_| ApiError::invalid_next_token())?;
            sorted
                .iter()
                .position(|t| t.arn.to_string() > after)
                .unwrap_or(sorted.len())
        }
    };
    let end = (start + page_size).min(sorted.len());
    let next = (end < sorted.len()).then(|| hex::encode(sorted[end - 1].arn.to_string()));
    Ok((&sorted[start..end], next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn trail(region: &str, name: &str) -> TrailRecord {
        let ctx = CallContext {
            account_id: "123456789012".into(),
            region: region.into(),
            now: Utc::now(),
        };
        new_trail(&ctx, TrailName::parse(name).unwrap(), "bucket")
    }

    #[test]
    fn pages_follow_tokens() {
        let mut trails: Vec<TrailRecord> = ["aaa", "bbb", "ccc", "ddd", "eee"]
            .iter()
            .map(|n| trail("us-east-1", n))
            .collect();
        trails.sort_by_cached_key(|t| t.arn.to_string());
        let (first, token) = page_after(&trails, None, 2).unwrap();
        assert_eq!(first.len(), 2);
        let (second, token) = page_after(&trails, token.as_deref(), 2).unwrap();
        assert_eq!(second[0].arn.name.as_str(), "ccc");
        let (last, token) = page_after(&trails, token.as_deref(), 2).unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!(token, None);
        assert_eq!(
            page_after(&trails, Some("zz"), 2).unwrap_err().code,
            "InvalidNextTokenException"
        );
    }
}
