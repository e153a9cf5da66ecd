//! The address a request comes from, for the per-address limits. Behind a reverse proxy
//! every connection comes from the proxy; only proxies named in `--trusted-proxies` are
//! believed when they say, in `X-Forwarded-For`, whom they forward for.

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client: the connection's peer, or, when the peer is a trusted proxy, the nearest
/// address in `X-Forwarded-For` (read from the right, as each proxy appends the address it
/// heard from) that is not a trusted proxy itself. What an untrusted hop wrote further left
/// could be anything, so it is never read; nor is anything after an entry that does not
/// parse.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(&ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_proxy;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, value.parse().expect("a header value"));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn proxies_are_addresses_or_ranges() {
        assert_eq!(parse_proxy("127.0.0.1"), Ok("127.0.0.1/32".parse().expect("a range")));
        assert_eq!(parse_proxy(" ::1 "), Ok("::1/128".parse().expect("a range")));
        assert_eq!(parse_proxy("10.0.0.0/8"), Ok("10.0.0.0/8".parse().expect("a range")));
        assert!(parse_proxy("proxy.example.org").is_err());
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let forwarded = headers(&["203.0.113.7"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &forwarded, &[]), ip("127.0.0.1"));
    }

    #[test]
    fn a_trusted_proxy_is_believed_and_its_own_hops_skipped() {
        let trusted = [
            parse_proxy("127.0.0.1").expect("a proxy"),
            parse_proxy("10.0.0.0/8").expect("a range"),
        ];
        // A client behind a CDN edge (10.1.2.3) behind the local proxy.
        let forwarded = headers(&["198.51.100.9, 203.0.113.7", "10.1.2.3"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &forwarded, &trusted), ip("203.0.113.7"));
        // The peer is not a proxy we trust: the header is the client's own say-so.
        assert_eq!(client_ip(ip("192.0.2.1"), &forwarded, &trusted), ip("192.0.2.1"));
        // No header: the proxy itself.
        assert_eq!(client_ip(ip("127.0.0.1"), &HeaderMap::new(), &trusted), ip("127.0.0.1"));
        // Nothing left of a malformed entry is read.
        let garbled = headers(&["203.0.113.7, not-an-address, 10.1.2.3"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &garbled, &trusted), ip("10.1.2.3"));
    }
}
