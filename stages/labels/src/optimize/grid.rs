//! Scoring a group of candidates that share a horizon and a label rule at once, on the
//! grid of their ranks.
//!
//! Sort the group's P candidates by profit-taking multiple (their *pt rank*) and by
//! stop-loss multiple (their *sl rank*). A barrier's distance grows with its multiple,
//! so for one event the record at which a candidate first touches a side (see
//! [`Paths`]) only steps at a few ranks: one per record within the horizon, found from a
//! starting rank the record's value suggests ([`Ranks`]). In high/low mode a record's run
//! of ranks also splits where the bar's open stops being beyond the barrier: a gap exits
//! at the open.
//!
//! Each exit of the event then covers a rectangle of (pt rank, sl rank) cells: a
//! favourable record's rows over the columns whose adverse touch comes later, an adverse
//! record's columns over the rows whose favourable touch comes later, a bar that reaches
//! both, and the vertical barrier over the ranks that touch neither. Rather than adding
//! an exit's outcome to every candidate inside its rectangle (a candidate per event, the
//! cost of [`direct`](super::direct)), the event adds it at the rectangle's corners, as
//! 2D differences, into a (P + 1) x (P + 1) array. One 2D prefix sum per chunk of events
//! then gives every candidate the sum of its own outcomes. An event costs about the
//! same however many candidates share the group.
//!
//! Outcomes whose return is the barrier itself (high/low mode without a gap) grow
//! linearly with the candidate's multiple (`ret = m x target`): the cells carry the
//! coefficients of the trade's return and of its square, and each candidate applies its
//! own multiples once at the end. Sums are therefore not bit-identical to adding the
//! candidates' returns one by one (they differ by rounding), but they are fixed by the
//! batch, the chunking and the event order, never by the thread count.

use rayon::prelude::*;

use super::objective::{Acc, CHUNK, Candidate};
use super::paths::{Paths, Records};
use super::ranks::Ranks;
use crate::barrier::{Barrier, Prices, TieRule, TouchMode, distance, exit_rule, multiple, path_return, profit_level, stop_level};
use crate::label::{Event, LabelRule};

/// Candidates that share horizon, label rule and tie rule.
pub(super) struct Group {
    /// Their indices in the batch.
    pub(super) members: Vec<usize>,
    horizon: u32,
    rule: LabelRule,
    tie: TieRule,
    /// Barrier multiples in ascending order (infinite when disabled).
    pt: Ranks,
    sl: Ranks,
    /// Each member's rank in `pt` and in `sl`.
    pt_rank: Vec<usize>,
    sl_rank: Vec<usize>,
}

impl Group {
    /// The group of `members` (indices into `candidates`, which must share horizon,
    /// rule and tie rule).
    pub(super) fn new(candidates: &[Candidate], members: Vec<usize>) -> Self {
        let first = candidates[members[0]];
        let ranked = |m: &dyn Fn(&Candidate) -> f64| {
            let mut order: Vec<usize> = (0..members.len()).collect();
            order.sort_by(|&a, &b| m(&candidates[members[a]]).total_cmp(&m(&candidates[members[b]])).then(a.cmp(&b)));
            let mut rank = vec![0; members.len()];
            for (r, &i) in order.iter().enumerate() {
                rank[i] = r;
            }
            (order.iter().map(|&i| m(&candidates[members[i]])).collect::<Vec<f64>>(), rank)
        };
        let (pt, pt_rank) = ranked(&|c| multiple(c.spec.pt));
        let (sl, sl_rank) = ranked(&|c| multiple(c.spec.sl));
        Self { horizon: first.horizon, rule: first.rule, tie: first.spec.tie, pt: Ranks::new(pt), sl: Ranks::new(sl), pt_rank, sl_rank, members }
    }
}

/// Width of a cell's sums: three class counts, then the trade return's constant part `a`
/// and `a^2`, then (high/low mode only) its pt coefficient `b` and `b^2` and its sl
/// coefficient `c` and `c^2`. A return with a coefficient is the barrier's, whose `a` is
/// always `-cost`: the cross terms `2ab` and `2ac` sum to `-2 cost b` and `-2 cost c`.
const CLOSE_WIDTH: usize = 5;
const HIGH_LOW_WIDTH: usize = 9;

