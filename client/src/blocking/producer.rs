//! The blocking producer: `send` hands records to a background I/O thread that batches,
//! routes and retries them through the sans-IO core.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::buffer_gate::BufferGate;
use super::transport::{IoEvent, Transport};
use super::wall_clock_ms;
use crate::config::ProducerConfig;
use crate::core::producer_core::ProducerCore;
use crate::core::Endpoint;
use crate::error::{ClientError, Result};
use crate::record::{ProducerRecord, RecordMetadata};

/// Events handled per turn of the I/O loop before it transmits again, so a flood of sends
/// cannot starve the sockets.
const EVENTS_PER_TURN_MAX: usize = 4096;
/// Frames written per turn of the I/O loop.
const TRANSMITS_PER_TURN_MAX: usize = 1024;

enum Event {
    Send(ProducerRecord, Arc<DeliverySlot>),
    Flush(Sender<()>),
    Close,
    Io(IoEvent),
}

impl From<IoEvent> for Event {
    fn from(event: IoEvent) -> Self {
        Event::Io(event)
    }
}

#[derive(Debug, Default)]
struct DeliverySlot {
    result: Mutex<Option<Result<RecordMetadata>>>,
    done: Condvar,
}

impl DeliverySlot {
    fn complete(&self, result: Result<RecordMetadata>) {
        let mut slot = self.result.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(slot.is_none(), "a record completes once");
        *slot = Some(result);
        self.done.notify_all();
    }
}

/// The outcome of one `send`: wait on it for the record's partition and offset.
#[derive(Debug, Clone)]
pub struct DeliveryHandle {
    slot: Arc<DeliverySlot>,
}

