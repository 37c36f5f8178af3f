//! Nested request objects of the catalogue (policy rules, posture checks,
//! nameservers, account settings blocks), each named after its OpenAPI schema.

use crate::kind::ResourceKind;
use crate::spec::{
    Format, Lit, ObjectSpec, boolean, integer, map, object, objects, one_of, ranged, string,
    strings,
};

/// User roles the server knows; anything else is 422 `unknown user role`.
pub const USER_ROLES: &[&str] = &[
    "owner",
    "admin",
    "user",
    "billing_admin",
    "auditor",
    "network_admin",
];

pub(super) const RESOURCE: ObjectSpec = ObjectSpec {
    schema: "Resource",
    required: &["id", "type"],
    fields: &[
        string("id").refers(ResourceKind::NetworkResource),
        one_of("type", &["host", "subnet", "domain", "peer"]),
    ],
};

pub(super) const PORT_RANGE: ObjectSpec = ObjectSpec {
    schema: "RulePortRange",
    required: &["start", "end"],
    fields: &[ranged("start", 1, 65535), ranged("end", 1, 65535)],
};

pub(super) const POLICY_RULE: ObjectSpec = ObjectSpec {
    schema: "PolicyRuleUpdate",
    required: &["name", "enabled", "bidirectional", "protocol", "action"],
    fields: &[
        string("name").len(1, usize::MAX),
        string("description"),
        boolean("enabled").or(Lit::Bool(true)),
        one_of("action", &["accept", "drop"]).or(Lit::Str("accept")),
        boolean("bidirectional").or(Lit::Bool(true)),
        one_of("protocol", &["all", "tcp", "udp", "icmp", "netbird-ssh"]).or(Lit::Str("all")),
        strings("ports").format(Format::Port),
        objects("port_ranges", &PORT_RANGE),
        map("authorized_groups"),
        // The rule's own id: kept by an update, never carried to another account.
        string("id").per_account(),
        strings("sources").refers(ResourceKind::Group),
        object("sourceResource", &RESOURCE),
        strings("destinations").refers(ResourceKind::Group),
        object("destinationResource", &RESOURCE),
    ],
};

pub(super) const POLICY_FIELDS: &[crate::spec::FieldSpec] = &[
    string("name").len(1, usize::MAX),
    string("description").or(Lit::Str("")),
    boolean("enabled").or(Lit::Bool(true)),
    strings("source_posture_checks")
        .refers(ResourceKind::PostureCheck)
        .or(Lit::EmptyList),
    objects("rules", &POLICY_RULE),
];

pub(super) const POLICY_PUT: ObjectSpec = ObjectSpec {
    schema: "PolicyCreate",
    required: &["name", "enabled", "rules"],
    fields: POLICY_FIELDS,
};

pub(super) const MIN_VERSION: ObjectSpec = ObjectSpec {
    schema: "MinVersionCheck",
    required: &["min_version"],
    fields: &[string("min_version").format(Format::Version)],
};

pub(super) const MIN_KERNEL: ObjectSpec = ObjectSpec {
    schema: "MinKernelVersionCheck",
    required: &["min_kernel_version"],
    fields: &[string("min_kernel_version").format(Format::Version)],
};

pub(super) const OS_VERSION: ObjectSpec = ObjectSpec {
    schema: "OSVersionCheck",
    required: &[],
    fields: &[
        object("android", &MIN_VERSION),
        object("darwin", &MIN_VERSION),
        object("ios", &MIN_VERSION),
        object("linux", &MIN_KERNEL),
        object("windows", &MIN_KERNEL),
    ],
};

pub(super) const LOCATION: ObjectSpec = ObjectSpec {
    schema: "Location",
    required: &["country_code"],
    fields: &[
        string("country_code").format(Format::Country),
        string("city_name"),
    ],
};

pub(super) const GEO_LOCATION: ObjectSpec = ObjectSpec {
    schema: "GeoLocationCheck",
    required: &["locations", "action"],
    fields: &[
        objects("locations", &LOCATION).len(1, usize::MAX),
        one_of("action", &["allow", "deny"]),
    ],
};

pub(super) const NETWORK_RANGE: ObjectSpec = ObjectSpec {
    schema: "PeerNetworkRangeCheck",
    required: &["ranges", "action"],
    fields: &[
        strings("ranges").format(Format::Cidr).len(1, usize::MAX),
        one_of("action", &["allow", "deny"]),
    ],
};

