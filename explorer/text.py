"""(temporary stand-in, replaced by the hardening work)"""
import re


def md(text):
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


def html(text):
    import html as h
    return h.escape(str(text))


def clip(text, n=60):
    text = str(text)
    return text if len(text) <= n else text[:n - 1] + "…"
