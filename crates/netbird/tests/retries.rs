//! Retry tests against the sandbox (`support/sandbox.rs`, faults scripted per request): 429 handling, 5xx and
//! timeouts, POSTs whose outcome is unknown and their adoption, lost DELETEs.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod support;

use std::time::{Duration, Instant};

use onboard_netbird::{
    ApiError, Client, ClientConfig, ClientEvent, Created, ResourceKind, RetryReason, Scope,
    by_field,
};
use serde_json::json;
use support::recorder;
use support::sandbox::{Fault, Server};

const GROUP: ResourceKind = ResourceKind::Group;

#[tokio::test]
async fn a_429_without_retry_after_waits_and_retries_a_get() {
    let server = Server::start().await;
    server.fault("GET", "/api/groups", Fault::Reject(429), 2);
    let mut cfg = server.config();
    // Refill: one token every 100 ms, so that the drained bucket holds the retry back however
    // late a loaded machine wakes it after its 5 ms backoff.
    cfg.rate.per_minute = 600;
    let (client, events) = recorder(&Client::new(cfg).unwrap());
    let start = Instant::now();
    client.list(GROUP, &Scope::Own, None).await.unwrap();
    // Backoff 5 ms + 10 ms, and the drained bucket refills at 10/s.
    assert!(start.elapsed() >= Duration::from_millis(15));
    assert_eq!(server.count("GET", "/api/groups"), 3);
    let events = events.lock().unwrap();
    let retries: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Retry {
                reason, attempt, ..
            } => Some((*reason, *attempt)),
            _ => None,
        })
        .collect();
    assert_eq!(
        retries,
        [(RetryReason::RateLimited, 1), (RetryReason::RateLimited, 2)]
    );
    let held_back = events
        .iter()
        .filter(|e| matches!(e, ClientEvent::RateLimited { .. }))
        .count();
    assert!(held_back >= 1, "the drained bucket held the retry back");
    assert!(
        client.rate_tokens_available() < 10.0,
        "the shared bucket was drained"
    );
}

#[tokio::test]
async fn rate_limited_error_after_exhausting_retries() {
    let server = Server::start().await;
    server.fault("GET", "/api/groups", Fault::Reject(429), 100);
    let err = server
        .client()
        .list(GROUP, &Scope::Own, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::RateLimited { attempts: 4, .. }),
        "{err}"
    );
    assert_eq!(
        server.count("GET", "/api/groups"),
        4,
        "bounded: 1 + max_retries"
    );
}

#[tokio::test]
async fn a_post_answered_429_is_retried_and_creates_once() {
    let server = Server::start().await;
    server.fault("POST", "/api/groups", Fault::Reject(429), 1);
    let g = server
        .client()
        .create(GROUP, &Scope::Own, None, &json!({"name": "Servers"}))
        .await
        .unwrap();
    assert_eq!(g["name"], "Servers");
    assert_eq!(server.count("POST", "/api/groups"), 2);
    assert_eq!(server.world().groups.len(), 1);
}

#[tokio::test]
async fn a_dropped_post_is_outcome_unknown_and_create_or_adopt_adopts_it() {
    let server = Server::start().await;
    let client = server.client();
    let body = json!({"name": "Servers"});
    server.fault("POST", "/api/groups", Fault::Drop, 1);
    let err = client
        .create(GROUP, &Scope::Own, None, &body)
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert_eq!(
        server.count("POST", "/api/groups"),
        1,
        "never blindly re-POSTed"
    );

    server.clear_groups().await;
    server.fault("POST", "/api/groups", Fault::Drop, 1);
    let name = json!("Servers");
    let created = client
        .create_or_adopt(GROUP, &Scope::Own, None, &body, by_field("name", &name))
        .await
        .unwrap();
    assert!(created.is_adopted());
    assert_eq!(created.value()["name"], "Servers");
    assert_eq!(server.world().groups.len(), 1, "exactly one object");
    assert_eq!(server.count("POST", "/api/groups"), 2);
}

#[tokio::test]
async fn a_500_on_post_is_settled_by_lookup() {
    let server = Server::start().await;
    let client = server.client();
    let name = json!("Servers");
    let lookup = by_field("name", &name);
    // The server did the work and then failed: adopt.
    server.fault("POST", "/api/groups", Fault::FailAfter(500), 1);
    let body = json!({"name": "Servers"});
    let c = client
        .create_or_adopt(GROUP, &Scope::Own, None, &body, &lookup)
        .await
        .unwrap();
    assert!(matches!(c, Created::Adopted(_)));
    assert_eq!(server.world().groups.len(), 1);
    // The server failed before doing anything: not found, so POST again.
    let other = json!("Clients");
    server.fault("POST", "/api/groups", Fault::Reject(500), 1);
    let body = json!({"name": "Clients"});
    let c = client
        .create_or_adopt(GROUP, &Scope::Own, None, &body, by_field("name", &other))
        .await
        .unwrap();
    assert!(matches!(c, Created::New(_)));
    assert_eq!(server.world().groups.len(), 2);
    assert_eq!(server.count("POST", "/api/groups"), 3);
    // Every attempt stays unknown: bounded, then the error.
    server.fault("POST", "/api/groups", Fault::Reject(503), 100);
    let body = json!({"name": "Never"});
    let err = client
        .create_or_adopt(
            GROUP,
            &Scope::Own,
            None,
            &body,
            by_field("name", &json!("Never")),
        )
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown());
    assert_eq!(
        server.count("POST", "/api/groups"),
        3 + 3,
        "1 + max_reposts"
    );
}

