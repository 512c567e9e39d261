//! Every line that touches Commonware lives in this module, so that an upgrade of the
//! consensus engine touches one place.
//!
//! - [`block`]: the registry block as the engine sees it.
//! - [`application`]: propose and verify, over the node's execution.
//! - [`finalizer`]: commits finalized blocks to the store.
//! - [`engine`]: the wiring of simplex, marshal, broadcast and p2p.
//! - [`gossip`]: transaction gossip over its own p2p channel.
//! - [`certificate`]: finality certificates as bytes, and their verification against the
//!   genesis validator keys (used by the light client).

pub mod application;
pub mod block;
pub mod certificate;
pub mod engine;
pub mod finalizer;
pub mod gossip;

/// The signing scheme of consensus votes and certificates: Ed25519, attributable, so that a
/// certificate names which validators signed and anyone holding their keys can check it.
pub type Scheme = commonware_consensus::simplex::scheme::ed25519::Scheme;

/// Domain separation of p2p handshakes, followed by the chain id.
const P2P_DOMAIN: &[u8] = b"realdid/registry/p2p/v1/";

/// The namespace of consensus signatures: light clients check certificates under it.
pub use realdid_registry_client::certificate::namespace;

/// The namespace of `chain`'s p2p handshakes: validators of two chains never connect.
pub fn p2p_namespace(chain: &crate::genesis::ChainId) -> Vec<u8> {
    [P2P_DOMAIN, chain.as_str().as_bytes()].concat()
}
