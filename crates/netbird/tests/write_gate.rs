//! The write gate: asked before every attempt of a write inside another account, a retry
//! too; never asked for reads or for the caller's own account.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use onboard_netbird::{ApiError, Client, GateFuture, GateRefusal, ResourceKind, Scope, WriteGate};
use serde_json::json;
use support::sandbox::{Fault, Server};

/// Lets every write pass on a slot of its own; closes after the first when `close` is set.
#[derive(Default)]
struct Gate {
    asked: AtomicUsize,
    /// The attempt each ask was for.
    attempts: std::sync::Mutex<Vec<u32>>,
    close: bool,
    closed: AtomicBool,
}

impl WriteGate for Gate {
    fn before_write<'a>(&'a self, client: &'a Client, _: &'a str, attempt: u32) -> GateFuture<'a> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        self.attempts.lock().unwrap().push(attempt);
        let refused = self.closed.swap(self.close, Ordering::SeqCst);
        Box::pin(async move {
            if refused {
                return Err(GateRefusal::new("closed"));
            }
            client
                .reserve(1)
                .await
                .take()
                .ok_or_else(|| GateRefusal::new("no slot"))
        })
    }
}

fn tenant() -> Scope {
    Scope::Account("tenant".into())
}

async fn create_after_a_429(gate: Arc<Gate>) -> (Server, Result<serde_json::Value, ApiError>) {
    let server = Server::start().await;
    server.fault("POST", "/api/groups", Fault::Reject(429), 1);
    let client = server.client().with_write_gate(gate);
    let body = json!({"name": "Servers"});
    let created = client
        .create(ResourceKind::Group, &tenant(), None, &body)
        .await;
    (server, created)
}

#[tokio::test]
async fn a_retry_is_sent_while_the_gate_stays_open() {
    let gate = Arc::new(Gate::default());
    let (server, created) = create_after_a_429(gate.clone()).await;
    assert_eq!(created.unwrap()["name"], "Servers");
    assert_eq!(server.count("POST", "/api/groups"), 2);
    assert_eq!(
        gate.asked.load(Ordering::SeqCst),
        2,
        "asked before each attempt"
    );
    // The gate tells a retry from a first attempt (a retry is proven on its own).
    assert_eq!(*gate.attempts.lock().unwrap(), [1, 2]);
}

#[tokio::test]
async fn no_retry_is_sent_once_the_gate_closed() {
    let gate = Arc::new(Gate {
        close: true,
        ..Gate::default()
    });
    let (server, created) = create_after_a_429(gate).await;
    assert!(
        matches!(created, Err(ApiError::Refused { .. })),
        "{created:?}"
    );
    assert_eq!(server.count("POST", "/api/groups"), 1, "the retry was sent");
}

#[tokio::test]
async fn reads_and_the_own_account_are_not_gated() {
    let server = Server::start().await;
    let gate = Arc::new(Gate::default());
    let client = server.client().with_write_gate(gate.clone());
    client
        .list(ResourceKind::Group, &tenant(), None)
        .await
        .unwrap();
    let body = json!({"name": "Servers"});
    client
        .create(ResourceKind::Group, &Scope::Own, None, &body)
        .await
        .unwrap();
    assert_eq!(gate.asked.load(Ordering::SeqCst), 0);
}
