// AttGAN Studio's page. Plain JavaScript, no build step: the server embeds this file.
//
// The edits are a list of [attribute, intensity] in the order they were touched (the newest
// last: it wins the conflict rules). At most one rendering is in flight; moves made meanwhile
// are merged into the next request, so the newest slider position always wins and nothing
// queues up.
"use strict";

const $ = (id) => document.getElementById(id);

const state = {
  model: null,
  photo: null,      // the open photo, as /api/photos answered
  file: null,       // the file it came from, to open it again with another framing
  edits: [],        // [[name, intensity]], oldest first
  seq: 0,           // the newest request's number
  shown: 0,         // the number of the rendering on screen
  inflight: false,
  pending: false,
  sentAt: new Map(),
};

// What the page measured: one entry per rendering shown, for people and for the browser test.
window.studioStats = { renders: [], errors: [] };

function say(text, kind = "error", action = null) {
  const box = $("message");
  box.hidden = !text;
  box.className = kind === "note" ? "note" : "";
  box.textContent = text || "";
  if (action) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = action.label;
    b.className = "secondary";
    b.addEventListener("click", action.run);
    box.appendChild(b);
  }
  if (text && kind === "error") window.studioStats.errors.push(text);
}

async function answer(response) {
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) {
    const err = new Error(body && body.error ? body.error : `${response.status} ${response.statusText}`);
    err.code = body && body.code;
    throw err;
  }
  return body;
}

function fmt(v) { return (v >= 0 ? "+" : "") + v.toFixed(2); }

async function loadModel() {
  const m = await answer(await fetch("api/model"));
  state.model = m;
  $("model").textContent =
    `${m.name} · ${m.image_size}×${m.image_size} · ${m.attributes.length} attributes · ${m.backend}`;
  $("limits").textContent =
    `PNG or JPEG, up to ${(m.limits.max_bytes / 1048576).toFixed(0)} MiB and ${(m.limits.max_pixels / 1e6).toFixed(0)} megapixels`;
  $("dataset-row").hidden = !m.dataset;
  const body = $("attributes").querySelector("tbody");
  body.textContent = "";
  for (const a of m.attributes) {
    const row = document.createElement("tr");
    row.dataset.name = a.name;
    row.innerHTML =
      `<td><input type="checkbox" class="toggle" aria-label="${a.name} on"></td>` +
      `<td class="name">${a.name.replaceAll("_", " ")}<small></small></td>` +
      `<td><input type="range" class="slider" aria-label="${a.name} intensity"` +
      ` min="${-m.intensity_max}" max="${m.intensity_max}" step="0.01" value="0"></td>` +
      `<td class="value"></td>`;
    if (a.conflicts.length) row.title = `turning it on turns off ${a.conflicts.join(", ")}`;
    row.querySelector(".slider").addEventListener("input", (e) => {
      setEdit(a.name, parseFloat(e.target.value));
    });
    row.querySelector(".toggle").addEventListener("change", (e) => {
      const v = (e.target.checked ? 1 : -1) * m.test_int;
      row.querySelector(".slider").value = v;
      setEdit(a.name, v);
    });
    body.appendChild(row);
  }
}

function rows() { return [...$("attributes").querySelectorAll("tbody tr")]; }

function setEdit(name, value) {
  state.edits = state.edits.filter(([n]) => n !== name);
  state.edits.push([name, value]);
  const row = rows().find((r) => r.dataset.name === name);
  row.querySelector(".value").textContent = fmt(value);
  row.querySelector(".toggle").checked = value > 0;
  row.classList.add("changed");
  request();
}

function request() {
  if (!state.photo) return;
  if (state.inflight) { state.pending = true; return; }
  send();
}

async function send() {
  state.inflight = true;
  state.pending = false;
  const seq = ++state.seq;
  const id = state.photo.id;
  const sentAt = performance.now();
  try {
    const r = await fetch(`api/photos/${id}/render`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ seq, edits: state.edits }),
    });
    if (r.status === 409) return; // overtaken by a newer edit: nothing to show
    const done = await answer(r);
    if (state.photo && state.photo.id === id && done.seq > state.shown) {
      state.shown = done.seq;
      await show(done, sentAt, !state.pending);
    }
  } catch (e) {
    say(e.message);
  } finally {
    state.inflight = false;
    if (state.pending && state.photo && state.photo.id === id) send();
  }
}

// Puts a rendering on screen; `settled`: no newer edit is waiting, so the controls can take
// the server's word for every attribute (the conflict rules may have turned some off).
async function show(done, sentAt, settled) {
  const edited = $("edited");
  await new Promise((resolve) => {
    edited.onload = resolve;
    edited.onerror = resolve;
    edited.src = done.face;
  });
  $("photo").src = done.photo;
  const onScreen = performance.now() - sentAt;
  window.studioStats.renders.push({ seq: done.seq, model_ms: done.model_ms, server_ms: done.server_ms, screen_ms: onScreen });
  $("timing").textContent = `· model ${done.model_ms.toFixed(0)} ms · on screen ${onScreen.toFixed(0)} ms`;
  $("download").href = `api/photos/${state.photo.id}/edited.png?seq=${done.seq}`;
  $("download-face").href = `api/photos/${state.photo.id}/face.png?seq=${done.seq}`;
  if (settled) showAttributes(done.attributes, done.input);
}

