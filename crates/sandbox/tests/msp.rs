//! Tenants, the `?account=` switch, auth, tokens, users and the audit log, driven over HTTP
//! with plain reqwest.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::{Api, assert_error};
use reqwest::Method;
use serde_json::{Value, json};

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
    let challenge = t.body["dns_challenge"].as_str().unwrap().to_owned();
    let verify = format!("/api/integrations/msp/tenants/{tid}/dns");
    let failed = api.post(&verify, json!({})).await;
    assert_eq!(failed.code(), 501, "no TXT record yet: {}", failed.body);
    assert_eq!(failed.body, json!({"dns_challenge": challenge}));
    let still = api.get("/api/integrations/msp/tenants").await.body;
    assert_eq!(still[0]["status"], "pending");
    api.sandbox.publish_txt("ACME.com.", "another value");
    assert_eq!(api.post(&verify, json!({})).await.code(), 501);
    api.sandbox.publish_txt("ACME.com.", &challenge);
    assert_eq!(api.post(&verify, json!({})).await.code(), 200);
    assert_eq!(api.world()["txt_records"]["acme.com"][1], json!(challenge));
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
    assert_eq!(event["meta"]["external"], "true"); // every meta value is a string on NetBird
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

/// Tokens are children of their user in the generic collection: under another user's path a
/// token is not found (404), an owner may not mint tokens for a regular user (403), a token
/// never changes (405), and the audit event names the user.
#[tokio::test]
async fn tokens_live_under_their_user() {
    let api = Api::start().await;
    let service = |name: &str| json!({"name": name, "role": "admin", "auto_groups": [], "is_service_user": true});
    let svc = api.post("/api/users", service("ci")).await.id();
    let other = api.post("/api/users", service("other")).await.id();
    let minted = api
        .post(
            &format!("/api/users/{svc}/tokens"),
            json!({"name": "ci", "expires_in": 30}),
        )
        .await;
    assert_eq!(minted.code(), 200, "{}", minted.body);
    let tid = minted.body["personal_access_token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let elsewhere = api.get(&format!("/api/users/{other}/tokens/{tid}")).await;
    assert_error(&elsewhere, 404, &format!("token not found: {tid}"));
    let mine = format!("/api/users/{svc}/tokens/{tid}");
    assert_eq!(api.get(&mine).await.body["name"], "ci");
    let change = api
        .put(&mine, json!({"name": "renamed", "expires_in": 1}))
        .await;
    assert_eq!(change.code(), 405, "{}", change.body);
    let regular = api
        .post(
            "/api/users",
            json!({"email": "ann@example.com", "role": "user", "auto_groups": [], "is_service_user": false}),
        )
        .await
        .id();
    let refused = api
        .post(
            &format!("/api/users/{regular}/tokens"),
            json!({"name": "x", "expires_in": 30}),
        )
        .await;
    assert_eq!(refused.code(), 403, "{}", refused.body);
    let events = api.get("/api/events/audit").await.body;
    let created = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["activity_code"] == "personal.access.token.create")
        .unwrap();
    assert_eq!(created["target_id"], json!(svc));
    assert_eq!(created["meta"]["name"], "ci");
}

