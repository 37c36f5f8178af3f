//! Recorded requests: a fixed, deterministic sequence of requests touching every kind
//! (create, list, get, update, delete, invalid bodies, unknown ids, the MSP tenant actions,
//! the world document) whose every status and body is compared byte for byte with
//! `recorded.txt`, recorded on the code before the kinds were registered from one list.
//!
//! The sandbox runs with a fixed seed and token and no faults, so secrets (setup keys, PATs,
//! passwords, DNS challenges) and event ids are reproducible. Only what comes from the clock
//! is normalised: ids (xid-style, their first bytes are the time) become `<id:N>` numbered by
//! first appearance, and timestamps other than Go's zero time become `<ts>`. Each sandbox's
//! answers are numbered apart: two sandboxes with the same seed make the same ids when they
//! start within the same second, and different ones otherwise.
//!
//! `RECORD=1 cargo test -p onboard-sandbox --test recorded` rewrites the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::fmt::Write as _;

use onboard_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{Value, json};

const TOKEN: &str = "nbp_RecordedRequestsRecordedRequests0001";

struct Rec {
    sandbox: SandboxHandle,
    http: reqwest::Client,
    out: String,
}

impl Rec {
    async fn start(standalone: bool) -> Rec {
        let cfg = SandboxConfig {
            rate_limit: None,
            seed: Some(7),
            token: Some(TOKEN.to_owned()),
            standalone,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::start(cfg).await.expect("sandbox starts");
        Rec {
            sandbox,
            http: reqwest::Client::new(),
            out: String::new(),
        }
    }

    /// Sends a request with `token`, records it and its answer, answers the body as JSON.
    async fn call_as(
        &mut self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.sandbox.url()))
            .header("Authorization", format!("Token {token}"));
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(body.to_owned());
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body read");
        let who = if token == TOKEN { "" } else { " (other token)" };
        writeln!(self.out, ">>> {method} {path}{who}").unwrap();
        if let Some(body) = body {
            writeln!(self.out, "{body}").unwrap();
        }
        writeln!(self.out, "<<< {status}\n{text}\n").unwrap();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn call(&mut self, method: &str, path: &str, body: Option<&str>) -> Value {
        self.call_as(TOKEN, method, path, body).await
    }
    async fn get(&mut self, path: &str) -> Value {
        self.call("GET", path, None).await
    }
    async fn post(&mut self, path: &str, body: Value) -> Value {
        self.call("POST", path, Some(&body.to_string())).await
    }
    async fn put(&mut self, path: &str, body: Value) -> Value {
        self.call("PUT", path, Some(&body.to_string())).await
    }
    async fn delete(&mut self, path: &str) -> Value {
        self.call("DELETE", path, None).await
    }
    async fn raw(&mut self, method: &str, path: &str, body: &str) -> Value {
        self.call(method, path, Some(body)).await
    }

    /// Publishes a TXT record through `POST /__sandbox/dns/txt` and records it.
    async fn publish_txt(&mut self, body: Value) {
        let url = format!("{}/__sandbox/dns/txt", self.sandbox.url());
        let resp = self.http.post(url).json(&body).send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        writeln!(
            self.out,
            ">>> POST /__sandbox/dns/txt\n{body}\n<<< {status}\n{text}\n"
        )
        .unwrap();
    }

