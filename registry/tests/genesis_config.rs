//! The genesis file, node configuration, key files and the devnet layout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use commonware_codec::DecodeFixed as _;
use commonware_cryptography::{Signer as _, ed25519};
use realdid_core::keys::{Algorithm, DidKey, Jwk, SigningKey};
use realdid_registry::config::{NodeConfig, Tuning, read_key_file, write_key_file};
use realdid_registry::devnet::{DevnetLayout, Transport, generate};
use realdid_registry::genesis::{Genesis, parse_validator_key};
use realdid_registry_client::ClientError;

fn validator_key(i: u8) -> ed25519::PrivateKey {
    ed25519::PrivateKey::decode_fixed([i + 1; 32]).unwrap()
}

fn validator_hex(i: u8) -> String {
    hex::encode(validator_key(i).public_key().as_ref())
}

fn governance_key(i: u8) -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::EdDsa, &[100 + i; 32]).unwrap()
}

fn did_key(i: u8) -> String {
    DidKey::from_public_key(&governance_key(i).public_key())
        .did()
        .to_string()
}

/// A JWK as an inline TOML table.
fn jwk_table(jwk: &Jwk) -> String {
    let mut members = vec![
        format!("kty = {:?}", jwk.kty),
        format!("crv = {:?}", jwk.crv),
        format!("x = {:?}", jwk.x),
    ];
    if let Some(d) = &jwk.d {
        members.push(format!("d = {d:?}"));
    }
    format!("{{ {} }}", members.join(", "))
}

fn validator_block(name: &str, key: &str, p2p: &str, grpc: &str) -> String {
    format!(
        "[[validators]]\nname = \"{name}\"\npublic_key = \"{key}\"\np2p_address = \"{p2p}\"\n\
         grpc_address = \"{grpc}\"\n\n"
    )
}

/// A good genesis of `n` validators; governance 2 of 3, one key in each accepted form.
fn genesis_text(n: u8) -> String {
    let mut text =
        String::from("chain_id = \"realdid-test\"\ngenesis_time_unix_ms = 1763730000000\n\n");
    for i in 0..n {
        text.push_str(&validator_block(
            &format!("v{i}"),
            &validator_hex(i),
            &format!("127.0.0.1:{}", 30000 + u16::from(i)),
            &format!("127.0.0.1:{}", 31000 + u16::from(i)),
        ));
    }
    let jwk = Jwk::from_public_key(&governance_key(2).public_key()).unwrap();
    let multibase = did_key(1).trim_start_matches("did:key:").to_owned();
    text.push_str(&format!(
        "[governance]\nthreshold = 2\nkeys = [\"{}\", \"{multibase}\", {}]\n",
        did_key(0),
        jwk_table(&jwk)
    ));
    text
}

fn parse_error(text: &str) -> String {
    Genesis::parse(text).unwrap_err().to_string()
}

fn assert_error(text: &str, expected: &str) {
    let error = parse_error(text);
    assert!(
        error.contains(expected),
        "error {error:?} does not contain {expected:?}"
    );
}

#[test]
fn a_good_genesis_parses() {
    let genesis = Genesis::parse(&genesis_text(4)).unwrap();
    assert_eq!(genesis.chain_id().as_str(), "realdid-test");
    assert_eq!(genesis.genesis_time_unix_ms(), 1_763_730_000_000);
    assert_eq!(genesis.validators().len(), 4);
    assert_eq!(genesis.fault_tolerance(), 1);
    assert_eq!(genesis.quorum(), 3);

    // Validators are sorted by key, and indices agree everywhere.
    let keys = genesis.validator_keys();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    for (i, v) in genesis.validators().iter().enumerate() {
        assert_eq!(v.public_key(), &keys[i]);
        assert_eq!(genesis.validator_index(v.public_key()), Some(i));
    }
    let v0 = genesis
        .validators()
        .iter()
        .find(|v| v.name() == "v0")
        .unwrap();
    assert_eq!(v0.public_key(), &validator_key(0).public_key());
    assert_eq!(v0.p2p_address(), "127.0.0.1:30000".parse().unwrap());
    assert_eq!(v0.grpc_address(), "127.0.0.1:31000".parse().unwrap());

    let governance = genesis.governance_config();
    assert_eq!(governance.threshold(), 2);
    let mut expected: Vec<_> = (0..3).map(|i| governance_key(i).public_key()).collect();
    for key in &expected {
        assert!(governance.keys().contains(key));
    }
    assert_eq!(governance.keys().len(), 3);
    let execution = realdid_registry::execute::Governance::of(&genesis);
    assert_eq!(execution.threshold, 2);
    expected.sort_by_key(|k| governance.keys().iter().position(|g| g == k));
    assert_eq!(execution.keys, expected);
}

