//! Record keys: none, uniform over K keys, or Zipf-distributed over K keys (a few hot keys).

use std::str::FromStr;

use super::SplitMix64;
use crate::error::ConfigError;

/// Most distinct keys (the Zipf table holds one f64 per key).
pub const KEYS_MAX: u64 = 10_000_000;

/// How keys are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyDistribution {
    /// Unkeyed records (partitions are chosen round-robin per batch).
    None,
    /// Uniform over `keys` keys.
    Uniform {
        /// Distinct keys.
        keys: u64,
    },
    /// Zipf over `keys` keys with exponent `exponent` (key rank r has weight 1/r^s).
    Zipf {
        /// Distinct keys.
        keys: u64,
        /// The exponent s.
        exponent: f64,
    },
}

impl FromStr for KeyDistribution {
    type Err = ConfigError;

    /// `none`, `uniform:K` or `zipf:K:S`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ConfigError::Keys(text.to_owned());
        let parts: Vec<&str> = text.split(':').collect();
        let keys = |s: &str| match s.parse::<u64>() {
            Ok(k) if (1..=KEYS_MAX).contains(&k) => Ok(k),
            _ => Err(bad()),
        };
        match parts.as_slice() {
            ["none"] => Ok(KeyDistribution::None),
            ["uniform", k] => Ok(KeyDistribution::Uniform { keys: keys(k)? }),
            ["zipf", k, s] => {
                let exponent = s.parse::<f64>().map_err(|_| bad())?;
                if !(exponent.is_finite() && exponent > 0.0) {
                    return Err(bad());
                }
                Ok(KeyDistribution::Zipf { keys: keys(k)?, exponent })
            }
            _ => Err(bad()),
        }
    }
}

/// Draws keys from a [`KeyDistribution`].
#[derive(Debug, Clone)]
pub struct KeyChooser {
    distribution: KeyDistribution,
    /// Zipf only: cumulative weights, normalised to end at 1.
    cumulative: Vec<f64>,
}

impl KeyChooser {
    /// A chooser for `distribution`; builds the Zipf table once.
    pub fn new(distribution: KeyDistribution) -> KeyChooser {
        let cumulative = match distribution {
            KeyDistribution::Zipf { keys, exponent } => {
                let mut sum = 0.0;
                let mut table: Vec<f64> = (1..=keys)
                    .map(|rank| {
                        sum += 1.0 / (rank as f64).powf(exponent);
                        sum
                    })
                    .collect();
                table.iter_mut().for_each(|w| *w /= sum);
                table
            }
            _ => Vec::new(),
        };
        KeyChooser { distribution, cumulative }
    }

    /// The next key index, or `None` for unkeyed records.
    pub fn next_key(&self, random: &mut SplitMix64) -> Option<u64> {
        match self.distribution {
            KeyDistribution::None => None,
            KeyDistribution::Uniform { keys } => Some(random.below(keys)),
            KeyDistribution::Zipf { .. } => {
                let u = random.next_f64();
                let rank = self.cumulative.partition_point(|&w| w < u);
                Some(rank.min(self.cumulative.len() - 1) as u64)
            }
        }
    }

    /// The key bytes of key index `key`.
    pub fn key_bytes(key: u64) -> [u8; 20] {
        let mut bytes = *b"key-0000000000000000";
        let digits = format!("{key:016}");
        bytes[4..].copy_from_slice(&digits.as_bytes()[digits.len() - 16..]);
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_key_specs_when_parsing_should_accept_the_three_forms() {
        assert_eq!("none".parse::<KeyDistribution>().unwrap(), KeyDistribution::None);
        assert_eq!(
            "uniform:10".parse::<KeyDistribution>().unwrap(),
            KeyDistribution::Uniform { keys: 10 }
        );
        assert_eq!(
            "zipf:100:1.1".parse::<KeyDistribution>().unwrap(),
            KeyDistribution::Zipf { keys: 100, exponent: 1.1 }
        );
        for bad in ["uniform:0", "zipf:10", "zipf:10:-1", "hot", "uniform:x"] {
            assert!(bad.parse::<KeyDistribution>().is_err(), "{bad}");
        }
    }

    #[test]
    fn given_zipf_when_drawing_many_keys_should_favour_the_first_rank() {
        let chooser = KeyChooser::new(KeyDistribution::Zipf { keys: 100, exponent: 1.2 });
        let mut random = SplitMix64::new(1);
        let mut counts = [0u32; 100];
        for _ in 0..20_000 {
            counts[chooser.next_key(&mut random).unwrap() as usize] += 1;
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[50], "{:?}", &counts[..5]);
    }

    #[test]
    fn given_a_key_index_when_rendering_should_give_fixed_width_bytes() {
        assert_eq!(&KeyChooser::key_bytes(42), b"key-0000000000000042");
    }
}
