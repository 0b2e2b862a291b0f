/* Fangyi: the checkpoint registration screen (staff_views.register), offline first.

   Every save goes to IndexedDB first, with a UUID made here; a sender posts what waits to
   POST /api/v1/checkpoints/registrations/batch whenever there is a network (on load, when the
   phone comes online, after each save, every 20 s). The server stores each UUID once, so sending
   again is harmless. "created", "duplicate" and "refused" (stored as an attempt) leave the phone;
   "rejected" stay, marked with their problems, for correction and re-sending. The plate and
   temperature checks mirror plates.py and temperature.py; the server remains the authority. */
(function () {
  "use strict";

  const CFG = JSON.parse(document.getElementById("register-config").textContent);
  const T = CFG.text;
  const LOW = Number(CFG.low);
  const HIGH = Number(CFG.high);
  const FEVER = Number(CFG.fever);
  const BATCH_SIZE = 50;
  const RETRY_MS = 20000;
  const KEY = "fangyi.register." + CFG.user + ".";
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)[sd]/g, (match, key) =>
      key in values ? String(values[key]) : match
    );
  }

  function remember(name, value) {
    try {
      localStorage.setItem(KEY + name, JSON.stringify(value));
    } catch (error) {
      /* storage full or private mode: the page still works, it forgets */
    }
  }

  function recall(name, fallback) {
    try {
      const raw = localStorage.getItem(KEY + name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (error) {
      return fallback;
    }
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function csrfToken() {
    const found = document.cookie.split(";").map((c) => c.trim()).find((c) => c.startsWith("csrftoken="));
    return found ? decodeURIComponent(found.slice("csrftoken=".length)) : "";
  }

  function clock(iso) {
    const when = new Date(iso);
    return `${String(when.getHours()).padStart(2, "0")}:${String(when.getMinutes()).padStart(2, "0")}`;
  }

  function today() {
    const now = new Date();
    return `${now.getFullYear()}-${now.getMonth() + 1}-${now.getDate()}`;
  }

  // Checks mirroring the server ---------------------------------------------------------------

  const PROVINCES = CFG.provinces;
  const LETTER = "A-HJ-NP-Z"; // no I, no O
  const REGULAR = new RegExp(`^[${PROVINCES}][${LETTER}][${LETTER}0-9]{4}[${LETTER}0-9挂学警港澳]$`);
  const NEW_ENERGY_SMALL = new RegExp(`^[${PROVINCES}][${LETTER}][A-HJK][${LETTER}0-9][0-9]{4}$`);
  const NEW_ENERGY_LARGE = new RegExp(`^[${PROVINCES}][${LETTER}][0-9]{5}[DF]$`);

  function normalizePlate(raw) {
    return String(raw || "").normalize("NFKC").replace(/[\s·•.\-_]/g, "").toUpperCase();
  }

  function plateProblem(plate) {
    if (!plate) return T.plate_required;
    if (!PROVINCES.includes(plate[0])) return T.plate_province;
    if (plate.length !== 7 && plate.length !== 8) return T.plate_length;
    if (/[IO]/.test(plate)) return T.plate_io;
    if (plate.length === 7 && REGULAR.test(plate)) return "";
    if (plate.length === 8 && (NEW_ENERGY_SMALL.test(plate) || NEW_ENERGY_LARGE.test(plate))) return "";
    return fmt(T.plate_invalid, { plate });
  }

  function displayPlate(plate) {
    return plate.length > 2 ? `${plate.slice(0, 2)}·${plate.slice(2)}` : plate;
  }

  /* {value: "37.3"} | {value: null} (not taken) | {error, suggestion?} */
  function parseTemperature(raw) {
    const text = String(raw || "")
      .trim()
      .replace(/，/g, ".")
      .replace(/,/g, ".")
      .replace("℃", "")
      .replace("°C", "")
      .replace("°", "")
      .trim();
    if (!text) return { value: null };
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return { error: fmt(T.temp_not_number, { value: text }) };
    const value = Number(text);
    if (value >= LOW && value <= HIGH) return { value: (Math.round(value * 10) / 10).toFixed(1) };
    if (/^\d{3}$/.test(text)) {
      const guess = Number(text) / 10;
      if (guess >= LOW && guess <= HIGH) {
        return { error: fmt(T.temp_typo, { value: text, guess: guess.toFixed(1) }), suggestion: guess.toFixed(1) };
      }
    }
    return { error: fmt(T.temp_range, { value: text, low: CFG.low, high: CFG.high }) };
  }

  const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const ID_CHECK = "10X98765432";

  /* One field takes either: an 11-digit mobile or an ID number (18, or legacy 15). */
  function parseIdOrPhone(raw) {
    const text = String(raw || "").normalize("NFKC").replace(/[\s\-()]/g, "").toUpperCase();
    if (!text) return {};
    if (/^(\+?86|0086)?1[3-9]\d{9}$/.test(text)) return { phone: text.slice(-11) };
    if (/^\d{17}[\dX]$/.test(text)) {
      const sum = ID_WEIGHTS.reduce((total, weight, i) => total + weight * Number(text[i]), 0);
      if (ID_CHECK[sum % 11] !== text[17]) return { error: T.id_checksum };
      return { id_number: text };
    }
    if (/^\d{15}$/.test(text)) return { id_number: text };
    return { error: T.idphone_invalid };
  }

  // IndexedDB: the registrations waiting on this phone ----------------------------------------

  const DB_NAME = "fangyi-register";
  const STORE = "outbox";
  let dbOpening = null;

  function database() {
    if (!dbOpening) {
      dbOpening = new Promise((resolve, reject) => {
        const opening = indexedDB.open(DB_NAME, 1);
        opening.onupgradeneeded = () => {
          const store = opening.result.createObjectStore(STORE, { keyPath: "id" });
          store.createIndex("user", "user");
        };
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => reject(opening.error);
      });
    }
    return dbOpening;
  }

  function finished(transaction) {
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = transaction.onabort = () => reject(transaction.error);
    });
  }

  async function outboxAll() {
    const db = await database();
    const reading = db.transaction(STORE).objectStore(STORE).index("user").getAll(CFG.user);
    const records = await new Promise((resolve, reject) => {
      reading.onsuccess = () => resolve(reading.result);
      reading.onerror = () => reject(reading.error);
    });
    return records.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
  }

  async function outboxPut(records) {
    const db = await database();
    const writing = db.transaction(STORE, "readwrite");
    for (const record of [].concat(records)) writing.objectStore(STORE).put(record);
    return finished(writing);
  }

  async function outboxDelete(ids) {
    const db = await database();
    const writing = db.transaction(STORE, "readwrite");
    for (const id of ids) writing.objectStore(STORE).delete(id);
    return finished(writing);
  }

  // State of the form ------------------------------------------------------------------------

  const state = {
    checkpoint: null,
    direction: recall("direction", "in"),
    province: recall("province", CFG.defaultProvince),
    result: "",
    resultByHand: false,
    editing: null, // the outbox record being corrected
    suggest: { plates: [], people: [] },
    suggestFetchedAt: 0,
    sending: false,
    network: navigator.onLine ? "online" : "offline",
  };

  const form = $("#reg-form");
  const passengersBox = $("#passengers");
  const plateRest = $("#plate-rest");

  function checkpointByCode(code) {
    return CFG.checkpoints.find((cp) => cp.code === code) || null;
  }

  function setNetwork(name, detail) {
    state.network = name;
    const label = $("#net-state");
    label.dataset.state = name;
    label.textContent = detail || T[name] || name;
  }

  // Checkpoint --------------------------------------------------------------------------------

  function chooseCheckpoint(code) {
    const checkpoint = checkpointByCode(code);
    state.checkpoint = checkpoint;
    $("#cp-choose").hidden = Boolean(checkpoint);
    form.hidden = !checkpoint;
    if (!checkpoint) return;
    remember("checkpoint", checkpoint.code);
    $("#cp-name").textContent = checkpoint.name;
    const flag = $("#cp-flag");
    flag.hidden = !(checkpoint.sealed || checkpoint.closed);
    flag.className = "badge " + (checkpoint.sealed ? "sealed" : "closed");
    flag.textContent = checkpoint.sealed ? T.sealed : T.closed;
    $$(".pass-box").forEach((box) => (box.hidden = !checkpoint.sealed));
    state.suggest = recall("suggest." + checkpoint.code, { plates: [], people: [] });
    state.suggestFetchedAt = 0;
    renderPlateSuggestions();
    refreshSuggestions();
  }

  // Direction and plate ----------------------------------------------------------------------

  function setDirection(direction) {
    state.direction = direction;
    remember("direction", direction);
    $$(".seg button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.direction === direction)));
  }

  function setProvince(province) {
    state.province = province;
    $("#plate-province").textContent = province;
    remember("province", province);
  }

  function toggleProvinceKeys(open) {
    const keys = $("#province-keys");
    keys.hidden = !open;
    $("#plate-province").setAttribute("aria-expanded", String(open));
  }

  /* The plate as typed: the province key and the rest ("" for people on foot). */
  function currentPlate() {
    let rest = normalizePlate(plateRest.value);
    if (!rest) return "";
    if (PROVINCES.includes(rest[0])) {
      setProvince(rest[0]);
      rest = rest.slice(1);
      plateRest.value = rest;
    }
    return state.province + rest;
  }

  function showPlateProblem(message) {
    const error = $("#plate-error");
    error.textContent = message || "";
    error.hidden = !message;
    $("#plate-box").classList.toggle("has-error", Boolean(message));
  }

  // Suggestions --------------------------------------------------------------------------------

  let remoteTimer = null;
  let remoteAbort = null;
  const remoteResults = { plates: [], people: [], query: "" };

  async function refreshSuggestions(force) {
    const checkpoint = state.checkpoint;
    if (!checkpoint || !navigator.onLine) return;
    if (!force && Date.now() - state.suggestFetchedAt < 60000) return;
    state.suggestFetchedAt = Date.now();
    try {
      const url = `${CFG.urls.suggestions}?checkpoint=${encodeURIComponent(checkpoint.code)}`;
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok || response.redirected) return;
      const data = await response.json();
      if (state.checkpoint !== checkpoint) return;
      state.suggest = { plates: data.plates || [], people: data.people || [] };
      remember("suggest." + checkpoint.code, state.suggest);
      renderPlateSuggestions();
    } catch (error) {
      /* no network: the kept suggestions serve */
    }
  }

  function askServer(query, then) {
    clearTimeout(remoteTimer);
    if (remoteAbort) remoteAbort.abort();
    if (!query || !navigator.onLine || !state.checkpoint) return;
    remoteTimer = setTimeout(async () => {
      remoteAbort = new AbortController();
      try {
        const url = `${CFG.urls.suggestions}?checkpoint=${encodeURIComponent(state.checkpoint.code)}&q=${encodeURIComponent(query)}`;
        const response = await fetch(url, { credentials: "same-origin", signal: remoteAbort.signal });
        if (!response.ok || response.redirected) return;
        const data = await response.json();
        remoteResults.plates = data.plates || [];
        remoteResults.people = data.people || [];
        remoteResults.query = query;
        then();
      } catch (error) {
        /* aborted or offline */
      }
    }, 250);
  }

  function matchingPlates(typed) {
    const found = [];
    const seen = new Set();
    const candidates = state.suggest.plates.concat(remoteResults.query === typed ? remoteResults.plates : []);
    for (const item of candidates) {
      if (seen.has(item.plate)) continue;
      if (typed && !item.plate.includes(typed) && !item.plate.slice(1).includes(typed)) continue;
      seen.add(item.plate);
      found.push(item);
    }
    return found.slice(0, typed ? 6 : 4);
  }

  function renderPlateSuggestions() {
    const list = $("#plate-suggestions");
    list.replaceChildren();
    if (!state.checkpoint) return;
    const typed = normalizePlate(plateRest.value);
    for (const item of matchingPlates(typed)) {
      if (typed && item.plate === state.province + typed) continue;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "plate-suggestion";
      button.dataset.plate = item.plate;
      const plate = document.createElement("span");
      plate.className = "plate-text";
      plate.textContent = item.display || displayPlate(item.plate);
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = (item.passengers || []).map((p) => p.name).join("、") || T.on_foot;
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = item.times > 1 ? fmt(T.times, { n: item.times }) : item.last ? item.last.slice(5, 10) : "";
      button.append(plate, who, when);
      button.addEventListener("click", () => fillFromPlate(item));
      const li = document.createElement("li");
      li.append(button);
      list.append(li);
    }
  }

  function fillFromPlate(item) {
    setProvince(item.plate[0]);
    plateRest.value = item.plate.slice(1);
    showPlateProblem("");
    const people = item.passengers && item.passengers.length ? item.passengers : [{}];
    passengersBox.replaceChildren();
    for (const person of people) {
      const box = addPassenger();
      if (person.person_id) {
        choosePerson(box, person);
      } else if (person.name) {
        $(".p-name", box).value = person.name;
        $(".p-idphone", box).placeholder = person.id_masked || person.phone_masked || "";
      }
    }
    $("#plate-suggestions").replaceChildren();
    toggleProvinceKeys(false);
    updateFeverResult();
  }

  function matchingPeople(query) {
    const text = query.trim().toLowerCase();
    if (!text) return [];
    const pool = [];
    const seen = new Set();
    const add = (person) => {
      if (!person.person_id || seen.has(person.person_id)) return;
      seen.add(person.person_id);
      pool.push(person);
    };
    for (const person of state.suggest.people) add(person);
    for (const plate of state.suggest.plates) for (const person of plate.passengers || []) add(person);
    const local = pool.filter(
      (p) =>
        (p.name || "").includes(query.trim()) ||
        (p.pinyin && p.pinyin.startsWith(text)) ||
        (p.initials && p.initials.startsWith(text)) ||
        (/^\d{4}$/.test(text) && (p.phone_masked || "").endsWith(text))
    );
    const remote = remoteResults.query === query ? remoteResults.people : [];
    const merged = [];
    const shown = new Set();
    for (const person of local.concat(remote)) {
      if (shown.has(person.person_id)) continue;
      shown.add(person.person_id);
      merged.push(person);
    }
    return merged.slice(0, 5);
  }

  function renderPeopleSuggestions(box) {
    const list = $(".suggest.people", box);
    list.replaceChildren();
    if (box.person) return;
    const query = $(".p-name", box).value;
    for (const person of matchingPeople(query)) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "person-suggestion";
      const name = document.createElement("strong");
      name.textContent = person.name;
      const who = document.createElement("span");
      who.className = "who mono";
      who.textContent = person.id_masked || person.phone_masked || "";
      const where = document.createElement("span");
      where.className = "when";
      where.textContent = person.place || "";
      button.append(name, who, where);
      button.addEventListener("click", () => choosePerson(box, person));
      const li = document.createElement("li");
      li.append(button);
      list.append(li);
    }
  }

  // People -----------------------------------------------------------------------------------

  function numberPassengers() {
    const boxes = $$(".person", passengersBox);
    boxes.forEach((box, i) => {
      $(".person-no", box).textContent = fmt(T.person, { n: i + 1 });
      const remove = $(".remove-person", box);
      remove.textContent = T.remove;
      remove.hidden = boxes.length === 1;
    });
  }

  function addPassenger() {
    const box = $("#passenger-template").content.firstElementChild.cloneNode(true);
    box.person = null;
    const name = $(".p-name", box);
    const temp = $(".p-temp", box);
    const self = $(".p-self", box);
    name.addEventListener("input", () => {
      if (box.person && name.value !== box.person.name) unchoosePerson(box);
      renderPeopleSuggestions(box);
      askServer(name.value.trim(), () => renderPeopleSuggestions(box));
    });
    temp.addEventListener("input", () => checkTemperature(box, false));
    temp.addEventListener("change", () => checkTemperature(box, true));
    $(".temp-fix", box).addEventListener("click", (event) => {
      temp.value = event.currentTarget.dataset.value;
      checkTemperature(box, true);
    });
    $(".p-idphone", box).addEventListener("change", () => checkIdPhone(box));
    self.addEventListener("change", () => lookUpSelfCode(box));
    $(".unchoose", box).addEventListener("click", () => {
      unchoosePerson(box);
      name.value = "";
      name.focus();
    });
    $(".remove-person", box).addEventListener("click", () => {
      box.remove();
      numberPassengers();
      updateFeverResult();
    });
    $(".pass-box", box).hidden = !(state.checkpoint && state.checkpoint.sealed);
    passengersBox.append(box);
    numberPassengers();
    return box;
  }

  function choosePerson(box, person) {
    box.person = person;
    $(".p-name", box).value = person.name;
    const chosen = $(".chosen", box);
    chosen.hidden = false;
    $(".chosen-text", chosen).textContent = [person.name, person.id_masked || person.phone_masked, person.place]
      .filter(Boolean)
      .join(" · ");
    $(".idphone", box).hidden = true;
    $(".p-idphone", box).value = "";
    showError(box, ".p-idphone-error", "");
    $(".suggest.people", box).replaceChildren();
  }

  function unchoosePerson(box) {
    box.person = null;
    $(".chosen", box).hidden = true;
    $(".idphone", box).hidden = false;
  }

  const ERROR_INPUT = {
    ".p-temp-error": ".p-temp",
    ".p-idphone-error": ".p-idphone",
    ".p-other-error": ".p-name",
  };

  function showError(box, selector, message) {
    const element = $(selector, box);
    element.textContent = message || "";
    element.hidden = !message;
    const input = $(ERROR_INPUT[selector], box);
    if (input) input.classList.toggle("invalid", Boolean(message));
  }

  /* Red and "fever clinic" as soon as a fever is typed; a "373" offers 37.3. */
  function checkTemperature(box, final) {
    const raw = $(".p-temp", box).value;
    const parsed = parseTemperature(raw);
    const fix = $(".temp-fix-row", box);
    const fever = parsed.value != null && Number(parsed.value) >= FEVER;
    box.classList.toggle("fever", fever);
    const note = $(".fever-note", box);
    note.hidden = !fever;
    note.textContent = fever ? T.fever : "";
    if (parsed.suggestion && (final || raw.trim().length >= 3)) {
      fix.hidden = false;
      const button = $(".temp-fix", fix);
      button.dataset.value = parsed.suggestion;
      button.textContent = `${parsed.suggestion} °C ?`;
      showError(box, ".p-temp-error", parsed.error);
    } else {
      fix.hidden = true;
      showError(box, ".p-temp-error", final ? parsed.error : "");
    }
    updateFeverResult();
    return parsed;
  }

  function updateFeverResult() {
    const anyFever = $$(".person.fever", passengersBox).length > 0;
    if (anyFever && !state.resultByHand) setResult("fever_clinic", false);
    if (!anyFever && state.result === "fever_clinic" && !state.resultByHand) setResult("", false);
  }

  function checkIdPhone(box) {
    const parsed = parseIdOrPhone($(".p-idphone", box).value);
    showError(box, ".p-idphone-error", parsed.error || "");
    return parsed;
  }

  async function lookUpSelfCode(box) {
    const code = $(".p-self", box).value.trim().toUpperCase();
    const info = $(".p-self-info", box);
    info.hidden = true;
    if (code.length < 4 || !navigator.onLine) return;
    try {
      const url = CFG.urls.selfRegistration.replace("CODE", encodeURIComponent(code));
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      info.hidden = false;
      if (!response.ok) {
        info.textContent = T.self_unknown;
        return;
      }
      const found = await response.json();
      info.textContent = fmt(T.self_found, { name: found.name }) + " " + (found.id_number || found.phone || "");
      if (!found.usable) info.textContent += " · " + T.self_unusable;
      const name = $(".p-name", box);
      if (!name.value && !box.person) name.value = found.name;
    } catch (error) {
      /* offline: the server checks the code when the registration is sent */
    }
  }

  // Result -------------------------------------------------------------------------------------

  function setResult(value, byHand) {
    state.result = value;
    if (byHand) state.resultByHand = true;
    $$(".result-keys button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.result === value)));
    if (value) $("#result-error").hidden = true;
  }

  // Saving -------------------------------------------------------------------------------------

  function collect() {
    const problems = [];
    const plate = currentPlate();
    const plateMessage = plate ? plateProblem(plate) : "";
    showPlateProblem(plateMessage);
    if (plateMessage) problems.push(plateRest);
    const passengers = [];
    const ui = [];
    for (const box of $$(".person", passengersBox)) {
      const name = $(".p-name", box).value.trim();
      const selfCode = $(".p-self", box).value.trim().toUpperCase();
      const passCode = $(".p-pass", box).value.trim().toUpperCase();
      const temperature = checkTemperature(box, true);
      if (temperature.error) problems.push($(".p-temp", box));
      let idPhone = {};
      if (!box.person) {
        idPhone = checkIdPhone(box);
        if (idPhone.error) problems.push($(".p-idphone", box));
        else if (!idPhone.id_number && !idPhone.phone && !selfCode) {
          showError(box, ".p-idphone-error", T.idphone_required);
          problems.push($(".p-idphone", box));
        }
      }
      const nameError = !name && !selfCode ? T.name_required : "";
      showError(box, ".p-other-error", nameError);
      if (nameError) problems.push($(".p-name", box));
      const fever = temperature.value != null && Number(temperature.value) >= FEVER;
      passengers.push({
        name,
        id_number: idPhone.id_number || "",
        phone: idPhone.phone || "",
        person_id: box.person ? box.person.person_id : "",
        self_code: selfCode,
        pass_code: passCode,
        temperature: temperature.value == null ? "" : temperature.value,
        result: fever ? "fever_clinic" : "",
      });
      ui.push({ person: box.person, idphone: $(".p-idphone", box).value.trim(), temperature: $(".p-temp", box).value.trim() });
    }
    if (!state.result) {
      const error = $("#result-error");
      error.textContent = T.result_required;
      error.hidden = false;
      problems.push($(".result-keys button"));
    }
    const payload = {
      id: state.editing ? state.editing.id : newId(),
      checkpoint: state.checkpoint.code,
      occurred_at: state.editing ? state.editing.payload.occurred_at : new Date().toISOString(),
      direction: state.direction,
      plate,
      from_place: $("#from-place").value.trim(),
      to_place: $("#to-place").value.trim(),
      reason: $("#reason").value.trim(),
      result: state.result,
      notes: "",
      passengers,
    };
    return { payload, ui, problems };
  }

  function summaryOf(payload) {
    const result = CFG.results.find((r) => r.value === payload.result);
    return {
      time: payload.occurred_at ? clock(payload.occurred_at) : "",
      plate: payload.plate ? displayPlate(payload.plate) : T.on_foot,
      names: (payload.passengers || []).map((p) => p.name || p.self_code).join("、"),
      result: result ? result.label : payload.result,
    };
  }

  async function save(event) {
    event.preventDefault();
    const formError = $("#form-error");
    formError.hidden = true;
    if (!state.checkpoint) return;
    const { payload, ui, problems } = collect();
    if (problems.length) {
      formError.textContent = T.fix_below;
      formError.hidden = false;
      problems[0].focus();
      return;
    }
    const record = {
      id: payload.id,
      user: CFG.user,
      created: state.editing ? state.editing.created : new Date().toISOString(),
      state: "pending",
      payload,
      ui,
      summary: summaryOf(payload),
      problems: [],
    };
    await outboxPut(record);
    rememberWords(payload);
    resetForm();
    const bar = $(".save-bar");
    const button = $("#save");
    bar.classList.add("just-saved");
    button.textContent = T.saved;
    setTimeout(() => {
      bar.classList.remove("just-saved");
      button.textContent = saveLabel;
    }, 1500);
    await renderOutbox();
    sendPending();
  }

  function rememberWords(payload) {
    for (const [name, values] of [
      ["places", [payload.from_place, payload.to_place]],
      ["reasons", [payload.reason]],
    ]) {
      const kept = recall(name, []);
      const merged = values.filter(Boolean).concat(kept.filter((v) => !values.includes(v))).slice(0, 15);
      remember(name, merged);
    }
    fillDatalists();
  }

  function fillDatalists() {
    for (const [id, name] of [
      ["places", "places"],
      ["reasons", "reasons"],
    ]) {
      const list = document.getElementById(id);
      list.replaceChildren(
        ...recall(name, []).map((value) => {
          const option = document.createElement("option");
          option.value = value;
          return option;
        })
      );
    }
  }

  function showEditing(record) {
    $("#editing").hidden = !record;
    $("#editing-text").textContent = record ? fmt(T.correcting, { time: record.summary.time, plate: record.summary.plate }) : "";
  }

  function resetForm() {
    state.editing = null;
    showEditing(null);
    state.resultByHand = false;
    setResult("", false);
    plateRest.value = "";
    showPlateProblem("");
    $("#from-place").value = "";
    $("#to-place").value = "";
    $("#reason").value = "";
    passengersBox.replaceChildren();
    addPassenger();
    $("#form-error").hidden = true;
    renderPlateSuggestions();
  }

  /* A rejected registration back in the form, its problems marked where they are. */
  function edit(record) {
    resetForm();
    state.editing = record;
    showEditing(record);
    const payload = record.payload;
    setDirection(payload.direction);
    if (payload.plate) {
      setProvince(payload.plate[0]);
      plateRest.value = payload.plate.slice(1);
    }
    $("#from-place").value = payload.from_place || "";
    $("#to-place").value = payload.to_place || "";
    $("#reason").value = payload.reason || "";
    setResult(payload.result, true);
    passengersBox.replaceChildren();
    payload.passengers.forEach((passenger, i) => {
      const box = addPassenger();
      const ui = (record.ui || [])[i] || {};
      if (ui.person) choosePerson(box, ui.person);
      $(".p-name", box).value = passenger.name || "";
      $(".p-idphone", box).value = ui.idphone || passenger.id_number || passenger.phone || "";
      $(".p-temp", box).value = ui.temperature || passenger.temperature || "";
      $(".p-self", box).value = passenger.self_code || "";
      $(".p-pass", box).value = passenger.pass_code || "";
      checkTemperature(box, false);
    });
    const boxes = $$(".person", passengersBox);
    for (const problem of record.problems || []) {
      const parts = problem.field.split(".");
      const text = problem.message + (problem.suggestion ? ` (${problem.suggestion})` : "");
      if (parts[0] === "plate") showPlateProblem(text);
      else if (parts[0] === "passengers" && boxes[Number(parts[1])]) {
        const box = boxes[Number(parts[1])];
        if (parts[2] === "temperature") {
          showError(box, ".p-temp-error", problem.message);
          if (problem.suggestion) {
            const fix = $(".temp-fix-row", box);
            fix.hidden = false;
            $(".temp-fix", fix).dataset.value = problem.suggestion;
            $(".temp-fix", fix).textContent = `${problem.suggestion} °C ?`;
          }
        } else if (parts[2] === "id_number" || parts[2] === "phone") showError(box, ".p-idphone-error", text);
        else showError(box, ".p-other-error", text);
      } else {
        const error = $("#form-error");
        error.textContent = text;
        error.hidden = false;
      }
    }
    form.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  // The outbox and the sender ------------------------------------------------------------------

  function fieldLabel(path) {
    const parts = String(path || "").split(".");
    if (parts[0] === "passengers" && parts.length >= 3) {
      return `${fmt(T.person, { n: Number(parts[1]) + 1 })} · ${CFG.fields[parts[2]] || parts[2]}`;
    }
    return CFG.fields[parts[0]] || parts[0];
  }

  async function renderOutbox() {
    const records = await outboxAll();
    const rows = $("#outbox-rows");
    rows.replaceChildren();
    for (const record of records) {
      const li = document.createElement("li");
      li.className = record.state;
      li.dataset.id = record.id;
      const what = document.createElement("span");
      what.className = "what";
      const s = record.summary || summaryOf(record.payload);
      what.textContent = `${s.time} · ${s.plate} · ${s.names} · ${s.result}`;
      const badge = document.createElement("span");
      badge.className = "badge " + (record.state === "rejected" ? "late" : "pending");
      badge.textContent = record.state === "rejected" ? T.rejected : T.waiting;
      li.append(what, badge);
      if (record.state === "rejected") {
        const problems = document.createElement("ul");
        problems.className = "problems";
        for (const problem of record.problems) {
          const item = document.createElement("li");
          item.textContent = `${fieldLabel(problem.field)}: ${problem.message}${problem.suggestion ? ` (${problem.suggestion})` : ""}`;
          problems.append(item);
        }
        const fix = document.createElement("button");
        fix.type = "button";
        fix.className = "edit";
        fix.textContent = T.edit;
        fix.addEventListener("click", () => edit(record));
        const drop = document.createElement("button");
        drop.type = "button";
        drop.className = "delete";
        drop.textContent = T.delete;
        drop.addEventListener("click", async () => {
          if (!window.confirm(T.delete_confirm)) return;
          await outboxDelete([record.id]);
          renderOutbox();
        });
        li.append(fix, drop, problems);
      }
      rows.append(li);
    }
    const count = records.length;
    $("#outbox").hidden = count === 0;
    $("#outbox-total").textContent = String(count);
    $("#outbox-count").textContent = String(count);
    $("#outbox-link").hidden = count === 0;
    const sent = recall("sent." + today(), 0);
    const sentLine = $("#sent-today");
    sentLine.hidden = !sent;
    sentLine.textContent = fmt(T.sent_today, { n: sent });
    return records;
  }

  function addNotices(record, messages, alarm) {
    if (!messages.length) return;
    const kept = recall("notices", []);
    const s = record.summary || summaryOf(record.payload);
    for (const message of messages) {
      kept.unshift({ id: newId(), text: `${s.time} ${s.plate}: ${message}`, alarm });
    }
    remember("notices", kept.slice(0, 20));
    renderNotices();
  }

  function renderNotices() {
    const list = $("#notices");
    list.replaceChildren();
    for (const notice of recall("notices", [])) {
      const li = document.createElement("li");
      li.className = notice.alarm ? "alarm" : "";
      const text = document.createElement("span");
      text.textContent = notice.text;
      const ok = document.createElement("button");
      ok.type = "button";
      ok.textContent = T.dismiss;
      ok.addEventListener("click", () => {
        remember("notices", recall("notices", []).filter((n) => n.id !== notice.id));
        renderNotices();
      });
      li.append(text, ok);
      list.append(li);
    }
  }

  function needLogin(show) {
    $("#login-needed").hidden = !show;
    $("#login-text").textContent = T.login;
  }

  /* Posts `records`; returns "ok" | "offline" | "login" | "error". Marks each by its result. */
  async function post(records) {
    let response;
    try {
      response = await fetch(CFG.urls.batch, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ registrations: records.map((r) => r.payload) }),
      });
    } catch (error) {
      return "offline";
    }
    if (response.status === 401 || response.status === 403) return "login";
    if (response.status >= 400 && response.status < 500 && records.length === 1) {
      // The server refused this one registration as a whole: keep it, say why.
      let detail = String(response.status);
      try {
        const body = await response.json();
        detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      } catch (error) {
        /* not JSON */
      }
      records[0].state = "rejected";
      records[0].problems = [{ field: "", message: detail, suggestion: "" }];
      await outboxPut(records[0]);
      return "ok";
    }
    if (response.status >= 400 && response.status < 500) {
      // One item spoils the batch: send them one by one to find it.
      for (const record of records) {
        const outcome = await post([record]);
        if (outcome !== "ok") return outcome;
      }
      return "ok";
    }
    if (!response.ok) return "error:" + response.status;
    let body;
    try {
      body = await response.json();
    } catch (error) {
      return "error:" + response.status;
    }
    const byId = new Map(records.map((r) => [r.id, r]));
    const done = [];
    const changed = [];
    let sent = 0;
    for (const result of body.results || []) {
      const record = byId.get(result.id);
      if (!record) continue;
      if (result.status === "created" || result.status === "duplicate" || result.status === "refused") {
        done.push(record.id);
        sent += 1;
        const alarm = result.status === "refused" || (result.notices || []).length > 0;
        addNotices(record, result.notices || [], alarm && result.status !== "duplicate");
      } else if (result.status === "rejected") {
        record.state = "rejected";
        record.problems = result.problems || [];
        changed.push(record);
      }
    }
    if (changed.length) await outboxPut(changed);
    if (done.length) await outboxDelete(done);
    if (sent) remember("sent." + today(), recall("sent." + today(), 0) + sent);
    return done.length || changed.length ? "ok" : "error:" + response.status;
  }

  async function sendPending() {
    if (state.sending) return;
    state.sending = true;
    let outcome = "ok";
    let sentSomething = false;
    try {
      for (;;) {
        const waiting = (await outboxAll()).filter((r) => r.state === "pending");
        if (!waiting.length) break;
        setNetwork("sending");
        outcome = await post(waiting.slice(0, BATCH_SIZE));
        if (outcome !== "ok") break;
        sentSomething = true;
      }
    } finally {
      state.sending = false;
    }
    needLogin(outcome === "login");
    if (outcome === "ok") setNetwork(navigator.onLine ? "online" : "offline");
    else if (outcome === "offline") setNetwork("offline", T.send_failed);
    else if (outcome === "login") setNetwork("error", T.login_short);
    else setNetwork("error", fmt(T.server_error, { status: outcome.split(":")[1] || "?" }));
    await renderOutbox();
    if (sentSomething) refreshSuggestions(true);
  }

  // Wiring --------------------------------------------------------------------------------------

  const saveLabel = $("#save").textContent;

  function wire() {
    $$(".cp-option").forEach((button) => button.addEventListener("click", () => chooseCheckpoint(button.dataset.code)));
    $("#cp-change").addEventListener("click", () => {
      $("#cp-choose").hidden = false;
      form.hidden = true;
    });
    $$(".seg button").forEach((button) => button.addEventListener("click", () => setDirection(button.dataset.direction)));
    $("#plate-province").addEventListener("click", () => toggleProvinceKeys($("#province-keys").hidden));
    $$("#province-keys [data-province]").forEach((button) =>
      button.addEventListener("click", () => {
        setProvince(button.dataset.province);
        toggleProvinceKeys(false);
        plateRest.focus();
        renderPlateSuggestions();
      })
    );
    $("#province-more").addEventListener("click", () => {
      $("#province-rest").hidden = false;
      $("#province-more").hidden = true;
    });
    plateRest.addEventListener("input", () => {
      showPlateProblem("");
      renderPlateSuggestions();
      const typed = normalizePlate(plateRest.value);
      askServer(typed, renderPlateSuggestions);
    });
    plateRest.addEventListener("change", () => {
      const plate = currentPlate();
      showPlateProblem(plate ? plateProblem(plate) : "");
    });
    $("#plate-clear").addEventListener("click", () => {
      plateRest.value = "";
      showPlateProblem("");
      renderPlateSuggestions();
      plateRest.focus();
    });
    $("#edit-cancel").addEventListener("click", resetForm);
    $("#add-person").addEventListener("click", () => $(".p-name", addPassenger()).focus());
    $$(".result-keys button").forEach((button) => button.addEventListener("click", () => setResult(button.dataset.result, true)));
    form.addEventListener("submit", save);
    $("#send-now").addEventListener("click", sendPending);
    window.addEventListener("online", () => {
      setNetwork("online");
      sendPending();
      refreshSuggestions();
    });
    window.addEventListener("offline", () => setNetwork("offline"));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") sendPending();
    });
    setInterval(async () => {
      if (state.sending) return;
      const waiting = (await outboxAll()).filter((r) => r.state === "pending");
      if (waiting.length) sendPending();
    }, RETRY_MS);
  }

  async function start() {
    wire();
    setDirection(state.direction);
    setProvince(PROVINCES.includes(state.province) ? state.province : CFG.defaultProvince);
    setNetwork(navigator.onLine ? "online" : "offline");
    fillDatalists();
    renderNotices();
    const kept = recall("checkpoint", "");
    const only = CFG.checkpoints.length === 1 ? CFG.checkpoints[0].code : "";
    chooseCheckpoint(checkpointByCode(kept) ? kept : only);
    resetForm();
    await renderOutbox();
    document.getElementById("register").dataset.ready = "yes";
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(CFG.urls.serviceWorker, { scope: CFG.urls.scope }).catch(() => {
        /* no worker (private mode...): the page works, only not after a reload offline */
      });
    }
    sendPending();
  }

  // For tests and support: the same sender the page uses.
  window.fangyiRegister = { send: sendPending, outbox: outboxAll };

  start();
})();
