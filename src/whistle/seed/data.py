"""The facts the Heze demo is built from: places, units, industries, the problem catalogue and case wording.

Place names are Heze's own (菏泽市 and its nine counties and districts, two development zones, a few real
townships each). Enterprise and person names are invented from common parts.
"""

# ---- places ----------------------------------------------------------------------------------------

# code, full name, short name, kind, region code (the 6 digits inside a USCC), township names
COUNTIES = [
    (
        "mudan",
        "牡丹区人民政府",
        "牡丹区",
        "government",
        "371702",
        ["东城街道", "西城街道", "牡丹街道", "沙土镇", "吴店镇"],
    ),
    (
        "dingtao",
        "定陶区人民政府",
        "定陶区",
        "government",
        "371703",
        ["天中街道", "滨河街道", "陈集镇", "冉堌镇", "张湾镇"],
    ),
    (
        "caoxian",
        "曹县人民政府",
        "曹县",
        "government",
        "371721",
        ["曹城街道", "磐石街道", "庄寨镇", "大集镇", "普连集镇"],
    ),
    (
        "shanxian",
        "单县人民政府",
        "单县",
        "government",
        "371722",
        ["园艺街道", "北城街道", "郭村镇", "黄岗镇", "终兴镇"],
    ),
    ("chengwu", "成武县人民政府", "成武县", "government", "371723", ["文亭街道", "永昌街道", "大田集镇", "天宫庙镇"]),
    (
        "juye",
        "巨野县人民政府",
        "巨野县",
        "government",
        "371724",
        ["凤凰街道", "永丰街道", "麒麟镇", "章缝镇", "龙堌镇"],
    ),
    (
        "yuncheng",
        "郓城县人民政府",
        "郓城县",
        "government",
        "371725",
        ["郓州街道", "唐塔街道", "黄安镇", "杨庄集镇", "侯咽集镇"],
    ),
    (
        "juancheng",
        "鄄城县人民政府",
        "鄄城县",
        "government",
        "371726",
        ["古泉街道", "陈王街道", "什集镇", "红船镇", "旧城镇"],
    ),
    (
        "dongming",
        "东明县人民政府",
        "东明县",
        "government",
        "371728",
        ["城关街道", "渔沃街道", "东明集镇", "刘楼镇", "沙窝镇"],
    ),
    ("kaifaqu", "菏泽经济技术开发区管理委员会", "经开区", "zone", "371771", ["岳程街道", "佃户屯街道", "丹阳街道"]),
    ("gaoxinqu", "菏泽高新技术产业开发区管理委员会", "高新区", "zone", "371772", ["吕陵镇", "马岭岗镇", "万福街道"]),
]
DISTRICTS = {"mudan", "dingtao"}

# Pinyin-ish slugs for township codes, in the order of COUNTIES' township lists.
TOWNSHIP_CODES = {
    "mudan": ["dongcheng", "xicheng", "mudan", "shatu", "wudian"],
    "dingtao": ["tianzhong", "binhe", "chenji", "rangu", "zhangwan"],
    "caoxian": ["caocheng", "panshi", "zhuangzhai", "daji", "pulianji"],
    "shanxian": ["yuanyi", "beicheng", "guocun", "huanggang", "zhongxing"],
    "chengwu": ["wenting", "yongchang", "datianji", "tiangongmiao"],
    "juye": ["fenghuang", "yongfeng", "qilin", "zhangfeng", "longgu"],
    "yuncheng": ["yunzhou", "tangta", "huangan", "yangzhuangji", "houyanji"],
    "juancheng": ["guquan", "chenwang", "shiji", "hongchuan", "jiucheng"],
    "dongming": ["chengguan", "yuwo", "dongmingji", "liulou", "shawo"],
    "kaifaqu": ["yuecheng", "dianhutun", "danyang"],
    "gaoxinqu": ["lvling", "malinggang", "wanfu"],
}

# ---- units -------------------------------------------------------------------------------------------

# A department "function" is the line of work the dispatch catalogue routes to; every level has one unit per
# function (a development zone shares some, see ZONE_DEPARTMENTS).
# function: (city unit name, city short name, city kind)
CITY_DEPARTMENTS = {
    "fgw": ("菏泽市发展和改革委员会", "市发展改革委", "department"),
    "gxj": ("菏泽市工业和信息化局", "市工信局", "department"),
    "swj": ("菏泽市商务局", "市商务局", "department"),
    "zrzy": ("菏泽市自然资源和规划局", "市自然资源和规划局", "department"),
    "sthj": ("菏泽市生态环境局", "市生态环境局", "department"),
    "zjj": ("菏泽市住房和城乡建设局", "市住建局", "department"),
    "scjg": ("菏泽市市场监督管理局", "市市场监管局", "department"),
    "rsj": ("菏泽市人力资源和社会保障局", "市人社局", "department"),
    "xzsp": ("菏泽市行政审批服务局", "市行政审批局", "department"),
    "jtj": ("菏泽市交通运输局", "市交通运输局", "department"),
    "swu": ("菏泽市水务局", "市水务局", "department"),
    "yjj": ("菏泽市应急管理局", "市应急局", "department"),
    "kjj": ("菏泽市科学技术局", "市科技局", "department"),
    "jrj": ("菏泽市地方金融管理局", "市金融局", "department"),
    "czj": ("菏泽市财政局", "市财政局", "department"),
    "sfj": ("菏泽市司法局", "市司法局", "department"),
    "tax": ("国家税务总局菏泽市税务局", "市税务局", "stationed"),
    "power": ("国网菏泽供电公司", "国网菏泽供电公司", "stationed"),
    "customs": ("菏泽海关", "菏泽海关", "stationed"),
}

