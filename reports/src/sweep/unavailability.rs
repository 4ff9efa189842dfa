//! Client unavailability per fault kind: the client-visible window after the fault (the longest
//! one client waited for the service, from its operations), one box per cluster size in one
//! panel per fault kind.

use super::{doc, panelled_size, ChartDoc, View};
use crate::chart::{self, styled_mesh, Area, DrawErr, Figure, KeyedAxis};
use crate::stats::{ms, Sample};
use crate::style::{self, fmt_num, SMALL_PX, TEXT};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

struct BoxStats {
    size: u8,
    p10: f64,
    p25: f64,
    median: f64,
    p75: f64,
    p90: f64,
}

/// Unavailability (the client-visible window) per fault kind: one panel per kind, one box per
/// cluster size.
pub(crate) struct Unavailability<'a> {
    view: &'a View<'a>,
    subtitle: Vec<String>,
    panels: Vec<(String, Vec<BoxStats>)>,
}

impl<'a> Unavailability<'a> {
    /// Prepares the chart and its description.
    pub(crate) fn new(view: &'a View<'a>) -> (Unavailability<'a>, ChartDoc) {
        let mut panels = Vec::new();
        for fault in view.faults.iter().filter(|f| f.as_str() != "none") {
            let mut boxes = Vec::new();
            for &size in &view.sizes {
                let s = Sample::new(
                    view.runs()
                        .filter(|r| &r.fault == fault && r.nodes == size)
                        .filter_map(|r| r.client_unavailable_us)
                        .collect(),
                );
                let p = |q| s.percentile(q).map(ms);
                if let (Some(p10), Some(p25), Some(median), Some(p75), Some(p90)) = (p(10), p(25), p(50), p(75), p(90))
                {
                    boxes.push(BoxStats { size, p10, p25, median, p75, p90 });
                }
            }
            if !boxes.is_empty() {
                panels.push((fault.clone(), boxes));
            }
        }
        let subtitle = vec![
            format!(
                "The longest one client waited for the service after the fault, from its operations{}. \
                 Box: 25th–75th percentile, bar: median, whiskers: 10th–90th.",
                view.clients()
            ),
            format!("Each panel has its own scale. {}", view.provenance()),
        ];
        let fig = Unavailability { view, subtitle, panels };
        let caption = "How long the service was out of reach for a client, per fault kind and cluster \
                       size: the longest time, after the fault, that one client waited for the service, \
                       from an invocation until its answer, and from a lost request, a refused or failed \
                       connection attempt or a lost connection until it was next served (any reply but \
                       ConnectionLoss, SessionExpired, SessionMoved or UnknownSession, or a successful \
                       connect), up to the end of the run. It is measured from the simulated clients' \
                       operations, so it does not depend on how often they write while they keep trying; \
                       a client with nothing outstanding is not waiting. Runs without clients have none. Boxes span the 25th–75th \
                       percentile with the median marked, whiskers the 10th–90th; each panel has its \
                       own time scale."
            .to_string();
        let d = doc(&fig, "Client unavailability per fault kind", caption);
        (fig, d)
    }
}

impl Figure for Unavailability<'_> {
    fn stem(&self) -> &str {
        "unavailability-by-fault"
    }

    fn size(&self) -> (u32, u32) {
        panelled_size(self.panels.len(), self.subtitle.len())
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr> {
        let body = chart::header(root, "Client unavailability per fault kind", &self.subtitle)?;
        if self.panels.is_empty() {
            return chart::placeholder(
                &body,
                "No fault runs with clients (give the grid a clients section, or --clients).",
            );
        }
        let (rows, cols) = chart::panel_grid(self.panels.len());
        let areas = body.split_evenly((rows, cols));
        for ((fault, boxes), area) in self.panels.iter().zip(areas.iter()) {
            let area = chart::panel_title(area, fault)?;
            let lo = boxes.iter().map(|b| b.p10).fold(f64::INFINITY, f64::min);
            let hi = boxes.iter().map(|b| b.p90).fold(0.0f64, f64::max);
            let (ylo, yhi) = chart::padded(lo, hi, 1.0);
            let (ylo, yhi) = (ylo.max(0.0), yhi + (yhi - ylo) * 0.08);
            let n = boxes.len();
            let keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let mut c = ChartBuilder::on(&area)
                .margin_left(8)
                .margin_right(24)
                .margin_bottom(8)
                .x_label_area_size(46)
                .y_label_area_size(76)
                .build_cartesian_2d(KeyedAxis::new(-0.6, n as f64 - 0.4, keys), ylo..yhi)?;
            let label_of = |v: &f64| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                    format!("{} servers", boxes[i as usize].size)
                } else {
                    String::new()
                }
            };
            styled_mesh!(c)
                .y_labels(7)
                .x_label_formatter(&label_of)
                .y_label_formatter(&style::tick)
                .x_desc("cluster size")
                .y_desc("longest client wait (ms)")
                .draw()?;
            for (i, b) in boxes.iter().enumerate() {
                let color = self.view.size_color(b.size);
                let x = i as f64;
                let w = 0.28;
                c.draw_series([
                    PathElement::new(vec![(x, b.p10), (x, b.p25)], color.stroke_width(2)),
                    PathElement::new(vec![(x, b.p75), (x, b.p90)], color.stroke_width(2)),
                    PathElement::new(vec![(x - w / 2.0, b.p10), (x + w / 2.0, b.p10)], color.stroke_width(2)),
                    PathElement::new(vec![(x - w / 2.0, b.p90), (x + w / 2.0, b.p90)], color.stroke_width(2)),
                ])?;
                c.draw_series([
                    Rectangle::new([(x - w, b.p25), (x + w, b.p75)], color.mix(0.3).filled()),
                    Rectangle::new([(x - w, b.p25), (x + w, b.p75)], color.stroke_width(2)),
                ])?;
                c.draw_series([PathElement::new(vec![(x - w, b.median), (x + w, b.median)], TEXT.stroke_width(3))])?;
                let label = format!("{} ms", fmt_num(b.median, if b.median >= 100.0 { 0 } else { 1 }));
                let style = style::text(SMALL_PX, TEXT).pos(Pos::new(HPos::Center, VPos::Bottom));
                c.draw_series([Text::new(label, (x, b.p90 + (yhi - ylo) * 0.015), style)])?;
            }
        }
        Ok(())
    }
}
