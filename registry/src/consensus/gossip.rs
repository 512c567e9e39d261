//! Carries transaction gossip (see [`crate::node::gossip`]) over its own p2p channel.

use std::sync::Arc;
use std::time::Duration;

use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use tracing::{debug, warn};

use super::application::unix_ms;
use crate::node::gossip::{decode_batch, encode_batches};
use crate::node::shared::Shared;

/// How long a submitted transaction may wait before it is sent on: short next to a block
/// interval, long enough to send a batch rather than a message per transaction.
pub const SEND_INTERVAL: Duration = Duration::from_millis(10);

/// Sends what was submitted here to every peer, every [`SEND_INTERVAL`], until the task is
/// dropped.
pub async fn send_loop<E: Clock>(
    context: E,
    shared: Arc<Shared>,
    mut sender: impl Sender<PublicKey = PublicKey>,
) {
    loop {
        context.sleep(SEND_INTERVAL).await;
        for batch in encode_batches(&shared.outbox.take()) {
            // A peer that is down misses the batch; the submitting node still includes the
            // transaction when it leads.
            sender.send(Recipients::All, batch, false);
        }
    }
}

/// Pools what peers gossip, after checking each transaction here; ends when the network
/// stops.
pub async fn receive_loop<E: Clock + Spawner>(
    context: E,
    shared: Arc<Shared>,
    mut receiver: impl Receiver<PublicKey = PublicKey>,
) {
    while let Ok((peer, bytes)) = receiver.recv().await {
        let txs = match decode_batch(bytes.as_ref()) {
            Ok(txs) => txs,
            Err(error) => {
                warn!(%peer, %error, "dropping a gossip batch");
                continue;
            }
        };
        let now = unix_ms(context.current());
        let shared = shared.clone();
        // Checking signatures is CPU work: off the async workers, one batch at a time.
        let admitted = context
            .child("admit")
            .shared(true)
            .spawn(move |_| async move {
                shared
                    .admit_gossiped(txs, now)
                    .inspect_err(|error| warn!(%error, "cannot check a gossiped batch"))
            })
            .await;
        debug!(%peer, ?admitted, "gossip batch");
    }
}
