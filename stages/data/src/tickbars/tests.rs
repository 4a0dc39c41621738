//! Bars from real ES trades (shared/reference/data) and from small hand-made streams.

use std::path::Path;

use mlfactory_artifacts::table::decode_parquet;

use super::*;

fn trades(price: &[f64], volume: &[f64]) -> Trades {
    Trades { ts: (0..price.len() as i64).map(|i| 1_000 + i * 1_000_000_000).collect(), price: price.to_vec(), volume: volume.to_vec(), side: None }
}

#[test]
fn tick_rule_carries_the_last_sign() {
    let t = trades(&[10.0, 10.25, 10.25, 10.0, 10.0, 10.5], &[1.0; 6]);
    assert_eq!(t.signs(), vec![0, 1, 1, -1, -1, 1]);
    let sided = Trades { side: Some(vec![0, -1, 0, 0, 1, 0]), ..t };
    assert_eq!(sided.signs(), vec![0, -1, -1, -1, 1, 1]);
}

#[test]
fn volume_and_dollar_bars_close_at_the_threshold() {
    let t = trades(&[10.0, 11.0, 12.0, 11.0, 10.0], &[3.0, 4.0, 2.0, 5.0, 1.0]);
    let p = TickBarsParams { kind: BarKind::Volume, threshold: 7.0, ..TickBarsParams::default() };
    let b = build(&t, &p).unwrap();
    assert_eq!((b.open.clone(), b.close.clone(), b.volume.clone()), (vec![10.0, 12.0], vec![11.0, 11.0], vec![7.0, 7.0]));
    assert_eq!(b.ticks, vec![2, 2]);
    let kept = build(&t, &TickBarsParams { keep_partial: true, ..p }).unwrap();
    assert_eq!(kept.ticks, vec![2, 2, 1]);
    let d = build(&t, &TickBarsParams { kind: BarKind::Dollar, threshold: 50.0, multiplier: 2.0, ..TickBarsParams::default() }).unwrap();
    // 10*3*2 = 60 >= 50: one trade; 11*4*2 = 88: one trade; 12*2*2 = 48 < 50, + 11*5*2 = 158: two; 20: partial, dropped.
    assert_eq!(d.ticks, vec![1, 1, 2]);
    assert_eq!(d.dollar_value[0], 60.0);
}

#[test]
fn imbalance_bars_lengthen_when_flow_balances() {
    // 1000 buyer-initiated trades: E[b] = 1, so every bar closes after E[T] = 10 trades.
    // Then three buys for one sell: the expected imbalance falls and bars get longer.
    let mut signs = vec![1i8; 1000];
    signs.extend((0..4000).map(|i| if i % 4 == 3 { -1 } else { 1 }));
    let bounds = imbalance_bars(&signs, 10, 3, 50);
    let len = |b: &(usize, usize, bool)| b.1 - b.0 + 1;
    let early: Vec<usize> = bounds.iter().filter(|b| b.1 < 1000).map(len).collect();
    assert!(early.len() >= 99 && early.iter().all(|&l| l == 10), "{early:?}");
    let late: Vec<usize> = bounds.iter().filter(|b| b.0 >= 2000 && b.2).map(len).collect();
    let mean = late.iter().sum::<usize>() as f64 / late.len() as f64;
    assert!(mean > 12.0, "bars under balanced flow: mean {mean} trades");
    // Bars tile the trades.
    assert!(bounds.windows(2).all(|w| w[1].0 == w[0].1 + 1));
    assert_eq!(bounds.last().unwrap().1, signs.len() - 1);
}

fn reference(name: &str, test: &str) -> Option<RecordBatch> {
    let dir = mlfactory_market::reference::dir(Path::new(env!("CARGO_MANIFEST_DIR")), test)?;
    Some(decode_parquet(std::fs::read(dir.join("data").join(name)).unwrap()).unwrap())
}

/// ES trades of 2011-07-31 (mlfinlab's tick sample): every kind of bar tiles the trades,
/// and matches a naive recount.
#[test]
fn es_ticks_2011_every_kind() {
    let Some(table) = reference("es_ticks_20110731.parquet", "es_ticks_2011_every_kind") else { return };
    let t = Trades::from_table(&table).unwrap();
    assert_eq!(t.price.len(), 11_101);
    let total_volume: f64 = t.volume.iter().sum();
    assert_eq!(total_volume, 41_809.0);
    for (kind, threshold) in
        [(BarKind::Tick, 100.0), (BarKind::Volume, 500.0), (BarKind::Dollar, 1_000_000.0), (BarKind::TickImbalance, 0.0), (BarKind::Time, 0.0)]
    {
        let p = TickBarsParams { kind, threshold, keep_partial: true, expected_ticks: 100, ..TickBarsParams::default() };
        let b = build(&t, &p).unwrap();
        assert_eq!(b.ticks.iter().sum::<i64>(), 11_101, "{kind:?}");
        assert_eq!(b.volume.iter().sum::<f64>(), total_volume, "{kind:?}");
        assert!(b.ts.windows(2).all(|w| w[0] < w[1]), "{kind:?}: strictly increasing ts");
        for i in 0..b.ts.len() {
            assert!(b.low[i] <= b.open[i].min(b.close[i]) && b.high[i] >= b.open[i].max(b.close[i]));
            assert!(b.close_ts[i] + 1_000 >= b.ts[i] || kind == BarKind::Time, "{kind:?} bar {i}");
        }
        if kind == BarKind::Tick {
            assert_eq!(b.ticks.len(), 112);
            assert!(b.ticks[..111].iter().all(|&n| n == 100));
        }
        if kind == BarKind::Time {
            // 22:00-22:49 UTC: 50 one-minute bars.
            assert_eq!(b.ts.len(), 50);
        }
        if kind == BarKind::Dollar {
            // Naive recount: close when the running value reaches 1M.
            let mut n = 0;
            let mut acc = 0.0;
            for i in 0..t.price.len() {
                acc += t.price[i] * t.volume[i];
                if acc >= 1_000_000.0 {
                    n += 1;
                    acc = 0.0;
                }
            }
            assert_eq!(b.ticks.len(), n + 1);
        }
    }
    // The first bar opens at the first trade, 1306.00.
    assert_eq!(t.price[0], 1306.0);
}

/// ESH4 trades with the exchange's aggressor side: buy volume comes from the side, and
/// tick-imbalance bars use it.
#[test]
fn esh4_trades_with_aggressor_side() {
    let Some(table) = reference("esh4_trades_20231225.parquet", "esh4_trades_with_aggressor_side") else { return };
    let t = Trades::from_table(&table).unwrap();
    assert!(t.side.is_some());
    let b = build(&t, &TickBarsParams { kind: BarKind::Volume, threshold: 500.0, multiplier: 50.0, keep_partial: true, ..TickBarsParams::default() }).unwrap();
    let buys: f64 = t.side.as_ref().unwrap().iter().zip(&t.volume).filter(|(s, _)| **s > 0).map(|(_, v)| v).sum();
    assert_eq!(b.buy_volume.iter().sum::<f64>(), buys);
    assert_eq!(b.volume.iter().sum::<f64>(), 9_892.0);
    let imb = build(&t, &TickBarsParams { kind: BarKind::TickImbalance, expected_ticks: 50, imbalance_span: 500, ..TickBarsParams::default() }).unwrap();
    assert!(imb.ts.len() >= 2, "{}", imb.ts.len());
}
