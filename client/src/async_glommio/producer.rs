//! The glommio producer: records go through a local channel to a driver task that runs the
//! sans-IO producer core.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_lite::future;
use glommio::channels::local_channel::{self, LocalReceiver, LocalSender};
use glommio::sync::Semaphore;
use glommio::Task;

use super::delivery_token::DeliveryToken;
use super::oneshot;
use super::reactor_tick::with_reactor_tick;
use super::transport::AsyncTransport;
use crate::blocking::wall_clock_ms;
use crate::config::{BufferFullPolicy, ProducerConfig};
use crate::core::producer_core::ProducerCore;
use crate::core::{Endpoint, IoEvent};
use crate::error::{ClientError, Result};
use crate::record::{ProducerRecord, RecordMetadata};

/// Frames written per turn of the driver before it looks at new events.
const TRANSMITS_PER_TURN_MAX: usize = 1024;
/// Events handled per turn of the driver before it transmits again.
const EVENTS_PER_TURN_MAX: usize = 4096;

enum Event {
    Send(ProducerRecord, DeliveryToken),
    Flush(oneshot::Sender<()>),
    Close,
    Io(IoEvent),
}

impl From<IoEvent> for Event {
    fn from(event: IoEvent) -> Self {
        Event::Io(event)
    }
}

/// The outcome of one `send`: await it for the record's partition and offset.
#[derive(Debug)]
pub struct AsyncDelivery {
    receiver: oneshot::Receiver<Result<RecordMetadata>>,
}

impl AsyncDelivery {
    /// The outcome if the record has completed.
    pub fn try_result(&self) -> Option<Result<RecordMetadata>> {
        self.receiver.try_take()
    }
}

impl Future for AsyncDelivery {
    type Output = Result<RecordMetadata>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.receiver).poll(cx).map(|r| r.unwrap_or(Err(ClientError::Closed)))
    }
}

/// A producer living on one glommio executor.
pub struct AsyncProducer {
    events: Rc<LocalSender<Event>>,
    gate: Rc<Semaphore>,
    config: ProducerConfig,
    driver: Option<Task<()>>,
}

impl std::fmt::Debug for AsyncProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncProducer").field("config", &self.config).finish_non_exhaustive()
    }
}

impl AsyncProducer {
    /// A producer for the broker at `broker` (`host:port`), whose driver task runs on the
    /// current executor. Must be called from inside a glommio executor.
    pub fn connect(broker: &str, config: ProducerConfig) -> Result<AsyncProducer> {
        let bootstrap = Endpoint::parse(broker)?;
        let core = ProducerCore::new(config.clone(), bootstrap, Instant::now())?;
        let gate = Rc::new(Semaphore::new(config.buffer_bytes_max as u64));
        let (events, receiver) = local_channel::new_unbounded();
        let events = Rc::new(events);
        let transport = AsyncTransport::new(events.clone());
        // The tick keeps a busy turn elsewhere on the executor from holding acknowledgements
        // back for long (see `reactor_tick`).
        let driver =
            glommio::spawn_local(with_reactor_tick(drive(core, transport, receiver, gate.clone())));
        Ok(AsyncProducer { events, gate, config, driver: Some(driver) })
    }

    /// Queues a record, waiting for buffer room as the configured [`BufferFullPolicy`]
    /// allows.
    pub async fn send(&self, record: ProducerRecord) -> Result<AsyncDelivery> {
        let units = self.reserve(&record).await?;
        let (sender, receiver) = oneshot::channel();
        self.enqueue(record, DeliveryToken::slot(sender), units)?;
        Ok(AsyncDelivery { receiver })
    }

