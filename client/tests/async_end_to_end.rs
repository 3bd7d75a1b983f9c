//! The glommio layer against a real broker.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sluice_client::async_glommio::{AsyncConsumer, AsyncProducer};
use sluice_client::blocking::Admin;
use sluice_client::{
    Acks, ClientError, ConsumerConfig, ProducerConfig, ProducerRecord, RecordMetadata, SeekTarget,
    TopicPartition,
};
use support::Broker;

#[test]
fn given_a_glommio_executor_when_producing_and_consuming_should_round_trip_in_order() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("async", 3).unwrap();
    let address = broker.address.clone();
    let executor = glommio::LocalExecutorBuilder::default().spawn(move || async move {
        let producer = AsyncProducer::connect(&address, ProducerConfig::default()).unwrap();
        let mut deliveries = Vec::new();
        for i in 0..3_000u32 {
            let record =
                ProducerRecord::new("async", format!("{}:{i}", i % 3)).with_partition(i % 3);
            deliveries.push(producer.send(record).await.unwrap());
        }
        let mut last = [-1i64; 3];
        for delivery in deliveries {
            let written = delivery.await.unwrap();
            let partition = written.partition as usize;
            assert!(written.offset > last[partition], "offsets rise per partition");
            last[partition] = written.offset;
        }
        producer.close().await.unwrap();

        let mut consumer = AsyncConsumer::connect(&address, ConsumerConfig::default()).unwrap();
        let partitions: Vec<TopicPartition> =
            (0..3).map(|p| TopicPartition::new("async", p)).collect();
        consumer.assign(partitions.clone());
        for partition in &partitions {
            consumer.seek(partition, SeekTarget::Earliest).unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut next = [0u32; 3];
        let mut seen = 0;
        while seen < 3_000 {
            assert!(Instant::now() < deadline, "only {seen} records arrived");
            for record in consumer.poll(Duration::from_millis(200)).await.unwrap() {
                let value = String::from_utf8(record.value.unwrap().to_vec()).unwrap();
                let (partition, i) = value.split_once(':').unwrap();
                let partition: usize = partition.parse().unwrap();
                assert_eq!(partition as u32, record.partition);
                assert_eq!(i.parse::<u32>().unwrap(), next[partition] * 3 + partition as u32);
                next[partition] += 1;
                seen += 1;
            }
        }
        assert_eq!(consumer.position(&partitions[0]).await.unwrap(), 1_000);
        assert_eq!(consumer.lag(&partitions[0]).unwrap(), Some(0));
    });
    executor.unwrap().join().unwrap();
}

#[test]
fn given_callback_sends_when_acknowledged_should_call_each_callback_once_with_its_offset() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("callbacks", 3).unwrap();
    let address = broker.address.clone();
    let executor = glommio::LocalExecutorBuilder::default().spawn(move || async move {
        let producer = AsyncProducer::connect(&address, ProducerConfig::default()).unwrap();
        let outcomes: Rc<RefCell<Vec<(u32, RecordMetadata)>>> = Rc::default();
        for i in 0..3_000u32 {
            let record = ProducerRecord::new("callbacks", i.to_string()).with_partition(i % 3);
            let sink = outcomes.clone();
            producer
                .send_with_callback(record, move |result| {
                    sink.borrow_mut().push((i, result.expect("acknowledged")));
                })
                .await
                .unwrap();
        }
        producer.flush().await.unwrap();
        let outcomes = outcomes.take();
        assert_eq!(outcomes.len(), 3_000, "every callback ran exactly once");
        let mut last = [-1i64; 3];
        for (i, written) in outcomes.iter() {
            assert_eq!(written.partition, i % 3);
            let partition = written.partition as usize;
            assert!(written.offset > last[partition], "a partition's callbacks run in order");
            last[partition] = written.offset;
        }
        assert_eq!(last, [999, 999, 999]);
        producer.close().await.unwrap();
    });
    executor.unwrap().join().unwrap();
}

