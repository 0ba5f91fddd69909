//! Training curves as a PNG: loss (train and validation), validation MAE and reminder
//! accuracy per epoch, the best epoch marked.

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::train::EpochLog;

/// Plotters draws text with the fonts registered here (no system font lookup at run time).
const FONT_PATHS: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let bytes = FONT_PATHS
                .iter()
                .find_map(|p| std::fs::read(p).ok())
                .ok_or_else(|| {
                    format!(
                        "no font for the plot labels: install fonts-dejavu-core ({FONT_PATHS:?})"
                    )
                })?;
            // Registered once per process and used until it ends.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| "the plot font does not parse".to_string())
        })
        .clone()
}

/// A named line and its colour.
type Line<'a> = (&'a str, Vec<(f64, f64)>, RGBColor);

pub fn curves(path: &Path, epochs: &[EpochLog], best_epoch: usize) -> Result<(), String> {
    register_font()?;
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = BitMapBackend::new(path, (1500, 450)).into_drawing_area();
        root.fill(&WHITE)?;
        let panels = root.split_evenly((1, 3));
        let last = epochs.len().max(2) as f64;
        let series = |f: fn(&EpochLog) -> f64| -> Vec<(f64, f64)> {
            epochs.iter().map(|e| (e.epoch as f64, f(e))).collect()
        };
        let panel = |area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
                     title: &str,
                     y_desc: &str,
                     lines: Vec<Line>,
                     y_max: f64|
         -> Result<(), Box<dyn std::error::Error>> {
            let mut chart = ChartBuilder::on(area)
                .caption(title, ("sans-serif", 22))
                .margin(15)
                .x_label_area_size(40)
                .y_label_area_size(55)
                .build_cartesian_2d(1f64..last, 0f64..y_max)?;
            chart
                .configure_mesh()
                .x_desc("epoch")
                .y_desc(y_desc)
                .label_style(("sans-serif", 14))
                .draw()?;
            for (name, points, colour) in lines {
                chart
                    .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
                    .label(name)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                    });
            }
            if best_epoch > 0 {
                chart
                    .draw_series(LineSeries::new(
                        vec![(best_epoch as f64, 0.0), (best_epoch as f64, y_max)],
                        RGBColor(150, 150, 150).stroke_width(1),
                    ))?
                    .label(format!("best (epoch {best_epoch})"))
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], RGBColor(150, 150, 150))
                    });
            }
            chart
                .configure_series_labels()
                .label_font(("sans-serif", 14))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()?;
            Ok(())
        };
        let max_of = |points: &[(f64, f64)]| {
            points
                .iter()
                .map(|p| p.1)
                .filter(|v| v.is_finite())
                .fold(0.0f64, f64::max)
        };
        let train_loss = series(|e| e.train_loss);
        let val_loss = series(|e| e.validation_loss);
        let loss_max = max_of(&train_loss).max(max_of(&val_loss)) * 1.1;
        panel(
            &panels[0],
            "Loss",
            "score MSE + reminder BCE",
            vec![
                ("train", train_loss, RGBColor(31, 119, 180)),
                ("validation", val_loss, RGBColor(255, 127, 14)),
            ],
            loss_max.max(1e-3),
        )?;
        let mae = series(|e| e.validation_mae);
        let mae_max = (max_of(&mae) * 1.1).max(5.0);
        panel(
            &panels[1],
            "Validation score MAE (0-100)",
            "mean absolute error",
            vec![("validation MAE", mae, RGBColor(44, 160, 44))],
            mae_max,
        )?;
        panel(
            &panels[2],
            "Validation reminder top-1 accuracy",
            "share of windows with a reminder",
            vec![(
                "top-1 accuracy",
                series(|e| e.reminder_accuracy),
                RGBColor(214, 39, 40),
            )],
            1.0,
        )?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| e.to_string())
}
