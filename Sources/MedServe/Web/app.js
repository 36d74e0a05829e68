// MedSR workbench: one page, no dependencies. Views: datasets, tile browser, compare, runs, upload.
"use strict";

const main = () => document.getElementById("main");
let liveSource = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

async function api(path) {
  const r = await fetch(path, { credentials: "same-origin" });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function qs(params) {
  return Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(v)).join("&");
}

function showError(e) {
  main().replaceChildren(el("p", { class: "error", id: "error" }, String(e.message || e)));
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("image failed: " + src.split("?")[0]));
    img.src = src;
  });
}

// A mask PNG (0/255 grey) as a coloured, transparent-outside canvas.
function maskCanvas(img, colour) {
  const c = document.createElement("canvas");
  c.width = img.width; c.height = img.height;
  const g = c.getContext("2d");
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height);
  for (let i = 0; i < d.data.length; i += 4) {
    const on = d.data[i] > 127;
    d.data[i] = colour[0]; d.data[i + 1] = colour[1]; d.data[i + 2] = colour[2]; d.data[i + 3] = on ? 255 : 0;
  }
  g.putImageData(d, 0, 0);
  return c;
}

// ---------- Datasets ----------
async function viewDatasets() {
  const { datasets } = await api("/api/datasets");
  const cards = datasets.map(d => {
    const counts = d.counts || {};
    const rows = ["train", "val", "test"].map(s => el("tr", {}, el("td", {}, s),
      el("td", {}, (counts[s] || {}).patients ?? 0), el("td", {}, (counts[s] || {}).images ?? 0), el("td", {}, (counts[s] || {}).tiles ?? 0)));
    return el("div", { class: "card dataset" },
      el("h3", {}, el("a", { href: "#/dataset/" + encodeURIComponent(d.id), class: "dataset-link" }, d.name)),
      el("div", { class: "muted" }, `${d.recipe || "?"} · tile ${d.tile}² ${d.dtype} · ×${(d.scales || []).join(", ×")} · masks: ${d.masks ? (d.mask_names || []).join(", ") || "yes" : "no"}`),
      el("table", {}, el("tr", {}, el("th", {}, "split"), el("th", {}, "patients"), el("th", {}, "images"), el("th", {}, "tiles")), ...rows));
  });
  main().replaceChildren(el("h2", {}, "Datasets"),
    cards.length ? el("div", { class: "cards" }, ...cards) : el("p", { class: "muted" }, "No datasets under the roots (a dataset is a folder made by medsr build)."));
}

