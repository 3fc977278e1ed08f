// Files in and out, all made in the page: the trace as CSV, the trace figure (Plotly),
// params.toml; reading a params.toml; copying the page's link.

/** Save `text` as a file: a Blob, an object URL and a temporary <a download>. */
export function saveText(text, filename, type = "text/plain") {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The recorded trace as CSV: `t_s,v_mV`, one row per sample (0.1 ms), 4 decimals. */
export function traceCsv(t, v) {
  const rows = new Array(t.length + 1);
  rows[0] = "t_s,v_mV";
  for (let i = 0; i < t.length; i++) rows[i + 1] = `${t[i].toFixed(4)},${v[i].toFixed(4)}`;
  return `${rows.join("\n")}\n`;
}

/** The text of a chosen file, or null if none was chosen. */
export async function readChosenFile(input) {
  const file = input.files?.[0];
  if (!file) return null;
  try {
    return await file.text();
  } finally {
    input.value = "";  // choosing the same file again loads it again
  }
}

/**
 * Copy the page's address. Without the clipboard API (an insecure origin, a refused
 * permission), show it in a selected text field to copy by hand. Never throws.
 */
export async function copyLink(field, status) {
  const url = location.href;
  const say = (text) => { status.textContent = text; };
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(url);
      field.hidden = true;
      say("link copied");
      return;
    }
  } catch {
    // fall through to the text field
  }
  field.hidden = false;
  field.value = url;
  field.focus();
  field.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");  // deprecated, but the only fallback there is
  } catch {
    copied = false;
  }
  say(copied ? "link copied" : "press Ctrl+C (⌘C) to copy the link");
}
