//! Reads topic `events` from the beginning until 100 records have arrived, then prints each
//! partition's position and lag. Run after the `producer` example:
//! `cargo run -p sluice-client --example consumer`.

use std::time::{Duration, Instant};

use sluice_client::blocking::{Admin, Consumer};
use sluice_client::{ClientError, ConsumerConfig, SeekTarget, TopicPartition};

fn main() -> Result<(), ClientError> {
    let broker = std::env::var("SLUICE_BROKER").unwrap_or_else(|_| "127.0.0.1:9292".into());
    let partitions = Admin::connect(&broker)?.partition_count("events")?;
    let mut consumer = Consumer::connect(&broker, ConsumerConfig::default())?;
    let assignment: Vec<TopicPartition> =
        (0..partitions).map(|p| TopicPartition::new("events", p)).collect();
    consumer.assign(assignment.clone());
    for partition in &assignment {
        consumer.seek(partition, SeekTarget::Earliest)?;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = 0;
    while seen < 100 && Instant::now() < deadline {
        for record in consumer.poll(Duration::from_secs(1))? {
            let value = record.value.as_deref().unwrap_or_default();
            println!(
                "{}/{}@{}: {}",
                record.topic,
                record.partition,
                record.offset,
                String::from_utf8_lossy(value)
            );
            seen += 1;
        }
    }
    for partition in &assignment {
        let position = consumer.position(partition)?;
        println!("{partition}: position {position}, lag {:?}", consumer.lag(partition)?);
    }
    Ok(())
}
