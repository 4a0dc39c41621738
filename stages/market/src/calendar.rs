//! The CME Globex calendar in the exchange's time zone (America/Chicago, with daylight
//! saving).
//!
//! - The week runs from Sunday 17:00 to Friday 16:00; Monday to Thursday pause for the
//!   daily break 16:00-17:00. Exchange holidays are not modelled (a holiday looks like a
//!   quiet day to the simulator, and like a gap in real data).
//! - A *trading day* starts at 17:00 the evening before: Sunday 17:00 opens Monday's.
//! - Sessions (local time): Asia 17:00-02:00, London 02:00-08:30, then regular trading
//!   hours split as RTH open 08:30-09:30, morning 09:30-11:00, lunch 11:00-13:00,
//!   afternoon 13:00-14:30, RTH close 14:30-15:00, and post-close 15:00-16:00.
//!
//! Timestamps are UTC nanoseconds. DST changes happen on Sunday at 02:00 local, while
//! Globex is closed, so the offset never changes inside a trading day.

use std::cell::Cell;
use std::fmt;

use chrono::{DateTime, Datelike, Offset, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

const NS_PER_MIN: i64 = 60_000_000_000;
const NS_PER_SEC: i64 = 1_000_000_000;
/// Local minute of day at which a trading day opens (17:00).
pub const DAY_OPEN_MINUTE: i64 = 17 * 60;
/// Local minute of day at which a trading day closes (16:00).
pub const DAY_CLOSE_MINUTE: i64 = 16 * 60;

/// Where in the trading day a moment falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Session {
    Asia,
    London,
    RthOpen,
    RthMorning,
    RthLunch,
    RthAfternoon,
    RthClose,
    PostClose,
    /// The daily break or the weekend.
    Closed,
}

impl Session {
    /// Every session in trading-day order (without `Closed`).
    pub const ALL: [Self; 8] = [Self::Asia, Self::London, Self::RthOpen, Self::RthMorning, Self::RthLunch, Self::RthAfternoon, Self::RthClose, Self::PostClose];

    pub fn name(self) -> &'static str {
        match self {
            Self::Asia => "asia",
            Self::London => "london",
            Self::RthOpen => "rth_open",
            Self::RthMorning => "rth_morning",
            Self::RthLunch => "rth_lunch",
            Self::RthAfternoon => "rth_afternoon",
            Self::RthClose => "rth_close",
            Self::PostClose => "post_close",
            Self::Closed => "closed",
        }
    }

    /// Parses [`Self::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().chain([Self::Closed]).find(|s| s.name() == name)
    }

    /// Regular trading hours (08:30-15:00 local).
    pub fn is_rth(self) -> bool {
        matches!(self, Self::RthOpen | Self::RthMorning | Self::RthLunch | Self::RthAfternoon | Self::RthClose)
    }

    /// A small integer id (0-7 in trading-day order, 8 for closed), for features.
    pub fn id(self) -> u8 {
        Self::ALL.iter().position(|s| *s == self).map_or(8, |i| i as u8)
    }

    /// The session at a local minute of day, ignoring the weekend.
    pub fn at_minute(minute_of_day: i64) -> Self {
        match minute_of_day {
            m if m >= DAY_OPEN_MINUTE || m < 2 * 60 => Self::Asia,
            m if m < 8 * 60 + 30 => Self::London,
            m if m < 9 * 60 + 30 => Self::RthOpen,
            m if m < 11 * 60 => Self::RthMorning,
            m if m < 13 * 60 => Self::RthLunch,
            m if m < 14 * 60 + 30 => Self::RthAfternoon,
            m if m < 15 * 60 => Self::RthClose,
            m if m < DAY_CLOSE_MINUTE => Self::PostClose,
            _ => Self::Closed,
        }
    }
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An exchange calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calendar {
    tz: Tz,
}

impl Default for Calendar {
    fn default() -> Self {
        Self::cme()
    }
}

impl Calendar {
    /// CME Globex (America/Chicago).
    pub fn cme() -> Self {
        Self { tz: chrono_tz::America::Chicago }
    }

    /// A calendar in another time zone (IANA name).
    pub fn in_timezone(name: &str) -> Option<Self> {
        name.parse::<Tz>().ok().map(|tz| Self { tz })
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// A clock that converts UTC timestamps to local time quickly (it caches the UTC
    /// offset per hour). Not `Sync`: make one per thread.
    pub fn clock(&self) -> Clock {
        Clock { tz: self.tz, hour: Cell::new(i64::MIN), offset_ns: Cell::new(0) }
    }

    /// UTC nanoseconds of a local wall-clock time (the earlier one if ambiguous).
    pub fn utc_ns(&self, year: i32, month: u32, day: u32, hour: u32, minute: u32) -> Option<i64> {
        let local = self.tz.with_ymd_and_hms(year, month, day, hour, minute, 0).earliest()?;
        local.timestamp_nanos_opt()
    }
}

/// Local-time conversions with a cached UTC offset.
#[derive(Debug)]
pub struct Clock {
    tz: Tz,
    hour: Cell<i64>,
    offset_ns: Cell<i64>,
}

/// A moment in exchange-local terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// Days since 1970-01-01 of the local calendar date.
    pub date: i64,
    /// Minutes since local midnight (0..1440).
    pub minute_of_day: i64,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
}

