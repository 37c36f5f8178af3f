//! Test support: `sandbox` runs the client against onboard-sandbox (the faithful local
//! NetBird API), with faults scripted per request and every request read back from its log;
//! clients get the configuration below.

#![allow(dead_code, clippy::unwrap_used)]

pub mod sandbox;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use onboard_netbird::{Client, ClientConfig, ClientEvent, RateLimit, RetryPolicy, Token};

pub const PAT: &str = "nbp_TESTSECRET0123456789";

/// A client configuration for a local server: a generous rate, short retries.
pub fn config(url: String) -> ClientConfig {
    let mut cfg = ClientConfig::new(url, Token::new(PAT));
    cfg.rate = RateLimit {
        per_minute: 60_000,
        burst: 1_000,
    };
    cfg.timeout = Duration::from_secs(5);
    cfg.retry = RetryPolicy {
        max_retries: 3,
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        jitter: 0.0,
        max_reposts: 2,
        deadline: None,
    };
    cfg
}

/// A clone of `client` that records every event.
pub fn recorder(client: &Client) -> (Client, Arc<Mutex<Vec<ClientEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let client = client.with_observer(Arc::new(move |e: &ClientEvent| {
        sink.lock().unwrap().push(e.clone());
    }));
    (client, events)
}
