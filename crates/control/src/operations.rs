//! The catalogue of all 60 operations of CloudTrail API 2013-11-01 and whether each is read-only
//! (the `readOnly` of the self-audit record). Which of them the control plane implements is
//! decided by the dispatch in `lib.rs`, not here.

/// Every operation name of `cloudtrail` 2013-11-01 (botocore 1.44 model), sorted.
pub const ALL_OPERATIONS: [&str; 60] = [
    "AddTags",
    "CancelQuery",
    "CreateChannel",
    "CreateDashboard",
    "CreateEventDataStore",
    "CreateTrail",
    "DeleteChannel",
    "DeleteDashboard",
    "DeleteEventDataStore",
    "DeleteResourcePolicy",
    "DeleteTrail",
    "DeregisterOrganizationDelegatedAdmin",
    "DescribeQuery",
    "DescribeTrails",
    "DisableFederation",
    "EnableFederation",
    "GenerateQuery",
    "GetChannel",
    "GetDashboard",
    "GetEventConfiguration",
    "GetEventDataStore",
    "GetEventSelectors",
    "GetImport",
    "GetInsightSelectors",
    "GetQueryResults",
    "GetResourcePolicy",
    "GetTrail",
    "GetTrailStatus",
    "ListChannels",
    "ListDashboards",
    "ListEventDataStores",
    "ListImportFailures",
    "ListImports",
    "ListInsightsData",
    "ListInsightsMetricData",
    "ListPublicKeys",
    "ListQueries",
    "ListTags",
    "ListTrails",
    "LookupEvents",
    "PutEventConfiguration",
    "PutEventSelectors",
    "PutInsightSelectors",
    "PutResourcePolicy",
    "RegisterOrganizationDelegatedAdmin",
    "RemoveTags",
    "RestoreEventDataStore",
    "SearchSampleQueries",
    "StartDashboardRefresh",
    "StartEventDataStoreIngestion",
    "StartImport",
    "StartLogging",
    "StartQuery",
    "StopEventDataStoreIngestion",
    "StopImport",
    "StopLogging",
    "UpdateChannel",
    "UpdateDashboard",
    "UpdateEventDataStore",
    "UpdateTrail",
];

/// Whether a CloudTrail operation is read-only (`Get*`, `Describe*`, `List*`, `Lookup*`);
/// `None` for a name that is not a CloudTrail operation.
pub fn is_read_only(operation: &str) -> Option<bool> {
    ALL_OPERATIONS.binary_search(&operation).ok()?;
    let read_prefixes = ["Get", "Describe", "List", "Lookup"];
    Some(
        read_prefixes
            .iter()
            .any(|prefix| operation.starts_with(prefix)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_sorted_and_unique() {
        assert!(ALL_OPERATIONS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn read_only_flags() {
        let cases = [
            ("GetTrail", Some(true)),
            ("DescribeTrails", Some(true)),
            ("ListTags", Some(true)),
            ("LookupEvents", Some(true)),
            ("GetQueryResults", Some(true)),
            ("CreateTrail", Some(false)),
            ("PutEventSelectors", Some(false)),
            ("StartLogging", Some(false)),
            ("SearchSampleQueries", Some(false)),
            ("GetObject", None),
            ("gettrail", None),
        ];
        for (operation, expected) in cases {
            assert_eq!(is_read_only(operation), expected, "{operation}");
        }
        let read_only = ALL_OPERATIONS
            .iter()
            .filter(|op| is_read_only(op) == Some(true))
            .count();
        assert_eq!(read_only, 25);
    }
}
