//! Charts drawn as SVG on the server: readable without JavaScript, crisp in
//! print. Each chart has a `<title>` and `<desc>` (`role="img"`,
//! `aria-labelledby`) and the same figures in a table below it. Series differ
//! by dash pattern and carry their name at the line's end, bars carry their
//! value as text, and decreases are hatched: colour is never the only cue.
//!
//! The numbers→coordinates math is plain functions ([`Axis`], [`x_at`],
//! [`line_path`]), unit-tested below.

use leptos::prelude::*;

/// Line colours, one per series (cycled); each paired with a dash pattern.
const PALETTE: [&str; 6] = [
    "#4f46e5", "#0d9488", "#d97706", "#e11d48", "#0284c7", "#7c3aed",
];
const DASHES: [&str; 6] = ["", "7 4", "2 3", "10 3 2 3", "4 2", "1 4"];

/// A value axis in cents: from `min` to `max` (both multiples of `step`,
/// zero always inside), ticks every `step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    pub min: i64,
    pub max: i64,
    pub step: i64,
}

impl Axis {
    /// The axis that fits `values` and zero, with at most `max_ticks`
    /// intervals of a "nice" size (1, 2, 2.5 or 5 × a power of ten dollars,
    /// at least $1).
    pub fn fit(values: impl IntoIterator<Item = i64>, max_ticks: u32) -> Axis {
        let (mut lo, mut hi) = (0_i64, 0_i64);
        for v in values {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        let step = nice_step(hi - lo, max_ticks.max(1));
        let min = lo.div_euclid(step) * step;
        let max = if hi % step == 0 {
            hi
        } else {
            (hi.div_euclid(step) + 1) * step
        };
        let max = if max == min { min + step } else { max };
        Axis { min, max, step }
    }

    /// Every tick value from `min` to `max`.
    pub fn ticks(&self) -> Vec<i64> {
        let mut ticks = Vec::new();
        let mut v = self.min;
        while v <= self.max {
            ticks.push(v);
            v += self.step;
        }
        ticks
    }

    /// Where `value` falls between the pixels `from` (for `min`) and `to`
    /// (for `max`); works for an inverted axis (`from` > `to`, as SVG's y).
    pub fn at(&self, value: i64, from: f64, to: f64) -> f64 {
        let span = (self.max - self.min) as f64;
        if span <= 0.0 {
            return from;
        }
        from + (value - self.min) as f64 / span * (to - from)
    }
}

/// The smallest "nice" step (1, 2, 2.5, 5 × 10ⁿ cents, at least 100) that
/// divides `range` cents into at most `max_ticks` intervals.
pub fn nice_step(range: i64, max_ticks: u32) -> i64 {
    let target = (range.max(1) as f64) / f64::from(max_ticks.max(1));
    let mut magnitude: i64 = 100;
    loop {
        for factor in [10_i64, 20, 25, 50] {
            let step = magnitude * factor / 10;
            if step as f64 >= target {
                return step;
            }
        }
        match magnitude.checked_mul(10) {
            Some(m) => magnitude = m,
            None => return i64::MAX / 4,
        }
    }
}

/// The x of point `i` of `n` spread evenly from `left` to `right` (one point
/// sits in the middle).
pub fn x_at(i: usize, n: usize, left: f64, right: f64) -> f64 {
    if n <= 1 {
        return (left + right) / 2.0;
    }
    left + (right - left) * i as f64 / (n - 1) as f64
}

/// An SVG path through the points, a new segment after each gap (`None`).
pub fn line_path(points: &[Option<(f64, f64)>]) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for p in points {
        match p {
            Some((x, y)) => {
                if !d.is_empty() {
                    d.push(' ');
                }
                d.push(if pen_down { 'L' } else { 'M' });
                d.push_str(&format!("{x:.1} {y:.1}"));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

/// A tick label: "$0", "$250", "$1.5k", "$12k", "$1.2M"; negatives "−$50".
pub fn axis_label(cents: i64) -> String {
    let sign = if cents < 0 { "−" } else { "" };
    let dollars = cents.unsigned_abs() as f64 / 100.0;
    let text = if dollars >= 1_000_000.0 {
        trim(format!("{:.1}", dollars / 1_000_000.0)) + "M"
    } else if dollars >= 1_000.0 {
        trim(format!("{:.1}", dollars / 1_000.0)) + "k"
    } else if dollars.fract() == 0.0 {
        format!("{dollars:.0}")
    } else {
        format!("{dollars:.2}")
    };
    format!("{sign}${text}")
}

fn trim(s: String) -> String {
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

/// Which of `n` x labels to print so that at most `max` show (always the
/// first and the last).
pub fn label_every(n: usize, max: usize) -> usize {
    if n <= max || max < 2 {
        1
    } else {
        n.div_ceil(max - 1)
    }
}

/// Moves the end labels at `ys` (one per line, in any order) apart so that
/// no two are closer than `gap`, keeping their order from top to bottom and
/// each as near its line as it can, within `[top, bottom]` when they fit.
pub fn spread_labels(ys: &[f64], gap: f64, top: f64, bottom: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..ys.len()).collect();
    order.sort_by(|a, b| ys[*a].total_cmp(&ys[*b]).then(a.cmp(b)));
    let mut placed: Vec<f64> = order.iter().map(|i| ys[*i]).collect();
    // Downwards: each at least `gap` below the one above it.
    for k in 1..placed.len() {
        placed[k] = placed[k].max(placed[k - 1] + gap);
    }
    // Pushed past the bottom: back up, each at least `gap` above the next.
    if let Some(last) = placed.last_mut() {
        *last = last.min(bottom);
    }
    for k in (0..placed.len().saturating_sub(1)).rev() {
        placed[k] = placed[k].min(placed[k + 1] - gap);
    }
    // Pushed past the top (too many to fit): from the top down again.
    if let Some(first) = placed.first_mut() {
        *first = first.max(top);
    }
    for k in 1..placed.len() {
        placed[k] = placed[k].max(placed[k - 1] + gap);
    }
    let mut out = vec![0.0; ys.len()];
    for (k, i) in order.into_iter().enumerate() {
        out[i] = placed[k];
    }
    out
}

/// Shortens a label to `max` characters with an ellipsis.
pub fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// One line of a [`LineChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// One value per x label, `None` where there is none.
    pub values: Vec<Option<i64>>,
    /// A reference line (budget): slate, dashed, thinner, drawn first.
    pub reference: bool,
}

const LINE_W: f64 = 720.0;
/// A compact chart (two side by side) draws in a narrower box, so that its
/// text keeps its size when the chart is half as wide.
const LINE_W_COMPACT: f64 = 460.0;
const LINE_H: f64 = 260.0;
const LINE_LEFT: f64 = 64.0;
/// Room right of the plot for the lines' names.
const LINE_LABELS: f64 = 96.0;
const LINE_TOP: f64 = 14.0;
const LINE_BOTTOM: f64 = 226.0;
const LABEL_GAP: f64 = 12.0;

/// A trend: one or more series over the same x labels (days, months),
/// with dollar ticks, each line's name at its end, and the data table.
#[component]
pub fn LineChart(
    /// Unique in the page: the ids of the title and description derive from it.
    id: String,
    title: String,
    desc: String,
    /// Heading of the x column in the table ("Day", "Month").
    x_heading: String,
    x_labels: Vec<String>,
    series: Vec<Series>,
    /// Drawn half-width (side by side with another): a narrower box.
    #[prop(optional)]
    compact: bool,
) -> impl IntoView {
    let width = if compact { LINE_W_COMPACT } else { LINE_W };
    let right = width - LINE_LABELS;
    let axis = Axis::fit(
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied()),
        5,
    );
    let n = x_labels.len();
    let every = label_every(n, 8);
    let ticks = axis
        .ticks()
        .into_iter()
        .map(|v| {
            let y = axis.at(v, LINE_BOTTOM, LINE_TOP);
            view! {
                <line x1=LINE_LEFT x2=right y1=y y2=y stroke="#e2e8f0" stroke-width="1" />
                <text x=LINE_LEFT - 6.0 y=y + 4.0 text-anchor="end" font-size="11" fill="#475569">
                    {axis_label(v)}
                </text>
            }
        })
        .collect_view();
    let x_ticks = x_labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i + 1 == n)
        .map(|(i, label)| {
            let x = x_at(i, n, LINE_LEFT, right);
            view! {
                <text x=x y=LINE_BOTTOM + 18.0 text-anchor="middle" font-size="11" fill="#475569">
                    {label.clone()}
                </text>
            }
        })
        .collect_view();
    let points: Vec<Vec<Option<(f64, f64)>>> = series
        .iter()
        .map(|s| {
            s.values
                .iter()
                .enumerate()
                .map(|(j, v)| {
                    v.map(|v| {
                        (
                            x_at(j, n, LINE_LEFT, right),
                            axis.at(v, LINE_BOTTOM, LINE_TOP),
                        )
                    })
                })
                .collect()
        })
        .collect();
    // Each line's name at its last point, moved apart where lines end close.
    let ends: Vec<Option<(f64, f64)>> = points
        .iter()
        .map(|p| p.iter().rev().flatten().next().copied())
        .collect();
    let label_ys = spread_labels(
        &ends
            .iter()
            .flatten()
            .map(|(_, y)| y + 4.0)
            .collect::<Vec<_>>(),
        LABEL_GAP,
        LINE_TOP,
        LINE_BOTTOM + 4.0,
    );
    let mut label_y = label_ys.into_iter();
    let label_at: Vec<Option<f64>> = ends
        .iter()
        .map(|e| e.and_then(|_| label_y.next()))
        .collect();
    // Reference lines first, so the actual figures draw over them.
    let mut ordered: Vec<usize> = (0..series.len()).collect();
    ordered.sort_by_key(|i| !series[*i].reference);
    let lines = ordered
        .into_iter()
        .map(|i| {
            let s = &series[i];
            let (colour, dash, width) = if s.reference {
                ("#334155", "5 4", "1.5")
            } else {
                (PALETTE[i % PALETTE.len()], DASHES[i % DASHES.len()], "2.25")
            };
            let end = ends[i];
            let label = end.zip(label_at[i]).map(|((x, _), y)| {
                view! {
                    <text x=x + 6.0 y=y font-size="11" fill="#0f172a">{shorten(&s.name, 14)}</text>
                }
            });
            let single = (points[i].iter().flatten().count() == 1)
                .then(|| end.map(|(x, y)| view! { <circle cx=x cy=y r="3" fill=colour /> }));
            view! {
                <path
                    d=line_path(&points[i])
                    fill="none"
                    stroke=colour
                    stroke-width=width
                    stroke-dasharray=dash
                    stroke-linejoin="round"
                    data-series=s.name.clone()
                />
                {single}
                {label}
            }
        })
        .collect_view();
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled = format!("{title_id} {desc_id}");
    let mut headers = vec![x_heading];
    headers.extend(series.iter().map(|s| s.name.clone()));
    let rows = x_labels
        .iter()
        .enumerate()
        .map(|(j, label)| {
            let mut row = vec![label.clone()];
            row.extend(series.iter().map(|s| {
                s.values
                    .get(j)
                    .copied()
                    .flatten()
                    .map(crate::components::money::usd)
                    .unwrap_or_else(|| "—".to_owned())
            }));
            row
        })
        .collect();
    view! {
        <figure class="chart" data-chart=id.clone()>
            <svg
                viewBox=format!("0 0 {width} {LINE_H}")
                role="img"
                aria-labelledby=labelled
                class="h-auto w-full"
                xmlns="http://www.w3.org/2000/svg"
            >
                <title id=title_id>{title.clone()}</title>
                <desc id=desc_id>{desc}</desc>
                {ticks}
                <line x1=LINE_LEFT x2=right y1=LINE_BOTTOM y2=LINE_BOTTOM stroke="#94a3b8" stroke-width="1" />
                {x_ticks}
                {lines}
            </svg>
            <ChartTable caption=title headers rows />
        </figure>
    }
}

/// One bar of a [`BarChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub cents: i64,
    /// Printed after the value: "of $475.00 budget", "+12.5%".
    pub note: Option<String>,
    /// A reference mark on the bar's row (the budget).
    pub marker: Option<i64>,
}