# function: (name template, short template, kind); {c} = the county's short name.
COUNTY_DEPARTMENTS = {
    "fgw": ("{c}发展和改革局", "{c}发改局", "department"),
    "gxj": ("{c}工业和信息化局", "{c}工信局", "department"),
    "swj": ("{c}商务局", "{c}商务局", "department"),
    "zrzy": ("{c}自然资源和规划局", "{c}自然资源局", "department"),
    "sthj": ("菏泽市生态环境局{c}分局", "{c}环境分局", "department"),
    "zjj": ("{c}住房和城乡建设局", "{c}住建局", "department"),
    "scjg": ("{c}市场监督管理局", "{c}市场监管局", "department"),
    "rsj": ("{c}人力资源和社会保障局", "{c}人社局", "department"),
    "xzsp": ("{c}行政审批服务局", "{c}行政审批局", "department"),
    "jtj": ("{c}交通运输局", "{c}交通局", "department"),
    "swu": ("{c}水务局", "{c}水务局", "department"),
    "yjj": ("{c}应急管理局", "{c}应急局", "department"),
    "tax": ("国家税务总局{c}税务局", "{c}税务局", "stationed"),
    "power": ("国网{c}供电公司", "{c}供电公司", "stationed"),
}

# A development zone has a leaner administration: one bureau serves several functions, and what it lacks
# (water, power, transport) the city's unit handles.  code suffix: (name, short, kind, functions served)
ZONE_DEPARTMENTS = {
    "jjfz": ("{z}经济发展局", "{c}经发局", "department", ["fgw", "gxj", "swj"]),
    "ghjs": ("{z}规划建设局", "{c}规划建设局", "department", ["zrzy", "zjj"]),
    "xzsp": ("{z}行政审批服务局", "{c}行政审批局", "department", ["xzsp"]),
    "scjg": ("菏泽市市场监督管理局{c}分局", "{c}市场监管分局", "department", ["scjg"]),
    "sthj": ("菏泽市生态环境局{c}分局", "{c}环境分局", "department", ["sthj"]),
    "shsy": ("{z}社会事业局", "{c}社会事业局", "department", ["rsj"]),
    "yjj": ("{z}应急管理局", "{c}应急局", "department", ["yjj"]),
    "tax": ("国家税务总局{z}税务局", "{c}税务局", "stationed", ["tax"]),
}
ZONE_NAMES = {"kaifaqu": "菏泽经济技术开发区", "gaoxinqu": "菏泽高新技术产业开发区"}

# ---- the problem catalogue and the dispatch catalogue ------------------------------------------------

