//! Client tests against the sandbox (`support/sandbox.rs`), read back from its request log
//! (headers, query, bodies, request ids): headers, `account` scoping, errors, typed calls
//! (tokens, singletons, tenants), events, the in-flight cap and the shared rate limiter;
//! configuration without a server.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod support;

use std::time::{Duration, Instant};

use onboard_netbird::{
    ApiError, Client, ClientConfig, ClientEvent, ConfigError, CreateTenantRequest, DnsVerification,
    Method, ResourceKind, Scope, TenantGroup, Token,
};
use serde_json::{Value, json};
use support::PAT;
use support::recorder;
use support::sandbox::{Fault, Server};

const GROUP: ResourceKind = ResourceKind::Group;

/// A tenant of the sandbox's MSP account, made through the client; answers its id.
async fn tenant(server: &Server, domain: &str) -> String {
    let req = CreateTenantRequest {
        name: domain.into(),
        domain: domain.into(),
        groups: vec![],
    };
    let t = server.client().create_tenant_or_adopt(&req).await.unwrap();
    t.into_inner().id
}

#[tokio::test]
async fn sends_auth_user_agent_and_accept_headers() {
    let server = Server::start().await;
    server
        .client()
        .list(GROUP, &Scope::Own, None)
        .await
        .unwrap();
    let seen = &server.sandbox.log()[0];
    // The sandbox keeps only the scheme; that the credential was the PAT shows in the
    // request being authenticated as the token's user.
    assert_eq!(seen.auth_scheme.as_deref(), Some("Token"));
    assert_eq!(seen.status, 200);
    assert!(seen.user_id.is_some());
    let ua = seen.user_agent.as_deref().unwrap();
    assert_eq!(ua, format!("onboard/{}", env!("CARGO_PKG_VERSION")));
    assert!(ua.strip_prefix("onboard/").unwrap().split('.').count() == 3);
    assert_eq!(seen.accept.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn account_parameter_on_every_call_for_a_tenant_and_never_for_own() {
    let server = Server::start().await;
    let t = tenant(&server, "acme.example").await;
    let client = server.client();
    for scope in [Scope::Account(t.clone()), Scope::Own] {
        let from = server.sandbox.log().len();
        let g = client
            .create(GROUP, &scope, None, &json!({"name": format!("G {scope}")}))
            .await
            .unwrap();
        let id = g["id"].as_str().unwrap();
        client.list(GROUP, &scope, None).await.unwrap();
        client.get(GROUP, &scope, None, id).await.unwrap();
        client
            .update(GROUP, &scope, None, id, &json!({"name": "renamed"}))
            .await
            .unwrap();
        client
            .find_group_by_name(&scope, "renamed")
            .await
            .unwrap()
            .unwrap();
        client
            .get_singleton(ResourceKind::AccountSettings, &scope)
            .await
            .unwrap();
        client.delete(GROUP, &scope, None, id).await.unwrap();
        let effective = client.effective_account(&scope).await.unwrap();
        let own = server.sandbox.msp_account_id();
        let want = scope.account().unwrap_or(&own);
        assert_eq!(effective, want);
        let seen: Vec<_> = server.sandbox.log().split_off(from);
        assert_eq!(seen.len(), 8);
        for s in &seen {
            assert_eq!(
                s.account.as_deref(),
                scope.account(),
                "{} {}",
                s.method,
                s.path
            );
            assert_eq!(s.effective_account.as_deref(), Some(want));
        }
        let by_name = &seen[4];
        assert!(by_name.query.as_deref().unwrap().contains("name=renamed"));
    }
}

#[tokio::test]
async fn errors_show_status_message_and_request_id_never_the_token() {
    let server = Server::start().await;
    let client = server.client();
    let body = json!({"name": "Servers"});
    client
        .create(GROUP, &Scope::Own, None, &body)
        .await
        .unwrap();
    let err = client
        .create(GROUP, &Scope::Own, None, &body)
        .await
        .unwrap_err();
    let seq = server.sandbox.log().last().unwrap().seq.to_string();
    // The server's message as answered (the sandbox lower-cases its messages).
    let want = "POST /api/groups: 409 group with name servers already exists";
    assert_eq!(err.to_string(), format!("{want} (request id {seq})"));
    assert!(err.is_already_exists());
    assert_eq!(err.request_id(), Some(seq.as_str()));
    let ApiError::Status { code, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*code, Some(409));
    for text in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!text.contains(PAT), "{text}");
    }
    let missing = client
        .get(GROUP, &Scope::Own, None, "nope")
        .await
        .unwrap_err();
    assert!(missing.is_not_found());
}

