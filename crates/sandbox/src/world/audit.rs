//! The audit log: who did what to which object. Every successful write appends an [`Event`]
//! to the account it ran in, with the initiator's id, name and email, an activity code from
//! the spec's enum and its human-readable text. A write by a user of another account (the
//! MSP user writing into a tenant through `?account=`) carries `meta.external: true`.

use serde_json::{Map, Value};

use super::model::Account;
use super::people::Event;
use super::time::Ts;

/// The user behind a request, as the audit log records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initiator {
    /// User id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Email (empty for service users).
    pub email: String,
    /// The user belongs to another account than the one written to.
    pub external: bool,
}

/// The text NetBird shows for an activity code.
pub fn activity_text(code: &str) -> &'static str {
    match code {
        "account.create" => "Account created",
        "account.delete" => "Account deleted",
        "group.add" => "Group created",
        "group.update" => "Group updated",
        "group.delete" => "Group deleted",
        "setupkey.add" => "Setup key created",
        "setupkey.update" => "Setup key updated",
        "setupkey.revoke" => "Setup key revoked",
        "setupkey.delete" => "Setup key deleted",
        "policy.add" => "Policy added",
        "policy.update" => "Policy updated",
        "policy.delete" => "Policy deleted",
        "posture.check.create" => "Posture check created",
        "posture.check.update" => "Posture check updated",
        "posture.check.delete" => "Posture check deleted",
        "network.create" => "Network created",
        "network.update" => "Network updated",
        "network.delete" => "Network deleted",
        "network.resource.create" => "Network resource created",
        "network.resource.update" => "Network resource updated",
        "network.resource.delete" => "Network resource deleted",
        "network.router.create" => "Network router created",
        "network.router.update" => "Network router updated",
        "network.router.delete" => "Network router deleted",
        "route.add" => "Route created",
        "route.update" => "Route updated",
        "route.delete" => "Route deleted",
        "nameserver.group.add" => "Nameserver group created",
        "nameserver.group.update" => "Nameserver group updated",
        "nameserver.group.delete" => "Nameserver group deleted",
        "dns.setting.disabled.management.group.add" => {
            "Group added to disabled management DNS setting"
        }
        "dns.setting.disabled.management.group.delete" => {
            "Group removed from disabled management DNS setting"
        }
        "user.invite" => "User invited",
        "user.role.update" => "User role updated",
        "user.block" => "User blocked",
        "user.unblock" => "User unblocked",
        "user.delete" => "User deleted",
        "user.group.add" => "Group added to user",
        "user.group.delete" => "Group removed from user",
        "service.user.create" => "Service user created",
        "service.user.delete" => "Service user deleted",
        "personal.access.token.create" => "Personal access token created",
        "personal.access.token.delete" => "Personal access token deleted",
        _ => "Account settings updated",
    }
}

impl Account {
    /// Appends an event; `meta` pairs are added after `external` (when set).
    pub fn audit(&mut self, who: &Initiator, code: &str, target_id: &str, meta: &[(&str, &str)]) {
        let mut map = Map::new();
        for (key, value) in meta {
            map.insert((*key).to_owned(), Value::String((*value).to_owned()));
        }
        if who.external {
            map.insert("external".to_owned(), Value::Bool(true));
        }
        let id = (self.events.len() + 1).to_string();
        self.events.push(Event {
            id,
            timestamp: Ts::now(),
            activity: activity_text(code).to_owned(),
            activity_code: code.to_owned(),
            initiator_id: who.id.clone(),
            initiator_name: who.name.clone(),
            initiator_email: who.email.clone(),
            target_id: target_id.to_owned(),
            meta: map,
        });
    }
}
