"""A synthetic city in the settlement input format: deterministic, realistic, fast.

`generate_city` draws households, persons, certificates, enrolment and several
years of medical cases with numpy (one `Generator` seeded by `seed`, so the same
seed gives the same city, byte for byte); `write_city` writes it as the folder of
CSV files (or the one JSON file) that `medgraph.settlement.read_input` reads.

Every share and distribution is a named constant below with what it rests on;
docs/synth.md explains them. Figures from the source documents are marked with
the document; the rest are assumptions, chosen to be plausible for a large
Chinese city and said to be assumptions. The hard cases the settlement and the
gap finders must handle (expired certificates, missing referrals, recipients not
enrolled, households just above an eligibility line, several sick members in one
household) occur at their documented rates and, in a small city, at least
`HARD_CASE_FLOOR` times each, so that every city shows every one of them.

>>> city = generate_city(200, seed=7)
>>> len(city.person_household), city.n_cases > 200
(200, True)
>>> generate_city(200, seed=7).total_cents.tolist() == city.total_cents.tolist()
True
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medgraph.loaders.districts import districts
from medgraph.loaders.errors import InputError

# -- Population -------------------------------------------------------------------------------
# Household sizes 1..6: shares of family households by size in China's 7th population census
# (2020): 1 person 25.4 %, 2: 29.7 %, 3: 20.9 %, 4: 13.2 %, 5: 6.2 %, 6 and more: 4.6 %
# (assumption: the census is not among the source documents; average size 2.62).
HOUSEHOLD_SIZE_SHARES = (0.254, 0.297, 0.209, 0.132, 0.062, 0.046)
# Age bands (lower, upper inclusive, share): 7th census 2020, 0-14 17.95 %, 15-59 63.35 %,
# 60 and over 18.70 % (assumption, same source); ages uniform inside a band, oldest 95.
AGE_BANDS = ((0, 14, 0.1795), (15, 59, 0.6335), (60, 95, 0.1870))
# The first member of a household (its head) is an adult.
HEAD_MIN_AGE = 18

# -- Beneficiary categories -------------------------------------------------------------------
# Hu & Wang 2022 (001) Table 2: 99.84 million persons had subsidised enrolment in 2020, of
# 1,016 million enrolled in resident medical insurance (001 §二(一)): 9.8 % nationally. That
# figure is swollen by the registered rural poor of 2020; Hangzhou is rich and its rural poor
# few, so the city takes a lower share (assumption).
NATIONAL_ASSISTED_SHARE = 9984.0 / 101600.0
CITY_ASSISTED_SHARE = 0.05
# How the assisted persons split between the glossary categories (persons holding the
# category / assisted persons; assumption). 002 二(二) names the certificates that make a
# person a recipient: destitute, minimum-living, marginal, grade 1-2 disability, children in
# distress; the rural relapse-risk population (001 Table 1) and veterans complete it.
CATEGORY_SPLIT = {
    "minimum_living": 0.34,
    "marginal_low_income": 0.20,
    "severe_disability": 0.20,
    "rural_relapse_risk": 0.10,
    "destitute": 0.05,
    "temporary_assistance": 0.05,
    "entitled_veteran": 0.04,
    "children_in_distress": 0.02,
}
# Certificates held by the whole household (家庭证, 002 二(二)); the others are personal.
HOUSEHOLD_CATEGORIES = ("minimum_living", "marginal_low_income", "rural_relapse_risk")
# Who may hold a personal category: destitute persons live alone (特困供养); children in
# distress are under 18; veterans are 40 or older (assumptions).
CHILD_MAX_AGE = 17
VETERAN_MIN_AGE = 40
# Certificate validity (assumption): most were granted before the first year and last past
# the last; NEWLY_GRANTED_SHARE start during the period; EXPIRED_SHARE end during it and are
# not renewed (the hard case "care after the certificate expired").
NEWLY_GRANTED_SHARE = 0.20
EXPIRED_SHARE = 0.12
# Share of newly granted minimum-living and marginal certificates granted because of medical
# expenditure (因病纳入低保、低边的支出型困难人员, 002 二(二)), which the 6-month look-back
# covers (assumption). Temporary assistance for illness is always due to illness (glossary).
DUE_TO_ILLNESS_SHARE = 0.30
# Temporary assistance lasts 3 to 12 months (assumption).
TEMPORARY_MONTHS = (3, 12)

# -- Enrolment --------------------------------------------------------------------------------
# Residents not enrolled in basic medical insurance (assumption: national resident coverage
# is above 95 %). Recipients: 001 reports 99.9 % enrolment of the poor in 2020, so 0.1 % are
# not enrolled although 002 一 sets the target at 100 %.
NOT_ENROLLED_SHARE = 0.03
RECIPIENT_NOT_ENROLLED_SHARE = 0.001
# Huiminbao (西湖益联保) is bought: 000 §3.2 开放投保, 150 yuan a person a year, open to those
# in basic insurance. Share of the insured who buy it (assumption: no document gives the
# take-up; city-sponsored products of this kind reached well under half of the insured in
# their first years). The same share for recipients, whose premium the government pays
# (002 二(四)): the documents do not say how many of them are signed up. Drawn from its own
# generator, so the rest of the city is the same with or without it.
HUIMINBAO_TAKE_UP = 0.4
# Hangzhou's districts and counties with their population shares: assumptions, from outside
# the documents (data/hangzhou/districts/districts.yaml says where from).
DISTRICTS = districts("hangzhou")

# -- Care -------------------------------------------------------------------------------------
# Settled cases per person per year at age 0-14 / 15-44 / 45-64 / 65+ (assumption, about a
# third of China's 6 outpatient visits a year reach an insurance settlement worth recording;
# inpatient admissions near the national rate of about 0.18 a year, rising with age).
AGE_EDGES = (15, 45, 65)
OUTPATIENT_RATE = (0.9, 0.45, 0.7, 1.1)
INPATIENT_RATE = (0.10, 0.08, 0.16, 0.35)
# Share with a chronic condition treated as outpatient_chronic (门诊慢特病, 000 §3.1), and
# their settlements a year (assumption: quarterly prescriptions).
CHRONIC_PREVALENCE = (0.01, 0.04, 0.15, 0.30)
CHRONIC_VISITS = 4.0
# Recipients fall ill more often: illness is the first cause of poverty (001 §一) (assumption).
RECIPIENT_ILLNESS_FACTOR = 1.6
# Costs in yuan: lognormal (median, sigma) by setting (assumption, near national averages of
# about 300 yuan per outpatient visit and 10,000 yuan per admission).
COST_LOGNORMAL = {
    "outpatient_general": (150.0, 0.8),
    "outpatient_chronic": (450.0, 0.7),
    "inpatient": (7_000.0, 0.9),
}
# The heavy tail of inpatient care (cancer, transplants, ICU): this share of admissions
# is drawn from a Pareto tail above SEVERE_MIN yuan (shape SEVERE_PARETO), capped at
# SEVERE_MAX (assumption).
SEVERE_SHARE = 0.03
SEVERE_MIN = 60_000.0
SEVERE_PARETO = 1.8
SEVERE_MAX = 2_000_000.0
# Policy-scope cost as a share of total cost: Beta(a, b) by setting (assumption); severe
# cases carry more out-of-catalogue drugs and devices (000 §4.3: 医保目录外费用较高).
SCOPE_BETA = {
    "outpatient_general": (18.0, 2.0),
    "outpatient_chronic": (19.0, 1.0),
    "inpatient": (17.0, 3.0),
    "severe": (6.0, 4.0),
}
# Facility level shares (village, township, county, city, provincial) by setting
# (assumption; 004 describes the village -> township -> county path of a county pilot).
LEVELS = ("village", "township", "county", "city", "provincial")
LEVEL_SHARES = {
    "outpatient_general": (0.30, 0.35, 0.20, 0.12, 0.03),
    "outpatient_chronic": (0.05, 0.40, 0.32, 0.18, 0.05),
    "inpatient": (0.0, 0.15, 0.45, 0.28, 0.12),
    "severe": (0.0, 0.0, 0.10, 0.40, 0.50),
}
# Care above county level needs a referral (002 二(二): 未按规定转诊…不纳入医疗救助范围);
# this share of such cases has none (assumption). Other care counts as referred.
MISSING_REFERRAL_SHARE = 0.08
REFERRAL_LEVELS = ("city", "provincial")

# -- Hard cases -------------------------------------------------------------------------------
# Households just above an eligibility line: no certificate, but a family member with a
# severe illness (the cliff effect, 悬崖效应, 001 §三) (assumption).
NEAR_LINE_SHARE = 0.01
# Households with two or more members admitted in the same year (assumption).
MULTI_SICK_SHARE = 0.005
# Each hard case appears at least this many times, however small the city.
HARD_CASE_FLOOR = 3

SETTINGS = ("inpatient", "outpatient_general", "outpatient_chronic")
CATEGORIES = tuple(CATEGORY_SPLIT)
_IN, _OG, _OC = 0, 1, 2  # indices into SETTINGS


@dataclass
class City:
    """A synthetic city as columns (index arrays into persons, categories, settings, levels)."""

    years: tuple[int, int]
    start: dt.date
    person_household: np.ndarray  # household index per person
    birth_year: np.ndarray
    enrolled: np.ndarray  # bool
    cert_person: np.ndarray
    cert_category: np.ndarray  # index into CATEGORIES
    cert_from: np.ndarray  # days since `start`
    cert_to: np.ndarray
    cert_illness: np.ndarray  # bool
    case_person: np.ndarray
    case_day: np.ndarray
    case_setting: np.ndarray  # index into SETTINGS
    total_cents: np.ndarray
    scope_cents: np.ndarray
    referred: np.ndarray  # bool
    case_level: np.ndarray  # index into LEVELS
    near_line_households: np.ndarray  # household indices (for docs and tests)
    multi_sick_households: np.ndarray
    huiminbao: np.ndarray | None = None  # bool: bought huiminbao (HUIMINBAO_TAKE_UP)
    household_district: np.ndarray | None = None  # index into DISTRICTS, one per household

    @property
    def n_persons(self) -> int:
        return len(self.person_household)

    @property
    def n_cases(self) -> int:
        return len(self.case_person)

    @property
    def n_days(self) -> int:
        return _date_days(self.start, dt.date(self.years[1], 12, 31)) + 1


def parse_years(text: str) -> tuple[int, int]:
    """'2023-2025' -> (2023, 2025); one year '2024' -> (2024, 2024).

    >>> parse_years("2023-2025")
    (2023, 2025)
    """
    first, _, last = text.partition("-")
    try:
        years = (int(first), int(last or first))
    except ValueError:
        raise InputError("--years", f"{text!r} is not YEAR or YEAR-YEAR", field="years") from None
    if not 1990 <= years[0] <= years[1] <= 2100:
        raise InputError("--years", f"{text!r}: years out of order or range", field="years")
    return years


def _by_age(age: np.ndarray, values: tuple[float, ...]) -> np.ndarray:
    return np.asarray(values)[np.searchsorted(AGE_EDGES, age, side="right")]


def _date_days(start: dt.date, day: dt.date) -> int:
    return (day - start).days


def generate_city(persons: int, seed: int, years: tuple[int, int] = (2023, 2025)) -> City:
    """Draw a city of `persons` persons; the same arguments give the same city."""
    if persons < 1:
        raise InputError("--persons", "must be at least 1", field="persons")
    rng = np.random.default_rng(seed)
    start = dt.date(years[0], 1, 1)
    n_days = _date_days(start, dt.date(years[1], 12, 31)) + 1
    year_starts = np.array([_date_days(start, dt.date(y, 1, 1)) for y in
                            range(years[0], years[1] + 2)])

    # Households: draw sizes until they hold everyone; the last one is cut to fit.
    sizes = rng.choice(np.arange(1, 7), size=persons, p=HOUSEHOLD_SIZE_SHARES)
    ends = np.cumsum(sizes)
    n_households = int(np.searchsorted(ends, persons)) + 1
    sizes = sizes[:n_households]
    sizes[-1] -= int(ends[n_households - 1]) - persons
    household = np.repeat(np.arange(n_households), sizes)
    first_of_household = np.r_[0, np.cumsum(sizes)[:-1]]
    size_of = sizes[household]

    # Ages: bands by share, uniform within; heads of household are adults.
    band = rng.choice(len(AGE_BANDS), size=persons, p=[b[2] for b in AGE_BANDS])
    low = np.array([b[0] for b in AGE_BANDS])[band]
    high = np.array([b[1] for b in AGE_BANDS])[band]
    age = low + np.floor(rng.random(persons) * (high - low + 1)).astype(np.int64)
    heads = first_of_household
    age[heads] = np.maximum(age[heads], HEAD_MIN_AGE + (age[heads] % 40))
    birth_year = years[0] - age

    # Categories. Household ones: one draw per household, shared by its members.
    n_assisted = CITY_ASSISTED_SHARE * persons
    holds = np.zeros((persons, len(CATEGORIES)), dtype=bool)
    u = rng.random(n_households)
    edge = 0.0
    hh_category = np.full(n_households, -1)
    for code in HOUSEHOLD_CATEGORIES:
        share = CATEGORY_SPLIT[code] * n_assisted / persons  # of persons = of households
        chosen = (u >= edge) & (u < edge + share)
        hh_category[chosen] = CATEGORIES.index(code)
        edge += share
    member_cat = hh_category[household]
    holds[np.arange(persons)[member_cat >= 0], member_cat[member_cat >= 0]] = True
    # Personal ones: drawn among those who may hold them, to reach the split in persons.
    alone_old = (size_of == 1) & (age >= 60)
    pools = {
        "destitute": alone_old,
        "children_in_distress": age <= CHILD_MAX_AGE,
        "entitled_veteran": age >= VETERAN_MIN_AGE,
        "severe_disability": np.ones(persons, dtype=bool),
        "temporary_assistance": member_cat < 0,
    }
    draws = rng.random((persons, len(pools)))
    for j, (code, pool) in enumerate(pools.items()):
        p = min(1.0, CATEGORY_SPLIT[code] * n_assisted / max(1, int(pool.sum())))
        holds[:, CATEGORIES.index(code)] |= pool & (draws[:, j] < p)
    recipient = holds.any(axis=1)

    # Certificates: one per person and category; household certificates share their dates.
    cert_person, cert_category = np.nonzero(holds)
    n_certs = len(cert_person)
    # Dates are drawn per household for household categories, per person otherwise, by
    # keying the draw on (household or person) and category.
    personal = ~np.isin(cert_category, [CATEGORIES.index(c) for c in HOUSEHOLD_CATEGORIES])
    key = np.where(personal, n_households + cert_person, household[cert_person])
    kind_u = rng.random((persons + n_households, 4))[key]
    valid_from = -np.floor(kind_u[:, 0] * 3 * 365).astype(np.int64) - 1
    valid_to = n_days + np.floor(kind_u[:, 1] * 2 * 365).astype(np.int64)
    new = kind_u[:, 2] < NEWLY_GRANTED_SHARE
    valid_from[new] = np.floor(kind_u[new, 3] * (n_days - 90)).astype(np.int64)
    expired = (kind_u[:, 2] >= NEWLY_GRANTED_SHARE) & (
        kind_u[:, 2] < NEWLY_GRANTED_SHARE + EXPIRED_SHARE)
    valid_to[expired] = 60 + np.floor(kind_u[expired, 3] * (n_days - 120)).astype(np.int64)
    illness = np.zeros(n_certs, dtype=bool)
    spending = np.isin(cert_category, [CATEGORIES.index("minimum_living"),
                                       CATEGORIES.index("marginal_low_income")])
    illness[new & spending] = (kind_u[new & spending, 0] < DUE_TO_ILLNESS_SHARE)
    temporary = cert_category == CATEGORIES.index("temporary_assistance")
    illness[temporary] = True
    temp_from = np.floor(kind_u[temporary, 3] * (n_days - 90)).astype(np.int64)
    months = TEMPORARY_MONTHS[0] + np.floor(
        kind_u[temporary, 1] * (TEMPORARY_MONTHS[1] - TEMPORARY_MONTHS[0] + 1))
    valid_from[temporary] = temp_from
    valid_to[temporary] = temp_from + (months * 30.4).astype(np.int64)

    # Enrolment.
    enrolled = rng.random(persons) >= np.where(recipient, RECIPIENT_NOT_ENROLLED_SHARE,
                                               NOT_ENROLLED_SHARE)

    # Hard-case households.
    no_category = np.ones(n_households, dtype=bool)
    no_category[household[recipient]] = False
    near_line = _pick(rng, np.nonzero(no_category)[0], NEAR_LINE_SHARE)
    multi = _pick(rng, np.nonzero((sizes >= 2) & ~np.isin(np.arange(n_households), near_line))[0],
                  MULTI_SICK_SHARE)

    # Case counts per person and year, by setting.
    n_years = years[1] - years[0] + 1
    factor = np.where(recipient, RECIPIENT_ILLNESS_FACTOR, 1.0)
    chronic = rng.random(persons) < _by_age(age, CHRONIC_PREVALENCE) * factor
    rates = np.stack([
        _by_age(age, INPATIENT_RATE) * factor,
        _by_age(age, OUTPATIENT_RATE) * factor,
        np.where(chronic, CHRONIC_VISITS, 0.0),
    ], axis=1)
    counts = rng.poisson(np.repeat(rates[:, None, :], n_years, axis=1))  # person, year, setting
    person_idx, year_idx, setting_idx = np.nonzero(counts)
    reps = counts[person_idx, year_idx, setting_idx]
    case_person = np.repeat(person_idx, reps)
    case_year = np.repeat(year_idx, reps)
    case_setting = np.repeat(setting_idx, reps)
    severe = (case_setting == _IN) & (rng.random(len(case_person)) < SEVERE_SHARE)

    # Injected severe admissions: one member of each near-line household, and two members of
    # each multi-sick household in the same year.
    extra_person = [first_of_household[near_line]]
    extra_year = [rng.integers(0, n_years, len(near_line))]
    second = first_of_household[multi] + 1
    multi_year = rng.integers(0, n_years, len(multi))
    extra_person += [first_of_household[multi], second]
    extra_year += [multi_year, multi_year]
    extra_person_a = np.concatenate(extra_person)
    extra_year_a = np.concatenate(extra_year)
    case_person = np.r_[case_person, extra_person_a]
    case_year = np.r_[case_year, extra_year_a]
    case_setting = np.r_[case_setting, np.full(len(extra_person_a), _IN)]
    severe = np.r_[severe, np.ones(len(extra_person_a), dtype=bool)]

    # Dates: a day within the case's year.
    year_len = year_starts[case_year + 1] - year_starts[case_year]
    case_day = year_starts[case_year] + np.floor(rng.random(len(case_person)) * year_len)
    case_day = case_day.astype(np.int64)

    # Costs and policy scope.
    n_cases = len(case_person)
    total = np.empty(n_cases)
    scope_share = np.empty(n_cases)
    z = rng.standard_normal(n_cases)
    b = rng.random((n_cases, 2))
    for s, name in enumerate(SETTINGS):
        rows = case_setting == s
        median, sigma = COST_LOGNORMAL[name]
        total[rows] = median * np.exp(sigma * z[rows])
        a_, b_ = SCOPE_BETA[name]
        scope_share[rows] = rng.beta(a_, b_, int(rows.sum()))
    total[severe] = np.minimum(SEVERE_MIN * (1.0 - b[severe, 0]) ** (-1.0 / SEVERE_PARETO),
                               SEVERE_MAX)
    scope_share[severe] = rng.beta(*SCOPE_BETA["severe"], int(severe.sum()))
    total_cents = np.maximum(np.round(total * 100), 100).astype(np.int64)
    scope_cents = np.floor(total_cents * scope_share).astype(np.int64)

    # Facility levels and referrals.
    level = np.empty(n_cases, dtype=np.int64)
    level_u = b[:, 1]
    for name, rows in ((n, (case_setting == SETTINGS.index(n)) & ~severe) for n in SETTINGS):
        level[rows] = np.searchsorted(np.cumsum(LEVEL_SHARES[name]), level_u[rows], side="right")
    level[severe] = np.searchsorted(np.cumsum(LEVEL_SHARES["severe"]), level_u[severe],
                                    side="right")
    level = np.minimum(level, len(LEVELS) - 1)
    needs_referral = np.isin(level, [LEVELS.index(v) for v in REFERRAL_LEVELS])
    referred = ~(needs_referral & (rng.random(n_cases) < MISSING_REFERRAL_SHARE))

    city = City(
        years=years, start=start, person_household=household, birth_year=birth_year,
        enrolled=enrolled, cert_person=cert_person, cert_category=cert_category,
        cert_from=valid_from, cert_to=valid_to, cert_illness=illness,
        case_person=case_person, case_day=case_day, case_setting=case_setting,
        total_cents=total_cents, scope_cents=scope_cents, referred=referred,
        case_level=level, near_line_households=near_line, multi_sick_households=multi,
    )
    _ensure_hard_cases(city, rng, recipient, expired)
    take_up = np.random.default_rng([seed, 14])
    city.huiminbao = city.enrolled & (take_up.random(persons) < HUIMINBAO_TAKE_UP)
    # Districts: a stream of their own, so that adding them changed no other draw; each
    # household in one, with probability population / total (data/hangzhou/districts/)
    city.household_district = np.random.default_rng([seed, 15]).choice(
        len(DISTRICTS), size=int(household.max()) + 1, p=[d.share for d in DISTRICTS])
    order = np.lexsort((city.case_person, city.case_day))  # by date, then person
    for name in ("case_person", "case_day", "case_setting", "total_cents", "scope_cents",
                 "referred", "case_level"):
        setattr(city, name, getattr(city, name)[order])
    return city


def _pick(rng: np.random.Generator, pool: np.ndarray, share: float) -> np.ndarray:
    """`share` of `pool`, at least HARD_CASE_FLOOR (or all of a smaller pool), in order."""
    k = min(len(pool), max(HARD_CASE_FLOOR, int(round(share * len(pool)))))
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else pool[:0]


def _ensure_hard_cases(city: City, rng: np.random.Generator, recipient: np.ndarray,
                       expired: np.ndarray) -> None:
    """Top up the rare hard cases to HARD_CASE_FLOOR in a small city (changes arrays in place).

    Recipients not enrolled: enrolment is withdrawn from recipients with care. Missing
    referrals: referrals are withdrawn from recipients' care above county level. Care after
    an expired certificate: a case is moved after the certificate's end.
    """
    with_care = np.zeros(city.n_persons, dtype=bool)
    with_care[city.case_person] = True
    lacking = HARD_CASE_FLOOR - int((recipient & ~city.enrolled & with_care).sum())
    if lacking > 0:
        pool = np.nonzero(recipient & city.enrolled & with_care)[0]
        city.enrolled[rng.choice(pool, size=min(lacking, len(pool)), replace=False)] = False

    high = np.isin(city.case_level, [LEVELS.index(v) for v in REFERRAL_LEVELS])
    of_recipient = recipient[city.case_person]
    lacking = HARD_CASE_FLOOR - int((high & of_recipient & ~city.referred).sum())
    if lacking > 0:
        pool = np.nonzero(of_recipient & city.referred)[0]
        chosen = rng.choice(pool, size=min(lacking, len(pool)), replace=False)
        city.case_level[chosen] = LEVELS.index("city")
        city.referred[chosen] = False

    last_day = city.n_days - 1
    ends = city.cert_to[expired]
    holders = city.cert_person[expired]
    first_case = np.full(city.n_persons, -1)
    first_case[city.case_person[::-1]] = np.arange(city.n_cases)[::-1]
    after = _expired_with_later_care(city, holders, ends)
    lacking = HARD_CASE_FLOOR - after
    for person, end in zip(holders.tolist(), ends.tolist(), strict=True):
        if lacking <= 0:
            break
        case = first_case[person]
        if case < 0 or end >= last_day:
            continue
        city.case_day[case] = min(last_day, end + 1 + int(rng.integers(0, 60)))
        lacking -= 1


def _expired_with_later_care(city: City, holders: np.ndarray, ends: np.ndarray) -> int:
    """How many expired certificates have a case of their holder after the end date."""
    last = np.full(city.n_persons, -1)
    np.maximum.at(last, city.case_person, city.case_day)
    return int((last[holders] > ends).sum())



# -- Writing ----------------------------------------------------------------------------------
CSV_CHUNK = 200_000  # rows turned into text at a time: bounds memory at a million persons
PERSON_COLUMNS = ("id", "household_id", "enrolled", "birth_year", "huiminbao", "district")
CERTIFICATE_COLUMNS = ("person_id", "category", "valid_from", "valid_to", "due_to_illness")
CASE_COLUMNS = ("id", "person_id", "date", "setting", "total_cost", "policy_scope_cost",
                "referred", "facility_level", "paid_basic_medical_insurance",
                "paid_critical_illness_insurance")
_BOOL = np.array(["false", "true"], dtype=object)


class _Text:
    """Turns the city's index columns into text, a slice at a time."""

    def __init__(self, city: City, prefix: str = "") -> None:
        self.city = city
        self.prefix = prefix
        self.person_width = max(6, len(str(city.n_persons)))
        self.household_width = max(6, len(str(int(city.person_household.max()) + 1)))
        self.case_width = max(6, len(str(city.n_cases)))
        low = int(min(city.cert_from.min(initial=0), 0))
        high = int(max(city.cert_to.max(initial=0), city.n_days))
        self.day0 = low
        self.dates = np.array([(city.start + dt.timedelta(days=d)).isoformat()
                               for d in range(low, high + 1)], dtype=object)
        self.cents = np.array([f".{c:02d}" for c in range(100)], dtype=object)

    def ids(self, prefix: str, index: np.ndarray, width: int) -> list[str]:
        return [f"{self.prefix}{prefix}{i:0{width}d}" for i in (index + 1).tolist()]

    def persons(self, index: np.ndarray) -> list[str]:
        return self.ids("P", index, self.person_width)

    def households(self, index: np.ndarray) -> list[str]:
        return self.ids("H", index, self.household_width)

    def day(self, days: np.ndarray) -> list[str]:
        return self.dates[days - self.day0].tolist()

    def money(self, cents: np.ndarray) -> list[str]:
        whole = (cents // 100).astype(str).astype(object)
        return (whole + self.cents[cents % 100]).tolist()


def _write_csv(path: Path, header: tuple[str, ...], n: int, columns) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(header) + "\n")
        for start in range(0, n, CSV_CHUNK):
            rows = zip(*columns(slice(start, min(n, start + CSV_CHUNK))), strict=True)
            out.write("".join(",".join(row) + "\n" for row in rows))


