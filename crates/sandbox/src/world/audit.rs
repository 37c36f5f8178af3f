//! The audit log: who did what to which object. Every successful write NetBird logs appends
//! an [`Event`] to the account it ran in, with the initiator's id, name and email, an
//! activity code from the spec's enum and its human-readable text.
//!
//! How NetBird answers `GET /api/events/audit` (netbirdio/netbird, management server):
//! - `management/server/http/handlers/events/events_handler.go`: no query parameter is read
//!   (no limit, offset or page); the account is the one the request runs in, so
//!   `?account=<tenant>` lists the tenant's log. `id` is the event's integer key printed as
//!   text; every `meta` value is printed with `%v` (`map[string]string`: `true` becomes
//!   `"true"`), and Go writes map keys sorted.
//! - `management/server/event.go` `GetEvents`: `eventStore.Get(ctx, accountID, 0, 10000,
//!   true)`, i.e. the newest [`AUDIT_CAP`] events; `StoreEvent` saves an event with
//!   `time.Now().UTC()` in a goroutine (on NetBird the event may show a moment after the
//!   write's answer; here it is there at once). An initiator from another account (the MSP
//!   user writing in a tenant through `?account=`) gets `meta.external = "true"` when the log
//!   is read (`fillEventInitiatorInfo`); the event is stored in the tenant's account with the
//!   MSP user as initiator.
//! - `management/server/activity/store/sql_store.go` `Get`: `ORDER BY events.timestamp
//!   DESC`, so newest first; the id is an autoincrement key of one `events` table for all
//!   accounts (`activity/event.go`), so an account's ids grow with gaps.
//! - Which writes log, with which code (`activity/codes.go`) and meta: see `docs/sandbox.md`.
//!   Updates that change nothing NetBird audits log nothing for groups (only a rename logs
//!   `group.update`), setup keys (only a revocation logs `setupkey.revoke`; there is no
//!   `setupkey.update` event for the API's update) and account settings (one event per
//!   changed setting); policies, routes, nameserver groups, posture checks, networks and
//!   their resources and routers log their update event on every successful `PUT`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::ids::IdGen;
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

/// The text NetBird shows for an activity code: the codes several kinds share here, a kind's
/// own codes in its rules file (`Collection::TEXTS`).
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
        "setupkey.group.add" => "Group added to setup key",
        "setupkey.group.delete" => "Group removed from user setup key",
        "account.setting.peer.login.expiration.update" => {
            "Account peer login expiration duration updated"
        }
        "account.setting.peer.login.expiration.enable" => "Account peer login expiration enabled",
        "account.setting.peer.login.expiration.disable" => "Account peer login expiration disabled",
        "account.peer.inactivity.expiration.enable" => "Account peer inactivity expiration enabled",
        "account.peer.inactivity.expiration.disable" => {
            "Account peer inactivity expiration disabled"
        }
        "account.peer.inactivity.expiration.update" => {
            "Account peer inactivity expiration duration updated"
        }
        "account.setting.group.propagation.enable" => "User group propagation enabled",
        "account.setting.group.propagation.disable" => "User group propagation disabled",
        "account.setting.routing.peer.dns.resolution.enable" => {
            "Account routing peer DNS resolution enabled"
        }
        "account.setting.routing.peer.dns.resolution.disable" => {
            "Account routing peer DNS resolution disabled"
        }
        "account.setting.lazy.connection.enable" => "Account lazy connection enabled",
        "account.setting.lazy.connection.disable" => "Account lazy connection disabled",
        "account.setting.peer.approval.enable" => "Account peer approval enabled",
        "account.setting.peer.approval.disable" => "Account peer approval disabled",
        "account.dns.domain.update" => "Account DNS domain updated",
        "account.network.range.update" => "Account network range updated",
        "account.settings.auto.version.update" => "Account AutoUpdate Version updated",
        "peer.rename" => "Peer renamed",
        "user.peer.delete" => "Peer deleted",
        "resource.group.add" => "Resource added to group",
        "resource.group.delete" => "Resource removed from group",
        "account.setting.auto.update.always.enable" => "Account auto-update always enabled",
        "account.setting.auto.update.always.disable" => "Account auto-update always disabled",
        "account.setting.ipv6.enable" => "Account IPv6 overlay enabled",
        "account.setting.ipv6.disable" => "Account IPv6 overlay disabled",
        "account.setting.peer.expose.enable" => "Account peer expose enabled",
        "account.setting.peer.expose.disable" => "Account peer expose disabled",
        "account.setting.local.mfa.enable" => "Account local MFA enabled",
        "account.setting.local.mfa.disable" => "Account local MFA disabled",
        "account.setting.metrics.push.enable" => "Account metrics push enabled",
        "account.setting.metrics.push.disable" => "Account metrics push disabled",
        _ => crate::handlers::activity_text(code).unwrap_or(""),
    }
}

