//! The role timeline: one band per server and role (LOOKING / FOLLOWING / LEADING, shaded by
//! Zab phase), labelled with the epoch and the last zxid, with pauses and faults on top.

use super::{band_color, draw_markers, markers_note, per_server_size, row, rows_chart};
use crate::chart::{self, Area, DrawErr, Figure};
use crate::legend::{legend_strip, Swatch};
use crate::stats::ms;
use crate::style::{self, fmt_num, GRID, MUTED, SMALL_PX, TEXT};
use crate::trace_model::{Marker, RoleKind, Segment, TraceModel};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
