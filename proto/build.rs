//! Compiles the realdid.v1 contract (`realdid/v1/*.proto`) into prost messages and tonic
//! clients and servers, and writes the file descriptor set that services register for gRPC
//! server reflection (`realdid_v1_descriptor.bin` in `OUT_DIR`).
//!
//! Needs `protoc` on `PATH` (or named by the `PROTOC` environment variable).

use std::error::Error;
use std::path::PathBuf;
use std::{env, fs};

/// The package directory, relative to the include root (this crate's directory).
const PROTO_DIR: &str = "realdid/v1";

/// Messages that carry secrets or personal data: prost derives no `Debug` for them (nor for
/// their oneofs); `src/redact.rs` implements a `Debug` that hides those fields, so that
/// logging a request with `{:?}` cannot leak a password or a resident ID number.
const REDACTED_DEBUG: &[&str] = &[
    ".realdid.v1.CheckRequest",
    ".realdid.v1.EnrolRequest",
    ".realdid.v1.IdentityRecord",
    ".realdid.v1.IssuedCredential",
    ".realdid.v1.OperatorLoginRequest",
    ".realdid.v1.OperatorLoginResponse",
    ".realdid.v1.VerifiedPresentation",
    ".realdid.v1.VerifyPresentationRequest",
];

fn main() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    // Every .proto file of the package, in a stable order so generated code is reproducible.
    let mut protos = Vec::new();
    for entry in fs::read_dir(manifest_dir.join(PROTO_DIR))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "proto") {
            protos.push(path);
        }
    }
    protos.sort();
    if protos.is_empty() {
        return Err(format!(
            "no .proto files in {}",
            manifest_dir.join(PROTO_DIR).display()
        )
        .into());
    }

    // Rerun only when the contract or the compiler changes (cargo scans a directory
    // recursively); tonic-prost-build would otherwise watch the whole include root.
    println!("cargo:rerun-if-changed={PROTO_DIR}");
    println!("cargo:rerun-if-env-changed=PROTOC");

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .emit_rerun_if_changed(false)
        // Maps become BTreeMap: deterministic iteration, Debug output and encoding.
        .btree_map(".")
        .skip_debug(REDACTED_DEBUG)
        .file_descriptor_set_path(out_dir.join("realdid_v1_descriptor.bin"))
        .compile_protos(&protos, &[manifest_dir])?;
    Ok(())
}
