#!/usr/bin/env python3
"""Generate the HELD-OUT labelled résumé set in this folder (tests/data/holdout/).

Ten résumés that the parser was never tuned on: new people, roles, templates and
date / phone formats (see README.md here). Each résumé is written once below, as
HTML (PDF / DOCX, converted by LibreOffice headless) or as plain text, together with
its hand-written labels, which follow the rules of ../README.md exactly.

Running the script rewrites ./*.{pdf,docx,txt} and ./*.expected.json and then checks
every label against the text layer (pdftotext, word/document.xml, the .txt itself),
re-using ../make/skillmatch.py and the text helpers of ../make/check_labels.py.

Usage:   python3 make_holdout.py [--soffice soffice] [--check-only]
Needs:   LibreOffice Writer, fonts-noto-cjk, fonts-dejavu, fonts-liberation2,
         fonts-crosextra-carlito / -caladea, poppler-utils (see ../README.md).
All people, companies, contact data and numbers are fictional; e-mail addresses use
example.com / example.cn only.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # never leave __pycache__ in ../make
HERE = Path(__file__).resolve().parent
OUT = HERE
sys.path.insert(0, str(HERE.parent / "make"))
import check_labels  # noqa: E402  (pdf_text, docx_text, flow, present)
import skillmatch  # noqa: E402

RESUMES: list[dict] = []


def resume(stem, fmt, language, layout, content, labels, overrides=None):
    RESUMES.append(dict(stem=stem, fmt=fmt, language=language, layout=layout,
                        content=content, labels=labels, overrides=overrides or {}))


def ul(*items):
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def page(body: str, css: str, lang: str, title: str, margin: str = "1.2cm 1.4cm") -> str:
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
@page {{ margin: {margin}; }}
p {{ margin-top: 0; margin-bottom: 2pt; }}
ul {{ margin-top: 0; margin-bottom: 4pt; }}
{css}
</style></head>
<body>
{body}
</body></html>
"""


def edu(school, degree, major, start, end):
    return dict(school=school, degree=degree, major=major, start=start, end=end)


def job(company, title, start, end):
    return dict(company=company, title=title, start=start, end=end)


def proj(name):
    return dict(name=name)


# ===========================================================================
# H1. 张薇 — zh, PDF, two-column with the sidebar on the RIGHT, QA / 测试开发,
#     headings in boxes, monospaced CJK font, `2019.7-2021.3`, `186 0000 5678`
# ===========================================================================
resume(
    "zh_qa_zhangwei", "pdf", "zh", "two-column",
    page(
        css="""
body, p, li, td, h1, h2 { font-family: 'Noto Sans Mono CJK SC'; }
body { font-size: 9pt; }
h1 { font-size: 20pt; margin-bottom: 0; }
h2 { font-size: 10.5pt; border: 1px solid #333333; padding: 1pt 4pt; margin-top: 8pt; margin-bottom: 4pt; }
p.sub { color: #555555; margin-bottom: 4pt; }
p.role { font-weight: bold; margin-top: 5pt; }
""",
        lang="zh-CN", title="张薇 测试开发工程师",
        body="""
<table width="100%" cellpadding="7" cellspacing="0" border="0"><tr>
<td width="67%" valign="top">
<h1>张薇</h1>
<p class="sub">测试开发工程师 · 6 年经验 · 上海</p>
<h2>工作经历</h2>
<p class="role">上海铂石信息科技有限公司 ｜ 高级测试开发工程师 ｜ 2021.4-至今</p>
""" + ul(
            "负责交易与清结算系统的质量保障，搭建基于 Python + pytest 的接口自动化测试框架，覆盖 1800+ 用例，回归时间从 3 天缩短到 40 分钟",
            "大促前使用 JMeter 完成全链路压力测试，定位并推动修复 12 个性能瓶颈",
            "将自动化用例接入 Jenkins 流水线，每次合并请求自动触发冒烟测试",
            "推动缺陷分级与 Jira 看板管理，线上缺陷逃逸率下降 60%",
        ) + """
<p class="role">南京易橙网络科技有限公司 ｜ 测试工程师 ｜ 2019.7-2021.3</p>
""" + ul(
            "负责电商 App 的功能测试与兼容性测试，使用 Appium 编写移动端 UI 自动化脚本",
            "编写 SQL 校验订单与库存数据的一致性，发现 30+ 个数据类缺陷",
            "参与敏捷开发双周迭代，与开发、产品沟通需求与验收标准",
        ) + """
<h2>项目经验</h2>
<p class="role">接口自动化平台 TestHub（2022.3-2022.10）</p>
""" + ul(
            "基于 Flask + Vue 开发用例管理与定时执行平台，6 条业务线、40 名测试同学在用",
            "测试报告自动推送到企业微信群，失败用例一键重跑",
        ) + """
<p class="role">支付链路性能基线（2021.9-2021.12）</p>
""" + ul(
            "用 JMeter + Grafana 建立核心支付接口的性能基线，发现 3 处慢 SQL",
        ) + """
<h2>自我评价</h2>
<p>细心、较真，习惯用数据说话；乐于和开发一起定位问题，而不是只提缺陷单。</p>
</td>
<td width="33%" valign="top" bgcolor="#f2f2f2">
<h2>联系方式</h2>
<p>电话：186 0000 5678</p>
<p>邮箱：zhangwei.qa@example.cn</p>
<p>GitHub：github.com/zhangwei-qa</p>
<p>城市：上海</p>
<h2>教育背景</h2>
<p><b>南京邮电大学</b></p>
<p>软件工程 ｜ 本科</p>
<p>2015.9-2019.6</p>
<h2>技能清单</h2>
""" + ul(
            "Python / Java / SQL",
            "pytest、Selenium、Appium",
            "JMeter 性能测试",
            "Jenkins、Git、Docker",
            "Linux 常用命令、Shell 脚本",
            "Postman、Charles 抓包、HTTP 协议",
        ) + """
<h2>证书</h2>
<p>ISTQB 基础级认证</p>
<p>英语 CET-6</p>
</td></tr></table>
""",
    ),
    dict(
        name="张薇", email="zhangwei.qa@example.cn", phone="186 0000 5678",
        links=["https://github.com/zhangwei-qa"],
        skills=["Python", "Unit Testing", "Test Automation", "Performance Testing", "CI/CD",
                "Jira", "SQL", "Agile", "Communication", "Flask", "Vue", "Monitoring", "Java",
                "Git", "Docker", "Linux", "Shell", "Computer Networks"],
        education=[edu("南京邮电大学", "本科", "软件工程", "2015-09", "2019-06")],
        experience=[
            job("上海铂石信息科技有限公司", "高级测试开发工程师", "2021-04", "present"),
            job("南京易橙网络科技有限公司", "测试工程师", "2019-07", "2021-03"),
        ],
        projects=[proj("接口自动化平台 TestHub"), proj("支付链路性能基线")],
    ),
)

