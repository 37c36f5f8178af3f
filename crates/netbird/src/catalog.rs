//! The static resource catalogue: one [`KindSpec`] per [`ResourceKind`].
//!
//! Request fields, required lists and enums follow `shared/netbird/openapi.yml`
//! (schema names are recorded next to each table); a unit test cross-checks
//! them against the spec. Where the server is stricter than the spec, the
//! server wins (enums for setup key `type` and user `role`, the port range of
//! rules) and the cross-check allows it. Uniqueness and secrets come from
//! `shared/netbird/api-notes.md`; the secrets of raw calls to any path, from
//! `responses`.

mod accounts;
mod edr;
mod event_streaming;
mod idp_sync;
mod invites;
mod msp;
mod notifications;
mod objects;
mod responses;

use accounts::{ACCOUNT_SETTINGS, DNS_SETTINGS, TOKEN, USER};
use edr::{EDR_FALCON, EDR_FLEETDM, EDR_HUNTRESS, EDR_INTUNE, EDR_SENTINELONE};
pub use event_streaming::CONFIG_KEYS as EVENT_STREAMING_CONFIG_KEYS;
use event_streaming::EVENT_STREAMING;
use idp_sync::{AZURE_IDP, GOOGLE_IDP, OKTA_SCIM_IDP, SCIM_IDP};
use invites::USER_INVITE;
use msp::TENANT_DNS_VERIFICATION;
use notifications::NOTIFICATION_CHANNEL;

pub use objects::USER_ROLES;
use objects::*;
pub use responses::{RAW as RAW_RESPONSE_SECRETS, ResponseSecrets, looks_secret, response_secrets};

use serde::{Deserialize, Serialize};

use crate::spec::{
    Format, Identity, KindSpec, Lit, UpdateBody, boolean, object, objects as object_list, one_of,
    ranged, string, strings,
};

const NO: Lit = Lit::Bool(false);
const YES: Lit = Lit::Bool(true);
const NONE: Lit = Lit::EmptyList;
const EMPTY: Lit = Lit::Str("");
use ResourceKind::Group as G;

/// Every kind, once: its variant and its entry in this catalogue. [`ResourceKind`], its
/// `ALL` list (in this order) and [`spec`] are made from the list; adding a kind is one line
/// here and its entry.
macro_rules! catalogue {
    ($($kind:ident => $entry:path),* $(,)?) => {
        /// Every resource type a playbook can declare (the playbook's `type` strings, in
        /// snake case), in catalogue order.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum ResourceKind {
            $($kind),*
        }

        impl ResourceKind {
            /// All kinds, in catalogue order.
            pub const ALL: [ResourceKind; [$(stringify!($kind)),*].len()] =
                [$(ResourceKind::$kind),*];
        }

        /// The spec of `kind`.
        pub(crate) fn spec(kind: ResourceKind) -> &'static KindSpec {
            match kind {
                $(ResourceKind::$kind => &$entry),*
            }
        }
    };
}

catalogue! {
    Group => GROUP,
    SetupKey => SETUP_KEY,
    Policy => POLICY,
    PostureCheck => POSTURE_CHECK,
    Network => NETWORK,
    NetworkResource => NETWORK_RESOURCE,
    NetworkRouter => NETWORK_ROUTER,
    Route => ROUTE,
    NameserverGroup => NAMESERVER_GROUP,
    DnsSettings => DNS_SETTINGS,
    AccountSettings => ACCOUNT_SETTINGS,
    User => USER,
    Token => TOKEN,
    DnsZone => DNS_ZONE,
    DnsRecord => DNS_RECORD,
    IdentityProvider => IDENTITY_PROVIDER,
    EdrIntune => EDR_INTUNE,
    EdrSentinelone => EDR_SENTINELONE,
    EdrFalcon => EDR_FALCON,
    EdrHuntress => EDR_HUNTRESS,
    EdrFleetdm => EDR_FLEETDM,
    UserInvite => USER_INVITE,
    NotificationChannel => NOTIFICATION_CHANNEL,
    GoogleIdp => GOOGLE_IDP,
    AzureIdp => AZURE_IDP,
    OktaScimIdp => OKTA_SCIM_IDP,
    ScimIdp => SCIM_IDP,
    EventStreaming => EVENT_STREAMING,
    TenantDnsVerification => TENANT_DNS_VERIFICATION,
}

