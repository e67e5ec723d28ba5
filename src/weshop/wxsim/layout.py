"""The look of wxsim's pages: WeChat's green, plain HTML, Chinese like WeChat's own."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

STYLE = """body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
max-width:40rem;margin:1.5rem auto;padding:0 1rem;color:#191919;background:#f7f7f7}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.5rem}
.card{background:#fff;border-radius:.5rem;padding:.8rem 1rem;margin:.6rem 0}
button,.button{display:block;width:100%;padding:.7rem;font-size:1rem;margin:.4rem 0;
background:#07c160;color:#fff;border:0;border-radius:.4rem;text-align:center;
text-decoration:none}button.secondary{background:#f2f2f2;color:#07c160}
.user{display:flex;align-items:center;gap:.8rem}.user img{width:2.6rem;height:2.6rem;
border-radius:.3rem}table{border-collapse:collapse;width:100%}td,th{padding:.25rem .4rem;
text-align:left;border-bottom:1px solid #eee;font-size:.9rem;vertical-align:top}
small,.muted{color:#888}code{font-size:.85rem;word-break:break-all}"""


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body><main><h1>{escape(title)}</h1>{body}
<p><small>WeShop wxsim：微信开放平台接口的本地模拟器，不连接真实微信。</small></p>
</main></body></html>"""
    return HTMLResponse(html, status_code=status_code)


def hidden_fields(fields: dict[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