#[tokio::test]
async fn plain_http_is_refused_unless_loopback() {
    let cfg = |url: &str| ClientConfig::new(url, Token::new(PAT));
    let err = Client::new(cfg("http://api.netbird.example")).unwrap_err();
    assert!(matches!(err, ConfigError::InsecureUrl { .. }), "{err}");
    assert!(!format!("{err} {err:?}").contains(PAT));
    assert!(Client::new(cfg("http://127.0.0.1:1")).is_ok());
    assert!(Client::new(cfg("http://localhost:1")).is_ok());
    assert!(Client::new(cfg("http://[::1]:1")).is_ok());
    assert!(Client::new(cfg("https://api.netbird.io")).is_ok());
    let err = Client::new(ClientConfig::new("https://x", Token::new(" \n"))).unwrap_err();
    assert_eq!(err, ConfigError::EmptyToken);
}

#[tokio::test]
async fn concurrency_cap_is_respected_across_clones() {
    let server = Server::start_slow(40).await;
    let mut cfg = server.config();
    cfg.concurrency = 2;
    let client = Client::new(cfg).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.raw(Method::Get, "/api/groups", &Scope::Own, None).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(server.world().max_inflight, 2);
}

#[tokio::test]
async fn clones_share_one_rate_limiter() {
    let server = Server::start().await;
    let mut cfg = server.config();
    cfg.rate.burst = 2;
    cfg.rate.per_minute = 1200; // one token every 50 ms
    let a = Client::new(cfg).unwrap();
    let (b, events) = recorder(&a);
    a.list(GROUP, &Scope::Own, None).await.unwrap();
    a.list(GROUP, &Scope::Own, None).await.unwrap();
    assert!(b.rate_tokens_available() < 1.0);
    let start = Instant::now();
    b.list(GROUP, &Scope::Own, None).await.unwrap();
    assert!(start.elapsed() >= Duration::from_millis(30));
    let limited = events
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, ClientEvent::RateLimited { .. }));
    assert!(limited);
}

