//! Loopback TCP round-trip time: a ping-pong of small messages between two threads over
//! 127.0.0.1 with TCP_NODELAY, the floor under any produce acknowledgement. Used by
//! `scripts/measure-limits.sh`; prints one JSON object.
//!
//! Usage: `loopback_rtt [ROUND_TRIPS] [MESSAGE_BYTES] [SERVER_CPU] [CLIENT_CPU]`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

/// Round trips before measuring, to warm caches and the TCP stack.
const WARMUP_ROUND_TRIPS: usize = 2_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let round_trips = arg(1, 50_000).max(1);
    let message_bytes = arg(2, 64).max(1);
    let server_cpu = args.get(3).and_then(|a| a.parse::<usize>().ok());
    let client_cpu = args.get(4).and_then(|a| a.parse::<usize>().ok());
    if let Err(e) = measure(round_trips, message_bytes, server_cpu, client_cpu) {
        eprintln!("loopback_rtt: {e}");
        std::process::exit(1);
    }
}

fn measure(
    round_trips: usize,
    message_bytes: usize,
    server_cpu: Option<usize>,
    client_cpu: Option<usize>,
) -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let total = round_trips + WARMUP_ROUND_TRIPS;
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        pin(server_cpu);
        let (mut stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        let mut buffer = vec![0u8; message_bytes];
        for _ in 0..total {
            stream.read_exact(&mut buffer)?;
            stream.write_all(&buffer)?;
        }
        Ok(())
    });
    pin(client_cpu);
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut buffer = vec![7u8; message_bytes];
    let mut samples_ns = Vec::with_capacity(round_trips);
    for i in 0..total {
        let start = Instant::now();
        stream.write_all(&buffer)?;
        stream.read_exact(&mut buffer)?;
        if i >= WARMUP_ROUND_TRIPS {
            samples_ns.push(start.elapsed().as_nanos() as u64);
        }
    }
    server.join().map_err(|_| std::io::Error::other("server thread panicked"))??;
    samples_ns.sort_unstable();
    let at = |q: f64| samples_ns[((samples_ns.len() - 1) as f64 * q) as usize] as f64 / 1e3;
    println!(
        "{{\"round_trips\": {round_trips}, \"message_bytes\": {message_bytes}, \"rtt_us\": {{\"p50\": {:.1}, \"p90\": {:.1}, \"p99\": {:.1}, \"min\": {:.1}}}}}",
        at(0.5),
        at(0.9),
        at(0.99),
        samples_ns[0] as f64 / 1e3
    );
    Ok(())
}

/// Pins the calling thread to `cpu`, if given; failure only costs precision.
fn pin(cpu: Option<usize>) {
    let Some(cpu) = cpu else { return };
    // SAFETY: cpu_set_t is plain data; CPU_SET writes inside it; sched_setaffinity reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            eprintln!("loopback_rtt: cannot pin to CPU {cpu}: {}", std::io::Error::last_os_error());
        }
    }
}
