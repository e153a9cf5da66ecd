//! Moving a site: `quire export` writes the whole site into a folder in a documented,
//! versioned format (`docs/portability.md`), `quire import` reads it into an empty
//! database, and `quire import-wordpress` brings a WordPress site in.
//!
//! The tables a site is made of are listed once, in [`tables!`] below: adding a table to the
//! export (and the import) is one line there.

mod export;
mod import;
mod manifest;
mod markdown;
mod rows;
pub mod wordpress;

pub use export::{Exported, export};
pub use import::{Imported, import};
pub use manifest::{FORMAT, FORMAT_VERSION, Manifest};

use sea_orm::{DatabaseTransaction, DbErr};

use rows::Deferred;

/// Declares the tables of a site, in the order they are imported (a row's references before
/// it), each as `kind => entity module`, with the columns that may point at a later row of
/// the same table (written once every row is in). The kind names the table's file,
/// `<kind>.jsonl`, and is the table's name.
macro_rules! tables {
    ($($kind:literal => $entity:ident $(, later $column:ident)?;)*) => {
        /// Every kind of row in an export, in import order.
        pub const KINDS: &[&str] = &[$($kind),*];

        /// Writes every row of `kind` to `out`; returns how many.
        async fn export_kind(
            kind: &str,
            tx: &DatabaseTransaction,
            out: &mut dyn std::io::Write,
        ) -> anyhow::Result<u64> {
            match kind {
                $($kind => rows::export::<quire_entity::$entity::Entity>(tx, out).await,)*
                other => anyhow::bail!("no table is called {other}"),
            }
        }

        /// Writes the rows read from `lines` into `kind`'s table.
        async fn import_kind(
            kind: &str,
            tx: &DatabaseTransaction,
            lines: &mut dyn Iterator<Item = std::io::Result<String>>,
        ) -> anyhow::Result<u64> {
            match kind {
                $($kind => {
                    let later: &[quire_entity::$entity::Column] =
                        &[$(quire_entity::$entity::Column::$column)?];
                    rows::import::<quire_entity::$entity::Entity>(tx, lines, Deferred(later))
                        .await
                })*
                other => anyhow::bail!("no table is called {other}"),
            }
        }

        /// How many rows `kind`'s table holds.
        async fn count_kind(kind: &str, tx: &DatabaseTransaction) -> Result<u64, DbErr> {
            match kind {
                $($kind => rows::count::<quire_entity::$entity::Entity>(tx).await,)*
                _ => Ok(0),
            }
        }

        #[cfg(test)]
        fn table_names() -> Vec<(&'static str, String)> {
            use sea_orm::EntityName;
            vec![$(($kind, quire_entity::$entity::Entity.table_name().to_string())),*]
        }
    };
}

tables! {
    "settings" => setting;
    "users" => user;
    "sessions" => session;
    "api_tokens" => api_token;
    "assets" => asset;
    "content_items" => content_item, later ParentId;
    "content_tags" => content_tag;
    "revisions" => revision;
    "content_changes" => content_change;
    "audit_entries" => audit_entry;
    "webhooks" => webhook;
    "webhook_deliveries" => webhook_delivery;
    "newsletter_subscribers" => newsletter_subscriber;
    "site_settings" => site_setting;
    "menus" => menu;
    "menu_revisions" => menu_revision;
    "content_relations" => content_relation;
    "redirects" => redirect;
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_kind_is_its_tables_name() {
        for (kind, table) in super::table_names() {
            assert_eq!(kind, table);
        }
    }

    #[test]
    fn every_entity_is_exported() {
        let entities = include_str!("../../../entity/src/lib.rs");
        let modules = entities.lines().filter(|l| l.starts_with("pub mod ")).count();
        assert_eq!(super::KINDS.len(), modules, "a table is missing from tables! (or extra)");
    }
}
