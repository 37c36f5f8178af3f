//! The leak test: every command, output format and verbosity, a failing run, with the
//! recognisable PAT ([`support::PAT`]) and the setup keys the runs create. No secret may
//! appear anywhere but the `--outputs` files: not in stdout or stderr of any command (text,
//! json, markdown, `-v` to `-vvv`), not in `plan --out`, not in any file under the state
//! folder (state, journals, locks). The outputs files hold the keys, in plaintext, mode 0600.
//!
//! The runs share one sandbox and one state folder, in the order an operator would go:
//! validate, graph, plan (three formats, saved), apply, apply again, rotate the keys, a run
//! that creates a key and then fails, destroy of that run.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{self, PAT, assert_private, onboard, sandbox, stderr, stdout, walk};
use serde_json::Value;

const PLAYBOOK: &str = "playbooks/msp-customer.yaml";
const FAILING: &str = "tests/inputs/apply/leak-failure.yaml";
const VALUES: &[&str] = &[
    "--set",
    "customer=Acme Corp",
    "--set",
    "domain=acme.example",
    "--set",
    "admins=[ops@acme.example]",
];

/// Everything the commands printed, by what printed it.
#[derive(Default)]
struct Seen(Vec<(String, String)>);

impl Seen {
    fn record(&mut self, what: &str, out: &Output) {
        self.0.push((format!("{what}: stdout"), stdout(out)));
        self.0.push((format!("{what}: stderr"), stderr(out)));
    }
}

/// `onboard ARGS` without `--state-dir` (validate and graph take none), with the PAT set.
fn offline(args: &[&str]) -> Output {
    support::binary()
        .args(args)
        .env("NB_PAT", PAT)
        .env_remove("RUST_LOG")
        .output()
        .expect("onboard runs")
}

fn with_values<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    let mut args = head.to_vec();
    args.extend_from_slice(VALUES);
    args.extend_from_slice(tail);
    args
}

/// The plaintext setup key at `key` of an outputs file, after checking the file is private.
fn key_in(outputs: &Path, key: &str) -> String {
    assert_private(outputs);
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(outputs).expect("the outputs file is written"),
    )
    .expect("the outputs file is JSON");
    let value = doc[key]
        .as_str()
        .unwrap_or_else(|| panic!("no `{key}` in {}", outputs.display()));
    assert!(
        value.len() > 20 && !value.contains('*'),
        "not a plaintext key"
    );
    value.to_owned()
}

#[test]
fn no_secret_outside_the_outputs_file_in_any_command() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let state = tempfile::tempdir().expect("a state dir");
    let private = tempfile::tempdir().expect("a folder for outputs and plans");
    let file = |name: &str| -> PathBuf { private.path().join(name) };
    let (out1, out2, out3, saved) = (
        file("first.json"),
        file("rotated.json"),
        file("failed.json"),
        file("plan.json"),
    );
    let arg = |p: &Path| p.to_str().expect("a UTF-8 path").to_owned();
    let (out1_a, out2_a, out3_a, saved_a) = (arg(&out1), arg(&out2), arg(&out3), arg(&saved));
    let mut seen = Seen::default();
    for (what, args) in [
        ("validate", with_values(&["validate", PLAYBOOK], &[])),
        ("graph", vec!["graph", PLAYBOOK]),
        (
            "graph mermaid",
            vec!["graph", PLAYBOOK, "--format", "mermaid"],
        ),
    ] {
        let out = offline(&args);
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        seen.record(what, &out);
    }
    let mut run = |what: &str, args: &[&str], expect_ok: bool| {
        let out = onboard(&sb, state.path(), args)
            .output()
            .expect("onboard runs");
        assert_eq!(
            out.status.success(),
            expect_ok,
            "{what}: exit {:?}\n{}\n{}",
            out.status.code(),
            stdout(&out),
            stderr(&out)
        );
        seen.record(what, &out);
    };

    run("plan", &with_values(&["plan", PLAYBOOK], &[]), true);
    run(
        "plan json -vvv",
        &with_values(&["-vvv", "plan", PLAYBOOK], &["--format", "json"]),
        true,
    );
    run(
        "plan markdown",
        &with_values(&["plan", PLAYBOOK], &["--format", "markdown"]),
        true,
    );
    run(
        "plan --out",
        &with_values(&["plan", PLAYBOOK], &["--out", &saved_a]),
        true,
    );
    run(
        "apply -v",
        &with_values(&["-v", "apply", PLAYBOOK, "--yes"], &["--outputs", &out1_a]),
        true,
    );
    run(
        "apply json -vvv",
        &with_values(&["-vvv", "apply", PLAYBOOK, "--yes"], &["--format", "json"]),
        true,
    );
    run(
        "apply --rotate-setup-keys -vv",
        &with_values(
            &["-vv", "apply", PLAYBOOK, "--yes"],
            &[
                "--rotate-setup-keys",
                "--outputs",
                &out2_a,
                "--format",
                "json",
            ],
        ),
        true,
    );
    run(
        "failing apply -vv",
        &["-vv", "apply", FAILING, "--yes", "--outputs", &out3_a],
        false,
    );
    // The failing run's tenant: destroying the rotated playbook's tenant fails today (the
    // revoked key still holds its group), which is not what this test is about.
    run("destroy -vv", &["-vv", "destroy", FAILING, "--yes"], true);

    let keys = [
        key_in(&out1, "setup_key"),
        key_in(&out2, "setup_key"),
        key_in(&out3, "setup_key"),
    ];
    assert_ne!(keys[0], keys[1], "rotation made a new key");
    assert!(
        seen.0
            .iter()
            .any(|(w, t)| w.starts_with("apply json") && t.contains("DEBUG")),
        "-vvv logs were captured"
    );
    let mut texts = seen.0;
    assert_private(&saved);
    texts.push(("plan --out file".into(), read(&saved)));
    let files = walk(state.path());
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(state.path().join("runs"))),
        "journals exist"
    );
    for f in &files {
        texts.push((f.display().to_string(), read(f)));
    }
    for (what, text) in &texts {
        assert!(!text.contains(PAT), "the PAT leaked into {what}");
        for key in &keys {
            assert!(
                !text.contains(key.as_str()),
                "a setup key leaked into {what}"
            );
        }
    }
    rt.block_on(sb.shutdown());
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).expect("a readable file")).into_owned()
}