def write_csv(city: City, out: Path, prefix: str = "") -> list[Path]:
    """persons.csv, certificates.csv and cases.csv in `out`; every id starts with `prefix`."""
    text = _Text(city, prefix)
    out.mkdir(parents=True, exist_ok=True)
    persons, certificates, cases = (out / f for f in
                                    ("persons.csv", "certificates.csv", "cases.csv"))
    categories = np.array(CATEGORIES, dtype=object)
    settings = np.array(SETTINGS, dtype=object)
    levels = np.array(LEVELS, dtype=object)
    district_codes = np.array([d.code for d in DISTRICTS], dtype=object)

    def person_columns(rows: slice) -> list[list[str]]:
        index = np.arange(city.n_persons)[rows]
        return [text.persons(index), text.households(city.person_household[rows]),
                _BOOL[city.enrolled[rows].astype(int)].tolist(),
                city.birth_year[rows].astype(str).tolist(),
                _BOOL[city.huiminbao[rows].astype(int)].tolist(),
                district_codes[city.household_district[city.person_household[rows]]].tolist()]

    def certificate_columns(rows: slice) -> list[list[str]]:
        return [text.persons(city.cert_person[rows]), categories[city.cert_category[rows]].tolist(),
                text.day(city.cert_from[rows]), text.day(city.cert_to[rows]),
                _BOOL[city.cert_illness[rows].astype(int)].tolist()]

    def case_columns(rows: slice) -> list[list[str]]:
        index = np.arange(city.n_cases)[rows]
        empty = [""] * len(index)
        return [text.ids("C", index, text.case_width), text.persons(city.case_person[rows]),
                text.day(city.case_day[rows]), settings[city.case_setting[rows]].tolist(),
                text.money(city.total_cents[rows]), text.money(city.scope_cents[rows]),
                _BOOL[city.referred[rows].astype(int)].tolist(),
                levels[city.case_level[rows]].tolist(), empty, empty]

    _write_csv(persons, PERSON_COLUMNS, city.n_persons, person_columns)
    _write_csv(certificates, CERTIFICATE_COLUMNS, len(city.cert_person), certificate_columns)
    _write_csv(cases, CASE_COLUMNS, city.n_cases, case_columns)
    return [persons, certificates, cases]


