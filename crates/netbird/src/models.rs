//! Typed models for MSP tenants, accounts and the current user.
//!
//! Resource objects (groups, policies, ...) stay `serde_json::Value` so that the
//! engine can diff and template any field; the few objects the engine reasons
//! about directly are typed here. Responses are parsed leniently (unknown
//! fields ignored, non-essential fields defaulted); account `settings` stay a
//! JSON map so settings this crate does not model round-trip unchanged.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An MSP-account group whose members may manage a tenant, and the role they get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantGroup {
    /// A group id of the MSP account (not of the tenant).
    pub id: String,
    /// e.g. `admin`; the spec gives no enum.
    pub role: String,
}

/// `POST /api/integrations/msp/tenants`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTenantRequest {
    pub name: String,
    pub domain: String,
    pub groups: Vec<TenantGroup>,
}

/// `PUT /api/integrations/msp/tenants/{id}`; the domain cannot be changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantRequest {
    pub name: String,
    pub groups: Vec<TenantGroup>,
}

/// Where a tenant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Existing,
    Invited,
    Pending,
    Active,
    /// A status this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// The body of NetBird's 501 to `POST .../tenants/{id}/dns` ("DNS Challenge Failed").
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DnsChallengeResponse {
    /// The value the TXT record at the tenant's domain must hold.
    pub dns_challenge: String,
}

/// What NetBird answered to a tenant domain verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsVerification {
    /// 200: the TXT record holds the challenge; the domain is verified.
    Verified,
    /// 501: the TXT record is missing or holds another value.
    Failed {
        /// The value the TXT record at the tenant's domain must hold.
        dns_challenge: String,
    },
}

/// A tenant as the MSP API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantResponse {
    /// The tenant's account id: the value of `?account=`.
    pub id: String,
    pub name: String,
    pub domain: String,
    #[serde(default)]
    pub groups: Vec<TenantGroup>,
    /// The TXT record value that verifies the domain.
    #[serde(default)]
    pub dns_challenge: String,
    pub status: TenantStatus,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invited_at: Option<String>,
}

/// An account (`GET /api/accounts` returns a list of exactly one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    /// `AccountSettings`, kept as JSON so unmodelled settings survive a PUT.
    #[serde(default)]
    pub settings: Map<String, Value>,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub domain_category: String,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding: Option<Value>,
}

/// Whether a user is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Invited,
    Blocked,
    #[serde(other)]
    Unknown,
}

/// A user (`GET /api/users/current` and list items). The one-time `password`
/// is deliberately not modelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    pub status: UserStatus,
    #[serde(default)]
    pub auto_groups: Vec<String>,
    #[serde(default)]
    pub is_service_user: bool,
    #[serde(default)]
    pub is_blocked: bool,
    #[serde(default)]
    pub is_current: bool,
    #[serde(default)]
    pub pending_approval: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Value>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tenant_round_trip_and_unknown_status() {
        let t: TenantResponse = serde_json::from_value(json!({
            "id": "t1", "name": "Acme", "domain": "acme.example",
            "groups": [{"id": "g1", "role": "admin"}], "dns_challenge": "abc",
            "status": "pending", "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z", "future_field": 1,
        }))
        .unwrap();
        assert_eq!(t.status, TenantStatus::Pending);
        let t: TenantResponse = serde_json::from_value(json!({
            "id": "t1", "name": "Acme", "domain": "acme.example", "status": "suspended",
        }))
        .unwrap();
        assert_eq!(t.status, TenantStatus::Unknown);
        assert!(
            serde_json::from_value::<CreateTenantRequest>(
                json!({"name": "a", "domain": "b", "groups": [], "extra": 1})
            )
            .is_err()
        );
    }

    #[test]
    fn account_settings_round_trip_unmodelled_fields() {
        let raw = json!({
            "id": "acc", "domain": "acme.example", "domain_category": "private",
            "created_at": "x", "created_by": "u",
            "settings": {"peer_login_expiration": 3600, "some_future_setting": {"a": [1]}},
        });
        let a: Account = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(a.settings["some_future_setting"], json!({"a": [1]}));
        assert_eq!(
            serde_json::to_value(&a).unwrap()["settings"],
            raw["settings"]
        );
    }
}