#[test]
fn fault_tolerance_and_quorum() {
    for (n, f, q) in [
        (1, 0, 1),
        (2, 0, 2),
        (3, 0, 3),
        (4, 1, 3),
        (5, 1, 4),
        (7, 2, 5),
    ] {
        let genesis = Genesis::parse(&genesis_text(n)).unwrap();
        assert_eq!(
            (genesis.fault_tolerance(), genesis.quorum()),
            (f, q),
            "n = {n}"
        );
    }
}

#[test]
fn genesis_hash_is_pinned() {
    let genesis = Genesis::parse(&genesis_text(4)).unwrap();

    // The encoding, rebuilt by hand from the layout in the genesis module's docs.
    let mut expected = b"realdid/genesis/v1".to_vec();
    expected.push(12);
    expected.extend_from_slice(b"realdid-test");
    expected.extend_from_slice(&1_763_730_000_000u64.to_be_bytes());
    expected.push(4);
    let mut keys: Vec<Vec<u8>> = (0..4)
        .map(|i| validator_key(i).public_key().as_ref().to_vec())
        .collect();
    keys.sort();
    expected.extend(keys.concat());
    expected.extend_from_slice(&2u64.to_be_bytes());
    expected.push(3);
    let mut governance: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            let mut key = vec![1u8]; // Ed25519's algorithm tag
            key.extend(governance_key(i).public_key().to_bytes());
            key
        })
        .collect();
    governance.sort();
    expected.extend(governance.concat());
    assert_eq!(genesis.canonical_bytes(), expected);

    // Regenerating this value is a deliberate act: it changes the identity of every chain.
    assert_eq!(
        genesis.genesis_hash().to_string(),
        "f618cb7387d91b1a9d83f551d8658ae532835a4cda9e291327ff097e9c0813ac"
    );
}

#[test]
fn genesis_hash_covers_rules_not_labels() {
    let base = Genesis::parse(&genesis_text(4)).unwrap().genesis_hash();

    // Renaming a validator or moving it to a new address keeps the chain's identity.
    let moved = genesis_text(4)
        .replace("name = \"v1\"", "name = \"renamed\"")
        .replace("127.0.0.1:30001", "10.1.2.3:40000");
    assert_eq!(Genesis::parse(&moved).unwrap().genesis_hash(), base);

    // Listing validators in another order changes nothing either.
    let mut reordered =
        String::from("chain_id = \"realdid-test\"\ngenesis_time_unix_ms = 1763730000000\n\n");
    for i in (0..4u8).rev() {
        reordered.push_str(&validator_block(
            &format!("v{i}"),
            &validator_hex(i),
            &format!("127.0.0.1:{}", 30000 + u16::from(i)),
            &format!("127.0.0.1:{}", 31000 + u16::from(i)),
        ));
    }
    let governance = genesis_text(4);
    let governance = &governance[governance.find("[governance]").unwrap()..];
    reordered.push_str(governance);
    assert_eq!(Genesis::parse(&reordered).unwrap().genesis_hash(), base);

    // Everything that decides validity changes it.
    for changed in [
        genesis_text(4).replace("realdid-test", "realdid-other"),
        genesis_text(4).replace("1763730000000", "1763730000001"),
        genesis_text(4).replace("threshold = 2", "threshold = 3"),
        genesis_text(3),
    ] {
        assert_ne!(Genesis::parse(&changed).unwrap().genesis_hash(), base);
    }
}

