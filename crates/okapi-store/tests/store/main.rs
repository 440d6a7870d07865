//! The store's behaviour, one suite run on both databases: every test below
//! runs on SQLite always, and on PostgreSQL when `OKAPI_TEST_POSTGRES_URL`
//! is set (otherwise each PostgreSQL test prints a SKIPPED line).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests: a failed unwrap or index is a failed test

mod fixtures;
mod kpi_values;
mod lifecycle;
mod portability;
mod safety;
mod support;

/// Declares each test once per backend: `sqlite::NAME` and
/// `postgres::NAME`, both calling `NAME(db)` with a fresh, unmigrated
/// database.
macro_rules! on_both_backends {
    ($($path:path => $name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::support::sqlite_empty().await;
                    $path(db).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = crate::support::postgres_empty(stringify!($name)).await else {
                        return;
                    };
                    $path(db).await;
                }
            )+
        }
    };
}

on_both_backends! {
    crate::lifecycle::schema_is_versioned_and_upgrades => schema_is_versioned_and_upgrades,
    crate::lifecycle::an_upgrade_to_version_3_protects_existing_history => an_upgrade_to_version_3_protects_existing_history,
    crate::lifecycle::a_cycle_runs_from_planning_to_graded_close => a_cycle_runs_from_planning_to_graded_close,
    crate::lifecycle::generated_keys_count_up_and_sort_naturally => generated_keys_count_up_and_sort_naturally,
    crate::lifecycle::concurrent_sessions_generate_different_keys => concurrent_sessions_generate_different_keys,
    crate::lifecycle::keys_and_alignment_chains_are_bounded => keys_and_alignment_chains_are_bounded,
    crate::safety::bad_changes_are_refused_and_change_nothing => bad_changes_are_refused_and_change_nothing,
    crate::safety::a_failed_session_keeps_none_of_its_writes => a_failed_session_keeps_none_of_its_writes,
    crate::safety::workspaces_cannot_see_or_touch_each_other => workspaces_cannot_see_or_touch_each_other,
    crate::safety::stale_writes_are_conflicts => stale_writes_are_conflicts,
    crate::safety::checkins_are_append_only => checkins_are_append_only,
    crate::safety::concurrent_checkins_are_all_kept => concurrent_checkins_are_all_kept,
    crate::safety::only_mistakes_without_history_can_be_deleted => only_mistakes_without_history_can_be_deleted,
    crate::safety::a_checkin_never_lands_after_the_close => a_checkin_never_lands_after_the_close,
    crate::safety::an_export_reads_one_snapshot => an_export_reads_one_snapshot,
    crate::safety::reads_run_while_another_okapi_writes => reads_run_while_another_okapi_writes,
    crate::safety::reads_of_one_store_run_beside_its_writer_and_each_other => reads_of_one_store_run_beside_its_writer_and_each_other,
    crate::safety::logins_and_their_sessions_hold_per_workspace => logins_and_their_sessions_hold_per_workspace,
    crate::portability::export_then_import_loses_nothing => export_then_import_loses_nothing,
    crate::portability::the_demo_export_round_trips_exactly => the_demo_export_round_trips_exactly,
    crate::portability::a_bad_document_imports_nothing => a_bad_document_imports_nothing,
    crate::kpi_values::kpi_values_round_trip_exactly => kpi_values_round_trip_exactly,
    crate::kpi_values::replacing_a_set_leaves_no_stale_rows => replacing_a_set_leaves_no_stale_rows,
    crate::kpi_values::replacing_the_periods_from_a_day_keeps_the_earlier_ones => replacing_the_periods_from_a_day_keeps_the_earlier_ones,
    crate::kpi_values::kpi_values_are_private_to_their_workspace => kpi_values_are_private_to_their_workspace,
    crate::kpi_values::concurrent_replacements_keep_one_whole_set => concurrent_replacements_keep_one_whole_set,
    crate::kpi_values::stored_views_are_replaced_whole_and_private => stored_views_are_replaced_whole_and_private,
}

#[tokio::test]
async fn sqlite_database_is_in_wal_mode() {
    let db = support::ready(support::sqlite_empty().await).await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    pool.close().await;
    db.finish().await;
}
