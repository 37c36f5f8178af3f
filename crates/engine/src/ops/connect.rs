//! Connecting to the API: a real NetBird (NB_MANAGEMENT_URL, NB_PAT or --token-file) or an
//! endpoint the frontend provides (the CLI's embedded sandbox), with the client-side rate
//! limit and concurrency (with `--state-url`, the PAT's rate budget shared with every runner of
//! that database: [`PgBudget`]); where state lives; the session's options.
//!
//! Before a command reads anything from a real API, one quick call (the tenant list or
//! `GET /api/accounts`, at most one retry, within 9 s: [`CHECK_RETRY`]) checks the three
//! things a new user gets wrong: the URL (nothing there, or not NetBird's API), the host (down,
//! unreachable or dropping connections: said within seconds, naming it, the attempts and what
//! to check) and the token (refused). Each failure is one message that says what to do.
//! Retries of the client are told to the frontend, so a slow API is never a silent wait.

use futures_util::future::BoxFuture;
use onboard_netbird::{
    ApiError, Client, ClientConfig, RateLimit, RetryPolicy, Token, TransportKind,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::api::converge::Replace;
use crate::diag::{Diag, printable};
use crate::ops::{Frontend, OpError};
use crate::run::session::{Customer, FirstRead, Options, Session};
use crate::store::Store;
use crate::store::postgres::budget::PgBudget;

/// Where the API is and how to talk to it.
#[derive(Debug, Clone)]
pub struct Api {
    /// An embedded sandbox, whose world persists in <state-dir>/sandbox.json.
    pub sandbox: bool,
    pub state_dir: PathBuf,
    /// PostgreSQL instead of `state_dir`.
    pub state_url: Option<String>,
    pub concurrency: usize,
    pub rate_limit: u32,
    pub burst: u32,
    /// The first retry delay, in milliseconds.
    pub retry_delay: u64,
    pub account: Option<String>,
    pub token_file: Option<PathBuf>,
    /// `--rebind-state` (plan, apply, destroy): use a state made against another API here,
    /// and record this one in it.
    pub rebind_state: bool,
}

/// An API's address and the PAT for it.
pub struct Endpoint {
    pub url: String,
    pub token: String,
}

/// Where the API is: a real NetBird ([`Remote`]) or one the frontend runs (the embedded
/// sandbox). Opened once, when an op first needs the API, after every offline check.
pub trait Connector: Sync {
    fn open<'a>(&'a self, api: &'a Api) -> BoxFuture<'a, Result<Endpoint, Diag>>;
    /// The op is done with the API.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// NetBird at `NB_MANAGEMENT_URL` (default: NetBird Cloud), with `NB_PAT` or `--token-file`.
pub struct Remote;

impl Connector for Remote {
    fn open<'a>(&'a self, api: &'a Api) -> BoxFuture<'a, Result<Endpoint, Diag>> {
        Box::pin(async move {
            Ok(Endpoint {
                url: management_url()?,
                token: read_token(api)?,
            })
        })
    }
}

/// The connection check: one retry after 300 ms, the whole check within 9 s (each attempt
/// gets half of it), so an unreachable host fails in seconds and a silent one in 9: the
/// command has failed within 10 s of its start.
pub const CHECK_RETRY: RetryPolicy = RetryPolicy {
    max_retries: 1,
    initial_delay: Duration::from_millis(300),
    max_delay: Duration::from_millis(300),
    jitter: 0.0,
    max_reposts: 0,
    deadline: Some(Duration::from_secs(9)),
};

/// The client for `api`, each retry told to `notice` (one line).
pub async fn client_with(
    connector: &dyn Connector,
    api: &Api,
    notice: Arc<dyn Fn(&str) + Send + Sync>,
) -> Result<Client, Diag> {
    let end = connector.open(api).await?;
    // Runners that share a state database share the PAT's budget (keyed by a hash of the PAT
    // and the management URL).
    let budget = match &api.state_url {
        Some(url) => Some(PgBudget::new(url, &end.url, &end.token).map_err(OpError::from)?),
        None => None,
    };
    let mut cfg = ClientConfig::new(end.url, Token::new(end.token));
    cfg.rate = RateLimit {
        per_minute: api.rate_limit,
        burst: api.burst,
    };
    cfg.concurrency = api.concurrency.max(1);
    cfg.retry.initial_delay = Duration::from_millis(api.retry_delay);
    let client = Client::new(cfg)
        .map_err(OpError::from)?
        .with_observer(Arc::new(move |e| {
            if let Some(line) = crate::ops::render::retry(e) {
                notice(&line);
            }
        }));
    if let Some(budget) = budget {
        client.share_budget(Arc::new(budget));
    }
    Ok(client)
}

/// Where the embedded sandbox keeps its world: `<state-dir>/sandbox.json`, the folder made
/// private first.
pub fn sandbox_data(api: &Api) -> Result<PathBuf, Diag> {
    crate::store::private::private_dir(&api.state_dir).map_err(|source| OpError::Create {
        path: api.state_dir.display().to_string(),
        source,
    })?;
    Ok(crate::store::local::layout::StateDir::new(&api.state_dir).sandbox())
}

/// Where state lives: `--state-url` / `ONBOARD_STATE_URL` (PostgreSQL), else `--state-dir`.
pub async fn open_store(api: &Api) -> Result<Store, Diag> {
    Ok(Store::open(&api.state_dir, api.state_url.as_deref())
        .await
        .map_err(OpError::from)?)
}

/// The session's options.
pub fn options(api: &Api, replace: Replace, prune: bool, lock_timeout: u64) -> Options {
    Options {
        account: api.account.clone(),
        replace,
        prune,
        budget: RateLimit {
            per_minute: api.rate_limit,
            burst: api.burst,
        },
        concurrency: api.concurrency.max(1),
        lock_timeout: Duration::from_secs(lock_timeout),
        rebind_state: api.rebind_state,
    }
}

/// The session for `client`, bound to the API as states record it: the client's URL, or for
/// the embedded sandbox (a new port every run) `sandbox:<world file>`, its absolute path.
pub fn session(api: &Api, client: Client, options: Options, store: Store) -> Session {
    let session = Session::new(client, options, store);
    if !api.sandbox {
        return session;
    }
    let dir = std::fs::canonicalize(&api.state_dir).unwrap_or_else(|_| api.state_dir.clone());
    let world = crate::store::local::layout::StateDir::new(&dir).sandbox();
    session.bound_as(format!("sandbox:{}", world.display()))
}

/// `NB_MANAGEMENT_URL`, or NetBird Cloud. A URL ending in `/api` is refused: every path the
/// client sends starts with `/api/` already.
fn management_url() -> Result<String, Diag> {
    let Ok(url) = std::env::var("NB_MANAGEMENT_URL") else {
        return Ok(onboard_netbird::DEFAULT_BASE_URL.to_owned());
    };
    let trimmed = url.trim_end_matches('/');
    if let Some(base) = trimmed.strip_suffix("/api") {
        return Err(Diag::plain(format!(
            "NB_MANAGEMENT_URL ends in `/api` ({url}): onboard adds `/api/...` to it itself"
        ))
        .help(format!("set NB_MANAGEMENT_URL={base}")));
    }
    Ok(url)
}

fn read_token(api: &Api) -> Result<String, Diag> {
    let token = match &api.token_file {
        Some(path) => read_token_file(path)?,
        None => std::env::var("NB_PAT").map_err(|_| {
            Diag::plain("no personal access token: set NB_PAT or pass --token-file").help(
                "create one in the NetBird dashboard (Team → Users → your user → Create Token), \
                 or rehearse without one: `--sandbox`",
            )
        })?,
    };
    Ok(token.trim().to_owned())
}

/// A token file: at most 4 KiB (a PAT is 40 characters), UTF-8, trimmed. Its content is never
/// quoted in an error.
fn read_token_file(path: &std::path::Path) -> Result<String, Diag> {
    use std::io::Read;
    const MAX: u64 = 4096;
    let name = printable(&path.display().to_string()).into_owned();
    let fail = |e: std::io::Error| Diag::plain(format!("cannot read token file {name}: {e}"));
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX + 1).read_to_end(&mut bytes))
        .map_err(fail)?;
    if bytes.len() as u64 > MAX {
        return Err(Diag::plain(format!(
            "token file {name} is larger than {MAX} bytes; it should hold only the token"
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| Diag::plain(format!("token file {name} is not UTF-8 text")))
}

/// The session's first call, made with a quick retry policy (one retry after 300 ms): it
/// proves that the URL is NetBird's API, that the host answers and that the token is accepted,
/// and fails within seconds with a message that says which. It is a read the plan needs anyway
/// (the tenant list, or the account), so it costs no call of its own. Other failures (a 5xx, a
/// 429) are left to the command, which retries them. Nothing to check on the embedded sandbox.
pub async fn first_contact(
    session: &Session,
    runs: &[Customer],
    api: &Api,
    first: FirstRead,
) -> Result<(), Diag> {
    if api.sandbox {
        return Ok(());
    }
    let quick = session.client().with_retry(CHECK_RETRY);
    let (what, err) = match session.first_contact(&quick, runs, first).await {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let url = session.client().base_url();
    let diag = match &err {
        ApiError::Status {
            status: 403,
            message,
            ..
        } if what.contains("/msp/tenants") => Diag::plain(format!(
            "the account of this PAT cannot manage tenants: {what} answered 403 ({message})"
        ))
        .help(
            "a playbook with a tenant block needs a PAT of a user of an MSP account; without one, \
             drop the tenant block (or pass --account ID) to run in the PAT's own account",
        ),
        ApiError::Status {
            status: 401 | 403,
            message,
            ..
        } => Diag::plain(format!(
            "the NetBird API at {url} refused the token ({}: {message})",
            status_of(&err)
        ))
        .help(
            "NB_PAT (or --token-file) must be a personal access token of a user, valid and not \
             expired (Team → Users → your user → Create Token); a setup key is not a token",
        ),
        ApiError::Status { status: 404, .. } | ApiError::Decode { .. } => Diag::plain(format!(
            "no NetBird API at {url}: {what} answered {}",
            status_of(&err)
        ))
        .help("NB_MANAGEMENT_URL is the management server's address, e.g. https://netbird.example.com"),
        // Any failure below HTTP ends the command here: the plan would only try the same host
        // again, with a retry budget of its own.
        ApiError::Transport {
            kind,
            attempts,
            detail,
            ..
        } => Diag::plain(format!(
            "cannot reach the NetBird API at {url}: {what} {} ({attempts} attempt(s), the \
             check allows {}): {detail}",
            tried(*kind),
            CHECK_RETRY.max_retries + 1
        ))
        .help(format!(
            "{}; `--sandbox` rehearses without a server",
            to_check(*kind)
        )),
        _ => return Ok(()),
    };
    Err(diag)
}

/// What the failed attempts met.
fn tried(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Connect => "could not connect",
        TransportKind::Timeout => "got no answer in time",
        TransportKind::Reset => "had its connection closed or reset before an answer",
        TransportKind::Tls => "failed the TLS handshake",
    }
}

/// What to check about a connection that failed this way.
fn to_check(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Connect => {
            "check NB_MANAGEMENT_URL (host and port) and that the management server is up and \
             listening there"
        }
        TransportKind::Timeout => {
            "check NB_MANAGEMENT_URL's host, and that no firewall or VPN between here and it drops \
             the traffic"
        }
        TransportKind::Reset => {
            "check that NB_MANAGEMENT_URL is the management server's address with the scheme it \
             speaks (https:// for TLS), and the proxy or load balancer in front of it"
        }
        TransportKind::Tls => {
            "check that NB_MANAGEMENT_URL names the host its certificate is for, and that the \
             certificate chains to a root this system trusts"
        }
    }
}

fn status_of(err: &ApiError) -> String {
    match err {
        ApiError::Status { status, .. } | ApiError::Decode { status, .. } => status.to_string(),
        _ => "an error".to_owned(),
    }
}

/// Everything an op that talks to the API holds: the session and the connector to close.
pub(crate) struct Connected<'a> {
    pub session: Session,
    connector: &'a dyn Connector,
}

impl<'a> Connected<'a> {
    /// Connect, open the store, start the session, and make the first call.
    pub async fn open(
        connector: &'a dyn Connector,
        api: &Api,
        options: Options,
        store: Option<Store>,
        runs: &[Customer],
        first: FirstRead,
        ui: &dyn Frontend,
    ) -> Result<Connected<'a>, Diag> {
        let notice = ui.notices();
        let client = client_with(connector, api, notice).await?;
        let store = match store {
            Some(s) => s,
            None => open_store(api).await?,
        };
        let session = session(api, client, options, store);
        first_contact(&session, runs, api, first).await?;
        Ok(Connected { session, connector })
    }

    pub async fn close(self) {
        self.connector.close().await;
    }
}
