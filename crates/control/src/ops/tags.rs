//! AddTags, RemoveTags and ListTags on trails, and the tag-list rules CreateTrail shares.
//!
//! Tagged resources are named by ARN only. A trail ARN the caller cannot reach (another account,
//! or no such trail) is `CloudTrailARNInvalidException` "You must specify an ARN that the caller
//! account can access.", which is what AWS answers. Event data store, channel and dashboard ARNs
//! are well-formed but name nothing here (Lake is not part of the control plane yet).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::input::Input;
use crate::model::TrailRecord;
use crate::names::TrailArn;
use crate::validate::{self, Tag};
use crate::{CallContext, ControlPlane};

/// Tags per resource.
pub const MAX_TAGS_PER_RESOURCE: usize = 50;
/// `TagsList` entries per request (the model's `max`).
const MAX_TAGS_PER_REQUEST: usize = 200;
/// `ResourceIdList` entries per ListTags request.
const MAX_LIST_TAGS_RESOURCES: usize = 20;

impl ControlPlane {
    /// AddTags: adds tags, overwriting the values of existing keys; at most 50 per trail.
    pub(crate) fn add_tags(&self, ctx: &CallContext, input: &Input<'_>) -> Result<Value, ApiError> {
        let resource_id = input.required_str("ResourceId")?;
        let tags = parse_tag_list(input.required_list("TagsList")?)?;
        let mut store = self.lock_store();
        let trails = store.account_trails(&ctx.account_id)?;
        let arn = tagged_trail(&trails, ctx, resource_id)?.arn.clone();
        check_tag_count(resource_id, &store.tags(&arn)?, &tags)?;
        store.put_tags(&arn, &tags)?;
        Ok(json!({}))
    }

    /// RemoveTags: removes tags by key.
    pub(crate) fn remove_tags(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let resource_id = input.required_str("ResourceId")?;
        let tags = parse_tag_list(input.required_list("TagsList")?)?;
        let mut store = self.lock_store();
        let trails = store.account_trails(&ctx.account_id)?;
        let arn = tagged_trail(&trails, ctx, resource_id)?.arn.clone();
        let keys: Vec<&str> = tags.iter().map(|t| t.key.as_str()).collect();
        store.remove_tags(&arn, &keys)?;
        Ok(json!({}))
    }

    /// ListTags: the tags of up to 20 trails.
    pub(crate) fn list_tags(
        &self,
        ctx: &CallContext,
        input: &Input<'_>,
    ) -> Result<Value, ApiError> {
        let resource_ids = input.optional_string_list("ResourceIdList")?.ok_or_else(|| {
            ApiError::invalid_parameter(
                "1 validation error detected: Value null at 'resourceIdList' failed to satisfy constraint: Member must not be null",
            )
        })?;
        if resource_ids.len() > MAX_LIST_TAGS_RESOURCES {
            return Err(ApiError::invalid_parameter(format!(
                "ResourceIdList has {} ARNs; the limit is {MAX_LIST_TAGS_RESOURCES}.",
                resource_ids.len()
            )));
        }
        let store = self.lock_store();
        let trails = store.account_trails(&ctx.account_id)?;
        let mut listed = Vec::new();
        for resource_id in resource_ids {
            let arn = &tagged_trail(&trails, ctx, resource_id)?.arn;
            let tags: Vec<Value> = store.tags(arn)?.iter().map(tag_json).collect();
            listed.push(json!({ "ResourceId": resource_id, "TagsList": tags }));
        }
        Ok(json!({ "ResourceTagList": listed }))
    }
}

fn tag_json(tag: &Tag) -> Value {
    match &tag.value {
        Some(value) => json!({ "Key": tag.key, "Value": value }),
        None => json!({ "Key": tag.key }),
    }
}

/// Parses and checks a `TagsList`: each entry `{Key, Value?}` valid, no key twice.
pub fn parse_tag_list(items: &[Value]) -> Result<Vec<Tag>, ApiError> {
    if items.len() > MAX_TAGS_PER_REQUEST {
        return Err(ApiError::invalid_parameter(format!(
            "TagsList has {} entries; the limit is {MAX_TAGS_PER_REQUEST}.",
            items.len()
        )));
    }
    let mut tags: Vec<Tag> = Vec::with_capacity(items.len());
    for item in items {
        let tag = parse_tag(item)?;
        validate::tag(&tag)?;
        if tags.iter().any(|t| t.key == tag.key) {
            return Err(ApiError::invalid_tag(format!(
                "Tag key {:?} appears more than once.",
                tag.key
            )));
        }
        tags.push(tag);
    }
    Ok(tags)
}

fn parse_tag(item: &Value) -> Result<Tag, ApiError> {
    let wrong = || {
        ApiError::invalid_parameter(
            "Each TagsList entry must be an object with a string Key and an optional string Value.",
        )
    };
    let Value::Object(members) = item else {
        return Err(wrong());
    };
    let key = match members.get("Key") {
        Some(Value::String(key)) => key.clone(),
        None | Some(Value::Null) => return Err(ApiError::invalid_tag("Tag key must not be null.")),
        Some(_) => return Err(wrong()),
    };
    let value = match members.get("Value") {
        Some(Value::String(value)) => Some(value.clone()),
        None | Some(Value::Null) => None,
        Some(_) => return Err(wrong()),
    };
    Ok(Tag { key, value })
}

/// `TagsLimitExceededException` when `existing` plus `adding` would hold more than 50 keys.
pub fn check_tag_count(resource: &str, existing: &[Tag], adding: &[Tag]) -> Result<(), ApiError> {
    let keys: BTreeSet<&str> = existing
        .iter()
        .chain(adding)
        .map(|t| t.key.as_str())
        .collect();
    match keys.len() > MAX_TAGS_PER_RESOURCE {
        true => Err(ApiError::tags_limit_exceeded(
            resource,
            MAX_TAGS_PER_RESOURCE,
        )),
        false => Ok(()),
    }
}

/// The trail a tag operation's `ResourceId` names.
fn tagged_trail<'t>(
    trails: &'t [TrailRecord],
    ctx: &CallContext,
    resource_id: &str,
) -> Result<&'t TrailRecord, ApiError> {
    let parts: Vec<&str> = resource_id.splitn(6, ':').collect();
    let ["arn", _partition, service, _region, _account, resource] = parts[..] else {
        return Err(ApiError::trail_arn_invalid(resource_id));
    };
    if service != "cloudtrail" {
        return Err(ApiError::new(
            "ResourceTypeNotSupportedException",
            format!(
                "Resource type of {resource_id} is not supported; tag trails by their CloudTrail ARN."
            ),
        ));
    }
    let kind = resource.split_once('/').map(|(kind, _)| kind);
    match kind {
        Some("trail") => {}
        Some("eventdatastore") => {
            return Err(not_found(
                "EventDataStoreNotFoundException",
                "event data store",
                resource_id,
            ));
        }
        Some("channel") => {
            return Err(not_found(
                "ChannelNotFoundException",
                "channel",
                resource_id,
            ));
        }
        Some("dashboard") => {
            return Err(not_found(
                "ResourceNotFoundException",
                "dashboard",
                resource_id,
            ));
        }
        _ => return Err(ApiError::trail_arn_invalid(resource_id)),
    }
    let arn = TrailArn::parse(resource_id)?;
    trails
        .iter()
        .find(|t| t.arn == arn && arn.account_id == ctx.account_id)
        .ok_or_else(ApiError::arn_not_accessible)
}

fn not_found(code: &'static str, what: &str, arn: &str) -> ApiError {
    ApiError::new(code, format!("The {what} {arn} was not found."))
}
