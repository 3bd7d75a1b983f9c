//! Replays the `request_handling` fuzz corpus through the broker's request entry point
//! in-process, so every test run exercises the fuzz target's code path without libFuzzer.
//! After every input the shard must still answer a well-formed request.

use std::path::{Path, PathBuf};

use sluice_broker::connection::request_entry::serve_bytes;
use sluice_broker::runtime::standalone_shard;
use sluice_proto::message::*;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/request_handling")
}

/// Requests the seed corpus is made of (and that set up the topic the fuzzer aims at).
fn seed_requests() -> Vec<(&'static str, Request)> {
    let batch = {
        let mut b = sluice_proto::record_batch::BatchBuilder::new();
        b.append(1, Some(b"k"), Some(b"v")).unwrap();
        b.finish()
    };
    let produce = |partition| ProduceRequest {
        acks: Acks::Leader,
        timeout_ms: 100,
        topics: vec![ProduceTopic {
            name: "fuzz".into(),
            partitions: vec![ProducePartition { partition, records: batch.clone().into() }],
        }],
    };
    vec![
        (
            "create",
            Request::new(
                1,
                CreateTopicsRequest {
                    topics: vec![CreatableTopic {
                        name: "fuzz".into(),
                        config: TopicConfig { partitions: Some(2), ..Default::default() },
                    }],
                    timeout_ms: 100,
                    validate_only: false,
                },
            ),
        ),
        ("produce", Request::new(2, produce(0))),
        ("produce-bad-partition", Request::new(3, produce(9))),
        (
            "fetch",
            Request::new(
                4,
                FetchRequest {
                    max_wait_ms: 0,
                    min_bytes: 1,
                    max_bytes: 1 << 20,
                    topics: vec![FetchTopic {
                        name: "fuzz".into(),
                        partitions: vec![FetchPartition {
                            partition: 0,
                            fetch_offset: 0,
                            partition_max_bytes: 1 << 20,
                            current_leader_epoch: -1,
                        }],
                    }],
                },
            ),
        ),
        ("metadata", Request::new(5, MetadataRequest { topics: vec![] })),
        (
            "describe",
            Request::new(6, DescribeTopicsRequest { names: vec!["fuzz".into(), "nope".into()] }),
        ),
        (
            "list-offsets",
            Request::new(
                7,
                ListOffsetsRequest {
                    topics: vec![ListOffsetsTopic {
                        name: "fuzz".into(),
                        partitions: vec![ListOffsetsPartition {
                            partition: 1,
                            query: OffsetQuery::Earliest,
                        }],
                    }],
                },
            ),
        ),
        ("api-versions", Request::new(8, ApiVersionsRequest::default())),
        ("list-topics", Request::new(9, ListTopicsRequest {})),
        (
            "delete-unknown",
            Request::new(10, DeleteTopicsRequest { names: vec!["nope".into()], timeout_ms: 100 }),
        ),
    ]
}

fn encode(request: &Request) -> Vec<u8> {
    encode_request(request).unwrap().to_bytes().to_vec()
}

/// Runs `inputs` through one standalone shard; panics (failing the test) if any input breaks
/// the shard.
fn replay(inputs: Vec<Vec<u8>>) {
    let handle = glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound)
        .io_memory(1 << 20)
        .spin_before_park(std::time::Duration::from_micros(200))
        .spawn(move || {
            sluice_storage::reactor_tick::with_reactor_tick(async move {
                let dir = tempfile::tempdir().unwrap();
                let shard = standalone_shard(dir.path()).await.unwrap();
                let setup = seed_requests();
                serve_bytes(&shard, &encode(&setup[0].1)).await;
                for input in inputs {
                    serve_bytes(&shard, &input).await;
                    let probe = serve_bytes(
                        &shard,
                        &encode(&Request::new(99, ApiVersionsRequest::default())),
                    )
                    .await;
                    assert!(
                        matches!(
                            probe.as_slice(),
                            [Response { body: ResponseBody::ApiVersions(_), .. }]
                        ),
                        "the shard still answers after an input"
                    );
                }
            })
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn given_every_corpus_input_should_answer_or_refuse_without_breaking_the_shard() {
    let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(corpus_dir())
        .expect("the corpus is committed")
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    assert!(inputs.len() >= 10, "a corpus of at least the seeds");
    // Plus every seed cut short and with a byte flipped: the cheap cases a fuzzer starts from.
    for (_, request) in seed_requests() {
        let bytes = encode(&request);
        inputs.push(bytes[..bytes.len() / 2].to_vec());
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x5a;
        inputs.push(flipped);
    }
    replay(inputs);
}

/// Regenerates the seed files: `cargo test -p sluice-broker --test request_fuzz_replay -- --ignored`.
#[test]
#[ignore]
fn write_seed_corpus() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let seeds = seed_requests();
    for (name, request) in &seeds {
        std::fs::write(dir.join(format!("seed-{name}")), encode(request)).unwrap();
    }
    let pipelined: Vec<u8> = seeds.iter().flat_map(|(_, r)| encode(r)).collect();
    std::fs::write(dir.join("seed-pipelined"), pipelined).unwrap();
}
