//! Errors of the sandbox's own lifecycle (starting, loading and saving the world), as
//! opposed to the API errors it answers to clients (`http::error::ApiError`).

use std::path::PathBuf;

/// Why the sandbox could not start or serve.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A configuration value is out of range.
    #[error("invalid sandbox configuration: {0}")]
    Config(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address from the configuration.
        addr: std::net::SocketAddr,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The data file exists but could not be read.
    #[error("cannot read sandbox data file {path}")]
    ReadData {
        /// The data file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The data file is not a sandbox world.
    #[error("sandbox data file {path} is not a valid world")]
    ParseData {
        /// The data file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// The data file could not be written.
    #[error("cannot write sandbox data file {path}")]
    WriteData {
        /// The data file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for Ctrl-C failed.
    #[error("cannot wait for ctrl-c")]
    Signal(#[source] std::io::Error),
}
