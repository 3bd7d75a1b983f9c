//! One module per top-level command.

pub mod consume;
pub mod group;
pub mod produce;
pub mod topic;