    /// Queues a record like [`send`](Self::send), but reports its outcome by calling
    /// `callback` on this executor as soon as the outcome is known, Kafka style. Records of
    /// different partitions complete in the order their acknowledgements arrive, not in
    /// `send` order, which a future per record awaited in order would hide.
    ///
    /// An `Err` from this call means the record was not queued and `callback` is dropped
    /// without being called. Once queued, `callback` is called exactly once: with the
    /// record's partition and offset (offset -1 under [`Acks::None`](crate::Acks::None), right
    /// after the request is written), with the error that failed it, or with
    /// [`ClientError::Closed`] if the producer stopped before the record completed.
    ///
    /// The callback runs on the producer's driver task, between its reads and writes: keep it
    /// short (record a figure, push to a queue), as every other record waits for it.
    pub async fn send_with_callback(
        &self,
        record: ProducerRecord,
        callback: impl FnOnce(Result<RecordMetadata>) + 'static,
    ) -> Result<()> {
        let units = self.reserve(&record).await?;
        self.enqueue(record, DeliveryToken::callback(Box::new(callback)), units)
    }

    /// Waits until the buffer has room for a record of `buffered_bytes` (see
    /// [`ProducerRecord::buffered_bytes`]) without taking it, so a caller can time or stamp the
    /// record from the moment the producer can accept it: a `send` right after, with no await
    /// between, then queues it without waiting. Waits as the configured [`BufferFullPolicy`]
    /// allows. A load generator measuring latency in closed loop uses this so that its own wait
    /// for room is not charged to the record.
    pub async fn wait_for_room(&self, buffered_bytes: usize) -> Result<()> {
        let units = self.reserve_bytes(buffered_bytes).await?;
        // Given straight back: only the wait was wanted.
        self.gate.signal(units);
        Ok(())
    }

    /// Takes buffer room for `record`, waiting as the buffer-full policy allows; returns the
    /// units taken.
    async fn reserve(&self, record: &ProducerRecord) -> Result<u64> {
        self.reserve_bytes(record.buffered_bytes()).await
    }

    /// Takes `bytes` of buffer room, waiting as the buffer-full policy allows; returns the
    /// units taken.
    async fn reserve_bytes(&self, bytes: usize) -> Result<u64> {
        if bytes > self.config.buffer_bytes_max {
            return Err(ClientError::RecordTooLarge {
                bytes,
                bytes_max: self.config.buffer_bytes_max,
            });
        }
        let units = bytes as u64;
        // The common case, room available, takes no timer and no wait queue.
        if matches!(self.gate.try_acquire(units), Ok(true)) {
            return Ok(units);
        }
        match self.config.buffer_full {
            BufferFullPolicy::WaitForever => {
                self.gate.acquire(units).await.map_err(|_| ClientError::Closed)?
            }
            BufferFullPolicy::WaitUpTo(limit) => {
                let full = ClientError::BufferFull {
                    bytes_max: self.config.buffer_bytes_max,
                    waited_ms: limit.as_millis() as u64,
                };
                if limit.is_zero() {
                    return Err(full);
                }
                glommio::timer::timeout(limit, self.gate.acquire(units)).await.map_err(|_| full)?
            }
        }
        Ok(units)
    }

    fn enqueue(&self, record: ProducerRecord, token: DeliveryToken, units: u64) -> Result<()> {
        if let Err(error) = self.events.try_send(Event::Send(record, token)) {
            // The caller learns of the failure from this call; the callback must not be called
            // as well.
            if let glommio::GlommioError::Closed(glommio::ResourceType::Channel(Event::Send(
                _,
                token,
            ))) = error
            {
                token.discard();
            }
            self.gate.signal(units);
            return Err(ClientError::Closed);
        }
        Ok(())
    }

    /// Sends everything buffered now and waits until every record sent so far has completed.
    pub async fn flush(&self) -> Result<()> {
        let (sender, receiver) = oneshot::channel();
        self.events.try_send(Event::Flush(sender)).map_err(|_| ClientError::Closed)?;
        receiver.await.ok_or(ClientError::Closed)
    }

    /// Flushes, then stops the driver task and closes the connections.
    pub async fn close(mut self) -> Result<()> {
        let flushed = self.flush().await;
        // Ignored: the driver may have ended already, which is the goal.
        let _ = self.events.try_send(Event::Close);
        if let Some(driver) = self.driver.take() {
            driver.await;
        }
        flushed
    }
}

