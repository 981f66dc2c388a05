//! Draws the README's charts: SVG line charts of dashboard panels, from the
//! series the differential harness computed (`DIFFERENTIAL_PANELS_OUT`, one
//! JSON file per panel, both sides). No Splunk runs here, so this is no
//! screenshot: each line is what this app's SPL gives on the harness's
//! generated scrapes, each dot what Prometheus gives on the same scrapes,
//! and the chart says so.
//!
//! `cargo run --example readme_charts -- PANELS_DIR OUT_DIR 'LABEL' ...`
//! (run by `scripts/readme-charts`) writes `OUT_DIR/<file>.svg` for each
//! panel label, the file named as the harness named the panel's JSON.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 320.0;
/// The plot's box inside the picture.
const LEFT: f64 = 64.0;
const RIGHT: f64 = 560.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 268.0;
/// Colours of the lines (colour-blind safe, Okabe-Ito).
const COLOURS: &[&str] = &[
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];
/// The most lines drawn; a panel with more shows its first ones.
const MAX_SERIES: usize = 8;

struct Series {
    name: String,
    points: Vec<(f64, f64)>,
}

fn series(v: &Value) -> Vec<Series> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|s| Series {
            name: s["name"].as_str().unwrap_or("").to_string(),
            points: s["points"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}

/// `1234.5` as `1.2k`, for an axis.
fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn chart(panel: &Value) -> Result<String> {
    let label = panel["label"].as_str().context("no label")?;
    let (start, end) = (
        panel["start_s"].as_f64().context("no start_s")?,
        panel["end_s"].as_f64().context("no end_s")?,
    );
    let ours = series(&panel["splunk"]);
    let prom = series(&panel["prometheus"]);
    if ours.is_empty() {
        bail!("{label}: no series to draw");
    }
    let shown: Vec<&Series> = ours.iter().take(MAX_SERIES).collect();
    let values = shown
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(prom.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let (lo, hi) = values.fold((0f64, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let hi = if hi <= lo { lo + 1.0 } else { hi * 1.05 };
    let x = |t: f64| LEFT + (t - start) / (end - start).max(1.0) * (RIGHT - LEFT);
    let y = |v: f64| BOTTOM - (v - lo) / (hi - lo) * (BOTTOM - TOP);

    let mut s = String::new();
    writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">"##
    )?;
    writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##)?;
    writeln!(
        s,
        r##"<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{}</text>"##,
        escape(label)
    )?;
    writeln!(
        s,
        r##"<text x="{LEFT}" y="36" fill="#555555">Harness data, not a screenshot: lines = this app's SPL, dots = Prometheus 2.42, same generated scrapes</text>"##
    )?;
    // Grid and axes.
    for i in 0..=4 {
        let v = lo + (hi - lo) * i as f64 / 4.0;
        let yy = y(v);
        writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{RIGHT}" y2="{yy:.1}" stroke="#e5e5e5"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555555">{}</text>"##,
            LEFT - 6.0,
            yy + 4.0,
            compact(v)
        )?;
    }
    let hours = ((end - start) / 3600.0).floor() as i64;
    for h in 0..=hours {
        let xx = x(start + h as f64 * 3600.0);
        writeln!(
            s,
            r##"<line x1="{xx:.1}" y1="{BOTTOM}" x2="{xx:.1}" y2="{:.1}" stroke="#999999"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle" fill="#555555">{h}h</text>"##,
            BOTTOM + 4.0,
            BOTTOM + 16.0
        )?;
    }
    writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}" stroke="#999999"/>"##
    )?;
    // Prometheus' points under our lines, every few steps.
    for (i, line) in shown.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        if let Some(p) = prom.iter().find(|p| p.name == line.name) {
            for (t, v) in p.points.iter().step_by(6) {
                writeln!(
                    s,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="2.2" fill="none" stroke="{colour}"/>"##,
                    x(*t),
                    y(*v)
                )?;
            }
        }
        let mut d = String::new();
        for (j, (t, v)) in line.points.iter().enumerate() {
            write!(
                d,
                "{}{:.1},{:.1}",
                if j == 0 { "M" } else { " L" },
                x(*t),
                y(*v)
            )?;
        }
        writeln!(
            s,
            r##"<path d="{d}" fill="none" stroke="{colour}" stroke-width="1.5"/>"##
        )?;
        let name: String = line.name.chars().take(28).collect();
        writeln!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="10" height="3" fill="{colour}"/><text x="{:.1}" y="{:.1}">{}</text>"##,
            RIGHT + 16.0,
            TOP + i as f64 * 16.0 - 3.0,
            RIGHT + 30.0,
            TOP + i as f64 * 16.0 + 1.0,
            escape(&name)
        )?;
    }
    if ours.len() > MAX_SERIES {
        writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" fill="#555555">and {} more</text>"##,
            RIGHT + 16.0,
            TOP + MAX_SERIES as f64 * 16.0 + 1.0,
            ours.len() - MAX_SERIES
        )?;
    }
    writeln!(
        s,
        r##"<text x="{LEFT}" y="{:.1}" fill="#555555">hours into the panel's range of the harness's generated timeline (restarts, late and missing scrapes); drawn by scripts/readme-charts</text>"##,
        HEIGHT - 16.0
    )?;
    s.push_str("</svg>\n");
    Ok(s)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, out, labels @ ..] = args.as_slice() else {
        bail!("usage: readme_charts PANELS_DIR OUT_DIR 'LABEL' ...");
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {out}"))?;
    // Each panel by its label, whatever file the harness wrote it to.
    let mut panels = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {dir}"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let panel: Value = serde_json::from_str(&text)?;
            panels.push((path, panel));
        }
    }
    for label in labels {
        let Some((path, panel)) = panels.iter().find(|(_, p)| p["label"] == label.as_str()) else {
            bail!("no panel {label:?} in {dir}");
        };
        let svg = chart(panel)?;
        let name = path.file_stem().unwrap_or_default().to_string_lossy();
        let target = Path::new(out).join(format!("{name}.svg"));
        std::fs::write(&target, svg).with_context(|| format!("writing {}", target.display()))?;
        println!("{}", target.display());
    }
    Ok(())
}
