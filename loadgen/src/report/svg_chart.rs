//! Hand-written SVG line charts: the latency percentile spectrum, throughput over time, and the
//! latency-versus-throughput curve of a sweep. A few hundred lines of SVG beat a plotting
//! dependency with font handling for three charts.

use std::fmt::Write;
use std::path::Path;

use crate::error::LoadgenError;
use crate::measure::LatencySummary;
use crate::run::RunResult;

use super::table::SweepPoint;

const PANEL_WIDTH: f64 = 900.0;
const PANEL_HEIGHT: f64 = 380.0;
const MARGIN_LEFT: f64 = 80.0;
const MARGIN_RIGHT: f64 = 180.0;
const MARGIN_TOP: f64 = 40.0;
const MARGIN_BOTTOM: f64 = 55.0;
const COLORS: [&str; 5] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

/// Percentiles drawn on the spectrum, as "nines" (x = -log10(1 - q)).
const SPECTRUM_NINES_MAX: f64 = 5.0;

/// One axis: range, scale and ticks.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Label under or beside the axis.
    pub label: String,
    /// Smallest value shown.
    pub min: f64,
    /// Largest value shown.
    pub max: f64,
    /// Logarithmic (base 10) scale.
    pub log: bool,
    /// Tick positions and their labels.
    pub ticks: Vec<(f64, String)>,
}

/// One line.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points in data coordinates.
    pub points: Vec<(f64, f64)>,
    /// Dashed line.
    pub dashed: bool,
}

/// One chart panel.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Title above the panel.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Lines.
    pub series: Vec<Series>,
    /// Shaded x ranges with a label (warm-up).
    pub shaded: Vec<(f64, f64, String)>,
}

impl Axis {
    fn position(&self, value: f64, length: f64) -> f64 {
        let (min, max, v) = if self.log {
            (self.min.max(1e-9).log10(), self.max.max(1e-9).log10(), value.max(1e-9).log10())
        } else {
            (self.min, self.max, value)
        };
        if max <= min {
            return 0.0;
        }
        ((v - min) / (max - min)).clamp(0.0, 1.0) * length
    }

    /// A linear axis from 0 to a rounded-up `max` with about five ticks.
    pub fn linear(label: &str, max: f64) -> Axis {
        let max = if max > 0.0 { max } else { 1.0 };
        let step = nice_step(max / 5.0);
        let top = (max / step).ceil() * step;
        let ticks = (0..=((top / step).round() as usize)).map(|i| {
            let v = i as f64 * step;
            (v, short_number(v))
        });
        Axis { label: label.into(), min: 0.0, max: top, log: false, ticks: ticks.collect() }
    }

    /// A log axis covering `[min, max]` with a tick at every power of ten.
    pub fn log10(label: &str, min: f64, max: f64) -> Axis {
        let low = min.max(1.0).log10().floor() as i32;
        let high = (max.max(min.max(1.0) * 10.0).log10().ceil() as i32).max(low + 1);
        let ticks = (low..=high).map(|p| {
            let v = 10f64.powi(p);
            (v, short_number(v))
        });
        Axis {
            label: label.into(),
            min: 10f64.powi(low),
            max: 10f64.powi(high),
            log: true,
            ticks: ticks.collect(),
        }
    }
}

fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{}G", trim(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Renders `panels` stacked vertically under `title` and the `subtitles` lines as one SVG
/// document.
pub fn render(title: &str, subtitles: &[String], panels: &[Panel]) -> String {
    let header = 36.0 + 16.0 * subtitles.len() as f64;
    let height = header + PANEL_HEIGHT * panels.len() as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{PANEL_WIDTH}" height="{height}" viewBox="0 0 {PANEL_WIDTH} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="24" font-size="16" font-weight="bold" text-anchor="middle">{}</text>
"##,
        PANEL_WIDTH / 2.0,
        escape(title),
    );
    for (i, line) in subtitles.iter().enumerate() {
        let _ = writeln!(
            svg,
            r##"<text x="{}" y="{}" font-size="12" fill="#444" text-anchor="middle">{}</text>"##,
            PANEL_WIDTH / 2.0,
            42.0 + 16.0 * i as f64,
            escape(line)
        );
    }
    for (i, panel) in panels.iter().enumerate() {
        render_panel(&mut svg, panel, header + PANEL_HEIGHT * i as f64);
    }
    svg.push_str("</svg>\n");
    svg
}