/// The accumulators of every member of `group` over `events` (within `prices`, scored
/// from `paths`), in the order of `group.members`.
pub(super) fn score(prices: &Prices<'_>, events: &[Event], paths: &Paths, group: &Group, cost: f64) -> Vec<Acc> {
    let parts: Vec<Vec<[f64; HIGH_LOW_WIDTH]>> = events
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(chunk_index, chunk)| {
            let at = chunk_index * CHUNK;
            match paths.mode {
                TouchMode::Close => chunk_sums::<true, CLOSE_WIDTH>(prices, paths, at, chunk, group, cost),
                TouchMode::HighLow => chunk_sums::<false, HIGH_LOW_WIDTH>(prices, paths, at, chunk, group, cost),
            }
        })
        .collect();
    (0..group.members.len())
        .map(|m| {
            let mut v = [0.0; HIGH_LOW_WIDTH];
            for part in &parts {
                for (t, x) in v.iter_mut().zip(&part[m]) {
                    *t += x;
                }
            }
            let (m_pt, m_sl) = (group.pt.get(group.pt_rank[m]), group.sl.get(group.sl_rank[m]));
            // a disabled barrier (infinite multiple) never exits at its level: its
            // coefficients are zero, and must not meet the infinity
            let times = |coefficient: f64, m: f64| if m.is_finite() { coefficient * m } else { 0.0 };
            let count = |x: f64| x as usize;
            let classes = [count(v[0]), count(v[1]), count(v[2])];
            Acc {
                classes,
                trades: classes[0] + classes[2],
                sum: v[3] + times(v[5], m_pt) + times(v[7], m_sl),
                sumsq: v[4] + times(times(v[6], m_pt), m_pt) - 2.0 * cost * times(v[5], m_pt) + times(times(v[8], m_sl), m_sl) - 2.0 * cost * times(v[7], m_sl),
            }
        })
        .collect()
}

/// A run of ranks on one axis over which the event's outcome on that side is fixed.
#[derive(Clone, Copy)]
struct Line {
    /// The ranks of the run: `start..end`.
    start: usize,
    end: usize,
    /// The record the candidates first touch at (the side's record count: none), and its
    /// offset (`u32::MAX`: none).
    record: usize,
    at: u32,
    /// Whether that record's bar opens beyond these candidates' barrier.
    gap: bool,
}

/// Per-chunk work arrays.
struct Scratch<const N: usize> {
    /// The 2D differences, `(P + 1)^2` cells, row-major by pt rank.
    grid: Vec<[f64; N]>,
    rows: Vec<Line>,
    cols: Vec<Line>,
    starts: Vec<usize>,
    f_opens: Vec<f64>,
    a_opens: Vec<f64>,
}

/// The sums of every member over one chunk of events (`base` is the index of its first
/// event), in close mode (`CLOSE`, `N` = [`CLOSE_WIDTH`]) or high/low mode
/// ([`HIGH_LOW_WIDTH`]), padded to [`HIGH_LOW_WIDTH`].
fn chunk_sums<const CLOSE: bool, const N: usize>(prices: &Prices<'_>, paths: &Paths, base: usize, chunk: &[Event], group: &Group, cost: f64) -> Vec<[f64; HIGH_LOW_WIDTH]> {
    let p = group.members.len();
    let width = p + 1;
    let mut s = Scratch::<N> {
        grid: vec![[0.0; N]; width * width],
        rows: Vec::new(),
        cols: Vec::new(),
        starts: Vec::new(),
        f_opens: Vec::new(),
        a_opens: Vec::new(),
    };
    let last = prices.len() - 1;
    let h = group.horizon;
    for (k, ev) in chunk.iter().enumerate() {
        let (c0, side, target) = (prices.close[ev.bar], f64::from(ev.side), ev.target);
        let ((f_off, f_val), (a_off, a_val)) = (within(&paths.favourable, base + k, h), within(&paths.adverse, base + k, h));
        // rows (pt ranks) by the favourable records, columns (sl ranks) by the adverse
        // ones: a barrier's distance grows with its rank, and so does its price level
        let inv = 1.0 / target;
        if CLOSE {
            // close-mode records are returns: a record reaches a barrier when it is beyond
            // the barrier's distance
            let reach = Reach { reaches: |v: f64, m: f64| v > distance(m, target), scale: inv, shift: 0.0 };
            lines(&mut s.rows, &mut s.starts, (f_off, f_val), None, &group.pt, &reach, target);
            lines(&mut s.cols, &mut s.starts, (a_off, a_val), None, &group.sl, &reach, target);
        } else {
            let opens = |offsets: &[u32], out: &mut Vec<f64>, sign: f64| {
                out.clear();
                out.extend(offsets.iter().map(|&o| sign * path_return(prices.open[ev.bar + o as usize], c0, side)));
            };
            // the adverse side's are negated: `open_ret <= -sl` is `-open_ret >= sl`
            opens(f_off, &mut s.f_opens, 1.0);
            opens(a_off, &mut s.a_opens, -1.0);
            // high/low records are side-adjusted prices, reaching at the side-adjusted
            // level: favourable `v >= side c0 + c0 d`, adverse `v >= -side c0 + c0 d`
            let profit = Reach { reaches: |v: f64, m: f64| v >= side * profit_level(c0, distance(m, target), side), scale: inv / c0, shift: -side * inv };
            let stop = Reach { reaches: |v: f64, m: f64| v >= -side * stop_level(c0, distance(m, target), side), scale: inv / c0, shift: side * inv };
            lines(&mut s.rows, &mut s.starts, (f_off, f_val), Some(&s.f_opens), &group.pt, &profit, target);
            lines(&mut s.cols, &mut s.starts, (a_off, a_val), Some(&s.a_opens), &group.sl, &stop, target);
        }
        let end = ev.bar + h as usize;
        let vertical = (end <= last).then(|| path_return(prices.close[end], c0, side));
        let (f_opens, a_opens) = (&s.f_opens, &s.a_opens);
        let outcome = |row: &Line, col: &Line| -> [f64; N] {
            let (f_at, a_at) = (row.at, col.at);
            let at = f_at.min(a_at);
            let exit = if at == u32::MAX {
                vertical.map(|r| (Barrier::Vertical, Return::Fixed(r)))
            } else if CLOSE {
                // one close cannot pass both barriers; the stop is checked first
                Some(if a_at <= f_at { (Barrier::Sl, Return::Fixed(-a_val[col.record])) } else { (Barrier::Pt, Return::Fixed(f_val[row.record])) })
            } else {
                // `resolve_bar`'s rule, with the gaps decided per run of ranks
                let (touch_fav, touch_adv) = (f_at == at, a_at == at);
                let open = if touch_fav { f_opens[row.record] } else { -a_opens[col.record] };
                let (profit, at_open) = exit_rule((touch_fav, touch_adv), (row.gap, col.gap), group.tie);
                let ret = if at_open {
                    Return::Fixed(open)
                } else if profit {
                    Return::Pt(target)
                } else {
                    Return::Sl(-target)
                };
                Some((if profit { Barrier::Pt } else { Barrier::Sl }, ret))
            };
            cell(exit, &group.rule, cost)
        };
        add_exits(&mut s.grid, width, &s.rows, &s.cols, CLOSE, outcome);
    }
    prefix_sums(&mut s.grid, width);
    (0..p)
        .map(|m| {
            let mut v = [0.0; HIGH_LOW_WIDTH];
            v[..N].copy_from_slice(&s.grid[group.pt_rank[m] * width + group.sl_rank[m]]);
            v
        })
        .collect()
}

