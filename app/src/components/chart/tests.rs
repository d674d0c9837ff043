use super::*;

#[test]
fn nice_steps() {
    assert_eq!(nice_step(0, 5), 100);
    assert_eq!(nice_step(47_500, 5), 10_000); // $475 in 5 → $100
    assert_eq!(nice_step(60_000, 5), 20_000);
    assert_eq!(nice_step(110_000, 5), 25_000);
    assert_eq!(nice_step(230_000, 5), 50_000);
    assert_eq!(nice_step(900, 4), 250);
}

#[test]
fn axis_fits_values_and_zero() {
    let a = Axis::fit([12_345, 47_500], 5);
    assert_eq!(
        a,
        Axis {
            min: 0,
            max: 50_000,
            step: 10_000
        }
    );
    assert_eq!(a.ticks(), vec![0, 10_000, 20_000, 30_000, 40_000, 50_000]);
    let empty = Axis::fit([], 5);
    assert_eq!(
        empty,
        Axis {
            min: 0,
            max: 100,
            step: 100
        }
    );
    let signed = Axis::fit([-3_000, 9_000], 4);
    assert_eq!(
        signed,
        Axis {
            min: -5_000,
            max: 10_000,
            step: 5_000
        }
    );
    assert!(signed.ticks().contains(&0));
}

#[test]
fn axis_maps_values_to_pixels() {
    let a = Axis {
        min: 0,
        max: 50_000,
        step: 10_000,
    };
    assert_eq!(a.at(0, 200.0, 0.0), 200.0);
    assert_eq!(a.at(50_000, 200.0, 0.0), 0.0);
    assert_eq!(a.at(25_000, 200.0, 0.0), 100.0);
    assert_eq!(a.at(25_000, 100.0, 300.0), 200.0);
    let signed = Axis {
        min: -5_000,
        max: 5_000,
        step: 5_000,
    };
    assert_eq!(signed.at(0, 100.0, 300.0), 200.0);
}

#[test]
fn points_spread_evenly() {
    assert_eq!(x_at(0, 3, 0.0, 100.0), 0.0);
    assert_eq!(x_at(1, 3, 0.0, 100.0), 50.0);
    assert_eq!(x_at(2, 3, 0.0, 100.0), 100.0);
    assert_eq!(x_at(0, 1, 0.0, 100.0), 50.0);
}

#[test]
fn paths_break_at_gaps() {
    let d = line_path(&[
        Some((0.0, 10.0)),
        Some((5.0, 2.5)),
        None,
        Some((20.0, 1.0)),
        Some((30.0, 0.0)),
    ]);
    assert_eq!(d, "M0.0 10.0 L5.0 2.5 M20.0 1.0 L30.0 0.0");
    assert_eq!(line_path(&[None, None]), "");
}

#[test]
fn tick_labels_in_dollars() {
    assert_eq!(axis_label(0), "$0");
    assert_eq!(axis_label(25_000), "$250");
    assert_eq!(axis_label(25), "$0.25");
    assert_eq!(axis_label(150_000), "$1.5k");
    assert_eq!(axis_label(1_200_000), "$12k");
    assert_eq!(axis_label(120_000_000), "$1.2M");
    assert_eq!(axis_label(-5_000), "−$50");
}

#[test]
fn x_labels_thin_out() {
    assert_eq!(label_every(13, 8), 2);
    assert_eq!(label_every(90, 8), 13);
    assert_eq!(label_every(6, 8), 1);
    assert_eq!(
        shorten("Amazon Relational Database Service", 12),
        "Amazon Rela…"
    );
    assert_eq!(shorten("EC2", 12), "EC2");
}

#[test]
fn end_labels_keep_their_order_and_move_apart() {
    // Apart already: unmoved.
    assert_eq!(
        spread_labels(&[50.0, 10.0], 12.0, 0.0, 200.0),
        vec![50.0, 10.0]
    );
    // Two 3 px apart: the lower moves down, the order stays.
    assert_eq!(
        spread_labels(&[100.0, 103.0], 12.0, 0.0, 200.0),
        vec![100.0, 112.0]
    );
    assert_eq!(
        spread_labels(&[103.0, 100.0], 12.0, 0.0, 200.0),
        vec![112.0, 100.0]
    );
    // At the bottom there is no room below: the upper ones move up.
    assert_eq!(
        spread_labels(&[195.0, 198.0, 200.0], 12.0, 0.0, 200.0),
        vec![176.0, 188.0, 200.0]
    );
    // Each label is at least the gap from every other.
    let ys = spread_labels(&[5.0, 5.0, 6.0, 7.0, 190.0], 12.0, 0.0, 200.0);
    for (i, a) in ys.iter().enumerate() {
        for b in &ys[i + 1..] {
            assert!((a - b).abs() >= 12.0 - 1e-9, "{ys:?}");
        }
    }
    assert!(spread_labels(&[], 12.0, 0.0, 200.0).is_empty());
}

#[test]
fn charts_render_titles_and_tables() {
    let owner = Owner::new();
    owner.set();
    let html = view! {
        <LineChart
            id="trend".to_owned()
            title="Daily cost".to_owned()
            desc="Two environments over three days".to_owned()
            x_heading="Day".to_owned()
            x_labels=vec!["1".into(), "2".into(), "3".into()]
            series=vec![
                Series { name: "dev".into(), values: vec![Some(100), None, Some(300)], reference: false },
                Series { name: "budget".into(), values: vec![Some(200), Some(200), Some(200)], reference: true },
            ]
        />
        <BarChart
            id="movers".to_owned()
            title="Movers".to_owned()
            desc="Largest changes".to_owned()
            label_heading="Service".to_owned()
            value_heading="Change".to_owned()
            signed=true
            bars=vec![
                Bar { label: "EC2 & co".into(), cents: 1_250, note: None, marker: None },
                Bar { label: "RDS".into(), cents: -500, note: Some("−10.0%".into()), marker: None },
            ]
        />
    }
    .to_html()
    // The hydration markers erased views (every build but the release one,
    // .cargo/config.toml) put after dynamic text are not part of the chart.
    .replace("<!>", "");
    assert!(html.contains(r#"role="img""#), "{html}");
    assert!(
        html.contains(r#"aria-labelledby="trend-title trend-desc""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<title id="trend-title">Daily cost</title>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<desc id="movers-desc">Largest changes</desc>"#),
        "{html}"
    );
    assert!(html.contains("viewBox=\"0 0 720 260\""), "{html}");
    assert!(html.contains("EC2 &amp; co"), "labels are escaped: {html}");
    assert!(html.contains("+$12.50"), "{html}");
    assert!(html.contains("−$5.00"), "{html}");
    assert!(
        html.contains("url(#movers-hatch)"),
        "decreases are hatched: {html}"
    );
    assert!(html.contains("data-chart-table"), "{html}");
    assert!(html.contains("$3.00"), "table values: {html}");
}
