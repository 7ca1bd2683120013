"""The SDK's one exception, raised only where the published client raised too, or where the caller asked
for something that cannot be answered at all.

    PromptWatchError
      raised by: get_prompt_template() when a label was never fetched (and no `default=` was given);
                 UnitTest when the server refuses or cannot take the run; misuse of a unit test
                 (a case left neither evaluated nor skipped)

Recording, caching and the cache API never raise: a failure there is a miss or a dropped event.
"""

from __future__ import annotations


class PromptWatchError(Exception):
    """Something the caller asked PromptWatch for could not be done; the message says why."""
