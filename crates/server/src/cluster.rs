//! Several nodes, one interview (issue 11, DESIGN "Scale-out"): what a node tells the others
//! over NATS. Session state is in PostgreSQL already, so any node can serve any request; the
//! one thing that lives in a node's memory is a live answer in progress when the candidate's
//! connection drops (`ParkedAnswers`). NATS carries that to whichever node they reconnect to.
//!
//! Subjects (`<session>` is the session id):
//! - `mianshi.live.<session>.claim` — request/reply. Only the node holding the session's live
//!   stream or its parked answer subscribes; a node opening the stream asks, and the holder
//!   lets its connection finish, then answers with what was said so far and lets go. "No
//!   responders" from NATS means no node holds anything: no waiting.
//! - `mianshi.live.<session>.events` — every event a node sends on the session's live stream,
//!   as the JSON the client gets, for whoever follows the interview (a proctor's dashboard,
//!   the two-node test). Core NATS: at most once, nothing stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use mianshi_core::SessionId;

use crate::routes::live::ParkedAnswers;

/// How long a node waits for the holder's answer: the holder may first have to transcribe
/// what it heard (the same bound a reconnect to the same node waits).
const CLAIM_TIMEOUT: Duration = Duration::from_secs(130);

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot connect to NATS at {url}: {message}")]
    Connect { url: String, message: String },
}

/// Live events waiting to be published, at most: a slow or absent NATS server costs dropped
/// events (counted), never a stalled interview or growing memory.
const EVENT_QUEUE: usize = 4_096;

/// This node's NATS connection and the sessions it holds.
pub struct Cluster {
    client: async_nats::Client,
    node: String,
    /// Sessions whose claims this node answers, with the task that answers them.
    held: Mutex<HashMap<SessionId, tokio::task::JoinHandle<()>>>,
    /// Live events for the publisher task.
    events: tokio::sync::mpsc::Sender<(String, String)>,
    events_dropped: std::sync::atomic::AtomicU64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Handover {
    node: String,
    utterances: Vec<String>,
}

fn claim_subject(id: SessionId) -> String {
    format!("mianshi.live.{id}.claim")
}

/// The subject a session's live events are published on.
pub fn events_subject(id: SessionId) -> String {
    format!("mianshi.live.{id}.events")
}

impl Cluster {
    pub async fn connect(url: &str) -> Result<Arc<Self>, ClusterError> {
        let node = format!(
            "{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into()),
            std::process::id()
        );
        let client = async_nats::ConnectOptions::new()
            .name(format!("mianshi {node}"))
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|err| ClusterError::Connect {
                // The URL may hold credentials; the host part is enough to say which.
                url: url
                    .rsplit_once('@')
                    .map_or(url, |(_, host)| host)
                    .to_owned(),
                message: err.to_string(),
            })?;
        tracing::info!(%node, "joined the cluster over NATS");
        let (events, mut queued) = tokio::sync::mpsc::channel::<(String, String)>(EVENT_QUEUE);
        let publisher = client.clone();
        tokio::spawn(async move {
            while let Some((subject, event)) = queued.recv().await {
                if let Err(err) = publisher.publish(subject, event.into()).await {
                    tracing::debug!(%err, "live event not published");
                }
            }
        });
        Ok(Arc::new(Self {
            client,
            node,
            held: Mutex::new(HashMap::new()),
            events,
            events_dropped: std::sync::atomic::AtomicU64::new(0),
        }))
    }

    pub fn connected(&self) -> bool {
        matches!(
            self.client.connection_state(),
            async_nats::connection::State::Connected
        )
    }

    /// Queues one live event (JSON text) for the session's followers. Best effort: a
    /// follower missing an event never holds up the candidate.
    pub fn publish_event(&self, id: SessionId, event: &str) {
        if self
            .events
            .try_send((events_subject(id), event.to_owned()))
            .is_err()
        {
            let dropped = 1 + self
                .events_dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "live events not published: NATS is not keeping up");
            }
        }
    }

    /// Asks the node that holds the session (if any) for the answer in progress; empty when
    /// no node holds one, or the holder is gone.
    pub async fn claim(&self, id: SessionId) -> Vec<String> {
        // This node's own subscription would answer first, from an empty hand.
        self.release(id);
        let request = async_nats::Request::new()
            .payload(self.node.clone().into())
            .timeout(Some(CLAIM_TIMEOUT));
        match self.client.send_request(claim_subject(id), request).await {
            Ok(reply) => match serde_json::from_slice::<Handover>(&reply.payload) {
                Ok(handover) => {
                    if !handover.utterances.is_empty() {
                        tracing::info!(session_id = %id, from = %handover.node, utterances = handover.utterances.len(), "answer in progress handed over by another node");
                    }
                    handover.utterances
                }
                Err(err) => {
                    tracing::warn!(session_id = %id, %err, "unreadable hand-over");
                    Vec::new()
                }
            },
            Err(err) if err.kind() == async_nats::RequestErrorKind::NoResponders => Vec::new(),
            Err(err) => {
                tracing::warn!(session_id = %id, %err, "no hand-over from the node that held the session");
                Vec::new()
            }
        }
    }

    /// Answers claims for the session from now on: this node has its live stream (or will
    /// park its answer). One claim is answered, then the session is let go.
    pub async fn hold(self: &Arc<Self>, id: SessionId, parked: Arc<ParkedAnswers>) {
        let mut subscriber = match self.client.subscribe(claim_subject(id)).await {
            Ok(subscriber) => subscriber,
            Err(err) => {
                tracing::warn!(session_id = %id, %err, "cannot hold the session on NATS; a move to another node would lose the answer in progress");
                return;
            }
        };
        // The subscription must be on the server before another node can ask.
        if let Err(err) = self.client.flush().await {
            tracing::debug!(session_id = %id, %err, "flush after subscribing failed");
        }
        let cluster = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            if let Some(message) = subscriber.next().await {
                let utterances = parked.hand_over(id).await;
                let Some(cluster) = cluster.upgrade() else {
                    return;
                };
                if let Some(reply) = message.reply {
                    let asker = String::from_utf8_lossy(&message.payload).into_owned();
                    tracing::info!(session_id = %id, to = %asker, utterances = utterances.len(), "session moved to another node");
                    let handover = Handover {
                        node: cluster.node.clone(),
                        utterances,
                    };
                    let body = serde_json::to_vec(&handover).unwrap_or_default();
                    if let Err(err) = cluster.client.publish(reply, body.into()).await {
                        tracing::warn!(session_id = %id, %err, "hand-over not sent");
                    }
                    let _ = cluster.client.flush().await;
                }
                let _ = subscriber.unsubscribe().await;
                let mut held = cluster.held.lock().unwrap_or_else(|e| e.into_inner());
                // Unless a newer hold of the session took this one's place.
                if held.get(&id).map(|task| task.id()) == tokio::task::try_id() {
                    held.remove(&id);
                }
            }
        });
        if let Some(previous) = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, task)
        {
            previous.abort();
        }
    }

    /// Stops answering claims for the session (its answer was committed or taken here).
    pub fn release(&self, id: SessionId) {
        if let Some(task) = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id)
        {
            // Dropping the subscriber with the task unsubscribes it.
            task.abort();
        }
    }
}