/// A run killed in the middle (SIGKILL after its first finished step) leaves nothing secret
/// behind, and the run that completes it afterwards puts its key only in `--outputs`.
#[test]
fn an_interrupted_run_leaks_nothing() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    // Slow answers, so that the run is still going when it is killed.
    let sb = support::sandbox_with(
        &rt,
        onboard_sandbox::SandboxConfig {
            rate_limit: None,
            latency_ms: 150,
            ..onboard_sandbox::SandboxConfig::default()
        },
    );
    let state = tempfile::tempdir().expect("a state dir");
    let private = tempfile::tempdir().expect("a folder for outputs");
    let outputs = private.path().join("outputs.json");
    let outputs_arg = outputs.to_str().expect("a UTF-8 path");
    let args = with_values(
        &["-vv", "apply", PLAYBOOK, "--yes"],
        &["--outputs", outputs_arg],
    );
    let mut child = onboard(&sb, state.path(), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("onboard starts");
    let mut progress = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    let mut line = String::new();
    // Progress prints a line per finished step: kill at the first one.
    while progress.read_line(&mut line).expect("stderr is readable") > 0 {
        seen.push_str(&line);
        let done = line.contains("(created)");
        line.clear();
        if done {
            break;
        }
    }
    child.kill().expect("kill the run");
    let killed = child.wait_with_output().expect("the run ends");
    assert!(
        !killed.status.success(),
        "the run was killed before it finished"
    );
    assert!(!outputs.exists(), "an interrupted run writes no outputs");
    let mut texts = vec![("killed run: stderr".to_owned(), seen)];
    texts.push(("killed run: stdout".into(), stdout(&killed)));

    let out = onboard(&sb, state.path(), &args)
        .output()
        .expect("onboard runs");
    assert!(out.status.success(), "the completing run: {}", stderr(&out));
    let key = key_in(&outputs, "setup_key");
    texts.push(("completing run: stdout".into(), stdout(&out)));
    texts.push(("completing run: stderr".into(), stderr(&out)));
    for f in walk(state.path()) {
        texts.push((f.display().to_string(), read(&f)));
    }
    for (what, text) in &texts {
        assert!(!text.contains(PAT), "the PAT leaked into {what}");
        assert!(
            !text.contains(key.as_str()),
            "the setup key leaked into {what}"
        );
    }
    rt.block_on(sb.shutdown());
}

/// `--outputs` pointing through a symlink: the secrets never reach the link's target, and the
/// run says it refused and fails.
#[test]
fn outputs_through_a_symlink_are_refused() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let state = tempfile::tempdir().expect("a state dir");
    let victim = state.path().join("victim.txt");
    std::fs::write(&victim, "untouched").expect("write the victim");
    let link = state.path().join("outputs.json");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&victim, &link).expect("a symlink");
    let link_arg = link.to_str().expect("a UTF-8 path");
    let args = with_values(&["apply", PLAYBOOK, "--yes"], &["--outputs", link_arg]);
    let out = onboard(&sb, state.path(), &args)
        .output()
        .expect("onboard runs");
    assert!(!out.status.success(), "a symlinked --outputs is refused");
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(read(&victim), "untouched");
    rt.block_on(sb.shutdown());
}

