//! Sample messages shared by the integration tests: one of every request and response, with
//! every field set to something other than its default so a dropped field shows up.

#![allow(dead_code)] // Each test binary uses a different subset.

use bytes::Bytes;
use sluice_proto::message::*;
use sluice_proto::ErrorCode;

fn tp(topic: &str, partitions: &[u32]) -> TopicPartitions {
    TopicPartitions { topic: topic.to_owned(), partitions: partitions.to_vec() }
}

fn full_config() -> TopicConfig {
    TopicConfig {
        partitions: Some(12),
        replication_factor: Some(3),
        segment_bytes: Some(1 << 30),
        segment_ms: Some(604_800_000),
        retention_bytes: Some(-1),
        retention_ms: Some(86_400_000),
        flush_policy: Some(FlushPolicy::Interval),
        flush_interval_ms: Some(50),
    }
}

/// Batches split over two chunks, to show chunking does not matter on the wire.
pub fn batches(seed: u8, len: usize) -> BatchBytes {
    let bytes: Vec<u8> = (0..len).map(|i| seed.wrapping_add(i as u8)).collect();
    let split = len / 3;
    BatchBytes::from_chunks([
        Bytes::copy_from_slice(&bytes[..split]),
        Bytes::from(bytes[split..].to_vec()),
    ])
}

/// One request per API.
pub fn sample_requests() -> Vec<Request> {
    let bodies: Vec<RequestBody> = vec![
        ApiVersionsRequest {
            client_software_name: "sluice-rs".into(),
            client_software_version: "0.1.0".into(),
        }
        .into(),
        MetadataRequest { topics: vec!["orders".into(), "payments".into()] }.into(),
        CreateTopicsRequest {
            topics: vec![
                CreatableTopic { name: "orders".into(), config: full_config() },
                CreatableTopic { name: "defaults".into(), config: TopicConfig::default() },
                CreatableTopic {
                    name: "never".into(),
                    config: TopicConfig {
                        flush_policy: Some(FlushPolicy::Never),
                        ..TopicConfig::default()
                    },
                },
            ],
            timeout_ms: 30_000,
            validate_only: true,
        }
        .into(),
        DeleteTopicsRequest { names: vec!["old".into()], timeout_ms: 5_000 }.into(),
        ListTopicsRequest {}.into(),
        DescribeTopicsRequest { names: vec!["orders".into()] }.into(),
        ProduceRequest {
            acks: Acks::Leader,
            timeout_ms: 1_500,
            topics: vec![
                ProduceTopic {
                    name: "orders".into(),
                    partitions: vec![
                        ProducePartition { partition: 0, records: batches(1, 300) },
                        ProducePartition { partition: 7, records: BatchBytes::new() },
                    ],
                },
                ProduceTopic {
                    name: "payments".into(),
                    partitions: vec![ProducePartition { partition: 3, records: batches(9, 61) }],
                },
            ],
        }
        .into(),
        FetchRequest {
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: 52_428_800,
            topics: vec![FetchTopic {
                name: "orders".into(),
                partitions: vec![
                    FetchPartition {
                        partition: 0,
                        fetch_offset: 42,
                        partition_max_bytes: 1 << 20,
                        current_leader_epoch: 3,
                    },
                    FetchPartition {
                        partition: 1,
                        fetch_offset: 0,
                        partition_max_bytes: 1 << 20,
                        current_leader_epoch: -1,
                    },
                ],
            }],
        }
        .into(),
        ListOffsetsRequest {
            topics: vec![ListOffsetsTopic {
                name: "orders".into(),
                partitions: vec![
                    ListOffsetsPartition { partition: 0, query: OffsetQuery::Latest },
                    ListOffsetsPartition { partition: 1, query: OffsetQuery::Earliest },
                    ListOffsetsPartition {
                        partition: 2,
                        query: OffsetQuery::AtTimestamp(1_700_000_000_000),
                    },
                ],
            }],
        }
        .into(),
        JoinGroupRequest {
            group_id: "billing".into(),
            member_id: String::new(),
            member_epoch: MEMBER_EPOCH_JOIN,
            subscribed_topics: vec!["orders".into(), "payments".into()],
            assignor: Some(ASSIGNOR_STICKY.into()),
            rebalance_timeout_ms: 60_000,
            session_timeout_ms: 45_000,
            owned_partitions: vec![tp("orders", &[0, 1])],
        }
        .into(),
        HeartbeatRequest {
            group_id: "billing".into(),
            member_id: "m-1".into(),
            member_epoch: 5,
            subscribed_topics: None,
            owned_partitions: Some(vec![tp("orders", &[0]), tp("payments", &[])]),
        }
        .into(),
        LeaveGroupRequest { group_id: "billing".into(), member_id: "m-1".into(), member_epoch: 6 }
            .into(),
        OffsetCommitRequest {
            group_id: "billing".into(),
            member_id: "m-1".into(),
            member_epoch: 6,
            topics: vec![OffsetCommitTopic {
                name: "orders".into(),
                partitions: vec![
                    OffsetCommitPartition {
                        partition: 0,
                        offset: 1_000,
                        leader_epoch: 2,
                        metadata: Some("checkpoint".into()),
                    },
                    OffsetCommitPartition {
                        partition: 1,
                        offset: 0,
                        leader_epoch: -1,
                        metadata: None,
                    },
                ],
            }],
        }
        .into(),
        OffsetFetchRequest {
            group_id: "billing".into(),
            topics: Some(vec![tp("orders", &[0, 1])]),
        }
        .into(),
        ListGroupsRequest {}.into(),
        DescribeGroupRequest { group_id: "billing".into() }.into(),
    ];
    let mut requests: Vec<Request> = bodies
        .into_iter()
        .enumerate()
        .map(|(index, body)| Request::new(1000 + index as u32, body))
        .collect();
    // Variants that differ only in optional parts.
    requests.push(Request::new(
        7,
        HeartbeatRequest {
            group_id: "g".into(),
            member_id: "m".into(),
            member_epoch: 1,
            subscribed_topics: Some(vec!["t".into()]),
            owned_partitions: None,
        },
    ));
    requests.push(Request::new(8, OffsetFetchRequest { group_id: "g".into(), topics: None }));
    requests.push(Request::new(
        9,
        OffsetCommitRequest::admin(
            "g",
            vec![OffsetCommitTopic {
                name: "t".into(),
                partitions: vec![OffsetCommitPartition {
                    partition: 0,
                    offset: 5,
                    leader_epoch: -1,
                    metadata: None,
                }],
            }],
        ),
    ));
    requests
}

