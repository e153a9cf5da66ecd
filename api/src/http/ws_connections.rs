//! How many WebSocket connections each client address holds open, so that one address
//! cannot hold them all. A connection counts from its upgrade until its socket closes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Clone)]
pub struct Connections {
    per_address: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One open connection; dropping it frees its place.
pub struct Slot {
    address: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Connections {
    pub fn new(per_address: usize) -> Self {
        Connections { per_address, open: Arc::default() }
    }

    /// A place for one more connection from `address`, or `None` when it holds its share.
    pub fn open(&self, address: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(address).or_default();
        if *count >= self.per_address {
            // Addresses with no connection hold no entry, so the map is only as large as
            // the set of connected addresses.
            if *count == 0 {
                open.remove(&address);
            }
            return None;
        }
        *count += 1;
        Some(Slot { address, open: self.open.clone() })
    }

    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_holds_its_share_and_frees_it_on_close() {
        let connections = Connections::new(2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let first = connections.open(a).unwrap();
        let _second = connections.open(a).unwrap();
        assert!(connections.open(a).is_none());
        let _other = connections.open(b).unwrap();
        drop(first);
        let _third = connections.open(a).unwrap();
        assert!(connections.open(a).is_none());
        assert_eq!(connections.addresses(), 2);
    }

    #[test]
    fn closed_addresses_are_forgotten() {
        let connections = Connections::new(1);
        for n in 0..100u8 {
            drop(connections.open([10, 0, 0, n].into()).unwrap());
        }
        assert_eq!(connections.addresses(), 0);
        let none = Connections::new(0);
        assert!(none.open([10, 0, 0, 1].into()).is_none());
        assert_eq!(none.addresses(), 0);
    }
}
