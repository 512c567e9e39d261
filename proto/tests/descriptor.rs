//! Guards the realdid.v1 contract: the embedded descriptor set decodes, holds the four
//! services with every RPC the other crates rely on, and documents every declaration.

use std::collections::BTreeSet;
use std::error::Error;

use prost::Message;
use prost_types::{FileDescriptorProto, FileDescriptorSet, ServiceDescriptorProto};
use realdid_proto::FILE_DESCRIPTOR_SET;

type TestResult = Result<(), Box<dyn Error>>;

const PACKAGE: &str = "realdid.v1";

/// Every service and its RPCs, as other crates call them. Adding an RPC means adding it
/// here; removing or renaming one must fail this test.
const SERVICES: &[(&str, &[&str])] = &[
    (
        "Registry",
        &[
            "SubmitTransaction",
            "Resolve",
            "ResolveMany",
            "GetIssuerAccreditation",
            "GetStatusListAnchor",
            "GetAuditAnchor",
            "GetTransparencyDay",
            "GetIssuerRegister",
            "GetTransaction",
            "GetBlock",
            "GetChainStatus",
            "StreamBlocks",
        ],
    ),
    (
        "Issuer",
        &[
            "GetIssuerInfo",
            "CreateNonce",
            "Enrol",
            "GetStatusList",
            "SuspendSelf",
            "ResumeSelf",
            "ListOwnTraces",
            "OperatorLogin",
            "OperatorLogout",
            "RevokeCredentials",
            "SuspendCredentials",
            "ReinstateCredentials",
            "CreateTrace",
            "ApproveTrace",
            "GetTrace",
            "ListTraces",
            "GetIssuerStats",
            "GetCredentialStatus",
            "ListAuditLog",
            "OpenTrace",
            "GetSealedRecord",
            "ReleaseShare",
            "CollectShares",
            "ListReseals",
            "SubmitReshares",
        ],
    ),
    (
        "Verifier",
        &[
            "CreatePresentationRequest",
            "GetRequest",
            "VerifyPresentation",
            "SubmitPresentation",
            "GetResult",
        ],
    ),
    ("VerifierAdmin", &["GetVerifierStats"]),
    ("IdentityAuthority", &["Check"]),
];

/// Field numbers of `google.protobuf.FileDescriptorProto` and friends, used to build
/// `SourceCodeInfo` location paths.
mod path {
    pub const FILE_MESSAGE: i32 = 4;
    pub const FILE_ENUM: i32 = 5;
    pub const FILE_SERVICE: i32 = 6;
    pub const MESSAGE_FIELD: i32 = 2;
    pub const MESSAGE_ONEOF: i32 = 8;
    pub const ENUM_VALUE: i32 = 2;
    pub const SERVICE_METHOD: i32 = 2;
}

fn descriptor_set() -> Result<FileDescriptorSet, Box<dyn Error>> {
    Ok(FileDescriptorSet::decode(FILE_DESCRIPTOR_SET)?)
}

fn realdid_files(set: &FileDescriptorSet) -> Vec<&FileDescriptorProto> {
    set.file
        .iter()
        .filter(|file| file.package() == PACKAGE)
        .collect()
}

fn services(set: &FileDescriptorSet) -> Vec<&ServiceDescriptorProto> {
    realdid_files(set)
        .into_iter()
        .flat_map(|file| file.service.iter())
        .collect()
}

#[test]
fn descriptor_set_decodes_with_the_five_files() -> TestResult {
    let set = descriptor_set()?;
    let names: BTreeSet<&str> = realdid_files(&set).iter().map(|f| f.name()).collect();
    let expected: BTreeSet<&str> = [
        "realdid/v1/authority.proto",
        "realdid/v1/common.proto",
        "realdid/v1/issuer.proto",
        "realdid/v1/registry.proto",
        "realdid/v1/verifier.proto",
    ]
    .into_iter()
    .collect();
    assert_eq!(names, expected);
    for file in realdid_files(&set) {
        assert_eq!(file.syntax(), "proto3", "{} is not proto3", file.name());
    }
    Ok(())
}

#[test]
fn every_service_has_exactly_its_rpcs() -> TestResult {
    let set = descriptor_set()?;
    let found = services(&set);
    let found_names: BTreeSet<&str> = found.iter().map(|s| s.name()).collect();
    let expected_names: BTreeSet<&str> = SERVICES.iter().map(|(name, _)| *name).collect();
    assert_eq!(found_names, expected_names, "services");

    for (name, rpcs) in SERVICES {
        let service = found
            .iter()
            .find(|s| s.name() == *name)
            .ok_or_else(|| format!("service {name} missing"))?;
        let methods: BTreeSet<&str> = service.method.iter().map(|m| m.name()).collect();
        let expected: BTreeSet<&str> = rpcs.iter().copied().collect();
        assert_eq!(methods, expected, "RPCs of {name}");
        for method in &service.method {
            // Buf-style naming: every RPC has its own <Rpc>Request and <Rpc>Response.
            assert_eq!(
                method.input_type(),
                format!(".{PACKAGE}.{}Request", method.name()),
                "{name}.{} input",
                method.name()
            );
            assert_eq!(
                method.output_type(),
                format!(".{PACKAGE}.{}Response", method.name()),
                "{name}.{} output",
                method.name()
            );
        }
    }
    Ok(())
}