#[test]
fn to_toml_round_trips() {
    let genesis = Genesis::parse(&genesis_text(4)).unwrap();
    let again = Genesis::parse(&genesis.to_toml()).unwrap();
    assert_eq!(again, genesis);
    assert_eq!(again.genesis_hash(), genesis.genesis_hash());
}

#[test]
fn each_broken_rule_names_its_field() {
    let good = genesis_text(4);

    assert_error(&good.replace("realdid-test", "Realdid_Test"), "chain_id:");
    assert_error(
        &good.replace("realdid-test", ""),
        "chain_id: must be 1 to 64",
    );
    assert_error(&good.replace("chain_id", "chain_name"), "chain_name");
    assert_error(&format!("extra = 1\n{good}"), "unknown field `extra`");

    let no_validators = good.split("[[validators]]").next().unwrap().to_owned()
        + "validators = []\n"
        + &good[good.find("[governance]").unwrap()..];
    assert_error(
        &no_validators,
        "validators: at least one validator is needed",
    );

    let hex2 = validator_hex(2);
    assert_error(
        &good.replace(&hex2, "abcd"),
        "validators[2].public_key: not 32 hex bytes",
    );
    assert_error(
        &good.replace(&hex2, &"zz".repeat(32)),
        "validators[2].public_key: not 32 hex bytes",
    );
    let not_a_point = (0u8..=255)
        .map(|b| {
            let mut bytes = [0u8; 32];
            bytes[0] = b;
            bytes[1] = 7;
            hex::encode(bytes)
        })
        .find(|h| parse_validator_key(h).is_err())
        .expect("some y coordinate is not on the curve");
    assert_error(
        &good.replace(&hex2, &not_a_point),
        "validators[2].public_key: not a valid Ed25519 public key",
    );
    assert_error(
        &good.replace(&hex2, &validator_hex(0)),
        "validators[2].public_key: same key as validators[0].public_key",
    );
    assert_error(
        &good.replace("name = \"v3\"", "name = \"v1\""),
        "validators[3].name: \"v1\" is also validators[1].name",
    );
    assert_error(
        &good.replace("name = \"v3\"", "name = \"v 3\""),
        "validators[3].name:",
    );
    assert_error(
        &good.replace("127.0.0.1:30003", "127.0.0.1:31000"),
        "validators[3].p2p_address: 127.0.0.1:31000 is also validators[0].grpc_address",
    );
    assert_error(
        &good.replace("127.0.0.1:31001", "127.0.0.1:30001"),
        "validators[1].grpc_address: 127.0.0.1:30001 is also validators[1].p2p_address",
    );
    assert_error(
        &good.replace("\"127.0.0.1:30001\"", "\"localhost\""),
        "p2p_address",
    );
    assert_error(
        &good.replace("name = \"v0\"", "name = \"v0\"\nstake = 10"),
        "unknown field `stake`",
    );

    assert_error(
        &good.replace("threshold = 2", "threshold = 0"),
        "governance.threshold: must be at least 1",
    );
    assert_error(
        &good.replace("threshold = 2", "threshold = 4"),
        "governance.threshold: 4 is more than the 3 keys",
    );
    assert_error(
        &good.replace(&did_key(0), "did:web:example.com"),
        "governance.keys[0]:",
    );
    assert_error(
        &good.replace(&did_key(0), "not a key"),
        "governance.keys[0]: expected a did:key",
    );
    // The JWK (keys[2]) is governance key 2: naming it again as a did:key is a duplicate.
    assert_error(
        &good.replace(&did_key(0), &did_key(2)),
        "governance.keys[2]: same key as governance.keys[0]",
    );
    let private = Jwk::from_signing_key(&governance_key(2)).unwrap();
    let public = Jwk::from_public_key(&governance_key(2).public_key()).unwrap();
    assert_error(
        &good.replace(&jwk_table(&public), &jwk_table(&private)),
        "governance.keys[2]: a private JWK",
    );
    let empty = good.split("[governance]").next().unwrap().to_owned()
        + "[governance]\nthreshold = 1\nkeys = []\n";
    assert_error(&empty, "governance.keys: at least one key is needed");
    assert_error(
        &good.replace("threshold = 2", "threshold = 2\nquorum = 3"),
        "unknown field `quorum`",
    );
}

