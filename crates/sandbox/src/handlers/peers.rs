//! `/api/peers`: read-only in practice. Peers join with setup keys, never through the REST
//! API, and nobody joins a sandbox, so the lists are empty unless a data file seeds `Peer`
//! objects. `GET` filters by `name` and `ip`; `PUT` updates a known peer's settable fields;
//! `DELETE` removes a known peer (and takes it out of its groups).

use super::prelude::*;

/// `PeerRequest`.
#[derive(Debug, Deserialize)]
pub struct PeerRequest {
    name: String,
    ssh_enabled: bool,
    login_expiration_enabled: bool,
    inactivity_expiration_enabled: bool,
    #[serde(default)]
    approval_required: Option<bool>,
}

/// `GET /api/peers[?name=&ip=]`.
pub async fn list_peers(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    let name = ctx.param("name");
    let ip = ctx.param("ip");
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        let matches = |p: &&Value, key: &str, want: Option<&str>| {
            want.is_none_or(|want| p.get(key).and_then(Value::as_str) == Some(want))
        };
        let peers = a
            .peers
            .values()
            .filter(|p| matches(p, "name", name) && matches(p, "ip", ip));
        list(peers, |p| p)
    })
}

/// `GET /api/peers/{id}`.
pub async fn get_peer(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        json(a.peers.get(&id).ok_or_else(|| missing("peer", &id))?)
    })
}

/// `PUT /api/peers/{id}`.
pub async fn update_peer(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: PeerRequest = parse(&body)?;
    validate::non_empty("name", &req.name)?;
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let peer = a.peers.get_mut(&id).ok_or_else(|| missing("peer", &id))?;
        let renamed = peer.get("name").and_then(Value::as_str) != Some(req.name.as_str());
        if let Value::Object(map) = peer {
            map.insert("name".to_owned(), Value::from(req.name.clone()));
            map.insert("ssh_enabled".to_owned(), Value::from(req.ssh_enabled));
            map.insert(
                "login_expiration_enabled".to_owned(),
                Value::from(req.login_expiration_enabled),
            );
            map.insert(
                "inactivity_expiration_enabled".to_owned(),
                Value::from(req.inactivity_expiration_enabled),
            );
            if let Some(approval) = req.approval_required {
                map.insert("approval_required".to_owned(), Value::from(approval));
            }
        }
        let view = json(peer)?;
        if renamed {
            a.audit(&ctx.user, "peer.rename", &id, &[("name", &req.name)]);
        }
        Ok(view)
    })
    .await
}

/// `DELETE /api/peers/{id}`.
pub async fn delete_peer(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        a.peers
            .shift_remove(&id)
            .ok_or_else(|| missing("peer", &id))?;
        for g in a.groups.values_mut() {
            g.peers.retain(|p| *p != id);
        }
        a.audit(&ctx.user, "user.peer.delete", &id, &[]);
        empty()
    })
    .await
}
