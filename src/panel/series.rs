//! Country-year series and bilateral tables: sparse maps in which a missing value is simply
//! absent (never NaN, never zero).

use std::collections::BTreeMap;

/// A country-year series: country → (calendar year → value). Values are finite.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    values: BTreeMap<String, BTreeMap<i32, f64>>,
}

impl Series {
    /// An empty series.
    pub fn new() -> Series {
        Series::default()
    }

    /// Builds a series from (country, year, value) triples. Returns the first repeated
    /// (country, year) as the error; non-finite values are skipped (treated as missing).
    pub fn from_triples<I, S>(triples: I) -> Result<Series, (String, i32)>
    where
        I: IntoIterator<Item = (S, i32, f64)>,
        S: Into<String>,
    {
        let mut series = Series::new();
        for (country, year, value) in triples {
            let country = country.into();
            if !value.is_finite() {
                continue;
            }
            if series.get(&country, year).is_some() {
                return Err((country, year));
            }
            series.insert(country, year, value);
        }
        Ok(series)
    }

    /// The value at (country, year), if present.
    pub fn get(&self, country: &str, year: i32) -> Option<f64> {
        self.values.get(country)?.get(&year).copied()
    }

    /// Sets the value at (country, year) (ignored if not finite: missing stays absent).
    pub fn insert(&mut self, country: impl Into<String>, year: i32, value: f64) {
        if value.is_finite() {
            self.values
                .entry(country.into())
                .or_default()
                .insert(year, value);
        }
    }

    /// The years → values of one country, in calendar order.
    pub fn country(&self, country: &str) -> Option<&BTreeMap<i32, f64>> {
        self.values.get(country)
    }

    /// Every (country, year, value), by country then year.
    pub fn iter(&self) -> impl Iterator<Item = (&str, i32, f64)> + '_ {
        self.values
            .iter()
            .flat_map(|(c, ys)| ys.iter().map(move |(y, v)| (c.as_str(), *y, *v)))
    }

    /// Every country with at least one value, with its (year → value) map.
    pub fn countries(&self) -> impl Iterator<Item = (&str, &BTreeMap<i32, f64>)> + '_ {
        self.values
            .iter()
            .filter(|(_, ys)| !ys.is_empty())
            .map(|(c, ys)| (c.as_str(), ys))
    }

    /// Number of non-missing values.
    pub fn len(&self) -> usize {
        self.values.values().map(BTreeMap::len).sum()
    }

    /// Whether there is no value at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same values with `f` applied to every value; results that are `None` or not
    /// finite become missing and are returned as the second element.
    pub fn map_values(&self, f: impl Fn(f64) -> Option<f64>) -> (Series, Vec<(String, i32)>) {
        let mut out = Series::new();
        let mut dropped = Vec::new();
        for (c, y, v) in self.iter() {
            match f(v).filter(|r| r.is_finite()) {
                Some(r) => out.insert(c, y, r),
                None => dropped.push((c.to_string(), y)),
            }
        }
        (out, dropped)
    }
}

/// A bilateral table: (reporter, partner, year) → value, e.g. outward FDI of the reporter in
/// the partner (host).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bilateral {
    values: BTreeMap<(String, i32), BTreeMap<String, f64>>,
}

impl Bilateral {
    /// An empty table.
    pub fn new() -> Bilateral {
        Bilateral::default()
    }

    /// Builds a table from (reporter, partner, year, value); the first repeated key is the
    /// error. Non-finite values are skipped.
    pub fn from_rows<I, S>(rows: I) -> Result<Bilateral, (String, String, i32)>
    where
        I: IntoIterator<Item = (S, S, i32, f64)>,
        S: Into<String>,
    {
        let mut table = Bilateral::new();
        for (reporter, partner, year, value) in rows {
            let (reporter, partner) = (reporter.into(), partner.into());
            if !value.is_finite() {
                continue;
            }
            let cell = table.values.entry((reporter.clone(), year)).or_default();
            if cell.insert(partner.clone(), value).is_some() {
                return Err((reporter, partner, year));
            }
        }
        Ok(table)
    }

    /// Every (reporter, year) with its partners → value, by reporter then year.
    pub fn by_reporter_year(
        &self,
    ) -> impl Iterator<Item = (&str, i32, &BTreeMap<String, f64>)> + '_ {
        self.values
            .iter()
            .map(|((r, y), partners)| (r.as_str(), *y, partners))
    }

    /// Every (reporter, partner, year, value).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, i32, f64)> + '_ {
        self.values.iter().flat_map(|((r, y), partners)| {
            partners
                .iter()
                .map(move |(p, v)| (r.as_str(), p.as_str(), *y, *v))
        })
    }

    /// Number of non-missing values.
    pub fn len(&self) -> usize {
        self.values.values().map(BTreeMap::len).sum()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_reported_and_nan_is_missing() {
        let s = Series::from_triples([("A", 2000, 1.0), ("A", 2001, f64::NAN)]).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s.get("A", 2001), None);
        let err = Series::from_triples([("A", 2000, 1.0), ("A", 2000, 2.0)]).unwrap_err();
        assert_eq!(err, ("A".to_string(), 2000));
        let err = Bilateral::from_rows([("A", "B", 2000, 1.0), ("A", "B", 2000, 2.0)]).unwrap_err();
        assert_eq!(err, ("A".to_string(), "B".to_string(), 2000));
    }
}
