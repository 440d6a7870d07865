use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

use datafusion::arrow::array::{
    Array, AsArray, Date32Array, Decimal128Array, RecordBatch, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::*;

const TABLES: [&str; 10] = [
    "subscriptions",
    "accounts",
    "events",
    "visits",
    "leads",
    "deals",
    "spend",
    "surveys",
    "milestones",
    "support_tickets",
];

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 15).unwrap()
}

fn tiny(out: &Path, seed: u64, profile: Profile) -> DemoOptions {
    DemoOptions {
        profile,
        out: out.to_path_buf(),
        accounts: 50,
        events: 20_000,
        months: 6,
        seed,
        end: end(),
    }
}

fn read(path: &Path) -> Vec<RecordBatch> {
    let file = File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| {
            panic!(
                "column {name} has type {}",
                batch.column_by_name(name).unwrap().data_type()
            )
        })
}

#[test]
fn tiny_company_is_deterministic_complete_and_valid() {
    let a = tempfile::TempDir::new().unwrap();
    let b = tempfile::TempDir::new().unwrap();
    let c = tempfile::TempDir::new().unwrap();
    let calls = std::cell::Cell::new(0u64);
    let summary = generate(&tiny(a.path(), 7, Profile::B2b), &|n| calls.set(n)).unwrap();
    generate(&tiny(b.path(), 7, Profile::B2b), &|_| {}).unwrap();
    generate(&tiny(c.path(), 8, Profile::B2b), &|_| {}).unwrap();
    assert_eq!(calls.get(), 20_000, "last progress report is the total");

    for t in TABLES {
        assert!(a.path().join(format!("{t}.parquet")).is_file(), "{t}");
    }
    let names: Vec<&str> = summary.tables.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, TABLES);
    for (name, rows) in &summary.tables {
        assert!(*rows > 0, "{name} is empty");
    }
    for t in ["subscriptions", "events"] {
        let x = std::fs::read(a.path().join(format!("{t}.parquet"))).unwrap();
        let y = std::fs::read(b.path().join(format!("{t}.parquet"))).unwrap();
        let z = std::fs::read(c.path().join(format!("{t}.parquet"))).unwrap();
        assert!(x == y, "{t}: same seed, same bytes");
        assert!(x != z, "{t}: another seed, other data");
    }
    assert_eq!(summary.start, NaiveDate::from_ymd_opt(2026, 5, 1).unwrap());
    assert_eq!(summary.end, end());
    assert_eq!(summary.stories.len(), 5);

    // Events: exactly the number asked for, in time order, inside the data.
    let events = read(&a.path().join("events.parquet"));
    let n: usize = events.iter().map(|b| b.num_rows()).sum();
    assert_eq!(n, 20_000);
    let start_us = 1_777_593_600_000_000i64; // 2026-05-01T00:00:00Z
    let end_us = 1_792_108_800_000_000i64; // 2026-10-16T00:00:00Z
    let mut prev = i64::MIN;
    for b in &events {
        assert_eq!(
            b.schema().field_with_name("ts").unwrap().data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        );
        let ts = column::<TimestampMicrosecondArray>(b, "ts");
        for t in ts.values().iter() {
            assert!(*t >= prev, "events in time order");
            assert!((start_us..end_us).contains(t));
            prev = *t;
        }
    }

    // Subscriptions: unique ids, mrr >= 0, end >= start.
    let subs = read(&a.path().join("subscriptions.parquet"));
    let mut ids = HashSet::new();
    for b in &subs {
        let id = b
            .column_by_name("subscription_id")
            .unwrap()
            .as_string::<i32>();
        let mrr = column::<Decimal128Array>(b, "mrr");
        assert_eq!(mrr.data_type(), &DataType::Decimal128(18, 2));
        let start = column::<Date32Array>(b, "start_date");
        let end = column::<Date32Array>(b, "end_date");
        for i in 0..b.num_rows() {
            assert!(ids.insert(id.value(i).to_string()), "duplicate id");
            assert!(mrr.value(i) >= 0);
            assert!(!start.is_null(i));
            if !end.is_null(i) {
                assert!(end.value(i) >= start.value(i));
            }
        }
    }
    assert!(!ids.is_empty());
}

#[test]
fn options_are_checked() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut o = tiny(dir.path(), 1, Profile::B2b);
    o.accounts = 9;
    assert!(matches!(generate(&o, &|_| {}), Err(DemoError::Invalid(_))));
    o.accounts = 10;
    o.months = 2;
    assert!(matches!(generate(&o, &|_| {}), Err(DemoError::Invalid(_))));
}

