//! Broker and shard addresses as the protocol names them.

use std::fmt;

use crate::error::{ClientError, Result};

/// A `host:port` the client can connect to: the broker's shared port or a shard's direct one.
/// Kept unresolved so the core stays free of DNS; the I/O layer resolves it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Endpoint {
    /// An endpoint from its parts.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Endpoint { host: host.into(), port }
    }

    /// Parses `host:port` (an IPv6 host in brackets, `[::1]:9292`).
    pub fn parse(address: &str) -> Result<Self> {
        let invalid =
            || ClientError::InvalidConfig(format!("broker address \"{address}\" is not host:port"));
        let (host, port) = address.rsplit_once(':').ok_or_else(invalid)?;
        let port: u16 = port.parse().map_err(|_| invalid())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(invalid());
        }
        Ok(Endpoint::new(host, port))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_host_and_port_when_parsing_should_split_at_the_last_colon() {
        assert_eq!(Endpoint::parse("127.0.0.1:9292").unwrap(), Endpoint::new("127.0.0.1", 9292));
        assert_eq!(Endpoint::parse("[::1]:1").unwrap(), Endpoint::new("::1", 1));
        assert_eq!(Endpoint::new("::1", 1).to_string(), "[::1]:1");
    }

    #[test]
    fn given_no_port_when_parsing_should_fail_with_a_config_error() {
        assert!(matches!(Endpoint::parse("localhost"), Err(ClientError::InvalidConfig(_))));
        assert!(matches!(Endpoint::parse(":9"), Err(ClientError::InvalidConfig(_))));
        assert!(matches!(Endpoint::parse("h:99999"), Err(ClientError::InvalidConfig(_))));
    }
}
