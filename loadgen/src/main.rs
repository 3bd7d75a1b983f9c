//! `sluice-loadgen`: see `sluice-loadgen --help` and the crate docs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use sluice_loadgen::cli::Args;
use sluice_loadgen::config::{acks_name, RunConfig};
use sluice_loadgen::report::{hdr_log, json_record, svg_chart, table};
use sluice_loadgen::sweep::run_sweep;
use sluice_loadgen::{run, LoadgenError, RunResult};

fn main() -> ExitCode {
    let args = Args::parse();
    match real_main(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("sluice-loadgen: the run recorded errors (see the table)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("sluice-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs what the flags ask for; `Ok(false)` when the run itself recorded errors.
fn real_main(args: &Args) -> Result<bool, LoadgenError> {
    let config = args.run_config()?;
    let subtitle = subtitle(&config);
    match args.sweep_spec()? {
        None => {
            let result = run(&config)?;
            print!("{}", table::run_table(&result));
            if let Some(path) = &args.json {
                json_record::write_json(path, &json_record::run_record(&config, &result))?;
            }
            if let Some(path) = &args.hdr {
                hdr_log::write_interval_log(path, &result)?;
            }
            if let Some(path) = &args.plot {
                svg_chart::write_svg(path, &svg_chart::run_plot(&result, &subtitle))?;
            }
            Ok(result.errors == 0)
        }
        Some(spec) => {
            let mut output_error = None;
            let sweep = run_sweep(&config, &spec, |rate, result: &RunResult| {
                match rate {
                    None => println!("--- closed-loop peak ---"),
                    Some(rate) => println!("--- open loop at {rate:.0} msgs/s ---"),
                }
                print!("{}", table::run_table(result));
                let suffix = rate.map_or_else(|| "peak".to_owned(), |r| format!("{r:.0}"));
                if let (Some(path), Some(_)) = (&args.hdr, rate) {
                    if let Err(e) = hdr_log::write_interval_log(&suffixed(path, &suffix), result) {
                        output_error.get_or_insert(e);
                    }
                }
                // Each point also gets its own spectrum-and-throughput plot beside the curve.
                if let Some(path) = &args.plot {
                    let svg = svg_chart::run_plot(result, &subtitle);
                    if let Err(e) = svg_chart::write_svg(&suffixed(path, &suffix), &svg) {
                        output_error.get_or_insert(e);
                    }
                }
            })?;
            if let Some(e) = output_error {
                return Err(e);
            }
            println!("--- sweep: latency (µs) vs throughput ---");
            print!("{}", table::sweep_table(&sweep.points));
            if let Some(path) = &args.json {
                let record = json_record::sweep_record(&config, sweep.peak.as_ref(), &sweep.points);
                json_record::write_json(path, &record)?;
            }
            if let Some(path) = &args.plot {
                svg_chart::write_svg(path, &svg_chart::sweep_plot(&sweep.points, &subtitle))?;
            }
            let errors: u64 = sweep.points.iter().map(|p| p.result.errors).sum::<u64>()
                + sweep.peak.as_ref().map_or(0, |p| p.errors);
            Ok(errors == 0)
        }
    }
}

fn subtitle(config: &RunConfig) -> String {
    format!(
        "{} B messages, {} partition(s), {} producer(s), {} consumer(s), acks {}, batch ≤ {} B, {} in flight, {:.0} s + {:.0} s warm-up",
        config.sizes.mean_bytes(),
        config.partitions,
        config.producers,
        config.consumers,
        acks_name(config.acks),
        config.batch.bytes_max,
        config.max_in_flight,
        config.duration.as_secs_f64(),
        config.warmup.as_secs_f64()
    )
}

/// `results.hdr` + `5000` → `results-5000.hdr`.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{suffix}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{suffix}"),
    };
    path.with_file_name(name)
}
