"""The demo's content: who signs in, the two stores with their catalogues and promotions, the
shoppers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from weshop.stores.models import Role

OPERATOR_PHONE = "13900000001"
OPERATOR_PASSWORD = "weshop-admin"
STAFF_PASSWORD = "weshop-demo"


@dataclass(frozen=True)
class Login:
    who: str
    phone: str
    password: str | None  # None: signs in with a one-time code


@dataclass(frozen=True)
class StorePromotions:
    """Request bodies, as the merchant console would send them."""

    shipping_template: dict[str, Any]
    full_reductions: tuple[dict[str, Any], ...]
    coupons: tuple[dict[str, Any], ...]
    member_levels: tuple[dict[str, Any], ...]


def shipping(first_fee_fen: int, free_over_fen: int) -> dict[str, Any]:
    """Per piece across the mainland, dearer to the far west, free over a threshold."""
    return {
        "name": "默认运费",
        "charge_by": "piece",
        "rules": [
            {
                "provinces": [],
                "first_units": 1,
                "first_fee_fen": first_fee_fen,
                "additional_units": 1,
                "additional_fee_fen": 100,
            },
            {
                "provinces": ["新疆维吾尔自治区", "西藏自治区"],
                "first_units": 1,
                "first_fee_fen": 2000,
                "additional_units": 1,
                "additional_fee_fen": 800,
            },
        ],
        "free_over_fen": free_over_fen,
        "unreachable_provinces": ["台湾省"],
    }


def coupon(name: str, kind: str, **terms: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "valid_days_after_claim": 30,
        "total_quantity": 1000,
        "per_shopper_limit": 1,
        **terms,
    }


LEVELS = (
    {"name": "普通会员", "growth_threshold": 0, "pay_percent": 100},
    {"name": "银卡会员", "growth_threshold": 500, "pay_percent": 98},
    {"name": "金卡会员", "growth_threshold": 2000, "pay_percent": 95},
)


@dataclass(frozen=True)
class StoreSpec:
    name: str
    description: str
    owner_name: str
    staff_phones: dict[Role, str]
    categories: tuple[str, ...]
    products: tuple[dict[str, Any], ...]
    promotions: StorePromotions


@dataclass(frozen=True)
class ShopperSpec:
    name: str
    phone: str
    address: dict[str, str]


def weighed(
    title: str,
    subtitle: str,
    description: str,
    category: str,
    options: list[tuple[str, int, int]],
) -> dict[str, Any]:
    """Farm produce sold by weight: one 规格 dimension, a price and a stock per option."""
    return {
        "title": title,
        "subtitle": subtitle,
        "description": description,
        "category": category,
        "specs": [{"name": "规格", "values": [value for value, _, _ in options]}],
        "default_price_fen": options[0][1],
        "default_stock": options[0][2],
        "publish": True,
        "skus": [
            {"spec_values": {"规格": value}, "price_fen": price, "stock": stock}
            for value, price, stock in options
        ],
    }


def apparel(
    title: str,
    subtitle: str,
    description: str,
    category: str,
    price_fen: int,
    colours: list[str],
    sizes: list[str],
    *,
    stock: int = 40,
    low_stock: dict[tuple[str, str], int] | None = None,
    surcharge: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Clothing: a 颜色 × 尺码 matrix; larger sizes may cost more, a few SKUs run low."""
    low_stock, surcharge = low_stock or {}, surcharge or {}
    overrides = [
        {
            "spec_values": {"颜色": colour, "尺码": size},
            "price_fen": price_fen + surcharge.get(size, 0),
            "stock": low_stock.get((colour, size), stock),
        }
        for colour in colours
        for size in sizes
        if size in surcharge or (colour, size) in low_stock
    ]
    return {
        "title": title,
        "subtitle": subtitle,
        "description": description,
        "category": category,
        "specs": [{"name": "颜色", "values": colours}, {"name": "尺码", "values": sizes}],
        "default_price_fen": price_fen,
        "default_stock": stock,
        "publish": True,
        "skus": overrides,
    }


TOPS = ["S", "M", "L", "XL"]
WAIST = ["28", "30", "32", "34"]
SOCKS = ["35-39", "40-44"]

