//! Custom KPIs: a company's own metrics, declared in `okapi.toml`.
//!
//! A custom KPI is either a *formula* over other KPIs (built-in or custom),
//! e.g. `ltv / cac`, or *SQL* over the input tables returning rows of
//! `(period_start, value)` (the engine runs it; `okapi_period(ts)` buckets a
//! timestamp or date into the requested grain). Each carries the
//! metadata a KPI needs to be governed: name, unit, direction, owner, the
//! question it is meant to raise, a status and a review date.
//!
//! Formulas support `+ - * /`, parentheses, unary minus, numbers and KPI
//! ids. An absent operand makes the result absent; so does a division by 0.
//!
//! Limits, checked when `okapi.toml` is read and before anything is
//! evaluated, so that a careless or hostile entry is refused rather than
//! run: a formula holds at most [`MAX_FORMULA_CHARS`] characters and nests
//! at most [`MAX_FORMULA_DEPTH`] deep (parentheses, unary minus and chains
//! of operators alike, so neither the parser nor the evaluator ever
//! recurses deeper); a chain of custom KPIs using custom KPIs is at most
//! [`MAX_REFERENCE_DEPTH`] long and never a cycle; a SQL KPI holds at most
//! [`MAX_SQL_CHARS`] characters (the engine checks the rest of the SQL);
//! a workspace declares at most [`MAX_CUSTOM_KPIS`] custom KPIs.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::catalog::{self, Direction, Unit};
use crate::settings::SettingsError;

/// The longest formula, in characters.
pub const MAX_FORMULA_CHARS: usize = 1_000;

/// The deepest a formula may nest: each parenthesis, unary minus and
/// operator adds a level to the part of the formula it holds.
pub const MAX_FORMULA_DEPTH: usize = 32;

/// The longest chain of custom formulas using custom KPIs (`a` uses `b`
/// uses `c`: 3).
pub const MAX_REFERENCE_DEPTH: usize = 16;

/// The longest SQL text of a custom KPI, in characters.
pub const MAX_SQL_CHARS: usize = 20_000;

/// The most custom KPIs a workspace may declare.
pub const MAX_CUSTOM_KPIS: usize = 1_000;

/// The lifecycle of a custom KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KpiStatus {
    Proposed,
    Trial,
    Adopted,
    Retired,
}

impl KpiStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KpiStatus::Proposed => "proposed",
            KpiStatus::Trial => "trial",
            KpiStatus::Adopted => "adopted",
            KpiStatus::Retired => "retired",
        }
    }
}

/// A `[[kpi]]` entry as written in `okapi.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomKpiSpec {
    pub id: String,
    pub name: Option<String>,
    pub formula: Option<String>,
    pub sql: Option<String>,
    pub unit: Option<String>,
    pub direction: Option<String>,
    pub owner: Option<String>,
    pub question: Option<String>,
    pub status: Option<KpiStatus>,
    pub review_date: Option<String>,
}

/// How a custom KPI is computed.
#[derive(Debug, Clone, PartialEq)]
pub enum Definition {
    Formula { text: String, expr: Expr },
    Sql(String),
}

/// A validated custom KPI.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomKpi {
    pub id: String,
    pub name: String,
    pub definition: Definition,
    pub unit: Unit,
    pub direction: Direction,
    pub owner: Option<String>,
    pub question: Option<String>,
    pub status: KpiStatus,
    pub review_date: Option<NaiveDate>,
}

impl CustomKpi {
    /// The formula in words for `kpi --list`.
    pub fn formula_text(&self) -> String {
        match &self.definition {
            Definition::Formula { text, .. } => text.clone(),
            Definition::Sql(sql) => format!(
                "SQL: {}",
                sql.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
        }
    }

    /// KPI ids a formula refers to (empty for SQL).
    pub fn dependencies(&self) -> Vec<String> {
        match &self.definition {
            Definition::Formula { expr, .. } => {
                let mut out = Vec::new();
                expr.collect_ids(&mut out);
                out
            }
            Definition::Sql(_) => Vec::new(),
        }
    }
}

fn bad(id: &str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key: format!("kpi `{id}`"),
        reason: reason.into(),
    }
}

