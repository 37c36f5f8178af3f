//! Identity-provider sync integrations (`/api/integrations/{google,azure,okta-scim,scim}-idp`):
//! NetBird Cloud pulls users and groups from Google Workspace or Azure AD, or takes them pushed
//! over SCIM (by Okta through an Auth0 enterprise connection, or by any SCIM provider). Each is a collection with numeric ids (the client reads them as strings). Create and
//! update bodies differ: an update takes every field as optional and adds `enabled`, and
//! some create fields (Azure's `host`, SCIM's `provider`) it does not take at all, so a
//! change to them is a replacement.
//!
//! Google's service-account key and Azure's client secret are taken on every write and
//! never answered: they are `write_only`. A SCIM integration's `auth_token` is answered in
//! full by the create only (masked afterwards): a secret output, like a setup key's `key`.
//!
//! An Okta SCIM integration's `connection_name` is taken by the create only and never
//! answered, so nothing can find one by it: onboard keeps one per account (an empty identity
//! key: the account's integration is adopted) and cannot see a changed name.

use super::BASE;
use crate::kind::ResourceKind;
use crate::spec::{
    FieldSpec, Identity, KindSpec, Lit, ObjectSpec, UpdateBody, boolean, one_of, ranged, string,
    strings,
};

const NONE: Lit = Lit::EmptyList;
/// NetBird's floor, and its default: five minutes.
const FIVE_MINUTES: Lit = Lit::Int(300);

// The fields more than one body takes: a create fills `sync_interval` in, an update does not.
const SERVICE_ACCOUNT_KEY: FieldSpec = string("service_account_key")
    .len(1, usize::MAX)
    .write_only();
const CUSTOMER_ID: FieldSpec = string("customer_id").len(1, usize::MAX);
const CLIENT_SECRET: FieldSpec = string("client_secret").len(1, usize::MAX).write_only();
const CLIENT_ID: FieldSpec = string("client_id").len(1, usize::MAX);
const TENANT_ID: FieldSpec = string("tenant_id").len(1, usize::MAX);
const PREFIX: FieldSpec = string("prefix").len(1, usize::MAX);
const SYNC_INTERVAL: FieldSpec = ranged("sync_interval", 300, i64::MAX);

/// A create body's fields: the integration's own, then the prefixes and connector every
/// integration takes.
macro_rules! create_fields {
    ($($field:expr),* $(,)?) => {
        &[
            $($field,)*
            strings("group_prefixes").or(NONE),
            strings("user_group_prefixes").or(NONE),
            string("connector_id"),
        ]
    };
}

/// An update body (`schema`): every integration's `enabled`, prefixes and connector, then the
/// integration's own fields; none required.
macro_rules! update_body {
    ($schema:literal $(, $field:expr)* $(,)?) => {
        ObjectSpec {
            schema: $schema,
            required: &[],
            fields: &[
                boolean("enabled"),
                strings("group_prefixes"),
                strings("user_group_prefixes"),
                string("connector_id"),
                $($field,)*
            ],
        }
    };
}

/// The response fields: every integration's, the integration's own, then `last_synced_at`.
macro_rules! response {
    ($($field:literal),* $(,)?) => {
        &[
            "enabled",
            "group_prefixes",
            "user_group_prefixes",
            "connector_id",
            "id",
            $($field,)*
            "last_synced_at",
        ]
    };
}

/// What the SCIM integrations share: not exported (their token is NetBird's, made by the
/// create and shown once: a copy would get a new one, which the export cannot hand over).
const SYNC: KindSpec = KindSpec {
    exported: false,
    ..BASE
};

/// What the Google and Azure integrations share: exported, their write-only credential as a
/// sensitive input (it cannot be read back).
const PULLED: KindSpec = KindSpec {
    exported: true,
    ..BASE
};

