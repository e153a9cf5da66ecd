//! Quire's domain: the rules for content, media, people and access, tokens, the audit log,
//! previews, the webhooks' outbox, the newsletter, search and feeds, over the entities.
//!
//! It knows no interface: HTTP, GraphQL and the command line live in `quire-api`, above it,
//! and call the services here with the actor they act for.

pub mod actor;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod client_key;
pub mod clock;
pub mod commits;
pub mod config;
pub mod content;
pub mod db;
pub mod error;
pub mod feeds;
pub mod ids;
pub mod keys;
pub mod live;
pub mod media;
pub mod newsletter;
pub mod pagination;
pub mod portability;
pub mod preview;
pub mod search;
pub mod seed;
pub mod site;
pub mod tls;
pub mod tokens;
pub mod users;
pub mod webhooks;

/// The small shared things at the bottom of the core import nothing above them, so no
/// cycle can run through them.
#[cfg(test)]
mod layering {
    const BOTTOM: &[(&str, &[&str])] = &[
        ("clock.rs", &[]),
        ("commits.rs", &[]),
        ("error.rs", &[]),
        ("client_key.rs", &[]),
        ("ids.rs", &["error"]),
        ("actor.rs", &["error", "content"]),
    ];

    #[test]
    fn the_bottom_modules_import_only_what_lies_below_them() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for (file, allowed) in BOTTOM {
            let text = std::fs::read_to_string(src.join(file)).unwrap_or_default();
            assert!(!text.is_empty(), "{file} not found");
            // Doc links name modules without importing them.
            let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
            for (line, at) in
                code.flat_map(|l| l.match_indices("crate::").map(move |(at, _)| (l, at)))
            {
                let module: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                assert!(
                    allowed.contains(&module.as_str()),
                    "{file} imports crate::{module}, which is not below it"
                );
            }
        }
    }
}
