//! Per-client limits on sign-in starts (each writes a sign-in flow or a
//! session) and on refused sign-ins (each appends an audit record), so an
//! anonymous client cannot grow the database without bound.
//!
//! The client is the connection's peer address (`ConnectInfo`), never a
//! forwarded-for header; IPv6 clients are keyed by their /64, which one
//! host controls whole. A request without `ConnectInfo` (the `oneshot` test
//! harness) counts under one fixed key.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

type KeyedLimiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// The address a request counts under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientKey(pub IpAddr);

impl ClientKey {
    /// What requests without a peer address share.
    pub const UNKNOWN: ClientKey = ClientKey(IpAddr::V6(Ipv6Addr::UNSPECIFIED));

    pub fn of(peer: IpAddr) -> Self {
        match peer {
            IpAddr::V4(v4) => ClientKey(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    ClientKey(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientKey {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(ClientKey::UNKNOWN, |ConnectInfo(peer)| {
                ClientKey::of(peer.ip())
            }))
    }
}

/// How many per minute, and how many at once.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

#[derive(Clone)]
pub struct SignInLimits {
    starts: Arc<KeyedLimiter>,
    refusals: Arc<KeyedLimiter>,
}

impl std::fmt::Debug for SignInLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInLimits").finish_non_exhaustive()
    }
}

fn limiter(rate: Rate) -> Arc<KeyedLimiter> {
    Arc::new(RateLimiter::keyed(
        Quota::per_minute(rate.per_minute).allow_burst(rate.burst),
    ))
}

impl SignInLimits {
    pub fn new(starts: Rate, refusals: Rate) -> Self {
        Self {
            starts: limiter(starts),
            refusals: limiter(refusals),
        }
    }

    /// A sign-in start (`/auth/login`, `/auth/dev`).
    pub fn start(&self, client: ClientKey) -> Result<(), TooMany> {
        check(&self.starts, client, "sign-in starts")
    }

    /// A refused sign-in about to be recorded.
    pub fn refusal(&self, client: ClientKey) -> Result<(), TooMany> {
        check(&self.refusals, client, "refused sign-ins")
    }
}

/// A limit reached: answered 429 with `Retry-After`.
#[derive(Debug, Clone, Copy)]
pub struct TooMany {
    what: &'static str,
    retry_after_secs: u64,
}

impl IntoResponse for TooMany {
    fn into_response(self) -> Response {
        let Self {
            what,
            retry_after_secs: seconds,
        } = self;
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, seconds.to_string())],
            format!("too many {what} from your address: try again in {seconds} s"),
        )
            .into_response()
    }
}

fn check(limiter: &KeyedLimiter, client: ClientKey, what: &'static str) -> Result<(), TooMany> {
    let Err(not_until) = limiter.check_key(&client.0) else {
        return Ok(());
    };
    let wait = not_until.wait_time_from(limiter.clock().now());
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    tracing::warn!(client = %client.0, what, retry_after = seconds, "sign-in rate limit reached");
    Err(TooMany {
        what,
        retry_after_secs: seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientKey::of(a), ClientKey::of(b));
        assert_ne!(ClientKey::of(a), ClientKey::of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            ClientKey::of(mapped).0,
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn the_burst_then_429_with_retry_after_per_client() {
        let one = NonZeroU32::new(1).unwrap();
        let three = NonZeroU32::new(3).unwrap();
        let limits = SignInLimits::new(
            Rate {
                per_minute: one,
                burst: three,
            },
            Rate {
                per_minute: one,
                burst: one,
            },
        );
        let a = ClientKey::of("192.0.2.1".parse().unwrap());
        let b = ClientKey::of("192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limits.start(a).is_ok());
        }
        let refused = limits.start(a).unwrap_err().into_response();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = refused.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        assert!(limits.start(b).is_ok(), "another client is still served");
        assert!(limits.refusal(a).is_ok(), "a separate budget");
        assert!(limits.refusal(a).is_err());
    }
}
