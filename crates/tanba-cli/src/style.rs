//! The badge's look: `--badge-*` flags and `[badge]` in `tanba.toml`, onto
//! the picture badge, the video's corner badge and opening notice, and the
//! PDF banner's colours. A flag wins over the file; nothing given keeps
//! every default (and so the same output bytes).

use serde::Deserialize;

use tanba::{Error, Result, Settings};

use crate::args::BadgeArgs;

/// `[badge]`: the same settings as the `--badge-*` flags.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BadgeSection {
    /// Text height, % of the displayed shorter side (at least 5).
    pub text_size: Option<f32>,
    /// Box colour, `#RRGGBB`.
    pub color: Option<String>,
    /// Text colour, `#RRGGBB`.
    pub text_color: Option<String>,
    /// Box opacity, 0..=1.
    pub opacity: Option<f32>,
    /// Margin: a number of ems, or a string (`"0.5em"`, `"12px"`).
    pub margin: Option<Margin>,
    /// Corner radius in ems.
    pub radius: Option<f32>,
    /// Widest the badge may be, % of the displayed width.
    pub max_width: Option<f32>,
    /// The PDF banner's text size in points (at least 7).
    pub pdf_text_size: Option<f32>,
}

/// A margin in `tanba.toml`: a number (ems) or a string with its unit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Margin {
    /// Ems of the text size.
    Ems(f32),
    /// `0.5em` or `12px`.
    Text(String),
}

/// The flags over the file, field by field.
fn merged(args: &BadgeArgs, file: &BadgeSection) -> BadgeSection {
    BadgeSection {
        text_size: args.badge_text_size.or(file.text_size),
        color: args.badge_color.clone().or_else(|| file.color.clone()),
        text_color: args
            .badge_text_color
            .clone()
            .or_else(|| file.text_color.clone()),
        opacity: args.badge_opacity.or(file.opacity),
        margin: args
            .badge_margin
            .clone()
            .map(Margin::Text)
            .or_else(|| file.margin.clone()),
        radius: args.badge_radius.or(file.radius),
        max_width: args.badge_max_width.or(file.max_width),
        pdf_text_size: args.badge_pdf_text_size.or(file.pdf_text_size),
    }
}

/// Applies the badge settings to the labelers that draw a badge; refuses
/// a text size under the legal floor or an unreadable contrast before any
/// file is touched.
#[cfg(feature = "image")]
pub(crate) fn apply(settings: &mut Settings, args: &BadgeArgs, file: &BadgeSection) -> Result<()> {
    let given = merged(args, file);
    pdf_text_size(settings, given.pdf_text_size)?;
    let only_pdf = BadgeSection {
        pdf_text_size: given.pdf_text_size,
        ..BadgeSection::default()
    };
    if given == only_pdf {
        return Ok(());
    }
    let style = badge_style(&given)?;
    settings.image.style = style.clone();
    #[cfg(feature = "video")]
    {
        settings.video.style = style.clone();
    }
    #[cfg(feature = "pdf")]
    if given.color.is_some() || given.text_color.is_some() || given.opacity.is_some() {
        settings.pdf.colors = Some(tanba::pdf::BannerColors {
            box_color: style.box_color,
            text_color: style.text_color,
            box_opacity: style.box_opacity,
        });
    }
    Ok(())
}

/// The PDF banner's text size, refused under the PDF minimum.
#[cfg(feature = "pdf")]
fn pdf_text_size(settings: &mut Settings, pt: Option<f32>) -> Result<()> {
    let floor = tanba::pdf::MIN_TEXT_PT;
    match pt {
        Some(pt) if pt.is_nan() || pt < floor => Err(Error::config(format!(
            "PDF banner text size {pt} pt is under the minimum: at least {floor} pt"
        ))),
        Some(pt) => {
            settings.pdf.text_size_pt = Some(pt);
            Ok(())
        }
        None => Ok(()),
    }
}

#[cfg(not(feature = "pdf"))]
fn pdf_text_size(_: &mut Settings, pt: Option<f32>) -> Result<()> {
    crate::settings::not_built("pdf", pt.is_some())
}