FARM = StoreSpec(
    name="山野农场",
    description="浙江、福建、云南与东北山区合作农户的当季农产品,产地直发,坏果包赔。",
    owner_name="林山",
    staff_phones={
        Role.OWNER: "13900000101",
        Role.OPERATOR: "13900000102",
        Role.FINANCE: "13900000103",
        Role.CUSTOMER_SERVICE: "13900000104",
    },
    categories=("茶叶", "蜂蜜", "米面杂粮", "山珍干货"),
    promotions=StorePromotions(
        shipping_template=shipping(first_fee_fen=800, free_over_fen=9900),
        full_reductions=(
            {
                "name": "山野满减",
                "kind": "amount",
                "tiers": [
                    {"threshold_fen": 19900, "amount_off_fen": 2000},
                    {"threshold_fen": 39900, "amount_off_fen": 5000},
                ],
            },
        ),
        coupons=(
            coupon("满99减10", "fixed", amount_off_fen=1000, threshold_fen=9900),
            coupon("新客无门槛5元", "no_threshold", amount_off_fen=500),
        ),
        member_levels=LEVELS,
    ),
    products=(
        weighed(
            "明前西湖龙井 2025新茶",
            "龙井村核心产区 · 手工炒制 · 豆香清雅",
            "清明前采摘一芽一叶,老师傅铁锅手工青锅、辉锅,扁平光滑,汤色嫩绿明亮。",
            "茶叶",
            [("50g", 12800, 40), ("100g", 23800, 30), ("250g", 55800, 4)],
        ),
        weighed(
            "武夷山正岩大红袍",
            "传统炭焙 · 岩骨花香",
            "武夷山正岩产区茶园,传统工艺三焙三晾,岩韵明显,耐冲泡七泡以上。",
            "茶叶",
            [("125g", 9800, 60), ("250g", 18800, 40), ("500g", 35800, 3)],
        ),
        weighed(
            "勐海古树普洱生茶饼",
            "百年古树单株 · 357g 标准饼",
            "云南勐海布朗山古树春茶,日晒毛茶石磨压制,回甘迅速,适合收藏转化。",
            "茶叶",
            [("单饼 357g", 16800, 25), ("三饼装", 48000, 10), ("七饼一提", 108000, 2)],
        ),
        weighed(
            "安吉白茶 明前特级",
            "氨基酸含量高 · 鲜爽不苦",
            "安吉溪龙乡高山茶园,叶白脉绿,滋味鲜爽,冷泡热泡皆宜。",
            "茶叶",
            [("100g", 15800, 50), ("250g", 36800, 20)],
        ),
        weighed(
            "福鼎白牡丹 老白茶饼",
            "2019年原料 · 枣香显",
            "福鼎太姥山白牡丹,自然萎凉干燥后压饼存放五年,可泡可煮。",
            "茶叶",
            [("150g", 8800, 45), ("300g", 16800, 25)],
        ),
        weighed(
            "秦岭土蜂蜜 百花蜜",
            "中华蜂老式木桶 · 一年一取",
            "秦岭深山散养中华蜂,采百花酿成,天然成熟蜜,浓度高,冬季易结晶。",
            "蜂蜜",
            [("250g", 3900, 120), ("500g", 6800, 80), ("1kg", 12800, 30)],
        ),
        weighed(
            "长白山椴树雪蜜",
            "结晶如雪 · 入口即化",
            "长白山椴树花期采收,自然结晶洁白细腻,清香甘甜。",
            "蜂蜜",
            [("500g", 7800, 60), ("1kg", 14800, 20)],
        ),
        weighed(
            "陕北红枣花蜜",
            "枣花盛开时节采收 · 琥珀色",
            "陕北黄河沿岸枣园,蜜色琥珀,略带枣香,适合冲水与烘焙。",
            "蜂蜜",
            [("500g", 4900, 70), ("1kg", 8900, 2)],
        ),
        weighed(
            "洋槐蜜 农家自产",
            "不易结晶 · 清淡爽口",
            "河南伏牛山洋槐花期采收,水白透亮,口感清淡,不易结晶。",
            "蜂蜜",
            [("250g", 3500, 90), ("500g", 5900, 60), ("1kg", 10800, 25)],
        ),
        weighed(
            "五常稻花香大米 2025新米",
            "产地直发 · 当季现磨",
            "黑龙江五常核心产区稻花香2号,一季一收,米粒细长,饭香浓郁。",
            "米面杂粮",
            [("2.5kg", 5900, 200), ("5kg", 10900, 150), ("10kg", 19900, 60)],
        ),
        weighed(
            "东北有机小米",
            "黄金苗小米 · 熬粥出米油",
            "赤峰敖汉旗旱作小米,有机认证,颗粒饱满,熬粥香浓。",
            "米面杂粮",
            [("500g", 1590, 150), ("1kg", 2890, 100), ("2.5kg", 6590, 40)],
        ),
        weighed(
            "云南高原红米",
            "元阳梯田 · 粗粮好搭档",
            "哈尼梯田种植的老品种红米,富含膳食纤维,建议与白米一起煮。",
            "米面杂粮",
            [("1kg", 2800, 80), ("2.5kg", 6200, 30)],
        ),
        weighed(
            "古田特级花菇",
            "椴木栽培 · 菌盖厚实",
            "福建古田椴木花菇,冬季低温慢长,裂纹清晰,泡发后肉厚味浓。",
            "山珍干货",
            [("250g", 5800, 80), ("500g", 10800, 50), ("1kg", 19800, 5)],
        ),
        weighed(
            "东北秋木耳",
            "小碗耳 · 无根无沙",
            "黑龙江东宁秋季采收的椴木黑木耳,朵小肉厚,泡发率高。",
            "山珍干货",
            [("250g", 3800, 100), ("500g", 6900, 60)],
        ),
        weighed(
            "云南野生羊肚菌",
            "整朵干货 · 香气浓郁",
            "云南丽江高山野生羊肚菌,人工挑选整朵晾干,炖汤鲜香。",
            "山珍干货",
            [("50g", 12800, 15), ("100g", 23800, 3)],
        ),
    ),
)