# ===========================================================================
# H2. 刘浩 — zh, PDF, one-column, embedded software, name + contacts on ONE line
#     separated by `|`, shaded heading bands, company and title on separate lines,
#     `2020年3月至今`, `+86-186-0000-1234`, DejaVu Serif for Latin text
# ===========================================================================
resume(
    "zh_embedded_liuhao", "pdf", "zh", "one-column",
    page(
        css="""
body, p, li, h2 { font-family: 'DejaVu Serif'; }
body { font-size: 9.5pt; }
p.head { font-size: 10pt; margin-bottom: 1pt; }
h2 { font-size: 10.5pt; color: #ffffff; background: #2e4053; padding: 1pt 5pt; margin-top: 9pt; margin-bottom: 3pt; }
p.org { font-weight: bold; margin-top: 6pt; margin-bottom: 0; }
p.ttl { font-style: italic; margin-bottom: 0; }
p.dt { color: #555555; }
""",
        lang="zh-CN", title="刘浩 嵌入式软件工程师",
        body="""
<p class="head"><font size="5"><b>刘浩</b></font> | +86-186-0000-1234 | liuhao.emb@example.cn | 深圳 | 9 年经验</p>
<p>求职意向：嵌入式软件工程师（电力电子 / 储能方向）</p>
<h2>专业技能</h2>
""" + ul(
            "精通 C 语言，熟悉 C++11 与 STL 容器，会用 Python 编写测试脚本",
            "熟悉 STM32 系列单片机与 FreeRTOS，能阅读原理图并配合硬件工程师调试",
            "熟悉 UART、SPI、I2C、CAN 等通信协议及 Modbus 协议栈",
            "熟悉嵌入式 Linux 驱动开发与 Shell，了解 TCP/IP 协议栈（lwIP）",
            "熟练使用 Keil、J-Link、示波器和逻辑分析仪；使用 Git 管理代码",
        ) + """
<h2>工作经历</h2>
<p class="org">深圳市晶驰能源科技有限公司</p>
<p class="ttl">嵌入式软件工程师</p>
<p class="dt">2020年3月至今</p>
""" + ul(
            "负责分布式光伏逆变器主控板固件开发，平台为 STM32F4 + FreeRTOS",
            "实现 MPPT 与 PID 控制算法，整机逆变效率提升 0.6%",
            "设计 OTA 升级方案（双分区 + CRC 校验），3 万台设备远程升级零变砖",
            "通过 4G 模组接入阿里云 IoT 平台上报运行数据",
            "指导新人 2 名，制定固件编码规范",
        ) + """
<p class="org">东莞市科朗电子有限公司</p>
<p class="ttl">单片机软件工程师</p>
<p class="dt">2017年7月—2020年2月</p>
""" + ul(
            "负责智能门锁与小家电的单片机程序，产品累计出货 50 万台",
            "优化低功耗模式，待机电流从 180μA 降至 25μA",
            "编写产线测试工装程序，单台生产测试时间缩短 35%",
        ) + """
<h2>项目经历</h2>
<p class="org">储能 BMS 主控固件（2022年5月—2023年4月）</p>
""" + ul(
            "负责电芯采样、SOC 估算与均衡策略，经 CAN 总线与 PCS 通信",
            "C 语言 + FreeRTOS 多任务调度；核心模块编写单元测试（Unity 框架）",
        ) + """
<p class="org">工业网关 Linux 移植（2019年3月—2019年12月）</p>
""" + ul(
            "将 Linux 4.19 内核移植到 i.MX6ULL，编写 SPI 与 GPIO 驱动",
            "用 Python 编写上位机调试工具",
        ) + """
<h2>教育背景</h2>
<p><b>华南理工大学</b>　自动化　本科　2013年9月—2017年6月</p>
<p>全国大学生电子设计竞赛 广东赛区一等奖</p>
""",
    ),
    dict(
        name="刘浩", email="liuhao.emb@example.cn", phone="+86-186-0000-1234",
        links=[],
        skills=["C", "C++", "Python", "Embedded Systems", "Linux", "Shell", "Computer Networks",
                "Git", "Algorithms", "Alibaba Cloud", "Mentoring", "Unit Testing"],
        education=[edu("华南理工大学", "本科", "自动化", "2013-09", "2017-06")],
        experience=[
            job("深圳市晶驰能源科技有限公司", "嵌入式软件工程师", "2020-03", "present"),
            job("东莞市科朗电子有限公司", "单片机软件工程师", "2017-07", "2020-02"),
        ],
        projects=[proj("储能 BMS 主控固件"), proj("工业网关 Linux 移植")],
    ),
    overrides={"exclude": {
        "Docker": "'STL 容器' are C++ container classes, not Docker containers",
        "Distributed Systems": "'分布式光伏' is distributed photovoltaics (rooftop solar), not distributed systems",
    }},
)