fn membership(assignment: Option<Vec<TopicPartitions>>) -> MembershipResponse {
    MembershipResponse {
        error_code: ErrorCode::None,
        member_id: "m-1".into(),
        member_epoch: 4,
        heartbeat_interval_ms: 3_000,
        assignment,
    }
}

fn committed() -> Vec<OffsetFetchTopicResult> {
    vec![OffsetFetchTopicResult {
        name: "orders".into(),
        partitions: vec![
            OffsetFetchPartitionResult {
                partition: 0,
                error_code: ErrorCode::None,
                offset: 1_000,
                leader_epoch: 2,
                metadata: Some("checkpoint".into()),
            },
            OffsetFetchPartitionResult {
                partition: 1,
                error_code: ErrorCode::UnknownPartition,
                offset: -1,
                leader_epoch: -1,
                metadata: None,
            },
        ],
    }]
}

/// One response per API, plus error responses.
pub fn sample_responses() -> Vec<Response> {
    let bodies: Vec<ResponseBody> = vec![
        ApiVersionsResponse {
            error_code: ErrorCode::None,
            api_versions: supported_api_versions(),
            node_id: 1,
            shard_id: 3,
            shard_count: 8,
            cluster_id: "c-42".into(),
            software_version: "0.1.0".into(),
        }
        .into(),
        MetadataResponse {
            error_code: ErrorCode::None,
            brokers: vec![BrokerMetadata { node_id: 1, host: "127.0.0.1".into(), port: 9092 }],
            topics: vec![
                TopicMetadata {
                    name: "orders".into(),
                    error_code: ErrorCode::None,
                    partitions: vec![PartitionMetadata {
                        partition: 0,
                        error_code: ErrorCode::None,
                        leader_id: 1,
                        leader_epoch: 7,
                        shard_id: 2,
                        shard_host: "127.0.0.1".into(),
                        shard_port: 19094,
                    }],
                },
                TopicMetadata {
                    name: "missing".into(),
                    error_code: ErrorCode::UnknownTopic,
                    partitions: vec![],
                },
            ],
        }
        .into(),
        CreateTopicsResponse {
            error_code: ErrorCode::None,
            topics: vec![
                TopicResult {
                    name: "orders".into(),
                    error_code: ErrorCode::None,
                    error_message: None,
                },
                TopicResult {
                    name: "bad name".into(),
                    error_code: ErrorCode::InvalidTopicName,
                    error_message: Some("space in name".into()),
                },
            ],
        }
        .into(),
        DeleteTopicsResponse {
            error_code: ErrorCode::None,
            topics: vec![TopicResult {
                name: "old".into(),
                error_code: ErrorCode::UnknownTopic,
                error_message: None,
            }],
        }
        .into(),
        ListTopicsResponse {
            error_code: ErrorCode::None,
            topics: vec![TopicListing { name: "orders".into(), partition_count: 12 }],
        }
        .into(),
        DescribeTopicsResponse {
            error_code: ErrorCode::None,
            topics: vec![TopicDescription {
                name: "orders".into(),
                error_code: ErrorCode::None,
                config: full_config(),
                partitions: vec![PartitionDescription {
                    partition: 0,
                    error_code: ErrorCode::None,
                    shard_id: 1,
                    leader_id: 1,
                    leader_epoch: 7,
                    log_start_offset: 100,
                    log_end_offset: 2_000,
                }],
            }],
        }
        .into(),
        ProduceResponse {
            error_code: ErrorCode::None,
            topics: vec![ProduceTopicResult {
                name: "orders".into(),
                partitions: vec![
                    ProducePartitionResult {
                        partition: 0,
                        error_code: ErrorCode::None,
                        base_offset: 1_234,
                        log_append_time_ms: -1,
                        log_start_offset: 0,
                    },
                    ProducePartitionResult {
                        partition: 7,
                        error_code: ErrorCode::CorruptMessage,
                        base_offset: -1,
                        log_append_time_ms: -1,
                        log_start_offset: -1,
                    },
                ],
            }],
        }
        .into(),
        FetchResponse {
            error_code: ErrorCode::None,
            topics: vec![FetchTopicResult {
                name: "orders".into(),
                partitions: vec![
                    FetchPartitionResult {
                        partition: 0,
                        error_code: ErrorCode::None,
                        high_watermark: 2_000,
                        log_start_offset: 100,
                        last_stable_offset: 2_000,
                        records: batches(3, 4_096),
                    },
                    FetchPartitionResult {
                        partition: 1,
                        error_code: ErrorCode::OffsetOutOfRange,
                        high_watermark: 10,
                        log_start_offset: 0,
                        last_stable_offset: 10,
                        records: BatchBytes::new(),
                    },
                ],
            }],
        }
        .into(),
        ListOffsetsResponse {
            error_code: ErrorCode::None,
            topics: vec![ListOffsetsTopicResult {
                name: "orders".into(),
                partitions: vec![ListOffsetsPartitionResult {
                    partition: 0,
                    error_code: ErrorCode::None,
                    timestamp: 1_700_000_000_000,
                    offset: 55,
                }],
            }],
        }
        .into(),
        ResponseBody::JoinGroup(membership(Some(vec![tp("orders", &[0, 1, 2])]))),
        ResponseBody::Heartbeat(membership(None)),
        LeaveGroupResponse {
            error_code: ErrorCode::None,
            member_id: "m-1".into(),
            member_epoch: -1,
        }
        .into(),
        OffsetCommitResponse {
            error_code: ErrorCode::None,
            topics: vec![OffsetCommitTopicResult {
                name: "orders".into(),
                partitions: vec![OffsetCommitPartitionResult {
                    partition: 0,
                    error_code: ErrorCode::OffsetMetadataTooLarge,
                }],
            }],
        }
        .into(),
        OffsetFetchResponse { error_code: ErrorCode::None, topics: committed() }.into(),
        ListGroupsResponse {
            error_code: ErrorCode::None,
            groups: vec![
                GroupListing {
                    group_id: "billing".into(),
                    state: GroupState::Stable,
                    member_count: 3,
                },
                GroupListing { group_id: "idle".into(), state: GroupState::Empty, member_count: 0 },
            ],
        }
        .into(),
        DescribeGroupResponse {
            error_code: ErrorCode::None,
            group_id: "billing".into(),
            state: GroupState::Reconciling,
            group_epoch: 9,
            assignor: Some(ASSIGNOR_RANGE.into()),
            members: vec![GroupMember {
                member_id: "m-1".into(),
                member_epoch: 8,
                subscribed_topics: vec!["orders".into()],
                owned_partitions: vec![tp("orders", &[0])],
                target_assignment: vec![tp("orders", &[0, 1])],
            }],
            committed_offsets: committed(),
        }
        .into(),
        ErrorResponse {
            api_key: ApiKey::Fetch.as_u16(),
            error_code: ErrorCode::BrokerBusy,
            message: Some("queue full".into()),
        }
        .into(),
    ];
    let mut responses: Vec<Response> = bodies
        .into_iter()
        .enumerate()
        .map(|(index, body)| Response { correlation_id: 2000 + index as u32, api_version: 0, body })
        .collect();
    // An error response to an API this build does not know must still round-trip.
    responses.push(Response::error(77, 999, 3, ErrorCode::UnknownApi, None));
    responses
}
