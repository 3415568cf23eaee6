"""Password guessing, slowed down: after `max_failures` wrong passwords within `window_s`
for one account, or from one client address, every password attempt for that account or
from that address is refused for `lockout_s`, the right password included. API tokens are
never throttled: a locked-out account keeps sending with its tokens."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

# Above this many remembered keys, those with no recent failure are forgotten.
_PRUNE_ABOVE = 10_000


@dataclass
class LoginThrottle:
    max_failures: int = 10
    window_s: float = 300.0
    lockout_s: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)

    def locked_for(self, keys: Iterable[str], now: float) -> float:
        """Seconds until password attempts for these keys are heard again (0: now)."""
        if not self._locked_until:
            return 0.0
        return max((self._locked_until.get(key, 0.0) - now for key in keys), default=0.0)

    def failed(self, keys: Iterable[str], now: float) -> None:
        for key in keys:
            recent = self._failures.setdefault(key, deque())
            recent.append(now)
            while recent and recent[0] <= now - self.window_s:
                recent.popleft()
            if len(recent) >= self.max_failures:
                self._locked_until[key] = now + self.lockout_s
                recent.clear()
        if len(self._failures) + len(self._locked_until) > _PRUNE_ABOVE:
            self._prune(now)

    def succeeded(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._failures.pop(key, None)

    def _prune(self, now: float) -> None:
        self._failures = {
            key: times
            for key, times in self._failures.items()
            if times and times[-1] > now - self.window_s
        }
        self._locked_until = {
            key: until for key, until in self._locked_until.items() if until > now
        }
