//! okapi's application layer: every use case as an async function with a
//! typed input, a typed [`serde::Serialize`] output and one error type,
//! [`AppError`], whose [`Code`] both adapters map from one table (the
//! command line to an exit status and a message, the server to an HTTP
//! status and a JSON body).
//!
//! The adapters parse and render; every rule lives here or deeper. Inputs
//! are validated once, when they are built ([`inputs`]): a use case never
//! re-parses a string.
//!
//! Heavy work (loading a data directory, computing KPIs) runs on the
//! blocking thread pool of the caller's tokio runtime, so an async caller
//! (the server) never stalls its workers.
//!
//! Modules:
//! - [`error`]: the error type and the code table;
//! - [`location`]: where a workspace, its settings and its database are;
//! - [`memo`]: what requests read most, kept while the database has not
//!   changed;
//! - [`insights`]: anomalies, dissonances and OKR risks, in sentences;
//! - [`inputs`]: validated inputs shared by several use cases;
//! - [`workspace`]: an open workspace, `init` and `migrate`;
//! - [`people`]: the vision, teams and users;
//! - [`coach`]: the review coach over a cycle or a draft file;
//! - [`calibration`]: targets against results, realistic targets;
//! - [`checkins`]: check-ins, by people and from KPIs;
//! - [`cycles`]: creating, changing, activating and closing cycles;
//! - [`objectives`]: adding, changing and deleting objectives;
//! - [`key_results`]: adding and changing key results;
//! - [`templates`]: objectives from templates, with numbers from the data;
//! - [`okr_views`]: a cycle's status, its alignment tree, stale key
//!   results and a key result's history;
//! - [`okr_file`]: OKRs as code, a TOML file applied in one transaction;
//! - [`sheets`]: a cycle as a spreadsheet (xlsx or CSV), and back;
//! - [`fault`]: the fault-injection point of the crash-safety tests;
//! - [`kpi_reader`]: KPI values for KPI-linked key results;
//! - [`status`]: a cycle's scores, pace and forecast on a day;
//! - [`stored`]: the KPI values a refresh stored;
//! - [`accounts`]: passwords, access, login sessions and who may change what;
//! - [`admin`]: what only an admin changes: the vision, teams, people and
//!   their access, API tokens;
//! - [`tokens`]: API tokens and who a request acts as;
//! - [`transfer`]: a whole workspace as one JSON document, and back;
//! - [`demo`]: the demo company, its data and its OKRs, and the
//!   executive summary ([`demo_okrs`] writes the OKRs, [`staging`] builds
//!   the directory beside its place and renames it in);
//! - [`upload`]: a table's file validated whole, then put in place;
//! - [`visits`]: a web-analytics export imported into the `visits` table;
//! - [`charts`]: SVG charts shared by the pages and the reports;
//! - [`dashboard`]: what the pages show, composed from stored values;
//! - [`report_markdown`], [`report_html`]: a cycle's OKR report, shared by
//!   `okapi report` and the server;
//! - [`data`]: the data use cases (check, KPI catalog and values, MRR
//!   bridge, inactive accounts, health, time to value, retention);
//! - [`refresh`]: computing the whole catalog and storing its values, for
//!   pages that read stored values instead of scanning the data.

pub mod accounts;
pub mod admin;
pub mod alerts;
pub mod calibration;
pub mod charts;
pub mod checkins;
pub mod coach;
pub mod cycles;
pub mod dashboard;
pub mod data;
pub mod demo;
pub mod demo_okrs;
pub mod error;
pub mod fault;
pub mod findings;
pub mod inputs;
pub mod insights;
pub mod key_results;
pub mod kpi_reader;
pub mod location;
pub mod memo;
pub mod objectives;
pub mod okr_file;
pub mod okr_views;
pub mod people;
pub mod refresh;
pub mod report_html;
pub mod report_markdown;
mod secrets;
pub mod sheets;
pub mod staging;
pub mod status;
pub mod stored;
pub mod templates;
pub mod tokens;
pub mod transfer;
pub mod upload;
pub mod visits;
pub mod weekly;
pub mod workspace;

pub use error::{AppError, Code};
pub use location::Location;
