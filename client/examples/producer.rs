//! Produces 100 keyed records to topic `events` (created with 4 partitions if missing) and
//! prints where each landed. Run against a broker: `cargo run -p sluice-client --example producer`.

use sluice_client::blocking::{Admin, Producer};
use sluice_client::{ClientError, ProducerConfig, ProducerRecord};

fn main() -> Result<(), ClientError> {
    let broker = std::env::var("SLUICE_BROKER").unwrap_or_else(|_| "127.0.0.1:9292".into());
    let admin = Admin::connect(&broker)?;
    match admin.create_topic("events", 4) {
        Ok(()) | Err(ClientError::TopicAlreadyExists(_)) => {}
        Err(error) => return Err(error),
    }
    let producer = Producer::connect(&broker, ProducerConfig::default())?;
    let mut handles = Vec::new();
    for i in 0..100 {
        let record = ProducerRecord::new("events", format!("event {i}"))
            .with_key(format!("user-{}", i % 10))
            .with_header("source", "example");
        handles.push(producer.send(record)?);
    }
    producer.flush()?;
    for handle in handles {
        let written = handle.wait()?;
        println!("partition {} offset {}", written.partition, written.offset);
    }
    producer.close()
}
