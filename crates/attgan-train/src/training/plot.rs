//! The loss curves as one PNG: a panel per curve (the seed's five and the gradient penalty),
//! the raw values faint and a moving average bold, against the training step.

use std::path::Path;
use std::sync::Once;

use attgan_core::image::save_atomically;
use image::RgbImage;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use super::report::CsvRow;
use crate::error::TrainError;
use attgan_core::Term;

const PANEL: (u32, u32) = (480, 300);
const COLUMNS: u32 = 3;

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // ab_glyph has no system font lookup; DejaVu Sans is embedded for every family name used.
        let _ = register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}

/// The mean of each window of `width` values ending at each point.
fn moving_average(values: &[(f64, f64)], width: usize) -> Vec<(f64, f64)> {
    let mut sum = 0.0;
    values
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            sum += y;
            if i >= width {
                sum -= values[i - width].1;
            }
            (x, sum / (i + 1).min(width) as f64)
        })
        .collect()
}

/// Draws the curves of `rows` (as read from `metrics.csv`) into `path`, atomically.
pub fn plot_curves(rows: &[CsvRow], path: impl AsRef<Path>) -> crate::error::Result<()> {
    register_fonts();
    let path = path.as_ref();
    let plot_error = |message: String| TrainError::Plot { path: path.to_path_buf(), message };
    let panels = Term::CURVES.len() as u32;
    let (w, h) = (PANEL.0 * COLUMNS, PANEL.1 * panels.div_ceil(COLUMNS));
    let mut buffer = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(e.to_string()))?;
        let areas = root.split_evenly((panels.div_ceil(COLUMNS) as usize, COLUMNS as usize));
        for (term, area) in Term::CURVES.iter().zip(areas) {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| r.get(*term).filter(|v| v.is_finite()).map(|v| (r.step as f64, v)))
                .collect();
            draw_panel(&area, term.label(), &points).map_err(plot_error)?;
        }
        root.present().map_err(|e| plot_error(e.to_string()))?;
    }
    let image = RgbImage::from_raw(w, h, buffer).expect("buffer sized for the image");
    Ok(save_atomically(&image, path)?)
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    points: &[(f64, f64)],
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = match (points.first(), points.last()) {
        (Some(a), Some(b)) if b.0 > a.0 => (a.0, b.0),
        (Some(a), _) => (a.0, a.0 + 1.0),
        _ => (0.0, 1.0),
    };
    let (mut y0, mut y1) =
        points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    if !y0.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    let pad = ((y1 - y0) * 0.05).max(1e-6);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(48)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc("step")
        .label_style(("sans-serif", 11))
        .draw()
        .map_err(|e| e.to_string())?;
    chart.draw_series(LineSeries::new(points.iter().copied(), BLUE.mix(0.25))).map_err(|e| e.to_string())?;
    let width = (points.len() / 50).clamp(1, 200);
    chart
        .draw_series(LineSeries::new(moving_average(points, width), BLUE.stroke_width(2)))
        .map_err(|e| e.to_string())?;
    Ok(())
}
