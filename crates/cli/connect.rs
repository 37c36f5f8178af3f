//! The API of a command: a real NetBird (the engine's [`ops::connect::Remote`]) or, with
//! `--sandbox`, the embedded sandbox, started when the op first needs the API and stopped
//! when it is done.

use futures_util::future::BoxFuture;
use onboard_engine::diag::Diag;
use onboard_engine::ops::{self, connect::Api, connect::Connector, connect::Endpoint};
use onboard_sandbox::{Sandbox, SandboxConfig, SandboxError, SandboxHandle};
use std::sync::Mutex;

/// The PAT the embedded sandbox is started with; it never leaves this machine.
const SANDBOX_TOKEN: &str = "nbp_onboardLocalSandboxToken0000000000";

/// Connects to NetBird, or starts the embedded sandbox (and stops it at the end).
#[derive(Default)]
pub struct Connect {
    sandbox: Mutex<Option<SandboxHandle>>,
}

impl Connector for Connect {
    fn open<'a>(&'a self, api: &'a Api) -> BoxFuture<'a, Result<Endpoint, Diag>> {
        Box::pin(async move {
            if !api.sandbox {
                return ops::connect::Remote.open(api).await;
            }
            let cfg = SandboxConfig {
                token: Some(SANDBOX_TOKEN.to_owned()),
                rate_limit: None,
                data: Some(ops::connect::sandbox_data(api)?),
                ..SandboxConfig::default()
            };
            let handle = Sandbox::start(cfg)
                .await
                .map_err(|e| sandbox_error("cannot start the embedded sandbox", &e))?;
            let url = handle.url();
            if let Ok(mut slot) = self.sandbox.lock() {
                *slot = Some(handle);
            }
            Ok(Endpoint {
                url,
                token: SANDBOX_TOKEN.to_owned(),
            })
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let handle = self.sandbox.lock().ok().and_then(|mut s| s.take());
            if let Some(h) = handle {
                h.shutdown().await;
            }
        })
    }
}

/// A sandbox error with its causes (`cannot listen on ADDR: Address already in use`).
pub fn sandbox_error(what: &str, e: &SandboxError) -> Diag {
    let mut text = format!("{what}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    let in_use = matches!(e, SandboxError::Bind { source, .. }
        if source.kind() == std::io::ErrorKind::AddrInUse);
    Diag::plain(text).maybe_help(in_use.then(|| {
        "another process listens there (a sandbox already running?): stop it, or pick a free \
         port with `--listen 127.0.0.1:8081`"
            .to_owned()
    }))
}
