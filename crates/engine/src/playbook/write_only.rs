//! Write-only fields: secrets NetBird takes on every write and never returns (an identity
//! provider's `client_secret`; the catalogue marks them `write_only`).
//!
//! Nothing can be read back to compare, so the state keeps, per object, a digest of what was
//! last sent for each such field: HMAC-SHA256 keyed with a random salt of that state
//! ([`new_salt`]), over the field's name and its JSON value. A desired value whose digest
//! differs from the recorded one is a change (an update in place); an object with no digest
//! recorded (adopted, or written by an onboard that kept none) is updated once, so the secret
//! NetBird holds is known to be the playbook's. The digests never leave the state; without
//! the salt they cannot be tested against a guess, and with it only one guess at a time.
//!
//! Plans show these fields as `(sensitive)`, whatever their value.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::playbook::render::SENSITIVE;
use crate::playbook::resource::StepType;
use crate::playbook::template::UNKNOWN;

/// How a changed write-only field's old value is shown: something was sent, and it differs.
pub const SENT_BEFORE: &str = "(sensitive, sent earlier)";

/// How a write-only field with no digest recorded is shown: what NetBird holds is not known.
pub const NOT_RECORDED: &str = "(not known: never sent by onboard)";

/// The write-only fields of a kind, as dotted paths (`client_secret`, `target.headers`; none
/// for a raw request).
pub fn fields(ty: StepType) -> Vec<String> {
    ty.resource_kind()
        .map(|k| k.spec().write_only_paths())
        .unwrap_or_default()
}

/// The value at a dotted path of `body`.
fn at<'a>(body: &'a Json, path: &str) -> Option<&'a Json> {
    path.split('.').try_fold(body, |v, k| v.get(k))
}

fn at_mut<'a>(body: &'a mut Json, path: &str) -> Option<&'a mut Json> {
    path.split('.').try_fold(body, |v, k| v.get_mut(k))
}

fn remove(body: &mut Json, path: &str) {
    let (parent, last) = match path.rsplit_once('.') {
        Some((parent, last)) => (at_mut(body, parent), last),
        None => (Some(body), path),
    };
    if let Some(map) = parent.and_then(Json::as_object_mut) {
        map.remove(last);
    }
}

/// Only the write-only fields of `body`, at their paths (what a plan keeps aside, unmasked,
/// for their digests).
pub fn pick(ty: StepType, body: &Json) -> Json {
    let mut out = Json::Object(Default::default());
    for f in fields(ty) {
        let Some(v) = at(body, &f) else { continue };
        let mut here = &mut out;
        let mut keys = f.split('.').peekable();
        while let Some(k) = keys.next() {
            let Some(map) = here.as_object_mut() else {
                break;
            };
            if keys.peek().is_none() {
                map.insert(k.to_owned(), v.clone());
                break;
            }
            here = map
                .entry(k.to_owned())
                .or_insert_with(|| Json::Object(Default::default()));
        }
    }
    out
}

/// A fresh salt for a state: 32 random bytes, hex.
pub fn new_salt() -> String {
    let bytes: [u8; 32] = rand::random();
    hex(&bytes)
}

/// The digest of one field's value.
fn digest(salt: &str, field: &str, value: &Json) -> String {
    let message = format!("{field}\0{value}");
    hex(&hmac_sha256(salt.as_bytes(), message.as_bytes()))
}

/// The digests of the write-only fields `body` sets.
pub fn digests(ty: StepType, body: &Json, salt: &str) -> BTreeMap<String, String> {
    fields(ty)
        .into_iter()
        .filter_map(|f| {
            let d = digest(salt, &f, at(body, &f)?);
            Some((f, d))
        })
        .collect()
}

/// `body` without its write-only fields.
pub fn strip(ty: StepType, body: &Json) -> Json {
    let mut out = body.clone();
    for f in fields(ty) {
        remove(&mut out, &f);
    }
    out
}

