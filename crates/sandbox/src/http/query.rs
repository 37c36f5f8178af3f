//! Query strings: `application/x-www-form-urlencoded` pairs, percent-decoded, in order.
//! Invalid escapes are kept literally; nothing here can fail.

/// The decoded `(key, value)` pairs of a query string.
pub fn parse(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(part), String::new()),
        })
        .collect()
}

/// The value of `key` when it appears exactly once.
pub fn single<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    let mut found = pairs.iter().filter(|(k, _)| k == key);
    match (found.next(), found.next()) {
        (Some((_, v)), None) => Some(v.as_str()),
        _ => None,
    }
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs() {
        let q = parse("account=abc&name=a%20b+c&flag&bad=%zz%4");
        assert_eq!(q[0], ("account".into(), "abc".into()));
        assert_eq!(q[1], ("name".into(), "a b c".into()));
        assert_eq!(q[2], ("flag".into(), String::new()));
        assert_eq!(q[3], ("bad".into(), "%zz%4".into()));
    }

    #[test]
    fn single_needs_exactly_one() {
        assert_eq!(single(&parse("account=a"), "account"), Some("a"));
        assert_eq!(single(&parse("account=a&account=a"), "account"), None);
        assert_eq!(single(&parse("x=1"), "account"), None);
    }
}
