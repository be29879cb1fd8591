// The operator console's script (index.html), a file of its own: the pages' Content-Security-Policy allows no
// inline script.
"use strict";
const $ = (id) => document.getElementById(id);
const session = Math.random().toString(36).slice(2, 12);
let timer = null;

// the key stays in this tab's session storage; every request carries it in the X-API-Key header
$("key").value = sessionStorage.getItem("fineas-key") || "";
$("sign-in").addEventListener("click", () => { sessionStorage.setItem("fineas-key", $("key").value); clear(); show(); });

// nothing one key was shown stays on the page for another, nor after a view fails to load
function clear(view) {
  const scope = view ? $("view-" + view) : document;
  scope.querySelectorAll("tbody, #inferences, #inferences-total, #schedule-state, #answer, #model, #sources, "
    + "#dead-letters, #ready, #node-tasks")
    .forEach(e => { e.textContent = ""; });
}

async function api(method, path, body) {
  const headers = { "X-API-Key": $("key").value };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json();
  if (!r.ok) throw new Error(data.error + ": " + data.detail);
  return data;
}
function fail(e) { $("error").textContent = String(e.message || e); }
function cell(row, value, cls) {
  const td = document.createElement("td");
  if (value instanceof Node) td.append(value); else td.textContent = value == null ? "—" : value;
  if (cls) td.className = cls;
  row.append(td);
  return td;
}
function div(text, cls) { return Object.assign(document.createElement("div"), { className: cls || "", textContent: text }); }
function badge(text) { const b = document.createElement("span"); b.className = "badge " + text; b.textContent = text; return b; }
function button(text, cls, onClick) {
  const b = document.createElement("button"); b.textContent = text; if (cls) b.className = cls;
  b.addEventListener("click", onClick); return b;
}
function rows(table, items, fill) {
  const body = document.querySelector("#" + table + " tbody");
  body.textContent = "";
  for (const item of items) { const tr = document.createElement("tr"); fill(tr, item); body.append(tr); }
}
function options(select, values) {
  const keep = select.value;
  select.textContent = "";
  for (const v of values) { const o = document.createElement("option"); o.value = o.textContent = v; select.append(o); }
  if (values.includes(keep)) select.value = keep;
}

// A trace as a waterfall: one line per span, indented under its parent, its bar placed on the trace's time line.
// A direct: endpoint's send and its route's span (same name, same process, one inside the other) are shown once: the
// route's, which carries the stage's attributes.
function waterfall(trace) {
  const spans = trace.spans;
  const byId = new Map(spans.map(s => [s.span_id, s]));
  const repeated = new Set(spans.filter(s => { const p = byId.get(s.parent_span_id);
    return p && p.name === s.name && p.service === s.service; }).map(s => s.parent_span_id));
  const shown = spans.filter(s => !repeated.has(s.span_id));
  const parentOf = (s) => { let p = byId.get(s.parent_span_id); while (p && !shown.includes(p)) p = byId.get(p.parent_span_id); return p; };
  const depth = new Map();
  const depthOf = (s) => { if (!depth.has(s.span_id)) { const p = parentOf(s); depth.set(s.span_id, p ? depthOf(p) + 1 : 0); } return depth.get(s.span_id); };
  const end = Math.max(...spans.map(s => s.start_ms + s.duration_ms), 1);
  const box = document.createElement("div");
  box.className = "waterfall";
  box.append(div(spans.length + " spans over " + Math.round(end) + " ms, trace " + trace.trace_id
    + (trace.spans_dropped ? " (" + trace.spans_dropped + " more not kept)" : ""), "meta"));
  // depth first, siblings by start: each span under its parent
  const children = new Map();
  const roots = [];
  for (const s of shown) { const p = parentOf(s); if (p) { if (!children.has(p.span_id)) children.set(p.span_id, []); children.get(p.span_id).push(s); } else roots.push(s); }
  const ordered = [];
  const visit = (s) => { ordered.push(s); for (const c of (children.get(s.span_id) || [])) visit(c); };
  roots.forEach(visit);
  for (const s of ordered) {
    const a = s.attributes || {};
    const line = div("", "span-line" + (s.error ? " error" : ""));
    const what = [a["pipeline.stage"], a["pipeline.processor_id"], a["pipeline.source"]].filter(Boolean).join(" · ");
    let name = s.name;
    try { name = decodeURIComponent(name); } catch (e) { /* shown as it came */ }
    const label = div(name + (what ? " — " + what : ""), "span-name");
    label.style.paddingLeft = (depthOf(s) * 0.8) + "rem";
    label.title = s.service + "\n" + Object.entries(a).map(([k, v]) => k + "=" + v).join("\n");
    const lane = div("", "span-lane");
    const bar = div(Math.round(s.duration_ms) + " ms", "span-bar");
    bar.style.left = (100 * s.start_ms / end) + "%";
    bar.style.width = Math.max(0.4, 100 * s.duration_ms / end) + "%";
    lane.append(bar);
    line.append(label, lane);
    box.append(line);
  }
  return box;
}

