//! Markdown to safe HTML: rendered with pulldown-cmark, then sanitised with ammonia, which
//! removes scripts, event handlers and `javascript:` URLs. Footnotes keep the ids their
//! links need, prefixed so that they cannot clash with the page around them; task lists
//! keep their checkboxes, disabled.

use pulldown_cmark::{Event, Options, Parser, html};

use crate::actor::Actor;
use crate::error::ApiResult;

/// What every id in rendered content starts with, and every in-page link's target.
pub const ID_PREFIX: &str = "quire-";

/// Stand-ins for a task's checkbox while the HTML is sanitised (no `<input>` gets through
/// the sanitiser); private-use characters, removed from what the writer typed.
const CHECKED: char = '\u{E000}';
const UNCHECKED: char = '\u{E001}';

/// Markdown rendered for staff exactly as saving renders it, for a live preview while
/// they write. The public may not ask: it would be free rendering work for anyone.
pub fn preview(actor: &Actor, markdown: &str) -> ApiResult<String> {
    actor.require_staff()?;
    // As long as any body a save accepts, counted the same way.
    super::validate::limit("markdown", Some(markdown), super::validate::MAX_BODY)?;
    Ok(to_safe_html(markdown))
}

pub fn to_safe_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS;
    let markdown = markdown.replace([CHECKED, UNCHECKED], "");
    let events = Parser::new_ext(&markdown, options).map(|event| match event {
        Event::TaskListMarker(true) => Event::Text(CHECKED.to_string().into()),
        Event::TaskListMarker(false) => Event::Text(UNCHECKED.to_string().into()),
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events);
    sanitiser()
        .clean(&unsafe_html)
        .to_string()
        .replace(CHECKED, r#"<input type="checkbox" disabled="" checked="">"#)
        .replace(UNCHECKED, r#"<input type="checkbox" disabled="">"#)
}

fn sanitiser() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tag_attributes("div", ["id"])
        .add_allowed_classes("div", ["footnote-definition"])
        .add_allowed_classes("sup", ["footnote-reference", "footnote-definition-label"])
        .add_allowed_classes("li", ["task-list-item"])
        .add_allowed_classes("ul", ["contains-task-list"])
        .id_prefix(Some(ID_PREFIX))
        .attribute_filter(|_, attribute, value| {
            // In-page links point at the prefixed ids.
            match (attribute, value.strip_prefix('#')) {
                ("href", Some(target)) if !target.starts_with(ID_PREFIX) => {
                    Some(format!("#{ID_PREFIX}{target}").into())
                }
                _ => Some(value.into()),
            }
        });
    builder
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn renders_markdown() {
        let html = to_safe_html("# Title\n\nSome *emphasis* and a [link](https://example.org).");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<em>emphasis</em>"));
        assert!(html.contains("href=\"https://example.org\""));
    }

    #[test]
    fn removes_scripts_handlers_and_javascript_urls() {
        let html = to_safe_html(
            "<script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n[x](javascript:alert(3))\n\n<a href=\"javascript:alert(4)\">y</a>",
        );
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("onerror"), "{html}");
        assert!(!lower.contains("javascript:"), "{html}");
    }

    #[test]
    fn footnote_links_reach_their_notes_by_prefixed_ids() {
        let html = to_safe_html("Text with a note.[^1]\n\n[^1]: The note.");
        assert!(html.contains(r##"href="#quire-1""##), "{html}");
        assert!(html.contains(r#"id="quire-1""#), "{html}");
        assert!(html.contains("The note."), "{html}");
    }

    #[test]
    fn task_lists_keep_disabled_checkboxes_and_writers_cannot_add_inputs() {
        let html = to_safe_html("- [x] done\n- [ ] to do");
        assert!(html.contains(r#"<input type="checkbox" disabled="" checked="">done"#), "{html}");
        assert!(html.contains(r#"<input type="checkbox" disabled="">to do"#), "{html}");
        let typed =
            to_safe_html("<input type=\"text\" name=\"card\"> \u{E000} <form action=\"x\">");
        assert!(!typed.contains("<input"), "{typed}");
        assert!(!typed.contains("<form"), "{typed}");
    }
}
