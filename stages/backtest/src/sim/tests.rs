//! Hand-computed fills on small bar sequences, and the no-lookahead property.
//!
//! Unless a test says otherwise: MES (tick 0.25, 1.25 USD a tick: 5 USD a point), no
//! costs, one contract, ATR fixed at 1.0, stop 2 ATR, take profit 3 ATR, no time out,
//! bars every 5 minutes from Tuesday 2024-03-12 09:00 Chicago (far from the day's end).

use mlfactory_market::Calendar;
use mlfactory_market::bars::{META_SYMBOL, META_TIMEFRAME};
use mlfactory_market::columns::TableBuilder;
use proptest::prelude::*;

use super::*;
use crate::params::SplitFilter;

const MIN: i64 = 60_000_000_000;

fn tape_at(start: i64, rows: &[(f64, f64, f64, f64)]) -> Tape {
    let n = rows.len();
    let t = TableBuilder::new()
        .ts("ts", (0..n as i64).map(|i| start + 5 * MIN * i).collect())
        .f64("open", rows.iter().map(|r| r.0).collect())
        .f64("high", rows.iter().map(|r| r.1).collect())
        .f64("low", rows.iter().map(|r| r.2).collect())
        .f64("close", rows.iter().map(|r| r.3).collect())
        .meta(META_SYMBOL, "MES")
        .meta(META_TIMEFRAME, "5m")
        .build()
        .unwrap();
    let mut tape = Tape::from_table(&t, 14, "", 100).unwrap();
    tape.atr = vec![1.0; n];
    tape
}

fn tape(rows: &[(f64, f64, f64, f64)]) -> Tape {
    tape_at(Calendar::cme().utc_ns(2024, 3, 12, 9, 0).unwrap(), rows)
}

fn params() -> BacktestParams {
    BacktestParams {
        split: SplitFilter::All,
        sizing: Sizing::Fixed,
        contracts: 1,
        stop_loss_atr: 2.0,
        take_profit_atr: 3.0,
        max_bars: 0,
        daily_loss_limit: 0.0,
        commission_per_contract: 0.0,
        slippage_ticks: 0.0,
        ..BacktestParams::default()
    }
}

fn costs(p: &BacktestParams) -> Costs {
    Costs {
        tick_size: 0.25,
        tick_value: 1.25,
        commission: p.commission_per_contract,
        slippage_ticks: p.slippage_ticks,
        penetration_ticks: f64::from(p.limit_penetration_ticks),
    }
}

fn run(tape: &Tape, signals: &[(usize, i8)], p: &BacktestParams) -> Run {
    let s: Vec<Signal> = signals.iter().map(|&(bar, side)| Signal { bar, side }).collect();
    let span = s.first().map(|f| (f.bar, s.last().unwrap().bar));
    simulate(tape, &s, span, p, costs(p))
}

/// (entry bar, entry price, exit bar, exit price, reason) of each trade.
fn fills(r: &Run) -> Vec<(usize, f64, usize, f64, ExitReason)> {
    r.trades.iter().map(|t| (t.entry_bar, t.entry_price, t.exit_bar, t.exit_price, t.reason)).collect()
}

const FLAT: (f64, f64, f64, f64) = (100.0, 100.5, 99.5, 100.0);

#[test]
fn a_market_order_fills_at_the_next_open_and_exits_at_the_target() {
    // signal long at bar 0's close; bar 1 opens 100.25: stop 98.25, target 103.25
    let t = tape(&[FLAT, (100.25, 101.0, 100.0, 100.75), (100.75, 103.5, 100.5, 103.0), FLAT]);
    let r = run(&t, &[(0, 1)], &params());
    assert_eq!(fills(&r), vec![(1, 100.25, 2, 103.25, ExitReason::TakeProfit)]);
    let tr = &r.trades[0];
    assert_eq!((tr.stop_price, tr.target_price), (98.25, 103.25));
    assert_eq!(tr.net_pnl, 15.0); // 3 points x 5 USD
    assert_eq!(tr.risk, 10.0);
    assert_eq!(tr.r_multiple(), 1.5);
    assert_eq!((tr.mae, tr.mfe), (0.25, 3.25));
    assert_eq!(r.range, Some((0, 2)));
    assert_eq!(r.equity, vec![25_000.0, 25_002.5, 25_015.0]);
    assert_eq!(r.position, vec![0, 1, 0]);
}

