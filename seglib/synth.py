"""Seeded demo data for the workbook: a home & lifestyle retailer with planted segments.

The retailer sells online, in store and by phone. :func:`generate` returns the
tables a real client would hand over (CRM customers, order history, a
psychographic survey, support contacts, web analytics and a brand-perception
survey) plus the hidden ``truth`` table naming each customer's planted segment;
:func:`write_demo` writes them as CSV files.

Everything is drawn from one ``np.random.default_rng(seed)`` with vectorised
numpy (no loop per customer or per order), so the same arguments give
byte-identical files and one million customers take well under a minute.
Calendar: orders fall between 2023-07-01 and 2025-06-30 inclusive, sign-ups
between 2021-01-01 and 2025-06-30; "today" is never used.

Planted segments (:data:`SEGMENTS`):

``occasion_store_loyalist``
    "Joe": 30-50, upper-middle income, nicer district, researches online but
    buys ~87% in store, 3-6 large orders a year, ~70% for holidays/birthdays,
    high margin, few social followers.
``young_online_influencer``
    "Sarah": 17-25, low income, buys online, small orders about monthly, very
    web savvy, 1,000-5,000 followers, came through social media, impulsive.
``bargain_hunter``
    25-65, lower-middle income, half online half in store, 6-8 small
    discount orders a year (low margin), price sensitive, many returns.
``trade_bulk``
    Builders, contractors, interior designers, cafe owners: phone (~60%) and
    store, 2-3 very large orders a month at trade margins, tools and furniture.
``new_customer``
    Signed up in the last 60 days of the window, exactly one order.
``prospect``
    Registered (and mostly seen on the website) but never ordered.

Customers of the first four segments have at least two orders; some 15-25%
churn part-way through the window, so recency varies. New customers and
prospects borrow the demographics and tastes of one of the four established
profiles, as real newcomers would.

Currency: USD for ``locale="en"``; VND for ``locale="vi"`` (about USD x
25,000, amounts in whole thousands). Names, places, competitor brands and the
coded values (gender, occupation, channel, category, contact reason, ...) follow
the locale, as a Vietnamese client's exports would: ``nữ``, ``kỹ sư``,
``cửa hàng``, ``nội thất`` (see :data:`_VI_VALUES`). E-mail addresses use the reserved domains
example.com/.org/.net and British phone numbers the Ofcom drama range.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

__all__ = ["COLUMNS", "FILE_NAMES", "LOCALES", "SEGMENTS", "generate", "our_brand", "write_demo"]

SEGMENTS: tuple[str, ...] = (
    "occasion_store_loyalist",
    "young_online_influencer",
    "bargain_hunter",
    "trade_bulk",
    "new_customer",
    "prospect",
)
"""Planted segment keys, as found in the ``segment`` column of the truth table."""

LOCALES: tuple[str, ...] = ("en", "vi")

COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": (
        "customer_id", "full_name", "email", "phone", "age", "gender", "income",
        "education", "occupation", "marital_status", "household_size", "city",
        "district", "distance_to_store_km", "signup_date", "referral_source",
        "web_savviness", "social_followers",
    ),
    "transactions": (
        "order_id", "customer_id", "timestamp", "channel", "category", "amount",
        "margin", "special_occasion", "returned",
    ),
    "survey": (
        "customer_id", "health_conscious", "adventure_seeking", "price_sensitivity",
        "brand_loyalty", "researches_before_buying", "buys_on_impulse",
        "values_same_day_delivery", "values_personal_service", "eco_conscious",
    ),
    "service": ("contact_id", "customer_id", "timestamp", "channel", "reason", "effort_score"),
    "web": (
        "customer_id", "first_visit", "last_visit", "sessions", "page_views",
        "email_opens", "email_clicks", "referral_source",
    ),
    "brand_ratings": (
        "respondent_id", "customer_id", "brand", "quality", "value_for_money", "service",
        "convenience", "style", "innovation", "trust",
    ),
    "truth": ("customer_id", "segment"),
}
"""Column names of each table returned by :func:`generate`, in order."""

FILE_NAMES: dict[str, str] = {
    "customers": "customers.csv",
    "transactions": "orders.csv",
    "survey": "survey.csv",
    "service": "service.csv",
    "web": "web.csv",
    "brand_ratings": "brand_ratings.csv",
    "truth": "_truth.csv",
}
"""CSV file name of each table written by :func:`write_demo`."""

_DATE_COLUMNS = {"customers": ("signup_date",), "web": ("first_visit", "last_visit")}

# --------------------------------------------------------------------------- calendar
_WINDOW_START = np.datetime64("2023-07-01", "D")
_WINDOW_END = np.datetime64("2025-06-30", "D")  # inclusive
_SIGNUP_START = np.datetime64("2021-01-01", "D")
_W = float((_WINDOW_END - _WINDOW_START).astype(int) + 1)  # window length in days (731)
_SIGNUP_FIRST = int((_SIGNUP_START - _WINDOW_START).astype(int))  # -911
_ESTABLISHED_LAST_SIGNUP = int((np.datetime64("2025-01-31", "D") - _WINDOW_START).astype(int))
_NEW_DAYS = 60  # new customers signed up in the last 60 days of the window
_YEAR = 365.25
_MAX_CUSTOMERS = 5_000_000  # keeps ~12 orders each within the 8-digit order ids


def _day(date: str) -> float:
    """Day offset of an ISO date from the window start."""
    return float((np.datetime64(date, "D") - _WINDOW_START).astype(int))


# --------------------------------------------------------------------------- profiles
# Index 0..3 of every profile table = the four established segments; new customers and
# prospects borrow one of them as their "persona".
_N_PERSONAS = 4
_MIX = np.array([0.22, 0.22, 0.26, 0.12, 0.12, 0.06])
_PERSONA_MIX = _MIX[:4] / _MIX[:4].sum()

_GENDERS = ("female", "male", "other")
_FEMALE_SHARE = np.array([0.42, 0.62, 0.55, 0.22])
_OTHER_SHARE = 0.015

_EDUCATION = ("secondary", "vocational", "bachelor", "master", "doctorate")
_EDUCATION_P = np.array([
    [0.05, 0.10, 0.50, 0.30, 0.05],
    [0.45, 0.15, 0.38, 0.02, 0.00],
    [0.35, 0.25, 0.30, 0.08, 0.02],
    [0.25, 0.50, 0.20, 0.05, 0.00],
])

_OCCUPATIONS = (
    # 0-8: professional
    "manager", "engineer", "doctor", "lawyer", "accountant", "architect", "pharmacist",
    "civil servant", "teacher",
    # 9-14: young
    "student", "content creator", "barista", "retail assistant", "freelancer", "graphic designer",
    # 15-21: everyday
    "office clerk", "driver", "nurse", "technician", "homemaker", "factory worker", "retiree",
    # 22-30: trade
    "builder", "contractor", "interior designer", "cafe owner", "electrician", "carpenter",
    "plumber", "property manager", "hotel manager",
)
_OCCUPATION_W = np.zeros((4, len(_OCCUPATIONS)))
_OCCUPATION_W[0, [0, 1, 2, 3, 4, 5, 6, 7, 8]] = [20, 18, 8, 8, 12, 6, 6, 10, 12]
_OCCUPATION_W[1, [9, 10, 11, 12, 13, 14]] = [45, 12, 12, 14, 9, 8]
_OCCUPATION_W[2, [8, 12, 15, 16, 17, 18, 19, 20]] = [6, 14, 20, 12, 12, 12, 12, 12]
_OCCUPATION_W[3, [22, 23, 24, 25, 26, 27, 28, 29, 30]] = [22, 18, 14, 12, 10, 10, 6, 5, 3]
_OCCUPATION_W += 0.004 * _OCCUPATION_W.sum(axis=1, keepdims=True)  # anyone can be anything
_OCCUPATION_W[:, 21] = 0.0  # retiree: only from age, below
_OCCUPATION_P = _OCCUPATION_W / _OCCUPATION_W.sum(axis=1, keepdims=True)

_MARITAL = ("single", "married", "divorced", "widowed")
_MARITAL_P = np.array([
    [0.15, 0.75, 0.08, 0.02],
    [0.92, 0.07, 0.01, 0.00],
    [0.35, 0.45, 0.12, 0.08],
    [0.25, 0.62, 0.11, 0.02],
])
_EXTRA_HOUSEHOLD_MARRIED = np.array([1.3, 0.5, 1.0, 1.2])
_EXTRA_HOUSEHOLD_SINGLE = np.array([0.4, 1.4, 0.5, 0.4])

_REFERRALS = ("search", "social", "friend", "walk-in", "email", "trade fair")
_REFERRAL_P = np.array([
    [0.25, 0.03, 0.30, 0.35, 0.05, 0.02],
    [0.15, 0.70, 0.12, 0.01, 0.02, 0.00],
    [0.35, 0.20, 0.15, 0.10, 0.18, 0.02],
    [0.15, 0.02, 0.25, 0.20, 0.03, 0.35],
])
_SAVVINESS_P = np.array([
    [0.03, 0.20, 0.55, 0.20, 0.02],
    [0.00, 0.00, 0.02, 0.13, 0.85],
    [0.05, 0.20, 0.40, 0.28, 0.07],
    [0.10, 0.35, 0.40, 0.13, 0.02],
])
_INCOME_MEDIAN_USD = np.array([95_000.0, 16_000.0, 38_000.0, 62_000.0])
_INCOME_SIGMA = np.array([0.22, 0.35, 0.28, 0.30])
_DISTRICT_TILT = np.array([3.0, 0.0, -1.2, -0.3])  # weight ~ exp(tilt * affluence)
_PRE_WINDOW_SIGNUP = np.array([0.70, 0.40, 0.60, 0.65])

# orders
_ORDERS_PER_YEAR = np.array([4.2, 11.0, 6.6, 24.0])
_CHURN_P = np.array([0.15, 0.25, 0.22, 0.15])
_CHANNELS = ("online", "store", "phone")
_CHANNEL_MEAN = np.array([
    [0.10, 0.87, 0.03],
    [0.97, 0.025, 0.005],
    [0.50, 0.47, 0.03],
    [0.03, 0.37, 0.60],
])
_CHANNEL_CONCENTRATION = np.array([25.0, 40.0, 20.0, 15.0])
_OCCASION_MEAN = np.array([0.74, 0.12, 0.10, 0.03])
_OCCASION_CONCENTRATION = 25.0
_CATEGORIES = ("furniture", "kitchen", "decor", "garden", "tools", "textiles", "gifts")
_CATEGORY_P = np.array([
    [0.25, 0.20, 0.20, 0.07, 0.03, 0.10, 0.15],
    [0.04, 0.14, 0.32, 0.03, 0.02, 0.22, 0.23],
    [0.10, 0.26, 0.16, 0.14, 0.08, 0.18, 0.08],
    [0.30, 0.10, 0.05, 0.08, 0.42, 0.04, 0.01],
])
_OCCASION_CATEGORY_P = np.array([0.15, 0.18, 0.22, 0.05, 0.02, 0.13, 0.25])
_CATEGORY_PRICE = np.array([1.6, 0.9, 0.8, 1.0, 1.0, 0.8, 0.7])
_ORDER_MEDIAN_USD = np.array([260.0, 26.0, 58.0, 850.0])
_MARGIN_RATE = np.array([0.44, 0.36, 0.17, 0.24])
_RETURN_RATE = np.array([0.025, 0.06, 0.13, 0.035])
_SALE_SHARE = np.array([0.0, 0.10, 0.35, 0.0])  # non-occasion orders pulled into sale weeks

_HOUR_W = {
    "online": [2, 1, 0.6, 0.4, 0.4, 0.6, 1.5, 3, 4, 4.5, 5, 5, 5.5, 5, 5, 5, 5, 5.5, 6.5, 8, 9, 9,
               7, 4],
    "store": [0] * 9 + [3, 6, 8, 9, 8, 7, 7, 7, 8, 8, 6, 3] + [0] * 3,
    "phone": [0] * 8 + [7, 10, 10, 9, 6, 7, 8, 8, 7, 5, 2] + [0] * 5,
    "email": [1, 0.5, 0.3, 0.2, 0.2, 0.5, 1, 3, 5, 6, 6, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 3, 2, 1.5],
    "chat": [0] * 7 + [2, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 7, 8, 8, 7, 5] + [0],
}

# survey
_SURVEY_ITEMS = COLUMNS["survey"][1:]
_SURVEY_MEAN = np.array([
    # health adv  price loyal resrch impulse sameday personal eco
    [3.2, 2.6, 2.0, 4.4, 4.2, 1.8, 2.2, 4.5, 3.3],
    [3.4, 4.2, 3.4, 2.2, 2.0, 4.5, 4.6, 1.8, 3.8],
    [2.8, 2.4, 4.6, 2.0, 3.8, 2.6, 2.6, 2.2, 2.6],
    [2.6, 2.2, 3.6, 3.6, 3.2, 1.8, 3.8, 3.9, 2.4],
])
_SURVEY_SHARE = 0.30

# service
_SERVICE_CHANNELS = ("phone", "email", "chat", "store")
_SERVICE_CHANNEL_P = np.array([
    [0.35, 0.10, 0.05, 0.50],
    [0.03, 0.25, 0.70, 0.02],
    [0.25, 0.35, 0.30, 0.10],
    [0.75, 0.15, 0.02, 0.08],
])
_REASONS = (
    "product question", "delivery", "return", "complaint", "invoice", "order change",
    "assembly help", "account",
)
_REASON_P = np.array([
    [0.30, 0.12, 0.05, 0.05, 0.03, 0.10, 0.30, 0.05],
    [0.10, 0.40, 0.10, 0.05, 0.00, 0.10, 0.05, 0.20],
    [0.10, 0.15, 0.25, 0.25, 0.05, 0.10, 0.05, 0.05],
    [0.10, 0.25, 0.03, 0.05, 0.30, 0.20, 0.05, 0.02],
    [0.60, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.40],  # prospects
])
_REASON_EFFORT = np.array([0.0, 0.0, 0.5, 1.5, 0.0, -0.5, 1.0, -1.0])
_CONTACTS_PER_YEAR = np.array([0.9, 0.5, 1.4, 2.2])
_PROSPECT_CONTACTS_PER_YEAR = 0.15
_EFFORT_MEAN = np.array([6.0, 2.2, 6.5, 4.5])
_RETURN_CONTACT_P = 0.6

# web
_WEB_SOURCES = ("search", "social", "email", "direct", "referral")
_REFERRAL_TO_WEB = np.array([0, 1, 4, 3, 2, 3])  # customer referral_source -> web source
_WEB_P = np.array([0.85, 0.98, 0.90, 0.45])
_NEW_WEB_P, _PROSPECT_WEB_P = 0.80, 0.85
_SESSIONS_PER_YEAR = np.array([14.0, 60.0, 35.0, 8.0])
_PAGES_PER_SESSION = np.array([7.0, 4.0, 9.0, 5.0])
_LAST_VISIT_GAP = np.array([30.0, 5.0, 12.0, 25.0])
_OPEN_RATE = np.array([0.15, 0.45, 0.55, 0.10])
_CLICK_RATE = np.array([0.08, 0.25, 0.35, 0.05])

# brand perception (1-7) of our brand (first) and five fictional competitors
_ATTRIBUTES = COLUMNS["brand_ratings"][3:]
_BRAND_MEAN = np.array([
    # qual value serv conv style innov trust
    [6.0, 4.2, 6.2, 4.4, 5.0, 4.0, 6.1],  # us: service, trust, quality
    [3.2, 6.3, 3.0, 4.8, 2.8, 2.8, 3.8],  # discounter: value for money
    [4.0, 4.8, 3.6, 6.3, 4.2, 6.0, 4.0],  # online pure player: convenience, innovation
    [5.5, 2.6, 4.8, 2.8, 6.4, 5.0, 4.8],  # design boutique: style
    [3.9, 5.6, 3.4, 6.0, 3.2, 3.2, 4.4],  # big-box store: convenience, value
    [3.2, 5.0, 3.2, 4.6, 5.6, 5.4, 3.2],  # trend store: style, innovation on a budget
])
_BRAND_FAN = np.array([  # persona x brand: a mild "halo" for the brand a persona favours
    [0.6, -0.3, -0.2, 0.2, 0.0, -0.2],
    [-0.2, 0.0, 0.5, 0.1, 0.0, 0.4],
    [-0.3, 0.6, 0.1, -0.4, 0.4, 0.1],
    [0.3, 0.0, -0.2, 0.0, 0.4, -0.3],
])
_RESPONDENTS_AT_5000 = 600
_MAX_RESPONDENTS = 5000

# --------------------------------------------------------------------------- locales
_EN_FEMALE = (
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Mia", "Poppy", "Ella",
    "Lily", "Evie", "Isabella", "Chloe", "Jessica", "Hannah", "Lucy", "Charlotte", "Sarah",
    "Emma", "Rebecca", "Laura", "Rachel", "Megan", "Katie", "Holly", "Zara", "Priya", "Aisha",
    "Niamh", "Fiona", "Helen", "Claire", "Joanne", "Susan", "Margaret", "Linda", "Karen",
    "Anna", "Ruth",
)
_EN_MALE = (
    "Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Oscar", "Charlie", "Jacob",
    "Thomas", "James", "William", "Joe", "Daniel", "Samuel", "Joseph", "Henry", "Alfie",
    "Ethan", "Ryan", "Adam", "Mohammed", "Arjun", "Liam", "Connor", "Callum", "David",
    "Michael", "Paul", "Mark", "Andrew", "Peter", "Richard", "Stephen", "Simon", "Gareth",
    "Ian", "Tom", "Ben",
)
_EN_UNISEX = ("Alex", "Sam", "Jordan", "Robin", "Jamie", "Taylor", "Morgan", "Charlie")
_EN_LAST = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Hughes", "Edwards", "Turner", "Hill", "Cooper",
    "Ward", "Morris", "King", "Harris", "Baker", "Lewis", "Young", "Allen", "Moore",
    "Mitchell", "Kelly", "Campbell", "O'Brien", "Shah", "Nowak", "Okafor", "Murphy", "Begum",
)

_VI_LAST = (
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 5.0),
    ("Huỳnh", 5.0), ("Phan", 4.5), ("Vũ", 3.9), ("Võ", 3.9), ("Đặng", 2.1), ("Bùi", 2.0),
    ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5),
)
_VI_MIDDLE_FEMALE = (
    ("Thị", 40.0), ("Ngọc", 10.0), ("Thu", 8.0), ("Thanh", 8.0), ("Minh", 6.0),
    ("Phương", 6.0), ("Bảo", 5.0), ("Hoài", 5.0), ("Kim", 6.0), ("Mỹ", 6.0),
)
_VI_MIDDLE_MALE = (
    ("Văn", 35.0), ("Đức", 10.0), ("Minh", 10.0), ("Quốc", 8.0), ("Hữu", 8.0),
    ("Công", 7.0), ("Gia", 6.0), ("Thanh", 6.0), ("Hoàng", 5.0), ("Tuấn", 5.0),
)
_VI_MIDDLE_OTHER = (("Minh", 1.0), ("Thanh", 1.0), ("Ngọc", 1.0), ("Bảo", 1.0))
_VI_FEMALE = (
    "An", "Anh", "Bình", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương",
    "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương",
    "Quỳnh", "Thảo", "Thủy", "Trang", "Trinh", "Uyên", "Vân", "Vy", "Xuân", "Yến",
)
_VI_MALE = (
    "An", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Hải", "Hiếu", "Hoàng",
    "Hùng", "Huy", "Khang", "Khánh", "Khoa", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Phong",
    "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Tiến", "Trung", "Tuấn", "Tùng",
    "Việt", "Vinh",
)
_VI_UNISEX = ("An", "Bình", "Minh", "Khánh", "Linh", "Giang")

# (city, weight, ((district, affluence 0-1, km to the city's store), ...))
_EN_CITIES = (
    ("London", 0.35, (
        ("Richmond", 0.95, 6.0), ("Islington", 0.80, 3.0), ("Camden", 0.75, 4.0),
        ("Greenwich", 0.60, 7.0), ("Hackney", 0.50, 5.0), ("Lewisham", 0.35, 9.0),
        ("Croydon", 0.35, 12.0), ("Barking", 0.15, 14.0))),
    ("Manchester", 0.18, (
        ("Didsbury", 0.85, 5.0), ("Chorlton", 0.70, 4.0), ("Ancoats", 0.55, 2.0),
        ("Salford", 0.35, 6.0), ("Moss Side", 0.20, 3.0), ("Wythenshawe", 0.15, 10.0))),
    ("Birmingham", 0.17, (
        ("Edgbaston", 0.85, 3.0), ("Harborne", 0.80, 4.0), ("Moseley", 0.65, 5.0),
        ("Digbeth", 0.40, 2.0), ("Erdington", 0.25, 8.0), ("Handsworth", 0.20, 6.0))),
    ("Leeds", 0.15, (
        ("Roundhay", 0.85, 6.0), ("Chapel Allerton", 0.70, 5.0), ("Headingley", 0.60, 4.0),
        ("Armley", 0.25, 4.0), ("Beeston", 0.25, 5.0), ("Seacroft", 0.15, 8.0))),
    ("Bristol", 0.15, (
        ("Clifton", 0.90, 3.0), ("Redland", 0.75, 3.0), ("Bishopston", 0.65, 4.0),
        ("Bedminster", 0.45, 3.0), ("Southmead", 0.20, 7.0), ("Hartcliffe", 0.15, 9.0))),
)
_VI_CITIES = (
    ("Hà Nội", 0.35, (
        ("Hoàn Kiếm", 0.85, 3.0), ("Tây Hồ", 0.90, 8.0), ("Ba Đình", 0.80, 4.0),
        ("Cầu Giấy", 0.70, 6.0), ("Đống Đa", 0.55, 4.0), ("Hai Bà Trưng", 0.55, 5.0),
        ("Long Biên", 0.40, 10.0), ("Hà Đông", 0.30, 13.0), ("Hoàng Mai", 0.25, 9.0))),
    ("TP. Hồ Chí Minh", 0.40, (
        ("Quận 1", 0.95, 2.0), ("Quận 7", 0.85, 9.0), ("Quận 3", 0.80, 3.0),
        ("Phú Nhuận", 0.65, 5.0), ("Bình Thạnh", 0.55, 5.0), ("Tân Bình", 0.50, 7.0),
        ("Thủ Đức", 0.45, 14.0), ("Gò Vấp", 0.35, 9.0), ("Bình Tân", 0.20, 13.0),
        ("Quận 12", 0.20, 15.0))),
    ("Đà Nẵng", 0.10, (
        ("Hải Châu", 0.80, 2.0), ("Sơn Trà", 0.70, 5.0), ("Ngũ Hành Sơn", 0.65, 7.0),
        ("Thanh Khê", 0.40, 3.0), ("Cẩm Lệ", 0.25, 7.0), ("Liên Chiểu", 0.20, 10.0))),
    ("Hải Phòng", 0.09, (
        ("Ngô Quyền", 0.70, 3.0), ("Hồng Bàng", 0.60, 2.0), ("Lê Chân", 0.55, 3.0),
        ("Hải An", 0.40, 7.0), ("Kiến An", 0.20, 9.0))),
    ("Cần Thơ", 0.06, (
        ("Ninh Kiều", 0.75, 2.0), ("Bình Thủy", 0.45, 5.0), ("Cái Răng", 0.40, 6.0),
        ("Ô Môn", 0.15, 18.0))),
)

# Gift occasions (orders are placed in the weeks before) and sale events (orders in the
# days after the start), including one either side of the window.
_EN_HOLIDAYS = (
    "2023-06-18", "2023-12-25", "2024-02-14", "2024-03-10", "2024-03-31", "2024-06-16",
    "2024-12-25", "2025-02-14", "2025-03-30", "2025-04-20", "2025-06-15", "2025-12-25",
)
_EN_SALES = (
    "2023-06-22", "2023-11-24", "2023-12-26", "2024-06-20", "2024-11-29", "2024-12-26",
    "2025-06-19", "2025-11-28",
)
_VI_HOLIDAYS = (  # Mid-Autumn, 20/10, Christmas, Tet, Valentine's, 8/3
    "2023-06-28", "2023-09-29", "2023-10-20", "2023-12-24", "2024-02-10", "2024-02-14",
    "2024-03-08", "2024-09-17", "2024-10-20", "2024-12-24", "2025-01-29", "2025-02-14",
    "2025-03-08", "2025-10-06",
)
_VI_SALES = (  # 9/9, 11/11, Black Friday, 12/12, 6/6
    "2023-06-06", "2023-09-09", "2023-11-11", "2023-11-24", "2023-12-12", "2024-06-06",
    "2024-09-09", "2024-11-11", "2024-11-29", "2024-12-12", "2025-06-06", "2025-09-09",
)

_LOCALE_DATA = {
    "en": {
        "female": _EN_FEMALE, "male": _EN_MALE, "other": _EN_UNISEX, "last": _EN_LAST,
        "cities": _EN_CITIES, "holidays": _EN_HOLIDAYS, "sales": _EN_SALES,
        "brands": ("Hearth & Co", "ThriftBarn", "ClickNest", "Atelier Linden",
                   "Grand Aisle Home Centre", "Trendloft"),
        "fx": 1.0, "amount_step": 0.01, "income_step": 100,
    },
    "vi": {
        "female": _VI_FEMALE, "male": _VI_MALE, "other": _VI_UNISEX, "last": _VI_LAST,
        "cities": _VI_CITIES, "holidays": _VI_HOLIDAYS, "sales": _VI_SALES,
        "brands": ("Tổ Ấm & Co", "Tiết Kiệm Plus", "ClickNhà", "Mây Tre Atelier",
                   "Kho Nhà Lớn", "Phố Trend"),
        "fx": 25_000.0, "amount_step": 1_000, "income_step": 100_000,
    },
}
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

#: The coded values of the Vietnamese demo, as a Vietnamese retailer's systems write them:
#: (table, column) -> English code -> Vietnamese value. Channels use labels the collection
#: stage knows (``trực tuyến``, ``cửa hàng``, ``điện thoại``).
_VI_VALUES: dict[tuple[str, str], dict[str, str]] = {
    ("customers", "gender"): {"female": "nữ", "male": "nam", "other": "khác"},
    ("customers", "education"): {
        "secondary": "trung học", "vocational": "trung cấp nghề", "bachelor": "đại học",
        "master": "thạc sĩ", "doctorate": "tiến sĩ"},
    ("customers", "occupation"): {
        "manager": "quản lý", "engineer": "kỹ sư", "doctor": "bác sĩ", "lawyer": "luật sư",
        "accountant": "kế toán", "architect": "kiến trúc sư", "pharmacist": "dược sĩ",
        "civil servant": "công chức", "teacher": "giáo viên", "student": "sinh viên",
        "content creator": "sáng tạo nội dung", "barista": "nhân viên pha chế",
        "retail assistant": "nhân viên bán hàng", "freelancer": "làm tự do",
        "graphic designer": "thiết kế đồ họa", "office clerk": "nhân viên văn phòng",
        "driver": "tài xế", "nurse": "y tá", "technician": "kỹ thuật viên",
        "homemaker": "nội trợ", "factory worker": "công nhân", "retiree": "hưu trí",
        "builder": "thợ xây", "contractor": "nhà thầu", "interior designer": "thiết kế nội thất",
        "cafe owner": "chủ quán cà phê", "electrician": "thợ điện", "carpenter": "thợ mộc",
        "plumber": "thợ ống nước", "property manager": "quản lý bất động sản",
        "hotel manager": "quản lý khách sạn"},
    ("customers", "marital_status"): {
        "single": "độc thân", "married": "đã kết hôn", "divorced": "ly hôn", "widowed": "góa"},
    ("customers", "referral_source"): {
        "search": "tìm kiếm", "social": "mạng xã hội", "friend": "bạn bè giới thiệu",
        "walk-in": "khách vãng lai", "email": "email", "trade fair": "hội chợ"},
    ("transactions", "channel"): {"online": "trực tuyến", "store": "cửa hàng",
                                  "phone": "điện thoại"},
    ("transactions", "category"): {
        "furniture": "nội thất", "kitchen": "nhà bếp", "decor": "trang trí",
        "garden": "sân vườn", "tools": "dụng cụ", "textiles": "đồ vải", "gifts": "quà tặng"},
    ("service", "channel"): {"phone": "điện thoại", "email": "email", "chat": "chat",
                             "store": "cửa hàng"},
    ("service", "reason"): {
        "product question": "hỏi về sản phẩm", "delivery": "giao hàng", "return": "trả hàng",
        "complaint": "khiếu nại", "invoice": "hóa đơn", "order change": "đổi đơn hàng",
        "assembly help": "hỗ trợ lắp ráp", "account": "tài khoản"},
    ("web", "referral_source"): {
        "search": "tìm kiếm", "social": "mạng xã hội", "email": "email",
        "direct": "truy cập trực tiếp", "referral": "trang giới thiệu"},
}


# --------------------------------------------------------------------------- helpers
def _check_locale(locale: str) -> None:
    if not isinstance(locale, str) or locale not in LOCALES:
        raise ValueError(f"locale must be one of {', '.join(map(repr, LOCALES))}; got {locale!r}")


def _check_arguments(n_customers: int, seed: int, locale: str) -> None:
    _check_locale(locale)
    if isinstance(n_customers, bool) or not isinstance(n_customers, int | np.integer):
        raise ValueError(f"n_customers must be an integer >= 100; got {n_customers!r}")
    if n_customers < 100:
        raise ValueError(f"n_customers must be >= 100; got {n_customers}")
    if n_customers > _MAX_CUSTOMERS:
        raise ValueError(
            f"n_customers must be <= {_MAX_CUSTOMERS:,} (id widths); got {n_customers}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer; got {seed!r}")


def _ascii(text: str) -> str:
    """Lower-case ASCII letters of a name, for e-mail addresses ("Đặng" -> "dang")."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def _pick(rng: np.random.Generator, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Draw one category index per row from the probability row of its group."""
    probs = np.asarray(probs, dtype=float)
    cdf = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(group.size)
    out = np.empty(group.size, dtype=np.int64)
    for g in range(probs.shape[0]):
        rows = group == g
        out[rows] = np.minimum(np.searchsorted(cdf[g], u[rows], side="right"), probs.shape[1] - 1)
    return out


