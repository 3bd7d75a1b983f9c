//! The producer's buffer budget: `send` reserves a record's bytes before handing it to the I/O
//! thread and waits (or fails) while the budget is spent; completions give the bytes back.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Instant;

use crate::config::BufferFullPolicy;
use crate::error::{ClientError, Result};

/// Bytes in use out of a fixed budget.
#[derive(Debug)]
pub(crate) struct BufferGate {
    used: Mutex<usize>,
    room: Condvar,
    bytes_max: usize,
}

impl BufferGate {
    pub(crate) fn new(bytes_max: usize) -> Self {
        BufferGate { used: Mutex::new(0), room: Condvar::new(), bytes_max }
    }

    /// Takes `bytes` from the budget, waiting for room as `policy` allows.
    pub(crate) fn reserve(&self, bytes: usize, policy: BufferFullPolicy) -> Result<()> {
        if bytes > self.bytes_max {
            return Err(ClientError::RecordTooLarge { bytes, bytes_max: self.bytes_max });
        }
        let started = Instant::now();
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        while *used + bytes > self.bytes_max {
            used = match policy {
                BufferFullPolicy::WaitForever => {
                    self.room.wait(used).unwrap_or_else(PoisonError::into_inner)
                }
                BufferFullPolicy::WaitUpTo(limit) => {
                    let waited = started.elapsed();
                    if waited >= limit {
                        return Err(ClientError::BufferFull {
                            bytes_max: self.bytes_max,
                            waited_ms: limit.as_millis() as u64,
                        });
                    }
                    self.room
                        .wait_timeout(used, limit - waited)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        *used += bytes;
        Ok(())
    }

    /// Returns `bytes` to the budget.
    pub(crate) fn release(&self, bytes: usize) {
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(*used >= bytes, "released more buffer bytes than were reserved");
        *used -= bytes;
        self.room.notify_all();
    }

    /// Bytes reserved now.
    pub(crate) fn used(&self) -> usize {
        *self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn given_full_budget_when_not_waiting_should_fail_with_buffer_full() {
        let gate = BufferGate::new(100);
        let policy = BufferFullPolicy::WaitUpTo(Duration::ZERO);
        gate.reserve(80, policy).unwrap();
        assert!(matches!(gate.reserve(30, policy), Err(ClientError::BufferFull { .. })));
        gate.release(80);
        gate.reserve(30, policy).unwrap();
        assert_eq!(gate.used(), 30);
    }

    #[test]
    fn given_waiting_sender_when_bytes_are_released_should_proceed() {
        let gate = std::sync::Arc::new(BufferGate::new(100));
        gate.reserve(100, BufferFullPolicy::WaitForever).unwrap();
        let waiter = {
            let gate = gate.clone();
            std::thread::spawn(move || gate.reserve(50, BufferFullPolicy::WaitForever))
        };
        gate.release(60);
        waiter.join().unwrap().unwrap();
        assert_eq!(gate.used(), 90);
    }
}