impl DeliveryHandle {
    /// Blocks until the record is acknowledged or fails.
    pub fn wait(self) -> Result<RecordMetadata> {
        let mut slot = self.slot.result.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(result) = slot.as_ref() {
                return result.clone();
            }
            slot = self.slot.done.wait(slot).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Blocks up to `timeout`; `None` if the record is still in flight.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Result<RecordMetadata>> {
        let slot = self.slot.result.lock().unwrap_or_else(PoisonError::into_inner);
        let (slot, _) = self
            .slot
            .done
            .wait_timeout_while(slot, timeout, |r| r.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        slot.clone()
    }

    /// The outcome if the record has completed.
    pub fn try_result(&self) -> Option<Result<RecordMetadata>> {
        self.slot.result.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// A producer usable from any thread (`&self` methods; share it with an `Arc`).
///
/// Records are batched per partition and sent by a background thread; `close` (or dropping
/// the producer) flushes what is buffered first.
pub struct Producer {
    events: Sender<Event>,
    gate: Arc<BufferGate>,
    config: ProducerConfig,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Producer {
    /// A producer for the broker at `broker` (`host:port`). Connections open lazily, so this
    /// fails only for a malformed address or configuration.
    pub fn connect(broker: &str, config: ProducerConfig) -> Result<Producer> {
        let bootstrap = Endpoint::parse(broker)?;
        let core = ProducerCore::new(config.clone(), bootstrap, Instant::now())?;
        let gate = Arc::new(BufferGate::new(config.buffer_bytes_max));
        let (events, receiver) = mpsc::channel();
        let transport = Transport::new(events.clone());
        let thread_gate = gate.clone();
        let thread = std::thread::Builder::new()
            .name("sluice-producer".into())
            .spawn(move || run_io(core, transport, receiver, thread_gate))
            .map_err(|e| ClientError::InvalidConfig(format!("cannot start the I/O thread: {e}")))?;
        Ok(Producer { events, gate, config, thread: Mutex::new(Some(thread)) })
    }

    /// Queues a record. Waits while the buffer is full, as the configured
    /// [`BufferFullPolicy`](crate::BufferFullPolicy) allows.
    pub fn send(&self, record: ProducerRecord) -> Result<DeliveryHandle> {
        let bytes = record.buffered_bytes();
        self.gate.reserve(bytes, self.config.buffer_full)?;
        let slot = Arc::new(DeliverySlot::default());
        if self.events.send(Event::Send(record, slot.clone())).is_err() {
            self.gate.release(bytes);
            return Err(ClientError::Closed);
        }
        Ok(DeliveryHandle { slot })
    }

    /// Sends everything buffered now and waits until every record sent so far has completed
    /// (acknowledged or failed).
    pub fn flush(&self) -> Result<()> {
        let (done, wait) = mpsc::channel();
        self.events.send(Event::Flush(done)).map_err(|_| ClientError::Closed)?;
        wait.recv().map_err(|_| ClientError::Closed)
    }

    /// Bytes of records buffered and not yet completed.
    pub fn buffered_bytes(&self) -> usize {
        self.gate.used()
    }

    /// Flushes, then stops the I/O thread and closes the connections.
    pub fn close(&self) -> Result<()> {
        let flushed = self.flush();
        // Ignored: the thread may have ended already, which is the goal.
        let _ = self.events.send(Event::Close);
        let thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(thread) = thread {
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
        }
        match flushed {
            Err(ClientError::Closed) => Ok(()),
            other => other,
        }
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            // Ignored: drop cannot report; callers who care call close().
            let _ = self.close();
        }
    }
}

fn run_io(
    mut core: ProducerCore<Arc<DeliverySlot>>,
    mut transport: Transport<Event>,
    events: Receiver<Event>,
    gate: Arc<BufferGate>,
) {
    let mut flush_waiters: Vec<Sender<()>> = Vec::new();
    let mut closing = false;
    loop {
        let now = Instant::now();
        for _ in 0..TRANSMITS_PER_TURN_MAX {
            let Some(transmit) = core.poll_transmit(now) else { break };
            if let Err(reason) = transport.send(&transmit.endpoint, &transmit.frame) {
                core.handle_connection_lost(&transmit.endpoint, &reason, now);
            }
        }
        for endpoint in core.timed_out_connections(now) {
            transport.close(&endpoint);
            core.handle_connection_lost(&endpoint, "no response within the request timeout", now);
        }
        while let Some(completion) = core.poll_completion() {
            gate.release(completion.buffered_bytes);
            completion.token.complete(completion.result);
        }
        if core.is_idle() {
            for waiter in flush_waiters.drain(..) {
                // Ignored: a waiter that gave up needs no answer.
                let _ = waiter.send(());
            }
            if closing {
                return;
            }
        }
        let first = match core.next_timeout() {
            Some(deadline) => {
                match events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(event) => Some(event),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            None => match events.recv() {
                Ok(event) => Some(event),
                Err(_) => return,
            },
        };
        if let Some(event) = first {
            handle_event(event, &mut core, &mut transport, &mut flush_waiters, &mut closing);
            for _ in 1..EVENTS_PER_TURN_MAX {
                let Ok(event) = events.try_recv() else { break };
                handle_event(event, &mut core, &mut transport, &mut flush_waiters, &mut closing);
            }
        }
    }
}

fn handle_event(
    event: Event,
    core: &mut ProducerCore<Arc<DeliverySlot>>,
    transport: &mut Transport<Event>,
    flush_waiters: &mut Vec<Sender<()>>,
    closing: &mut bool,
) {
    let now = Instant::now();
    match event {
        Event::Send(record, slot) => core.send(record, slot, now, wall_clock_ms()),
        Event::Flush(waiter) => {
            core.flush();
            flush_waiters.push(waiter);
        }
        Event::Close => {
            *closing = true;
            core.flush();
        }
        Event::Io(IoEvent::Response { endpoint, generation, response }) => {
            if transport.is_current(&endpoint, generation) {
                if let Err(error) = core.handle_response(&endpoint, response, now) {
                    transport.close(&endpoint);
                    core.handle_connection_lost(&endpoint, &error.to_string(), now);
                }
            }
        }
        Event::Io(IoEvent::Closed { endpoint, generation, reason }) => {
            if transport.is_current(&endpoint, generation) {
                transport.close(&endpoint);
                core.handle_connection_lost(&endpoint, &reason, now);
            }
        }
    }
}
