//! Storage benchmarks: append throughput per flush policy and batch size, fdatasync-per-append
//! latency, `always` with concurrent appenders, and sequential catch-up reads.
//!
//! Not a timed test: run it with `scripts/bench-storage.sh`, which also runs fio on the same
//! disk so every figure reads as a ratio to what the device allows. Directly:
//!
//! ```text
//! cargo bench -p sluice-storage --bench storage_bench -- [--dir D] [--mib N] [--json FILE]
//! ```

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::{BufMut, BytesMut};
use glommio::{LocalExecutorBuilder, Placement};
use hdrhistogram::Histogram;
use sluice_proto::record_batch::{layout, seal_crc};
use sluice_storage::{BatchCache, FlushPolicy, LogConfig, PartitionLog};

const RECORD_BYTES: usize = 1024;

struct Options {
    filter: Option<String>,
    dir: PathBuf,
    mib: u64,
    json: Option<PathBuf>,
}

fn options() -> Options {
    let mut options =
        Options { filter: None, dir: PathBuf::from("/var/tmp/sluice-bench"), mib: 256, json: None };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--dir" => options.dir = PathBuf::from(&args[i + 1]),
            "--mib" => options.mib = args[i + 1].parse().expect("--mib takes a number"),
            "--json" => options.json = Some(PathBuf::from(&args[i + 1])),
            "--filter" => options.filter = Some(args[i + 1].clone()),
            // cargo bench passes --bench; anything else unknown is ignored.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    options
}

/// A batch of `records` records of 1 KiB (opaque bodies: storage never parses records).
fn batch_of(records: usize) -> BytesMut {
    let total = layout::HEADER_LEN + records * RECORD_BYTES;
    let mut batch = BytesMut::with_capacity(total);
    batch.put_i64(0);
    batch.put_i32((total - layout::LOG_OVERHEAD) as i32);
    batch.put_i32(0);
    batch.put_i8(layout::MAGIC_V2);
    batch.put_u32(0);
    batch.put_i16(0);
    batch.put_i32(records as i32 - 1);
    batch.put_i64(1_700_000_000_000);
    batch.put_i64(1_700_000_000_000);
    batch.put_i64(-1);
    batch.put_i16(-1);
    batch.put_i32(-1);
    batch.put_i32(records as i32);
    batch.resize(total, 0x5a);
    seal_crc(&mut batch);
    batch
}

fn config(policy: FlushPolicy) -> LogConfig {
    LogConfig {
        segment_bytes_max: 128 * 1024 * 1024,
        flush_policy: policy,
        retention_age_ms_max: None,
        ..LogConfig::default()
    }
}

fn on_executor<F, Fut, T>(make: F) -> T
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T> + 'static,
    T: Send + 'static,
{
    let spin_us: u64 =
        std::env::var("BENCH_SPIN_US").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    LocalExecutorBuilder::new(Placement::Fixed(0))
        .spin_before_park(Duration::from_micros(spin_us))
        .io_memory(
            std::env::var("BENCH_IO_MEMORY").ok().and_then(|v| v.parse().ok()).unwrap_or(4 << 20),
        )
        .spawn(make)
        .expect("executor starts")
        .join()
        .expect("executor finishes")
}

struct AppendRun {
    mb_per_s: f64,
    latency_us: Histogram<u64>,
}

/// Appends `total_bytes` in batches of `batch_kib` KiB from `appenders` concurrent tasks.
fn append_run(
    dir: &Path,
    policy: FlushPolicy,
    batch_kib: usize,
    appenders: usize,
    total_bytes: u64,
) -> AppendRun {
    let dir = dir.to_path_buf();
    let _ = std::fs::remove_dir_all(&dir);
    let run = on_executor(move || async move {
        let log =
            PartitionLog::open(&dir, config(policy), BatchCache::new(64 << 20)).await.unwrap();
        let template = batch_of(batch_kib);
        let per_appender = (total_bytes / template.len() as u64 / appenders as u64).max(1);
        let histogram =
            Rc::new(RefCell::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap()));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..appenders {
            let (log, template, histogram) = (log.clone(), template.clone(), histogram.clone());
            tasks.push(glommio::spawn_local(async move {
                for _ in 0..per_appender {
                    let batch = template.clone();
                    let t0 = Instant::now();
                    log.append(batch).await.unwrap();
                    let us = t0.elapsed().as_micros().max(1) as u64;
                    histogram.borrow_mut().record(us.min(60_000_000)).unwrap();
                }
            }));
        }
        for task in tasks {
            task.await;
        }
        let elapsed = started.elapsed();
        let bytes = per_appender * appenders as u64 * template.len() as u64;
        let stats = log.stats();
        if std::env::var("BENCH_STATS").is_ok() {
            eprintln!("{policy} {batch_kib}KiB x{appenders}: {stats:?}");
        }
        log.close().await.unwrap();
        let latency_us = histogram.borrow().clone();
        AppendRun { mb_per_s: bytes as f64 / elapsed.as_secs_f64() / 1e6, latency_us }
    });
    run
}

