//! `/api/dns/zones` and `/api/dns/zones/{id}/records`: an account's private DNS zones and
//! their A, AAAA and CNAME records, checked as NetBird's server checks them.
//!
//! What NetBird's server does (netbirdio/netbird, `management/internals/modules/zones/`):
//!
//! - Handlers: `zones/manager/api.go` and `zones/records/manager/api.go`. A body that is not
//!   JSON: 400 `couldn't parse JSON request`. Then the body is validated (`Zone.Validate` in
//!   `zones/zone.go`, `Record.Validate` in `zones/records/record.go`), 422 each, before any
//!   lookup. `POST` answers 200 with the object (not 201), `DELETE` 200 `{}`.
//! - Zone checks, in order: `zone name is required`, `zone name exceeds maximum length of 255
//!   characters`, `invalid zone domain format` (`domain.IsValidDomainNoWildcard`,
//!   `shared/management/domain/validate.go`), `at least one distribution group is
//!   required`. `enabled` defaults to true when absent or null.
//! - Zone create (`zones/manager/manager.go`): a domain equal to the peer DNS domain (the
//!   account's `settings.dns_domain`, or the server's) is 422 `zone domain <d> conflicts with
//!   peer DNS domain`; a domain another zone of the account has is 409 `zone with domain <d>
//!   already exists` (domains are unique per account; names are not); each distribution
//!   group must exist: 422 `group: <id> not found` (the store's NotFound turned into
//!   InvalidArgument).
//! - Zone update: 404 for an unknown zone, then 422 `zone domain cannot be updated` when the
//!   domain differs, then the groups (422 as above). Names may repeat.
//! - Zone delete: deletes the zone's records with it; audits `dns.zone.record.delete` for each
//!   record first, then `dns.zone.delete`.
//! - Record checks (`Record.Validate`), in order: `record name is required`, `invalid record
//!   name format` (`domain.IsValidDomain`: a `*.` wildcard is allowed), `record type is
//!   required`, then by type: A `A record is required` / `A record must be a valid IPv4
//!   address`, AAAA `AAAA record is required` / `AAAA record must be a valid IPv6 address`,
//!   CNAME `invalid CNAME target format` (no wildcard), any other type `invalid record type,
//!   must be A, AAAA, or CNAME`; then `TTL cannot be negative`. All 422 (lower-cased, as
//!   every NetBird error message).
//! - Record create, update, delete (`zones/records/manager/manager.go`): the zone first (404),
//!   then (update, delete) the record in that zone (404). `validateRecordConflicts` (on
//!   create, and on an update that changes name, type or content): a name that is neither
//!   the zone's domain nor ends in `.<domain>` is 422 `record name does not belong to zone`;
//!   another record of the zone with the same name, type and content is 409 `identical record
//!   already exists`; another record with the same name where either is a CNAME is 422 `an
//!   a, aaaa, or cname record with name <name> already exists`. A and AAAA records of one
//!   name may repeat with different contents.
//! - Reads do not look the zone up: listing the records of an unknown zone answers `[]`, and
//!   a record is found by zone and id (404 otherwise).
//! - Audit (`management/server/activity/codes.go`): `dns.zone.create|update|delete` ("DNS
//!   zone created|updated|deleted", target the zone, meta `name`, `domain`);
//!   `dns.zone.record.create|update|delete` ("DNS zone record created|updated|deleted",
//!   target the record, meta `name`, `type`, `content`, `ttl`, `zone_id`, `zone_name`; the
//!   sandbox's meta values are strings, so `ttl` is one too).
//! - A zone's response carries its `records`; a record's response is its request with `id`.
//!
//! The sandbox checks the peer DNS domain of the account's settings only (it has no
//! server-wide one). The 404 messages are the sandbox's usual `<what> not found: <id>` (NetBird says `zone:
//! <id> not found`, wrapped as `failed to get zone: …` on writes; `dns record: <id> not
//! found`). Deleting a group a zone distributes to is not refused (NetBird's group checks do
//! not look at zones).

use std::net::IpAddr;

use serde::{Deserializer, Serialize};

use super::collection::Audit;
use super::prelude::*;
use crate::world::item::{Item, Nothing};

