//! The conformance scenario: every endpoint the sandbox serves, called in the MSP account
//! and again in a tenant (`?account=`), each exchange recorded for validation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::Api;

/// One request and its answer.
pub struct Exchange {
    pub method: Method,
    pub template: &'static str,
    pub request: Option<Value>,
    pub status: u16,
    pub response: Value,
}

/// Calls the sandbox and records every exchange.
pub struct Recorder {
    pub api: Api,
    pub exchanges: Vec<Exchange>,
    /// Query appended to every path (`""` or `?account=<tenant>`).
    pub q: String,
}

impl Recorder {
    /// Calls `path` (an instance of `template`) and records the exchange; answers the body.
    async fn call(
        &mut self,
        method: Method,
        template: &'static str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        self.answer(method, template, path, body, None).await
    }

    /// Calls `path` and records the exchange, whose status must be `status` (None: a success).
    async fn answer(
        &mut self,
        method: Method,
        template: &'static str,
        path: &str,
        body: Option<Value>,
        status: Option<u16>,
    ) -> Value {
        let path = format!("{path}{}", self.q);
        let a = self.api.call(method.clone(), &path, body.clone()).await;
        match status {
            Some(s) => assert_eq!(a.code(), s, "{method} {path}: {}", a.body),
            None => assert!(a.code() < 300, "{method} {path}: {} {}", a.code(), a.body),
        }
        self.exchanges.push(Exchange {
            method,
            template,
            request: body,
            status: a.code(),
            response: a.body.clone(),
        });
        a.body
    }

    async fn get(&mut self, template: &'static str, path: &str) -> Value {
        self.call(Method::GET, template, path, None).await
    }

    async fn delete(&mut self, template: &'static str, path: &str) -> Value {
        self.call(Method::DELETE, template, path, None).await
    }

    async fn put(&mut self, template: &'static str, path: &str, body: Value) -> Value {
        self.call(Method::PUT, template, path, Some(body)).await
    }

    /// POSTs and answers the new object's id.
    async fn create(&mut self, template: &'static str, path: &str, body: Value) -> String {
        let answer = self.call(Method::POST, template, path, Some(body)).await;
        answer["id"].as_str().expect("an id").to_owned()
    }
}

/// Calls every endpoint, in the MSP account and in a tenant.
pub async fn scenario(r: &mut Recorder) {
    let admins = r.get("/api/groups", "/api/groups?name=MSP%20Admins").await[0]["id"].clone();
    let tenants = "/api/integrations/msp/tenants";
    let tid = "/api/integrations/msp/tenants/{id}";
    let body =
        json!({"name": "Acme", "domain": "acme.com", "groups": [{"id": admins, "role": "admin"}]});
    let t = r.create(tenants, tenants, body).await;
    let listed = r.get(tenants, tenants).await;
    // The domain's TXT record is not there yet: 501 with `DNSChallengeResponse`; once it is
    // published, the `dns` call below verifies (200).
    let dns = "/api/integrations/msp/tenants/{id}/dns";
    let verify = format!("{tenants}/{t}/dns");
    r.answer(Method::POST, dns, &verify, None, Some(501)).await;
    let challenge = listed[0]["dns_challenge"].as_str().unwrap_or_default();
    r.api.sandbox.publish_txt("acme.com", challenge);
    r.put(
        tid,
        &format!("{tenants}/{t}"),
        json!({"name": "Acme Inc", "groups": []}),
    )
    .await;
    for (template, action) in [
        ("/api/integrations/msp/tenants/{id}/dns", "dns"),
        ("/api/integrations/msp/tenants/{id}/invite", "invite"),
    ] {
        r.call(
            Method::POST,
            template,
            &format!("{tenants}/{t}/{action}"),
            None,
        )
        .await;
    }
    let sub = "/api/integrations/msp/tenants/{id}/subscription";
    r.call(
        Method::POST,
        sub,
        &format!("{tenants}/{t}/subscription"),
        Some(json!({"priceID": "price_1"})),
    )
    .await;
    for q in [String::new(), format!("?account={t}")] {
        r.q = q;
        resources(r).await;
    }
    r.q = String::new();
    let other = r
        .create(
            tenants,
            tenants,
            json!({"name": "Other", "domain": "other.com", "groups": []}),
        )
        .await;
    let unlink = "/api/integrations/msp/tenants/{id}/unlink";
    r.call(
        Method::POST,
        unlink,
        &format!("{tenants}/{other}/unlink"),
        Some(json!({"owner": "google-oauth2|1"})),
    )
    .await;
    r.delete(tid, &format!("{tenants}/{t}")).await;
}