# code, name, parent code, keywords, route
# route: a function code → that county's unit (a zone's, or the city's where the zone has none);
#        "city:<function>" → one rule with no area, the city unit handles it for every county;
#        None → no rule at this node (a child may have one, else the coordination office dispatches).
CATEGORIES = [
    ("policy", "政策咨询", None, "政策 咨询 申报 兑现", None),
    ("policy-subsidy", "惠企政策兑现", "policy", "奖补 补贴 兑现 申报 资金", "gxj"),
    ("policy-subsidy-techupgrade", "技术改造奖补", "policy-subsidy", "技改 设备 奖补 智能化 改造", "gxj"),
    ("policy-subsidy-trade", "外贸与商贸扶持", "policy-subsidy", "外贸 出口 展会 商贸 电商", "swj"),
    ("policy-tech", "科技创新政策", "policy", "高新技术企业 研发 科技 专精特新 认定", "city:kjj"),
    ("policy-talent", "人才政策", "policy", "人才 引进 安家 补贴 职称", "rsj"),
    ("policy-promise", "招商承诺兑现", "policy", "招商 承诺 协议 兑现 落实", None),
    ("approval", "审批服务", None, "审批 办理 许可 证照", "xzsp"),
    ("approval-license", "证照办理与变更", "approval", "营业执照 变更 注销 证照", "xzsp"),
    ("approval-project", "项目立项审批", "approval", "立项 备案 核准 项目", "xzsp"),
    ("approval-project-filing", "项目备案", "approval-project", "备案 投资项目 在线平台", "xzsp"),
    ("approval-project-energy", "节能审查", "approval-project", "节能 能评 能耗 指标", "fgw"),
    ("approval-permit", "经营许可", "approval", "许可证 经营许可 资质 延续", "xzsp"),
    ("factor", "要素保障", None, "要素 保障", None),
    ("factor-land", "用地保障", "factor", "用地 土地 指标 供地", "zrzy"),
    ("factor-land-title", "不动产登记", "factor-land", "不动产 权证 登记 土地证 房产证", "zrzy"),
    ("factor-land-supply", "土地供应与用地指标", "factor-land", "用地指标 出让 挂牌 供地 规划条件", "zrzy"),
    ("factor-power", "用电保障", "factor", "用电 电力 供电", "power"),
    ("factor-power-install", "用电报装与扩容", "factor-power", "报装 增容 变压器 专线 接电", "power"),
    ("factor-power-outage", "停电与电压问题", "factor-power", "停电 跳闸 电压 检修", "power"),
    ("factor-water", "用水保障", "factor", "用水 供水 水压 排水 管网", "swu"),
    ("factor-gas", "用气保障", "factor", "天然气 燃气 用气 管道 气价", "zjj"),
    ("factor-finance", "融资服务", "factor", "贷款 融资 续贷 担保 授信", "city:jrj"),
    ("factor-labor", "用工保障", "factor", "招工 用工 社保 培训", "rsj"),
    ("factor-labor-recruit", "招工与技能培训", "factor-labor", "招工 技工 培训 招聘会", "rsj"),
    ("factor-labor-social", "社保与稳岗", "factor-labor", "社保 稳岗 返还 缴费 工伤", "rsj"),
    ("construction", "工程建设", None, "工程 建设 施工", "zjj"),
    ("construction-permit", "施工许可", "construction", "施工许可 开工 图审", "zjj"),
    ("construction-acceptance", "竣工联合验收", "construction", "竣工 验收 备案 联合验收", "zjj"),
    ("construction-fire", "消防设计审查验收", "construction", "消防 设计审查 消防验收", "zjj"),
    ("market", "市场监管", None, "市场监管 质量 食品", "scjg"),
    ("market-quality", "质量与计量", "market", "质量 计量 检定 标准 认证", "scjg"),
    ("market-ip", "知识产权与商标", "market", "商标 专利 知识产权 侵权", "city:scjg"),
    ("market-food", "食品药品许可", "market", "食品 药品 生产许可 抽检", "scjg"),
    ("market-competition", "不正当竞争", "market", "不正当竞争 仿冒 虚假宣传 垄断", "scjg"),
    ("tax", "税费服务", None, "税 税费 发票 退税", "tax"),
    ("tax-refund", "留抵退税与出口退税", "tax", "留抵退税 出口退税 退税", "tax"),
    ("tax-invoice", "发票与申报", "tax", "发票 申报 数电票 开票", "tax"),
    ("tax-fees", "涉企收费", "tax", "收费 乱收费 中介 评估费", "fgw"),
    ("environment", "生态环保", None, "环保 环评 排污", "sthj"),
    ("env-eia", "环评审批", "environment", "环评 环境影响评价 批复", "sthj"),
    ("env-permit", "排污许可", "environment", "排污许可 排污 登记", "sthj"),
    ("env-control", "环保管控与错峰生产", "environment", "错峰 限产 管控 重污染天气 停产", "sthj"),
    ("transport", "交通物流", None, "交通 物流 运输 道路", "jtj"),
    ("transport-road", "道路与出行", "transport", "道路 路口 公交 通行 修路", "jtj"),
    ("transport-freight", "货运与大件运输", "transport", "货运 大件运输 超限 通行证", "city:jtj"),
    ("transport-customs", "进出口通关", "transport", "报关 通关 海关 进出口 保税", "city:customs"),
    ("enforcement", "涉企执法", None, "执法 检查 处罚", None),
    ("enforcement-inspection", "多头检查与重复检查", "enforcement", "检查 多头 重复 频繁", None),
    ("enforcement-penalty", "行政处罚与轻微免罚", "enforcement", "处罚 罚款 首违不罚 轻微", "city:sfj"),
    ("legal", "法律服务", None, "法律 纠纷 合同", None),
    ("legal-contract", "合同与商事纠纷", "legal", "合同 纠纷 违约 诉讼", None),
    ("legal-arrears", "拖欠企业账款", "legal", "拖欠 账款 工程款 清欠", "gxj"),
    ("safety", "安全生产", None, "安全 隐患 应急", "yjj"),
    ("safety-permit", "安全生产许可", "safety", "安全生产许可 危化品 经营许可", "yjj"),
    ("safety-inspection", "安全检查与隐患整改", "safety", "隐患 整改 安全检查 停产", "yjj"),
    ("other", "其他诉求", None, "其他", None),
    ("other-cross", "跨部门综合事项", "other", "协调 多部门 综合", None),
    ("other-suggestion", "意见建议", "other", "建议 意见 营商环境", None),
]

