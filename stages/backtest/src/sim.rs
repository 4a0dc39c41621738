//! The event-driven simulator: one pass over the bars, one position at a time.
//!
//! Each bar `j` is processed in this order, using only bars `<= j`:
//!
//! 1. **New trading day** (the bar's trading day differs from the previous bar's): with
//!    `flat_at_day_end`, a position still open (its day's last bar was missing) exits at
//!    this bar's open and unfilled orders are cancelled; the daily loss stop resets.
//! 2. **Entry fill**: the resting order, placed at the close of an earlier bar, fills if
//!    this bar reaches it (market: at the open; limit and stop orders: at their price,
//!    or at the open when the bar gaps through it); an order past its expiry is cancelled.
//! 3. **Exits** of the open position: a gap through the stop or a target exits at the
//!    open; then the bar's range: the stop, the first target (a partial exit; the stop
//!    moves to the entry price from the next bar) and the take profit; a bar reaching
//!    the stop and a target is resolved by the tie rule ([`TieRule`]). On the bar of
//!    an entry filled *inside* it, only the extreme known to follow the fill counts
//!    for sure (after a limit fill the adverse one, after a stop fill the favourable
//!    one); the other counts only under the tie rule's reading. Then the time out and
//!    the day's end exit at the close.
//! 4. **Mark to market** at the close; the daily loss stop closes the position at the
//!    close when the day's loss reaches its limit.
//! 5. **Orders**: the bar's signal (known at its close) places an order for later bars.
//!
//! Market and stop fills pay `slippage_ticks` against the trade; limit fills get their
//! price. Every fill pays the commission per contract.

use mlfactory_market::intrabar::{TieRule, fall_to, rise_to};

use crate::params::{BacktestParams, BracketSides, EntryType, Sizing};
use crate::signals::Signal;
use crate::tape::Tape;

/// Why a trade ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitReason {
    TakeProfit,
    StopLoss,
    /// The stop, moved to the entry price after the first target.
    BreakEven,
    TimeOut,
    DayEnd,
    DailyStop,
    EndOfData,
}

impl ExitReason {
    pub const ALL: [Self; 7] = [Self::TakeProfit, Self::StopLoss, Self::BreakEven, Self::TimeOut, Self::DayEnd, Self::DailyStop, Self::EndOfData];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TakeProfit => "take_profit",
            Self::StopLoss => "stop_loss",
            Self::BreakEven => "break_even",
            Self::TimeOut => "time_out",
            Self::DayEnd => "day_end",
            Self::DailyStop => "daily_stop",
            Self::EndOfData => "end_of_data",
        }
    }
}

/// A round trip.
#[derive(Clone, Debug, PartialEq)]
pub struct Trade {
    /// The bar whose signal placed the order.
    pub signal_bar: usize,
    pub entry_bar: usize,
    pub exit_bar: usize,
    /// +1 long, -1 short.
    pub side: i8,
    /// Contracts at entry.
    pub qty: i64,
    pub entry_price: f64,
    /// Average exit price over every exit fill (first target and final exit).
    pub exit_price: f64,
    /// The initial stop (NaN without one).
    pub stop_price: f64,
    /// The take profit (NaN without one).
    pub target_price: f64,
    pub reason: ExitReason,
    /// Contracts closed at the first target (0 when not reached or none).
    pub scaled_out: i64,
    pub first_target_hit: bool,
    /// Price PnL in money, before commissions (slippage is in the prices).
    pub gross_pnl: f64,
    pub commission: f64,
    /// Money lost to slippage (already in `gross_pnl`).
    pub slippage: f64,
    pub net_pnl: f64,
    /// Money lost at the initial stop, before costs (NaN without a stop).
    pub risk: f64,
    /// Most adverse / favourable excursion from the entry price, in price points, over
    /// the ranges of the bars from entry to exit.
    pub mae: f64,
    pub mfe: f64,
    /// Realised equity after the trade.
    pub equity_after: f64,
}

impl Trade {
    /// Bars from entry to exit, both counted.
    pub fn bars_held(&self) -> usize {
        self.exit_bar - self.entry_bar + 1
    }

    /// Net PnL in units of initial risk (NaN without a stop).
    pub fn r_multiple(&self) -> f64 {
        self.net_pnl / self.risk
    }
}

