//! `GET /1.0/identifiers/{did}`, the way a Universal Resolver driver answers: the DID
//! resolution result (document, document metadata, resolution metadata) of a did:realdid
//! at this node's latest finalized height. Tools built for the Universal Resolver resolve
//! did:realdid through any node without a gRPC client. The answer is this node's word; a
//! client that must not trust one node reads through the light client instead (gRPC
//! `Resolve` carries the proof).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use realdid_core::did::RealDid;
use realdid_core::did::document::realdid_document;
use realdid_registry_client::records::{DidRecord, decode_value};
use realdid_registry_client::state_key::StateKey;
use serde_json::{Value, json};

use super::reads::{self, ReadAt};
use super::shared::Shared;

/// Largest DID accepted in the path, bytes.
const MAX_DID_LEN: usize = 256;

fn rfc3339(ms: u64) -> String {
    let seconds = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn answer(status: StatusCode, body: Value, height: Option<u64>) -> Response {
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            "application/ld+json;profile=\"https://w3id.org/did-resolution\"",
        )],
        body.to_string(),
    )
        .into_response();
    if let Some(height) = height
        && let Ok(value) = HeaderValue::from_str(&height.to_string())
    {
        response.headers_mut().insert("x-realdid-height", value);
    }
    response
}

fn error(status: StatusCode, code: &str, message: String) -> Response {
    answer(
        status,
        json!({
            "@context": "https://w3id.org/did-resolution/v1",
            "didDocument": null,
            "didDocumentMetadata": {},
            "didResolutionMetadata": { "error": code, "errorMessage": message },
        }),
        None,
    )
}

async fn identifier(State(shared): State<Arc<Shared>>, Path(did): Path<String>) -> Response {
    if did.len() > MAX_DID_LEN {
        return error(
            StatusCode::BAD_REQUEST,
            "invalidDid",
            format!("a DID is at most {MAX_DID_LEN} bytes"),
        );
    }
    if !did.starts_with("did:realdid:") {
        return error(
            StatusCode::NOT_IMPLEMENTED,
            "methodNotSupported",
            "this node resolves did:realdid only".into(),
        );
    }
    let did: RealDid = match did.parse() {
        Ok(did) => did,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalidDid", e.to_string()),
    };
    let read = tokio::task::spawn_blocking(move || {
        let height = reads::height_for(&shared.store, ReadAt::Latest)?;
        let bytes = shared.store.get(&StateKey::Did(did), height)?;
        Ok::<_, crate::RegistryError>((height, bytes))
    })
    .await;
    let (height, bytes) = match read {
        Ok(Ok(read)) => read,
        Ok(Err(e)) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "internalError",
                e.to_string(),
            );
        }
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internalError",
                e.to_string(),
            );
        }
    };
    let Some(bytes) = bytes else {
        return error(
            StatusCode::NOT_FOUND,
            "notFound",
            format!("not on the registry at height {height}"),
        );
    };
    let rendered = decode_value::<DidRecord>(&bytes, "DID record")
        .map_err(|e| e.to_string())
        .and_then(|record| {
            realdid_document(&record.state)
                .map_err(|e| e.to_string())
                .map(|document| (record, document))
        });
    let (record, document) = match rendered {
        Ok(rendered) => rendered,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internalError", e),
    };
    answer(
        StatusCode::OK,
        json!({
            "@context": "https://w3id.org/did-resolution/v1",
            "didDocument": document,
            "didDocumentMetadata": {
                "created": rfc3339(record.created_ms),
                "updated": rfc3339(record.updated_ms),
                "versionId": record.state.version.to_string(),
                "deactivated": record.state.is_deactivated(),
            },
            "didResolutionMetadata": {
                "contentType": "application/did+ld+json",
                "registryHeight": height,
            },
        }),
        Some(height),
    )
}

/// Answers `GET /1.0/identifiers/{did}` on `listener` from `shared` until `shutdown`.
pub async fn serve(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/1.0/identifiers/{did}", axum::routing::get(identifier))
        .with_state(shared);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
