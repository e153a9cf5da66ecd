//! Who may see what. Every read of content adds [`Viewer::condition`].

use sea_orm::{ColumnTrait, Condition};

use super::{Status, now};
use quire_entity::content_item::Column;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Sees published items whose publication time has come.
    Public,
    /// Editors and admins: see every item.
    Staff,
}

impl Viewer {
    /// Items in the trash are hidden from everyone; only `trash` lists them.
    pub fn condition(self) -> Condition {
        let live = Condition::all().add(Column::DeletedAt.is_null());
        match self {
            Viewer::Public => {
                let now = now();
                // A published item with a schedule is due to be unpublished: once that time
                // has come it is gone, even before the scheduler has got to it.
                let not_yet_unpublished = Condition::any()
                    .add(Column::ScheduledAt.is_null())
                    .add(Column::ScheduledAt.gt(now));
                live.add(Column::Status.eq(Status::Published))
                    .add(Column::PublishedAt.lte(now))
                    .add(not_yet_unpublished)
            }
            Viewer::Staff => live,
        }
    }
}
