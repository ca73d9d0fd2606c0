//! Yes/no answers.

use std::sync::OnceLock;

use super::{Language, Locale, ModelResult};
use crate::text::{self, matches_at, phrase};

/// Recognizes a yes (`true`) or no (`false`) answer in `utterance`.
///
/// Matching is on whole words, ignores case, accents and punctuation, and finds the answer
/// inside a longer phrase (`yes please`, `sure thing`, `no thanks`, `oui, bien sûr`). When
/// several answers appear, the longest phrase wins (`of course not` is no, although it contains
/// `of course`), then the earliest. Phrases that are neither (`not sure`, `maybe`, `je ne sais
/// pas`, `不知道`) give `None` when they are the longest match, so a prompt asks again rather than
/// guess.
///
/// The word lists follow the spirit of BotBuilder's Recognizers-Text boolean data, with more
/// synonyms: English (`yes`, `y`, `yeah`, `yep`, `sure`, `ok`, `of course`, `affirmative`;
/// `no`, `n`, `nope`, `nah`, `not`, `negative`, ...), French, Spanish, German, Portuguese and
/// Chinese; `ok`, `okay`, 👍, 👌, ✅ and 👎, ✋, 🖐, ❌ in every language.
///
/// ```
/// use botbuilder_dialogs::recognizers::{recognize_boolean, Locale};
///
/// let answer = |text: &str, locale: &str| {
///     recognize_boolean(text, &Locale::parse(locale)).map(|r| r.resolution)
/// };
/// assert_eq!(answer("Yes please!", "en-US"), Some(true));
/// assert_eq!(answer("no thanks", "en-US"), Some(false));
/// assert_eq!(answer("of course not", "en-US"), Some(false));
/// assert_eq!(answer("not sure", "en-US"), None);
/// assert_eq!(answer("nothing", "en-US"), None);
/// assert_eq!(answer("Nein, danke", "de-DE"), Some(false));
/// assert_eq!(answer("好的", "zh-CN"), Some(true));
///
/// let found = recognize_boolean("well, sure thing", &Locale::default()).unwrap();
/// assert_eq!(found.text, "sure thing");
/// ```
#[must_use]
pub fn recognize_boolean(utterance: &str, locale: &Locale) -> Option<ModelResult<bool>> {
    let lexemes = text::words(utterance);
    let lexicon = lexicon(locale.language());
    // (length in lexemes, start index, value); longest first, then earliest.
    let mut best: Option<(usize, usize, Option<bool>)> = None;
    for i in 0..lexemes.len() {
        for (tokens, value) in lexicon {
            if matches_at(&lexemes, i, tokens) && best.is_none_or(|(len, _, _)| tokens.len() > len)
            {
                best = Some((tokens.len(), i, *value));
            }
        }
    }
    let (len, i, value) = best?;
    let value = value?;
    let span = lexemes[i].start..lexemes[i + len - 1].end;
    Some(ModelResult::new(utterance, span, "boolean", value))
}

type Lexicon = Vec<(Vec<String>, Option<bool>)>;

fn lexicon(language: Language) -> &'static Lexicon {
    static CACHE: [OnceLock<Lexicon>; 6] = [const { OnceLock::new() }; 6];
    let slot = Language::ALL
        .iter()
        .position(|l| *l == language)
        .unwrap_or(0);
    CACHE[slot].get_or_init(|| {
        let (yes, no, neither) = words(language);
        let mut out = Lexicon::new();
        for (list, value) in [
            (yes, Some(true)),
            (UNIVERSAL_YES, Some(true)),
            (no, Some(false)),
            (UNIVERSAL_NO, Some(false)),
            (neither, None),
        ] {
            out.extend(
                list.iter()
                    .map(|p| (phrase(p), value))
                    .filter(|(p, _)| !p.is_empty()),
            );
        }
        out
    })
}

const UNIVERSAL_YES: &[&str] = &[
    "ok",
    "okay",
    "\u{1F44D}",
    "\u{1F44C}",
    "\u{2705}",
    "\u{2714}",
];
const UNIVERSAL_NO: &[&str] = &["\u{1F44E}", "\u{270B}", "\u{1F590}", "\u{274C}", "\u{2716}"];

