//! The visible label: the texts of docs/compliance.md in Kazakh, Russian and English.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// A language Tanba ships label texts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Kazakh, the state language: always first by default.
    Kk,
    /// Russian, an official language.
    Ru,
    /// English.
    En,
    /// Kazakh in the official Latin alphabet of 2021 (BCP 47 `kk-Latn`),
    /// transliterated letter by letter from the Cyrillic texts.
    #[serde(rename = "kk-Latn")]
    KkLatn,
}

impl Lang {
    /// Every shipped language, in the default order.
    pub const ALL: [Lang; 4] = [Lang::Kk, Lang::Ru, Lang::En, Lang::KkLatn];

    /// The BCP 47 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
            Lang::KkLatn => "kk-Latn",
        }
    }

    /// The long visible text.
    pub fn long_text(self) -> &'static str {
        match self {
            Lang::Kk => "Жасанды интеллект көмегімен жасалған",
            Lang::Ru => "Создано с помощью искусственного интеллекта",
            Lang::En => "Created with artificial intelligence",
            Lang::KkLatn => "Jasandy intellekt kömegımen jasalğan",
        }
    }

    /// The short visible text.
    pub fn short_text(self) -> &'static str {
        match self {
            Lang::Kk => "ЖИ көмегімен жасалған",
            Lang::Ru => "Создано с помощью ИИ",
            Lang::En => "Created with AI",
            Lang::KkLatn => "Jİ kömegımen jasalğan",
        }
    }

    /// The sentence of the spoken disclaimer.
    pub fn spoken_text(self) -> &'static str {
        match self {
            Lang::Kk => "Бұл материал жасанды интеллект көмегімен жасалған.",
            Lang::Ru => "Этот материал создан с помощью искусственного интеллекта.",
            Lang::En => "This content was created with artificial intelligence.",
            Lang::KkLatn => "Būl material jasandy intellekt kömegımen jasalğan.",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "kk" | "kaz" | "kazakh" => Ok(Lang::Kk),
            "ru" | "rus" | "russian" => Ok(Lang::Ru),
            "en" | "eng" | "english" => Ok(Lang::En),
            "kk-latn" | "kk_latn" => Ok(Lang::KkLatn),
            other => Err(Error::config(format!(
                "unknown language {other:?} (use kk, kk-Latn, ru or en)"
            ))),
        }
    }
}

/// Long or short wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wording {
    /// "Жасанды интеллект көмегімен жасалған".
    #[default]
    Long,
    /// "ЖИ көмегімен жасалған".
    Short,
}

impl FromStr for Wording {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "long" => Ok(Wording::Long),
            "short" => Ok(Wording::Short),
            other => Err(Error::config(format!(
                "unknown wording {other:?} (use long or short)"
            ))),
        }
    }
}

/// One line of the label in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelLine {
    /// BCP 47 language code (`kk`, `ru`, `en`, or the caller's own).
    pub lang: String,
    /// The text shown.
    pub text: String,
}

/// The visible label: one line per language, in display order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// The lines, first shown first.
    pub lines: Vec<LabelLine>,
}

impl Default for Label {
    /// Kazakh then Russian, long wording: what public notices here carry.
    fn default() -> Self {
        Label::standard(&[Lang::Kk, Lang::Ru], Wording::Long)
    }
}

impl Label {
    /// The shipped texts for the given languages, in that order.
    pub fn standard(langs: &[Lang], wording: Wording) -> Self {
        let lines = langs
            .iter()
            .map(|&l| LabelLine {
                lang: l.code().to_string(),
                text: match wording {
                    Wording::Long => l.long_text(),
                    Wording::Short => l.short_text(),
                }
                .to_string(),
            })
            .collect();
        Label { lines }
    }

    /// Caller-supplied lines (`(lang, text)` pairs). Empty texts are refused:
    /// a label nobody can read is no label.
    pub fn custom<L: Into<String>, T: Into<String>>(
        lines: impl IntoIterator<Item = (L, T)>,
    ) -> Result<Self> {
        let lines: Vec<LabelLine> = lines
            .into_iter()
            .map(|(lang, text)| LabelLine {
                lang: lang.into(),
                text: text.into(),
            })
            .collect();
        if lines.is_empty() || lines.iter().any(|l| l.text.trim().is_empty()) {
            return Err(Error::config(
                "a custom label needs at least one non-empty line",
            ));
        }
        if lines.iter().any(|l| l.text.contains(['\n', '\r'])) {
            return Err(Error::config("a label line may not contain a line break"));
        }
        Ok(Label { lines })
    }

    /// The lines' texts, in order.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|l| l.text.as_str())
    }

    /// All lines joined with `sep`, for one-line carriers (text notices, cues).
    pub fn joined(&self, sep: &str) -> String {
        self.texts().collect::<Vec<_>>().join(sep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_kazakh_then_russian() {
        let l = Label::default();
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.lines[0].lang, "kk");
        assert_eq!(l.lines[0].text, "Жасанды интеллект көмегімен жасалған");
        assert_eq!(
            l.lines[1].text,
            "Создано с помощью искусственного интеллекта"
        );
    }

    #[test]
    fn short_english() {
        let l = Label::standard(&[Lang::En], Wording::Short);
        assert_eq!(l.joined(" / "), "Created with AI");
    }

    #[test]
    fn custom_rejects_empty() {
        assert!(Label::custom(Vec::<(String, String)>::new()).is_err());
        assert!(Label::custom([("kk", " ")]).is_err());
        assert!(Label::custom([("kk", "a\nb")]).is_err());
        assert!(Label::custom([("kk", "ЖИ")]).is_ok());
    }

    #[test]
    fn kazakh_latin_is_the_2021_transliteration() {
        let l = Label::standard(&[Lang::KkLatn, Lang::Ru], Wording::Long);
        assert_eq!(l.lines[0].lang, "kk-Latn");
        assert_eq!(l.lines[0].text, "Jasandy intellekt kömegımen jasalğan");
        assert_eq!(Lang::KkLatn.short_text(), "Jİ kömegımen jasalğan");
        assert_eq!("kk-Latn".parse::<Lang>().ok(), Some(Lang::KkLatn));
        assert_eq!(serde_json::to_string(&Lang::KkLatn).unwrap(), "\"kk-Latn\"");
    }

    #[test]
    fn parses_languages() {
        assert_eq!("KK".parse::<Lang>().ok(), Some(Lang::Kk));
        assert!("de".parse::<Lang>().is_err());
    }
}
