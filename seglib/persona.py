"""Stage 6, personas: give each target segment a human face.

A persona is built from its segment's members only. Every trait carries the
statistic behind it (``statistic``, ``evidence`` and ``customers``, the members
with data), so nothing is invented; a trait without enough data is left out
and the reason is listed under ``notes``. The name is made up, drawn from a
fixed list of first names for the run's locale; it is never taken from the
client's data, and the columns that could hold a person's name, email or phone
are dropped before anything is read.

Statistics: medians for amounts and counts (age, income, order value, orders a
year, followers, web sessions), means for shares (channel shares are the mean
share per customer), the most common value and its share for categories.
Comparisons are with the whole customer table (the "customer base").

A category trait (gender, occupation, city, marital status, favourite category)
names a value only when the value describes the segment: a clear majority of
the members with data (:data:`MAJORITY_SHARE`), or clearly over-represented
against the customer base (:data:`OVER_RATIO` times the base's share and
:data:`OVER_POINTS` above it). The evidence says which, with the segment's and
the base's share; any other segment is "mixed" on that trait (see
:func:`category_verdict`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seglib.errors import DataError
from seglib.pii import is_pii_column, pii_kind
from seglib.run_folder import RunFolder

__all__ = ["FIRST_NAMES", "build_personas", "build_persona", "persona_names", "cards_html",
           "page_html", "survey_items", "write_outputs", "feature_label",
           "check_targeting_matches", "category_verdict"]

#: Made-up first names per locale and gender ("other" draws from both).
FIRST_NAMES = {
    "en": {"female": ("Sarah", "Maya", "Priya", "Grace", "Nina", "Ruth", "Chloe", "Ivy"),
           "male": ("Joe", "Tom", "Leo", "Sam", "Omar", "Ethan", "Marcus", "Daniel")},
    "vi": {"female": ("Lan", "Thảo", "Mai", "Linh", "Ngọc", "Hà", "Trang", "Vy"),
           "male": ("Minh", "Huy", "Tuấn", "Khoa", "Phúc", "Quân", "Bảo", "Duy")},
}
CHANNELS = ("online", "store", "phone")
#: Buying-psychology classes of the customer table (see seglib.collect.buying_psychology).
PSYCHOLOGY = ("instant", "hesitant", "researched")

#: Every word a card shows, per locale. Templates use str.format fields.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        # trait labels
        "age": "Age", "gender": "Gender", "occupation": "Occupation", "income": "Income band",
        "city": "Lives in", "household": "Household", "marital": "Marital status",
        "needs": "Goals and needs", "psychology": "Buying psychology",
        "research": "How they research", "channel": "Where they buy",
        "loyalty": "Brand loyalty", "spend": "Spend per visit", "frequency": "How often",
        "occasion": "Special occasions", "categories": "Favourite categories",
        "web_savvy": "Web savvy", "social": "Social reach", "service": "Service needs",
        "email": "Email engagement", "stages": "Lifecycle stages",
        "clv": "Customer lifetime value",
        # channel words
        "ch_online": "online", "ch_store": "in store", "ch_phone": "by phone",
        "psy_instant": "instant", "psy_hesitant": "hesitant", "psy_researched": "researched",
        "bands": "low|lower-middle|middle|upper-middle|high",
        "high": "high", "low": "low", "average": "about average",
        # values
        "v_age": "{age}", "v_people": "{n} people", "v_orders_year": "about {n} orders a year",
        "v_once_year": "about once a year", "v_followers": "{n} followers",
        "v_of5": "{x} / 5", "v_band": "{band} ({lo} to {hi})",
        "v_service": "{contacts} contacts per customer, effort {effort} / 10",
        "v_service_noeffort": "{contacts} contacts per customer",
        "v_research": "{sessions} web sessions, mostly via {source}",
        "v_research_nosource": "{sessions} web sessions",
        "v_clv": "mean {mean}, median {median}",
        "v_and": "{a} and {b}",
        # evidence
        "e_median": "median of the {n} members with a value",
        "v_mixed": "mixed",
        "k_majority": "clear majority", "k_over": "over-represented",
        "k_majority_over": "clear majority, over-represented",
        "e_category": "{kind}: {share} of the {n} members with a value (customer base {base})",
        "e_category_mixed": "no clear majority or over-represented value; the most common, "
                            "{value}, is {share} of the {n} members with a value "
                            "(customer base {base})",
        "e_income": "median yearly income {income}, {ratio} of the customer base's median; "
                    "bands are fifths of the customer base",
        "e_needs": "survey items the segment rates highest above the customer base: {items}; "
                   "{n} members answered",
        "e_need_item": "{item} {mean} (base {base})",
        "e_psychology": "{shares} of the {n} members with a web visit before the first purchase",
        "e_research": "median web sessions of the {n} members with web data ({ratio} of the "
                      "base's median)",
        "e_research_source": "; {share} arrive via {source}",
        "e_channel": "mean share of each member's orders: {shares} ({n} buyers)",
        "e_loyalty_survey": "survey brand_loyalty: segment mean {mean}, customer base {base} "
                            "({n} members answered)",
        "e_loyalty_repeat": "{share} of the {n} members bought more than once "
                            "(customer base {base})",
        "e_spend": "median order value of the {n} buyers, {ratio} of the base's median",
        "e_frequency": "median orders per year of tenure of the {n} buyers "
                       "(customer base {base})",
        "e_occasion": "mean share of orders for a special occasion ({n} buyers; "
                      "customer base {base})",
        "e_categories": "{kind}: {cat} is the top category of {share} of the {n} buyers "
                        "(customer base {base})",
        "e_categories_mixed": "no clear majority or over-represented category; {cat} is the "
                              "top category of {share} of the {n} buyers "
                              "(customer base {base})",
        "e_categories_spend": "; share of spend: {spend}",
        "e_web_savvy": "median self-rating of the {n} members with a value",
        "e_social": "median followers of the {n} members with a value (customer base {base})",
        "e_service": "mean support contacts per member {contacts} (customer base {base}); "
                     "mean effort {effort} of the {k} who contacted (base {base_effort})",
        "e_service_noeffort": "mean support contacts per member {contacts} "
                              "(customer base {base})",
        "e_email": "mean email clicks per member {mean}, {ratio} of the customer base's mean "
                   "({n} members with web data)",
        "e_stages": "lifecycle stage of the {n} members: {shares}",
        "e_clv": "expected value per member from the customer-value model ({n} members); "
                 "{ratio} of the customer base's mean",
        "e_feature": "segment mean{relative}; a segmentation feature",
        "e_feature_rel": " ({ratio} of the customer base's mean)",
        # notes
        "n_missing": "{trait}: left out, the data has no {column}",
        "n_few": "{trait}: left out, only {k} of the {n} members have {column} "
                 "(at least {min} needed)",
        "n_no_stages": "{trait}: left out, no purchase history to assign stages from",
        "n_loyalty_rule": "{trait}: left out, every member bought more than once because the "
                          "segmentation requires it, so the repeat rate says nothing here",
        "n_no_clv": "{trait}: left out, the customer-value model has no value for this segment",
        "n_no_needs": "{trait}: left out, no survey item is rated above the customer base",
        "n_no_survey": "{trait}: left out, no survey items in the data",
        # portrait
        "p_intro": "{parts}.",
        "p_age": "{age}", "p_lives": "lives in {city}",
        "p_household": "in a household of {n}",
        "p_buys": "Buys mostly {channel} ({share} of orders)",
        "p_buys_mixed": "Buys {channel} and {channel2} ({share} and {share2} of orders)",
        "p_freq": "about {n} times a year", "p_freq_once": "about once a year",
        "p_spend": "around {aov} a visit",
        "p_categories": "Favourite: {cats}.",
        "p_instant": "Decides fast: most bought within a day of the first visit ({share}).",
        "p_hesitant": "Hesitates: most took 2 to 14 days from the first visit to buy ({share}).",
        "p_researched": "Researches first: most took more than two weeks to buy ({share}).",
        "p_occasion": "Buys mostly for special occasions ({share} of orders).",
        "p_loyal": "Loyal to the brand.", "p_disloyal": "Not tied to one brand.",
        "p_needs": "Cares about {needs}.",
        "p_social": "Talks to {n} followers about what they buy.",
        "p_service": "Needs more help than most ({n} support contacts each).",
        "p_stage": "Largest lifecycle stage: {stage} ({share}).",
        # actions
        "any_category": "their favourite categories",
        "a_email": "Weekly email: new arrivals and offers in {cat}",
        "a_email_w": "weekly", "a_email_c": "email",
        "a_email_why": "{share} of orders online; {ratio} of the base's email clicks",
        "a_online_why": "{share} of orders online",
        "a_ads": "Online ads and site banners for {cat}; keep email light",
        "a_ads_w": "while they browse", "a_ads_c": "web and social ads",
        "a_ads_why": "{share} of orders online but email clicks at {ratio} of the base",
        "a_store": "Invitations to in-store events and personal service for {cat}",
        "a_store_w": "ahead of store events", "a_store_c": "store and direct mail",
        "a_store_why": "{share} of orders in store",
        "a_phone": "A named account contact who calls ahead of the usual reorder",
        "a_phone_w": "every {days} days", "a_phone_c": "phone",
        "a_phone_why": "{share} of orders by phone, about {n} orders a year",
        "a_mixed": "One offer across channels: email with a store-pickup option",
        "a_mixed_w": "monthly", "a_mixed_c": "email and store",
        "a_mixed_why": "orders split {share} {channel} and {share2} {channel2}",
        "a_holiday": "Gift ideas for holidays and gifting seasons",
        "a_holiday_w": "2 to 3 weeks before holidays", "a_holiday_c": "{channel}",
        "a_holiday_why": "{share} of orders for a special occasion",
        "a_loyalty": "A loyalty tier or volume pricing that rewards their frequency",
        "a_loyalty_w": "after each order", "a_loyalty_c": "{channel}",
        "a_loyalty_why": "about {n} orders a year, {ratio} of the base's median",
        "a_second": "A second-purchase offer to turn first-time buyers into regulars",
        "a_second_w": "within 30 days of the first order", "a_second_c": "{channel}",
        "a_second_why": "only {share} bought more than once",
        "a_referral": "Referral and review programme: they talk about what they buy",
        "a_referral_w": "after a good experience", "a_referral_c": "social media",
        "a_referral_why": "median {n} followers, {ratio} of the base's median",
        "a_reassure": "Reassurance: reviews, guarantees and free returns in a reminder",
        "a_reassure_w": "2 to 14 days after a visit", "a_reassure_c": "{channel}",
        "a_reassure_why": "{share} hesitate before the first purchase",
        "a_guide": "Buying guides and comparisons they can research",
        "a_guide_w": "weeks before they buy", "a_guide_c": "web and email",
        "a_guide_why": "{share} research more than two weeks before buying",
        "a_service": "Proactive service: a contact person and help before they ask",
        "a_service_w": "right after each order", "a_service_c": "phone or chat",
        "a_service_why": "{n} support contacts per member, {ratio} of the base",
        "a_test": "Test a first targeted message and measure the response",
        "a_test_w": "next campaign", "a_test_c": "their usual channel",
        "a_test_why": "the data shows no clear channel or habit",
        # cards
        "segment": "Segment", "customers": "customers", "send": "What to send them",
        "what": "What", "when": "When", "through": "Through", "why": "Because",
        "left_out": "Left out (no data)", "page_title": "Personas",
        "trait": "Trait", "value": "Value", "evidence": "Evidence",
    },
    "vi": {
        "age": "Tuổi", "gender": "Giới tính", "occupation": "Nghề nghiệp",
        "income": "Mức thu nhập", "city": "Nơi sống", "household": "Hộ gia đình",
        "marital": "Tình trạng hôn nhân", "needs": "Mục tiêu và nhu cầu",
        "psychology": "Tâm lý mua hàng", "research": "Cách tìm hiểu",
        "channel": "Nơi mua hàng", "loyalty": "Trung thành với thương hiệu",
        "spend": "Chi tiêu mỗi lần mua", "frequency": "Tần suất mua",
        "occasion": "Dịp đặc biệt", "categories": "Ngành hàng yêu thích",
        "web_savvy": "Thành thạo mua online", "social": "Ảnh hưởng mạng xã hội",
        "service": "Nhu cầu hỗ trợ", "email": "Tương tác email",
        "stages": "Giai đoạn vòng đời", "clv": "Giá trị vòng đời khách hàng (CLV)",
        "ch_online": "trực tuyến", "ch_store": "tại cửa hàng", "ch_phone": "qua điện thoại",
        "psy_instant": "mua ngay", "psy_hesitant": "do dự", "psy_researched": "tìm hiểu kỹ",
        "bands": "thấp|trung bình thấp|trung bình|khá|cao",
        "high": "cao", "low": "thấp", "average": "trung bình",
        "v_age": "{age}", "v_people": "{n} người", "v_orders_year": "khoảng {n} đơn mỗi năm",
        "v_once_year": "khoảng một lần mỗi năm", "v_followers": "{n} người theo dõi",
        "v_of5": "{x} / 5", "v_band": "{band} ({lo} đến {hi})",
        "v_service": "{contacts} lần liên hệ mỗi khách, mức vất vả {effort} / 10",
        "v_service_noeffort": "{contacts} lần liên hệ mỗi khách",
        "v_research": "{sessions} phiên truy cập web, chủ yếu qua {source}",
        "v_research_nosource": "{sessions} phiên truy cập web",
        "v_clv": "trung bình {mean}, trung vị {median}",
        "v_and": "{a} và {b}",
        "e_median": "trung vị của {n} thành viên có dữ liệu",
        "v_mixed": "đa dạng",
        "k_majority": "đa số rõ rệt", "k_over": "cao hơn hẳn toàn bộ",
        "k_majority_over": "đa số rõ rệt, cao hơn hẳn toàn bộ",
        "e_category": "{kind}: {share} trong {n} thành viên có dữ liệu (toàn bộ {base})",
        "e_category_mixed": "không có giá trị chiếm đa số rõ rệt hay cao hơn hẳn toàn bộ; phổ "
                            "biến nhất là {value}, {share} trong {n} thành viên có dữ liệu "
                            "(toàn bộ {base})",
        "e_income": "thu nhập năm trung vị {income}, bằng {ratio} trung vị của toàn bộ khách "
                    "hàng; mỗi mức là một phần năm khách hàng",
        "e_needs": "các câu khảo sát phân khúc đánh giá cao hơn toàn bộ khách hàng nhiều nhất: "
                   "{items}; {n} thành viên trả lời",
        "e_need_item": "{item} {mean} (toàn bộ {base})",
        "e_psychology": "{shares} trong {n} thành viên có lượt truy cập web trước lần mua đầu",
        "e_research": "số phiên web trung vị của {n} thành viên có dữ liệu web (bằng {ratio} "
                      "trung vị toàn bộ)",
        "e_research_source": "; {share} đến qua {source}",
        "e_channel": "tỷ lệ đơn hàng trung bình của mỗi thành viên: {shares} ({n} người mua)",
        "e_loyalty_survey": "khảo sát brand_loyalty: trung bình phân khúc {mean}, toàn bộ "
                            "{base} ({n} thành viên trả lời)",
        "e_loyalty_repeat": "{share} trong {n} thành viên mua nhiều hơn một lần "
                            "(toàn bộ {base})",
        "e_spend": "giá trị đơn trung vị của {n} người mua, bằng {ratio} trung vị toàn bộ",
        "e_frequency": "số đơn mỗi năm trung vị của {n} người mua (toàn bộ {base})",
        "e_occasion": "tỷ lệ đơn cho dịp đặc biệt trung bình ({n} người mua; toàn bộ {base})",
        "e_categories": "{kind}: {cat} là ngành hàng hàng đầu của {share} trong {n} người mua "
                        "(toàn bộ {base})",
        "e_categories_mixed": "không có ngành hàng chiếm đa số rõ rệt hay cao hơn hẳn toàn bộ; "
                              "{cat} là ngành hàng hàng đầu của {share} trong {n} người mua "
                              "(toàn bộ {base})",
        "e_categories_spend": "; tỷ lệ chi tiêu: {spend}",
        "e_web_savvy": "trung vị tự đánh giá của {n} thành viên có dữ liệu",
        "e_social": "số người theo dõi trung vị của {n} thành viên có dữ liệu (toàn bộ {base})",
        "e_service": "số lần liên hệ hỗ trợ trung bình mỗi thành viên {contacts} (toàn bộ "
                     "{base}); mức vất vả trung bình {effort} của {k} người đã liên hệ "
                     "(toàn bộ {base_effort})",
        "e_service_noeffort": "số lần liên hệ hỗ trợ trung bình mỗi thành viên {contacts} "
                              "(toàn bộ {base})",
        "e_email": "số lần nhấp email trung bình mỗi thành viên {mean}, bằng {ratio} trung bình "
                   "toàn bộ ({n} thành viên có dữ liệu web)",
        "e_stages": "giai đoạn vòng đời của {n} thành viên: {shares}",
        "e_clv": "giá trị kỳ vọng mỗi thành viên theo mô hình giá trị khách hàng "
                 "({n} thành viên); bằng {ratio} trung bình toàn bộ",
        "e_feature": "trung bình phân khúc{relative}; một biến phân khúc",
        "e_feature_rel": " (bằng {ratio} trung bình toàn bộ)",
        "n_missing": "{trait}: bỏ qua, dữ liệu không có {column}",
        "n_few": "{trait}: bỏ qua, chỉ {k} trong {n} thành viên có {column} (cần ít nhất {min})",
        "n_no_stages": "{trait}: bỏ qua, không có lịch sử mua để xác định giai đoạn",
        "n_loyalty_rule": "{trait}: bỏ qua, mọi thành viên đều mua hơn một lần theo quy tắc "
                          "phân khúc, nên tỷ lệ mua lại không nói lên điều gì",
        "n_no_clv": "{trait}: bỏ qua, mô hình giá trị khách hàng không có giá trị cho "
                    "phân khúc này",
        "n_no_needs": "{trait}: bỏ qua, không câu khảo sát nào cao hơn toàn bộ khách hàng",
        "n_no_survey": "{trait}: bỏ qua, dữ liệu không có câu khảo sát",
        "p_intro": "{parts}.",
        "p_age": "{age} tuổi", "p_lives": "sống ở {city}",
        "p_household": "hộ gia đình {n} người",
        "p_buys": "Chủ yếu mua {channel} ({share} đơn hàng)",
        "p_buys_mixed": "Mua {channel} và {channel2} ({share} và {share2} đơn hàng)",
        "p_freq": "khoảng {n} lần mỗi năm", "p_freq_once": "khoảng một lần mỗi năm",
        "p_spend": "khoảng {aov} mỗi lần",
        "p_categories": "Yêu thích: {cats}.",
        "p_instant": "Quyết định nhanh: phần lớn mua trong vòng một ngày sau lần truy cập "
                     "đầu ({share}).",
        "p_hesitant": "Còn do dự: phần lớn mua sau 2 đến 14 ngày kể từ lần truy cập đầu "
                      "({share}).",
        "p_researched": "Tìm hiểu kỹ trước: phần lớn mua sau hơn hai tuần ({share}).",
        "p_occasion": "Chủ yếu mua cho dịp đặc biệt ({share} đơn hàng).",
        "p_loyal": "Trung thành với thương hiệu.",
        "p_disloyal": "Không gắn bó với một thương hiệu.",
        "p_needs": "Quan tâm đến {needs}.",
        "p_social": "Chia sẻ điều mình mua với {n} người theo dõi.",
        "p_service": "Cần hỗ trợ nhiều hơn ({n} lần liên hệ mỗi người).",
        "p_stage": "Giai đoạn vòng đời đông nhất: {stage} ({share}).",
        "any_category": "các ngành hàng họ yêu thích",
        "a_email": "Email hằng tuần: hàng mới và ưu đãi về {cat}",
        "a_email_w": "hằng tuần", "a_email_c": "email",
        "a_email_why": "{share} đơn hàng trực tuyến; lượt nhấp email bằng {ratio} toàn bộ",
        "a_online_why": "{share} đơn hàng trực tuyến",
        "a_ads": "Quảng cáo trực tuyến và banner trên web về {cat}; hạn chế email",
        "a_ads_w": "khi họ đang xem hàng", "a_ads_c": "quảng cáo web và mạng xã hội",
        "a_ads_why": "{share} đơn hàng trực tuyến nhưng lượt nhấp email chỉ bằng {ratio} "
                     "toàn bộ",
        "a_store": "Mời tham dự sự kiện tại cửa hàng và tư vấn riêng về {cat}",
        "a_store_w": "trước các sự kiện tại cửa hàng", "a_store_c": "cửa hàng và thư trực tiếp",
        "a_store_why": "{share} đơn hàng tại cửa hàng",
        "a_phone": "Một người phụ trách riêng gọi trước kỳ đặt hàng quen thuộc",
        "a_phone_w": "mỗi {days} ngày", "a_phone_c": "điện thoại",
        "a_phone_why": "{share} đơn hàng qua điện thoại, khoảng {n} đơn mỗi năm",
        "a_mixed": "Một ưu đãi trên mọi kênh: email kèm lựa chọn nhận tại cửa hàng",
        "a_mixed_w": "hằng tháng", "a_mixed_c": "email và cửa hàng",
        "a_mixed_why": "đơn hàng chia {share} {channel} và {share2} {channel2}",
        "a_holiday": "Gợi ý quà tặng cho các dịp lễ",
        "a_holiday_w": "2 đến 3 tuần trước dịp lễ", "a_holiday_c": "{channel}",
        "a_holiday_why": "{share} đơn hàng cho dịp đặc biệt",
        "a_loyalty": "Hạng thành viên hoặc giá theo số lượng để thưởng cho tần suất mua",
        "a_loyalty_w": "sau mỗi đơn hàng", "a_loyalty_c": "{channel}",
        "a_loyalty_why": "khoảng {n} đơn mỗi năm, bằng {ratio} trung vị toàn bộ",
        "a_second": "Ưu đãi cho lần mua thứ hai để khách mới thành khách quen",
        "a_second_w": "trong 30 ngày sau đơn đầu tiên", "a_second_c": "{channel}",
        "a_second_why": "chỉ {share} mua nhiều hơn một lần",
        "a_referral": "Chương trình giới thiệu và đánh giá: họ hay chia sẻ điều mình mua",
        "a_referral_w": "sau một trải nghiệm tốt", "a_referral_c": "mạng xã hội",
        "a_referral_why": "trung vị {n} người theo dõi, bằng {ratio} trung vị toàn bộ",
        "a_reassure": "Nhắc nhở kèm đánh giá, bảo hành và đổi trả miễn phí",
        "a_reassure_w": "2 đến 14 ngày sau lần truy cập", "a_reassure_c": "{channel}",
        "a_reassure_why": "{share} còn do dự trước lần mua đầu",
        "a_guide": "Hướng dẫn chọn mua và bảng so sánh để họ tìm hiểu",
        "a_guide_w": "vài tuần trước khi mua", "a_guide_c": "web và email",
        "a_guide_why": "{share} tìm hiểu hơn hai tuần trước khi mua",
        "a_service": "Hỗ trợ chủ động: người liên hệ riêng, giúp trước khi họ hỏi",
        "a_service_w": "ngay sau mỗi đơn hàng", "a_service_c": "điện thoại hoặc chat",
        "a_service_why": "{n} lần liên hệ hỗ trợ mỗi thành viên, bằng {ratio} toàn bộ",
        "a_test": "Thử một thông điệp nhắm mục tiêu và đo phản hồi",
        "a_test_w": "chiến dịch tới", "a_test_c": "kênh có dữ liệu",
        "a_test_why": "dữ liệu chưa cho thấy kênh hay thói quen rõ ràng",
        "segment": "Phân khúc", "customers": "khách hàng", "send": "Gửi gì cho họ",
        "what": "Nội dung", "when": "Khi nào", "through": "Kênh", "why": "Vì",
        "left_out": "Bỏ qua (không có dữ liệu)", "page_title": "Chân dung khách hàng",
        "trait": "Đặc điểm", "value": "Giá trị", "evidence": "Bằng chứng",
    },
}

#: Plain words for the demo's survey items ("Cares about personal service"); others: the name.
SURVEY_LABELS = {
    "en": {"health_conscious": "health", "adventure_seeking": "adventure and novelty",
           "price_sensitivity": "low prices", "brand_loyalty": "brands they trust",
           "researches_before_buying": "researching before buying",
           "buys_on_impulse": "impulse buys", "values_same_day_delivery": "same-day delivery",
           "values_personal_service": "personal service", "eco_conscious": "the environment"},
    "vi": {"health_conscious": "sức khỏe", "adventure_seeking": "trải nghiệm mới",
           "price_sensitivity": "giá thấp", "brand_loyalty": "thương hiệu tin cậy",
           "researches_before_buying": "tìm hiểu trước khi mua",
           "buys_on_impulse": "mua ngẫu hứng", "values_same_day_delivery": "giao hàng trong ngày",
           "values_personal_service": "phục vụ tận tình", "eco_conscious": "môi trường"},
}

#: Plain-word labels for clustering features; others get their name with spaces.
FEATURE_LABELS = {
    "n_orders": "Orders per customer",
    "frequency": "Orders",
    "revenue": "Revenue",
    "monetary": "Revenue",
    "margin": "Margin",
    "recency_days": "Days since last order",
    "tenure_days": "Days as a customer",
    "margin_rate": "Margin rate",
    "returns_rate": "Returns rate",
    "discount_share": "Share of orders on discount",
    "service_effort": "Service effort (1-10)",
    "service_contacts": "Support contacts",
    "web_sessions": "Web sessions",
    "clv_12m": "Expected value, next 12 months",
}

#: Columns the standard traits read; clustering features among them get no extra line.
_COVERED = {"age", "gender", "occupation", "income", "city", "household_size",
            "marital_status", "online_share", "store_share", "phone_share", "orders_per_year",
            "avg_order_value", "special_occasion_share", "web_savviness", "social_followers",
            "brand_loyalty", "repeat_customer", "favourite_category", "service_contacts",
            "service_effort", "web_sessions", "web_referral_source", "web_email_clicks",
            "buying_psychology"}


def feature_label(feature: str, locale: str = "en") -> str:
    """The trait label of a clustering feature ("recency_days" -> "Days since last order").

    In the run's language for the features of :data:`FEATURE_LABELS` (the catalogue of
    :mod:`seglib.i18n`); other features are the client's column names, spaced.
    """
    from seglib import i18n

    if feature in FEATURE_LABELS and i18n.has(f"feature.{feature}"):
        label = i18n.t(f"feature.{feature}", locale if locale in i18n.LOCALES else "en")
    else:
        label = FEATURE_LABELS.get(feature, feature.replace("_", " "))
    return label[:1].upper() + label[1:]


def _is_share(feature: str) -> bool:
    """True for features that are shares of a whole (shown as percentages)."""
    return feature.endswith(("_share", "_rate"))


def _numeric(table: pd.DataFrame, column: str) -> bool:
    """True when the column is present, numeric (not boolean) and not all missing."""
    return (column in table and pd.api.types.is_numeric_dtype(table[column])
            and not pd.api.types.is_bool_dtype(table[column]) and table[column].notna().any())


def _mode(values: pd.Series) -> tuple[str | None, float, int]:
    """Most common value (ties: alphabetical), its share of the filled values, and their count."""
    counts = values.dropna().astype(str).value_counts()
    if counts.empty:
        return None, 0.0, 0
    top = counts.sort_index().sort_values(ascending=False, kind="stable")
    return str(top.index[0]), float(top.iloc[0] / counts.sum()), int(counts.sum())


def _ratio(value: float, base: float) -> float:
    return value / base if base else float("nan")


#: A category value is a "clear majority" when at least this share of the members with a
#: value have it (3 in 5: most members fit the description, not just over half).
MAJORITY_SHARE = 0.60
#: A category value is "over-represented" when the segment's share is at least this many
#: times the customer base's share ...
OVER_RATIO = 1.25
#: ... and at least this many percentage points (as a fraction) above it.
OVER_POINTS = 0.10
#: Room for rounding in the comparisons (3 of 5 is 60%, 45% is 10 points over 35%).
_EPS = 1e-9


def category_verdict(values: pd.Series, base_values: pd.Series) -> dict:
    """Whether a category trait names a value for the segment, and which one.

    ``values`` are the segment members' values, ``base_values`` those of the whole
    customer base (missing values left out of both). Returns ``value``, ``kind``,
    ``share`` (the segment's share of ``value``), ``base`` (the base's share of it)
    and ``n`` (members with a value). ``kind`` is

    * ``"majority"``: the most common value has at least :data:`MAJORITY_SHARE` of the
      members (``"majority_over"`` when it is over-represented as well);
    * ``"over"``: no majority, but a value's share is at least :data:`OVER_RATIO` times
      the base's share and :data:`OVER_POINTS` above it (the largest such share is taken;
      ties: the larger lift, then alphabetical);
    * ``"mixed"``: neither; ``value`` is then the most common value, for the evidence.

    Why these thresholds: a segment's share near half is mostly noise (with 200 to 500
    members the 95% margin of error of a share near 50% is 4 to 7 points, so 52% "female"
    cannot be told from an even split), and a bare majority still leaves nearly half the
    members unlike the persona; 60% means three in five. Against the base both conditions
    are needed: the ratio alone would call 2% against 1% over-represented, the points
    alone 58% against 48% (a fifth more, not a trait of the segment). A 45% share against
    a 20% base passes both, a 54% share against a 56% base neither.
    """
    counts = values.dropna().astype(str).value_counts()
    value, share, n = _mode(values)
    if value is None:
        return {"value": None, "kind": "mixed", "share": 0.0, "base": 0.0, "n": 0}
    shares = counts / counts.sum()
    base = base_values.dropna().astype(str).value_counts(normalize=True)

    def base_of(v: str) -> float:
        return float(base.get(v, 0.0))

    def over(v: str) -> bool:
        s, b = float(shares[v]), base_of(v)
        return s >= OVER_RATIO * b - _EPS and s - b >= OVER_POINTS - _EPS

    if share >= MAJORITY_SHARE - _EPS:
        kind = "majority_over" if over(value) else "majority"
    elif candidates := [str(v) for v in shares.index if over(str(v))]:
        kind = "over"
        value = min(candidates, key=lambda v: (-shares[v], -(shares[v] - base_of(v)), v))
        share = float(shares[value])
    else:
        kind = "mixed"
    return {"value": value, "kind": kind, "share": share, "base": base_of(value), "n": n}


def without_pii(customers: pd.DataFrame) -> pd.DataFrame:
    """The customer table without columns that could hold a name, email, phone or address.

    01_collect already removes them; this is the second lock, for a table that
    kept them (``collect.keep_pii``) or a hand-made one.
    """
    def personal(column: str) -> bool:
        values = customers[column]
        if column == "customer_id" or pd.api.types.is_bool_dtype(values):
            return False
        if pd.api.types.is_numeric_dtype(values):  # shares and counts, not phone numbers
            return is_pii_column(column) and bool((values.abs() >= 10_000_000).any())
        return is_pii_column(column) or pii_kind(values) is not None

    return customers.drop(columns=[c for c in customers.columns if personal(c)])


def survey_items(collected: dict) -> list[str]:
    """Survey item columns of the customer table, from ``collect.json`` (factor scores left out)."""
    origin = collected.get("columns") or {}
    return [c for c, source in origin.items()
            if source == "survey" and not c.startswith("survey_factor")]


#: How clients write gender (English and Vietnamese, with and without accents) -> the name
#: pool a persona's first name comes from; any other value takes names from both pools.
GENDER_WORDS = {
    "female": "female", "f": "female", "woman": "female", "women": "female", "w": "female",
    "nữ": "female", "nu": "female", "phụ nữ": "female", "phu nu": "female",
    "male": "male", "m": "male", "man": "male", "men": "male",
    "nam": "male", "đàn ông": "male", "dan ong": "male",
}


def persona_names(genders: dict[int, str | None], locale: str, seed: int) -> dict[int, str]:
    """Distinct made-up first names, one per segment, matching the segment's main gender.

    ``genders`` holds each segment's most common gender as the data write it (not the
    card's "mixed"); a value not in :data:`GENDER_WORDS` draws from both pools.

    Reproducible from the seed; never taken from the client's data.
    """
    names = FIRST_NAMES.get(locale, FIRST_NAMES["en"])
    rng = np.random.default_rng(seed)
    pools = {g: [pool[i] for i in rng.permutation(len(pool))] for g, pool in names.items()}
    mixed = [n for pair in zip(pools["female"], pools["male"], strict=True) for n in pair]
    used: set[str] = set()
    chosen = {}
    for seg in sorted(genders):
        gender = GENDER_WORDS.get((genders[seg] or "").strip().lower())
        pool = pools.get(gender, mixed)
        name = next((n for n in pool + mixed if n not in used), f"Persona {seg}")
        used.add(name)
        chosen[seg] = name
    return chosen


class _Builder:
    """Collects one persona's traits, notes and facts (the numbers the portrait uses)."""

    def __init__(self, members: pd.DataFrame, base: pd.DataFrame, locale: str, currency: str,
                 min_customers: int):
        self.members, self.base = members, base
        self.locale = locale if locale in TEXT else "en"
        self.words = TEXT[self.locale]
        self.currency = currency
        self.min_customers = min_customers
        self.n = len(members)
        self.traits: list[dict] = []
        self.notes: list[str] = []
        self.facts: dict = {}

    # formatting ---------------------------------------------------------------------------
    def t(self, key: str, **fields) -> str:
        return self.words[key].format(**fields)

    def num(self, value: float, decimals: int = 0) -> str:
        text = f"{value:,.{decimals}f}"
        if self.locale == "vi":  # 1.234,5
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text

    def pct(self, share: float) -> str:
        return f"{share:.0%}" if np.isfinite(share) else "n/a"

    def money(self, value: float) -> str:
        """Money in the locale's format with the currency's symbol (``$1,234``, ``1.234 ₫``)."""
        from seglib import i18n

        return i18n.money(value, self.currency, self.locale)

    # recording ----------------------------------------------------------------------------
    def add(self, key: str, value: str, evidence: str, statistic, customers: int) -> None:
        self.traits.append({"key": key, "trait": self.words[key], "value": value,
                            "evidence": evidence, "statistic": statistic,
                            "customers": int(customers)})

    def usable(self, key: str, column: str, numeric: bool = True) -> pd.Series | None:
        """The members' filled values of ``column``, or None with a note saying why not."""
        present = _numeric(self.base, column) if numeric else column in self.base
        if not present:
            self.notes.append(self.t("n_missing", trait=self.words[key], column=column))
            return None
        values = self.members[column].dropna()
        if len(values) < self.min_customers:
            self.notes.append(self.t("n_few", trait=self.words[key], k=len(values), n=self.n,
                                     column=column, min=self.min_customers))
            return None
        return values

    def median_trait(self, key: str, column: str, value_key: str, decimals: int = 0,
                     evidence_key: str = "e_median") -> float | None:
        values = self.usable(key, column)
        if values is None:
            return None
        median = float(values.median())
        base = float(self.base[column].median())
        self.add(key, self.t(value_key, n=self.num(median, decimals), x=self.num(median, 1),
                             age=self.num(median)),
                 self.t(evidence_key, n=len(values), base=self.num(base, decimals)),
                 median, len(values))
        self.facts[key] = median
        self.facts[f"{key}_base"] = base
        return median

    def category_trait(self, key: str, column: str) -> str | None:
        """A category trait by :func:`category_verdict`: the value it names, or None (mixed).

        The statistic is the segment's share of the value named (of the most common one
        when the segment is mixed); ``facts`` get ``{key}_kind``, ``{key}_share`` and
        ``{key}_base``, and ``{key}`` only when a value is named.
        """
        values = self.usable(key, column, numeric=False)
        if values is None:
            return None
        v = category_verdict(values, self.base[column])
        shares = {"share": self.pct(v["share"]), "base": self.pct(v["base"]), "n": v["n"]}
        if v["kind"] == "mixed":
            value = self.words["v_mixed"]
            evidence = self.t("e_category_mixed", value=v["value"], **shares)
        else:
            value = v["value"]
            evidence = self.t("e_category", kind=self.words[f"k_{v['kind']}"], **shares)
            self.facts[key] = value
        self.add(key, value, evidence, v["share"], v["n"])
        self.facts.update({f"{key}_kind": v["kind"], f"{key}_share": v["share"],
                           f"{key}_base": v["base"]})
        return None if v["kind"] == "mixed" else value


