//! Behaviour of the API resources (groups, setup keys, networks, policies, settings, DNS)
//! and of router errors, driven over HTTP with plain reqwest.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{Api, assert_error};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn duplicate_group_name_is_409() {
    let api = Api::start().await;
    api.group("", "devs").await;
    let again = api.post("/api/groups", json!({"name": "devs"})).await;
    assert_error(&again, 409, "group with name devs already exists");
    let found = api.get("/api/groups?name=devs").await;
    assert_eq!(found.body.as_array().map(Vec::len), Some(1));
    assert_error(&api.get("/api/groups?name=nope").await, 404, "not found");
}

#[tokio::test]
async fn all_group_cannot_be_updated_or_put_in_a_setup_key() {
    let api = Api::start().await;
    let groups = api.get("/api/groups").await.body;
    let all = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "All")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = api
        .put(&format!("/api/groups/{all}"), json!({"name": "All"}))
        .await;
    assert_eq!(put.code(), 422, "{}", put.body);
    let key = api
        .post(
            "/api/setup-keys",
            json!({"name": "k", "type": "reusable", "auto_groups": [all]}),
        )
        .await;
    assert_error(&key, 422, "can't add 'all' group to the setup key");
}

#[tokio::test]
async fn unknown_auto_group_is_404() {
    let api = Api::start().await;
    let a = api
        .post(
            "/api/setup-keys",
            json!({"name": "k", "type": "reusable", "auto_groups": ["nosuchgroup"], "expires_in": 86400, "usage_limit": 0}),
        )
        .await;
    assert_error(&a, 404, "group not found: nosuchgroup");
    assert!(
        api.world()["accounts"][api.msp()]["setup_keys"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn setup_key_plaintext_only_in_the_create_answer() {
    let api = Api::start().await;
    let g = api.group("", "servers").await;
    // The docs' minimal body: no expires_in, usage_limit or auto_groups.
    let created = api
        .post(
            "/api/setup-keys",
            json!({"name": "bootstrap", "type": "reusable"}),
        )
        .await;
    assert_eq!(created.code(), 200, "{}", created.body);
    assert_eq!(
        created.body["expires"], "0001-01-01T00:00:00Z",
        "expires_in missing: no expiry"
    );
    let with_group = api
        .post("/api/setup-keys", json!({"name": "k", "type": "one-off", "auto_groups": [g], "expires_in": 86400, "usage_limit": 1}))
        .await;
    let plain = with_group.body["key"].as_str().unwrap().to_owned();
    assert_eq!(plain.len(), 36, "{plain}");
    assert_eq!(plain.matches('-').count(), 4);
    let masked = format!("{}****", &plain[..5]);
    let id = with_group.id();
    let one = api.get(&format!("/api/setup-keys/{id}")).await;
    assert_eq!(one.body["key"], json!(masked));
    let all = api.get("/api/setup-keys").await;
    assert!(
        all.body
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["key"].as_str().unwrap().ends_with("****"))
    );
    assert_eq!(one.body["state"], "valid");
    assert_eq!(one.body["usage_limit"], 1);
    let world = api.world().to_string();
    assert!(!world.contains(&plain), "the world never shows a plain key");
    let bad = api
        .post("/api/setup-keys", json!({"name": "k", "type": "forever"}))
        .await;
    assert_error(&bad, 422, "type");
    let revoked = api
        .put(
            &format!("/api/setup-keys/{id}"),
            json!({"revoked": true, "auto_groups": [g]}),
        )
        .await;
    assert_eq!(revoked.body["state"], "revoked");
    let back = api
        .put(
            &format!("/api/setup-keys/{id}"),
            json!({"revoked": false, "auto_groups": [g]}),
        )
        .await;
    assert_eq!(back.code(), 422);
}

#[tokio::test]
async fn network_resource_names_are_unique_across_the_account() {
    let api = Api::start().await;
    let g = api.group("", "office").await;
    let n1 = api.post("/api/networks", json!({"name": "one"})).await.id();
    let n2 = api.post("/api/networks", json!({"name": "two"})).await.id();
    let body = json!({"name": "db", "address": "10.0.0.0/24", "enabled": true, "groups": [g]});
    let first = api
        .post(&format!("/api/networks/{n1}/resources"), body.clone())
        .await;
    assert_eq!(first.code(), 200, "{}", first.body);
    assert_eq!(first.body["type"], "subnet");
    assert_eq!(first.body["groups"][0]["id"], json!(g));
    assert_eq!(first.body["groups"][0]["resources_count"], 1);
    let second = api
        .post(&format!("/api/networks/{n2}/resources"), body)
        .await;
    assert_error(&second, 422, "resource with name db already exists");
    let group = api.get(&format!("/api/groups/{g}")).await.body;
    assert_eq!(
        group["resources"],
        json!([{"id": first.id(), "type": "subnet"}])
    );
    let host = api
        .post(
            &format!("/api/networks/{n2}/resources"),
            json!({"name": "h", "address": "1.1.1.1", "enabled": true, "groups": []}),
        )
        .await;
    assert_eq!(host.body["type"], "host");
    let domain = api
        .post(
            &format!("/api/networks/{n2}/resources"),
            json!({"name": "d", "address": "*.example.com", "enabled": true, "groups": []}),
        )
        .await;
    assert_eq!(domain.body["type"], "domain");
    let net = api.get(&format!("/api/networks/{n1}")).await.body;
    assert_eq!(net["resources"], json!([first.id()]));
}

#[tokio::test]
async fn policies_answer_group_objects_and_keep_the_first_rule() {
    let api = Api::start().await;
    let g = api.group("", "devs").await;
    let rule = |name: &str| {
        json!({"name": name, "enabled": true, "action": "accept", "bidirectional": true,
               "protocol": "tcp", "ports": ["443"], "sources": [g], "destinations": [g]})
    };
    let p = api
        .post(
            "/api/policies",
            json!({"name": "web", "enabled": true, "rules": [rule("a"), rule("b")]}),
        )
        .await;
    assert_eq!(p.code(), 200, "{}", p.body);
    assert_eq!(p.body["rules"].as_array().unwrap().len(), 1, "netbird#3583");
    assert_eq!(p.body["rules"][0]["sources"][0]["name"], "devs");
    assert_eq!(p.body["rules"][0]["destinations"][0]["id"], json!(g));
    let bad = api
        .post("/api/policies", json!({"name": "x", "enabled": true, "rules": [{"name": "r", "enabled": true, "action": "allow", "bidirectional": true, "protocol": "all"}]}))
        .await;
    assert_error(&bad, 422, "rules[0].action");
    let ssh = json!({"name": "r", "enabled": true, "action": "accept", "bidirectional": false,
        "protocol": "netbird-ssh", "sources": [g], "destinations": [g]});
    let no_users = api
        .post(
            "/api/policies",
            json!({"name": "ssh", "enabled": true, "rules": [ssh]}),
        )
        .await;
    assert_error(&no_users, 422, "authorized_groups");
    let mut ssh = ssh;
    ssh["authorized_groups"] = json!({g.clone(): ["root"]});
    let with_users = api
        .post(
            "/api/policies",
            json!({"name": "ssh", "enabled": true, "rules": [ssh]}),
        )
        .await;
    assert_eq!(with_users.code(), 200, "{}", with_users.body);
    let missing = api
        .post("/api/policies", json!({"enabled": true, "rules": []}))
        .await;
    assert_error(&missing, 422, "missing field: name");
}

#[tokio::test]
async fn router_errors_carry_the_error_body() {
    let api = Api::start().await;
    assert_error(&api.get("/api/nothing/here").await, 404, "not found");
    assert_error(
        &api.call(Method::PATCH, "/api/groups", None).await,
        405,
        "method not allowed",
    );
    let raw = api
        .http
        .post(format!("{}/api/groups", api.base))
        .header("Authorization", format!("Token {}", api.token))
        .body("{not json")
        .send()
        .await
        .unwrap();
    let raw = common::answer(raw).await;
    assert_error(&raw, 400, "couldn't parse json request");
    let missing = api.post("/api/groups", json!({"peers": []})).await;
    assert_error(&missing, 422, "missing field: name");
}

#[tokio::test]
async fn settings_dns_and_deletes() {
    let api = Api::start().await;
    let acct = api.get("/api/accounts").await.body[0].clone();
    let mut settings = acct["settings"].clone();
    settings["peer_login_expiration"] = json!(7200);
    let put = api
        .put(
            &format!("/api/accounts/{}", acct["id"].as_str().unwrap()),
            json!({"settings": settings}),
        )
        .await;
    assert_eq!(put.code(), 200, "{}", put.body);
    assert_eq!(put.body["settings"]["peer_login_expiration"], 7200);
    let dns = api.get("/api/dns/settings").await.body;
    assert_eq!(dns, json!({"disabled_management_groups": []}));
    let g = api.group("", "tmp").await;
    assert_eq!(
        api.put(
            "/api/dns/settings",
            json!({"disabled_management_groups": [g]})
        )
        .await
        .code(),
        200
    );
    let linked = api.delete(&format!("/api/groups/{g}")).await;
    assert_error(&linked, 400, "linked");
    api.put(
        "/api/dns/settings",
        json!({"disabled_management_groups": []}),
    )
    .await;
    assert_eq!(
        api.delete(&format!("/api/groups/{g}")).await.body,
        json!({})
    );
    assert_error(
        &api.get(&format!("/api/groups/{g}")).await,
        404,
        "group not found",
    );
}

/// Network children are found only under the network that owns them; an unknown network is
/// 404 on every child path, and deleting a network deletes its children.
#[tokio::test]
async fn network_children_live_under_their_own_network() {
    let api = Api::start().await;
    let n1 = api.post("/api/networks", json!({"name": "one"})).await.id();
    let n2 = api.post("/api/networks", json!({"name": "two"})).await.id();
    let body = json!({"name": "db", "address": "10.0.0.0/24", "enabled": true, "groups": []});
    let r = api
        .post(&format!("/api/networks/{n1}/resources"), body.clone())
        .await
        .id();
    let elsewhere = api.get(&format!("/api/networks/{n2}/resources/{r}")).await;
    assert_error(&elsewhere, 404, "network resource not found");
    let moved = api
        .put(&format!("/api/networks/{n2}/resources/{r}"), body.clone())
        .await;
    assert_error(&moved, 404, "network resource not found");
    let listed = api.get(&format!("/api/networks/{n2}/resources")).await;
    assert_eq!(listed.body, json!([]));
    let unknown = api.get("/api/networks/nope/resources").await;
    assert_error(&unknown, 404, "network not found: nope");
    let unknown = api.post("/api/networks/nope/resources", body).await;
    assert_error(&unknown, 404, "network not found: nope");
    assert_eq!(api.delete(&format!("/api/networks/{n1}")).await.code(), 200);
    let gone = api.get(&format!("/api/networks/{n1}/resources/{r}")).await;
    assert_error(&gone, 404, "network not found");
    let world = api.world();
    let resources = &world["accounts"][api.msp()]["network_resources"];
    assert_eq!(resources, &json!([]));
}
