//! Verification of a labelled SVG: the marks in our `<metadata>`, and our
//! label group: present, drawn last (on top), not hidden (`display:none`,
//! `visibility:hidden`, zero opacity, no fill, on the group or anything in
//! it, a transform, clip path, mask or filter on them, or a style sheet
//! that names it), its text the manifest's label, and
//! its text size at least the style's fraction of the shorter side of the
//! picture as it is now (a `viewBox` enlarged since would shrink it).

use tanba_core::{
    Error, Limits, Manifest, Mark, MarkKind, PerceptibleCheck, Result, Verification, xmp,
};

use super::scan::{self, Attrs, Doc, Group, attr};
use super::{canvas, text};
use crate::{ImageSettings, SVG};

/// Verifies an SVG document.
pub(crate) fn verify(
    bytes: &[u8],
    limits: &Limits,
    settings: &ImageSettings,
) -> Result<Verification> {
    let doc = scan::scan(text(bytes, limits)?, limits)?;
    let found = doc
        .marks
        .as_ref()
        .and_then(|r| xmp::find_packet(&bytes[r.clone()]))
        .map(xmp::read)
        .transpose()?;
    let mut marks = Vec::new();
    let mut manifest = None;
    if let Some(m) = found {
        if m.digital_source_type.is_some() {
            marks.push(Mark::new(MarkKind::Xmp, "SVG metadata XMP"));
        }
        if m.aigc.is_some() {
            marks.push(Mark::new(MarkKind::Aigc, "XMP TC260:AIGC"));
        }
        if let Some(parsed) = m.parsed_manifest() {
            manifest = Some(parsed?);
            marks.push(Mark::new(MarkKind::Manifest, "XMP tanba:Manifest"));
        }
    }
    let Some(manifest) = manifest else {
        let mut v = Verification::unmarked(&SVG, "no Tanba manifest in the SVG's metadata");
        v.marks = marks;
        return Ok(v);
    };
    let fraction = f64::from(settings.style.min_text_fraction);
    let perceptible = check_group(&doc, &manifest, fraction)?;
    Ok(Verification::new(&SVG, marks, Some(manifest), perceptible))
}

/// Why the group would not be seen, if it would not.
fn check_group(doc: &Doc, manifest: &Manifest, fraction: f64) -> Result<PerceptibleCheck> {
    let Some(group) = &doc.group else {
        return Ok(PerceptibleCheck::missing(
            "no label group (#tanba-label) in the SVG",
        ));
    };
    if !doc.group_on_top {
        return Ok(PerceptibleCheck::missing(
            "the label group is not the last element of the SVG, so something may cover it",
        ));
    }
    if let Some(why) = &doc.sheet_threat {
        return Ok(PerceptibleCheck::missing(format!(
            "{why}, and could hide the label"
        )));
    }
    // The root's own transform, opacity, mask … apply to the label too.
    let root = ("svg".to_string(), doc.root.clone());
    let mut elements = std::iter::once(&root).chain(&group.elements);
    if let Some(why) = elements.find_map(|(n, a)| hidden(n, a)) {
        return Ok(PerceptibleCheck::missing(format!(
            "the label is hidden: {why}"
        )));
    }
    let shown = words(&group.texts.join(" "));
    let expected = words(
        &manifest
            .label
            .lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    );
    if shown != expected {
        return Ok(PerceptibleCheck::missing(format!(
            "the label group's text {shown:?} is not the manifest's label {expected:?}"
        )));
    }
    let shorter = canvas::canvas(&doc.root)?.shorter();
    let size = smallest_font_size(group)
        .ok_or_else(|| Error::malformed("the label's text has no font size"))?;
    let floor = shorter * fraction;
    // Three decimals are written: allow their rounding.
    if size + 0.001 < floor {
        return Ok(PerceptibleCheck::missing(format!(
            "the label's text is {size} units, under {:.1} % of the shorter side ({floor:.3})",
            fraction * 100.0
        )));
    }
    Ok(PerceptibleCheck::found(format!(
        "label group on top, {} text line(s) of {size} units ({:.1} % of the shorter side)",
        group.texts.len(),
        size / shorter * 100.0
    )))
}

/// The words of `s`, whitespace runs being one separator.
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A declaration of an element's `style` attribute, or else the attribute.
fn property<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    let from_style = attr(attrs, "style").and_then(|s| {
        s.split(';').rev().find_map(|d| {
            let (k, v) = d.split_once(':')?;
            (k.trim() == name).then(|| v.trim())
        })
    });
    from_style.or_else(|| attr(attrs, name).map(str::trim))
}

/// Why an element of the group would not be seen, if it would not.
fn hidden(element: &str, attrs: &Attrs) -> Option<String> {
    let is = |name: &str, bad: &[&str]| {
        property(attrs, name)
            .filter(|v| bad.contains(&v.trim_end_matches("!important").trim()))
            .map(|v| format!("{name}: {v} on <{element}>"))
    };
    let zero = |name: &str| {
        property(attrs, name)
            .filter(|v| {
                v.trim_end_matches('%')
                    .trim()
                    .parse::<f64>()
                    .is_ok_and(|o| o < 0.1)
            })
            .map(|v| format!("{name}: {v} on <{element}>"))
    };
    is("display", &["none"])
        .or_else(|| is("visibility", &["hidden", "collapse"]))
        .or_else(|| zero("opacity"))
        .or_else(|| (element == "text").then(|| zero("fill-opacity")).flatten())
        .or_else(|| {
            (element == "text")
                .then(|| is("fill", &["none", "transparent"]))
                .flatten()
        })
        .or_else(|| attr(attrs, "transform").map(|t| format!("transform {t:?} on <{element}>")))
        .or_else(|| {
            ["transform", "clip-path", "mask", "filter"]
                .into_iter()
                .find_map(|p| property(attrs, p).filter(|v| *v != "none").map(|v| (p, v)))
                .map(|(p, v)| format!("{p}: {v} on <{element}>"))
        })
}

/// The smallest font size of the group's `<text>` elements, in user units.
fn smallest_font_size(group: &Group) -> Option<f64> {
    group
        .elements
        .iter()
        .filter(|(n, _)| n == "text")
        .map(|(_, a)| property(a, "font-size").and_then(canvas::length_px))
        .collect::<Option<Vec<f64>>>()?
        .into_iter()
        .reduce(f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(style: &str) -> Attrs {
        vec![("style".to_string(), style.to_string())]
    }

    #[test]
    fn hidden_by_any_of_the_usual_properties() {
        assert!(hidden("g", &a("display:inline;opacity:1")).is_none());
        assert!(hidden("g", &a("display: none")).is_some());
        // The last declaration wins, as in CSS.
        assert!(hidden("g", &a("display:inline;display:none")).is_some());
        assert!(hidden("g", &a("display:none;display:inline")).is_none());
        assert!(hidden("g", &a("opacity:0")).is_some());
        assert!(hidden("rect", &a("visibility:hidden")).is_some());
        assert!(hidden("text", &a("fill:none")).is_some());
        assert!(hidden("text", &vec![("opacity".into(), "0".into())]).is_some());
        assert!(hidden("g", &vec![("transform".into(), "scale(0)".into())]).is_some());
        assert!(hidden("g", &a("opacity:1;transform:none;mask:none")).is_none());
        assert!(hidden("rect", &a("transform:none;mask:url(#m)")).is_some());
        assert!(hidden("text", &vec![("filter".into(), "url(#blank)".into())]).is_some());
    }
}
