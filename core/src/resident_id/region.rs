//! Region codes: the first six digits of a resident identity number, the GB/T 2260
//! administrative division code of the place the number was first issued.
//!
//! # Format
//!
//! `PPCCDD`: `PP` the province-level division ([`Province`]), `CC` the prefecture-level
//! division within it, `DD` the county-level division within that. `PP0000` is the
//! province itself, `PPCC00` a prefecture as a whole.
//!
//! # What is accepted, and why not more or less
//!
//! A [`RegionCode`] is *plausible*, not *current*:
//!
//! - `PP` must be one of the 34 real province-level codes (11-15, 21-23, 31-37, 41-46,
//!   50-54, 61-65, 71, 81, 82). This catches most garbage: 66 of every 100 prefixes are
//!   not provinces.
//! - The code must not be the province-only `PP0000`: numbers are assigned by the public
//!   security bureau of a county (or, in some places, a prefecture), never of a province.
//! - Nothing else is checked. GB/T 2260 changes every year, and a person keeps the code of
//!   the place and time of first registration for life, so a code retired long ago must
//!   still be accepted: the standard's own sample `440524…` carries 440524, Chaoyang
//!   County of Shantou, merged away in 2003. A full table would reject real people; and
//!   a mistyped region digit is caught by the check character anyway.
//!
//! [`KNOWN_REGIONS`] is a small table of real, current county-level codes with their
//! names, for the synthetic generator and for display; it is not a validity list.

use std::fmt;
use std::str::FromStr;

use super::error::ResidentIdError;

use Province as P;

/// A province-level administrative division (the first two digits of a region code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Province {
    /// 11 北京市
    Beijing,
    /// 12 天津市
    Tianjin,
    /// 13 河北省
    Hebei,
    /// 14 山西省
    Shanxi,
    /// 15 内蒙古自治区
    InnerMongolia,
    /// 21 辽宁省
    Liaoning,
    /// 22 吉林省
    Jilin,
    /// 23 黑龙江省
    Heilongjiang,
    /// 31 上海市
    Shanghai,
    /// 32 江苏省
    Jiangsu,
    /// 33 浙江省
    Zhejiang,
    /// 34 安徽省
    Anhui,
    /// 35 福建省
    Fujian,
    /// 36 江西省
    Jiangxi,
    /// 37 山东省
    Shandong,
    /// 41 河南省
    Henan,
    /// 42 湖北省
    Hubei,
    /// 43 湖南省
    Hunan,
    /// 44 广东省
    Guangdong,
    /// 45 广西壮族自治区
    Guangxi,
    /// 46 海南省
    Hainan,
    /// 50 重庆市
    Chongqing,
    /// 51 四川省
    Sichuan,
    /// 52 贵州省
    Guizhou,
    /// 53 云南省
    Yunnan,
    /// 54 西藏自治区
    Tibet,
    /// 61 陕西省
    Shaanxi,
    /// 62 甘肃省
    Gansu,
    /// 63 青海省
    Qinghai,
    /// 64 宁夏回族自治区
    Ningxia,
    /// 65 新疆维吾尔自治区
    Xinjiang,
    /// 71 台湾省
    Taiwan,
    /// 81 香港特别行政区
    HongKong,
    /// 82 澳门特别行政区
    Macao,
}

impl Province {
    /// Every province-level division, in code order.
    pub const ALL: [Self; 34] = [
        Self::Beijing,
        Self::Tianjin,
        Self::Hebei,
        Self::Shanxi,
        Self::InnerMongolia,
        Self::Liaoning,
        Self::Jilin,
        Self::Heilongjiang,
        Self::Shanghai,
        Self::Jiangsu,
        Self::Zhejiang,
        Self::Anhui,
        Self::Fujian,
        Self::Jiangxi,
        Self::Shandong,
        Self::Henan,
        Self::Hubei,
        Self::Hunan,
        Self::Guangdong,
        Self::Guangxi,
        Self::Hainan,
        Self::Chongqing,
        Self::Sichuan,
        Self::Guizhou,
        Self::Yunnan,
        Self::Tibet,
        Self::Shaanxi,
        Self::Gansu,
        Self::Qinghai,
        Self::Ningxia,
        Self::Xinjiang,
        Self::Taiwan,
        Self::HongKong,
        Self::Macao,
    ];