fn render_panel(svg: &mut String, panel: &Panel, top: f64) {
    let x0 = MARGIN_LEFT;
    let y0 = top + MARGIN_TOP;
    let w = PANEL_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
    let h = PANEL_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
    let px = |v: f64| x0 + panel.x.position(v, w);
    let py = |v: f64| y0 + h - panel.y.position(v, h);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" font-size="14" font-weight="bold" text-anchor="middle">{}</text>"#,
        x0 + w / 2.0,
        y0 - 12.0,
        escape(&panel.title)
    );
    for (from, to, label) in &panel.shaded {
        let (a, b) = (px(*from), px(*to));
        if b > a {
            let _ = writeln!(
                svg,
                r##"<rect x="{a:.1}" y="{y0:.1}" width="{:.1}" height="{h:.1}" fill="#eeeeee"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#777" text-anchor="middle">{}</text>"##,
                b - a,
                (a + b) / 2.0,
                y0 + 12.0,
                escape(label)
            );
        }
    }
    for (v, label) in &panel.x.ticks {
        let x = px(*v);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{y0:.1}" x2="{x:.1}" y2="{:.1}" stroke="#e0e0e0"/><text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"##,
            y0 + h,
            y0 + h + 16.0,
            escape(label)
        );
    }
    for (v, label) in &panel.y.ticks {
        let y = py(*v);
        let _ = writeln!(
            svg,
            r##"<line x1="{x0:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            x0 + w,
            x0 - 6.0,
            y + 4.0,
            escape(label)
        );
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{x0:.1}" y="{y0:.1}" width="{w:.1}" height="{h:.1}" fill="none" stroke="#333"/>
<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text>
<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" transform="rotate(-90 {:.1} {:.1})">{}</text>"##,
        x0 + w / 2.0,
        y0 + h + 38.0,
        escape(&panel.x.label),
        x0 - 58.0,
        y0 + h / 2.0,
        x0 - 58.0,
        y0 + h / 2.0,
        escape(&panel.y.label)
    );
    for (i, series) in panel.series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<String> =
            series.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
        if !points.is_empty() {
            let dash = if series.dashed { r#" stroke-dasharray="6 4""# } else { "" };
            let _ = writeln!(
                svg,
                r#"<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{}"/>"#,
                points.join(" ")
            );
            if series.points.len() <= 40 {
                for &(x, y) in &series.points {
                    let _ = writeln!(
                        svg,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"#,
                        px(x),
                        py(y)
                    );
                }
            }
        }
        let ly = y0 + 14.0 + 20.0 * i as f64;
        let lx = x0 + w + 12.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{color}" stroke-width="3"/><text x="{:.1}" y="{:.1}" font-size="11">{}</text>"#,
            lx + 22.0,
            lx + 28.0,
            ly + 4.0,
            escape(&series.name)
        );
    }
}

/// The percentile spectrum of one histogram as (nines, value) points.
fn spectrum(histogram: &hdrhistogram::Histogram<u64>) -> Vec<(f64, f64)> {
    if histogram.is_empty() {
        return Vec::new();
    }
    let mut points = Vec::new();
    let steps = 100;
    for i in 0..=steps {
        let nines = SPECTRUM_NINES_MAX * i as f64 / steps as f64;
        let q = 1.0 - 10f64.powf(-nines);
        points.push((nines, histogram.value_at_quantile(q).max(1) as f64));
    }
    points.push((SPECTRUM_NINES_MAX, histogram.max().max(1) as f64));
    points
}

fn spectrum_axis() -> Axis {
    let labels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"];
    Axis {
        label: "percentile".into(),
        min: 0.0,
        max: SPECTRUM_NINES_MAX,
        log: false,
        ticks: labels.iter().enumerate().map(|(i, l)| (i as f64, (*l).to_owned())).collect(),
    }
}

/// The plot of one run: latency percentile spectrum and throughput over time.
pub fn run_plot(result: &RunResult, subtitle: &str) -> String {
    let mut series = vec![Series {
        name: "produce-ack".into(),
        points: spectrum(&result.produce),
        dashed: false,
    }];
    if !result.end_to_end.is_empty() {
        series.push(Series {
            name: "end-to-end".into(),
            points: spectrum(&result.end_to_end),
            dashed: false,
        });
    }
    let latency_max = series.iter().flat_map(|s| &s.points).map(|p| p.1).fold(1.0, f64::max);
    let latency_min = series.iter().flat_map(|s| &s.points).map(|p| p.1).fold(f64::MAX, f64::min);
    let spectrum_panel = Panel {
        title: "Latency by percentile (from intended send time)".into(),
        x: spectrum_axis(),
        y: Axis::log10("latency (µs)", latency_min.min(latency_max), latency_max),
        series,
        shaded: Vec::new(),
    };
    let acked: Vec<(f64, f64)> = result
        .intervals
        .iter()
        .map(|i| (i.start_s + i.length_s, i.counts.acked_msgs as f64 / i.length_s))
        .collect();
    let consumed: Vec<(f64, f64)> = result
        .intervals
        .iter()
        .map(|i| (i.start_s + i.length_s, i.counts.consumed_msgs as f64 / i.length_s))
        .collect();
    let rate_max = acked.iter().chain(&consumed).map(|p| p.1).fold(1.0, f64::max);
    let time_max = acked.iter().map(|p| p.0).fold(1.0, f64::max);
    let warmup_end = result
        .intervals
        .iter()
        .filter(|i| i.warmup)
        .map(|i| i.start_s + i.length_s)
        .fold(0.0, f64::max);
    let mut throughput_series =
        vec![Series { name: "acked msgs/s".into(), points: acked, dashed: false }];
    if consumed.iter().any(|p| p.1 > 0.0) {
        throughput_series.push(Series {
            name: "consumed msgs/s".into(),
            points: consumed,
            dashed: true,
        });
    }
    if let Some(rate) = result.target_rate_per_s {
        throughput_series.push(Series {
            name: "target".into(),
            points: vec![(0.0, rate), (time_max, rate)],
            dashed: true,
        });
    }
    let throughput_panel = Panel {
        title: "Throughput over time".into(),
        x: Axis::linear("time since start (s)", time_max),
        y: Axis::linear(
            "messages per second",
            rate_max.max(result.target_rate_per_s.unwrap_or(0.0)) * 1.05,
        ),
        series: throughput_series,
        shaded: if warmup_end > 0.0 {
            vec![(0.0, warmup_end, "warm-up".into())]
        } else {
            Vec::new()
        },
    };
    let mode = match result.target_rate_per_s {
        Some(rate) => format!("open loop at {rate:.0} msgs/s"),
        None => "closed loop".into(),
    };
    let title = format!(
        "sluice-loadgen ({mode}): {:.0} msgs/s, {:.1} MB/s, {} errors",
        result.msgs_per_s(),
        result.mb_per_s(),
        result.errors
    );
    let describe = |name: &str, s: LatencySummary| {
        format!(
            "{name} µs: p50 {} · p99 {} · p99.9 {} · p99.99 {} · max {}",
            s.p50, s.p99, s.p999, s.p9999, s.max
        )
    };
    let mut lines = vec![subtitle.to_owned(), describe("produce-ack", result.produce_summary())];
    if !result.end_to_end.is_empty() {
        lines.push(describe("end-to-end", result.end_to_end_summary()));
    }
    render(&title, &lines, &[spectrum_panel, throughput_panel])
}