/// Validates custom KPI entries and returns them in evaluation order
/// (every formula after the KPIs it uses).
pub fn validate(specs: Vec<CustomKpiSpec>) -> Result<Vec<CustomKpi>, SettingsError> {
    if specs.len() > MAX_CUSTOM_KPIS {
        return Err(SettingsError::Invalid {
            key: "kpi".into(),
            reason: format!(
                "{} custom KPIs; at most {MAX_CUSTOM_KPIS} may be declared",
                specs.len()
            ),
        });
    }
    let mut out: Vec<CustomKpi> = Vec::new();
    let mut seen = HashSet::new();
    for s in specs {
        let id = s.id.trim().to_string();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            || id.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(bad(
                &s.id,
                "id must be lowercase letters, digits and _, not starting with a digit",
            ));
        }
        if catalog::find(&id).is_some() {
            return Err(bad(&id, "a built-in KPI already has this id"));
        }
        if !seen.insert(id.clone()) {
            return Err(bad(&id, "defined twice"));
        }
        let definition = match (s.formula, s.sql) {
            (Some(f), None) => {
                let expr = parse(&f).map_err(|e| bad(&id, format!("formula: {e}")))?;
                Definition::Formula { text: f, expr }
            }
            (None, Some(sql)) => {
                let chars = sql.chars().count();
                if chars > MAX_SQL_CHARS {
                    return Err(bad(
                        &id,
                        format!("sql: {chars} characters; at most {MAX_SQL_CHARS} are allowed"),
                    ));
                }
                Definition::Sql(sql)
            }
            _ => return Err(bad(&id, "needs exactly one of `formula` or `sql`")),
        };
        let unit = match s.unit.as_deref() {
            None => Unit::Ratio,
            Some(u) => Unit::parse(u).ok_or_else(|| {
                bad(
                    &id,
                    format!(
                        "unknown unit `{u}` (count, percent, money, days, months, ratio, score)"
                    ),
                )
            })?,
        };
        let direction = match s.direction.as_deref() {
            None | Some("higher") => Direction::Higher,
            Some("lower") => Direction::Lower,
            Some(d) => {
                return Err(bad(
                    &id,
                    format!("unknown direction `{d}` (higher or lower)"),
                ));
            }
        };
        let review_date = match s.review_date.as_deref() {
            None => None,
            Some(d) => Some(
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| bad(&id, format!("review_date `{d}` is not a date YYYY-MM-DD")))?,
            ),
        };
        out.push(CustomKpi {
            name: s.name.unwrap_or_else(|| id.clone()),
            id,
            definition,
            unit,
            direction,
            owner: s.owner,
            question: s.question,
            status: s.status.unwrap_or(KpiStatus::Proposed),
            review_date,
        });
    }
    order(out)
}

/// Orders custom KPIs so that each comes after those it depends on;
/// refuses unknown ids and cycles.
fn order(kpis: Vec<CustomKpi>) -> Result<Vec<CustomKpi>, SettingsError> {
    let ids: HashSet<String> = kpis.iter().map(|k| k.id.clone()).collect();
    for k in &kpis {
        for dep in k.dependencies() {
            if catalog::find(&dep).is_none() && !ids.contains(&dep) {
                return Err(bad(&k.id, format!("formula uses unknown KPI `{dep}`")));
            }
        }
    }
    let mut remaining: Vec<CustomKpi> = kpis;
    // The length of the longest chain of custom formulas ending at each
    // KPI placed so far (1 for a KPI using only built-in ones).
    let mut done: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    while !remaining.is_empty() {
        let before = remaining.len();
        let mut next = Vec::new();
        for k in remaining {
            let deps = k.dependencies();
            let ready = deps
                .iter()
                .all(|d| catalog::find(d).is_some() || done.contains_key(d));
            if ready {
                let depth = 1 + deps.iter().filter_map(|d| done.get(d)).max().unwrap_or(&0);
                if depth > MAX_REFERENCE_DEPTH {
                    return Err(bad(
                        &k.id,
                        format!(
                            "formula is the end of a chain of {depth} custom KPIs using each \
                             other; at most {MAX_REFERENCE_DEPTH} are allowed"
                        ),
                    ));
                }
                done.insert(k.id.clone(), depth);
                out.push(k);
            } else {
                next.push(k);
            }
        }
        if next.len() == before {
            let names: Vec<_> = next.iter().map(|k| k.id.as_str()).collect();
            return Err(bad(
                names.first().copied().unwrap_or_default(),
                format!(
                    "formulas refer to each other in a cycle: {}",
                    names.join(", ")
                ),
            ));
        }
        remaining = next;
    }
    Ok(out)
}

