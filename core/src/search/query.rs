//! What a visitor types into a search box, turned into terms that cannot break either
//! database's query syntax. There are no operators: every term must match. A term is a word,
//! a `"quoted phrase"`, or a word ending in `*` (a prefix). Only runs of letters and digits
//! reach the database; everything else (quotes, brackets, `-`, `:`, `^`, emoji, control
//! characters) separates words, as the databases' own tokenizers would.

use crate::error::{ApiError, ApiResult};

/// Longer queries are refused: nobody types more, and it bounds the work per request.
pub const MAX_QUERY_CHARS: usize = 200;

/// A prefix shorter than this would match most of the index; it is searched as a word.
const MIN_PREFIX_CHARS: usize = 2;

/// One thing that must match: a run of words next to each other (one word is a phrase of
/// one), the last of them perhaps only the start of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Letters and digits only; never empty.
    pub words: Vec<String>,
    /// The last word is a prefix (`pill*` finds "pillars").
    pub prefix: bool,
}

/// A parsed query: at least one term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms(Vec<Term>);

impl Terms {
    pub fn iter(&self) -> impl Iterator<Item = &Term> {
        self.0.iter()
    }

    /// The FTS5 `MATCH` expression: each term a double-quoted string (a phrase), a prefix
    /// term followed by `*`; terms side by side must all match.
    pub fn fts5(&self) -> String {
        let quoted = self.0.iter().map(|term| {
            let phrase = term.words.join(" ").replace('"', "\"\"");
            let star = if term.prefix { "*" } else { "" };
            format!("\"{phrase}\"{star}")
        });
        quoted.collect::<Vec<_>>().join(" ")
    }
}

/// Parses a query. A blank query, a query with no letter or digit, or one longer than
/// [`MAX_QUERY_CHARS`] is bad input in `query`.
pub fn parse(input: &str) -> ApiResult<Terms> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_input(
            "query",
            format!("a search query is at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let mut terms = Vec::new();
    // Between quotes (odd pieces) is a phrase; an unclosed quote runs to the end.
    for (n, piece) in input.split('"').enumerate() {
        if n % 2 == 1 {
            let words = words(piece);
            if !words.is_empty() {
                terms.push(Term { words, prefix: false });
            }
            continue;
        }
        for token in piece.split_whitespace() {
            let stem = token.trim_end_matches('*');
            let words = words(stem);
            let Some(last) = words.last() else { continue };
            let prefix = stem.len() < token.len() && last.chars().count() >= MIN_PREFIX_CHARS;
            terms.push(Term { words, prefix });
        }
    }
    if terms.is_empty() {
        return Err(ApiError::bad_input("query", "search for at least one word"));
    }
    Ok(Terms(terms))
}

/// The runs of letters and digits in `text`.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fts5(input: &str) -> String {
        parse(input).map(|t| t.fts5()).unwrap_or_else(|e| format!("error {}", e.code()))
    }

    /// A well-formed FTS5 string built here: quoted strings of letters, digits and spaces,
    /// each perhaps followed by `*`, separated by single spaces.
    fn well_formed(fts: &str) -> bool {
        let mut rest = fts;
        loop {
            let Some(body) = rest.strip_prefix('"') else { return false };
            let Some(end) = body.find('"') else { return false };
            let phrase = &body[..end];
            if phrase.is_empty() || !phrase.chars().all(|c| c.is_alphanumeric() || c == ' ') {
                return false;
            }
            rest = &body[end + 1..];
            rest = rest.strip_prefix('*').unwrap_or(rest);
            if rest.is_empty() {
                return true;
            }
            let Some(next) = rest.strip_prefix(' ') else { return false };
            rest = next;
        }
    }

    #[test]
    fn words_phrases_and_prefixes() {
        assert_eq!(fts5("nine pillars"), r#""nine" "pillars""#);
        assert_eq!(fts5(r#""nine pillars" of greatness"#), r#""nine pillars" "of" "greatness""#);
        assert_eq!(fts5("pill*"), r#""pill"*"#);
        assert_eq!(fts5("great pill**"), r#""great" "pill"*"#);
        assert_eq!(fts5("p*"), r#""p""#, "a one-letter prefix is a word");
        assert_eq!(fts5("foo-bar"), r#""foo bar""#, "joined words stay together");
        assert_eq!(fts5("Café naïve"), r#""Café" "naïve""#);
        assert_eq!(fts5(r#""nine pill"*"#), r#""nine pill""#, "a quoted phrase is never a prefix");
    }

    #[test]
    fn blank_or_wordless_queries_are_bad_input() {
        for input in ["", "   ", "\t\n", "\"\"", "***", "(", "-", "😀🎉", "\0\0", "\" \""] {
            let err = parse(input).expect_err(input);
            assert_eq!(err.code(), "BAD_USER_INPUT", "{input:?}");
            assert!(matches!(err, ApiError::BadUserInput { ref field, .. } if field == "query"));
        }
    }

    #[test]
    fn long_queries_are_bad_input() {
        assert!(parse(&"a".repeat(MAX_QUERY_CHARS)).is_ok());
        assert!(parse(&"a".repeat(MAX_QUERY_CHARS + 1)).is_err());
        assert!(parse(&"é".repeat(MAX_QUERY_CHARS)).is_ok(), "characters, not bytes");
        assert_eq!(fts5(&"x ".repeat(5_000)), "error BAD_USER_INPUT");
    }

    #[test]
    fn hostile_input_gives_a_well_formed_match_string() {
        let hostile = [
            r#"""#,
            r#"a "b"#,
            r#"a" b"#,
            r#""""a"""#,
            r#"a""b"#,
            "a OR b",
            "a OR",
            "NOT a",
            "a AND NOT b",
            "NEAR(a b, 2)",
            "NEAR(",
            "a NEAR/2 b",
            "title:a",
            "{title body}: a",
            "^a",
            "-a +b",
            "a* *b *",
            "(a OR b) AND c)",
            "a'b; DROP TABLE content_items; --",
            "a\0b",
            "a\u{1}b\u{2}",
            "e\u{301}cole",
            "日本語 テキスト",
            "emoji 😀 a👍b",
            "a:* & b | !c <-> d",
            "\\\"a\\\"",
            "%_a_%",
        ];
        for input in hostile {
            if !input.chars().any(char::is_alphanumeric) {
                assert_eq!(fts5(input), "error BAD_USER_INPUT", "{input:?}");
                continue;
            }
            let fts = fts5(input);
            assert!(well_formed(&fts), "{input:?} gave {fts:?}");
        }
    }

    #[test]
    fn operators_are_words() {
        assert_eq!(fts5("a OR b"), r#""a" "OR" "b""#);
        assert_eq!(fts5("NEAR(a b)"), r#""NEAR a" "b""#);
        assert_eq!(fts5("title:a"), r#""title a""#);
    }

    #[test]
    fn quotes_inside_words_are_doubled() {
        // Words never hold quotes, but the escaping must stand on its own.
        let terms = Terms(vec![Term { words: vec!["a\"b".into()], prefix: false }]);
        assert_eq!(terms.fts5(), r#""a""b""#);
    }
}