const BAR_W: f64 = 720.0;
const BAR_LABEL_RIGHT: f64 = 204.0;
/// Characters of a label that fit left of the bars at 12 px.
const BAR_LABEL_CHARS: usize = 30;
const BAR_LEFT: f64 = 212.0;
const BAR_RIGHT: f64 = 530.0;
const BAR_ROW: f64 = 30.0;
const BAR_TOP: f64 = 8.0;

/// Horizontal bars with their values as text; negative bars (decreases)
/// extend left of zero and are hatched. The optional marker (a budget) is a
/// dark tick across the row, named in the table and the note.
#[component]
pub fn BarChart(
    id: String,
    title: String,
    desc: String,
    /// Heading of the label column in the table ("Environment").
    label_heading: String,
    /// Heading of the value column ("Month to date").
    value_heading: String,
    bars: Vec<Bar>,
    /// Heading of the marker column when any bar has one ("Budget").
    #[prop(optional, into)]
    marker_heading: Option<String>,
    /// Prefix positive values with "+" (changes).
    #[prop(optional)]
    signed: bool,
) -> impl IntoView {
    let axis = Axis::fit(
        bars.iter()
            .flat_map(|b| std::iter::once(b.cents).chain(b.marker)),
        4,
    );
    let height = BAR_TOP + BAR_ROW * bars.len().max(1) as f64 + 24.0;
    let axis_y = BAR_TOP + BAR_ROW * bars.len().max(1) as f64;
    let zero = axis.at(0, BAR_LEFT, BAR_RIGHT);
    let format = move |c: i64| {
        if signed {
            crate::components::money::signed_usd(c)
        } else {
            crate::components::money::usd(c)
        }
    };
    let hatch_id = format!("{id}-hatch");
    let hatch_fill = format!("url(#{hatch_id})");
    let ticks = axis
        .ticks()
        .into_iter()
        .map(|v| {
            let x = axis.at(v, BAR_LEFT, BAR_RIGHT);
            view! {
                <line x1=x x2=x y1=BAR_TOP y2=axis_y stroke="#e2e8f0" stroke-width="1" />
                <text x=x y=axis_y + 16.0 text-anchor="middle" font-size="11" fill="#475569">{axis_label(v)}</text>
            }
        })
        .collect_view();
    let rows = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let y = BAR_TOP + BAR_ROW * i as f64 + 6.0;
            let end = axis.at(b.cents, BAR_LEFT, BAR_RIGHT);
            let (x, w) = if end >= zero { (zero, end - zero) } else { (end, zero - end) };
            let negative = b.cents < 0;
            let fill = if negative { hatch_fill.clone() } else { PALETTE[0].to_owned() };
            let value_x = BAR_RIGHT.max(end) + 8.0;
            let text = match &b.note {
                Some(note) => format!("{}  {note}", format(b.cents)),
                None => format(b.cents),
            };
            let marker = b.marker.map(|m| {
                let mx = axis.at(m, BAR_LEFT, BAR_RIGHT);
                view! { <line x1=mx x2=mx y1=y - 4.0 y2=y + BAR_ROW - 8.0 stroke="#0f172a" stroke-width="2.5" data-marker="" /> }
            });
            view! {
                <text x=BAR_LABEL_RIGHT y=y + 13.0 text-anchor="end" font-size="12" fill="#0f172a">
                    {(b.label.chars().count() > BAR_LABEL_CHARS).then(|| view! { <title>{b.label.clone()}</title> })}
                    {shorten(&b.label, BAR_LABEL_CHARS)}
                </text>
                <rect
                    x=x
                    y=y
                    width=w.max(if b.cents == 0 { 0.0 } else { 1.0 })
                    height=BAR_ROW - 12.0
                    fill=fill
                    stroke=if negative { "#be123c" } else { "none" }
                    rx="2"
                    data-bar=b.label.clone()
                />
                {marker}
                <text x=value_x y=y + 13.0 font-size="12" fill="#0f172a" class="tabular-nums">{text}</text>
            }
        })
        .collect_view();
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled = format!("{title_id} {desc_id}");
    let has_marker = bars.iter().any(|b| b.marker.is_some());
    let mut headers = vec![label_heading, value_heading];
    if has_marker {
        headers.push(marker_heading.unwrap_or_else(|| "Reference".to_owned()));
    }
    let has_note = bars.iter().any(|b| b.note.is_some());
    if has_note {
        headers.push("Note".to_owned());
    }
    let table_rows = bars
        .iter()
        .map(|b| {
            let mut row = vec![b.label.clone(), format(b.cents)];
            if has_marker {
                row.push(
                    b.marker
                        .map(crate::components::money::usd)
                        .unwrap_or_else(|| "—".to_owned()),
                );
            }
            if has_note {
                row.push(b.note.clone().unwrap_or_default());
            }
            row
        })
        .collect();
    view! {
        <figure class="chart" data-chart=id.clone()>
            <svg
                viewBox=format!("0 0 {BAR_W} {height}")
                role="img"
                aria-labelledby=labelled
                class="h-auto w-full"
                xmlns="http://www.w3.org/2000/svg"
            >
                <title id=title_id>{title.clone()}</title>
                <desc id=desc_id>{desc}</desc>
                <defs>
                    <pattern id=hatch_id width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <rect width="6" height="6" fill="#ffe4e6" />
                        <line x1="0" y1="0" x2="0" y2="6" stroke="#be123c" stroke-width="2.5" />
                    </pattern>
                </defs>
                {ticks}
                {rows}
                <line x1=zero x2=zero y1=BAR_TOP y2=axis_y stroke="#475569" stroke-width="1" />
            </svg>
            <ChartTable caption=title headers rows=table_rows />
        </figure>
    }
}

