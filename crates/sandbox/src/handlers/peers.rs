//! `/api/peers`: read-only in practice. Peers join with setup keys, never through the REST
//! API, and nobody joins a sandbox, so the lists are empty unless a data file seeds `Peer`
//! objects. `GET` filters by `name` and `ip`; `PUT` updates a known peer's settable fields;
//! `DELETE` removes a known peer (and takes it out of its groups).

use super::prelude::*;

/// `PeerRequest`: its fields are set on the peer as given.
#[derive(Debug, Deserialize, serde::Serialize)]
pub struct PeerRequest {
    name: String,
    ssh_enabled: bool,
    login_expiration_enabled: bool,
    inactivity_expiration_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    approval_required: Option<bool>,
}

/// `/api/peers[?name=&ip=]`.
pub struct Peers;

impl Collection for Peers {
    type Item = Value;
    type Create = serde::de::IgnoredAny;
    type Update = PeerRequest;
    type View<'a> = &'a Value;
    const SPEC: Spec<Self> = Spec {
        path: "/api/peers",
        what: "peer",
        codes: ["", "peer.rename", "user.peer.delete"],
        name: |p| p.get("name").and_then(Value::as_str).unwrap_or_default(),
        view: |_, _, p| p,
    };
    const VERBS: &[Verb] = &[Verb::List, Verb::Get, Verb::Update, Verb::Delete];

    fn select<'a>(w: &'a World, ctx: &Ctx) -> Result<Vec<&'a Value>, ApiError> {
        let is = |p: &Value, key: &str| {
            ctx.param(key)
                .is_none_or(|want| p.get(key).and_then(Value::as_str) == Some(want))
        };
        Ok(w.account(&ctx.account_id)?
            .peers
            .values()
            .filter(|p| is(p, "name") && is(p, "ip"))
            .collect())
    }
    /// Sets the settable fields; only a rename is audited.
    fn update(w: &mut World, at: &mut At, req: PeerRequest) -> Built<Self> {
        validate::non_empty("name", &req.name)?;
        let mut peer = stored::<Self>(w, at)?;
        if (Self::SPEC.name)(&peer) == req.name {
            at.code = Some("");
        }
        if let (Value::Object(map), Value::Object(set)) = (&mut peer, render::value(&req)) {
            map.extend(set);
        }
        Ok(peer)
    }
    fn remove(w: &mut World, account: &str, id: &str) -> Result<(), ApiError> {
        let (a, _) = w.account_mut(account)?;
        a.peers.shift_remove(id);
        for g in a.groups.values_mut() {
            g.spec.peers.retain(|p| p != id);
        }
        Ok(())
    }
}
