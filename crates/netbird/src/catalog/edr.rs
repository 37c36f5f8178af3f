//! EDR integrations (`/api/integrations/edr/<vendor>`): one per account, which an account may
//! have none of (`may_be_absent`): `GET` answers 404 until a `POST` creates it, `PUT` replaces
//! it, `DELETE` removes it, all on the one path. Every request carries the vendor's
//! credentials, which no answer returns: they are `write_only`. Falcon's `client_id` and
//! Huntress's `api_key` are never returned either, so they are write-only too.

use super::BASE;
use crate::kind::ResourceKind;
use crate::spec::{
    FieldSpec, Identity, KindSpec, Lit, ObjectSpec, boolean, integer, integers, object, one_of,
    ranged, string, strings,
};

// The fields every integration takes (Falcon has no sync interval).
const GROUPS: FieldSpec = strings("groups").refers(ResourceKind::Group);
/// NetBird's floor, and what onboard sends when a playbook leaves it out: a day.
const INTERVAL: FieldSpec = ranged("last_synced_interval", 24, i64::MAX).or(Lit::Int(24));
const ENABLED: FieldSpec = boolean("enabled").or(Lit::Bool(true));

/// What every EDR kind shares: a singleton that may be absent, exported with its
/// credentials as sensitive inputs (they cannot be read back).
const EDR: KindSpec = KindSpec {
    singleton: true,
    may_be_absent: true,
    get_item: false,
    identity: Identity::Singleton,
    ..BASE
};

/// The response fields every integration has besides its own.
macro_rules! response {
    ($($field:literal),*) => {
        &[
            "id",
            "account_id",
            "created_by",
            "last_synced_at",
            "created_at",
            "updated_at",
            "groups",
            "enabled",
            $($field),*
        ]
    };
}

pub(super) static EDR_INTUNE: KindSpec = KindSpec {
    kind: ResourceKind::EdrIntune,
    name: "edr_intune",
    collection: "/api/integrations/edr/intune",
    request_schema: "EDRIntuneRequest",
    required: &[
        "client_id",
        "tenant_id",
        "secret",
        "groups",
        "last_synced_interval",
    ],
    fields: &[
        string("client_id").len(1, usize::MAX),
        string("tenant_id").len(1, usize::MAX),
        string("secret").len(1, usize::MAX).write_only(),
        GROUPS,
        INTERVAL,
        ENABLED,
    ],
    response_schemas: &["EDRIntuneResponse"],
    response_fields: response!("client_id", "tenant_id", "last_synced_interval"),
    ..EDR
};

const SENTINELONE_MATCH: ObjectSpec = ObjectSpec {
    schema: "SentinelOneMatchAttributes",
    required: &[],
    fields: &[
        integer("active_threats"),
        boolean("encrypted_applications"),
        boolean("firewall_enabled"),
        boolean("infected"),
        boolean("is_active"),
        boolean("is_up_to_date"),
        one_of(
            "network_status",
            &["connected", "disconnected", "quarantined"],
        ),
        string("operational_state"),
    ],
};

pub(super) static EDR_SENTINELONE: KindSpec = KindSpec {
    kind: ResourceKind::EdrSentinelone,
    name: "edr_sentinelone",
    collection: "/api/integrations/edr/sentinelone",
    request_schema: "EDRSentinelOneRequest",
    required: &[
        "api_token",
        "api_url",
        "groups",
        "last_synced_interval",
        "match_attributes",
    ],
    fields: &[
        string("api_token").len(1, usize::MAX).write_only(),
        string("api_url").len(1, usize::MAX),
        GROUPS,
        INTERVAL,
        ENABLED,
        object("match_attributes", &SENTINELONE_MATCH),
    ],
    response_schemas: &["EDRSentinelOneResponse"],
    response_fields: response!("api_url", "last_synced_interval", "match_attributes"),
    ..EDR
};

pub(super) static EDR_FALCON: KindSpec = KindSpec {
    kind: ResourceKind::EdrFalcon,
    name: "edr_falcon",
    collection: "/api/integrations/edr/falcon",
    request_schema: "EDRFalconRequest",
    required: &[
        "client_id",
        "secret",
        "cloud_id",
        "groups",
        "zta_score_threshold",
    ],
    fields: &[
        // Never returned, like the secret.
        string("client_id").len(1, usize::MAX).write_only(),
        string("secret").len(1, usize::MAX).write_only(),
        string("cloud_id").len(1, usize::MAX),
        GROUPS,
        ranged("zta_score_threshold", 0, 100),
        ENABLED,
    ],
    response_schemas: &["EDRFalconResponse"],
    response_fields: response!("cloud_id", "zta_score_threshold"),
    ..EDR
};

const HUNTRESS_MATCH: ObjectSpec = ObjectSpec {
    schema: "HuntressMatchAttributes",
    required: &[],
    fields: &[
        string("defender_policy_status"),
        string("defender_status"),
        string("defender_substatus"),
        string("firewall_status"),
    ],
};

pub(super) static EDR_HUNTRESS: KindSpec = KindSpec {
    kind: ResourceKind::EdrHuntress,
    name: "edr_huntress",
    collection: "/api/integrations/edr/huntress",
    request_schema: "EDRHuntressRequest",
    required: &[
        "api_key",
        "api_secret",
        "groups",
        "last_synced_interval",
        "match_attributes",
    ],
    fields: &[
        // Never returned, like the secret.
        string("api_key").len(1, usize::MAX).write_only(),
        string("api_secret").len(1, usize::MAX).write_only(),
        GROUPS,
        INTERVAL,
        ENABLED,
        object("match_attributes", &HUNTRESS_MATCH),
    ],
    response_schemas: &["EDRHuntressResponse"],
    response_fields: response!("last_synced_interval", "match_attributes"),
    ..EDR
};

const FLEETDM_MATCH: ObjectSpec = ObjectSpec {
    schema: "FleetDMMatchAttributes",
    required: &[],
    fields: &[
        boolean("disk_encryption_enabled"),
        ranged("failing_policies_count_max", 0, i64::MAX),
        ranged("vulnerable_software_count_max", 0, i64::MAX),
        boolean("status_online"),
        integers("required_policies"),
    ],
};

pub(super) static EDR_FLEETDM: KindSpec = KindSpec {
    kind: ResourceKind::EdrFleetdm,
    name: "edr_fleetdm",
    collection: "/api/integrations/edr/fleetdm",
    request_schema: "EDRFleetDMRequest",
    required: &[
        "api_url",
        "api_token",
        "groups",
        "last_synced_interval",
        "match_attributes",
    ],
    fields: &[
        string("api_url").len(1, usize::MAX),
        string("api_token").len(1, usize::MAX).write_only(),
        GROUPS,
        INTERVAL,
        ENABLED,
        object("match_attributes", &FLEETDM_MATCH),
    ],
    response_schemas: &["EDRFleetDMResponse"],
    response_fields: response!("api_url", "last_synced_interval", "match_attributes"),
    ..EDR
};