const views = {
  async topics() {
    const data = await api("GET", "/topics");
    rows("topics", data.topics, (tr, t) => {
      tr.dataset.topic = t.topic;
      cell(tr, t.topic);
      cell(tr, t.segments);
      cell(tr, t.records).className = "records";
      cell(tr, t.chunks).className = "chunks";
      cell(tr, t.inferences).className = "inferences";
      const tokens = t.tokens_today || {};
      cell(tr, (tokens.total_tokens || 0) + (t.token_budget_per_day != null ? " of " + t.token_budget_per_day : ""));
      cell(tr, badge(tokens.analysis || "running")).append(tokens.paused_records ? " " + tokens.paused_records + " waiting" : "");
      cell(tr, button("Delete", "danger", async () => {
        if (!confirm("Delete topic " + t.topic + " with every segment and all its data?")) return;
        try { await api("POST", "/topics", { topic: t.topic, topic_action: "delete" }); views.topics(); } catch (e) { fail(e); }
      }));
    });
    options($("segment-topic"), data.topics.map(t => t.topic));
  },
  async processors() {
    const data = await api("GET", "/processors");
    rows("processors", data.processors, (tr, p) => {
      tr.dataset.processor = p.id;
      cell(tr, p.id).append(div(p.file || "", "meta"));
      const state = cell(tr, badge(p.status));
      if (p.reason) state.append(div(p.reason, "meta"));
      cell(tr, p.source);
      cell(tr, (p.topic || "?") + " / " + (p.segment || "?"));
      cell(tr, p.items);
      const last = p.last_run;
      cell(tr, last ? last.status + ", " + last.items_ok + " ok, " + last.items_failed + " failed, " + last.records
           + " records (" + last.finished_at + ")" : "never");
      const collect = button("Collect now", "quiet", async () => {
        try {
          const r = await api("POST", "/collect", [{ topic: p.topic, segment_targets: [p.segment] }]);
          collect.textContent = "run " + r.runs[0].run_id.slice(0, 8) + "… requested";
          collect.disabled = true;
        } catch (e) { fail(e); }
      });
      collect.className = "quiet collect";
      cell(tr, p.topic && p.segment ? collect : "");
    });
  },
  async runs() {
    const data = await api("GET", "/runs?limit=30");
    rows("runs", data.runs, (tr, r) => {
      tr.dataset.run = r.run_id;
      cell(tr, r.run_id.slice(0, 13) + "…").title = r.run_id;
      cell(tr, r.topic + " / " + (r.segment_targets || []).join(", "));
      cell(tr, r.requested_at).append(div("by " + (r.schedule_entry ? "schedule " + r.schedule_entry + ", " : "")
        + "key " + r.requested_by, "meta"));
      cell(tr, badge(r.status));
      const cellP = cell(tr, "");
      const done = r.processors || {};
      for (const [id, s] of Object.entries(done)) {
        cellP.append(div(id + ": " + s.status + ", " + s.items_ok + " of " + s.items + " items ok, " + s.items_failed
          + " failed, " + s.records + " records, " + s.duration_ms + " ms", "processor-summary"));
      }
      // a processor still at it: its counts so far, after each batch
      for (const [id, p] of Object.entries(r.progress || {})) {
        if (done[id]) continue;
        cellP.append(div(id + ": running, " + p.items_ok + " of " + p.items + " items ok, " + p.items_failed
          + " failed so far", "processor-progress"));
      }
      if (!r.processors && !r.progress) cellP.textContent = "waiting for processors";
      if (Object.values(done).some(s => s.items_failed > 0)) {
        const show = button("failed items", "quiet failed-items", async () => {
          try {
            const run = await api("GET", "/runs/" + encodeURIComponent(r.run_id));
            if (run.failures.length === 0) { show.textContent = "failed items (arriving, try again)"; return; }
            const list = document.createElement("ul");
            list.className = "failures";
            for (const f of run.failures) {
              const li = document.createElement("li");
              li.textContent = (f.source || JSON.stringify(f.parameters)) + ": " + f.error;
              list.append(li);
            }
            show.replaceWith(list);
          } catch (e) { fail(e); }
        });
        cellP.append(show);
      }
      // the run's trace (admin keys): where its time went, stage by stage, and where it broke
      if (r.trace_id) {
        const open = button("trace", "quiet show-trace", async () => {
          try { open.replaceWith(waterfall(await api("GET", "/traces/" + r.trace_id))); } catch (e) { fail(e); }
        });
        cellP.append(open);
      }
    });
  },
  async schedule() {
    const data = await api("GET", "/schedule");
    $("schedule-state").textContent = "state: " + data.state;
    rows("schedule", data.entries, (tr, e) => {
      cell(tr, e.data_collection_file_path);
      cell(tr, e.cron ? "cron " + e.cron : e.schedule + " day(s)");
      cell(tr, e.last_call); cell(tr, e.next_call);
      cell(tr, e.last_outcome ? badge(e.last_outcome) : "—");
    });
    rows("schedule-skipped", data.skipped || [], (tr, s) => {
      cell(tr, s.data_collection_file_path || "entry " + s.entry); cell(tr, s.reason);
    });
  },
  async inferences() {
    const data = await api("GET", "/topics");
    options($("inference-topic"), data.topics.map(t => t.topic));
    await segmentsOf($("inference-topic").value);
  },
  async nodes() {
    const data = await api("GET", "/nodes");
    $("node-tasks").textContent = data.tasks.open + " tasks open, " + data.tasks.settled + " settled";
    rows("nodes", data.nodes, (tr, n) => {
      tr.dataset.node = n.node_id;
      cell(tr, n.node_id); cell(tr, n.operator + " · " + n.contact); cell(tr, badge(n.status));
      cell(tr, n.credibility); cell(tr, n.tasks);
      cell(tr, n.agreements + " / " + n.disputes + " / " + n.silences);
      cell(tr, n.canaries_failed);
      cell(tr, n.receives_tasks ? "yes" : "no: " + n.why_no_tasks);
      const act = (verb) => button(verb === "approve" ? "Approve" : "Revoke", "quiet " + verb, async () => {
        if (verb === "revoke" && !confirm("Revoke " + n.node_id + "? It joins again only with a new key.")) return;
        try { await api("POST", "/nodes/" + encodeURIComponent(n.node_id) + "/" + verb); await views.nodes(); }
        catch (e) { fail(e); }
      });
      cell(tr, n.status === "pending" ? act("approve") : n.status === "approved" ? act("revoke") : "");
    });
  },
  async "dead-letters"() {
    const data = await api("GET", "/dead-letters?limit=50");
    const into = $("dead-letters");
    into.textContent = "";
    for (const q of data.dead_letters) {
      const h = document.createElement("h2");
      h.textContent = q.dlq + " · " + q.records + " record" + (q.records === 1 ? "" : "s");
      const table = document.createElement("table");
      table.className = "dlq";
      table.dataset.dlq = q.dlq;
      table.innerHTML = "<thead><tr><th>when</th><th>key</th><th>reason</th><th>back to</th><th>record</th><th></th></tr></thead>";
      const body = document.createElement("tbody");
      for (const l of q.letters) {
        const tr = document.createElement("tr");
        tr.dataset.key = l.key || "";
        cell(tr, l.timestamp); cell(tr, l.key); cell(tr, l.reason); cell(tr, l.source_topic || "— (collect again)");
        cell(tr, l.value.length > 160 ? l.value.slice(0, 160) + "…" : l.value).className = "meta";
        if (l.replayed_at) { cell(tr, "replayed " + l.replayed_at); }
        else if (l.source_topic) {
          const replay = button("Replay", "quiet replay", async () => {
            if (!confirm("Publish this record back to " + l.source_topic + "?")) return;
            try {
              const r = await api("POST", "/dead-letters/" + encodeURIComponent(q.dlq) + "/replay",
                                  { partition: l.partition, offset: l.offset });
              replay.replaceWith("replayed " + r.replayed_at);
            } catch (e) { fail(e); }
          });
          cell(tr, replay);
        } else { cell(tr, ""); }
        body.append(tr);
      }
      table.append(body);
      into.append(h, table);
    }
  },
  async health() {
    const data = await api("GET", "/status");
    $("ready").textContent = "";
    $("ready").append(badge(data.ready ? "ready" : "failed"), data.ready ? " every part is ready" : " a part is down");
    rows("checks", data.checks, (tr, c) => { cell(tr, c.id); cell(tr, c.group); cell(tr, badge(c.state)); cell(tr, c.message); });
    rows("lag", data.consumer_lag, (tr, l) => {
      tr.dataset.group = l.group; cell(tr, l.group); cell(tr, l.topic); cell(tr, l.partitions); cell(tr, l.lag);
    });
  },
  async chat() {}
};