/// Every resource endpoint, in the account `r.q` selects.
async fn resources(r: &mut Recorder) {
    let account = r.get("/api/accounts", "/api/accounts").await[0].clone();
    let aid = account["id"].as_str().expect("account id").to_owned();
    r.put(
        "/api/accounts/{accountId}",
        &format!("/api/accounts/{aid}"),
        json!({"settings": account["settings"]}),
    )
    .await;
    let g = groups_and_keys(r).await;
    let pc = posture_checks(r).await;
    let (n, nr) = networks(r, &g).await;
    policies(r, &g, &pc, &nr).await;
    r.get("/api/networks/{networkId}", &format!("/api/networks/{n}"))
        .await;
    routes_and_dns(r, &g).await;
    users_and_tokens(r, &g).await;
    r.get("/api/peers", "/api/peers").await;
    r.get("/api/events/audit", "/api/events/audit").await;
    r.delete(
        "/api/posture-checks/{postureCheckId}",
        &format!("/api/posture-checks/{pc}"),
    )
    .await;
    r.delete(
        "/api/networks/{networkId}/resources/{resourceId}",
        &format!("/api/networks/{n}/resources/{nr}"),
    )
    .await;
    r.delete("/api/networks/{networkId}", &format!("/api/networks/{n}"))
        .await;
}

async fn groups_and_keys(r: &mut Recorder) -> String {
    let gid = "/api/groups/{groupId}";
    let g = r
        .create(
            "/api/groups",
            "/api/groups",
            json!({"name": "devs", "peers": []}),
        )
        .await;
    r.get("/api/groups", "/api/groups").await;
    r.get(gid, &format!("/api/groups/{g}")).await;
    r.put(
        gid,
        &format!("/api/groups/{g}"),
        json!({"name": "developers"}),
    )
    .await;
    let tmp = r
        .create("/api/groups", "/api/groups", json!({"name": "tmp"}))
        .await;
    r.delete(gid, &format!("/api/groups/{tmp}")).await;
    let key = "/api/setup-keys/{keyId}";
    let body = json!({"name": "boot", "type": "reusable", "expires_in": 86400, "auto_groups": [g], "usage_limit": 0, "ephemeral": false});
    let k = r.create("/api/setup-keys", "/api/setup-keys", body).await;
    r.create(
        "/api/setup-keys",
        "/api/setup-keys",
        json!({"name": "docs example", "type": "reusable"}),
    )
    .await;
    r.get("/api/setup-keys", "/api/setup-keys").await;
    r.get(key, &format!("/api/setup-keys/{k}")).await;
    r.put(
        key,
        &format!("/api/setup-keys/{k}"),
        json!({"revoked": true, "auto_groups": [g]}),
    )
    .await;
    r.delete(key, &format!("/api/setup-keys/{k}")).await;
    g
}

async fn posture_checks(r: &mut Recorder) -> String {
    let checks = json!({
        "nb_version_check": {"min_version": "0.30.0"},
        "geo_location_check": {"locations": [{"country_code": "DE", "city_name": "Berlin"}], "action": "allow"},
        "peer_network_range_check": {"ranges": ["10.0.0.0/8"], "action": "deny"},
        "os_version_check": {"linux": {"min_kernel_version": "5.0"}},
        "process_check": {"processes": [{"linux_path": "/usr/bin/x"}]},
    });
    let all = "/api/posture-checks";
    let one = "/api/posture-checks/{postureCheckId}";
    let pc = r
        .create(
            all,
            all,
            json!({"name": "recent", "description": "d", "checks": checks}),
        )
        .await;
    r.get(all, all).await;
    r.get(one, &format!("{all}/{pc}")).await;
    let body = json!({"name": "recent", "description": "e", "checks": {"nb_version_check": {"min_version": "0.31.0"}}});
    r.put(one, &format!("{all}/{pc}"), body).await;
    pc
}

