"""Make the README's screenshots: the site of ``sample_mlruns/`` in headless Chromium, light and dark.

Writes ``docs/experiment.png``, ``docs/experiment-dark.png``, ``docs/compare.png``,
``docs/compare-dark.png`` and ``docs/run.png``: the experiment page of the sample sweep (the
interactive runs table with three runs selected, sorted by val/loss), its compare page
for those runs, and the best run's page. Needs Debian's ``chromium`` and ``chromium-driver``
and selenium (the test extras).

Usage::

    python3 scripts/screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SWEEP = "mnist-cnn-sweep"


def _driver(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
    ):
        opts.add_argument(arg)
    opts.add_argument("--force-device-scale-factor=1")
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=opts)


def _theme(drv, dark: bool) -> None:
    drv.execute_script("document.documentElement.setAttribute('data-theme', arguments[0])", "dark" if dark else "light")


def main(argv: list[str] | None = None) -> int:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from sitegen import BuildOptions, build

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        build(BuildOptions(store=str(REPO / "sample_mlruns"), out=str(site), jobs=1, title="Sample lab"))
        exp = next(p for p in site.glob("experiments/*/index.html") if f"<title>{SWEEP} ·" in p.read_text("utf-8"))
        drv = _driver(1280, 900)
        wait = WebDriverWait(drv, 20)
        try:
            drv.get(exp.as_uri() + "#orderByKey=metrics.%60val%2Floss%60&orderByAsc=true&nested=false")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs-app tr[data-run-id]"))
            ids = drv.execute_script("return trackreport.runsTable.viewIds()")[:3]
            drv.get(
                exp.as_uri()
                + "#orderByKey=metrics.%60val%2Floss%60&orderByAsc=true&nested=false&selected="
                + ",".join(ids)
            )
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs-app tr[data-run-id]"))
            drv.execute_script("document.getElementById('runs-section').scrollIntoView()")
            for dark, name in ((False, "experiment.png"), (True, "experiment-dark.png")):
                _theme(drv, dark)
                drv.save_screenshot(str(args.out / name))
            drv.set_window_size(1280, 1700)  # the compare page down to its overlaid charts
            drv.get(exp.parent.joinpath("compare.html").as_uri() + "#runs=" + ",".join(ids))
            wait.until(lambda d: d.execute_script("return document.getElementById('compare-app').dataset.state"))
            for dark, name in ((False, "compare.png"), (True, "compare-dark.png")):
                _theme(drv, dark)
                drv.save_screenshot(str(args.out / name))
            drv.set_window_size(1280, 900)
            drv.get((exp.parent / "runs" / ids[0] / "index.html").as_uri() + "#metrics")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".chart-card canvas"))
            _theme(drv, False)
            drv.save_screenshot(str(args.out / "run.png"))
        finally:
            drv.quit()
    print(
        "wrote",
        ", ".join(
            str(args.out / n)
            for n in ("experiment.png", "experiment-dark.png", "compare.png", "compare-dark.png", "run.png")
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
