//! Crash safety: `onboard apply` killed with SIGKILL at many points of a run, against a slow
//! API that drops responses, and re-run after each kill, ends with exactly one of every
//! declared object and a state file that agrees with the world.
//!
//! Four sequences run side by side, because a run costs seconds here (30 ms a request plus a
//! backoff for every dropped answer); their kill points interleave, one at each request of a
//! run from the 1st to the 24th (apply executes the plan: a whole run is about 45 calls, a
//! run after the world converged about 13).

use crate::support::*;
use onboard_sandbox::{SandboxConfig, SandboxHandle};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const DOMAIN: &str = "fleet.example";
/// Sequences, and kills per sequence: sequence i kills its k-th run at that run's request
/// `1 + i + STRIDE * k` (k from 0), so together they cover requests 1, 2, ..., 24.
const SEQUENCES: usize = 4;
const KILLS: usize = 6;
const STRIDE: usize = SEQUENCES;
/// Long enough for any one run even with retries; only a guard against a hang.
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn fleet_apply(sb: &SandboxHandle, state: &Path) -> Command {
    let playbook = state.join("fleet.yaml");
    let playbook = playbook.to_str().expect("a UTF-8 temp path");
    let args = [
        playbook,
        "--set",
        "customer=Fleet",
        "--set",
        "domain=fleet.example",
    ];
    command(sb, state, &args)
}

/// How a run ended.
struct Ended {
    killed: bool,
    /// Requests the sandbox logged for this run, and how many of them were writes.
    requests: usize,
    writes: usize,
}

/// Starts apply and SIGKILLs it once the sandbox has logged `kill_at` requests of this run,
/// or lets it finish if it gets there first.
fn run_until(sb: &SandboxHandle, state: &Path, kill_at: usize) -> Ended {
    let before = sb.log().len();
    let mut child = fleet_apply(sb, state)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("onboard starts");
    let started = Instant::now();
    let killed = loop {
        if child.try_wait().expect("child status").is_some() {
            break false;
        }
        if sb.log().len() - before >= kill_at {
            child.kill().expect("SIGKILL delivered");
            child.wait().expect("killed child reaped");
            break true;
        }
        assert!(started.elapsed() < RUN_LIMIT, "apply hung");
        // A poll interval, not a synchronisation: the condition is the request log.
        std::thread::sleep(Duration::from_millis(3));
    };
    let log = sb.log();
    let mine = &log[before.min(log.len())..];
    Ended {
        killed,
        requests: mine.len(),
        writes: mine.iter().filter(|e| e.method != "GET").count(),
    }
}

/// One declared object: its step, its world collection, and its name (for a router, the
/// step of its network).
struct Decl {
    step: String,
    coll: &'static str,
    key: String,
}

/// A playbook of 40 steps (plus the MSP group it reads): 10 groups, 2 setup keys, 10
/// policies between the groups, 4 networks with 3 resources each, 2 routers. Every object
/// has an identity (a name, or a router's network and peer groups), so a re-run finds it.
fn fleet() -> (String, Vec<Decl>) {
    let mut y = String::from(
        "version: 1\nname: resume-fleet\n\
         inputs:\n  customer: { type: string }\n  domain: { type: string }\n\
         tenant:\n  name: \"{{ inputs.customer }}\"\n  domain: \"{{ inputs.domain }}\"\n\
         \x20 groups: [{ id: \"{{ steps.msp_admins.id }}\", role: admin }]\n\
         steps:\n\
         \x20 - { id: msp_admins, type: group, scope: msp, existing: true, with: { name: MSP Admins } }\n",
    );
    let mut decls = Vec::new();
    let mut decl = |step: String, coll, key: String| decls.push(Decl { step, coll, key });
    let team = |i: usize| format!("team_{:02}", (i % 10) + 1);
    let id = |step: &str| format!("\"{{{{ steps.{step}.id }}}}\"");
    for i in 0..10 {
        let step = team(i);
        y += &format!("  - {{ id: {step}, type: group, with: {{ name: {step} }} }}\n");
        decl(step.clone(), "groups", step);
    }
    for (step, groups) in [("key_staff", vec![0, 1]), ("key_routers", vec![9])] {
        let groups: Vec<String> = groups.into_iter().map(|g| id(&team(g))).collect();
        y += &format!(
            "  - {{ id: {step}, type: setup_key, with: {{ name: {step}, type: reusable, \
             expires_in: 604800, auto_groups: [{}] }} }}\n",
            groups.join(", ")
        );
        decl(step.to_owned(), "setup_keys", step.to_owned());
    }
    for i in 0..10 {
        let step = format!("policy_{i:02}");
        let port = 8000 + i;
        y += &format!(
            "  - {{ id: {step}, type: policy, with: {{ name: {step}, rules: [{{ name: p{port}, \
             protocol: tcp, ports: [\"{port}\"], bidirectional: false, sources: [{}], \
             destinations: [{}] }}] }} }}\n",
            id(&team(i)),
            id(&team(i + 1))
        );
        decl(step.clone(), "policies", step);
    }
    for (n, net) in ["north", "south", "east", "west"].into_iter().enumerate() {
        let net_step = format!("net_{net}");
        y += &format!(
            "  - {{ id: {net_step}, type: network, with: {{ name: {net_step}, description: {net} site }} }}\n"
        );
        decl(net_step.clone(), "networks", net_step.clone());
        for r in 1..=3 {
            let step = format!("{net}_{r}");
            y += &format!(
                "  - {{ id: {step}, type: network_resource, with: {{ network_id: {}, \
                 name: {step}, address: 10.{}.{r}.0/24, groups: [{}] }} }}\n",
                id(&net_step),
                n + 1,
                id(&team(n * 3 + r))
            );
            decl(step.clone(), "network_resources", step);
        }
        if n < 2 {
            let step = format!("{net}_router");
            y += &format!(
                "  - {{ id: {step}, type: network_router, with: {{ network_id: {}, \
                 peer_groups: [{}], metric: 100 }} }}\n",
                id(&net_step),
                id(&team(9))
            );
            decl(step, "network_routers", net_step);
        }
    }
    (y, decls)
}