async fn networks(r: &mut Recorder, g: &str) -> (String, String) {
    let n = r
        .create(
            "/api/networks",
            "/api/networks",
            json!({"name": "office", "description": "hq"}),
        )
        .await;
    r.get("/api/networks", "/api/networks").await;
    r.put(
        "/api/networks/{networkId}",
        &format!("/api/networks/{n}"),
        json!({"name": "office"}),
    )
    .await;
    let (res, rid) = (
        "/api/networks/{networkId}/resources",
        "/api/networks/{networkId}/resources/{resourceId}",
    );
    let body = json!({"name": "db", "address": "10.0.0.0/24", "enabled": true, "groups": [g], "description": "x"});
    let nr = r
        .create(res, &format!("/api/networks/{n}/resources"), body)
        .await;
    r.get(res, &format!("/api/networks/{n}/resources")).await;
    r.get(rid, &format!("/api/networks/{n}/resources/{nr}"))
        .await;
    let body = json!({"name": "db", "address": "db.example.com", "enabled": true, "groups": [g]});
    r.put(rid, &format!("/api/networks/{n}/resources/{nr}"), body)
        .await;
    let (rt, rtid) = (
        "/api/networks/{networkId}/routers",
        "/api/networks/{networkId}/routers/{routerId}",
    );
    let body = json!({"peer_groups": [g], "metric": 100, "masquerade": true, "enabled": true});
    let router = r
        .create(rt, &format!("/api/networks/{n}/routers"), body)
        .await;
    r.get(rt, &format!("/api/networks/{n}/routers")).await;
    r.get(rtid, &format!("/api/networks/{n}/routers/{router}"))
        .await;
    let body = json!({"peer_groups": [g], "metric": 10, "masquerade": false, "enabled": true});
    r.put(rtid, &format!("/api/networks/{n}/routers/{router}"), body)
        .await;
    r.get("/api/networks/routers", "/api/networks/routers")
        .await;
    r.delete(rtid, &format!("/api/networks/{n}/routers/{router}"))
        .await;
    (n, nr)
}

async fn policies(r: &mut Recorder, g: &str, pc: &str, nr: &str) {
    let rule = json!({"name": "r", "enabled": true, "action": "accept", "bidirectional": false, "protocol": "tcp",
        "port_ranges": [{"start": 80, "end": 443}], "sources": [g], "destinationResource": {"id": nr, "type": "domain"}});
    let body =
        json!({"name": "db", "enabled": true, "source_posture_checks": [pc], "rules": [rule]});
    let pol = r.create("/api/policies", "/api/policies", body).await;
    let one = "/api/policies/{policyId}";
    r.get("/api/policies", "/api/policies").await;
    r.get(one, &format!("/api/policies/{pol}")).await;
    let rule = json!({"name": "r", "enabled": true, "action": "drop", "bidirectional": true, "protocol": "udp",
        "ports": ["53"], "sources": [g], "destinations": [g]});
    let body = json!({"name": "dns", "description": "d", "enabled": false, "rules": [rule]});
    r.put(one, &format!("/api/policies/{pol}"), body).await;
    r.delete(one, &format!("/api/policies/{pol}")).await;
}

