//! The status lists over plain HTTP, as the Token Status List draft expects verifiers to
//! fetch them: `GET /status/<n>` answers the current token with media type
//! `application/statuslist+jwt`. Anyone may fetch; the token is signed and its hash is on
//! chain, so the transport needs no trust.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

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

/// Serves the status lists on `listener` until `shutdown` completes.
pub async fn serve<A: IdentityAuthority + 'static>(
    issuer: Arc<Issuer<A>>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), IssuerError> {
    let app = Router::new()
        .route("/status/{number}", get(status_list::<A>))
        .with_state(issuer);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| IssuerError::Server(format!("HTTP: {e}")))
}
