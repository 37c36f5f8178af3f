//! `/api/integrations/notifications/channels`: where an account's activity events are sent
//! (email recipients or a webhook), and `GET /api/integrations/notifications/types`, the
//! event types a channel may subscribe to.
//!
//! NetBird's open-source server has the API's types (`shared/management/http/api`,
//! `NotificationChannelRequest`, `EmailTarget`, `WebhookTarget`) but not its handlers: the
//! sandbox follows the OpenAPI spec, and its error messages are its own.
//!
//! - A body that is not JSON: 400 `couldn't parse JSON request`. `POST` and `PUT` take
//!   `NotificationChannelRequest` (`type`, `target`, `event_types`, `enabled`) and answer 200
//!   `NotificationChannelResponse`; `GET` lists or reads one; `DELETE` answers `{}`; an
//!   unknown id is 404 `notification channel not found: <id>`.
//! - Checks, 422 each, in order: `type` `email` or `webhook` (`invalid notification channel
//!   type`); a `target` (`target is required`); an `email` target has `emails`, at least one
//!   (`at least one email is required`), each an address (`invalid email: <e>`); a `webhook`
//!   target has an `http` or `https` `url` with a host (`invalid webhook url`); each of
//!   `event_types` is a code the types endpoint lists (`unknown event type: <t>`).
//! - Webhook header values are write-only: every answer shows them as `****` (the spec: "in
//!   GET responses all values are masked"). The sandbox keeps their SHA-256
//!   (`header_sha256` in its world document), never the values.
//! - No audit event: the codes NetBird logs for channels are not in its open-source code.
//! - The types endpoint answers every activity code of NetBird's
//!   `management/server/activity/codes.go` with its text.

use serde::Serialize;
use std::collections::BTreeMap;

use super::prelude::*;
use crate::world::ids::hash_token;
use crate::world::item::{Item, nullable};

