//! The client's tests against the real fake: onboard-sandbox (`crates/sandbox`) on
//! 127.0.0.1:0 with the test PAT, no server-side rate limit (the client's own limiter is what
//! these tests watch) and a fixed seed. Faults are scripted per request
//! (`SandboxHandle::fault_next`); requests are counted from the sandbox's request log.

use onboard_netbird::{Client, ClientConfig, ResourceKind, Scope};
use onboard_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;

pub use onboard_sandbox::Fault;

use super::PAT;

pub struct Server {
    pub sandbox: SandboxHandle,
    /// The own account's groups at start (`All` and the owner's).
    initial: Vec<Value>,
}

/// What the tests read back from the sandbox's world.
pub struct World {
    /// The own account's groups made since start.
    pub groups: Vec<Value>,
    /// The most requests the sandbox was working on at once (from the log's times).
    pub max_inflight: usize,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_slow(0).await
    }

    /// A sandbox that takes `latency_ms` over every request.
    pub async fn start_slow(latency_ms: u64) -> Server {
        let cfg = SandboxConfig {
            token: Some(PAT.to_owned()),
            rate_limit: None,
            seed: Some(20),
            latency_ms,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::start(cfg).await.unwrap();
        let initial = own_groups(&sandbox)
            .iter()
            .map(|g| g["id"].clone())
            .collect();
        Server { sandbox, initial }
    }

    /// The next `times` requests with `method` and a path starting with `path` get `fault`.
    pub fn fault(&self, method: &str, path: &str, fault: Fault, times: u32) {
        self.sandbox.fault_next(method, path, fault, times);
    }

    /// Requests logged with this method and exact path.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.sandbox
            .log()
            .iter()
            .filter(|e| e.method == method && e.path == path)
            .count()
    }

    pub fn world(&self) -> World {
        let groups = own_groups(&self.sandbox)
            .into_iter()
            .filter(|g| !self.initial.contains(&g["id"]))
            .collect();
        let log = self.sandbox.log();
        let max_inflight = log
            .iter()
            .map(|e| {
                let at = e.started_ms;
                log.iter()
                    .filter(|o| o.started_ms <= at && at < o.finished_ms)
                    .count()
            })
            .max()
            .unwrap_or(0);
        World {
            groups,
            max_inflight,
        }
    }

    /// Deletes the groups made since start, through the API.
    pub async fn clear_groups(&self) {
        let client = self.client();
        for g in self.world().groups {
            let id = g["id"].as_str().unwrap();
            client
                .delete(ResourceKind::Group, &Scope::Own, None, id)
                .await
                .unwrap();
        }
    }

    pub fn config(&self) -> ClientConfig {
        super::config(self.sandbox.url())
    }

    pub fn client(&self) -> Client {
        Client::new(self.config()).unwrap()
    }
}

fn own_groups(sandbox: &SandboxHandle) -> Vec<Value> {
    let own = sandbox.msp_account_id();
    sandbox.world()["accounts"][own.as_str()]["groups"]
        .as_array()
        .unwrap()
        .clone()
}
