//! Units for money amounts on chart axes.
//!
//! Chart data is always in yuan; the unit only changes how axes are scaled and labelled. Chinese
//! ABS documents quote amounts in 万元 (10⁴) or 亿元 (10⁸), English ones in millions.

use std::fmt;
use std::str::FromStr;

/// How money amounts are shown on axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AmountUnit {
    /// 元, unscaled.
    Yuan,
    /// 万元 = 10,000 yuan, the usual unit in Chinese deal documents.
    #[default]
    Wan,
    /// 亿元 = 100,000,000 yuan.
    Yi,
    /// Million yuan.
    Million,
}

impl AmountUnit {
    /// Every unit, for help text and parsing.
    pub const ALL: [AmountUnit; 4] = [Self::Yuan, Self::Wan, Self::Yi, Self::Million];

    /// Number of yuan in one unit.
    pub fn divisor(self) -> f64 {
        match self {
            Self::Yuan => 1.0,
            Self::Wan => 1e4,
            Self::Yi => 1e8,
            Self::Million => 1e6,
        }
    }

    /// Text put after axis titles, e.g. "余额 (万元)".
    pub fn label(self) -> &'static str {
        match self {
            Self::Yuan => "元",
            Self::Wan => "万元",
            Self::Yi => "亿元",
            Self::Million => "M yuan",
        }
    }

    /// Name accepted by [`FromStr`].
    pub fn name(self) -> &'static str {
        match self {
            Self::Yuan => "yuan",
            Self::Wan => "wan",
            Self::Yi => "yi",
            Self::Million => "million",
        }
    }

    /// `yuan` expressed in this unit.
    pub fn scale(self, yuan: f64) -> f64 {
        yuan / self.divisor()
    }
}

impl fmt::Display for AmountUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AmountUnit {
    type Err = String;

    /// Accepts the English names (`yuan`, `wan`, `yi`, `million`/`m`) and the Chinese labels.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "yuan" | "元" | "cny" => Ok(Self::Yuan),
            "wan" | "万元" | "万" => Ok(Self::Wan),
            "yi" | "亿元" | "亿" => Ok(Self::Yi),
            "million" | "m" | "mn" => Ok(Self::Million),
            other => Err(format!(
                "unknown amount unit {other:?} (expected yuan, wan, yi or million)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisors_and_labels() {
        assert_eq!(AmountUnit::Wan.scale(123_450_000.0), 12_345.0);
        assert_eq!(AmountUnit::Yi.scale(250_000_000.0), 2.5);
        assert_eq!(AmountUnit::Million.scale(3_000_000.0), 3.0);
        assert_eq!(AmountUnit::Yuan.label(), "元");
        assert_eq!(AmountUnit::default(), AmountUnit::Wan);
    }

    #[test]
    fn parse_round_trip() {
        for u in AmountUnit::ALL {
            assert_eq!(u.name().parse::<AmountUnit>(), Ok(u));
        }
        assert_eq!("亿元".parse::<AmountUnit>(), Ok(AmountUnit::Yi));
        assert!("furlong".parse::<AmountUnit>().is_err());
    }
}