/// What happened to the signals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Non-flat signals that reached the simulator.
    pub signals: usize,
    pub orders: usize,
    pub fills: usize,
    /// Limit or bracket orders not reached before their expiry (or the data's end).
    pub expired: usize,
    /// Orders cancelled at the day's end or by the daily loss stop.
    pub cancelled: usize,
    pub skipped_in_position: usize,
    pub skipped_pending_order: usize,
    pub skipped_daily_stop: usize,
    /// Signals at a day's last bar with `flat_at_day_end`.
    pub skipped_day_end: usize,
    /// Signals during the ATR warm-up.
    pub skipped_warmup: usize,
    /// Signals whose risk budget could not pay for one contract.
    pub skipped_size: usize,
    /// Trading days on which the daily loss stop fired.
    pub daily_stops: usize,
}

/// The result of a simulation.
#[derive(Clone, Debug, Default)]
pub struct Run {
    pub trades: Vec<Trade>,
    /// First and last bar simulated (`None` when no bar was).
    pub range: Option<(usize, usize)>,
    /// Mark-to-market equity at each bar's close, for bars in `range` (index 0 = its first bar).
    pub equity: Vec<f64>,
    /// Signed contracts held at each bar's close, for bars in `range`.
    pub position: Vec<i64>,
    pub counters: Counters,
}

/// Money and price units of one instrument.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Costs {
    pub tick_size: f64,
    pub tick_value: f64,
    pub commission: f64,
    pub slippage_ticks: f64,
    pub penetration_ticks: f64,
}

impl Costs {
    fn point_value(&self) -> f64 {
        self.tick_value / self.tick_size
    }

    fn slippage(&self) -> f64 {
        self.slippage_ticks * self.tick_size
    }

    /// A price distance of `atrs x atr` in whole ticks (at least one), `None` when `atrs` is 0.
    fn ticks(&self, atrs: f64, atr: f64) -> Option<i64> {
        (atrs > 0.0).then(|| ((atrs * atr / self.tick_size).round() as i64).max(1))
    }
}

#[derive(Clone, Copy, Debug)]
enum OrderKind {
    Market,
    Limit {
        price: f64,
    },
    /// Stop legs above / below the price (a leg is `None` when not placed).
    Bracket {
        up: Option<f64>,
        down: Option<f64>,
    },
}

#[derive(Clone, Copy, Debug)]
struct Order {
    kind: OrderKind,
    side: i8,
    signal_bar: usize,
    /// The last bar on which it may fill.
    last_bar: usize,
    qty: i64,
    stop_ticks: Option<i64>,
    target_ticks: Option<i64>,
    first_ticks: Option<i64>,
}

/// How an entry filled, which says which of its bar's extremes came after the fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fill {
    /// At the open: the whole bar follows.
    AtOpen,
    /// A limit order inside the bar: the price came down (long) to it, so the bar's
    /// adverse extreme is at or after the fill; its favourable one may be before.
    Limit,
    /// A stop order inside the bar: the price ran up (long) through it, so the bar's
    /// favourable extreme is at or after the fill; its adverse one may be before.
    Stop,
}

#[derive(Clone, Debug)]
struct Position {
    side: f64,
    qty0: i64,
    qty: i64,
    entry: f64,
    entry_bar: usize,
    /// How the entry filled: what of its bar is known to follow the fill.
    fill: Fill,
    signal_bar: usize,
    stop: f64,
    initial_stop: f64,
    target: f64,
    first: Option<f64>,
    /// The first target was reached on this bar: break-even applies from the next.
    break_even_from: Option<usize>,
    break_even: bool,
    gross: f64,
    commission: f64,
    slippage: f64,
    exit_value: f64,
    scaled_out: i64,
    mae: f64,
    mfe: f64,
}

/// Runs the backtest of `signals` (in bar order) over `tape`, from the bar `span.0` of the
/// first selected prediction until the last one's bar `span.1` and flat.
pub fn simulate(tape: &Tape, signals: &[Signal], span: Option<(usize, usize)>, p: &BacktestParams, costs: Costs) -> Run {
    let Some((start, last_signal_bar)) = span else { return Run::default() };
    let mut sim = Sim { tape, p, costs, cash: p.initial_capital, order: None, pos: None, halted: false, day_start: p.initial_capital, run: Run::default() };
    let mut next = signals.iter().peekable();
    let mut end = start;
    for j in start..tape.len() {
        end = j;
        if j > start && tape.day[j] != tape.day[j - 1] {
            sim.new_day(j);
        }
        sim.fill_order(j);
        sim.manage(j);
        if j + 1 == tape.len() && sim.pos.is_some() {
            sim.exit_all(j, tape.close[j], true, ExitReason::EndOfData);
        }
        let equity = sim.mark(j);
        sim.daily_stop(j, equity);
        sim.run.equity.push(sim.mark(j));
        sim.run.position.push(sim.pos.as_ref().map_or(0, |x| x.qty * x.side as i64));
        while let Some(s) = next.next_if(|s| s.bar <= j) {
            if s.bar == j {
                sim.place(*s, j);
            }
        }
        if j >= last_signal_bar && sim.pos.is_none() && sim.order.is_none() {
            break;
        }
    }
    if sim.order.take().is_some() {
        sim.run.counters.expired += 1;
    }
    sim.run.range = Some((start, end));
    sim.run
}