/// `body` with its write-only fields shown as `(sensitive)`.
pub fn mask(ty: StepType, body: &mut Json) {
    for f in fields(ty) {
        if let Some(v) = at_mut(body, &f)
            && v.as_str() != Some(UNKNOWN)
        {
            *v = Json::String(SENSITIVE.to_owned());
        }
    }
}

/// The write-only fields of `values` (the real, unmasked body) whose digest is not the one
/// recorded: `(field, before, after)` as the plan shows them, both masked. A value known only
/// after apply is not compared.
pub fn changes(
    ty: StepType,
    values: &Json,
    salt: &str,
    recorded: Option<&BTreeMap<String, String>>,
) -> Vec<(String, Json, Json)> {
    let mut out = Vec::new();
    for f in fields(ty) {
        let Some(v) = at(values, &f) else { continue };
        if crate::playbook::render::contains_unknown(v) {
            continue;
        }
        let before = match recorded.and_then(|r| r.get(&f)) {
            Some(d) if *d == digest(salt, &f, v) => continue,
            Some(_) => SENT_BEFORE,
            None => NOT_RECORDED,
        };
        out.push((
            f,
            Json::String(before.to_owned()),
            Json::String(SENSITIVE.to_owned()),
        ));
    }
    out
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 4231, test case 2.
    #[test]
    fn hmac_matches_rfc_4231() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_changed_secret_is_a_change_and_an_unchanged_one_is_not() {
        let ty = StepType::from_name("identity_provider").expect("a kind");
        let salt = new_salt();
        let sent = digests(ty, &json!({"name": "x", "client_secret": "one"}), &salt);
        assert_eq!(sent.len(), 1);
        let same = json!({"client_secret": "one"});
        assert!(changes(ty, &same, &salt, Some(&sent)).is_empty());
        let other = json!({"client_secret": "two"});
        let c = changes(ty, &other, &salt, Some(&sent));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].0, "client_secret");
        assert_eq!(c[0].1, json!(SENT_BEFORE));
        // Nothing recorded: a change, shown as unknown.
        assert_eq!(changes(ty, &same, &salt, None)[0].1, json!(NOT_RECORDED));
        // Another salt: another digest.
        assert_ne!(digests(ty, &same, &new_salt()), sent);
        // No digest holds the secret.
        assert!(sent.values().all(|d| !d.contains("one")));
    }

    #[test]
    fn a_nested_write_only_field_is_compared_whole_and_masked_in_place() {
        let ty = StepType::from_name("notification_channel").expect("a kind");
        assert_eq!(fields(ty), ["target.headers"]);
        let body = json!({"type": "webhook", "target": {"url": "https://h.example",
            "headers": {"Authorization": "Bearer one"}}});
        let salt = new_salt();
        let sent = digests(ty, &body, &salt);
        assert_eq!(sent.keys().collect::<Vec<_>>(), ["target.headers"]);
        assert_eq!(
            pick(ty, &body),
            json!({"target": {"headers": {"Authorization": "Bearer one"}}})
        );
        assert!(changes(ty, &pick(ty, &body), &salt, Some(&sent)).is_empty());
        // Another header beside the same one: the map changed.
        let more = json!({"target": {"headers": {"Authorization": "Bearer one", "X": "y"}}});
        assert_eq!(
            changes(ty, &more, &salt, Some(&sent))[0].0,
            "target.headers"
        );
        assert_eq!(
            strip(ty, &body),
            json!({"type": "webhook", "target": {"url": "https://h.example"}})
        );
        let mut shown = body.clone();
        mask(ty, &mut shown);
        assert_eq!(shown["target"]["headers"], json!(SENSITIVE));
        assert_eq!(shown["target"]["url"], "https://h.example");
    }

    #[test]
    fn masks_and_strips_only_write_only_fields() {
        let ty = StepType::from_name("identity_provider").expect("a kind");
        let mut body = json!({"name": "n", "client_secret": "s3cret-value"});
        mask(ty, &mut body);
        assert_eq!(body, json!({"name": "n", "client_secret": SENSITIVE}));
        assert_eq!(strip(ty, &body), json!({"name": "n"}));
    }
}