async fn routes_and_dns(r: &mut Recorder, g: &str) {
    let route = json!({"description": "lan", "network_id": "lan", "enabled": true, "peer_groups": [g],
        "network": "192.168.0.0/16", "metric": 9999, "masquerade": true, "groups": [g], "keep_route": false});
    let ro = r.create("/api/routes", "/api/routes", route).await;
    let one = "/api/routes/{routeId}";
    r.get("/api/routes", "/api/routes").await;
    r.get(one, &format!("/api/routes/{ro}")).await;
    let body = json!({"description": "lan", "network_id": "lan", "enabled": true, "peer_groups": [g],
        "domains": ["example.com"], "metric": 1, "masquerade": true, "groups": [g], "keep_route": true,
        "access_control_groups": [g], "skip_auto_apply": false});
    r.put(one, &format!("/api/routes/{ro}"), body).await;
    r.delete(one, &format!("/api/routes/{ro}")).await;
    let ns = json!({"name": "corp", "description": "d", "nameservers": [{"ip": "10.0.0.53", "ns_type": "udp", "port": 53}],
        "enabled": true, "groups": [g], "primary": false, "domains": ["corp.example.com"], "search_domains_enabled": true});
    let (all, one) = ("/api/dns/nameservers", "/api/dns/nameservers/{nsgroupId}");
    let nsg = r.create(all, all, ns.clone()).await;
    r.get(all, all).await;
    r.get(one, &format!("{all}/{nsg}")).await;
    r.put(one, &format!("{all}/{nsg}"), ns).await;
    r.delete(one, &format!("{all}/{nsg}")).await;
    r.get("/api/dns/settings", "/api/dns/settings").await;
    r.put(
        "/api/dns/settings",
        "/api/dns/settings",
        json!({"disabled_management_groups": [g]}),
    )
    .await;
    r.put(
        "/api/dns/settings",
        "/api/dns/settings",
        json!({"disabled_management_groups": []}),
    )
    .await;
    dns_zones(r, g).await;
    identity_providers(r).await;
    edr(r, g).await;
    idp_sync(r).await;
    event_streaming(r).await;
}

/// Event streaming: a Datadog and a generic HTTP integration, created, listed, read, updated
/// and deleted on their numeric ids.
async fn event_streaming(r: &mut Recorder) {
    let (all, one) = ("/api/event-streaming", "/api/event-streaming/{id}");
    let bodies = [
        json!({"platform": "datadog", "enabled": true,
            "config": {"api_key": "k", "api_url": "https://http-intake.logs.datadoghq.eu/api/v2/logs"}}),
        json!({"platform": "generic_http", "enabled": true,
            "config": {"url": "https://siem.example/ingest", "headers": "{}"}}),
    ];
    for body in bodies {
        let made = r.call(Method::POST, all, all, Some(body.clone())).await;
        let item = format!("{all}/{}", made["id"]);
        r.get(all, all).await;
        r.get(one, &item).await;
        let mut changed = body;
        changed["enabled"] = json!(false);
        r.put(one, &item, changed).await;
        r.delete(one, &item).await;
    }
}

/// Every identity-provider sync integration: created, listed, read, updated and deleted on
/// its numeric id.
async fn idp_sync(r: &mut Recorder) {
    let kinds: [(&'static str, &'static str, Value, Value); 4] = [
        (
            "/api/integrations/google-idp",
            "/api/integrations/google-idp/{id}",
            json!({"service_account_key": "a2V5", "customer_id": "C0123",
                "group_prefixes": ["Eng"], "user_group_prefixes": []}),
            json!({"enabled": false, "sync_interval": 600, "service_account_key": "cm90"}),
        ),
        (
            "/api/integrations/azure-idp",
            "/api/integrations/azure-idp/{id}",
            json!({"client_secret": "c2Vj", "client_id": "app", "tenant_id": "azure",
                "host": "microsoft.com", "sync_interval": 300}),
            json!({"client_secret": "cm90", "user_group_prefixes": ["Users"]}),
        ),
        (
            "/api/integrations/okta-scim-idp",
            "/api/integrations/okta-scim-idp/{id}",
            json!({"connection_name": "acme-okta", "group_prefixes": ["Eng"]}),
            json!({"enabled": false, "user_group_prefixes": ["Users"]}),
        ),
        (
            "/api/integrations/scim-idp",
            "/api/integrations/scim-idp/{id}",
            json!({"prefix": "acme", "provider": "jumpcloud"}),
            json!({"prefix": "acme2", "enabled": true}),
        ),
    ];
    for (all, one, create, update) in kinds {
        let made = r.call(Method::POST, all, all, Some(create)).await;
        let item = format!("{all}/{}", made["id"]);
        r.get(all, all).await;
        r.get(one, &item).await;
        r.put(one, &item, update).await;
        r.delete(one, &item).await;
    }
}

