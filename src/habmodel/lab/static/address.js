// The page's address holds the settings (`?condition=depressed&ketamine=1uM`, or
// `?mode=vclamp&protocol=nmda-iv` for the voltage clamp), in the names and units of
// params.toml and the command line (Settings / ClampSettings: fromQuery, toQuery).

import { InputError } from "./settings.js";

/**
 * The settings in a query string, and the messages of what could not be read: a bad
 * entry is dropped (the others are kept), so one typo does not lose the whole view.
 */
export function settingsFromAddress(api, search) {
  try {
    return { settings: api.fromQuery(search), errors: [] };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
  }
  const entries = [...new URLSearchParams(search)];
  // the mode, protocol and condition first: the other entries are read on top of their preset
  const first = ["mode", "protocol", "condition"];
  const rank = (key) => (first.includes(key) ? first.indexOf(key) : first.length);
  entries.sort(([a], [b]) => rank(a) - rank(b));
  const errors = [];
  let kept = new URLSearchParams();
  for (const [key, value] of entries) {
    const trial = new URLSearchParams(kept);
    trial.append(key, value);
    try {
      api.fromQuery(trial.toString());
      kept = trial;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      errors.push(err.message);
    }
  }
  return { settings: api.fromQuery(kept.toString()), errors };
}

/** The tour step (0-based) of `?tour=N` (1-based), or 0. */
export function tourFromAddress(search, steps) {
  const n = Number(new URLSearchParams(search).get("tour"));
  return Number.isInteger(n) && n >= 1 && n <= steps ? n - 1 : 0;
}

/** "vclamp" if the address asks for the voltage clamp, else "cclamp". */
export function modeFromAddress(search) {
  return new URLSearchParams(search).get("mode") === "vclamp" ? "vclamp" : "cclamp";
}

/**
 * Writes the settings into the address with history.replaceState (`api.toQuery`). Chromium ignores (and
 * warns about) too many calls in a row, so at most one every `gap` ms; the newest
 * settings are always written.
 */
export class AddressKeeper {
  constructor(api, onWrite = () => {}, gap = 150) {
    this.api = api;
    this.onWrite = onWrite;
    this.gap = gap;
    this.timer = 0;
    this.at = -Infinity;
  }

  update(settings) {
    clearTimeout(this.timer);
    const write = () => {
      this.at = performance.now();
      const query = this.api.toQuery(settings);
      if (query !== location.search) history.replaceState(null, "", query);
      this.onWrite();
    };
    const wait = this.at + this.gap - performance.now();
    if (wait <= 0) write();
    else this.timer = setTimeout(write, wait);
  }
}
