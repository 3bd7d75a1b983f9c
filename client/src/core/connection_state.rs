//! One connection's request bookkeeping: correlation ids, the requests awaiting responses, and
//! the bound on how many may be in flight at once (pipelining).

use std::collections::HashMap;
use std::time::Instant;

use sluice_proto::frame::OutgoingFrame;
use sluice_proto::message::{MessageEncoder, Request, RequestBody, Response};

use crate::error::{ClientError, Result};

/// Correlation ids and in-flight requests of one connection, each tagged with a caller token
/// `T` that says what the response is for.
#[derive(Debug)]
pub struct ConnectionState<T> {
    next_correlation_id: u32,
    /// Requests awaiting a response: their token and when they were encoded.
    in_flight: HashMap<u32, (T, Instant)>,
    in_flight_max: usize,
    encoder: MessageEncoder,
}

impl<T> ConnectionState<T> {
    /// A fresh connection allowing `in_flight_max` requests to await responses.
    pub fn new(in_flight_max: usize) -> Self {
        assert!(in_flight_max > 0, "a connection must allow one request in flight");
        ConnectionState {
            next_correlation_id: 1,
            in_flight: HashMap::new(),
            in_flight_max,
            encoder: MessageEncoder::new(),
        }
    }

    /// Whether another request may be sent now.
    pub fn can_send(&self) -> bool {
        self.in_flight.len() < self.in_flight_max
    }

    /// Requests awaiting a response.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Encodes `body` under a fresh correlation id. With a token the request is tracked until
    /// its response arrives; without one (a produce with `Acks::None`) none is expected. On
    /// failure the token comes back with the error, so nothing it stands for is lost. `now`
    /// dates the request for [`oldest_sent_at`](Self::oldest_sent_at).
    pub fn encode(
        &mut self,
        body: RequestBody,
        token: Option<T>,
        now: Instant,
    ) -> std::result::Result<OutgoingFrame, (ClientError, Option<T>)> {
        assert!(self.can_send(), "callers check can_send before encoding");
        let correlation_id = self.allocate_correlation_id();
        let frame = match self.encoder.encode_request(&Request::new(correlation_id, body)) {
            Ok(frame) => frame,
            Err(error) => return Err((ClientError::Protocol(error.to_string()), token)),
        };
        if let Some(token) = token {
            let previous = self.in_flight.insert(correlation_id, (token, now));
            assert!(previous.is_none(), "correlation ids in flight are unique");
        }
        Ok(frame)
    }

    /// Matches a response to its request and returns the request's token. A response nobody
    /// asked for means the stream is out of step: the caller closes the connection.
    pub fn complete(&mut self, response: &Response) -> Result<T> {
        self.in_flight.remove(&response.correlation_id).map(|(token, _)| token).ok_or_else(|| {
            ClientError::Protocol(format!(
                "response with unknown correlation id {}",
                response.correlation_id
            ))
        })
    }

    /// The connection is gone: every request in flight is lost. Returns their tokens, oldest
    /// request first (by send time, then correlation id), so a caller can requeue them in order.
    pub fn fail_all(&mut self) -> Vec<T> {
        let mut lost: Vec<(Instant, u32, T)> =
            self.in_flight.drain().map(|(id, (token, sent_at))| (sent_at, id, token)).collect();
        lost.sort_by_key(|(sent_at, id, _)| (*sent_at, *id));
        lost.into_iter().map(|(_, _, token)| token).collect()
    }

    /// When the oldest request still awaiting a response was sent.
    pub fn oldest_sent_at(&self) -> Option<Instant> {
        self.in_flight.values().map(|(_, sent_at)| *sent_at).min()
    }

    fn allocate_correlation_id(&mut self) -> u32 {
        // Bounded: at most in_flight_max ids are taken, so a free one is within that many steps.
        for _ in 0..=self.in_flight_max {
            let id = self.next_correlation_id;
            self.next_correlation_id = self.next_correlation_id.wrapping_add(1).max(1);
            if !self.in_flight.contains_key(&id) {
                return id;
            }
        }
        unreachable!("fewer than in_flight_max + 1 correlation ids are ever taken");
    }
}

#[cfg(test)]
mod tests {
    use sluice_proto::message::{decode_request, ListTopicsRequest, ListTopicsResponse};

    use super::*;

    fn sent_correlation_id(frame: &OutgoingFrame) -> u32 {
        let mut bytes = bytes::BytesMut::from(&frame.to_bytes()[..]);
        let frame = sluice_proto::frame::FrameDecoder::new().decode(&mut bytes).unwrap().unwrap();
        decode_request(&frame).unwrap().correlation_id
    }

    #[test]
    fn given_pipelined_requests_when_responses_arrive_out_of_order_should_match_each_token() {
        let mut state = ConnectionState::new(4);
        let ids: Vec<u32> = ["a", "b", "c"]
            .iter()
            .map(|token| {
                let frame = state
                    .encode(ListTopicsRequest {}.into(), Some(*token), Instant::now())
                    .unwrap();
                sent_correlation_id(&frame)
            })
            .collect();
        assert_eq!(state.in_flight(), 3);
        let respond = |id| Response {
            correlation_id: id,
            api_version: 0,
            body: ListTopicsResponse::default().into(),
        };
        assert_eq!(state.complete(&respond(ids[2])).unwrap(), "c");
        assert_eq!(state.complete(&respond(ids[0])).unwrap(), "a");
        assert!(matches!(state.complete(&respond(ids[0])), Err(ClientError::Protocol(_))));
        assert_eq!(state.fail_all(), vec!["b"]);
        assert_eq!(state.in_flight(), 0);
    }

    #[test]
    fn given_full_pipeline_when_checking_should_refuse_more() {
        let mut state = ConnectionState::new(1);
        state.encode(ListTopicsRequest {}.into(), Some(()), Instant::now()).unwrap();
        assert!(!state.can_send());
    }

    #[test]
    fn given_untracked_request_when_encoding_should_not_count_it_in_flight() {
        let mut state = ConnectionState::<()>::new(1);
        state.encode(ListTopicsRequest {}.into(), None, Instant::now()).unwrap();
        assert!(state.can_send());
    }
}
