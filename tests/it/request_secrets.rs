//! A `request` step that mints a secret keeps it out of everything but the outputs file,
//! without `secret_fields`: the API client's catalogue knows what each path answers
//! (`POST /api/users/{id}/tokens`: `plain_token`; `POST /api/setup-keys`: `key`). Not in the
//! state, not in the plan (any format), not in what apply prints (text, JSON, `-vvv`), not in
//! the journal.

use std::path::Path;

use crate::support::{self, PAT, assert_private, onboard, sandbox, stderr, stdout, walk};
use serde_json::Value;

const PLAYBOOK: &str = "tests/inputs/taint/request-secrets.yaml";

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).expect("a readable file")).into_owned()
}

#[test]
fn secrets_minted_by_request_steps_reach_only_the_outputs_file() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let state = tempfile::tempdir().expect("a state dir");
    let private = tempfile::tempdir().expect("a folder for outputs");
    let outputs = private.path().join("outputs.json");
    let outputs_arg = outputs.to_str().expect("a UTF-8 path");
    let mut seen: Vec<(String, String)> = Vec::new();
    let valid = support::binary()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["validate", PLAYBOOK])
        .output()
        .expect("onboard runs");
    assert!(valid.status.success(), "{}", stderr(&valid));
    let runs: [(&[&str], bool); 4] = [
        (&["plan", PLAYBOOK, "--format", "json"], true),
        (
            &["-vvv", "apply", PLAYBOOK, "--yes", "--outputs", outputs_arg],
            true,
        ),
        // Again: the requests ran, the state answers; the report shows outputs.
        (&["apply", PLAYBOOK, "--yes", "--format", "json"], true),
        (&["plan", PLAYBOOK, "--format", "markdown"], true),
    ];
    for (args, ok) in runs {
        let out = onboard(&sb, state.path(), args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("onboard runs");
        assert_eq!(
            out.status.success(),
            ok,
            "{args:?}:\n{}\n{}",
            stdout(&out),
            stderr(&out)
        );
        seen.push((format!("{args:?}: stdout"), stdout(&out)));
        seen.push((format!("{args:?}: stderr"), stderr(&out)));
    }
    assert_private(&outputs);
    let doc: Value = serde_json::from_str(&read(&outputs)).expect("JSON outputs");
    let pat = doc["pat"]
        .as_str()
        .expect("the minted PAT is in the outputs file");
    let key = doc["raw_key"]
        .as_str()
        .expect("the raw setup key is in the outputs file");
    assert!(
        pat.starts_with("nbp_") && pat.len() > 30,
        "not a plain token"
    );
    assert!(key.len() > 20 && !key.contains('*'), "not a plain key");
    let files = walk(state.path());
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(state.path().join("state"))),
        "the state was written"
    );
    for f in &files {
        seen.push((f.display().to_string(), read(f)));
    }
    for (what, text) in &seen {
        assert!(!text.contains(PAT), "the PAT leaked into {what}");
        assert!(!text.contains(pat), "the minted PAT leaked into {what}");
        assert!(!text.contains(key), "the raw setup key leaked into {what}");
    }
    rt.block_on(sb.shutdown());
}