/// Every activity code of NetBird's `codes.go`, with its text.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("peer.user.add", "Peer added"),
    ("peer.setupkey.add", "Peer added"),
    ("user.join", "User joined"),
    ("user.invite", "User invited"),
    ("account.create", "Account created"),
    ("account.delete", "Account deleted"),
    ("user.peer.delete", "Peer deleted"),
    ("rule.add", "Rule added"),
    ("rule.update", "Rule updated"),
    ("rule.delete", "Rule deleted"),
    ("policy.add", "Policy added"),
    ("policy.update", "Policy updated"),
    ("policy.delete", "Policy deleted"),
    ("setupkey.add", "Setup key created"),
    ("setupkey.update", "Setup key updated"),
    ("setupkey.revoke", "Setup key revoked"),
    ("setupkey.overuse", "Setup key overused"),
    ("group.add", "Group created"),
    ("group.update", "Group updated"),
    ("peer.group.add", "Group added to peer"),
    ("peer.group.delete", "Group removed from peer"),
    ("user.group.add", "Group added to user"),
    ("user.group.delete", "Group removed from user"),
    ("user.role.update", "User role updated"),
    ("setupkey.group.add", "Group added to setup key"),
    ("setupkey.group.delete", "Group removed from user setup key"),
    (
        "dns.setting.disabled.management.group.add",
        "Group added to disabled management DNS setting",
    ),
    (
        "dns.setting.disabled.management.group.delete",
        "Group removed from disabled management DNS setting",
    ),
    ("route.add", "Route created"),
    ("route.delete", "Route deleted"),
    ("route.update", "Route updated"),
    ("peer.ssh.enable", "Peer SSH server enabled"),
    ("peer.ssh.disable", "Peer SSH server disabled"),
    ("peer.rename", "Peer renamed"),
    (
        "peer.login.expiration.enable",
        "Peer login expiration enabled",
    ),
    (
        "peer.login.expiration.disable",
        "Peer login expiration disabled",
    ),
    ("nameserver.group.add", "Nameserver group created"),
    ("nameserver.group.delete", "Nameserver group deleted"),
    ("nameserver.group.update", "Nameserver group updated"),
    (
        "account.setting.peer.login.expiration.update",
        "Account peer login expiration duration updated",
    ),
    (
        "account.setting.peer.login.expiration.enable",
        "Account peer login expiration enabled",
    ),
    (
        "account.setting.peer.login.expiration.disable",
        "Account peer login expiration disabled",
    ),
    (
        "personal.access.token.create",
        "Personal access token created",
    ),
    (
        "personal.access.token.delete",
        "Personal access token deleted",
    ),
    ("service.user.create", "Service user created"),
    ("service.user.delete", "Service user deleted"),
    ("user.block", "User blocked"),
    ("user.unblock", "User unblocked"),
    ("user.delete", "User deleted"),
    ("group.delete", "Group deleted"),
    ("user.peer.login", "User logged in peer"),
    ("peer.login.expire", "Peer login expired"),
    ("dashboard.login", "Dashboard login"),
    ("integration.create", "Integration created"),
    ("integration.update", "Integration updated"),
    ("integration.delete", "Integration deleted"),
    (
        "account.setting.peer.approval.enable",
        "Account peer approval enabled",
    ),
    (
        "account.setting.peer.approval.disable",
        "Account peer approval disabled",
    ),
    ("peer.approve", "Peer approved"),
    ("peer.approval.revoke", "Peer approval revoked"),
    ("transferred.owner.role", "Transferred owner role"),
    ("posture.check.create", "Posture check created"),
    ("posture.check.update", "Posture check updated"),
    ("posture.check.delete", "Posture check deleted"),
    (
        "peer.inactivity.expiration.enable",
        "Peer inactivity expiration enabled",
    ),
    (
        "peer.inactivity.expiration.disable",
        "Peer inactivity expiration disabled",
    ),
    (
        "account.peer.inactivity.expiration.enable",
        "Account peer inactivity expiration enabled",
    ),
    (
        "account.peer.inactivity.expiration.disable",
        "Account peer inactivity expiration disabled",
    ),
    (
        "account.peer.inactivity.expiration.update",
        "Account peer inactivity expiration duration updated",
    ),
    ("setupkey.delete", "Setup key deleted"),
    (
        "account.setting.group.propagation.enable",
        "User group propagation enabled",
    ),
    (
        "account.setting.group.propagation.disable",
        "User group propagation disabled",
    ),
    (
        "account.setting.routing.peer.dns.resolution.enable",
        "Account routing peer DNS resolution enabled",
    ),
    (
        "account.setting.routing.peer.dns.resolution.disable",
        "Account routing peer DNS resolution disabled",
    ),
    ("network.create", "Network created"),
    ("network.update", "Network updated"),
    ("network.delete", "Network deleted"),
    ("network.resource.create", "Network resource created"),
    ("network.resource.update", "Network resource updated"),
    ("network.resource.delete", "Network resource deleted"),
    ("network.router.create", "Network router created"),
    ("network.router.update", "Network router updated"),
    ("network.router.delete", "Network router deleted"),
    ("resource.group.add", "Resource added to group"),
    ("resource.group.delete", "Resource removed from group"),
    ("account.dns.domain.update", "Account DNS domain updated"),
    (
        "account.setting.lazy.connection.enable",
        "Account lazy connection enabled",
    ),
    (
        "account.setting.lazy.connection.disable",
        "Account lazy connection disabled",
    ),
    (
        "account.network.range.update",
        "Account network range updated",
    ),
    ("peer.ip.update", "Peer IP updated"),
    ("user.approve", "User approved"),
    ("user.reject", "User rejected"),
    ("user.create", "User created"),
    (
        "account.settings.auto.version.update",
        "Account AutoUpdate Version updated",
    ),
    (
        "account.setting.auto.update.always.enable",
        "Account auto-update always enabled",
    ),
    (
        "account.setting.auto.update.always.disable",
        "Account auto-update always disabled",
    ),
    (
        "account.setting.ipv6.enable",
        "Account IPv6 overlay enabled",
    ),
    (
        "account.setting.ipv6.disable",
        "Account IPv6 overlay disabled",
    ),
    ("identityprovider.create", "Identity provider created"),
    ("identityprovider.update", "Identity provider updated"),
    ("identityprovider.delete", "Identity provider deleted"),
    ("dns.zone.create", "DNS zone created"),
    ("dns.zone.update", "DNS zone updated"),
    ("dns.zone.delete", "DNS zone deleted"),
    ("dns.zone.record.create", "DNS zone record created"),
    ("dns.zone.record.update", "DNS zone record updated"),
    ("dns.zone.record.delete", "DNS zone record deleted"),
    ("peer.job.create", "Create Job for peer"),
    ("user.password.change", "User password changed"),
    ("user.invite.link.create", "User invite link created"),
    ("user.invite.link.accept", "User invite link accepted"),
    (
        "user.invite.link.regenerate",
        "User invite link regenerated",
    ),
    ("user.invite.link.delete", "User invite link deleted"),
    ("service.create", "Service created"),
    ("service.update", "Service updated"),
    ("service.delete", "Service deleted"),
    ("service.peer.expose", "Peer exposed service"),
    ("service.peer.unexpose", "Peer unexposed service"),
    ("service.peer.expose.expire", "Peer exposed service expired"),
    (
        "account.setting.peer.expose.enable",
        "Account peer expose enabled",
    ),
    (
        "account.setting.peer.expose.disable",
        "Account peer expose disabled",
    ),
    (
        "account.setting.local.mfa.enable",
        "Account local MFA enabled",
    ),
    (
        "account.setting.local.mfa.disable",
        "Account local MFA disabled",
    ),
    ("user.peer.session.extend", "User extended peer session"),
    (
        "agent_network.provider.create",
        "Agent Network provider created",
    ),
    (
        "agent_network.provider.update",
        "Agent Network provider updated",
    ),
    (
        "agent_network.provider.delete",
        "Agent Network provider deleted",
    ),
    (
        "agent_network.policy.create",
        "Agent Network policy created",
    ),
    (
        "agent_network.policy.update",
        "Agent Network policy updated",
    ),
    (
        "agent_network.policy.delete",
        "Agent Network policy deleted",
    ),
    (
        "agent_network.guardrail.create",
        "Agent Network guardrail created",
    ),
    (
        "agent_network.guardrail.update",
        "Agent Network guardrail updated",
    ),
    (
        "agent_network.guardrail.delete",
        "Agent Network guardrail deleted",
    ),
    (
        "agent_network.budget_rule.create",
        "Agent Network budget rule created",
    ),
    (
        "agent_network.budget_rule.update",
        "Agent Network budget rule updated",
    ),
    (
        "agent_network.budget_rule.delete",
        "Agent Network budget rule deleted",
    ),
    (
        "agent_network.settings.update",
        "Agent Network settings updated",
    ),
    (
        "agent_network.settings.delete",
        "Agent Network settings deleted",
    ),
    (
        "account.setting.metrics.push.enable",
        "Account metrics push enabled",
    ),
    (
        "account.setting.metrics.push.disable",
        "Account metrics push disabled",
    ),
    ("domain.add", "Domain added"),
    ("domain.delete", "Domain deleted"),
    ("domain.validate", "Domain validated"),
];