/// A PAT given as a value, however it is written, is refused before anything is planned, at
/// the place it was given, and never repeated: with `--set`, in a values file with a YAML
/// escape (`nbp\u005f...`) or a line continuation, in a playbook, in an inventory. Against the
/// sandbox nothing is written, no state is made, and the PAT is in no output.
#[test]
fn a_pat_given_as_a_value_is_refused_wherever_it_enters() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let write = |name: &str, text: String| -> String {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write a fixture");
        path.to_str().expect("a UTF-8 path").to_owned()
    };
    let rest = &PAT[4..];
    let (head, tail) = rest.split_at(12);
    let playbook = write(
        "pb.yaml",
        "version: 1\nname: pb\ninputs:\n  customer: { type: string }\n  admins: { type: list, default: [] }\n\
         steps:\n  - id: servers\n    type: group\n    with: { name: \"{{ inputs.customer }}\" }\n"
            .to_owned(),
    );
    let escaped = write("escaped.yaml", format!("customer: \"nbp\\u005f{rest}\"\n"));
    let folded = write(
        "folded.yaml",
        format!("admins: []\ncustomer: \"nbp_{head}\\\n    {tail}\"\n"),
    );
    let in_playbook = write(
        "in-playbook.yaml",
        format!(
            "version: 1\nname: pb\nsteps:\n  - id: servers\n    type: group\n    with: {{ name: \"nbp\\x5f{rest}\" }}\n"
        ),
    );
    let inventory = write(
        "inventory.yaml",
        format!("customers:\n  acme:\n    customer: \"\\x6ebp_{rest}\"\n"),
    );
    let set = format!("customer={PAT}");
    let set_list = format!("admins=[ok, \"nbp\\u005f{rest}\"]");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec![&playbook, "--set", &set], "--set customer=".into()),
        (
            vec![&playbook, "--set", "customer=x", "--set", &set_list],
            "--set admins=".into(),
        ),
        (
            vec![&playbook, "--values", &escaped],
            format!("{escaped}:1:11"),
        ),
        (
            vec![&playbook, "--values", &folded],
            format!("{folded}:2:11"),
        ),
        (vec![&in_playbook], format!("{in_playbook}:6:19")),
        (
            vec![&playbook, "--inventory", &inventory],
            format!("{inventory}:3:15"),
        ),
    ];
    for (args, at) in &cases {
        let mut all = vec!["validate"];
        all.extend(args);
        let out = offline(&all);
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{all:?} is refused:\n{text}");
        let flat = support::flat(&text);
        assert!(
            flat.contains(at.as_str()) && flat.contains("personal access token"),
            "{all:?}: located at {at}:\n{text}"
        );
        assert!(
            !text.contains(head) && !text.contains(tail),
            "{all:?} repeated the token:\n{text}"
        );
    }
    // The same against the API: refused before anything is read or written.
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let state = dir.path().join("state");
    for args in [
        vec!["plan", playbook.as_str(), "--set", set.as_str()],
        vec!["apply", playbook.as_str(), "--set", set.as_str(), "--yes"],
        vec![
            "apply",
            playbook.as_str(),
            "--values",
            escaped.as_str(),
            "--yes",
        ],
    ] {
        let out = onboard(&sb, &state, &args).output().expect("onboard runs");
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{args:?}:\n{text}");
        assert!(
            !text.contains(head) && !text.contains(tail),
            "{args:?}:\n{text}"
        );
    }
    // An input's value from the environment: refused naming the variable, not the value.
    for args in [vec!["plan"], vec!["apply", "--yes"]] {
        let command = args[0];
        let mut all = args.clone();
        all.push(playbook.as_str());
        let out = onboard(&sb, &state, &all)
            .env("ONBOARD_VAR_customer", PAT)
            .output()
            .expect("onboard runs");
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{command}:\n{text}");
        assert!(
            support::flat(&text).contains("`ONBOARD_VAR_customer`"),
            "{command}:\n{text}"
        );
        assert!(
            !text.contains(head) && !text.contains(tail),
            "{command}:\n{text}"
        );
    }
    assert!(support::writes(&sb.log()).is_empty(), "nothing was written");
    assert!(
        walk(&state).is_empty(),
        "no state, journal or lock was made"
    );
    rt.block_on(sb.shutdown());
}
