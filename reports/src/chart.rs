//! The plumbing every chart shares: one drawing routine renders to both SVG and PNG, the
//! title block, the "no data" placeholder, and the axis and legend styling.

use crate::error::ReportError;
use crate::style::{self, BACKGROUND, GRID, HEADER_PX, MARGIN_PX, MUTED, SUBTITLE_PX, TEXT, TITLE_PX};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
pub(crate) use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// A drawing area in pixels.
pub(crate) type Area<DB> = DrawingArea<DB, Shift>;

/// A plotters failure while drawing, as text (the backends' error types differ).
#[derive(Debug)]
pub(crate) struct DrawErr(pub(crate) String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawErr {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawErr(e.to_string())
    }
}

/// A chart that can draw itself on any plotters backend.
pub(crate) trait Figure {
    /// File stem: `<stem>.svg` and `<stem>.png`.
    fn stem(&self) -> &str;
    /// Size in pixels (the same for SVG and PNG).
    fn size(&self) -> (u32, u32);
    /// Draws onto a blank (white) root area.
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Result<(), DrawErr>;
}

/// Renders `fig` as `<stem>.svg` and `<stem>.png` in `out_dir`; returns both paths.
pub(crate) fn write_figure<F: Figure>(out_dir: &Path, fig: &F) -> Result<[PathBuf; 2], ReportError> {
    let (w, h) = fig.size();
    let draw_err = |e: DrawErr| ReportError::Draw { chart: fig.stem().to_string(), message: e.0 };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        render(&root, fig).map_err(draw_err)?;
    }
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        render(&root, fig).map_err(draw_err)?;
    }
    let png = encode_png(&rgb, w, h).map_err(|m| ReportError::Draw { chart: fig.stem().to_string(), message: m })?;

    let svg_path = out_dir.join(format!("{}.svg", fig.stem()));
    let png_path = out_dir.join(format!("{}.png", fig.stem()));
    std::fs::write(&svg_path, svg.as_bytes()).map_err(|e| ReportError::io(&svg_path, e))?;
    std::fs::write(&png_path, png).map_err(|e| ReportError::io(&png_path, e))?;
    Ok([svg_path, png_path])
}

fn render<DB: DrawingBackend, F: Figure>(root: &Area<DB>, fig: &F) -> Result<(), DrawErr> {
    root.fill(&BACKGROUND)?;
    fig.draw(root)?;
    root.present()?;
    Ok(())
}

/// RGB8 to PNG with fixed settings and no time or text chunks: same pixels, same bytes.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        enc.set_filter(png::FilterType::Paeth);
        enc.set_adaptive_filter(png::AdaptiveFilterType::NonAdaptive);
        let mut writer = enc.write_header().map_err(|e| format!("PNG encoding: {e}"))?;
        writer.write_image_data(rgb).map_err(|e| format!("PNG encoding: {e}"))?;
        writer.finish().map_err(|e| format!("PNG encoding: {e}"))?;
    }
    Ok(out)
}

/// Height of a title block with `lines` subtitle lines.
pub(crate) fn header_height(lines: usize) -> u32 {
    HEADER_PX + 20 * lines.saturating_sub(1) as u32
}

/// Draws the title and the subtitle lines at the top; returns the area below them.
pub(crate) fn header<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
    subtitle: &[String],
) -> Result<Area<DB>, DrawErr> {
    let height = header_height(subtitle.len());
    let (top, body) = root.split_vertically(height);
    top.draw(&Text::new(title.to_string(), (MARGIN_PX, 12), style::text(TITLE_PX, TEXT)))?;
    for (k, line) in subtitle.iter().enumerate() {
        top.draw(&Text::new(line.clone(), (MARGIN_PX, 44 + 20 * k as i32), style::text(SUBTITLE_PX, MUTED)))?;
    }
    Ok(body)
}