/// Writes `total_bytes` with `never`, reopens with an empty cache and reads it all back.
fn catch_up_read_run(dir: &Path, total_bytes: u64, max_bytes: usize) -> f64 {
    let dir = dir.to_path_buf();
    let _ = std::fs::remove_dir_all(&dir);
    append_run(&dir, FlushPolicy::Never, 256, 1, total_bytes);
    on_executor(move || async move {
        let log =
            PartitionLog::open(&dir, config(FlushPolicy::Never), BatchCache::new(0)).await.unwrap();
        let end = log.log_end_offset();
        let started = Instant::now();
        let (mut offset, mut bytes) = (0i64, 0u64);
        while offset < end {
            let chunk = log.read(offset, max_bytes).await.unwrap();
            let mut at = 0;
            while at < chunk.len() {
                let header = sluice_proto::record_batch::BatchHeader::parse(&chunk[at..]).unwrap();
                at += header.total_len();
                offset = header.last_offset() + 1;
            }
            bytes += chunk.len() as u64;
        }
        let elapsed = started.elapsed().max(Duration::from_micros(1));
        log.close().await.unwrap();
        bytes as f64 / elapsed.as_secs_f64() / 1e6
    })
}

fn main() {
    let options = options();
    std::fs::create_dir_all(&options.dir).expect("bench directory");
    let total = options.mib * 1024 * 1024;
    let dir = options.dir.join("log");
    let mut json = Vec::new();
    println!("| bench | policy | batch KiB | appenders | MB/s | p50 us | p99 us | p99.9 us |");
    println!("|---|---|---|---|---|---|---|---|");
    let policies =
        [FlushPolicy::Never, FlushPolicy::Interval { interval_ms: 10 }, FlushPolicy::Always];
    for policy in policies {
        for batch_kib in [16usize, 64, 256] {
            let appender_counts: &[usize] =
                if policy == FlushPolicy::Always { &[1, 8] } else { &[1] };
            for &appenders in appender_counts {
                let name = format!("append/{policy}/{batch_kib}/{appenders}");
                if options.filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
                    continue;
                }
                let run = append_run(&dir, policy, batch_kib, appenders, total);
                let h = &run.latency_us;
                let (p50, p99, p999) = (
                    h.value_at_quantile(0.5),
                    h.value_at_quantile(0.99),
                    h.value_at_quantile(0.999),
                );
                println!(
                    "| append | {policy} | {batch_kib} | {appenders} | {:.0} | {p50} | {p99} | {p999} |",
                    run.mb_per_s
                );
                json.push(format!(
                    "{{\"bench\":\"append\",\"policy\":\"{policy}\",\"batch_kib\":{batch_kib},\"appenders\":{appenders},\"mb_per_s\":{:.1},\"p50_us\":{p50},\"p99_us\":{p99},\"p999_us\":{p999}}}",
                    run.mb_per_s
                ));
            }
        }
    }
    for max_bytes in [256 * 1024usize, 1024 * 1024] {
        if options.filter.as_ref().is_some_and(|f| !"read".contains(f.as_str())) {
            continue;
        }
        let mb_per_s = catch_up_read_run(&dir, total, max_bytes);
        println!(
            "| catch-up read | - | {} (max_bytes) | 1 | {mb_per_s:.0} | | | |",
            max_bytes / 1024
        );
        json.push(format!(
            "{{\"bench\":\"catch_up_read\",\"max_bytes\":{max_bytes},\"mb_per_s\":{mb_per_s:.1}}}"
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(path) = options.json {
        std::fs::write(&path, format!("[\n{}\n]\n", json.join(",\n"))).expect("write json");
    }
}
