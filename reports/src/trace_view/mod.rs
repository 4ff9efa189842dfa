//! The two trace charts: a timeline of every server's role (bands per LOOKING / FOLLOWING /
//! LEADING, labelled with the epoch and the last zxid) and a space-time diagram of the
//! messages (one line per server, an arrow per delivered message). Faults are vertical
//! markers on both.
//!
//! This file holds what both charts share: one row per server on a time axis, the role colours
//! and the fault markers. Each chart has its own file; the legend strip above them has one too.

mod messages;
mod roles;

pub(crate) use messages::MessagesFigure;
pub(crate) use roles::RolesFigure;

use crate::chart::{self, styled_mesh, Area, DashedPathElement, DrawErr, KeyedAxis};
use crate::stats::ms;
use crate::style::{self, FAULT, SMALL_PX};
use crate::trace_model::{Marker, Phase, RoleKind};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

type RowsChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, KeyedAxis>>;

/// Height reserved above the rows for fault labels, px.
const MARKER_LABELS_PX: u32 = 56;

/// Pixels per server row: `max` for small clusters, shrinking so that the rows take about
/// `total` pixels for large ones, never below 18 (a label's height).
fn row_px(n: u32, max: u32, total: u32) -> u32 {
    (total / n.max(1)).clamp(18, max)
}

/// The y value of server `s` (s1 at the top).
fn row(n: u8, s: u8) -> f64 {
    f64::from(n) + 1.0 - f64::from(s)
}

/// A band's colour and opacity: the role's colour, lighter in DISCOVERY and SYNCHRONIZATION.
fn band_color(kind: RoleKind, phase: Phase) -> (RGBColor, f64) {
    let shade = match phase {
        Phase::Discovery => 0.45,
        Phase::Synchronization => 0.7,
        Phase::Broadcast | Phase::None => 1.0,
    };
    match kind {
        RoleKind::Looking => (style::LOOKING, 1.0),
        RoleKind::Following => (style::FOLLOWING, shade),
        RoleKind::Leading => (style::LEADING, shade),
        RoleKind::Other => (style::OTHER_ROLE, 1.0),
        RoleKind::Down => (style::DOWN, 1.0),
    }
}

/// Builds the rows chart: time (ms) on x, one row per server on y.
fn rows_chart<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    n: u8,
    x0_ms: f64,
    x1_ms: f64,
) -> Result<RowsChart<'a, DB>, DrawErr> {
    let keys: Vec<f64> = (1..=n).map(f64::from).collect();
    let mut c = ChartBuilder::on(area)
        .margin_top(MARKER_LABELS_PX)
        .margin_left(8)
        .margin_right(30)
        .margin_bottom(8)
        .x_label_area_size(46)
        .y_label_area_size(52)
        .build_cartesian_2d(x0_ms..x1_ms, KeyedAxis::new(0.5, f64::from(n) + 0.5, keys))?;
    let label = move |v: &f64| {
        let s = f64::from(n) + 1.0 - v.round();
        if (1.0..=f64::from(n)).contains(&s) {
            format!("s{s}")
        } else {
            String::new()
        }
    };
    styled_mesh!(c)
        .x_labels(12)
        .x_label_formatter(&style::tick)
        .y_label_formatter(&label)
        .x_desc("virtual time (ms)")
        .draw()?;
    Ok(c)
}

/// Vertical dashed markers for faults with staggered labels above the rows; returns how many
/// labels did not fit.
fn draw_markers<DB: DrawingBackend>(
    root: &Area<DB>,
    c: &RowsChart<'_, DB>,
    n: u8,
    markers: &[&Marker],
) -> Result<usize, DrawErr> {
    let style = style::text(SMALL_PX, FAULT).pos(Pos::new(HPos::Left, VPos::Bottom));
    let right_edge = root.dim_in_pixel().0 as i32 - 4;
    let mut row_end = [i32::MIN; 3];
    let mut skipped = 0;
    for m in markers {
        let x = ms(m.t_us);
        let top = c.backend_coord(&(x, f64::from(n) + 0.5));
        let bottom = c.backend_coord(&(x, 0.5));
        root.draw(&DashedPathElement::new(vec![top, bottom], 5, 4, FAULT.stroke_width(1)))?;
        let w = root.estimate_text_size(&m.text, &style)?.0 as i32;
        // Right of the marker, or left of it near the right edge.
        let start = if top.0 + 3 + w <= right_edge { top.0 + 3 } else { top.0 - 3 - w };
        match row_end.iter().position(|end| *end + 8 < start) {
            Some(r) => {
                let y = top.1 - 4 - 16 * r as i32;
                root.draw(&PathElement::new(vec![(top.0, top.1), (top.0, y)], FAULT.mix(0.5).stroke_width(1)))?;
                root.draw(&Text::new(m.text.clone(), (start, y), style.clone()))?;
                row_end[r] = row_end[r].max(start + w);
            }
            None => skipped += 1,
        }
    }
    Ok(skipped)
}

/// The line under a chart that owns up to fault labels left out.
fn markers_note(skipped: usize) -> Option<String> {
    (skipped > 0).then(|| format!("{skipped} fault label(s) did not fit; the page lists every fault"))
}

/// Size of a figure with one row per server (rows of `row_max` px, all rows within
/// `rows_total` px) under a header, a legend strip and the fault-marker labels.
fn per_server_size(nodes: u8, subtitle_lines: usize, row_max: u32, rows_total: u32) -> (u32, u32) {
    let n = u32::from(nodes);
    (1400, chart::header_height(subtitle_lines) + 30 + MARKER_LABELS_PX + row_px(n, row_max, rows_total) * n + 62)
}
