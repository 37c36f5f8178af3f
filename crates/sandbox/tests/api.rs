//! Behaviour of the API resources, driven over HTTP with plain reqwest.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{Api, assert_error};
use reqwest::Method;
use serde_json::{Value, json};

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
    let missing = api
        .post("/api/policies", json!({"enabled": true, "rules": []}))
        .await;
    assert_error(&missing, 422, "missing field: name");
}

#[tokio::test]
async fn new_tenants_get_all_and_default_and_account_switch_works() {
    let api = Api::start().await;
    let admins = api.get("/api/groups?name=MSP%20Admins").await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = api
        .post(
            "/api/integrations/msp/tenants",
            json!({"name": "Acme", "domain": "acme.com", "groups": [{"id": admins, "role": "admin"}]}),
        )
        .await;
    assert_eq!(t.code(), 200, "{}", t.body);
    assert_eq!(t.body["status"], "pending");
    assert!(
        t.body["dns_challenge"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    let tid = t.id();
    let acct = api.get(&format!("/api/accounts?account={tid}")).await.body;
    assert_eq!(acct[0]["id"], json!(tid));
    let groups = api.get(&format!("/api/groups?account={tid}")).await.body;
    assert_eq!(groups.as_array().unwrap().len(), 1);
    assert_eq!(groups[0]["name"], "All");
    let policies = api.get(&format!("/api/policies?account={tid}")).await.body;
    let rule = &policies[0]["rules"][0];
    assert_eq!(policies[0]["name"], "Default");
    assert_eq!(
        (rule["action"].clone(), rule["protocol"].clone()),
        (json!("accept"), json!("all"))
    );
    assert_eq!(rule["bidirectional"], true);
    assert_eq!(rule["sources"][0]["id"], groups[0]["id"]);
    let bad_group = api
        .post(
            "/api/integrations/msp/tenants",
            json!({"name": "x", "domain": "x.com", "groups": [{"id": "nope", "role": "admin"}]}),
        )
        .await;
    assert_error(&bad_group, 404, "group not found: nope");
    assert_eq!(
        api.post(
            &format!("/api/integrations/msp/tenants/{tid}/dns"),
            json!({})
        )
        .await
        .code(),
        200
    );
    let listed = api.get("/api/integrations/msp/tenants").await.body;
    assert_eq!(listed[0]["status"], "active");
    let world = api.world();
    assert_eq!(world["accounts"][&tid]["parent"], json!(api.msp()));
    assert_eq!(world["tenants"][0]["id"], json!(tid));
}

#[tokio::test]
async fn taken_tenant_domain_is_409() {
    let api = Api::start().await;
    api.tenant("acme.com").await;
    let again = api
        .post(
            "/api/integrations/msp/tenants",
            json!({"name": "b", "domain": "ACME.com", "groups": []}),
        )
        .await;
    assert_error(&again, 409, "acme.com");
}

#[tokio::test]
async fn a_bad_account_id_silently_runs_in_the_msp_account() {
    let api = Api::start().await;
    let msp = api.msp();
    let t = api.tenant("acme.com").await;
    let accounts = api.get("/api/accounts?account=notatenant").await;
    assert_eq!(accounts.code(), 200);
    assert_eq!(accounts.body[0]["id"], json!(msp));
    // Twice: NetBird reads `account` only when it appears exactly once.
    let twice = api
        .get(&format!("/api/accounts?account={t}&account={t}"))
        .await;
    assert_eq!(twice.body[0]["id"], json!(msp));
    api.group("?account=notatenant", "landed-here").await;
    let world = api.world();
    let names: Vec<&Value> = world["accounts"][&msp]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["name"])
        .collect();
    assert!(names.contains(&&json!("landed-here")));
    let log = api.sandbox.log();
    let last = log.last().unwrap();
    assert_eq!(last.account.as_deref(), Some("notatenant"));
    assert_eq!(last.effective_account.as_deref(), Some(msp.as_str()));
}

#[tokio::test]
async fn cross_tenant_writes_are_audited_as_external() {
    let api = Api::start().await;
    let t = api.tenant("acme.com").await;
    let g = api.group(&format!("?account={t}"), "ops").await;
    api.group("", "home").await;
    let events = api
        .get(&format!("/api/events/audit?account={t}"))
        .await
        .body;
    let event = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target_id"] == json!(g))
        .unwrap();
    assert_eq!(event["activity_code"], "group.add");
    assert_eq!(event["meta"]["external"], true);
    assert_eq!(event["initiator_email"], "owner@msp.example.com");
    let own = api.get("/api/events/audit").await.body;
    let home = own
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["activity_code"] == "group.add")
        .unwrap();
    assert!(home["meta"].get("external").is_none());
    assert!(
        own.as_array()
            .unwrap()
            .iter()
            .any(|e| e["activity_code"] == "account.create")
    );
}

