//! The sandbox answers as NetBird's own server does where that differs from what the spec
//! alone suggests. Each test cites the NetBird behaviour it reproduces (read from the server's
//! handlers at the spec's commit; `shared/netbird/api-notes.md` §7).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{Api, assert_error};
use serde_json::{Value, json};

/// A network with one resource per address; answers the network id and the created bodies.
async fn resources(api: &Api, addresses: &[&str]) -> (String, Vec<Value>) {
    let net = api.post("/api/networks", json!({"name": "n"})).await.id();
    let mut out = Vec::new();
    for (i, address) in addresses.iter().enumerate() {
        let a = api
            .post(
                &format!("/api/networks/{net}/resources"),
                json!({"name": format!("r{i}"), "address": address, "enabled": true, "groups": []}),
            )
            .await;
        assert_eq!(a.code(), 200, "{}", a.body);
        out.push(a.body);
    }
    (net, out)
}

/// NetBird parses a network resource's host address as a prefix and stores it that way:
/// `10.10.0.6` reads back as `10.10.0.6/32`, `fd00::6` as `fd00::6/128`; prefixes, subnets
/// and domains read back as given.
#[tokio::test]
async fn a_bare_host_address_reads_back_as_a_prefix() {
    let api = Api::start().await;
    let given = [
        "10.10.0.6",
        "fd00::6",
        "10.10.0.7/32",
        "10.20.0.0/16",
        "db.example.com",
    ];
    let (net, created) = resources(&api, &given).await;
    let want = [
        "10.10.0.6/32",
        "fd00::6/128",
        "10.10.0.7/32",
        "10.20.0.0/16",
        "db.example.com",
    ];
    let kinds = ["host", "host", "host", "subnet", "domain"];
    for ((body, want), kind) in created.iter().zip(want).zip(kinds) {
        assert_eq!(body["address"], want, "create answer");
        assert_eq!(body["type"], kind);
        let id = body["id"].as_str().unwrap();
        let read = api
            .get(&format!("/api/networks/{net}/resources/{id}"))
            .await;
        assert_eq!(read.body["address"], want, "read back");
    }
}

/// NetBird's user handler refuses a `PUT /api/users/{id}` without `auto_groups` with 400
/// "auto_groups field can't be absent" (not the 422 of other missing fields).
#[tokio::test]
async fn a_user_update_without_auto_groups_is_400() {
    let api = Api::start().await;
    let user = api
        .post(
            "/api/users",
            json!({"name": "svc", "role": "user", "auto_groups": [], "is_service_user": true}),
        )
        .await
        .id();
    let path = format!("/api/users/{user}");
    let absent = api
        .put(&path, json!({"role": "admin", "is_blocked": false}))
        .await;
    assert_error(&absent, 400, "auto_groups field can't be absent");
    let present = api
        .put(
            &path,
            json!({"role": "admin", "is_blocked": false, "auto_groups": []}),
        )
        .await;
    assert_eq!(present.code(), 200, "{}", present.body);
    assert_eq!(present.body["role"], "admin");
}

/// A real NetBird client updating a user with only a role: NetBird's `updateUser` checks
/// `auto_groups` first (400), before the role (422 `invalid user role`); an absent
/// `is_blocked` is Go's `false`, and a wrong type is 400 `couldn't parse JSON request`.
#[tokio::test]
async fn a_user_update_is_checked_in_netbirds_order() {
    let api = Api::start().await;
    let user = api
        .post(
            "/api/users",
            json!({"name": "svc", "role": "user", "auto_groups": [], "is_service_user": true}),
        )
        .await
        .id();
    let path = format!("/api/users/{user}");
    let role_only = api.put(&path, json!({"role": "user"})).await;
    assert_error(&role_only, 400, "auto_groups field can't be absent");
    let null_groups = api
        .put(&path, json!({"role": "boss", "auto_groups": null}))
        .await;
    assert_error(&null_groups, 400, "auto_groups field can't be absent");
    let no_role = api.put(&path, json!({"auto_groups": []})).await;
    assert_error(&no_role, 422, "invalid user role");
    let bad_type = api
        .put(
            &path,
            json!({"role": "user", "auto_groups": [], "is_blocked": "no"}),
        )
        .await;
    assert_error(&bad_type, 400, "couldn't parse json request");
    let unknown_user = api.put("/api/users/nope", json!({"role": "user"})).await;
    assert_eq!(unknown_user.code(), 404, "{}", unknown_user.body);
    let no_blocked = api
        .put(&path, json!({"role": "Admin", "auto_groups": []}))
        .await;
    assert_eq!(no_blocked.code(), 200, "{}", no_blocked.body);
    assert_eq!(no_blocked.body["role"], "admin");
    assert_eq!(no_blocked.body["is_blocked"], false);
}

