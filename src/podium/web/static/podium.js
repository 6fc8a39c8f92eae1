// Podium's dashboard, live: the page's `data-live` parts are read again when the conductor
// says something they show changed; a sheet's output grows line by line. Without this file
// every page still works; it only stops updating by itself.
(() => {
  "use strict";
  const body = document.body;
  const job = body.dataset.liveJob;
  const sheet = body.dataset.liveSheet;
  const MAX_LINES = 5000;

  // What an action said is shown once: the address loses it, so a reload does not repeat it.
  const here = new URL(location.href);
  if (here.searchParams.has("said")) {
    here.searchParams.delete("said");
    history.replaceState(null, "", here);
  }

  document.addEventListener("submit", (event) => {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  if (!window.EventSource) return;

  let timer = null;
  let busy = false;
  let again = false;
  let cost = 0;  // how long the last read took, in ms

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    const started = performance.now();
    try {
      const answer = await fetch(location.href, { cache: "no-store", credentials: "same-origin" });
      if (answer.ok) swap(new DOMParser().parseFromString(await answer.text(), "text/html"));
    } catch (_) {
      // The dashboard itself is away: the event stream says so and comes back.
    } finally {
      cost = performance.now() - started;
      busy = false;
      if (again) { again = false; schedule(); }
    }
  }

  function swap(fresh) {
    for (const part of document.querySelectorAll("[data-live]")) {
      const active = document.activeElement;
      if (active && active !== body && part.contains(active)) continue;  // someone types there
      const open = [...part.querySelectorAll("details[open]")].map((d) => d.id || d.querySelector("summary")?.textContent);
      const next = fresh.getElementById(part.id);
      if (!next) continue;
      for (const d of next.querySelectorAll("details")) {
        if (open.includes(d.id || d.querySelector("summary")?.textContent)) d.open = true;
      }
      part.replaceWith(next);
    }
    body.dataset.updated = String(Date.now());
  }

  // A page that is heavy to make (a job of hundreds of sheets) is read again less often, so
  // that watching it never keeps the conductor busy: at most a fifth of the time.
  function schedule() {
    if (timer === null) timer = setTimeout(() => { timer = null; refresh(); }, Math.max(250, 4 * cost));
  }

  function logs(stream) {
    return document.getElementById(stream === "stderr" ? "out-stderr" : "out-stdout");
  }

  // The sheet's output as the subscription found it: the lines that follow continue it.
  function tail(found) {
    if (!found) return;
    for (const stream of ["stdout", "stderr"]) {
      const pre = logs(stream);
      if (!pre) continue;
      pre.textContent = found[stream].text;
      pre.dataset.attempt = String(found.attempt);
      pre.dataset.end = String(found[stream].end);
      pre.hidden = !found[stream].text && stream === "stderr";
    }
  }

  function append(line) {
    const pre = logs(line.stream);
    if (!pre) return;
    if (String(line.attempt) !== pre.dataset.attempt) {
      for (const other of document.querySelectorAll("pre.log")) {
        other.textContent = "";
        other.dataset.attempt = String(line.attempt);
        other.dataset.end = "0";
      }
    }
    // The tail may hold this line already, or its beginning (it was being written then).
    const held = Number(pre.dataset.end || 0) - line.offset;
    if (held > 0) {
      const bytes = new TextEncoder().encode(line.text);
      if (held > bytes.length) return;  // the whole line, its newline too
      line.text = new TextDecoder().decode(bytes.slice(held));  // the rest of it
    }
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.hidden = false;
    pre.append(line.text + "\n");
    if (pre.childNodes.length > MAX_LINES) pre.firstChild.remove();
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  const query = new URLSearchParams();
  if (job) query.set("job", job);
  if (job && sheet) query.set("sheet", sheet);
  const banner = document.getElementById("conductor-state");
  const source = new EventSource("/events?" + query);
  source.addEventListener("change", schedule);
  source.addEventListener("tail", (event) => tail(JSON.parse(event.data)));
  source.addEventListener("output", (event) => append(JSON.parse(event.data)));
  source.addEventListener("conductor", (event) => {
    const state = JSON.parse(event.data);
    if (banner) banner.hidden = state !== "restarting";
    if (state === "back") schedule();
  });
})();
