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

/// The write-only fields of a kind (none for a raw request).
pub fn fields(ty: StepType) -> Vec<&'static str> {
    ty.resource_kind()
        .map(|k| k.spec().write_only_fields().collect())
        .unwrap_or_default()
}

/// A fresh salt for a state: 32 random bytes, hex.
pub fn new_salt() -> String {
    let bytes: [u8; 32] = rand::random();
    hex(&bytes)
}

/// The digest of one field's value.
pub fn digest(salt: &str, field: &str, value: &Json) -> String {
    let message = format!("{field}\0{value}");
    hex(&hmac_sha256(salt.as_bytes(), message.as_bytes()))
}

/// The digests of the write-only fields `body` sets.
pub fn digests(ty: StepType, body: &Json, salt: &str) -> BTreeMap<String, String> {
    fields(ty)
        .into_iter()
        .filter_map(|f| Some((f.to_owned(), digest(salt, f, body.get(f)?))))
        .collect()
}

/// `body` without its write-only fields.
pub fn strip(ty: StepType, body: &Json) -> Json {
    let mut out = body.clone();
    if let Some(map) = out.as_object_mut() {
        for f in fields(ty) {
            map.remove(f);
        }
    }
    out
}

/// `body` with its write-only fields shown as `(sensitive)`.
pub fn mask(ty: StepType, body: &mut Json) {
    if let Some(map) = body.as_object_mut() {
        for f in fields(ty) {
            if let Some(v) = map.get_mut(f)
                && v.as_str() != Some(UNKNOWN)
            {
                *v = Json::String(SENSITIVE.to_owned());
            }
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
        let Some(v) = values.get(f) else { continue };
        if crate::playbook::render::contains_unknown(v) {
            continue;
        }
        let before = match recorded.and_then(|r| r.get(f)) {
            Some(d) if *d == digest(salt, f, v) => continue,
            Some(_) => SENT_BEFORE,
            None => NOT_RECORDED,
        };
        out.push((
            f.to_owned(),
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
    fn masks_and_strips_only_write_only_fields() {
        let ty = StepType::from_name("identity_provider").expect("a kind");
        let mut body = json!({"name": "n", "client_secret": "s3cret-value"});
        mask(ty, &mut body);
        assert_eq!(body, json!({"name": "n", "client_secret": SENSITIVE}));
        assert_eq!(strip(ty, &body), json!({"name": "n"}));
    }
}