/// NetBird's network router handler answers 400 for a router with both `peer` and
/// `peer_groups`, or with neither.
#[tokio::test]
async fn a_router_with_both_or_neither_peer_and_peer_groups_is_400() {
    let api = Api::start().await;
    let g = api.group("", "routers").await;
    let net = api.post("/api/networks", json!({"name": "n"})).await.id();
    let path = format!("/api/networks/{net}/routers");
    let base = json!({"metric": 100, "masquerade": true, "enabled": true});
    let mut both = base.clone();
    both["peer"] = json!("somepeer");
    both["peer_groups"] = json!([g]);
    assert_error(
        &api.post(&path, both).await,
        400,
        "only one of peer or peer_groups",
    );
    assert_error(
        &api.post(&path, base.clone()).await,
        400,
        "either peer or peer_groups",
    );
    let mut one = base;
    one["peer_groups"] = json!([g]);
    let ok = api.post(&path, one).await;
    assert_eq!(ok.code(), 200, "{}", ok.body);
    let none: Value = json!({"metric": 100, "masquerade": true, "enabled": true});
    let put = api.put(&format!("{path}/{}", ok.id()), none).await;
    assert_error(&put, 400, "either peer or peer_groups");
}

fn rule(sources: Value, destinations: Value) -> Value {
    json!({"name": "r", "enabled": true, "action": "accept", "bidirectional": true,
           "protocol": "all", "sources": sources, "destinations": destinations})
}

/// NetBird's policy handler refuses a rule with neither `destinations` nor
/// `destinationResource` (or neither `sources` nor `sourceResource`) with 422.
#[tokio::test]
async fn a_rule_needs_both_ends() {
    let api = Api::start().await;
    let g = api.group("", "devs").await;
    let policy = |r: Value| json!({"name": "p", "enabled": true, "rules": [r]});
    let no_dest = api
        .post("/api/policies", policy(rule(json!([g]), json!([]))))
        .await;
    assert_error(&no_dest, 422, "destinations or a destination resource");
    let mut absent = rule(json!([g]), Value::Null);
    absent.as_object_mut().unwrap().remove("destinations");
    let no_dest = api.post("/api/policies", policy(absent)).await;
    assert_error(&no_dest, 422, "destinations or a destination resource");
    let no_src = api
        .post("/api/policies", policy(rule(json!([]), json!([g]))))
        .await;
    assert_error(&no_src, 422, "sources or a source resource");
    let (_, res) = resources(&api, &["10.0.0.1"]).await;
    let mut to_resource = rule(json!([g]), json!([]));
    to_resource["destinationResource"] = json!({"id": res[0]["id"], "type": "host"});
    let ok = api.post("/api/policies", policy(to_resource)).await;
    assert_eq!(ok.code(), 200, "{}", ok.body);
}

/// NetBird's `Network.policies` lists only enabled policies that reach the network through
/// an enabled rule.
#[tokio::test]
async fn a_network_lists_only_enabled_policies_with_enabled_rules() {
    let api = Api::start().await;
    let g = api.group("", "devs").await;
    let (net, res) = resources(&api, &["10.0.0.1"]).await;
    let mut to_resource = rule(json!([g]), json!([]));
    to_resource["destinationResource"] = json!({"id": res[0]["id"], "type": "host"});
    let make = |name: &str, enabled: bool, rule_enabled: bool| {
        let mut r = to_resource.clone();
        r["enabled"] = json!(rule_enabled);
        json!({"name": name, "enabled": enabled, "rules": [r]})
    };
    let on = api.post("/api/policies", make("on", true, true)).await.id();
    api.post("/api/policies", make("off", false, true))
        .await
        .id();
    api.post("/api/policies", make("rule-off", true, false))
        .await
        .id();
    let network = api.get(&format!("/api/networks/{net}")).await.body;
    assert_eq!(network["policies"], json!([on]));
}

/// NetBird's identity providers are Dex connectors, whose update refuses a type change
/// (`connector type change not allowed`), answered as an internal error: 500 with NetBird's
/// generic message; any other change is made in place.
#[tokio::test]
async fn an_identity_provider_cannot_change_its_type() {
    let api = Api::start().await;
    let body = |kind: &str, name: &str| {
        json!({"type": kind, "name": name, "issuer": "https://login.example.com",
               "client_id": "netbird", "client_secret": "s3cret"})
    };
    let id = api
        .post("/api/identity-providers", body("oidc", "SSO"))
        .await
        .id();
    let path = format!("/api/identity-providers/{id}");
    let renamed = api.put(&path, body("oidc", "SSO renamed")).await;
    assert_eq!(renamed.code(), 200, "{}", renamed.body);
    let retyped = api.put(&path, body("zitadel", "SSO renamed")).await;
    assert_error(&retyped, 500, "internal server error");
    assert_eq!(api.get(&path).await.body["type"], "oidc");
}
