//! How long an idle glommio executor takes to react, beside a plain blocking thread doing the
//! same: the evidence behind `reactor_tick` and the broker's spin-before-park.
//!
//! ```text
//! cargo run --release -p sluice-storage --example wake_latency -- socket   # TCP ping-pong
//! cargo run --release -p sluice-storage --example wake_latency -- write    # O_DIRECT writes
//! ```
//!
//! `socket`: a server on CPU 0 echoes 64-byte pings from a client on CPU 1 that pauses a random
//! 0-600 µs between pings, so the server goes idle before each one. Servers: a blocking thread,
//! then glommio parked at once, with a 1 ms reactor tick, and spinning 200 µs before parking.
//! `write`: 256 KiB O_DIRECT writes with 200-600 µs pauses, `pwrite` on a blocking thread
//! against glommio's `DmaFile::write_at`, into `$SLUICE_BENCH_DIR` (default `/var/tmp`).
//! Run it on a quiet machine with at least two CPUs; results are in perf/README.md.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{FromRawFd, IntoRawFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::{LocalExecutorBuilder, Placement};
use hdrhistogram::Histogram;

const PINGS: usize = 20_000;
const WRITES: usize = 3_000;
const WRITE_BYTES: usize = 256 * 1024;
const PAUSE_US_MAX: u64 = 600;

/// How the server side waits.
#[derive(Clone, Copy, Debug)]
enum Waiter {
    Blocking,
    Glommio { tick: Option<Duration>, spin: Option<Duration> },
}

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "socket".into());
    let waiters = [
        Waiter::Blocking,
        Waiter::Glommio { tick: None, spin: None },
        Waiter::Glommio { tick: Some(Duration::from_millis(1)), spin: None },
        Waiter::Glommio { tick: None, spin: Some(Duration::from_micros(200)) },
    ];
    println!("| {what} | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |");
    println!("|---|---|---|---|---|---|");
    for waiter in waiters {
        let latency = match what.as_str() {
            "socket" => ping_pong(waiter),
            "write" => direct_writes(waiter),
            other => {
                eprintln!("unknown measurement {other:?}: socket or write");
                std::process::exit(2);
            }
        };
        let q = |p: f64| latency.value_at_quantile(p);
        println!(
            "| {waiter:?} | {} | {} | {} | {} | {} |",
            q(0.5),
            q(0.9),
            q(0.99),
            q(0.999),
            latency.max()
        );
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("static bounds")
}

/// A pseudo-random pause of 0..=PAUSE_US_MAX µs (xorshift: reproducible, no dependency).
fn pause(state: &mut u64) -> Duration {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    Duration::from_micros(*state % (PAUSE_US_MAX + 1))
}

fn pin_current_thread(cpu: usize) {
    // SAFETY: cpu_set_t is plain data; sched_setaffinity reads it and changes only this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn glommio_executor(spin: Option<Duration>) -> LocalExecutorBuilder {
    let builder = LocalExecutorBuilder::new(Placement::Fixed(0));
    match spin {
        Some(spin) => builder.spin_before_park(spin),
        None => builder,
    }
}

async fn with_optional_tick<F: std::future::Future>(tick: Option<Duration>, work: F) -> F::Output {
    match tick {
        None => work.await,
        Some(tick) => {
            futures_lite::future::or(work, async {
                loop {
                    glommio::timer::sleep(tick).await;
                }
            })
            .await
        }
    }
}