/// The latency-versus-throughput curve of a sweep.
pub fn sweep_plot(points: &[SweepPoint], subtitle: &str) -> String {
    let curve = |name: &str, pick: &dyn Fn(&RunResult) -> u64, e2e: bool| Series {
        name: name.into(),
        points: points
            .iter()
            .filter(|p| {
                if e2e {
                    !p.result.end_to_end.is_empty()
                } else {
                    !p.result.produce.is_empty()
                }
            })
            .map(|p| (p.result.msgs_per_s(), pick(&p.result).max(1) as f64))
            .collect(),
        dashed: e2e,
    };
    let series: Vec<Series> = vec![
        curve("ack p50", &|r| r.produce_summary().p50, false),
        curve("ack p99", &|r| r.produce_summary().p99, false),
        curve("ack p99.9", &|r| r.produce_summary().p999, false),
        curve("e2e p50", &|r| r.end_to_end_summary().p50, true),
        curve("e2e p99", &|r| r.end_to_end_summary().p99, true),
    ]
    .into_iter()
    .filter(|s| !s.points.is_empty())
    .collect();
    let x_max = series.iter().flat_map(|s| &s.points).map(|p| p.0).fold(1.0, f64::max);
    let y_max = series.iter().flat_map(|s| &s.points).map(|p| p.1).fold(1.0, f64::max);
    let y_min = series.iter().flat_map(|s| &s.points).map(|p| p.1).fold(f64::MAX, f64::min);
    let panel = Panel {
        title: "Latency vs achieved throughput (open loop)".into(),
        x: Axis::linear("achieved messages per second", x_max * 1.05),
        y: Axis::log10("latency (µs)", y_min.min(y_max), y_max),
        series,
        shaded: Vec::new(),
    };
    render("sluice-loadgen rate sweep", &[subtitle.to_owned()], &[panel])
}

/// Writes an SVG document to `path`.
pub fn write_svg(path: &Path, svg: &str) -> Result<(), LoadgenError> {
    std::fs::write(path, svg)
        .map_err(|source| LoadgenError::Output { path: path.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_ranges_when_building_axes_should_cover_them_with_round_ticks() {
        let linear = Axis::linear("x", 47_000.0);
        assert_eq!(linear.max, 50_000.0);
        assert_eq!(linear.ticks.first().unwrap().1, "0");
        assert_eq!(linear.ticks.last().unwrap().1, "50k");
        let log = Axis::log10("y", 35.0, 2_100.0);
        assert_eq!((log.min, log.max), (10.0, 10_000.0));
    }

    #[test]
    fn given_a_panel_when_rendering_should_produce_one_well_formed_svg_document() {
        let panel = Panel {
            title: "t <1>".into(),
            x: Axis::linear("x", 10.0),
            y: Axis::log10("y", 1.0, 1000.0),
            series: vec![Series {
                name: "s".into(),
                points: vec![(1.0, 10.0), (5.0, 100.0)],
                dashed: false,
            }],
            shaded: vec![(0.0, 2.0, "warm-up".into())],
        };
        let svg = render("title", &["sub".to_owned()], &[panel]);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("t &lt;1&gt;"));
        assert_eq!(svg.matches("<polyline").count(), 1);
    }
}