/// Users and tenants go through the generic collection, which keeps the order in which their
/// endpoints always checked a request with several faults, and the methods they answer.
#[tokio::test]
async fn users_and_tenants_check_in_their_order() {
    let api = Api::start().await;
    let me = api.get("/api/users/current").await.id();
    let body = |role: &str| json!({"role": role, "auto_groups": ["nope"], "is_blocked": false});
    // NetBird's `updateUser`: the user first (404), then the body (a bad role is 422), then
    // its groups (404).
    assert_error(&api.put("/api/users/nope", body("boss")).await, 404, "nope");
    let users = format!("/api/users/{me}");
    assert_error(
        &api.put(&users, body("boss")).await,
        422,
        "invalid user role",
    );
    let unknown_group = api.put(&users, body("owner")).await;
    assert_error(&unknown_group, 404, "group not found: nope");
    let no_groups = json!({"role": "admin", "is_blocked": false});
    let absent = api.put(&format!("/api/users/{me}"), no_groups).await;
    assert_error(&absent, 400, "auto_groups field can't be absent");
    let block_me = json!({"role": "owner", "auto_groups": [], "is_blocked": true});
    let blocked = api.put(&format!("/api/users/{me}"), block_me).await;
    assert_error(&blocked, 422, "self blocking");
    assert_error(
        &api.delete(&format!("/api/users/{me}")).await,
        422,
        "self deletion",
    );
    assert_error(&api.get(&format!("/api/users/{me}")).await, 405, "");
    // A tenant update: the name (422) before the unknown tenant (404).
    let tenants = "/api/integrations/msp/tenants";
    let nameless = json!({"name": "", "groups": []});
    let update = api.put(&format!("{tenants}/nope"), nameless).await;
    assert_error(&update, 422, "name should not be empty");
    let named = json!({"name": "B", "groups": []});
    let update = api.put(&format!("{tenants}/nope"), named).await;
    assert_error(&update, 404, "tenant not found: nope");
    let tid = api.tenant("acme.com").await;
    assert_error(&api.get(&format!("{tenants}/{tid}")).await, 405, "");
    let subscription = api
        .post(&format!("{tenants}/{tid}/subscription"), json!({}))
        .await;
    assert_error(&subscription, 422, "");
}

/// `PUT /api/integrations/msp/tenants/{id}` renames a tenant and replaces its groups (each an
/// MSP group with a role): 200 with the whole tenant, as the list shows it; the domain (not
/// in `UpdateTenantRequest`) stays. It runs in the MSP account only (403 from inside a
/// tenant), checks the groups (404) and their roles (422), and logs no audit event.
#[tokio::test]
async fn a_tenant_update_renames_and_regroups_in_place() {
    let api = Api::start().await;
    let admins = api.get("/api/groups?name=MSP%20Admins").await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = api
        .post(
            "/api/integrations/msp/tenants",
            json!({"name": "Contoso Dental", "domain": "contoso.example",
                   "groups": [{"id": admins, "role": "admin"}]}),
        )
        .await;
    let tid = created.id();
    let path = format!("/api/integrations/msp/tenants/{tid}");
    let events = api
        .get("/api/events/audit")
        .await
        .body
        .as_array()
        .unwrap()
        .len();

    let body = json!({"name": "Contoso Dental Group", "domain": "other.example",
                      "groups": [{"id": admins, "role": "auditor"}]});
    let updated = api.put(&path, body.clone()).await;
    assert_eq!(updated.code(), 200, "{}", updated.body);
    assert_eq!(updated.body["id"], json!(tid));
    assert_eq!(updated.body["name"], "Contoso Dental Group");
    assert_eq!(updated.body["domain"], "contoso.example");
    assert_eq!(
        updated.body["groups"],
        json!([{"id": admins, "role": "auditor"}])
    );
    for same in ["status", "dns_challenge", "created_at"] {
        assert_eq!(updated.body[same], created.body[same], "{same}");
    }
    let listed = api.get("/api/integrations/msp/tenants").await.body;
    assert_eq!(listed[0], updated.body);
    let after = api
        .get("/api/events/audit")
        .await
        .body
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, events, "a tenant update logs no event");

    // The checks, each on its own; nothing changes.
    let role = json!({"name": "X", "groups": [{"id": admins, "role": "administrator"}]});
    assert_error(&api.put(&path, role).await, 422, "unknown user role");
    let group = json!({"name": "X", "groups": [{"id": "nope", "role": "admin"}]});
    assert_error(&api.put(&path, group).await, 404, "group not found: nope");
    let no_groups = json!({"name": "X"});
    assert_error(
        &api.put(&path, no_groups).await,
        422,
        "missing field: groups",
    );
    let inside = format!("{path}?account={tid}");
    assert_eq!(api.put(&inside, body).await.code(), 403);
    let listed = api.get("/api/integrations/msp/tenants").await.body;
    assert_eq!(listed[0], updated.body);
}
