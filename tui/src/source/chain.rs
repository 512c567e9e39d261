//! The chain source: polls every registry node for its own report once a second, follows
//! the block stream from one node that answers, and turns both into updates.
//!
//! Every call has a deadline, so a node that hangs shows as down instead of holding the
//! console up; a node that comes back is picked up at the next poll.

use std::collections::VecDeque;
use std::time::Duration;

use futures::StreamExt as _;
use realdid_core::clock::Clock;
use realdid_proto::tls::ClientTls;
use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_client::RegistryClient;
use tokio::sync::mpsc;
use tonic::transport::Channel;

use crate::event::Update;
use crate::model::{BlockRow, Link, NodeStatus, RateSample, ValidatorHealth, ValidatorRow};

/// How often the nodes are polled.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long one poll may take before the node counts as down.
const POLL_DEADLINE: Duration = Duration::from_millis(1500);
/// A validator not seen signing for this long is down.
const DOWN_AFTER_MS: i64 = 10_000;
/// A validator more than this many heights behind the chain is behind.
const BEHIND_BY: u64 = 3;
/// How many blocks before the tip the stream starts at, so the list is not empty.
const BACKFILL: u64 = 20;
/// How far the stream may fall behind the nodes' reported tip before it is followed from
/// another node.
const STALL_BY: u64 = 3;

/// One node: its endpoint and, once connected, its client.
#[derive(Clone)]
struct Node {
    endpoint: String,
    client: Option<RegistryClient<Channel>>,
    status: NodeStatus,
    /// The validators as this node last reported them.
    validators: Vec<pb::ValidatorStatus>,
}

