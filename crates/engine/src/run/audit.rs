//! The audit-log mark: how `onboard drift` tells an unchanged customer in one call.
//!
//! NetBird's `GET /api/events/audit` (read from its management server, see docs/sandbox.md
//! "Audit log") takes no parameter, answers the account's newest 10,000 events newest first
//! (by timestamp), each with an `id` from one autoincrement sequence of all accounts (it grows
//! within an account, with gaps), an RFC 3339 `timestamp`, the initiator and the `target_id`.
//! Events are stored asynchronously: one may show a moment after the write's answer, with a
//! timestamp from the write and an id from when it was stored.
//!
//! The mark ([`AuditMark`]) says where the log stood when the account last matched the
//! playbook:
//! - a successful apply records `at` = its end, at no call: every event of its own writes is
//!   stamped before it, even one stored late, so onboard's own writes are never after the
//!   mark (the rule compares timestamps; a client clock ahead of the server's shortens the
//!   window in which a hand edit right after the apply counts, one behind it costs a full plan);
//! - a drift check in sync records the newest `event_id` it read: from then on events are
//!   compared by id, so a late event of someone else (stored after the read, a greater id)
//!   is still seen.
//!
//! An event after the mark **concerns** onboard when its `target_id` is an id the state
//! records (the tenant, which is also the target of every account-settings and DNS-settings
//! event, a step's object, a step's parent) or, for a run in an account whose id the state
//! does not hold, when it is an account or DNS settings event. Objects created by hand are
//! not onboard's and not drift. The log is **complete** after the mark when it holds fewer
//! than 10,000 events or its oldest event is at or before the mark; else the events after
//! the mark may be cut off. A customer whose log is quiet and complete is in sync at one
//! call; any other gets the full live plan.

use serde_json::Value as Json;
use std::collections::BTreeSet;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::run::session::Customer;
use crate::store::state::{AuditMark, State};
use onboard_netbird::{ApiError, Client, Scope};

/// How many events NetBird's audit list answers at most.
pub const AUDIT_CAP: usize = 10_000;

/// What the log says about a customer since its mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing after the mark concerns an object onboard manages.
    Quiet,
    /// A full live plan is needed, and why.
    Look(String),
}

/// The account's audit log, newest first (one call).
pub async fn fetch(client: &Client, scope: &Scope) -> Result<Vec<Json>, ApiError> {
    let answer = client
        .raw(
            onboard_netbird::Method::Get,
            "/api/events/audit",
            scope,
            None,
        )
        .await?;
    Ok(match answer {
        Json::Array(events) => events,
        _ => Vec::new(),
    })
}

/// Where the audit log of `state`'s account is read: the tenant, else `--account`, else the
/// PAT's own account.
pub fn scope(state: &State, account: Option<&str>) -> Scope {
    match (&state.tenant, account) {
        (Some(t), _) => Scope::Account(t.id.clone()),
        (None, Some(a)) => Scope::Account(a.to_owned()),
        (None, None) => Scope::Own,
    }
}

/// SHA-256 of a customer's offline plan (its tenant and steps, bodies with secrets masked):
/// the playbook and the values it was given. None when it does not plan offline.
pub fn digest(customer: &Customer) -> Option<String> {
    let p = crate::plan::offline(
        &customer.loaded.playbook,
        &customer.loaded.dag,
        &customer.inputs,
        customer.key.as_deref(),
    )
    .ok()?;
    Some(digest_of(&p))
}

/// [`digest`] of an offline plan.
pub fn digest_of(p: &crate::plan::Plan) -> String {
    use sha2::{Digest, Sha256};
    let doc = serde_json::json!({ "tenant": p.tenant, "steps": p.steps });
    let hash = Sha256::digest(doc.to_string().as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn id_of(e: &Json) -> Option<u64> {
    e.get("id")?.as_str()?.parse().ok()
}

fn time_of(e: &Json) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(e.get("timestamp")?.as_str()?, &Rfc3339).ok()
}

fn text<'a>(e: &'a Json, field: &str) -> &'a str {
    e.get(field).and_then(Json::as_str).unwrap_or("")
}

/// The ids `state` records: its tenant, its objects, their parents.
pub fn managed_ids(state: &State) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = state.tenant.iter().map(|t| t.id.clone()).collect();
    for r in state.steps.values() {
        ids.extend(r.id.iter().cloned());
        ids.extend(r.parent.iter().cloned());
    }
    ids
}

