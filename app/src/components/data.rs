//! How a page's server data reaches the browser: one resource constructor
//! and one JSON decoder for everything.
//!
//! A value reaches the browser two ways: inside the server-rendered page
//! (the resource's serialized value, a string) and as a server function's
//! response (bytes). Leptos' default resource codec reads the first with
//! `serde_json::from_str` and the server function reads the second with
//! `serde_json::from_slice`: two copies of every DTO's deserializer in the
//! WebAssembly (measured: 24 in the main module alone). [`JsonCodec`]
//! reads both the same way, so each DTO's deserializer is compiled once.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

use crate::error::AppError;

/// JSON, encoded with `serde_json::to_string` and decoded through
/// [`decode_json`] (the server functions' decoder).
#[derive(Debug, Clone, Copy)]
pub struct JsonCodec;

impl<T: Serialize> Encoder<T> for JsonCodec {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for JsonCodec {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, serde_json::Error> {
        decode_json(text)
    }
}

/// Decodes JSON text the way a server function decodes its response, so the
/// two share one deserializer per type.
pub fn decode_json<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_slice(text.as_bytes())
}

/// A page's data: the server function's result, rendered into the page on
/// the server and read from it on hydration.
pub type Data<T> = Resource<Result<T, AppError>, JsonCodec>;

/// The only way pages create their resources (a non-blocking resource with
/// [`JsonCodec`]): `source` is tracked, `fetch` runs when it changes.
#[track_caller]
pub fn page_data<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetch: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Data<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    Resource::new_with_options(source, fetch, false)
}
