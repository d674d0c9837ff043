//! Repairs text whose UTF-8 bytes were once decoded as Mac Roman.
//!
//! The team's document went through an editor that read it as Mac Roman, so
//! every emoji became a run of Mac Roman characters: ✅ (`E2 9C 85`) reads
//! `‚úÖ`, 🚧 (`F0 9F 9A A7`) reads `\u{F8FF}üöß`. Re-encoding such a run
//! with Mac Roman gives the original bytes back.

use std::borrow::Cow;

use encoding_rs::MACINTOSH;

/// Repairs Mac Roman mojibake, leaving everything else untouched.
///
/// Finds runs of consecutive characters that all belong to the high half of
/// Mac Roman (bytes `0x80`–`0xFF`), re-encodes each run to those bytes and
/// replaces every complete multi-byte UTF-8 sequence found in them with the
/// character it encodes. Bytes that do not form such a sequence keep their
/// original character, so a genuine "é" (Mac Roman `0x8E`, never a UTF-8
/// lead byte on its own) survives, even right next to a repaired emoji.
///
/// Limitation: a genuine pair such as "«É" is also valid UTF-8 once
/// re-encoded (`C7 83`) and would be "repaired"; real documents rarely
/// contain such pairs, the mangled emoji are frequent.
pub fn demojibake(s: &str) -> Cow<'_, str> {
    let mut out = String::new();
    // Everything of `s` before `copied` is already in `out` (when `changed`).
    let mut copied = 0;
    let mut changed = false;
    let mut run: Vec<(usize, char, u8)> = Vec::new();

    let mut chars = s.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let Some(byte) = mac_roman_high_byte(c) else {
            continue;
        };
        run.clear();
        run.push((start, c, byte));
        while let Some(&(i, next)) = chars.peek() {
            match mac_roman_high_byte(next) {
                Some(b) => {
                    run.push((i, next, b));
                    chars.next();
                }
                None => break,
            }
        }
        if let Some(repaired) = repair_run(&run) {
            let end = run
                .last()
                .map_or(start, |&(i, last, _)| i + last.len_utf8());
            out.push_str(s.get(copied..start).unwrap_or_default());
            out.push_str(&repaired);
            copied = end;
            changed = true;
        }
    }

    if changed {
        out.push_str(s.get(copied..).unwrap_or_default());
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

/// The Mac Roman byte (`0x80`–`0xFF`) that decodes to `c`, if any.
fn mac_roman_high_byte(c: char) -> Option<u8> {
    if c.is_ascii() {
        return None;
    }
    let mut buf = [0u8; 4];
    let (bytes, _, had_errors) = MACINTOSH.encode(c.encode_utf8(&mut buf));
    match (had_errors, bytes.as_ref()) {
        (false, &[b]) if b >= 0x80 => Some(b),
        _ => None,
    }
}

/// The run with its UTF-8 sequences decoded, or `None` when it has none.
fn repair_run(run: &[(usize, char, u8)]) -> Option<String> {
    let bytes: Vec<u8> = run.iter().map(|&(_, _, b)| b).collect();
    let mut out = String::new();
    let mut repaired = false;
    let mut i = 0;
    while i < bytes.len() {
        let width = match bytes.get(i) {
            Some(0xC2..=0xDF) => 2,
            Some(0xE0..=0xEF) => 3,
            Some(0xF0..=0xF4) => 4,
            _ => 0,
        };
        let decoded = (width > 0)
            .then(|| bytes.get(i..i + width))
            .flatten()
            .and_then(|seq| std::str::from_utf8(seq).ok());
        match decoded {
            Some(text) => {
                out.push_str(text);
                repaired = true;
                i += width;
            }
            None => {
                if let Some(&(_, c, _)) = run.get(i) {
                    out.push(c);
                }
                i += 1;
            }
        }
    }
    repaired.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed_unchanged() {
        for text in [
            "",
            "Infrastructure Status & Future Modules",
            "café, naïve, Zürich, señor — “quoted” • bullet",
            "already clean ✅ 🚧 📋",
            "\u{F8FF} alone",
        ] {
            assert!(
                matches!(demojibake(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn each_emoji_of_the_document_is_repaired() {
        let cases = [
            ("‚úÖ", "✅"),
            ("\u{F8FF}üöß", "🚧"),
            ("\u{F8FF}üìã", "📋"),
            ("\u{F8FF}üéØ", "🎯"),
            ("\u{F8FF}üìä", "📊"),
            ("\u{F8FF}üìù", "📝"),
            ("\u{F8FF}üîÑ", "🔄"),
        ];
        for (mangled, clean) in cases {
            assert_eq!(demojibake(mangled), clean, "{mangled}");
            // The mangling is exactly "UTF-8 bytes read as Mac Roman".
            let (decoded, _, _) = MACINTOSH.decode(clean.as_bytes());
            assert_eq!(decoded, mangled);
        }
    }

    #[test]
    fn mixed_text_keeps_everything_else() {
        assert_eq!(
            demojibake("## ‚úÖ Currently Implemented Modules"),
            "## ✅ Currently Implemented Modules"
        );
        assert_eq!(
            demojibake("Status: ‚úÖ Deployed – café \u{F8FF}üöß done"),
            "Status: ✅ Deployed – café 🚧 done"
        );
        // A genuine accented letter glued to a mangled emoji survives.
        assert_eq!(demojibake("é‚úÖé"), "é✅é");
        // A truncated sequence is left as it is.
        assert_eq!(demojibake("‚ú x"), "‚ú x");
    }
}