async function segmentsOf(topic) {
  if (!topic) { options($("inference-segment"), []); return; }
  const data = await api("GET", "/topics/" + encodeURIComponent(topic) + "/segments");
  options($("inference-segment"), data.segments.map(s => s.segment));
}
$("inference-topic").addEventListener("change", () => segmentsOf($("inference-topic").value).catch(fail));
$("show-inferences").addEventListener("click", async () => {
  try {
    const data = await api("GET", "/topics/" + encodeURIComponent($("inference-topic").value) + "/segments/"
      + encodeURIComponent($("inference-segment").value) + "/inferences?size=50");
    $("inferences-total").textContent = data.total + " inferences, newest first";
    $("inferences").textContent = "";
    for (const i of data.inferences) {
      const d = div("", "inference");
      d.append(div(i.source + " · " + i.model + " · " + i.created_at + (i.usage ? " · " + (i.usage.input_tokens
          + i.usage.output_tokens) + " tokens" : ""), "meta"));
      d.append(div(i.inference));
      $("inferences").append(d);
    }
  } catch (e) { fail(e); }
});
$("create-topic").addEventListener("click", async () => {
  try { await api("POST", "/topics", { topic: $("new-topic").value.trim(), topic_action: "create" });
        $("new-topic").value = ""; views.topics(); } catch (e) { fail(e); }
});
$("create-segment").addEventListener("click", async () => {
  try { await api("POST", "/segments", { topic: $("segment-topic").value, segment: $("new-segment").value.trim(),
                                        segment_action: "create" });
        $("new-segment").value = ""; views.topics(); } catch (e) { fail(e); }
});