#[test]
fn given_acks_none_when_sending_with_callbacks_should_report_offset_minus_one_once_written() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("fire-and-forget", 1).unwrap();
    let address = broker.address.clone();
    let executor = glommio::LocalExecutorBuilder::default().spawn(move || async move {
        let config = ProducerConfig { acks: Acks::None, ..ProducerConfig::default() };
        let producer = AsyncProducer::connect(&address, config).unwrap();
        let offsets: Rc<RefCell<Vec<i64>>> = Rc::default();
        for i in 0..100u32 {
            let sink = offsets.clone();
            let record = ProducerRecord::new("fire-and-forget", i.to_string());
            producer
                .send_with_callback(record, move |result| {
                    sink.borrow_mut().push(result.expect("written").offset);
                })
                .await
                .unwrap();
        }
        producer.flush().await.unwrap();
        assert_eq!(*offsets.borrow(), vec![-1; 100]);
        producer.close().await.unwrap();

        // The broker stored them even though it never answered.
        let mut consumer = AsyncConsumer::connect(&address, ConsumerConfig::default()).unwrap();
        let partition = TopicPartition::new("fire-and-forget", 0);
        consumer.assign([partition.clone()]);
        consumer.seek(&partition, SeekTarget::Earliest).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = 0;
        while seen < 100 {
            assert!(Instant::now() < deadline, "only {seen} records arrived");
            seen += consumer.poll(Duration::from_millis(200)).await.unwrap().len();
        }
    });
    executor.unwrap().join().unwrap();
}

#[test]
fn given_a_record_for_a_missing_partition_when_sent_with_a_callback_should_pass_the_error_to_it() {
    let broker = Broker::start();
    let address = broker.address.clone();
    let executor = glommio::LocalExecutorBuilder::default().spawn(move || async move {
        let producer = AsyncProducer::connect(&address, ProducerConfig::default()).unwrap();
        let outcome: Rc<RefCell<Option<sluice_client::Result<RecordMetadata>>>> = Rc::default();
        let sink = outcome.clone();
        // Partition 5 of a one-partition topic: the core fails the record once metadata says so.
        Admin::connect(&address).unwrap().create_topic("narrow", 1).unwrap();
        producer
            .send_with_callback(ProducerRecord::new("narrow", "x").with_partition(5), move |r| {
                *sink.borrow_mut() = Some(r);
            })
            .await
            .unwrap();
        producer.flush().await.unwrap();
        let outcome = outcome.borrow_mut().take().expect("the callback ran");
        assert!(
            matches!(outcome, Err(ClientError::UnknownPartition { partition: 5, .. })),
            "{outcome:?}"
        );
        producer.close().await.unwrap();
    });
    executor.unwrap().join().unwrap();
}

#[test]
fn given_a_full_buffer_when_waiting_for_room_should_return_only_once_an_acknowledgement_frees_it() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic("room", 1).unwrap();
    let address = broker.address.clone();
    let executor = glommio::LocalExecutorBuilder::default().spawn(move || async move {
        let record = || ProducerRecord::new("room", vec![7u8; 512]).with_partition(0);
        let bytes = record().buffered_bytes();
        // Room for exactly one record: the second must wait for the first's acknowledgement.
        let config = ProducerConfig {
            buffer_bytes_max: bytes,
            batch_bytes_max: bytes,
            ..ProducerConfig::default()
        };
        let producer = AsyncProducer::connect(&address, config).unwrap();
        let acknowledged = Rc::new(RefCell::new(false));
        let flag = acknowledged.clone();
        producer
            .send_with_callback(record(), move |result| {
                result.expect("acknowledged");
                *flag.borrow_mut() = true;
            })
            .await
            .unwrap();
        assert!(!*acknowledged.borrow(), "nothing is acknowledged before the driver runs");
        producer.wait_for_room(bytes).await.unwrap();
        assert!(*acknowledged.borrow(), "room comes back only with the first acknowledgement");
        // The room is still there: the wait took nothing.
        producer.send(record()).await.unwrap().await.unwrap();
        match producer.wait_for_room(bytes + 1).await {
            Err(ClientError::RecordTooLarge { .. }) => {}
            other => panic!("a wait for more than the whole buffer must fail, got {other:?}"),
        }
        producer.close().await.unwrap();
    });
    executor.unwrap().join().unwrap();
}
