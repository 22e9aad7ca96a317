"""Take full-page screenshots of dashboards in headless Chromium (offline).

Usage: python tools/screenshot.py PAGE.html [PAGE.html ...] --out DIR [--width 1100] [--no-js]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-sandbox"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("build/screenshots"))
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--no-js", action="store_true")
    parser.add_argument("--tile", type=int, default=1400, help="height of each screenshot tile")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(viewport={"width": args.width, "height": 900}, java_script_enabled=not args.no_js)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        for page_path in args.pages:
            page = context.new_page()
            page.on("console", lambda m: print("console:", m.type, m.text))
            page.goto(page_path.resolve().as_uri())
            page.wait_for_timeout(1500)
            height = page.evaluate("document.documentElement.scrollHeight")
            stem = page_path.stem + ("-nojs" if args.no_js else "")
            for k, top in enumerate(range(0, height, args.tile)):
                target = args.out / f"{stem}-{k:02d}.png"
                clip = {"x": 0, "y": top, "width": args.width, "height": min(args.tile, height - top)}
                page.screenshot(path=str(target), full_page=True, clip=clip)
                print(target)
        browser.close()


if __name__ == "__main__":
    main()