STUDIO = StoreSpec(
    name="简衣工坊",
    description="自有工厂出品的基础款服饰:舒适面料、简洁剪裁,男女同款,七天无理由退换。",
    owner_name="苏简",
    staff_phones={
        Role.OWNER: "13900000201",
        Role.OPERATOR: "13900000202",
        Role.FINANCE: "13900000203",
        Role.CUSTOMER_SERVICE: "13900000204",
    },
    categories=("T恤", "卫衣", "牛仔裤", "袜子"),
    promotions=StorePromotions(
        shipping_template=shipping(first_fee_fen=600, free_over_fen=19900),
        full_reductions=(
            {
                "name": "换季满折",
                "kind": "percent",
                "tiers": [
                    {"threshold_fen": 29900, "percent_off": 5},
                    {"threshold_fen": 49900, "percent_off": 10},
                ],
            },
        ),
        coupons=(
            coupon("满199减20", "fixed", amount_off_fen=2000, threshold_fen=19900),
            coupon("全场9折券", "percent", percent_off=10, cap_fen=3000, threshold_fen=10000),
        ),
        member_levels=LEVELS,
    ),
    products=(
        apparel(
            "重磅纯棉短袖T恤 260g",
            "厚实不透 · 领口不易变形",
            "260g 精梳棉,双股螺纹领口,预缩处理,洗后不易变形。",
            "T恤",
            7900,
            ["白色", "黑色", "燕麦色"],
            TOPS,
            low_stock={("白色", "XL"): 2, ("黑色", "S"): 1},
        ),
        apparel(
            "新疆长绒棉圆领T恤",
            "柔软亲肤 · 四季可穿",
            "新疆长绒棉,纱支细密,手感顺滑,适合贴身穿着。",
            "T恤",
            9900,
            ["白色", "浅灰", "藏青"],
            TOPS,
        ),
        apparel(
            "宽松落肩印花T恤",
            "原创插画 · 水性环保印花",
            "落肩宽松版型,原创山野插画,水性印花透气不闷。",
            "T恤",
            8900,
            ["白色", "黑色", "雾蓝"],
            TOPS,
        ),
        apparel(
            "华夫格长袖T恤",
            "立体华夫格 · 春秋打底",
            "华夫格肌理面料,透气有型,单穿或打底都合适。",
            "T恤",
            10900,
            ["米白", "咖啡", "墨绿"],
            TOPS,
            low_stock={("墨绿", "L"): 3},
        ),
        apparel(
            "加绒连帽卫衣",
            "内里加绒 · 冬季保暖",
            "400g 毛圈加绒面料,双层帽,袖口下摆罗纹收口,保暖不臃肿。",
            "卫衣",
            19900,
            ["黑色", "灰色", "藏青"],
            TOPS,
            surcharge={"XL": 1000},
        ),
        apparel(
            "复古水洗圆领卫衣",
            "做旧水洗 · 柔软不起球",
            "成衣水洗工艺,色泽自然复古,面料柔软,不易起球。",
            "卫衣",
            16900,
            ["烟灰", "雾蓝", "奶白"],
            TOPS,
        ),
        apparel(
            "拉链开衫连帽卫衣",
            "金属拉链 · 多场景叠穿",
            "YKK 金属拉链,两侧插袋,可作外套也可叠穿。",
            "卫衣",
            21900,
            ["黑色", "炭灰", "卡其"],
            TOPS,
            surcharge={"XL": 1000},
            low_stock={("卡其", "M"): 2},
        ),
        apparel(
            "美式字母印花卫衣",
            "复古字母 · 宽松版型",
            "美式复古字母印花,落肩宽松,情侣同款。",
            "卫衣",
            17900,
            ["白色", "黑色", "酒红"],
            TOPS,
        ),
        apparel(
            "经典直筒牛仔裤",
            "13.5oz 原色丹宁 · 不挑身材",
            "13.5 盎司纯棉丹宁,经典五袋款直筒版型,越穿越合身。",
            "牛仔裤",
            23900,
            ["浅蓝", "深蓝", "黑色"],
            WAIST,
            low_stock={("深蓝", "34"): 2},
        ),
        apparel(
            "修身弹力牛仔裤",
            "高弹面料 · 久坐不勒",
            "棉氨混纺弹力丹宁,修身不紧绷,日常通勤舒适。",
            "牛仔裤",
            21900,
            ["深蓝", "烟灰", "黑色"],
            WAIST,
        ),
        apparel(
            "高腰阔腿牛仔裤",
            "垂坠显高 · 复古水洗",
            "高腰设计拉长腿部比例,阔腿垂坠,复古水洗色。",
            "牛仔裤",
            25900,
            ["浅蓝", "复古蓝", "白色"],
            WAIST,
        ),
        apparel(
            "工装宽松牛仔裤",
            "多口袋 · 耐磨耐穿",
            "加厚丹宁工装款,侧边立体口袋,宽松直筒,耐磨耐穿。",
            "牛仔裤",
            25900,
            ["深蓝", "黑色", "卡其"],
            WAIST,
            surcharge={"34": 1000},
        ),
        apparel(
            "精梳棉中筒袜 5双装",
            "吸汗透气 · 不掉跟",
            "精梳棉混纺,加固袜跟袜头,吸汗透气,一盒五双同色。",
            "袜子",
            3900,
            ["黑色", "白色", "灰色"],
            SOCKS,
            stock=120,
        ),
        apparel(
            "羊毛混纺加厚袜 3双装",
            "30% 羊毛 · 冬季保暖",
            "含 30% 羊毛的毛圈加厚袜,保暖吸湿,冬季户外适用。",
            "袜子",
            4900,
            ["燕麦色", "炭灰", "藏青"],
            SOCKS,
            stock=60,
            low_stock={("藏青", "40-44"): 2},
        ),
        apparel(
            "冰丝隐形船袜 5双装",
            "硅胶防滑 · 夏季不闷",
            "冰丝面料凉感透气,后跟硅胶防滑条,不掉跟不外露。",
            "袜子",
            2900,
            ["黑色", "白色", "肤色"],
            SOCKS,
            stock=150,
        ),
    ),
)

