//! Log group operations: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, PutRetentionPolicy,
//! DeleteRetentionPolicy, and [`GroupSelector`], the `logGroupName` / `logGroupIdentifier` pair
//! that the stream and event operations accept.
//!
//! Not supported (refused rather than ignored, so nobody relies on them): deletion protection,
//! cross-account listing (linked accounts are accepted and contribute nothing).

use serde_json::{Map, Value, json};

use crate::Shared;
use crate::error::LogsApiError;
use crate::input::{
    ENUM_TEXT, KMS_KEY_ID, LOG_GROUP_IDENTIFIER, LOG_GROUP_NAME, LOG_GROUP_NAME_PATTERN,
    LOG_GROUP_NAME_PREFIX, NEXT_TOKEN, Request, TAG_KEY, TAG_VALUE,
};
use crate::names::{Scope, is_reserved_group_name};
use crate::store;
use crate::store::groups::{GroupRow, NewGroup};
use crate::tokens::page_of;

/// The retention periods PutRetentionPolicy accepts, in days.
pub(crate) const RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The model's `LogGroupClass` values.
const LOG_GROUP_CLASSES: [&str; 4] = ["STANDARD", "INFREQUENT_ACCESS", "DELIVERY", "ESSENTIALS"];

/// Most tags a log group may carry.
const MAX_TAGS: usize = 50;

/// Most groups one DescribeLogGroups page holds (also the default).
const DESCRIBE_LIMIT: i64 = 50;

/// `logGroupName` or `logGroupIdentifier` (a name or an ARN), exactly one of them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupSelector<'a> {
    name: Option<&'a str>,
    identifier: Option<&'a str>,
}

impl<'a> GroupSelector<'a> {
    /// Reads both members (their own constraints are checked by `request`).
    pub fn read(request: &mut Request<'a>) -> Result<Self, LogsApiError> {
        Ok(GroupSelector {
            name: request.string("logGroupName", LOG_GROUP_NAME)?,
            identifier: request.string("logGroupIdentifier", LOG_GROUP_IDENTIFIER)?,
        })
    }

    /// The group name selected in this scope. An ARN of another account or region selects no
    /// group here (cross-account observability is not supported).
    pub fn resolve(self, scope: Scope<'_>) -> Result<&'a str, LogsApiError> {
        match (self.name, self.identifier) {
            (Some(_), Some(_)) => Err(LogsApiError::new(
                "ValidationException",
                "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
            )),
            (None, None) => Err(LogsApiError::invalid_parameter(
                "Either logGroupName or logGroupIdentifier must be specified.",
            )),
            (Some(name), None) => Ok(name),
            (None, Some(identifier)) if identifier.starts_with("arn:") => scope
                .group_name_from_arn(identifier)
                .ok_or_else(LogsApiError::group_not_found),
            (None, Some(identifier)) => Ok(identifier),
        }
    }
}

/// Loads a group or answers AWS's "does not exist".
pub(crate) fn existing_group(
    connection: &rusqlite::Connection,
    scope: Scope<'_>,
    name: &str,
) -> Result<GroupRow, LogsApiError> {
    store::groups::find_group(connection, scope, name)?.ok_or_else(LogsApiError::group_not_found)
}

/// A required member's value once `finish` has passed.
pub(crate) fn required<T>(value: Option<T>) -> T {
    value.expect("a required member is present once validation passed")
}

/// CreateLogGroup.
pub(crate) fn create_log_group(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let name = request.required_string("logGroupName", LOG_GROUP_NAME)?;
    let kms_key_id = request.string("kmsKeyId", KMS_KEY_ID)?;
    let tags = read_tags(&mut request)?;
    let class = request.string("logGroupClass", ENUM_TEXT)?;
    request
        .violations()
        .one_of("logGroupClass", class, &LOG_GROUP_CLASSES);
    let deletion_protection = request.boolean("deletionProtectionEnabled")?;
    request.finish()?;
    let name = required(name);
    if is_reserved_group_name(name) {
        return Err(LogsApiError::invalid_parameter(
            "Log groups starting with AWS/ are reserved for AWS.",
        ));
    }
    if deletion_protection == Some(true) {
        return Err(LogsApiError::invalid_parameter(
            "deletionProtectionEnabled is not supported by OpenTrail",
        ));
    }
    let group = NewGroup {
        name,
        creation_time: shared.now_ms(),
        kms_key_id,
        log_group_class: class.unwrap_or("STANDARD"),
        tags,
    };
    if !store::groups::insert_group(&shared.write(), scope, &group)? {
        return Err(LogsApiError::new(
            "ResourceAlreadyExistsException",
            "The specified log group already exists",
        ));
    }
    Ok(json!({}))
}

/// Checks `tags` and returns them as a JSON object text.
fn read_tags(request: &mut Request<'_>) -> Result<Option<String>, LogsApiError> {
    let Some(tags) = request.map("tags")? else {
        return Ok(None);
    };
    if tags.is_empty() || tags.len() > MAX_TAGS {
        let constraint = format!("must have length between 1 and {MAX_TAGS}");
        request.violations().push(
            Some(&Value::Object(tags.clone()).to_string()),
            "tags",
            &constraint,
        );
    }
    for (key, value) in tags {
        request
            .violations()
            .string("tags.key", Some(&Value::String(key.clone())), TAG_KEY)?;
        request
            .violations()
            .string("tags.value", Some(value), TAG_VALUE)?;
    }
    Ok(Some(Value::Object(tags.clone()).to_string()))
}

/// DeleteLogGroup: the group goes with its streams, events and metric filters.
pub(crate) fn delete_log_group(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let name = request.required_string("logGroupName", LOG_GROUP_NAME)?;
    request.finish()?;
    let mut connection = shared.write();
    let group = existing_group(&connection, scope, required(name))?;
    let transaction = connection.transaction()?;
    store::groups::delete_group(&transaction, group.id)?;
    transaction.commit()?;
    shared.filters.invalidate(group.id);
    Ok(json!({}))
}

/// What DescribeLogGroups filters on.
#[derive(Debug, Default)]
struct GroupQuery<'a> {
    prefix: Option<&'a str>,
    pattern: Option<&'a str>,
    names: Option<Vec<&'a str>>,
    class: Option<&'a str>,
}

