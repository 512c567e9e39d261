//! A network of four organisations set up the way they would set it up, each with the
//! commands of its own role and files passed between them, over TLS, with no devnet code: a
//! genesis drafted from four validator operators' public keys and three governors' keys,
//! four nodes, an identity authority that answers its issuer only (mutual TLS), an issuer
//! accredited by two governors signing one proposal, a verifier with one provider; then a
//! citizen enrols and presents, and the provider reads the verdict.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use realdid_proto::dev_ca::DevCa;
use realdid_tests::realdid_binary;

const IDENTITY_VCT: &str = "https://realdid.example/credentials/identity";

/// The long-running processes, killed when the test ends, however it ends.
#[derive(Default)]
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Processes {
    fn start(&mut self, args: &[&str], log: &Path) {
        let log = std::fs::File::create(log).unwrap();
        let child = Command::new(realdid_binary())
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.0.push(child);
    }
}

/// Runs `realdid <args>` (with `vars`), off the async threads.
async fn run(args: Vec<String>, vars: Vec<(String, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(realdid_binary())
            .args(&args)
            .envs(vars)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `realdid <args>`, which must succeed; its standard output.
async fn ok(args: &[&str]) -> String {
    ok_with(args, &[]).await
}

async fn ok_with(args: &[&str], vars: &[(&str, &str)]) -> String {
    let out = run(
        args.iter().map(|a| (*a).to_owned()).collect(),
        vars.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
    .await;
    assert!(out.status.success(), "realdid {args:?}:\n{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Governors `signers` sign `proposal` in turn, each with their own key file, and it is
/// submitted to the network, as `realdid governance` does on their machines.
async fn decide(proposal: &str, signers: &[String], genesis: &str, registry: &str, ca_pem: &str) {
    for file in signers {
        ok(&[
            "governance",
            "sign",
            "--proposal",
            proposal,
            "--key",
            file,
            "--yes",
        ])
        .await;
    }
    ok(&[
        "governance",
        "submit",
        "--proposal",
        proposal,
        "--genesis",
        genesis,
        "--registry",
        registry,
        "--tls-ca",
        ca_pem,
    ])
    .await;
}

/// A port free now and not handed out before by this process: the system may give a port
/// just released to the next bind, and two of the organisations' services on one port would
/// fail the test for a reason of its own making.
fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// The first `did:realdid:…` in `text`.
fn did_in(text: &str) -> String {
    let start = text.find("did:realdid:").expect("a did:realdid");
    text[start..]
        .split(|c: char| !c.is_ascii_alphanumeric() && c != ':')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_organisations_set_up_a_network_with_their_commands_and_a_citizen_presents() {
    let _serial = crate::serial().await;
    let root = tempfile::tempdir().unwrap();
    let at = |name: &str| -> PathBuf { root.path().join(name) };
    let s = |p: &Path| p.display().to_string();
    let mut processes = Processes::default();

    // Each organisation's certificate, from one CA they all trust (in a real network, each
    // has its own PKI; the clients name the CA with --tls-ca).
    let tls = at("tls");
    std::fs::create_dir(&tls).unwrap();
    let ca = DevCa::new("four organisations' CA").unwrap();
    ca.write_cert(&tls).unwrap();
    for name in [
        "node-0",
        "node-1",
        "node-2",
        "node-3",
        "authority",
        "issuer",
        "verifier",
    ] {
        ca.write_server(&tls, name, &["127.0.0.1"], false).unwrap();
    }
    let ca_pem = s(&tls.join("ca.pem"));
    let cert = |name: &str| s(&tls.join(format!("{name}.pem")));
    let key = |name: &str| s(&tls.join(format!("{name}.key")));

    // The genesis: drafted by one, each validator operator adds its node, each governor
    // its key; sealed 2 of 3.
    let draft = s(&at("draft.toml"));
    let genesis = s(&at("genesis.toml"));
    ok(&[
        "genesis",
        "new",
        "--chain-id",
        "four-orgs-net",
        "--out",
        &draft,
    ])
    .await;
    let mut grpc_ports = Vec::new();
    for i in 0..4 {
        let dir = at(&format!("org-{i}"));
        std::fs::create_dir(&dir).unwrap();
        let key_file = s(&dir.join("key"));
        let public = ok(&["node", "keygen", "--out", &key_file]).await;
        let (p2p, grpc) = (free_port(), free_port());
        ok(&[
            "genesis",
            "add-validator",
            "--draft",
            &draft,
            "--name",
            &format!("org-{i}"),
            "--public-key",
            public.trim(),
            "--p2p",
            &format!("127.0.0.1:{p2p}"),
            "--grpc",
            &format!("127.0.0.1:{grpc}"),
        ])
        .await;
        std::fs::write(
            dir.join("node.toml"),
            format!(
                "genesis = {genesis:?}\ndata_dir = \"data\"\nkey_file = \"key\"\n\
                 p2p_listen = \"127.0.0.1:{p2p}\"\ngrpc_listen = \"127.0.0.1:{grpc}\"\n\
                 [tls]\ncert = {:?}\nkey = {:?}\n",
                cert(&format!("node-{i}")),
                key(&format!("node-{i}"))
            ),
        )
        .unwrap();
        grpc_ports.push(grpc);
    }
    let governors: Vec<String> = (0..3).map(|j| s(&at(&format!("gov-{j}.jwk")))).collect();
    for file in &governors {
        let did = ok(&["governance", "keygen", "--out", file]).await;
        ok(&[
            "genesis",
            "add-governor",
            "--draft",
            &draft,
            "--key",
            did.trim(),
        ])
        .await;
    }
    ok(&[
        "genesis",
        "seal",
        "--draft",
        &draft,
        "--threshold",
        "2",
        "--out",
        &genesis,
    ])
    .await;

    // Each operator starts its node, over TLS.
    for i in 0..4 {
        let config = s(&at(&format!("org-{i}")).join("node.toml"));
        processes.start(
            &["node", "serve", "--config", &config],
            &at(&format!("org-{i}")).join("node.log"),
        );
    }
    let registry = grpc_ports
        .iter()
        .map(|p| format!("https://127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(",");
    let reach = [
        "--genesis",
        &genesis,
        "--registry",
        &registry,
        "--tls-ca",
        &ca_pem,
    ];

    // The chain answers, proven and fresh, once a block is final: a DID no one made is
    // proven absent.
    let probe = "did:realdid:11111111111111111111111111111111";
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut args = vec!["did".to_owned(), "resolve".into(), probe.into()];
        args.extend(reach.iter().map(|a| (*a).to_owned()));
        let out = run(args, vec![]).await;
        if text(&out).contains("proven absent") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the network never answered: {}",
            text(&out)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // A node that has a fresh block says it is serving, over TLS.
    let channel = realdid_proto::tls::ClientTls::with_ca(&ca_pem)
        .connect(&format!("https://127.0.0.1:{}", grpc_ports[0]))
        .await
        .unwrap();
    let health = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: "realdid.v1.Registry".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    // The identity authority: its register and key; it answers its issuer only.
    let authority = at("authority");
    let made = run(
        vec![
            "authority".into(),
            "generate".into(),
            "--data".into(),
            s(&authority),
            "--count".into(),
            "5".into(),
            "--people".into(),
            s(&at("people.json")),
        ],
        vec![],
    )
    .await;
    assert!(made.status.success(), "{}", text(&made));
    let authority_key = text(&made)
        .split_whitespace()
        .find(|w| w.starts_with("did:key:"))
        .expect("the authority's key")
        .trim_end_matches(':')
        .to_owned();
    let authority_port = free_port();
    processes.start(
        &[
            "authority",
            "serve",
            "--data",
            &s(&authority),
            "--listen",
            &format!("127.0.0.1:{authority_port}"),
            "--tls-cert",
            &cert("authority"),
            "--tls-key",
            &key("authority"),
            "--tls-client-ca",
            &ca_pem,
        ],
        &at("authority.log"),
    );

    // The issuer: set up, its DID registered, accredited by two governors in turn.
    let issuer_dir = s(&at("issuer"));
    let (issuer_grpc, issuer_http) = (free_port(), free_port());
    let mut init = vec![
        "issuer",
        "init",
        "--dir",
        &issuer_dir,
        "--genesis",
        &genesis,
        "--authority",
    ];
    let authority_url = format!("https://127.0.0.1:{authority_port}");
    let issuer_grpc_listen = format!("127.0.0.1:{issuer_grpc}");
    let issuer_http_listen = format!("127.0.0.1:{issuer_http}");
    init.extend([
        authority_url.as_str(),
        "--authority-key",
        &authority_key,
        "--grpc-listen",
        &issuer_grpc_listen,
        "--http-listen",
        &issuer_http_listen,
        "--tls-cert",
    ]);
    let issuer_cert = cert("issuer");
    let issuer_key = key("issuer");
    init.extend([
        issuer_cert.as_str(),
        "--tls-key",
        &issuer_key,
        "--tls-ca",
        &ca_pem,
    ]);
    let registries: Vec<String> = grpc_ports
        .iter()
        .map(|p| format!("https://127.0.0.1:{p}"))
        .collect();
    for r in &registries {
        init.extend(["--registry", r.as_str()]);
    }
    ok(&init).await;
    let issuer_config = s(&at("issuer").join("issuer.toml"));
    let issuer_did = did_in(&ok(&["issuer", "register", "--config", &issuer_config]).await);
    let proposal = s(&at("accredit.json"));
    ok(&[
        "governance",
        "propose",
        "--genesis",
        &genesis,
        "--out",
        &proposal,
        "accredit",
        "--issuer",
        &issuer_did,
        "--name",
        "Org B Identity",
        "--credential-type",
        IDENTITY_VCT,
    ])
    .await;
    decide(&proposal, &governors[..2], &genesis, &registry, &ca_pem).await;

    // Three trace approvers make their keys on their own machines; the governors name them
    // (2 of 3) for the issuer, and anyone reads the set back, proven.
    let mut approver_files = Vec::new();
    for i in 1..=3 {
        let dir = s(&at(&format!("approver-{i}")));
        let public = ok(&[
            "approver",
            "keygen",
            "--id",
            &format!("judge-{i}"),
            "--dir",
            &dir,
        ])
        .await;
        approver_files.push(public.trim().to_owned());
    }
    let approvers = s(&at("approvers.json"));
    let mut set = vec![
        "governance",
        "propose",
        "--genesis",
        &genesis,
        "--out",
        &approvers,
        "set-approvers",
        "--issuer",
        &issuer_did,
        "--threshold",
        "2",
    ];
    for file in &approver_files {
        set.extend(["--approver", file.as_str()]);
    }
    ok(&set).await;
    decide(&approvers, &governors[1..], &genesis, &registry, &ca_pem).await;
    let show = |extra: &'static [&'static str]| {
        let mut args = vec![
            "governance".to_owned(),
            "show".into(),
            "--issuer".into(),
            issuer_did.clone(),
            "--genesis".into(),
            genesis.clone(),
            "--registry".into(),
            registry.clone(),
            "--tls-ca".into(),
            ca_pem.clone(),
            "--json".into(),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            serde_json::from_str::<serde_json::Value>(&ok(&args).await).unwrap()
        }
    };
    let entry = show(&[]).await;
    assert_eq!(entry["accredited"], true, "{entry}");
    assert_eq!(entry["trace_approvers"]["threshold"], 2, "{entry}");
    let ids: Vec<&str> = entry["trace_approvers"]["approvers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["judge-1", "judge-2", "judge-3"], "{entry}");
    // The secret keys stayed with their approvers, readable by them alone.
    let secret = at("approver-1").join("judge-1.key.json");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let key_file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&secret).unwrap()).unwrap();
    let decision = std::fs::read_to_string(&approvers).unwrap();
    for field in ["ed25519_seed", "x25519_secret"] {
        let value = key_file[field].as_str().unwrap();
        assert!(
            !decision.contains(value),
            "{field} left the approver's machine"
        );
    }

    processes.start(
        &["issuer", "serve", "--config", &issuer_config],
        &at("issuer.log"),
    );

    // The verifier, with one provider (the shop), its DID on the chain.
    let verifier_dir = s(&at("verifier"));
    let verifier_port = free_port();
    let verifier_listen = format!("127.0.0.1:{verifier_port}");
    let token = ok(&[
        "verifier",
        "init",
        "--dir",
        &verifier_dir,
        "--genesis",
        &genesis,
        "--registry",
        &registry,
        "--grpc-listen",
        &verifier_listen,
        "--accept",
        IDENTITY_VCT,
        "--provider",
        "shop",
        "--tls-cert",
        &cert("verifier"),
        "--tls-key",
        &key("verifier"),
        "--tls-ca",
        &ca_pem,
    ])
    .await;
    let token_file = at("shop-token");
    std::fs::write(&token_file, token.trim()).unwrap();
    let verifier_config = s(&at("verifier").join("verifier.toml"));
    let shop_did = did_in(&ok(&["verifier", "--config", &verifier_config, "--register"]).await);
    processes.start(
        &["verifier", "serve", "--config", &verifier_config],
        &at("verifier.log"),
    );

    // A citizen: a wallet, one DID for the shop, enrolled with the issuer.
    let people: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(at("people.json")).unwrap()).unwrap();
    let person = &people[0];
    let wallet = s(&at("wallet"));
    let passphrase = [("REALDID_WALLET_PASSPHRASE", "a citizen's passphrase")];
    ok_with(
        &[
            "wallet",
            "--wallet",
            &wallet,
            "create",
            "--kdf-memory-mib",
            "19",
        ],
        &passphrase,
    )
    .await;
    let issuer_url = format!("https://127.0.0.1:{issuer_grpc}");
    let mut enrol = vec![
        "wallet",
        "--wallet",
        &wallet,
        "enrol",
        "--issuer",
        &issuer_url,
        "--name",
        person["full_name"].as_str().unwrap(),
        "--resident-id",
        person["resident_id"].as_str().unwrap(),
        "--evidence",
        person["evidence_token"].as_str().unwrap(),
        "--provider",
        &shop_did,
    ];
    enrol.extend(reach);
    // The issuer may still be starting.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = run(
            enrol.iter().map(|a| (*a).to_owned()).collect(),
            vec![(passphrase[0].0.into(), passphrase[0].1.into())],
        )
        .await;
        if out.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline && text(&out).contains("cannot connect"),
            "enrolment failed:\n{}",
            text(&out)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The shop asks for the province; the citizen answers; the shop reads the verdict.
    let endpoint = format!("https://127.0.0.1:{verifier_port}");
    let asked = ok(&[
        "verifier",
        "request",
        "--endpoint",
        &endpoint,
        "--token-file",
        &s(&token_file),
        "--tls-ca",
        &ca_pem,
        "--claim",
        "province",
        "--purpose",
        "deliver a parcel",
    ])
    .await;
    let uri = asked.trim().to_owned();
    assert!(uri.starts_with("realdid://"), "{uri}");
    let mut present = vec![
        "wallet",
        "--wallet",
        &wallet,
        "present",
        "--request-uri",
        &uri,
        "--yes",
    ];
    present.extend(reach);
    ok_with(&present, &passphrase).await;
    let request_id = uri.rsplit('/').next().unwrap();
    let verdict: serde_json::Value = serde_json::from_str(
        &ok(&[
            "verifier",
            "result",
            "--endpoint",
            &endpoint,
            "--token-file",
            &s(&token_file),
            "--tls-ca",
            &ca_pem,
            "--request-id",
            request_id,
            "--json",
        ])
        .await,
    )
    .unwrap();
    assert_eq!(verdict["verified"], true, "{verdict}");
    assert!(verdict["claims"]["province"].is_string(), "{verdict}");
    assert!(
        verdict["claims"].get("full_name").is_none(),
        "only what was asked: {verdict}"
    );

    // A lawful trace of the citizen's shop DID, each party with their own key and command:
    // an officer asks, two of the three approvers approve; the issuer anchors the opening,
    // and only after each approver has seen the anchor on chain and released its share can
    // the officer read the person, on the officer's own machine.
    let dids: serde_json::Value = serde_json::from_str(
        &ok_with(
            &["wallet", "--wallet", &wallet, "--json", "did", "list"],
            &passphrase,
        )
        .await,
    )
    .unwrap();
    let traced = dids[0]["did"].as_str().unwrap().to_owned();
    let session = s(&at("officer-session"));
    let password = s(&at("issuer").join("operator-password"));
    ok(&[
        "issuer",
        "login",
        "--endpoint",
        &issuer_url,
        "--tls-ca",
        &ca_pem,
        "--operator",
        "officer",
        "--password-file",
        &password,
        "--session-file",
        &session,
    ])
    .await;
    let officer_key = s(&at("officer.key.json"));
    ok(&["issuer", "officer-key", "--out", &officer_key]).await;
    let request = s(&at("request.json"));
    ok(&[
        "issuer",
        "trace",
        "create",
        "--endpoint",
        &issuer_url,
        "--tls-ca",
        &ca_pem,
        "--session-file",
        &session,
        "--did",
        &traced,
        "--legal-basis",
        "Court order 2026-7",
        "--case-reference",
        "CASE-7",
        "--officer-key",
        &officer_key,
        "--out",
        &request,
    ])
    .await;
    let trace_id =
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&request).unwrap())
            .unwrap()["trace_id"]
            .as_str()
            .unwrap()
            .to_owned();
    let approver_key =
        |i: usize| s(&at(&format!("approver-{i}")).join(format!("judge-{i}.key.json")));
    for i in [1, 3] {
        ok(&[
            "approver",
            "approve",
            "--endpoint",
            &issuer_url,
            "--tls-ca",
            &ca_pem,
            "--request",
            &request,
            "--key",
            &approver_key(i),
            "--yes",
        ])
        .await;
    }
    let open = [
        "issuer",
        "trace",
        "open",
        "--endpoint",
        &issuer_url,
        "--tls-ca",
        &ca_pem,
        "--session-file",
        &session,
        "--officer-key",
        &officer_key,
        "--trace-id",
        &trace_id,
        "--genesis",
        &genesis,
        "--registry",
        &registry,
        "--json",
    ];
    // Anchored, but no approver has released yet: nothing opens.
    let early = run(open.iter().map(|a| (*a).to_owned()).collect(), vec![]).await;
    assert_eq!(early.status.code(), Some(2), "{}", text(&early));
    assert!(
        text(&early).contains("0 of the 2 shares"),
        "{}",
        text(&early)
    );
    for i in [1, 3] {
        ok(&[
            "approver",
            "release",
            "--endpoint",
            &issuer_url,
            "--tls-ca",
            &ca_pem,
            "--request",
            &request,
            "--key",
            &approver_key(i),
            "--genesis",
            &genesis,
            "--registry",
            &registry,
        ])
        .await;
    }
    let identity: serde_json::Value = serde_json::from_str(&ok(&open).await).unwrap();
    assert_eq!(identity["full_name"], person["full_name"], "{identity}");
    assert_eq!(identity["resident_id"], person["resident_id"], "{identity}");
    // Anyone counts the opening from the chain, in the total and under its day.
    let entry = show(&["--days", "2"]).await;
    assert_eq!(entry["openings"], 1, "{entry}");
    let by_day: u64 = entry["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| day["openings"].as_u64().unwrap())
        .sum();
    assert_eq!(by_day, 1, "{entry}");

    // judge-1 leaves and judge-4 joins; two old approvers re-seal the records on their own
    // machines, from the set they read on chain.
    let judge4 = ok(&[
        "approver",
        "keygen",
        "--id",
        "judge-4",
        "--dir",
        &s(&at("approver-4")),
    ])
    .await;
    let replaced = s(&at("approvers-2.json"));
    ok(&[
        "governance",
        "propose",
        "--genesis",
        &genesis,
        "--out",
        &replaced,
        "set-approvers",
        "--issuer",
        &issuer_did,
        "--threshold",
        "2",
        "--approver",
        &approver_files[1],
        "--approver",
        &approver_files[2],
        "--approver",
        judge4.trim(),
    ])
    .await;
    decide(&replaced, &governors[1..], &genesis, &registry, &ca_pem).await;
    let reseal = |i: usize| {
        [
            "approver",
            "reseal",
            "--endpoint",
            &issuer_url,
            "--tls-ca",
            &ca_pem,
            "--issuer",
            &issuer_did,
            "--key",
            &approver_key(i),
            "--genesis",
            &genesis,
            "--registry",
            &registry,
            "--yes",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let first = run(reseal(1), vec![]).await;
    assert!(
        first.status.success() && text(&first).contains("0 re-sealed, 1 wait"),
        "{}",
        text(&first)
    );
    let second = run(reseal(2), vec![]).await;
    assert!(
        second.status.success() && text(&second).contains("1 re-sealed, 0 wait"),
        "{}",
        text(&second)
    );
}
