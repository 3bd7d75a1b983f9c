//! The textual flush policy of flags and config files: `always`, `interval=MS`, `never`.

use std::fmt;
use std::str::FromStr;

/// A topic's flush policy as configured and persisted; converted to the storage crate's policy
/// where logs are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub enum FlushPolicySetting {
    /// Acknowledge only after fdatasync.
    Always,
    /// fdatasync at most this many milliseconds after an append.
    Interval {
        /// Interval in milliseconds (positive).
        interval_ms: u64,
    },
    /// Leave flushing to the OS and to segment close.
    Never,
}

impl FlushPolicySetting {
    /// The storage crate's policy, which logs are opened with.
    pub fn to_storage(self) -> sluice_storage::FlushPolicy {
        match self {
            FlushPolicySetting::Always => sluice_storage::FlushPolicy::Always,
            FlushPolicySetting::Interval { interval_ms } => {
                sluice_storage::FlushPolicy::Interval { interval_ms }
            }
            FlushPolicySetting::Never => sluice_storage::FlushPolicy::Never,
        }
    }
}

impl FromStr for FlushPolicySetting {
    type Err = String;

    /// The syntax is storage's (`always`, `interval=MS`, `never`); this only adds the
    /// persisted representation.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text.parse::<sluice_storage::FlushPolicy>().map_err(|e| e.to_string())? {
            sluice_storage::FlushPolicy::Always => FlushPolicySetting::Always,
            sluice_storage::FlushPolicy::Interval { interval_ms } => {
                FlushPolicySetting::Interval { interval_ms }
            }
            sluice_storage::FlushPolicy::Never => FlushPolicySetting::Never,
        })
    }
}

impl fmt::Display for FlushPolicySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_storage().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form_and_prints_it_back() {
        for text in ["always", "never", "interval=250"] {
            let policy: FlushPolicySetting = text.parse().unwrap();
            assert_eq!(policy.to_string(), text);
        }
    }

    #[test]
    fn rejects_zero_interval_and_unknown_words() {
        assert!("interval=0".parse::<FlushPolicySetting>().is_err());
        assert!("interval=x".parse::<FlushPolicySetting>().is_err());
        assert!("sometimes".parse::<FlushPolicySetting>().is_err());
    }
}
