"""Make the README's screenshots and the review set: the site of ``sample_mlruns/`` in headless
Chromium, light and dark.

Writes the README's ``docs/experiment.png``, ``docs/experiment-dark.png``, ``docs/compare.png``,
``docs/compare-dark.png`` and ``docs/run.png`` (1280 px): the experiment page of the sample sweep
(the interactive runs table with three runs selected, sorted by val/loss), its compare page for
those runs, and the best run's page. Then every page kind at 1400 px (desktop) and 390 px (a
phone, mobile emulation), light and dark, into ``docs/screenshots/<page>-<width>-<theme>.png``:
index, experiment, compare, run (the sample site), logged model, registered models and
registered model (a small SQLite store written here by MLflow's client, as the sample store has
no registry). ``--full`` shoots whole pages instead of the first screen (for review, not for
the repository). Needs Debian's ``chromium`` and ``chromium-driver``, selenium and mlflow (the
test extras).

Usage::

    python3 scripts/screenshots.py [--out docs] [--full]
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
SIZES = {1400: (1400, 1000, False), 390: (390, 844, True)}  # width → (width, height, mobile)
COMPARED = "return document.getElementById('compare-app').dataset.state"
FRAMES = "var done = arguments[0]; requestAnimationFrame(function () { requestAnimationFrame(done); });"
SORTED = "#orderByKey=metrics.%60val%2Floss%60&orderByAsc=true&nested=false"


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


def _registry_site(tmp: Path) -> Path:
    """A small SQLite store with a logged model and a registered model version, built."""
    import mlflow
    from mlflow.entities import Metric, Param

    from sitegen import BuildOptions, build

    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    exp = client.create_experiment("digits", artifact_location=(tmp / "artifacts").as_uri())
    t0 = 1_700_000_000_000
    rid = client.create_run(exp, run_name="resnet_18/lr_0.01", start_time=t0).info.run_id
    client.log_batch(
        rid,
        metrics=[Metric("validation/accuracy_top_1", 0.9 + s / 1000, t0 + s * 1000, s) for s in range(20)],
        params=[Param("optimizer.learning_rate", "0.01"), Param("model.backbone_name", "resnet_18")],
    )
    client.set_terminated(rid, end_time=t0 + 60_000)
    for name in ("digits_classifier-resnet_18", "digits_classifier-baseline"):
        client.create_logged_model(
            exp,
            name=name,
            source_run_id=rid,
            params={"optimizer.learning_rate": "0.01", "model.backbone_name": "resnet_18"},
            tags={"training/dataset_version": "v2"},
        )
    client.create_registered_model("digits_classifier", description="Digit **classifier** on MNIST")
    client.create_model_version("digits_classifier", f"runs:/{rid}/model", run_id=rid)
    out = tmp / "registry-site"
    build(BuildOptions(store=uri, out=str(out), jobs=1, title="Registry"))
    return out


def _shoot(drv, path: Path, full: bool) -> None:
    """The first screen (or, with ``full``, the whole page) as a PNG."""
    import base64

    if not full:
        drv.save_screenshot(str(path))
        return
    w, h = drv.execute_script("return [document.documentElement.clientWidth, document.documentElement.scrollHeight]")
    shot = drv.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": w, "height": min(h, 12000), "scale": 1}},
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def _size(drv, width: int) -> None:
    w, h, mobile = SIZES[width]
    drv.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile}
    )


def main(argv: list[str] | None = None) -> int:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from sitegen import BuildOptions, build

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs")
    ap.add_argument("--full", action="store_true", help="whole pages, not the first screen (review)")
    args = ap.parse_args(argv)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        build(BuildOptions(store=str(REPO / "sample_mlruns"), out=str(site), jobs=1, title="Sample lab"))
        exp = next(p for p in site.glob("experiments/*/index.html") if f"<title>{SWEEP} ·" in p.read_text("utf-8"))
        drv = _driver(1280, 900)
        wait = WebDriverWait(drv, 20)
        try:
            drv.get(exp.as_uri() + SORTED)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs-app tr[data-run-id]"))
            ids = drv.execute_script("return trackreport.runsTable.viewIds()")[:3]
            selected = exp.as_uri() + SORTED + "&selected=" + ",".join(ids)
            drv.get(selected)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs-app tr[data-run-id]"))
            drv.execute_script("document.getElementById('runs-section').scrollIntoView()")
            for dark, name in ((False, "experiment.png"), (True, "experiment-dark.png")):
                _theme(drv, dark)
                drv.save_screenshot(str(args.out / name))
                written.append(args.out / name)
            drv.set_window_size(1280, 1700)  # the compare page down to its overlaid charts
            compare = exp.parent.joinpath("compare.html").as_uri() + "#runs=" + ",".join(ids)
            drv.get(compare)
            wait.until(lambda d: d.execute_script("return document.getElementById('compare-app').dataset.state"))
            for dark, name in ((False, "compare.png"), (True, "compare-dark.png")):
                _theme(drv, dark)
                drv.save_screenshot(str(args.out / name))
                written.append(args.out / name)
            drv.set_window_size(1280, 900)
            run = (exp.parent / "runs" / ids[0] / "index.html").as_uri()
            drv.get(run + "#metrics")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".chart-card canvas"))
            _theme(drv, False)
            drv.save_screenshot(str(args.out / "run.png"))
            written.append(args.out / "run.png")

            # every page kind, desktop and phone, light and dark
            registry = _registry_site(Path(tmp))
            rexp = next(registry.glob("experiments/*/models/*/index.html"))
            pages = {
                "index": (site / "index.html").as_uri(),
                "experiment": selected,
                "compare": compare,
                "run": run,
                "logged-model": rexp.as_uri(),
                "registered-models": (registry / "models" / "index.html").as_uri(),
                "registered-model": next(registry.glob("models/*/index.html")).as_uri(),
            }
            folder = args.out / "screenshots"
            folder.mkdir(exist_ok=True)
            for width in SIZES:
                _size(drv, width)
                for page, url in pages.items():
                    drv.get("about:blank")
                    drv.get(url)
                    wait.until(lambda d: d.execute_script("return document.readyState === 'complete'"))
                    if page == "compare":
                        wait.until(lambda d: d.execute_script(COMPARED))
                    for dark in (False, True):
                        _theme(drv, dark)
                        drv.execute_async_script(FRAMES)  # the theme painted
                        path = folder / f"{page}-{width}-{'dark' if dark else 'light'}.png"
                        _shoot(drv, path, args.full)
                        written.append(path)
        finally:
            drv.quit()
    print("wrote", ", ".join(str(p) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
