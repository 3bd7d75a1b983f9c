//! Rate sweeps: the open-loop run repeated at each rate, giving the latency-versus-throughput
//! curve. Rates can be absolute or percentages of a closed-loop peak measured first.

use std::str::FromStr;

use crate::config::RunConfig;
use crate::error::{ConfigError, LoadgenError};
use crate::report::table::SweepPoint;
use crate::run::{run, RunResult};

/// Most points in one sweep.
pub const SWEEP_POINTS_MAX: usize = 100;

/// Which rates to run.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepSpec {
    /// Absolute rates in messages per second.
    Rates(Vec<f64>),
    /// Fractions (0..=1+) of the closed-loop peak.
    FractionsOfPeak(Vec<f64>),
}

impl FromStr for SweepSpec {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ConfigError::Sweep(text.to_owned());
        let number = |s: &str| match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
            _ => Err(bad()),
        };
        let spec = if let [start, stop, step] = text.split(':').collect::<Vec<_>>()[..] {
            let (start, stop, step) = (number(start)?, number(stop)?, number(step)?);
            if stop < start || (stop - start) / step > SWEEP_POINTS_MAX as f64 {
                return Err(bad());
            }
            let count = ((stop - start) / step + 1e-9).floor() as usize + 1;
            SweepSpec::Rates((0..count).map(|i| start + step * i as f64).collect())
        } else if text.contains('%') {
            let fractions = text
                .split(',')
                .map(|p| p.trim().strip_suffix('%').ok_or_else(bad).and_then(number))
                .map(|p| p.map(|v| v / 100.0))
                .collect::<Result<Vec<_>, _>>()?;
            SweepSpec::FractionsOfPeak(fractions)
        } else {
            SweepSpec::Rates(text.split(',').map(number).collect::<Result<Vec<_>, _>>()?)
        };
        let len = match &spec {
            SweepSpec::Rates(r) | SweepSpec::FractionsOfPeak(r) => r.len(),
        };
        if len == 0 || len > SWEEP_POINTS_MAX {
            return Err(bad());
        }
        Ok(spec)
    }
}

/// What a sweep measured.
#[derive(Debug, Clone)]
pub struct SweepResult {
    /// The closed-loop peak run, when rates were given as percentages.
    pub peak: Option<RunResult>,
    /// One open-loop run per rate.
    pub points: Vec<SweepPoint>,
}

/// Runs the sweep; `on_point` sees each result as it completes (to print its table).
pub fn run_sweep(
    config: &RunConfig,
    spec: &SweepSpec,
    mut on_point: impl FnMut(Option<f64>, &RunResult),
) -> Result<SweepResult, LoadgenError> {
    let (peak, rates) = match spec {
        SweepSpec::Rates(rates) => (None, rates.clone()),
        SweepSpec::FractionsOfPeak(fractions) => {
            let closed = RunConfig { rate_per_s: None, ..config.clone() };
            let peak = run(&closed)?;
            on_point(None, &peak);
            let peak_rate = peak.msgs_per_s();
            if peak_rate.is_nan() || peak_rate <= 0.0 {
                return Err(LoadgenError::Worker(
                    "the closed-loop peak run acknowledged nothing; cannot derive sweep rates"
                        .into(),
                ));
            }
            (Some(peak), fractions.iter().map(|f| f * peak_rate).collect())
        }
    };
    let mut points = Vec::with_capacity(rates.len());
    for rate in rates {
        let open = RunConfig { rate_per_s: Some(rate), ..config.clone() };
        let result = run(&open)?;
        on_point(Some(rate), &result);
        points.push(SweepPoint { target_rate_per_s: rate, result });
    }
    Ok(SweepResult { peak, points })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_sweep_specs_when_parsing_should_accept_lists_percentages_and_steps() {
        assert_eq!("100,200".parse::<SweepSpec>().unwrap(), SweepSpec::Rates(vec![100.0, 200.0]));
        assert_eq!(
            "25%,50%".parse::<SweepSpec>().unwrap(),
            SweepSpec::FractionsOfPeak(vec![0.25, 0.5])
        );
        assert_eq!(
            "1000:3000:1000".parse::<SweepSpec>().unwrap(),
            SweepSpec::Rates(vec![1000.0, 2000.0, 3000.0])
        );
        for bad in ["", "a,b", "0", "3000:1000:100", "1:1000000:1", "25%,x"] {
            assert!(bad.parse::<SweepSpec>().is_err(), "{bad}");
        }
    }
}