    /// The province with this two-digit code, if there is one.
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            11 => Self::Beijing,
            12 => Self::Tianjin,
            13 => Self::Hebei,
            14 => Self::Shanxi,
            15 => Self::InnerMongolia,
            21 => Self::Liaoning,
            22 => Self::Jilin,
            23 => Self::Heilongjiang,
            31 => Self::Shanghai,
            32 => Self::Jiangsu,
            33 => Self::Zhejiang,
            34 => Self::Anhui,
            35 => Self::Fujian,
            36 => Self::Jiangxi,
            37 => Self::Shandong,
            41 => Self::Henan,
            42 => Self::Hubei,
            43 => Self::Hunan,
            44 => Self::Guangdong,
            45 => Self::Guangxi,
            46 => Self::Hainan,
            50 => Self::Chongqing,
            51 => Self::Sichuan,
            52 => Self::Guizhou,
            53 => Self::Yunnan,
            54 => Self::Tibet,
            61 => Self::Shaanxi,
            62 => Self::Gansu,
            63 => Self::Qinghai,
            64 => Self::Ningxia,
            65 => Self::Xinjiang,
            71 => Self::Taiwan,
            81 => Self::HongKong,
            82 => Self::Macao,
            _ => return None,
        })
    }

    /// The two-digit code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Beijing => 11,
            Self::Tianjin => 12,
            Self::Hebei => 13,
            Self::Shanxi => 14,
            Self::InnerMongolia => 15,
            Self::Liaoning => 21,
            Self::Jilin => 22,
            Self::Heilongjiang => 23,
            Self::Shanghai => 31,
            Self::Jiangsu => 32,
            Self::Zhejiang => 33,
            Self::Anhui => 34,
            Self::Fujian => 35,
            Self::Jiangxi => 36,
            Self::Shandong => 37,
            Self::Henan => 41,
            Self::Hubei => 42,
            Self::Hunan => 43,
            Self::Guangdong => 44,
            Self::Guangxi => 45,
            Self::Hainan => 46,
            Self::Chongqing => 50,
            Self::Sichuan => 51,
            Self::Guizhou => 52,
            Self::Yunnan => 53,
            Self::Tibet => 54,
            Self::Shaanxi => 61,
            Self::Gansu => 62,
            Self::Qinghai => 63,
            Self::Ningxia => 64,
            Self::Xinjiang => 65,
            Self::Taiwan => 71,
            Self::HongKong => 81,
            Self::Macao => 82,
        }
    }

    /// The official Chinese name, e.g. `广东省`.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Self::Beijing => "北京市",
            Self::Tianjin => "天津市",
            Self::Hebei => "河北省",
            Self::Shanxi => "山西省",
            Self::InnerMongolia => "内蒙古自治区",
            Self::Liaoning => "辽宁省",
            Self::Jilin => "吉林省",
            Self::Heilongjiang => "黑龙江省",
            Self::Shanghai => "上海市",
            Self::Jiangsu => "江苏省",
            Self::Zhejiang => "浙江省",
            Self::Anhui => "安徽省",
            Self::Fujian => "福建省",
            Self::Jiangxi => "江西省",
            Self::Shandong => "山东省",
            Self::Henan => "河南省",
            Self::Hubei => "湖北省",
            Self::Hunan => "湖南省",
            Self::Guangdong => "广东省",
            Self::Guangxi => "广西壮族自治区",
            Self::Hainan => "海南省",
            Self::Chongqing => "重庆市",
            Self::Sichuan => "四川省",
            Self::Guizhou => "贵州省",
            Self::Yunnan => "云南省",
            Self::Tibet => "西藏自治区",
            Self::Shaanxi => "陕西省",
            Self::Gansu => "甘肃省",
            Self::Qinghai => "青海省",
            Self::Ningxia => "宁夏回族自治区",
            Self::Xinjiang => "新疆维吾尔自治区",
            Self::Taiwan => "台湾省",
            Self::HongKong => "香港特别行政区",
            Self::Macao => "澳门特别行政区",
        }
    }

    /// The English name, e.g. `Guangdong`.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::Beijing => "Beijing",
            Self::Tianjin => "Tianjin",
            Self::Hebei => "Hebei",
            Self::Shanxi => "Shanxi",
            Self::InnerMongolia => "Inner Mongolia",
            Self::Liaoning => "Liaoning",
            Self::Jilin => "Jilin",
            Self::Heilongjiang => "Heilongjiang",
            Self::Shanghai => "Shanghai",
            Self::Jiangsu => "Jiangsu",
            Self::Zhejiang => "Zhejiang",
            Self::Anhui => "Anhui",
            Self::Fujian => "Fujian",
            Self::Jiangxi => "Jiangxi",
            Self::Shandong => "Shandong",
            Self::Henan => "Henan",
            Self::Hubei => "Hubei",
            Self::Hunan => "Hunan",
            Self::Guangdong => "Guangdong",
            Self::Guangxi => "Guangxi",
            Self::Hainan => "Hainan",
            Self::Chongqing => "Chongqing",
            Self::Sichuan => "Sichuan",
            Self::Guizhou => "Guizhou",
            Self::Yunnan => "Yunnan",
            Self::Tibet => "Tibet",
            Self::Shaanxi => "Shaanxi",
            Self::Gansu => "Gansu",
            Self::Qinghai => "Qinghai",
            Self::Ningxia => "Ningxia",
            Self::Xinjiang => "Xinjiang",
            Self::Taiwan => "Taiwan",
            Self::HongKong => "Hong Kong",
            Self::Macao => "Macao",
        }
    }
}

