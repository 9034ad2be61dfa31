//! Every CSV gvc writes goes through here: the `csv` crate's quoting (a field is quoted when it
//! holds a comma, quote or line break) and one number format — the shortest text that reads
//! back as the same f64, and an empty cell for a missing or non-finite value.

use std::io::Write;

use polars::prelude::*;

/// One cell.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Text(&'a str),
    Num(f64),
    Int(i64),
    Missing,
}

/// A number as CSV text: shortest round-trip form, empty when not finite.
pub fn fmt_f64(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// A CSV writer with a header.
pub struct CsvOut<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> CsvOut<W> {
    pub fn new(inner: W, header: &[&str]) -> csv::Result<Self> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(inner);
        w.write_record(header)?;
        Ok(CsvOut { w })
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) -> csv::Result<()> {
        let texts: Vec<String> = cells
            .into_iter()
            .map(|c| match c {
                Cell::Text(s) => s.to_string(),
                Cell::Num(v) => fmt_f64(v),
                Cell::Int(i) => i.to_string(),
                Cell::Missing => String::new(),
            })
            .collect();
        self.w.write_record(&texts)
    }

    /// Flushes and returns the inner writer.
    pub fn finish(self) -> csv::Result<W> {
        self.w
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

/// Why a frame could not be written as CSV.
#[derive(Debug, thiserror::Error)]
pub enum CsvOutError {
    /// The CSV writer failed (in practice only the underlying writer can).
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A cell of the frame could not be read.
    #[error("reading a cell of the frame: {0}")]
    Frame(#[from] PolarsError),
}

/// A frame as CSV bytes (string, integer and float columns; other types as their text).
pub fn frame_csv(df: &DataFrame) -> Result<Vec<u8>, CsvOutError> {
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    let mut out = CsvOut::new(Vec::new(), &names)?;
    let cols = df.columns();
    for i in 0..df.height() {
        let mut texts: Vec<String> = Vec::with_capacity(cols.len());
        for c in cols {
            let v = c.get(i)?;
            texts.push(match v {
                AnyValue::Null => String::new(),
                AnyValue::String(s) => s.to_string(),
                AnyValue::StringOwned(s) => s.to_string(),
                AnyValue::Float64(f) => fmt_f64(f),
                AnyValue::Float32(f) => fmt_f64(f64::from(f)),
                AnyValue::Int64(x) => x.to_string(),
                AnyValue::Int32(x) => x.to_string(),
                other => other.to_string(),
            });
        }
        out.row(texts.iter().map(|t| Cell::Text(t)))?;
    }
    Ok(out.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_numbers() {
        let mut out = CsvOut::new(Vec::new(), &["name", "value"]).unwrap();
        out.row([Cell::Text("a,b"), Cell::Num(0.1)]).unwrap();
        out.row([Cell::Text("say \"hi\""), Cell::Num(f64::NAN)])
            .unwrap();
        out.row([Cell::Text("x"), Cell::Int(2009)]).unwrap();
        let text = String::from_utf8(out.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "name,value\n\"a,b\",0.1\n\"say \"\"hi\"\"\",\nx,2009\n"
        );
    }
}
