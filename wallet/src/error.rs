//! The wallet's one error type. Each variant says what was wrong in words a citizen (or the
//! app showing it to one) can act on; `kind` groups them for exit codes.

use std::path::PathBuf;

/// Everything that can go wrong in the wallet.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The passphrase does not open this wallet (the file itself is intact).
    #[error("wrong passphrase for {path}")]
    WrongPassphrase {
        /// The wallet or backup file.
        path: PathBuf,
    },
    /// The file is not a realdid wallet (or backup) at all.
    #[error("{path} is not a realdid {expected} file")]
    NotAWallet {
        /// The file.
        path: PathBuf,
        /// "wallet" or "backup".
        expected: &'static str,
    },
    /// The file is damaged: truncated, a byte changed, or contents that do not decode.
    /// Nothing was read from it.
    #[error("{path} is damaged: {reason}; nothing was read from it")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is damaged.
        reason: String,
    },
    /// The file is of a newer format or asks for unsupported key derivation.
    #[error("{path}: {reason}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is unsupported.
        reason: String,
    },
    /// A wallet already exists where one would be created.
    #[error("{0} exists already; refusing to overwrite a wallet")]
    Exists(PathBuf),
    /// Another process (or another open in this one) has the wallet open and holds its
    /// lock. Each opener saves the whole contents, so two at once would let the later save
    /// drop what the earlier one saved (a new DID's keys); the second is refused instead.
    #[error(
        "{path} is in use: another process holds its lock {lock}; try again once it has finished"
    )]
    InUse {
        /// The wallet file.
        path: PathBuf,
        /// The lock file beside it.
        lock: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// A passphrase or key-derivation setting is not acceptable.
    #[error("{0}")]
    Passphrase(String),
    /// The registry could not be read or refused a DID operation.
    #[error("registry: {0}")]
    Registry(#[from] realdid_registry_client::ClientError),
    /// The registry's answer does not show what the wallet submitted.
    #[error("registry: {0}")]
    RegistryState(String),
    /// An issuer or a verifier could not be reached.
    #[error("{service} {endpoint}: cannot connect: {source}")]
    Unreachable {
        /// Which service.
        service: Service,
        /// Its address.
        endpoint: String,
        /// The TLS settings' or the transport's error.
        #[source]
        source: realdid_proto::tls::TlsError,
    },
    /// An issuer or a verifier answered a call with an error status.
    #[error("{service}: {what}: {} ({:?})", .status.message(), .status.code())]
    Call {
        /// Which service.
        service: Service,
        /// What the wallet asked for.
        what: String,
        /// Its answer.
        #[source]
        status: Box<tonic::Status>,
    },
    /// The issuer decided not to issue.
    #[error("enrolment refused ({reason}): {message}")]
    EnrolmentRefused {
        /// The contract's refusal reason.
        reason: String,
        /// The issuer's detail.
        message: String,
    },
    /// An issuer's answer breaks the contract (a DID that does not parse, no result).
    #[error("issuer: {0}")]
    Issuer(String),
    /// A verifier's answer breaks the contract.
    #[error("verifier: {0}")]
    Verifier(String),
    /// A presentation request the wallet will not answer, and why.
    #[error("request refused: {0}")]
    Request(String),
    /// Nothing in the wallet matches what was asked for.
    #[error("{0}")]
    NotFound(String),
    /// A credential that does not parse, or that is not this wallet's to hold.
    #[error("credential: {0}")]
    Credential(String),
    /// A key or signature operation failed.
    #[error("keys: {0}")]
    Keys(String),
    /// The system's random source failed.
    #[error("randomness: {0}")]
    Randomness(#[source] getrandom::Error),
}

/// The services a wallet calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// An issuer.
    Issuer,
    /// A verifier.
    Verifier,
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Issuer => "issuer",
            Self::Verifier => "verifier",
        })
    }
}

impl WalletError {
    /// What kind of failure this is, for exit codes: refusals of what the holder brought
    /// (a bad passphrase, a damaged file, a refused request) are refusals; a service that
    /// cannot be reached, or a wallet in use, is unavailable; the rest is internal.
    pub fn kind(&self) -> realdid_core::ErrorKind {
        use realdid_core::ErrorKind as K;
        match self {
            Self::WrongPassphrase { .. } | Self::Request(_) => K::Rejected,
            Self::NotAWallet { .. } | Self::Damaged { .. } | Self::Credential(_) => K::InvalidInput,
            Self::Passphrase(_) => K::InvalidInput,
            Self::Unsupported { .. } => K::Unsupported,
            Self::NotFound(_) => K::NotFound,
            Self::Registry(e) => e.kind(),
            Self::EnrolmentRefused { .. } => K::Rejected,
            Self::Call { status, .. } => K::of_grpc_code(status.code() as i32),
            Self::InUse { .. }
            | Self::RegistryState(_)
            | Self::Unreachable { .. }
            | Self::Issuer(_)
            | Self::Verifier(_) => K::Unavailable,
            Self::Exists(_) | Self::Io { .. } | Self::Keys(_) | Self::Randomness(_) => K::Internal,
        }
    }

    /// A map_err for a failed call to `service`, naming what was asked.
    pub(crate) fn call(
        service: Service,
        what: impl Into<String>,
    ) -> impl FnOnce(tonic::Status) -> Self {
        let what = what.into();
        move |status| Self::Call {
            service,
            what,
            status: Box::new(status),
        }
    }

    /// A map_err for a failed connection to `service` at `endpoint`.
    pub(crate) fn unreachable(
        service: Service,
        endpoint: &str,
    ) -> impl FnOnce(realdid_proto::tls::TlsError) -> Self + '_ {
        move |source| Self::Unreachable {
            service,
            endpoint: endpoint.to_owned(),
            source,
        }
    }

    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn keys(e: impl std::fmt::Display) -> Self {
        Self::Keys(e.to_string())
    }
}

/// Fills `bytes` from the system's random source.
pub(crate) fn random(bytes: &mut [u8]) -> Result<(), WalletError> {
    getrandom::fill(bytes).map_err(WalletError::Randomness)
}
