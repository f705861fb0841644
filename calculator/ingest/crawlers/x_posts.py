"""X posts as the crawler readers count them: the posts one access carried and how they
were counted, and what an X post id says (its creation time).

Which URLs carry posts is in ``x_urls``, which answer bodies hold them in ``x_bodies``.
Only URLs already attributed to X (platform id ``x``, from the rule files' host lists) are
looked at; which hosts those are is not this package's business. The rules, and the
expected values they give on real files, are in ``shared/reference/log-formats.md`` §1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PLATFORM = "x"  # the platform id of data/x/platform.yaml

# Timeline modules whose items are posts shown in the timeline (a conversation shown in a
# profile, the thread under a post, a home or list conversation). Other modules
# ("who-to-follow-…") hold users, and cursors hold nothing.
CONVERSATION_MODULES = ("profile-conversation-", "conversationthread-", "home-conversation-",
                        "list-conversation-")
FIND_DEPTH = 10  # how deep under ``data`` a timeline is looked for
NESTED_DEPTH = 5  # how deep quotes of quotes are followed


@dataclass(frozen=True)
class Posts:
    """The posts one access carried, and how they were counted (a key of POST_BASES)."""

    ids: tuple[str, ...] = ()
    embedded: tuple[str, ...] = ()  # quoted and reposted posts carried inside ``ids``
    basis: str = "none"
    count: int | None = None  # a number without ids (a page size taken from the URL)

    @property
    def primary(self) -> int:
        """How many posts, not counting the quoted and reposted ones."""
        return self.count if self.count is not None else len(self.ids)


NO_POSTS = Posts()


TWEPOCH_MS = 1288834974657  # X's id epoch: ids since late 2010 carry their creation time
_FIRST_SNOWFLAKE = 29_700_859_247  # ids below this were sequential and carry no time


def created_ms(post_id: str) -> int | None:
    """When an X post was created (epoch ms), read from its id; None for pre-2010 ids."""
    if not post_id.isdigit() or int(post_id) < _FIRST_SNOWFLAKE:
        return None
    return (int(post_id) >> 22) + TWEPOCH_MS


def unique(values: Iterable[str]) -> list[str]:
    """The non-empty values, each once, in their first order."""
    return list(dict.fromkeys(v for v in values if v))
