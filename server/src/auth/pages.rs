//! The pages served outside the Leptos app: sign-in, refusal and sign-in
//! errors. Plain HTML with the app's stylesheet and no script.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::config::DevUser;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn document(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · Gantry</title><link rel="stylesheet" href="{css}"><link rel="icon" href="/favicon.svg" type="image/svg+xml"></head><body class="bg-slate-50 text-slate-900 antialiased"><main class="mx-auto max-w-md px-4 py-16"><div class="mb-8 flex items-center gap-2"><span aria-hidden="true" class="grid h-9 w-9 place-items-center rounded-md bg-indigo-500 font-bold text-white">G</span><span class="text-xl font-semibold tracking-tight">Gantry</span></div>{body}</main></body></html>"#,
        title = escape(title),
        css = escape(&crate::startup::stylesheet_href()),
    )
}

pub struct SignInPage<'a> {
    pub return_to: &'a str,
    pub sso: bool,
    pub dev_users: &'a [DevUser],
    pub notice: Option<&'a str>,
}

pub fn sign_in(page: &SignInPage<'_>) -> Response {
    let mut body = String::from(
        r#"<h1 class="text-2xl font-semibold">Sign in</h1><p class="mt-1 text-sm text-slate-600">Gantry is for the platform team. Sign in with your company account.</p>"#,
    );
    if let Some(notice) = page.notice {
        body.push_str(&format!(
            r#"<p role="alert" class="mt-4 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900">{}</p>"#,
            escape(notice)
        ));
    }
    let return_to = escape(page.return_to);
    if page.sso {
        let href = format!(
            "/auth/login?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("return_to", page.return_to)
                .finish()
        );
        body.push_str(&format!(
            r#"<a data-testid="sso-sign-in" href="{}" class="mt-6 block rounded-md bg-indigo-600 px-4 py-2 text-center font-medium text-white hover:bg-indigo-500">Sign in with SSO</a>"#,
            escape(&href)
        ));
    }
    if !page.dev_users.is_empty() {
        body.push_str(r#"<section class="mt-8 rounded-lg border border-dashed border-slate-300 p-4" aria-labelledby="dev-heading"><h2 id="dev-heading" class="font-medium">Development sign-in</h2><p class="text-xs text-slate-500">Enabled in config for local use only.</p><ul class="mt-3 space-y-2">"#);
        for user in page.dev_users {
            body.push_str(&format!(
                r#"<li><form method="post" action="/auth/dev"><input type="hidden" name="subject" value="{subject}"><input type="hidden" name="return_to" value="{return_to}"><button type="submit" data-testid="dev-sign-in-{subject}" class="w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-left text-sm hover:bg-slate-50">Sign in as <strong>{name}</strong> <span class="text-slate-500">({groups})</span></button></form></li>"#,
                subject = escape(&user.subject),
                name = escape(&user.name),
                groups = escape(&user.groups.join(", ")),
            ));
        }
        body.push_str("</ul></section>");
    }
    Html(document("Sign in", &body)).into_response()
}

/// A refusal with its reason, and a way back.
pub fn refused(status: StatusCode, heading: &str, reason: &str) -> Response {
    let body = format!(
        r#"<h1 class="text-2xl font-semibold">{}</h1><p role="alert" class="mt-3 text-slate-700">{}</p><a href="/auth/sign-in" class="mt-6 inline-block text-indigo-700 underline">Back to sign-in</a>"#,
        escape(heading),
        escape(reason)
    );
    (status, Html(document(heading, &body))).into_response()
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
