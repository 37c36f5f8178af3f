//! Stored people and bookkeeping: users, personal access tokens (hashed), audit events and
//! MSP tenant records.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::item::Item;
use super::time::Ts;

/// `UserCreateRequest`, stored with `email` and `name` filled in (an update changes the
/// role and the auto groups).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserSpec {
    /// Email; empty for service users.
    pub email: Option<String>,
    /// Name; the email when not given.
    pub name: Option<String>,
    /// `owner`, `admin`, `user`, `billing_admin`, `auditor` or `network_admin`.
    pub role: String,
    /// Group ids given to the user's peers.
    pub auto_groups: Vec<String>,
    /// Service user.
    pub is_service_user: bool,
}

impl UserSpec {
    /// The email (empty for service users).
    pub fn email(&self) -> &str {
        self.email.as_deref().unwrap_or_default()
    }
    /// The name.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
}

/// What the server adds to a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserExtra {
    /// `active`, `invited` or `blocked`.
    pub status: String,
    /// Blocked.
    pub is_blocked: bool,
    /// Awaiting approval.
    pub pending_approval: bool,
    /// `api` or `integration`.
    pub issued: String,
    /// Last dashboard login; zero time when never.
    pub last_login: Ts,
}

/// A user (regular or service user) of one account.
pub type User = Item<UserSpec, UserExtra>;

/// `PersonalAccessTokenRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenSpec {
    /// Name.
    pub name: String,
    /// Days until expiry, 1..=365.
    pub expires_in: i64,
}

/// What the server adds to a token; the plain text is never stored, only its SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenExtra {
    /// The user it authenticates as.
    pub user_id: String,
    /// Expiry.
    pub expiration_date: Ts,
    /// Creator's user id.
    pub created_by: String,
    /// Creation time.
    pub created_at: Ts,
    /// Last authenticated request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<Ts>,
    /// Hex SHA-256 of the plain token.
    pub hash: String,
}

/// A stored personal access token.
pub type Token = Item<TokenSpec, TokenExtra>;

/// An audit event, stored in its response form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// Event id: a number from one sequence shared by all accounts, as text.
    pub id: String,
    /// When.
    pub timestamp: Ts,
    /// Human-readable activity.
    pub activity: String,
    /// Activity code from the spec's enum.
    pub activity_code: String,
    /// Who.
    pub initiator_id: String,
    /// Their name.
    pub initiator_name: String,
    /// Their email.
    pub initiator_email: String,
    /// What.
    pub target_id: String,
    /// Details, every value a string, keys sorted; `external: "true"` for writes by a
    /// user of another account.
    pub meta: Map<String, Value>,
}

/// `TenantGroupResponse`: an MSP group whose members may act in the tenant, and their role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantGroup {
    /// Group id in the MSP account.
    pub id: String,
    /// Role assumed in the tenant.
    pub role: String,
}

/// `CreateTenantRequest` (an update changes the name and the groups).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantSpec {
    /// Name.
    pub name: String,
    /// Domain (unique across accounts).
    pub domain: String,
    /// MSP groups and roles.
    pub groups: Vec<TenantGroup>,
}

/// What the server adds to a tenant record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantExtra {
    /// Activation (DNS verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<Ts>,
    /// TXT record value.
    pub dns_challenge: String,
    /// Creation.
    pub created_at: Ts,
    /// Last update.
    pub updated_at: Ts,
    /// Invitation of an existing account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invited_at: Option<Ts>,
    /// `existing`, `invited`, `pending` or `active`.
    pub status: String,
}

/// A tenant record (its id is the tenant's account id); it serializes as `TenantResponse`.
pub type Tenant = Item<TenantSpec, TenantExtra>;
