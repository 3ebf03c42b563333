//! IP address blocks for `IpAddress` / `NotIpAddress`: IPv4 and IPv6 CIDRs and single addresses
//! (a single address is a `/32` or `/128` block).
//!
//! IPv4 blocks match only IPv4 addresses and IPv6 blocks only IPv6 ones; callers record an
//! IPv4-mapped IPv6 peer as IPv4 (the request builder does). Host bits set below the prefix
//! (`10.0.0.1/8`) are accepted and ignored, as IAM does for `aws:SourceIp`.

use std::net::IpAddr;

/// An address block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or one with `/n`; `None` otherwise.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().ok()?;
        let width = bit_width(network);
        let prefix = match prefix {
            None => width,
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                digits
                    .parse::<u8>()
                    .ok()
                    .filter(|prefix| *prefix <= width)?
            }
            Some(_) => return None,
        };
        Some(Cidr { network, prefix })
    }

    /// Whether `address` lies in the block.
    pub(crate) fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => same_prefix(
                network.to_bits().into(),
                address.to_bits().into(),
                self.prefix,
                32,
            ),
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                same_prefix(network.to_bits(), address.to_bits(), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn bit_width(address: IpAddr) -> u8 {
    if address.is_ipv4() { 32 } else { 128 }
}

fn same_prefix(network: u128, address: u128, prefix: u8, width: u32) -> bool {
    let ignored = width - u32::from(prefix);
    network.checked_shr(ignored).unwrap_or(0) == address.checked_shr(ignored).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks() {
        let check = |block: &str, address: &str, expected: bool| {
            let cidr = Cidr::parse(block).unwrap();
            assert_eq!(
                cidr.contains(address.parse().unwrap()),
                expected,
                "{block} {address}"
            );
        };
        check("203.0.113.7/32", "203.0.113.7", true);
        check("203.0.113.7/32", "203.0.113.8", false);
        check("203.0.113.7", "203.0.113.7", true);
        check("203.0.113.0/24", "203.0.113.255", true);
        check("203.0.113.0/24", "203.0.114.0", false);
        check("10.1.2.3/8", "10.200.0.1", true);
        check("0.0.0.0/0", "198.51.100.1", true);
        check("0.0.0.0/0", "::1", false);
        check("2001:db8::/32", "2001:db8:ffff::1", true);
        check("2001:db8::/32", "2001:db9::1", false);
        check("2001:db8::1", "2001:db8::1", true);
        check("2001:db8::1/128", "2001:db8::2", false);
        check("::/0", "2001:db8::1", true);
        check("::/0", "10.0.0.1", false);
        check("2001:db8:0:0:8000::/65", "2001:db8::8000:0:0:1", true);
        check("2001:db8:0:0:8000::/65", "2001:db8::1", false);
    }

    #[test]
    fn invalid_blocks() {
        for text in [
            "",
            "xx.xx.xx.xx/32",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "2001:db8::/129",
            "10.0.0",
            "10.0.0.0/8/8",
            "256.0.0.1",
        ] {
            assert_eq!(Cidr::parse(text), None, "{text}");
        }
    }
}
