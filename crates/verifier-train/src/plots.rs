//! Report plots (plotters, SVG): best-of-N bars, F1 vs threshold, reliability diagram, training
//! curves.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use crate::{metrics::Reliability, report::BestOfN, train::EpochRow};

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("plot: {e:?}")
}

/// Grouped bars: accuracy of each method on best-of-4 and best-of-8.
pub fn best_of_n(path: &Path, bo4: &BestOfN, bo8: &BestOfN) -> Result<()> {
    let rows = |v: &BestOfN| -> Vec<(String, f64)> {
        v.rows
            .iter()
            .map(|r| (r.method.clone(), r.accuracy))
            .collect()
    };
    let (a, b) = (rows(bo4), rows(bo8));
    let methods: Vec<String> = a
        .iter()
        .map(|r| r.0.clone())
        .chain(b.iter().map(|r| r.0.clone()))
        .fold(Vec::new(), |mut acc, m| {
            if !acc.contains(&m) {
                acc.push(m);
            }
            acc
        });
    let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Best-of-N accuracy (%)", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(120)
        .y_label_area_size(40)
        .build_cartesian_2d(0f64..methods.len() as f64, 0f64..100f64)
        .map_err(err)?;
    let names = methods.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(methods.len() * 2)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - i as f64 - 0.5).abs() < 0.26 {
                names.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_label_style(
            ("sans-serif", 11)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .draw()
        .map_err(err)?;
    for (rows, color, offset, label) in [
        (&a, BLUE, 0.1, "GSM8K best-of-4"),
        (&b, RED, 0.5, "MATH best-of-8 (qwen)"),
    ] {
        chart
            .draw_series(rows.iter().filter_map(|(m, acc)| {
                let i = methods.iter().position(|x| x == m)? as f64;
                Some(Rectangle::new(
                    [(i + offset, 0.0), (i + offset + 0.38, acc * 100.0)],
                    color.filled(),
                ))
            }))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// F1 of each ProcessBench subset as the threshold varies; the chosen threshold marked.
pub fn f1_vs_threshold(
    path: &Path,
    curves: &[(String, Vec<(f64, f64)>)],
    chosen: f64,
) -> Result<()> {
    let root = SVGBackend::new(path, (720, 440)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("ProcessBench F1 vs step threshold", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(40)
        .build_cartesian_2d(0f64..1f64, 0f64..100f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("threshold")
        .y_desc("F1 (%)")
        .draw()
        .map_err(err)?;
    for (i, (name, pts)) in curves.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|&(t, f)| (t, f * 100.0)),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 15, y)], color.stroke_width(2))
            });
    }
    chart
        .draw_series(LineSeries::new(
            vec![(chosen, 0.0), (chosen, 100.0)],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?
        .label(format!("chosen {chosen:.2}"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], BLACK));
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Reliability diagram of step probabilities: one line per `(name, reliability)`.
pub fn reliability(path: &Path, series: &[(&str, &Reliability)]) -> Result<()> {
    let root = SVGBackend::new(path, (560, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Reliability, PRM800K test steps", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(40)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("predicted P(correct)")
        .y_desc("observed frequency")
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            BLACK.mix(0.4),
        ))
        .map_err(err)?;
    for (k, (name, calib)) in series.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(LineSeries::new(
                calib.bins.iter().map(|b| (b.0, b.1)),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(format!("{name} (ECE {:.3})", calib.ece))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        chart
            .draw_series(calib.bins.iter().map(|b| {
                Circle::new(
                    (b.0, b.1),
                    3 + (b.2 as f64).log10().max(0.0) as i32,
                    color.filled(),
                )
            }))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Training loss, validation loss (left axis) and validation step AUC (right axis) by step.
pub fn training(path: &Path, rows: &[EpochRow]) -> Result<()> {
    let last = rows.iter().map(|r| r.step).max().unwrap_or(1).max(1) as f64;
    let series = |f: &dyn Fn(&EpochRow) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter()
            .filter_map(|r| Some((r.step as f64, f(r)?)))
            .collect()
    };
    let train = series(&|r| r.train_loss);
    let valid = series(&|r| r.valid.get("loss").copied());
    let auc = series(&|r| r.valid.get("step_auc").copied());
    let top = train
        .iter()
        .chain(&valid)
        .map(|p| p.1)
        .fold(0.1f64, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, (800, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Training", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .right_y_label_area_size(50)
        .build_cartesian_2d(0f64..last, 0f64..top)
        .map_err(err)?
        .set_secondary_coord(0f64..last, 0f64..1f64);
    chart
        .configure_mesh()
        .x_desc("optimizer step")
        .y_desc("loss")
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_desc("validation step AUC")
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(train, &BLUE))
        .map_err(err)?
        .label("training loss (moving average)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(LineSeries::new(valid, &RED))
        .map_err(err)?
        .label("validation loss")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .draw_secondary_series(LineSeries::new(auc, &GREEN))
        .map_err(err)?
        .label("validation step AUC")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
