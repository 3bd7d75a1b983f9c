//! Binding every listening socket before any shard starts.
//!
//! The main thread binds them all, so that port 0 is resolved once (every shard's client
//! socket shares one port through SO_REUSEPORT, and the kernel spreads connections across
//! them) and every shard-direct address is known before the first metadata reply.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{IntoRawFd, RawFd};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// Pending connections the kernel queues per listening socket.
const LISTEN_BACKLOG: i32 = 1024;

/// Why a listener could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {source}")]
pub struct BindError {
    /// The address we tried.
    pub addr: SocketAddr,
    /// What the OS said.
    pub source: io::Error,
}

/// The sockets one shard accepts on, as raw descriptors ready to move to its thread.
#[derive(Debug)]
pub struct ShardSockets {
    /// Its member of the shared client port's SO_REUSEPORT group.
    pub client_fd: RawFd,
    /// Its own shard-direct port.
    pub direct_fd: RawFd,
}

/// Every listener of the broker.
#[derive(Debug)]
pub struct BoundListeners {
    /// The client address with port 0 resolved.
    pub client_addr: SocketAddr,
    /// Shard-direct address of each shard, indexed by shard id.
    pub direct_addrs: Vec<SocketAddr>,
    /// Sockets per shard.
    pub per_shard: Vec<ShardSockets>,
}

impl BoundListeners {
    /// Binds `shards` client sockets on `listen` and one direct socket per shard on
    /// `listen.ip()` at `direct_port_base + shard` (or a free port each when the base is 0).
    pub fn bind(
        listen: SocketAddr,
        direct_port_base: u16,
        shards: usize,
    ) -> Result<Self, BindError> {
        let first = reuse_port_socket(listen)?;
        let client_addr = local_addr(&first, listen)?;
        let mut client = vec![first];
        for _ in 1..shards {
            client.push(reuse_port_socket(client_addr)?);
        }
        let mut direct = Vec::with_capacity(shards);
        let mut direct_addrs = Vec::with_capacity(shards);
        for shard in 0..shards {
            let port = match direct_port_base {
                0 => 0,
                base => u16::try_from(u32::from(base) + shard as u32).map_err(|_| BindError {
                    addr: SocketAddr::new(listen.ip(), base),
                    source: io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "shard-direct ports would run past 65535",
                    ),
                })?,
            };
            let addr = SocketAddr::new(client_addr.ip(), port);
            // Not SO_REUSEPORT: a direct port belongs to exactly one shard.
            let socket = plain_socket(addr)?;
            direct_addrs.push(local_addr(&socket, addr)?);
            direct.push(socket);
        }
        let per_shard = client
            .into_iter()
            .zip(direct)
            .map(|(c, d)| ShardSockets { client_fd: c.into_raw_fd(), direct_fd: d.into_raw_fd() })
            .collect();
        Ok(BoundListeners { client_addr, direct_addrs, per_shard })
    }
}

fn new_socket(addr: SocketAddr) -> io::Result<Socket> {
    let domain = if addr.is_ipv6() { Domain::IPV6 } else { Domain::IPV4 };
    Socket::new(domain, Type::STREAM.cloexec(), Some(Protocol::TCP))
}

fn reuse_port_socket(addr: SocketAddr) -> Result<Socket, BindError> {
    let bind = || -> io::Result<Socket> {
        let socket = new_socket(addr)?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        socket.set_nonblocking(true)?;
        socket.bind(&SockAddr::from(addr))?;
        socket.listen(LISTEN_BACKLOG)?;
        Ok(socket)
    };
    bind().map_err(|source| BindError { addr, source })
}

fn plain_socket(addr: SocketAddr) -> Result<Socket, BindError> {
    let bind = || -> io::Result<Socket> {
        let socket = new_socket(addr)?;
        socket.set_reuse_address(true)?;
        socket.set_nonblocking(true)?;
        socket.bind(&SockAddr::from(addr))?;
        socket.listen(LISTEN_BACKLOG)?;
        Ok(socket)
    };
    bind().map_err(|source| BindError { addr, source })
}

fn local_addr(socket: &Socket, requested: SocketAddr) -> Result<SocketAddr, BindError> {
    socket
        .local_addr()
        .and_then(|a| a.as_socket().ok_or_else(|| io::Error::other("not an inet socket")))
        .map_err(|source| BindError { addr: requested, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_port_zero_should_share_one_client_port_and_give_distinct_direct_ports() {
        let bound = BoundListeners::bind("127.0.0.1:0".parse().unwrap(), 0, 3).unwrap();
        assert_ne!(bound.client_addr.port(), 0);
        assert_eq!(bound.per_shard.len(), 3);
        let mut ports: Vec<_> = bound.direct_addrs.iter().map(|a| a.port()).collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 3);
        assert!(!ports.contains(&bound.client_addr.port()));
        for s in bound.per_shard {
            // SAFETY: the descriptors came from into_raw_fd above and are owned by nothing else.
            unsafe {
                libc::close(s.client_fd);
                libc::close(s.direct_fd);
            }
        }
    }
}
