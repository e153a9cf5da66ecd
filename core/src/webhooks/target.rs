//! Where a webhook may post. A webhook URL is chosen by an admin, but the request is sent
//! from inside the network Quire runs in: without a check, a webhook could reach the cloud
//! metadata service, a database's HTTP port or anything on localhost, and its delivery log
//! would report what answered. Addresses that are not on the public internet are refused,
//! when the webhook is created and again for every delivery, after the name is resolved and
//! with the connection made only to the addresses that were checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which addresses webhooks may post to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Targets {
    /// Public addresses only (the default).
    #[default]
    PublicOnly,
    /// Any address, private networks and loopback included
    /// (`--webhook-allow-private-targets`).
    Any,
}

impl Targets {
    pub fn new(allow_private: bool) -> Self {
        if allow_private { Targets::Any } else { Targets::PublicOnly }
    }
}

/// A target refused because an address it names or resolves to is not public.
#[derive(Debug, thiserror::Error)]
#[error("the target is a private, loopback or link-local address")]
pub struct Refused;

/// How long a name may take to resolve when a webhook is created.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether an address is off limits: loopback, private (RFC 1918, RFC 4193), link-local,
/// unspecified, shared (CGNAT), multicast, broadcast, reserved or documentation ranges,
/// and IPv6 addresses that carry such an IPv4 address (mapped, compatible, NAT64, 6to4).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    match a {
        0 | 10 | 127 => true,                  // "this network", private, loopback
        100 if (64..128).contains(&b) => true, // shared address space (CGNAT)
        169 if b == 254 => true,               // link-local, cloud metadata
        172 if (16..32).contains(&b) => true,  // private
        192 if b == 168 => true,               // private
        192 if b == 0 && (c == 0 || c == 2) => true, // protocol assignments, documentation
        198 if b == 18 || b == 19 => true,     // benchmarking
        198 if b == 51 && c == 100 => true,    // documentation
        203 if b == 0 && c == 113 => true,     // documentation
        224.. => true,                         // multicast, reserved, broadcast
        _ => false,
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    match s {
        // Unspecified, loopback and IPv4-compatible (`::a.b.c.d`) carry an IPv4 address in
        // their last 32 bits, as do IPv4-mapped (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::`).
        [0, 0, 0, 0, 0, 0, high, low]
        | [0, 0, 0, 0, 0, 0xffff, high, low]
        | [0x64, 0xff9b, 0, 0, 0, 0, high, low] => forbidden_v4(embedded(high, low)),
        // 6to4 carries one in bits 16 to 48.
        [0x2002, high, low, ..] => forbidden_v4(embedded(high, low)),
        [0x64, 0xff9b, 1, ..] => true, // local-use NAT64
        [0x100, 0, 0, 0, ..] => true,  // discard-only
        [0x2001, 0, ..] => true,       // Teredo: tunnels to an address it hides
        [0x2001, 0xdb8, ..] => true,   // documentation
        [first, ..] => {
            (first & 0xfe00) == 0xfc00      // unique local (RFC 4193)
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (first & 0xff00) == 0xff00 // multicast
        }
    }
}

/// Refuses a URL whose host is, or resolves to, a forbidden address. A name that does not
/// resolve now is let through: every delivery resolves it again and checks what it gets.
pub async fn check_url(url: &reqwest::Url, targets: Targets) -> Result<(), Refused> {
    if targets == Targets::Any {
        return Ok(());
    }
    let name = url.host_str().ok_or(Refused)?;
    if let Some(ip) = literal_ip(url) {
        return check_ip(ip);
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let resolved =
        tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((name, port))).await;
    match resolved {
        Ok(Ok(addrs)) => checked(addrs.collect()).map(|_| ()),
        _ => Ok(()),
    }
}

/// The address written as the URL's host, if it is one. URLs are parsed the WHATWG way,
/// so every spelling of an IPv4 address (`2130706433`, `0x7f.1`) arrives as `127.0.0.1`.
fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).parse().ok()
}

fn check_ip(ip: IpAddr) -> Result<(), Refused> {
    if is_forbidden(ip) { Err(Refused) } else { Ok(()) }
}

/// The addresses, if every one is allowed. One forbidden address refuses the name: a name
/// that mixes public and private answers is not one to trust with the next lookup either.
fn checked(addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refused> {
    if addrs.iter().any(|addr| is_forbidden(addr.ip())) { Err(Refused) } else { Ok(addrs) }
}

/// The sender's resolver when only public targets are allowed: the client connects to the
/// addresses this returns and to no other, so a name cannot change its answer between the
/// check and the connection.
#[derive(Debug, Default)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = checked(addrs)?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client deliveries go through: redirects are never followed (a 3xx is a failed
/// delivery, so a target cannot bounce the signed request elsewhere), no proxy from the
/// environment is used (the checked address must be the one connected to), and names are
/// resolved by [`PublicOnlyResolver`] unless any target is allowed.
pub fn client(targets: Targets, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    match targets {
        Targets::PublicOnly => builder.dns_resolver(Arc::new(PublicOnlyResolver)).build(),
        Targets::Any => builder.build(),
    }
}

/// Whether a URL may be posted to now, before the request: names are checked by the
/// resolver as they are looked up, but an address written in the URL is never looked up.
pub fn check_literal(url: &reqwest::Url, targets: Targets) -> Result<(), Refused> {
    if targets == Targets::Any {
        return Ok(());
    }
    url.host_str().ok_or(Refused)?;
    literal_ip(url).map_or(Ok(()), check_ip)
}

/// Whether an error from the client, at any depth, is a refused target.
pub fn is_refusal(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<Refused>() {
            return true;
        }
        current = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(text: &str) -> bool {
        is_forbidden(text.parse().expect("an address"))
    }

    #[test]
    fn private_loopback_and_link_local_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.0.170",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.1.2.3",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            assert!(forbidden(ip), "{ip} is forbidden");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "169.253.1.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4009:81f::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!forbidden(ip), "{ip} is allowed");
        }
    }

    fn url(text: &str) -> reqwest::Url {
        text.parse().expect("a URL")
    }

    #[test]
    fn literal_addresses_in_urls_are_checked_in_every_spelling() {
        for text in [
            "http://127.0.0.1/x",
            "http://[::1]/x",
            "http://[::ffff:7f00:1]/x",
            "http://2130706433/x",
            "http://0x7f.1/x",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert!(check_literal(&url(text), Targets::PublicOnly).is_err(), "{text}");
            assert!(check_literal(&url(text), Targets::Any).is_ok(), "{text}");
        }
        assert!(check_literal(&url("http://1.1.1.1/x"), Targets::PublicOnly).is_ok());
        assert!(check_literal(&url("https://example.org/x"), Targets::PublicOnly).is_ok());
    }

    #[tokio::test]
    async fn names_that_resolve_to_loopback_are_refused() {
        assert!(check_url(&url("http://localhost:9/x"), Targets::PublicOnly).await.is_err());
        assert!(check_url(&url("http://localhost:9/x"), Targets::Any).await.is_ok());
        let refused = PublicOnlyResolver.resolve("localhost".parse().expect("a name")).await;
        let err = refused.err().expect("localhost is refused");
        assert!(is_refusal(err.as_ref()));
    }
}
