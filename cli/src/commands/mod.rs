//! One module per subcommand.

pub mod authority;
pub mod bench;
pub mod chain;
pub mod demo;
pub mod did;
pub mod id;

/// The async runtime of the commands that talk gRPC or run servers.
pub fn runtime() -> Result<tokio::runtime::Runtime, crate::error::CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| crate::error::CliError::Io {
            path: "tokio runtime".into(),
            source,
        })
}
