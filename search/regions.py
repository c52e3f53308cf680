"""Provincial-level regions (省级行政区) for the region facet and the --region filter.

An institution's `sp:region` is used when the graph has it. Funder exports rarely state
it, so otherwise the region is read from the institution's name: a province or its short
form (北京, 广东, 内蒙古), or a city that names its province (武汉 -> 湖北, 大连 -> 辽宁).
Names that give no place ("中山大学") have no region rather than a guessed one.
"""
from __future__ import annotations

from functools import lru_cache

from search.analysis import fold

# short form, full names / English names that mean it
PROVINCES: dict[str, tuple[str, ...]] = {
    "北京": ("北京市", "beijing", "peking"), "天津": ("天津市", "tianjin"), "上海": ("上海市", "shanghai"),
    "重庆": ("重庆市", "chongqing"), "河北": ("河北省", "hebei"), "山西": ("山西省", "shanxi"),
    "辽宁": ("辽宁省", "liaoning"), "吉林": ("吉林省", "jilin"), "黑龙江": ("黑龙江省", "heilongjiang"),
    "江苏": ("江苏省", "jiangsu"), "浙江": ("浙江省", "zhejiang"), "安徽": ("安徽省", "anhui"),
    "福建": ("福建省", "fujian"), "江西": ("江西省", "jiangxi"), "山东": ("山东省", "shandong"),
    "河南": ("河南省", "henan"), "湖北": ("湖北省", "hubei"), "湖南": ("湖南省", "hunan"),
    "广东": ("广东省", "guangdong"), "海南": ("海南省", "hainan"), "四川": ("四川省", "sichuan"),
    "贵州": ("贵州省", "guizhou"), "云南": ("云南省", "yunnan"), "陕西": ("陕西省", "shaanxi"),
    "甘肃": ("甘肃省", "gansu"), "青海": ("青海省", "qinghai"), "台湾": ("台湾省", "taiwan"),
    "内蒙古": ("内蒙古自治区", "inner mongolia", "neimenggu"), "广西": ("广西壮族自治区", "guangxi"),
    "西藏": ("西藏自治区", "tibet", "xizang"), "宁夏": ("宁夏回族自治区", "ningxia"),
    "新疆": ("新疆维吾尔自治区", "xinjiang"), "香港": ("香港特别行政区", "hong kong"),
    "澳门": ("澳门特别行政区", "macau", "macao"),
}

# Cities (and a few well-known place words) found in institution names.
CITIES: dict[str, str] = {
    "石家庄": "河北", "保定": "河北", "唐山": "河北", "秦皇岛": "河北", "燕山": "河北",
    "太原": "山西", "大连": "辽宁", "沈阳": "辽宁", "长春": "吉林", "延边": "吉林", "哈尔滨": "黑龙江",
    "南京": "江苏", "苏州": "江苏", "无锡": "江苏", "扬州": "江苏", "徐州": "江苏", "河海": "江苏",
    "紫金山": "江苏", "江南": "江苏", "杭州": "浙江", "宁波": "浙江", "温州": "浙江", "西湖": "浙江",
    "合肥": "安徽", "厦门": "福建", "福州": "福建", "南昌": "江西", "赣南": "江西", "济南": "山东",
    "青岛": "山东", "郑州": "河南", "武汉": "湖北", "华中": "湖北", "长沙": "湖南", "湘雅": "湖南",
    "广州": "广东", "深圳": "广东", "华南": "广东", "暨南": "广东", "海口": "海南", "成都": "四川",
    "华西": "四川", "贵阳": "贵州", "昆明": "云南", "西安": "陕西", "兰州": "甘肃", "西宁": "青海",
    "呼和浩特": "内蒙古", "南宁": "广西", "桂林": "广西", "拉萨": "西藏", "银川": "宁夏",
    "乌鲁木齐": "新疆", "石河子": "新疆", "协和": "北京", "清华": "北京", "首都": "北京",
    "中国科学院大学": "北京", "复旦": "上海", "同济": "上海", "南开": "天津", "天津": "天津",
}


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    table = {fold(short): short for short in PROVINCES}
    for short, names in PROVINCES.items():
        for name in names:
            table[fold(name)] = short
    return table


def normalize_region(value: str) -> str | None:
    """'北京', '北京市' or 'Beijing' -> '北京'; None when the value names no region."""
    key = fold(value or "").strip()
    return _aliases().get(key) or CITIES.get(key)


def unknown_region_note(value: str | None) -> str | None:
    """For a region filter that matched nothing: a note when the value names no province-level
    region (a typo reads as "nothing there"). The filter itself still applies as written: an
    institution's stated sp:region may name a place outside the list."""
    if not value or normalize_region(value):
        return None
    return (f"'{value}' is not a province-level region this service knows: give one such as 北京 or Beijing, "
            f"湖北 or Hubei.")


@lru_cache(maxsize=1)
def _places() -> list[tuple[str, str]]:
    """(place as folded text, region), longest first so that 内蒙古 wins over a shorter match."""
    places = [(alias, short) for alias, short in _aliases().items()]
    places += [(fold(city), region) for city, region in CITIES.items()]
    return sorted(places, key=lambda item: len(item[0]), reverse=True)


@lru_cache(maxsize=20_000)
def region_of_institution(name: str) -> str | None:
    """The region an institution's name states, longest match first, else None."""
    if not name:
        return None
    text = fold(name)
    for place, region in _places():
        if place in text:
            return region
    return None
