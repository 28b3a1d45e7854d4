//! Small helpers shared by the schemes.

use std::cmp::Ordering;

/// Compares two ASCII digit strings as unbounded non-negative integers (leading zeros
/// ignored), so no scheme has to overflow on long numeric parts such as timestamps.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// True when the digit string is zero (empty counts as zero).
pub(crate) fn digits_are_zero(a: &str) -> bool {
    a.bytes().all(|c| c == b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits() {
        assert_eq!(cmp_digits("010", "9"), Ordering::Greater);
        assert_eq!(cmp_digits("0001", "1"), Ordering::Equal);
        assert_eq!(cmp_digits("", "0"), Ordering::Equal);
        assert_eq!(
            cmp_digits("123456789012345678901234567890", "123456789012345678901234567891"),
            Ordering::Less
        );
        assert!(digits_are_zero("000"));
    }
}