#[test]
fn only_stream_blocks_streams() -> TestResult {
    let set = descriptor_set()?;
    for service in services(&set) {
        for method in &service.method {
            let is_stream_blocks = service.name() == "Registry" && method.name() == "StreamBlocks";
            assert!(
                !method.client_streaming(),
                "{} streams requests",
                method.name()
            );
            assert_eq!(
                method.server_streaming(),
                is_stream_blocks,
                "{}.{} server streaming",
                service.name(),
                method.name()
            );
        }
    }
    Ok(())
}

#[test]
fn every_enum_starts_with_unspecified_zero() -> TestResult {
    let set = descriptor_set()?;
    for file in realdid_files(&set) {
        for enumeration in &file.enum_type {
            let first = enumeration
                .value
                .first()
                .ok_or_else(|| format!("enum {} is empty", enumeration.name()))?;
            assert_eq!(first.number(), 0, "{}", enumeration.name());
            assert!(
                first.name().ends_with("_UNSPECIFIED"),
                "{}: zero value {}",
                enumeration.name(),
                first.name()
            );
        }
    }
    Ok(())
}

/// Every service, RPC, message, field, oneof, enum and enum value carries a leading
/// comment: the .proto files are the contract's only documentation.
#[test]
fn every_declaration_is_documented() -> TestResult {
    let set = descriptor_set()?;
    let mut undocumented = Vec::new();
    for file in realdid_files(&set) {
        let info = file
            .source_code_info
            .as_ref()
            .ok_or_else(|| format!("{} has no source info", file.name()))?;
        let documented = |path: &[i32]| {
            info.location
                .iter()
                .any(|loc| loc.path == path && !loc.leading_comments().trim().is_empty())
        };
        let mut check = |path: Vec<i32>, what: String| {
            if !documented(&path) {
                undocumented.push(format!("{}: {what}", file.name()));
            }
        };
        for (s, service) in (0_i32..).zip(&file.service) {
            check(vec![path::FILE_SERVICE, s], service.name().to_owned());
            for (m, method) in (0_i32..).zip(&service.method) {
                check(
                    vec![path::FILE_SERVICE, s, path::SERVICE_METHOD, m],
                    format!("{}.{}", service.name(), method.name()),
                );
            }
        }
        for (m, message) in (0_i32..).zip(&file.message_type) {
            // Map fields get a synthetic nested `<Field>Entry` message; nothing else may
            // nest, because this test does not look inside nested declarations.
            let only_map_entries = message
                .nested_type
                .iter()
                .all(|nested| nested.options.as_ref().is_some_and(|o| o.map_entry()));
            assert!(
                only_map_entries && message.enum_type.is_empty(),
                "{}: nested declarations are not checked by this test",
                message.name()
            );
            check(vec![path::FILE_MESSAGE, m], message.name().to_owned());
            for (f, field) in (0_i32..).zip(&message.field) {
                check(
                    vec![path::FILE_MESSAGE, m, path::MESSAGE_FIELD, f],
                    format!("{}.{}", message.name(), field.name()),
                );
            }
            for (o, oneof) in (0_i32..).zip(&message.oneof_decl) {
                // proto3 `optional` fields get synthetic oneofs named `_<field>`, which have
                // no source of their own.
                if oneof.name().starts_with('_') {
                    continue;
                }
                check(
                    vec![path::FILE_MESSAGE, m, path::MESSAGE_ONEOF, o],
                    format!("{} oneof {}", message.name(), oneof.name()),
                );
            }
        }
        for (e, enumeration) in (0_i32..).zip(&file.enum_type) {
            check(vec![path::FILE_ENUM, e], enumeration.name().to_owned());
            for (v, value) in (0_i32..).zip(&enumeration.value) {
                check(
                    vec![path::FILE_ENUM, e, path::ENUM_VALUE, v],
                    value.name().to_owned(),
                );
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "undocumented declarations:\n{}",
        undocumented.join("\n")
    );
    Ok(())
}

/// The generated clients and servers exist under the names other crates import.
#[test]
fn generated_code_has_clients_and_servers() {
    use realdid_proto::v1::identity_authority_client::IdentityAuthorityClient;
    use realdid_proto::v1::identity_authority_server::IdentityAuthorityServer;
    use realdid_proto::v1::issuer_client::IssuerClient;
    use realdid_proto::v1::issuer_server::IssuerServer;
    use realdid_proto::v1::registry_client::RegistryClient;
    use realdid_proto::v1::registry_server::RegistryServer;
    use realdid_proto::v1::verifier_client::VerifierClient;
    use realdid_proto::v1::verifier_server::VerifierServer;

    assert_eq!(
        <RegistryServer<()> as tonic::server::NamedService>::NAME,
        "realdid.v1.Registry"
    );
    assert_eq!(
        <IssuerServer<()> as tonic::server::NamedService>::NAME,
        "realdid.v1.Issuer"
    );
    assert_eq!(
        <VerifierServer<()> as tonic::server::NamedService>::NAME,
        "realdid.v1.Verifier"
    );
    assert_eq!(
        <IdentityAuthorityServer<()> as tonic::server::NamedService>::NAME,
        "realdid.v1.IdentityAuthority"
    );
    // The clients are generic over a transport; naming the types is the check.
    let _ = std::any::type_name::<RegistryClient<tonic::transport::Channel>>();
    let _ = std::any::type_name::<IssuerClient<tonic::transport::Channel>>();
    let _ = std::any::type_name::<VerifierClient<tonic::transport::Channel>>();
    let _ = std::any::type_name::<IdentityAuthorityClient<tonic::transport::Channel>>();
}