fn ping_pong(waiter: Waiter) -> Histogram<u64> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    let server = match waiter {
        Waiter::Blocking => std::thread::spawn(move || {
            pin_current_thread(0);
            let (mut stream, _) = listener.accept().expect("accept");
            stream.set_nodelay(true).expect("nodelay");
            let mut buf = [0u8; 64];
            while let Ok(n @ 1..) = stream.read(&mut buf) {
                stream.write_all(&buf[..n]).expect("echo");
            }
        }),
        Waiter::Glommio { tick, spin } => {
            let fd = listener.into_raw_fd();
            std::thread::spawn(move || {
                glommio_executor(spin)
                    .spawn(move || async move {
                        // SAFETY: `fd` is the listening socket released by `into_raw_fd` above.
                        let listener = unsafe { glommio::net::TcpListener::from_raw_fd(fd) };
                        let mut stream = listener.accept().await.expect("accept");
                        stream.set_nodelay(true).expect("nodelay");
                        with_optional_tick(tick, async {
                            let mut buf = [0u8; 64];
                            while let Ok(n @ 1..) = stream.read(&mut buf).await {
                                stream.write_all(&buf[..n]).await.expect("echo");
                            }
                        })
                        .await;
                    })
                    .expect("executor")
                    .join()
                    .expect("executor join");
            })
        }
    };
    pin_current_thread(1);
    let mut client = TcpStream::connect(addr).expect("connect");
    client.set_nodelay(true).expect("nodelay");
    let mut latency = histogram();
    let (mut buf, mut state) = ([0u8; 64], 0x2545_f491_4f6c_dd1d_u64);
    for _ in 0..PINGS {
        // Spin rather than sleep, so the client's own wake-up is not measured.
        let until = Instant::now() + pause(&mut state);
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        let sent = Instant::now();
        client.write_all(&buf).expect("ping");
        client.read_exact(&mut buf).expect("pong");
        latency.saturating_record(sent.elapsed().as_micros() as u64);
    }
    drop(client);
    server.join().expect("server");
    latency
}

fn direct_writes(waiter: Waiter) -> Histogram<u64> {
    let dir = std::env::var_os("SLUICE_BENCH_DIR")
        .map_or_else(|| PathBuf::from("/var/tmp"), PathBuf::from);
    let path = dir.join(format!("wake-latency-{}.tmp", std::process::id()));
    let offset = |i: usize| ((i * WRITE_BYTES) % (256 << 20)) as u64;
    let latency = match waiter {
        Waiter::Blocking => {
            use std::os::unix::fs::{FileExt, OpenOptionsExt};
            pin_current_thread(0);
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .custom_flags(libc::O_DIRECT)
                .open(&path)
                .expect("open with O_DIRECT");
            let layout = std::alloc::Layout::from_size_align(WRITE_BYTES, 4096).expect("layout");
            // SAFETY: the layout is non-zero; the buffer lives until the end of this block.
            let raw = unsafe { std::alloc::alloc_zeroed(layout) };
            assert!(!raw.is_null(), "allocation");
            // SAFETY: `raw` points to WRITE_BYTES zeroed bytes owned here.
            let buf = unsafe { std::slice::from_raw_parts(raw, WRITE_BYTES) };
            let (mut latency, mut state) = (histogram(), 0x9e37_79b9_7f4a_7c15_u64);
            for i in 0..WRITES {
                std::thread::sleep(pause(&mut state));
                let started = Instant::now();
                file.write_all_at(buf, offset(i)).expect("write");
                latency.saturating_record(started.elapsed().as_micros() as u64);
            }
            // SAFETY: allocated above with the same layout, not used after this.
            unsafe { std::alloc::dealloc(raw, layout) };
            latency
        }
        Waiter::Glommio { tick, spin } => {
            let path = path.clone();
            glommio_executor(spin)
                .spawn(move || async move {
                    let file = glommio::io::DmaFile::create(&path).await.expect("create");
                    let latency = with_optional_tick(tick, async {
                        let (mut latency, mut state) = (histogram(), 0x9e37_79b9_7f4a_7c15_u64);
                        for i in 0..WRITES {
                            glommio::timer::sleep(pause(&mut state)).await;
                            let buf = file.alloc_dma_buffer(WRITE_BYTES);
                            let started = Instant::now();
                            file.write_at(buf, offset(i)).await.expect("write");
                            latency.saturating_record(started.elapsed().as_micros() as u64);
                        }
                        latency
                    })
                    .await;
                    file.close().await.expect("close");
                    latency
                })
                .expect("executor")
                .join()
                .expect("executor join")
        }
    };
    let _ = std::fs::remove_file(&path);
    latency
}