#[test]
fn costs_slip_market_and_stop_fills_and_charge_every_contract() {
    // 2 contracts, 1 tick slippage, 0.62 commission per contract per fill; short at 100.00 - 0.25
    let p = BacktestParams { contracts: 2, slippage_ticks: 1.0, commission_per_contract: 0.62, ..params() };
    let t = tape(&[FLAT, (100.0, 100.25, 99.5, 100.0), (100.0, 102.0, 99.75, 101.5)]);
    let r = run(&t, &[(0, -1)], &p);
    // entry 99.75 (sold one tick under the open), stop 101.75, filled at 102.00
    assert_eq!(fills(&r), vec![(1, 99.75, 2, 102.0, ExitReason::StopLoss)]);
    let tr = &r.trades[0];
    assert_eq!(tr.gross_pnl, -2.25 * 5.0 * 2.0);
    assert!((tr.commission - 4.0 * 0.62).abs() < 1e-12);
    assert_eq!(tr.slippage, 2.0 * 1.25 * 2.0);
    assert!((tr.net_pnl - (-22.5 - 2.48)).abs() < 1e-12);
    assert!((r.equity.last().unwrap() - (25_000.0 - 24.98)).abs() < 1e-9);
}

#[test]
fn a_bar_reaching_stop_and_target_follows_the_tie_rule() {
    // entry 100.00: stop 98.00, target 103.00; bar 2 reaches both
    let t = tape(&[FLAT, (100.0, 100.5, 99.5, 100.0), (100.0, 103.5, 97.5, 101.0)]);
    let stop_first = run(&t, &[(0, 1)], &params());
    assert_eq!(fills(&stop_first), vec![(1, 100.0, 2, 98.0, ExitReason::StopLoss)]);
    let profit_first = run(&t, &[(0, 1)], &BacktestParams { tie: TieRule::Profit, ..params() });
    assert_eq!(fills(&profit_first), vec![(1, 100.0, 2, 103.0, ExitReason::TakeProfit)]);
}

#[test]
fn gaps_fill_at_the_open() {
    // held long from 100.00 (stop 98.00, target 103.00): bar 2 opens at 97.00, below the stop
    let p = BacktestParams { slippage_ticks: 1.0, ..params() };
    let t = tape(&[FLAT, (100.0, 100.5, 99.5, 100.0), (97.0, 97.5, 96.0, 97.0)]);
    let r = run(&t, &[(0, 1)], &p);
    // entry 100.25 with slippage: stop 98.25; the gap exits at 97.00 - 1 tick
    assert_eq!(fills(&r), vec![(1, 100.25, 2, 96.75, ExitReason::StopLoss)]);
    // a gap above the target exits at the (better) open, without slippage
    let t = tape(&[FLAT, (100.0, 100.5, 99.5, 100.0), (104.0, 104.5, 96.0, 104.0)]);
    let r = run(&t, &[(0, 1)], &params());
    assert_eq!(fills(&r), vec![(1, 100.0, 2, 104.0, ExitReason::TakeProfit)]);
}

#[test]
fn a_market_entry_is_exposed_to_its_own_bar() {
    // the entry bar itself reaches the stop (97.75 <= 98.00): filled at the open, the whole bar follows
    let t = tape(&[FLAT, (100.0, 100.25, 97.75, 98.5), FLAT]);
    let r = run(&t, &[(0, 1)], &params());
    assert_eq!(fills(&r), vec![(1, 100.0, 1, 98.0, ExitReason::StopLoss)]);
}