struct Sim<'a> {
    tape: &'a Tape,
    p: &'a BacktestParams,
    costs: Costs,
    /// Initial capital plus realised net PnL (entry commissions included).
    cash: f64,
    order: Option<Order>,
    pos: Option<Position>,
    /// The daily loss stop fired today.
    halted: bool,
    day_start: f64,
    run: Run,
}

impl Sim<'_> {
    fn new_day(&mut self, j: usize) {
        self.day_start = *self.run.equity.last().unwrap_or(&self.p.initial_capital);
        self.halted = false;
        if self.p.flat_at_day_end {
            if self.pos.is_some() {
                self.exit_all(j, self.tape.open[j], true, ExitReason::DayEnd);
            }
            if self.order.take().is_some() {
                self.run.counters.cancelled += 1;
            }
        }
    }

    fn fill_order(&mut self, j: usize) {
        let Some(order) = self.order else { return };
        if j > order.last_bar {
            self.order = None;
            self.run.counters.expired += 1;
            return;
        }
        let t = self.tape;
        let (open, high, low) = (t.open[j], t.high[j], t.low[j]);
        let slip = self.costs.slippage();
        let pen = self.costs.penetration_ticks * self.costs.tick_size;
        // (side, price, how, slipped)
        let fill = match order.kind {
            OrderKind::Market => Some((order.side, open + f64::from(order.side) * slip, Fill::AtOpen, true)),
            OrderKind::Limit { price } => {
                let reached = if order.side > 0 { fall_to(price - pen, open, low) } else { rise_to(price + pen, open, high) };
                reached.map(|f| if f == open { (order.side, open, Fill::AtOpen, false) } else { (order.side, price, Fill::Limit, false) })
            }
            OrderKind::Bracket { up, down } => {
                let long = up.and_then(|l| rise_to(l, open, high));
                let short = down.and_then(|l| fall_to(l, open, low));
                let pick_long = match (long, short) {
                    (Some(_), None) => Some(true),
                    (None, Some(_)) => Some(false),
                    // Both legs reached: a gap decides, else the leg nearer the open first.
                    (Some(l), Some(s)) => Some(if l == open || s == open { l == open } else { (l - open).abs() <= (open - s).abs() }),
                    (None, None) => None,
                };
                pick_long.map(|is_long| {
                    let (side, price) = if is_long { (1i8, long.unwrap_or(open)) } else { (-1, short.unwrap_or(open)) };
                    (side, price + f64::from(side) * slip, if price == open { Fill::AtOpen } else { Fill::Stop }, true)
                })
            }
        };
        let Some((side, price, how, slipped)) = fill else { return };
        self.order = None;
        self.run.counters.fills += 1;
        let c = self.costs;
        let sd = f64::from(side);
        let level = |ticks: Option<i64>, sign: f64| ticks.map_or(sign * sd * f64::INFINITY, |k| price + sign * sd * k as f64 * c.tick_size);
        let stop = level(order.stop_ticks, -1.0);
        let commission = order.qty as f64 * c.commission;
        self.cash -= commission;
        self.pos = Some(Position {
            side: sd,
            qty0: order.qty,
            qty: order.qty,
            entry: price,
            entry_bar: j,
            fill: how,
            signal_bar: order.signal_bar,
            stop,
            initial_stop: stop,
            target: level(order.target_ticks, 1.0),
            first: order.first_ticks.map(|k| price + sd * k as f64 * c.tick_size),
            break_even_from: None,
            break_even: false,
            gross: 0.0,
            commission,
            slippage: if slipped { c.slippage() * c.point_value() * order.qty as f64 } else { 0.0 },
            exit_value: 0.0,
            scaled_out: 0,
            mae: 0.0,
            mfe: 0.0,
        });
    }

    fn manage(&mut self, j: usize) {
        let Some(pos) = self.pos.as_mut() else { return };
        let t = self.tape;
        let (open, high, low, close) = (t.open[j], t.high[j], t.low[j], t.close[j]);
        let s = pos.side;
        pos.mae = pos.mae.max(s * (pos.entry - if s > 0.0 { low } else { high }));
        pos.mfe = pos.mfe.max(s * (if s > 0.0 { high } else { low } - pos.entry));
        let pen = self.costs.penetration_ticks * self.costs.tick_size;
        let stop_reason = |p: &Position| if p.break_even { ExitReason::BreakEven } else { ExitReason::StopLoss };
        // Prices in the position's favour: `x * s` grows as the trade wins.
        let (fav_extreme, adv_extreme) = if s > 0.0 { (high, low) } else { (low, high) };
        let reaches_fav = |level: f64| fav_extreme * s >= (level + s * pen) * s;
        let reaches_adv = |level: f64| adv_extreme * s <= level * s;

        let inside_entry_bar = pos.entry_bar == j && pos.fill != Fill::AtOpen;
        if !inside_entry_bar {
            if pos.break_even_from.is_some_and(|b| b < j) {
                pos.stop = if s > 0.0 { pos.stop.max(pos.entry) } else { pos.stop.min(pos.entry) };
                pos.break_even = true;
                pos.break_even_from = None;
            }
            if pos.entry_bar < j {
                // The open: a gap through a level fills there.
                if open * s <= pos.stop * s {
                    let reason = stop_reason(pos);
                    self.exit_all(j, open, true, reason);
                    return;
                }
                if open * s >= (pos.target + s * pen) * s {
                    self.exit_all(j, open, false, ExitReason::TakeProfit);
                    return;
                }
                if let Some(first) = pos.first
                    && open * s >= (first + s * pen) * s
                {
                    self.first_target(j, open);
                    if self.pos.is_none() {
                        return;
                    }
                }
            }
        }
        // The bar's range.
        let pos = self.pos.as_ref().expect("position still open");
        let stop_first = self.p.tie == TieRule::Stop;
        let mut adverse = reaches_adv(pos.stop);
        let mut first = pos.first.filter(|&f| reaches_fav(f));
        let mut target = reaches_fav(pos.target);
        if inside_entry_bar {
            // An extreme that may have come before the fill counts only under the tie
            // rule's reading: the stop's under `stop`, the targets' under `profit`.
            let (adverse_follows, favourable_follows) = (pos.fill == Fill::Limit, pos.fill == Fill::Stop);
            adverse &= adverse_follows || stop_first;
            let favourable_counts = favourable_follows || !stop_first;
            if !favourable_counts {
                (first, target) = (None, false);
            }
        }
        if adverse && (first.is_some() || target) && stop_first {
            let (stop, reason) = (pos.stop, stop_reason(pos));
            self.exit_all(j, stop, true, reason);
            return;
        }
        let (stop, reason, target_level) = (pos.stop, stop_reason(pos), pos.target);
        if let Some(f) = first {
            self.first_target(j, f);
            if self.pos.is_none() {
                return;
            }
        }
        if target {
            self.exit_all(j, target_level, false, ExitReason::TakeProfit);
            return;
        }
        if adverse {
            self.exit_all(j, stop, true, reason);
            return;
        }
        let pos = self.pos.as_ref().expect("position still open");
        if self.p.max_bars > 0 && j + 1 - pos.entry_bar >= self.p.max_bars as usize {
            self.exit_all(j, close, true, ExitReason::TimeOut);
        } else if self.p.flat_at_day_end && t.day_end[j] {
            self.exit_all(j, close, true, ExitReason::DayEnd);
        }
    }

    /// The first target is reached at `price`: scale out and arm the break-even stop.
    fn first_target(&mut self, j: usize, price: f64) {
        let pos = self.pos.as_mut().expect("a position");
        pos.first = None;
        pos.break_even_from = Some(j);
        let q = ((pos.qty0 as f64 * self.p.first_target_fraction).floor() as i64).min(pos.qty);
        pos.scaled_out = q;
        if q == pos.qty {
            self.exit_all(j, price, false, ExitReason::TakeProfit);
        } else if q > 0 {
            self.fill_exit(q, price, false);
        }
    }

    /// Closes `qty` contracts at `price` (before slippage).
    fn fill_exit(&mut self, qty: i64, price: f64, slipped: bool) {
        let c = self.costs;
        let pos = self.pos.as_mut().expect("a position");
        let slip = if slipped { c.slippage() } else { 0.0 };
        let fill = price - pos.side * slip;
        let q = qty as f64;
        let gross = pos.side * (fill - pos.entry) * c.point_value() * q;
        let commission = q * c.commission;
        pos.gross += gross;
        pos.commission += commission;
        pos.slippage += slip * c.point_value() * q;
        pos.exit_value += fill * q;
        pos.qty -= qty;
        self.cash += gross - commission;
    }

    fn exit_all(&mut self, j: usize, price: f64, slipped: bool, reason: ExitReason) {
        let qty = self.pos.as_ref().expect("a position").qty;
        self.fill_exit(qty, price, slipped);
        let pos = self.pos.take().expect("a position");
        let c = self.costs;
        let stop_distance = (pos.entry - pos.initial_stop).abs();
        self.run.trades.push(Trade {
            signal_bar: pos.signal_bar,
            entry_bar: pos.entry_bar,
            exit_bar: j,
            side: pos.side as i8,
            qty: pos.qty0,
            entry_price: pos.entry,
            exit_price: pos.exit_value / pos.qty0 as f64,
            stop_price: if pos.initial_stop.is_finite() { pos.initial_stop } else { f64::NAN },
            target_price: if pos.target.is_finite() { pos.target } else { f64::NAN },
            reason,
            scaled_out: pos.scaled_out,
            first_target_hit: pos.break_even || pos.break_even_from.is_some(),
            gross_pnl: pos.gross,
            commission: pos.commission,
            slippage: pos.slippage,
            net_pnl: pos.gross - pos.commission,
            risk: if stop_distance.is_finite() { stop_distance * c.point_value() * pos.qty0 as f64 } else { f64::NAN },
            mae: pos.mae,
            mfe: pos.mfe,
            equity_after: self.cash,
        });
    }

    /// Equity at bar `j`'s close.
    fn mark(&self, j: usize) -> f64 {
        self.pos.as_ref().map_or(self.cash, |p| self.cash + p.side * (self.tape.close[j] - p.entry) * self.costs.point_value() * p.qty as f64)
    }

    fn daily_stop(&mut self, j: usize, equity: f64) {
        let limit = self.p.daily_loss_limit;
        if limit <= 0.0 || self.halted || equity - self.day_start > -limit * self.day_start {
            return;
        }
        self.halted = true;
        self.run.counters.daily_stops += 1;
        if self.pos.is_some() {
            self.exit_all(j, self.tape.close[j], true, ExitReason::DailyStop);
        }
        if self.order.take().is_some() {
            self.run.counters.cancelled += 1;
        }
    }

    fn place(&mut self, s: Signal, j: usize) {
        let (p, c, t) = (self.p, self.costs, self.tape);
        let n = &mut self.run.counters;
        n.signals += 1;
        let atr = t.atr[j];
        let needs_atr = p.stop_loss_atr > 0.0 || p.take_profit_atr > 0.0 || p.first_target_atr > 0.0 || p.entry != EntryType::Market;
        if self.halted {
            n.skipped_daily_stop += 1;
        } else if self.pos.is_some() {
            n.skipped_in_position += 1;
        } else if self.order.is_some() {
            n.skipped_pending_order += 1;
        } else if p.flat_at_day_end && t.day_end[j] {
            n.skipped_day_end += 1;
        } else if needs_atr && !(atr.is_finite() && atr > 0.0) {
            n.skipped_warmup += 1;
        } else {
            let stop_ticks = c.ticks(p.stop_loss_atr, atr);
            let qty = match p.sizing {
                Sizing::Fixed => i64::from(p.contracts),
                Sizing::Risk => {
                    let per_contract = stop_ticks.unwrap_or(0) as f64 * c.tick_value + 2.0 * c.slippage_ticks * c.tick_value + 2.0 * c.commission;
                    let budget = p.risk_per_trade * self.run.equity.last().copied().unwrap_or(self.cash);
                    ((budget / per_contract).floor() as i64).min(i64::from(p.max_contracts))
                }
            };
            if qty < 1 {
                n.skipped_size += 1;
                return;
            }
            let close = t.close[j];
            let side = f64::from(s.side);
            let kind = match p.entry {
                EntryType::Market => OrderKind::Market,
                EntryType::Limit => OrderKind::Limit { price: close - side * c.ticks(p.limit_offset_atr, atr).map_or(0.0, |k| k as f64 * c.tick_size) },
                EntryType::Bracket => {
                    let d = c.ticks(p.bracket_atr, atr).unwrap_or(1) as f64 * c.tick_size;
                    let both = p.bracket_sides == BracketSides::Both;
                    OrderKind::Bracket { up: (both || s.side > 0).then_some(close + d), down: (both || s.side < 0).then_some(close - d) }
                }
            };
            let life = if p.entry == EntryType::Market { 1 } else { p.order_expiry_bars as usize };
            n.orders += 1;
            self.order = Some(Order {
                kind,
                side: s.side,
                signal_bar: j,
                last_bar: j + life,
                qty,
                stop_ticks,
                target_ticks: c.ticks(p.take_profit_atr, atr),
                first_ticks: c.ticks(p.first_target_atr, atr),
            });
        }
    }
}

#[cfg(test)]
mod tests;