def build_persona(members: pd.DataFrame, base: pd.DataFrame, name: str, *,
                  locale: str = "en", currency: str = "", features: list[str] | None = None,
                  survey: list[str] | None = None, clv: pd.DataFrame | None = None,
                  stages: pd.Series | None = None, min_customers: int = 10,
                  top_needs: int = 3) -> dict:
    """One persona from a segment's members; ``base`` is the whole customer table.

    Parameters
    ----------
    members, base
        Customer tables (one row per customer) of the segment and of everyone.
    name
        The made-up first name.
    survey
        Survey item columns (psychographics); ``brand_loyalty`` among them gives
        the loyalty trait, the others the goals and needs.
    clv
        ``customer_id, clv`` per customer (clv.parquet).
    stages
        Lifecycle stage per customer, aligned with ``base``'s index.
    min_customers
        A trait needs at least this many members with a value.

    Returns
    -------
    dict
        ``name``, ``title``, ``summary`` (the portrait), ``customers``,
        ``traits`` (``key, trait, value, evidence, statistic, customers``),
        ``actions`` (``what, when, channel, why``) and ``notes`` (traits left out).
    """
    b = _Builder(members, base, locale, currency, min_customers)
    b.median_trait("age", "age", "v_age")
    b.category_trait("gender", "gender")
    b.category_trait("occupation", "occupation")
    _income(b)
    b.category_trait("city", "city")
    b.median_trait("household", "household_size", "v_people")
    if "marital_status" in base:
        b.category_trait("marital", "marital_status")
    _needs(b, survey, top_needs)
    _psychology(b)
    _research(b)
    _channels(b)
    _loyalty(b, survey)
    spend = b.usable("spend", "avg_order_value")
    if spend is not None:
        aov, base_aov = float(spend.median()), float(base["avg_order_value"].median())
        b.facts["aov"] = aov
        b.add("spend", b.money(aov), b.t("e_spend", n=len(spend),
                                         ratio=b.pct(_ratio(aov, base_aov))), aov, len(spend))
    freq = b.usable("frequency", "orders_per_year")
    if freq is not None:
        median, base_freq = float(freq.median()), float(base["orders_per_year"].median())
        b.facts["frequency"], b.facts["frequency_ratio"] = median, _ratio(median, base_freq)
        value = (b.t("v_orders_year", n=b.num(median)) if median >= 1.5
                 else b.words["v_once_year"])
        b.add("frequency", value, b.t("e_frequency", n=len(freq), base=b.num(base_freq, 1)),
              median, len(freq))
    occasion = b.usable("occasion", "special_occasion_share")
    if occasion is not None:
        mean = float(occasion.mean())
        b.facts["occasion"] = mean
        base_occasion = float(base["special_occasion_share"].mean())
        b.add("occasion", b.pct(mean),
              b.t("e_occasion", n=len(occasion), base=b.pct(base_occasion)), mean, len(occasion))
    _categories(b)
    if "web_savviness" in base:
        b.median_trait("web_savvy", "web_savviness", "v_of5", evidence_key="e_web_savvy")
    followers = b.median_trait("social", "social_followers", "v_followers",
                               evidence_key="e_social")
    if followers is not None:
        b.facts["social_ratio"] = _ratio(followers, b.facts["social_base"])
    _service(b)
    _email(b)
    _stages(b, stages)
    _clv(b, clv)
    for feature in features or []:
        if feature in _COVERED or not _numeric(members, feature) or not _numeric(base, feature):
            continue
        values = members[feature].dropna()
        mean, base_mean = float(values.mean()), float(base[feature].mean())
        relative = (b.t("e_feature_rel", ratio=b.pct(mean / base_mean)) if base_mean else "")
        b.traits.append({"key": f"feature:{feature}", "trait": feature_label(feature, b.locale),
                         "value": b.pct(mean) if _is_share(feature) else b.num(mean, 2),
                         "evidence": b.t("e_feature", relative=relative), "statistic": mean,
                         "customers": len(values)})
    title = f"{name}, {b.num(b.facts['age'])}" if "age" in b.facts else name
    return {"name": name, "title": title, "summary": _portrait(b, name),
            "customers": b.n, "traits": b.traits, "actions": _actions(b), "notes": b.notes}