#[test]
fn limit_orders_fill_at_their_price_at_the_open_on_a_gap_or_expire() {
    const HIGH: (f64, f64, f64, f64) = (100.25, 100.75, 100.0, 100.5);
    // limit long at close 100.00 - 0.25 ATR = 99.75, valid 2 bars
    let p = BacktestParams { entry: EntryType::Limit, order_expiry_bars: 2, ..params() };
    let touched = tape(&[FLAT, (100.0, 100.25, 99.75, 100.0), FLAT]);
    let r = run(&touched, &[(0, 1)], &p);
    assert_eq!((r.trades[0].entry_bar, r.trades[0].entry_price), (1, 99.75));
    assert_eq!(r.trades[0].stop_price, 97.75);
    // a tick of penetration required: the touch is not enough; bar 2 trades through
    let pen = BacktestParams { limit_penetration_ticks: 1, ..p.clone() };
    let r = run(&tape(&[FLAT, (100.0, 100.25, 99.75, 100.0), (100.0, 100.0, 99.5, 99.75)]), &[(0, 1)], &pen);
    assert_eq!((r.trades[0].entry_bar, r.trades[0].entry_price), (2, 99.75));
    // a gap below the limit fills at the open
    let r = run(&tape(&[FLAT, (99.0, 99.5, 98.75, 99.25), FLAT]), &[(0, 1)], &p);
    assert_eq!((r.trades[0].entry_bar, r.trades[0].entry_price), (1, 99.0));
    // never reached within 2 bars: expired, no trade
    let r = run(&tape(&[FLAT, HIGH, HIGH, (99.0, 99.5, 98.0, 99.0)]), &[(0, 1)], &p);
    assert!(r.trades.is_empty());
    assert_eq!((r.counters.orders, r.counters.fills, r.counters.expired), (1, 0, 1));
}

#[test]
fn a_bracket_enters_on_the_first_leg_reached() {
    // legs at 100.00 +/- 0.5 ATR: buy stop 100.50, sell stop 99.50 (both reached by FLAT bars)
    let p = BacktestParams { entry: EntryType::Bracket, bracket_atr: 0.5, order_expiry_bars: 3, slippage_ticks: 1.0, ..params() };
    let up = tape(&[FLAT, (100.25, 100.75, 100.0, 100.5), FLAT]);
    let r = run(&up, &[(0, -1)], &p);
    // the breakout decides the side (both legs placed): long at 100.50 + 1 tick
    assert_eq!((r.trades[0].side, r.trades[0].entry_bar, r.trades[0].entry_price), (1, 1, 100.75));
    // both legs inside one bar: the one nearer the open (99.50, 0.25 away) first
    let both = tape(&[FLAT, (99.75, 100.5, 99.5, 100.0), FLAT]);
    let r = run(&both, &[(0, 1)], &p);
    assert_eq!((r.trades[0].side, r.trades[0].entry_price), (-1, 99.25));
    // only the signal's leg
    let one = BacktestParams { bracket_sides: BracketSides::Signal, ..p.clone() };
    let r = run(&tape(&[FLAT, (100.0, 100.25, 99.25, 99.5), (99.5, 100.75, 99.5, 100.5), FLAT]), &[(0, 1)], &one);
    assert_eq!((r.trades[0].side, r.trades[0].entry_bar, r.trades[0].entry_price), (1, 2, 100.75));
    // a gap through a leg enters at the open
    let r = run(&tape(&[FLAT, (101.5, 102.0, 101.0, 101.75), FLAT]), &[(0, 1)], &p);
    assert_eq!((r.trades[0].side, r.trades[0].entry_price), (1, 101.75));
}

