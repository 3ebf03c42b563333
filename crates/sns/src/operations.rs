//! The catalogue of every action of SNS API 2010-03-31 and whether each is read-only (the
//! `readOnly` of the self-audit record). Which of them OpenTrail implements is decided by the
//! dispatch in `lib.rs`, not here.

/// Every action of `sns` 2010-03-31 (botocore 1.44 model), sorted.
pub const ALL_OPERATIONS: [&str; 42] = [
    "AddPermission",
    "CheckIfPhoneNumberIsOptedOut",
    "ConfirmSubscription",
    "CreatePlatformApplication",
    "CreatePlatformEndpoint",
    "CreateSMSSandboxPhoneNumber",
    "CreateTopic",
    "DeleteEndpoint",
    "DeletePlatformApplication",
    "DeleteSMSSandboxPhoneNumber",
    "DeleteTopic",
    "GetDataProtectionPolicy",
    "GetEndpointAttributes",
    "GetPlatformApplicationAttributes",
    "GetSMSAttributes",
    "GetSMSSandboxAccountStatus",
    "GetSubscriptionAttributes",
    "GetTopicAttributes",
    "ListEndpointsByPlatformApplication",
    "ListOriginationNumbers",
    "ListPhoneNumbersOptedOut",
    "ListPlatformApplications",
    "ListSMSSandboxPhoneNumbers",
    "ListSubscriptions",
    "ListSubscriptionsByTopic",
    "ListTagsForResource",
    "ListTopics",
    "OptInPhoneNumber",
    "Publish",
    "PublishBatch",
    "PutDataProtectionPolicy",
    "RemovePermission",
    "SetEndpointAttributes",
    "SetPlatformApplicationAttributes",
    "SetSMSAttributes",
    "SetSubscriptionAttributes",
    "SetTopicAttributes",
    "Subscribe",
    "TagResource",
    "Unsubscribe",
    "UntagResource",
    "VerifySMSSandboxPhoneNumber",
];

/// Whether `action` only reads; `None` when it is not an SNS action.
pub fn is_read_only(action: &str) -> Option<bool> {
    ALL_OPERATIONS.binary_search(&action).ok()?;
    Some(action.starts_with("Get") || action.starts_with("List") || action.starts_with("Check"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_sorted_and_classified() {
        assert!(ALL_OPERATIONS.windows(2).all(|pair| pair[0] < pair[1]));
        let check = |action: &str, expected: Option<bool>| {
            assert_eq!(is_read_only(action), expected, "{action}");
        };
        check("ListTopics", Some(true));
        check("GetTopicAttributes", Some(true));
        check("CheckIfPhoneNumberIsOptedOut", Some(true));
        check("Publish", Some(false));
        check("ConfirmSubscription", Some(false));
        check("DescribeTopics", None);
        check("", None);
    }
}
