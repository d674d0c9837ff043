//! Money as the pages write it: whole cents to `$1,234.56`.

/// "$1,234.56"; negatives "−$1,234.56".
pub fn usd(cents: i64) -> String {
    let sign = if cents < 0 { "−" } else { "" };
    let abs = cents.unsigned_abs();
    let dollars = (abs / 100).to_string();
    let mut grouped = String::with_capacity(dollars.len() + dollars.len() / 3);
    for (i, c) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", abs % 100)
}

/// A change: "+$12.00", "−$3.50", "$0.00".
pub fn signed_usd(cents: i64) -> String {
    if cents > 0 {
        format!("+{}", usd(cents))
    } else {
        usd(cents)
    }
}
