//! The languages an employee reads clockface in: English and Spanish. The mobile clock chooses
//! one on the device; the public policy page takes `?lang=` or the browser's Accept-Language;
//! the biometric notice and release are written in each, and a signature records which one was read.

use crate::DomainError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Language {
    #[default]
    #[serde(rename = "en")]
    English,
    #[serde(rename = "es")]
    Spanish,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::Spanish];

    /// The BCP 47 code: `en`, `es`.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
        }
    }

    /// The language's name in itself, for a link that switches to it.
    pub fn name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Spanish => "Español",
        }
    }

    /// `en` or `es`, or a tag of either (`es-MX`).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let primary = raw.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        Language::ALL
            .into_iter()
            .find(|l| l.code() == primary)
            .ok_or_else(|| DomainError::invalid("language", "must be en (English) or es (Spanish)"))
    }

    /// The language an `Accept-Language` header prefers most among ours (by its q-values, first
    /// listed on a tie); English when it names none of them.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Language)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
            if let Ok(language) = Language::parse(tag) {
                if q > 0.0 && best.is_none_or(|(top, _)| q > top) {
                    best = Some((q, language));
                }
            }
        }
        best.map_or(Language::English, |(_, language)| language)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_tags_are_read_and_anything_else_is_refused() {
        assert_eq!(Language::parse("es").unwrap(), Language::Spanish);
        assert_eq!(Language::parse("es-MX").unwrap(), Language::Spanish);
        assert_eq!(Language::parse("EN_us").unwrap(), Language::English);
        assert!(Language::parse("fr").is_err() && Language::parse("").is_err() && Language::parse("esp").is_err());
    }

    #[test]
    fn accept_language_picks_the_most_wanted_of_ours() {
        assert_eq!(Language::from_accept_language("es-MX,es;q=0.9,en;q=0.8"), Language::Spanish);
        assert_eq!(Language::from_accept_language("en-US,en;q=0.9,es;q=0.8"), Language::English);
        assert_eq!(Language::from_accept_language("fr-FR, es;q=0.5"), Language::Spanish, "French is not ours: the next one");
        assert_eq!(Language::from_accept_language("en;q=0.2, es;q=0.7"), Language::Spanish, "by q, not by order");
        assert_eq!(Language::from_accept_language("es;q=0"), Language::English, "q=0 means not wanted");
        assert_eq!(Language::from_accept_language(""), Language::English);
        assert_eq!(Language::from_accept_language("*"), Language::English);
    }
}