// Toggles and sliders as G's input has them: attributes the conflict rules switched off are
// shown off, and the edit list takes their new value.
function showAttributes(on, input) {
  const turnedOff = [];
  rows().forEach((row, i) => {
    const name = row.dataset.name;
    const toggle = row.querySelector(".toggle");
    const edit = state.edits.find(([n]) => n === name);
    const newest = state.edits.length && state.edits[state.edits.length - 1][0] === name;
    if (toggle.checked && !on[i] && !newest) turnedOff.push(name);
    toggle.checked = on[i];
    if (!newest) {
      row.querySelector(".slider").value = input[i];
      row.querySelector(".value").textContent = fmt(input[i]);
      if (edit) edit[1] = input[i];
    }
  });
  const note = $("conflicts");
  if (turnedOff.length && state.edits.length) {
    const by = state.edits[state.edits.length - 1][0];
    note.textContent = `${by.replaceAll("_", " ")} on turns off ${turnedOff.map((n) => n.replaceAll("_", " ")).join(", ")}`;
    for (const name of turnedOff) {
      const row = rows().find((r) => r.dataset.name === name);
      row.classList.add("flash");
      setTimeout(() => row.classList.remove("flash"), 900);
    }
  } else if (!state.edits.length) {
    note.textContent = "";
  }
}

function showPhoto(p) {
  state.photo = p;
  state.edits = [];
  state.seq = 0;
  state.shown = 0;
  $("work").hidden = false;
  $("original").src = p.original_face;
  $("edited").src = p.face;
  $("photo").src = p.photo;
  $("timing").textContent = "";
  $("conflicts").textContent = "";
  $("download").href = `api/photos/${p.id}/edited.png`;
  $("download-face").href = `api/photos/${p.id}/face.png`;
  $("download").setAttribute("download", `${p.name.replace(/\.[^.]*$/, "")}-edited.png`);
  const kinds = {
    classifier: "Toggles start from the attributes C predicts (its confidence beside each name).",
    annotations: "Toggles start from the dataset's annotations.",
    none: "This export has no classifier: every attribute starts off; switch on what the photo has.",
  };
  $("source-kind").textContent = kinds[p.source_kind];
  rows().forEach((row, i) => {
    row.classList.remove("changed");
    row.querySelector(".toggle").checked = p.attributes[i];
    row.querySelector(".slider").value = p.input[i];
    row.querySelector(".value").textContent = fmt(p.input[i]);
    row.querySelector("small").textContent =
      p.source_kind === "classifier" ? `${Math.round(p.source[i] * 100)}%` : "";
  });
  // The frame the model's face was taken from, drawn over the whole photo.
  const box = $("box");
  box.style.left = `${(100 * p.crop.left) / p.width}%`;
  box.style.top = `${(100 * p.crop.top) / p.height}%`;
  box.style.width = `${(100 * p.crop.width) / p.width}%`;
  box.style.height = `${(100 * p.crop.height) / p.height}%`;
  // A dataset image is the model's input already: no whole photo to paste into.
  document.querySelector(".whole").hidden = p.frame === "whole";
  const how = p.face_box ? "the face found, framed as aligned CelebA (dashed)" : "the centred crop (dashed)";
  const scaled = p.scaled_from ? ` · scaled from ${p.scaled_from[0]}×${p.scaled_from[1]}` : "";
  $("photo-caption").textContent = `The whole photo (${p.width}×${p.height}${scaled}), the edited face pasted back: ${how}`;
}

async function openFile(file, frame) {
  state.file = file;
  if (state.model && file.size > state.model.limits.max_bytes) {
    say(`\`${file.name}\` is larger than the studio's limit of ${(state.model.limits.max_bytes / 1048576).toFixed(0)} MiB per photo`);
    return;
  }
  say(`opening ${file.name}…`, "note");
  const query = new URLSearchParams({ name: file.name, frame });
  try {
    const p = await answer(await fetch(`api/photos?${query}`, { method: "POST", body: file }));
    say("");
    closeCurrent();
    showPhoto(p);
  } catch (e) {
    if (e.code === "no_face") {
      say(e.message, "error", { label: "Use the centred crop", run: () => openFile(file, "crop") });
    } else {
      say(e.message);
    }
  }
}

async function openIndex(index) {
  say(`opening dataset image ${index}…`, "note");
  try {
    const p = await answer(await fetch(`api/dataset/${index}`, { method: "POST" }));
    say("");
    closeCurrent();
    showPhoto(p);
  } catch (e) {
    say(e.message);
  }
}

function closeCurrent() {
  if (state.photo) fetch(`api/photos/${state.photo.id}`, { method: "DELETE" }).catch(() => {});
}

function frameChoice() { return $("align").checked ? "face" : "crop"; }

function wire() {
  $("file").addEventListener("change", (e) => {
    if (e.target.files.length) openFile(e.target.files[0], frameChoice());
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) openFile(e.dataTransfer.files[0], frameChoice());
  });
  $("align").addEventListener("change", () => { if (state.file) openFile(state.file, frameChoice()); });
  $("open-index").addEventListener("click", () => openIndex(parseInt($("index").value, 10) || 0));
  $("reset").addEventListener("click", () => {
    state.edits = [];
    rows().forEach((r) => r.classList.remove("changed"));
    $("conflicts").textContent = "";
    state.pending = false;
    if (state.photo) {
      // Back to the source: the reconstruction, every control where it started.
      rows().forEach((row, i) => {
        row.querySelector(".toggle").checked = state.photo.attributes[i];
        row.querySelector(".slider").value = state.photo.input[i];
        row.querySelector(".value").textContent = fmt(state.photo.input[i]);
      });
    }
    request();
  });
}

wire();
loadModel().catch((e) => say(`the model's description did not load: ${e.message}`));
