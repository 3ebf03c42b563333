//! The wire input of the query protocol: typed access to the decoded form parameters of one
//! request, including botocore's flattening of maps (`Attributes.entry.N.key` / `.value`), tag
//! lists (`Tags.member.N.Key` / `.Value`), string lists (`TagKeys.member.N`) and message
//! attributes (`MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` /
//! `.Value.BinaryValue`).
//!
//! It decodes nothing itself (the server hands over already percent-decoded pairs) and checks
//! only the shape of compound members; values are checked by the operations.

use std::collections::BTreeMap;

use crate::error::ApiError;

/// One tag: `Key` and `Value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// 1 to 128 characters.
    pub key: String,
    /// 0 to 256 characters.
    pub value: String,
}

/// One message attribute as sent: name, data type and exactly one of the two values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAttribute {
    /// The attribute name.
    pub name: String,
    /// `String`, `Number`, `Binary`, `String.Array` or one of those with a custom suffix.
    pub data_type: String,
    /// `StringValue`, for the String and Number types.
    pub string_value: Option<String>,
    /// `BinaryValue` as sent (base64 text), for the Binary type.
    pub binary_value: Option<String>,
}

/// The parameters of one request.
#[derive(Debug, Clone, Copy)]
pub struct QueryInput<'a> {
    params: &'a [(String, String)],
}

impl<'a> QueryInput<'a> {
    /// Wraps decoded `(name, value)` pairs.
    pub fn new(params: &'a [(String, String)]) -> Self {
        QueryInput { params }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every parameter name, in request order.
    pub fn names(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.params.iter().map(|(key, _)| key.as_str())
    }

    /// The value of a required member, or `Invalid parameter: <name>`.
    pub fn required(&self, name: &str) -> Result<&'a str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::invalid_parameter(name))
    }

    /// A boolean member (`true`/`false`, as botocore sends them).
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(text) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(text) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid_parameter(name)),
        }
    }

    /// A string-to-string map member such as `Attributes`, in index order.
    pub fn string_map(&self, member: &str) -> Result<Vec<(String, String)>, ApiError> {
        let entries = self.indexed(&format!("{member}.entry."))?;
        entries
            .into_values()
            .map(|fields| {
                let key = fields
                    .get("key")
                    .ok_or_else(|| ApiError::invalid_parameter(member))?;
                let value = fields.get("value").cloned().unwrap_or_default();
                Ok((key.clone(), value))
            })
            .collect()
    }

    /// A tag list member such as `Tags`, in index order.
    pub fn tags(&self, member: &str) -> Result<Vec<Tag>, ApiError> {
        let entries = self.indexed(&format!("{member}.member."))?;
        entries
            .into_values()
            .map(|fields| {
                let key = fields
                    .get("Key")
                    .ok_or_else(|| ApiError::invalid_parameter(member))?;
                let value = fields.get("Value").cloned().unwrap_or_default();
                Ok(Tag {
                    key: key.clone(),
                    value,
                })
            })
            .collect()
    }

    /// A list of strings such as `TagKeys` (`TagKeys.member.N`), in index order.
    pub fn string_list(&self, member: &str) -> Result<Vec<String>, ApiError> {
        let prefix = format!("{member}.member.");
        let mut items = BTreeMap::new();
        for (key, value) in self.params {
            if let Some(index) = key.strip_prefix(&prefix) {
                items.insert(parse_index(index, member)?, value.clone());
            }
        }
        Ok(items.into_values().collect())
    }

    /// The `MessageAttributes` map of Publish, in index order.
    pub fn message_attributes(&self) -> Result<Vec<MessageAttribute>, ApiError> {
        let member = "MessageAttributes";
        let entries = self.indexed(&format!("{member}.entry."))?;
        entries
            .into_values()
            .map(|mut fields| {
                let name = fields
                    .remove("Name")
                    .ok_or_else(|| ApiError::invalid_parameter(member))?;
                let data_type = fields.remove("Value.DataType").ok_or_else(|| {
                    ApiError::parameter_value_invalid(format!(
                        "The message attribute '{name}' must contain a message attribute type."
                    ))
                })?;
                Ok(MessageAttribute {
                    name,
                    data_type,
                    string_value: fields.remove("Value.StringValue"),
                    binary_value: fields.remove("Value.BinaryValue"),
                })
            })
            .collect()
    }

    /// Groups `<prefix><N>.<field>` parameters by `N`.
    fn indexed(&self, prefix: &str) -> Result<BTreeMap<u32, BTreeMap<String, String>>, ApiError> {
        let member = prefix.split('.').next().unwrap_or(prefix);
        let mut entries: BTreeMap<u32, BTreeMap<String, String>> = BTreeMap::new();
        for (key, value) in self.params {
            let Some(rest) = key.strip_prefix(prefix) else {
                continue;
            };
            let (index, field) = rest
                .split_once('.')
                .ok_or_else(|| ApiError::invalid_parameter(member))?;
            let index = parse_index(index, member)?;
            entries
                .entry(index)
                .or_default()
                .insert(field.to_owned(), value.clone());
        }
        Ok(entries)
    }
}