#[test]
fn load_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.toml");
    std::fs::write(
        &path,
        genesis_text(4).replace("threshold = 2", "threshold = 9"),
    )
    .unwrap();
    let error = Genesis::load(&path).unwrap_err();
    assert!(matches!(error, ClientError::Config { .. }));
    let text = error.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("governance.threshold"), "{text}");

    let missing = Genesis::load(&dir.path().join("absent.toml")).unwrap_err();
    assert!(matches!(missing, ClientError::Io { .. }));
    assert!(missing.to_string().contains("absent.toml"));
}

/// A node directory: genesis one level up, key file written with 0600.
fn node_dir(root: &Path, genesis_validators: u8, key: &ed25519::PrivateKey) -> PathBuf {
    std::fs::write(root.join("genesis.toml"), genesis_text(genesis_validators)).unwrap();
    let node = root.join("node");
    std::fs::create_dir(&node).unwrap();
    write_key_file(&node.join("key"), key).unwrap();
    std::fs::write(
        node.join("config.toml"),
        "genesis = \"../genesis.toml\"\ndata_dir = \"data\"\nkey_file = \"key\"\n\
         p2p_listen = \"0.0.0.0:30000\"\ngrpc_listen = \"0.0.0.0:31000\"\n",
    )
    .unwrap();
    node
}

#[test]
fn config_paths_are_relative_to_the_config_file() {
    let root = tempfile::tempdir().unwrap();
    let node = node_dir(root.path(), 4, &validator_key(2));
    let config = NodeConfig::load(&node.join("config.toml")).unwrap();
    assert_eq!(config.genesis_path(), node.join("../genesis.toml"));
    assert_eq!(config.data_dir(), node.join("data"));
    assert_eq!(config.key_file(), node.join("key"));
    assert_eq!(config.p2p_listen(), "0.0.0.0:30000".parse().unwrap());
    assert_eq!(config.grpc_listen(), "0.0.0.0:31000".parse().unwrap());
    assert_eq!(config.log_level(), None);
    assert_eq!(config.tuning(), Tuning::default());

    let genesis = config.load_genesis().unwrap();
    let (key, index) = config.identity(&genesis).unwrap();
    assert_eq!(key.public_key(), validator_key(2).public_key());
    assert_eq!(genesis.validators()[index].name(), "v2");

    // Absolute paths stay as written.
    let text = "genesis = \"/etc/realdid/genesis.toml\"\ndata_dir = \"/var/lib/realdid\"\n\
                key_file = \"key\"\np2p_listen = \"0.0.0.0:1\"\ngrpc_listen = \"0.0.0.0:2\"\n\
                log_level = \"info,realdid_registry=debug\"\n\
                [tuning]\nmax_block_txs = 500\n";
    let config = NodeConfig::parse(text, Path::new("/srv/node/config.toml")).unwrap();
    assert_eq!(
        config.genesis_path(),
        Path::new("/etc/realdid/genesis.toml")
    );
    assert_eq!(config.data_dir(), Path::new("/var/lib/realdid"));
    assert_eq!(config.key_file(), Path::new("/srv/node/key"));
    assert_eq!(config.log_level(), Some("info,realdid_registry=debug"));
    assert_eq!(config.tuning().max_block_txs(), 500);
    assert_eq!(
        config.tuning().block_interval_ms(),
        Tuning::default().block_interval_ms()
    );
    assert_eq!(
        config.tls(),
        None,
        "without [tls] the node serves plaintext"
    );

    // TLS: the certificate and key beside the config, the client CA where it is written.
    let text = "genesis = \"g.toml\"\ndata_dir = \"data\"\nkey_file = \"key\"\n\
                p2p_listen = \"0.0.0.0:1\"\ngrpc_listen = \"0.0.0.0:2\"\n\
                [tls]\ncert = \"tls/node.pem\"\nkey = \"tls/node.key\"\n\
                client_ca = \"/etc/realdid/operators-ca.pem\"\n";
    let config = NodeConfig::parse(text, Path::new("/srv/node/config.toml")).unwrap();
    let tls = config.tls().expect("[tls] read");
    assert_eq!(tls.cert, Path::new("/srv/node/tls/node.pem"));
    assert_eq!(tls.key, Path::new("/srv/node/tls/node.key"));
    assert_eq!(
        tls.client_ca.as_deref(),
        Some(Path::new("/etc/realdid/operators-ca.pem"))
    );
}

