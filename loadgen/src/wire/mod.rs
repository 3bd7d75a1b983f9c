//! Talking to the broker over glommio TCP with `sluice-proto` frames.
//!
//! The load path speaks the wire protocol directly rather than through `sluice-client`: the
//! SDK's glommio layer did not exist when the load generator was written, and a load generator
//! wants to own its batching and pipelining so that what it measures is the broker.

pub mod admin;
pub mod connection;

pub use admin::{prepare_topic, TopicLayout};
pub use connection::{connect, RequestWriter, ResponseReader};