/// Event `e`'s records up to `horizon` bars after it.
fn within(records: &Records, e: usize, horizon: u32) -> (&[u32], &[f64]) {
    let (offsets, values) = records.of(e);
    let n = if offsets.last().is_none_or(|&o| o <= horizon) { offsets.len() } else { offsets.partition_point(|&o| o <= horizon) };
    (&offsets[..n], &values[..n])
}

/// One event's test of its records against one axis's barriers: whether a record reaches
/// a multiple's barrier (true for the low multiples, then false), and about up to which
/// multiple it does, `value x scale + shift` (only a starting point for the exact test).
struct Reach<F> {
    reaches: F,
    scale: f64,
    shift: f64,
}

/// The lines of one axis for one event: `values` are the side's records (increasing),
/// `ranks` the sorted multiples, `opens` the records' gap returns (high/low mode: a bar
/// opens beyond the barriers of distance up to its gap return).
fn lines(out: &mut Vec<Line>, starts: &mut Vec<usize>, (offsets, values): (&[u32], &[f64]), opens: Option<&[f64]>, ranks: &Ranks, reach: &Reach<impl Fn(f64, f64) -> bool>, target: f64) {
    let p = ranks.len();
    // starts[i]: the first rank at which records 0..i are all short of the barrier
    starts.clear();
    starts.push(0);
    for &v in values {
        let from = *starts.last().unwrap_or(&0);
        let start = ranks.run_end(from, p, v * reach.scale + reach.shift, |m| (reach.reaches)(v, m));
        starts.push(start);
        if start == p {
            break;
        }
    }
    out.clear();
    for (record, &start) in starts.iter().enumerate() {
        let end = starts.get(record + 1).copied().unwrap_or(p);
        if start >= end {
            continue;
        }
        let at = offsets.get(record).copied().unwrap_or(u32::MAX);
        let line = |start, end, gap| Line { start, end, record, at, gap };
        match opens.and_then(|o| o.get(record)) {
            Some(&open) => {
                // the bar gaps through the barriers at distances up to its open return
                let gap_end = ranks.run_end(start, end, open / target, |m| open >= distance(m, target));
                if gap_end > start {
                    out.push(line(start, gap_end, true));
                }
                if gap_end < end {
                    out.push(line(gap_end, end, false));
                }
            }
            None => out.push(line(start, end, false)),
        }
    }
}

