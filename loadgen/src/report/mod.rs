//! Turning a run's measurements into things people and tools read: the terminal table, the
//! JSON record, the HdrHistogram interval log and SVG plots.

pub mod hdr_log;
pub mod json_record;
pub mod machine_info;
pub mod svg_chart;
pub mod table;

pub use machine_info::MachineInfo;
