//! Form controls' look, one for every form: inputs, selects and text areas.

/// The class of a text input, select or text area.
pub const INPUT: &str = "mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm";
