//! Percentiles of a latency histogram, as reported in the table and the JSON.

use hdrhistogram::Histogram;
use serde::Serialize;

/// The reported percentiles of one latency kind, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct LatencySummary {
    /// Messages measured.
    pub count: u64,
    /// Smallest latency.
    pub min: u64,
    /// Mean latency.
    pub mean: f64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// 99.99th percentile.
    pub p9999: u64,
    /// Largest latency (to the histogram's precision).
    pub max: u64,
}

/// The quantiles reported, with their labels, in table order.
pub const REPORTED_QUANTILES: [(&str, f64); 5] =
    [("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p99.9", 0.999), ("p99.99", 0.9999)];

impl LatencySummary {
    /// Summarises `histogram` (values in microseconds); an empty histogram gives all zeros.
    pub fn of(histogram: &Histogram<u64>) -> LatencySummary {
        if histogram.is_empty() {
            return LatencySummary::default();
        }
        let q = |quantile: f64| histogram.value_at_quantile(quantile);
        let summary = LatencySummary {
            count: histogram.len(),
            min: histogram.min(),
            mean: histogram.mean(),
            p50: q(0.50),
            p90: q(0.90),
            p99: q(0.99),
            p999: q(0.999),
            p9999: q(0.9999),
            max: histogram.max(),
        };
        assert!(
            summary.min <= summary.p50
                && summary.p50 <= summary.p90
                && summary.p90 <= summary.p99
                && summary.p99 <= summary.p999
                && summary.p999 <= summary.p9999
                && summary.p9999 <= summary.max,
            "percentiles out of order: {summary:?}"
        );
        summary
    }

    /// The reported percentiles in [`REPORTED_QUANTILES`] order, then the max.
    pub fn columns(&self) -> [u64; 6] {
        [self.p50, self.p90, self.p99, self.p999, self.p9999, self.max]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::new_latency_histogram;

    fn within_precision(actual: u64, expected: u64) -> bool {
        // Three significant digits: every value is within 0.1% of the recorded one.
        actual.abs_diff(expected) as f64 <= expected as f64 * 0.001 + 1.0
    }

    #[test]
    fn given_a_uniform_synthetic_histogram_when_summarising_should_report_exact_percentiles() {
        let mut histogram = new_latency_histogram();
        for value in 1..=10_000 {
            histogram.record(value).unwrap();
        }
        let summary = LatencySummary::of(&histogram);
        assert_eq!(summary.count, 10_000);
        assert_eq!(summary.min, 1);
        assert!(within_precision(summary.p50, 5_000), "{summary:?}");
        assert!(within_precision(summary.p90, 9_000), "{summary:?}");
        assert!(within_precision(summary.p99, 9_900), "{summary:?}");
        assert!(within_precision(summary.p999, 9_990), "{summary:?}");
        assert!(within_precision(summary.p9999, 9_999), "{summary:?}");
        assert!(within_precision(summary.max, 10_000), "{summary:?}");
        assert!((summary.mean - 5_000.5).abs() < 10.0, "{summary:?}");
    }

    #[test]
    fn given_a_single_outlier_when_summarising_should_show_it_only_in_the_far_tail() {
        let mut histogram = new_latency_histogram();
        histogram.record_n(100, 99_999).unwrap();
        histogram.record(50_000).unwrap();
        let summary = LatencySummary::of(&histogram);
        assert_eq!(summary.p50, 100);
        assert_eq!(summary.p999, 100);
        assert!(within_precision(summary.p9999, 100), "{summary:?}");
        assert!(within_precision(summary.max, 50_000), "{summary:?}");
    }

    #[test]
    fn given_an_empty_histogram_when_summarising_should_report_zeros() {
        assert_eq!(LatencySummary::of(&new_latency_histogram()), LatencySummary::default());
    }
}