/// The figures of a chart as a table, folded under the chart.
#[component]
pub fn ChartTable(caption: String, headers: Vec<String>, rows: Vec<Vec<String>>) -> impl IntoView {
    view! {
        <details class="chart-data mt-2 text-sm">
            <summary class="cursor-pointer text-xs font-medium text-indigo-700">"Data table"</summary>
            <div class="mt-2 max-h-96 overflow-auto">
                <table class="min-w-full text-sm" data-chart-table="">
                    <caption class="sr-only">{caption}</caption>
                    <thead class="text-left text-xs text-slate-500 uppercase">
                        <tr>
                            {headers
                                .into_iter()
                                .enumerate()
                                .map(|(i, h)| {
                                    let align = if i == 0 { "py-1 pr-4" } else { "py-1 pr-4 text-right" };
                                    view! { <th scope="col" class=align>{h}</th> }
                                })
                                .collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|row| {
                                let mut cells = row.into_iter();
                                let first = cells.next().unwrap_or_default();
                                view! {
                                    <tr class="border-t border-slate-100">
                                        <th scope="row" class="py-1 pr-4 text-left font-normal">{first}</th>
                                        {cells
                                            .map(|c| view! { <td class="py-1 pr-4 text-right tabular-nums">{c}</td> })
                                            .collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests;
