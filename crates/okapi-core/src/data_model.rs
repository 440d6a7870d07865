//! The input data model: the tables a company's data directory may hold,
//! their columns, types and rules (`data-model.md`).
//!
//! This module only *describes* the contract; the engine reads files and
//! checks every cell against it.
//!
//! Bounds every value must respect, so that sums and day arrays stay
//! exact and small: money at most [`MAX_MONEY`] per cell; dates and
//! timestamps within [`crate::period::FIRST_DATE`] …
//! [`crate::period::LAST_DATE`] (a timestamp from 1900-01-01T00:00:00Z up
//! to, not including, 2201-01-01T00:00:00Z).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The largest amount one money cell may hold, in whole units of the
/// workspace currency: 10^15. Above any real subscription, deal or budget,
/// and low enough that sums over billions of rows stay exact.
pub const MAX_MONEY: i64 = 1_000_000_000_000_000;

/// An input table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Subscriptions,
    Accounts,
    Events,
    Visits,
    Leads,
    Deals,
    Spend,
    Surveys,
    Milestones,
    SupportTickets,
}

impl Table {
    pub const ALL: [Table; 10] = [
        Table::Subscriptions,
        Table::Accounts,
        Table::Events,
        Table::Visits,
        Table::Leads,
        Table::Deals,
        Table::Spend,
        Table::Surveys,
        Table::Milestones,
        Table::SupportTickets,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Subscriptions => "subscriptions",
            Table::Accounts => "accounts",
            Table::Events => "events",
            Table::Visits => "visits",
            Table::Leads => "leads",
            Table::Deals => "deals",
            Table::Spend => "spend",
            Table::Surveys => "surveys",
            Table::Milestones => "milestones",
            Table::SupportTickets => "support_tickets",
        }
    }

    /// The table's columns, in the specification's order.
    pub fn columns(self) -> &'static [ColumnSpec] {
        use ColumnType::*;
        match self {
            Table::Subscriptions => {
                const {
                    &[
                        col("subscription_id", Id, true),
                        col("account_id", Id, true),
                        col("plan", Text, false),
                        col("mrr", Money, true),
                        col("start_date", Date, true),
                        col("end_date", Date, false),
                    ]
                }
            }
            Table::Accounts => {
                const {
                    &[
                        col("account_id", Id, true),
                        col("name", Text, false),
                        col("created_at", Timestamp, true),
                        col("segment", Text, false),
                    ]
                }
            }
            Table::Events => {
                const {
                    &[
                        col("ts", Timestamp, true),
                        col("user_id", Id, false),
                        col("account_id", Id, false),
                        col("event", Text, true),
                    ]
                }
            }
            Table::Visits => {
                const {
                    &[
                        col("ts", Timestamp, true),
                        col("visitor_id", Id, true),
                        col("channel", Text, false),
                    ]
                }
            }
            Table::Leads => {
                const {
                    &[
                        col("lead_id", Id, true),
                        col("created_at", Timestamp, true),
                        col("source", Text, false),
                        col("signup_at", Timestamp, false),
                        col("mql_at", Timestamp, false),
                        col("pql_at", Timestamp, false),
                        col("customer_at", Timestamp, false),
                        col("lost_at", Timestamp, false),
                        col("account_id", Id, false),
                    ]
                }
            }
            Table::Deals => {
                const {
                    &[
                        col("deal_id", Id, true),
                        col("account_id", Id, false),
                        col("kind", Enum(&["new", "expansion", "renewal"]), true),
                        col("created_at", Timestamp, true),
                        col("closed_at", Timestamp, false),
                        col("status", Enum(&["open", "won", "lost"]), true),
                        col("amount", Money, true),
                    ]
                }
            }
            Table::Spend => {
                const {
                    &[
                        col("month", Month, true),
                        col("category", Enum(&["sales", "marketing"]), true),
                        col("channel", Text, false),
                        col("amount", Money, true),
                    ]
                }
            }
            Table::Surveys => {
                const {
                    &[
                        col("responded_at", Timestamp, true),
                        col("kind", Enum(&["nps", "csat"]), true),
                        col("score", Integer, true),
                        col("account_id", Id, false),
                        col("user_id", Id, false),
                        col("comment", Text, false),
                    ]
                }
            }
            Table::Milestones => {
                const {
                    &[
                        col("account_id", Id, true),
                        col("milestone", Text, true),
                        col("at", Timestamp, true),
                    ]
                }
            }
            Table::SupportTickets => {
                const {
                    &[
                        col("ticket_id", Id, true),
                        col("account_id", Id, false),
                        col("opened_at", Timestamp, true),
                        col("first_response_at", Timestamp, false),
                        col("closed_at", Timestamp, false),
                    ]
                }
            }
        }
    }

    /// The column holding the row's unique id, if the table has one.
    pub fn id_column(self) -> Option<&'static str> {
        match self {
            Table::Subscriptions => Some("subscription_id"),
            Table::Accounts => Some("account_id"),
            Table::Leads => Some("lead_id"),
            Table::Deals => Some("deal_id"),
            Table::SupportTickets => Some("ticket_id"),
            _ => None,
        }
    }

    /// The columns that name a row where it has no line or row number (a
    /// database table): its id where it has one, else the values that tell
    /// it from its neighbours.
    pub fn key_columns(self) -> &'static [&'static str] {
        match self {
            Table::Subscriptions => &["subscription_id"],
            Table::Accounts => &["account_id"],
            Table::Leads => &["lead_id"],
            Table::Deals => &["deal_id"],
            Table::SupportTickets => &["ticket_id"],
            Table::Events => &["ts", "user_id", "event"],
            Table::Visits => &["ts", "visitor_id"],
            Table::Spend => &["month", "category", "channel"],
            Table::Surveys => &["responded_at", "kind", "account_id", "user_id"],
            Table::Milestones => &["account_id", "milestone"],
        }
    }

    /// The column that places a row in time (for date ranges, ordering and
    /// gaps in the data-quality report).
    pub fn time_column(self) -> &'static str {
        match self {
            Table::Subscriptions => "start_date",
            Table::Accounts => "created_at",
            Table::Events | Table::Visits => "ts",
            Table::Leads | Table::Deals => "created_at",
            Table::Spend => "month",
            Table::Surveys => "responded_at",
            Table::Milestones => "at",
            Table::SupportTickets => "opened_at",
        }
    }

    /// Whether columns beyond the specification are kept (as text) because
    /// they can serve as segment dimensions.
    pub fn keeps_extra_columns(self) -> bool {
        matches!(self, Table::Accounts)
    }

    pub fn column(self, name: &str) -> Option<&'static ColumnSpec> {
        self.columns().iter().find(|c| c.name == name)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Table {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Table::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown table `{s}`"))
    }
}

