//! Account-level kinds of the catalogue: DNS settings and account settings
//! (singletons), users and their tokens.

use super::BASE;
use super::objects::{ACCOUNT_SETTINGS_FIELDS, USER_PUT, USER_ROLES};
use crate::kind::ResourceKind;
use crate::spec::{
    Format, Identity, KindSpec, Lit, UpdateBody, boolean, one_of, ranged, string, strings,
};

pub(super) static DNS_SETTINGS: KindSpec = KindSpec {
    kind: ResourceKind::DnsSettings,
    name: "dns_settings",
    collection: "/api/dns/settings",
    singleton: true,
    get_item: false,
    request_schema: "DNSSettings",
    required: &["disabled_management_groups"],
    fields: &[strings("disabled_management_groups").refers(ResourceKind::Group)],
    identity: Identity::Singleton,
    response_schemas: &["DNSSettings"],
    response_fields: &["disabled_management_groups"],
    ..BASE
};

pub(super) static ACCOUNT_SETTINGS: KindSpec = KindSpec {
    kind: ResourceKind::AccountSettings,
    name: "account_settings",
    // The account id comes from `GET /api/accounts`; the body is sent as
    // `{"settings": ...}` and only the settings object comes back.
    collection: "/api/accounts/{account_id}",
    singleton: true,
    get_item: false,
    request_schema: "AccountSettings",
    required: &[
        "peer_login_expiration_enabled",
        "peer_login_expiration",
        "peer_inactivity_expiration_enabled",
        "peer_inactivity_expiration",
        "regular_users_view_blocked",
        "peer_expose_enabled",
        "peer_expose_groups",
    ],
    fields: ACCOUNT_SETTINGS_FIELDS,
    identity: Identity::Singleton,
    response_schemas: &["AccountSettings"],
    response_fields: &[
        "peer_login_expiration_enabled",
        "peer_login_expiration",
        "peer_inactivity_expiration_enabled",
        "peer_inactivity_expiration",
        "regular_users_view_blocked",
        "groups_propagation_enabled",
        "jwt_groups_enabled",
        "jwt_groups_claim_name",
        "jwt_allow_groups",
        "routing_peer_dns_resolution_enabled",
        "dns_domain",
        "network_range",
        "network_range_v6",
        "peer_expose_enabled",
        "peer_expose_groups",
        "extra",
        "lazy_connection_enabled",
        "auto_update_version",
        "auto_update_always",
        "metrics_push_enabled",
        "agent_network_only",
        "dashboard_features",
        "embedded_idp_enabled",
        "local_auth_disabled",
        "local_mfa_enabled",
        "ipv6_enabled_groups",
    ],
    ..BASE
};

pub(super) static USER: KindSpec = KindSpec {
    kind: ResourceKind::User,
    name: "user",
    collection: "/api/users",
    get_item: false,
    request_schema: "UserCreateRequest",
    required: &["role", "auto_groups", "is_service_user"],
    fields: &[
        string("email").format(Format::Email),
        string("name"),
        // The spec has no enum; the server refuses other roles with 422.
        one_of("role", USER_ROLES),
        strings("auto_groups")
            .refers(ResourceKind::Group)
            .or(Lit::EmptyList),
        boolean("is_service_user").or(Lit::Bool(false)),
    ],
    identity: Identity::AnyOf(&[&["email"], &["name"]]),
    update: UpdateBody::Other(&USER_PUT),
    response_schemas: &["User"],
    response_fields: &[
        "id",
        "email",
        "password",
        "name",
        "role",
        "status",
        "last_login",
        "auto_groups",
        "is_current",
        "is_service_user",
        "is_blocked",
        "pending_approval",
        "issued",
        "idp_id",
        "permissions",
    ],
    secret_fields: &["password"],
    unique_name: Some(("email", 409)),
    ..BASE
};

pub(super) static TOKEN: KindSpec = KindSpec {
    kind: ResourceKind::Token,
    name: "token",
    collection: "/api/users/{user_id}/tokens",
    parent: Some("user_id"),
    request_schema: "PersonalAccessTokenRequest",
    required: &["name", "expires_in"],
    fields: &[
        string("name").len(1, usize::MAX),
        ranged("expires_in", 1, 365),
    ],
    update: UpdateBody::Unsupported,
    identity: Identity::Fields(&["user_id", "name"]),
    exported: false,
    // The client flattens `PersonalAccessTokenGenerated` on create: the
    // `personal_access_token` fields plus `plain_token`.
    response_schemas: &["PersonalAccessToken"],
    response_fields: &[
        "id",
        "name",
        "expiration_date",
        "created_by",
        "created_at",
        "last_used",
        "plain_token",
    ],
    secret_fields: &["plain_token"],
    ..BASE
};