/// `ZoneRequest`, the stored form of a zone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ZoneSpec {
    /// Name, 1..=255 characters, not unique.
    pub name: String,
    /// The zone's domain, unique per account; never changes.
    pub domain: String,
    /// Enabled (true when absent or null).
    #[serde(default = "yes", deserialize_with = "true_if_null")]
    pub enabled: bool,
    /// Use the domain as a search domain.
    pub enable_search_domain: bool,
    /// Distribution group ids (at least one).
    pub distribution_groups: Vec<String>,
}

fn yes() -> bool {
    true
}

fn true_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(true))
}

/// A stored zone.
pub type Zone = Item<ZoneSpec, Nothing>;

/// `DNSRecordRequest`, the stored form of a record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordSpec {
    /// The record's name: the zone's domain or a name under it.
    pub name: String,
    /// `A`, `AAAA` or `CNAME`.
    #[serde(rename = "type")]
    pub kind: String,
    /// An IPv4 address (A), an IPv6 address (AAAA) or a domain (CNAME).
    pub content: String,
    /// Time to live, seconds, not negative.
    pub ttl: i64,
}

/// The zone a record belongs to (the path's owner).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InZone {
    /// Zone id.
    pub zone_id: String,
}

/// A stored record.
pub type Record = Item<RecordSpec, InZone>;

/// `Zone`: the zone with its records.
#[derive(Debug, Serialize)]
pub struct ZoneView<'a> {
    /// The id.
    pub id: &'a str,
    /// The stored request.
    #[serde(flatten)]
    pub spec: &'a ZoneSpec,
    /// The zone's records.
    pub records: Vec<render::WithId<'a, RecordSpec>>,
}

fn zone_view<'a>(a: &'a Account, z: &'a Zone) -> ZoneView<'a> {
    let records = a.dns_records.values().filter(|r| r.extra.zone_id == z.id);
    ZoneView {
        id: &z.id,
        spec: &z.spec,
        records: records.map(render::with_id).collect(),
    }
}

/// `/api/dns/zones`.
pub struct Zones;

impl Collection for Zones {
    type Item = Zone;
    type Create = ZoneSpec;
    type Update = ZoneSpec;
    type View<'a> = ZoneView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/dns/zones",
        what: "zone",
        codes: ["dns.zone.create", "dns.zone.update", "dns.zone.delete"],
        name: |z| &z.spec.name,
        view: |a, _, z| zone_view(a, z),
    };
    const TEXTS: &[(&str, &str)] = &[
        ("dns.zone.create", "DNS zone created"),
        ("dns.zone.update", "DNS zone updated"),
        ("dns.zone.delete", "DNS zone deleted"),
    ];

    fn check_create(_: &World, _: &At, spec: &ZoneSpec) -> Result<(), ApiError> {
        check_zone(spec)
    }
    fn check_update(_: &World, _: &At, spec: &ZoneSpec) -> Result<(), ApiError> {
        check_zone(spec)
    }
    fn create(w: &mut World, at: &mut At, spec: ZoneSpec) -> Built<Self> {
        let (a, ids) = at.account(w)?;
        let peer_domain = a.settings.dns_domain.as_deref().unwrap_or_default();
        ensure(
            peer_domain.is_empty() || peer_domain != spec.domain,
            format!("zone domain {} conflicts with peer DNS domain", spec.domain),
        )?;
        if a.dns_zones.values().any(|z| z.spec.domain == spec.domain) {
            let message = format!("zone with domain {} already exists", spec.domain);
            return Err(ApiError::conflict(message));
        }
        check_groups(a, &spec.distribution_groups)?;
        let id = at.id(ids);
        Ok(Zone {
            id,
            spec,
            extra: Nothing {},
        })
    }
    fn update(w: &mut World, at: &mut At, spec: ZoneSpec) -> Built<Self> {
        let old = stored::<Self>(w, at)?;
        ensure(
            old.spec.domain == spec.domain,
            "zone domain cannot be updated",
        )?;
        check_groups(at.account(w)?.0, &spec.distribution_groups)?;
        Ok(Zone { spec, ..old })
    }
    fn meta(z: &Zone, _: Verb) -> Vec<(&'static str, String)> {
        vec![
            ("name", z.spec.name.clone()),
            ("domain", z.spec.domain.clone()),
        ]
    }
    /// A delete logs `dns.zone.record.delete` for each of the zone's records first (they go
    /// with it), then `dns.zone.delete`.
    fn audit(a: &Account, id: &str, z: &Zone, verb: Verb) -> Vec<Audit> {
        let own = (
            Self::code(z, verb).to_owned(),
            id.to_owned(),
            Self::meta(z, verb),
        );
        let mut events = Vec::new();
        if verb == Verb::Delete {
            let code = Records::SPEC.codes[Verb::Delete as usize];
            let records = a.dns_records.values().filter(|r| r.extra.zone_id == z.id);
            events.extend(records.map(|r| (code.to_owned(), r.id.clone(), record_meta(r, z))));
        }
        events.push(own);
        events
    }
    fn remove(w: &mut World, account: &str, id: &str) -> Result<(), ApiError> {
        let (a, _) = w.account_mut(account)?;
        a.dns_records.retain(|_, r| r.extra.zone_id != id);
        a.dns_zones.shift_remove(id);
        Ok(())
    }
}