fn parse_index(text: &str, member: &str) -> Result<u32, ApiError> {
    match text.parse::<u32>() {
        Ok(index) if index >= 1 => Ok(index),
        _ => Err(ApiError::invalid_parameter(member)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn maps_lists_and_tags_come_back_in_index_order() {
        // The exact flattening botocore 1.44's query serializer produces.
        let params = pairs(&[
            ("Action", "CreateTopic"),
            ("Attributes.entry.2.key", "Policy"),
            ("Attributes.entry.2.value", "{}"),
            ("Attributes.entry.1.key", "DisplayName"),
            ("Attributes.entry.1.value", "d"),
            ("Tags.member.10.Key", "k10"),
            ("Tags.member.10.Value", "v10"),
            ("Tags.member.2.Key", "k2"),
            ("Tags.member.2.Value", ""),
            ("TagKeys.member.2", "b"),
            ("TagKeys.member.1", "a"),
        ]);
        let input = QueryInput::new(&params);
        assert_eq!(
            input.string_map("Attributes").unwrap(),
            vec![
                ("DisplayName".to_owned(), "d".to_owned()),
                ("Policy".to_owned(), "{}".to_owned())
            ]
        );
        let tags = input.tags("Tags").unwrap();
        assert_eq!(
            tags.iter()
                .map(|t| (t.key.as_str(), t.value.as_str()))
                .collect::<Vec<_>>(),
            vec![("k2", ""), ("k10", "v10")]
        );
        assert_eq!(input.string_list("TagKeys").unwrap(), vec!["a", "b"]);
        assert_eq!(input.get("Action"), Some("CreateTopic"));
        assert!(input.string_map("Missing").unwrap().is_empty());
    }

    #[test]
    fn message_attributes_parse_with_their_values() {
        let params = pairs(&[
            ("MessageAttributes.entry.1.Name", "n"),
            ("MessageAttributes.entry.1.Value.DataType", "Binary"),
            ("MessageAttributes.entry.1.Value.BinaryValue", "AAE="),
            ("MessageAttributes.entry.2.Name", "s"),
            ("MessageAttributes.entry.2.Value.DataType", "String"),
            ("MessageAttributes.entry.2.Value.StringValue", "x"),
        ]);
        let attributes = QueryInput::new(&params).message_attributes().unwrap();
        assert_eq!(attributes.len(), 2);
        assert_eq!(attributes[0].binary_value.as_deref(), Some("AAE="));
        assert_eq!(attributes[1].string_value.as_deref(), Some("x"));
    }

    #[test]
    fn malformed_compound_members_are_invalid_parameters() {
        let check = |items: &[(&str, &str)], expected: &str| {
            let params = pairs(items);
            let input = QueryInput::new(&params);
            let error = input
                .string_map("Attributes")
                .err()
                .or_else(|| input.tags("Tags").err())
                .or_else(|| input.boolean("ReturnSubscriptionArn").err())
                .expect("an error");
            assert_eq!(error.message, expected);
        };
        check(
            &[("Attributes.entry.1.value", "v")],
            "Invalid parameter: Attributes",
        );
        check(
            &[("Attributes.entry.x.key", "k")],
            "Invalid parameter: Attributes",
        );
        check(
            &[("Attributes.entry.0.key", "k")],
            "Invalid parameter: Attributes",
        );
        check(&[("Tags.member.1.Value", "v")], "Invalid parameter: Tags");
        check(
            &[("ReturnSubscriptionArn", "yes")],
            "Invalid parameter: ReturnSubscriptionArn",
        );
    }
}