// ---------- Tile browser ----------
async function viewDataset(id) {
  const d = await api("/api/dataset?" + qs({ id }));
  const state = { split: "train", label: "", patient: "", minMask: "", maxMask: "", offset: 0 };
  const splitSel = el("select", { id: "split" }, ...d.splits.map(s => el("option", { value: s.name }, `${s.name} (${s.tiles})`)));
  const labelSel = el("select", { id: "label" });
  const patient = el("input", { id: "patient", placeholder: "patient pseudonym", size: 14 });
  const minMask = el("input", { id: "minMask", placeholder: "min mask", size: 6 });
  const maxMask = el("input", { id: "maxMask", placeholder: "max mask", size: 6 });
  const overlay = el("input", { type: "checkbox", id: "thumbMask", checked: "checked" });
  const grid = el("div", { class: "thumbs", id: "thumbs" });
  const more = el("button", { id: "more" }, "More");
  const info = el("span", { class: "muted", id: "tileCount" });
  function fillLabels() {
    const s = d.splits.find(s => s.name === state.split);
    labelSel.replaceChildren(el("option", { value: "" }, "any label"), ...(s ? s.labels : []).map(l => el("option", { value: l }, l)));
  }
  async function load(append) {
    if (!append) { state.offset = 0; grid.replaceChildren(); }
    const r = await api("/api/tiles?" + qs({ id, split: state.split, label: state.label, patient: state.patient,
      minMask: state.minMask, maxMask: state.maxMask, offset: state.offset, limit: 48 }));
    info.textContent = `${r.total} tiles`;
    for (const t of r.tiles) {
      const c = el("canvas", { width: 128, height: 128 });
      const item = el("div", { class: "thumb", "data-index": t.index, onclick: () => { location.hash = `#/compare/${encodeURIComponent(id)}/${state.split}/${t.index}`; } },
        c, el("small", {}, `#${t.index} ${t.label}`), el("small", {}, `${t.patient.slice(0, 10)} · mask ${(t.maskFraction * 100).toFixed(0)}%`));
      grid.append(item);
      drawThumb(c, id, state.split, t.index, d.masks && overlay.checked);
    }
    state.offset += r.tiles.length;
    more.style.display = state.offset < r.total ? "" : "none";
  }
  splitSel.onchange = () => { state.split = splitSel.value; fillLabels(); load(false).catch(showError); };
  labelSel.onchange = () => { state.label = labelSel.value; load(false).catch(showError); };
  for (const [input, key] of [[patient, "patient"], [minMask, "minMask"], [maxMask, "maxMask"]]) {
    input.onchange = () => { state[key] = input.value.trim(); load(false).catch(showError); };
  }
  overlay.onchange = () => load(false).catch(showError);
  more.onclick = () => load(true).catch(showError);
  fillLabels();
  const card = el("div", { class: "muted" }, `${d.recipe} · tile ${d.tile}² ${d.dtype} · ×${d.scales.join(", ×")} · intensity ${(d.intensity || {}).mode || "?"} · split ${(d.split || {}).policy || "?"}`);
  main().replaceChildren(el("h2", {}, d.id), card,
    el("div", { class: "controls" }, el("label", {}, "split"), splitSel, labelSel, patient, minMask, maxMask,
      el("label", {}, overlay, " mask overlay"), info), grid, more);
  await load(false);
}

async function drawThumb(canvas, id, split, index, withMask) {
  try {
    const g = canvas.getContext("2d");
    const img = await loadImage("/api/tile.png?" + qs({ id, split, index, kind: "hr" }));
    g.drawImage(img, 0, 0, canvas.width, canvas.height);
    if (withMask) {
      const m = await loadImage("/api/tile.png?" + qs({ id, split, index, kind: "mask" }));
      g.globalAlpha = 0.35;
      g.drawImage(maskCanvas(m, [255, 60, 60]), 0, 0, canvas.width, canvas.height);
      g.globalAlpha = 1;
    }
  } catch (e) { console.warn(e.message); }
}