/// How an exit's return depends on the candidate.
#[derive(Clone, Copy)]
enum Return {
    /// The same for every candidate of the cell.
    Fixed(f64),
    /// The profit-taking barrier: this coefficient times the pt multiple.
    Pt(f64),
    /// The stop-loss barrier: this coefficient times the sl multiple.
    Sl(f64),
}

/// The sums one outcome adds: its class (when the label is known), and the trade's
/// return and its square as coefficients (when it trades).
fn cell<const N: usize>(exit: Option<(Barrier, Return)>, rule: &LabelRule, cost: f64) -> [f64; N] {
    let mut v = [0.0; N];
    let Some((barrier, ret)) = exit else { return v };
    let fixed = match ret {
        Return::Fixed(r) => r,
        Return::Pt(_) | Return::Sl(_) => 0.0,
    };
    let label = rule.label(barrier, fixed);
    v[(label + 1) as usize] = 1.0;
    if label == 0 {
        return v;
    }
    // pnl = direction x ret - cost = a + b x pt + c x sl
    let direction = if rule.meta { 1.0 } else { f64::from(label) };
    let (a, b, c) = match ret {
        Return::Fixed(r) => (direction * r - cost, 0.0, 0.0),
        Return::Pt(k) => (-cost, direction * k, 0.0),
        Return::Sl(k) => (-cost, 0.0, direction * k),
    };
    v[3] = a;
    v[4] = a * a;
    if N > CLOSE_WIDTH {
        v[5..].copy_from_slice(&[b, b * b, c, c * c][..N - CLOSE_WIDTH]);
    }
    v
}

/// Adds one event's outcomes to the grid of 2D differences. Each exit covers a rectangle
/// of ranks: a favourable record's row runs, over the columns whose adverse touch comes
/// later; an adverse record's column runs, over the rows whose favourable touch comes
/// later (or at the same bar, when `stop_on_ties`); otherwise a bar that touches both
/// is a rectangle of its own; and the vertical barrier covers the ranks touching
/// neither. `outcome` resolves any (row, column) pair of a rectangle.
fn add_exits<const N: usize>(grid: &mut [[f64; N]], width: usize, rows: &[Line], cols: &[Line], stop_on_ties: bool, outcome: impl Fn(&Line, &Line) -> [f64; N]) {
    let mut rect = |(r0, r1): (usize, usize), (c0, c1): (usize, usize), v: [f64; N]| {
        let mut add = |r: usize, c: usize, sign: f64| {
            for (x, y) in grid[r * width + c].iter_mut().zip(v) {
                *x += sign * y;
            }
        };
        // corners at the far edge (rank P) are never read
        add(r0, c0, 1.0);
        if r1 < width - 1 {
            add(r1, c0, -1.0);
        }
        if c1 < width - 1 {
            add(r0, c1, -1.0);
            if r1 < width - 1 {
                add(r1, c1, 1.0);
            }
        }
    };
    let end = width - 1;
    // favourable exits (and ties, unless the stop takes them)
    let (mut tied, mut later) = (0, 0);
    for row in rows.iter().filter(|r| r.at < u32::MAX) {
        while tied < cols.len() && cols[tied].at < row.at {
            tied += 1;
        }
        later = later.max(tied);
        while later < cols.len() && cols[later].at <= row.at {
            later += 1;
        }
        if let Some(col) = cols.get(later) {
            rect((row.start, row.end), (col.start, end), outcome(row, col));
        }
        if !stop_on_ties {
            for col in &cols[tied..later] {
                rect((row.start, row.end), (col.start, col.end), outcome(row, col));
            }
        }
    }
    // adverse exits
    let mut first = 0;
    for col in cols.iter().filter(|c| c.at < u32::MAX) {
        while first < rows.len() && (rows[first].at < col.at || (!stop_on_ties && rows[first].at == col.at)) {
            first += 1;
        }
        if let Some(row) = rows.get(first) {
            rect((row.start, end), (col.start, col.end), outcome(row, col));
        }
    }
    // the vertical barrier
    if let (Some(row), Some(col)) = (rows.last(), cols.last())
        && row.at == u32::MAX
        && col.at == u32::MAX
    {
        rect((row.start, end), (col.start, end), outcome(row, col));
    }
}

/// Turns the 2D differences into sums over the ranks at or before each cell.
fn prefix_sums<const N: usize>(grid: &mut [[f64; N]], width: usize) {
    for r in 0..width {
        for c in 1..width {
            let left = grid[r * width + c - 1];
            for (x, l) in grid[r * width + c].iter_mut().zip(left) {
                *x += l;
            }
        }
        if r > 0 {
            for c in 0..width {
                let up = grid[(r - 1) * width + c];
                for (x, u) in grid[r * width + c].iter_mut().zip(up) {
                    *x += u;
                }
            }
        }
    }
}
