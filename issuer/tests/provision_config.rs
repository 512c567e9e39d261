//! A provisioned issuer directory: its configuration parses and its rules refuse bad
//! settings by name; its secret files are private; its keys derive its DID and rotate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use realdid_core::did::{KeyId, Purposes, apply};
use realdid_issuer::IssuerError;
use realdid_issuer::config::IssuerConfig;
use realdid_issuer::keys::IssuerKeys;
use realdid_issuer::privacy::person_index::Argon2Cost;
use realdid_issuer::privacy::secrets::DataSecrets;
use realdid_issuer::provision::{ProvisionOptions, provision};

/// The chain the operations in these tests are signed for.
fn chain() -> realdid_core::codec::ChainId {
    realdid_core::codec::ChainId::parse("realdid-test").expect("a chain id")
}

fn options() -> ProvisionOptions {
    ProvisionOptions {
        display_name: "Test".into(),
        genesis: "/nonexistent/genesis.toml".into(),
        registry: vec!["http://127.0.0.1:1".into()],
        authority: "http://127.0.0.1:2".into(),
        authority_key: realdid_core::keys::DidKey::from_public_key(
            &realdid_core::keys::SigningKey::generate(realdid_core::keys::Algorithm::EdDsa)
                .unwrap()
                .public_key(),
        )
        .did()
        .as_str()
        .to_owned(),
        grpc_listen: "127.0.0.1:3".parse().unwrap(),
        http_listen: "127.0.0.1:4".parse().unwrap(),
        disclosure_delay_seconds: 60,
        argon2: Argon2Cost::default(),
        operator: "officer".into(),
        tls: Default::default(),
        metrics_listen: None,
    }
}

fn config_error(text: &str, dir: &Path) -> String {
    match IssuerConfig::parse(text, dir) {
        Err(IssuerError::Config(message)) => message,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn provisioned_directory_parses_and_bad_settings_are_named() -> Result<(), IssuerError> {
    let dir = tempfile::tempdir().map_err(|e| IssuerError::Internal(e.to_string()))?;
    let made = provision(dir.path(), &options())?;
    let config = IssuerConfig::load(&made.config_path)?;
    assert_eq!(config.trace.disclosure_delay_seconds, 60);
    assert_eq!(config.operators.len(), 1);
    assert_eq!(config.data_dir, dir.path().join("data"));
    assert!(config.credential_type("").is_some());
    assert!(config.credential_type("urn:other").is_none());
    // A second provision into the same directory is refused.
    assert!(matches!(
        provision(dir.path(), &options()),
        Err(IssuerError::Config(_))
    ));

    let text = std::fs::read_to_string(&made.config_path)
        .map_err(|e| IssuerError::Internal(e.to_string()))?;
    // The approvers and k are governance's, on chain: a configuration that still lists
    // them is refused rather than silently believed.
    let listed = text.replace("[trace]\n", "[trace]\napprovals_required = 2\n");
    assert_ne!(listed, text, "the provisioned file has a [trace] table");
    assert!(config_error(&listed, dir.path()).contains("approvals_required"));
    assert!(config_error(&format!("{text}\nsurprise = 1\n"), dir.path()).contains("surprise"));
    assert!(
        config_error(&text.replace("$argon2id$", "$nonsense"), dir.path())
            .contains("password_hash")
    );
    // Argon2 costs below the floor, for the person index and for a password hash.
    let cheap_index = text.replace("memory_kib = 19456", "memory_kib = 4096");
    assert_ne!(
        cheap_index, text,
        "the provisioned file names the index's memory"
    );
    assert!(config_error(&cheap_index, dir.path()).contains("below the floor"));
    let cheap_hash = text.replace("m=19456,t=2", "m=4096,t=1");
    assert_ne!(
        cheap_hash, text,
        "the provisioned file holds a default-cost hash"
    );
    let refused = config_error(&cheap_hash, dir.path());
    assert!(
        refused.contains("password_hash") && refused.contains("below the floor"),
        "{refused}"
    );
    let argon2i = text.replace("$argon2id$", "$argon2i$");
    assert!(config_error(&argon2i, dir.path()).contains("not argon2id"));

    // No approver key is made at the issuer: approvers make their own.
    assert!(!dir.path().join("approvers").exists());
    Ok(())
}

#[test]
fn a_provisioned_issuer_with_tls_serves_it_and_trusts_its_ca() -> Result<(), IssuerError> {
    let dir = tempfile::tempdir().map_err(|e| IssuerError::Internal(e.to_string()))?;
    let tls = realdid_proto::tls::ServiceTls {
        cert: Some("/etc/realdid/issuer.pem".into()),
        key: Some("/etc/realdid/issuer.key".into()),
        client_ca: None,
        ca: Some("/etc/realdid/network-ca.pem".into()),
    };
    let made = provision(
        dir.path(),
        &ProvisionOptions {
            tls: tls.clone(),
            ..options()
        },
    )?;
    let config = IssuerConfig::load(&made.config_path)?;
    assert_eq!(config.tls, tls);
    let served = config
        .tls
        .server()
        .map_err(|e| IssuerError::Config(e.to_string()))?;
    assert!(served.is_some(), "the issuer serves TLS");
    assert!(
        config.public_base_url.starts_with("https://"),
        "status lists are published at https:// URIs: {}",
        config.public_base_url
    );
    // Half a server certificate is refused, naming the table.
    let text = std::fs::read_to_string(&made.config_path)
        .map_err(|e| IssuerError::Internal(e.to_string()))?;
    let broken = text.replace("key = \"/etc/realdid/issuer.key\"\n", "");
    assert!(config_error(&broken, dir.path()).contains("tls.cert and tls.key"));
    Ok(())
}

#[test]
fn secret_files_readable_by_others_are_refused() -> Result<(), IssuerError> {
    let dir = tempfile::tempdir().map_err(|e| IssuerError::Internal(e.to_string()))?;
    let made = provision(dir.path(), &options())?;
    let secrets = dir.path().join("issuer-secrets.json");
    DataSecrets::load(&secrets)?;
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o644))
        .map_err(|e| IssuerError::Internal(e.to_string()))?;
    match DataSecrets::load(&secrets) {
        Err(IssuerError::Config(message)) => assert!(message.contains("chmod 600"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let keys = realdid_issuer::keys::load(&dir.path().join("issuer-keys.json"))?;
    assert_eq!(keys.did(), made.keys.did());
    Ok(())
}

#[test]
fn keys_derive_their_did_and_rotation_keeps_the_old_signer() -> Result<(), IssuerError> {
    let keys = IssuerKeys::generate()?;
    let create = keys.create_operation(&chain())?;
    assert_eq!(
        create,
        keys.create_operation(&chain())?,
        "the same bytes every time"
    );
    let state = apply(&chain(), None, &create).map_err(|e| IssuerError::Internal(e.to_string()))?;
    assert_eq!(&state.did, keys.did());
    keys.check_against(&state)?;
    let (rotated, update) = keys.rotate(&chain(), &state)?;
    let next =
        apply(&chain(), Some(&state), &update).map_err(|e| IssuerError::Internal(e.to_string()))?;
    assert_eq!(rotated.active_key_id().as_str(), "key-2");
    rotated.check_against(&next)?;
    // The old signer is still an assertion key: its credentials keep verifying.
    assert!(
        next.key_for(&KeyId::first(), Purposes::ASSERTION_METHOD)
            .is_some()
    );
    // Against the old document the new key is not yet valid.
    assert!(matches!(
        rotated.check_against(&state),
        Err(realdid_core::did::OrgKeysError::NotListed { .. })
    ));
    Ok(())
}
