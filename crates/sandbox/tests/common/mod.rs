//! Test kit: a sandbox on 127.0.0.1:0 and a plain reqwest client that talks to it.
#![allow(dead_code, clippy::unwrap_used)]

use onboard_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A running sandbox and a client.
pub struct Api {
    pub sandbox: SandboxHandle,
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

/// An answer: status, headers, JSON body (`Null` when empty or not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> u16 {
        self.status.as_u16()
    }
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .expect("an id in the answer")
            .to_owned()
    }
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }
}

/// The default test config: no rate limit, fixed seed.
pub fn config() -> SandboxConfig {
    SandboxConfig {
        rate_limit: None,
        seed: Some(7),
        ..SandboxConfig::default()
    }
}

impl Api {
    pub async fn start() -> Api {
        Api::with(config()).await
    }

    pub async fn with(cfg: SandboxConfig) -> Api {
        let sandbox = Sandbox::start(cfg).await.expect("sandbox starts");
        let base = sandbox.url();
        let token = sandbox.token().to_owned();
        Api {
            sandbox,
            http: reqwest::Client::new(),
            base,
            token,
        }
    }

    /// A request with the owner's token.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call_as(&self.token.clone(), method, path, body).await
    }

    /// A request with another token.
    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .header("Authorization", format!("Token {token}"));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request sent");
        answer(resp).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a group and answers its id.
    pub async fn group(&self, path_suffix: &str, name: &str) -> String {
        let a = self
            .post(&format!("/api/groups{path_suffix}"), json!({"name": name}))
            .await;
        assert_eq!(a.code(), 200, "{}", a.body);
        a.id()
    }

    /// Creates a tenant and answers its id.
    pub async fn tenant(&self, domain: &str) -> String {
        let a = self
            .post(
                "/api/integrations/msp/tenants",
                json!({"name": domain, "domain": domain, "groups": []}),
            )
            .await;
        assert_eq!(a.code(), 200, "{}", a.body);
        a.id()
    }

    pub fn world(&self) -> Value {
        self.sandbox.world()
    }

    pub fn msp(&self) -> String {
        self.sandbox.msp_account_id()
    }
}

pub async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body read");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

/// The error body NetBird answers.
pub fn assert_error(a: &Answer, code: u16, message_part: &str) {
    assert_eq!(a.code(), code, "body: {}", a.body);
    assert_eq!(a.body["code"], json!(code), "body: {}", a.body);
    let message = a.message();
    assert!(
        message.contains(message_part),
        "message {message:?} lacks {message_part:?}"
    );
    assert_eq!(message, message.to_lowercase(), "messages are lower-case");
}
