//! The space-time diagram: one line per server, an arrow per delivered message in a time
//! window (thinned to an arrow cap), a cross per message never received, faults on top.

use super::{band_color, draw_markers, markers_note, per_server_size, row, rows_chart};
use crate::chart::{self, Area, DashedPathElement, DrawErr, Figure};
use crate::legend::{legend_strip, Swatch};
use crate::stats::{ms, Sample};
use crate::style::{self, fmt_num, FAULT, MUTED, SMALL_PX};
use crate::trace_model::{Delivery, Lost, Marker, MsgClass, TraceModel};
use crate::TraceOptions;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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

fn msg_color(class: MsgClass) -> RGBColor {
    match class {
        MsgClass::Election => style::MSG_ELECTION,
        MsgClass::Sync => style::MSG_SYNC,
        MsgClass::Broadcast => style::MSG_BROADCAST,
        MsgClass::Ping => style::MSG_PING,
    }
}

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