def records(city: City, prefix: str = "") -> tuple[list[dict], list[dict]]:
    """Persons (each with its certificates) and cases as dicts, as in the JSON format."""
    text = _Text(city, prefix)
    certs: list[list[dict]] = [[] for _ in range(city.n_persons)]
    for person, category, start, end, illness in zip(
            city.cert_person.tolist(), [CATEGORIES[c] for c in city.cert_category.tolist()],
            text.day(city.cert_from), text.day(city.cert_to), city.cert_illness.tolist(),
            strict=True):
        certs[person].append({"category": category, "valid_from": start, "valid_to": end,
                              "due_to_illness": illness})
    persons = [
        {"id": pid, "household_id": hid, "enrolled": enrolled, "birth_year": year,
         "huiminbao": huiminbao, "district": DISTRICTS[district].code, "certificates": held}
        for pid, hid, enrolled, year, huiminbao, district, held in zip(
            text.persons(np.arange(city.n_persons)), text.households(city.person_household),
            city.enrolled.tolist(), city.birth_year.tolist(), city.huiminbao.tolist(),
            city.household_district[city.person_household].tolist(), certs, strict=True)
    ]
    cases = [
        {"id": cid, "person_id": pid, "date": date, "setting": SETTINGS[s],
         "total_cost": total / 100, "policy_scope_cost": scope / 100, "referred": referred,
         "facility_level": LEVELS[level]}
        for cid, pid, date, s, total, scope, referred, level in zip(
            text.ids("C", np.arange(city.n_cases), text.case_width),
            text.persons(city.case_person), text.day(city.case_day), city.case_setting.tolist(),
            city.total_cents.tolist(), city.scope_cents.tolist(), city.referred.tolist(),
            city.case_level.tolist(), strict=True)
    ]
    return persons, cases