#[test]
fn on_an_intrabar_entry_bar_only_what_follows_the_fill_is_certain() {
    // A buy limit at 99.75 fills on the way down: the bar's low (97.50) comes after the
    // fill, so its stop (97.75) is hit on that bar whatever the tie rule.
    let p = BacktestParams { entry: EntryType::Limit, ..params() };
    let t = tape(&[FLAT, (100.0, 103.0, 97.5, 98.0), (98.0, 98.5, 98.0, 98.25)]);
    for tie in [TieRule::Stop, TieRule::Profit] {
        let r = run(&t, &[(0, 1)], &BacktestParams { tie, ..p.clone() });
        // its high (103.00, above the 102.75 target) may have come before the fill: under
        // `profit` it counts, and the target wins the tie
        let want = if tie == TieRule::Stop { (97.75, ExitReason::StopLoss) } else { (102.75, ExitReason::TakeProfit) };
        assert_eq!(fills(&r), vec![(1, 99.75, 1, want.0, want.1)], "{tie:?}");
    }
    // The high alone: uncertain, so only `profit` takes the target on the entry bar.
    let t = tape(&[FLAT, (100.0, 103.0, 99.5, 102.0), (102.0, 102.5, 101.5, 102.0), FLAT]);
    let r = run(&t, &[(0, 1)], &BacktestParams { max_bars: 2, ..p.clone() });
    assert_eq!(fills(&r), vec![(1, 99.75, 2, 102.0, ExitReason::TimeOut)]);
    let r = run(&t, &[(0, 1)], &BacktestParams { tie: TieRule::Profit, ..p });
    assert_eq!(fills(&r), vec![(1, 99.75, 1, 102.75, ExitReason::TakeProfit)]);

    // A buy stop (bracket leg at 100.50) fills on the way up: the bar's high (103.75)
    // comes after it, so the 103.50 target is certain; the low (98.25, below the 98.50
    // stop) may have come before: it counts only under `stop`, and then wins the tie.
    let b = BacktestParams { entry: EntryType::Bracket, bracket_atr: 0.5, bracket_sides: BracketSides::Signal, ..params() };
    let t = tape(&[FLAT, (100.0, 103.75, 98.25, 103.0), FLAT]);
    let r = run(&t, &[(0, 1)], &b);
    assert_eq!(fills(&r), vec![(1, 100.5, 1, 98.5, ExitReason::StopLoss)]);
    let r = run(&t, &[(0, 1)], &BacktestParams { tie: TieRule::Profit, ..b.clone() });
    assert_eq!(fills(&r), vec![(1, 100.5, 1, 103.5, ExitReason::TakeProfit)]);
    // without the low, the target is taken on the entry bar under either rule
    let t = tape(&[FLAT, (100.0, 103.75, 99.75, 103.0), FLAT]);
    assert_eq!(fills(&run(&t, &[(0, 1)], &b)), vec![(1, 100.5, 1, 103.5, ExitReason::TakeProfit)]);
}

#[test]
fn the_first_target_scales_out_and_moves_the_stop_to_break_even_from_the_next_bar() {
    // 4 contracts, half out at 1 ATR; entry 100.00, first target 101.00, target 103.00
    let p = BacktestParams { contracts: 4, first_target_atr: 1.0, first_target_fraction: 0.5, ..params() };
    let t = tape(&[
        FLAT,
        (100.0, 100.25, 99.75, 100.0),
        (100.0, 101.25, 99.0, 101.0), // first target; the low 99.00 does not touch the old stop
        (101.0, 101.0, 99.75, 100.0), // back through the entry: break-even stop at 100.00
        FLAT,
    ]);
    let r = run(&t, &[(0, 1)], &p);
    let tr = &r.trades[0];
    assert_eq!((tr.exit_bar, tr.reason, tr.scaled_out, tr.first_target_hit), (3, ExitReason::BreakEven, 2, true));
    assert_eq!(tr.exit_price, 100.5); // (2 x 101.00 + 2 x 100.00) / 4
    assert_eq!(tr.net_pnl, 10.0); // 2 contracts x 1 point x 5 USD
    // same bar reaching the first target and the original stop: stopped in full (stop rule)
    let t = tape(&[FLAT, (100.0, 100.25, 99.75, 100.0), (100.0, 101.25, 97.75, 101.0), FLAT]);
    let r = run(&t, &[(0, 1)], &p);
    assert_eq!(fills(&r), vec![(1, 100.0, 2, 98.0, ExitReason::StopLoss)]);
    assert_eq!(r.trades[0].scaled_out, 0);
}

#[test]
fn time_out_exits_at_the_close_of_the_last_bar_allowed() {
    let p = BacktestParams { max_bars: 2, slippage_ticks: 1.0, ..params() };
    let t = tape(&[FLAT, FLAT, (100.0, 100.5, 99.5, 100.25), FLAT]);
    let r = run(&t, &[(0, 1)], &p);
    // entry bar 1 counts as the first: out at bar 2's close 100.25 - 1 tick
    assert_eq!(fills(&r), vec![(1, 100.25, 2, 100.0, ExitReason::TimeOut)]);
}