/// The type of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A string id; integers in Parquet are read as their decimal text.
    Id,
    /// Free text.
    Text,
    /// A decimal amount of money, never negative.
    Money,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// An ISO-8601 instant; without an offset it is UTC.
    Timestamp,
    /// A whole number.
    Integer,
    /// A calendar month, `YYYY-MM`.
    Month,
    /// One of a fixed set of strings, matched exactly.
    Enum(&'static [&'static str]),
}

impl ColumnType {
    pub fn describe(self) -> String {
        match self {
            ColumnType::Id => "id".into(),
            ColumnType::Text => "text".into(),
            ColumnType::Money => "decimal >= 0".into(),
            ColumnType::Date => "date YYYY-MM-DD".into(),
            ColumnType::Timestamp => "ISO-8601 timestamp".into(),
            ColumnType::Integer => "integer".into(),
            ColumnType::Month => "month YYYY-MM".into(),
            ColumnType::Enum(values) => format!("one of {}", values.join(", ")),
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub ty: ColumnType,
    /// Required columns must exist and hold no NULL.
    pub required: bool,
}

const fn col(name: &'static str, ty: ColumnType, required: bool) -> ColumnSpec {
    ColumnSpec { name, ty, required }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_its_time_and_id_columns() {
        for t in Table::ALL {
            assert!(t.column(t.time_column()).is_some(), "{t}: time column");
            if let Some(id) = t.id_column() {
                assert!(t.column(id).unwrap().required, "{t}: id column is required");
                assert_eq!(t.key_columns(), [id], "{t}: a row is named by its id");
            }
            // A row's name is made of the table's own columns.
            for k in t.key_columns() {
                assert!(t.column(k).is_some(), "{t}: key column {k}");
            }
        }
        assert_eq!(
            "support_tickets".parse::<Table>().unwrap(),
            Table::SupportTickets
        );
    }
}
