//! `apply` refuses every invalid playbook of `tests/inputs/invalid/` before any request: the
//! exit code is 1 and the sandbox's request log stays empty (not even a read).

use crate::support;

use std::path::Path;

#[test]
fn invalid_playbooks_send_no_request() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = support::sandbox(&rt);
    let state = tempfile::tempdir().expect("tempdir");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/invalid");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    fixtures.sort();
    let mut checked = 0;
    for path in fixtures {
        let bytes = std::fs::read(&path).expect("fixture");
        // Fixtures with arguments need their values; they are about inputs, covered by validate.
        if bytes.starts_with(b"# args:") {
            continue;
        }
        let out = support::run(&sb, state.path(), &[path.to_str().expect("utf-8 path")]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {}",
            path.display(),
            support::stderr(&out)
        );
        assert!(
            sb.log().is_empty(),
            "{}: apply sent requests: {:?}",
            path.display(),
            sb.log()
        );
        checked += 1;
    }
    assert!(checked >= 80, "only {checked} fixtures ran");
    rt.block_on(sb.shutdown());
}
