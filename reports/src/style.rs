//! The look of every chart: the bundled font, colours, sizes and number formats, in one place
//! so that all charts match and nothing depends on the machine that draws them.

use crate::error::ReportError;
use plotters::style::{FontStyle, IntoFont, RGBColor, TextStyle};
use std::sync::OnceLock;

/// DejaVu Sans, shipped in the repository (reports/fonts, license beside it). The PNGs are
/// rasterised with it through plotters' ab_glyph backend, so no system font is consulted.
static FONT_BYTES: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The family name the font is registered under. It is also what the SVGs name in their
/// `font-family` attributes: a CSS list, so a browser without DejaVu Sans falls back to its
/// own sans-serif font.
pub(crate) const FONT_FAMILY: &str = "DejaVu Sans, sans-serif";

/// Registers the bundled font with plotters, once per process.
pub(crate) fn ensure_font() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [FontStyle::Normal, FontStyle::Bold, FontStyle::Italic, FontStyle::Oblique]
            .into_iter()
            .all(|style| plotters::style::register_font(FONT_FAMILY, style, FONT_BYTES).is_ok())
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::Font("reports/fonts/DejaVuSans.ttf is not a valid TrueType font".into()))
    }
}

/// Chart title size, px.
pub(crate) const TITLE_PX: f64 = 24.0;
/// Subtitle and note size, px.
pub(crate) const SUBTITLE_PX: f64 = 15.0;
/// Axis description size, px.
pub(crate) const AXIS_DESC_PX: f64 = 16.0;
/// Tick label size, px.
pub(crate) const TICK_PX: f64 = 14.0;
/// Legend text size, px.
pub(crate) const LEGEND_PX: f64 = 14.0;
/// Small labels inside the plot (bands, markers), px.
pub(crate) const SMALL_PX: f64 = 12.0;
/// Height of the title block above every chart, px.
pub(crate) const HEADER_PX: u32 = 72;
/// Left margin of titles, px.
pub(crate) const MARGIN_PX: i32 = 16;

/// Near-black for text and axes.
pub(crate) const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Grey for subtitles and notes.
pub(crate) const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
/// Light grid lines.
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// Background.
pub(crate) const BACKGROUND: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);
/// Faults: windows, markers.
pub(crate) const FAULT: RGBColor = RGBColor(0xD6, 0x27, 0x28);

/// Series colours (Tableau 10), assigned in a fixed order: cluster sizes sorted ascending,
/// fault kinds in order of first appearance.
pub(crate) const SERIES: [RGBColor; 10] = [
    RGBColor(0x1F, 0x77, 0xB4),
    RGBColor(0xFF, 0x7F, 0x0E),
    RGBColor(0x2C, 0xA0, 0x2C),
    RGBColor(0xD6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xBD),
    RGBColor(0x8C, 0x56, 0x4B),
    RGBColor(0xE3, 0x77, 0xC2),
    RGBColor(0x7F, 0x7F, 0x7F),
    RGBColor(0xBC, 0xBD, 0x22),
    RGBColor(0x17, 0xBE, 0xCF),
];

/// The i-th series colour (cycling).
pub(crate) fn series(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// Role band: LOOKING.
pub(crate) const LOOKING: RGBColor = RGBColor(0xF2, 0xA9, 0x00);
/// Role band: FOLLOWING.
pub(crate) const FOLLOWING: RGBColor = RGBColor(0x4C, 0x8E, 0xDA);
/// Role band: LEADING.
pub(crate) const LEADING: RGBColor = RGBColor(0x1B, 0x9E, 0x5A);
/// Role band: a role the viewer does not know (e.g. OBSERVING).
pub(crate) const OTHER_ROLE: RGBColor = RGBColor(0x9A, 0x7F, 0xC6);
/// Role band: crashed.
pub(crate) const DOWN: RGBColor = RGBColor(0xC8, 0xC8, 0xC8);
/// Overlay for a paused process.
pub(crate) const PAUSED: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// Client operation: ok (Jepsen's `:ok`).
pub(crate) const OP_OK: RGBColor = RGBColor(0x1B, 0x9E, 0x5A);
/// Client operation: failed (`:fail`, it did not take effect).
pub(crate) const OP_FAILED: RGBColor = RGBColor(0xC2, 0x18, 0x5B);
/// Client operation: unknown (`:info`, a lost write or one pending at the end).
pub(crate) const OP_UNKNOWN: RGBColor = RGBColor(0xF2, 0xA9, 0x00);

/// Messages: election (NOTIFICATION).
pub(crate) const MSG_ELECTION: RGBColor = RGBColor(0xE0, 0x7B, 0x00);
/// Messages: discovery and synchronization.
pub(crate) const MSG_SYNC: RGBColor = RGBColor(0x9C, 0x3F, 0xB0);
/// Messages: broadcast (REQUEST, PROPOSAL, ACK, COMMIT...).
pub(crate) const MSG_BROADCAST: RGBColor = RGBColor(0x1F, 0x6F, 0xB4);
/// Messages: PING.
pub(crate) const MSG_PING: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// Text in the bundled font.
pub(crate) fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&color)
}

/// A number for a tick label or a table: at most `decimals` decimals, trailing zeros
/// dropped, thousands separated by commas ("12,500", "0.25"). Deterministic.
pub(crate) fn fmt_num(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), f.trim_end_matches('0').to_string()),
        None => (s.clone(), String::new()),
    };
    let mut grouped = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let negative = v < 0.0 && (int.chars().any(|c| c != '0') || !frac.is_empty());
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// A tick label: up to 3 decimals.
pub(crate) fn tick(v: &f64) -> String {
    fmt_num(*v, 3)
}

/// µs as a human duration in ms for tables and notes ("218.2 ms", "10,155 ms").
pub(crate) fn fmt_ms(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    let decimals = if ms >= 1000.0 {
        0
    } else if ms >= 10.0 {
        1
    } else {
        2
    };
    format!("{} ms", fmt_num(ms, decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(fmt_num(12500.0, 3), "12,500");
        assert_eq!(fmt_num(0.25, 3), "0.25");
        assert_eq!(fmt_num(1234567.891, 1), "1,234,567.9");
        assert_eq!(fmt_num(-0.0001, 3), "0");
        assert_eq!(fmt_num(-12.5, 1), "-12.5");
        assert_eq!(fmt_num(100.0, 0), "100");
        assert_eq!(fmt_ms(218_229), "218.2 ms");
        assert_eq!(fmt_ms(10_155_139), "10,155 ms");
        assert_eq!(fmt_ms(950), "0.95 ms");
    }
}
