"""The zh/en message catalog and the choice of language per request.

The language comes from ?lang= (which is then remembered in a cookie), else the cookie,
else the browser's Accept-Language, else Chinese. Labels of controlled-list concepts come
from ontology.ttl (kg.concepts.pref_label), not from here.
"""
from __future__ import annotations

from flask import Request

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
COOKIE = "lang"

# key: (English, Chinese)
MESSAGES: dict[str, tuple[str, str]] = {
    "site.name": ("SciPop KG", "科普知识图谱"),
    "site.tagline": ("Funded research and how it reaches the public", "基金资助成果及其科学普及"),
    "nav.home": ("Home", "首页"),
    "nav.search": ("Search", "检索"),
    "nav.talent": ("Talent pool", "科普人才库"),
    "nav.unpopularized": ("Unpopularized results", "未科普成果"),
    "nav.sparql": ("SPARQL", "SPARQL 查询"),
    "nav.api": ("API", "接口"),
    "nav.login": ("Staff login", "工作人员登录"),
    "nav.logout": ("Log out", "退出"),
    "nav.departments": ("Departments", "科学部"),
    "lang.switch": ("中文", "English"),
    "view.public": ("Public view", "公开视图"),
    "view.full": ("Staff view: includes unreviewed and confidential records", "内部视图：含未审核及保密记录"),
    "home.holds": ("What the graph holds", "图谱概况"),
    "home.by_department": ("Projects by science department", "各科学部项目数"),
    "home.by_year": ("Projects by approval year", "各批准年度项目数"),
    "home.coverage": ("Popularization coverage by department", "各科学部科普覆盖率"),
    "home.coverage_tier": ("Popularization coverage by obligation tier", "各科普义务类别覆盖率"),
    "home.coverage_note": ("Projects by popularization status (derived facts of the last publication).",
                           "按科普状态统计的项目数（最近一次发布的派生事实）。"),
    "home.tasks": ("Start here", "常用功能"),
    "home.task.search": ("Search projects, researchers, outputs and works", "检索项目、人员、成果与科普作品"),
    "home.task.talent": ("Find people for the popularization talent pool", "为科普人才库寻找人选"),
    "home.task.unpopularized": ("Find funded results that never reached the public", "查找尚未科普的资助成果"),
    "home.task.sparql": ("Ask anything in SPARQL", "用 SPARQL 自由查询"),
    "home.search_placeholder": ("e.g. 量子 / gene editing / 张伟", "例如：量子 / gene editing / 张伟"),
    "home.reports": ("Reports", "统计报告"),
    "report.gaps": ("Unpopularized results", "未科普成果"),
    "report.compliance": ("Obligation compliance", "科普义务履行"),
    "report.indicators": ("Indicators", "科普指标"),
    "report.recommend": ("Special-fund recommendations", "科普专项推荐"),
    "report.by": ("Group by", "分组方式"),
    "report.back": ("All groups by {dim}", "按{dim}的全部分组"),
    "chart.gaps": ("Projects with unpopularized results", "成果未科普的项目数"),
    "chart.compliance": ("Projects of a tier without popularization", "各义务类别中未科普的项目数"),
    "chart.coverage": ("Coverage % (popularized / with results)", "覆盖率 %（已科普 / 有成果）"),
    "chart.works": ("Approved popular-science works", "已审核通过的科普作品数"),
    "chart.per_year": ("Popularized projects by approval year", "各批准年度已科普项目数"),
    "recommend.theme": ("theme", "主题"),
    "recommend.top": ("how many", "推荐数量"),
    "recommend.score": ("Score", "得分"),
    "recommend.project": ("Project", "项目"),
    "kind.project": ("Project", "项目"),
    "kind.researcher": ("Researcher", "科研人员"),
    "kind.person": ("Researcher", "科研人员"),
    "kind.institution": ("Institution", "机构"),
    "kind.org": ("Institution", "机构"),
    "kind.output": ("Research output", "研究成果"),
    "kind.work": ("Popular-science work", "科普作品"),
    "kind.code": ("Application code", "申请代码"),
    "kind.department": ("Science department", "科学部"),
    "kind.entity": ("Record", "记录"),
    "kind.all": ("All kinds", "全部类型"),
    "class.FundedProject": ("Funded projects", "资助项目"),
    "class.Researcher": ("Researchers", "科研人员"),
    "class.SupportingInstitution": ("Supporting institutions", "依托单位"),
    "class.Organization": ("Organizations", "机构"),
    "class.ResearchOutput": ("Research outputs", "研究成果"),
    "class.PopularScienceWork": ("Popular-science works", "科普作品"),
    "class.TalentPoolMembership": ("Talent-pool members", "科普人才库成员"),
    "class.QualifiedLink": ("Links with provenance", "带来源的关联"),
    "class.ApplicationCode": ("Application codes", "申请代码"),
    "class.SourceFile": ("Source files", "来源文件"),
    "search.title": ("Search", "检索"),
    "search.button": ("Search", "检索"),
    "search.results": ("{n} results", "共 {n} 条结果"),
    "search.none": ("Nothing matched. Try fewer words or remove a filter.", "没有匹配结果。请减少关键词或去掉筛选条件。"),
    "search.sort": ("Sort", "排序"),
    "search.sort.relevance": ("Relevance", "相关度"),
    "search.sort.recent": ("Most recent", "最新"),
    "search.sort.significance": ("Significance", "影响力"),
    "search.filters": ("Refine", "筛选"),
    "search.clear": ("Clear filters", "清除筛选"),
    "search.took": ("{ms} ms", "{ms} 毫秒"),
    "facet.kind": ("Kind", "类型"),
    "facet.department": ("Department", "科学部"),
    "facet.application_code": ("Application code", "申请代码"),
    "facet.project_type": ("Project type", "项目类别"),
    "facet.output_kind": ("Output kind", "成果类型"),
    "facet.work_kind": ("Work kind", "作品类型"),
    "facet.tier": ("Obligation tier", "科普义务"),
    "facet.institution": ("Institution", "依托单位"),
    "facet.region": ("Region", "地区"),
    "facet.year": ("Year", "年度"),
    "facet.popularized": ("Popularized", "已科普"),
    "facet.in_pool": ("In talent pool", "在人才库中"),
    "facet.title": ("Title (职称)", "职称"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "page.prev": ("Previous", "上一页"),
    "page.next": ("Next", "下一页"),
    "page.of": ("Page {page} of {pages}", "第 {page} / {pages} 页"),
    "page.beyond": ("There is no page {page}: the results fill {pages}.", "没有第 {page} 页：结果共 {pages} 页。"),
    "page.last": ("Go to the last page", "转到最后一页"),
    "talent.title": ("Popularization talent pool", "科普人才库"),
    "talent.intro": ("People whose research fits a topic, ranked with their popularization record. "
                     "Each person shows the evidence: matching projects and outputs, and their works.",
                     "按主题匹配科研人员，并结合其科普记录排序。每位人员均列出依据：相关项目、成果及科普作品。"),
    "talent.topic": ("Topic", "主题"),
    "talent.topical": ("Topical fit", "主题相关度"),
    "talent.popularization": ("Popularization record", "科普记录"),
    "talent.in_pool": ("in the talent pool", "已入库"),
    "talent.pool": ("Talent pool", "人才库"),
    "talent.pool_any": ("In the talent pool or not", "是否入库不限"),
    "talent.pool_only": ("Only talent-pool members", "仅人才库成员"),
    "talent.pool_not_yet": ("Not yet in the talent pool", "尚未入库"),
    "talent.evidence": ("Evidence", "依据"),
    "talent.none": ("No one matched this topic.", "没有匹配该主题的人员。"),
    # Keyed by the `relation` of a who-could-popularize reason (search/searching.py).
    "talent.reason.on this record": ("on this record", "参与本记录"),
    "talent.reason.declared expertise": ("declared expertise", "登记的研究专长"),
    "talent.reason.collaborates with its team": ("collaborates with its team ({shared_records} shared records)",
                                                 "与其团队合作（共同记录 {shared_records} 项）"),
    "talent.reason.works on the same topic": ("works on the same topic (fit {topical})", "研究相同主题（相关度 {topical}）"),
    "region.unknown": ("'{value}' is not a province-level region this service knows: give one such as 北京 or "
                       "Beijing, 湖北 or Hubei.",
                       "“{value}”不是本服务已知的省级行政区，请给出如“北京”或“Beijing”、“湖北”或“Hubei”。"),
    "talent.for": ("Who could popularize “{label}”: people on it, their collaborators and people working on the "
                   "same topic, ranked with their popularization record.",
                   "谁能科普“{label}”：项目或成果的参与者、其合作者和研究同一主题的人员，按科普记录排序。"),
    "entity.who_could": ("Who could popularize this", "谁能科普这项成果"),
    "unpop.title": ("Funded results not yet popularized", "尚未科普的资助成果"),
    "unpop.intro": ("Projects with research outputs but no approved popular-science work. "
                    "Obliged-tier projects must popularize their results.",
                    "有研究成果但尚无通过审核的科普作品的项目。“应当开展科普”类项目必须开展成果科普。"),
    "unpop.csv": ("Download CSV", "下载 CSV"),
    "unpop.count": ("{n} projects", "共 {n} 个项目"),
    "sparql.title": ("SPARQL query", "SPARQL 查询"),
    "sparql.examples": ("Example queries", "示例查询"),
    "sparql.run": ("Run query", "执行查询"),
    "sparql.download": ("Download", "下载"),
    "sparql.rows": ("{n} rows", "{n} 行"),
    "sparql.truncated": ("Only the first {n} rows are shown: the row limit was reached.",
                         "结果已截断：仅显示前 {n} 行（达到行数上限）。"),
    "sparql.endpoint": ("Endpoint", "端点"),
    "sparql.help": ("Read-only SPARQL 1.1. Updates, SERVICE, FROM and LOAD are refused; "
                    "queries stop after {timeout} s and return at most {rows} rows.",
                    "只读 SPARQL 1.1。不允许更新、SERVICE、FROM 与 LOAD；查询限时 {timeout} 秒，最多返回 {rows} 行。"),
    "entity.data": ("Details", "详细信息"),
    "entity.links": ("Links", "关联"),
    "entity.provenance": ("Where this record came from", "记录来源"),
    "entity.how_known": ("How we know", "关联依据"),
    "entity.status": ("Popularization status", "科普状态"),
    "entity.formats": ("This record as data", "数据格式"),
    "entity.outputs": ("Research outputs", "研究成果"),
    "entity.works": ("Popular-science works", "科普作品"),
    "entity.projects": ("Projects", "项目"),
    "entity.people": ("People", "人员"),
    "entity.authors": ("Authors", "作者"),
    "entity.collaborators": ("Collaborators", "合作者"),
    "entity.collab_graph": ("Collaboration network", "合作网络"),
    "entity.identities": ("Same person in other sources", "其他来源中的同一人"),
    "entity.popularizes": ("Popularizes", "科普对象"),
    "entity.reach": ("Reach", "传播效果"),
    "entity.none": ("None recorded.", "暂无记录。"),
    "entity.more": ("and {n} more", "另有 {n} 条"),
    "entity.pool": ("Talent pool member since {since}", "{since} 起为科普人才库成员"),
    "entity.narrower": ("Narrower codes", "下级代码"),
    "entity.broader": ("Broader code", "上级代码"),
    "entity.confidence": ("confidence", "置信度"),
    "entity.evidence": ("evidence", "证据"),
    "entity.source_file": ("source file", "来源文件"),
    "entity.loaded": ("loaded", "载入时间"),
    "entity.role.pi": ("principal investigator", "项目负责人"),
    "entity.role.member": ("member", "项目成员"),
    "status.popularized": ("Popularized", "已科普"),
    "status.unpopularized": ("Results not popularized", "成果未科普"),
    "status.noresults": ("No known results", "暂无已知成果"),
    "dept.projects": ("Projects", "项目数"),
    "dept.coverage": ("Popularized", "已科普"),
    "dept.top_institutions": ("Institutions with most projects", "项目最多的依托单位"),
    "dept.obliged_gaps": ("Obliged projects with unpopularized results", "成果未科普的“应当开展科普”类项目"),
    "login.title": ("Staff login", "工作人员登录"),
    "login.user": ("User name", "用户名"),
    "login.password": ("Password", "密码"),
    "login.submit": ("Log in", "登录"),
    "login.failed": ("Wrong user name or password.", "用户名或密码错误。"),
    "login.as": ("Logged in as {user}", "当前用户：{user}"),
    "error.title": ("Something is not right", "出错了"),
    "error.not_found": ("No such record or page.", "没有这条记录或页面。"),
    "error.back": ("Back to the home page", "返回首页"),
    # What kind of problem an error code is, as the error page's heading (the message, with
    # its record, field and fix, is the one the API and the CLI give, in English).
    "error.code.invalid_query": ("The request has a mistake", "请求参数有误"),
    "error.code.query_limit": ("The search asks for more than a limit allows", "检索超出限制"),
    "error.code.invalid_report": ("The report cannot be made with these options", "无法按这些选项生成报告"),
    "error.code.invalid_recommendation": ("The recommendation cannot be made with these options",
                                          "无法按这些选项生成推荐"),
    "error.code.forbidden_query": ("This query is not allowed here", "不允许执行此查询"),
    "error.code.limit_exceeded": ("A limit was reached", "超出限制"),
    "error.code.query_timeout": ("The query took too long and was stopped", "查询超时，已停止"),
    "error.code.busy": ("The server is busy; try again shortly", "服务器繁忙，请稍后再试"),
    "error.code.rate_limited": ("Too many requests from this address; try again later", "该地址请求过多，请稍后再试"),
    "error.code.search_unavailable": ("Search is not available right now", "检索暂不可用"),
    "error.code.index_not_ready": ("The search index is not ready", "检索索引尚未就绪"),
    "error.code.not_acceptable": ("This record is not offered in the requested format", "无法以所请求的格式提供该记录"),
    "error.code.method_not_allowed": ("This address does not accept that method", "该地址不支持此请求方法"),
    "error.code.request_too_large": ("The request is too large", "请求内容过大"),
    "error.code.unsupported_media_type": ("The request body has an unsupported type", "请求内容类型不受支持"),
    "footer.data": ("Data: the funder's project, output and popularization records. Linked data under {base}",
                    "数据来源：基金项目、成果与科普记录。关联数据基址 {base}"),
    "footer.void": ("Dataset description (VoID)", "数据集描述 (VoID)"),
    "table.value": ("Value", "值"),
    # Standard (non-sp:) properties, which ontology.ttl reuses without labelling them.
    "prop.title": ("title", "题名"),
    "prop.abstract": ("abstract", "摘要"),
    "prop.type": ("type", "类型"),
    "prop.name": ("name", "姓名/名称"),
    "prop.alternateName": ("other name", "其他名称"),
    "prop.keywords": ("keywords", "关键词"),
    "prop.startDate": ("start", "开始"),
    "prop.endDate": ("end", "结束"),
    "prop.datePublished": ("published", "发布日期"),
    "prop.url": ("web address", "网址"),
    "prop.email": ("e-mail", "电子邮件"),
    "prop.jobTitle": ("job title", "职称"),
    "prop.affiliation": ("institution", "所在单位"),
    "prop.creator": ("creator", "创作者"),
    "prop.award": ("award", "奖项"),
    "prop.doi": ("DOI", "DOI"),
    "prop.sameAs": ("same as", "等同于"),
    "prop.broader": ("broader", "上级"),
    "prop.notation": ("code", "代码"),
    "prop.inScheme": ("list", "所属列表"),
    "prop.prefLabel": ("label", "名称"),
    "table.property": ("Property", "属性"),
    "count": ("Count", "数量"),
    "share": ("Share", "占比"),
}


def choose_lang(request: Request) -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGS:
        return remembered
    best = request.accept_languages.best_match(LANGS)
    return best or DEFAULT_LANG


def translate(lang: str, key: str, **values) -> str:
    pair = MESSAGES.get(str.__str__(key))  # a plain str: rdflib literals hash differently
    if pair is None:
        return key  # a missing key shows itself instead of hiding the text
    text = pair[1] if lang == "zh" else pair[0]
    return text.format(**values) if values else text


def pick_literal(literals, lang: str) -> str:
    """The literal in the page's language when there is one, else the first (zh before en)."""
    literals = [l for l in literals if l is not None]
    if not literals:
        return ""
    for literal in literals:
        if getattr(literal, "language", None) == lang:
            return str(literal)
    for literal in literals:
        if getattr(literal, "language", None) in ("zh", "en"):
            return str(literal)
    return str(literals[0])
