//! The TLS options of a service's `init` command, the same for every service: its own
//! certificate and key, and the CA its peers' certificates chain to.

use std::path::PathBuf;

use clap::Args;
use realdid_proto::tls::ServiceTls;

use crate::error::CliError;

/// `--tls-cert`, `--tls-key`, `--tls-ca`.
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// The service's TLS certificate chain (PEM): serve over TLS, and show it to peers that
    /// require client certificates.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The service's TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The CA that its peers' certificates chain to (the system's roots when absent).
    #[arg(long)]
    tls_ca: Option<PathBuf>,
}

impl TlsArgs {
    /// The settings, with absolute paths: the configuration that holds them is written
    /// elsewhere than where they were named.
    pub fn settings(&self) -> Result<ServiceTls, CliError> {
        let absolute = |path: &Option<PathBuf>| {
            path.as_ref()
                .map(|p| {
                    std::path::absolute(p).map_err(|source| CliError::Io {
                        path: p.display().to_string(),
                        source,
                    })
                })
                .transpose()
        };
        Ok(ServiceTls {
            cert: absolute(&self.tls_cert)?,
            key: absolute(&self.tls_key)?,
            client_ca: None,
            ca: absolute(&self.tls_ca)?,
        })
    }
}
