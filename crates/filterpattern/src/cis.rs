//! The CloudTrail metric filters of the CIS AWS Foundations Benchmark (v2.0.0 to v5.0.0,
//! controls 4.1–4.15), exactly as the benchmark prints them (spec section 8). They are data for
//! callers that offer "CIS alarms" and for tests and benchmarks; nothing here creates alarms.

/// One CIS monitoring control and its metric filter pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CisMetricFilter {
    /// The control number, e.g. `"4.3"`.
    pub control: &'static str,
    /// What the control monitors.
    pub title: &'static str,
    /// The filter pattern text.
    pub pattern: &'static str,
}

/// Controls 4.1–4.15 (4.2 in its base form, 4.10 without v5.0.0's `ModifySecurityGroupRules`).
pub const CIS_CLOUDTRAIL_METRIC_FILTERS: [CisMetricFilter; 15] = [
    CisMetricFilter {
        control: "4.1",
        title: "unauthorized API calls",
        pattern: r#"{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }"#,
    },
    CisMetricFilter {
        control: "4.2",
        title: "management console sign-in without MFA",
        pattern: r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }"#,
    },
    CisMetricFilter {
        control: "4.3",
        title: "usage of the root account",
        pattern: r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
    },
    CisMetricFilter {
        control: "4.4",
        title: "IAM policy changes",
        pattern: "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}",
    },
    CisMetricFilter {
        control: "4.5",
        title: "CloudTrail configuration changes",
        pattern: "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
    },
    CisMetricFilter {
        control: "4.6",
        title: "management console authentication failures",
        pattern: r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#,
    },
    CisMetricFilter {
        control: "4.7",
        title: "disabling or scheduled deletion of customer-created KMS keys",
        pattern: "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }",
    },
    CisMetricFilter {
        control: "4.8",
        title: "S3 bucket policy changes",
        pattern: "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }",
    },
    CisMetricFilter {
        control: "4.9",
        title: "AWS Config configuration changes",
        pattern: "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }",
    },
    CisMetricFilter {
        control: "4.10",
        title: "security group changes",
        pattern: "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
    },
    CisMetricFilter {
        control: "4.11",
        title: "network ACL changes",
        pattern: "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
    },
    CisMetricFilter {
        control: "4.12",
        title: "network gateway changes",
        pattern: "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }",
    },
    CisMetricFilter {
        control: "4.13",
        title: "route table changes",
        pattern: "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }",
    },
    CisMetricFilter {
        control: "4.14",
        title: "VPC changes",
        pattern: "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }",
    },
    CisMetricFilter {
        control: "4.15",
        title: "AWS Organizations changes",
        pattern: r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#,
    },
];

/// Control 4.2's SSO-aware variant: successful IAM-user console sign-ins without MFA only.
pub const CIS_CONSOLE_SIGN_IN_WITHOUT_MFA_IAM_USERS: &str = r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#;

/// Control 4.10 as v5.0.0 prints it, with `ModifySecurityGroupRules` appended.
pub const CIS_V5_SECURITY_GROUP_CHANGES: &str = "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules) }";
