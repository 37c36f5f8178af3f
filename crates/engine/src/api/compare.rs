//! Desired body versus live object, compared by meaning rather than bytes.
//!
//! NetBird answers references as objects (`sources: [{id, name, ...}]`) where requests send
//! ids, returns lists in its own order, fills in fields the request left out, and stores some
//! values in a normal form of its own. [`matches`] compares only the fields the playbook sets
//! and the API returns, and treats as equal what means the same:
//!
//! - objects with an `id` in the live answer equal that id in the desired body;
//! - lists are sets (order and repeats do not count), except [`ORDERED`] ones; lists of
//!   objects match element for element in any order;
//! - an absent or `null` live value equals the desired zero value (`false`, `0`, `""`, `[]`,
//!   `{}`) and a desired `null` equals a live zero value: NetBird omits zero values or fills
//!   them in;
//! - numbers compare by value (`1` = `1.0`); ports compare as numbers (`"22"` = `22`);
//! - addresses ([`ADDRESS_FIELDS`]) compare as prefixes: a bare host equals its full-length
//!   prefix (`10.10.0.6` = `10.10.0.6/32`, `fd00::6` = `fd00::6/128`, as NetBird stores a
//!   host resource), IPv6 in any spelling (`fd00:0::6` = `fd00::6`), a prefix by the network
//!   it names (`10.0.0.1/24` = `10.0.0.0/24`); an address that is a domain compares as one;
//! - domains ([`DOMAIN_FIELDS`], and domain addresses) ignore case and a trailing dot
//!   (`Corp.Example.COM.` = `corp.example.com`), as DNS does; emails ignore case.

use std::net::IpAddr;

use serde_json::Value as Json;

/// Fields holding IP addresses, prefixes (or, for `address`, a domain).
pub const ADDRESS_FIELDS: &[&str] = &[
    "address",
    "network",
    "ranges",
    "network_range",
    "network_range_v6",
    "ip",
];

/// Fields holding domain names (one or a list).
pub const DOMAIN_FIELDS: &[&str] = &["domains", "dns_domain", "domain", "search_domains"];

/// Lists whose order means something: nameservers are asked in order; policy rules are
/// matched by position.
pub const ORDERED: &[&str] = &["nameservers", "rules"];

/// Whether `live` already has every field of `desired` that it reports.
pub fn matches(desired: &Json, live: &Json) -> bool {
    matches_in("", desired, live)
}

/// Whether the live value of field `field` means the same as the desired one: the compare
/// of [`matches`], for one field. For identity lookups (e.g. converge's `same_identity`).
pub fn matches_field(field: &str, desired: &Json, live: &Json) -> bool {
    matches_in(field, desired, live)
}

fn matches_in(field: &str, desired: &Json, live: &Json) -> bool {
    match (desired, live) {
        (Json::Object(d), Json::Object(l)) => d.iter().all(|(k, dv)| match l.get(k) {
            Some(lv) => matches_in(k, dv, lv),
            // A field the API does not echo cannot be compared.
            None => true,
        }),
        (Json::Null, l) => is_zero(l),
        (d, Json::Null) => is_zero(d),
        (Json::Array(d), Json::Array(l)) if d.iter().all(is_scalar) => {
            let key = |v: &Json| canonical(field, &as_id(v));
            let mut a: Vec<String> = d.iter().map(key).collect();
            let mut b: Vec<String> = l.iter().map(key).collect();
            for v in [&mut a, &mut b] {
                v.sort();
                v.dedup();
            }
            a == b
        }
        (Json::Array(d), Json::Array(l)) if ORDERED.contains(&field) => {
            d.len() == l.len() && d.iter().zip(l).all(|(a, b)| matches_in(field, a, b))
        }
        (Json::Array(d), Json::Array(l)) => same_elements(field, d, l),
        (Json::String(a), lv @ Json::Object(_)) => {
            Some(a.as_str()) == lv.get("id").and_then(Json::as_str)
        }
        (a, b) if is_scalar(a) && is_scalar(b) => canonical(field, a) == canonical(field, b),
        (a, b) => a == b,
    }
}

