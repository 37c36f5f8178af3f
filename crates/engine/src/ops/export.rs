//! `export`: a playbook that reproduces an existing account, as text or in a private file.

use std::path::PathBuf;

use crate::diag::{Diags, printable};
use crate::ops::connect::{Api, Connector, client_with};
use crate::ops::{Frontend, OpError};

pub struct Options {
    pub api: Api,
    /// The playbook's `name` (default: from the account's domain).
    pub name: Option<String>,
    /// Write it here (0600) instead of returning it.
    pub out: Option<PathBuf>,
}

/// What was exported: the text, or where it was written.
pub enum Exported {
    Text(String),
    Written { path: String },
}

pub async fn export(
    opts: &Options,
    connector: &dyn Connector,
    ui: &dyn Frontend,
) -> Result<Exported, Diags> {
    // An export names an account's objects, ids and addresses: `out` is written like every
    // private file (0600, atomic, never through a link), and a link there is refused before
    // anything is read.
    if let Some(path) = &opts.out {
        crate::store::private::check_target(path).map_err(OpError::from)?;
    }
    let eopts = crate::export::Options {
        account: opts.api.account.clone(),
        name: opts.name.clone(),
    };
    let client = client_with(connector, &opts.api, ui.notices()).await?;
    let text = crate::export::export(&client, &eopts).await;
    connector.close().await;
    let text = text?;
    match &opts.out {
        Some(path) => {
            crate::store::private::write_private(path, text.as_bytes())
                .map_err(|e| OpError::write(path, e))?;
            Ok(Exported::Written {
                path: printable(&path.display().to_string()).into_owned(),
            })
        }
        None => Ok(Exported::Text(text)),
    }
}