fn check_zone(spec: &ZoneSpec) -> Result<(), ApiError> {
    ensure(!spec.name.is_empty(), "zone name is required")?;
    ensure(
        spec.name.len() <= 255,
        "zone name exceeds maximum length of 255 characters",
    )?;
    ensure(is_domain(&spec.domain, false), "invalid zone domain format")?;
    ensure(
        !spec.distribution_groups.is_empty(),
        "at least one distribution group is required",
    )
}

/// NetBird turns the store's 404 for a group into 422 `group: <id> not found`.
fn check_groups(a: &Account, groups: &[String]) -> Result<(), ApiError> {
    match groups.iter().find(|g| !a.groups.contains_key(*g)) {
        Some(g) => Err(ApiError::invalid(format!("group: {g} not found"))),
        None => Ok(()),
    }
}

/// NetBird's `domain.IsValidDomain` (`wildcard`: a leading `*.` allowed) and
/// `IsValidDomainNoWildcard`: dot-separated labels of letters, digits, `-` and `_`, each
/// 1..=63 long, starting with a letter, digit or `_` (the last label: not `_`) and ending
/// with a letter or digit, optionally after `xn--`; a single label is a domain.
fn is_domain(text: &str, wildcard: bool) -> bool {
    let text = text.to_ascii_lowercase();
    let name = match text.strip_prefix("*.") {
        Some(rest) if wildcard => rest,
        Some(_) => return false,
        None => &text,
    };
    let labels: Vec<&str> = name.split('.').collect();
    let last = labels.len() - 1;
    labels.iter().enumerate().all(|(i, l)| {
        let ok = |l: &str| label(l, i < last);
        ok(l) || l.strip_prefix("xn--").is_some_and(ok)
    })
}

fn label(l: &str, underscore_first: bool) -> bool {
    let b = l.as_bytes();
    let (Some(first), Some(end)) = (b.first(), b.last()) else {
        return false;
    };
    let inner = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_';
    b.len() <= 63
        && (first.is_ascii_alphanumeric() || (underscore_first && *first == b'_'))
        && (b.len() == 1 || end.is_ascii_alphanumeric())
        && b[1..].iter().all(inner)
}

/// `/api/dns/zones/{id}/records`.
pub struct Records;