impl GroupQuery<'_> {
    fn accepts(&self, group: &GroupRow) -> bool {
        let by_prefix = self
            .prefix
            .is_none_or(|prefix| group.name.starts_with(prefix));
        let by_pattern = self
            .pattern
            .is_none_or(|pattern| group.name.contains(pattern));
        let by_name = self
            .names
            .as_ref()
            .is_none_or(|names| names.contains(&group.name.as_str()));
        let by_class = self
            .class
            .is_none_or(|class| same_class_family(class, &group.log_group_class));
        by_prefix && by_pattern && by_name && by_class
    }
}

/// "If you specify either INFREQUENT_ACCESS or ESSENTIALS, the results include log groups in both".
fn same_class_family(wanted: &str, class: &str) -> bool {
    let reduced = |class: &str| matches!(class, "INFREQUENT_ACCESS" | "ESSENTIALS");
    wanted == class || (reduced(wanted) && reduced(class))
}

/// DescribeLogGroups: the scope's groups in ASCII order of name.
pub(crate) fn describe_log_groups(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let prefix = request.string("logGroupNamePrefix", LOG_GROUP_NAME_PREFIX)?;
    let pattern = request.string("logGroupNamePattern", LOG_GROUP_NAME_PATTERN)?;
    let identifiers = read_identifiers(&mut request)?;
    let class = request.string("logGroupClass", ENUM_TEXT)?;
    request
        .violations()
        .one_of("logGroupClass", class, &LOG_GROUP_CLASSES);
    let token = request.string("nextToken", NEXT_TOKEN)?;
    let limit = request.integer("limit", Some(1), Some(DESCRIBE_LIMIT))?;
    request.boolean("includeLinkedAccounts")?;
    request.list("accountIdentifiers", 0, 20)?;
    request.finish()?;
    if prefix.is_some() && pattern.is_some() {
        return Err(LogsApiError::invalid_parameter(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        ));
    }
    if identifiers.is_some() && (prefix.is_some() || pattern.is_some()) {
        return Err(LogsApiError::invalid_parameter(
            "logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern.",
        ));
    }
    let names = identifiers.map(|identifiers| {
        identifiers
            .into_iter()
            .filter_map(|identifier| match identifier.starts_with("arn:") {
                true => scope.group_name_from_arn(identifier),
                false => Some(identifier),
            })
            .collect()
    });
    let query = GroupQuery {
        prefix,
        pattern,
        names,
        class,
    };
    let groups: Vec<GroupRow> = store::groups::list_groups(&shared.read(), scope)?
        .into_iter()
        .filter(|group| query.accepts(group))
        .collect();
    let limit = limit.unwrap_or(DESCRIBE_LIMIT) as usize;
    let (page, next) = page_of(groups, |group| group.name.clone(), false, token, limit)?;
    let brief = pattern.is_some();
    let log_groups: Vec<Value> = page
        .iter()
        .map(|group| group_json(scope, group, brief))
        .collect();
    let mut output = json!({ "logGroups": log_groups });
    if let Some(next) = next {
        output["nextToken"] = Value::String(next);
    }
    Ok(output)
}

