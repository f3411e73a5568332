"""HTML pages. Every value is escaped; the one inline style is allowed by its hash."""

from __future__ import annotations

import base64
import hashlib
from html import escape

from .db import Entry

COLOR_HEX = {"blue": "#0969da", "green": "#1a7f37"}
_TOKEN_SLOT = "\x00token\x00"

_STYLE = """
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: #1f2328; background: #f6f8fa; }
header { background: ACCENT; color: #fff; padding: 2rem 1.5rem; }
header h1 { margin: 0; font-size: 2rem; }
header p { margin: .25rem 0 0; opacity: .9; }
main { max-width: 44rem; margin: 1.5rem auto; padding: 0 1.5rem; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px;
        padding: 1rem 1.25rem; margin-bottom: 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: 0; }
dt { color: #656d76; } dd { margin: 0; font-weight: 600; }
.badge { display: inline-block; padding: .1rem .7rem; border-radius: 999px;
         background: ACCENT; color: #fff; text-transform: uppercase; letter-spacing: .05em; }
.up { color: #1a7f37; } .down { color: #cf222e; }
label { display: block; margin-top: .5rem; }
input, textarea { width: 100%; font: inherit; padding: .4rem; border: 1px solid #d0d7de;
                  border-radius: 6px; }
button { margin-top: .75rem; font: inherit; padding: .4rem 1rem; border: 0;
         border-radius: 6px; background: ACCENT; color: #fff; cursor: pointer; }
ol { padding-left: 1.25rem; } li { margin-bottom: .6rem; }
small { color: #656d76; }
a { color: ACCENT; }
"""


class Pages:
    """Renders the pages of one release; the colour and version never change in a process."""

    def __init__(self, *, version: str, color: str, stack: str, hostname: str) -> None:
        self.version = version
        self.color = color
        self.stack = stack
        self.hostname = hostname
        self.style = _STYLE.replace("ACCENT", COLOR_HEX[color])
        digest = hashlib.sha256(self.style.encode()).digest()
        style_hash = "sha256-" + base64.b64encode(digest).decode()
        # No scripts, no external resources, forms post only to this site.
        self.content_security_policy = (
            f"default-src 'none'; style-src '{style_hash}'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'"
        )
        # The front page depends only on the database status and the form's token: render
        # both statuses once, split where the token goes.
        self._front = {
            up: tuple(self._render_front(up).encode().split(_TOKEN_SLOT.encode()))
            for up in (True, False)
        }

    def front(self, database_up: bool, token: str) -> bytes:
        """The front page; `token` is the form's one-time idempotency key (URL-safe)."""
        before, after = self._front[database_up]
        return before + escape(token).encode() + after

    def _layout(self, title: str, body: str) -> str:
        return (
            "<!doctype html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{self.style}</style></head>\n"
            f'<body class="{self.color}"><header>'
            f'<h1>ecs-platform <span class="badge">{escape(self.color)}</span></h1>'
            f"<p>release {escape(self.version)} on {escape(self.stack)}</p>"
            f"</header>\n<main>{body}</main></body></html>\n"
        )

    def _render_front(self, database_up: bool) -> str:
        status = (
            '<dd class="up" id="database">reachable</dd>'
            if database_up
            else '<dd class="down" id="database">unreachable</dd>'
        )
        body = (
            '<section class="card"><dl>'
            f'<dt>version</dt><dd id="version">{escape(self.version)}</dd>'
            f'<dt>colour</dt><dd id="color">{escape(self.color)}</dd>'
            f'<dt>stack</dt><dd id="stack">{escape(self.stack)}</dd>'
            f"<dt>database</dt>{status}"
            f"<dt>served by</dt><dd>{escape(self.hostname)}</dd>"
            "</dl></section>\n"
            '<section class="card"><h2>Guest book</h2>'
            '<form method="post" action="/guestbook">'
            f'<input type="hidden" name="token" value="{_TOKEN_SLOT}">'
            '<label for="name">Name</label>'
            '<input id="name" name="name" maxlength="40" required>'
            '<label for="message">Message</label>'
            '<textarea id="message" name="message" maxlength="280" rows="3" required>'
            "</textarea>"
            '<button type="submit">Sign</button></form>'
            '<p><a href="/guestbook">Read the guest book</a></p></section>\n'
        )
        return self._layout(f"ecs-platform {self.stack} ({self.color})", body)

    def guestbook(self, entries: list[Entry]) -> bytes:
        if entries:
            items = "".join(
                f"<li><strong>{escape(e.name)}</strong>: {_lines(e.message)}<br>"
                f"<small>{e.created_at:%Y-%m-%d %H:%M:%S %Z} via {escape(e.version)} "
                f"({escape(e.color)})</small></li>"
                for e in entries
            )
            listing = f"<ol>{items}</ol>"
        else:
            listing = "<p>No entries yet.</p>"
        body = (
            f'<section class="card"><h2>Guest book</h2>{listing}'
            '<p><a href="/">Back to the front page</a></p></section>\n'
        )
        return self._layout("Guest book", body).encode()


def _lines(text: str) -> str:
    """Escaped text with its line breaks shown as <br>."""
    return "<br>".join(escape(line) for line in text.split("\n"))