#[tokio::test]
async fn wrong_or_missing_token_is_401() {
    let api = Api::start().await;
    let wrong = api
        .call_as(
            "nbp_wrongwrongwrongwrongwrongwrongwrong",
            Method::GET,
            "/api/groups",
            None,
        )
        .await;
    assert_error(&wrong, 401, "");
    let bare = common::answer(
        api.http
            .get(format!("{}/api/groups", api.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&bare, 401, "");
    let bearer = api
        .http
        .get(format!("{}/api/groups", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200, "Bearer nbp_ is a PAT");
    assert!(api.sandbox.token().starts_with("nbp_") && api.sandbox.token().len() == 40);
    assert!(api.sandbox.token_was_generated());
}

#[tokio::test]
async fn a_minted_pat_authenticates_and_service_pats_ignore_account() {
    let api = Api::start().await;
    let t = api.tenant("acme.com").await;
    let svc = api
        .post(
            "/api/users",
            json!({"name": "ci", "role": "admin", "auto_groups": [], "is_service_user": true}),
        )
        .await;
    assert_eq!(svc.code(), 200, "{}", svc.body);
    assert!(svc.body.get("password").is_none());
    let minted = api
        .post(
            &format!("/api/users/{}/tokens", svc.id()),
            json!({"name": "ci", "expires_in": 30}),
        )
        .await;
    assert_eq!(minted.code(), 200, "{}", minted.body);
    let pat = minted.body["plain_token"].as_str().unwrap().to_owned();
    assert!(pat.starts_with("nbp_"));
    let me = api
        .call_as(&pat, Method::GET, "/api/users/current", None)
        .await;
    assert_eq!(me.body["id"], json!(svc.id()));
    assert_eq!(me.body["is_current"], true);
    let accounts = api
        .call_as(
            &pat,
            Method::GET,
            &format!("/api/accounts?account={t}"),
            None,
        )
        .await;
    assert_eq!(
        accounts.body[0]["id"],
        json!(api.msp()),
        "service user PATs never switch accounts"
    );
    let listed = api
        .get(&format!("/api/users/{}/tokens", svc.id()))
        .await
        .body;
    assert!(listed[0].get("plain_token").is_none());
    assert!(!api.world().to_string().contains(&pat));
    let tid = minted.body["personal_access_token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        api.delete(&format!("/api/users/{}/tokens/{tid}", svc.id()))
            .await
            .body,
        json!({})
    );
    assert_eq!(
        api.call_as(&pat, Method::GET, "/api/groups", None)
            .await
            .code(),
        401
    );
}

#[tokio::test]
async fn users_are_invited_once_per_email() {
    let api = Api::start().await;
    let body = json!({"email": "a@acme.com", "name": "A", "role": "user", "auto_groups": [], "is_service_user": false});
    let first = api.post("/api/users", body.clone()).await;
    assert_eq!(first.code(), 200, "{}", first.body);
    assert_eq!(first.body["status"], "invited");
    assert!(
        first.body["password"].is_string(),
        "password only on create"
    );
    let again = api.post("/api/users", body).await;
    assert_error(&again, 409, "already exists");
    let users = api.get("/api/users").await.body;
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u.get("password").is_none())
    );
    let role = api.post("/api/users", json!({"email": "b@acme.com", "role": "god", "auto_groups": [], "is_service_user": false})).await;
    assert_error(&role, 422, "unknown user role");
}

#[tokio::test]
async fn standalone_answers_403_on_msp_endpoints() {
    let api = Api::with(onboard_sandbox::SandboxConfig {
        standalone: true,
        ..common::config()
    })
    .await;
    assert_error(&api.get("/api/integrations/msp/tenants").await, 403, "");
    let create = api
        .post(
            "/api/integrations/msp/tenants",
            json!({"name": "a", "domain": "a.com", "groups": []}),
        )
        .await;
    assert_error(&create, 403, "");
    assert_eq!(api.get("/api/groups").await.code(), 200);
    assert_eq!(api.world()["standalone"], true);
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