# Who a coordinator gives an unrouted case to (functions; "township" = the enterprise's township).
UNROUTED_CHOICES = {
    "policy-promise": ["fgw", "swj", "gxj"],
    "enforcement-inspection": ["scjg", "yjj", "sthj"],
    "legal-contract": ["township", "gxj"],
    "other-cross": ["township", "fgw", "zjj"],
    "other-suggestion": ["fgw", "xzsp", "township"],
}
# A unit that returns a case suggests the one it thinks is responsible.
RETURN_SUGGESTIONS = {
    "zrzy": "zjj",
    "zjj": "zrzy",
    "xzsp": "zjj",
    "gxj": "fgw",
    "fgw": "gxj",
    "swj": "fgw",
    "scjg": "xzsp",
    "sthj": "xzsp",
    "rsj": "gxj",
    "jtj": "zjj",
    "swu": "zjj",
    "yjj": "scjg",
    "tax": "fgw",
    "power": "gxj",
}

# How often each leaf is raised (relative): land, power, approvals and money are what enterprises ask most.
CATEGORY_WEIGHTS = {
    "policy-subsidy-techupgrade": 6,
    "policy-subsidy-trade": 3,
    "policy-tech": 4,
    "policy-talent": 3,
    "policy-promise": 2,
    "approval-license": 5,
    "approval-project-filing": 4,
    "approval-project-energy": 2,
    "approval-permit": 4,
    "factor-land-title": 6,
    "factor-land-supply": 5,
    "factor-power-install": 6,
    "factor-power-outage": 4,
    "factor-water": 3,
    "factor-gas": 3,
    "factor-finance": 7,
    "factor-labor-recruit": 5,
    "factor-labor-social": 3,
    "construction-permit": 5,
    "construction-acceptance": 4,
    "construction-fire": 3,
    "market-quality": 2,
    "market-ip": 2,
    "market-food": 2,
    "market-competition": 1,
    "tax-refund": 4,
    "tax-invoice": 2,
    "tax-fees": 2,
    "env-eia": 3,
    "env-permit": 2,
    "env-control": 3,
    "transport-road": 3,
    "transport-freight": 2,
    "transport-customs": 2,
    "enforcement-inspection": 2,
    "enforcement-penalty": 1,
    "legal-contract": 2,
    "legal-arrears": 3,
    "safety-permit": 2,
    "safety-inspection": 2,
    "other-cross": 2,
    "other-suggestion": 2,
}

# ---- enterprises -------------------------------------------------------------------------------------

# industry: (国民经济行业 label, name stems, legal-form suffixes)
INDUSTRIES = {
    "wood": ("C20 木材加工和木、竹、藤、棕、草制品业", ["木业", "板材", "林产品", "木制品", "家居"], ["有限公司"]),
    "crafts": ("C24 文教、工美、体育和娱乐用品制造业", ["工艺品", "演出服饰", "汉服文化"], ["有限公司"]),
    "pharma": ("C27 医药制造业", ["生物科技", "制药", "生物医药", "药业"], ["有限公司", "股份有限公司"]),
    "chemical": ("C26 化学原料和化学制品制造业", ["化工", "新材料", "精细化工"], ["有限公司", "股份有限公司"]),
    "petro": ("C25 石油、煤炭及其他燃料加工业", ["石化", "能源化工"], ["有限公司"]),
    "food": ("C14 食品制造业", ["食品", "农产品加工", "牡丹产业", "清真食品"], ["有限公司"]),
    "textile": ("C18 纺织服装、服饰业", ["纺织", "服饰", "制衣"], ["有限公司"]),
    "hair": ("C19 皮革、毛皮、羽毛及其制品和制鞋业", ["发制品", "假发制品"], ["有限公司"]),
    "machinery": ("C34 通用设备制造业", ["机械", "机电设备", "重工", "智能装备"], ["有限公司"]),
    "auto": ("C36 汽车制造业", ["汽车零部件", "专用车辆"], ["有限公司"]),
    "energy": ("C38 电气机械和器材制造业", ["新能源", "储能科技", "光伏科技"], ["有限公司", "股份有限公司"]),
    "electronics": ("C39 计算机、通信和其他电子设备制造业", ["电子科技", "半导体"], ["有限公司"]),
    "logistics": ("G58 多式联运和运输代理业", ["物流", "供应链管理", "国际货运代理"], ["有限公司"]),
    "building": ("C30 非金属矿物制品业", ["建材", "新型建材", "玻璃制品"], ["有限公司"]),
    "agri": ("A01 农业", ["农业科技", "农业发展", "果蔬"], ["有限公司"]),
}
# Each county's industrial profile (relative weights), after the city's own accounts of its clusters.
COUNTY_INDUSTRIES = {
    "caoxian": {"wood": 8, "crafts": 5, "food": 2, "agri": 2, "machinery": 1},
    "mudan": {"food": 3, "pharma": 3, "logistics": 3, "machinery": 2, "building": 1},
    "dingtao": {"pharma": 5, "building": 2, "machinery": 2, "food": 1},
    "shanxian": {"chemical": 3, "energy": 3, "food": 3, "textile": 1},
    "chengwu": {"pharma": 3, "auto": 3, "chemical": 2, "food": 1},
    "juye": {"chemical": 4, "machinery": 2, "crafts": 1, "building": 2},
    "yuncheng": {"textile": 4, "wood": 2, "food": 2, "machinery": 1},
    "juancheng": {"hair": 5, "textile": 2, "food": 2},
    "dongming": {"petro": 4, "chemical": 3, "energy": 2, "logistics": 1},
    "kaifaqu": {"machinery": 3, "energy": 3, "electronics": 2, "auto": 1},
    "gaoxinqu": {"electronics": 3, "pharma": 3, "chemical": 2, "energy": 1},
}
COUNTY_WEIGHTS = {
    "caoxian": 14,
    "mudan": 12,
    "dingtao": 8,
    "shanxian": 10,
    "chengwu": 8,
    "juye": 9,
    "yuncheng": 10,
    "juancheng": 8,
    "dongming": 9,
    "kaifaqu": 7,
    "gaoxinqu": 5,
}

