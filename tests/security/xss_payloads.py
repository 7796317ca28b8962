"""Hostile strings for the XSS suite. Every payload, if it ever runs, calls
`xss()` (defined by the test in the page) or opens a dialog; the browser test
counts both. Built from base vectors (classic tags, event handlers, URL schemes,
SVG/MathML, and the mutation-XSS shapes behind bleach's past CVEs) placed in
several contexts (text, double- and single-quoted attributes, after closing
tags a template might use)."""

BASE_VECTORS = [
    "<script>xss()</script>",
    "<ScRiPt>xss()</sCrIpT>",
    "<script src=data:,xss()></script>",
    "<img src=x onerror=xss()>",
    "<img src=x onerror='xss()'>",
    '<img src="x" onerror="xss()">',
    "<img/src=x/onerror=xss()>",
    "<image src=x onerror=xss()>",
    "<svg onload=xss()>",
    "<svg/onload=xss()>",
    "<svg><script>xss()</script></svg>",
    "<svg><animate onbegin=xss() attributeName=x dur=1s>",
    "<svg><a xlink:href='javascript:xss()'><text x=20 y=20>x</text></a></svg>",
    "<svg><set attributeName=onmouseover to=xss()>",
    "<svg><foreignObject><img src=x onerror=xss()></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=xss()>",
    "<math><mtext><h1><a><mglyph><malignmark><style><img src=x onerror=xss()>",
    "<math href='javascript:xss()'>x</math>",
    "<math><maction actiontype=statusline xlink:href=javascript:xss()>x</maction></math>",
    "<noscript><p title='</noscript><img src=x onerror=xss()>'>",
    "<noscript><style></noscript><img src=x onerror=xss()>",
    "<select><style></select><img src=x onerror=xss()>",
    "<svg></p><style><a id='</style><img src=1 onerror=xss()>'>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=xss()>",
    "<a href='javascript:xss()'>link</a>",
    "<a href='JaVaScRiPt:xss()'>link</a>",
    "<a href='jav&#x09;ascript:xss()'>link</a>",
    "<a href='&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;xss()'>link</a>",
    "<a href='data:text/html,<script>xss()</script>'>link</a>",
    "<iframe src='javascript:xss()'></iframe>",
    "<iframe srcdoc='<script>parent.xss()</script>'></iframe>",
    "<object data='javascript:xss()'></object>",
    "<embed src='javascript:xss()'>",
    "<body onload=xss()>",
    "<details open ontoggle=xss()>",
    "<input autofocus onfocus=xss()>",
    "<textarea autofocus onfocus=xss()></textarea>",
    "<video><source onerror=xss()></video>",
    "<audio src=x onerror=xss()>",
    "<marquee onstart=xss()>x</marquee>",
    "<form><button formaction=javascript:xss()>x</button></form>",
    "<meta http-equiv='refresh' content='0;url=javascript:xss()'>",
    "<base href='javascript:xss()//'>",
    "<style>@import 'javascript:xss()';</style>",
    "<div style='background:url(javascript:xss())'>x</div>",
    "<<script>xss();//<</script>",
    "<scr<script>ipt>xss()</scr</script>ipt>",
    "<img src=`x`onerror=xss()>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<x onclick=xss() autofocus tabindex=1 onfocus=xss()>x</x>",
    "<table background='javascript:xss()'>",
    "<isindex action=javascript:xss() type=image>",
    "<link rel=import href='data:text/html,<script>xss()</script>'>",
    "<template><img src=x onerror=xss()></template><img src=y onerror=xss()>",
    "<!--<img src=x onerror=xss()>-->",
    "<![CDATA[<img src=x onerror=xss()>]]>",
    "<?xml version='1.0'?><img src=x onerror=xss()>",
    "javascript:xss()",
    "%3Cscript%3Exss()%3C/script%3E",
    "&lt;script&gt;xss()&lt;/script&gt;",
]

CONTEXTS = [
    "{}",
    '">{}',  # break out of a double-quoted attribute, then a vector
    "'>{}",
    "</title></textarea></script></style>{}",
]


def payloads():
    seen = []
    for context in CONTEXTS:
        for vector in BASE_VECTORS:
            text = context.replace("{}", vector) if "{}" in context else context + vector
            if text not in seen:
                seen.append(text)
    return seen


PAYLOADS = payloads()
assert len(PAYLOADS) >= 100
