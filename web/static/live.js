// Live updates of the public pages: listens to /events/public (Server-Sent Events), refreshes the
// envelope figures and announces a new ledger entry to screen readers. Without it, pages work.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const announce = document.querySelector("[data-live-announce]");
  if (!announce || !("EventSource" in window)) return;
  const lang = document.documentElement.lang || "ar";
  const stream = new EventSource("/events/public?lang=" + encodeURIComponent(lang));
  let lastSeq = null;
  stream.addEventListener("ledger", (event) => {
    const update = JSON.parse(event.data);
    for (const [name, text] of Object.entries(update.shown)) {
      const node = document.querySelector(`[data-figure="${name}"]`);
      if (node) node.textContent = text;
    }
    const progress = document.querySelector("[data-figure='progress']");
    if (progress && update.envelope.total) {
      progress.max = update.envelope.total;
      progress.value = update.envelope.committed;
      progress.textContent = update.envelope.percent + "%";
    }
    if (lastSeq !== null && update.seq > lastSeq) {
      announce.textContent = announce.dataset.message;
    }
    lastSeq = update.seq;
  });
  window.addEventListener("pagehide", () => stream.close());
});