BRANDS = [
    "华泰",
    "鑫源",
    "金润",
    "宏达",
    "瑞丰",
    "恒信",
    "泰和",
    "永盛",
    "德润",
    "汇通",
    "昌盛",
    "鲁西",
    "曹州",
    "牡丹",
    "天华",
    "博远",
    "嘉禾",
    "丰源",
    "誉诚",
    "中信达",
    "立新",
    "祥瑞",
    "亿丰",
    "正大",
    "圣源",
    "华美",
    "富达",
    "鸿运",
    "东方",
    "锦华",
    "新世纪",
    "利民",
    "兴业",
    "银河",
    "聚源",
    "康达",
    "润泽",
    "九州",
    "金龙",
    "海川",
    "益民",
    "朗润",
    "明德",
    "远航",
    "安泰",
    "信诺",
    "华瑞",
    "晨光",
    "宏图",
    "荣昌",
    "恒泰",
    "盛世",
    "泓业",
    "君和",
    "万隆",
    "天成",
    "弘毅",
    "鼎盛",
    "中科",
    "齐鲁",
    "尧舜",
    "伯乐",
    "水浒",
    "黄河",
    "浮龙",
    "青荷",
    "帝尧",
    "定陶",
    "百川",
    "沃源",
    "华邦",
]
NAME_PREFIXES = ["山东", "菏泽", "{c}"]
DEMO_ENTERPRISE = ("曹县鑫鸿源木业有限公司", "caoxian", "wood", "庄寨镇")

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华飞玉兰建国志红海燕鹏辉鑫宇晨浩凯博文斌波健亮俊峰利民庆东林雪梅琳丹萍"
MOBILE_PREFIXES = [
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "158",
    "159",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
]
ROADS = [
    "长江路",
    "黄河路",
    "人民路",
    "中华路",
    "牡丹路",
    "华英路",
    "和平路",
    "青年路",
    "丹阳路",
    "解放街",
    "工业园路",
    "开发区大道",
    "建设路",
    "太行山路",
    "珠江路",
    "昆明路",
    "南京路",
    "兰州路",
    "广州路",
    "府前街",
]

# ---- case wording ------------------------------------------------------------------------------------