/// Defaults shared by most kinds; each spec overrides what differs.
const BASE: KindSpec = KindSpec {
    kind: ResourceKind::Group,
    name: "",
    collection: "",
    parent: None,
    singleton: false,
    may_be_absent: false,
    get_item: true,
    request_schema: "",
    required: &[],
    fields: &[],
    update: UpdateBody::SameAsCreate,
    response_schemas: &[],
    response_fields: &[],
    secret_fields: &[],
    unique_name: None,
    identity: Identity::Fields(&["name"]),
    exported: true,
    msp_action: false,
};

static GROUP: KindSpec = KindSpec {
    kind: ResourceKind::Group,
    name: "group",
    collection: "/api/groups",
    request_schema: "GroupRequest",
    required: &["name"],
    fields: &[
        string("name").len(1, usize::MAX),
        strings("peers"),
        object_list("resources", &RESOURCE),
    ],
    response_schemas: &["Group"],
    response_fields: &[
        "id",
        "name",
        "peers_count",
        "resources_count",
        "issued",
        "peers",
        "resources",
    ],
    unique_name: Some(("name", 409)),
    ..BASE
};

static SETUP_KEY: KindSpec = KindSpec {
    kind: ResourceKind::SetupKey,
    name: "setup_key",
    collection: "/api/setup-keys",
    request_schema: "CreateSetupKeyRequest",
    required: &["name", "type", "expires_in", "auto_groups", "usage_limit"],
    fields: &[
        string("name").len(1, usize::MAX),
        // The spec has no enum; the server refuses anything else with 422.
        one_of("type", &["one-off", "reusable"]).or(Lit::Str("reusable")),
        // The spec says 86400..=31536000; the server also takes 0 as "never expires".
        ranged("expires_in", 86_400, 31_536_000)
            .or_zero()
            .or(Lit::Int(2_592_000)),
        strings("auto_groups").refers(G).or(NONE),
        ranged("usage_limit", 0, i64::MAX).or(Lit::Int(0)),
        boolean("ephemeral").or(NO),
        boolean("allow_extra_dns_labels").or(NO),
    ],
    update: UpdateBody::Other(&SETUP_KEY_PUT),
    response_schemas: &["SetupKeyClear"],
    response_fields: &[
        "id",
        "key",
        "name",
        "expires",
        "type",
        "valid",
        "revoked",
        "used_times",
        "last_used",
        "state",
        "auto_groups",
        "updated_at",
        "usage_limit",
        "ephemeral",
        "allow_extra_dns_labels",
    ],
    secret_fields: &["key"],
    ..BASE
};

static POLICY: KindSpec = KindSpec {
    kind: ResourceKind::Policy,
    name: "policy",
    collection: "/api/policies",
    // POST takes `PolicyUpdate`, PUT `PolicyCreate` (the spec swaps the names;
    // the schemas are identical).
    request_schema: "PolicyUpdate",
    required: &["name", "enabled", "rules"],
    fields: POLICY_FIELDS,
    update: UpdateBody::Other(&POLICY_PUT),
    response_schemas: &["Policy"],
    response_fields: &[
        "name",
        "description",
        "enabled",
        "id",
        "source_posture_checks",
        "rules",
    ],
    ..BASE
};

static POSTURE_CHECK: KindSpec = KindSpec {
    kind: ResourceKind::PostureCheck,
    name: "posture_check",
    collection: "/api/posture-checks",
    request_schema: "PostureCheckUpdate",
    required: &["name", "description"],
    fields: &[
        string("name").len(1, usize::MAX),
        string("description").or(EMPTY),
        object("checks", &CHECKS),
    ],
    response_schemas: &["PostureCheck"],
    response_fields: &["id", "name", "description", "checks"],
    unique_name: Some(("name", 422)),
    ..BASE
};

