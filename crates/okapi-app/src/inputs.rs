//! Inputs validated once, when they are built: a use case takes these
//! types, never the strings they came from. Each refusal is an
//! [`AppError::Input`] naming its field.

use chrono::NaiveDate;
use okapi_core::period::{FIRST_DATE, LAST_DATE, in_window};
use okapi_core::settings::Settings;
use okapi_engine::compute::{Segment, kpi_info};

use crate::error::AppError;

/// A date inside the window okapi handles, for the field `field`.
pub fn day(field: &'static str, date: NaiveDate) -> Result<NaiveDate, AppError> {
    if in_window(date) {
        Ok(date)
    } else {
        Err(AppError::input(
            field,
            format!("{date} is outside the dates okapi handles ({FIRST_DATE} … {LAST_DATE})"),
        ))
    }
}

/// The periods to report: from the one containing `from` to the one
/// containing `to`; an open end is the data's own first or last day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl DateRange {
    /// Both ends inside the date window, `to` not before `from`.
    pub fn new(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<DateRange, AppError> {
        let from = from.map(|d| day("from", d)).transpose()?;
        let to = to.map(|d| day("to", d)).transpose()?;
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            return Err(AppError::input(
                "to",
                format!("{t} is before the start {f}"),
            ));
        }
        Ok(DateRange { from, to })
    }

    /// The data's whole range.
    pub fn all() -> DateRange {
        DateRange::default()
    }

    pub fn from(&self) -> Option<NaiveDate> {
        self.from
    }

    pub fn to(&self) -> Option<NaiveDate> {
        self.to
    }
}

/// How many days without activity make a paying account inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InactivityWindow(u32);

impl InactivityWindow {
    /// The most days a window may span, as `inactivity_window` in
    /// okapi.toml: ten years.
    pub const MAX_DAYS: u32 = 3660;

    pub fn new(days: u32) -> Result<InactivityWindow, AppError> {
        if (1..=Self::MAX_DAYS).contains(&days) {
            Ok(InactivityWindow(days))
        } else {
            Err(AppError::input(
                "window",
                format!("must be between 1 and {} days, not {days}", Self::MAX_DAYS),
            ))
        }
    }

    pub fn days(self) -> u32 {
        self.0
    }
}

/// KPIs to compute, each a catalog KPI or a custom KPI of the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiSelection(Vec<String>);

impl KpiSelection {
    /// `ids` checked against the catalog and `settings`; none means every
    /// KPI, the catalog's first, then the custom ones.
    pub fn new(settings: &Settings, ids: Vec<String>) -> Result<KpiSelection, AppError> {
        if ids.is_empty() {
            return Ok(KpiSelection::all(settings));
        }
        if let Some(unknown) = ids.iter().find(|id| kpi_info(settings, id).is_none()) {
            return Err(AppError::input("kpi", format!("`{unknown}` is not a KPI")));
        }
        Ok(KpiSelection(ids))
    }

    /// Every KPI of the catalog, then every custom KPI.
    pub fn all(settings: &Settings) -> KpiSelection {
        KpiSelection(
            okapi_core::catalog::CATALOG
                .iter()
                .map(|k| k.id.to_string())
                .chain(settings.custom_kpis.iter().map(|k| k.id.clone()))
                .collect(),
        )
    }

    pub fn ids(&self) -> &[String] {
        &self.0
    }
}

/// A segment (`column=value` of `accounts`, or `plan=…`) from its text.
pub fn segment(text: &str) -> Result<Segment, AppError> {
    text.parse::<Segment>().map_err(|reason| {
        // The parser's message names the segment itself; the field says it.
        let reason = reason.strip_prefix("segment ").unwrap_or(&reason);
        AppError::input("segment", reason.to_string())
    })
}

/// A table of the data model, by its name (`events`).
pub fn table(name: &str) -> Result<okapi_core::data_model::Table, AppError> {
    name.parse().map_err(AppError::Missing)
}

/// A data file's format by its word (`csv`, `jsonl`, `parquet`).
pub fn data_format(word: &str) -> Result<okapi_engine::source::Format, AppError> {
    okapi_engine::source::Format::from_extension(word).ok_or_else(|| {
        AppError::input(
            "format",
            format!("`{word}` is not one (expected csv, jsonl or parquet)"),
        )
    })
}

/// Whether a report is wanted as one HTML page (else Markdown), by its
/// word (`markdown`, `html`).
pub fn report_is_html(word: &str) -> Result<bool, AppError> {
    match word {
        "markdown" => Ok(false),
        "html" => Ok(true),
        other => Err(AppError::input(
            "format",
            format!("`{other}` is not one (expected markdown or html)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_range_is_held_to_the_window_and_to_its_order() {
        let r = DateRange::new(Some(d("2024-01-01")), Some(d("2024-12-31"))).unwrap();
        assert_eq!(
            (r.from(), r.to()),
            (Some(d("2024-01-01")), Some(d("2024-12-31")))
        );
        let e = DateRange::new(Some(d("1800-01-01")), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "from 1800-01-01 is outside the dates okapi handles (1900-01-01 … 2200-12-31)"
        );
        let e = DateRange::new(None, Some(d("2300-01-01"))).unwrap_err();
        assert!(e.to_string().starts_with("to 2300-01-01 is outside"), "{e}");
        let e = DateRange::new(Some(d("2024-02-01")), Some(d("2024-01-31"))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "to 2024-01-31 is before the start 2024-02-01"
        );
        assert_eq!(e.code(), crate::Code::Invalid);
    }

    #[test]
    fn an_inactivity_window_is_one_day_to_ten_years() {
        assert_eq!(InactivityWindow::new(1).unwrap().days(), 1);
        assert_eq!(InactivityWindow::new(3660).unwrap().days(), 3660);
        for bad in [0, 3661, u32::MAX] {
            let e = InactivityWindow::new(bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("window must be between 1 and 3660 days, not {bad}")
            );
        }
    }

    #[test]
    fn a_selection_names_only_known_kpis_and_defaults_to_all() {
        let settings =
            Settings::from_toml("[[kpi]]\nid = \"won\"\nname = \"Won\"\nunit = \"count\"\nformula = \"new_customers\"\n")
                .unwrap();
        let all = KpiSelection::new(&settings, Vec::new()).unwrap();
        assert_eq!(all.ids().len(), okapi_core::catalog::CATALOG.len() + 1);
        assert_eq!(
            all.ids().first().map(String::as_str),
            Some(okapi_core::catalog::CATALOG[0].id)
        );
        assert_eq!(all.ids().last().map(String::as_str), Some("won"));
        let some = KpiSelection::new(&settings, vec!["mrr".into(), "won".into()]).unwrap();
        assert_eq!(some.ids(), ["mrr", "won"]);
        let e = KpiSelection::new(&settings, vec!["mrr".into(), "nope".into()]).unwrap_err();
        assert_eq!(e.to_string(), "kpi `nope` is not a KPI");
    }

    #[test]
    fn a_segment_is_a_column_and_a_value() {
        assert!(segment("plan=pro").is_ok());
        let e = segment("pro").unwrap_err();
        assert!(e.to_string().starts_with("segment "), "{e}");
    }
}
