//! The open-loop schedule: message `i` is due at `start + phase + i / rate`, whatever happened
//! to the messages before it.
//!
//! Latency is counted from this intended time, not from when the message actually left. A
//! broker that stalls therefore charges the stall to every message that should have been sent
//! during it (the "coordinated omission" correction): a sender that is behind does not get to
//! restart its clock.

/// Yields the intended send time of each message of one producer, in order.
#[derive(Debug, Clone)]
pub struct RateScheduler {
    first_ns: u64,
    interval_ns: f64,
    end_ns: u64,
    next_index: u64,
}

impl RateScheduler {
    /// A schedule of `rate_per_s` messages per second from `start_ns + phase_ns`, for messages
    /// due strictly before `end_ns`. `phase_ns` staggers producers so they do not all fire at
    /// the same instant.
    pub fn new(start_ns: u64, phase_ns: u64, rate_per_s: f64, end_ns: u64) -> RateScheduler {
        assert!(rate_per_s.is_finite() && rate_per_s > 0.0, "rate must be positive: {rate_per_s}");
        RateScheduler {
            first_ns: start_ns + phase_ns,
            interval_ns: 1e9 / rate_per_s,
            end_ns,
            next_index: 0,
        }
    }

    /// The intended send time of message `index` (computed from the start, so rounding never
    /// accumulates).
    pub fn intended_ns(&self, index: u64) -> u64 {
        self.first_ns + (index as f64 * self.interval_ns) as u64
    }

    /// Whether message `index` is part of the schedule (due before its end).
    pub fn is_scheduled(&self, index: u64) -> bool {
        self.intended_ns(index) < self.end_ns
    }

    /// The nominal gap between two messages.
    pub fn interval_ns(&self) -> f64 {
        self.interval_ns
    }

    /// The intended time of the next message not yet taken, or `None` once the schedule ends.
    pub fn peek_ns(&self) -> Option<u64> {
        let next = self.intended_ns(self.next_index);
        (next < self.end_ns).then_some(next)
    }

    /// How many untaken messages are due at `now_ns` (intended time at or before it), capped
    /// at `limit` so a long stall never makes this loop long.
    pub fn due_count(&self, now_ns: u64, limit: u64) -> u64 {
        let mut count = 0;
        while count < limit {
            let intended = self.intended_ns(self.next_index + count);
            if intended > now_ns || intended >= self.end_ns {
                break;
            }
            count += 1;
        }
        count
    }

    /// Takes the next `count` messages; returns the index of the first one.
    pub fn take(&mut self, count: u64) -> u64 {
        let first = self.next_index;
        self.next_index += count;
        assert!(
            count == 0 || self.intended_ns(self.next_index - 1) < self.end_ns,
            "took a message past the end of the schedule"
        );
        first
    }

    /// Messages taken so far.
    pub fn taken(&self) -> u64 {
        self.next_index
    }

    /// How far behind schedule the sender is at `now_ns`: the age of the oldest untaken due
    /// message, zero when nothing is overdue.
    pub fn lag_ns(&self, now_ns: u64) -> u64 {
        match self.peek_ns() {
            Some(next) if next <= now_ns => now_ns - next,
            _ => 0,
        }
    }

    /// Messages the schedule holds in total.
    pub fn total_count(&self) -> u64 {
        if self.end_ns <= self.first_ns {
            return 0;
        }
        // The estimate can be off by one either way through rounding; settle it exactly.
        let mut count = ((self.end_ns - self.first_ns) as f64 / self.interval_ns) as u64;
        while count > 0 && self.intended_ns(count - 1) >= self.end_ns {
            count -= 1;
        }
        while self.intended_ns(count) < self.end_ns {
            count += 1;
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn given_a_rate_when_scheduling_should_space_messages_evenly_from_the_start() {
        let schedule = RateScheduler::new(1_000, 0, 1_000.0, u64::MAX);
        assert_eq!(schedule.intended_ns(0), 1_000);
        assert_eq!(schedule.intended_ns(1), 1_000 + MS);
        assert_eq!(schedule.intended_ns(1_000), 1_000 + 1_000 * MS);
    }

    #[test]
    fn given_a_fractional_interval_when_scheduling_far_ahead_should_not_drift() {
        // 3 messages per microsecond-ish: 333.33.. ns apart; after a million messages the
        // schedule must still be within one nanosecond of the exact time.
        let schedule = RateScheduler::new(0, 0, 3_000_000.0, u64::MAX);
        let exact = 1_000_000u64 * 1_000_000_000 / 3_000_000;
        assert!(schedule.intended_ns(1_000_000).abs_diff(exact) <= 1);
    }

    #[test]
    fn given_a_stalled_sender_when_catching_up_should_keep_the_original_intended_times() {
        let mut schedule = RateScheduler::new(0, 0, 1_000.0, u64::MAX);
        // The sender was stuck for 10 ms: 11 messages (t = 0..=10 ms) are due at once.
        let now = 10 * MS;
        assert_eq!(schedule.due_count(now, 1_000), 11);
        assert_eq!(schedule.lag_ns(now), 10 * MS);
        let first = schedule.take(11);
        assert_eq!(first, 0);
        // Their latency counts from the intended times, not from `now`.
        let latencies: Vec<u64> = (0..11).map(|i| now - schedule.intended_ns(i)).collect();
        assert_eq!(latencies[0], 10 * MS);
        assert_eq!(latencies[10], 0);
        assert_eq!(schedule.lag_ns(now), 0);
        assert_eq!(schedule.peek_ns(), Some(11 * MS));
    }

    #[test]
    fn given_a_phase_when_scheduling_should_offset_every_message() {
        let schedule = RateScheduler::new(0, 250_000, 1_000.0, u64::MAX);
        assert_eq!(schedule.intended_ns(0), 250_000);
        assert_eq!(schedule.intended_ns(2), 2 * MS + 250_000);
    }

    #[test]
    fn given_an_end_when_the_schedule_runs_out_should_stop_exactly_there() {
        let mut schedule = RateScheduler::new(0, 0, 1_000.0, 5 * MS);
        assert_eq!(schedule.total_count(), 5);
        assert_eq!(schedule.due_count(100 * MS, 1_000), 5);
        schedule.take(5);
        assert_eq!(schedule.peek_ns(), None);
        assert_eq!(schedule.due_count(100 * MS, 1_000), 0);
    }

    #[test]
    fn given_a_huge_backlog_when_counting_due_messages_should_respect_the_limit() {
        let schedule = RateScheduler::new(0, 0, 1_000_000.0, u64::MAX);
        assert_eq!(schedule.due_count(1_000 * MS, 64), 64);
    }
}
