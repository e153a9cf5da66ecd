//! Committed changes survive a restart.

use serde_json::json;

use crate::fixtures::{editor, published};
use crate::support::{data, e2e};

e2e! {
    async fn a_restart_keeps_every_committed_change(app) {
        let token = editor(&app).await;
        let id = published(&app, &token, "NewsArticle", "{ title: \"Before the restart\", tags: [\"kept\"] }").await;
        let updated = app
            .gql_as(&token, "mutation($id: ID!) { updateNewsArticle(id: $id, input: { body: \"Edited\" }) { version } }", json!({ "id": id }))
            .await;
        assert_eq!(data(&updated)["updateNewsArticle"]["version"], 3);

        app.restart().await;

        let after = app.gql("{ newsArticle(slug: \"before-the-restart\") { id body tags version status } }", json!({})).await;
        assert_eq!(
            data(&after)["newsArticle"],
            json!({ "id": id, "body": "Edited", "tags": ["kept"], "version": 3, "status": "PUBLISHED" })
        );
        let still_valid = app.gql_as(&token, "{ news(filter: { status: [PUBLISHED] }) { totalCount } }", json!({})).await;
        assert_eq!(data(&still_valid)["news"]["totalCount"], 1, "tokens survive too");
    }
}
