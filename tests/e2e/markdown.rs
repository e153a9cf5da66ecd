//! Markdown as writers use it: footnotes whose links reach their notes, task lists with
//! their checkboxes, and nothing a writer types that could run or post a form.

use serde_json::json;

use crate::fixtures::{editor, published};
use crate::support::{TestApp, data, e2e};

async fn footnotes_and_task_lists_survive_sanitising(app: TestApp) {
    let token = editor(&app).await;
    let body = "Text with a note.[^1]\n\n- [x] done\n- [ ] to do\n\n[^1]: The note.\n\n<input type=\"text\">";
    let input = format!("{{ title: \"Notes\", body: {} }}", json!(body));
    published(&app, &token, "NewsArticle", &input).await;
    let response = app.gql("{ newsArticle(slug: \"notes\") { bodyHtml } }", json!({})).await;
    let html = data(&response)["newsArticle"]["bodyHtml"].as_str().unwrap().to_string();
    // The link's target exists, under an id that cannot clash with the page's own.
    let target = html.split("href=\"#").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    assert!(target.starts_with("quire-"), "{html}");
    assert!(html.contains(&format!("id=\"{target}\"")), "{html}");
    assert!(html.contains(r#"<input type="checkbox" disabled="" checked="">done"#), "{html}");
    assert!(html.contains(r#"<input type="checkbox" disabled="">to do"#), "{html}");
    assert_eq!(html.matches("<input").count(), 2, "{html}");
}
e2e!(footnotes_and_task_lists_survive_sanitising);
