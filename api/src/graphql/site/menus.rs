//! `menu(name:)`, `menus`, `saveMenu` and `deleteMenu`.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::graphql::actor::ActorInfo;
use crate::graphql::context;
use crate::graphql::node::Node;
use quire_core::content::Viewer;
use quire_core::error::{ApiError, ApiResult};
use quire_core::site::menus::{self, ShownItem, StoredItem};

/// A named menu, such as `header` or `footer`.
pub struct Menu(pub menus::Menu);

/// A named menu.
#[Object]
impl Menu {
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its items in order. An item linking to content you may not see is left out, with the
    /// items below it.
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MenuItem>> {
        let site = super::current(ctx).await?;
        let viewer = context::viewer(ctx)?;
        let shown =
            menus::shown_items(context::reads(ctx)?, viewer, &site.addresses, &self.0).await?;
        Ok(shown.into_iter().map(MenuItem).collect())
    }

    /// Goes up by one on every save; pass it as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When it was last saved.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Its saved versions, newest first, at most 100 (editors and admins).
    async fn revisions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MenuRevision>> {
        let actor = context::actor(ctx)?;
        let found = menus::revisions(context::db(ctx)?.conn(), &actor, &self.0).await?;
        Ok(found
            .into_iter()
            .map(|revision| MenuRevision { menu: self.0.clone(), revision })
            .collect())
    }
}

/// A saved version of a menu.
pub struct MenuRevision {
    menu: menus::Menu,
    revision: quire_entity::menu_revision::Model,
}

/// A saved version of a menu.
#[Object]
impl MenuRevision {
    /// The menu's version this was.
    async fn version(&self) -> i32 {
        self.revision.version
    }

    /// When it was saved.
    async fn created_at(&self) -> DateTime<Utc> {
        self.revision.created_at
    }

    /// Who saved it.
    async fn actor(&self) -> ActorInfo {
        let r = &self.revision;
        ActorInfo::stored(&r.actor_kind, r.actor_id, &r.actor_name)
    }

    /// Its items then, as editors see them now (links to content in the trash left out).
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MenuItem>> {
        let site = super::current(ctx).await?;
        let then = menus::Menu { items: self.revision.items.clone(), ..self.menu.clone() };
        let conn = context::db(ctx)?.conn();
        let shown = menus::shown_items(conn, Viewer::Staff, &site.addresses, &then).await?;
        Ok(shown.into_iter().map(MenuItem).collect())
    }
}

/// One entry of a menu.
pub struct MenuItem(ShownItem);

/// One entry of a menu.
#[Object]
impl MenuItem {
    /// What the link says.
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// Where it goes: the linked content's `url`, or the URL given.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The linked content, for a link to content.
    async fn target(&self) -> Option<Node> {
        self.0.target.clone().map(Node::from)
    }

    /// The entries below this one.
    async fn children(&self) -> Vec<MenuItem> {
        self.0.children.iter().cloned().map(MenuItem).collect()
    }
}

/// One entry of a menu to save: a link to content (`targetId`) or to a URL (`url`).
#[derive(InputObject)]
pub struct MenuItemInput {
    /// What the link says.
    label: String,
    /// A content item's id; the link follows the item's address and disappears while the
    /// item is not public.
    target_id: Option<ID>,
    /// A path starting with `/`, an http(s) URL, `mailto:`, `tel:` or `#…`.
    url: Option<String>,
    /// The entries below this one.
    children: Option<Vec<MenuItemInput>>,
}

fn stored(items: Vec<MenuItemInput>, field: &str) -> ApiResult<Vec<StoredItem>> {
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let at = format!("{field}.{index}");
            let target_id = item
                .target_id
                .map(|id| {
                    quire_core::content::any_item_id(&id)
                        .map_err(|e| ApiError::bad_input(format!("{at}.targetId"), e.to_string()))
                })
                .transpose()?;
            let children = stored(item.children.unwrap_or_default(), &format!("{at}.children"))?;
            Ok(StoredItem { label: item.label, target_id, url: item.url, children })
        })
        .collect()
}

#[derive(Default)]
pub struct MenuQuery;

#[Object]
impl MenuQuery {
    /// A menu by name; null when there is none.
    async fn menu(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The menu's name, such as `header`.")] name: String,
    ) -> async_graphql::Result<Option<Menu>> {
        Ok(menus::find(context::reads(ctx)?, &name).await?.map(Menu))
    }

    /// Every menu, by name (editors and admins).
    async fn menus(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Menu>> {
        let actor = context::actor(ctx)?;
        Ok(menus::list(context::db(ctx)?.conn(), &actor).await?.into_iter().map(Menu).collect())
    }
}

#[derive(Default)]
pub struct MenuMutation;

#[Object]
impl MenuMutation {
    /// Saves a menu whole, creating it if there is none by that name (editors and admins).
    async fn save_menu(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The menu's name: lowercase letters, digits, `-` and `_`.")] name: String,
        #[graphql(desc = "Every entry, in order; they replace the menu's entries.")] items: Vec<
            MenuItemInput,
        >,
        #[graphql(
            desc = "The version you last read (0 for a new menu); if the menu has changed since, the save fails with CONFLICT and changes nothing."
        )]
        expected_version: Option<i32>,
    ) -> async_graphql::Result<Menu> {
        let actor = context::actor(ctx)?;
        let items = stored(items, "items")?;
        Ok(Menu(menus::save(context::db(ctx)?, &actor, &name, items, expected_version).await?))
    }

    /// Deletes a menu; false when there was none (editors and admins).
    async fn delete_menu(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The menu's name.")] name: String,
    ) -> async_graphql::Result<bool> {
        let actor = context::actor(ctx)?;
        Ok(menus::delete(context::db(ctx)?, &actor, &name).await?)
    }
}
