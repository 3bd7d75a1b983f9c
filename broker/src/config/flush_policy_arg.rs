//! The textual flush policy of flags and config files: `always`, `interval=MS`, `never`.

use std::fmt;
use std::str::FromStr;

/// A flush policy as written by a user; converted to the storage crate's policy at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushPolicyArg {
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

impl FromStr for FlushPolicyArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "always" => Ok(FlushPolicyArg::Always),
            "never" => Ok(FlushPolicyArg::Never),
            _ => {
                let ms = text.strip_prefix("interval=").ok_or_else(|| {
                    format!("\"{text}\" is not one of always, interval=MS, never")
                })?;
                match ms.parse::<u64>() {
                    Ok(interval_ms) if interval_ms > 0 => {
                        Ok(FlushPolicyArg::Interval { interval_ms })
                    }
                    _ => Err(format!("interval must be a positive number of ms, got \"{ms}\"")),
                }
            }
        }
    }
}

impl fmt::Display for FlushPolicyArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlushPolicyArg::Always => f.write_str("always"),
            FlushPolicyArg::Interval { interval_ms } => write!(f, "interval={interval_ms}"),
            FlushPolicyArg::Never => f.write_str("never"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form_and_prints_it_back() {
        for text in ["always", "never", "interval=250"] {
            let policy: FlushPolicyArg = text.parse().unwrap();
            assert_eq!(policy.to_string(), text);
        }
    }

    #[test]
    fn rejects_zero_interval_and_unknown_words() {
        assert!("interval=0".parse::<FlushPolicyArg>().is_err());
        assert!("interval=x".parse::<FlushPolicyArg>().is_err());
        assert!("sometimes".parse::<FlushPolicyArg>().is_err());
    }
}
