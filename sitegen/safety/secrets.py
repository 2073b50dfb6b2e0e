"""What looks like a secret: by its key (``api_key``, ``db_password``…) or by its value (a
credential of a known shape, whatever its key).

Values are checked with `detect-secrets <https://github.com/Yelp/detect-secrets>`_'s
format detectors (cloud provider keys, GitHub/GitLab/Slack/Stripe/OpenAI/… tokens, JWTs,
private key blocks, URIs with a password). Its entropy and keyword detectors are not used:
they flag MLflow's own run ids, dataset digests and commit hashes, and keys are judged here.
detect-secrets costs about 0.2 s to import, so a value is handed to it only when it could be a
credential at all (long enough, or a URI, or a key block), and answers are cached by the
caller across builds (:class:`Scanner`).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from functools import lru_cache

REDACTED = "[redacted]"

# Parts of a key that say its value is a secret (keys are split at . _ - / and spaces, and
# at lower→upper case changes: apiKey → api, key).
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "secrets",
        "token",
        "credential",
        "credentials",
        "auth",
        "authorization",
        "apikey",
        "privatekey",
        "accesskey",
        "secretkey",
        "sessionkey",
        "dsn",
        "cookie",
        "bearer",
    }
)
# Two parts in a row that do (api_key, access_key, private-key, client secret…).
SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("session", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("client", "secret"),
        ("conn", "str"),
        ("connection", "string"),
    }
)

# detect-secrets' detectors of credential formats (not entropy, keywords or IP addresses).
DETECTORS = (
    "AWSKeyDetector",
    "ArtifactoryDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "CloudantDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "JwtTokenDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SoftlayerDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)
# A value can hold a credential only if it is this long, is a URI, or has a key block.
_MAYBE = re.compile(r"\S{16,}|://|-----BEGIN")
# In text files over FULL_SCAN_BYTES only lines with these shapes go to detect-secrets.
_SHAPES = (
    r"A[KS]IA[0-9A-Z]{12}|gh[pousr]_|github_pat_|glpat-|xox[abposr]-|[sr]k_live_|sk-[A-Za-z0-9]"
    r"|eyJ[A-Za-z0-9_-]{8,}\.|-----BEGIN|://[^/\s:@]+:[^@\s]+@|npm_[A-Za-z0-9]{20}|pypi-|SG\.|"
    r"AccountKey=|sq0csp-|\d{8,10}:[A-Za-z0-9_-]{30,}"
)
# What any of DETECTORS could flag: a superset of their patterns (detect-secrets 1.5's
# ``denylist`` of each plugin), so that a line matching none of it is not handed to
# detect-secrets at all (most values of a store: paths, URIs, commit hashes, descriptions),
# and a build where no value matches does not import it (~0.2 s). Keyword detectors
# (Cloudant, IBM, SoftLayer, AWS secret keys) need key/pass/pwd/pw/token or the service's
# name; the rest need their fixed prefix. Adding a detector means adding its shape here
# (tests/test_redaction.py checks a sample of each).
_DETECTABLE = (
    r"key|pass|pwd|pw|token|aws|cloudant|softlayer|ibm|"  # keyword and assignment detectors
    r"(?-i:A3T|ABIA|ACCA|AKIA|ASIA|AKC[a-zA-Z0-9]{10}|AP[\dA-F][a-zA-Z0-9]{8}|AC[a-z0-9]{32}|SK[a-z0-9]{32}|"
    r"[MNO][a-zA-Z\d_-]{23,25}\.[a-zA-Z\d_-]{6}\.)|"  # AWS ids, Artifactory, Twilio, Discord
    r"://\S*:\S*@|gh[pousr]_|gl[a-z]+-|GR1348941|xox[abposr]-|hooks\.slack\.com|[sr]k_live_|sk-|eyJ|"
    r"PRIVATE KEY|PuTTY-User-Key|pypi-|SG\.|sq0csp-|-us\d|\d{8}:|_authToken"
)  # matched ignoring case, but for the (?-i:…) group
FULL_SCAN_BYTES = 1024 * 1024


@lru_cache(maxsize=None)
def _pattern(source: str, flags: int = 0) -> re.Pattern:
    """_SHAPES and _DETECTABLE compiled at first use (a build that scans nothing compiles neither)."""
    return re.compile(source, flags)


TEXT_KINDS = frozenset({"text", "json", "csv", "markdown", "html"})
_SPLIT = re.compile(r"[._\-/\s:]+|(?<=[a-z0-9])(?=[A-Z])")


def key_parts(key: str) -> list[str]:
    return [p.lower() for p in _SPLIT.split(key) if p]


@lru_cache(maxsize=8192)  # the same few keys recur in every run
def secret_key(key: str, extra_patterns: tuple[str, ...] = ()) -> str | None:
    """Why ``key`` names a secret (for messages), or None. ``extra_patterns`` (--redact-key):
    shell-style globs matched against the whole key, case-insensitively; a pattern without
    wildcards matches keys that contain it."""
    low = key.lower()
    for pat in extra_patterns:
        p = pat.lower()
        if fnmatch.fnmatchcase(low, p) if any(c in p for c in "*?[") else p in low:
            return f"its key matches --redact-key {pat!r}"
    parts = key_parts(key)
    if any(p in SECRET_WORDS for p in parts) or any(pair in SECRET_PAIRS for pair in zip(parts, parts[1:])):
        return "its key looks secret"
    return None


def digest(value: str) -> str:
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


class Scanner:
    """Finds credentials in values, remembering answers (``known``: value digest → the kind of
    credential found, or "" for none) so that values seen before are not scanned again."""

    def __init__(self, known: dict[str, str] | None = None):
        self.known = dict(known) if isinstance(known, dict) else {}
        self.used: dict[str, str] = {}  # what this build asked: the next build's ``known``
        self._scan_line = self._settings = None
        self._configured = None  # detect-secrets' settings, entered once (see close)
        self._seen: dict[str, str | None] = {}  # value → answer, this build (values recur across runs)

    def credential(self, value: str) -> str | None:
        """The kind of credential in ``value`` ("GitHub Token"…), or None."""
        if not value:
            return None
        try:
            return self._seen[value]
        except KeyError:
            pass
        if not _MAYBE.search(value):
            self._seen[value] = None
            return None
        key = digest(value)
        found = self.used.get(key, self.known.get(key))  # a value seen before: no new scan
        if found is None:
            found = self._scan(value)
        self.used[key] = found
        self._seen[value] = found or None
        return found or None

    def file_credential(self, path: str, size: int, mtime_ns: int, sniff: bool = False) -> str | None:
        """The kind of credential in a text file, or None (answers kept by size and mtime).
        ``sniff``: a file whose name does not say it is text (``.env``, ``config``,
        ``train.log.1``) is scanned if its first 8 KiB hold no NUL byte, as git tells text."""
        key = digest(f"file:{path}:{size}:{mtime_ns}")
        found = self.used.get(key, self.known.get(key))
        if found is None:
            try:
                with open(path, "rb") as f:
                    head = f.read(8192)
                    if sniff and b"\0" in head:
                        self.used[key] = ""
                        return None
                    text = (head + f.read()).decode("utf-8", "replace")
            except OSError:
                return None
            pick = _MAYBE if size <= FULL_SCAN_BYTES else _pattern(_SHAPES)
            lines = [line for line in text.splitlines() if pick.search(line)]
            found = self._scan("\n".join(lines)) if lines else ""
        self.used[key] = found
        return found or None

    def close(self) -> None:
        """Restore detect-secrets' own settings (entered at the first scan: entering them per
        value cost ~1 ms each, 5 % of a cold build); scanning again enters them again."""
        if self._configured is not None:
            self._configured.__exit__(None, None, None)
            self._configured = None

    def _scan(self, value: str) -> str:
        detectable = _pattern(_DETECTABLE, re.IGNORECASE).search
        lines = [line for line in value.splitlines() or [value] if _MAYBE.search(line) and detectable(line)]
        if not lines:
            return ""  # nothing any detector could flag: detect-secrets is not needed
        if self._scan_line is None:
            from detect_secrets.core.scan import scan_line
            from detect_secrets.settings import transient_settings

            self._scan_line, self._settings = scan_line, transient_settings
        if self._configured is None:
            self._configured = self._settings({"plugins_used": [{"name": n} for n in DETECTORS]})
            self._configured.__enter__()
        for line in lines:
            for found in self._scan_line(line):
                return found.type
        return ""
