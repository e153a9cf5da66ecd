//! Loaders for every edge between objects, one query per batch, with typed keys.
//! A loader belongs to one request, so it applies that request's visibility.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use quire_entity::asset;
use uuid::Uuid;

use quire_core::content::{Item, Viewer, read, tags};
use quire_core::db::Db;
use quire_core::site::related;

pub struct ContentLoader {
    db: Db,
    viewer: Viewer,
}

impl ContentLoader {
    pub fn new(db: Db, viewer: Viewer) -> Self {
        ContentLoader { db, viewer }
    }

    fn reads(&self) -> &sea_orm::DatabaseConnection {
        self.db.reads_for(self.viewer)
    }

    fn rows(&self) -> quire_core::db::Reads<'_> {
        self.db.rows_for(self.viewer)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemById(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageChildrenByParent(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagsByItem(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssetById(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UsersByAsset(pub Uuid);

type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

fn ids<K: Copy>(keys: &[K], id: impl Fn(K) -> Uuid) -> Vec<Uuid> {
    keys.iter().map(|k| id(*k)).collect()
}

fn rekey<K: std::hash::Hash + Eq, V>(
    map: HashMap<Uuid, V>,
    key: impl Fn(Uuid) -> K,
) -> HashMap<K, V> {
    map.into_iter().map(|(id, v)| (key(id), v)).collect()
}

impl Loader<ItemById> for ContentLoader {
    type Value = Item;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ItemById]) -> LoadResult<ItemById, Item> {
        let found = read::by_ids(&self.rows(), self.viewer, &ids(keys, |k| k.0)).await?;
        Ok(rekey(found, ItemById))
    }
}

impl Loader<PageChildrenByParent> for ContentLoader {
    type Value = Vec<Item>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PageChildrenByParent],
    ) -> LoadResult<PageChildrenByParent, Vec<Item>> {
        let found = read::children_of(&self.rows(), self.viewer, &ids(keys, |k| k.0)).await?;
        Ok(rekey(found, PageChildrenByParent))
    }
}

impl Loader<TagsByItem> for ContentLoader {
    type Value = Vec<String>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[TagsByItem]) -> LoadResult<TagsByItem, Vec<String>> {
        let found = tags::of_items(self.reads(), &ids(keys, |k| k.0)).await?;
        Ok(rekey(found, TagsByItem))
    }
}

impl Loader<AssetById> for ContentLoader {
    type Value = asset::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AssetById]) -> LoadResult<AssetById, asset::Model> {
        let rows = quire_core::media::assets::by_ids(&self.rows(), ids(keys, |k| k.0)).await?;
        Ok(rows.into_iter().map(|a| (AssetById(a.id), a)).collect())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RelatedByItem(pub Uuid);

impl Loader<RelatedByItem> for ContentLoader {
    type Value = Vec<Item>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[RelatedByItem]) -> LoadResult<RelatedByItem, Vec<Item>> {
        let found = related::of_items(self.reads(), self.viewer, &ids(keys, |k| k.0)).await?;
        Ok(rekey(found, RelatedByItem))
    }
}

impl Loader<UsersByAsset> for ContentLoader {
    type Value = Vec<Item>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[UsersByAsset]) -> LoadResult<UsersByAsset, Vec<Item>> {
        let found =
            quire_core::media::assets::users_of(self.reads(), self.viewer, &ids(keys, |k| k.0))
                .await?;
        Ok(rekey(found, UsersByAsset))
    }
}
