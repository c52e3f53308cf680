"""The wording of reports and recommendations, in English and Chinese: titles, notes, the
reasons each listed item gives, and the headings of report columns.

A report is read by the science-communication centre and the departments' liaison officers
in Chinese, and by reviewers and scripts in English; the CLI (--lang) and the web pages (the
page's language) ask for one. Column keys stay the same in both languages (they are what
CSV/JSON consumers select on); only their headings are translated. Labels of controlled-list
concepts (departments, project types, tiers, link methods) come from ontology.ttl
(kg.concepts.pref_label), not from here.
"""
from __future__ import annotations

from functools import lru_cache

from kg import concepts
from kg import vocab as V
from kg.rollup import work_kind_columns

# key: (English, Chinese); placeholders in str.format style, the same in both.
TEXTS: dict[str, tuple[str, str]] = {
    # groupings
    "dim.department": ("department", "科学部"),
    "dim.code": ("application code", "申请代码"),
    "dim.type": ("project type", "项目类型"),
    "dim.tier": ("obligation tier", "科普义务类别"),
    "dim.institution": ("supporting institution", "依托单位"),
    "dim.year": ("approval year", "批准年度"),
    "all_projects": ("all projects", "全部项目"),
    "separator": ("; ", "；"),

    # counted nouns: (singular English, plural English) are chosen by count()
    "n.outputs": ("{n} research output|{n} research outputs", "{n} 项研究成果"),
    "n.works": ("{n} approved popular-science work|{n} approved popular-science works", "{n} 项已审核通过的科普作品"),
    "n.pending": ("{n} popular-science work under review (not yet approved)|"
                  "{n} popular-science works under review (not yet approved)", "{n} 项科普作品审核中（尚未通过）"),
    "n.hops": ("{n} collaboration hop|{n} collaboration hops", "{n} 层合作关系"),
    "n.projects": ("{n} project|{n} projects", "{n} 个项目"),
    "n.candidates": ("{n} candidate project|{n} candidate projects", "{n} 个候选项目"),
    "n.times": ("{n} time|{n} times", "{n} 次"),
    "list": (", ", "、"),
    "yes": ("yes", "是"),
    "n.rows": ("{n} row|{n} rows", "共 {n} 行"),
    "note": ("note: {text}", "注：{text}"),
    "recommend.result": ("representative result", "代表性成果"),
    "no": ("no", "否"),

    # the factors of a special-fund recommendation (kg.recommend.FACTORS)
    "factor.significance": ("significance", "重要性"),
    "factor.gap": ("gap", "科普空缺"),
    "factor.tier": ("tier", "科普义务类别"),
    "factor.timeliness": ("timeliness", "时效性"),
    "factor.capacity": ("capacity", "科普能力"),

    # gap report
    "gaps.title": ("Unpopularized results by {dim}", "未科普成果（按{dim}）"),
    "gaps.title.year": ("Unpopularized results by {dim}, projects approved in {year}", "未科普成果（按{dim}，{year}年批准项目）"),
    "gaps.note.project": (
        "A project's results are unpopularized when it has research outputs but no approved popular-science work "
        "popularizes it or any of its outputs, and its concluding report has no popularization field.",
        "项目有研究成果，但没有已审核通过的科普作品普及该项目或其任何成果，且结题报告未填写科普情况时，该项目成果计为未科普。"),
    "gaps.note.output": ("An output is unpopularized when no approved popular-science work popularizes it.",
                         "没有已审核通过的科普作品普及的研究成果计为未科普成果。"),
    "gaps.note.pct": ("unpopularized_pct = projects_unpopularized / projects_with_results.",
                      "未科普比例 = 成果未科普项目数 / 有成果项目数。"),
    "gaps.note.drill": ("Drill down to list the items of one group and why each is listed "
                        "(drill=GROUP; --drill GROUP on the command line).",
                        "点击分组可列出该组的项目与成果及各自列入的原因（drill=分组；命令行用 --drill 分组）。"),
    "gaps.items.title": ("Unpopularized projects and outputs: {group}", "未科普项目与成果：{group}"),
    "gaps.items.title.year": ("Unpopularized projects and outputs: {group}, projects approved in {year}",
                              "未科普项目与成果：{group}（{year}年批准项目）"),
    "gaps.why.project": ("{outputs} linked (sp:resultOf); no approved popular-science work popularizes the project or "
                         "any of its outputs; no popularization field in the concluding report",
                         "关联 {outputs}（sp:resultOf）；没有已审核通过的科普作品普及该项目或其任何成果；结题报告未填写科普情况"),
    "gaps.why.output": ("result of project {project} ({link}); no approved popular-science work popularizes this output",
                        "项目 {project} 的成果（{link}）；没有已审核通过的科普作品普及该成果"),
    "gaps.link": ("link: {method}, confidence {confidence:.2f}", "关联来源：{method}，置信度 {confidence:.2f}"),
    "gaps.link.direct": ("direct link", "直接关联"),
    "gaps.note.pending": ("Pending works are under confidentiality review and do not count until approved.",
                          "审核中的作品正在接受保密审查，审核通过前不计入。"),
    "gaps.note.limit": ("At most {listed_projects} and {listed_outputs} are listed; the group has {projects} with "
                        "unpopularized results and {outputs} that no approved work popularizes.",
                        "最多列出 {listed_projects}和 {listed_outputs}；该组共有 {projects}成果未科普，"
                        "{outputs}未被已审核通过的作品普及。"),
    "gaps.note.limit.plain": ("At most {listed_projects} and {listed_outputs} are listed.",
                              "最多列出 {listed_projects}和 {listed_outputs}。"),

    # compliance report
    "compliance.title": ("Popularization obligation compliance", "科普义务履行情况"),
    "compliance.title.year": ("Popularization obligation compliance, projects approved in {year}",
                              "科普义务履行情况（{year}年批准项目）"),
    "compliance.title.by": ("Popularization obligation compliance by {dim}", "科普义务履行情况（按{dim}）"),
    "compliance.title.by.year": ("Popularization obligation compliance by {dim}, projects approved in {year}",
                                 "科普义务履行情况（按{dim}，{year}年批准项目）"),
    "compliance.note.tiers": (
        "Obliged tier (应当开展科普): major projects, major research plans, innovative research groups, national major "
        "instrument development, basic science centres. Encouraged tier (鼓励开展科普): general, youth and regional "
        "projects; reported separately, it carries no obligation.",
        "应当开展科普：重大项目、重大研究计划、创新研究群体、国家重大科研仪器研制项目、基础科学中心项目。"
        "鼓励开展科普：面上项目、青年科学基金项目、地区科学基金项目；单独统计，不承担义务。"),
    "compliance.note.not_popularized": (
        "not_popularized: no approved popular-science work popularizes the project or its outputs and the concluding "
        "report has no popularization field (results unpopularized, or no known results).",
        "未科普：没有已审核通过的科普作品普及该项目或其成果，且结题报告未填写科普情况（成果未科普，或尚无已知成果）。"),
    "compliance.note.field": ("concluded_without_popularization_field: sp:concluded true and no sp:popularizationReport.",
                              "结题未填写科普情况：sp:concluded 为 true 且没有 sp:popularizationReport。"),
    "compliance.items.title": ("{tier} tier: projects failing a check", "{tier}：未通过检查的项目"),
    "compliance.why.tier": ("tier: {tier} (project type {type})", "科普义务类别：{tier}（项目类型：{type}）"),
    "compliance.why.concluded.no_field": ("concluded; the concluding report has no popularization field",
                                          "已结题；结题报告未填写科普情况"),
    "compliance.why.concluded.field": ("concluded; the concluding report has a popularization field",
                                       "已结题；结题报告已填写科普情况"),
    "compliance.why.open": ("not concluded", "未结题"),
    "status.unpopularized": ("{outputs} linked, none popularized by an approved work",
                             "关联 {outputs}，均未被已审核通过的作品普及"),
    "status.no_results": ("no research outputs linked and no approved work popularizes the project",
                          "未关联研究成果，也没有已审核通过的作品普及该项目"),
    "status.popularized": ("popularized (an approved work, or a popularization field)",
                           "已科普（有已审核通过的作品，或结题报告已填写科普情况）"),
    "compliance.note.all": ("All projects failing a check.", "列出全部未通过检查的项目。"),
    "compliance.note.first": ("At most {projects} are listed, the first by approval number; the summary table "
                              "has the counts.", "最多列出 {projects}（按批准号排序）；数量见汇总表。"),
    "compliance.note.some": ("At most {projects} are listed; the summary table has the counts.",
                             "最多列出 {projects}；数量见汇总表。"),

    # curation
    "curation.title": ("Representative achievements and special-fund decisions", "代表性成果与科普专项决定"),
    "curation.representative": ("representative achievement of department {department} ({curator}, {day})",
                                "{department}代表性成果（{curator}，{day}）"),
    "curation.selected.fund": ("selected for the special fund ({curator}, {day})", "入选科普专项（{curator}，{day}）"),
    "curation.rejected.fund": ("rejected for the special fund ({curator}, {day})", "未入选科普专项（{curator}，{day}）"),
    "curation.note.latest": ("Decisions are never overwritten; for each project the latest one counts.",
                             "决定不会被覆盖；每个项目以最新一条为准。"),
    "curation.note.internal": ("Special-fund decisions are internal: the public view does not hold them.",
                               "科普专项决定属内部信息，公开视图不含这些记录。"),

    # indicators
    "indicators.title": ("Popularization indicators per {dim} and approval year", "科普指标（按{dim}和批准年度）"),
    "indicators.title.year": ("Popularization indicators per {dim}, projects approved in {year}",
                              "科普指标（按{dim}，{year}年批准项目）"),
    "indicators.title.totals": ("Popularization indicators per {dim}, all years", "科普指标（按{dim}，全部年度）"),
    "indicators.note.definitions": (
        "Definitions: docs/indicators.md. Facts are counted by the approval year of the project they belong to.",
        "定义见 docs/indicators.md。各项事实按所属项目的批准年度统计。"),
    "indicators.note.coverage": (
        "coverage_pct = projects_popularized / projects_with_results (projects with research outputs or a "
        "popularization field); projects with no known results are left out of the denominator.",
        "覆盖率 = 已科普项目数 / 有成果项目数（有研究成果或已填写科普情况的项目）；尚无已知成果的项目不计入分母。"),
    "indicators.note.works": (
        "works: approved popular-science works popularizing the group's projects or their outputs, by kind; a work "
        "naming projects of two groups counts for each. views, attendance and awards are those works' reach and awards.",
        "作品：普及该组项目或其成果、已审核通过的科普作品，按类型统计；同时涉及两组项目的作品在两组各计一次。"
        "浏览量、参与人数和奖项为这些作品的传播与获奖情况。"),
    "indicators.note.people": (
        "researchers_engaged: distinct people (by identity) who are PI or member of the group's projects and created "
        "an approved popular-science work; talent_pool_members: distinct PIs and members of the group's projects who "
        "are in the popularization talent pool.",
        "参与科普的研究人员：该组项目的负责人或成员中创作过已审核通过科普作品的人数（按身份去重）；"
        "科普人才库成员：该组项目负责人和成员中属于科普人才库的人数（去重）。"),
    "indicators.note.totals": ("year is empty: every approval year together (a work or person counts once).",
                               "年度为空：全部批准年度合计（每部作品、每个人只计一次）。"),

    # special-fund recommendations
    "recommend.tier": ("tier: {tier} ({weight:g})", "科普义务类别：{tier}（{weight:g}）"),
    "recommend.tier.other": ("other", "其他"),
    "recommend.significance": ("significance: {parts}", "重要性：{parts}"),
    "recommend.significance.cited": ("representative result cited {times}", "代表性成果被引 {times}"),
    "recommend.significance.no_output": ("no research output known", "尚无已知研究成果"),
    "recommend.significance.venue": ("venue {venue} (percentile {percentile} of venues by mean citations)",
                                     "发表于 {venue}（按篇均被引，位于发表载体第 {percentile} 百分位）"),
    "n.awards": ("{n} award|{n} awards", "获奖 {n} 项"),
    "recommend.gap.unpopularized": (
        "gap: no approved work popularizes the project or any of its {outputs}, and the concluding report has "
        "no popularization field", "空缺：没有已审核通过的作品普及该项目或其 {outputs}中的任何一项，且结题报告未填写科普情况"),
    "recommend.gap.no_results": ("gap: no known research output, and no approved work popularizes the project",
                                 "空缺：尚无已知研究成果，也没有已审核通过的作品普及该项目"),
    "recommend.gap.result": ("gap: the project is popularized, but its representative result is not",
                             "空缺：项目已科普，但其代表性成果尚未科普"),
    "recommend.gap.none": ("gap: the project and its representative result are already popularized",
                           "空缺：项目及其代表性成果均已科普"),
    "recommend.timeliness": ("timeliness: shares {shared} with the theme (similarity {fit:.2f}, best candidate "
                             "{best:.2f})", "时效性：与主题的共同词：{shared}（相似度 {fit:.2f}，最高候选 {best:.2f}）"),
    "recommend.timeliness.nothing": ("nothing", "无"),
    "recommend.capacity.pi": ("capacity: the PI {person} created {works}", "科普能力：项目负责人 {person} 创作了 {works}"),
    "recommend.capacity.team": ("capacity: team member or co-author {person} created {works}",
                                "科普能力：项目成员或合作者 {person} 创作了 {works}"),
    "recommend.capacity.hops": ("capacity: {hops} from experienced popularizer {path}",
                                "科普能力：经 {hops}可联系到有科普经验的人员：{path}"),
    "recommend.capacity.none": ("capacity: no experienced popularizer within {hops}",
                                "科普能力：{hops}内无有科普经验的人员"),
    "recommend.note.score": ("score = {formula}; each factor is in [0, 1].", "得分 = {formula}；各因子取值在 [0, 1]。"),
    "recommend.note.pool": ("{candidates} scored; at most {cap} of the top {top} per department (a third, rounded up).",
                            "共为 {candidates}打分；前 {top} 个中每个科学部最多 {cap} 个（三分之一，向上取整）。"),
    "recommend.note.no_theme": ("No theme given: timeliness is 0 for every candidate.",
                                "未给出主题：所有候选项目的时效性均为 0。"),
    "recommend.note.pool_safe": ("so no project outside the pool could enter the list",
                                 "因此候选池之外的项目不可能进入名单"),
    "recommend.note.pool_unsafe": ("so a project outside the pool could still enter the list; raise the pool to be sure",
                                   "因此候选池之外的项目仍可能进入名单；请扩大候选池以确保完整"),
    "recommend.note.bound": ("Candidates: projects of the outputs cited at least {times} and flagged "
                             "projects; any other project scores at most {bound:.3f}, and the lowest listed score is "
                             "{lowest:.3f}, {verdict}.",
                             "候选项目：被引至少 {times}的成果所属项目及已标记项目；其他项目得分至多 {bound:.3f}，"
                             "名单中最低得分为 {lowest:.3f}，{verdict}。"),
}

