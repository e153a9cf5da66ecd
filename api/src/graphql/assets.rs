//! Files over GraphQL: uploads (the GraphQL multipart request spec), the list of assets,
//! alt text, deleting.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Upload};

use super::pagination::{Cursor, connection};
use super::types::asset::{Asset, NAME};
use super::{context, ids};
use quire_core::error::{ApiError, ApiResult};
use quire_core::media::Media;
use quire_core::media::assets::{self, Incoming};
use quire_core::pagination::Forward;

fn media<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Media> {
    ctx.data::<Media>()
}

/// An uploaded file as the core takes it. Its temporary file could not be read back: that
/// is ours, not the client's.
pub(super) fn incoming(ctx: &Context<'_>, upload: &Upload) -> ApiResult<Incoming> {
    let value = upload.value(ctx).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Incoming { filename: value.filename, content: value.content })
}

#[derive(Default)]
pub struct AssetQuery;

#[Object]
impl AssetQuery {
    /// Every uploaded file, newest first (staff only).
    async fn assets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 20 by default, at most 100.")] first: Option<i32>,
        #[graphql(desc = "Return files after this cursor.")] after: Option<String>,
        #[graphql(desc = "Only files whose name or alt text contains this, in any case.")]
        search: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Asset>> {
        let actor = context::actor(ctx)?;
        let db = context::db(ctx)?;
        let page = Forward { first, after };
        let files = assets::list(db.conn(), &actor, page, search.as_deref()).await?;
        Ok(connection(files, Asset))
    }
}

#[derive(Default)]
pub struct AssetMutation;

#[Object]
impl AssetMutation {
    /// Uploads a file (editors and admins), sent as a GraphQL multipart request. The type
    /// is read from the bytes: PDF, PNG, JPEG, WebP, GIF or AVIF; the name must agree with
    /// it. Identical content is stored once.
    async fn upload_asset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file.")] file: Upload,
        #[graphql(desc = "Text alternative, for images.")] alt: Option<String>,
    ) -> async_graphql::Result<Asset> {
        let (actor, media, db) = (context::actor(ctx)?, media(ctx)?, context::db(ctx)?);
        let file = || incoming(ctx, &file);
        let limit = media.max_upload_bytes;
        Ok(Asset(assets::upload(db, &media.storage, &actor, file, alt, limit).await?))
    }

    /// Changes a file's alt text (editors and admins).
    async fn update_asset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The asset's id.")] id: ID,
        #[graphql(desc = "Text alternative; null clears it.")] alt: Option<String>,
    ) -> async_graphql::Result<Asset> {
        let actor = context::actor(ctx)?;
        let uuid = ids::expect(&id, NAME, "id", "asset")?;
        Ok(Asset(assets::update_alt(context::db(ctx)?, &actor, uuid, alt).await?))
    }

    /// Deletes a file no content uses (editors and admins); one still in use is refused
    /// with BAD_USER_INPUT naming its users.
    async fn delete_asset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The asset's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let actor = context::actor(ctx)?;
        let uuid = ids::expect(&id, NAME, "id", "asset")?;
        assets::delete(context::db(ctx)?, media(ctx)?, &actor, uuid).await?;
        Ok(id)
    }
}
