"""Build data/geo/facilities.geojson: public service facilities of Tianhe District.

Provenance (details in ``data/geo/sources/facilities.md``):

* Names, addresses and statuses are public facts taken from press reports found
  by web search (URLs in ``SOURCES``) or, where no page was found, from the
  author's general knowledge of Guangzhou. Every row's ``source`` column says
  which, and nothing is copied from another dataset or project.
* Positions are WGS-84 (EPSG:4326) longitude/latitude typed by hand from the
  known address or landmark; none came from an AMap/Baidu pick, so no GCJ-02
  conversion is applied. ``accuracy_m`` is an honest radius per row: 200-500 m
  for named landmarks, 500-800 m for subdistrict-level placements, 2,000-3,000 m
  for planned projects whose site was not found (placeholders).
* Community health service centres and 颐康中心 (elderly-care centres) exist
  one per subdistrict by policy; they are placed near each subdistrict's
  office area (approximate), elderly care offset ~150 m so points do not stack.
* Capacity columns are filled only where a source states them (school places,
  planned beds); otherwise NaN.

Run::

    PYTHONPATH=src python scripts/build_facilities.py
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from tianhe_geo.io import read_vector, write_vector

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo" / "facilities.geojson"
BOUNDARY = ROOT / "data" / "geo" / "boundary.geojson"
MAX_OUTSIDE_M = 2000.0
NAN = math.nan

# Short source keys -> text written into the ``source`` column.
SOURCES = {
    "own": "author's general knowledge of Guangzhou (not verified against an official list); "
    "position hand-placed in WGS-84",
    "sub": "one centre per subdistrict (Guangzhou policy); placed at the approximate "
    "subdistrict office area, WGS-84, not the exact address",
    "wiki": "Wikipedia article coordinates (WGS-84) / widely published address",
    "twfl": "press report 2023 on 天河外国语学校智慧城校区 tender "
    "(http://gaozhong.ljyz.com.cn/news/HTML_PC/202307/4979.html): 90 classes, 4,500 pupils, "
    "former 长湴三鸟市场 site near 华南植物园",
    "zx": "press report 2021-08-30 on 执信中学天河校区 opening "
    "(http://news.guhantai.com/gn/2021/0830/10005179.html): 珠吉路东侧, 90 classes, ~4,500 pupils",
    "qh2": "China News Service 2024-01-19 on 清华附中湾区学校二期 groundbreaking "
    "(https://bitchpolitics.com/202广州天河：清华附中湾区学校二期校区开工, mirror) and "
    "planning report (http://www.slzqzmc.cn/sydwzpDetails_E112B59DD5D042F0.shtml): "
    "华观路南, 岑村车管所东, 108 classes, 5,310 places",
    "olym": "press report on Tianhe school building (广州奥林匹克中学: former 广州氮肥厂 site, "
    "广园路以北, 车陂路以西; 广州中学凤凰校区)",
    "lnzx": "广州日报 2017-03-16 (http://gz.aoshu.com/e/20170316/58ca1d1be3148_2.shtml): "
    "广州岭南中学 (provisional name) planned in east Tianhe; site not published",
    "tcm": "press report on 广州市中医医院新址 tender (https://lotmg.com/a/yan-zhou-zhong-yi-yi-yuan-"
    "jiang-zai-tian-he-jian-xin-zhi-ji-hua-yu-2020nian-jun-gong.html): 广氮, 科韵路以东, "
    "广园快速路以北, 800 beds planned; opening status not verified",
    "ty": "广州日报/花城+ 2022-09-09 (https://huacheng.gz-cmc.com/pages/2022/09/09/"
    "de24e64bf40a42c6a36127a53f1fac35.html): 天河艺苑 in 天河公园, east of the small north gate",
    "plan": "Tianhe plan project list (project named in the plan brief); site NOT found in "
    "public sources: PLACEHOLDER position",
}

# (key, category, status, name_zh, name_en, lon, lat, accuracy_m, beds, doctors, places, source)
# lon/lat are WGS-84. NaN capacity means "no source found", not zero.
FACTS = [
    # --- hospitals -------------------------------------------------------------
    ("hosp-zssy", "hospital", "existing", "中山大学附属第三医院（天河院区，天河路600号）",
     "Third Affiliated Hospital of Sun Yat-sen University (Tianhe)", 113.3440, 23.1355, 250, NAN, NAN, NAN, "own"),
    ("hosp-hqyy", "hospital", "existing", "暨南大学附属第一医院（华侨医院，黄埔大道西613号）",
     "First Affiliated Hospital of Jinan University (Overseas Chinese Hospital)", 113.3420, 23.1290, 300, NAN, NAN, NAN, "own"),
    ("hosp-thrm", "hospital", "existing", "天河区人民医院", "Tianhe District People's Hospital",
     113.3560, 23.1400, 800, NAN, NAN, NAN, "own"),
    ("hosp-thzy", "hospital", "existing", "天河区中医医院", "Tianhe District Hospital of TCM",
     113.3950, 23.1300, 1500, NAN, NAN, NAN, "own"),
    ("hosp-fuer", "hospital", "existing", "广州市妇女儿童医疗中心（珠江新城院区，金穗路9号）",
     "Guangzhou Women and Children's Medical Center (Zhujiang New Town)", 113.3265, 23.1225, 250, NAN, NAN, NAN, "own"),
    ("hosp-zsly", "hospital", "existing", "中山大学附属第六医院（员村二横路26号）",
     "Sixth Affiliated Hospital of Sun Yat-sen University", 113.3600, 23.1215, 300, NAN, NAN, NAN, "own"),
    ("hosp-gz12", "hospital", "existing", "广州市第十二人民医院（天强路1号）",
     "Guangzhou Twelfth People's Hospital", 113.3590, 23.1305, 500, NAN, NAN, NAN, "own"),
    ("hosp-nfsy", "hospital", "existing", "南方医科大学第三附属医院（中山大道西183号）",
     "Third Affiliated Hospital of Southern Medical University", 113.3530, 23.1290, 500, NAN, NAN, NAN, "own"),
    ("hosp-wj", "hospital", "existing", "武警广东省总队医院（燕岭路268号）",
     "Guangdong Armed Police Corps Hospital", 113.3300, 23.1600, 500, NAN, NAN, NAN, "own"),
    ("hosp-nfyy", "hospital", "existing", "南方医科大学南方医院（白云区广州大道北1838号，区外，服务天河北部）",
     "Nanfang Hospital (Baiyun, just outside; serves north Tianhe)", 113.3300, 23.1880, 300, NAN, NAN, NAN, "own"),
    ("hosp-gzzy", "hospital", "under_construction", "广州市中医医院新址（广氮地块）",
     "Guangzhou Hospital of TCM new site (former nitrogen plant)", 113.3990, 23.1530, 500, 800, NAN, NAN, "tcm"),
    ("hosp-th2", "hospital", "planned", "天河区第二人民医院（选址待定，示意点）",
     "Tianhe District Second People's Hospital (site unknown, placeholder)", 113.4050, 23.1650, 3000, NAN, NAN, NAN, "plan"),
    # --- primary schools -------------------------------------------------------
    ("pri-tydl", "primary_school", "existing", "天河区体育东路小学", "Tiyu East Road Primary School", 113.3275, 23.1375, 400, NAN, NAN, NAN, "own"),
    ("pri-tyxl", "primary_school", "existing", "天河区体育西路小学", "Tiyu West Road Primary School", 113.3205, 23.1350, 400, NAN, NAN, NAN, "own"),
    ("pri-hy", "primary_school", "existing", "天河区华阳小学", "Huayang Primary School", 113.3290, 23.1345, 500, NAN, NAN, NAN, "own"),
    ("pri-xld", "primary_school", "existing", "天河区先烈东小学", "Xianlie East Primary School", 113.3040, 23.1505, 600, NAN, NAN, NAN, "own"),
    ("pri-lkx", "primary_school", "existing", "天河区龙口西小学", "Longkou West Primary School", 113.3380, 23.1460, 500, NAN, NAN, NAN, "own"),
    ("pri-hj", "primary_school", "existing", "天河区华景小学", "Huajing Primary School", 113.3555, 23.1370, 500, NAN, NAN, NAN, "own"),
    ("pri-tfl", "primary_school", "existing", "天河区天府路小学", "Tianfu Road Primary School", 113.3570, 23.1270, 500, NAN, NAN, NAN, "own"),
    ("pri-xj", "primary_school", "existing", "天河区旭景小学", "Xujing Primary School", 113.3525, 23.1230, 700, NAN, NAN, NAN, "own"),
    ("pri-hk", "primary_school", "existing", "天河区华康小学", "Huakang Primary School", 113.3640, 23.1340, 800, NAN, NAN, NAN, "own"),
    ("pri-cb", "primary_school", "existing", "天河区长湴小学", "Changban Primary School", 113.3570, 23.1735, 600, NAN, NAN, NAN, "own"),
    ("pri-ld", "primary_school", "existing", "天河区龙洞小学", "Longdong Primary School", 113.3770, 23.2030, 600, NAN, NAN, NAN, "own"),
    ("pri-cbx", "primary_school", "existing", "天河区车陂小学", "Chebei Primary School", 113.3980, 23.1250, 600, NAN, NAN, NAN, "own"),
    ("pri-dp", "primary_school", "existing", "天河区东圃小学", "Dongpu Primary School", 113.4090, 23.1230, 600, NAN, NAN, NAN, "own"),
    ("pri-lde", "primary_school", "existing", "天河区猎德小学", "Liede Primary School", 113.3310, 23.1145, 600, NAN, NAN, NAN, "own"),
    ("pri-hsfx", "primary_school", "existing", "华南师范大学附属小学", "South China Normal University Primary School", 113.3440, 23.1420, 400, NAN, NAN, NAN, "own"),
    ("pri-hgfx", "primary_school", "existing", "华南理工大学附属小学", "SCUT Primary School", 113.3480, 23.1570, 500, NAN, NAN, NAN, "own"),
    ("pri-qh1", "primary_school", "existing", "清华附中湾区学校（一期，天河智谷，含小学部）",
     "Tsinghua Univ. High School Bay Area School, phase 1 (primary section)", 113.4040, 23.1700, 800, NAN, NAN, NAN, "qh2"),
    # --- middle schools --------------------------------------------------------
    ("mid-hsfz", "middle_school", "existing", "华南师范大学附属中学（中山大道西1号）",
     "High School Affiliated to South China Normal University", 113.3420, 23.1305, 300, NAN, NAN, NAN, "own"),
    ("mid-gzzx", "middle_school", "existing", "广州中学（五山校区）", "Guangzhou High School (Wushan)", 113.3530, 23.1580, 600, NAN, NAN, NAN, "own"),
    ("mid-gzzxfh", "middle_school", "existing", "广州中学凤凰校区", "Guangzhou High School (Fenghuang)", 113.3990, 23.1930, 800, NAN, NAN, NAN, "olym"),
    ("mid-twzj", "middle_school", "existing", "广州市天河外国语学校（珠江新城校区，海乐路）",
     "Tianhe Foreign Language School (Zhujiang New Town)", 113.3380, 23.1240, 500, NAN, NAN, NAN, "own"),
    ("mid-twzh", "middle_school", "under_construction", "广州市天河外国语学校智慧城校区（长湴）",
     "Tianhe Foreign Language School, Smart City campus", 113.3640, 23.1830, 500, NAN, NAN, 4500, "twfl"),
    ("mid-zxth", "middle_school", "existing", "广州市执信中学天河校区（珠吉路东侧）",
     "Zhixin High School, Tianhe campus", 113.4300, 23.1520, 600, NAN, NAN, 4500, "zx"),
    ("mid-aolin", "middle_school", "existing", "广州奥林匹克中学（原广氮地块）",
     "Guangzhou Olympic High School", 113.3920, 23.1510, 500, NAN, NAN, NAN, "olym"),
    ("mid-qh2", "middle_school", "under_construction", "清华附中湾区学校二期（华观路南）",
     "Tsinghua Univ. High School Bay Area School, phase 2", 113.3950, 23.1820, 600, NAN, NAN, 5310, "qh2"),
    ("mid-lnzx", "middle_school", "planned", "广州岭南中学（暂定名，天河东部，选址待定，示意点）",
     "Guangzhou Lingnan High School (provisional; site unknown, placeholder)", 113.4150, 23.1300, 2000, NAN, NAN, NAN, "lnzx"),
    ("mid-hj", "middle_school", "existing", "天河区汇景实验学校", "Huijing Experimental School", 113.3660, 23.1230, 600, NAN, NAN, NAN, "own"),
    ("mid-dp", "middle_school", "existing", "广州市天河区东圃中学", "Dongpu High School", 113.4120, 23.1240, 700, NAN, NAN, NAN, "own"),
    ("mid-hgsy", "middle_school", "existing", "华南理工大学附属实验学校", "SCUT Experimental School", 113.3480, 23.1600, 800, NAN, NAN, NAN, "own"),
    ("mid-jj", "middle_school", "existing", "广州市天河区骏景中学", "Junjing Middle School", 113.3920, 23.1350, 700, NAN, NAN, NAN, "own"),
    # --- kindergartens ---------------------------------------------------------
    ("kg-hsf", "kindergarten", "existing", "华南师范大学幼儿园", "SCNU Kindergarten", 113.3460, 23.1410, 500, NAN, NAN, NAN, "own"),
    ("kg-hg", "kindergarten", "existing", "华南理工大学幼儿园", "SCUT Kindergarten", 113.3470, 23.1540, 600, NAN, NAN, NAN, "own"),
    ("kg-hn", "kindergarten", "existing", "华南农业大学幼儿园", "SCAU Kindergarten", 113.3600, 23.1620, 700, NAN, NAN, NAN, "own"),
    ("kg-jn", "kindergarten", "existing", "暨南大学幼儿园", "Jinan University Kindergarten", 113.3470, 23.1320, 500, NAN, NAN, NAN, "own"),
    ("kg-th1", "kindergarten", "existing", "天河区第一幼儿园", "Tianhe No.1 Kindergarten", 113.3280, 23.1390, 800, NAN, NAN, NAN, "own"),
    ("kg-hjx", "kindergarten", "existing", "天河区汇景幼儿园", "Huijing Kindergarten", 113.3680, 23.1240, 800, NAN, NAN, NAN, "own"),
    ("kg-jjy", "kindergarten", "existing", "天河区骏景幼儿园", "Junjing Kindergarten", 113.3900, 23.1360, 800, NAN, NAN, NAN, "own"),
    ("kg-hjy", "kindergarten", "existing", "天河区华景幼儿园", "Huajing Kindergarten", 113.3545, 23.1385, 800, NAN, NAN, NAN, "own"),
    ("kg-zj", "kindergarten", "existing", "天河区珠江新城幼儿园", "Zhujiang New Town Kindergarten", 113.3230, 23.1200, 800, NAN, NAN, NAN, "own"),
    ("kg-ld", "kindergarten", "existing", "天河区龙洞幼儿园", "Longdong Kindergarten", 113.3780, 23.2050, 800, NAN, NAN, NAN, "own"),
    ("kg-cb", "kindergarten", "existing", "天河区车陂幼儿园", "Chebei Kindergarten", 113.3960, 23.1280, 800, NAN, NAN, NAN, "own"),
    ("kg-sh", "kindergarten", "existing", "天河区沙河幼儿园", "Shahe Kindergarten", 113.3060, 23.1540, 800, NAN, NAN, NAN, "own"),
    ("kg-xt", "kindergarten", "existing", "天河区新塘幼儿园", "Xintang Kindergarten", 113.4070, 23.1690, 800, NAN, NAN, NAN, "own"),
    # --- library and culture ---------------------------------------------------
    ("cul-gzlib", "library_culture", "existing", "广州图书馆（珠江东路4号）", "Guangzhou Library", 113.3245, 23.1172, 200, NAN, NAN, NAN, "wiki"),
    ("cul-opera", "library_culture", "existing", "广州大剧院", "Guangzhou Opera House", 113.3219, 23.1169, 200, NAN, NAN, NAN, "wiki"),
    ("cul-gdmus", "library_culture", "existing", "广东省博物馆", "Guangdong Museum", 113.3255, 23.1145, 200, NAN, NAN, NAN, "wiki"),
    ("cul-2ndpal", "library_culture", "existing", "广州市第二少年宫", "Guangzhou Second Children's Palace", 113.3195, 23.1140, 300, NAN, NAN, NAN, "own"),
    ("cul-thlib", "library_culture", "existing", "天河区图书馆", "Tianhe District Library", 113.3570, 23.1255, 800, NAN, NAN, NAN, "own"),
    ("cul-tyy", "library_culture", "existing", "天河艺苑（天河公园内）", "Tianhe Art Garden (in Tianhe Park)", 113.3680, 23.1300, 300, NAN, NAN, NAN, "ty"),
    ("cul-thwhg", "library_culture", "existing", "天河区文化馆", "Tianhe District Cultural Centre", 113.3560, 23.1280, 1000, NAN, NAN, NAN, "own"),
    ("cul-thlibn", "library_culture", "planned", "天河区图书馆新馆（选址待定，示意点）",
     "Tianhe District Library, new building (site unknown, placeholder)", 113.3950, 23.1700, 3000, NAN, NAN, NAN, "plan"),
    ("cul-xte", "library_culture", "planned", "小天鹅艺术中心（选址待定，示意点）",
     "Little Swan Arts Centre (site unknown, placeholder)", 113.3600, 23.1300, 3000, NAN, NAN, NAN, "plan"),
    # --- sports ----------------------------------------------------------------
    ("spo-thtyzx", "sports", "existing", "天河体育中心", "Tianhe Sports Centre", 113.3239, 23.1392, 200, NAN, NAN, NAN, "wiki"),
    ("spo-aoti", "sports", "existing", "广东奥林匹克体育中心", "Guangdong Olympic Sports Centre", 113.4300, 23.1380, 500, NAN, NAN, NAN, "own"),
    ("spo-hcxl", "sports", "existing", "广东省黄村体育训练中心", "Guangdong Huangcun Sports Training Centre", 113.4180, 23.1420, 800, NAN, NAN, NAN, "own"),
    ("spo-gzty", "sports", "existing", "广州体育学院（广州大道北）", "Guangzhou Sport University", 113.3250, 23.1740, 500, NAN, NAN, NAN, "own"),
    ("spo-thgy", "sports", "existing", "天河公园（全民健身场地）", "Tianhe Park (public fitness grounds)", 113.3690, 23.1285, 400, NAN, NAN, NAN, "own"),
]

# Subdistrict -> (English, approximate office-area lon, lat in WGS-84).
SUBDISTRICTS = {
    "五山": ("Wushan", 113.3560, 23.1560), "员村": ("Yuancun", 113.3640, 23.1220),
    "车陂": ("Chebei", 113.3970, 23.1270), "沙河": ("Shahe", 113.3040, 23.1530),
    "石牌": ("Shipai", 113.3390, 23.1370), "沙东": ("Shadong", 113.3170, 23.1640),
    "天河南": ("Tianhenan", 113.3210, 23.1320), "林和": ("Linhe", 113.3260, 23.1480),
    "兴华": ("Xinghua", 113.3380, 23.1650), "棠下": ("Tangxia", 113.3800, 23.1370),
    "天园": ("Tianyuan", 113.3540, 23.1290), "猎德": ("Liede", 113.3300, 23.1150),
    "冼村": ("Xiancun", 113.3380, 23.1250), "元岗": ("Yuangang", 113.3490, 23.1760),
    "黄村": ("Huangcun", 113.4070, 23.1400), "长兴": ("Changxing", 113.3680, 23.1800),
    "龙洞": ("Longdong", 113.3760, 23.2060), "凤凰": ("Fenghuang", 113.4000, 23.1900),
    "前进": ("Qianjin", 113.4100, 23.1220), "珠吉": ("Zhuji", 113.4240, 23.1320),
    "新塘": ("Xintang", 113.4060, 23.1680),
}


def subdistrict_rows() -> list[tuple]:
    """One community health centre and one 颐康中心 per subdistrict (approximate)."""
    rows = []
    for i, (zh, (en, lon, lat)) in enumerate(SUBDISTRICTS.items(), start=1):
        rows.append((f"chc-{i:02d}", "community_health", "existing",
                     f"天河区{zh}街社区卫生服务中心", f"{en} Community Health Service Centre",
                     lon, lat, 500, NAN, NAN, NAN, "sub"))
        # ~150 m east so the two centres do not share one point.
        rows.append((f"eld-{i:02d}", "elderly_care", "existing",
                     f"天河区{zh}街颐康中心", f"{en} Yikang Elderly Care Centre",
                     lon + 0.0015, lat, 800, NAN, NAN, NAN, "sub"))
    return rows


def to_frame(rows: list[tuple]) -> gpd.GeoDataFrame:
    """Turn fact tuples into the layer's GeoDataFrame (EPSG:4326)."""
    cols = ["key", "category", "status", "name_zh", "name_en", "lon", "lat",
            "accuracy_m", "beds", "doctors", "places", "src"]
    df = pd.DataFrame(rows, columns=cols)
    df["id"] = "fac-" + df["key"]
    df["source"] = df["src"].map(SOURCES)
    for c in ("accuracy_m", "beds", "doctors", "places"):
        df[c] = df[c].astype(float)
    geom = shapely.points(df["lon"].to_numpy(), df["lat"].to_numpy())
    keep = ["id", "category", "status", "beds", "doctors", "places",
            "name_zh", "name_en", "source", "accuracy_m"]
    return gpd.GeoDataFrame(df[keep], geometry=geom, crs="EPSG:4326")


def check(gdf: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> None:
    """Fail loudly on duplicate ids, missing sources or points too far outside."""
    assert gdf["id"].is_unique, gdf["id"][gdf["id"].duplicated()].tolist()
    assert gdf["source"].notna().all(), "unknown source key"
    area = boundary.to_crs("EPSG:4547").union_all().buffer(MAX_OUTSIDE_M)
    far = ~gdf.to_crs("EPSG:4547").within(area)
    assert not far.any(), f"more than 2 km outside: {gdf.loc[far, 'id'].tolist()}"


def main() -> None:
    """Build, check and write the facilities layer."""
    gdf = to_frame(FACTS + subdistrict_rows())
    check(gdf, read_vector(BOUNDARY))
    write_vector(gdf, OUT)
    print(f"wrote {OUT} ({len(gdf)} facilities)")
    print(gdf.groupby(["category", "status"]).size().to_string())


if __name__ == "__main__":
    main()
