//! Where a request points: virtual-hosted-style bucket names in the Host header, path-style otherwise.
//!
//! [`VirtualHostDomains`] is the s3s host parser: a Host of `<bucket>.<base domain>[:port]` addresses
//! that bucket, anything else (an IP, `localhost`, the base domain itself, an unknown name) is
//! path-style. Unlike s3s's own parsers it never treats an unknown host as a CNAME bucket, because
//! `localhost:4580` must stay path-style. [`locate`] repeats the same reading without validation so
//! the audit record names the bucket and key even of requests s3s rejected.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use s3s::host::{S3Host, VirtualHost};

use crate::catalog::Target;
use crate::error::S3Error;

/// The base domains under which buckets are addressed as sub-domains.
#[derive(Debug, Clone, Default)]
pub(crate) struct VirtualHostDomains {
    domains: Vec<String>,
}

impl VirtualHostDomains {
    /// Validates and normalizes (lower case, no port) the configured base domains.
    pub(crate) fn new(domains: &[String]) -> Result<Self, S3Error> {
        let mut normalized = Vec::with_capacity(domains.len());
        for domain in domains {
            let domain = strip_port(domain.trim()).to_ascii_lowercase();
            let valid = !domain.is_empty()
                && domain.split('.').all(|label| {
                    !label.is_empty()
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !valid {
                return Err(S3Error::InvalidConfig(format!(
                    "virtual host domain {domain:?} is not a domain name"
                )));
            }
            normalized.push(domain);
        }
        Ok(Self {
            domains: normalized,
        })
    }

    /// The bucket a Host header addresses virtual-hosted style, if any.
    pub(crate) fn bucket_of(&self, host: &str) -> Option<String> {
        let host = strip_port(host).to_ascii_lowercase();
        self.domains.iter().find_map(|domain| {
            let bucket = host.strip_suffix(domain.as_str())?.strip_suffix('.')?;
            (!bucket.is_empty()).then(|| bucket.to_owned())
        })
    }
}

impl S3Host for VirtualHostDomains {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> s3s::S3Result<VirtualHost<'a>> {
        Ok(match self.bucket_of(host) {
            Some(bucket) => VirtualHost::new(host).with_bucket(bucket),
            None => VirtualHost::new(host),
        })
    }
}

/// `host` without a trailing `:port` (IPv6 literals keep their brackets).
fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port))
            if port.bytes().all(|b| b.is_ascii_digit())
                && (!name.contains(':') || name.ends_with(']')) =>
        {
            name
        }
        _ => host,
    }
}

/// What a request addresses, read leniently (no name validation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addressed {
    /// Service, bucket or object.
    pub(crate) target: Target,
    /// The bucket name, if any.
    pub(crate) bucket: Option<String>,
    /// The object key, if any.
    pub(crate) key: Option<String>,
}

/// Reads bucket and key from the Host header and the (percent-encoded) path.
pub(crate) fn locate(
    domains: &VirtualHostDomains,
    host: Option<&str>,
    raw_path: &str,
) -> Addressed {
    let path: Cow<'_, str> = percent_decode_str(raw_path).decode_utf8_lossy();
    let path = path.strip_prefix('/').unwrap_or(&path);
    let (bucket, key) = match host.and_then(|host| domains.bucket_of(host)) {
        Some(bucket) => (Some(bucket), Some(path)),
        None => match path.split_once('/') {
            Some((bucket, key)) => (Some(bucket.to_owned()), Some(key)),
            None => ((!path.is_empty()).then(|| path.to_owned()), None),
        },
    };
    let key = key.filter(|key| !key.is_empty()).map(str::to_owned);
    let target = match (&bucket, &key) {
        (None, _) => Target::Service,
        (Some(_), None) => Target::Bucket,
        (Some(_), Some(_)) => Target::Object,
    };
    Addressed {
        target,
        bucket,
        key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> VirtualHostDomains {
        VirtualHostDomains::new(&["s3.test.internal".into(), "localhost".into()]).unwrap()
    }

    #[test]
    fn locate_reads_both_styles() {
        let check = |host: Option<&str>, path: &str, bucket: Option<&str>, key: Option<&str>| {
            let addressed = locate(&domains(), host, path);
            assert_eq!(
                (addressed.bucket.as_deref(), addressed.key.as_deref()),
                (bucket, key),
                "{host:?} {path}"
            );
        };
        check(Some("127.0.0.1:4580"), "/", None, None);
        check(Some("127.0.0.1:4580"), "/b1", Some("b1"), None);
        check(Some("127.0.0.1:4580"), "/b1/", Some("b1"), None);
        check(
            Some("127.0.0.1:4580"),
            "/b1/a%20b/c",
            Some("b1"),
            Some("a b/c"),
        );
        check(Some("localhost:4580"), "/b1/k", Some("b1"), Some("k"));
        check(Some("b1.s3.test.internal"), "/k/x", Some("b1"), Some("k/x"));
        check(Some("B1.S3.test.internal:9000"), "/", Some("b1"), None);
        check(Some("b1.localhost:4580"), "/k", Some("b1"), Some("k"));
        check(Some("s3.test.internal"), "/b2/k", Some("b2"), Some("k"));
        check(Some("elsewhere.example"), "/b3/k", Some("b3"), Some("k"));
        check(None, "/b4", Some("b4"), None);
    }

    #[test]
    fn invalid_domains_are_rejected() {
        for bad in ["", ".x", "a..b", "a b"] {
            assert!(VirtualHostDomains::new(&[bad.into()]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn strip_port_keeps_ipv6_literals() {
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
        assert_eq!(strip_port("h:80"), "h");
        assert_eq!(strip_port("h"), "h");
    }
}
