// The page's side of the Web Workers (worker.js holds their protocol).
//
// TraceClient: one worker for the trace, the I-V curve and the voltage clamp. The newest
// change wins: at most one request is in flight; while it runs, only the newest pending
// request of each kind is kept, and sent when the answer arrives. An answer whose id is
// no longer the newest of its kind is dropped.
//
// MapPool: a few workers for the firing-mode map, the grid split into small jobs handed
// out as workers free up. A new map drops the queued jobs of the old one; the old map's
// jobs still running finish and are ignored.

export class TraceClient {
  /** `handlers`: onTrace(answer, settings), onIV(answer, settings), onClamp(answer,
   * request), onError(kind, message); onClamp may be set later. */
  constructor(url, handlers) {
    this.handlers = handlers;
    // {id, settings} waiting to be sent, per kind, in the order they go first
    this.pending = { trace: null, vclamp: null, iv: null };
    this.latest = { trace: 0, vclamp: 0, iv: 0 };  // the newest id asked for, per kind
    this.inFlight = null;                      // {type, id, settings} being computed
    this.worker = new Worker(url, { type: "module" });
    this.worker.onmessage = (event) => this.answered(event.data);
    this.worker.onerror = (event) => {
      event.preventDefault();  // reported on the page, not as an uncaught error
      this.inFlight = null;
      handlers.onError("worker", `the simulation worker failed: ${event.message || "it could not start"}`);
    };
  }

  /** Simulate `settings` (replaces any trace still waiting; goes before any I-V request). */
  trace(id, settings) {
    this.latest.trace = id;
    this.pending.trace = { id, settings };
    this.pump();
  }

  /** Compute the I-V curves of `settings` once no trace is waiting (replaces any I-V
   * request still waiting). */
  iv(id, settings) {
    this.latest.iv = id;
    this.pending.iv = { id, settings };
    this.pump();
  }

  /** Voltage-clamp `request` (vclamp.js's clamp) once no trace is waiting. */
  vclamp(id, request) {
    this.latest.vclamp = id;
    this.pending.vclamp = { id, settings: request };
    this.pump();
  }

  pump() {
    if (this.inFlight) return;
    const type = Object.keys(this.pending).find((kind) => this.pending[kind]);
    if (!type) return;
    const job = this.pending[type];
    this.pending[type] = null;
    this.inFlight = { type, ...job };
    this.worker.postMessage({ type, id: job.id, settings: job.settings });
  }

  answered(data) {
    const job = this.inFlight;
    this.inFlight = null;
    this.pump();  // the worker starts on the next request while the page draws this one
    if (!job || data.id !== job.id) return;
    const type = data.type === "error" ? data.request : data.type;
    if (data.id !== this.latest[type]) return;  // superseded by a newer change
    if (data.type === "error") this.handlers.onError(type, data.message);
    else if (type === "trace") this.handlers.onTrace(data, job.settings);
    else if (type === "iv") this.handlers.onIV(data, job.settings);
    else if (type === "vclamp") this.handlers.onClamp?.(data, job.settings);
  }
}

export class MapPool {
  /**
   * `size` workers; `handlers`: onDone(generation, modes), onProgress(generation, done,
   * total), onError(message).
   */
  constructor(url, size, handlers, jobSize = 12) {
    this.handlers = handlers;
    this.jobSize = jobSize;
    this.generation = 0;
    this.queue = [];
    this.jobs = new Map();  // job id -> {generation, offset, count}
    this.nextJob = 1;
    this.modes = [];
    this.done = 0;
    this.workers = Array.from({ length: size }, () => this.spawn(url));
  }

  spawn(url) {
    const slot = { worker: new Worker(url, { type: "module" }), job: null };
    slot.worker.onmessage = (event) => this.answered(slot, event.data);
    slot.worker.onerror = (event) => {
      event.preventDefault();
      slot.job = null;
      this.handlers.onError(`a map worker failed: ${event.message || "it could not start"}`);
    };
    return slot;
  }

  /** Compute the modes at `points` ([[K_o, g_NMDA], ...]) for `settings`, as `generation`. */
  start(generation, settings, points) {
    this.generation = generation;
    this.modes = new Array(points.length).fill(null);
    this.done = 0;
    this.queue = [];
    for (let offset = 0; offset < points.length; offset += this.jobSize) {
      this.queue.push({ generation, offset, settings, points: points.slice(offset, offset + this.jobSize) });
    }
    this.dispatch();
  }

  /** Drop the queued jobs (a map that is no longer wanted). */
  cancel() {
    this.generation = null;  // answers of running jobs no longer match
    this.queue = [];
  }

  dispatch() {
    for (const slot of this.workers) {
      if (slot.job || !this.queue.length) continue;
      const job = this.queue.shift();
      const id = this.nextJob++;
      this.jobs.set(id, job);
      slot.job = id;
      slot.worker.postMessage({ type: "map", id, settings: job.settings, points: job.points });
    }
  }

  answered(slot, data) {
    slot.job = null;
    const job = this.jobs.get(data.id);
    this.jobs.delete(data.id);
    this.dispatch();
    if (!job || job.generation !== this.generation) return;  // an old map's job
    if (data.type === "error") {
      this.cancel();
      this.handlers.onError(`the firing-mode map failed: ${data.message}`);
      return;
    }
    data.modes.forEach((mode, i) => { this.modes[job.offset + i] = mode; });
    this.done += data.modes.length;
    this.handlers.onProgress(job.generation, this.done, this.modes.length);
    if (this.done === this.modes.length) this.handlers.onDone(job.generation, this.modes.slice());
  }
}