#[test]
fn bad_configs_are_refused_with_the_field() {
    let base = "genesis = \"g.toml\"\ndata_dir = \"data\"\nkey_file = \"key\"\n\
                p2p_listen = \"0.0.0.0:1\"\ngrpc_listen = \"0.0.0.0:2\"\n";
    let parse = |text: &str| {
        NodeConfig::parse(text, Path::new("/srv/node/config.toml"))
            .unwrap_err()
            .to_string()
    };
    let cases = [
        (format!("{base}extra = 1\n"), "unknown field `extra`"),
        (
            format!("{base}[tls]\ncert = \"node.pem\"\n"),
            "missing field `key`",
        ),
        (
            base.replace("0.0.0.0:2", "0.0.0.0:1"),
            "grpc_listen: 0.0.0.0:1 is also p2p_listen",
        ),
        (base.replace("\"data\"", "\"\""), "data_dir: is empty"),
        (
            format!("{base}[tuning]\nmax_block_txs = 0\n"),
            "tuning.max_block_txs",
        ),
        (
            format!("{base}[tuning]\nblock_interval_ms = 0\n"),
            "tuning.block_interval_ms",
        ),
        (
            format!("{base}[tuning]\nmax_block_txs = 1000\nmempool_capacity = 10\n"),
            "tuning.mempool_capacity",
        ),
        (
            format!("{base}[tuning]\nmax_txs = 1\n"),
            "unknown field `max_txs`",
        ),
        (format!("{base}log_level = \"info; rm -rf\"\n"), "log_level"),
        (base.replace("key_file = \"key\"\n", ""), "key_file"),
    ];
    for (text, expected) in cases {
        let error = parse(&text);
        assert!(error.contains(expected), "{error:?} lacks {expected:?}");
        assert!(error.contains("/srv/node/config.toml"), "{error:?}");
    }
}

#[test]
fn key_files_are_private() {
    let root = tempfile::tempdir().unwrap();
    let node = node_dir(root.path(), 4, &validator_key(1));
    let key_path = node.join("key");
    let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        read_key_file(&key_path).unwrap().public_key(),
        validator_key(1).public_key()
    );

    // Never overwritten.
    assert!(write_key_file(&key_path, &validator_key(3)).is_err());

    let config = NodeConfig::load(&node.join("config.toml")).unwrap();
    let genesis = config.load_genesis().unwrap();
    for loose in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(loose)).unwrap();
        let error = config.identity(&genesis).unwrap_err().to_string();
        assert!(error.contains("accessible by group or others"), "{error}");
        assert!(error.contains("chmod 600"), "{error}");
        assert!(error.contains(&key_path.display().to_string()), "{error}");
    }
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert!(config.identity(&genesis).is_ok());
}

