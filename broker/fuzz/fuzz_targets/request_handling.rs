//! Arbitrary bytes → the broker's request entry point, on a real one-shard broker in-process
//! (a glommio executor on a thread of its own, with a topic "fuzz" of two partitions).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice_broker::connection::request_entry::serve_bytes;
use sluice_broker::runtime::standalone_shard;
use sluice_proto::message::*;

type Job = (Vec<u8>, flume::Sender<()>);

fn worker() -> &'static flume::Sender<Job> {
    static WORKER: OnceLock<flume::Sender<Job>> = OnceLock::new();
    WORKER.get_or_init(|| {
        let (tx, rx) = flume::bounded::<Job>(1);
        glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound)
            .io_memory(1 << 20)
            .spawn(move || {
                sluice_storage::reactor_tick::with_reactor_tick(async move {
                    let dir = tempfile::tempdir().unwrap();
                    let shard = standalone_shard(dir.path()).await.unwrap();
                    let create = Request::new(
                        1,
                        CreateTopicsRequest {
                            topics: vec![CreatableTopic {
                                name: "fuzz".into(),
                                config: TopicConfig { partitions: Some(2), ..Default::default() },
                            }],
                            timeout_ms: 100,
                            validate_only: false,
                        },
                    );
                    serve_bytes(&shard, &encode_request(&create).unwrap().to_bytes()).await;
                    while let Ok((input, done)) = rx.recv_async().await {
                        serve_bytes(&shard, &input).await;
                        let _ = done.send(());
                    }
                })
            })
            .unwrap();
        tx
    })
}

fuzz_target!(|data: &[u8]| {
    let (done_tx, done_rx) = flume::bounded(1);
    worker().send((data.to_vec(), done_tx)).unwrap();
    done_rx.recv().expect("the shard survives every input");
});