# ===========================================================================
# H3. 许悦 — zh, PDF, one-column, 应届生 with 校园经历; dates on their own line
#     BEFORE each entry; education in a bordered table; `01 教育背景` numbered
#     headings; `2021.9-2025.6`; `+86 176-0000-1111`
# ===========================================================================
resume(
    "zh_newgrad_xuyue", "pdf", "zh", "one-column",
    page(
        css="""
body, p, li, td, th { font-family: 'Noto Serif CJK SC'; }
h1, h2 { font-family: 'Noto Sans CJK SC'; }
body { font-size: 9.5pt; }
h1 { font-size: 18pt; margin-bottom: 1pt; color: #0b5345; }
h2 { font-size: 11pt; color: #0b5345; margin-top: 9pt; margin-bottom: 3pt; border-bottom: 2px solid #0b5345; }
p.dt { color: #0b5345; font-size: 8.5pt; margin-top: 5pt; margin-bottom: 0; }
p.org { font-weight: bold; }
th { background: #d0ece7; font-weight: bold; }
""",
        lang="zh-CN", title="许悦 2025届",
        body="""
<h1>许悦</h1>
<p>2025届应届毕业生 ｜ 求职意向：Java 后端开发 / 测试开发</p>
<p>电话：+86 176-0000-1111　邮箱：xuyue2025@example.cn　GitHub：https://github.com/xuyue-dev</p>
<h2>01 教育背景</h2>
<table width="100%" border="1" cellspacing="0" cellpadding="4">
<tr><th>学校</th><th>专业</th><th>学历</th><th>时间</th></tr>
<tr><td>南京航空航天大学</td><td>计算机科学与技术</td><td>本科</td><td>2021.9-2025.6</td></tr>
</table>
<p>GPA 3.7/4.0（专业前 10%）；主修课程：数据结构、操作系统、计算机网络、数据库原理、算法设计与分析</p>
<h2>02 实习经历</h2>
<p class="dt">2024.7-2024.9</p>
<p class="org">江苏云栖数据科技有限公司 · 后端开发实习生</p>
""" + ul(
            "参与用户中心模块开发，基于 Spring Boot + MyBatis + MySQL 实现 8 个 RESTful 接口",
            "用 Redis 缓存热点数据，接口平均响应时间从 120ms 降至 35ms",
            "为负责的模块编写 JUnit 单元测试，行覆盖率 75%",
        ) + """
<h2>03 校园经历</h2>
<p class="dt">2022.9-2023.6</p>
<p class="org">南京航空航天大学计算机学院学生会 · 技术部部长</p>
""" + ul(
            "带领 8 名干事维护学院官网与活动报名小程序，组织 6 场技术分享会",
            "协调 3 个部门完成迎新晚会线上报名，锻炼了沟通能力与时间管理能力",
            "熟悉 PS，设计活动海报 20 余张",
        ) + """
<p class="dt">2022.3-2024.6</p>
<p class="org">ACM 程序设计协会 · 副会长</p>
""" + ul(
            "参加 ICPC 区域赛获铜奖；LeetCode 累计刷题 600+ 道",
        ) + """
<h2>04 项目经历</h2>
<p class="dt">2024.3-2024.5</p>
<p class="org">校园二手交易平台（课程设计）</p>
""" + ul(
            "前端使用 Vue + Element UI，后端 Spring Boot + MySQL；3 人小组中负责后端与数据库设计",
            "使用 Git 进行团队协作，部署在 Linux 云服务器，Nginx 反向代理",
        ) + """
<p class="dt">2023.10-2023.12</p>
<p class="org">课程表爬虫与提醒工具</p>
""" + ul(
            "用 Python + requests 抓取教务系统课表，每天早上推送当日课程",
        ) + """
<h2>05 技能与证书</h2>
<p>编程语言：Java（熟练）、Python、C 语言、SQL</p>
<p>框架与工具：Spring Boot、MyBatis、Git、Linux、Docker（了解）</p>
<p>证书：CET-6（552 分）、全国计算机等级考试二级</p>
""",
    ),
    dict(
        name="许悦", email="xuyue2025@example.cn", phone="+86 176-0000-1111",
        links=["https://github.com/xuyue-dev"],
        skills=["Java", "Backend Development", "Data Structures", "Operating Systems",
                "Computer Networks", "Algorithms", "Spring", "MyBatis", "MySQL", "REST API",
                "Redis", "Unit Testing", "WeChat Mini Program", "Communication",
                "Time Management", "Photoshop", "Frontend Development", "Vue",
                "Database Design", "Git", "Teamwork", "Linux", "Nginx", "Python", "C", "SQL",
                "Docker"],
        education=[edu("南京航空航天大学", "本科", "计算机科学与技术", "2021-09", "2025-06")],
        experience=[
            job("江苏云栖数据科技有限公司", "后端开发实习生", "2024-07", "2024-09"),
            job("南京航空航天大学计算机学院学生会", "技术部部长", "2022-09", "2023-06"),
            job("ACM 程序设计协会", "副会长", "2022-03", "2024-06"),
        ],
        projects=[proj("校园二手交易平台"), proj("课程表爬虫与提醒工具")],
    ),
)

# ===========================================================================
# H4. 陈静 — zh, DOCX, one-column, HR business partner (non-tech); underlined
#     headings; `2021年3月至今`; `135-0000-2468（微信同号）`; 出生年月 as a date trap
# ===========================================================================
resume(
    "zh_hr_chenjing", "docx", "zh", "one-column",
    page(
        css="""
body, p, li, h1, h2 { font-family: 'Carlito'; }
body { font-size: 10.5pt; }
h1 { font-size: 20pt; margin-bottom: 2pt; }
h2 { font-size: 12pt; text-decoration: underline; margin-top: 10pt; margin-bottom: 3pt; }
p.job { font-weight: bold; margin-top: 5pt; }
""",
        lang="zh-CN", title="陈静 人力资源",
        body="""
<h1>陈静</h1>
<p>人力资源业务伙伴（HRBP）｜ 8 年人力资源经验 ｜ 成都</p>
<p>手机：135-0000-2468（微信同号）｜ 邮箱：chenjing.hr@example.cn</p>
<h2>基本信息</h2>
<p>出生年月：1993年5月　　政治面貌：群众　　籍贯：四川绵阳</p>
<h2>工作经历</h2>
<p class="job">成都蓉信软件股份有限公司　　人力资源业务伙伴　　2021年3月至今</p>
""" + ul(
            "支持研发中心 260 人的招聘、绩效与员工关系；年度完成技术岗位（Java、前端、测试）招聘 85 人",
            "搭建校园招聘流程，组织 4 所高校宣讲会，校招入职 32 人",
            "用 Excel（数据透视表、VLOOKUP）和 Power BI 做人力数据分析，离职率看板每月推送管理层",
            "与 IT、财务跨部门协作，完成钉钉考勤与薪酬数据对接",
        ) + """
<p class="job">四川锦程人力资源服务有限公司　　招聘专员　　2016年7月—2021年2月</p>
""" + ul(
            "负责制造业客户的批量招聘，年均到岗 300+ 人",
            "维护候选人库并优化面试流程，平均招聘周期从 21 天缩短到 14 天",
            "参与薪酬核算与社保、公积金办理",
        ) + """
<h2>项目经历</h2>
<p class="job">新绩效管理系统上线（2022年9月—2023年3月）</p>
""" + ul(
            "作为项目负责人完成需求调研、供应商选型与全员培训，负责项目管理与上线验收",
            "上线后绩效评估周期从 6 周缩短到 3 周",
        ) + """
<h2>教育背景</h2>
<p>西南财经大学　　人力资源管理　　本科　　2012年9月—2016年6月</p>
<h2>专业技能</h2>
""" + ul(
            "熟悉《劳动合同法》与社保政策，持有企业人力资源管理师（二级）证书",
            "熟练使用 Excel、PPT、北森、钉钉等办公与 HR 系统",
            "具备良好的沟通能力与团队协作精神，时间管理能力强",
        ) + """
<h2>自我评价</h2>
<p>熟悉互联网研发团队的用人需求，做事有条理、有温度，能在业务目标和员工体验之间找到平衡。</p>
""",
    ),
    dict(
        name="陈静", email="chenjing.hr@example.cn", phone="135-0000-2468",
        links=[],
        skills=["Excel", "Tableau", "Data Analysis", "Teamwork", "Project Management",
                "Communication", "Time Management"],
        education=[edu("西南财经大学", "本科", "人力资源管理", "2012-09", "2016-06")],
        experience=[
            job("成都蓉信软件股份有限公司", "人力资源业务伙伴", "2021-03", "present"),
            job("四川锦程人力资源服务有限公司", "招聘专员", "2016-07", "2021-02"),
        ],
        projects=[proj("新绩效管理系统上线")],
    ),
    overrides={"exclude": {
        "Java": "'技术岗位（Java、前端、测试）招聘' names the roles she recruited for, not a skill of hers",
        "Frontend Development": "same phrase: 前端 is a role she hired for, not her skill",
    }},
)

