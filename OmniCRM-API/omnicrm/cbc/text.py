"""Cell Broadcast text rules (3GPP TS 23.038 / 23.041): a body is sent in the GSM 7-bit default alphabet when every
character is in it (the extension-table characters cost two septets: escape + character), else in UCS-2 (UTF-16
code units, so an emoji costs two). A CBS page carries 93 GSM-7 characters or 41 UCS-2 characters; a message has
at most 15 pages. The console runs the same rule (OmniCRM-UI/src/lib/cbcText.ts) with the same test cases."""

GSM7_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
              "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = "\f^{}\\[~]|€"
GSM7_PAGE = 93
UCS2_PAGE = 41
MAX_PAGES = 15

_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)


def text_info(body):
    """Encoding, size in characters of that encoding, pages used, and what is left within 15 pages."""
    body = body or ""
    if all(ch in _BASIC or ch in _EXTENSION for ch in body):
        encoding, per_page = "GSM-7", GSM7_PAGE
        units = sum(2 if ch in _EXTENSION else 1 for ch in body)
    else:
        encoding, per_page = "UCS-2", UCS2_PAGE
        units = len(body.encode("utf-16-le")) // 2
    limit = per_page * MAX_PAGES
    pages = max(1, -(-units // per_page))
    return {"encoding": encoding, "characters": units, "per_page": per_page, "pages": pages,
            "max_pages": MAX_PAGES, "max_characters": limit, "remaining": limit - units, "too_long": units > limit}
