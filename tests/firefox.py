"""Headless Firefox (Debian's ``firefox-esr``) for the tests, driven without geckodriver.

geckodriver cannot be installed here (it is not in Debian, PyPI or npm), and it is only a
translator anyway: it turns WebDriver's HTTP commands into Marionette, the remote protocol
built into Firefox. So the tests speak Marionette themselves, through ``marionette_driver``:

- It is Mozilla's own client, released from Firefox's source tree (the client of Firefox's own
  test harness), so it follows the protocol of the Firefox it ships beside. A hand-written
  client would own a protocol Mozilla calls internal, and WebDriver BiDi over
  ``--remote-debugging-port`` would need our own (de)serialisation of every script argument and
  result (BiDi's RemoteValue), where Marionette returns plain JSON values as WebDriver does.
- Firefox is started by us, not by the client's launcher (mozrunner): a fresh profile whose
  ``user.js`` picks a free Marionette port (``marionette.port`` 0; Firefox writes the port it
  took to ``MarionetteActivePort`` in the profile, so parallel test workers never clash) and
  turns off everything that would reach the network (``profile_prefs``); in its own process
  group, so teardown kills every process it started, content processes included.
- ``security.fileuri.strict_origin_policy`` is left at Firefox's default (each file its own
  origin), so pages are tested as users get them. Marionette's "recommended preferences" would
  set it to false on start-up, so they are off, as Mozilla's client turns them off for the
  Firefox it starts; ``pref()`` reads a preference in the browser, so a test proves it.

Scripts run in the page itself (``sandbox=None``): Marionette's default sandbox sees the DOM
through Xray wrappers and not the page's globals (``window.trackreport``)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import warnings
from pathlib import Path

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")

# The profile's preferences: the lists Mozilla's client gives the Firefox it starts itself
# (marionette_driver.geckoinstance: no network for updates, telemetry, studies, remote settings,
# add-ons, captive-portal checks; no first-run pages or dialogs), kept current with Firefox by
# its release; their dummy servers point at a closed port. That list turns off Marionette's own
# "recommended preferences" (remote.prefs.recommended), which would relax
# security.fileuri.strict_origin_policy: it is left at Firefox's default (KEEP_DEFAULT), so
# pages are tested under the file:// origins users get. Ours on top: a free Marionette port, and
# a proxy that does not exist, so what a preference missed cannot leave the machine (file://
# needs no network).
DEAD = "127.0.0.1:9"
KEEP_DEFAULT = ("security.fileuri.strict_origin_policy",)
EXTRA_PREFS = {
    "marionette.port": 0,
    "remote.prefs.recommended": False,
    "app.normandy.enabled": False,
    "app.shield.optoutstudies.enabled": False,
    "browser.aboutwelcome.enabled": False,
    "browser.startup.homepage": "about:blank",
    "browser.startup.firstrunSkipsHomepage": True,
    "browser.newtabpage.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "datareporting.policy.firstRunURL": "",
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.trr.mode": 5,
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.no_proxies_on": "",
    "captivedetect.canonicalURL": "",
    # the page's console (messages, errors) on Firefox's stdout: Firefox.log()
    "devtools.console.stdout.content": True,
}


def profile_prefs() -> dict:
    """Every preference the profile's user.js sets."""
    from marionette_driver.geckoinstance import DesktopInstance, GeckoInstance

    prefs = {**GeckoInstance.required_prefs, **DesktopInstance.desktop_prefs, **EXTRA_PREFS}
    for key in KEEP_DEFAULT:
        prefs.pop(key, None)
    return {
        k: v.replace("%(server)s", DEAD).replace("{server}", DEAD) if isinstance(v, str) else v
        for k, v in prefs.items()
    }


# what each page recorded (core.js): CSP violations and uncaught errors
PROBLEMS = """
var tr = window.trackreport;
return tr ? {errors: tr.errors, cspViolations: tr.cspViolations} : null;
"""


def _user_js(prefs: dict) -> str:
    import json

    return "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items())