/// `GET /api/integrations/notifications/types`: code → text.
pub async fn types() -> ApiResult {
    let map: BTreeMap<&str, &str> = EVENT_TYPES.iter().copied().collect();
    json(&map)
}

/// How an answer shows a header value.
const MASK: &str = "****";

/// `NotificationChannelRequest`, as Go decodes it.
#[derive(Debug, Clone, Deserialize)]
pub struct ChannelRequest {
    /// `email` or `webhook`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `EmailTarget` or `WebhookTarget`.
    #[serde(default)]
    pub target: Option<Value>,
    /// Activity codes the channel subscribes to.
    #[serde(default, deserialize_with = "nullable")]
    pub event_types: Vec<String>,
    /// Whether the channel sends.
    #[serde(default)]
    pub enabled: bool,
}

/// The stored form: the request, header values masked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelSpec {
    /// `email` or `webhook`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The target, header values masked.
    pub target: Value,
    /// Activity codes the channel subscribes to.
    pub event_types: Vec<String>,
    /// Whether the channel sends.
    pub enabled: bool,
}

/// What the sandbox keeps of the header values.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HeaderDigests {
    /// Header name → hex SHA-256 of the value last written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub header_sha256: BTreeMap<String, String>,
}

/// A stored channel.
pub type Channel = Item<ChannelSpec, HeaderDigests>;

/// `NotificationChannelResponse` (and, in the world document, the header digests).
#[derive(Debug, Serialize)]
pub struct ChannelView<'a> {
    id: &'a str,
    #[serde(flatten)]
    spec: &'a ChannelSpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    header_sha256: Option<&'a BTreeMap<String, String>>,
}

/// `/api/integrations/notifications/channels`.
pub struct Channels;

impl Collection for Channels {
    type Item = Channel;
    type Create = ChannelRequest;
    type Update = ChannelRequest;
    type View<'a> = ChannelView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/integrations/notifications/channels",
        what: "notification channel",
        codes: ["", "", ""],
        name: |c| &c.spec.kind,
        view: |_, ctx, c| ChannelView {
            id: &c.id,
            spec: &c.spec,
            header_sha256: ctx
                .is_none()
                .then_some(&c.extra.header_sha256)
                .filter(|h| !h.is_empty()),
        },
    };

    fn check_create(_: &World, _: &At, req: &ChannelRequest) -> Result<(), ApiError> {
        check(req)
    }
    fn check_update(_: &World, _: &At, req: &ChannelRequest) -> Result<(), ApiError> {
        check(req)
    }
    fn create(w: &mut World, at: &mut At, req: ChannelRequest) -> Built<Self> {
        let id = at.id(&mut w.ids);
        Ok(stored_form(id, req))
    }
    fn update(w: &mut World, at: &mut At, req: ChannelRequest) -> Built<Self> {
        let old = stored::<Self>(w, at)?;
        Ok(stored_form(old.id, req))
    }
}