static NETWORK: KindSpec = KindSpec {
    kind: ResourceKind::Network,
    name: "network",
    collection: "/api/networks",
    request_schema: "NetworkRequest",
    required: &["name"],
    fields: &[
        string("name").len(1, usize::MAX),
        string("description").or(EMPTY),
    ],
    response_schemas: &["Network"],
    response_fields: &[
        "id",
        "routers",
        "routing_peers_count",
        "resources",
        "policies",
        "name",
        "description",
    ],
    ..BASE
};

static NETWORK_RESOURCE: KindSpec = KindSpec {
    kind: ResourceKind::NetworkResource,
    name: "network_resource",
    collection: "/api/networks/{network_id}/resources",
    parent: Some("network_id"),
    request_schema: "NetworkResourceRequest",
    required: &["name", "address", "enabled", "groups"],
    fields: &[
        string("name").len(1, usize::MAX),
        string("description").or(EMPTY),
        string("address").format(Format::Address),
        boolean("enabled").or(YES),
        strings("groups").refers(G).or(NONE),
    ],
    response_schemas: &["NetworkResource"],
    response_fields: &[
        "id",
        "type",
        "groups",
        "name",
        "description",
        "address",
        "enabled",
    ],
    // Unique across the whole account, not per network.
    unique_name: Some(("name", 422)),
    ..BASE
};

static NETWORK_ROUTER: KindSpec = KindSpec {
    kind: ResourceKind::NetworkRouter,
    name: "network_router",
    collection: "/api/networks/{network_id}/routers",
    parent: Some("network_id"),
    request_schema: "NetworkRouterRequest",
    required: &["metric", "masquerade", "enabled"],
    fields: &[
        string("peer"),
        strings("peer_groups").refers(G),
        ranged("metric", 1, 9999).or(Lit::Int(9999)),
        boolean("masquerade").or(YES),
        boolean("enabled").or(YES),
    ],
    identity: Identity::AnyOf(&[&["network_id", "peer"], &["network_id", "peer_groups"]]),
    response_schemas: &["NetworkRouter"],
    response_fields: &[
        "id",
        "peer",
        "peer_groups",
        "metric",
        "masquerade",
        "enabled",
    ],
    ..BASE
};

static ROUTE: KindSpec = KindSpec {
    kind: ResourceKind::Route,
    name: "route",
    collection: "/api/routes",
    request_schema: "RouteRequest",
    // The spec also lists `id`, which is not a property of RouteRequest.
    required: &[
        "description",
        "network_id",
        "enabled",
        "metric",
        "masquerade",
        "groups",
        "keep_route",
    ],
    fields: &[
        string("description"),
        string("network_id").len(1, 40),
        boolean("enabled").or(YES),
        string("peer"),
        strings("peer_groups").refers(G),
        string("network").format(Format::Cidr),
        strings("domains").format(Format::Domain).len(0, 32),
        ranged("metric", 1, 9999).or(Lit::Int(9999)),
        boolean("masquerade").or(YES),
        strings("groups").refers(G),
        boolean("keep_route").or(YES),
        strings("access_control_groups").refers(G),
        boolean("skip_auto_apply"),
    ],
    identity: Identity::Fields(&["network_id", "description"]),
    response_schemas: &["Route"],
    response_fields: &[
        "id",
        "network_type",
        "description",
        "network_id",
        "enabled",
        "peer",
        "peer_groups",
        "network",
        "domains",
        "metric",
        "masquerade",
        "groups",
        "keep_route",
        "access_control_groups",
        "skip_auto_apply",
    ],
    ..BASE
};