    /// Records the world document.
    async fn world(&mut self) {
        let url = format!("{}/__sandbox/world", self.sandbox.url());
        let resp = self.http.get(url).send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        writeln!(self.out, ">>> GET /__sandbox/world\n<<< {status}\n{text}\n").unwrap();
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// Every kind, in the MSP account and in a tenant.
async fn msp_run(r: &mut Rec) {
    // Accounts.
    let accounts = r.get("/api/accounts").await;
    let acc = id(&accounts[0]);
    let settings = accounts[0]["settings"].clone();
    r.get("/api/users/current").await;

    // Groups.
    r.get("/api/groups").await;
    let web = id(&r.post("/api/groups", json!({"name": "web"})).await);
    let db = id(&r
        .post(
            "/api/groups",
            json!({"name": "db", "peers": [], "resources": []}),
        )
        .await);
    r.post("/api/groups", json!({"name": "web"})).await;
    r.post("/api/groups", json!({"name": ""})).await;
    r.post("/api/groups", json!({})).await;
    r.post("/api/groups", json!({"name": 5})).await;
    r.raw("POST", "/api/groups", "not json").await;
    r.raw("POST", "/api/groups", "[1]").await;
    r.post("/api/groups", json!({"name": "x", "peers": ["nope"]}))
        .await;
    r.get(&format!("/api/groups/{web}")).await;
    r.get("/api/groups?name=web").await;
    r.get("/api/groups?name=nothing").await;
    r.get("/api/groups/unknown").await;
    r.put(&format!("/api/groups/{web}"), json!({"name": "web2"}))
        .await;
    r.put(&format!("/api/groups/{web}"), json!({"name": "db"}))
        .await;
    r.put("/api/groups/unknown", json!({"name": "zz"})).await;
    let all = r.get("/api/groups?name=All").await;
    let all = id(&all[0]);
    r.put(&format!("/api/groups/{all}"), json!({"name": "All2"}))
        .await;
    r.delete(&format!("/api/groups/{all}")).await;
    let spare = id(&r.post("/api/groups", json!({"name": "spare"})).await);
    r.delete(&format!("/api/groups/{spare}")).await;
    r.delete(&format!("/api/groups/{spare}")).await;

    // Setup keys.
    let key = r
        .post(
            "/api/setup-keys",
            json!({"name": "boot", "type": "reusable", "expires_in": 86400,
                   "auto_groups": [web], "usage_limit": 5, "ephemeral": true}),
        )
        .await;
    let key = id(&key);
    r.post(
        "/api/setup-keys",
        json!({"name": "minimal", "type": "one-off"}),
    )
    .await;
    r.post(
        "/api/setup-keys",
        json!({"name": "bad", "type": "one-off", "usage_limit": 3}),
    )
    .await;
    r.post(
        "/api/setup-keys",
        json!({"name": "bad", "type": "sometimes"}),
    )
    .await;
    r.post(
        "/api/setup-keys",
        json!({"name": "bad", "type": "reusable", "auto_groups": [all]}),
    )
    .await;
    r.post(
        "/api/setup-keys",
        json!({"name": "bad", "type": "reusable", "auto_groups": ["nope"]}),
    )
    .await;
    r.post(
        "/api/setup-keys",
        json!({"name": "bad", "type": "reusable", "expires_in": 5}),
    )
    .await;
    r.get("/api/setup-keys").await;
    r.get(&format!("/api/setup-keys/{key}")).await;
    r.put(
        &format!("/api/setup-keys/{key}"),
        json!({"revoked": false, "auto_groups": [web, db]}),
    )
    .await;
    r.put(
        &format!("/api/setup-keys/{key}"),
        json!({"revoked": true, "auto_groups": [web]}),
    )
    .await;
    r.put(
        &format!("/api/setup-keys/{key}"),
        json!({"revoked": false, "auto_groups": [web]}),
    )
    .await;
    r.put(&format!("/api/setup-keys/{key}"), json!({"revoked": true}))
        .await;
    r.put(
        "/api/setup-keys/unknown",
        json!({"revoked": true, "auto_groups": []}),
    )
    .await;
    r.delete(&format!("/api/groups/{web}")).await;

    // Posture checks.
    let pc = r
        .post(
            "/api/posture-checks",
            json!({"name": "version", "description": "min version",
                   "checks": {"nb_version_check": {"min_version": "0.30.0"}}}),
        )
        .await;
    let pc = id(&pc);
    r.post(
        "/api/posture-checks",
        json!({"name": "geo", "description": "",
               "checks": {"geo_location_check": {"locations": [{"country_code": "DE", "city_name": "Berlin"}], "action": "allow"},
                          "peer_network_range_check": {"ranges": ["10.0.0.0/8"], "action": "deny"},
                          "process_check": {"processes": [{"linux_path": "/usr/bin/x"}]},
                          "os_version_check": {"linux": {"min_kernel_version": "5.0"}}}}),
    )
    .await;
    r.post("/api/posture-checks", json!({"name": "version", "description": "", "checks": {"nb_version_check": {"min_version": "1"}}}))
        .await;
    r.post(
        "/api/posture-checks",
        json!({"name": "empty", "description": "", "checks": {}}),
    )
    .await;
    r.post("/api/posture-checks", json!({"name": "nodesc"}))
        .await;
    r.post("/api/posture-checks", json!({"name": "geo2", "description": "", "checks": {"geo_location_check": {"locations": [{"country_code": "DEU"}], "action": "allow"}}}))
        .await;
    r.get("/api/posture-checks").await;
    r.get(&format!("/api/posture-checks/{pc}")).await;
    r.put(
        &format!("/api/posture-checks/{pc}"),
        json!({"name": "version", "description": "changed",
               "checks": {"nb_version_check": {"min_version": "0.31.0"}}}),
    )
    .await;
    r.get("/api/posture-checks/unknown").await;

    // Policies.
    let rule = |sources: Value, dests: Value| {
        json!({"name": "r1", "enabled": true, "action": "accept", "bidirectional": true,
               "protocol": "tcp", "ports": ["22", "80"], "sources": sources, "destinations": dests})
    };
    let pol = r
        .post(
            "/api/policies",
            json!({"name": "p1", "description": "first", "enabled": true,
                   "source_posture_checks": [pc],
                   "rules": [rule(json!([web]), json!([db])), rule(json!([db]), json!([web]))]}),
        )
        .await;
    let pol = id(&pol);
    let rule_id = r.get(&format!("/api/policies/{pol}")).await["rules"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    r.post(
        "/api/policies",
        json!({"name": "p2", "enabled": true, "rules": []}),
    )
    .await;
    r.post("/api/policies", json!({"name": "p2", "enabled": true, "rules": [{"name": "r", "enabled": true, "bidirectional": true, "protocol": "all", "sources": [web], "destinations": [db]}]}))
        .await;
    r.post("/api/policies", json!({"name": "p2", "enabled": true, "rules": [{"name": "r", "enabled": true, "action": "accept", "bidirectional": true, "protocol": "all", "destinations": [db]}]}))
        .await;
    r.post("/api/policies", json!({"name": "p2", "enabled": true, "rules": [{"name": "r", "enabled": true, "action": "accept", "bidirectional": true, "protocol": "all", "ports": ["80"], "sources": [web], "destinations": [db]}]}))
        .await;
    r.post("/api/policies", json!({"name": "p2", "enabled": true, "rules": [{"name": "r", "enabled": true, "action": "accept", "bidirectional": true, "protocol": "tcp", "ports": ["70000"], "sources": [web], "destinations": [db]}]}))
        .await;
    r.post("/api/policies", json!({"name": "p2", "enabled": true, "rules": [{"name": "r", "enabled": true, "action": "accept", "bidirectional": true, "protocol": "all", "sources": ["nope"], "destinations": [db]}]}))
        .await;
    r.post("/api/policies", json!({"name": "p2", "enabled": true, "source_posture_checks": ["nope"], "rules": [rule(json!([web]), json!([db]))]}))
        .await;
    r.post("/api/policies", json!({"name": "p2", "enabled": true, "rules": [{"name": "r", "enabled": true, "action": "accept", "bidirectional": true, "protocol": "netbird-ssh", "sources": [web], "destinations": [db]}]}))
        .await;
    r.post("/api/policies", json!({"name": "p3", "enabled": true, "rules": [{"name": "ssh", "enabled": true, "action": "accept", "bidirectional": false, "protocol": "netbird-ssh", "authorized_groups": {web.clone(): ["root"]}, "sources": [web], "destinations": [db], "port_ranges": [{"start": 22, "end": 23}]}]}))
        .await;
    r.get("/api/policies").await;
    r.put(
        &format!("/api/policies/{pol}"),
        json!({"name": "p1b", "enabled": false,
               "rules": [{"id": rule_id, "name": "r1b", "enabled": true, "action": "drop", "bidirectional": false,
                          "protocol": "udp", "sources": [db], "destinations": [web]}]}),
    )
    .await;
    r.put(
        &format!("/api/policies/{pol}"),
        json!({"name": "p1c", "enabled": true,
               "rules": [{"id": "other", "name": "r1c", "enabled": true, "action": "accept", "bidirectional": true,
                          "protocol": "all", "sources": [web], "destinations": [db]}],
               "source_posture_checks": [pc]}),
    )
    .await;
    r.get(&format!("/api/policies/{pol}")).await;
    r.get("/api/policies/unknown").await;
    r.delete(&format!("/api/posture-checks/{pc}")).await;
    r.delete(&format!("/api/groups/{db}")).await;

    // Networks, resources, routers.
    let net = id(&r
        .post(
            "/api/networks",
            json!({"name": "office", "description": "hq"}),
        )
        .await);
    let net2 = id(&r.post("/api/networks", json!({"name": "lab"})).await);
    r.post("/api/networks", json!({"name": ""})).await;
    r.post("/api/networks", json!({"description": "x"})).await;
    r.get("/api/networks").await;
    r.get(&format!("/api/networks/{net}")).await;
    r.put(&format!("/api/networks/{net}"), json!({"name": "office2"}))
        .await;
    let res_path = format!("/api/networks/{net}/resources");
    let res = r
        .post(
            &res_path,
            json!({"name": "host", "address": "10.10.0.6", "enabled": true, "groups": [db]}),
        )
        .await;
    let res = id(&res);
    r.post(&res_path, json!({"name": "subnet", "description": "s", "address": "10.20.0.0/16", "enabled": true, "groups": [web, db]}))
        .await;
    r.post(
        &res_path,
        json!({"name": "dom", "address": "*.example.com", "enabled": false, "groups": []}),
    )
    .await;
    r.post(
        &res_path,
        json!({"name": "v6", "address": "fd00::6", "enabled": true, "groups": []}),
    )
    .await;
    r.post(
        &res_path,
        json!({"name": "host", "address": "10.10.0.7", "enabled": true, "groups": []}),
    )
    .await;
    r.post(
        &format!("/api/networks/{net2}/resources"),
        json!({"name": "host", "address": "10.10.0.8", "enabled": true, "groups": []}),
    )
    .await;
    r.post(
        &res_path,
        json!({"name": "bad", "address": "not an address!", "enabled": true, "groups": []}),
    )
    .await;
    r.post(
        &res_path,
        json!({"name": "bad2", "address": "10.0.0.1", "enabled": true, "groups": ["nope"]}),
    )
    .await;
    r.post(
        "/api/networks/unknown/resources",
        json!({"name": "h", "address": "10.0.0.1", "enabled": true, "groups": []}),
    )
    .await;
    r.get(&res_path).await;
    r.get(&format!("{res_path}/{res}")).await;
    r.get(&format!("/api/networks/{net2}/resources/{res}"))
        .await;
    r.put(
        &format!("{res_path}/{res}"),
        json!({"name": "host2", "address": "10.10.0.9", "enabled": true, "groups": [web]}),
    )
    .await;
    r.get(&format!("/api/groups/{web}")).await;
    r.post(
        "/api/policies",
        json!({"name": "to-res", "enabled": true, "rules": [{"name": "r", "enabled": true, "action": "accept",
               "bidirectional": false, "protocol": "all", "sources": [db],
               "destinationResource": {"id": res, "type": "host"}}]}),
    )
    .await;
    r.post(
        "/api/policies",
        json!({"name": "bad-res", "enabled": true, "rules": [{"name": "r", "enabled": true, "action": "accept",
               "bidirectional": false, "protocol": "all", "sources": [db],
               "destinationResource": {"id": "nope", "type": "host"}}]}),
    )
    .await;
    let rt_path = format!("/api/networks/{net}/routers");
    let router = r
        .post(
            &rt_path,
            json!({"peer_groups": [web], "metric": 100, "masquerade": true, "enabled": true}),
        )
        .await;
    let router = id(&router);
    r.post(
        &rt_path,
        json!({"metric": 100, "masquerade": true, "enabled": true}),
    )
    .await;
    r.post(&rt_path, json!({"peer": "p", "peer_groups": [web], "metric": 100, "masquerade": true, "enabled": true}))
        .await;
    r.post(
        &rt_path,
        json!({"peer_groups": [web], "metric": 0, "masquerade": true, "enabled": true}),
    )
    .await;
    r.post(
        &rt_path,
        json!({"peer": "nope", "metric": 10, "masquerade": true, "enabled": true}),
    )
    .await;
    r.get(&rt_path).await;
    r.get(&format!("{rt_path}/{router}")).await;
    r.put(
        &format!("{rt_path}/{router}"),
        json!({"peer_groups": [db], "metric": 5, "masquerade": false, "enabled": false}),
    )
    .await;
    r.get("/api/networks/routers").await;
    r.get(&format!("/api/networks/{net}")).await;
    r.delete(&format!("/api/groups/{db}")).await;

    // Routes.
    let route = r
        .post(
            "/api/routes",
            json!({"description": "r", "network_id": "office", "enabled": true, "peer_groups": [web],
                   "network": "10.30.0.0/16", "metric": 9999, "masquerade": true, "groups": [db],
                   "keep_route": false}),
        )
        .await;
    let route = id(&route);
    r.post(
        "/api/routes",
        json!({"description": "d", "network_id": "doms", "enabled": true, "peer_groups": [db],
               "domains": ["example.com"], "metric": 1, "masquerade": false, "groups": [db],
               "keep_route": true, "access_control_groups": [web], "skip_auto_apply": false}),
    )
    .await;
    r.post(
        "/api/routes",
        json!({"description": "r", "network_id": "office", "enabled": true, "peer_groups": [web],
               "network": "10.30.0.0/16", "metric": 9999, "masquerade": true, "groups": [db],
               "keep_route": false}),
    )
    .await;
    r.post(
        "/api/routes",
        json!({"description": "r", "network_id": "", "enabled": true, "peer_groups": [web],
               "network": "10.30.0.0/16", "metric": 9999, "masquerade": true, "groups": [db],
               "keep_route": false}),
    )
    .await;
    r.post(
        "/api/routes",
        json!({"description": "r", "network_id": "x", "enabled": true, "peer_groups": [web],
               "network": "10.30.0.0/16", "domains": ["a.com"], "metric": 1, "masquerade": true, "groups": [db],
               "keep_route": false}),
    )
    .await;
    r.post(
        "/api/routes",
        json!({"description": "r", "network_id": "x", "enabled": true, "peer_groups": [web],
               "network": "fd00::/64", "metric": 1, "masquerade": true, "groups": ["nope"],
               "keep_route": false}),
    )
    .await;
    r.post("/api/routes", json!({"description": "r"})).await;
    r.get("/api/routes").await;
    r.get(&format!("/api/routes/{route}")).await;
    r.put(
        &format!("/api/routes/{route}"),
        json!({"description": "r2", "network_id": "office", "enabled": false, "peer_groups": [web],
               "network": "fd00::/64", "metric": 10, "masquerade": false, "groups": [db],
               "keep_route": false}),
    )
    .await;
    r.get("/api/routes/unknown").await;

    // Nameservers and DNS settings.
    let ns = r
        .post(
            "/api/dns/nameservers",
            json!({"name": "google", "description": "g", "nameservers": [{"ip": "8.8.8.8", "ns_type": "udp", "port": 53}],
                   "enabled": true, "groups": [db], "primary": true, "domains": [], "search_domains_enabled": false}),
        )
        .await;
    let ns = id(&ns);
    r.post(
        "/api/dns/nameservers",
        json!({"name": "google", "description": "g", "nameservers": [{"ip": "8.8.4.4", "ns_type": "udp", "port": 53}],
               "enabled": true, "groups": [db], "primary": false, "domains": ["corp.example"], "search_domains_enabled": true}),
    )
    .await;
    r.post(
        "/api/dns/nameservers",
        json!({"name": "bad", "description": "g", "nameservers": [],
               "enabled": true, "groups": [db], "primary": true, "domains": [], "search_domains_enabled": false}),
    )
    .await;
    r.post(
        "/api/dns/nameservers",
        json!({"name": "bad", "description": "g", "nameservers": [{"ip": "8.8.8.8", "ns_type": "tcp", "port": 53}],
               "enabled": true, "groups": [db], "primary": true, "domains": [], "search_domains_enabled": false}),
    )
    .await;
    r.post(
        "/api/dns/nameservers",
        json!({"name": "bad", "description": "g", "nameservers": [{"ip": "8.8.8.8", "ns_type": "udp", "port": 53}],
               "enabled": true, "groups": [db], "primary": false, "domains": [], "search_domains_enabled": false}),
    )
    .await;
    r.get("/api/dns/nameservers").await;
    r.get(&format!("/api/dns/nameservers/{ns}")).await;
    r.put(
        &format!("/api/dns/nameservers/{ns}"),
        json!({"name": "google2", "description": "g2", "nameservers": [{"ip": "1.1.1.1", "ns_type": "udp", "port": 5353}],
               "enabled": false, "groups": [web], "primary": true, "domains": [], "search_domains_enabled": false}),
    )
    .await;
    r.get("/api/dns/settings").await;
    r.put(
        "/api/dns/settings",
        json!({"disabled_management_groups": [web]}),
    )
    .await;
    r.put(
        "/api/dns/settings",
        json!({"disabled_management_groups": [db]}),
    )
    .await;
    r.put(
        "/api/dns/settings",
        json!({"disabled_management_groups": ["nope"]}),
    )
    .await;
    r.put("/api/dns/settings", json!({})).await;
    r.get("/api/dns/settings").await;

    // Account settings.
    let mut changed = settings.clone();
    changed["peer_login_expiration_enabled"] = json!(true);
    changed["peer_login_expiration"] = json!(7200);
    changed["peer_expose_groups"] = json!([web]);
    r.put(
        &format!("/api/accounts/{acc}"),
        json!({"settings": changed}),
    )
    .await;
    r.put(
        &format!("/api/accounts/{acc}"),
        json!({"settings": {"peer_login_expiration": 1}}),
    )
    .await;
    r.put("/api/accounts/other", json!({"settings": settings}))
        .await;
    r.get("/api/accounts").await;

    // Users and tokens.
    let alice = r
        .post(
            "/api/users",
            json!({"email": "alice@example.com", "name": "Alice", "role": "admin", "auto_groups": [web], "is_service_user": false}),
        )
        .await;
    let alice = id(&alice);
    let bot = r
        .post(
            "/api/users",
            json!({"name": "bot", "role": "user", "auto_groups": [], "is_service_user": true}),
        )
        .await;
    let bot = id(&bot);
    r.post("/api/users", json!({"email": "alice@example.com", "role": "user", "auto_groups": [], "is_service_user": false}))
        .await;
    r.post(
        "/api/users",
        json!({"role": "user", "auto_groups": [], "is_service_user": false}),
    )
    .await;
    r.post("/api/users", json!({"email": "x@example.com", "role": "emperor", "auto_groups": [], "is_service_user": false}))
        .await;
    r.post("/api/users", json!({"email": "x@example.com", "role": "user", "auto_groups": ["nope"], "is_service_user": false}))
        .await;
    r.get("/api/users").await;
    r.get("/api/users?service_user=true").await;
    r.get("/api/users?service_user=false").await;
    r.get(&format!("/api/users/{alice}")).await;
    r.put(
        &format!("/api/users/{alice}"),
        json!({"role": "user", "auto_groups": [db], "is_blocked": true}),
    )
    .await;
    r.put(
        &format!("/api/users/{alice}"),
        json!({"role": "user", "auto_groups": [db], "is_blocked": false}),
    )
    .await;
    r.put(
        &format!("/api/users/{alice}"),
        json!({"role": "user", "is_blocked": false}),
    )
    .await;
    r.put(
        "/api/users/unknown",
        json!({"role": "user", "auto_groups": [], "is_blocked": false}),
    )
    .await;
    r.post(&format!("/api/users/{alice}/invite"), json!({}))
        .await;
    r.post(&format!("/api/users/{bot}/invite"), json!({})).await;
    let me = id(&r.get("/api/users/current").await);
    r.put(
        &format!("/api/users/{me}"),
        json!({"role": "owner", "auto_groups": [], "is_blocked": true}),
    )
    .await;
    r.delete(&format!("/api/users/{me}")).await;
    let tok_path = format!("/api/users/{bot}/tokens");
    let token = r
        .post(&tok_path, json!({"name": "ci", "expires_in": 30}))
        .await;
    let plain = token["plain_token"].as_str().unwrap().to_owned();
    let tok = id(&token["personal_access_token"]);
    r.post(&tok_path, json!({"name": "ci", "expires_in": 400}))
        .await;
    r.post(&tok_path, json!({"name": "", "expires_in": 3}))
        .await;
    r.post(
        &format!("/api/users/{alice}/tokens"),
        json!({"name": "x", "expires_in": 3}),
    )
    .await;
    r.post(
        "/api/users/unknown/tokens",
        json!({"name": "x", "expires_in": 3}),
    )
    .await;
    r.get(&tok_path).await;
    r.get(&format!("{tok_path}/{tok}")).await;
    r.put(&format!("{tok_path}/{tok}"), json!({"name": "x"}))
        .await;
    r.get(&format!("/api/users/{me}/tokens")).await;
    r.call_as(&plain, "GET", "/api/users/current", None).await;
    r.call_as(&plain, "GET", "/api/groups", None).await;
    r.call_as(&plain, "POST", "/api/groups", Some(r#"{"name":"by-bot"}"#))
        .await;
    r.call_as(&plain, "GET", &format!("/api/users/{me}/tokens"), None)
        .await;
    r.call_as(
        "nbp_unknownunknownunknownunknownunknown1",
        "GET",
        "/api/groups",
        None,
    )
    .await;
    r.delete(&format!("{tok_path}/{tok}")).await;
    r.call_as(&plain, "GET", "/api/groups", None).await;

    // Peers (none can be created).
    r.get("/api/peers").await;
    r.get("/api/peers?name=x").await;
    r.get("/api/peers/unknown").await;
    r.put(
        "/api/peers/unknown",
        json!({"name": "p", "ssh_enabled": false, "login_expiration_enabled": false, "inactivity_expiration_enabled": false}),
    )
    .await;
    r.delete("/api/peers/unknown").await;
    r.raw("POST", "/api/peers", "{}").await;

    // Router errors.
    r.get("/api/nothing").await;
    r.raw("PATCH", "/api/groups", "{}").await;
    r.get("/api/events/audit").await;
    r.world().await;

    // MSP tenants.
    r.get("/api/integrations/msp/tenants").await;
    let tenant = r
        .post(
            "/api/integrations/msp/tenants",
            json!({"name": "Acme", "domain": "acme.com", "groups": [{"id": web, "role": "admin"}]}),
        )
        .await;
    let t = id(&tenant);
    r.post(
        "/api/integrations/msp/tenants",
        json!({"name": "Dup", "domain": "acme.com", "groups": []}),
    )
    .await;
    r.post(
        "/api/integrations/msp/tenants",
        json!({"name": "Bad", "domain": "not a domain", "groups": []}),
    )
    .await;
    r.post(
        "/api/integrations/msp/tenants",
        json!({"name": "Bad", "domain": "bad.com", "groups": [{"id": "nope", "role": "admin"}]}),
    )
    .await;
    r.post(
        "/api/integrations/msp/tenants",
        json!({"name": "Bad", "domain": "bad.com", "groups": [{"id": web, "role": "king"}]}),
    )
    .await;
    r.post("/api/integrations/msp/tenants", json!({"name": "Bad"}))
        .await;
    let t2 = r
        .post(
            "/api/integrations/msp/tenants",
            json!({"name": "Beta", "domain": "beta.com", "groups": []}),
        )
        .await;
    let t2 = id(&t2);
    r.get("/api/integrations/msp/tenants").await;
    r.put(
        &format!("/api/integrations/msp/tenants/{t}"),
        json!({"name": "Acme Inc", "groups": [{"id": web, "role": "user"}]}),
    )
    .await;
    r.put(
        "/api/integrations/msp/tenants/unknown",
        json!({"name": "x", "groups": []}),
    )
    .await;
    r.get(&format!("/api/integrations/msp/tenants/{t}")).await;
    // No TXT record yet: 501 with the challenge; published, the domain verifies.
    r.post(&format!("/api/integrations/msp/tenants/{t}/dns"), json!({}))
        .await;
    let challenge = tenant["dns_challenge"].clone();
    r.publish_txt(json!({"name": "acme.com", "value": challenge}))
        .await;
    r.post(&format!("/api/integrations/msp/tenants/{t}/dns"), json!({}))
        .await;
    r.post(
        &format!("/api/integrations/msp/tenants/{t}/invite"),
        json!({}),
    )
    .await;
    r.post(
        &format!("/api/integrations/msp/tenants/{t}/subscription"),
        json!({"priceID": "price_1"}),
    )
    .await;
    r.post(
        &format!("/api/integrations/msp/tenants/{t}/subscription"),
        json!({}),
    )
    .await;
    r.post("/api/integrations/msp/tenants/unknown/dns", json!({}))
        .await;

    // Inside the tenant.
    let q = format!("?account={t}");
    r.get(&format!("/api/accounts{q}")).await;
    r.get(&format!("/api/groups{q}")).await;
    let tg = id(&r
        .post(&format!("/api/groups{q}"), json!({"name": "web"}))
        .await);
    r.post(
        &format!("/api/setup-keys{q}"),
        json!({"name": "k", "type": "reusable", "auto_groups": [tg]}),
    )
    .await;
    r.post(
        &format!("/api/setup-keys{q}"),
        json!({"name": "k", "type": "reusable", "auto_groups": [web]}),
    )
    .await;
    r.get(&format!("/api/policies{q}")).await;
    r.get(&format!("/api/users{q}")).await;
    r.get(&format!("/api/integrations/msp/tenants{q}")).await;
    r.get(&format!("/api/events/audit{q}")).await;
    r.delete(&format!("/api/groups/{web}")).await;

    r.post(
        &format!("/api/integrations/msp/tenants/{t2}/unlink"),
        json!({"owner": "someone"}),
    )
    .await;
    r.post(
        &format!("/api/integrations/msp/tenants/{t2}/unlink"),
        json!({"owner": "someone"}),
    )
    .await;
    r.post(
        &format!("/api/integrations/msp/tenants/{t2}/invite"),
        json!({}),
    )
    .await;
    r.delete(&format!("/api/integrations/msp/tenants/{t}"))
        .await;
    r.delete(&format!("/api/integrations/msp/tenants/{t}"))
        .await;
    r.get("/api/integrations/msp/tenants").await;

    // Deletes of every kind.
    r.delete(&format!("/api/dns/nameservers/{ns}")).await;
    r.delete(&format!("/api/routes/{route}")).await;
    r.delete(&format!("{rt_path}/{router}")).await;
    r.delete(&format!("{res_path}/{res}")).await;
    r.delete(&format!("/api/networks/{net}")).await;
    r.delete(&format!("/api/networks/{net}")).await;
    r.delete(&format!("/api/policies/{pol}")).await;
    r.delete(&format!("/api/posture-checks/{pc}")).await;
    r.delete(&format!("/api/setup-keys/{key}")).await;
    r.delete(&format!("/api/users/{alice}")).await;
    r.delete(&format!("/api/users/{bot}")).await;
    r.delete("/api/users/unknown").await;
    r.get("/api/events/audit").await;
    r.world().await;
}

/// A standalone account: the MSP endpoints answer 403.
async fn standalone_run(r: &mut Rec) {
    r.get("/api/integrations/msp/tenants").await;
    r.post(
        "/api/integrations/msp/tenants",
        json!({"name": "Acme", "domain": "acme.com", "groups": []}),
    )
    .await;
    r.post("/api/integrations/msp/tenants/x/dns", json!({}))
        .await;
    r.get("/api/groups").await;
    r.world().await;
}

/// Ids (20 base32hex characters starting with the time) become `<id:N>` in order of first
/// appearance; timestamps other than Go's zero time become `<ts>`.
fn normalise(text: &str) -> String {
    let is_id =
        |w: &str| w.len() == 20 && w.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'v'));
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let word = &text[start..i];
            if is_id(word) {
                let n = ids.len() + 1;
                let n = *ids.entry(word.to_owned()).or_insert(n);
                write!(out, "<id:{n}>").unwrap();
            } else {
                out.push_str(word);
            }
            continue;
        }
        if b == b'"' && is_ts(&text[i + 1..]) {
            let end = text[i + 1..].find('"').map_or(text.len(), |e| i + 1 + e);
            let ts = &text[i + 1..end];
            if ts.starts_with("0001-") {
                out.push('"');
                out.push_str(ts);
            } else {
                out.push_str("\"<ts>");
            }
            i = end;
            continue;
        }
        out.push(char::from(b));
        i += 1;
    }
    out
}

/// `YYYY-MM-DDTHH:` at the start.
fn is_ts(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 14
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
}

#[tokio::test]
async fn every_kind_answers_as_recorded() {
    let mut r = Rec::start(false).await;
    msp_run(&mut r).await;
    let mut got = normalise(&r.out);
    r.sandbox.shutdown().await;
    let mut s = Rec::start(true).await;
    standalone_run(&mut s).await;
    got.push_str("=== standalone\n\n");
    got.push_str(&normalise(&s.out));
    s.sandbox.shutdown().await;

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recorded.txt");
    if std::env::var_os("RECORD").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).expect("tests/recorded.txt (RECORD=1 writes it)");
    if got != want {
        let (g, w): (Vec<_>, Vec<_>) = (got.lines().collect(), want.lines().collect());
        let at = g
            .iter()
            .zip(&w)
            .position(|(a, b)| a != b)
            .unwrap_or(g.len().min(w.len()));
        panic!(
            "answers differ from tests/recorded.txt at line {}:\n  recorded: {}\n  now:      {}",
            at + 1,
            w.get(at).unwrap_or(&"<end>"),
            g.get(at).unwrap_or(&"<end>")
        );
    }
}
