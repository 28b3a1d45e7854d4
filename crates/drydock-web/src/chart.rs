//! Charts drawn on the server as inline SVG: no script, no inline style (colours come from
//! the stylesheet through class names), a text alternative for screen readers, and every
//! label escaped.

use std::fmt::Write;

/// One bar: its label, value and the class that colours it (`sev-critical`, `act-stop`, …).
#[derive(Debug, Clone)]
pub struct Bar {
    /// What the bar counts.
    pub label: String,
    /// How many.
    pub value: i64,
    /// Stylesheet class of the bar (kept to `[a-z0-9-]`).
    pub class: String,
    /// Where a click on the bar leads (a filtered list), if anywhere.
    pub href: Option<String>,
}

/// A horizontal bar chart, one row per bar, labelled with its value; `title` is its text
/// alternative.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    const ROW: i64 = 26;
    const LABEL: i64 = 110;
    const WIDTH: i64 = 420;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = ROW * bars.len().max(1) as i64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as i64 * ROW;
        let w = (b.value.max(0) * (WIDTH - LABEL - 60) / max).max(if b.value > 0 { 2 } else { 0 });
        let open = b
            .href
            .as_deref()
            .map(|h| format!(r#"<a href="{}">"#, escape(h)))
            .unwrap_or_default();
        let close = if b.href.is_some() { "</a>" } else { "" };
        let _ = write!(
            svg,
            r#"{open}<g class="bar {class}"><text class="label" x="0" y="{ty}">{label}</text><rect x="{LABEL}" y="{ry}" width="{w}" height="{rh}" rx="2"/><text class="value" x="{vx}" y="{ty}">{value}</text></g>{close}"#,
            class = class_name(&b.class),
            ty = y + 17,
            ry = y + 5,
            rh = ROW - 10,
            label = escape(&b.label),
            vx = LABEL + w + 6,
            value = b.value,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One day's counts in a time series.
#[derive(Debug, Clone)]
pub struct Day {
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// Counts per series, in the order of the series given to [`stacked_days`].
    pub values: Vec<i64>,
}

/// A stacked column chart of days (oldest left): one column per day, one stacked segment per
/// series (`(name, class)`), with a text alternative.
pub fn stacked_days(title: &str, series: &[(&str, &str)], days: &[Day]) -> String {
    const WIDTH: i64 = 640;
    const HEIGHT: i64 = 160;
    const AXIS: i64 = 18;
    let max = days
        .iter()
        .map(|d| d.values.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let n = days.len().max(1) as i64;
    // Columns at most 24 units wide (a short history stays readable), with a gap.
    let col = (WIDTH / n).clamp(2, 24);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        h = HEIGHT + AXIS,
        t = escape(title)
    );
    for (i, d) in days.iter().enumerate() {
        let x = i as i64 * col;
        let mut top = HEIGHT;
        let mut tip = d.day.clone();
        for ((name, class), v) in series.iter().zip(&d.values) {
            let h = v.max(&0) * HEIGHT / max;
            if h > 0 {
                top -= h;
                let _ = write!(
                    svg,
                    r#"<rect class="{c}" x="{x}" y="{top}" width="{w}" height="{h}"/>"#,
                    c = class_name(class),
                    w = (col - 2).max(1),
                );
            }
            let _ = write!(tip, ", {name} {v}");
        }
        let _ = write!(
            svg,
            r#"<rect class="hit" x="{x}" y="0" width="{col}" height="{HEIGHT}"><title>{}</title></rect>"#,
            escape(&tip)
        );
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            svg,
            r#"<text class="axis" x="0" y="{y}">{}</text><text class="axis end" x="{WIDTH}" y="{y}">{}</text>"#,
            escape(&first.day),
            escape(&last.day),
            y = HEIGHT + AXIS - 4,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A class name reduced to `[a-z0-9-]` (it is written unquoted-safe into an attribute).
fn class_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_classes_cannot_break_out() {
        let svg = bars(
            "<b>",
            &[Bar {
                label: "<script>alert(1)</script>".into(),
                value: 3,
                class: "x\" onload=\"alert(1)".into(),
                href: Some("/images?q=\"><script>".into()),
            }],
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(!svg.contains("onload=\""), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains(r#"aria-label="&lt;b&gt;""#));
    }

    #[test]
    fn bars_scale_to_the_largest_and_zero_draws_nothing() {
        let b = |label: &str, value| Bar {
            label: label.into(),
            value,
            class: "sev-high".into(),
            href: None,
        };
        let svg = bars("t", &[b("High", 10), b("Low", 0)]);
        assert!(svg.contains(r#"width="250""#), "{svg}");
        assert!(svg.contains(r#"width="0""#), "{svg}");
    }

    #[test]
    fn days_stack_their_series() {
        let svg = stacked_days(
            "findings",
            &[("Critical", "sev-critical"), ("High", "sev-high")],
            &[
                Day {
                    day: "2026-12-01".into(),
                    values: vec![1, 1],
                },
                Day {
                    day: "2026-12-02".into(),
                    values: vec![2, 2],
                },
            ],
        );
        assert_eq!(svg.matches(r#"class="sev-critical""#).count(), 2);
        assert!(svg.contains("2026-12-01, Critical 1, High 1"));
        assert!(svg.contains(">2026-12-02</text>"));
    }
}