impl Clock {
    /// The UTC offset (local - UTC) in nanoseconds at `ts`.
    pub fn offset_ns(&self, ts: i64) -> i64 {
        let hour = ts.div_euclid(3600 * NS_PER_SEC);
        if hour != self.hour.get() {
            let dt = DateTime::from_timestamp_nanos(ts);
            let offset = self.tz.offset_from_utc_datetime(&dt.naive_utc()).fix().local_minus_utc();
            self.offset_ns.set(i64::from(offset) * NS_PER_SEC);
            self.hour.set(hour);
        }
        self.offset_ns.get()
    }

    /// Local date, minute of day and weekday at `ts`.
    pub fn local(&self, ts: i64) -> LocalTime {
        let local_min = (ts + self.offset_ns(ts)).div_euclid(NS_PER_MIN);
        let date = local_min.div_euclid(1440);
        // 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
        LocalTime { date, minute_of_day: local_min.rem_euclid(1440), weekday: (date + 3).rem_euclid(7) as u8 }
    }

    /// Whether Globex trades at `ts`.
    pub fn is_open(&self, ts: i64) -> bool {
        self.session(ts) != Session::Closed
    }

    /// The session at `ts` (`Closed` in the daily break and at the weekend).
    pub fn session(&self, ts: i64) -> Session {
        let l = self.local(ts);
        let closed = match l.weekday {
            5 => true,                                // Saturday
            6 => l.minute_of_day < DAY_OPEN_MINUTE,   // Sunday before 17:00
            4 => l.minute_of_day >= DAY_CLOSE_MINUTE, // Friday from 16:00
            _ => (DAY_CLOSE_MINUTE..DAY_OPEN_MINUTE).contains(&l.minute_of_day),
        };
        if closed { Session::Closed } else { Session::at_minute(l.minute_of_day) }
    }

    /// The trading day `ts` belongs to, as days since 1970-01-01 (17:00 opens the next
    /// day's session).
    pub fn trading_day(&self, ts: i64) -> i64 {
        let l = self.local(ts);
        if l.minute_of_day >= DAY_OPEN_MINUTE { l.date + 1 } else { l.date }
    }

    /// Minutes since the trading day opened (17:00 the evening before), 0..1380.
    pub fn minutes_into_day(&self, ts: i64) -> i64 {
        (self.local(ts).minute_of_day - DAY_OPEN_MINUTE).rem_euclid(1440)
    }

    /// UTC nanoseconds at which the trading day holding `ts` opened.
    pub fn day_open_ns(&self, ts: i64) -> i64 {
        let into = self.minutes_into_day(ts);
        let floor_min = (ts + self.offset_ns(ts)).div_euclid(NS_PER_MIN) * NS_PER_MIN - self.offset_ns(ts);
        floor_min - into * NS_PER_MIN
    }

    /// The calendar date (year, month, day) of a trading day number.
    pub fn date_of(day: i64) -> (i32, u32, u32) {
        let d = chrono::NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + 719_163).unwrap_or(0)).unwrap_or_default();
        (d.year(), d.month(), d.day())
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn ts(cal: &Calendar, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        cal.utc_ns(y, mo, d, h, mi).unwrap()
    }

    #[rstest]
    #[case(2024, 3, 4, 8, 30, Session::RthOpen)] // Monday (CST)
    #[case(2024, 3, 11, 8, 30, Session::RthOpen)] // Monday after DST started (CDT)
    #[case(2024, 3, 11, 12, 0, Session::RthLunch)]
    #[case(2024, 3, 11, 16, 30, Session::Closed)] // daily break
    #[case(2024, 3, 11, 17, 0, Session::Asia)]
    #[case(2024, 3, 11, 3, 0, Session::London)]
    #[case(2024, 3, 15, 16, 0, Session::Closed)] // Friday close
    #[case(2024, 3, 16, 12, 0, Session::Closed)] // Saturday
    #[case(2024, 3, 17, 16, 59, Session::Closed)] // Sunday before open
    #[case(2024, 3, 17, 17, 0, Session::Asia)] // Sunday open
    #[case(2024, 11, 4, 14, 45, Session::RthClose)] // after DST ended
    fn sessions_in_local_time(#[case] y: i32, #[case] mo: u32, #[case] d: u32, #[case] h: u32, #[case] mi: u32, #[case] want: Session) {
        let cal = Calendar::cme();
        assert_eq!(cal.clock().session(ts(&cal, y, mo, d, h, mi)), want);
    }

    #[test]
    fn dst_moves_the_utc_time_of_the_open() {
        let cal = Calendar::cme();
        let before = ts(&cal, 2024, 3, 8, 8, 30); // CST: 14:30 UTC
        let after = ts(&cal, 2024, 3, 11, 8, 30); // CDT: 13:30 UTC
        assert_eq!(before.rem_euclid(86_400 * NS_PER_SEC) / (3600 * NS_PER_SEC), 14);
        assert_eq!(after.rem_euclid(86_400 * NS_PER_SEC) / (3600 * NS_PER_SEC), 13);
    }

    #[test]
    fn trading_day_starts_at_five_pm() {
        let cal = Calendar::cme();
        let c = cal.clock();
        let sun_open = ts(&cal, 2024, 3, 17, 17, 0);
        let mon_noon = ts(&cal, 2024, 3, 18, 12, 0);
        assert_eq!(c.trading_day(sun_open), c.trading_day(mon_noon));
        assert_eq!(c.day_open_ns(mon_noon), sun_open);
        assert_eq!(c.minutes_into_day(mon_noon), 19 * 60);
        assert_eq!(Clock::date_of(c.trading_day(mon_noon)), (2024, 3, 18));
        assert_eq!(c.local(mon_noon).weekday, 0);
    }
}