def _poll(cond, timeout: float, what: str, interval: float = 0.05):
    """cond() until it is truthy (returned), or TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Firefox:
    """One headless Firefox with a fresh profile in ``workdir``, and a Marionette session."""

    def __init__(self, workdir: Path, binary: str | None = None, startup_timeout: float = 60):
        with warnings.catch_warnings():  # its dependencies import deprecated stdlib modules
            warnings.simplefilter("ignore", DeprecationWarning)
            from marionette_driver.marionette import Marionette

        self.binary = binary or FIREFOX
        if not self.binary:
            raise RuntimeError("firefox-esr is not installed")
        self.profile = Path(workdir) / "profile"
        self.profile.mkdir(parents=True)
        (self.profile / "user.js").write_text(_user_js(profile_prefs()), encoding="utf-8")
        self.log_path = Path(workdir) / "firefox.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed by quit()
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--headless",
                "--marionette",
                "-remote-allow-system-access",  # the chrome context, where pref() reads preferences
                "-no-remote",
                "--new-instance",
                "--profile",
                str(self.profile),
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: quit() kills every process of it
            env={**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1", "MOZ_DISABLE_AUTO_SAFE_MODE": "1"},
        )
        self.client = None
        try:
            port_file = self.profile / "MarionetteActivePort"

            def port():
                if self.proc.poll() is not None:
                    raise RuntimeError(f"firefox exited ({self.proc.returncode}): {self.log()}")
                text = port_file.read_text().strip() if port_file.exists() else ""
                return int(text) if text.isdigit() else None

            self.port = _poll(port, startup_timeout, "Firefox's Marionette port")
            self.client = Marionette(
                host="127.0.0.1", port=self.port, bin=None, startup_timeout=startup_timeout, socket_timeout=60
            )
            self.client.start_session()
            self.client.timeout.page_load = 30
            self.client.timeout.script = 30
        except BaseException:
            self.quit()
            raise

    # ---- the page ----

    def get(self, url: str) -> None:
        """Load ``url`` as a new document and wait for its load event. A URL that differs from
        the current one only in its fragment still loads anew (about:blank between)."""
        if self.client.get_url().split("#")[0] == url.split("#")[0]:
            self.client.navigate("about:blank")
        self.client.navigate(url)

    def execute(self, script: str, *args):
        """Run ``script`` (a function body: ``arguments``, ``return``) in the page; its result as
        JSON values (elements as references)."""
        return self.client.execute_script(script, script_args=list(args), sandbox=None)

    def execute_async(self, script: str, *args):
        """Like execute; the script calls ``arguments[arguments.length - 1](result)`` when done."""
        return self.client.execute_async_script(script, script_args=list(args), sandbox=None)

    def wait(self, script: str, *args, timeout: float = 15, what: str | None = None):
        """The first truthy result of ``script`` run again and again (TimeoutError after
        ``timeout`` s, naming ``what`` or the script)."""
        return _poll(lambda: self.execute(script, *args), timeout, what or script.strip())

    def problems(self) -> dict | None:
        """What the current page recorded (core.js): ``{"errors": [...], "cspViolations": [...]}``;
        None when core.js did not run."""
        return self.execute(PROBLEMS)

    @property
    def url(self) -> str:
        return self.client.get_url()

    # ---- the browser ----

    def pref(self, name: str):
        """(value, set by someone: profile, Marionette or the test) of a preference, read in the
        browser itself (chrome context)."""
        self.client.set_context("chrome")
        try:
            return tuple(
                self.client.execute_script(
                    "var P = Services.prefs, n = arguments[0];"
                    "var t = P.getPrefType(n), v = t === P.PREF_BOOL ? P.getBoolPref(n) :"
                    " t === P.PREF_INT ? P.getIntPref(n) : t === P.PREF_STRING ? P.getStringPref(n) : null;"
                    "return [v, P.prefHasUserValue(n)];",
                    script_args=[name],
                )
            )
        finally:
            self.client.set_context("content")

    def log(self) -> str:
        """Firefox's own output (stdout and stderr) so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def quit(self) -> None:
        """End the session, then the whole process group: SIGTERM, and SIGKILL for whatever is
        left (content processes, or a main process that did not end within 10 s)."""
        if self.client is not None:
            try:
                self.client.delete_session(send_request=False)
            except Exception:  # noqa: BLE001 - the browser may already be gone
                pass
            self.client = None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:  # whatever is left of the group (content processes, or a main process that hung)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self._log.close()
