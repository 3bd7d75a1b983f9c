//! The glommio layer against a real broker.

mod support;

use std::time::{Duration, Instant};

use sluice_client::async_glommio::{AsyncConsumer, AsyncProducer};
use sluice_client::blocking::Admin;
use sluice_client::{ConsumerConfig, ProducerConfig, ProducerRecord, SeekTarget, TopicPartition};
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
