//! `onboard man`: the man page, in roff, from the same clap definition as `--help`: the
//! global options and the list of commands, then a section per command with its options, then
//! the environment and the exit codes.

use clap::CommandFactory;

use crate::args::Cli;

pub fn page() -> String {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone()).manual("onboard manual");
    let mut page = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut page);
    let _ = man.render_name_section(&mut page);
    let _ = man.render_synopsis_section(&mut page);
    let _ = man.render_description_section(&mut page);
    let _ = man.render_options_section(&mut page);
    let _ = man.render_subcommands_section(&mut page);
    for sub in cmd.get_subcommands() {
        let name = format!("onboard {}", sub.get_name());
        page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        // Global options are listed once, above.
        let sub = sub
            .clone()
            .bin_name(&name)
            .mut_args(|a| if a.is_global_set() { a.hide(true) } else { a });
        let sub = clap_mangen::Man::new(sub);
        let mut part = Vec::new();
        let _ = sub.render_synopsis_section(&mut part);
        let _ = sub.render_description_section(&mut part);
        let _ = sub.render_options_section(&mut part);
        if sub_has_subcommands(&name, &cmd) {
            let _ = sub.render_subcommands_section(&mut part);
        }
        // The command's own parts are subsections of its section.
        let part = String::from_utf8_lossy(&part).replace(".SH ", ".SS ");
        page.extend_from_slice(part.as_bytes());
    }
    let _ = man.render_extra_section(&mut page);
    let _ = man.render_version_section(&mut page);
    let page = String::from_utf8_lossy(&page)
        .replace(".SH EXTRA", ".SH \"ENVIRONMENT AND EXIT STATUS\"")
        .replace(".SS \"GLOBAL OPTIONS\"\n", "");
    // Each rendered part starts with the same string definition: keep the first.
    let (head, rest) = page.split_at(page.find(PREAMBLE).map_or(0, |at| at + PREAMBLE.len()));
    format!("{head}{}", rest.replace(PREAMBLE, ""))
}

/// The definition clap_mangen puts before every part it renders.
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

fn sub_has_subcommands(name: &str, cmd: &clap::Command) -> bool {
    let name = name.trim_start_matches("onboard ");
    cmd.find_subcommand(name)
        .is_some_and(|s| s.has_subcommands())
}
