//! Connecting to the API: a real NetBird (NB_MANAGEMENT_URL, NB_PAT or --token-file) or the
//! embedded sandbox (`--sandbox`), with the client-side rate limit and concurrency.

use onboard_engine::diag::Diag;
use onboard_netbird::{Client, ClientConfig, RateLimit, Token};

use crate::args::ApiArgs;
use crate::commands::Failure;

/// The PAT the embedded sandbox is started with; it never leaves this machine.
const SANDBOX_TOKEN: &str = "nbp_onboardLocalSandboxToken0000000000";

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
            .map_err(|e| Diag::plain(format!("cannot start the embedded sandbox: {e}")))?;
        (handle.url(), SANDBOX_TOKEN.to_owned(), Some(handle))
    } else {
        let url = std::env::var("NB_MANAGEMENT_URL")
            .unwrap_or_else(|_| onboard_netbird::DEFAULT_BASE_URL.to_owned());
        (url, read_token(args)?, None)
    };
    let mut cfg = ClientConfig::new(url, Token::new(token));
    cfg.rate = RateLimit {
        per_minute: args.rate_limit,
        burst: args.burst,
    };
    cfg.concurrency = args.concurrency.max(1);
    // For tests: the first retry delay (it doubles from there), so that fault tests are not
    // slowed down by real backoff. Not a user setting; documented in docs/cli-notes.md.
    if let Some(ms) = std::env::var("ONBOARD_RETRY_BASE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        cfg.retry.initial_delay = std::time::Duration::from_millis(ms);
    }
    let client = Client::new(cfg).map_err(|e| Diag::plain(format!("invalid API settings: {e}")))?;
    Ok((client, sandbox))
}

fn read_token(args: &ApiArgs) -> Result<String, Failure> {
    let token = match &args.token_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Diag::plain(format!("cannot read token file {}: {e}", path.display())))?,
        None => std::env::var("NB_PAT").map_err(|_| {
            Diag::plain("no personal access token: set NB_PAT or pass --token-file")
                .help("or rehearse with `--sandbox`")
        })?,
    };
    Ok(token.trim().to_owned())
}
