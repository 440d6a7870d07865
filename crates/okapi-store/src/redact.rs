//! Database passwords kept out of every message, whatever form the
//! connection string takes: `postgres://user:pass@host/db` (or
//! `postgresql://`), a percent-encoded password (`p%40ss`), a password in
//! the query string (`?password=…`, `sslpassword=…`), or a libpq
//! key=value string (`host=… password=…`).
//!
//! [`redact_url`] masks the connection string itself; [`scrub`] removes
//! every secret it carries, in raw and decoded form, from any other text
//! (a driver's error message may quote the URL or a part of it).

use url::Url;

const MASK: &str = "***";

/// Whether a parameter name holds a secret (`password`, `sslpassword`).
fn is_secret_key(key: &str) -> bool {
    key.to_ascii_lowercase().contains("password")
}

/// A byte cursor over text in which every read is bounds-checked.
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn at(&self, byte: u8) -> bool {
        self.peek() == Some(byte)
    }

    fn done(&self) -> bool {
        self.i >= self.s.len()
    }

    fn skip_while(&mut self, f: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
    }

    /// The character at the cursor, the one after it when it is a
    /// backslash escape; moves past it.
    fn take_char(&mut self) -> Option<char> {
        if self.at(b'\\') && self.i + 1 < self.s.len() {
            self.i += 1;
        }
        let c = self.s.get(self.i..)?.chars().next()?;
        self.i += c.len_utf8();
        Some(c)
    }

    /// The text from `from` to the cursor.
    fn since(&self, from: usize) -> &'a str {
        self.s.get(from..self.i).unwrap_or_default()
    }
}

/// A libpq key=value connection string, split into (key, value, byte
/// range of the value) triples; `None` if the text is not one.
fn key_values(s: &str) -> Option<Vec<(String, String, std::ops::Range<usize>)>> {
    let mut c = Cursor { s, i: 0 };
    let mut out = Vec::new();
    loop {
        c.skip_while(|b| b.is_ascii_whitespace());
        if c.done() {
            break;
        }
        let k0 = c.i;
        c.skip_while(|b| b.is_ascii_alphanumeric() || b == b'_');
        let key = c.since(k0);
        c.skip_while(|b| b.is_ascii_whitespace());
        if key.is_empty() || !c.at(b'=') {
            return None;
        }
        c.i += 1;
        c.skip_while(|b| b.is_ascii_whitespace());
        let v0 = c.i;
        let mut value = String::new();
        if c.at(b'\'') {
            c.i += 1;
            while !c.done() && !c.at(b'\'') {
                value.push(c.take_char()?);
            }
            c.i = (c.i + 1).min(s.len());
        } else {
            while c.peek().is_some_and(|b| !b.is_ascii_whitespace()) {
                value.push(c.take_char()?);
            }
        }
        out.push((key.to_string(), value, v0..c.i));
    }
    (!out.is_empty()).then_some(out)
}

/// The text after `scheme://` up to the last `@`, when there is one:
/// the user information of a URL the URL parser refused.
fn loose_userinfo(s: &str) -> Option<(usize, &str)> {
    let start = s.find("://")? + 3;
    let rest = s.get(start..)?;
    let at = rest.rfind('@')?;
    Some((start, rest.get(..at)?))
}

/// The values of every `…password = value` in `s`, however malformed the
/// rest: a value runs to a space, `&` or `;`, or is quoted with `'`.
fn loose_assignments(s: &str) -> Vec<String> {
    // ASCII lowercasing keeps every byte offset of `s`.
    let lower = s.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower.get(from..).and_then(|rest| rest.find("password")) {
        let mut c = Cursor {
            s,
            i: from + i + "password".len(),
        };
        from = c.i;
        c.skip_while(|b| b.is_ascii_whitespace());
        if !c.at(b'=') {
            continue;
        }
        c.i += 1;
        c.skip_while(|b| b == b' ');
        let value_start = c.i;
        if c.at(b'\'') {
            // To the closing quote not escaped by a backslash.
            c.i += 1;
            while c.peek().is_some_and(|b| b != b'\'') {
                c.i += if c.at(b'\\') { 2 } else { 1 };
            }
            c.i = (c.i + 1).min(s.len());
        } else {
            c.skip_while(|b| !b.is_ascii_whitespace() && b != b'&' && b != b';');
        }
        if let Some(v) = s.get(value_start..c.i) {
            out.push(v.to_string());
        }
    }
    out
}

