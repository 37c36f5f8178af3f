//! Account settings (`AccountSettings`, `AccountExtraSettings`) and onboarding flags, with
//! the defaults a new NetBird account gets. The same types parse `PUT /api/accounts/{id}`,
//! so a missing required setting is a 422 naming it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `AccountExtraSettings` (all five fields required).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtraSettings {
    /// Peer approval.
    pub peer_approval_enabled: bool,
    /// User approval.
    pub user_approval_required: bool,
    /// Traffic logs.
    pub network_traffic_logs_enabled: bool,
    /// Traffic log groups.
    pub network_traffic_logs_groups: Vec<String>,
    /// Packet counter.
    pub network_traffic_packet_counter_enabled: bool,
}

/// `AccountSettings`: the seven required fields, and the optional ones NetBird fills in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSettings {
    /// Peer login expiration on.
    pub peer_login_expiration_enabled: bool,
    /// Seconds.
    pub peer_login_expiration: i64,
    /// Peer inactivity expiration on.
    pub peer_inactivity_expiration_enabled: bool,
    /// Seconds.
    pub peer_inactivity_expiration: i64,
    /// Regular users cannot view the network.
    pub regular_users_view_blocked: bool,
    /// Peer expose on.
    pub peer_expose_enabled: bool,
    /// Peer expose groups.
    pub peer_expose_groups: Vec<String>,
    /// Optional settings follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_propagation_enabled: Option<bool>,
    /// JWT groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_groups_enabled: Option<bool>,
    /// JWT claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_groups_claim_name: Option<String>,
    /// JWT allow list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_allow_groups: Option<Vec<String>>,
    /// DNS on routing peers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_peer_dns_resolution_enabled: Option<bool>,
    /// Custom DNS domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_domain: Option<String>,
    /// IPv4 range (CIDR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_range: Option<String>,
    /// IPv6 range (CIDR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_range_v6: Option<String>,
    /// Extra settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<ExtraSettings>,
    /// Lazy connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lazy_connection_enabled: Option<bool>,
    /// Client auto-update version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_update_version: Option<String>,
    /// Install updates in the background.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_update_always: Option<bool>,
    /// Client metrics push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_push_enabled: Option<bool>,
    /// Agent-network-only dashboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_network_only: Option<bool>,
    /// Dashboard feature overrides (kept as given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_features: Option<Value>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded_idp_enabled: Option<bool>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_auth_disabled: Option<bool>,
    /// Local MFA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_mfa_enabled: Option<bool>,
    /// Groups with IPv6 overlay addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_enabled_groups: Option<Vec<String>>,
}

impl AccountSettings {
    /// The settings of a new account; `all_group` is its `All` group.
    pub fn new_account(all_group: &str) -> AccountSettings {
        AccountSettings {
            peer_login_expiration_enabled: true,
            peer_login_expiration: 86_400,
            peer_inactivity_expiration_enabled: false,
            peer_inactivity_expiration: 600,
            regular_users_view_blocked: true,
            peer_expose_enabled: false,
            peer_expose_groups: Vec::new(),
            groups_propagation_enabled: Some(true),
            jwt_groups_enabled: Some(false),
            jwt_groups_claim_name: Some(String::new()),
            jwt_allow_groups: Some(Vec::new()),
            routing_peer_dns_resolution_enabled: Some(true),
            dns_domain: Some(String::new()),
            network_range: Some("100.64.0.0/16".to_owned()),
            network_range_v6: None,
            extra: Some(ExtraSettings {
                peer_approval_enabled: false,
                user_approval_required: false,
                network_traffic_logs_enabled: false,
                network_traffic_logs_groups: Vec::new(),
                network_traffic_packet_counter_enabled: false,
            }),
            lazy_connection_enabled: Some(false),
            auto_update_version: Some("disabled".to_owned()),
            auto_update_always: Some(false),
            metrics_push_enabled: Some(false),
            agent_network_only: None,
            dashboard_features: None,
            embedded_idp_enabled: Some(false),
            local_auth_disabled: Some(false),
            local_mfa_enabled: Some(false),
            ipv6_enabled_groups: Some(vec![all_group.to_owned()]),
        }
    }

    /// `self` updated by a PUT body: required fields replaced, optional fields replaced only
    /// when given, read-only fields kept.
    pub fn merged(&self, req: AccountSettings) -> AccountSettings {
        fn pick<T>(new: Option<T>, old: &Option<T>) -> Option<T>
        where
            T: Clone,
        {
            new.or_else(|| old.clone())
        }
        AccountSettings {
            groups_propagation_enabled: pick(
                req.groups_propagation_enabled,
                &self.groups_propagation_enabled,
            ),
            jwt_groups_enabled: pick(req.jwt_groups_enabled, &self.jwt_groups_enabled),
            jwt_groups_claim_name: pick(req.jwt_groups_claim_name, &self.jwt_groups_claim_name),
            jwt_allow_groups: pick(req.jwt_allow_groups, &self.jwt_allow_groups),
            routing_peer_dns_resolution_enabled: pick(
                req.routing_peer_dns_resolution_enabled,
                &self.routing_peer_dns_resolution_enabled,
            ),
            dns_domain: pick(req.dns_domain, &self.dns_domain),
            network_range: pick(req.network_range, &self.network_range),
            network_range_v6: pick(req.network_range_v6, &self.network_range_v6),
            extra: pick(req.extra, &self.extra),
            lazy_connection_enabled: pick(
                req.lazy_connection_enabled,
                &self.lazy_connection_enabled,
            ),
            auto_update_version: pick(req.auto_update_version, &self.auto_update_version),
            auto_update_always: pick(req.auto_update_always, &self.auto_update_always),
            metrics_push_enabled: pick(req.metrics_push_enabled, &self.metrics_push_enabled),
            agent_network_only: pick(req.agent_network_only, &self.agent_network_only),
            dashboard_features: pick(req.dashboard_features, &self.dashboard_features),
            embedded_idp_enabled: self.embedded_idp_enabled,
            local_auth_disabled: self.local_auth_disabled,
            local_mfa_enabled: pick(req.local_mfa_enabled, &self.local_mfa_enabled),
            ipv6_enabled_groups: pick(req.ipv6_enabled_groups, &self.ipv6_enabled_groups),
            ..req
        }
    }
}

/// `AccountOnboarding`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Onboarding {
    /// Signup form pending.
    pub signup_form_pending: bool,
    /// Onboarding flow pending.
    pub onboarding_flow_pending: bool,
}