impl fmt::Display for Province {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

/// A plausible six-digit administrative division code (see the module documentation for
/// what "plausible" means). Built only by [`FromStr`] or [`TryFrom<u32>`], which check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode {
    /// The code as a number, 110000..=829999.
    code: u32,
    /// The province its first two digits name.
    province: Province,
}

impl RegionCode {
    /// The code of `province`, prefecture `city` and county `county`, unchecked: only for
    /// constants in this module and the generator, which the unit tests check against
    /// [`TryFrom<u32>`].
    pub(super) const fn from_parts(province: Province, city: u8, county: u8) -> Self {
        Self {
            code: province.code() as u32 * 10_000 + city as u32 * 100 + county as u32,
            province,
        }
    }

    /// The code as a number (six digits: it never starts with 0).
    pub const fn get(self) -> u32 {
        self.code
    }

    /// The province-level division (digits 1-2).
    pub const fn province(self) -> Province {
        self.province
    }

    /// The prefecture-level part within the province (digits 3-4), 0..=99.
    pub const fn city_code(self) -> u8 {
        ((self.code / 100) % 100) as u8
    }

    /// The county-level part within the prefecture (digits 5-6), 0..=99.
    pub const fn county_code(self) -> u8 {
        (self.code % 100) as u8
    }

    /// The entry of [`KNOWN_REGIONS`] with this code, if it is one of them.
    pub fn known(self) -> Option<&'static KnownRegion> {
        KNOWN_REGIONS.iter().find(|region| region.code == self)
    }
}

impl TryFrom<u32> for RegionCode {
    type Error = ResidentIdError;

    fn try_from(code: u32) -> Result<Self, Self::Error> {
        let province = u8::try_from(code / 10_000)
            .ok()
            .and_then(Province::from_code);
        match province {
            Some(province) if !code.is_multiple_of(10_000) => Ok(Self { code, province }),
            _ => Err(ResidentIdError::UnknownRegion {
                code: format!("{code:06}"),
            }),
        }
    }
}

impl FromStr for RegionCode {
    type Err = ResidentIdError;

    /// Parses exactly six ASCII digits.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ResidentIdError::UnknownRegion {
                code: text.chars().take(12).collect(),
            });
        }
        let code = text
            .bytes()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
        Self::try_from(code)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.code)
    }
}

