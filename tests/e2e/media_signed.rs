//! Signed file URLs: staff get an asset's `url` with a signature that loads without
//! credentials (as an `<img>` loads it) until it expires; a bad or expired signature is a
//! 404; the public's URLs carry none.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::EntityTrait;
use serde_json::json;
use sha2::Sha256;

use crate::fixtures::{editor, id_of};
use crate::media::{get, png, uploaded};
use crate::support::{TestApp, data, e2e};

/// The path and the query of a URL.
fn split(url: &str) -> (&str, &str) {
    url.split_once('?').unwrap_or((url, ""))
}

/// A value of the query.
fn param<'a>(query: &'a str, name: &str) -> &'a str {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {name} in {query}"))
}

/// A signature made with the server's key, as a client that stole nothing cannot.
async fn signature(app: &TestApp, asset_id: &str, expires: i64) -> String {
    let stored = quire_entity::setting::Entity::find_by_id("file_url_signing_key".to_string())
        .one(app.db().conn())
        .await
        .unwrap()
        .expect("the key is made at start");
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(stored.value).unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(format!("file:{asset_id}:{expires}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

async fn an_uploader_loads_an_unpublished_file_through_its_signed_url(app: TestApp) {
    let token = editor(&app).await;
    let bytes = png(300, 200);
    let asset = uploaded(&app, &token, "draft.png", bytes.clone()).await;
    let url = asset["url"].as_str().unwrap().to_string();
    let (path, query) = split(&url);
    let expires: i64 = param(query, "expires").parse().unwrap();
    let sig = param(query, "sig");
    let now = chrono::Utc::now().timestamp();
    assert!((now + 3600..=now + 7200).contains(&expires), "one to two hours: {url}");
    assert_eq!(sig.len(), 64, "hex HMAC-SHA256");

    // No Authorization header: as an `<img>` asks.
    let signed = get(&app, &url, None, &[]).await;
    assert_eq!(signed.status(), 200);
    let cache = signed.headers()["cache-control"].to_str().unwrap().to_string();
    assert!(cache.starts_with("private, max-age="), "{cache}");
    let max_age: i64 = cache.trim_start_matches("private, max-age=").parse().unwrap();
    assert!(max_age <= expires - now && max_age >= 3500, "{cache}");
    assert_eq!(signed.bytes().await.unwrap().to_vec(), bytes);
    // Variants through the same signature.
    let variant = get(&app, &format!("{url}&w=160&format=webp"), None, &[]).await;
    assert_eq!(variant.status(), 200);
    assert!(variant.headers()["cache-control"].to_str().unwrap().starts_with("private"));
    let image = image::load_from_memory(&variant.bytes().await.unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (160, 107));

    // Without a valid, unexpired signature: nothing there.
    let asset_id = path.split('/').nth(2).unwrap();
    let flipped = format!("{}{}", &sig[..63], if sig.ends_with('0') { '1' } else { '0' });
    let past = now - 10;
    let past_sig = signature(&app, asset_id, past).await;
    let future_sig = signature(&app, asset_id, now + 600).await;
    let other = uploaded(&app, &token, "other.png", png(20, 20)).await;
    let other_query = split(other["url"].as_str().unwrap()).1.to_string();
    for refused in [
        path.to_string(),
        format!("{path}?w=160&format=webp"),
        format!("{path}?expires={expires}&sig={flipped}"),
        format!("{path}?expires={}&sig={sig}", expires + 1),
        format!("{path}?expires={expires}"),
        format!("{path}?sig={sig}"),
        format!("{path}?expires={expires}&sig=not-hex"),
        format!("{path}?expires=&sig="),
        format!("{path}?{other_query}"),
        format!("{path}?expires={past}&sig={past_sig}"),
        format!("/files/{asset_id}/renamed.png?{query}"),
    ] {
        let response = get(&app, &refused, None, &[]).await;
        assert_eq!(response.status(), 404, "{refused}");
        // Judged by its signature alone: credentials do not rescue a bad one.
        if refused.contains("sig=") {
            assert_eq!(get(&app, &refused, Some(&token), &[]).await.status(), 404, "{refused}");
        }
    }
    // The same key, an expiry still to come: the expired one failed for its expiry alone.
    let fresh = format!("{path}?expires={}&sig={future_sig}", now + 600);
    assert_eq!(get(&app, &fresh, None, &[]).await.status(), 200);
    // Staff still load the bare path with their token.
    assert_eq!(get(&app, path, Some(&token), &[]).await.status(), 200);

    // The answer that carries a signed URL is kept by no cache.
    let response =
        app.post(Some(&token), &json!({ "query": "{ assets { nodes { url } } }" })).await;
    assert_eq!(response.headers()["cache-control"], "private, no-store");

    // After a restart (and in every process on the database) the same key signs.
    let mut app = app;
    app.restart().await;
    assert_eq!(get(&app, &url, None, &[]).await.status(), 200);
}
e2e!(an_uploader_loads_an_unpublished_file_through_its_signed_url);

async fn the_publics_file_urls_carry_no_signature(app: TestApp) {
    let token = editor(&app).await;
    let asset = uploaded(&app, &token, "cover.png", png(60, 80)).await;
    let created = app
        .gql_as(
            &token,
            "mutation($f: ID) { createBooklet(input: { title: \"Signed\", fileId: $f }) { id } }",
            json!({ "f": asset["id"] }),
        )
        .await;
    let booklet = id_of(&data(&created)["createBooklet"]);
    app.gql_as(
        &token,
        "mutation($id: ID!) { publishBooklet(id: $id) { id } }",
        json!({ "id": booklet }),
    )
    .await;
    let query = "{ booklet(slug: \"signed\") { file { url } } }";
    let staff = app.gql_as(&token, query, json!({})).await;
    let staff_url = data(&staff)["booklet"]["file"]["url"].as_str().unwrap().to_string();
    assert!(staff_url.contains("&sig="), "{staff_url}");
    // Asked twice: the second from the public's response cache, which holds no signature.
    for _ in 0..2 {
        let public = app.gql(query, json!({})).await;
        let public_url = data(&public)["booklet"]["file"]["url"].as_str().unwrap().to_string();
        assert_eq!(public_url, split(&staff_url).0, "the public's URL is the bare path");
        let served = get(&app, &public_url, None, &[]).await;
        assert_eq!(served.status(), 200);
        assert!(served.headers()["cache-control"].to_str().unwrap().starts_with("public"));
    }
    // Through a signature, even a published file stays out of shared caches.
    let signed = get(&app, &staff_url, None, &[]).await;
    assert_eq!(signed.status(), 200);
    assert!(signed.headers()["cache-control"].to_str().unwrap().starts_with("private"));
}
e2e!(the_publics_file_urls_carry_no_signature);