#[tokio::test]
async fn idempotent_calls_retry_timeouts_and_5xx() {
    let server = Server::start().await;
    let mut cfg = server.config();
    cfg.timeout = Duration::from_millis(150);
    let client = Client::new(cfg).unwrap();
    server.fault(
        "GET",
        "/api/groups",
        Fault::Delay(Duration::from_millis(400)),
        1,
    );
    server.fault("GET", "/api/groups", Fault::Reject(502), 1);
    client.list(GROUP, &Scope::Own, None).await.unwrap();
    assert_eq!(server.count("GET", "/api/groups"), 3);
    // A POST that times out after sending is not repeated.
    server.fault(
        "POST",
        "/api/groups",
        Fault::Delay(Duration::from_millis(400)),
        1,
    );
    let err = client
        .create(GROUP, &Scope::Own, None, &json!({"name": "Slow"}))
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert_eq!(server.count("POST", "/api/groups"), 1);
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_counts_as_done() {
    let server = Server::start().await;
    let client = server.client();
    let g = client
        .create(GROUP, &Scope::Own, None, &json!({"name": "Tmp"}))
        .await
        .unwrap();
    let id = g["id"].as_str().unwrap();
    server.fault("DELETE", "/api/groups/", Fault::Drop, 1);
    client.delete(GROUP, &Scope::Own, None, id).await.unwrap();
    assert_eq!(server.count("DELETE", &format!("/api/groups/{id}")), 2);
    let err = client
        .delete(GROUP, &Scope::Own, None, id)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "a plain 404 is still an error");
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let server_cfg = Server::start().await.config();
    let cfg = ClientConfig {
        base_url: url,
        ..server_cfg
    };
    let err = Client::new(cfg)
        .unwrap()
        .create(GROUP, &Scope::Own, None, &json!({"name": "x"}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Transport { attempts: 4, .. }),
        "{err}"
    );
}

/// A singleton an account may have none of (an EDR integration): absent reads as `None`; a
/// POST whose outcome is unknown is settled by reading its path, never by a blind repost.
#[tokio::test]
async fn an_absent_singleton_reads_as_none_and_an_unknown_post_is_settled_by_a_get() {
    const FALCON: ResourceKind = ResourceKind::EdrFalcon;
    const PATH: &str = "/api/integrations/edr/falcon";
    let server = Server::start().await;
    let client = server.client();
    assert_eq!(
        client.find_singleton(FALCON, &Scope::Own).await.unwrap(),
        None
    );
    let body = json!({"client_id": "c", "secret": "s", "cloud_id": "eu-1", "groups": [],
        "zta_score_threshold": 75});

    // The server did the work and then failed: the GET finds it, it is adopted.
    server.fault("POST", PATH, Fault::FailAfter(500), 1);
    let created = client
        .create_singleton(FALCON, &Scope::Own, &body)
        .await
        .unwrap();
    assert!(created.is_adopted());
    assert_eq!(created.value()["cloud_id"], "eu-1");
    assert_eq!(server.count("POST", PATH), 1, "never blindly re-POSTed");
    let live = client.find_singleton(FALCON, &Scope::Own).await.unwrap();
    assert_eq!(live.as_ref(), Some(created.value()));

    // Deleted on its path; then absent again. The server failed before doing anything: the
    // GET answers 404, so the POST is sent again.
    client.delete_singleton(FALCON, &Scope::Own).await.unwrap();
    assert_eq!(
        client.find_singleton(FALCON, &Scope::Own).await.unwrap(),
        None
    );
    server.fault("POST", PATH, Fault::Reject(500), 1);
    let created = client
        .create_singleton(FALCON, &Scope::Own, &body)
        .await
        .unwrap();
    assert!(!created.is_adopted());
    assert_eq!(server.count("POST", PATH), 3);

    // Kinds that always exist are not asked this way.
    let err = client
        .create_singleton(ResourceKind::DnsSettings, &Scope::Own, &body)
        .await
        .unwrap_err();
    assert!(!err.is_not_found(), "{err}");
}
