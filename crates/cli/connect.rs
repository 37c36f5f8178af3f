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
    ApiError, Client, ClientConfig, ClientEvent, RateLimit, RetryPolicy, Token, TransportKind,
};

use crate::args::ApiArgs;
use crate::commands::Failure;
use onboard_engine::run::session::{Customer, Session};

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
        onboard_engine::store::private::private_dir(&args.state_dir)
            .map_err(|e| Diag::plain(format!("cannot create {}: {e}", args.state_dir.display())))?;
        let cfg = onboard_sandbox::SandboxConfig {
            token: Some(SANDBOX_TOKEN.to_owned()),
            rate_limit: None,
            data: Some(
                onboard_engine::store::local::layout::StateDir::new(&args.state_dir).sandbox(),
            ),
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
    cfg.retry.initial_delay = std::time::Duration::from_millis(args.retry_delay);
    let client = Client::new(cfg)
        .map_err(|e| Diag::plain(format!("invalid API settings: {e}")))?
        .with_observer(Arc::new(print_retry));
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
fn read_token_file(path: &std::path::Path) -> Result<String, Failure> {
    use std::io::Read;
    const MAX: u64 = 4096;
    let name = onboard_engine::diag::printable(&path.display().to_string()).into_owned();
    let fail = |e: std::io::Error| Diag::plain(format!("cannot read token file {name}: {e}"));
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX + 1).read_to_end(&mut bytes))
        .map_err(fail)?;
    if bytes.len() as u64 > MAX {
        return Err(Diag::plain(format!(
            "token file {name} is larger than {MAX} bytes; it should hold only the token"
        ))
        .into());
    }
    String::from_utf8(bytes)
        .map_err(|_| Diag::plain(format!("token file {name} is not UTF-8 text")).into())
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
        let line = format!(
            "retrying {method} {path} in {:.1} s: {reason} (attempt {attempt})",
            *delay_ms as f64 / 1000.0
        );
        eprintln!("{}", onboard_engine::diag::printable(&line));
    }
}

/// The session's first call, made with a quick retry policy (one retry after 300 ms): it
/// proves that the URL is NetBird's API, that the host answers and that the token is accepted,
/// and fails within seconds with a message that says which. It is a read the plan needs anyway
/// (the tenant list, or the account), so it costs no call of its own. Other failures (a 5xx, a
/// 429) are left to the command, which retries them. Nothing to check on the embedded sandbox.
pub async fn first_contact(
    session: &Session,
    runs: &[Customer],
    sandbox: bool,
) -> Result<(), Failure> {
    if sandbox {
        return Ok(());
    }
    let quick = session.client().with_retry(CHECK_RETRY);
    let (what, err) = match session.first_contact(&quick, runs).await {
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