pub(super) const PROCESS: ObjectSpec = ObjectSpec {
    schema: "Process",
    required: &[],
    fields: &[
        string("linux_path"),
        string("mac_path"),
        string("windows_path"),
    ],
};

pub(super) const PROCESS_CHECK: ObjectSpec = ObjectSpec {
    schema: "ProcessCheck",
    required: &["processes"],
    fields: &[objects("processes", &PROCESS).len(1, usize::MAX)],
};

pub(super) const CHECKS: ObjectSpec = ObjectSpec {
    schema: "Checks",
    required: &[],
    fields: &[
        object("nb_version_check", &MIN_VERSION),
        object("os_version_check", &OS_VERSION),
        object("geo_location_check", &GEO_LOCATION),
        object("peer_network_range_check", &NETWORK_RANGE),
        object("process_check", &PROCESS_CHECK),
    ],
};

pub(super) const NAMESERVER: ObjectSpec = ObjectSpec {
    schema: "Nameserver",
    required: &["ip", "ns_type", "port"],
    fields: &[
        string("ip").format(Format::Ip),
        one_of("ns_type", &["udp"]).or(Lit::Str("udp")),
        ranged("port", 1, 65535).or(Lit::Int(53)),
    ],
};

pub(super) const ACCOUNT_EXTRA: ObjectSpec = ObjectSpec {
    schema: "AccountExtraSettings",
    required: &[
        "peer_approval_enabled",
        "user_approval_required",
        "network_traffic_logs_enabled",
        "network_traffic_logs_groups",
        "network_traffic_packet_counter_enabled",
    ],
    fields: &[
        boolean("peer_approval_enabled"),
        boolean("user_approval_required"),
        boolean("network_traffic_logs_enabled"),
        strings("network_traffic_logs_groups").refers(ResourceKind::Group),
        boolean("network_traffic_packet_counter_enabled"),
    ],
};

pub(super) const DASHBOARD_FEATURES: ObjectSpec = ObjectSpec {
    schema: "AccountDashboardFeatures",
    required: &[],
    fields: &[boolean("agent_network")],
};

pub(super) const SETUP_KEY_PUT: ObjectSpec = ObjectSpec {
    schema: "SetupKeyRequest",
    required: &["revoked", "auto_groups"],
    fields: &[
        boolean("revoked"),
        strings("auto_groups").refers(ResourceKind::Group),
    ],
};

pub(super) const USER_PUT: ObjectSpec = ObjectSpec {
    schema: "UserRequest",
    required: &["role", "auto_groups", "is_blocked"],
    fields: &[
        one_of("role", USER_ROLES),
        strings("auto_groups").refers(ResourceKind::Group),
        boolean("is_blocked"),
    ],
};

pub(super) const ACCOUNT_SETTINGS_FIELDS: &[crate::spec::FieldSpec] = &[
    boolean("peer_login_expiration_enabled"),
    integer("peer_login_expiration"),
    boolean("peer_inactivity_expiration_enabled"),
    integer("peer_inactivity_expiration"),
    boolean("regular_users_view_blocked"),
    boolean("groups_propagation_enabled"),
    boolean("jwt_groups_enabled"),
    string("jwt_groups_claim_name"),
    strings("jwt_allow_groups"),
    boolean("routing_peer_dns_resolution_enabled"),
    boolean("lazy_connection_enabled"),
    string("dns_domain").per_account(),
    string("network_range").format(Format::Cidr).per_account(),
    string("network_range_v6")
        .format(Format::Cidr)
        .per_account(),
    boolean("peer_expose_enabled"),
    strings("peer_expose_groups").refers(ResourceKind::Group),
    object("extra", &ACCOUNT_EXTRA),
    string("auto_update_version").per_account(),
    boolean("auto_update_always").per_account(),
    boolean("metrics_push_enabled").per_account(),
    boolean("agent_network_only").per_account(),
    object("dashboard_features", &DASHBOARD_FEATURES).per_account(),
    boolean("embedded_idp_enabled").per_account(),
    boolean("local_auth_disabled").per_account(),
    boolean("local_mfa_enabled").per_account(),
    strings("ipv6_enabled_groups")
        .refers(ResourceKind::Group)
        .per_account(),
];
