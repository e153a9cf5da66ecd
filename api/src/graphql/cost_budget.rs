//! Heavy operations share a budget of cost in flight. The cost limit bounds one operation;
//! this bounds how many heavy ones run at once, so that clients sending the costliest
//! operations the limit allows queue among themselves instead of taking every database
//! connection and the memory of hundreds of full pages at once. Light operations (a
//! page, a list of twenty) never wait.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Operations up to this cost run without taking from the budget.
pub const LIGHT: u64 = 1000;

#[derive(Clone)]
pub struct CostBudget {
    permits: Arc<Semaphore>,
    most: u32,
}

impl CostBudget {
    /// A budget of `most` cost units in flight (at least one operation at the cost limit
    /// always fits: a larger operation takes the whole budget).
    pub fn new(most: u64) -> CostBudget {
        let most =
            u32::try_from(most.max(1)).unwrap_or(u32::MAX).min(Semaphore::MAX_PERMITS as u32);
        CostBudget { permits: Arc::new(Semaphore::new(most as usize)), most }
    }

    /// Waits until an operation of `cost` fits; holds its share until the permit drops.
    /// Light operations get no permit and never wait.
    pub async fn enter(&self, cost: u64) -> Option<OwnedSemaphorePermit> {
        if cost <= LIGHT {
            return None;
        }
        let wanted = u32::try_from(cost).unwrap_or(u32::MAX).min(self.most);
        // The semaphore is never closed.
        self.permits.clone().acquire_many_owned(wanted).await.ok()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn heavy_operations_wait_for_room_and_light_ones_never_do() {
        let budget = CostBudget::new(10_000);
        let first = budget.enter(4_500).await;
        let second = budget.enter(4_500).await;
        assert!(first.is_some() && second.is_some());
        let third = tokio::time::timeout(Duration::from_millis(50), budget.enter(4_500)).await;
        assert!(third.is_err(), "a third heavy operation waits while two hold the budget");
        let light = tokio::time::timeout(Duration::from_millis(50), budget.enter(LIGHT)).await;
        assert!(matches!(light, Ok(None)), "light operations never wait");
        drop(first);
        let third = tokio::time::timeout(Duration::from_millis(50), budget.enter(4_500)).await;
        assert!(matches!(third, Ok(Some(_))), "room made by one that ended is taken");
    }

    #[tokio::test]
    async fn an_operation_larger_than_the_budget_takes_all_of_it() {
        let budget = CostBudget::new(2_000);
        let big = budget.enter(5_000).await;
        assert!(big.is_some());
        let next = tokio::time::timeout(Duration::from_millis(50), budget.enter(1_500)).await;
        assert!(next.is_err());
    }
}
