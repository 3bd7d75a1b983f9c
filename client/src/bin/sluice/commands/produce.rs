//! `sluice produce TOPIC`: one record per stdin line.

use std::collections::VecDeque;
use std::io::{BufRead, Write};

use bytes::Bytes;
use sluice_client::blocking::{Admin, DeliveryHandle, Producer};
use sluice_client::{ClientError, ProducerConfig, ProducerRecord, RecordMetadata};

use crate::{Failure, ProduceArgs, EXIT_PRODUCE_FAILED};

pub fn run(broker: &str, args: ProduceArgs) -> Result<(), Failure> {
    // Fail fast, with the plain message, on a topic that does not exist.
    let partitions = Admin::connect(broker)?.partition_count(&args.topic)?;
    if let Some(partition) = args.partition.filter(|p| *p >= partitions) {
        return Err(ClientError::UnknownPartition { topic: args.topic, partition }.into());
    }
    let producer = Producer::connect(broker, ProducerConfig::default())?;
    let topic: std::sync::Arc<str> = args.topic.as_str().into();
    let mut pending: VecDeque<DeliveryHandle> = VecDeque::new();
    let mut report = Report::new(args.verbose);
    let mut stdin = std::io::stdin().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        if stdin.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let mut record = ProducerRecord::new(topic.clone(), Bytes::new());
        match args.key_separator.and_then(|separator| split_at(&line, separator)) {
            Some((key, value)) => {
                record.key = Some(Bytes::copy_from_slice(key));
                record.value = Some(Bytes::copy_from_slice(value));
            }
            None => record.value = Some(Bytes::copy_from_slice(&line)),
        }
        record.partition = args.partition;
        pending.push_back(producer.send(record)?);
        // Report records as they complete, in order, so memory stays bounded by the producer's
        // buffer rather than by the input.
        while let Some(result) = pending.front().and_then(DeliveryHandle::try_result) {
            pending.pop_front();
            report.record(result)?;
        }
    }
    producer.flush()?;
    for handle in pending {
        report.record(handle.wait())?;
    }
    producer.close()?;
    report.finish()
}

fn split_at(line: &[u8], separator: char) -> Option<(&[u8], &[u8])> {
    let mut encoded = [0u8; 4];
    let separator = separator.encode_utf8(&mut encoded).as_bytes();
    let at = line.windows(separator.len()).position(|w| w == separator)?;
    Some((&line[..at], &line[at + separator.len()..]))
}

struct Report {
    verbose: bool,
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    failed: u64,
    first_error: Option<ClientError>,
}

impl Report {
    fn new(verbose: bool) -> Self {
        Report {
            verbose,
            out: std::io::BufWriter::new(std::io::stdout().lock()),
            failed: 0,
            first_error: None,
        }
    }

    fn record(&mut self, result: Result<RecordMetadata, ClientError>) -> Result<(), Failure> {
        match result {
            Ok(written) if self.verbose => {
                writeln!(self.out, "partition {} offset {}", written.partition, written.offset)?;
            }
            Ok(_) => {}
            Err(error) => {
                self.failed += 1;
                self.first_error.get_or_insert(error);
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), Failure> {
        self.out.flush()?;
        match self.first_error {
            None => Ok(()),
            Some(error) if self.failed == 1 => Err(error.into()),
            Some(error) => {
                let mut failure = Failure::from(error);
                failure.message =
                    format!("{} records not produced; first: {}", self.failed, failure.message);
                if failure.code == crate::EXIT_ERROR {
                    failure.code = EXIT_PRODUCE_FAILED;
                }
                Err(failure)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_separator_when_splitting_should_cut_at_the_first_occurrence() {
        assert_eq!(split_at(b"k:v:w", ':'), Some((&b"k"[..], &b"v:w"[..])));
        assert_eq!(split_at(b"plain", ':'), None);
        assert_eq!(split_at("a→b".as_bytes(), '→'), Some((&b"a"[..], &b"b"[..])));
    }
}
