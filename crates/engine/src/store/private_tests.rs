//! Tests of private files: the stale-temp and symlinked-temp defects of the old
//! predictable `.NAME.tmp`, refused targets, folder modes, the writability check.

use super::*;
use std::os::unix::fs::PermissionsExt;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_stale_world_readable_temp_file_does_not_make_the_file_readable() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let stale = dir.path().join(".out.json.tmp");
    std::fs::write(&stale, "old").unwrap();
    std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o644)).unwrap();
    write_private(&out, b"{\"key\": \"secret\"}").unwrap();
    assert_eq!(mode(&out), 0o600);
    assert_eq!(std::fs::read_to_string(&stale).unwrap(), "old");
}

#[test]
fn a_symlink_planted_at_the_temp_name_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    let out = dir.path().join("out.json");
    std::os::unix::fs::symlink(&victim, dir.path().join(".out.json.tmp")).unwrap();
    write_private(&out, b"secret").unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "secret");
    assert_eq!(mode(&out), 0o600);
}

#[test]
fn an_existing_readable_file_is_replaced_by_a_private_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    write_private(&out, b"new").unwrap();
    assert_eq!(mode(&out), 0o600);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no temp file is left behind");
}

#[test]
fn a_symlink_or_a_non_regular_target_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    let link = dir.path().join("out.json");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let err = check_target(&link).unwrap_err().to_string();
    assert!(err.contains("symbolic link"), "{err}");
    assert!(write_private(&link, b"secret").is_err());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    let err = check_target(dir.path()).unwrap_err().to_string();
    assert!(err.contains("not a regular file"), "{err}");
    assert!(check_target(Path::new("/dev/null")).is_err());
    assert!(check_target(&dir.path().join("absent")).is_ok());
    assert!(check_target(&victim).is_ok());
}

#[test]
fn folders_it_creates_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("state").join("pb").join("acme.json");
    write_private(&out, b"{}").unwrap();
    assert_eq!(mode(&dir.path().join("state")), 0o700);
    assert_eq!(mode(&dir.path().join("state").join("pb")), 0o700);
}

#[test]
fn writability_is_checked_without_leaving_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join(".onboard");
    check_writable(&state).unwrap();
    assert_eq!(mode(&state), 0o700);
    assert_eq!(std::fs::read_dir(&state).unwrap().count(), 0);
    // A folder that cannot exist: its parent is a file (fails for root too).
    let file = dir.path().join("plain");
    std::fs::write(&file, "").unwrap();
    let err = check_writable(&file.join("state")).unwrap_err().to_string();
    assert!(err.contains("not writable"), "{err}");
}
