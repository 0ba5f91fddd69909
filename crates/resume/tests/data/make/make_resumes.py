#!/usr/bin/env python3
"""Generate the labelled résumé corpus in ../resumes/.

Every résumé is written here once, as HTML (PDF/DOCX, converted by LibreOffice
headless) or as plain text / Markdown, together with its hand-written ground-truth
labels. Running the script rewrites resumes/*.{pdf,docx,txt,md} and
resumes/*.expected.json. All people, companies, contact data and numbers are
fictional (e-mail addresses use example.com / example.cn).

Usage (from anywhere):  python3 make_resumes.py [--soffice soffice]
Needs: LibreOffice Writer (soffice) and the fonts listed in ../README.md.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "resumes"

RESUMES: list[dict] = []


def resume(stem, fmt, language, layout, content, labels):
    RESUMES.append(
        dict(stem=stem, fmt=fmt, language=language, layout=layout, content=content, labels=labels)
    )


def ul(*items, cls=""):
    c = f' class="{cls}"' if cls else ""
    return f"<ul{c}>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def page(body: str, css: str, lang: str, title: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
@page {{ margin: 1.3cm 1.5cm; }}
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


# ---------------------------------------------------------------------------
# 1. 李娜 — Chinese, PDF, two-column, senior Java back end, name as 姓名：
# ---------------------------------------------------------------------------
resume(
    "zh_backend_java_lina", "pdf", "zh", "two-column",
    page(
        css="""
