//! Dynamic SQL for both backends: the text, with numbered placeholders
//! (`$1`, `$2`, …, which SQLite and PostgreSQL both read), and its
//! arguments, built together so that they cannot disagree.
//!
//! sqlx's own `QueryBuilder` writes `?` for the `Any` driver, which
//! PostgreSQL refuses; this is the same idea with `$N`.

use sqlx::any::{Any, AnyArguments};
use sqlx::error::BoxDynError;
use sqlx::{Arguments, Encode, Type};

/// A statement being built: push text and bound values in order, then
/// [`Sql::into_parts`] for `sqlx::query_with` (or `query_as_with`).
#[derive(Default)]
pub struct Sql<'q> {
    text: String,
    args: AnyArguments<'q>,
    /// The first value that did not encode: the statement is then never run.
    error: Option<BoxDynError>,
}

impl<'q> Sql<'q> {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Appends SQL text as it is (never a value: values go through
    /// [`Sql::push_bind`]).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends the next placeholder (`$N`) and binds `value` to it.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        if let Err(e) = self.args.add(value) {
            self.error.get_or_insert(e);
        }
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `(…), (…)`: one parenthesised tuple per row, its values bound
    /// by `each` through [`Tuple::bind`] (a multi-row `VALUES` list).
    pub fn push_values<I>(
        &mut self,
        rows: I,
        mut each: impl FnMut(&mut Tuple<'_, 'q>, I::Item),
    ) -> &mut Self
    where
        I: IntoIterator,
    {
        for (i, row) in rows.into_iter().enumerate() {
            self.text.push_str(if i == 0 { "(" } else { ", (" });
            each(
                &mut Tuple {
                    sql: self,
                    first: true,
                },
                row,
            );
            self.text.push(')');
        }
        self
    }

    /// The statement's text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How many values are bound.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    pub fn is_empty(&self) -> bool {
        self.args.len() == 0
    }

    /// The text and the arguments for `sqlx::query_with` (or `query_as_with`),
    /// or the first value that did not encode.
    pub fn into_parts(self) -> Result<(String, AnyArguments<'q>), sqlx::Error> {
        match self.error {
            Some(e) => Err(sqlx::Error::Encode(e)),
            None => Ok((self.text, self.args)),
        }
    }
}

/// One row of [`Sql::push_values`]: its values, comma-separated.
pub struct Tuple<'a, 'q> {
    sql: &'a mut Sql<'q>,
    first: bool,
}

impl<'q> Tuple<'_, 'q> {
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        if !std::mem::take(&mut self.first) {
            self.sql.text.push_str(", ");
        }
        self.sql.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_the_order_values_are_bound() {
        let mut sql = Sql::new("SELECT x FROM t WHERE 1 = 1");
        sql.push(" AND a = ").push_bind("a".to_owned());
        sql.push(" AND b < ").push_bind(7_i64);
        sql.push(" LIMIT ").push_bind(3_i64);
        assert_eq!(
            sql.text(),
            "SELECT x FROM t WHERE 1 = 1 AND a = $1 AND b < $2 LIMIT $3"
        );
        assert_eq!(sql.len(), 3);
        let (_, args) = sql.into_parts().expect("every value encodes");
        assert_eq!(args.len(), 3);
    }

    #[test]
    fn values_lists_are_one_tuple_per_row() {
        let rows = [("a", 1_i64), ("b", 2), ("c", 3)];
        let mut sql = Sql::new("INSERT INTO t (k, v) VALUES ");
        sql.push_values(rows, |tuple, (k, v)| {
            tuple.bind(k).bind(v);
        });
        assert_eq!(
            sql.text(),
            "INSERT INTO t (k, v) VALUES ($1, $2), ($3, $4), ($5, $6)"
        );
        assert_eq!(sql.len(), 6);
        assert!(!sql.is_empty());
    }
}