/// A centred grey message (lines split on newlines) where a chart has no data.
pub(crate) fn placeholder<DB: DrawingBackend>(area: &Area<DB>, message: &str) -> Result<(), DrawErr> {
    let (w, h) = area.dim_in_pixel();
    let style = style::text(style::AXIS_DESC_PX, MUTED).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Rectangle::new([(20, 10), (w as i32 - 20, h as i32 - 20)], GRID.stroke_width(1)))?;
    let lines: Vec<&str> = message.lines().collect();
    let top = h as i32 / 2 - 12 * (lines.len() as i32 - 1);
    for (k, line) in lines.iter().enumerate() {
        area.draw(&Text::new(line.to_string(), (w as i32 / 2, top + 24 * k as i32), style.clone()))?;
    }
    Ok(())
}

/// A panel title (small multiples), drawn at the top-left of `area`; returns the area below.
pub(crate) fn panel_title<DB: DrawingBackend>(area: &Area<DB>, title: &str) -> Result<Area<DB>, DrawErr> {
    let (top, body) = area.split_vertically(28);
    top.draw(&Text::new(title.to_string(), (70, 6), style::text(style::AXIS_DESC_PX + 1.0, TEXT)))?;
    Ok(body)
}

/// Rows and columns for `k` panels.
pub(crate) fn panel_grid(k: usize) -> (usize, usize) {
    let cols = match k {
        0 | 1 => 1,
        2 | 4 => 2,
        _ => 3,
    };
    (k.max(1).div_ceil(cols), cols)
}

/// The house mesh style: light grid, dark axes, bundled font. Used as
/// `styled_mesh!(chart).x_desc(..).y_desc(..).draw()?`.
macro_rules! styled_mesh {
    ($chart:expr) => {
        $chart
            .configure_mesh()
            .bold_line_style($crate::style::GRID.stroke_width(1))
            .max_light_lines(0)
            .axis_style($crate::style::TEXT.stroke_width(1))
            .label_style($crate::style::text($crate::style::TICK_PX, $crate::style::TEXT))
            .axis_desc_style($crate::style::text($crate::style::AXIS_DESC_PX, $crate::style::TEXT))
            .set_all_tick_mark_size(4)
    };
}
pub(crate) use styled_mesh;

/// The house legend: top-left or wherever asked, white box, bundled font.
macro_rules! styled_legend {
    ($chart:expr, $pos:expr) => {
        $chart
            .configure_series_labels()
            .position($pos)
            .margin(10)
            .legend_area_size(26)
            .background_style($crate::style::BACKGROUND.mix(0.9))
            .border_style($crate::style::GRID.stroke_width(1))
            .label_font($crate::style::text($crate::style::LEGEND_PX, $crate::style::TEXT))
            .draw()
    };
}
pub(crate) use styled_legend;

/// Pads a data range for plotting: 5% each side, at least `min_pad`, never equal ends.
pub(crate) fn padded(lo: f64, hi: f64, min_pad: f64) -> (f64, f64) {
    let pad = ((hi - lo) * 0.05).max(min_pad);
    (lo - pad, hi + pad)
}

/// A linear f64 axis whose ticks are exactly the given values (grid values, server rows,
/// category indices) rather than plotters' "nice" numbers.
#[derive(Clone, Debug)]
pub(crate) struct KeyedAxis {
    lo: f64,
    hi: f64,
    keys: Vec<f64>,
}

impl KeyedAxis {
    /// An axis from `lo` to `hi` with ticks at `keys`.
    pub(crate) fn new(lo: f64, hi: f64, keys: Vec<f64>) -> KeyedAxis {
        KeyedAxis { lo, hi, keys }
    }
}

impl Ranged for KeyedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        // As plotters maps its own f64 axes.
        let span = self.hi - self.lo;
        if span == 0.0 {
            return (limit.1 - limit.0) / 2;
        }
        let t = (v - self.lo) / span;
        let len = limit.1 - limit.0;
        if !t.is_finite() || len == 0 {
            return limit.1;
        }
        if len > 0 {
            limit.0 + (f64::from(len) * t + 1e-3).floor() as i32
        } else {
            limit.0 + (f64::from(len) * t - 1e-3).ceil() as i32
        }
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            // Light grid lines: none (the bold ones are the keys).
            return Vec::new();
        }
        self.keys.iter().copied().filter(|k| (self.lo.min(self.hi)..=self.lo.max(self.hi)).contains(k)).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}