// ---------- Compare ----------
async function viewCompare(id, split, index) {
  const [d, runs] = await Promise.all([api("/api/dataset?" + qs({ id })), api("/api/runs")]);
  const tile = d.tile;
  const view = { zoom: 1, cx: tile / 2, cy: tile / 2, scale: d.scales[d.scales.length - 1], model: "", mask: false, opacity: 0.4,
    lo: 0, hi: d.dtype === "uint16" ? 65535 : 255, single: false, current: 0, gain: 4 };
  const top = view.hi;
  const scaleSel = el("select", { id: "scale" }, ...d.scales.map(s => el("option", { value: s }, "×" + s)));
  scaleSel.value = view.scale;
  const modelSel = el("select", { id: "model" });
  function fillModels() {
    const fit = runs.runs.filter(r => r.model && r.model.scale === view.scale && r.model.channels === d.channels);
    modelSel.replaceChildren(el("option", { value: "" }, "no model"), ...fit.map(r => el("option", { value: r.id }, `${r.name} (${r.model.architecture})`)));
    if (!fit.some(r => r.id === view.model)) view.model = "";
    modelSel.value = view.model;
  }
  const maskBox = el("input", { type: "checkbox", id: "maskToggle" });
  const opacity = el("input", { type: "range", id: "opacity", min: 0, max: 100, value: 40 });
  const lo = el("input", { type: "number", id: "winLo", value: view.lo, size: 6 });
  const hi = el("input", { type: "number", id: "winHi", value: view.hi, size: 6 });
  const presets = el("select", { id: "preset" }, el("option", { value: "full" }, "full range"), el("option", { value: "auto" }, "tile min–max"),
    ...(top > 255 ? [el("option", { value: "soft" }, "soft tissue (mid 40%)"), el("option", { value: "bright" }, "bright (top 50%)")] : []));
  const singleBox = el("input", { type: "checkbox", id: "singleToggle" });
  const zoomLabel = el("span", { class: "muted", id: "zoomLabel" }, "zoom 1×");
  const panesBox = el("div", { class: "panes", id: "panes" });
  const metrics = el("div", { id: "metrics" });
  let panes = [];
  let maskImg = null;

  function kinds() {
    const k = [["lr", "LR ×" + view.scale], ["bicubic", "bicubic"], ["sharpened", "sharpened"]];
    if (view.model) k.push(["model", "model"]);
    k.push(["hr", "HR"], ["diff", "|" + (view.model ? "model" : "bicubic") + " − HR| ×" + view.gain], ["ssim", "SSIM map (" + (view.model ? "model" : "bicubic") + ")"]);
    return k;
  }
  function src(kind, windowed) {
    const p = { id, split, index, kind, scale: view.scale, model: view.model || undefined };
    if (kind === "diff" || kind === "ssim") p.of = view.model ? "model" : "bicubic";
    if (windowed && ["lr", "bicubic", "sharpened", "model", "hr"].includes(kind) && (view.lo !== 0 || view.hi !== top)) { p.lo = view.lo; p.hi = view.hi; }
    return "/api/tile.png?" + qs(p);
  }
  async function loadPanes() {
    const list = kinds();
    panesBox.replaceChildren();
    panes = list.map(([kind, label], i) => {
      const c = el("canvas", { width: 512, height: 512 });
      const box = el("div", { class: "pane", "data-kind": kind }, c, el("span", { class: "label" }, `${i + 1} ${label}`));
      attachPanZoom(c);
      box.addEventListener("click", () => { view.current = i; layout(); });
      panesBox.append(box);
      return { kind, canvas: c, box, img: null };
    });
    view.current = Math.min(view.current, panes.length - 1);
    layout();
    await Promise.all(panes.map(async p => {
      try { p.img = await loadImage(src(p.kind, true)); } catch (e) { p.error = e.message; }
      draw(p);
    }));
    if (d.masks) {
      try { maskImg = maskCanvas(await loadImage(src("mask", false)), [255, 60, 60]); } catch (e) { maskImg = null; }
      panes.forEach(draw);
    }
  }
  function layout() {
    panesBox.classList.toggle("single", view.single);
    panes.forEach((p, i) => {
      p.box.classList.toggle("current", i === view.current);
      p.box.classList.toggle("single", view.single);
      p.box.style.display = !view.single || i === view.current ? "" : "none";
    });
  }
  function draw(p) {
    const g = p.canvas.getContext("2d");
    const W = p.canvas.width;
    g.fillStyle = "#000"; g.fillRect(0, 0, W, W);
    if (!p.img) { if (p.error) { g.fillStyle = "#f88"; g.fillText(p.error, 10, 20); } return; }
    // View in HR pixel units: a square of side tile/zoom centred on (cx, cy).
    const side = tile / view.zoom;
    const x0 = view.cx - side / 2, y0 = view.cy - side / 2;
    const f = p.img.width / tile;  // LR images are smaller: same HR coordinates
    g.imageSmoothingEnabled = view.zoom * (W / tile) / f < 2;
    g.drawImage(p.img, x0 * f, y0 * f, side * f, side * f, 0, 0, W, W);
    if (view.mask && maskImg && p.kind !== "ssim") {
      g.globalAlpha = view.opacity;
      g.imageSmoothingEnabled = false;
      g.drawImage(maskImg, x0, y0, side, side, 0, 0, W, W);
      g.globalAlpha = 1;
    }
  }
  function redraw() {
    zoomLabel.textContent = `zoom ${view.zoom.toFixed(view.zoom < 10 ? 1 : 0)}×`;
    panes.forEach(draw);
  }
  function clampView() {
    view.zoom = Math.min(Math.max(view.zoom, 1), 32);
    const half = tile / view.zoom / 2;
    view.cx = Math.min(Math.max(view.cx, half), tile - half);
    view.cy = Math.min(Math.max(view.cy, half), tile - half);
  }
  function attachPanZoom(c) {
    let drag = null;
    c.addEventListener("wheel", ev => {
      ev.preventDefault();
      const r = c.getBoundingClientRect();
      const side = tile / view.zoom;
      const px = view.cx - side / 2 + (ev.clientX - r.left) / r.width * side;
      const py = view.cy - side / 2 + (ev.clientY - r.top) / r.height * side;
      const factor = ev.deltaY < 0 ? 1.25 : 0.8;
      const nz = Math.min(Math.max(view.zoom * factor, 1), 32);
      const k = view.zoom / nz;
      view.cx = px + (view.cx - px) * k; view.cy = py + (view.cy - py) * k; view.zoom = nz;
      clampView(); redraw();
    }, { passive: false });
    c.addEventListener("mousedown", ev => { drag = { x: ev.clientX, y: ev.clientY, cx: view.cx, cy: view.cy }; ev.preventDefault(); });
    window.addEventListener("mouseup", () => { drag = null; });
    c.addEventListener("mousemove", ev => {
      if (!drag) return;
      const r = c.getBoundingClientRect();
      const perPixel = tile / view.zoom / r.width;
      view.cx = drag.cx - (ev.clientX - drag.x) * perPixel;
      view.cy = drag.cy - (ev.clientY - drag.y) * perPixel;
      clampView(); redraw();
    });
  }
  async function loadMetrics() {
    metrics.replaceChildren(el("p", { class: "muted" }, "computing metrics…"));
    try {
      const m = await api("/api/compare?" + qs({ id, split, index, scale: view.scale, model: view.model || undefined }));
      const fmt = v => v === null || v === undefined ? "–" : Number(v).toFixed(4);
      metrics.replaceChildren(el("table", { id: "metricsTable" },
        el("tr", {}, ...["method", "PSNR (dB)", "SSIM", "SSIM in mask", "SSIM outside"].map(h => el("th", {}, h))),
        ...m.methods.map(r => el("tr", {}, el("td", {}, r.method), el("td", {}, fmt(r.psnr)), el("td", {}, fmt(r.ssim)),
          el("td", {}, fmt(r.ssimInside)), el("td", {}, fmt(r.ssimOutside))))),
        el("p", { class: "muted" }, `tile ${split} #${index} · label ${m.label || "–"} · mask ${(m.maskFraction * 100).toFixed(1)}%`));
    } catch (e) { metrics.replaceChildren(el("p", { class: "error" }, e.message)); }
  }
  let windowTimer = null;
  function windowChanged() {
    clearTimeout(windowTimer);
    windowTimer = setTimeout(() => {
      view.lo = Number(lo.value); view.hi = Number(hi.value);
      if (!(view.hi > view.lo)) { view.hi = view.lo + 1; hi.value = view.hi; }
      loadPanes();
    }, 250);
  }
  async function preset() {
    if (presets.value === "full") { lo.value = 0; hi.value = top; }
    else if (presets.value === "soft") { lo.value = Math.round(top * 0.3); hi.value = Math.round(top * 0.7); }
    else if (presets.value === "bright") { lo.value = Math.round(top * 0.5); hi.value = top; }
    else if (presets.value === "auto") {
      const img = panes.find(p => p.kind === "hr");
      if (img && img.img) {
        const c = document.createElement("canvas"); c.width = img.img.width; c.height = img.img.height;
        const g = c.getContext("2d"); g.drawImage(img.img, 0, 0);
        const v = g.getImageData(0, 0, c.width, c.height).data;
        let mn = 255, mx = 0;
        for (let i = 0; i < v.length; i += 4) { mn = Math.min(mn, v[i]); mx = Math.max(mx, v[i]); }
        const a = view.lo + (view.hi - view.lo) * mn / 255, b = view.lo + (view.hi - view.lo) * mx / 255;
        lo.value = Math.round(a); hi.value = Math.max(Math.round(b), Math.round(a) + 1);
      }
    }
    windowChanged();
  }
  function flip(step) { view.current = (view.current + step + panes.length) % panes.length; layout(); }
  function onKey(ev) {
    if (location.hash.indexOf("#/compare/") !== 0) { document.removeEventListener("keydown", onKey); return; }
    if (ev.target && (ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT")) return;
    const n = Number(ev.key);
    if (n >= 1 && n <= panes.length) { view.current = n - 1; if (!view.single) { view.single = true; singleBox.checked = true; } layout(); }
    else if (ev.key === "ArrowRight") flip(1);
    else if (ev.key === "ArrowLeft") flip(-1);
    else if (ev.key === "f") { view.single = !view.single; singleBox.checked = view.single; layout(); }
    else if (ev.key === "m") { view.mask = !view.mask; maskBox.checked = view.mask; redraw(); }
    else if (ev.key === "+" || ev.key === "=") { view.zoom *= 1.5; clampView(); redraw(); }
    else if (ev.key === "-") { view.zoom /= 1.5; clampView(); redraw(); }
    else if (ev.key === "0") { view.zoom = 1; clampView(); redraw(); }
    else return;
    ev.preventDefault();
  }
  document.addEventListener("keydown", onKey);
  scaleSel.onchange = () => { view.scale = Number(scaleSel.value); fillModels(); loadPanes(); loadMetrics(); };
  modelSel.onchange = () => { view.model = modelSel.value; loadPanes(); loadMetrics(); };
  maskBox.onchange = () => { view.mask = maskBox.checked; redraw(); };
  opacity.oninput = () => { view.opacity = opacity.value / 100; redraw(); };
  lo.onchange = windowChanged; hi.onchange = windowChanged;
  presets.onchange = preset;
  singleBox.onchange = () => { view.single = singleBox.checked; layout(); };
  fillModels();
  const download = el("a", { id: "downloadHR", href: src("hr", true) + "&download=1" }, "download HR PNG");
  main().replaceChildren(
    el("h2", {}, el("a", { href: "#/dataset/" + encodeURIComponent(id) }, d.id), ` · ${split} #${index}`),
    el("div", { class: "controls" }, el("label", {}, "scale"), scaleSel, el("label", {}, "model"), modelSel,
      d.masks ? el("label", {}, maskBox, " mask") : null, d.masks ? el("label", {}, "opacity ", opacity) : null,
      el("label", {}, "window"), lo, hi, presets, el("label", {}, singleBox, " single pane (flip)"), zoomLabel, download),
    panesBox, metrics);
  await Promise.all([loadPanes(), loadMetrics()]);
}

// ---------- Runs ----------
async function viewRuns() {
  const { runs } = await api("/api/runs");
  main().replaceChildren(el("h2", {}, "Training runs"), runs.length ? el("table", { id: "runsTable" },
    el("tr", {}, el("th", {}, "run"), el("th", {}, "model"), el("th", {}, "metrics"), el("th", {}, "report")),
    ...runs.map(r => el("tr", {}, el("td", {}, el("a", { href: "#/run/" + encodeURIComponent(r.id) }, r.name)),
      el("td", {}, r.model ? `${r.model.architecture} ×${r.model.scale}, ${r.model.channels} ch` : "–"),
      el("td", {}, r.hasMetrics ? "yes" : "–"),
      el("td", {}, r.hasReport ? el("a", { href: `/files/${r.id}/report.html`, target: "_blank", rel: "noopener" }, "report") : "–"))))
    : el("p", { class: "muted" }, "No runs under the roots (a run is a folder with model.safetensors from medsr train)."));
}

function chart(svg, columns, rows) {
  const W = 640, H = 260, pad = 36;
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg";
  const stepCol = columns.indexOf("step") >= 0 ? columns.indexOf("step") : 0;
  const colours = ["#4fa3ff", "#ffb347", "#7bd88f", "#ff6b6b", "#c792ea", "#89ddff"];
  const series = columns.map((c, i) => i).filter(i => i !== stepCol && rows.some(r => r[i] !== null));
  const xs = rows.map(r => r[stepCol]);
  const xmin = Math.min(...xs), xmax = Math.max(...xs, xmin + 1);
  let y = pad;
  series.forEach((ci, k) => {
    const vals = rows.map(r => r[ci]).filter(v => v !== null);
    if (!vals.length) return;
    const lo = Math.min(...vals), hi = Math.max(...vals, lo + 1e-9);
    const pts = rows.filter(r => r[ci] !== null).map(r =>
      `${pad + (r[stepCol] - xmin) / (xmax - xmin) * (W - 2 * pad)},${H - pad - (r[ci] - lo) / (hi - lo) * (H - 2 * pad)}`);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", pts.join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", colours[k % colours.length]);
    svg.append(line);
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", W - pad - 170); t.setAttribute("y", y); y += 14;
    t.setAttribute("fill", colours[k % colours.length]);
    t.textContent = `${columns[ci]}: ${vals[vals.length - 1].toPrecision(4)} (${lo.toPrecision(3)}…${hi.toPrecision(3)})`;
    svg.append(t);
  });
  const t = document.createElementNS(ns, "text");
  t.setAttribute("x", pad); t.setAttribute("y", H - 8);
  t.textContent = `${columns[stepCol] || "step"} ${xmin}…${xmax} · ${rows.length} rows (each curve scaled to its own range)`;
  svg.append(t);
}

async function viewRun(id) {
  const r = await api("/api/run?" + qs({ id }));
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "chart"); svg.setAttribute("id", "chart"); svg.setAttribute("width", 640); svg.setAttribute("height", 260);
  const rows = r.rows.slice();
  const live = el("span", { class: "muted", id: "live" }, "");
  chart(svg, r.columns, rows);
  const files = el("ul", {}, ...r.files.map(f => el("li", {}, el("a", { href: f, target: "_blank", rel: "noopener" }, f.split("/").pop()))));
  const samples = (r.samples || r.validation || []).map(s => el("img", { src: s, alt: "sample", width: 160 }));
  main().replaceChildren(el("h2", {}, id), el("p", { class: "muted" }, r.model ? `${r.model.architecture} ×${r.model.scale}` : ""),
    svg, live, el("h3", {}, "Files"), files, samples.length ? el("div", { class: "images" }, ...samples) : null);
  if (liveSource) liveSource.close();
  liveSource = new EventSource("/api/run/events?" + qs({ id, from: rows.length }));
  liveSource.addEventListener("metrics", ev => {
    const m = JSON.parse(ev.data);
    rows.push(m.row);
    live.textContent = `live: ${rows.length} rows`;
    chart(svg, m.columns, rows);
  });
  liveSource.onerror = () => { live.textContent = "live updates: reconnecting"; };
}

