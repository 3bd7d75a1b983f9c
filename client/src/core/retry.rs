//! Exponential back-off between retries.

use std::time::Duration;

/// Back-off doubling from `initial` up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait before the first retry.
    pub initial: Duration,
    /// Longest wait.
    pub max: Duration,
}

impl Backoff {
    /// The wait before retry number `retry` (1 = the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let shift = retry.saturating_sub(1).min(20);
        self.initial.saturating_mul(1 << shift).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_repeated_retries_when_backing_off_should_double_up_to_the_cap() {
        let backoff =
            Backoff { initial: Duration::from_millis(10), max: Duration::from_millis(70) };
        let delays: Vec<u64> = (1..=5).map(|r| backoff.delay(r).as_millis() as u64).collect();
        assert_eq!(delays, vec![10, 20, 40, 70, 70]);
        assert_eq!(backoff.delay(u32::MAX), Duration::from_millis(70));
    }
}