pub(super) static GOOGLE_IDP: KindSpec = KindSpec {
    kind: ResourceKind::GoogleIdp,
    name: "google_idp",
    collection: "/api/integrations/google-idp",
    request_schema: "CreateGoogleIntegrationRequest",
    required: &["service_account_key", "customer_id"],
    fields: create_fields![
        SERVICE_ACCOUNT_KEY,
        CUSTOMER_ID,
        SYNC_INTERVAL.or(FIVE_MINUTES),
    ],
    update: UpdateBody::Other(&GOOGLE_IDP_PUT),
    response_schemas: &["GoogleIntegration"],
    response_fields: response!["customer_id", "sync_interval"],
    // One Google Workspace customer is synced once.
    identity: Identity::Fields(&["customer_id"]),
    ..PULLED
};

const GOOGLE_IDP_PUT: ObjectSpec = update_body!(
    "UpdateGoogleIntegrationRequest",
    SERVICE_ACCOUNT_KEY,
    CUSTOMER_ID,
    SYNC_INTERVAL,
);

pub(super) static AZURE_IDP: KindSpec = KindSpec {
    kind: ResourceKind::AzureIdp,
    name: "azure_idp",
    collection: "/api/integrations/azure-idp",
    request_schema: "CreateAzureIntegrationRequest",
    required: &["client_secret", "client_id", "tenant_id", "host"],
    fields: create_fields![
        CLIENT_SECRET,
        CLIENT_ID,
        TENANT_ID,
        SYNC_INTERVAL.or(FIVE_MINUTES),
        one_of("host", &["microsoft.com", "microsoft.us"]).or(Lit::Str("microsoft.com")),
    ],
    update: UpdateBody::Other(&AZURE_IDP_PUT),
    response_schemas: &["AzureIntegration"],
    response_fields: response!["client_id", "tenant_id", "sync_interval", "host"],
    // One Azure AD tenant is synced once.
    identity: Identity::Fields(&["tenant_id"]),
    ..PULLED
};

const AZURE_IDP_PUT: ObjectSpec = update_body!(
    "UpdateAzureIntegrationRequest",
    CLIENT_SECRET,
    CLIENT_ID,
    TENANT_ID,
    SYNC_INTERVAL,
);

pub(super) static SCIM_IDP: KindSpec = KindSpec {
    kind: ResourceKind::ScimIdp,
    name: "scim_idp",
    collection: "/api/integrations/scim-idp",
    request_schema: "CreateScimIntegrationRequest",
    required: &["prefix", "provider"],
    fields: create_fields![PREFIX, string("provider").len(1, usize::MAX)],
    update: UpdateBody::Other(&SCIM_IDP_PUT),
    response_schemas: &["ScimIntegration"],
    response_fields: response!["prefix", "provider", "auth_token"],
    // The token the provider pushes with: in full in the create's answer only.
    secret_fields: &["auth_token"],
    // One integration a SCIM provider.
    identity: Identity::Fields(&["provider"]),
    ..SYNC
};

const SCIM_IDP_PUT: ObjectSpec = update_body!("UpdateScimIntegrationRequest", PREFIX);

pub(super) static OKTA_SCIM_IDP: KindSpec = KindSpec {
    kind: ResourceKind::OktaScimIdp,
    name: "okta_scim_idp",
    collection: "/api/integrations/okta-scim-idp",
    request_schema: "CreateOktaScimIntegrationRequest",
    required: &["connection_name"],
    fields: create_fields![string("connection_name").len(1, usize::MAX)],
    update: UpdateBody::Other(&OKTA_SCIM_IDP_PUT),
    response_schemas: &["OktaScimIntegration"],
    response_fields: response!["auth_token"],
    secret_fields: &["auth_token"],
    // One per account: the name it is made with is never answered.
    identity: Identity::Fields(&[]),
    ..SYNC
};

const OKTA_SCIM_IDP_PUT: ObjectSpec = update_body!("UpdateOktaScimIntegrationRequest");
