//! The CLI's error: every library error, and the exit code it maps to (the one place).

use std::process::ExitCode;

use realdid_core::ErrorKind;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A DID was refused.
    #[error(transparent)]
    Did(#[from] realdid_core::did::DidError),
    /// A key was refused.
    #[error(transparent)]
    Key(#[from] realdid_core::keys::KeyError),
    /// An organisation's DID keys could not be read or made.
    #[error(transparent)]
    OrgKeys(#[from] realdid_core::did::OrgKeysError),
    /// A resident identity number was refused.
    #[error("{0}")]
    ResidentId(#[from] realdid_core::resident_id::ResidentIdError),
    /// An SD-JWT was refused.
    #[error(transparent)]
    SdJwt(#[from] realdid_core::sd_jwt::SdJwtError),
    /// A status list was refused.
    #[error(transparent)]
    StatusList(#[from] realdid_core::status_list::StatusListError),
    /// The registry node or devnet failed.
    #[error(transparent)]
    Registry(#[from] realdid_registry::RegistryError),
    /// A read or submission to the registry chain failed.
    #[error(transparent)]
    RegistryClient(#[from] realdid_registry_client::ClientError),
    /// The issuer or the identity authority failed.
    #[error(transparent)]
    Issuer(#[from] realdid_issuer::IssuerError),
    /// The verifier failed.
    #[error(transparent)]
    Verifier(#[from] realdid_verifier::VerifierError),
    /// The wallet failed.
    #[error(transparent)]
    Wallet(realdid_wallet::WalletError),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// JSON output failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A service answered a call with an error status.
    #[error("{what}: {} ({:?})", .status.message(), .status.code())]
    Remote {
        /// What was asked.
        what: String,
        /// The answer.
        #[source]
        status: Box<tonic::Status>,
    },
    /// The arguments make no sense together.
    #[error("{0}")]
    Usage(String),
    /// A check refused what it was shown (a revoked credential, a replayed presentation).
    #[error("refused: {0}")]
    Refused(String),
}

impl CliError {
    fn kind(&self) -> Option<ErrorKind> {
        match self {
            Self::Did(e) => Some(e.kind()),
            Self::Key(e) => Some(e.kind()),
            Self::ResidentId(e) => Some(e.kind()),
            Self::SdJwt(e) => Some(e.kind()),
            Self::StatusList(e) => Some(e.kind()),
            Self::Refused(_) => Some(ErrorKind::Rejected),
            Self::Remote { status, .. } => Some(ErrorKind::of_grpc_code(status.code() as i32)),
            Self::Registry(e) => Some(e.kind()),
            Self::RegistryClient(e) => Some(e.kind()),
            Self::Issuer(e) => Some(e.kind()),
            Self::Verifier(e) => Some(e.kind()),
            Self::Wallet(e) => Some(e.kind()),
            Self::OrgKeys(_) => None,
            Self::Io { .. } | Self::Json(_) | Self::Usage(_) => None,
        }
    }

    /// 2: the input was refused (invalid, forged, expired, unsupported, not allowed);
    /// 3: a registry node stopped because its own data or execution cannot be trusted (a
    /// damaged data directory, a diverging block): restarting it as it is cannot help, so a
    /// service manager should not (systemd: `RestartPreventExitStatus=3`);
    /// 64: the arguments make no sense; 1: anything else (a service unavailable, a bug).
    /// The one place errors become exit statuses, by their kind.
    pub fn exit_code(&self) -> ExitCode {
        match (self, self.kind()) {
            (_, Some(kind)) if kind.is_refusal() => ExitCode::from(2),
            (Self::Registry(e), _) if e.fault().is_some() => ExitCode::from(3),
            (Self::Usage(_), _) => ExitCode::from(64),
            _ => ExitCode::from(1),
        }
    }
}
