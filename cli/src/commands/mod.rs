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

/// A new single-key `did:realdid` (Ed25519, with a fresh recovery key whose commitment the
/// create operation carries): the key and the signed create operation.
pub fn single_key_did(
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
    .sign(Some(KeyId::first()), &key)?;
    Ok((key, signed))
}