# traits ----------------------------------------------------------------------------------

def _income(b: _Builder) -> None:
    values = b.usable("income", "income")
    if values is None:
        return
    income = float(values.median())
    all_income = b.base["income"].dropna()
    edges = all_income.quantile([0, 0.2, 0.4, 0.6, 0.8, 1]).to_numpy()
    band = int(min(np.searchsorted(edges[1:-1], income, side="right"), 4))
    labels = b.words["bands"].split("|")
    value = b.t("v_band", band=labels[band], lo=b.money(edges[band]), hi=b.money(edges[band + 1]))
    b.facts["income_band"] = band
    b.add("income", value, b.t("e_income", income=b.money(income),
                               ratio=b.pct(_ratio(income, float(all_income.median())))),
          income, len(values))


def _survey_lift(b: _Builder, item: str) -> tuple[float, float, float, int] | None:
    """Segment mean, base mean, lift in base standard deviations and answers, for one item."""
    if not _numeric(b.base, item):
        return None
    values = b.members[item].dropna()
    if len(values) < b.min_customers:
        return None
    base = b.base[item].dropna()
    sd = float(base.std()) or 1.0
    return float(values.mean()), float(base.mean()), (float(values.mean()) - base.mean()) / sd, \
        len(values)


def _needs(b: _Builder, survey: list[str] | None, top: int) -> None:
    items = [s for s in survey or [] if s != "brand_loyalty" and s in b.base]
    if not items:
        b.notes.append(b.t("n_no_survey", trait=b.words["needs"]))
        return
    lifts = {item: lift for item in items if (lift := _survey_lift(b, item)) is not None}
    if not lifts:
        answered = int(b.members[items].notna().any(axis=1).sum())
        b.notes.append(b.t("n_few", trait=b.words["needs"], k=answered, n=b.n,
                           column="survey", min=b.min_customers))
        return
    ranked = sorted((i for i in lifts if lifts[i][2] > 0), key=lambda i: (-lifts[i][2], i))[:top]
    if not ranked:
        b.notes.append(b.t("n_no_needs", trait=b.words["needs"]))
        return
    words = SURVEY_LABELS[b.locale]
    labels = [words.get(i, i.replace("_", " ")) for i in ranked]
    detail = "; ".join(b.t("e_need_item", item=f"{label} ({i})", mean=b.num(lifts[i][0], 1),
                           base=b.num(lifts[i][1], 1))
                       for i, label in zip(ranked, labels, strict=True))
    answered = max(lifts[i][3] for i in ranked)
    b.facts["needs"] = labels
    b.add("needs", ", ".join(labels), b.t("e_needs", items=detail, n=answered),
          {i: lifts[i][0] for i in ranked}, answered)


