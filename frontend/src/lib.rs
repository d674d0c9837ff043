#![recursion_limit = "256"]
//! The browser entry: hydrates the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `hydrate_lazy`, not `hydrate_body`: a first load of a lazy route
    // (app/src/routes.rs) hydrates once that route's code has been loaded.
    leptos::mount::hydrate_lazy(app::App);
}
