//! Connecting to the API: a real NetBird (NB_MANAGEMENT_URL, NB_PAT or --token-file) or the
//! embedded sandbox (`--sandbox`), with the client-side rate limit and concurrency.
//!
//! Before a command reads anything from a real API, one quick call (`GET /api/users/current`,
//! at most one retry) checks the three things a new user gets wrong: the URL (nothing there,
//! or not NetBird's API), the host (down or unreachable: said within seconds, naming it) and
//! the token (refused). Each failure is one message that says what to do. Retries of the
//! client are printed at the default verbosity, so a slow API is never a silent wait.

use std::sync::Arc;
use std::time::Duration;

use onboard_engine::diag::Diag;
use onboard_netbird::{
    ApiError, Client, ClientConfig, ClientEvent, RateLimit, RetryPolicy, Scope, Token,
    TransportKind,
};

use crate::args::ApiArgs;
use crate::commands::Failure;

/// The PAT the embedded sandbox is started with; it never leaves this machine.
const SANDBOX_TOKEN: &str = "nbp_onboardLocalSandboxToken0000000000";

/// The connection check: one retry after 300 ms, so an unreachable host fails in seconds.
const CHECK_RETRY: RetryPolicy = RetryPolicy {
    max_retries: 1,
    initial_delay: Duration::from_millis(300),
    max_delay: Duration::from_millis(300),
    jitter: 0.0,
    max_reposts: 0,
};

pub async fn connect(
    args: &ApiArgs,
) -> Result<(Client, Option<onboard_sandbox::SandboxHandle>), Failure> {
    let (url, token, sandbox) = if args.sandbox {
        std::fs::create_dir_all(&args.state_dir)
            .map_err(|e| Diag::plain(format!("cannot create {}: {e}", args.state_dir.display())))?;
        let cfg = onboard_sandbox::SandboxConfig {
            token: Some(SANDBOX_TOKEN.to_owned()),
            rate_limit: None,
            data: Some(args.state_dir.join("sandbox.json")),
            ..onboard_sandbox::SandboxConfig::default()
        };
        let handle = onboard_sandbox::Sandbox::start(cfg)
            .await
            .map_err(|e| sandbox_error("cannot start the embedded sandbox", &e))?;
        (handle.url(), SANDBOX_TOKEN.to_owned(), Some(handle))
    } else {
        (management_url()?, read_token(args)?, None)
    };
    let mut cfg = ClientConfig::new(url.clone(), Token::new(token));
    cfg.rate = RateLimit {
        per_minute: args.rate_limit,
        burst: args.burst,
    };
    cfg.concurrency = args.concurrency.max(1);
    let client = Client::new(cfg)
        .map_err(|e| Diag::plain(format!("invalid API settings: {e}")))?
        .with_observer(Arc::new(print_retry));
    if sandbox.is_none() {
        check(&client, &url).await?;
    }
    Ok((client, sandbox))
}

/// A sandbox error with its causes (`cannot listen on ADDR: Address already in use`).
pub fn sandbox_error(what: &str, e: &onboard_sandbox::SandboxError) -> Diag {
    let mut text = format!("{what}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    let in_use = matches!(e, onboard_sandbox::SandboxError::Bind { source, .. }
        if source.kind() == std::io::ErrorKind::AddrInUse);
    Diag::plain(text).maybe_help(in_use.then(|| {
        "another process listens there (a sandbox already running?): stop it, or pick a free \
         port with `--listen 127.0.0.1:8081`"
            .to_owned()
    }))
}

/// `NB_MANAGEMENT_URL`, or NetBird Cloud. A URL ending in `/api` is refused: every path the
/// client sends starts with `/api/` already.
fn management_url() -> Result<String, Failure> {
    let Ok(url) = std::env::var("NB_MANAGEMENT_URL") else {
        return Ok(onboard_netbird::DEFAULT_BASE_URL.to_owned());
    };
    let trimmed = url.trim_end_matches('/');
    if let Some(base) = trimmed.strip_suffix("/api") {
        return Err(Diag::plain(format!(
            "NB_MANAGEMENT_URL ends in `/api` ({url}): onboard adds `/api/...` to it itself"
        ))
        .help(format!("set NB_MANAGEMENT_URL={base}"))
        .into());
    }
    Ok(url)
}

fn read_token(args: &ApiArgs) -> Result<String, Failure> {
    let token = match &args.token_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Diag::plain(format!("cannot read token file {}: {e}", path.display())))?,
        None => std::env::var("NB_PAT").map_err(|_| {
            Diag::plain("no personal access token: set NB_PAT or pass --token-file").help(
                "create one in the NetBird dashboard (Team → Users → your user → Create Token), \
                 or rehearse without one: `--sandbox`",
            )
        })?,
    };
    Ok(token.trim().to_owned())
}

/// Prints a retry of the client on stderr (the default verbosity shows it).
fn print_retry(event: &ClientEvent) {
    if let ClientEvent::Retry {
        method,
        path,
        reason,
        attempt,
        delay_ms,
    } = event
    {
        eprintln!(
            "retrying {method} {path} in {:.1} s: {reason} (attempt {attempt})",
            *delay_ms as f64 / 1000.0
        );
    }
}

/// One quick call that proves the URL is NetBird's API, the host answers and the token is
/// accepted. Other failures (a 5xx, a 429) are left to the command, which retries them.
async fn check(client: &Client, url: &str) -> Result<(), Failure> {
    let quick = client.with_retry(CHECK_RETRY);
    let err = match quick.current_user(&Scope::Own).await {
        Ok(user) => {
            if user.is_service_user {
                eprintln!(
                    "warning: the PAT belongs to service user `{}`: NetBird does not honour \
                     `?account=` for service users, so tenant playbooks and --account need a PAT \
                     of a real user",
                    user.name
                );
            }
            return Ok(());
        }
        Err(e) => e,
    };
    let diag = match &err {
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
            "no NetBird API at {url}: GET /api/users/current answered {}",
            status_of(&err)
        ))
        .help("NB_MANAGEMENT_URL is the management server's address, e.g. https://netbird.example.com"),
        ApiError::Transport {
            kind: TransportKind::Connect | TransportKind::Timeout,
            attempts,
            detail,
            ..
        } => Diag::plain(format!(
            "cannot reach the NetBird API at {url} ({attempts} attempts): {detail}"
        ))
        .help("check NB_MANAGEMENT_URL and that the management server is up; `--sandbox` rehearses without one"),
        _ => return Ok(()),
    };
    Err(diag.into())
}

fn status_of(err: &ApiError) -> String {
    match err {
        ApiError::Status { status, .. } | ApiError::Decode { status, .. } => status.to_string(),
        _ => "an error".to_owned(),
    }
}
