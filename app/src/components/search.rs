//! Case-insensitive matching for the filters that run in the browser.

/// `text` in lower case, for matching a typed filter against rows.
///
/// In the browser this is JavaScript's `String.prototype.toLowerCase` (the
/// same Unicode default case mapping as `str::to_lowercase`): Rust's own
/// would add its Unicode case tables, about 15 KB, to the main WebAssembly
/// that every first visit downloads. The server renders with
/// `str::to_lowercase`; what is compared in the browser is always folded
/// the same way, the haystack and the needle alike.
pub fn fold_case(text: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        js_sys::JsString::from(text).to_lower_case().into()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        text.to_lowercase()
    }
}