fn decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Every secret `conn` (a URL or key=value string) carries, as written
/// and decoded.
fn secrets(conn: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut both = |raw: &str| {
        out.push(raw.to_string());
        out.push(decoded(raw));
    };
    if let Ok(url) = Url::parse(conn)
        && let Some(p) = url.password()
    {
        both(p);
    }
    // Everything between `user:` and the last `@`, in case the URL parser
    // read the password as something else (`user:123/x@host` is a port
    // and a path to it).
    if let Some((_, userinfo)) = loose_userinfo(conn)
        && let Some((_, p)) = userinfo.split_once(':')
    {
        both(p);
    }
    // `password=…` in a query string or a key=value string, well-formed
    // or not.
    for v in loose_assignments(conn) {
        both(&v);
        both(&v.replace('+', " "));
    }
    if let Some(kv) = key_values(conn) {
        for (k, v, range) in kv {
            if is_secret_key(&k) {
                out.push(v);
                out.push(conn[range].to_string());
            }
        }
    }
    out.retain(|s| !s.is_empty());
    // Longest first, so that a secret containing another is masked whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// Removes every secret of `conn` from `text`.
pub(crate) fn scrub(text: &str, conn: &str) -> String {
    let mut text = text.to_string();
    for secret in secrets(conn) {
        text = text.replace(&secret, MASK);
    }
    text
}

/// Masks the password of a database URL or connection string, for
/// messages and logs: `postgres://ana:***@db.example/okapi`,
/// `host=db password=*** user=ana`.
pub fn redact_url(conn: &str) -> String {
    if conn.starts_with("sqlite:") {
        // A file: no password, and its path as the user wrote it.
        return conn.to_string();
    }
    if let Ok(mut url) = Url::parse(conn) {
        if url.password().is_some() {
            // Only fails for URLs that cannot have a password at all.
            let _ = url.set_password(Some(MASK));
        }
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let v = if is_secret_key(&k) {
                        MASK.to_string()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        // The parser may keep a secret in a form the steps above missed.
        return scrub(url.as_str(), conn);
    }
    if let Some(kv) = key_values(conn) {
        let mut out = conn.to_string();
        for (k, _, range) in kv.into_iter().rev() {
            if is_secret_key(&k) {
                out.replace_range(range, MASK);
            }
        }
        return out;
    }
    if let Some((start, userinfo)) = loose_userinfo(conn) {
        // Not a URL the parser takes: everything before the last `@` may
        // be a password.
        let user = userinfo.split_once(':').map_or("", |(u, _)| u);
        let rest = &conn[start + userinfo.len()..];
        return scrub(&format!("{}{user}:{MASK}{rest}", &conn[..start]), conn);
    }
    scrub(conn, conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_in_every_form() {
        let cases = [
            (
                "postgres://ana:s3cret@db.example:5432/okapi",
                "postgres://ana:***@db.example:5432/okapi",
            ),
            (
                "postgresql://ana:s3cret@db.example/okapi",
                "postgresql://ana:***@db.example/okapi",
            ),
            (
                "postgres://ana:p%40ss%2Fw0rd@db.example/okapi",
                "postgres://ana:***@db.example/okapi",
            ),
            (
                "postgres://db.example/okapi?user=ana&password=s3cret&sslmode=require",
                "postgres://db.example/okapi?user=ana&password=***&sslmode=require",
            ),
            (
                "postgres://ana@db.example/okapi?sslpassword=k3y",
                "postgres://ana@db.example/okapi?sslpassword=***",
            ),
            (
                "host=db.example password=s3cret user=ana dbname=okapi",
                "host=db.example password=*** user=ana dbname=okapi",
            ),
            (
                "host=db.example password = 'it\\'s a secret' user=ana",
                "host=db.example password = *** user=ana",
            ),
            // Not a key=value string libpq takes, still masked.
            (
                "host=db.example password=s3cret oops",
                "host=db.example password=*** oops",
            ),
            // A password the URL parser reads as a port and a path.
            (
                "postgres://ana:123/x@db.example/okapi",
                "postgres://ana:***@db.example/okapi",
            ),
            // Not a URL the parser takes: a `?` in the password.
            (
                "postgres://ana:s3c?ret@db.example:bad/okapi",
                "postgres://ana:***@db.example:bad/okapi",
            ),
            (
                "postgres://postgres@127.0.0.1/test",
                "postgres://postgres@127.0.0.1/test",
            ),
            ("sqlite:okapi.db", "sqlite:okapi.db"),
            (
                "sqlite:///home/ana/my okapi/okapi.db?mode=rwc",
                "sqlite:///home/ana/my okapi/okapi.db?mode=rwc",
            ),
        ];
        for (given, masked) in cases {
            assert_eq!(redact_url(given), masked, "{given}");
        }
    }

    #[test]
    fn secrets_are_scrubbed_from_any_text() {
        let url = "postgres://ana:p%40ss@db.example/okapi?password=q%26w";
        let text = "failed: p%40ss, p@ss, q%26w, q&w; user ana";
        assert_eq!(scrub(text, url), "failed: ***, ***, ***, ***; user ana");
        let kv = "host=h password='a b c'";
        assert_eq!(scrub("bad option 'a b c'", kv), "bad option ***");
        assert_eq!(scrub("the value a b c", kv), "the value ***");
    }
}
