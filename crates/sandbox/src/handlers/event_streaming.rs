//! `/api/event-streaming`: an account's event-streaming integrations (Datadog, Amazon S3,
//! Amazon Data Firehose, a generic HTTP endpoint), a collection with numeric ids.
//!
//! NetBird's code for them is not open (NetBird Cloud); what the sandbox does is read from
//! the OpenAPI spec and from the bodies NetBird's dashboard sends, and is documented in
//! docs/sandbox.md as the sandbox's reading:
//!
//! - `POST` takes `CreateIntegrationRequest` (`platform`, `config`, `enabled`) and answers 200
//!   with `IntegrationResponse`; `PUT /{id}` takes the same body, ignores `platform`, merges
//!   `config` over the stored one (a key sent replaces, the others stay) and sets `enabled`;
//!   `DELETE /{id}` answers 200 `{}`; an unknown id 404 `integration not found: <id>`.
//! - A body that is not JSON: 400 `couldn't parse JSON request`; a `config` value that is not
//!   a string: 422 `invalid field config.<key>: ...`, as every wrong type. Checks, 422 each,
//!   in order: `platform is required`, `invalid platform`
//!   (datadog, s3, firehose, generic_http), then each key the platform needs, in the
//!   dashboard's order, `config.<key> is required` (datadog: api_key, api_url; s3 and
//!   firehose: access_key, secret_key, bucket_name or stream_name, region; generic_http:
//!   url).
//! - The secret values (`api_key`, `secret_key`) are answered as `****`; the data file keeps
//!   their SHA-256 (`secrets_sha256`), never the values.
//! - Audit: NetBird's generic `integration.create`, `.update`, `.delete` (`activity/codes.go`,
//!   52 to 54), target the integration's id, meta `platform`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::prelude::*;
use crate::world::item::Item;
use crate::world::time::Ts;

/// The keys each platform needs, in the dashboard's order.
const KEYS: &[(&str, &[&str])] = &[
    ("datadog", &["api_key", "api_url"]),
    ("s3", &["access_key", "secret_key", "bucket_name", "region"]),
    (
        "firehose",
        &["access_key", "secret_key", "stream_name", "region"],
    ),
    ("generic_http", &["url"]),
];

/// The keys answered as `****`.
const SECRET_KEYS: &[&str] = &["api_key", "secret_key"];

/// `CreateIntegrationRequest`.
#[derive(Debug, Deserialize)]
pub struct StreamRequest {
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    config: Option<BTreeMap<String, String>>,
    #[serde(default)]
    enabled: Option<bool>,
}

/// What is stored and answered (secret values masked).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamSpec {
    platform: String,
    enabled: bool,
    config: BTreeMap<String, String>,
}

/// What the server adds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamExtra {
    created_at: Ts,
    updated_at: Ts,
    /// Hex SHA-256 of each secret value, by key.
    #[serde(default)]
    secrets_sha256: BTreeMap<String, String>,
}

/// A stored integration.
pub type Stream = Item<StreamSpec, StreamExtra>;

/// The answer: `IntegrationResponse`.
#[derive(Debug, Serialize)]
pub struct StreamView<'a> {
    id: i64,
    account_id: &'a str,
    enabled: bool,
    platform: &'a str,
    created_at: String,
    updated_at: String,
    config: &'a BTreeMap<String, String>,
}

/// `/api/event-streaming`.
pub struct Streams;

impl Collection for Streams {
    type Item = Stream;
    type Create = StreamRequest;
    type Update = StreamRequest;
    type View<'a> = StreamView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/event-streaming",
        what: "integration",
        codes: [
            "integration.create",
            "integration.update",
            "integration.delete",
        ],
        name: |s| &s.spec.platform,
        view: |a, _, s| StreamView {
            id: s.id.parse().unwrap_or_default(),
            account_id: &a.id,
            enabled: s.spec.enabled,
            platform: &s.spec.platform,
            created_at: s.extra.created_at.text(),
            updated_at: s.extra.updated_at.text(),
            config: &s.spec.config,
        },
    };

    fn check_create(_: &World, _: &At, r: &StreamRequest) -> Result<(), ApiError> {
        let platform = r.platform.as_deref().unwrap_or_default();
        ensure(!platform.is_empty(), "platform is required")?;
        keys(platform, r.config.as_ref())
    }
    fn create(w: &mut World, at: &mut At, r: StreamRequest) -> Built<Self> {
        let id = w.ids.number().to_string();
        at.set_id(id);
        let id = at.id(&mut w.ids);
        let now = Ts::now();
        let mut extra = StreamExtra {
            created_at: now,
            updated_at: now,
            secrets_sha256: BTreeMap::new(),
        };
        let config = masked(r.config.unwrap_or_default(), &mut extra);
        Ok(Item {
            id,
            spec: StreamSpec {
                platform: r.platform.unwrap_or_default(),
                enabled: r.enabled.unwrap_or(true),
                config,
            },
            extra,
        })
    }
    fn update(w: &mut World, at: &mut At, r: StreamRequest) -> Built<Self> {
        let mut old = stored::<Self>(w, at)?;
        let mut config = old.spec.config.clone();
        let sent = r.config.unwrap_or_default();
        config.extend(masked(sent, &mut old.extra));
        // The merged config must still have every key its platform needs.
        keys(&old.spec.platform, Some(&config))?;
        old.spec.config = config;
        if let Some(e) = r.enabled {
            old.spec.enabled = e;
        }
        old.extra.updated_at = Ts::now();
        Ok(old)
    }
    fn meta(s: &Stream, _: Verb) -> Vec<(&'static str, String)> {
        vec![("platform", s.spec.platform.clone())]
    }
}

/// 422 unless `platform` is known and `config` has the keys it needs, not empty.
fn keys(platform: &str, config: Option<&BTreeMap<String, String>>) -> Result<(), ApiError> {
    let Some((_, needed)) = KEYS.iter().find(|(p, _)| *p == platform) else {
        return Err(ApiError::invalid("invalid platform"));
    };
    for key in *needed {
        let given = config
            .and_then(|c| c.get(*key))
            .is_some_and(|v| !v.is_empty());
        ensure(given, format!("config.{key} is required"))?;
    }
    Ok(())
}

/// `config` with its secret values replaced by `****`, their digests kept in `extra`.
fn masked(
    mut config: BTreeMap<String, String>,
    extra: &mut StreamExtra,
) -> BTreeMap<String, String> {
    for key in SECRET_KEYS {
        if let Some(value) = config.get_mut(*key) {
            extra
                .secrets_sha256
                .insert((*key).to_owned(), crate::world::ids::hash_token(value));
            *value = "****".to_owned();
        }
    }
    config
}
