//! Drift over time per client, both controllers, as SVG.

use std::path::Path;

use plotters::prelude::*;

use crate::scenarios::ScenarioResult;

const COLORS: [RGBColor; 8] = [
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(0, 114, 178),
    RGBColor(240, 228, 66),
    RGBColor(120, 120, 120),
];
const LIMIT_MS: f64 = 150.0;

/// One SVG per scenario: a panel per controller, each client's position
/// minus the median of all clients (ms) over time.
pub fn draw(results: &[ScenarioResult], scenario: &str, path: &Path) -> Result<(), String> {
    let runs: Vec<&ScenarioResult> = results.iter().filter(|r| r.scenario == scenario).collect();
    if runs.is_empty() {
        return Ok(());
    }
    let root = SVGBackend::new(path, (1000, 330 * runs.len() as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let panels = root.split_evenly((runs.len(), 1));
    for (panel, run) in panels.iter().zip(runs) {
        let t_max = run.frames.last().map_or(1.0, |f| f.t).max(1.0);
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("{scenario} — {} controller", run.controller),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..t_max, -LIMIT_MS..LIMIT_MS)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("seconds")
            .y_desc("drift from median, ms")
            .draw()
            .map_err(|e| e.to_string())?;
        let clients = run.frames.iter().map(|f| f.pos.len()).max().unwrap_or(0);
        for c in 0..clients {
            let series = run.frames.iter().filter_map(|f| {
                let mut pos: Vec<f64> = f.pos.iter().copied().collect::<Option<Vec<_>>>()?;
                let mine = *pos.get(c)?;
                pos.sort_by(f64::total_cmp);
                let median = pos[pos.len() / 2];
                let d = ((mine - median) * 1000.0).clamp(-LIMIT_MS, LIMIT_MS);
                Some((f.t, d))
            });
            let color = COLORS[c % COLORS.len()];
            chart
                .draw_series(LineSeries::new(series, color.stroke_width(1)))
                .map_err(|e| e.to_string())?
                .label(format!("client {}", c + 1))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}
