//! The check character of a resident identity number: ISO 7064 MOD 11-2.
//!
//! Digit `i` (counting from 1 on the left) of the first 17 is weighted `2^(18-i) mod 11`,
//! which gives the weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2. The check value is the
//! `c` for which `sum + c ≡ 1 (mod 11)`, i.e. `(12 - sum mod 11) mod 11`; the value 10 is
//! written `X`. As a table, `sum mod 11` = 0..=10 gives `1 0 X 9 8 7 6 5 4 3 2`.
//!
//! Why it matters: 11 is prime and no weight is a multiple of 11, so changing any single
//! digit changes the sum modulo 11, and the check character always catches a single
//! mistyped character; it also catches every swap of two adjacent different digits.

/// The weights of the first 17 digits, left to right.
pub const WEIGHTS: [u8; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character for each value of `sum mod 11`.
const CHECK_CHARACTERS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character (`0`-`9` or `X`) of the first 17 characters of a number, or `None`
/// if they are not all ASCII digits.
pub fn check_character(first17: &[u8; 17]) -> Option<char> {
    first17
        .iter()
        .all(u8::is_ascii_digit)
        .then(|| of_digits(first17))
}

/// The check character of 17 bytes already known to be ASCII digits. Other bytes give a
/// meaningless character but never a panic.
pub(crate) fn of_digits(first17: &[u8; 17]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&digit, weight)| u32::from(digit.wrapping_sub(b'0')) * u32::from(weight))
        .sum();
    // sum % 11 is below 11, the table's length: the lookup always succeeds.
    CHECK_CHARACTERS
        .get((sum % 11) as usize)
        .copied()
        .unwrap_or('X')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_powers_of_two_mod_11() {
        for (i, &weight) in WEIGHTS.iter().enumerate() {
            assert_eq!(
                u32::from(weight),
                2u32.pow(17 - i as u32) % 11,
                "weight {i}"
            );
        }
    }

    #[test]
    fn standard_samples() {
        assert_eq!(check_character(b"11010519491231002"), Some('X'));
        assert_eq!(check_character(b"44052418800101001"), Some('4'));
        assert_eq!(check_character(b"4405241880010100a"), None);
    }
}
