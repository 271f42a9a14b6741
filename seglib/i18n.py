"""The client's language: one message catalogue, and numbers, money and dates by Babel.

Every client-facing string of the report, the executive summary and the deck lives in
:data:`CATALOGUE`, one entry per key and locale, never inline in the code that uses it.
``t(key, locale, **values)`` fills its ``{placeholders}``; a key missing in a locale is a
bug, and ``tests/test_i18n.py`` fails when one is, or when the placeholders of a key
differ between locales.

Numbers, money, percentages and dates use Babel's locale data (CLDR), so Vietnamese
reads ``1.234.567 ₫``, ``12,5%`` and ``31/01/2025`` and English ``$1,234,567``, ``12.5%``
and ``Jan 31, 2025``. Money above 1,000 has no cents. Values that come from the data
(categories, brands, occupations) are shown as the client wrote them, never translated.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from babel import dates as babel_dates
from babel import numbers as babel_numbers

LOCALES = ("en", "vi")

#: Babel's locale per workbook locale (the country fixes date and number habits).
_BABEL = {"en": "en_US", "vi": "vi_VN"}

#: Date patterns: Vietnamese clients write 31/01/2025; English readers get "Jan 31, 2025".
_DATE_FORMAT = {"en": "medium", "vi": "dd/MM/yyyy"}

CATALOGUE: dict[str, dict[str, str]] = {
    # ---- the cover and the contents
    "report.title": {"en": "Customer segmentation, targeting and positioning",
                     "vi": "Phân khúc, chọn thị trường mục tiêu và định vị khách hàng"},
    "report.prepared_for": {"en": "Prepared for {client}", "vi": "Báo cáo cho {client}"},
    "report.date": {"en": "Data up to {as_of} · report of {created}",
                    "vi": "Dữ liệu đến ngày {as_of} · báo cáo lập ngày {created}"},
    "report.contents": {"en": "Contents", "vi": "Mục lục"},
    "report.page": {"en": "Page", "vi": "Trang"},
    # ---- the executive summary
    "summary.title": {"en": "Executive summary", "vi": "Tóm tắt cho ban lãnh đạo"},
    "summary.customers": {
        "en": "{customers} customers with {revenue} of revenue fall into {segments} segments.",
        "vi": "{customers} khách hàng với doanh thu {revenue} chia thành {segments} phân khúc."},
    "report.about": {"en": "About this run", "vi": "Thông tin lần chạy"},
    "report.meta.client": {"en": "Client", "vi": "Khách hàng"},
    "report.meta.run": {"en": "Run", "vi": "Lần chạy"},
    "report.meta.created": {"en": "Created", "vi": "Thời điểm lập"},
    "report.meta.seed": {"en": "Random seed", "vi": "Hạt giống ngẫu nhiên"},
    "report.meta.version": {"en": "stp-workbook version", "vi": "Phiên bản stp-workbook"},
    "summary.segments_heading": {"en": "Who the customers are", "vi": "Khách hàng là ai"},
    "summary.segment_line": {
        "en": "{name}: {customers} customers ({share} of customers), {revenue_share} of revenue.",
        "vi": "{name}: {customers} khách hàng ({share} số khách), {revenue_share} doanh thu."},
    "summary.unclassified_line": {
        "en": "{customers} customers ({share}) have too little history to place in a segment yet.",
        "vi": "{customers} khách hàng ({share}) chưa đủ lịch sử mua hàng để xếp vào phân khúc."},
    "summary.targets_heading": {"en": "Whom to target, and why",
                                "vi": "Chọn phân khúc mục tiêu nào, vì sao"},
    "summary.target_line": {
        "en": "{name} (rank {rank}, attractiveness {score} of 10): expected customer value "
              "{clv} per customer, {revenue_share} of revenue today.",
        "vi": "{name} (hạng {rank}, độ hấp dẫn {score}/10): giá trị kỳ vọng {clv} mỗi khách "
              "hàng, hiện chiếm {revenue_share} doanh thu."},
    "summary.target_campaign": {
        "en": " A campaign to them is expected to bring {value} for a cost of {cost}.",
        "vi": " Một chiến dịch tới nhóm này dự kiến mang về {value} với chi phí {cost}."},
    "summary.positioning_heading": {"en": "How to position", "vi": "Định vị thế nào"},
    "summary.position_line": {
        "en": "{name}: they care most about {needs}; the competitor closest to what they want "
              "is {competitor}.",
        "vi": "{name}: họ coi trọng nhất {needs}; đối thủ gần nhất với mong muốn của họ là "
              "{competitor}."},
    "summary.position_inferred": {
        "en": "{name}: their behaviour suggests they value {needs} (inferred: the brand survey is "
              "not linked to customers); the strongest competitor on that is {competitor}.",
        "vi": "{name}: hành vi mua cho thấy họ coi trọng {needs} (suy ra: khảo sát thương hiệu "
              "không gắn với khách hàng); đối thủ mạnh nhất ở điểm này là {competitor}."},
    "summary.position_open": {
        "en": "{name}: no brand owns their ideal yet; an open position to claim.",
        "vi": "{name}: chưa thương hiệu nào chiếm vị trí lý tưởng của họ; đây là khoảng trống."},
    "summary.position_none": {
        "en": "No brand ratings were supplied, so the positioning could not be measured.",
        "vi": "Không có dữ liệu đánh giá thương hiệu nên chưa đo được vị trí."},
    "summary.personas_heading": {"en": "The personas", "vi": "Chân dung khách hàng"},
    "summary.persona_line": {"en": "{persona} stands for {name} ({customers} customers).",
                             "vi": "{persona} đại diện cho {name} ({customers} khách hàng)."},
    "summary.lifecycle_heading": {"en": "Lifecycle priorities",
                                  "vi": "Ưu tiên theo vòng đời khách hàng"},
    "summary.lifecycle_line": {
        "en": "{name}: {customers} customers ({share}) are {stage}, the most value at stake; "
              "goal: {goal}.",
        "vi": "{name}: {customers} khách hàng ({share}) {stage}, nhóm có giá trị lớn nhất cần "
              "giữ; mục tiêu: {goal}."},
    "summary.caveats_heading": {"en": "What to keep in mind", "vi": "Những điểm cần lưu ý"},
    "summary.caveat_fragile": {
        "en": "The choice of {name} is fragile: it stays among the targets in {p} of "
              "plausible weightings.",
        "vi": "Việc chọn {name} chưa vững: phân khúc này chỉ nằm trong nhóm mục tiêu ở {p} "
              "số phương án trọng số hợp lý."},
    "summary.caveat_small": {
        "en": "{name} has {customers} customers: its averages rest on few people.",
        "vi": "{name} chỉ có {customers} khách hàng: các số trung bình dựa trên ít người."},
    "summary.caveat_thin_survey": {
        "en": "Positioning for {name} rests on {respondents} survey respondents.",
        "vi": "Định vị cho {name} dựa trên {respondents} người trả lời khảo sát."},
    "summary.caveat_unclassified": {
        "en": "{share} of customers are not yet in a segment (too little history).",
        "vi": "{share} khách hàng chưa thuộc phân khúc nào (lịch sử mua hàng quá ít)."},
    "summary.caveat_none": {"en": "No choice in this run rests on thin or fragile evidence.",
                            "vi": "Không lựa chọn nào trong lần chạy này dựa trên bằng chứng "
                                  "mỏng hay chưa vững."},
    # ---- the client's report (seglib.client_report)
    "client.segments": {"en": "Who the customers are", "vi": "Khách hàng là ai"},
    "client.segments_intro": {
        "en": "The customers fall into {segments} segments of people who buy alike; "
              "{unclassified} customers have too little history yet to be placed.",
        "vi": "Khách hàng chia thành {segments} phân khúc gồm những người mua sắm giống nhau; "
              "{unclassified} khách hàng chưa đủ lịch sử để xếp vào phân khúc."},
    "client.segments_apart": {
        "en": "What sets each segment apart from the average customer (red: above, blue: "
              "below).",
        "vi": "Điều làm mỗi phân khúc khác khách hàng trung bình (đỏ: cao hơn, xanh: thấp "
              "hơn)."},
    "client.targeting": {"en": "Which segments to target", "vi": "Nên nhắm tới phân khúc nào"},
    "client.targeting_intro": {
        "en": "Each segment is scored on size, value, growth, reach and cost to serve (1 to 10 "
              "each, weighted into one attractiveness score); the top {top_n} become the "
              "targets. Robustness is the share of plausible alternative weightings under "
              "which the segment stays among the targets.",
        "vi": "Mỗi phân khúc được chấm điểm theo quy mô, giá trị, tăng trưởng, khả năng tiếp "
              "cận và chi phí phục vụ (mỗi tiêu chí từ 1 đến 10, gộp theo trọng số thành một "
              "điểm hấp dẫn); {top_n} phân khúc đứng đầu được chọn làm mục tiêu. Độ vững là tỷ "
              "lệ các phương án trọng số hợp lý khác mà phân khúc vẫn nằm trong nhóm mục tiêu."},
    "client.nine_box": {
        "en": "The portfolio: how attractive each segment is against how strong we are in it.",
        "vi": "Danh mục: mức hấp dẫn của từng phân khúc so với sức mạnh của chúng ta trong đó."},
    "client.positioning": {"en": "How to position", "vi": "Định vị thế nào"},
    "client.positioning_map": {
        "en": "How customers see the brands: brands close together are seen alike; arrows "
              "show the attributes.",
        "vi": "Khách hàng nhìn các thương hiệu thế nào: thương hiệu gần nhau được xem là giống "
              "nhau; mũi tên là các thuộc tính."},
    "client.white_space": {"en": "Directions no brand owns yet: {attributes}.",
                           "vi": "Những hướng chưa thương hiệu nào chiếm lĩnh: {attributes}."},
    "client.personas": {"en": "The personas", "vi": "Chân dung khách hàng"},
    "client.personas_none": {"en": "No target segment, so no persona.",
                             "vi": "Không có phân khúc mục tiêu nên không có chân dung."},
    "client.lifecycle": {"en": "Where customers are in their lifecycle",
                         "vi": "Khách hàng đang ở đâu trong vòng đời"},
    "client.lifecycle_none": {
        "en": "There is no purchase history, so the lifecycle stages could not be measured.",
        "vi": "Không có lịch sử mua hàng nên chưa xác định được giai đoạn vòng đời."},
    "client.lifecycle_chart": {"en": "The lifecycle stages of each segment.",
                               "vi": "Các giai đoạn vòng đời của từng phân khúc."},
    "client.appendix": {"en": "Appendix", "vi": "Phụ lục"},
    "client.data_quality": {"en": "The data and its cleaning", "vi": "Dữ liệu và việc làm sạch"},
    "client.decisions": {"en": "Decisions and their reasons", "vi": "Các quyết định và lý do"},
    "client.workbook": {
        "en": "The method, step by step with every table and plot, is in the workbook "
              "delivered with this report ({file}).",
        "vi": "Phương pháp, từng bước với mọi bảng và biểu đồ, có trong sổ tay phân tích gửi "
              "kèm báo cáo này ({file})."},
    "col.segment": {"en": "Segment", "vi": "Phân khúc"},
    "col.customers": {"en": "Customers", "vi": "Khách hàng"},
    "col.share": {"en": "Share of customers", "vi": "Tỷ lệ khách hàng"},
    "col.revenue_share": {"en": "Share of revenue", "vi": "Tỷ trọng doanh thu"},
    "col.revenue_per_customer": {"en": "Revenue per customer", "vi": "Doanh thu mỗi khách"},
    "col.orders_per_customer": {"en": "Orders per customer", "vi": "Số đơn mỗi khách"},
    "col.rank": {"en": "Rank", "vi": "Hạng"},
    "col.attractiveness": {"en": "Attractiveness (1-10)", "vi": "Độ hấp dẫn (1-10)"},
    "col.clv": {"en": "Expected value per customer", "vi": "Giá trị kỳ vọng mỗi khách"},
    "col.robustness": {"en": "Robustness", "vi": "Độ vững"},
    "col.strategy": {"en": "Portfolio strategy", "vi": "Chiến lược danh mục"},
    "col.target": {"en": "Target", "vi": "Mục tiêu"},
    "col.stage": {"en": "Stage", "vi": "Giai đoạn"},
    "col.goal": {"en": "Goal", "vi": "Mục tiêu"},
    "col.action": {"en": "What to do", "vi": "Việc cần làm"},
    "col.channel": {"en": "Channel", "vi": "Kênh"},
    "col.moment": {"en": "When", "vi": "Khi nào"},
    "col.source": {"en": "Source", "vi": "Nguồn"},
    "col.rule": {"en": "Rule", "vi": "Quy tắc"},
    "col.rows": {"en": "Rows", "vi": "Số dòng"},
    "col.revenue": {"en": "Revenue affected", "vi": "Doanh thu liên quan"},
    "col.what_was_done": {"en": "What was done", "vi": "Cách xử lý"},
    "col.decision": {"en": "Decision", "vi": "Quyết định"},
    "col.choice": {"en": "Choice", "vi": "Lựa chọn"},
    "col.reason": {"en": "Reason", "vi": "Lý do"},
    "strategy.invest / grow": {"en": "invest / grow", "vi": "đầu tư / tăng trưởng"},
    "strategy.selectively manage": {"en": "selectively manage", "vi": "quản lý có chọn lọc"},
    "strategy.harvest / divest": {"en": "harvest / divest", "vi": "thu hoạch / rút lui"},
    "decision.segments": {"en": "Number of segments", "vi": "Số phân khúc"},
    "decision.segments_auto": {
        "en": "the best combined score of separation and stability among the numbers tried "
              "({k_min} to {k_max}) that leave no segment too small",
        "vi": "điểm tổng hợp tốt nhất về độ tách biệt và độ ổn định trong các số đã thử "
              "({k_min} đến {k_max}) mà không phân khúc nào quá nhỏ"},
    "decision.segments_fixed": {"en": "set for this analysis",
                                "vi": "được ấn định cho phân tích này"},
    "decision.targets": {"en": "Number of target segments", "vi": "Số phân khúc mục tiêu"},
    "decision.targets_reason": {"en": "the top segments by attractiveness",
                                "vi": "các phân khúc có độ hấp dẫn cao nhất"},
    "decision.as_of": {"en": "End of observation", "vi": "Thời điểm kết thúc quan sát"},
    "decision.as_of_reason": {"en": "the last date in the data, unless set for this analysis",
                              "vi": "ngày cuối cùng trong dữ liệu, trừ khi được ấn định"},
    "decision.lifecycle": {"en": "Lifecycle thresholds", "vi": "Ngưỡng vòng đời"},
    "decision.lifecycle_value": {
        "en": "new within {new_days} days, at risk after {active_days} days of silence, lapsed "
              "after {lapsed_days}",
        "vi": "mới trong {new_days} ngày, có nguy cơ sau {active_days} ngày im lặng, rời bỏ "
              "sau {lapsed_days} ngày"},
    "decision.lifecycle_reason": {"en": "the retail defaults unless set for this analysis",
                                  "vi": "mặc định cho bán lẻ, trừ khi được ấn định"},
    # ---- the plots the client sees (seglib.plots), and stage names for tables and legends
    "plot.differences.title": {
        "en": "What sets each segment apart (difference from the average customer, in "
              "standard deviations)",
        "vi": "Điều làm mỗi phân khúc khác biệt (chênh lệch so với khách hàng trung bình, "
              "tính bằng độ lệch chuẩn)"},
    "plot.differences.bar": {"en": "standard deviations from the average customer",
                             "vi": "độ lệch chuẩn so với khách hàng trung bình"},
    "plot.differences.x": {"en": "feature", "vi": "đặc điểm"},
    "plot.nine_box.title": {"en": "GE-McKinsey nine-box (bubble area = revenue)",
                            "vi": "Ma trận GE-McKinsey (diện tích bong bóng = doanh thu)"},
    "plot.nine_box.title_equal": {
        "en": "GE-McKinsey nine-box (no revenue data: bubbles of equal size)",
        "vi": "Ma trận GE-McKinsey (không có doanh thu: bong bóng cùng cỡ)"},
    "plot.nine_box.x": {"en": "Business strength in the segment",
                        "vi": "Sức mạnh kinh doanh trong phân khúc"},
    "plot.nine_box.y": {"en": "Segment attractiveness", "vi": "Độ hấp dẫn của phân khúc"},
    "plot.map.title": {
        "en": "Perceptual map (PCA): brands, attributes and target segments' ideal points",
        "vi": "Bản đồ nhận thức (PCA): thương hiệu, thuộc tính và điểm lý tưởng của các phân "
              "khúc mục tiêu"},
    "plot.map.axis": {"en": "Dimension {n} ({share} of differences)",
                      "vi": "Chiều {n} ({share} khác biệt)"},
    "plot.map.ideal": {"en": "ideal point: {name}", "vi": "điểm lý tưởng: {name}"},
    "plot.map.central": {
        "en": "{name}: ideal at the centre (no preference beyond the average)",
        "vi": "{name}: điểm lý tưởng ở trung tâm (không có ưu tiên khác mức trung bình)"},
    "plot.stages.title": {"en": "Lifecycle stage by segment",
                          "vi": "Giai đoạn vòng đời theo phân khúc"},
    "plot.stages.x": {"en": "share of the segment's customers",
                      "vi": "tỷ lệ khách hàng của phân khúc"},
    "plot.stages.legend": {"en": "stage", "vi": "giai đoạn"},
    "stage_name.Awareness": {"en": "Awareness", "vi": "Nhận biết"},
    "stage_name.Engagement & evaluation": {"en": "Engagement & evaluation",
                                           "vi": "Tìm hiểu & cân nhắc"},
    "stage_name.First purchase": {"en": "First purchase", "vi": "Mua lần đầu"},
    "stage_name.Post-purchase / repeat": {"en": "Post-purchase / repeat",
                                          "vi": "Sau mua / mua lại"},
    "stage_name.Loyal & advocate": {"en": "Loyal & advocate", "vi": "Trung thành & giới thiệu"},
    "stage_name.At risk": {"en": "At risk", "vi": "Có nguy cơ"},
    "stage_name.Lapsed": {"en": "Lapsed", "vi": "Rời bỏ"},
    # ---- clustering features as persona traits (seglib.persona.FEATURE_LABELS)
    "feature.n_orders": {"en": "Orders per customer", "vi": "Số đơn mỗi khách"},
    "feature.frequency": {"en": "Orders", "vi": "Số đơn"},
    "feature.revenue": {"en": "Revenue", "vi": "Doanh thu"},
    "feature.monetary": {"en": "Revenue", "vi": "Doanh thu"},
    "feature.margin": {"en": "Margin", "vi": "Lợi nhuận gộp"},
    "feature.recency_days": {"en": "Days since last order", "vi": "Số ngày từ đơn gần nhất"},
    "feature.tenure_days": {"en": "Days as a customer", "vi": "Số ngày là khách hàng"},
    "feature.margin_rate": {"en": "Margin rate", "vi": "Tỷ suất lợi nhuận gộp"},
    "feature.returns_rate": {"en": "Returns rate", "vi": "Tỷ lệ trả hàng"},
    "feature.discount_share": {"en": "Share of orders on discount",
                               "vi": "Tỷ lệ đơn có giảm giá"},
    "feature.service_effort": {"en": "Service effort (1-10)",
                               "vi": "Mức vất vả khi cần hỗ trợ (1-10)"},
    "feature.service_contacts": {"en": "Support contacts", "vi": "Số lần liên hệ hỗ trợ"},
    "feature.web_sessions": {"en": "Web sessions", "vi": "Số phiên truy cập web"},
    "feature.clv_12m": {"en": "Expected value, next 12 months",
                        "vi": "Giá trị kỳ vọng 12 tháng tới"},
    # ---- segment names from client columns (seglib.segment.feature_label, name_segments)
    "segment.label.spend": {"en": "spend on {what}", "vi": "chi tiêu cho {what}"},
    "segment.label.category_share": {"en": "{category} share of spend",
                                     "vi": "tỷ trọng chi tiêu cho {category}"},
    # known CRM export columns, by their name in lower case without separators
    "segment.crm.kids": {"en": "kids", "vi": "số con"},
    "segment.crm.kidhome": {"en": "kids at home", "vi": "trẻ nhỏ trong nhà"},
    "segment.crm.teenhome": {"en": "teenagers at home", "vi": "thiếu niên trong nhà"},
    "segment.crm.ownhome": {"en": "own home", "vi": "nhà riêng"},
    "segment.crm.subscribe": {"en": "subscription", "vi": "gói đăng ký"},
    "segment.crm.yearbirth": {"en": "birth year", "vi": "năm sinh"},
    "segment.crm.recency": {"en": "days since last purchase", "vi": "số ngày từ lần mua gần nhất"},
    "segment.crm.mntwines": {"en": "wine spend", "vi": "chi tiêu cho rượu vang"},
    "segment.crm.mntfruits": {"en": "fruit spend", "vi": "chi tiêu cho trái cây"},
    "segment.crm.mntmeatproducts": {"en": "meat spend", "vi": "chi tiêu cho thịt"},
    "segment.crm.mntfishproducts": {"en": "fish spend", "vi": "chi tiêu cho cá"},
    "segment.crm.mntsweetproducts": {"en": "sweets spend", "vi": "chi tiêu cho đồ ngọt"},
    "segment.crm.mntgoldprods": {"en": "gold spend", "vi": "chi tiêu cho vàng"},
    "segment.crm.numdealspurchases": {"en": "deal purchases", "vi": "số lần mua khuyến mãi"},
    "segment.crm.numwebpurchases": {"en": "web purchases", "vi": "số lần mua trên web"},
    "segment.crm.numcatalogpurchases": {"en": "catalog purchases",
                                        "vi": "số lần mua qua catalogue"},
    "segment.crm.numstorepurchases": {"en": "store purchases",
                                      "vi": "số lần mua tại cửa hàng"},
    "segment.crm.numwebvisitsmonth": {"en": "web visits per month",
                                      "vi": "số lượt truy cập web mỗi tháng"},
    "segment.crm.complain": {"en": "complaints", "vi": "khiếu nại"},
    "segment.crm.response": {"en": "campaign response", "vi": "phản hồi chiến dịch"},
    # traits that read better in their own words than "high <label>", by the same key
    "segment.word.recency.high": {"en": "a long time since the last order",
                                  "vi": "lần mua gần nhất đã lâu"},
    "segment.word.recency.low": {"en": "a recent last order", "vi": "lần mua gần nhất gần đây"},
    "segment.word.recency.higher": {"en": "a longer time since the last order",
                                    "vi": "lần mua gần nhất lâu hơn"},
    "segment.word.recency.lower": {"en": "a more recent last order",
                                   "vi": "lần mua gần nhất gần đây hơn"},
    "segment.word.tenuredays.high": {"en": "a long tenure", "vi": "thời gian gắn bó dài"},
    "segment.word.tenuredays.low": {"en": "a short tenure", "vi": "thời gian gắn bó ngắn"},
    "segment.word.tenuredays.higher": {"en": "a longer tenure",
                                       "vi": "thời gian gắn bó dài hơn"},
    "segment.word.tenuredays.lower": {"en": "a shorter tenure",
                                      "vi": "thời gian gắn bó ngắn hơn"},
    "segment.word.norders.high": {"en": "many orders", "vi": "nhiều đơn hàng"},
    "segment.word.norders.low": {"en": "few orders", "vi": "ít đơn hàng"},
    "segment.word.norders.higher": {"en": "more orders", "vi": "nhiều đơn hàng hơn"},
    "segment.word.norders.lower": {"en": "fewer orders", "vi": "ít đơn hàng hơn"},
    "segment.word.householdsize.high": {"en": "large households",
                                        "vi": "hộ gia đình đông người"},
    "segment.word.householdsize.low": {"en": "small households", "vi": "hộ gia đình ít người"},
    "segment.word.householdsize.higher": {"en": "larger households",
                                          "vi": "hộ gia đình đông người hơn"},
    "segment.word.householdsize.lower": {"en": "smaller households",
                                         "vi": "hộ gia đình ít người hơn"},
    "segment.word.kids.high": {"en": "many kids", "vi": "nhiều con"},
    "segment.word.kids.low": {"en": "few kids", "vi": "ít con"},
    "segment.word.kids.higher": {"en": "more kids", "vi": "nhiều con hơn"},
    "segment.word.kids.lower": {"en": "fewer kids", "vi": "ít con hơn"},
    "segment.word.kidhome.high": {"en": "many kids at home", "vi": "nhiều trẻ nhỏ trong nhà"},
    "segment.word.kidhome.low": {"en": "few kids at home", "vi": "ít trẻ nhỏ trong nhà"},
    "segment.word.kidhome.higher": {"en": "more kids at home",
                                    "vi": "nhiều trẻ nhỏ trong nhà hơn"},
    "segment.word.kidhome.lower": {"en": "fewer kids at home", "vi": "ít trẻ nhỏ trong nhà hơn"},
    "segment.word.teenhome.high": {"en": "many teenagers at home",
                                   "vi": "nhiều thiếu niên trong nhà"},
    "segment.word.teenhome.low": {"en": "few teenagers at home",
                                  "vi": "ít thiếu niên trong nhà"},
    "segment.word.teenhome.higher": {"en": "more teenagers at home",
                                     "vi": "nhiều thiếu niên trong nhà hơn"},
    "segment.word.teenhome.lower": {"en": "fewer teenagers at home",
                                    "vi": "ít thiếu niên trong nhà hơn"},
    # how a trait is said: against all segmented customers, or against a segment's twin
    "segment.trait.higher": {"en": "higher {feature}", "vi": "{feature} cao hơn"},
    "segment.trait.lower": {"en": "lower {feature}", "vi": "{feature} thấp hơn"},
    "segment.trait.majority": {"en": "{feature} mostly {category}",
                               "vi": "{feature} chủ yếu là {category}"},
    "segment.trait.more_often": {"en": "{feature} more often {category}",
                                 "vi": "{feature} là {category} nhiều hơn"},
    "segment.trait.less_often": {"en": "{feature} less often {category}",
                                 "vi": "{feature} là {category} ít hơn"},
    "segment.trait.flag_yes": {"en": "mostly {feature}", "vi": "phần lớn có {feature}"},
    "segment.trait.flag_no": {"en": "mostly no {feature}", "vi": "phần lớn không có {feature}"},
    "segment.trait.flag_more": {"en": "{feature} more often", "vi": "tỷ lệ có {feature} cao hơn"},
    "segment.trait.flag_less": {"en": "{feature} less often", "vi": "tỷ lệ có {feature} thấp hơn"},
    # ---- targeting caveats (targeting.csv: roi_plausible, strategy, strength_known)
    "summary.caveat_roi_implausible": {
        "en": "A campaign to {name} shows {ratio} per 1 spent, above the plausible {bound}:1: "
              "test it on a sample with a control group before budgeting on it.",
        "vi": "Chiến dịch tới {name} cho {ratio} trên mỗi 1 đồng chi, vượt mức hợp lý "
              "{bound}:1: hãy thử trên một mẫu có nhóm đối chứng trước khi cấp ngân sách."},
    "summary.caveat_harvest": {
        "en": "{name} is a target although the nine-box puts it in harvest / divest: target "
              "it only with a plan to build the business's strength there.",
        "vi": "{name} là mục tiêu dù ma trận GE-McKinsey xếp vào vùng thu hoạch / rút lui: chỉ "
              "nên nhắm tới khi có kế hoạch tăng sức mạnh kinh doanh ở phân khúc này."},
    "summary.target_campaign_margin": {
        "en": " A campaign to them is expected to add {value} of margin for a cost of {cost}.",
        "vi": " Một chiến dịch tới nhóm này dự kiến mang thêm {value} lợi nhuận gộp với chi "
              "phí {cost}."},
    "summary.caveat_strength_unknown": {
        "en": "The business's strength in {name} is unknown: its nine-box place rests on "
              "attractiveness alone.",
        "vi": "Chưa rõ sức mạnh kinh doanh trong {name}: vị trí trên ma trận GE-McKinsey chỉ "
              "dựa vào độ hấp dẫn."},
    # ---- the deck (seglib.deck)
    "deck.continued": {"en": "{title} (continued)", "vi": "{title} (tiếp theo)"},
    "deck.segments": {"en": "The segments", "vi": "Các phân khúc"},
    "deck.segments_apart": {"en": "What sets each segment apart",
                            "vi": "Điều làm mỗi phân khúc khác biệt"},
    "deck.targeting": {"en": "Targeting: which segments deserve the effort",
                       "vi": "Chọn mục tiêu: phân khúc nào đáng đầu tư"},
    "deck.nine_box": {"en": "The portfolio: attractiveness and our strength",
                      "vi": "Danh mục: độ hấp dẫn và sức mạnh của chúng ta"},
    "deck.persona": {"en": "Persona: {persona} ({name})", "vi": "Chân dung: {persona} ({name})"},
    "deck.positioning_map": {"en": "The perceptual map", "vi": "Bản đồ nhận thức"},
    "deck.positioning": {"en": "How to position for each target",
                         "vi": "Định vị cho từng phân khúc mục tiêu"},
    "deck.lifecycle": {"en": "Lifecycle plan: {name}", "vi": "Kế hoạch vòng đời: {name}"},
    "deck.appendix": {"en": "Appendix: about this run", "vi": "Phụ lục: thông tin lần chạy"},
    "deck.col.segment": {"en": "Segment", "vi": "Phân khúc"},
    "deck.col.customers": {"en": "Customers", "vi": "Khách hàng"},
    "deck.col.share": {"en": "Share of customers", "vi": "Tỷ lệ khách hàng"},
    "deck.col.revenue_share": {"en": "Share of revenue", "vi": "Tỷ trọng doanh thu"},
    "deck.col.rank": {"en": "Rank", "vi": "Hạng"},
    "deck.col.attractiveness": {"en": "Attractiveness (1-10)", "vi": "Độ hấp dẫn (1-10)"},
    "deck.col.clv": {"en": "Expected value per customer", "vi": "Giá trị kỳ vọng mỗi khách"},
    "deck.col.target": {"en": "Target", "vi": "Mục tiêu"},
    "deck.col.stage": {"en": "Stage", "vi": "Giai đoạn"},
    "deck.col.goal": {"en": "Goal", "vi": "Mục tiêu"},
    "deck.col.channel": {"en": "Channel", "vi": "Kênh"},
    "deck.col.trait": {"en": "Trait", "vi": "Đặc điểm"},
    "deck.col.value": {"en": "Value", "vi": "Giá trị"},
    "deck.col.fact": {"en": "Fact", "vi": "Thông tin"},
    "deck.yes": {"en": "yes", "vi": "có"},
    "deck.no": {"en": "–", "vi": "–"},
    # ---- segment names (seglib.segment.name_segments): words, and their order
    "segment.order": {"en": "{value} {young} {channel} {habit}",
                      "vi": "{habit} {young} {value} {channel}"},
    "segment.value.high": {"en": "High-value", "vi": "giá trị cao"},
    "segment.value.mid": {"en": "Mid-value", "vi": "giá trị trung bình"},
    "segment.value.low": {"en": "Low-value", "vi": "giá trị thấp"},
    "segment.young": {"en": "young", "vi": "trẻ"},
    "segment.channel.online": {"en": "online", "vi": "mua trực tuyến"},
    "segment.channel.store": {"en": "store", "vi": "mua tại cửa hàng"},
    "segment.channel.phone": {"en": "phone", "vi": "mua qua điện thoại"},
    "segment.channel.multichannel": {"en": "multichannel", "vi": "đa kênh"},
    "segment.habit.customers": {"en": "customers", "vi": "khách hàng"},
    "segment.habit.regulars": {"en": "regulars", "vi": "khách quen"},
    "segment.habit.occasion": {"en": "occasion buyers", "vi": "khách mua dịp đặc biệt"},
    "segment.habit.occasional": {"en": "occasional buyers", "vi": "khách thỉnh thoảng mua"},
    "segment.subject": {"en": "Customers", "vi": "Khách hàng"},
    "segment.subject_young": {"en": "Young customers", "vi": "Khách hàng trẻ"},
    "segment.with": {"en": "{subject} with {traits}", "vi": "{subject} có {traits}"},
    "segment.also_with": {"en": "{name} with {traits}", "vi": "{name}, {traits}"},
    "segment.average": {"en": "{subject} close to the average",
                        "vi": "{subject} gần mức trung bình"},
    "segment.trait.high": {"en": "high {feature}", "vi": "{feature} cao"},
    "segment.trait.low": {"en": "low {feature}", "vi": "{feature} thấp"},
    "segment.trait.mostly": {"en": "mostly {category} ({feature})",
                             "vi": "chủ yếu {category} ({feature})"},
    "segment.and": {"en": "{first} and {second}", "vi": "{first} và {second}"},
    # the default rule-based segment names (seglib.segment.rules), by their English name
    "rule.Champions": {"en": "Champions", "vi": "Nhà vô địch"},
    "rule.Loyal customers": {"en": "Loyal customers", "vi": "Khách hàng trung thành"},
    "rule.Potential loyalists": {"en": "Potential loyalists", "vi": "Có thể trung thành"},
    "rule.New customers": {"en": "New customers", "vi": "Khách hàng mới"},
    "rule.Promising": {"en": "Promising", "vi": "Triển vọng"},
    "rule.Need attention": {"en": "Need attention", "vi": "Cần quan tâm"},
    "rule.About to sleep": {"en": "About to sleep", "vi": "Sắp ngủ quên"},
    "rule.At risk": {"en": "At risk", "vi": "Có nguy cơ rời bỏ"},
    "rule.Can't lose them": {"en": "Can't lose them", "vi": "Không thể để mất"},
    "rule.Hibernating": {"en": "Hibernating", "vi": "Ngủ đông"},
    "rule.Lost": {"en": "Lost", "vi": "Đã mất"},
    "rule.Children": {"en": "Children", "vi": "Trẻ em"},
    "rule.Teenagers": {"en": "Teenagers", "vi": "Thanh thiếu niên"},
    "rule.Adults": {"en": "Adults", "vi": "Người trưởng thành"},
    "rule.Middle-aged": {"en": "Middle-aged", "vi": "Trung niên"},
    "rule.Elderly": {"en": "Elderly", "vi": "Người cao tuổi"},
    "segment.unclassified": {"en": "New / unclassified", "vi": "Khách mới / chưa phân loại"},
    "unclassified.group": {"en": "Not segmented: {kinds}", "vi": "Chưa phân khúc: {kinds}"},
    "unclassified.group.new": {"en": "new customers", "vi": "khách mới"},
    "unclassified.group.one_order_quiet": {"en": "one-time buyers gone quiet",
                                           "vi": "khách mua một lần đã im lặng"},
    "unclassified.group.one_order_lapsed": {"en": "lapsed one-time buyers",
                                            "vi": "khách mua một lần đã rời bỏ"},
    "unclassified.group.no_purchase": {"en": "prospects", "vi": "khách tiềm năng"},
    "unclassified.group.refunded": {"en": "buyers who returned everything",
                                    "vi": "khách đã trả lại mọi đơn"},
    "unclassified.group.too_little_data": {"en": "too little data", "vi": "thiếu dữ liệu"},
    "unclassified.new": {"en": "new: one order, within the last {new_days} days",
                         "vi": "khách mới: một đơn, trong {new_days} ngày qua"},
    "unclassified.one_order_quiet": {
        "en": "one order, and none in the {new_days} days since",
        "vi": "một đơn, và không mua thêm trong {new_days} ngày sau đó"},
    "unclassified.one_order_lapsed": {"en": "one order, more than {lapsed_days} days ago",
                                      "vi": "một đơn, cách đây hơn {lapsed_days} ngày"},
    "unclassified.no_purchase": {"en": "no purchase yet", "vi": "chưa mua lần nào"},
    "unclassified.refunded": {"en": "every order refunded or returned",
                              "vi": "mọi đơn đều bị hoàn tiền hoặc trả lại"},
    "unclassified.too_little_data": {
        "en": "too little data: more than {share} of the segmentation features missing",
        "vi": "thiếu dữ liệu: thiếu hơn {share} số biến phân khúc"},
    # ---- lifecycle goals (the playbook of seglib.lifecycle), per stage
    "goal.Awareness": {"en": "get noticed, invite a first visit",
                       "vi": "được chú ý, mời ghé thăm lần đầu"},
    "goal.Engagement & evaluation": {"en": "help them choose", "vi": "giúp họ lựa chọn"},
    "goal.First purchase": {"en": "turn a trial into a habit",
                            "vi": "biến lần mua thử thành thói quen"},
    "goal.Post-purchase / repeat": {"en": "build the relationship", "vi": "xây dựng quan hệ"},
    "goal.Loyal & advocate": {"en": "keep them and multiply them",
                              "vi": "giữ chân và nhân rộng họ"},
    "goal.At risk": {"en": "win them back before they lapse",
                     "vi": "kéo họ trở lại trước khi rời bỏ"},
    "goal.Lapsed": {"en": "reactivate or let go", "vi": "kích hoạt lại hoặc dừng chăm sóc"},
    # ---- the lifecycle playbook (seglib.lifecycle.PLAYBOOK): action, channel, moment
    "playbook.Awareness.action": {
        "en": "introduce the brand with the segment's positioning message and a reason to visit "
              "(guide, event, sign-up offer)",
        "vi": "giới thiệu thương hiệu bằng thông điệp định vị của phân khúc và một lý do để ghé "
              "thăm (cẩm nang, sự kiện, ưu đãi đăng ký)"},
    "playbook.Awareness.channel": {"en": "paid social and search; {main}",
                                   "vi": "quảng cáo mạng xã hội và tìm kiếm; {main}"},
    "playbook.Awareness.moment": {
        "en": "soon after the customer becomes known, while the name is fresh",
        "vi": "ngay sau khi biết đến khách hàng, khi ấn tượng còn mới"},
    "playbook.Engagement & evaluation.action": {
        "en": "answer the evaluation questions: reviews, comparisons, how-to content; remind them "
              "of the products they looked at; a first-order incentive",
        "vi": "trả lời các câu hỏi khi cân nhắc: đánh giá, so sánh, nội dung hướng dẫn; nhắc lại "
              "sản phẩm họ đã xem; ưu đãi cho đơn hàng đầu tiên"},
    "playbook.Engagement & evaluation.channel": {"en": "email and web retargeting",
                                                 "vi": "email và quảng cáo bám đuổi trên web"},
    "playbook.Engagement & evaluation.moment": {
        "en": "within days of a visit or an email click (the evaluation window)",
        "vi": "trong vài ngày sau một lượt truy cập hoặc một lần bấm email (giai đoạn cân nhắc)"},
    "playbook.First purchase.action": {
        "en": "welcome series: thank-you, set-up and care tips, ask for a review; then a "
              "second-purchase offer",
        "vi": "chuỗi chào mừng: cảm ơn, hướng dẫn sử dụng và bảo quản, mời đánh giá; sau đó "
              "ưu đãi cho lần mua thứ hai"},
    "playbook.First purchase.channel": {"en": "email, then {main}", "vi": "email, sau đó {main}"},
    "playbook.First purchase.moment": {
        "en": "the first week after the order; the second-order offer before day {new_days}",
        "vi": "tuần đầu sau đơn hàng; ưu đãi đơn thứ hai trước ngày thứ {new_days}"},
    "playbook.Post-purchase / repeat.action": {
        "en": "cross-sell around the favourite category; invite to the loyalty programme; "
              "rewarded feedback survey",
        "vi": "bán chéo quanh ngành hàng yêu thích; mời tham gia chương trình khách hàng thân "
              "thiết; khảo sát ý kiến có quà"},
    "playbook.Post-purchase / repeat.channel": {"en": "{main} and email", "vi": "{main} và email"},
    "playbook.Post-purchase / repeat.moment": {
        "en": "after each order, timed to the customer's usual gap between orders",
        "vi": "sau mỗi đơn hàng, theo nhịp mua quen thuộc của khách"},
    "playbook.Loyal & advocate.action": {
        "en": "recognise and reward: loyalty tier, early access, thank-you; a referral offer and "
              "rewards for reviews",
        "vi": "ghi nhận và tri ân: hạng thành viên, quyền mua sớm, lời cảm ơn; ưu đãi giới "
              "thiệu bạn bè và quà cho đánh giá"},
    "playbook.Loyal & advocate.channel": {"en": "{main}, personal where possible",
                                          "vi": "{main}, cá nhân hóa khi có thể"},
    "playbook.Loyal & advocate.moment": {
        "en": "all year; the referral ask right after a good experience",
        "vi": "quanh năm; mời giới thiệu ngay sau một trải nghiệm tốt"},
    "playbook.At risk.action": {
        "en": "win-back: a personal reminder, a service check-in, a time-limited offer on their "
              "favourite category",
        "vi": "kéo khách trở lại: lời nhắc cá nhân, hỏi thăm về dịch vụ, ưu đãi có thời hạn cho "
              "ngành hàng yêu thích"},
    "playbook.At risk.channel": {"en": "{main} (personal) and email",
                                 "vi": "{main} (cá nhân) và email"},
    "playbook.At risk.moment": {
        "en": "as soon as silence passes {active_days} days or {gap_multiple:g}x the customer's "
              "usual gap, well before day {lapsed_days}",
        "vi": "ngay khi khách im lặng quá {active_days} ngày hoặc {gap_multiple:g} lần khoảng "
              "cách mua thường lệ, trước ngày thứ {lapsed_days}"},
    "playbook.Lapsed.action": {
        "en": "one reactivation campaign with a strong offer and a 'what went wrong' question; "
              "service recovery for those who returned everything; then stop paid contact",
        "vi": "một chiến dịch kích hoạt lại với ưu đãi mạnh và câu hỏi 'điều gì chưa ổn'; "
              "khắc phục dịch vụ cho khách đã trả lại toàn bộ; sau đó ngừng liên hệ có chi phí"},
    "playbook.Lapsed.channel": {"en": "email and direct mail", "vi": "email và thư gửi tận nhà"},
    "playbook.Lapsed.moment": {
        "en": "once, after {lapsed_days} days without a purchase; then suppress",
        "vi": "một lần, sau {lapsed_days} ngày không mua; sau đó ngừng gửi"},
    "channel.online_share": {"en": "web and app", "vi": "web và ứng dụng"},
    "channel.store_share": {"en": "in store", "vi": "tại cửa hàng"},
    "channel.phone_share": {"en": "phone", "vi": "điện thoại"},
    "channel.email": {"en": "email", "vi": "email"},
    # ---- lifecycle stages, as the lifecycle stage names them
    "stage.Awareness": {"en": "aware of us but not yet engaged",
                        "vi": "mới biết đến thương hiệu"},
    "stage.Engagement & evaluation": {"en": "engaging and evaluating",
                                      "vi": "đang tìm hiểu, cân nhắc"},
    "stage.First purchase": {"en": "after a first purchase", "vi": "vừa mua lần đầu"},
    "stage.Post-purchase / repeat": {"en": "buying again", "vi": "đang mua lại"},
    "stage.Loyal & advocate": {"en": "loyal advocates", "vi": "trung thành, sẵn sàng giới thiệu"},
    "stage.At risk": {"en": "at risk of leaving", "vi": "có nguy cơ rời bỏ"},
    "stage.Lapsed": {"en": "lapsed", "vi": "đã rời bỏ"},
    # ---- the data-quality ledger (appendix): one line per rule that changed or excluded data
    "source.transactions": {"en": "transactions", "vi": "giao dịch"},
    "source.customers": {"en": "customers", "vi": "khách hàng"},
    "source.survey": {"en": "survey", "vi": "khảo sát"},
    "source.web": {"en": "web analytics", "vi": "phân tích web"},
    "source.service": {"en": "customer service", "vi": "chăm sóc khách hàng"},
    "source.brand_ratings": {"en": "brand ratings", "vi": "đánh giá thương hiệu"},
    "ledger.rows_read": {"en": "rows read", "vi": "số dòng đã đọc"},
    "ledger.ids_email": {"en": "customer ids are email addresses",
                         "vi": "mã khách hàng là địa chỉ email"},
    "ledger.ids_phone": {"en": "customer ids are phone numbers",
                         "vi": "mã khách hàng là số điện thoại"},
    "ledger.ids_some_pii": {
        "en": "customer ids that are an email address or a phone number (some of the ids)",
        "vi": "mã khách hàng là địa chỉ email hoặc số điện thoại (một phần các mã)"},
    "ledger.pseudonyms": {
        "en": "replaced by pseudonyms: h_ + the first 16 hex digits of their SHA-256",
        "vi": "thay bằng bí danh: h_ + 16 chữ số hex đầu của mã băm SHA-256"},
    "ledger.read_as_rule_says": {"en": "read as the rule says", "vi": "đọc theo quy tắc nêu bên"},
    "ledger.decimal_evidence": {
        "en": "column {label}: {count} value(s) such as {example} could be read two ways; read "
              "with {mark} as the decimal mark, as values such as {proof} show; set "
              "data.{source}.decimal to change",
        "vi": "cột {label}: {count} giá trị như {example} có thể đọc theo hai cách; đã đọc "
              "{mark} là dấu thập phân, như các giá trị {proof} cho thấy; đặt "
              "data.{source}.decimal để đổi"},
    "ledger.decimal_locale": {
        "en": "column {label}: {count} value(s) such as {example} could be read two ways; read "
              "with {mark} as the decimal mark (locale {language}); set data.{source}.decimal to "
              "change",
        "vi": "cột {label}: {count} giá trị như {example} có thể đọc theo hai cách; đã đọc "
              "{mark} là dấu thập phân (theo ngôn ngữ {language}); đặt data.{source}.decimal để "
              "đổi"},
    "ledger.day_first": {
        "en": "column {label}: {count} value(s) such as {example} could be read day first or "
              "month first; read day first (dd/mm/yyyy), as values such as {proof} can only be "
              "read that way; set data.{source}.dayfirst: true to confirm",
        "vi": "cột {label}: {count} giá trị như {example} có thể đọc ngày trước hoặc tháng "
              "trước; đã đọc ngày trước (dd/mm/yyyy), vì các giá trị như {proof} chỉ đọc được "
              "như vậy; đặt data.{source}.dayfirst: true để xác nhận"},
    "ledger.month_first": {
        "en": "column {label}: {count} value(s) such as {example} could be read day first or "
              "month first; read month first (mm/dd/yyyy), as values such as {proof} can only "
              "be read that way; set data.{source}.dayfirst: false to confirm",
        "vi": "cột {label}: {count} giá trị như {example} có thể đọc ngày trước hoặc tháng "
              "trước; đã đọc tháng trước (mm/dd/yyyy), vì các giá trị như {proof} chỉ đọc được "
              "như vậy; đặt data.{source}.dayfirst: false để xác nhận"},
    "ledger.status_column": {
        "en": "column {label} read as order status: {yes} mean {column}; {no} do not",
        "vi": "cột {label} đọc là trạng thái đơn: {yes} nghĩa là {column}; {no} thì không"},
    "ledger.status_action": {"en": "{column} = true for those lines",
                             "vi": "{column} = true cho các dòng đó"},
    "ledger.none": {"en": "none", "vi": "không có"},
    "ledger.channels_unknown": {
        "en": "column {label}: channel labels not recognised: {shown}",
        "vi": "cột {label}: nhãn kênh không nhận ra: {shown}"},
    "ledger.channels_action": {
        "en": "counted in no channel share; map them in collect.channels",
        "vi": "không tính vào tỷ trọng kênh nào; khai báo chúng trong collect.channels"},
    "ledger.no_order_id": {"en": "no order id column: each row counted as one order",
                           "vi": "không có cột mã đơn: mỗi dòng tính là một đơn"},
    "ledger.order_id_row": {"en": "order_id = row number", "vi": "order_id = số thứ tự dòng"},
    "ledger.status.duplicate": {"en": "exact duplicate lines", "vi": "dòng trùng lặp hoàn toàn"},
    "ledger.status.duplicate.action": {"en": "removed (the first copy is kept)",
                                       "vi": "đã bỏ (giữ bản đầu tiên)"},
    "ledger.status.future": {"en": "dated on or after the end of observation",
                             "vi": "ghi ngày từ cuối kỳ quan sát trở về sau"},
    "ledger.excluded": {"en": "excluded", "vi": "đã loại"},
    "ledger.status.test_account": {"en": "test accounts (collect.test_accounts)",
                                   "vi": "tài khoản thử nghiệm (collect.test_accounts)"},
    "ledger.status.zero_price": {"en": "zero or negative price", "vi": "giá bằng 0 hoặc âm"},
    "ledger.status.no_customer": {"en": "no customer id", "vi": "không có mã khách hàng"},
    "ledger.status.no_customer.action": {
        "en": "kept in revenue totals, excluded from customer features",
        "vi": "giữ trong tổng doanh thu, loại khỏi các chỉ số theo khách hàng"},
    "ledger.status.refund": {"en": "cancellations and refunds (negative quantity or amount)",
                             "vi": "hủy và hoàn tiền (số lượng hoặc số tiền âm)"},
    "ledger.status.refund.action": {
        "en": "netted against the customer's revenue; not counted as orders",
        "vi": "trừ vào doanh thu của khách; không tính là đơn hàng"},
    "ledger.status.cancelled": {
        "en": "cancelled orders (cancelled flag or status, collect.cancelled_orders)",
        "vi": "đơn đã hủy (cờ hoặc trạng thái hủy, collect.cancelled_orders)"},
    "ledger.status.cancelled.action": {
        "en": "excluded: the order did not happen (not netted against other orders)",
        "vi": "đã loại: đơn không diễn ra (không trừ vào các đơn khác)"},
    "ledger.status.returned": {"en": "returned orders (returned flag)",
                               "vi": "đơn bị trả lại (cờ trả hàng)"},
    "ledger.status.returned.action": {
        "en": "excluded from revenue and order counts; counted in returns_rate",
        "vi": "loại khỏi doanh thu và số đơn; tính vào tỷ lệ trả hàng (returns_rate)"},
    "ledger.status.purchase": {"en": "purchases kept", "vi": "giao dịch mua được giữ"},
    "ledger.status.purchase.action": {"en": "used for the customer features",
                                      "vi": "dùng để tính các chỉ số theo khách hàng"},
    "ledger.outliers": {
        "en": "outlier orders: value above {bound} (log-scale IQR rule, collect.outlier_iqr = "
              "{iqr})",
        "vi": "đơn bất thường: giá trị trên {bound} (quy tắc IQR trên thang log, "
              "collect.outlier_iqr = {iqr})"},
    "ledger.outliers_capped": {"en": "capped at {bound} (revenue shows the amount cut)",
                               "vi": "giới hạn ở mức {bound} (cột doanh thu là phần bị cắt)"},
    "ledger.outliers_flagged": {"en": "flagged in outlier_orders, kept as they are",
                                "vi": "đánh dấu trong outlier_orders, giữ nguyên"},
    "ledger.customer_example": {"en": "customer {id}", "vi": "khách hàng {id}"},
    "ledger.pii_columns": {"en": "personal data columns: {columns}",
                           "vi": "cột dữ liệu cá nhân: {columns}"},
    "ledger.pii_removed": {"en": "removed (collect.keep_pii is false)",
                           "vi": "đã bỏ (collect.keep_pii là false)"},
    "ledger.not_dates": {"en": "column {column} not read as dates: {reason}",
                         "vi": "cột {column} không đọc được thành ngày: {reason}"},
    "ledger.kept_as_given": {"en": "kept as given", "vi": "giữ nguyên như dữ liệu gốc"},
    "ledger.missing_tokens": {"en": "{column}: text such as 'n/a' or 'unknown'",
                              "vi": "{column}: chữ như 'n/a' hoặc 'unknown'"},
    "ledger.read_as_missing": {"en": "read as missing", "vi": "coi là thiếu dữ liệu"},
    "ledger.not_summarised": {"en": "columns not summarised per customer: {columns}",
                              "vi": "cột không tổng hợp theo khách hàng: {columns}"},
    "ledger.not_summarised.action": {
        "en": "left out of the customer table (free text, dates or ids with many values); "
              "still in the client's file",
        "vi": "không đưa vào bảng khách hàng (văn bản tự do, ngày hoặc mã có nhiều giá trị); "
              "vẫn còn trong tệp của khách hàng"},
    "ledger.blank_rows": {"en": "blank rows at the end of the file (every cell empty)",
                          "vi": "dòng trống ở cuối tệp (mọi ô đều trống)"},
    "ledger.skipped": {"en": "skipped", "vi": "đã bỏ qua"},
    "ledger.refunds_beyond": {
        "en": "refunds larger than the customer's purchases in the data (goods bought before "
              "the data starts)",
        "vi": "hoàn tiền lớn hơn tổng mua của khách trong dữ liệu (hàng mua trước khi dữ liệu "
              "bắt đầu)"},
    "ledger.refunds_beyond.action": {
        "en": "not netted beyond the purchases: revenue floored at 0",
        "vi": "không trừ quá tổng mua: doanh thu thấp nhất là 0"},
    "ledger.all_refunded": {"en": "customers whose every order was refunded or returned",
                            "vi": "khách có mọi đơn đều bị hoàn tiền hoặc trả lại"},
    "ledger.out_of_range": {"en": "column {column}: values outside the plausible range ({span})",
                            "vi": "cột {column}: giá trị ngoài khoảng hợp lý ({span})"},
    "ledger.range_between": {"en": "{low} to {high}", "vi": "từ {low} đến {high}"},
    "ledger.range_at_least": {"en": "at least {low}", "vi": "tối thiểu {low}"},
    "ledger.set_missing": {"en": "set missing", "vi": "coi là thiếu dữ liệu"},
    "ledger.income_far_out": {
        "en": "column {column}: incomes far from the others (beyond {iqr} interquartile ranges "
              "on the log scale)",
        "vi": "cột {column}: thu nhập cách xa phần còn lại (quá {iqr} khoảng tứ phân vị trên "
              "thang log)"},
    "ledger.pii_categories": {
        "en": "column {label}: categories that are an email address or a phone number",
        "vi": "cột {label}: ngành hàng là địa chỉ email hoặc số điện thoại"},
    "ledger.pii_categories.action": {
        "en": "read as no category (personal data never becomes a column name)",
        "vi": "coi là không có ngành hàng (dữ liệu cá nhân không bao giờ thành tên cột)"},
    "ledger.not_gzip": {"en": "{file} ends in .gz but is not compressed",
                        "vi": "{file} có đuôi .gz nhưng không được nén"},
    "ledger.read_as_text": {"en": "read as plain text", "vi": "đọc như văn bản thường"},
    "ledger.empty_columns": {
        "en": "columns with no value at all (formulas saved without their values?): {columns}",
        "vi": "cột không có giá trị nào (công thức Excel lưu mà không kèm giá trị?): {columns}"},
    "ledger.constant_columns": {"en": "columns with the same value for every customer: {columns}",
                                "vi": "cột có cùng một giá trị cho mọi khách hàng: {columns}"},
    "ledger.constant_action": {
        "en": "kept; they cannot tell customers apart, so no segment rests on them",
        "vi": "giữ lại; chúng không phân biệt được khách hàng nên không phân khúc nào dựa vào "
              "chúng"},
    "ledger.missing_values": {"en": "column {column}: missing values",
                              "vi": "cột {column}: giá trị bị thiếu"},
    "ledger.kept_missing": {
        "en": "kept as missing (segmentation fills them from similar customers)",
        "vi": "giữ là thiếu (khi phân khúc, giá trị được điền từ các khách hàng tương tự)"},
    "ledger.repeated_rows": {
        "en": "rows equal to another row in every column but the customer id",
        "vi": "dòng giống hệt một dòng khác ở mọi cột trừ mã khách hàng"},
    "ledger.repeated_action": {
        "en": "kept (check whether they are the same person entered twice)",
        "vi": "giữ lại (nên kiểm tra xem có phải một người được nhập hai lần)"},
    "ledger.channel_columns_unknown": {
        "en": "order counts of no known channel: {columns}",
        "vi": "số đơn không thuộc kênh nào đã biết: {columns}"},
    "ledger.end_from_customers": {
        "en": "end of observation: the latest date in the customers file ({date})",
        "vi": "cuối kỳ quan sát: ngày muộn nhất trong tệp khách hàng ({date})"},
    "ledger.end_action": {
        "en": "ages, days since the last purchase and days as a customer counted to the next "
              "day; set collect.as_of to change",
        "vi": "tuổi, số ngày từ lần mua gần nhất và số ngày là khách tính đến ngày hôm sau; "
              "đặt collect.as_of để đổi"},
    "ledger.far_dates": {
        "en": "column {column}: dates before 1678 or after 2261 (a 'no end' such as 9999-12-31)",
        "vi": "cột {column}: ngày trước năm 1678 hoặc sau năm 2261 (giá trị 'không thời hạn' "
              "như 9999-12-31)"},
    "ledger.no_purchase_line": {
        "en": "customers with no purchase line (only zero-price, duplicate or future lines)",
        "vi": "khách không có dòng mua hàng nào (chỉ có dòng giá 0, trùng lặp hoặc ghi ngày "
              "sau kỳ quan sát)"},
    "ledger.all_refunded.action": {"en": "kept as customers with 0 orders",
                                   "vi": "giữ lại như khách có 0 đơn"},
    "ledger.unknown_in_customers_file": {
        "en": "customer ids not in the customers file",
        "vi": "mã khách hàng không có trong tệp khách hàng"},
    "ledger.unknown_in_customers_file.action": {
        "en": "kept as customers with unknown attributes",
        "vi": "giữ lại như khách chưa rõ thuộc tính"},
    "ledger.unknown_in_table": {"en": "customer ids not in the customer table",
                                "vi": "mã khách hàng không có trong bảng khách hàng"},
    "ledger.unknown_in_table.action": {"en": "not joined (no customer to attach them to)",
                                       "vi": "không ghép (không có khách hàng để gắn vào)"},
    # ---- columns of the customer table, as plots and tables name them (i18n.column_label)
    "column.n_orders": {"en": "Orders", "vi": "Số đơn"},
    "column.revenue": {"en": "Revenue", "vi": "Doanh thu"},
    "column.gross_revenue": {"en": "Gross revenue", "vi": "Doanh thu gộp"},
    "column.refunds": {"en": "Refunds", "vi": "Hoàn tiền"},
    "column.refund_rate": {"en": "Refund rate", "vi": "Tỷ lệ hoàn tiền"},
    "column.avg_order_value": {"en": "Average order value", "vi": "Giá trị đơn trung bình"},
    "column.recency_days": {"en": "Days since last order", "vi": "Số ngày từ đơn gần nhất"},
    "column.tenure_days": {"en": "Days as a customer", "vi": "Số ngày là khách hàng"},
    "column.orders_per_year": {"en": "Orders per year", "vi": "Số đơn mỗi năm"},
    "column.purchase_days": {"en": "Days with a purchase", "vi": "Số ngày có mua hàng"},
    "column.mean_days_between_purchases": {"en": "Days between purchases",
                                           "vi": "Số ngày giữa hai lần mua"},
    "column.margin": {"en": "Margin", "vi": "Lợi nhuận gộp"},
    "column.margin_rate": {"en": "Margin rate", "vi": "Tỷ suất lợi nhuận gộp"},
    "column.online_share": {"en": "Share of orders online", "vi": "Tỷ lệ đơn trực tuyến"},
    "column.store_share": {"en": "Share of orders in store", "vi": "Tỷ lệ đơn tại cửa hàng"},
    "column.phone_share": {"en": "Share of orders by phone", "vi": "Tỷ lệ đơn qua điện thoại"},
    "column.special_occasion_share": {"en": "Share of orders for special occasions",
                                      "vi": "Tỷ lệ đơn cho dịp đặc biệt"},
    "column.returns_rate": {"en": "Returns rate", "vi": "Tỷ lệ trả hàng"},
    "column.service_contacts": {"en": "Support contacts", "vi": "Số lần liên hệ hỗ trợ"},
    "column.service_effort": {"en": "Service effort (1-10)",
                              "vi": "Mức vất vả khi cần hỗ trợ (1-10)"},
    "column.web_sessions": {"en": "Web sessions", "vi": "Số phiên truy cập web"},
    "column.age": {"en": "Age", "vi": "Tuổi"},
    "column.income": {"en": "Income", "vi": "Thu nhập"},
    "column.gender": {"en": "Gender", "vi": "Giới tính"},
    "column.education": {"en": "Education", "vi": "Học vấn"},
    "column.occupation": {"en": "Occupation", "vi": "Nghề nghiệp"},
    "column.marital_status": {"en": "Marital status", "vi": "Tình trạng hôn nhân"},
    "column.household_size": {"en": "Household size", "vi": "Số người trong hộ"},
    "column.city": {"en": "City", "vi": "Thành phố"},
    "column.district": {"en": "District", "vi": "Quận/huyện"},
    "column.distance_to_store_km": {"en": "Distance to store (km)",
                                    "vi": "Khoảng cách đến cửa hàng (km)"},
    "column.web_savviness": {"en": "Online shopping skill (1-5)",
                             "vi": "Thành thạo mua online (1-5)"},
    "column.social_followers": {"en": "Social media followers",
                                "vi": "Người theo dõi trên mạng xã hội"},
    "column.category_share": {"en": "Share of spend: {category}",
                              "vi": "Tỷ trọng chi tiêu: {category}"},
}


def t(key: str, locale: str, **values: object) -> str:
    """The catalogue text of ``key`` in ``locale``, its placeholders filled.

    Raises
    ------
    KeyError
        If the key, or its text in that locale, is missing (a bug: the test of the
        catalogue keeps every key in every locale).
    """
    text = CATALOGUE[key][locale]
    return text.format(**values) if values else text


@dataclass(frozen=True)
class Msg:
    """A catalogue text not yet rendered: its key and the values of its placeholders.

    Code that does not know the run's language (the readers, the collection's
    rules) returns ``Msg`` objects; whoever shows them renders them in the run's
    locale. Integers and floats are formatted by Babel in that locale; a value
    that is itself a ``Msg`` is rendered first; ``str()`` gives the English text.
    """

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def render(self, locale: str) -> str:
        """The text in ``locale``, its values formatted for that locale."""
        return t(self.key, locale, **{k: _shown(v, locale) for k, v in self.values.items()})

    def __str__(self) -> str:
        return self.render("en")


def msg(key: str, **values: object) -> Msg:
    """A :class:`Msg` of ``key`` with its placeholder values."""
    if key not in CATALOGUE:
        raise KeyError(key)
    return Msg(key, values)


def render(text: str | Msg, locale: str) -> str:
    """``text`` in ``locale``: a :class:`Msg` rendered, plain text as it is."""
    return text.render(locale) if isinstance(text, Msg) else str(text)


def _shown(value: object, locale: str) -> str:
    if isinstance(value, Msg):
        return value.render(locale)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return number(value, locale)
    if isinstance(value, float):
        return number(value, locale, 2)
    return str(value)


def column_label(column: str, locale: str, categories: Mapping[str, str] | None = None) -> str:
    """How plots and tables name a column of the customer table, in ``locale``.

    Known columns come from the catalogue (``avg_order_value`` -> "Giá trị đơn trung
    bình"); ``category_share_<x>`` names its category (``categories``: category ->
    column, from the collection, gives the client's spelling); a category's dummy
    ``gender = nam`` keeps the value as the client wrote it; any other column is the
    client's own name, underscores as spaces.
    """
    if " = " in column:
        feature, value = column.split(" = ", 1)
        return f"{column_label(feature, locale, categories)} = {value}"
    if has(f"column.{column}"):
        return t(f"column.{column}", locale)
    if column.startswith("category_share_"):
        named = {col: name for name, col in (categories or {}).items()}
        category = named.get(column, column.removeprefix("category_share_").replace("_", " "))
        return t("column.category_share", locale, category=category)
    return column.replace("_", " ")


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a catalogue text expects."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def has(key: str) -> bool:
    """True when the catalogue holds ``key``."""
    return key in CATALOGUE


def _babel(locale: str) -> str:
    if locale not in _BABEL:
        raise ValueError(f"locale must be one of {', '.join(LOCALES)}; got {locale!r}")
    return _BABEL[locale]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        value is pd.NA or value is pd.NaT


def number(value: float | int | None, locale: str, digits: int = 0) -> str:
    """``1.234.567`` (vi) or ``1,234,567`` (en); a blank value is an en dash."""
    if _missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=_babel(locale))


def percent(share: float | None, locale: str, digits: int | None = None) -> str:
    """A share (0.125) as ``12,5%`` (vi) or ``12.5%`` (en).

    Without ``digits``: no decimals from 10% up, one below (0.9%), and ``<0.1%`` for
    a share too small to show but above zero.
    """
    if _missing(share):
        return "–"
    if digits is None:
        if 0 < abs(share) < 0.0005:
            return "<" + percent(0.001, locale, 1)
        digits = 0 if abs(share) >= 0.095 or share == 0 else 1
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return babel_numbers.format_percent(share, format=pattern, locale=_babel(locale))


def money(value: float | None, currency: str, locale: str) -> str:
    """``1.234.567 ₫``, ``$1,234,567``, ``$12.50``: the currency's symbol, no cents from 1,000.

    Without a currency (the config gave none) the number alone.
    """
    if _missing(value):
        return "–"
    if not currency:
        return number(value, locale, digits=0 if abs(value) >= 1000 else 2)
    cents = abs(value) < 1000 and babel_numbers.get_currency_precision(currency) > 0
    return babel_numbers.format_currency(
        value, currency, locale=_babel(locale), currency_digits=cents,
        format=None if cents else _no_decimals(locale))


def _no_decimals(locale: str) -> str:
    """The locale's currency pattern without its decimals (``¤#,##0`` / ``#,##0 ¤``)."""
    pattern = babel_numbers.Locale.parse(_babel(locale)).currency_formats["standard"].pattern
    pattern = pattern.split(";", 1)[0]
    return re.sub(r"\.0+", "", pattern)


def date(value: dt.date | dt.datetime | pd.Timestamp | str | None, locale: str) -> str:
    """``31/01/2025`` (vi) or ``Jan 31, 2025`` (en)."""
    if _missing(value):
        return "–"
    day = pd.Timestamp(value).date()
    return babel_dates.format_date(day, format=_DATE_FORMAT[locale], locale=_babel(locale))


def stage(name: str, locale: str) -> str:
    """A lifecycle stage as the summary says it (``At risk`` -> "at risk of leaving")."""
    key = f"stage.{name}"
    return t(key, locale) if has(key) else name


def stage_name(name: str, locale: str) -> str:
    """A lifecycle stage's name for a table or a legend ("At risk", "Có nguy cơ")."""
    key = f"stage_name.{name}"
    return t(key, locale) if has(key) else name


def catalogue_problems(catalogue: Mapping[str, Mapping[str, str]] = CATALOGUE) -> list[str]:
    """Keys lacking a locale, or whose placeholders differ between locales."""
    found = []
    for key, texts in catalogue.items():
        missing = [loc for loc in LOCALES if not texts.get(loc)]
        if missing:
            found.append(f"{key}: no text for {', '.join(missing)}")
            continue
        expected = placeholders(texts[LOCALES[0]])
        for loc in LOCALES[1:]:
            if placeholders(texts[loc]) != expected:
                found.append(f"{key}: {loc} has {sorted(placeholders(texts[loc]))}, "
                             f"{LOCALES[0]} has {sorted(expected)}")
    return found
