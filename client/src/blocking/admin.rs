//! The blocking admin client: topic management, one request at a time on the broker's shared
//! port.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sluice_proto::message::{
    MetadataResponse, RequestBody, ResponseBody, TopicConfig, TopicDescription, TopicListing,
};

use super::transport::{IoEvent, Transport};
use crate::core::{admin_requests, ConnectionState, Endpoint};
use crate::error::{ClientError, Result};

/// How long an admin request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

struct Inner {
    bootstrap: Endpoint,
    connection: ConnectionState<()>,
    transport: Transport<IoEvent>,
    events: Receiver<IoEvent>,
}

/// Creates, deletes, lists and describes topics.
pub struct Admin {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

impl Admin {
    /// An admin client for the broker at `broker` (`host:port`). The connection opens with
    /// the first request.
    pub fn connect(broker: &str) -> Result<Admin> {
        let bootstrap = Endpoint::parse(broker)?;
        let (sender, events) = mpsc::channel();
        Ok(Admin {
            inner: Mutex::new(Inner {
                bootstrap,
                connection: ConnectionState::new(1),
                transport: Transport::new(sender),
                events,
            }),
        })
    }

    /// Creates a topic with `partitions` partitions and the broker's defaults otherwise.
    pub fn create_topic(&self, name: &str, partitions: u32) -> Result<()> {
        self.create_topic_with(
            name,
            TopicConfig { partitions: Some(partitions), ..TopicConfig::default() },
        )
    }

    /// Creates a topic with the given configuration (unset fields take broker defaults).
    pub fn create_topic_with(&self, name: &str, config: TopicConfig) -> Result<()> {
        let body = self.call(admin_requests::create_topic(name, config, REQUEST_TIMEOUT))?;
        admin_requests::topic_result(name, body)
    }

    /// Deletes a topic and its data.
    pub fn delete_topic(&self, name: &str) -> Result<()> {
        let body = self.call(admin_requests::delete_topic(name, REQUEST_TIMEOUT))?;
        admin_requests::topic_result(name, body)
    }

    /// Every topic with its partition count.
    pub fn list_topics(&self) -> Result<Vec<TopicListing>> {
        admin_requests::topic_listings(self.call(admin_requests::list_topics())?)
    }

    /// A topic's configuration and, per partition, its shard and log start and end offsets.
    pub fn describe_topic(&self, name: &str) -> Result<TopicDescription> {
        admin_requests::topic_description(
            name,
            self.call(admin_requests::describe_topics(&[name]))?,
        )
    }

    /// Metadata for `topics` (all when empty): partitions, owning shards, shard addresses.
    pub fn metadata(&self, topics: &[&str]) -> Result<MetadataResponse> {
        admin_requests::metadata_result(self.call(admin_requests::metadata(topics))?)
    }

    /// The number of partitions of `topic`.
    pub fn partition_count(&self, topic: &str) -> Result<u32> {
        let metadata = self.metadata(&[topic])?;
        let found = metadata.topics.iter().find(|t| t.name == topic);
        match found {
            Some(t) if t.error_code == sluice_proto::ErrorCode::None => {
                Ok(t.partitions.len() as u32)
            }
            Some(t) => Err(ClientError::from_code(t.error_code, topic, None)),
            None => Err(ClientError::UnknownTopic(topic.to_owned())),
        }
    }

    pub(crate) fn call(&self, body: RequestBody) -> Result<ResponseBody> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let inner = &mut *inner;
        let frame =
            inner.connection.encode(body, Some(()), Instant::now()).map_err(|(error, _)| error)?;
        let endpoint = inner.bootstrap.clone();
        if let Err(reason) = inner.transport.send(&endpoint, &frame) {
            inner.connection.fail_all();
            return Err(ClientError::Connection { endpoint: endpoint.to_string(), reason });
        }
        let deadline = Instant::now() + REQUEST_TIMEOUT;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let event = match inner.events.recv_timeout(wait) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    inner.transport.close(&endpoint);
                    inner.connection.fail_all();
                    return Err(ClientError::Timeout {
                        timeout_ms: REQUEST_TIMEOUT.as_millis() as u64,
                    });
                }
                Err(RecvTimeoutError::Disconnected) => unreachable!("the transport holds a sender"),
            };
            match event {
                IoEvent::Response { generation, response, .. }
                    if inner.transport.is_current(&endpoint, generation) =>
                {
                    if let Err(error) = inner.connection.complete(&response) {
                        inner.transport.close(&endpoint);
                        inner.connection.fail_all();
                        return Err(error);
                    }
                    return Ok(response.body);
                }
                IoEvent::Closed { generation, reason, .. }
                    if inner.transport.is_current(&endpoint, generation) =>
                {
                    inner.transport.close(&endpoint);
                    inner.connection.fail_all();
                    return Err(ClientError::Connection { endpoint: endpoint.to_string(), reason });
                }
                // Events of connections already replaced.
                _ => {}
            }
        }
    }
}
