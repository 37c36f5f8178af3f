//! `playbooks/security-baseline.yaml`, the example of credentials from a secret store: it
//! applies on the sandbox with every credential from `ONBOARD_VAR_<name>`, re-applies with no
//! write, plans an update of exactly the integration whose credential was rotated, and no
//! credential reaches anything onboard prints or writes.

use crate::support::*;
use std::path::Path;
use std::process::Output;

const PLAYBOOK: &str = "playbooks/security-baseline.yaml";

/// The credentials, recognisable in any output.
const CREDENTIALS: [(&str, &str); 4] = [
    ("idp_client_secret", "Baseline-Idp-Secret-5a1f"),
    ("falcon_client_id", "Baseline-Falcon-Id-77c2"),
    ("falcon_secret", "Baseline-Falcon-Secret-0b9e"),
    ("soc_webhook_token", "Baseline-Soc-Token-3d44"),
];

const ROTATED: &str = "Baseline-Falcon-Secret-Rotated-61aa";

/// `onboard ARGS --set customer=... --set domain=...` with the credentials in the
/// environment (`falcon_secret` replaced by `falcon_secret`), at full verbosity.
fn run(
    sb: &onboard_sandbox::SandboxHandle,
    state: &Path,
    args: &[&str],
    falcon_secret: &str,
) -> Output {
    let mut cmd = onboard(sb, state, args);
    cmd.args([
        "--set",
        "customer=Acme Dental",
        "--set",
        "domain=acme-dental.example",
    ])
    .arg("-vv");
    for (name, value) in CREDENTIALS {
        let value = if name == "falcon_secret" {
            falcon_secret
        } else {
            value
        };
        cmd.env(format!("ONBOARD_VAR_{name}"), value);
    }
    cmd.output().expect("onboard runs")
}

#[test]
fn the_security_baseline_applies_with_credentials_from_the_environment() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let first = CREDENTIALS[2].1;
    let mut shown = String::new();

    let out = run(&sb, &state, &["apply", PLAYBOOK, "--yes"], first);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    let world = sb.world();
    let tid = tenant_id(&world, "acme-dental.example");
    let acct = account(&world, &tid);
    for (table, count) in [
        ("identity_providers", 1),
        ("edr_falcon", 1),
        ("notification_channels", 1),
        ("dns_zones", 1),
        ("groups", 3), // All, Staff, Servers
    ] {
        let n = acct[table].as_array().map_or(0, Vec::len);
        assert_eq!(n, count, "{table}: {}", acct[table]);
    }

    // Again: nothing to change, nothing written.
    let mark = last_seq(&sb);
    let out = run(&sb, &state, &["apply", PLAYBOOK, "--yes"], first);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // A rotated Falcon secret: an update of that integration alone.
    let out = run(
        &sb,
        &state,
        &["plan", PLAYBOOK, "--detailed-exitcode"],
        ROTATED,
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let text = stdout(&out);
    assert!(text.contains("~ falcon"), "{text}");
    assert!(text.contains("Plan: 0 to create, 1 to update"), "{text}");
    shown += &printed(&out);
    let mark = last_seq(&sb);
    let out = run(&sb, &state, &["apply", PLAYBOOK, "--yes"], ROTATED);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(
        writes_after(&sb, mark),
        ["PUT /api/integrations/edr/falcon"]
    );

    for secret in CREDENTIALS.iter().map(|(_, v)| *v).chain([ROTATED]) {
        assert!(!shown.contains(secret), "{secret} printed:\n{shown}");
        for path in walk(dir.path()) {
            let text =
                String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
            assert!(!text.contains(secret), "{secret} in {}", path.display());
        }
    }
}
