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

    /// The long deepfake notice, for content that imitates a real person
    /// (`--real-person`, docs/compliance.md). The Kazakh wording awaits a
    /// fluent speaker's check.
    pub fn real_person_long_text(self) -> &'static str {
        match self {
            Lang::Kk => "Нақты адамның бейнесі немесе дауысы жасанды интеллект көмегімен жасалған",
            Lang::Ru => {
                "Изображение или голос реального человека созданы с помощью искусственного интеллекта"
            }
            Lang::En => {
                "This depicts a real person's likeness or voice created with artificial intelligence"
            }
            Lang::KkLatn => {
                "Naqty adamnyñ beinesı nemese dauysy jasandy intellekt kömegımen jasalğan"
            }
        }
    }

    /// The short deepfake notice.
    pub fn real_person_short_text(self) -> &'static str {
        match self {
            Lang::Kk => "Нақты адам: ЖИ жасаған бейне немесе дауыс",
            Lang::Ru => "Реальный человек: образ или голос создан ИИ",
            Lang::En => "Real person: likeness or voice made by AI",
            Lang::KkLatn => "Naqty adam: Jİ jasağan beine nemese dauys",
        }
    }

    /// The sentence of the spoken deepfake disclaimer.
    pub fn real_person_spoken_text(self) -> &'static str {
        match self {
            Lang::Kk => {
                "Бұл материалдағы нақты адамның бейнесі немесе дауысы жасанды интеллект көмегімен жасалған."
            }
            Lang::Ru => {
                "Изображение или голос реального человека в этом материале созданы с помощью искусственного интеллекта."
            }
            Lang::En => {
                "This content depicts a real person's likeness or voice created with artificial intelligence."
            }
            Lang::KkLatn => {
                "Būl materialdağy naqty adamnyñ beinesı nemese dauysy jasandy intellekt kömegımen jasalğan."
            }
        }
    }

    /// Every visible text shipped in this language: the long and short
    /// default notice, then the long and short deepfake notice.
    pub fn visible_texts(self) -> [&'static str; 4] {
        [
            self.long_text(),
            self.short_text(),
            self.real_person_long_text(),
            self.real_person_short_text(),
        ]
    }

    /// The long or short text, default or deepfake notice.
    pub fn text(self, wording: Wording, real_person: bool) -> &'static str {
        match (wording, real_person) {
            (Wording::Long, false) => self.long_text(),
            (Wording::Short, false) => self.short_text(),
            (Wording::Long, true) => self.real_person_long_text(),
            (Wording::Short, true) => self.real_person_short_text(),
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
        Label::shipped(langs, wording, false)
    }

    /// The shipped deepfake notice (content imitating a real person) for
    /// the given languages, in that order.
    pub fn real_person(langs: &[Lang], wording: Wording) -> Self {
        Label::shipped(langs, wording, true)
    }

    fn shipped(langs: &[Lang], wording: Wording, real_person: bool) -> Self {
        let lines = langs
            .iter()
            .map(|&l| LabelLine {
                lang: l.code().to_string(),
                text: l.text(wording, real_person).to_string(),
            })
            .collect();
        Label { lines }
    }

    /// Whether a line is the shipped default notice (long or short) in
    /// some language: what a deepfake label must not show instead of the
    /// deepfake notice.
    pub fn has_default_notice(&self) -> bool {
        self.lines.iter().any(|line| {
            Lang::ALL.iter().any(|l| {
                line.text == l.long_text()
                    || line.text == l.short_text()
                    || line.text == l.spoken_text()
            })
        })
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
    fn real_person_texts_differ_from_the_default_in_every_language() {
        let deep = Label::real_person(&Lang::ALL, Wording::Long);
        assert_eq!(
            deep.lines[1].text,
            "Изображение или голос реального человека созданы с помощью искусственного интеллекта"
        );
        assert!(!deep.has_default_notice());
        assert!(!Label::real_person(&Lang::ALL, Wording::Short).has_default_notice());
        assert!(Label::default().has_default_notice());
        for l in Lang::ALL {
            assert_ne!(l.real_person_spoken_text(), l.spoken_text());
            assert_ne!(l.real_person_short_text(), l.short_text());
        }
    }

    #[test]
    fn parses_languages() {
        assert_eq!("KK".parse::<Lang>().ok(), Some(Lang::Kk));
        assert!("de".parse::<Lang>().is_err());
    }
}