/// Builds the in-memory company (no files) and checks every rule of
/// data-model.md on it, for both profiles and a few seeds.
#[test]
fn generated_rows_obey_the_data_model() {
    for profile in [Profile::B2b, Profile::B2c] {
        for seed in 0..3 {
            let cal = Cal::new(end(), 7).unwrap();
            let world = sim::Sim::new(&cal, profile, rnd::stream(seed, STREAM_SIM)).run(120);
            let funnel = funnel::generate(&cal, &world, &mut rnd::stream(seed, STREAM_FUNNEL));
            let deals = sales::deals(&cal, &world, &funnel, &mut rnd::stream(seed, STREAM_DEALS));
            let spend = sales::spend(&cal, &world, &funnel, &mut rnd::stream(seed, STREAM_SPEND));
            let voice =
                voice::generate(&cal, &world, &funnel, &mut rnd::stream(seed, STREAM_VOICE));
            let end_ts = cal.end_ts();
            check_world(&cal, &world);
            for l in &funnel.leads {
                assert!(l.created < end_ts);
                for t in [l.signup, l.mql, l.pql, l.customer, l.lost]
                    .into_iter()
                    .flatten()
                {
                    assert!(t >= l.created && t < end_ts, "{l:?}");
                }
                assert_eq!(l.account.is_some(), l.customer.is_some());
                if profile == Profile::B2c {
                    assert!(l.mql.is_none());
                }
                if let (Some(i), Some(c)) = (l.account, l.customer) {
                    let a = &world.accounts[i as usize];
                    assert_eq!(
                        a.first_paid(),
                        Some(cal.day_of_ts(c)),
                        "customer_at is the first paid day"
                    );
                }
            }
            assert!(funnel.visits.windows(2).all(|w| w[0].ts <= w[1].ts));
            for d in &deals {
                assert!(["new", "expansion", "renewal"].contains(&d.kind));
                assert!(d.amount >= 0);
                match d.status {
                    "open" => assert!(d.closed.is_none()),
                    "won" | "lost" => {
                        assert!(d.closed.is_some_and(|c| c >= d.created && c < end_ts))
                    }
                    other => panic!("status {other}"),
                }
            }
            if profile == Profile::B2b {
                for kind in ["new", "expansion", "renewal"] {
                    assert!(deals.iter().any(|d| d.kind == kind), "{kind}");
                }
                assert!(
                    deals
                        .iter()
                        .any(|d| d.kind == "renewal" && d.status == "lost")
                );
            }
            assert!(
                spend
                    .iter()
                    .all(|s| s.amount >= 0 && ["sales", "marketing"].contains(&s.category))
            );
            for s in &voice.surveys {
                match s.kind {
                    "nps" => assert!((0..=10).contains(&s.score)),
                    "csat" => assert!((1..=5).contains(&s.score)),
                    other => panic!("kind {other}"),
                }
                assert!(s.ts < end_ts);
            }
            for t in &voice.tickets {
                assert!(t.opened < end_ts);
                if let Some(f) = t.first_response {
                    assert!(f >= t.opened && f < end_ts);
                }
                if let Some(c) = t.closed {
                    assert!(t.first_response.is_some_and(|f| c >= f) && c < end_ts);
                }
            }
            assert!(voice.milestones.iter().all(|m| m.at < end_ts));
        }
    }
}

fn check_world(cal: &Cal, world: &World) {
    let mut ids = HashSet::new();
    for a in &world.accounts {
        assert!(ids.insert(a.id.clone()));
        assert!(a.created < cal.end_ts());
        let mut prev_end: Option<i32> = None;
        for (k, r) in a.rows.iter().enumerate() {
            assert!(r.mrr >= 0);
            if let Some(e) = r.end {
                assert!(e > r.start, "{a:?}");
            }
            assert!(r.start < cal.days);
            if k > 0 {
                // Rows of one account follow each other without overlap.
                assert!(prev_end.is_some_and(|p| p <= r.start), "{a:?}");
            }
            prev_end = r.end;
        }
        if world.b2b() {
            assert_ne!(a.seg, sim::Segment::Consumer);
        } else {
            assert_eq!(a.seg, sim::Segment::Consumer);
            assert_eq!(a.users.len(), 1);
        }
    }
}

/// The stories are there, at a size where they are meaningful.
#[test]
fn stories_show_in_the_data() {
    for profile in [Profile::B2b, Profile::B2c] {
        let cal = Cal::new(end(), 12).unwrap();
        let seed = 42;
        let world = sim::Sim::new(&cal, profile, rnd::stream(seed, STREAM_SIM)).run(600);
        let funnel = funnel::generate(&cal, &world, &mut rnd::stream(seed, STREAM_FUNNEL));
        let voice = voice::generate(&cal, &world, &funnel, &mut rnd::stream(seed, STREAM_VOICE));

        let spike = spike_story(&cal, &world);
        let (n, usual) = spike.facts;
        assert!(n as f64 >= 3.0 * usual.max(1.0), "{}", spike.text);

        let f = funnel_story(&cal, &world, &funnel).unwrap();
        let [v2s0, v2s1, s2p0, s2p1] = f.facts;
        assert!(v2s1 > 1.4 * v2s0 && s2p1 < 0.75 * s2p0, "{}", f.text);

        if profile == Profile::B2b {
            let o = onboarding_story(&voice);
            assert!(o.facts.0 > 2.5 * o.facts.1, "{}", o.text);
        }

        let nrr = nrr_story(&cal, &world);
        assert!(!nrr.facts.is_empty(), "{}", nrr.text);
        // Most upsell pushes show net negative churn.
        let pushes = world.stories.push.iter().filter(|p| **p).count();
        let shown = nrr
            .facts
            .iter()
            .filter(|(m, _)| world.stories.push[*m])
            .count();
        assert!(2 * shown >= pushes, "{}", nrr.text);

        // Quiet accounts: their users never act after `quiet_from`.
        assert!(world.stories.quiet.len() >= 3);
        for &i in &world.stories.quiet {
            let a = &world.accounts[i as usize];
            let q = a.quiet_from.unwrap();
            assert!(a.mrr_on(cal.days - 1) > 0);
            assert!((30..=120).contains(&(cal.days - q)));
            assert!(a.activity(&cal).iter().all(|s| s.end <= q));
        }
        eprintln!(
            "{profile:?}:\n  {}\n  {}\n  {}",
            spike.text, f.text, nrr.text
        );
    }
}