#[test]
fn positions_are_flat_at_the_day_end_and_orders_die_with_the_day() {
    let cal = Calendar::cme();
    // 15:45, 15:50, 15:55 (closes at 16:00), then the next day's 17:00 bar
    let start = cal.utc_ns(2024, 3, 12, 15, 45).unwrap();
    let mut t = tape_at(start, &[FLAT, FLAT, (100.0, 100.5, 99.5, 100.25), FLAT]);
    t.ts[3] = cal.utc_ns(2024, 3, 12, 17, 0).unwrap();
    t.day[3] = t.day[2] + 1;
    let r = run(&t, &[(0, 1), (2, 1)], &params());
    assert_eq!(fills(&r), vec![(1, 100.0, 2, 100.25, ExitReason::DayEnd)]);
    assert_eq!(r.counters.skipped_day_end, 1);
    // the day's last bar missing: the position exits at the next day's first open
    let mut t = tape_at(start, &[FLAT, FLAT, (99.0, 100.0, 98.5, 99.0)]);
    t.ts[2] = cal.utc_ns(2024, 3, 12, 17, 0).unwrap();
    t.day[2] = t.day[1] + 1;
    t.day_end = vec![false; 3];
    let r = run(&t, &[(0, 1)], &params());
    assert_eq!(fills(&r), vec![(1, 100.0, 2, 99.0, ExitReason::DayEnd)]);
}

#[test]
fn the_daily_loss_stop_flattens_and_blocks_the_rest_of_the_day() {
    // 10 contracts, stop far away; a 1% daily limit on 25,000 is 250 USD = 5 points x 10 x 5 USD
    let p = BacktestParams { contracts: 10, stop_loss_atr: 20.0, daily_loss_limit: 0.01, ..params() };
    let t = tape(&[FLAT, (100.0, 100.25, 99.0, 99.0), (99.0, 99.0, 94.75, 95.0), FLAT, FLAT, FLAT]);
    let r = run(&t, &[(0, 1), (3, 1)], &p);
    // bar 2 closes at 95.00: -250 USD marked, the limit: out at that close
    assert_eq!(fills(&r), vec![(1, 100.0, 2, 95.0, ExitReason::DailyStop)]);
    assert_eq!((r.counters.daily_stops, r.counters.skipped_daily_stop), (1, 1));
}

#[test]
fn risk_sizing_divides_the_budget_by_the_loss_per_contract() {
    // 0.5% of 25,000 = 125 USD; stop 2 ATR = 8 ticks = 10 USD, slippage 2 x 1 tick = 2.50,
    // commission 2 x 0.62 = 1.24: 13.74 USD per contract -> 9 contracts
    let p = BacktestParams { sizing: Sizing::Risk, risk_per_trade: 0.005, slippage_ticks: 1.0, commission_per_contract: 0.62, ..params() };
    let r = run(&tape(&[FLAT, FLAT, FLAT]), &[(0, 1)], &p);
    assert_eq!(r.trades[0].qty, 9);
    let capped = BacktestParams { max_contracts: 3, ..p.clone() };
    assert_eq!(run(&tape(&[FLAT, FLAT, FLAT]), &[(0, 1)], &capped).trades[0].qty, 3);
    let poor = BacktestParams { initial_capital: 2_000.0, ..p };
    let r = run(&tape(&[FLAT, FLAT, FLAT]), &[(0, 1)], &poor);
    assert!(r.trades.is_empty());
    assert_eq!(r.counters.skipped_size, 1);
}

#[test]
fn one_position_at_a_time() {
    let t = tape(&[FLAT, FLAT, FLAT, FLAT, FLAT]);
    let r = run(&t, &[(0, 1), (1, -1), (2, 1)], &BacktestParams { max_bars: 3, ..params() });
    assert_eq!(r.trades.len(), 1);
    assert_eq!(r.counters.skipped_in_position, 2);
    // the position closes at bar 3; the run ends there, flat, after the last signal
    assert_eq!(r.range, Some((0, 3)));
}

