"""A small zh <-> en glossary of common research terms, for cross-language queries.

Many records carry only one language (most NSFC exports have Chinese titles and keywords
only; most OAR outputs English ones). A query term found here is also searched in the
other language, so "quantum computing" finds 量子计算 projects and the reverse. The list
holds topic terms as the funder's departments use them; general words ("研究", "method")
are left out on purpose, because translating them would only add noise.
"""
from __future__ import annotations

from functools import lru_cache

from search.analysis import fold, latin_token, words

TERMS: tuple[tuple[str, str], ...] = (
    # A Mathematical and physical sciences
    ("量子计算", "quantum computing"), ("量子信息", "quantum information"),
    ("拓扑绝缘体", "topological insulators"), ("引力波", "gravitational waves"), ("暗物质", "dark matter"),
    ("暗能量", "dark energy"), ("湍流", "turbulence"), ("偏微分方程", "partial differential equations"),
    ("超导", "superconductivity"), ("冷原子", "ultracold atoms"), ("系外行星", "exoplanets"),
    ("量子纠缠", "quantum entanglement"), ("黑洞", "black holes"), ("随机矩阵", "random matrices"),
    ("中微子", "neutrinos"), ("快速射电暴", "fast radio bursts"), ("凝聚态物理", "condensed matter physics"),
    ("等离子体", "plasma"), ("激光", "laser"), ("纳米材料", "nanomaterials"), ("石墨烯", "graphene"),
    # B Chemical sciences
    ("金属有机框架", "metal-organic frameworks"), ("单原子催化", "single-atom catalysis"),
    ("锂离子电池", "lithium-ion batteries"), ("钙钛矿太阳能电池", "perovskite solar cells"),
    ("光催化", "photocatalysis"), ("二氧化碳还原", "carbon dioxide reduction"),
    ("超分子化学", "supramolecular chemistry"), ("不对称合成", "asymmetric synthesis"),
    ("单分子检测", "single-molecule detection"), ("共价有机框架", "covalent organic frameworks"),
    ("电催化析氢", "electrocatalytic hydrogen evolution"), ("可降解塑料", "biodegradable plastics"),
    ("催化", "catalysis"), ("电池", "batteries"),
    # C Life sciences
    ("冷冻电镜", "cryo-electron microscopy"), ("基因编辑", "gene editing"), ("肠道菌群", "gut microbiota"),
    ("干细胞", "stem cells"), ("植物抗病", "plant disease resistance"), ("水稻育种", "rice breeding"),
    ("蛋白质结构", "protein structure"), ("神经环路", "neural circuits"), ("生物多样性", "biodiversity"),
    ("大熊猫保护", "giant panda conservation"), ("大熊猫", "giant panda"), ("表观遗传", "epigenetics"),
    ("合成生物学", "synthetic biology"), ("非编码RNA", "non-coding RNA"), ("候鸟迁徙", "bird migration"),
    ("基因组", "genome"), ("单细胞测序", "single-cell sequencing"), ("生态系统", "ecosystems"),
    # D Earth sciences
    ("青藏高原", "Tibetan Plateau"), ("地震预测", "earthquake forecasting"), ("地震", "earthquakes"),
    ("东亚季风", "East Asian monsoon"), ("海洋酸化", "ocean acidification"), ("冰川消融", "glacier retreat"),
    ("碳循环", "carbon cycle"), ("大气污染", "air pollution"), ("雾霾", "haze"), ("古气候", "paleoclimate"),
    ("地幔对流", "mantle convection"), ("空间天气", "space weather"), ("土壤侵蚀", "soil erosion"),
    ("台风", "typhoons"), ("气候变化", "climate change"), ("全球变暖", "global warming"),
    # E Engineering and materials
    ("高熵合金", "high-entropy alloys"), ("增材制造", "additive manufacturing"), ("3D打印", "3D printing"),
    ("氢能", "hydrogen energy"), ("智能电网", "smart grid"), ("桥梁健康监测", "bridge health monitoring"),
    ("碳纤维复合材料", "carbon fibre composites"), ("燃料电池", "fuel cells"),
    ("海上风电", "offshore wind power"), ("废水处理", "wastewater treatment"), ("高速列车", "high-speed trains"),
    ("超高性能混凝土", "ultra-high-performance concrete"), ("柔性电子", "flexible electronics"),
    ("新能源", "renewable energy"), ("机器人", "robotics"),
    # F Information sciences
    ("人工智能", "artificial intelligence"), ("深度学习", "deep learning"), ("机器学习", "machine learning"),
    ("大语言模型", "large language models"), ("量子通信", "quantum communication"),
    ("6G通信", "6G communication"), ("类脑计算", "brain-inspired computing"), ("自动驾驶", "autonomous driving"),
    ("区块链", "blockchain"), ("芯片设计", "chip design"), ("芯片", "chips"), ("光子集成", "integrated photonics"),
    ("计算机视觉", "computer vision"), ("隐私计算", "privacy-preserving computation"),
    ("自然语言处理", "natural language processing"), ("大数据", "big data"), ("云计算", "cloud computing"),
    ("网络安全", "cyber security"),
    # G Management sciences
    ("数字经济", "digital economy"), ("供应链管理", "supply chain management"),
    ("公共卫生政策", "public health policy"), ("碳交易", "carbon trading"), ("乡村振兴", "rural revitalization"),
    ("金融风险", "financial risk"), ("平台经济", "platform economy"), ("应急管理", "emergency management"),
    ("人口老龄化", "population ageing"), ("科技创新政策", "science and innovation policy"),
    # H Health sciences
    ("阿尔茨海默病", "Alzheimer's disease"), ("肺癌", "lung cancer"), ("肝癌", "liver cancer"),
    ("糖尿病", "diabetes"), ("心力衰竭", "heart failure"), ("抑郁症", "depression"),
    ("新型冠状病毒", "SARS-CoV-2"), ("新冠肺炎", "COVID-19"), ("肿瘤免疫治疗", "cancer immunotherapy"),
    ("免疫治疗", "immunotherapy"), ("高血压", "hypertension"), ("中医药", "traditional Chinese medicine"),
    ("脑卒中", "stroke"), ("近视", "myopia"), ("骨质疏松", "osteoporosis"), ("结核病", "tuberculosis"),
    ("肿瘤", "cancer"), ("疫苗", "vaccines"), ("抗生素耐药", "antibiotic resistance"),
    # T Interdisciplinary sciences
    ("脑机接口", "brain-computer interfaces"), ("科学智能", "AI for science"), ("数字孪生", "digital twins"),
    ("碳中和", "carbon neutrality"), ("量子材料", "quantum materials"), ("生物医学工程", "biomedical engineering"),
    ("智能制造", "intelligent manufacturing"),
    # Popularization itself
    ("科学普及", "science popularization"), ("科普", "science communication"),
)


@lru_cache(maxsize=1)
def zh_to_en() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for zh, en in TERMS:
        table.setdefault(fold(zh), []).append(en)
    return table


@lru_cache(maxsize=1)
def en_to_zh() -> dict[tuple[str, ...], list[str]]:
    """English terms as tuples of stemmed words (as the query parser sees them) -> Chinese."""
    table: dict[tuple[str, ...], list[str]] = {}
    for zh, en in TERMS:
        table.setdefault(en_key(en), []).append(zh)
    return table


def en_key(text: str) -> tuple[str, ...]:
    """Stemmed content words: 'Topological insulator' and 'topological insulators' agree."""
    return tuple(t for t in (latin_token(w) for w in words(text)) if t)


MAX_EN_WORDS = max(len(words) for words in en_to_zh())
