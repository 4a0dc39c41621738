//! Futures instruments: tick size and value, so prices can live on the tick grid and
//! PnL can be counted in money.

use serde::{Deserialize, Serialize};

/// A futures contract's trading specification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    pub symbol: String,
    /// Minimum price increment (MES: 0.25 index points).
    pub tick_size: f64,
    /// Money per tick per contract, in `currency` (MES: 1.25).
    pub tick_value: f64,
    pub currency: String,
    /// IANA time zone of the exchange's sessions.
    pub timezone: String,
}

/// `(symbol, tick size, tick value)` for the contracts mlfactory knows; all CME Globex,
/// America/Chicago, USD.
const KNOWN: &[(&str, f64, f64)] = &[
    ("MES", 0.25, 1.25),
    ("ES", 0.25, 12.5),
    ("MNQ", 0.25, 0.5),
    ("NQ", 0.25, 5.0),
    ("M2K", 0.1, 0.5),
    ("RTY", 0.1, 5.0),
    ("MYM", 1.0, 0.5),
    ("YM", 1.0, 5.0),
    ("MGC", 0.1, 1.0),
    ("GC", 0.1, 10.0),
    ("MCL", 0.01, 1.0),
    ("CL", 0.01, 10.0),
    ("6E", 0.00005, 6.25),
    ("M6E", 0.0001, 1.25),
    ("ZN", 0.015_625, 15.625),
];

impl Instrument {
    /// Looks up a known symbol (case-insensitive). A contract month suffix such as
    /// `ESH4` or `6EH4` is accepted and ignored.
    pub fn lookup(symbol: &str) -> Option<Self> {
        let upper = symbol.to_ascii_uppercase();
        let root = KNOWN
            .iter()
            .filter(|(s, ..)| upper == *s || (upper.starts_with(s) && upper.len() <= s.len() + 2 && is_month_code(&upper[s.len()..])))
            .max_by_key(|(s, ..)| s.len())?;
        Some(Self { symbol: root.0.to_owned(), tick_size: root.1, tick_value: root.2, currency: "USD".into(), timezone: "America/Chicago".into() })
    }

    /// Every known symbol.
    pub fn known_symbols() -> impl Iterator<Item = &'static str> {
        KNOWN.iter().map(|k| k.0)
    }

    /// Price -> integer ticks (rounded to the nearest tick).
    pub fn to_ticks(&self, price: f64) -> i64 {
        (price / self.tick_size).round() as i64
    }

    /// Integer ticks -> price.
    pub fn to_price(&self, ticks: i64) -> f64 {
        ticks as f64 * self.tick_size
    }

    /// Whether `price` lies on the tick grid (to 1e-6 of a tick).
    pub fn on_grid(&self, price: f64) -> bool {
        let t = price / self.tick_size;
        (t - t.round()).abs() < 1e-6
    }
}

fn is_month_code(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some('F' | 'G' | 'H' | 'J' | 'K' | 'M' | 'N' | 'Q' | 'U' | 'V' | 'X' | 'Z')) && c.all(|d| d.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_ticks() {
        let mes = Instrument::lookup("mes").unwrap();
        assert_eq!((mes.tick_size, mes.tick_value), (0.25, 1.25));
        assert_eq!(mes.to_ticks(5000.25), 20001);
        assert_eq!(mes.to_price(20001), 5000.25);
        assert!(mes.on_grid(5000.75) && !mes.on_grid(5000.1));
        assert_eq!(Instrument::lookup("ESH4").unwrap().symbol, "ES");
        assert_eq!(Instrument::lookup("6EH4").unwrap().symbol, "6E");
        assert!(Instrument::lookup("XYZ").is_none());
    }
}
