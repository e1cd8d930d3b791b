"""Demo data: real Henan division codes (GB/T 2260), schools of every kind, an account
for every role. Loaded by `scripts/serve` on first run and by the tests."""

from __future__ import annotations

from datetime import date

from domain.accounts import Account, Role
from domain.jurisdiction import Area, Ownership, School, SchoolKind

K, O = SchoolKind, Ownership

AREAS = [
    Area("410000", "河南省"),
    Area("410100", "郑州市"),
    Area("410102", "中原区"),
    Area("410105", "金水区"),
    Area("410122", "中牟县"),
    Area("410300", "洛阳市"),
    Area("410302", "老城区"),
    Area("410311", "洛龙区"),
    Area("410323", "新安县"),
    Area("410700", "新乡市"),
    Area("410702", "红旗区"),
    Area("410721", "新乡县"),
    Area("410781", "卫辉市"),
]

SCHOOLS = [
    School("2141010501", "金水区纬五路第一小学", K.PRIMARY, O.PUBLIC, "410105", "410105"),
    School("2141010502", "金水区文化路第二小学", K.PRIMARY, O.PUBLIC, "410105", "410105"),
    School("2141010503", "金水区外国语初级中学", K.JUNIOR_SECONDARY, O.PRIVATE, "410105", "410105"),
    School("2141010201", "中原区伏牛路小学", K.PRIMARY, O.PUBLIC, "410102", "410102"),
    School("2141010202", "郑州市特殊教育学校", K.SPECIAL_EDUCATION, O.PUBLIC, "410102", "410100"),
    School("2141012201", "中牟县城关镇九年制学校", K.NINE_YEAR, O.PUBLIC, "410122", "410122"),
    School("2141012202", "河南省实验学校中牟分校", K.TWELVE_YEAR, O.PUBLIC, "410122", "410000"),
    School("2141030201", "老城区西关小学", K.PRIMARY, O.PUBLIC, "410302", "410302"),
    School("2141031101", "洛龙区第二实验初级中学", K.JUNIOR_SECONDARY, O.PUBLIC, "410311", "410311"),
    School("2141032301", "洛阳市工读学校", K.WORK_STUDY, O.PUBLIC, "410323", "410300"),
    School("2141070201", "红旗区育才小学", K.PRIMARY, O.PRIVATE, "410702", "410702"),
    School("2141072101", "新乡县七里营镇初级中学", K.JUNIOR_SECONDARY, O.PUBLIC, "410721", "410721"),
    School("2141078101", "卫辉市唐庄镇九年制学校", K.NINE_YEAR, O.PUBLIC, "410781", "410781"),
]

TRAINED = date(2026, 3, 1)
R = Role

ACCOUNTS = [
    Account("admin", "系统管理员", R.ADMIN, None),
    Account("henan.dept", "河南省教育厅学籍科", R.PROVINCE_DEPARTMENT, "410000"),
    Account("zhengzhou.dept", "郑州市教育局学籍科", R.CITY_DEPARTMENT, "410100"),
    Account("luoyang.dept", "洛阳市教育局学籍科", R.CITY_DEPARTMENT, "410300"),
    Account("jinshui.dept", "金水区教育局学籍股", R.COUNTY_DEPARTMENT, "410105"),
    Account("zhongyuan.dept", "中原区教育局学籍股", R.COUNTY_DEPARTMENT, "410102"),
    Account("zhongmou.dept", "中牟县教育局学籍股", R.COUNTY_DEPARTMENT, "410122"),
    Account("hongqi.dept", "红旗区教育局学籍股", R.COUNTY_DEPARTMENT, "410702"),
    Account("laocheng.dept", "老城区教育局学籍股", R.COUNTY_DEPARTMENT, "410302"),
    Account("weiwu.registrar", "纬五路一小学籍管理员", R.SCHOOL_REGISTRAR, "2141010501", TRAINED, "0371-60000001"),
    Account("wenhua.registrar", "文化路二小学籍管理员", R.SCHOOL_REGISTRAR, "2141010502", TRAINED),
    Account("funiu.registrar", "伏牛路小学学籍管理员", R.SCHOOL_REGISTRAR, "2141010201", TRAINED),
    Account("tejiao.registrar", "郑州市特教学校学籍管理员", R.SCHOOL_REGISTRAR, "2141010202", TRAINED),
    Account("chengguan.registrar", "城关镇九年制学校学籍管理员", R.SCHOOL_REGISTRAR, "2141012201", TRAINED),
    Account("xiguan.registrar", "西关小学学籍管理员", R.SCHOOL_REGISTRAR, "2141030201", TRAINED),
    Account("waiguoyu.registrar", "外国语初中学籍管理员（待培训）", R.SCHOOL_REGISTRAR, "2141010503", None),
    Account("zhengzhou.archivist", "郑州市学籍档案管理员", R.ARCHIVIST, "410100"),
    Account("henan.auditor", "河南省学籍审计员", R.AUDITOR, "410000"),
]