# ===========================================================================
# H5. 周磊 — zh (bilingual headings `工作经历 Work Experience`), DOCX, two-column
#     with the sidebar on the RIGHT, data engineer; education as a table;
#     `2019-07 ~ 2021-03`, `2021-04 ~ 至今`; `+86 188-0000-9090`
# ===========================================================================
resume(
    "zh_data_engineer_zhoulei", "docx", "zh", "two-column",
    page(
        css="""
body, p, li, td, th, h1, h2 { font-family: 'Noto Sans CJK SC'; }
body { font-size: 9.5pt; }
h1 { font-size: 20pt; margin-bottom: 0; color: #154360; }
h2 { font-size: 11pt; color: #154360; margin-top: 8pt; margin-bottom: 3pt; border-bottom: 1px dashed #154360; }
p.job { font-weight: bold; margin-top: 5pt; }
th { font-weight: bold; background: #d6eaf8; }
""",
        lang="zh-CN", title="周磊 Data Engineer",
        body="""
<table width="100%" cellpadding="6" cellspacing="0" border="0"><tr>
<td width="66%" valign="top">
<h1>周磊</h1>
<p>ZHOU Lei · 大数据开发工程师 / Data Engineer</p>
<h2>个人简介 Summary</h2>
<p>6 年数据开发经验，熟悉离线与实时数仓建设，负责过日均 50 亿条日志的采集与加工。</p>
<h2>工作经历 Work Experience</h2>
<p class="job">杭州聚量电子商务有限公司 | 高级数据开发工程师 | 2021-04 ~ 至今</p>
""" + ul(
            "负责电商实时数仓，基于 Flink + Kafka 构建实时指标，数据延迟从 15 分钟降到 10 秒",
            "主导离线数仓分层（ODS/DWD/DWS/ADS）重构，Hive 表从 3000 张治理到 1200 张",
            "用 Airflow 调度 900+ 个 Spark SQL 任务，任务失败率从 4% 降到 0.5%",
            "搭建 ClickHouse 即席查询，运营报表从分钟级降到秒级",
        ) + """
<p class="job">南京数衡信息技术有限公司 | 数据开发工程师 | 2019-07 ~ 2021-03</p>
""" + ul(
            "基于 Hadoop（HDFS、Hive）和 Python 开发 ETL 任务，支撑 30 张业务报表",
            "用 MySQL 和 Redis 为推荐服务提供特征数据",
            "编写 Shell 脚本完成每日数据质量巡检",
        ) + """
<h2>项目经历 Projects</h2>
<p class="job">用户行为实时数仓（2022.01 - 2022.08）</p>
""" + ul(
            "Flink SQL + Kafka + ClickHouse，支撑 12 块实时大屏",
            "配置 200+ 条数据质量校验规则，异常 5 分钟内告警",
        ) + """
<p class="job">数据资产目录（2020.03 - 2020.09）</p>
""" + ul(
            "基于 Elasticsearch 实现表与字段检索，Java + Spring Boot 提供查询接口",
        ) + """
<h2>教育背景 Education</h2>
<table width="100%" border="1" cellspacing="0" cellpadding="3">
<tr><th>学校 School</th><th>学历 Degree</th><th>专业 Major</th><th>时间 Period</th></tr>
<tr><td>东南大学</td><td>硕士</td><td>软件工程</td><td>2016-09 ~ 2019-06</td></tr>
<tr><td>河海大学</td><td>本科</td><td>信息管理与信息系统</td><td>2012-09 ~ 2016-06</td></tr>
</table>
</td>
<td width="34%" valign="top" bgcolor="#eaf2f8">
<h2>联系方式 Contact</h2>
<p>电话 Tel：+86 188-0000-9090</p>
<p>邮箱 Email：zhoulei.data@example.cn</p>
<p>GitHub：github.com/zhoulei-data</p>
<p>城市 City：杭州 Hangzhou</p>
<h2>技能 Skills</h2>
<p>大数据：Hadoop、Hive、Spark、Flink、Kafka</p>
<p>存储：ClickHouse、HBase、MySQL、Redis</p>
<p>语言：SQL、Python、Java、Scala</p>
<p>运维：Airflow、Docker、Linux、Git</p>
<p>方法：维度建模、数据仓库分层设计</p>
<h2>证书 Certificates</h2>
<p>阿里云大数据认证专家（ACP）</p>
<h2>语言 Languages</h2>
<p>英语 CET-6，可读写英文文档</p>
</td></tr></table>
""",
    ),
    dict(
        name="周磊", email="zhoulei.data@example.cn", phone="+86 188-0000-9090",
        links=["https://github.com/zhoulei-data"],
        skills=["ETL", "Flink", "Kafka", "Hadoop", "Airflow", "Spark", "SQL", "ClickHouse",
                "Python", "MySQL", "Redis", "Shell", "Elasticsearch", "Java", "Spring",
                "HBase", "Scala", "Docker", "Linux", "Git", "Alibaba Cloud"],
        education=[
            edu("东南大学", "硕士", "软件工程", "2016-09", "2019-06"),
            edu("河海大学", "本科", "信息管理与信息系统", "2012-09", "2016-06"),
        ],
        experience=[
            job("杭州聚量电子商务有限公司", "高级数据开发工程师", "2021-04", "present"),
            job("南京数衡信息技术有限公司", "数据开发工程师", "2019-07", "2021-03"),
        ],
        projects=[proj("用户行为实时数仓"), proj("数据资产目录")],
    ),
)