# Per leaf category: (title, description) templates. Fields: {ent} enterprise, {town} township, {county} county,
# {n} a small number, {amt} an amount in 万元, {month} a month, {kva} a transformer size.
TEMPLATES = {
    "policy-subsidy-techupgrade": [
        (
            "技改项目奖补资金尚未拨付",
            "我公司{month}月完成的智能化技术改造项目已通过验收，申报了技改奖补{amt}万元，公示结束已{n}个月仍未拨付，请帮助协调落实。",
        ),
        (
            "咨询设备更新贷款贴息申报条件",
            "我公司计划购置{n}台数控设备进行产线升级，想了解今年设备更新贴息和技改奖补的申报条件、时间和所需材料。",
        ),
    ],
    "policy-subsidy-trade": [
        (
            "境外参展补贴申请进度",
            "我公司参加了广交会和海外展会，按政策可申请参展补贴，材料已报{county}商务局，想了解审核进度。",
        ),
        (
            "跨境电商出口扶持政策咨询",
            "我公司在{town}开展跨境电商业务，年出口额约{amt}万元，请问是否符合跨境电商扶持政策，如何申报？",
        ),
    ],
    "policy-tech": [
        ("高新技术企业认定咨询", "我公司研发投入占比较高，拟申报高新技术企业，请指导研发费用归集口径和知识产权条件。"),
        ("专精特新企业申报指导", "我公司深耕细分领域多年，想申报省级专精特新中小企业，请帮助解读评价指标并提供辅导。"),
    ],
    "policy-talent": [
        (
            "引进人才安家补贴申请",
            "我公司今年引进{n}名硕士研究生，按人才政策可享受安家补贴，不清楚申报渠道和时间，请帮助解答。",
        ),
        (
            "技术人员职称评审咨询",
            "我公司有{n}名工程技术人员希望参加中级职称评审，民营企业人员申报渠道不清楚，请予指导。",
        ),
    ],
    "policy-promise": [
        (
            "招商协议约定的配套条件未落实",
            "我公司{month}月签约落户{town}，协议约定的道路和配套管网至今未完成，影响项目按期投产，请协调兑现。",
        ),
        (
            "入园协议约定的奖励未兑现",
            "按入园协议，项目投产后可获得{amt}万元扶持资金，企业已按约投产{n}个月，奖励仍未兑现，请协调。",
        ),
    ],
    "approval-license": [
        (
            "营业执照经营范围变更受阻",
            "我公司需增加经营范围，网上办理系统提示前置许可缺失，请帮助说明需要哪些材料，能否一次办好。",
        ),
        (
            "企业迁入登记手续咨询",
            "我公司计划从外省整体迁入{county}，涉及营业执照迁移、税务迁移和资质变更，请提供一次性办理指导。",
        ),
    ],
    "approval-project-filing": [
        (
            "投资项目备案信息修改",
            "我公司在线平台备案的项目投资额由{amt}万元调整，需修改备案信息，系统无法提交，请帮助处理。",
        ),
        (
            "新建厂房项目备案咨询",
            "我公司拟在{town}新建厂房约{n}千平方米，请问项目备案需要哪些前置条件，多长时间可以办完？",
        ),
    ],
    "approval-project-energy": [
        (
            "项目节能审查办理时间过长",
            "我公司扩建项目节能报告已提交{n}周，尚未出具审查意见，影响后续开工，请协调加快办理。",
        ),
        ("新增能耗指标咨询", "我公司新上生产线年综合能耗约{n}千吨标准煤，请问能耗指标如何取得、是否需要等量替代？"),
    ],
    "approval-permit": [
        (
            "经营许可证延续办理",
            "我公司的经营许可证将于{month}月到期，申请延续时提示需重新现场核查，请说明流程并尽快安排。",
        ),
        ("危险化学品经营许可办理", "我公司新增仓储设施，需办理危险化学品经营许可证，请明确办理要求和审批时限。"),
    ],
    "factor-land-title": [
        (
            "厂区不动产权证办理迟缓",
            "我公司位于{town}的厂房已竣工验收，申请不动产首次登记{n}个月仍未办结，影响银行抵押贷款，请协调。",
        ),
        (
            "历史遗留厂房无法办证",
            "我公司早年建设的厂房因手续不全一直无法办理不动产证，影响企业融资，请帮助研究解决办法。",
        ),
    ],
    "factor-land-supply": [
        (
            "扩建项目缺少用地指标",
            "我公司订单增长，扩建项目需新增用地约{n}十亩，{town}园区暂无可用指标，请协调解决项目用地。",
        ),
        ("已摘牌土地迟迟未交地", "我公司已缴清土地出让金{amt}万元，土地至今未完成净地交付，项目无法开工，请协调。"),
    ],
    "factor-power-install": [
        (
            "新厂区用电报装进度慢",
            "我公司新厂区申请{kva}千伏安变压器报装已{n}周，现场勘查后一直没有进展，投产在即，请协调加快接电。",
        ),
        (
            "生产线扩容需增加用电容量",
            "我公司新增{n}条生产线，现有变压器容量不足，申请增容{kva}千伏安，请指导办理并缩短时限。",
        ),
    ],
    "factor-power-outage": [
        ("厂区近期频繁停电", "我公司所在{town}线路近一个月停电{n}次且未提前通知，造成设备损坏和订单延误，请尽快排查。"),
        ("电压不稳影响生产设备", "我公司生产时电压波动大，数控设备频繁报警停机，请供电部门到现场检测并整改。"),
    ],
    "factor-water": [
        ("厂区供水水压不足", "我公司位于{town}，高峰时段供水水压不足，锅炉和冷却系统无法正常运行，请协调解决。"),
        ("园区雨污管网未接通", "我公司所在园区雨污管网尚未接通，雨季厂区积水严重，请协调尽快完成管网建设。"),
    ],
    "factor-gas": [
        (
            "天然气开户通气周期过长",
            "我公司申请工业用天然气开户已{n}周，燃气公司称需排队施工，影响烘干线投产，请协调加快。",
        ),
        (
            "工业用气价格调整咨询",
            "近期工业用气价格调整，我公司月用气量约{n}万立方米，请说明价格调整依据及是否有优惠政策。",
        ),
    ],
    "factor-finance": [
        (
            "流动资金贷款续贷困难",
            "我公司{amt}万元流动资金贷款即将到期，银行要求先还后贷，企业资金周转困难，请协调无还本续贷。",
        ),
        (
            "申请政府性融资担保",
            "我公司订单充足但缺少抵押物，希望申请政府性融资担保贷款约{amt}万元，请帮助对接担保机构和银行。",
        ),
    ],
    "factor-labor-recruit": [
        ("旺季招工难，缺少熟练工人", "我公司旺季缺少熟练工人约{n}十人，请帮助对接{county}人社部门举办专场招聘会。"),
        ("申请企业新型学徒制培训", "我公司计划组织{n}十名员工参加技能培训，请问如何申请职业技能培训补贴和新型学徒制。"),
    ],
    "factor-labor-social": [
        ("稳岗返还资金未到账", "我公司符合失业保险稳岗返还条件，公示名单中有我公司，资金至今未到账，请帮助查询。"),
        ("社保缴费基数调整咨询", "今年社保缴费基数调整后企业负担加重，请说明调整依据，企业是否可以申请缓缴。"),
    ],
    "construction-permit": [
        (
            "厂房施工许可办理慢",
            "我公司{town}新建厂房施工图审查已通过，施工许可证申请{n}周仍未办下，影响施工进度，请协调。",
        ),
        (
            "分期办理施工许可咨询",
            "我公司项目规模较大，希望分阶段办理施工许可先行开工基础工程，请问是否可行及所需材料。",
        ),
    ],
    "construction-acceptance": [
        (
            "竣工联合验收迟迟不能组织",
            "我公司新建车间已完工，申请竣工联合验收{n}周，相关部门时间一直协调不上，请帮助组织验收。",
        ),
        ("验收整改意见不明确", "竣工验收提出的整改意见较笼统，企业不清楚具体整改标准，请相关部门到现场指导。"),
    ],
    "construction-fire": [
        (
            "消防验收整改标准不一致",
            "我公司仓库消防验收先后两次提出不同整改要求，企业无所适从，请统一标准并一次性告知。",
        ),
        ("消防设计审查进度咨询", "我公司厂房消防设计文件已提交{n}周，尚未出具审查意见，请帮助查询进度。"),
    ],
    "market-quality": [
        ("产品计量器具检定预约难", "我公司有{n}台计量器具需要年检，检定机构排期较长，影响出厂检验，请协调。"),
        ("企业标准备案咨询", "我公司新开发一款产品，没有对应国家标准，请指导企业标准自我声明公开和备案。"),
    ],
    "market-ip": [
        ("商标被他人恶意抢注", "我公司使用多年的商标被外地公司抢先注册，现在对方要求我公司停止使用，请提供维权指导。"),
        ("专利质押融资咨询", "我公司拥有{n}项发明专利，想通过专利质押获得贷款，请帮助对接评估机构和银行。"),
    ],
    "market-food": [
        ("食品生产许可变更", "我公司新增{n}个产品品类，需变更食品生产许可，现场核查排期较长，请帮助加快。"),
        ("产品抽检结果有异议", "我公司产品被抽检判定不合格，企业认为检测方法有误，申请复检，请说明复检程序。"),
    ],
    "market-competition": [
        ("外地企业仿冒我公司包装", "外地企业生产的产品包装与我公司高度相似，误导消费者，请市场监管部门调查处理。"),
    ],
    "tax-refund": [
        (
            "增值税留抵退税审核时间长",
            "我公司申请增值税留抵退税{amt}万元，已提交{n}周，尚未审核完成，企业资金紧张，请协调加快。",
        ),
        ("出口退税办理咨询", "我公司今年开始自营出口，不熟悉出口退（免）税申报流程，请税务部门上门辅导。"),
    ],
    "tax-invoice": [
        ("数电发票开票额度不足", "我公司业务量增长，数电发票开票额度不够用，申请调整额度后一直未批复，请协助处理。"),
        ("研发费用加计扣除申报咨询", "我公司首次申报研发费用加计扣除，对研发项目归集口径不清楚，请提供辅导。"),
    ],
    "tax-fees": [
        (
            "中介机构评估收费偏高",
            "我公司办理项目审批时被要求委托指定中介做评估，收费{amt}万元明显偏高，请核查是否合规。",
        ),
        ("涉企收费项目咨询", "我公司办理相关手续时被收取多项费用，请公布涉企收费清单，明确哪些属于应收项目。"),
    ],
    "env-eia": [
        ("技改项目环评审批进度", "我公司技改项目环评报告表已提交{n}周，请帮助查询审批进度，争取尽快取得批复。"),
        ("环评类别判定咨询", "我公司拟新增一条生产线，不确定需编制报告书、报告表还是登记表，请环保部门予以判定。"),
    ],
    "env-permit": [
        ("排污许可证重新申请", "我公司扩产后排放量变化，需要重新申请排污许可证，请指导办理流程和材料。"),
    ],
    "env-control": [
        (
            "重污染天气管控被要求停产",
            "重污染天气期间我公司被要求全面停产，企业已完成超低排放改造，请核实是否可纳入绩效分级豁免。",
        ),
        ("申请环保绩效评级", "我公司完成了环保设施升级改造，希望申请环保绩效评级，减少错峰生产对订单的影响。"),
    ],
    "transport-road": [
        ("厂区门前道路损坏严重", "{town}工业园区通往我公司的道路破损严重，货车通行困难，雨天更甚，请协调修复。"),
        ("园区公交线路开通建议", "我公司所在园区员工上下班不便，建议开通或延伸公交线路，方便{n}百名员工通勤。"),
    ],
    "transport-freight": [
        ("大件运输通行证办理", "我公司生产的设备需运往外省，超限运输通行证申请{n}天未办结，影响交货，请协调。"),
    ],
    "transport-customs": [
        ("出口货物通关时间长", "我公司出口货物在菏泽内陆港报关查验时间较长，影响船期，请协调提高通关效率。"),
        ("申请海关高级认证企业", "我公司进出口额逐年增长，希望申请海关AEO高级认证，请海关提供培育辅导。"),
    ],
    "enforcement-inspection": [
        (
            "一个月内多次重复检查",
            "本月已有{n}批次不同部门到我公司检查，检查内容重复，影响正常生产，请协调实行联合检查。",
        ),
    ],
    "enforcement-penalty": [
        ("轻微违法能否适用首违不罚", "我公司因标识不规范被立案调查，属首次且已立即改正，请问能否适用首违不罚清单。"),
    ],
    "legal-contract": [
        ("合作方长期拖欠货款", "外地合作方拖欠我公司货款{amt}万元已一年多，协商无果，请帮助提供法律援助和调解。"),
        ("合同纠纷调解申请", "我公司与{town}一家企业因设备质量发生合同纠纷，希望通过商事调解解决，请协调调解组织。"),
    ],
    "legal-arrears": [
        ("政府项目工程款被拖欠", "我公司承建的{town}公共设施项目已完成审计，尚有工程款{amt}万元未支付，请协调清欠。"),
        ("国有企业拖欠货款", "某国有企业拖欠我公司货款{amt}万元已超合同约定期限{n}个月，请帮助协调支付。"),
    ],
    "safety-permit": [
        (
            "安全生产许可证延期",
            "我公司安全生产许可证将于{month}月到期，申请延期需要的安全评价报告标准不清楚，请予指导。",
        ),
    ],
    "safety-inspection": [
        ("隐患整改复查申请", "我公司按要求完成了安全隐患整改，申请尽快复查，以便恢复受影响车间的生产。"),
        ("安全生产标准化咨询", "我公司希望开展安全生产标准化建设，请应急管理部门推荐指导服务并说明达标要求。"),
    ],
    "other-cross": [
        (
            "厂区周边违建影响消防通道",
            "我公司厂区周边有违章建筑堵塞消防通道，涉及多个部门，反映多次未解决，请统筹协调。",
        ),
        (
            "项目建设涉及多部门手续衔接",
            "我公司项目在规划、施工、供电手续间衔接不畅，各部门互为前置，请吹哨办牵头协调。",
        ),
    ],
    "other-suggestion": [
        ("建议延长政务大厅周末服务", "企业工作日生产繁忙，建议政务服务大厅周末增加综合窗口服务，方便企业办事。"),
        ("建议优化惠企政策推送", "惠企政策较分散，建议按企业行业和规模精准推送，并提供免申即享清单。"),
    ],
}

