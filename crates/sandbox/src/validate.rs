//! Checks shared by several handlers, beyond what the typed request bodies enforce: empty
//! names, numeric ranges, CIDRs, domains, the address type of a network resource, and user
//! roles. Every failure is a 422 naming the field (or saying what is wrong, for `ensure`).

use std::net::IpAddr;

use crate::http::error::ApiError;
use crate::world::resources::ResourceKind;

/// NetBird's user roles.
pub const ROLES: [&str; 6] = [
    "owner",
    "admin",
    "user",
    "billing_admin",
    "auditor",
    "network_admin",
];

/// 422 `message` unless `ok`.
pub fn ensure(ok: bool, message: impl Into<String>) -> Result<(), ApiError> {
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(message))
    }
}

/// 422 when `value` is empty or blank.
pub fn non_empty(field: &str, value: &str) -> Result<(), ApiError> {
    ensure(
        !value.trim().is_empty(),
        format!("{field} should not be empty"),
    )
}

/// 422 `<field> is required` when `value` is empty (NetBird Cloud's integrations' wording).
pub fn required(field: &str, value: &str) -> Result<(), ApiError> {
    ensure(!value.is_empty(), format!("{field} is required"))
}

/// 422 unless `lo <= value <= hi`.
pub fn in_range(field: &str, value: i64, lo: i64, hi: i64) -> Result<(), ApiError> {
    let message = format!("invalid field {field}: must be between {lo} and {hi}");
    ensure((lo..=hi).contains(&value), message)
}

/// 422 unless the length of `value` (in characters) is within `lo..=hi`.
pub fn length(field: &str, value: &str, lo: usize, hi: usize) -> Result<(), ApiError> {
    let len = value.chars().count();
    let message = format!("invalid field {field}: length must be between {lo} and {hi}");
    ensure((lo..=hi).contains(&len), message)
}

/// 422 unless `role` is one of [`ROLES`].
pub fn role(role: &str) -> Result<(), ApiError> {
    ensure(ROLES.contains(&role), "unknown user role")
}

/// An address and a prefix length, e.g. `10.0.0.0/8`.
pub fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = text.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

/// 422 unless `text` is a CIDR.
pub fn cidr(field: &str, text: &str) -> Result<IpAddr, ApiError> {
    parse_cidr(text)
        .map(|(ip, _)| ip)
        .ok_or_else(|| ApiError::invalid(format!("invalid field {field}: invalid cidr {text}")))
}

/// A domain name (`example.com`), optionally a wildcard (`*.example.com`).
pub fn is_domain(text: &str) -> bool {
    let name = text.strip_prefix("*.").unwrap_or(text);
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// The type of a network resource address: `host` for an IP or a /32 (/128), `subnet` for
/// another CIDR, `domain` for a (wildcard) domain; 422 otherwise.
pub fn address_kind(address: &str) -> Result<ResourceKind, ApiError> {
    if address.parse::<IpAddr>().is_ok() {
        return Ok(ResourceKind::Host);
    }
    if let Some((ip, bits)) = parse_cidr(address) {
        let host = (ip.is_ipv4() && bits == 32) || (ip.is_ipv6() && bits == 128);
        return Ok(if host {
            ResourceKind::Host
        } else {
            ResourceKind::Subnet
        });
    }
    if is_domain(address) {
        return Ok(ResourceKind::Domain);
    }
    Err(ApiError::invalid(format!(
        "invalid field address: {address} is not a valid host, subnet or domain"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_types() {
        assert_eq!(address_kind("1.1.1.1").unwrap(), ResourceKind::Host);
        assert_eq!(address_kind("1.1.1.1/32").unwrap(), ResourceKind::Host);
        assert_eq!(address_kind("fd00::1").unwrap(), ResourceKind::Host);
        assert_eq!(
            address_kind("192.168.178.0/24").unwrap(),
            ResourceKind::Subnet
        );
        assert_eq!(address_kind("example.com").unwrap(), ResourceKind::Domain);
        assert_eq!(address_kind("*.example.com").unwrap(), ResourceKind::Domain);
        for bad in ["", "nope", "1.1.1.1/33", "exa mple.com", "*.com", "a..b"] {
            assert!(address_kind(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_and_lengths() {
        assert!(in_range("metric", 1, 1, 9999).is_ok());
        assert_eq!(
            in_range("metric", 0, 1, 9999).unwrap_err().message,
            "invalid field metric: must be between 1 and 9999"
        );
        assert!(length("name", "", 1, 40).is_err());
        assert!(role("admin").is_ok() && role("root").is_err());
    }
}
