//! Starting and stopping: [`Sandbox::start`] builds (or loads) the world, binds the listener
//! and runs the accept loop on the current tokio runtime; [`SandboxHandle`] gives the URL,
//! the token and in-process reads of the world and the request log.
//!
//! The accept loop serves HTTP/1.1 with keep-alive through hyper directly rather than
//! `axum::serve`, because a dropped response (fault injection) must close the connection
//! without any answer, which hyper does when the service call fails.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::app::App;
use crate::config::SandboxConfig;
use crate::error::SandboxError;
use crate::http::faults::Faults;
use crate::http::hold::Hold;
use crate::http::pipeline;
use crate::http::ratelimit::RateLimiter;
use crate::http::router;
use crate::http::scripted::Fault;
use crate::log::LogEntry;
use crate::world::bootstrap;
use crate::world::ids::{IdGen, hash_token};
use crate::world::model::World;
use crate::world::persist::{self, Persist};
use crate::world::view;

/// Entry point: `Sandbox::start(config)`.
#[derive(Debug)]
pub struct Sandbox;

/// A running sandbox. Dropping it stops the server too; [`SandboxHandle::shutdown`] also
/// waits for the accept loop to end.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    token: String,
    generated: bool,
    seed: u64,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Builds or loads the world, binds `cfg.listen` and starts serving.
    pub async fn start(cfg: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        cfg.validate()?;
        let seed = cfg.seed.unwrap_or_else(rand::random);
        let mut ids = IdGen::new(seed ^ 0x5eed_0000_0000_0001);
        let generated = cfg.token.is_none();
        let token = cfg.token.clone().unwrap_or_else(|| ids.pat());
        let world = open_world(&cfg, ids, &hash_token(&token))?;
        let persist = cfg.data.clone().map(Persist::new);
        if let Some(persist) = &persist {
            let snapshot = persist
                .snapshot(&world)
                .map_err(|source| SandboxError::ParseData {
                    path: cfg.data.clone().unwrap_or_default(),
                    source,
                })?;
            persist.save(snapshot).await?;
        }
        let listener =
            TcpListener::bind(cfg.listen)
                .await
                .map_err(|source| SandboxError::Bind {
                    addr: cfg.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: cfg.listen,
            source,
        })?;
        let faults = Faults::new(
            cfg.latency_ms,
            cfg.jitter_ms,
            cfg.fail_rate,
            cfg.drop_rate,
            seed,
        );
        let app = Arc::new(App::new(
            world,
            RateLimiter::new(cfg.rate_limit),
            faults,
            persist,
        ));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(
            listener,
            app.clone(),
            router::build(app.clone()),
            stopped,
        ));
        Ok(SandboxHandle {
            addr,
            token,
            generated,
            seed,
            app,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

fn open_world(cfg: &SandboxConfig, ids: IdGen, token_hash: &str) -> Result<World, SandboxError> {
    let loaded = match &cfg.data {
        Some(path) => persist::load(path)?,
        None => None,
    };
    let Some(mut world) = loaded else {
        return Ok(bootstrap::new_world(ids, cfg.standalone, token_hash));
    };
    if world.standalone != cfg.standalone {
        tracing::warn!(
            standalone = world.standalone,
            "the data file decides whether the sandbox is standalone"
        );
    }
    world.ids = ids;
    bootstrap::install_token(&mut world, token_hash).map_err(|e| {
        SandboxError::Config(format!(
            "data file has no usable root account: {}",
            e.message
        ))
    })?;
    Ok(world)
}

async fn accept_loop(
    listener: TcpListener,
    app: Arc<App>,
    router: Router,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    conns.spawn(serve_connection(stream, app.clone(), router.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "sandbox accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
        }
    }
    conns.shutdown().await;
}

async fn serve_connection(stream: tokio::net::TcpStream, app: Arc<App>, router: Router) {
    let service = service_fn(move |req| pipeline::serve(app.clone(), router.clone(), req));
    // No header read timeout: hyper would also apply it to idle keep-alive connections and
    // close them under clients that pause longer (reqwest keeps idle connections for 90 s).
    let served = http1::Builder::new()
        .header_read_timeout(None)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(error) = served {
        tracing::debug!(%error, "sandbox connection closed");
    }
}

impl SandboxHandle {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The MSP owner's PAT (configured or generated).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether [`SandboxHandle::token`] was generated (no token was configured).
    pub fn token_was_generated(&self) -> bool {
        self.generated
    }

    /// The seed in use (configured or drawn), to reproduce a run's faults.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The id of the starting account (the MSP account unless standalone).
    pub fn msp_account_id(&self) -> String {
        self.app.lock().msp_account_id.clone()
    }

    /// The whole world, as `GET /__sandbox/world` answers it.
    pub fn world(&self) -> serde_json::Value {
        view::world(&self.app.lock())
    }

    /// Publishes a TXT record `name` → `value` in the sandbox's public DNS, as
    /// `POST /__sandbox/dns/txt` does: a tenant whose domain is `name` and whose
    /// `dns_challenge` is `value` then verifies (`POST .../tenants/{id}/dns` answers 200).
    pub fn publish_txt(&self, name: &str, value: &str) {
        crate::handlers::introspect::publish(&mut self.app.lock(), name, value);
    }

    /// Holds the answer to the first request that `matches` (see [`Hold`]).
    pub fn hold_when(&self, matches: impl FnMut(&LogEntry) -> bool + Send + 'static) -> Hold {
        self.app.holds.arm(Box::new(matches))
    }

    /// The next `times` API requests with this `method` and a path starting with
    /// `path_prefix` get `fault` (see [`Fault`]); scripts are tried in the order they were
    /// added.
    pub fn fault_next(&self, method: &str, path_prefix: &str, fault: Fault, times: u32) {
        self.app.scripted.add(method, path_prefix, fault, times);
    }

    /// Every API request so far, as `GET /__sandbox/log` answers it.
    pub fn log(&self) -> Vec<LogEntry> {
        self.app.log.snapshot()
    }

    /// Stops accepting, closes the connections and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Runs a sandbox until Ctrl-C: prints the URL (and the token when it generated one) to
/// stdout as `NB_MANAGEMENT_URL=...` and `NB_PAT=...` lines, then serves.
pub async fn serve_until_ctrl_c(cfg: SandboxConfig) -> Result<(), SandboxError> {
    let sandbox = Sandbox::start(cfg).await?;
    println!("NB_MANAGEMENT_URL={}", sandbox.url());
    if sandbox.token_was_generated() {
        println!("NB_PAT={}", sandbox.token());
    }
    let waited = tokio::signal::ctrl_c().await.map_err(SandboxError::Signal);
    sandbox.shutdown().await;
    waited
}
