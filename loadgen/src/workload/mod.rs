//! What is sent: message sizes, keys and the timestamp stamp carried in every value.

pub mod key_chooser;
pub mod message_sizes;
pub mod payload_stamp;
pub mod random;

pub use key_chooser::{KeyChooser, KeyDistribution};
pub use message_sizes::MessageSizes;
pub use payload_stamp::{PayloadStamp, STAMP_BYTES};
pub use random::SplitMix64;
