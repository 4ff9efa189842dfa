//! The two trace charts: a timeline of every server's role (bands per LOOKING / FOLLOWING /
//! LEADING, labelled with the epoch and the last zxid) and a space-time diagram of the
//! messages (one line per server, an arrow per delivered message). Faults are vertical
//! markers on both.

use crate::chart::{self, styled_mesh, Area, DashedPathElement, DrawErr, Figure, KeyedAxis};
use crate::stats::{ms, Sample};
use crate::style::{self, fmt_num, FAULT, GRID, MUTED, SMALL_PX, TEXT};
use crate::trace_model::{Delivery, Lost, Marker, MsgClass, Phase, RoleKind, Segment, TraceModel};
use crate::TraceOptions;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

type RowsChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, KeyedAxis>>;

/// Height reserved above the rows for fault labels, px.
const MARKER_LABELS_PX: u32 = 56;

/// "2nd", "3rd", "45th".
fn ordinal(k: usize) -> String {
    let suffix = match (k % 10, k % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{k}{suffix}")
}

/// Pixels per server row: `max` for small clusters, shrinking so that the rows take about
/// `total` pixels for large ones, never below 18 (a label's height).
fn row_px(n: u32, max: u32, total: u32) -> u32 {
    (total / n.max(1)).clamp(18, max)
}

/// The y value of server `s` (s1 at the top).
fn row(n: u8, s: u8) -> f64 {
    f64::from(n) + 1.0 - f64::from(s)
}

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

fn msg_color(class: MsgClass) -> RGBColor {
    match class {
        MsgClass::Election => style::MSG_ELECTION,
        MsgClass::Sync => style::MSG_SYNC,
        MsgClass::Broadcast => style::MSG_BROADCAST,
        MsgClass::Ping => style::MSG_PING,
    }
}

/// Label candidates for a band, longest first.
fn band_labels(seg: &Segment) -> Vec<String> {
    if seg.kind == RoleKind::Down {
        return vec!["down (crashed)".into(), "down".into()];
    }
    let e = seg.epoch.map_or(String::new(), |e| format!("e{e}"));
    let z = match (&seg.zxid_first, &seg.zxid_last) {
        (Some(a), Some(b)) if a != b => format!("{a}→{b}"),
        (Some(a), _) => a.clone(),
        _ => String::new(),
    };
    let mut out = vec![
        format!("{} · {e} · {z}", seg.role),
        format!("{} · {e}", seg.role),
        format!("{e} {z}"),
        e,
        seg.role.chars().next().map(String::from).unwrap_or_default(),
    ];
    out.retain(|s| !s.trim().is_empty());
    out
}

/// A legend swatch.
enum Swatch {
    Band(RGBColor, f64),
    Arrow(RGBColor),
    Paused,
    Marker,
    Cross,
}

/// A row of legend items at (x, y) in `area`.
fn legend_strip<DB: DrawingBackend>(area: &Area<DB>, items: &[(Swatch, String)]) -> Result<(), DrawErr> {
    let style = style::text(style::LEGEND_PX, TEXT).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = style::MARGIN_PX;
    let y = 14;
    for (swatch, label) in items {
        match swatch {
            Swatch::Band(c, a) => {
                area.draw(&Rectangle::new([(x, y - 7), (x + 22, y + 7)], c.mix(*a).filled()))?;
            }
            Swatch::Arrow(c) => {
                area.draw(&PathElement::new(vec![(x, y), (x + 15, y)], c.stroke_width(2)))?;
                area.draw(&Polygon::new(vec![(x + 22, y), (x + 14, y - 4), (x + 14, y + 4)], c.filled()))?;
            }
            Swatch::Paused => {
                area.draw(&Rectangle::new([(x, y - 7), (x + 22, y + 7)], style::FOLLOWING.filled()))?;
                area.draw(&Rectangle::new([(x, y - 7), (x + 22, y + 7)], style::PAUSED.mix(0.45).filled()))?;
            }
            Swatch::Marker => {
                area.draw(&DashedPathElement::new(
                    vec![(x + 11, y - 8), (x + 11, y + 8)],
                    4,
                    3,
                    FAULT.stroke_width(2),
                ))?;
            }
            Swatch::Cross => {
                area.draw(&PathElement::new(vec![(x + 6, y - 5), (x + 16, y + 5)], FAULT.stroke_width(2)))?;
                area.draw(&PathElement::new(vec![(x + 6, y + 5), (x + 16, y - 5)], FAULT.stroke_width(2)))?;
            }
        }
        area.draw(&Text::new(label.clone(), (x + 28, y), style.clone()))?;
        let (w, _) = area.estimate_text_size(label, &style)?;
        x += 28 + w as i32 + 22;
    }
    Ok(())
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

fn markers_note(skipped: usize) -> Option<String> {
    (skipped > 0).then(|| format!("{skipped} fault label(s) did not fit; the page lists every fault"))
}

// ----- role timeline ---------------------------------------------------------------------

/// Every server's role over the whole trace.
pub(crate) struct RolesFigure<'a> {
    m: &'a TraceModel,
    subtitle: Vec<String>,
    window: Option<(u64, u64)>,
}

impl<'a> RolesFigure<'a> {
    /// Prepares the chart; `window` is the message diagram's time window, shaded when it
    /// covers only part of the trace.
    pub(crate) fn new(m: &'a TraceModel, window: (u64, u64)) -> RolesFigure<'a> {
        let partial = window.0 > 0 || window.1 < m.end_us;
        let mut subtitle = vec![format!(
            "seed {} · {} servers · {} events · {} ms of virtual time. Shade within FOLLOWING and \
             LEADING: light = DISCOVERY, medium = SYNCHRONIZATION, full = BROADCAST.",
            m.header.seed,
            m.header.nodes,
            fmt_num(m.events as f64, 0),
            fmt_num(ms(m.end_us), 1)
        )];
        subtitle.push(
            "Labels: role · currentEpoch · last zxid at the start→end of the band (shortened where the band is narrow)."
                .into(),
        );
        if partial {
            subtitle.push(format!(
                "Grey background: the window of the message diagram ({}–{} ms).",
                fmt_num(ms(window.0), 1),
                fmt_num(ms(window.1), 1)
            ));
        }
        RolesFigure { m, subtitle, window: partial.then_some(window) }
    }
}

impl Figure for RolesFigure<'_> {
    fn stem(&self) -> &str {
        "trace-roles"
    }

    fn size(&self) -> (u32, u32) {
        per_server_size(self.m.header.nodes, self.subtitle.len(), 50, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr> {
        let m = self.m;
        let n = m.header.nodes;
        let body = chart::header(root, "Server roles over time", &self.subtitle)?;
        let (strip, rest) = body.split_vertically(30);
        legend_strip(
            &strip,
            &[
                (Swatch::Band(style::LOOKING, 1.0), "LOOKING".into()),
                (Swatch::Band(style::FOLLOWING, 1.0), "FOLLOWING".into()),
                (Swatch::Band(style::LEADING, 1.0), "LEADING".into()),
                (Swatch::Band(style::DOWN, 1.0), "down (crashed)".into()),
                (Swatch::Paused, "paused".into()),
                (Swatch::Marker, "fault".into()),
            ],
        )?;
        // The same time axis as the message diagram when that shows the whole trace.
        let x1 = ms(m.end_us.max(1000));
        let c = rows_chart(&rest, n, 0.0, x1)?;
        if let Some((a, b)) = self.window {
            let p0 = c.backend_coord(&(ms(a), f64::from(n) + 0.5));
            let p1 = c.backend_coord(&(ms(b), 0.5));
            root.draw(&Rectangle::new([p0, p1], GRID.mix(0.6).filled()))?;
        }
        let label_style = style::text(SMALL_PX, TEXT).pos(Pos::new(HPos::Left, VPos::Center));
        for (i, segs) in m.segments.iter().enumerate() {
            let y = row(n, i as u8 + 1);
            for seg in segs {
                let (color, alpha) = band_color(seg.kind, seg.phase);
                let p0 = c.backend_coord(&(ms(seg.start), y + 0.3));
                let p1 = c.backend_coord(&(ms(seg.end), y - 0.3));
                root.draw(&Rectangle::new([p0, p1], color.mix(alpha).filled()))?;
                root.draw(&Rectangle::new([p0, p1], WHITE.stroke_width(1)))?;
                let room = p1.0 - p0.0 - 8;
                for label in band_labels(seg) {
                    let (w, _) = root.estimate_text_size(&label, &label_style)?;
                    if (w as i32) <= room {
                        root.draw(&Text::new(label, (p0.0 + 4, (p0.1 + p1.1) / 2), label_style.clone()))?;
                        break;
                    }
                }
            }
        }
        let pause_style = style::text(SMALL_PX, WHITE).pos(Pos::new(HPos::Center, VPos::Center));
        for (s, a, b) in &m.pauses {
            let y = row(n, *s);
            let p0 = c.backend_coord(&(ms(*a), y + 0.3));
            let p1 = c.backend_coord(&(ms(*b), y - 0.3));
            root.draw(&Rectangle::new([p0, p1], style::PAUSED.mix(0.45).filled()))?;
            let (w, _) = root.estimate_text_size("paused", &pause_style)?;
            if (w as i32) + 8 <= p1.0 - p0.0 {
                let mid = ((p0.0 + p1.0) / 2, p0.1 + 8);
                root.draw(&Text::new("paused", mid, pause_style.clone()))?;
            }
        }
        let markers: Vec<&Marker> = m.markers.iter().collect();
        let skipped = draw_markers(root, &c, n, &markers)?;
        if let Some(note) = markers_note(skipped) {
            let (w, h) = root.dim_in_pixel();
            let style = style::text(SMALL_PX, MUTED).pos(Pos::new(HPos::Right, VPos::Bottom));
            root.draw(&Text::new(note, (w as i32 - 30, h as i32 - 4), style))?;
        }
        Ok(())
    }
}

// ----- space-time diagram ----------------------------------------------------------------

/// Messages between servers over a time window.
pub(crate) struct MessagesFigure<'a> {
    m: &'a TraceModel,
    subtitle: Vec<String>,
    from_us: u64,
    to_us: u64,
    shown: Vec<&'a Delivery>,
    lost: Vec<&'a Lost>,
    /// What the page says about the window.
    pub(crate) note: String,
}

impl<'a> MessagesFigure<'a> {
    /// Chooses the window and the arrows. The window is the whole trace unless
    /// `opts.window_us`. When more than `opts.max_arrows` messages were sent in it, the ones
    /// that tell the story are kept (election and synchronization messages, and any message
    /// that took far longer than usual, such as one stalled by a partition) and the routine
    /// broadcast and PING traffic is thinned evenly (every k-th) to fill the rest. If even the
    /// kept ones are too many, the window ends where the cap cuts them.
    pub(crate) fn new(m: &'a TraceModel, opts: &TraceOptions) -> MessagesFigure<'a> {
        let (from_us, to_us) = opts.window_us.unwrap_or((0, m.end_us));
        let in_window: Vec<&Delivery> = m.deliveries.iter().filter(|d| d.sent >= from_us && d.sent <= to_us).collect();
        let total = in_window.len();
        let cap = opts.max_arrows;
        let median = Sample::new(in_window.iter().map(|d| d.received - d.sent).collect()).median().unwrap_or(0);
        let slow_us = (median * 20).max(5_000);
        let key =
            |d: &Delivery| matches!(d.class, MsgClass::Election | MsgClass::Sync) || d.received - d.sent > slow_us;
        let (keep, rest): (Vec<&Delivery>, Vec<&Delivery>) = in_window.iter().partition(|d| key(d));
        let mut to_us = to_us;
        let (shown, how) = if total <= cap {
            (in_window, format!("Showing all {} delivered messages", fmt_num(total as f64, 0)))
        } else if keep.len() >= cap {
            to_us = keep.get(cap).map_or(to_us, |d| d.sent);
            let shown: Vec<&Delivery> = keep.into_iter().take(cap).collect();
            let how = format!(
                "Showing the first {} election, sync and delayed messages of {} delivered (arrow cap {cap}); \
                 broadcast and PING traffic left out",
                fmt_num(shown.len() as f64, 0),
                fmt_num(total as f64, 0)
            );
            (shown, how)
        } else {
            let budget = cap - keep.len();
            let step = rest.len().div_ceil(budget.max(1)).max(1);
            let thinned = rest.len().div_ceil(step);
            let kept = keep.len();
            let mut shown: Vec<&Delivery> = keep;
            shown.extend(rest.iter().step_by(step).take(budget).copied());
            shown.sort_by_key(|d| d.sent);
            let how = format!(
                "Showing {} of {} delivered messages (arrow cap {cap}): all {} election, sync and delayed \
                 (> {} ms) ones, and every {} of the broadcast and PING ones ({} of {})",
                fmt_num(shown.len() as f64, 0),
                fmt_num(total as f64, 0),
                fmt_num(kept as f64, 0),
                fmt_num(ms(slow_us), 1),
                ordinal(step),
                fmt_num(thinned.min(budget) as f64, 0),
                fmt_num(rest.len() as f64, 0)
            );
            (shown, how)
        };
        let to_us = to_us.max(from_us + 1000);
        let lost_in_window: Vec<&Lost> = m.lost.iter().filter(|l| l.sent >= from_us && l.sent <= to_us).collect();
        let lost_cap = (cap / 4).max(1);
        let lost_note =
            if lost_in_window.len() > lost_cap { format!(", the first {lost_cap} drawn") } else { String::new() };
        let lost: Vec<&Lost> = lost_in_window.iter().take(lost_cap).copied().collect();
        let range = format!("{}–{} ms", fmt_num(ms(from_us), 1), fmt_num(ms(to_us), 1));
        let note = format!("{how}, sent in {range}.");
        let subtitle = vec![
            note.clone(),
            format!(
                "× sent and never received: {}{lost_note} (crash, closed connection, superseded notification, \
                 or {} still travelling at the end). Not drawn: {} self-messages, {} receives without a send.",
                fmt_num(lost_in_window.len() as f64, 0),
                fmt_num(m.in_flight_at_end as f64, 0),
                fmt_num(m.self_messages as f64, 0),
                fmt_num(m.unmatched_receives as f64, 0),
            ),
        ];
        MessagesFigure { m, subtitle, from_us, to_us, shown, lost, note }
    }

    /// The window, µs.
    pub(crate) fn window(&self) -> (u64, u64) {
        (self.from_us, self.to_us)
    }
}

/// An arrow from `p0` to `p1` in pixels; a head only if `head`.
fn arrow<DB: DrawingBackend>(
    root: &Area<DB>,
    p0: (i32, i32),
    p1: (i32, i32),
    color: RGBColor,
    head: bool,
) -> Result<(), DrawErr> {
    let (dx, dy) = (f64::from(p1.0 - p0.0), f64::from(p1.1 - p0.1));
    let len = (dx * dx + dy * dy).sqrt();
    if !head || len < 10.0 {
        root.draw(&PathElement::new(vec![p0, p1], color.mix(0.8).stroke_width(1)))?;
        return Ok(());
    }
    let (ux, uy) = (dx / len, dy / len);
    let (hl, hw) = (8.0, 3.5);
    let base = (f64::from(p1.0) - ux * hl, f64::from(p1.1) - uy * hl);
    let left = ((base.0 - uy * hw).round() as i32, (base.1 + ux * hw).round() as i32);
    let right = ((base.0 + uy * hw).round() as i32, (base.1 - ux * hw).round() as i32);
    let base = (base.0.round() as i32, base.1.round() as i32);
    root.draw(&PathElement::new(vec![p0, base], color.mix(0.8).stroke_width(1)))?;
    root.draw(&Polygon::new(vec![p1, left, right], color.mix(0.9).filled()))?;
    Ok(())
}

impl Figure for MessagesFigure<'_> {
    fn stem(&self) -> &str {
        "trace-messages"
    }

    fn size(&self) -> (u32, u32) {
        per_server_size(self.m.header.nodes, self.subtitle.len(), 96, 1000)
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr> {
        let m = self.m;
        let n = m.header.nodes;
        let body = chart::header(root, "Messages between servers (space-time diagram)", &self.subtitle)?;
        let (strip, rest) = body.split_vertically(30);
        legend_strip(
            &strip,
            &[
                (Swatch::Arrow(style::MSG_ELECTION), "election (NOTIFICATION)".into()),
                (Swatch::Arrow(style::MSG_SYNC), "discovery & sync".into()),
                (Swatch::Arrow(style::MSG_BROADCAST), "broadcast (REQUEST, PROPOSAL, ACK, COMMIT)".into()),
                (Swatch::Arrow(style::MSG_PING), "PING".into()),
                (Swatch::Cross, "never received".into()),
                (Swatch::Marker, "fault".into()),
            ],
        )?;
        let (x0, x1) = (ms(self.from_us), ms(self.to_us));
        let c = rows_chart(&rest, n, x0, x1)?;
        // Server lines, tinted with the role.
        for (i, segs) in m.segments.iter().enumerate() {
            let y = row(n, i as u8 + 1);
            let a = c.backend_coord(&(x0, y));
            let b = c.backend_coord(&(x1, y));
            root.draw(&PathElement::new(vec![a, b], MUTED.stroke_width(1)))?;
            for seg in segs.iter().filter(|s| s.end > self.from_us && s.start < self.to_us) {
                let (color, alpha) = band_color(seg.kind, seg.phase);
                let p0 = c.backend_coord(&(ms(seg.start.max(self.from_us)), y));
                let p1 = c.backend_coord(&(ms(seg.end.min(self.to_us)), y));
                root.draw(&Rectangle::new([(p0.0, p0.1 - 3), (p1.0, p1.1 + 3)], color.mix(alpha).filled()))?;
            }
        }
        for d in &self.shown {
            let color = msg_color(d.class);
            let (yf, yt) = (row(n, d.from), row(n, d.to));
            let p0 = c.backend_coord(&(ms(d.sent), yf));
            if d.received <= self.to_us {
                let p1 = c.backend_coord(&(ms(d.received), yt));
                arrow(root, p0, p1, color, true)?;
            } else {
                // Still travelling at the right edge: draw up to the edge, no head.
                let f = (self.to_us - d.sent) as f64 / (d.received - d.sent) as f64;
                let p1 = c.backend_coord(&(x1, yf + (yt - yf) * f));
                root.draw(&DashedPathElement::new(vec![p0, p1], 4, 3, color.stroke_width(1)))?;
            }
        }
        for l in &self.lost {
            let p0 = c.backend_coord(&(ms(l.sent), row(n, l.from)));
            let target = c.backend_coord(&(ms(l.sent), row(n, l.to)));
            let end = (p0.0 + 6, p0.1 + (target.1 - p0.1) * 35 / 100);
            root.draw(&DashedPathElement::new(vec![p0, end], 3, 3, FAULT.mix(0.45).stroke_width(1)))?;
            let cross = FAULT.mix(0.85).stroke_width(2);
            root.draw(&PathElement::new(vec![(end.0 - 3, end.1 - 3), (end.0 + 3, end.1 + 3)], cross))?;
            root.draw(&PathElement::new(vec![(end.0 - 3, end.1 + 3), (end.0 + 3, end.1 - 3)], cross))?;
        }
        let markers: Vec<&Marker> =
            m.markers.iter().filter(|mk| mk.t_us >= self.from_us && mk.t_us <= self.to_us).collect();
        let skipped = draw_markers(root, &c, n, &markers)?;
        if let Some(note) = markers_note(skipped) {
            let (w, h) = root.dim_in_pixel();
            let style = style::text(SMALL_PX, MUTED).pos(Pos::new(HPos::Right, VPos::Bottom));
            root.draw(&Text::new(note, (w as i32 - 30, h as i32 - 4), style))?;
        }
        Ok(())
    }
}

/// Size of a figure with one row per server (rows of `row_max` px, all rows within
/// `rows_total` px) under a header, a legend strip and the fault-marker labels.
fn per_server_size(nodes: u8, subtitle_lines: usize, row_max: u32, rows_total: u32) -> (u32, u32) {
    let n = u32::from(nodes);
    (1400, chart::header_height(subtitle_lines) + 30 + MARKER_LABELS_PX + row_px(n, row_max, rows_total) * n + 62)
}