def _psychology(b: _Builder) -> None:
    values = b.usable("psychology", "buying_psychology", numeric=False)
    if values is None:
        return
    shares = values.astype(str).value_counts(normalize=True)
    kind, share, filled = _mode(values)
    word = b.words.get(f"psy_{kind}", kind)
    listed = ", ".join(f"{b.words.get(f'psy_{k}', k)} {b.pct(float(s))}"
                       for k, s in shares.sort_index().sort_values(ascending=False,
                                                                   kind="stable").items())
    b.facts["psychology"], b.facts["psychology_share"] = kind, share
    b.facts["psychology_shares"] = {str(k): float(s) for k, s in shares.items()}
    b.add("psychology", word, b.t("e_psychology", shares=listed, n=filled), share, filled)


def _research(b: _Builder) -> None:
    values = b.usable("research", "web_sessions")
    if values is None:
        return
    sessions = float(values.median())
    ratio = _ratio(sessions, float(b.base["web_sessions"].median()))
    evidence = b.t("e_research", n=len(values), ratio=b.pct(ratio))
    value = b.t("v_research_nosource", sessions=b.num(sessions))
    if "web_referral_source" in b.base:
        source, share, _ = _mode(b.members["web_referral_source"])
        if source:
            value = b.t("v_research", sessions=b.num(sessions), source=source)
            evidence += b.t("e_research_source", share=b.pct(share), source=source)
    b.add("research", value, evidence, sessions, len(values))