# ===========================================================================
# H6. Chidi Okafor — en, PDF, one-column, DevOps; name and contacts on ONE line
#     separated by `|`; company and title on separate lines; monospaced
#     headings; `Jan 2020 - Current`; `+1 (212) 555-0198`
# ===========================================================================
resume(
    "en_devops_okafor", "pdf", "en", "one-column",
    page(
        css="""
body, p, li { font-family: 'DejaVu Sans Condensed'; }
h2 { font-family: 'DejaVu Sans Mono'; }
body { font-size: 9.5pt; }
p.head { font-size: 10pt; margin-bottom: 2pt; }
h2 { font-size: 10.5pt; letter-spacing: 2pt; margin-top: 9pt; margin-bottom: 3pt; border-bottom: 3px double #000000; }
p.org { font-weight: bold; margin-top: 6pt; margin-bottom: 0; }
p.ttl { margin-bottom: 0; }
p.dt { font-size: 8.5pt; color: #555555; }
""",
        lang="en-US", title="Chidi Okafor - DevOps Engineer",
        body="""
<p class="head"><font size="5"><b>Chidi Okafor</b></font> | +1 (212) 555-0198 | chidi.okafor@example.com | github.com/chidi-okafor | Brooklyn, NY</p>
<p>DevOps Engineer · AWS · Kubernetes · Terraform</p>
<h2>SUMMARY</h2>
<p>DevOps engineer with 9 years of experience building cloud platforms for fintech and media teams. I automate things twice: once to ship them, once to make them boring.</p>
<h2>EXPERIENCE</h2>
<p class="org">Lumen Ledger Inc.</p>
<p class="ttl"><i>Senior DevOps Engineer</i></p>
<p class="dt">Jan 2020 - Current · New York, NY</p>
""" + ul(
            "Own the AWS landing zone (48 accounts) in Terraform; EC2 and Lambda spend down 31% through rightsizing and less idle capacity",
            "Migrated 70 services from ECS to Kubernetes (EKS) with Helm charts; split workloads across spot and on-demand node pools",
            "Built GitHub Actions pipelines with canary deploys; lead time for changes from 3 days to 2 hours",
            "Rolled out Prometheus, Grafana and Loki; wrote the on-call runbooks",
        ) + """
<p class="org">Brightwave Media</p>
<p class="ttl"><i>DevOps Engineer</i></p>
<p class="dt">Jun 2017 - Dec 2019 · Jersey City, NJ</p>
""" + ul(
            "Put 40 legacy monoliths into Docker images; nightly builds and smoke tests on Jenkins",
            "Managed 300 Ubuntu hosts with Ansible; patch cycle from 3 weeks to 2 days",
            "Ran the Nginx edge tier plus PostgreSQL and Redis for the video CMS",
        ) + """
<p class="org">Hudson Data Services</p>
<p class="ttl"><i>Systems Administrator</i></p>
<p class="dt">Aug 2015 - May 2017 · Newark, NJ</p>
""" + ul(
            "Automated user provisioning and backups with Bash and Python scripts",
        ) + """
<h2>PROJECTS</h2>
<p><b>tf-drift-bot</b> — Slack bot that reports Terraform drift every night; 600 stars on GitHub</p>
<p><b>Homelab k3s cluster</b> (personal) — three Raspberry Pi boards running k3s, Argo CD and Pi-hole</p>
<h2>EDUCATION</h2>
<p>City College of New York — B.E. Computer Engineering, 2011 - 2015</p>
<h2>CERTIFICATIONS</h2>
<p>AWS Certified DevOps Engineer – Professional · Certified Kubernetes Administrator (CKA) · HashiCorp Terraform Associate</p>
<h2>SKILLS</h2>
<p>Cloud: AWS (EC2, S3, Lambda, IAM), some Azure</p>
<p>Containers: Docker, Kubernetes, Helm</p>
<p>IaC and CI/CD: Terraform, Ansible, GitHub Actions, Jenkins</p>
<p>Observability: Prometheus, Grafana, Loki</p>
<p>Languages: Python, Bash, Go (basic), SQL</p>
<p>Other: Linux, Nginx, PostgreSQL, Redis, Git</p>
""",
    ),
    dict(
        name="Chidi Okafor", email="chidi.okafor@example.com", phone="+1 (212) 555-0198",
        links=["https://github.com/chidi-okafor"],
        skills=["CI/CD", "AWS", "Kubernetes", "Infrastructure as Code", "Monitoring", "Docker",
                "Linux", "Nginx", "PostgreSQL", "Redis", "Shell", "Python", "Git", "Azure",
                "Go", "SQL"],
        education=[edu("City College of New York", "B.E.", "Computer Engineering", "2011", "2015")],
        experience=[
            job("Lumen Ledger Inc.", "Senior DevOps Engineer", "2020-01", "present"),
            job("Brightwave Media", "DevOps Engineer", "2017-06", "2019-12"),
            job("Hudson Data Services", "Systems Administrator", "2015-08", "2017-05"),
        ],
        projects=[proj("tf-drift-bot"), proj("Homelab k3s cluster")],
    ),
    overrides={"exclude": {
        "CSS": "'less idle capacity' is the ordinary word, not the Less stylesheet language",
        "TensorFlow": "'tf-drift-bot' is short for Terraform, not TensorFlow (TF)",
        "Node.js": "'node pools' are Kubernetes worker nodes, not Node.js",
    }},
)

# ===========================================================================
# H7. Giulia Rossi — en, PDF, two-column (shaded sidebar LEFT, name in the main
#     column), UI/UX designer; boxed headings; European `03.2018 – 11.2021`;
#     `+1 646 555 0142`; Caladea headings + Carlito body
# ===========================================================================
resume(
    "en_ux_designer_rossi", "pdf", "en", "two-column",
    page(
        css="""
body, p, li, td { font-family: 'Carlito'; }
h1, h2 { font-family: 'Caladea'; }
body { font-size: 10pt; }
h1 { font-size: 24pt; margin-bottom: 0; color: #7d3c98; }
h2 { font-size: 10.5pt; letter-spacing: 1pt; border: 1.5px solid #7d3c98; color: #7d3c98; padding: 1pt 4pt; margin-top: 9pt; margin-bottom: 4pt; }
p.sub { font-size: 12pt; color: #555555; margin-bottom: 5pt; }
p.job { font-weight: bold; margin-top: 6pt; margin-bottom: 0; }
p.dt { font-style: italic; color: #666666; }
""",
        lang="en-US", title="Giulia Rossi - Product Designer",
        body="""
<table width="100%" cellpadding="8" cellspacing="0" border="0"><tr>
<td width="30%" valign="top" bgcolor="#f4ecf7">
<h2>CONTACT</h2>
<p>+1 646 555 0142</p>
<p>giulia.rossi@example.com</p>
<p>dribbble.com/giuliarossi</p>
<p>https://giuliarossi.example.com</p>
<p>New York, NY</p>
<h2>TOOLS</h2>
<p>Figma, Sketch, Adobe XD</p>
<p>Illustrator, After Effects</p>
<p>Miro, Maze, Jira</p>
<p>HTML &amp; CSS for prototypes</p>
<h2>METHODS</h2>
<p>User research and usability testing</p>
<p>Interaction design</p>
<p>Design systems and tokens</p>
<p>Accessibility (WCAG 2.1)</p>
<h2>EDUCATION</h2>
<p><b>Politecnico di Milano</b></p>
<p>M.Sc. Communication Design</p>
<p>2014 – 2016</p>
<p><b>Università Iuav di Venezia</b></p>
<p>B.A. Industrial Design</p>
<p>2011 – 2014</p>
<h2>LANGUAGES</h2>
<p>Italian (native), English (fluent)</p>
</td>
<td width="70%" valign="top">
<h1>Giulia Rossi</h1>
<p class="sub">Senior Product Designer — UI/UX</p>
<p>I excel at turning messy research into clear, testable flows, and I ship with engineers rather than over the wall. Eight years of user experience work in health, banking and retail.</p>
<h2>EXPERIENCE</h2>
<p class="job">Senior Product Designer — Fernwood Health, New York</p>
<p class="dt">12.2021 – present</p>
""" + ul(
            "Lead designer for the patient app (1.2M users); the new booking flow lifted completion from 61% to 84%",
            "Built the Sage design system in Figma: 140 components and tokens, used by 5 product squads",
            "Run biweekly usability sessions and turn them into opportunity maps with product managers",
        ) + """
<p class="job">UX Designer — Studio Marea, Milan</p>
<p class="dt">03.2018 – 11.2021</p>
""" + ul(
            "Designed e-commerce and banking apps for 12 clients, from interaction design to hi-fi prototypes",
            "Ran A/B testing on three checkout variants with a client growth team (+9% conversion)",
        ) + """
<p class="job">Junior Visual Designer — Ottica Blu S.r.l., Turin</p>
<p class="dt">09.2016 – 02.2018</p>
""" + ul(
            "Brand, packaging and in-store graphics in Illustrator and Photoshop",
        ) + """
<h2>SELECTED PROJECTS</h2>
<p class="job">Sage Design System (Fernwood Health, 2022)</p>
<p>Tokens, 140 components, an accessibility audit and a contribution model for engineers.</p>
<p class="job">Bank onboarding redesign (Studio Marea, 2020)</p>
<p>Cut account opening from 14 screens to 6; drop-off fell by a third.</p>
</td></tr></table>
""",
    ),
    dict(
        name="Giulia Rossi", email="giulia.rossi@example.com", phone="+1 646 555 0142",
        links=["https://dribbble.com/giuliarossi", "https://giuliarossi.example.com"],
        skills=["Figma", "Photoshop", "Jira", "HTML", "CSS", "UI/UX Design", "Statistics"],
        education=[
            edu("Politecnico di Milano", "M.Sc.", "Communication Design", "2014", "2016"),
            edu("Università Iuav di Venezia", "B.A.", "Industrial Design", "2011", "2014"),
        ],
        experience=[
            job("Fernwood Health", "Senior Product Designer", "2021-12", "present"),
            job("Studio Marea", "UX Designer", "2018-03", "2021-11"),
            job("Ottica Blu S.r.l.", "Junior Visual Designer", "2016-09", "2018-02"),
        ],
        projects=[proj("Sage Design System"), proj("Bank onboarding redesign")],
    ),
    overrides={"exclude": {
        "Excel": "'I excel at' is the verb, not Microsoft Excel",
        "R": "'Ottica Blu S.r.l.' is an Italian company form (società a responsabilità limitata), not R",
        "Communication": "'Communication Design' is the name of a design degree, not the soft skill",
    }},
)