// the chat: the question to /chat, the answer with its sources, and the lineage of a citation on demand
$("ask").addEventListener("click", async () => {
  $("error").textContent = ""; $("answer").textContent = "…"; $("sources").textContent = ""; $("model").textContent = "";
  $("ask").disabled = true;
  const body = { question: $("question").value, session_id: session };
  if ($("topic").value.trim()) body.topic = $("topic").value.trim();
  if ($("segment").value.trim()) body.segment = $("segment").value.trim();
  try {
    const data = await api("POST", "/chat", body);
    $("answer").textContent = data.answer;
    $("model").textContent = "model: " + data.model + (data.usage ? " · " + data.usage.input_tokens + " tokens in, "
      + data.usage.output_tokens + " out" : "");
    for (const s of data.sources) {
      const source = div("", "source");
      const lineage = button("where does [" + s.n + "] come from?", "lineage",
                             () => showLineage(s.chunk_id, source, lineage));
      source.append(div("[" + s.n + "] " + s.topic + "/" + s.segment + " · " + s.source + " · score " + s.score.toFixed(3),
                        "meta"),
                    div(s.chunk.length > 400 ? s.chunk.slice(0, 400) + "…" : s.chunk), lineage);
      $("sources").append(source);
    }
  } catch (e) {
    $("answer").textContent = ""; fail(e);
  } finally {
    $("ask").disabled = false;
  }
});
// the chain behind a citation (GET /lineage/{chunk_id}): chunk, captured record, processor, collection run
async function showLineage(chunkId, into, trigger) {
  trigger.disabled = true;
  const trace = document.createElement("dl");
  trace.className = "trace";
  const line = (term, value) => {
    const dt = document.createElement("dt"); dt.textContent = term;
    const dd = document.createElement("dd"); dd.textContent = value == null ? "—" : value;
    trace.append(dt, dd);
  };
  try {
    const data = await api("GET", "/lineage/" + encodeURIComponent(chunkId));
    const c = data.chunk, rec = data.record, p = data.processor || {}, run = data.run || {};
    line("chunk", c.chunk_id + " (" + (c.chunk_index + 1) + " of " + c.chunk_count + ", " + c.topic + "/" + c.segment + ")");
    line("captured record", rec.source + " (" + rec.source_kind + "), captured " + rec.captured_at
         + ", content " + String(rec.content_hash).slice(0, 12) + "…, parameters " + JSON.stringify(rec.parameters));
    line("processor", (p.id || "?") + " (" + (p.file || "config gone") + ", " + (p.source || "?") + ", " + (p.status || "?") + ")");
    const reported = run.processors && p.id && run.processors[p.id];
    line("collection run", (run.run_id || "?") + ", requested " + run.requested_at + " by key " + run.requested_by
         + (run.schedule_entry ? " (schedule " + run.schedule_entry + ")" : "")
         + (reported ? ", " + reported.status + ": " + reported.items_ok + " items ok, " + reported.items_failed + " failed" : ""));
    // the record's trace: its run's, from the request to this record's ingestion and analysis (admin keys)
    if (run.trace_id) {
      const dd = document.createElement("dd");
      const open = button("trace " + run.trace_id.slice(0, 12) + "…", "quiet show-trace", async () => {
        try { open.replaceWith(waterfall(await api("GET", "/traces/" + run.trace_id))); } catch (e) { fail(e); }
      });
      dd.append(open);
      const dt = document.createElement("dt"); dt.textContent = "trace";
      trace.append(dt, dd);
    }
  } catch (e) {
    line("lineage", String(e.message || e));
  }
  into.append(trace);
}