impl Collection for Records {
    type Item = Record;
    type Create = RecordSpec;
    type Update = RecordSpec;
    type View<'a> = render::WithId<'a, RecordSpec>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/dns/zones/{id}/records",
        what: "dns record",
        codes: [
            "dns.zone.record.create",
            "dns.zone.record.update",
            "dns.zone.record.delete",
        ],
        name: |r| &r.spec.name,
        view: |_, _, r| render::with_id(r),
    };
    const OWNER_KEY: &str = "zone_id";
    const TEXTS: &[(&str, &str)] = &[
        ("dns.zone.record.create", "DNS zone record created"),
        ("dns.zone.record.update", "DNS zone record updated"),
        ("dns.zone.record.delete", "DNS zone record deleted"),
    ];

    fn owner_of(r: &Record) -> Option<&str> {
        Some(&r.extra.zone_id)
    }
    /// The body first, then the zone (NetBird's reads never look the zone up, so `owner`
    /// accepts any).
    fn check_create(w: &World, at: &At, spec: &RecordSpec) -> Result<(), ApiError> {
        check_record(spec)?;
        zone(w, at).map(|_| ())
    }
    fn check_update(w: &World, at: &At, spec: &RecordSpec) -> Result<(), ApiError> {
        check_record(spec)?;
        zone(w, at).map(|_| ())
    }
    fn check_delete(w: &World, at: &At) -> Result<(), ApiError> {
        zone(w, at).map(|_| ())
    }
    fn create(w: &mut World, at: &mut At, spec: RecordSpec) -> Built<Self> {
        let zone_id = at.owner.unwrap_or_default().to_owned();
        conflicts(w, at, &spec)?;
        let id = at.id(&mut w.ids);
        Ok(Record {
            id,
            spec,
            extra: InZone { zone_id },
        })
    }
    fn update(w: &mut World, at: &mut At, spec: RecordSpec) -> Built<Self> {
        let old = stored::<Self>(w, at)?;
        let (o, n) = (&old.spec, &spec);
        if o.name != n.name || o.kind != n.kind || o.content != n.content {
            conflicts(w, at, &spec)?;
        }
        Ok(Record { spec, ..old })
    }
    fn meta_in(a: &Account, r: &Record, _: Verb) -> Vec<(&'static str, String)> {
        match a.dns_zones.get(&r.extra.zone_id) {
            Some(z) => record_meta(r, z),
            None => Vec::new(),
        }
    }
}

/// The zone the path names, or 404.
fn zone<'a>(w: &'a World, at: &At) -> Result<&'a Zone, ApiError> {
    let id = at.owner.unwrap_or_default();
    let a = w.account(&at.ctx.account_id)?;
    a.dns_zones.get(id).ok_or_else(|| missing("zone", id))
}

fn record_meta(r: &Record, z: &Zone) -> Vec<(&'static str, String)> {
    vec![
        ("name", r.spec.name.clone()),
        ("type", r.spec.kind.clone()),
        ("content", r.spec.content.clone()),
        ("ttl", r.spec.ttl.to_string()),
        ("zone_id", z.id.clone()),
        ("zone_name", z.spec.name.clone()),
    ]
}

fn check_record(r: &RecordSpec) -> Result<(), ApiError> {
    ensure(!r.name.is_empty(), "record name is required")?;
    ensure(is_domain(&r.name, true), "invalid record name format")?;
    ensure(!r.kind.is_empty(), "record type is required")?;
    let ip = r.content.parse::<IpAddr>().ok();
    let v4 = ip.is_some_and(|ip| ip.to_canonical().is_ipv4());
    match r.kind.as_str() {
        "A" => {
            ensure(!r.content.is_empty(), "A record is required")?;
            ensure(v4, "A record must be a valid IPv4 address")
        }
        "AAAA" => {
            ensure(!r.content.is_empty(), "AAAA record is required")?;
            ensure(
                ip.is_some() && !v4,
                "AAAA record must be a valid IPv6 address",
            )
        }
        "CNAME" => ensure(is_domain(&r.content, false), "invalid CNAME target format"),
        _ => Err(ApiError::invalid(
            "invalid record type, must be A, AAAA, or CNAME",
        )),
    }?;
    ensure(r.ttl >= 0, "TTL cannot be negative")
}

/// NetBird's `validateRecordConflicts`: the name within the zone's domain, no identical
/// record (409), and a CNAME alone with its name.
fn conflicts(w: &World, at: &At, r: &RecordSpec) -> Result<(), ApiError> {
    let z = zone(w, at)?;
    let domain = &z.spec.domain;
    ensure(
        r.name == *domain || r.name.ends_with(&format!(".{domain}")),
        "record name does not belong to zone",
    )?;
    let a = w.account(&at.ctx.account_id)?;
    let same = a.dns_records.values().filter(|o| {
        o.extra.zone_id == z.id && o.spec.name == r.name && Some(o.id.as_str()) != at.current()
    });
    for o in same {
        if o.spec.kind == r.kind && o.spec.content == r.content {
            return Err(ApiError::conflict("identical record already exists"));
        }
        ensure(
            r.kind != "CNAME" && o.spec.kind != "CNAME",
            format!(
                "An A, AAAA, or CNAME record with name {} already exists",
                r.name
            ),
        )?;
    }
    Ok(())
}
