//! Topic tags: ListTagsForResource, TagResource, UntagResource, and the tag rules CreateTopic
//! shares (key 1 to 128 characters, value up to 256, no `aws:` prefix, at most 50 per topic).

use serde_json::Value;

use crate::error::ApiError;
use crate::query::Tag;
use crate::store::TopicRecord;
use crate::topics::caller_topic_arn;
use crate::xml::XmlWriter;
use crate::{Call, Inner, Outcome};

/// Tags per topic (SNS's quota).
const MAX_TAGS: usize = 50;

/// Checks the tags of one request.
pub(crate) fn check_tags(tags: &[Tag]) -> Result<(), ApiError> {
    for (index, tag) in tags.iter().enumerate() {
        let key_len = tag.key.chars().count();
        if key_len == 0 || key_len > 128 || tag.value.chars().count() > 256 {
            return Err(ApiError::invalid_parameter(format!(
                "Tags Reason: tag {:?} has a key of 1 to 128 characters and a value of at most 256",
                tag.key
            )));
        }
        if tag.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::invalid_parameter(format!(
                "Tags Reason: tag key {:?} uses the reserved prefix aws:",
                tag.key
            )));
        }
        if tags[..index].iter().any(|earlier| earlier.key == tag.key) {
            return Err(ApiError::invalid_parameter_message(
                "Invalid parameter: Duplicated keys are not allowed.",
            ));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(ApiError::tag_limit_exceeded());
    }
    Ok(())
}

impl Inner {
    /// The caller's topic named by `ResourceArn` (`ResourceNotFound` when it does not exist).
    fn tagged_topic(&self, call: &Call<'_>, action: &str) -> Result<TopicRecord, ApiError> {
        let arn_text = call.input.required("ResourceArn")?;
        let arn = caller_topic_arn(call, arn_text, "ResourceArn", action)?;
        self.lock_store()
            .topic(&arn)?
            .ok_or_else(ApiError::resource_not_found)
    }

    pub(crate) fn list_tags_for_resource(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let topic = self.tagged_topic(call, "ListTagsForResource")?;
        let tags = self.lock_store().topic_tags(&topic.arn)?;
        let mut w = XmlWriter::new();
        w.element("Tags", |w| {
            for tag in &tags {
                w.element("member", |w| {
                    w.leaf("Key", &tag.key).leaf("Value", &tag.value);
                });
            }
        });
        Ok(Outcome {
            result: Some(w.finish()),
            response_elements: Value::Null,
        })
    }

    pub(crate) fn tag_resource(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let topic = self.tagged_topic(call, "TagResource")?;
        let tags = call.input.tags("Tags")?;
        check_tags(&tags)?;
        let mut store = self.lock_store();
        let stored = store.topic_tags(&topic.arn)?;
        let added = tags
            .iter()
            .filter(|tag| !stored.iter().any(|s| s.key == tag.key))
            .count();
        if stored.len() + added > MAX_TAGS {
            return Err(ApiError::tag_limit_exceeded());
        }
        store.upsert_tags(&topic.arn, &tags)?;
        Ok(Outcome {
            result: Some(String::new()),
            response_elements: Value::Null,
        })
    }

    pub(crate) fn untag_resource(&self, call: &Call<'_>) -> Result<Outcome, ApiError> {
        let topic = self.tagged_topic(call, "UntagResource")?;
        let keys = call.input.string_list("TagKeys")?;
        self.lock_store().remove_tags(&topic.arn, &keys)?;
        Ok(Outcome {
            result: Some(String::new()),
            response_elements: Value::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn tag_rules() {
        let check = |tags: Vec<Tag>, expected_code: Option<&str>| {
            assert_eq!(
                check_tags(&tags).err().map(|e| e.code),
                expected_code,
                "{tags:?}"
            );
        };
        check(vec![tag("team", "ops"), tag("empty", "")], None);
        check(vec![tag("", "v")], Some("InvalidParameter"));
        check(vec![tag(&"k".repeat(129), "v")], Some("InvalidParameter"));
        check(vec![tag("k", &"v".repeat(257))], Some("InvalidParameter"));
        check(vec![tag("aws:owner", "v")], Some("InvalidParameter"));
        check(vec![tag("k", "1"), tag("k", "2")], Some("InvalidParameter"));
        check(
            (0..51).map(|i| tag(&format!("k{i}"), "v")).collect(),
            Some("TagLimitExceeded"),
        );
    }
}