/// Kill runs at requests `1 + i + STRIDE * k` for k = 0..KILLS, re-running after each
/// kill, then run to completion and check the world and the state. Returns the kills that
/// cut a run short and, of those, the ones that landed after the run had written something.
fn crash_and_resume(i: usize) -> (usize, usize) {
    let seed = 7 + i as u64;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox_with(
        &rt,
        SandboxConfig {
            rate_limit: None,
            latency_ms: 30,
            drop_rate: 0.1,
            seed: Some(seed),
            ..SandboxConfig::default()
        },
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let (playbook, declared) = fleet();
    std::fs::write(dir.path().join("fleet.yaml"), playbook).expect("playbook written");

    let (mut kills, mut mid_write) = (0, 0);
    for k in 0..KILLS {
        let ended = run_until(&sb, dir.path(), 1 + i + STRIDE * k);
        kills += usize::from(ended.killed);
        mid_write += usize::from(ended.killed && ended.writes > 0);
        eprintln!(
            "seed {seed} kill {k}: killed {} after {} requests, {} writes",
            ended.killed, ended.requests, ended.writes
        );
    }

    // Then to completion; a dropped connection may fail a run, so allow a few.
    let finished = (0..3).any(|_| {
        let out = fleet_apply(&sb, dir.path()).output().expect("onboard runs");
        out.status.success()
    });
    assert!(
        finished,
        "seed {seed}: apply never finished after the kills"
    );
    check_converged(&sb.world(), dir.path(), &declared);

    // Settled: one more run writes nothing.
    let mark = last_seq(&sb);
    let again = fleet_apply(&sb, dir.path()).output().expect("onboard runs");
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());
    rt.block_on(sb.shutdown());
    (kills, mid_write)
}

/// Exactly one of every declared object, nothing else besides the account's own, and a
/// state file that agrees with the world both ways.
fn check_converged(world: &Value, state_dir: &Path, declared: &[Decl]) {
    let tid = tenant_id(world, DOMAIN);
    let acct = &world["accounts"][&tid];
    let live = |d: &Decl| -> Value {
        if d.coll == "network_routers" {
            let net = id(acct, "networks", &d.key);
            let routers: Vec<&Value> = objects(acct, d.coll)
                .iter()
                .filter(|r| r["network_id"] == net.as_str())
                .collect();
            assert_eq!(routers.len(), 1, "{}: {routers:#?}", d.step);
            routers[0].clone()
        } else {
            one(acct, d.coll, &d.key).clone()
        }
    };
    for coll in [
        "groups",
        "setup_keys",
        "policies",
        "networks",
        "network_resources",
        "network_routers",
    ] {
        let declared = declared.iter().filter(|d| d.coll == coll).count();
        let builtin = usize::from(matches!(coll, "groups" | "policies")); // All, Default
        let found = objects(acct, coll);
        assert_eq!(found.len(), declared + builtin, "{coll}: {found:#?}");
    }

    let state = state_file(state_dir);
    assert_eq!(state["tenant"]["id"], tid.as_str());
    let steps = state["steps"].as_object().expect("state steps");
    for (address, record) in steps {
        let id = record["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{address} has no id"));
        let coll = collection_of(record["type"].as_str().expect("a type"));
        let found = find_by_id(world, id);
        assert!(
            found.iter().any(|(_, c, _)| c == coll),
            "{address}: {id} is not one of the world's {coll}"
        );
    }
    for d in declared {
        let record = steps
            .get(&d.step)
            .unwrap_or_else(|| panic!("{} not in the state", d.step));
        assert_eq!(record["id"], live(d)["id"], "{}", d.step);
    }
    assert_eq!(
        steps.len(),
        declared.len() + 1,
        "the declared steps and msp_admins"
    );
}

#[test]
fn killed_at_twenty_points_and_resumed_it_converges_without_duplicates() {
    let sequences: Vec<_> = (0..SEQUENCES)
        .map(|i| std::thread::spawn(move || crash_and_resume(i)))
        .collect();
    let (mut kills, mut mid_write) = (0, 0);
    for s in sequences {
        let (k, w) = s.join().unwrap();
        kills += k;
        mid_write += w;
    }
    assert!(kills >= 20, "only {kills} kills cut a run short");
    assert!(
        mid_write >= 6,
        "only {mid_write} kills landed after a run had written"
    );
}