def _pick_weighted(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    return _pick(rng, np.zeros(n, dtype=np.int64), np.asarray(weights, dtype=float)[None, :])


def _beta_mean(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    return rng.beta(mean * concentration, (1.0 - mean) * concentration)


def _strings(values, index: np.ndarray) -> pa.Array:
    """Arrow string array ``values[index]``, built without Python objects per row."""
    return pc.take(pa.array(list(values), pa.string()), pa.array(index, pa.int64()))


def _fixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Arrow strings ``prefix`` + zero-padded ``numbers`` (e.g. "O00000042"), vectorised."""
    size = len(prefix) + width
    n = numbers.size
    buf = np.empty((n, size), dtype=np.uint8)
    buf[:, : len(prefix)] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    rest = numbers.astype(np.int64)
    for pos in range(size - 1, len(prefix) - 1, -1):
        buf[:, pos] = 48 + rest % 10
        rest //= 10
    offsets = np.arange(0, (n + 1) * size, size, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf)]
    )


def _customer_ids(index: np.ndarray) -> pa.Array:
    """Customer ids ("C0000001", ...) of 0-based customer indices."""
    return _fixed_ids("C", index + 1, 7)


def _digits(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    return pc.utf8_lpad(
        pc.cast(pa.array(rng.integers(0, 10**width, n)), pa.string()), width=width, padding="0"
    )


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _dates(day: np.ndarray) -> np.ndarray:
    """Whole-day offsets from the window start -> datetime64[s] at midnight."""
    return _WINDOW_START.astype("datetime64[s]") + (
        np.floor(day).astype(np.int64) * 86400
    ).astype("timedelta64[s]")


def _timestamps(rng: np.random.Generator, day: np.ndarray, channel_hours: np.ndarray,
                channel: np.ndarray) -> np.ndarray:
    """Date of ``day`` at an hour typical of each row's channel."""
    hour = _pick(rng, channel, channel_hours)
    second = np.floor(day).astype(np.int64) * 86400 + hour * 3600 + rng.integers(0, 3600, day.size)
    return _WINDOW_START.astype("datetime64[s]") + second.astype("timedelta64[s]")


def _snap(rng: np.random.Generator, t: np.ndarray, lo: np.ndarray, hi: np.ndarray,
          events: np.ndarray, lead_min: float, lead_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Move times to ``lead`` days before the next (else previous) event inside [lo, hi)."""
    lead = rng.uniform(lead_min, lead_max, t.size)
    nxt = np.searchsorted(events, t, side="left")
    cand_next = events[np.minimum(nxt, events.size - 1)] - lead
    ok_next = (nxt < events.size) & (cand_next >= lo) & (cand_next < hi)
    cand_prev = events[np.maximum(nxt - 1, 0)] - lead
    ok_prev = (nxt > 0) & (cand_prev >= lo) & (cand_prev < hi)
    return np.where(ok_next, cand_next, np.where(ok_prev, cand_prev, t)), ok_next | ok_prev


def _snap_birthday(rng: np.random.Generator, t: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   birthday: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move times to 0-10 days before the customer's next (else previous) birthday."""
    lead = rng.uniform(0.0, 10.0, t.size)
    cand_next = birthday + np.ceil((t - birthday) / _YEAR) * _YEAR - lead
    ok_next = (cand_next >= lo) & (cand_next < hi)
    cand_prev = cand_next - _YEAR
    ok_prev = (cand_prev >= lo) & (cand_prev < hi)
    return np.where(ok_next, cand_next, np.where(ok_prev, cand_prev, t)), ok_next | ok_prev


def _round_money(values_usd: np.ndarray, loc: dict) -> np.ndarray:
    money = values_usd * loc["fx"]
    if loc["fx"] == 1.0:
        return np.round(money, 2)
    step = loc["amount_step"]
    return (np.round(money / step) * step).astype(np.int64)


def _frame(columns: dict) -> pd.DataFrame:
    """DataFrame from numpy/arrow columns via one Arrow table (pandas ``str`` columns)."""
    table = pa.table({name: pa.array(col) if isinstance(col, np.ndarray) else col
                      for name, col in columns.items()})
    return table.to_pandas()


# --------------------------------------------------------------------------- tables
def _population(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Planted segment, persona and hidden lifecycle dates of every customer."""
    counts = np.floor(_MIX * n).astype(np.int64)
    counts[np.argsort(-(_MIX * n - counts), kind="stable")[: n - counts.sum()]] += 1
    segment = rng.permutation(np.repeat(np.arange(len(SEGMENTS)), counts))
    persona = np.where(segment < _N_PERSONAS, segment, 0)
    newcomer = segment >= _N_PERSONAS
    persona[newcomer] = _pick_weighted(rng, int(newcomer.sum()), _PERSONA_MIX)

    established = segment < _N_PERSONAS
    pre = rng.random(n) < _PRE_WINDOW_SIGNUP[persona]
    signup = np.where(
        pre,
        rng.integers(_SIGNUP_FIRST, 0, n),
        rng.integers(0, _ESTABLISHED_LAST_SIGNUP + 1, n),
    )
    signup = np.where(segment == 4, rng.integers(int(_W) - _NEW_DAYS, int(_W), n), signup)
    signup = np.where(segment == 5, rng.integers(_SIGNUP_FIRST, int(_W), n), signup)

    start = np.maximum(signup, 0).astype(float)
    churned = established & (rng.random(n) < _CHURN_P[persona])
    churn_day = start + 90.0 + rng.random(n) * np.maximum(_W - start - 105.0, 0.0)
    end = np.where(churned, churn_day, _W)
    return {
        "segment": segment, "persona": persona, "signup": signup.astype(np.int64),
        "start": start, "end": end, "churned": churned,
        "birthday": rng.uniform(0.0, _YEAR, n),
    }


def _customers(rng: np.random.Generator, pop: dict, loc: dict) -> tuple[pd.DataFrame, np.ndarray]:
    n = pop["segment"].size
    persona = pop["persona"]

    female = rng.random(n) < _FEMALE_SHARE[persona]
    gender = np.where(female, 0, 1)
    gender[rng.random(n) < _OTHER_SHARE] = 2

    age = np.empty(n, dtype=np.int64)
    for p, draw in enumerate((
        lambda m: np.clip(np.round(rng.normal(40.0, 6.0, m)), 27, 58),
        lambda m: np.round(rng.triangular(16.5, 20.0, 25.49, m)),
        lambda m: np.round(rng.triangular(24.5, 40.0, 65.49, m)),
        lambda m: np.clip(np.round(rng.normal(43.0, 9.0, m)), 22, 66),
    )):
        rows = persona == p
        age[rows] = draw(int(rows.sum()))

    income_usd = _INCOME_MEDIAN_USD[persona] * np.exp(rng.normal(0.0, _INCOME_SIGMA[persona]))
    income_usd *= np.where(age >= 62, 0.75, 1.0)  # pensions
    step = loc["income_step"]
    income = (np.round(np.maximum(income_usd, 3000.0) * loc["fx"] / step) * step).astype(np.int64)

    education = _pick(rng, persona, _EDUCATION_P)
    occupation = _pick(rng, persona, _OCCUPATION_P)
    retired = (age >= 60) & (persona != 3) & (rng.random(n) < 0.6)
    occupation[retired] = _OCCUPATIONS.index("retiree")
    students = (persona == 1) & (age <= 21) & (rng.random(n) < 0.5)
    occupation[students] = _OCCUPATIONS.index("student")

    marital = _pick(rng, persona, _MARITAL_P)
    married = marital == 1
    extra = np.where(married, _EXTRA_HOUSEHOLD_MARRIED[persona], _EXTRA_HOUSEHOLD_SINGLE[persona])
    household = np.minimum(np.where(married, 2, 1) + rng.poisson(extra), 8)

    # geography: a city, then a district tilted towards (or away from) affluent ones
    cities = loc["cities"]
    city_of, district_names, affluence, store_km, city_w = [], [], [], [], []
    for c, (_, weight, districts) in enumerate(cities):
        for name, aff, km in districts:
            city_of.append(c)
            district_names.append(name)
            affluence.append(aff)
            store_km.append(km)
            city_w.append(weight)
    city_of, affluence, store_km, city_w = map(np.array, (city_of, affluence, store_km, city_w))
    tilt = np.exp(_DISTRICT_TILT[:, None] * affluence[None, :])
    city_total = np.stack([np.bincount(city_of, weights=row) for row in tilt])
    district_p = city_w[None, :] * tilt / city_total[:, city_of]
    district = _pick(rng, persona, district_p)
    distance = np.round(np.maximum(store_km[district] * rng.lognormal(0.0, 0.45, n), 0.3), 1)

    referral = _pick(rng, persona, _REFERRAL_P)
    savviness = _pick(rng, persona, _SAVVINESS_P) + 1
    followers = np.select(
        [persona == 0, persona == 1, persona == 2],
        [
            np.where(rng.random(n) < 0.5, 0.0, rng.lognormal(np.log(15.0), 0.9, n)),
            np.clip(rng.lognormal(np.log(2500.0), 0.45, n), 400.0, 60_000.0),
            rng.lognormal(np.log(150.0), 1.0, n),
        ],
        default=rng.lognormal(np.log(250.0), 1.0, n),
    ).round().astype(np.int64)

    # names and contact details
    if loc is _LOCALE_DATA["vi"]:
        family_names, family_w = zip(*loc["last"], strict=True)
        family = _pick_weighted(rng, n, family_w)
        given_lists = (loc["female"], loc["male"], loc["other"])
        middle_lists = (_VI_MIDDLE_FEMALE, _VI_MIDDLE_MALE, _VI_MIDDLE_OTHER)
        given_names, middle_names = [], []
        given = np.empty(n, dtype=np.int64)
        middle = np.empty(n, dtype=np.int64)
        for g in range(3):
            rows = gender == g
            given[rows] = len(given_names) + rng.integers(0, len(given_lists[g]), rows.sum())
            names, weights = zip(*middle_lists[g], strict=True)
            middle[rows] = len(middle_names) + _pick_weighted(rng, int(rows.sum()), weights)
            given_names += given_lists[g]
            middle_names += names
        full_name = pc.binary_join_element_wise(
            _strings(family_names, family), _strings(middle_names, middle),
            _strings(given_names, given), " ",
        )
        first_ascii = _strings([_ascii(x) for x in given_names], given)
        last_ascii = _strings([_ascii(x) for x in family_names], family)
        phone = _join(
            "+84 9", _strings("0134678", rng.integers(0, 7, n)), " ", _digits(rng, n, 3), " ",
            _digits(rng, n, 4),
        )
    else:
        given_names = loc["female"] + loc["male"] + loc["other"]
        offsets = np.array([0, len(loc["female"]), len(loc["female"]) + len(loc["male"])])
        sizes = np.array([len(loc["female"]), len(loc["male"]), len(loc["other"])])
        given = offsets[gender] + np.floor(rng.random(n) * sizes[gender]).astype(np.int64)
        family = rng.integers(0, len(loc["last"]), n)
        full_name = pc.binary_join_element_wise(
            _strings(given_names, given), _strings(loc["last"], family), " "
        )
        first_ascii = _strings([_ascii(x) for x in given_names], given)
        last_ascii = _strings([_ascii(x) for x in loc["last"]], family)
        phone = _join("+44 7700 900", _digits(rng, n, 3))  # Ofcom drama range
    unique_number = pc.cast(pa.array(rng.permutation(n) + 11), pa.string())
    email = _join(
        first_ascii, ".", last_ascii, unique_number, "@",
        _strings(_EMAIL_DOMAINS, _pick_weighted(rng, n, [0.6, 0.25, 0.15])),
    )

    return _frame({
        "customer_id": _customer_ids(np.arange(n)),
        "full_name": full_name,
        "email": email,
        "phone": phone,
        "age": age,
        "gender": _strings(_GENDERS, gender),
        "income": income,
        "education": _strings(_EDUCATION, education),
        "occupation": _strings(_OCCUPATIONS, occupation),
        "marital_status": _strings(_MARITAL, marital),
        "household_size": household.astype(np.int64),
        "city": _strings([c[0] for c in cities], city_of[district]),
        "district": _strings(district_names, district),
        "distance_to_store_km": distance,
        "signup_date": _dates(pop["signup"]),
        "referral_source": _strings(_REFERRALS, referral),
        "web_savviness": savviness.astype(np.int64),
        "social_followers": followers,
    }), referral


def _orders(rng: np.random.Generator, pop: dict, loc: dict) -> tuple[pd.DataFrame, dict]:
    segment, persona = pop["segment"], pop["persona"]
    n = segment.size
    established = segment < _N_PERSONAS
    start, end = pop["start"], pop["end"]

    # customer-level tastes
    alpha = _CHANNEL_MEAN[persona] * _CHANNEL_CONCENTRATION[persona, None]
    channel_share = rng.gamma(alpha)
    channel_cdf = np.cumsum(channel_share / channel_share.sum(axis=1, keepdims=True), axis=1)
    occasion_p = _beta_mean(rng, _OCCASION_MEAN[persona], _OCCASION_CONCENTRATION)
    return_p = _beta_mean(rng, _RETURN_RATE[persona], 40.0)
    typical_usd = _ORDER_MEDIAN_USD[persona] * rng.lognormal(0.0, 0.3, n)
    margin_rate = _MARGIN_RATE[persona] + rng.normal(0.0, 0.03, n)

    # how many orders
    rate = _ORDERS_PER_YEAR[persona] * rng.gamma(8.0, 0.125, n)
    n_orders = np.maximum(rng.poisson(rate * (end - start) / _YEAR), 2)
    n_orders = np.where(established, n_orders, np.where(segment == 4, 1, 0))
    cust = np.repeat(np.arange(n), n_orders)
    m = cust.size
    p_of = persona[cust]

    # when: uniform over the active period, occasions before holidays/birthdays,
    # bargain hunters drawn into sale weeks; a new customer's order soon after sign-up
    lo, hi = start[cust], end[cust]
    is_new = segment[cust] == 4
    day = lo + rng.random(m) * (hi - lo)
    day = np.where(is_new, np.minimum(lo + rng.exponential(4.0, m), _W - 1e-6), day)
    occasion = rng.random(m) < occasion_p[cust]
    u_kind = rng.random(m)
    holidays = np.array([_day(d) for d in loc["holidays"]])
    sales = np.array([_day(d) for d in loc["sales"]])
    want = occasion & ~is_new & (u_kind < 0.7)
    snapped, ok = _snap(rng, day[want], lo[want], hi[want], holidays, 0.0, 21.0)
    day[want] = snapped
    occasion[want] = ok
    want = occasion & ~is_new & (u_kind >= 0.7)
    snapped, ok = _snap_birthday(rng, day[want], lo[want], hi[want], pop["birthday"][cust[want]])
    day[want] = snapped
    occasion[want] = ok
    occasion[is_new] &= rng.random(int(is_new.sum())) < 0.5
    want = ~occasion & ~is_new & (rng.random(m) < _SALE_SHARE[p_of])
    day[want], _ = _snap(rng, day[want], lo[want], hi[want], sales, -10.0, 0.0)

    # what, how, how much
    u = rng.random(m)
    channel = (u[:, None] >= channel_cdf[cust, :2]).sum(axis=1)
    category = _pick(rng, p_of, _CATEGORY_P)
    gift = occasion & (rng.random(m) < 0.5)
    category[gift] = _pick_weighted(rng, int(gift.sum()), _OCCASION_CATEGORY_P)
    typical_price = (_CATEGORY_P * _CATEGORY_PRICE).sum(axis=1)
    amount_usd = (typical_usd[cust] * _CATEGORY_PRICE[category] / typical_price[p_of]
                  * rng.lognormal(0.0, 0.35, m))
    amount_usd = np.maximum(amount_usd, 3.0)
    rate_of = np.clip(margin_rate[cust] + rng.normal(0.0, 0.05, m), 0.02, 0.7)
    amount = _round_money(amount_usd, loc)
    margin = _round_money(amount_usd * rate_of, loc)
    returned = (rng.random(m) < return_p[cust]).astype(np.int64)

    hours = np.array([_HOUR_W[c] for c in _CHANNELS], dtype=float)
    timestamp = _timestamps(rng, day, hours, channel)
    order = np.argsort(timestamp, kind="stable")
    frame = _frame({
        "order_id": _fixed_ids("O", np.arange(1, m + 1), 8),
        "customer_id": _customer_ids(cust[order]),
        "timestamp": timestamp[order],
        "channel": _strings(_CHANNELS, channel[order]),
        "category": _strings(_CATEGORIES, category[order]),
        "amount": amount[order],
        "margin": margin[order],
        "special_occasion": occasion[order].astype(np.int64),
        "returned": returned[order],
    })
    summary = {"n_orders": n_orders, "returned_cust": cust[returned == 1],
               "returned_day": day[returned == 1]}
    return frame, summary


def _survey(rng: np.random.Generator, pop: dict, n_orders: np.ndarray) -> pd.DataFrame:
    buyers = np.flatnonzero(n_orders > 0)
    k = round(_SURVEY_SHARE * buyers.size)
    chosen = np.sort(rng.choice(buyers, size=k, replace=False))
    persona = pop["persona"][chosen]
    style = rng.normal(0.0, 0.3, (k, 1))  # acquiescence: some answer high throughout
    answers = _SURVEY_MEAN[persona] + style + rng.normal(0.0, 0.85, (k, len(_SURVEY_ITEMS)))
    answers = np.clip(np.round(answers), 1, 5).astype(np.int64)
    columns = {"customer_id": _customer_ids(chosen)}
    columns.update({item: answers[:, j] for j, item in enumerate(_SURVEY_ITEMS)})
    return _frame(columns)


def _service(rng: np.random.Generator, pop: dict, orders: dict) -> pd.DataFrame:
    segment, persona = pop["segment"], pop["persona"]
    n = segment.size
    prospect = segment == 5
    lo = np.where(prospect, np.maximum(pop["signup"], 0).astype(float), pop["start"])
    hi = np.minimum(np.where(segment < _N_PERSONAS, pop["end"] + 30.0, _W), _W)
    rate = np.where(prospect, _PROSPECT_CONTACTS_PER_YEAR, _CONTACTS_PER_YEAR[persona])
    count = rng.poisson(rate * rng.gamma(4.0, 0.25, n) * (hi - lo) / _YEAR)
    cust = np.repeat(np.arange(n), count)
    day = lo[cust] + rng.random(cust.size) * (hi - lo)[cust]
    reason_group = np.where(prospect[cust], 4, persona[cust])
    reason = _pick(rng, reason_group, _REASON_P)

    # most returns start with a contact a few days after the order
    keep = rng.random(orders["returned_cust"].size) < _RETURN_CONTACT_P
    r_cust = orders["returned_cust"][keep]
    r_day = np.minimum(orders["returned_day"][keep] + 1.0 + rng.exponential(4.0, r_cust.size),
                       _W - 1e-6)
    cust = np.concatenate([cust, r_cust])
    day = np.concatenate([day, r_day])
    reason = np.concatenate([reason, np.full(r_cust.size, _REASONS.index("return"))])

    p_of = persona[cust]
    channel = _pick(rng, p_of, _SERVICE_CHANNEL_P)
    effort = _EFFORT_MEAN[p_of] + _REASON_EFFORT[reason] + rng.normal(0.0, 1.3, cust.size)
    effort = np.clip(np.round(effort), 1, 10).astype(np.int64)
    hours = np.array([_HOUR_W[c] for c in _SERVICE_CHANNELS], dtype=float)
    timestamp = _timestamps(rng, day, hours, channel)
    order = np.argsort(timestamp, kind="stable")
    return _frame({
        "contact_id": _fixed_ids("S", np.arange(1, cust.size + 1), 8),
        "customer_id": _customer_ids(cust[order]),
        "timestamp": timestamp[order],
        "channel": _strings(_SERVICE_CHANNELS, channel[order]),
        "reason": _strings(_REASONS, reason[order]),
        "effort_score": effort[order],
    })


def _web(rng: np.random.Generator, pop: dict, referral: np.ndarray) -> pd.DataFrame:
    segment, persona = pop["segment"], pop["persona"]
    n = segment.size
    p_web = np.select([segment == 4, segment == 5], [_NEW_WEB_P, _PROSPECT_WEB_P],
                      default=_WEB_P[persona])
    has = np.flatnonzero(rng.random(n) < p_web)
    k = has.size
    seg, per = segment[has], persona[has]
    signup = pop["signup"][has].astype(float)

    first = np.maximum(signup - rng.exponential(15.0, k), float(_SIGNUP_FIRST))
    active_last = np.where(pop["churned"][has], pop["end"][has] + rng.exponential(20.0, k),
                           _W - 1.0 - rng.exponential(_LAST_VISIT_GAP[per]))
    prospect_last = first + rng.random(k) * (_W - 1.0 - first)
    last = np.select([seg == 4, seg == 5],
                     [_W - 1.0 - rng.exponential(7.0, k), prospect_last], default=active_last)
    last = np.clip(last, first, _W - 1.0)
    first, last = np.floor(first), np.floor(last)

    years = (last - first + 1.0) / _YEAR
    session_rate = np.where(seg == 5, 6.0, _SESSIONS_PER_YEAR[per])
    sessions = 1 + rng.poisson(session_rate * years * rng.gamma(4.0, 0.25, k))
    page_views = np.maximum(
        np.round(sessions * _PAGES_PER_SESSION[per] * rng.lognormal(0.0, 0.25, k)), sessions
    ).astype(np.int64)

    emails_sent = np.floor((_W - np.maximum(signup, 0.0)) / 7.0).astype(np.int64)
    subscribed = rng.random(k) < 0.8
    open_p = _beta_mean(rng, np.where(seg == 5, 0.2, _OPEN_RATE[per]), 12.0)
    opens = np.where(subscribed, rng.binomial(emails_sent, open_p), 0)
    clicks = rng.binomial(opens, _beta_mean(rng, _CLICK_RATE[per], 12.0))

    source = _REFERRAL_TO_WEB[referral[has]]
    noisy = rng.random(k) < 0.25
    source[noisy] = _pick_weighted(rng, int(noisy.sum()), [0.4, 0.2, 0.1, 0.2, 0.1])
    return _frame({
        "customer_id": _customer_ids(has),
        "first_visit": _dates(first),
        "last_visit": _dates(last),
        "sessions": sessions.astype(np.int64),
        "page_views": page_views,
        "email_opens": opens.astype(np.int64),
        "email_clicks": clicks.astype(np.int64),
        "referral_source": _strings(_WEB_SOURCES, source),
    })


def _brand_ratings(rng: np.random.Generator, pop: dict, loc: dict) -> pd.DataFrame:
    n = pop["segment"].size
    k = int(min(_MAX_RESPONDENTS, n // 2,
                max(1, round(_RESPONDENTS_AT_5000 * (n / 5000) ** 0.4))))
    respondent_cust = np.sort(rng.choice(n, size=k, replace=False))
    n_brands = _BRAND_MEAN.shape[0]
    persona = pop["persona"][respondent_cust]
    halo = rng.normal(0.0, 0.4, (k, 1, 1))  # generous or harsh raters
    scores = (_BRAND_MEAN[None, :, :] + _BRAND_FAN[persona][:, :, None] + halo
              + rng.normal(0.0, 0.9, (k, n_brands, len(_ATTRIBUTES))))
    scores = np.clip(np.round(scores), 1, 7).astype(np.int64).reshape(k * n_brands, -1)
    respondent = np.repeat(np.arange(k), n_brands)
    columns = {
        "respondent_id": _fixed_ids("R", respondent + 1, 5),
        "customer_id": _customer_ids(respondent_cust[respondent]),
        "brand": _strings(loc["brands"], np.tile(np.arange(n_brands), k)),
    }
    columns.update({attr: scores[:, j] for j, attr in enumerate(_ATTRIBUTES)})
    return _frame(columns)


# --------------------------------------------------------------------------- public API
def our_brand(locale: str = "en") -> str:
    """Name of the demo retailer's own brand in ``brand_ratings`` for a locale.

    Parameters
    ----------
    locale : {"en", "vi"}, default "en"

    Returns
    -------
    str
        ``"Hearth & Co"`` for ``"en"``, ``"Tổ Ấm & Co"`` for ``"vi"``; the other five
        brands in ``brand_ratings`` are fictional competitors.

    Raises
    ------
    ValueError
        If ``locale`` is not ``"en"`` or ``"vi"``.
    """
    _check_locale(locale)
    return _LOCALE_DATA[locale]["brands"][0]


def generate(
    n_customers: int = 5000, seed: int = 42, locale: str = "en"
) -> dict[str, pd.DataFrame]:
    """Generate the demo retailer's data with planted segments.

    Parameters
    ----------
    n_customers : int, default 5000
        Number of registered customers (>= 100). About 12 orders per customer are
        generated on average (60,000 for the default), so 1,000,000 customers give
        about 12 million orders.
    seed : int, default 42
        Seed of the single ``np.random.default_rng`` used; same arguments, same data.
    locale : {"en", "vi"}, default "en"
        ``"en"``: British names and cities, money in USD. ``"vi"``: Vietnamese names
        (with diacritics), cities and brand names, money in VND (whole thousands).

    Returns
    -------
    dict of str to pandas.DataFrame
        Keys ``"customers"``, ``"transactions"``, ``"survey"``, ``"service"``,
        ``"web"``, ``"brand_ratings"`` and ``"truth"``, with the columns listed in
        :data:`COLUMNS`. Timestamps and dates are ``datetime64[s]`` (dates at
        midnight), ids and labels pandas ``str``, counts, scores and ``income``
        ``int64``. ``amount`` and ``margin`` are ``float64`` USD with cents for
        ``"en"`` and ``int64`` VND in whole thousands for ``"vi"``. ``transactions``
        and ``service`` are sorted by timestamp, the other tables by id.

        ``truth`` holds the planted segment of every customer, for tests and
        teaching; the workbook itself must never read it.

    Raises
    ------
    ValueError
        If ``locale`` is not ``"en"`` or ``"vi"``, ``n_customers`` is not an integer
        from 100 to 5,000,000 (the id widths), or ``seed`` is not an integer.

    Examples
    --------
    >>> data = generate(n_customers=1000, seed=1)
    >>> data["transactions"].columns[:3].tolist()
    ['order_id', 'customer_id', 'timestamp']
    """
    _check_arguments(n_customers, seed, locale)
    loc = _LOCALE_DATA[locale]
    rng = np.random.default_rng(seed)
    n = int(n_customers)

    pop = _population(rng, n)
    customers, referral = _customers(rng, pop, loc)
    transactions, order_summary = _orders(rng, pop, loc)
    data = {
        "customers": customers,
        "transactions": transactions,
        "survey": _survey(rng, pop, order_summary["n_orders"]),
        "service": _service(rng, pop, order_summary),
        "web": _web(rng, pop, referral),
        "brand_ratings": _brand_ratings(rng, pop, loc),
        "truth": _frame({
            "customer_id": _customer_ids(np.arange(n)),
            "segment": _strings(SEGMENTS, pop["segment"]),
        }),
    }
    if locale == "vi":
        for (table, column), words in _VI_VALUES.items():
            values = data[table][column]
            data[table][column] = values.map(words).astype(values.dtype)
    return data


def _write_csv(frame: pd.DataFrame, path: Path, date_columns: tuple[str, ...]) -> None:
    """Write one table as UTF-8 CSV (header, no index, ISO dates) with pyarrow."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name in date_columns:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, pc.cast(table.column(name), pa.date32()))
    options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
    try:
        with path.open("wb") as handle:
            handle.write((",".join(frame.columns) + "\n").encode("utf-8"))
            pa_csv.write_csv(table, handle, options)
    except pa.ArrowInvalid:  # a value needs quoting: let pandas quote it
        out = frame.copy()
        for name in date_columns:
            out[name] = out[name].dt.strftime("%Y-%m-%d")
        out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def write_demo(out_dir: Path, n_customers: int = 5000, seed: int = 42,
               locale: str = "en") -> dict[str, Path]:
    """Generate the demo data and write it as CSV files.

    Parameters
    ----------
    out_dir : pathlib.Path
        Folder to write into; created (with parents) if missing. Existing files of
        the same names are overwritten.
    n_customers, seed, locale
        As in :func:`generate`.

    Returns
    -------
    dict of str to pathlib.Path
        Path of each written file by table key: ``customers.csv``, ``orders.csv``
        (the ``"transactions"`` key), ``survey.csv``, ``service.csv``, ``web.csv``,
        ``brand_ratings.csv`` and the hidden ``_truth.csv``. Files are UTF-8 with a
        header row and no index; timestamps are written ``YYYY-MM-DD HH:MM:SS`` and
        dates ``YYYY-MM-DD``. The same arguments give byte-identical files.
    """
    data = generate(n_customers=n_customers, seed=seed, locale=locale)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, frame in data.items():
        paths[key] = out_dir / FILE_NAMES[key]
        _write_csv(frame, paths[key], _DATE_COLUMNS.get(key, ()))
    return paths
