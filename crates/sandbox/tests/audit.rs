//! `GET /api/events/audit` answers as NetBird's does (see `docs/sandbox.md`, "Audit log"):
//! newest first, ids from one sequence for all accounts, every `meta` value a string, one
//! event for each write NetBird logs (none for an update that changes nothing it audits), in
//! the account the write ran in. The cap (10000) is tested on the truncation itself, in the
//! crate's unit tests.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use common::Api;
use serde_json::{Value, json};

/// The log of the account `suffix` names (`""` or `?account=<id>`), newest first.
async fn log(api: &Api, suffix: &str) -> Vec<Value> {
    let a = api.get(&format!("/api/events/audit{suffix}")).await;
    assert_eq!(a.code(), 200, "{}", a.body);
    a.body.as_array().unwrap().clone()
}

/// The `(activity_code, target_id)` of the events after the first `skip` (oldest first).
async fn since(api: &Api, skip: usize) -> Vec<(String, String)> {
    let mut events = log(api, "").await;
    events.reverse();
    events
        .iter()
        .skip(skip)
        .map(|e| {
            let code = e["activity_code"].as_str().unwrap().to_owned();
            (code, e["target_id"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(c, t)| ((*c).to_owned(), (*t).to_owned()))
        .collect()
}

async fn ok(a: common::Answer) -> Value {
    assert_eq!(a.code(), 200, "{}", a.body);
    a.body
}

#[tokio::test]
async fn the_log_is_newest_first_with_growing_numeric_ids_and_string_meta() {
    let api = Api::start().await;
    let (web, db) = (api.group("", "web").await, api.group("", "db").await);
    let events = log(&api, "").await;
    let targets: Vec<&str> = events
        .iter()
        .map(|e| e["target_id"].as_str().unwrap())
        .collect();
    assert_eq!(targets[..2], [db.as_str(), web.as_str()], "newest first");
    let ids: Vec<u64> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    for e in &events {
        assert!(
            e["meta"]
                .as_object()
                .unwrap()
                .values()
                .all(Value::is_string)
        );
        assert!(!e["activity"].as_str().unwrap().is_empty(), "{e}");
    }
    assert_eq!(events[0]["activity"], "Group created");
    assert_eq!(events[0]["meta"], json!({"name": "db"}));
}

#[tokio::test]
async fn groups_log_create_rename_and_delete_but_not_an_unchanged_update() {
    let api = Api::start().await;
    let before = log(&api, "").await.len();
    let g = api.group("", "web").await;
    ok(api
        .put(&format!("/api/groups/{g}"), json!({"name": "web"}))
        .await)
    .await;
    ok(api
        .put(&format!("/api/groups/{g}"), json!({"name": "web2"}))
        .await)
    .await;
    ok(api.delete(&format!("/api/groups/{g}")).await).await;
    let want = [
        ("group.add", &g),
        ("group.update", &g),
        ("group.delete", &g),
    ];
    let want: Vec<(&str, &str)> = want.iter().map(|(c, t)| (*c, t.as_str())).collect();
    assert_eq!(since(&api, before).await, pairs(&want));
    let rename = &log(&api, "").await[1];
    assert_eq!(
        rename["meta"],
        json!({"new_name": "web2", "old_name": "web"})
    );
    assert_eq!(rename["activity"], "Group updated");
}

#[tokio::test]
async fn setup_keys_log_create_revoke_group_changes_and_delete_but_no_update() {
    let api = Api::start().await;
    let web = api.group("", "web").await;
    let before = log(&api, "").await.len();
    let k = ok(api
        .post(
            "/api/setup-keys",
            json!({"name": "boot", "type": "reusable", "auto_groups": []}),
        )
        .await)
    .await;
    let k = k["id"].as_str().unwrap().to_owned();
    let path = format!("/api/setup-keys/{k}");
    ok(api
        .put(&path, json!({"revoked": false, "auto_groups": []}))
        .await)
    .await;
    ok(api
        .put(&path, json!({"revoked": false, "auto_groups": [web]}))
        .await)
    .await;
    ok(api
        .put(&path, json!({"revoked": true, "auto_groups": []}))
        .await)
    .await;
    ok(api.delete(&path).await).await;
    let want = [
        ("setupkey.add", k.as_str()),
        ("setupkey.group.add", &k),
        ("setupkey.revoke", &k),
        ("setupkey.group.delete", &k),
        ("setupkey.delete", &k),
    ];
    assert_eq!(since(&api, before).await, pairs(&want));
    let events = log(&api, "").await;
    let revoke = &events[2];
    assert_eq!(revoke["activity"], "Setup key revoked");
    let meta = revoke["meta"].as_object().unwrap();
    assert_eq!(meta["name"], "boot");
    assert_eq!(meta["type"], "reusable");
    assert!(meta["key"].as_str().unwrap().ends_with("****"));
    let group = &events[1]["meta"];
    assert_eq!(
        *group,
        json!({"group": "web", "group_id": web, "setupkey": "boot"})
    );
}

#[tokio::test]
async fn policies_posture_checks_and_nameservers_log_every_write() {
    let api = Api::start().await;
    let web = api.group("", "web").await;
    let before = log(&api, "").await.len();
    let policy = |name: &str| {
        json!({"name": name, "enabled": true, "rules": [{"name": "r", "enabled": true,
            "action": "accept", "bidirectional": true, "protocol": "all",
            "sources": [web], "destinations": [web]}]})
    };
    let p = ok(api.post("/api/policies", policy("p")).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same body again: NetBird logs policy.update on every successful PUT.
    ok(api.put(&format!("/api/policies/{p}"), policy("p")).await).await;
    ok(api.delete(&format!("/api/policies/{p}")).await).await;
    let check = json!({"name": "v", "description": "",
        "checks": {"nb_version_check": {"min_version": "1"}}});
    let c = ok(api.post("/api/posture-checks", check.clone()).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(api.put(&format!("/api/posture-checks/{c}"), check).await).await;
    ok(api.delete(&format!("/api/posture-checks/{c}")).await).await;
    let ns = json!({"name": "google", "description": "", "nameservers":
        [{"ip": "8.8.8.8", "ns_type": "udp", "port": 53}], "enabled": true,
        "groups": [web], "primary": true, "domains": [], "search_domains_enabled": false});
    let n = ok(api.post("/api/dns/nameservers", ns.clone()).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(api.put(&format!("/api/dns/nameservers/{n}"), ns).await).await;
    ok(api.delete(&format!("/api/dns/nameservers/{n}")).await).await;
    let want = [
        ("policy.add", p.as_str()),
        ("policy.update", &p),
        ("policy.delete", &p),
        ("posture.check.create", &c),
        ("posture.check.update", &c),
        ("posture.check.delete", &c),
        ("nameserver.group.add", &n),
        ("nameserver.group.update", &n),
        ("nameserver.group.delete", &n),
    ];
    assert_eq!(since(&api, before).await, pairs(&want));
    for e in log(&api, "").await.iter().take(9) {
        let name = e["meta"]["name"].as_str().unwrap();
        assert!(["p", "v", "google"].contains(&name), "{e}");
    }
}

#[tokio::test]
async fn networks_resources_routers_and_routes_log_with_their_meta() {
    let api = Api::start().await;
    let web = api.group("", "web").await;
    let before = log(&api, "").await.len();
    let net = ok(api.post("/api/networks", json!({"name": "office"})).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res_body = |groups: Value| json!({"name": "host", "address": "10.10.0.6", "enabled": true, "groups": groups});
    let res_path = format!("/api/networks/{net}/resources");
    let res = ok(api.post(&res_path, res_body(json!([web]))).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(api
        .put(&format!("{res_path}/{res}"), res_body(json!([])))
        .await)
    .await;
    let rt_path = format!("/api/networks/{net}/routers");
    let router = json!({"peer_groups": [web], "metric": 100, "masquerade": true, "enabled": true});
    let rt = ok(api.post(&rt_path, router).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let route = json!({"description": "r", "network_id": "office", "enabled": true,
        "peer_groups": [web], "network": "10.30.0.0/16", "metric": 9999, "masquerade": true,
        "groups": [web], "keep_route": false});
    let r = ok(api.post("/api/routes", route).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(api.delete(&format!("/api/routes/{r}")).await).await;
    ok(api.delete(&format!("{rt_path}/{rt}")).await).await;
    ok(api.delete(&format!("{res_path}/{res}")).await).await;
    ok(api.delete(&format!("/api/networks/{net}")).await).await;
    let want = [
        ("network.create", net.as_str()),
        ("network.resource.create", &res),
        ("resource.group.add", &web),
        ("resource.group.delete", &web),
        ("network.resource.update", &res),
        ("network.router.create", &rt),
        ("route.add", &r),
        ("route.delete", &r),
        ("network.router.delete", &rt),
        ("network.resource.delete", &res),
        ("network.delete", &net),
    ];
    assert_eq!(since(&api, before).await, pairs(&want));
    let events = log(&api, "").await;
    let meta = |i: usize| events[events.len() - before - 1 - i]["meta"].clone();
    assert_eq!(
        meta(1),
        json!({"name": "host", "network_id": net, "network_name": "office", "type": "host"})
    );
    assert_eq!(
        meta(2),
        json!({"id": web, "name": "web", "resource_id": res, "resource_name": "host",
               "resource_type": "host"})
    );
    assert_eq!(
        meta(5),
        json!({"network_id": net, "network_name": "office", "peer": "",
               "peer_groups": format!("[{web}]")})
    );
    assert_eq!(
        meta(6),
        json!({"domains": "", "name": "office", "network_range": "10.30.0.0/16",
               "peer_groups": format!("[{web}]"), "peer_id": ""})
    );
}

#[tokio::test]
async fn settings_log_each_change_on_the_account_and_nothing_when_unchanged() {
    let api = Api::start().await;
    let web = api.group("", "web").await;
    let acc = api.msp();
    let before = log(&api, "").await.len();
    let dns = |groups: Value| json!({"disabled_management_groups": groups});
    ok(api.put("/api/dns/settings", dns(json!([web]))).await).await;
    ok(api.put("/api/dns/settings", dns(json!([web]))).await).await;
    ok(api.put("/api/dns/settings", dns(json!([]))).await).await;
    let settings = api.get("/api/accounts").await.body[0]["settings"].clone();
    let path = format!("/api/accounts/{acc}");
    ok(api.put(&path, json!({"settings": settings.clone()})).await).await;
    let mut changed = settings;
    changed["peer_login_expiration"] = json!(7200);
    changed["dns_domain"] = json!("corp.example");
    ok(api.put(&path, json!({"settings": changed})).await).await;
    let want = [
        ("dns.setting.disabled.management.group.add", acc.as_str()),
        ("dns.setting.disabled.management.group.delete", &acc),
        ("account.setting.peer.login.expiration.update", &acc),
        ("account.dns.domain.update", &acc),
    ];
    assert_eq!(since(&api, before).await, pairs(&want));
    let events = log(&api, "").await;
    assert_eq!(
        events[0]["meta"],
        json!({"new_dns_domain": "corp.example", "old_dns_domain": ""})
    );
    assert_eq!(
        events[1]["activity"],
        "Account peer login expiration duration updated"
    );
    assert_eq!(events[3]["meta"], json!({"group": "web", "group_id": web}));
}

#[tokio::test]
async fn users_and_tokens_log_with_the_user_named_in_meta() {
    let api = Api::start().await;
    let web = api.group("", "web").await;
    let before = log(&api, "").await.len();
    let alice = json!({"email": "alice@example.com", "name": "Alice", "role": "user",
        "auto_groups": [], "is_service_user": false});
    let alice = ok(api.post("/api/users", alice).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = json!({"role": "admin", "auto_groups": [web], "is_blocked": false});
    ok(api
        .put(&format!("/api/users/{alice}"), update.clone())
        .await)
    .await;
    ok(api.put(&format!("/api/users/{alice}"), update).await).await;
    let bot = json!({"name": "bot", "role": "user", "auto_groups": [], "is_service_user": true});
    let bot = ok(api.post("/api/users", bot).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tokens = format!("/api/users/{bot}/tokens");
    let pat = ok(api
        .post(&tokens, json!({"name": "ci", "expires_in": 30}))
        .await)
    .await;
    let pat = pat["personal_access_token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(api.delete(&format!("{tokens}/{pat}")).await).await;
    ok(api.delete(&format!("/api/users/{alice}")).await).await;
    let want = [
        ("user.invite", alice.as_str()),
        ("user.role.update", &alice),
        ("user.group.add", &alice),
        ("service.user.create", &bot),
        ("personal.access.token.create", &bot),
        ("personal.access.token.delete", &bot),
        ("user.delete", &alice),
    ];
    assert_eq!(since(&api, before).await, pairs(&want));
    let events = log(&api, "").await;
    // A deleted user's events keep their name and email, as NetBird's deleted-users table.
    let invite = &events[6];
    assert_eq!(
        invite["meta"],
        json!({"email": "alice@example.com", "username": "Alice"})
    );
    assert_eq!(events[5]["meta"]["role"], "admin");
    assert_eq!(events[4]["meta"]["group"], "web");
    assert_eq!(events[4]["meta"]["is_service_user"], "false");
    assert_eq!(
        events[1]["meta"],
        json!({"email": "", "is_service_user": "true", "name": "ci", "user_name": "bot",
               "username": "bot"})
    );
    assert_eq!(events[0]["meta"]["issued"], "api");
}

#[tokio::test]
async fn a_write_in_a_tenant_is_logged_there_by_the_msp_user_as_external() {
    let api = Api::start().await;
    let t = api.tenant("acme.com").await;
    let q = format!("?account={t}");
    let home_before = log(&api, "").await;
    let g = api.group(&q, "ops").await;
    let h = api.group("", "home").await;
    let tenant = log(&api, &q).await;
    let e = &tenant[0];
    assert_eq!(e["target_id"], json!(g));
    assert_eq!(e["activity_code"], "group.add");
    assert_eq!(e["initiator_email"], "owner@msp.example.com");
    assert_eq!(e["meta"], json!({"external": "true", "name": "ops"}));
    assert!(tenant.iter().all(|e| e["target_id"] != json!(h)));
    let home = log(&api, "").await;
    assert_eq!(
        home.len(),
        home_before.len() + 1,
        "the tenant's write is not in the MSP log"
    );
    assert_eq!(home[0]["target_id"], json!(h));
    assert_eq!(home[0]["meta"], json!({"name": "home"}));
    // One id sequence for all accounts: the home group's event follows the tenant's.
    let id = |e: &Value| e["id"].as_str().unwrap().parse::<u64>().unwrap();
    assert!(id(&home[0]) > id(e));
}

#[tokio::test]
async fn dns_zones_and_records_log_every_write_and_a_zone_delete_its_records_first() {
    let api = Api::start().await;
    let web = api.group("", "web").await;
    let before = log(&api, "").await.len();
    let zone = |name: &str| {
        json!({"name": name, "domain": "corp.example", "enabled": true,
            "enable_search_domain": false, "distribution_groups": [web]})
    };
    let z = ok(api.post("/api/dns/zones", zone("corp")).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same body again: NetBird logs dns.zone.update on every successful PUT.
    ok(api.put(&format!("/api/dns/zones/{z}"), zone("corp")).await).await;
    let path = format!("/api/dns/zones/{z}/records");
    let record = |content: &str| json!({"name": "db.corp.example", "type": "A", "content": content, "ttl": 300});
    let r1 = ok(api.post(&path, record("10.0.0.1")).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(api.put(&format!("{path}/{r1}"), record("10.0.0.2")).await).await;
    let r2 = ok(api.post(&path, record("10.0.0.3")).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r3 = ok(api.post(&path, record("10.0.0.4")).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(api.delete(&format!("{path}/{r3}")).await).await;
    ok(api.delete(&format!("/api/dns/zones/{z}")).await).await;
    let want = [
        ("dns.zone.create", z.as_str()),
        ("dns.zone.update", &z),
        ("dns.zone.record.create", &r1),
        ("dns.zone.record.update", &r1),
        ("dns.zone.record.create", &r2),
        ("dns.zone.record.create", &r3),
        ("dns.zone.record.delete", &r3),
        ("dns.zone.record.delete", &r1),
        ("dns.zone.record.delete", &r2),
        ("dns.zone.delete", &z),
    ];
    assert_eq!(since(&api, before).await, pairs(&want));
    let events = log(&api, "").await;
    assert_eq!(events[0]["activity"], "DNS zone deleted");
    assert_eq!(
        events[0]["meta"],
        json!({"domain": "corp.example", "name": "corp"})
    );
    assert_eq!(events[1]["activity"], "DNS zone record deleted");
    assert_eq!(
        events[1]["meta"],
        json!({"content": "10.0.0.3", "name": "db.corp.example", "ttl": "300",
               "type": "A", "zone_id": z, "zone_name": "corp"})
    );
    assert_eq!(events[6]["activity"], "DNS zone record updated");
    assert_eq!(events[6]["meta"]["content"], "10.0.0.2");
    assert_eq!(events[8]["activity"], "DNS zone updated");
    assert_eq!(events[9]["activity"], "DNS zone created");
}
