//! Event streaming (`/api/event-streaming`): NetBird Cloud sends the account's activity events
//! to Datadog, Amazon S3, Amazon Data Firehose or any HTTP endpoint. A collection with numeric
//! ids; `PUT` takes the create's body and ignores `platform`, so the platform is the identity
//! key (one integration per platform).
//!
//! `config` is a free map of strings whose keys depend on the platform (the keys NetBird's
//! dashboard sends, [`CONFIG_KEYS`]; checked in `cross`). Its secret values (an API key, an
//! AWS secret key) come back masked as `****`, and a value cannot be marked write-only inside a
//! free map, so the whole `config` is `write_only`: compared through the state's digest of
//! what was last sent, shown `(sensitive)` in plans.

use super::BASE;
use crate::kind::ResourceKind;
use crate::spec::{Identity, KindSpec, Lit, boolean, map, one_of};

/// The platforms.
pub const PLATFORMS: &[&str] = &["datadog", "s3", "firehose", "generic_http"];

/// The `config` keys each platform requires, as NetBird's dashboard sends them
/// (`generic_http` may also take `headers`, a JSON object as a string, and `body_template`).
pub const CONFIG_KEYS: &[(&str, &[&str])] = &[
    ("datadog", &["api_key", "api_url"]),
    ("s3", &["access_key", "secret_key", "bucket_name", "region"]),
    (
        "firehose",
        &["access_key", "secret_key", "stream_name", "region"],
    ),
    ("generic_http", &["url"]),
];

pub(super) static EVENT_STREAMING: KindSpec = KindSpec {
    kind: ResourceKind::EventStreaming,
    name: "event_streaming",
    collection: "/api/event-streaming",
    request_schema: "CreateIntegrationRequest",
    required: &["platform", "config", "enabled"],
    fields: &[
        one_of("platform", PLATFORMS),
        map("config").write_only(),
        boolean("enabled").or(Lit::Bool(true)),
    ],
    response_schemas: &["IntegrationResponse"],
    response_fields: &[
        "id",
        "account_id",
        "enabled",
        "platform",
        "created_at",
        "updated_at",
        "config",
    ],
    identity: Identity::Fields(&["platform"]),
    // Not exported: the secret values of `config` cannot be read back.
    exported: false,
    ..BASE
};
