//! Plain form posts (no JavaScript) that a server function refuses.
//!
//! A hydrated page reads a server function's refusal (`{"Invalid": "…"}`)
//! and says it next to its form. A browser without JavaScript posts the form
//! itself and would show that JSON as the page. This layer answers such a
//! post instead with a small HTML page that says the refusal in words and
//! links back to the page the form was on; the status (4xx) is kept.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Longest refusal body read (they are a sentence or two).
const MAX_REFUSAL_BYTES: usize = 64 * 1024;

/// The refusal's words out of a server function's error body:
/// `{"Invalid": "…"}` → "…"; anything else as it is.
fn message(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) if map.len() == 1 => map
            .values()
            .next()
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| body.to_owned()),
        Ok(serde_json::Value::String(variant)) => match variant.as_str() {
            "Unauthorized" => "Sign in first.".to_owned(),
            "Forbidden" => "Your roles do not allow this.".to_owned(),
            _ => variant,
        },
        _ => body.to_owned(),
    }
}

fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(text)
}

/// The path (and query) of the page the form was on, from its `Referer`:
/// only a path on this site, never another origin.
fn back_link(referer: Option<&HeaderValue>) -> String {
    referer
        .and_then(|r| r.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned())
}

fn page(message: &str, back: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Refused · Gantry</title></head><body><main>\
         <h1>The form was refused</h1>\
         <p role=\"alert\" data-testid=\"form-refusal\">{}</p>\
         <p><a href=\"{}\">Back to the form</a></p>\
         </main></body></html>\n",
        escape(message),
        escape(back)
    )
}

/// Answers a plain form post to a server function (`POST /api/…` asking for
/// HTML) that was refused (4xx with a JSON body) with a page in words.
pub async fn refusals_in_words(request: Request, next: Next) -> Response {
    let plain_form = request.method() == Method::POST
        && request.uri().path().starts_with("/api/")
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if !plain_form {
        return next.run(request).await;
    }
    let back = back_link(request.headers().get(header::REFERER));
    let response = next.run(request).await;
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !response.status().is_client_error() || !json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REFUSAL_BYTES).await else {
        return (parts.status, "refused").into_response();
    };
    let text = page(&message(&String::from_utf8_lossy(&bytes)), &back);
    parts.headers.remove(header::LOCATION);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Response::from_parts(parts, Body::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_said_in_escaped_words_with_a_link_back_on_this_site() {
        assert_eq!(
            message(r#"{"Invalid":"from: \"x\" is not a number"}"#),
            "from: \"x\" is not a number"
        );
        assert_eq!(message(r#""Forbidden""#), "Your roles do not allow this.");
        assert_eq!(message("plain"), "plain");
        let html = page("<script>alert(1)</script>", "/roadmap/history?a=1&b=2");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(
            html.contains("href=\"/roadmap/history?a=1&amp;b=2\""),
            "{html}"
        );
        let back = |r: &str| back_link(Some(&HeaderValue::from_str(r).unwrap()));
        assert_eq!(
            back("http://127.0.0.1:3000/roadmap/history?from=1"),
            "/roadmap/history?from=1"
        );
        assert_eq!(back("not a url"), "/");
        assert_eq!(back_link(None), "/");
    }
}