// ---------- Upload ----------
async function viewUpload() {
  const [{ runs }, status] = await Promise.all([api("/api/runs"), api("/api/status")]);
  const file = el("input", { type: "file", id: "file" });
  const modelSel = el("select", { id: "uploadModel" }, el("option", { value: "" }, "no model (bicubic only)"),
    ...runs.filter(r => r.model).map(r => el("option", { value: r.id }, `${r.name} (${r.model.architecture} ×${r.model.scale})`)));
  const scaleSel = el("select", { id: "uploadScale" }, ...[2, 3, 4].map(s => el("option", { value: s }, "×" + s)));
  scaleSel.value = 4;
  const go = el("button", { id: "uploadButton" }, "Upload and run");
  const out = el("div", { id: "uploadResult" });
  go.onclick = async () => {
    const f = file.files[0];
    if (!f) { out.replaceChildren(el("p", { class: "error" }, "choose a file first")); return; }
    out.replaceChildren(el("p", { class: "muted" }, "working…"));
    try {
      const r = await fetch("/api/upload?" + qs({ name: f.name, model: modelSel.value, scale: scaleSel.value }),
        { method: "POST", body: f, credentials: "same-origin", headers: { "Content-Type": "application/octet-stream" } });
      const body = await r.json();
      if (!r.ok) { out.replaceChildren(el("p", { class: "error", id: "uploadError" }, body.error)); return; }
      const fig = (label, src) => el("figure", {}, el("figcaption", {}, label, " · ", el("a", { href: src + "?download=1", class: "download", download: "" }, "download PNG")),
        el("img", { src, alt: label }));
      const desc = body.description || {};
      out.replaceChildren(el("p", { class: "muted" }, `${desc.format || "?"} ${body.size[0]}×${body.size[1]}${desc.modality ? " · " + desc.modality : ""} · ×${body.scale}`),
        el("div", { class: "images" }, fig("input", body.input), fig("bicubic ×" + body.scale, body.bicubic), body.output ? fig("model output", body.output) : null),
        body.dicom ? el("p", {}, el("a", { href: body.dicom, id: "dicomDownload" }, "download the derived, de-identified DICOM")) : null);
    } catch (e) { out.replaceChildren(el("p", { class: "error" }, e.message)); }
  };
  main().replaceChildren(el("h2", {}, "Try your own image"),
    el("p", { class: "muted" }, `DICOM, PNG, TIFF, JPEG, BMP, MATLAB or NIfTI, up to ${Math.round(status.maxUploadBytes / 1048576)} MiB. The file stays in a private temporary folder, deleted when the server stops.`),
    el("div", { class: "controls" }, file, el("label", {}, "model"), modelSel, el("label", {}, "scale without a model"), scaleSel, go), out);
}

