//! Snippets safe to put into a page: the databases mark matches with two control
//! characters, and everything else is HTML-escaped here before the marks become `<mark>`.

/// Put before a match by the database; no text a person writes holds it (and one that
/// does only moves a highlight: marks are balanced below).
pub const START: char = '\u{1}';
/// Put after a match by the database.
pub const END: char = '\u{2}';

/// The database's snippet as HTML: text escaped, matches in `<mark>…</mark>`, runs of
/// whitespace (Markdown's line breaks) as one space. `None` when nothing is left.
pub fn to_html(raw: &str) -> Option<String> {
    let mut html = String::with_capacity(raw.len() + 32);
    let mut open = false;
    let mut space = false;
    for c in raw.trim().chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            html.push(' ');
            space = false;
        }
        match c {
            START if !open => {
                html.push_str("<mark>");
                open = true;
            }
            END if open => {
                html.push_str("</mark>");
                open = false;
            }
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c if c.is_control() => {}
            c => html.push(c),
        }
    }
    if open {
        html.push_str("</mark>");
    }
    let html = html.replace("<mark></mark>", "");
    (!html.is_empty()).then_some(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_are_marked_and_the_rest_escaped() {
        let raw = "the \u{1}nine\u{2} <b>pillars</b> & \"more\" 'x'";
        assert_eq!(
            to_html(raw).unwrap(),
            "the <mark>nine</mark> &lt;b&gt;pillars&lt;/b&gt; &amp; &quot;more&quot; &#39;x&#39;"
        );
    }

    #[test]
    fn marks_stay_balanced_whatever_the_text_holds() {
        assert_eq!(to_html("a \u{2}b\u{1}c").unwrap(), "a b<mark>c</mark>");
        assert_eq!(to_html("\u{1}a\u{1}b\u{2}\u{2}").unwrap(), "<mark>ab</mark>");
        assert_eq!(to_html("\u{1}\u{2}x").unwrap(), "x");
    }

    #[test]
    fn whitespace_and_control_characters_are_tidied() {
        assert_eq!(to_html("  a\n\nb\t c\u{7}\0 ").unwrap(), "a b c");
        assert_eq!(to_html(" \n "), None);
    }
}