def _channels(b: _Builder) -> None:
    shares, counts = {}, {}
    for channel in CHANNELS:
        if _numeric(b.base, f"{channel}_share"):
            values = b.members[f"{channel}_share"].dropna()
            if len(values) >= b.min_customers:
                shares[channel], counts[channel] = float(values.mean()), len(values)
    if not shares:
        b.notes.append(b.t("n_missing", trait=b.words["channel"],
                           column="online_share / store_share / phone_share"))
        return
    ranked = sorted(shares, key=lambda c: (-shares[c], CHANNELS.index(c)))
    top = ranked[0]
    b.facts["channel"], b.facts["channel_share"] = top, shares[top]
    value = b.words[f"ch_{top}"]
    if shares[top] < 0.55 and len(ranked) > 1:
        second = ranked[1]
        b.facts["channel2"], b.facts["channel2_share"] = second, shares[second]
        value = b.t("v_and", a=value, b=b.words[f"ch_{second}"])
    listed = ", ".join(f"{b.words[f'ch_{c}']} {b.pct(shares[c])}" for c in ranked)
    b.add("channel", value, b.t("e_channel", shares=listed, n=max(counts.values())),
          shares, max(counts.values()))


def _level(lift: float) -> str:
    return "high" if lift >= 0.25 else "low" if lift <= -0.25 else "average"