def write_json(city: City, out: Path, prefix: str = "") -> list[Path]:
    """One file, city.json, in `out`: persons with their certificates, and cases."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "city.json"
    persons, cases = records(city, prefix)
    with path.open("w", encoding="utf-8") as handle:
        json.dump({"persons": persons, "cases": cases}, handle, ensure_ascii=False,
                  separators=(",", ":"))
        handle.write("\n")
    return [path]


PREFIX = re.compile(r"^[A-Za-z0-9_.-]{0,32}$")


def id_prefix(seed: int, prefix: str | None = None) -> str:
    """What every id of a city starts with: `prefix`, or the seed (`s7-P000001`), so that two
    cities loaded side by side never share an id.

    >>> id_prefix(7), id_prefix(7, "north-"), id_prefix(7, "")
    ('s7-', 'north-', '')
    """
    if prefix is None:
        return f"s{seed}-"
    if not PREFIX.match(prefix):
        raise InputError("--prefix", f"{prefix!r}: use at most 32 letters, digits, '_', '.' "
                         "or '-'", field="prefix")
    return prefix


def write_city(out: Path | str, *, persons: int, seed: int,
               years: tuple[int, int] = (2023, 2025), fmt: str = "csv",
               prefix: str | None = None) -> list[Path]:
    """Generate a city and write it to the folder `out`; returns the files written.

    Ids start with `prefix`, by default with the seed (id_prefix)."""
    start = id_prefix(seed, prefix)
    writer = {"csv": write_csv, "json": write_json}.get(fmt)
    if writer is None:
        raise InputError("--format", f"{fmt!r} is not csv or json", field="format")
    return writer(generate_city(persons, seed, years), Path(out), start)