fn stored_form(id: String, req: ChannelRequest) -> Channel {
    let mut target = req.target.unwrap_or(Value::Null);
    let mut digests = BTreeMap::new();
    if let Some(headers) = target.get_mut("headers").and_then(Value::as_object_mut) {
        for (name, value) in headers.iter_mut() {
            let text = value.as_str().unwrap_or_default();
            digests.insert(name.clone(), hash_token(text));
            *value = Value::from(MASK);
        }
    }
    Channel {
        id,
        spec: ChannelSpec {
            kind: req.kind,
            target,
            event_types: req.event_types,
            enabled: req.enabled,
        },
        extra: HeaderDigests {
            header_sha256: digests,
        },
    }
}

/// The checks, in the order the module docs give.
fn check(req: &ChannelRequest) -> Result<(), ApiError> {
    let email = match req.kind.as_str() {
        "email" => true,
        "webhook" => false,
        _ => return Err(ApiError::invalid("invalid notification channel type")),
    };
    let Some(target) = req.target.as_ref().filter(|t| t.is_object()) else {
        return Err(ApiError::invalid("target is required"));
    };
    if email {
        let emails = target.get("emails").and_then(Value::as_array);
        let emails = emails.filter(|e| !e.is_empty());
        let emails = emails.ok_or_else(|| ApiError::invalid("at least one email is required"))?;
        for e in emails {
            let text = e.as_str().unwrap_or_default();
            ensure(is_email(text), format!("invalid email: {text}"))?;
        }
    } else {
        let url = target
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        ensure(is_http_url(url), "invalid webhook url")?;
        if let Some(headers) = target.get("headers") {
            let strings = headers
                .as_object()
                .is_some_and(|h| h.values().all(Value::is_string));
            ensure(strings, "invalid webhook headers")?;
        }
    }
    for t in &req.event_types {
        let known = EVENT_TYPES.iter().any(|(code, _)| code == t);
        ensure(known, format!("unknown event type: {t}"))?;
    }
    Ok(())
}

/// `local@domain`, one `@`, both sides non-empty, a dot in the domain, no spaces.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !text.contains(char::is_whitespace)
}

/// `http://host...` or `https://host...`.
fn is_http_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    host.is_some_and(|h| !h.is_empty()) && !text.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(kind: &str, target: Value, events: &[&str]) -> ChannelRequest {
        ChannelRequest {
            kind: kind.into(),
            target: Some(target),
            event_types: events.iter().map(|e| e.to_string()).collect(),
            enabled: true,
        }
    }

    fn message(r: Result<(), ApiError>) -> String {
        r.err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn checks_run_in_order() {
        let mail = json!({"emails": ["ops@example.com"]});
        assert_eq!(
            message(check(&req("sms", mail.clone(), &["nope"]))),
            "invalid notification channel type"
        );
        let mut none = req("email", Value::Null, &[]);
        none.target = None;
        assert_eq!(message(check(&none)), "target is required");
        assert_eq!(
            message(check(&req("email", json!({"emails": []}), &[]))),
            "at least one email is required"
        );
        assert_eq!(
            message(check(&req("email", json!({"emails": ["ops"]}), &[]))),
            "invalid email: ops"
        );
        assert_eq!(
            message(check(&req("webhook", mail.clone(), &[]))),
            "invalid webhook url"
        );
        assert_eq!(
            message(check(&req("email", mail.clone(), &["user.join", "nope"]))),
            "unknown event type: nope"
        );
        assert!(check(&req("email", mail, &["user.join", "peer.login.expire"])).is_ok());
        let hook = json!({"url": "https://hooks.example.com/nb", "headers": {"X-Key": "k"}});
        assert!(check(&req("webhook", hook, &[])).is_ok());
    }

    #[test]
    fn header_values_are_kept_as_digests_only() {
        let hook = json!({"url": "https://h.example", "headers": {"Authorization": "Bearer s3"}});
        let c = stored_form("c1".into(), req("webhook", hook, &[]));
        assert_eq!(c.spec.target["headers"]["Authorization"], MASK);
        assert_eq!(
            c.extra.header_sha256["Authorization"],
            hash_token("Bearer s3")
        );
        assert!(
            !serde_json::to_string(&c.spec)
                .unwrap_or_default()
                .contains("s3")
        );
    }
}
