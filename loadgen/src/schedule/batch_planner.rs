//! The batching decision of an open-loop producer: send what is due now, or wait for more
//! messages (linger) to fill a batch.

use super::RateScheduler;

/// How large a batch may grow and how long its first message may wait for company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most messages in one batch.
    pub messages_max: u64,
    /// Most value bytes in one batch (the record framing comes on top).
    pub bytes_max: u64,
    /// How long the oldest due message may wait for the batch to fill; 0 sends at once.
    pub linger_ns: u64,
}

impl BatchLimits {
    /// Messages of `message_bytes_max` bytes that fit a batch: never less than one.
    pub fn messages_per_batch(&self, message_bytes_max: u64) -> u64 {
        let by_bytes = self.bytes_max / message_bytes_max.max(1);
        self.messages_max.min(by_bytes).max(1)
    }
}

/// What a producer should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendDecision {
    /// Send the next `n` messages of the schedule as one batch now.
    Send(u64),
    /// Nothing to send before this time.
    WaitUntil(u64),
    /// The schedule is exhausted.
    Done,
}

/// Decides, from the schedule and the clock, when a batch leaves.
#[derive(Debug, Clone, Copy)]
pub struct BatchPlanner {
    limits: BatchLimits,
    batch_messages: u64,
}

impl BatchPlanner {
    /// A planner for messages of at most `message_bytes_max` bytes.
    pub fn new(limits: BatchLimits, message_bytes_max: u64) -> BatchPlanner {
        BatchPlanner { limits, batch_messages: limits.messages_per_batch(message_bytes_max) }
    }

    /// Messages in a full batch.
    pub fn batch_messages(&self) -> u64 {
        self.batch_messages
    }

    /// The decision at `now_ns`. A full batch leaves at once; a partial one leaves when its
    /// oldest message has lingered long enough or when no more messages are coming.
    pub fn decide(&self, schedule: &RateScheduler, now_ns: u64) -> SendDecision {
        let Some(oldest_ns) = schedule.peek_ns() else {
            return SendDecision::Done;
        };
        let due = schedule.due_count(now_ns, self.batch_messages);
        if due == 0 {
            return SendDecision::WaitUntil(oldest_ns);
        }
        if due >= self.batch_messages {
            return SendDecision::Send(self.batch_messages);
        }
        let linger_end_ns = oldest_ns.saturating_add(self.limits.linger_ns);
        if now_ns >= linger_end_ns {
            return SendDecision::Send(due);
        }
        // Wait for the next message or the end of the linger, whichever is first; if the
        // schedule ends before the next message, what is due is all there will be.
        let next_index = schedule.taken() + due;
        if schedule.is_scheduled(next_index) {
            SendDecision::WaitUntil(schedule.intended_ns(next_index).min(linger_end_ns))
        } else {
            SendDecision::Send(due)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn limits(messages_max: u64, linger_ns: u64) -> BatchLimits {
        BatchLimits { messages_max, bytes_max: u64::MAX, linger_ns }
    }

    #[test]
    fn given_no_linger_when_a_message_is_due_should_send_it_alone() {
        let schedule = RateScheduler::new(0, 0, 1_000.0, u64::MAX);
        let planner = BatchPlanner::new(limits(100, 0), 100);
        assert_eq!(planner.decide(&schedule, 0), SendDecision::Send(1));
    }

    #[test]
    fn given_nothing_due_when_deciding_should_wait_for_the_next_intended_time() {
        let mut schedule = RateScheduler::new(0, 0, 1_000.0, u64::MAX);
        schedule.take(1);
        let planner = BatchPlanner::new(limits(100, 0), 100);
        assert_eq!(planner.decide(&schedule, MS / 2), SendDecision::WaitUntil(MS));
    }

    #[test]
    fn given_linger_when_a_batch_is_partial_should_wait_until_the_linger_ends() {
        let schedule = RateScheduler::new(0, 0, 1_000.0, u64::MAX);
        let planner = BatchPlanner::new(limits(100, 5 * MS), 100);
        assert_eq!(planner.decide(&schedule, 0), SendDecision::WaitUntil(MS));
        assert_eq!(planner.decide(&schedule, 4 * MS), SendDecision::WaitUntil(5 * MS));
        assert_eq!(planner.decide(&schedule, 5 * MS), SendDecision::Send(6));
    }

    #[test]
    fn given_a_backlog_when_deciding_should_send_full_batches_at_once() {
        let schedule = RateScheduler::new(0, 0, 1_000.0, u64::MAX);
        let planner = BatchPlanner::new(limits(4, 50 * MS), 100);
        assert_eq!(planner.decide(&schedule, 10 * MS), SendDecision::Send(4));
    }

    #[test]
    fn given_a_byte_limit_when_sizing_batches_should_fit_whole_messages_and_at_least_one() {
        let by_bytes = BatchLimits { messages_max: 1_000, bytes_max: 16 * 1024, linger_ns: 0 };
        assert_eq!(by_bytes.messages_per_batch(1024), 16);
        assert_eq!(by_bytes.messages_per_batch(64 * 1024), 1);
    }

    #[test]
    fn given_the_schedule_ends_when_lingering_should_send_what_is_left() {
        let schedule = RateScheduler::new(0, 0, 1_000.0, MS + 1);
        let planner = BatchPlanner::new(limits(100, 50 * MS), 100);
        assert_eq!(planner.decide(&schedule, MS), SendDecision::Send(2));
        let mut done = schedule.clone();
        done.take(2);
        assert_eq!(planner.decide(&done, MS), SendDecision::Done);
    }
}
