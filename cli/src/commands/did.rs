//! `realdid did`: create did:realdid identifiers and resolve holder DIDs.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use realdid_core::codec::{ChainId, Encode as _, Transaction};
use realdid_core::did::{
    CreateOp, Did, DidOperation, DocumentState, KeyId, Purposes, RecoveryCommitment,
    VerificationKey, apply, document,
};
use realdid_core::keys::{Algorithm, DidJwk, DidKey, Jwk, SigningKey};
use serde_json::json;

use crate::error::CliError;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Alg {
    /// Ed25519 (EdDSA).
    Ed25519,
    /// P-256 (ES256).
    P256,
}

impl From<Alg> for Algorithm {
    fn from(a: Alg) -> Self {
        match a {
            Alg::Ed25519 => Algorithm::EdDsa,
            Alg::P256 => Algorithm::Es256,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DidCommand {
    /// Generates a device key and a recovery key and builds the signed create operation of a
    /// new did:realdid (submitting it needs a registry node).
    New {
        /// Key algorithm.
        #[arg(long, value_enum, default_value = "ed25519")]
        alg: Alg,
        /// Writes the private keys (JWK) to this file, readable only by you.
        #[arg(long)]
        keys_out: Option<PathBuf>,
        /// The chain the operation is signed for: the `chain_id` of its genesis. An
        /// operation signed for one chain is refused on every other.
        #[arg(long, default_value = realdid_registry::devnet::DEVNET_CHAIN_ID, value_parser = ChainId::parse)]
        chain: ChainId,
    },
    /// Resolves a DID to its document: did:key and did:jwk from the identifier alone,
    /// did:realdid from the registry, checked with the validators' keys (a proof of the
    /// state at a finalized height).
    Resolve {
        /// The DID.
        did: String,
        #[command(flatten)]
        registry: super::registry_args::RegistryArgs,
        /// Print one JSON object: the document and, for did:realdid, the proof's height.
        #[arg(long)]
        json: bool,
    },
    /// Prints the did:key and did:jwk of a public JWK.
    FromJwk {
        /// The JWK as JSON text.
        jwk: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: DidCommand) -> Result<(), CliError> {
    match cmd {
        DidCommand::New {
            alg,
            keys_out,
            chain,
        } => new(alg.into(), keys_out, &chain),
        DidCommand::Resolve {
            did,
            registry,
            json,
        } => resolve(&did, &registry, json),
        DidCommand::FromJwk { jwk, json } => {
            let key = Jwk::from_json(&jwk)?.to_public_key()?;
            let did_key = DidKey::from_public_key(&key).did().to_string();
            let did_jwk = DidJwk::from_public_key(&key)?.did().to_string();
            if json {
                println!("{}", json!({"did_key": did_key, "did_jwk": did_jwk}));
            } else {
                println!("{did_key}");
                println!("{did_jwk}");
            }
            Ok(())
        }
    }
}

fn new(alg: Algorithm, keys_out: Option<PathBuf>, chain: &ChainId) -> Result<(), CliError> {
    let device = SigningKey::generate(alg)?;
    let recovery = SigningKey::generate(alg)?;
    let device_id: KeyId = "device".parse()?;
    let create = DidOperation::Create(CreateOp {
        document: DocumentState {
            keys: vec![VerificationKey {
                id: device_id.clone(),
                key: device.public_key(),
                purposes: Purposes::AUTHENTICATION.with(Purposes::CAPABILITY_INVOCATION),
            }],
            services: vec![],
        },
        recovery_commitment: RecoveryCommitment::to(&recovery.public_key()),
    })
    .sign(chain, Some(device_id), &device)?;
    // Applying the create to an empty state checks it exactly as the registry will.
    let state = apply(chain, None, &create)?;
    let doc = document::realdid_document(&state)?;
    let tx = Transaction::Did(create).encode();

    println!("{}", state.did);
    println!("{}", serde_json::to_string_pretty(&doc)?);
    println!(
        "create transaction ({} bytes): {}",
        tx.len(),
        hex::encode(&tx)
    );
    if let Some(path) = keys_out {
        let keys = json!({
            "did": state.did.as_str(),
            "device": Jwk::from_signing_key(&device)?,
            "recovery": Jwk::from_signing_key(&recovery)?,
        });
        write_private(&path, &serde_json::to_vec_pretty(&keys)?)?;
        eprintln!("private keys written to {}", path.display());
    } else {
        eprintln!("keys not kept: pass --keys-out FILE to keep them");
    }
    Ok(())
}

pub(super) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let io = |source| CliError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

fn resolve(
    did: &str,
    registry: &super::registry_args::RegistryArgs,
    json: bool,
) -> Result<(), CliError> {
    let doc = match did.parse::<Did>()? {
        Did::Key(d) => document::did_key_document(&d)?,
        Did::Jwk(d) => document::did_jwk_document(&d)?,
        Did::Realdid(d) => {
            let proven = super::runtime()?.block_on(async {
                registry
                    .gateway()?
                    .resolve_did_at(&d)
                    .await
                    .map_err(CliError::from)
            })?;
            let Some(record) = proven.value else {
                return Err(CliError::Refused(format!(
                    "{d} is not on the registry (proven absent at height {})",
                    proven.height
                )));
            };
            let doc = document::realdid_document(&record.state)?;
            let deactivated = record.state.is_deactivated();
            if json {
                println!(
                    "{}",
                    json!({
                        "document": doc,
                        "proven_at_height": proven.height,
                        "version": record.state.version,
                        "updated_height": record.updated_height,
                        "deactivated": deactivated,
                    })
                );
                return Ok(());
            }
            println!("{}", serde_json::to_string_pretty(&doc)?);
            eprintln!(
                "proven at height {} (version {}, last changed at height {}{})",
                proven.height,
                record.state.version,
                record.updated_height,
                if deactivated { ", deactivated" } else { "" }
            );
            return Ok(());
        }
    };
    if json {
        println!("{}", json!({ "document": doc }));
    } else {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(())
}