# ===========================================================================
# H8. Sofia Lindqvist — en, PDF, one-column, PhD researcher (NLP); academic CV:
#     underlined headings, education table (period | degree | institution),
#     publications; `Sep 2020 – today`; UK phone `+44 (0)131 496 0715`
# ===========================================================================
resume(
    "en_phd_lindqvist", "pdf", "en", "one-column",
    page(
        css="""
body, p, li, td, h1, h2 { font-family: 'Liberation Serif'; }
body { font-size: 10.5pt; }
h1 { font-size: 20pt; margin-bottom: 0; text-align: center; }
p.c { text-align: center; }
h2 { font-size: 12pt; text-decoration: underline; margin-top: 10pt; margin-bottom: 3pt; }
p.pos { margin-top: 5pt; margin-bottom: 0; }
td.when { width: 24%; vertical-align: top; }
""",
        lang="en-GB", title="Sofia Lindqvist - Academic CV",
        body="""
<h1>Sofia Lindqvist</h1>
<p class="c">Academic CV · PhD candidate in natural language processing</p>
<p class="c">School of Informatics, University of Edinburgh · +44 (0)131 496 0715 · s.lindqvist@example.com</p>
<p class="c">https://sofialindqvist.example.com · github.com/slindqvist</p>
<h2>Research interests</h2>
<p>Natural language processing for low-resource languages; cross-lingual transfer in multilingual Transformer models; evaluation of large language models.</p>
<h2>Education</h2>
<table width="100%" cellspacing="0" cellpadding="3" border="0">
<tr><td class="when">Sep 2020 – today</td><td><b>Ph.D. in Informatics</b>, University of Edinburgh<br/>Thesis: <i>Cross-lingual transfer for Sámi and Faroese</i></td></tr>
<tr><td class="when">2018 – 2020</td><td><b>M.Sc. in Language Technology</b>, Uppsala University</td></tr>
<tr><td class="when">2015 – 2018</td><td><b>B.Sc. in Computer Science</b>, Stockholm University</td></tr>
</table>
<h2>Research and teaching experience</h2>
<p class="pos"><b>Research Intern</b>, Nordlys AI Lab, Oslo — Jun 2023 – Sep 2023</p>
""" + ul(
            "Fine-tuned multilingual BERT models and evaluated LLMs on Nordic question answering with PyTorch and Hugging Face",
        ) + """
<p class="pos"><b>Teaching Assistant</b>, University of Edinburgh — Jan 2021 – Apr 2023</p>
""" + ul(
            "Tutored Machine Learning Practical and Natural Language Understanding; marked 300+ assignments",
            "Co-supervision and mentorship of two MSc dissertation students",
        ) + """
<p class="pos"><b>Research Assistant</b>, Uppsala University — Jan 2019 – Jun 2020</p>
""" + ul(
            "Built the annotation pipeline (Python, NumPy, pandas) for a Sámi dependency treebank",
        ) + """
<h2>Publications</h2>
<p>1. S. Lindqvist and A. Berg. Tokenizer-free transfer for Faroese. <i>Findings of ACL</i>, 2024.</p>
<p>2. S. Lindqvist and M. O'Hare. How well do LLMs count morphemes? <i>Proceedings of LREC-COLING</i>, 2024.</p>
<p>3. S. Lindqvist. A dependency treebank for North Sámi. <i>Proceedings of NoDaLiDa</i>, 2021. Best student paper.</p>
<h2>Software</h2>
<p><b>sami-tok</b> — subword tokenizer for Sámi languages, written in Rust with Python bindings</p>
<p><b>NordEval</b> — benchmark harness for evaluating language models on Nordic tasks (PyTorch, Slurm)</p>
<h2>Skills</h2>
<p>Python, PyTorch, Hugging Face Transformers, NumPy, pandas, R, LaTeX, Slurm, Git, Linux; statistics (mixed-effects models)</p>
<p>Languages: Swedish (native), English (C2), Norwegian (B2)</p>
""",
    ),
    dict(
        name="Sofia Lindqvist", email="s.lindqvist@example.com", phone="+44 (0)131 496 0715",
        links=["https://sofialindqvist.example.com", "https://github.com/slindqvist"],
        skills=["NLP", "Transformers", "LLM", "PyTorch", "Machine Learning", "Mentoring",
                "Python", "NumPy", "Pandas", "Rust", "R", "Git", "Linux", "Statistics"],
        education=[
            edu("University of Edinburgh", "Ph.D.", "Informatics", "2020-09", "present"),
            edu("Uppsala University", "M.Sc.", "Language Technology", "2018", "2020"),
            edu("Stockholm University", "B.Sc.", "Computer Science", "2015", "2018"),
        ],
        experience=[
            job("Nordlys AI Lab", "Research Intern", "2023-06", "2023-09"),
            job("University of Edinburgh", "Teaching Assistant", "2021-01", "2023-04"),
            job("Uppsala University", "Research Assistant", "2019-01", "2020-06"),
        ],
        projects=[proj("sami-tok"), proj("NordEval")],
    ),
    overrides={"exclude": {
        "Computer Vision": "'Academic CV' is curriculum vitae, not computer vision",
    }},
)