#[test]
fn key_files_hold_the_rfc8032_seed() {
    // Seed and public key made by OpenSSL with the commands in docs/OPERATIONS.md.
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("key");
    std::fs::write(
        &path,
        "b040af11a3df8c38a82c5c44d853afa2920acc89beb194e68f6c7cd67ade647e\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let key = read_key_file(&path).unwrap();
    assert_eq!(
        hex::encode(key.public_key().as_ref()),
        "46d4a7e51e09ec3fe564b787152d009158ccf384eba8d08760910787a46dec89"
    );
}

#[test]
fn a_key_outside_the_genesis_is_refused() {
    let root = tempfile::tempdir().unwrap();
    // The genesis has validators 0..3; the key is validator 5's.
    let node = node_dir(root.path(), 4, &validator_key(5));
    let config = NodeConfig::load(&node.join("config.toml")).unwrap();
    let genesis = config.load_genesis().unwrap();
    let error = config.identity(&genesis).unwrap_err().to_string();
    assert!(
        error.contains("is not a validator of chain realdid-test"),
        "{error}"
    );

    std::fs::remove_file(node.join("key")).unwrap();
    let garbage = node.join("key");
    std::fs::write(&garbage, "not hex\n").unwrap();
    std::fs::set_permissions(&garbage, std::fs::Permissions::from_mode(0o600)).unwrap();
    let error = config.identity(&genesis).unwrap_err().to_string();
    assert!(error.contains("64 hex characters"), "{error}");
}

#[test]
fn generated_devnet_loads_back_and_agrees_with_its_keys() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("devnet");
    let layout = generate(&dir, 4, None).unwrap();
    assert_eq!(layout.nodes().len(), 4);
    assert_eq!(layout.governance_key_files().len(), 3);
    assert_eq!(layout.governance_threshold(), 2);

    // The genesis on disk parses and is the layout's.
    let genesis = Genesis::load(layout.genesis_path()).unwrap();
    assert_eq!(&genesis, layout.genesis());
    assert_eq!(genesis.chain_id().as_str(), "realdid-devnet");
    assert_eq!(genesis.quorum(), 3);

    // node-<i> holds validator i's key; its config points at the genesis and its own files.
    let mut ports = Vec::new();
    for (i, node) in layout.nodes().iter().enumerate() {
        assert_eq!(node.index(), i);
        assert!(node.dir().ends_with(format!("node-{i}")));
        let key_path = node.dir().join("key");
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let key = read_key_file(&key_path).unwrap();
        let validator = &genesis.validators()[i];
        assert_eq!(validator.public_key(), &key.public_key());
        assert_eq!(validator.name(), node.name());
        assert_eq!(validator.p2p_address(), node.p2p());
        assert_eq!(validator.grpc_address(), node.grpc());
        assert!(node.p2p().ip().is_loopback());
        assert_eq!(node.grpc_endpoint(), format!("http://{}", node.grpc()));

        let config = NodeConfig::load(node.config_path()).unwrap();
        assert_eq!(
            std::fs::canonicalize(config.genesis_path()).unwrap(),
            layout.genesis_path()
        );
        assert_eq!(config.data_dir(), node.dir().join("data"));
        assert!(config.data_dir().is_dir());
        assert_eq!(config.identity(&genesis).unwrap().1, i);
        ports.extend([node.p2p().port(), node.grpc().port()]);
    }
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 8);

    // The governance key files sign for the genesis governance keys.
    let signers = layout.governance_signing_keys().unwrap();
    for (path, key) in layout.governance_key_files().iter().zip(&signers) {
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(
            genesis
                .governance_config()
                .keys()
                .contains(&key.public_key())
        );
    }

    // Reopening gives the same layout; generating again is refused.
    assert_eq!(DevnetLayout::load(&dir).unwrap(), layout);
    assert_eq!(
        DevnetLayout::open_or_generate(&dir, 4, None, Transport::Plaintext).unwrap(),
        layout
    );
    let again = generate(&dir, 4, None).unwrap_err().to_string();
    assert!(again.contains("already holds a devnet"), "{again}");
    let other = DevnetLayout::open_or_generate(&dir, 7, None, Transport::Plaintext)
        .unwrap_err()
        .to_string();
    assert!(other.contains("has 4 validators, not 7"), "{other}");
    assert!(layout.to_string().contains("node-3"));
}