KIND_WEIGHTS = {"help": 46, "consult": 24, "complaint": 12, "suggestion": 10, "report": 8}
# Categories whose wording reads as a suggestion or a consultation get that kind.
CATEGORY_KIND = {
    "other-suggestion": "suggestion",
    "market-competition": "report",
    "enforcement-inspection": "complaint",
}

OPINIONS = [
    "已与企业负责人沟通，明确办理路径，拟于{n}个工作日内办结。",
    "已到企业现场核实情况，问题属实，正在协调相关科室办理。",
    "已召开专题会议研究，制定了解决方案，正按计划推进。",
    "已向企业解释政策依据，并安排专人跟踪办理。",
]
REPLIES = [
    "经现场核查和协调，问题已解决，企业已确认。",
    "已按政策规定办理完毕，相关结果已告知企业负责人。",
    "已协调有关单位完成办理，后续将持续跟踪服务。",
    "已对企业进行政策辅导，企业表示清楚办理要求。",
]
RETURN_REASONS = [
    "该事项不属于本单位职责，建议转{unit}办理。",
    "经核实，该事项的主管部门为{unit}，申请退回重新派单。",
]
EXTENSION_REASONS = [
    "需等待上级部门批复，申请延期办理。",
    "涉及多个部门会商，方案尚在研究，申请延期。",
    "需委托第三方检测，检测周期较长，申请延期。",
]
FOLLOW_UP_COMMENTS = {
    "satisfied": ["办理及时，非常满意", "部门主动上门服务，问题解决了", "感谢帮助，效率很高"],
    "basically_satisfied": ["基本解决，希望后续继续跟进", "办理时间稍长，总体满意"],
    "unsatisfied": ["问题没有实质解决，仍影响生产", "答复敷衍，没有到现场核实"],
}