# Headings of report columns (the keys stay in CSV and JSON); a column missing here shows its key.
COLUMNS: dict[str, tuple[str, str]] = {
    "group": ("Group", "分组"),
    "label": ("Name", "名称"),
    "projects": ("Projects", "项目数"),
    "projects_with_results": ("Projects with results", "有成果项目数"),
    "projects_unpopularized": ("Projects with unpopularized results", "成果未科普项目数"),
    "projects_popularized": ("Projects popularized", "已科普项目数"),
    "unpopularized_pct": ("Unpopularized %", "未科普比例 %"),
    "outputs": ("Outputs", "成果数"),
    "outputs_unpopularized": ("Unpopularized outputs", "未科普成果数"),
    "kind": ("Kind", "类型"),
    "iri": ("IRI", "IRI"),
    "id": ("Approval number / DOI", "批准号/DOI"),
    "title": ("Title", "题名"),
    "department": ("Department", "科学部"),
    "project_type": ("Project type", "项目类型"),
    "tier": ("Obligation tier", "科普义务类别"),
    "institution": ("Supporting institution", "依托单位"),
    "approval_year": ("Approval year", "批准年度"),
    "year": ("Approval year", "批准年度"),
    "why": ("Why listed", "列入原因"),
    "curation": ("Curation", "遴选记录"),
    "not_popularized": ("Not popularized", "未科普"),
    "not_popularized_pct": ("Not popularized %", "未科普比例 %"),
    "results_unpopularized": ("Projects with results unpopularized", "成果未科普项目数"),
    "concluded": ("Projects concluded", "已结题项目数"),
    "concluded_without_popularization_field": ("Concluded without popularization field", "结题未填写科普情况项目数"),
    "concluded_without_field": ("Concluded without popularization field", "结题未填写科普情况"),
    "coverage_pct": ("Coverage %", "覆盖率 %"),
    "works": ("Approved works", "科普作品数"),
    "views": ("Views", "浏览量"),
    "attendance": ("Attendance", "参与人数"),
    "awards": ("Awards", "获奖数"),
    "researchers_engaged": ("Researchers engaged", "参与科普研究人员"),
    "talent_pool_members": ("Talent-pool members", "科普人才库成员"),
    "popularized": ("Popularized", "已科普"),
    "unpopularized": ("Results unpopularized", "成果未科普"),
    "noresults": ("No known results", "尚无已知成果"),
    "other": ("Other", "其他"),
    "at": ("Time", "时间"),
    "decision": ("Decision", "决定"),
    "by": ("By", "决定人"),
}


