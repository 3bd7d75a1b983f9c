//! The request-handling entry point: one frame in, its (eventual) response out.
//!
//! Connections call [`accept_frame`] for every frame they cut; the fuzz target and its corpus
//! replay call [`serve_bytes`] with arbitrary bytes, so they exercise exactly the code a
//! socket reaches.

use std::rc::Rc;

use bytes::BytesMut;
use glommio::sync::{Semaphore, StaticPermit};
use glommio::task::JoinHandle;
use sluice_proto::frame::{FrameDecoder, FrameMut};
use sluice_proto::message::{
    decode_request_mut, IncomingRequest, Request, RequestBody, Response, ResponseBody,
};

use crate::handlers;
use crate::handlers::produce::PendingProduce;
use crate::shard::ShardContext;

/// What became of one frame.
pub enum FrameOutcome {
    /// Accepted: its response (if it gets one) will come from here.
    Pending(PendingResponse),
    /// The header could not be read, so there is no correlation id to answer: the connection
    /// must close.
    Close,
}

/// A response on its way, with the in-flight budget reserved for its batch bytes.
pub struct PendingResponse {
    kind: PendingKind,
    reservation: Option<StaticPermit>,
}

enum PendingKind {
    /// Known already (a request that failed to decode).
    Ready(Response),
    /// A produce whose batches are with their owners.
    Produce {
        /// Echoed in the response.
        correlation_id: u32,
        /// Echoed in the response.
        api_version: u16,
        /// The appends.
        pending: PendingProduce,
    },
    /// Any other request, running in its own task.
    Task(JoinHandle<Option<Response>>),
}

impl PendingResponse {
    /// Waits for the response (`None` when the request gets none: produce with acks none),
    /// handing back the budget reserved for its batch bytes, to be released once it is
    /// written.
    pub async fn response(self) -> (Option<Response>, Option<StaticPermit>) {
        let response = match self.kind {
            PendingKind::Ready(response) => Some(response),
            PendingKind::Produce { correlation_id, api_version, pending } => {
                handlers::produce::complete(pending).await.map(|body| Response {
                    correlation_id,
                    api_version,
                    body: body.into(),
                })
            }
            PendingKind::Task(task) => task.await.flatten(),
        };
        (response, self.reservation)
    }
}

/// Decodes one frame and starts serving it. A produce's batches are handed to their owners
/// before this returns (so the caller keeps per-partition order by calling it frame by
/// frame); any other request runs in a task of its own, so requests overlap.
///
/// A fetch first reserves its largest possible response from `budget` (the connection's
/// in-flight bytes, `budget_bytes` in all), waiting if need be: so a client that does not
/// read its responses stops being read once the budget is spent, and the broker never holds
/// more batch bytes for a connection than the budget.
pub async fn accept_frame(
    shard: &Rc<ShardContext>,
    frame: FrameMut,
    budget: &Rc<Semaphore>,
    budget_bytes: u64,
) -> FrameOutcome {
    shard.metrics.borrow_mut().requests_total += 1;
    let request = match decode_request_mut(frame) {
        Ok(request) => request,
        Err(e) => {
            shard.metrics.borrow_mut().request_errors_total += 1;
            return match e.error_response() {
                Some(response) => {
                    tracing::debug!(error = %e, "bad request");
                    FrameOutcome::Pending(PendingResponse {
                        kind: PendingKind::Ready(response),
                        reservation: None,
                    })
                }
                None => {
                    tracing::info!(error = %e, "unreadable request header; closing");
                    FrameOutcome::Close
                }
            };
        }
    };
    let reservation = match &request {
        IncomingRequest::Other(Request { body: RequestBody::Fetch(fetch), .. }) => {
            let bytes = (fetch.max_bytes.max(1) as usize)
                .min(handlers::fetch::FETCH_RESPONSE_BYTES_MAX) as u64;
            match budget.clone().acquire_static_permit(bytes.min(budget_bytes)).await {
                Ok(permit) => Some(permit),
                Err(_) => return FrameOutcome::Close,
            }
        }
        _ => None,
    };
    let kind = match request {
        IncomingRequest::Produce { correlation_id, api_version, request } => {
            let pending = handlers::produce::dispatch(shard, request).await;
            PendingKind::Produce { correlation_id, api_version, pending }
        }
        IncomingRequest::Other(request) => {
            let shard = shard.clone();
            PendingKind::Task(
                glommio::spawn_local(async move {
                    let response = handlers::handle(&shard, request).await;
                    if matches!(response.as_ref().map(|r| &r.body), Some(ResponseBody::Error(_))) {
                        shard.metrics.borrow_mut().request_errors_total += 1;
                    }
                    response
                })
                .detach(),
            )
        }
    };
    FrameOutcome::Pending(PendingResponse { kind, reservation })
}

/// Serves a byte stream as if it arrived on one connection, and returns every response in
/// the order the requests arrived. Stops at the first broken frame, as a connection would.
pub async fn serve_bytes(shard: &Rc<ShardContext>, bytes: &[u8]) -> Vec<Response> {
    let mut buffer = BytesMut::from(bytes);
    let mut decoder = FrameDecoder::new();
    let mut pending = Vec::new();
    // Room for every response at once: nothing is written until all are served.
    let budget_bytes = u64::MAX >> 1;
    let budget = Rc::new(Semaphore::new(budget_bytes));
    while let Ok(Some(frame)) = decoder.decode_mut(&mut buffer) {
        match accept_frame(shard, frame, &budget, budget_bytes).await {
            FrameOutcome::Pending(response) => pending.push(response),
            FrameOutcome::Close => break,
        }
    }
    let mut responses = Vec::with_capacity(pending.len());
    for response in pending {
        responses.extend(response.response().await.0);
    }
    responses
}