fn read_identifiers<'a>(request: &mut Request<'a>) -> Result<Option<Vec<&'a str>>, LogsApiError> {
    let Some(items) = request.list("logGroupIdentifiers", 1, 50)? else {
        return Ok(None);
    };
    let mut identifiers = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let path = format!("logGroupIdentifiers.{}.member", index + 1);
        identifiers.extend(
            request
                .violations()
                .string(&path, Some(item), LOG_GROUP_IDENTIFIER)?,
        );
    }
    Ok(Some(identifiers))
}

/// One `LogGroup`; with `logGroupNamePattern` AWS returns only the naming members (observed:
/// arn, creationTime, logGroupArn, logGroupClass, logGroupName, metricFilterCount).
fn group_json(scope: Scope<'_>, group: &GroupRow, brief: bool) -> Value {
    let mut object = Map::new();
    object.insert("logGroupName".into(), json!(group.name));
    object.insert("creationTime".into(), json!(group.creation_time));
    if let (Some(days), false) = (group.retention_days, brief) {
        object.insert("retentionInDays".into(), json!(days));
    }
    object.insert("metricFilterCount".into(), json!(group.metric_filter_count));
    object.insert(
        "arn".into(),
        json!(scope.group_arn_with_wildcard(&group.name)),
    );
    if !brief {
        object.insert("storedBytes".into(), json!(group.stored_bytes));
        if let Some(key) = &group.kms_key_id {
            object.insert("kmsKeyId".into(), json!(key));
        }
        object.insert("deletionProtectionEnabled".into(), json!(false));
    }
    object.insert("logGroupClass".into(), json!(group.log_group_class));
    object.insert("logGroupArn".into(), json!(scope.group_arn(&group.name)));
    Value::Object(object)
}

/// PutRetentionPolicy.
pub(crate) fn put_retention_policy(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let name = request.required_string("logGroupName", LOG_GROUP_NAME)?;
    let days = request.integer("retentionInDays", None, None)?;
    request.violations().require("retentionInDays", &days);
    if let Some(days) = days.filter(|days| !RETENTION_DAYS.contains(days)) {
        let allowed: Vec<String> = RETENTION_DAYS.iter().map(i64::to_string).collect();
        let constraint = format!("must satisfy enum value set: [{}]", allowed.join(", "));
        request
            .violations()
            .push(Some(&days.to_string()), "retentionInDays", &constraint);
    }
    request.finish()?;
    let connection = shared.write();
    let group = existing_group(&connection, scope, required(name))?;
    store::groups::set_retention(&connection, group.id, days)?;
    Ok(json!({}))
}

/// DeleteRetentionPolicy: events never expire again.
pub(crate) fn delete_retention_policy(
    shared: &Shared,
    scope: Scope<'_>,
    input: &Value,
) -> Result<Value, LogsApiError> {
    let mut request = Request::new(input)?;
    let name = request.required_string("logGroupName", LOG_GROUP_NAME)?;
    request.finish()?;
    let connection = shared.write();
    let group = existing_group(&connection, scope, required(name))?;
    store::groups::set_retention(&connection, group.id, None)?;
    Ok(json!({}))
}
