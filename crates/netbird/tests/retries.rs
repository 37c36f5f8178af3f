//! Retry tests against the in-memory stub in `support/`: 429 handling, 5xx and
//! timeouts, POSTs whose outcome is unknown and their adoption, lost DELETEs.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod support;

use std::time::{Duration, Instant};

use onboard_netbird::{
    ApiError, Client, ClientConfig, ClientEvent, Created, ResourceKind, RetryReason, Scope,
    by_field,
};
use serde_json::json;
use support::{Action, Stub, recorder};

const GROUP: ResourceKind = ResourceKind::Group;

#[tokio::test]
async fn a_429_without_retry_after_waits_and_retries_a_get() {
    let stub = Stub::start().await;
    stub.fault("GET", "/api/groups", Action::Reject(429), 2);
    let mut cfg = stub.config();
    // Refill: one token every 100 ms, longer than the backoff, so the drained bucket holds
    // the retry back however late a loaded machine wakes it.
    cfg.rate.per_minute = 600;
    let (client, events) = recorder(&Client::new(cfg).unwrap());
    let start = Instant::now();
    client.list(GROUP, &Scope::Own, None).await.unwrap();
    // Backoff 5 ms + 10 ms, and the drained bucket refills at 10/s.
    assert!(start.elapsed() >= Duration::from_millis(15));
    assert_eq!(stub.count("GET", "/api/groups"), 3);
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
    let stub = Stub::start().await;
    stub.fault("GET", "/api/groups", Action::Reject(429), 100);
    let err = stub
        .client()
        .list(GROUP, &Scope::Own, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::RateLimited { attempts: 4, .. }),
        "{err}"
    );
    assert_eq!(
        stub.count("GET", "/api/groups"),
        4,
        "bounded: 1 + max_retries"
    );
}

#[tokio::test]
async fn a_post_answered_429_is_retried_and_creates_once() {
    let stub = Stub::start().await;
    stub.fault("POST", "/api/groups", Action::Reject(429), 1);
    let g = stub
        .client()
        .create(GROUP, &Scope::Own, None, &json!({"name": "Servers"}))
        .await
        .unwrap();
    assert_eq!(g["name"], "Servers");
    assert_eq!(stub.count("POST", "/api/groups"), 2);
    assert_eq!(stub.world().groups.len(), 1);
}

#[tokio::test]
async fn a_dropped_post_is_outcome_unknown_and_create_or_adopt_adopts_it() {
    let stub = Stub::start().await;
    let client = stub.client();
    let body = json!({"name": "Servers"});
    stub.fault("POST", "/api/groups", Action::DropAfterHandling, 1);
    let err = client
        .create(GROUP, &Scope::Own, None, &body)
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert_eq!(
        stub.count("POST", "/api/groups"),
        1,
        "never blindly re-POSTed"
    );

    stub.world().groups.clear();
    stub.fault("POST", "/api/groups", Action::DropAfterHandling, 1);
    let name = json!("Servers");
    let created = client
        .create_or_adopt(GROUP, &Scope::Own, None, &body, by_field("name", &name))
        .await
        .unwrap();
    assert!(created.is_adopted());
    assert_eq!(created.value()["name"], "Servers");
    assert_eq!(stub.world().groups.len(), 1, "exactly one object");
    assert_eq!(stub.count("POST", "/api/groups"), 2);
}

#[tokio::test]
async fn a_500_on_post_is_settled_by_lookup() {
    let stub = Stub::start().await;
    let client = stub.client();
    let name = json!("Servers");
    let lookup = by_field("name", &name);
    // The server did the work and then failed: adopt.
    stub.fault("POST", "/api/groups", Action::FailAfterHandling(500), 1);
    let body = json!({"name": "Servers"});
    let c = client
        .create_or_adopt(GROUP, &Scope::Own, None, &body, &lookup)
        .await
        .unwrap();
    assert!(matches!(c, Created::Adopted(_)));
    assert_eq!(stub.world().groups.len(), 1);
    // The server failed before doing anything: not found, so POST again.
    let other = json!("Clients");
    stub.fault("POST", "/api/groups", Action::Reject(500), 1);
    let body = json!({"name": "Clients"});
    let c = client
        .create_or_adopt(GROUP, &Scope::Own, None, &body, by_field("name", &other))
        .await
        .unwrap();
    assert!(matches!(c, Created::New(_)));
    assert_eq!(stub.world().groups.len(), 2);
    assert_eq!(stub.count("POST", "/api/groups"), 3);
    // Every attempt stays unknown: bounded, then the error.
    stub.fault("POST", "/api/groups", Action::Reject(503), 100);
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
    assert_eq!(stub.count("POST", "/api/groups"), 3 + 3, "1 + max_reposts");
}

#[tokio::test]
async fn idempotent_calls_retry_timeouts_and_5xx() {
    let stub = Stub::start().await;
    let mut cfg = stub.config();
    cfg.timeout = Duration::from_millis(150);
    let client = Client::new(cfg).unwrap();
    stub.fault(
        "GET",
        "/api/groups",
        Action::Delay(Duration::from_millis(400)),
        1,
    );
    stub.fault("GET", "/api/groups", Action::Reject(502), 1);
    client.list(GROUP, &Scope::Own, None).await.unwrap();
    assert_eq!(stub.count("GET", "/api/groups"), 3);
    // A POST that times out after sending is not repeated.
    stub.fault(
        "POST",
        "/api/groups",
        Action::Delay(Duration::from_millis(400)),
        1,
    );
    let err = client
        .create(GROUP, &Scope::Own, None, &json!({"name": "Slow"}))
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert_eq!(stub.count("POST", "/api/groups"), 1);
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_counts_as_done() {
    let stub = Stub::start().await;
    let client = stub.client();
    let g = client
        .create(GROUP, &Scope::Own, None, &json!({"name": "Tmp"}))
        .await
        .unwrap();
    let id = g["id"].as_str().unwrap();
    stub.fault("DELETE", "/api/groups/", Action::DropAfterHandling, 1);
    client.delete(GROUP, &Scope::Own, None, id).await.unwrap();
    assert_eq!(stub.count("DELETE", &format!("/api/groups/{id}")), 2);
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
    let stub_cfg = Stub::start().await.config();
    let cfg = ClientConfig {
        base_url: url,
        ..stub_cfg
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
