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
        onboard_engine::private::private_dir(&args.state_dir)
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
        Some(path) => read_token_file(path)?,
        None => std::env::var("NB_PAT").map_err(|_| {
            Diag::plain("no personal access token: set NB_PAT or pass --token-file")
                .help("or rehearse with `--sandbox`")
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