/// Without pictures built there is no badge to style.
#[cfg(not(feature = "image"))]
pub(crate) fn apply(settings: &mut Settings, args: &BadgeArgs, file: &BadgeSection) -> Result<()> {
    let given = merged(args, file);
    pdf_text_size(settings, given.pdf_text_size)?;
    let only_pdf = BadgeSection {
        pdf_text_size: given.pdf_text_size,
        ..BadgeSection::default()
    };
    crate::settings::not_built("image", given != only_pdf)
}

/// The default style with what was given, checked.
#[cfg(feature = "image")]
fn badge_style(given: &BadgeSection) -> Result<tanba::image::BadgeStyle> {
    use tanba::image::{BadgeStyle, MIN_TEXT_FRACTION};
    let mut style = BadgeStyle::default();
    if let Some(pct) = given.text_size {
        let floor = MIN_TEXT_FRACTION * 100.0;
        if pct.is_nan() || pct < floor {
            return Err(Error::config(format!(
                "badge text size {pct}% is under the legal floor: the text must be at least \
                 {floor}% of the picture's shorter side"
            )));
        }
        style.min_text_fraction = pct / 100.0;
    }
    if let Some(c) = &given.color {
        style.box_color = parse_color(c, "badge colour")?;
    }
    if let Some(c) = &given.text_color {
        style.text_color = parse_color(c, "badge text colour")?;
    }
    if let Some(o) = given.opacity {
        style.box_opacity = o;
    }
    match &given.margin {
        Some(Margin::Ems(ems)) => style.margin_em = *ems,
        Some(Margin::Text(text)) => match parse_margin(text)? {
            (ems, None) => style.margin_em = ems,
            (_, Some(px)) => style.margin_px = Some(px),
        },
        None => {}
    }
    if let Some(r) = given.radius {
        style.radius_em = r;
    }
    if let Some(pct) = given.max_width {
        style.max_width_fraction = pct / 100.0;
    }
    style.validate()?;
    Ok(style)
}

/// `#RRGGBB` (the `#` may be left out).
fn parse_color(text: &str, what: &str) -> Result<[u8; 3]> {
    let hex = text.trim().trim_start_matches('#');
    let bad = || Error::config(format!("{what} {text:?}: use #RRGGBB, e.g. #101010"));
    if hex.len() != 6 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut rgb = [0u8; 3];
    for (i, c) in rgb.iter_mut().enumerate() {
        *c = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(rgb)
}

/// `0.5`, `0.5em` (ems) or `12px` (pixels): (ems, pixels).
fn parse_margin(text: &str) -> Result<(f32, Option<u32>)> {
    let t = text.trim();
    let bad = || {
        Error::config(format!(
            "badge margin {text:?}: give ems (0.5 or 0.5em) or pixels (12px)"
        ))
    };
    if let Some(px) = t.strip_suffix("px") {
        let px = px.trim().parse::<u32>().map_err(|_| bad())?;
        return Ok((0.0, Some(px)));
    }
    let ems = t.strip_suffix("em").unwrap_or(t).trim();
    let ems = ems.parse::<f32>().map_err(|_| bad())?;
    Ok((ems, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_margins_parse() {
        assert_eq!(parse_color("#FFdd00", "c").unwrap(), [255, 221, 0]);
        assert_eq!(parse_color("101010", "c").unwrap(), [16, 16, 16]);
        assert!(parse_color("#FFF", "c").is_err());
        assert!(parse_color("#GG0000", "c").is_err());
        assert_eq!(parse_margin("12px").unwrap(), (0.0, Some(12)));
        assert_eq!(parse_margin("0.25em").unwrap(), (0.25, None));
        assert_eq!(parse_margin("1").unwrap(), (1.0, None));
        assert!(parse_margin("1cm").is_err());
    }

    #[test]
    fn toml_numbers_and_strings_both_read() {
        let s: BadgeSection =
            toml::from_str("text_size = 6\nopacity = 0.9\nmargin = 1\nmax_width = 60").unwrap();
        assert_eq!(s.text_size, Some(6.0));
        assert_eq!(s.margin, Some(Margin::Ems(1.0)));
        let s: BadgeSection = toml::from_str("margin = \"8px\"\ncolor = \"#000000\"").unwrap();
        assert_eq!(s.margin, Some(Margin::Text("8px".into())));
    }
}