fn arb_bars(n: usize) -> impl Strategy<Value = Vec<(f64, f64, f64, f64)>> {
    proptest::collection::vec((-4i32..=4, 0i32..=6, 0i32..=6, -4i32..=4), n).prop_map(|steps| {
        let mut price = 400i32; // ticks
        steps
            .into_iter()
            .map(|(gap, up, down, close)| {
                let open = price + gap;
                let high = open + up;
                let low = open - down;
                let c = (open + close).clamp(low, high);
                price = c;
                let px = |ticks: i32| f64::from(ticks) * 0.25;
                (px(open), px(high), px(low), px(c))
            })
            .collect()
    })
}

fn arb_params() -> impl Strategy<Value = BacktestParams> {
    (0usize..3, 0u32..6, any::<bool>(), 0usize..3, 0u32..2).prop_map(|(entry, max_bars, profit, first, pen)| BacktestParams {
        entry: [EntryType::Market, EntryType::Limit, EntryType::Bracket][entry],
        max_bars,
        tie: if profit { TieRule::Profit } else { TieRule::Stop },
        first_target_atr: [0.0, 1.0, 2.0][first],
        limit_penetration_ticks: pen,
        contracts: 2,
        slippage_ticks: 1.0,
        commission_per_contract: 0.5,
        daily_loss_limit: 0.0005,
        ..params()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Rewriting every bar after `t` changes no fill, no trade closed and no equity at or before `t`.
    #[test]
    fn prop_no_lookahead(
        rows in arb_bars(60),
        rewrite in arb_bars(60),
        sides in proptest::collection::vec(-1i8..=1, 60),
        cut in 5usize..55,
        p in arb_params(),
    ) {
        let signals: Vec<(usize, i8)> = sides.iter().enumerate().filter(|(_, s)| **s != 0).map(|(i, s)| (i, *s)).collect();
        let mut other = rows.clone();
        other[cut + 1..].copy_from_slice(&rewrite[cut + 1..]);
        let (a, b) = (run(&tape(&rows), &signals, &p), run(&tape(&other), &signals, &p));
        let closed = |r: &Run| r.trades.iter().filter(|t| t.exit_bar <= cut).cloned().collect::<Vec<_>>();
        prop_assert_eq!(closed(&a), closed(&b));
        let entered = |r: &Run| r.trades.iter().filter(|t| t.entry_bar <= cut).map(|t| (t.entry_bar, t.entry_price, t.qty, t.side)).collect::<Vec<_>>();
        prop_assert_eq!(entered(&a), entered(&b));
        let upto = cut + 1 - a.range.unwrap().0;
        prop_assert_eq!(&a.equity[..upto.min(a.equity.len())], &b.equity[..upto.min(b.equity.len())]);
    }

    /// Fills happen after the signal, inside the bar's range (give or take slippage), and
    /// the books balance: final equity = initial capital + the sum of net PnL.
    #[test]
    fn prop_fills_are_causal_and_the_books_balance(rows in arb_bars(80), sides in proptest::collection::vec(-1i8..=1, 80), p in arb_params()) {
        let signals: Vec<(usize, i8)> = sides.iter().enumerate().filter(|(_, s)| **s != 0).map(|(i, s)| (i, *s)).collect();
        let t = tape(&rows);
        let r = run(&t, &signals, &p);
        let slip = 0.25;
        for tr in &r.trades {
            prop_assert!(tr.entry_bar > tr.signal_bar);
            prop_assert!(tr.exit_bar >= tr.entry_bar);
            let e = tr.entry_bar;
            prop_assert!(tr.entry_price >= t.low[e] - slip && tr.entry_price <= t.high[e] + slip, "entry {} outside bar {}", tr.entry_price, e);
            prop_assert!(tr.net_pnl.is_finite());
        }
        if !signals.is_empty() {
            let sum: f64 = r.trades.iter().map(|t| t.net_pnl).sum();
            let last = *r.equity.last().unwrap();
            prop_assert!(r.position.last() != Some(&0) || (last - (p.initial_capital + sum)).abs() < 1e-6, "equity {last} vs {}", p.initial_capital + sum);
        }
    }
}