/// A real county-level division with its names, from [`KNOWN_REGIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KnownRegion {
    /// The code.
    pub code: RegionCode,
    /// The prefecture-level city in Chinese (the municipality itself for 北京 and the like).
    pub city_zh: &'static str,
    /// The prefecture-level city in English.
    pub city_en: &'static str,
    /// The county-level division (district) in Chinese.
    pub county_zh: &'static str,
    /// The county-level division in English.
    pub county_en: &'static str,
}

impl KnownRegion {
    /// The province-level division.
    pub const fn province(&self) -> Province {
        self.code.province()
    }
}

impl fmt::Display for KnownRegion {
    /// `110101 北京市东城区`, or `440305 广东省深圳市南山区`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let province = self.province().name_zh();
        if province == self.city_zh {
            write!(f, "{} {}{}", self.code, province, self.county_zh)
        } else {
            write!(
                f,
                "{} {}{}{}",
                self.code, province, self.city_zh, self.county_zh
            )
        }
    }
}

/// Shorthand for one table row.
const fn known(
    province: Province,
    city: u8,
    county: u8,
    city_zh: &'static str,
    city_en: &'static str,
    county_zh: &'static str,
    county_en: &'static str,
) -> KnownRegion {
    KnownRegion {
        code: RegionCode::from_parts(province, city, county),
        city_zh,
        city_en,
        county_zh,
        county_en,
    }
}