# ===========================================================================
# H9. Danielle Brooks — en, DOCX, one-column, career changer (logistics → data
#     analyst); shaded headings; title, company and dates on three separate
#     lines; education table; `Aug. 2015 to Mar. 2019`; `503-555-0177`
# ===========================================================================
resume(
    "en_career_changer_brooks", "docx", "en", "one-column",
    page(
        css="""
body, p, li, td, th, h1, h2 { font-family: 'Liberation Sans'; }
body { font-size: 10pt; }
h1 { font-size: 18pt; letter-spacing: 2pt; margin-bottom: 0; }
h2 { font-size: 10.5pt; background: #d5dbdb; padding: 1pt 4pt; margin-top: 10pt; margin-bottom: 3pt; }
p.ttl { font-weight: bold; margin-top: 6pt; margin-bottom: 0; }
p.org { margin-bottom: 0; }
p.dt { font-style: italic; }
th { text-align: left; }
""",
        lang="en-US", title="Danielle Brooks - Data Analyst",
        body="""
<h1>DANIELLE BROOKS</h1>
<p>Data Analyst (career change from freight logistics)</p>
<p>Portland, OR · 503-555-0177 · danielle.brooks@example.com · linkedin.com/in/danielle-brooks-data · github.com/dbrooks-analytics</p>
<h2>PROFILE</h2>
<p>After six years running freight operations I retrained through a 24-week analytics program. I bring SQL and Python to problems I have lived through: late trucks, missing pallets and reports nobody reads.</p>
<h2>TECHNICAL SKILLS</h2>
<p>SQL (PostgreSQL, BigQuery) · Python (pandas, NumPy, matplotlib) · Tableau · Excel (pivot tables, Power Query) · statistics and A/B testing · Git</p>
<h2>EXPERIENCE</h2>
<p class="ttl">Junior Data Analyst</p>
<p class="org">Cascadia Outdoor Co., Portland, OR</p>
<p class="dt">July 2022 to present</p>
""" + ul(
            "Built weekly sales and inventory dashboards in Tableau for 30 store managers",
            "Replaced 14 hand-maintained spreadsheets with scheduled SQL models",
            "Analysed a free-shipping test on 48,000 orders and presented the results to the executive team",
        ) + """
<p class="ttl">Operations Supervisor</p>
<p class="org">Harborline Freight Services, Tacoma, WA</p>
<p class="dt">Apr. 2019 to June 2021</p>
""" + ul(
            "Supervised a night shift of 12 dispatchers across three terminals",
            "Led the go-live of a new warehouse management system for 40 users",
        ) + """
<p class="ttl">Logistics Coordinator</p>
<p class="org">Harborline Freight Services, Tacoma, WA</p>
<p class="dt">Aug. 2015 to Mar. 2019</p>
""" + ul(
            "Scheduled 2,000+ shipping containers a month with carriers and port terminals",
            "Kept the carrier scorecard in Excel; on-time pickups rose from 82% to 95%",
        ) + """
<h2>PROJECTS</h2>
<p class="ttl">Freight Delay Predictor (program capstone)</p>
<p>Logistic regression and gradient boosting with scikit-learn on 1.1M shipment records; flags late loads 2 days ahead.</p>
<p class="ttl">Portland Bike Counts Dashboard</p>
<p>Tableau Public dashboard of ten years of city bike counter data; 4,000 views.</p>
<h2>EDUCATION</h2>
<table width="100%" border="1" cellspacing="0" cellpadding="4">
<tr><th>Institution</th><th>Credential</th><th>Field</th><th>Dates</th></tr>
<tr><td>Northwind Data Academy</td><td>Certificate</td><td>Data Analytics</td><td>Jan. 2022 to June 2022</td></tr>
<tr><td>University of Washington Tacoma</td><td>B.A.</td><td>Business Administration</td><td>2011 to 2015</td></tr>
</table>
""",
    ),
    dict(
        name="DANIELLE BROOKS", email="danielle.brooks@example.com", phone="503-555-0177",
        links=["https://linkedin.com/in/danielle-brooks-data",
               "https://github.com/dbrooks-analytics"],
        skills=["SQL", "PostgreSQL", "Python", "Pandas", "NumPy", "Tableau", "Excel",
                "Statistics", "Git", "scikit-learn", "Data Analysis"],
        education=[
            edu("Northwind Data Academy", "Certificate", "Data Analytics", "2022-01", "2022-06"),
            edu("University of Washington Tacoma", "B.A.", "Business Administration", "2011", "2015"),
        ],
        experience=[
            job("Cascadia Outdoor Co.", "Junior Data Analyst", "2022-07", "present"),
            job("Harborline Freight Services", "Operations Supervisor", "2019-04", "2021-06"),
            job("Harborline Freight Services", "Logistics Coordinator", "2015-08", "2019-03"),
        ],
        projects=[proj("Freight Delay Predictor"), proj("Portland Bike Counts Dashboard")],
    ),
    overrides={"exclude": {
        "Go": "'the go-live of' is the ordinary word, not the Go language",
        "Docker": "'shipping containers' are freight containers, not Docker",
    }},
)

# ===========================================================================
# H10. Omar Haddad — en, TXT, one-column, application security engineer;
#      `=====` underlined headings; the date range on its own line BEFORE each
#      entry; `2018 - now`; `+1-312-555-0166`
# ===========================================================================
resume(
    "en_security_haddad", "txt", "en", "one-column",
    """OMAR HADDAD
Application Security Engineer
Chicago, IL
+1-312-555-0166  /  omar.haddad@example.com  /  https://github.com/ohaddad-sec

Summary
=======
Security engineer with 11 years in IT and application security, the last seven
in penetration testing and secure design reviews. I prefer swift, boring fixes
over heroic ones.

Experience
==========
2018 - now
Senior Application Security Engineer, Meridian Payments (Chicago)
  * Run the secure development lifecycle for 120 engineers: threat modelling,
    code review, SAST and DAST gates in Jenkins and GitHub Actions
  * Led 30+ penetration tests of REST and GraphQL APIs; 4 critical findings
    fixed before launch
  * Built a secrets-scanning service in Go and Python that blocks ~200 leaked
    credentials a month
  * Started a coaching program for security champions in 14 product teams

2015 - 2018
Security Analyst, Lakeshore Health Systems (Chicago)
  * Triaged alerts from the ELK stack and wrote 90 detection rules
  * Hardened 250 Linux and Windows servers against CIS benchmarks
  * Ran the phishing awareness program for 3,000 staff

2013 - 2015
Help Desk Technician, DePaul University (Chicago)
  * First-line support for 4,000 students; wrote the password-reset runbook

Projects
========
2022
cve-watch -- small CLI that maps SBOMs to newly published CVEs (Rust, open source)

2020
Capture-the-flag league -- quarterly internal CTF for 60 engineers

Education
=========
2009 - 2013
B.S. Computer Science, University of Illinois Chicago

Certifications
==============
OSCP; CISSP; AWS Certified Security - Specialty

Skills
======
Web application security, penetration testing, threat modelling, Burp Suite,
OWASP Top 10
Go, Python, Bash, SQL
AWS, Docker, Kubernetes, Terraform
Git, Jenkins, GitHub Actions, Linux
""",
    dict(
        name="OMAR HADDAD", email="omar.haddad@example.com", phone="+1-312-555-0166",
        links=["https://github.com/ohaddad-sec"],
        skills=["Network Security", "CI/CD", "REST API", "GraphQL", "Go", "Python", "Mentoring",
                "Elasticsearch", "Linux", "Rust", "AWS", "Shell", "SQL", "Docker", "Kubernetes",
                "Infrastructure as Code", "Git"],
        education=[edu("University of Illinois Chicago", "B.S.", "Computer Science", "2009", "2013")],
        experience=[
            job("Meridian Payments", "Senior Application Security Engineer", "2018", "present"),
            job("Lakeshore Health Systems", "Security Analyst", "2015", "2018"),
            job("DePaul University", "Help Desk Technician", "2013", "2015"),
        ],
        projects=[proj("cve-watch"), proj("Capture-the-flag league")],
    ),
    overrides={"exclude": {
        "Swift": "'swift, boring fixes' is the adjective, not the Swift language",
    }},
)


