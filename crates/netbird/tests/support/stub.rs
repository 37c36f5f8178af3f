//! A tiny in-memory NetBird stand-in (axum on 127.0.0.1:0), kept for the few client tests
//! that look at what the sandbox does not show: it records every request whole (query,
//! `Authorization` and `Accept` headers, body; the sandbox's log has none of them), answers
//! `/api/accounts` with whatever account the `account` query names (the sandbox runs an
//! unknown account in the caller's own), gives fixed request ids (`req-N`) and token values,
//! and rejects or drops scripted requests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use onboard_netbird::{Client, ClientConfig};
use serde_json::{Value, json};

pub const OWN_ACCOUNT: &str = "msp-account";

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub accept: Option<String>,
    pub body: Option<Value>,
}

impl Seen {
    pub fn account(&self) -> Option<String> {
        query_param(self.query.as_deref(), "account")
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// Answer with this status without doing anything (429: no Retry-After).
    Reject(u16),
    /// Do the work, then break the connection instead of answering.
    DropAfterHandling,
}

struct Fault {
    method: &'static str,
    path: &'static str,
    action: Action,
    times: u32,
}

#[derive(Default)]
pub struct World {
    pub seen: Vec<Seen>,
    pub groups: Vec<Value>,
    pub tenants: Vec<Value>,
    faults: Vec<Fault>,
    next_id: u32,
}

pub struct Stub {
    pub addr: SocketAddr,
    world: Arc<Mutex<World>>,
}

impl Stub {
    pub async fn start() -> Stub {
        let world = Arc::new(Mutex::new(World::default()));
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&world));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Stub { addr, world }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `times` requests matching `method` and path prefix get `action`.
    pub fn fault(&self, method: &'static str, path: &'static str, action: Action, times: u32) {
        self.world().faults.push(Fault {
            method,
            path,
            action,
            times,
        });
    }

    pub fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.world().seen.clone()
    }

    pub fn config(&self) -> ClientConfig {
        super::config(self.url())
    }

    pub fn client(&self) -> Client {
        Client::new(self.config()).unwrap()
    }
}

fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| v.replace("%20", " "))
    })
}

type Shared = Arc<Mutex<World>>;

async fn handle(
    State(world): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let seen = Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        authorization: header("authorization"),
        user_agent: header("user-agent"),
        accept: header("accept"),
        body: serde_json::from_slice(&body).ok(),
    };
    let (fault, request_id) = {
        let mut w = world.lock().unwrap();
        w.seen.push(seen.clone());
        (take_fault(&mut w, &seen), format!("req-{}", w.seen.len()))
    };
    if let Some(Action::Reject(status)) = fault {
        let message = if status == 429 {
            "too many requests"
        } else {
            "internal server error"
        };
        return respond(
            status,
            json!({"message": message, "code": status}),
            &request_id,
        );
    }
    let (status, answer) = route(&world, &seen);
    match fault {
        Some(Action::DropAfterHandling) => {
            let broken = futures_util::stream::iter([Err::<Bytes, _>(std::io::Error::other(
                "stub drops the connection",
            ))]);
            Response::builder()
                .status(200)
                .body(Body::from_stream(broken))
                .unwrap()
        }
        _ => respond(status, answer, &request_id),
    }
}

fn take_fault(w: &mut World, seen: &Seen) -> Option<Action> {
    let f = w
        .faults
        .iter_mut()
        .find(|f| f.times > 0 && f.method == seen.method && seen.path.starts_with(f.path))?;
    f.times -= 1;
    Some(f.action)
}

fn respond(status: u16, body: Value, request_id: &str) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .header("x-request-id", request_id)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn err(status: u16, message: &str) -> (u16, Value) {
    (status, json!({"message": message, "code": status}))
}

fn route(world: &Shared, seen: &Seen) -> (u16, Value) {
    let segments: Vec<&str> = seen.path.trim_start_matches('/').split('/').collect();
    let mut w = world.lock().unwrap();
    let body = seen.body.clone().unwrap_or(Value::Null);
    match (seen.method.as_str(), segments.as_slice()) {
        ("GET", ["api", "groups"]) => match query_param(seen.query.as_deref(), "name") {
            Some(name) => {
                let found: Vec<Value> = w
                    .groups
                    .iter()
                    .filter(|g| g["name"] == name.as_str())
                    .cloned()
                    .collect();
                if found.is_empty() {
                    err(404, "group not found")
                } else {
                    (200, Value::Array(found))
                }
            }
            None => (200, Value::Array(w.groups.clone())),
        },
        ("POST", ["api", "groups"]) => {
            let name = body["name"].as_str().unwrap_or_default().to_owned();
            if w.groups.iter().any(|g| g["name"] == name.as_str()) {
                return err(409, &format!("group with name {name} already exists"));
            }
            w.next_id += 1;
            let group = json!({"id": format!("g{}", w.next_id), "name": name, "peers_count": 0, "resources_count": 0, "peers": [], "resources": []});
            w.groups.push(group.clone());
            (200, group)
        }
        ("GET", ["api", "groups", id]) => match w.groups.iter().find(|g| g["id"] == *id) {
            Some(g) => (200, g.clone()),
            None => err(404, "group not found"),
        },
        ("PUT", ["api", "groups", id]) => match w.groups.iter_mut().find(|g| g["id"] == *id) {
            Some(g) => {
                g["name"] = body["name"].clone();
                (200, g.clone())
            }
            None => err(404, "group not found"),
        },
        ("DELETE", ["api", "groups", id]) => {
            let before = w.groups.len();
            w.groups.retain(|g| g["id"] != *id);
            if w.groups.len() == before {
                err(404, "group not found")
            } else {
                (200, json!({}))
            }
        }
        ("GET", ["api", "accounts"]) => {
            let id = seen.account().unwrap_or_else(|| OWN_ACCOUNT.to_owned());
            (
                200,
                json!([{"id": id, "domain": "msp.example", "domain_category": "private",
                "created_at": "2026-01-01T00:00:00Z", "created_by": "u1",
                "settings": {"peer_login_expiration": 86400, "unmodelled": {"x": 1}}}]),
            )
        }
        ("PUT", ["api", "accounts", id]) => (200, json!({"id": id, "settings": body["settings"]})),
        ("POST", ["api", "users", user, "tokens"]) => (
            200,
            json!({
                "plain_token": "nbp_NEWTOKEN",
                "personal_access_token": {"id": "tok1", "name": body["name"], "created_by": user},
            }),
        ),
        ("GET", ["api", "users", "current"]) => (
            200,
            json!({"id": "u1", "email": "ops@msp.example", "name": "Ops", "role": "owner", "status": "active", "auto_groups": [], "is_blocked": false, "pending_approval": false}),
        ),
        ("GET", ["api", "integrations", "msp", "tenants"]) => {
            (200, Value::Array(w.tenants.clone()))
        }
        ("POST", ["api", "integrations", "msp", "tenants"]) => {
            w.next_id += 1;
            let t = json!({"id": format!("t{}", w.next_id), "name": body["name"], "domain": body["domain"],
                "groups": body["groups"], "dns_challenge": "txt", "status": "pending",
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"});
            w.tenants.push(t.clone());
            (200, t)
        }
        _ => err(404, "not found"),
    }
}