#[test]
fn devnet_with_a_base_port_and_guards() {
    let root = tempfile::tempdir().unwrap();
    let layout = DevnetLayout::open_or_generate(
        &root.path().join("d"),
        3,
        Some(42000),
        Transport::Plaintext,
    )
    .unwrap();
    let ports: Vec<(u16, u16)> = layout
        .nodes()
        .iter()
        .map(|n| (n.p2p().port(), n.grpc().port()))
        .collect();
    assert_eq!(ports, vec![(42000, 42001), (42002, 42003), (42004, 42005)]);
    let resolvers: Vec<Option<String>> = layout.nodes().iter().map(|n| n.resolver_url()).collect();
    assert_eq!(
        resolvers,
        (42009..42012)
            .map(|p| Some(format!("http://127.0.0.1:{p}/1.0/identifiers/")))
            .collect::<Vec<_>>()
    );
    let metrics: Vec<Option<String>> = layout.nodes().iter().map(|n| n.metrics_url()).collect();
    assert_eq!(
        metrics,
        (42006..42009)
            .map(|p| Some(format!("http://127.0.0.1:{p}/metrics")))
            .collect::<Vec<_>>()
    );

    // A non-empty directory that holds no devnet is left alone.
    let busy = root.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let error = generate(&busy, 4, None).unwrap_err().to_string();
    assert!(error.contains("is not empty"), "{error}");
    assert!(generate(&root.path().join("zero"), 0, None).is_err());
    assert!(generate(&root.path().join("high"), 4, Some(65530)).is_err());

    // A governance key file made readable by others is refused when the devnet is reopened.
    let gov = &layout.governance_key_files()[0];
    std::fs::set_permissions(gov, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = DevnetLayout::load(layout.dir()).unwrap_err().to_string();
    assert!(error.contains("chmod 600"), "{error}");
}

#[test]
fn a_tls_devnet_has_its_ca_and_a_certificate_for_every_service() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("d");
    let layout = DevnetLayout::open_or_generate(&dir, 4, None, Transport::Tls).unwrap();
    assert_eq!(layout.transport(), Transport::Tls);
    assert!(layout.ca_path().exists());
    for node in layout.nodes() {
        assert!(node.grpc_endpoint().starts_with("https://127.0.0.1:"));
        let config = NodeConfig::load(node.config_path()).unwrap();
        let tls = config.tls().expect("each node serves TLS");
        assert!(tls.cert.exists() && tls.key.exists(), "{tls:?}");
        let mode = std::fs::metadata(&tls.key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a private key readable by others");
    }
    for service in realdid_registry::devnet::TLS_SERVICES {
        let tls = layout.service_tls(service, true);
        assert!(tls.cert.as_ref().is_some_and(|p| p.exists()), "{service}");
        assert_eq!(tls.ca.as_deref(), Some(layout.ca_path().as_path()));
        assert_eq!(tls.client_ca.as_deref(), Some(layout.ca_path().as_path()));
    }
    assert_eq!(
        layout.client_tls().ca.as_deref(),
        Some(layout.ca_path().as_path())
    );
    // Reopened as it was generated; not as the other kind.
    assert_eq!(
        DevnetLayout::open_or_generate(&dir, 4, None, Transport::Tls).unwrap(),
        layout
    );
    let error = DevnetLayout::open_or_generate(&dir, 4, None, Transport::Plaintext)
        .unwrap_err()
        .to_string();
    assert!(error.contains("generated with TLS"), "{error}");
}