/// How many events `GET /api/events/audit` answers at most (NetBird's `GetEvents` asks its
/// store for 10000).
pub const AUDIT_CAP: usize = 10_000;

/// The answer of `GET /api/events/audit` for a log kept oldest first: newest first, at most
/// [`AUDIT_CAP`]. (Events are appended in time order, so the reverse is NetBird's
/// `ORDER BY timestamp DESC`.)
pub fn newest_first(events: &[Event]) -> impl Iterator<Item = &Event> {
    events.iter().rev().take(AUDIT_CAP)
}

/// What `GET /api/events/audit` answers for `a`: [`newest_first`], each event about a user
/// with that user's `email` and `username` in `meta` (`fillEventTargetInfo` in `event.go`
/// for users of the account; for a deleted user, the names its `user.delete` event kept, as
/// NetBird's deleted-users table gives them back).
pub fn answer(a: &Account) -> Vec<Event> {
    let mut people: std::collections::HashMap<&str, (String, String)> = Default::default();
    for e in a.events.iter().filter(|e| e.activity_code == "user.delete") {
        let text = |k: &str| {
            e.meta
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        people.insert(&e.target_id, (text("username"), text("email")));
    }
    for u in a.users.values() {
        let names = (u.spec.name().to_owned(), u.spec.email().to_owned());
        people.insert(&u.id, names);
    }
    newest_first(&a.events)
        .map(|e| {
            let mut e = e.clone();
            if let Some((name, email)) = people.get(e.target_id.as_str()) {
                let mut meta: BTreeMap<String, Value> =
                    std::mem::take(&mut e.meta).into_iter().collect();
                meta.insert("email".to_owned(), Value::String(email.clone()));
                meta.insert("username".to_owned(), Value::String(name.clone()));
                e.meta = meta.into_iter().collect();
            }
            e
        })
        .collect()
}

impl Account {
    /// Appends an event with the next id of `ids`. Every `meta` value is a string, the keys
    /// sorted, with `external: "true"` when the initiator is of another account.
    pub fn audit(
        &mut self,
        ids: &mut IdGen,
        who: &Initiator,
        code: &str,
        target_id: &str,
        meta: &[(&str, &str)],
    ) {
        let mut sorted: BTreeMap<&str, &str> = meta.iter().copied().collect();
        if who.external {
            sorted.insert("external", "true");
        }
        let map: Map<String, Value> = sorted
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
            .collect();
        let id = ids.event().to_string();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::time::Ts;

    fn event(id: usize) -> Event {
        Event {
            id: id.to_string(),
            timestamp: Ts::now(),
            activity: String::new(),
            activity_code: String::new(),
            initiator_id: String::new(),
            initiator_name: String::new(),
            initiator_email: String::new(),
            target_id: String::new(),
            meta: Map::new(),
        }
    }

    #[test]
    fn the_log_answers_the_newest_cap_events_newest_first() {
        let events: Vec<Event> = (1..=AUDIT_CAP + 2).map(event).collect();
        let ids: Vec<&str> = newest_first(&events).map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), AUDIT_CAP);
        assert_eq!(ids[0], (AUDIT_CAP + 2).to_string());
        assert_eq!(ids[AUDIT_CAP - 1], "3");
        assert_eq!(AUDIT_CAP, 10_000);
    }

    #[test]
    fn a_short_log_is_answered_whole_newest_first() {
        let events: Vec<Event> = (1..=3).map(event).collect();
        let ids: Vec<&str> = newest_first(&events).map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["3", "2", "1"]);
    }
}
