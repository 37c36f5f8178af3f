//! What an installed binary says about itself: `--version` names the commit and date it was
//! built from (when built from a git work tree), and `onboard man` is a roff man page with a
//! section for every command.

use crate::support::{binary, stdout};
use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = binary().args(args).output().expect("onboard runs");
    assert!(out.status.success(), "onboard {args:?} failed");
    stdout(&out)
}

/// The commands `onboard --help` lists (but `help`).
fn commands() -> Vec<String> {
    let help = run(&["--help"]);
    let list = help
        .split("Commands:\n")
        .nth(1)
        .expect("a command list")
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .to_string();
    list.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn version_names_the_commit_and_date_it_was_built_from() {
    let version = run(&["--version"]);
    let root = env!("CARGO_MANIFEST_DIR");
    let git = Command::new("git")
        .args(["-C", root, "log", "-1", "--format=%H %cs"])
        .output();
    let want = match git {
        Ok(out) if out.status.success() => {
            let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let (commit, date) = line.split_once(' ').expect("commit and date");
            format!(
                "onboard {} (commit {}, {date})\n",
                env!("CARGO_PKG_VERSION"),
                &commit[..9]
            )
        }
        // Built without git (or outside a work tree): the version alone.
        _ => format!("onboard {}\n", env!("CARGO_PKG_VERSION")),
    };
    assert_eq!(version, want);
}

#[test]
fn man_page_is_roff_with_a_section_per_command() {
    let page = run(&["man"]);
    assert!(
        page.lines().any(|l| l.starts_with(".TH onboard 1 ")),
        "no .TH title:\n{page}"
    );
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH \"GLOBAL OPTIONS\"",
        ".SH SUBCOMMANDS",
    ] {
        assert!(page.contains(section), "{section} missing");
    }
    let commands = commands();
    assert!(commands.len() >= 13, "{commands:?}");
    for command in &commands {
        let section = format!(".SH \"ONBOARD {}\"", command.to_uppercase());
        assert!(page.contains(&section), "no section for `{command}`");
        let synopsis = format!("\\fBonboard {command}\\fR");
        assert!(page.contains(&synopsis), "no synopsis for `{command}`");
    }
    // The environment and the exit codes, as every --help ends.
    assert!(page.contains("ENVIRONMENT AND EXIT STATUS"));
    assert!(page.contains("NB_PAT") && page.contains("130 interrupted"));
    // groff, when present, reads it without a warning.
    let Ok(mut groff) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        return;
    };
    use std::io::Write;
    groff
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("groff reads");
    let out = groff.wait_with_output().expect("groff runs");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