impl Drop for AsyncProducer {
    fn drop(&mut self) {
        // Without `close`, the driver finishes what is buffered in the background.
        let _ = self.events.try_send(Event::Close);
        if let Some(driver) = self.driver.take() {
            driver.detach();
        }
    }
}

async fn drive(
    mut core: ProducerCore<DeliveryToken>,
    mut transport: AsyncTransport<Event>,
    events: LocalReceiver<Event>,
    gate: Rc<Semaphore>,
) {
    let mut flush_waiters: Vec<oneshot::Sender<()>> = Vec::new();
    let mut closing = false;
    loop {
        // Outcomes of the responses just handled go out before this turn's writes, whose
        // completions can take a trip through the reactor: an acknowledgement is not held back
        // behind the next request.
        deliver_completions(&mut core, &gate);
        let now = Instant::now();
        for _ in 0..TRANSMITS_PER_TURN_MAX {
            let Some(transmit) = core.poll_transmit(now) else { break };
            if let Err(reason) = transport.send(&transmit.endpoint, &transmit.frame).await {
                core.handle_connection_lost(&transmit.endpoint, &reason, Instant::now());
            }
        }
        for endpoint in core.timed_out_connections(now) {
            transport.close(&endpoint);
            core.handle_connection_lost(&endpoint, "no response within the request timeout", now);
        }
        // Acks::None records complete when their request is encoded; they are reported here,
        // once the writes above have gone out.
        deliver_completions(&mut core, &gate);
        if core.is_idle() {
            for waiter in flush_waiters.drain(..) {
                waiter.send(());
            }
            if closing {
                return;
            }
        }
        let event = match core.next_timeout() {
            Some(deadline) => {
                let wait = deadline.saturating_duration_since(Instant::now());
                // Let the reader tasks and senders run even when a timer is already due.
                futures_lite::future::yield_now().await;
                future::or(async { Some(events.recv().await) }, async {
                    glommio::timer::sleep(wait).await;
                    None
                })
                .await
            }
            None => Some(events.recv().await),
        };
        let Some(event) = event else { continue };
        // Every sender is held by the producer or the transport; `None` means both are gone.
        let Some(event) = event else { return };
        // One clock reading per burst, not per record: every event of the burst is already
        // queued, so they all happen "now" to within the burst's handling time.
        let clock = Clock { now: Instant::now(), wall_ms: wall_clock_ms() };
        handle_event(event, &mut core, &mut transport, &mut flush_waiters, &mut closing, clock);
        // Take what else is already queued without waiting, so a burst of sends is batched
        // before the next transmit pass.
        for _ in 1..EVENTS_PER_TURN_MAX {
            let Some(Some(event)) = future::poll_once(events.recv()).await else { break };
            handle_event(event, &mut core, &mut transport, &mut flush_waiters, &mut closing, clock);
        }
    }
}

/// Returns each completed record's buffer room and delivers its outcome.
fn deliver_completions(core: &mut ProducerCore<DeliveryToken>, gate: &Semaphore) {
    while let Some(completion) = core.poll_completion() {
        gate.signal(completion.buffered_bytes as u64);
        completion.token.complete(completion.result);
    }
}

/// The time of one burst of events: monotonic for the core's timers, wall clock for records
/// sent without a timestamp.
#[derive(Clone, Copy)]
struct Clock {
    now: Instant,
    wall_ms: i64,
}

fn handle_event(
    event: Event,
    core: &mut ProducerCore<DeliveryToken>,
    transport: &mut AsyncTransport<Event>,
    flush_waiters: &mut Vec<oneshot::Sender<()>>,
    closing: &mut bool,
    clock: Clock,
) {
    let now = clock.now;
    match event {
        Event::Send(record, token) => core.send(record, token, now, clock.wall_ms),
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
