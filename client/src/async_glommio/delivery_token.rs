//! How the glommio producer hands one record's outcome back: a one-shot slot its
//! [`AsyncDelivery`](super::AsyncDelivery) future awaits, or a callback the driver calls.
//!
//! Callbacks exist because a future per record is awaited in the caller's order, while records
//! of different partitions are acknowledged in whatever order their responses arrive: a caller
//! timing each record (the load generator does) would charge a fast partition's records with a
//! slow partition's wait. A callback runs the moment the driver learns the outcome.

use super::oneshot;
use crate::error::{ClientError, Result};
use crate::record::RecordMetadata;

/// A completion callback, boxed once per record: the only allocation the callback path adds.
pub(crate) type Callback = Box<dyn FnOnce(Result<RecordMetadata>)>;

enum Kind {
    Slot(oneshot::Sender<Result<RecordMetadata>>),
    Callback(Callback),
}

/// The token the producer core carries for one record. Completing it delivers the outcome;
/// dropping it uncompleted (the driver stopped with the record still buffered) delivers
/// [`ClientError::Closed`], so a callback runs exactly once whatever happens.
pub(crate) struct DeliveryToken(Option<Kind>);

impl std::fmt::Debug for DeliveryToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.0 {
            Some(Kind::Slot(_)) => "slot",
            Some(Kind::Callback(_)) => "callback",
            None => "completed",
        };
        f.debug_tuple("DeliveryToken").field(&kind).finish()
    }
}

impl DeliveryToken {
    pub(crate) fn slot(sender: oneshot::Sender<Result<RecordMetadata>>) -> Self {
        DeliveryToken(Some(Kind::Slot(sender)))
    }

    pub(crate) fn callback(callback: Callback) -> Self {
        DeliveryToken(Some(Kind::Callback(callback)))
    }

    /// Drops the token without delivering anything: for a record that was never queued, whose
    /// caller got the error directly.
    pub(crate) fn discard(mut self) {
        self.0 = None;
    }

    /// Delivers the outcome.
    pub(crate) fn complete(mut self, result: Result<RecordMetadata>) {
        match self.0.take() {
            Some(Kind::Slot(sender)) => sender.send(result),
            Some(Kind::Callback(callback)) => callback(result),
            None => unreachable!("a token is completed once: complete takes it by value"),
        }
    }
}

impl Drop for DeliveryToken {
    fn drop(&mut self) {
        match self.0.take() {
            // A dropped sender already tells its receiver the producer closed.
            Some(Kind::Slot(_)) | None => {}
            Some(Kind::Callback(callback)) => callback(Err(ClientError::Closed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;

    fn recording_token() -> (DeliveryToken, Rc<RefCell<Vec<Result<RecordMetadata>>>>) {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let sink = seen.clone();
        (DeliveryToken::callback(Box::new(move |r| sink.borrow_mut().push(r))), seen)
    }

    #[test]
    fn given_a_callback_token_when_completed_should_call_it_once_with_the_result() {
        let (token, seen) = recording_token();
        let written = RecordMetadata { partition: 2, offset: 7, timestamp_ms: 1 };
        token.complete(Ok(written));
        assert_eq!(*seen.borrow(), vec![Ok(written)]);
    }

    #[test]
    fn given_a_callback_token_when_dropped_uncompleted_should_report_closed() {
        let (token, seen) = recording_token();
        drop(token);
        assert_eq!(*seen.borrow(), vec![Err(ClientError::Closed)]);
    }

    #[test]
    fn given_a_slot_token_when_completed_should_fill_the_receiver() {
        let (sender, receiver) = oneshot::channel();
        let written = RecordMetadata { partition: 0, offset: -1, timestamp_ms: 5 };
        DeliveryToken::slot(sender).complete(Ok(written));
        assert_eq!(receiver.try_take(), Some(Ok(written)));
    }
}