/// Whether the log `events` (newest first, as NetBird answers) shows a change to an object
/// of `state` after `mark`.
pub fn judge(events: &[Json], mark: &AuditMark, state: &State) -> Verdict {
    let by_id = match &mark.event_id {
        Some(id) => match id.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Verdict::Look(format!("the recorded event id `{id}` is not a number"));
            }
        },
        None => None,
    };
    let at = OffsetDateTime::parse(&mark.at, &Rfc3339).ok();
    if by_id.is_none() && at.is_none() {
        return Verdict::Look("the mark has no event id and no time".into());
    }
    // `after`: Some(true) after the mark, Some(false) at or before, None unreadable.
    let after = |e: &Json| -> Option<bool> {
        match by_id {
            Some(n) => id_of(e).map(|i| i > n),
            None => Some(time_of(e)? > at?),
        }
    };
    if events.len() >= AUDIT_CAP {
        let oldest_before = events.iter().any(|e| after(e) == Some(false));
        if !oldest_before {
            return Verdict::Look(format!(
                "the recorded event is not among the {AUDIT_CAP} newest of the audit log"
            ));
        }
    }
    let ids = managed_ids(state);
    for e in events {
        match after(e) {
            Some(false) => continue,
            None => return Verdict::Look("an audit event without a readable id or time".into()),
            Some(true) => {}
        }
        let (target, code) = (text(e, "target_id"), text(e, "activity_code"));
        let settings = code.starts_with("account.") || code.starts_with("dns.setting");
        if ids.contains(target) || (state.tenant.is_none() && settings) {
            return Verdict::Look(format!(
                "audit event {} `{code}` on {target}",
                text(e, "id")
            ));
        }
    }
    Verdict::Quiet
}

/// The mark a drift check in sync records: the newest event id of `events`, else (an empty
/// log) the time the log was read.
pub fn mark_from(events: &[Json], read_at: String, digest: String) -> AuditMark {
    let newest = events.iter().filter_map(id_of).max();
    AuditMark {
        event_id: newest.map(|n| n.to_string()),
        at: read_at,
        digest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::state::{Record, TenantRecord};
    use serde_json::json;

    fn state() -> State {
        let mut s = State::new("office", "acme");
        s.tenant = Some(TenantRecord {
            id: "t1".into(),
            domain: "acme.example".into(),
            origin: "created".into(),
        });
        s.steps.insert(
            "admins".into(),
            Record {
                ty: "group".into(),
                id: Some("g1".into()),
                identity: None,
                origin: "created".into(),
                fingerprint: String::new(),
                outputs: json!({}),
                updated_at: String::new(),
                scope: None,
                parent: None,
                prune: true,
                sent: Default::default(),
            },
        );
        s
    }

    fn event(id: u64, ts: &str, code: &str, target: &str) -> Json {
        json!({"id": id.to_string(), "timestamp": ts, "activity_code": code, "target_id": target})
    }

    fn mark(event_id: Option<&str>, at: &str) -> AuditMark {
        AuditMark {
            event_id: event_id.map(str::to_owned),
            at: at.into(),
            digest: "d".into(),
        }
    }

    #[test]
    fn events_before_the_apply_mark_are_its_own_even_when_stored_late() {
        // Stored after the mark was taken (a greater id than anything before), stamped
        // before the end of the apply: onboard's own write.
        let log = [
            event(9, "2026-01-01T10:00:00.9Z", "group.add", "g1"),
            event(3, "2026-01-01T09:59:00Z", "group.add", "g1"),
        ];
        let m = mark(None, "2026-01-01T10:00:01Z");
        assert_eq!(judge(&log, &m, &state()), Verdict::Quiet);
        let m = mark(None, "2026-01-01T10:00:00.5Z");
        assert!(matches!(judge(&log, &m, &state()), Verdict::Look(_)));
    }

    #[test]
    fn after_an_id_mark_only_events_on_managed_objects_count() {
        let m = mark(Some("5"), "2026-01-01T10:00:00Z");
        let hand_made = [event(7, "2026-01-01T09:00:00Z", "policy.add", "p9")];
        assert_eq!(judge(&hand_made, &m, &state()), Verdict::Quiet);
        // A late event (greater id, older timestamp) on a managed object is seen.
        let edited = [event(6, "2026-01-01T09:00:00Z", "group.update", "g1")];
        assert_eq!(
            judge(&edited, &m, &state()),
            Verdict::Look("audit event 6 `group.update` on g1".into())
        );
        let settings = [event(
            8,
            "2026-01-01T11:00:00Z",
            "account.setting.ipv6.enable",
            "t1",
        )];
        assert!(matches!(judge(&settings, &m, &state()), Verdict::Look(_)));
        let before = [event(5, "2026-01-01T11:00:00Z", "group.update", "g1")];
        assert_eq!(judge(&before, &m, &state()), Verdict::Quiet);
    }

    #[test]
    fn a_full_log_without_the_mark_needs_a_plan() {
        let m = mark(Some("5"), "2026-01-01T10:00:00Z");
        let full: Vec<Json> = (0..AUDIT_CAP as u64)
            .map(|i| event(100 + i, "2026-01-01T11:00:00Z", "policy.add", "p9"))
            .collect();
        assert!(matches!(judge(&full, &m, &state()), Verdict::Look(r) if r.contains("10000")));
        let mut reaching = full;
        reaching.pop();
        reaching.push(event(5, "2026-01-01T09:00:00Z", "policy.add", "p9"));
        assert_eq!(judge(&reaching, &m, &state()), Verdict::Quiet);
    }

    #[test]
    fn the_mark_of_a_check_is_the_greatest_id_not_the_first() {
        let log = [
            event(4, "2026-01-01T10:00:02Z", "policy.add", "p9"),
            event(6, "2026-01-01T10:00:01Z", "policy.add", "p9"),
        ];
        let m = mark_from(&log, "x".into(), "d".into());
        assert_eq!(m.event_id.as_deref(), Some("6"));
        assert_eq!(mark_from(&[], "x".into(), "d".into()).event_id, None);
    }
}