def _loyalty(b: _Builder, survey: list[str] | None) -> None:
    if "brand_loyalty" in (survey or []) and (lift := _survey_lift(b, "brand_loyalty")):
        mean, base, sd_lift, answered = lift
        level = _level(sd_lift)
        b.facts["loyalty"] = level
        b.add("loyalty", b.words[level], b.t("e_loyalty_survey", mean=b.num(mean, 1),
                                             base=b.num(base, 1), n=answered), mean, answered)
        return
    if "repeat_customer" not in b.base or "n_orders" not in b.base:
        b.notes.append(b.t("n_missing", trait=b.words["loyalty"],
                           column="brand_loyalty / repeat_customer"))
        return
    buyers = b.members[b.members["n_orders"].fillna(0) > 0]
    if len(buyers) < b.min_customers:
        b.notes.append(b.t("n_few", trait=b.words["loyalty"], k=len(buyers), n=b.n,
                           column="repeat_customer", min=b.min_customers))
        return
    if buyers["n_orders"].min() >= 2:  # repeat buyers by the segmentation's own rule
        b.notes.append(b.t("n_loyalty_rule", trait=b.words["loyalty"]))
        return
    all_buyers = b.base[b.base["n_orders"].fillna(0) > 0]
    share = float(buyers["repeat_customer"].astype(bool).mean())
    base = float(all_buyers["repeat_customer"].astype(bool).mean())
    level = "high" if share >= base * 1.2 else "low" if share <= base * 0.8 else "average"
    b.facts["loyalty"], b.facts["repeat_share"] = level, share
    b.add("loyalty", b.words[level], b.t("e_loyalty_repeat", share=b.pct(share), n=len(buyers),
                                         base=b.pct(base)), share, len(buyers))


def _category_names(base: pd.DataFrame) -> dict[str, str]:
    """``category_share_<slug>`` column -> the category as the client wrote it.

    The columns are named from the categories (:func:`seglib.rfm.category_columns`); the
    favourite categories of the customer base give the names back (``noi_that`` -> "nội
    thất"). A column whose category is nobody's favourite keeps its slug.
    """
    from seglib import rfm

    if "favourite_category" not in base:
        return {}
    names = sorted(base["favourite_category"].dropna().astype(str).unique())
    return {column: name for name, column in rfm.category_columns(names).items()}


def _categories(b: _Builder) -> None:
    values = b.usable("categories", "favourite_category", numeric=False)
    if values is None:
        return
    v = category_verdict(values, b.base["favourite_category"])
    cat, share, filled = v["value"], v["share"], v["n"]
    spend_columns = [c for c in b.base.columns if c.startswith("category_share_")
                     and _numeric(b.members, c)]
    spend = (b.members[spend_columns].mean().sort_values(ascending=False, kind="stable")
             if spend_columns else pd.Series(dtype=float))
    named = _category_names(b.base)
    spend.index = [named.get(c, c.removeprefix("category_share_")) for c in spend.index]
    shares = {"cat": cat, "share": b.pct(share), "n": filled, "base": b.pct(v["base"])}
    b.facts["categories_kind"] = v["kind"]
    if v["kind"] == "mixed":  # no favourite to name: the card says mixed, the actions stay general
        cats = []
        value = b.words["v_mixed"]
        evidence = b.t("e_categories_mixed", **shares)
    else:
        cats = [cat] + [c for c in spend.index[:2] if c != cat and spend[c] >= 0.15]
        cats = cats[:2]
        value = ", ".join(cats)
        evidence = b.t("e_categories", kind=b.words[f"k_{v['kind']}"], **shares)
    b.facts["categories"] = cats
    if not spend.empty:
        listed = ", ".join(f"{c} {b.pct(float(s))}" for c, s in spend.head(3).items())
        evidence += b.t("e_categories_spend", spend=listed)
    b.add("categories", value, evidence, share, filled)


