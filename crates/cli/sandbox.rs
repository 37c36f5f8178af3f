//! `onboard sandbox`: the local NetBird-compatible API in the foreground until Ctrl-C.

use onboard_engine::diag::Diags;
use onboard_engine::ops;

use crate::args::SandboxArgs;

pub fn sandbox(args: SandboxArgs) -> Result<u8, Diags> {
    let cfg = onboard_sandbox::SandboxConfig {
        listen: args.listen,
        token: args.token,
        standalone: args.standalone,
        rate_limit: (args.rate_limit > 0).then_some(onboard_sandbox::RateLimit {
            per_minute: args.rate_limit,
            burst: args.burst,
        }),
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        fail_rate: args.fail_rate,
        drop_rate: args.drop_rate,
        seed: args.seed,
        data: args.data,
    };
    ops::block_on(async {
        onboard_sandbox::serve_until_ctrl_c(cfg)
            .await
            .map_err(|e| crate::connect::sandbox_error("sandbox", &e).into())
    })?;
    Ok(0)
}