STORES = (FARM, STUDIO)

# Funded by the platform, usable at any store.
PLATFORM_COUPONS = (coupon("平台满200减25", "fixed", amount_off_fen=2500, threshold_fen=20000),)

SHOPPERS = (
    ShopperSpec(
        "王小雨",
        "13700000001",
        {
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "detail": "文三路 398 号 东部软件园 2 幢 501",
        },
    ),
    ShopperSpec(
        "陈大山",
        "13700000002",
        {
            "province": "北京市",
            "city": "北京市",
            "district": "朝阳区",
            "detail": "望京街 10 号 望京SOHO T1 1208",
        },
    ),
)

# An approved promoter (推客) of the alliance pool: see demo.affiliates.
PROMOTER_NAME = "林小推"
PROMOTER_PHONE = "13700000009"

ROLE_LABELS = {
    Role.OWNER: "owner",
    Role.OPERATOR: "operator",
    Role.FINANCE: "finance",
    Role.CUSTOMER_SERVICE: "customer service",
}


def logins() -> list[Login]:
    """Who can sign in to the demo, and how."""
    found = [Login("platform operator", OPERATOR_PHONE, OPERATOR_PASSWORD)]
    for store in STORES:
        found += [
            Login(f"{store.name} {ROLE_LABELS[role]}", phone, STAFF_PASSWORD)
            for role, phone in store.staff_phones.items()
        ]
    found += [Login(f"shopper {shopper.name}", shopper.phone, None) for shopper in SHOPPERS]
    found.append(Login(f"promoter {PROMOTER_NAME}", PROMOTER_PHONE, STAFF_PASSWORD))
    found.append(Login("self-opened store 山里人家 owner", "13900000301", STAFF_PASSWORD))
    return found