def _service(b: _Builder) -> None:
    values = b.usable("service", "service_contacts")
    if values is None:
        return
    contacts, base = float(values.mean()), float(b.base["service_contacts"].mean())
    b.facts["service"], b.facts["service_ratio"] = contacts, _ratio(contacts, base)
    effort = b.members["service_effort"].dropna() if "service_effort" in b.base else []
    if len(effort) >= b.min_customers:
        mean_effort = float(effort.mean())
        value = b.t("v_service", contacts=b.num(contacts, 1), effort=b.num(mean_effort, 1))
        evidence = b.t("e_service", contacts=b.num(contacts, 1), base=b.num(base, 1),
                       effort=b.num(mean_effort, 1), k=len(effort),
                       base_effort=b.num(float(b.base["service_effort"].mean()), 1))
    else:
        value = b.t("v_service_noeffort", contacts=b.num(contacts, 1))
        evidence = b.t("e_service_noeffort", contacts=b.num(contacts, 1), base=b.num(base, 1))
    b.add("service", value, evidence, contacts, len(values))


def _email(b: _Builder) -> None:
    values = b.usable("email", "web_email_clicks")
    if values is None:
        return
    mean = float(values.mean())
    ratio = _ratio(mean, float(b.base["web_email_clicks"].mean()))
    level = "high" if ratio >= 1.2 else "low" if ratio <= 0.8 else "average"
    b.facts["email_ratio"] = ratio
    b.add("email", b.words[level], b.t("e_email", mean=b.num(mean, 1), ratio=b.pct(ratio),
                                       n=len(values)), mean, len(values))


#: Lifecycle stage names as a card shows them, per locale (the data keep the English ones).
STAGE_WORDS = {"vi": {"Awareness": "Nhận biết", "Engagement & evaluation": "Tương tác & cân nhắc",
                      "First purchase": "Mua lần đầu", "Post-purchase / repeat": "Mua lại",
                      "Loyal & advocate": "Trung thành & giới thiệu",
                      "At risk": "Có nguy cơ rời bỏ", "Lapsed": "Đã rời bỏ"}}


def _stages(b: _Builder, stages: pd.Series | None) -> None:
    if stages is None:
        b.notes.append(b.t("n_no_stages", trait=b.words["stages"]))
        return
    values = stages.reindex(b.members.index).dropna().astype(str)
    if len(values) < b.min_customers:
        b.notes.append(b.t("n_few", trait=b.words["stages"], k=len(values), n=b.n,
                           column="stage", min=b.min_customers))
        return
    counts = values.value_counts().sort_index().sort_values(ascending=False, kind="stable")
    shares = counts / counts.sum()
    top = shares.index[:2]
    words = STAGE_WORDS.get(b.locale, {})
    b.facts["stage"] = words.get(str(top[0]), str(top[0]))
    b.facts["stage_share"] = float(shares.iloc[0])
    value = ", ".join(f"{words.get(s, s)} {b.pct(float(shares[s]))}" for s in top)
    listed = ", ".join(f"{words.get(s, s)} {b.pct(float(v))}" for s, v in shares.items())
    b.add("stages", value, b.t("e_stages", n=len(values), shares=listed),
          {str(s): float(v) for s, v in shares.items()}, len(values))


def _clv(b: _Builder, clv: pd.DataFrame | None) -> None:
    if clv is None or "customer_id" not in b.members:
        b.notes.append(b.t("n_missing", trait=b.words["clv"], column=b.words["clv"]))
        return
    by_id = clv.drop_duplicates("customer_id").set_index("customer_id")["clv"]
    values = b.members["customer_id"].map(by_id).dropna()
    if len(values) < b.min_customers:
        b.notes.append(b.t("n_no_clv", trait=b.words["clv"]))
        return
    mean, median = float(values.mean()), float(values.median())
    base = float(b.base["customer_id"].map(by_id).dropna().mean())
    b.add("clv", b.t("v_clv", mean=b.money(mean), median=b.money(median)),
          b.t("e_clv", n=len(values), ratio=b.pct(_ratio(mean, base))),
          {"mean": mean, "median": median}, len(values))


# portrait and actions ---------------------------------------------------------------------

#: A category trait enters the portrait only when the card names its value (see
#: :func:`category_verdict`) and at least this share of members has it.
PORTRAIT_SHARE = 0.4


def _portrait(b: _Builder, name: str) -> str:
    """The persona in a few sentences, each driven by a trait that is on the card."""
    f, t = b.facts, b.t
    intro = [name]
    if "age" in f:
        intro.append(t("p_age", age=b.num(f["age"])))
    # the portrait speaks only of what the card names (facts hold no value for a mixed
    # trait) and most members share; the card shows the rest with its share
    if "occupation" in f and f.get("occupation_share", 0) >= PORTRAIT_SHARE:
        intro.append(f["occupation"])
    if "city" in f and f.get("city_share", 1) >= PORTRAIT_SHARE:
        intro.append(t("p_lives", city=f["city"]))
    if "household" in f:
        intro.append(t("p_household", n=b.num(f["household"])))
    sentences = [t("p_intro", parts=", ".join(intro))]
    buys = []
    if "channel2" in f:
        buys.append(t("p_buys_mixed", channel=b.words[f"ch_{f['channel']}"],
                      channel2=b.words[f"ch_{f['channel2']}"], share=b.pct(f["channel_share"]),
                      share2=b.pct(f["channel2_share"])))
    elif "channel" in f:
        buys.append(t("p_buys", channel=b.words[f"ch_{f['channel']}"],
                      share=b.pct(f["channel_share"])))
    if "frequency" in f:
        buys.append(t("p_freq", n=b.num(f["frequency"])) if f["frequency"] >= 1.5
                    else b.words["p_freq_once"])
    if "aov" in f:
        buys.append(t("p_spend", aov=b.money(f["aov"])))
    if buys:
        text = ", ".join(buys)
        sentences.append(text[:1].upper() + text[1:] + ".")
    if f.get("categories"):
        sentences.append(t("p_categories", cats=", ".join(f["categories"])))
    if f.get("psychology") in PSYCHOLOGY and f["psychology_share"] > 0.5:
        sentences.append(t(f"p_{f['psychology']}", share=b.pct(f["psychology_share"])))
    if f.get("occasion", 0) >= 0.4:
        sentences.append(t("p_occasion", share=b.pct(f["occasion"])))
    if f.get("loyalty") == "high":
        sentences.append(b.words["p_loyal"])
    elif f.get("loyalty") == "low":
        sentences.append(b.words["p_disloyal"])
    if f.get("needs"):
        sentences.append(t("p_needs", needs=", ".join(f["needs"])))
    if f.get("social", 0) >= 500 and f.get("social_ratio", 0) >= 1.5:
        sentences.append(t("p_social", n=b.num(f["social"])))
    if f.get("service_ratio", 0) >= 1.5:
        sentences.append(t("p_service", n=b.num(f["service"], 1)))
    if "stage" in f:
        sentences.append(t("p_stage", stage=f["stage"], share=b.pct(f["stage_share"])))
    return " ".join(sentences)


def _action(b: _Builder, key: str, why: str, **fields) -> dict:
    return {"what": b.t(f"a_{key}", **fields), "when": b.t(f"a_{key}_w", **fields),
            "channel": b.t(f"a_{key}_c", **fields), "why": why}


def _actions(b: _Builder) -> list[dict]:
    """What to send them, when and through which channel, each with the traits behind it."""
    f, t, out = b.facts, b.t, []
    channel = f.get("channel")
    cats = ", ".join(f.get("categories", [])) or b.words["any_category"]
    main = b.words[f"ch_{channel}"] if channel else b.words["a_test_c"]
    if "channel2" in f:
        out.append(_action(b, "mixed", t("a_mixed_why", share=b.pct(f["channel_share"]),
                                         channel=main, share2=b.pct(f["channel2_share"]),
                                         channel2=b.words[f"ch_{f['channel2']}"])))
        main = b.words["a_mixed_c"]
    elif channel == "online":
        ratio = f.get("email_ratio")
        key = "ads" if ratio is not None and ratio < 1 else "email"
        why = (t(f"a_{key}_why", share=b.pct(f["channel_share"]), ratio=b.pct(ratio))
               if ratio is not None else t("a_online_why", share=b.pct(f["channel_share"])))
        out.append(_action(b, key, why, cat=cats))
        main = b.words[f"a_{key}_c"]
    elif channel == "store":
        out.append(_action(b, "store", t("a_store_why", share=b.pct(f["channel_share"])),
                           cat=cats))
    elif channel == "phone":
        freq = f.get("frequency", 0)
        days = b.num(365 / freq) if freq else "90"
        out.append(_action(b, "phone", t("a_phone_why", share=b.pct(f["channel_share"]),
                                         n=b.num(freq)), days=days))
    if f.get("occasion", 0) >= 0.4:
        out.append(_action(b, "holiday", t("a_holiday_why", share=b.pct(f["occasion"])),
                           channel=main))
    if f.get("frequency_ratio", 0) >= 1.5 and f.get("frequency", 0) >= 4:
        out.append(_action(b, "loyalty", t("a_loyalty_why", n=b.num(f["frequency"]),
                                           ratio=b.pct(f["frequency_ratio"])), channel=main))
    if "repeat_share" in f and f["repeat_share"] < 0.5:
        out.append(_action(b, "second", t("a_second_why", share=b.pct(f["repeat_share"])),
                           channel=main))
    if f.get("psychology") == "hesitant" and f.get("psychology_share", 0) >= 0.4:
        out.append(_action(b, "reassure", t("a_reassure_why", share=b.pct(
            f["psychology_share"])), channel=main))
    if f.get("psychology") == "researched" and f.get("psychology_share", 0) >= 0.4:
        out.append(_action(b, "guide", t("a_guide_why", share=b.pct(f["psychology_share"]))))
    if f.get("social", 0) >= 500 and f.get("social_ratio", 0) >= 1.5:
        out.append(_action(b, "referral", t("a_referral_why", n=b.num(f["social"]),
                                            ratio=b.pct(f["social_ratio"]))))
    if f.get("service_ratio", 0) >= 1.5:
        out.append(_action(b, "service", t("a_service_why", n=b.num(f["service"], 1),
                                           ratio=b.pct(f["service_ratio"]))))
    return out or [_action(b, "test", b.words["a_test_why"])]