#[tokio::test]
async fn tokens_singletons_users_and_tenants() {
    let server = Server::start().await;
    let client = server.client();
    let me = client.current_user(&Scope::Own).await.unwrap();
    assert_eq!(me.email, "owner@msp.example.com");
    let body = json!({"user_id": me.id, "name": "ci", "expires_in": 30});
    let tok = client
        .create(ResourceKind::Token, &Scope::Own, Some(&me.id), &body)
        .await
        .unwrap();
    assert_eq!(tok["name"], "ci");
    assert!(tok["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(tok["plain_token"].as_str().unwrap().starts_with("nbp_"));
    let post = server.sandbox.log().pop().unwrap();
    assert_eq!(post.path, format!("/api/users/{}/tokens", me.id));
    assert_eq!(
        post.body,
        Some(json!({"name": "ci", "expires_in": 30})),
        "parent taken out"
    );

    let t = tenant(&server, "t9.example").await;
    let scope = Scope::Account(t.clone());
    let settings = client
        .get_singleton(ResourceKind::AccountSettings, &scope)
        .await
        .unwrap();
    // Fields the client does not model come back whole.
    assert!(settings["extra"].is_object(), "{settings}");
    let put = client
        .put_singleton(ResourceKind::AccountSettings, &scope, &settings)
        .await
        .unwrap();
    assert_eq!(put, settings);
    let last = server.sandbox.log().pop().unwrap();
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("PUT", &*format!("/api/accounts/{t}"))
    );
    assert_eq!(last.body, Some(json!({"settings": settings})));

    let ops = client
        .create(GROUP, &Scope::Own, None, &json!({"name": "ops"}))
        .await
        .unwrap();
    let req = CreateTenantRequest {
        name: "Acme".into(),
        domain: "acme.example".into(),
        groups: vec![TenantGroup {
            id: ops["id"].as_str().unwrap().into(),
            role: "admin".into(),
        }],
    };
    server.fault("POST", "/api/integrations/msp/tenants", Fault::Drop, 1);
    let created = client.create_tenant_or_adopt(&req).await.unwrap();
    assert!(created.is_adopted());
    let created = created.into_inner();
    let listed = client.list_tenants().await.unwrap();
    assert!(listed.contains(&created), "{listed:?}");
    let tenant_calls = server.sandbox.log().into_iter();
    let tenant_calls = tenant_calls.filter(|s| s.path.contains("/msp/"));
    assert!(
        tenant_calls.into_iter().all(|s| s.query.is_none()),
        "tenants: no account param"
    );
}

#[tokio::test]
async fn events_carry_no_bodies_or_secrets() {
    let server = Server::start().await;
    let t = tenant(&server, "t1.example").await;
    let mut cfg = server.config();
    // A token every 100 ms: after the 429 drains the bucket, the retry (5 ms later) must wait
    // for one however late a loaded machine wakes it.
    cfg.rate.per_minute = 600;
    let (client, events) = recorder(&Client::new(cfg).unwrap());
    server.fault("POST", "/api/groups", Fault::Reject(429), 1);
    let from = server.sandbox.log().len();
    let secret_name = "secret-group-name";
    client
        .create(
            GROUP,
            &Scope::Account(t.clone()),
            None,
            &json!({"name": secret_name}),
        )
        .await
        .unwrap();
    let events = events.lock().unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            ClientEvent::RequestSent { .. } => "sent",
            ClientEvent::Response { .. } => "response",
            ClientEvent::Retry { .. } => "retry",
            ClientEvent::RateLimited { .. } => "limited",
            ClientEvent::TransportError { .. } => "transport",
        })
        .collect();
    assert_eq!(
        kinds,
        ["sent", "response", "retry", "limited", "sent", "response"]
    );
    let json: Vec<Value> = events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let text = serde_json::to_string(&json).unwrap();
    assert!(!text.contains(PAT) && !text.contains(secret_name), "{text}");
    assert_eq!(json[0]["account"], json!(t));
    let rejected = &server.sandbox.log()[from];
    assert_eq!(rejected.status, 429);
    assert_eq!(json[1]["request_id"], rejected.seq.to_string());
    assert_eq!(json[1]["status"], 429);
}

#[tokio::test]
async fn tenant_dns_verification_reads_the_501_challenge_and_then_verifies() {
    let server = Server::start().await;
    let t = tenant(&server, "dns.example").await;
    let client = server.client();
    let challenge = client.list_tenants().await.unwrap()[0]
        .dns_challenge
        .clone();
    assert!(!challenge.is_empty());
    let path = format!("/api/integrations/msp/tenants/{t}/dns");
    let failed = client.verify_tenant_dns(&t).await.unwrap();
    assert_eq!(
        failed,
        DnsVerification::Failed {
            dns_challenge: challenge.clone()
        }
    );
    // A 501 is a definite answer: sent once, never retried; no body, no `account`.
    let sent: Vec<_> = server
        .sandbox
        .log()
        .into_iter()
        .filter(|e| e.path == path)
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].method.as_str(), sent[0].status), ("POST", 501));
    assert_eq!(sent[0].query, None);
    assert_eq!(sent[0].body, None);
    server.sandbox.publish_txt("dns.example", &challenge);
    let verified = client.verify_tenant_dns(&t).await.unwrap();
    assert_eq!(verified, DnsVerification::Verified);
    let unknown = client.verify_tenant_dns("nope").await.unwrap_err();
    assert!(unknown.is_not_found(), "{unknown}");
}