/// Real county-level divisions (current GB/T 2260 codes), mostly a central district of
/// each provincial capital, one or more per mainland province.
pub const KNOWN_REGIONS: &[KnownRegion] = &[
    known(P::Beijing, 1, 1, "北京市", "Beijing", "东城区", "Dongcheng"),
    known(P::Beijing, 1, 2, "北京市", "Beijing", "西城区", "Xicheng"),
    known(P::Beijing, 1, 5, "北京市", "Beijing", "朝阳区", "Chaoyang"),
    known(P::Beijing, 1, 8, "北京市", "Beijing", "海淀区", "Haidian"),
    known(P::Tianjin, 1, 1, "天津市", "Tianjin", "和平区", "Heping"),
    known(
        P::Hebei,
        1,
        2,
        "石家庄市",
        "Shijiazhuang",
        "长安区",
        "Chang'an",
    ),
    known(P::Shanxi, 1, 5, "太原市", "Taiyuan", "小店区", "Xiaodian"),
    known(
        P::InnerMongolia,
        1,
        2,
        "呼和浩特市",
        "Hohhot",
        "新城区",
        "Xincheng",
    ),
    known(P::Liaoning, 1, 2, "沈阳市", "Shenyang", "和平区", "Heping"),
    known(P::Jilin, 1, 2, "长春市", "Changchun", "南关区", "Nanguan"),
    known(
        P::Heilongjiang,
        1,
        2,
        "哈尔滨市",
        "Harbin",
        "道里区",
        "Daoli",
    ),
    known(P::Shanghai, 1, 1, "上海市", "Shanghai", "黄浦区", "Huangpu"),
    known(P::Shanghai, 1, 4, "上海市", "Shanghai", "徐汇区", "Xuhui"),
    known(
        P::Shanghai,
        1,
        15,
        "上海市",
        "Shanghai",
        "浦东新区",
        "Pudong",
    ),
    known(P::Jiangsu, 1, 2, "南京市", "Nanjing", "玄武区", "Xuanwu"),
    known(P::Jiangsu, 5, 5, "苏州市", "Suzhou", "虎丘区", "Huqiu"),
    known(
        P::Zhejiang,
        1,
        2,
        "杭州市",
        "Hangzhou",
        "上城区",
        "Shangcheng",
    ),
    known(P::Zhejiang, 1, 6, "杭州市", "Hangzhou", "西湖区", "Xihu"),
    known(P::Anhui, 1, 2, "合肥市", "Hefei", "瑶海区", "Yaohai"),
    known(P::Fujian, 1, 2, "福州市", "Fuzhou", "鼓楼区", "Gulou"),
    known(P::Fujian, 2, 3, "厦门市", "Xiamen", "思明区", "Siming"),
    known(P::Jiangxi, 1, 2, "南昌市", "Nanchang", "东湖区", "Donghu"),
    known(P::Shandong, 1, 2, "济南市", "Jinan", "历下区", "Lixia"),
    known(P::Shandong, 2, 2, "青岛市", "Qingdao", "市南区", "Shinan"),
    known(P::Henan, 1, 2, "郑州市", "Zhengzhou", "中原区", "Zhongyuan"),
    known(P::Hubei, 1, 2, "武汉市", "Wuhan", "江岸区", "Jiang'an"),
    known(P::Hunan, 1, 2, "长沙市", "Changsha", "芙蓉区", "Furong"),
    known(P::Guangdong, 1, 3, "广州市", "Guangzhou", "荔湾区", "Liwan"),
    known(
        P::Guangdong,
        1,
        6,
        "广州市",
        "Guangzhou",
        "天河区",
        "Tianhe",
    ),
    known(
        P::Guangdong,
        3,
        5,
        "深圳市",
        "Shenzhen",
        "南山区",
        "Nanshan",
    ),
    known(P::Guangxi, 1, 2, "南宁市", "Nanning", "兴宁区", "Xingning"),
    known(P::Hainan, 1, 5, "海口市", "Haikou", "秀英区", "Xiuying"),
    known(
        P::Chongqing,
        1,
        3,
        "重庆市",
        "Chongqing",
        "渝中区",
        "Yuzhong",
    ),
    known(P::Sichuan, 1, 4, "成都市", "Chengdu", "锦江区", "Jinjiang"),
    known(P::Guizhou, 1, 2, "贵阳市", "Guiyang", "南明区", "Nanming"),
    known(P::Yunnan, 1, 2, "昆明市", "Kunming", "五华区", "Wuhua"),
    known(P::Tibet, 1, 2, "拉萨市", "Lhasa", "城关区", "Chengguan"),
    known(P::Shaanxi, 1, 3, "西安市", "Xi'an", "碑林区", "Beilin"),
    known(P::Gansu, 1, 2, "兰州市", "Lanzhou", "城关区", "Chengguan"),
    known(P::Qinghai, 1, 2, "西宁市", "Xining", "城东区", "Chengdong"),
    known(P::Ningxia, 1, 4, "银川市", "Yinchuan", "兴庆区", "Xingqing"),
    known(
        P::Xinjiang,
        1,
        2,
        "乌鲁木齐市",
        "Ürümqi",
        "天山区",
        "Tianshan",
    ),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

    use super::*;

    #[test]
    fn table_codes_are_plausible_and_unique() {
        for (i, region) in KNOWN_REGIONS.iter().enumerate() {
            assert_eq!(RegionCode::try_from(region.code.get()), Ok(region.code));
            assert_eq!(region.code.to_string().parse(), Ok(region.code));
            assert!(
                KNOWN_REGIONS[..i]
                    .iter()
                    .all(|other| other.code != region.code),
                "{region} is listed twice"
            );
        }
    }

    #[test]
    fn provinces_round_trip() {
        for province in Province::ALL {
            assert_eq!(Province::from_code(province.code()), Some(province));
        }
        let real = (0..=99).filter_map(Province::from_code).count();
        assert_eq!(real, Province::ALL.len());
    }

    #[test]
    fn parts_and_display() {
        let code: RegionCode = "440305".parse().unwrap();
        assert_eq!(code.province(), Province::Guangdong);
        assert_eq!((code.city_code(), code.county_code()), (3, 5));
        assert_eq!(
            code.known().unwrap().to_string(),
            "440305 广东省深圳市南山区"
        );
        let beijing: RegionCode = "110101".parse().unwrap();
        assert_eq!(beijing.known().unwrap().to_string(), "110101 北京市东城区");
        // A retired code is plausible but not in the table.
        let retired: RegionCode = "440524".parse().unwrap();
        assert_eq!(retired.known(), None);
    }

    #[test]
    fn implausible_codes() {
        for text in [
            "990101",
            "000000",
            "110000",
            "440000",
            "11010",
            "1101011",
            "11010a",
            "１１0101",
        ] {
            assert!(
                matches!(
                    text.parse::<RegionCode>(),
                    Err(ResidentIdError::UnknownRegion { .. })
                ),
                "{text}"
            );
        }
    }
}