# Values of a report's code columns as the page shows them (downloads keep the code).
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "kind": {"project": ("project", "项目"), "output": ("research output", "研究成果"),
             "representative": ("representative achievement", "代表性成果"),
             "selection": ("special-fund decision", "科普专项决定")},
    "decision": {"selected": ("selected", "入选"), "rejected": ("rejected", "未入选")},
}


# Columns that hold a controlled list's code (a tier's or a department's notation).
CODE_COLUMNS = {"tier": V.ObligationTierScheme, "department": V.DepartmentScheme}


def say(key: str, lang: str, **values) -> str:
    """The text of `key` in `lang` (Chinese for "zh", English otherwise), with its placeholders filled."""
    english, chinese = TEXTS[key]
    text = chinese if lang == "zh" else english
    return text.format(**values) if values else text


def count(key: str, n: int, lang: str) -> str:
    """A counted noun: '1 research output', '2 research outputs', '2 项研究成果'."""
    english, chinese = TEXTS[key]
    if lang == "zh":
        return chinese.format(n=n)
    singular, _, plural = english.partition("|")
    return (singular if n == 1 else plural).format(n=n)


def column_label(column: str, lang: str) -> str:
    """The heading of a report column in `lang`: a work kind's column is headed by the kind's label
    (ontology.ttl); a column named nowhere shows its key."""
    pair = COLUMNS.get(column)
    if pair is not None:
        return pair[1] if lang == "zh" else pair[0]
    kind = _work_kind_columns().get(column)
    return concepts.pref_label(kind, lang) if kind is not None else column


def value_label(column: str, value, lang: str):
    """A report cell as a reader sees it: yes/no for booleans, a tier's or department's label for its code, a kind's name;
    any other value unchanged."""
    if isinstance(value, bool):
        return say("yes" if value else "no", lang)
    if not isinstance(value, str):
        return value
    scheme = CODE_COLUMNS.get(column)
    if scheme is not None:
        concept = concepts.lookup(scheme, value)
        return concepts.pref_label(concept, lang) if concept is not None else value
    pair = VALUES.get(column, {}).get(value)
    return (pair[1] if lang == "zh" else pair[0]) if pair else value


@lru_cache(maxsize=1)
def _work_kind_columns() -> dict:
    return {name: kind for kind, name in work_kind_columns()}
