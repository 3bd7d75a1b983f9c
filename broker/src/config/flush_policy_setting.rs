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

impl FromStr for FlushPolicySetting {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "always" => Ok(FlushPolicySetting::Always),
            "never" => Ok(FlushPolicySetting::Never),
            _ => {
                let ms = text.strip_prefix("interval=").ok_or_else(|| {
                    format!("\"{text}\" is not one of always, interval=MS, never")
                })?;
                match ms.parse::<u64>() {
                    Ok(interval_ms) if interval_ms > 0 => {
                        Ok(FlushPolicySetting::Interval { interval_ms })
                    }
                    _ => Err(format!("interval must be a positive number of ms, got \"{ms}\"")),
                }
            }
        }
    }
}

impl fmt::Display for FlushPolicySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlushPolicySetting::Always => f.write_str("always"),
            FlushPolicySetting::Interval { interval_ms } => write!(f, "interval={interval_ms}"),
            FlushPolicySetting::Never => f.write_str("never"),
        }
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
