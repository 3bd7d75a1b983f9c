//! The HdrHistogram interval log: one compressed histogram per second per latency kind, in the
//! standard format read by HdrHistogram's HistogramLogProcessor and HdrHistogram-Visualizer.
//!
//! Values are microseconds. Intervals are tagged `produce_ack` and `end_to_end`; timestamps are
//! seconds since the run started (the log's BaseTime).

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;

use crate::error::LoadgenError;
use crate::run::RunResult;

/// Writes `result`'s intervals to `path`.
pub fn write_interval_log(path: &Path, result: &RunResult) -> Result<(), LoadgenError> {
    let output_error =
        |source: std::io::Error| LoadgenError::Output { path: path.to_owned(), source };
    let mut buffer = Vec::new();
    encode_interval_log(&mut buffer, result).map_err(output_error)?;
    std::fs::write(path, buffer).map_err(output_error)
}

/// Encodes the interval log into `out`.
pub fn encode_interval_log(out: &mut impl Write, result: &RunResult) -> std::io::Result<()> {
    let mut serializer = V2DeflateSerializer::new();
    let mut builder = IntervalLogWriterBuilder::new();
    builder
        .add_comment("sluice-loadgen interval log; values in microseconds")
        .add_comment("tags: produce_ack (send intent -> acknowledgement), end_to_end (send intent -> consumed)")
        .with_start_time(result.started_at)
        .with_base_time(result.started_at);
    let mut log = builder.begin_log_with(out, &mut serializer)?;
    let produce_tag = Tag::new("produce_ack").expect("valid tag");
    let e2e_tag = Tag::new("end_to_end").expect("valid tag");
    for interval in &result.intervals {
        let start = Duration::from_secs_f64(interval.start_s);
        let length = Duration::from_secs_f64(interval.length_s);
        for (histogram, tag) in [(&interval.produce, produce_tag), (&interval.end_to_end, e2e_tag)]
        {
            if histogram.is_empty() {
                continue;
            }
            log.write_histogram(histogram, start, length, Some(tag))
                .map_err(|e| std::io::Error::other(format!("{e}")))?;
        }
    }
    Ok(())
}
