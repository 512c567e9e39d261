//! A TLS listener for the status-list server: TCP connections accepted as they come, each
//! handshake in a task of its own (bounded in time and in number), and only finished
//! handshakes handed to the HTTP server. A client that opens a connection and never
//! completes its handshake holds one slot for at most [`HANDSHAKE_TIMEOUT`], never the
//! accept loop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The longest a client may take to complete its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; connections beyond wait in the kernel's backlog.
pub const MAX_HANDSHAKES: usize = 256;

/// Connections that completed their handshake, for [`axum::serve`].
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Accepts on `tcp`, completing handshakes by `config`.
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (done, ready) = mpsc::channel(MAX_HANDSHAKES);
        let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
        let accepting = tokio::spawn(async move {
            loop {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!(error = %e, "accepting a status-list connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let done = done.clone();
                tokio::spawn(async move {
                    let _slot = slot;
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = done.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake refused"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self {
            ready,
            local,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept task ended (it never does while the listener lives): serve nothing
            // more, as a closed socket would.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use realdid_proto::dev_ca::DevCa;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    /// An HTTPS server of one route over [`TlsListener`], its CA's client settings, and
    /// its address.
    async fn server() -> (SocketAddr, realdid_proto::tls::ClientTls, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let ca = DevCa::new("test CA").unwrap();
        ca.write_cert(dir.path()).unwrap();
        let tls = ca
            .write_server(dir.path(), "issuer", &["127.0.0.1"], false)
            .unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listener = TlsListener::new(tcp, tls.rustls_config().unwrap()).unwrap();
        let addr = axum::serve::Listener::local_addr(&listener).unwrap();
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "listed" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (addr, DevCa::client_of(dir.path(), None), dir)
    }

    async fn get_over_tls(
        addr: SocketAddr,
        tls: &realdid_proto::tls::ClientTls,
    ) -> std::io::Result<String> {
        let config = Arc::new(tls.rustls_config().unwrap());
        let connector = tokio_rustls::TlsConnector::from(config);
        let tcp = TcpStream::connect(addr).await?;
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let mut stream = connector.connect(name, tcp).await?;
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await?;
        Ok(answer)
    }

    #[tokio::test]
    async fn status_lists_are_served_over_tls_and_a_stalled_handshake_blocks_no_one() {
        let (addr, trusting, _dir) = server().await;
        let answer = get_over_tls(addr, &trusting).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("listed"), "{answer}");

        // A client that connects and never speaks holds a handshake slot, not the listener.
        let _stalled = TcpStream::connect(addr).await.unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(5), get_over_tls(addr, &trusting))
            .await
            .expect("served while another handshake stalls")
            .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

        // Plain HTTP gets no status list.
        let mut plain = TcpStream::connect(addr).await.unwrap();
        plain
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut answer)).await;
        assert!(
            !String::from_utf8_lossy(&answer).contains("listed"),
            "a plaintext client was served"
        );

        // A client trusting another CA refuses the server.
        let other = tempfile::tempdir().unwrap();
        DevCa::new("other CA")
            .unwrap()
            .write_cert(other.path())
            .unwrap();
        assert!(
            get_over_tls(addr, &DevCa::client_of(other.path(), None))
                .await
                .is_err()
        );
    }
}
