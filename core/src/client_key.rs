//! What a per-address limit counts a client as. One IPv4 address is one client; an IPv6
//! client is its /64, since a single host is usually handed a whole /64 and can rotate
//! through its 2^64 addresses at will.

use std::net::{IpAddr, Ipv6Addr};

/// A client, as the per-address limits (sign-in, newsletter, connections) count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// An IPv4 address as it is (also when written IPv4-mapped, `::ffff:a.b.c.d`); an IPv6
    /// address cut to its /64.
    pub fn of(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V4(_) => ClientKey(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => {
                    let network = u128::from(v6) & !((1u128 << 64) - 1);
                    ClientKey(IpAddr::V6(Ipv6Addr::from(network)))
                }
            },
        }
    }

    /// The key as an address: the IPv4 address, or the first address of the /64.
    pub fn ip(self) -> IpAddr {
        self.0
    }
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        ClientKey::of(ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> ClientKey {
        ClientKey::of(text.parse().expect("an address"))
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_eq!(key("2001:db8:1:2:abcd::9"), key("2001:db8:1:2::"));
        assert_eq!(key("2001:db8:1:2::1").ip(), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        assert_ne!(
            key("2001:db8:1:2::1"),
            key("2001:db8:1:3::1"),
            "the next /64 is another client"
        );
        assert_ne!(key("2001:db8::1"), key("2001:db9::1"));
    }

    #[test]
    fn an_ipv4_client_is_its_address_however_written() {
        assert_eq!(key("203.0.113.7").ip(), "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_ne!(key("203.0.113.7"), key("203.0.113.8"), "IPv4 neighbours are other clients");
        assert_eq!(key("::ffff:203.0.113.7"), key("203.0.113.7"));
        assert_ne!(key("::ffff:203.0.113.7"), key("::ffff:203.0.113.8"));
    }
}
