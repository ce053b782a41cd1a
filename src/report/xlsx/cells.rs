//! A typed row as workbook cells: the column names and values come from the row's own serde
//! declaration (the one the CSV and JSON writers use), so a sheet has the file's columns.

use serde::Serialize;
use serde::ser::{self, Impossible};

/// A row that cannot be laid out as cells (not a struct of scalar fields).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotARow(String);

impl ser::Error for NotARow {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        NotARow(msg.to_string())
    }
}

/// The fields of `row` in declaration order, each as the JSON value the files hold (amounts
/// written to the fen are strings, as in the files).
pub fn fields<T: Serialize>(row: &T) -> Result<Vec<(&'static str, serde_json::Value)>, NotARow> {
    row.serialize(Row)
}

struct Row;

/// Collects a struct's fields.
pub struct Fields(Vec<(&'static str, serde_json::Value)>);

impl ser::SerializeStruct for Fields {
    type Ok = Vec<(&'static str, serde_json::Value)>;
    type Error = NotARow;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), NotARow> {
        let value = serde_json::to_value(value).map_err(|e| NotARow(format!("{key}: {e}")))?;
        self.0.push((key, value));
        Ok(())
    }

    fn end(self) -> Result<Self::Ok, NotARow> {
        Ok(self.0)
    }
}

fn not_a_row<T>(what: &str) -> Result<T, NotARow> {
    Err(NotARow(format!(
        "expected a struct of fields, found {what}"
    )))
}

type Out = Vec<(&'static str, serde_json::Value)>;

impl ser::Serializer for Row {
    type Ok = Out;
    type Error = NotARow;
    type SerializeSeq = Impossible<Out, NotARow>;
    type SerializeTuple = Impossible<Out, NotARow>;
    type SerializeTupleStruct = Impossible<Out, NotARow>;
    type SerializeTupleVariant = Impossible<Out, NotARow>;
    type SerializeMap = Impossible<Out, NotARow>;
    type SerializeStruct = Fields;
    type SerializeStructVariant = Impossible<Out, NotARow>;

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Fields, NotARow> {
        Ok(Fields(Vec::with_capacity(len)))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Out, NotARow> {
        value.serialize(self)
    }
    fn serialize_bool(self, _: bool) -> Result<Out, NotARow> {
        not_a_row("a bool")
    }
    fn serialize_i8(self, _: i8) -> Result<Out, NotARow> {
        not_a_row("a number")
    }
    fn serialize_i16(self, _: i16) -> Result<Out, NotARow> {
        not_a_row("a number")
    }
    fn serialize_i32(self, _: i32) -> Result<Out, NotARow> {
        not_a_row("a number")
    }
    fn serialize_i64(self, _: i64) -> Result<Out, NotARow> {
        not_a_row("a number")
    }
    fn serialize_u8(self, _: u8) -> Result<Out, NotARow> {
        not_a_row("a number")
    }
    fn serialize_u16(self, _: u16) -> Result<Out, NotARow> {
        not_a_row("a number")
    }
    fn serialize_u32(self, _: u32) -> Result<Out, NotARow> {
        not_a_row("a number")
    }
    fn serialize_u64(self, _: u64) -> Result<Out, NotARow> {
        not_a_row("a number")
    }
    fn serialize_f32(self, _: f32) -> Result<Out, NotARow> {
        not_a_row("a number")
    }
    fn serialize_f64(self, _: f64) -> Result<Out, NotARow> {
        not_a_row("a number")
    }
    fn serialize_char(self, _: char) -> Result<Out, NotARow> {
        not_a_row("a character")
    }
    fn serialize_str(self, _: &str) -> Result<Out, NotARow> {
        not_a_row("a string")
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Out, NotARow> {
        not_a_row("bytes")
    }
    fn serialize_none(self) -> Result<Out, NotARow> {
        not_a_row("nothing")
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Out, NotARow> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Out, NotARow> {
        not_a_row("nothing")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Out, NotARow> {
        not_a_row("a unit struct")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Out, NotARow> {
        not_a_row("an enum")
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Out, NotARow> {
        not_a_row("an enum")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotARow> {
        not_a_row("a list")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotARow> {
        not_a_row("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotARow> {
        not_a_row("a tuple")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotARow> {
        not_a_row("an enum")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotARow> {
        not_a_row("a map")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotARow> {
        not_a_row("an enum")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Example {
        period: usize,
        #[serde(serialize_with = "crate::money::serialize_fen")]
        paid: rust_decimal::Decimal,
        rate: Option<f64>,
    }

    #[test]
    fn fields_in_declaration_order_as_the_files_hold_them() {
        let row = Example {
            period: 3,
            paid: rust_decimal::dec!(12.5),
            rate: None,
        };
        let f = fields(&row).unwrap();
        let names: Vec<&str> = f.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, ["period", "paid", "rate"]);
        assert_eq!(f[1].1, serde_json::json!("12.50"));
        assert!(f[2].1.is_null());
        assert!(fields(&3u32).is_err());
    }
}
