//! The `realdid` binary's core commands, run as separate processes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use realdid_core::did::{Did, RealDid};
use realdid_core::resident_id::{ResidentId, ResidentIdGenerator};
use realdid_tests::realdid;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Trace, credential and request ids are random base64url and may begin with '-': the
/// commands that take them must read such an id as a value, not refuse it as an unknown
/// option (a usage error, 64), or one id in 64 could not be named at all.
#[test]
fn ids_that_begin_with_a_hyphen_are_values() {
    for args in [
        vec![
            "issuer",
            "trace",
            "open",
            "--endpoint",
            "https://127.0.0.1:1",
            "--session-file",
            "/nonexistent/session",
            "--officer-key",
            "/nonexistent/officer.key.json",
            "--genesis",
            "/nonexistent/genesis.toml",
            "--registry",
            "https://127.0.0.1:1",
            "--trace-id",
            "-dX7",
        ],
        vec![
            "issuer",
            "suspend",
            "--endpoint",
            "https://127.0.0.1:1",
            "--session-file",
            "/nonexistent/session",
            "--credential-id",
            "-k2",
            "--note",
            "checking",
        ],
    ] {
        let out = realdid(&args);
        assert_ne!(out.status.code(), Some(64), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("unexpected argument"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn id_check_accepts_the_standard_sample_and_names_its_parts() {
    let out = realdid(&["id", "check", "11010519491231002X"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("110105"), "{text}");
    assert!(text.contains("1949-12-31"), "{text}");
}

#[test]
fn id_check_refuses_a_bad_check_character_with_exit_code_2() {
    let out = realdid(&["id", "check", "110105194912310021"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains('X') && err.contains('1'), "{err}");
}

#[test]
fn id_generate_prints_valid_numbers_deterministically() {
    let a = stdout(&realdid(&[
        "id", "generate", "--count", "20", "--seed", "7",
    ]));
    let b = stdout(&realdid(&[
        "id", "generate", "--count", "20", "--seed", "7",
    ]));
    assert_eq!(a, b);
    let today = time::OffsetDateTime::now_utc().date();
    let lines: Vec<&str> = a.lines().collect();
    assert_eq!(lines.len(), 20);
    // Every number is valid, and the library's generator with the same seed gives the same
    // twenty people (number, then name) in the same order.
    let mut generator = ResidentIdGenerator::new(7);
    for line in lines {
        let number = line.split('\t').next().unwrap();
        ResidentId::parse(number, today).unwrap();
        assert_eq!(number, generator.next_id().as_str());
        let _name = generator.next_name();
    }
}

#[test]
fn did_new_prints_a_did_its_document_and_keeps_keys_private() {
    let dir = std::env::temp_dir().join(format!("realdid-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = dir.join("keys.json");
    let _ = std::fs::remove_file(&keys);
    let out = realdid(&[
        "did",
        "new",
        "--alg",
        "p256",
        "--keys-out",
        keys.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let did: RealDid = text.lines().next().unwrap().parse().unwrap();
    assert!(text.contains(&format!("{did}#device")));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&keys).unwrap()).unwrap();
    assert_eq!(saved["did"], did.as_str());
    assert_eq!(saved["device"]["crv"], "P-256");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&keys).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "key file readable by others: {mode:o}");
    }
    // Never overwrites an existing key file.
    let again = realdid(&["did", "new", "--keys-out", keys.to_str().unwrap()]);
    assert!(!again.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn did_resolve_renders_did_key_documents() {
    let did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
    let out = realdid(&["did", "resolve", did]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["id"], did);
    assert_eq!(
        doc["verificationMethod"][0]["publicKeyJwk"]["x"],
        // base64url of the w3c-ccg vector's publicKeyBase58 4zvwRjXU…
        "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"
    );
    assert!(matches!(did.parse::<Did>().unwrap(), Did::Key(_)));
}

#[test]
fn did_resolve_refuses_garbage_with_the_reason() {
    let out = realdid(&["did", "resolve", "did:example:123"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("method"), "{}", stderr(&out));
}

#[test]
fn authority_generate_writes_valid_people_and_refuses_an_existing_register() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("register");
    let data = data.to_str().unwrap();
    let out = realdid(&["authority", "generate", "--data", data, "--count", "5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let people: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let people = people.as_array().unwrap();
    assert_eq!(people.len(), 5);
    for person in people {
        let id = person["resident_id"].as_str().unwrap();
        ResidentId::parse(id, time::macros::date!(2026 - 11 - 21)).unwrap();
        assert!(
            person["evidence_token"]
                .as_str()
                .unwrap()
                .starts_with("ev1.")
        );
        assert!(!person["full_name"].as_str().unwrap().is_empty());
    }
    let again = realdid(&["authority", "generate", "--data", data, "--count", "5"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already holds a database"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_command_line_that_makes_no_sense_exits_64_and_help_exits_0() {
    let out = realdid(&["devnet", "--validators", "many"]);
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert!(stderr(&out).contains("--validators"), "{}", stderr(&out));
    let out = realdid(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(64));
    let out = realdid(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("REALDID_"),
        "the help names the variables"
    );
}

#[test]
fn every_option_can_come_from_a_realdid_variable_and_the_command_line_wins() {
    let bin = realdid_tests::realdid_binary();
    let run = |vars: &[(&str, &str)], args: &[&str]| {
        std::process::Command::new(&bin)
            .args(args)
            .envs(vars.iter().copied())
            .output()
            .unwrap()
    };
    let from_env = stdout(&run(
        &[("REALDID_COUNT", "3"), ("REALDID_SEED", "9")],
        &["id", "generate"],
    ));
    let from_args = stdout(&realdid(&["id", "generate", "--count", "3", "--seed", "9"]));
    assert_eq!(from_env, from_args);
    assert_eq!(from_env.lines().count(), 3, "{from_env}");
    let overridden = stdout(&run(
        &[("REALDID_COUNT", "3")],
        &["id", "generate", "--count", "1"],
    ));
    assert_eq!(overridden.lines().count(), 1, "{overridden}");
    // A variable that does not parse is a usage error, named.
    let bad = run(&[("REALDID_COUNT", "lots")], &["id", "generate"]);
    assert_eq!(bad.status.code(), Some(64));
}

#[test]
fn completions_are_printed_for_the_common_shells() {
    for shell in ["bash", "zsh", "fish"] {
        let out = realdid(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(
            script.contains("devnet") && script.contains("wallet"),
            "{shell}"
        );
    }
}

/// Runs `realdid <args>` and returns its standard output, failing the test on a non-zero
/// exit.
fn ok(args: &[&str]) -> String {
    let out = realdid(args);
    assert!(out.status.success(), "realdid {args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn organisations_build_a_genesis_from_the_files_they_exchange() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name).display().to_string();
    let draft = at("draft.toml");
    ok(&[
        "genesis",
        "new",
        "--chain-id",
        "realdid-test-net",
        "--out",
        &draft,
    ]);

    // Four validator operators, each with a key of its own.
    let mut keys = Vec::new();
    for i in 0..4 {
        let key_file = at(&format!("node-{i}.key"));
        let public = ok(&["node", "keygen", "--out", &key_file])
            .trim()
            .to_owned();
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&key_file).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "a validator key readable by others");
        ok(&[
            "genesis",
            "add-validator",
            "--draft",
            &draft,
            "--name",
            &format!("org-{i}"),
            "--public-key",
            &public,
            "--p2p",
            &format!("127.0.0.1:{}", 30000 + i),
            "--grpc",
            &format!("127.0.0.1:{}", 31000 + i),
        ]);
        keys.push((key_file, public));
    }
    // The same key twice is refused, as a refusal (2), naming why.
    let again = realdid(&[
        "genesis",
        "add-validator",
        "--draft",
        &draft,
        "--name",
        "org-x",
        "--public-key",
        &keys[0].1,
        "--p2p",
        "127.0.0.1:1",
        "--grpc",
        "127.0.0.1:2",
    ]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("this key"), "{}", stderr(&again));

    // Three governors.
    for j in 0..3 {
        let did = ok(&[
            "governance",
            "keygen",
            "--out",
            &at(&format!("gov-{j}.jwk")),
        ]);
        ok(&[
            "genesis",
            "add-governor",
            "--draft",
            &draft,
            "--key",
            did.trim(),
        ]);
    }
    // A threshold above the governors is refused; 2 of 3 seals.
    let genesis_path = at("genesis.toml");
    let too_many = realdid(&[
        "genesis",
        "seal",
        "--draft",
        &draft,
        "--threshold",
        "4",
        "--out",
        &genesis_path,
    ]);
    assert_eq!(too_many.status.code(), Some(2), "{}", stderr(&too_many));
    let sealed = ok(&[
        "genesis",
        "seal",
        "--draft",
        &draft,
        "--threshold",
        "2",
        "--out",
        &genesis_path,
    ]);

    let genesis =
        realdid_registry::genesis::Genesis::load(std::path::Path::new(&genesis_path)).unwrap();
    assert_eq!(genesis.chain_id().as_str(), "realdid-test-net");
    assert_eq!(genesis.validators().len(), 4);
    assert_eq!(genesis.governance_config().threshold(), 2);
    assert!(
        sealed.contains(&genesis.genesis_hash().to_string()),
        "the printed hash is the genesis's: {sealed}"
    );
    // Each operator's node finds itself in the genesis by its key.
    for (i, (key_file, _)) in keys.iter().enumerate() {
        let config = format!(
            "genesis = {genesis_path:?}\ndata_dir = \"data-{i}\"\nkey_file = {key_file:?}\n\
             p2p_listen = \"127.0.0.1:{}\"\ngrpc_listen = \"127.0.0.1:{}\"\n",
            30000 + i,
            31000 + i
        );
        let config =
            realdid_registry::config::NodeConfig::parse(&config, &dir.path().join("node.toml"))
                .unwrap();
        let (_, index) = config.identity(&genesis).unwrap();
        assert_eq!(genesis.validators()[index].name(), format!("org-{i}"));
    }
}

#[test]
fn a_provider_is_added_with_a_token_shown_once_and_kept_only_as_a_hash() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("verifier.toml");
    std::fs::write(
        &config,
        "# a verifier\ngrpc_listen = \"127.0.0.1:50090\"\n\
         request_uri_base = \"realdid://127.0.0.1:50090/requests\"\n\
         genesis = \"genesis.toml\"\nregistry = [\"https://127.0.0.1:31000\"]\n\
         secret_file = \"secret\"\naccepted_types = [\"https://realdid.example/credentials/identity\"]\n\n\
         [[providers]]\nid = \"bank\"\n\
         token_sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n\
         keys_file = \"bank-keys.json\"\n\n[cache]\ndid_ttl_seconds = 5\n",
    )
    .unwrap();
    let path = config.display().to_string();
    let token = ok(&[
        "verifier",
        "add-provider",
        "--config",
        &path,
        "--id",
        "library",
    ]);
    let token = token.trim();
    assert_eq!(token.len(), 48, "{token}");

    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.starts_with("# a verifier"), "the file's comments stay");
    assert!(!text.contains(token), "the token itself is not kept");
    let parsed = realdid_verifier::config::VerifierConfig::load(&config).unwrap();
    let library = parsed.providers.iter().find(|p| p.id == "library").unwrap();
    use sha2::Digest as _;
    assert_eq!(
        library.token_sha256,
        hex::encode(sha2::Sha256::digest(token.as_bytes()))
    );
    assert_eq!(
        parsed.cache.did_ttl_seconds, 5,
        "the other settings are unchanged"
    );

    // The same name twice is refused and leaves the file as it was.
    let again = realdid(&[
        "verifier",
        "add-provider",
        "--config",
        &path,
        "--id",
        "library",
    ]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
}

#[test]
fn a_wallet_lives_in_the_users_data_directory_unless_named() {
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(realdid_tests::realdid_binary())
        .args(["wallet", "create", "--kdf-memory-mib", "19"])
        .env("XDG_DATA_HOME", data.path())
        .env("REALDID_WALLET_PASSPHRASE", "a passphrase for the test")
        .current_dir(data.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let wallet = data.path().join("realdid").join("wallet");
    assert!(wallet.exists(), "no wallet at {}", wallet.display());
    assert!(
        !data.path().join(".realdid").exists(),
        "nothing in the current directory"
    );

    // What it holds, for machines.
    let wallet = wallet.display().to_string();
    for (args, check) in [
        (vec!["--json", "info"], "dids"),
        (vec!["--json", "did", "list"], ""),
        (vec!["--json", "credentials", "list"], ""),
        (vec!["--json", "log"], ""),
    ] {
        let out = std::process::Command::new(realdid_tests::realdid_binary())
            .args(["wallet", "--wallet", &wallet])
            .args(&args)
            .env("REALDID_WALLET_PASSPHRASE", "a passphrase for the test")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if check.is_empty() {
            assert_eq!(value, serde_json::json!([]), "{args:?}");
        } else {
            assert_eq!(value[check], 0, "{args:?}: {value}");
        }
    }
}

#[test]
fn a_verifier_is_set_up_with_its_first_provider_and_tls() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name).display().to_string();
    let verifier = at("verifier");
    let token = ok(&[
        "verifier",
        "init",
        "--dir",
        &verifier,
        "--genesis",
        &at("genesis.toml"),
        "--registry",
        "https://203.0.113.1:31000,https://203.0.113.2:31000",
        "--public-address",
        "verify.shop.example:443",
        "--accept",
        "https://realdid.example/credentials/identity",
        "--redis",
        "rediss://redis.shop.example:6380",
        "--provider",
        "shop",
        "--tls-cert",
        &at("verifier.pem"),
        "--tls-key",
        &at("verifier.key"),
        "--tls-ca",
        &at("ca.pem"),
    ]);
    let config_path = dir.path().join("verifier").join("verifier.toml");
    let config = realdid_verifier::config::VerifierConfig::load(&config_path).unwrap();
    use sha2::Digest as _;
    assert_eq!(config.providers.len(), 1);
    assert_eq!(
        config.providers[0].token_sha256,
        hex::encode(sha2::Sha256::digest(token.trim().as_bytes()))
    );
    assert_eq!(
        config.request_uri_base,
        "realdid://verify.shop.example:443/requests"
    );
    assert_eq!(
        config.redis_url.as_deref(),
        Some("rediss://redis.shop.example:6380")
    );
    assert_eq!(config.registry.len(), 2);
    assert!(config.tls.server().unwrap().is_some(), "it serves TLS");
    assert_eq!(
        config.tls.ca.as_deref(),
        Some(dir.path().join("ca.pem").as_path())
    );
    let secret = dir.path().join("verifier").join("verifier-secret");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&secret).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    // A second init into the same directory is refused.
    let again = realdid(&[
        "verifier",
        "init",
        "--dir",
        &verifier,
        "--genesis",
        "g",
        "--registry",
        "https://x:1",
        "--accept",
        "urn:x:y",
        "--provider",
        "shop",
    ]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
}
