//! Synthetic Chinese personal names for test data: [`synthetic_name`].
//!
//! A surname from the twenty most common ones, then one or two given-name characters (two
//! about seven times in ten, as in the population) from a small list of characters common
//! in given names. The names are plausible, not statistically faithful; like synthetic
//! numbers, any of them may belong to real people, and none identifies anyone.

use std::fmt;

use super::generator::SplitMix64;

/// The twenty most common surnames.
const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗",
];

/// Characters common in given names.
const GIVEN_NAME_CHARACTERS: [&str; 40] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "英", "华", "玉", "文", "建", "国", "红", "志", "海", "婷", "雪",
    "晨", "宇", "欣", "浩", "佳", "思", "嘉", "子",
];

/// A synthetic name: a surname and a given name of one or two characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyntheticName {
    surname: &'static str,
    given_name: String,
}

impl SyntheticName {
    /// The surname (family name), written first.
    pub fn surname(&self) -> &str {
        self.surname
    }

    /// The given name.
    pub fn given_name(&self) -> &str {
        &self.given_name
    }
}

impl fmt::Display for SyntheticName {
    /// Surname then given name, without a space: `王芳`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.surname)?;
        f.write_str(&self.given_name)
    }
}

/// A synthetic name drawn from `rng`.
pub fn synthetic_name(rng: &mut SplitMix64) -> SyntheticName {
    let surname = rng.pick(&SURNAMES).copied().unwrap_or("王");
    let length = if rng.below(10) < 7 { 2 } else { 1 };
    let given_name = (0..length)
        .map(|_| rng.pick(&GIVEN_NAME_CHARACTERS).copied().unwrap_or("明"))
        .collect();
    SyntheticName {
        surname,
        given_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_have_two_or_three_characters() {
        let mut rng = SplitMix64::new(3);
        for _ in 0..200 {
            let name = synthetic_name(&mut rng);
            let chars = name.to_string().chars().count();
            assert!((2..=3).contains(&chars), "{name}");
            assert!(SURNAMES.contains(&name.surname()));
        }
    }
}