// ---------- Router ----------
async function route() {
  if (liveSource && !location.hash.startsWith("#/run/")) { liveSource.close(); liveSource = null; }
  const parts = (location.hash || "#/datasets").slice(2).split("/").map(decodeURIComponent);
  for (const a of document.querySelectorAll("header nav a")) a.classList.toggle("active", location.hash.startsWith(a.getAttribute("href")));
  try {
    if (parts[0] === "dataset" && parts.length >= 2) await viewDataset(parts.slice(1).join("/"));
    else if (parts[0] === "compare" && parts.length >= 4) await viewCompare(parts.slice(1, parts.length - 2).join("/"), parts[parts.length - 2], Number(parts[parts.length - 1]));
    else if (parts[0] === "runs") await viewRuns();
    else if (parts[0] === "run" && parts.length >= 2) await viewRun(parts.slice(1).join("/"));
    else if (parts[0] === "upload") await viewUpload();
    else await viewDatasets();
  } catch (e) { showError(e); }
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => {
  try {
    const s = await api("/api/status");
    document.getElementById("status").textContent = `${s.roots} root(s) · jobs ${s.jobs.running}/${s.jobs.slots}` + (s.showPHI ? " · showing identifiers" : "");
  } catch (e) { document.getElementById("status").textContent = e.message; }
  route();
});
