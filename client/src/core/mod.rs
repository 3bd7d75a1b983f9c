//! The sans-IO core: everything the client knows about the protocol, with no sockets, threads
//! or clocks.
//!
//! The I/O layers ([`crate::blocking`], and the glommio layer) own the connections and the
//! timers. They feed the core what happened (`handle_response`, `handle_connection_lost`, the
//! current time as `now`) and carry out what it asks (`poll_transmit` gives frames to write to
//! an [`Endpoint`]; `next_timeout` says when to call back). The core never reads the clock, so
//! unit tests drive it with made-up instants and responses.
//!
//! API boundary: nothing in this module performs I/O or blocks.

pub mod accumulator;
pub mod admin_requests;
pub mod connection_state;
pub mod consumer_core;
pub mod endpoint;
pub mod metadata_cache;
pub mod producer_core;
pub mod response_reader;
pub mod retry;
pub mod router;
pub mod sticky_partitioner;

pub use connection_state::ConnectionState;
pub use endpoint::Endpoint;
pub use response_reader::ResponseReader;

use sluice_proto::frame::OutgoingFrame;
use sluice_proto::message::Response;

/// What a connection's reader reports to the layer that owns the core. `generation` tells a
/// live connection from one already replaced, whose late events must be ignored.
#[derive(Debug)]
pub enum IoEvent {
    /// A whole response arrived.
    Response {
        /// The connection's endpoint.
        endpoint: Endpoint,
        /// Which connection to that endpoint.
        generation: u64,
        /// The decoded response.
        response: Response,
    },
    /// The connection ended, or its byte stream could not be decoded.
    Closed {
        /// The connection's endpoint.
        endpoint: Endpoint,
        /// Which connection to that endpoint.
        generation: u64,
        /// Why, for error messages.
        reason: String,
    },
}

/// A frame the core wants written to an endpoint.
#[derive(Debug)]
pub struct Transmit {
    /// Where to send it.
    pub endpoint: Endpoint,
    /// The encoded request.
    pub frame: OutgoingFrame,
}

#[cfg(test)]
pub(crate) mod test_broker;