/// Polls `endpoints` and follows the block stream until `updates` is closed.
pub async fn run(
    endpoints: Vec<String>,
    validator_keys: Vec<String>,
    tls: ClientTls,
    clock: std::sync::Arc<dyn Clock>,
    updates: mpsc::Sender<Update>,
) {
    let nodes: Vec<Node> = endpoints
        .into_iter()
        .map(|endpoint| Node {
            status: NodeStatus::new(endpoint.clone()),
            endpoint,
            client: None,
            validators: Vec::new(),
        })
        .collect();
    // Polls run on their own task: a node that takes its whole deadline to fail must not
    // hold up the blocks the others stream meanwhile.
    let (polls_tx, mut polls) = mpsc::channel::<(i64, Vec<Node>)>(2);
    let poller = tokio::spawn(poll_forever(nodes, tls, clock, polls_tx));
    let (blocks_tx, mut blocks_rx) = mpsc::channel::<Result<BlockRow, String>>(256);
    let mut stream_task: Option<(usize, tokio::task::JoinHandle<()>)> = None;
    let mut last_height: Option<u64> = None;
    let mut window = Window::default();
    let _stop = AbortOnDrop(poller);
    loop {
        tokio::select! {
            polled = polls.recv() => {
                let Some((now, nodes)) = polled else { return };
                for (index, node) in nodes.iter().enumerate() {
                    let update = Update::Node { index, status: node.status.clone() };
                    if updates.send(update).await.is_err() {
                        return;
                    }
                }
                let tip = nodes.iter().filter_map(|n| n.status.height).max();
                let rows = validators(&nodes, &validator_keys, tip, now);
                if updates.send(Update::Validators(rows)).await.is_err() {
                    return;
                }
                let finality = nodes
                    .iter()
                    .filter(|n| n.status.height == tip)
                    .find_map(|n| Some(n.status.finalized_at_ms? - n.status.block_time_ms?));
                if let Some(sample) = window.sample(now, finality)
                    && updates.send(Update::Sample(sample)).await.is_err()
                {
                    return;
                }
                // A stream whose node stopped answering, or that fell behind the chain (a
                // node that hangs sends no error), is given up for another node's.
                if let Some((index, task)) = &stream_task {
                    let stalled =
                        tip.is_some_and(|tip| last_height.is_some_and(|h| h + STALL_BY < tip));
                    let down = !matches!(nodes[*index].status.link, Link::Up { .. });
                    if task.is_finished() || stalled || down {
                        task.abort();
                        stream_task = None;
                    }
                }
                if stream_task.is_none() {
                    let best = nodes
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| matches!(n.status.link, Link::Up { .. }))
                        .max_by_key(|(i, n)| (n.status.height, std::cmp::Reverse(*i)));
                    if let Some((index, node)) = best
                        && let Some(client) = node.client.clone()
                    {
                        let from = last_height.map_or_else(
                            || tip.unwrap_or(0).saturating_sub(BACKFILL),
                            |h| h + 1,
                        );
                        let task = tokio::spawn(follow(client, from, blocks_tx.clone()));
                        stream_task = Some((index, task));
                        if updates.send(Update::Stream(None)).await.is_err() {
                            return;
                        }
                    }
                }
            }
            Some(block) = blocks_rx.recv() => {
                match block {
                    Ok(block) => {
                        if last_height.is_none_or(|h| block.height > h) {
                            last_height = Some(block.height);
                            window.count(&block);
                        }
                        if updates.send(Update::Block(block)).await.is_err() {
                            return;
                        }
                    }
                    Err(reason) => {
                        if updates.send(Update::Stream(Some(reason))).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// The clock's time as Unix milliseconds.
pub fn now_ms(clock: &dyn Clock) -> i64 {
    i64::try_from(clock.now().as_millis()).unwrap_or(i64::MAX)
}

/// Aborts a task when dropped, so that the poller ends with the source.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Polls every node every [`POLL_INTERVAL`] and sends what they said, with the time of the
/// poll, until `polls` is closed.
async fn poll_forever(
    mut nodes: Vec<Node>,
    tls: ClientTls,
    clock: std::sync::Arc<dyn Clock>,
    polls: mpsc::Sender<(i64, Vec<Node>)>,
) {
    let mut ticker = tokio::time::interval(POLL_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let now = now_ms(clock.as_ref());
        poll_all(&mut nodes, &tls, now).await;
        if polls.send((now, nodes.clone())).await.is_err() {
            return;
        }
    }
}

/// Polls every node at once, each within [`POLL_DEADLINE`].
async fn poll_all(nodes: &mut [Node], tls: &ClientTls, now_ms: i64) {
    let polls = nodes.iter_mut().map(|node| poll(node, tls, now_ms));
    futures::future::join_all(polls).await;
}

async fn poll(node: &mut Node, tls: &ClientTls, now_ms: i64) {
    let started = std::time::Instant::now();
    let answer = tokio::time::timeout(POLL_DEADLINE, async {
        if node.client.is_none() {
            let channel = tls
                .connect(&node.endpoint)
                .await
                .map_err(|e| e.to_string())?;
            node.client = Some(RegistryClient::new(channel));
        }
        let Some(client) = node.client.as_mut() else {
            return Err("not connected".to_owned());
        };
        client
            .get_chain_status(pb::GetChainStatusRequest {})
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| status.message().to_owned())
    })
    .await
    .unwrap_or_else(|_| Err(format!("no answer in {} ms", POLL_DEADLINE.as_millis())));
    match answer {
        Ok(status) => {
            let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            node.status = NodeStatus {
                endpoint: node.endpoint.clone(),
                link: Link::Up { latency_ms },
                height: Some(status.height),
                block_time_ms: Some(status.block_time_unix_ms),
                finalized_at_ms: Some(status.finalized_at_unix_ms),
                pending: Some(status.pending_transactions),
                started_at_ms: Some(status.started_at_unix_ms),
                version: Some(status.node_version).filter(|v| !v.is_empty()),
                node_key: hex::encode(&status.node_public_key),
            };
            node.validators = status.validators;
        }
        Err(reason) => {
            // A broken channel is dropped so that the next poll dials again.
            node.client = None;
            node.validators.clear();
            let since_ms = match node.status.link {
                Link::Down { since_ms, .. } => since_ms,
                _ => now_ms,
            };
            node.status.link = Link::Down { since_ms, reason };
        }
    }
}

/// The validators as all nodes' reports show them together: the highest height each was
/// seen signing and the latest time, by any node that answered.
fn validators(nodes: &[Node], keys: &[String], tip: Option<u64>, now_ms: i64) -> Vec<ValidatorRow> {
    keys.iter()
        .enumerate()
        .map(|(index, key)| {
            let seen = nodes
                .iter()
                .filter(|n| matches!(n.status.link, Link::Up { .. }))
                .filter_map(|n| n.validators.get(index));
            let last_height = seen.clone().filter_map(|v| v.last_finalized_height).max();
            let last_seen_ms = seen.filter_map(|v| v.last_seen_unix_ms).max();
            let health = match (last_seen_ms, last_height, tip) {
                (Some(at), _, _) if now_ms - at > DOWN_AFTER_MS => ValidatorHealth::Down,
                (None, _, _) => ValidatorHealth::Down,
                (Some(_), Some(h), Some(tip)) if h + BEHIND_BY < tip => ValidatorHealth::Behind,
                _ => ValidatorHealth::Up,
            };
            ValidatorRow {
                index,
                key: key.clone(),
                last_height,
                last_seen_ms,
                health,
            }
        })
        .collect()
}

/// Blocks and transactions counted since the last sample.
#[derive(Default)]
struct Window {
    since_ms: Option<i64>,
    blocks: u64,
    txs: u64,
    recent_finality: VecDeque<i64>,
}

impl Window {
    fn count(&mut self, block: &BlockRow) {
        self.blocks += 1;
        self.txs += u64::from(block.tx_count);
    }

    /// The rates since the last sample, and the latest finality latency; `None` at the
    /// first call, which only starts the window.
    fn sample(&mut self, now_ms: i64, finality_ms: Option<i64>) -> Option<RateSample> {
        if let Some(latency) = finality_ms.filter(|l| *l >= 0) {
            self.recent_finality.push_back(latency);
            if self.recent_finality.len() > 5 {
                self.recent_finality.pop_front();
            }
        }
        let since = self.since_ms.replace(now_ms)?;
        let seconds = ((now_ms - since) as f64 / 1000.0).max(0.001);
        let sample = RateSample {
            at_ms: now_ms,
            blocks_per_s: self.blocks as f64 / seconds,
            txs_per_s: self.txs as f64 / seconds,
            finality_ms: self.recent_finality.back().copied().unwrap_or(0) as f64,
        };
        self.blocks = 0;
        self.txs = 0;
        Some(sample)
    }
}

/// Streams finalized blocks from `from` into `blocks` until the stream ends or fails.
async fn follow(
    mut client: RegistryClient<Channel>,
    from: u64,
    blocks: mpsc::Sender<Result<BlockRow, String>>,
) {
    let stream = client
        .stream_blocks(pb::StreamBlocksRequest { from_height: from })
        .await;
    let mut stream = match stream {
        Ok(response) => response.into_inner(),
        Err(status) => {
            let _ = blocks.send(Err(status.message().to_owned())).await;
            return;
        }
    };
    loop {
        match stream.next().await {
            Some(Ok(message)) => {
                let Some(block) = message.block else { continue };
                let row = BlockRow {
                    height: block.height,
                    hash: hex::encode(&block.block_hash),
                    tx_count: block.tx_count,
                    time_ms: block.block_time_unix_ms,
                };
                if blocks.send(Ok(row)).await.is_err() {
                    return;
                }
            }
            Some(Err(status)) => {
                let _ = blocks.send(Err(status.message().to_owned())).await;
                return;
            }
            None => {
                let _ = blocks.send(Err("the node ended the stream".into())).await;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn node(up: bool, validators: Vec<(Option<u64>, Option<i64>)>) -> Node {
        let mut status = NodeStatus::new("https://n");
        status.link = if up {
            Link::Up { latency_ms: 1 }
        } else {
            Link::Down {
                since_ms: 0,
                reason: "refused".into(),
            }
        };
        Node {
            endpoint: "https://n".into(),
            client: None,
            status,
            validators: validators
                .into_iter()
                .map(|(height, seen)| pb::ValidatorStatus {
                    public_key: Vec::new(),
                    last_seen_unix_ms: seen,
                    last_finalized_height: height,
                })
                .collect(),
        }
    }

    #[test]
    fn a_validator_is_up_behind_or_down_by_what_the_answering_nodes_saw() {
        let now = 100_000;
        let keys: Vec<String> = (0..4).map(|i| format!("k{i}")).collect();
        let nodes = [
            node(
                true,
                vec![
                    (Some(50), Some(now - 500)),
                    (Some(45), Some(now - 500)),
                    (Some(50), Some(now - 20_000)),
                    (None, None),
                ],
            ),
            // A node that does not answer says nothing about anyone.
            node(false, vec![(Some(50), Some(now)); 4]),
        ];
        let health: Vec<_> = validators(&nodes, &keys, Some(50), now)
            .into_iter()
            .map(|v| v.health)
            .collect();
        assert_eq!(
            health,
            [
                ValidatorHealth::Up,
                ValidatorHealth::Behind,
                ValidatorHealth::Down,
                ValidatorHealth::Down
            ]
        );
    }

    #[test]
    fn rates_come_from_the_blocks_counted_in_the_window() {
        let mut window = Window::default();
        assert!(
            window.sample(1_000, Some(300)).is_none(),
            "the first call starts it"
        );
        for height in 1..=4 {
            window.count(&BlockRow {
                height,
                hash: String::new(),
                tx_count: 10,
                time_ms: 0,
            });
        }
        let sample = window.sample(3_000, Some(250)).unwrap();
        assert_eq!(sample.blocks_per_s, 2.0);
        assert_eq!(sample.txs_per_s, 20.0);
        assert_eq!(sample.finality_ms, 250.0);
        let idle = window.sample(4_000, None).unwrap();
        assert_eq!((idle.blocks_per_s, idle.txs_per_s), (0.0, 0.0));
    }
}
