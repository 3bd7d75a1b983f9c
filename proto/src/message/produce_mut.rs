//! Produce requests decoded with each partition's batches in a buffer of their own, uniquely
//! owned and mutable, so the broker can stamp base offsets into the batches in place: the
//! only copy of batch bytes on its produce path is then the one into the DMA buffer.

use bytes::{Buf, BytesMut};

use super::*;
use crate::frame::FrameMut;
use crate::generated as fb;

/// A [`ProduceRequest`] whose batches are mutable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProduceRequestMut {
    /// Acknowledgement level.
    pub acks: Acks,
    /// How long the broker may take.
    pub timeout_ms: u32,
    /// Per topic.
    pub topics: Vec<ProduceTopicMut>,
}

/// One topic of a [`ProduceRequestMut`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProduceTopicMut {
    /// Topic name.
    pub name: String,
    /// Per partition.
    pub partitions: Vec<ProducePartitionMut>,
}

/// One partition of a [`ProduceRequestMut`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProducePartitionMut {
    /// Partition index.
    pub partition: u32,
    /// The partition's record batches, back to back.
    pub records: BytesMut,
}

impl From<ProduceRequest> for ProduceRequestMut {
    /// Copies the batches out of their shared buffers: for callers that hold a decoded
    /// [`ProduceRequest`] rather than a frame.
    fn from(request: ProduceRequest) -> Self {
        ProduceRequestMut {
            acks: request.acks,
            timeout_ms: request.timeout_ms,
            topics: request
                .topics
                .into_iter()
                .map(|topic| ProduceTopicMut {
                    name: topic.name,
                    partitions: topic
                        .partitions
                        .into_iter()
                        .map(|p| {
                            let mut records = BytesMut::with_capacity(p.records.len());
                            for chunk in p.records.chunks() {
                                records.extend_from_slice(chunk);
                            }
                            ProducePartitionMut { partition: p.partition, records }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A request as the broker's connection receives it: produce with mutable batches, anything
/// else as an ordinary [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingRequest {
    /// A produce request.
    Produce {
        /// Echoed in the response.
        correlation_id: u32,
        /// The API version the client speaks.
        api_version: u16,
        /// The request.
        request: ProduceRequestMut,
    },
    /// Any other request.
    Other(Request),
}

/// Verifies and decodes a request frame like [`decode_request`], but hands a produce request's
/// batches over as mutable buffers cut from the frame's payload, without copying them.
///
/// Partitions whose payload ranges overlap another's (a well-behaved client never sends such)
/// get copies, so no two partitions ever share mutable bytes.
pub fn decode_request_mut(frame: FrameMut) -> Result<IncomingRequest, DecodeError> {
    let FrameMut { header: header_bytes, payload } = frame;
    let view = verify_request_header(&header_bytes)?;
    if view.api().0 != ApiKey::Produce.as_u16() {
        let frame = crate::frame::Frame { header: header_bytes.clone(), payload: payload.freeze() };
        return decode_request(&frame).map(IncomingRequest::Other);
    }
    let header = HeaderInfo {
        correlation_id: view.correlation_id(),
        api_key: view.api().0,
        api_version: view.api_version(),
    };
    let fail = |kind| DecodeError::new(kind, Some(header));
    super::request::check_api_version(&header).map_err(fail)?;
    let body = view
        .body_as_produce_request()
        .ok_or(DecodeErrorKind::MissingBody { body_type: view.body_type().0 })
        .map_err(fail)?;
    let request = decode_produce_mut(body, payload).map_err(fail)?;
    Ok(IncomingRequest::Produce {
        correlation_id: header.correlation_id,
        api_version: header.api_version,
        request,
    })
}

fn decode_produce_mut(
    view: fb::ProduceRequest<'_>,
    mut payload: BytesMut,
) -> Result<ProduceRequestMut, DecodeErrorKind> {
    // Every range in request order, bounds-checked before any byte moves.
    let mut ranges = Vec::new();
    for topic in view.topics().iter() {
        for partition in topic.partitions().iter() {
            let range = partition.records();
            let (offset, len) = (range.offset(), range.len());
            if u64::from(offset) + u64::from(len) > payload.len() as u64 {
                return Err(DecodeErrorKind::PayloadRangeOutOfBounds {
                    offset,
                    len,
                    payload_len: payload.len(),
                });
            }
            ranges.push((offset as usize, len as usize));
        }
    }
    let mut order: Vec<usize> = (0..ranges.len()).collect();
    order.sort_unstable_by_key(|&i| ranges[i]);
    let mut records: Vec<Option<BytesMut>> = vec![None; ranges.len()];
    // Overlapping ranges are copied first, while the payload is still whole.
    let mut end_so_far = 0;
    let mut overlapping = vec![false; ranges.len()];
    for &i in &order {
        let (offset, len) = ranges[i];
        if offset < end_so_far {
            overlapping[i] = true;
            records[i] = Some(BytesMut::from(&payload[offset..offset + len]));
        }
        end_so_far = end_so_far.max(offset + len);
    }
    // The rest are cut from the payload in offset order: disjoint, so no copy.
    let mut cursor = 0;
    for &i in order.iter().filter(|&&i| !overlapping[i]) {
        let (offset, len) = ranges[i];
        assert!(offset >= cursor, "non-overlapping ranges are cut in order");
        payload.advance(offset - cursor);
        records[i] = Some(payload.split_to(len));
        cursor = offset + len;
    }
    let mut records = records.into_iter().map(|r| r.expect("every range was cut or copied"));
    Ok(ProduceRequestMut {
        acks: Acks::from_wire(view.acks())?,
        timeout_ms: view.timeout_ms(),
        topics: view
            .topics()
            .iter()
            .map(|topic| ProduceTopicMut {
                name: topic.name().to_owned(),
                partitions: topic
                    .partitions()
                    .iter()
                    .map(|partition| ProducePartitionMut {
                        partition: partition.partition(),
                        records: records.next().expect("one cut per range"),
                    })
                    .collect(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::frame::FrameDecoder;

    fn produce(partitions: &[(u32, &'static [u8])]) -> Request {
        Request::new(
            9,
            ProduceRequest {
                acks: Acks::Leader,
                timeout_ms: 5,
                topics: vec![ProduceTopic {
                    name: "t".into(),
                    partitions: partitions
                        .iter()
                        .map(|&(partition, bytes)| ProducePartition {
                            partition,
                            records: BatchBytes::from(Bytes::from_static(bytes)),
                        })
                        .collect(),
                }],
            },
        )
    }

    fn frame_of(request: &Request) -> FrameMut {
        let mut buffer = BytesMut::from(&encode_request(request).unwrap().to_bytes()[..]);
        FrameDecoder::new().decode_mut(&mut buffer).unwrap().unwrap()
    }

    #[test]
    fn given_produce_frame_should_cut_each_partition_without_copying() {
        let request = produce(&[(0, b"first"), (3, b"second"), (1, b"third")]);
        let frame = frame_of(&request);
        let payload_start = frame.payload.as_ptr() as usize;
        let payload_end = payload_start + frame.payload.len();
        let IncomingRequest::Produce { correlation_id, request: decoded, .. } =
            decode_request_mut(frame).unwrap()
        else {
            panic!("a produce request")
        };
        assert_eq!(correlation_id, 9);
        let RequestBody::Produce(original) = request.body else { unreachable!() };
        assert_eq!(decoded, ProduceRequestMut::from(original));
        for p in &decoded.topics[0].partitions {
            let at = p.records.as_ptr() as usize;
            assert!((payload_start..payload_end).contains(&at), "cut from the frame, not copied");
        }
    }

    #[test]
    fn given_other_api_should_decode_as_an_ordinary_request() {
        let request = Request::new(4, MetadataRequest { topics: vec!["x".into()] });
        assert_eq!(
            decode_request_mut(frame_of(&request)).unwrap(),
            IncomingRequest::Other(request)
        );
    }
}
