#!/usr/bin/env python3
"""Drives `medsr serve` in headless Chromium: datasets → tile browser → compare (zoom, pan, flip,
mask toggle, model) → runs (live curve) → upload → download. Takes screenshots and fails on any
JavaScript console error.

Usage: browser_check.py MEDSR ROOT UPLOAD_FILE OUT_DIR
  ROOT holds a dataset (medsr build) and a run (medsr train); Tools/serve/make_root.sh makes one.
Needs: Debian chromium + chromium-driver, Python selenium (pip install selenium in a venv).
"""
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

medsr, root, upload, out = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
downloads = os.path.join(out, "downloads")
os.makedirs(downloads, exist_ok=True)
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


server = subprocess.Popen([medsr, "serve", "--root", root, "--port", "0"], stdout=subprocess.PIPE, stderr=open(os.path.join(out, "serve.log"), "w"), text=True)
url = None
for _ in range(100):
    line = server.stdout.readline()
    if line.startswith("medsr serve: "):
        url = line.split(": ", 1)[1].strip()
        break
check(url is not None and "token=" in url, "serve prints one URL with a token")
if url is None:
    server.kill()
    sys.exit(1)
base = url.split("?")[0].rstrip("/")

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
    options.add_argument(arg)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 60)
console = []


def drain_console():
    for entry in driver.get_log("browser"):
        console.append(entry)


def shot(name):
    driver.save_screenshot(os.path.join(out, name + ".png"))


try:
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    # Datasets
    driver.get(url)
    check(driver.current_url.rstrip("/") == base or "token=" not in driver.current_url, "the token leaves the address bar after the first visit")
    link = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "a.dataset-link")))
    shot("1_datasets")
    link.click()
    # Tile browser
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#thumbs .thumb")))
    time.sleep(1.5)
    count_text = driver.find_element(By.ID, "tileCount").text
    check(count_text.endswith("tiles"), f"tile browser lists tiles ({count_text})")
    shot("2_tiles")
    minmask = driver.find_element(By.ID, "minMask")
    minmask.send_keys("0.01\n")
    time.sleep(1.5)
    filtered = driver.find_element(By.ID, "tileCount").text
    check(int(filtered.split()[0]) <= int(count_text.split()[0]), f"mask-fraction filter narrows the list ({filtered})")
    driver.find_elements(By.CSS_SELECTOR, "#thumbs .thumb")[0].click()
    # Compare
    wait.until(EC.presence_of_element_located((By.ID, "metricsTable")))
    models = [o.get_attribute("value") for o in Select(driver.find_element(By.ID, "model")).options if o.get_attribute("value")]
    check(len(models) >= 1, "compare offers the trained model")
    if models:
        Select(driver.find_element(By.ID, "model")).select_by_value(models[0])
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#metricsTable tr")) == 4)
        check(True, "metrics table has bicubic, sharpened and model rows")
    panes = driver.find_elements(By.CSS_SELECTOR, "#panes .pane")
    check(len(panes) >= 6, f"{len(panes)} linked panes")
    time.sleep(2)
    shot("3_compare")
    canvas = panes[1].find_element(By.TAG_NAME, "canvas")
    for _ in range(6):
        driver.execute_script("arguments[0].dispatchEvent(new WheelEvent('wheel', {deltaY: -100, clientX: arguments[0].getBoundingClientRect().left + 100, clientY: arguments[0].getBoundingClientRect().top + 100, bubbles: true, cancelable: true}))", canvas)
    zoom = driver.find_element(By.ID, "zoomLabel").text
    check(zoom != "zoom 1.0×", f"wheel zooms ({zoom})")
    before = driver.execute_script("return arguments[0].toDataURL()", panes[0].find_element(By.TAG_NAME, "canvas"))
    ActionChains(driver).move_to_element(canvas).click_and_hold().move_by_offset(60, 40).release().perform()
    after = driver.execute_script("return arguments[0].toDataURL()", panes[0].find_element(By.TAG_NAME, "canvas"))
    check(before != after, "dragging one pane pans the others (linked)")
    smoothing = driver.execute_script("return document.querySelector('#panes canvas').getContext('2d').imageSmoothingEnabled")
    check(smoothing is False, "nearest-neighbour display at high zoom")
    body = driver.find_element(By.TAG_NAME, "body")
    shot("4_compare_zoomed")
    body.send_keys("m")
    check(driver.find_element(By.ID, "maskToggle").is_selected(), "m toggles the mask overlay")
    body.send_keys("2")
    visible = [p.get_attribute("data-kind") for p in driver.find_elements(By.CSS_SELECTOR, "#panes .pane") if p.is_displayed()]
    check(visible == ["bicubic"], f"key 2 shows the second pane alone ({visible})")
    body.send_keys("\ue014")  # arrow right
    visible2 = [p.get_attribute("data-kind") for p in driver.find_elements(By.CSS_SELECTOR, "#panes .pane") if p.is_displayed()]
    check(visible2 == ["sharpened"], f"→ flips to the next pane ({visible2})")
    shot("5_compare_flip_mask")
    body.send_keys("f")
    # Window/level
    driver.execute_script("document.getElementById('winLo').value = 40; document.getElementById('winLo').dispatchEvent(new Event('change'))")
    time.sleep(2)
    drain_console()
    # Runs with the live curve
    driver.get(base + "/#/runs")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#runsTable a")))
    driver.find_element(By.CSS_SELECTOR, "#runsTable a").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#chart polyline")))
    shot("6_run")
    # Upload and download
    driver.get(base + "/#/upload")
    wait.until(EC.presence_of_element_located((By.ID, "file")))
    driver.find_element(By.ID, "file").send_keys(os.path.abspath(upload))
    if models:
        Select(driver.find_element(By.ID, "uploadModel")).select_by_index(1)
    driver.find_element(By.ID, "uploadButton").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#uploadResult img")) >= 2 or d.find_elements(By.CSS_SELECTOR, "#uploadResult .error"))
    images = driver.find_elements(By.CSS_SELECTOR, "#uploadResult img")
    check(len(images) == (3 if models else 2), f"upload shows input, bicubic{' and model output' if models else ''} ({len(images)} images)")
    time.sleep(1)
    shot("7_upload")
    links = driver.find_elements(By.CSS_SELECTOR, "#uploadResult a.download")
    if links:
        links[-1].click()
        for _ in range(40):
            done = [f for f in os.listdir(downloads) if f.endswith(".png")]
            if done:
                break
            time.sleep(0.25)
        done = [f for f in os.listdir(downloads) if f.endswith(".png")]
        check(bool(done) and open(os.path.join(downloads, done[0]), "rb").read(4) == b"\x89PNG", f"download gives a PNG ({done})")
    else:
        check(False, "download links present")
    drain_console()
finally:
    try:
        drain_console()
    except Exception:
        pass
    driver.quit()
    server.terminate()
    server.wait(timeout=20)

errors = [e for e in console if e.get("level") == "SEVERE"]
for e in errors:
    print("console:", e.get("message"))
check(not errors, f"no JavaScript console errors ({len(console)} console entries)")
print(f"{len(failures)} failure(s); screenshots in {out}")
sys.exit(1 if failures else 0)
