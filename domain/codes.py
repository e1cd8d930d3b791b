"""Code tables of the national student record, in one place. Frontends read them through
the `codeTables` query to build pick-lists; dossiers store the codes and are checked
against these tables."""

from __future__ import annotations

from dataclasses import dataclass

from domain.error_codes import declared
from domain.errors import DomainError

CODE_TABLE_CODES = declared("INVALID_CODE")  # `CodeTable.check`


@dataclass(frozen=True)
class CodeTable:
    name: str
    standard: str  # where the codes come from
    entries: tuple[tuple[str, str], ...]

    def label(self, code: str) -> str | None:
        return dict(self.entries).get(code)

    def check(self, field: str, code: str | None) -> None:
        if code is not None and self.label(code) is None:
            raise DomainError(field, f"{code!r} is not a code of {self.name} ({self.standard})", "INVALID_CODE")


def _t(name: str, standard: str, text: str) -> CodeTable:
    pairs = tuple(tuple(item.split("=", 1)) for item in text.split())
    return CodeTable(name, standard, pairs)  # type: ignore[arg-type]


SEX = _t("sex", "GB/T 2261.1", "1=男 2=女")

ETHNICITY = _t(
    "ethnicity",
    "GB/T 3304",
    "01=汉族 02=蒙古族 03=回族 04=藏族 05=维吾尔族 06=苗族 07=彝族 08=壮族 09=布依族 10=朝鲜族 "
    "11=满族 12=侗族 13=瑶族 14=白族 15=土家族 16=哈尼族 17=哈萨克族 18=傣族 19=黎族 20=傈僳族 "
    "21=佤族 22=畲族 23=高山族 24=拉祜族 25=水族 26=东乡族 27=纳西族 28=景颇族 29=柯尔克孜族 "
    "30=土族 31=达斡尔族 32=仫佬族 33=羌族 34=布朗族 35=撒拉族 36=毛南族 37=仡佬族 38=锡伯族 "
    "39=阿昌族 40=普米族 41=塔吉克族 42=怒族 43=乌孜别克族 44=俄罗斯族 45=鄂温克族 46=德昂族 "
    "47=保安族 48=裕固族 49=京族 50=塔塔尔族 51=独龙族 52=鄂伦春族 53=赫哲族 54=门巴族 55=珞巴族 "
    "56=基诺族 97=其他 98=外国血统中国籍人士",
)

HEALTH = _t("health", "GB/T 2261.3", "1=健康或良好 2=一般或较弱 3=有慢性病 6=残疾")

OVERSEAS_STATUS = _t(
    "overseasStatus",
    "港澳台侨外 (national student record)",
    "00=否 01=香港同胞 02=香港同胞亲属 03=澳门同胞 04=澳门同胞亲属 05=台湾同胞 06=台湾同胞亲属 "
    "07=华侨 08=侨眷 09=归侨 10=归侨子女 11=归国留学人员 12=非华裔中国人 13=外籍华裔人 "
    "14=外籍非华裔人 15=中外混血儿 99=其他",
)

RELATION = _t(
    "relation",
    "GB/T 4761",
    "51=父亲 52=母亲 57=继父 58=继母 59=其他父母关系 61=祖父 62=祖母 63=外祖父 64=外祖母 "
    "71=兄 73=弟 75=姐 77=妹 97=其他亲属 99=非亲属",
)

HOUSEHOLD_KIND = _t("householdKind", "户口性质", "1=农业户口 2=非农业户口 3=居民户口")

ENTRY_WAY = _t(
    "entryWay",
    "入学方式 (national student record)",
    "1=就近入学 2=相对就近入学 3=调剂 4=统一招生考试 5=民办学校招生 6=随班就读 7=送教上门 9=其他",
)

STUDY_MODE = _t("studyMode", "就读方式 (national student record)", "1=走读 2=住校 3=借宿 9=其他")

LEFT_BEHIND = _t("leftBehind", "留守儿童 (national student record)", "0=非留守儿童 1=单亲外出务工 2=双亲外出务工")

DISABILITY = _t(
    "disability",
    "残疾类型 (GB/T 26341)",
    "1=视力残疾 2=听力残疾 3=言语残疾 4=肢体残疾 5=智力残疾 6=精神残疾 7=多重残疾 9=其他",
)

TABLES: dict[str, CodeTable] = {
    t.name: t
    for t in (SEX, ETHNICITY, HEALTH, OVERSEAS_STATUS, RELATION, HOUSEHOLD_KIND, ENTRY_WAY, STUDY_MODE, LEFT_BEHIND, DISABILITY)
}
