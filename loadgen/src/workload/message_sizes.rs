//! Message value sizes: fixed, or uniform between two bounds.

use std::str::FromStr;

use super::{SplitMix64, STAMP_BYTES};
use crate::error::ConfigError;

/// Largest message value the load generator sends (1 MiB), well under the broker's frame cap.
pub const MESSAGE_BYTES_MAX: u64 = 1 << 20;

/// The distribution of value sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageSizes {
    /// Every value has this many bytes.
    Fixed(u64),
    /// Uniform in `[min, max]` bytes.
    Uniform {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
    },
}

impl MessageSizes {
    /// The largest value this distribution yields.
    pub fn max_bytes(&self) -> u64 {
        match *self {
            MessageSizes::Fixed(bytes) => bytes,
            MessageSizes::Uniform { max, .. } => max,
        }
    }

    /// The mean value size.
    pub fn mean_bytes(&self) -> f64 {
        match *self {
            MessageSizes::Fixed(bytes) => bytes as f64,
            MessageSizes::Uniform { min, max } => (min + max) as f64 / 2.0,
        }
    }

    /// Draws a size.
    pub fn sample(&self, random: &mut SplitMix64) -> u64 {
        match *self {
            MessageSizes::Fixed(bytes) => bytes,
            MessageSizes::Uniform { min, max } => min + random.below(max - min + 1),
        }
    }
}

impl FromStr for MessageSizes {
    type Err = ConfigError;

    /// `1024` or `100-4096` (uniform, inclusive).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ConfigError::MessageSize(text.to_owned());
        let parse = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
        let sizes = match text.split_once('-') {
            None => MessageSizes::Fixed(parse(text)?),
            Some((min, max)) => {
                let (min, max) = (parse(min)?, parse(max)?);
                if min > max {
                    return Err(bad());
                }
                MessageSizes::Uniform { min, max }
            }
        };
        let min = match sizes {
            MessageSizes::Fixed(bytes) => bytes,
            MessageSizes::Uniform { min, .. } => min,
        };
        if (min as usize) < STAMP_BYTES || sizes.max_bytes() > MESSAGE_BYTES_MAX {
            return Err(bad());
        }
        Ok(sizes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_size_specs_when_parsing_should_accept_fixed_and_ranges_and_reject_nonsense() {
        assert_eq!("1024".parse::<MessageSizes>().unwrap(), MessageSizes::Fixed(1024));
        assert_eq!(
            "100-200".parse::<MessageSizes>().unwrap(),
            MessageSizes::Uniform { min: 100, max: 200 }
        );
        assert!("8".parse::<MessageSizes>().is_err(), "smaller than the stamp");
        assert!("200-100".parse::<MessageSizes>().is_err());
        assert!("big".parse::<MessageSizes>().is_err());
        assert!("2000000".parse::<MessageSizes>().is_err());
    }

    #[test]
    fn given_a_uniform_range_when_sampling_should_stay_inside_it() {
        let sizes = MessageSizes::Uniform { min: 100, max: 110 };
        let mut random = SplitMix64::new(7);
        for _ in 0..1_000 {
            let size = sizes.sample(&mut random);
            assert!((100..=110).contains(&size));
        }
    }
}