// the ledger is CSV: fetched with the key (a plain link could not send it) and saved as a file
$("node-ledger").addEventListener("click", async (e) => {
  e.preventDefault();
  try {
    const r = await fetch("/nodes?format=csv", { headers: { "X-API-Key": $("key").value } });
    if (!r.ok) { const d = await r.json(); throw new Error(d.error + ": " + d.detail); }
    const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(await r.blob()),
                                                            download: "node-ledger.csv" });
    a.click();
    URL.revokeObjectURL(a.href);
  } catch (err) { fail(err); }
});

// hash routing: one view at a time; the runs view refreshes itself while it is shown
function show() {
  const name = (location.hash || "#topics").slice(1);
  const view = views[name] ? name : "topics";
  document.querySelectorAll("section").forEach(s => s.classList.toggle("shown", s.id === "view-" + view));
  document.querySelectorAll("nav a[data-view]").forEach(a => a.classList.toggle("active", a.dataset.view === view));
  clearInterval(timer);
  $("error").textContent = "";
  if (!$("key").value) { $("error").textContent = "Sign in with an API key."; return; }
  // body[data-loaded] names the view once its data is drawn (what the browser tests wait for)
  document.body.dataset.loaded = "";
  const load = () => views[view]().then(() => { document.body.dataset.loaded = view; },
                                        e => { clear(view); fail(e); });
  load();
  // refreshed while shown, unless a list of failed items or a trace is open
  if (view === "runs") timer = setInterval(() => {
    if (!document.querySelector("#runs .failures, #runs .waterfall")) load();
  }, 2000);
}
window.addEventListener("hashchange", show);
show();