body, p, li, td, h1, h2, h3 { font-family: 'Noto Sans CJK SC'; }
body { font-size: 9.5pt; }
h2 { font-size: 11.5pt; color: #1f4e79; border-bottom: 1px solid #1f4e79; margin-top: 8pt; margin-bottom: 4pt; }
td.side { background: #eef3f8; }
p.role { font-weight: bold; margin-top: 5pt; }
""",
        lang="zh-CN", title="李娜 - 简历",
        body="""
<table width="100%" cellpadding="7" cellspacing="0"><tr>
<td class="side" width="31%" valign="top" bgcolor="#eef3f8">
<h2>【个人信息】</h2>
<p>姓名：李娜</p>
<p>性别：女</p>
<p>电话：+86 139 1234 5678</p>
<p>邮箱：lina.dev@example.cn</p>
<p>主页：github.com/lina-dev</p>
<p>现居：杭州</p>
<h2>【教育背景】</h2>
<p><b>浙江大学</b></p>
<p>计算机科学与技术 · 硕士</p>
<p>2016.09–2019.06</p>
<p><b>浙江工业大学</b></p>
<p>软件工程 · 本科</p>
<p>2012.09–2016.06</p>
<h2>【专业技能】</h2>
""" + ul(
            "Java、Spring Boot、Spring Cloud、MyBatis",
            "MySQL（索引优化、分库分表）、Redis",
            "Kafka、RocketMQ",
            "Docker、Kubernetes",
            "Linux、Git",
        ) + """
<h2>【证书】</h2>
<p>软件设计师（中级）</p>
<h2>【语言能力】</h2>
<p>英语 CET-6，可阅读英文技术文档</p>
</td>
<td width="69%" valign="top">
<h2>【工作经历】</h2>
<p class="role">杭州云帆科技有限公司　｜　高级后端工程师　｜　2021.07–至今</p>
""" + ul(
            "负责交易中台订单与支付服务，基于 Spring Cloud 微服务架构，日均订单 300 万单",
            "主导订单服务拆分与多级缓存改造，接口 P99 从 420ms 降至 85ms，QPS 从 2000 提升到 12000",
            "引入 Kafka 异步削峰，大促峰值稳定承载 5 万 TPS，全年核心链路零 P0 故障",
            "指导新人 3 名，参与技术评审与代码规范制定",
        ) + """
<p class="role">杭州数溪网络有限公司　｜　Java开发工程师　｜　2019.07–2021.06</p>
""" + ul(
            "参与会员系统开发，使用 MyBatis + MySQL，完成 12 张核心表的数据库设计",
            "基于 Redis 实现分布式锁与积分排行榜，排行榜接口耗时降低 70%",
            "编写 JUnit 单元测试，核心模块覆盖率从 35% 提升到 80%",
        ) + """
<h2>【项目经验】</h2>
<p class="role">订单中心重构（2022.03–2022.12）</p>
""" + ul(
            "技术栈：Spring Boot、MySQL、Redis、Kafka、Docker",
            "将单体订单模块拆分为 6 个服务并部署到 Kubernetes，发布耗时从 2 小时缩短至 15 分钟",
            "与产品、测试同学团队协作，按双周迭代交付，项目提前 3 周上线",
        ) + """
<p class="role">营销活动平台（2020.05–2020.11）</p>
""" + ul(
            "秒杀场景下通过 Redis 预扣库存 + RocketMQ 异步下单，支撑 8 万人同时抢购",
            "活动配置化后，新活动上线周期从 5 天缩短到 1 天",
        ) + """
<h2>【自我评价】</h2>
<p>5 年 Java 后端开发经验，熟悉高并发、分布式系统设计；具备良好的团队合作与沟通能力，对线上稳定性有较强的责任心。</p>
</td></tr></table>
""",
    ),
    dict(
        name="李娜", email="lina.dev@example.cn", phone="+86 139 1234 5678",
        links=["https://github.com/lina-dev"],
        skills=["Java", "Spring", "MyBatis", "MySQL", "Database Design", "Redis", "Kafka",
                "Message Queues", "Docker", "Kubernetes", "Linux", "Git", "Microservices",
                "Backend Development", "Unit Testing", "Distributed Systems", "High Concurrency",
                "System Design", "Teamwork", "Communication", "Mentoring"],
        education=[
            edu("浙江大学", "硕士", "计算机科学与技术", "2016-09", "2019-06"),
            edu("浙江工业大学", "本科", "软件工程", "2012-09", "2016-06"),
        ],
        experience=[
            job("杭州云帆科技有限公司", "高级后端工程师", "2021-07", "present"),
            job("杭州数溪网络有限公司", "Java开发工程师", "2019-07", "2021-06"),
        ],
        projects=[proj("订单中心重构"), proj("营销活动平台")],
    ),
)

# ---------------------------------------------------------------------------
# 2. 王强 — Chinese, PDF, one-column, front end, ■ headings
# ---------------------------------------------------------------------------
resume(
    "zh_frontend_wangqiang", "pdf", "zh", "one-column",
    page(
        css="""
body, p, li, h1, h2 { font-family: 'Noto Serif CJK SC'; }
body { font-size: 10.5pt; }
h1 { font-size: 22pt; margin-bottom: 2pt; text-align: center; }
p.sub { text-align: center; color: #444444; }
h2 { font-size: 12.5pt; color: #8b0000; margin-top: 10pt; margin-bottom: 3pt; }
p.item { font-weight: bold; margin-top: 4pt; }
""",
        lang="zh-CN", title="王强的简历",
        body="""
<h1>王强</h1>
<p class="sub">前端开发工程师 ｜ 4 年经验 ｜ 上海</p>
<p class="sub">电话：138-0013-8000 ｜ 邮箱：wangqiang@example.com ｜ 个人网站：https://wangqiang.example.com</p>
<h2>■ 工作经历</h2>
<p class="item">上海星图信息技术有限公司 · 前端开发工程师 · 2021.09 - 至今</p>
""" + ul(
            "负责 SaaS 数据看板的前端开发，技术栈 Vue 3 + TypeScript + Vite",
            "首屏加载时间从 4.8s 优化至 1.6s（路由懒加载、CDN、图片压缩），性能优化方案在部门推广",
            "搭建内部组件库（40+ 组件），使用 Jest 编写单元测试，线上缺陷数下降 45%",
        ) + """
<p class="item">上海青禾网络科技有限公司 · 初级前端工程师 · 2020.07 - 2021.08</p>
""" + ul(
            "使用 React + Redux 开发运营管理后台，独立完成 30+ 页面",
            "参与微信小程序商城开发，小程序月活从 2 万增长到 15 万",
        ) + """
<h2>■ 项目经验</h2>
<p class="item">运营数据大屏（2022.03 - 2022.08）</p>
""" + ul(
            "基于 Vue 3 + ECharts 实现 20+ 实时图表，WebSocket 推送，支持 4K 大屏自适应",
            "大屏渲染帧率从 25fps 提升到 58fps",
        ) + """
<p class="item">组件库 Star UI（2021.11 - 2022.02）</p>
""" + ul(
            "基于 Vite 构建与按需加载，打包体积减少 38%",
            "配套文档站与 Jenkins 持续集成流程，每次提交自动发布预览",
        ) + """
<h2>■ 专业技能</h2>
""" + ul(
            "熟练掌握 HTML5、CSS3（Sass/Less）、JavaScript（ES6+）、TypeScript",
            "熟悉 Vue 2/Vue 3 全家桶、React Hooks，熟悉 Webpack 与 Vite 构建优化",
            "了解 Node.js（Koa），能独立开发 BFF 层",
            "熟悉 Git 工作流",
        ) + """
<h2>■ 教育背景</h2>
<p>同济大学 ｜ 软件工程 ｜ 本科 ｜ 2016.09 - 2020.06</p>
<h2>■ 自我评价</h2>
<p>热爱前端技术，注重代码质量与可维护性，有良好的沟通能力，能快速融入团队。</p>
""",
    ),
    dict(
        name="王强", email="wangqiang@example.com", phone="138-0013-8000",
        links=["https://wangqiang.example.com"],
        skills=["HTML", "CSS", "JavaScript", "TypeScript", "Vue", "React", "Redux", "Webpack",
                "Vite", "Node.js", "Git", "CI/CD", "Frontend Development", "Unit Testing",
                "Performance Optimization", "WeChat Mini Program", "Communication"],
        education=[edu("同济大学", "本科", "软件工程", "2016-09", "2020-06")],
        experience=[
            job("上海星图信息技术有限公司", "前端开发工程师", "2021-09", "present"),
            job("上海青禾网络科技有限公司", "初级前端工程师", "2020-07", "2021-08"),
        ],
        projects=[proj("运营数据大屏"), proj("组件库 Star UI")],
    ),
)

# ---------------------------------------------------------------------------
# 3. 赵敏 — Chinese, PDF, two-column, data / ML (推荐 + NLP)
# ---------------------------------------------------------------------------
resume(
    "zh_ml_zhaomin", "pdf", "zh", "two-column",
    page(
        css="""
body, p, li, td, h1, h2 { font-family: 'Noto Sans CJK SC'; }
body { font-size: 9pt; }
h1 { font-size: 20pt; color: #0b6e4f; margin-bottom: 0; }
h2 { font-size: 11pt; color: #ffffff; background: #0b6e4f; margin-top: 8pt; margin-bottom: 4pt; }
p.role { font-weight: bold; margin-top: 5pt; }
""",
        lang="zh-CN", title="赵敏 算法工程师",
        body="""
<h1>赵敏</h1>
<p>算法工程师 · 推荐系统 / NLP 方向 · 工作 3 年</p>
<table width="100%" cellpadding="6" cellspacing="0"><tr>
<td width="30%" valign="top">
<h2>联系方式</h2>
<p>手机：15012345678</p>
<p>邮箱：zhaomin.ai@example.cn</p>
<p>GitHub：github.com/zhaomin-ml</p>
<h2>专业技能</h2>
<p><b>语言</b>：Python、SQL、Shell</p>
<p><b>框架</b>：PyTorch、TensorFlow、scikit-learn、XGBoost</p>
<p><b>大数据</b>：Spark、Hive</p>
<p><b>方向</b>：机器学习、深度学习、推荐系统、NLP、大模型（RAG）</p>
<p><b>工具</b>：Docker、Git、Linux</p>
<h2>教育背景</h2>
<p><b>北京邮电大学</b></p>
<p>硕士 · 计算机科学与技术</p>
<p>2018/09-2021/06</p>
<p><b>武汉大学</b></p>
<p>本科 · 数学与应用数学</p>
<p>2014/09-2018/06</p>
<h2>获奖</h2>
<p>某电商推荐算法大赛 Top 3%</p>
<p>国家奖学金（2019）</p>
</td>
<td width="70%" valign="top">
<h2>工作经历</h2>
<p class="role">北京拾光互动科技有限公司　高级算法工程师　2021/07-至今</p>
""" + ul(
            "负责信息流推荐排序模型，使用 PyTorch 实现多目标排序，点击率提升 8.5%，人均时长提升 6%",
            "搭建基于 Spark + Hive 的特征平台，日处理样本 20 亿条，特征产出从 T+1 缩短到小时级",
            "负责模型部署与在线推理优化（Docker + Triton），推理延迟 P99 从 60ms 降到 18ms",
            "设计并分析线上 A/B测试，累计上线 14 个实验",
        ) + """
<h2>项目经历</h2>
<p class="role">智能客服问答系统（2023/03-2023/10）</p>
""" + ul(
            "基于开源大模型与 LangChain 搭建检索增强问答（RAG），使用 BERT 向量召回",
            "答案准确率从 62% 提升到 85%，人工客服转接率下降 30%",
        ) + """
<p class="role">商品评论情感分析（2020/03-2020/09）</p>
""" + ul(
            "研究生课题：比较 TextCNN、BERT 微调与 XGBoost 基线的文本分类效果，F1 从 0.81 提升到 0.90",
            "使用 TensorFlow 训练，scikit-learn 做特征基线与评估",
        ) + """
<h2>自我评价</h2>
<p>对业务指标敏感，能从数据中定位问题；乐于分享，组织组内论文分享会 20+ 次。</p>
</td></tr></table>
""",
    ),
    dict(
        name="赵敏", email="zhaomin.ai@example.cn", phone="15012345678",
        links=["https://github.com/zhaomin-ml"],
        skills=["Python", "SQL", "Shell", "PyTorch", "TensorFlow", "scikit-learn", "Spark",
                "Hadoop", "Machine Learning", "Deep Learning", "Recommender Systems", "NLP",
                "LLM", "Transformers", "Docker", "Git", "Linux", "MLOps", "Statistics",
                "Algorithms"],
        education=[
            edu("北京邮电大学", "硕士", "计算机科学与技术", "2018-09", "2021-06"),
            edu("武汉大学", "本科", "数学与应用数学", "2014-09", "2018-06"),
        ],
        experience=[job("北京拾光互动科技有限公司", "高级算法工程师", "2021-07", "present")],
        projects=[proj("智能客服问答系统"), proj("商品评论情感分析")],
    ),
)

# ---------------------------------------------------------------------------
# 4. 陈浩 — Chinese, PDF, one-column, new graduate (internships + course projects)
# ---------------------------------------------------------------------------
resume(
    "zh_newgrad_chenhao", "pdf", "zh", "one-column",
    page(
        css="""
body, p, li, h1, h2 { font-family: 'Noto Serif CJK SC'; }
body { font-size: 11pt; }
h1 { font-size: 18pt; margin-bottom: 2pt; }
h2 { font-size: 12pt; margin-top: 9pt; margin-bottom: 3pt; border-bottom: 2px solid #333333; }
p.item { margin-top: 3pt; }
""",
        lang="zh-CN", title="陈浩-2024届-后端开发",
        body="""
<h1>陈浩</h1>
<p>求职意向：Java/Go 后端开发工程师（2024 届应届生）</p>
<p>手机：+86 186 2233 4455　　邮箱：chenhao2024@example.cn　　GitHub：github.com/chenhao-dev</p>
<h2>教育背景</h2>
<p class="item"><b>华中科技大学</b>　计算机科学与技术　本科　2020.09 - 2024.06</p>
<p>GPA 3.7/4.0（专业前 10%）；主修课程：数据结构、操作系统、计算机网络、数据库系统原理、编译原理</p>
<h2>实习经历</h2>
<p class="item"><b>深圳蓝鲸科技有限公司</b>　后端开发实习生　2023.06 - 2023.09</p>
""" + ul(
            "使用 Go + Gin 开发内部工单系统的 12 个 API，日调用量约 50 万次",
            "排查 MySQL 慢查询并做 SQL 优化，工单列表接口耗时从 1.2s 降到 150ms",
            "为新接口补充单元测试，覆盖率 85%",
        ) + """
<p class="item"><b>武汉光谷数智科技有限公司</b>　软件开发实习生　2022.12 - 2023.02</p>
""" + ul(
            "编写 Python 脚本完成 200 万条历史数据的清洗与迁移，人工核对工作量减少 90%",
        ) + """
<h2>项目经历</h2>
<p class="item"><b>基于 Raft 的分布式 KV 存储</b>（分布式系统课程项目，2022.09 - 2023.01）</p>
""" + ul(
            "使用 Go 实现 Raft 的领导者选举、日志复制与快照，通过全部 200+ 个测试用例",
            "3 节点集群下写入吞吐达到 8000 ops/s",
        ) + """
<p class="item"><b>简易命令行解释器</b>（操作系统课程设计，2022.03 - 2022.05）</p>
""" + ul(
            "使用 C语言 实现管道、重定向与后台任务，支持 20+ 条内建命令",
        ) + """
<h2>专业技能</h2>
""" + ul(
            "熟悉 Java、Go，了解 C语言、Python",
            "熟悉 MySQL、Redis 的基本使用与索引原理",
            "熟悉 Linux 常用命令与 Git",
            "掌握常见数据结构与算法，LeetCode 累计刷题 400+",
        ) + """
<h2>荣誉奖项</h2>
<p>校级一等奖学金（2021、2022）；ACM-ICPC 亚洲区域赛铜牌（2022）</p>
<h2>自我评价</h2>
<p>学习能力强，具备团队合作精神，愿意在高强度的工程环境中快速成长。</p>
""",
    ),
    dict(
        name="陈浩", email="chenhao2024@example.cn", phone="+86 186 2233 4455",
        links=["https://github.com/chenhao-dev"],
        skills=["Java", "Go", "Gin", "MySQL", "SQL", "Database Design", "Redis", "Python", "C", "Linux", "Git",
                "Data Structures", "Algorithms", "Operating Systems", "Computer Networks",
                "Distributed Systems", "Unit Testing", "Backend Development", "Teamwork"],
        education=[edu("华中科技大学", "本科", "计算机科学与技术", "2020-09", "2024-06")],
        experience=[
            job("深圳蓝鲸科技有限公司", "后端开发实习生", "2023-06", "2023-09"),
            job("武汉光谷数智科技有限公司", "软件开发实习生", "2022-12", "2023-02"),
        ],
        projects=[proj("基于 Raft 的分布式 KV 存储"), proj("简易命令行解释器")],
    ),
)

# ---------------------------------------------------------------------------
# 5. 刘洋 — Chinese, DOCX, one-column, mobile (Android + Flutter), 姓名： block
# ---------------------------------------------------------------------------
resume(
    "zh_mobile_liuyang", "docx", "zh", "one-column",
    page(
        css="""
body, p, li, h1, h2 { font-family: 'Noto Sans CJK SC'; }
body { font-size: 10.5pt; }
h1 { font-size: 16pt; text-align: center; }
h2 { font-size: 12pt; color: #2e4053; margin-top: 10pt; margin-bottom: 3pt; }
""",
        lang="zh-CN", title="个人简历",
        body="""
<h1>个人简历</h1>
<h2>一、个人信息</h2>
<p>姓名：刘洋　　性别：男　　年龄：31</p>
<p>电话：(+86) 13911223344　　邮箱：liuyang_mobile@example.com</p>
<p>求职意向：Android 高级开发工程师　　期望城市：深圳</p>
<h2>二、工作经验</h2>
<p><b>深圳速达出行科技有限公司</b>　|　Android 高级开发工程师　|　2020.03 ~ 至今</p>
""" + ul(
            "负责司机端 App（日活 80 万）的架构升级，使用 Kotlin + Jetpack Compose 重写核心页面",
            "冷启动耗时从 2.3s 降至 0.9s，崩溃率从 0.35% 降至 0.06%",
            "引入 Flutter 混合开发，订单页双端复用，需求交付效率提升 40%",
            "负责 4 人小组的代码评审，指导新人完成首个版本迭代",
        ) + """
<p><b>广州米粒网络科技有限公司</b>　|　Android 开发工程师　|　2016.07 ~ 2020.02</p>
""" + ul(
            "使用 Java 开发电商 App，负责商品详情、购物车与支付模块",
            "通过 JNI 接入 C++ 图像处理库，商品图加载耗时降低 50%",
        ) + """
<h2>三、项目经验</h2>
<p><b>司机端 App 重构</b>　2021.05 ~ 2022.01</p>
""" + ul(
            "采用 MVVM + Kotlin 协程重构网络层与状态管理，页面代码量减少 35%",
            "补齐 JUnit 与 Espresso 用例，关键模块测试覆盖率从 10% 提升到 65%",
        ) + """
<p><b>跨端订单模块</b>　2022.06 ~ 2022.12</p>
""" + ul(
            "使用 Flutter（Dart）开发订单列表与详情页，Android 与 iOS 共用一套代码",
        ) + """
<h2>四、专业技能</h2>
""" + ul(
            "精通 Java、Kotlin，熟悉 Dart 与 Flutter",
            "熟悉 Android 性能优化（启动、内存、卡顿、包体积）",
            "了解 iOS 开发，能阅读 Swift 代码",
            "熟悉 Git、Gradle 与 Jenkins 打包流程",
        ) + """
<h2>五、教育背景</h2>
<p>华南理工大学　|　本科　|　软件工程　|　2012.09 ~ 2016.06</p>
<h2>六、自我评价</h2>
<p>8 年移动端开发经验，关注性能与稳定性，善于沟通，能推动跨团队问题的解决。</p>
""",
    ),
    dict(
        name="刘洋", email="liuyang_mobile@example.com", phone="(+86) 13911223344",
        links=[],
        skills=["Android", "Kotlin", "Flutter", "Dart", "Java", "C++", "iOS", "Swift", "Git",
                "CI/CD", "Unit Testing", "Performance Optimization", "Mentoring",
                "Communication"],
        education=[edu("华南理工大学", "本科", "软件工程", "2012-09", "2016-06")],
        experience=[
            job("深圳速达出行科技有限公司", "Android 高级开发工程师", "2020-03", "present"),
            job("广州米粒网络科技有限公司", "Android 开发工程师", "2016-07", "2020-02"),
        ],
        projects=[proj("司机端 App 重构"), proj("跨端订单模块")],
    ),
)

# ---------------------------------------------------------------------------
# 6. 孙丽 — Chinese, DOCX, two-column, product manager, 姓名： block
# ---------------------------------------------------------------------------
resume(
    "zh_pm_sunli", "docx", "zh", "two-column",
    page(
        css="""
body, p, li, td, h1, h2 { font-family: 'Noto Sans CJK SC'; }
body { font-size: 10pt; }
h1 { font-size: 20pt; color: #6c3483; }
h2 { font-size: 11.5pt; color: #6c3483; margin-top: 8pt; margin-bottom: 3pt; }
""",
        lang="zh-CN", title="产品经理简历",
        body="""
<h1>产品经理 · 求职简历</h1>
<table width="100%" cellpadding="6" cellspacing="0" border="0"><tr>
<td width="33%" valign="top" bgcolor="#f4ecf7">
<h2>个人信息</h2>
<p>姓名：孙丽</p>
<p>电话：+86-135-7788-9900</p>
<p>邮箱：sunli.pm@example.com</p>
<p>城市：北京</p>
<h2>教育背景</h2>
<p><b>中国人民大学</b></p>
<p>硕士 · 管理科学与工程</p>
<p>2015.9 - 2018.7</p>
<h2>技能特长</h2>
<p>需求分析、原型设计（Axure、Figma）</p>
<p>数据分析：SQL、Excel</p>
<p>项目管理：PMP 认证</p>
<h2>证书</h2>
<p>PMP 项目管理专业人士</p>
<p>NPDP 产品经理国际资格</p>
<h2>语言能力</h2>
<p>英语（CET-6，可作为工作语言）</p>
</td>
<td width="67%" valign="top">
<h2>工作经历</h2>
<p><b>北京知行在线教育科技有限公司</b>　高级产品经理</p>
<p>2021.3 - 至今</p>
""" + ul(
            "负责 K12 学习 App 的用户增长与付费转化，付费转化率从 2.1% 提升到 3.4%",
            "撰写 PRD 60+ 份，建立需求评审与上线复盘机制",
            "通过 A/B测试 迭代新用户引导流程，次日留存提升 9 个百分点",
            "推动教研、运营与研发的跨部门协作，季度需求按期交付率从 70% 提升到 95%",
        ) + """
<p><b>北京青藤软件有限公司</b>　产品经理</p>
<p>2018.7 - 2021.2</p>
""" + ul(
            "负责 B 端 CRM 产品的需求分析与原型设计，服务 300+ 企业客户",
            "使用 SQL 自助完成数据分析，搭建 15 个核心指标看板",
        ) + """
<h2>项目经验</h2>
<p><b>学习打卡小程序</b>　2022.04 - 2022.09</p>
""" + ul(
            "微信小程序产品负责人，从 0 到 1 搭建，上线 3 个月累计用户 120 万",
        ) + """
<p><b>CRM 线索分配重构</b>　2019.10 - 2020.06</p>
""" + ul(
            "重新设计线索分配规则，销售跟进及时率从 58% 提升到 90%",
        ) + """
<h2>自我评价</h2>
<p>逻辑清晰，沟通能力强，数据驱动决策，能在多方诉求中找到平衡点。</p>
</td></tr></table>
""",
    ),
    dict(
        name="孙丽", email="sunli.pm@example.com", phone="+86-135-7788-9900",
        links=[],
        skills=["Product Management", "Figma", "Data Analysis", "SQL", "Excel",
                "Project Management", "Digital Marketing", "Statistics", "Teamwork",
                "WeChat Mini Program", "Communication"],
        education=[edu("中国人民大学", "硕士", "管理科学与工程", "2015-09", "2018-07")],
        experience=[
            job("北京知行在线教育科技有限公司", "高级产品经理", "2021-03", "present"),
            job("北京青藤软件有限公司", "产品经理", "2018-07", "2021-02"),
        ],
        projects=[proj("学习打卡小程序"), proj("CRM 线索分配重构")],
    ),
)

# ---------------------------------------------------------------------------
# 7. 周杰 — Chinese, PDF, one-column, senior architect with 4 jobs, ✦ headings
# ---------------------------------------------------------------------------
resume(
    "zh_senior_architect_zhoujie", "pdf", "zh", "one-column",
    page(
        css="""
body, p, li, h1, h2 { font-family: 'Noto Serif CJK SC'; }
body { font-size: 9.5pt; }
h1 { font-size: 19pt; margin-bottom: 0; }
h2 { font-size: 11.5pt; color: #7b241c; margin-top: 9pt; margin-bottom: 2pt; }
p.job { font-weight: bold; margin-top: 5pt; }
""",
        lang="zh-CN", title="周杰 技术专家",
        body="""
<h1>周杰</h1>
<p>技术专家 / 架构师　·　12 年后端研发经验</p>
<p>邮箱：zhoujie@example.com　电话：137 0000 1111　博客：zhoujie.example.cn</p>
<h2>✦ 个人总结</h2>
<p>12 年互联网后端研发经验，先后在电商、支付、物流领域负责核心系统的架构设计；带团队 15 人以上，擅长把复杂业务拆解为可演进的系统。</p>
<h2>✦ 工作经验</h2>
<p class="job">上海鲲鹏物流科技有限公司　技术总监　2021年7月 - 至今</p>
""" + ul(
            "负责 30 人研发团队的团队管理与技术规划，建立季度 OKR 与技术债治理机制",
            "主导物流调度平台从单体迁移至 Go 微服务 + Kubernetes，机器成本下降 35%",
            "搭建 Prometheus + Grafana 监控告警体系，故障平均恢复时间从 45 分钟降至 8 分钟",
        ) + """
<p class="job">杭州安付网络科技有限公司　高级架构师　2019年7月 - 2021年6月</p>
""" + ul(
            "负责支付核心链路，TPS 从 3000 提升至 20000，全年可用性 99.99%，实现同城双活高可用",
            "基于 Dubbo + RocketMQ 重构清结算系统，对账差错率从万分之三降至十万分之一",
        ) + """
<p class="job">北京优选网络科技有限公司　高级 Java 工程师　2015年3月 - 2019年6月</p>
""" + ul(
            "负责商品搜索服务，基于 Elasticsearch 构建索引，搜索 P95 耗时从 800ms 降至 120ms",
            "主导 JVM调优，Full GC 次数从每小时 20 次降到 1 次以内",
        ) + """
<p class="job">南京启航软件有限公司　Java 开发工程师　2012年7月 - 2015年2月</p>
""" + ul(
            "基于 Spring MVC + Oracle 开发政务审批系统，覆盖 13 个区县",
        ) + """
<h2>✦ 项目经验</h2>
<p class="job">全国干线调度系统（2022年3月 - 2023年5月）</p>
""" + ul(
            "Go + Kafka + ClickHouse，日均调度 120 万单，车辆满载率提升 11%",
        ) + """
<p class="job">支付清结算重构（2019年10月 - 2020年8月）</p>
""" + ul(
            "按账户域拆分服务，清算窗口从 4 小时缩短到 40 分钟",
        ) + """
<h2>✦ 技术能力</h2>
""" + ul(
            "语言：Java、Go、Python",
            "框架与中间件：Spring Cloud、Dubbo、Netty、Kafka、RocketMQ",
            "存储：MySQL、Redis、Elasticsearch、ClickHouse",
            "基础设施：Docker、Kubernetes、阿里云",
        ) + """
<h2>✦ 教育背景</h2>
<p>东南大学　计算机科学与技术　硕士　2009年9月 - 2012年6月</p>
<p>南京航空航天大学　软件工程　本科　2005年9月 - 2009年6月</p>
""",
    ),
    dict(
        name="周杰", email="zhoujie@example.com", phone="137 0000 1111",
        links=["https://zhoujie.example.cn"],
        skills=["Java", "Go", "Python", "Spring", "gRPC", "Netty", "Kafka", "Message Queues",
                "MySQL", "Redis", "Elasticsearch", "ClickHouse", "Docker", "Kubernetes",
                "Alibaba Cloud", "Oracle", "Microservices", "Monitoring", "High Concurrency",
                "JVM", "System Design", "Backend Development", "Leadership"],
        education=[
            edu("东南大学", "硕士", "计算机科学与技术", "2009-09", "2012-06"),
            edu("南京航空航天大学", "本科", "软件工程", "2005-09", "2009-06"),
        ],
        experience=[
            job("上海鲲鹏物流科技有限公司", "技术总监", "2021-07", "present"),
            job("杭州安付网络科技有限公司", "高级架构师", "2019-07", "2021-06"),
            job("北京优选网络科技有限公司", "高级 Java 工程师", "2015-03", "2019-06"),
            job("南京启航软件有限公司", "Java 开发工程师", "2012-07", "2015-02"),
        ],
        projects=[proj("全国干线调度系统"), proj("支付清结算重构")],
    ),
)

# ---------------------------------------------------------------------------
# 8. 黄婷 — Chinese, TXT, non-tech (new-media marketing)
# ---------------------------------------------------------------------------
resume(
    "zh_marketing_huangting", "txt", "zh", "one-column",
    """黄婷
新媒体运营经理 | 6年经验 | 广州
手机：18900001111    邮箱：huangting@example.cn

=== 工作经历 ===

2020.08 - 今    广州悦美化妆品有限公司    新媒体运营经理
  · 负责小红书、抖音、微信公众号账号矩阵，粉丝总量从 8 万增长到 65 万
  · 统筹品牌 SEO 与信息流投放，获客成本从 85 元降至 42 元
  · 管理 6 人内容小组，制定选题与排期，爆款笔记（10 万+）累计 37 篇
  · 与销售、电商部门跨部门协作，618 大促 GMV 同比增长 120%

2018.07 - 2020.07    广州青柠文化传播有限公司    内容运营专员
  · 负责 3 个公众号的内容运营，月均产出 40 篇推文，平均阅读量提升 2.3 倍
  · 用 Excel 搭建周报模板，跟踪阅读、转发与转化数据

=== 教育背景 ===

2014.09 - 2018.06    暨南大学    市场营销    本科

=== 技能 ===

新媒体运营、内容运营、SEO/SEM、数据分析、Excel（数据透视表、VLOOKUP）、Photoshop、剪映

=== 证书 ===

全国计算机等级考试二级；普通话二级甲等

=== 自我评价 ===

对用户和热点敏感，文字功底扎实，执行力强，抗压能力好。
""",
    dict(
        name="黄婷", email="huangting@example.cn", phone="18900001111",
        links=[],
        skills=["Digital Marketing", "Data Analysis", "Excel", "Photoshop", "Teamwork"],
        education=[edu("暨南大学", "本科", "市场营销", "2014-09", "2018-06")],
        experience=[
            job("广州悦美化妆品有限公司", "新媒体运营经理", "2020-08", "present"),
            job("广州青柠文化传播有限公司", "内容运营专员", "2018-07", "2020-07"),
        ],
        projects=[],
    ),
)

# ---------------------------------------------------------------------------
# 9. Jordan Smith — English, PDF, one-column, Go back end, CAPS headings
# ---------------------------------------------------------------------------
resume(
    "en_backend_go_smith", "pdf", "en", "one-column",
    page(
        css="""
body, p, li, h1, h2 { font-family: 'Liberation Sans'; }
body { font-size: 10pt; }
h1 { font-size: 20pt; margin-bottom: 0; }
h2 { font-size: 11pt; letter-spacing: 1pt; margin-top: 10pt; margin-bottom: 3pt; border-bottom: 1px solid #999999; }
p.job { margin-top: 5pt; }
""",
        lang="en-US", title="Jordan Smith - Resume",
        body="""
<h1>Jordan Smith</h1>
<p>Senior Backend Engineer · Seattle, WA</p>
<p>(555) 123-4567 · jordan.smith@example.com · github.com/jsmith-dev · linkedin.com/in/jordan-smith-example</p>
<h2>SUMMARY</h2>
<p>Backend engineer with 7 years of experience building distributed systems in Go and Python. I like boring, observable services and fast feedback loops.</p>
<h2>EXPERIENCE</h2>
<p class="job"><b>Senior Backend Engineer</b> — Northwind Logistics, Seattle, WA<br><i>Sep 2021 – Present</i></p>
""" + ul(
            "Designed a gRPC shipment-tracking service in Go that serves 40k requests/second at p99 &lt; 30 ms",
            "Moved 25 microservices from hand-managed EC2 hosts to Kubernetes with Helm, cutting infrastructure cost by 28%",
            "Built a Kafka event pipeline that replaced nightly batch jobs; ETA updates now arrive in under 5 seconds instead of 24 hours",
            "Runs a weekly mentoring session for two junior engineers",
        ) + """
<p class="job"><b>Backend Engineer</b> — Bluebird Payments, Portland, OR<br><i>Jun 2018 – Aug 2021</i></p>
""" + ul(
            "Built REST APIs in Python (Django) for merchant onboarding, used by 12,000 merchants",
            "Added a Redis cache in front of PostgreSQL, reducing database load by 60%",
            "Wrote pytest suites that raised test coverage from 40% to 85%",
        ) + """
<h2>PROJECTS</h2>
<p class="job"><b>kvlite</b> — an embedded key-value store written in Go (open source, 1.2k stars)</p>
""" + ul(
            "Log-structured storage with crash recovery; 3x faster random reads than the previous version",
        ) + """
<h2>EDUCATION</h2>
<p><b>University of Washington</b> — B.S. in Computer Science, Sep 2014 – Jun 2018</p>
<h2>SKILLS</h2>
<p><b>Languages:</b> Go, Python, SQL, Bash</p>
<p><b>Infrastructure:</b> Docker, Kubernetes, Helm, Terraform, AWS (EC2, S3, Lambda)</p>
<p><b>Data:</b> PostgreSQL, Redis, Kafka</p>
<p><b>Practices:</b> microservices, CI/CD with GitHub Actions, Git, observability with Prometheus and Grafana</p>
""",
    ),
    dict(
        name="Jordan Smith", email="jordan.smith@example.com", phone="(555) 123-4567",
        links=["https://github.com/jsmith-dev", "https://linkedin.com/in/jordan-smith-example"],
        skills=["Go", "Python", "SQL", "Shell", "Docker", "Kubernetes", "Infrastructure as Code",
                "AWS", "PostgreSQL", "Redis", "Kafka", "Microservices", "CI/CD", "Git",
                "Monitoring", "gRPC", "REST API", "Django", "Unit Testing",
                "Distributed Systems", "Backend Development", "Mentoring"],
        education=[edu("University of Washington", "B.S.", "Computer Science", "2014-09", "2018-06")],
        experience=[
            job("Northwind Logistics", "Senior Backend Engineer", "2021-09", "present"),
            job("Bluebird Payments", "Backend Engineer", "2018-06", "2021-08"),
        ],
        projects=[proj("kvlite")],
    ),
)

# ---------------------------------------------------------------------------
# 10. Maria Garcia — English, DOCX, one-column, front end
# ---------------------------------------------------------------------------
resume(
    "en_frontend_garcia", "docx", "en", "one-column",
    page(
        css="""
body, p, li, h1, h2 { font-family: 'Carlito'; }
body { font-size: 11pt; }
h1 { font-size: 24pt; color: #c0392b; margin-bottom: 0; }
h2 { font-size: 13pt; color: #c0392b; margin-top: 10pt; margin-bottom: 2pt; }
""",
        lang="en-US", title="Maria Garcia",
        body="""
<h1>Maria Garcia</h1>
<p>Front-End Developer · Austin, TX · +1 512-555-0147 · maria.garcia@example.com · https://mariagarcia.example.com</p>
<h2>Profile</h2>
<p>Front-end developer with 5+ years of experience shipping accessible, fast web apps with React and TypeScript. Comfortable owning a feature from Figma mock-up to production.</p>
<h2>Work Experience</h2>
<p><b>Front-End Engineer</b>, Lumen Health — Austin, TX　　Sep 2021 - Present</p>
""" + ul(
            "Rebuilt the patient portal with React, TypeScript and Next.js for 200k monthly users; Lighthouse performance score went from 54 to 92",
            "Created a design system with Storybook and Tailwind CSS used by 4 product teams",
            "Introduced Cypress end-to-end tests and Jest unit tests; production regressions dropped by 60%",
        ) + """
<p><b>Front-End Developer</b>, Pixel &amp; Pine Studio — Remote　　June 2019 - Aug 2021</p>
""" + ul(
            "Delivered 20+ marketing and e-commerce sites with Vue.js and SCSS",
            "Worked in close collaboration with designers to meet WCAG 2.1 AA accessibility",
            "Cut bundle size by 45% by migrating the build from Gulp to Webpack",
        ) + """
<h2>Education</h2>
<p><b>University of Texas at Austin</b> — Bachelor of Arts, Graphic Design　　Aug 2015 - May 2019</p>
<h2>Skills</h2>
<p>JavaScript (ES2015+), TypeScript, React, Redux Toolkit, Next.js, Vue, HTML5, CSS3/SCSS, Tailwind, Webpack, Jest, Cypress, Git, Figma</p>
<h2>Certifications</h2>
<p>Meta Front-End Developer Professional Certificate (2020)</p>
""",
    ),
    dict(
        name="Maria Garcia", email="maria.garcia@example.com", phone="+1 512-555-0147",
        links=["https://mariagarcia.example.com"],
        skills=["JavaScript", "TypeScript", "React", "Redux", "Next.js", "Vue", "HTML", "CSS",
                "Tailwind CSS", "Webpack", "Unit Testing", "Test Automation", "Git", "Figma",
                "Frontend Development", "Teamwork"],
        education=[edu("University of Texas at Austin", "Bachelor of Arts", "Graphic Design",
                       "2015-08", "2019-05")],
        experience=[
            job("Lumen Health", "Front-End Engineer", "2021-09", "present"),
            job("Pixel & Pine Studio", "Front-End Developer", "2019-06", "2021-08"),
        ],
        projects=[],
    ),
)

# ---------------------------------------------------------------------------
# 11. Priya Patel — English, PDF, two-column, data scientist
# ---------------------------------------------------------------------------
resume(
    "en_data_scientist_patel", "pdf", "en", "two-column",
    page(
        css="""
body, p, li, td, h1, h2 { font-family: 'DejaVu Sans'; }
body { font-size: 8.5pt; }
h1 { font-size: 18pt; color: #1a5276; margin-bottom: 0; }
h2 { font-size: 10pt; color: #1a5276; margin-top: 8pt; margin-bottom: 3pt; border-bottom: 1px solid #1a5276; }
p.job { margin-top: 4pt; }
""",
        lang="en-US", title="Priya Patel CV",
        body="""
<table width="100%" cellpadding="6" cellspacing="0"><tr>
<td width="29%" valign="top" bgcolor="#eaf2f8">
<h1>Priya Patel</h1>
<p>Data Scientist</p>
<h2>Contact</h2>
<p>✉ priya.patel@example.com</p>
<p>☎ +1 415-555-0132</p>
<p>linkedin.com/in/ppatel-ds</p>
<p>github.com/ppatel-ds</p>
<h2>Technical Skills</h2>
<p>Python (pandas, NumPy, scikit-learn, XGBoost), R, SQL</p>
<p>PyTorch, Hugging Face</p>
<p>Spark, Airflow, dbt</p>
<p>Tableau, Looker</p>
<p>Statistics: A/B testing, causal inference, time series</p>
<h2>Education</h2>
<p><b>Carnegie Mellon University</b><br>M.S. Data Science<br>2021 – 2022</p>
<p><b>University of California, Davis</b><br>B.S. Statistics<br>2017 – 2021</p>
<h2>Languages</h2>
<p>English (native), Hindi (fluent), Spanish (basic)</p>
</td>
<td width="71%" valign="top">
<h2>Summary</h2>
<p>Data scientist who turns messy product and claims data into decisions. Experienced with machine learning in production, experimentation and stakeholder communication.</p>
<h2>Experience</h2>
<p class="job"><b>Data Scientist</b> · Harbor Analytics · San Francisco, CA<br>Jul 2022 – Present</p>
""" + ul(
            "Built a churn model with XGBoost that raised AUC from 0.71 to 0.83 and saved an estimated $1.2M a year in retention spend",
            "Fine-tuned a BERT model for support-ticket text classification (92% accuracy, 11 classes), routing 30% of tickets automatically",
            "Moved 18 ad-hoc notebooks into Airflow data pipelines with data-quality checks",
        ) + """
<p class="job"><b>Data Science Intern</b> · Greenleaf Insurance · Sacramento, CA<br>Jun 2021 – Aug 2021</p>
""" + ul(
            "Analysed 4M claims in SQL and pandas; found a fraud pattern worth $300k a year",
            "Presented results to the claims leadership team in Tableau dashboards",
        ) + """
<h2>Projects</h2>
<p class="job"><b>Bike-Share Demand Forecasting</b> (capstone, 2022)</p>
""" + ul(
            "Gradient-boosted and deep learning models in PyTorch on 3 years of trip data; MAPE 12% vs. 21% baseline",
        ) + """
<p class="job"><b>Causal Impact of Free Shipping</b> (course project, 2021)</p>
""" + ul(
            "Difference-in-differences analysis in R of a regional free-shipping trial",
        ) + """
</td></tr></table>
""",
    ),
    dict(
        name="Priya Patel", email="priya.patel@example.com", phone="+1 415-555-0132",
        links=["https://linkedin.com/in/ppatel-ds", "https://github.com/ppatel-ds"],
        skills=["Python", "Pandas", "NumPy", "scikit-learn", "R", "SQL", "PyTorch",
                "Transformers", "Spark", "Airflow", "Tableau", "Statistics", "Machine Learning",
                "Deep Learning", "NLP", "ETL", "Stakeholder Management", "Communication"],
        education=[
            edu("Carnegie Mellon University", "M.S.", "Data Science", "2021", "2022"),
            edu("University of California, Davis", "B.S.", "Statistics", "2017", "2021"),
        ],
        experience=[
            job("Harbor Analytics", "Data Scientist", "2022-07", "present"),
            job("Greenleaf Insurance", "Data Science Intern", "2021-06", "2021-08"),
        ],
        projects=[proj("Bike-Share Demand Forecasting"), proj("Causal Impact of Free Shipping")],
    ),
)

# ---------------------------------------------------------------------------
# 12. Daniel Kim — English, DOCX, one-column, senior iOS, "Skills:" heading
# ---------------------------------------------------------------------------
resume(
    "en_ios_kim", "docx", "en", "one-column",
    page(
        css="""
body, p, li, h1, h2 { font-family: 'Caladea'; }
body { font-size: 11pt; }
h1 { font-size: 22pt; margin-bottom: 0; }
h2 { font-size: 13pt; margin-top: 10pt; margin-bottom: 2pt; color: #34495e; }
""",
        lang="en-US", title="Daniel Kim",
        body="""
<h1>Daniel Kim</h1>
<p>Senior iOS Engineer</p>
<p>Brooklyn, NY | 206.555.0199 | daniel.kim@example.com | github.com/dkim-ios</p>
<h2>Skills:</h2>
<p>Swift, Objective-C, SwiftUI, UIKit, Combine, Core Data, XCTest, Fastlane, Git, GraphQL, REST APIs</p>
<h2>Work Experience:</h2>
<p><b>Brightwave Media</b> — Senior iOS Engineer (01/2023 - Present)</p>
""" + ul(
            "Lead a team of 4 iOS engineers building a podcast app with 1.5M monthly listeners",
            "Rewrote the player in SwiftUI; crash-free sessions went from 99.1% to 99.8%",
            "Cut App Store build time from 50 to 12 minutes with Fastlane and GitHub Actions",
        ) + """
<p><b>Cobalt Fitness</b> — iOS Engineer (03/2020 - 12/2022)</p>
""" + ul(
            "Migrated 60k lines of Objective-C to Swift over 18 months without a feature freeze",
            "Built offline workout sync on Core Data and a GraphQL API; sync conflicts fell by 80%",
            "Wrote XCTest suites for the payments flow (coverage 35% → 78%)",
        ) + """
<p><b>Tidepool Apps</b> — Mobile Developer (07/2017 - 02/2020)</p>
""" + ul(
            "Shipped 9 client apps in UIKit, including a banking app rated 4.8 on the App Store",
        ) + """
<h2>Education:</h2>
<p><b>Boston University</b> — Bachelor of Science in Computer Engineering (09/2013 - 05/2017)</p>
<h2>Languages:</h2>
<p>English, Korean</p>
""",
    ),
    dict(
        name="Daniel Kim", email="daniel.kim@example.com", phone="206.555.0199",
        links=["https://github.com/dkim-ios"],
        skills=["Swift", "Objective-C", "iOS", "Git", "GraphQL", "REST API", "CI/CD"],
        education=[edu("Boston University", "Bachelor of Science", "Computer Engineering",
                       "2013-09", "2017-05")],
        experience=[
            job("Brightwave Media", "Senior iOS Engineer", "2023-01", "present"),
            job("Cobalt Fitness", "iOS Engineer", "2020-03", "2022-12"),
            job("Tidepool Apps", "Mobile Developer", "2017-07", "2020-02"),
        ],
        projects=[],
    ),
)

# ---------------------------------------------------------------------------
# 13. Rachel O'Brien — English, PDF, one-column, product manager
# ---------------------------------------------------------------------------
resume(
    "en_pm_obrien", "pdf", "en", "one-column",
    page(
        css="""
body, p, li, td, h1, h2 { font-family: 'Liberation Serif'; }
body { font-size: 10.5pt; }
h1 { font-size: 22pt; text-align: center; margin-bottom: 0; }
p.c { text-align: center; }
h2 { font-size: 12pt; margin-top: 10pt; margin-bottom: 3pt; border-top: 1px solid #000000; }
""",
        lang="en-US", title="Rachel O'Brien",
        body="""
<h1>Rachel O'Brien</h1>
<p class="c">Senior Product Manager · Chicago, IL</p>
<p class="c">+1 312 555 0188 · rachel.obrien@example.com · linkedin.com/in/rachel-obrien-pm</p>
<h2>▸ Profile</h2>
<p>Product manager with 7 years in health-tech and fintech. I own the problem, partner closely with R&amp;D and design, and ship in small, measurable steps. Led three go-to-market launches.</p>
<h2>▸ Professional Experience</h2>
<table width="100%" cellpadding="0" cellspacing="0">
<tr><td><b>Cedar Health</b> — Senior Product Manager</td><td align="right">Mar 2021 – Present</td></tr>
</table>
""" + ul(
            "Own the roadmap for patient scheduling (2.3M bookings a year); online bookings up 18% year over year",
            "Run an A/B testing program with 40+ experiments per year and a shared PRD template",
            "Drive cross-functional collaboration between engineering, design, legal and clinical teams",
        ) + """
<table width="100%" cellpadding="0" cellspacing="0">
<tr><td><b>Lakeview Bank</b> — Product Manager, Digital Banking</td><td align="right">Jan 2018 – Feb 2021</td></tr>
</table>
""" + ul(
            "Launched mobile check deposit; adoption reached 41% of active customers in 6 months",
            "Wrote SQL and built Tableau dashboards to track funnel metrics",
            "Ran Scrum ceremonies in Jira and owned stakeholder communication with compliance",
        ) + """
<table width="100%" cellpadding="0" cellspacing="0">
<tr><td><b>Brightpath Software</b> — Associate Product Manager</td><td align="right">Jul 2016 – Dec 2017</td></tr>
</table>
""" + ul(
            "Interviewed 60+ users and turned findings into a redesigned onboarding flow (activation +12%)",
        ) + """
<h2>▸ Education</h2>
<table width="100%" cellpadding="0" cellspacing="0">
<tr><td><b>Northwestern University</b> — MBA</td><td align="right">2014 – 2016</td></tr>
<tr><td><b>University of Illinois Urbana-Champaign</b> — B.A. in Economics</td><td align="right">2010 – 2014</td></tr>
</table>
<h2>▸ Skills</h2>
<p>Product strategy · Roadmapping · User research · SQL · Tableau · Figma · Jira · Confluence · A/B testing</p>
<h2>▸ Certifications</h2>
<p>Certified Scrum Product Owner (CSPO), 2019</p>
""",
    ),
    dict(
        name="Rachel O'Brien", email="rachel.obrien@example.com", phone="+1 312 555 0188",
        links=["https://linkedin.com/in/rachel-obrien-pm"],
        skills=["Statistics", "Product Management", "Teamwork", "SQL", "Tableau", "Agile",
                "Jira", "Stakeholder Management", "Communication", "Figma"],
        education=[
            edu("Northwestern University", "MBA", None, "2014", "2016"),
            edu("University of Illinois Urbana-Champaign", "B.A.", "Economics", "2010", "2014"),
        ],
        experience=[
            job("Cedar Health", "Senior Product Manager", "2021-03", "present"),
            job("Lakeview Bank", "Product Manager, Digital Banking", "2018-01", "2021-02"),
            job("Brightpath Software", "Associate Product Manager", "2016-07", "2017-12"),
        ],
        projects=[],
    ),
)

# ---------------------------------------------------------------------------
# 14. Linh Nguyen — English, DOCX, two-column, new graduate
# ---------------------------------------------------------------------------
resume(
    "en_newgrad_nguyen", "docx", "en", "two-column",
    page(
        css="""
body, p, li, td, h1, h2 { font-family: 'DejaVu Serif'; }
body { font-size: 9.5pt; }
h1 { font-size: 18pt; margin-bottom: 0; }
h2 { font-size: 11pt; margin-top: 8pt; margin-bottom: 2pt; color: #117864; }
""",
        lang="en-US", title="Linh Nguyen resume",
        body="""
<h1>Linh Nguyen</h1>
<p>Software Engineer (new graduate, available June 2024)</p>
<table width="100%" cellpadding="6" cellspacing="0"><tr>
<td width="32%" valign="top" bgcolor="#e8f6f3">
<h2>Contact</h2>
<p>(617) 555-0123</p>
<p>linh.nguyen@example.com</p>
<p>github.com/linh-nguyen-dev</p>
<h2>Education</h2>
<p><b>Northeastern University</b></p>
<p>B.S. in Computer Science</p>
<p>Sep 2020 – May 2024</p>
<p>GPA 3.8 / 4.0</p>
<h2>Technical Skills</h2>
<p>Java, Python, C, JavaScript</p>
<p>Git, Linux, Docker</p>
<h2>Coursework</h2>
<p>Data Structures, Algorithms, Operating Systems, Computer Networks, Databases</p>
<h2>Languages</h2>
<p>English, Vietnamese</p>
</td>
<td width="68%" valign="top">
<h2>Objective</h2>
<p>New graduate looking for a backend or infrastructure role; a team player who enjoys debugging hard problems.</p>
<h2>Internship Experience</h2>
<p><b>Software Engineering Intern</b>, Quarry Robotics — Boston, MA<br>Jun 2023 – Aug 2023</p>
""" + ul(
            "Built a Python service that ingests telemetry from 300 robots and exposes it through a REST API",
            "Wrote pytest tests and a Docker image for the service; CI time went from 14 to 6 minutes",
        ) + """
<p><b>Software Development Co-op</b>, Fenway Insurance Group — Boston, MA<br>Jan 2022 – Jun 2022</p>
""" + ul(
            "Fixed 40+ bugs in a Java claims application and added JUnit tests for each fix",
            "Built an internal dashboard in JavaScript for the support team",
        ) + """
<p><b>Teaching Assistant</b>, Northeastern University — Boston, MA<br>Jan 2023 – Apr 2023</p>
""" + ul(
            "Spring 2023 term: held weekly office hours for 80 students in CS 2500 Fundamentals of Computer Science",
        ) + """
<h2>Course Projects</h2>
<p><b>Distributed Chat Server</b> (Networks and Distributed Systems)</p>
""" + ul(
            "Multi-room chat over TCP/IP in Java with leader-based replication across 3 nodes",
        ) + """
<p><b>Mini C Compiler</b> (Compilers)</p>
""" + ul(
            "Compiler for a subset of C written in Python; generates x86-64 assembly and passes 150 tests",
        ) + """
</td></tr></table>
""",
    ),
    dict(
        name="Linh Nguyen", email="linh.nguyen@example.com", phone="(617) 555-0123",
        links=["https://github.com/linh-nguyen-dev"],
        skills=["Java", "Python", "C", "JavaScript", "Git", "Linux", "Docker",
                "Data Structures", "Algorithms", "Operating Systems", "Computer Networks",
                "REST API", "Unit Testing", "Distributed Systems", "Teamwork",
                "Backend Development"],
        education=[edu("Northeastern University", "B.S.", "Computer Science", "2020-09", "2024-05")],
        experience=[
            job("Quarry Robotics", "Software Engineering Intern", "2023-06", "2023-08"),
            job("Fenway Insurance Group", "Software Development Co-op", "2022-01", "2022-06"),
            job("Northeastern University", "Teaching Assistant", "2023-01", "2023-04"),
        ],
        projects=[proj("Distributed Chat Server"), proj("Mini C Compiler")],
    ),
)

# ---------------------------------------------------------------------------
# 15. Anna Müller — English, Markdown, non-tech (finance)
# ---------------------------------------------------------------------------
resume(
    "en_finance_mueller", "md", "en", "one-column",
    """# Anna Müller

**Financial Analyst** · New York, NY
anna.mueller@example.com · +1 (646) 555-0173 · [LinkedIn](https://linkedin.com/in/anna-mueller-example)

## Summary

Financial analyst with 6 years in corporate finance and audit. CFA Level II candidate.
Strong in financial modeling, valuation and turning spreadsheets into clear stories for decision makers.

## Experience

### Financial Analyst — Meridian Capital Partners, New York, NY
*Aug 2020 – Present*

- Built three-statement financial models and DCF valuation for 12 mid-market deals ($50M–$400M EV)
- Automated the monthly reporting pack with Excel VBA and Power BI, cutting close time from 6 days to 3
- Prepared next-quarter forecasts and presented variance analysis to the rest of the deal team

### Staff Accountant — Baker & Lowe LLP, Boston, MA
*Jul 2018 – Jul 2020*

- Supported auditing engagements for 20+ clients in manufacturing and retail
- Reconciled $80M of intercompany balances and reduced open items by 70%

## Education

**Boston University** — B.S. in Business Administration (Finance), 2014 – 2018

## Skills

Financial modeling · Valuation · Excel (VBA, Power Query) · Power BI · SQL · Python (pandas) · Bloomberg Terminal

## Certifications

- CFA Level II Candidate (exam: August 2024)
- Bloomberg Market Concepts
""",
    dict(
        name="Anna Müller", email="anna.mueller@example.com", phone="+1 (646) 555-0173",
        links=["https://linkedin.com/in/anna-mueller-example"],
        skills=["Financial Analysis", "Excel", "Tableau", "Accounting", "SQL", "Python",
                "Pandas"],
        education=[edu("Boston University", "B.S.", "Business Administration (Finance)",
                       "2014", "2018")],
        experience=[
            job("Meridian Capital Partners", "Financial Analyst", "2020-08", "present"),
            job("Baker & Lowe LLP", "Staff Accountant", "2018-07", "2020-07"),
        ],
        projects=[],
    ),
)

# ---------------------------------------------------------------------------
# 16. Marcus Johnson — English, PDF, one-column, senior SRE with 4 jobs
# ---------------------------------------------------------------------------
resume(
    "en_sre_johnson", "pdf", "en", "one-column",
    page(
        css="""
body, p, li, h1, h2 { font-family: 'Liberation Sans'; }
body { font-size: 9.5pt; }
h1 { font-size: 17pt; margin-bottom: 0; }
h2 { font-size: 10.5pt; text-align: center; margin-top: 9pt; margin-bottom: 3pt; color: #444444; }
p.job { margin-top: 5pt; }
""",
        lang="en-GB", title="Marcus Johnson - Staff SRE",
        body="""
<h1>Marcus Johnson</h1>
<p>Staff Site Reliability Engineer · London, UK · +44 20 7946 0958 · marcus.johnson@example.com · https://marcusj.example.com</p>
<h2>—— Profile ——</h2>
<p>SRE with 13 years in operations and platform engineering. Focused on reliability you can measure: SLOs, error budgets and calm incident response. Team leadership and coaching of on-call engineers.</p>
<h2>—— Professional Experience ——</h2>
<p class="job"><b>Staff Site Reliability Engineer</b>, Orbital Streaming Ltd — London · Feb 2020 – Present</p>
""" + ul(
            "Run the platform for 14M monthly viewers on Kubernetes across AWS and GCP; availability from 99.5% to 99.95%",
            "Rebuilt infrastructure as code with Terraform (600+ modules); new environments in 40 minutes instead of 3 weeks",
            "Introduced SLOs and Prometheus alerting; pages per week fell from 35 to 6",
        ) + """
<p class="job"><b>Senior DevOps Engineer</b>, Kestrel Bank — London · May 2016 – Jan 2020</p>
""" + ul(
            "Moved 120 services from a manual release process to Jenkins pipelines, releases from monthly to daily",
            "Automated server builds with Ansible; patching time across 900 Linux hosts from 2 weeks to 1 day",
        ) + """
<p class="job"><b>Systems Engineer</b>, Harbour Telecom — Manchester · Sep 2012 – Apr 2016</p>
""" + ul(
            "Ran PostgreSQL and Elasticsearch clusters for billing (2TB); cut restore time from 9 hours to 50 minutes",
            "Wrote Python and Bash tooling for capacity reports",
        ) + """
<p class="job"><b>Linux Administrator</b>, Northgate Hosting — Manchester · Jul 2010 – Aug 2012</p>
""" + ul(
            "Looked after 400 CentOS servers and the Nagios estate for 300 hosting customers",
        ) + """
<h2>—— Projects ——</h2>
<p class="job"><b>Chaos Days</b> (Orbital Streaming, 2022)</p>
""" + ul(
            "Quarterly failure-injection exercises; found and fixed 23 single points of failure",
        ) + """
<p class="job"><b>kube-cost-report</b> (open source, Go)</p>
""" + ul(
            "CLI that attributes cluster cost to teams from Prometheus metrics; used by 40+ companies",
        ) + """
<h2>—— Education ——</h2>
<p><b>University of Manchester</b> — BSc (Hons) Computer Science, 2007 – 2010</p>
<h2>—— Certifications ——</h2>
<p>Certified Kubernetes Administrator (CKA) · AWS Certified Solutions Architect – Professional</p>
<h2>—— Technical Skills ——</h2>
<p>Kubernetes, Helm, Terraform, Ansible, AWS, GCP, Docker, Linux, Python, Go, Bash, Prometheus, Grafana, Git, Jenkins, GitLab CI, PostgreSQL, Elasticsearch</p>
""",
    ),
    dict(
        name="Marcus Johnson", email="marcus.johnson@example.com", phone="+44 20 7946 0958",
        links=["https://marcusj.example.com"],
        skills=["Kubernetes", "AWS", "Google Cloud", "Infrastructure as Code", "Monitoring",
                "CI/CD", "Linux", "PostgreSQL", "Elasticsearch", "Python", "Shell", "Go",
                "Docker", "Git", "Leadership", "Mentoring"],
        education=[edu("University of Manchester", "BSc (Hons)", "Computer Science", "2007", "2010")],
        experience=[
            job("Orbital Streaming Ltd", "Staff Site Reliability Engineer", "2020-02", "present"),
            job("Kestrel Bank", "Senior DevOps Engineer", "2016-05", "2020-01"),
            job("Harbour Telecom", "Systems Engineer", "2012-09", "2016-04"),
            job("Northgate Hosting", "Linux Administrator", "2010-07", "2012-08"),
        ],
        projects=[proj("Chaos Days"), proj("kube-cost-report")],
    ),
)


# ---------------------------------------------------------------------------
def convert(soffice: str, html_files: list[Path], fmt: str, outdir: Path, profile: Path) -> None:
    target = {"pdf": "pdf:writer_pdf_Export", "docx": 'docx:MS Word 2007 XML'}[fmt]
    cmd = [
        soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
        "--infilter=HTML (StarWriter)", "--convert-to", target, "--outdir", str(outdir),
        *map(str, html_files),
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--soffice", default="soffice")
    ap.add_argument("--keep-html", metavar="DIR", help="also copy the HTML sources to DIR")
    args = ap.parse_args()
    if shutil.which(args.soffice) is None:
        sys.exit(f"{args.soffice} not found: apt-get install -y libreoffice-writer fonts-noto-cjk")

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mianshi-resumes-") as tmp:
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
                convert(args.soffice, files, fmt, conv, profile)
                for f in files:
                    out = conv / f"{f.stem}.{fmt}"
                    if not out.exists():
                        sys.exit(f"LibreOffice did not produce {out.name}")
                    shutil.move(out, OUT / out.name)
        if args.keep_html:
            dest = Path(args.keep_html)
            dest.mkdir(parents=True, exist_ok=True)
            for f in src.iterdir():
                shutil.copy(f, dest / f.name)

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
            "skills": sorted(lab["skills"], key=str.lower),
            "education": lab["education"],
            "experience": lab["experience"],
            "projects": lab["projects"],
        }
        (OUT / f"{r['stem']}.expected.json").write_text(
            json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    print(f"wrote {len(RESUMES)} résumés to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
