//! Syntax checks and matching helpers for the ARN strings selectors carry. Only the shapes CloudTrail
//! documents for selector values are recognised; this is not a general ARN parser.

/// `aws`, `aws-cn`, `aws-us-gov`, `aws-iso-b`, ...
fn is_partition(text: &str) -> bool {
    text == "aws"
        || text.strip_prefix("aws-").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        })
}

/// For `arn:<partition>:<service><rest>`, returns `<rest>` (empty, or starting with `:`).
pub(crate) fn after_service<'a>(value: &'a str, service: &str) -> Option<&'a str> {
    let (partition, tail) = value.strip_prefix("arn:")?.split_once(':')?;
    let rest = tail.strip_prefix(service)?;
    (is_partition(partition) && (rest.is_empty() || rest.starts_with(':'))).then_some(rest)
}

/// True for `arn:<partition>:<service>` alone: "every resource of this type".
pub(crate) fn is_all_resources_value(value: &str, service: &str) -> bool {
    // Longer strings carry a resource part; skipping them keeps matching cheap.
    const LONGEST_ALL_VALUE: usize = 32;
    value.len() <= LONGEST_ALL_VALUE && after_service(value, service) == Some("")
}

/// S3 bucket names: 3-63 characters today, up to 255 with upper case and `_` for legacy
/// us-east-1 buckets; never wildcards.
fn is_bucket_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// `arn:P:s3` (all buckets), `arn:P:s3:::` (all buckets, accepted by AWS too), or
/// `arn:P:s3:::<bucket>/<key prefix>` (the `/` after the bucket is mandatory).
pub(crate) fn is_s3_object_value(value: &str) -> bool {
    let Some(rest) = after_service(value, "s3") else {
        return false;
    };
    match rest.strip_prefix(":::") {
        _ if rest.is_empty() => true,
        Some("") => true,
        Some(path) => path
            .split_once('/')
            .is_some_and(|(bucket, _)| is_bucket_name(bucket)),
        None => false,
    }
}

/// Region and account parts of `:<region>:<account>:<resource>`; returns `<resource>`.
fn after_region_and_account(rest: &str) -> Option<&str> {
    let mut parts = rest.strip_prefix(':')?.splitn(3, ':');
    let region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (region_ok && account_ok).then_some(resource)
}

fn is_name(text: &str, max: usize, extra: &[u8]) -> bool {
    (1..=max).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// `arn:P:lambda` or `arn:P:lambda:<region>:<account>:function:<name>[:<qualifier>]`.
pub(crate) fn is_lambda_function_value(value: &str) -> bool {
    let Some(rest) = after_service(value, "lambda") else {
        return false;
    };
    rest.is_empty()
        || after_region_and_account(rest)
            .and_then(|resource| resource.strip_prefix("function:"))
            .is_some_and(|name| {
                let (name, qualifier) = name.split_once(':').unwrap_or((name, "x"));
                is_name(name, 140, b"-_") && is_name(qualifier, 128, b"-_$")
            })
}

/// `arn:P:dynamodb` or `arn:P:dynamodb:<region>:<account>:table/<name>`.
pub(crate) fn is_dynamodb_table_value(value: &str) -> bool {
    let Some(rest) = after_service(value, "dynamodb") else {
        return false;
    };
    rest.is_empty()
        || after_region_and_account(rest)
            .and_then(|resource| resource.strip_prefix("table/"))
            .is_some_and(|name| is_name(name, 255, b"-_.") && name.len() >= 3)
}

/// Any `arn:<partition>:<service>:...` string, the least a resources.ARN Equals value must be.
pub(crate) fn looks_like_arn(value: &str) -> bool {
    value
        .strip_prefix("arn:")
        .and_then(|tail| tail.split_once(':'))
        .is_some_and(|(partition, rest)| is_partition(partition) && rest.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Check = fn(&str) -> bool;

    #[test]
    fn data_resource_value_syntax() {
        let cases: &[(Check, &str, bool)] = &[
            (is_s3_object_value, "arn:aws:s3", true),
            (is_s3_object_value, "arn:aws:s3:::", true),
            (is_s3_object_value, "arn:aws:s3:::bucket/", true),
            (
                is_s3_object_value,
                "arn:aws:s3:::bucket/prefix/with*star",
                true,
            ),
            (is_s3_object_value, "arn:aws-cn:s3:::bucket/", true),
            (is_s3_object_value, "arn:aws:s3:::bucket", false),
            (is_s3_object_value, "arn:aws:s3:::*", false),
            (is_s3_object_value, "arn:aws:s3:::cg-*/*", false),
            (is_s3_object_value, "arn:aws:s3:::ab/", false),
            (is_s3_object_value, "arn:aws:s3-outposts:::bucket/", false),
            (is_s3_object_value, "arn:bogus:s3:::bucket/", false),
            (is_s3_object_value, "bucket/", false),
            (is_lambda_function_value, "arn:aws:lambda", true),
            (
                is_lambda_function_value,
                "arn:aws:lambda:us-west-2:111111111111:function:helloworld",
                true,
            ),
            (
                is_lambda_function_value,
                "arn:aws:lambda:us-west-2:111111111111:function:hello:$LATEST",
                true,
            ),
            (is_lambda_function_value, "arn:aws:lambda:*", false),
            (
                is_lambda_function_value,
                "arn:aws:lambda:us-west-2:1111:function:helloworld",
                false,
            ),
            (is_dynamodb_table_value, "arn:aws:dynamodb", true),
            (
                is_dynamodb_table_value,
                "arn:aws:dynamodb:us-east-1:111122223333:table/Music",
                true,
            ),
            (
                is_dynamodb_table_value,
                "arn:aws:dynamodb:us-east-1:111122223333:stream/Music",
                false,
            ),
            (looks_like_arn, "arn:aws:sns:us-east-1:123456789012:t", true),
            (looks_like_arn, "sns:topic", false),
        ];
        for (check, value, expected) in cases {
            assert_eq!(check(value), *expected, "{value}");
        }
    }
}
