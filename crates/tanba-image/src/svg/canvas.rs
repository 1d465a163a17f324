//! The user-space rectangle an SVG shows: its `viewBox`, or without one its
//! `width` and `height` in absolute units (CSS pixels, as user units are
//! then). The label is sized and placed in these units, so it scales with
//! the picture however large it is drawn.

use tanba_core::{Error, Result};

use super::scan::{Attrs, attr};

/// The visible rectangle in user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Canvas {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Canvas {
    /// The shorter side, in user units.
    pub fn shorter(&self) -> f64 {
        self.w.min(self.h)
    }
}

/// The canvas of a root `<svg>` with `attrs`.
pub(crate) fn canvas(attrs: &Attrs) -> Result<Canvas> {
    if let Some(vb) = attr(attrs, "viewBox") {
        let n: Vec<f64> = vb
            .split(|c: char| c.is_ascii_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(str::parse::<f64>)
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::malformed(format!("SVG viewBox {vb:?} is not four numbers")))?;
        return match n[..] {
            [x, y, w, h] if n.iter().all(|v| v.is_finite()) && w > 0.0 && h > 0.0 => {
                Ok(sliced(Canvas { x, y, w, h }, attrs))
            }
            _ => Err(Error::malformed(format!(
                "SVG viewBox {vb:?} is not four numbers with a positive width and height"
            ))),
        };
    }
    let side = |name: &str| -> Result<f64> {
        let v = attr(attrs, name).ok_or_else(|| no_size(name))?;
        length_px(v).ok_or_else(|| no_size(name))
    };
    Ok(Canvas {
        x: 0.0,
        y: 0.0,
        w: side("width")?,
        h: side("height")?,
    })
}

/// The part of the viewBox `vb` that is shown when `preserveAspectRatio`
/// says `slice` and the viewport (absolute `width` and `height`) has
/// another shape: the viewBox is scaled to cover it and the overflow is
/// cut off, so the label must sit inside what remains. Otherwise (`meet`,
/// the default, or `none`) the whole viewBox is shown.
fn sliced(vb: Canvas, attrs: &Attrs) -> Canvas {
    let par = attr(attrs, "preserveAspectRatio").unwrap_or_default();
    let (Some(vw), Some(vh)) = (
        attr(attrs, "width").and_then(length_px),
        attr(attrs, "height").and_then(length_px),
    ) else {
        return vb;
    };
    if !par.contains("slice") || par.contains("none") {
        return vb;
    }
    let scale = (vw / vb.w).max(vh / vb.h);
    let (w, h) = (vw / scale, vh / scale);
    let place = |start: f64, full: f64, shown: f64, min: &str, max: &str| {
        if par.contains(min) {
            start
        } else if par.contains(max) {
            start + full - shown
        } else {
            start + (full - shown) / 2.0
        }
    };
    Canvas {
        x: place(vb.x, vb.w, w, "xMin", "xMax"),
        y: place(vb.y, vb.h, h, "YMin", "YMax"),
        w,
        h,
    }
}

fn no_size(which: &str) -> Error {
    Error::unsupported(format!(
        "SVG with no viewBox and no absolute {which}: its size depends on where it is shown, \
         so the label cannot be sized to it"
    ))
}

/// An absolute length in CSS pixels (`12`, `12px`, `3.5mm`, `2in` …);
/// `None` for relative units (`%`, `em`) and nonsense.
pub(crate) fn length_px(v: &str) -> Option<f64> {
    let v = v.trim();
    let split = v
        .find(|c: char| c.is_ascii_alphabetic() || c == '%')
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.trim().parse().ok()?;
    let per = match unit.trim() {
        "" | "px" => 1.0,
        "pt" => 96.0 / 72.0,
        "pc" => 16.0,
        "in" => 96.0,
        "cm" => 96.0 / 2.54,
        "mm" => 96.0 / 25.4,
        "q" | "Q" => 96.0 / 101.6,
        _ => return None,
    };
    let px = n * per;
    (px.is_finite() && px > 0.0).then_some(px)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Attrs {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn view_box_wins_then_absolute_sizes() {
        let c = canvas(&attrs(&[("viewBox", "-5,10 200 100"), ("width", "50%")])).unwrap();
        assert_eq!(
            c,
            Canvas {
                x: -5.0,
                y: 10.0,
                w: 200.0,
                h: 100.0
            }
        );
        let c = canvas(&attrs(&[("width", "210mm"), ("height", "1in")])).unwrap();
        assert!((c.w - 793.7).abs() < 0.1 && (c.h - 96.0).abs() < 1e-9);
        assert!(canvas(&attrs(&[("width", "100%"), ("height", "10")])).is_err());
        assert!(canvas(&attrs(&[])).is_err());
        assert!(canvas(&attrs(&[("viewBox", "0 0 0 10")])).is_err());
        assert!(canvas(&attrs(&[("viewBox", "0 0 a 10")])).is_err());
        // `slice` shows only the middle of a square viewBox in a wide viewport.
        let wide = [
            ("viewBox", "0 0 100 100"),
            ("width", "200"),
            ("height", "100"),
        ];
        let c = canvas(&attrs(&[
            wide[0],
            wide[1],
            wide[2],
            ("preserveAspectRatio", "xMidYMid slice"),
        ]))
        .unwrap();
        assert_eq!(
            c,
            Canvas {
                x: 0.0,
                y: 25.0,
                w: 100.0,
                h: 50.0
            }
        );
        let c = canvas(&attrs(&[
            wide[0],
            wide[1],
            wide[2],
            ("preserveAspectRatio", "xMinYMax slice"),
        ]))
        .unwrap();
        assert_eq!(
            c,
            Canvas {
                x: 0.0,
                y: 50.0,
                w: 100.0,
                h: 50.0
            }
        );
        let meet = canvas(&attrs(&wide)).unwrap();
        assert_eq!(
            meet,
            Canvas {
                x: 0.0,
                y: 0.0,
                w: 100.0,
                h: 100.0
            }
        );
    }
}