static NAMESERVER_GROUP: KindSpec = KindSpec {
    kind: ResourceKind::NameserverGroup,
    name: "nameserver_group",
    collection: "/api/dns/nameservers",
    request_schema: "NameserverGroupRequest",
    required: &[
        "name",
        "description",
        "nameservers",
        "enabled",
        "groups",
        "primary",
        "domains",
        "search_domains_enabled",
    ],
    fields: &[
        string("name").len(1, 40),
        string("description").or(EMPTY),
        object_list("nameservers", &NAMESERVER).len(1, 3),
        boolean("enabled").or(YES),
        strings("groups").refers(G).len(1, usize::MAX),
        // Defaults to "no match domains": filled in by the engine from `domains`.
        boolean("primary"),
        strings("domains").format(Format::Domain).or(NONE),
        boolean("search_domains_enabled").or(NO),
    ],
    response_schemas: &["NameserverGroup"],
    response_fields: &[
        "id",
        "name",
        "description",
        "nameservers",
        "enabled",
        "groups",
        "primary",
        "domains",
        "search_domains_enabled",
    ],
    unique_name: Some(("name", 422)),
    ..BASE
};

static DNS_ZONE: KindSpec = KindSpec {
    kind: ResourceKind::DnsZone,
    name: "dns_zone",
    collection: "/api/dns/zones",
    request_schema: "ZoneRequest",
    required: &[
        "name",
        "domain",
        "enable_search_domain",
        "distribution_groups",
    ],
    fields: &[
        string("name").len(1, 255),
        string("domain").format(Format::Domain),
        boolean("enabled").or(YES),
        boolean("enable_search_domain").or(NO),
        strings("distribution_groups").refers(G).len(1, usize::MAX),
    ],
    response_schemas: &["Zone"],
    response_fields: &[
        "id",
        "name",
        "domain",
        "enabled",
        "enable_search_domain",
        "distribution_groups",
        "records",
    ],
    // Names may repeat; a second zone with a domain is 409.
    unique_name: Some(("domain", 409)),
    identity: Identity::Fields(&["domain"]),
    ..BASE
};

static DNS_RECORD: KindSpec = KindSpec {
    kind: ResourceKind::DnsRecord,
    name: "dns_record",
    collection: "/api/dns/zones/{zone_id}/records",
    parent: Some("zone_id"),
    request_schema: "DNSRecordRequest",
    required: &["name", "type", "content", "ttl"],
    fields: &[
        // The record's full name, inside the zone's domain; `*.` wildcards allowed.
        string("name").format(Format::Domain),
        one_of("type", &["A", "AAAA", "CNAME"]),
        string("content").len(1, 255),
        ranged("ttl", 0, i64::MAX).or(Lit::Int(300)),
    ],
    response_schemas: &["DNSRecord"],
    response_fields: &["id", "name", "type", "content", "ttl"],
    identity: Identity::Fields(&["zone_id", "name", "type"]),
    ..BASE
};

static IDENTITY_PROVIDER: KindSpec = KindSpec {
    kind: ResourceKind::IdentityProvider,
    name: "identity_provider",
    collection: "/api/identity-providers",
    request_schema: "IdentityProviderRequest",
    required: &["type", "name", "issuer", "client_id", "client_secret"],
    fields: &[
        one_of(
            "type",
            &[
                "oidc",
                "zitadel",
                "entra",
                "google",
                "okta",
                "pocketid",
                "microsoft",
                // The server also takes these two, which the spec's enum lacks.
                "authentik",
                "keycloak",
                "adfs",
            ],
        ),
        string("name").len(1, usize::MAX),
        // NetBird checks the issuer's discovery document on every write; `google` and
        // `microsoft` have a built-in issuer and may leave it empty.
        string("issuer").or(EMPTY),
        string("client_id").len(1, usize::MAX),
        // Taken on every write, never returned.
        string("client_secret").write_only(),
    ],
    response_schemas: &["IdentityProvider"],
    response_fields: &["id", "type", "name", "issuer", "client_id"],
    // NetBird does not keep names unique; onboard finds a provider by its name. Exported
    // with its secret as a sensitive input (the secret cannot be read back).
    ..BASE
};
