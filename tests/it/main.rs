//! The integration tests of `onboard`, in one test binary (`it`): each module is one area of
//! behaviour, run against the real binary (`support::binary`) and an in-process sandbox
//! (`support::sandbox`). One binary links the CLI, the engine and the sandbox once, instead of
//! once per area. Fixtures stay in `tests/inputs/` and `playbooks/`, read by relative path
//! from the package root; insta's snapshots are in `snapshots/`, named `it__<module>__<case>`.
//!
//! Run one area with `cargo test --test it <module>::` (e.g. `cargo test --test it leaks::`).

mod support;

mod api_safety;
mod apply_failure;
mod apply_rate_limit;
mod apply_refuses_invalid;
mod apply_scoping;
mod apply_secrets;
mod budget;
mod ci_example;
mod cli_apply;
mod cli_help;
mod cli_init;
mod cli_messages;
mod cli_plan;
mod cli_release;
mod cli_validate;
mod destroy;
mod dns_kinds;
mod docs_reference;
mod drift;
mod edr_kinds;
mod event_streaming;
mod export;
mod fleet_plan;
mod fleet_version;
mod idp_sync_kinds;
mod leaks;
mod modules;
mod normalised;
mod notification_channels;
mod onboarding_switches;
mod outputs_file;
mod plan_contract;
mod request_secrets;
mod resume_adopt;
mod resume_crash;
mod resume_drift;
mod resume_faults;
mod revoked_key;
mod saved_plan;
mod schema;
mod scope_proofs;
mod scope_safety;
mod secret_taint;
mod secrets_sink;
mod security_baseline;
mod sensitive_inputs;
mod shared_budget;
mod state_binding;
mod state_postgres;
mod state_postgres_lock;
mod state_postgres_secrets;
mod tenant_dns;
mod tenant_update;
mod user_invites;
mod validate_differential;
mod waves;
