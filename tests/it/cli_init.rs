//! `onboard init [DIR]`: the starter project it writes validates and applies on the embedded
//! sandbox with exactly the command it prints last, and it never writes over a file.

use crate::support::{binary, printed, stderr, stdout};
use serde_json::Value;
use std::path::Path;

const FILES: &[&str] = &[
    "playbook.yaml",
    "customers.yaml",
    "values.yaml",
    ".gitignore",
    "README.md",
];

/// `onboard ARGS` run in `dir`, insisting on success.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = binary()
        .args(args)
        .current_dir(dir)
        .env_remove("NB_PAT")
        .env_remove("ONBOARD_STATE_URL")
        .output()
        .expect("onboard runs");
    assert!(
        out.status.success(),
        "onboard {args:?} failed ({:?}):\n{}",
        out.status.code(),
        printed(&out)
    );
    stdout(&out)
}

/// The last line `init` printed: the command to run next.
fn next_command(printed: &str) -> String {
    printed
        .lines()
        .next_back()
        .expect("init prints something")
        .trim()
        .to_string()
}

#[test]
fn the_starter_applies_on_the_sandbox_with_the_printed_command() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let out = ok(tmp.path(), &["init"]);
    for file in FILES {
        assert!(
            tmp.path().join(file).is_file(),
            "{file} not written:\n{out}"
        );
    }
    let next = next_command(&out);
    let args: Vec<&str> = next.split_whitespace().collect();
    assert_eq!(args[0], "onboard", "{next}");
    assert!(next.contains("--sandbox"), "{next}");

    // It validates as written, for both customers, with no value to add.
    let valid = binary()
        .args([
            "validate",
            "--inventory",
            "customers.yaml",
            "--values",
            "values.yaml",
        ])
        .current_dir(tmp.path())
        .output()
        .expect("onboard runs");
    assert!(valid.status.success(), "{}", printed(&valid));
    let said = stderr(&valid);
    assert!(
        said.contains("run key `acme`") && said.contains("run key `globex`"),
        "{said}"
    );

    // The printed command applies it: a tenant per customer, the setup keys in the outputs
    // file only.
    let applied = ok(tmp.path(), &args[1..]);
    assert!(applied.contains("apply `acme`: done"), "{applied}");
    assert!(applied.contains("apply `globex`: done"), "{applied}");
    let outputs: Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("outputs.json")).expect("outputs.json"),
    )
    .expect("JSON");
    for customer in ["acme", "globex"] {
        let key = outputs[customer]["setup_key"].as_str().unwrap_or_default();
        assert!(!key.is_empty(), "no setup key for {customer}: {outputs}");
        assert!(!applied.contains(key), "a setup key printed:\n{applied}");
    }
    // Applied as written means nothing is left to do.
    let again = binary()
        .args([
            "plan",
            "--inventory",
            "customers.yaml",
            "--values",
            "values.yaml",
        ])
        .args(["--sandbox", "--detailed-exitcode"])
        .current_dir(tmp.path())
        .output()
        .expect("onboard runs");
    assert_eq!(again.status.code(), Some(0), "{}", printed(&again));

    // What must not be committed is ignored.
    let ignore = std::fs::read_to_string(tmp.path().join(".gitignore")).expect(".gitignore");
    for line in [".onboard/", "outputs.json"] {
        assert!(
            ignore.lines().any(|l| l == line),
            "{line} not ignored:\n{ignore}"
        );
    }
}

#[test]
fn init_into_a_new_folder_prints_a_command_that_goes_there() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let out = ok(tmp.path(), &["init", "acme onboarding/nb"]);
    let dir = tmp.path().join("acme onboarding/nb");
    for file in FILES {
        assert!(dir.join(file).is_file(), "{file} not written:\n{out}");
    }
    let next = next_command(&out);
    assert!(
        next.starts_with("cd 'acme onboarding/nb' && onboard apply "),
        "{next}"
    );
    // Run as a shell would, with this build of onboard first on the PATH.
    let exe = std::path::PathBuf::from(binary().get_program());
    let path = std::env::join_paths(
        std::iter::once(exe.parent().expect("a folder").to_path_buf()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ),
    )
    .expect("a PATH");
    let ran = std::process::Command::new("sh")
        .args(["-c", &next])
        .current_dir(tmp.path())
        .env("PATH", path)
        .env("GIT_CEILING_DIRECTORIES", tmp.path())
        .env_remove("NB_PAT")
        .env_remove("ONBOARD_STATE_URL")
        .output()
        .expect("sh runs");
    assert!(ran.status.success(), "{next}:\n{}", printed(&ran));
    assert!(dir.join("outputs.json").is_file());
    assert!(dir.join(".onboard").is_dir());
}

#[test]
fn init_writes_nothing_when_one_of_its_files_exists() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    std::fs::write(tmp.path().join("README.md"), "my own readme\n").expect("write");
    let out = binary()
        .arg("init")
        .current_dir(tmp.path())
        .output()
        .expect("onboard runs");
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let said = stderr(&out);
    assert!(
        said.contains("README.md") && said.contains("wrote nothing"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("README.md")).expect("README.md"),
        "my own readme\n"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("the folder")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(left, ["README.md"], "init wrote files");

    // The same when a second init runs over the first: the first project is kept as it was.
    let tmp = tempfile::tempdir().expect("a temp dir");
    ok(tmp.path(), &["init"]);
    std::fs::write(tmp.path().join("customers.yaml"), "edited\n").expect("write");
    let out = binary()
        .arg("init")
        .current_dir(tmp.path())
        .output()
        .expect("onboard runs");
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    for file in FILES {
        assert!(
            stderr(&out).contains(file),
            "{file} not named:\n{}",
            stderr(&out)
        );
    }
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("customers.yaml")).expect("customers.yaml"),
        "edited\n"
    );
}

#[test]
fn readme_install_section_shows_what_init_prints() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let install = readme
        .split("## Install")
        .nth(1)
        .expect("an Install section");
    let command = |prefix: &str| {
        install
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in README's Install section"))
            .split(" #")
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let init = command("onboard init ");
    let args: Vec<&str> = init.split_whitespace().collect();
    let tmp = tempfile::tempdir().expect("a temp dir");
    let printed = ok(tmp.path(), &args[1..]);
    assert_eq!(command("cd "), next_command(&printed));
}

#[test]
fn the_starter_readme_commands_run_on_the_sandbox() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    ok(tmp.path(), &["init"]);
    let readme = std::fs::read_to_string(tmp.path().join("README.md")).expect("README.md");
    let lines: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("onboard "))
        .map(|l| l.split(" #").next().unwrap_or_default().trim())
        .collect();
    // The rehearsal as written; the lines meant for NetBird itself (no `--sandbox`) on the
    // sandbox's world, but the second apply, which asks a person: its flags are apply's.
    let mut ran = Vec::new();
    for line in &lines {
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        let sandbox = [&args[..], &["--sandbox"]].concat();
        match args[0] {
            "validate" => {
                ok(tmp.path(), &args);
            }
            _ if line.contains("--sandbox") => {
                ok(tmp.path(), &args);
            }
            "plan" | "drift" => {
                ok(tmp.path(), &sandbox);
            }
            verb => {
                let help = ok(tmp.path(), &[verb, "--help"]);
                for flag in args.iter().filter(|a| a.starts_with("--")) {
                    assert!(help.contains(flag), "`{line}`: {verb} has no {flag}");
                }
            }
        }
        ran.push(args[0]);
    }
    assert_eq!(
        ran,
        ["validate", "apply", "plan", "apply", "drift"],
        "{lines:?}"
    );
}