# the stage ---------------------------------------------------------------------------------

def check_targeting_matches(targeting: pd.DataFrame, segments: pd.DataFrame) -> None:
    """Raise DataError unless every (segment, segment_name) of ``targeting`` is in ``segments``.

    Re-running 02_segment with another number of segments gives the ids new
    names; a targeting.csv from before would then describe the wrong people.
    """
    has_names = "segment_name" in segments
    current = (segments.drop_duplicates("segment").set_index("segment")["segment_name"]
               if has_names else pd.Series(None, index=segments["segment"].unique()))
    for row in targeting.itertuples():
        if row.segment not in current.index:
            found = "absent from segments"
        elif has_names and current[row.segment] != row.segment_name:
            found = f"{current[row.segment]!r} in segments"
        else:
            continue
        raise DataError(
            f"targeting.csv does not match the current segments (segment {row.segment} is "
            f"{row.segment_name!r} in targeting.csv but {found}); re-run 03_targeting after "
            "02_segment"
        )


def stage_of_members(table: pd.DataFrame, stages: pd.DataFrame | None) -> pd.Series | None:
    """Each customer's lifecycle stage from ``lifecycle.csv``, aligned with ``table``.

    None when there are no stages (no lifecycle table, or a run without purchase
    history, where every stage is blank).
    """
    if stages is None or "stage" not in stages or stages["stage"].isna().all():
        return None
    by_id = stages.drop_duplicates("customer_id").set_index("customer_id")["stage"]
    return pd.Series(table["customer_id"].map(by_id).to_numpy(dtype=object), index=table.index)


def build_personas(customers: pd.DataFrame, segments: pd.DataFrame, targeting: pd.DataFrame,
                   *, locale: str = "en", seed: int = 0, max_personas: int = 6,
                   currency: str = "", features: list[str] | None = None,
                   survey: list[str] | None = None, clv: pd.DataFrame | None = None,
                   min_customers: int = 10, top_needs: int = 3,
                   stages: pd.DataFrame | None = None) -> list[dict]:
    """One persona per selected target segment, best-ranked first.

    Columns that could hold personal data are dropped first (see
    :func:`without_pii`); lifecycle stages are those of 05_lifecycle
    (``lifecycle.csv``: ``customer_id, stage``).

    Raises
    ------
    DataError
        If a selected segment of ``targeting`` (id and name) is not in
        ``segments``: targeting.csv was written for an earlier segmentation.
    """
    table = without_pii(customers).merge(segments[["customer_id", "segment"]],
                                         on="customer_id").reset_index(drop=True)
    chosen = targeting[targeting["selected"].astype(bool)].sort_values("rank").head(max_personas)
    check_targeting_matches(chosen, segments)
    stages = stage_of_members(table, stages)
    # a persona is one person: the name follows the segment's most common gender even where
    # the card calls the segment mixed on gender (the card, not the name, carries the shares)
    genders = {int(seg): (_mode(table.loc[table["segment"] == seg, "gender"])[0]
                          if "gender" in table else None) for seg in chosen["segment"]}
    names = persona_names(genders, locale, seed)
    personas = []
    for row in chosen.itertuples():
        members = table[table["segment"] == row.segment]
        persona = build_persona(members, table, names[row.segment], locale=locale,
                                currency=currency, features=features, survey=survey, clv=clv,
                                stages=stages, min_customers=min_customers, top_needs=top_needs)
        persona.update({"segment": int(row.segment), "segment_name": str(row.segment_name),
                        "rank": int(row.rank), "share": len(members) / len(table)})
        personas.append(persona)
    summaries = [p["summary"] for p in personas]
    for p in personas:  # same traits in words: tell the readers which segment is which
        if summaries.count(p["summary"]) > 1:
            p["summary"] += f" ({p['segment_name']})"
    return personas


# cards -----------------------------------------------------------------------------------

_CSS = """
.persona-card{border:1px solid #c8ccd0;border-radius:10px;padding:14px 18px;margin:14px 0;
  max-width:880px;background:#fff;color:#1f2328;font-family:system-ui,sans-serif;
  break-inside:avoid;page-break-inside:avoid}
.persona-card h3{margin:0;font-size:1.35em}
.persona-card .segment{color:#57606a;margin:2px 0 8px}
.persona-card .portrait{font-size:1.05em;line-height:1.45;margin:8px 0 10px}
.persona-card table{border-collapse:collapse;width:100%;font-size:.92em;
  table-layout:fixed}
.persona-card th,.persona-card td{text-align:left;vertical-align:top;padding:3px 8px;
  border-top:1px solid #eaeef2}
.persona-card table.traits col.k{width:20%}.persona-card table.traits col.v{width:30%}
.persona-card table.actions col.k{width:32%}.persona-card table.actions col.v{width:17%}
.persona-card .evidence{color:#57606a;font-size:.9em}
.persona-card h4{margin:12px 0 4px}
.persona-card .notes{color:#57606a;font-size:.85em}
@page{size:A4 portrait;margin:10mm 12mm}
@media print{body{margin:0!important}body>h1{display:none}
  .persona-card{border:0;padding:0;margin:0;page-break-after:always;break-after:page;
  max-width:none;font-size:8.6pt}.persona-card:last-child{page-break-after:auto;
  break-after:auto}.persona-card h3{font-size:15pt}.persona-card .portrait{font-size:9.5pt;
  margin:4px 0 6px}.persona-card th,.persona-card td{padding:1.5px 5px}
  .persona-card h4{margin:6px 0 2px}.persona-card table,.persona-card tr{break-inside:avoid}}
"""


def _templates():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def cards_html(personas: list[dict], locale: str = "en") -> str:
    """Persona cards as an HTML fragment (a style block and one card each).

    Rendered by jinja2 with autoescaping (``templates/persona_cards.html.j2``): every
    text from data is escaped; nothing runs or loads from outside.
    """
    from markupsafe import Markup

    shown = [{**p, "count": f"{p['customers']:,}", "notes": p.get("notes", [])}
             for p in personas]
    return _templates().get_template("persona_cards.html.j2").render(
        personas=shown, w=TEXT.get(locale, TEXT["en"]), css=Markup(_CSS))  # noqa: S704


def page_html(personas: list[dict], locale: str = "en", client: str = "") -> str:
    """A self-contained, printable page of persona cards (``personas.html``)."""
    from markupsafe import Markup

    w = TEXT.get(locale, TEXT["en"])
    return _templates().get_template("personas.html.j2").render(
        lang=locale, title=f"{w['page_title']}: {client}" if client else w["page_title"],
        cards=Markup(cards_html(personas, locale)))  # noqa: S704 - rendered, escaped above


def write_outputs(personas: list[dict], run: RunFolder | Path, locale: str = "en",
                  client: str = "") -> dict[str, Path]:
    """Write ``personas.json`` and ``personas.html`` (``run``: where targeting was read)."""
    run = run if isinstance(run, RunFolder) else RunFolder(run)
    written = run.write_personas(personas, page_html(personas, locale, client))
    return {"personas": written["personas.json"], "cards": written["personas.html"]}
