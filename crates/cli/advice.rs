//! What to do about a secret onboard could not keep: for a setup key, the exact command that
//! replaces it (`--rotate-setup-keys`, with the playbook, customer, inputs and state of the
//! run that lost it, and the outputs file that will keep the new one).

use onboard_engine::ops::LostSecret;

use crate::args::ApplyArgs;

/// How to replace a lost secret of run `run_key`. `saved`: the run applied a saved plan.
pub fn rotate(args: &ApplyArgs, run_key: &str, lost: &LostSecret, saved: bool) -> String {
    let id = lost.id.as_deref().unwrap_or("(id unknown)");
    match lost.ty.as_str() {
        "setup_key" if saved => format!(
            "make a plan that rotates it and apply that: `onboard plan PLAYBOOK ... \
             --rotate-setup-keys --out PLAN.json` with the values of the saved plan, then `{}`",
            command(
                &["onboard", "apply", "PLAN.json", "--rotate-setup-keys"],
                args
            )
        ),
        "setup_key" => command(&rotate_words(args, run_key), args),
        "token" => format!(
            "delete token {id} in NetBird (Team, Users, its user, Access tokens), then apply \
             again: it creates a new one"
        ),
        "user" => format!(
            "the user ({id}) sets a new password; or delete the user in NetBird and apply again \
             to invite them anew"
        ),
        ty => format!("NetBird will not show it again: delete {ty} {id} and apply again"),
    }
}

/// `onboard apply` with this run's playbook, customer, inputs and connection, and
/// `--rotate-setup-keys`.
fn rotate_words(args: &ApplyArgs, run_key: &str) -> Vec<String> {
    let (input, api) = (&args.input, &args.api);
    let mut w: Vec<String> = vec!["onboard".into(), "apply".into()];
    if let Some(p) = &input.playbook_arg {
        w.push(p.display().to_string());
    }
    let mut flag = |name: &str, value: String| {
        w.push(name.to_owned());
        w.push(value);
    };
    if let Some(inventory) = &input.given.inventory {
        flag("--inventory", inventory.display().to_string());
        flag("--only", run_key.to_owned());
    }
    for v in &input.given.values {
        flag("--values", v.display().to_string());
    }
    for s in &input.given.set {
        flag("--set", s.clone());
    }
    // From the environment, the URL is there for the next command too; with a URL the folder
    // is not used.
    let from_env = std::env::var("ONBOARD_STATE_URL").ok();
    match &api.state_url {
        Some(url) if from_env.as_ref() != Some(url) => flag("--state-url", without_password(url)),
        Some(_) => {}
        None if api.state_dir != std::path::Path::new(".onboard") => {
            flag("--state-dir", api.state_dir.display().to_string());
        }
        None => {}
    }
    if let Some(account) = &api.account {
        flag("--account", account.clone());
    }
    if let Some(file) = &api.token_file {
        flag("--token-file", file.display().to_string());
    }
    if api.sandbox {
        w.push("--sandbox".into());
    }
    w.push("--rotate-setup-keys".into());
    w
}

/// The words as one shell command line, ending with the outputs file.
fn command(words: &[impl AsRef<str>], args: &ApplyArgs) -> String {
    let outputs = args
        .outputs
        .as_ref()
        .map_or_else(|| "FILE".to_owned(), |p| quote(&p.display().to_string()));
    let line: Vec<String> = words.iter().map(|w| quote(w.as_ref())).collect();
    format!("{} --outputs {outputs}", line.join(" "))
}

/// A word for a POSIX shell: as is when it is plain, else in single quotes.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    match plain {
        true => word.to_owned(),
        false => format!("'{}'", word.replace('\'', r"'\''")),
    }
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db`: never print a password.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_a_shell_needs_it() {
        assert_eq!(quote("playbooks/a.yaml"), "playbooks/a.yaml");
        assert_eq!(
            quote("admins=[ops@acme.example]"),
            "'admins=[ops@acme.example]'"
        );
        assert_eq!(quote("customer=Acme Corp"), "'customer=Acme Corp'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_state_url_is_shown_without_its_password() {
        assert_eq!(
            without_password("postgres://ops:s3cret@db.example:5432/onboard?sslmode=require"),
            "postgres://ops@db.example:5432/onboard?sslmode=require"
        );
        assert_eq!(
            without_password("postgres://ops@db/onboard"),
            "postgres://ops@db/onboard"
        );
    }
}
