//! String formats of request fields: IP, CIDR, domain, address, email, ISO country code,
//! version and port. Written from NetBird's rules (`shared/netbird/api-notes.md`), not shared
//! with the sandbox, which has its own checks (it is the test oracle).

use std::net::IpAddr;

use crate::spec::Format;

/// Whether `text` has the format.
pub fn matches(format: Format, text: &str) -> bool {
    match format {
        Format::Ip => text.parse::<IpAddr>().is_ok(),
        Format::Cidr => is_cidr(text),
        Format::Domain => is_domain(text),
        Format::Address => text.parse::<IpAddr>().is_ok() || is_cidr(text) || is_domain(text),
        Format::Email => is_email(text),
        Format::Country => is_country(text),
        Format::Version => is_version(text),
        Format::Port => text
            .parse::<u32>()
            .is_ok_and(|p| (1..=65_535).contains(&p) && !text.starts_with('+')),
    }
}

fn is_cidr(text: &str) -> bool {
    let Some((ip, bits)) = text.split_once('/') else {
        return false;
    };
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    !bits.is_empty()
        && bits.bytes().all(|b| b.is_ascii_digit())
        && bits.parse::<u8>().is_ok_and(|b| b <= max)
}

/// At least two labels of letters, digits and inner hyphens (at most 63 each, 253 in all),
/// the last one alphabetic; a leading `*.` is allowed.
fn is_domain(text: &str) -> bool {
    let name = text.strip_prefix("*.").unwrap_or(text);
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| label_ok(l))
        && labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.bytes().all(|b| b.is_ascii_alphabetic()))
}

fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !local.contains(char::is_whitespace)
                && !domain.contains('@')
                && is_domain(domain)
        }
        None => false,
    }
}

/// Digits separated by dots, optionally `v`-prefixed, with an optional `-suffix`.
fn is_version(text: &str) -> bool {
    let core = text.strip_prefix('v').unwrap_or(text);
    let core = core.split_once(['-', '+']).map_or(core, |(c, _)| c);
    let parts: Vec<&str> = core.split('.').collect();
    (1..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_country(text: &str) -> bool {
    text.len() == 2 && COUNTRIES.split(' ').any(|c| c.eq_ignore_ascii_case(text))
}

/// ISO 3166-1 alpha-2 codes.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ \
GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT \
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF \
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_accept_and_refuse() {
        let cases: &[(Format, &[&str], &[&str])] = &[
            (
                Format::Ip,
                &["10.0.0.1", "fd00::1"],
                &["dns.google", "10.0.0.256", ""],
            ),
            (
                Format::Cidr,
                &["10.0.0.0/8", "fd00::/64"],
                &["10.0.0.0/33", "10.0.0.0", "a/8", "10.0.0.0/"],
            ),
            (
                Format::Domain,
                &["corp.internal", "*.example.com", "a-b.example.com"],
                &[
                    "clinic",
                    "exa mple.com",
                    "*.com",
                    "a..b",
                    "1.2.3.4",
                    "-a.com",
                    "corp.example.",
                ],
            ),
            (
                Format::Address,
                &["1.1.1.1", "10.0.0.0/24", "example.com"],
                &["nope", "1.1.1.1/33"],
            ),
            (
                Format::Email,
                &["ops@acme.example"],
                &["ops", "ops@acme", "@acme.example"],
            ),
            (
                Format::Country,
                &["DE", "no", "US"],
                &["Germany", "XX", "D"],
            ),
            (
                Format::Version,
                &["0.30.0", "v1.2", "6.1.0-rc1"],
                &["latest", "", "1..2"],
            ),
            (
                Format::Port,
                &["443", "1", "65535"],
                &["0", "65536", "https", "+443", "-1"],
            ),
        ];
        for (format, good, bad) in cases {
            for g in *good {
                assert!(matches(*format, g), "{format:?} should take {g:?}");
            }
            for b in *bad {
                assert!(!matches(*format, b), "{format:?} should refuse {b:?}");
            }
        }
    }
}
