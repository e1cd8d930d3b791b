"""A realistic, reproducible population of Henan dossiers for the benchmarks: real GB/T
2260 division codes, 100 schools across seven cities besides the demo ones, grades by
school kind, valid resident ID numbers (birth county, birth date by grade, sex parity,
MOD 11-2 check character), guardians with their own ID numbers, varied completeness, and
section entries for some students. A sample of the dossiers (every 16th) goes through `check_dossier`
and `parse_id_document`, their entries through the section schemas."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.dossier import BasicData, Dossier, Flags, Guardian, SchoolStatus, check_dossier
from domain.enrolment import GRADES, completeness_deadline
from domain.identity import IdDocKind, IdDocument, Sex, mod11_check_digit, parse_id_document
from domain.jurisdiction import Area, Ownership, School, SchoolKind
from domain.ports import Change, SectionEntry
from domain.sections import INITIAL_SCHEMAS, Section, validate_entry
from domain.student_number import permanent_number
from storage.demo import AREAS as DEMO_AREAS
from storage.demo import SCHOOLS as DEMO_SCHOOLS

# City → (name, counties). Real GB/T 2260 codes and names.
CITIES: dict[str, tuple[str, dict[str, str]]] = {
    "410100": ("郑州市", {"410102": "中原区", "410103": "二七区", "410104": "管城回族区", "410105": "金水区",
                          "410108": "惠济区", "410122": "中牟县", "410181": "巩义市", "410182": "荥阳市"}),
    "410200": ("开封市", {"410202": "龙亭区", "410204": "鼓楼区", "410212": "祥符区", "410225": "兰考县"}),
    "410300": ("洛阳市", {"410302": "老城区", "410303": "西工区", "410305": "涧西区", "410311": "洛龙区",
                          "410323": "新安县", "410327": "宜阳县"}),
    "410700": ("新乡市", {"410702": "红旗区", "410711": "牧野区", "410721": "新乡县", "410781": "卫辉市",
                          "410782": "辉县市"}),
    "411300": ("南阳市", {"411302": "宛城区", "411303": "卧龙区", "411381": "邓州市"}),
    "411600": ("周口市", {"411602": "川汇区", "411627": "太康县", "411681": "项城市"}),
}
COUNTY_NAMES = {code: name for _, (_, counties) in CITIES.items() for code, name in counties.items()}
CITY_NAMES = {code: name for code, (name, _) in CITIES.items()}
# Where the generated schools stand: the big urban county (the P2 "by county" list) first.
SCHOOLS_PER_COUNTY = {"410105": 16, "410102": 6, "410103": 5, "410104": 4, "410108": 3, "410122": 5, "410181": 3,
                      "410182": 3, "410202": 2, "410204": 2, "410212": 3, "410225": 3, "410302": 3, "410303": 3,
                      "410305": 3, "410311": 4, "410323": 2, "410327": 2, "410702": 3, "410711": 2, "410721": 2,
                      "410781": 2, "410782": 2, "411302": 3, "411303": 3, "411381": 3, "411602": 2, "411627": 2,
                      "411681": 2}
BIG_COUNTY = "410105"
BIG_COUNTY_DEPARTMENT = "jinshui.dept"

PLACES = ("经三路", "文化路", "纬五路", "农业路", "黄河路", "花园路", "丰产路", "东风路", "南阳路", "健康路",
          "建设路", "人民路", "解放路", "胜利街", "平原路", "中州路", "龙湖", "城关镇", "七里营镇", "柳林镇",
          "祭城", "杨金", "北林路", "凤凰台", "兴华街", "育英街", "红旗渠", "金水河", "关虎屯", "姚桥")
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁"
            "魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
GIVEN = ("子梓浩宇轩一涵欣怡俊杰雨晨佳琪思博文嘉睿泽明华强丽军芳伟娜静磊洋艳勇娟涛超秀霞平刚桂英鑫"
         "颖诗语若彤可馨铭昊然皓辰烨航晗瑶妍萱锦程楷豪宸逸凯乐天昕悦")
GRADE_NAMES = "一二三四五六七八九"
SCHOOL_YEAR = 2026  # the autumn of the current school year
CHECK_EVERY = 16  # every 16th dossier and its entries go through the domain's checks


@dataclass(frozen=True)
class PlacedSchool:
    school: School
    weight: float  # relative number of students


def areas() -> list[Area]:
    """The demo areas and every city and county the generated schools stand in."""
    out = {a.code: a for a in DEMO_AREAS}
    for city, (city_name, counties) in CITIES.items():
        out.setdefault(city, Area(city, city_name))
        for code, name in counties.items():
            out.setdefault(code, Area(code, name))
    return list(out.values())


def schools(seed: int = 2026) -> list[PlacedSchool]:
    """The demo schools and 100 generated ones, with how many students each has relative
    to the others (urban schools are bigger)."""
    rnd = random.Random(seed)
    placed = [PlacedSchool(s, 0.4 if s.kind in (SchoolKind.SPECIAL_EDUCATION, SchoolKind.WORK_STUDY) else 1.2)
              for s in DEMO_SCHOOLS]
    taken = {s.code for s in DEMO_SCHOOLS}
    kinds = [SchoolKind.PRIMARY] * 11 + [SchoolKind.JUNIOR_SECONDARY] * 5 + [SchoolKind.NINE_YEAR] * 3 + [SchoolKind.TWELVE_YEAR]
    suffix = {SchoolKind.PRIMARY: "小学", SchoolKind.JUNIOR_SECONDARY: "初级中学", SchoolKind.NINE_YEAR: "九年制学校",
              SchoolKind.TWELVE_YEAR: "实验学校"}
    for county, count in SCHOOLS_PER_COUNTY.items():
        urban = county[4:6] < "20"  # 市辖区 codes run 01-19
        for n in range(count):
            code = f"21{county}{11 + n:02d}"
            assert code not in taken
            kind = rnd.choice(kinds)
            place = PLACES[(n * 7 + int(county)) % len(PLACES)]
            name = f"{COUNTY_NAMES[county]}{place}{'第' + GRADE_NAMES[n % 9] if n >= len(PLACES) else ''}{suffix[kind]}"
            supervisor = county if rnd.random() > 0.05 else county[:4] + "00"  # a few 直管学校
            ownership = Ownership.PRIVATE if rnd.random() < 0.12 else Ownership.PUBLIC
            school = School(code, name, kind, ownership, county, supervisor, address=f"{COUNTY_NAMES[county]}{place}{n + 1}号")
            placed.append(PlacedSchool(school, rnd.uniform(0.7, 1.3) * (1.6 if urban else 1.0)))
            taken.add(code)
    return placed


@dataclass
class Generator:
    """Dossiers of the population, reproducibly; identity numbers never repeat, also across
    the `parts` generators that make one population in parallel."""

    placed: list[PlacedSchool]
    seed: int = 7
    part: int = 0  # generators with the same `parts` and different `part` never repeat a number
    parts: int = 1
    stamp_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _rnd: random.Random = field(init=False)
    _serials: dict[tuple[str, date, bool], int] = field(init=False, default_factory=dict)
    _cumulative: list[float] = field(init=False, default_factory=list)
    _counties: list[str] = field(init=False, default_factory=list)
    _made: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._rnd = random.Random(self.seed * 1000 + self.part)
        total = 0.0
        for p in self.placed:
            total += p.weight
            self._cumulative.append(total)
        self._counties = sorted({code for _, (_, c) in CITIES.items() for code in c})

    def _school(self) -> School:
        return self._rnd.choices(self.placed, cum_weights=self._cumulative)[0].school

    def _id_document(self, county: str, born: date, male: bool) -> IdDocument:
        """A resident ID card: birth county, birth date, a sequence whose parity is the sex,
        the MOD 11-2 check character. What `parse_id_document` makes of the number (checked
        on a sample of the dossiers)."""
        key = (county, born, male)
        n = self._serials.get(key, 0)
        self._serials[key] = n + 1
        seq = 2 * (n * self.parts + self.part) + (1 if male else 2)
        assert seq <= 999, "identity sequence exhausted"
        first17 = f"{county}{born:%Y%m%d}{seq:03d}"
        return IdDocument(IdDocKind.RESIDENT_ID, first17 + mod11_check_digit(first17), None, born, Sex.MALE if male else Sex.FEMALE)

    def _name(self, surname: str | None = None) -> str:
        r = self._rnd
        given = r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.8 else "")
        return (surname or r.choice(SURNAMES)) + given

    def _phone(self) -> str:
        r = self._rnd
        return f"1{r.choice('3578')}{r.randrange(10)}{r.randrange(10**8):08d}"

    def _adult(self, county: str, relation: str, surname: str | None, male: bool, child_born: date) -> Guardian:
        r = self._rnd
        born = child_born - timedelta(days=r.randrange(22 * 365, 40 * 365))
        return Guardian(
            name=self._name(surname),
            relation=relation,
            is_guardian=True,
            id_document=self._id_document(county, born, male),
            phone=self._phone(),
            employer=r.choice((None, None, "郑州宇通客车股份有限公司", "河南省人民医院", "个体经营", "务农", "中国移动河南分公司")),
        )

    def dossier(self) -> tuple[Dossier, Change, list[SectionEntry]]:
        r = self._rnd
        school = self._school()
        grades = GRADES[school.kind]
        grade = r.randint(grades.first, grades.last)
        # Born in the twelve months to 31 August that make the right age for the grade (Art. 4).
        year_born = SCHOOL_YEAR - 6 - (grade - 1)
        born = date(year_born - 1, 9, 1) + timedelta(days=r.randrange(365))
        first_grade = grades.first if school.kind in (SchoolKind.JUNIOR_SECONDARY, SchoolKind.WORK_STUDY) else 1
        entry_date = date(SCHOOL_YEAR - (grade - first_grade), 9, 1)
        county = school.area_code if r.random() < 0.8 else r.choice(self._counties)  # born elsewhere in Henan
        male = r.random() < 0.52
        id_document = self._id_document(county, born, male)
        number = permanent_number(id_document)
        assert number is not None
        surname = r.choice(SURNAMES)
        incomplete = r.random() < 0.08
        roll = r.random()
        if roll < 0.88:
            family = [self._adult(county, "51", surname, True, born), self._adult(county, "52", None, False, born)]
        elif roll < 0.95:
            family = [self._adult(county, "52" if r.random() < 0.6 else "51", surname, False, born)]
        else:  # left behind with grandparents
            family = [self._adult(county, "61", surname, True, born - timedelta(days=25 * 365)),
                      self._adult(county, "62", None, False, born - timedelta(days=25 * 365))]
        if incomplete and r.random() < 0.3:
            family = []
        migrant = county != school.area_code and r.random() < 0.6
        city_name = CITY_NAMES.get(school.city_code, "")
        basic = BasicData(
            name=self._name(surname),
            sex=Sex.MALE if male else Sex.FEMALE,
            birth_date=born,
            birth_place=county,
            native_place=county if r.random() < 0.9 else r.choice(self._counties),
            ethnicity=r.choices(("01", "03", "02", "11"), weights=(97, 2, 0.5, 0.5))[0],
            health=r.choices(("1", "2", "3"), weights=(95, 4, 1))[0],
            household_place=county,
            household_kind=r.choices(("3", "1", "2"), weights=(70, 20, 10))[0],
            address=f"{city_name}{COUNTY_NAMES.get(school.area_code, '')}{r.choice(PLACES)}{r.randint(1, 300)}号院{r.randint(1, 30)}号楼",
            phone=family[0].phone if family else self._phone(),
        )
        if incomplete:
            basic = BasicData(**{**basic.__dict__, r.choice(("address", "health", "household_kind", "native_place")): None})
        kind_grade = grade if first_grade == 1 else grade - 6
        class_name = (f"{GRADE_NAMES[grade - 1]}({r.randint(1, 8)})班" if first_grade == 1 or grade < 7
                      else f"初{GRADE_NAMES[kind_grade - 1]}({r.randint(1, 10)})班")
        dossier = Dossier(
            id=number,
            number=number,
            aliases=(),
            id_document=id_document,
            basic=basic,
            guardians=tuple(family),
            flags=Flags(
                only_child=r.random() < 0.4,
                preschool=r.random() < 0.95,
                left_behind="2" if roll >= 0.95 else r.choices(("0", "1"), weights=(93, 7))[0],
                migrant_child=migrant,
            ),
            status=SchoolStatus(school.code, grade, class_name, entry_date, r.choices(("1", "2", "3", "5"), weights=(85, 8, 4, 3))[0],
                                r.choices(("1", "2"), weights=(90, 10))[0]),
            complete_by=completeness_deadline(entry_date),
            created_at=self.stamp_at,
        )
        self._made += 1
        if self._made % CHECK_EVERY == 1:
            check_dossier(dossier)
            for doc in (dossier.id_document, *(g.id_document for g in dossier.guardians if g.id_document)):
                assert parse_id_document(doc.kind, doc.number, None) == doc
        return dossier, Change("ENROLLED", {"school": (None, school.code)}), self._entries(dossier)

    def _entries(self, d: Dossier) -> list[SectionEntry]:
        r = self._rnd
        out: list[SectionEntry] = []
        if r.random() < 0.12:
            out.append(self._entry(d, Section.HEALTH, {"date": f"{SCHOOL_YEAR}-10-{r.randint(10, 28)}", "kind": "HEALTH_CHECK",
                                                       "result": "合格", "heightCm": r.randint(110, 175), "weightKg": r.randint(18, 70)}))
        if r.random() < 0.05:
            out.append(self._entry(d, Section.AWARDS, {"date": f"{SCHOOL_YEAR}-06-0{r.randint(1, 9)}",
                                                       "title": r.choice(("三好学生", "优秀少先队员", "书法比赛一等奖", "科技创新大赛二等奖")),
                                                       "level": r.choice(("SCHOOL", "SCHOOL", "COUNTY", "CITY"))}))
        if r.random() < 0.05:
            out.append(self._entry(d, Section.QUALITY, {"term": f"{SCHOOL_YEAR - 1}-{SCHOOL_YEAR}-2", "category": "ACADEMIC",
                                                        "result": r.choice(("优秀", "良好", "合格"))}))
        return out

    def _entry(self, d: Dossier, section: Section, data: dict[str, Any]) -> SectionEntry:
        if self._made % CHECK_EVERY == 1:
            validate_entry(section, 1, INITIAL_SCHEMAS[section], data)
        return SectionEntry(uuid.UUID(int=self._rnd.getrandbits(128)).hex, d.id, section, 1, data, "system:import", self.stamp_at)

    def batches(self, count: int, size: int) -> Iterator[list[tuple[Dossier, Change, list[SectionEntry]]]]:
        while count > 0:
            n = min(size, count)
            yield [self.dossier() for _ in range(n)]
            count -= n
