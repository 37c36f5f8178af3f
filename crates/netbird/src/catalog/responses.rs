//! Secrets in the answer of any API path, for raw calls (a playbook's `request` steps).
//!
//! A path of a resource kind (its collection, an item of it) answers with that kind's
//! secret fields (`POST /api/setup-keys`: `key`; `POST /api/users/{id}/tokens`:
//! `plain_token`). [`RAW`] lists the other paths of `shared/netbird/openapi.yml` whose answer
//! holds a secret (invites, SCIM tokens, proxy tokens, ...); a test checks it against the
//! spec. For a path the catalogue does not know, every field named like a secret
//! ([`looks_secret`]), at any depth, is one.

use crate::kind::ResourceKind;

/// What of an API path's answer is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseSecrets {
    /// A path the catalogue knows: exactly these fields, as dotted paths from the answer's
    /// root (`auth.password_auth.password`); lists are looked through (the path applies to
    /// every element).
    Known(Vec<&'static str>),
    /// A path the catalogue does not know: every field whose name [`looks_secret`].
    ByName,
}

/// Paths (`{}`: one segment) whose answers hold secrets, beyond the resource kinds' own.
pub static RAW: &[(&str, &[&str])] = &[
    ("/api/setup", &["personal_access_token"]),
    ("/api/users/{}/approve", &["password"]),
    ("/api/users/invites", &["invite_token"]),
    ("/api/users/invites/{}/regenerate", &["invite_token"]),
    ("/api/integrations/okta-scim-idp/{}/token", &["auth_token"]),
    ("/api/integrations/scim-idp/{}/token", &["auth_token"]),
    ("/api/reverse-proxies/proxy-tokens", &["plain_token"]),
    (
        "/api/reverse-proxies/services",
        &["auth.password_auth.password"],
    ),
    (
        "/api/reverse-proxies/services/{}",
        &["auth.password_auth.password"],
    ),
    (
        "/api/reverse-proxies/domains",
        &["auth.password_auth.password"],
    ),
    ("/api/peers/{}/jobs", &["workload.result.upload_key"]),
    ("/api/peers/{}/jobs/{}", &["workload.result.upload_key"]),
];

/// Words that make a field name a secret's: `key`, `api_key`, `plain_token`, `clientSecret`,
/// `password`.
const SECRET_WORDS: &[&str] = &[
    "key",
    "keys",
    "apikey",
    "token",
    "tokens",
    "secret",
    "secrets",
    "password",
    "passwords",
    "passwd",
    "passphrase",
];

/// Whether a field name reads like a secret's: one of its words (split at `_`, `-`, `.` and
/// lower-to-upper case changes) is `key`, `token`, `secret`, `password` (or a plural, or
/// `apikey`, `passwd`, `passphrase`).
pub fn looks_secret(name: &str) -> bool {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if matches!(c, '_' | '-' | '.' | ' ') {
            words.push(std::mem::take(&mut word));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    words.push(word);
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
}

/// The secrets of the answer to a call of `path` (a query string is ignored): those of every
/// kind and [`RAW`] entry whose path matches, or [`ResponseSecrets::ByName`] when none does.
pub fn response_secrets(path: &str) -> ResponseSecrets {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut known = false;
    let mut fields: Vec<&'static str> = Vec::new();
    for kind in ResourceKind::ALL {
        let spec = kind.spec();
        let item = [spec.collection, "/{id}"].concat();
        if matches(spec.collection, path) || (!spec.singleton && matches(&item, path)) {
            known = true;
            fields.extend(spec.secret_fields);
        }
    }
    for (template, secret) in RAW {
        if matches(template, path) {
            known = true;
            fields.extend(*secret);
        }
    }
    fields.sort_unstable();
    fields.dedup();
    if known {
        ResponseSecrets::Known(fields)
    } else {
        ResponseSecrets::ByName
    }
}

/// Whether `path` fills `template`, whose `{...}` segments each match one segment.
fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_read_like_secrets() {
        for name in [
            "key",
            "api_key",
            "plain_token",
            "invite_token",
            "clientSecret",
            "password",
            "new-password",
            "apikey",
            "auth.token",
            "secret_keys",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "id",
            "name",
            "keyboard",
            "monkey",
            "tokenizer",
            "secretary",
            "dns_challenge",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn paths_of_kinds_and_raw_paths_are_known() {
        use ResponseSecrets::*;
        assert_eq!(response_secrets("/api/setup-keys"), Known(vec!["key"]));
        assert_eq!(response_secrets("/api/setup-keys/abc"), Known(vec!["key"]));
        assert_eq!(
            response_secrets("/api/users/u1/tokens?account=t1"),
            Known(vec!["plain_token"])
        );
        assert_eq!(response_secrets("/api/users"), Known(vec!["password"]));
        assert_eq!(
            response_secrets("/api/users/invites"),
            Known(vec!["invite_token", "password"])
        );
        assert_eq!(response_secrets("/api/groups"), Known(vec![]));
        assert_eq!(response_secrets("/api/groups/g1"), Known(vec![]));
        assert_eq!(response_secrets("/api/somewhere/new"), ByName);
        assert_eq!(response_secrets("/api/users/u1/tokens/t1/x"), ByName);
    }
}