# ---------------------------------------------------------------------------
def convert(soffice: str, html_files: list[Path], fmt: str, outdir: Path, profile: Path) -> None:
    target = {"pdf": "pdf:writer_pdf_Export", "docx": "docx:MS Word 2007 XML"}[fmt]
    cmd = [
        soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
        "--infilter=HTML (StarWriter)", "--convert-to", target, "--outdir", str(outdir),
        *map(str, html_files),
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def generate(soffice: str) -> None:
    if shutil.which(soffice) is None:
        sys.exit(f"{soffice} not found: apt-get install -y libreoffice-writer fonts-noto-cjk")
    with tempfile.TemporaryDirectory(prefix="mianshi-holdout-") as tmp:
        tmp = Path(tmp)
        src, conv, profile = tmp / "src", tmp / "out", tmp / "profile"
        src.mkdir()
        conv.mkdir()
        pending: dict[str, list[Path]] = {"pdf": [], "docx": []}
        for r in RESUMES:
            if r["fmt"] in ("txt", "md"):
                (OUT / f"{r['stem']}.{r['fmt']}").write_text(r["content"], encoding="utf-8")
            else:
                p = src / f"{r['stem']}.html"
                p.write_text(r["content"], encoding="utf-8")
                pending[r["fmt"]].append(p)
        for fmt, files in pending.items():
            if files:
                convert(soffice, files, fmt, conv, profile)
                for f in files:
                    out = conv / f"{f.stem}.{fmt}"
                    if not out.exists():
                        sys.exit(f"LibreOffice did not produce {out.name}")
                    shutil.move(out, OUT / out.name)
    for r in RESUMES:
        lab = r["labels"]
        expected = {
            "file": f"{r['stem']}.{r['fmt']}",
            "language": r["language"],
            "layout": r["layout"],
            "name": lab["name"],
            "email": lab["email"],
            "phone": lab["phone"],
            "links": lab["links"],
            "skills": sorted(set(lab["skills"]), key=str.lower),
            "education": lab["education"],
            "experience": lab["experience"],
            "projects": lab["projects"],
        }
        (OUT / f"{r['stem']}.expected.json").write_text(
            json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(RESUMES)} résumés to {OUT}")


def check() -> int:
    """The checks of ../make/check_labels.py, for this folder and its own OVERRIDES."""
    taxonomy = skillmatch.load_taxonomy()
    canonical = {s["name"] for s in taxonomy}
    problems: list[str] = []
    overrides = {r["stem"]: r["overrides"] for r in RESUMES}
    stems = set()
    for exp in sorted(OUT.glob("*.expected.json")):
        lab = json.loads(exp.read_text(encoding="utf-8"))
        doc = OUT / lab["file"]
        where = lab["file"]
        stems.add(doc.stem)
        if not doc.exists():
            problems.append(f"{where}: missing")
            continue
        text = check_labels.flow(check_labels.file_text(doc))
        texts = [text]
        if doc.suffix == ".pdf":
            texts.append(subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(doc), "-"],
                                        capture_output=True, check=True).stdout.decode("utf-8"))
        needles = [lab["name"], lab["email"], lab["phone"]]
        for link in lab["links"]:
            if not link.startswith("https://"):
                problems.append(f"{where}: link {link!r} not normalised to https://")
            if not any(check_labels.present(link, t) or
                       check_labels.present(link.removeprefix("https://"), t) for t in texts):
                problems.append(f"{where}: link {link!r} not in text")
        for e in lab["education"]:
            needles += [e["school"], e["degree"]] + ([e["major"]] if e["major"] else [])
        for e in lab["experience"]:
            needles += [e["company"], e["title"]]
        needles += [p["name"] for p in lab["projects"]]
        for n in needles:
            for t in texts:
                if not check_labels.present(n, t):
                    problems.append(f"{where}: {n!r} not in extracted text")
        for e in lab["education"] + lab["experience"]:
            for d in (e["start"], e["end"]):
                if not re.fullmatch(r"\d{4}(-\d{2})?|present", d):
                    problems.append(f"{where}: bad date {d!r}")
                elif d != "present" and d[:4] not in text:
                    problems.append(f"{where}: year of {d!r} not in text")
        for s in lab["skills"]:
            if s not in canonical:
                problems.append(f"{where}: {s!r} is not a canonical taxonomy name")
        ov = overrides.get(doc.stem, {})
        exc, inc = set(ov.get("exclude", {})), set(ov.get("include", {}))
        found = skillmatch.skills(text, taxonomy)
        expected = (found - exc) | inc
        label = set(lab["skills"])
        for s in sorted(expected - label):
            problems.append(f"{where}: skill {s!r} found in text but not labelled")
        for s in sorted(label - expected):
            problems.append(f"{where}: skill {s!r} labelled but not found in text")
        for s in sorted(exc - found):
            problems.append(f"{where}: override excludes {s!r} which is not even matched")
    if stems != {r["stem"] for r in RESUMES}:
        problems.append(f"labels on disk {sorted(stems)} differ from the résumés defined here")
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    if total > 2 * 1024 * 1024:
        problems.append(f"holdout/ is {total} bytes, over 2 MB")
    print(f"{len(stems)} résumés, {total} bytes in holdout/")
    for p in problems:
        print("PROBLEM", p)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--soffice", default="soffice")
    ap.add_argument("--check-only", action="store_true", help="only check the files on disk")
    args = ap.parse_args()
    if not args.check_only:
        generate(args.soffice)
    return check()


if __name__ == "__main__":
    sys.exit(main())
