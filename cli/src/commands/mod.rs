//! One module per subcommand.

pub mod authority;
pub mod bench;
pub mod bench_issuer;
pub mod bench_verifier;
pub mod chain;
pub mod demo;
pub mod devnet_issuer;
pub mod devnet_verifier;
pub mod did;
pub mod id;
pub mod issuer;
pub mod journey;
pub mod verifier;
pub mod wallet;

/// Logging to standard error: `RUST_LOG` when set, else `level`, else `info`.
pub fn init_logging(level: Option<&str>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{},commonware=warn", level.unwrap_or("info")))
    });
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what supervisors send), naming which.
pub async fn stop_signal() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

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

/// The chain that offline commands (`demo`, `bench issuer`) sign DID operations for: the
/// devnet's. Their DIDs never reach a registry, and the chain does not change a DID.
pub fn offline_chain() -> Result<realdid_core::codec::ChainId, crate::error::CliError> {
    realdid_core::codec::ChainId::parse(realdid_registry::devnet::DEVNET_CHAIN_ID)
        .map_err(|e| crate::error::CliError::Usage(format!("chain id: {e}")))
}

/// A new single-key `did:realdid` (Ed25519, with a fresh recovery key whose commitment the
/// create operation carries), signed for `chain`: the key and the signed create operation.
pub fn single_key_did(
    chain: &realdid_core::codec::ChainId,
    purposes: realdid_core::did::Purposes,
) -> Result<
    (
        realdid_core::keys::SigningKey,
        realdid_core::did::SignedDidOperation,
    ),
    crate::error::CliError,
> {
    use realdid_core::did::{CreateOp, DidOperation, KeyId};
    use realdid_core::keys::{Algorithm, SigningKey};
    let key = SigningKey::generate(Algorithm::EdDsa)?;
    let recovery = SigningKey::generate(Algorithm::EdDsa)?;
    let signed = DidOperation::Create(CreateOp::single_key(
        &key.public_key(),
        purposes,
        &recovery.public_key(),
    ))
    .sign(chain, Some(KeyId::first()), &key)?;
    Ok((key, signed))
}

/// Now in Unix seconds.
pub fn unix_s() -> i64 {
    i64::try_from(unix_ms() / 1000).unwrap_or(i64::MAX)
}

/// Now in Unix ms; also the devnet's governance nonces, which must never repeat (the time
/// in ms is unique enough for a local network).
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
