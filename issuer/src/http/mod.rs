//! The status lists over HTTP, as the Token Status List draft expects verifiers to fetch
//! them: `GET /status/<n>` answers the current token with media type
//! `application/statuslist+jwt`. Anyone may fetch; the token is signed and its hash is on
//! chain, so a rewritten token is caught. Served over TLS when the issuer has a certificate
//! (then what a verifier fetches, and so which lists it checks, cannot be seen on the path).

mod tls;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use realdid_proto::tls::ServerTls;

use crate::IssuerError;
use crate::authority::IdentityAuthority;
use crate::engine::Issuer;
use crate::status::LIST_TTL_SECONDS;

async fn status_list<A: IdentityAuthority + 'static>(
    State(issuer): State<Arc<Issuer<A>>>,
    Path(number): Path<String>,
) -> Response {
    let Ok(number) = number.parse::<u32>() else {
        return (StatusCode::NOT_FOUND, "no such status list\n").into_response();
    };
    match issuer.status_list_token(number) {
        Ok(Some((token, _))) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/statuslist+jwt".to_owned(),
                ),
                (header::CACHE_CONTROL, format!("max-age={LIST_TTL_SECONDS}")),
            ],
            token,
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such status list\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "serving a status list");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "status list unavailable\n",
            )
                .into_response()
        }
    }
}

/// Serves the status lists on `listener` (over TLS by `tls` when given) until `shutdown`
/// completes.
pub async fn serve<A: IdentityAuthority + 'static>(
    issuer: Arc<Issuer<A>>,
    listener: tokio::net::TcpListener,
    tls: Option<&ServerTls>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), IssuerError> {
    let app = Router::new()
        .route("/status/{number}", get(status_list::<A>))
        .with_state(issuer);
    let served = match tls {
        Some(tls) => {
            let config = tls
                .rustls_config()
                .map_err(|e| IssuerError::Config(format!("status-list HTTPS: {e}")))?;
            let listener = tls::TlsListener::new(listener, config)
                .map_err(|e| IssuerError::Server(format!("HTTPS: {e}")))?;
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
    };
    served.map_err(|e| IssuerError::Server(format!("HTTP: {e}")))
}
