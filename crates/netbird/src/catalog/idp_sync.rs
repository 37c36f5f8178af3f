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
    Identity, KindSpec, Lit, ObjectSpec, UpdateBody, boolean, one_of, ranged, string, strings,
};

const NONE: Lit = Lit::EmptyList;
/// NetBird's floor, and its default: five minutes.
const FIVE_MINUTES: Lit = Lit::Int(300);

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
    fields: &[
        string("service_account_key")
            .len(1, usize::MAX)
            .write_only(),
        string("customer_id").len(1, usize::MAX),
        ranged("sync_interval", 300, i64::MAX).or(FIVE_MINUTES),
        strings("group_prefixes").or(NONE),
        strings("user_group_prefixes").or(NONE),
        string("connector_id"),
    ],
    update: UpdateBody::Other(&GOOGLE_IDP_PUT),
    response_schemas: &["GoogleIntegration"],
    response_fields: &[
        "enabled",
        "group_prefixes",
        "user_group_prefixes",
        "connector_id",
        "id",
        "customer_id",
        "sync_interval",
        "last_synced_at",
    ],
    // One Google Workspace customer is synced once.
    identity: Identity::Fields(&["customer_id"]),
    ..PULLED
};

const GOOGLE_IDP_PUT: ObjectSpec = ObjectSpec {
    schema: "UpdateGoogleIntegrationRequest",
    required: &[],
    fields: &[
        boolean("enabled"),
        strings("group_prefixes"),
        strings("user_group_prefixes"),
        string("connector_id"),
        string("service_account_key")
            .len(1, usize::MAX)
            .write_only(),
        string("customer_id").len(1, usize::MAX),
        ranged("sync_interval", 300, i64::MAX),
    ],
};

pub(super) static AZURE_IDP: KindSpec = KindSpec {
    kind: ResourceKind::AzureIdp,
    name: "azure_idp",
    collection: "/api/integrations/azure-idp",
    request_schema: "CreateAzureIntegrationRequest",
    required: &["client_secret", "client_id", "tenant_id", "host"],
    fields: &[
        string("client_secret").len(1, usize::MAX).write_only(),
        string("client_id").len(1, usize::MAX),
        string("tenant_id").len(1, usize::MAX),
        ranged("sync_interval", 300, i64::MAX).or(FIVE_MINUTES),
        one_of("host", &["microsoft.com", "microsoft.us"]).or(Lit::Str("microsoft.com")),
        strings("group_prefixes").or(NONE),
        strings("user_group_prefixes").or(NONE),
        string("connector_id"),
    ],
    update: UpdateBody::Other(&AZURE_IDP_PUT),
    response_schemas: &["AzureIntegration"],
    response_fields: &[
        "enabled",
        "group_prefixes",
        "user_group_prefixes",
        "connector_id",
        "id",
        "client_id",
        "tenant_id",
        "sync_interval",
        "host",
        "last_synced_at",
    ],
    // One Azure AD tenant is synced once.
    identity: Identity::Fields(&["tenant_id"]),
    ..PULLED
};

const AZURE_IDP_PUT: ObjectSpec = ObjectSpec {
    schema: "UpdateAzureIntegrationRequest",
    required: &[],
    fields: &[
        boolean("enabled"),
        strings("group_prefixes"),
        strings("user_group_prefixes"),
        string("connector_id"),
        string("client_secret").len(1, usize::MAX).write_only(),
        string("client_id").len(1, usize::MAX),
        string("tenant_id").len(1, usize::MAX),
        ranged("sync_interval", 300, i64::MAX),
    ],
};

pub(super) static SCIM_IDP: KindSpec = KindSpec {
    kind: ResourceKind::ScimIdp,
    name: "scim_idp",
    collection: "/api/integrations/scim-idp",
    request_schema: "CreateScimIntegrationRequest",
    required: &["prefix", "provider"],
    fields: &[
        string("prefix").len(1, usize::MAX),
        string("provider").len(1, usize::MAX),
        strings("group_prefixes").or(NONE),
        strings("user_group_prefixes").or(NONE),
        string("connector_id"),
    ],
    update: UpdateBody::Other(&SCIM_IDP_PUT),
    response_schemas: &["ScimIntegration"],
    response_fields: &[
        "enabled",
        "group_prefixes",
        "user_group_prefixes",
        "connector_id",
        "id",
        "prefix",
        "provider",
        "auth_token",
        "last_synced_at",
    ],
    // The token the provider pushes with: in full in the create's answer only.
    secret_fields: &["auth_token"],
    // One integration a SCIM provider.
    identity: Identity::Fields(&["provider"]),
    ..SYNC
};

const SCIM_IDP_PUT: ObjectSpec = ObjectSpec {
    schema: "UpdateScimIntegrationRequest",
    required: &[],
    fields: &[
        boolean("enabled"),
        strings("group_prefixes"),
        strings("user_group_prefixes"),
        string("connector_id"),
        string("prefix").len(1, usize::MAX),
    ],
};

pub(super) static OKTA_SCIM_IDP: KindSpec = KindSpec {
    kind: ResourceKind::OktaScimIdp,
    name: "okta_scim_idp",
    collection: "/api/integrations/okta-scim-idp",
    request_schema: "CreateOktaScimIntegrationRequest",
    required: &["connection_name"],
    fields: &[
        string("connection_name").len(1, usize::MAX),
        strings("group_prefixes").or(NONE),
        strings("user_group_prefixes").or(NONE),
        string("connector_id"),
    ],
    update: UpdateBody::Other(&OKTA_SCIM_IDP_PUT),
    response_schemas: &["OktaScimIntegration"],
    response_fields: &[
        "enabled",
        "group_prefixes",
        "user_group_prefixes",
        "connector_id",
        "id",
        "auth_token",
        "last_synced_at",
    ],
    secret_fields: &["auth_token"],
    // One per account: the name it is made with is never answered.
    identity: Identity::Fields(&[]),
    ..SYNC
};

const OKTA_SCIM_IDP_PUT: ObjectSpec = ObjectSpec {
    schema: "UpdateOktaScimIntegrationRequest",
    required: &[],
    fields: &[
        boolean("enabled"),
        strings("group_prefixes"),
        strings("user_group_prefixes"),
        string("connector_id"),
    ],
};