/// A formula expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(Decimal),
    Kpi(String),
    Neg(Box<Expr>),
    Binary(Box<Expr>, Op, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Expr {
    fn collect_ids(&self, out: &mut Vec<String>) {
        match self {
            Expr::Number(_) => {}
            Expr::Kpi(id) => {
                if !out.contains(id) {
                    out.push(id.clone());
                }
            }
            Expr::Neg(e) => e.collect_ids(out),
            Expr::Binary(a, _, b) => {
                a.collect_ids(out);
                b.collect_ids(out);
            }
        }
    }

    /// Evaluates with `lookup` giving each KPI's value (`Err` = absent,
    /// with its reason). Exact decimal arithmetic.
    pub fn eval(
        &self,
        lookup: &dyn Fn(&str) -> Result<Decimal, String>,
    ) -> Result<Decimal, String> {
        match self {
            Expr::Number(n) => Ok(*n),
            Expr::Kpi(id) => lookup(id).map_err(|r| format!("{id} absent: {r}")),
            Expr::Neg(e) => Ok(-e.eval(lookup)?),
            Expr::Binary(a, op, b) => {
                let (x, y) = (a.eval(lookup)?, b.eval(lookup)?);
                let r = match op {
                    Op::Add => x.checked_add(y),
                    Op::Sub => x.checked_sub(y),
                    Op::Mul => x.checked_mul(y),
                    Op::Div => {
                        if y.is_zero() {
                            return Err("division by zero".into());
                        }
                        x.checked_div(y)
                    }
                };
                r.ok_or_else(|| "value out of range".into())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num(Decimal),
    Ident(String),
    Sym(char),
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let mut chars = s.chars().enumerate().peekable();
    let mut out = Vec::new();
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        } else if c.is_ascii_digit() || c == '.' {
            let mut text = String::from(c);
            while let Some((_, d)) = chars.next_if(|(_, d)| d.is_ascii_digit() || *d == '.') {
                text.push(d);
            }
            let n = text
                .parse::<Decimal>()
                .map_err(|_| format!("bad number `{text}`"))?;
            out.push(Token::Num(n));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut name = String::from(c);
            while let Some((_, d)) = chars.next_if(|(_, d)| d.is_ascii_alphanumeric() || *d == '_')
            {
                name.push(d);
            }
            out.push(Token::Ident(name));
        } else if "+-*/()".contains(c) {
            out.push(Token::Sym(c));
        } else {
            return Err(format!("unexpected character `{c}` at position {}", i + 1));
        }
    }
    Ok(out)
}

/// Parses a formula such as `ltv / cac` or `(new_mrr - churned_mrr) * 12`.
/// Refuses formulas longer than [`MAX_FORMULA_CHARS`] before reading them
/// and formulas nested deeper than [`MAX_FORMULA_DEPTH`] as soon as the
/// parser reaches that depth.
pub fn parse(s: &str) -> Result<Expr, String> {
    let chars = s.chars().count();
    if chars > MAX_FORMULA_CHARS {
        return Err(format!(
            "{chars} characters; a formula may hold at most {MAX_FORMULA_CHARS}"
        ));
    }
    let tokens = tokenize(s)?;
    if tokens.is_empty() {
        return Err("empty formula".into());
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let (e, _) = p.expr()?;
    if p.pos != p.tokens.len() {
        return Err(format!("unexpected `{}`", p.describe()));
    }
    Ok(e)
}

/// The parser: recursive descent whose recursion (`(` and unary minus) is
/// counted in `depth`, and whose operator chains are loops; each returned
/// expression comes with its height, which is kept within
/// [`MAX_FORMULA_DEPTH`] so that evaluating it recurses no deeper.
struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

fn too_deep() -> String {
    format!("nested more than {MAX_FORMULA_DEPTH} deep")
}

/// A binary node over two parsed sides, with its height checked.
fn binary(
    (left, lh): (Expr, usize),
    op: Op,
    (right, rh): (Expr, usize),
) -> Result<(Expr, usize), String> {
    let height = lh.max(rh) + 1;
    if height > MAX_FORMULA_DEPTH {
        return Err(too_deep());
    }
    Ok((Expr::Binary(Box::new(left), op, Box::new(right)), height))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn describe(&self) -> String {
        match self.peek() {
            Some(Token::Num(n)) => n.to_string(),
            Some(Token::Ident(s)) => s.clone(),
            Some(Token::Sym(c)) => c.to_string(),
            None => "end of formula".into(),
        }
    }

    fn expr(&mut self) -> Result<(Expr, usize), String> {
        let mut left = self.term()?;
        while let Some(Token::Sym(c @ ('+' | '-'))) = self.peek() {
            let op = if *c == '+' { Op::Add } else { Op::Sub };
            self.pos += 1;
            let right = self.term()?;
            left = binary(left, op, right)?;
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<(Expr, usize), String> {
        let mut left = self.factor()?;
        while let Some(Token::Sym(c @ ('*' | '/'))) = self.peek() {
            let op = if *c == '*' { Op::Mul } else { Op::Div };
            self.pos += 1;
            let right = self.factor()?;
            left = binary(left, op, right)?;
        }
        Ok(left)
    }

    /// Enters one level of nesting, refusing to go deeper than the limit.
    fn descend(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_FORMULA_DEPTH {
            return Err(too_deep());
        }
        Ok(())
    }

    fn factor(&mut self) -> Result<(Expr, usize), String> {
        match self.peek().cloned() {
            Some(Token::Num(n)) => {
                self.pos += 1;
                Ok((Expr::Number(n), 1))
            }
            Some(Token::Ident(id)) => {
                self.pos += 1;
                Ok((Expr::Kpi(id), 1))
            }
            Some(Token::Sym('-')) => {
                self.pos += 1;
                self.descend()?;
                let (e, h) = self.factor()?;
                self.depth -= 1;
                if h + 1 > MAX_FORMULA_DEPTH {
                    return Err(too_deep());
                }
                Ok((Expr::Neg(Box::new(e)), h + 1))
            }
            Some(Token::Sym('(')) => {
                self.pos += 1;
                self.descend()?;
                let e = self.expr()?;
                self.depth -= 1;
                if self.peek() != Some(&Token::Sym(')')) {
                    return Err(format!("expected `)`, found {}", self.describe()));
                }
                self.pos += 1;
                Ok(e)
            }
            _ => Err(format!(
                "expected a number, a KPI id or `(`, found {}",
                self.describe()
            )),
        }
    }
}

/// Values of KPIs by id, for formula evaluation.
pub type KpiValues = HashMap<String, Result<Decimal, String>>;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn formulas_follow_precedence_and_parentheses() {
        let e = parse("(new_mrr - churned_mrr) * 12 / 4 + -1").unwrap();
        let v = e
            .eval(&|id| match id {
                "new_mrr" => Ok(dec("100")),
                "churned_mrr" => Ok(dec("40")),
                _ => Err("unknown".into()),
            })
            .unwrap();
        // (100 − 40) × 12 / 4 − 1 = 179
        assert_eq!(v, dec("179"));
    }

    #[test]
    fn absent_operands_and_division_by_zero_are_absent() {
        let e = parse("ltv / cac").unwrap();
        let r = e.eval(&|id| {
            if id == "ltv" {
                Ok(dec("10"))
            } else {
                Err("no spend table".into())
            }
        });
        assert_eq!(r.unwrap_err(), "cac absent: no spend table");
        let r = e.eval(&|_| Ok(Decimal::ZERO));
        assert_eq!(r.unwrap_err(), "division by zero");
    }

    #[test]
    fn parse_errors_say_where() {
        assert!(parse("ltv / ").unwrap_err().contains("end of formula"));
        assert!(parse("ltv $ cac").unwrap_err().contains("`$`"));
        assert!(parse("(ltv").unwrap_err().contains("expected `)`"));
    }

    /// The height of a parsed formula, counted independently of the parser.
    fn height(e: &Expr) -> usize {
        match e {
            Expr::Number(_) | Expr::Kpi(_) => 1,
            Expr::Neg(x) => 1 + height(x),
            Expr::Binary(a, _, b) => 1 + height(a).max(height(b)),
        }
    }

    #[test]
    fn length_and_nesting_are_capped_before_evaluation() {
        // 1,001 characters: refused before it is read.
        let long = format!("1{}", " ".repeat(MAX_FORMULA_CHARS));
        assert!(parse(&long).unwrap_err().contains("at most 1000"));
        // Nested parentheses: 31 pairs hold `1`, i.e. 31 levels, accepted
        // (a parenthesis adds no node); 33 pairs are refused.
        let nest = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(parse(&nest(31)).unwrap(), Expr::Number(Decimal::ONE));
        assert!(
            parse(&nest(33))
                .unwrap_err()
                .contains("nested more than 32")
        );
        // Unary minus nests too: 31 minus signs over `1` is height 32.
        let negs = |n: usize| format!("{}1", "-".repeat(n));
        assert_eq!(height(&parse(&negs(31)).unwrap()), 32);
        assert!(parse(&negs(32)).unwrap_err().contains("nested"));
        // A chain `1+1+…+1` of k operators is a left-deep tree of height
        // k + 1: 31 operators are height 32, accepted; 32 are refused.
        let chain = |k: usize| vec!["1"; k + 1].join("+");
        let e = parse(&chain(31)).unwrap();
        assert_eq!(height(&e), 32);
        assert_eq!(e.eval(&|_| Err("none".into())).unwrap(), Decimal::from(32));
        assert!(parse(&chain(32)).unwrap_err().contains("nested"));
        // 5,000 nested parentheses, far beyond every limit, are an error.
        assert!(parse(&nest(5_000)).is_err());
    }

    #[test]
    fn chains_of_custom_kpis_are_bounded() {
        // k1 uses ltv; k(i) uses k(i−1): the chain ending at k(n) has n links.
        let chain = |n: usize| {
            (1..=n)
                .map(|i| {
                    let f = if i == 1 {
                        "ltv".to_string()
                    } else {
                        format!("k{} + 1", i - 1)
                    };
                    spec(&format!("k{i}"), Some(&f), None)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(validate(chain(MAX_REFERENCE_DEPTH)).unwrap().len(), 16);
        let e = validate(chain(MAX_REFERENCE_DEPTH + 1)).unwrap_err();
        assert!(e.to_string().contains("kpi `k17`"), "{e}");
        assert!(e.to_string().contains("chain of 17"), "{e}");
        // A longer cycle is still named as a cycle.
        let e = validate(vec![
            spec("a", Some("b"), None),
            spec("b", Some("c"), None),
            spec("c", Some("a"), None),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("cycle: a, b, c"), "{e}");
    }

    #[test]
    fn too_many_kpis_and_too_long_sql_are_refused() {
        let many: Vec<_> = (0..=MAX_CUSTOM_KPIS)
            .map(|i| spec(&format!("k{i}"), Some("1"), None))
            .collect();
        let e = validate(many).unwrap_err();
        assert!(e.to_string().contains("1001 custom KPIs"), "{e}");
        let sql = format!("SELECT 1 {}", "-".repeat(MAX_SQL_CHARS));
        let e = validate(vec![spec("s", None, Some(&sql))]).unwrap_err();
        assert!(
            e.to_string().contains("kpi `s`: sql: 20009 characters"),
            "{e}"
        );
    }

    fn spec(id: &str, formula: Option<&str>, sql: Option<&str>) -> CustomKpiSpec {
        CustomKpiSpec {
            id: id.into(),
            name: None,
            formula: formula.map(String::from),
            sql: sql.map(String::from),
            unit: None,
            direction: None,
            owner: None,
            question: None,
            status: None,
            review_date: None,
        }
    }

    #[test]
    fn validation_orders_dependencies_and_refuses_cycles_and_unknowns() {
        let v = validate(vec![
            spec("b", Some("a * 2"), None),
            spec("a", Some("ltv / cac"), None),
            spec("s", None, Some("select 1")),
        ])
        .unwrap();
        let ids: Vec<_> = v.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, vec!["a", "s", "b"]);
        let e = validate(vec![
            spec("x", Some("y + 1"), None),
            spec("y", Some("x + 1"), None),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
        let e = validate(vec![spec("x", Some("nope + 1"), None)]).unwrap_err();
        assert!(e.to_string().contains("unknown KPI `nope`"), "{e}");
        let e = validate(vec![spec("mrr", Some("1"), None)]).unwrap_err();
        assert!(e.to_string().contains("built-in"), "{e}");
        let e = validate(vec![spec("z", Some("1"), Some("select 1"))]).unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn any_text_parses_or_fails_cleanly(s in ".{0,1100}") {
            if let Ok(e) = parse(&s) {
                prop_assert!(height(&e) <= MAX_FORMULA_DEPTH);
            }
        }

        #[test]
        fn formula_shaped_text_stays_within_bounds_and_evaluates(
            s in "[-+*/() 0-9a-z_.]{0,300}",
        ) {
            if let Ok(e) = parse(&s) {
                prop_assert!(height(&e) <= MAX_FORMULA_DEPTH);
                // The largest values overflow: an absent result, not a panic.
                let _ = e.eval(&|_| Ok(Decimal::MAX));
                let _ = e.eval(&|_| Ok(Decimal::ZERO));
            }
        }
    }
}