/// (yes, no, neither) phrases, written as users type them; accents and case do not matter.
fn words(
    language: Language,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
) {
    match language {
        Language::English => (
            &[
                "yes",
                "y",
                "yeah",
                "yea",
                "yep",
                "yup",
                "ya",
                "yah",
                "aye",
                "sure",
                "sure thing",
                "of course",
                "affirmative",
                "true",
                "agree",
                "i agree",
                "certainly",
                "definitely",
                "absolutely",
                "indeed",
                "correct",
                "that's right",
                "right on",
                "alright",
                "all right",
                "sounds good",
                "go ahead",
                "please do",
                "why not",
                "k",
                "kk",
                "yessir",
                "yes sir",
                "you bet",
                "by all means",
                "okey dokey",
            ],
            &[
                "no",
                "n",
                "nope",
                "nah",
                "nay",
                "not",
                "negative",
                "false",
                "disagree",
                "never",
                "no way",
                "not ok",
                "not okay",
                "of course not",
                "absolutely not",
                "certainly not",
                "definitely not",
                "not really",
                "not at all",
                "no thanks",
                "no thank you",
                "no sir",
                "by no means",
                "i don't",
                "don't",
                "do not",
                "i do not",
                "not now",
            ],
            &[
                "not sure",
                "i'm not sure",
                "maybe",
                "perhaps",
                "possibly",
                "dunno",
                "i don't know",
                "don't know",
                "no idea",
                "i have no idea",
                "not certain",
                "it depends",
            ],
        ),
        Language::French => (
            &[
                "oui",
                "ouais",
                "ouai",
                "si",
                "bien sûr",
                "bien sur",
                "c'est sûr",
                "d'accord",
                "daccord",
                "ok",
                "exactement",
                "absolument",
                "certainement",
                "tout à fait",
                "volontiers",
                "ça marche",
                "ca marche",
                "vrai",
                "j'accepte",
                "accepter",
                "approuver",
                "consentir",
                "yep",
                "avec plaisir",
                "carrément",
                "évidemment",
                "parfait",
                "entendu",
                "c'est ça",
                "oui merci",
            ],
            &[
                "non",
                "nan",
                "pas",
                "pas d'accord",
                "faux",
                "jamais",
                "absolument pas",
                "pas du tout",
                "certainement pas",
                "non merci",
                "n'est pas correct",
                "n'est pas ok",
                "surtout pas",
                "bien sûr que non",
                "pas question",
                "hors de question",
                "pas vraiment",
                "refuser",
            ],
            &[
                "peut-être",
                "peut être",
                "je ne sais pas",
                "je sais pas",
                "sais pas",
                "pas sûr",
                "pas sure",
                "aucune idée",
                "je ne suis pas sûr",
                "ça dépend",
            ],
        ),
        Language::Spanish => (
            &[
                "sí",
                "si",
                "s",
                "sip",
                "claro",
                "claro que sí",
                "por supuesto",
                "vale",
                "de acuerdo",
                "verdad",
                "verdadero",
                "cierto",
                "correcto",
                "afirmativo",
                "desde luego",
                "está bien",
                "dale",
                "sin duda",
                "exacto",
                "perfecto",
                "sí gracias",
                "con gusto",
                "obvio",
            ],
            &[
                "no",
                "n",
                "nop",
                "falso",
                "negativo",
                "nunca",
                "jamás",
                "para nada",
                "claro que no",
                "por supuesto que no",
                "de ninguna manera",
                "ni hablar",
                "en absoluto",
                "incorrecto",
                "no gracias",
            ],
            &[
                "no sé",
                "no lo sé",
                "quizás",
                "quizá",
                "tal vez",
                "a lo mejor",
                "no estoy seguro",
                "no estoy segura",
                "ni idea",
                "depende",
            ],
        ),
        Language::German => (
            &[
                "ja",
                "j",
                "jep",
                "jap",
                "jo",
                "jawohl",
                "klar",
                "na klar",
                "sicher",
                "sicherlich",
                "mit sicherheit",
                "einverstanden",
                "genau",
                "richtig",
                "gerne",
                "gern",
                "auf jeden fall",
                "natürlich",
                "natuerlich",
                "selbstverständlich",
                "wahr",
                "mache ich",
                "in ordnung",
                "passt",
                "stimmt",
                "bitte",
                "ja bitte",
                "ja gerne",
                "okay",
                "alles klar",
            ],
            &[
                "nein",
                "ne",
                "nö",
                "noe",
                "nee",
                "n",
                "falsch",
                "nicht",
                "nicht ok",
                "nicht okay",
                "nicht einverstanden",
                "auf keinen fall",
                "niemals",
                "nie",
                "keineswegs",
                "nein danke",
                "natürlich nicht",
                "sicher nicht",
                "bestimmt nicht",
                "lieber nicht",
                "gar nicht",
            ],
            &[
                "vielleicht",
                "weiß nicht",
                "weiss nicht",
                "ich weiß nicht",
                "keine ahnung",
                "nicht sicher",
                "ich bin nicht sicher",
                "kommt darauf an",
                "mal sehen",
            ],
        ),
        Language::Portuguese => (
            &[
                "sim",
                "s",
                "claro",
                "claro que sim",
                "com certeza",
                "certamente",
                "certo",
                "isso",
                "isso mesmo",
                "verdade",
                "verdadeiro",
                "verdadeira",
                "positivo",
                "beleza",
                "tudo bem",
                "está bem",
                "tá bom",
                "ta bom",
                "de acordo",
                "exato",
                "exatamente",
                "perfeito",
                "pois",
                "pois é",
                "sim obrigado",
                "sim obrigada",
            ],
            &[
                "não",
                "nao",
                "n",
                "falso",
                "incorreto",
                "nada disso",
                "nunca",
                "jamais",
                "negativo",
                "de jeito nenhum",
                "claro que não",
                "de modo nenhum",
                "não obrigado",
                "não obrigada",
            ],
            &[
                "talvez",
                "não sei",
                "sei lá",
                "pode ser",
                "não tenho certeza",
                "nem ideia",
                "depende",
            ],
        ),
        Language::Chinese => (
            &[
                "是",
                "是的",
                "对",
                "对的",
                "好",
                "好的",
                "好啊",
                "好呀",
                "好吧",
                "好嘞",
                "行",
                "可以",
                "没问题",
                "同意",
                "当然",
                "当然可以",
                "嗯",
                "嗯嗯",
                "确定",
                "没错",
                "对啊",
                "要",
                "需要",
                "愿意",
                "好滴",
            ],
            &[
                "不",
                "不是",
                "不是的",
                "不对",
                "不行",
                "不好",
                "不要",
                "不可以",
                "不用",
                "不用了",
                "没有",
                "拒绝",
                "否",
                "否定",
                "不同意",
                "算了",
                "不需要",
                "不愿意",
                "别",
                "当然不",
                "错",
            ],
            &[
                "不知道",
                "不确定",
                "也许",
                "可能",
                "或许",
                "不一定",
                "看情况",
                "再说吧",
            ],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str, locale: &str) -> Option<bool> {
        recognize_boolean(text, &Locale::parse(locale)).map(|r| r.resolution)
    }

    #[test]
    fn english_table() {
        let cases = [
            ("yes", Some(true)),
            ("Y", Some(true)),
            ("YES!!!", Some(true)),
            ("yeah", Some(true)),
            ("yep", Some(true)),
            ("sure", Some(true)),
            ("ok", Some(true)),
            ("Okay.", Some(true)),
            ("of course", Some(true)),
            ("affirmative", Some(true)),
            ("yes please", Some(true)),
            ("sure thing", Some(true)),
            ("why not", Some(true)),
            ("👍", Some(true)),
            ("👍🏽", Some(true)),
            ("no", Some(false)),
            ("N", Some(false)),
            ("nope", Some(false)),
            ("nah", Some(false)),
            ("not", Some(false)),
            ("negative", Some(false)),
            ("no thanks", Some(false)),
            ("of course not", Some(false)),
            ("absolutely not", Some(false)),
            ("not ok", Some(false)),
            ("I don't think so", Some(false)),
            ("👎", Some(false)),
            ("not sure", None),
            ("maybe", None),
            ("I don't know", None),
            ("nothing", None),
            ("yesterday", None),
            ("know", None),
            ("", None),
            ("   ", None),
            ("banana", None),
        ];
        for (text, expected) in cases {
            assert_eq!(answer(text, "en-US"), expected, "{text:?}");
        }
    }

    #[test]
    fn other_languages_table() {
        let cases = [
            ("fr-FR", "oui", Some(true)),
            ("fr-FR", "Bien sûr", Some(true)),
            ("fr-FR", "bien sur", Some(true)),
            ("fr-FR", "d'accord", Some(true)),
            ("fr-FR", "d’accord", Some(true)),
            ("fr-FR", "ça marche", Some(true)),
            ("fr-FR", "non merci", Some(false)),
            ("fr-FR", "pas du tout", Some(false)),
            ("fr-FR", "bien sûr que non", Some(false)),
            ("fr-FR", "je ne sais pas", None),
            ("es-ES", "sí", Some(true)),
            ("es-ES", "Si, claro", Some(true)),
            ("es-ES", "por supuesto", Some(true)),
            ("es-ES", "vale", Some(true)),
            ("es-ES", "no, gracias", Some(false)),
            ("es-ES", "claro que no", Some(false)),
            ("es-ES", "no sé", None),
            ("de-DE", "Ja", Some(true)),
            ("de-DE", "na klar", Some(true)),
            ("de-DE", "natürlich", Some(true)),
            ("de-DE", "Nein", Some(false)),
            ("de-DE", "nö", Some(false)),
            ("de-DE", "auf keinen Fall", Some(false)),
            ("de-DE", "keine Ahnung", None),
            ("pt-BR", "sim", Some(true)),
            ("pt-BR", "com certeza", Some(true)),
            ("pt-BR", "não", Some(false)),
            ("pt-BR", "nao", Some(false)),
            ("pt-BR", "claro que não", Some(false)),
            ("pt-BR", "não sei", None),
            ("zh-CN", "是的", Some(true)),
            ("zh-CN", "好", Some(true)),
            ("zh-CN", "没问题", Some(true)),
            ("zh-CN", "不是", Some(false)),
            ("zh-CN", "不行", Some(false)),
            ("zh-CN", "不好", Some(false)),
            ("zh-CN", "不知道", None),
            ("zh-CN", "ok", Some(true)),
            ("ja-JP", "yes", Some(true)),
            ("xx", "no", Some(false)),
        ];
        for (locale, text, expected) in cases {
            assert_eq!(answer(text, locale), expected, "{locale} {text:?}");
        }
    }

    #[test]
    fn words_do_not_leak_between_languages() {
        assert_eq!(answer("oui", "en-US"), None);
        assert_eq!(answer("yes", "fr-FR"), None);
        assert_eq!(answer("ja", "en-US"), None);
    }

    #[test]
    fn span_is_the_matched_phrase() {
        let text = "Hmm... of course NOT!";
        let r = recognize_boolean(text, &Locale::default()).unwrap();
        assert_eq!(r.text, "of course NOT");
        assert_eq!(&text[r.span()], "of course NOT");
        assert_eq!(r.type_name, "boolean");
    }

    #[test]
    fn every_lexicon_phrase_is_recognized_as_itself() {
        for language in Language::ALL {
            let (yes, no, neither) = words(language);
            let locale = Locale::from(language);
            for (list, expected) in [(yes, Some(true)), (no, Some(false)), (neither, None)] {
                for p in list {
                    assert_eq!(
                        recognize_boolean(p, &locale).map(|r| r.resolution),
                        expected,
                        "{language:?} {p:?}"
                    );
                }
            }
        }
    }
}
