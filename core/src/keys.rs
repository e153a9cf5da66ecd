//! Signing keys kept in the database's settings, one per purpose (previews, file URLs),
//! made on first use so that every process on the database signs alike.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use quire_entity::setting;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// The key stored under `name`, made once per database: whichever process inserts first
/// wins, and every process reads that one.
pub async fn stored(db: &Db, name: &str) -> ApiResult<Vec<u8>> {
    let read = || async {
        let stored = setting::Entity::find_by_id(name.to_string()).one(db.conn()).await?;
        stored
            .map(|s| URL_SAFE_NO_PAD.decode(s.value).map_err(|e| ApiError::Internal(e.into())))
            .transpose()
    };
    if let Some(key) = read().await? {
        return Ok(key);
    }
    let fresh = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let tx = db.write().await?;
    setting::Entity::insert(setting::ActiveModel { key: Set(name.to_string()), value: Set(fresh) })
        .on_conflict(OnConflict::column(setting::Column::Key).do_nothing().to_owned())
        .exec_without_returning(&*tx)
        .await?;
    tx.commit_private().await?;
    read().await?.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the key {name} is missing")))
}