/// Lists of objects in any order: each desired element matches a different live one.
fn same_elements(field: &str, desired: &[Json], live: &[Json]) -> bool {
    if desired.len() != live.len() {
        return false;
    }
    let mut used = vec![false; live.len()];
    desired.iter().all(|d| {
        let hit = live
            .iter()
            .enumerate()
            .find(|(i, l)| !used[*i] && matches_in(field, d, l));
        hit.map(|(i, _)| used[i] = true).is_some()
    })
}

/// The fields of `desired` that differ from `live`: `(field, live, desired)`.
pub fn diff(desired: &Json, live: &Json) -> Vec<(String, Json, Json)> {
    let mut out = Vec::new();
    diff_into("", desired, live, &mut out);
    out
}

/// The changed fields under `path`. Nested objects, and the elements of an ordered list of
/// objects of the same length (a policy's rules, a nameserver group's nameservers), are
/// compared field by field, so a changed port shows as `rules[0].ports`, not as a list of
/// rule ids against a list of rules.
fn diff_into(path: &str, desired: &Json, live: &Json, out: &mut Vec<(String, Json, Json)>) {
    let (Some(d), Some(l)) = (desired.as_object(), live.as_object()) else {
        return;
    };
    for (k, dv) in d {
        let Some(lv) = l.get(k) else { continue };
        if matches_in(k, dv, lv) {
            continue;
        }
        let here = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        match (dv, lv) {
            (Json::Object(_), Json::Object(_)) => diff_into(&here, dv, lv, out),
            (Json::Array(ds), Json::Array(ls))
                if ORDERED.contains(&k.as_str())
                    && ds.len() == ls.len()
                    && ds.iter().chain(ls).all(Json::is_object) =>
            {
                for (i, (de, le)) in ds.iter().zip(ls).enumerate() {
                    diff_into(&format!("{here}[{i}]"), de, le, out);
                }
            }
            _ => out.push((here, normalize(lv), dv.clone())),
        }
    }
}

/// The top-level field a change path is in: `rules` for `rules[0].ports`.
pub fn top_field(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or(path)
}

/// Objects with an `id` become the id, recursively in lists.
pub fn normalize(v: &Json) -> Json {
    match v {
        Json::Array(items) => Json::Array(items.iter().map(as_id).collect()),
        other => other.clone(),
    }
}

fn as_id(v: &Json) -> Json {
    match v.get("id") {
        Some(id @ Json::String(_)) if v.is_object() => id.clone(),
        _ => v.clone(),
    }
}

fn is_scalar(v: &Json) -> bool {
    !matches!(v, Json::Array(_) | Json::Object(_))
}

/// Go's zero values, which NetBird omits or fills in.
fn is_zero(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
    }
}

/// The text two scalars of field `field` share exactly when they mean the same.
fn canonical(field: &str, v: &Json) -> String {
    match v {
        Json::Number(n) => number(n),
        Json::String(s) if field == "ports" => match s.trim().parse::<u64>() {
            Ok(port) => port.to_string(),
            Err(_) => v.to_string(),
        },
        Json::String(s) if ADDRESS_FIELDS.contains(&field) => address(s),
        Json::String(s) if DOMAIN_FIELDS.contains(&field) => domain(s),
        Json::String(s) if field == "email" => s.to_lowercase(),
        other => other.to_string(),
    }
}

fn number(n: &serde_json::Number) -> String {
    n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string())
}

/// An address as a masked prefix (`10.0.0.0/24`, `10.10.0.6/32`), else as a domain.
fn address(text: &str) -> String {
    let text = text.trim();
    let (ip, bits) = match text.split_once('/') {
        Some((ip, bits)) => (ip.parse::<IpAddr>(), bits.parse::<u8>().ok()),
        None => (text.parse::<IpAddr>(), None),
    };
    match (ip, bits) {
        (Ok(IpAddr::V4(ip)), bits) if bits.is_none_or(|b| b <= 32) => {
            let bits = bits.unwrap_or(32);
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            let net = std::net::Ipv4Addr::from(u32::from(ip) & mask);
            format!("{net}/{bits}")
        }
        (Ok(IpAddr::V6(ip)), bits) if bits.is_none_or(|b| b <= 128) => {
            let bits = bits.unwrap_or(128);
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            let net = std::net::Ipv6Addr::from(u128::from(ip) & mask);
            format!("{net}/{bits}")
        }
        _ => domain(text),
    }
}

/// A domain without case or a trailing dot.
fn domain(text: &str) -> String {
    text.trim().trim_end_matches('.').to_lowercase()
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