/// Every EDR integration: created, read, replaced and deleted on its one path.
async fn edr(r: &mut Recorder, g: &str) {
    let bodies: [(&'static str, Value); 5] = [
        (
            "/api/integrations/edr/intune",
            json!({"client_id": "app", "tenant_id": "azure", "secret": "s",
                "groups": [g], "last_synced_interval": 24, "enabled": true}),
        ),
        (
            "/api/integrations/edr/sentinelone",
            json!({"api_token": "t", "api_url": "https://s1.example", "groups": [g],
                "last_synced_interval": 48, "match_attributes": {"active_threats": 0,
                "network_status": "connected", "is_up_to_date": true}}),
        ),
        (
            "/api/integrations/edr/falcon",
            json!({"client_id": "c", "secret": "s", "cloud_id": "eu-1", "groups": [g],
                "zta_score_threshold": 75}),
        ),
        (
            "/api/integrations/edr/huntress",
            json!({"api_key": "k", "api_secret": "s", "groups": [g],
                "last_synced_interval": 24, "match_attributes": {"firewall_status": "Enabled"}}),
        ),
        (
            "/api/integrations/edr/fleetdm",
            json!({"api_url": "https://fleet.example", "api_token": "t", "groups": [g],
                "last_synced_interval": 24, "match_attributes": {"status_online": true,
                "required_policies": [1, 5]}}),
        ),
    ];
    for (path, mut body) in bodies {
        r.call(Method::POST, path, path, Some(body.clone())).await;
        r.get(path, path).await;
        body["enabled"] = json!(false);
        r.put(path, path, body).await;
        r.delete(path, path).await;
    }
}

async fn identity_providers(r: &mut Recorder) {
    let (all, one) = ("/api/identity-providers", "/api/identity-providers/{idpId}");
    let body = json!({"type": "oidc", "name": "Acme SSO", "issuer": "https://login.acme.example",
        "client_id": "onboard", "client_secret": "s3cret"});
    let idp = r.create(all, all, body).await;
    r.get(all, all).await;
    r.get(one, &format!("{all}/{idp}")).await;
    // The same type (NetBird's connector refuses another: a 500), everything else new.
    let body = json!({"type": "oidc", "name": "Acme SSO (new)", "issuer": "https://sso.acme.example",
        "client_id": "onboard-2", "client_secret": "rotated"});
    r.put(one, &format!("{all}/{idp}"), body).await;
    r.delete(one, &format!("{all}/{idp}")).await;
}

async fn dns_zones(r: &mut Recorder, g: &str) {
    let (all, one) = ("/api/dns/zones", "/api/dns/zones/{zoneId}");
    let zone = json!({"name": "internal", "domain": "internal.example.com", "enabled": true,
        "enable_search_domain": false, "distribution_groups": [g]});
    let z = r.create(all, all, zone).await;
    let records = "/api/dns/zones/{zoneId}/records";
    let record = "/api/dns/zones/{zoneId}/records/{recordId}";
    let (rs, body) = (
        format!("{all}/{z}/records"),
        json!({"name": "db.internal.example.com", "type": "A", "content": "10.0.0.5", "ttl": 300}),
    );
    let rec = r.create(records, &rs, body).await;
    let body = json!({"name": "www.internal.example.com", "type": "CNAME",
        "content": "db.internal.example.com", "ttl": 60});
    r.create(records, &rs, body).await;
    r.get(records, &rs).await;
    r.get(record, &format!("{rs}/{rec}")).await;
    let body =
        json!({"name": "db.internal.example.com", "type": "AAAA", "content": "fd00::5", "ttl": 0});
    r.put(record, &format!("{rs}/{rec}"), body).await;
    r.get(all, all).await;
    r.get(one, &format!("{all}/{z}")).await;
    let zone = json!({"name": "internal 2", "domain": "internal.example.com",
        "enable_search_domain": true, "distribution_groups": [g]});
    r.put(one, &format!("{all}/{z}"), zone).await;
    r.delete(record, &format!("{rs}/{rec}")).await;
    r.delete(one, &format!("{all}/{z}")).await;
}

async fn users_and_tokens(r: &mut Recorder, g: &str) {
    let body = json!({"email": "a@acme.com", "name": "A", "role": "user", "auto_groups": [g], "is_service_user": false});
    let u = r.create("/api/users", "/api/users", body).await;
    let body = json!({"name": "ci", "role": "admin", "auto_groups": [], "is_service_user": true});
    let svc = r.create("/api/users", "/api/users", body).await;
    r.get("/api/users", "/api/users").await;
    r.get("/api/users/current", "/api/users/current").await;
    let one = "/api/users/{userId}";
    r.put(
        one,
        &format!("/api/users/{u}"),
        json!({"role": "admin", "auto_groups": [], "is_blocked": true}),
    )
    .await;
    r.call(
        Method::POST,
        "/api/users/{userId}/invite",
        &format!("/api/users/{u}/invite"),
        None,
    )
    .await;
    let (all, tok) = (
        "/api/users/{userId}/tokens",
        "/api/users/{userId}/tokens/{tokenId}",
    );
    let minted = r
        .call(
            Method::POST,
            all,
            &format!("/api/users/{svc}/tokens"),
            Some(json!({"name": "ci", "expires_in": 30})),
        )
        .await;
    let tid = minted["personal_access_token"]["id"]
        .as_str()
        .expect("token id")
        .to_owned();
    r.get(all, &format!("/api/users/{svc}/tokens")).await;
    r.get(tok, &format!("/api/users/{svc}/tokens/{tid}")).await;
    r.delete(tok, &format!("/api/users/{svc}/tokens/{tid}"))
        .await;
    r.delete(one, &format!("/api/users/{u}")).await;
    user_invites(r, g).await;
    notification_channels(r).await;
}

async fn notification_channels(r: &mut Recorder) {
    let types = "/api/integrations/notifications/types";
    r.get(types, types).await;
    let (all, one) = (
        "/api/integrations/notifications/channels",
        "/api/integrations/notifications/channels/{channelId}",
    );
    let body = json!({"type": "email", "target": {"emails": ["ops@acme.com"]},
        "event_types": ["user.join", "peer.login.expire"], "enabled": true});
    let mail = r.create(all, all, body).await;
    let body = json!({"type": "webhook", "target": {"url": "https://hooks.acme.com/nb",
        "headers": {"Authorization": "Bearer s3cret"}}, "event_types": ["user.join"],
        "enabled": true});
    let hook = r.create(all, all, body).await;
    r.get(all, all).await;
    r.get(one, &format!("{all}/{hook}")).await;
    let body = json!({"type": "email", "target": {"emails": ["ops@acme.com", "it@acme.com"]},
        "event_types": [], "enabled": false});
    r.put(one, &format!("{all}/{mail}"), body).await;
    r.delete(one, &format!("{all}/{mail}")).await;
    r.delete(one, &format!("{all}/{hook}")).await;
}

async fn user_invites(r: &mut Recorder, g: &str) {
    let (all, one) = ("/api/users/invites", "/api/users/invites/{inviteId}");
    let body = json!({"email": "b@acme.com", "name": "B", "role": "user", "auto_groups": [g],
        "expires_in": 7200});
    let i = r.create(all, all, body).await;
    r.get(all, all).await;
    r.call(
        Method::POST,
        "/api/users/invites/{inviteId}/regenerate",
        &format!("{all}/{i}/regenerate"),
        Some(json!({"expires_in": 3600})),
    )
    .await;
    r.delete(one, &format!("{all}/{i}")).await;
}
